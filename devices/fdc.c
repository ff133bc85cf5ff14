/*
 * Intel 82077AA floppy disk controller in PC-AT mode (see fdc.h), written
 * from the 82077AA datasheet (Intel 290166-007): section 2 "Microprocessor
 * interface" for the registers, Table 5-1 for the command set, section 5
 * for the commands and their result bytes (Table 5-6 for the sector ID
 * after a transfer), section 7 for resets and drive polling, and the
 * status register tables.
 *
 * The medium is a raw image, so every track has the one geometry the
 * image size gives: sectors 1..n of 512 bytes (size code 2) with IDs
 * C = physical track, H = side. Data commands and READ ID execute, and
 * seeks end, a few microseconds of virtual time after the last command
 * byte, so the interrupt always comes after the command, even for a guest
 * that installs its handler late; a DMA transfer moves all its sectors
 * then, while in non-DMA mode the bytes go through the FIFO with an
 * interrupt for each (the FIFO-disabled behaviour). READ ID reports the
 * sector the spinning disk has under the head at that virtual time.
 * Not modelled: seek and rotational delays, the motor bits (a drive reads
 * with its motor off), FM recording (MFM = 0 finds no address marks),
 * deleted data marks (READ/WRITE DELETED act as READ/WRITE DATA), the
 * SCAN commands (answered as invalid), and a drive with no medium
 * hanging for want of index pulses: it answers "not ready" instead.
 */
#include "devices/fdc.h"

#include <glib.h>
#include <string.h>

#include "devices/i8237.h"
#include "machine/blockdev.h"
#include "machine/irq.h"
#include "machine/machine.h"

/* Register offsets from 0x3F0 (datasheet 2.1 "Status, Data and Control Registers", PC-AT mode). */
enum {
    REG_DOR = 2,
    REG_TDR = 3,
    REG_MSR_DSR = 4, /* read MSR, write DSR */
    REG_FIFO = 5,
    REG_DIR_CCR = 7, /* read DIR, write CCR */
};

#define FDC_MAIN_BASE  0x3f2 /* DOR, TDR, MSR/DSR, FIFO */
#define FDC_MAIN_PORTS 4
#define FDC_DIR_PORT   0x3f7

/* Digital output register. */
#define DOR_SELECT  0x03
#define DOR_NRESET  0x04
#define DOR_DMAGATE 0x08 /* PC-AT mode: gates INT and DRQ */
#define DOR_BIOS    (DOR_NRESET | DOR_DMAGATE)

/* Main status register. */
#define MSR_CB   0x10 /* command in progress */
#define MSR_NDMA 0x20 /* non-DMA execution phase */
#define MSR_DIO  0x40 /* controller to host */
#define MSR_RQM  0x80 /* FIFO ready */

/* Datarate select register and configuration control register. */
#define DSR_RATE  0x03
#define DSR_RESET 0x80 /* software reset, self-clearing */

/* Data rates (DSR/CCR bits 0-1). */
enum { RATE_500K = 0, RATE_300K = 1, RATE_250K = 2, RATE_1M = 3 };

/* Digital input register: bits 0-6 (TDR: 2-7) are tri-stated in PC-AT mode and read as ones. */
#define DIR_DSKCHG   0x80
#define DIR_TRISTATE 0x7f
#define TDR_TRISTATE 0xfc

/* ST0 */
#define ST0_HD       0x04
#define ST0_NR       0x08
#define ST0_EC       0x10
#define ST0_SE       0x20
#define ST0_ABNORMAL 0x40
#define ST0_INVALID  0x80
#define ST0_POLL     0xc0 /* IC = 11: drive readiness changed (polling after reset) */

/* ST1 (low byte of an error code) and ST2 (high byte). */
#define ST1_MA 0x01
#define ST1_NW 0x02
#define ST1_ND 0x04
#define ST1_OR 0x10
#define ST1_DE 0x20
#define ST1_EN 0x80
#define ST2_WC (0x10 << 8)
#define ST2_DD (0x20 << 8)

/* ST3 */
#define ST3_ONES 0x28 /* bits 3 and 5 always read 1 */
#define ST3_T0   0x10
#define ST3_WP   0x40

/* Command bits. */
#define CMD_MT       0x80 /* multi-track */
#define CMD_MFM      0x40
#define CMD_LOCK     0x80
#define CMD_RSEEK_IN 0x40 /* relative seek direction: toward the spindle */
#define CMD_EC       0x80 /* VERIFY byte 1: count sectors in byte 8 */

/* CONFIGURE byte 2. */
#define CFG_EIS     0x40 /* implied seek */
#define CFG_EFIFO   0x20 /* FIFO disabled */
#define CFG_POLL    0x10 /* polling disabled */
#define CFG_DEFAULT CFG_EFIFO
#define CFG_LOCKED  0x2f /* EFIFO and FIFOTHR survive a software reset under LOCK */

#define SECTOR_SIZE  512
#define SIZE_CODE    2
#define NDRIVES      4  /* drive select codes */
#define RECAL_STEPS  79 /* RECALIBRATE gives up after 79 step pulses */
#define EXTRA_TRACKS 3  /* how far past the last cylinder the head can step */
#define DELAY_NS     10000u
#define MAX_CMD      9
#define MAX_RESULT   10
#define VERSION_ID   0x90

/* Media: geometry, CMOS drive type, data rates (bits by rate code) and spin speed. */
struct fdc_geometry {
    uint8_t cylinders, heads, sectors;
    uint8_t type;
    uint8_t rates;
    uint16_t rpm;
};

static const struct fdc_geometry geometries[] = {
    /* 5.25" double density: in a 360K drive (250 kbps) or a 1.2M one (300 kbps). */
    {40, 1, 8, FDC_TYPE_360K, 1 << RATE_250K | 1 << RATE_300K, 300}, /* 160K */
    {40, 1, 9, FDC_TYPE_360K, 1 << RATE_250K | 1 << RATE_300K, 300}, /* 180K */
    {40, 2, 8, FDC_TYPE_360K, 1 << RATE_250K | 1 << RATE_300K, 300}, /* 320K */
    {40, 2, 9, FDC_TYPE_360K, 1 << RATE_250K | 1 << RATE_300K, 300}, /* 360K */
    {80, 2, 9, FDC_TYPE_720K, 1 << RATE_250K, 300},                  /* 720K */
    {80, 2, 15, FDC_TYPE_1M2, 1 << RATE_500K, 360},                  /* 1.2M */
    {80, 2, 18, FDC_TYPE_1M44, 1 << RATE_500K, 300},                 /* 1.44M */
    {80, 2, 21, FDC_TYPE_1M44, 1 << RATE_500K, 300},                 /* 1.68M DMF */
    {80, 2, 36, FDC_TYPE_2M88, 1 << RATE_1M, 300},                   /* 2.88M */
};

struct fdc_drive {
    struct blockdev *bd;            /* the medium; NULL: none */
    const struct fdc_geometry *geo; /* the medium's geometry */
    uint8_t type;                   /* CMOS type of the drive; 0: no drive */
    uint8_t max_track;              /* the head's mechanical stop */
    uint8_t track;                  /* where the head is */
    bool dskchg;                    /* disk change line */
};

enum fdc_phase { PHASE_COMMAND, PHASE_EXEC, PHASE_RESULT };
enum xfer_kind { XFER_READ, XFER_WRITE, XFER_VERIFY, XFER_FORMAT };

/* The data transfer of a READ/WRITE/VERIFY/FORMAT in its execution phase. */
struct fdc_xfer {
    enum xfer_kind kind;
    uint8_t drive, head;      /* drive select and physical head */
    uint8_t c, h, r, n;       /* the sector ID addressed (the result's C, H, R, N) */
    uint8_t eot;              /* last sector of the track */
    bool mt, mfm;             /* multi-track; MFM recording */
    bool pio;                 /* non-DMA: bytes pass through the FIFO */
    uint8_t st0;              /* ST0 bits to report (SE after an implied seek) */
    unsigned left;            /* VERIFY with EC and FORMAT: sectors still to do */
    uint8_t fill;             /* FORMAT: data pattern */
    uint8_t buf[SECTOR_SIZE]; /* non-DMA sector (or FORMAT ID) buffer */
    unsigned pos, len;        /* bytes moved of buf, bytes expected */
};

struct fdc;

/* One row a command (Table 5-1): opcode bits, length, handler, executed after a delay. */
struct fdc_cmd {
    uint8_t mask, opcode;
    uint8_t len;
    void (*run)(struct fdc *fdc);
    bool delayed;
};

struct fdc {
    struct machine *m;
    struct dma *dma;
    struct irq_line irq;
    int irq_level; /* level last driven on irq (-1: never driven) */
    struct fdc_drive drive[NDRIVES];

    uint8_t dor;          /* digital output register */
    uint8_t tdr;          /* tape drive register, bits 0-1 */
    uint8_t rate;         /* DSR/CCR data rate, bits 0-1 */
    uint8_t precomp;      /* DSR precompensation, bits 2-4 (no effect) */
    uint8_t specify1;     /* SPECIFY: SRT << 4 | HUT */
    uint8_t specify2;     /* SPECIFY: HLT << 1 | ND (non-DMA) */
    uint8_t config;       /* CONFIGURE: EIS, EFIFO, POLL, FIFOTHR */
    uint8_t pretrk;       /* CONFIGURE: precompensation start track */
    bool lock;            /* LOCK: config survives software resets */
    uint8_t perp;         /* PERPENDICULAR MODE: D3-D0 << 2 | GAP | WGATE */
    uint8_t pcn[NDRIVES]; /* present cylinder numbers */
    uint8_t sc_eot;       /* SC of the last FORMAT or EOT of the last transfer (DUMPREG) */

    enum fdc_phase phase;
    const struct fdc_cmd *cmd;  /* command being received or executed */
    uint8_t cmdbuf[MAX_CMD];    /* its bytes */
    unsigned cmd_pos;           /* bytes received so far */
    uint8_t res[MAX_RESULT];    /* result bytes */
    unsigned res_len, res_pos;  /* result length, bytes read */
    bool int_pending;           /* INT before the DMA gate */
    uint8_t sense_pending;      /* drives with an interrupt status to sense */
    uint8_t sense_st0[NDRIVES]; /* that status */
    uint8_t seeking;            /* drives seeking (MSR bits 0-3) */
    uint8_t seek_st0[NDRIVES];  /* status each seek ends with */
    struct fdc_xfer x;

    struct vtimer exec_timer; /* start of an execution phase */
    struct vtimer seek_timer; /* end of seeks */
    struct vtimer poll_timer; /* polling interrupt after a reset */
};

/* --- interrupt -------------------------------------------------------- */

static void fdc_update_irq(struct fdc *fdc)
{
    int level = fdc->int_pending && (fdc->dor & DOR_DMAGATE);
    if (level != fdc->irq_level) {
        fdc->irq_level = level;
        irq_set(&fdc->irq, level);
    }
}

static void fdc_raise(struct fdc *fdc)
{
    fdc->int_pending = true;
    fdc_update_irq(fdc);
}

static void fdc_lower(struct fdc *fdc)
{
    fdc->int_pending = false;
    fdc_update_irq(fdc);
}

/* --- reset ------------------------------------------------------------ */

/* The core reset of DOR bit 2 and DSR bit 7 (section 7.1); SPECIFY values are kept. */
static void fdc_core_reset(struct fdc *fdc)
{
    vtimer_cancel(&fdc->m->clock, &fdc->exec_timer);
    vtimer_cancel(&fdc->m->clock, &fdc->seek_timer);
    vtimer_cancel(&fdc->m->clock, &fdc->poll_timer);
    fdc->phase = PHASE_COMMAND;
    fdc->cmd = NULL;
    fdc->cmd_pos = 0;
    fdc->res_len = fdc->res_pos = 0;
    fdc->sense_pending = 0;
    fdc->seeking = 0;
    fdc->x.pio = false;
    memset(fdc->pcn, 0, sizeof(fdc->pcn));
    fdc->config = fdc->lock ? (fdc->config & CFG_LOCKED) : CFG_DEFAULT;
    if (!fdc->lock)
        fdc->pretrk = 0;
    fdc->perp &= ~0x03; /* GAP and WGATE; the drive bits stay */
    fdc_lower(fdc);
}

/* Leaving reset starts drive polling: every drive looks newly ready (7.4). */
static void fdc_leave_reset(struct fdc *fdc)
{
    if (!(fdc->config & CFG_POLL))
        vtimer_arm(&fdc->m->clock, &fdc->poll_timer, vclock_now(&fdc->m->clock) + DELAY_NS);
}

static void fdc_poll_fire(void *opaque)
{
    struct fdc *fdc = opaque;
    for (unsigned d = 0; d < NDRIVES; d++)
        fdc->sense_st0[d] = ST0_POLL | d;
    fdc->sense_pending = (1u << NDRIVES) - 1;
    fdc_raise(fdc);
}

void fdc_reset(struct fdc *fdc)
{
    fdc->lock = false;
    fdc->perp = 0;
    fdc_core_reset(fdc);
    fdc->dor = DOR_BIOS;
    fdc->tdr = 0;
    fdc->rate = RATE_250K;
    fdc->precomp = 0;
    fdc_update_irq(fdc);
}

/* --- drives and media ------------------------------------------------- */

static bool fdc_dma_mode(const struct fdc *fdc)
{
    return !(fdc->specify2 & 1);
}

/* Whether the controller finds address marks on the medium at the current settings. */
static bool fdc_readable(const struct fdc *fdc, const struct fdc_drive *d, bool mfm)
{
    return d->bd && mfm && (d->geo->rates & (1u << fdc->rate));
}

/* Step pulses (negative: outward); step pulses with a disk inside clear DSKCHG. */
static void fdc_step(struct fdc *fdc, unsigned drive, int steps)
{
    struct fdc_drive *d = &fdc->drive[drive];
    if (!d->type || steps == 0)
        return;
    int t = d->track + steps;
    d->track = (uint8_t)CLAMP(t, 0, d->max_track);
    if (d->bd)
        d->dskchg = false;
}

/* The sector passing under the head now (READ ID), from the spin speed. */
static uint8_t fdc_sector_under_head(const struct fdc *fdc, const struct fdc_geometry *g)
{
    uint64_t rev = 60000000000ull / g->rpm;
    uint64_t t = vclock_now(&fdc->m->clock) % rev;
    return (uint8_t)(t * g->sectors / rev + 1);
}

/*
 * Find the addressed sector on the track under the head. Returns 0 and its
 * image sector, or the ST1/ST2 bits of the failure: MA where the track has
 * no address marks at all, ND (and WC for a cylinder mismatch) where no ID
 * matches.
 */
static unsigned fdc_locate(const struct fdc *fdc, uint64_t *lba)
{
    const struct fdc_xfer *x = &fdc->x;
    const struct fdc_drive *d = &fdc->drive[x->drive];
    if (!fdc_readable(fdc, d, x->mfm) || d->track >= d->geo->cylinders || x->head >= d->geo->heads)
        return ST1_MA;
    if (x->c != d->track)
        return ST1_ND | ST2_WC;
    if (x->h != x->head || x->n != SIZE_CODE || x->r == 0 || x->r > d->geo->sectors)
        return ST1_ND;
    const struct fdc_geometry *g = d->geo;
    *lba = ((uint64_t)d->track * g->heads + x->head) * g->sectors + x->r - 1;
    return 0;
}

/* Advance to the next sector ID (Table 5-6); false when the cylinder has ended. */
static bool fdc_next_sector(struct fdc_xfer *x)
{
    if (x->r != x->eot) {
        x->r++;
        return true;
    }
    x->r = 1;
    if (x->mt)
        x->h ^= 1;
    if (x->mt && x->head == 0) {
        x->head = 1;
        return true;
    }
    x->c++;
    return false;
}

/* --- phases ----------------------------------------------------------- */

static void fdc_result(struct fdc *fdc, const uint8_t *r, unsigned n)
{
    memcpy(fdc->res, r, n);
    fdc->res_len = n;
    fdc->res_pos = 0;
    fdc->phase = PHASE_RESULT;
}

/* End a data command: the seven result bytes and the result-phase interrupt. */
static void fdc_end(struct fdc *fdc, uint8_t ic, unsigned err)
{
    struct fdc_xfer *x = &fdc->x;
    uint8_t r[7] = {
        ic | x->st0 | x->head << 2 | x->drive, err & 0xff, err >> 8, x->c, x->h, x->r, x->n};
    x->pio = false;
    fdc_result(fdc, r, 7);
    fdc_raise(fdc);
}

static void fdc_invalid(struct fdc *fdc)
{
    static const uint8_t r = ST0_INVALID;
    fdc_result(fdc, &r, 1);
}

/* --- data transfer ---------------------------------------------------- */

static bool fdc_tc(const struct fdc *fdc)
{
    return (fdc->dor & DOR_DMAGATE) && dma_terminal_count(fdc->dma, FDC_DMA_CHANNEL);
}

/* Move `len` bytes through DMA channel 2; false on an overrun (not served before TC). */
static bool fdc_dma(struct fdc *fdc, uint8_t *buf, unsigned len, bool to_memory)
{
    int n = 0;
    if (fdc->dor & DOR_DMAGATE)
        n = dma_transfer(fdc->dma, FDC_DMA_CHANNEL, buf, len, to_memory);
    if ((unsigned)n < len && !fdc_tc(fdc))
        return false;
    if (!to_memory)
        memset(buf + n, 0, len - n); /* TC inside a sector: the rest is written as zeros */
    return true;
}

/* Read or write one sector between the image and x.buf; 0 or ST1/ST2 bits. */
static unsigned fdc_sector_io(struct fdc *fdc, uint64_t lba, bool write)
{
    struct blockdev *bd = fdc->drive[fdc->x.drive].bd;
    if (!bd) /* the disk was taken out in the middle of a transfer */
        return ST1_MA;
    int r = write ? blockdev_write(bd, lba, fdc->x.buf, 1) : blockdev_read(bd, lba, fdc->x.buf, 1);
    return r < 0 ? ST1_DE | ST2_DD : 0;
}

/* Give the sectors of an ID the image holds the fill pattern (others stay as they were). */
static unsigned fdc_format_id(struct fdc *fdc, const uint8_t id[4])
{
    struct fdc_xfer *x = &fdc->x;
    x->c = id[0];
    x->h = id[1];
    x->r = id[2];
    x->n = id[3];
    uint64_t lba;
    if (fdc_locate(fdc, &lba) != 0)
        return 0;
    memset(x->buf, x->fill, SECTOR_SIZE);
    return fdc_sector_io(fdc, lba, true);
}

/* A DMA-mode transfer, all at once: sector by sector until TC, an error or the cylinder end. */
static void fdc_dma_run(struct fdc *fdc)
{
    struct fdc_xfer *x = &fdc->x;
    for (;;) {
        uint64_t lba;
        unsigned err = fdc_locate(fdc, &lba);
        if (!err && x->kind == XFER_READ) {
            err = fdc_sector_io(fdc, lba, false);
            if (!err && !fdc_dma(fdc, x->buf, SECTOR_SIZE, true))
                err = ST1_OR;
        } else if (!err && x->kind == XFER_WRITE) {
            err = fdc_dma(fdc, x->buf, SECTOR_SIZE, false) ? fdc_sector_io(fdc, lba, true) : ST1_OR;
        }
        if (err) {
            fdc_end(fdc, ST0_ABNORMAL, err);
            return;
        }
        bool tc = x->kind != XFER_VERIFY && fdc_tc(fdc);
        bool more = fdc_next_sector(x);
        bool counted_out = x->kind == XFER_VERIFY && x->left && --x->left == 0;
        if (tc || counted_out) {
            fdc_end(fdc, 0, 0);
            return;
        }
        if (!more) {
            /* VERIFY without EC ends at EOT; everything else wanted TC first. */
            bool ok = x->kind == XFER_VERIFY && !x->left;
            fdc_end(fdc, ok ? 0 : ST0_ABNORMAL, ok ? 0 : ST1_EN);
            return;
        }
    }
}

static void fdc_format_dma(struct fdc *fdc)
{
    struct fdc_xfer *x = &fdc->x;
    for (; x->left; x->left--) {
        uint8_t id[4];
        unsigned err = fdc_dma(fdc, id, sizeof(id), false) ? fdc_format_id(fdc, id) : ST1_OR;
        if (err) {
            fdc_end(fdc, ST0_ABNORMAL, err);
            return;
        }
    }
    fdc_end(fdc, 0, 0);
}

/* Non-DMA: make the next sector's bytes (or FORMAT's next ID) ready in the FIFO. */
static void fdc_pio_next(struct fdc *fdc)
{
    struct fdc_xfer *x = &fdc->x;
    x->pos = 0;
    x->len = x->kind == XFER_FORMAT ? 4 : SECTOR_SIZE;
    if (x->kind != XFER_FORMAT) {
        uint64_t lba;
        unsigned err = fdc_locate(fdc, &lba);
        if (!err && x->kind == XFER_READ)
            err = fdc_sector_io(fdc, lba, false);
        if (err) {
            fdc_end(fdc, ST0_ABNORMAL, err);
            return;
        }
    }
    x->pio = true;
    fdc_raise(fdc);
}

/* Non-DMA: the FIFO byte finished a sector (or an ID); go on or end at the cylinder end. */
static void fdc_pio_sector_done(struct fdc *fdc)
{
    struct fdc_xfer *x = &fdc->x;
    unsigned err = 0;
    if (x->kind == XFER_FORMAT) {
        err = fdc_format_id(fdc, x->buf);
        if (!err && --x->left == 0) {
            fdc_end(fdc, 0, 0);
            return;
        }
    } else if (x->kind == XFER_WRITE) {
        uint64_t lba;
        err = fdc_locate(fdc, &lba);
        if (!err)
            err = fdc_sector_io(fdc, lba, true);
    }
    if (err) {
        fdc_end(fdc, ST0_ABNORMAL, err);
        return;
    }
    /* No TC reaches the controller without DMA: the transfer ends at EOT. */
    if (x->kind != XFER_FORMAT && !fdc_next_sector(x)) {
        fdc_end(fdc, ST0_ABNORMAL, ST1_EN);
        return;
    }
    fdc_pio_next(fdc);
}

/* One byte through the FIFO in a non-DMA execution phase; each byte takes its interrupt. */
static uint8_t fdc_pio_byte(struct fdc *fdc, uint8_t v, bool host_reads)
{
    struct fdc_xfer *x = &fdc->x;
    bool reading = x->kind == XFER_READ;
    if (!x->pio || host_reads != reading || x->pos >= x->len)
        return 0xff;
    fdc_lower(fdc);
    if (host_reads)
        v = x->buf[x->pos++];
    else
        x->buf[x->pos++] = v;
    if (x->pos == x->len)
        fdc_pio_sector_done(fdc);
    else
        fdc_raise(fdc);
    return v;
}

/* --- commands --------------------------------------------------------- */

/* Common start of the data commands: drive, medium and write-protect checks. */
static bool fdc_data_setup(struct fdc *fdc, enum xfer_kind kind)
{
    const uint8_t *p = fdc->cmdbuf;
    struct fdc_xfer *x = &fdc->x;
    x->kind = kind;
    x->drive = p[1] & 3;
    x->head = (p[1] & ST0_HD) >> 2;
    x->mfm = p[0] & CMD_MFM;
    x->st0 = 0;
    x->left = 0;
    x->mt = false;
    struct fdc_drive *d = &fdc->drive[x->drive];
    if (kind == XFER_FORMAT) {
        x->c = d->track;
        x->h = x->head;
        x->r = 1;
        x->n = p[2];
    } else {
        x->c = p[2];
        x->h = p[3];
        x->r = p[4];
        x->n = p[5];
        x->eot = p[6];
        x->mt = p[0] & CMD_MT;
        fdc->sc_eot = x->eot;
        if (fdc->config & CFG_EIS) {
            fdc_step(fdc, x->drive, x->c - fdc->pcn[x->drive]);
            fdc->pcn[x->drive] = x->c;
            x->st0 = ST0_SE;
        }
    }
    if (!d->bd) {
        fdc_end(fdc, ST0_ABNORMAL | ST0_NR, 0);
        return false;
    }
    if ((kind == XFER_WRITE || kind == XFER_FORMAT) && d->bd->read_only) {
        fdc_end(fdc, ST0_ABNORMAL, ST1_NW);
        return false;
    }
    return true;
}

/* Run the transfer: at once through DMA, or byte by byte through the FIFO. */
static void fdc_data_go(struct fdc *fdc)
{
    if (!fdc_dma_mode(fdc))
        fdc_pio_next(fdc);
    else if (fdc->x.kind == XFER_FORMAT)
        fdc_format_dma(fdc);
    else
        fdc_dma_run(fdc);
}

static void cmd_read(struct fdc *fdc)
{
    if (fdc_data_setup(fdc, XFER_READ))
        fdc_data_go(fdc);
}

/* READ TRACK: the sectors from the index on (sector 1 up to EOT), one side. */
static void cmd_read_track(struct fdc *fdc)
{
    if (!fdc_data_setup(fdc, XFER_READ))
        return;
    fdc->x.r = 1;
    fdc->x.mt = false;
    fdc_data_go(fdc);
}

static void cmd_write(struct fdc *fdc)
{
    if (fdc_data_setup(fdc, XFER_WRITE))
        fdc_data_go(fdc);
}

static void cmd_verify(struct fdc *fdc)
{
    if (!fdc_data_setup(fdc, XFER_VERIFY))
        return;
    if (fdc->cmdbuf[1] & CMD_EC)
        fdc->x.left = fdc->cmdbuf[8] ? fdc->cmdbuf[8] : 256;
    fdc_dma_run(fdc);
}

static void cmd_format(struct fdc *fdc)
{
    fdc->sc_eot = fdc->cmdbuf[3];
    if (!fdc_data_setup(fdc, XFER_FORMAT))
        return;
    fdc->x.left = fdc->cmdbuf[3];
    fdc->x.fill = fdc->cmdbuf[5];
    if (!fdc->x.left)
        fdc_end(fdc, 0, 0);
    else
        fdc_data_go(fdc);
}

static void cmd_read_id(struct fdc *fdc)
{
    struct fdc_xfer *x = &fdc->x;
    x->drive = fdc->cmdbuf[1] & 3;
    x->head = (fdc->cmdbuf[1] & ST0_HD) >> 2;
    x->st0 = 0;
    struct fdc_drive *d = &fdc->drive[x->drive];
    x->c = d->track;
    x->h = x->head;
    x->r = 1;
    x->n = SIZE_CODE;
    if (!d->bd) {
        fdc_end(fdc, ST0_ABNORMAL | ST0_NR, 0);
    } else if (!fdc_readable(fdc, d, fdc->cmdbuf[0] & CMD_MFM) || d->track >= d->geo->cylinders ||
               x->head >= d->geo->heads) {
        fdc_end(fdc, ST0_ABNORMAL, ST1_MA);
    } else {
        x->r = fdc_sector_under_head(fdc, d->geo);
        fdc_end(fdc, 0, 0);
    }
}

static void fdc_seek_begin(struct fdc *fdc, unsigned drive, uint8_t st0)
{
    fdc->seeking |= 1u << drive;
    fdc->seek_st0[drive] = st0;
    vtimer_arm(&fdc->m->clock, &fdc->seek_timer, vclock_now(&fdc->m->clock) + DELAY_NS);
}

static void fdc_seek_fire(void *opaque)
{
    struct fdc *fdc = opaque;
    for (unsigned d = 0; d < NDRIVES; d++) {
        if (fdc->seeking & (1u << d)) {
            fdc->sense_st0[d] = fdc->seek_st0[d];
            fdc->sense_pending |= 1u << d;
        }
    }
    fdc->seeking = 0;
    fdc_raise(fdc);
}

static void fdc_seek_to(struct fdc *fdc, uint8_t hds, unsigned ncn)
{
    unsigned d = hds & 3;
    fdc_step(fdc, d, (int)ncn - fdc->pcn[d]);
    fdc->pcn[d] = (uint8_t)ncn;
    fdc_seek_begin(fdc, d, ST0_SE | (hds & (ST0_HD | 3)));
}

static void cmd_seek(struct fdc *fdc)
{
    fdc_seek_to(fdc, fdc->cmdbuf[1], fdc->cmdbuf[2]);
}

/* RELATIVE SEEK: the PCN counts modulo 256. */
static void cmd_relative_seek(struct fdc *fdc)
{
    unsigned d = fdc->cmdbuf[1] & 3;
    unsigned rcn = fdc->cmdbuf[2];
    bool in = fdc->cmdbuf[0] & CMD_RSEEK_IN;
    int steps = in ? (int)rcn : -(int)rcn;
    fdc_step(fdc, d, steps);
    fdc->pcn[d] = (uint8_t)(fdc->pcn[d] + steps);
    fdc_seek_begin(fdc, d, ST0_SE | (fdc->cmdbuf[1] & (ST0_HD | 3)));
}

/* RECALIBRATE: step out until TRK0, at most 79 pulses; equipment check if it never comes. */
static void cmd_recalibrate(struct fdc *fdc)
{
    unsigned d = fdc->cmdbuf[1] & 3;
    struct fdc_drive *dr = &fdc->drive[d];
    uint8_t st0 = ST0_SE | d;
    if (dr->type && dr->track <= RECAL_STEPS) {
        fdc_step(fdc, d, -dr->track);
    } else {
        fdc_step(fdc, d, -RECAL_STEPS);
        st0 |= ST0_ABNORMAL | ST0_EC;
    }
    fdc->pcn[d] = 0;
    fdc_seek_begin(fdc, d, st0);
}

/* SENSE INTERRUPT STATUS: the lowest drive with a status; clears INT. */
static void cmd_sense_interrupt(struct fdc *fdc)
{
    if (!fdc->sense_pending) {
        fdc_invalid(fdc);
        return;
    }
    unsigned d = (unsigned)__builtin_ctz(fdc->sense_pending);
    fdc->sense_pending &= ~(1u << d);
    uint8_t r[2] = {fdc->sense_st0[d], fdc->pcn[d]};
    fdc_lower(fdc);
    fdc_result(fdc, r, 2);
}

static void cmd_sense_drive(struct fdc *fdc)
{
    uint8_t hds = fdc->cmdbuf[1] & (ST0_HD | 3);
    const struct fdc_drive *d = &fdc->drive[hds & 3];
    uint8_t st3 = ST3_ONES | hds;
    if (d->type && d->track == 0)
        st3 |= ST3_T0;
    if (d->type && (!d->bd || d->bd->read_only))
        st3 |= ST3_WP;
    fdc_result(fdc, &st3, 1);
}

static void cmd_specify(struct fdc *fdc)
{
    fdc->specify1 = fdc->cmdbuf[1];
    fdc->specify2 = fdc->cmdbuf[2];
}

static void cmd_configure(struct fdc *fdc)
{
    fdc->config = fdc->cmdbuf[2] & 0x7f;
    fdc->pretrk = fdc->cmdbuf[3];
}

static void cmd_perpendicular(struct fdc *fdc)
{
    uint8_t v = fdc->cmdbuf[1];
    if (v & 0x80) /* OW: the drive bits are written */
        fdc->perp = (fdc->perp & 0x03) | (v & 0x3c);
    fdc->perp = (fdc->perp & 0x3c) | (v & 0x03);
}

static void cmd_lock(struct fdc *fdc)
{
    fdc->lock = fdc->cmdbuf[0] & CMD_LOCK;
    uint8_t r = fdc->lock ? 0x10 : 0x00;
    fdc_result(fdc, &r, 1);
}

static void cmd_version(struct fdc *fdc)
{
    static const uint8_t r = VERSION_ID;
    fdc_result(fdc, &r, 1);
}

static void cmd_dumpreg(struct fdc *fdc)
{
    uint8_t r[10] = {
        fdc->pcn[0],   fdc->pcn[1],   fdc->pcn[2], fdc->pcn[3],
        fdc->specify1, fdc->specify2, fdc->sc_eot, (uint8_t)((fdc->lock ? 0x80 : 0) | fdc->perp),
        fdc->config,   fdc->pretrk};
    fdc_result(fdc, r, 10);
}

/* The command set (Table 5-1); opcodes whose masked bits match no row are invalid. */
static const struct fdc_cmd fdc_cmds[] = {
    {0x1f, 0x06, 9, cmd_read, true},         /* READ DATA: MT MFM SK 0 0 1 1 0 */
    {0x1f, 0x0c, 9, cmd_read, true},         /* READ DELETED DATA */
    {0x3f, 0x05, 9, cmd_write, true},        /* WRITE DATA: MT MFM 0 0 0 1 0 1 */
    {0x3f, 0x09, 9, cmd_write, true},        /* WRITE DELETED DATA */
    {0x9f, 0x02, 9, cmd_read_track, true},   /* READ TRACK: 0 MFM SK 0 0 0 1 0 */
    {0x1f, 0x16, 9, cmd_verify, true},       /* VERIFY: MT MFM SK 1 0 1 1 0 */
    {0xbf, 0x0a, 2, cmd_read_id, true},      /* READ ID: 0 MFM 0 0 1 0 1 0 */
    {0xbf, 0x0d, 6, cmd_format, true},       /* FORMAT TRACK: 0 MFM 0 0 1 1 0 1 */
    {0xff, 0x07, 2, cmd_recalibrate, false}, /* RECALIBRATE */
    {0xff, 0x08, 1, cmd_sense_interrupt, false},
    {0xff, 0x03, 3, cmd_specify, false},
    {0xff, 0x04, 2, cmd_sense_drive, false}, /* SENSE DRIVE STATUS */
    {0xff, 0x0f, 3, cmd_seek, false},
    {0xbf, 0x8f, 3, cmd_relative_seek, false}, /* 1 DIR 0 0 1 1 1 1 */
    {0xff, 0x10, 1, cmd_version, false},
    {0xff, 0x13, 4, cmd_configure, false},
    {0x7f, 0x14, 1, cmd_lock, false}, /* LOCK 0 0 1 0 1 0 0 */
    {0xff, 0x0e, 1, cmd_dumpreg, false},
    {0xff, 0x12, 2, cmd_perpendicular, false},
};

static void fdc_exec_fire(void *opaque)
{
    struct fdc *fdc = opaque;
    fdc->cmd->run(fdc);
}

static void fdc_command_byte(struct fdc *fdc, uint8_t v)
{
    if (fdc->cmd_pos == 0) {
        fdc->cmd = NULL;
        for (unsigned i = 0; i < G_N_ELEMENTS(fdc_cmds); i++) {
            if ((v & fdc_cmds[i].mask) == fdc_cmds[i].opcode) {
                fdc->cmd = &fdc_cmds[i];
                break;
            }
        }
        if (!fdc->cmd) {
            fdc_invalid(fdc);
            return;
        }
    }
    fdc->cmdbuf[fdc->cmd_pos++] = v;
    if (fdc->cmd_pos < fdc->cmd->len)
        return;
    fdc->cmd_pos = 0;
    if (fdc->cmd->delayed) {
        fdc->phase = PHASE_EXEC;
        vtimer_arm(&fdc->m->clock, &fdc->exec_timer, vclock_now(&fdc->m->clock) + DELAY_NS);
    } else {
        fdc->cmd->run(fdc);
    }
}

/* --- registers -------------------------------------------------------- */

static uint8_t fdc_msr(const struct fdc *fdc)
{
    if (!(fdc->dor & DOR_NRESET))
        return 0;
    uint8_t msr = fdc->seeking;
    switch (fdc->phase) {
    case PHASE_COMMAND:
        msr |= MSR_RQM | (fdc->cmd_pos ? MSR_CB : 0);
        break;
    case PHASE_EXEC:
        msr |= MSR_CB;
        if (fdc->x.pio)
            msr |= MSR_RQM | MSR_NDMA | (fdc->x.kind == XFER_READ ? MSR_DIO : 0);
        break;
    case PHASE_RESULT:
        msr |= MSR_RQM | MSR_DIO | MSR_CB;
        break;
    }
    return msr;
}

static uint8_t fdc_read_fifo(struct fdc *fdc)
{
    if (!(fdc->dor & DOR_NRESET))
        return 0xff;
    switch (fdc->phase) {
    case PHASE_RESULT: {
        uint8_t v = fdc->res[fdc->res_pos++];
        if (fdc->res_pos == 1)
            fdc_lower(fdc); /* reading the first result byte clears INT */
        if (fdc->res_pos >= fdc->res_len)
            fdc->phase = PHASE_COMMAND;
        return v;
    }
    case PHASE_EXEC:
        return fdc_pio_byte(fdc, 0, true);
    default:
        return 0xff;
    }
}

static void fdc_write_fifo(struct fdc *fdc, uint8_t v)
{
    if (!(fdc->dor & DOR_NRESET))
        return;
    if (fdc->phase == PHASE_COMMAND)
        fdc_command_byte(fdc, v);
    else if (fdc->phase == PHASE_EXEC)
        fdc_pio_byte(fdc, v, false);
}

static void fdc_write_dor(struct fdc *fdc, uint8_t v)
{
    uint8_t old = fdc->dor;
    fdc->dor = v;
    if ((old & DOR_NRESET) && !(v & DOR_NRESET))
        fdc_core_reset(fdc);
    else if (!(old & DOR_NRESET) && (v & DOR_NRESET))
        fdc_leave_reset(fdc);
    fdc_update_irq(fdc);
}

static uint8_t fdc_read(struct fdc *fdc, unsigned reg)
{
    switch (reg) {
    case REG_DOR:
        return fdc->dor;
    case REG_TDR:
        return TDR_TRISTATE | fdc->tdr;
    case REG_MSR_DSR:
        return fdc_msr(fdc);
    case REG_FIFO:
        return fdc_read_fifo(fdc);
    case REG_DIR_CCR:
        return DIR_TRISTATE | (fdc->drive[fdc->dor & DOR_SELECT].dskchg ? DIR_DSKCHG : 0);
    default:
        return 0xff;
    }
}

static void fdc_write(struct fdc *fdc, unsigned reg, uint8_t v)
{
    switch (reg) {
    case REG_DOR:
        fdc_write_dor(fdc, v);
        break;
    case REG_TDR:
        fdc->tdr = v & 0x03;
        break;
    case REG_MSR_DSR:
        fdc->rate = v & DSR_RATE;
        fdc->precomp = v & 0x1c;
        if ((v & DSR_RESET) && (fdc->dor & DOR_NRESET)) {
            fdc_core_reset(fdc);
            fdc_leave_reset(fdc);
        }
        break;
    case REG_FIFO:
        fdc_write_fifo(fdc, v);
        break;
    case REG_DIR_CCR:
        fdc->rate = v & DSR_RATE;
        break;
    }
}

static uint32_t fdc_main_read(void *opaque, uint16_t off, unsigned size)
{
    return fdc_read(opaque, REG_DOR + off);
}

static void fdc_main_write(void *opaque, uint16_t off, uint32_t v, unsigned size)
{
    fdc_write(opaque, REG_DOR + off, (uint8_t)v);
}

static uint32_t fdc_dir_read(void *opaque, uint16_t off, unsigned size)
{
    return fdc_read(opaque, REG_DIR_CCR);
}

static void fdc_dir_write(void *opaque, uint16_t off, uint32_t v, unsigned size)
{
    fdc_write(opaque, REG_DIR_CCR, (uint8_t)v);
}

static const struct io_ops fdc_main_ops = {fdc_main_read, fdc_main_write, 0};
static const struct io_ops fdc_dir_ops = {fdc_dir_read, fdc_dir_write, 0};

/* --- drives ----------------------------------------------------------- */

int fdc_attach(struct fdc *fdc, unsigned drive, struct blockdev *bd, char **err)
{
    if (drive >= FDC_DRIVES) {
        if (err)
            *err = g_strdup_printf("floppy drive %u does not exist", drive);
        return -1;
    }
    const struct fdc_geometry *g = NULL;
    for (unsigned i = 0; bd && i < G_N_ELEMENTS(geometries); i++) {
        const struct fdc_geometry *c = &geometries[i];
        if (bd->size == (uint64_t)c->cylinders * c->heads * c->sectors * SECTOR_SIZE)
            g = c;
    }
    if (bd && !g) {
        if (err)
            *err =
                g_strdup_printf("%s: %llu bytes is not the size of a floppy image (160K, "
                                "180K, 320K, 360K, 720K, 1.2M, 1.44M, 1.68M or 2.88M)",
                                bd->path ? bd->path : "floppy image", (unsigned long long)bd->size);
        return -1;
    }
    struct fdc_drive *d = &fdc->drive[drive];
    d->bd = bd;
    d->geo = g;
    if (g) {
        d->type = g->type;
        d->max_track = g->cylinders + EXTRA_TRACKS;
        d->track = MIN(d->track, d->max_track);
    }
    d->dskchg = true;
    return 0;
}

void fdc_add_drive(struct fdc *fdc, unsigned drive, enum fdc_drive_type type)
{
    if (drive < FDC_DRIVES && !fdc->drive[drive].bd) {
        fdc->drive[drive].type = type;
        fdc->drive[drive].max_track = 80 + EXTRA_TRACKS;
    }
}

bool fdc_is_floppy_size(uint64_t bytes)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(geometries); i++) {
        const struct fdc_geometry *g = &geometries[i];
        if (bytes == (uint64_t)g->cylinders * g->heads * g->sectors * SECTOR_SIZE)
            return true;
    }
    return false;
}

int fdc_drive_type(struct fdc *fdc, unsigned drive)
{
    return drive < FDC_DRIVES ? fdc->drive[drive].type : FDC_TYPE_NONE;
}

/* --- lifetime --------------------------------------------------------- */

struct fdc *fdc_create(struct machine *m, struct dma *dma, const struct irq_line *irq6)
{
    struct fdc *fdc = g_new0(struct fdc, 1);
    fdc->m = m;
    fdc->dma = dma;
    if (irq6)
        fdc->irq = *irq6;
    fdc->irq_level = -1;
    vtimer_init(&fdc->exec_timer, fdc_exec_fire, fdc);
    vtimer_init(&fdc->seek_timer, fdc_seek_fire, fdc);
    vtimer_init(&fdc->poll_timer, fdc_poll_fire, fdc);
    fdc_reset(fdc);
    if (iobus_register(&m->io, "fdc", FDC_MAIN_BASE, FDC_MAIN_PORTS, &fdc_main_ops, fdc) < 0)
        goto fail;
    if (iobus_register(&m->io, "fdc-dir", FDC_DIR_PORT, 1, &fdc_dir_ops, fdc) < 0) {
        iobus_unregister(&m->io, FDC_MAIN_BASE);
        goto fail;
    }
    return fdc;

fail:
    g_free(fdc);
    return NULL;
}

void fdc_destroy(struct fdc *fdc)
{
    if (!fdc)
        return;
    vtimer_cancel(&fdc->m->clock, &fdc->exec_timer);
    vtimer_cancel(&fdc->m->clock, &fdc->seek_timer);
    vtimer_cancel(&fdc->m->clock, &fdc->poll_timer);
    iobus_unregister(&fdc->m->io, FDC_DIR_PORT);
    iobus_unregister(&fdc->m->io, FDC_MAIN_BASE);
    g_free(fdc);
}
