/*
 * Port 0x92: A20 gate changes and the fast reset bit.
 */
#include <glib.h>

#include "devices/port92.h"
#include "machine/machine.h"

struct rec {
    int a20;
    unsigned a20_calls, resets;
};

static void set_a20(void *opaque, bool on)
{
    struct rec *r = opaque;
    r->a20 = on;
    r->a20_calls++;
}

static void reset(void *opaque)
{
    ((struct rec *)opaque)->resets++;
}

static void test_a20_and_reset(void)
{
    struct machine m;
    g_assert_cmpint(machine_init(&m, &(struct machine_config){.ram_mb = 1}), ==, 0);
    struct rec r = {0};
    struct port92 *p = port92_create(&m, &(struct port92_callbacks){set_a20, reset, &r});
    g_assert_cmphex(iobus_read(&m.io, 0x92, 1), ==, 0);
    iobus_write(&m.io, 0x92, 0x02, 1);
    g_assert_cmpint(r.a20, ==, 1);
    g_assert_cmphex(iobus_read(&m.io, 0x92, 1), ==, 0x02);
    iobus_write(&m.io, 0x92, 0x02, 1); /* no change, no call */
    g_assert_cmpuint(r.a20_calls, ==, 1);
    g_assert_cmpuint(r.resets, ==, 0);
    iobus_write(&m.io, 0x92, 0x03, 1);
    g_assert_cmpuint(r.resets, ==, 1);
    iobus_write(&m.io, 0x92, 0x03, 1); /* bit already set: no new reset */
    g_assert_cmpuint(r.resets, ==, 1);
    iobus_write(&m.io, 0x92, 0x00, 1);
    g_assert_cmpint(r.a20, ==, 0);
    port92_destroy(p);
    machine_destroy(&m);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/port92/a20-and-reset", test_a20_and_reset);
    return g_test_run();
}
