/*
 * The PIIX3 IDE controller: two channels of two devices each, the ATA task
 * file (ATA/ATAPI-4, T13 1153D), the ATA command set of a disk, PIO data
 * blocks and the bus-master DMA engine (PIIX3 datasheet, bus master IDE
 * registers; SFF-8038i). The ATAPI packet commands of the CD-ROM live in
 * atapi.c.
 *
 * Commands complete at once: the device never shows BSY except while SRST
 * is held, and a DMA transfer runs to its end when the guest sets the
 * bus-master start bit (or issues the command with start already set).
 *
 * A channel with no device at all has nothing driving its data lines: the
 * host's pull-down on DD7 (ATA/ATAPI-4, DD7 signal: so that BSY reads 0
 * without a device) and floating lines elsewhere make every register read
 * 7Fh, the device/head register included, so a probe that writes it and
 * reads it back finds nothing (Linux's ide-probe, libata's
 * ata_devchk). With device 0 present and device 1 missing, device 0 answers
 * for device 1 with status 00h (ATA/ATAPI-4, device 0 responding for an
 * absent device 1): the device/head register reads back, the rest 00h.
 */
#include "devices/ide.h"

#include <glib.h>
#include <string.h>

#include "devices/ide_internal.h"
#include "machine/blockdev.h"
#include "machine/iobus.h"
#include "machine/machine.h"

/* Command block registers, offsets from 0x1F0/0x170 (ATA-4, I/O register descriptions) */
enum ide_reg {
    REG_DATA = 0,     /* data, 16 bits (32-bit accesses move two words) */
    REG_ERROR = 1,    /* read: error; write: features */
    REG_NSECTOR = 2,  /* sector count / ATAPI interrupt reason */
    REG_LBA_LOW = 3,  /* sector number */
    REG_LBA_MID = 4,  /* cylinder low */
    REG_LBA_HIGH = 5, /* cylinder high */
    REG_SELECT = 6,   /* device/head */
    REG_STATUS = 7,   /* read: status (clears INTRQ); write: command */
};

/* Bus-master registers, offsets from BAR4 + 8 * channel (PIIX3 datasheet) */
enum bm_reg {
    BM_REG_CMD = 0,    /* BMICX */
    BM_REG_STATUS = 2, /* BMISX */
    BM_REG_PRDT = 4,   /* BMIDTPX, 4 bytes */
};

#define BM_CMD_START  0x01 /* start/stop bus master */
#define BM_CMD_WRITE  0x08 /* RWCON: bus master writes memory (kept; the device decides) */
#define BM_ST_ACTIVE  0x01 /* read-only: transfer in progress */
#define BM_ST_ERROR   0x02 /* write 1 to clear: target or master abort */
#define BM_ST_INTR    0x04 /* write 1 to clear: the IDE interrupt rose */
#define BM_ST_DMACAP  0x60 /* drive 0/1 DMA capable, software scratch bits */
#define PRD_EOT       0x80000000u
#define PRD_TABLE_MAX 0x10000u /* the table may not cross a 64 KiB boundary */

/* What an empty channel's registers read: DD7 pulled down, DD0-6 and DD8-15 floating high. */
#define IDE_FLOATING_BUS      0x7f
#define IDE_FLOATING_BUS_DATA 0xff7f

/* EXECUTE DEVICE DIAGNOSTIC: the one command both devices obey (ATA-4) */
#define ATA_CMD_DIAGNOSTIC 0x90

/* Command flags for the read/write family */
#define RW_WRITE 0x01
#define RW_DMA   0x02
#define RW_EXT   0x04 /* 48-bit */
#define RW_MULT  0x08

/* Which devices take a command */
#define FOR_DISK 0x01
#define FOR_CD   0x02

/* ---- transfers and interrupts ----------------------------------------- */

static bool xfer_to_host(enum ide_xfer x)
{
    return x == XFER_BUF_IN || x == XFER_ATA_READ || x == XFER_ATAPI_IN;
}

/* Data the bus master moves; an ATAPI command packet always comes through the data port. */
static bool dma_phase(const struct ide_device *d)
{
    return d->dma && d->xfer != XFER_NONE && d->xfer != XFER_PACKET;
}

/*
 * INTRQ follows the selected device's pending interrupt unless nIEN
 * (ATA-4, INTRQ signal); the PIIX3 latches its rising edge in BMISX bit 2.
 */
static void ide_update_irq(struct ide_channel *ch)
{
    struct ide_device *d = &ch->dev[ch->cur];
    bool level = d->kind != IDE_ABSENT && d->intrq && !(ch->ctl & ATA_CTL_NIEN);
    if (level && !ch->irq_level)
        ch->bm.status |= BM_ST_INTR;
    if (level != ch->irq_level) {
        ch->irq_level = level;
        irq_set(&ch->irq, level);
    }
}

void ide_raise(struct ide_device *d)
{
    d->intrq = true;
    ide_update_irq(d->ch);
}

/* ---- task file addresses ----------------------------------------------- */

static uint8_t ready_bits(const struct ide_device *d)
{
    return d->kind == IDE_DISK ? ATA_DRDY | ATA_DSC : ATA_DRDY;
}

/* Command done; PIO reads end without an interrupt (ATA-4, PIO data-in protocol). */
static void ide_done(struct ide_device *d, bool irq)
{
    d->xfer = XFER_NONE;
    d->status = ready_bits(d);
    if (irq)
        ide_raise(d);
}

void ide_fail(struct ide_device *d, uint8_t err)
{
    d->xfer = XFER_NONE;
    d->error = err;
    d->status = ready_bits(d) | ATA_ERR;
    ide_raise(d);
}

static uint64_t capacity(const struct ide_device *d)
{
    return blockdev_sectors(d->bd);
}

static uint64_t ata_lba48(const struct ide_device *d)
{
    return d->lba_low | (uint32_t)d->lba_mid << 8 | (uint32_t)d->lba_high << 16 |
           (uint64_t)d->hob_lba_low << 24 | (uint64_t)d->hob_lba_mid << 32 |
           (uint64_t)d->hob_lba_high << 40;
}

/* The start of a 28-bit command in LBA or CHS form; UINT64_MAX for a CHS address off the disk. */
static uint64_t ata_addr(const struct ide_device *d)
{
    if (d->ext)
        return ata_lba48(d);
    if (d->select & ATA_DEV_LBA)
        return d->lba_low | (uint32_t)d->lba_mid << 8 | (uint32_t)d->lba_high << 16 |
               (uint32_t)(d->select & 0x0f) << 24;
    unsigned cyl = d->lba_mid | d->lba_high << 8, head = d->select & 0x0f, sec = d->lba_low;
    if (sec == 0 || sec > d->cur_sectors || head >= d->cur_heads || cyl >= d->cur_cyls)
        return UINT64_MAX;
    return ((uint64_t)cyl * d->cur_heads + head) * d->cur_sectors + sec - 1;
}

static void set_lba24(struct ide_device *d, uint64_t lba)
{
    d->lba_low = lba;
    d->lba_mid = lba >> 8;
    d->lba_high = lba >> 16;
}

/* Report a sector in the task file, in the form the command used. */
static void ata_set_addr(struct ide_device *d, uint64_t lba)
{
    if (d->ext) {
        set_lba24(d, lba);
        d->hob_lba_low = lba >> 24;
        d->hob_lba_mid = lba >> 32;
        d->hob_lba_high = lba >> 40;
    } else if (d->select & ATA_DEV_LBA) {
        set_lba24(d, lba);
        d->select = (d->select & 0xf0) | ((lba >> 24) & 0x0f);
    } else {
        uint64_t cyl = lba / (d->cur_heads * d->cur_sectors);
        d->lba_low = lba % d->cur_sectors + 1;
        d->lba_mid = cyl;
        d->lba_high = cyl >> 8;
        d->select = (d->select & 0xf0) | ((lba / d->cur_sectors) % d->cur_heads);
    }
}

static uint32_t ata_count(const struct ide_device *d)
{
    if (d->ext) {
        uint32_t n = d->nsector | d->hob_nsector << 8;
        return n ? n : 65536;
    }
    return d->nsector ? d->nsector : 256;
}

static void ata_set_count(struct ide_device *d, uint32_t n)
{
    d->nsector = n;
    if (d->ext)
        d->hob_nsector = n >> 8;
}

/* ---- IDENTIFY ------------------------------------------------------------ */

void ide_put_word(uint8_t *ident, unsigned word, uint16_t v)
{
    ident[2 * word] = v;
    ident[2 * word + 1] = v >> 8;
}

/* ATA strings: two characters a word, the first in the high byte, space padded. */
void ide_put_string(uint8_t *ident, unsigned word, unsigned nwords, const char *s)
{
    size_t n = strlen(s);
    for (unsigned i = 0; i < 2 * nwords; i++)
        ident[2 * word + (i ^ 1)] = i < n ? s[i] : ' ';
}

/* Words a disk and a CD-ROM share: strings, timing and transfer modes (ATA-4, IDENTIFY DEVICE). */
void ide_ident_common(struct ide_device *d, uint8_t *ident)
{
    char serial[21];
    g_snprintf(serial, sizeof(serial), "POPEK-%c%u", d->kind == IDE_DISK ? 'D' : 'C',
               d->ch->index * IDE_UNITS + d->unit + 1);
    ide_put_string(ident, 10, 10, serial);
    ide_put_string(ident, 23, 4, "0.1");
    ide_put_string(ident, 27, 20, d->kind == IDE_DISK ? "POPEK HARDDISK" : "POPEK CD-ROM");
    ide_put_word(ident, 49, 0x0f00); /* IORDY, IORDY can be disabled, LBA, DMA */
    ide_put_word(ident, 50, 0x4000);
    ide_put_word(ident, 51, 0x0200); /* PIO timing mode 2 (obsolete field) */
    ide_put_word(ident, 52, 0x0200);
    ide_put_word(ident, 53, 0x0007); /* words 54-58, 64-70 and 88 valid */
    uint8_t mode = d->xfer_mode >> 3, sub = d->xfer_mode & 7;
    ide_put_word(ident, 63, 0x0007 | (mode == 4 ? 0x100 << sub : 0)); /* multiword DMA 0-2 */
    ide_put_word(ident, 64, 0x0003);                                  /* PIO 3 and 4 */
    for (unsigned w = 65; w <= 68; w++)
        ide_put_word(ident, w, 120); /* cycle times, ns */
    ide_put_word(ident, 80, 0x001e); /* ATA-1 to ATA/ATAPI-4 */
    ide_put_word(ident, 83, 0x4000);
    ide_put_word(ident, 84, 0x4000);
    ide_put_word(ident, 87, 0x4000);
    ide_put_word(ident, 88, 0x0007 | (mode == 8 ? 0x100 << sub : 0)); /* Ultra DMA 0-2 */
}

static void ata_identify(struct ide_device *d, uint8_t *id)
{
    uint64_t total = capacity(d);
    uint32_t cur = (uint32_t)d->cur_cyls * d->cur_heads * d->cur_sectors;
    uint32_t lba28 = MIN(total, 0x0fffffffu);
    memset(id, 0, 512);
    ide_ident_common(d, id);
    ide_put_word(id, 0, 0x0040); /* fixed disk */
    ide_put_word(id, 1, d->cyls);
    ide_put_word(id, 3, d->heads);
    ide_put_word(id, 6, d->sectors);
    ide_put_word(id, 20, 3);                     /* buffer type (retired) */
    ide_put_word(id, 21, 512);                   /* buffer size, sectors (retired) */
    ide_put_word(id, 22, 4);                     /* ECC bytes (obsolete) */
    ide_put_word(id, 47, 0x8000 | IDE_MAX_MULT); /* READ/WRITE MULTIPLE */
    ide_put_word(id, 54, d->cur_cyls);
    ide_put_word(id, 55, d->cur_heads);
    ide_put_word(id, 56, d->cur_sectors);
    ide_put_word(id, 57, cur);
    ide_put_word(id, 58, cur >> 16);
    ide_put_word(id, 59, d->mult ? 0x100 | d->mult : 0);
    ide_put_word(id, 60, lba28);
    ide_put_word(id, 61, lba28 >> 16);
    ide_put_word(id, 82, 0x0028);                          /* write cache, power management */
    ide_put_word(id, 83, 0x5400);                          /* FLUSH CACHE, 48-bit */
    ide_put_word(id, 85, 0x0008 | (d->wcache ? 0x20 : 0)); /* enabled: the same */
    ide_put_word(id, 86, 0x1400);
    for (unsigned w = 0; w < 4; w++)
        ide_put_word(id, 100 + w, total >> (16 * w)); /* 48-bit capacity */
}

/* Hand the host one block already in buf (IDENTIFY). */
void ide_start_buf_in(struct ide_device *d, uint32_t len)
{
    d->xfer = XFER_BUF_IN;
    d->dma = false;
    d->pos = 0;
    d->end = d->len = len;
    d->status = ready_bits(d) | ATA_DRQ;
    ide_raise(d);
}

/* ---- disk transfers ------------------------------------------------------ */

/* Claim the next block; IDNF (and the first missing sector) when it runs off the disk. */
static int ata_claim_block(struct ide_device *d)
{
    uint32_t n = MIN(d->block, d->left); /* a DRQ block for PIO, a buffer for DMA */
    if (d->lba + n > capacity(d)) {
        ata_set_addr(d, MAX(d->lba, capacity(d)));
        ide_fail(d, ATA_IDNF);
        return -1;
    }
    d->nblock = n;
    d->left -= n;
    d->pos = 0;
    d->end = d->len = n * IDE_SECTOR;
    return 0;
}

static int ata_load_block(struct ide_device *d)
{
    if (ata_claim_block(d) < 0)
        return -1;
    if (blockdev_read(d->bd, d->lba, d->buf, d->nblock) < 0) {
        ata_set_addr(d, d->lba);
        ide_fail(d, ATA_UNC);
        return -1;
    }
    return 0;
}

/* A block is ready for the host: DRQ, and an interrupt for each PIO block. */
static void ata_block_ready(struct ide_device *d, bool irq)
{
    d->status = ready_bits(d) | ATA_DRQ;
    if (irq && !d->dma)
        ide_raise(d);
}

/* The block went out: the task file names its last sector (ATA-2, READ SECTORS outputs). */
static void ata_block_out(struct ide_device *d)
{
    d->lba += d->nblock;
    ata_set_addr(d, d->lba - 1);
    ata_set_count(d, d->left);
}

static void ata_read_next(struct ide_device *d)
{
    ata_block_out(d);
    if (d->left == 0)
        ide_done(d, d->dma);
    else if (ata_load_block(d) == 0)
        ata_block_ready(d, true);
}

static void ata_write_next(struct ide_device *d)
{
    if (blockdev_write(d->bd, d->lba, d->buf, d->nblock) < 0) {
        ata_set_addr(d, d->lba);
        ide_fail(d, ATA_ABRT);
        d->status |= ATA_DF;
        return;
    }
    ata_block_out(d);
    if (d->left > 0) {
        if (ata_claim_block(d) == 0)
            ata_block_ready(d, true);
        return;
    }
    if (!d->wcache && blockdev_flush(d->bd) < 0) {
        ide_fail(d, ATA_ABRT);
        d->status |= ATA_DF;
        return;
    }
    ide_done(d, true);
}

/* The host emptied (or filled) the current block. */
static void ide_block_done(struct ide_device *d)
{
    switch (d->xfer) {
    case XFER_NONE:
        break;
    case XFER_BUF_IN:
        ide_done(d, false);
        break;
    case XFER_ATA_READ:
        ata_read_next(d);
        break;
    case XFER_ATA_WRITE:
        ata_write_next(d);
        break;
    case XFER_PACKET:
    case XFER_ATAPI_IN:
        atapi_block_done(d);
        break;
    }
}

/* ---- ATA commands -------------------------------------------------------- */

static void ide_abort(struct ide_device *d, unsigned flags)
{
    ide_fail(d, ATA_ABRT);
}

/* READ/WRITE SECTORS, MULTIPLE and DMA, 28- and 48-bit (ATA-4; the EXT forms from ATA/ATAPI-6). */
static void ata_cmd_rw(struct ide_device *d, unsigned flags)
{
    bool write = flags & RW_WRITE;
    if ((flags & RW_MULT) && !d->mult) {
        ide_abort(d, 0);
        return;
    }
    if (write && d->bd->read_only) {
        ide_abort(d, 0);
        return;
    }
    d->ext = flags & RW_EXT;
    d->lba = ata_addr(d);
    if (d->lba == UINT64_MAX) {
        ide_fail(d, ATA_IDNF);
        return;
    }
    d->left = ata_count(d);
    d->dma = flags & RW_DMA;
    d->block = d->dma ? IDE_BUF_SIZE / IDE_SECTOR : flags & RW_MULT ? d->mult : 1;
    d->xfer = write ? XFER_ATA_WRITE : XFER_ATA_READ;
    if ((write ? ata_claim_block(d) : ata_load_block(d)) < 0)
        return;
    ata_block_ready(d, !write);
    if (d->dma)
        ide_dma_kick(d);
}

/* READ VERIFY SECTORS: read without transferring (ATA-4). */
static void ata_cmd_verify(struct ide_device *d, unsigned flags)
{
    d->ext = flags & RW_EXT;
    d->lba = ata_addr(d);
    if (d->lba == UINT64_MAX) {
        ide_fail(d, ATA_IDNF);
        return;
    }
    d->left = ata_count(d);
    d->block = IDE_BUF_SIZE / IDE_SECTOR;
    while (d->left > 0) {
        if (ata_load_block(d) < 0)
            return;
        ata_block_out(d);
    }
    ide_done(d, true);
}

static void ata_cmd_identify(struct ide_device *d, unsigned flags)
{
    ata_identify(d, d->buf);
    ide_start_buf_in(d, 512);
}

/* PACKET devices abort IDENTIFY DEVICE and READ SECTORS, showing their signature (ATA-4). */
static void atapi_cmd_ata(struct ide_device *d, unsigned flags)
{
    ide_set_signature(d);
    ide_fail(d, ATA_ABRT);
}

static void ata_cmd_ok(struct ide_device *d, unsigned flags)
{
    ide_done(d, true);
}

static void ata_cmd_seek(struct ide_device *d, unsigned flags)
{
    uint64_t lba = ata_addr(d);
    if (lba >= capacity(d))
        ide_fail(d, ATA_IDNF);
    else
        ide_done(d, true);
}

static void ata_cmd_check_power(struct ide_device *d, unsigned flags)
{
    d->nsector = 0xff; /* active or idle */
    ide_done(d, true);
}

static void ata_cmd_flush(struct ide_device *d, unsigned flags)
{
    if (blockdev_flush(d->bd) < 0)
        ide_fail(d, ATA_ABRT);
    else
        ide_done(d, true);
}

/* INITIALIZE DEVICE PARAMETERS: the CHS translation (ATA-4). */
static void ata_cmd_init_params(struct ide_device *d, unsigned flags)
{
    unsigned heads = (d->select & 0x0f) + 1, spt = d->nsector;
    if (spt == 0) {
        ide_abort(d, 0);
        return;
    }
    d->cur_heads = heads;
    d->cur_sectors = spt;
    d->cur_cyls = MIN(capacity(d) / (heads * spt), 65535);
    ide_done(d, true);
}

/* SET MULTIPLE MODE: 0 disables, else a power of two up to IDENTIFY word 47 (ATA-4). */
static void ata_cmd_set_mult(struct ide_device *d, unsigned flags)
{
    unsigned n = d->nsector;
    if (n > IDE_MAX_MULT || (n & (n - 1))) {
        ide_abort(d, 0);
        return;
    }
    d->mult = n;
    ide_done(d, true);
}

/* SET FEATURES (ATA-4): transfer mode and write cache; the rest are accepted. */
static void ata_cmd_set_features(struct ide_device *d, unsigned flags)
{
    uint8_t v = d->nsector, mode = v >> 3, sub = v & 7;
    switch (d->feature) {
    case 0x03: /* set transfer mode */
        if (!(mode == 0 && sub <= 1) && !(mode == 1 && sub <= 4) && !(mode == 4 && sub <= 2) &&
            !(mode == 8 && sub <= 2)) {
            ide_abort(d, 0);
            return;
        }
        d->xfer_mode = v;
        break;
    case 0x02: /* enable write cache */
    case 0x82: /* disable write cache */
        if (d->kind != IDE_DISK) {
            ide_abort(d, 0);
            return;
        }
        d->wcache = d->feature == 0x02;
        break;
    case 0x55: /* disable read look-ahead */
    case 0xaa: /* enable read look-ahead */
    case 0x66: /* keep settings over a reset */
    case 0xcc: /* revert to power-on defaults on reset */
        break;
    default:
        ide_abort(d, 0);
        return;
    }
    ide_done(d, true);
}

static void atapi_cmd_packet_entry(struct ide_device *d, unsigned flags)
{
    atapi_cmd_packet(d);
}

static void atapi_cmd_identify_entry(struct ide_device *d, unsigned flags)
{
    atapi_cmd_identify(d);
}

static void ide_cancel(struct ide_device *d)
{
    d->xfer = XFER_NONE;
    d->dma = false;
    d->intrq = false;
}

/* DEVICE RESET: an ATAPI device's own reset; no interrupt (ATA-4). */
static void atapi_cmd_device_reset(struct ide_device *d, unsigned flags)
{
    ide_cancel(d);
    ide_set_signature(d);
    d->error = 0x01;
    d->status = 0;
}

struct ata_cmd {
    uint8_t first, last;                               /* opcode range */
    uint8_t who;                                       /* FOR_DISK, FOR_CD */
    void (*run)(struct ide_device *d, unsigned flags); /* handler */
    unsigned flags;                                    /* RW_* for the handler */
};

/* Every command a device takes; anything else aborts (ATA-4 command descriptions). */
static const struct ata_cmd ata_cmds[] = {
    {0x08, 0x08, FOR_CD, atapi_cmd_device_reset, 0},
    {0x10, 0x1f, FOR_DISK, ata_cmd_ok, 0}, /* RECALIBRATE */
    {0x20, 0x21, FOR_DISK, ata_cmd_rw, 0}, /* READ SECTORS */
    {0x20, 0x21, FOR_CD, atapi_cmd_ata, 0},
    {0x24, 0x24, FOR_DISK, ata_cmd_rw, RW_EXT},
    {0x25, 0x25, FOR_DISK, ata_cmd_rw, RW_EXT | RW_DMA},
    {0x29, 0x29, FOR_DISK, ata_cmd_rw, RW_EXT | RW_MULT},
    {0x30, 0x31, FOR_DISK, ata_cmd_rw, RW_WRITE}, /* WRITE SECTORS */
    {0x34, 0x34, FOR_DISK, ata_cmd_rw, RW_WRITE | RW_EXT},
    {0x35, 0x35, FOR_DISK, ata_cmd_rw, RW_WRITE | RW_EXT | RW_DMA},
    {0x39, 0x39, FOR_DISK, ata_cmd_rw, RW_WRITE | RW_EXT | RW_MULT},
    {0x40, 0x41, FOR_DISK, ata_cmd_verify, 0},
    {0x42, 0x42, FOR_DISK, ata_cmd_verify, RW_EXT},
    {0x70, 0x7f, FOR_DISK, ata_cmd_seek, 0},
    {0x91, 0x91, FOR_DISK, ata_cmd_init_params, 0},
    {0x94, 0x97, FOR_DISK | FOR_CD, ata_cmd_ok, 0}, /* retired standby/idle opcodes */
    {0x98, 0x98, FOR_DISK | FOR_CD, ata_cmd_check_power, 0},
    {0xa0, 0xa0, FOR_CD, atapi_cmd_packet_entry, 0},
    {0xa1, 0xa1, FOR_CD, atapi_cmd_identify_entry, 0},
    {0xc4, 0xc4, FOR_DISK, ata_cmd_rw, RW_MULT},
    {0xc5, 0xc5, FOR_DISK, ata_cmd_rw, RW_WRITE | RW_MULT},
    {0xc6, 0xc6, FOR_DISK, ata_cmd_set_mult, 0},
    {0xc8, 0xc9, FOR_DISK, ata_cmd_rw, RW_DMA},
    {0xca, 0xcb, FOR_DISK, ata_cmd_rw, RW_WRITE | RW_DMA},
    {0xe0, 0xe3, FOR_DISK | FOR_CD, ata_cmd_ok, 0}, /* STANDBY/IDLE (IMMEDIATE) */
    {0xe5, 0xe5, FOR_DISK | FOR_CD, ata_cmd_check_power, 0},
    {0xe7, 0xe7, FOR_DISK, ata_cmd_flush, 0},
    {0xea, 0xea, FOR_DISK, ata_cmd_flush, 0}, /* FLUSH CACHE EXT */
    {0xec, 0xec, FOR_DISK, ata_cmd_identify, 0},
    {0xec, 0xec, FOR_CD, atapi_cmd_ata, 0},
    {0xef, 0xef, FOR_DISK | FOR_CD, ata_cmd_set_features, 0},
};

static const struct ata_cmd *ata_lookup(uint8_t op, enum ide_kind kind)
{
    unsigned who = kind == IDE_DISK ? FOR_DISK : FOR_CD;
    for (size_t i = 0; i < G_N_ELEMENTS(ata_cmds); i++) {
        const struct ata_cmd *c = &ata_cmds[i];
        if (op >= c->first && op <= c->last && (c->who & who))
            return c;
    }
    return NULL;
}

/* ---- resets -------------------------------------------------------------- */

/* The signature a reset leaves in the task file (ATA-4, reset protocol). */
void ide_set_signature(struct ide_device *d)
{
    d->nsector = 0x01;
    d->lba_low = 0x01;
    d->lba_mid = d->kind == IDE_CDROM ? 0x14 : 0x00;
    d->lba_high = d->kind == IDE_CDROM ? 0xeb : 0x00;
    d->select = 0;
}

/* After a reset a disk is ready; an ATAPI device shows 0 so a BIOS does not take it for a disk. */
static void ide_reset_done(struct ide_device *d)
{
    ide_cancel(d);
    ide_set_signature(d);
    d->error = 0x01; /* diagnostic code: passed */
    d->status = d->kind == IDE_DISK ? ATA_DRDY | ATA_DSC : 0;
}

/* EXECUTE DEVICE DIAGNOSTIC runs on both devices; device 0 interrupts (ATA-4). */
static void ide_diagnostic(struct ide_channel *ch)
{
    for (unsigned u = 0; u < IDE_UNITS; u++) {
        if (ch->dev[u].kind != IDE_ABSENT)
            ide_reset_done(&ch->dev[u]);
    }
    ch->cur = 0;
    if (ch->dev[0].kind != IDE_ABSENT)
        ide_raise(&ch->dev[0]);
    else if (ch->dev[1].kind != IDE_ABSENT)
        ide_raise(&ch->dev[1]);
}

static void ide_device_power_on(struct ide_device *d)
{
    d->cur_cyls = d->cyls;
    d->cur_heads = d->heads;
    d->cur_sectors = d->sectors;
    d->mult = 0;
    d->xfer_mode = 0x22; /* multiword DMA 2 */
    d->wcache = true;
    d->feature = d->hob_feature = 0;
    d->hob_nsector = d->hob_lba_low = d->hob_lba_mid = d->hob_lba_high = 0;
    ide_reset_done(d);
    if (d->kind == IDE_CDROM)
        atapi_reset(d);
}

/*
 * Device control: SRST held resets both devices, its release ends the
 * reset with the signatures and no interrupt (ATA-4, reset protocol).
 */
static void ide_write_ctl(struct ide_channel *ch, uint8_t v)
{
    bool was = ch->ctl & ATA_CTL_SRST, now = v & ATA_CTL_SRST;
    ch->ctl = v;
    for (unsigned u = 0; u < IDE_UNITS && was != now; u++) {
        struct ide_device *d = &ch->dev[u];
        if (d->kind == IDE_ABSENT)
            continue;
        if (now) {
            ide_cancel(d);
            d->status = ATA_BSY;
        } else {
            ide_reset_done(d);
        }
    }
    if (was && !now)
        ch->cur = 0;
    ide_update_irq(ch);
}

/* ---- registers ----------------------------------------------------------- */

static void ide_command(struct ide_channel *ch, uint8_t op)
{
    struct ide_device *d = &ch->dev[ch->cur];
    if (ch->ctl & ATA_CTL_SRST)
        return;
    if (op == ATA_CMD_DIAGNOSTIC) {
        ide_diagnostic(ch);
        return;
    }
    if (d->kind == IDE_ABSENT)
        return;
    /* Writing the command register clears a pending interrupt (ATA-4, INTRQ signal). */
    ide_cancel(d);
    d->ext = false;
    d->error = 0;
    ide_update_irq(ch);
    const struct ata_cmd *c = ata_lookup(op, d->kind);
    if (c)
        c->run(d, c->flags);
    else
        ide_abort(d, 0);
}

static uint16_t ide_data_in(struct ide_channel *ch)
{
    struct ide_device *d = &ch->dev[ch->cur];
    if (!(d->status & ATA_DRQ) || dma_phase(d) || !xfer_to_host(d->xfer) || d->pos >= d->end)
        return 0;
    uint16_t v = d->buf[d->pos];
    if (d->pos + 1 < d->end)
        v |= d->buf[d->pos + 1] << 8;
    d->pos = MIN(d->pos + 2, d->end);
    if (d->pos == d->end)
        ide_block_done(d);
    return v;
}

static void ide_data_out(struct ide_channel *ch, uint16_t v)
{
    struct ide_device *d = &ch->dev[ch->cur];
    if (!(d->status & ATA_DRQ) || dma_phase(d) || xfer_to_host(d->xfer) || d->xfer == XFER_NONE ||
        d->pos >= d->end)
        return;
    d->buf[d->pos] = v;
    if (d->pos + 1 < d->end)
        d->buf[d->pos + 1] = v >> 8;
    d->pos = MIN(d->pos + 2, d->end);
    if (d->pos == d->end)
        ide_block_done(d);
}

/* No device on the channel: nothing drives the bus. */
static bool ide_channel_empty(const struct ide_channel *ch)
{
    return ch->dev[0].kind == IDE_ABSENT && ch->dev[1].kind == IDE_ABSENT;
}

static uint8_t ide_read_reg(struct ide_channel *ch, unsigned reg)
{
    struct ide_device *d = &ch->dev[ch->cur];
    bool hob = ch->ctl & ATA_CTL_HOB;
    if (ide_channel_empty(ch))
        return IDE_FLOATING_BUS;
    if (reg == REG_SELECT)
        return d->select;
    if (d->kind == IDE_ABSENT)
        return 0; /* no device 1: its registers read 0 */
    /* While busy every register reads as status (ATA-4, Status register). */
    if ((d->status & ATA_BSY) && reg != REG_STATUS)
        return d->status;
    switch (reg) {
    case REG_ERROR:
        return d->error;
    case REG_NSECTOR:
        return hob ? d->hob_nsector : d->nsector;
    case REG_LBA_LOW:
        return hob ? d->hob_lba_low : d->lba_low;
    case REG_LBA_MID:
        return hob ? d->hob_lba_mid : d->lba_mid;
    case REG_LBA_HIGH:
        return hob ? d->hob_lba_high : d->lba_high;
    case REG_STATUS:
        d->intrq = false;
        ide_update_irq(ch);
        return d->status;
    default:
        return 0;
    }
}

/* A two-deep register (ATA/ATAPI-6, 48-bit addresses): the previous byte moves to the HOB copy. */
static void latch(uint8_t *cur, uint8_t *hob, uint8_t v)
{
    *hob = *cur;
    *cur = v;
}

/* Both devices latch the task file. */
static void ide_write_reg(struct ide_channel *ch, unsigned reg, uint8_t v)
{
    if (ch->ctl & ATA_CTL_SRST)
        return;
    ch->ctl &= ~ATA_CTL_HOB; /* any command block write clears HOB (ATA/ATAPI-6, Device Control) */
    for (unsigned u = 0; u < IDE_UNITS; u++) {
        struct ide_device *d = &ch->dev[u];
        switch (reg) {
        case REG_ERROR:
            latch(&d->feature, &d->hob_feature, v);
            break;
        case REG_NSECTOR:
            latch(&d->nsector, &d->hob_nsector, v);
            break;
        case REG_LBA_LOW:
            latch(&d->lba_low, &d->hob_lba_low, v);
            break;
        case REG_LBA_MID:
            latch(&d->lba_mid, &d->hob_lba_mid, v);
            break;
        case REG_LBA_HIGH:
            latch(&d->lba_high, &d->hob_lba_high, v);
            break;
        case REG_SELECT:
            d->select = v;
            break;
        }
    }
    if (reg == REG_SELECT) {
        ch->cur = (v & ATA_DEV_UNIT) ? 1 : 0;
        ide_update_irq(ch);
    } else if (reg == REG_STATUS) {
        ide_command(ch, v);
    }
}

static uint32_t ide_cmd_read(void *opaque, uint16_t offset, unsigned size)
{
    struct ide_channel *ch = opaque;
    if (offset == REG_DATA && ide_channel_empty(ch))
        return size == 4 ? IDE_FLOATING_BUS_DATA * 0x10001u : IDE_FLOATING_BUS_DATA;
    if (offset == REG_DATA) {
        uint32_t v = ide_data_in(ch);
        return size == 4 ? v | (uint32_t)ide_data_in(ch) << 16 : v;
    }
    uint32_t v = 0;
    for (unsigned i = 0; i < size && offset + i < 8; i++)
        v |= (uint32_t)ide_read_reg(ch, offset + i) << (8 * i);
    return v;
}

static void ide_cmd_write(void *opaque, uint16_t offset, uint32_t value, unsigned size)
{
    struct ide_channel *ch = opaque;
    if (offset == REG_DATA) {
        ide_data_out(ch, value);
        if (size == 4)
            ide_data_out(ch, value >> 16);
        return;
    }
    for (unsigned i = 0; i < size && offset + i < 8; i++)
        ide_write_reg(ch, offset + i, value >> (8 * i));
}

static const struct io_ops ide_cmd_ops = {ide_cmd_read, ide_cmd_write, IO_SIZE_2 | IO_SIZE_4};

/* Alternate status: the status without clearing the interrupt. */
static uint32_t ide_ctl_read(void *opaque, uint16_t offset, unsigned size)
{
    struct ide_channel *ch = opaque;
    struct ide_device *d = &ch->dev[ch->cur];
    if (ide_channel_empty(ch))
        return IDE_FLOATING_BUS;
    return d->kind == IDE_ABSENT ? 0 : d->status;
}

static void ide_ctl_write(void *opaque, uint16_t offset, uint32_t value, unsigned size)
{
    ide_write_ctl(opaque, value);
}

static const struct io_ops ide_ctl_ops = {ide_ctl_read, ide_ctl_write, 0};

/* ---- bus-master DMA ------------------------------------------------------ */

/* Whether [addr, addr+len) is all claimed by some region; else the PCI cycle master-aborts. */
static bool bm_mapped(const struct memmap *mem, uint64_t addr, uint64_t len)
{
    uint64_t end = addr + len;
    while (addr < end) {
        const struct mem_range *r = memmap_lookup(mem, addr);
        if (!r)
            return false;
        addr = r->end;
    }
    return true;
}

/* Fetch a region descriptor: base (bit 0 zero), count (0 = 64 KiB), EOT (PIIX3, BMIDTPX). */
static void bm_fetch_prd(struct ide_channel *ch)
{
    struct ide_bm *bm = &ch->bm;
    uint8_t e[8];
    memmap_read_buf(&ch->ide->m->mem, bm->prd_next, e, sizeof(e));
    uint32_t base = e[0] | e[1] << 8 | e[2] << 16 | (uint32_t)e[3] << 24;
    uint32_t count = e[4] | e[5] << 8 | e[6] << 16 | (uint32_t)e[7] << 24;
    bm->addr = base & ~1u;
    bm->left = (count & 0xfffe) ? (count & 0xfffe) : 0x10000;
    bm->eot = count & PRD_EOT;
    bm->prd_next =
        (bm->prd_next & ~(PRD_TABLE_MAX - 1)) | ((bm->prd_next + 8) & (PRD_TABLE_MAX - 1));
}

/*
 * Move the selected device's data while the engine is active. The end of
 * the transfer leaves BMISX as SFF-8038i table 3 says: interrupt without
 * active when the table and the transfer ended together, interrupt with
 * active when the table was longer, active cleared without interrupt when
 * the table was too short, error when a region is not memory.
 */
static void bm_run(struct ide_channel *ch)
{
    struct ide_bm *bm = &ch->bm;
    struct ide_device *d = &ch->dev[ch->cur];
    struct memmap *mem = &ch->ide->m->mem;
    if (!(bm->cmd & BM_CMD_START) || !(bm->status & BM_ST_ACTIVE))
        return;
    while (dma_phase(d) && d->pos < d->end) {
        if (bm->left == 0) {
            if (bm->eot) {
                bm->status &= ~BM_ST_ACTIVE;
                return;
            }
            bm_fetch_prd(ch);
        }
        uint32_t n = MIN(bm->left, d->end - d->pos);
        if (!bm_mapped(mem, bm->addr, n)) {
            bm->status = (bm->status & ~BM_ST_ACTIVE) | BM_ST_ERROR;
            return;
        }
        if (xfer_to_host(d->xfer))
            memmap_write_buf(mem, bm->addr, d->buf + d->pos, n);
        else
            memmap_read_buf(mem, bm->addr, d->buf + d->pos, n);
        bm->addr += n;
        bm->left -= n;
        d->pos += n;
        if (d->pos == d->end)
            ide_block_done(d);
    }
    if (bm->left == 0 && bm->eot)
        bm->status &= ~BM_ST_ACTIVE;
}

/* A DMA command is ready: it runs now if the guest already started the engine. */
void ide_dma_kick(struct ide_device *d)
{
    if (d->ch->cur == d->unit)
        bm_run(d->ch);
}

static void bm_write_cmd(struct ide_channel *ch, uint8_t v)
{
    struct ide_bm *bm = &ch->bm;
    bool was = bm->cmd & BM_CMD_START;
    bm->cmd = v & (BM_CMD_START | BM_CMD_WRITE);
    if (!was && (v & BM_CMD_START)) {
        bm->status |= BM_ST_ACTIVE;
        bm->prd_next = bm->prdt;
        bm->left = 0;
        bm->eot = false;
        bm_run(ch);
    } else if (was && !(v & BM_CMD_START)) {
        bm->status &= ~BM_ST_ACTIVE; /* stopping abandons the transfer */
    }
}

static uint32_t bm_read(void *opaque, uint16_t offset, unsigned size)
{
    struct ide *ide = opaque;
    struct ide_bm *bm = &ide->ch[(offset >> 3) & 1].bm;
    unsigned reg = offset & 7;
    switch (reg) {
    case BM_REG_CMD:
        return bm->cmd;
    case BM_REG_STATUS:
        return bm->status;
    case BM_REG_PRDT:
    case BM_REG_PRDT + 1:
    case BM_REG_PRDT + 2:
    case BM_REG_PRDT + 3:
        return (bm->prdt >> (8 * (reg - BM_REG_PRDT))) & 0xff;
    default:
        return 0;
    }
}

static void bm_write(void *opaque, uint16_t offset, uint32_t value, unsigned size)
{
    struct ide *ide = opaque;
    struct ide_channel *ch = &ide->ch[(offset >> 3) & 1];
    struct ide_bm *bm = &ch->bm;
    unsigned reg = offset & 7, shift;
    switch (reg) {
    case BM_REG_CMD:
        bm_write_cmd(ch, value);
        break;
    case BM_REG_STATUS:
        bm->status = (bm->status & ~BM_ST_DMACAP) | (value & BM_ST_DMACAP);
        bm->status &= ~(value & (BM_ST_ERROR | BM_ST_INTR));
        break;
    case BM_REG_PRDT:
    case BM_REG_PRDT + 1:
    case BM_REG_PRDT + 2:
    case BM_REG_PRDT + 3:
        shift = 8 * (reg - BM_REG_PRDT);
        bm->prdt = (bm->prdt & ~(0xffu << shift)) | (value & 0xff) << shift;
        bm->prdt &= ~3u; /* dword aligned */
        break;
    }
}

/* Byte accesses only: the bus splits wider ones, which compose correctly. */
static const struct io_ops bm_ops = {bm_read, bm_write, 0};

void ide_bmdma_map(struct ide *ide, uint16_t base)
{
    if (ide->bm_base)
        iobus_unregister(&ide->m->io, ide->bm_base);
    ide->bm_base = 0;
    if (base && iobus_register(&ide->m->io, "ide-bmdma", base, IDE_BMDMA_PORTS, &bm_ops, ide) == 0)
        ide->bm_base = base;
}

/* ---- creation ------------------------------------------------------------ */

static const uint16_t ide_cmd_base[IDE_CHANNELS] = {IDE_PRIMARY_CMD, IDE_SECONDARY_CMD};
static const uint16_t ide_ctl_base[IDE_CHANNELS] = {IDE_PRIMARY_CTRL, IDE_SECONDARY_CTRL};

void ide_reset(struct ide *ide)
{
    for (unsigned c = 0; c < IDE_CHANNELS; c++) {
        struct ide_channel *ch = &ide->ch[c];
        ch->ctl = 0;
        ch->cur = 0;
        memset(&ch->bm, 0, sizeof(ch->bm));
        for (unsigned u = 0; u < IDE_UNITS; u++) {
            if (ch->dev[u].kind != IDE_ABSENT)
                ide_device_power_on(&ch->dev[u]);
            else
                ide_cancel(&ch->dev[u]);
        }
        ide_update_irq(ch);
    }
}

static void ide_unclaim(struct ide *ide, unsigned nclaimed)
{
    for (unsigned i = 0; i < nclaimed; i++) {
        const uint16_t *bases = i & 1 ? ide_ctl_base : ide_cmd_base;
        iobus_unregister(&ide->m->io, bases[i / 2]);
    }
}

struct ide *ide_create(struct machine *m, const struct irq_line *irq14,
                       const struct irq_line *irq15)
{
    struct ide *ide = g_new0(struct ide, 1);
    const struct irq_line *irqs[IDE_CHANNELS] = {irq14, irq15};
    ide->m = m;
    for (unsigned c = 0; c < IDE_CHANNELS; c++) {
        struct ide_channel *ch = &ide->ch[c];
        ch->ide = ide;
        ch->index = c;
        if (irqs[c])
            ch->irq = *irqs[c];
        for (unsigned u = 0; u < IDE_UNITS; u++) {
            ch->dev[u].ch = ch;
            ch->dev[u].unit = u;
        }
    }
    for (unsigned i = 0; i < 2 * IDE_CHANNELS; i++) {
        struct ide_channel *ch = &ide->ch[i / 2];
        int r = i & 1 ? iobus_register(&m->io, "ide-ctl", ide_ctl_base[i / 2], 1, &ide_ctl_ops, ch)
                      : iobus_register(&m->io, "ide", ide_cmd_base[i / 2], 8, &ide_cmd_ops, ch);
        if (r < 0) {
            ide_unclaim(ide, i);
            g_free(ide);
            return NULL;
        }
    }
    ide_reset(ide);
    return ide;
}

void ide_destroy(struct ide *ide)
{
    if (!ide)
        return;
    ide_bmdma_map(ide, 0);
    ide_unclaim(ide, 2 * IDE_CHANNELS);
    g_free(ide);
}

static struct ide_device *ide_slot(struct ide *ide, unsigned channel, unsigned unit)
{
    if (channel >= IDE_CHANNELS || unit >= IDE_UNITS)
        return NULL;
    struct ide_device *d = &ide->ch[channel].dev[unit];
    return d->kind == IDE_ABSENT ? d : NULL;
}

/* Default geometry: 16 heads, 63 sectors, up to 16383 cylinders (ATA-4 annex B). */
int ide_attach_disk(struct ide *ide, unsigned channel, unsigned unit, struct blockdev *bd)
{
    struct ide_device *d = ide_slot(ide, channel, unit);
    if (!d || !bd)
        return -1;
    d->kind = IDE_DISK;
    d->bd = bd;
    d->heads = 16;
    d->sectors = 63;
    d->cyls = CLAMP(blockdev_sectors(bd) / (16 * 63), 1, 16383);
    ide_device_power_on(d);
    ide_update_irq(d->ch);
    return 0;
}

int ide_attach_cdrom(struct ide *ide, unsigned channel, unsigned unit, struct blockdev *bd)
{
    struct ide_device *d = ide_slot(ide, channel, unit);
    if (!d)
        return -1;
    d->kind = IDE_CDROM;
    d->bd = bd;
    ide_device_power_on(d);
    ide_update_irq(d->ch);
    return 0;
}

int ide_change_cdrom(struct ide *ide, unsigned channel, unsigned unit, struct blockdev *bd)
{
    if (channel >= IDE_CHANNELS || unit >= IDE_UNITS)
        return -1;
    struct ide_device *d = &ide->ch[channel].dev[unit];
    if (d->kind != IDE_CDROM || d->locked)
        return -1;
    d->bd = bd;
    atapi_media_changed(d);
    return 0;
}
