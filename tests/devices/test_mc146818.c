/*
 * MC146818A RTC: the clock bytes in BCD/binary and 12/24-hour forms, time
 * advancing with virtual time across second, minute, day, month, year and
 * century boundaries, UIP timing, SET, the divider, the periodic, alarm and
 * update-ended interrupts on IRQ 8, register C, DSE, the index port with
 * its NMI bit, and CMOS RAM.
 */
#include <glib.h>

#include "devices/mc146818.h"
#include "machine/irq.h"
#include "machine/machine.h"

#define NS       1000000000ull
#define UPDATE   1984000ull /* update cycle, 32.768 kHz time base */
#define UIP_LEAD 244000ull

struct irq_rec {
    struct vclock *clk;
    int level;
    unsigned rises;
    uint64_t last_rise; /* vclock ns */
};

static void rec_set(void *opaque, unsigned n, int level)
{
    struct irq_rec *r = opaque;
    g_assert_cmpuint(n, ==, 8);
    if (level && !r->level) {
        r->rises++;
        r->last_rise = vclock_now(r->clk);
    }
    r->level = level;
}

struct fx {
    struct machine m;
    struct rtc *rtc;
    struct irq_rec irq;
};

static struct fx *fx_new(void)
{
    struct fx *f = g_new0(struct fx, 1);
    g_assert_cmpint(
        machine_init(&f->m, &(struct machine_config){.ram_mb = 1, .manual_clock = true}), ==, 0);
    f->irq.clk = &f->m.clock;
    struct irq_line line = {rec_set, &f->irq, 8};
    f->rtc = rtc_create(&f->m, &line);
    g_assert_nonnull(f->rtc);
    return f;
}

static void fx_free(struct fx *f)
{
    rtc_destroy(f->rtc);
    machine_destroy(&f->m);
    g_free(f);
}

static uint8_t rd(struct fx *f, uint8_t index)
{
    iobus_write(&f->m.io, RTC_PORT_INDEX, index, 1);
    return (uint8_t)iobus_read(&f->m.io, RTC_PORT_DATA, 1);
}

static void wr(struct fx *f, uint8_t index, uint8_t value)
{
    iobus_write(&f->m.io, RTC_PORT_INDEX, index, 1);
    iobus_write(&f->m.io, RTC_PORT_DATA, value, 1);
}

static uint64_t now(struct fx *f)
{
    return vclock_now(&f->m.clock);
}

/* Move virtual time to `t`. */
static void run_to(struct fx *f, uint64_t t)
{
    g_assert_cmpuint(t, >=, now(f));
    vclock_advance(&f->m.clock, t - now(f));
}

static uint64_t next_deadline(struct fx *f)
{
    return vclock_next_deadline(&f->m.clock);
}

static time_t utc(int y, int mo, int d, int h, int mi, int s)
{
    GDateTime *dt = g_date_time_new_utc(y, mo, d, h, mi, s);
    time_t t = (time_t)g_date_time_to_unix(dt);
    g_date_time_unref(dt);
    return t;
}

/* The clock bytes as "CC YY-MM-DD hh:mm:ss w", each byte in hex. */
static char *clock_str(struct fx *f)
{
    return g_strdup_printf("%02x %02x-%02x-%02x %02x:%02x:%02x %x", rd(f, 0x32), rd(f, 9), rd(f, 8),
                           rd(f, 7), rd(f, 4), rd(f, 2), rd(f, 0), rd(f, 6));
}

/* The same for a UTC time, in BCD 24-hour form, from GLib's calendar. */
static char *calendar_str(time_t t)
{
    GDateTime *dt = g_date_time_new_from_unix_utc((gint64)t);
    int y = g_date_time_get_year(dt);
    char *s = g_strdup_printf("%02d %02d-%02d-%02d %02d:%02d:%02d %d", y / 100, y % 100,
                              g_date_time_get_month(dt), g_date_time_get_day_of_month(dt),
                              g_date_time_get_hour(dt), g_date_time_get_minute(dt),
                              g_date_time_get_second(dt), g_date_time_get_day_of_week(dt) % 7 + 1);
    g_date_time_unref(dt);
    return s;
}

#define ASSERT_CLOCK(f, want)                                                                      \
    do {                                                                                           \
        char *got_ = clock_str(f);                                                                 \
        g_assert_cmpstr(got_, ==, want);                                                           \
        g_free(got_);                                                                              \
    } while (0)

static void test_power_on_registers(void)
{
    struct fx *f = fx_new();
    g_assert_cmphex(rd(f, 0x0a) & 0x7f, ==, 0x26); /* 32.768 kHz, 1024 Hz */
    g_assert_cmphex(rd(f, 0x0b), ==, 0x02);        /* BCD, 24-hour, nothing enabled */
    g_assert_cmphex(rd(f, 0x0c), ==, 0x00);
    g_assert_cmphex(rd(f, 0x0d), ==, 0x80); /* VRT */
    /* The date comes from the host clock (BCD, so every nibble is a digit). */
    g_assert_cmphex(rd(f, 0x32), ==, 0x20);
    uint8_t mon = rd(f, 8);
    g_assert_true(mon >= 0x01 && mon <= 0x12 && (mon & 0xf) <= 9);
    /* No interrupt enabled: no timer, ever. */
    g_assert_cmpuint(next_deadline(f), ==, VCLOCK_NEVER);
    vclock_advance(&f->m.clock, 10 * NS);
    g_assert_cmpuint(next_deadline(f), ==, VCLOCK_NEVER);
    fx_free(f);
}

static void test_bcd_binary_24h(void)
{
    struct fx *f = fx_new();
    time_t t = utc(2023, 7, 4, 15, 4, 5); /* a Tuesday */
    rtc_set_time(f->rtc, t);
    ASSERT_CLOCK(f, "20 23-07-04 15:04:05 3");

    wr(f, 0x0b, 0x06); /* binary, 24-hour: the bytes are not converted (datasheet) */
    ASSERT_CLOCK(f, "20 23-07-04 15:04:05 3");
    rtc_set_time(f->rtc, t);
    ASSERT_CLOCK(f, "14 17-07-04 0f:04:05 3");
    fx_free(f);
}

static void test_12_hour(void)
{
    struct fx *f = fx_new();
    wr(f, 0x0b, 0x00); /* BCD, 12-hour */
    rtc_set_time(f->rtc, utc(2023, 7, 4, 15, 4, 5));
    g_assert_cmphex(rd(f, 4), ==, 0x83); /* 3 PM */
    rtc_set_time(f->rtc, utc(2023, 7, 4, 0, 30, 0));
    g_assert_cmphex(rd(f, 4), ==, 0x12); /* 12 AM */
    rtc_set_time(f->rtc, utc(2023, 7, 4, 12, 0, 0));
    g_assert_cmphex(rd(f, 4), ==, 0x92); /* 12 PM */

    rtc_set_time(f->rtc, utc(2023, 7, 4, 11, 59, 59));
    g_assert_cmphex(rd(f, 4), ==, 0x11);
    vclock_advance(&f->m.clock, NS);
    ASSERT_CLOCK(f, "20 23-07-04 92:00:00 3");

    wr(f, 0x0b, 0x04); /* binary, 12-hour */
    rtc_set_time(f->rtc, utc(2023, 7, 4, 23, 59, 59));
    g_assert_cmphex(rd(f, 4), ==, 0x8b); /* 11 PM */
    vclock_advance(&f->m.clock, NS);
    ASSERT_CLOCK(f, "14 17-07-05 0c:00:00 4"); /* 12 AM the next day */
    rtc_set_time(f->rtc, utc(2023, 7, 4, 12, 0, 0));
    g_assert_cmphex(rd(f, 4), ==, 0x8c);
    fx_free(f);
}

static void test_second_and_minute(void)
{
    struct fx *f = fx_new();
    rtc_set_time(f->rtc, utc(2023, 7, 4, 10, 0, 58));
    vclock_advance(&f->m.clock, NS - 1);
    g_assert_cmphex(rd(f, 0), ==, 0x58);
    vclock_advance(&f->m.clock, 1);
    g_assert_cmphex(rd(f, 0), ==, 0x59);
    vclock_advance(&f->m.clock, NS);
    ASSERT_CLOCK(f, "20 23-07-04 10:01:00 3");
    vclock_advance(&f->m.clock, 3600 * NS);
    ASSERT_CLOCK(f, "20 23-07-04 11:01:00 3");
    fx_free(f);
}

static void test_day_month_year(void)
{
    struct fx *f = fx_new();
    rtc_set_time(f->rtc, utc(2023, 12, 31, 23, 59, 59));
    ASSERT_CLOCK(f, "20 23-12-31 23:59:59 1");
    vclock_advance(&f->m.clock, NS);
    ASSERT_CLOCK(f, "20 24-01-01 00:00:00 2");

    /* Leap year: Feb 29 exists in 2024, not in 2023. */
    rtc_set_time(f->rtc, utc(2024, 2, 28, 23, 59, 59));
    vclock_advance(&f->m.clock, NS);
    ASSERT_CLOCK(f, "20 24-02-29 00:00:00 5");
    vclock_advance(&f->m.clock, 86400 * NS);
    ASSERT_CLOCK(f, "20 24-03-01 00:00:00 6");
    rtc_set_time(f->rtc, utc(2023, 2, 28, 23, 59, 59));
    vclock_advance(&f->m.clock, NS);
    ASSERT_CLOCK(f, "20 23-03-01 00:00:00 4");

    /* 30-day month; century byte carries. */
    rtc_set_time(f->rtc, utc(2023, 4, 30, 23, 59, 59));
    vclock_advance(&f->m.clock, NS);
    ASSERT_CLOCK(f, "20 23-05-01 00:00:00 2");
    rtc_set_time(f->rtc, utc(2099, 12, 31, 23, 59, 59));
    vclock_advance(&f->m.clock, NS);
    ASSERT_CLOCK(f, "21 00-01-01 00:00:00 6");

    /* Binary mode carries the same way. */
    wr(f, 0x0b, 0x06);
    rtc_set_time(f->rtc, utc(2024, 2, 28, 23, 59, 59));
    vclock_advance(&f->m.clock, NS);
    ASSERT_CLOCK(f, "14 18-02-1d 00:00:00 5");
    fx_free(f);
}

/* Long stretches nobody reads are caught up at once and agree with the calendar. */
static void test_long_advance_matches_calendar(void)
{
    static const struct {
        int y, mo, d, h, mi, s;
        uint64_t secs;
    } cases[] = {
        {2023, 7, 4, 15, 4, 5, 3},
        {2023, 7, 4, 15, 4, 5, 400 * 86400 + 12345},
        {2001, 1, 1, 0, 0, 0, 10 * 365 * 86400 + 777},
        {2019, 3, 1, 12, 0, 0, 1461 * 86400 * 3 + 86399},
        {2096, 2, 29, 23, 59, 59, 86400 * 700},
        {1999, 12, 31, 23, 59, 59, 1},
    };
    struct fx *f = fx_new();
    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        time_t t = utc(cases[i].y, cases[i].mo, cases[i].d, cases[i].h, cases[i].mi, cases[i].s);
        rtc_set_time(f->rtc, t);
        vclock_advance(&f->m.clock, cases[i].secs * NS + NS / 2);
        char *want = calendar_str(t + (time_t)cases[i].secs);
        ASSERT_CLOCK(f, want);
        g_free(want);
    }
    fx_free(f);
}

static void test_uip_timing(void)
{
    struct fx *f = fx_new();
    rtc_set_time(f->rtc, utc(2023, 7, 4, 10, 0, 0)); /* next update ends at 1 s */
    g_assert_cmphex(rd(f, 0x0a), ==, 0x26);
    /* UIP rises 244 us before the update cycle, which takes 1984 us. */
    run_to(f, NS - UPDATE - UIP_LEAD - 1);
    g_assert_cmphex(rd(f, 0x0a), ==, 0x26);
    run_to(f, NS - UPDATE - UIP_LEAD);
    g_assert_cmphex(rd(f, 0x0a), ==, 0xa6);
    run_to(f, NS - 1);
    g_assert_cmphex(rd(f, 0x0a), ==, 0xa6);
    g_assert_cmphex(rd(f, 0), ==, 0x00);
    run_to(f, NS);
    g_assert_cmphex(rd(f, 0x0a), ==, 0x26);
    g_assert_cmphex(rd(f, 0), ==, 0x01);
    /* And again one second later. */
    run_to(f, 2 * NS - UPDATE - UIP_LEAD - 1);
    g_assert_cmphex(rd(f, 0x0a), ==, 0x26);
    run_to(f, 2 * NS - UPDATE - UIP_LEAD);
    g_assert_cmphex(rd(f, 0x0a), ==, 0xa6);
    /* Writing UIP does nothing. */
    wr(f, 0x0a, 0xa6);
    run_to(f, 2 * NS + 1000);
    g_assert_cmphex(rd(f, 0x0a), ==, 0x26);
    fx_free(f);
}

static void test_set_halts_and_restarts(void)
{
    struct fx *f = fx_new();
    wr(f, 0x0a, 0x20); /* no periodic rate: register C shows only UF/AF */
    rtc_set_time(f->rtc, utc(2023, 7, 4, 12, 0, 0));
    wr(f, 0x0b, 0x92); /* SET going high clears UIE */
    g_assert_cmphex(rd(f, 0x0b), ==, 0x82);
    wr(f, 0x00, 0x30);
    wr(f, 0x02, 0x45);
    wr(f, 0x04, 0x13);
    run_to(f, NS - UPDATE); /* inside what would be an update cycle: no UIP while SET */
    g_assert_cmphex(rd(f, 0x0a), ==, 0x20);
    run_to(f, 5 * NS + NS / 2);
    ASSERT_CLOCK(f, "20 23-07-04 13:45:30 3");
    g_assert_cmphex(rd(f, 0x0c), ==, 0x00); /* no update, no UF */

    wr(f, 0x0b, 0x02); /* clear SET: the chain kept its phase */
    run_to(f, 6 * NS - 1);
    ASSERT_CLOCK(f, "20 23-07-04 13:45:30 3");
    run_to(f, 6 * NS);
    ASSERT_CLOCK(f, "20 23-07-04 13:45:31 3");
    g_assert_cmphex(rd(f, 0x0c), ==, 0x10);
    fx_free(f);
}

static void test_write_while_running(void)
{
    struct fx *f = fx_new();
    rtc_set_time(f->rtc, utc(2023, 7, 4, 12, 0, 0));
    run_to(f, NS / 2);
    wr(f, 0x02, 0x30);
    ASSERT_CLOCK(f, "20 23-07-04 12:30:00 3");
    run_to(f, NS);
    ASSERT_CLOCK(f, "20 23-07-04 12:30:01 3");
    run_to(f, NS + NS / 2);
    wr(f, 0x00, 0x59);
    run_to(f, 2 * NS);
    ASSERT_CLOCK(f, "20 23-07-04 12:31:00 3");
    fx_free(f);
}

/* ceil(i * period) for a period of `ticks` 32.768 kHz ticks. */
static uint64_t tick_ns(uint64_t i, unsigned ticks)
{
    return (i * ticks * NS + 32767) / 32768;
}

static void test_periodic_1024hz(void)
{
    struct fx *f = fx_new();
    rtc_set_time(f->rtc, utc(2023, 7, 4, 12, 0, 0));
    /* PF is set without PIE, but no timer runs for it. */
    vclock_advance(&f->m.clock, NS / 1000);
    g_assert_cmphex(rd(f, 0x0c), ==, 0x40);
    g_assert_cmpuint(next_deadline(f), ==, VCLOCK_NEVER);
    g_assert_cmpint(f->irq.level, ==, 0);

    /* Releasing the divider from reset puts the chain at a known phase. */
    wr(f, 0x0a, 0x66);
    vclock_advance(&f->m.clock, 12345);
    uint64_t t0 = now(f);
    wr(f, 0x0a, 0x26);
    wr(f, 0x0b, 0x42); /* PIE */
    for (uint64_t i = 1; i <= 2048; i++) {
        uint64_t due = t0 + tick_ns(i, 32); /* 976.5625 us apart */
        g_assert_cmpuint(next_deadline(f), ==, due);
        run_to(f, due - 1);
        g_assert_cmpint(f->irq.level, ==, 0);
        run_to(f, due);
        g_assert_cmpint(f->irq.level, ==, 1);
        g_assert_cmpuint(f->irq.last_rise, ==, due);
        /* Until register C is read, nothing more to time. */
        g_assert_cmpuint(next_deadline(f), ==, VCLOCK_NEVER);
        g_assert_cmphex(rd(f, 0x0c) & ~0x10, ==, 0xc0); /* IRQF|PF (UF once a second) */
        g_assert_cmpint(f->irq.level, ==, 0);
        g_assert_cmphex(rd(f, 0x0c) & 0xc0, ==, 0x00);
    }
    g_assert_cmpuint(now(f), ==, t0 + 2 * NS);
    g_assert_cmpuint(f->irq.rises, ==, 2048);

    /* An unacknowledged interrupt stays one interrupt. */
    vclock_advance(&f->m.clock, 10 * NS / 1000);
    g_assert_cmpuint(f->irq.rises, ==, 2049);
    g_assert_cmpint(f->irq.level, ==, 1);
    /* Clearing PIE drops IRQF. */
    wr(f, 0x0b, 0x02);
    g_assert_cmpint(f->irq.level, ==, 0);
    g_assert_cmphex(rd(f, 0x0c) & 0xc0, ==, 0x40);
    fx_free(f);
}

/*
 * Timers run between CPU slices: a periodic, update or alarm interrupt that
 * came due before its timer ran still reaches the line when the guest
 * reprograms the chip first (turning the interrupt off, changing the rate).
 */
static void test_late_timer_reprogrammed(void)
{
    static const struct {
        uint8_t b_on, index, value;
    } cases[] = {
        {0x42, 0x0b, 0x02}, /* PIE, then PIE off */
        {0x42, 0x0a, 0x2f}, /* PIE, then another rate */
        {0x12, 0x0b, 0x02}, /* UIE, then UIE off */
        {0x22, 0x0b, 0x02}, /* AIE (any time), then AIE off */
    };
    for (unsigned i = 0; i < G_N_ELEMENTS(cases); i++) {
        struct fx *f = fx_new();
        rtc_set_time(f->rtc, utc(2023, 7, 4, 12, 0, 0));
        wr(f, 0x0a, 0x26);
        wr(f, 0x01, 0xc0); /* alarm: any second, minute, hour */
        wr(f, 0x03, 0xc0);
        wr(f, 0x05, 0xc0);
        rd(f, 0x0c);
        wr(f, 0x0b, cases[i].b_on);
        uint64_t due = next_deadline(f);
        g_assert_cmpuint(due, !=, VCLOCK_NEVER);
        f->m.clock.manual_ns = due + 1000; /* past the deadline; the timer has not run */
        g_assert_cmpuint(f->irq.rises, ==, 0);
        wr(f, cases[i].index, cases[i].value);
        g_assert_cmpuint(f->irq.rises, ==, 1);
        fx_free(f);
    }
}

static void test_periodic_rate_table(void)
{
    /* Datasheet Table 5, 32.768 kHz column: interrupts per second by RS3-0. */
    static const unsigned hz[16] = {0,   256, 128, 8192, 4096, 2048, 1024, 512,
                                    256, 128, 64,  32,   16,   8,    4,    2};
    struct fx *f = fx_new();
    rtc_set_time(f->rtc, utc(2023, 7, 4, 12, 0, 0));
    wr(f, 0x0b, 0x42);
    for (unsigned rs = 0; rs < 16; rs++) {
        wr(f, 0x0a, 0x60 | rs);
        vclock_advance(&f->m.clock, 1000);
        uint64_t t0 = now(f);
        wr(f, 0x0a, 0x20 | rs);
        unsigned n = 0;
        while (next_deadline(f) <= t0 + NS) {
            run_to(f, next_deadline(f));
            g_assert_cmpint(f->irq.level, ==, 1);
            rd(f, 0x0c);
            n++;
            if (hz[rs])
                g_assert_cmpuint(now(f), ==, t0 + tick_ns(n, 32768 / hz[rs]));
        }
        g_assert_cmpuint(n, ==, hz[rs]);
        run_to(f, t0 + NS);
    }
    fx_free(f);
}

static void test_alarm(void)
{
    struct fx *f = fx_new();
    wr(f, 0x0a, 0x20); /* no periodic rate: register C shows only UF/AF */
    rtc_set_time(f->rtc, utc(2023, 7, 4, 12, 0, 0));
    wr(f, 0x05, 0xc0); /* any hour */
    wr(f, 0x03, 0x00);
    wr(f, 0x01, 0x05);
    wr(f, 0x0b, 0x22); /* AIE */
    g_assert_cmpuint(next_deadline(f), ==, 5 * NS);
    run_to(f, 5 * NS - 1);
    g_assert_cmpint(f->irq.level, ==, 0);
    run_to(f, 5 * NS);
    g_assert_cmpint(f->irq.level, ==, 1);
    g_assert_cmphex(rd(f, 0x0c), ==, 0xb0); /* IRQF|AF|UF */
    g_assert_cmpint(f->irq.level, ==, 0);
    /* Next at 13:00:05, and nothing before. */
    g_assert_cmpuint(next_deadline(f), ==, 3605 * NS);
    run_to(f, 3605 * NS - 1);
    g_assert_cmpuint(f->irq.rises, ==, 1);
    run_to(f, 3605 * NS);
    g_assert_cmpuint(f->irq.rises, ==, 2);
    ASSERT_CLOCK(f, "20 23-07-04 13:00:05 3");
    g_assert_cmphex(rd(f, 0x0c), ==, 0xb0);

    /* All three don't care: every second. */
    wr(f, 0x01, 0xff);
    wr(f, 0x03, 0xc5);
    wr(f, 0x05, 0xd0);
    for (unsigned i = 1; i <= 3; i++) {
        run_to(f, (3605 + i) * NS);
        g_assert_cmpuint(f->irq.rises, ==, 2 + i);
        g_assert_cmphex(rd(f, 0x0c), ==, 0xb0);
    }

    /* A value the clock never holds never matches (BCD 60, a BCD digit above 9). */
    wr(f, 0x01, 0x60);
    g_assert_cmpuint(next_deadline(f), ==, VCLOCK_NEVER);
    wr(f, 0x01, 0x1a);
    g_assert_cmpuint(next_deadline(f), ==, VCLOCK_NEVER);
    run_to(f, 3700 * NS);
    g_assert_cmphex(rd(f, 0x0c), ==, 0x10);

    /* AF without AIE: polled, no interrupt. */
    wr(f, 0x0b, 0x02);
    wr(f, 0x01, 0x10);
    wr(f, 0x03, 0xc0);
    wr(f, 0x05, 0xc0);
    run_to(f, 3700 * NS + 5 * NS); /* 13:01:45 */
    g_assert_cmphex(rd(f, 0x0c), ==, 0x10);
    run_to(f, 3700 * NS + 25 * NS); /* 13:02:05: 13:02:10 is ahead */
    g_assert_cmphex(rd(f, 0x0c), ==, 0x10);
    run_to(f, 3700 * NS + 30 * NS);
    g_assert_cmphex(rd(f, 0x0c), ==, 0x30);
    /* ...and enabling AIE with AF pending interrupts at once. */
    run_to(f, 3700 * NS + 90 * NS);
    g_assert_cmpint(f->irq.level, ==, 0);
    wr(f, 0x0b, 0x22);
    g_assert_cmpint(f->irq.level, ==, 1);
    fx_free(f);
}

static void test_alarm_12_hour(void)
{
    struct fx *f = fx_new();
    wr(f, 0x0b, 0x20); /* AIE, BCD, 12-hour */
    rtc_set_time(f->rtc, utc(2023, 7, 4, 13, 59, 58));
    wr(f, 0x05, 0x82); /* 2 PM */
    wr(f, 0x03, 0x00);
    wr(f, 0x01, 0x00);
    g_assert_cmpuint(next_deadline(f), ==, 2 * NS);
    wr(f, 0x05, 0x02); /* 2 AM: tomorrow */
    g_assert_cmpuint(next_deadline(f), ==, (2 + 12 * 3600) * NS);
    run_to(f, (2 + 12 * 3600) * NS);
    g_assert_cmpint(f->irq.level, ==, 1);
    ASSERT_CLOCK(f, "20 23-07-05 02:00:00 4");
    fx_free(f);
}

static void test_update_ended(void)
{
    struct fx *f = fx_new();
    wr(f, 0x0a, 0x20); /* no periodic rate: register C shows only UF/AF */
    rtc_set_time(f->rtc, utc(2023, 7, 4, 12, 0, 0));
    wr(f, 0x0b, 0x12); /* UIE */
    for (unsigned k = 1; k <= 5; k++) {
        g_assert_cmpuint(next_deadline(f), ==, k * NS);
        run_to(f, k * NS - 1);
        g_assert_cmpint(f->irq.level, ==, 0);
        run_to(f, k * NS);
        g_assert_cmpint(f->irq.level, ==, 1);
        g_assert_cmphex(rd(f, 0), ==, k);       /* the new time is there with UF */
        g_assert_cmphex(rd(f, 0x0c), ==, 0x90); /* IRQF|UF */
        g_assert_cmpint(f->irq.level, ==, 0);
    }
    g_assert_cmpuint(f->irq.rises, ==, 5);
    wr(f, 0x0b, 0x02);
    g_assert_cmpuint(next_deadline(f), ==, VCLOCK_NEVER);
    /* UF pending when UIE is set interrupts at once. */
    run_to(f, 6 * NS);
    wr(f, 0x0b, 0x12);
    g_assert_cmpint(f->irq.level, ==, 1);
    g_assert_cmpuint(f->irq.rises, ==, 6);
    fx_free(f);
}

static void test_index_and_nmi(void)
{
    struct fx *f = fx_new();
    g_assert_false(rtc_nmi_disabled(f->rtc));
    iobus_write(&f->m.io, RTC_PORT_INDEX, 0x8f, 1);
    g_assert_true(rtc_nmi_disabled(f->rtc));
    iobus_write(&f->m.io, RTC_PORT_DATA, 0x5a, 1);
    g_assert_cmphex(rd(f, 0x0f), ==, 0x5a); /* 0x8F and 0x0F are one byte */
    g_assert_false(rtc_nmi_disabled(f->rtc));
    wr(f, 0xff, 0xa5); /* 0x7F */
    g_assert_true(rtc_nmi_disabled(f->rtc));
    g_assert_cmphex(rd(f, 0x7f), ==, 0xa5);
    g_assert_cmphex(rd(f, 0x4f), ==, 0x00);
    g_assert_cmphex(iobus_read(&f->m.io, RTC_PORT_INDEX, 1), ==, 0xff); /* write-only */

    /* A 16-bit OUT to 0x70 sets the index and writes the data byte. */
    iobus_write(&f->m.io, RTC_PORT_INDEX, 0x3c40, 2);
    g_assert_cmphex(rd(f, 0x40), ==, 0x3c);

    /* Board access, masked the same way; registers C and D are read-only. */
    rtc_cmos_set(f->rtc, 0x90, 0x77);
    g_assert_cmphex(rd(f, 0x10), ==, 0x77);
    g_assert_cmphex(rtc_cmos_get(f->rtc, 0x10), ==, 0x77);
    wr(f, 0x0d, 0x00);
    g_assert_cmphex(rd(f, 0x0d), ==, 0x80);
    wr(f, 0x0c, 0xf0);
    g_assert_cmphex(rd(f, 0x0c), ==, 0x00);
    /* rtc_cmos_get peeks at register C without clearing it. */
    rtc_set_time(f->rtc, utc(2023, 7, 4, 12, 0, 0));
    vclock_advance(&f->m.clock, NS);
    g_assert_cmphex(rtc_cmos_get(f->rtc, 0x0c), ==, 0x50);
    g_assert_cmphex(rtc_cmos_get(f->rtc, 0x0c), ==, 0x50);
    g_assert_cmphex(rd(f, 0x0c), ==, 0x50);
    g_assert_cmphex(rd(f, 0x0c), ==, 0x00);
    fx_free(f);
}

static void test_divider(void)
{
    struct fx *f = fx_new();
    rtc_set_time(f->rtc, utc(2023, 7, 4, 12, 0, 0));
    wr(f, 0x0b, 0x52); /* PIE, UIE */
    wr(f, 0x0a, 0x66); /* divider reset: no updates, no UIP, no periodic */
    g_assert_cmpuint(next_deadline(f), ==, VCLOCK_NEVER);
    for (unsigned i = 0; i < 20; i++) {
        vclock_advance(&f->m.clock, NS / 4);
        g_assert_cmphex(rd(f, 0x0a), ==, 0x66);
    }
    ASSERT_CLOCK(f, "20 23-07-04 12:00:00 3");
    g_assert_cmphex(rd(f, 0x0c), ==, 0x00);
    g_assert_cmpuint(f->irq.rises, ==, 0);

    /* Leaving reset: the first update cycle begins half a second later. */
    wr(f, 0x0b, 0x02);
    uint64_t t0 = now(f);
    wr(f, 0x0a, 0x26);
    run_to(f, t0 + NS / 2 + UPDATE - 1);
    g_assert_cmphex(rd(f, 0x0a), ==, 0xa6);
    g_assert_cmphex(rd(f, 0), ==, 0x00);
    run_to(f, t0 + NS / 2 + UPDATE);
    g_assert_cmphex(rd(f, 0x0a), ==, 0x26);
    g_assert_cmphex(rd(f, 0), ==, 0x01);

    /* Oscillator-off patterns stop the chain where it stands; 010 resumes it. */
    run_to(f, t0 + NS / 2 + UPDATE + 300000000);
    wr(f, 0x0a, 0x06);
    vclock_advance(&f->m.clock, 10 * NS);
    g_assert_cmphex(rd(f, 0), ==, 0x01);
    uint64_t t1 = now(f);
    wr(f, 0x0a, 0x26);
    run_to(f, t1 + 700000000 - 1);
    g_assert_cmphex(rd(f, 0), ==, 0x01);
    run_to(f, t1 + 700000000);
    g_assert_cmphex(rd(f, 0), ==, 0x02);
    fx_free(f);
}

static void test_reset(void)
{
    struct fx *f = fx_new();
    rtc_set_time(f->rtc, utc(2023, 7, 4, 12, 0, 0));
    wr(f, 0x40, 0x12);
    wr(f, 0x0a, 0x25);
    wr(f, 0x0b, 0x7b); /* PIE AIE UIE SQWE 24H DSE */
    vclock_advance(&f->m.clock, NS);
    g_assert_cmpint(f->irq.level, ==, 1);
    rtc_reset(f->rtc);
    g_assert_cmpint(f->irq.level, ==, 0);
    g_assert_cmphex(rd(f, 0x0b), ==, 0x03);
    g_assert_cmphex(rd(f, 0x0c), ==, 0x00);
    g_assert_cmphex(rd(f, 0x0a) & 0x7f, ==, 0x25);
    g_assert_cmphex(rd(f, 0x40), ==, 0x12);
    g_assert_cmpuint(next_deadline(f), ==, VCLOCK_NEVER);
    /* The clock is back on the host's time of day (this century). */
    g_assert_cmphex(rd(f, 0x32), ==, 0x20);
    g_assert_cmphex(rd(f, 9), >=, 0x24);
    fx_free(f);
}

static void test_daylight_saving(void)
{
    struct fx *f = fx_new();
    wr(f, 0x0b, 0x03); /* DSE */
    /* Last Sunday in April: 1:59:59 AM -> 3:00:00 AM. */
    rtc_set_time(f->rtc, utc(2023, 4, 30, 1, 59, 58));
    vclock_advance(&f->m.clock, NS);
    ASSERT_CLOCK(f, "20 23-04-30 01:59:59 1");
    vclock_advance(&f->m.clock, NS);
    ASSERT_CLOCK(f, "20 23-04-30 03:00:00 1");
    /* Not on another Sunday. */
    rtc_set_time(f->rtc, utc(2023, 4, 23, 1, 59, 59));
    vclock_advance(&f->m.clock, NS);
    ASSERT_CLOCK(f, "20 23-04-23 02:00:00 1");
    /* Last Sunday in October: the first 1:59:59 AM goes back to 1:00:00, once. */
    rtc_set_time(f->rtc, utc(2023, 10, 29, 1, 59, 59));
    vclock_advance(&f->m.clock, NS);
    ASSERT_CLOCK(f, "20 23-10-29 01:00:00 1");
    vclock_advance(&f->m.clock, 3600 * NS);
    ASSERT_CLOCK(f, "20 23-10-29 02:00:00 1");
    /* Caught up in one go: a whole year nets out; June to December loses an hour. */
    rtc_set_time(f->rtc, utc(2023, 1, 1, 0, 0, 0));
    vclock_advance(&f->m.clock, 365 * 86400 * NS);
    ASSERT_CLOCK(f, "20 24-01-01 00:00:00 2");
    rtc_set_time(f->rtc, utc(2023, 6, 1, 0, 0, 0));
    vclock_advance(&f->m.clock, 183 * 86400 * NS);
    ASSERT_CLOCK(f, "20 23-11-30 23:00:00 5");
    /* Two years in one go: October repeats its hour once each year. */
    rtc_set_time(f->rtc, utc(2023, 1, 1, 0, 0, 0));
    vclock_advance(&f->m.clock, 731 * 86400 * NS);
    ASSERT_CLOCK(f, "20 25-01-01 00:00:00 4");
    /* An alarm just after the skipped hour comes on time: :51..:59, 3:00:00, 3:00:01. */
    rtc_set_time(f->rtc, utc(2023, 4, 30, 1, 59, 50));
    wr(f, 0x05, 0x03);
    wr(f, 0x03, 0x00);
    wr(f, 0x01, 0x01);
    rd(f, 0x0c);       /* the midnight alarms (0:00:00) of the months above */
    wr(f, 0x0b, 0x23); /* AIE DSE */
    uint64_t t0 = now(f);
    g_assert_cmpuint(next_deadline(f), ==, t0 + 11 * NS);
    run_to(f, t0 + 11 * NS - 1);
    g_assert_cmpint(f->irq.level, ==, 0);
    run_to(f, t0 + 11 * NS);
    g_assert_cmpint(f->irq.level, ==, 1);
    ASSERT_CLOCK(f, "20 23-04-30 03:00:01 1");
    fx_free(f);
}

/* Whatever a guest writes, the device stays in bounds and keeps running. */
static void test_hostile_writes(void)
{
    struct fx *f = fx_new();
    GRand *rand = g_rand_new_with_seed(146818);
    for (unsigned i = 0; i < 20000; i++) {
        uint8_t index = (uint8_t)g_rand_int_range(rand, 0, 256);
        if (g_rand_boolean(rand))
            wr(f, index, (uint8_t)g_rand_int(rand));
        else
            rd(f, index);
        if (i % 16 == 0)
            vclock_advance(&f->m.clock, (uint64_t)g_rand_int_range(rand, 0, 1 << 30) *
                                            (g_rand_int_range(rand, 0, 8) == 0 ? 100000 : 1));
    }
    g_rand_free(rand);
    /* A sane configuration afterwards works as usual. */
    wr(f, 0x0a, 0x26);
    wr(f, 0x0b, 0x02);
    rd(f, 0x0c);
    rtc_set_time(f->rtc, utc(2023, 7, 4, 12, 0, 0));
    vclock_advance(&f->m.clock, NS);
    ASSERT_CLOCK(f, "20 23-07-04 12:00:01 3");
    fx_free(f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/mc146818/power-on-registers", test_power_on_registers);
    g_test_add_func("/mc146818/bcd-binary-24h", test_bcd_binary_24h);
    g_test_add_func("/mc146818/12-hour", test_12_hour);
    g_test_add_func("/mc146818/second-and-minute", test_second_and_minute);
    g_test_add_func("/mc146818/day-month-year", test_day_month_year);
    g_test_add_func("/mc146818/long-advance-matches-calendar", test_long_advance_matches_calendar);
    g_test_add_func("/mc146818/uip-timing", test_uip_timing);
    g_test_add_func("/mc146818/set-halts-and-restarts", test_set_halts_and_restarts);
    g_test_add_func("/mc146818/write-while-running", test_write_while_running);
    g_test_add_func("/mc146818/periodic-1024hz", test_periodic_1024hz);
    g_test_add_func("/mc146818/periodic-rate-table", test_periodic_rate_table);
    g_test_add_func("/mc146818/late-timer-reprogrammed", test_late_timer_reprogrammed);
    g_test_add_func("/mc146818/alarm", test_alarm);
    g_test_add_func("/mc146818/alarm-12-hour", test_alarm_12_hour);
    g_test_add_func("/mc146818/update-ended", test_update_ended);
    g_test_add_func("/mc146818/index-and-nmi", test_index_and_nmi);
    g_test_add_func("/mc146818/divider", test_divider);
    g_test_add_func("/mc146818/reset", test_reset);
    g_test_add_func("/mc146818/daylight-saving", test_daylight_saving);
    g_test_add_func("/mc146818/hostile-writes", test_hostile_writes);
    return g_test_run();
}
