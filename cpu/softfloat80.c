/*
 * Portable 80-bit extended arithmetic with the x87's rounding, exception
 * and special-operand rules (see softfloat80.h). Written from the SDM
 * Vol. 1 ch. 4 and 8; wide intermediates use unsigned __int128. Every
 * result goes through sf_round_pack, the one place that rounds.
 */
#include "cpu/softfloat80.h"

#include <math.h>
#include <string.h>

typedef unsigned __int128 u128;

/* The exponent adjustment of unmasked overflow and underflow (SDM Vol. 1 §8.5.4). */
#define WRAP_BIAS 24576

const struct sf_fmt sf_fmt_f32 = {24, F80_BIAS - 126, F80_BIAS + 127, false};
const struct sf_fmt sf_fmt_f64 = {53, F80_BIAS - 1022, F80_BIAS + 1023, false};
const struct sf_fmt sf_fmt_f80 = {64, 1, 0x7ffe, true};

/* A finite nonzero operand with its significand normalized (bit 63 set). */
struct unp {
    bool sign;
    int32_t exp;
    uint64_t sig;
};

enum sf_class sf_classify(struct f80 a)
{
    int32_t e = f80_exp(a);
    bool j = a.sig >> 63;
    if (e == F80_EXP_MAX) {
        if (!j)
            return SF_UNSUPPORTED;
        if ((a.sig << 1) == 0)
            return SF_INF;
        return ((a.sig >> 62) & 1) ? SF_QNAN : SF_SNAN;
    }
    if (e == 0)
        return a.sig ? SF_DENORMAL : SF_ZERO;
    return j ? SF_NORMAL : SF_UNSUPPORTED;
}

/* Denormals (and pseudo-denormals) have the exponent of the smallest normal. */
static struct unp unpack(struct f80 a)
{
    int32_t e = f80_exp(a) ? f80_exp(a) : 1;
    int sh = __builtin_clzll(a.sig);
    return (struct unp){f80_sign(a), e - sh, a.sig << sh};
}

static int clz128(u128 v)
{
    uint64_t hi = (uint64_t)(v >> 64);
    return hi ? __builtin_clzll(hi) : 64 + __builtin_clzll((uint64_t)v);
}

static u128 shift_right_jam(u128 v, int32_t n)
{
    if (n <= 0)
        return v;
    if (n >= 128)
        return v != 0;
    return (v >> n) | ((v << (128 - n)) != 0);
}

/* Raise `flag`; true when it is unmasked. */
static bool raise_flag(struct sf_ctx *c, unsigned flag)
{
    c->flags |= flag;
    return !(c->cw & flag);
}

unsigned sf_precision(uint16_t cw)
{
    static const uint8_t bits[4] = {24, 64, 53, 64};
    return bits[SF_CW_PC(cw)];
}

struct sf_fmt sf_fmt_pc(uint16_t cw)
{
    return (struct sf_fmt){(uint8_t)sf_precision(cw), 1, 0x7ffe, true};
}

static struct f80 zero(bool sign)
{
    return f80_make(sign, 0, 0);
}

static struct f80 infinity(bool sign)
{
    return f80_make(sign, F80_EXP_MAX, 1ull << 63);
}

/* --- rounding --------------------------------------------------------- */

static bool round_increment(unsigned rc, bool sign, u128 rem, u128 half, bool lsb)
{
    switch (rc) {
    case SF_RC_NEAREST:
        return rem > half || (rem == half && lsb);
    case SF_RC_DOWN:
        return sign && rem;
    case SF_RC_UP:
        return !sign && rem;
    default:
        return false;
    }
}

/*
 * Keep the top 128 - `drop` bits of *sig, rounding per RC. Reports whether
 * bits were lost and whether the magnitude went up; returns true when the
 * increment carried out of bit 127 (*sig is then 2^127).
 */
static bool round_bits(u128 *sig, unsigned drop, bool sign, unsigned rc, bool *inexact, bool *up)
{
    u128 mask = ((u128)1 << drop) - 1;
    u128 rem = *sig & mask, kept = *sig & ~mask;
    *inexact = rem != 0;
    *up = rem && round_increment(rc, sign, rem, (u128)1 << (drop - 1), (kept >> drop) & 1);
    if (*up) {
        kept += (u128)1 << drop;
        if (kept == 0) {
            *sig = (u128)1 << 127;
            return true;
        }
    }
    *sig = kept;
    return false;
}

static struct f80 overflow_masked(bool sign, const struct sf_fmt *fmt, struct sf_ctx *c)
{
    unsigned rc = SF_CW_RC(c->cw);
    c->flags |= SF_OE | SF_PE;
    if (rc == SF_RC_NEAREST || (rc == SF_RC_UP && !sign) || (rc == SF_RC_DOWN && sign)) {
        c->flags |= SF_C1;
        return f80_make(sign, F80_EXP_MAX, 1ull << 63);
    }
    return f80_make(sign, fmt->emax, ~0ull << (64 - fmt->prec));
}

/* A tiny result with underflow masked: denormalized, then rounded at the same bit. */
static struct f80 denormal_result(bool sign, int32_t exp, u128 sig, const struct sf_fmt *fmt,
                                  struct sf_ctx *c)
{
    bool inexact, up;
    sig = shift_right_jam(sig, fmt->emin - exp);
    round_bits(&sig, 128 - fmt->prec, sign, SF_CW_RC(c->cw), &inexact, &up);
    if (inexact)
        c->flags |= SF_UE | SF_PE;
    if (up)
        c->flags |= SF_C1;
    return f80_make(sign, (sig >> 127) ? fmt->emin : 0, (uint64_t)(sig >> 64));
}

struct f80 sf_round_pack(bool sign, int32_t exp, u128 sig, const struct sf_fmt *fmt,
                         struct sf_ctx *c)
{
    unsigned drop = 128 - fmt->prec, rc = SF_CW_RC(c->cw);
    bool inexact, up;
    if (exp < fmt->emin) {
        /* Tiny when the result rounded with an unbounded exponent is below the normals. */
        u128 t = sig;
        bool tiny = exp < fmt->emin - 1 || !round_bits(&t, drop, sign, rc, &inexact, &up);
        if (tiny) {
            if (c->cw & SF_UE)
                return denormal_result(sign, exp, sig, fmt, c);
            c->flags |= SF_UE;
            /* Unmasked, the result is rebiased; beyond even that it is zero (FSCALE). */
            if (fmt->wrap && exp + WRAP_BIAS < fmt->emin) {
                c->flags |= SF_PE;
                return zero(sign);
            }
            if (!fmt->wrap)
                return f80_make(sign, 0, 0);
            exp += WRAP_BIAS;
        }
    }
    if (round_bits(&sig, drop, sign, rc, &inexact, &up))
        exp++;
    if (exp > fmt->emax) {
        if (c->cw & SF_OE)
            return overflow_masked(sign, fmt, c);
        c->flags |= SF_OE;
        if (fmt->wrap && exp - WRAP_BIAS > fmt->emax) {
            c->flags |= SF_PE | SF_C1;
            return infinity(sign);
        }
        if (!fmt->wrap)
            return f80_make(sign, 0, 0);
        exp -= WRAP_BIAS;
    }
    if (inexact)
        c->flags |= SF_PE;
    if (up)
        c->flags |= SF_C1;
    return f80_make(sign, exp, (uint64_t)(sig >> 64));
}

static struct f80 pack_unp(struct unp u, const struct sf_fmt *fmt, struct sf_ctx *c)
{
    return sf_round_pack(u.sign, u.exp, (u128)u.sig << 64, fmt, c);
}

/* --- special operands ------------------------------------------------- */

static struct f80 quieten(struct f80 a)
{
    a.sig |= 1ull << 62;
    return a;
}

static struct f80 invalid(struct sf_ctx *c)
{
    c->flags |= SF_IE;
    return sf_indefinite();
}

bool sf_nan_operand(struct f80 a, struct f80 *res, struct sf_ctx *c)
{
    switch (sf_classify(a)) {
    case SF_UNSUPPORTED:
        *res = invalid(c);
        return true;
    case SF_SNAN:
        c->flags |= SF_IE;
        *res = quieten(a);
        return true;
    case SF_QNAN:
        *res = a;
        return true;
    default:
        return false;
    }
}

bool sf_nan_operands(struct f80 a, struct f80 b, struct f80 *res, struct sf_ctx *c)
{
    enum sf_class ka = sf_classify(a), kb = sf_classify(b);
    if (ka == SF_UNSUPPORTED || kb == SF_UNSUPPORTED) {
        *res = invalid(c);
        return true;
    }
    bool na = ka == SF_QNAN || ka == SF_SNAN, nb = kb == SF_QNAN || kb == SF_SNAN;
    if (!na && !nb)
        return false;
    if (ka == SF_SNAN || kb == SF_SNAN)
        c->flags |= SF_IE;
    if (na && nb && ka != kb) {
        /* A signalling and a quiet NaN: the quiet one (SDM Vol. 1 Table 4-7). */
        *res = ka == SF_QNAN ? a : b;
    } else if (na && nb) {
        /* Two of a kind: the one with the larger significand. */
        uint64_t sa = a.sig | (1ull << 62), sb = b.sig | (1ull << 62);
        *res = quieten(sa > sb || (sa == sb && !f80_sign(a)) ? a : b);
    } else {
        *res = quieten(na ? a : b);
    }
    return true;
}

/* The denormal-operand exception for `a`; true when it is unmasked (no result). */
static bool denormal_check(enum sf_class k, struct sf_ctx *c)
{
    return k == SF_DENORMAL && raise_flag(c, SF_DE);
}

/* --- arithmetic ------------------------------------------------------- */

/* |a| >= |b|, both finite nonzero: a + b or a - b exactly, then rounded. */
static struct f80 add_mags(struct unp a, struct unp b, bool subtract, const struct sf_fmt *fmt,
                           struct sf_ctx *c)
{
    u128 x = (u128)a.sig << 63;
    u128 y = shift_right_jam((u128)b.sig << 63, a.exp - b.exp);
    int32_t exp = a.exp;
    u128 s;
    if (!subtract) {
        s = x + y;
        if (s >> 127)
            exp++;
        else
            s <<= 1;
    } else {
        s = x - y;
        if (s == 0)
            return zero(SF_CW_RC(c->cw) == SF_RC_DOWN);
        int sh = clz128(s);
        s <<= sh;
        exp += 1 - sh;
    }
    return sf_round_pack(a.sign, exp, s, fmt, c);
}

static bool mag_less(struct unp a, struct unp b)
{
    return a.exp < b.exp || (a.exp == b.exp && a.sig < b.sig);
}

static struct f80 add_signed(struct f80 a, struct f80 b, bool negate_b, struct sf_ctx *c)
{
    struct f80 r;
    if (sf_nan_operands(a, b, &r, c))
        return r;
    enum sf_class ka = sf_classify(a), kb = sf_classify(b);
    bool sa = f80_sign(a), sb = f80_sign(b) ^ negate_b;
    if (ka == SF_INF || kb == SF_INF) {
        if (ka == SF_INF && kb == SF_INF && sa != sb)
            return invalid(c);
        if (denormal_check(ka, c) || denormal_check(kb, c))
            return r;
        return infinity(ka == SF_INF ? sa : sb);
    }
    if (denormal_check(ka, c) || denormal_check(kb, c))
        return r;
    struct sf_fmt fmt = sf_fmt_pc(c->cw);
    if (ka == SF_ZERO && kb == SF_ZERO)
        return zero(sa == sb ? sa : SF_CW_RC(c->cw) == SF_RC_DOWN);
    if (kb == SF_ZERO)
        return pack_unp(unpack(a), &fmt, c);
    struct unp ub = unpack(b);
    ub.sign = sb;
    if (ka == SF_ZERO)
        return pack_unp(ub, &fmt, c);
    struct unp ua = unpack(a);
    bool subtract = sa != sb;
    return mag_less(ua, ub) ? add_mags(ub, ua, subtract, &fmt, c)
                            : add_mags(ua, ub, subtract, &fmt, c);
}

struct f80 sf_add(struct f80 a, struct f80 b, struct sf_ctx *c)
{
    return add_signed(a, b, false, c);
}

struct f80 sf_sub(struct f80 a, struct f80 b, struct sf_ctx *c)
{
    return add_signed(a, b, true, c);
}

struct f80 sf_mul(struct f80 a, struct f80 b, struct sf_ctx *c)
{
    struct f80 r;
    if (sf_nan_operands(a, b, &r, c))
        return r;
    enum sf_class ka = sf_classify(a), kb = sf_classify(b);
    bool sign = f80_sign(a) ^ f80_sign(b);
    if ((ka == SF_INF && kb == SF_ZERO) || (ka == SF_ZERO && kb == SF_INF))
        return invalid(c);
    if (denormal_check(ka, c) || denormal_check(kb, c))
        return r;
    if (ka == SF_INF || kb == SF_INF)
        return infinity(sign);
    if (ka == SF_ZERO || kb == SF_ZERO)
        return zero(sign);
    struct unp ua = unpack(a), ub = unpack(b);
    u128 p = (u128)ua.sig * ub.sig;
    int32_t exp = ua.exp + ub.exp - F80_BIAS + 1;
    if (!(p >> 127)) {
        p <<= 1;
        exp--;
    }
    struct sf_fmt fmt = sf_fmt_pc(c->cw);
    return sf_round_pack(sign, exp, p, &fmt, c);
}

struct f80 sf_div(struct f80 a, struct f80 b, struct sf_ctx *c)
{
    struct f80 r;
    if (sf_nan_operands(a, b, &r, c))
        return r;
    enum sf_class ka = sf_classify(a), kb = sf_classify(b);
    bool sign = f80_sign(a) ^ f80_sign(b);
    if ((ka == SF_INF && kb == SF_INF) || (ka == SF_ZERO && kb == SF_ZERO))
        return invalid(c);
    /* Division by zero takes precedence over a denormal dividend. */
    if (kb == SF_ZERO && ka != SF_INF) {
        c->flags |= SF_ZE;
        return infinity(sign);
    }
    if (denormal_check(ka, c) || denormal_check(kb, c))
        return r;
    if (ka == SF_INF)
        return infinity(sign);
    if (ka == SF_ZERO || kb == SF_INF)
        return zero(sign);
    struct unp ua = unpack(a), ub = unpack(b);
    /* Two 128/64 steps give a 128-bit quotient; the remainder is sticky. */
    bool ge = ua.sig >= ub.sig;
    u128 n = (u128)ua.sig << (ge ? 63 : 64);
    uint64_t q1 = (uint64_t)(n / ub.sig);
    u128 rem = n % ub.sig;
    u128 n2 = rem << 64;
    uint64_t q2 = (uint64_t)(n2 / ub.sig);
    u128 q = ((u128)q1 << 64) | q2 | ((n2 % ub.sig) != 0);
    int32_t exp = ua.exp - ub.exp + F80_BIAS - (ge ? 0 : 1);
    struct sf_fmt fmt = sf_fmt_pc(c->cw);
    return sf_round_pack(sign, exp, q, &fmt, c);
}

/* floor(sqrt(m)) for m in [2^126, 2^128), and m - root^2. */
static uint64_t isqrt128(u128 m, u128 *rem)
{
    u128 r = (u128)sqrt((double)m);
    if (r == 0)
        r = 1;
    r = (r + m / r) >> 1;
    if (r > UINT64_MAX)
        r = UINT64_MAX;
    while (r * r > m)
        r--;
    while (r < UINT64_MAX && (r + 1) * (r + 1) <= m)
        r++;
    *rem = m - r * r;
    return (uint64_t)r;
}

struct f80 sf_sqrt(struct f80 a, struct sf_ctx *c)
{
    struct f80 r;
    if (sf_nan_operand(a, &r, c))
        return r;
    enum sf_class k = sf_classify(a);
    if (k == SF_ZERO)
        return a;
    if (f80_sign(a))
        return invalid(c);
    if (denormal_check(k, c))
        return r;
    if (k == SF_INF)
        return a;
    struct unp u = unpack(a);
    int32_t e = u.exp - F80_BIAS;
    int32_t half = (e - (e & 1)) / 2;
    u128 rem, m = (u128)u.sig << ((e & 1) ? 64 : 63);
    uint64_t root = isqrt128(m, &rem);
    /* The root is never exactly halfway: rem > root means above it. */
    uint64_t below = rem == 0 ? 0 : rem > root ? (1ull << 63) | 1 : 1;
    struct sf_fmt fmt = sf_fmt_pc(c->cw);
    return sf_round_pack(false, F80_BIAS + half, ((u128)root << 64) | below, &fmt, c);
}

/* --- integers --------------------------------------------------------- */

static struct f80 from_mag(bool sign, uint64_t mag)
{
    if (mag == 0)
        return zero(sign);
    int sh = __builtin_clzll(mag);
    return f80_make(sign, F80_BIAS + 63 - sh, mag << sh);
}

struct f80 sf_from_int(int64_t v)
{
    return from_mag(v < 0, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
}

/*
 * Round a finite nonzero value to an integer per RC: its magnitude, or
 * false when that does not fit 64 bits.
 */
static bool round_to_integer(struct unp u, unsigned rc, uint64_t *mag, bool *inexact, bool *up)
{
    int32_t e = u.exp - F80_BIAS;
    if (e >= 64)
        return false;
    u128 t = shift_right_jam((u128)u.sig << 64, 63 - e);
    round_bits(&t, 64, u.sign, rc, inexact, up);
    *mag = (uint64_t)(t >> 64);
    return true;
}

struct f80 sf_round_int(struct f80 a, struct sf_ctx *c)
{
    struct f80 r;
    if (sf_nan_operand(a, &r, c))
        return r;
    enum sf_class k = sf_classify(a);
    if (k == SF_INF || k == SF_ZERO)
        return a;
    if (denormal_check(k, c))
        return r;
    struct unp u = unpack(a);
    if (u.exp - F80_BIAS >= 63)
        return a;
    uint64_t mag;
    bool inexact, up;
    round_to_integer(u, SF_CW_RC(c->cw), &mag, &inexact, &up);
    if (inexact)
        c->flags |= SF_PE;
    if (up)
        c->flags |= SF_C1;
    return from_mag(u.sign, mag);
}

int64_t sf_to_int(struct f80 a, unsigned bits, struct sf_ctx *c)
{
    const int64_t indefinite = bits == 64 ? INT64_MIN : -((int64_t)1 << (bits - 1));
    enum sf_class k = sf_classify(a);
    if (k == SF_ZERO)
        return 0;
    if (k != SF_NORMAL && k != SF_DENORMAL) {
        c->flags |= SF_IE;
        return indefinite;
    }
    struct unp u = unpack(a);
    uint64_t mag, limit = (1ull << (bits - 1)) - (u.sign ? 0 : 1);
    bool inexact = false, up = false;
    if (!round_to_integer(u, SF_CW_RC(c->cw), &mag, &inexact, &up) || mag > limit) {
        c->flags |= SF_IE;
        return indefinite;
    }
    if (inexact)
        c->flags |= SF_PE;
    if (up)
        c->flags |= SF_C1;
    return u.sign ? (int64_t)(0 - mag) : (int64_t)mag;
}

struct f80 sf_from_bcd(const uint8_t bcd[10])
{
    uint64_t v = 0;
    for (int i = 8; i >= 0; i--)
        v = v * 100 + (uint64_t)(bcd[i] >> 4) * 10 + (bcd[i] & 15);
    return from_mag(bcd[9] >> 7, v);
}

void sf_to_bcd(struct f80 a, uint8_t bcd[10], struct sf_ctx *c)
{
    static const uint8_t indefinite[10] = {0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff};
    enum sf_class k = sf_classify(a);
    uint64_t mag = 0;
    bool inexact = false, up = false;
    if (k != SF_ZERO && k != SF_NORMAL && k != SF_DENORMAL) {
        c->flags |= SF_IE;
        memcpy(bcd, indefinite, 10);
        return;
    }
    if (k != SF_ZERO && (!round_to_integer(unpack(a), SF_CW_RC(c->cw), &mag, &inexact, &up) ||
                         mag > 999999999999999999ull)) {
        c->flags |= SF_IE;
        memcpy(bcd, indefinite, 10);
        return;
    }
    if (inexact)
        c->flags |= SF_PE;
    if (up)
        c->flags |= SF_C1;
    for (int i = 0; i < 9; i++) {
        unsigned two = (unsigned)(mag % 100);
        mag /= 100;
        bcd[i] = (uint8_t)(((two / 10) << 4) | (two % 10));
    }
    bcd[9] = f80_sign(a) ? 0x80 : 0;
}

/* --- memory formats --------------------------------------------------- */

/*
 * A single or double (`fbits` fraction bits, `ebits` exponent bits)
 * widened exactly: NaNs keep their kind, denormals are normalized.
 */
static struct f80 widen(uint64_t v, unsigned fbits, unsigned ebits, bool *denormal)
{
    bool sign = (v >> (fbits + ebits)) & 1;
    int32_t emax = (1 << ebits) - 1, bias = emax >> 1;
    int32_t e = (int32_t)((v >> fbits) & (uint64_t)emax);
    uint64_t frac = v & ((1ull << fbits) - 1);
    unsigned sh = 63 - fbits;
    *denormal = e == 0 && frac != 0;
    if (e == emax)
        return f80_make(sign, F80_EXP_MAX, (1ull << 63) | (frac << sh));
    if (e == 0) {
        if (frac == 0)
            return zero(sign);
        struct unp u = unpack(f80_make(sign, 0, frac << sh));
        return f80_make(sign, u.exp + F80_BIAS - bias, u.sig);
    }
    return f80_make(sign, e - bias + F80_BIAS, (1ull << 63) | (frac << sh));
}

struct f80 sf_widen_f32(uint32_t v, bool *denormal)
{
    return widen(v, 23, 8, denormal);
}

struct f80 sf_widen_f64(uint64_t v, bool *denormal)
{
    return widen(v, 52, 11, denormal);
}

/* FLD m32/m64: a signalling NaN is invalid and quietened, a denormal reported. */
static struct f80 load_narrow(struct f80 r, bool denormal, struct sf_ctx *c)
{
    if (denormal)
        c->flags |= SF_DE;
    if (sf_classify(r) == SF_SNAN) {
        c->flags |= SF_IE;
        r = quieten(r);
    }
    return r;
}

struct f80 sf_from_f32(uint32_t v, struct sf_ctx *c)
{
    bool denormal;
    struct f80 r = sf_widen_f32(v, &denormal);
    return load_narrow(r, denormal, c);
}

struct f80 sf_from_f64(uint64_t v, struct sf_ctx *c)
{
    bool denormal;
    struct f80 r = sf_widen_f64(v, &denormal);
    return load_narrow(r, denormal, c);
}

static uint64_t to_narrow(struct f80 a, const struct sf_fmt *fmt, unsigned fbits, unsigned ebits,
                          struct sf_ctx *c)
{
    uint64_t sign = (uint64_t)f80_sign(a) << (fbits + ebits);
    uint64_t emax = (1ull << ebits) - 1, qbit = 1ull << (fbits - 1);
    unsigned sh = 63 - fbits;
    enum sf_class k = sf_classify(a);
    switch (k) {
    case SF_UNSUPPORTED:
        c->flags |= SF_IE;
        return (1ull << (fbits + ebits)) | (emax << fbits) | qbit;
    case SF_SNAN:
        c->flags |= SF_IE;
        /* fall through */
    case SF_QNAN:
        return sign | (emax << fbits) | qbit | ((a.sig >> sh) & (qbit - 1));
    case SF_INF:
        return sign | (emax << fbits);
    case SF_ZERO:
        return sign;
    default:
        break;
    }
    struct f80 r = pack_unp(unpack(a), fmt, c);
    int32_t e = f80_exp(r);
    uint64_t frac = (r.sig >> sh) & ((1ull << fbits) - 1);
    if (e == F80_EXP_MAX)
        return sign | (emax << fbits);
    if (e == 0)
        return sign | frac;
    return sign | ((uint64_t)(e - F80_BIAS + (int32_t)(emax >> 1)) << fbits) | frac;
}

uint32_t sf_to_f32(struct f80 a, struct sf_ctx *c)
{
    return (uint32_t)to_narrow(a, &sf_fmt_f32, 23, 8, c);
}

uint64_t sf_to_f64(struct f80 a, struct sf_ctx *c)
{
    return to_narrow(a, &sf_fmt_f64, 52, 11, c);
}

/* --- comparisons ------------------------------------------------------ */

/* Compare magnitudes of two non-NaN values: -1, 0, 1. */
static int cmp_mag(struct f80 a, enum sf_class ka, struct f80 b, enum sf_class kb)
{
    if (ka == SF_ZERO || kb == SF_ZERO)
        return (ka != SF_ZERO) - (kb != SF_ZERO);
    if (ka == SF_INF || kb == SF_INF)
        return (ka == SF_INF) - (kb == SF_INF);
    struct unp ua = unpack(a), ub = unpack(b);
    if (ua.exp != ub.exp)
        return ua.exp < ub.exp ? -1 : 1;
    return (ua.sig > ub.sig) - (ua.sig < ub.sig);
}

enum sf_relation sf_compare(struct f80 a, struct f80 b, bool quiet, struct sf_ctx *c)
{
    enum sf_class ka = sf_classify(a), kb = sf_classify(b);
    if (ka == SF_UNSUPPORTED || kb == SF_UNSUPPORTED) {
        c->flags |= SF_IE;
        return SF_UNORDERED;
    }
    if (ka == SF_QNAN || ka == SF_SNAN || kb == SF_QNAN || kb == SF_SNAN) {
        if (!quiet || ka == SF_SNAN || kb == SF_SNAN)
            c->flags |= SF_IE;
        return SF_UNORDERED;
    }
    if (ka == SF_DENORMAL || kb == SF_DENORMAL)
        c->flags |= SF_DE;
    if (ka == SF_ZERO && kb == SF_ZERO)
        return SF_EQUAL;
    bool sa = f80_sign(a) && ka != SF_ZERO, sb = f80_sign(b) && kb != SF_ZERO;
    if (sa != sb)
        return sa ? SF_LESS : SF_GREATER;
    int m = cmp_mag(a, ka, b, kb);
    if (m == 0)
        return SF_EQUAL;
    return (m < 0) != sa ? SF_LESS : SF_GREATER;
}

/* --- FSCALE, FXTRACT, FPREM ------------------------------------------ */

/* trunc(b) for a finite b, clamped far beyond any exponent that matters. */
static int32_t scale_amount(struct f80 b, enum sf_class kb)
{
    if (kb == SF_ZERO)
        return 0;
    struct unp u = unpack(b);
    int32_t e = u.exp - F80_BIAS, n;
    if (e < 0)
        return 0;
    n = e >= 20 ? (1 << 20) : (int32_t)(u.sig >> (63 - e));
    return u.sign ? -n : n;
}

struct f80 sf_scale(struct f80 a, struct f80 b, struct sf_ctx *c)
{
    struct f80 r;
    if (sf_nan_operands(a, b, &r, c))
        return r;
    enum sf_class ka = sf_classify(a), kb = sf_classify(b);
    if (kb == SF_INF) {
        if ((ka == SF_ZERO && !f80_sign(b)) || (ka == SF_INF && f80_sign(b)))
            return invalid(c);
        if (denormal_check(ka, c))
            return r;
        return f80_sign(b) ? zero(f80_sign(a)) : infinity(f80_sign(a));
    }
    if (denormal_check(ka, c) || denormal_check(kb, c))
        return r;
    if (ka == SF_ZERO || ka == SF_INF)
        return a;
    struct unp u = unpack(a);
    u.exp += scale_amount(b, kb);
    return pack_unp(u, &sf_fmt_f80, c);
}

void sf_xtract(struct f80 a, struct f80 *exponent, struct f80 *significand, struct sf_ctx *c)
{
    struct f80 r;
    if (sf_nan_operand(a, &r, c)) {
        *exponent = *significand = r;
        return;
    }
    enum sf_class k = sf_classify(a);
    *significand = a;
    if (k == SF_ZERO) {
        c->flags |= SF_ZE;
        *exponent = infinity(true);
        return;
    }
    if (k == SF_INF) {
        *exponent = infinity(false);
        return;
    }
    if (denormal_check(k, c))
        return;
    struct unp u = unpack(a);
    *exponent = sf_from_int(u.exp - F80_BIAS);
    *significand = f80_make(u.sign, F80_BIAS, u.sig);
}

/* The reduction of a partial remainder: how many quotient bits one FPREM develops. */
static int32_t partial_bits(int32_t d)
{
    return 32 + (d & 31);
}

bool sf_rem(struct f80 a, struct f80 b, bool nearest, struct f80 *res, struct sf_ctx *c)
{
    if (sf_nan_operands(a, b, res, c))
        return false;
    enum sf_class ka = sf_classify(a), kb = sf_classify(b);
    if (ka == SF_INF || kb == SF_ZERO) {
        *res = invalid(c);
        return false;
    }
    if (denormal_check(ka, c) || denormal_check(kb, c))
        return false;
    *res = a;
    if (ka == SF_ZERO)
        return true;
    struct unp ua = unpack(a), ub = unpack(b);
    int32_t d = ua.exp - ub.exp;
    if (kb == SF_INF || d < -1 || (d == -1 && !nearest)) {
        *res = pack_unp(ua, &sf_fmt_f80, c);
        return true;
    }
    bool partial = d >= 64;
    int32_t k = partial ? partial_bits(d) : d;
    /* Both operands in units of the smaller one's last bit. */
    u128 x = (u128)ua.sig << (k > 0 ? k : 0), y = (u128)ub.sig << (k < 0 ? 1 : 0);
    int32_t unit = k < 0 ? ua.exp : ub.exp + d - k;
    u128 q = x / y, rem = x % y;
    bool sign = ua.sign;
    if (nearest && !partial && (2 * rem > y || (2 * rem == y && (q & 1)))) {
        rem = y - rem;
        sign = !sign;
        q++;
    }
    if (partial)
        c->flags |= SF_C2;
    else
        c->flags |= ((q & 4) ? SF_C0 : 0) | ((q & 2) ? SF_C3 : 0) | ((q & 1) ? SF_C1 : 0);
    if (rem == 0) {
        *res = zero(ua.sign);
        return true;
    }
    int sh = clz128(rem);
    *res = sf_round_pack(sign, unit + 64 - sh, rem << sh, &sf_fmt_f80, c);
    return true;
}

/* --- constants -------------------------------------------------------- */

struct f80 sf_const(enum sf_const k, uint16_t cw)
{
    /* log2(10), log2(e), pi, log10(2), ln(2) to 128 bits. */
    static const struct {
        int32_t exp;
        uint64_t hi, lo;
    } table[] = {
        [SF_K_ONE] = {0, 1ull << 63, 0},
        [SF_K_L2T] = {1, 0xd49a784bcd1b8afeull, 0x492bf6ff4dafdb4cull},
        [SF_K_L2E] = {0, 0xb8aa3b295c17f0bbull, 0xbe87fed0691d3e88ull},
        [SF_K_PI] = {1, 0xc90fdaa22168c234ull, 0xc4c6628b80dc1cd1ull},
        [SF_K_LG2] = {-2, 0x9a209a84fbcff798ull, 0x8f8959ac0b7c9178ull},
        [SF_K_LN2] = {-1, 0xb17217f7d1cf79abull, 0xc9e3b39803f2f6afull},
    };
    if (k == SF_K_ZERO)
        return zero(false);
    u128 sig = ((u128)table[k].hi << 64) | table[k].lo;
    bool inexact, up;
    round_bits(&sig, 64, false, SF_CW_RC(cw), &inexact, &up);
    return f80_make(false, F80_BIAS + table[k].exp, (uint64_t)(sig >> 64));
}
