/*
 * The 82077AA floppy controller at register level, against the datasheet
 * (Intel 290166): the reset sequence and its four SENSE INTERRUPTs, the
 * MSR through command, execution and result phases, VERSION, SPECIFY,
 * CONFIGURE, LOCK, DUMPREG and PERPENDICULAR MODE, RECALIBRATE and SEEKs
 * with SENSE INTERRUPT STATUS, READ DATA by DMA (one sector, multi-track
 * runs, TC and end of cylinder), WRITE DATA, write protection, READ ID and
 * the data rate, VERIFY, FORMAT TRACK, overruns, invalid opcodes, non-DMA
 * transfers through the FIFO, the disk-change bit and the image sizes
 * fdc_attach takes. A 1.44M image with a known pattern backs drive A:.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "devices/fdc.h"
#include "devices/i8237.h"
#include "machine/blockdev.h"
#include "machine/irq.h"
#include "machine/machine.h"
#include "tests/lib/port_io.h"

#define DOR  0x3f2
#define TDR  0x3f3
#define MSR  0x3f4
#define DSR  0x3f4
#define FIFO 0x3f5
#define DIR  0x3f7
#define CCR  0x3f7

#define RQM  0x80
#define DIO  0x40
#define NDMA 0x20
#define CB   0x10

#define DMA_READ_MODE  0x46 /* single, increment, write transfer (to memory), channel 2 */
#define DMA_WRITE_MODE 0x4a /* single, increment, read transfer (from memory), channel 2 */
#define DMA_VERIFY     0x42

#define IMG_1M44 1474560
#define SPT      18
#define BUF      0x10000 /* guest buffer for DMA */
#define STEP_NS  100000u /* well past the controller's delay */

struct irq_rec {
    int level;
    unsigned rises;
};

struct fix {
    struct machine m;
    struct dma *dma;
    struct fdc *fdc;
    struct irq_rec irq;
    struct blockdev bd;
    char *path;
};

static void rec_irq(void *opaque, unsigned n, int level)
{
    struct irq_rec *r = opaque;
    if (level && !r->level)
        r->rises++;
    r->level = level;
}

/* The pattern of the test image: every byte names its sector. */
static uint8_t img_byte(unsigned lba, unsigned i)
{
    return (uint8_t)(lba * 7 + i * 13 + (i >> 8));
}

static char *make_image(uint64_t size)
{
    char *path = NULL;
    int fd = g_file_open_tmp("popek-fdc-XXXXXX", &path, NULL);
    g_assert_cmpint(fd, >=, 0);
    uint8_t sec[512];
    for (unsigned lba = 0; lba < size / 512; lba++) {
        for (unsigned i = 0; i < 512; i++)
            sec[i] = img_byte(lba, i);
        g_assert_cmpint(write(fd, sec, 512), ==, 512);
    }
    close(fd);
    return path;
}

static void run(struct fix *f)
{
    vclock_advance(&f->m.clock, STEP_NS);
}

static void fix_init_mode(struct fix *f, enum blockdev_mode mode)
{
    memset(f, 0, sizeof(*f));
    g_assert_cmpint(
        machine_init(&f->m, &(struct machine_config){.ram_mb = 16, .manual_clock = true}), ==, 0);
    f->dma = dma_create(&f->m);
    g_assert_nonnull(f->dma);
    /* The BIOS's DMA setup: cascade on channel 4. */
    out8(&f->m, 0xda, 0);
    out8(&f->m, 0xd6, 0xc0);
    out8(&f->m, 0xd4, 0x00);
    struct irq_line line = {rec_irq, &f->irq, 6};
    f->fdc = fdc_create(&f->m, f->dma, &line);
    g_assert_nonnull(f->fdc);
    f->path = make_image(IMG_1M44);
    char *err = NULL;
    g_assert_cmpint(blockdev_open(&f->bd, f->path, mode, NULL, &err), ==, 0);
    g_unlink(f->path); /* the open descriptor keeps it; nothing is left behind */
    g_assert_cmpint(fdc_attach(f->fdc, 0, &f->bd, &err), ==, 0);
    out8(&f->m, CCR, 0x00); /* 500 kbps for the 1.44M disk, as a BIOS sets it */
}

static void fix_init(struct fix *f)
{
    fix_init_mode(f, BLOCKDEV_RW);
}

static void fix_fini(struct fix *f)
{
    fdc_destroy(f->fdc);
    dma_destroy(f->dma);
    blockdev_close(&f->bd);
    g_free(f->path);
    machine_destroy(&f->m);
}

/* Write command bytes, each when MSR asks for one. */
static void send(struct fix *f, const uint8_t *cmd, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        g_assert_cmphex(in8(&f->m, MSR) & (RQM | DIO), ==, RQM);
        out8(&f->m, FIFO, cmd[i]);
    }
}

#define SEND(f, ...)                                                                               \
    do {                                                                                           \
        const uint8_t c_[] = {__VA_ARGS__};                                                        \
        send(f, c_, sizeof(c_));                                                                   \
    } while (0)

/* Read n result bytes, checking MSR for each; afterwards the controller wants a command. */
static void result(struct fix *f, uint8_t *r, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        g_assert_cmphex(in8(&f->m, MSR) & 0xf0, ==, RQM | DIO | CB);
        r[i] = in8(&f->m, FIFO);
    }
    g_assert_cmphex(in8(&f->m, MSR), ==, RQM);
}

static void expect(struct fix *f, const uint8_t *want, unsigned n)
{
    uint8_t got[10];
    result(f, got, n);
    g_assert_cmpmem(got, n, want, n);
}

#define EXPECT(f, ...)                                                                             \
    do {                                                                                           \
        const uint8_t w_[] = {__VA_ARGS__};                                                        \
        expect(f, w_, sizeof(w_));                                                                 \
    } while (0)

/* Program DMA channel 2 for `len` bytes at BUF. */
static void dma2(struct fix *f, uint8_t mode, unsigned len)
{
    out8(&f->m, 0x0a, 0x06);
    out8(&f->m, 0x0c, 0);
    out8(&f->m, 0x04, BUF & 0xff);
    out8(&f->m, 0x04, (BUF >> 8) & 0xff);
    out8(&f->m, 0x0c, 0);
    out8(&f->m, 0x05, (len - 1) & 0xff);
    out8(&f->m, 0x05, (len - 1) >> 8);
    out8(&f->m, 0x0b, mode);
    out8(&f->m, 0x81, BUF >> 16);
    out8(&f->m, 0x0a, 0x02);
}

static void check_sectors(struct fix *f, const uint8_t *mem, unsigned lba, unsigned count)
{
    for (unsigned s = 0; s < count; s++)
        for (unsigned i = 0; i < 512; i++)
            g_assert_cmphex(mem[s * 512 + i], ==, img_byte(lba + s, i));
}

/* SEEK and its SENSE INTERRUPT. */
static void seek(struct fix *f, uint8_t hds, uint8_t cyl)
{
    SEND(f, 0x0f, hds, cyl);
    run(f);
    SEND(f, 0x08);
    EXPECT(f, 0x20 | (hds & 7), cyl);
}

/* --- tests ------------------------------------------------------------ */

static void test_reset_sequence(void)
{
    struct fix f;
    fix_init(&f);
    g_assert_cmphex(in8(&f.m, DOR), ==, 0x0c);
    g_assert_cmphex(in8(&f.m, MSR), ==, RQM);
    /* DOR bit 2 low holds the controller in reset. */
    out8(&f.m, DOR, 0x08);
    g_assert_cmphex(in8(&f.m, MSR), ==, 0);
    run(&f);
    g_assert_cmpint(f.irq.level, ==, 0);
    /* Leaving reset: the polling interrupt comes a little later. */
    out8(&f.m, DOR, 0x0c);
    g_assert_cmpint(f.irq.level, ==, 0);
    run(&f);
    g_assert_cmpint(f.irq.level, ==, 1);
    /* Four SENSE INTERRUPTs: "ready changed" for each drive; the first clears INT. */
    for (unsigned d = 0; d < 4; d++) {
        SEND(&f, 0x08);
        EXPECT(&f, 0xc0 | d, 0);
        g_assert_cmpint(f.irq.level, ==, 0);
    }
    SEND(&f, 0x08);
    EXPECT(&f, 0x80);
    g_assert_cmpuint(f.irq.rises, ==, 1);
    /* DSR bit 7 resets too, and clears itself. */
    out8(&f.m, DSR, 0x80);
    run(&f);
    g_assert_cmpint(f.irq.level, ==, 1);
    g_assert_cmphex(in8(&f.m, MSR), ==, RQM);
    SEND(&f, 0x08);
    EXPECT(&f, 0xc0, 0);
    fix_fini(&f);
}

static void test_dma_gate_holds_irq(void)
{
    struct fix f;
    fix_init(&f);
    /* Without DOR bit 3 the interrupt stays inside the controller. */
    out8(&f.m, DOR, 0x00);
    out8(&f.m, DOR, 0x04);
    run(&f);
    g_assert_cmpint(f.irq.level, ==, 0);
    out8(&f.m, DOR, 0x0c);
    g_assert_cmpint(f.irq.level, ==, 1);
    out8(&f.m, DOR, 0x04);
    g_assert_cmpint(f.irq.level, ==, 0);
    fix_fini(&f);
}

static void test_version_and_invalid(void)
{
    struct fix f;
    fix_init(&f);
    SEND(&f, 0x10);
    EXPECT(&f, 0x90);
    /* PART ID (82078), SCAN EQUAL, and garbage: invalid, no interrupt. */
    const uint8_t bad[] = {0x18, 0x11, 0x00, 0xff, 0x47, 0x25};
    for (unsigned i = 0; i < sizeof(bad); i++) {
        SEND(&f, bad[i]);
        EXPECT(&f, 0x80);
    }
    run(&f);
    g_assert_cmpuint(f.irq.rises, ==, 0);
    /* SENSE INTERRUPT with nothing to report is invalid too. */
    SEND(&f, 0x08);
    EXPECT(&f, 0x80);
    fix_fini(&f);
}

static void test_specify_configure_dumpreg(void)
{
    struct fix f;
    fix_init(&f);
    g_assert_cmphex(in8(&f.m, MSR), ==, RQM);
    out8(&f.m, FIFO, 0x03);
    g_assert_cmphex(in8(&f.m, MSR), ==, RQM | CB); /* more command bytes wanted */
    out8(&f.m, FIFO, 0xaf);
    out8(&f.m, FIFO, 0x02);
    g_assert_cmphex(in8(&f.m, MSR), ==, RQM);
    SEND(&f, 0x13, 0x00, 0x57, 0x10); /* EIS, POLL off, FIFOTHR 7 */
    SEND(&f, 0x12, 0x80 | 0x0c | 0x03);
    SEND(&f, 0x0e);
    EXPECT(&f, 0, 0, 0, 0, 0xaf, 0x02, 0, 0x0f, 0x57, 0x10);
    /* Without LOCK a reset restores the CONFIGURE defaults and clears GAP/WGATE. */
    out8(&f.m, DOR, 0x08);
    out8(&f.m, DOR, 0x0c);
    SEND(&f, 0x0e);
    EXPECT(&f, 0, 0, 0, 0, 0xaf, 0x02, 0, 0x0c, 0x20, 0x00);
    /* LOCK keeps EFIFO, FIFOTHR and PRETRK (not EIS, POLL) over a software reset. */
    SEND(&f, 0x94);
    EXPECT(&f, 0x10);
    SEND(&f, 0x13, 0x00, 0x47, 0x22);
    out8(&f.m, DSR, 0x80);
    SEND(&f, 0x0e);
    EXPECT(&f, 0, 0, 0, 0, 0xaf, 0x02, 0, 0x8c, 0x07, 0x22);
    SEND(&f, 0x14);
    EXPECT(&f, 0x00);
    out8(&f.m, DSR, 0x80);
    SEND(&f, 0x0e);
    EXPECT(&f, 0, 0, 0, 0, 0xaf, 0x02, 0, 0x0c, 0x20, 0x00);
    fix_fini(&f);
}

static void test_recalibrate_and_seek(void)
{
    struct fix f;
    fix_init(&f);
    SEND(&f, 0x07, 0x00);
    g_assert_cmphex(in8(&f.m, MSR), ==, RQM | 0x01); /* drive 0 busy seeking */
    g_assert_cmpint(f.irq.level, ==, 0);
    run(&f);
    g_assert_cmpint(f.irq.level, ==, 1);
    g_assert_cmphex(in8(&f.m, MSR), ==, RQM);
    SEND(&f, 0x08);
    EXPECT(&f, 0x20, 0);
    g_assert_cmpint(f.irq.level, ==, 0);
    /* SENSE DRIVE STATUS: track 0, bits 3 and 5 set, head and drive echoed. */
    SEND(&f, 0x04, 0x04);
    EXPECT(&f, 0x38 | 0x04);
    seek(&f, 0x04, 40);
    SEND(&f, 0x04, 0x00);
    EXPECT(&f, 0x28);
    SEND(&f, 0x0e);
    uint8_t r[10];
    result(&f, r, 10);
    g_assert_cmpuint(r[0], ==, 40);
    /* Relative seeks, in and out. */
    SEND(&f, 0xcf, 0x00, 5);
    run(&f);
    SEND(&f, 0x08);
    EXPECT(&f, 0x20, 45);
    SEND(&f, 0x8f, 0x00, 10);
    run(&f);
    SEND(&f, 0x08);
    EXPECT(&f, 0x20, 35);
    /* Recalibrate from 35 reaches track 0. */
    SEND(&f, 0x07, 0x00);
    run(&f);
    SEND(&f, 0x08);
    EXPECT(&f, 0x20, 0);
    /* No drive 1: TRK0 never comes, equipment check. */
    SEND(&f, 0x07, 0x01);
    run(&f);
    SEND(&f, 0x08);
    EXPECT(&f, 0x71, 0);
    fix_fini(&f);
}

static void test_overlapped_seeks(void)
{
    struct fix f;
    fix_init(&f);
    SEND(&f, 0x0f, 0x00, 3);
    SEND(&f, 0x0f, 0x01, 7);
    g_assert_cmphex(in8(&f.m, MSR), ==, RQM | 0x03);
    run(&f);
    SEND(&f, 0x08);
    EXPECT(&f, 0x20, 3);
    SEND(&f, 0x08);
    EXPECT(&f, 0x21, 7);
    SEND(&f, 0x08);
    EXPECT(&f, 0x80);
    fix_fini(&f);
}

static void test_read_one_sector(void)
{
    struct fix f;
    fix_init(&f);
    seek(&f, 0x00, 3);
    dma2(&f, DMA_READ_MODE, 512);
    SEND(&f, 0xe6, 0x00, 3, 0, 5, 2, 18, 0x1b, 0xff);
    /* Execution phase in DMA mode: busy, no RQM; nothing moved yet. */
    g_assert_cmphex(in8(&f.m, MSR), ==, CB);
    g_assert_cmphex(f.m.ram[BUF], ==, 0);
    g_assert_cmpint(f.irq.level, ==, 0);
    run(&f);
    g_assert_cmpint(f.irq.level, ==, 1);
    check_sectors(&f, f.m.ram + BUF, 3 * 2 * SPT + 4, 1);
    g_assert_cmphex(in8(&f.m, MSR), ==, RQM | DIO | CB);
    out8(&f.m, FIFO, 0x55); /* ignored in the result phase */
    /* The first result byte clears INT. */
    g_assert_cmphex(in8(&f.m, FIFO), ==, 0x00);
    g_assert_cmpint(f.irq.level, ==, 0);
    /* TC after sector 5: normal termination, R points past it. */
    EXPECT(&f, 0x00, 0x00, 3, 0, 6, 2);
    fix_fini(&f);
}

static void test_read_multitrack(void)
{
    struct fix f;
    fix_init(&f);
    /* Sectors 17-18 of side 0, then 1-2 of side 1: four sectors in a row of the image. */
    dma2(&f, DMA_READ_MODE, 4 * 512);
    SEND(&f, 0xe6, 0x00, 0, 0, 17, 2, 18, 0x1b, 0xff);
    run(&f);
    check_sectors(&f, f.m.ram + BUF, 16, 4);
    EXPECT(&f, 0x04, 0x00, 0x00, 0, 1, 3, 2);
    /* Ending on the last sector of side 1: next cylinder, H back to 0, R = 1. */
    seek(&f, 0x00, 5);
    dma2(&f, DMA_READ_MODE, 512);
    SEND(&f, 0xe6, 0x04, 5, 1, 18, 2, 18, 0x1b, 0xff);
    run(&f);
    check_sectors(&f, f.m.ram + BUF, (5 * 2 + 1) * SPT + 17, 1);
    EXPECT(&f, 0x04, 0x00, 0x00, 6, 0, 1, 2);
    fix_fini(&f);
}

static void test_read_end_of_cylinder(void)
{
    struct fix f;
    fix_init(&f);
    /* No MT: the transfer stops after EOT without TC, end of cylinder. */
    dma2(&f, DMA_READ_MODE, 4 * 512);
    SEND(&f, 0x66, 0x00, 0, 0, 17, 2, 18, 0x1b, 0xff);
    run(&f);
    check_sectors(&f, f.m.ram + BUF, 16, 2);
    EXPECT(&f, 0x40, 0x80, 0x00, 1, 0, 1, 2);
    fix_fini(&f);
}

static void test_read_missing_sector(void)
{
    struct fix f;
    fix_init(&f);
    /* Sector 19 of an 18-sector track: no data. */
    dma2(&f, DMA_READ_MODE, 512);
    SEND(&f, 0xe6, 0x00, 0, 0, 19, 2, 19, 0x1b, 0xff);
    run(&f);
    EXPECT(&f, 0x40, 0x04, 0x00, 0, 0, 19, 2);
    /* Cylinder 3 asked while the head is on 0: no data, wrong cylinder. */
    dma2(&f, DMA_READ_MODE, 512);
    SEND(&f, 0xe6, 0x00, 3, 0, 1, 2, 18, 0x1b, 0xff);
    run(&f);
    EXPECT(&f, 0x40, 0x04, 0x10, 3, 0, 1, 2);
    /* A size code other than 2. */
    SEND(&f, 0xe6, 0x00, 0, 0, 1, 3, 18, 0x1b, 0xff);
    run(&f);
    EXPECT(&f, 0x40, 0x04, 0x00, 0, 0, 1, 3);
    /* Past the last cylinder there are no address marks at all. */
    seek(&f, 0x00, 81);
    SEND(&f, 0xe6, 0x00, 81, 0, 1, 2, 18, 0x1b, 0xff);
    run(&f);
    EXPECT(&f, 0x40, 0x01, 0x00, 81, 0, 1, 2);
    fix_fini(&f);
}

static void test_implied_seek(void)
{
    struct fix f;
    fix_init(&f);
    SEND(&f, 0x13, 0x00, 0x60, 0x00); /* EIS */
    dma2(&f, DMA_READ_MODE, 512);
    SEND(&f, 0xe6, 0x00, 7, 0, 1, 2, 18, 0x1b, 0xff);
    run(&f);
    check_sectors(&f, f.m.ram + BUF, 7 * 2 * SPT, 1);
    EXPECT(&f, 0x20, 0x00, 0x00, 7, 0, 2, 2);
    SEND(&f, 0x0e);
    uint8_t r[10];
    result(&f, r, 10);
    g_assert_cmpuint(r[0], ==, 7);
    fix_fini(&f);
}

static void test_write_sector(void)
{
    struct fix f;
    fix_init(&f);
    for (unsigned i = 0; i < 512; i++)
        f.m.ram[BUF + i] = (uint8_t)(0x5a ^ i);
    seek(&f, 0x04, 2);
    dma2(&f, DMA_WRITE_MODE, 512);
    SEND(&f, 0xc5, 0x04, 2, 1, 3, 2, 18, 0x1b, 0xff);
    run(&f);
    EXPECT(&f, 0x04, 0x00, 0x00, 2, 1, 4, 2);
    uint8_t sec[512];
    g_assert_cmpint(blockdev_read(&f.bd, (2 * 2 + 1) * SPT + 2, sec, 1), ==, 0);
    g_assert_cmpmem(sec, 512, f.m.ram + BUF, 512);
    /* Neighbours untouched. */
    g_assert_cmpint(blockdev_read(&f.bd, (2 * 2 + 1) * SPT + 3, sec, 1), ==, 0);
    g_assert_cmphex(sec[0], ==, img_byte((2 * 2 + 1) * SPT + 3, 0));
    /* TC inside a sector: the rest of it is written as zeros. */
    dma2(&f, DMA_WRITE_MODE, 100);
    SEND(&f, 0xc5, 0x04, 2, 1, 9, 2, 18, 0x1b, 0xff);
    run(&f);
    EXPECT(&f, 0x04, 0x00, 0x00, 2, 1, 10, 2);
    g_assert_cmpint(blockdev_read(&f.bd, (2 * 2 + 1) * SPT + 8, sec, 1), ==, 0);
    g_assert_cmpmem(sec, 100, f.m.ram + BUF, 100);
    for (unsigned i = 100; i < 512; i++)
        g_assert_cmphex(sec[i], ==, 0);
    fix_fini(&f);
}

static void test_write_protect(void)
{
    struct fix f;
    fix_init_mode(&f, BLOCKDEV_RO);
    SEND(&f, 0x04, 0x00);
    EXPECT(&f, 0x40 | 0x38);
    dma2(&f, DMA_WRITE_MODE, 512);
    SEND(&f, 0xc5, 0x00, 0, 0, 1, 2, 18, 0x1b, 0xff);
    run(&f);
    EXPECT(&f, 0x40, 0x02, 0x00, 0, 0, 1, 2);
    uint8_t sec[512];
    g_assert_cmpint(blockdev_read(&f.bd, 0, sec, 1), ==, 0);
    g_assert_cmphex(sec[0], ==, img_byte(0, 0));
    /* FORMAT too. */
    SEND(&f, 0x4d, 0x00, 2, 18, 0x6c, 0xf6);
    run(&f);
    uint8_t r[7];
    result(&f, r, 7);
    g_assert_cmphex(r[0], ==, 0x40);
    g_assert_cmphex(r[1], ==, 0x02);
    fix_fini(&f);
}

static void test_read_id_and_rate(void)
{
    struct fix f;
    fix_init(&f);
    seek(&f, 0x04, 12);
    /* Place the disk 60 ms into a 200 ms turn: sector 6 of 18 is under the head. */
    uint64_t now = vclock_now(&f.m.clock);
    vclock_advance(&f.m.clock, 200000000 - now % 200000000 + 60000000);
    SEND(&f, 0x4a, 0x04);
    run(&f);
    EXPECT(&f, 0x04, 0x00, 0x00, 12, 1, 6, 2);
    vclock_advance(&f.m.clock, 100000000);
    SEND(&f, 0x4a, 0x04);
    run(&f);
    EXPECT(&f, 0x04, 0x00, 0x00, 12, 1, 15, 2);
    /* At 250 kbps a 1.44M disk shows no address marks; FM finds none either. */
    out8(&f.m, CCR, 0x02);
    SEND(&f, 0x4a, 0x04);
    run(&f);
    uint8_t r[7];
    result(&f, r, 7);
    g_assert_cmphex(r[0], ==, 0x44);
    g_assert_cmphex(r[1], ==, 0x01);
    out8(&f.m, DSR, 0x00);
    SEND(&f, 0x0a, 0x04);
    run(&f);
    result(&f, r, 7);
    g_assert_cmphex(r[1], ==, 0x01);
    dma2(&f, DMA_READ_MODE, 512);
    out8(&f.m, CCR, 0x02);
    SEND(&f, 0xe6, 0x04, 12, 1, 1, 2, 18, 0x1b, 0xff);
    run(&f);
    EXPECT(&f, 0x44, 0x01, 0x00, 12, 1, 1, 2);
    out8(&f.m, CCR, 0x00);
    SEND(&f, 0xe6, 0x04, 12, 1, 1, 2, 18, 0x1b, 0xff);
    run(&f);
    EXPECT(&f, 0x04, 0x00, 0x00, 12, 1, 2, 2);
    fix_fini(&f);
}

static void test_no_medium(void)
{
    struct fix f;
    fix_init(&f);
    g_assert_cmpint(fdc_attach(f.fdc, 0, NULL, NULL), ==, 0);
    g_assert_cmpint(fdc_drive_type(f.fdc, 0), ==, FDC_TYPE_1M44);
    dma2(&f, DMA_READ_MODE, 512);
    SEND(&f, 0xe6, 0x00, 0, 0, 1, 2, 18, 0x1b, 0xff);
    run(&f);
    EXPECT(&f, 0x48, 0x00, 0x00, 0, 0, 1, 2);
    /* Drive 1 has no drive at all. */
    SEND(&f, 0x4a, 0x01);
    run(&f);
    EXPECT(&f, 0x49, 0x00, 0x00, 0, 0, 1, 2);
    fix_fini(&f);
}

static void test_verify(void)
{
    struct fix f;
    fix_init(&f);
    /* EC: three sectors counted, normal. */
    SEND(&f, 0x56, 0x80, 0, 0, 1, 2, 18, 0x1b, 3);
    run(&f);
    EXPECT(&f, 0x00, 0x00, 0x00, 0, 0, 4, 2);
    /* No EC: up to EOT is a normal end. */
    SEND(&f, 0x56, 0x00, 0, 0, 16, 2, 18, 0x1b, 0xff);
    run(&f);
    EXPECT(&f, 0x00, 0x00, 0x00, 1, 0, 1, 2);
    /* EC with more sectors than the track has left: end of cylinder. */
    SEND(&f, 0x56, 0x80, 0, 0, 16, 2, 18, 0x1b, 5);
    run(&f);
    EXPECT(&f, 0x40, 0x80, 0x00, 1, 0, 1, 2);
    /* READ DATA with the DMA channel in verify mode: counted, memory untouched. */
    dma2(&f, DMA_VERIFY, 1024);
    SEND(&f, 0xe6, 0x00, 0, 0, 1, 2, 18, 0x1b, 0xff);
    run(&f);
    EXPECT(&f, 0x00, 0x00, 0x00, 0, 0, 3, 2);
    g_assert_cmphex(f.m.ram[BUF], ==, 0);
    fix_fini(&f);
}

static void test_format_track(void)
{
    struct fix f;
    fix_init(&f);
    seek(&f, 0x04, 4);
    for (unsigned s = 0; s < SPT; s++) {
        f.m.ram[BUF + 4 * s + 0] = 4;
        f.m.ram[BUF + 4 * s + 1] = 1;
        f.m.ram[BUF + 4 * s + 2] = (uint8_t)(s + 1);
        f.m.ram[BUF + 4 * s + 3] = 2;
    }
    dma2(&f, DMA_WRITE_MODE, 4 * SPT);
    SEND(&f, 0x4d, 0x04, 2, SPT, 0x6c, 0xf6);
    run(&f);
    uint8_t r[7];
    result(&f, r, 7);
    g_assert_cmphex(r[0], ==, 0x04);
    g_assert_cmphex(r[1], ==, 0x00);
    uint8_t sec[512];
    for (unsigned s = 0; s < SPT; s++) {
        g_assert_cmpint(blockdev_read(&f.bd, (4 * 2 + 1) * SPT + s, sec, 1), ==, 0);
        for (unsigned i = 0; i < 512; i++)
            g_assert_cmphex(sec[i], ==, 0xf6);
    }
    /* The other side is untouched. */
    g_assert_cmpint(blockdev_read(&f.bd, 4 * 2 * SPT, sec, 1), ==, 0);
    g_assert_cmphex(sec[0], ==, img_byte(4 * 2 * SPT, 0));
    SEND(&f, 0x0e);
    uint8_t d[10];
    result(&f, d, 10);
    g_assert_cmpuint(d[6], ==, SPT); /* DUMPREG shows SC after a FORMAT */
    fix_fini(&f);
}

static void test_overrun(void)
{
    struct fix f;
    fix_init(&f);
    /* DMA channel 2 masked: the controller is never served. */
    dma2(&f, DMA_READ_MODE, 512);
    out8(&f.m, 0x0a, 0x06);
    SEND(&f, 0xe6, 0x00, 0, 0, 1, 2, 18, 0x1b, 0xff);
    run(&f);
    EXPECT(&f, 0x40, 0x10, 0x00, 0, 0, 1, 2);
    /* Channel programmed the wrong way round. */
    dma2(&f, DMA_WRITE_MODE, 512);
    SEND(&f, 0xe6, 0x00, 0, 0, 1, 2, 18, 0x1b, 0xff);
    run(&f);
    EXPECT(&f, 0x40, 0x10, 0x00, 0, 0, 1, 2);
    /* DOR bit 3 low gates DRQ off as well. */
    dma2(&f, DMA_READ_MODE, 512);
    out8(&f.m, DOR, 0x04);
    SEND(&f, 0xe6, 0x00, 0, 0, 1, 2, 18, 0x1b, 0xff);
    run(&f);
    g_assert_cmpint(f.irq.level, ==, 0);
    out8(&f.m, DOR, 0x0c);
    g_assert_cmpint(f.irq.level, ==, 1);
    EXPECT(&f, 0x40, 0x10, 0x00, 0, 0, 1, 2);
    fix_fini(&f);
}

static void test_non_dma_read(void)
{
    struct fix f;
    fix_init(&f);
    SEND(&f, 0x03, 0xaf, 0x03); /* ND */
    SEND(&f, 0x46, 0x00, 0, 0, 1, 2, 2, 0x1b, 0xff);
    g_assert_cmphex(in8(&f.m, MSR), ==, CB);
    run(&f);
    unsigned rises = f.irq.rises;
    g_assert_cmpint(f.irq.level, ==, 1);
    uint8_t buf[1024];
    for (unsigned i = 0; i < sizeof(buf); i++) {
        g_assert_cmphex(in8(&f.m, MSR), ==, RQM | DIO | NDMA | CB);
        g_assert_cmpint(f.irq.level, ==, 1);
        buf[i] = in8(&f.m, FIFO);
    }
    check_sectors(&f, buf, 0, 2);
    /* One interrupt a byte, and one for the result phase. */
    g_assert_cmpuint(f.irq.rises - rises, ==, sizeof(buf));
    g_assert_cmpint(f.irq.level, ==, 1);
    /* No TC without DMA: EOT ends it, with the end-of-cylinder bit. */
    EXPECT(&f, 0x40, 0x80, 0x00, 1, 0, 1, 2);
    fix_fini(&f);
}

static void test_non_dma_write(void)
{
    struct fix f;
    fix_init(&f);
    SEND(&f, 0x03, 0xaf, 0x03);
    SEND(&f, 0x45, 0x00, 0, 0, 5, 2, 5, 0x1b, 0xff);
    run(&f);
    for (unsigned i = 0; i < 512; i++) {
        g_assert_cmphex(in8(&f.m, MSR), ==, RQM | NDMA | CB);
        out8(&f.m, FIFO, (uint8_t)(i ^ 0x33));
    }
    EXPECT(&f, 0x40, 0x80, 0x00, 1, 0, 1, 2);
    uint8_t sec[512];
    g_assert_cmpint(blockdev_read(&f.bd, 4, sec, 1), ==, 0);
    for (unsigned i = 0; i < 512; i++)
        g_assert_cmphex(sec[i], ==, (uint8_t)(i ^ 0x33));
    fix_fini(&f);
}

static void test_disk_change(void)
{
    struct fix f;
    fix_init(&f);
    g_assert_cmphex(in8(&f.m, DIR), ==, 0xff); /* DSKCHG after the medium went in */
    seek(&f, 0x00, 0);                         /* no step pulse: still set */
    g_assert_cmphex(in8(&f.m, DIR) & 0x80, ==, 0x80);
    seek(&f, 0x00, 1);
    g_assert_cmphex(in8(&f.m, DIR), ==, 0x7f);
    /* A new medium sets it again. */
    g_assert_cmpint(fdc_attach(f.fdc, 0, &f.bd, NULL), ==, 0);
    g_assert_cmphex(in8(&f.m, DIR) & 0x80, ==, 0x80);
    /* DIR shows the drive DOR selects: drive 1 has none. */
    out8(&f.m, DOR, 0x1d);
    g_assert_cmphex(in8(&f.m, DIR) & 0x80, ==, 0);
    out8(&f.m, DOR, 0x1c);
    SEND(&f, 0x07, 0x00);
    run(&f);
    SEND(&f, 0x08);
    EXPECT(&f, 0x20, 0);
    g_assert_cmphex(in8(&f.m, DIR) & 0x80, ==, 0);
    /* TDR keeps bits 0-1. */
    out8(&f.m, TDR, 0xff);
    g_assert_cmphex(in8(&f.m, TDR), ==, 0xff);
    out8(&f.m, TDR, 0x00);
    g_assert_cmphex(in8(&f.m, TDR), ==, 0xfc);
    fix_fini(&f);
}

static void test_attach_sizes(void)
{
    struct fix f;
    fix_init(&f);
    static const struct {
        uint64_t size;
        int type;
    } sizes[] = {
        {163840, 1},  {184320, 1},  {327680, 1},  {368640, 1},  {737280, 3},
        {1228800, 2}, {1474560, 4}, {1720320, 4}, {2949120, 5},
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(sizes); i++) {
        struct blockdev bd = {.fd = -1, .size = sizes[i].size};
        char *err = NULL;
        g_assert_cmpint(fdc_attach(f.fdc, 1, &bd, &err), ==, 0);
        g_assert_null(err);
        g_assert_cmpint(fdc_drive_type(f.fdc, 1), ==, sizes[i].type);
    }
    g_assert_cmpint(fdc_attach(f.fdc, 1, NULL, NULL), ==, 0);
    struct blockdev odd = {.fd = -1, .size = 1474560 + 512, .path = (char *)"odd.img"};
    char *err = NULL;
    g_assert_cmpint(fdc_attach(f.fdc, 1, &odd, &err), ==, -1);
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err, "odd.img"));
    g_free(err);
    err = NULL;
    g_assert_cmpint(fdc_attach(f.fdc, 2, &f.bd, &err), ==, -1);
    g_assert_nonnull(err);
    g_free(err);
    g_assert_cmpint(fdc_drive_type(f.fdc, 0), ==, 4);
    g_assert_cmpint(fdc_drive_type(f.fdc, 2), ==, 0);
    fix_fini(&f);
}

static void test_reset_mid_command(void)
{
    struct fix f;
    fix_init(&f);
    dma2(&f, DMA_READ_MODE, 512);
    SEND(&f, 0xe6, 0x00, 0, 0, 1, 2, 18, 0x1b, 0xff);
    out8(&f.m, DOR, 0x08); /* reset before the transfer ran */
    out8(&f.m, DOR, 0x0c);
    run(&f);
    g_assert_cmphex(f.m.ram[BUF], ==, 0);
    g_assert_cmphex(in8(&f.m, MSR), ==, RQM);
    SEND(&f, 0x08);
    EXPECT(&f, 0xc0, 0);
    /* fdc_reset: as the BIOS leaves it, nothing pending. */
    SEND(&f, 0x03);
    fdc_reset(f.fdc);
    g_assert_cmphex(in8(&f.m, DOR), ==, 0x0c);
    g_assert_cmphex(in8(&f.m, MSR), ==, RQM);
    g_assert_cmpint(f.irq.level, ==, 0);
    SEND(&f, 0x08);
    EXPECT(&f, 0x80);
    fix_fini(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/fdc/reset-sequence", test_reset_sequence);
    g_test_add_func("/fdc/dma-gate-holds-irq", test_dma_gate_holds_irq);
    g_test_add_func("/fdc/version-and-invalid", test_version_and_invalid);
    g_test_add_func("/fdc/specify-configure-dumpreg", test_specify_configure_dumpreg);
    g_test_add_func("/fdc/recalibrate-and-seek", test_recalibrate_and_seek);
    g_test_add_func("/fdc/overlapped-seeks", test_overlapped_seeks);
    g_test_add_func("/fdc/read-one-sector", test_read_one_sector);
    g_test_add_func("/fdc/read-multitrack", test_read_multitrack);
    g_test_add_func("/fdc/read-end-of-cylinder", test_read_end_of_cylinder);
    g_test_add_func("/fdc/read-missing-sector", test_read_missing_sector);
    g_test_add_func("/fdc/implied-seek", test_implied_seek);
    g_test_add_func("/fdc/write-sector", test_write_sector);
    g_test_add_func("/fdc/write-protect", test_write_protect);
    g_test_add_func("/fdc/read-id-and-rate", test_read_id_and_rate);
    g_test_add_func("/fdc/no-medium", test_no_medium);
    g_test_add_func("/fdc/verify", test_verify);
    g_test_add_func("/fdc/format-track", test_format_track);
    g_test_add_func("/fdc/overrun", test_overrun);
    g_test_add_func("/fdc/non-dma-read", test_non_dma_read);
    g_test_add_func("/fdc/non-dma-write", test_non_dma_write);
    g_test_add_func("/fdc/disk-change", test_disk_change);
    g_test_add_func("/fdc/attach-sizes", test_attach_sizes);
    g_test_add_func("/fdc/reset-mid-command", test_reset_mid_command);
    return g_test_run();
}
