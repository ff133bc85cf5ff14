/*
 * popek's monitor: one table of commands a person types to look at and
 * steer the running machine (statistics, registers, media, screen dumps,
 * pause, reset, quit), reached through several doors that all run
 * monitor_run: gdb's `monitor CMD`, the serial console's Ctrl+A c, and
 * --monitor=stdio|tcp:HOST:PORT|unix:PATH (monitor_server.c).
 */
#ifndef POPEK_FRONTEND_MONITOR_H
#define POPEK_FRONTEND_MONITOR_H

#include <glib.h>
#include <stdbool.h>

struct pc;

/* What a command may act on; the door fills in what it has. */
struct monitor {
    struct pc *pc;
    gint64 start_us; /* when the run started, for `stats` */
    bool *phys_mem;  /* gdb only (NULL elsewhere): memory packets on physical addresses */
    bool *step_irq;  /* gdb only: a step may take a pending interrupt */
};

/* Run one command line; what it prints (lines ending in '\n') is appended to `out`. */
void monitor_run(struct monitor *mon, const char *line, GString *out);

/* The commands of the CPU and MMU (monitor_cpu.c). */
void monitor_cmd_regs(struct monitor *mon, const char *args, GString *out);
void monitor_cmd_ioapic(struct monitor *mon, const char *args, GString *out);
void monitor_cmd_tlb(struct monitor *mon, const char *args, GString *out);
void monitor_cmd_disas(struct monitor *mon, const char *args, GString *out);

#endif
