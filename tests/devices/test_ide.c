/*
 * IDE controller and ATA disks at the register level: IDENTIFY, PIO reads
 * and writes by LBA and CHS checked against the image file, multiple mode,
 * errors (IDNF, ABRT, read-only), interrupts (status read, nIEN), soft
 * reset signatures, absent devices, bus-master DMA through PRD tables in
 * guest RAM, LBA48 and the housekeeping commands.
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

#define CMD      IDE_PRIMARY_CMD
#define CTL      IDE_PRIMARY_CTRL
#define SEC_CMD  IDE_SECONDARY_CMD
#define BM       0xc000
#define DISK_SEC 2016u /* 2 cylinders of 16 heads x 63 sectors */

#define ST_ERR  0x01
#define ST_DRQ  0x08
#define ST_DSC  0x10
#define ST_DF   0x20
#define ST_DRDY 0x40
#define ST_BSY  0x80
#define ER_ABRT 0x04
#define ER_IDNF 0x10

struct rig {
    struct machine m;
    struct ide *ide;
    int level[2];       /* IRQ 14, 15 as last driven */
    unsigned raised[2]; /* rising edges seen */
    char *path;         /* the disk image */
    struct blockdev bd;
    char *cd_path;
    struct blockdev cd;
};

static uint8_t pattern(uint64_t sector, unsigned i)
{
    return (uint8_t)(sector * 31 + i + (sector >> 8) * 7);
}

static char *make_image(unsigned sectors, unsigned sector_size)
{
    char *path = NULL;
    int fd = g_file_open_tmp("popek-ide-XXXXXX.img", &path, NULL);
    g_assert_cmpint(fd, >=, 0);
    uint8_t *buf = g_malloc(sector_size);
    for (unsigned s = 0; s < sectors; s++) {
        for (unsigned i = 0; i < sector_size; i++)
            buf[i] = pattern(s, i);
        g_assert_cmpint(write(fd, buf, sector_size), ==, (int)sector_size);
    }
    g_free(buf);
    close(fd);
    return path;
}

static void irq_record(void *opaque, unsigned n, int level)
{
    struct rig *r = opaque;
    if (level && !r->level[n])
        r->raised[n]++;
    r->level[n] = level;
}

/* A machine with a disk (primary master) and optionally a CD-ROM (primary slave). */
static struct rig *rig_new_mode(unsigned sectors, bool with_cd, enum blockdev_mode mode)
{
    struct rig *r = g_new0(struct rig, 1);
    char *err = NULL;
    g_assert_cmpint(
        machine_init(&r->m, &(struct machine_config){.ram_mb = 16, .manual_clock = true}), ==, 0);
    struct irq_line l14 = {irq_record, r, 0}, l15 = {irq_record, r, 1};
    r->ide = ide_create(&r->m, &l14, &l15);
    g_assert_nonnull(r->ide);
    r->path = make_image(sectors, 512);
    g_assert_cmpint(blockdev_open(&r->bd, r->path, mode, NULL, &err), ==, 0);
    g_assert_cmpint(ide_attach_disk(r->ide, 0, 0, &r->bd), ==, 0);
    if (with_cd) {
        r->cd_path = make_image(64, 2048);
        g_assert_cmpint(blockdev_open(&r->cd, r->cd_path, BLOCKDEV_RO, NULL, &err), ==, 0);
        g_assert_cmpint(ide_attach_cdrom(r->ide, 0, 1, &r->cd), ==, 0);
    }
    ide_bmdma_map(r->ide, BM);
    return r;
}

static struct rig *rig_new(void)
{
    return rig_new_mode(DISK_SEC, false, BLOCKDEV_RW);
}

static void rig_free(struct rig *r)
{
    ide_destroy(r->ide);
    blockdev_close(&r->bd);
    g_unlink(r->path);
    g_free(r->path);
    if (r->cd_path) {
        blockdev_close(&r->cd);
        g_unlink(r->cd_path);
        g_free(r->cd_path);
    }
    machine_destroy(&r->m);
    g_free(r);
}

/* Task file for a 28-bit LBA command, then the command. */
static void cmd_lba(struct rig *r, uint8_t cmd, uint32_t lba, uint8_t count)
{
    out8(&r->m, CMD + 6, 0xe0 | ((lba >> 24) & 0x0f));
    out8(&r->m, CMD + 2, count);
    out8(&r->m, CMD + 3, lba);
    out8(&r->m, CMD + 4, lba >> 8);
    out8(&r->m, CMD + 5, lba >> 16);
    out8(&r->m, CMD + 7, cmd);
}

static void cmd_chs(struct rig *r, uint8_t cmd, unsigned c, unsigned h, unsigned s, uint8_t count)
{
    out8(&r->m, CMD + 6, 0xa0 | h);
    out8(&r->m, CMD + 2, count);
    out8(&r->m, CMD + 3, s);
    out8(&r->m, CMD + 4, c);
    out8(&r->m, CMD + 5, c >> 8);
    out8(&r->m, CMD + 7, cmd);
}

/* Read `words` words of one DRQ block; DRQ must be set before and the block whole. */
static void pio_in(struct rig *r, uint8_t *buf, unsigned words)
{
    g_assert_cmphex(in8(&r->m, CTL) & (ST_BSY | ST_DRQ), ==, ST_DRQ);
    for (unsigned i = 0; i < words; i++) {
        uint16_t w = in16(&r->m, CMD);
        buf[2 * i] = w;
        buf[2 * i + 1] = w >> 8;
    }
}

static void pio_out(struct rig *r, const uint8_t *buf, unsigned words)
{
    g_assert_cmphex(in8(&r->m, CTL) & (ST_BSY | ST_DRQ), ==, ST_DRQ);
    for (unsigned i = 0; i < words; i++)
        out16(&r->m, CMD, buf[2 * i] | buf[2 * i + 1] << 8);
}

static void check_sector(const uint8_t *buf, uint64_t sector)
{
    for (unsigned i = 0; i < 512; i++) {
        if (buf[i] != pattern(sector, i))
            g_error("sector %" G_GUINT64_FORMAT " byte %u: %02x", sector, i, buf[i]);
    }
}

/* The image file's sector, read back from the file. */
static void file_sector(struct rig *r, uint64_t sector, uint8_t *buf)
{
    char *data = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(r->path, &data, &len, NULL));
    g_assert_cmpuint(len, >=, (sector + 1) * 512);
    memcpy(buf, data + sector * 512, 512);
    g_free(data);
}

static uint16_t id_word(const uint8_t *id, unsigned w)
{
    return id[2 * w] | id[2 * w + 1] << 8;
}

static void identify(struct rig *r, uint8_t *id)
{
    out8(&r->m, CMD + 6, 0xa0);
    out8(&r->m, CMD + 7, 0xec);
    g_assert_cmpint(r->level[0], ==, 1);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC | ST_DRQ);
    pio_in(r, id, 256);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC);
}

/* ---- tests ------------------------------------------------------------------ */

static void test_identify(void)
{
    struct rig *r = rig_new_mode(20000, false, BLOCKDEV_RW);
    uint8_t id[512];
    identify(r, id);
    g_assert_cmphex(id_word(id, 0), ==, 0x0040);
    g_assert_cmpuint(id_word(id, 1), ==, 20000 / (16 * 63)); /* 19 cylinders */
    g_assert_cmpuint(id_word(id, 3), ==, 16);
    g_assert_cmpuint(id_word(id, 6), ==, 63);
    g_assert_cmpuint(id_word(id, 60) | id_word(id, 61) << 16, ==, 20000);
    g_assert_cmpuint(id_word(id, 100), ==, 20000);
    g_assert_cmpuint(id_word(id, 57) | id_word(id, 58) << 16, ==, 19 * 16 * 63);
    g_assert_cmphex(id_word(id, 47), ==, 0x8010);
    g_assert_cmphex(id_word(id, 49) & 0x0300, ==, 0x0300); /* LBA, DMA */
    g_assert_cmphex(id_word(id, 59), ==, 0);               /* multiple mode off */
    g_assert_cmphex(id_word(id, 63), ==, 0x0407);          /* MWDMA 0-2, 2 selected */
    g_assert_cmphex(id_word(id, 80) & 0x0010, ==, 0x0010); /* ATA-4 */
    g_assert_cmphex(id_word(id, 83) & 0x1400, ==, 0x1400); /* FLUSH CACHE, 48-bit */
    /* Strings: first character in the high byte of each word. */
    g_assert_cmphex(id_word(id, 27), ==, 'P' << 8 | 'O');
    char model[41];
    for (unsigned i = 0; i < 40; i++)
        model[i] = id[54 + (i ^ 1)];
    model[40] = 0;
    g_assert_cmpstr(model, ==, "POPEK HARDDISK                          ");
    g_assert_cmphex(id_word(id, 10), ==, 'P' << 8 | 'O');
    rig_free(r);
}

static void test_pio_read_lba(void)
{
    struct rig *r = rig_new();
    uint8_t buf[512];
    cmd_lba(r, 0x20, 1000, 1);
    g_assert_cmpint(r->level[0], ==, 1);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC | ST_DRQ);
    g_assert_cmpint(r->level[0], ==, 0);
    pio_in(r, buf, 256);
    check_sector(buf, 1000);
    /* No interrupt at the end of a PIO read; the task file names the last sector. */
    g_assert_cmpint(r->level[0], ==, 0);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC);
    g_assert_cmpuint(in8(&r->m, CMD + 3) | in8(&r->m, CMD + 4) << 8, ==, 1000);
    g_assert_cmpuint(in8(&r->m, CMD + 2), ==, 0);

    /* Three sectors: one interrupt a sector. */
    cmd_lba(r, 0x21, 7, 3);
    for (unsigned s = 0; s < 3; s++) {
        g_assert_cmpint(r->level[0], ==, 1);
        in8(&r->m, CMD + 7);
        pio_in(r, buf, 256);
        check_sector(buf, 7 + s);
    }
    g_assert_cmpint(r->level[0], ==, 0);
    g_assert_cmpuint(in8(&r->m, CMD + 3), ==, 9);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC);
    rig_free(r);
}

static void test_pio_read_chs(void)
{
    struct rig *r = rig_new();
    uint8_t buf[512];
    /* C/H/S 1/2/62 = (1*16+2)*63+61 = 1195, two sectors: crosses into head 3. */
    cmd_chs(r, 0x20, 1, 2, 62, 2);
    pio_in(r, buf, 256);
    check_sector(buf, 1195);
    pio_in(r, buf, 256);
    check_sector(buf, 1196);
    /* The task file holds the last sector as CHS: 1/2/63. */
    g_assert_cmpuint(in8(&r->m, CMD + 3), ==, 63);
    g_assert_cmpuint(in8(&r->m, CMD + 4), ==, 1);
    g_assert_cmphex(in8(&r->m, CMD + 6), ==, 0xa2);
    rig_free(r);
}

static void fill(uint8_t *buf, unsigned n, uint8_t seed)
{
    for (unsigned i = 0; i < n; i++)
        buf[i] = (uint8_t)(i * 13 + seed);
}

static void test_pio_write_lba(void)
{
    struct rig *r = rig_new();
    uint8_t data[3 * 512], back[512];
    fill(data, sizeof(data), 5);
    cmd_lba(r, 0x30, 500, 3);
    /* The first block is asked for without an interrupt. */
    g_assert_cmpint(r->raised[0], ==, 0);
    for (unsigned s = 0; s < 3; s++) {
        pio_out(r, data + 512 * s, 256);
        g_assert_cmpint(r->level[0], ==, 1); /* after each block */
        g_assert_cmphex(in8(&r->m, CMD + 7) & ST_DRQ, ==, s < 2 ? ST_DRQ : 0);
    }
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC);
    for (unsigned s = 0; s < 3; s++) {
        file_sector(r, 500 + s, back);
        g_assert_cmpmem(back, 512, data + 512 * s, 512);
    }
    file_sector(r, 503, back);
    check_sector(back, 503);
    /* Read back through the device. */
    cmd_lba(r, 0x20, 501, 1);
    pio_in(r, back, 256);
    g_assert_cmpmem(back, 512, data + 512, 512);
    rig_free(r);
}

static void test_pio_write_chs(void)
{
    struct rig *r = rig_new();
    uint8_t data[512], back[512];
    fill(data, sizeof(data), 77);
    cmd_chs(r, 0x30, 0, 15, 63, 1); /* (0*16+15)*63+62 = 1007 */
    pio_out(r, data, 256);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC);
    file_sector(r, 1007, back);
    g_assert_cmpmem(back, 512, data, 512);
    file_sector(r, 1008, back);
    check_sector(back, 1008);
    rig_free(r);
}

static void test_read_multiple(void)
{
    struct rig *r = rig_new();
    uint8_t buf[4 * 512];
    /* Without SET MULTIPLE MODE, READ MULTIPLE aborts. */
    cmd_lba(r, 0xc4, 0, 4);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC | ST_ERR);
    g_assert_cmphex(in8(&r->m, CMD + 1), ==, ER_ABRT);
    /* Not a power of two, or above 16: aborted. */
    out8(&r->m, CMD + 2, 3);
    out8(&r->m, CMD + 7, 0xc6);
    g_assert_cmphex(in8(&r->m, CMD + 7) & ST_ERR, ==, ST_ERR);
    out8(&r->m, CMD + 2, 32);
    out8(&r->m, CMD + 7, 0xc6);
    g_assert_cmphex(in8(&r->m, CMD + 7) & ST_ERR, ==, ST_ERR);
    out8(&r->m, CMD + 2, 4);
    out8(&r->m, CMD + 7, 0xc6);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC);
    uint8_t id[512];
    identify(r, id);
    g_assert_cmphex(id_word(id, 59), ==, 0x0104);
    /* Ten sectors in blocks of 4, 4, 2: one interrupt a block. */
    r->raised[0] = 0;
    cmd_lba(r, 0xc4, 100, 10);
    unsigned sector = 100;
    for (unsigned b = 0; b < 3; b++) {
        unsigned n = b < 2 ? 4 : 2;
        g_assert_cmpuint(r->raised[0], ==, b + 1);
        in8(&r->m, CMD + 7);
        pio_in(r, buf, 256 * n);
        for (unsigned s = 0; s < n; s++)
            check_sector(buf + 512 * s, sector++);
        if (b < 2)
            g_assert_cmphex(in8(&r->m, CTL) & ST_DRQ, ==, ST_DRQ);
    }
    g_assert_cmpuint(r->raised[0], ==, 3);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC);
    rig_free(r);
}

static void test_write_multiple(void)
{
    struct rig *r = rig_new();
    uint8_t data[6 * 512], back[512];
    fill(data, sizeof(data), 9);
    out8(&r->m, CMD + 2, 4);
    out8(&r->m, CMD + 7, 0xc6);
    in8(&r->m, CMD + 7);
    cmd_lba(r, 0xc5, 40, 6);
    g_assert_cmpint(r->level[0], ==, 0);
    pio_out(r, data, 256 * 4);
    g_assert_cmpint(r->level[0], ==, 1);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC | ST_DRQ);
    pio_out(r, data + 4 * 512, 256 * 2);
    g_assert_cmpint(r->level[0], ==, 1);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC);
    for (unsigned s = 0; s < 6; s++) {
        file_sector(r, 40 + s, back);
        g_assert_cmpmem(back, 512, data + 512 * s, 512);
    }
    rig_free(r);
}

static void test_idnf(void)
{
    struct rig *r = rig_new();
    uint8_t buf[512];
    /* The last sector reads, the one after it is not found. */
    cmd_lba(r, 0x20, DISK_SEC - 1, 2);
    pio_in(r, buf, 256);
    check_sector(buf, DISK_SEC - 1);
    g_assert_cmpint(r->level[0], ==, 1);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC | ST_ERR);
    g_assert_cmphex(in8(&r->m, CMD + 1), ==, ER_IDNF);
    g_assert_cmpuint(in8(&r->m, CMD + 3) | in8(&r->m, CMD + 4) << 8, ==, DISK_SEC);
    /* Entirely past the end, reads and writes. */
    cmd_lba(r, 0x20, 0x0fffffff, 1);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC | ST_ERR);
    g_assert_cmphex(in8(&r->m, CMD + 1), ==, ER_IDNF);
    cmd_lba(r, 0x30, DISK_SEC, 1);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC | ST_ERR);
    g_assert_cmphex(in8(&r->m, CMD + 1), ==, ER_IDNF);
    /* CHS: cylinder 2 does not exist, nor does sector 0. */
    cmd_chs(r, 0x20, 2, 0, 1, 1);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC | ST_ERR);
    g_assert_cmphex(in8(&r->m, CMD + 1), ==, ER_IDNF);
    cmd_chs(r, 0x20, 0, 0, 0, 1);
    g_assert_cmphex(in8(&r->m, CMD + 1), ==, ER_IDNF);
    /* A good command afterwards clears the error. */
    cmd_lba(r, 0x20, 0, 1);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC | ST_DRQ);
    rig_free(r);
}

static void test_abort_unknown(void)
{
    struct rig *r = rig_new();
    const uint8_t unknown[] = {0x00, 0x50, 0xa0, 0xa1, 0x08, 0xff, 0xf8};
    for (size_t i = 0; i < G_N_ELEMENTS(unknown); i++) {
        r->raised[0] = 0;
        out8(&r->m, CMD + 7, unknown[i]);
        g_assert_cmpuint(r->raised[0], ==, 1);
        g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC | ST_ERR);
        g_assert_cmphex(in8(&r->m, CMD + 1), ==, ER_ABRT);
    }
    rig_free(r);
}

static void test_irq(void)
{
    struct rig *r = rig_new();
    /* Alternate status leaves the interrupt; status clears it. */
    out8(&r->m, CMD + 7, 0xe5); /* CHECK POWER MODE */
    g_assert_cmpint(r->level[0], ==, 1);
    g_assert_cmpuint(in8(&r->m, CMD + 2), ==, 0xff);
    g_assert_cmphex(in8(&r->m, CTL), ==, ST_DRDY | ST_DSC);
    g_assert_cmpint(r->level[0], ==, 1);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC);
    g_assert_cmpint(r->level[0], ==, 0);
    g_assert_cmpint(r->level[1], ==, 0);
    /* Writing the command register clears a pending interrupt too. */
    out8(&r->m, CMD + 7, 0xe1);
    g_assert_cmpint(r->level[0], ==, 1);
    out8(&r->m, CMD + 7, 0xe1);
    g_assert_cmpuint(r->raised[0], ==, 3);
    in8(&r->m, CMD + 7);
    /* nIEN masks the line; the interrupt stays pending until status is read. */
    out8(&r->m, CTL, 0x02);
    out8(&r->m, CMD + 7, 0xe0);
    g_assert_cmpint(r->level[0], ==, 0);
    out8(&r->m, CTL, 0x00);
    g_assert_cmpint(r->level[0], ==, 1);
    in8(&r->m, CMD + 7);
    g_assert_cmpint(r->level[0], ==, 0);
    out8(&r->m, CTL, 0x02);
    out8(&r->m, CMD + 7, 0xe0);
    in8(&r->m, CMD + 7);
    out8(&r->m, CTL, 0x00);
    g_assert_cmpint(r->level[0], ==, 0);
    rig_free(r);
}

static void check_signature(struct rig *r, uint8_t mid, uint8_t high)
{
    g_assert_cmpuint(in8(&r->m, CMD + 2), ==, 1);
    g_assert_cmpuint(in8(&r->m, CMD + 3), ==, 1);
    g_assert_cmphex(in8(&r->m, CMD + 4), ==, mid);
    g_assert_cmphex(in8(&r->m, CMD + 5), ==, high);
    g_assert_cmphex(in8(&r->m, CMD + 1), ==, 0x01); /* diagnostics passed */
}

static void test_soft_reset(void)
{
    struct rig *r = rig_new_mode(DISK_SEC, true, BLOCKDEV_RW);
    /* Leave a transfer half done and junk in the task file. */
    cmd_lba(r, 0x20, 3, 2);
    in16(&r->m, CMD);
    out8(&r->m, CMD + 4, 0x55);
    r->raised[0] = 0;
    out8(&r->m, CTL, 0x04 | 0x02);
    g_assert_cmphex(in8(&r->m, CTL), ==, ST_BSY);
    g_assert_cmphex(in8(&r->m, CMD + 4), ==, ST_BSY); /* busy: every register reads as status */
    out8(&r->m, CTL, 0x00);
    g_assert_cmpuint(r->raised[0], ==, 0); /* no interrupt after a soft reset */
    /* Device 0 is selected; the disk's signature, then the CD-ROM's. */
    g_assert_cmphex(in8(&r->m, CMD + 6), ==, 0x00);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC);
    check_signature(r, 0x00, 0x00);
    out8(&r->m, CMD + 6, 0x10);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, 0x00);
    check_signature(r, 0x14, 0xeb);
    /* The aborted transfer is gone. */
    out8(&r->m, CMD + 6, 0x00);
    g_assert_cmphex(in8(&r->m, CMD + 7) & ST_DRQ, ==, 0);
    g_assert_cmphex(in16(&r->m, CMD), ==, 0);
    rig_free(r);
}

static void test_absent_slave(void)
{
    struct rig *r = rig_new();
    out8(&r->m, CMD + 6, 0xb0);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, 0x00);
    g_assert_cmphex(in8(&r->m, CTL), ==, 0x00);
    /* Register writes do not stick (the BIOS probe writes 0x55/0xAA). */
    out8(&r->m, CMD + 2, 0x55);
    out8(&r->m, CMD + 3, 0xaa);
    g_assert_cmphex(in8(&r->m, CMD + 2), ==, 0x00);
    g_assert_cmphex(in8(&r->m, CMD + 3), ==, 0x00);
    g_assert_cmphex(in8(&r->m, CMD + 6), ==, 0xb0);
    /* Commands go nowhere. */
    out8(&r->m, CMD + 7, 0xec);
    g_assert_cmpuint(r->raised[0], ==, 0);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, 0x00);
    g_assert_cmphex(in16(&r->m, CMD), ==, 0x0000);
    /* The master still answers, with what was written to both. */
    out8(&r->m, CMD + 6, 0xa0);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC);
    g_assert_cmphex(in8(&r->m, CMD + 2), ==, 0x55);
    g_assert_cmphex(in8(&r->m, CMD + 6), ==, 0xa0);
    rig_free(r);
}

/*
 * A channel with nothing attached: the bus floats (DD7 pulled down), every
 * register reads 7Fh whatever was written, the device/head register too,
 * for either device; commands go nowhere.
 */
static void test_empty_channel(void)
{
    struct rig *r = rig_new();
    for (unsigned unit = 0; unit < 2; unit++) {
        uint8_t dh = unit ? 0xb0 : 0xa0;
        out8(&r->m, SEC_CMD + 6, dh);
        g_assert_cmphex(in8(&r->m, SEC_CMD + 6), ==, 0x7f); /* not what was written */
        out8(&r->m, SEC_CMD + 2, 0x55);
        out8(&r->m, SEC_CMD + 3, 0xaa);
        for (unsigned reg = 1; reg < 8; reg++)
            g_assert_cmphex(in8(&r->m, SEC_CMD + reg), ==, 0x7f);
        g_assert_cmphex(in8(&r->m, IDE_SECONDARY_CTRL), ==, 0x7f);
        g_assert_cmphex(in16(&r->m, SEC_CMD), ==, 0xff7f);
        g_assert_cmphex(iobus_read(&r->m.io, SEC_CMD, 4), ==, 0xff7fff7fu);
        /* 16- and 32-bit reads of the byte registers float alike. */
        g_assert_cmphex(in16(&r->m, SEC_CMD + 2), ==, 0x7f7f);
        out8(&r->m, SEC_CMD + 7, 0xec); /* IDENTIFY: no device, no interrupt */
        out8(&r->m, SEC_CMD + 7, 0x90); /* EXECUTE DEVICE DIAGNOSTIC */
        g_assert_cmpuint(r->raised[1], ==, 0);
        g_assert_cmpint(r->level[1], ==, 0);
        g_assert_cmphex(in8(&r->m, SEC_CMD + 7), ==, 0x7f);
        /* A soft reset changes nothing. */
        out8(&r->m, IDE_SECONDARY_CTRL, 0x04);
        out8(&r->m, IDE_SECONDARY_CTRL, 0x00);
        g_assert_cmphex(in8(&r->m, SEC_CMD + 7), ==, 0x7f);
    }
    /* The primary channel, with its disk, is unaffected. */
    out8(&r->m, CMD + 6, 0xa0);
    g_assert_cmphex(in8(&r->m, CMD + 6), ==, 0xa0);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC);
    rig_free(r);
}

/* ---- bus master -------------------------------------------------------------- */

#define PRDT 0x8000u

static void prd(struct rig *r, unsigned i, uint32_t addr, uint32_t count, bool eot)
{
    memmap_write(&r->m.mem, PRDT + 8 * i, addr, 4);
    memmap_write(&r->m.mem, PRDT + 8 * i + 4, count | (eot ? 0x80000000u : 0), 4);
}

static void bm_setup(struct rig *r, bool to_memory)
{
    iobus_write(&r->m.io, BM + 4, PRDT, 4);
    out8(&r->m, BM + 2, 0x06); /* clear interrupt and error */
    out8(&r->m, BM, to_memory ? 0x08 : 0x00);
}

static void test_dma_read(void)
{
    struct rig *r = rig_new();
    memset(r->m.ram + 0x10000, 0xee, 0x20000);
    prd(r, 0, 0x10000, 1024, false);
    prd(r, 1, 0x20000, 1024, true);
    bm_setup(r, true);
    cmd_lba(r, 0xc8, 50, 4);
    g_assert_cmpint(r->level[0], ==, 0); /* nothing until the engine starts */
    g_assert_cmphex(in8(&r->m, CTL) & ST_DRQ, ==, ST_DRQ);
    out8(&r->m, BM, 0x09);
    /* Table and transfer ended together: interrupt, not active. */
    g_assert_cmphex(in8(&r->m, BM + 2), ==, 0x04);
    g_assert_cmpint(r->level[0], ==, 1);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC);
    check_sector(r->m.ram + 0x10000, 50);
    check_sector(r->m.ram + 0x10200, 51);
    check_sector(r->m.ram + 0x20000, 52);
    check_sector(r->m.ram + 0x20200, 53);
    g_assert_cmphex(r->m.ram[0x10400], ==, 0xee);
    g_assert_cmphex(r->m.ram[0x20400], ==, 0xee);
    g_assert_cmpuint(in8(&r->m, CMD + 3), ==, 53);
    out8(&r->m, BM, 0x08);
    out8(&r->m, BM + 2, 0x04); /* write 1 to clear */
    g_assert_cmphex(in8(&r->m, BM + 2), ==, 0x00);

    /* Start first, command afterwards: the transfer runs when the command arrives. */
    prd(r, 0, 0x30000, 512, true);
    bm_setup(r, true);
    out8(&r->m, BM, 0x09);
    g_assert_cmphex(in8(&r->m, BM + 2), ==, 0x01);
    cmd_lba(r, 0xc8, 9, 1);
    g_assert_cmphex(in8(&r->m, BM + 2), ==, 0x04);
    check_sector(r->m.ram + 0x30000, 9);
    rig_free(r);
}

static void test_dma_write(void)
{
    struct rig *r = rig_new();
    uint8_t back[512];
    fill(r->m.ram + 0x40000, 512, 1);
    fill(r->m.ram + 0x50000, 1024, 2);
    prd(r, 0, 0x40000, 512, false);
    prd(r, 1, 0x50000, 1024, true);
    bm_setup(r, false);
    cmd_lba(r, 0xca, 1500, 3);
    out8(&r->m, BM, 0x01);
    g_assert_cmphex(in8(&r->m, BM + 2), ==, 0x04);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC);
    file_sector(r, 1500, back);
    g_assert_cmpmem(back, 512, r->m.ram + 0x40000, 512);
    file_sector(r, 1501, back);
    g_assert_cmpmem(back, 512, r->m.ram + 0x50000, 512);
    file_sector(r, 1502, back);
    g_assert_cmpmem(back, 512, r->m.ram + 0x50200, 512);
    file_sector(r, 1503, back);
    check_sector(back, 1503);
    rig_free(r);
}

static void test_dma_bad_prd(void)
{
    struct rig *r = rig_new();
    /* A region outside guest memory: error, the engine stops, no interrupt. */
    prd(r, 0, 0xf0000000u, 512, true);
    bm_setup(r, true);
    cmd_lba(r, 0xc8, 0, 1);
    out8(&r->m, BM, 0x09);
    g_assert_cmphex(in8(&r->m, BM + 2), ==, 0x02);
    g_assert_cmpint(r->level[0], ==, 0);
    out8(&r->m, BM + 2, 0x02);
    g_assert_cmphex(in8(&r->m, BM + 2), ==, 0x00);
    /* A region straddling the end of RAM (16 MiB) is refused whole. */
    memset(r->m.ram + r->m.ram_size - 256, 0x5a, 256);
    prd(r, 0, (uint32_t)r->m.ram_size - 256, 512, true);
    bm_setup(r, true);
    cmd_lba(r, 0xc8, 0, 1);
    out8(&r->m, BM, 0x09);
    g_assert_cmphex(in8(&r->m, BM + 2), ==, 0x02);
    g_assert_cmphex(r->m.ram[r->m.ram_size - 1], ==, 0x5a);
    /* A table outside memory reads as all ones: a region at 0xFFFFFFFE, also refused. */
    iobus_write(&r->m.io, BM + 4, 0xe0000000u, 4);
    out8(&r->m, BM, 0x08);
    out8(&r->m, BM + 2, 0x06);
    cmd_lba(r, 0xc8, 0, 1);
    out8(&r->m, BM, 0x09);
    g_assert_cmphex(in8(&r->m, BM + 2), ==, 0x02);
    rig_free(r);
}

static void test_dma_prd_size(void)
{
    struct rig *r = rig_new();
    /* Table shorter than the transfer: not active, no interrupt, device still waiting. */
    prd(r, 0, 0x10000, 512, true);
    bm_setup(r, true);
    cmd_lba(r, 0xc8, 0, 2);
    out8(&r->m, BM, 0x09);
    g_assert_cmphex(in8(&r->m, BM + 2), ==, 0x00);
    g_assert_cmpint(r->level[0], ==, 0);
    g_assert_cmphex(in8(&r->m, CTL) & ST_DRQ, ==, ST_DRQ);
    check_sector(r->m.ram + 0x10000, 0);
    /* Table longer than the transfer: interrupt while still active. */
    out8(&r->m, BM, 0x08);
    prd(r, 0, 0x10000, 0, true); /* count 0 = 64 KiB */
    bm_setup(r, true);
    cmd_lba(r, 0xc8, 10, 2);
    out8(&r->m, BM, 0x09);
    g_assert_cmphex(in8(&r->m, BM + 2), ==, 0x05);
    g_assert_cmpint(r->level[0], ==, 1);
    check_sector(r->m.ram + 0x10200, 11);
    /* Stopping the engine clears active. */
    out8(&r->m, BM, 0x08);
    g_assert_cmphex(in8(&r->m, BM + 2), ==, 0x04);
    rig_free(r);
}

static void test_bm_registers(void)
{
    struct rig *r = rig_new();
    iobus_write(&r->m.io, BM + 4, 0x12345677, 4);
    g_assert_cmphex(iobus_read(&r->m.io, BM + 4, 4), ==, 0x12345674);
    out8(&r->m, BM + 0xc, 0xab); /* secondary PRD table, byte by byte */
    g_assert_cmphex(iobus_read(&r->m.io, BM + 0xc, 4), ==, 0x000000a8);
    out8(&r->m, BM + 2, 0x60); /* drive DMA capable bits are read/write */
    g_assert_cmphex(in8(&r->m, BM + 2), ==, 0x60);
    out8(&r->m, BM, 0xff);
    g_assert_cmphex(in8(&r->m, BM), ==, 0x09);
    g_assert_cmphex(in8(&r->m, BM + 2), ==, 0x61); /* active */
    out8(&r->m, BM, 0x00);
    /* Moving the registers; unmapping them. */
    ide_bmdma_map(r->ide, 0xd000);
    g_assert_cmphex(in8(&r->m, BM + 2), ==, 0xff);
    g_assert_cmphex(in8(&r->m, 0xd002), ==, 0x60);
    ide_bmdma_map(r->ide, 0);
    g_assert_cmphex(in8(&r->m, 0xd002), ==, 0xff);
    ide_bmdma_map(r->ide, BM);
    g_assert_cmphex(in8(&r->m, BM + 2), ==, 0x60);
    /* Hardware reset clears them. */
    ide_reset(r->ide);
    g_assert_cmphex(in8(&r->m, BM + 2), ==, 0x00);
    g_assert_cmphex(iobus_read(&r->m.io, BM + 4, 4), ==, 0);
    rig_free(r);
}

/* ---- other commands ------------------------------------------------------------ */

static void test_housekeeping(void)
{
    struct rig *r = rig_new();
    const uint8_t ok[] = {0xe7, 0xea, 0x10, 0x1f, 0xe0, 0xe1, 0xe2, 0xe3};
    for (size_t i = 0; i < G_N_ELEMENTS(ok); i++) {
        r->raised[0] = 0;
        out8(&r->m, CMD + 7, ok[i]);
        g_assert_cmpuint(r->raised[0], ==, 1);
        g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC);
    }
    /* READ VERIFY: an interrupt and no data; IDNF past the end. */
    cmd_lba(r, 0x40, 10, 0); /* 256 sectors */
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC);
    g_assert_cmpuint(in8(&r->m, CMD + 3) | in8(&r->m, CMD + 4) << 8, ==, 265);
    cmd_lba(r, 0x40, DISK_SEC - 2, 4);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC | ST_ERR);
    g_assert_cmphex(in8(&r->m, CMD + 1), ==, ER_IDNF);
    /* SEEK */
    cmd_lba(r, 0x70, 100, 0);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC);
    cmd_lba(r, 0x70, DISK_SEC, 0);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC | ST_ERR);
    rig_free(r);
}

static void test_sector_count_zero(void)
{
    struct rig *r = rig_new();
    uint8_t buf[512];
    cmd_lba(r, 0x20, 1, 0);
    for (unsigned s = 0; s < 256; s++) {
        in8(&r->m, CMD + 7);
        pio_in(r, buf, 256);
        check_sector(buf, 1 + s);
    }
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC);
    g_assert_cmpuint(in8(&r->m, CMD + 3), ==, 0); /* last sector 256 */
    g_assert_cmpuint(in8(&r->m, CMD + 4), ==, 1);
    rig_free(r);
}

static void test_read_only(void)
{
    struct rig *r = rig_new_mode(DISK_SEC, false, BLOCKDEV_RO);
    uint8_t buf[512];
    cmd_lba(r, 0x30, 0, 1);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC | ST_ERR);
    g_assert_cmphex(in8(&r->m, CMD + 1), ==, ER_ABRT);
    cmd_lba(r, 0xca, 0, 1);
    g_assert_cmphex(in8(&r->m, CMD + 1), ==, ER_ABRT);
    cmd_lba(r, 0x20, 0, 1);
    pio_in(r, buf, 256);
    check_sector(buf, 0);
    rig_free(r);
}

static void set_features(struct rig *r, uint8_t feature, uint8_t count)
{
    out8(&r->m, CMD + 1, feature);
    out8(&r->m, CMD + 2, count);
    out8(&r->m, CMD + 7, 0xef);
}

static void test_set_features(void)
{
    struct rig *r = rig_new();
    uint8_t id[512];
    set_features(r, 0x03, 0x42); /* Ultra DMA 2 */
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC);
    identify(r, id);
    g_assert_cmphex(id_word(id, 88), ==, 0x0407);
    g_assert_cmphex(id_word(id, 63), ==, 0x0007);
    set_features(r, 0x03, 0x21); /* multiword DMA 1 */
    identify(r, id);
    g_assert_cmphex(id_word(id, 63), ==, 0x0207);
    g_assert_cmphex(id_word(id, 88), ==, 0x0007);
    set_features(r, 0x03, 0x45); /* Ultra DMA 5: not supported */
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC | ST_ERR);
    set_features(r, 0x03, 0x0c); /* PIO 4 */
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC);
    g_assert_cmphex(id_word(id, 85) & 0x20, ==, 0x20);
    set_features(r, 0x82, 0); /* write cache off: writes go through */
    identify(r, id);
    g_assert_cmphex(id_word(id, 85) & 0x20, ==, 0);
    set_features(r, 0x77, 0);
    g_assert_cmphex(in8(&r->m, CMD + 1), ==, ER_ABRT);
    rig_free(r);
}

static void test_init_params(void)
{
    struct rig *r = rig_new();
    uint8_t buf[512], id[512];
    /* 4 heads, 17 sectors: C/H/S 2/3/5 = (2*4+3)*17+4 = 191 */
    out8(&r->m, CMD + 6, 0xa3);
    out8(&r->m, CMD + 2, 17);
    out8(&r->m, CMD + 7, 0x91);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC);
    cmd_chs(r, 0x20, 2, 3, 5, 1);
    pio_in(r, buf, 256);
    check_sector(buf, 191);
    identify(r, id);
    g_assert_cmpuint(id_word(id, 54), ==, DISK_SEC / 68);
    g_assert_cmpuint(id_word(id, 55), ==, 4);
    g_assert_cmpuint(id_word(id, 56), ==, 17);
    g_assert_cmpuint(id_word(id, 1), ==, 2); /* default geometry unchanged */
    /* Head 4 is beyond the 4 heads now. */
    cmd_chs(r, 0x20, 0, 4, 1, 1);
    g_assert_cmphex(in8(&r->m, CMD + 1), ==, ER_IDNF);
    /* Zero sectors per track is refused. */
    out8(&r->m, CMD + 2, 0);
    out8(&r->m, CMD + 7, 0x91);
    g_assert_cmphex(in8(&r->m, CMD + 1), ==, ER_ABRT);
    rig_free(r);
}

static void test_lba48(void)
{
    struct rig *r = rig_new();
    uint8_t data[2 * 512], back[512];
    fill(data, sizeof(data), 33);
    /* WRITE SECTORS EXT at 1234, count 2: high bytes first, then low. */
    out8(&r->m, CMD + 6, 0x40);
    out8(&r->m, CMD + 2, 0);
    out8(&r->m, CMD + 2, 2);
    out8(&r->m, CMD + 3, 0);
    out8(&r->m, CMD + 3, 1234 & 0xff);
    out8(&r->m, CMD + 4, 0);
    out8(&r->m, CMD + 4, 1234 >> 8);
    out8(&r->m, CMD + 5, 0);
    out8(&r->m, CMD + 5, 0);
    out8(&r->m, CMD + 7, 0x34);
    pio_out(r, data, 256);
    pio_out(r, data + 512, 256);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC);
    file_sector(r, 1235, back);
    g_assert_cmpmem(back, 512, data + 512, 512);
    /* HOB reads the previous values. */
    out8(&r->m, CMD + 3, 0x11);
    out8(&r->m, CMD + 3, 0x22);
    out8(&r->m, CTL, 0x80);
    g_assert_cmphex(in8(&r->m, CMD + 3), ==, 0x11);
    out8(&r->m, CTL, 0x00);
    g_assert_cmphex(in8(&r->m, CMD + 3), ==, 0x22);
    /* Writing a register clears HOB. */
    out8(&r->m, CTL, 0x80);
    out8(&r->m, CMD + 4, 0x44);
    g_assert_cmphex(in8(&r->m, CMD + 3), ==, 0x22);
    /* Beyond 28 bits: not found, at the high address. */
    out8(&r->m, CMD + 2, 0);
    out8(&r->m, CMD + 2, 1);
    out8(&r->m, CMD + 3, 0x01);
    out8(&r->m, CMD + 3, 0x00);
    out8(&r->m, CMD + 4, 0);
    out8(&r->m, CMD + 4, 0);
    out8(&r->m, CMD + 5, 0);
    out8(&r->m, CMD + 5, 0);
    out8(&r->m, CMD + 7, 0x24);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC | ST_ERR);
    g_assert_cmphex(in8(&r->m, CMD + 1), ==, ER_IDNF);
    /* READ DMA EXT of the sectors written. */
    prd(r, 0, 0x10000, 1024, true);
    bm_setup(r, true);
    out8(&r->m, CMD + 2, 0);
    out8(&r->m, CMD + 2, 2);
    out8(&r->m, CMD + 3, 0);
    out8(&r->m, CMD + 3, 1234 & 0xff);
    out8(&r->m, CMD + 4, 0);
    out8(&r->m, CMD + 4, 1234 >> 8);
    out8(&r->m, CMD + 5, 0);
    out8(&r->m, CMD + 5, 0);
    out8(&r->m, CMD + 7, 0x25);
    out8(&r->m, BM, 0x09);
    g_assert_cmphex(in8(&r->m, BM + 2), ==, 0x04);
    g_assert_cmpmem(r->m.ram + 0x10000, 1024, data, 1024);
    rig_free(r);
}

static void test_data32(void)
{
    struct rig *r = rig_new();
    uint8_t buf[512], data[512], back[512];
    cmd_lba(r, 0x20, 77, 1);
    for (unsigned i = 0; i < 128; i++) {
        uint32_t v = iobus_read(&r->m.io, CMD, 4);
        memcpy(buf + 4 * i, &v, 4);
    }
    check_sector(buf, 77);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC);
    fill(data, sizeof(data), 200);
    cmd_lba(r, 0x30, 78, 1);
    for (unsigned i = 0; i < 128; i++) {
        uint32_t v;
        memcpy(&v, data + 4 * i, 4);
        iobus_write(&r->m.io, CMD, v, 4);
    }
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC);
    file_sector(r, 78, back);
    g_assert_cmpmem(back, 512, data, 512);
    /* A 16-bit access to two byte registers reaches both. */
    out16(&r->m, CMD + 2, 0x3412);
    g_assert_cmphex(in8(&r->m, CMD + 2), ==, 0x12);
    g_assert_cmphex(in8(&r->m, CMD + 3), ==, 0x34);
    g_assert_cmphex(in16(&r->m, CMD + 2), ==, 0x3412);
    rig_free(r);
}

static void test_diagnostic(void)
{
    struct rig *r = rig_new_mode(DISK_SEC, true, BLOCKDEV_RW);
    /* Issued with the slave selected, device 0 answers with the interrupt. */
    out8(&r->m, CMD + 6, 0xb0);
    out8(&r->m, CMD + 7, 0x90);
    g_assert_cmpint(r->level[0], ==, 1);
    g_assert_cmphex(in8(&r->m, CMD + 6), ==, 0x00);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC);
    check_signature(r, 0x00, 0x00);
    out8(&r->m, CMD + 6, 0x10);
    check_signature(r, 0x14, 0xeb);
    rig_free(r);
}

static void test_hard_reset(void)
{
    struct rig *r = rig_new();
    uint8_t id[512];
    out8(&r->m, CMD + 2, 8);
    out8(&r->m, CMD + 7, 0xc6);
    cmd_lba(r, 0x20, 0, 2);
    ide_reset(r->ide);
    g_assert_cmpint(r->level[0], ==, 0);
    g_assert_cmphex(in8(&r->m, CMD + 7), ==, ST_DRDY | ST_DSC);
    check_signature(r, 0, 0);
    identify(r, id);
    g_assert_cmphex(id_word(id, 59), ==, 0); /* multiple mode back off */
    rig_free(r);
}

static void test_attach(void)
{
    struct machine m;
    g_assert_cmpint(machine_init(&m, &(struct machine_config){.ram_mb = 1, .manual_clock = true}),
                    ==, 0);
    struct ide *ide = ide_create(&m, NULL, NULL);
    struct blockdev bd = {0};
    g_assert_cmpint(ide_attach_disk(ide, 2, 0, &bd), ==, -1);
    g_assert_cmpint(ide_attach_disk(ide, 0, 2, &bd), ==, -1);
    g_assert_cmpint(ide_attach_disk(ide, 0, 0, NULL), ==, -1);
    g_assert_cmpint(ide_attach_cdrom(ide, 1, 1, NULL), ==, 0);
    g_assert_cmpint(ide_attach_cdrom(ide, 1, 1, NULL), ==, -1);
    /* The legacy ports are taken once; a second controller cannot have them. */
    g_assert_null(ide_create(&m, NULL, NULL));
    ide_destroy(ide);
    g_assert_cmphex(iobus_read(&m.io, CMD + 7, 1), ==, 0xff);
    machine_destroy(&m);
}

/* Mostly small numbers, so commands reach the disk; sometimes anything. */
static uint8_t hostile_byte(GRand *rnd)
{
    return (uint8_t)(g_rand_int_range(rnd, 0, 4) ? (guint32)g_rand_int_range(rnd, 0, 8)
                                                 : g_rand_int(rnd));
}

/* An ATA command with a random task file. */
static void hostile_command(struct rig *r, GRand *rnd)
{
    static const uint8_t ops[] = {0x08, 0x10, 0x20, 0x24, 0x25, 0x29, 0x30, 0x34, 0x35,
                                  0x39, 0x40, 0x42, 0x70, 0x90, 0x91, 0xa0, 0xa1, 0xc4,
                                  0xc5, 0xc6, 0xc8, 0xca, 0xe5, 0xe7, 0xec, 0xef};
    unsigned head = g_rand_int_range(rnd, 0, 4) ? 0 : g_rand_int_range(rnd, 0, 16);
    unsigned lba = g_rand_int_range(rnd, 0, 4) ? 0x40 : 0;
    unsigned unit = g_rand_int_range(rnd, 0, 4) ? 0 : 0x10;
    out8(&r->m, CMD + 6, 0xa0 | lba | unit | head);
    for (unsigned reg = 1; reg <= 5; reg++) {
        bool small = reg < 4 || !g_rand_int_range(rnd, 0, 4);
        if (g_rand_boolean(rnd))
            out8(&r->m, CMD + reg, small ? hostile_byte(rnd) : 0); /* the HOB byte */
        out8(&r->m, CMD + reg, small ? hostile_byte(rnd) : 0);
    }
    unsigned i = g_rand_int_range(rnd, 0, sizeof(ops) + 2);
    out8(&r->m, CMD + 7, i < sizeof(ops) ? ops[i] : g_rand_int(rnd));
    /* Then move some data, often the right amount. */
    unsigned words = g_rand_int_range(rnd, 0, 3) * 256 + g_rand_int_range(rnd, 0, 3);
    bool in = g_rand_boolean(rnd);
    for (unsigned k = 0; k < words; k++) {
        if (in)
            in16(&r->m, CMD);
        else
            out16(&r->m, CMD, g_rand_int(rnd));
    }
}

/* PACKET and a command packet with a known opcode and random fields. */
static void hostile_packet(struct rig *r, GRand *rnd)
{
    static const uint8_t cdbs[] = {0x00, 0x03, 0x12, 0x1a, 0x1b, 0x1e, 0x25, 0x28, 0x2b,
                                   0x43, 0x46, 0x4a, 0x51, 0x5a, 0xa8, 0xbb, 0xbe, 0xff};
    uint8_t cdb[12];
    out8(&r->m, CMD + 6, g_rand_boolean(rnd) ? 0x10 : 0x00);
    out8(&r->m, CMD + 1, g_rand_int_range(rnd, 0, 2));
    out8(&r->m, CMD + 4, g_rand_int(rnd));
    out8(&r->m, CMD + 5, g_rand_int(rnd));
    out8(&r->m, CMD + 7, 0xa0);
    for (unsigned i = 0; i < 12; i++)
        cdb[i] = hostile_byte(rnd);
    cdb[0] = cdbs[g_rand_int_range(rnd, 0, sizeof(cdbs))];
    for (unsigned i = 0; i < 12; i += 2)
        out16(&r->m, CMD, cdb[i] | cdb[i + 1] << 8);
}

/* A PRD table of a few entries, mostly in RAM, then a start or a stop. */
static void hostile_dma(struct rig *r, GRand *rnd)
{
    unsigned n = g_rand_int_range(rnd, 1, 5);
    for (unsigned i = 0; i < n; i++) {
        uint32_t addr = g_rand_int_range(rnd, 0, 8)
                            ? (guint32)g_rand_int_range(rnd, 0, (gint32)r->m.ram_size)
                            : g_rand_int(rnd);
        uint32_t count = g_rand_int_range(rnd, 0, 4) ? (guint32)g_rand_int_range(rnd, 0, 0x3000)
                                                     : g_rand_int(rnd);
        prd(r, i, addr, count & 0xffff, i == n - 1 || !g_rand_int_range(rnd, 0, 8));
    }
    iobus_write(&r->m.io, BM + 4, g_rand_int_range(rnd, 0, 8) ? PRDT : g_rand_int(rnd), 4);
    out8(&r->m, BM + 2, g_rand_int(rnd));
    out8(&r->m, BM, g_rand_int(rnd) & 0x08);
    out8(&r->m, BM, g_rand_int(rnd));
}

/* Random traffic from a hostile guest: nothing may crash or touch host memory (ASan). */
static void test_hostile(void)
{
    struct rig *r = rig_new_mode(DISK_SEC, true, BLOCKDEV_RW);
    GRand *rnd = g_rand_new_with_seed(1234);
    for (unsigned i = 0; i < 30000; i++) {
        unsigned n = g_rand_int_range(rnd, 1, 600);
        switch (g_rand_int_range(rnd, 0, 9)) {
        case 0:
            hostile_command(r, rnd);
            break;
        case 1:
            hostile_packet(r, rnd);
            break;
        case 2:
            for (unsigned k = 0; k < n; k++)
                iobus_read(&r->m.io, CMD, g_rand_boolean(rnd) ? 2 : 4);
            break;
        case 3:
            for (unsigned k = 0; k < n; k++)
                iobus_write(&r->m.io, CMD, g_rand_int(rnd), g_rand_boolean(rnd) ? 2 : 4);
            break;
        case 4:
            out8(&r->m, CMD + g_rand_int_range(rnd, 1, 8), g_rand_int(rnd));
            break;
        case 5:
            in8(&r->m, CMD + g_rand_int_range(rnd, 1, 8));
            in8(&r->m, CTL);
            break;
        case 6:
            out8(&r->m, CTL, g_rand_int(rnd) & (g_rand_int_range(rnd, 0, 8) ? 0x82 : 0x86));
            break;
        default:
            hostile_dma(r, rnd);
            break;
        }
        g_assert_cmpint(r->level[0] | r->level[1], <=, 1);
    }
    g_rand_free(rnd);
    rig_free(r);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ide/identify", test_identify);
    g_test_add_func("/ide/pio-read-lba", test_pio_read_lba);
    g_test_add_func("/ide/pio-read-chs", test_pio_read_chs);
    g_test_add_func("/ide/pio-write-lba", test_pio_write_lba);
    g_test_add_func("/ide/pio-write-chs", test_pio_write_chs);
    g_test_add_func("/ide/read-multiple", test_read_multiple);
    g_test_add_func("/ide/write-multiple", test_write_multiple);
    g_test_add_func("/ide/idnf", test_idnf);
    g_test_add_func("/ide/abort-unknown", test_abort_unknown);
    g_test_add_func("/ide/irq", test_irq);
    g_test_add_func("/ide/soft-reset", test_soft_reset);
    g_test_add_func("/ide/absent-slave", test_absent_slave);
    g_test_add_func("/ide/empty-channel", test_empty_channel);
    g_test_add_func("/ide/dma-read", test_dma_read);
    g_test_add_func("/ide/dma-write", test_dma_write);
    g_test_add_func("/ide/dma-bad-prd", test_dma_bad_prd);
    g_test_add_func("/ide/dma-prd-size", test_dma_prd_size);
    g_test_add_func("/ide/bm-registers", test_bm_registers);
    g_test_add_func("/ide/housekeeping", test_housekeeping);
    g_test_add_func("/ide/sector-count-zero", test_sector_count_zero);
    g_test_add_func("/ide/read-only", test_read_only);
    g_test_add_func("/ide/set-features", test_set_features);
    g_test_add_func("/ide/init-params", test_init_params);
    g_test_add_func("/ide/lba48", test_lba48);
    g_test_add_func("/ide/data32", test_data32);
    g_test_add_func("/ide/diagnostic", test_diagnostic);
    g_test_add_func("/ide/hard-reset", test_hard_reset);
    g_test_add_func("/ide/attach", test_attach);
    g_test_add_func("/ide/hostile", test_hostile);
    return g_test_run();
}
