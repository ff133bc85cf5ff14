/*
 * Integer arithmetic and logic: ADD..CMP, TEST, INC/DEC/NEG/NOT, the
 * multiplies and divides, shifts and rotates, bit tests and scans, and BCD
 * adjustment, with flags as the SDM Vol. 2 gives them. Where the SDM leaves
 * a flag undefined we do what a P6 does where that is known, and never
 * rely on it.
 */
#include "cpu/handlers.h"

enum { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP };

/* Read operand 0 for read-modify-write: the memory offset is computed once. */
static inline uint32_t rmw_read(struct cpu *cpu, const struct insn *in, uint32_t *lin, bool write)
{
    const struct operand *o = &in->o[0];
    if (o->kind == OP_REG)
        return reg_read(cpu, o->reg, o->size);
    *lin = seg_linear(cpu, in->seg, insn_ea(cpu, in), o->size, write);
    return lin_read(cpu, *lin, o->size);
}

static inline void rmw_write(struct cpu *cpu, const struct insn *in, uint32_t lin, uint32_t v)
{
    const struct operand *o = &in->o[0];
    if (o->kind == OP_REG)
        reg_write(cpu, o->reg, o->size, v);
    else
        lin_write(cpu, lin, v, o->size);
}

static uint32_t alu_calc(unsigned op, uint32_t a, uint32_t b, uint32_t cin)
{
    switch (op) {
    case ALU_ADD:
        return a + b;
    case ALU_ADC:
        return a + b + cin;
    case ALU_SUB:
    case ALU_CMP:
        return a - b;
    case ALU_SBB:
        return a - b - cin;
    case ALU_AND:
        return a & b;
    case ALU_OR:
        return a | b;
    default:
        return a ^ b;
    }
}

static void alu_flags(struct cpu *cpu, unsigned op, unsigned size, uint32_t r, uint32_t a,
                      uint32_t b, uint32_t cin)
{
    static const uint8_t cc[] = {CC_ADD,   CC_LOGIC, CC_ADC,   CC_SBB,
                                 CC_LOGIC, CC_SUB,   CC_LOGIC, CC_SUB};
    cc_set(cpu, cc[op], size, r, a, b);
    cpu->internal->cc_cin = cin;
}

void h_alu(struct cpu *cpu, const struct insn *in)
{
    if (in->o[0].kind == OP_REG && in->o[1].kind == OP_REG && in->o[0].size == 4) {
        /* The commonest form, straight through. */
        unsigned op = in->sub;
        uint32_t a = cpu->regs[in->o[0].reg], b = cpu->regs[in->o[1].reg];
        uint32_t cin = (op == ALU_ADC || op == ALU_SBB) ? cpu_get_cf(cpu) : 0;
        uint32_t r = alu_calc(op, a, b, cin);
        if (op != ALU_CMP)
            cpu->regs[in->o[0].reg] = r;
        alu_flags(cpu, op, 4, r, a, b, cin);
        return;
    }
    uint32_t lin = 0;
    unsigned size = in->o[0].size, op = in->sub;
    uint32_t b = op_read(cpu, in, 1) & size_mask(size);
    uint32_t a = rmw_read(cpu, in, &lin, op != ALU_CMP);
    uint32_t cin = (op == ALU_ADC || op == ALU_SBB) ? cpu_get_cf(cpu) : 0;
    uint32_t r = alu_calc(op, a, b, cin);
    /* Write before the flags: a fault must leave the previous instruction's flags. */
    if (op != ALU_CMP)
        rmw_write(cpu, in, lin, r);
    alu_flags(cpu, op, size, r, a, b, cin);
}

void h_test(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->o[0].size;
    uint32_t r = op_read(cpu, in, 0) & op_read(cpu, in, 1);
    cc_set(cpu, CC_LOGIC, size, r, 0, 0);
}

/* sub: 0 INC, 1 DEC */
void h_incdec(struct cpu *cpu, const struct insn *in)
{
    if (in->o[0].kind == OP_REG && in->o[0].size == 4) {
        uint32_t a = cpu->regs[in->o[0].reg], r = in->sub ? a - 1 : a + 1;
        bool cf = cpu_get_cf(cpu);
        cpu->regs[in->o[0].reg] = r;
        cc_set(cpu, in->sub ? CC_DEC : CC_INC, 4, r, a, 1);
        cpu->internal->cc_cin = cf;
        return;
    }
    uint32_t lin = 0;
    unsigned size = in->o[0].size;
    uint32_t a = rmw_read(cpu, in, &lin, true);
    uint32_t r = in->sub ? a - 1 : a + 1;
    bool cf = cpu_get_cf(cpu);
    rmw_write(cpu, in, lin, r);
    cc_set(cpu, in->sub ? CC_DEC : CC_INC, size, r, a, 1);
    cpu->internal->cc_cin = cf;
}

void h_neg(struct cpu *cpu, const struct insn *in)
{
    uint32_t lin = 0;
    unsigned size = in->o[0].size;
    uint32_t a = rmw_read(cpu, in, &lin, true);
    rmw_write(cpu, in, lin, 0 - a);
    cc_set(cpu, CC_SUB, size, 0 - a, 0, a);
}

void h_not(struct cpu *cpu, const struct insn *in)
{
    uint32_t lin = 0;
    uint32_t a = rmw_read(cpu, in, &lin, true);
    rmw_write(cpu, in, lin, ~a);
}

/* Flags of MUL/IMUL: CF = OF = `overflow`; SF ZF PF AF as a P6 leaves them. */
static void mul_flags(struct cpu *cpu, uint32_t low, unsigned size, bool overflow)
{
    uint32_t fl = szp_flags(low, size) & ~FL_ZF;
    if ((low & size_mask(size)) == 0)
        fl |= FL_ZF;
    cc_store(cpu, fl | (overflow ? FL_CF | FL_OF : 0));
}

/* MUL and the one-operand IMUL (sub 1): AL/AX/EAX times r/m into AX, DX:AX, EDX:EAX. */
void h_mul(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->o[0].size;
    uint32_t b = op_read(cpu, in, 0);
    uint32_t a = reg_read(cpu, R_EAX, size);
    uint64_t r;
    bool of;
    int sh = 64 - 8 * (int)size;
    if (in->sub) {
        int64_t sa = (int64_t)((uint64_t)a << sh) >> sh, sb = (int64_t)((uint64_t)b << sh) >> sh;
        int64_t sr = sa * sb;
        r = (uint64_t)sr;
        int64_t trunc = (int64_t)(r << sh) >> sh;
        of = trunc != sr;
    } else {
        r = (uint64_t)a * b;
        of = (r >> (8 * size)) != 0;
    }
    if (size == 1) {
        reg_write(cpu, R_EAX, 2, (uint32_t)r);
    } else {
        reg_write(cpu, R_EAX, size, (uint32_t)r);
        reg_write(cpu, R_EDX, size, (uint32_t)(r >> (8 * size)));
    }
    mul_flags(cpu, (uint32_t)r, size, of);
}

/* IMUL r, r/m and IMUL r, r/m, imm. */
void h_imul(struct cpu *cpu, const struct insn *in)
{
    if (in->nops == 1) {
        h_mul(cpu, in);
        return;
    }
    unsigned size = in->o[0].size;
    int sh = 64 - 8 * (int)size;
    uint32_t a = in->nops == 3 ? op_read(cpu, in, 1) : op_read(cpu, in, 0);
    uint32_t b = in->nops == 3 ? in->imm : op_read(cpu, in, 1);
    int64_t sa = (int64_t)((uint64_t)a << sh) >> sh, sb = (int64_t)((uint64_t)b << sh) >> sh;
    int64_t sr = sa * sb;
    int64_t trunc = (int64_t)((uint64_t)sr << sh) >> sh;
    reg_write(cpu, in->o[0].reg, size, (uint32_t)sr);
    mul_flags(cpu, (uint32_t)sr, size, trunc != sr);
}

/* DIV (sub 0) and IDIV (sub 1); #DE on a zero divisor or a quotient that does not fit. */
void h_div(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->o[0].size, bits = 8 * size;
    uint64_t divisor = op_read(cpu, in, 0) & size_mask(size);
    uint64_t dividend;
    if (size == 1)
        dividend = cpu->regs[R_EAX] & 0xffff;
    else
        dividend = ((uint64_t)reg_read(cpu, R_EDX, size) << bits) | reg_read(cpu, R_EAX, size);
    if (divisor == 0)
        cpu_raise(cpu, EX_DE, NO_ERROR_CODE);
    uint64_t q, r;
    if (in->sub) {
        int sh = 64 - 2 * (int)bits, dsh = 64 - (int)bits;
        int64_t sn = sh ? (int64_t)(dividend << sh) >> sh : (int64_t)dividend;
        int64_t sd = (int64_t)(divisor << dsh) >> dsh;
        if (sn == INT64_MIN && sd == -1)
            cpu_raise(cpu, EX_DE, NO_ERROR_CODE);
        int64_t sq = sn / sd, sr = sn % sd;
        int64_t lim = (int64_t)1 << (bits - 1);
        if (sq >= lim || sq < -lim)
            cpu_raise(cpu, EX_DE, NO_ERROR_CODE);
        q = (uint64_t)sq;
        r = (uint64_t)sr;
    } else {
        q = dividend / divisor;
        r = dividend % divisor;
        if (q >> bits)
            cpu_raise(cpu, EX_DE, NO_ERROR_CODE);
    }
    if (size == 1) {
        reg_write(cpu, R_EAX, 2, (uint32_t)((q & 0xff) | (r & 0xff) << 8));
    } else {
        reg_write(cpu, R_EAX, size, (uint32_t)q);
        reg_write(cpu, R_EDX, size, (uint32_t)r);
    }
    /* All arithmetic flags are undefined; a P6 leaves them unchanged. */
}

/*
 * Shifts and rotates; sub: 0 ROL 1 ROR 2 RCL 3 RCR 4 SHL 5 SHR 6 SAL 7 SAR.
 * The count is masked to 5 bits; a masked count of 0 changes no flags. OF
 * is defined for a count of 1; for larger counts we compute it as for 1
 * bit applied last, as P6 processors do for most forms.
 */
void h_shift(struct cpu *cpu, const struct insn *in)
{
    uint32_t lin = 0;
    unsigned size = in->o[0].size, bits = 8 * size;
    unsigned count = (in->nops > 1 ? op_read(cpu, in, 1) : 1) & 31;
    uint32_t mask = size_mask(size), sign = sign_bit(size);
    uint32_t a = rmw_read(cpu, in, &lin, true) & mask;
    if (count == 0)
        return;
    uint32_t fl = cpu_get_eflags(cpu) & FL_ARITH, r;
    bool cf, of;
    switch (in->sub) {
    case 0: { /* ROL */
        unsigned n = count % bits;
        r = n ? ((a << n) | (a >> (bits - n))) & mask : a;
        cf = r & 1;
        of = !!(r & sign) != cf;
        fl = (fl & ~(FL_CF | FL_OF)) | (cf ? FL_CF : 0) | (of ? FL_OF : 0);
        break;
    }
    case 1: { /* ROR */
        unsigned n = count % bits;
        r = n ? ((a >> n) | (a << (bits - n))) & mask : a;
        cf = r & sign;
        of = !!(r & sign) != !!(r & (sign >> 1));
        fl = (fl & ~(FL_CF | FL_OF)) | (cf ? FL_CF : 0) | (of ? FL_OF : 0);
        break;
    }
    case 2: { /* RCL: rotate through CF, a (bits + 1)-bit rotation */
        unsigned n = count % (bits + 1);
        uint64_t wide = ((uint64_t)(fl & FL_CF ? 1 : 0) << bits) | a;
        for (unsigned i = 0; i < n; i++)
            wide = ((wide << 1) | (wide >> bits)) & ((2ull << bits) - 1);
        r = (uint32_t)wide & mask;
        cf = (wide >> bits) & 1;
        of = !!(r & sign) != cf;
        fl = (fl & ~(FL_CF | FL_OF)) | (cf ? FL_CF : 0) | (of ? FL_OF : 0);
        break;
    }
    case 3: { /* RCR */
        unsigned n = count % (bits + 1);
        uint64_t wide = ((uint64_t)(fl & FL_CF ? 1 : 0) << bits) | a;
        bool of_in = !!(a & sign) != !!(fl & FL_CF);
        for (unsigned i = 0; i < n; i++)
            wide = ((wide >> 1) | ((wide & 1) << bits)) & ((2ull << bits) - 1);
        r = (uint32_t)wide & mask;
        cf = (wide >> bits) & 1;
        of = n == 1 ? of_in : !!(r & sign) != !!(r & (sign >> 1));
        fl = (fl & ~(FL_CF | FL_OF)) | (cf ? FL_CF : 0) | (of ? FL_OF : 0);
        break;
    }
    case 4:
    case 6: /* SHL/SAL */
        r = count < bits ? (a << count) & mask : 0;
        cf = count <= bits ? (a >> (bits - count)) & 1 : 0;
        of = !!(r & sign) != cf;
        fl = szp_flags(r, size) | (cf ? FL_CF : 0) | (of ? FL_OF : 0);
        break;
    case 5: /* SHR */
        r = count < bits ? a >> count : 0;
        cf = count <= bits ? (a >> (count - 1)) & 1 : 0;
        of = count == 1 ? !!(a & sign) : 0;
        fl = szp_flags(r, size) | (cf ? FL_CF : 0) | (of ? FL_OF : 0);
        break;
    default: { /* SAR */
        int sh = 32 - (int)bits;
        int32_t sa = (int32_t)(a << sh) >> sh;
        unsigned n = count < bits ? count : bits - 1;
        r = (uint32_t)(sa >> n) & mask;
        cf = (sa >> (count < bits ? count - 1 : bits - 1)) & 1;
        fl = szp_flags(r, size) | (cf ? FL_CF : 0);
        break;
    }
    }
    rmw_write(cpu, in, lin, r);
    cc_store(cpu, fl);
}

/* SHLD (sub 0) and SHRD (sub 1): count masked to 5 bits; 16-bit counts over 16 undefined. */
void h_shd(struct cpu *cpu, const struct insn *in)
{
    uint32_t lin = 0;
    unsigned size = in->o[0].size, bits = 8 * size;
    unsigned count = (in->o[2].kind == OP_IMM ? in->imm : cpu->regs[R_ECX]) & 31;
    uint32_t mask = size_mask(size), sign = sign_bit(size);
    uint32_t b = reg_read(cpu, in->o[1].reg, size);
    uint32_t a = rmw_read(cpu, in, &lin, true) & mask;
    if (count == 0)
        return;
    uint64_t wide, r64;
    uint32_t r;
    bool cf;
    if (in->sub == 0) {
        /* The destination followed by the source, shifted left as one. */
        wide = ((uint64_t)a << bits) | b;
        if (bits == 16)
            wide = (wide << 16) | a; /* a P6 repeats the destination for counts over 16 */
        unsigned total = bits == 16 ? 48 : 64;
        r64 = wide << count;
        r = (uint32_t)(r64 >> (total - bits)) & mask;
        cf = (wide >> (total - count)) & 1;
    } else {
        wide = ((uint64_t)b << bits) | a;
        if (bits == 16)
            wide |= (uint64_t)a << 32;
        r64 = wide >> count;
        r = (uint32_t)r64 & mask;
        cf = (wide >> (count - 1)) & 1;
    }
    bool of = !!((r ^ a) & sign);
    rmw_write(cpu, in, lin, r);
    cc_store(cpu, szp_flags(r, size) | (cf ? FL_CF : 0) | (of ? FL_OF : 0));
}

/*
 * BT BTS BTR BTC; sub: 0 BT 1 BTS 2 BTR 3 BTC. A register bit offset on a
 * memory operand addresses outside the operand (signed, in operand-size
 * units); an immediate offset is taken modulo the operand size.
 */
void h_bt(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->o[0].size, bits = 8 * size;
    uint32_t off = op_read(cpu, in, 1);
    uint32_t lin = 0, v;
    unsigned bit;
    if (in->o[0].kind == OP_REG) {
        bit = off & (bits - 1);
        v = reg_read(cpu, in->o[0].reg, size);
    } else {
        uint32_t ea = insn_ea(cpu, in);
        if (in->o[1].kind == OP_REG) {
            int32_t soff = size == 2 ? (int16_t)off : (int32_t)off;
            ea += (uint32_t)((soff >> (size == 2 ? 4 : 5)) * (int32_t)size);
            if (in->adsize == 2)
                ea &= 0xffff;
            bit = (uint32_t)soff & (bits - 1);
        } else {
            bit = off & (bits - 1);
        }
        lin = seg_linear(cpu, in->seg, ea, size, in->sub != 0);
        v = lin_read(cpu, lin, size);
    }
    bool cf = (v >> bit) & 1;
    uint32_t r = v;
    switch (in->sub) {
    case 1:
        r |= 1u << bit;
        break;
    case 2:
        r &= ~(1u << bit);
        break;
    case 3:
        r ^= 1u << bit;
        break;
    default:
        break;
    }
    if (in->sub) {
        if (in->o[0].kind == OP_REG)
            reg_write(cpu, in->o[0].reg, size, r);
        else
            lin_write(cpu, lin, r, size);
    }
    uint32_t fl = cpu_get_eflags(cpu) & FL_ARITH;
    cc_store(cpu, (fl & ~FL_CF) | (cf ? FL_CF : 0));
}

/* BSF (sub 0) and BSR (sub 1): ZF set and destination unchanged for a zero source. */
void h_bsf(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->o[0].size;
    uint32_t v = op_read(cpu, in, 1) & size_mask(size);
    uint32_t fl = cpu_get_eflags(cpu) & FL_ARITH & ~FL_ZF;
    if (v == 0) {
        cc_store(cpu, fl | FL_ZF);
        return;
    }
    unsigned idx = in->sub ? 31 - (unsigned)__builtin_clz(v) : (unsigned)__builtin_ctz(v);
    reg_write(cpu, in->o[0].reg, size, idx);
    cc_store(cpu, fl);
}

/* DAA (sub 0) and DAS (sub 1), SDM Vol. 2 pseudo-code. */
void h_daa(struct cpu *cpu, const struct insn *in)
{
    uint32_t fl = cpu_get_eflags(cpu);
    uint8_t al = (uint8_t)cpu->regs[R_EAX], old_al = al;
    bool old_cf = fl & FL_CF, cf = false, af = false;
    if ((al & 0xf) > 9 || (fl & FL_AF)) {
        if (in->sub) {
            cf = old_cf || al < 6;
            al -= 6;
        } else {
            cf = old_cf || al > 0xf9;
            al += 6;
        }
        af = true;
    }
    if (old_al > 0x99 || old_cf) {
        al = in->sub ? al - 0x60 : al + 0x60;
        cf = true;
    }
    reg_write(cpu, R_EAX, 1, al);
    cc_store(cpu, szp_flags(al, 1) | (cf ? FL_CF : 0) | (af ? FL_AF : 0));
}

/* AAA (sub 0) and AAS (sub 1). */
void h_aaa(struct cpu *cpu, const struct insn *in)
{
    uint32_t fl = cpu_get_eflags(cpu);
    uint16_t ax = (uint16_t)cpu->regs[R_EAX];
    bool adj = (ax & 0xf) > 9 || (fl & FL_AF);
    if (adj) {
        if (in->sub) {
            ax = (uint16_t)(ax - 6);
            ax = (uint16_t)((((ax >> 8) - 1u) << 8) | (ax & 0xffu));
        } else {
            ax = (uint16_t)(ax + 0x106);
        }
    }
    ax &= 0xff0f;
    reg_write(cpu, R_EAX, 2, ax);
    uint32_t out = szp_flags(ax & 0xff, 1) | (adj ? FL_CF | FL_AF : 0);
    cc_store(cpu, out);
}

void h_aam(struct cpu *cpu, const struct insn *in)
{
    uint8_t base = (uint8_t)in->imm, al = (uint8_t)cpu->regs[R_EAX];
    if (base == 0)
        cpu_raise(cpu, EX_DE, NO_ERROR_CODE);
    uint8_t r = al % base;
    reg_write(cpu, R_EAX, 2, (uint32_t)((al / base) << 8 | r));
    cc_store(cpu, szp_flags(r, 1));
}

void h_aad(struct cpu *cpu, const struct insn *in)
{
    uint8_t base = (uint8_t)in->imm;
    uint32_t ax = cpu->regs[R_EAX];
    uint8_t al = (uint8_t)(((ax >> 8) & 0xff) * base + (ax & 0xff));
    reg_write(cpu, R_EAX, 2, al);
    cc_store(cpu, szp_flags(al, 1));
}
