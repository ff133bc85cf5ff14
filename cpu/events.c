/*
 * The run loop's side of the CPU: what happens between instructions. A run
 * begins and ends here; an exception raised inside an instruction unwinds
 * to the loop's setjmp and is delivered here (or becomes a double fault, a
 * shutdown, or a stop for a test); NMI and external interrupts are taken
 * at instruction boundaries; a debugger's breakpoints and exit requests are
 * kept here. The loop itself (translator/) only decides which code runs.
 */
#include "cpu/handlers.h"

#include <glib.h>

void cpu_request_exit(struct cpu *cpu)
{
    cpu->internal->exit_request = true;
}

void cpu_nmi(struct cpu *cpu)
{
    cpu->internal->nmi_pending = true;
}

void cpu_set_breakpoints(struct cpu *cpu, const uint32_t *linear, unsigned n)
{
    struct cpu_internal *c = cpu->internal;
    c->nbreakpoints = MIN(n, CPU_MAX_BREAKPOINTS);
    if (c->nbreakpoints)
        memcpy(c->breakpoints, linear, c->nbreakpoints * sizeof(*linear));
}

bool cpu_breakpoint_at(const struct cpu *cpu, uint32_t lin)
{
    const struct cpu_internal *c = cpu->internal;
    for (unsigned i = 0; i < c->nbreakpoints; i++) {
        if (c->breakpoints[i] == lin)
            return true;
    }
    return false;
}

void cpu_run_begin(struct cpu *cpu, uint64_t budget)
{
    struct cpu_internal *c = cpu->internal;
    c->stop_run = false;
    c->run_end = cpu->instructions + budget;
    cpu_debug_refresh(cpu);
    c->unwind_armed = true;
}

enum cpu_exit cpu_run_leave(struct cpu *cpu, enum cpu_exit why)
{
    cpu_get_eflags(cpu);
    cpu->internal->unwind_armed = false;
    return why;
}

static bool is_fault(int v)
{
    return v == EX_DE || v == EX_BR || v == EX_UD || v == EX_NM || (v >= EX_TS && v <= EX_PF) ||
           v == EX_MF || v == EX_AC;
}

enum cpu_exit cpu_take_exception(struct cpu *cpu)
{
    struct cpu_internal *c = cpu->internal;
    int v = c->pending_vector;
    uint32_t err = c->pending_error;
    cpu->eip = c->insn_eip;
    c->block_dirty = false;
    cpu_debug_cancel(cpu); /* the instruction did not complete: its data breakpoints are void */
    if (c->delivering >= 0) {
        v = cpu_exception_combine(c->delivering, v);
        if (v < 0) {
            c->delivering = -1;
            return CPU_EXIT_SHUTDOWN;
        }
        if (v == EX_DF)
            err = 0;
    }
    if (cpu->stop_on_exception) {
        cpu->exception_vector = (uint8_t)v;
        cpu->exception_error = err;
        c->delivering = -1;
        return CPU_EXIT_EXCEPTION;
    }
    c->delivering = v;
    /* A fault's saved EFLAGS has RF set, so returning re-runs the instruction without
       hitting its instruction breakpoint again. */
    if (is_fault(v))
        cpu->eflags |= FL_RF;
    cpu_deliver(cpu, v, err, false, c->insn_eip);
    c->delivering = -1;
    return CPU_EXIT_BUDGET; /* carry on */
}

bool cpu_take_interrupts(struct cpu *cpu)
{
    struct cpu_internal *c = cpu->internal;
    bool delivered = false;
    if (c->nmi_pending && !c->nmi_blocked) {
        /* NMIs are blocked from here until the next IRET. */
        c->nmi_pending = false;
        c->nmi_blocked = true;
        cpu->halted = false;
        c->insn_eip = cpu->eip;
        cpu_deliver(cpu, EX_NMI, NO_ERROR_CODE, false, cpu->eip);
        delivered = true;
    }
    if (!c->inhibit_irq && (cpu->eflags & FL_IF) && cpu->irq.pending &&
        cpu->irq.pending(cpu->irq.opaque)) {
        cpu->halted = false;
        uint8_t vector = cpu->irq.acknowledge(cpu->irq.opaque);
        cpu->interrupts++;
        c->insn_eip = cpu->eip;
        cpu_deliver(cpu, vector, NO_ERROR_CODE, false, cpu->eip);
        delivered = true;
    }
    return delivered;
}
