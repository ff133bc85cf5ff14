/*
 * The CPU's life cycle and run loop: creation and RESET, the slow memory
 * paths behind the inline accessors, CPUID, and cpu_run, which finds or
 * decodes the block at CS:EIP, runs it, follows chains between blocks,
 * takes external interrupts at block boundaries, and is the one place an
 * exception unwinds to.
 */
#include "cpu/handlers.h"

#include <glib.h>

#include "translator/tcache.h"

#define BLOCK_MAX_INSNS 32
#define TC_MAX_BLOCKS   65536
#define JUMP_CACHE_BITS 12
#define JUMP_CACHE_SIZE (1u << JUMP_CACHE_BITS)
#define CPU_SIGNATURE   0x00000652u /* family 6, model 5 (Pentium II), stepping 2 */

/* A decoded block: the payload of a translation-cache entry. */
struct block {
    uint32_t lin;     /* linear address it was decoded at */
    uint32_t cs_base; /* and the CS base then (chains stay within one) */
    unsigned n;
    struct insn insns[];
};

static unsigned jc_index(uint32_t lin)
{
    return (lin ^ (lin >> JUMP_CACHE_BITS)) & (JUMP_CACHE_SIZE - 1);
}

static void release_block(void *opaque, void *payload)
{
    struct cpu *cpu = opaque;
    struct block *b = payload;
    struct jump_cache_entry *e = &cpu->internal->jump_cache[jc_index(b->lin)];
    if (e->tb && e->tb->payload == b)
        e->tb = NULL;
    g_free(b);
}

/* A write reached a page holding decoded code (write-watch). */
static void code_written(void *opaque, uint64_t paddr, unsigned size)
{
    struct cpu *cpu = opaque;
    struct cpu_internal *c = cpu->internal;
    if (!tcache_invalidate(c->tc, paddr, size, c->cpu_writing ? TC_DROP_WRITE : TC_DROP_DMA))
        return;
    c->need_collect = true;
    if (c->cur_tb && !c->cur_tb->valid)
        c->block_dirty = true;
}

/* The physical map changed: every decoded block may stand for other bytes now. */
static void map_changed(void *opaque)
{
    struct cpu *cpu = opaque;
    struct cpu_internal *c = cpu->internal;
    tcache_flush(c->tc);
    c->need_collect = true;
    if (c->cur_tb)
        c->block_dirty = true;
}

struct cpu *cpu_create(struct machine *m, struct shadowmmu *mmu)
{
    struct cpu *cpu = g_new0(struct cpu, 1);
    struct cpu_internal *c = g_new0(struct cpu_internal, 1);
    cpu->internal = c;
    cpu->machine = m;
    cpu->mmu = mmu;
    c->tlb = smmu_tlb(mmu);
    c->tc = tcache_create(mmu, TC_MAX_BLOCKS, release_block, cpu);
    c->jump_cache = g_new0(struct jump_cache_entry, JUMP_CACHE_SIZE);
    c->scratch_block = g_malloc0(sizeof(struct block) + sizeof(struct insn));
    smmu_set_watch_callback(mmu, code_written, cpu);
    smmu_set_map_callback(mmu, map_changed, cpu);
    cpu_decoder_init(cpu);
    fpu_select(&c->fpu);
    cpu_reset(cpu);
    return cpu;
}

void cpu_destroy(struct cpu *cpu)
{
    if (!cpu)
        return;
    struct cpu_internal *c = cpu->internal;
    smmu_set_watch_callback(cpu->mmu, NULL, NULL);
    smmu_set_map_callback(cpu->mmu, NULL, NULL);
    tcache_destroy(c->tc);
    cpu_decoder_destroy(cpu);
    g_free(c->jump_cache);
    g_free(c->scratch_block);
    g_free(c);
    g_free(cpu);
}

struct tcache *cpu_tcache(struct cpu *cpu)
{
    return cpu->internal->tc;
}

void cpu_reset(struct cpu *cpu)
{
    struct cpu_internal *c = cpu->internal;
    memset(cpu->regs, 0, sizeof(cpu->regs));
    cpu->regs[R_EDX] = CPU_SIGNATURE;
    cpu->eip = 0xfff0;
    cpu->eflags = 0x2;
    cpu->cr[0] = 0x60000010u; /* CD NW ET */
    cpu->cr[2] = cpu->cr[3] = cpu->cr[4] = 0;
    for (int s = 0; s < S_COUNT; s++)
        cpu->seg[s] = (struct cpu_segment){0, 0, 0xffff, 0x93};
    cpu->seg[S_CS] = (struct cpu_segment){0xf000, 0xffff0000u, 0xffff, 0x9b};
    cpu->gdtr = (struct cpu_dtable){0, 0, 0xffff, 0};
    cpu->idtr = (struct cpu_dtable){0, 0, 0xffff, 0};
    cpu->ldtr = (struct cpu_dtable){0, 0, 0xffff, 0x82};
    cpu->tr = (struct cpu_dtable){0, 0, 0xffff, 0x8b};
    memset(cpu->dr, 0, sizeof(cpu->dr));
    cpu->dr[6] = 0xffff0ff0u;
    cpu->dr[7] = 0x400;
    cpu_write_tsc(cpu, 0);
    c->cc_op = CC_EAGER;
    cpu->halted = false;
    c->inhibit_irq = false;
    c->delivering = -1;
    cpu_debug_cancel(cpu);
    cpu_debug_sync(cpu);
    memset(&c->msr, 0, sizeof(c->msr));
    c->msr.apic_base = 0xfee00900u;
    c->msr.pat = 0x0007040600070406ull; /* the power-on PAT */
    fpu_reset(cpu);
    cpu_sync_control(cpu);
}

static int apply_control(struct cpu *cpu)
{
    if (smmu_set_mode(cpu->mmu, cpu->cr[0], cpu->cr[4]) < 0 ||
        smmu_set_cr3(cpu->mmu, cpu->cr[3]) < 0)
        return -1;
    cpu_update_mode(cpu);
    return 0;
}

void cpu_sync_control(struct cpu *cpu)
{
    (void)apply_control(cpu);
}

/* For MOV to CR0/CR3/CR4: #GP(0) on malformed PAE PDPTEs, with the old values kept. */
void cpu_write_control(struct cpu *cpu, unsigned n, uint32_t value)
{
    uint32_t old = cpu->cr[n];
    cpu->cr[n] = value;
    if (apply_control(cpu) < 0) {
        cpu->cr[n] = old;
        (void)apply_control(cpu);
        cpu_raise(cpu, EX_GP, 0);
    }
}

void cpu_request_exit(struct cpu *cpu)
{
    cpu->internal->exit_request = true;
}

void cpu_set_breakpoints(struct cpu *cpu, const uint32_t *linear, unsigned n)
{
    struct cpu_internal *c = cpu->internal;
    c->nbreakpoints = MIN(n, CPU_MAX_BREAKPOINTS);
    if (c->nbreakpoints)
        memcpy(c->breakpoints, linear, c->nbreakpoints * sizeof(*linear));
}

static bool breakpoint_at(const struct cpu_internal *c, uint32_t lin)
{
    for (unsigned i = 0; i < c->nbreakpoints; i++) {
        if (c->breakpoints[i] == lin)
            return true;
    }
    return false;
}

/* --- memory slow paths ------------------------------------------------ */

/*
 * Every CPU access that leaves the TLB fast path ends here: through the MMU
 * (a #PF if it faults), then the data breakpoints (not for fetches).
 */
static void read_mem(struct cpu *cpu, uint32_t lin, void *buf, unsigned size, enum smmu_access acc,
                     int user)
{
    struct smmu_fault f;
    if (smmu_read(cpu->mmu, lin, buf, size, acc, user, &f) < 0)
        cpu_raise_pf(cpu, &f);
    if (acc != SMMU_FETCH)
        data_trap(cpu, lin, size, false);
}

static void write_mem(struct cpu *cpu, uint32_t lin, const void *buf, unsigned size, int user)
{
    struct smmu_fault f;
    struct cpu_internal *c = cpu->internal;
    c->cpu_writing = true;
    int rc = smmu_write(cpu->mmu, lin, buf, size, user, &f);
    c->cpu_writing = false;
    if (rc < 0)
        cpu_raise_pf(cpu, &f);
    data_trap(cpu, lin, size, true);
}

uint32_t cpu_read_slow(struct cpu *cpu, uint32_t lin, unsigned size, enum smmu_access acc)
{
    uint32_t v = 0;
    read_mem(cpu, lin, &v, size, acc, cpu_user(cpu));
    return v;
}

void cpu_write_slow(struct cpu *cpu, uint32_t lin, uint32_t v, unsigned size)
{
    write_mem(cpu, lin, &v, size, cpu_user(cpu));
}

uint32_t cpu_read_lin(struct cpu *cpu, uint32_t lin, unsigned size, int user)
{
    uint32_t v = 0;
    read_mem(cpu, lin, &v, size, SMMU_READ, user);
    return v;
}

void cpu_write_lin(struct cpu *cpu, uint32_t lin, uint32_t v, unsigned size, int user)
{
    write_mem(cpu, lin, &v, size, user);
}

uint32_t cpu_read_sys(struct cpu *cpu, uint32_t lin, unsigned size)
{
    return cpu_read_lin(cpu, lin, size, 0);
}

void cpu_write_sys(struct cpu *cpu, uint32_t lin, uint32_t v, unsigned size)
{
    cpu_write_lin(cpu, lin, v, size, 0);
}

void cpu_probe_write(struct cpu *cpu, unsigned seg, uint32_t off, unsigned size)
{
    uint32_t lin = seg_linear(cpu, seg, off, size, true);
    uint32_t last = lin + size - 1;
    uint64_t phys;
    struct smmu_fault f;
    for (uint32_t page = lin & SMMU_PAGE_MASK;; page += SMMU_PAGE_SIZE) {
        uint32_t at = page < lin ? lin : page;
        if (smmu_translate(cpu->mmu, at, SMMU_WRITE, cpu_user(cpu), false, &phys, &f) < 0)
            cpu_raise_pf(cpu, &f);
        if (page == (last & SMMU_PAGE_MASK))
            break;
    }
}

uint64_t cpu_read64(struct cpu *cpu, unsigned seg, uint32_t off)
{
    uint64_t v = 0;
    read_mem(cpu, seg_linear(cpu, seg, off, 8, false), &v, 8, SMMU_READ, cpu_user(cpu));
    return v;
}

void cpu_write64(struct cpu *cpu, unsigned seg, uint32_t off, uint64_t v)
{
    write_mem(cpu, seg_linear(cpu, seg, off, 8, true), &v, 8, cpu_user(cpu));
}

/* --- time-stamp counter ---------------------------------------------- */

uint64_t cpu_read_tsc(struct cpu *cpu)
{
    struct cpu_internal *c = cpu->internal;
    uint64_t t = cpu->tsc + vclock_now(&cpu->machine->clock);
    /* The host clock has microseconds; the guest may read twice within one. */
    if (t <= c->last_tsc)
        t = c->last_tsc + 1;
    c->last_tsc = t;
    return t;
}

void cpu_write_tsc(struct cpu *cpu, uint64_t value)
{
    cpu->tsc = value - vclock_now(&cpu->machine->clock);
    cpu->internal->last_tsc = value ? value - 1 : 0;
}

/* --- ports and identification ----------------------------------------- */

void cpu_check_io(struct cpu *cpu, uint16_t port, unsigned size)
{
    if (!cpu_pe(cpu))
        return;
    unsigned iopl = (cpu->eflags & FL_IOPL) >> 12;
    /* Above IOPL (always in virtual-8086 mode) the TSS I/O bitmap decides. */
    if ((cpu_v86(cpu) || (unsigned)cpu->cpl > iopl) && !cpu_io_allowed(cpu, port, size))
        cpu_raise(cpu, EX_GP, 0);
}

/* An APIC the board gave the CPU, not disabled in IA32_APIC_BASE (SDM Vol. 3A §10.4.3). */
static bool apic_enabled(struct cpu *cpu)
{
    return cpu->apic_base.read && (cpu->apic_base.read(cpu->apic_base.opaque) & (1u << 11));
}

void cpu_cpuid(struct cpu *cpu, uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    /* Only what popek implements: FPU VME PSE TSC MSR PAE CX8 SEP MTRR PGE CMOV PAT FXSR. */
    const uint32_t features = (1u << 0) | (1u << 1) | (1u << 3) | (1u << 4) | (1u << 5) |
                              (1u << 6) | (1u << 8) | (1u << 11) | (1u << 12) | (1u << 13) |
                              (1u << 15) | (1u << 16) | (1u << 24);
    switch (leaf) {
    case 0:
        *a = 2;
        *b = 0x756e6547u; /* "GenuineIntel" */
        *d = 0x49656e69u;
        *c = 0x6c65746eu;
        break;
    case 1:
        *a = CPU_SIGNATURE;
        *b = 0; /* initial APIC ID 0 */
        *c = 0;
        *d = features | (apic_enabled(cpu) ? 1u << 9 : 0);
        break;
    case 2: /* cache and TLB descriptors of a Pentium II */
        *a = 0x03020101u;
        *b = 0;
        *c = 0;
        *d = 0x0c040843u;
        break;
    default: /* beyond the maximum: the highest basic leaf, as Intel CPUs do */
        cpu_cpuid(cpu, 2, a, b, c, d);
        break;
    }
}

/* --- blocks ----------------------------------------------------------- */

void h_gp0(struct cpu *cpu, const struct insn *in);
void h_gp0(struct cpu *cpu, const struct insn *in)
{
    cpu_raise(cpu, EX_GP, 0);
}

/* The guest-physical address of an instruction fetch at `lin` (faults as a fetch would). */
static uint64_t fetch_phys(struct cpu *cpu, uint32_t lin)
{
    uint64_t phys;
    struct smmu_fault f;
    if (smmu_translate(cpu->mmu, lin, SMMU_FETCH, cpu_user(cpu), true, &phys, &f) < 0)
        cpu_raise_pf(cpu, &f);
    return phys;
}

/* Finish a record for the mode it runs in: privilege and CS limit. */
static bool check_record(struct cpu *cpu, struct insn *in, uint32_t eip)
{
    bool ends = in->props & P_ENDS_BLOCK;
    if ((in->props & P_PM_ONLY) && (!cpu_pe(cpu) || cpu_v86(cpu))) {
        in->fn = h_ud;
        ends = true;
    } else if ((in->props & P_PRIV) && cpu_pe(cpu) && (cpu->cpl != 0 || cpu_v86(cpu))) {
        in->fn = h_gp0;
        ends = true;
    }
    if ((uint64_t)eip + in->len - 1 > cpu->seg[S_CS].limit) {
        in->fn = h_gp0; /* runs past the code segment */
        ends = true;
    }
    if (in->fn == h_ud)
        ends = true;
    return ends;
}

/*
 * An instruction that crosses into the next page: fetched through the MMU
 * (either half may fault) and run as a block of its own that is not cached.
 */
static struct block *cross_page_block(struct cpu *cpu, uint32_t lin, uint32_t eip)
{
    uint8_t bytes[15];
    /* Only reached when the instruction runs past `first` bytes: both pages are needed. */
    for (unsigned i = 0; i < sizeof(bytes); i++)
        bytes[i] = (uint8_t)cpu_read_slow(cpu, lin + i, 1, SMMU_FETCH);
    struct block *b = cpu->internal->scratch_block;
    b->lin = lin;
    b->cs_base = cpu->seg[S_CS].base;
    b->n = 1;
    cpu_decode(cpu, bytes, sizeof(bytes), &b->insns[0]);
    check_record(cpu, &b->insns[0], eip);
    return b;
}

/* Decode the block at CS:EIP (physical `phys`) and insert it; NULL if it crosses a page. */
static struct tb *build_block(struct cpu *cpu, uint32_t lin, uint64_t phys)
{
    struct cpu_internal *c = cpu->internal;
    gint64 t0 = g_get_monotonic_time();
    struct insn buf[BLOCK_MAX_INSNS];
    unsigned n = 0, off = 0, page_left = SMMU_PAGE_SIZE - (lin & 0xfff);
    uint32_t eip = cpu->eip;
    while (n < BLOCK_MAX_INSNS && off < page_left) {
        uint8_t bytes[15];
        unsigned avail = MIN(15u, page_left - off);
        memmap_read_buf(&cpu->machine->mem, phys + off, bytes, avail);
        int rc = cpu_decode(cpu, bytes, avail, &buf[n]);
        if (rc == -2)
            break; /* crosses the page end: the next block starts with it */
        bool ends = check_record(cpu, &buf[n], (eip + off) & c->eip_mask);
        off += buf[n].len;
        n++;
        if (ends)
            break;
    }
    if (n == 0)
        return NULL;
    struct block *b = g_malloc(sizeof(*b) + n * sizeof(struct insn));
    b->lin = lin;
    b->cs_base = cpu->seg[S_CS].base;
    b->n = n;
    memcpy(b->insns, buf, n * sizeof(struct insn));
    struct tb proto = {
        .phys = phys,
        .mode = c->mode,
        .eip = eip,
        .bytes = (uint16_t)off,
        .ninsns = (uint16_t)n,
        .payload = b,
    };
    struct tb *tb = tcache_insert(c->tc, &proto);
    c->need_collect = true; /* a full cache was flushed to make room */
    tcache_stats(c->tc)->decode_ns += (uint64_t)(g_get_monotonic_time() - t0) * 1000;
    return tb;
}

/* The block at CS:EIP, from the jump cache, the translation cache, or decoded now. */
static struct tb *find_block(struct cpu *cpu, struct block **uncached)
{
    struct cpu_internal *c = cpu->internal;
    uint32_t eip = cpu->eip, lin = cpu->seg[S_CS].base + eip;
    if (c->tlb_generation != c->tlb->generation) {
        memset(c->jump_cache, 0, JUMP_CACHE_SIZE * sizeof(*c->jump_cache));
        c->tlb_generation = c->tlb->generation;
    }
    struct jump_cache_entry *e = &c->jump_cache[jc_index(lin)];
    if (e->tb && e->lin == lin && e->mode == c->mode && e->tb->eip == eip && e->tb->valid)
        return e->tb;
    if (eip > cpu->seg[S_CS].limit)
        cpu_raise(cpu, EX_GP, 0);
    uint64_t phys = fetch_phys(cpu, lin);
    struct tb *tb = tcache_lookup(c->tc, phys, c->mode, eip);
    if (!tb)
        tb = build_block(cpu, lin, phys);
    if (!tb) {
        *uncached = cross_page_block(cpu, lin, eip);
        return NULL;
    }
    *e = (struct jump_cache_entry){lin, c->mode, tb};
    return tb;
}

/* The successor of `prev` linked directly, if one matches CS:EIP and the mode. */
static struct tb *follow_chain(struct cpu *cpu, struct tb *prev)
{
    for (unsigned k = 0; k < TB_CHAIN_SLOTS; k++) {
        struct tb *t = prev->chain[k];
        if (t && t->eip == cpu->eip && t->mode == cpu->internal->mode)
            return t;
    }
    return NULL;
}

/* Link prev -> tb when both lie in one page of one code segment. */
static void try_chain(struct cpu *cpu, struct tb *prev, struct tb *tb)
{
    const struct block *a = prev->payload, *b = tb->payload;
    if (!prev->valid || a->cs_base != b->cs_base || (a->lin ^ b->lin) & SMMU_PAGE_MASK ||
        prev->mode != tb->mode)
        return;
    for (unsigned k = 0; k < TB_CHAIN_SLOTS; k++) {
        if (!prev->chain[k]) {
            tcache_chain(cpu->internal->tc, prev, k, tb);
            return;
        }
    }
}

/* Run the instructions of one block (at most `limit`); returns how many retired. */
static void run_block(struct cpu *cpu, const struct block *b, uint64_t limit)
{
    struct cpu_internal *c = cpu->internal;
    const struct insn *in = b->insns;
    unsigned n = b->n < limit ? b->n : (unsigned)limit;
    uint32_t eip = cpu->eip;
    bool check_stop = cpu->stop_eip_enabled;
    bool check_bp = c->nbreakpoints != 0;
    for (unsigned i = 0; i < n; i++, in++) {
        if (check_stop && i > 0 && eip == cpu->stop_eip)
            break;
        if (check_bp && i > 0 && breakpoint_at(c, cpu->seg[S_CS].base + eip))
            break; /* cpu_run stops there */
        c->insn_eip = eip;
        cpu->eip = (eip + in->len) & c->eip_mask;
        in->fn(cpu, in);
        cpu->instructions++;
        eip = cpu->eip;
        if (c->block_dirty)
            break;
    }
}

static bool is_fault(int v)
{
    return v == EX_DE || v == EX_BR || v == EX_UD || v == EX_NM || (v >= EX_TS && v <= EX_PF) ||
           v == EX_MF || v == EX_AC;
}

void cpu_nmi(struct cpu *cpu)
{
    cpu->internal->nmi_pending = true;
}

/* An exception unwound to the run loop: deliver it, or a double fault, or shut down. */
static enum cpu_exit take_exception(struct cpu *cpu)
{
    struct cpu_internal *c = cpu->internal;
    int v = c->pending_vector;
    uint32_t err = c->pending_error;
    cpu->eip = c->insn_eip;
    c->cur_tb = NULL;
    c->block_dirty = false;
    cpu_debug_cancel(cpu); /* the instruction did not complete: its data breakpoints are void */
    if (c->delivering >= 0) {
        v = cpu_exception_combine(c->delivering, v);
        if (v < 0) {
            c->delivering = -1;
            return CPU_EXIT_SHUTDOWN;
        }
        if (v == EX_DF)
            err = 0;
    }
    if (cpu->stop_on_exception) {
        cpu->exception_vector = (uint8_t)v;
        cpu->exception_error = err;
        c->delivering = -1;
        return CPU_EXIT_EXCEPTION;
    }
    c->delivering = v;
    /* A fault's saved EFLAGS has RF set, so returning re-runs the instruction without
       hitting its instruction breakpoint again. */
    if (is_fault(v))
        cpu->eflags |= FL_RF;
    cpu_deliver(cpu, v, err, false, c->insn_eip);
    c->delivering = -1;
    return CPU_EXIT_BUDGET; /* carry on */
}

/* Leave cpu_run: the public state (EFLAGS included) is complete again. */
static enum cpu_exit leave(struct cpu *cpu, enum cpu_exit why)
{
    cpu_get_eflags(cpu);
    cpu->internal->unwind_armed = false;
    return why;
}

enum cpu_exit cpu_run(struct cpu *cpu, uint64_t budget)
{
    struct cpu_internal *c = cpu->internal;
    /* Written after setjmp: volatile so they survive the unwind. */
    struct tb *volatile prev = NULL;
    volatile uint32_t prev_gen = 0;
    /* Exceptions delivered: a handler that faults at once (a guest gone wild) retires no
       instruction, so these count against the budget too, or cpu_run would never return. */
    volatile uint64_t faults = 0;

    c->stop_run = false;
    c->run_end = cpu->instructions + budget;
    cpu_debug_refresh(cpu);
    c->unwind_armed = true;
    if (setjmp(c->unwind)) {
        /* Locals changed after setjmp are indeterminate here: reset the ones we use. */
        prev = NULL;
        enum cpu_exit why = take_exception(cpu);
        if (why != CPU_EXIT_BUDGET) {
            return leave(cpu, why);
        }
        if (cpu->stop_after_delivery) /* a debugger's step ends at the handler */
            return leave(cpu, CPU_EXIT_BREAKPOINT);
        faults = faults + 1;
        if (faults >= MAX(budget, 64))
            return leave(cpu, CPU_EXIT_BUDGET);
    }

    while (cpu->instructions < c->run_end) {
        if (c->stop_run) { /* an exception's delivery touched a watchpoint */
            c->stop_run = false;
            return leave(cpu, c->stop_reason);
        }
        if (c->need_collect) {
            tcache_collect(c->tc);
            c->need_collect = false;
        }
        if (c->exit_request) {
            c->exit_request = false;
            return leave(cpu, CPU_EXIT_REQUEST);
        }
        bool delivered = false;
        if (c->nmi_pending && !c->nmi_blocked) {
            /* NMIs are blocked from here until the next IRET. */
            c->nmi_pending = false;
            c->nmi_blocked = true;
            cpu->halted = false;
            c->insn_eip = cpu->eip;
            cpu_deliver(cpu, EX_NMI, NO_ERROR_CODE, false, cpu->eip);
            prev = NULL;
            delivered = true;
        }
        if (!c->inhibit_irq && (cpu->eflags & FL_IF) && cpu->irq.pending &&
            cpu->irq.pending(cpu->irq.opaque)) {
            cpu->halted = false;
            uint8_t vector = cpu->irq.acknowledge(cpu->irq.opaque);
            cpu->interrupts++;
            c->insn_eip = cpu->eip;
            cpu_deliver(cpu, vector, NO_ERROR_CODE, false, cpu->eip);
            prev = NULL;
            delivered = true;
        }
        /* After STI or a load of SS exactly one instruction runs before interrupts are
           looked at again (the interrupt shadow), then they are. */
        bool shadow = c->inhibit_irq;
        c->inhibit_irq = false;
        if (c->stop_run) { /* an interrupt's delivery touched a watchpoint */
            c->stop_run = false;
            return leave(cpu, c->stop_reason);
        }
        if (cpu->stop_after_delivery && delivered)
            return leave(cpu, CPU_EXIT_BREAKPOINT); /* a debugger's step ends at the handler */
        if (cpu->halted) {
            return leave(cpu, CPU_EXIT_HLT);
        }
        if (cpu->stop_eip_enabled && cpu->eip == cpu->stop_eip) {
            return leave(cpu, CPU_EXIT_BREAKPOINT);
        }
        if (c->nbreakpoints && breakpoint_at(c, cpu->seg[S_CS].base + cpu->eip))
            return leave(cpu, CPU_EXIT_BREAKPOINT);

        /* Single-stepping or breakpoints: one instruction at a time. */
        uint64_t limit = shadow ? 1 : c->run_end - cpu->instructions;
        bool debug = cpu_debug_active(cpu), tf = cpu->eflags & FL_TF;
        if (debug) {
            if (cpu_debug_before(cpu)) {
                prev = NULL;
                continue;
            }
            limit = 1;
        }

        struct tb *tb = NULL;
        struct block *uncached = NULL;
        c->insn_eip = cpu->eip;
        if (prev && prev_gen == c->tlb->generation)
            tb = follow_chain(cpu, prev);
        if (!tb) {
            tb = find_block(cpu, &uncached);
            if (tb && prev && prev_gen == c->tlb->generation)
                try_chain(cpu, prev, tb);
        }
        prev_gen = c->tlb->generation;
        c->cur_tb = tb;
        const struct block *b = uncached ? uncached : tb->payload;
        run_block(cpu, b, limit);
        prev = (uncached || c->block_dirty) ? NULL : tb;
        c->cur_tb = NULL;
        c->block_dirty = false;
        if (debug || c->dr_hits) {
            prev = NULL;
            cpu_debug_after(cpu, tf, &b->insns[0]);
        }
        if (c->stop_run) {
            c->stop_run = false;
            return leave(cpu, c->stop_reason);
        }
    }
    return leave(cpu, CPU_EXIT_BUDGET);
}
