/*
 * struct machine: RAM sizing and alignment, and two machines living in one
 * process without sharing anything.
 */
#include <errno.h>
#include <glib.h>
#include <stdint.h>

#include "machine/machine.h"

static uint32_t reg_read(void *opaque, uint16_t off, unsigned size)
{
    return *(uint8_t *)opaque;
}

static void reg_write(void *opaque, uint16_t off, uint32_t value, unsigned size)
{
    *(uint8_t *)opaque = (uint8_t)value;
}

static const struct io_ops reg_ops = {reg_read, reg_write, 0};

static void test_ram_size_and_alignment(void)
{
    struct machine *m = g_new(struct machine, 1);
    g_assert_cmpint(machine_init(m, &(struct machine_config){.ram_mb = 16}), ==, 0);
    g_assert_cmpuint(m->ram_size, ==, 16u << 20);
    g_assert_cmpuint((uintptr_t)m->ram % 4096, ==, 0);
    g_assert_cmphex(memmap_read(&m->mem, 0, 4), ==, 0); /* fresh RAM is zero */
    memmap_write(&m->mem, (16u << 20) - 4, 0x12345678, 4);
    g_assert_cmphex(m->ram[(16u << 20) - 1], ==, 0x12);
    g_assert_cmphex(memmap_read(&m->mem, 16u << 20, 4), ==, 0xffffffff);
    machine_destroy(m);
    g_free(m);
}

static void test_ram_size_limits(void)
{
    struct machine *m = g_new(struct machine, 1);
    g_assert_cmpint(machine_init(m, &(struct machine_config){.ram_mb = 0}), ==, -EINVAL);
    g_assert_cmpint(machine_init(m, &(struct machine_config){.ram_mb = 3073}), ==, -EINVAL);
    g_assert_cmpint(machine_init(m, &(struct machine_config){.ram_mb = 1}), ==, 0);
    g_assert_cmpuint(m->ram_size, ==, 1u << 20);
    machine_destroy(m);
    g_free(m);
}

static void test_two_machines_independent(void)
{
    struct machine *a = g_new(struct machine, 1), *b = g_new(struct machine, 1);
    uint8_t reg_a = 0, reg_b = 0;
    g_assert_cmpint(machine_init(a, &(struct machine_config){.ram_mb = 2}), ==, 0);
    g_assert_cmpint(machine_init(b, &(struct machine_config){.ram_mb = 4}), ==, 0);
    g_assert_true(a->ram != b->ram);

    memmap_write(&a->mem, 0x1000, 0xaaaaaaaa, 4);
    memmap_write(&b->mem, 0x1000, 0xbbbbbbbb, 4);
    g_assert_cmphex(memmap_read(&a->mem, 0x1000, 4), ==, 0xaaaaaaaa);
    g_assert_cmphex(memmap_read(&b->mem, 0x1000, 4), ==, 0xbbbbbbbb);
    /* b has RAM at 3 MiB, a does not. */
    memmap_write(&b->mem, 3u << 20, 0x1, 1);
    g_assert_cmphex(memmap_read(&a->mem, 3u << 20, 1), ==, 0xff);
    g_assert_cmphex(memmap_read(&b->mem, 3u << 20, 1), ==, 0x1);

    /* The same port on two machines reaches two different devices. */
    g_assert_cmpint(iobus_register(&a->io, "reg", 0x80, 1, &reg_ops, &reg_a), ==, 0);
    g_assert_cmpint(iobus_register(&b->io, "reg", 0x80, 1, &reg_ops, &reg_b), ==, 0);
    iobus_write(&a->io, 0x80, 0x11, 1);
    iobus_write(&b->io, 0x80, 0x22, 1);
    g_assert_cmphex(reg_a, ==, 0x11);
    g_assert_cmphex(reg_b, ==, 0x22);

    machine_destroy(a);
    /* b survives a's destruction untouched. */
    g_assert_cmphex(memmap_read(&b->mem, 0x1000, 4), ==, 0xbbbbbbbb);
    g_assert_cmphex(iobus_read(&b->io, 0x80, 1), ==, 0x22);
    machine_destroy(b);
    g_free(a);
    g_free(b);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/machine/ram-size-and-alignment", test_ram_size_and_alignment);
    g_test_add_func("/machine/ram-size-limits", test_ram_size_limits);
    g_test_add_func("/machine/two-machines-independent", test_two_machines_independent);
    return g_test_run();
}
