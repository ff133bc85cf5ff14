/*
 * What ide.c (the controller, task file, ATA commands, bus-master DMA) and
 * atapi.c (the ATAPI packet commands of the CD-ROM) share: device state and
 * the few calls each makes into the other. Not for anyone else.
 *
 * Register names and bits follow the register descriptions of ATA/ATAPI-4
 * (T13 1153D); the ATAPI interrupt reason and packet protocol follow
 * SFF-8020i and the ATA/ATAPI-4 PACKET protocol; the bus master follows
 * the PIIX3 datasheet (BMICX, BMISX, BMIDTPX) and SFF-8038i.
 */
#ifndef POPEK_DEVICES_IDE_INTERNAL_H
#define POPEK_DEVICES_IDE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/ide.h"
#include "machine/irq.h"

struct blockdev;
struct machine;

/* Status register (ATA-4) */
#define ATA_ERR  0x01 /* error: see the error register */
#define ATA_IDX  0x02 /* index (obsolete) */
#define ATA_CORR 0x04 /* corrected data (obsolete) */
#define ATA_DRQ  0x08 /* data request */
#define ATA_DSC  0x10 /* device seek complete (ATAPI: service) */
#define ATA_DF   0x20 /* device fault */
#define ATA_DRDY 0x40 /* device ready */
#define ATA_BSY  0x80 /* busy */

/* Error register (ATA-4); ATAPI puts the sense key in bits 7:4 */
#define ATA_ABRT 0x04 /* command aborted */
#define ATA_IDNF 0x10 /* address not found */
#define ATA_UNC  0x40 /* uncorrectable data */

/* Device/head register (ATA-4) */
#define ATA_DEV_LBA  0x40 /* bit 6: LBA addressing */
#define ATA_DEV_UNIT 0x10 /* bit 4: device 1 selected */

/* Device control register (ATA-4) */
#define ATA_CTL_NIEN 0x02 /* interrupts disabled */
#define ATA_CTL_SRST 0x04 /* software reset */
#define ATA_CTL_HOB  0x80 /* read the previous (high-order) values, 48-bit */

/* ATAPI interrupt reason in the sector count register (ATA-4 PACKET protocol) */
#define ATAPI_IR_COD 0x01 /* command (packet or status), not data */
#define ATAPI_IR_IO  0x02 /* to the host */

/* ATAPI features register bits for PACKET */
#define ATAPI_FEAT_DMA 0x01
#define ATAPI_FEAT_OVL 0x02

#define IDE_SECTOR      512u
#define CD_SECTOR       2048u
#define IDE_BUF_SIZE    65536u /* transfer buffer: 128 disk or 32 CD sectors */
#define IDE_MAX_MULT    16u    /* READ/WRITE MULTIPLE block size limit */
#define ATAPI_CDB_LEN   12u
#define IDE_IDENT_WORDS 256u

enum ide_kind {
    IDE_ABSENT,
    IDE_DISK,
    IDE_CDROM,
};

/* What happens when the host has emptied (or filled) the current data block. */
enum ide_xfer {
    XFER_NONE,      /* no data phase */
    XFER_BUF_IN,    /* one buffered block to the host (IDENTIFY), then done */
    XFER_ATA_READ,  /* disk sectors to the host, block by block */
    XFER_ATA_WRITE, /* disk sectors from the host, block by block */
    XFER_PACKET,    /* ATAPI: the 12-byte command packet from the host */
    XFER_ATAPI_IN,  /* ATAPI: reply or CD sectors to the host */
};

struct ide_channel;

struct ide_device {
    struct ide_channel *ch; /* the channel it hangs off */
    unsigned unit;          /* 0 master, 1 slave */
    enum ide_kind kind;     /* absent, disk or CD-ROM */
    struct blockdev *bd;    /* image; NULL for absent devices and empty CD drives */

    /* Task file (ATA-4): written on both devices, read from the selected one */
    uint8_t error;        /* error register (diagnostic code after reset) */
    uint8_t feature;      /* features register */
    uint8_t nsector;      /* sector count / ATAPI interrupt reason */
    uint8_t lba_low;      /* sector number / LBA 7:0 */
    uint8_t lba_mid;      /* cylinder low / LBA 15:8 / ATAPI byte count low */
    uint8_t lba_high;     /* cylinder high / LBA 23:16 / ATAPI byte count high */
    uint8_t hob_feature;  /* the previous writes of each, for 48-bit commands */
    uint8_t hob_nsector;  /* " */
    uint8_t hob_lba_low;  /* " LBA 31:24 */
    uint8_t hob_lba_mid;  /* " LBA 39:32 */
    uint8_t hob_lba_high; /* " LBA 47:40 */
    uint8_t select;       /* device/head register */
    uint8_t status;       /* status register */
    bool intrq;           /* interrupt pending (INTRQ when selected and nIEN=0) */

    /* ATA disk settings */
    uint16_t cyls, heads, sectors;             /* default CHS geometry (IDENTIFY 1, 3, 6) */
    uint16_t cur_cyls, cur_heads, cur_sectors; /* INITIALIZE DEVICE PARAMETERS geometry */
    uint8_t mult;                              /* SET MULTIPLE block size, 0 disabled */
    uint8_t xfer_mode;                         /* SET FEATURES transfer mode value */
    bool wcache;                               /* write cache enabled */

    /* Data transfer in progress */
    enum ide_xfer xfer; /* what the current data block belongs to */
    bool dma;           /* moved by the bus master instead of the data port */
    bool ext;           /* 48-bit command: the task file reports 48-bit addresses */
    uint64_t lba;       /* first sector of the buffered block (disk: 512, CD: 2048) */
    uint32_t left;      /* sectors not yet buffered */
    uint32_t nblock;    /* sectors in the buffered block */
    uint32_t block;     /* sectors a PIO DRQ block (1 or the multiple count) */
    uint32_t pos;       /* next byte of buf the host reads or writes */
    uint32_t end;       /* end of the current DRQ block in buf */
    uint32_t len;       /* bytes of valid data in buf */

    /* ATAPI */
    uint16_t byte_limit; /* PACKET byte count limit */
    uint8_t sense_key;   /* sense data of the last command (SPC fixed format) */
    uint8_t asc;         /* additional sense code */
    uint8_t ascq;        /* additional sense code qualifier */
    bool locked;         /* PREVENT ALLOW MEDIUM REMOVAL */
    bool media_changed;  /* a disc went in or out: UNIT ATTENTION on the next command */
    uint8_t media_event; /* media event for GET EVENT STATUS NOTIFICATION (0: none) */

    uint8_t buf[IDE_BUF_SIZE]; /* data block being transferred */
};

/* Bus-master IDE registers of one channel (PIIX3 datasheet) */
struct ide_bm {
    uint8_t cmd;       /* BMICX: start/stop (bit 0), read/write control (bit 3) */
    uint8_t status;    /* BMISX: active, error, interrupt, drive 0/1 DMA capable */
    uint32_t prdt;     /* BMIDTPX: descriptor table base, bits 31:2 */
    uint32_t prd_next; /* address of the next PRD entry to fetch */
    uint32_t addr;     /* current memory region address */
    uint32_t left;     /* bytes left in the current region */
    bool eot;          /* the current region is the last of the table */
};

struct ide_channel {
    struct ide *ide;
    unsigned index;                   /* 0 primary, 1 secondary */
    struct ide_device dev[IDE_UNITS]; /* master and slave */
    unsigned cur;                     /* selected device (device/head bit 4) */
    uint8_t ctl;                      /* device control register */
    bool irq_level;                   /* level last driven on the line */
    struct irq_line irq;              /* IRQ 14 or 15 */
    struct ide_bm bm;                 /* bus master */
};

struct ide {
    struct machine *m;
    struct ide_channel ch[IDE_CHANNELS];
    uint16_t bm_base; /* where the bus-master ports are, 0: unmapped */
};

/* ide.c, for atapi.c */
void ide_raise(struct ide_device *d);
void ide_fail(struct ide_device *d, uint8_t err);
void ide_start_buf_in(struct ide_device *d, uint32_t len);
void ide_dma_kick(struct ide_device *d);
void ide_put_string(uint8_t *ident, unsigned word, unsigned nwords, const char *s);
void ide_put_word(uint8_t *ident, unsigned word, uint16_t v);
void ide_ident_common(struct ide_device *d, uint8_t *ident);
void ide_set_signature(struct ide_device *d);

/* atapi.c, for ide.c */
void atapi_reset(struct ide_device *d);
void atapi_cmd_packet(struct ide_device *d);
void atapi_cmd_identify(struct ide_device *d);
void atapi_block_done(struct ide_device *d);
/* A disc went in or out (bd already set): UNIT ATTENTION, a media event. */
void atapi_media_changed(struct ide_device *d);

#endif
