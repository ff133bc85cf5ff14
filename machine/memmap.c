/*
 * The guest-physical address space: region list, flattening, and the
 * access paths that split accesses across ranges and devices.
 */
#include "machine/memmap.h"

#include <glib.h>
#include <string.h>

void memmap_init(struct memmap *map)
{
    memset(map, 0, sizeof(*map));
}

void memmap_destroy(struct memmap *map)
{
    for (unsigned i = 0; i < map->nregions; i++)
        g_free(map->regions[i]);
    g_free(map->regions);
    g_free(map->flat);
    memset(map, 0, sizeof(*map));
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The visible region over [start, ...): highest priority, latest added. */
static struct mem_region *top_region(const struct memmap *map, uint64_t start)
{
    struct mem_region *best = NULL;
    for (unsigned i = 0; i < map->nregions; i++) {
        struct mem_region *r = map->regions[i];
        if (!r->enabled || start < r->base || start - r->base >= r->size)
            continue;
        if (!best || r->priority >= best->priority)
            best = r;
    }
    return best;
}

/* Rebuild the sorted, non-overlapping view from the region list. */
static void memmap_flatten(struct memmap *map)
{
    unsigned nb = 0;
    uint64_t *bounds = g_new(uint64_t, 2 * map->nregions + 1);
    for (unsigned i = 0; i < map->nregions; i++) {
        struct mem_region *r = map->regions[i];
        if (!r->enabled)
            continue;
        bounds[nb++] = r->base;
        bounds[nb++] = r->base + r->size;
    }
    qsort(bounds, nb, sizeof(*bounds), cmp_u64);

    g_free(map->flat);
    map->flat = g_new(struct mem_range, nb ? nb : 1);
    map->nflat = 0;
    for (unsigned i = 0; i + 1 < nb; i++) {
        if (bounds[i] == bounds[i + 1])
            continue;
        struct mem_region *r = top_region(map, bounds[i]);
        if (!r)
            continue;
        struct mem_range *prev = map->nflat ? &map->flat[map->nflat - 1] : NULL;
        if (prev && prev->region == r && prev->end == bounds[i]) {
            prev->end = bounds[i + 1];
            continue;
        }
        map->flat[map->nflat++] = (struct mem_range){bounds[i], bounds[i + 1], r};
    }
    g_free(bounds);
    map->generation++;
    if (map->change_hook)
        map->change_hook(map->change_hook_opaque);
}

static struct mem_region *memmap_add(struct memmap *map, const struct mem_region *tmpl)
{
    if (tmpl->size == 0 || tmpl->base + tmpl->size < tmpl->base)
        return NULL;
    struct mem_region *r = g_new(struct mem_region, 1);
    *r = *tmpl;
    r->enabled = true;
    map->regions = g_renew(struct mem_region *, map->regions, map->nregions + 1);
    map->regions[map->nregions++] = r;
    memmap_flatten(map);
    return r;
}

struct mem_region *memmap_add_ram(struct memmap *map, const char *name, uint64_t base,
                                  uint64_t size, uint8_t *host, int priority)
{
    return memmap_add(map, &(struct mem_region){.name = name,
                                                .kind = MEM_RAM,
                                                .base = base,
                                                .size = size,
                                                .priority = priority,
                                                .host = host});
}

struct mem_region *memmap_add_rom(struct memmap *map, const char *name, uint64_t base,
                                  uint64_t size, uint8_t *host, int priority)
{
    return memmap_add(map, &(struct mem_region){.name = name,
                                                .kind = MEM_ROM,
                                                .base = base,
                                                .size = size,
                                                .priority = priority,
                                                .host = host});
}

struct mem_region *memmap_add_mmio(struct memmap *map, const char *name, uint64_t base,
                                   uint64_t size, const struct mmio_ops *ops, void *opaque,
                                   int priority)
{
    return memmap_add(map, &(struct mem_region){.name = name,
                                                .kind = MEM_MMIO,
                                                .base = base,
                                                .size = size,
                                                .priority = priority,
                                                .ops = ops,
                                                .opaque = opaque});
}

void memmap_set_enabled(struct memmap *map, struct mem_region *region, bool enabled)
{
    if (region->enabled == enabled)
        return;
    region->enabled = enabled;
    memmap_flatten(map);
}

void memmap_move(struct memmap *map, struct mem_region *region, uint64_t base)
{
    if (region->base == base || base + region->size < base)
        return;
    region->base = base;
    memmap_flatten(map);
}

void memmap_set_write_hook(struct memmap *map, mem_write_hook hook, void *opaque)
{
    map->write_hook = hook;
    map->write_hook_opaque = opaque;
}

void memmap_set_change_hook(struct memmap *map, mem_change_hook hook, void *opaque)
{
    map->change_hook = hook;
    map->change_hook_opaque = opaque;
}

const struct mem_range *memmap_lookup(const struct memmap *map, uint64_t paddr)
{
    unsigned lo = 0, hi = map->nflat;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        const struct mem_range *r = &map->flat[mid];
        if (paddr < r->start)
            hi = mid;
        else if (paddr >= r->end)
            lo = mid + 1;
        else
            return r;
    }
    return NULL;
}

uint8_t *memmap_host_ptr(const struct memmap *map, uint64_t paddr)
{
    const struct mem_range *r = memmap_lookup(map, paddr);
    if (!r || r->region->kind == MEM_MMIO)
        return NULL;
    return r->region->host + (paddr - r->region->base);
}

static void notify_ram_write(struct memmap *map, uint64_t paddr, uint64_t len)
{
    if (map->write_hook)
        map->write_hook(map->write_hook_opaque, paddr, len);
}

/* The range holding all of [paddr, paddr+size), or NULL when split is needed. */
static const struct mem_range *whole_range(const struct memmap *map, uint64_t paddr, unsigned size)
{
    const struct mem_range *r = memmap_lookup(map, paddr);
    if (!r || r->end - paddr < size)
        return NULL;
    return r;
}

static bool mmio_takes(const struct mem_region *reg, unsigned size)
{
    return size == 1 || (reg->ops->sizes & size);
}

static uint8_t read_byte(struct memmap *map, uint64_t paddr)
{
    const struct mem_range *r = memmap_lookup(map, paddr);
    if (!r)
        return 0xff;
    struct mem_region *reg = r->region;
    if (reg->kind == MEM_MMIO)
        return reg->ops->read(reg->opaque, paddr - reg->base, 1) & 0xff;
    return reg->host[paddr - reg->base];
}

static void write_byte(struct memmap *map, uint64_t paddr, uint8_t value)
{
    const struct mem_range *r = memmap_lookup(map, paddr);
    if (!r)
        return;
    struct mem_region *reg = r->region;
    if (reg->kind == MEM_MMIO) {
        reg->ops->write(reg->opaque, paddr - reg->base, value, 1);
    } else if (reg->kind == MEM_RAM) {
        reg->host[paddr - reg->base] = value;
        notify_ram_write(map, paddr, 1);
    }
}

uint32_t memmap_read(struct memmap *map, uint64_t paddr, unsigned size)
{
    g_assert(size == 1 || size == 2 || size == 4);
    const struct mem_range *r = whole_range(map, paddr, size);
    if (r) {
        struct mem_region *reg = r->region;
        uint64_t off = paddr - reg->base;
        if (reg->kind != MEM_MMIO) {
            uint32_t v = 0;
            memcpy(&v, reg->host + off, size);
            return v;
        }
        if (mmio_takes(reg, size)) {
            uint32_t v = reg->ops->read(reg->opaque, off, size);
            return size == 4 ? v : v & ((1u << (8 * size)) - 1);
        }
    }
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)read_byte(map, paddr + i) << (8 * i);
    return v;
}

void memmap_write(struct memmap *map, uint64_t paddr, uint32_t value, unsigned size)
{
    g_assert(size == 1 || size == 2 || size == 4);
    const struct mem_range *r = whole_range(map, paddr, size);
    if (r) {
        struct mem_region *reg = r->region;
        uint64_t off = paddr - reg->base;
        if (reg->kind == MEM_ROM)
            return;
        if (reg->kind == MEM_RAM) {
            memcpy(reg->host + off, &value, size);
            notify_ram_write(map, paddr, size);
            return;
        }
        if (mmio_takes(reg, size)) {
            uint32_t mask = size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
            reg->ops->write(reg->opaque, off, value & mask, size);
            return;
        }
    }
    for (unsigned i = 0; i < size; i++)
        write_byte(map, paddr + i, (uint8_t)(value >> (8 * i)));
}

/* How many bytes from `paddr` (in no range) to the next range, at most `len`. */
static size_t hole_length(const struct memmap *map, uint64_t paddr, size_t len)
{
    unsigned lo = 0, hi = map->nflat; /* the first range starting above paddr */
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (map->flat[mid].start <= paddr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == map->nflat)
        return len;
    return (size_t)MIN((uint64_t)len, map->flat[lo].start - paddr);
}

/*
 * Copy [paddr, paddr+len) in pieces that each lie in one range or a hole
 * (reads of a hole give 0xff, writes vanish); with neither buffer, write
 * zeros (memmap_fill_zero).
 */
static void memmap_copy(struct memmap *map, uint64_t paddr, uint8_t *rbuf, const uint8_t *wbuf,
                        size_t len, bool fill_rom)
{
    while (len > 0) {
        const struct mem_range *r = memmap_lookup(map, paddr);
        if (!r) {
            size_t n = hole_length(map, paddr, len);
            if (rbuf) {
                memset(rbuf, 0xff, n);
                rbuf += n;
            } else if (wbuf) {
                wbuf += n;
            }
            paddr += n;
            len -= n;
            continue;
        }
        if (r->region->kind == MEM_MMIO) {
            if (rbuf)
                *rbuf++ = read_byte(map, paddr);
            else
                write_byte(map, paddr, wbuf ? *wbuf++ : 0);
            paddr++;
            len--;
            continue;
        }
        struct mem_region *reg = r->region;
        size_t n = MIN((uint64_t)len, r->end - paddr);
        uint8_t *host = reg->host + (paddr - reg->base);
        if (rbuf) {
            memcpy(rbuf, host, n);
            rbuf += n;
        } else {
            if ((reg->kind == MEM_RAM || fill_rom) && wbuf)
                memcpy(host, wbuf, n);
            else if (reg->kind == MEM_RAM || fill_rom)
                memset(host, 0, n);
            if (reg->kind == MEM_RAM)
                notify_ram_write(map, paddr, n);
            if (wbuf)
                wbuf += n;
        }
        paddr += n;
        len -= n;
    }
}

void memmap_read_buf(struct memmap *map, uint64_t paddr, void *buf, size_t len)
{
    memmap_copy(map, paddr, buf, NULL, len, false);
}

void memmap_write_buf(struct memmap *map, uint64_t paddr, const void *buf, size_t len)
{
    memmap_copy(map, paddr, NULL, buf, len, false);
}

void memmap_fill_zero(struct memmap *map, uint64_t paddr, uint64_t len)
{
    /* In pieces a size_t holds; holes are skipped whole, so even 4 GiB goes quickly. */
    while (len > 0) {
        size_t n = (size_t)MIN(len, (uint64_t)SIZE_MAX / 2);
        memmap_copy(map, paddr, NULL, NULL, n, false);
        paddr += n;
        len -= n;
    }
}

void memmap_load_rom(struct memmap *map, uint64_t paddr, const void *buf, size_t len)
{
    memmap_copy(map, paddr, NULL, buf, len, true);
}
