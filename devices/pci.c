/*
 * PCI bus 0 and configuration mechanism #1 (see pci.h).
 */
#include "devices/pci.h"

#include <glib.h>
#include <string.h>

#include "machine/machine.h"

#define CONFIG_ADDRESS 0xcf8
#define CONFIG_DATA    0xcfc
#define RESET_CONTROL  0xcf9 /* PIIX3 datasheet §4.1.x: RC register */

#define ADDR_ENABLE (1u << 31)

struct pci_bus {
    struct machine *m;
    uint32_t address; /* the CONFIG_ADDRESS register */
    uint8_t rc;       /* reset control register (0xCF9) */
    struct pci_function *fn[32][8];
    void (*reset)(void *opaque);
    void *reset_opaque;
};

/* The function CONFIG_ADDRESS selects, or NULL (disabled, another bus, absent). */
static struct pci_function *selected(struct pci_bus *bus)
{
    uint32_t a = bus->address;
    if (!(a & ADDR_ENABLE) || ((a >> 16) & 0xff) != 0)
        return NULL;
    return bus->fn[(a >> 11) & 31][(a >> 8) & 7];
}

static uint32_t config_read(struct pci_bus *bus, unsigned off, unsigned size)
{
    struct pci_function *f = selected(bus);
    if (!f)
        return 0xffffffffu;
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)f->cfg[(off + i) & 0xff] << (8 * i);
    return v;
}

static void config_write(struct pci_bus *bus, unsigned off, uint32_t v, unsigned size)
{
    struct pci_function *f = selected(bus);
    if (!f)
        return;
    for (unsigned i = 0; i < size; i++) {
        unsigned o = (off + i) & 0xff;
        uint8_t b = (uint8_t)(v >> (8 * i));
        f->cfg[o] = (uint8_t)((f->cfg[o] & ~f->wmask[o]) | (b & f->wmask[o]));
        f->cfg[o] &= (uint8_t) ~(b & f->w1cmask[o]);
    }
    if (f->config_written)
        f->config_written(f, off & 0xff, size);
}

static uint32_t pci_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct pci_bus *bus = opaque;
    uint16_t p = (uint16_t)(CONFIG_ADDRESS + port);
    if (p == CONFIG_ADDRESS && size == 4)
        return bus->address;
    if (p == RESET_CONTROL && size == 1)
        return bus->rc;
    if (p >= CONFIG_DATA)
        return config_read(bus, (bus->address & 0xfc) + (p - CONFIG_DATA), size);
    return 0xffffffffu;
}

static void pci_io_write(void *opaque, uint16_t port, uint32_t v, unsigned size)
{
    struct pci_bus *bus = opaque;
    uint16_t p = (uint16_t)(CONFIG_ADDRESS + port);
    if (p == CONFIG_ADDRESS && size == 4) {
        bus->address = v & 0x80fffffcu;
        return;
    }
    if (p == RESET_CONTROL && size == 1) {
        /* Bit 2 going 0 -> 1 resets; bit 1 selects a hard reset (the same to us). */
        bool go = (v & 0x4) && !(bus->rc & 0x4);
        bus->rc = (uint8_t)(v & 0x2);
        if (go && bus->reset)
            bus->reset(bus->reset_opaque);
        return;
    }
    if (p >= CONFIG_DATA)
        config_write(bus, (bus->address & 0xfc) + (p - CONFIG_DATA), v, size);
}

static const struct io_ops pci_io_ops = {pci_io_read, pci_io_write, IO_SIZE_2 | IO_SIZE_4};

struct pci_bus *pci_bus_create(struct machine *m, void (*reset)(void *opaque), void *opaque)
{
    struct pci_bus *bus = g_new0(struct pci_bus, 1);
    bus->m = m;
    bus->reset = reset;
    bus->reset_opaque = opaque;
    if (iobus_register(&m->io, "pci-config", CONFIG_ADDRESS, 8, &pci_io_ops, bus) < 0)
        g_error("PCI configuration ports are taken");
    return bus;
}

void pci_bus_destroy(struct pci_bus *bus)
{
    if (!bus)
        return;
    iobus_unregister(&bus->m->io, CONFIG_ADDRESS);
    g_free(bus);
}

void pci_bus_attach(struct pci_bus *bus, unsigned dev, unsigned fn, struct pci_function *f)
{
    g_assert(dev < 32 && fn < 8 && !bus->fn[dev][fn]);
    bus->fn[dev][fn] = f;
}

void pci_function_init(struct pci_function *f, uint16_t vendor, uint16_t device,
                       uint32_t class_code, uint8_t revision)
{
    memset(f->cfg, 0, sizeof(f->cfg));
    memset(f->wmask, 0, sizeof(f->wmask));
    memset(f->w1cmask, 0, sizeof(f->w1cmask));
    f->rom_size = 0;
    pci_cfg_set16(f, PCI_VENDOR_ID, vendor);
    pci_cfg_set16(f, PCI_DEVICE_ID, device);
    f->cfg[PCI_REVISION] = revision;
    f->cfg[PCI_CLASS_PROG] = (uint8_t)class_code;
    f->cfg[PCI_CLASS_PROG + 1] = (uint8_t)(class_code >> 8);
    f->cfg[PCI_CLASS_PROG + 2] = (uint8_t)(class_code >> 16);
    /* Command: I/O, memory, bus master, and the error-response bits. */
    f->wmask[PCI_COMMAND] = 0x47;
    f->wmask[PCI_COMMAND + 1] = 0x01;
    /* Status: the error bits are write-1-to-clear. */
    f->w1cmask[PCI_STATUS + 1] = 0xf9;
    f->wmask[PCI_INTERRUPT_LINE] = 0xff;
    f->cfg[PCI_STATUS] = 0x00;
    f->cfg[PCI_STATUS + 1] = 0x02; /* DEVSEL medium */
}

void pci_function_bar(struct pci_function *f, unsigned idx, uint32_t size, bool io)
{
    g_assert(idx < PCI_BARS && size >= (io ? 4u : 16u) && (size & (size - 1)) == 0);
    f->bar_size[idx] = size;
    f->bar_io[idx] = io;
    unsigned off = PCI_BAR0 + 4 * idx;
    uint32_t mask = ~(size - 1) & (io ? ~3u : ~15u);
    uint32_t flags = io ? 1u : 0u;
    for (unsigned i = 0; i < 4; i++) {
        f->wmask[off + i] = (uint8_t)(mask >> (8 * i));
        f->cfg[off + i] = (uint8_t)(flags >> (8 * i));
    }
}

uint32_t pci_bar_address(const struct pci_function *f, unsigned idx)
{
    if (idx >= PCI_BARS || !f->bar_size[idx])
        return 0;
    uint16_t cmd = pci_cfg_read16(f, PCI_COMMAND);
    if (!(cmd & (f->bar_io[idx] ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY)))
        return 0;
    unsigned off = PCI_BAR0 + 4 * idx;
    uint32_t v = (uint32_t)f->cfg[off] | (uint32_t)f->cfg[off + 1] << 8 |
                 (uint32_t)f->cfg[off + 2] << 16 | (uint32_t)f->cfg[off + 3] << 24;
    return v & (f->bar_io[idx] ? ~3u : ~15u);
}

void pci_function_rom(struct pci_function *f, uint32_t size)
{
    g_assert(size >= 2048 && (size & (size - 1)) == 0);
    f->rom_size = size;
    uint32_t mask = (~(size - 1) & PCI_ROM_ADDR_MASK) | PCI_ROM_ENABLE;
    for (unsigned i = 0; i < 4; i++) {
        f->wmask[PCI_ROM_BAR + i] = (uint8_t)(mask >> (8 * i));
        f->cfg[PCI_ROM_BAR + i] = 0;
    }
}

uint32_t pci_rom_address(const struct pci_function *f)
{
    if (!f->rom_size || !(pci_cfg_read16(f, PCI_COMMAND) & PCI_COMMAND_MEMORY))
        return 0;
    uint32_t v = (uint32_t)f->cfg[PCI_ROM_BAR] | (uint32_t)f->cfg[PCI_ROM_BAR + 1] << 8 |
                 (uint32_t)f->cfg[PCI_ROM_BAR + 2] << 16 | (uint32_t)f->cfg[PCI_ROM_BAR + 3] << 24;
    return (v & PCI_ROM_ENABLE) ? v & PCI_ROM_ADDR_MASK : 0;
}
