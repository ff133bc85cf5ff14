/*
 * Exceptions and interrupts: raising from inside an instruction (one
 * longjmp back to the run loop, the single unwind point), the double-fault
 * rules, and delivery through the real-mode IVT or the protected-mode IDT
 * (SDM Vol. 3A ch. 6); protected-mode gates are in cpu/protect.c.
 */
#include "cpu/handlers.h"

#include <glib.h>

_Noreturn void cpu_raise(struct cpu *cpu, int vector, uint32_t error_code)
{
    struct cpu_internal *c = cpu->internal;
    g_assert(c->unwind_armed);
    c->pending_vector = vector;
    c->pending_error = error_code;
    longjmp(c->unwind, 1);
}

_Noreturn void cpu_raise_pf(struct cpu *cpu, const struct smmu_fault *f)
{
    cpu->cr[2] = f->linear;
    cpu_raise(cpu, EX_PF, f->error_code);
}

static bool contributory(int v)
{
    return v == EX_DE || (v >= EX_TS && v <= EX_GP);
}

int cpu_exception_combine(int first, int second)
{
    if (first == EX_DF && (contributory(second) || second == EX_PF))
        return -1; /* triple fault */
    if ((contributory(first) && contributory(second)) ||
        (first == EX_PF && (contributory(second) || second == EX_PF)))
        return EX_DF;
    return second;
}

static bool has_error_code(int v)
{
    return v == EX_DF || (v >= EX_TS && v <= EX_PF) || v == EX_AC;
}

static void deliver_real(struct cpu *cpu, int vector, uint32_t return_eip)
{
    uint32_t entry = (uint32_t)vector * 4;
    if (entry + 3 > cpu->idtr.limit)
        cpu_raise(cpu, EX_GP, 0);
    uint32_t vec = lin_read(cpu, cpu->idtr.base + entry, 4);
    uint32_t sp = cpu->regs[R_ESP];
    sp = push_at(cpu, sp, cpu_get_eflags(cpu) & 0xffff, 2);
    sp = push_at(cpu, sp, cpu->seg[S_CS].selector, 2);
    sp = push_at(cpu, sp, return_eip & 0xffff, 2);
    set_sp(cpu, sp);
    cpu->eflags &= ~(FL_IF | FL_TF | FL_AC | FL_RF);
    cpu_set_segment_real(cpu, S_CS, (uint16_t)(vec >> 16));
    cpu->eip = vec & 0xffff;
    cpu_update_mode(cpu);
}

void cpu_deliver(struct cpu *cpu, int vector, uint32_t error_code, bool software,
                 uint32_t return_eip)
{
    if (!has_error_code(vector) || software)
        error_code = NO_ERROR_CODE;
    if (!cpu_pe(cpu)) {
        deliver_real(cpu, vector, return_eip);
        return;
    }
    cpu_deliver_protected(cpu, vector, error_code, software, return_eip);
}
