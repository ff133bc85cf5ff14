/*
 * The cascaded 8259A pair and the ELCR, through their ports: initialisation
 * words, masking, priorities and rotation, every EOI form, automatic EOI,
 * edge and level inputs, the cascade, poll mode, IRR/ISR reads, special
 * mask and special fully nested modes, spurious interrupts.
 */
#include <glib.h>

#include "devices/i8259.h"
#include "machine/machine.h"
#include "tests/lib/port_io.h"

struct fixture {
    struct machine m;
    struct pic *pic;
    unsigned notified; /* intr_changed calls */
};

static void on_intr(void *opaque)
{
    struct fixture *f = opaque;
    f->notified++;
}

/* The BIOS sequence: master vectors 0x08, slave 0x70, slave on IR2, 8086 mode. */
static void init_pc(struct fixture *f, uint8_t icw4)
{
    out8(&f->m, 0x20, 0x11);
    out8(&f->m, 0x21, 0x08);
    out8(&f->m, 0x21, 0x04);
    out8(&f->m, 0x21, icw4);
    out8(&f->m, 0xa0, 0x11);
    out8(&f->m, 0xa1, 0x70);
    out8(&f->m, 0xa1, 0x02);
    out8(&f->m, 0xa1, icw4);
}

static void setup(struct fixture *f)
{
    g_assert_cmpint(
        machine_init(&f->m, &(struct machine_config){.ram_mb = 1, .manual_clock = true}), ==, 0);
    f->pic = pic_create(&f->m);
    g_assert_nonnull(f->pic);
    f->notified = 0;
    pic_set_intr_notify(f->pic, on_intr, f);
    init_pc(f, 0x01);
}

static void teardown(struct fixture *f)
{
    pic_destroy(f->pic);
    machine_destroy(&f->m);
}

static uint8_t read_irr(struct fixture *f, uint16_t base)
{
    out8(&f->m, base, 0x0a);
    return in8(&f->m, base);
}

static uint8_t read_isr(struct fixture *f, uint16_t base)
{
    out8(&f->m, base, 0x0b);
    return in8(&f->m, base);
}

static void pulse(struct fixture *f, unsigned irq)
{
    pic_set_irq(f->pic, irq, 1);
    pic_set_irq(f->pic, irq, 0);
}

static void eoi(struct fixture *f, uint16_t base)
{
    out8(&f->m, base, 0x20);
}

static void test_init_words(void)
{
    struct fixture f;
    setup(&f);
    /* ICW1 clears the IMR; A0 = 1 writes during initialisation are ICWs. */
    out8(&f.m, 0x21, 0xff);
    g_assert_cmphex(in8(&f.m, 0x21), ==, 0xff);
    out8(&f.m, 0x20, 0x11);
    g_assert_cmphex(in8(&f.m, 0x21), ==, 0x00);
    out8(&f.m, 0x21, 0x50); /* ICW2 */
    out8(&f.m, 0x21, 0x04); /* ICW3 */
    out8(&f.m, 0x21, 0x01); /* ICW4 */
    g_assert_cmphex(in8(&f.m, 0x21), ==, 0x00);
    out8(&f.m, 0x21, 0xfd); /* now OCW1 */
    g_assert_cmphex(in8(&f.m, 0x21), ==, 0xfd);
    pic_set_irq(f.pic, 1, 1);
    g_assert_true(pic_pending(f.pic));
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x51); /* T7-T3 from ICW2, low bits ignored */
    g_assert_cmpuint(f.notified, >, 0);

    /* SNGL skips ICW3: the third A0 = 1 write after ICW1 is already OCW1. */
    out8(&f.m, 0xa0, 0x13);
    out8(&f.m, 0xa1, 0x28);
    out8(&f.m, 0xa1, 0x01); /* ICW4 */
    out8(&f.m, 0xa1, 0x3c); /* OCW1 */
    g_assert_cmphex(in8(&f.m, 0xa1), ==, 0x3c);
    /* Without IC4 there is no ICW4: the write after ICW3 is OCW1. */
    out8(&f.m, 0xa0, 0x10);
    out8(&f.m, 0xa1, 0x70);
    out8(&f.m, 0xa1, 0x02);
    out8(&f.m, 0xa1, 0x5a);
    g_assert_cmphex(in8(&f.m, 0xa1), ==, 0x5a);
    teardown(&f);
}

/* ICW1 resets the edge-sense latches: an input held high must rise again. */
static void test_init_resets_edges(void)
{
    struct fixture f;
    setup(&f);
    pic_set_irq(f.pic, 4, 1);
    g_assert_true(pic_pending(f.pic));
    init_pc(&f, 0x01);
    g_assert_false(pic_pending(f.pic));
    g_assert_cmphex(read_irr(&f, 0x20), ==, 0x00);
    pic_set_irq(f.pic, 4, 0);
    pic_set_irq(f.pic, 4, 1);
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x0c);
    teardown(&f);
}

static void test_masking(void)
{
    struct fixture f;
    setup(&f);
    out8(&f.m, 0x21, 0x08); /* mask IRQ 3 */
    pulse(&f, 3);
    g_assert_false(pic_pending(f.pic));
    g_assert_cmphex(read_irr(&f, 0x20), ==, 0x08); /* the request is latched anyway */
    out8(&f.m, 0x21, 0x00);
    g_assert_true(pic_pending(f.pic));
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x0b);
    /* Masking the slave's input on the master hides every slave IRQ. */
    out8(&f.m, 0x21, 0x04);
    pulse(&f, 12);
    g_assert_false(pic_pending(f.pic));
    out8(&f.m, 0x21, 0x00);
    teardown(&f);
}

static void test_priority_order(void)
{
    struct fixture f;
    setup(&f);
    pulse(&f, 5);
    pulse(&f, 3);
    pulse(&f, 11);
    pulse(&f, 6);
    /* IR0 highest ... IR7 lowest, the slave's IRQs 8-15 in IR2's place. */
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x73);
    g_assert_false(pic_pending(f.pic)); /* IRQ 11 in service holds off everything lower */
    pulse(&f, 0);
    g_assert_true(pic_pending(f.pic)); /* ... but IRQ 0 outranks it */
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x08);
    eoi(&f, 0x20); /* IRQ 0 done */
    g_assert_false(pic_pending(f.pic));
    eoi(&f, 0xa0);
    eoi(&f, 0x20);
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x0b);
    eoi(&f, 0x20);
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x0d);
    eoi(&f, 0x20);
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x0e);
    eoi(&f, 0x20);
    g_assert_false(pic_pending(f.pic));
    teardown(&f);
}

static void test_eoi_forms(void)
{
    struct fixture f;
    setup(&f);
    pulse(&f, 4);
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x0c);
    pulse(&f, 1);
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x09);
    g_assert_cmphex(read_isr(&f, 0x20), ==, 0x12);
    /* Non-specific EOI clears the highest in service (IRQ 1). */
    eoi(&f, 0x20);
    g_assert_cmphex(read_isr(&f, 0x20), ==, 0x10);
    /* Specific EOI clears the level named, whatever its priority. */
    pulse(&f, 0);
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x08);
    out8(&f.m, 0x20, 0x64); /* specific EOI, IR4 */
    g_assert_cmphex(read_isr(&f, 0x20), ==, 0x01);
    out8(&f.m, 0x20, 0x40); /* no operation */
    g_assert_cmphex(read_isr(&f, 0x20), ==, 0x01);
    out8(&f.m, 0x20, 0x60);
    g_assert_cmphex(read_isr(&f, 0x20), ==, 0x00);
    teardown(&f);
}

static void test_rotation(void)
{
    struct fixture f;
    setup(&f);
    /* Rotate on non-specific EOI: the level just served becomes the lowest. */
    pulse(&f, 2 + 1); /* IRQ 3 */
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x0b);
    out8(&f.m, 0x20, 0xa0);
    g_assert_cmphex(read_isr(&f, 0x20), ==, 0x00);
    pulse(&f, 1);
    pulse(&f, 4);
    pulse(&f, 3);
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x0c); /* IR4 is now the highest */
    out8(&f.m, 0x20, 0xa0);                            /* and now the lowest */
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x09); /* order 5 6 7 0 1 2 3 4 */
    out8(&f.m, 0x20, 0xa0);                            /* IR1 lowest: order 2 3 ... */
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x0b);
    out8(&f.m, 0x20, 0x20);

    /* Set priority: IR5 lowest, so IR6 is served before IR0. */
    out8(&f.m, 0x20, 0xc5);
    pulse(&f, 0);
    pulse(&f, 6);
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x0e);
    g_assert_false(pic_pending(f.pic)); /* IR0 ranks below IR6 now */
    /* Rotate on specific EOI: IR6 done and lowest, so IR0 is served first next time. */
    out8(&f.m, 0x20, 0xe6);
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x08);
    out8(&f.m, 0x20, 0x20);
    pulse(&f, 7);
    pulse(&f, 6);
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x0f); /* IR7 outranks IR6 (lowest) */
    out8(&f.m, 0x20, 0x20);
    teardown(&f);
}

static void test_auto_eoi(void)
{
    struct fixture f;
    setup(&f);
    init_pc(&f, 0x03); /* AEOI on both */
    pulse(&f, 3);
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x0b);
    g_assert_cmphex(read_isr(&f, 0x20), ==, 0x00);
    pulse(&f, 5);
    g_assert_true(pic_pending(f.pic)); /* nothing in service holds IRQ 5 off */
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x0d);

    /* Rotate in AEOI mode: each level served becomes the lowest. */
    out8(&f.m, 0x20, 0x80);
    pulse(&f, 1);
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x09);
    pulse(&f, 1);
    pulse(&f, 6);
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x0e); /* IR1 is lowest now */
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x09);
    out8(&f.m, 0x20, 0x00); /* rotate in AEOI off */
    pulse(&f, 6);
    pulse(&f, 7);
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x0e); /* IR1 stays lowest: 2..7 0 1 */
    pulse(&f, 6);
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x0e); /* no rotation: IR6 still first */
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x0f);

    /* AEOI on the slave: a second slave request raises a new edge on IR2. */
    pulse(&f, 9);
    pulse(&f, 10);
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x71);
    g_assert_true(pic_pending(f.pic));
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x72);
    g_assert_false(pic_pending(f.pic));
    teardown(&f);
}

static void test_edge_and_level(void)
{
    struct fixture f;
    setup(&f);
    /* ELCR: IRQ 0, 1, 2, 8 and 13 cannot be level-triggered. */
    iobus_write(&f.m.io, 0x4d0, 0xff, 1);
    iobus_write(&f.m.io, 0x4d1, 0xff, 1);
    g_assert_cmphex(iobus_read(&f.m.io, 0x4d0, 1), ==, 0xf8);
    g_assert_cmphex(iobus_read(&f.m.io, 0x4d1, 1), ==, 0xde);
    iobus_write(&f.m.io, 0x4d0, 0x20, 1); /* IRQ 5 level, the rest edge */
    iobus_write(&f.m.io, 0x4d1, 0x00, 1);

    /* Level: IRR follows the line, and a line still high after EOI asks again. */
    pic_set_irq(f.pic, 5, 1);
    g_assert_cmphex(read_irr(&f, 0x20), ==, 0x20);
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x0d);
    eoi(&f, 0x20);
    g_assert_true(pic_pending(f.pic));
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x0d);
    eoi(&f, 0x20);
    pic_set_irq(f.pic, 5, 0);
    g_assert_false(pic_pending(f.pic));
    g_assert_cmphex(read_irr(&f, 0x20), ==, 0x00);

    /* Edge: a pulse stays latched; a line held high asks once. */
    pulse(&f, 6);
    g_assert_cmphex(read_irr(&f, 0x20), ==, 0x40);
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x0e);
    eoi(&f, 0x20);
    pic_set_irq(f.pic, 6, 1);
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x0e);
    eoi(&f, 0x20);
    g_assert_false(pic_pending(f.pic));
    pic_set_irq(f.pic, 6, 1); /* still high: no edge */
    g_assert_false(pic_pending(f.pic));
    pic_set_irq(f.pic, 6, 0);
    pic_set_irq(f.pic, 6, 1);
    g_assert_true(pic_pending(f.pic));
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x0e);
    eoi(&f, 0x20);
    pic_set_irq(f.pic, 6, 0);

    /* Slave level input (IRQ 11) through the cascade. */
    iobus_write(&f.m.io, 0x4d1, 0x08, 1);
    pic_set_irq(f.pic, 11, 1);
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x73);
    eoi(&f, 0xa0);
    eoi(&f, 0x20);
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x73); /* still high: served again */
    pic_set_irq(f.pic, 11, 0);
    eoi(&f, 0xa0);
    eoi(&f, 0x20);
    g_assert_false(pic_pending(f.pic));

    /* ICW1 LTIM makes every input of the chip level-triggered. */
    out8(&f.m, 0x20, 0x19);
    out8(&f.m, 0x21, 0x08);
    out8(&f.m, 0x21, 0x04);
    out8(&f.m, 0x21, 0x01);
    pic_set_irq(f.pic, 3, 1);
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x0b);
    eoi(&f, 0x20);
    g_assert_true(pic_pending(f.pic));
    pic_set_irq(f.pic, 3, 0);
    g_assert_false(pic_pending(f.pic));
    teardown(&f);
}

static void test_cascade(void)
{
    struct fixture f;
    setup(&f);
    pulse(&f, 10);
    g_assert_true(pic_pending(f.pic));
    g_assert_cmphex(read_irr(&f, 0x20), ==, 0x04);
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x72);
    g_assert_cmphex(read_isr(&f, 0x20), ==, 0x04);
    g_assert_cmphex(read_isr(&f, 0xa0), ==, 0x04);
    /* Within the slave, IRQ 8 outranks 10; normal nesting holds it off at the master. */
    pulse(&f, 8);
    g_assert_false(pic_pending(f.pic));
    eoi(&f, 0xa0);
    eoi(&f, 0x20);
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x70);
    eoi(&f, 0xa0);
    eoi(&f, 0x20);
    /* The slave's vectors follow its ICW2. */
    out8(&f.m, 0xa0, 0x11);
    out8(&f.m, 0xa1, 0xa8);
    out8(&f.m, 0xa1, 0x02);
    out8(&f.m, 0xa1, 0x01);
    pulse(&f, 15);
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0xaf);
    g_assert_cmphex(read_isr(&f, 0xa0), ==, 0x80);
    eoi(&f, 0xa0);
    eoi(&f, 0x20);
    g_assert_cmphex(read_isr(&f, 0xa0), ==, 0x00);
    g_assert_cmphex(read_isr(&f, 0x20), ==, 0x00);
    /* A master without a slave on IR2 (ICW3 = 0) answers IR2 itself. */
    out8(&f.m, 0x20, 0x11);
    out8(&f.m, 0x21, 0x08);
    out8(&f.m, 0x21, 0x00);
    out8(&f.m, 0x21, 0x01);
    pulse(&f, 9);
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x0a);
    teardown(&f);
}

/* Special fully nested mode: a slave's higher request gets through while IR2 is in service. */
static void test_special_fully_nested(void)
{
    struct fixture f;
    setup(&f);
    init_pc(&f, 0x11);
    pulse(&f, 12);
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x74);
    pulse(&f, 9);
    g_assert_true(pic_pending(f.pic));
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x71);
    g_assert_cmphex(read_isr(&f, 0xa0), ==, 0x12);
    teardown(&f);
}

static void test_poll(void)
{
    struct fixture f;
    setup(&f);
    out8(&f.m, 0x20, 0x0c);
    g_assert_cmphex(in8(&f.m, 0x20), ==, 0x00); /* nothing requesting */
    pulse(&f, 6);
    pulse(&f, 3);
    out8(&f.m, 0x20, 0x0c);
    g_assert_cmphex(in8(&f.m, 0x20), ==, 0x83); /* I and level 3; IR3 goes into service */
    g_assert_cmphex(read_isr(&f, 0x20), ==, 0x08);
    g_assert_cmphex(read_irr(&f, 0x20), ==, 0x40);
    g_assert_cmphex(in8(&f.m, 0x20), ==, 0x40); /* poll is one read only */
    eoi(&f, 0x20);
    out8(&f.m, 0x20, 0x0c);
    g_assert_cmphex(in8(&f.m, 0x21), ==, 0x86); /* any read after the poll command */
    g_assert_cmphex(in8(&f.m, 0x21), ==, 0x00); /* then the IMR again */
    eoi(&f, 0x20);
    /* Polling the slave, as for a cascaded request found on master level 2. */
    pulse(&f, 13);
    out8(&f.m, 0x20, 0x0c);
    g_assert_cmphex(in8(&f.m, 0x20), ==, 0x82);
    out8(&f.m, 0xa0, 0x0c);
    g_assert_cmphex(in8(&f.m, 0xa0), ==, 0x85);
    g_assert_cmphex(read_isr(&f, 0xa0), ==, 0x20);
    teardown(&f);
}

static void test_read_irr_isr(void)
{
    struct fixture f;
    setup(&f);
    pulse(&f, 1);
    pulse(&f, 7);
    g_assert_cmphex(in8(&f.m, 0x20), ==, 0x82); /* IRR after init */
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x09);
    out8(&f.m, 0x20, 0x0b);
    g_assert_cmphex(in8(&f.m, 0x20), ==, 0x02);
    g_assert_cmphex(in8(&f.m, 0x20), ==, 0x02); /* the selection stays */
    out8(&f.m, 0x20, 0x08);                     /* RR = 0: no change */
    g_assert_cmphex(in8(&f.m, 0x20), ==, 0x02);
    out8(&f.m, 0x20, 0x0a);
    g_assert_cmphex(in8(&f.m, 0x20), ==, 0x80);
    g_assert_cmphex(in8(&f.m, 0x21), ==, 0x00); /* A0 = 1 reads the IMR */
    teardown(&f);
}

static void test_special_mask(void)
{
    struct fixture f;
    setup(&f);
    pulse(&f, 3);
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x0b);
    pulse(&f, 5);
    g_assert_false(pic_pending(f.pic));
    /* The handler masks its own level and enters special mask mode. */
    out8(&f.m, 0x21, 0x08);
    out8(&f.m, 0x20, 0x68);
    g_assert_true(pic_pending(f.pic));
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x0d);
    /* A non-specific EOI skips the masked in-service level. */
    eoi(&f, 0x20);
    g_assert_cmphex(read_isr(&f, 0x20), ==, 0x08);
    out8(&f.m, 0x20, 0x48); /* special mask mode off */
    pulse(&f, 6);
    g_assert_false(pic_pending(f.pic)); /* IR3 in service holds IR6 off again */
    out8(&f.m, 0x20, 0x63);
    g_assert_true(pic_pending(f.pic));
    teardown(&f);
}

static void test_spurious(void)
{
    struct fixture f;
    setup(&f);
    iobus_write(&f.m.io, 0x4d0, 0x20, 1); /* IRQ 5 level */
    iobus_write(&f.m.io, 0x4d1, 0x04, 1); /* IRQ 10 level */
    /* Master: the line falls between INT and INTA: vector IR7, no ISR bit. */
    pic_set_irq(f.pic, 5, 1);
    g_assert_true(pic_pending(f.pic));
    pic_set_irq(f.pic, 5, 0);
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x0f);
    g_assert_cmphex(read_isr(&f, 0x20), ==, 0x00);
    /* Slave: the master's IR2 edge stays latched; the slave answers IR7 (IRQ 15). */
    pic_set_irq(f.pic, 10, 1);
    g_assert_true(pic_pending(f.pic));
    pic_set_irq(f.pic, 10, 0);
    g_assert_true(pic_pending(f.pic));
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x77);
    g_assert_cmphex(read_isr(&f, 0xa0), ==, 0x00);
    g_assert_cmphex(read_isr(&f, 0x20), ==, 0x04); /* the master needs its EOI */
    eoi(&f, 0x20);
    g_assert_false(pic_pending(f.pic));
    teardown(&f);
}

static void test_lines_and_reset(void)
{
    struct fixture f;
    setup(&f);
    struct irq_line l = pic_irq_line(f.pic, 14);
    irq_pulse(&l);
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x76);
    eoi(&f, 0xa0);
    eoi(&f, 0x20);
    /* IRQ 2 is the cascade: outside drivers of it, and irq > 15, do nothing. */
    struct irq_line two = pic_irq_line(f.pic, 2);
    irq_pulse(&two);
    pic_set_irq(f.pic, 16, 1);
    pic_set_irq(f.pic, 1000, 1);
    g_assert_false(pic_pending(f.pic));
    /* Reset: vector base 0, cascade on IR2, nothing masked, ELCR all edge. */
    iobus_write(&f.m.io, 0x4d0, 0x20, 1);
    out8(&f.m, 0x21, 0xff);
    pic_reset(f.pic);
    g_assert_cmphex(in8(&f.m, 0x21), ==, 0x00);
    g_assert_cmphex(iobus_read(&f.m.io, 0x4d0, 1), ==, 0x00);
    pulse(&f, 9);
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x01);
    /* With nothing requesting, an acknowledge is spurious IR7 of the master. */
    g_assert_cmphex(pic_acknowledge(f.pic), ==, 0x07);
    teardown(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/i8259/init_words", test_init_words);
    g_test_add_func("/i8259/init_resets_edges", test_init_resets_edges);
    g_test_add_func("/i8259/masking", test_masking);
    g_test_add_func("/i8259/priority_order", test_priority_order);
    g_test_add_func("/i8259/eoi_forms", test_eoi_forms);
    g_test_add_func("/i8259/rotation", test_rotation);
    g_test_add_func("/i8259/auto_eoi", test_auto_eoi);
    g_test_add_func("/i8259/edge_and_level", test_edge_and_level);
    g_test_add_func("/i8259/cascade", test_cascade);
    g_test_add_func("/i8259/special_fully_nested", test_special_fully_nested);
    g_test_add_func("/i8259/poll", test_poll);
    g_test_add_func("/i8259/read_irr_isr", test_read_irr_isr);
    g_test_add_func("/i8259/special_mask", test_special_mask);
    g_test_add_func("/i8259/spurious", test_spurious);
    g_test_add_func("/i8259/lines_and_reset", test_lines_and_reset);
    return g_test_run();
}
