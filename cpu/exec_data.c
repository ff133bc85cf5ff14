/*
 * Data movement: MOV and its extending forms, exchanges, the stack
 * (PUSH/POP in every form, PUSHA/POPA, ENTER/LEAVE), LEA, XLAT, CMOVcc,
 * SETcc, LAHF/SAHF, the sign extensions, and the far-pointer loads.
 * Every handler does what can fault before it changes any register.
 */
#include "cpu/handlers.h"

void h_mov(struct cpu *cpu, const struct insn *in)
{
    if (in->o[0].kind == OP_REG && in->o[1].kind == OP_REG) {
        reg_write(cpu, in->o[0].reg, in->o[0].size, reg_read(cpu, in->o[1].reg, in->o[1].size));
        return;
    }
    op_write(cpu, in, 0, op_read(cpu, in, 1));
}

/* MOV to or from a segment register. */
void h_mov_sreg(struct cpu *cpu, const struct insn *in)
{
    if (in->o[0].kind == OP_SREG) {
        unsigned s = in->o[0].reg;
        if (s == S_CS)
            cpu_raise(cpu, EX_UD, NO_ERROR_CODE);
        cpu_load_seg(cpu, s, (uint16_t)op_read(cpu, in, 1));
        if (s == S_SS)
            cpu->internal->inhibit_irq = true;
        return;
    }
    /* To a register the selector is zero-extended with a 32-bit operand; to memory, 16 bits. */
    uint32_t sel = cpu->seg[in->o[1].reg].selector;
    if (in->o[0].kind == OP_REG)
        reg_write(cpu, in->o[0].reg, in->o[0].size, sel);
    else
        mem_write(cpu, in->seg, insn_ea(cpu, in), sel, 2);
}

/* MOVZX (sub 0) and MOVSX (sub 1). */
void h_movx(struct cpu *cpu, const struct insn *in)
{
    unsigned from = in->o[1].size;
    uint32_t v = op_read(cpu, in, 1);
    if (in->sub)
        v = from == 1 ? (uint32_t)(int8_t)v : (uint32_t)(int16_t)v;
    reg_write(cpu, in->o[0].reg, in->o[0].size, v);
}

void h_xchg(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->o[0].size;
    if (in->o[0].kind == OP_REG && in->o[1].kind == OP_REG) {
        uint32_t a = reg_read(cpu, in->o[0].reg, size), b = reg_read(cpu, in->o[1].reg, size);
        reg_write(cpu, in->o[0].reg, size, b);
        reg_write(cpu, in->o[1].reg, size, a);
        return;
    }
    /* One operand is memory; Zydis may put it first or second. */
    unsigned m = in->o[0].kind == OP_MEM ? 0 : 1, r = 1 - m;
    uint32_t lin = seg_linear(cpu, in->seg, insn_ea(cpu, in), size, true);
    uint32_t mv = lin_read(cpu, lin, size);
    lin_write(cpu, lin, reg_read(cpu, in->o[r].reg, size), size);
    reg_write(cpu, in->o[r].reg, size, mv);
}

void h_xadd(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->o[0].size;
    uint32_t src = reg_read(cpu, in->o[1].reg, size), dst, lin = 0;
    if (in->o[0].kind == OP_REG) {
        dst = reg_read(cpu, in->o[0].reg, size);
        reg_write(cpu, in->o[1].reg, size, dst);
        reg_write(cpu, in->o[0].reg, size, dst + src);
    } else {
        lin = seg_linear(cpu, in->seg, insn_ea(cpu, in), size, true);
        dst = lin_read(cpu, lin, size);
        lin_write(cpu, lin, dst + src, size);
        reg_write(cpu, in->o[1].reg, size, dst);
    }
    cc_set(cpu, CC_ADD, size, dst + src, dst, src);
}

void h_cmpxchg(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->o[0].size;
    uint32_t acc = reg_read(cpu, R_EAX, size), src = reg_read(cpu, in->o[1].reg, size);
    uint32_t lin = 0, dst;
    if (in->o[0].kind == OP_REG) {
        dst = reg_read(cpu, in->o[0].reg, size);
        if (dst == acc)
            reg_write(cpu, in->o[0].reg, size, src);
        else
            reg_write(cpu, R_EAX, size, dst);
    } else {
        lin = seg_linear(cpu, in->seg, insn_ea(cpu, in), size, true);
        dst = lin_read(cpu, lin, size);
        /* The processor always writes the destination (the old value on failure). */
        lin_write(cpu, lin, dst == acc ? src : dst, size);
        if (dst != acc)
            reg_write(cpu, R_EAX, size, dst);
    }
    cc_set(cpu, CC_SUB, size, acc - dst, acc, dst);
}

void h_cmpxchg8b(struct cpu *cpu, const struct insn *in)
{
    if (in->o[0].kind != OP_MEM)
        cpu_raise(cpu, EX_UD, NO_ERROR_CODE);
    uint32_t ea = insn_ea(cpu, in);
    uint64_t v = cpu_read64(cpu, in->seg, ea);
    uint64_t cmp = (uint64_t)cpu->regs[R_EDX] << 32 | cpu->regs[R_EAX];
    uint32_t fl = cpu_get_eflags(cpu) & FL_ARITH & ~FL_ZF;
    if (v == cmp) {
        cpu_write64(cpu, in->seg, ea, (uint64_t)cpu->regs[R_ECX] << 32 | cpu->regs[R_EBX]);
        fl |= FL_ZF;
    } else {
        cpu_write64(cpu, in->seg, ea, v);
        cpu->regs[R_EAX] = (uint32_t)v;
        cpu->regs[R_EDX] = (uint32_t)(v >> 32);
    }
    cc_store(cpu, fl);
}

void h_bswap(struct cpu *cpu, const struct insn *in)
{
    uint32_t v = cpu->regs[in->o[0].reg];
    if (in->o[0].size == 2)
        reg_write(cpu, in->o[0].reg, 2, 0); /* undefined; a P6 clears the low word */
    else
        cpu->regs[in->o[0].reg] = __builtin_bswap32(v);
}

void h_push(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->opsize;
    uint32_t v;
    if (in->o[0].kind == OP_SREG) {
        v = cpu->seg[in->o[0].reg].selector;
    } else if (in->o[0].kind == OP_REG && in->o[0].reg == R_ESP) {
        v = cpu->regs[R_ESP]; /* the value before the push */
    } else {
        v = op_read(cpu, in, 0);
    }
    push(cpu, v, size);
}

void h_pop(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->opsize;
    if (in->o[0].kind == OP_SREG) {
        /* The increment follows the stack the value came from: POP SS may change SS.B. */
        uint32_t m = sp_mask(cpu), v = stack_peek(cpu, 0, size);
        cpu_load_seg(cpu, in->o[0].reg, (uint16_t)v);
        cpu->regs[R_ESP] = (cpu->regs[R_ESP] & ~m) | ((cpu->regs[R_ESP] + size) & m);
        if (in->o[0].reg == S_SS)
            cpu->internal->inhibit_irq = true;
        return;
    }
    uint32_t v = stack_peek(cpu, 0, size);
    if (in->o[0].kind == OP_REG) {
        set_sp(cpu, cpu->regs[R_ESP] + size);
        reg_write(cpu, in->o[0].reg, size, v);
        return;
    }
    /* POP to memory: the address is computed with ESP already incremented. */
    uint32_t old_sp = cpu->regs[R_ESP];
    set_sp(cpu, old_sp + size);
    uint32_t ea = insn_ea(cpu, in);
    cpu->regs[R_ESP] = old_sp;
    mem_write(cpu, in->seg, ea, v, size);
    set_sp(cpu, old_sp + size);
}

void h_pusha(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->opsize;
    uint32_t sp = cpu->regs[R_ESP];
    /* Check the whole frame first, so a fault leaves memory and ESP alone. */
    cpu_probe_write(cpu, S_SS, (sp - 8 * size) & sp_mask(cpu), 8 * size);
    for (unsigned r = R_EAX; r <= R_EDI; r++)
        sp = push_at(cpu, sp, r == R_ESP ? cpu->regs[R_ESP] : cpu->regs[r], size);
    set_sp(cpu, sp);
}

void h_popa(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->opsize;
    uint32_t v[8];
    for (unsigned i = 0; i < 8; i++)
        v[7 - i] = stack_peek(cpu, i * size, size);
    for (unsigned r = R_EAX; r <= R_EDI; r++) {
        if (r != R_ESP)
            reg_write(cpu, r, size, v[r]);
    }
    set_sp(cpu, cpu->regs[R_ESP] + 8 * size);
}

/*
 * ENTER: the frame pointer is all of ESP after (E)BP was pushed (on a 16-bit
 * stack the upper half is ESP's), pushed and written to (E)BP at the
 * operand size, as KVM and QEMU (since its issue 2198) do; the SDM's
 * pseudocode would write it at the stack size.
 */
void h_enter(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->opsize, level = in->imm2 & 31;
    uint32_t m = sp_mask(cpu);
    uint32_t sp = cpu->regs[R_ESP], bp = cpu->regs[R_EBP];
    sp = push_at(cpu, sp, bp, size);
    uint32_t frame = (cpu->regs[R_ESP] & ~m) | sp;
    if (level > 0) {
        for (unsigned i = 1; i < level; i++) {
            bp = (bp - size) & m;
            sp = push_at(cpu, sp, mem_read(cpu, S_SS, bp, size), size);
        }
        sp = push_at(cpu, sp, frame, size);
    }
    uint32_t new_sp = (sp - (in->imm & 0xffff)) & m;
    /* The new stack top must be writable (SDM: #SS if it is outside the limit). */
    if (new_sp != sp)
        cpu_probe_write(cpu, S_SS, new_sp, 1);
    reg_write(cpu, R_EBP, size, frame);
    set_sp(cpu, new_sp);
}

void h_leave(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->opsize;
    uint32_t m = sp_mask(cpu);
    uint32_t bp = cpu->regs[R_EBP] & m;
    uint32_t v = mem_read(cpu, S_SS, bp, size);
    set_sp(cpu, bp + size);
    reg_write(cpu, R_EBP, size, v);
}

void h_lea(struct cpu *cpu, const struct insn *in)
{
    reg_write(cpu, in->o[0].reg, in->o[0].size, insn_ea(cpu, in));
}

void h_xlat(struct cpu *cpu, const struct insn *in)
{
    uint32_t ea = cpu->regs[R_EBX] + (cpu->regs[R_EAX] & 0xff);
    if (in->adsize == 2)
        ea &= 0xffff;
    reg_write(cpu, R_EAX, 1, mem_read(cpu, in->seg, ea, 1));
}

void h_cmov(struct cpu *cpu, const struct insn *in)
{
    /* The source is read (and may fault) whether or not the move happens. */
    uint32_t v = op_read(cpu, in, 1);
    if (cpu_cond(cpu, in->sub))
        reg_write(cpu, in->o[0].reg, in->o[0].size, v);
}

void h_setcc(struct cpu *cpu, const struct insn *in)
{
    op_write(cpu, in, 0, cpu_cond(cpu, in->sub));
}

void h_lahf(struct cpu *cpu, const struct insn *in)
{
    reg_write(cpu, 4 /* AH */, 1, cpu_get_eflags(cpu) & 0xff);
}

void h_sahf(struct cpu *cpu, const struct insn *in)
{
    uint32_t ah = (cpu->regs[R_EAX] >> 8) & 0xff;
    cpu_set_eflags(cpu, ah, FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF);
}

/* SALC (D6): AL = CF ? FFh : 0, the flags unchanged. */
void h_salc(struct cpu *cpu, const struct insn *in)
{
    reg_write(cpu, R_EAX, 1, cpu_get_cf(cpu) ? 0xff : 0);
}

/* CBW/CWDE (sub 0) and CWD/CDQ (sub 1). */
void h_cbw(struct cpu *cpu, const struct insn *in)
{
    if (in->sub == 0) {
        if (in->opsize == 2)
            reg_write(cpu, R_EAX, 2, (uint32_t)(int8_t)cpu->regs[R_EAX]);
        else
            cpu->regs[R_EAX] = (uint32_t)(int16_t)cpu->regs[R_EAX];
        return;
    }
    unsigned size = in->opsize;
    bool neg = reg_read(cpu, R_EAX, size) & sign_bit(size);
    reg_write(cpu, R_EDX, size, neg ? 0xffffffffu : 0);
}

/* LDS LES LFS LGS LSS: sub is the segment register. */
void h_lxs(struct cpu *cpu, const struct insn *in)
{
    if (in->o[1].kind != OP_MEM)
        cpu_raise(cpu, EX_UD, NO_ERROR_CODE);
    unsigned size = in->o[0].size;
    uint32_t ea = insn_ea(cpu, in);
    uint32_t off = mem_read(cpu, in->seg, ea, size);
    uint16_t sel =
        (uint16_t)mem_read(cpu, in->seg, (ea + size) & (in->adsize == 2 ? 0xffff : ~0u), 2);
    cpu_load_seg(cpu, in->sub, sel);
    reg_write(cpu, in->o[0].reg, size, off);
    if (in->sub == S_SS)
        cpu->internal->inhibit_irq = true;
}
