/*
 * PCI bus 0 with configuration mechanism #1 (PCI Local Bus Specification
 * 2.1 §3.2.2.3.2): the address register at 0xCF8 and the data window at
 * 0xCFC-0xCFF. A PCI function is a 256-byte configuration space with a
 * mask of writable bits and write-1-to-clear bits; base address registers
 * and the expansion ROM base address register are sized by their writable
 * bits, and the function is told after every write so it can move what
 * they decode. The PIIX3 reset control
 * register at 0xCF9 is here too, as it shares the port.
 */
#ifndef POPEK_DEVICES_PCI_H
#define POPEK_DEVICES_PCI_H

#include <stdbool.h>
#include <stdint.h>

struct machine;

/* Configuration-space offsets (PCI 2.1 §6.1). */
#define PCI_VENDOR_ID      0x00
#define PCI_DEVICE_ID      0x02
#define PCI_COMMAND        0x04
#define PCI_STATUS         0x06
#define PCI_REVISION       0x08
#define PCI_CLASS_PROG     0x09
#define PCI_HEADER_TYPE    0x0e
#define PCI_BAR0           0x10
#define PCI_SUBSYS_VENDOR  0x2c
#define PCI_ROM_BAR        0x30
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN  0x3d

#define PCI_ROM_ENABLE    0x1 /* expansion ROM BAR bit 0 (PCI 2.1 §6.2.5.2) */
#define PCI_ROM_ADDR_MASK 0xfffff800u

#define PCI_COMMAND_IO     0x1
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4

#define PCI_BARS 6

struct pci_function {
    uint8_t cfg[256];            /* configuration space */
    uint8_t wmask[256];          /* bits the guest may write */
    uint8_t w1cmask[256];        /* bits a guest write of 1 clears */
    uint32_t bar_size[PCI_BARS]; /* 0: no BAR */
    bool bar_io[PCI_BARS];
    uint32_t rom_size; /* expansion ROM BAR size (0: none) */
    /* Told after every configuration write covering [offset, offset + size). */
    void (*config_written)(struct pci_function *f, unsigned offset, unsigned size);
    void *opaque; /* the device behind the function */
};

struct pci_bus;

/* `reset` is called when the guest writes the reset bit of port 0xCF9. */
struct pci_bus *pci_bus_create(struct machine *m, void (*reset)(void *opaque), void *opaque);
void pci_bus_destroy(struct pci_bus *bus);

/* Put a function at bus 0, device `dev` (0-31), function `fn` (0-7). */
void pci_bus_attach(struct pci_bus *bus, unsigned dev, unsigned fn, struct pci_function *f);

/* Fill in identity and the standard writable bits (command, status errors, interrupt line). */
void pci_function_init(struct pci_function *f, uint16_t vendor, uint16_t device,
                       uint32_t class_code, uint8_t revision);

/* Declare BAR `idx` of `size` bytes (a power of two; I/O or 32-bit memory). */
void pci_function_bar(struct pci_function *f, unsigned idx, uint32_t size, bool io);

/* The address BAR `idx` decodes now, or 0 when its decoding is off in the command register. */
uint32_t pci_bar_address(const struct pci_function *f, unsigned idx);

/*
 * Declare an expansion ROM BAR (offset 0x30) of `size` bytes, a power of
 * two of at least 2 KiB: address bits 31..log2(size) and the enable bit
 * are writable, so a write of all ones reads back the size (PCI 2.1
 * §6.2.5.2).
 */
void pci_function_rom(struct pci_function *f, uint32_t size);

/*
 * The address the expansion ROM decodes now, or 0: it decodes only while
 * both its enable bit and the command register's memory-space bit are set.
 */
uint32_t pci_rom_address(const struct pci_function *f);

static inline uint16_t pci_cfg_read16(const struct pci_function *f, unsigned off)
{
    return (uint16_t)(f->cfg[off] | f->cfg[off + 1] << 8);
}

static inline void pci_cfg_set16(struct pci_function *f, unsigned off, uint16_t v)
{
    f->cfg[off] = (uint8_t)v;
    f->cfg[off + 1] = (uint8_t)(v >> 8);
}

#endif
