/*
 * Intel 8237A DMA controllers (see i8237.h), written from the 8237A
 * datasheet ("Register Description", Table 2 "Software Command Codes",
 * Table 3 "Word Count and Address Register Command Codes") and the PC/AT
 * wiring: DMA2's register select comes from address lines A1-A4, so its
 * registers sit at even ports and an odd port reaches the register below
 * it; DMA2 moves 16-bit words, its address register holds address bits
 * 1-16 and bit 0 of its page registers is not used.
 *
 * Transfers happen when a device calls dma_transfer. There is no bus
 * timing, so demand, single and block modes behave alike; software
 * requests (the request register) show in the status register but move
 * nothing, as no device answers them; memory-to-memory transfers (command
 * bit 0) are not performed, so the temporary register stays 0.
 */
#include "devices/i8237.h"

#include <glib.h>

#include "machine/machine.h"

#define DMA1_BASE  0x00
#define DMA1_PORTS 16
#define DMA2_BASE  0xc0
#define DMA2_PORTS 32
#define PAGE_BASE  0x81 /* 0x80 is the POST port (debugdev.c) */
#define PAGE_PORTS 15

/* Register numbers (datasheet Tables 2 and 3); 0-7 are channel address/count pairs. */
enum {
    REG_STATUS_COMMAND = 8,     /* read status, write command */
    REG_REQUEST = 9,            /* write */
    REG_SINGLE_MASK = 10,       /* write */
    REG_MODE = 11,              /* write */
    REG_CLEAR_FLIPFLOP = 12,    /* write */
    REG_TEMP_MASTER_CLEAR = 13, /* read temporary, write master clear */
    REG_CLEAR_MASK = 14,        /* write */
    REG_ALL_MASK = 15,          /* write */
};

/* Command register. */
#define CMD_DISABLE 0x04 /* controller disable */

/* Mode register. */
#define MODE_TYPE      0x0c
#define MODE_VERIFY    0x00
#define MODE_WRITE     0x04 /* device to memory */
#define MODE_READ      0x08 /* memory to device */
#define MODE_ILLEGAL   0x0c
#define MODE_AUTOINIT  0x10
#define MODE_DECREMENT 0x20
#define MODE_SELECT    0xc0 /* demand, single, block, cascade */
#define MODE_CASCADE   0xc0

/* Request and single mask registers: bits 0-1 select the channel, bit 2 sets. */
#define BIT_SET 0x04

/* Status register: bits 0-3 TC reached (cleared by reading), bits 4-7 requests. */
#define STATUS_TC 0x0f

/* Page register (port - 0x80) of each channel, PC/AT wiring. */
static const uint8_t page_port[DMA_CHANNELS] = {0x7, 0x3, 0x1, 0x2, 0xf, 0xb, 0x9, 0xa};

struct dma_channel {
    uint16_t base_addr;  /* base address register */
    uint16_t cur_addr;   /* current address register */
    uint16_t base_count; /* base word count register (transfers - 1) */
    uint16_t cur_count;  /* current word count register */
    uint8_t mode;        /* mode register, bits 2-7 */
    bool eop;            /* the last dma_transfer ended at terminal count */
};

struct dma_ctrl {
    struct dma_channel ch[4];
    uint8_t command; /* command register */
    uint8_t status;  /* TC bits 0-3 */
    uint8_t request; /* software request bits 0-3 (status bits 4-7) */
    uint8_t mask;    /* mask bits 0-3 */
    uint8_t temp;    /* temporary register */
    bool flipflop;   /* byte pointer flip-flop: set = high byte next */
    unsigned shift;  /* 0: byte channels (DMA1), 1: word channels (DMA2) */
};

struct dma {
    struct machine *m;
    struct dma_ctrl ctrl[2]; /* DMA1 (channels 0-3), DMA2 (channels 4-7) */
    uint8_t page[16];        /* page registers by port - 0x80 (0 is not ours) */
};

/* --- reset ------------------------------------------------------------ */

/* Master clear (datasheet "Clear Master"; also the RESET pin). */
static void dma_master_clear(struct dma_ctrl *c)
{
    c->command = 0;
    c->status = 0;
    c->request = 0;
    c->temp = 0;
    c->flipflop = false;
    c->mask = 0x0f;
}

void dma_reset(struct dma *dma)
{
    dma_master_clear(&dma->ctrl[0]);
    dma_master_clear(&dma->ctrl[1]);
}

/* --- registers -------------------------------------------------------- */

/* Toggle the byte pointer; true when this access is to the high byte. */
static bool dma_flip(struct dma_ctrl *c)
{
    bool high = c->flipflop;
    c->flipflop = !high;
    return high;
}

static uint8_t dma_ctrl_read(struct dma_ctrl *c, unsigned reg)
{
    switch (reg) {
    case 0 ... 7: {
        struct dma_channel *ch = &c->ch[reg >> 1];
        uint16_t v = reg & 1 ? ch->cur_count : ch->cur_addr;
        return dma_flip(c) ? v >> 8 : v & 0xff;
    }
    case REG_STATUS_COMMAND: {
        uint8_t v = c->status | (uint8_t)(c->request << 4);
        c->status &= ~STATUS_TC;
        return v;
    }
    case REG_TEMP_MASTER_CLEAR:
        return c->temp;
    default: /* write-only registers */
        return 0xff;
    }
}

/* Write one byte of a 16-bit register pair: base and current together. */
static void dma_write_pair(struct dma_ctrl *c, uint16_t *base, uint16_t *cur, uint8_t v)
{
    if (dma_flip(c))
        *base = (uint16_t)((*base & 0x00ff) | v << 8);
    else
        *base = (uint16_t)((*base & 0xff00) | v);
    *cur = *base;
}

static void dma_ctrl_write(struct dma_ctrl *c, unsigned reg, uint8_t v)
{
    switch (reg) {
    case 0 ... 7: {
        struct dma_channel *ch = &c->ch[reg >> 1];
        if (reg & 1)
            dma_write_pair(c, &ch->base_count, &ch->cur_count, v);
        else
            dma_write_pair(c, &ch->base_addr, &ch->cur_addr, v);
        break;
    }
    case REG_STATUS_COMMAND:
        c->command = v;
        break;
    case REG_REQUEST:
        if (v & BIT_SET)
            c->request |= 1u << (v & 3);
        else
            c->request &= ~(1u << (v & 3));
        break;
    case REG_SINGLE_MASK:
        if (v & BIT_SET)
            c->mask |= 1u << (v & 3);
        else
            c->mask &= ~(1u << (v & 3));
        break;
    case REG_MODE:
        c->ch[v & 3].mode = v & 0xfc;
        break;
    case REG_CLEAR_FLIPFLOP:
        c->flipflop = false;
        break;
    case REG_TEMP_MASTER_CLEAR:
        dma_master_clear(c);
        break;
    case REG_CLEAR_MASK:
        c->mask = 0;
        break;
    case REG_ALL_MASK:
        c->mask = v & 0x0f;
        break;
    }
}

static uint32_t dma1_read(void *opaque, uint16_t off, unsigned size)
{
    struct dma *dma = opaque;
    return dma_ctrl_read(&dma->ctrl[0], off);
}

static void dma1_write(void *opaque, uint16_t off, uint32_t v, unsigned size)
{
    struct dma *dma = opaque;
    dma_ctrl_write(&dma->ctrl[0], off, (uint8_t)v);
}

static uint32_t dma2_read(void *opaque, uint16_t off, unsigned size)
{
    struct dma *dma = opaque;
    return dma_ctrl_read(&dma->ctrl[1], off >> 1);
}

static void dma2_write(void *opaque, uint16_t off, uint32_t v, unsigned size)
{
    struct dma *dma = opaque;
    dma_ctrl_write(&dma->ctrl[1], off >> 1, (uint8_t)v);
}

static uint32_t page_read(void *opaque, uint16_t off, unsigned size)
{
    struct dma *dma = opaque;
    return dma->page[(PAGE_BASE & 0x0f) + off];
}

static void page_write(void *opaque, uint16_t off, uint32_t v, unsigned size)
{
    struct dma *dma = opaque;
    dma->page[(PAGE_BASE & 0x0f) + off] = (uint8_t)v;
}

static const struct io_ops dma1_ops = {dma1_read, dma1_write, 0};
static const struct io_ops dma2_ops = {dma2_read, dma2_write, 0};
static const struct io_ops page_ops = {page_read, page_write, 0};

/* --- transfers -------------------------------------------------------- */

static bool dma_ctrl_serves(const struct dma_ctrl *c, unsigned n)
{
    return !(c->command & CMD_DISABLE) && !(c->mask & (1u << n));
}

bool dma_channel_ready(struct dma *dma, unsigned channel)
{
    if (!dma || channel >= DMA_CHANNELS)
        return false;
    struct dma_ctrl *c = &dma->ctrl[channel >> 2];
    unsigned n = channel & 3;
    if (!dma_ctrl_serves(c, n) || (c->ch[n].mode & MODE_SELECT) == MODE_CASCADE)
        return false;
    /* DMA1 holds the bus through DMA2's channel 4 (cascade). */
    return channel >= 4 || dma_ctrl_serves(&dma->ctrl[1], 0);
}

bool dma_terminal_count(struct dma *dma, unsigned channel)
{
    if (!dma || channel >= DMA_CHANNELS)
        return false;
    return dma->ctrl[channel >> 2].ch[channel & 3].eop;
}

/* Copy `units` bytes or words at the channel's current address, wrapping in its page. */
static void dma_move(struct dma *dma, unsigned channel, uint8_t *buf, size_t units, bool to_memory)
{
    struct dma_ctrl *c = &dma->ctrl[channel >> 2];
    struct dma_channel *ch = &c->ch[channel & 3];
    uint8_t page = dma->page[page_port[channel]];
    uint64_t page_base = (uint64_t)(c->shift ? page & 0xfe : page) << 16;
    bool down = ch->mode & MODE_DECREMENT;
    uint16_t addr = ch->cur_addr;
    size_t done = 0;
    while (done < units) {
        size_t run = down ? 1 : MIN(units - done, 0x10000u - addr);
        uint64_t pa = page_base + ((uint64_t)addr << c->shift);
        uint8_t *p = buf + (done << c->shift);
        if (to_memory)
            memmap_write_buf(&dma->m->mem, pa, p, run << c->shift);
        else
            memmap_read_buf(&dma->m->mem, pa, p, run << c->shift);
        addr = (uint16_t)(down ? addr - run : addr + run);
        done += run;
    }
}

/* Terminal count: TC status, request cleared, then autoinitialize or mask (datasheet EOP). */
static void dma_terminal(struct dma_ctrl *c, unsigned n)
{
    struct dma_channel *ch = &c->ch[n];
    c->status |= 1u << n;
    c->request &= ~(1u << n);
    ch->eop = true;
    if (ch->mode & MODE_AUTOINIT) {
        ch->cur_addr = ch->base_addr;
        ch->cur_count = ch->base_count;
    } else {
        c->mask |= 1u << n;
    }
}

int dma_transfer(struct dma *dma, unsigned channel, void *buf, size_t len, bool to_memory)
{
    if (!dma_channel_ready(dma, channel)) {
        if (dma && channel < DMA_CHANNELS)
            dma->ctrl[channel >> 2].ch[channel & 3].eop = false;
        return 0;
    }
    struct dma_ctrl *c = &dma->ctrl[channel >> 2];
    struct dma_channel *ch = &c->ch[channel & 3];
    unsigned type = ch->mode & MODE_TYPE;
    ch->eop = false;
    if (type == MODE_ILLEGAL || type == (to_memory ? MODE_READ : MODE_WRITE))
        return 0;
    size_t left = (size_t)ch->cur_count + 1; /* transfers until terminal count */
    size_t units = MIN(len >> c->shift, left);
    if (units == 0)
        return 0;
    if (type != MODE_VERIFY)
        dma_move(dma, channel, buf, units, to_memory);
    if (ch->mode & MODE_DECREMENT)
        ch->cur_addr = (uint16_t)(ch->cur_addr - units);
    else
        ch->cur_addr = (uint16_t)(ch->cur_addr + units);
    ch->cur_count = (uint16_t)(ch->cur_count - units);
    if (units == left)
        dma_terminal(c, channel & 3);
    return (int)(units << c->shift);
}

/* --- lifetime --------------------------------------------------------- */

struct dma *dma_create(struct machine *m)
{
    struct dma *dma = g_new0(struct dma, 1);
    dma->m = m;
    dma->ctrl[1].shift = 1;
    dma_reset(dma);
    if (iobus_register(&m->io, "dma1", DMA1_BASE, DMA1_PORTS, &dma1_ops, dma) < 0)
        goto fail;
    if (iobus_register(&m->io, "dma2", DMA2_BASE, DMA2_PORTS, &dma2_ops, dma) < 0)
        goto fail_dma1;
    if (iobus_register(&m->io, "dma-page", PAGE_BASE, PAGE_PORTS, &page_ops, dma) < 0)
        goto fail_dma2;
    return dma;

fail_dma2:
    iobus_unregister(&m->io, DMA2_BASE);
fail_dma1:
    iobus_unregister(&m->io, DMA1_BASE);
fail:
    g_free(dma);
    return NULL;
}

void dma_destroy(struct dma *dma)
{
    if (!dma)
        return;
    iobus_unregister(&dma->m->io, PAGE_BASE);
    iobus_unregister(&dma->m->io, DMA2_BASE);
    iobus_unregister(&dma->m->io, DMA1_BASE);
    g_free(dma);
}
