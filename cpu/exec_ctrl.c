/*
 * Control transfer (JMP, Jcc, JCXZ, LOOP, CALL, RET, far forms, INT,
 * INTO, INT3, IRET, BOUND), the flag instructions, port I/O and the
 * miscellaneous ones (NOP, UD2, CPUID, RDTSC, HLT). On entry cpu->eip
 * already points past the instruction; relative targets are taken from it.
 */
#include "cpu/handlers.h"

void h_jmp(struct cpu *cpu, const struct insn *in)
{
    const struct operand *o = &in->o[0];
    if (in->props & P_FAR) {
        if (o->kind == OP_IMM) {
            cpu_far_jmp(cpu, (uint16_t)in->imm2, in->imm, in->opsize);
            return;
        }
        /* JMP m16:16/32 */
        uint32_t ea = insn_ea(cpu, in);
        uint32_t off = mem_read(cpu, in->seg, ea, in->opsize);
        uint16_t sel = (uint16_t)mem_read(cpu, in->seg, ea + in->opsize, 2);
        cpu_far_jmp(cpu, sel, off, in->opsize);
        return;
    }
    if (o->kind == OP_IMM)
        cpu_jump_near(cpu, cpu->eip + in->imm, in->opsize);
    else
        cpu_jump_near(cpu, op_read(cpu, in, 0), in->opsize);
}

void h_jcc(struct cpu *cpu, const struct insn *in)
{
    if (cpu_cond(cpu, in->sub))
        cpu_jump_near(cpu, cpu->eip + in->imm, in->opsize);
}

/* JCXZ/JECXZ: the counter size is the address size. */
void h_jcxz(struct cpu *cpu, const struct insn *in)
{
    uint32_t cx = cpu->regs[R_ECX] & (in->adsize == 2 ? 0xffff : ~0u);
    if (cx == 0)
        cpu_jump_near(cpu, cpu->eip + in->imm, in->opsize);
}

/* LOOP (sub 0), LOOPE (sub 1), LOOPNE (sub 2). */
void h_loop(struct cpu *cpu, const struct insn *in)
{
    uint32_t m = in->adsize == 2 ? 0xffff : ~0u;
    uint32_t cx = (cpu->regs[R_ECX] - 1) & m;
    bool go = cx != 0;
    if (in->sub == 1)
        go = go && cpu_cond(cpu, 4);
    else if (in->sub == 2)
        go = go && cpu_cond(cpu, 5);
    /* Check the target before committing ECX, as the jump may fault. */
    if (go)
        cpu_jump_near(cpu, cpu->eip + in->imm, in->opsize);
    cpu->regs[R_ECX] = (cpu->regs[R_ECX] & ~m) | cx;
}

void h_call(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->opsize;
    const struct operand *o = &in->o[0];
    if (in->props & P_FAR) {
        if (o->kind == OP_IMM) {
            cpu_far_call(cpu, (uint16_t)in->imm2, in->imm, size);
            return;
        }
        uint32_t ea = insn_ea(cpu, in);
        uint32_t off = mem_read(cpu, in->seg, ea, size);
        uint16_t sel = (uint16_t)mem_read(cpu, in->seg, ea + size, 2);
        cpu_far_call(cpu, sel, off, size);
        return;
    }
    uint32_t target = o->kind == OP_IMM ? cpu->eip + in->imm : op_read(cpu, in, 0);
    uint32_t sp = push_at(cpu, cpu->regs[R_ESP], cpu->eip, size);
    cpu_jump_near(cpu, target, size);
    set_sp(cpu, sp);
}

void h_ret(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->opsize;
    uint32_t target = stack_peek(cpu, 0, size);
    cpu_jump_near(cpu, target, size);
    set_sp(cpu, cpu->regs[R_ESP] + size + (in->nops ? (in->imm & 0xffff) : 0));
}

void h_retf(struct cpu *cpu, const struct insn *in)
{
    cpu_far_ret(cpu, in->opsize, (uint16_t)(in->nops ? in->imm : 0));
}

/* INT n (sub 0), INT3 (sub 1), INTO (sub 2), INT1/ICEBP (sub 3). */
void h_int(struct cpu *cpu, const struct insn *in)
{
    if (in->sub == 2 && !cpu_cond(cpu, 0))
        return;
    if (in->sub == 3) {
        /* ICEBP: a #DB trap delivered like a hardware exception (no DPL check). */
        cpu_deliver(cpu, EX_DB, NO_ERROR_CODE, false, cpu->eip);
        return;
    }
    int vector = in->sub == 1 ? EX_BP : in->sub == 2 ? EX_OF : (int)(in->imm & 0xff);
    /* With CR4.VME the redirection bitmap may send INT n to the V86 task's own vector table. */
    if (in->sub == 0 && cpu_vme_int(cpu, (uint8_t)vector, cpu->eip))
        return;
    /* In virtual-8086 mode INT n needs IOPL 3 (INT3 and INTO do not). */
    if (cpu_v86(cpu) && in->sub == 0 && ((cpu->eflags & FL_IOPL) >> 12) != 3)
        cpu_raise(cpu, EX_GP, 0);
    cpu_deliver(cpu, vector, NO_ERROR_CODE, true, cpu->eip);
}

void h_iret(struct cpu *cpu, const struct insn *in)
{
    cpu_iret(cpu, in->opsize);
}

void h_bound(struct cpu *cpu, const struct insn *in)
{
    if (in->o[1].kind != OP_MEM)
        cpu_raise(cpu, EX_UD, NO_ERROR_CODE);
    unsigned size = in->o[0].size;
    uint32_t ea = insn_ea(cpu, in);
    int32_t idx, lo, hi;
    if (size == 2) {
        idx = (int16_t)reg_read(cpu, in->o[0].reg, 2);
        lo = (int16_t)mem_read(cpu, in->seg, ea, 2);
        hi = (int16_t)mem_read(cpu, in->seg, (ea + 2) & (in->adsize == 2 ? 0xffff : ~0u), 2);
    } else {
        idx = (int32_t)cpu->regs[in->o[0].reg];
        lo = (int32_t)mem_read(cpu, in->seg, ea, 4);
        hi = (int32_t)mem_read(cpu, in->seg, (ea + 4) & (in->adsize == 2 ? 0xffff : ~0u), 4);
    }
    if (idx < lo || idx > hi)
        cpu_raise(cpu, EX_BR, NO_ERROR_CODE);
}

/* --- flags ------------------------------------------------------------ */

/* CLC STC CMC CLD STD: sub 0..4. */
void h_flagop(struct cpu *cpu, const struct insn *in)
{
    uint32_t f = cpu_get_eflags(cpu);
    switch (in->sub) {
    case 0:
        f &= ~FL_CF;
        break;
    case 1:
        f |= FL_CF;
        break;
    case 2:
        f ^= FL_CF;
        break;
    case 3:
        f &= ~FL_DF;
        break;
    default:
        f |= FL_DF;
        break;
    }
    cpu->eflags = f;
}

/* May this code change IF (CLI, STI, POPF)? SDM Vol. 1 §13.2 (IOPL-sensitive). */
static bool if_allowed(const struct cpu *cpu)
{
    unsigned iopl = (cpu->eflags & FL_IOPL) >> 12;
    if (!cpu_pe(cpu))
        return true;
    if (cpu_v86(cpu))
        return iopl == 3;
    return (unsigned)cpu->cpl <= iopl;
}

void h_cli(struct cpu *cpu, const struct insn *in)
{
    if (!if_allowed(cpu) && cpu_vif_mode(cpu)) {
        cpu_vif_cli(cpu);
        return;
    }
    if (!if_allowed(cpu))
        cpu_raise(cpu, EX_GP, 0);
    cpu->eflags &= ~FL_IF;
}

void h_sti(struct cpu *cpu, const struct insn *in)
{
    if (!if_allowed(cpu) && cpu_vif_mode(cpu)) {
        cpu_vif_sti(cpu);
        return;
    }
    if (!if_allowed(cpu))
        cpu_raise(cpu, EX_GP, 0);
    if (!(cpu->eflags & FL_IF))
        cpu->internal->inhibit_irq = true;
    cpu->eflags |= FL_IF;
}

void h_pushf(struct cpu *cpu, const struct insn *in)
{
    if (cpu_v86(cpu) && ((cpu->eflags & FL_IOPL) >> 12) != 3) {
        if (!(cpu->cr[4] & CR4_VME))
            cpu_raise(cpu, EX_GP, 0);
        cpu_vme_pushf(cpu, in->opsize);
        return;
    }
    /* VM and RF are never pushed. */
    push(cpu, cpu_get_eflags(cpu) & ~(FL_VM | FL_RF), in->opsize);
}

void h_popf(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->opsize;
    unsigned iopl = (cpu->eflags & FL_IOPL) >> 12;
    if (cpu_v86(cpu) && iopl != 3) {
        if (!(cpu->cr[4] & CR4_VME))
            cpu_raise(cpu, EX_GP, 0);
        cpu_vme_popf(cpu, size);
        return;
    }
    uint32_t v = stack_peek(cpu, 0, size);
    uint32_t writable = FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_TF | FL_DF | FL_OF | FL_NT;
    if (size == 4)
        writable |= FL_AC | FL_ID;
    /* IOPL only at CPL 0; IF only where CLI/STI would be allowed. RF is cleared. */
    if (!cpu_pe(cpu) || (!cpu_v86(cpu) && cpu->cpl == 0))
        writable |= FL_IOPL;
    if (if_allowed(cpu))
        writable |= FL_IF;
    set_sp(cpu, cpu->regs[R_ESP] + size);
    cpu_set_eflags(cpu, v, writable | FL_RF);
    cpu->eflags &= ~FL_RF;
}

/* --- port I/O --------------------------------------------------------- */

void h_in(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->o[0].size;
    uint16_t port =
        in->o[1].kind == OP_IMM ? (uint16_t)(in->imm & 0xff) : (uint16_t)cpu->regs[R_EDX];
    cpu_check_io(cpu, port, size);
    reg_write(cpu, R_EAX, size, iobus_read(&cpu->machine->io, port, size));
}

void h_out(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->o[1].size;
    uint16_t port =
        in->o[0].kind == OP_IMM ? (uint16_t)(in->imm & 0xff) : (uint16_t)cpu->regs[R_EDX];
    cpu_check_io(cpu, port, size);
    iobus_write(&cpu->machine->io, port, reg_read(cpu, R_EAX, size), size);
}

/* --- miscellaneous ---------------------------------------------------- */

void h_nop(struct cpu *cpu, const struct insn *in)
{
}

void h_ud(struct cpu *cpu, const struct insn *in)
{
    cpu_raise(cpu, EX_UD, NO_ERROR_CODE);
}

/* x87 opcodes a Pentium II lacks (FISTTP): #NM with CR0.EM or CR0.TS, else #UD. */
void h_fpu(struct cpu *cpu, const struct insn *in)
{
    if (cpu->cr[0] & (CR0_EM | CR0_TS))
        cpu_raise(cpu, EX_NM, NO_ERROR_CODE);
    cpu_raise(cpu, EX_UD, NO_ERROR_CODE);
}

/* FWAIT: #NM only with CR0.MP and TS; then it reports a pending x87 exception. */
void h_wait(struct cpu *cpu, const struct insn *in)
{
    if ((cpu->cr[0] & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS))
        cpu_raise(cpu, EX_NM, NO_ERROR_CODE);
    fpu_wait(cpu);
}

void h_hlt(struct cpu *cpu, const struct insn *in)
{
    if (cpu_pe(cpu) && cpu->cpl != 0)
        cpu_raise(cpu, EX_GP, 0);
    cpu->halted = true;
    cpu_stop(cpu, CPU_EXIT_HLT);
}

void h_cpuid(struct cpu *cpu, const struct insn *in)
{
    cpu_cpuid(cpu, cpu->regs[R_EAX], &cpu->regs[R_EAX], &cpu->regs[R_EBX], &cpu->regs[R_ECX],
              &cpu->regs[R_EDX]);
}

void h_rdtsc(struct cpu *cpu, const struct insn *in)
{
    if ((cpu->cr[4] & CR4_TSD) && cpu_pe(cpu) && cpu->cpl != 0)
        cpu_raise(cpu, EX_GP, 0);
    uint64_t t = cpu_read_tsc(cpu);
    cpu->regs[R_EAX] = (uint32_t)t;
    cpu->regs[R_EDX] = (uint32_t)(t >> 32);
}
