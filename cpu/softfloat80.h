/*
 * Portable 80-bit extended-precision arithmetic with the x87's rules: one
 * correct rounding per operation to 24, 53 or 64 bits (precision control)
 * in the four rounding modes, the extended exponent range whatever the
 * precision, denormal results rounded at the same place in the significand
 * field, tininess detected after rounding, and the x87's masked and
 * unmasked responses to invalid operation, denormal operand, division by
 * zero, overflow, underflow and precision (SDM Vol. 1 §4.7-4.9, §8.5).
 *
 * Operands are plain bit patterns; every operation takes the control word
 * and accumulates the exceptions it raises (and C1, "rounded up") in a
 * context. It never looks at FPU state: cpu/fpu*.c decide what to store.
 * When an unmasked invalid-operation, denormal or divide-by-zero exception
 * is raised the returned value is meaningless and must not be stored; for
 * memory formats the same holds for unmasked overflow and underflow.
 */
#ifndef POPEK_CPU_SOFTFLOAT80_H
#define POPEK_CPU_SOFTFLOAT80_H

#include <stdbool.h>
#include <stdint.h>

/* An extended-precision value: 64-bit significand with explicit integer bit, sign and exponent. */
struct f80 {
    uint64_t sig;
    uint16_t se; /* bit 15 sign, bits 0-14 biased exponent */
};

#define F80_BIAS    16383
#define F80_EXP_MAX 0x7fff

/* Exception flags and condition codes, at their places in the x87 status word. */
#define SF_IE 0x0001u
#define SF_DE 0x0002u
#define SF_ZE 0x0004u
#define SF_OE 0x0008u
#define SF_UE 0x0010u
#define SF_PE 0x0020u
#define SF_C0 0x0100u
#define SF_C1 0x0200u
#define SF_C2 0x0400u
#define SF_C3 0x4000u

/* Control-word fields (SDM Vol. 1 §8.1.5). */
#define SF_CW_MASKS  0x003fu
#define SF_CW_PC(cw) (((cw) >> 8) & 3u)
#define SF_CW_RC(cw) (((cw) >> 10) & 3u)

enum { SF_RC_NEAREST, SF_RC_DOWN, SF_RC_UP, SF_RC_ZERO };

struct sf_ctx {
    uint16_t cw;    /* the x87 control word: masks, precision and rounding control */
    uint16_t flags; /* out: exceptions raised, C1 when rounded up, C0-C3 where defined */
};

/* Operand classes (SDM Vol. 1 §8.2.2 and Table 8-3). */
enum sf_class {
    SF_ZERO,
    SF_NORMAL,
    SF_DENORMAL, /* denormal or pseudo-denormal */
    SF_INF,
    SF_QNAN,
    SF_SNAN,
    SF_UNSUPPORTED, /* unnormal, pseudo-NaN, pseudo-infinity */
};

enum sf_relation { SF_LESS, SF_EQUAL, SF_GREATER, SF_UNORDERED };

/* A result format: precision, exponent range (biased as in f80) and the unmasked response. */
struct sf_fmt {
    uint8_t prec;
    int32_t emin, emax;
    bool wrap; /* a register destination: unmasked O/U deliver a rebiased result */
};

extern const struct sf_fmt sf_fmt_f32, sf_fmt_f64, sf_fmt_f80;

static inline bool f80_sign(struct f80 a)
{
    return a.se >> 15;
}

static inline int32_t f80_exp(struct f80 a)
{
    return a.se & 0x7fff;
}

static inline struct f80 f80_make(bool sign, int32_t exp, uint64_t sig)
{
    return (struct f80){sig, (uint16_t)((sign ? 0x8000u : 0) | (uint32_t)exp)};
}

enum sf_class sf_classify(struct f80 a);

static inline bool sf_is_nan(struct f80 a)
{
    enum sf_class k = sf_classify(a);
    return k == SF_QNAN || k == SF_SNAN;
}

/* The default NaN, "real indefinite" (SDM Vol. 1 §4.8.3.7). */
static inline struct f80 sf_indefinite(void)
{
    return f80_make(true, F80_EXP_MAX, 0xc000000000000000ull);
}

/* The precision control's significand width (PC = 01, reserved, acts as 64). */
unsigned sf_precision(uint16_t cw);

/*
 * Round a positive significand `sig` (bit 127 the integer bit, lower bits
 * sticky) with biased exponent `exp` to `fmt`. Denormal results come back
 * with exponent field 0 and the significand as the f80 field would hold it.
 */
struct f80 sf_round_pack(bool sign, int32_t exp, unsigned __int128 sig, const struct sf_fmt *fmt,
                         struct sf_ctx *c);

/* The format FADD..FSQRT round to under the control word's precision control. */
struct sf_fmt sf_fmt_pc(uint16_t cw);

/* Arithmetic: precision control applies. */
struct f80 sf_add(struct f80 a, struct f80 b, struct sf_ctx *c);
struct f80 sf_sub(struct f80 a, struct f80 b, struct sf_ctx *c);
struct f80 sf_mul(struct f80 a, struct f80 b, struct sf_ctx *c);
struct f80 sf_div(struct f80 a, struct f80 b, struct sf_ctx *c);
struct f80 sf_sqrt(struct f80 a, struct sf_ctx *c);

/* FRNDINT, FSCALE (a * 2^trunc(b)) and FXTRACT. */
struct f80 sf_round_int(struct f80 a, struct sf_ctx *c);
struct f80 sf_scale(struct f80 a, struct f80 b, struct sf_ctx *c);
void sf_xtract(struct f80 a, struct f80 *exponent, struct f80 *significand, struct sf_ctx *c);

/*
 * FPREM (nearest = false) and FPREM1: true when a remainder was developed,
 * with C0-C3 in c->flags (C2 set for a partial one). False for a NaN or
 * invalid result or an unmasked exception: then C1 and C2 are cleared and
 * C0 and C3 keep their values.
 */
bool sf_rem(struct f80 a, struct f80 b, bool nearest, struct f80 *res, struct sf_ctx *c);

/* FCOM (quiet = false: any NaN is invalid) and FUCOM (only signalling NaNs are). */
enum sf_relation sf_compare(struct f80 a, struct f80 b, bool quiet, struct sf_ctx *c);

/*
 * Conversions. The narrow formats are the bit patterns of memory operands.
 * Stores (sf_to_*) raise no denormal-operand exception: a denormal source
 * is simply tiny.
 */
struct f80 sf_from_int(int64_t v);
int64_t sf_to_int(struct f80 a, unsigned bits, struct sf_ctx *c); /* bits 16, 32 or 64 */
struct f80 sf_from_f32(uint32_t v, struct sf_ctx *c); /* FLD: SNaN invalid, denormal reported */
struct f80 sf_from_f64(uint64_t v, struct sf_ctx *c);
/* Exact widening for arithmetic operands: NaNs keep their kind, denormals are flagged. */
struct f80 sf_widen_f32(uint32_t v, bool *denormal);
struct f80 sf_widen_f64(uint64_t v, bool *denormal);
uint32_t sf_to_f32(struct f80 a, struct sf_ctx *c);
uint64_t sf_to_f64(struct f80 a, struct sf_ctx *c);
struct f80 sf_from_bcd(const uint8_t bcd[10]);
void sf_to_bcd(struct f80 a, uint8_t bcd[10], struct sf_ctx *c);

/* A two-operand NaN or unsupported operand: the x87's result (SDM Vol. 1 Table 4-7). */
bool sf_nan_operands(struct f80 a, struct f80 b, struct f80 *res, struct sf_ctx *c);
/* A one-operand NaN or unsupported operand. */
bool sf_nan_operand(struct f80 a, struct f80 *res, struct sf_ctx *c);

/* The constants of FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2 and FLDZ, rounded per RC. */
enum sf_const { SF_K_ONE, SF_K_L2T, SF_K_L2E, SF_K_PI, SF_K_LG2, SF_K_LN2, SF_K_ZERO };
struct f80 sf_const(enum sf_const k, uint16_t cw);

#endif
