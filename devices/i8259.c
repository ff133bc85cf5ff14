/*
 * Two cascaded 8259A programmable interrupt controllers and the PIIX3 ELCR
 * (see i8259.h). Written from the Intel 8259A datasheet (order no.
 * 231468) and the ELCR1/ELCR2 register descriptions of the Intel
 * 82371FB/SB PIIX/PIIX3 datasheet (order no. 290550).
 *
 * Each chip keeps the datasheet's registers: IRR (here: the edge-sense
 * latches plus the level of level-triggered inputs), ISR and IMR, the
 * priority rotation and the modes set by ICW1-ICW4 and OCW2-OCW3. The
 * slave's INT output is the master's IR2 input; every interrupt change goes
 * through pic_update_irq, which recomputes that cascade input and tells the
 * board when INT may have risen.
 */
#include "devices/i8259.h"

#include <glib.h>

#include "machine/iobus.h"
#include "machine/machine.h"

/* ICW1 (A0 = 0, D4 = 1): datasheet "Initialization Command Words". */
#define ICW1_IC4  0x01 /* ICW4 follows */
#define ICW1_SNGL 0x02 /* single chip: no ICW3 */
#define ICW1_LTIM 0x08 /* level-triggered inputs */
#define ICW1_SEL  0x10 /* marks a write to A0 = 0 as ICW1 */

/* ICW4 */
#define ICW4_UPM  0x01 /* 8086 mode (vector = T7-T3 | IR) */
#define ICW4_AEOI 0x02 /* automatic end of interrupt */
#define ICW4_SFNM 0x10 /* special fully nested mode */

/* OCW2 (A0 = 0, D4 = 0, D3 = 0): R, SL, EOI in D7-D5, level in D2-D0. */
#define OCW2_ROTATE_AEOI_CLEAR 0
#define OCW2_EOI               1
#define OCW2_NOP               2
#define OCW2_SPECIFIC_EOI      3
#define OCW2_ROTATE_AEOI_SET   4
#define OCW2_ROTATE_EOI        5
#define OCW2_SET_PRIORITY      6
#define OCW2_ROTATE_SPECIFIC   7

/* OCW3 (A0 = 0, D4 = 0, D3 = 1). */
#define OCW3_SEL  0x08
#define OCW3_ESMM 0x40 /* D5 is meaningful */
#define OCW3_SMM  0x20 /* special mask mode on/off */
#define OCW3_POLL 0x04
#define OCW3_RR   0x02 /* D0 is meaningful */
#define OCW3_RIS  0x01 /* read ISR (else IRR) */

/*
 * PIIX3 ELCR: IRQ 0, 1, 2 (master) and 8, 13 (slave) are always edge
 * triggered; their bits read 0 and ignore writes.
 */
#define ELCR_MASTER_MASK 0xf8
#define ELCR_SLAVE_MASK  0xde

enum pic_init_step {
    PIC_READY, /* initialised: A0 = 1 writes are OCW1 */
    PIC_ICW2,
    PIC_ICW3,
    PIC_ICW4,
};

struct pic_chip {
    uint8_t latch;       /* edge-sense latches: rising edges not yet acknowledged */
    uint8_t lines;       /* the IR input levels */
    uint8_t isr;         /* in-service register */
    uint8_t imr;         /* interrupt mask register (OCW1) */
    uint8_t elcr;        /* PIIX3 ELCR: 1 = level-triggered input */
    uint8_t elcr_mask;   /* ELCR bits that can be set */
    uint8_t icw1;        /* LTIM, SNGL, IC4 */
    uint8_t icw3;        /* master: inputs with a slave; slave: its ID */
    uint8_t icw4;        /* uPM, AEOI, SFNM (0 when ICW1 said no ICW4) */
    uint8_t vector_base; /* ICW2 T7-T3 */
    uint8_t init_step;   /* enum pic_init_step: which ICW comes next */
    uint8_t lowest;      /* the IR with the lowest priority (rotation) */
    bool rotate_aeoi;    /* rotate in automatic EOI mode (OCW2) */
    bool read_isr;       /* OCW3: A0 = 0 reads ISR, else IRR */
    bool poll;           /* OCW3 poll command: the next read is a poll */
    bool special_mask;   /* OCW3 special mask mode */
    bool is_master;      /* wiring: the chip whose INT reaches the CPU */
};

struct pic {
    struct machine *m;
    struct pic_chip chip[2]; /* [0] master, [1] slave */
    void (*intr_changed)(void *opaque);
    void *intr_opaque;
};

/* --- one chip ------------------------------------------------------------- */

/* Inputs that are level-triggered: ICW1 LTIM for the whole chip, or ELCR. */
static uint8_t chip_level_inputs(const struct pic_chip *c)
{
    return (c->icw1 & ICW1_LTIM) ? 0xff : c->elcr;
}

/* IRR: latched edges on edge inputs, the input level on level inputs. */
static uint8_t chip_irr(const struct pic_chip *c)
{
    uint8_t level = chip_level_inputs(c);
    return (uint8_t)((c->latch & ~level) | (c->lines & level));
}

/* The IR with the highest priority among `bits` (IR lowest+1 first), or -1. */
static int chip_highest(const struct pic_chip *c, uint8_t bits)
{
    for (unsigned i = 1; i <= 8; i++) {
        unsigned ir = (c->lowest + i) & 7;
        if (bits & (1u << ir))
            return (int)ir;
    }
    return -1;
}

/* 0 for the highest priority, 7 for the lowest. */
static unsigned chip_rank(const struct pic_chip *c, int ir)
{
    return ((unsigned)ir - c->lowest - 1) & 7;
}

static bool chip_has_slave(const struct pic_chip *c, int ir)
{
    return c->is_master && !(c->icw1 & ICW1_SNGL) && (c->icw3 & (1u << ir));
}

/*
 * The request the chip raises INT for, or -1. In special mask mode a
 * masked in-service level does not hold off others; in special fully
 * nested mode an in-service slave input does not hold off its own slave's
 * higher-priority requests (datasheet "Special Fully Nested Mode").
 */
static int chip_request(const struct pic_chip *c)
{
    int req = chip_highest(c, chip_irr(c) & ~c->imr);
    if (req < 0)
        return -1;
    uint8_t isr = c->special_mask ? (uint8_t)(c->isr & ~c->imr) : c->isr;
    int srv = chip_highest(c, isr);
    if (srv < 0 || chip_rank(c, req) < chip_rank(c, srv))
        return req;
    if (req == srv && (c->icw4 & ICW4_SFNM) && chip_has_slave(c, req))
        return req;
    return -1;
}

static void chip_set_input(struct pic_chip *c, unsigned ir, int level)
{
    uint8_t bit = (uint8_t)(1u << ir);
    if (level && !(c->lines & bit))
        c->latch |= bit;
    if (level)
        c->lines |= bit;
    else
        c->lines &= (uint8_t)~bit;
}

/* The first INTA pulse (or a poll read): the request moves into service. */
static void chip_take(struct pic_chip *c, int ir)
{
    c->isr |= (uint8_t)(1u << ir);
    c->latch &= (uint8_t) ~(1u << ir);
}

/* Automatic EOI at the end of the last INTA pulse. */
static void chip_auto_eoi(struct pic_chip *c, int ir)
{
    if (!(c->icw4 & ICW4_AEOI))
        return;
    c->isr &= (uint8_t) ~(1u << ir);
    if (c->rotate_aeoi)
        c->lowest = (uint8_t)ir;
}

/*
 * Clear the highest-priority in-service bit; in special mask mode a masked
 * in-service level is not cleared by a non-specific EOI (datasheet "End of
 * Interrupt"). Returns the level cleared or -1.
 */
static int chip_nonspecific_eoi(struct pic_chip *c)
{
    uint8_t isr = c->special_mask ? (uint8_t)(c->isr & ~c->imr) : c->isr;
    int ir = chip_highest(c, isr);
    if (ir >= 0)
        c->isr &= (uint8_t) ~(1u << ir);
    return ir;
}

/*
 * ICW1 starts initialisation. The datasheet lists: edge-sense latches
 * reset (an input must rise again), IMR cleared, IR7 lowest priority,
 * special mask mode off, status read set to IRR, ICW4 functions zero when
 * IC4 = 0. We also clear the ISR and any poll or AEOI rotation, so that a
 * re-initialisation after a warm reset starts with nothing in service.
 */
static void chip_icw1(struct pic_chip *c, uint8_t v)
{
    c->icw1 = v;
    c->init_step = PIC_ICW2;
    c->latch = 0;
    c->isr = 0;
    c->imr = 0;
    c->lowest = 7;
    c->special_mask = false;
    c->read_isr = false;
    c->poll = false;
    c->rotate_aeoi = false;
    if (!(v & ICW1_IC4))
        c->icw4 = 0;
}

/* A0 = 1 during initialisation: ICW2, ICW3, ICW4 in turn. */
static void chip_icw(struct pic_chip *c, uint8_t v)
{
    switch (c->init_step) {
    case PIC_ICW2:
        c->vector_base = v & 0xf8;
        if (!(c->icw1 & ICW1_SNGL))
            c->init_step = PIC_ICW3;
        else
            c->init_step = (c->icw1 & ICW1_IC4) ? PIC_ICW4 : PIC_READY;
        break;
    case PIC_ICW3:
        c->icw3 = v;
        c->init_step = (c->icw1 & ICW1_IC4) ? PIC_ICW4 : PIC_READY;
        break;
    case PIC_ICW4:
        c->icw4 = v;
        c->init_step = PIC_READY;
        break;
    }
}

static void chip_ocw2(struct pic_chip *c, uint8_t v)
{
    int level = v & 7;
    switch (v >> 5) {
    case OCW2_ROTATE_AEOI_CLEAR:
        c->rotate_aeoi = false;
        break;
    case OCW2_ROTATE_AEOI_SET:
        c->rotate_aeoi = true;
        break;
    case OCW2_EOI:
        chip_nonspecific_eoi(c);
        break;
    case OCW2_ROTATE_EOI:
        level = chip_nonspecific_eoi(c);
        if (level >= 0)
            c->lowest = (uint8_t)level;
        break;
    case OCW2_SPECIFIC_EOI:
        c->isr &= (uint8_t) ~(1u << level);
        break;
    case OCW2_ROTATE_SPECIFIC:
        c->isr &= (uint8_t) ~(1u << level);
        c->lowest = (uint8_t)level;
        break;
    case OCW2_SET_PRIORITY:
        c->lowest = (uint8_t)level;
        break;
    case OCW2_NOP:
        break;
    }
}

static void chip_ocw3(struct pic_chip *c, uint8_t v)
{
    if (v & OCW3_ESMM)
        c->special_mask = (v & OCW3_SMM) != 0;
    if (v & OCW3_POLL)
        c->poll = true;
    if (v & OCW3_RR)
        c->read_isr = (v & OCW3_RIS) != 0;
}

/*
 * A read after the poll command acts as an interrupt acknowledge: the
 * request goes into service and the read returns I (D7) and the level.
 */
static uint8_t chip_poll(struct pic_chip *c)
{
    c->poll = false;
    int ir = chip_request(c);
    if (ir < 0)
        return 0;
    chip_take(c, ir);
    return (uint8_t)(0x80 | ir);
}

static void chip_reset(struct pic_chip *c, bool master)
{
    uint8_t lines = c->lines;
    *c = (struct pic_chip){0};
    c->lines = lines;
    c->is_master = master;
    c->elcr_mask = master ? ELCR_MASTER_MASK : ELCR_SLAVE_MASK;
    c->icw1 = ICW1_IC4;
    c->icw3 = master ? (1u << PIC_CASCADE_IRQ) : PIC_CASCADE_IRQ;
    c->icw4 = ICW4_UPM;
    c->lowest = 7;
}

/* --- the pair --------------------------------------------------------------- */

/*
 * Every change that can move an interrupt goes through here: the slave's
 * INT drives master IR2, then the board hears about a high INT.
 */
static void pic_update_irq(struct pic *p)
{
    chip_set_input(&p->chip[0], PIC_CASCADE_IRQ, chip_request(&p->chip[1]) >= 0);
    if (p->intr_changed && chip_request(&p->chip[0]) >= 0)
        p->intr_changed(p->intr_opaque);
}

void pic_reset(struct pic *p)
{
    chip_reset(&p->chip[0], true);
    chip_reset(&p->chip[1], false);
    pic_update_irq(p);
}

void pic_set_irq(struct pic *p, unsigned irq, int level)
{
    if (irq >= PIC_NUM_IRQS || irq == PIC_CASCADE_IRQ)
        return;
    chip_set_input(&p->chip[irq >> 3], irq & 7, level != 0);
    pic_update_irq(p);
}

static void pic_line_set(void *opaque, unsigned n, int level)
{
    pic_set_irq(opaque, n, level);
}

struct irq_line pic_irq_line(struct pic *p, unsigned irq)
{
    return (struct irq_line){.set = pic_line_set, .opaque = p, .n = irq};
}

bool pic_pending(void *pic)
{
    struct pic *p = pic;
    return chip_request(&p->chip[0]) >= 0;
}

/* The slave's part of an INTA cycle the master cascaded to it. */
static uint8_t pic_slave_acknowledge(struct pic *p)
{
    struct pic_chip *s = &p->chip[1];
    int ir = chip_request(s);
    if (ir < 0)
        return s->vector_base | 7; /* spurious: no ISR bit is set */
    chip_take(s, ir);
    /*
     * Between the INTA pulses the slave's INT drops (its request is now in
     * service); with AEOI it may rise again at the end of the cycle, a new
     * edge on master IR2.
     */
    pic_update_irq(p);
    chip_auto_eoi(s, ir);
    return s->vector_base | (uint8_t)ir;
}

uint8_t pic_acknowledge(void *pic)
{
    struct pic *p = pic;
    struct pic_chip *m = &p->chip[0];
    int ir = chip_request(m);
    if (ir < 0)
        return m->vector_base | 7; /* spurious IRQ 7: no ISR bit is set */
    chip_take(m, ir);
    uint8_t vector;
    if (chip_has_slave(m, ir))
        vector = pic_slave_acknowledge(p);
    else
        vector = m->vector_base | (uint8_t)ir;
    chip_auto_eoi(m, ir);
    pic_update_irq(p);
    return vector;
}

void pic_set_intr_notify(struct pic *p, void (*fn)(void *opaque), void *opaque)
{
    p->intr_changed = fn;
    p->intr_opaque = opaque;
}

/* --- port access ------------------------------------------------------------ */

static uint8_t pic_chip_read(struct pic *p, struct pic_chip *c, uint16_t a0)
{
    if (c->poll) {
        uint8_t v = chip_poll(c);
        pic_update_irq(p);
        return v;
    }
    switch (a0) {
    case 0:
        return c->read_isr ? c->isr : chip_irr(c);
    default:
        return c->imr;
    }
}

static void pic_chip_write(struct pic *p, struct pic_chip *c, uint16_t a0, uint8_t v)
{
    switch (a0) {
    case 0:
        if (v & ICW1_SEL)
            chip_icw1(c, v);
        else if (v & OCW3_SEL)
            chip_ocw3(c, v);
        else
            chip_ocw2(c, v);
        break;
    default:
        if (c->init_step != PIC_READY)
            chip_icw(c, v);
        else
            c->imr = v; /* OCW1 */
        break;
    }
    pic_update_irq(p);
}

static uint32_t pic_master_read(void *opaque, uint16_t offset, unsigned size)
{
    struct pic *p = opaque;
    return pic_chip_read(p, &p->chip[0], offset & 1);
}

static void pic_master_write(void *opaque, uint16_t offset, uint32_t value, unsigned size)
{
    struct pic *p = opaque;
    pic_chip_write(p, &p->chip[0], offset & 1, (uint8_t)value);
}

static uint32_t pic_slave_read(void *opaque, uint16_t offset, unsigned size)
{
    struct pic *p = opaque;
    return pic_chip_read(p, &p->chip[1], offset & 1);
}

static void pic_slave_write(void *opaque, uint16_t offset, uint32_t value, unsigned size)
{
    struct pic *p = opaque;
    pic_chip_write(p, &p->chip[1], offset & 1, (uint8_t)value);
}

static uint32_t pic_elcr_read(void *opaque, uint16_t offset, unsigned size)
{
    struct pic *p = opaque;
    return p->chip[offset & 1].elcr;
}

static void pic_elcr_write(void *opaque, uint16_t offset, uint32_t value, unsigned size)
{
    struct pic *p = opaque;
    struct pic_chip *c = &p->chip[offset & 1];
    c->elcr = (uint8_t)value & c->elcr_mask;
    pic_update_irq(p);
}

static const struct io_ops pic_master_ops = {pic_master_read, pic_master_write, 0};
static const struct io_ops pic_slave_ops = {pic_slave_read, pic_slave_write, 0};
static const struct io_ops pic_elcr_ops = {pic_elcr_read, pic_elcr_write, 0};

/* --- creation --------------------------------------------------------------- */

struct pic *pic_create(struct machine *m)
{
    struct pic *p = g_new0(struct pic, 1);
    p->m = m;
    pic_reset(p);
    if (iobus_register(&m->io, "pic-master", PIC_MASTER_BASE, 2, &pic_master_ops, p) < 0)
        goto fail;
    if (iobus_register(&m->io, "pic-slave", PIC_SLAVE_BASE, 2, &pic_slave_ops, p) < 0)
        goto fail_master;
    if (iobus_register(&m->io, "elcr", PIC_ELCR_BASE, 2, &pic_elcr_ops, p) < 0)
        goto fail_slave;
    return p;

fail_slave:
    iobus_unregister(&m->io, PIC_SLAVE_BASE);
fail_master:
    iobus_unregister(&m->io, PIC_MASTER_BASE);
fail:
    g_free(p);
    return NULL;
}

void pic_destroy(struct pic *p)
{
    if (!p)
        return;
    iobus_unregister(&p->m->io, PIC_ELCR_BASE);
    iobus_unregister(&p->m->io, PIC_SLAVE_BASE);
    iobus_unregister(&p->m->io, PIC_MASTER_BASE);
    g_free(p);
}
