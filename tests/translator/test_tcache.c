/*
 * The translation cache: lookup by address, mode and EIP; invalidation of
 * exactly the blocks a write overlaps; unchaining; flushing when full;
 * deferred release of dropped blocks; write-watch of pages holding blocks
 * and of exactly their bytes (the shadow MMU's code map).
 */
#include <glib.h>

#include "machine/machine.h"
#include "shadowmmu/shadowmmu.h"
#include "translator/tcache.h"

static void count_release(void *opaque, void *payload)
{
    unsigned *n = opaque;
    (*n)++;
    g_free(payload);
}

static struct tb *add(struct tcache *tc, uint64_t phys, uint32_t mode, uint16_t bytes)
{
    struct tb proto = {.phys = phys,
                       .mode = mode,
                       .eip = (uint32_t)phys,
                       .cs_limit = 0xffff,
                       .bytes = bytes,
                       .ninsns = 1,
                       .payload = g_malloc(8)};
    return tcache_insert(tc, &proto);
}

static void test_lookup(void)
{
    unsigned rel = 0;
    struct tcache *tc = tcache_create(NULL, 100, count_release, &rel);
    struct tb *a = add(tc, 0x1000, 0, 16);
    struct tb *b = add(tc, 0x1000, 1, 16); /* same bytes, other mode */
    g_assert_true(tcache_lookup(tc, 0x1000, 0, 0x1000, 0xffff) == a);
    g_assert_true(tcache_lookup(tc, 0x1000, 1, 0x1000, 0xffff) == b);
    g_assert_null(tcache_lookup(tc, 0x1000, 2, 0x1000, 0xffff));
    g_assert_null(tcache_lookup(tc, 0x1000, 0, 0xf0001000, 0xffff)); /* other CS base */
    g_assert_null(tcache_lookup(tc, 0x1010, 0, 0x1010, 0xffff));
    g_assert_null(tcache_lookup(tc, 0x1000, 0, 0x1000, 0xfffff)); /* other CS limit */
    struct tc_stats *s = tcache_stats(tc);
    g_assert_cmpuint(s->lookups, ==, 6);
    g_assert_cmpuint(s->hits, ==, 2);
    g_assert_cmpuint(s->live_blocks, ==, 2);
    g_assert_cmpuint(s->live_bytes, ==, 32);
    tcache_destroy(tc);
    g_assert_cmpuint(rel, ==, 2);
}

static void test_invalidate_overlap_only(void)
{
    unsigned rel = 0;
    struct tcache *tc = tcache_create(NULL, 100, count_release, &rel);
    struct tb *a = add(tc, 0x2000, 0, 0x10); /* 0x2000-0x200f */
    add(tc, 0x2010, 0, 0x10);                /* 0x2010-0x201f */
    add(tc, 0x3000, 0, 0x10);
    /* A write to the last byte of the first block drops only it. */
    g_assert_cmpuint(tcache_invalidate(tc, 0x200f, 1, TC_DROP_WRITE), ==, 1);
    g_assert_false(a->valid); /* still readable until collected */
    g_assert_null(tcache_lookup(tc, 0x2000, 0, 0x2000, 0xffff));
    g_assert_nonnull(tcache_lookup(tc, 0x2010, 0, 0x2010, 0xffff));
    g_assert_cmpuint(rel, ==, 0);
    tcache_collect(tc);
    g_assert_cmpuint(rel, ==, 1);
    /* A write next to a block, not into it, drops nothing. */
    g_assert_cmpuint(tcache_invalidate(tc, 0x2020, 4, TC_DROP_WRITE), ==, 0);
    /* A DMA write across a page boundary reaches both pages. */
    g_assert_cmpuint(tcache_invalidate(tc, 0x201c, 0xfe8, TC_DROP_DMA), ==, 2);
    g_assert_cmpuint(tcache_stats(tc)->dropped[TC_DROP_WRITE], ==, 1);
    g_assert_cmpuint(tcache_stats(tc)->dropped[TC_DROP_DMA], ==, 2);
    g_assert_cmpuint(tcache_stats(tc)->live_blocks, ==, 0);
    tcache_destroy(tc);
    g_assert_cmpuint(rel, ==, 3);
}

static void test_unchain_on_drop(void)
{
    unsigned rel = 0;
    struct tcache *tc = tcache_create(NULL, 100, count_release, &rel);
    struct tb *a = add(tc, 0x1000, 0, 8);
    struct tb *b = add(tc, 0x5000, 0, 8);
    struct tb *c = add(tc, 0x6000, 0, 8);
    tcache_chain(tc, a, 0, b);
    tcache_chain(tc, a, 1, c);
    tcache_chain(tc, b, 0, b); /* a loop onto itself */
    tcache_chain(tc, c, 0, b);
    g_assert_cmpuint(tcache_stats(tc)->chains, ==, 4);
    tcache_invalidate(tc, 0x5000, 1, TC_DROP_WRITE);
    g_assert_null(a->chain[0]);
    g_assert_true(a->chain[1] == c);
    g_assert_null(c->chain[0]);
    /* Dropping c (whose incoming link comes from a) clears a's other slot. */
    tcache_invalidate(tc, 0x6000, 8, TC_DROP_WRITE);
    g_assert_null(a->chain[1]);
    tcache_destroy(tc);
    g_assert_cmpuint(rel, ==, 3);
}

static void test_flush_when_full(void)
{
    unsigned rel = 0;
    struct tcache *tc = tcache_create(NULL, 3, count_release, &rel);
    add(tc, 0x1000, 0, 4);
    add(tc, 0x2000, 0, 4);
    add(tc, 0x3000, 0, 4);
    struct tb *d = add(tc, 0x4000, 0, 4);
    g_assert_cmpuint(tcache_stats(tc)->live_blocks, ==, 1);
    g_assert_cmpuint(tcache_stats(tc)->dropped[TC_DROP_FLUSH], ==, 3);
    g_assert_null(tcache_lookup(tc, 0x1000, 0, 0x1000, 0xffff));
    g_assert_true(tcache_lookup(tc, 0x4000, 0, 0x4000, 0xffff) == d);
    tcache_destroy(tc);
    g_assert_cmpuint(rel, ==, 4);
}

static void test_pages_watched(void)
{
    struct machine *m = g_new(struct machine, 1);
    g_assert_cmpint(machine_init(m, &(struct machine_config){.ram_mb = 1}), ==, 0);
    struct shadowmmu *mmu = smmu_create(&m->mem);
    unsigned rel = 0;
    struct tcache *tc = tcache_create(mmu, 100, count_release, &rel);
    add(tc, 0x7000, 0, 8);
    add(tc, 0x7100, 0, 8);
    g_assert_true(smmu_page_watched(mmu, 0x7000));
    g_assert_false(smmu_page_watched(mmu, 0x8000));
    tcache_invalidate(tc, 0x7000, 1, TC_DROP_WRITE);
    g_assert_true(smmu_page_watched(mmu, 0x7000)); /* one block left */
    tcache_invalidate(tc, 0x7100, 1, TC_DROP_WRITE);
    g_assert_false(smmu_page_watched(mmu, 0x7000));
    tcache_destroy(tc);
    smmu_destroy(mmu);
    machine_destroy(m);
    g_free(m);
}

/*
 * The shadow MMU's code map follows the blocks' bytes: a block's bytes are
 * code while a block holds them, also when an overlapping block is dropped.
 */
static void test_code_bytes(void)
{
    struct machine *m = g_new(struct machine, 1);
    g_assert_cmpint(machine_init(m, &(struct machine_config){.ram_mb = 1}), ==, 0);
    struct shadowmmu *mmu = smmu_create(&m->mem);
    unsigned rel = 0;
    struct tcache *tc = tcache_create(mmu, 100, count_release, &rel);
    add(tc, 0x7100, 0, 0x20); /* 0x7100-0x711f */
    add(tc, 0x7110, 0, 0x20); /* 0x7110-0x712f: a jump into the middle of the first */
    add(tc, 0x7fe0, 0, 0x20); /* the page's last bytes */
    g_assert_false(smmu_is_code(mmu, 0x7000, 0x100));
    g_assert_true(smmu_is_code(mmu, 0x7100, 1));
    g_assert_true(smmu_is_code(mmu, 0x712f, 1));
    g_assert_false(smmu_is_code(mmu, 0x7130, 0xeb0));
    g_assert_true(smmu_is_code(mmu, 0x7fff, 1));
    g_assert_false(smmu_is_code(mmu, 0x8000, 1)); /* the next page is not watched */
    /* A write to data bytes between the blocks drops nothing. */
    g_assert_cmpuint(tcache_invalidate(tc, 0x7130, 0x100, TC_DROP_WRITE), ==, 0);
    /* Dropping the first block leaves the second's bytes code, its own ones data. */
    g_assert_cmpuint(tcache_invalidate(tc, 0x7100, 1, TC_DROP_WRITE), ==, 1);
    g_assert_false(smmu_is_code(mmu, 0x7100, 0x10));
    g_assert_true(smmu_is_code(mmu, 0x7110, 1));
    g_assert_true(smmu_is_code(mmu, 0x711f, 1));
    g_assert_true(smmu_is_code(mmu, 0x712f, 1));
    /* A write over both remaining blocks drops both; nothing is left to watch. */
    g_assert_cmpuint(tcache_invalidate(tc, 0x712c, 0xec0, TC_DROP_DMA), ==, 2);
    g_assert_false(smmu_page_watched(mmu, 0x7000));
    g_assert_cmpuint(tcache_stats(tc)->dropped[TC_DROP_WRITE], ==, 1);
    g_assert_cmpuint(tcache_stats(tc)->dropped[TC_DROP_DMA], ==, 2);
    tcache_destroy(tc);
    smmu_destroy(mmu);
    machine_destroy(m);
    g_free(m);
}

/* The pages where writes dropped the most blocks, most first; a flush does not count. */
static void test_drop_pages(void)
{
    unsigned rel = 0;
    struct tcache *tc = tcache_create(NULL, 100, count_release, &rel);
    struct tc_page_drops top[2];
    g_assert_cmpuint(tcache_drop_pages(tc, top, 2), ==, 0);
    for (unsigned round = 0; round < 3; round++) { /* page 0x5000: 3 drops, 0x6000: 6, 0x7000: 1 */
        add(tc, 0x5000, 0, 4);
        add(tc, 0x6000, 0, 4);
        add(tc, 0x6010, 0, 4);
        tcache_invalidate(tc, 0x5000, 0x2000, round == 1 ? TC_DROP_DMA : TC_DROP_WRITE);
    }
    add(tc, 0x7000, 0, 4);
    tcache_invalidate(tc, 0x7000, 1, TC_DROP_WRITE);
    add(tc, 0x8000, 0, 4);
    tcache_flush(tc);
    g_assert_cmpuint(tcache_stats(tc)->drop_pages, ==, 3);
    g_assert_cmpuint(tcache_drop_pages(tc, top, 2), ==, 2);
    g_assert_cmphex(top[0].page, ==, 0x6000);
    g_assert_cmpuint(top[0].blocks, ==, 6);
    g_assert_cmphex(top[1].page, ==, 0x5000);
    g_assert_cmpuint(top[1].blocks, ==, 3);
    struct tc_page_drops all[8];
    g_assert_cmpuint(tcache_drop_pages(tc, all, 8), ==, 3);
    g_assert_cmphex(all[2].page, ==, 0x7000);
    tcache_destroy(tc);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/tcache/lookup", test_lookup);
    g_test_add_func("/tcache/invalidate-overlap-only", test_invalidate_overlap_only);
    g_test_add_func("/tcache/unchain-on-drop", test_unchain_on_drop);
    g_test_add_func("/tcache/flush-when-full", test_flush_when_full);
    g_test_add_func("/tcache/pages-watched", test_pages_watched);
    g_test_add_func("/tcache/code-bytes", test_code_bytes);
    g_test_add_func("/tcache/drop-pages", test_drop_pages);
    return g_test_run();
}
