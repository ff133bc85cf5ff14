/*
 * x87 transcendentals: FSIN, FCOS, FSINCOS, FPTAN, FPATAN, F2XM1, FYL2X,
 * FYL2XP1 (SDM Vol. 2). On an x86 host the host's own instruction runs on
 * an image of the guest FPU, which gives the hardware's results, flags and
 * stack faults. The portable path evaluates each function in a 128-bit
 * "wide" format (series after argument reduction, errors near 2^-120) and
 * rounds once to 64 bits, so results are within an ulp; like the x87 it
 * reduces FSIN/FCOS/FPTAN arguments by its 66-bit approximation of pi.
 */
#include "cpu/handlers.h"

#include <string.h>

typedef unsigned __int128 u128;

/* --- the host path ---------------------------------------------------- */

/*
 * Run the instruction on the host with the guest's registers, tags, TOP,
 * control word and condition codes. The sticky exception flags are left
 * out (a pending one would trap on the host) and merged back afterwards.
 */
static void run_on_host(struct cpu *cpu, struct fpu *f, enum fpu_host_op op)
{
    struct fpu_host_image img;
    uint16_t sticky = f->sw & (SF_CW_MASKS | FPU_SW_SF);
    unsigned tw = 0;
    memset(&img, 0, sizeof(img));
    fpu_put16(img.bytes, f->cw);
    fpu_put16(img.bytes + 4, (uint16_t)(f->sw & ~sticky) | (f->top << 11));
    for (unsigned r = 0; r < 8; r++)
        tw |= (((f->empty >> r) & 1) ? FPU_TAG_EMPTY : FPU_TAG_VALID) << (2 * r);
    fpu_put16(img.bytes + 8, tw);
    for (unsigned i = 0; i < 8; i++)
        fpu_f80_put(img.bytes + 28 + 10 * i, fpu_get(f, i));
    fpu_host_image(op, &img);
    uint16_t sw = (uint16_t)fpu_get16(img.bytes + 4);
    tw = fpu_get16(img.bytes + 8);
    f->top = (sw & FPU_SW_TOP) >> 11;
    fpu_load_tags(f, (uint16_t)tw);
    for (unsigned i = 0; i < 8; i++)
        f->st[fpu_phys(f, i)] = fpu_f80_get(img.bytes + 28 + 10 * i);
    fpu_load_sw(cpu, sw | sticky);
}

/* --- wide arithmetic -------------------------------------------------- */

/*
 * sign * m / 2^127 * 2^exp, m normalized (bit 127 set) or zero. Every
 * operation rounds the magnitude down, additions included (a subtrahend
 * that lost bits makes the difference one unit smaller), so a result that
 * is a representable number minus a tiny correction (sin x = x - x^3/6
 * for a tiny x) still lies below it and rounds the right way.
 */
struct wide {
    bool sign;
    int32_t exp;
    u128 m;
};

static int clz128(u128 v)
{
    uint64_t hi = (uint64_t)(v >> 64);
    return hi ? __builtin_clzll(hi) : 64 + __builtin_clzll((uint64_t)v);
}

static struct wide w_norm(bool sign, int32_t exp, u128 m)
{
    if (!m)
        return (struct wide){sign, 0, 0};
    int sh = clz128(m);
    return (struct wide){sign, exp - sh, m << sh};
}

static struct wide w_const(int32_t exp, uint64_t hi, uint64_t lo)
{
    return (struct wide){false, exp, ((u128)hi << 64) | lo};
}

static struct wide w_from_f80(struct f80 a)
{
    int32_t e = (f80_exp(a) ? f80_exp(a) : 1) - F80_BIAS;
    return w_norm(f80_sign(a), e, (u128)a.sig << 64);
}

static struct wide w_int(int64_t v)
{
    uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    return w_norm(v < 0, 127, mag);
}

static struct wide w_neg(struct wide a)
{
    a.sign = !a.sign;
    return a;
}

static struct wide w_add(struct wide a, struct wide b)
{
    if (!a.m)
        return b;
    if (!b.m)
        return a;
    if (a.exp < b.exp || (a.exp == b.exp && a.m < b.m)) {
        struct wide t = a;
        a = b;
        b = t;
    }
    int32_t d = a.exp - b.exp;
    u128 bm = d >= 128 ? 0 : b.m >> d;
    bool lost = d >= 128 || (d > 0 && (b.m << (128 - d)) != 0);
    if (a.sign == b.sign)
        return w_norm(a.sign, a.exp + 1, (a.m >> 1) + (bm >> 1) + (a.m & bm & 1));
    return w_norm(a.sign, a.exp, a.m - bm - lost);
}

static struct wide w_sub(struct wide a, struct wide b)
{
    return w_add(a, w_neg(b));
}

static struct wide w_mul(struct wide a, struct wide b)
{
    if (!a.m || !b.m)
        return (struct wide){a.sign ^ b.sign, 0, 0};
    uint64_t a1 = (uint64_t)(a.m >> 64), a0 = (uint64_t)a.m;
    uint64_t b1 = (uint64_t)(b.m >> 64), b0 = (uint64_t)b.m;
    u128 p10 = (u128)a1 * b0, p01 = (u128)a0 * b1, p00 = (u128)a0 * b0;
    u128 mid = (p00 >> 64) + (uint64_t)p10 + (uint64_t)p01;
    u128 hi = (u128)a1 * b1 + (p10 >> 64) + (p01 >> 64) + (mid >> 64);
    return w_norm(a.sign ^ b.sign, a.exp + b.exp + 1, hi);
}

/* a / b by restoring division, 128 quotient bits. */
static struct wide w_div(struct wide a, struct wide b)
{
    u128 r = a.m, d = b.m, q = 0;
    for (int i = 0; i < 128; i++) {
        bool carry = i && (r >> 127);
        if (i)
            r <<= 1;
        q <<= 1;
        if (carry || r >= d) {
            r -= d;
            q |= 1;
        }
    }
    return w_norm(a.sign ^ b.sign, a.exp - b.exp, q);
}

static struct wide w_div_small(struct wide a, uint64_t k)
{
    if (!a.m)
        return a;
    u128 q = a.m / k, r = a.m % k;
    int sh = clz128(q);
    q = (q << sh) | ((r << sh) / k);
    return (struct wide){a.sign, a.exp - sh, q};
}

/* Negligible next to `sum` at 128 bits. */
static bool w_tiny(struct wide term, struct wide sum)
{
    return !term.m || term.exp < sum.exp - 130;
}

/* Round to extended precision; the evaluation is never exact, so PE follows. */
static struct f80 w_round(struct wide a, struct sf_ctx *c)
{
    if (!a.m)
        return f80_make(a.sign, 0, 0);
    return sf_round_pack(a.sign, a.exp + F80_BIAS, a.m | 1, &sf_fmt_f80, c);
}

/* --- functions -------------------------------------------------------- */

/* sin and cos of 0 <= t <= pi/4 (Taylor series). */
static void sin_cos(struct wide t, struct wide *s, struct wide *c)
{
    struct wide t2 = w_mul(t, t), term = t;
    *s = t;
    for (uint64_t k = 2; k == 2 || !w_tiny(term, *s); k += 2) {
        term = w_neg(w_div_small(w_mul(term, t2), k * (k + 1)));
        *s = w_add(*s, term);
    }
    term = w_int(1);
    *c = term;
    for (uint64_t k = 1; k == 1 || !w_tiny(term, *c); k += 2) {
        term = w_neg(w_div_small(w_mul(term, t2), k * (k + 1)));
        *c = w_add(*c, term);
    }
}

/*
 * The x87 reduces by its 66-bit pi: pi/2 = P * 2^-65. For |x| < 2^63 the
 * remainder of x / (pi/2) is found exactly, bit by bit, with the quadrant.
 */
static const u128 PI66_HALF = ((u128)0x3 << 64) | 0x243f6a8885a308d3ull;

static void reduce(struct f80 x, struct wide *t, unsigned *quadrant, bool *swap)
{
    int32_t e = f80_exp(x) - F80_BIAS - 63; /* x = sig * 2^e */
    *quadrant = 0;
    *swap = false;
    if (e + 65 <= 0) {
        *t = w_from_f80(x);
        t->sign = false;
        return;
    }
    u128 r = x.sig;
    unsigned q = 0;
    for (int32_t i = 0; i < e + 65; i++) {
        r <<= 1;
        q <<= 1;
        if (r >= PI66_HALF) {
            r -= PI66_HALF;
            q |= 1;
        }
    }
    if (2 * r > PI66_HALF) {
        r = PI66_HALF - r;
        *swap = true;
    }
    *quadrant = q & 3;
    *t = w_norm(false, 127 - 65, r);
}

/* sin and cos of a finite |x| < 2^63. */
static void trig(struct f80 x, struct wide *s, struct wide *c)
{
    struct wide t, st, ct;
    unsigned q;
    bool swap;
    reduce(x, &t, &q, &swap);
    sin_cos(t, &st, &ct);
    if (swap) {
        /* t is pi/2 minus the remainder: its sine is the remainder's cosine. */
        struct wide tmp = st;
        st = ct;
        ct = tmp;
    }
    /* x = q pi/2 + r: sin x = (sin r, cos r, -sin r, -cos r)[q], cos x likewise. */
    switch (q & 3) {
    case 0:
        *s = st, *c = ct;
        break;
    case 1:
        *s = ct, *c = w_neg(st);
        break;
    case 2:
        *s = w_neg(st), *c = w_neg(ct);
        break;
    default:
        *s = w_neg(ct), *c = st;
        break;
    }
    if (f80_sign(x))
        *s = w_neg(*s);
}

/* 2 * atanh(s) = ln((1 + s) / (1 - s)), |s| small. */
static struct wide atanh2(struct wide s)
{
    struct wide s2 = w_mul(s, s), pw = s, sum = s;
    for (uint64_t k = 3;; k += 2) {
        pw = w_mul(pw, s2);
        struct wide term = w_div_small(pw, k);
        sum = w_add(sum, term);
        if (w_tiny(term, sum))
            break;
    }
    sum.exp++;
    return sum;
}

static const struct wide W_L2E = {false, 0,
                                  ((u128)0xb8aa3b295c17f0bbull << 64) | 0xbe87fed0691d3e88ull};
static const struct wide W_LN2 = {false, -1,
                                  ((u128)0xb17217f7d1cf79abull << 64) | 0xc9e3b39803f2f6afull};
static const struct wide W_PI = {false, 1,
                                 ((u128)0xc90fdaa22168c234ull << 64) | 0xc4c6628b80dc1cd1ull};

/* log2 of a positive wide value. */
static struct wide w_log2(struct wide x)
{
    /* x = m * 2^e with m in [sqrt(1/2), sqrt(2)). */
    int32_t e = x.exp;
    struct wide m = {false, 0, x.m};
    if (x.m > (((u128)0xb504f333f9de6484ull << 64) | 0x597d89b3754abe9full)) {
        m.exp = -1;
        e++;
    }
    struct wide one = w_int(1);
    struct wide ln = atanh2(w_div(w_sub(m, one), w_add(m, one)));
    return w_add(w_int(e), w_mul(ln, W_L2E));
}

/* log2(1 + x) for x > -1, accurate for tiny x. */
static struct wide w_log2p1(struct wide x)
{
    struct wide one = w_int(1), two = w_int(2);
    if (x.exp < -2)
        return w_mul(atanh2(w_div(x, w_add(two, x))), W_L2E);
    return w_log2(w_add(one, x));
}

/* 2^x - 1 for a finite x: 2^n * e^(f ln 2) - 1 with n = round(x). */
static struct wide w_exp2m1(struct wide x)
{
    int32_t n = 0;
    if (x.exp >= 0) {
        n = x.exp > 20 ? (1 << 20) : (int32_t)((x.m >> (126 - x.exp)) + 1) >> 1;
        if (x.sign)
            n = -n;
        x = w_sub(x, w_int(n));
    }
    struct wide t = w_mul(x, W_LN2), term = t, sum = t;
    for (uint64_t k = 2; !w_tiny(term, sum); k++) {
        term = w_div_small(w_mul(term, t), k);
        sum = w_add(sum, term);
    }
    if (n == 0)
        return sum;
    struct wide p = w_add(sum, w_int(1));
    p.exp += n;
    return w_sub(p, w_int(1));
}

/* atan(z) for 0 <= z <= 1: atan(k/8) + atan((z - k/8) / (1 + z k/8)). */
static struct wide w_atan01(struct wide z)
{
    static const uint64_t table[9][2] = {
        {0, 0},
        {0xfeadd4d5617b6e32ull, 0xc897989f3e888ef7ull},
        {0xfadbafc96406eb15ull, 0x6dc79ef5f7a217e5ull},
        {0xb7b0ca0f26f78473ull, 0x8aa32122dcfe4483ull},
        {0xed63382b0dda7b45ull, 0x6fe445ecbc3a8d03ull},
        {0x8f005d5ef7f59f9bull, 0x5c835e1665c43747ull},
        {0xa4bc7d1934f70924ull, 0x19a87f2a457dac9eull},
        {0xb8053e2bc2319e73ull, 0xcb2da55210a4443dull},
        {0xc90fdaa22168c234ull, 0xc4c6628b80dc1cd1ull},
    };
    static const int8_t exps[9] = {0, -4, -3, -2, -2, -1, -1, -1, -1};
    int k = 0;
    if (z.m && z.exp >= -4)
        k = (int)(((z.m >> (127 - 4 + (-z.exp))) + 1) >> 1); /* round(8z) */
    struct wide base = {false, 0, 0}, r = z;
    if (k) {
        struct wide c = w_div_small(w_int(k), 8);
        base = w_const(exps[k], table[k][0], table[k][1]);
        r = w_div(w_sub(z, c), w_add(w_int(1), w_mul(z, c)));
    }
    struct wide r2 = w_mul(r, r), pw = r, sum = r;
    for (uint64_t n = 3;; n += 2) {
        pw = w_neg(w_mul(pw, r2));
        struct wide term = w_div_small(pw, n);
        sum = w_add(sum, term);
        if (w_tiny(term, sum))
            break;
    }
    return w_add(base, sum);
}

/* atan2(y, x) for finite, not both zero. */
static struct wide w_atan2(struct wide y, struct wide x)
{
    struct wide ay = y, ax = x, a;
    ay.sign = ax.sign = false;
    bool steep = ay.exp > ax.exp || (ay.exp == ax.exp && ay.m > ax.m) || !ax.m;
    if (!steep) {
        a = w_atan01(w_div(ay, ax));
    } else {
        struct wide half_pi = W_PI;
        half_pi.exp--;
        a = w_sub(half_pi, ax.m ? w_atan01(w_div(ax, ay)) : (struct wide){false, 0, 0});
    }
    if (x.sign)
        a = w_sub(W_PI, a);
    a.sign = y.sign;
    return a;
}

/* --- the portable instructions ---------------------------------------- */

static struct f80 one(void)
{
    return sf_const(SF_K_ONE, 0);
}

static struct f80 infinity(bool sign)
{
    return f80_make(sign, F80_EXP_MAX, 1ull << 63);
}

/* FSIN, FCOS, FSINCOS, FPTAN. */
static void soft_trig(struct cpu *cpu, struct fpu *f, enum fpu_host_op op)
{
    bool pushes = op == FPU_HOST_SINCOS || op == FPU_HOST_PTAN;
    struct sf_ctx c = {f->cw, 0};
    struct f80 r1, r2 = one(), x = fpu_get(f, 0);
    fpu_set_cc(f, SF_C2, 0); /* C2 is set only for an operand out of range */
    if (fpu_is_empty(f, 0) || (pushes && !fpu_is_empty(f, 7))) {
        bool masked = fpu_is_empty(f, 0) ? fpu_underflow(cpu) : fpu_overflow(cpu);
        if (!masked)
            return;
        fpu_set(f, 0, sf_indefinite());
        if (pushes)
            fpu_push(f, sf_indefinite());
        return;
    }
    enum sf_class k = sf_classify(x);
    if (sf_nan_operand(x, &r1, &c) || k == SF_INF) {
        if (k == SF_INF)
            r1 = sf_indefinite(), c.flags |= SF_IE;
        r2 = r1;
    } else if (k != SF_ZERO && f80_exp(x) >= F80_BIAS + 63) {
        fpu_set_cc(f, SF_C1 | SF_C2, SF_C2);
        return;
    } else if (k == SF_DENORMAL && (c.flags |= SF_DE, !fpu_result(cpu, &c))) {
        return;
    } else if (k == SF_ZERO) {
        r1 = x;
        if (op == FPU_HOST_COS)
            r1 = one();
        if (op == FPU_HOST_SINCOS)
            r2 = one();
    } else {
        struct wide s, co;
        trig(x, &s, &co);
        switch (op) {
        case FPU_HOST_SIN:
            r1 = w_round(s, &c);
            break;
        case FPU_HOST_COS:
            r1 = w_round(co, &c);
            break;
        case FPU_HOST_SINCOS: {
            /* C1 tells how the sine was rounded. */
            struct sf_ctx cc = {f->cw, 0};
            r2 = w_round(co, &cc);
            r1 = w_round(s, &c);
            c.flags |= cc.flags & ~SF_C1;
            break;
        }
        default:
            r1 = w_round(w_div(s, co), &c);
            break;
        }
    }
    if (!fpu_result(cpu, &c))
        return;
    fpu_set(f, 0, r1);
    if (pushes)
        fpu_push(f, r2);
}

/* F2XM1: ST(0) = 2^ST(0) - 1. */
static void soft_f2xm1(struct cpu *cpu, struct fpu *f)
{
    struct sf_ctx c = {f->cw, 0};
    struct f80 x = fpu_get(f, 0), r;
    if (fpu_is_empty(f, 0)) {
        if (fpu_underflow(cpu))
            fpu_set(f, 0, sf_indefinite());
        return;
    }
    enum sf_class k = sf_classify(x);
    if (sf_nan_operand(x, &r, &c)) {
    } else if (k == SF_INF) {
        r = f80_sign(x) ? f80_make(true, F80_BIAS, 1ull << 63) : x;
    } else if (k == SF_ZERO) {
        r = x;
    } else if (k == SF_DENORMAL && (c.flags |= SF_DE, !fpu_result(cpu, &c))) {
        return;
    } else {
        r = w_round(w_exp2m1(w_from_f80(x)), &c);
    }
    if (fpu_result(cpu, &c))
        fpu_set(f, 0, r);
}

/* ST(1) = result and pop, for FPATAN, FYL2X, FYL2XP1; false when ST(0) or ST(1) is missing. */
static bool binary_operands(struct cpu *cpu, struct fpu *f)
{
    if (!fpu_is_empty(f, 0) && !fpu_is_empty(f, 1))
        return true;
    if (fpu_underflow(cpu)) {
        fpu_set(f, 1, sf_indefinite());
        fpu_pop(f);
    }
    return false;
}

static void store_binary(struct cpu *cpu, struct fpu *f, struct f80 r, const struct sf_ctx *c)
{
    if (!fpu_result(cpu, c))
        return;
    fpu_set(f, 1, r);
    fpu_pop(f);
}

/* Denormal operands of the two-operand functions: true when DE is unmasked. */
static bool denormal_stops(struct cpu *cpu, struct fpu *f, struct f80 a, struct f80 b,
                           struct sf_ctx *c)
{
    if (sf_classify(a) == SF_DENORMAL || sf_classify(b) == SF_DENORMAL)
        c->flags |= SF_DE;
    return !fpu_result(cpu, c);
}

/* FPATAN: ST(1) = atan2(ST(1), ST(0)), special values per SDM Vol. 2 FPATAN Table 3-29. */
static void soft_fpatan(struct cpu *cpu, struct fpu *f)
{
    if (!binary_operands(cpu, f))
        return;
    struct sf_ctx c = {f->cw, 0};
    struct f80 x = fpu_get(f, 0), y = fpu_get(f, 1), r;
    if (sf_nan_operands(y, x, &r, &c)) {
        store_binary(cpu, f, r, &c);
        return;
    }
    if (denormal_stops(cpu, f, x, y, &c))
        return;
    enum sf_class kx = sf_classify(x), ky = sf_classify(y);
    struct wide a;
    if (ky == SF_ZERO) {
        a = f80_sign(x) ? W_PI : (struct wide){false, 0, 0};
    } else if (ky == SF_INF || kx == SF_INF) {
        struct wide q = W_PI;
        q.exp -= 2; /* pi/4 */
        if (ky == SF_INF && kx == SF_INF)
            a = f80_sign(x) ? w_mul(q, w_int(3)) : q;
        else if (ky == SF_INF)
            a = (q.exp++, q);
        else
            a = f80_sign(x) ? W_PI : (struct wide){false, 0, 0};
    } else {
        a = w_atan2(w_from_f80(y), w_from_f80(x));
    }
    a.sign = f80_sign(y);
    store_binary(cpu, f, w_round(a, &c), &c);
}

enum log_kind { LOG_INVALID, LOG_INF, LOG_ZERO, LOG_FINITE };

/* What log2(x) (plus1: log2(1 + x)) is, and its sign. */
static enum log_kind log_kind(struct f80 x, bool plus1, bool *neg)
{
    enum sf_class k = sf_classify(x);
    bool sx = f80_sign(x);
    int32_t e = f80_exp(x);
    bool above_one = e > F80_BIAS || (e == F80_BIAS && x.sig > 1ull << 63);
    bool is_one = e == F80_BIAS && x.sig == 1ull << 63;
    *neg = sx;
    if (!plus1) {
        if (k == SF_ZERO)
            return *neg = true, LOG_INF;
        if (sx)
            return LOG_INVALID;
        *neg = e < F80_BIAS;
        return k == SF_INF ? LOG_INF : is_one ? LOG_ZERO : LOG_FINITE;
    }
    if (k == SF_ZERO)
        return LOG_ZERO;
    if (sx && (k == SF_INF || above_one))
        return LOG_INVALID;
    if (k == SF_INF || (sx && is_one))
        return LOG_INF;
    return LOG_FINITE;
}

/* FYL2X and FYL2XP1: ST(1) = ST(1) * log2(ST(0) [+ 1]). */
static void soft_fyl2x(struct cpu *cpu, struct fpu *f, bool plus1)
{
    if (!binary_operands(cpu, f))
        return;
    struct sf_ctx c = {f->cw, 0};
    struct f80 x = fpu_get(f, 0), y = fpu_get(f, 1), r;
    if (sf_nan_operands(y, x, &r, &c)) {
        store_binary(cpu, f, r, &c);
        return;
    }
    enum sf_class ky = sf_classify(y);
    bool neg, sign;
    enum log_kind lk = log_kind(x, plus1, &neg);
    sign = f80_sign(y) ^ neg;
    /*
     * An invalid logarithm, and log2(0) (a division by zero), take
     * precedence over a denormal operand (SDM Vol. 1 §4.9.2).
     */
    bool divide_by_zero = !plus1 && sf_classify(x) == SF_ZERO;
    if (lk != LOG_INVALID && !divide_by_zero && denormal_stops(cpu, f, x, y, &c))
        return;
    if (lk == LOG_INVALID || (lk == LOG_INF && ky == SF_ZERO) || (lk == LOG_ZERO && ky == SF_INF)) {
        r = sf_indefinite();
        c.flags |= SF_IE;
    } else if (lk == LOG_INF || ky == SF_INF) {
        if (divide_by_zero && ky != SF_INF)
            c.flags |= SF_ZE;
        r = infinity(sign);
    } else if (lk == LOG_ZERO || ky == SF_ZERO) {
        r = f80_make(sign, 0, 0);
    } else {
        struct wide wx = w_from_f80(x);
        struct wide l = plus1 ? w_log2p1(wx) : w_log2(wx);
        r = w_round(w_mul(w_from_f80(y), l), &c);
    }
    store_binary(cpu, f, r, &c);
}

void h_ftrans(struct cpu *cpu, const struct insn *in)
{
    struct fpu *f = fpu_begin(cpu, in, FPU_ARITH);
    if (!f)
        return;
    enum fpu_host_op op = (enum fpu_host_op)in->sub;
    if (!f->soft) {
        run_on_host(cpu, f, op);
        return;
    }
    switch (op) {
    case FPU_HOST_2XM1:
        soft_f2xm1(cpu, f);
        break;
    case FPU_HOST_PATAN:
        soft_fpatan(cpu, f);
        break;
    case FPU_HOST_YL2X:
    case FPU_HOST_YL2XP1:
        soft_fyl2x(cpu, f, op == FPU_HOST_YL2XP1);
        break;
    default:
        soft_trig(cpu, f, op);
        break;
    }
}
