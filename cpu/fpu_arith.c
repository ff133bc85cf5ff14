/*
 * x87 arithmetic and comparisons (SDM Vol. 2 FADD..FDIVR, FCOM..FUCOMIP,
 * FTST, FXAM, FCMOVcc, FCHS, FABS, FSQRT, FRNDINT, FSCALE, FXTRACT,
 * FPREM, FPREM1): operand forms, stack faults and their masked responses,
 * condition codes. The numbers come from cpu/softfloat80.c.
 */
#include "cpu/handlers.h"

/* dst op src, for the sub-operations of FADD..FDIVR. */
static struct f80 arith(unsigned op, struct f80 dst, struct f80 src, struct sf_ctx *c)
{
    switch (op) {
    case FPU_ADD:
        return sf_add(dst, src, c);
    case FPU_MUL:
        return sf_mul(dst, src, c);
    case FPU_SUB:
        return sf_sub(dst, src, c);
    case FPU_SUBR:
        return sf_sub(src, dst, c);
    case FPU_DIV:
        return sf_div(dst, src, c);
    default:
        return sf_div(src, dst, c);
    }
}

/*
 * A denormal memory operand was widened to a normal extended value: its
 * denormal-operand exception, unless a NaN or unsupported ST(0) makes the
 * operation an invalid or NaN one first, or it is divided by zero (FDIVR).
 */
static unsigned memory_denormal(bool denormal, struct f80 st0, unsigned op)
{
    enum sf_class k = sf_classify(st0);
    if (!denormal || k == SF_QNAN || k == SF_SNAN || k == SF_UNSUPPORTED)
        return 0;
    return op == FPU_DIVR && k == SF_ZERO ? 0 : SF_DE;
}

/* ST(0) = ST(0) op m32/m64 real or m16/m32 integer. */
static void arith_memory(struct cpu *cpu, const struct insn *in, bool integer)
{
    struct fpu *f = fpu_begin(cpu, in, FPU_ARITH);
    if (!f)
        return;
    bool denormal;
    struct f80 src = fpu_read_operand(cpu, in, integer, &denormal), r = src;
    struct sf_ctx c = {f->cw, memory_denormal(denormal, fpu_get(f, 0), in->sub & 7)};
    if (fpu_is_empty(f, 0)) {
        if (fpu_underflow(cpu))
            fpu_set(f, 0, sf_indefinite());
        return;
    }
    if (!fpu_stops(f, c.flags))
        r = arith(in->sub & 7, fpu_get(f, 0), src, &c);
    if (fpu_result(cpu, &c))
        fpu_set(f, 0, r);
}

void h_farith(struct cpu *cpu, const struct insn *in)
{
    if (in->o[0].kind == OP_MEM) {
        arith_memory(cpu, in, false);
        return;
    }
    struct fpu *f = fpu_begin(cpu, in, FPU_ARITH);
    if (!f)
        return;
    unsigned d = in->o[0].reg, s = in->o[1].reg;
    struct sf_ctx c = {f->cw, 0};
    struct f80 r = sf_indefinite();
    if (fpu_is_empty(f, d) || fpu_is_empty(f, s)) {
        if (!fpu_underflow(cpu))
            return;
    } else {
        r = arith(in->sub & 7, fpu_get(f, d), fpu_get(f, s), &c);
        if (!fpu_result(cpu, &c))
            return;
    }
    fpu_set(f, d, r);
    if (in->sub & FPU_POP)
        fpu_pop(f);
}

void h_fiarith(struct cpu *cpu, const struct insn *in)
{
    arith_memory(cpu, in, true);
}

/* --- comparisons ------------------------------------------------------ */

static unsigned relation_cc(enum sf_relation r)
{
    static const uint16_t cc[] = {
        [SF_LESS] = SF_C0,
        [SF_EQUAL] = SF_C3,
        [SF_GREATER] = 0,
        [SF_UNORDERED] = SF_C3 | SF_C2 | SF_C0,
    };
    return cc[r];
}

/* The ST(i) operand of a register form (ST(1) when the encoding has none). */
static unsigned st_operand(const struct insn *in)
{
    return in->nops ? in->o[in->nops - 1].reg : 1;
}

/*
 * Compare ST(0) with the source: false when an unmasked exception (a
 * stack fault, an invalid or a denormal operand) stops the instruction,
 * which then sets no condition codes and pops nothing (SDM Vol. 2 FCOM,
 * FCOMI; Vol. 1 §4.9.2). A masked stack fault compares unordered.
 */
static bool compare(struct cpu *cpu, struct fpu *f, const struct insn *in, bool quiet, bool integer,
                    enum sf_relation *rel)
{
    struct sf_ctx c = {f->cw, 0};
    bool denormal = false, empty = fpu_is_empty(f, 0);
    struct f80 src;
    if (in->nops && in->o[0].kind == OP_MEM) {
        src = fpu_read_operand(cpu, in, integer, &denormal);
    } else {
        src = fpu_get(f, st_operand(in));
        empty = empty || fpu_is_empty(f, st_operand(in));
    }
    if (empty) {
        *rel = SF_UNORDERED;
        return fpu_underflow(cpu);
    }
    c.flags |= memory_denormal(denormal, fpu_get(f, 0), FPU_SUB);
    *rel = sf_compare(fpu_get(f, 0), src, quiet, &c);
    fpu_raise(cpu, c.flags);
    return !fpu_stops(f, c.flags);
}

void h_fcom(struct cpu *cpu, const struct insn *in)
{
    struct fpu *f = fpu_begin(cpu, in, FPU_ARITH);
    if (!f)
        return;
    enum sf_relation rel;
    if (!compare(cpu, f, in, in->sub & FPU_CMP_QUIET, in->sub & FPU_CMP_INT, &rel))
        return;
    fpu_set_cc(f, FPU_SW_CC, relation_cc(rel));
    for (unsigned n = in->sub & 3; n; n--)
        fpu_pop(f);
}

/*
 * FCOMI: the relation in ZF, PF and CF, with OF, SF and AF cleared; when
 * an unmasked exception stops it only OF is cleared (SDM Vol. 2 FCOMI).
 * C1 is left alone unless a stack fault clears it.
 */
void h_fcomi(struct cpu *cpu, const struct insn *in)
{
    static const uint32_t flags[] = {
        [SF_LESS] = FL_CF,
        [SF_EQUAL] = FL_ZF,
        [SF_GREATER] = 0,
        [SF_UNORDERED] = FL_ZF | FL_PF | FL_CF,
    };
    struct fpu *f = fpu_begin(cpu, in, FPU_ARITH);
    if (!f)
        return;
    enum sf_relation rel;
    if (!compare(cpu, f, in, in->sub & FPU_CMP_QUIET, false, &rel)) {
        cc_store(cpu, cpu_get_eflags(cpu) & ~FL_OF);
        return;
    }
    cc_store(cpu, flags[rel]);
    if (in->sub & 1)
        fpu_pop(f);
}

void h_ftst(struct cpu *cpu, const struct insn *in)
{
    struct fpu *f = fpu_begin(cpu, in, FPU_ARITH);
    if (!f)
        return;
    struct sf_ctx c = {f->cw, 0};
    enum sf_relation rel = SF_UNORDERED;
    if (fpu_is_empty(f, 0)) {
        if (!fpu_underflow(cpu))
            return;
    } else {
        rel = sf_compare(fpu_get(f, 0), sf_const(SF_K_ZERO, 0), false, &c);
        fpu_raise(cpu, c.flags);
        if (fpu_stops(f, c.flags))
            return;
    }
    fpu_set_cc(f, FPU_SW_CC, relation_cc(rel));
}

/* FXAM: the class in C3 C2 C0, the sign in C1 (SDM Vol. 2 FXAM). */
void h_fxam(struct cpu *cpu, const struct insn *in)
{
    static const uint16_t cc[] = {
        [SF_ZERO] = SF_C3,        [SF_NORMAL] = SF_C2, [SF_DENORMAL] = SF_C3 | SF_C2,
        [SF_INF] = SF_C2 | SF_C0, [SF_QNAN] = SF_C0,   [SF_SNAN] = SF_C0,
        [SF_UNSUPPORTED] = 0,
    };
    struct fpu *f = fpu_begin(cpu, in, FPU_ARITH);
    if (!f)
        return;
    struct f80 v = fpu_get(f, 0);
    unsigned code = fpu_is_empty(f, 0) ? SF_C3 | SF_C0 : cc[sf_classify(v)];
    fpu_set_cc(f, FPU_SW_CC, code | (f80_sign(v) ? SF_C1 : 0));
}

/* FCMOVcc: sub is the EFLAGS condition (B, E, BE, U and their negations). */
void h_fcmov(struct cpu *cpu, const struct insn *in)
{
    struct fpu *f = fpu_begin(cpu, in, FPU_ARITH);
    if (!f)
        return;
    unsigned i = in->o[1].reg;
    if (fpu_is_empty(f, 0) || fpu_is_empty(f, i)) {
        if (fpu_underflow(cpu))
            fpu_set(f, 0, sf_indefinite());
        return;
    }
    if (cpu_cond(cpu, in->sub))
        fpu_set(f, 0, fpu_get(f, i));
}

/* --- one-operand instructions ----------------------------------------- */

/* ST(0) is empty: the masked response puts the indefinite there. False: nothing to do. */
static bool st0_present(struct cpu *cpu, struct fpu *f)
{
    if (!fpu_is_empty(f, 0))
        return true;
    if (fpu_underflow(cpu))
        fpu_set(f, 0, sf_indefinite());
    return false;
}

void h_fchs(struct cpu *cpu, const struct insn *in)
{
    struct fpu *f = fpu_begin(cpu, in, FPU_ARITH);
    if (!f || !st0_present(cpu, f))
        return;
    struct f80 v = fpu_get(f, 0);
    v.se = in->sub ? v.se & 0x7fff : v.se ^ 0x8000;
    fpu_set(f, 0, v);
    fpu_set_cc(f, SF_C1, 0);
}

static void unary(struct cpu *cpu, const struct insn *in,
                  struct f80 (*op)(struct f80, struct sf_ctx *))
{
    struct fpu *f = fpu_begin(cpu, in, FPU_ARITH);
    if (!f || !st0_present(cpu, f))
        return;
    struct sf_ctx c = {f->cw, 0};
    struct f80 r = op(fpu_get(f, 0), &c);
    if (fpu_result(cpu, &c))
        fpu_set(f, 0, r);
}

void h_fsqrt(struct cpu *cpu, const struct insn *in)
{
    unary(cpu, in, sf_sqrt);
}

void h_frndint(struct cpu *cpu, const struct insn *in)
{
    unary(cpu, in, sf_round_int);
}

/* ST(0) and ST(1) both present, or the masked response to their absence in ST(0). */
static bool st01_present(struct cpu *cpu, struct fpu *f)
{
    if (!fpu_is_empty(f, 0) && !fpu_is_empty(f, 1))
        return true;
    if (fpu_underflow(cpu))
        fpu_set(f, 0, sf_indefinite());
    return false;
}

void h_fscale(struct cpu *cpu, const struct insn *in)
{
    struct fpu *f = fpu_begin(cpu, in, FPU_ARITH);
    if (!f || !st01_present(cpu, f))
        return;
    struct sf_ctx c = {f->cw, 0};
    struct f80 r = sf_scale(fpu_get(f, 0), fpu_get(f, 1), &c);
    if (fpu_result(cpu, &c))
        fpu_set(f, 0, r);
}

/* FXTRACT: ST(0) becomes the exponent and the significand is pushed. */
void h_fxtract(struct cpu *cpu, const struct insn *in)
{
    struct fpu *f = fpu_begin(cpu, in, FPU_ARITH);
    if (!f)
        return;
    struct sf_ctx c = {f->cw, 0};
    struct f80 e, s;
    if (fpu_is_empty(f, 0)) {
        if (!fpu_underflow(cpu))
            return;
        e = s = sf_indefinite();
    } else if (!fpu_is_empty(f, 7)) {
        if (!fpu_overflow(cpu))
            return;
        e = s = sf_indefinite();
    } else {
        sf_xtract(fpu_get(f, 0), &e, &s, &c);
        if (!fpu_result(cpu, &c))
            return;
    }
    fpu_set(f, 0, e);
    fpu_push(f, s);
}

void h_fprem(struct cpu *cpu, const struct insn *in)
{
    struct fpu *f = fpu_begin(cpu, in, FPU_ARITH);
    if (!f)
        return;
    if (!st01_present(cpu, f)) {
        fpu_set_cc(f, SF_C2, 0);
        return;
    }
    struct sf_ctx c = {f->cw, 0};
    struct f80 r;
    bool developed = sf_rem(fpu_get(f, 0), fpu_get(f, 1), in->sub, &r, &c);
    fpu_raise(cpu, c.flags);
    fpu_set_cc(f, developed ? FPU_SW_CC : SF_C1 | SF_C2, c.flags);
    if (!fpu_stops(f, c.flags))
        fpu_set(f, 0, r);
}
