/*
 * The shadow TLB: filling slots from page walks, flushing exactly what a
 * hardware TLB would flush, the slow read/write paths (MMIO, page-crossing
 * accesses, write-watched pages), side-effect-free probes, the
 * write-watch on guest-physical pages with their code maps (which bytes are
 * code) and the data traps on linear pages.
 */
#include "shadowmmu/internal.h"

#include <glib.h>
#include <string.h>

#define PAGE_4K_MASK 0xfffff000u

static struct smmu_tlb_entry *slot(struct shadowmmu *mmu, int user, unsigned idx)
{
    return &mmu->tlb.e[user][idx];
}

static void slot_clear(struct shadowmmu *mmu, int user, unsigned idx)
{
    struct smmu_tlb_entry *e = slot(mmu, user, idx);
    e->tag[SMMU_READ] = e->tag[SMMU_WRITE] = e->tag[SMMU_FETCH] = SMMU_TAG_NONE;
    e->code = 0;
    mmu->info[user][idx].writable = false;
}

/* The TLB's translations of code may have changed: caches of them compare the generation. */
static void bump_generation(struct shadowmmu *mmu)
{
    mmu->tlb.generation++;
    if (mmu->nfetched > SMMU_FETCHED_WORDS) {
        memset(mmu->fetched, 0, (1u << 20) / 8);
    } else {
        for (unsigned i = 0; i < mmu->nfetched; i++)
            mmu->fetched[mmu->fetched_words[i]] = 0;
    }
    mmu->nfetched = 0;
    memset(mmu->fetched_big, 0, sizeof(mmu->fetched_big));
}

/* Instructions are fetched from `linear`, through a page of `big_mask`. */
static void note_fetch(struct shadowmmu *mmu, uint32_t linear, uint32_t big_mask)
{
    uint32_t page = linear >> 12;
    uint64_t *w = &mmu->fetched[page / 64], bit = 1ull << (page % 64);
    if (!(*w & bit)) {
        if (!*w && mmu->nfetched++ < SMMU_FETCHED_WORDS)
            mmu->fetched_words[mmu->nfetched - 1] = page / 64;
        *w |= bit;
    }
    if (big_mask != PAGE_4K_MASK)
        mmu->fetched_big[linear >> 28] |= 1ull << ((linear >> 22) & 63);
}

/* Whether instructions were fetched from the page of `linear` since the last bump. */
static bool fetched_from(const struct shadowmmu *mmu, uint32_t linear)
{
    uint32_t page = linear >> 12;
    return ((mmu->fetched[page / 64] >> (page % 64)) & 1) ||
           ((mmu->fetched_big[linear >> 28] >> ((linear >> 22) & 63)) & 1);
}

/* Clear every filled slot, or every non-global one. */
static void flush(struct shadowmmu *mmu, bool keep_global, enum smmu_flush_cause cause)
{
    unsigned kept = 0;
    for (unsigned i = 0; i < mmu->nfilled; i++) {
        unsigned f = mmu->filled[i], user = f >> SMMU_TLB_BITS, idx = f & (SMMU_TLB_SIZE - 1);
        struct smmu_slot_info *info = &mmu->info[user][idx];
        if (keep_global && info->global) {
            mmu->filled[kept++] = (uint16_t)f;
            continue;
        }
        slot_clear(mmu, (int)user, idx);
        info->listed = false;
        if (info->big_mask != PAGE_4K_MASK)
            mmu->nbig--;
    }
    mmu->nfilled = kept;
    mmu->stats.flushes[cause]++;
    bump_generation(mmu);
}

static bool watched(const struct shadowmmu *mmu, uint64_t paddr)
{
    uint64_t page = paddr >> 12;
    return page < SMMU_WATCH_PAGES && mmu->watched[page] != 0;
}

/* The RAM or ROM range holding the whole page at `phys_page`, or NULL. */
static const struct mem_range *host_range(const struct shadowmmu *mmu, uint64_t phys_page)
{
    const struct mem_range *r = memmap_lookup(mmu->mem, phys_page);
    if (!r || r->region->kind == MEM_MMIO || r->end - phys_page < SMMU_PAGE_SIZE)
        return NULL;
    return r;
}

static bool reg_kind_ram(const struct mem_range *r)
{
    return r->region->kind == MEM_RAM;
}

/* Remember a successful walk in the TLB slot of (linear, user). */
static void fill(struct shadowmmu *mmu, uint32_t linear, int user, const struct smmu_walk *w)
{
    unsigned idx = (linear >> 12) & (SMMU_TLB_SIZE - 1);
    struct smmu_slot_info *info = &mmu->info[user][idx];
    uint32_t page = linear & PAGE_4K_MASK;
    uint64_t phys_page = w->phys & ~0xfffull;
    const struct mem_range *r = host_range(mmu, phys_page);

    slot_clear(mmu, user, idx);
    if (!r)
        return; /* MMIO or a hole: every access takes the slow path */
    if (info->listed) {
        if (info->big_mask != PAGE_4K_MASK)
            mmu->nbig--;
    } else {
        mmu->filled[mmu->nfilled++] = (uint16_t)(((unsigned)user << SMMU_TLB_BITS) | idx);
        info->listed = true;
    }
    bool may_write = w->writable || (!user && !(mmu->cr0 & CR0_WP));
    *info = (struct smmu_slot_info){
        page, w->big_mask, phys_page, w->global, true, may_write && w->dirty && reg_kind_ram(r)};
    if (w->big_mask != PAGE_4K_MASK)
        mmu->nbig++;

    struct smmu_tlb_entry *e = slot(mmu, user, idx);
    const struct mem_region *reg = r->region;
    e->addend = (uintptr_t)(reg->host + (phys_page - reg->base)) - page;
    e->tag[SMMU_FETCH] = page;
    mmu->stats.fills++;
    if (smmu_page_trapped(mmu, page))
        return; /* data accesses go the slow way, where breakpoints are checked */
    e->tag[SMMU_READ] = page;
    if (info->writable && watched(mmu, phys_page))
        e->code = mmu->watched[phys_page >> 12];
    else if (info->writable)
        e->tag[SMMU_WRITE] = page;
}

/* Walk for a real access, count it, and fill the TLB on success. */
static int translate_fill(struct shadowmmu *mmu, uint32_t linear, enum smmu_access acc, int user,
                          uint64_t *phys, struct smmu_fault *fault)
{
    struct smmu_walk w;
    if (smmu_paging(mmu))
        mmu->stats.walks++;
    if (smmu_walk(mmu, linear, acc, user, true, &w, fault) < 0) {
        mmu->stats.faults++;
        return -1;
    }
    fill(mmu, linear, user, &w);
    *phys = w.phys;
    return 0;
}

static const uint8_t *code_map(const struct shadowmmu *mmu, uint32_t n)
{
    return mmu->tlb.code_maps + (size_t)n * SMMU_CODE_MAP_BYTES;
}

/* A write of `len` bytes at `paddr` (one watched page) is done: report it if it touched code. */
static void notify(struct shadowmmu *mmu, uint64_t paddr, uint64_t len)
{
    if (!smmu_code_touched(code_map(mmu, mmu->watched[paddr >> 12]), paddr & 0xfff,
                           (unsigned)len)) {
        mmu->tlb.watch_data_writes++;
        return;
    }
    mmu->stats.watch_code_writes++;
    if (mmu->watch_fn)
        mmu->watch_fn(mmu->watch_opaque, paddr, (unsigned)len);
}

/* Device writes into RAM (DMA) reach the watchers of the pages they touch. */
static void dma_written(void *opaque, uint64_t paddr, uint64_t len)
{
    struct shadowmmu *mmu = opaque;
    if (!mmu->nwatched)
        return;
    uint64_t end = paddr + len;
    for (uint64_t p = paddr; p < end; p = (p | 0xfff) + 1) {
        if (watched(mmu, p))
            notify(mmu, p, MIN(end, (p | 0xfff) + 1) - p);
    }
}

static void memmap_changed(void *opaque)
{
    struct shadowmmu *mmu = opaque;
    flush(mmu, false, SMMU_FLUSH_MEMMAP);
    if (mmu->map_fn)
        mmu->map_fn(mmu->map_opaque);
}

void smmu_set_map_callback(struct shadowmmu *mmu, void (*fn)(void *opaque), void *opaque)
{
    mmu->map_fn = fn;
    mmu->map_opaque = opaque;
}

struct shadowmmu *smmu_create(struct memmap *mem)
{
    struct shadowmmu *mmu = g_new0(struct shadowmmu, 1);
    mmu->mem = mem;
    mmu->a20_mask = ~0ull;
    mmu->watched = g_new0(uint32_t, SMMU_WATCH_PAGES);
    mmu->nmaps = 1; /* map 0 stands for none */
    mmu->tlb.code_maps = g_malloc0(SMMU_CODE_MAP_BYTES + 1);
    mmu->fetched = g_malloc0((1u << 20) / 8);
    for (int u = 0; u < 2; u++) {
        for (unsigned i = 0; i < SMMU_TLB_SIZE; i++)
            slot_clear(mmu, u, i);
    }
    memmap_set_write_hook(mem, dma_written, mmu);
    memmap_set_change_hook(mem, memmap_changed, mmu);
    return mmu;
}

void smmu_destroy(struct shadowmmu *mmu)
{
    if (!mmu)
        return;
    memmap_set_write_hook(mmu->mem, NULL, NULL);
    memmap_set_change_hook(mmu->mem, NULL, NULL);
    g_free(mmu->watched);
    g_free(mmu->free_maps);
    g_free(mmu->tlb.code_maps);
    g_free(mmu->fetched);
    g_free(mmu);
}

struct smmu_tlb *smmu_tlb(struct shadowmmu *mmu)
{
    return &mmu->tlb;
}

int smmu_set_mode(struct shadowmmu *mmu, uint32_t cr0, uint32_t cr4)
{
    const uint32_t cr0_bits = CR0_PG | CR0_WP, cr4_bits = CR4_PSE | CR4_PAE | CR4_PGE;
    uint32_t old_cr0 = mmu->cr0, old_cr4 = mmu->cr4;
    mmu->cr0 = cr0;
    mmu->cr4 = cr4;
    if (!((cr0 ^ old_cr0) & cr0_bits) && !((cr4 ^ old_cr4) & cr4_bits))
        return 0;
    if ((cr0 & CR0_PG) && (cr4 & CR4_PAE) && smmu_load_pdptes(mmu) < 0) {
        mmu->cr0 = old_cr0;
        mmu->cr4 = old_cr4;
        return -1;
    }
    flush(mmu, false, SMMU_FLUSH_PAGING_MODE);
    return 0;
}

int smmu_set_cr3(struct shadowmmu *mmu, uint32_t cr3)
{
    uint32_t old = mmu->cr3;
    mmu->cr3 = cr3;
    if (smmu_paging(mmu) && (mmu->cr4 & CR4_PAE) && smmu_load_pdptes(mmu) < 0) {
        mmu->cr3 = old;
        return -1;
    }
    flush(mmu, true, SMMU_FLUSH_CR3);
    return 0;
}

void smmu_invlpg(struct shadowmmu *mmu, uint32_t linear)
{
    unsigned idx = (linear >> 12) & (SMMU_TLB_SIZE - 1);
    for (int u = 0; u < 2; u++) {
        if (mmu->info[u][idx].listed && mmu->info[u][idx].lin == (linear & PAGE_4K_MASK))
            slot_clear(mmu, u, idx);
    }
    /* A large page spans many slots: clear every slot it filled. */
    for (unsigned i = 0; mmu->nbig && i < mmu->nfilled; i++) {
        unsigned f = mmu->filled[i], user = f >> SMMU_TLB_BITS, fi = f & (SMMU_TLB_SIZE - 1);
        const struct smmu_slot_info *info = &mmu->info[user][fi];
        if (info->big_mask != PAGE_4K_MASK &&
            (info->lin & info->big_mask) == (linear & info->big_mask))
            slot_clear(mmu, (int)user, fi);
    }
    mmu->stats.flushes[SMMU_FLUSH_INVLPG]++;
    /* A page no code was fetched from: links between blocks and return targets still hold. */
    if (fetched_from(mmu, linear))
        bump_generation(mmu);
}

void smmu_set_a20(struct shadowmmu *mmu, bool enabled)
{
    uint64_t mask = enabled ? ~0ull : ~(1ull << 20);
    if (mask == mmu->a20_mask)
        return;
    mmu->a20_mask = mask;
    flush(mmu, false, SMMU_FLUSH_A20);
}

void smmu_flush_all(struct shadowmmu *mmu)
{
    flush(mmu, false, SMMU_FLUSH_PAGING_MODE);
}

/* Read guest-physical memory that lies in one page. */
static void phys_read(struct shadowmmu *mmu, uint64_t phys, uint8_t *buf, unsigned n)
{
    const struct mem_range *r = host_range(mmu, phys & ~0xfffull);
    if (r) {
        memcpy(buf, r->region->host + (phys - r->region->base), n);
        return;
    }
    while (n > 0) {
        unsigned chunk = n >= 4 ? 4 : n >= 2 ? 2 : 1;
        uint32_t v = memmap_read(mmu->mem, phys, chunk);
        memcpy(buf, &v, chunk);
        phys += chunk;
        buf += chunk;
        n -= chunk;
    }
}

/* Write guest-physical memory that lies in one page, telling watchers. */
static void phys_write(struct shadowmmu *mmu, uint64_t phys, const uint8_t *buf, unsigned n)
{
    const struct mem_range *r = host_range(mmu, phys & ~0xfffull);
    if (r) {
        if (r->region->kind != MEM_RAM)
            return; /* ROM ignores writes */
        memcpy(r->region->host + (phys - r->region->base), buf, n);
        if (watched(mmu, phys))
            notify(mmu, phys, n);
        return;
    }
    while (n > 0) { /* MMIO or holes; RAM pieces notify through the write hook */
        unsigned chunk = n >= 4 ? 4 : n >= 2 ? 2 : 1;
        uint32_t v = 0;
        memcpy(&v, buf, chunk);
        memmap_write(mmu->mem, phys, v, chunk);
        phys += chunk;
        buf += chunk;
        n -= chunk;
    }
}

/*
 * Translate an access of `size` bytes that may cross into the next page:
 * both halves are checked before the caller touches memory.
 */
static int translate_span(struct shadowmmu *mmu, uint32_t linear, unsigned size,
                          enum smmu_access acc, int user, uint64_t phys[2], unsigned len[2],
                          struct smmu_fault *fault)
{
    g_assert(size > 0 && size <= SMMU_PAGE_SIZE);
    len[0] = MIN(size, SMMU_PAGE_SIZE - (linear & 0xfff));
    len[1] = size - len[0];
    if (translate_fill(mmu, linear, acc, user, &phys[0], fault) < 0)
        return -1;
    if (len[1] && translate_fill(mmu, linear + len[0], acc, user, &phys[1], fault) < 0)
        return -1;
    return 0;
}

int smmu_read(struct shadowmmu *mmu, uint32_t linear, void *buf, unsigned size,
              enum smmu_access acc, int user, struct smmu_fault *fault)
{
    uint64_t phys[2];
    unsigned len[2];
    if (translate_span(mmu, linear, size, acc, user, phys, len, fault) < 0)
        return -1;
    phys_read(mmu, phys[0], buf, len[0]);
    if (len[1])
        phys_read(mmu, phys[1], (uint8_t *)buf + len[0], len[1]);
    return 0;
}

int smmu_write(struct shadowmmu *mmu, uint32_t linear, const void *buf, unsigned size, int user,
               struct smmu_fault *fault)
{
    uint64_t phys[2];
    unsigned len[2];
    /* A write to a watched page (code and data sharing it) the TLB slot allows but for the
       watch: no walk and no refill; to data bytes only, a test of the code map and the write. */
    uint8_t *data = smmu_data_ptr(&mmu->tlb, linear, size, user);
    if (data) {
        memcpy(data, buf, size);
        return 0;
    }
    unsigned idx = (linear >> 12) & (SMMU_TLB_SIZE - 1);
    const struct smmu_tlb_entry *e = &mmu->tlb.e[user][idx];
    if (e->code && e->tag[SMMU_FETCH] == (linear & PAGE_4K_MASK) &&
        (linear & 0xfff) + size <= SMMU_PAGE_SIZE) {
        phys_write(mmu, mmu->info[user][idx].phys | (linear & 0xfff), buf, size);
        return 0;
    }
    if (translate_span(mmu, linear, size, SMMU_WRITE, user, phys, len, fault) < 0)
        return -1;
    phys_write(mmu, phys[0], buf, len[0]);
    if (len[1])
        phys_write(mmu, phys[1], (const uint8_t *)buf + len[0], len[1]);
    return 0;
}

bool smmu_fetch_cached(struct shadowmmu *mmu, uint32_t linear, int user, uint64_t *paddr)
{
    unsigned idx = (linear >> 12) & (SMMU_TLB_SIZE - 1);
    if (mmu->tlb.e[user][idx].tag[SMMU_FETCH] != (linear & PAGE_4K_MASK))
        return false;
    *paddr = mmu->info[user][idx].phys | (linear & 0xfff);
    note_fetch(mmu, linear, mmu->info[user][idx].big_mask);
    return true;
}

int smmu_fetch_phys(struct shadowmmu *mmu, uint32_t linear, int user, uint64_t *paddr,
                    struct smmu_fault *fault)
{
    if (smmu_fetch_cached(mmu, linear, user, paddr))
        return 0;
    if (translate_fill(mmu, linear, SMMU_FETCH, user, paddr, fault) < 0)
        return -1;
    if (!smmu_fetch_cached(mmu, linear, user, paddr))
        note_fetch(mmu, linear, 0); /* not in the TLB (MMIO): its page size unknown */
    return 0;
}

int smmu_translate(struct shadowmmu *mmu, uint32_t linear, enum smmu_access acc, int user,
                   bool set_ad, uint64_t *paddr, struct smmu_fault *fault)
{
    struct smmu_walk w;
    if (set_ad && smmu_paging(mmu))
        mmu->stats.walks++;
    if (smmu_walk(mmu, linear, acc, user, set_ad, &w, fault) < 0) {
        if (set_ad)
            mmu->stats.faults++;
        return -1;
    }
    *paddr = w.phys;
    return 0;
}

/*
 * A probe: copy between `buf` and guest memory as a supervisor sees it,
 * page by page, with no A/D updates and no faults: guest-linear addresses,
 * or guest-physical ones with `phys`. Stops at the first unmapped page
 * (and, for writes, at the first page that is not RAM).
 */
static size_t probe(struct shadowmmu *mmu, uint64_t addr, uint8_t *buf, size_t len, bool write,
                    bool phys)
{
    size_t done = 0;
    while (done < len) {
        uint64_t at = addr + done, pa = at;
        size_t n = MIN(len - done, (size_t)(SMMU_PAGE_SIZE - (at & 0xfff)));
        struct smmu_walk w;
        struct smmu_fault f;
        if (!phys) {
            if (smmu_walk(mmu, (uint32_t)at, SMMU_READ, 0, false, &w, &f) < 0)
                break;
            pa = w.phys;
        }
        const struct mem_range *r = host_range(mmu, pa & ~0xfffull);
        uint8_t *host = r ? r->region->host + (pa - r->region->base) : NULL;
        if (write) {
            if (!r || r->region->kind != MEM_RAM)
                break;
            memcpy(host, buf + done, n);
            if (watched(mmu, pa))
                notify(mmu, pa, n);
        } else if (host) {
            memcpy(buf + done, host, n);
        } else if (phys && !memmap_lookup(mmu->mem, pa)) {
            break; /* nothing at this physical address */
        } else {
            memset(buf + done, 0xff, n); /* devices are not read by a probe */
        }
        done += n;
    }
    return done;
}

size_t smmu_probe_read(struct shadowmmu *mmu, uint32_t linear, void *buf, size_t len)
{
    return probe(mmu, linear, buf, len, false, false);
}

size_t smmu_probe_write(struct shadowmmu *mmu, uint32_t linear, const void *buf, size_t len)
{
    return probe(mmu, linear, (uint8_t *)buf, len, true, false);
}

size_t smmu_probe_phys_read(struct shadowmmu *mmu, uint64_t paddr, void *buf, size_t len)
{
    return probe(mmu, paddr, buf, len, false, true);
}

size_t smmu_probe_phys_write(struct shadowmmu *mmu, uint64_t paddr, const void *buf, size_t len)
{
    return probe(mmu, paddr, (uint8_t *)buf, len, true, true);
}

void smmu_set_watch_callback(struct shadowmmu *mmu, smmu_watch_fn fn, void *opaque)
{
    mmu->watch_fn = fn;
    mmu->watch_opaque = opaque;
}

/* Give every filled slot of physical page `page` (a page number) code map `n` (0: none). */
static void slots_set_code(struct shadowmmu *mmu, uint64_t page, uint32_t n)
{
    for (unsigned i = 0; i < mmu->nfilled; i++) {
        unsigned f = mmu->filled[i], user = f >> SMMU_TLB_BITS, idx = f & (SMMU_TLB_SIZE - 1);
        const struct smmu_slot_info *info = &mmu->info[user][idx];
        struct smmu_tlb_entry *e = &mmu->tlb.e[user][idx];
        if (info->phys != (page << 12))
            continue;
        /* Slots that may write but for the watch get the map; slots that may not keep none. */
        if (info->writable && e->tag[SMMU_READ] != SMMU_TAG_NONE) {
            e->code = n;
            e->tag[SMMU_WRITE] = n ? SMMU_TAG_NONE : info->lin;
        }
    }
}

/* The code map of physical page number `page`, made (and the page watched) if it has none. */
static uint8_t *page_map(struct shadowmmu *mmu, uint64_t page)
{
    uint32_t n = mmu->watched[page];
    if (n)
        return mmu->tlb.code_maps + (size_t)n * SMMU_CODE_MAP_BYTES;
    if (mmu->nfree_maps) {
        n = mmu->free_maps[--mmu->nfree_maps];
    } else {
        n = mmu->nmaps++;
        /* One spare byte after the last map: smmu_code_touched reads two bytes. */
        mmu->tlb.code_maps =
            g_realloc(mmu->tlb.code_maps, (size_t)mmu->nmaps * SMMU_CODE_MAP_BYTES + 1);
        mmu->tlb.code_maps[(size_t)mmu->nmaps * SMMU_CODE_MAP_BYTES] = 0;
        mmu->free_maps = g_renew(uint32_t, mmu->free_maps, mmu->nmaps);
    }
    uint8_t *map = mmu->tlb.code_maps + (size_t)n * SMMU_CODE_MAP_BYTES;
    memset(map, 0, SMMU_CODE_MAP_BYTES);
    mmu->watched[page] = n;
    mmu->nwatched++;
    slots_set_code(mmu, page, n); /* no slot may keep writing to it directly */
    return map;
}

void smmu_watch_code(struct shadowmmu *mmu, uint64_t paddr, unsigned len)
{
    uint64_t page = paddr >> 12;
    unsigned off = paddr & 0xfff;
    g_assert(len > 0 && off + len <= SMMU_PAGE_SIZE);
    if (page >= SMMU_WATCH_PAGES)
        return;
    uint8_t *map = page_map(mmu, page);
    for (unsigned b = off; b < off + len; b++)
        map[b >> 3] |= (uint8_t)(1u << (b & 7));
}

void smmu_set_code(struct shadowmmu *mmu, uint64_t paddr, const uint8_t *map)
{
    uint64_t page = paddr >> 12;
    bool any = false;
    for (unsigned k = 0; map && k < SMMU_CODE_MAP_BYTES; k++)
        any |= map[k] != 0;
    if (page >= SMMU_WATCH_PAGES || (!any && !mmu->watched[page]))
        return;
    if (any) {
        memcpy(page_map(mmu, page), map, SMMU_CODE_MAP_BYTES);
        return;
    }
    /* No code left: the page's writes go direct again, in the slots already filled too. */
    mmu->free_maps[mmu->nfree_maps++] = mmu->watched[page];
    mmu->watched[page] = 0;
    mmu->nwatched--;
    slots_set_code(mmu, page, 0);
}

void smmu_unwatch_page(struct shadowmmu *mmu, uint64_t paddr)
{
    smmu_set_code(mmu, paddr, NULL);
}

bool smmu_page_watched(const struct shadowmmu *mmu, uint64_t paddr)
{
    return watched(mmu, paddr);
}

bool smmu_is_code(const struct shadowmmu *mmu, uint64_t paddr, unsigned len)
{
    return watched(mmu, paddr) &&
           smmu_code_touched(code_map(mmu, mmu->watched[paddr >> 12]), paddr & 0xfff, len);
}

bool smmu_page_trapped(const struct shadowmmu *mmu, uint32_t linear)
{
    for (unsigned i = 0; i < mmu->ntraps; i++) {
        if (mmu->traps[i] == (linear & PAGE_4K_MASK))
            return true;
    }
    return false;
}

void smmu_set_traps(struct shadowmmu *mmu, const uint32_t *pages, unsigned n)
{
    g_assert(n <= SMMU_MAX_TRAPS);
    mmu->ntraps = 0;
    for (unsigned i = 0; i < n; i++) {
        if (!smmu_page_trapped(mmu, pages[i]))
            mmu->traps[mmu->ntraps++] = pages[i] & PAGE_4K_MASK;
    }
    /* Slots of newly trapped pages lose their direct data access; pages no
       longer trapped regain it at their next fill. */
    for (unsigned i = 0; mmu->ntraps && i < mmu->nfilled; i++) {
        unsigned f = mmu->filled[i], user = f >> SMMU_TLB_BITS, idx = f & (SMMU_TLB_SIZE - 1);
        if (smmu_page_trapped(mmu, mmu->info[user][idx].lin)) {
            struct smmu_tlb_entry *e = slot(mmu, (int)user, idx);
            e->tag[SMMU_READ] = e->tag[SMMU_WRITE] = SMMU_TAG_NONE;
            e->code = 0;
        }
    }
}

const struct smmu_stats *smmu_get_stats(struct shadowmmu *mmu)
{
    mmu->stats.watch_data_writes_generated = mmu->tlb.watch_data_writes_generated;
    mmu->stats.watch_data_writes =
        mmu->tlb.watch_data_writes + mmu->stats.watch_data_writes_generated;
    return &mmu->stats;
}
