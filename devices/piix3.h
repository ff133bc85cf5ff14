/*
 * The PIIX3 PCI-to-ISA bridge (Intel 82371SB datasheet) as PCI functions
 * 01.0 (ISA bridge, with the PIRQ routing registers at 0x60-0x63) and 01.1
 * (IDE, in compatibility mode at the legacy ports, with the bus-master
 * registers behind BAR4). The IDE channels themselves are devices/ide.c:
 * this file only tells it where the guest put BAR4.
 */
#ifndef POPEK_DEVICES_PIIX3_H
#define POPEK_DEVICES_PIIX3_H

#include <stdint.h>

#include "devices/pci.h"

struct piix3;

/* `bmdma_map` is told the I/O base of the bus-master registers (0: unmapped). */
struct piix3 *piix3_create(struct pci_bus *bus, void (*bmdma_map)(void *opaque, uint16_t base),
                           void *opaque);
void piix3_destroy(struct piix3 *p);
void piix3_reset(struct piix3 *p);

/* The ISA IRQ that PCI interrupt pin INTA..INTD (0-3) is routed to, or -1. */
int piix3_pirq_route(const struct piix3 *p, unsigned pirq);

#endif
