/*
 * CPU internals shared by the files of cpu/: lazy flags, the inline
 * register, memory, operand and stack accessors every handler uses, and the
 * helpers of protection and modes. What the translator also needs is in
 * cpu/exec.h.
 */
#ifndef POPEK_CPU_INTERNAL_H
#define POPEK_CPU_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cpu/exec.h"
#include "machine/machine.h"

/* The exception to deliver when `second` occurs while delivering `first`; -1: triple fault. */
int cpu_exception_combine(int first, int second);

/* --- flags ------------------------------------------------------------ */

void cpu_set_eflags(struct cpu *cpu, uint32_t value, uint32_t writable);
bool cpu_cond(struct cpu *cpu, unsigned cc);
bool cpu_get_cf(struct cpu *cpu);

static inline void cc_set(struct cpu *cpu, enum cc_op op, unsigned size, uint32_t res,
                          uint32_t src1, uint32_t src2)
{
    struct cpu_internal *c = cpu->internal;
    c->cc_op = (uint8_t)op;
    c->cc_size = (uint8_t)size;
    c->cc_res = res;
    c->cc_src1 = src1;
    c->cc_src2 = src2;
}

/* Store arithmetic flags computed by a handler (for shifts, MUL, BCD...). */
static inline void cc_store(struct cpu *cpu, uint32_t arith)
{
    cpu->eflags = (cpu->eflags & ~FL_ARITH) | (arith & FL_ARITH);
    cpu->internal->cc_op = CC_EAGER;
}

static inline uint32_t parity_flag(uint32_t v)
{
    return __builtin_parity(v & 0xff) ? 0 : FL_PF;
}

static inline uint32_t size_mask(unsigned size)
{
    return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

static inline uint32_t sign_bit(unsigned size)
{
    return 1u << (8 * size - 1);
}

/* ZF, SF and PF of a result. */
static inline uint32_t szp_flags(uint32_t res, unsigned size)
{
    res &= size_mask(size);
    return (res ? 0 : FL_ZF) | ((res & sign_bit(size)) ? FL_SF : 0) | parity_flag(res);
}

/* --- registers -------------------------------------------------------- */

static inline uint32_t reg_read(const struct cpu *cpu, unsigned reg, unsigned size)
{
    if (size == 4)
        return cpu->regs[reg];
    if (size == 2)
        return cpu->regs[reg] & 0xffff;
    return reg < 4 ? cpu->regs[reg] & 0xff : (cpu->regs[reg - 4] >> 8) & 0xff;
}

static inline void reg_write(struct cpu *cpu, unsigned reg, unsigned size, uint32_t v)
{
    if (size == 4)
        cpu->regs[reg] = v;
    else if (size == 2)
        cpu->regs[reg] = (cpu->regs[reg] & 0xffff0000u) | (v & 0xffff);
    else if (reg < 4)
        cpu->regs[reg] = (cpu->regs[reg] & ~0xffu) | (v & 0xff);
    else
        cpu->regs[reg - 4] = (cpu->regs[reg - 4] & ~0xff00u) | ((v & 0xff) << 8);
}

/* --- memory ----------------------------------------------------------- */

static inline int cpu_user(const struct cpu *cpu)
{
    return cpu->cpl == 3;
}

/* The offset part of a memory operand. */
static inline uint32_t insn_ea(const struct cpu *cpu, const struct insn *in)
{
    uint32_t ea = in->disp;
    if (in->base != NO_REG)
        ea += cpu->regs[in->base];
    if (in->index != NO_REG)
        ea += cpu->regs[in->index] << in->scale;
    return in->adsize == 2 ? ea & 0xffff : ea;
}

/* Check an access the fast test below does not settle (cpu/segment.c). */
uint32_t cpu_seg_check_slow(struct cpu *cpu, unsigned seg, uint32_t off, unsigned size, bool write);

/*
 * Check `size` bytes at `off` against the segment (type, presence, limit)
 * and return the linear address. The common case, a present expand-up data
 * segment that allows the access, is one test and one limit compare.
 */
static inline uint32_t seg_linear(struct cpu *cpu, unsigned seg, uint32_t off, unsigned size,
                                  bool write)
{
    const struct cpu_segment *s = &cpu->seg[seg];
    uint16_t mask = SEG_ATTR_S | SEG_ATTR_P | (write ? 0x0e : 0x0c);
    uint16_t want = SEG_ATTR_S | SEG_ATTR_P | (write ? 0x02 : 0x00);
    if (__builtin_expect((s->attr & mask) != want || (uint64_t)off + size - 1 > s->limit, 0))
        return cpu_seg_check_slow(cpu, seg, off, size, write);
    return s->base + off;
}

/* Supervisor (implicit) accesses to linear memory: descriptor tables, the TSS, the IDT. */
uint32_t cpu_read_sys(struct cpu *cpu, uint32_t lin, unsigned size);
void cpu_write_sys(struct cpu *cpu, uint32_t lin, uint32_t v, unsigned size);

/* Fill a descriptor cache from an 8-byte descriptor. */
void cpu_descriptor_cache(uint64_t desc, struct cpu_segment *s, uint16_t selector);

/* Data breakpoints and watchpoints (cpu/debug.c): an access of `size` bytes at `lin` was made. */
void cpu_data_access(struct cpu *cpu, uint32_t lin, unsigned size, bool write);

/* The current instruction hit a data breakpoint or watchpoint (REP stops after the iteration). */
static inline bool data_hit(const struct cpu_internal *c)
{
    return c->dr_hits || c->watch_hit >= 0;
}

static inline void data_trap(struct cpu *cpu, uint32_t lin, unsigned size, bool write)
{
    if (__builtin_expect(cpu->internal->data_traps, 0))
        cpu_data_access(cpu, lin, size, write);
}

uint64_t cpu_read64(struct cpu *cpu, unsigned seg, uint32_t off);
void cpu_write64(struct cpu *cpu, unsigned seg, uint32_t off, uint64_t v);

static inline uint32_t load_le(const uint8_t *p, unsigned size)
{
    if (size == 4) {
        uint32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    if (size == 2) {
        uint16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    return *p;
}

static inline void store_le(uint8_t *p, uint32_t v, unsigned size)
{
    if (size == 4)
        memcpy(p, &v, 4);
    else if (size == 2) {
        uint16_t w = (uint16_t)v;
        memcpy(p, &w, 2);
    } else
        *p = (uint8_t)v;
}

static inline uint32_t lin_read(struct cpu *cpu, uint32_t lin, unsigned size)
{
    const uint8_t *p = smmu_fast_ptr(cpu->internal->tlb, lin, size, SMMU_READ, cpu_user(cpu));
    if (__builtin_expect(p != NULL, 1))
        return load_le(p, size);
    return cpu_read_slow(cpu, lin, size, SMMU_READ);
}

static inline void lin_write(struct cpu *cpu, uint32_t lin, uint32_t v, unsigned size)
{
    uint8_t *p = smmu_fast_ptr(cpu->internal->tlb, lin, size, SMMU_WRITE, cpu_user(cpu));
    if (__builtin_expect(p != NULL, 1))
        store_le(p, v, size);
    else
        cpu_write_slow(cpu, lin, v, size);
}

static inline uint32_t mem_read(struct cpu *cpu, unsigned seg, uint32_t off, unsigned size)
{
    return lin_read(cpu, seg_linear(cpu, seg, off, size, false), size);
}

static inline void mem_write(struct cpu *cpu, unsigned seg, uint32_t off, uint32_t v, unsigned size)
{
    lin_write(cpu, seg_linear(cpu, seg, off, size, true), v, size);
}

/*
 * Check that a write of `size` bytes at seg:off would succeed (segment and
 * page), without writing: for instructions that must not leave partial
 * state behind.
 */
void cpu_probe_write(struct cpu *cpu, unsigned seg, uint32_t off, unsigned size);

/* --- operands --------------------------------------------------------- */

static inline uint32_t op_read(struct cpu *cpu, const struct insn *in, unsigned i)
{
    const struct operand *o = &in->o[i];
    switch (o->kind) {
    case OP_REG:
        return reg_read(cpu, o->reg, o->size);
    case OP_MEM:
        return mem_read(cpu, in->seg, insn_ea(cpu, in), o->size);
    case OP_SREG:
        return cpu->seg[o->reg].selector;
    default:
        return in->imm;
    }
}

static inline void op_write(struct cpu *cpu, const struct insn *in, unsigned i, uint32_t v)
{
    const struct operand *o = &in->o[i];
    if (o->kind == OP_REG)
        reg_write(cpu, o->reg, o->size, v);
    else
        mem_write(cpu, in->seg, insn_ea(cpu, in), v, o->size);
}

/* --- stack ------------------------------------------------------------ */

static inline uint32_t sp_mask(const struct cpu *cpu)
{
    return (cpu->seg[S_SS].attr & SEG_ATTR_DB) ? 0xffffffffu : 0xffffu;
}

static inline void set_sp(struct cpu *cpu, uint32_t sp)
{
    uint32_t m = sp_mask(cpu);
    cpu->regs[R_ESP] = (cpu->regs[R_ESP] & ~m) | (sp & m);
}

/* Push without committing ESP: returns the new stack pointer. */
static inline uint32_t push_at(struct cpu *cpu, uint32_t sp, uint32_t v, unsigned size)
{
    sp = (sp - size) & sp_mask(cpu);
    mem_write(cpu, S_SS, sp, v, size);
    return sp;
}

static inline void push(struct cpu *cpu, uint32_t v, unsigned size)
{
    set_sp(cpu, push_at(cpu, cpu->regs[R_ESP], v, size));
}

/* Read the value `depth` bytes above the stack pointer. */
static inline uint32_t stack_peek(struct cpu *cpu, uint32_t depth, unsigned size)
{
    return mem_read(cpu, S_SS, (cpu->regs[R_ESP] + depth) & sp_mask(cpu), size);
}

static inline uint32_t pop(struct cpu *cpu, unsigned size)
{
    uint32_t v = stack_peek(cpu, 0, size);
    set_sp(cpu, cpu->regs[R_ESP] + size);
    return v;
}

/* --- control flow and modes ------------------------------------------- */

static inline bool cpu_pe(const struct cpu *cpu)
{
    return cpu->cr[0] & 1;
}

static inline bool cpu_v86(const struct cpu *cpu)
{
    return (cpu->eflags & FL_VM) != 0;
}

/* Jump within the code segment (near): EIP is cut to the operand size. */
void cpu_jump_near(struct cpu *cpu, uint32_t target, unsigned opsize);

/* Load a segment register as MOV/POP would, with the checks of the mode. */
void cpu_load_seg(struct cpu *cpu, unsigned seg, uint16_t selector);

/* Far transfer to CS:EIP as JMP/CALL/RET/IRET would within one privilege level. */
void cpu_load_cs(struct cpu *cpu, uint16_t selector, uint32_t eip);

/* Recompute the mode bits after CR0, CS, SS or EFLAGS.VM changed. */
void cpu_update_mode(struct cpu *cpu);

/*
 * Work that retires no instruction yet takes time (a long REP string
 * instruction's slice of iterations) counts against the budget of the run.
 */
static inline void cpu_charge_work(struct cpu *cpu, uint64_t units)
{
    struct cpu_internal *c = cpu->internal;
    c->run_end = c->run_end > units ? c->run_end - units : 0;
}

/* Request the run loop stop after this instruction. */
static inline void cpu_stop(struct cpu *cpu, enum cpu_exit why)
{
    cpu->internal->stop_run = true;
    cpu->internal->stop_reason = why;
}

/* IOPL and TSS I/O-bitmap check for IN/OUT/INS/OUTS: #GP(0) when the port is not allowed. */
void cpu_check_io(struct cpu *cpu, uint16_t port, unsigned size);

void cpu_decoder_init(struct cpu *cpu);
void cpu_decoder_destroy(struct cpu *cpu);

#endif
