/*
 * The translation cache: a hash of blocks by (phys, mode, eip), a list of
 * blocks per guest-physical page for invalidation, and incoming-link lists
 * so that dropping a block unchains it from its predecessors.
 */
#include "translator/tcache.h"

#include <glib.h>
#include <string.h>

#include "shadowmmu/shadowmmu.h"

#define TC_HASH_BITS 15
#define TC_HASH_SIZE (1u << TC_HASH_BITS)

/* One chain slot of `from` that points at the block owning this link. */
struct tb_link {
    struct tb *from;
    unsigned slot;
    struct tb_link *next;
};

struct tcache {
    struct shadowmmu *mmu;
    unsigned max_blocks;
    tc_release_fn release;
    tc_unlink_fn unlink;
    void *release_opaque;
    struct tb *hash[TC_HASH_SIZE];
    GHashTable *pages; /* physical page number -> first block of that page */
    GHashTable *drops; /* physical page number -> blocks writes dropped there (a count) */
    struct tb *dead;   /* dropped blocks awaiting tcache_collect, via hash_next */
    struct tc_stats stats;
};

static unsigned tc_hash(uint64_t phys, uint32_t mode, uint32_t eip)
{
    uint64_t h = phys * 0x9e3779b97f4a7c15ull ^ (uint64_t)mode * 0xff51afd7ed558ccdull ^ eip;
    return (unsigned)(h ^ (h >> 29)) & (TC_HASH_SIZE - 1);
}

static gpointer page_key(uint64_t phys)
{
    return GSIZE_TO_POINTER((gsize)(phys >> 12));
}

struct tcache *tcache_create(struct shadowmmu *mmu, unsigned max_blocks, tc_release_fn release,
                             void *release_opaque)
{
    struct tcache *tc = g_new0(struct tcache, 1);
    tc->mmu = mmu;
    tc->max_blocks = max_blocks ? max_blocks : 1;
    tc->release = release;
    tc->release_opaque = release_opaque;
    tc->pages = g_hash_table_new(g_direct_hash, g_direct_equal);
    tc->drops = g_hash_table_new(g_direct_hash, g_direct_equal);
    return tc;
}

void tcache_destroy(struct tcache *tc)
{
    tcache_flush(tc);
    tcache_collect(tc);
    g_hash_table_destroy(tc->pages);
    g_hash_table_destroy(tc->drops);
    g_free(tc);
}

void tcache_set_unlink(struct tcache *tc, tc_unlink_fn unlink)
{
    tc->unlink = unlink;
}

struct tb *tcache_lookup(struct tcache *tc, uint64_t phys, uint32_t mode, uint32_t eip,
                         uint32_t cs_limit)
{
    tc->stats.lookups++;
    for (struct tb *tb = tc->hash[tc_hash(phys, mode, eip)]; tb; tb = tb->hash_next) {
        if (tb->phys == phys && tb->mode == mode && tb->eip == eip && tb->cs_limit == cs_limit) {
            tc->stats.hits++;
            return tb;
        }
    }
    return NULL;
}

struct tb *tcache_insert(struct tcache *tc, const struct tb *proto)
{
    g_assert(proto->bytes > 0 && (proto->phys & 0xfff) + proto->bytes <= 0x1000);
    if (tc->stats.live_blocks >= tc->max_blocks)
        tcache_flush(tc);
    struct tb *tb = g_new(struct tb, 1);
    *tb = *proto;
    tb->valid = true;
    tb->incoming = NULL;
    for (unsigned i = 0; i < TB_CHAIN_SLOTS; i++)
        tb->chain[i] = NULL;

    struct tb **bucket = &tc->hash[tc_hash(tb->phys, tb->mode, tb->eip)];
    tb->hash_next = *bucket;
    *bucket = tb;

    struct tb *first = g_hash_table_lookup(tc->pages, page_key(tb->phys));
    if (tc->mmu)
        smmu_watch_code(tc->mmu, tb->phys, tb->bytes); /* its bytes are code now */
    tb->page_next = first;
    g_hash_table_insert(tc->pages, page_key(tb->phys), tb);

    tc->stats.blocks++;
    tc->stats.insns += tb->ninsns;
    tc->stats.live_blocks++;
    tc->stats.live_bytes += tb->bytes;
    return tb;
}

void tcache_chain(struct tcache *tc, struct tb *from, unsigned slot, struct tb *to)
{
    g_assert(slot < TB_CHAIN_SLOTS && from->valid && to->valid);
    if (from->chain[slot] == to)
        return;
    g_assert(!from->chain[slot]);
    struct tb_link *l = g_new(struct tb_link, 1);
    *l = (struct tb_link){from, slot, to->incoming};
    to->incoming = l;
    from->chain[slot] = to;
    tc->stats.chains++;
}

/* Remove the link that says from->chain[slot] points at `to`. */
static void unlink_incoming(struct tb *to, struct tb *from, unsigned slot)
{
    for (struct tb_link **p = &to->incoming; *p; p = &(*p)->next) {
        if ((*p)->from == from && (*p)->slot == slot) {
            struct tb_link *dead = *p;
            *p = dead->next;
            g_free(dead);
            return;
        }
    }
}

void tcache_unchain(struct tcache *tc, struct tb *from, unsigned slot)
{
    struct tb *to = from->chain[slot];
    if (!to)
        return;
    if (tc->unlink)
        tc->unlink(tc->release_opaque, from, slot);
    unlink_incoming(to, from, slot);
    from->chain[slot] = NULL;
}

static void hash_remove(struct tcache *tc, struct tb *tb)
{
    struct tb **p = &tc->hash[tc_hash(tb->phys, tb->mode, tb->eip)];
    while (*p != tb)
        p = &(*p)->hash_next;
    *p = tb->hash_next;
}

/* Drop one block that has already left its page list. */
static void tb_drop(struct tcache *tc, struct tb *tb, enum tc_cause cause)
{
    hash_remove(tc, tb);
    while (tb->incoming) {
        struct tb_link *l = tb->incoming;
        if (tc->unlink)
            tc->unlink(tc->release_opaque, l->from, l->slot);
        l->from->chain[l->slot] = NULL;
        tb->incoming = l->next;
        g_free(l);
    }
    for (unsigned i = 0; i < TB_CHAIN_SLOTS; i++)
        tcache_unchain(tc, tb, i);
    tb->valid = false;
    tb->hash_next = tc->dead;
    tc->dead = tb;
    tc->stats.live_blocks--;
    tc->stats.live_bytes -= tb->bytes;
    tc->stats.dropped[cause]++;
}

/* Drop the blocks of one page that overlap [lo, hi). */
static unsigned invalidate_page(struct tcache *tc, uint64_t page, uint64_t lo, uint64_t hi,
                                enum tc_cause cause)
{
    struct tb *first = g_hash_table_lookup(tc->pages, page_key(page));
    struct tb *keep = NULL;
    unsigned n = 0;
    while (first) {
        struct tb *tb = first;
        first = tb->page_next;
        if (tb->phys < hi && lo < tb->phys + tb->bytes) {
            tb_drop(tc, tb, cause);
            n++;
        } else {
            tb->page_next = keep;
            keep = tb;
        }
    }
    if (n && cause != TC_DROP_FLUSH) { /* count the page's drops, to show where code is written */
        gpointer old = g_hash_table_lookup(tc->drops, page_key(page));
        tc->stats.drop_pages += old == NULL;
        g_hash_table_insert(tc->drops, page_key(page), GSIZE_TO_POINTER(GPOINTER_TO_SIZE(old) + n));
    }
    if (keep) {
        g_hash_table_insert(tc->pages, page_key(page), keep);
        if (n && tc->mmu) { /* the bytes only dropped blocks held are data now */
            uint8_t map[SMMU_CODE_MAP_BYTES] = {0};
            for (struct tb *tb = keep; tb; tb = tb->page_next) {
                for (unsigned b = tb->phys & 0xfff; b < (tb->phys & 0xfff) + tb->bytes; b++)
                    map[b >> 3] |= (uint8_t)(1u << (b & 7));
            }
            smmu_set_code(tc->mmu, page, map);
        }
    } else if (g_hash_table_remove(tc->pages, page_key(page)) && tc->mmu) {
        smmu_unwatch_page(tc->mmu, page);
    }
    return n;
}

unsigned tcache_invalidate(struct tcache *tc, uint64_t paddr, uint64_t len, enum tc_cause cause)
{
    if (len == 0)
        return 0;
    unsigned n = 0;
    uint64_t end = paddr + len;
    for (uint64_t page = paddr & ~0xfffull; page < end; page += 0x1000) {
        if (g_hash_table_contains(tc->pages, page_key(page)))
            n += invalidate_page(tc, page, paddr, end, cause);
    }
    return n;
}

void tcache_flush(struct tcache *tc)
{
    GList *pages = g_hash_table_get_keys(tc->pages);
    for (GList *p = pages; p; p = p->next) {
        uint64_t page = (uint64_t)GPOINTER_TO_SIZE(p->data) << 12;
        invalidate_page(tc, page, page, page + 0x1000, TC_DROP_FLUSH);
    }
    g_list_free(pages);
}

bool tcache_collect(struct tcache *tc)
{
    bool any = tc->dead != NULL;
    while (tc->dead) {
        struct tb *tb = tc->dead;
        tc->dead = tb->hash_next;
        if (tc->release)
            tc->release(tc->release_opaque, tb->payload);
        g_free(tb);
    }
    return any;
}

struct tc_stats *tcache_stats(struct tcache *tc)
{
    return &tc->stats;
}

unsigned tcache_drop_pages(struct tcache *tc, struct tc_page_drops *out, unsigned max)
{
    unsigned n = 0;
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, tc->drops);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        struct tc_page_drops d = {(uint64_t)GPOINTER_TO_SIZE(key) << 12, GPOINTER_TO_SIZE(value)};
        /* Insert into the sorted top `max` (most first; equal counts: the lower page first). */
        unsigned at = n;
        while (at > 0 && (out[at - 1].blocks < d.blocks ||
                          (out[at - 1].blocks == d.blocks && out[at - 1].page > d.page)))
            at--;
        if (at >= max)
            continue;
        if (n < max)
            n++;
        memmove(&out[at + 1], &out[at], (n - 1 - at) * sizeof(*out));
        out[at] = d;
    }
    return n;
}
