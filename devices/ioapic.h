/*
 * The Intel 82093AA I/O APIC at 0xFEC00000: 24 interrupt input pins, each
 * with a redirection table entry that turns the pin's edge or level into an
 * interrupt message (vector, delivery mode, destination). Devices drive the
 * pins through irq_lines; messages leave through the `deliver` callback the
 * board wires to the local APIC, and the local APIC's EOI of a
 * level-triggered vector comes back through ioapic_eoi.
 */
#ifndef POPEK_DEVICES_IOAPIC_H
#define POPEK_DEVICES_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "machine/irq.h"

struct machine;
struct ioapic;

#define IOAPIC_BASE 0xfec00000u
#define IOAPIC_SIZE 0x1000u
#define IOAPIC_PINS 24

/* An interrupt message (82093AA datasheet §3.2.4, the redirection entry's fields). */
struct ioapic_msg {
    uint8_t dest;  /* APIC ID, or a logical destination set */
    bool logical;  /* destination mode */
    unsigned mode; /* delivery mode: 0 fixed, 1 lowest priority, 2 SMI, 4 NMI, 5 INIT, 7 ExtINT */
    uint8_t vector;
    bool level; /* level-triggered: the receiver will broadcast its EOI */
};

struct ioapic_callbacks {
    void (*deliver)(void *opaque, const struct ioapic_msg *msg);
    void *opaque;
};

/* Create it at IOAPIC_BASE (reset); `cb` is copied. */
struct ioapic *ioapic_create(struct machine *m, const struct ioapic_callbacks *cb);
void ioapic_destroy(struct ioapic *io);

/* Reset (datasheet §3.0): ID 0, every entry masked. Pin levels are kept: they are wiring. */
void ioapic_reset(struct ioapic *io);

/* The line driving input pin `pin` (0-23; others do nothing). Level 1 is high. */
struct irq_line ioapic_irq_line(struct ioapic *io, unsigned pin);
void ioapic_set_irq(struct ioapic *io, unsigned pin, int level);

/* A local APIC's EOI of `vector`: level-triggered entries with that vector clear remote IRR. */
void ioapic_eoi(struct ioapic *io, uint8_t vector);

/* A redirection table entry (64 bits) and a pin's input level, for the debugger. */
uint64_t ioapic_entry(const struct ioapic *io, unsigned pin);
int ioapic_pin_level(const struct ioapic *io, unsigned pin);
uint8_t ioapic_id(const struct ioapic *io);

#endif
