/*
 * The standard VGA as a PCI function (vendor 1234, device 1111: what
 * SeaBIOS's vgabios-stdvga.bin looks for), whose BAR0 is the linear
 * framebuffer and whose expansion ROM BAR holds the VGA BIOS, as on a real
 * card: the system BIOS runs it as this device's option ROM and tells it
 * the device, so the VGA BIOS finds the framebuffer where BAR0 put it. The
 * adapter itself is devices/vga.c.
 */
#ifndef POPEK_DEVICES_VGA_PCI_H
#define POPEK_DEVICES_VGA_PCI_H

#include <stddef.h>

#include "devices/pci.h"

struct machine;
struct vga;
struct vga_pci;

/*
 * Put the VGA at bus 0 device `dev`. `rom` (copied; NULL or rom_len 0: no
 * expansion ROM) is the VGA BIOS, at most VGA_PCI_ROM_MAX bytes.
 */
#define VGA_PCI_ROM_MAX (256u << 10)
struct vga_pci *vga_pci_create(struct machine *m, struct pci_bus *bus, unsigned dev,
                               struct vga *vga, const void *rom, size_t rom_len);
void vga_pci_destroy(struct vga_pci *v);
void vga_pci_reset(struct vga_pci *v);

#endif
