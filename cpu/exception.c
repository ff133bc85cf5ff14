/*
 * Exceptions and interrupts: raising from inside an instruction (one
 * longjmp back to the run loop, the single unwind point), the double-fault
 * rules, and delivery through the real-mode IVT or the protected-mode IDT
 * (SDM Vol. 3A ch. 6). Privilege changes through gates, task gates and
 * virtual-8086 interrupts come with the system-architecture layer; until
 * then they raise #GP on the gate as a hard stop rather than run wrong.
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

static void deliver_protected(struct cpu *cpu, int vector, uint32_t error_code, bool software,
                              uint32_t return_eip)
{
    uint32_t ext = software ? 0 : 1;
    uint32_t idt_err = (uint32_t)vector * 8 + 2 + ext;
    if ((uint32_t)vector * 8 + 7 > cpu->idtr.limit)
        cpu_raise(cpu, EX_GP, idt_err);
    uint32_t addr = cpu->idtr.base + (uint32_t)vector * 8;
    uint64_t gate = cpu_read_sys(cpu, addr, 4) | (uint64_t)cpu_read_sys(cpu, addr + 4, 4) << 32;
    unsigned type = (gate >> 40) & 0x1f, dpl = (gate >> 45) & 3;
    bool gate32 = type == 0x0e || type == 0x0f, trap = type == 0x07 || type == 0x0f;
    if (type != 0x06 && type != 0x07 && type != 0x0e && type != 0x0f)
        cpu_raise(cpu, EX_GP, idt_err); /* task gates: with the system architecture */
    if (software && dpl < (unsigned)cpu->cpl)
        cpu_raise(cpu, EX_GP, idt_err);
    if (!((gate >> 47) & 1))
        cpu_raise(cpu, EX_NP, idt_err);

    uint16_t sel = (uint16_t)(gate >> 16);
    uint32_t offset = (uint32_t)(gate & 0xffff) | ((uint32_t)(gate >> 32) & 0xffff0000u);
    if (!gate32)
        offset &= 0xffff;
    if ((sel & ~3u) == 0)
        cpu_raise(cpu, EX_GP, ext);
    const struct cpu_dtable *t = (sel & 4) ? &cpu->ldtr : &cpu->gdtr;
    if ((sel & ~7u) + 7 > t->limit)
        cpu_raise(cpu, EX_GP, (sel & ~3u) + ext);
    uint32_t daddr = t->base + (sel & ~7u);
    uint64_t d = cpu_read_sys(cpu, daddr, 4) | (uint64_t)cpu_read_sys(cpu, daddr + 4, 4) << 32;
    struct cpu_segment cs;
    cpu_descriptor_cache(d, &cs, sel);
    unsigned cdpl = SEG_ATTR_DPL(cs.attr);
    if (!(cs.attr & SEG_ATTR_S) || !(cs.attr & 0x8) || cdpl > (unsigned)cpu->cpl)
        cpu_raise(cpu, EX_GP, (sel & ~3u) + ext);
    if (!(cs.attr & SEG_ATTR_P))
        cpu_raise(cpu, EX_NP, (sel & ~3u) + ext);
    bool conforming = cs.attr & 0x4;
    if (!conforming && cdpl < (unsigned)cpu->cpl)
        cpu_raise(cpu, EX_GP, (sel & ~3u) + ext); /* inner stacks: system architecture */
    if (offset > cs.limit)
        cpu_raise(cpu, EX_GP, ext);

    unsigned size = gate32 ? 4 : 2;
    uint32_t sp = cpu->regs[R_ESP];
    sp = push_at(cpu, sp, cpu_get_eflags(cpu), size);
    sp = push_at(cpu, sp, cpu->seg[S_CS].selector, size);
    sp = push_at(cpu, sp, return_eip, size);
    if (error_code != NO_ERROR_CODE)
        sp = push_at(cpu, sp, error_code, size);
    set_sp(cpu, sp);
    cs.selector = (uint16_t)((sel & ~3u) | (unsigned)cpu->cpl);
    cs.attr |= 0x1;
    cpu->seg[S_CS] = cs;
    cpu->eip = offset;
    cpu->eflags &= ~(FL_TF | FL_NT | FL_RF | FL_VM);
    if (!trap)
        cpu->eflags &= ~FL_IF;
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
    if (cpu_v86(cpu))
        cpu_raise(cpu, EX_GP, (uint32_t)vector * 8 + 2 + (software ? 0 : 1));
    deliver_protected(cpu, vector, error_code, software, return_eip);
}

void cpu_iret_protected(struct cpu *cpu, unsigned size)
{
    if (cpu->eflags & FL_NT)
        cpu_raise(cpu, EX_GP, 0); /* task return: with the system architecture */
    uint32_t eip = stack_peek(cpu, 0, size);
    uint16_t cs = (uint16_t)stack_peek(cpu, size, size);
    uint32_t fl = stack_peek(cpu, 2 * size, size);
    if (size == 4 && (fl & FL_VM) && cpu->cpl == 0)
        cpu_raise(cpu, EX_GP, 0); /* return to virtual-8086 mode: system architecture */
    if ((cs & 3u) != (unsigned)cpu->cpl)
        cpu_raise(cpu, EX_GP, cs & ~3u); /* return to an outer level: system architecture */
    unsigned cpl = (unsigned)cpu->cpl, iopl = (cpu->eflags & FL_IOPL) >> 12;
    cpu_load_cs(cpu, cs, eip);
    set_sp(cpu, cpu->regs[R_ESP] + 3 * size);
    uint32_t writable = FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_TF | FL_DF | FL_OF | FL_NT;
    if (size == 4)
        writable |= FL_RF | FL_AC | FL_ID;
    if (cpl == 0) {
        writable |= FL_IOPL;
        if (size == 4)
            writable |= FL_VIF | FL_VIP;
    }
    if (cpl <= iopl)
        writable |= FL_IF;
    cpu_set_eflags(cpu, fl, writable);
}
