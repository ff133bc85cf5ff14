/*
 * PIIX3 ISA bridge and IDE functions (see piix3.h).
 */
#include "devices/piix3.h"

#include <glib.h>

#define PIRQRC   0x60 /* PIRQ route control A-D, datasheet §2.2.9 */
#define IDE_BAR4 4

struct piix3 {
    struct pci_function isa; /* 01.0 */
    struct pci_function ide; /* 01.1 */
    void (*bmdma_map)(void *opaque, uint16_t base);
    void *opaque;
    uint16_t bmdma_base; /* where the bus-master registers are now */
};

static void ide_config_written(struct pci_function *f, unsigned offset, unsigned size)
{
    struct piix3 *p = f->opaque;
    uint16_t base = (uint16_t)pci_bar_address(f, IDE_BAR4);
    if (base != p->bmdma_base) {
        p->bmdma_base = base;
        if (p->bmdma_map)
            p->bmdma_map(p->opaque, base);
    }
}

struct piix3 *piix3_create(struct pci_bus *bus, void (*bmdma_map)(void *opaque, uint16_t base),
                           void *opaque)
{
    struct piix3 *p = g_new0(struct piix3, 1);
    p->bmdma_map = bmdma_map;
    p->opaque = opaque;

    pci_function_init(&p->isa, 0x8086, 0x7000, 0x060100, 0x00);
    p->isa.cfg[PCI_HEADER_TYPE] = 0x80; /* multi-function device */
    for (unsigned r = 0x40; r < 0x100; r++)
        p->isa.wmask[r] = 0xff; /* configuration registers kept as written */
    p->isa.opaque = p;

    pci_function_init(&p->ide, 0x8086, 0x7010, 0x010180, 0x00);
    pci_function_bar(&p->ide, IDE_BAR4, 16, true);
    for (unsigned r = 0x40; r < 0x48; r++)
        p->ide.wmask[r] = 0xff; /* IDE timing registers */
    p->ide.config_written = ide_config_written;
    p->ide.opaque = p;

    pci_bus_attach(bus, 1, 0, &p->isa);
    pci_bus_attach(bus, 1, 1, &p->ide);
    piix3_reset(p);
    return p;
}

void piix3_reset(struct piix3 *p)
{
    for (unsigned i = 0; i < 4; i++)
        p->isa.cfg[PIRQRC + i] = 0x80; /* routing disabled */
    pci_cfg_set16(&p->isa, PCI_COMMAND, 0x0007);
    pci_cfg_set16(&p->ide, PCI_COMMAND, 0x0000);
    for (unsigned i = 0; i < 4; i++)
        p->ide.cfg[PCI_BAR0 + 4 * IDE_BAR4 + i] = i == 0 ? 1 : 0;
    ide_config_written(&p->ide, PCI_COMMAND, 2);
}

void piix3_destroy(struct piix3 *p)
{
    g_free(p);
}

int piix3_pirq_route(const struct piix3 *p, unsigned pirq)
{
    if (pirq > 3)
        return -1;
    uint8_t r = p->isa.cfg[PIRQRC + pirq];
    return (r & 0x80) ? -1 : (r & 0x0f);
}
