/*
 * The I/O-port bus: unclaimed ports, claims and overlaps, and how wide
 * accesses reach byte-wide and word-wide devices.
 */
#include <glib.h>

#include "machine/iobus.h"

struct port_dev {
    uint8_t regs[8];
    unsigned nreads, nwrites, last_size;
};

static uint32_t dev_read(void *opaque, uint16_t off, unsigned size)
{
    struct port_dev *d = opaque;
    d->nreads++;
    d->last_size = size;
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)d->regs[(off + i) % 8] << (8 * i);
    return v;
}

static void dev_write(void *opaque, uint16_t off, uint32_t val, unsigned size)
{
    struct port_dev *d = opaque;
    d->nwrites++;
    d->last_size = size;
    for (unsigned i = 0; i < size; i++)
        d->regs[(off + i) % 8] = (uint8_t)(val >> (8 * i));
}

static const struct io_ops byte_ops = {dev_read, dev_write, 0};
static const struct io_ops wide_ops = {dev_read, dev_write, IO_SIZE_2 | IO_SIZE_4};

static struct iobus *new_bus(void)
{
    struct iobus *bus = g_new(struct iobus, 1);
    iobus_init(bus);
    return bus;
}

static void test_unclaimed_ports(void)
{
    struct iobus *bus = new_bus();
    g_assert_cmphex(iobus_read(bus, 0x80, 1), ==, 0xff);
    g_assert_cmphex(iobus_read(bus, 0x1234, 2), ==, 0xffff);
    g_assert_cmphex(iobus_read(bus, 0xfffe, 4), ==, 0xffffffff); /* wraps to port 0 */
    iobus_write(bus, 0x80, 0x12, 1);
    g_free(bus);
}

static void test_claims_refused(void)
{
    struct iobus *bus = new_bus();
    struct port_dev d = {0};
    g_assert_cmpint(iobus_register(bus, "a", 0x60, 1, &byte_ops, &d), ==, 0);
    g_assert_cmpint(iobus_register(bus, "b", 0x5f, 2, &byte_ops, &d), ==, -1);
    g_assert_cmpint(iobus_register(bus, "c", 0x70, 0, &byte_ops, &d), ==, -1);
    g_assert_cmpint(iobus_register(bus, "d", 0xfff0, 0x20, &byte_ops, &d), ==, -1);
    g_assert_cmpint(iobus_register(bus, "e", 0xfff0, 0x10, &byte_ops, &d), ==, 0);
    iobus_unregister(bus, 0x60);
    g_assert_cmphex(iobus_read(bus, 0x60, 1), ==, 0xff);
    g_assert_cmpint(iobus_register(bus, "b", 0x5f, 2, &byte_ops, &d), ==, 0);
    g_free(bus);
}

static void test_byte_device_splits_wide_access(void)
{
    struct iobus *bus = new_bus();
    struct port_dev d = {0};
    iobus_register(bus, "pic", 0x20, 2, &byte_ops, &d);
    iobus_write(bus, 0x20, 0xbbaa, 2);
    g_assert_cmpuint(d.nwrites, ==, 2);
    g_assert_cmpuint(d.last_size, ==, 1);
    g_assert_cmphex(d.regs[0], ==, 0xaa);
    g_assert_cmphex(d.regs[1], ==, 0xbb);
    /* A dword at 0x20 covers two claimed and two unclaimed ports. */
    g_assert_cmphex(iobus_read(bus, 0x20, 4), ==, 0xffffbbaa);
    g_assert_cmpuint(d.nreads, ==, 2);
    g_free(bus);
}

static void test_wide_device_whole_access(void)
{
    struct iobus *bus = new_bus();
    struct port_dev d = {0};
    iobus_register(bus, "pci", 0xcf8, 8, &wide_ops, &d);
    iobus_write(bus, 0xcf8, 0x80000000, 4);
    g_assert_cmpuint(d.nwrites, ==, 1);
    g_assert_cmpuint(d.last_size, ==, 4);
    g_assert_cmphex(iobus_read(bus, 0xcf8, 4), ==, 0x80000000);
    g_assert_cmphex(iobus_read(bus, 0xcfb, 1), ==, 0x80);
    /* A dword that runs past the claim is split. */
    d.nreads = 0;
    g_assert_cmphex(iobus_read(bus, 0xcfe, 4), ==, 0xffff0000);
    g_assert_cmpuint(d.nreads, ==, 2);
    g_free(bus);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/iobus/unclaimed-ports", test_unclaimed_ports);
    g_test_add_func("/iobus/claims-refused", test_claims_refused);
    g_test_add_func("/iobus/byte-device-splits-wide-access", test_byte_device_splits_wide_access);
    g_test_add_func("/iobus/wide-device-whole-access", test_wide_device_whole_access);
    return g_test_run();
}
