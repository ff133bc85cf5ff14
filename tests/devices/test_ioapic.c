/*
 * The I/O APIC against the 82093AA datasheet (order no. 290566): IOREGSEL
 * and IOWIN (§3.0), the ID, version and arbitration registers (§3.2.1-3),
 * the redirection table's writable fields, edge-triggered pins (an edge on
 * a masked pin is lost), level-triggered pins with remote IRR and the EOI,
 * and the polarity bit (§3.2.4).
 */
#include <glib.h>

#include "devices/ioapic.h"
#include "machine/machine.h"

#define B      0xfec00000u
#define MAXMSG 16

struct fixture {
    struct machine m;
    struct ioapic *io;
    struct ioapic_msg msg[MAXMSG];
    unsigned nmsg;
};

static void on_deliver(void *opaque, const struct ioapic_msg *msg)
{
    struct fixture *f = opaque;
    if (f->nmsg < MAXMSG)
        f->msg[f->nmsg] = *msg;
    f->nmsg++;
}

static void setup(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    g_assert_cmpint(machine_init(&f->m, &(struct machine_config){.ram_mb = 1}), ==, 0);
    f->io = ioapic_create(&f->m, &(struct ioapic_callbacks){on_deliver, f});
}

static void teardown(struct fixture *f)
{
    ioapic_destroy(f->io);
    machine_destroy(&f->m);
}

static uint32_t rd(struct fixture *f, uint8_t reg)
{
    memmap_write(&f->m.mem, B, reg, 1);
    return memmap_read(&f->m.mem, B + 0x10, 4);
}

static void wr(struct fixture *f, uint8_t reg, uint32_t v)
{
    memmap_write(&f->m.mem, B, reg, 1);
    memmap_write(&f->m.mem, B + 0x10, v, 4);
}

/* Program pin's entry: low dword `lo`, destination `dest`. */
static void entry(struct fixture *f, unsigned pin, uint32_t lo, uint8_t dest)
{
    wr(f, (uint8_t)(0x11 + 2 * pin), (uint32_t)dest << 24);
    wr(f, (uint8_t)(0x10 + 2 * pin), lo);
}

static void test_registers(void)
{
    struct fixture f;
    setup(&f);
    g_assert_cmphex(rd(&f, 0x01), ==, 0x00170011u); /* 24 entries, version 11h */
    g_assert_cmphex(rd(&f, 0x00), ==, 0);
    wr(&f, 0x00, 0xffffffffu);
    g_assert_cmphex(rd(&f, 0x00), ==, 0x0f000000u); /* ID bits 24-27 */
    g_assert_cmphex(rd(&f, 0x02), ==, 0x0f000000u); /* arbitration ID follows */
    wr(&f, 0x01, 0);
    g_assert_cmphex(rd(&f, 0x01), ==, 0x00170011u);
    g_assert_cmphex(memmap_read(&f.m.mem, B, 1), ==, 0x01); /* IOREGSEL reads back */
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
        g_assert_cmphex(rd(&f, (uint8_t)(0x10 + 2 * pin)), ==, 0x10000); /* masked */
        g_assert_cmphex(rd(&f, (uint8_t)(0x11 + 2 * pin)), ==, 0);
    }
    /* delivery status (12), remote IRR (14) and reserved bits are not writable */
    wr(&f, 0x10, 0xffffffffu);
    g_assert_cmphex(rd(&f, 0x10), ==, 0x0001afffu);
    wr(&f, 0x11, 0xffffffffu);
    g_assert_cmphex(rd(&f, 0x11), ==, 0xff000000u);
    g_assert_cmphex(rd(&f, 0x40), ==, 0); /* past the table */
    g_assert_cmphex(rd(&f, 0x03), ==, 0);
    teardown(&f);
}

/* Edge-triggered: one message a rising edge, none while held; an edge while masked is lost. */
static void test_edge(void)
{
    struct fixture f;
    setup(&f);
    entry(&f, 4, 0x0834, 0x05); /* vector 0x34, fixed, logical, edge, active high */
    ioapic_set_irq(f.io, 4, 1);
    g_assert_cmpuint(f.nmsg, ==, 1);
    g_assert_cmphex(f.msg[0].vector, ==, 0x34);
    g_assert_cmphex(f.msg[0].dest, ==, 0x05);
    g_assert_true(f.msg[0].logical);
    g_assert_cmpuint(f.msg[0].mode, ==, 0);
    g_assert_false(f.msg[0].level);
    ioapic_set_irq(f.io, 4, 1);
    g_assert_cmpuint(f.nmsg, ==, 1);
    ioapic_set_irq(f.io, 4, 0);
    ioapic_set_irq(f.io, 4, 1);
    g_assert_cmpuint(f.nmsg, ==, 2);
    ioapic_set_irq(f.io, 4, 0);
    entry(&f, 4, 0x10834, 0x05); /* masked */
    ioapic_set_irq(f.io, 4, 1);
    ioapic_set_irq(f.io, 4, 0);
    entry(&f, 4, 0x0834, 0x05);
    g_assert_cmpuint(f.nmsg, ==, 2);
    g_assert_cmphex(rd(&f, 0x18) & 0x5000, ==, 0); /* delivery status idle, no remote IRR */
    teardown(&f);
}

/* Level-triggered: remote IRR holds the pin until the EOI; asserted after it, sent again. */
static void test_level(void)
{
    struct fixture f;
    setup(&f);
    entry(&f, 10, 0x8045, 0x00); /* vector 0x45, fixed, physical, level, active high */
    ioapic_set_irq(f.io, 10, 1);
    g_assert_cmpuint(f.nmsg, ==, 1);
    g_assert_true(f.msg[0].level);
    g_assert_cmphex(rd(&f, 0x10 + 20), ==, 0xc045); /* remote IRR set */
    ioapic_set_irq(f.io, 10, 0);
    ioapic_set_irq(f.io, 10, 1);
    g_assert_cmpuint(f.nmsg, ==, 1); /* held until EOI */
    ioapic_eoi(f.io, 0x46);          /* another vector: nothing */
    g_assert_cmpuint(f.nmsg, ==, 1);
    ioapic_eoi(f.io, 0x45); /* still asserted: again */
    g_assert_cmpuint(f.nmsg, ==, 2);
    ioapic_set_irq(f.io, 10, 0);
    ioapic_eoi(f.io, 0x45);
    g_assert_cmpuint(f.nmsg, ==, 2);
    g_assert_cmphex(rd(&f, 0x10 + 20), ==, 0x8045); /* remote IRR clear */
    /* masked while asserted: nothing until unmasked */
    entry(&f, 10, 0x18045, 0x00);
    ioapic_set_irq(f.io, 10, 1);
    g_assert_cmpuint(f.nmsg, ==, 2);
    entry(&f, 10, 0x08045, 0x00);
    g_assert_cmpuint(f.nmsg, ==, 3);
    /* switching to edge clears remote IRR */
    entry(&f, 10, 0x0045, 0x00);
    g_assert_cmphex(rd(&f, 0x10 + 20), ==, 0x0045);
    teardown(&f);
}

/* Polarity: an active-low pin is asserted by a low input. */
static void test_polarity(void)
{
    struct fixture f;
    setup(&f);
    ioapic_set_irq(f.io, 16, 1); /* idle high, as a PCI INTx# line */
    entry(&f, 16, 0xa050, 0x00); /* level, active low, vector 0x50 */
    g_assert_cmpuint(f.nmsg, ==, 0);
    ioapic_set_irq(f.io, 16, 0);
    g_assert_cmpuint(f.nmsg, ==, 1);
    g_assert_cmphex(f.msg[0].vector, ==, 0x50);
    ioapic_set_irq(f.io, 16, 1);
    ioapic_eoi(f.io, 0x50);
    g_assert_cmpuint(f.nmsg, ==, 1);
    g_assert_cmpint(ioapic_pin_level(f.io, 16), ==, 1);
    ioapic_set_irq(f.io, 99, 1); /* no such pin */
    teardown(&f);
}

/* Reset masks every entry but keeps the pin levels. */
static void test_reset(void)
{
    struct fixture f;
    setup(&f);
    entry(&f, 1, 0x0031, 0x00);
    ioapic_set_irq(f.io, 1, 1);
    ioapic_reset(f.io);
    g_assert_cmphex(ioapic_entry(f.io, 1), ==, 0x10000);
    g_assert_cmpint(ioapic_pin_level(f.io, 1), ==, 1);
    teardown(&f);
}

/* Random register traffic, pin levels and EOIs: the I/O APIC survives them. */
static void test_hostile(void)
{
    struct fixture f;
    setup(&f);
    GRand *r = g_rand_new_with_seed(82093);
    for (unsigned i = 0; i < 200000; i++) {
        uint32_t v = g_rand_int(r);
        unsigned size = 1u << g_rand_int_range(r, 0, 3);
        switch (g_rand_int_range(r, 0, 5)) {
        case 0:
            memmap_write(&f.m.mem, B + g_rand_int_range(r, 0, 0x20), v, size);
            break;
        case 1:
            memmap_read(&f.m.mem, B + g_rand_int_range(r, 0, IOAPIC_SIZE), size);
            break;
        case 2:
            ioapic_set_irq(f.io, v % 32, v >> 8 & 1);
            break;
        case 3:
            ioapic_eoi(f.io, (uint8_t)v);
            break;
        default:
            wr(&f, (uint8_t)(0x10 + v % 48), g_rand_int(r));
            break;
        }
    }
    g_rand_free(r);
    teardown(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ioapic/registers", test_registers);
    g_test_add_func("/ioapic/edge", test_edge);
    g_test_add_func("/ioapic/level", test_level);
    g_test_add_func("/ioapic/polarity", test_polarity);
    g_test_add_func("/ioapic/reset", test_reset);
    g_test_add_func("/ioapic/hostile", test_hostile);
    return g_test_run();
}
