/*
 * The i440FX PCI and memory controller (Intel 82441FX PMC datasheet): the
 * host bridge at PCI 00.0, and its Programmable Attribute Map registers
 * (PAM0-PAM6, configuration offsets 0x59-0x5F, datasheet §3.2.18) that
 * decide whether reads and writes in 0xC0000-0xFFFFF reach DRAM or the
 * PCI/ISA side (the BIOS ROM). SeaBIOS copies itself into that RAM and
 * write-protects it through these registers.
 */
#ifndef POPEK_DEVICES_I440FX_H
#define POPEK_DEVICES_I440FX_H

#include <stddef.h>
#include <stdint.h>

#include "devices/pci.h"

struct machine;

struct i440fx;

/*
 * `rom_low` is what the ISA side shows at the top of the first megabyte
 * (the BIOS's last `rom_low_size` bytes, mapped just below 1 MiB).
 */
struct i440fx *i440fx_create(struct machine *m, struct pci_bus *bus, const uint8_t *rom_low,
                             size_t rom_low_size);
void i440fx_destroy(struct i440fx *h);
void i440fx_reset(struct i440fx *h);

#endif
