/*
 * The ATAPI CD-ROM at the register level: the PACKET protocol (interrupt
 * reason, byte count limit, DRQ blocks), the packet commands (INQUIRY,
 * READ CAPACITY, READ (10)/(12)/CD, READ TOC, MODE SENSE, GET
 * CONFIGURATION, ...), sense data after errors, an empty drive, a disc
 * changed while running, and reads through the bus master.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "devices/ide.h"
#include "machine/blockdev.h"
#include "machine/irq.h"
#include "machine/machine.h"
#include "tests/lib/port_io.h"

#define CMD      IDE_SECONDARY_CMD
#define CTL      IDE_SECONDARY_CTRL
#define BM       0xc000
#define BM2      (BM + 8) /* the secondary channel's bus master */
#define PRDT     0x8000u
#define CD_SEC   64u
#define CD_BYTES 2048u

#define ST_ERR  0x01
#define ST_DRQ  0x08
#define ST_DRDY 0x40
#define ST_BSY  0x80
#define IR_COD  0x01
#define IR_IO   0x02

struct rig {
    struct machine m;
    struct ide *ide;
    int level[2];
    unsigned raised[2];
    char *path;
    struct blockdev cd;
};

static uint8_t pattern(uint32_t sector, unsigned i)
{
    return (uint8_t)(sector * 29 + i * 3 + (i >> 8));
}

static void irq_record(void *opaque, unsigned n, int level)
{
    struct rig *r = opaque;
    if (level && !r->level[n])
        r->raised[n]++;
    r->level[n] = level;
}

/*
 * A CD-ROM as secondary master, an empty drive as secondary slave. The
 * disc has `sectors` sectors, the first 64 with a pattern, the rest zero.
 */
static struct rig *rig_new_size(unsigned sectors)
{
    struct rig *r = g_new0(struct rig, 1);
    char *err = NULL;
    g_assert_cmpint(
        machine_init(&r->m, &(struct machine_config){.ram_mb = 16, .manual_clock = true}), ==, 0);
    struct irq_line l14 = {irq_record, r, 0}, l15 = {irq_record, r, 1};
    r->ide = ide_create(&r->m, &l14, &l15);
    g_assert_nonnull(r->ide);
    int fd = g_file_open_tmp("popek-cd-XXXXXX.iso", &r->path, NULL);
    g_assert_cmpint(fd, >=, 0);
    uint8_t sec[CD_BYTES];
    for (unsigned s = 0; s < CD_SEC; s++) {
        for (unsigned i = 0; i < CD_BYTES; i++)
            sec[i] = pattern(s, i);
        g_assert_cmpint(write(fd, sec, sizeof(sec)), ==, (int)sizeof(sec));
    }
    g_assert_cmpint(ftruncate(fd, (off_t)sectors * CD_BYTES), ==, 0);
    close(fd);
    g_assert_cmpint(blockdev_open(&r->cd, r->path, BLOCKDEV_RO, NULL, &err), ==, 0);
    g_assert_cmpint(ide_attach_cdrom(r->ide, 1, 0, &r->cd), ==, 0);
    g_assert_cmpint(ide_attach_cdrom(r->ide, 1, 1, NULL), ==, 0);
    ide_bmdma_map(r->ide, BM);
    return r;
}

static struct rig *rig_new(void)
{
    return rig_new_size(CD_SEC);
}

static void rig_free(struct rig *r)
{
    ide_destroy(r->ide);
    blockdev_close(&r->cd);
    g_unlink(r->path);
    g_free(r->path);
    machine_destroy(&r->m);
    g_free(r);
}

static uint16_t get16(const uint8_t *p)
{
    return p[0] << 8 | p[1];
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/* PACKET, then the 12-byte command through the data port. */
static void send_packet(struct rig *r, unsigned unit, const uint8_t *cdb, uint16_t limit, bool dma)
{
    out8(&r->m, CMD + 6, unit ? 0x10 : 0x00);
    out8(&r->m, CMD + 1, dma ? 0x01 : 0x00);
    out8(&r->m, CMD + 4, limit);
    out8(&r->m, CMD + 5, limit >> 8);
    r->raised[1] = 0;
    out8(&r->m, CMD + 7, 0xa0);
    /* Ready for the packet at once, without an interrupt. */
    g_assert_cmphex(in8(&r->m, CTL) & (ST_BSY | ST_DRQ), ==, ST_DRQ);
    g_assert_cmphex(in8(&r->m, CMD + 2) & 3, ==, IR_COD);
    g_assert_cmpuint(r->raised[1], ==, 0);
    for (unsigned i = 0; i < 12; i += 2)
        iobus_write(&r->m.io, CMD, cdb[i] | cdb[i + 1] << 8, 2);
}

/*
 * Take the data-in phase: each DRQ block interrupts, says I/O in the
 * interrupt reason and its size in the byte count. Returns the bytes sent.
 */
static size_t data_in(struct rig *r, uint8_t *buf, size_t max, uint16_t limit, unsigned *blocks)
{
    size_t n = 0;
    unsigned nb = 0;
    while (in8(&r->m, CTL) & ST_DRQ) {
        g_assert_cmpint(r->level[1], ==, 1);
        g_assert_cmphex(in8(&r->m, CMD + 2) & 3, ==, IR_IO);
        unsigned bytes = in8(&r->m, CMD + 4) | in8(&r->m, CMD + 5) << 8;
        g_assert_cmpuint(bytes, >, 0);
        g_assert_cmpuint(bytes, <=, limit);
        g_assert_cmphex(in8(&r->m, CMD + 7) & ST_DRQ, ==, ST_DRQ);
        for (unsigned i = 0; i < bytes; i += 2) {
            uint16_t w = iobus_read(&r->m.io, CMD, 2);
            if (n + i < max)
                buf[n + i] = w;
            if (n + i + 1 < max && i + 1 < bytes)
                buf[n + i + 1] = w >> 8;
        }
        n += bytes;
        nb++;
    }
    if (blocks)
        *blocks = nb;
    return n;
}

/* The status phase: an interrupt, I/O + C/D; returns the status (which clears the interrupt). */
static uint8_t status_phase(struct rig *r)
{
    g_assert_cmpint(r->level[1], ==, 1);
    g_assert_cmphex(in8(&r->m, CMD + 2) & 3, ==, IR_IO | IR_COD);
    uint8_t st = in8(&r->m, CMD + 7);
    g_assert_cmpint(r->level[1], ==, 0);
    return st;
}

/* A whole command by PIO: returns the bytes received, *status the final status. */
static size_t run(struct rig *r, unsigned unit, const uint8_t *cdb, uint8_t *buf, size_t max,
                  uint8_t *status)
{
    send_packet(r, unit, cdb, 0xfffe, false);
    size_t n = data_in(r, buf, max, 0xfffe, NULL);
    *status = status_phase(r);
    return n;
}

static void expect_sense(struct rig *r, unsigned unit, uint8_t key, uint8_t asc, uint8_t ascq)
{
    const uint8_t rs[12] = {0x03, 0, 0, 0, 18};
    uint8_t s[18], st;
    g_assert_cmpuint(run(r, unit, rs, s, sizeof(s), &st), ==, 18);
    g_assert_cmphex(st, ==, ST_DRDY);
    g_assert_cmphex(s[0], ==, 0x70);
    g_assert_cmphex(s[2] & 0x0f, ==, key);
    g_assert_cmphex(s[12], ==, asc);
    g_assert_cmphex(s[13], ==, ascq);
}

/* The command ends in CHECK CONDITION with this sense. */
static void expect_check(struct rig *r, unsigned unit, const uint8_t *cdb, uint8_t key, uint8_t asc,
                         uint8_t ascq)
{
    uint8_t st, buf[64];
    g_assert_cmpuint(run(r, unit, cdb, buf, sizeof(buf), &st), ==, 0);
    g_assert_cmphex(st, ==, ST_DRDY | ST_ERR);
    g_assert_cmphex(in8(&r->m, CMD + 1) >> 4, ==, key);
    expect_sense(r, unit, key, asc, ascq);
}

static void check_sectors(const uint8_t *buf, uint32_t first, unsigned count)
{
    for (unsigned s = 0; s < count; s++) {
        for (unsigned i = 0; i < CD_BYTES; i++) {
            if (buf[s * CD_BYTES + i] != pattern(first + s, i))
                g_error("sector %u byte %u: %02x", first + s, i, buf[s * CD_BYTES + i]);
        }
    }
}

/* ---- tests -------------------------------------------------------------------- */

static void test_identify(void)
{
    struct rig *r = rig_new();
    uint8_t id[512];
    /* IDENTIFY DEVICE aborts, leaving the ATAPI signature. */
    out8(&r->m, CMD + 6, 0x00);
    out8(&r->m, CMD + 4, 0);
    out8(&r->m, CMD + 7, 0xec);
    g_assert_cmpint(r->level[1], ==, 1);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_ERR);
    g_assert_cmphex(in8(&r->m, CMD + 1), ==, 0x04);
    g_assert_cmphex(in8(&r->m, CMD + 4), ==, 0x14);
    g_assert_cmphex(in8(&r->m, CMD + 5), ==, 0xeb);
    /* So do READ SECTORS and the disk-only commands. */
    out8(&r->m, CMD + 7, 0xc8);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_ERR);
    /* IDENTIFY PACKET DEVICE */
    out8(&r->m, CMD + 7, 0xa1);
    g_assert_cmpint(r->level[1], ==, 1);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DRQ);
    for (unsigned i = 0; i < 256; i++) {
        uint16_t w = iobus_read(&r->m.io, CMD, 2);
        id[2 * i] = w;
        id[2 * i + 1] = w >> 8;
    }
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY);
    g_assert_cmphex(id[0] | id[1] << 8, ==, 0x85c0);
    char model[13];
    for (unsigned i = 0; i < 12; i++)
        model[i] = id[54 + (i ^ 1)];
    model[12] = 0;
    g_assert_cmpstr(model, ==, "POPEK CD-ROM");
    g_assert_cmphex((id[164] | id[165] << 8) & 0x0010, ==, 0x0010); /* word 82: PACKET */
    g_assert_cmphex((id[98] | id[99] << 8) & 0x0300, ==, 0x0300);   /* word 49: LBA, DMA */
    rig_free(r);
}

static void test_inquiry(void)
{
    struct rig *r = rig_new();
    uint8_t cdb[12] = {0x12, 0, 0, 0, 96}, buf[96], st;
    g_assert_cmpuint(run(r, 0, cdb, buf, sizeof(buf), &st), ==, 36);
    g_assert_cmphex(st, ==, ST_DRDY);
    g_assert_cmphex(buf[0], ==, 0x05);
    g_assert_cmphex(buf[1], ==, 0x80);
    g_assert_cmpuint(buf[4], ==, 31);
    g_assert_cmpmem(buf + 8, 8, "POPEK   ", 8);
    g_assert_cmpmem(buf + 16, 16, "CD-ROM          ", 16);
    /* Cut to the allocation length; odd sizes end in a short word. */
    cdb[4] = 5;
    g_assert_cmpuint(run(r, 0, cdb, buf, sizeof(buf), &st), ==, 5);
    g_assert_cmphex(buf[0], ==, 0x05);
    /* An odd byte count limit of 9 gives even blocks: 8, 8, 8, 8, 4. */
    cdb[4] = 36;
    unsigned blocks;
    send_packet(r, 0, cdb, 9, false);
    g_assert_cmpuint(data_in(r, buf, sizeof(buf), 9, &blocks), ==, 36);
    g_assert_cmpuint(blocks, ==, 5);
    g_assert_cmphex(status_phase(r), ==, ST_DRDY);
    g_assert_cmpmem(buf + 8, 5, "POPEK", 5);
    /* No vital product data. */
    const uint8_t evpd[12] = {0x12, 1, 0, 0, 36};
    expect_check(r, 0, evpd, 5, 0x24, 0);
    rig_free(r);
}

static void test_test_unit_ready(void)
{
    struct rig *r = rig_new();
    const uint8_t tur[12] = {0x00};
    uint8_t buf[4], st;
    g_assert_cmpuint(run(r, 0, tur, buf, sizeof(buf), &st), ==, 0);
    g_assert_cmphex(st, ==, ST_DRDY);
    g_assert_cmphex(in8(&r->m, CMD + 1), ==, 0);
    /* The empty drive: NOT READY, MEDIUM NOT PRESENT. */
    expect_check(r, 1, tur, 2, 0x3a, 0);
    const uint8_t cap[12] = {0x25};
    expect_check(r, 1, cap, 2, 0x3a, 0);
    /* REQUEST SENSE cleared it. */
    expect_sense(r, 1, 0, 0, 0);
    rig_free(r);
}

static void test_read_capacity(void)
{
    struct rig *r = rig_new();
    const uint8_t cdb[12] = {0x25};
    uint8_t buf[8], st;
    g_assert_cmpuint(run(r, 0, cdb, buf, sizeof(buf), &st), ==, 8);
    g_assert_cmphex(st, ==, ST_DRDY);
    g_assert_cmpuint(get32(buf), ==, CD_SEC - 1);
    g_assert_cmpuint(get32(buf + 4), ==, CD_BYTES);
    rig_free(r);
}

static void test_read10(void)
{
    struct rig *r = rig_new();
    uint8_t *buf = g_malloc(40 * CD_BYTES);
    unsigned blocks;
    /* Two sectors in one DRQ block. */
    uint8_t cdb[12] = {0x28, 0, 0, 0, 0, 3, 0, 0, 2};
    send_packet(r, 0, cdb, 0xfffe, false);
    g_assert_cmpuint(data_in(r, buf, 2 * CD_BYTES, 0xfffe, &blocks), ==, 2 * CD_BYTES);
    g_assert_cmpuint(blocks, ==, 1);
    g_assert_cmphex(status_phase(r), ==, ST_DRDY);
    check_sectors(buf, 3, 2);
    /* A limit of one sector: a block a sector. */
    send_packet(r, 0, cdb, CD_BYTES, false);
    g_assert_cmpuint(data_in(r, buf, 2 * CD_BYTES, CD_BYTES, &blocks), ==, 2 * CD_BYTES);
    g_assert_cmpuint(blocks, ==, 2);
    g_assert_cmphex(status_phase(r), ==, ST_DRDY);
    check_sectors(buf, 3, 2);
    /* 40 sectors: more than the device buffers at once. */
    cdb[5] = 20;
    cdb[8] = 40;
    send_packet(r, 0, cdb, 0xfffe, false);
    g_assert_cmpuint(data_in(r, buf, 40 * CD_BYTES, 0xfffe, NULL), ==, 40 * CD_BYTES);
    g_assert_cmphex(status_phase(r), ==, ST_DRDY);
    check_sectors(buf, 20, 40);
    /* READ (12), and READ CD of user data. */
    const uint8_t r12[12] = {0xa8, 0, 0, 0, 0, 60, 0, 0, 0, 4};
    uint8_t st;
    g_assert_cmpuint(run(r, 0, r12, buf, 4 * CD_BYTES, &st), ==, 4 * CD_BYTES);
    check_sectors(buf, 60, 4);
    const uint8_t rcd[12] = {0xbe, 0, 0, 0, 0, 7, 0, 0, 1, 0x10};
    g_assert_cmpuint(run(r, 0, rcd, buf, CD_BYTES, &st), ==, CD_BYTES);
    check_sectors(buf, 7, 1);
    const uint8_t rcd_raw[12] = {0xbe, 0, 0, 0, 0, 7, 0, 0, 1, 0xf8};
    expect_check(r, 0, rcd_raw, 5, 0x24, 0);
    /* A zero length transfers nothing and succeeds. */
    const uint8_t zero[12] = {0x28, 0, 0, 0, 0, 5};
    g_assert_cmpuint(run(r, 0, zero, buf, 16, &st), ==, 0);
    g_assert_cmphex(st, ==, ST_DRDY);
    g_free(buf);
    rig_free(r);
}

static void test_read_out_of_range(void)
{
    struct rig *r = rig_new();
    const uint8_t cdb[12] = {0x28, 0, 0, 0, 0, CD_SEC - 1, 0, 0, 2};
    uint8_t st, buf[16];
    send_packet(r, 0, cdb, 0xfffe, false);
    g_assert_cmphex(in8(&r->m, CTL) & ST_DRQ, ==, 0);
    g_assert_cmphex(status_phase(r), ==, ST_DRDY | ST_ERR);
    g_assert_cmphex(in8(&r->m, CMD + 1), ==, 0x54); /* ILLEGAL REQUEST, ABRT */
    expect_sense(r, 0, 5, 0x21, 0);
    expect_sense(r, 0, 0, 0, 0);
    const uint8_t r12[12] = {0xa8, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1};
    expect_check(r, 0, r12, 5, 0x21, 0);
    /* A good command clears the sense. */
    const uint8_t far[12] = {0x28, 0, 0, 0, 1, 0, 0, 0, 1};
    g_assert_cmpuint(run(r, 0, far, buf, sizeof(buf), &st), ==, 0);
    const uint8_t tur[12] = {0x00};
    run(r, 0, tur, buf, sizeof(buf), &st);
    g_assert_cmphex(st, ==, ST_DRDY);
    expect_sense(r, 0, 0, 0, 0);
    rig_free(r);
}

static void test_unknown_opcode(void)
{
    struct rig *r = rig_new();
    const uint8_t cdb[12] = {0xff};
    uint8_t st, buf[8];
    g_assert_cmpuint(run(r, 0, cdb, buf, sizeof(buf), &st), ==, 0);
    g_assert_cmphex(st, ==, ST_DRDY | ST_ERR);
    g_assert_cmphex(in8(&r->m, CMD + 1), ==, 0x54);
    expect_sense(r, 0, 5, 0x20, 0);
    const uint8_t mode_select[12] = {0x55};
    expect_check(r, 0, mode_select, 5, 0x20, 0);
    rig_free(r);
}

static void test_read_toc(void)
{
    struct rig *r = rig_new();
    uint8_t buf[64], st;
    /* Format 0, LBA: track 1 at 0, the lead-out at the end. */
    uint8_t cdb[12] = {0x43, 0, 0, 0, 0, 0, 0, 0, 64};
    g_assert_cmpuint(run(r, 0, cdb, buf, sizeof(buf), &st), ==, 20);
    g_assert_cmpuint(get16(buf), ==, 18);
    g_assert_cmpuint(buf[2], ==, 1);
    g_assert_cmpuint(buf[3], ==, 1);
    g_assert_cmphex(buf[5], ==, 0x14);
    g_assert_cmpuint(buf[6], ==, 1);
    g_assert_cmpuint(get32(buf + 8), ==, 0);
    g_assert_cmphex(buf[14], ==, 0xaa);
    g_assert_cmpuint(get32(buf + 16), ==, CD_SEC);
    /* MSF: 00:02:00 and 64 + 150 frames = 00:02:64. */
    cdb[1] = 0x02;
    run(r, 0, cdb, buf, sizeof(buf), &st);
    g_assert_cmphex(get32(buf + 8), ==, 0x00000200);
    g_assert_cmphex(get32(buf + 16), ==, 0x00000240);
    /* Starting at the lead-out: only it. */
    cdb[1] = 0;
    cdb[6] = 0xaa;
    g_assert_cmpuint(run(r, 0, cdb, buf, sizeof(buf), &st), ==, 12);
    g_assert_cmphex(buf[6], ==, 0xaa);
    cdb[6] = 2;
    expect_check(r, 0, cdb, 5, 0x24, 0);
    /* Format 1: session information, in byte 2 or the old place, byte 9. */
    const uint8_t sess[12] = {0x43, 0, 1, 0, 0, 0, 0, 0, 64};
    g_assert_cmpuint(run(r, 0, sess, buf, sizeof(buf), &st), ==, 12);
    g_assert_cmpuint(get16(buf), ==, 10);
    g_assert_cmpuint(buf[6], ==, 1);
    g_assert_cmpuint(get32(buf + 8), ==, 0);
    const uint8_t sess_old[12] = {0x43, 0, 0, 0, 0, 0, 0, 0, 64, 0x40};
    g_assert_cmpuint(run(r, 0, sess_old, buf, sizeof(buf), &st), ==, 12);
    /* Format 2: raw TOC, four descriptors; A2 is the lead-out. */
    const uint8_t raw[12] = {0x43, 0, 2, 0, 0, 0, 0, 0, 64};
    g_assert_cmpuint(run(r, 0, raw, buf, sizeof(buf), &st), ==, 48);
    g_assert_cmphex(buf[4 + 22 + 3], ==, 0xa2);
    g_assert_cmpuint(buf[4 + 22 + 9], ==, 2);
    g_assert_cmpuint(buf[4 + 22 + 10], ==, 64);
    /* The allocation length cuts it. */
    const uint8_t shortc[12] = {0x43, 0, 0, 0, 0, 0, 0, 0, 4};
    g_assert_cmpuint(run(r, 0, shortc, buf, sizeof(buf), &st), ==, 4);
    g_assert_cmpuint(get16(buf), ==, 18);
    /* No disc. */
    expect_check(r, 1, cdb, 2, 0x3a, 0);
    rig_free(r);
    /* A longer disc: 10000 + 150 frames = 02:15:25. */
    r = rig_new_size(10000);
    const uint8_t msf[12] = {0x43, 2, 0, 0, 0, 0, 0xaa, 0, 12};
    g_assert_cmpuint(run(r, 0, msf, buf, sizeof(buf), &st), ==, 12);
    g_assert_cmphex(get32(buf + 8), ==, 0x00020f19);
    rig_free(r);
}

static void test_mode_sense(void)
{
    struct rig *r = rig_new();
    uint8_t buf[64], st;
    uint8_t cdb[12] = {0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 64};
    g_assert_cmpuint(run(r, 0, cdb, buf, sizeof(buf), &st), ==, 28);
    g_assert_cmphex(st, ==, ST_DRDY);
    g_assert_cmpuint(get16(buf), ==, 26);
    g_assert_cmphex(buf[2], ==, 0x01); /* 120 mm data disc */
    g_assert_cmpuint(get16(buf + 6), ==, 0);
    g_assert_cmphex(buf[8], ==, 0x2a);
    g_assert_cmpuint(buf[9], ==, 0x12);
    g_assert_cmphex(buf[8 + 6], ==, 0x29); /* tray, eject, lock, unlocked */
    g_assert_cmpuint(get16(buf + 8 + 8), >, 0);
    /* Locked: the lock state bit. */
    const uint8_t prevent[12] = {0x1e, 0, 0, 0, 1};
    run(r, 0, prevent, buf, sizeof(buf), &st);
    g_assert_cmphex(st, ==, ST_DRDY);
    run(r, 0, cdb, buf, sizeof(buf), &st);
    g_assert_cmphex(buf[8 + 6], ==, 0x2b);
    /* All pages: 0x01 then 0x2A. */
    cdb[2] = 0x3f;
    g_assert_cmpuint(run(r, 0, cdb, buf, sizeof(buf), &st), ==, 36);
    g_assert_cmphex(buf[8], ==, 0x01);
    g_assert_cmphex(buf[16], ==, 0x2a);
    /* MODE SENSE (6) has a 4-byte header. */
    const uint8_t six[12] = {0x1a, 0, 0x01, 0, 64};
    g_assert_cmpuint(run(r, 0, six, buf, sizeof(buf), &st), ==, 12);
    g_assert_cmpuint(buf[0], ==, 11);
    g_assert_cmphex(buf[4], ==, 0x01);
    /* Unknown page, saved values. */
    cdb[2] = 0x05;
    expect_check(r, 0, cdb, 5, 0x24, 0);
    cdb[2] = 0xea;
    expect_check(r, 0, cdb, 5, 0x39, 0);
    /* The empty drive says so in the medium type. */
    cdb[2] = 0x2a;
    run(r, 1, cdb, buf, sizeof(buf), &st);
    g_assert_cmphex(buf[2], ==, 0x70);
    rig_free(r);
}

static void test_get_configuration(void)
{
    struct rig *r = rig_new();
    uint8_t buf[128], st;
    uint8_t cdb[12] = {0x46, 0, 0, 0, 0, 0, 0, 0, 128};
    size_t n = run(r, 0, cdb, buf, sizeof(buf), &st);
    g_assert_cmphex(st, ==, ST_DRDY);
    g_assert_cmpuint(get32(buf), ==, n - 4);
    g_assert_cmphex(get16(buf + 6), ==, 0x0008); /* CD-ROM */
    /* The profile list names CD-ROM as current. */
    g_assert_cmphex(get16(buf + 8), ==, 0x0000);
    g_assert_cmphex(get16(buf + 12), ==, 0x0008);
    g_assert_cmphex(buf[14] & 1, ==, 1);
    /* RT 2: only the CD Read feature. */
    cdb[1] = 2;
    cdb[3] = 0x1e;
    g_assert_cmpuint(run(r, 0, cdb, buf, sizeof(buf), &st), ==, 16);
    g_assert_cmphex(get16(buf + 8), ==, 0x001e);
    g_assert_cmphex(buf[10] & 1, ==, 1);
    /* No disc: no current profile, and RT 1 leaves out the disc features. */
    cdb[1] = 1;
    cdb[3] = 0;
    n = run(r, 1, cdb, buf, sizeof(buf), &st);
    g_assert_cmphex(get16(buf + 6), ==, 0x0000);
    g_assert_cmpuint(n, ==, 8 + 3 * 8);
    rig_free(r);
}

static void test_dma_read(void)
{
    struct rig *r = rig_new();
    memset(r->m.ram + 0x10000, 0xee, 0x30000);
    /* 40 sectors (80 KiB) through a 64 KiB and a 16 KiB region. */
    memmap_write(&r->m.mem, PRDT, 0x10000, 4);
    memmap_write(&r->m.mem, PRDT + 4, 0, 4);
    memmap_write(&r->m.mem, PRDT + 8, 0x30000, 4);
    memmap_write(&r->m.mem, PRDT + 12, 0x80000000u | 0x4000, 4);
    iobus_write(&r->m.io, BM2 + 4, PRDT, 4);
    out8(&r->m, BM2 + 2, 0x06);
    out8(&r->m, BM2, 0x08);
    const uint8_t cdb[12] = {0x28, 0, 0, 0, 0, 10, 0, 0, 40};
    send_packet(r, 0, cdb, 0xfffe, true);
    g_assert_cmphex(in8(&r->m, CTL) & ST_DRQ, ==, ST_DRQ);
    g_assert_cmpint(r->level[1], ==, 0);
    out8(&r->m, BM2, 0x09);
    g_assert_cmphex(in8(&r->m, BM2 + 2), ==, 0x04);
    g_assert_cmphex(status_phase(r), ==, ST_DRDY);
    check_sectors(r->m.ram + 0x10000, 10, 32);
    check_sectors(r->m.ram + 0x30000, 42, 8);
    g_assert_cmphex(r->m.ram[0x34000], ==, 0xee);
    /* A reply through DMA, the engine started before the command. */
    memmap_write(&r->m.mem, PRDT + 4, 0x80000000u | 512, 4);
    out8(&r->m, BM2, 0x08);
    out8(&r->m, BM2 + 2, 0x04);
    out8(&r->m, BM2, 0x09);
    const uint8_t inq[12] = {0x12, 0, 0, 0, 36};
    send_packet(r, 0, inq, 0xfffe, true);
    g_assert_cmphex(in8(&r->m, BM2 + 2), ==, 0x05); /* table longer than the reply */
    g_assert_cmphex(status_phase(r), ==, ST_DRDY);
    g_assert_cmphex(r->m.ram[0x10000], ==, 0x05);
    g_assert_cmpmem(r->m.ram + 0x10008, 5, "POPEK", 5);
    rig_free(r);
}

static void test_misc_commands(void)
{
    struct rig *r = rig_new();
    uint8_t buf[64], st;
    /* GET EVENT STATUS NOTIFICATION, polled, media class: present, no event. */
    const uint8_t gesn[12] = {0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8};
    g_assert_cmpuint(run(r, 0, gesn, buf, sizeof(buf), &st), ==, 8);
    g_assert_cmpuint(get16(buf), ==, 6);
    g_assert_cmphex(buf[2], ==, 0x04);
    g_assert_cmphex(buf[4] & 0x0f, ==, 0);
    g_assert_cmphex(buf[5], ==, 0x02);
    run(r, 1, gesn, buf, sizeof(buf), &st);
    g_assert_cmphex(buf[5], ==, 0x00);
    const uint8_t gesn_none[12] = {0x4a, 1, 0, 0, 0x02, 0, 0, 0, 8};
    g_assert_cmpuint(run(r, 0, gesn_none, buf, sizeof(buf), &st), ==, 4);
    g_assert_cmphex(buf[2], ==, 0x80);
    const uint8_t gesn_async[12] = {0x4a, 0, 0, 0, 0x10, 0, 0, 0, 8};
    expect_check(r, 0, gesn_async, 5, 0x24, 0);
    /* READ DISC INFORMATION: one complete session. */
    const uint8_t rdi[12] = {0x51, 0, 0, 0, 0, 0, 0, 0, 34};
    g_assert_cmpuint(run(r, 0, rdi, buf, sizeof(buf), &st), ==, 34);
    g_assert_cmpuint(get16(buf), ==, 32);
    g_assert_cmphex(buf[2] & 3, ==, 2);
    /* SET CD SPEED, SEEK, START STOP UNIT. */
    const uint8_t speed[12] = {0xbb, 0, 0xff, 0xff};
    run(r, 0, speed, buf, sizeof(buf), &st);
    g_assert_cmphex(st, ==, ST_DRDY);
    const uint8_t seek[12] = {0x2b, 0, 0, 0, 0, 63};
    run(r, 0, seek, buf, sizeof(buf), &st);
    g_assert_cmphex(st, ==, ST_DRDY);
    const uint8_t seek_far[12] = {0x2b, 0, 0, 0, 0, 64};
    expect_check(r, 0, seek_far, 5, 0x21, 0);
    const uint8_t eject[12] = {0x1b, 0, 0, 0, 0x02};
    const uint8_t prevent[12] = {0x1e, 0, 0, 0, 1}, allow[12] = {0x1e};
    run(r, 0, prevent, buf, sizeof(buf), &st);
    expect_check(r, 0, eject, 5, 0x53, 0x02);
    run(r, 0, allow, buf, sizeof(buf), &st);
    run(r, 0, eject, buf, sizeof(buf), &st);
    g_assert_cmphex(st, ==, ST_DRDY);
    rig_free(r);
}

/*
 * A disc changed while the guest runs: the next command ends in UNIT ATTENTION, MEDIUM MAY HAVE
 * CHANGED (once), GET EVENT STATUS NOTIFICATION reports the event once, and a locked tray keeps
 * its disc.
 */
static void test_media_change(void)
{
    struct rig *r = rig_new();
    const uint8_t tur[12] = {0x00}, cap[12] = {0x25};
    const uint8_t gesn[12] = {0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8};
    uint8_t buf[64], st;
    /* Take the disc out of the master drive: UNIT ATTENTION first, then NOT READY. */
    g_assert_cmpint(ide_change_cdrom(r->ide, 1, 0, NULL), ==, 0);
    run(r, 0, gesn, buf, sizeof(buf), &st);
    g_assert_cmphex(buf[4] & 0x0f, ==, 0x03); /* media removal */
    g_assert_cmphex(buf[5], ==, 0x00);
    run(r, 0, gesn, buf, sizeof(buf), &st);
    g_assert_cmphex(buf[4] & 0x0f, ==, 0); /* reported once */
    expect_check(r, 0, tur, 6, 0x28, 0);
    expect_check(r, 0, tur, 2, 0x3a, 0);
    /* Put it into the empty slave drive: REQUEST SENSE reports the attention and clears it. */
    g_assert_cmpint(ide_change_cdrom(r->ide, 1, 1, &r->cd), ==, 0);
    expect_sense(r, 1, 6, 0x28, 0);
    g_assert_cmpuint(run(r, 1, cap, buf, sizeof(buf), &st), ==, 8);
    g_assert_cmphex(st, ==, ST_DRDY);
    g_assert_cmpuint(get32(buf), ==, CD_SEC - 1);
    /* INQUIRY does not consume the attention; READ CAPACITY does. */
    g_assert_cmpint(ide_change_cdrom(r->ide, 1, 1, &r->cd), ==, 0);
    const uint8_t inq[12] = {0x12, 0, 0, 0, 36};
    run(r, 1, inq, buf, sizeof(buf), &st);
    g_assert_cmphex(st, ==, ST_DRDY);
    expect_check(r, 1, cap, 6, 0x28, 0);
    run(r, 1, cap, buf, sizeof(buf), &st);
    g_assert_cmphex(st, ==, ST_DRDY);
    /* A tray the guest locked keeps its disc; a slot without a CD drive refuses. */
    const uint8_t prevent[12] = {0x1e, 0, 0, 0, 1}, allow[12] = {0x1e};
    run(r, 1, prevent, buf, sizeof(buf), &st);
    g_assert_cmpint(ide_change_cdrom(r->ide, 1, 1, NULL), ==, -1);
    run(r, 1, tur, buf, sizeof(buf), &st);
    g_assert_cmphex(st, ==, ST_DRDY);
    run(r, 1, allow, buf, sizeof(buf), &st);
    g_assert_cmpint(ide_change_cdrom(r->ide, 1, 1, NULL), ==, 0);
    g_assert_cmpint(ide_change_cdrom(r->ide, 0, 0, &r->cd), ==, -1);
    rig_free(r);
}

static void test_resets(void)
{
    struct rig *r = rig_new();
    /* After power-on an ATAPI device shows status 0 and its signature. */
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, 0x00);
    g_assert_cmphex(in8(&r->m, CMD + 4), ==, 0x14);
    g_assert_cmphex(in8(&r->m, CMD + 5), ==, 0xeb);
    /* DEVICE RESET in the middle of a packet: no interrupt, signature back. */
    out8(&r->m, CMD + 4, 0);
    out8(&r->m, CMD + 7, 0xa0);
    g_assert_cmphex(in8(&r->m, CMD + 7) & ST_DRQ, ==, ST_DRQ);
    r->raised[1] = 0;
    out8(&r->m, CMD + 7, 0x08);
    g_assert_cmpuint(r->raised[1], ==, 0);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, 0x00);
    g_assert_cmphex(in8(&r->m, CMD + 4), ==, 0x14);
    g_assert_cmphex(in8(&r->m, CMD + 1), ==, 0x01);
    /* Soft reset: both drives show the ATAPI signature. */
    out8(&r->m, CMD + 6, 0x10);
    out8(&r->m, CMD + 4, 0);
    out8(&r->m, CTL, 0x04);
    out8(&r->m, CTL, 0x00);
    g_assert_cmphex(in8(&r->m, CMD + 6), ==, 0x00);
    g_assert_cmphex(in8(&r->m, CMD + 5), ==, 0xeb);
    out8(&r->m, CMD + 6, 0x10);
    g_assert_cmphex(in8(&r->m, CMD + 4), ==, 0x14);
    g_assert_cmphex(in8(&r->m, CMD + 5), ==, 0xeb);
    /* Overlapped PACKET is refused. */
    out8(&r->m, CMD + 6, 0x00);
    out8(&r->m, CMD + 1, 0x02);
    out8(&r->m, CMD + 7, 0xa0);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_ERR);
    rig_free(r);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/atapi/identify", test_identify);
    g_test_add_func("/atapi/inquiry", test_inquiry);
    g_test_add_func("/atapi/test-unit-ready", test_test_unit_ready);
    g_test_add_func("/atapi/read-capacity", test_read_capacity);
    g_test_add_func("/atapi/read10", test_read10);
    g_test_add_func("/atapi/read-out-of-range", test_read_out_of_range);
    g_test_add_func("/atapi/unknown-opcode", test_unknown_opcode);
    g_test_add_func("/atapi/read-toc", test_read_toc);
    g_test_add_func("/atapi/mode-sense", test_mode_sense);
    g_test_add_func("/atapi/get-configuration", test_get_configuration);
    g_test_add_func("/atapi/dma-read", test_dma_read);
    g_test_add_func("/atapi/misc-commands", test_misc_commands);
    g_test_add_func("/atapi/resets", test_resets);
    g_test_add_func("/atapi/media-change", test_media_change);
    return g_test_run();
}
