/*
 * Lazy arithmetic flags: an arithmetic instruction records its operation,
 * size, operands and result; CF PF AF ZF SF OF are worked out only when
 * something reads them (Jcc, PUSHF, an exception frame, ...). The rules are
 * the SDM's (Vol. 1 §3.4.3, Vol. 2 for each instruction).
 */
#include "cpu/internal.h"

/* The full arithmetic flags of the recorded operation. */
static uint32_t lazy_arith(const struct cpu_internal *c)
{
    unsigned size = c->cc_size;
    uint32_t mask = size_mask(size), sign = sign_bit(size);
    uint32_t res = c->cc_res & mask, a = c->cc_src1 & mask, b = c->cc_src2 & mask;
    uint32_t fl = szp_flags(res, size);

    switch (c->cc_op) {
    case CC_ADD:
    case CC_ADC:
        if (c->cc_op == CC_ADD ? res < a : (uint64_t)a + b + c->cc_cin > mask)
            fl |= FL_CF;
        if ((a ^ res) & (b ^ res) & sign)
            fl |= FL_OF;
        fl |= (a ^ b ^ res) & FL_AF;
        break;
    case CC_SUB:
    case CC_SBB:
        if ((uint64_t)a < (uint64_t)b + (c->cc_op == CC_SBB ? c->cc_cin : 0))
            fl |= FL_CF;
        if ((a ^ b) & (a ^ res) & sign)
            fl |= FL_OF;
        fl |= (a ^ b ^ res) & FL_AF;
        break;
    case CC_INC:
        fl |= c->cc_cin ? FL_CF : 0;
        if (res == sign)
            fl |= FL_OF;
        fl |= (res & 0xf) == 0 ? FL_AF : 0;
        break;
    case CC_DEC:
        fl |= c->cc_cin ? FL_CF : 0;
        if (res == sign - 1)
            fl |= FL_OF;
        fl |= (res & 0xf) == 0xf ? FL_AF : 0;
        break;
    case CC_LOGIC:
    default:
        break;
    }
    return fl;
}

uint32_t cpu_get_eflags(struct cpu *cpu)
{
    struct cpu_internal *c = cpu->internal;
    if (c->cc_op != CC_EAGER) {
        cpu->eflags = (cpu->eflags & ~FL_ARITH) | lazy_arith(c);
        c->cc_op = CC_EAGER;
    }
    return cpu->eflags;
}

bool cpu_get_cf(struct cpu *cpu)
{
    const struct cpu_internal *c = cpu->internal;
    uint32_t mask;
    switch (c->cc_op) {
    case CC_EAGER:
        return cpu->eflags & FL_CF;
    case CC_ADD:
        mask = size_mask(c->cc_size);
        return (c->cc_res & mask) < (c->cc_src1 & mask);
    case CC_SUB:
        mask = size_mask(c->cc_size);
        return (c->cc_src1 & mask) < (c->cc_src2 & mask);
    case CC_LOGIC:
        return false;
    case CC_INC:
    case CC_DEC:
        return c->cc_cin;
    default: /* ADC, SBB: the full computation */
        return cpu_get_eflags(cpu) & FL_CF;
    }
}

void cpu_set_eflags(struct cpu *cpu, uint32_t value, uint32_t writable)
{
    uint32_t cur = cpu_get_eflags(cpu);
    /* Bit 1 is always one; bits 3, 5, 15 and 22-31 always zero. */
    cpu->eflags = (((cur & ~writable) | (value & writable)) & 0x003f7fd5u) | 0x2;
}

/* Condition codes in encoding order: O NO B NB Z NZ BE NBE S NS P NP L NL LE NLE. */
bool cpu_cond(struct cpu *cpu, unsigned cc)
{
    struct cpu_internal *c = cpu->internal;
    bool r;
    /* The common compare-and-branch cases straight from the operands. */
    if (c->cc_op == CC_SUB) {
        unsigned size = c->cc_size;
        uint32_t mask = size_mask(size), a = c->cc_src1 & mask, b = c->cc_src2 & mask;
        int shift = 32 - 8 * (int)size;
        int32_t sa = (int32_t)(a << shift) >> shift, sb = (int32_t)(b << shift) >> shift;
        switch (cc >> 1) {
        case 1:
            r = a < b;
            return (cc & 1) ? !r : r;
        case 2:
            r = a == b;
            return (cc & 1) ? !r : r;
        case 3:
            r = a <= b;
            return (cc & 1) ? !r : r;
        case 6:
            r = sa < sb;
            return (cc & 1) ? !r : r;
        case 7:
            r = sa <= sb;
            return (cc & 1) ? !r : r;
        default:
            break;
        }
    } else if (c->cc_op != CC_EAGER && (cc >> 1) == 2) {
        r = (c->cc_res & size_mask(c->cc_size)) == 0;
        return (cc & 1) ? !r : r;
    }

    uint32_t f = cpu_get_eflags(cpu);
    switch (cc >> 1) {
    case 0:
        r = f & FL_OF;
        break;
    case 1:
        r = f & FL_CF;
        break;
    case 2:
        r = f & FL_ZF;
        break;
    case 3:
        r = f & (FL_CF | FL_ZF);
        break;
    case 4:
        r = f & FL_SF;
        break;
    case 5:
        r = f & FL_PF;
        break;
    case 6:
        r = !(f & FL_SF) != !(f & FL_OF);
        break;
    default:
        r = (f & FL_ZF) || (!(f & FL_SF) != !(f & FL_OF));
        break;
    }
    return (cc & 1) ? !r : r;
}
