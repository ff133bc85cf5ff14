/*
 * gdb's door to the monitor (`monitor CMD` in gdb, the qRcmd packet): the
 * commands of monitor.c, plus the two that change how the stub behaves
 * (`phys`, `step-irq`). What a command prints goes back to gdb.
 */
#include "frontend/gdbstub_internal.h"
#include "frontend/monitor.h"

void gdb_monitor(struct gdbstub *s, const char *cmd, GString *out)
{
    struct monitor mon = {
        .pc = s->pc,
        .start_us = s->start_us,
        .phys_mem = &s->phys_mem,
        .step_irq = &s->step_irq,
    };
    monitor_run(&mon, cmd, out);
}
