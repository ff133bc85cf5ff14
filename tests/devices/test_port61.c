/*
 * Port 0x61 with a real 82C54 behind it: the stored bits, the refresh
 * toggle in virtual time, counter 2's gate and its OUT read back in bit 5.
 */
#include <glib.h>

#include "devices/i8254.h"
#include "devices/port61.h"
#include "machine/machine.h"

struct fixture {
    struct machine m;
    struct pit *pit;
    struct port61 *port;
};

static void setup(struct fixture *f)
{
    g_assert_cmpint(
        machine_init(&f->m, &(struct machine_config){.ram_mb = 1, .manual_clock = true}), ==, 0);
    f->pit = pit_create(&f->m, NULL);
    g_assert_nonnull(f->pit);
    f->port = port61_create(&f->m, f->pit);
    g_assert_nonnull(f->port);
    g_assert_null(port61_create(&f->m, f->pit)); /* the port is taken */
}

static void teardown(struct fixture *f)
{
    port61_destroy(f->port);
    pit_destroy(f->pit);
    machine_destroy(&f->m);
}

static uint64_t ns_at(int64_t tick)
{
    return ((uint64_t)tick * 1000000000u + PIT_HZ - 1) / PIT_HZ;
}

static void goto_ns(struct fixture *f, uint64_t ns)
{
    uint64_t now = vclock_now(&f->m.clock);
    g_assert_cmpuint(ns, >=, now);
    vclock_advance(&f->m.clock, ns - now);
}

static uint8_t in61(struct fixture *f)
{
    return (uint8_t)iobus_read(&f->m.io, 0x61, 1);
}

static void out61(struct fixture *f, uint8_t v)
{
    iobus_write(&f->m.io, 0x61, v, 1);
}

static void test_refresh_toggle(void)
{
    struct fixture f;
    setup(&f);
    g_assert_cmphex(in61(&f) & PORT61_REFRESH, ==, 0);
    goto_ns(&f, 15084);
    g_assert_cmphex(in61(&f) & PORT61_REFRESH, ==, 0);
    goto_ns(&f, 15085);
    g_assert_cmphex(in61(&f) & PORT61_REFRESH, ==, PORT61_REFRESH);
    goto_ns(&f, 30169);
    g_assert_cmphex(in61(&f) & PORT61_REFRESH, ==, PORT61_REFRESH);
    goto_ns(&f, 30170);
    g_assert_cmphex(in61(&f) & PORT61_REFRESH, ==, 0);
    /* Count toggles over 1 ms, as delay loops do. */
    unsigned toggles = 0;
    uint8_t last = in61(&f) & PORT61_REFRESH;
    for (unsigned i = 0; i < 1000; i++) {
        vclock_advance(&f.m.clock, 1000);
        uint8_t now = in61(&f) & PORT61_REFRESH;
        toggles += now != last;
        last = now;
    }
    g_assert_cmpuint(toggles, >=, 66);
    g_assert_cmpuint(toggles, <=, 67);
    teardown(&f);
}

static void test_stored_bits(void)
{
    struct fixture f;
    setup(&f);
    g_assert_cmphex(in61(&f) & 0xcf, ==, 0x00);
    out61(&f, 0xff);
    g_assert_cmphex(in61(&f) & 0xcf, ==, 0x0f); /* bits 6-7 read 0 */
    out61(&f, 0x0a);
    g_assert_cmphex(in61(&f) & 0xcf, ==, 0x0a);
    port61_reset(f.port);
    g_assert_cmphex(in61(&f) & 0xcf, ==, 0x00);
    teardown(&f);
}

/* Counter 2 in mode 0: bit 0 gates the count, bit 5 shows OUT 2 (the BIOS delay). */
static void test_out2_mode0(void)
{
    struct fixture f;
    setup(&f);
    iobus_write(&f.m.io, 0x43, 0xb0, 1); /* counter 2, LSB/MSB, mode 0 */
    iobus_write(&f.m.io, 0x42, 100, 1);
    iobus_write(&f.m.io, 0x42, 0, 1);
    goto_ns(&f, ns_at(50));
    g_assert_cmphex(in61(&f) & PORT61_OUT2, ==, 0);
    out61(&f, PORT61_GATE2); /* counting starts with the next pulse: k = 1 at 51 */
    goto_ns(&f, ns_at(149));
    g_assert_cmphex(in61(&f) & PORT61_OUT2, ==, 0);
    goto_ns(&f, ns_at(150));
    g_assert_cmphex(in61(&f) & PORT61_OUT2, ==, PORT61_OUT2);
    g_assert_cmphex(in61(&f) & PORT61_GATE2, ==, PORT61_GATE2);
    /* Gate low holds the count: a new count then never ends. */
    iobus_write(&f.m.io, 0x42, 10, 1);
    iobus_write(&f.m.io, 0x42, 0, 1);
    g_assert_cmphex(in61(&f) & PORT61_OUT2, ==, 0);
    out61(&f, 0);
    goto_ns(&f, ns_at(1000));
    g_assert_cmphex(in61(&f) & PORT61_OUT2, ==, 0);
    out61(&f, PORT61_GATE2 | PORT61_SPEAKER);
    goto_ns(&f, ns_at(1010));
    g_assert_cmphex(in61(&f) & PORT61_OUT2, ==, PORT61_OUT2);
    teardown(&f);
}

/* Counter 2 in mode 1: a 0 -> 1 write of bit 0 triggers; rewriting 1 does not. */
static void test_gate_trigger(void)
{
    struct fixture f;
    setup(&f);
    iobus_write(&f.m.io, 0x43, 0xb2, 1);
    iobus_write(&f.m.io, 0x42, 20, 1);
    iobus_write(&f.m.io, 0x42, 0, 1);
    goto_ns(&f, ns_at(10));
    g_assert_cmphex(in61(&f) & PORT61_OUT2, ==, PORT61_OUT2);
    out61(&f, PORT61_GATE2);
    goto_ns(&f, ns_at(11));
    g_assert_cmphex(in61(&f) & PORT61_OUT2, ==, 0);
    goto_ns(&f, ns_at(20));
    out61(&f, PORT61_GATE2 | PORT61_SPEAKER); /* gate stays high: no retrigger */
    goto_ns(&f, ns_at(30));
    g_assert_cmphex(in61(&f) & PORT61_OUT2, ==, 0);
    goto_ns(&f, ns_at(31));
    g_assert_cmphex(in61(&f) & PORT61_OUT2, ==, PORT61_OUT2);
    /* Reset drops the gate, so the next set bit 0 is a trigger again. */
    port61_reset(f.port);
    out61(&f, PORT61_GATE2);
    goto_ns(&f, ns_at(32));
    g_assert_cmphex(in61(&f) & PORT61_OUT2, ==, 0);
    teardown(&f);
}

/* Counter 2 in mode 3 (the speaker tone): bit 5 follows the square wave. */
static void test_out2_square(void)
{
    struct fixture f;
    setup(&f);
    out61(&f, PORT61_GATE2 | PORT61_SPEAKER);
    iobus_write(&f.m.io, 0x43, 0xb6, 1);
    iobus_write(&f.m.io, 0x42, 8, 1);
    iobus_write(&f.m.io, 0x42, 0, 1);
    for (int t = 1; t <= 16; t++) {
        goto_ns(&f, ns_at(t));
        uint8_t want = ((t - 1) % 8) < 4 ? PORT61_OUT2 : 0;
        g_assert_cmphex(in61(&f) & PORT61_OUT2, ==, want);
    }
    teardown(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/port61/refresh_toggle", test_refresh_toggle);
    g_test_add_func("/port61/stored_bits", test_stored_bits);
    g_test_add_func("/port61/out2_mode0", test_out2_mode0);
    g_test_add_func("/port61/gate_trigger", test_gate_trigger);
    g_test_add_func("/port61/out2_square", test_out2_square);
    return g_test_run();
}
