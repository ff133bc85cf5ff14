/*
 * The two 8237A DMA controllers at register level, against the 8237A
 * datasheet and the PC/AT wiring: address and count programming through
 * the byte flip-flop, page registers, memory-write, memory-read and verify
 * transfers, terminal count and the status register, autoinitialize,
 * the mask registers and the cascade channel, address decrement, the
 * 64 KiB / 128 KiB page wrap, and DMA2's word channels.
 */
#include <glib.h>
#include <string.h>

#include "devices/i8237.h"
#include "machine/machine.h"
#include "tests/lib/port_io.h"

/* DMA1 registers */
#define ADDR(ch)     (2 * (ch))
#define COUNT(ch)    (2 * (ch) + 1)
#define STATUS       0x08
#define COMMAND      0x08
#define REQUEST      0x09
#define SINGLE_MASK  0x0a
#define MODE         0x0b
#define CLEAR_FF     0x0c
#define MASTER_CLEAR 0x0d
#define TEMP         0x0d
#define CLEAR_MASK   0x0e
#define ALL_MASK     0x0f
#define DMA2(reg)    (0xc0 + 2 * (reg))
#define PAGE_CH2     0x81
#define PAGE_CH5     0x8b

/* Mode bits */
#define M_VERIFY    0x00
#define M_WRITE     0x04
#define M_READ      0x08
#define M_AUTOINIT  0x10
#define M_DECREMENT 0x20
#define M_SINGLE    0x40
#define M_CASCADE   0xc0

struct fix {
    struct machine m;
    struct dma *dma;
};

/* What SeaBIOS does at POST: master clears, channel 4 cascade and unmasked. */
static void fix_init(struct fix *f)
{
    g_assert_cmpint(
        machine_init(&f->m, &(struct machine_config){.ram_mb = 16, .manual_clock = true}), ==, 0);
    f->dma = dma_create(&f->m);
    g_assert_nonnull(f->dma);
    out8(&f->m, MASTER_CLEAR, 0);
    out8(&f->m, DMA2(MASTER_CLEAR), 0);
    out8(&f->m, DMA2(MODE), M_CASCADE);
    out8(&f->m, DMA2(SINGLE_MASK), 0x00);
}

static void fix_fini(struct fix *f)
{
    dma_destroy(f->dma);
    machine_destroy(&f->m);
}

/* Program an 8-bit channel 0-3 of DMA1 (or 16-bit 4-7 of DMA2) and unmask it. */
static void program(struct fix *f, unsigned ch, uint8_t mode, uint8_t page, uint16_t addr,
                    uint16_t count)
{
    static const uint16_t page_port[8] = {0x87, 0x83, 0x81, 0x82, 0x8f, 0x8b, 0x89, 0x8a};
    unsigned n = ch & 3;
    uint16_t base = ch < 4 ? 0 : 0xc0;
    unsigned step = ch < 4 ? 1 : 2;
    out8(&f->m, base + step * SINGLE_MASK, 0x04 | n);
    out8(&f->m, base + step * CLEAR_FF, 0);
    out8(&f->m, base + step * ADDR(n), addr & 0xff);
    out8(&f->m, base + step * ADDR(n), addr >> 8);
    out8(&f->m, base + step * COUNT(n), count & 0xff);
    out8(&f->m, base + step * COUNT(n), count >> 8);
    out8(&f->m, base + step * MODE, mode | n);
    out8(&f->m, page_port[ch], page);
    out8(&f->m, base + step * SINGLE_MASK, n);
}

static void test_flipflop_programming(void)
{
    struct fix f;
    fix_init(&f);
    out8(&f.m, CLEAR_FF, 0);
    out8(&f.m, ADDR(1), 0x34);
    out8(&f.m, ADDR(1), 0x12);
    out8(&f.m, COUNT(1), 0x78);
    out8(&f.m, COUNT(1), 0x56);
    out8(&f.m, CLEAR_FF, 0);
    g_assert_cmphex(in8_lohi(&f.m, ADDR(1)), ==, 0x1234);
    g_assert_cmphex(in8_lohi(&f.m, COUNT(1)), ==, 0x5678);
    /* One read leaves the flip-flop at the high byte; clearing it restarts at the low one. */
    g_assert_cmphex(in8(&f.m, ADDR(1)), ==, 0x34);
    g_assert_cmphex(in8(&f.m, ADDR(1)), ==, 0x12);
    g_assert_cmphex(in8(&f.m, ADDR(1)), ==, 0x34);
    out8(&f.m, CLEAR_FF, 0);
    g_assert_cmphex(in8(&f.m, ADDR(1)), ==, 0x34);
    /* The flip-flop is shared by all registers of a controller. */
    out8(&f.m, ADDR(3), 0xcd); /* high byte of channel 3 */
    out8(&f.m, CLEAR_FF, 0);
    g_assert_cmphex(in8_lohi(&f.m, ADDR(3)), ==, 0xcd00);
    /* Master clear resets the flip-flop too. */
    out8(&f.m, CLEAR_FF, 0);
    in8(&f.m, ADDR(1));
    out8(&f.m, MASTER_CLEAR, 0);
    g_assert_cmphex(in8(&f.m, ADDR(1)), ==, 0x34);
    fix_fini(&f);
}

static void test_page_registers(void)
{
    struct fix f;
    fix_init(&f);
    for (uint16_t p = 0x81; p <= 0x8f; p++)
        out8(&f.m, p, (uint8_t)(p ^ 0xa5));
    for (uint16_t p = 0x81; p <= 0x8f; p++)
        g_assert_cmphex(in8(&f.m, p), ==, (uint8_t)(p ^ 0xa5));
    /* Port 0x80 is the POST port: not claimed here, so it reads as nothing. */
    g_assert_cmphex(in8(&f.m, 0x80), ==, 0xff);
    fix_fini(&f);
}

static void test_write_transfer(void)
{
    struct fix f;
    fix_init(&f);
    program(&f, 2, M_SINGLE | M_WRITE, 0x05, 0x1234, 511);
    g_assert_true(dma_channel_ready(f.dma, 2));
    uint8_t buf[600];
    for (unsigned i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 7 + 1);
    g_assert_cmpint(dma_transfer(f.dma, 2, buf, 100, true), ==, 100);
    g_assert_cmpmem(f.m.ram + 0x51234, 100, buf, 100);
    g_assert_false(dma_terminal_count(f.dma, 2));
    out8(&f.m, CLEAR_FF, 0);
    g_assert_cmphex(in8_lohi(&f.m, ADDR(2)), ==, 0x1234 + 100);
    g_assert_cmphex(in8_lohi(&f.m, COUNT(2)), ==, 511 - 100);
    g_assert_cmphex(in8(&f.m, STATUS) & 0x0f, ==, 0);
    /* The rest: stops at terminal count although more is offered. */
    g_assert_cmpint(dma_transfer(f.dma, 2, buf + 100, 500, true), ==, 412);
    g_assert_cmpmem(f.m.ram + 0x51234 + 100, 412, buf + 100, 412);
    g_assert_cmphex(f.m.ram[0x51234 + 512], ==, 0);
    g_assert_true(dma_terminal_count(f.dma, 2));
    out8(&f.m, CLEAR_FF, 0);
    g_assert_cmphex(in8_lohi(&f.m, COUNT(2)), ==, 0xffff);
    g_assert_cmphex(in8_lohi(&f.m, ADDR(2)), ==, 0x1234 + 512);
    /* TC masks a channel without autoinitialize; status shows TC once. */
    g_assert_false(dma_channel_ready(f.dma, 2));
    g_assert_cmphex(in8(&f.m, STATUS) & 0x0f, ==, 0x04);
    g_assert_cmphex(in8(&f.m, STATUS) & 0x0f, ==, 0x00);
    g_assert_cmpint(dma_transfer(f.dma, 2, buf, 10, true), ==, 0);
    g_assert_false(dma_terminal_count(f.dma, 2));
    fix_fini(&f);
}

static void test_read_transfer_and_direction(void)
{
    struct fix f;
    fix_init(&f);
    for (unsigned i = 0; i < 64; i++)
        f.m.ram[0x20000 + i] = (uint8_t)(0x80 + i);
    program(&f, 1, M_SINGLE | M_READ, 0x02, 0x0000, 63);
    uint8_t buf[64] = {0};
    /* A read-mode channel refuses device-to-memory transfers. */
    g_assert_cmpint(dma_transfer(f.dma, 1, buf, 64, true), ==, 0);
    g_assert_cmpint(dma_transfer(f.dma, 1, buf, 64, false), ==, 64);
    g_assert_cmpmem(buf, 64, f.m.ram + 0x20000, 64);
    g_assert_true(dma_terminal_count(f.dma, 1));
    /* And a write-mode channel refuses memory-to-device ones. */
    program(&f, 1, M_SINGLE | M_WRITE, 0x02, 0x0000, 63);
    g_assert_cmpint(dma_transfer(f.dma, 1, buf, 64, false), ==, 0);
    /* Mode bits 2-3 = 11 is illegal: nothing either way. */
    program(&f, 1, M_SINGLE | 0x0c, 0x02, 0x0000, 63);
    g_assert_cmpint(dma_transfer(f.dma, 1, buf, 64, false), ==, 0);
    g_assert_cmpint(dma_transfer(f.dma, 1, buf, 64, true), ==, 0);
    fix_fini(&f);
}

static void test_verify_counts_only(void)
{
    struct fix f;
    fix_init(&f);
    program(&f, 2, M_SINGLE | M_VERIFY, 0x03, 0x0000, 31);
    uint8_t buf[32];
    memset(buf, 0xee, sizeof(buf));
    g_assert_cmpint(dma_transfer(f.dma, 2, buf, 16, true), ==, 16);
    g_assert_cmpint(dma_transfer(f.dma, 2, buf, 32, false), ==, 16);
    g_assert_true(dma_terminal_count(f.dma, 2));
    for (unsigned i = 0; i < 32; i++)
        g_assert_cmphex(f.m.ram[0x30000 + i], ==, 0);
    g_assert_cmphex(in8(&f.m, STATUS) & 0x0f, ==, 0x04);
    fix_fini(&f);
}

static void test_autoinit(void)
{
    struct fix f;
    fix_init(&f);
    program(&f, 3, M_SINGLE | M_WRITE | M_AUTOINIT, 0x01, 0x8000, 7);
    uint8_t a[8], b[8];
    memset(a, 0x11, sizeof(a));
    memset(b, 0x22, sizeof(b));
    g_assert_cmpint(dma_transfer(f.dma, 3, a, 8, true), ==, 8);
    g_assert_true(dma_terminal_count(f.dma, 3));
    /* Reloaded from the base registers and still unmasked. */
    out8(&f.m, CLEAR_FF, 0);
    g_assert_cmphex(in8_lohi(&f.m, ADDR(3)), ==, 0x8000);
    g_assert_cmphex(in8_lohi(&f.m, COUNT(3)), ==, 7);
    g_assert_true(dma_channel_ready(f.dma, 3));
    g_assert_cmphex(in8(&f.m, STATUS) & 0x0f, ==, 0x08);
    g_assert_cmpint(dma_transfer(f.dma, 3, b, 4, true), ==, 4);
    g_assert_false(dma_terminal_count(f.dma, 3));
    g_assert_cmpmem(f.m.ram + 0x18000, 4, b, 4);
    g_assert_cmpmem(f.m.ram + 0x18004, 4, a + 4, 4);
    fix_fini(&f);
}

static void test_masks_and_cascade(void)
{
    struct fix f;
    fix_init(&f);
    uint8_t buf[4] = {1, 2, 3, 4};
    /* Master clear masks every channel. */
    program(&f, 0, M_SINGLE | M_WRITE, 0, 0x1000, 0xffff);
    out8(&f.m, MASTER_CLEAR, 0);
    g_assert_false(dma_channel_ready(f.dma, 0));
    g_assert_cmpint(dma_transfer(f.dma, 0, buf, 4, true), ==, 0);
    /* Clear mask register unmasks all four. */
    out8(&f.m, CLEAR_MASK, 0);
    for (unsigned ch = 0; ch < 4; ch++)
        g_assert_true(dma_channel_ready(f.dma, ch));
    /* Write all mask bits. */
    out8(&f.m, ALL_MASK, 0x0a);
    g_assert_true(dma_channel_ready(f.dma, 0));
    g_assert_false(dma_channel_ready(f.dma, 1));
    g_assert_true(dma_channel_ready(f.dma, 2));
    g_assert_false(dma_channel_ready(f.dma, 3));
    /* Single mask bit. */
    out8(&f.m, SINGLE_MASK, 0x04);
    g_assert_false(dma_channel_ready(f.dma, 0));
    out8(&f.m, SINGLE_MASK, 0x00);
    g_assert_true(dma_channel_ready(f.dma, 0));
    /* Command bit 2 disables the controller. */
    out8(&f.m, COMMAND, 0x04);
    g_assert_false(dma_channel_ready(f.dma, 0));
    out8(&f.m, COMMAND, 0x00);
    g_assert_true(dma_channel_ready(f.dma, 0));
    /* DMA1 reaches the bus through DMA2's channel 4: masking it stops DMA1. */
    out8(&f.m, DMA2(SINGLE_MASK), 0x04);
    g_assert_false(dma_channel_ready(f.dma, 0));
    g_assert_cmpint(dma_transfer(f.dma, 0, buf, 4, true), ==, 0);
    out8(&f.m, DMA2(SINGLE_MASK), 0x00);
    g_assert_cmpint(dma_transfer(f.dma, 0, buf, 4, true), ==, 4);
    g_assert_cmpmem(f.m.ram + 0x1000, 4, buf, 4);
    /* The cascade channel itself moves nothing. */
    g_assert_false(dma_channel_ready(f.dma, 4));
    g_assert_cmpint(dma_transfer(f.dma, 4, buf, 4, true), ==, 0);
    /* Channels out of range. */
    g_assert_false(dma_channel_ready(f.dma, 8));
    g_assert_cmpint(dma_transfer(f.dma, 99, buf, 4, true), ==, 0);
    g_assert_false(dma_terminal_count(f.dma, 99));
    fix_fini(&f);
}

static void test_request_status(void)
{
    struct fix f;
    fix_init(&f);
    out8(&f.m, REQUEST, 0x04 | 1);
    out8(&f.m, REQUEST, 0x04 | 3);
    g_assert_cmphex(in8(&f.m, STATUS), ==, 0xa0);
    out8(&f.m, REQUEST, 0x01);
    g_assert_cmphex(in8(&f.m, STATUS), ==, 0x80);
    /* Terminal count clears the channel's request. */
    program(&f, 3, M_SINGLE | M_WRITE, 0, 0x100, 0);
    uint8_t b = 0x5a;
    g_assert_cmpint(dma_transfer(f.dma, 3, &b, 1, true), ==, 1);
    g_assert_cmphex(in8(&f.m, STATUS), ==, 0x08);
    g_assert_cmphex(in8(&f.m, TEMP), ==, 0);
    /* Master clear empties status and requests. */
    out8(&f.m, REQUEST, 0x04 | 2);
    out8(&f.m, MASTER_CLEAR, 0);
    g_assert_cmphex(in8(&f.m, STATUS), ==, 0);
    fix_fini(&f);
}

static void test_decrement_and_wrap(void)
{
    struct fix f;
    fix_init(&f);
    uint8_t buf[4] = {0xa1, 0xa2, 0xa3, 0xa4};
    /* Increment wraps inside the 64 KiB page: the page register does not carry. */
    program(&f, 2, M_SINGLE | M_WRITE, 0x04, 0xfffe, 3);
    g_assert_cmpint(dma_transfer(f.dma, 2, buf, 4, true), ==, 4);
    g_assert_cmphex(f.m.ram[0x4fffe], ==, 0xa1);
    g_assert_cmphex(f.m.ram[0x4ffff], ==, 0xa2);
    g_assert_cmphex(f.m.ram[0x40000], ==, 0xa3);
    g_assert_cmphex(f.m.ram[0x40001], ==, 0xa4);
    g_assert_cmphex(f.m.ram[0x50000], ==, 0);
    /* Decrement walks down and wraps from 0 to 0xFFFF in the page. */
    program(&f, 2, M_SINGLE | M_WRITE | M_DECREMENT, 0x06, 0x0001, 3);
    g_assert_cmpint(dma_transfer(f.dma, 2, buf, 4, true), ==, 4);
    g_assert_cmphex(f.m.ram[0x60001], ==, 0xa1);
    g_assert_cmphex(f.m.ram[0x60000], ==, 0xa2);
    g_assert_cmphex(f.m.ram[0x6ffff], ==, 0xa3);
    g_assert_cmphex(f.m.ram[0x6fffe], ==, 0xa4);
    out8(&f.m, CLEAR_FF, 0);
    g_assert_cmphex(in8_lohi(&f.m, ADDR(2)), ==, 0xfffd);
    fix_fini(&f);
}

static void test_word_channels(void)
{
    struct fix f;
    fix_init(&f);
    uint8_t buf[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    /* Channel 5: page 0x13 (bit 0 unused: 0x12xxxx), word address 0x8000 = byte 0x10000. */
    program(&f, 5, M_SINGLE | M_WRITE, 0x13, 0x8000, 2);
    g_assert_true(dma_channel_ready(f.dma, 5));
    /* An odd last byte is not moved. */
    g_assert_cmpint(dma_transfer(f.dma, 5, buf, 5, true), ==, 4);
    g_assert_cmpmem(f.m.ram + 0x130000, 4, buf, 4);
    g_assert_cmphex(f.m.ram[0x130004], ==, 0);
    /* The count is in words: one left. */
    g_assert_cmpint(dma_transfer(f.dma, 5, buf + 4, 4, true), ==, 2);
    g_assert_true(dma_terminal_count(f.dma, 5));
    g_assert_cmpmem(f.m.ram + 0x130004, 2, buf + 4, 2);
    out8(&f.m, DMA2(CLEAR_FF), 0);
    g_assert_cmphex(in8_lohi(&f.m, DMA2(ADDR(1))), ==, 0x8003);
    g_assert_cmphex(in8(&f.m, DMA2(STATUS)) & 0x0f, ==, 0x02);
    /* Word addresses wrap inside the 128 KiB page. */
    program(&f, 6, M_SINGLE | M_WRITE, 0x20, 0xffff, 1);
    g_assert_cmpint(dma_transfer(f.dma, 6, buf, 4, true), ==, 4);
    g_assert_cmpmem(f.m.ram + 0x21fffe, 2, buf, 2);
    g_assert_cmpmem(f.m.ram + 0x200000, 2, buf + 2, 2);
    /* Odd DMA2 ports alias the register below (A0 is not decoded). */
    out8(&f.m, DMA2(CLEAR_FF), 0);
    out8(&f.m, DMA2(ADDR(3)) + 1, 0x22);
    out8(&f.m, DMA2(ADDR(3)) + 1, 0x11);
    out8(&f.m, DMA2(CLEAR_FF), 0);
    g_assert_cmphex(in8_lohi(&f.m, DMA2(ADDR(3))), ==, 0x1122);
    fix_fini(&f);
}

static void test_reset(void)
{
    struct fix f;
    fix_init(&f);
    program(&f, 2, M_SINGLE | M_WRITE, 0x05, 0x1234, 99);
    out8(&f.m, COMMAND, 0x10);
    dma_reset(f.dma);
    g_assert_false(dma_channel_ready(f.dma, 2));
    /* Addresses, counts and pages survive the reset. */
    g_assert_cmphex(in8_lohi(&f.m, ADDR(2)), ==, 0x1234);
    g_assert_cmphex(in8(&f.m, PAGE_CH2), ==, 0x05);
    out8(&f.m, DMA2(SINGLE_MASK), 0x00);
    out8(&f.m, SINGLE_MASK, 0x02);
    uint8_t b[2] = {9, 8};
    g_assert_cmpint(dma_transfer(f.dma, 2, b, 2, true), ==, 2);
    g_assert_cmpmem(f.m.ram + 0x51234, 2, b, 2);
    fix_fini(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/i8237/flipflop-programming", test_flipflop_programming);
    g_test_add_func("/i8237/page-registers", test_page_registers);
    g_test_add_func("/i8237/write-transfer", test_write_transfer);
    g_test_add_func("/i8237/read-transfer-and-direction", test_read_transfer_and_direction);
    g_test_add_func("/i8237/verify-counts-only", test_verify_counts_only);
    g_test_add_func("/i8237/autoinit", test_autoinit);
    g_test_add_func("/i8237/masks-and-cascade", test_masks_and_cascade);
    g_test_add_func("/i8237/request-status", test_request_status);
    g_test_add_func("/i8237/decrement-and-wrap", test_decrement_and_wrap);
    g_test_add_func("/i8237/word-channels", test_word_channels);
    g_test_add_func("/i8237/reset", test_reset);
    return g_test_run();
}
