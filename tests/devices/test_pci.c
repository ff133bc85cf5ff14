/*
 * PCI configuration mechanism #1, BAR sizing, the i440FX PAM registers and
 * the PIIX3 functions, through the ports a BIOS uses.
 */
#include <glib.h>
#include <string.h>

#include "devices/i440fx.h"
#include "devices/pci.h"
#include "devices/piix3.h"
#include "devices/vga.h"
#include "devices/vga_pci.h"
#include "machine/machine.h"

struct fixture {
    struct machine m;
    struct pci_bus *bus;
    struct i440fx *host;
    struct piix3 *piix;
    uint8_t rom[0x20000]; /* the BIOS's low alias */
    unsigned resets;
    uint16_t bmdma;
    unsigned bmdma_calls;
};

static void on_reset(void *opaque)
{
    ((struct fixture *)opaque)->resets++;
}

static void on_bmdma(void *opaque, uint16_t base)
{
    struct fixture *f = opaque;
    f->bmdma = base;
    f->bmdma_calls++;
}

static void setup(struct fixture *f, gconstpointer data)
{
    g_assert_cmpint(machine_init(&f->m, &(struct machine_config){.ram_mb = 4}), ==, 0);
    for (size_t i = 0; i < sizeof(f->rom); i++)
        f->rom[i] = (uint8_t)(0xb0 ^ (i >> 8));
    memmap_add_rom(&f->m.mem, "isa-bios", 0x100000 - sizeof(f->rom), sizeof(f->rom), f->rom, 1);
    f->bus = pci_bus_create(&f->m, on_reset, f);
    f->host = i440fx_create(&f->m, f->bus, f->rom, sizeof(f->rom));
    f->piix = piix3_create(f->bus, on_bmdma, f);
}

static void teardown(struct fixture *f, gconstpointer data)
{
    piix3_destroy(f->piix);
    i440fx_destroy(f->host);
    pci_bus_destroy(f->bus);
    machine_destroy(&f->m);
}

static uint32_t cfg_read(struct fixture *f, unsigned dev, unsigned fn, unsigned off, unsigned size)
{
    iobus_write(&f->m.io, 0xcf8, 0x80000000u | dev << 11 | fn << 8 | (off & 0xfc), 4);
    return iobus_read(&f->m.io, (uint16_t)(0xcfc + (off & 3)), size);
}

static void cfg_write(struct fixture *f, unsigned dev, unsigned fn, unsigned off, uint32_t v,
                      unsigned size)
{
    iobus_write(&f->m.io, 0xcf8, 0x80000000u | dev << 11 | fn << 8 | (off & 0xfc), 4);
    iobus_write(&f->m.io, (uint16_t)(0xcfc + (off & 3)), v, size);
}

static void test_enumeration(struct fixture *f, gconstpointer data)
{
    g_assert_cmphex(cfg_read(f, 0, 0, 0, 4), ==, 0x12378086u);
    g_assert_cmphex(cfg_read(f, 1, 0, 0, 4), ==, 0x70008086u);
    g_assert_cmphex(cfg_read(f, 1, 1, 0, 4), ==, 0x70108086u);
    g_assert_cmphex(cfg_read(f, 1, 0, PCI_HEADER_TYPE, 1), ==, 0x80);
    g_assert_cmphex(cfg_read(f, 1, 1, 8, 4) >> 8, ==, 0x010180);
    /* Absent devices and functions read all ones; so does any other bus. */
    g_assert_cmphex(cfg_read(f, 5, 0, 0, 4), ==, 0xffffffffu);
    iobus_write(&f->m.io, 0xcf8, 0x80010000u, 4);
    g_assert_cmphex(iobus_read(&f->m.io, 0xcfc, 4), ==, 0xffffffffu);
    /* The address register reads back (reserved low bits clear). */
    iobus_write(&f->m.io, 0xcf8, 0x80000807u, 4);
    g_assert_cmphex(iobus_read(&f->m.io, 0xcf8, 4), ==, 0x80000804u);
    /* Read-only identity. */
    cfg_write(f, 0, 0, 0, 0xdeadbeef, 4);
    g_assert_cmphex(cfg_read(f, 0, 0, 0, 4), ==, 0x12378086u);
}

static void test_bar_sizing_and_bmdma(struct fixture *f, gconstpointer data)
{
    unsigned bar4 = PCI_BAR0 + 16;
    cfg_write(f, 1, 1, bar4, 0xffffffffu, 4);
    /* 16 bytes of I/O: the size bits read back as zero, bit 0 says I/O. */
    g_assert_cmphex(cfg_read(f, 1, 1, bar4, 4), ==, 0xfffffff1u);
    cfg_write(f, 1, 1, bar4, 0xc000, 4);
    g_assert_cmpuint(f->bmdma, ==, 0); /* I/O decoding is still off */
    cfg_write(f, 1, 1, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MASTER, 2);
    g_assert_cmphex(f->bmdma, ==, 0xc000);
    cfg_write(f, 1, 1, PCI_COMMAND, 0, 2);
    g_assert_cmphex(f->bmdma, ==, 0);
    g_assert_cmpuint(f->bmdma_calls, ==, 2);
}

static void test_read_only_bits(struct fixture *f, gconstpointer data)
{
    /* DEVSEL timing is read-only; error bits are only ever cleared by writing 1. */
    g_assert_cmphex(cfg_read(f, 0, 0, PCI_STATUS, 2), ==, 0x0200);
    cfg_write(f, 0, 0, PCI_STATUS, 0xffff, 2);
    g_assert_cmphex(cfg_read(f, 0, 0, PCI_STATUS, 2), ==, 0x0200);
    /* The command register keeps only its writable bits. */
    cfg_write(f, 1, 1, PCI_COMMAND, 0xffff, 2);
    g_assert_cmphex(cfg_read(f, 1, 1, PCI_COMMAND, 2), ==, 0x0147);
}

static void test_pam(struct fixture *f, gconstpointer data)
{
    struct memmap *mem = &f->m.mem;
    f->m.ram[0xf0010] = 0x11;
    f->m.ram[0xc4000] = 0x22;
    /* After reset the F segment shows the BIOS; C0000-DFFFF shows an empty bus. */
    g_assert_cmphex(memmap_read(mem, 0xf0010, 1), ==, f->rom[0x10010]);
    g_assert_cmphex(memmap_read(mem, 0xc4000, 1), ==, 0xff);
    /* PAM0 = 0x30 (RE|WE high): DRAM for F0000-FFFFF. */
    cfg_write(f, 0, 0, 0x59, 0x30, 1);
    g_assert_cmphex(memmap_read(mem, 0xf0010, 1), ==, 0x11);
    memmap_write(mem, 0xf0010, 0x33, 1);
    g_assert_cmphex(f->m.ram[0xf0010], ==, 0x33);
    /* PAM0 = 0x10 (RE only): reads DRAM, writes dropped. */
    cfg_write(f, 0, 0, 0x59, 0x10, 1);
    memmap_write(mem, 0xf0010, 0x44, 1);
    g_assert_cmphex(memmap_read(mem, 0xf0010, 1), ==, 0x33);
    /* PAM0 = 0x20 (WE only): reads the BIOS, writes reach DRAM (the shadowing copy). */
    cfg_write(f, 0, 0, 0x59, 0x20, 1);
    g_assert_cmphex(memmap_read(mem, 0xf0010, 1), ==, f->rom[0x10010]);
    memmap_write(mem, 0xf0010, 0x55, 1);
    g_assert_cmphex(f->m.ram[0xf0010], ==, 0x55);
    /* PAM1 high nibble is C4000-C7FFF. */
    cfg_write(f, 0, 0, 0x5a, 0x30, 1);
    g_assert_cmphex(memmap_read(mem, 0xc4000, 1), ==, 0x22);
    g_assert_cmphex(memmap_read(mem, 0xc0000, 1), ==, 0xff); /* low nibble still 0 */
    /* Reserved bits stay zero. */
    cfg_write(f, 0, 0, 0x59, 0xff, 1);
    g_assert_cmphex(cfg_read(f, 0, 0, 0x59, 1), ==, 0x30);
}

static void test_reset_control(struct fixture *f, gconstpointer data)
{
    iobus_write(&f->m.io, 0xcf9, 0x02, 1);
    g_assert_cmpuint(f->resets, ==, 0);
    g_assert_cmphex(iobus_read(&f->m.io, 0xcf9, 1), ==, 0x02);
    iobus_write(&f->m.io, 0xcf9, 0x06, 1);
    g_assert_cmpuint(f->resets, ==, 1);
}

static void test_pirq_routing(struct fixture *f, gconstpointer data)
{
    g_assert_cmpint(piix3_pirq_route(f->piix, 0), ==, -1);
    cfg_write(f, 1, 0, 0x60, 0x0b0a090b, 4);
    g_assert_cmpint(piix3_pirq_route(f->piix, 0), ==, 11);
    g_assert_cmpint(piix3_pirq_route(f->piix, 1), ==, 9);
    g_assert_cmpint(piix3_pirq_route(f->piix, 3), ==, 11);
    g_assert_cmpint(piix3_pirq_route(f->piix, 4), ==, -1);
}

/*
 * The VGA's expansion ROM BAR (PCI 2.1 §6.2.5.2): sized by its writable
 * bits (a 38 KiB image needs 64 KiB), decoded only while its enable bit and
 * the command register's memory-space bit are both set, gone after reset.
 */
static void test_rom_bar(struct fixture *f, gconstpointer data)
{
    enum { DEV = 2, ROM_LEN = 38 * 1024, ROM_ADDR = 0xfeb00000u };
    uint8_t *image = g_malloc(ROM_LEN);
    for (unsigned i = 0; i < ROM_LEN; i++)
        image[i] = (uint8_t)(i * 7 + 1);
    image[0] = 0x55;
    image[1] = 0xaa;
    struct vga *vga = vga_create(&f->m);
    struct vga_pci *vp = vga_pci_create(&f->m, f->bus, DEV, vga, image, ROM_LEN);

    g_assert_cmphex(cfg_read(f, DEV, 0, 0x30, 4), ==, 0);
    cfg_write(f, DEV, 0, 0x30, 0xfffffffeu, 4); /* how SeaBIOS sizes it */
    g_assert_cmphex(cfg_read(f, DEV, 0, 0x30, 4), ==, 0xffff0000u);
    cfg_write(f, DEV, 0, 0x30, 0xffffffffu, 4);
    g_assert_cmphex(cfg_read(f, DEV, 0, 0x30, 4), ==, 0xffff0001u);

    /* Address and enable bit, memory space off: nothing at the address. */
    cfg_write(f, DEV, 0, 0x30, ROM_ADDR | 1, 4);
    g_assert_cmphex(cfg_read(f, DEV, 0, 0x30, 4), ==, ROM_ADDR | 1);
    g_assert_cmphex(memmap_read(&f->m.mem, ROM_ADDR, 2), ==, 0xffff);
    /* Memory space on: the image, and zeros up to the BAR's size; writes do nothing. */
    cfg_write(f, DEV, 0, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    g_assert_cmphex(memmap_read(&f->m.mem, ROM_ADDR, 2), ==, 0xaa55);
    g_assert_cmphex(memmap_read(&f->m.mem, ROM_ADDR + 1000, 1), ==, (uint8_t)(1000 * 7 + 1));
    g_assert_cmphex(memmap_read(&f->m.mem, ROM_ADDR + ROM_LEN, 4), ==, 0);
    g_assert_cmphex(memmap_read(&f->m.mem, ROM_ADDR + 0x10000, 4), ==, 0xffffffffu);
    memmap_write(&f->m.mem, ROM_ADDR, 0x1234, 2);
    g_assert_cmphex(memmap_read(&f->m.mem, ROM_ADDR, 2), ==, 0xaa55);
    /* Moved while enabled. */
    cfg_write(f, DEV, 0, 0x30, (ROM_ADDR + 0x10000) | 1, 4);
    g_assert_cmphex(memmap_read(&f->m.mem, ROM_ADDR, 2), ==, 0xffff);
    g_assert_cmphex(memmap_read(&f->m.mem, ROM_ADDR + 0x10000, 2), ==, 0xaa55);
    /* Enable bit clear: gone, the address kept. */
    cfg_write(f, DEV, 0, 0x30, ROM_ADDR + 0x10000, 4);
    g_assert_cmphex(memmap_read(&f->m.mem, ROM_ADDR + 0x10000, 2), ==, 0xffff);
    cfg_write(f, DEV, 0, 0x30, ROM_ADDR | 1, 4);
    g_assert_cmphex(memmap_read(&f->m.mem, ROM_ADDR, 2), ==, 0xaa55);
    /* Reset: BAR and command cleared, nothing mapped. */
    vga_pci_reset(vp);
    g_assert_cmphex(cfg_read(f, DEV, 0, 0x30, 4), ==, 0);
    g_assert_cmphex(memmap_read(&f->m.mem, ROM_ADDR, 2), ==, 0xffff);

    vga_pci_destroy(vp);
    vga_destroy(vga);
    g_free(image);
}

/* Without a VGA BIOS image the ROM BAR is not implemented: it reads 0 whatever is written. */
static void test_no_rom(struct fixture *f, gconstpointer data)
{
    struct vga *vga = vga_create(&f->m);
    struct vga_pci *vp = vga_pci_create(&f->m, f->bus, 2, vga, NULL, 0);
    cfg_write(f, 2, 0, 0x30, 0xffffffffu, 4);
    g_assert_cmphex(cfg_read(f, 2, 0, 0x30, 4), ==, 0);
    vga_pci_destroy(vp);
    vga_destroy(vga);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add("/pci/" path, struct fixture, NULL, setup, fn, teardown)
    ADD("enumeration", test_enumeration);
    ADD("bar-sizing-and-bmdma", test_bar_sizing_and_bmdma);
    ADD("read-only-bits", test_read_only_bits);
    ADD("pam", test_pam);
    ADD("reset-control", test_reset_control);
    ADD("pirq-routing", test_pirq_routing);
    ADD("rom-bar", test_rom_bar);
    ADD("no-rom", test_no_rom);
#undef ADD
    return g_test_run();
}
