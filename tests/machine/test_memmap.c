/*
 * The guest-physical memory map: RAM, ROM, MMIO, overlaps, holes, and the
 * splitting of unaligned and region-crossing accesses.
 */
#include <glib.h>
#include <string.h>

#include "machine/memmap.h"

/* A logging MMIO device: reads return offset-derived bytes, writes are logged. */
struct fake_dev {
    unsigned nreads, nwrites;
    uint64_t last_off;
    uint32_t last_val;
    unsigned last_size;
    uint8_t regs[64];
};

static uint32_t fake_read(void *opaque, uint64_t off, unsigned size)
{
    struct fake_dev *d = opaque;
    d->nreads++;
    d->last_off = off;
    d->last_size = size;
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)d->regs[(off + i) % sizeof(d->regs)] << (8 * i);
    return v;
}

static void fake_write(void *opaque, uint64_t off, uint32_t val, unsigned size)
{
    struct fake_dev *d = opaque;
    d->nwrites++;
    d->last_off = off;
    d->last_val = val;
    d->last_size = size;
    for (unsigned i = 0; i < size; i++)
        d->regs[(off + i) % sizeof(d->regs)] = (uint8_t)(val >> (8 * i));
}

static const struct mmio_ops fake_ops_all = {fake_read, fake_write, MEM_SIZE_2 | MEM_SIZE_4};
static const struct mmio_ops fake_ops_bytes = {fake_read, fake_write, 0};

static void test_ram_roundtrip(void)
{
    struct memmap map;
    uint8_t ram[4096] = {0};
    memmap_init(&map);
    g_assert_nonnull(memmap_add_ram(&map, "ram", 0x1000, sizeof(ram), ram, 0));
    memmap_write(&map, 0x1000, 0x11223344, 4);
    memmap_write(&map, 0x1ffe, 0xbeef, 2);
    memmap_write(&map, 0x1003, 0xaa, 1);
    g_assert_cmphex(memmap_read(&map, 0x1000, 4), ==, 0xaa223344);
    g_assert_cmphex(memmap_read(&map, 0x1ffe, 2), ==, 0xbeef);
    g_assert_cmphex(ram[0xfff], ==, 0xbe);
    g_assert_cmphex(memmap_read(&map, 0x1001, 2), ==, 0x2233); /* unaligned */
    memmap_destroy(&map);
}

static void test_holes_read_ones(void)
{
    struct memmap map;
    uint8_t ram[16];
    memset(ram, 0x5a, sizeof(ram));
    memmap_init(&map);
    memmap_add_ram(&map, "ram", 0x100, sizeof(ram), ram, 0);
    g_assert_cmphex(memmap_read(&map, 0x0, 4), ==, 0xffffffff);
    g_assert_cmphex(memmap_read(&map, 0xfffffffc, 4), ==, 0xffffffff);
    /* half in RAM, half in the hole after it */
    g_assert_cmphex(memmap_read(&map, 0x10e, 4), ==, 0xffff5a5a);
    memmap_write(&map, 0x10e, 0x01020304, 4);
    g_assert_cmphex(ram[14], ==, 0x04);
    g_assert_cmphex(ram[15], ==, 0x03);
    memmap_write(&map, 0x5000, 0x12345678, 4); /* into nothing: harmless */
    g_assert_null(memmap_lookup(&map, 0x5000));
    memmap_destroy(&map);
}

static void test_rom_ignores_writes(void)
{
    struct memmap map;
    uint8_t rom[256];
    memset(rom, 0xc3, sizeof(rom));
    memmap_init(&map);
    memmap_add_rom(&map, "rom", 0xf0000, sizeof(rom), rom, 0);
    memmap_write(&map, 0xf0000, 0, 4);
    memmap_write_buf(&map, 0xf0010, "xxxx", 4);
    g_assert_cmphex(memmap_read(&map, 0xf0000, 4), ==, 0xc3c3c3c3);
    g_assert_cmphex(rom[0x10], ==, 0xc3);
    memmap_load_rom(&map, 0xf0010, "abcd", 4); /* the loader may fill it */
    g_assert_cmphex(memmap_read(&map, 0xf0010, 4), ==, 0x64636261);
    memmap_destroy(&map);
}

static void test_mmio_whole_and_split(void)
{
    struct memmap map;
    struct fake_dev wide = {0}, narrow = {0};
    memmap_init(&map);
    memmap_add_mmio(&map, "wide", 0xe0000000, 0x1000, &fake_ops_all, &wide, 0);
    memmap_add_mmio(&map, "narrow", 0xe0001000, 0x1000, &fake_ops_bytes, &narrow, 0);

    memmap_write(&map, 0xe0000010, 0xcafef00d, 4);
    g_assert_cmpuint(wide.nwrites, ==, 1);
    g_assert_cmpuint(wide.last_size, ==, 4);
    g_assert_cmphex(wide.last_off, ==, 0x10);
    g_assert_cmphex(memmap_read(&map, 0xe0000010, 4), ==, 0xcafef00d);
    g_assert_cmpuint(wide.nreads, ==, 1);

    /* A device that takes bytes only sees four 1-byte writes, in order. */
    memmap_write(&map, 0xe0001004, 0x44332211, 4);
    g_assert_cmpuint(narrow.nwrites, ==, 4);
    g_assert_cmphex(narrow.last_off, ==, 7);
    g_assert_cmphex(narrow.last_val, ==, 0x44);
    g_assert_cmphex(memmap_read(&map, 0xe0001004, 4), ==, 0x44332211);
    g_assert_cmpuint(narrow.nreads, ==, 4);

    /* Crossing from one device into the next splits into bytes per device. */
    wide.nwrites = narrow.nwrites = 0;
    memmap_write(&map, 0xe0000ffe, 0xddccbbaa, 4);
    g_assert_cmpuint(wide.nwrites, ==, 2);
    g_assert_cmpuint(narrow.nwrites, ==, 2);
    g_assert_cmphex(wide.regs[0xffe % 64], ==, 0xaa);
    g_assert_cmphex(narrow.regs[1], ==, 0xdd);
    g_assert_cmphex(memmap_read(&map, 0xe0000ffe, 4), ==, 0xddccbbaa);

    /* 2-byte reads are masked to 16 bits even if a device returns more. */
    g_assert_cmphex(memmap_read(&map, 0xe0000010, 2), ==, 0xf00d);
    memmap_destroy(&map);
}

static void test_ram_to_mmio_crossing(void)
{
    struct memmap map;
    uint8_t ram[0x1000] = {0};
    struct fake_dev dev = {0};
    memmap_init(&map);
    memmap_add_ram(&map, "ram", 0, sizeof(ram), ram, 0);
    memmap_add_mmio(&map, "dev", 0x1000, 0x100, &fake_ops_all, &dev, 0);
    memmap_write(&map, 0xfff, 0x04030201, 4);
    g_assert_cmphex(ram[0xfff], ==, 0x01);
    g_assert_cmpuint(dev.nwrites, ==, 3);
    g_assert_cmphex(dev.regs[0], ==, 0x02);
    g_assert_cmphex(dev.regs[2], ==, 0x04);
    g_assert_cmphex(memmap_read(&map, 0xfff, 4), ==, 0x04030201);
    memmap_destroy(&map);
}

static void test_overlap_priority(void)
{
    struct memmap map;
    static uint8_t ram[0x100000];
    struct fake_dev vga = {0};
    memset(ram, 0x11, sizeof(ram));
    memmap_init(&map);
    memmap_add_ram(&map, "ram", 0, sizeof(ram), ram, 0);
    struct mem_region *win = memmap_add_mmio(&map, "vga", 0xa0000, 0x20000, &fake_ops_all, &vga, 1);
    g_assert_cmpuint(memmap_lookup(&map, 0xa0000)->region->kind, ==, MEM_MMIO);
    g_assert_cmpuint(memmap_lookup(&map, 0x9ffff)->region->kind, ==, MEM_RAM);
    g_assert_cmpuint(memmap_lookup(&map, 0xc0000)->region->kind, ==, MEM_RAM);
    memmap_write(&map, 0xa0000, 0x22, 1);
    g_assert_cmphex(ram[0xa0000], ==, 0x11);
    g_assert_cmpuint(vga.nwrites, ==, 1);
    g_assert_null(memmap_host_ptr(&map, 0xa0000));
    g_assert_true(memmap_host_ptr(&map, 0xc0000) == &ram[0xc0000]);

    uint64_t gen = map.generation;
    memmap_set_enabled(&map, win, false);
    g_assert_cmpuint(map.generation, >, gen);
    g_assert_cmpuint(memmap_lookup(&map, 0xa0000)->region->kind, ==, MEM_RAM);
    memmap_write(&map, 0xa0000, 0x22, 1);
    g_assert_cmphex(ram[0xa0000], ==, 0x22);
    /* RAM becomes one range again once the window is gone. */
    g_assert_cmpuint(map.nflat, ==, 1);

    memmap_set_enabled(&map, win, true);
    memmap_move(&map, win, 0xe0000000);
    g_assert_cmpuint(memmap_lookup(&map, 0xa0000)->region->kind, ==, MEM_RAM);
    g_assert_true(memmap_lookup(&map, 0xe0000000)->region == win);
    memmap_destroy(&map);
}

static void test_bad_regions_refused(void)
{
    struct memmap map;
    uint8_t b[1];
    memmap_init(&map);
    g_assert_null(memmap_add_ram(&map, "empty", 0x1000, 0, b, 0));
    g_assert_null(memmap_add_ram(&map, "wraps", UINT64_MAX - 1, 16, b, 0));
    g_assert_cmpuint(map.nregions, ==, 0);
    memmap_destroy(&map);
}

struct hook_log {
    unsigned calls;
    uint64_t paddr, len;
};

static void log_write(void *opaque, uint64_t paddr, uint64_t len)
{
    struct hook_log *l = opaque;
    l->calls++;
    l->paddr = paddr;
    l->len = len;
}

static void test_write_hook(void)
{
    struct memmap map;
    uint8_t ram[0x2000] = {0}, rom[0x100] = {0};
    struct hook_log log = {0};
    memmap_init(&map);
    memmap_add_ram(&map, "ram", 0, sizeof(ram), ram, 0);
    memmap_add_rom(&map, "rom", 0x10000, sizeof(rom), rom, 0);
    memmap_set_write_hook(&map, log_write, &log);
    memmap_write(&map, 0x1234, 7, 2);
    g_assert_cmpuint(log.calls, ==, 1);
    g_assert_cmphex(log.paddr, ==, 0x1234);
    g_assert_cmpuint(log.len, ==, 2);
    uint8_t buf[0x300];
    memset(buf, 0xab, sizeof(buf));
    memmap_write_buf(&map, 0x100, buf, sizeof(buf));
    g_assert_cmpuint(log.calls, ==, 2);
    g_assert_cmpuint(log.len, ==, sizeof(buf));
    memmap_write(&map, 0x10000, 1, 1); /* ROM: nothing written, nothing told */
    g_assert_cmpuint(log.calls, ==, 2);
    memmap_destroy(&map);
}

static void count_change(void *opaque)
{
    (*(unsigned *)opaque)++;
}

static void test_change_hook(void)
{
    struct memmap map;
    uint8_t ram[0x2000] = {0}, rom[0x100] = {0};
    unsigned changes = 0;
    memmap_init(&map);
    memmap_set_change_hook(&map, count_change, &changes);
    memmap_add_ram(&map, "ram", 0, sizeof(ram), ram, 0);
    g_assert_cmpuint(changes, ==, 1);
    struct mem_region *r = memmap_add_rom(&map, "rom", 0x10000, sizeof(rom), rom, 0);
    g_assert_cmpuint(changes, ==, 2);
    memmap_set_enabled(&map, r, false);
    g_assert_cmpuint(changes, ==, 3);
    memmap_move(&map, r, 0x20000);
    g_assert_cmpuint(changes, ==, 4);
    /* Accesses do not change the map. */
    memmap_write(&map, 0x10, 1, 4);
    (void)memmap_read(&map, 0x10, 4);
    g_assert_cmpuint(changes, ==, 4);
    memmap_set_change_hook(&map, NULL, NULL);
    memmap_set_enabled(&map, r, true);
    g_assert_cmpuint(changes, ==, 4);
    memmap_destroy(&map);
}

static void test_bulk_copy_across_regions(void)
{
    struct memmap map;
    uint8_t a[0x100], b[0x100];
    memset(a, 1, sizeof(a));
    memset(b, 2, sizeof(b));
    memmap_init(&map);
    memmap_add_ram(&map, "a", 0x0, sizeof(a), a, 0);
    memmap_add_ram(&map, "b", 0x200, sizeof(b), b, 0);
    uint8_t out[0x300];
    memmap_read_buf(&map, 0x80, out, sizeof(out));
    g_assert_cmphex(out[0], ==, 1);
    g_assert_cmphex(out[0x7f], ==, 1);
    g_assert_cmphex(out[0x80], ==, 0xff); /* the hole between */
    g_assert_cmphex(out[0x17f], ==, 0xff);
    g_assert_cmphex(out[0x180], ==, 2);
    g_assert_cmphex(out[0x27f], ==, 2);
    g_assert_cmphex(out[0x280], ==, 0xff); /* past the end */
    memmap_destroy(&map);
}

/* Zero fill across RAM, a hole, MMIO and ROM; writes into holes vanish, however long. */
static void test_fill_zero(void)
{
    struct memmap map;
    struct fake_dev dev = {0};
    uint8_t a[0x100], rom[0x100], b[0x100];
    memset(a, 1, sizeof(a));
    memset(rom, 3, sizeof(rom));
    memset(b, 2, sizeof(b));
    memset(dev.regs, 0x55, sizeof(dev.regs));
    memmap_init(&map);
    memmap_add_ram(&map, "a", 0x0, sizeof(a), a, 0);
    memmap_add_mmio(&map, "dev", 0x1000, 0x40, &fake_ops_bytes, &dev, 0);
    memmap_add_rom(&map, "rom", 0x2000, sizeof(rom), rom, 0);
    memmap_add_ram(&map, "b", 0xfffff000u, sizeof(b), b, 0);
    memmap_fill_zero(&map, 0x80, 0xffffffffu); /* up to the end of the 32-bit space */
    g_assert_cmphex(a[0x7f], ==, 1);
    g_assert_cmphex(a[0x80], ==, 0);
    g_assert_cmphex(a[0xff], ==, 0);
    g_assert_cmpuint(dev.nwrites, ==, 0x40); /* a device sees byte writes */
    g_assert_cmphex(dev.regs[0x3f], ==, 0);
    g_assert_cmphex(rom[0], ==, 3); /* ROM keeps its bytes */
    g_assert_cmphex(b[0], ==, 0);
    g_assert_cmphex(b[0xff], ==, 0);
    /* Writes from a buffer into a hole vanish too, past every range. */
    uint8_t buf[0x300];
    memset(buf, 9, sizeof(buf));
    memmap_write_buf(&map, 0x80, buf, sizeof(buf));
    g_assert_cmphex(a[0xff], ==, 9);
    memmap_destroy(&map);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/memmap/ram-roundtrip", test_ram_roundtrip);
    g_test_add_func("/memmap/holes-read-ones", test_holes_read_ones);
    g_test_add_func("/memmap/rom-ignores-writes", test_rom_ignores_writes);
    g_test_add_func("/memmap/mmio-whole-and-split", test_mmio_whole_and_split);
    g_test_add_func("/memmap/ram-to-mmio-crossing", test_ram_to_mmio_crossing);
    g_test_add_func("/memmap/overlap-priority", test_overlap_priority);
    g_test_add_func("/memmap/bad-regions-refused", test_bad_regions_refused);
    g_test_add_func("/memmap/write-hook", test_write_hook);
    g_test_add_func("/memmap/change-hook", test_change_hook);
    g_test_add_func("/memmap/bulk-copy-across-regions", test_bulk_copy_across_regions);
    g_test_add_func("/memmap/fill-zero", test_fill_zero);
    return g_test_run();
}
