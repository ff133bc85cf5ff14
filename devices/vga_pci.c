/*
 * The VGA's PCI function (see vga_pci.h): BAR0 moves the framebuffer, the
 * expansion ROM BAR shows the VGA BIOS at its address while it is enabled.
 */
#include "devices/vga_pci.h"

#include <glib.h>
#include <string.h>

#include "devices/vga.h"
#include "machine/machine.h"

struct vga_pci {
    struct pci_function fn;
    struct machine *m;
    struct vga *vga;
    uint32_t lfb; /* where the framebuffer is mapped now (0: not) */
    uint8_t *rom; /* the expansion ROM, rom_size bytes (NULL: none) */
    struct mem_region *rom_region;
    uint32_t rom_base; /* where the ROM is mapped now (0: not) */
};

static void config_written(struct pci_function *f, unsigned offset, unsigned size)
{
    struct vga_pci *v = f->opaque;
    uint32_t base = pci_bar_address(f, 0);
    if (base != v->lfb) {
        v->lfb = base;
        vga_map_lfb(v->vga, base);
    }
    uint32_t rom = pci_rom_address(f);
    if (v->rom && rom != v->rom_base) {
        v->rom_base = rom;
        if (rom)
            memmap_move(&v->m->mem, v->rom_region, rom);
        memmap_set_enabled(&v->m->mem, v->rom_region, rom != 0);
    }
}

/* The smallest ROM BAR size holding len bytes: a power of two, at least 2 KiB. */
static uint32_t rom_bar_size(size_t len)
{
    uint32_t size = 2048;
    while (size < len)
        size <<= 1;
    return size;
}

struct vga_pci *vga_pci_create(struct machine *m, struct pci_bus *bus, unsigned dev,
                               struct vga *vga, const void *rom, size_t rom_len)
{
    g_assert(rom_len <= VGA_PCI_ROM_MAX);
    struct vga_pci *v = g_new0(struct vga_pci, 1);
    v->m = m;
    v->vga = vga;
    pci_function_init(&v->fn, 0x1234, 0x1111, 0x030000, 0x02);
    pci_function_bar(&v->fn, 0, (uint32_t)vga_vram_size(), false);
    v->fn.cfg[PCI_BAR0] |= 0x08; /* prefetchable */
    pci_cfg_set16(&v->fn, PCI_SUBSYS_VENDOR, 0x1af4);
    pci_cfg_set16(&v->fn, PCI_SUBSYS_VENDOR + 2, 0x1100);
    if (rom && rom_len) {
        uint32_t size = rom_bar_size(rom_len);
        v->rom = g_malloc0(size);
        memcpy(v->rom, rom, rom_len);
        pci_function_rom(&v->fn, size);
        v->rom_region = memmap_add_rom(&m->mem, "vga-rom", 0, size, v->rom, 1);
        memmap_set_enabled(&m->mem, v->rom_region, false);
    }
    v->fn.config_written = config_written;
    v->fn.opaque = v;
    pci_bus_attach(bus, dev, 0, &v->fn);
    vga_pci_reset(v);
    return v;
}

void vga_pci_reset(struct vga_pci *v)
{
    pci_cfg_set16(&v->fn, PCI_COMMAND, 0);
    for (unsigned i = 0; i < 4; i++) {
        v->fn.cfg[PCI_BAR0 + i] = i == 0 ? 0x08 : 0;
        v->fn.cfg[PCI_ROM_BAR + i] = 0;
    }
    config_written(&v->fn, PCI_COMMAND, 2);
}

void vga_pci_destroy(struct vga_pci *v)
{
    if (!v)
        return;
    if (v->rom_region)
        memmap_set_enabled(&v->m->mem, v->rom_region, false); /* the map keeps the region */
    g_free(v->rom);
    g_free(v);
}
