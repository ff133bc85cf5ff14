/*
 * The x87 FPU's state and bookkeeping: RESET and FNINIT, the status and
 * tag words, how an instruction starts (#NM, pending-exception reporting
 * through #MF or FERR#, the last-instruction pointers), stack faults,
 * memory operands, and the data-transfer and control instructions: loads
 * and stores of every format, FXCH, FFREE, FINCSTP, FLDCW, FSTSW, FINIT,
 * FCLEX. SDM Vol. 1 ch. 8, Vol. 2. The environment images are fpu_env.c.
 */
#include "cpu/handlers.h"

#include <stdlib.h>
#include <string.h>

void fpu_select(struct fpu *f)
{
    const char *mode = getenv("POPEK_FPU");
    f->soft = !fpu_host_available() || (mode && strcmp(mode, "soft") == 0);
}

static struct fpu *fpu_of(struct cpu *cpu)
{
    return &cpu->internal->fpu;
}

static bool pending(const struct fpu *f)
{
    return (f->sw & ~f->cw & SF_CW_MASKS) != 0;
}

/*
 * FERR# follows ES while CR0.NE is clear: on a P6 it is asserted when the
 * instruction that raised an unmasked exception completes (SDM Vol. 3A
 * §22.18.6.7) and dropped when the flags are cleared.
 */
void fpu_sync_ferr(struct cpu *cpu)
{
    struct fpu *f = fpu_of(cpu);
    bool level = pending(f) && !(cpu->cr[0] & CR0_NE);
    if (level == f->ferr)
        return;
    f->ferr = level;
    if (cpu->ferr)
        cpu->ferr(cpu->ferr_opaque, level);
}

static void clear_pointers(struct fpu *f)
{
    f->fop = f->fcs = f->fds = 0;
    f->fip = f->fdp = 0;
}

/* SDM Vol. 3A Table 9-1: control word 0040H, tags 5555H (all +0.0), pointers zero. */
void fpu_reset(struct cpu *cpu)
{
    struct fpu *f = fpu_of(cpu);
    memset(f->st, 0, sizeof(f->st));
    f->cw = FPU_CW_ONE;
    f->sw = 0;
    f->top = 0;
    f->empty = 0;
    clear_pointers(f);
    fpu_sync_ferr(cpu);
}

void fpu_init(struct cpu *cpu)
{
    struct fpu *f = fpu_of(cpu);
    f->cw = FPU_CW_INIT;
    f->sw = 0;
    f->top = 0;
    f->empty = 0xff;
    clear_pointers(f);
    fpu_sync_ferr(cpu);
}

uint16_t fpu_status(const struct fpu *f)
{
    uint16_t sw = (uint16_t)(f->sw | (f->top << 11));
    return pending(f) ? sw | FPU_SW_ES | FPU_SW_B : sw;
}

static unsigned tag_of(struct f80 v)
{
    switch (sf_classify(v)) {
    case SF_NORMAL:
        return FPU_TAG_VALID;
    case SF_ZERO:
        return FPU_TAG_ZERO;
    default:
        return FPU_TAG_SPECIAL;
    }
}

uint16_t fpu_tag_word(const struct fpu *f)
{
    unsigned tw = 0;
    for (unsigned r = 0; r < 8; r++)
        tw |= (((f->empty >> r) & 1) ? FPU_TAG_EMPTY : tag_of(f->st[r])) << (2 * r);
    return (uint16_t)tw;
}

void fpu_load_sw(struct cpu *cpu, uint16_t sw)
{
    struct fpu *f = fpu_of(cpu);
    f->top = (sw & FPU_SW_TOP) >> 11;
    f->sw = sw & (uint16_t) ~(FPU_SW_TOP | FPU_SW_ES | FPU_SW_B);
    fpu_sync_ferr(cpu);
}

void fpu_load_cw(struct cpu *cpu, uint16_t cw)
{
    fpu_of(cpu)->cw = (cw & FPU_CW_WRITABLE) | FPU_CW_ONE;
    fpu_sync_ferr(cpu);
}

void fpu_load_tags(struct fpu *f, uint16_t tw)
{
    f->empty = 0;
    for (unsigned r = 0; r < 8; r++) {
        if (((tw >> (2 * r)) & 3) == FPU_TAG_EMPTY)
            f->empty |= (uint8_t)(1u << r);
    }
}

/* --- instruction frame ----------------------------------------------- */

/*
 * A pending unmasked exception at a waiting instruction: #MF with CR0.NE,
 * otherwise (MS-DOS compatibility, SDM Vol. 1 §8.7 and App. D) FERR# is
 * asserted and the processor freezes before the instruction until an
 * interrupt, unless IGNNE# tells it to ignore the error. False: frozen.
 */
static bool report_pending(struct cpu *cpu)
{
    if (cpu->cr[0] & CR0_NE)
        cpu_raise(cpu, EX_MF, NO_ERROR_CODE);
    fpu_sync_ferr(cpu);
    if (cpu->ignne)
        return true;
    cpu->eip = cpu->internal->insn_eip;
    cpu->halted = true;
    cpu->internal->block_dirty = true; /* leave the block here */
    cpu_stop(cpu, CPU_EXIT_HLT);
    return false;
}

void fpu_wait(struct cpu *cpu)
{
    if (pending(fpu_of(cpu)))
        report_pending(cpu);
}

struct fpu *fpu_begin(struct cpu *cpu, const struct insn *in, unsigned how)
{
    struct fpu *f = fpu_of(cpu);
    if (cpu->cr[0] & (CR0_EM | CR0_TS))
        cpu_raise(cpu, EX_NM, NO_ERROR_CODE);
    if ((how & FPU_WAITS) && pending(f) && !report_pending(cpu))
        return NULL;
    if (how & FPU_POINTERS) {
        f->fip = cpu->internal->insn_eip;
        f->fcs = cpu->seg[S_CS].selector;
        f->fop = (uint16_t)in->imm;
        if (in->o[0].kind == OP_MEM) {
            f->fdp = insn_ea(cpu, in);
            f->fds = cpu->seg[in->seg].selector;
        }
    }
    return f;
}

void fpu_raise(struct cpu *cpu, unsigned flags)
{
    struct fpu *f = fpu_of(cpu);
    f->sw |= (uint16_t)(flags & (SF_CW_MASKS | FPU_SW_SF));
    if (flags & ~f->cw & SF_CW_MASKS)
        fpu_sync_ferr(cpu);
}

bool fpu_underflow(struct cpu *cpu)
{
    struct fpu *f = fpu_of(cpu);
    fpu_set_cc(f, SF_C1, 0);
    fpu_raise(cpu, SF_IE | FPU_SW_SF);
    return f->cw & SF_IE;
}

bool fpu_overflow(struct cpu *cpu)
{
    struct fpu *f = fpu_of(cpu);
    fpu_set_cc(f, SF_C1, SF_C1);
    fpu_raise(cpu, SF_IE | FPU_SW_SF);
    return f->cw & SF_IE;
}

/* An unmasked exception that stops the instruction clears C1 (it rounded nothing). */
bool fpu_result(struct cpu *cpu, const struct sf_ctx *c)
{
    struct fpu *f = fpu_of(cpu);
    fpu_raise(cpu, c->flags);
    fpu_set_cc(f, SF_C1, fpu_stops(f, c->flags) ? 0 : c->flags);
    return !fpu_stops(f, c->flags);
}

/* --- memory operands -------------------------------------------------- */

static unsigned chunk(unsigned left)
{
    return left >= 4 ? 4 : left >= 2 ? 2 : 1;
}

void fpu_read_bytes(struct cpu *cpu, const struct insn *in, unsigned offset, void *buf,
                    unsigned len)
{
    uint32_t lin = seg_linear(cpu, in->seg, insn_ea(cpu, in) + offset, len, false);
    uint8_t *p = buf;
    for (unsigned i = 0, n; i < len; i += n) {
        n = chunk(len - i);
        uint32_t v = lin_read(cpu, lin + i, n);
        memcpy(p + i, &v, n);
    }
}

void fpu_write_bytes(struct cpu *cpu, const struct insn *in, unsigned offset, const void *buf,
                     unsigned len)
{
    uint32_t off = insn_ea(cpu, in) + offset;
    cpu_probe_write(cpu, in->seg, off, len);
    uint32_t lin = seg_linear(cpu, in->seg, off, len, true);
    const uint8_t *p = buf;
    for (unsigned i = 0, n; i < len; i += n) {
        uint32_t v = 0;
        n = chunk(len - i);
        memcpy(&v, p + i, n);
        lin_write(cpu, lin + i, v, n);
    }
}

uint64_t fpu_read(struct cpu *cpu, const struct insn *in, unsigned size)
{
    if (size == 8)
        return cpu_read64(cpu, in->seg, insn_ea(cpu, in));
    return mem_read(cpu, in->seg, insn_ea(cpu, in), size);
}

void fpu_write(struct cpu *cpu, const struct insn *in, uint64_t v, unsigned size)
{
    if (size == 8)
        cpu_write64(cpu, in->seg, insn_ea(cpu, in), v);
    else
        mem_write(cpu, in->seg, insn_ea(cpu, in), (uint32_t)v, size);
}

struct f80 fpu_read_m80(struct cpu *cpu, const struct insn *in)
{
    uint8_t b[10];
    fpu_read_bytes(cpu, in, 0, b, 10);
    return fpu_f80_get(b);
}

void fpu_write_m80(struct cpu *cpu, const struct insn *in, struct f80 v)
{
    uint8_t b[10];
    fpu_f80_put(b, v);
    fpu_write_bytes(cpu, in, 0, b, 10);
}

struct f80 fpu_read_operand(struct cpu *cpu, const struct insn *in, bool integer, bool *denormal)
{
    unsigned size = in->o[0].size;
    uint64_t v = fpu_read(cpu, in, size);
    *denormal = false;
    if (integer)
        return sf_from_int(size == 2 ? (int16_t)v : (int32_t)v);
    return size == 4 ? sf_widen_f32((uint32_t)v, denormal) : sf_widen_f64(v, denormal);
}

/* --- loads ------------------------------------------------------------ */

/*
 * Push a loaded value: stack overflow, or the load's own exceptions, or
 * the push. An unmasked exception leaves TOP as it was (SDM Vol. 1 §8.5.2:
 * also for a denormal single or double).
 */
static void push_loaded(struct cpu *cpu, struct fpu *f, struct f80 v, const struct sf_ctx *c)
{
    if (!fpu_is_empty(f, 7)) {
        if (fpu_overflow(cpu))
            fpu_push(f, sf_indefinite());
        return;
    }
    if (fpu_result(cpu, c))
        fpu_push(f, v);
}

void h_fld(struct cpu *cpu, const struct insn *in)
{
    struct fpu *f = fpu_begin(cpu, in, FPU_ARITH);
    if (!f)
        return;
    struct sf_ctx c = {f->cw, 0};
    const struct operand *o = &in->o[0];
    struct f80 v;
    if (o->kind == OP_ST) {
        if (fpu_is_empty(f, o->reg)) {
            if (fpu_underflow(cpu))
                fpu_push(f, sf_indefinite());
            return;
        }
        v = fpu_get(f, o->reg);
    } else if (o->size == 10) {
        v = fpu_read_m80(cpu, in);
    } else if (o->size == 8) {
        v = sf_from_f64(fpu_read(cpu, in, 8), &c);
    } else {
        v = sf_from_f32((uint32_t)fpu_read(cpu, in, 4), &c);
    }
    push_loaded(cpu, f, v, &c);
}

void h_fild(struct cpu *cpu, const struct insn *in)
{
    struct fpu *f = fpu_begin(cpu, in, FPU_ARITH);
    if (!f)
        return;
    struct sf_ctx c = {f->cw, 0};
    unsigned size = in->o[0].size;
    uint64_t v = fpu_read(cpu, in, size);
    int64_t n = size == 2 ? (int16_t)v : size == 4 ? (int32_t)v : (int64_t)v;
    push_loaded(cpu, f, sf_from_int(n), &c);
}

void h_fbld(struct cpu *cpu, const struct insn *in)
{
    struct fpu *f = fpu_begin(cpu, in, FPU_ARITH);
    if (!f)
        return;
    struct sf_ctx c = {f->cw, 0};
    uint8_t b[10];
    fpu_read_bytes(cpu, in, 0, b, 10);
    push_loaded(cpu, f, sf_from_bcd(b), &c);
}

void h_fldconst(struct cpu *cpu, const struct insn *in)
{
    struct fpu *f = fpu_begin(cpu, in, FPU_ARITH);
    if (!f)
        return;
    struct sf_ctx c = {f->cw, 0};
    push_loaded(cpu, f, sf_const((enum sf_const)in->sub, f->cw), &c);
}

/* --- stores ----------------------------------------------------------- */

/* Pop after a store if asked; a store that faulted on memory never gets here. */
static void store_done(struct fpu *f, const struct insn *in)
{
    if (in->sub & 1)
        fpu_pop(f);
}

/* Stores to memory deliver nothing when the exception is unmasked (SDM Vol. 1 §4.9.1.4). */
static bool store_allowed(const struct fpu *f, const struct sf_ctx *c)
{
    return !(c->flags & ~f->cw & (SF_IE | SF_DE | SF_ZE | SF_OE | SF_UE));
}

static bool store_result(struct cpu *cpu, struct fpu *f, const struct sf_ctx *c)
{
    fpu_raise(cpu, c->flags);
    fpu_set_cc(f, SF_C1, store_allowed(f, c) ? c->flags : 0);
    return store_allowed(f, c);
}

/* FST/FSTP to a single or double. */
static void fst_memory(struct cpu *cpu, struct fpu *f, const struct insn *in, struct f80 v,
                       bool indefinite)
{
    struct sf_ctx c = {f->cw, 0};
    unsigned size = in->o[0].size;
    uint64_t bits = size == 8 ? sf_to_f64(v, &c) : sf_to_f32(v, &c);
    if (indefinite)
        bits = size == 8 ? 0xfff8000000000000ull : 0xffc00000u;
    else if (!store_allowed(f, &c)) {
        store_result(cpu, f, &c);
        return;
    }
    fpu_write(cpu, in, bits, size);
    if (!indefinite)
        store_result(cpu, f, &c);
    store_done(f, in);
}

void h_fst(struct cpu *cpu, const struct insn *in)
{
    struct fpu *f = fpu_begin(cpu, in, FPU_ARITH);
    if (!f)
        return;
    const struct operand *o = &in->o[0];
    bool indefinite = false;
    if (fpu_is_empty(f, 0)) {
        if (!fpu_underflow(cpu))
            return;
        indefinite = true;
    }
    struct f80 v = indefinite ? sf_indefinite() : fpu_get(f, 0);
    if (o->kind == OP_MEM) {
        if (o->size == 10) {
            fpu_write_m80(cpu, in, v);
            if (!indefinite)
                fpu_set_cc(f, SF_C1, 0);
            store_done(f, in);
            return;
        }
        fst_memory(cpu, f, in, v, indefinite);
        return;
    }
    fpu_set(f, o->reg, v);
    if (!indefinite)
        fpu_set_cc(f, SF_C1, 0);
    store_done(f, in);
}

/*
 * FSTP1 (D9 D8+i), the alias Zydis calls FSTPNCE: FSTP ST(i), except that
 * an empty ST(0) is no stack fault: it is just popped.
 */
void h_fstpnce(struct cpu *cpu, const struct insn *in)
{
    struct fpu *f = fpu_begin(cpu, in, FPU_ARITH);
    if (!f)
        return;
    if (!fpu_is_empty(f, 0))
        fpu_set(f, in->o[0].reg, fpu_get(f, 0));
    fpu_set_cc(f, SF_C1, 0);
    fpu_pop(f);
}

void h_fist(struct cpu *cpu, const struct insn *in)
{
    struct fpu *f = fpu_begin(cpu, in, FPU_ARITH);
    if (!f)
        return;
    struct sf_ctx c = {f->cw, 0};
    unsigned size = in->o[0].size;
    int64_t v = INT64_MIN >> (64 - 8 * size); /* the integer indefinite */
    bool empty = fpu_is_empty(f, 0);
    if (empty && !fpu_underflow(cpu))
        return;
    if (!empty) {
        v = sf_to_int(fpu_get(f, 0), 8 * size, &c);
        if (!store_allowed(f, &c)) {
            store_result(cpu, f, &c);
            return;
        }
    }
    fpu_write(cpu, in, (uint64_t)v, size);
    if (!empty)
        store_result(cpu, f, &c);
    store_done(f, in);
}

void h_fbstp(struct cpu *cpu, const struct insn *in)
{
    static const uint8_t indefinite[10] = {0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff};
    struct fpu *f = fpu_begin(cpu, in, FPU_ARITH);
    if (!f)
        return;
    struct sf_ctx c = {f->cw, 0};
    uint8_t b[10];
    bool empty = fpu_is_empty(f, 0);
    if (empty && !fpu_underflow(cpu))
        return;
    if (empty) {
        memcpy(b, indefinite, 10);
    } else {
        sf_to_bcd(fpu_get(f, 0), b, &c);
        if (!store_allowed(f, &c)) {
            store_result(cpu, f, &c);
            return;
        }
    }
    fpu_write_bytes(cpu, in, 0, b, 10);
    if (!empty)
        store_result(cpu, f, &c);
    fpu_pop(f);
}

/* --- register stack --------------------------------------------------- */

void h_fxch(struct cpu *cpu, const struct insn *in)
{
    struct fpu *f = fpu_begin(cpu, in, FPU_ARITH);
    if (!f)
        return;
    unsigned i = in->nops ? in->o[in->nops - 1].reg : 1;
    struct f80 a = fpu_get(f, 0), b = fpu_get(f, i);
    if (fpu_is_empty(f, 0) || fpu_is_empty(f, i)) {
        if (!fpu_underflow(cpu))
            return;
        if (fpu_is_empty(f, 0))
            a = sf_indefinite();
        if (fpu_is_empty(f, i))
            b = sf_indefinite();
    } else {
        fpu_set_cc(f, SF_C1, 0);
    }
    fpu_set(f, 0, b);
    fpu_set(f, i, a);
}

void h_ffree(struct cpu *cpu, const struct insn *in)
{
    struct fpu *f = fpu_begin(cpu, in, FPU_ARITH);
    if (!f)
        return;
    f->empty |= (uint8_t)(1u << fpu_phys(f, in->o[0].reg));
    fpu_set_cc(f, SF_C1, 0);
    if (in->sub)
        fpu_pop(f);
}

void h_fincstp(struct cpu *cpu, const struct insn *in)
{
    struct fpu *f = fpu_begin(cpu, in, FPU_ARITH);
    if (!f)
        return;
    f->top = (f->top + (in->sub ? 7 : 1)) & 7;
    fpu_set_cc(f, SF_C1, 0);
}

void h_fnop(struct cpu *cpu, const struct insn *in)
{
    fpu_begin(cpu, in, FPU_ARITH);
}

/* FNENI, FNDISI, FNSETPM: 8087/287 controls, no-ops since the 387. */
void h_fnop_control(struct cpu *cpu, const struct insn *in)
{
    fpu_begin(cpu, in, 0);
}

/* --- control ---------------------------------------------------------- */

void h_fldcw(struct cpu *cpu, const struct insn *in)
{
    if (!fpu_begin(cpu, in, FPU_WAITS))
        return;
    fpu_load_cw(cpu, (uint16_t)fpu_read(cpu, in, 2));
}

void h_fnstcw(struct cpu *cpu, const struct insn *in)
{
    struct fpu *f = fpu_begin(cpu, in, 0);
    fpu_write(cpu, in, f->cw, 2);
}

void h_fnstsw(struct cpu *cpu, const struct insn *in)
{
    struct fpu *f = fpu_begin(cpu, in, 0);
    if (in->o[0].kind == OP_REG)
        reg_write(cpu, R_EAX, 2, fpu_status(f));
    else
        fpu_write(cpu, in, fpu_status(f), 2);
}

void h_fninit(struct cpu *cpu, const struct insn *in)
{
    fpu_begin(cpu, in, 0);
    fpu_init(cpu);
}

void h_fnclex(struct cpu *cpu, const struct insn *in)
{
    struct fpu *f = fpu_begin(cpu, in, 0);
    f->sw &= (uint16_t) ~(SF_CW_MASKS | FPU_SW_SF);
    fpu_sync_ferr(cpu);
}
