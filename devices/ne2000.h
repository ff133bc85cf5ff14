/*
 * An NE2000-compatible Ethernet adapter: the Realtek RTL8029AS (PCI
 * 10ec:8029), a DP8390 network interface controller with 32 KiB of
 * on-card buffer memory and the NE2000 ID PROM, reached through 32 I/O
 * ports (registers, the remote DMA data port at +0x10, the reset port at
 * +0x18..+0x1F). Frames the guest transmits go to a send callback; the
 * host side hands received frames to ne2000_receive. The PCI function
 * (BAR0: the 32 ports, interrupt pin INTA) is ne2000_pci_*.
 */
#ifndef POPEK_DEVICES_NE2000_H
#define POPEK_DEVICES_NE2000_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "machine/irq.h"

struct machine;
struct pci_bus;
struct ne2000;
struct ne2000_pci;

#define NE2000_IO_SIZE    32   /* I/O ports the adapter decodes */
#define NE2000_MAX_FRAME  1518 /* longest frame either way, without the CRC (VLAN-tagged) */
#define NE2000_PCI_VENDOR 0x10ec
#define NE2000_PCI_DEVICE 0x8029

/* The MAC address popek gives the adapter unless told otherwise. */
#define NE2000_DEFAULT_MAC                                                                         \
    {                                                                                              \
        0x52, 0x54, 0x00, 0x12, 0x34, 0x56                                                         \
    }

/* Traffic counters (for --stats). */
struct ne2000_stats {
    uint64_t tx_packets, tx_bytes; /* frames handed to the send callback */
    uint64_t rx_packets, rx_bytes; /* frames stored in the receive ring */
    uint64_t rx_dropped;           /* frames lost: ring full, receiver stopped, backend could not
                                      deliver, oversized */
    uint64_t tx_errors;            /* transmissions aborted (a byte count of 0 or too long) */
};

/*
 * Create the adapter, unmapped (see ne2000_map), with `mac` in its PROM
 * and physical address registers. `send` gets every frame the guest
 * transmits (without CRC); it may call ne2000_receive itself.
 */
struct ne2000 *ne2000_create(struct machine *m, const struct irq_line *irq, const uint8_t mac[6],
                             void (*send)(void *opaque, const uint8_t *frame, size_t len),
                             void *opaque);
void ne2000_destroy(struct ne2000 *s);

/* Power-on reset: registers, buffer memory, the address filter (PAR = the MAC). */
void ne2000_reset(struct ne2000 *s);

/* Decode the 32 ports at `io_base` (0: none). A range another device holds stays unmapped. */
void ne2000_map(struct ne2000 *s, uint16_t io_base);

/* Whether a frame of any size would be stored now (receiver started, room in the ring). */
bool ne2000_can_receive(struct ne2000 *s);

/* A frame from the network (without CRC). Filtered, stored in the ring or counted as lost. */
void ne2000_receive(struct ne2000 *s, const uint8_t *frame, size_t len);

/* The backend had a frame for the adapter and dropped it (ne2000_can_receive was false). */
void ne2000_drop(struct ne2000 *s);

const struct ne2000_stats *ne2000_get_stats(const struct ne2000 *s);

/* The RTL8029AS PCI function at bus 0, device `dev`: BAR0 maps the adapter's ports. */
struct ne2000_pci *ne2000_pci_create(struct pci_bus *bus, unsigned dev, struct ne2000 *nic);
void ne2000_pci_reset(struct ne2000_pci *p);
void ne2000_pci_destroy(struct ne2000_pci *p);

#endif
