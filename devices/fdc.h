/*
 * The Intel 82077AA floppy disk controller in PC-AT mode: ports
 * 0x3F2-0x3F5 and 0x3F7 (0x3F6 belongs to the IDE controller; SRA/SRB at
 * 0x3F0-0x3F1 exist only in PS/2 mode), IRQ 6, DMA channel 2, and two
 * drives, A: and B:, holding raw floppy images. The image size gives the
 * geometry and the drive type: 160K, 180K, 320K, 360K (5.25" double
 * density), 720K, 1.2M, 1.44M, 1.68M (DMF) and 2.88M.
 *
 * The images stay owned by the caller: attach them before the guest runs,
 * close them after fdc_destroy.
 */
#ifndef POPEK_DEVICES_FDC_H
#define POPEK_DEVICES_FDC_H

#include <stdbool.h>
#include <stdint.h>

struct blockdev;
struct dma;
struct irq_line;
struct machine;
struct fdc;

#define FDC_BASE        0x3f0
#define FDC_IRQ         6
#define FDC_DMA_CHANNEL 2
#define FDC_DRIVES      2 /* drives 2 and 3 of the controller have nothing attached */

/* CMOS drive type codes (CMOS 0x10: drive A in bits 4-7, drive B in bits 0-3). */
enum fdc_drive_type {
    FDC_TYPE_NONE = 0,
    FDC_TYPE_360K = 1,
    FDC_TYPE_1M2 = 2,
    FDC_TYPE_720K = 3,
    FDC_TYPE_1M44 = 4,
    FDC_TYPE_2M88 = 5,
};

/*
 * Claims the ports; `dma` (NULL: none, every DMA transfer overruns) is
 * used on channel 2, `irq6` is copied (NULL: not connected).
 */
struct fdc *fdc_create(struct machine *m, struct dma *dma, const struct irq_line *irq6);
void fdc_destroy(struct fdc *fdc);

/*
 * The RESET pin. The controller is left the way a PC BIOS leaves it after
 * its reset sequence: out of reset with DMA and interrupts enabled (DOR
 * 0x0C) and no interrupt pending. Drives and their media are kept.
 */
void fdc_reset(struct fdc *fdc);

/*
 * Put a medium in `drive` (0 or 1); NULL removes it. The size picks the
 * geometry and the drive type; an unsupported size is refused with -1 and
 * *err a one-line message (err may be NULL). A change of medium sets the
 * drive's disk-change line. Returns 0 on success.
 */
int fdc_attach(struct fdc *fdc, unsigned drive, struct blockdev *bd, char **err);

/* An empty drive of `type` in `drive` (0 or 1), for a medium put in later. */
void fdc_add_drive(struct fdc *fdc, unsigned drive, enum fdc_drive_type type);

/* Whether an image of `bytes` bytes has the size of a floppy this controller reads. */
bool fdc_is_floppy_size(uint64_t bytes);

/* The CMOS type of `drive`, from the last medium attached (0: no drive). */
int fdc_drive_type(struct fdc *fdc, unsigned drive);

#endif
