/*
 * String instructions: MOVS CMPS SCAS LODS STOS INS OUTS, with REP, REPE
 * and REPNE, DF, and 16- or 32-bit addressing. Every iteration commits its
 * registers before the next begins, so a fault in the middle leaves the
 * state after the last completed iteration and the instruction restarts
 * there; a long REP yields after a slice so interrupts are not held off,
 * and after an iteration that hit a data breakpoint or watchpoint or ran
 * under TF (each iteration single-steps, EIP at the instruction until the
 * count runs out). REP MOVS and REP STOS over RAM move whole runs of
 * iterations at once (string_span), with the same result.
 */
#include "cpu/handlers.h"

#include <glib.h>

#define REP_SLICE 4096u /* iterations before a REP instruction yields */

static inline uint32_t amask(const struct insn *in)
{
    return in->adsize == 2 ? 0xffffu : 0xffffffffu;
}

static inline uint32_t areg(const struct cpu *cpu, const struct insn *in, unsigned r)
{
    return cpu->regs[r] & amask(in);
}

static inline void aadvance(struct cpu *cpu, const struct insn *in, unsigned r, int32_t delta)
{
    uint32_t m = amask(in);
    cpu->regs[r] = (cpu->regs[r] & ~m) | ((cpu->regs[r] + (uint32_t)delta) & m);
}

static inline int32_t step(const struct cpu *cpu, const struct insn *in)
{
    return (cpu->eflags & FL_DF) ? -(int32_t)in->opsize : (int32_t)in->opsize;
}

/* One iteration of each instruction; returns false when REPE/REPNE should stop. */
static bool movs_once(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->opsize;
    uint32_t v = mem_read(cpu, in->seg, areg(cpu, in, R_ESI), size);
    mem_write(cpu, S_ES, areg(cpu, in, R_EDI), v, size);
    aadvance(cpu, in, R_ESI, step(cpu, in));
    aadvance(cpu, in, R_EDI, step(cpu, in));
    return true;
}

static bool stos_once(struct cpu *cpu, const struct insn *in)
{
    mem_write(cpu, S_ES, areg(cpu, in, R_EDI), cpu->regs[R_EAX], in->opsize);
    aadvance(cpu, in, R_EDI, step(cpu, in));
    return true;
}

static bool lods_once(struct cpu *cpu, const struct insn *in)
{
    uint32_t v = mem_read(cpu, in->seg, areg(cpu, in, R_ESI), in->opsize);
    reg_write(cpu, R_EAX, in->opsize, v);
    aadvance(cpu, in, R_ESI, step(cpu, in));
    return true;
}

static bool cmps_once(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->opsize;
    uint32_t a = mem_read(cpu, in->seg, areg(cpu, in, R_ESI), size);
    uint32_t b = mem_read(cpu, S_ES, areg(cpu, in, R_EDI), size);
    aadvance(cpu, in, R_ESI, step(cpu, in));
    aadvance(cpu, in, R_EDI, step(cpu, in));
    cc_set(cpu, CC_SUB, size, a - b, a, b);
    return (a == b) == (in->rep == REP_E);
}

static bool scas_once(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->opsize;
    uint32_t a = reg_read(cpu, R_EAX, size);
    uint32_t b = mem_read(cpu, S_ES, areg(cpu, in, R_EDI), size);
    aadvance(cpu, in, R_EDI, step(cpu, in));
    cc_set(cpu, CC_SUB, size, a - b, a, b);
    return (a == b) == (in->rep == REP_E);
}

static bool ins_once(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->opsize;
    uint16_t port = (uint16_t)cpu->regs[R_EDX];
    uint32_t off = areg(cpu, in, R_EDI);
    /* The destination is checked before the port is read (a read may have side effects). */
    cpu_probe_write(cpu, S_ES, off, size);
    uint32_t v = iobus_read(&cpu->machine->io, port, size);
    mem_write(cpu, S_ES, off, v, size);
    aadvance(cpu, in, R_EDI, step(cpu, in));
    return true;
}

static bool outs_once(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->opsize;
    uint32_t v = mem_read(cpu, in->seg, areg(cpu, in, R_ESI), size);
    iobus_write(&cpu->machine->io, (uint16_t)cpu->regs[R_EDX], v, size);
    aadvance(cpu, in, R_ESI, step(cpu, in));
    return true;
}

/*
 * How many of the next `n` iterations of a string instruction address
 * seg:off (off the current ESI or EDI) within one page and within the
 * segment, with *host the host address of the first element; 0 when that
 * cannot be said without the element path (a segment that is not plain
 * expand-up data, a page crossing, a TLB miss, MMIO, a trapped page, a
 * watched page where the run would write code bytes).
 */
static uint32_t string_span(struct cpu *cpu, const struct insn *in, unsigned seg, uint32_t off,
                            bool write, uint32_t n, uint8_t **host)
{
    const struct cpu_segment *s = &cpu->seg[seg];
    unsigned size = in->opsize;
    uint16_t mask = SEG_ATTR_S | SEG_ATTR_P | (write ? 0x0e : 0x0c);
    uint16_t want = SEG_ATTR_S | SEG_ATTR_P | (write ? 0x02 : 0x00);
    uint64_t last = (uint64_t)off + size - 1; /* the first element's last byte */
    if ((s->attr & mask) != want || last > s->limit || last > amask(in))
        return 0;
    uint32_t lin = s->base + off;
    struct smmu_tlb *tlb = cpu->internal->tlb;
    *host = smmu_fast_ptr(tlb, lin, size, write ? SMMU_WRITE : SMMU_READ, cpu_user(cpu));
    bool watched = !*host && write; /* perhaps data bytes of a watched page: tested below */
    if (!*host && !watched)
        return 0;
    uint32_t in_page = lin & 0xfffu, k;
    if (cpu->eflags & FL_DF) /* down to the page's start and offset 0 */
        k = (off < in_page ? off : in_page) / size + 1;
    else /* up to the page's end, the segment's limit and the address size's end */
        k = (uint32_t)(MIN((uint64_t)(0x1000u - in_page),
                           MIN(s->limit, (uint64_t)amask(in)) - off + 1) /
                       size);
    k = MIN(n, k);
    if (watched && k) { /* the run's bytes must all be data (code next to them stays watched) */
        uint32_t low = (cpu->eflags & FL_DF) ? lin + size - k * size : lin;
        uint8_t *run = smmu_data_run(tlb, low, k * size, cpu_user(cpu), k);
        if (!run)
            return 0;
        *host = run + (lin - low);
    }
    return *host ? k : 0;
}

/* The iterations of REP MOVS string_span allows in both pages, done at once; how many. */
static uint32_t movs_run(struct cpu *cpu, const struct insn *in, uint32_t n)
{
    uint8_t *src, *dst;
    n = string_span(cpu, in, in->seg, areg(cpu, in, R_ESI), false, n, &src);
    if (n)
        n = string_span(cpu, in, S_ES, areg(cpu, in, R_EDI), true, n, &dst);
    if (!n)
        return 0;
    int32_t d = step(cpu, in);
    size_t bytes = (size_t)n * in->opsize;
    uint8_t *src_lo = d < 0 ? src - bytes + in->opsize : src;
    uint8_t *dst_lo = d < 0 ? dst - bytes + in->opsize : dst;
    if (dst_lo + bytes <= src_lo || src_lo + bytes <= dst_lo) {
        memcpy(dst_lo, src_lo, bytes);
    } else { /* overlapping: element by element, in the instruction's order */
        for (uint32_t k = 0; k < n; k++, src += d, dst += d)
            store_le(dst, load_le(src, in->opsize), in->opsize);
    }
    aadvance(cpu, in, R_ESI, d * (int32_t)n);
    aadvance(cpu, in, R_EDI, d * (int32_t)n);
    return n;
}

/* The same for REP STOS. */
static uint32_t stos_run(struct cpu *cpu, const struct insn *in, uint32_t n)
{
    uint8_t *dst;
    n = string_span(cpu, in, S_ES, areg(cpu, in, R_EDI), true, n, &dst);
    if (!n)
        return 0;
    int32_t d = step(cpu, in);
    if (in->opsize == 1) {
        memset(d < 0 ? dst - n + 1 : dst, (int)(cpu->regs[R_EAX] & 0xff), n);
    } else {
        for (uint32_t k = 0; k < n; k++, dst += d)
            store_le(dst, cpu->regs[R_EAX], in->opsize);
    }
    aadvance(cpu, in, R_EDI, d * (int32_t)n);
    return n;
}

/*
 * One string instruction: `once` does an iteration, `run` (where not NULL)
 * as many of the next n as it can at once, returning how many.
 */
static void run_string(struct cpu *cpu, const struct insn *in,
                       bool (*once)(struct cpu *, const struct insn *),
                       uint32_t (*run)(struct cpu *, const struct insn *, uint32_t))
{
    if (!in->rep) {
        once(cpu, in);
        return;
    }
    unsigned n = 0;
    while (n < REP_SLICE) {
        uint32_t left = areg(cpu, in, R_ECX);
        if (left == 0)
            return;
        if (run && !(cpu->eflags & FL_TF)) {
            uint32_t done = run(cpu, in, MIN(left, REP_SLICE - n));
            if (done) {
                aadvance(cpu, in, R_ECX, -(int32_t)done);
                n += done;
                continue;
            }
        }
        bool go_on = once(cpu, in);
        aadvance(cpu, in, R_ECX, -1);
        n++;
        if (!go_on)
            return;
        /* A data breakpoint or a single step: its trap comes after this iteration. */
        if (data_hit(cpu->internal) || (cpu->eflags & FL_TF))
            break;
    }
    /* Not finished: run this instruction again after a look at interrupts; the iterations
       count against the run's budget as the instructions they stand for. */
    if (areg(cpu, in, R_ECX) != 0) {
        cpu->eip = cpu->internal->insn_eip;
        cpu_charge_work(cpu, n);
    }
}

void h_movs(struct cpu *cpu, const struct insn *in)
{
    run_string(cpu, in, movs_once, movs_run);
}

void h_stos(struct cpu *cpu, const struct insn *in)
{
    run_string(cpu, in, stos_once, stos_run);
}

void h_lods(struct cpu *cpu, const struct insn *in)
{
    run_string(cpu, in, lods_once, NULL);
}

void h_cmps(struct cpu *cpu, const struct insn *in)
{
    run_string(cpu, in, cmps_once, NULL);
}

void h_scas(struct cpu *cpu, const struct insn *in)
{
    run_string(cpu, in, scas_once, NULL);
}

void h_ins(struct cpu *cpu, const struct insn *in)
{
    cpu_check_io(cpu, (uint16_t)cpu->regs[R_EDX], in->opsize);
    run_string(cpu, in, ins_once, NULL);
}

void h_outs(struct cpu *cpu, const struct insn *in)
{
    cpu_check_io(cpu, (uint16_t)cpu->regs[R_EDX], in->opsize);
    run_string(cpu, in, outs_once, NULL);
}
