/*
 * The ACPI PM registers against the ACPI 2.0 specification §4.7.3 and the
 * PIIX4 datasheet §7.2: reset values, the 24-bit PM timer at 3.579545 MHz
 * of virtual time, TMR_STS when bit 23 changes, status bits cleared by
 * writing 1, the SCI from status and enable bits under SCI_EN, the power
 * button, and SLP_EN with the soft-off SLP_TYP (and only that one).
 */
#include <glib.h>

#include "devices/acpi_pm.h"
#include "machine/machine.h"

#define B ACPI_PM_BASE

struct fixture {
    struct machine m;
    struct acpi_pm *pm;
    int sci;
    unsigned power_offs;
};

static void sci_set(void *opaque, unsigned n, int level)
{
    struct fixture *f = opaque;
    f->sci = level;
}

static void power_off(void *opaque)
{
    struct fixture *f = opaque;
    f->power_offs++;
}

static void setup(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    g_assert_cmpint(
        machine_init(&f->m, &(struct machine_config){.ram_mb = 1, .manual_clock = true}), ==, 0);
    struct irq_line sci = {sci_set, f, 9};
    f->pm = acpi_pm_create(&f->m, B, &sci, &(struct acpi_pm_callbacks){power_off, f});
    g_assert_nonnull(f->pm);
}

static void teardown(struct fixture *f)
{
    acpi_pm_destroy(f->pm);
    machine_destroy(&f->m);
}

static uint32_t in(struct fixture *f, unsigned off, unsigned size)
{
    return iobus_read(&f->m.io, (uint16_t)(B + off), size);
}

static void out(struct fixture *f, unsigned off, uint32_t v, unsigned size)
{
    iobus_write(&f->m.io, (uint16_t)(B + off), v, size);
}

static void test_reset_state(void)
{
    struct fixture f;
    setup(&f);
    g_assert_cmphex(in(&f, 0, 2), ==, 0);      /* PM1_STS */
    g_assert_cmphex(in(&f, 2, 2), ==, 0);      /* PM1_EN */
    g_assert_cmphex(in(&f, 4, 2), ==, 0x0001); /* PM1_CNT: SCI_EN */
    g_assert_cmphex(in(&f, 8, 4), ==, 0);      /* PM_TMR at time 0 */
    g_assert_cmpint(f.sci, ==, 0);
    teardown(&f);
}

/* 3579545 ticks a second, 24 bits wide; dword, word and byte reads agree. */
static void test_timer(void)
{
    struct fixture f;
    setup(&f);
    vclock_advance(&f.m.clock, 1000000000u);
    g_assert_cmpuint(in(&f, 8, 4), ==, 3579545u);
    g_assert_cmpuint(in(&f, 8, 2), ==, 3579545u & 0xffff);
    g_assert_cmpuint(in(&f, 10, 1), ==, (3579545u >> 16) & 0xff);
    vclock_advance(&f.m.clock, 4000000000u);
    g_assert_cmpuint(in(&f, 8, 4), ==, (5u * 3579545u) & 0xffffffu);
    out(&f, 8, 0, 4); /* read-only */
    g_assert_cmpuint(in(&f, 8, 4), ==, (5u * 3579545u) & 0xffffffu);
    teardown(&f);
}

/* TMR_STS when bit 23 changes (tick 2^23, about 2.34 s), an SCI only with TMR_EN. */
static void test_timer_status(void)
{
    struct fixture f;
    setup(&f);
    uint64_t edge = (8388608ull * 1000000000u + ACPI_PM_TIMER_HZ - 1) / ACPI_PM_TIMER_HZ;
    vclock_advance(&f.m.clock, edge - 1);
    g_assert_cmphex(in(&f, 0, 2) & 1, ==, 0);
    vclock_advance(&f.m.clock, 1);
    g_assert_cmphex(in(&f, 0, 2) & 1, ==, 1);
    g_assert_cmpint(f.sci, ==, 0);
    out(&f, 2, 0x0001, 2); /* TMR_EN */
    g_assert_cmpint(f.sci, ==, 1);
    out(&f, 0, 0x0001, 2); /* write 1 to clear */
    g_assert_cmphex(in(&f, 0, 2), ==, 0);
    g_assert_cmpint(f.sci, ==, 0);
    vclock_advance(&f.m.clock, edge); /* bit 23 falls again at 2^24 */
    g_assert_cmphex(in(&f, 0, 2) & 1, ==, 1);
    g_assert_cmpint(f.sci, ==, 1);
    teardown(&f);
}

/* The power button: PWRBTN_STS; an SCI with PWRBTN_EN and SCI_EN only. */
static void test_power_button(void)
{
    struct fixture f;
    setup(&f);
    acpi_pm_power_button(f.pm);
    g_assert_cmphex(in(&f, 0, 2), ==, 0x0100);
    g_assert_cmpint(f.sci, ==, 0);
    out(&f, 3, 0x01, 1); /* PWRBTN_EN by a byte write */
    g_assert_cmphex(in(&f, 2, 2), ==, 0x0100);
    g_assert_cmpint(f.sci, ==, 1);
    out(&f, 4, 0x0000, 2); /* SCI_EN off */
    g_assert_cmpint(f.sci, ==, 0);
    out(&f, 4, 0x0001, 2);
    g_assert_cmpint(f.sci, ==, 1);
    out(&f, 0, 0xfeff, 2); /* writing 0 keeps a status bit */
    g_assert_cmpint(f.sci, ==, 1);
    out(&f, 1, 0x01, 1);
    g_assert_cmpint(f.sci, ==, 0);
    out(&f, 2, 0xffff, 2);
    g_assert_cmphex(in(&f, 2, 2), ==, 0x0521); /* only TMR, GBL, PWRBTN, RTC enables exist */
    teardown(&f);
}

/* SLP_EN with SLP_TYP 0 (PIIX4 soft-off) powers off; other types do nothing; SLP_EN reads 0. */
static void test_sleep(void)
{
    struct fixture f;
    setup(&f);
    out(&f, 4, 0x2001 | 5u << 10, 2); /* SLP_TYP 5 */
    g_assert_cmpuint(f.power_offs, ==, 0);
    g_assert_cmphex(in(&f, 4, 2), ==, 0x1401); /* SLP_TYP kept, SLP_EN not */
    out(&f, 4, 0x0001, 2);
    g_assert_cmpuint(f.power_offs, ==, 0);
    out(&f, 5, 0x20, 1); /* SLP_EN, SLP_TYP 0 in the high byte alone */
    g_assert_cmpuint(f.power_offs, ==, 1);
    out(&f, 4, 0x2001, 4); /* as a dword write reaching the timer too */
    g_assert_cmpuint(f.power_offs, ==, 2);
    teardown(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/acpi_pm/reset_state", test_reset_state);
    g_test_add_func("/acpi_pm/timer", test_timer);
    g_test_add_func("/acpi_pm/timer_status", test_timer_status);
    g_test_add_func("/acpi_pm/power_button", test_power_button);
    g_test_add_func("/acpi_pm/sleep", test_sleep);
    return g_test_run();
}
