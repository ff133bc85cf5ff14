/*
 * The VGA's PCI function (see vga_pci.h).
 */
#include "devices/vga_pci.h"

#include <glib.h>

#include "devices/vga.h"

struct vga_pci {
    struct pci_function fn;
    struct vga *vga;
    uint32_t lfb; /* where the framebuffer is mapped now (0: not) */
};

static void config_written(struct pci_function *f, unsigned offset, unsigned size)
{
    struct vga_pci *v = f->opaque;
    uint32_t base = pci_bar_address(f, 0);
    if (base != v->lfb) {
        v->lfb = base;
        vga_map_lfb(v->vga, base);
    }
}

struct vga_pci *vga_pci_create(struct pci_bus *bus, unsigned dev, struct vga *vga)
{
    struct vga_pci *v = g_new0(struct vga_pci, 1);
    v->vga = vga;
    pci_function_init(&v->fn, 0x1234, 0x1111, 0x030000, 0x02);
    pci_function_bar(&v->fn, 0, (uint32_t)vga_vram_size(), false);
    v->fn.cfg[PCI_BAR0] |= 0x08; /* prefetchable */
    pci_cfg_set16(&v->fn, PCI_SUBSYS_VENDOR, 0x1af4);
    pci_cfg_set16(&v->fn, PCI_SUBSYS_VENDOR + 2, 0x1100);
    v->fn.config_written = config_written;
    v->fn.opaque = v;
    pci_bus_attach(bus, dev, 0, &v->fn);
    vga_pci_reset(v);
    return v;
}

void vga_pci_reset(struct vga_pci *v)
{
    pci_cfg_set16(&v->fn, PCI_COMMAND, 0);
    for (unsigned i = 0; i < 4; i++)
        v->fn.cfg[PCI_BAR0 + i] = i == 0 ? 0x08 : 0;
    config_written(&v->fn, PCI_COMMAND, 2);
}

void vga_pci_destroy(struct vga_pci *v)
{
    g_free(v);
}
