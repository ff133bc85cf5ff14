/*
 * The x87 FPU of a Pentium Pro/II: its state (SDM Vol. 1 §8.1), the
 * helpers its instruction files share (stack, exceptions, memory
 * operands), and the instruction handlers cpu/table.c points at.
 *
 * cpu/fpu.c       state, exceptions and their reporting, loads and stores,
 *                 control instructions
 * cpu/fpu_env.c   FSTENV/FLDENV, FSAVE/FRSTOR, FXSAVE/FXRSTOR
 * cpu/fpu_arith.c arithmetic, comparisons, FXAM, FCMOVcc, FSCALE, FPREM...
 * cpu/fpu_trans.c transcendentals
 * The numbers come from cpu/softfloat80.c; the transcendentals from the
 * host x87 (cpu/fpu_host_x87.c) when there is one and POPEK_FPU=soft is not
 * set, else from portable code in cpu/fpu_trans.c.
 */
#ifndef POPEK_CPU_FPU_H
#define POPEK_CPU_FPU_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cpu/fpu_host.h"
#include "cpu/softfloat80.h"

struct cpu;
struct insn;

/* Status word bits beyond the exception flags and condition codes (SDM Vol. 1 §8.1.3). */
#define FPU_SW_SF  0x0040u /* stack fault */
#define FPU_SW_ES  0x0080u /* error summary: an unmasked exception is pending */
#define FPU_SW_TOP 0x3800u
#define FPU_SW_B   0x8000u /* busy, a copy of ES */
#define FPU_SW_CC  (SF_C0 | SF_C1 | SF_C2 | SF_C3)

/* Control word: bit 6 reads as one, bits 13-15 as zero. */
#define FPU_CW_WRITABLE 0x1f3fu
#define FPU_CW_ONE      0x0040u
#define FPU_CW_INIT     0x037fu

/* Tags as FSTENV and FSAVE store them (SDM Vol. 1 §8.1.7). */
enum { FPU_TAG_VALID, FPU_TAG_ZERO, FPU_TAG_SPECIAL, FPU_TAG_EMPTY };

struct fpu {
    struct f80 st[8]; /* physical registers R0-R7 */
    uint16_t cw;      /* control word */
    uint16_t sw;      /* status word without TOP, ES and B (derived) */
    uint8_t top;      /* ST(0) is R[top] */
    uint8_t empty;    /* bit i set: Ri is empty (the tag word keeps no more) */
    uint16_t fop;     /* opcode of the last non-control instruction (11 bits) */
    uint16_t fcs;     /* its CS selector */
    uint16_t fds;     /* the segment selector of its memory operand */
    uint32_t fip;     /* its offset (prefixes included) */
    uint32_t fdp;     /* the offset of its memory operand */
    bool soft;        /* portable transcendentals (POPEK_FPU=soft, or no host x87) */
    bool ferr;        /* the FERR# level last given to cpu->ferr */
};

/* --- state (cpu/fpu.c) ------------------------------------------------ */

/* Choose once: the host x87's transcendentals unless POPEK_FPU=soft or there is none. */
void fpu_select(struct fpu *f);
/* The state after RESET (SDM Vol. 3A Table 9-1) and after FNINIT. */
void fpu_reset(struct cpu *cpu);
void fpu_init(struct cpu *cpu);

static inline unsigned fpu_phys(const struct fpu *f, unsigned i)
{
    return (f->top + i) & 7;
}

static inline bool fpu_is_empty(const struct fpu *f, unsigned i)
{
    return (f->empty >> fpu_phys(f, i)) & 1;
}

static inline struct f80 fpu_get(const struct fpu *f, unsigned i)
{
    return f->st[fpu_phys(f, i)];
}

static inline void fpu_set(struct fpu *f, unsigned i, struct f80 v)
{
    unsigned p = fpu_phys(f, i);
    f->st[p] = v;
    f->empty &= (uint8_t) ~(1u << p);
}

static inline void fpu_push(struct fpu *f, struct f80 v)
{
    f->top = (f->top - 1) & 7;
    fpu_set(f, 0, v);
}

static inline void fpu_pop(struct fpu *f)
{
    f->empty |= (uint8_t)(1u << f->top);
    f->top = (f->top + 1) & 7;
}

static inline void fpu_set_cc(struct fpu *f, unsigned mask, unsigned value)
{
    f->sw = (uint16_t)((f->sw & ~mask) | (value & mask));
}

/* The status word as FSTSW stores it. */
uint16_t fpu_status(const struct fpu *f);
/* The full tag word, computed from the registers' contents. */
uint16_t fpu_tag_word(const struct fpu *f);
/* Load the status word (TOP included) and the control word. */
void fpu_load_sw(struct cpu *cpu, uint16_t sw);
void fpu_load_cw(struct cpu *cpu, uint16_t cw);
/* Load a tag word: only its empty tags matter, the others follow the contents. */
void fpu_load_tags(struct fpu *f, uint16_t tw);
/* Give FERR# its level again after ES or CR0.NE may have changed. */
void fpu_sync_ferr(struct cpu *cpu);

/* --- instruction frame ----------------------------------------------- */

/* How an instruction starts (SDM Vol. 1 §8.3.12 and §8.6). */
#define FPU_WAITS    0x1u /* reports a pending unmasked exception first */
#define FPU_POINTERS 0x2u /* a non-control instruction: FIP, FCS, FOP (FDP, FDS) */
#define FPU_ARITH    (FPU_WAITS | FPU_POINTERS)

/*
 * Begin an x87 instruction: #NM for CR0.EM or CR0.TS, then with
 * FPU_WAITS a pending exception is reported (#MF, or with CR0.NE clear
 * the processor freezes for IRQ 13: NULL is returned and the instruction
 * must do nothing), then with FPU_POINTERS the last-instruction pointers
 * are recorded.
 */
struct fpu *fpu_begin(struct cpu *cpu, const struct insn *in, unsigned how);
/* FWAIT: report a pending unmasked exception, as a waiting instruction does. */
void fpu_wait(struct cpu *cpu);

/* Merge exception flags (and a stack fault) into the status word; FERR# follows. */
void fpu_raise(struct cpu *cpu, unsigned flags);
/* An exception in `flags` that leaves the destination unchanged is unmasked. */
static inline bool fpu_stops(const struct fpu *f, unsigned flags)
{
    return (flags & ~f->cw & (SF_IE | SF_DE | SF_ZE)) != 0;
}
/* Stack underflow (C1 = 0) or overflow (C1 = 1): true when IE is masked. */
bool fpu_underflow(struct cpu *cpu);
bool fpu_overflow(struct cpu *cpu);
/* Finish an arithmetic result: exceptions, C1 = rounded up; false if it must not be stored. */
bool fpu_result(struct cpu *cpu, const struct sf_ctx *c);

/* --- byte images (little-endian) -------------------------------------- */

static inline void fpu_put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void fpu_put32(uint8_t *p, uint32_t v)
{
    fpu_put16(p, v & 0xffff);
    fpu_put16(p + 2, v >> 16);
}

static inline unsigned fpu_get16(const uint8_t *p)
{
    return p[0] | (p[1] << 8);
}

static inline uint32_t fpu_get32(const uint8_t *p)
{
    return fpu_get16(p) | ((uint32_t)fpu_get16(p + 2) << 16);
}

static inline struct f80 fpu_f80_get(const uint8_t *p)
{
    struct f80 v;
    memcpy(&v.sig, p, 8);
    memcpy(&v.se, p + 8, 2);
    return v;
}

static inline void fpu_f80_put(uint8_t *p, struct f80 v)
{
    memcpy(p, &v.sig, 8);
    memcpy(p + 8, &v.se, 2);
}

/* --- memory operands -------------------------------------------------- */

/* `len` bytes at `offset` into the memory operand; writes are all or nothing. */
void fpu_read_bytes(struct cpu *cpu, const struct insn *in, unsigned offset, void *buf,
                    unsigned len);
void fpu_write_bytes(struct cpu *cpu, const struct insn *in, unsigned offset, const void *buf,
                     unsigned len);
uint64_t fpu_read(struct cpu *cpu, const struct insn *in, unsigned size);
struct f80 fpu_read_m80(struct cpu *cpu, const struct insn *in);
void fpu_write(struct cpu *cpu, const struct insn *in, uint64_t v, unsigned size);
void fpu_write_m80(struct cpu *cpu, const struct insn *in, struct f80 v);
/*
 * A real or integer memory operand of an arithmetic or comparison
 * instruction (size 2 or 4 integer, 4 or 8 real) as an extended operand.
 * Real operands keep signalling NaNs signalling; a denormal is widened
 * exactly and reported through *denormal.
 */
struct f80 fpu_read_operand(struct cpu *cpu, const struct insn *in, bool integer, bool *denormal);

/* --- handlers --------------------------------------------------------- */

/* cpu/fpu.c */
void h_fld(struct cpu *cpu, const struct insn *in);
void h_fild(struct cpu *cpu, const struct insn *in);
void h_fbld(struct cpu *cpu, const struct insn *in);
void h_fldconst(struct cpu *cpu, const struct insn *in); /* sub: enum sf_const */
void h_fst(struct cpu *cpu, const struct insn *in);      /* sub 1: pop */
void h_fstpnce(struct cpu *cpu, const struct insn *in);
void h_fist(struct cpu *cpu, const struct insn *in); /* sub 1: pop */
void h_fbstp(struct cpu *cpu, const struct insn *in);
void h_fxch(struct cpu *cpu, const struct insn *in);
void h_ffree(struct cpu *cpu, const struct insn *in);   /* sub 1: FFREEP */
void h_fincstp(struct cpu *cpu, const struct insn *in); /* sub 1: FDECSTP */
void h_fnop(struct cpu *cpu, const struct insn *in);
void h_fnop_control(struct cpu *cpu, const struct insn *in); /* FNENI FNDISI FNSETPM */
void h_fldcw(struct cpu *cpu, const struct insn *in);
void h_fnstcw(struct cpu *cpu, const struct insn *in);
void h_fnstsw(struct cpu *cpu, const struct insn *in);
void h_fninit(struct cpu *cpu, const struct insn *in);
void h_fnclex(struct cpu *cpu, const struct insn *in);

/* cpu/fpu_env.c */
void h_fnstenv(struct cpu *cpu, const struct insn *in);
void h_fldenv(struct cpu *cpu, const struct insn *in);
void h_fnsave(struct cpu *cpu, const struct insn *in);
void h_frstor(struct cpu *cpu, const struct insn *in);
void h_fxsave(struct cpu *cpu, const struct insn *in);
void h_fxrstor(struct cpu *cpu, const struct insn *in);
/*
 * The x87 part of the FXSAVE area (SDM Vol. 2 FXSAVE, Table 3-53): bytes
 * 0-23 and the registers at 32-159; MXCSR (24-31) is left 0. Tier 1 moves
 * the state to and from the host's x87 through it; `pointers` false keeps
 * FOP, FIP, FCS, FDP and FDS as they are.
 */
#define FPU_FXSAVE_BYTES 160
/*
 * Whether the x87 state may run on a host's x87 as it stands (tier 1): no
 * #NM to raise (CR0.EM and CR0.TS clear), every exception masked (none can
 * trap or assert FERR#), and the host's transcendentals in use.
 */
bool fpu_runs_on_host(const struct cpu *cpu);
void fpu_fxsave_image(const struct fpu *f, uint8_t img[FPU_FXSAVE_BYTES]);
void fpu_fxrstor_image(struct cpu *cpu, const uint8_t img[FPU_FXSAVE_BYTES], bool pointers);

/* cpu/fpu_arith.c */
enum { FPU_ADD, FPU_MUL, FPU_SUB, FPU_SUBR, FPU_DIV, FPU_DIVR };
#define FPU_POP 0x8u
void h_farith(struct cpu *cpu, const struct insn *in);  /* sub: FPU_ADD.. | FPU_POP */
void h_fiarith(struct cpu *cpu, const struct insn *in); /* sub: FPU_ADD.. */
#define FPU_CMP_QUIET 0x4u                              /* FUCOM* */
#define FPU_CMP_INT   0x8u                              /* FICOM* */
void h_fcom(struct cpu *cpu, const struct insn *in);    /* sub: pops (0-2) | QUIET | INT */
void h_fcomi(struct cpu *cpu, const struct insn *in);   /* sub: pops (0-1) | QUIET */
void h_ftst(struct cpu *cpu, const struct insn *in);
void h_fxam(struct cpu *cpu, const struct insn *in);
void h_fcmov(struct cpu *cpu, const struct insn *in); /* sub: condition (see fpu_arith.c) */
void h_fchs(struct cpu *cpu, const struct insn *in);  /* sub 1: FABS */
void h_fsqrt(struct cpu *cpu, const struct insn *in);
void h_frndint(struct cpu *cpu, const struct insn *in);
void h_fscale(struct cpu *cpu, const struct insn *in);
void h_fxtract(struct cpu *cpu, const struct insn *in);
void h_fprem(struct cpu *cpu, const struct insn *in); /* sub 1: FPREM1 */

/* cpu/fpu_trans.c: sub is enum fpu_host_op */
void h_ftrans(struct cpu *cpu, const struct insn *in);

#endif
