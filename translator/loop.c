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
#define JUMP_CACHE_BITS 14
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
    /* Host code may have chained into any block: leave it whenever code was written. */
    if ((t->cur_tb && !t->cur_tb->valid) || t->t1_active)
        t->c->block_dirty = true;
}

/* The physical map changed: every decoded block may stand for other bytes now. */
static void map_changed(void *opaque)
{
    struct translator *t = opaque;
    tcache_flush(t->tc);
    t->need_collect = true;
    if (t->cur_tb || t->t1_active)
        t->c->block_dirty = true;
}

/* A chain slot is undone: a translated block's exit jumps to its exit code again. */
static void unlink_block(void *opaque, struct tb *from, unsigned slot)
{
    struct translator *t = opaque;
    const struct block *b = from->payload;
    if (b->host && b->links[slot].jump)
        tier1_patch(t->t1, &b->links[slot], NULL, NULL);
}

bool translator_tier1_available(void)
{
    return tier1_host_supported();
}

/* A segment tier 1 may use without checks: 4 GiB, present, expand-up, writable (code: readable). */
static bool open_4g(const struct cpu_segment *s, bool code)
{
    uint16_t want = code ? (SEG_ATTR_S | SEG_ATTR_P | 0x8 | 0x2) : (SEG_ATTR_S | SEG_ATTR_P | 0x2);
    uint16_t mask = code ? (SEG_ATTR_S | SEG_ATTR_P | 0x8 | 0x2) : (SEG_ATTR_S | SEG_ATTR_P | 0xe);
    return s->limit == 0xffffffffu && (s->attr & mask) == want;
}

uint32_t translator_flat_segments(const struct cpu *cpu)
{
    uint32_t bits = 0;
    for (unsigned s = 0; s < S_COUNT; s++) {
        if (open_4g(&cpu->seg[s], s == S_CS))
            bits |= (1u << s) |
                    (cpu->seg[s].base == 0 && s != S_FS && s != S_GS ? 1u << (SEG_BASE0 + s) : 0);
    }
    return bits;
}

struct translator_config translator_default_config(void)
{
    return (struct translator_config){
        .tier = translator_tier1_available() ? 1 : 0,
        .hot_threshold = TRANSLATOR_DEFAULT_THRESHOLD,
        .code_size = (size_t)TRANSLATOR_DEFAULT_CODE_MB << 20,
    };
}

/* Every return target is forgotten: each key gets a new stamp when it comes. */
static void t1_forget_targets(struct translator *t)
{
    memset(t->t1_keys, 0, sizeof(t->t1_keys));
    t->t1_stamps += 1ull << 32;
    t->t1_stamp = t->t1_stamps;
    t->t1_keys[0] = (struct t1_key_stamp){{t->t1_key[0], t->t1_key[1]}, t->t1_stamp};
    t->t1_keys_next = 1;
}

/* The return targets of key k from now on: its stamp, a recent one's or a new one. */
static void t1_use_key(struct translator *t, const uint64_t k[2])
{
    if (k[0] == t->t1_key[0] && k[1] == t->t1_key[1])
        return;
    t->t1_key[0] = k[0];
    t->t1_key[1] = k[1];
    for (unsigned i = 0; i < T1_KEYS; i++) {
        const struct t1_key_stamp *s = &t->t1_keys[i];
        if (s->stamp && s->key[0] == k[0] && s->key[1] == k[1]) {
            t->t1_stamp = s->stamp;
            return;
        }
    }
    t->t1_stamps += 1ull << 32;
    t->t1_stamp = t->t1_stamps;
    t->t1_keys[t->t1_keys_next] = (struct t1_key_stamp){{k[0], k[1]}, t->t1_stamp};
    t->t1_keys_next = (t->t1_keys_next + 1) % T1_KEYS;
}

struct translator *translator_create(struct cpu *cpu, const struct translator_config *cfg)
{
    struct translator *t = g_new0(struct translator, 1);
    t->cfg = cfg ? *cfg : translator_default_config();
    if (!translator_tier1_available())
        t->cfg.tier = 0;
    t->cpu = cpu;
    t->c = cpu->internal;
    t->tc = tcache_create(cpu->mmu, TC_MAX_BLOCKS, release_block, t);
    t->jump_cache = g_new0(struct jump_cache_entry, JUMP_CACHE_SIZE);
    t->scratch_block = g_malloc0(sizeof(struct block) + sizeof(struct insn));
    smmu_set_watch_callback(cpu->mmu, code_written, t);
    smmu_set_map_callback(cpu->mmu, map_changed, t);
    tcache_set_unlink(t->tc, unlink_block);
    if (t->cfg.tier == 1) {
        t->t1 = tier1_create(t, t->cfg.code_size);
        if (!t->t1)
            t->cfg.tier = 0; /* no executable memory to be had: tier 0 it is */
        t->t1_targets = g_new0(struct t1_target, T1_TARGETS);
        t1_forget_targets(t); /* stamps start at 1: a zeroed entry never matches */
    }
    t->stats.tier = t->cfg.tier;
    t->stats.code_capacity = t->cfg.tier ? t->cfg.code_size : 0;
    return t;
}

void translator_destroy(struct translator *t)
{
    if (!t)
        return;
    smmu_set_watch_callback(t->cpu->mmu, NULL, NULL);
    smmu_set_map_callback(t->cpu->mmu, NULL, NULL);
    tcache_destroy(t->tc);
    tier1_destroy(t->t1);
    g_free(t->t1_targets);
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

/*
 * A block found by a chain or the jump cache: it counts as a lookup that
 * hit, so that the cache's hit rate says how often a block had to be
 * decoded, however it was found.
 */
static void found_without_decoding(struct translator *t)
{
    struct tc_stats *st = tcache_stats(t->tc);
    st->lookups++;
    st->hits++;
}

/*
 * The block at CS:EIP, from the jump cache, the translation cache, or
 * decoded now. The jump cache is indexed by the linear address and an
 * entry holds only while that address still fetches from the block's
 * physical address (through the TLB, as the fetch itself would go), so it
 * survives CR3 loads and INVLPG: after a context switch the kernel's
 * blocks and any user page mapped as before are found again without the
 * hash table.
 */
static struct tb *find_block(struct translator *t, struct block **uncached)
{
    struct cpu *cpu = t->cpu;
    struct cpu_internal *c = t->c;
    uint32_t eip = cpu->eip, lin = cpu->seg[S_CS].base + eip;
    if (eip > cpu->seg[S_CS].limit)
        cpu_raise(cpu, EX_GP, 0);
    uint64_t phys = cpu_fetch_phys(cpu, lin);
    struct jump_cache_entry *e = &t->jump_cache[translator_jc_index(lin)];
    if (e->tb && e->phys == phys && e->lin == lin && e->mode == c->mode && e->tb->eip == eip &&
        e->tb->cs_limit == cpu->seg[S_CS].limit && e->tb->valid) {
        found_without_decoding(t);
        return e->tb;
    }
    struct tb *tb = tcache_lookup(t->tc, phys, c->mode, eip, cpu->seg[S_CS].limit);
    if (!tb)
        tb = tier0_build(t, lin, phys);
    if (!tb) {
        *uncached = tier0_cross_page(t, lin, eip);
        return NULL;
    }
    /* Only in the slot of the block's own linear address, the one release_block empties: a
       block decoded at another (the same page seen through another CS base) is not kept. */
    if (((const struct block *)tb->payload)->lin == lin)
        *e = (struct jump_cache_entry){lin, c->mode, phys, tb};
    return tb;
}

static bool cross_page(const struct tb *a, const struct tb *b)
{
    const struct block *x = a->payload, *y = b->payload;
    return (x->lin ^ y->lin) & SMMU_PAGE_MASK;
}

/*
 * The successor of `prev` linked directly, if one matches CS:EIP and the
 * mode; `slot` >= 0: the chain exit host code left by.
 */
static struct tb *follow_chain(struct translator *t, struct tb *prev, int slot)
{
    for (unsigned k = 0; k < TB_CHAIN_SLOTS; k++) {
        if (slot >= 0 && k != (unsigned)slot)
            continue;
        struct tb *n = prev->chain[k];
        /* A link to another page holds only under the TLB it was made with: looked up anew. */
        if (n && n->eip == t->cpu->eip && n->mode == t->c->mode &&
            n->cs_limit == t->cpu->seg[S_CS].limit && !cross_page(prev, n)) {
            found_without_decoding(t);
            return n;
        }
    }
    return NULL;
}

/*
 * Link prev -> tb when both lie in one page of one code segment, so the
 * link stays right whatever the page tables do. `slot` >= 0: prev is
 * translated and was left by that chain exit, whose jump then goes
 * straight to tb's host code when tb has some for the same segments; to a
 * block in another page of the segment through the exit's guard, which
 * holds only while the TLB is not flushed.
 */
static void try_chain(struct translator *t, struct tb *prev, int slot, struct tb *tb)
{
    const struct block *a = prev->payload, *b = tb->payload;
    bool cross = cross_page(prev, tb);
    if (!prev->valid || !tb->valid || a->cs_base != b->cs_base || prev->mode != tb->mode ||
        prev->cs_limit != tb->cs_limit)
        return;
    if (slot < 0) {
        if (a->host || cross)
            return; /* a translated block's slots are its chain exits */
        for (unsigned k = 0; k < TB_CHAIN_SLOTS; k++) {
            if (!prev->chain[k]) {
                tcache_chain(t->tc, prev, k, tb);
                return;
            }
        }
        return;
    }
    if (cross && !b->host)
        return;
    if (prev->chain[slot] && prev->chain[slot] != tb)
        tcache_unchain(t->tc, prev, (unsigned)slot); /* another page there since */
    if (!prev->chain[slot])
        tcache_chain(t->tc, prev, (unsigned)slot, tb);
    /* While the debugger's stop address is set, every block start must be seen here. */
    /* Host code goes on under the segments it was entered with: a's, so b must fit them all. */
    if (b->host && (b->flat_mask & ~a->flat_mask) == 0 &&
        translator_flat_fits(a->flat, b->flat, b->flat_mask) && !t->cpu->stop_eip_enabled)
        tier1_patch(t->t1, &a->links[slot], tb, cross ? &t->c->tlb->generation : NULL);
}

/* Translate a block that has run often enough (tier 1); its old links become chain exits. */
static void maybe_translate(struct translator *t, struct tb *tb)
{
    struct block *b = tb->payload;
    if (!t->t1 || b->host || b->t1_tried || ++b->execs <= t->cfg.hot_threshold)
        return;
    for (unsigned k = 0; k < TB_CHAIN_SLOTS; k++)
        tcache_unchain(t->tc, tb, k);
    if (!tier1_translate(t->t1, tb))
        b->t1_tried = true;
}

/*
 * Whether the host code of `tb` may run now, `limit` instructions at most;
 * *flat: translator_flat_segments() now, when it may.
 */
static bool can_enter(struct translator *t, struct tb *tb, uint64_t limit, bool debug,
                      uint32_t *flat)
{
    const struct cpu *cpu = t->cpu;
    const struct block *b = tb->payload;
    if (!b->host || !tb->valid || debug || limit < b->host_insns || t->c->data_traps ||
        t->c->nbreakpoints)
        return false;
    if (cpu->stop_eip_enabled && cpu->stop_eip - tb->eip - 1 < (uint32_t)b->host_bytes - 1)
        return false; /* the stop address is inside the host code */
    if (b->x87 && !fpu_runs_on_host(cpu))
        return false; /* its x87 instructions run in tier 0 now (x86_64/x87.c) */
    *flat = translator_flat_segments(cpu);
    return translator_flat_fits(*flat, b->flat, b->flat_mask);
}

/*
 * Host code from tb runs from now on under the segments `flat`, the mode,
 * CS limit and TLB now: the return targets of that key, tb's among them.
 */
static void t1_enter_under(struct translator *t, const struct tb *tb, uint32_t flat)
{
    const struct block *b = tb->payload;
    uint64_t key[2] = {t->c->mode | (uint64_t)flat << 32,
                       t->cpu->seg[S_CS].limit | (uint64_t)t->c->tlb->generation << 32};
    t1_use_key(t, key);
    if (b->flat & (1u << (SEG_BASE0 + S_CS))) { /* EIP is the linear address */
        struct t1_target *e = &t->t1_targets[tb->eip & (T1_TARGETS - 1)];
        e->tag = t->t1_stamp | tb->eip;
        e->host = b->host;
    }
    t->t1_flat = flat;
    t->t1_generation = t->c->tlb->generation;
}

const void *translator_t1_next(struct translator *t)
{
    struct cpu *cpu = t->cpu;
    struct cpu_internal *c = t->c;
    /* What the loop must see between blocks (as must_leave and can_enter ask). */
    if (t->need_collect || c->stop_run || c->exit_request || cpu->halted || c->inhibit_irq ||
        c->dr_hits || cpu_debug_active(cpu) || c->data_traps || c->nbreakpoints ||
        cpu->stop_eip_enabled || cpu_interrupt_waiting(cpu))
        return NULL;
    uint32_t eip = cpu->eip, lin = cpu->seg[S_CS].base + eip;
    const struct jump_cache_entry *e = &t->jump_cache[translator_jc_index(lin)];
    const struct tb *tb = e->tb;
    uint64_t phys;
    if (!tb || e->lin != lin || e->mode != c->mode || tb->eip != eip ||
        tb->cs_limit != cpu->seg[S_CS].limit || eip > cpu->seg[S_CS].limit || !tb->valid ||
        !smmu_fetch_cached(cpu->mmu, lin, cpu->cpl == 3, &phys) || phys != e->phys)
        return NULL;
    const struct block *b = tb->payload;
    uint32_t flat = translator_flat_segments(cpu);
    if (!b->host || !translator_flat_fits(flat, b->flat, b->flat_mask) ||
        (b->x87 && !fpu_runs_on_host(cpu)))
        return NULL;
    t1_enter_under(t, tb, flat);
    t->stats.go_ons++;
    return b->host;
}

/*
 * Run host code from tb; returns the chain exit it left by, or NULL. Host
 * code that returns to tb's address later goes straight to it (struct
 * t1_target).
 */
static const struct t1_link *run_tier1(struct translator *t, struct tb *tb, uint32_t flat)
{
    struct cpu *cpu = t->cpu;
    t1_enter_under(t, tb, flat);
    uint64_t left = t->c->run_end - cpu->instructions;
    if (left > (1ull << 40))
        left = 1ull << 40;
    cpu_get_eflags(cpu);
    t->t1_budget = t->t1_start = (int64_t)left;
    t->t1_base = cpu->instructions;
    t->t1_active = true;
    t->stats.entries++;
    struct t1_exit x = tier1_enter(t->t1, tb);
    t->t1_active = false;
    cpu->instructions = translator_t1_retired(t);
    if (t->t1_shadow && cpu->instructions == t->t1_shadow_at)
        t->c->inhibit_irq = true; /* the instruction in the shadow has not run yet */
    t->t1_shadow = false;
    t->stats.exits[x.cause]++;
    return x.link;
}

enum cpu_exit translator_run(struct translator *t, uint64_t budget)
{
    struct cpu *cpu = t->cpu;
    struct cpu_internal *c = t->c;
    /* Written after setjmp: volatile so they survive the unwind. */
    struct tb *volatile prev = NULL;
    volatile int prev_slot = -1; /* prev is translated and was left by this chain exit */
    volatile uint32_t prev_gen = 0;
    /* Exceptions delivered: a handler that faults at once (a guest gone wild) retires no
       instruction, so these count against the budget too, or the run would never end. */
    volatile uint64_t faults = 0;

    cpu_run_begin(cpu, budget);
    if (setjmp(c->unwind)) {
        /* Locals changed after setjmp are indeterminate here: reset the ones we use. */
        prev = NULL;
        t->cur_tb = NULL;
        if (t->t1_active) { /* out of host code: count what it retired */
            cpu->instructions = translator_t1_retired(t);
            t->t1_active = false;
            t->t1_shadow = false; /* an exception: no shadow after its delivery */
            t->stats.exits[TR_EXIT_EXCEPTION]++;
        }
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
            if (prev && !prev->valid)
                prev = NULL; /* it is freed now */
            if (tcache_collect(t->tc) && t->t1)
                t1_forget_targets(t); /* host code's return targets may have been among them */
            t->need_collect = false;
        }
        if (c->exit_request) {
            c->exit_request = false;
            return cpu_run_leave(cpu, CPU_EXIT_REQUEST);
        }
        bool delivered = cpu_take_interrupts(cpu);
        if (delivered)
            prev = NULL;
        if (!prev)
            prev_slot = -1;
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
                prev_slot = -1;
                continue;
            }
            limit = 1;
        }

        struct tb *tb = NULL;
        struct block *uncached = NULL;
        c->insn_eip = cpu->eip;
        if (prev && prev_gen == c->tlb->generation)
            tb = follow_chain(t, prev, prev_slot);
        if (!tb)
            tb = find_block(t, &uncached);
        if (tb)
            maybe_translate(t, tb);
        if (tb && prev && prev_gen == c->tlb->generation)
            try_chain(t, prev, prev_slot, tb);
        prev_gen = c->tlb->generation;
        uint32_t flat;
        if (tb && can_enter(t, tb, limit, debug, &flat)) {
            const struct t1_link *l = run_tier1(t, tb, flat);
            prev = l ? l->from : NULL;
            prev_slot = l ? (int)l->slot : -1;
            c->block_dirty = false;
            if (c->stop_run) {
                c->stop_run = false;
                return cpu_run_leave(cpu, c->stop_reason);
            }
            continue;
        }
        t->cur_tb = tb;
        const struct block *b = uncached ? uncached : tb->payload;
        tier0_run(t, b, limit);
        prev = (uncached || c->block_dirty) ? NULL : tb;
        prev_slot = -1;
        t->cur_tb = NULL;
        c->block_dirty = false;
        if (debug || c->dr_hits) {
            prev = NULL;
            prev_slot = -1;
            cpu_debug_after(cpu, tf, &b->insns[0]);
        }
        if (c->stop_run) {
            c->stop_run = false;
            return cpu_run_leave(cpu, c->stop_reason);
        }
    }
    return cpu_run_leave(cpu, CPU_EXIT_BUDGET);
}
