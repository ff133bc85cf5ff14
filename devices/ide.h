/*
 * The PIIX3's two IDE channels: ATA disks and ATAPI CD-ROM drives on the
 * legacy ports (primary 0x1F0-0x1F7 + 0x3F6 on IRQ 14, secondary
 * 0x170-0x177 + 0x376 on IRQ 15), two devices a channel, with PIO and
 * bus-master DMA (the 16 ports of PCI BAR4, mapped by the PCI layer).
 * Port 0x3F7/0x377 belongs to the floppy controller and is not claimed.
 *
 * The images stay owned by the caller: attach them before the guest runs,
 * close them after ide_destroy.
 */
#ifndef POPEK_DEVICES_IDE_H
#define POPEK_DEVICES_IDE_H

#include <stdint.h>

struct blockdev;
struct irq_line;
struct machine;
struct ide;

#define IDE_PRIMARY_CMD    0x1f0 /* command block, 8 ports */
#define IDE_PRIMARY_CTRL   0x3f6 /* alternate status / device control */
#define IDE_SECONDARY_CMD  0x170
#define IDE_SECONDARY_CTRL 0x376
#define IDE_BMDMA_PORTS    16 /* bus-master registers: 8 a channel */
#define IDE_CHANNELS       2
#define IDE_UNITS          2 /* master (0) and slave (1) */

/* Claims the legacy ports; the lines are copied (NULL: not connected). */
struct ide *ide_create(struct machine *m, const struct irq_line *irq14,
                       const struct irq_line *irq15);
void ide_destroy(struct ide *ide);

/* Hardware reset: every device back to its power-on state, bus master idle. */
void ide_reset(struct ide *ide);

/* An ATA disk on a free slot. Returns 0, or -1 (bad slot, slot taken, no image). */
int ide_attach_disk(struct ide *ide, unsigned channel, unsigned unit, struct blockdev *bd);

/* An ATAPI CD-ROM drive; bd is read as 2048-byte sectors, NULL: no disc. */
int ide_attach_cdrom(struct ide *ide, unsigned channel, unsigned unit, struct blockdev *bd);

/*
 * Put another disc (NULL: none) in the CD-ROM drive at a slot while the guest runs: the drive
 * reports the change (UNIT ATTENTION, a media event). -1 when there is no CD-ROM drive there or
 * the guest has locked its tray (PREVENT MEDIUM REMOVAL); the old image stays the caller's.
 */
int ide_change_cdrom(struct ide *ide, unsigned channel, unsigned unit, struct blockdev *bd);

/* Put the bus-master registers at `base` (BAR4), moving them; 0 unmaps them. */
void ide_bmdma_map(struct ide *ide, uint16_t base);

#endif
