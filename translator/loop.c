/*
 * The translation loop: find the block for CS:EIP (chain, jump cache,
 * translation cache, or build it now), run it, link it to its predecessor,
 * and between blocks let the CPU take interrupts, exceptions and debug
 * events. Exceptions raised inside a block unwind to the setjmp here, the
 * one place they land. The translator also keeps the cache coherent: a
 * write to a page holding code drops its blocks, a change of the physical
 * map drops them all.
 */
#include "translator/internal.h"

#include <glib.h>

#define TC_MAX_BLOCKS   65536
#define JUMP_CACHE_BITS 12
#define JUMP_CACHE_SIZE (1u << JUMP_CACHE_BITS)

unsigned translator_jc_index(uint32_t lin)
{
    return (lin ^ (lin >> JUMP_CACHE_BITS)) & (JUMP_CACHE_SIZE - 1);
}

static void release_block(void *opaque, void *payload)
{
    struct translator *t = opaque;
    struct block *b = payload;
    struct jump_cache_entry *e = &t->jump_cache[translator_jc_index(b->lin)];
    if (e->tb && e->tb->payload == b)
        e->tb = NULL;
    g_free(b);
}

/* A write reached a page holding decoded code (write-watch). */
static void code_written(void *opaque, uint64_t paddr, unsigned size)
{
    struct translator *t = opaque;
    if (!tcache_invalidate(t->tc, paddr, size, t->c->cpu_writing ? TC_DROP_WRITE : TC_DROP_DMA))
        return;
    t->need_collect = true;
    if (t->cur_tb && !t->cur_tb->valid)
        t->c->block_dirty = true;
}

/* The physical map changed: every decoded block may stand for other bytes now. */
static void map_changed(void *opaque)
{
    struct translator *t = opaque;
    tcache_flush(t->tc);
    t->need_collect = true;
    if (t->cur_tb)
        t->c->block_dirty = true;
}

bool translator_tier1_available(void)
{
    return false;
}

struct translator_config translator_default_config(void)
{
    return (struct translator_config){
        .tier = translator_tier1_available() ? 1 : 0,
        .hot_threshold = TRANSLATOR_DEFAULT_THRESHOLD,
        .code_size = (size_t)TRANSLATOR_DEFAULT_CODE_MB << 20,
    };
}

struct translator *translator_create(struct cpu *cpu, const struct translator_config *cfg)
{
    struct translator *t = g_new0(struct translator, 1);
    t->cfg = cfg ? *cfg : translator_default_config();
    if (!translator_tier1_available())
        t->cfg.tier = 0;
    t->stats.tier = t->cfg.tier;
    t->stats.code_capacity = t->cfg.tier ? t->cfg.code_size : 0;
    t->cpu = cpu;
    t->c = cpu->internal;
    t->tc = tcache_create(cpu->mmu, TC_MAX_BLOCKS, release_block, t);
    t->jump_cache = g_new0(struct jump_cache_entry, JUMP_CACHE_SIZE);
    t->scratch_block = g_malloc0(sizeof(struct block) + sizeof(struct insn));
    smmu_set_watch_callback(cpu->mmu, code_written, t);
    smmu_set_map_callback(cpu->mmu, map_changed, t);
    return t;
}

void translator_destroy(struct translator *t)
{
    if (!t)
        return;
    smmu_set_watch_callback(t->cpu->mmu, NULL, NULL);
    smmu_set_map_callback(t->cpu->mmu, NULL, NULL);
    tcache_destroy(t->tc);
    g_free(t->jump_cache);
    g_free(t->scratch_block);
    g_free(t);
}

struct tcache *translator_tcache(struct translator *t)
{
    return t->tc;
}

const struct translator_stats *translator_stats(struct translator *t)
{
    return &t->stats;
}

/* The block at CS:EIP, from the jump cache, the translation cache, or decoded now. */
static struct tb *find_block(struct translator *t, struct block **uncached)
{
    struct cpu *cpu = t->cpu;
    struct cpu_internal *c = t->c;
    uint32_t eip = cpu->eip, lin = cpu->seg[S_CS].base + eip;
    if (t->tlb_generation != c->tlb->generation) {
        memset(t->jump_cache, 0, JUMP_CACHE_SIZE * sizeof(*t->jump_cache));
        t->tlb_generation = c->tlb->generation;
    }
    struct jump_cache_entry *e = &t->jump_cache[translator_jc_index(lin)];
    if (e->tb && e->lin == lin && e->mode == c->mode && e->tb->eip == eip &&
        e->tb->cs_limit == cpu->seg[S_CS].limit && e->tb->valid)
        return e->tb;
    if (eip > cpu->seg[S_CS].limit)
        cpu_raise(cpu, EX_GP, 0);
    uint64_t phys = cpu_fetch_phys(cpu, lin);
    struct tb *tb = tcache_lookup(t->tc, phys, c->mode, eip, cpu->seg[S_CS].limit);
    if (!tb)
        tb = tier0_build(t, lin, phys);
    if (!tb) {
        *uncached = tier0_cross_page(t, lin, eip);
        return NULL;
    }
    *e = (struct jump_cache_entry){lin, c->mode, tb};
    return tb;
}

/* The successor of `prev` linked directly, if one matches CS:EIP and the mode. */
static struct tb *follow_chain(struct translator *t, struct tb *prev)
{
    for (unsigned k = 0; k < TB_CHAIN_SLOTS; k++) {
        struct tb *n = prev->chain[k];
        if (n && n->eip == t->cpu->eip && n->mode == t->c->mode &&
            n->cs_limit == t->cpu->seg[S_CS].limit)
            return n;
    }
    return NULL;
}

/* Link prev -> tb when both lie in one page of one code segment. */
static void try_chain(struct translator *t, struct tb *prev, struct tb *tb)
{
    const struct block *a = prev->payload, *b = tb->payload;
    if (!prev->valid || a->cs_base != b->cs_base || (a->lin ^ b->lin) & SMMU_PAGE_MASK ||
        prev->mode != tb->mode || prev->cs_limit != tb->cs_limit)
        return;
    for (unsigned k = 0; k < TB_CHAIN_SLOTS; k++) {
        if (!prev->chain[k]) {
            tcache_chain(t->tc, prev, k, tb);
            return;
        }
    }
}

enum cpu_exit translator_run(struct translator *t, uint64_t budget)
{
    struct cpu *cpu = t->cpu;
    struct cpu_internal *c = t->c;
    /* Written after setjmp: volatile so they survive the unwind. */
    struct tb *volatile prev = NULL;
    volatile uint32_t prev_gen = 0;
    /* Exceptions delivered: a handler that faults at once (a guest gone wild) retires no
       instruction, so these count against the budget too, or the run would never end. */
    volatile uint64_t faults = 0;

    cpu_run_begin(cpu, budget);
    if (setjmp(c->unwind)) {
        /* Locals changed after setjmp are indeterminate here: reset the ones we use. */
        prev = NULL;
        t->cur_tb = NULL;
        enum cpu_exit why = cpu_take_exception(cpu);
        if (why != CPU_EXIT_BUDGET)
            return cpu_run_leave(cpu, why);
        if (cpu->stop_after_delivery) /* a debugger's step ends at the handler */
            return cpu_run_leave(cpu, CPU_EXIT_BREAKPOINT);
        faults = faults + 1;
        if (faults >= MAX(budget, 64))
            return cpu_run_leave(cpu, CPU_EXIT_BUDGET);
    }

    while (cpu->instructions < c->run_end) {
        if (c->stop_run) { /* an exception's delivery touched a watchpoint */
            c->stop_run = false;
            return cpu_run_leave(cpu, c->stop_reason);
        }
        if (t->need_collect) {
            tcache_collect(t->tc);
            t->need_collect = false;
        }
        if (c->exit_request) {
            c->exit_request = false;
            return cpu_run_leave(cpu, CPU_EXIT_REQUEST);
        }
        bool delivered = cpu_take_interrupts(cpu);
        if (delivered)
            prev = NULL;
        /* After STI or a load of SS exactly one instruction runs before interrupts are
           looked at again (the interrupt shadow), then they are. */
        bool shadow = c->inhibit_irq;
        c->inhibit_irq = false;
        if (c->stop_run) { /* an interrupt's delivery touched a watchpoint */
            c->stop_run = false;
            return cpu_run_leave(cpu, c->stop_reason);
        }
        if (cpu->stop_after_delivery && delivered)
            return cpu_run_leave(cpu, CPU_EXIT_BREAKPOINT); /* a debugger's step ends there */
        if (cpu->halted)
            return cpu_run_leave(cpu, CPU_EXIT_HLT);
        if (cpu->stop_eip_enabled && cpu->eip == cpu->stop_eip)
            return cpu_run_leave(cpu, CPU_EXIT_BREAKPOINT);
        if (c->nbreakpoints && cpu_breakpoint_at(cpu, cpu->seg[S_CS].base + cpu->eip))
            return cpu_run_leave(cpu, CPU_EXIT_BREAKPOINT);

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
            tb = follow_chain(t, prev);
        if (!tb) {
            tb = find_block(t, &uncached);
            if (tb && prev && prev_gen == c->tlb->generation)
                try_chain(t, prev, tb);
        }
        prev_gen = c->tlb->generation;
        t->cur_tb = tb;
        const struct block *b = uncached ? uncached : tb->payload;
        tier0_run(t, b, limit);
        prev = (uncached || c->block_dirty) ? NULL : tb;
        t->cur_tb = NULL;
        c->block_dirty = false;
        if (debug || c->dr_hits) {
            prev = NULL;
            cpu_debug_after(cpu, tf, &b->insns[0]);
        }
        if (c->stop_run) {
            c->stop_run = false;
            return cpu_run_leave(cpu, c->stop_reason);
        }
    }
    return cpu_run_leave(cpu, CPU_EXIT_BUDGET);
}
