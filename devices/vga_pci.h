/*
 * The standard VGA as a PCI function (vendor 1234, device 1111: what
 * SeaBIOS's vgabios-stdvga.bin looks for), whose BAR0 is the linear
 * framebuffer. The adapter itself is devices/vga.c.
 */
#ifndef POPEK_DEVICES_VGA_PCI_H
#define POPEK_DEVICES_VGA_PCI_H

#include "devices/pci.h"

struct vga;
struct vga_pci;

struct vga_pci *vga_pci_create(struct pci_bus *bus, unsigned dev, struct vga *vga);
void vga_pci_destroy(struct vga_pci *v);
void vga_pci_reset(struct vga_pci *v);

#endif
