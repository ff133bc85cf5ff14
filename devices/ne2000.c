/*
 * The RTL8029AS NE2000-compatible adapter (see ne2000.h), modelled from the
 * National DP8390D/NS32490D NIC datasheet (register descriptions §10,
 * remote DMA §9, buffer ring §7, initialisation §11) and the Realtek
 * RTL8029AS datasheet (chip ID and page-3 registers §5.1.2.2, ID PROM
 * §6.2.2, port map). Buffer memory is 32 KiB at 0x4000-0xBFFF in the NIC's
 * local address space; the ID PROM answers at 0x0000-0x001F. Every address
 * the guest programs goes through mem_read/mem_write, which ignore what
 * lies outside those two windows, so no value reaches host memory beyond
 * the buffer. Transmission and reception complete at once (there is no
 * wire time).
 */
#include "devices/ne2000.h"

#include <glib.h>
#include <string.h>

#include "devices/pci.h"
#include "machine/machine.h"

/* Port offsets (RTL8029AS datasheet, port map). */
#define NE_REGS  0x00 /* 0x00-0x0F: the paged DP8390 registers */
#define NE_DATA  0x10 /* 0x10-0x17: remote DMA data port */
#define NE_RESET 0x18 /* 0x18-0x1F: reading resets the NIC */

/* CR, the command register at offset 0 of every page (DP8390D §10.3). */
#define CR_STP      0x01 /* stop */
#define CR_STA      0x02 /* start */
#define CR_TXP      0x04 /* transmit packet */
#define CR_RD_MASK  0x38 /* remote DMA command */
#define CR_RD_READ  0x08
#define CR_RD_WRITE 0x10
#define CR_RD_SEND  0x18 /* send packet: read one packet out of the ring */
#define CR_RD_ABORT 0x20 /* RD2: abort or complete remote DMA */
#define CR_PS_SHIFT 6    /* PS1-PS0: register page */

/* Page 0 registers: read / write names where they differ. */
#define P0_CLDA0_PSTART 0x01
#define P0_CLDA1_PSTOP  0x02
#define P0_BNRY         0x03
#define P0_TSR_TPSR     0x04
#define P0_NCR_TBCR0    0x05
#define P0_FIFO_TBCR1   0x06
#define P0_ISR          0x07
#define P0_CRDA0_RSAR0  0x08
#define P0_CRDA1_RSAR1  0x09
#define P0_ID0_RBCR0    0x0a /* read: RTL8029 ID 'P' */
#define P0_ID1_RBCR1    0x0b /* read: RTL8029 ID 'C' */
#define P0_RSR_RCR      0x0c
#define P0_CNTR0_TCR    0x0d
#define P0_CNTR1_DCR    0x0e
#define P0_CNTR2_IMR    0x0f

/* Page 1: physical address, current page, multicast filter. */
#define P1_PAR0 0x01
#define P1_CURR 0x07
#define P1_MAR0 0x08

/* Page 2 (diagnostics: the page-0 write-only registers read back). */
#define P2_PSTART 0x01
#define P2_PSTOP  0x02
#define P2_RNPP   0x03 /* remote next packet pointer */
#define P2_TPSR   0x04
#define P2_LNPP   0x05 /* local next packet pointer */
#define P2_RCR    0x0c
#define P2_TCR    0x0d
#define P2_DCR    0x0e
#define P2_IMR    0x0f

/* Page 3: RTL8029AS configuration (RTL8029AS §5.1.2.2). */
#define P3_9346CR  0x01 /* EEM1-0 in bits 7-6: 11 enables CONFIG writes */
#define P3_CONFIG0 0x03
#define P3_CONFIG2 0x05 /* bits 7-5 writable */
#define P3_CONFIG3 0x06 /* bits 6, 2-1 writable */
#define P3_ID0     0x0e /* 0x29 */
#define P3_ID1     0x0f /* 0x80 */

#define EEM_CONFIG_WRITE 0xc0

/* ISR and IMR bits (DP8390D §10.3, Interrupt Status Register). */
#define ISR_PRX 0x01 /* packet received */
#define ISR_PTX 0x02 /* packet transmitted */
#define ISR_RXE 0x04 /* receive error (here: a missed packet) */
#define ISR_TXE 0x08 /* transmit error */
#define ISR_OVW 0x10 /* receive ring overwrite warning */
#define ISR_CNT 0x20 /* a tally counter's MSB is set */
#define ISR_RDC 0x40 /* remote DMA complete */
#define ISR_RST 0x80 /* reset state or ring overflow; not an interrupt source */

/* DCR, TCR, RCR, TSR, RSR bits. */
#define DCR_WTS 0x01 /* word-wide remote DMA */
#define DCR_BOS 0x02 /* byte order: 1 = most significant byte first */
#define DCR_LAS 0x04 /* long address select (cleared by reset) */
#define TCR_LB  0x06 /* loopback mode: 00 normal */
#define RCR_AB  0x04 /* accept broadcast */
#define RCR_AM  0x08 /* accept multicast through the MAR hash */
#define RCR_PRO 0x10 /* promiscuous: accept every physical address */
#define RCR_MON 0x20 /* monitor: check but never store */
#define TSR_PTX 0x01
#define TSR_ABT 0x08
#define RSR_PRX 0x01
#define RSR_MPA 0x10 /* missed packet */
#define RSR_PHY 0x20 /* multicast or broadcast destination */

/* The NIC's local address space. */
#define PROM_SIZE 32
#define MEM_START 0x4000
#define MEM_SIZE  0x8000
#define PAGE_SIZE 256

#define RX_HEADER 4  /* status, next page, byte count (low, high) */
#define ETH_CRC   4  /* the frame check sequence stored after each frame */
#define ETH_MIN   60 /* shortest frame without CRC; shorter ones arrive padded */

struct ne2000 {
    struct machine *m;
    struct irq_line irq;
    uint16_t io_base; /* where the ports are decoded (0: nowhere) */
    void (*send)(void *opaque, const uint8_t *frame, size_t len);
    void *send_opaque;
    uint8_t mac[6]; /* the station address in the PROM */

    uint8_t cr;              /* command: page, remote DMA command, STA/STP */
    uint8_t isr;             /* interrupt status */
    uint8_t imr;             /* interrupt mask */
    uint8_t dcr;             /* data configuration */
    uint8_t tcr;             /* transmit configuration */
    uint8_t rcr;             /* receive configuration */
    uint8_t tsr;             /* transmit status */
    uint8_t rsr;             /* receive status of the last frame */
    uint8_t pstart;          /* first page of the receive ring */
    uint8_t pstop;           /* page after the ring */
    uint8_t bnry;            /* boundary: the ring may not be written up to this page */
    uint8_t curr;            /* current page: where the next frame goes */
    uint8_t tpsr;            /* transmit page start */
    uint16_t tbcr;           /* transmit byte count */
    uint16_t rsar;           /* remote DMA address (also read as CRDA) */
    uint16_t rbcr;           /* remote DMA bytes left */
    uint16_t clda;           /* current local DMA address (last receive write) */
    uint8_t rnpp;            /* remote next packet pointer (send packet command) */
    uint8_t lnpp;            /* local next packet pointer */
    bool send_packet;        /* the remote DMA runs a send-packet command */
    uint8_t par[6];          /* physical address filter */
    uint8_t mar[8];          /* multicast hash filter */
    uint8_t cntr[3];         /* tally counters: frame alignment, CRC, missed packets */
    uint8_t cr9346;          /* RTL8029AS 9346CR */
    uint8_t config2;         /* RTL8029AS CONFIG2 */
    uint8_t config3;         /* RTL8029AS CONFIG3 */
    int irq_level;           /* what the interrupt line is driven to */
    uint8_t prom[PROM_SIZE]; /* the ID PROM as the remote DMA reads it */
    uint8_t mem[MEM_SIZE];   /* buffer memory */
    struct ne2000_stats stats;
};

/* --- interrupts -------------------------------------------------------- */

static void ne2000_update_irq(struct ne2000 *s)
{
    int level = (s->isr & s->imr & 0x7f) != 0;
    if (level != s->irq_level) {
        s->irq_level = level;
        irq_set(&s->irq, level);
    }
}

/* --- local memory ------------------------------------------------------ */

static uint8_t mem_read(const struct ne2000 *s, uint16_t addr)
{
    if (addr < PROM_SIZE)
        return s->prom[addr];
    if (addr >= MEM_START && addr - MEM_START < MEM_SIZE)
        return s->mem[addr - MEM_START];
    return 0xff; /* nothing answers */
}

static void mem_write(struct ne2000 *s, uint16_t addr, uint8_t v)
{
    if (addr >= MEM_START && addr - MEM_START < MEM_SIZE)
        s->mem[addr - MEM_START] = v;
}

static bool ring_valid(const struct ne2000 *s)
{
    return s->pstart < s->pstop;
}

/* The page after `page` in the receive ring: PSTOP wraps to PSTART (DP8390D §7). */
static uint8_t ring_next(const struct ne2000 *s, uint8_t page)
{
    uint8_t next = (uint8_t)(page + 1);
    return next == s->pstop ? s->pstart : next;
}

/* Whether `pages` pages from CURR on fit without CURR reaching the boundary. */
static bool ring_fits(const struct ne2000 *s, unsigned pages)
{
    if (!ring_valid(s))
        return false;
    uint8_t p = s->curr;
    for (unsigned i = 0; i < pages; i++) {
        p = ring_next(s, p);
        if (p == s->bnry)
            return false;
    }
    return true;
}

/* --- reset ------------------------------------------------------------- */

/* The reset state of the DP8390 (DP8390D §11.0): stopped, remote DMA aborted, page 0. */
static void chip_reset(struct ne2000 *s)
{
    s->cr = CR_STP | CR_RD_ABORT;
    s->isr = ISR_RST;
    s->imr = 0;
    s->dcr &= (uint8_t)~DCR_LAS;
    s->tcr &= (uint8_t)~TCR_LB;
    s->send_packet = false;
    ne2000_update_irq(s);
}

void ne2000_reset(struct ne2000 *s)
{
    s->dcr = s->tcr = s->rcr = s->tsr = s->rsr = 0;
    s->pstart = s->pstop = s->bnry = s->curr = s->tpsr = 0;
    s->tbcr = s->rsar = s->rbcr = s->clda = 0;
    s->rnpp = s->lnpp = 0;
    memcpy(s->par, s->mac, sizeof(s->par));
    memset(s->mar, 0, sizeof(s->mar));
    memset(s->cntr, 0, sizeof(s->cntr));
    s->cr9346 = s->config2 = s->config3 = 0;
    memset(s->mem, 0, sizeof(s->mem));
    chip_reset(s);
}

/* --- remote DMA (DP8390D §9.0) ----------------------------------------- */

/* Move the remote DMA on by `n` bytes; the count running out completes it. */
static void dma_advance(struct ne2000 *s, uint16_t from, unsigned n)
{
    s->rsar = (uint16_t)(from + n);
    /* Crossing PSTOP goes back to PSTART, so the ring reads and writes as one block. */
    if (ring_valid(s) && s->rsar == (uint16_t)(s->pstop << 8))
        s->rsar = (uint16_t)(s->pstart << 8);
    if (s->rbcr == 0)
        return; /* accesses past the end move the address only */
    s->rbcr = s->rbcr > n ? (uint16_t)(s->rbcr - n) : 0;
    if (s->rbcr == 0) {
        if (s->send_packet) {
            s->bnry = s->rnpp; /* the packet is out of the ring */
            s->send_packet = false;
        }
        s->isr |= ISR_RDC;
        ne2000_update_irq(s);
    }
}

/* One 16-bit transfer: the address's low bit is ignored in word mode. */
static uint16_t dma_read_word(struct ne2000 *s)
{
    uint16_t a = s->rsar & 0xfffe;
    uint16_t w = (uint16_t)(mem_read(s, a) | mem_read(s, (uint16_t)(a + 1)) << 8);
    dma_advance(s, a, 2);
    return (s->dcr & DCR_BOS) ? GUINT16_SWAP_LE_BE(w) : w;
}

static void dma_write_word(struct ne2000 *s, uint16_t w)
{
    uint16_t a = s->rsar & 0xfffe;
    if (s->dcr & DCR_BOS)
        w = GUINT16_SWAP_LE_BE(w);
    mem_write(s, a, (uint8_t)w);
    mem_write(s, (uint16_t)(a + 1), (uint8_t)(w >> 8));
    dma_advance(s, a, 2);
}

static uint8_t dma_read_byte(struct ne2000 *s)
{
    uint16_t a = s->rsar;
    uint8_t v = mem_read(s, a);
    dma_advance(s, a, 1);
    return v;
}

static void dma_write_byte(struct ne2000 *s, uint8_t v)
{
    uint16_t a = s->rsar;
    mem_write(s, a, v);
    dma_advance(s, a, 1);
}

/*
 * The data port. In word mode (DCR.WTS) each transfer is 16 bits: a byte
 * access takes the low half of a word (so the NE2000 PROM, whose bytes are
 * doubled, reads as the plain station address) and a 32-bit access two
 * words. In byte mode each byte of the access is one transfer.
 */
static uint32_t data_read(struct ne2000 *s, unsigned size)
{
    if (s->dcr & DCR_WTS) {
        uint32_t v = dma_read_word(s);
        if (size == 4)
            v |= (uint32_t)dma_read_word(s) << 16;
        return size == 1 ? v & 0xff : v;
    }
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)dma_read_byte(s) << (8 * i);
    return v;
}

static void data_write(struct ne2000 *s, uint32_t v, unsigned size)
{
    if (s->dcr & DCR_WTS) {
        dma_write_word(s, (uint16_t)v);
        if (size == 4)
            dma_write_word(s, (uint16_t)(v >> 16));
        return;
    }
    for (unsigned i = 0; i < size; i++)
        dma_write_byte(s, (uint8_t)(v >> (8 * i)));
}

/* Send packet: the remote DMA reads the packet at BNRY, its length from its header (§9.0). */
static void start_send_packet(struct ne2000 *s)
{
    uint16_t a = (uint16_t)(s->bnry << 8);
    s->rsar = a;
    s->rnpp = mem_read(s, (uint16_t)(a + 1));
    s->rbcr = (uint16_t)(mem_read(s, (uint16_t)(a + 2)) | mem_read(s, (uint16_t)(a + 3)) << 8);
    s->send_packet = true;
}

/* --- address filter and reception (DP8390D §7, §10.3 RCR) -------------- */

/* The CRC-32 of an address as the NIC's hash logic computes it (bits LSB first, no inversion). */
static uint32_t hash_crc(const uint8_t *addr)
{
    uint32_t crc = 0xffffffffu;
    for (unsigned i = 0; i < 6; i++) {
        uint8_t b = addr[i];
        for (unsigned bit = 0; bit < 8; bit++, b >>= 1) {
            bool carry = ((crc >> 31) ^ b) & 1;
            crc <<= 1;
            if (carry)
                crc ^= 0x04c11db7u;
        }
    }
    return crc;
}

/* The Ethernet frame check sequence (IEEE 802.3 §3.2.9). */
static uint32_t fcs(const uint8_t *p, size_t len)
{
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (unsigned bit = 0; bit < 8; bit++)
            crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
    }
    return ~crc;
}

/* Whether RCR and the address registers accept `dest`; *status gets RSR's PHY bit. */
static bool address_accepted(const struct ne2000 *s, const uint8_t *dest, uint8_t *status)
{
    static const uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    *status = 0;
    if (!memcmp(dest, broadcast, 6)) {
        *status = RSR_PHY;
        return (s->rcr & (RCR_AB | RCR_PRO)) != 0;
    }
    if (dest[0] & 1) {
        *status = RSR_PHY;
        if (s->rcr & RCR_PRO)
            return true;
        /* The top six bits of the CRC index the 64-bit MAR filter. */
        unsigned index = hash_crc(dest) >> 26;
        return (s->rcr & RCR_AM) && (s->mar[index >> 3] >> (index & 7) & 1);
    }
    return (s->rcr & RCR_PRO) || !memcmp(dest, s->par, 6);
}

static void tally(struct ne2000 *s, unsigned counter)
{
    if (s->cntr[counter] < 0xff)
        s->cntr[counter]++;
    if (s->cntr[counter] & 0x80)
        s->isr |= ISR_CNT;
}

/* A frame for this station that cannot be stored (§10.3 RSR MPA): count it. */
static void missed_packet(struct ne2000 *s)
{
    s->rsr = RSR_MPA;
    s->isr |= ISR_RXE;
    tally(s, 2);
    s->stats.rx_dropped++;
}

static void ring_put(struct ne2000 *s, uint16_t *addr, uint8_t v)
{
    mem_write(s, *addr, v);
    s->clda = *addr;
    uint16_t next = (uint16_t)(*addr + 1);
    if ((next & 0xff) == 0)
        next = (uint16_t)(ring_next(s, (uint8_t)(*addr >> 8)) << 8);
    *addr = next;
}

/* Store an accepted frame at CURR: header, frame padded to 60 bytes, CRC. */
static void ring_store(struct ne2000 *s, const uint8_t *frame, size_t len, uint8_t status)
{
    uint8_t buf[NE2000_MAX_FRAME + ETH_CRC];
    size_t padded = len < ETH_MIN ? ETH_MIN : len;
    memset(buf, 0, sizeof(buf));
    memcpy(buf, frame, len);
    uint32_t crc = fcs(buf, padded);
    for (unsigned i = 0; i < ETH_CRC; i++)
        buf[padded + i] = (uint8_t)(crc >> (8 * i));
    size_t count = padded + ETH_CRC;
    unsigned pages = (unsigned)((RX_HEADER + count + PAGE_SIZE - 1) / PAGE_SIZE);
    if (!ring_fits(s, pages)) {
        /* Ring overflow (§7): the frame is lost, OVW and RST report it. */
        s->isr |= ISR_OVW | ISR_RST;
        missed_packet(s);
        ne2000_update_irq(s);
        return;
    }
    uint8_t next = s->curr;
    for (unsigned i = 0; i < pages; i++)
        next = ring_next(s, next);
    uint16_t addr = (uint16_t)(s->curr << 8);
    const uint8_t header[RX_HEADER] = {status | RSR_PRX, next, (uint8_t)count,
                                       (uint8_t)(count >> 8)};
    for (unsigned i = 0; i < RX_HEADER; i++)
        ring_put(s, &addr, header[i]);
    for (size_t i = 0; i < count; i++)
        ring_put(s, &addr, buf[i]);
    s->curr = s->lnpp = next;
    s->rsr = status | RSR_PRX;
    s->isr |= ISR_PRX;
    s->stats.rx_packets++;
    s->stats.rx_bytes += len;
    ne2000_update_irq(s);
}

static bool started(const struct ne2000 *s)
{
    return (s->cr & (CR_STA | CR_STP)) == CR_STA;
}

bool ne2000_can_receive(struct ne2000 *s)
{
    unsigned max_pages = (RX_HEADER + NE2000_MAX_FRAME + ETH_CRC + PAGE_SIZE - 1) / PAGE_SIZE;
    return started(s) && ((s->rcr & RCR_MON) || ring_fits(s, max_pages));
}

void ne2000_receive(struct ne2000 *s, const uint8_t *frame, size_t len)
{
    if (!started(s) || len < 6 || len > NE2000_MAX_FRAME) {
        s->stats.rx_dropped++;
        return;
    }
    uint8_t status;
    if (!address_accepted(s, frame, &status))
        return; /* not for this station */
    if (s->rcr & RCR_MON) {
        missed_packet(s);
        ne2000_update_irq(s);
        return;
    }
    ring_store(s, frame, len, status);
}

void ne2000_drop(struct ne2000 *s)
{
    s->stats.rx_dropped++;
}

const struct ne2000_stats *ne2000_get_stats(const struct ne2000 *s)
{
    return &s->stats;
}

/* --- transmission ------------------------------------------------------ */

/* TXP: send TBCR bytes from page TPSR. In loopback the frame only meets the receive filter. */
static void transmit(struct ne2000 *s)
{
    size_t len = s->tbcr;
    if (len == 0 || len > NE2000_MAX_FRAME) {
        s->tsr = TSR_ABT;
        s->isr |= ISR_TXE;
        s->stats.tx_errors++;
        ne2000_update_irq(s);
        return;
    }
    uint8_t frame[NE2000_MAX_FRAME];
    for (size_t i = 0; i < len; i++)
        frame[i] = mem_read(s, (uint16_t)((s->tpsr << 8) + i));
    s->tsr = TSR_PTX;
    s->isr |= ISR_PTX;
    if (s->tcr & TCR_LB) {
        /* Loopback (§12.0): the receiver checks the address but nothing is buffered. */
        uint8_t status;
        if (len >= 6 && address_accepted(s, frame, &status))
            s->rsr = status | RSR_PRX;
    } else {
        s->stats.tx_packets++;
        s->stats.tx_bytes += len;
        if (s->send)
            s->send(s->send_opaque, frame, len);
    }
    ne2000_update_irq(s);
}

/* --- registers ----------------------------------------------------------- */

static void cr_write(struct ne2000 *s, uint8_t v)
{
    uint8_t rd = v & CR_RD_MASK;
    s->cr = (uint8_t)((v & 0xc0) | rd | (s->cr & (CR_STA | CR_STP)));
    if (v & CR_STP) {
        s->cr = (uint8_t)((s->cr & ~CR_STA) | CR_STP);
        s->isr |= ISR_RST;
    } else if (v & CR_STA) {
        s->cr = (uint8_t)((s->cr & ~CR_STP) | CR_STA);
        s->isr &= (uint8_t)~ISR_RST;
    }
    if (rd & CR_RD_ABORT) {
        s->send_packet = false;
    } else if (rd == CR_RD_SEND) {
        start_send_packet(s);
    } else if ((rd == CR_RD_READ || rd == CR_RD_WRITE) && s->rbcr == 0) {
        s->isr |= ISR_RDC; /* nothing to move: done at once */
    }
    if ((v & CR_TXP) && started(s))
        transmit(s);
    ne2000_update_irq(s);
}

static uint8_t read_counter(struct ne2000 *s, unsigned counter)
{
    uint8_t v = s->cntr[counter];
    s->cntr[counter] = 0; /* tally counters clear when read */
    return v;
}

static uint8_t page0_read(struct ne2000 *s, unsigned reg)
{
    switch (reg) {
    case P0_CLDA0_PSTART:
        return (uint8_t)s->clda;
    case P0_CLDA1_PSTOP:
        return (uint8_t)(s->clda >> 8);
    case P0_BNRY:
        return s->bnry;
    case P0_TSR_TPSR:
        return s->tsr | 0x02; /* RTL8029AS: bit 1 reads 1 */
    case P0_NCR_TBCR0:
        return 0; /* no collisions */
    case P0_FIFO_TBCR1:
        return 0;
    case P0_ISR:
        return s->isr;
    case P0_CRDA0_RSAR0:
        return (uint8_t)s->rsar;
    case P0_CRDA1_RSAR1:
        return (uint8_t)(s->rsar >> 8);
    case P0_ID0_RBCR0:
        return 'P';
    case P0_ID1_RBCR1:
        return 'C';
    case P0_RSR_RCR:
        return s->rsr;
    case P0_CNTR0_TCR:
        return read_counter(s, 0);
    case P0_CNTR1_DCR:
        return read_counter(s, 1);
    case P0_CNTR2_IMR:
        return read_counter(s, 2);
    default:
        return 0xff;
    }
}

static void page0_write(struct ne2000 *s, unsigned reg, uint8_t v)
{
    switch (reg) {
    case P0_CLDA0_PSTART:
        s->pstart = v;
        break;
    case P0_CLDA1_PSTOP:
        s->pstop = v;
        break;
    case P0_BNRY:
        s->bnry = v;
        if (started(s))
            s->isr &= (uint8_t)~ISR_RST; /* room again after an overflow */
        break;
    case P0_TSR_TPSR:
        s->tpsr = v;
        break;
    case P0_NCR_TBCR0:
        s->tbcr = (uint16_t)((s->tbcr & 0xff00) | v);
        break;
    case P0_FIFO_TBCR1:
        s->tbcr = (uint16_t)((s->tbcr & 0x00ff) | v << 8);
        break;
    case P0_ISR:
        s->isr &= (uint8_t) ~(v & 0x7f); /* write 1 to clear; RST is not cleared this way */
        ne2000_update_irq(s);
        break;
    case P0_CRDA0_RSAR0:
        s->rsar = (uint16_t)((s->rsar & 0xff00) | v);
        break;
    case P0_CRDA1_RSAR1:
        s->rsar = (uint16_t)((s->rsar & 0x00ff) | v << 8);
        break;
    case P0_ID0_RBCR0:
        s->rbcr = (uint16_t)((s->rbcr & 0xff00) | v);
        break;
    case P0_ID1_RBCR1:
        s->rbcr = (uint16_t)((s->rbcr & 0x00ff) | v << 8);
        break;
    case P0_RSR_RCR:
        s->rcr = v & 0x3f;
        break;
    case P0_CNTR0_TCR:
        s->tcr = v & 0x1f;
        break;
    case P0_CNTR1_DCR:
        s->dcr = v & 0x7f;
        break;
    case P0_CNTR2_IMR:
        s->imr = v & 0x7f;
        ne2000_update_irq(s);
        break;
    }
}

static uint8_t page1_read(struct ne2000 *s, unsigned reg)
{
    if (reg >= P1_PAR0 && reg < P1_PAR0 + 6)
        return s->par[reg - P1_PAR0];
    if (reg == P1_CURR)
        return s->curr;
    return s->mar[(reg - P1_MAR0) & 7];
}

static void page1_write(struct ne2000 *s, unsigned reg, uint8_t v)
{
    if (reg >= P1_PAR0 && reg < P1_PAR0 + 6)
        s->par[reg - P1_PAR0] = v;
    else if (reg == P1_CURR)
        s->curr = v;
    else
        s->mar[(reg - P1_MAR0) & 7] = v;
}

static uint8_t page2_read(struct ne2000 *s, unsigned reg)
{
    switch (reg) {
    case P2_PSTART:
        return s->pstart;
    case P2_PSTOP:
        return s->pstop;
    case P2_RNPP:
        return s->rnpp;
    case P2_TPSR:
        return s->tpsr;
    case P2_LNPP:
        return s->lnpp;
    case P2_RCR:
        return s->rcr | 0xc0; /* unused bits read 1 (RTL8029AS §5.1.2.1) */
    case P2_TCR:
        return s->tcr | 0xe0;
    case P2_DCR:
        return s->dcr | 0x80;
    case P2_IMR:
        return s->imr;
    default:
        return 0xff;
    }
}

/* Page 2 writes reach only the DMA pointers, for diagnostics. */
static void page2_write(struct ne2000 *s, unsigned reg, uint8_t v)
{
    switch (reg) {
    case 0x01:
        s->clda = (uint16_t)((s->clda & 0xff00) | v);
        break;
    case 0x02:
        s->clda = (uint16_t)((s->clda & 0x00ff) | v << 8);
        break;
    case P2_RNPP:
        s->rnpp = v;
        break;
    case P2_LNPP:
        s->lnpp = v;
        break;
    }
}

static uint8_t page3_read(struct ne2000 *s, unsigned reg)
{
    switch (reg) {
    case P3_9346CR:
        return s->cr9346 & 0xfe; /* no serial EEPROM: EEDO reads 0 */
    case P3_CONFIG0:
        return 0; /* twisted pair, no BNC */
    case P3_CONFIG2:
        return s->config2;
    case P3_CONFIG3:
        return s->config3;
    case P3_ID0:
        return 0x29;
    case P3_ID1:
        return 0x80;
    default:
        return 0;
    }
}

static void page3_write(struct ne2000 *s, unsigned reg, uint8_t v)
{
    bool config_writable = (s->cr9346 & EEM_CONFIG_WRITE) == EEM_CONFIG_WRITE;
    switch (reg) {
    case P3_9346CR:
        s->cr9346 = v & 0xce;
        break;
    case P3_CONFIG2:
        if (config_writable)
            s->config2 = v & 0xe0;
        break;
    case P3_CONFIG3:
        if (config_writable)
            s->config3 = v & 0x46;
        break;
    }
}

static uint8_t reg_read(struct ne2000 *s, unsigned reg)
{
    if (reg == 0)
        return s->cr;
    switch (s->cr >> CR_PS_SHIFT) {
    case 0:
        return page0_read(s, reg);
    case 1:
        return page1_read(s, reg);
    case 2:
        return page2_read(s, reg);
    default:
        return page3_read(s, reg);
    }
}

static void reg_write(struct ne2000 *s, unsigned reg, uint8_t v)
{
    if (reg == 0) {
        cr_write(s, v);
        return;
    }
    switch (s->cr >> CR_PS_SHIFT) {
    case 0:
        page0_write(s, reg, v);
        break;
    case 1:
        page1_write(s, reg, v);
        break;
    case 2:
        page2_write(s, reg, v);
        break;
    default:
        page3_write(s, reg, v);
        break;
    }
}

/* One byte of the port range. */
static uint8_t port_read(struct ne2000 *s, unsigned offset)
{
    if (offset < NE_DATA)
        return reg_read(s, offset);
    if (offset < NE_RESET)
        return (uint8_t)data_read(s, 1);
    chip_reset(s); /* reading the reset port resets the NIC */
    return 0;
}

static void port_write(struct ne2000 *s, unsigned offset, uint8_t v)
{
    if (offset < NE_DATA)
        reg_write(s, offset, v);
    else if (offset < NE_RESET)
        data_write(s, v, 1);
    /* Writes to the reset port do nothing. */
}

static uint32_t ne2000_io_read(void *opaque, uint16_t offset, unsigned size)
{
    struct ne2000 *s = opaque;
    if (offset >= NE_DATA && offset < NE_RESET)
        return data_read(s, size);
    uint32_t v = 0;
    for (unsigned i = 0; i < size && offset + i < NE2000_IO_SIZE; i++)
        v |= (uint32_t)port_read(s, offset + i) << (8 * i);
    return v;
}

static void ne2000_io_write(void *opaque, uint16_t offset, uint32_t value, unsigned size)
{
    struct ne2000 *s = opaque;
    if (offset >= NE_DATA && offset < NE_RESET) {
        data_write(s, value, size);
        return;
    }
    for (unsigned i = 0; i < size && offset + i < NE2000_IO_SIZE; i++)
        port_write(s, offset + i, (uint8_t)(value >> (8 * i)));
}

static const struct io_ops ne2000_io_ops = {ne2000_io_read, ne2000_io_write, IO_SIZE_2 | IO_SIZE_4};

/* --- creation ------------------------------------------------------------ */

void ne2000_map(struct ne2000 *s, uint16_t io_base)
{
    if (io_base == s->io_base)
        return;
    if (s->io_base)
        iobus_unregister(&s->m->io, s->io_base);
    s->io_base = 0;
    if (io_base && (uint32_t)io_base + NE2000_IO_SIZE <= 0x10000 &&
        iobus_register(&s->m->io, "ne2000", io_base, NE2000_IO_SIZE, &ne2000_io_ops, s) == 0)
        s->io_base = io_base;
}

struct ne2000 *ne2000_create(struct machine *m, const struct irq_line *irq, const uint8_t mac[6],
                             void (*send)(void *opaque, const uint8_t *frame, size_t len),
                             void *opaque)
{
    struct ne2000 *s = g_new0(struct ne2000, 1);
    s->m = m;
    if (irq)
        s->irq = *irq;
    s->send = send;
    s->send_opaque = opaque;
    memcpy(s->mac, mac, 6);
    /* The NE2000 PROM: each byte doubled (an 8-bit PROM on a 16-bit bus), then 'W','W'. */
    for (unsigned i = 0; i < 6; i++)
        s->prom[2 * i] = s->prom[2 * i + 1] = mac[i];
    s->prom[14] = s->prom[15] = 0x57;
    ne2000_reset(s);
    return s;
}

void ne2000_destroy(struct ne2000 *s)
{
    if (!s)
        return;
    ne2000_map(s, 0);
    g_free(s);
}

/* --- the PCI function ---------------------------------------------------- */

struct ne2000_pci {
    struct pci_function fn;
    struct ne2000 *nic;
};

static void ne2000_pci_config_written(struct pci_function *f, unsigned offset, unsigned size)
{
    struct ne2000_pci *p = f->opaque;
    uint32_t base = pci_bar_address(f, 0);
    /* An I/O BAR beyond the 64 KiB port space decodes nothing. */
    ne2000_map(p->nic, base <= 0x10000 - NE2000_IO_SIZE ? (uint16_t)base : 0);
}

struct ne2000_pci *ne2000_pci_create(struct pci_bus *bus, unsigned dev, struct ne2000 *nic)
{
    struct ne2000_pci *p = g_new0(struct ne2000_pci, 1);
    p->nic = nic;
    pci_function_init(&p->fn, NE2000_PCI_VENDOR, NE2000_PCI_DEVICE, 0x020000, 0x00);
    pci_function_bar(&p->fn, 0, NE2000_IO_SIZE, true);
    p->fn.cfg[PCI_INTERRUPT_PIN] = 1; /* INTA# */
    p->fn.config_written = ne2000_pci_config_written;
    p->fn.opaque = p;
    pci_bus_attach(bus, dev, 0, &p->fn);
    ne2000_pci_reset(p);
    return p;
}

void ne2000_pci_reset(struct ne2000_pci *p)
{
    pci_cfg_set16(&p->fn, PCI_COMMAND, 0);
    for (unsigned i = 0; i < 4; i++)
        p->fn.cfg[PCI_BAR0 + i] = i == 0 ? 0x01 : 0; /* I/O space indicator */
    p->fn.cfg[PCI_INTERRUPT_LINE] = 0;
    ne2000_pci_config_written(&p->fn, PCI_COMMAND, 2);
}

void ne2000_pci_destroy(struct ne2000_pci *p)
{
    g_free(p);
}
