/*
 * Intel 82093AA I/O APIC (see ioapic.h), written from the 82093AA
 * datasheet (order no. 290566): the indirect register access through
 * IOREGSEL and IOWIN (§3.0), the ID, version and arbitration registers
 * (§3.2.1-3.2.3) and the redirection table (§3.2.4).
 *
 * A pin is asserted when its input level differs from the entry's
 * polarity bit (0 active high, 1 active low). Edge-triggered entries send
 * a message on each assertion while unmasked (an edge on a masked pin is
 * lost); level-triggered ones send while asserted and unmasked with remote
 * IRR clear, set remote IRR, and send again after the EOI if the pin is
 * still asserted. Messages arrive at once: delivery status reads 0.
 */
#include "devices/ioapic.h"

#include <glib.h>

#include "machine/machine.h"

/* Memory-mapped registers (§3.0) and the indirect registers (§3.2). */
#define IOREGSEL       0x00
#define IOWIN          0x10
#define REG_ID         0x00
#define REG_VERSION    0x01
#define REG_ARB        0x02
#define REG_REDIR      0x10 /* entry n: low dword at 0x10 + 2n, high dword at 0x11 + 2n */
#define IOAPIC_VERSION (0x11u | (IOAPIC_PINS - 1u) << 16)

/* Redirection entry bits (§3.2.4). */
#define RE_VECTOR(e)  ((uint8_t)(e))
#define RE_MODE(e)    ((unsigned)((e) >> 8) & 7u)
#define RE_LOGICAL    (1ull << 11)
#define RE_ACTIVE_LOW (1ull << 13)
#define RE_REMOTE_IRR (1ull << 14)
#define RE_LEVEL      (1ull << 15)
#define RE_MASKED     (1ull << 16)
#define RE_DEST(e)    ((uint8_t)((e) >> 56))
#define RE_WRITABLE   0xff0000000001afffull /* all but delivery status, remote IRR, reserved */

struct ioapic {
    struct machine *m;
    struct mem_region *page;
    struct ioapic_callbacks cb;
    uint8_t regsel;              /* IOREGSEL: the register IOWIN reaches */
    uint32_t id;                 /* IOAPICID, bits 24-27 */
    uint64_t redir[IOAPIC_PINS]; /* redirection table */
    uint32_t levels;             /* input pin levels, a bit per pin */
};

static bool asserted(const struct ioapic *io, unsigned pin)
{
    bool high = io->levels >> pin & 1;
    return high != !!(io->redir[pin] & RE_ACTIVE_LOW);
}

static void send(struct ioapic *io, unsigned pin)
{
    uint64_t e = io->redir[pin];
    struct ioapic_msg msg = {
        .dest = RE_DEST(e),
        .logical = e & RE_LOGICAL,
        .mode = RE_MODE(e),
        .vector = RE_VECTOR(e),
        .level = e & RE_LEVEL,
    };
    if (io->cb.deliver)
        io->cb.deliver(io->cb.opaque, &msg);
}

/* A level-triggered pin: send while asserted, unmasked and not awaiting EOI. */
static void ioapic_update_irq(struct ioapic *io, unsigned pin)
{
    uint64_t *e = &io->redir[pin];
    if (!(*e & RE_LEVEL) || (*e & (RE_MASKED | RE_REMOTE_IRR)) || !asserted(io, pin))
        return;
    *e |= RE_REMOTE_IRR;
    send(io, pin);
}

void ioapic_set_irq(struct ioapic *io, unsigned pin, int level)
{
    if (pin >= IOAPIC_PINS)
        return;
    bool was = asserted(io, pin);
    if (level)
        io->levels |= 1u << pin;
    else
        io->levels &= ~(1u << pin);
    uint64_t e = io->redir[pin];
    if (e & RE_LEVEL)
        ioapic_update_irq(io, pin);
    else if (!was && asserted(io, pin) && !(e & RE_MASKED))
        send(io, pin);
}

static void line_set(void *opaque, unsigned n, int level)
{
    ioapic_set_irq(opaque, n, level);
}

struct irq_line ioapic_irq_line(struct ioapic *io, unsigned pin)
{
    return (struct irq_line){line_set, io, pin};
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
        uint64_t *e = &io->redir[pin];
        if ((*e & RE_LEVEL) && (*e & RE_REMOTE_IRR) && RE_VECTOR(*e) == vector) {
            *e &= ~RE_REMOTE_IRR;
            ioapic_update_irq(io, pin);
        }
    }
}

/* --- registers --------------------------------------------------------------------- */

static uint32_t reg_read(const struct ioapic *io, uint8_t reg)
{
    switch (reg) {
    case REG_ID:
        return io->id;
    case REG_VERSION:
        return IOAPIC_VERSION;
    case REG_ARB: /* the arbitration ID is loaded from the APIC ID */
        return io->id;
    default:
        if (reg >= REG_REDIR && reg < REG_REDIR + 2 * IOAPIC_PINS) {
            uint64_t e = io->redir[(reg - REG_REDIR) / 2];
            return (reg & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
        }
        return 0; /* reserved */
    }
}

static void write_entry(struct ioapic *io, unsigned pin, bool high, uint32_t v)
{
    uint64_t *e = &io->redir[pin];
    uint64_t mask = high ? RE_WRITABLE & 0xffffffff00000000ull : RE_WRITABLE & 0xffffffffull;
    uint64_t value = high ? (uint64_t)v << 32 : v;
    *e = (*e & ~mask) | (value & mask);
    if (!(*e & RE_LEVEL))
        *e &= ~RE_REMOTE_IRR;   /* remote IRR means nothing for edge-triggered entries */
    ioapic_update_irq(io, pin); /* unmasking an asserted level-triggered pin sends it */
}

static void reg_write(struct ioapic *io, uint8_t reg, uint32_t v)
{
    if (reg == REG_ID) {
        io->id = v & 0x0f000000u;
    } else if (reg >= REG_REDIR && reg < REG_REDIR + 2 * IOAPIC_PINS) {
        write_entry(io, (reg - REG_REDIR) / 2, reg & 1, v);
    }
    /* version and arbitration are read-only */
}

/* IOREGSEL takes any access; IOWIN only whole dwords (§3.0). Bytes 0x14-0xFFF are not decoded. */
static uint32_t ioapic_mmio_read(void *opaque, uint64_t offset, unsigned size)
{
    struct ioapic *io = opaque;
    if (offset == IOREGSEL)
        return io->regsel;
    if (offset == IOWIN && size == 4)
        return reg_read(io, io->regsel);
    return 0;
}

static void ioapic_mmio_write(void *opaque, uint64_t offset, uint32_t value, unsigned size)
{
    struct ioapic *io = opaque;
    if (offset == IOREGSEL)
        io->regsel = (uint8_t)value;
    else if (offset == IOWIN && size == 4)
        reg_write(io, io->regsel, value);
}

static const struct mmio_ops ioapic_mmio_ops = {ioapic_mmio_read, ioapic_mmio_write,
                                                MEM_SIZE_2 | MEM_SIZE_4};

/* --- state, creation --------------------------------------------------------------- */

void ioapic_reset(struct ioapic *io)
{
    io->regsel = 0;
    io->id = 0;
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
        io->redir[pin] = RE_MASKED;
}

uint64_t ioapic_entry(const struct ioapic *io, unsigned pin)
{
    return pin < IOAPIC_PINS ? io->redir[pin] : 0;
}

int ioapic_pin_level(const struct ioapic *io, unsigned pin)
{
    return pin < IOAPIC_PINS ? (int)(io->levels >> pin & 1) : 0;
}

uint8_t ioapic_id(const struct ioapic *io)
{
    return (uint8_t)(io->id >> 24);
}

struct ioapic *ioapic_create(struct machine *m, const struct ioapic_callbacks *cb)
{
    struct ioapic *io = g_new0(struct ioapic, 1);
    io->m = m;
    if (cb)
        io->cb = *cb;
    io->page =
        memmap_add_mmio(&m->mem, "ioapic", IOAPIC_BASE, IOAPIC_SIZE, &ioapic_mmio_ops, io, 1);
    ioapic_reset(io);
    return io;
}

void ioapic_destroy(struct ioapic *io)
{
    if (!io)
        return;
    memmap_set_enabled(&io->m->mem, io->page, false); /* the map has no removal */
    g_free(io);
}
