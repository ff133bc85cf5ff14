/*
 * What the files of translator/ share: the translator's state and tier 0,
 * blocks of decoded records run by the interpreter's handlers.
 */
#ifndef POPEK_TRANSLATOR_INTERNAL_H
#define POPEK_TRANSLATOR_INTERNAL_H

#include "cpu/exec.h"
#include "translator/tcache.h"
#include "translator/tier1.h"
#include "translator/translator.h"

#define BLOCK_MAX_INSNS 32
#define T1_KEYS         8 /* keys whose return-target stamps are kept */

/*
 * A block: the payload of a translation-cache entry. Tier 0 runs its
 * decoded records; once hot, tier 1 adds host code, which calls back into
 * the records for the instructions it does not generate itself.
 */
struct block {
    uint32_t lin;     /* linear address it was decoded at */
    uint32_t cs_base; /* and the CS base then (chains stay within one) */
    unsigned n;
    uint32_t execs;      /* runs in tier 0 so far */
    bool t1_tried;       /* tier 1 declined it: do not ask again */
    bool x87;            /* its host code runs x87 instructions on the host's x87 */
    void *host;          /* tier 1's entry point, or NULL */
    unsigned host_insns; /* the instructions the host code covers (a debugger's stop */
    uint16_t host_bytes; /* address may end it early), and their bytes */
    uint32_t flat;       /* the flat segments (translator_flat_segments) the host code assumed, */
    uint32_t flat_mask;  /* of these bits (FLAT_KEY_ALWAYS and what it used besides) */
    struct t1_link links[TB_CHAIN_SLOTS]; /* its chain exits (chain slot k = links[k]) */
    struct insn insns[];
};

struct translator {
    struct translator_config cfg;
    struct translator_stats stats;
    struct cpu *cpu;
    struct cpu_internal *c; /* cpu->internal */
    struct tcache *tc;
    /* A direct-mapped lookup of blocks by linear EIP; an entry holds while `lin` still
       fetches from `phys` (find_block). */
    struct jump_cache_entry {
        uint32_t lin, mode;
        uint64_t phys;
        struct tb *tb;
    } * jump_cache;
    struct tb *cur_tb;           /* the block running now */
    bool need_collect;           /* dropped blocks await tcache_collect */
    struct block *scratch_block; /* a page-crossing instruction, decoded each time */

    /* Tier 1 (NULL when this translator runs tier 0 only). */
    struct tier1 *t1;
    /* While host code runs: instructions it may still retire (host code counts it down per
       block, helpers refund what did not run), and what the count started from. */
    int64_t t1_budget;
    int64_t t1_start;
    uint64_t t1_base;       /* cpu->instructions when host code was entered */
    uint32_t t1_flat;       /* translator_flat_segments() of the code entered (and chained to) */
    uint32_t t1_generation; /* the TLB's generation then */
    /*
     * Where returns go in host code without the loop: by the low 16 bits
     * of the linear target, a tag (the stamp in the upper half, the linear
     * address in the lower) and the host entry. Bumping the stamp forgets
     * them all: done whenever blocks are dropped, the TLB is flushed or
     * the mode, segments or CS limit of host code change.
     */
    struct t1_target {
        uint64_t tag;
        const void *host;
    } * t1_targets;
    uint64_t t1_stamp;  /* the current stamp, shifted left by 32 */
    uint64_t t1_key[2]; /* mode | flat << 32, CS limit | TLB generation << 32 they hold for */
    /* The stamps of recent keys, so that code going back to one (a kernel and its user code
       take turns) finds its return targets still there; stamps are never handed out twice. */
    struct t1_key_stamp {
        uint64_t key[2], stamp;
    } t1_keys[T1_KEYS];
    unsigned t1_keys_next; /* the one replaced next */
    uint64_t t1_stamps;    /* the last stamp handed out */
    bool t1_active;        /* host code (or a helper it called) is running */
    uint8_t t1_x87_host;   /* the host's x87 holds the guest's x87 state (x86_64/x87.c) */
    /* Host code went on through an interrupt shadow (tier1_helper) when cpu->instructions was
       t1_shadow_at: leaving before another instruction retired, the shadow is still on. */
    bool t1_shadow;
    uint64_t t1_shadow_at;
};

#define T1_TARGETS 65536

/*
 * The segments tier 1 may access without limit checks: limit 4 GiB,
 * present, expand-up, writable data (CS: readable code), bit n for segment
 * register n; bit SEG_BASE0 + n: its base is 0 as well (no base to add).
 * FS and GS never have that bit: host code always adds their bases, which
 * guests change per CPU and per thread.
 */
#define SEG_BASE0 8
uint32_t translator_flat_segments(const struct cpu *cpu);

/*
 * The bits of translator_flat_segments a block's host code depends on
 * (struct block's flat_mask): ES, CS, SS and DS, whether FS is open, and
 * GS's only in user code or where host code accesses GS itself (a kernel's
 * code runs under every thread's GS).
 */
#define FLAT_KEY_ALWAYS                                                                            \
    ((1u << S_ES) | (1u << S_CS) | (1u << S_SS) | (1u << S_DS) | (1u << S_FS) |                    \
     (1u << (SEG_BASE0 + S_ES)) | (1u << (SEG_BASE0 + S_CS)) | (1u << (SEG_BASE0 + S_SS)) |        \
     (1u << (SEG_BASE0 + S_DS)))

/* Whether host code made for segments `flat` under `mask` may run under `now`. */
static inline bool translator_flat_fits(uint32_t now, uint32_t flat, uint32_t mask)
{
    return (now & mask) == flat;
}

/* The instructions host code retired so far, for cpu->instructions. */
static inline uint64_t translator_t1_retired(const struct translator *t)
{
    return t->t1_base + (uint64_t)(t->t1_start - t->t1_budget);
}

/* tier0.c */
struct tb *tier0_build(struct translator *t, uint32_t lin, uint64_t phys);
struct block *tier0_cross_page(struct translator *t, uint32_t lin, uint32_t eip);
void tier0_run(struct translator *t, const struct block *b, uint64_t limit);

/* loop.c: the jump-cache slot of a linear address. */
unsigned translator_jc_index(uint32_t lin);

/*
 * loop.c, for tier 1's helpers: after an instruction that jumped or changed
 * what host code was entered under (mode, segments, CS limit, TLB), the
 * host code of the block at CS:EIP when the jump cache has one that may
 * run now and nothing waits for the loop (an interrupt, a debug event,
 * dropped blocks); the run goes on under the new state from there. NULL:
 * leave for the loop.
 */
const void *translator_t1_next(struct translator *t);

#endif
