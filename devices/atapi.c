/*
 * The ATAPI CD-ROM: the PACKET protocol (ATA/ATAPI-4 PACKET protocol, SFF-8020i)
 * and the packet commands a BIOS, Linux and Windows use (SFF-8020i, MMC-2,
 * SPC-2 for sense data). The disc is a read-only image of 2048-byte user
 * data sectors with one data track; there is no audio and no writing.
 *
 * Data goes to the host in DRQ blocks no larger than the byte count limit
 * the host put in LBA mid/high, with the interrupt reason in the sector
 * count register, or through the bus master when the PACKET command asked
 * for DMA. Errors end in CHECK CONDITION (ERR, sense key in the error
 * register) and REQUEST SENSE says why.
 */
#include <glib.h>
#include <string.h>

#include "devices/ide_internal.h"
#include "machine/blockdev.h"

/* Sense keys (SPC-2) and additional sense codes */
#define SENSE_NONE            0x00
#define SENSE_NOT_READY       0x02
#define SENSE_MEDIUM_ERROR    0x03
#define SENSE_ILLEGAL_REQUEST 0x05
#define SENSE_UNIT_ATTENTION  0x06
#define ASC_UNRECOVERED_READ  0x11
#define ASC_INVALID_OPCODE    0x20
#define ASC_LBA_OUT_OF_RANGE  0x21
#define ASC_INVALID_FIELD     0x24
#define ASC_MEDIUM_CHANGED    0x28 /* not ready to ready change, medium may have changed */
#define ASC_SAVING_PARAMS     0x39
#define ASC_NO_MEDIUM         0x3a
#define ASC_REMOVAL_PREVENTED 0x53 /* ASCQ 0x02 */
#define ASC_ILLEGAL_MODE      0x64 /* illegal mode for this track */

#define CD_FRAMES_PER_SEC 75
#define CD_LEAD_IN_FRAMES 150  /* LBA 0 is MSF 00:02:00 */
#define CD_SPEED_KBS      5632 /* 32x */
#define TOC_ADR_CTL_DATA  0x14 /* ADR 1 (position), control 4 (data track) */
#define TOC_LEAD_OUT      0xaa

/* ---- helpers --------------------------------------------------------------- */

static uint16_t get16(const uint8_t *p)
{
    return p[0] << 8 | p[1];
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v);
}

/* SCSI strings: left-aligned, space padded, no terminator. */
static void put_padded(uint8_t *p, size_t len, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < len; i++)
        p[i] = i < n ? s[i] : ' ';
}

/* Disc capacity in 2048-byte sectors. */
static uint32_t cd_sectors(const struct ide_device *d)
{
    return d->bd ? MIN(blockdev_sectors(d->bd) / 4, UINT32_MAX) : 0;
}

/* An address as MSF (MMC-2), or as a big-endian LBA. */
static void put_addr(uint8_t *p, uint32_t lba, bool msf)
{
    if (!msf) {
        put32(p, lba);
        return;
    }
    uint64_t f = (uint64_t)lba + CD_LEAD_IN_FRAMES;
    p[0] = 0;
    p[1] = f / (60 * CD_FRAMES_PER_SEC);
    p[2] = f / CD_FRAMES_PER_SEC % 60;
    p[3] = f % CD_FRAMES_PER_SEC;
}

/* ---- command phases -------------------------------------------------------- */

static void set_sense(struct ide_device *d, uint8_t key, uint8_t asc, uint8_t ascq)
{
    d->sense_key = key;
    d->asc = asc;
    d->ascq = ascq;
}

/* The status phase: interrupt reason I/O + C/D and an interrupt (ATA-4, PACKET protocol). */
static void atapi_status(struct ide_device *d, uint8_t status)
{
    d->xfer = XFER_NONE;
    d->left = 0;
    d->status = status;
    d->nsector = ATAPI_IR_IO | ATAPI_IR_COD;
    ide_raise(d);
}

static void atapi_good(struct ide_device *d)
{
    set_sense(d, SENSE_NONE, 0, 0);
    d->error = 0;
    atapi_status(d, ATA_DRDY);
}

/* CHECK CONDITION: the error register carries the sense key (SFF-8020i). */
static void atapi_check(struct ide_device *d, uint8_t key, uint8_t asc, uint8_t ascq)
{
    set_sense(d, key, asc, ascq);
    d->error = key << 4 | (key == SENSE_ILLEGAL_REQUEST ? ATA_ABRT : 0);
    atapi_status(d, ATA_DRDY | ATA_ERR);
}

static void atapi_invalid_field(struct ide_device *d)
{
    atapi_check(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
}

/* The next PIO DRQ block: at most the byte count limit, even unless it is the last. */
static void atapi_drq_block(struct ide_device *d)
{
    uint32_t lim = d->byte_limit;
    if (lim == 0 || lim == 0xffff)
        lim = 0xfffe;
    lim = MAX(lim & ~1u, 2);
    uint32_t n = MIN(d->len - d->pos, lim);
    d->end = d->pos + n;
    d->lba_mid = n;
    d->lba_high = n >> 8;
    d->nsector = ATAPI_IR_IO;
    d->status = ATA_DRDY | ATA_DRQ;
    ide_raise(d);
}

/* Start the data-in phase of buf[0, len): DRQ blocks, or the bus master. */
static void atapi_data_in(struct ide_device *d)
{
    d->xfer = XFER_ATAPI_IN;
    d->pos = 0;
    if (!d->dma) {
        atapi_drq_block(d);
        return;
    }
    d->end = d->len;
    d->nsector = ATAPI_IR_IO;
    d->status = ATA_DRDY | ATA_DRQ;
    ide_dma_kick(d);
}

/* A reply built in buf, cut to the allocation length. */
static void atapi_reply(struct ide_device *d, uint32_t len, uint32_t alloc)
{
    d->left = 0;
    d->len = MIN(len, alloc);
    if (d->len == 0)
        atapi_good(d);
    else
        atapi_data_in(d);
}

static int atapi_load_chunk(struct ide_device *d)
{
    uint32_t n = MIN(d->left, IDE_BUF_SIZE / CD_SECTOR);
    if (!d->bd) { /* the disc was taken out in the middle of a read */
        atapi_check(d, SENSE_NOT_READY, ASC_NO_MEDIUM, 0);
        return -1;
    }
    if (blockdev_read(d->bd, d->lba * 4, d->buf, n * 4) < 0) {
        atapi_check(d, SENSE_MEDIUM_ERROR, ASC_UNRECOVERED_READ, 0);
        return -1;
    }
    d->lba += n;
    d->left -= n;
    d->pos = 0;
    d->len = n * CD_SECTOR;
    return 0;
}

/* Stream `count` sectors from `lba` to the host. */
static void atapi_read(struct ide_device *d, uint64_t lba, uint64_t count)
{
    uint32_t cap = cd_sectors(d);
    if (lba > cap || count > cap - lba) {
        atapi_check(d, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
        return;
    }
    if (count == 0) {
        atapi_good(d);
        return;
    }
    d->lba = lba;
    d->left = count;
    if (atapi_load_chunk(d) == 0)
        atapi_data_in(d);
}

/* ---- packet commands ------------------------------------------------------- */

static void cmd_good(struct ide_device *d, const uint8_t *cdb)
{
    atapi_good(d);
}

/* REQUEST SENSE: fixed-format sense data, then the sense is cleared (SPC-2). */
static void cmd_request_sense(struct ide_device *d, const uint8_t *cdb)
{
    uint8_t *r = d->buf;
    memset(r, 0, 18);
    r[0] = 0x70;            /* current error, fixed format */
    if (d->media_changed) { /* a pending unit attention is reported and cleared (SPC-2 5.6.5) */
        set_sense(d, SENSE_UNIT_ATTENTION, ASC_MEDIUM_CHANGED, 0);
        d->media_changed = false;
    }
    r[2] = d->sense_key;
    r[7] = 10; /* additional length */
    r[12] = d->asc;
    r[13] = d->ascq;
    set_sense(d, SENSE_NONE, 0, 0);
    atapi_reply(d, 18, cdb[4]);
}

/* INQUIRY: a removable CD-ROM device (SFF-8020i). */
static void cmd_inquiry(struct ide_device *d, const uint8_t *cdb)
{
    uint8_t *r = d->buf;
    if (cdb[1] & 0x01) { /* EVPD: no vital product data pages */
        atapi_invalid_field(d);
        return;
    }
    memset(r, 0, 36);
    r[0] = 0x05; /* CD-ROM */
    r[1] = 0x80; /* removable */
    r[3] = 0x21; /* ATAPI version 2, response data format 1 */
    r[4] = 31;   /* additional length */
    put_padded(r + 8, 8, "POPEK");
    put_padded(r + 16, 16, "CD-ROM");
    put_padded(r + 32, 4, "0.1");
    atapi_reply(d, 36, cdb[4]);
}

static void cmd_read_capacity(struct ide_device *d, const uint8_t *cdb)
{
    uint32_t n = cd_sectors(d);
    put32(d->buf, n ? n - 1 : 0); /* last LBA */
    put32(d->buf + 4, CD_SECTOR);
    atapi_reply(d, 8, 8);
}

static void cmd_read10(struct ide_device *d, const uint8_t *cdb)
{
    atapi_read(d, get32(cdb + 2), get16(cdb + 7));
}

static void cmd_read12(struct ide_device *d, const uint8_t *cdb)
{
    atapi_read(d, get32(cdb + 2), get32(cdb + 6));
}

/* READ CD: user data of mode 1 sectors only (MMC-2). */
static void cmd_read_cd(struct ide_device *d, const uint8_t *cdb)
{
    unsigned type = (cdb[1] >> 2) & 7, fields = cdb[9] & 0xf8;
    uint32_t count = cdb[6] << 16 | cdb[7] << 8 | cdb[8];
    if (type != 0 && type != 2) { /* any, or mode 1 */
        atapi_check(d, SENSE_ILLEGAL_REQUEST, ASC_ILLEGAL_MODE, 0);
        return;
    }
    if (fields == 0x00)
        atapi_good(d);
    else if (fields == 0x10)
        atapi_read(d, get32(cdb + 2), count);
    else
        atapi_invalid_field(d);
}

static void cmd_seek(struct ide_device *d, const uint8_t *cdb)
{
    if (get32(cdb + 2) >= cd_sectors(d))
        atapi_check(d, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
    else
        atapi_good(d);
}

static size_t toc_entry(uint8_t *p, uint8_t track, uint32_t lba, bool msf)
{
    p[0] = 0;
    p[1] = TOC_ADR_CTL_DATA;
    p[2] = track;
    p[3] = 0;
    put_addr(p + 4, lba, msf);
    return 8;
}

/* A raw TOC descriptor (MMC-2 READ TOC format 2), point addresses as binary MSF. */
static size_t toc_raw_entry(uint8_t *p, uint8_t point, uint8_t pmin, uint8_t psec, uint8_t pframe)
{
    memset(p, 0, 11);
    p[0] = 1; /* session */
    p[1] = TOC_ADR_CTL_DATA;
    p[3] = point;
    p[8] = pmin;
    p[9] = psec;
    p[10] = pframe;
    return 11;
}

/* READ TOC formats 0 (tracks), 1 (session info), 2 (raw); 0 when the track is invalid. */
static size_t toc_build(struct ide_device *d, uint8_t *r, unsigned format, bool msf, uint8_t track)
{
    uint32_t leadout = cd_sectors(d);
    uint8_t lo[4];
    size_t n = 4;
    r[2] = r[3] = 1; /* first and last track, or session */
    switch (format) {
    case 0:
        if (track > 1 && track != TOC_LEAD_OUT)
            return 0;
        if (track <= 1)
            n += toc_entry(r + n, 1, 0, msf);
        n += toc_entry(r + n, TOC_LEAD_OUT, leadout, msf);
        return n;
    case 1:
        return n + toc_entry(r + n, 1, 0, msf); /* first track of the last session */
    case 2:
        put_addr(lo, leadout, true);
        n += toc_raw_entry(r + n, 0xa0, 1, 0x00, 0); /* first track, CD-ROM disc */
        n += toc_raw_entry(r + n, 0xa1, 1, 0, 0);    /* last track */
        n += toc_raw_entry(r + n, 0xa2, lo[1], lo[2], lo[3]);
        n += toc_raw_entry(r + n, 1, 0, 2, 0); /* track 1 at 00:02:00 */
        return n;
    default:
        return 0;
    }
}

/* READ TOC (SFF-8020i, MMC-2): the format is in byte 2, or in the old place, byte 9. */
static void cmd_read_toc(struct ide_device *d, const uint8_t *cdb)
{
    unsigned format = cdb[2] & 0x0f;
    if (format == 0)
        format = cdb[9] >> 6;
    size_t n = toc_build(d, d->buf, format, cdb[1] & 0x02, cdb[6]);
    if (n == 0) {
        atapi_invalid_field(d);
        return;
    }
    put16(d->buf, n - 2);
    atapi_reply(d, n, get16(cdb + 7));
}

/* One mode page; `pc` 1 asks for the changeable mask, which is all zero (SFF-8020i MODE SENSE). */
static size_t mode_page(struct ide_device *d, uint8_t *p, unsigned page, unsigned pc)
{
    switch (page) {
    case 0x01: /* read error recovery */
        memset(p, 0, 8);
        p[0] = 0x01;
        p[1] = 6;
        if (pc != 1)
            p[3] = 5; /* read retry count */
        return 8;
    case 0x2a: /* CD capabilities and mechanical status */
        memset(p, 0, 20);
        p[0] = 0x2a;
        p[1] = 18;
        if (pc == 1)
            return 20;
        p[6] = 0x29 | (d->locked ? 0x02 : 0); /* tray, eject, lock (state) */
        put16(p + 8, CD_SPEED_KBS);           /* maximum read speed */
        put16(p + 12, 512);                   /* buffer, KiB */
        put16(p + 14, CD_SPEED_KBS);          /* current read speed */
        return 20;
    default:
        return 0;
    }
}

/* MODE SENSE (6) and (10): pages 0x01, 0x2A, or all (0x3F); no block descriptors. */
static void cmd_mode_sense(struct ide_device *d, const uint8_t *cdb)
{
    bool ten = cdb[0] == 0x5a;
    unsigned pc = cdb[2] >> 6, page = cdb[2] & 0x3f, hdr = ten ? 8 : 4;
    uint8_t *r = d->buf;
    if (pc == 3) {
        atapi_check(d, SENSE_ILLEGAL_REQUEST, ASC_SAVING_PARAMS, 0);
        return;
    }
    memset(r, 0, hdr);
    size_t n = hdr;
    if (page == 0x3f) {
        n += mode_page(d, r + n, 0x01, pc);
        n += mode_page(d, r + n, 0x2a, pc);
    } else {
        size_t m = mode_page(d, r + n, page, pc);
        if (m == 0) {
            atapi_invalid_field(d);
            return;
        }
        n += m;
    }
    uint8_t medium = d->bd ? 0x01 : 0x70; /* 120 mm data disc, or no disc */
    if (ten) {
        put16(r, n - 2);
        r[2] = medium;
    } else {
        r[0] = n - 1;
        r[1] = medium;
    }
    atapi_reply(d, n, ten ? get16(cdb + 7) : cdb[4]);
}

struct cd_feature {
    uint16_t code;   /* feature number */
    bool persistent; /* always current */
    uint8_t len;     /* bytes of feature data */
};

/* Features of a CD-ROM drive (MMC-2 features), in number order. */
static const struct cd_feature cd_features[] = {
    {0x0000, true, 4},  /* profile list */
    {0x0001, true, 4},  /* core */
    {0x0003, true, 4},  /* removable medium */
    {0x0010, false, 8}, /* random readable */
    {0x001e, false, 4}, /* CD read */
};

static void feature_data(struct ide_device *d, uint16_t code, uint8_t *p)
{
    switch (code) {
    case 0x0000:
        put16(p, 0x0008); /* CD-ROM profile */
        p[2] = d->bd ? 0x01 : 0x00;
        break;
    case 0x0001:
        put32(p, 2); /* physical interface: ATAPI */
        break;
    case 0x0003:
        p[0] = 0x29; /* tray, eject, lock */
        break;
    case 0x0010:
        put32(p, CD_SECTOR);
        put16(p + 4, 1); /* blocking */
        break;
    }
}

/* GET CONFIGURATION (MMC-2): RT 0 all, 1 current, 2 the one named. */
static void cmd_get_configuration(struct ide_device *d, const uint8_t *cdb)
{
    unsigned rt = cdb[1] & 3;
    uint16_t start = get16(cdb + 2);
    uint8_t *r = d->buf;
    if (rt == 3) {
        atapi_invalid_field(d);
        return;
    }
    memset(r, 0, 8);
    put16(r + 6, d->bd ? 0x0008 : 0x0000); /* current profile */
    size_t n = 8;
    for (size_t i = 0; i < G_N_ELEMENTS(cd_features); i++) {
        const struct cd_feature *f = &cd_features[i];
        bool current = f->persistent || d->bd;
        if (f->code < start || (rt == 1 && !current) || (rt == 2 && f->code != start))
            continue;
        uint8_t *p = r + n;
        memset(p, 0, 4 + f->len);
        put16(p, f->code);
        p[2] = (f->persistent ? 0x02 : 0) | (current ? 0x01 : 0);
        p[3] = f->len;
        feature_data(d, f->code, p + 4);
        n += 4 + f->len;
    }
    put32(r, n - 4);
    atapi_reply(d, n, get16(cdb + 7));
}

/* GET EVENT STATUS NOTIFICATION, polled only: the media class and its last event (MMC-2). */
static void cmd_get_event_status(struct ide_device *d, const uint8_t *cdb)
{
    uint8_t *r = d->buf;
    if (!(cdb[1] & 0x01)) { /* asynchronous notification is not supported */
        atapi_invalid_field(d);
        return;
    }
    memset(r, 0, 8);
    r[3] = 0x10; /* supported: media */
    if (!(cdb[4] & 0x10)) {
        put16(r, 2);
        r[2] = 0x80; /* no event available */
        atapi_reply(d, 4, get16(cdb + 7));
        return;
    }
    put16(r, 6);
    r[2] = 0x04;                /* media class */
    r[4] = d->media_event;      /* reported once */
    r[5] = d->bd ? 0x02 : 0x00; /* media present, door closed */
    d->media_event = 0;
    atapi_reply(d, 8, get16(cdb + 7));
}

/* READ DISC INFORMATION: one complete session with one track (MMC-2). */
static void cmd_read_disc_info(struct ide_device *d, const uint8_t *cdb)
{
    uint8_t *r = d->buf;
    memset(r, 0, 34);
    put16(r, 32);
    r[2] = 0x0e;             /* last session complete, disc complete */
    r[3] = 1;                /* first track */
    r[4] = 1;                /* sessions */
    r[5] = 1;                /* first track of the last session */
    r[6] = 1;                /* last track of the last session */
    memset(r + 16, 0xff, 8); /* no lead-in / lead-out start times */
    atapi_reply(d, 34, get16(cdb + 7));
}

/* START STOP UNIT: the disc stays; ejecting a locked tray is refused. */
static void cmd_start_stop(struct ide_device *d, const uint8_t *cdb)
{
    bool eject = (cdb[4] & 0x03) == 0x02;
    if (eject && d->locked)
        atapi_check(d, SENSE_ILLEGAL_REQUEST, ASC_REMOVAL_PREVENTED, 0x02);
    else
        atapi_good(d);
}

static void cmd_prevent_allow(struct ide_device *d, const uint8_t *cdb)
{
    d->locked = cdb[4] & 0x01;
    atapi_good(d);
}

struct atapi_cmd {
    uint8_t op;                                            /* operation code */
    bool medium;                                           /* NOT READY without a disc */
    void (*run)(struct ide_device *d, const uint8_t *cdb); /* handler */
};

static const struct atapi_cmd atapi_cmds[] = {
    {0x00, true, cmd_good}, /* TEST UNIT READY */
    {0x03, false, cmd_request_sense},
    {0x12, false, cmd_inquiry},
    {0x1a, false, cmd_mode_sense}, /* MODE SENSE (6) */
    {0x1b, false, cmd_start_stop},
    {0x1e, false, cmd_prevent_allow},
    {0x25, true, cmd_read_capacity},
    {0x28, true, cmd_read10},
    {0x2b, true, cmd_seek},
    {0x43, true, cmd_read_toc},
    {0x46, false, cmd_get_configuration},
    {0x4a, false, cmd_get_event_status},
    {0x51, true, cmd_read_disc_info},
    {0x5a, false, cmd_mode_sense}, /* MODE SENSE (10) */
    {0xa8, true, cmd_read12},
    {0xbb, false, cmd_good}, /* SET CD SPEED */
    {0xbe, true, cmd_read_cd},
};

static void atapi_exec(struct ide_device *d)
{
    uint8_t cdb[ATAPI_CDB_LEN];
    memcpy(cdb, d->buf, sizeof(cdb)); /* replies are built in buf */
    d->xfer = XFER_NONE;
    d->left = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(atapi_cmds); i++) {
        const struct atapi_cmd *c = &atapi_cmds[i];
        if (c->op != cdb[0])
            continue;
        /*
         * After a change of disc, the first command other than INQUIRY, REQUEST SENSE and GET
         * EVENT STATUS NOTIFICATION ends in UNIT ATTENTION, MEDIUM MAY HAVE CHANGED (SPC-2 5.6.5,
         * MMC-2 5.7): how a driver learns that its cached disc is gone.
         */
        if (d->media_changed && cdb[0] != 0x12 && cdb[0] != 0x03 && cdb[0] != 0x4a) {
            d->media_changed = false;
            atapi_check(d, SENSE_UNIT_ATTENTION, ASC_MEDIUM_CHANGED, 0);
        } else if (c->medium && !d->bd)
            atapi_check(d, SENSE_NOT_READY, ASC_NO_MEDIUM, 0);
        else
            c->run(d, cdb);
        return;
    }
    atapi_check(d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_OPCODE, 0);
}

/* ---- entry points from ide.c ------------------------------------------------ */

void atapi_media_changed(struct ide_device *d)
{
    d->media_changed = true;
    d->media_event = d->bd ? 0x02 : 0x03; /* new media, or media removal (MMC-2 table 101) */
}

void atapi_reset(struct ide_device *d)
{
    set_sense(d, SENSE_NONE, 0, 0);
    d->locked = false;
    d->byte_limit = 0;
}

/* PACKET: ask for the command packet at once, without an interrupt (accelerated DRQ). */
void atapi_cmd_packet(struct ide_device *d)
{
    if (d->feature & ATAPI_FEAT_OVL) { /* overlap is not supported */
        ide_fail(d, ATA_ABRT);
        return;
    }
    d->dma = d->feature & ATAPI_FEAT_DMA;
    d->byte_limit = d->lba_mid | d->lba_high << 8;
    d->xfer = XFER_PACKET;
    d->pos = 0;
    d->end = d->len = ATAPI_CDB_LEN;
    d->nsector = ATAPI_IR_COD;
    d->status = ATA_DRDY | ATA_DRQ;
}

/* IDENTIFY PACKET DEVICE (ATA-4). */
void atapi_cmd_identify(struct ide_device *d)
{
    uint8_t *id = d->buf;
    memset(id, 0, 512);
    ide_ident_common(d, id);
    ide_put_word(id, 0, 0x85c0);  /* ATAPI, CD-ROM, removable, accelerated DRQ, 12-byte packets */
    ide_put_word(id, 82, 0x0218); /* DEVICE RESET, PACKET, power management */
    ide_put_word(id, 85, 0x0218);
    ide_start_buf_in(d, 512);
}

/* The host sent the packet, or took the current DRQ block or DMA buffer. */
void atapi_block_done(struct ide_device *d)
{
    if (d->xfer == XFER_PACKET) {
        atapi_exec(d);
        return;
    }
    if (d->pos < d->len) { /* PIO: more of this buffer */
        atapi_drq_block(d);
        return;
    }
    if (d->left == 0) {
        atapi_good(d);
        return;
    }
    if (atapi_load_chunk(d) < 0)
        return;
    if (d->dma)
        d->end = d->len; /* the bus master carries on (it called us) */
    else
        atapi_drq_block(d);
}
