/*
 * The guest-physical address space: RAM, ROM and MMIO regions, possibly
 * overlapping (a higher priority hides a lower one, as the VGA window hides
 * RAM at 0xA0000), flattened into sorted non-overlapping ranges for lookup.
 * Accesses of 1, 2 or 4 bytes at any alignment; an access that crosses from
 * one range into another, or that a device does not take whole, is split
 * into single bytes. Addresses no region claims read as all ones and ignore
 * writes, as on a PC bus with nothing answering.
 */
#ifndef POPEK_MACHINE_MEMMAP_H
#define POPEK_MACHINE_MEMMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mem_kind {
    MEM_RAM,  /* host memory, read and write */
    MEM_ROM,  /* host memory, writes ignored */
    MEM_MMIO, /* device callbacks */
};

/*
 * A device's memory-mapped registers. Offsets are relative to the region
 * base. Every device takes 1-byte accesses; `sizes` says which wider ones it
 * takes whole (MEM_SIZE_2 | MEM_SIZE_4), the rest reach it byte by byte.
 */
struct mmio_ops {
    uint32_t (*read)(void *opaque, uint64_t offset, unsigned size);
    void (*write)(void *opaque, uint64_t offset, uint32_t value, unsigned size);
    unsigned sizes;
};

#define MEM_SIZE_2 (1u << 1)
#define MEM_SIZE_4 (1u << 2)

struct mem_region {
    const char *name;
    enum mem_kind kind;
    uint64_t base;              /* guest-physical start */
    uint64_t size;              /* bytes */
    int priority;               /* higher hides lower where they overlap */
    bool enabled;               /* disabled regions take no part in lookup */
    uint8_t *host;              /* MEM_RAM / MEM_ROM backing */
    const struct mmio_ops *ops; /* MEM_MMIO callbacks */
    void *opaque;               /* MEM_MMIO device state */
};

/* One piece of the flattened map: [start, end) belongs to `region`. */
struct mem_range {
    uint64_t start;
    uint64_t end;
    struct mem_region *region;
};

/* Called after every write that reaches RAM, from any source. */
typedef void (*mem_write_hook)(void *opaque, uint64_t paddr, uint64_t len);

/* Called after the flattened map changed (a region added, moved, shown, hidden). */
typedef void (*mem_change_hook)(void *opaque);

struct memmap {
    struct mem_region **regions; /* owned; in order of addition */
    unsigned nregions;
    struct mem_range *flat; /* sorted, non-overlapping */
    unsigned nflat;
    uint64_t generation; /* bumped whenever the flattened map changes */
    mem_write_hook write_hook;
    void *write_hook_opaque;
    mem_change_hook change_hook;
    void *change_hook_opaque;
};

void memmap_init(struct memmap *map);
void memmap_destroy(struct memmap *map);

/*
 * Add a region. Returns it (owned by the map), or NULL when the range is
 * empty or wraps past the end of the 64-bit address space.
 */
struct mem_region *memmap_add_ram(struct memmap *map, const char *name, uint64_t base,
                                  uint64_t size, uint8_t *host, int priority);
struct mem_region *memmap_add_rom(struct memmap *map, const char *name, uint64_t base,
                                  uint64_t size, uint8_t *host, int priority);
struct mem_region *memmap_add_mmio(struct memmap *map, const char *name, uint64_t base,
                                   uint64_t size, const struct mmio_ops *ops, void *opaque,
                                   int priority);

/* Show or hide a region; move it to a new base (PCI BARs, PAM shadowing). */
void memmap_set_enabled(struct memmap *map, struct mem_region *region, bool enabled);
void memmap_move(struct memmap *map, struct mem_region *region, uint64_t base);
void memmap_set_write_hook(struct memmap *map, mem_write_hook hook, void *opaque);
void memmap_set_change_hook(struct memmap *map, mem_change_hook hook, void *opaque);

/* The range holding `paddr`, or NULL where nothing is mapped. */
const struct mem_range *memmap_lookup(const struct memmap *map, uint64_t paddr);

/* Host pointer for `paddr` when it lies in RAM or ROM, else NULL. */
uint8_t *memmap_host_ptr(const struct memmap *map, uint64_t paddr);

/* 1-, 2- and 4-byte accesses, little-endian, split as described above. */
uint32_t memmap_read(struct memmap *map, uint64_t paddr, unsigned size);
void memmap_write(struct memmap *map, uint64_t paddr, uint32_t value, unsigned size);

/* Bulk copies for loaders and DMA: RAM and ROM by memcpy, MMIO by bytes. */
void memmap_read_buf(struct memmap *map, uint64_t paddr, void *buf, size_t len);
void memmap_write_buf(struct memmap *map, uint64_t paddr, const void *buf, size_t len);
/* Write `len` zero bytes as memmap_write_buf would (DMA of "no more data"). */
void memmap_fill_zero(struct memmap *map, uint64_t paddr, uint64_t len);

/* Like memmap_write_buf but also fills ROM: for firmware loaders only. */
void memmap_load_rom(struct memmap *map, uint64_t paddr, const void *buf, size_t len);

#endif
