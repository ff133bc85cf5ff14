/*
 * The RTL8029AS / DP8390 NE2000 adapter at register level, against the
 * DP8390D and RTL8029AS datasheets: reset state and chip IDs, the ID PROM
 * through remote DMA, remote DMA in byte, word and dword transfers with
 * RDC and the ring wrap, transmission, reception into the ring (header,
 * padding, CRC, wrap), the address filter (physical, broadcast, multicast
 * hash, promiscuous), overflow, tally counters, interrupts and masks, the
 * send-packet command, page 3, the PCI function, and a hostile guest.
 */
#include <glib.h>
#include <string.h>

#include "devices/ne2000.h"
#include "devices/pci.h"
#include "machine/irq.h"
#include "machine/machine.h"
#include "tests/lib/port_io.h"

#define BASE 0x300
#define CR   (BASE + 0x00)
#define DATA (BASE + 0x10)
#define RST  (BASE + 0x1f)

/* Page 0 */
#define PSTART (BASE + 0x01)
#define PSTOP  (BASE + 0x02)
#define BNRY   (BASE + 0x03)
#define TPSR   (BASE + 0x04)
#define TSR    (BASE + 0x04)
#define TBCR0  (BASE + 0x05)
#define TBCR1  (BASE + 0x06)
#define ISR    (BASE + 0x07)
#define RSAR0  (BASE + 0x08)
#define RSAR1  (BASE + 0x09)
#define CRDA0  (BASE + 0x08)
#define RBCR0  (BASE + 0x0a)
#define RBCR1  (BASE + 0x0b)
#define RCR    (BASE + 0x0c)
#define RSR    (BASE + 0x0c)
#define TCR    (BASE + 0x0d)
#define CNTR2  (BASE + 0x0f)
#define DCR    (BASE + 0x0e)
#define IMR    (BASE + 0x0f)
/* Page 1 */
#define PAR0 (BASE + 0x01)
#define CURR (BASE + 0x07)
#define MAR0 (BASE + 0x08)

/* CR values */
#define C_STOP  0x21 /* page 0, abort DMA, stop */
#define C_START 0x22 /* page 0, abort DMA, start */
#define C_RREAD 0x0a /* remote read, start */
#define C_RWRIT 0x12 /* remote write, start */
#define C_SEND  0x1a /* send packet, start */
#define C_TXP   0x26 /* transmit, start */
#define C_PAGE1 0x40
#define C_PAGE2 0x80
#define C_PAGE3 0xc0

#define I_PRX 0x01
#define I_PTX 0x02
#define I_RXE 0x04
#define I_TXE 0x08
#define I_OVW 0x10
#define I_CNT 0x20
#define I_RDC 0x40
#define I_RST 0x80

static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

struct fix {
    struct machine m;
    struct ne2000 *nic;
    int level;       /* the interrupt line */
    unsigned rises;  /* low-to-high edges */
    GPtrArray *sent; /* GByteArray per transmitted frame */
};

static void rec_irq(void *opaque, unsigned n, int level)
{
    struct fix *f = opaque;
    if (level && !f->level)
        f->rises++;
    f->level = level;
}

static void rec_send(void *opaque, const uint8_t *frame, size_t len)
{
    struct fix *f = opaque;
    GByteArray *b = g_byte_array_new();
    g_byte_array_append(b, frame, (guint)len);
    g_ptr_array_add(f->sent, b);
}

static void fix_init(struct fix *f)
{
    memset(f, 0, sizeof(*f));
    g_assert_cmpint(
        machine_init(&f->m, &(struct machine_config){.ram_mb = 1, .manual_clock = true}), ==, 0);
    struct irq_line irq = {rec_irq, f, 0};
    f->sent = g_ptr_array_new_with_free_func((GDestroyNotify)g_byte_array_unref);
    f->nic = ne2000_create(&f->m, &irq, mac, rec_send, f);
    ne2000_map(f->nic, BASE);
}

static void fix_fini(struct fix *f)
{
    ne2000_destroy(f->nic);
    g_ptr_array_free(f->sent, TRUE);
    machine_destroy(&f->m);
}

/* Remote DMA set-up: count, address, command (keeping the NIC started or stopped). */
static void dma_setup(struct fix *f, uint16_t addr, uint16_t count, uint8_t cmd)
{
    uint8_t run = in8(&f->m, CR) & 0x03;
    out8(&f->m, CR, (uint8_t)(0x20 | run)); /* page 0 */
    out8(&f->m, RBCR0, (uint8_t)count);
    out8(&f->m, RBCR1, (uint8_t)(count >> 8));
    out8(&f->m, RSAR0, (uint8_t)addr);
    out8(&f->m, RSAR1, (uint8_t)(addr >> 8));
    out8(&f->m, CR, (uint8_t)((cmd & 0x38) | run));
}

static void dma_write(struct fix *f, uint16_t addr, const uint8_t *p, size_t len, bool word)
{
    out8(&f->m, DCR, word ? 0x49 : 0x48);
    dma_setup(f, addr, (uint16_t)len, C_RWRIT);
    if (word) {
        for (size_t i = 0; i < len; i += 2)
            iobus_write(&f->m.io, DATA, p[i] | (i + 1 < len ? p[i + 1] << 8 : 0), 2);
    } else {
        for (size_t i = 0; i < len; i++)
            out8(&f->m, DATA, p[i]);
    }
}

static void dma_read(struct fix *f, uint16_t addr, uint8_t *p, size_t len, bool word)
{
    out8(&f->m, DCR, word ? 0x49 : 0x48);
    dma_setup(f, addr, (uint16_t)len, C_RREAD);
    if (word) {
        for (size_t i = 0; i < len; i += 2) {
            uint16_t w = (uint16_t)iobus_read(&f->m.io, DATA, 2);
            p[i] = (uint8_t)w;
            if (i + 1 < len)
                p[i + 1] = (uint8_t)(w >> 8);
        }
    } else {
        for (size_t i = 0; i < len; i++)
            p[i] = in8(&f->m, DATA);
    }
}

/* The initialisation a driver does (DP8390D §11.0), then start with the ring [pstart, pstop). */
static void nic_start(struct fix *f, uint8_t pstart, uint8_t pstop, uint8_t rcr)
{
    out8(&f->m, CR, C_STOP);
    out8(&f->m, DCR, 0x49);
    out8(&f->m, RBCR0, 0);
    out8(&f->m, RBCR1, 0);
    out8(&f->m, RCR, rcr);
    out8(&f->m, TCR, 0x02); /* internal loopback while setting up */
    out8(&f->m, PSTART, pstart);
    out8(&f->m, PSTOP, pstop);
    out8(&f->m, BNRY, pstart);
    out8(&f->m, ISR, 0xff);
    out8(&f->m, IMR, 0x00);
    out8(&f->m, CR, C_STOP | C_PAGE1);
    out8(&f->m, CURR, (uint8_t)(pstart + 1));
    out8(&f->m, CR, C_START);
    out8(&f->m, TCR, 0x00);
    out8(&f->m, ISR, 0xff);
}

/* A frame to `dst` of `len` bytes with a recognisable payload. */
static void make_frame(uint8_t *buf, size_t len, const uint8_t *dst, uint8_t seed)
{
    memcpy(buf, dst, 6);
    const uint8_t src[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};
    memcpy(buf + 6, src, 6);
    buf[12] = 0x08;
    buf[13] = 0x00;
    for (size_t i = 14; i < len; i++)
        buf[i] = (uint8_t)(seed + i * 7);
}

/* CRC-32 with the final inversion: over a frame and its FCS it gives the 802.3 residue. */
static uint32_t crc32_ref(const uint8_t *p, size_t len)
{
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc & 1) ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
    }
    return ~crc;
}

/* --- tests --------------------------------------------------------------- */

static void test_reset_state(void)
{
    struct fix f;
    fix_init(&f);
    g_assert_cmphex(in8(&f.m, CR), ==, 0x21);
    g_assert_cmphex(in8(&f.m, ISR), ==, I_RST);
    g_assert_cmphex(in8(&f.m, BASE + 0x0a), ==, 'P');
    g_assert_cmphex(in8(&f.m, BASE + 0x0b), ==, 'C');
    out8(&f.m, CR, C_STOP | C_PAGE2);
    g_assert_cmphex(in8(&f.m, BASE + 0x0f), ==, 0x00);     /* IMR */
    g_assert_cmphex(in8(&f.m, BASE + 0x0d) & 0x06, ==, 0); /* TCR: no loopback */
    out8(&f.m, CR, C_STOP | C_PAGE3);
    g_assert_cmphex(in8(&f.m, BASE + 0x0e), ==, 0x29);
    g_assert_cmphex(in8(&f.m, BASE + 0x0f), ==, 0x80);
    out8(&f.m, CR, C_STOP | C_PAGE1);
    for (unsigned i = 0; i < 6; i++)
        g_assert_cmphex(in8(&f.m, PAR0 + i), ==, mac[i]);
    g_assert_false(f.level);

    /* Start clears RST; writing 1 to it does not; the reset port puts it back. */
    out8(&f.m, CR, C_START);
    g_assert_cmphex(in8(&f.m, ISR), ==, 0);
    out8(&f.m, IMR, 0x7f);
    out8(&f.m, CR, C_STOP);
    g_assert_cmphex(in8(&f.m, ISR), ==, I_RST);
    out8(&f.m, ISR, 0xff);
    g_assert_cmphex(in8(&f.m, ISR), ==, I_RST);
    out8(&f.m, CR, C_START);
    in8(&f.m, RST);
    g_assert_cmphex(in8(&f.m, CR), ==, 0x21);
    g_assert_cmphex(in8(&f.m, ISR), ==, I_RST);
    out8(&f.m, CR, C_STOP | C_PAGE2);
    g_assert_cmphex(in8(&f.m, BASE + 0x0f), ==, 0x00); /* the reset port cleared IMR */
    g_assert_false(f.level);                           /* RST is never an interrupt */
    fix_fini(&f);
}

static void test_prom(void)
{
    struct fix f;
    fix_init(&f);
    /* Word mode, byte reads (what Linux's ne2k-pci does): the station address. */
    uint8_t prom[32];
    out8(&f.m, DCR, 0x49);
    dma_setup(&f, 0, 32, C_RREAD);
    for (unsigned i = 0; i < 16; i++)
        prom[i] = in8(&f.m, DATA);
    g_assert_cmpmem(prom, 6, mac, 6);
    g_assert_cmphex(prom[7], ==, 0x57);
    /* Byte mode: the doubled PROM as it is stored. */
    dma_read(&f, 0, prom, 32, false);
    for (unsigned i = 0; i < 6; i++) {
        g_assert_cmphex(prom[2 * i], ==, mac[i]);
        g_assert_cmphex(prom[2 * i + 1], ==, mac[i]);
    }
    g_assert_cmphex(prom[14], ==, 'W');
    g_assert_cmphex(prom[15], ==, 'W');
    /* Word reads: each word holds the byte twice. */
    dma_read(&f, 0, prom, 12, true);
    for (unsigned i = 0; i < 6; i++)
        g_assert_cmphex(prom[2 * i], ==, prom[2 * i + 1]);
    /* Writes never reach the PROM; addresses with nothing behind them read all ones. */
    const uint8_t junk[4] = {1, 2, 3, 4};
    dma_write(&f, 0, junk, 4, false);
    dma_read(&f, 0, prom, 2, false);
    g_assert_cmphex(prom[0], ==, mac[0]);
    dma_read(&f, 0x2000, prom, 2, false);
    g_assert_cmphex(prom[0], ==, 0xff);
    dma_read(&f, 0xc000, prom, 2, false);
    g_assert_cmphex(prom[1], ==, 0xff);
    fix_fini(&f);
}

static void test_remote_dma(void)
{
    struct fix f;
    fix_init(&f);
    uint8_t data[300], back[300];
    for (unsigned i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 13 + 5);

    /* Byte mode round trip; RDC only once the count runs out. */
    out8(&f.m, DCR, 0x48);
    dma_setup(&f, 0x4100, sizeof(data), C_RWRIT);
    for (unsigned i = 0; i < sizeof(data); i++) {
        g_assert_false(in8(&f.m, ISR) & I_RDC);
        out8(&f.m, DATA, data[i]);
    }
    g_assert_true(in8(&f.m, ISR) & I_RDC);
    g_assert_cmphex(in8(&f.m, CRDA0), ==, (0x4100 + sizeof(data)) & 0xff);
    out8(&f.m, ISR, I_RDC);
    g_assert_false(in8(&f.m, ISR) & I_RDC);
    dma_read(&f, 0x4100, back, sizeof(back), false);
    g_assert_cmpmem(back, sizeof(back), data, sizeof(data));
    g_assert_true(in8(&f.m, ISR) & I_RDC);

    /* Word mode: both directions and both orders mixed. */
    memset(back, 0, sizeof(back));
    dma_write(&f, 0x6000, data, sizeof(data), true);
    dma_read(&f, 0x6000, back, sizeof(back), false);
    g_assert_cmpmem(back, sizeof(back), data, sizeof(data));
    dma_read(&f, 0x6000, back, sizeof(back), true);
    g_assert_cmpmem(back, sizeof(back), data, sizeof(data));

    /* 32-bit accesses in word mode move two words. */
    out8(&f.m, DCR, 0x49);
    dma_setup(&f, 0x7000, 8, C_RWRIT);
    iobus_write(&f.m.io, DATA, 0x44332211, 4);
    iobus_write(&f.m.io, DATA, 0x88776655, 4);
    g_assert_true(in8(&f.m, ISR) & I_RDC);
    dma_read(&f, 0x7000, back, 8, false);
    const uint8_t want[8] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
    g_assert_cmpmem(back, 8, want, 8);
    out8(&f.m, DCR, 0x49);
    dma_setup(&f, 0x7000, 8, C_RREAD);
    g_assert_cmphex(iobus_read(&f.m.io, DATA, 4), ==, 0x44332211);

    /* Byte order select swaps the halves of each word. */
    out8(&f.m, DCR, 0x4b);
    dma_setup(&f, 0x7000, 2, C_RREAD);
    g_assert_cmphex(iobus_read(&f.m.io, DATA, 2), ==, 0x1122);

    /* A remote command with a zero count completes at once. */
    out8(&f.m, ISR, 0xff);
    dma_setup(&f, 0x7000, 0, C_RREAD);
    g_assert_true(in8(&f.m, ISR) & I_RDC);

    /* The remote DMA wraps from PSTOP to PSTART. */
    nic_start(&f, 0x50, 0x60, 0x04);
    const uint8_t four[4] = {0xa1, 0xa2, 0xa3, 0xa4};
    dma_write(&f, 0x5ffe, four, 4, false);
    dma_read(&f, 0x5000, back, 2, false);
    g_assert_cmphex(back[0], ==, 0xa3);
    g_assert_cmphex(back[1], ==, 0xa4);
    dma_read(&f, 0x5ffe, back, 4, true);
    g_assert_cmpmem(back, 4, four, 4);
    fix_fini(&f);
}

static void test_transmit(void)
{
    struct fix f;
    fix_init(&f);
    nic_start(&f, 0x46, 0x80, 0x04);
    out8(&f.m, IMR, I_PTX | I_TXE);
    uint8_t frame[100];
    const uint8_t dst[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};
    make_frame(frame, sizeof(frame), dst, 3);
    dma_write(&f, 0x4000, frame, sizeof(frame), true);
    out8(&f.m, ISR, 0xff);
    out8(&f.m, TPSR, 0x40);
    out8(&f.m, TBCR0, sizeof(frame));
    out8(&f.m, TBCR1, 0);
    g_assert_false(f.level);
    out8(&f.m, CR, C_TXP);
    g_assert_cmpuint(f.sent->len, ==, 1);
    GByteArray *b = f.sent->pdata[0];
    g_assert_cmpmem(b->data, b->len, frame, sizeof(frame));
    g_assert_cmphex(in8(&f.m, ISR), ==, I_PTX);
    g_assert_cmphex(in8(&f.m, TSR) & 0x0d, ==, 0x01);
    g_assert_cmphex(in8(&f.m, CR) & 0x04, ==, 0); /* TXP self-clears */
    g_assert_true(f.level);
    out8(&f.m, ISR, I_PTX);
    g_assert_false(f.level);
    const struct ne2000_stats *st = ne2000_get_stats(f.nic);
    g_assert_cmpuint(st->tx_packets, ==, 1);
    g_assert_cmpuint(st->tx_bytes, ==, sizeof(frame));

    /* A zero or oversized byte count aborts with TXE. */
    out8(&f.m, TBCR0, 0);
    out8(&f.m, TBCR1, 0);
    out8(&f.m, CR, C_TXP);
    g_assert_cmphex(in8(&f.m, ISR), ==, I_TXE);
    g_assert_cmphex(in8(&f.m, TSR) & 0x08, ==, 0x08);
    out8(&f.m, ISR, 0xff);
    out8(&f.m, TBCR1, 0x08); /* 2048 bytes */
    out8(&f.m, CR, C_TXP);
    g_assert_cmphex(in8(&f.m, ISR), ==, I_TXE);
    g_assert_cmpuint(f.sent->len, ==, 1);
    g_assert_cmpuint(st->tx_errors, ==, 2);

    /* Stopped, TXP does nothing; in loopback nothing reaches the wire. */
    out8(&f.m, ISR, 0xff);
    out8(&f.m, TBCR0, sizeof(frame));
    out8(&f.m, TBCR1, 0);
    out8(&f.m, CR, C_STOP | 0x04);
    g_assert_cmphex(in8(&f.m, ISR) & (I_PTX | I_TXE), ==, 0);
    out8(&f.m, CR, C_START);
    out8(&f.m, TCR, 0x02);
    out8(&f.m, CR, C_TXP);
    g_assert_cmphex(in8(&f.m, ISR) & I_PTX, ==, I_PTX);
    g_assert_cmpuint(f.sent->len, ==, 1);
    fix_fini(&f);
}

/* Read the 4-byte header at `page` and the frame behind it (through remote DMA). */
static void read_packet(struct fix *f, uint8_t page, uint8_t hdr[4], uint8_t *data, size_t len)
{
    dma_read(f, (uint16_t)(page << 8), hdr, 4, false);
    if (len)
        dma_read(f, (uint16_t)((page << 8) + 4), data, len, true);
}

static void test_receive(void)
{
    struct fix f;
    fix_init(&f);
    g_assert_false(ne2000_can_receive(f.nic)); /* stopped after reset */
    nic_start(&f, 0x46, 0x80, 0x04);
    g_assert_true(ne2000_can_receive(f.nic));
    out8(&f.m, IMR, I_PRX);

    /* A short frame: padded to 60, CRC after it, byte count 64. */
    uint8_t frame[NE2000_MAX_FRAME];
    make_frame(frame, 42, mac, 1);
    ne2000_receive(f.nic, frame, 42);
    g_assert_cmphex(in8(&f.m, ISR), ==, I_PRX);
    g_assert_true(f.level);
    g_assert_cmphex(in8(&f.m, RSR), ==, 0x01);
    uint8_t hdr[4], back[1600];
    read_packet(&f, 0x47, hdr, back, 64);
    g_assert_cmphex(hdr[0], ==, 0x01);
    g_assert_cmphex(hdr[1], ==, 0x48);
    g_assert_cmpuint(hdr[2] | hdr[3] << 8, ==, 64);
    g_assert_cmpmem(back, 42, frame, 42);
    for (unsigned i = 42; i < 60; i++)
        g_assert_cmphex(back[i], ==, 0);
    g_assert_cmphex(crc32_ref(back, 64), ==, 0x2144df1c); /* the 802.3 CRC residue */
    out8(&f.m, CR, C_START | C_PAGE1);
    g_assert_cmphex(in8(&f.m, CURR), ==, 0x48);
    out8(&f.m, CR, C_START);

    /* A 1000-byte frame takes 4 pages: 4 + 1000 + 4 bytes. */
    make_frame(frame, 1000, mac, 2);
    ne2000_receive(f.nic, frame, 1000);
    read_packet(&f, 0x48, hdr, back, 1004);
    g_assert_cmphex(hdr[1], ==, 0x4c);
    g_assert_cmpuint(hdr[2] | hdr[3] << 8, ==, 1004);
    g_assert_cmpmem(back, 1000, frame, 1000);
    g_assert_cmphex(crc32_ref(back, 1004), ==, 0x2144df1c);

    /* Wrap: a frame starting on the last page of the ring continues at PSTART. */
    out8(&f.m, BNRY, 0x50);
    out8(&f.m, CR, C_START | C_PAGE1);
    out8(&f.m, CURR, 0x7f);
    out8(&f.m, CR, C_START);
    make_frame(frame, 600, mac, 9);
    ne2000_receive(f.nic, frame, 600);
    read_packet(&f, 0x7f, hdr, back, 604); /* the remote DMA wraps too */
    g_assert_cmphex(hdr[1], ==, 0x48);     /* 0x7f, 0x46, 0x47 used */
    g_assert_cmpmem(back, 600, frame, 600);
    uint8_t raw[4];
    dma_read(&f, 0x4600, raw, 4, false); /* byte 252 of the frame is the first at PSTART */
    g_assert_cmpmem(raw, 4, frame + 252, 4);
    out8(&f.m, CR, C_START | C_PAGE1);
    g_assert_cmphex(in8(&f.m, CURR), ==, 0x48);
    out8(&f.m, CR, C_START);

    const struct ne2000_stats *st = ne2000_get_stats(f.nic);
    g_assert_cmpuint(st->rx_packets, ==, 3);
    g_assert_cmpuint(st->rx_bytes, ==, 42 + 1000 + 600);

    /* Oversized and stopped: dropped and counted. */
    ne2000_receive(f.nic, frame, NE2000_MAX_FRAME + 1);
    out8(&f.m, CR, C_STOP);
    ne2000_receive(f.nic, frame, 100);
    g_assert_cmpuint(st->rx_packets, ==, 3);
    g_assert_cmpuint(st->rx_dropped, ==, 2);
    fix_fini(&f);
}

static void test_filter(void)
{
    struct fix f;
    fix_init(&f);
    nic_start(&f, 0x46, 0x80, 0x00);
    const struct ne2000_stats *st = ne2000_get_stats(f.nic);
    uint8_t frame[64];
    const uint8_t other[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x57};
    const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};

    make_frame(frame, 64, other, 0);
    ne2000_receive(f.nic, frame, 64);
    make_frame(frame, 64, bcast, 0);
    ne2000_receive(f.nic, frame, 64);
    make_frame(frame, 64, mcast, 0);
    ne2000_receive(f.nic, frame, 64);
    g_assert_cmpuint(st->rx_packets, ==, 0);
    g_assert_cmpuint(st->rx_dropped, ==, 0); /* filtered is not lost */

    /* Broadcast with AB: stored with PHY in the status. */
    out8(&f.m, RCR, 0x04);
    make_frame(frame, 64, bcast, 0);
    ne2000_receive(f.nic, frame, 64);
    g_assert_cmpuint(st->rx_packets, ==, 1);
    g_assert_cmphex(in8(&f.m, RSR), ==, 0x21);

    /* Multicast: AM and exactly the MAR bit the CRC hash selects. */
    out8(&f.m, RCR, 0x08);
    make_frame(frame, 64, mcast, 0);
    /* The index: the top 6 bits of the address CRC in the NIC's bit order (reflected CRC-32
       without final inversion, bit-reversed). */
    uint32_t reflected = ~crc32_ref(mcast, 6);
    uint32_t msb_first = 0;
    for (int i = 0; i < 32; i++)
        msb_first |= ((reflected >> i) & 1u) << (31 - i);
    unsigned index = msb_first >> 26;
    for (unsigned bit = 0; bit < 64; bit++) {
        out8(&f.m, CR, C_START | C_PAGE1);
        for (unsigned i = 0; i < 8; i++)
            out8(&f.m, MAR0 + i, i == bit / 8 ? (uint8_t)(1u << (bit % 8)) : 0);
        out8(&f.m, CR, C_START);
        uint64_t before = st->rx_packets;
        ne2000_receive(f.nic, frame, 64);
        g_assert_cmpuint(st->rx_packets - before, ==, bit == index ? 1 : 0);
    }
    /* Promiscuous takes any address. */
    out8(&f.m, RCR, 0x10);
    make_frame(frame, 64, other, 0);
    uint64_t before = st->rx_packets;
    ne2000_receive(f.nic, frame, 64);
    g_assert_cmpuint(st->rx_packets, ==, before + 1);
    g_assert_cmphex(in8(&f.m, RSR), ==, 0x01);
    /* A changed PAR moves the station. */
    out8(&f.m, RCR, 0x00);
    out8(&f.m, CR, C_START | C_PAGE1);
    out8(&f.m, PAR0 + 5, 0x57);
    out8(&f.m, CR, C_START);
    ne2000_receive(f.nic, frame, 64);
    g_assert_cmpuint(st->rx_packets, ==, before + 2);
    /* Monitor mode: checked, counted as missed, not stored. */
    out8(&f.m, RCR, 0x20);
    out8(&f.m, ISR, 0xff);
    ne2000_receive(f.nic, frame, 64);
    g_assert_cmpuint(st->rx_packets, ==, before + 2);
    g_assert_cmphex(in8(&f.m, RSR) & 0x10, ==, 0x10);
    g_assert_cmphex(in8(&f.m, ISR), ==, I_RXE);
    g_assert_cmphex(in8(&f.m, CNTR2), ==, 1);
    g_assert_cmphex(in8(&f.m, CNTR2), ==, 0); /* cleared by the read */
    fix_fini(&f);
}

static void test_overflow(void)
{
    struct fix f;
    fix_init(&f);
    nic_start(&f, 0x40, 0x48, 0x04); /* 8 pages; BNRY 0x40, CURR 0x41 */
    out8(&f.m, IMR, I_OVW);
    uint8_t frame[300];
    make_frame(frame, sizeof(frame), mac, 4);
    /* Each frame takes 2 pages: 0x41-42, 0x43-44, 0x45-46; the next would reach BNRY. */
    for (unsigned i = 0; i < 3; i++) {
        g_assert_true(ne2000_can_receive(f.nic) || i > 0);
        ne2000_receive(f.nic, frame, sizeof(frame));
    }
    const struct ne2000_stats *st = ne2000_get_stats(f.nic);
    g_assert_cmpuint(st->rx_packets, ==, 3);
    g_assert_false(f.level);
    g_assert_false(ne2000_can_receive(f.nic));
    ne2000_receive(f.nic, frame, sizeof(frame));
    g_assert_cmpuint(st->rx_packets, ==, 3);
    g_assert_cmpuint(st->rx_dropped, ==, 1);
    g_assert_cmphex(in8(&f.m, ISR), ==, I_PRX | I_OVW | I_RXE | I_RST);
    g_assert_true(f.level);
    g_assert_cmphex(in8(&f.m, RSR) & 0x10, ==, 0x10);
    g_assert_cmphex(in8(&f.m, CNTR2), ==, 1);
    out8(&f.m, CR, C_START | C_PAGE1);
    g_assert_cmphex(in8(&f.m, CURR), ==, 0x47);
    out8(&f.m, CR, C_START);
    /* The packets already in the ring are intact. */
    uint8_t hdr[4], back[300];
    read_packet(&f, 0x45, hdr, back, sizeof(back));
    g_assert_cmphex(hdr[1], ==, 0x47);
    g_assert_cmpmem(back, sizeof(back), frame, sizeof(frame));
    /* The host frees two frames: room again, RST goes. */
    out8(&f.m, BNRY, 0x44);
    out8(&f.m, ISR, 0x7f);
    g_assert_cmphex(in8(&f.m, ISR), ==, 0);
    g_assert_false(f.level);
    ne2000_receive(f.nic, frame, sizeof(frame));
    g_assert_cmpuint(st->rx_packets, ==, 4);
    read_packet(&f, 0x47, hdr, back, sizeof(back));
    g_assert_cmphex(hdr[1], ==, 0x41); /* pages 0x47 and 0x40 (wrapped) */
    g_assert_cmpmem(back, sizeof(back), frame, sizeof(frame));

    /* An impossible ring (PSTART >= PSTOP) overflows instead of writing anywhere. */
    out8(&f.m, PSTART, 0x60);
    out8(&f.m, PSTOP, 0x50);
    g_assert_false(ne2000_can_receive(f.nic));
    ne2000_receive(f.nic, frame, sizeof(frame));
    g_assert_cmpuint(st->rx_packets, ==, 4);
    g_assert_cmphex(in8(&f.m, ISR) & I_OVW, ==, I_OVW);
    fix_fini(&f);
}

static void test_interrupts(void)
{
    struct fix f;
    fix_init(&f);
    nic_start(&f, 0x46, 0x80, 0x04);
    uint8_t frame[64];
    make_frame(frame, sizeof(frame), mac, 0);
    ne2000_receive(f.nic, frame, sizeof(frame));
    g_assert_false(f.level); /* masked */
    out8(&f.m, IMR, I_PTX);
    g_assert_false(f.level);
    out8(&f.m, IMR, I_PRX);
    g_assert_true(f.level);
    out8(&f.m, IMR, 0);
    g_assert_false(f.level);
    out8(&f.m, IMR, I_PRX | I_RDC);
    g_assert_true(f.level);
    out8(&f.m, ISR, I_PRX);
    g_assert_false(f.level);
    /* RDC raises the line when the transfer ends. */
    uint8_t back[4];
    dma_read(&f, 0x4000, back, 4, false);
    g_assert_true(f.level);
    out8(&f.m, ISR, I_RDC);
    g_assert_false(f.level);
    unsigned rises = f.rises;
    /* CNT: the missed-packet counter reaching 128 sets it. */
    out8(&f.m, IMR, I_CNT);
    out8(&f.m, RCR, 0x24); /* monitor */
    for (unsigned i = 0; i < 127; i++)
        ne2000_receive(f.nic, frame, sizeof(frame));
    g_assert_false(f.level);
    ne2000_receive(f.nic, frame, sizeof(frame));
    g_assert_true(f.level);
    g_assert_cmpuint(f.rises, ==, rises + 1);
    g_assert_cmphex(in8(&f.m, CNTR2), ==, 128);
    out8(&f.m, ISR, I_CNT);
    g_assert_false(f.level);
    /* IMR reads back on page 2. */
    out8(&f.m, IMR, 0x7f);
    out8(&f.m, CR, C_START | C_PAGE2);
    g_assert_cmphex(in8(&f.m, BASE + 0x0f), ==, 0x7f);
    g_assert_cmphex(in8(&f.m, BASE + 0x0c), ==, 0xe4); /* RCR, bits 7-6 read 1 */
    out8(&f.m, CR, C_START);
    fix_fini(&f);
}

static void test_send_packet(void)
{
    struct fix f;
    fix_init(&f);
    nic_start(&f, 0x46, 0x80, 0x04);
    /* BNRY = next packet to read here (the DOS driver convention): both frames at CURR 0x46. */
    out8(&f.m, CR, C_START | C_PAGE1);
    out8(&f.m, CURR, 0x46);
    out8(&f.m, CR, C_START);
    uint8_t frame[200];
    make_frame(frame, sizeof(frame), mac, 5);
    ne2000_receive(f.nic, frame, sizeof(frame));
    ne2000_receive(f.nic, frame, sizeof(frame));
    out8(&f.m, DCR, 0x48);
    out8(&f.m, ISR, 0xff);
    out8(&f.m, RBCR1, 0x0f); /* datasheet note: RBCR1 must be loaded with 0x0F first */
    out8(&f.m, CR, C_SEND);
    uint8_t back[208];
    for (unsigned i = 0; i < 204; i++)
        back[i] = in8(&f.m, DATA);
    g_assert_cmphex(back[0], ==, 0x01);
    g_assert_cmphex(back[1], ==, 0x47);
    g_assert_cmpuint(back[2] | back[3] << 8, ==, 204);
    g_assert_cmpmem(back + 4, 200, frame, 200);
    g_assert_true(in8(&f.m, ISR) & I_RDC);
    g_assert_cmphex(in8(&f.m, BNRY), ==, 0x47);
    fix_fini(&f);
}

static void test_page3_and_wide_access(void)
{
    struct fix f;
    fix_init(&f);
    out8(&f.m, CR, C_STOP | C_PAGE3);
    out8(&f.m, BASE + 0x06, 0x40); /* CONFIG3 full duplex: locked */
    g_assert_cmphex(in8(&f.m, BASE + 0x06), ==, 0x00);
    out8(&f.m, BASE + 0x01, 0xc0); /* 9346CR: config write enable */
    g_assert_cmphex(in8(&f.m, BASE + 0x01), ==, 0xc0);
    out8(&f.m, BASE + 0x06, 0x40);
    g_assert_cmphex(in8(&f.m, BASE + 0x06), ==, 0x40);
    out8(&f.m, BASE + 0x01, 0x00);
    out8(&f.m, BASE + 0x06, 0x00);
    g_assert_cmphex(in8(&f.m, BASE + 0x06), ==, 0x40);
    /* A 16-bit write to a register pair sets both (RBCR0/1), as two byte writes. */
    out8(&f.m, CR, C_STOP);
    iobus_write(&f.m.io, RBCR0, 0x0102, 2);
    iobus_write(&f.m.io, RSAR0, 0x4000, 2);
    out8(&f.m, DCR, 0x48);
    out8(&f.m, CR, C_RWRIT & ~0x02);
    for (unsigned i = 0; i < 0x0102; i++)
        out8(&f.m, DATA, 0xee);
    g_assert_true(in8(&f.m, ISR) & I_RDC);
    g_assert_cmphex(iobus_read(&f.m.io, CRDA0, 2), ==, 0x4102);
    /* Unmapping frees the ports. */
    ne2000_map(f.nic, 0);
    g_assert_cmphex(in8(&f.m, CR), ==, 0xff);
    ne2000_map(f.nic, 0x320);
    g_assert_cmphex(in8(&f.m, 0x32a), ==, 'P');
    fix_fini(&f);
}

/* Config space through mechanism #1. */
static uint32_t cfg_read(struct fix *f, unsigned dev, unsigned off, unsigned size)
{
    iobus_write(&f->m.io, 0xcf8, 0x80000000u | dev << 11 | (off & 0xfc), 4);
    return iobus_read(&f->m.io, (uint16_t)(0xcfc + (off & 3)), size);
}

static void cfg_write(struct fix *f, unsigned dev, unsigned off, uint32_t v, unsigned size)
{
    iobus_write(&f->m.io, 0xcf8, 0x80000000u | dev << 11 | (off & 0xfc), 4);
    iobus_write(&f->m.io, (uint16_t)(0xcfc + (off & 3)), v, size);
}

static void test_pci(void)
{
    struct fix f;
    fix_init(&f);
    ne2000_map(f.nic, 0);
    struct pci_bus *bus = pci_bus_create(&f.m, NULL, NULL);
    struct ne2000_pci *p = ne2000_pci_create(bus, 3, f.nic);
    g_assert_cmphex(cfg_read(&f, 3, 0, 4), ==, 0x802910ec);
    g_assert_cmphex(cfg_read(&f, 3, 0x08, 4) >> 8, ==, 0x020000);
    g_assert_cmphex(cfg_read(&f, 3, PCI_INTERRUPT_PIN, 1), ==, 1);
    cfg_write(&f, 3, PCI_BAR0, 0xffffffff, 4);
    g_assert_cmphex(cfg_read(&f, 3, PCI_BAR0, 4), ==, 0xffffffe1);
    cfg_write(&f, 3, PCI_BAR0, 0xc000, 4);
    g_assert_cmphex(in8(&f.m, 0xc00a), ==, 0xff); /* I/O decoding still off */
    cfg_write(&f, 3, PCI_COMMAND, PCI_COMMAND_IO, 2);
    g_assert_cmphex(in8(&f.m, 0xc00a), ==, 'P');
    cfg_write(&f, 3, PCI_BAR0, 0xc100, 4);
    g_assert_cmphex(in8(&f.m, 0xc00a), ==, 0xff);
    g_assert_cmphex(in8(&f.m, 0xc10a), ==, 'P');
    cfg_write(&f, 3, PCI_BAR0, 0xffffffe0, 4); /* beyond the port space: decodes nothing */
    g_assert_cmphex(in8(&f.m, 0xc10a), ==, 0xff);
    g_assert_cmphex(in8(&f.m, 0xffea), ==, 0xff);
    cfg_write(&f, 3, PCI_BAR0, 0xc100, 4);
    cfg_write(&f, 3, PCI_INTERRUPT_LINE, 11, 1);
    g_assert_cmphex(cfg_read(&f, 3, PCI_INTERRUPT_LINE, 1), ==, 11);
    ne2000_pci_reset(p);
    g_assert_cmphex(in8(&f.m, 0xc10a), ==, 0xff);
    g_assert_cmphex(cfg_read(&f, 3, PCI_BAR0, 4), ==, 0x1);
    ne2000_pci_destroy(p);
    pci_bus_destroy(bus);
    fix_fini(&f);
}

/* Anything a guest can do through the ports, mixed with traffic: no crash, no stray access. */
static void test_hostile(void)
{
    struct fix f;
    fix_init(&f);
    GRand *r = g_rand_new_with_seed(0x8029);
    uint8_t frame[NE2000_MAX_FRAME + 8];
    for (unsigned i = 0; i < sizeof(frame); i++)
        frame[i] = (uint8_t)g_rand_int(r);
    for (unsigned iter = 0; iter < 200000; iter++) {
        uint16_t port = (uint16_t)(BASE + g_rand_int_range(r, 0, 32));
        static const unsigned sizes[3] = {1, 2, 4};
        unsigned size = sizes[g_rand_int_range(r, 0, 3)];
        switch (g_rand_int_range(r, 0, 8)) {
        case 0:
        case 1:
        case 2:
            iobus_write(&f.m.io, port, g_rand_int(r), size);
            break;
        case 3:
        case 4:
            iobus_read(&f.m.io, port, size);
            break;
        case 5: {
            size_t len = (size_t)g_rand_int_range(r, 0, (gint32)sizeof(frame));
            if (g_rand_boolean(r))
                memcpy(frame, mac, 6);
            if (ne2000_can_receive(f.nic) || g_rand_boolean(r))
                ne2000_receive(f.nic, frame, len);
            break;
        }
        case 6:
            /* Start the NIC with a random ring now and then, so reception runs. */
            out8(&f.m, CR, 0x22);
            out8(&f.m, BASE + g_rand_int_range(r, 1, 4), (uint8_t)g_rand_int(r));
            break;
        default:
            out8(&f.m, CR, (uint8_t)(g_rand_int(r) | 0x04));
            break;
        }
    }
    g_rand_free(r);
    /* The mix reached reception and transmission. */
    const struct ne2000_stats *st = ne2000_get_stats(f.nic);
    g_test_message("rx %" G_GUINT64_FORMAT " dropped %" G_GUINT64_FORMAT " tx %" G_GUINT64_FORMAT
                   " tx errors %" G_GUINT64_FORMAT,
                   st->rx_packets, st->rx_dropped, st->tx_packets, st->tx_errors);
    g_assert_cmpuint(st->rx_packets, >, 0);
    g_assert_cmpuint(st->tx_packets, >, 0);
    fix_fini(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ne2000/reset-state", test_reset_state);
    g_test_add_func("/ne2000/prom", test_prom);
    g_test_add_func("/ne2000/remote-dma", test_remote_dma);
    g_test_add_func("/ne2000/transmit", test_transmit);
    g_test_add_func("/ne2000/receive", test_receive);
    g_test_add_func("/ne2000/filter", test_filter);
    g_test_add_func("/ne2000/overflow", test_overflow);
    g_test_add_func("/ne2000/interrupts", test_interrupts);
    g_test_add_func("/ne2000/send-packet", test_send_packet);
    g_test_add_func("/ne2000/page3-and-wide-access", test_page3_and_wide_access);
    g_test_add_func("/ne2000/pci", test_pci);
    g_test_add_func("/ne2000/hostile", test_hostile);
    return g_test_run();
}
