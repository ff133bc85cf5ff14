/*
 * The differential test's instruction generator (see gen.h): builds random
 * sequences of instruction groups, each a main instruction and the fixups it
 * needs (a defined flag to read, a small ECX for REP, a divisor that cannot
 * overflow, a bit offset that stays in the scratch page), and keeps track of
 * which flags the SDM leaves undefined after each of them.
 */
#include "gen.h"

#include <string.h>

/* --- PRNG ------------------------------------------------------------------ */

void gen_rng_seed(struct gen_rng *r, uint64_t seed)
{
    r->state = seed;
}

uint64_t gen_rng_next(struct gen_rng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint32_t gen_rng_below(struct gen_rng *r, uint32_t n)
{
    return (uint32_t)(((gen_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static uint32_t rnd(struct gen *g, uint32_t n)
{
    return gen_rng_below(&g->rng, n);
}

static uint32_t rnd32(struct gen *g)
{
    return (uint32_t)(gen_rng_next(&g->rng) >> 32);
}

/* A value with a bias towards the edges where flags change. */
static uint32_t interesting32(struct gen *g)
{
    static const uint32_t edges[] = {
        0,          1,          2,          0x7f,       0x80,       0xff,       0x100,
        0x7fff,     0x8000,     0xffff,     0x10000,    0x7fffffff, 0x80000000, 0x80000001,
        0xfffffffe, 0xffffffff, 0x0000000f, 0x00000009, 0x99,       0x12345678,
    };

    switch (rnd(g, 8)) {
    case 0:
        return edges[rnd(g, sizeof(edges) / sizeof(edges[0]))];
    case 1:
        return rnd32(g) & 0xff;
    case 2:
        return rnd32(g) & 0xffff;
    case 3:
        return 0u - rnd(g, 16); /* small negative */
    default:
        return rnd32(g);
    }
}

/* --- flag effects ---------------------------------------------------------- */

static const struct gen_flag_effect FX_NONE = {0, 0};
static const struct gen_flag_effect FX_ALL = {GEN_ARITH, 0};
/* AND OR XOR TEST: OF = CF = 0, AF undefined. */
static const struct gen_flag_effect FX_LOGIC = {GEN_ARITH, GEN_AF};
/* INC DEC: CF unaffected. */
static const struct gen_flag_effect FX_INCDEC = {GEN_NOT_CF, 0};
/* MUL IMUL: CF OF defined, SF ZF AF PF undefined. */
static const struct gen_flag_effect FX_MUL = {GEN_ARITH, GEN_SZP | GEN_AF};
/* DIV IDIV: all undefined. */
static const struct gen_flag_effect FX_DIV = {GEN_ARITH, GEN_ARITH};
/* BT BTS BTR BTC: CF defined, ZF unaffected, OF SF AF PF undefined. */
static const struct gen_flag_effect FX_BT = {GEN_ARITH & ~GEN_ZF,
                                             GEN_OF | GEN_SF | GEN_AF | GEN_PF};
/* BSF BSR: ZF defined, the rest undefined. */
static const struct gen_flag_effect FX_BSF = {GEN_ARITH, GEN_ARITH & ~GEN_ZF};
static const struct gen_flag_effect FX_CF = {GEN_CF, 0};
static const struct gen_flag_effect FX_DF = {GEN_DF, 0};
/* CMPXCHG8B: ZF only. */
static const struct gen_flag_effect FX_ZF = {GEN_ZF, 0};
/* SAHF: SF ZF AF PF CF from AH. */
static const struct gen_flag_effect FX_SAHF = {GEN_ARITH & ~GEN_OF, 0};
/* DAA DAS: OF undefined. */
static const struct gen_flag_effect FX_DAA = {GEN_ARITH, GEN_OF};
/* AAA AAS: AF CF defined, OF SF ZF PF undefined. */
static const struct gen_flag_effect FX_AAA = {GEN_ARITH, GEN_OF | GEN_SZP};
/* AAM AAD: SF ZF PF defined, OF AF CF undefined. */
static const struct gen_flag_effect FX_AAM = {GEN_ARITH, GEN_OF | GEN_AF | GEN_CF};

static uint32_t apply_fx(uint32_t undef, struct gen_flag_effect fx)
{
    return (undef & ~fx.write) | fx.undef;
}

uint32_t gen_cc_reads(unsigned cc)
{
    static const uint32_t reads[8] = {
        GEN_OF, GEN_CF, GEN_ZF,          GEN_CF | GEN_ZF,
        GEN_SF, GEN_PF, GEN_SF | GEN_OF, GEN_ZF | GEN_SF | GEN_OF,
    };

    return reads[(cc >> 1) & 7];
}

/* SDM Vol. 2B SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD, SHRD: "Flags Affected". */
static struct gen_flag_effect shift_effect_known(enum gen_shift_op op, unsigned bits,
                                                 unsigned count, bool *dest_undef)
{
    unsigned m = count & 31;                 /* the processor masks the count to 5 bits */
    uint32_t of_undef = m != 1 ? GEN_OF : 0; /* OF is defined for 1-bit shifts only */
    struct gen_flag_effect fx = {0, 0};

    if (m == 0)
        return fx; /* a masked count of 0 affects no flags */
    switch (op) {
    case GEN_ROL:
    case GEN_ROR:
        /* CF gets the bit rotated in even when (count mod size) is 0; SF ZF AF PF unaffected. */
        fx.write = GEN_CF | GEN_OF;
        fx.undef = of_undef;
        break;
    case GEN_RCL:
    case GEN_RCR:
        /* The rotate runs (count mod size+1) times; CF changes only when that is not 0. */
        fx.write = ((m % (bits + 1)) ? GEN_CF : 0) | GEN_OF;
        fx.undef = of_undef;
        break;
    case GEN_SHL:
    case GEN_SHR:
        /* CF is undefined for SHL/SHR by the operand size or more; AF always. */
        fx.write = GEN_ARITH;
        fx.undef = GEN_AF | of_undef | (m >= bits ? GEN_CF : 0);
        break;
    case GEN_SAR:
        fx.write = GEN_ARITH;
        fx.undef = GEN_AF | of_undef;
        break;
    case GEN_SHLD:
    case GEN_SHRD:
        fx.write = GEN_ARITH;
        if (m > bits) {
            /* A count above the operand size (16-bit only) leaves result and flags undefined. */
            fx.undef = GEN_ARITH;
            *dest_undef = true;
        } else {
            fx.undef = GEN_AF | of_undef;
        }
        break;
    }
    return fx;
}

struct gen_flag_effect gen_shift_effect(enum gen_shift_op op, unsigned bits, int count,
                                        bool *dest_undef)
{
    struct gen_flag_effect fx = {0, 0};

    *dest_undef = false;
    if (count >= 0)
        return shift_effect_known(op, bits, (unsigned)count, dest_undef);
    /* Unknown count: the flags may stay as they were, or get any count's undefined set. */
    for (unsigned c = 0; c < 32; c++)
        fx.undef |= shift_effect_known(op, bits, c, dest_undef).undef;
    return fx;
}

/* --- cases ----------------------------------------------------------------- */

void gen_init(struct gen *g, uint64_t seed, bool mode64)
{
    gen_rng_seed(&g->rng, seed);
    g->mode64 = mode64;
}

void gen_case_start(struct gen *g, struct gen_case *c)
{
    bool periodic = rnd(g, 4) == 0;

    memset(c, 0, sizeof(*c));
    for (unsigned r = 0; r < 8; r++)
        c->regs[r] = interesting32(g);
    c->regs[3] = DIFF_SCRATCH_ADDR;
    c->regs[4] = 0x00090000u;
    if (rnd(g, 2)) {
        /* A small index for [ebx+esi*scale+disp8]. */
        c->regs[6] = 128 + rnd(g, 773);
        c->esi_index = true;
    } else {
        c->regs[6] = DIFF_SCRATCH_ADDR + 1024 + rnd(g, 2048);
        c->esi_ptr = true;
    }
    c->regs[7] = DIFF_SCRATCH_ADDR + 1024 + rnd(g, 2048);
    c->edi_ptr = true;
    c->eflags = rnd32(g) & DIFF_FLAGS_IN;

    /* Random bytes, or a short repeating pattern so that CMPS/SCAS find equal data. */
    for (unsigned i = 0; i < DIFF_SCRATCH_SIZE; i += 4) {
        uint32_t v = rnd32(g);
        memcpy(&c->scratch[i], &v, 4);
    }
    if (periodic) {
        for (unsigned i = 16; i < DIFF_SCRATCH_SIZE; i++)
            c->scratch[i] = c->scratch[i & 15];
        c->regs[7] &= ~15u;
        if (c->esi_ptr)
            c->regs[6] &= ~15u;
        if (rnd(g, 2))
            c->regs[0] = c->scratch[0] * 0x01010101u;
    }
}

bool gen_append(struct gen_case *c, const uint8_t *bytes, unsigned len, struct gen_flag_effect fx)
{
    if (c->code_len + len > DIFF_CODE_MAX || c->ninsns >= GEN_MAX_INSNS)
        return false;
    c->insn_off[c->ninsns] = (uint16_t)c->code_len;
    c->insn_undef[c->ninsns] = c->flags_undef;
    c->ninsns++;
    memcpy(&c->code[c->code_len], bytes, len);
    c->code_len += len;
    c->flags_undef = apply_fx(c->flags_undef, fx);
    return true;
}

/* --- instruction groups ---------------------------------------------------- */

#define UNIT_BYTES 64
#define UNIT_INSNS 8

/* One group: a main instruction and its fixups, built before it is appended. */
struct unit {
    uint8_t b[UNIT_BYTES];
    unsigned len;
    unsigned ninsn;
    uint8_t insn_start[UNIT_INSNS];
    uint8_t insn_len[UNIT_INSNS];
    struct gen_flag_effect insn_fx[UNIT_INSNS];
    unsigned cur;       /* start of the instruction being built */
    uint32_t undef_now; /* flags undefined at this point of the group */
    uint8_t wregs;      /* GPRs the group writes */
    int undef_reg;      /* a register left (partly) undefined, or -1 */
    uint32_t undef_reg_bits;
    bool last;    /* the last group of the sequence */
    bool no_wrap; /* must not be jumped over (leaves a register undefined) */
};

/* A register or memory operand: its ModRM (reg field 0), SIB and displacement. */
struct operand {
    uint8_t b[8];
    unsigned len;
    int reg; /* register encoding, or -1 for memory */
};

static void unit_init(struct unit *u, const struct gen_case *c, bool last)
{
    memset(u, 0, sizeof(*u));
    u->undef_now = c->flags_undef;
    u->undef_reg = -1;
    u->last = last;
}

static void put8(struct unit *u, uint8_t v)
{
    if (u->len < UNIT_BYTES)
        u->b[u->len++] = v;
}

static void put16(struct unit *u, uint16_t v)
{
    put8(u, (uint8_t)v);
    put8(u, (uint8_t)(v >> 8));
}

static void put32(struct unit *u, uint32_t v)
{
    put16(u, (uint16_t)v);
    put16(u, (uint16_t)(v >> 16));
}

/* An immediate of the operand size (0: 8-bit, 1: 16-bit, 2: 32-bit). */
static void put_imm(struct unit *u, unsigned size, uint32_t v)
{
    if (size == 0)
        put8(u, (uint8_t)v);
    else if (size == 1)
        put16(u, (uint16_t)v);
    else
        put32(u, v);
}

static void ins_begin(struct unit *u)
{
    u->cur = u->len;
}

static void ins_end(struct unit *u, struct gen_flag_effect fx)
{
    if (u->ninsn >= UNIT_INSNS)
        return;
    u->insn_start[u->ninsn] = (uint8_t)u->cur;
    u->insn_len[u->ninsn] = (uint8_t)(u->len - u->cur);
    u->insn_fx[u->ninsn] = fx;
    u->ninsn++;
    u->undef_now = apply_fx(u->undef_now, fx);
}

/* A whole fixed instruction. */
static void ins_bytes(struct unit *u, const uint8_t *b, unsigned n, struct gen_flag_effect fx)
{
    ins_begin(u);
    for (unsigned i = 0; i < n; i++)
        put8(u, b[i]);
    ins_end(u, fx);
}

static void size_prefix(struct unit *u, unsigned size)
{
    if (size == 1)
        put8(u, 0x66);
}

/* The GPR an operand-size register encoding names (AH..BH are 4-7 in 8-bit code). */
static unsigned reg_of(unsigned enc, unsigned size)
{
    return size == 0 ? (enc & 3) : enc;
}

static void mark_write(struct unit *u, unsigned enc, unsigned size)
{
    u->wregs |= (uint8_t)(1u << reg_of(enc, size));
}

/* A register the code may write: never EBX or ESP (BL, BH, SP, BX); ESI/EDI now and then. */
static unsigned pick_dst(struct gen *g, unsigned size)
{
    static const uint8_t r8[] = {0, 1, 2, 4, 5, 6}; /* AL CL DL AH CH DH */
    static const uint8_t r32[] = {0, 1, 2, 5};      /* EAX ECX EDX EBP */

    if (size == 0)
        return r8[rnd(g, 6)];
    if (rnd(g, 12) == 0)
        return 6 + rnd(g, 2);
    return r32[rnd(g, 4)];
}

/* A register the code may read: anything but ESP (and SP). */
static unsigned pick_src(struct gen *g, unsigned size)
{
    unsigned r = rnd(g, 8);

    if (size != 0 && r == 4)
        r = 0;
    return r;
}

/* Core registers for fixups that must not disturb ESI/EDI. */
static unsigned pick_core(struct gen *g)
{
    static const uint8_t r32[] = {0, 1, 2, 5};

    return r32[rnd(g, 4)];
}

/*
 * A memory operand inside the scratch page: at least `lo` bytes above its
 * start and `extent` bytes below its end.
 */
static void mem_operand(struct gen *g, const struct gen_case *c, struct operand *op, unsigned lo,
                        unsigned extent)
{
    uint32_t hi = DIFF_SCRATCH_SIZE - extent; /* largest allowed offset */

    op->len = 0;
    op->reg = -1;
    for (;;) {
        switch (rnd(g, 6)) {
        case 0: /* [ebx] */
            if (lo != 0)
                continue;
            op->b[op->len++] = 0x03;
            return;
        case 1: /* [ebx+disp8] */
            if (lo > 127)
                continue;
            op->b[op->len++] = 0x43;
            op->b[op->len++] = (uint8_t)(lo + rnd(g, 128 - lo));
            return;
        case 2: { /* [ebx+disp32] */
            uint32_t d = lo + rnd(g, hi - lo + 1);
            op->b[op->len++] = 0x83;
            memcpy(&op->b[op->len], &d, 4);
            op->len += 4;
            return;
        }
        case 3: { /* [ebx+esi*scale+disp8] with ESI still the small index */
            if (!c->esi_index)
                continue;
            unsigned scale = rnd(g, 4);
            int32_t base = (int32_t)(c->regs[6] << scale);
            int32_t dmin = (int32_t)lo - base, dmax = (int32_t)hi - base;
            if (dmin < -128)
                dmin = -128;
            if (dmax > 127)
                dmax = 127;
            if (dmin > dmax)
                continue;
            op->b[op->len++] = 0x44;
            op->b[op->len++] = (uint8_t)(scale << 6 | 6 << 3 | 3);
            op->b[op->len++] =
                (uint8_t)(int8_t)(dmin + (int32_t)rnd(g, (uint32_t)(dmax - dmin + 1)));
            return;
        }
        case 4: /* [esi+disp8]: ESI is 1024..3071 into the page, string ops move it < 256 */
            if (!c->esi_ptr || lo > 512 || extent > 512)
                continue;
            op->b[op->len++] = 0x46;
            op->b[op->len++] = (uint8_t)rnd32(g);
            return;
        default: /* [edi+disp8] */
            if (!c->edi_ptr || lo > 512 || extent > 512)
                continue;
            op->b[op->len++] = 0x47;
            op->b[op->len++] = (uint8_t)rnd32(g);
            return;
        }
    }
}

static void reg_operand(struct operand *op, unsigned enc)
{
    op->b[0] = (uint8_t)(0xc0 | enc);
    op->len = 1;
    op->reg = (int)enc;
}

/* An r/m operand: a register (written when `dst`) or up to 8 bytes of memory. */
static void rm_operand(struct gen *g, const struct gen_case *c, struct operand *op, unsigned size,
                       bool dst, bool allow_mem)
{
    if (allow_mem && rnd(g, 2)) {
        mem_operand(g, c, op, 0, 8);
        return;
    }
    reg_operand(op, dst ? pick_dst(g, size) : pick_src(g, size));
}

static void put_operand(struct unit *u, const struct operand *op, unsigned regfield)
{
    put8(u, (uint8_t)(op->b[0] | (regfield & 7) << 3));
    for (unsigned i = 1; i < op->len; i++)
        put8(u, op->b[i]);
}

/* Mark an r/m destination register as written. */
static void mark_rm(struct unit *u, const struct operand *op, unsigned size)
{
    if (op->reg >= 0)
        mark_write(u, (unsigned)op->reg, size);
}

/* Make sure the flags in `need` are defined before an instruction reads them. */
static void need_flags(struct gen *g, struct unit *u, uint32_t need)
{
    if (!(u->undef_now & need))
        return;
    if (!(need & ~GEN_CF)) {
        static const uint8_t clc[] = {0xf8}, stc[] = {0xf9};
        ins_bytes(u, rnd(g, 2) ? stc : clc, 1, FX_CF);
        return;
    }
    /* CMP r32, imm8 defines all six. */
    uint8_t cmp[3] = {0x83, (uint8_t)(0xf8 | pick_src(g, 2)), (uint8_t)rnd32(g)};
    ins_bytes(u, cmp, 3, FX_ALL);
}

static unsigned pick_size(struct gen *g)
{
    return rnd(g, 3);
}

/* ADD OR ADC SBB AND SUB XOR CMP in all their forms. */
static bool g_alu(struct gen *g, struct gen_case *c, struct unit *u)
{
    unsigned op = rnd(g, 8), size = pick_size(g), w = size != 0;
    bool writes = op != 7;
    bool logic = op == 1 || op == 4 || op == 6;
    struct operand rm;

    if (op == 2 || op == 3)
        need_flags(g, u, GEN_CF); /* ADC SBB read CF */
    ins_begin(u);
    size_prefix(u, size);
    switch (rnd(g, 5)) {
    case 0: { /* r/m, reg */
        rm_operand(g, c, &rm, size, writes, true);
        put8(u, (uint8_t)(op * 8 + w));
        put_operand(u, &rm, pick_src(g, size));
        if (writes)
            mark_rm(u, &rm, size);
        break;
    }
    case 1: { /* reg, r/m */
        unsigned reg = writes ? pick_dst(g, size) : pick_src(g, size);
        rm_operand(g, c, &rm, size, false, true);
        put8(u, (uint8_t)(op * 8 + 2 + w));
        put_operand(u, &rm, reg);
        if (writes)
            mark_write(u, reg, size);
        break;
    }
    case 2: /* AL/AX/EAX, imm */
        put8(u, (uint8_t)(op * 8 + 4 + w));
        put_imm(u, size, interesting32(g));
        if (writes)
            mark_write(u, 0, size);
        break;
    case 3: /* r/m, imm */
        rm_operand(g, c, &rm, size, writes, true);
        put8(u, (uint8_t)(0x80 + w));
        put_operand(u, &rm, op);
        put_imm(u, size, interesting32(g));
        if (writes)
            mark_rm(u, &rm, size);
        break;
    default: /* r/m, imm8 sign-extended (16/32 only), else r/m8, imm8 */
        rm_operand(g, c, &rm, size, writes, true);
        put8(u, size ? 0x83 : 0x80);
        put_operand(u, &rm, op);
        put8(u, (uint8_t)interesting32(g));
        if (writes)
            mark_rm(u, &rm, size);
        break;
    }
    ins_end(u, logic ? FX_LOGIC : FX_ALL);
    return true;
}

static bool g_mov(struct gen *g, struct gen_case *c, struct unit *u)
{
    unsigned size = pick_size(g), w = size != 0;
    struct operand rm;

    ins_begin(u);
    size_prefix(u, size);
    switch (rnd(g, 4)) {
    case 0:
        rm_operand(g, c, &rm, size, true, true);
        put8(u, (uint8_t)(0x88 + w));
        put_operand(u, &rm, pick_src(g, size));
        mark_rm(u, &rm, size);
        break;
    case 1: {
        unsigned reg = pick_dst(g, size);
        rm_operand(g, c, &rm, size, false, true);
        put8(u, (uint8_t)(0x8a + w));
        put_operand(u, &rm, reg);
        mark_write(u, reg, size);
        break;
    }
    case 2:
        rm_operand(g, c, &rm, size, true, true);
        put8(u, (uint8_t)(0xc6 + w));
        put_operand(u, &rm, 0);
        put_imm(u, size, interesting32(g));
        mark_rm(u, &rm, size);
        break;
    default: {
        unsigned reg = pick_dst(g, size);
        put8(u, (uint8_t)((size ? 0xb8 : 0xb0) + reg));
        put_imm(u, size, interesting32(g));
        mark_write(u, reg, size);
        break;
    }
    }
    ins_end(u, FX_NONE);
    return true;
}

/* INC DEC NEG NOT */
static bool g_unary(struct gen *g, struct gen_case *c, struct unit *u)
{
    unsigned size = pick_size(g), w = size != 0, kind = rnd(g, 4);
    struct operand rm;

    ins_begin(u);
    size_prefix(u, size);
    if (kind < 2 && size != 0 && !g->mode64 && rnd(g, 3) == 0) {
        /* The one-byte forms 40+r / 48+r (REX prefixes in 64-bit mode). */
        unsigned reg = pick_dst(g, size);
        put8(u, (uint8_t)(0x40 + kind * 8 + reg));
        mark_write(u, reg, size);
        ins_end(u, FX_INCDEC);
        return true;
    }
    rm_operand(g, c, &rm, size, true, true);
    if (kind < 2) {
        put8(u, (uint8_t)(0xfe + w));
        put_operand(u, &rm, kind); /* /0 INC, /1 DEC */
    } else {
        put8(u, (uint8_t)(0xf6 + w));
        put_operand(u, &rm, kind == 2 ? 3 : 2); /* /3 NEG, /2 NOT */
    }
    mark_rm(u, &rm, size);
    ins_end(u, kind < 2 ? FX_INCDEC : kind == 2 ? FX_ALL : FX_NONE);
    return true;
}

static bool g_test(struct gen *g, struct gen_case *c, struct unit *u)
{
    unsigned size = pick_size(g), w = size != 0;
    struct operand rm;

    ins_begin(u);
    size_prefix(u, size);
    switch (rnd(g, 3)) {
    case 0:
        rm_operand(g, c, &rm, size, false, true);
        put8(u, (uint8_t)(0x84 + w));
        put_operand(u, &rm, pick_src(g, size));
        break;
    case 1:
        put8(u, (uint8_t)(0xa8 + w));
        put_imm(u, size, interesting32(g));
        break;
    default:
        rm_operand(g, c, &rm, size, false, true);
        put8(u, (uint8_t)(0xf6 + w));
        put_operand(u, &rm, 0);
        put_imm(u, size, interesting32(g));
        break;
    }
    ins_end(u, FX_LOGIC);
    return true;
}

/* MUL, IMUL in its one-, two- and three-operand forms. */
static bool g_mul(struct gen *g, struct gen_case *c, struct unit *u)
{
    unsigned size = pick_size(g), w = size != 0, form = rnd(g, 4);
    struct operand rm;

    if (size == 0)
        form = 0; /* only the one-operand forms have 8-bit versions */
    ins_begin(u);
    size_prefix(u, size);
    rm_operand(g, c, &rm, size, false, true);
    if (form == 0) {
        put8(u, (uint8_t)(0xf6 + w));
        put_operand(u, &rm, 4 + rnd(g, 2)); /* /4 MUL, /5 IMUL */
        u->wregs |= size ? 0x05 : 0x01;     /* AX, or EDX:EAX / DX:AX */
    } else {
        unsigned reg = pick_dst(g, size);
        if (form == 1) {
            put8(u, 0x0f);
            put8(u, 0xaf);
            put_operand(u, &rm, reg);
        } else if (form == 2) {
            put8(u, 0x6b);
            put_operand(u, &rm, reg);
            put8(u, (uint8_t)interesting32(g));
        } else {
            put8(u, 0x69);
            put_operand(u, &rm, reg);
            put_imm(u, size, interesting32(g));
        }
        mark_write(u, reg, size);
    }
    ins_end(u, FX_MUL);
    return true;
}

/*
 * DIV IDIV. Mostly with the high half cleared (DIV) or sign-extended (IDIV)
 * first so that only a zero divisor or INT_MIN/-1 faults; sometimes as the
 * registers are, to compare #DE.
 */
static bool g_div(struct gen *g, struct gen_case *c, struct unit *u)
{
    unsigned size = pick_size(g), w = size != 0, idiv = rnd(g, 2);
    struct operand rm;

    if (rnd(g, 4) != 0) {
        static const uint8_t clr8[] = {0xb4, 0x00};                    /* mov ah, 0 */
        static const uint8_t clr16[] = {0x66, 0xba, 0x00, 0x00};       /* mov dx, 0 */
        static const uint8_t clr32[] = {0xba, 0x00, 0x00, 0x00, 0x00}; /* mov edx, 0 */
        static const uint8_t cbw[] = {0x66, 0x98}, cwd[] = {0x66, 0x99}, cdq[] = {0x99};
        if (!idiv) {
            if (size == 0)
                ins_bytes(u, clr8, sizeof(clr8), FX_NONE);
            else if (size == 1)
                ins_bytes(u, clr16, sizeof(clr16), FX_NONE);
            else
                ins_bytes(u, clr32, sizeof(clr32), FX_NONE);
        } else {
            if (size == 0)
                ins_bytes(u, cbw, sizeof(cbw), FX_NONE);
            else if (size == 1)
                ins_bytes(u, cwd, sizeof(cwd), FX_NONE);
            else
                ins_bytes(u, cdq, sizeof(cdq), FX_NONE);
        }
    }
    ins_begin(u);
    size_prefix(u, size);
    rm_operand(g, c, &rm, size, false, true);
    put8(u, (uint8_t)(0xf6 + w));
    put_operand(u, &rm, 6 + idiv);
    u->wregs |= size ? 0x05 : 0x01;
    ins_end(u, FX_DIV);
    return true;
}

/* A shift count that exercises the edges: 0, 1, the operand size, past it, masking. */
static unsigned shift_count(struct gen *g, unsigned bits)
{
    switch (rnd(g, 8)) {
    case 0:
        return 0;
    case 1:
        return 1;
    case 2:
        return bits - 1 + rnd(g, 3);
    case 3:
        return 31 + rnd(g, 3);
    case 4:
        return rnd32(g) & 0xff;
    default:
        return rnd(g, bits + 1);
    }
}

static void set_cl(struct unit *u, unsigned count)
{
    uint8_t mov[2] = {0xb1, (uint8_t)count}; /* mov cl, imm8 */

    ins_bytes(u, mov, 2, FX_NONE);
    u->wregs |= 1u << 1;
}

/* ROL ROR RCL RCR SHL SHR SAR by 1, CL and imm8. */
static bool g_shift(struct gen *g, struct gen_case *c, struct unit *u)
{
    static const uint8_t ops[] = {GEN_ROL, GEN_ROR, GEN_RCL, GEN_RCR, GEN_SHL, GEN_SHR, GEN_SAR};
    enum gen_shift_op op = (enum gen_shift_op)ops[rnd(g, 7)];
    unsigned size = pick_size(g), w = size != 0, bits = 8u << size, form = rnd(g, 3);
    int count = -1;
    bool dest_undef;
    struct operand rm;

    if (op == GEN_RCL || op == GEN_RCR)
        need_flags(g, u, GEN_CF);
    if (form == 1 && rnd(g, 2)) {
        count = (int)shift_count(g, bits);
        set_cl(u, (unsigned)count);
    }
    ins_begin(u);
    size_prefix(u, size);
    rm_operand(g, c, &rm, size, true, true);
    if (form == 0) {
        put8(u, (uint8_t)(0xd0 + w));
        put_operand(u, &rm, op);
        count = 1;
    } else if (form == 1) {
        put8(u, (uint8_t)(0xd2 + w));
        put_operand(u, &rm, op);
    } else {
        count = (int)shift_count(g, bits);
        put8(u, (uint8_t)(0xc0 + w));
        put_operand(u, &rm, op);
        put8(u, (uint8_t)count);
    }
    mark_rm(u, &rm, size);
    ins_end(u, gen_shift_effect(op, bits, count, &dest_undef));
    return true;
}

/* SHLD SHRD by imm8 and CL; 16-bit counts above 16 only where the result can be masked. */
static bool g_shiftd(struct gen *g, struct gen_case *c, struct unit *u)
{
    unsigned size = 1 + rnd(g, 2), bits = 8u << size, right = rnd(g, 2), by_cl = rnd(g, 2);
    enum gen_shift_op op = right ? GEN_SHRD : GEN_SHLD;
    int count = -1;
    bool dest_undef, allow_over;
    struct operand rm;

    rm_operand(g, c, &rm, size, true, true);
    /* A 16-bit count above 16 leaves the destination undefined: only in a last register. */
    allow_over = u->last && rm.reg >= 0;
    if (!by_cl || size == 1 || rnd(g, 2)) {
        count = (int)shift_count(g, bits);
        if (!allow_over && (count & 31) > (int)bits)
            count &= 15;
        if (by_cl)
            set_cl(u, (unsigned)count);
    }
    ins_begin(u);
    size_prefix(u, size);
    put8(u, 0x0f);
    put8(u, (uint8_t)((right ? 0xac : 0xa4) + by_cl));
    put_operand(u, &rm, pick_src(g, size));
    if (!by_cl)
        put8(u, (uint8_t)count);
    mark_rm(u, &rm, size);
    ins_end(u, gen_shift_effect(op, bits, count, &dest_undef));
    if (dest_undef) {
        u->undef_reg = (int)reg_of((unsigned)rm.reg, size);
        u->undef_reg_bits = 0xffff;
        u->no_wrap = true;
    }
    return true;
}

/* BT BTS BTR BTC with register and immediate bit offsets. */
static bool g_bt(struct gen *g, struct gen_case *c, struct unit *u)
{
    unsigned op = rnd(g, 4), size = 1 + rnd(g, 2);
    struct operand rm;

    if (rnd(g, 2)) {
        /* BT r/m, imm8: the offset is taken modulo the operand size. */
        rm_operand(g, c, &rm, size, op != 0, true);
        ins_begin(u);
        size_prefix(u, size);
        put8(u, 0x0f);
        put8(u, 0xba);
        put_operand(u, &rm, 4 + op);
        put8(u, (uint8_t)rnd32(g));
    } else if (rnd(g, 2)) {
        /* BT reg, reg: the offset is taken modulo the operand size. */
        reg_operand(&rm, op != 0 ? pick_dst(g, size) : pick_src(g, size));
        ins_begin(u);
        size_prefix(u, size);
        put8(u, 0x0f);
        put8(u, (uint8_t)(0xa3 + op * 8));
        put_operand(u, &rm, pick_src(g, size));
    } else {
        /*
         * BT mem, reg: the signed offset reaches any bit; keep it in -256..255
         * (AND then SUB), i.e. within 32 bytes either side of the operand.
         */
        unsigned r = pick_core(g);
        uint8_t and_[6] = {0x81, (uint8_t)(0xe0 | r), 0xff, 0x01, 0, 0};
        uint8_t sub[6] = {0x81, (uint8_t)(0xe8 | r), 0x00, 0x01, 0, 0};
        ins_bytes(u, and_, 6, FX_LOGIC);
        ins_bytes(u, sub, 6, FX_ALL);
        u->wregs |= (uint8_t)(1u << r);
        mem_operand(g, c, &rm, 32, 40);
        ins_begin(u);
        size_prefix(u, size);
        put8(u, 0x0f);
        put8(u, (uint8_t)(0xa3 + op * 8));
        put_operand(u, &rm, r);
    }
    if (op != 0)
        mark_rm(u, &rm, size);
    ins_end(u, FX_BT);
    return true;
}

/* BSF BSR; a zero source (destination undefined) only in the last group. */
static bool g_bsf(struct gen *g, struct gen_case *c, struct unit *u)
{
    unsigned size = 1 + rnd(g, 2), dst = pick_dst(g, size), rev = rnd(g, 2);
    struct operand rm;

    if (u->last && rnd(g, 2)) {
        rm_operand(g, c, &rm, size, false, true);
        u->undef_reg = (int)dst;
        u->undef_reg_bits = size == 1 ? 0xffffu : 0xffffffffu;
        u->no_wrap = true;
    } else if (rnd(g, 2)) {
        /* OR a nonzero byte into the source first. */
        unsigned r = pick_core(g);
        uint8_t or_[3] = {0x83, (uint8_t)(0xc8 | r), (uint8_t)(1 + rnd(g, 255))};
        ins_bytes(u, or_, 3, FX_LOGIC);
        u->wregs |= (uint8_t)(1u << r);
        reg_operand(&rm, r);
    } else {
        mem_operand(g, c, &rm, 0, 8);
        ins_begin(u);
        put8(u, 0x80);
        put_operand(u, &rm, 1); /* or byte [mem], imm8 */
        put8(u, (uint8_t)(1 + rnd(g, 255)));
        ins_end(u, FX_LOGIC);
    }
    ins_begin(u);
    size_prefix(u, size);
    put8(u, 0x0f);
    put8(u, (uint8_t)(0xbc + rev));
    put_operand(u, &rm, dst);
    mark_write(u, dst, size);
    ins_end(u, FX_BSF);
    return true;
}

/* BSWAP XCHG XADD CMPXCHG CMPXCHG8B */
static bool g_xchg(struct gen *g, struct gen_case *c, struct unit *u)
{
    unsigned size = pick_size(g), w = size != 0, kind = rnd(g, 5);
    struct operand rm;

    switch (kind) {
    case 0: { /* BSWAP r32 (the 16-bit form is undefined) */
        unsigned reg = pick_dst(g, 2);
        uint8_t b[2] = {0x0f, (uint8_t)(0xc8 + reg)};
        ins_bytes(u, b, 2, FX_NONE);
        mark_write(u, reg, 2);
        return true;
    }
    case 1: { /* XCHG r/m, reg and XCHG eAX, reg */
        unsigned reg = pick_dst(g, size);
        ins_begin(u);
        size_prefix(u, size);
        if (size != 0 && rnd(g, 3) == 0) {
            put8(u, (uint8_t)(0x90 + reg));
            mark_write(u, 0, size);
        } else {
            rm_operand(g, c, &rm, size, true, true);
            put8(u, (uint8_t)(0x86 + w));
            put_operand(u, &rm, reg);
            mark_rm(u, &rm, size);
        }
        mark_write(u, reg, size);
        ins_end(u, FX_NONE);
        return true;
    }
    case 2: { /* XADD r/m, reg */
        unsigned reg = pick_dst(g, size);
        rm_operand(g, c, &rm, size, true, true);
        ins_begin(u);
        size_prefix(u, size);
        put8(u, 0x0f);
        put8(u, (uint8_t)(0xc0 + w));
        put_operand(u, &rm, reg);
        mark_rm(u, &rm, size);
        mark_write(u, reg, size);
        ins_end(u, FX_ALL);
        return true;
    }
    case 3: { /* CMPXCHG r/m, reg; sometimes with the accumulator equal to r/m first */
        rm_operand(g, c, &rm, size, true, true);
        if (rnd(g, 3) == 0) {
            ins_begin(u);
            size_prefix(u, size);
            put8(u, (uint8_t)(0x8a + w)); /* mov al/ax/eax, r/m */
            put_operand(u, &rm, 0);
            ins_end(u, FX_NONE);
        }
        ins_begin(u);
        size_prefix(u, size);
        put8(u, 0x0f);
        put8(u, (uint8_t)(0xb0 + w));
        put_operand(u, &rm, pick_src(g, size));
        mark_rm(u, &rm, size);
        mark_write(u, 0, size);
        ins_end(u, FX_ALL);
        return true;
    }
    default: { /* CMPXCHG8B m64; sometimes with EDX:EAX equal to it first */
        uint32_t off = rnd(g, DIFF_SCRATCH_SIZE - 8 + 1);
        if (rnd(g, 2)) {
            uint8_t lo[6] = {0x8b, 0x83}, hi[6] = {0x8b, 0x93}; /* mov eax/edx, [ebx+disp32] */
            uint32_t off4 = off + 4;
            memcpy(&lo[2], &off, 4);
            memcpy(&hi[2], &off4, 4);
            ins_bytes(u, lo, 6, FX_NONE);
            ins_bytes(u, hi, 6, FX_NONE);
            reg_operand(&rm, 0);
            rm.b[0] = 0x83;
            memcpy(&rm.b[1], &off, 4);
            rm.len = 5;
            rm.reg = -1;
        } else {
            mem_operand(g, c, &rm, 0, 8);
        }
        ins_begin(u);
        put8(u, 0x0f);
        put8(u, 0xc7);
        put_operand(u, &rm, 1);
        u->wregs |= 0x05;
        ins_end(u, FX_ZF);
        return true;
    }
    }
}

/* MOVZX MOVSX CBW CWDE CWD CDQ LEA */
static bool g_ext(struct gen *g, struct gen_case *c, struct unit *u)
{
    unsigned kind = rnd(g, 4);
    struct operand rm;

    if (kind == 0) {
        /* MOVZX/MOVSX r16/32, r/m8 or r32, r/m16. */
        unsigned from16 = rnd(g, 2), sx = rnd(g, 2);
        unsigned size = from16 ? 2 : 1 + rnd(g, 2), reg = pick_dst(g, size);
        rm_operand(g, c, &rm, from16, false, true);
        ins_begin(u);
        size_prefix(u, size);
        put8(u, 0x0f);
        put8(u, (uint8_t)(0xb6 + from16 + sx * 8));
        put_operand(u, &rm, reg);
        mark_write(u, reg, size);
        ins_end(u, FX_NONE);
    } else if (kind == 1) {
        unsigned size = 1 + rnd(g, 2), cwd = rnd(g, 2);
        ins_begin(u);
        size_prefix(u, size);
        put8(u, (uint8_t)(0x98 + cwd));
        mark_write(u, cwd ? 2 : 0, size);
        ins_end(u, FX_NONE);
    } else {
        unsigned size = 1 + rnd(g, 2), reg = pick_dst(g, size);
        mem_operand(g, c, &rm, 0, 8);
        ins_begin(u);
        size_prefix(u, size);
        put8(u, 0x8d);
        put_operand(u, &rm, reg);
        mark_write(u, reg, size);
        ins_end(u, FX_NONE);
    }
    return true;
}

/* CMOVcc SETcc */
static bool g_cc(struct gen *g, struct gen_case *c, struct unit *u)
{
    unsigned cc = rnd(g, 16);
    struct operand rm;

    need_flags(g, u, gen_cc_reads(cc));
    if (rnd(g, 2)) {
        unsigned size = 1 + rnd(g, 2), reg = pick_dst(g, size);
        rm_operand(g, c, &rm, size, false, true);
        ins_begin(u);
        size_prefix(u, size);
        put8(u, 0x0f);
        put8(u, (uint8_t)(0x40 + cc));
        put_operand(u, &rm, reg);
        mark_write(u, reg, size);
    } else {
        rm_operand(g, c, &rm, 0, true, true);
        ins_begin(u);
        put8(u, 0x0f);
        put8(u, (uint8_t)(0x90 + cc));
        put_operand(u, &rm, 0);
        mark_rm(u, &rm, 0);
    }
    ins_end(u, FX_NONE);
    return true;
}

/* LAHF SAHF CLC STC CMC CLD STD */
static bool g_flags(struct gen *g, struct gen_case *c, struct unit *u)
{
    static const uint8_t b_lahf[] = {0x9f}, b_sahf[] = {0x9e}, b_clc[] = {0xf8}, b_stc[] = {0xf9},
                         b_cmc[] = {0xf5}, b_cld[] = {0xfc}, b_std[] = {0xfd};

    (void)c;
    switch (rnd(g, 7)) {
    case 0:
        need_flags(g, u, GEN_ARITH & ~GEN_OF);
        ins_bytes(u, b_lahf, 1, FX_NONE);
        u->wregs |= 0x01;
        break;
    case 1:
        ins_bytes(u, b_sahf, 1, FX_SAHF);
        break;
    case 2:
        ins_bytes(u, b_clc, 1, FX_CF);
        break;
    case 3:
        ins_bytes(u, b_stc, 1, FX_CF);
        break;
    case 4:
        need_flags(g, u, GEN_CF);
        ins_bytes(u, b_cmc, 1, FX_CF);
        break;
    case 5:
        ins_bytes(u, b_cld, 1, FX_DF);
        break;
    default:
        ins_bytes(u, b_std, 1, FX_DF);
        break;
    }
    return true;
}

/* DAA DAS AAA AAS AAM AAD: invalid in 64-bit mode. */
static bool g_bcd(struct gen *g, struct gen_case *c, struct unit *u)
{
    (void)c;
    if (g->mode64)
        return false;
    switch (rnd(g, 6)) {
    case 0:
    case 1: { /* DAA DAS read AF and CF */
        uint8_t b = rnd(g, 2) ? 0x27 : 0x2f;
        need_flags(g, u, GEN_AF | GEN_CF);
        ins_bytes(u, &b, 1, FX_DAA);
        break;
    }
    case 2:
    case 3: { /* AAA AAS read AF */
        uint8_t b = rnd(g, 2) ? 0x37 : 0x3f;
        need_flags(g, u, GEN_AF);
        ins_bytes(u, &b, 1, FX_AAA);
        break;
    }
    default: { /* AAM imm8 (nonzero: 0 is #DE), AAD imm8 */
        unsigned aad = rnd(g, 2);
        uint8_t imm = rnd(g, 2) ? 10 : (uint8_t)rnd32(g);
        if (!aad && imm == 0)
            imm = 10;
        uint8_t b[2] = {(uint8_t)(aad ? 0xd5 : 0xd4), imm};
        ins_bytes(u, b, 2, FX_AAM);
        break;
    }
    }
    u->wregs |= 0x01;
    return true;
}

/* MOVS STOS LODS CMPS SCAS, with REP/REPE/REPNE and a small ECX. */
static bool g_string(struct gen *g, struct gen_case *c, struct unit *u)
{
    unsigned kind = rnd(g, 5), size = pick_size(g), w = size != 0, rep = rnd(g, 3);
    bool uses_esi = kind == 0 || kind == 2 || kind == 3;
    bool uses_edi = kind != 2;
    bool cmp = kind == 3 || kind == 4;
    static const uint8_t opc[] = {0xa4, 0xaa, 0xac, 0xa6, 0xae};

    if ((uses_esi && !c->esi_ptr) || (uses_edi && !c->edi_ptr))
        return false;
    if (rep) {
        uint8_t mov[5] = {0xb9, (uint8_t)rnd(g, GEN_REP_MAX + 1), 0, 0, 0}; /* mov ecx, imm32 */
        ins_bytes(u, mov, 5, FX_NONE);
        u->wregs |= 1u << 1;
    }
    ins_begin(u);
    if (rep)
        put8(u, cmp && rep == 2 ? 0xf2 : 0xf3);
    size_prefix(u, size);
    put8(u, (uint8_t)(opc[kind] + w));
    if (kind == 2)
        u->wregs |= 0x01;
    /* ESI/EDI move but stay in the page: they keep their roles. */
    if (cmp)
        ins_end(u, rep ? FX_NONE : FX_ALL); /* REP with ECX = 0 leaves the flags alone */
    else
        ins_end(u, FX_NONE);
    return true;
}

typedef bool (*unit_fn)(struct gen *g, struct gen_case *c, struct unit *u);

struct unit_kind {
    unit_fn fn;
    unsigned weight;
};

static const struct unit_kind kinds[] = {
    {g_alu, 24},   {g_mov, 4},    {g_unary, 8}, {g_test, 4},   {g_mul, 6},  {g_div, 4},
    {g_shift, 14}, {g_shiftd, 5}, {g_bt, 6},    {g_bsf, 3},    {g_xchg, 6}, {g_ext, 5},
    {g_cc, 6},     {g_flags, 4},  {g_bcd, 5},   {g_string, 6},
};

static void build_unit(struct gen *g, struct gen_case *c, struct unit *u, bool last, bool wrappable)
{
    unsigned total = 0;

    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        total += kinds[i].weight;
    for (;;) {
        unsigned pick = rnd(g, total);
        size_t i = 0;
        while (pick >= kinds[i].weight)
            pick -= kinds[i++].weight;
        unit_init(u, c, last);
        if (!kinds[i].fn(g, c, u))
            continue;
        if (wrappable && u->no_wrap)
            continue;
        return;
    }
}

/* Append a built group to the case, each instruction with the flags undefined before it. */
static bool commit_unit(struct gen_case *c, const struct unit *u)
{
    if (c->code_len + u->len > DIFF_CODE_MAX || c->ninsns + u->ninsn > GEN_MAX_INSNS)
        return false;
    for (unsigned i = 0; i < u->ninsn; i++)
        gen_append(c, &u->b[u->insn_start[i]], u->insn_len[i], u->insn_fx[i]);
    if (u->wregs & (1u << 6))
        c->esi_index = c->esi_ptr = false;
    if (u->wregs & (1u << 7))
        c->edi_ptr = false;
    if (u->undef_reg >= 0)
        c->reg_undef[u->undef_reg] |= u->undef_reg_bits;
    return true;
}

/*
 * A Jcc over the next group: the group may or may not run, so afterwards a
 * flag is undefined if it was before or the group may leave it undefined.
 */
static bool wrap_jcc(struct gen *g, struct gen_case *c, unsigned *units)
{
    struct unit pre, body;
    unsigned cc = rnd(g, 16);
    uint32_t before;
    uint8_t jcc[6];
    unsigned jlen;

    unit_init(&pre, c, false);
    need_flags(g, &pre, gen_cc_reads(cc));
    if (!commit_unit(c, &pre))
        return false;
    build_unit(g, c, &body, false, true);
    if (body.len <= 127 && rnd(g, 4) != 0) {
        jcc[0] = (uint8_t)(0x70 + cc);
        jcc[1] = (uint8_t)body.len;
        jlen = 2;
    } else {
        uint32_t rel = body.len;
        jcc[0] = 0x0f;
        jcc[1] = (uint8_t)(0x80 + cc);
        memcpy(&jcc[2], &rel, 4);
        jlen = 6;
    }
    if (c->code_len + jlen + body.len > DIFF_CODE_MAX || c->ninsns + 1 + body.ninsn > GEN_MAX_INSNS)
        return false;
    gen_append(c, jcc, jlen, FX_NONE);
    before = c->flags_undef;
    commit_unit(c, &body);
    c->flags_undef |= before;
    *units += 2;
    return true;
}

void gen_random_sequence(struct gen *g, struct gen_case *c, unsigned units)
{
    unsigned done = 0;

    if (units > GEN_MAX_UNITS)
        units = GEN_MAX_UNITS;
    while (done < units) {
        struct unit u;
        if (units - done >= 2 && rnd(g, 10) == 0) {
            if (!wrap_jcc(g, c, &done))
                break;
            continue;
        }
        build_unit(g, c, &u, done + 1 == units, false);
        if (!commit_unit(c, &u))
            break;
        done++;
    }
    c->units += done;
}
