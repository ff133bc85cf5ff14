/*
 * The translation cache: blocks of decoded guest code, keyed by the
 * guest-physical address of their first byte, its EIP, the CPU mode bits
 * that change how bytes decode (CS.D, SS.B, PE, VM, CPL) and the CS limit
 * the decoder checked the instructions against. A block never crosses a
 * guest page, so a write to a page drops exactly the blocks of that page;
 * the bytes of the blocks are the code the shadow MMU write-watches (its
 * code maps), so a write to the other bytes of their pages drops nothing.
 * Blocks are chained to their successors, and a dropped block is unlinked
 * from every block that jumps to it.
 *
 * What a block holds (decoded records, later host code) belongs to its
 * producer: the cache keeps an opaque payload and calls a release function.
 */
#ifndef POPEK_TRANSLATOR_TCACHE_H
#define POPEK_TRANSLATOR_TCACHE_H

#include <stdbool.h>
#include <stdint.h>

struct shadowmmu;

#define TB_CHAIN_SLOTS 2 /* taken and fall-through successors */

struct tb {
    uint64_t phys;     /* guest-physical address of the first byte */
    uint32_t mode;     /* mode bits the block was decoded under */
    uint32_t eip;      /* EIP of the first instruction (the CS base is not in the key) */
    uint32_t cs_limit; /* the CS limit it was decoded under */
    uint16_t bytes;    /* guest bytes covered, within one page */
    uint16_t ninsns;   /* instructions decoded */
    bool valid;        /* false once dropped; set by the cache */
    void *payload;     /* the producer's decoded records */
    struct tb *chain[TB_CHAIN_SLOTS]; /* successors linked directly, or NULL */
    /* Cache bookkeeping: */
    struct tb *hash_next;
    struct tb *page_next;
    struct tb_link *incoming; /* blocks whose chain slots point here */
};

/* Why blocks were dropped, for --stats. */
enum tc_cause {
    TC_DROP_WRITE, /* a CPU write to a watched page */
    TC_DROP_DMA,   /* a device write to a watched page */
    TC_DROP_FLUSH, /* everything dropped (cache full, mode reset) */
    TC_DROP_CAUSES,
};

struct tc_stats {
    uint64_t blocks;  /* blocks inserted */
    uint64_t insns;   /* instructions in the blocks inserted */
    uint64_t lookups; /* blocks looked for (tcache_lookup, and the loop's chains and jump cache) */
    uint64_t hits;    /* lookups that found a block (no decoding needed) */
    uint64_t chains;  /* chain slots linked */
    uint64_t live_blocks; /* blocks in the cache now */
    uint64_t live_bytes;  /* guest bytes they cover */
    uint64_t dropped[TC_DROP_CAUSES];
    uint64_t drop_pages; /* pages that have had blocks dropped by writes (CPU or DMA) */
    uint64_t decode_ns;  /* time the producer spent decoding (it adds it) */
};

typedef void (*tc_release_fn)(void *opaque, void *payload);

struct tcache;

/*
 * Create a cache holding at most `max_blocks` blocks (inserting more drops
 * everything first). `mmu` may be NULL for tests without write-watch.
 */
struct tcache *tcache_create(struct shadowmmu *mmu, unsigned max_blocks, tc_release_fn release,
                             void *release_opaque);
void tcache_destroy(struct tcache *tc);

/* The valid block at (phys, mode, eip, cs_limit), or NULL. */
struct tb *tcache_lookup(struct tcache *tc, uint64_t phys, uint32_t mode, uint32_t eip,
                         uint32_t cs_limit);

/*
 * Take a new block (phys, mode, eip, bytes, ninsns, payload filled in by
 * the producer; bytes must not run past phys's page). The cache owns it
 * from now on and watches its page.
 */
struct tb *tcache_insert(struct tcache *tc, const struct tb *proto);

/* Link from->chain[slot] to `to` (both valid). */
void tcache_chain(struct tcache *tc, struct tb *from, unsigned slot, struct tb *to);

/* Undo from->chain[slot] (if linked). */
void tcache_unchain(struct tcache *tc, struct tb *from, unsigned slot);

/*
 * Told whenever a chain slot is undone (by tcache_unchain, or because its
 * target is dropped), before the slot is cleared: producers that turned the
 * link into code undo it there. Uses the release function's opaque.
 */
typedef void (*tc_unlink_fn)(void *opaque, struct tb *from, unsigned slot);
void tcache_set_unlink(struct tcache *tc, tc_unlink_fn unlink);

/*
 * Drop every block with a byte in [paddr, paddr + len). Returns the number
 * dropped. Dropped blocks are released later (tcache_collect), so a block
 * that is running while it drops itself stays readable until then.
 */
unsigned tcache_invalidate(struct tcache *tc, uint64_t paddr, uint64_t len, enum tc_cause cause);
void tcache_flush(struct tcache *tc);

/* Free dropped blocks; call where no block is running (between blocks). True: there were some. */
bool tcache_collect(struct tcache *tc);

struct tc_stats *tcache_stats(struct tcache *tc);

/* A page whose blocks writes dropped (CPU or DMA), and how many they dropped in all. */
struct tc_page_drops {
    uint64_t page; /* guest-physical */
    uint64_t blocks;
};

/*
 * The (at most) `max` pages whose code writes dropped the most blocks,
 * most first (a guest generating code, or code and data sharing a page).
 * Returns how many it filled in.
 */
unsigned tcache_drop_pages(struct tcache *tc, struct tc_page_drops *out, unsigned max);

#endif
