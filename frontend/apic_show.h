/*
 * The interrupt controllers spelled out for people: the local APIC's state
 * for `monitor regs` and the I/O APIC's redirection table for `monitor
 * ioapic` (the gdb stub), and the APIC's numbers for --stats.
 */
#ifndef POPEK_FRONTEND_APIC_SHOW_H
#define POPEK_FRONTEND_APIC_SHOW_H

#include <glib.h>

struct pc;

/* "apic: enabled, ID 0, TPR ..., timer ..., pending/in service ..." lines. */
void apic_show_lapic(GString *out, struct pc *pc);

/* The I/O APIC's ID and version, and one line per redirection table entry. */
void apic_show_ioapic(GString *out, struct pc *pc);

#endif
