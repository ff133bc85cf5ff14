/*
 * The 82C54 timer against the datasheet's waveforms, in virtual time: OUT
 * and the counter value of every mode at chosen CLK pulses, gate effects,
 * BCD, the latch and read-back commands, the access modes, and the IRQ 0
 * edges counter 0 produces.
 *
 * Time is counted in CLK pulses: pulse k happens at ceil(k * 1e9 / HZ) ns.
 * A count written between pulses t and t + 1 is loaded by pulse t + 1.
 */
#include <glib.h>

#include "devices/i8254.h"
#include "machine/machine.h"
#include "tests/lib/port_io.h"

#define NRISES 128

struct irq_rec {
    struct vclock *clk;
    int level;
    unsigned sets;            /* every call */
    unsigned rises;           /* low -> high transitions */
    uint64_t rise_ns[NRISES]; /* when */
};

struct fixture {
    struct machine m;
    struct pit *pit;
    struct irq_rec irq;
};

static void rec_set(void *opaque, unsigned n, int level)
{
    struct irq_rec *r = opaque;
    r->sets++;
    if (level && !r->level) {
        if (r->rises < NRISES)
            r->rise_ns[r->rises] = vclock_now(r->clk);
        r->rises++;
    }
    r->level = level;
}

/* The CLK pulses by `ns` virtual ns. */
static int64_t pit_tick_at(uint64_t ns)
{
    return (int64_t)((unsigned __int128)ns * PIT_HZ / 1000000000u);
}

static uint64_t ns_at(int64_t tick)
{
    return ((uint64_t)tick * 1000000000u + PIT_HZ - 1) / PIT_HZ;
}

static void setup(struct fixture *f)
{
    g_assert_cmpint(
        machine_init(&f->m, &(struct machine_config){.ram_mb = 1, .manual_clock = true}), ==, 0);
    f->irq = (struct irq_rec){.clk = &f->m.clock};
    struct irq_line line = {.set = rec_set, .opaque = &f->irq, .n = 0};
    f->pit = pit_create(&f->m, &line);
    g_assert_nonnull(f->pit);
}

static void teardown(struct fixture *f)
{
    pit_destroy(f->pit);
    machine_destroy(&f->m);
}

/* Move virtual time to just when pulse `tick` happens. */
static void goto_tick(struct fixture *f, int64_t tick)
{
    uint64_t now = vclock_now(&f->m.clock), target = ns_at(tick);
    g_assert_cmpuint(target, >=, now);
    vclock_advance(&f->m.clock, target - now);
}

/* Control word: LSB then MSB access unless told. */
static void program(struct fixture *f, unsigned ch, unsigned mode, bool bcd)
{
    out8(&f->m, 0x43, (uint8_t)(ch << 6 | 3 << 4 | mode << 1 | bcd));
}

static void load(struct fixture *f, unsigned ch, uint16_t count)
{
    out8(&f->m, 0x40 + ch, count & 0xff);
    out8(&f->m, 0x40 + ch, count >> 8);
}

/* Counter latch command, then both bytes. */
static uint16_t latched(struct fixture *f, unsigned ch)
{
    out8(&f->m, 0x43, (uint8_t)(ch << 6));
    return in8_lohi(&f->m, (uint16_t)(0x40 + ch));
}

static int out_at(struct fixture *f, unsigned ch, int64_t tick)
{
    goto_tick(f, tick);
    return pit_get_out(f->pit, ch);
}

static void test_mode0(void)
{
    struct fixture f;
    setup(&f);
    program(&f, 0, 0, false);
    g_assert_cmpint(pit_get_out(f.pit, 0), ==, 0);
    load(&f, 0, 100);
    goto_tick(&f, 1);
    g_assert_cmphex(latched(&f, 0), ==, 100);
    goto_tick(&f, 50);
    g_assert_cmphex(latched(&f, 0), ==, 51);
    goto_tick(&f, 100);
    g_assert_cmphex(latched(&f, 0), ==, 1);
    g_assert_cmpint(pit_get_out(f.pit, 0), ==, 0);
    g_assert_cmpuint(f.irq.rises, ==, 0);
    goto_tick(&f, 101); /* N + 1 pulses after the count was written */
    g_assert_cmpint(pit_get_out(f.pit, 0), ==, 1);
    g_assert_cmphex(latched(&f, 0), ==, 0);
    g_assert_cmpuint(f.irq.rises, ==, 1);
    g_assert_cmpuint(f.irq.rise_ns[0], ==, ns_at(101));
    goto_tick(&f, 102); /* counting goes on through zero; OUT stays high */
    g_assert_cmphex(latched(&f, 0), ==, 0xffff);
    g_assert_cmpint(out_at(&f, 0, 5000), ==, 1);
    g_assert_cmpuint(f.irq.rises, ==, 1);

    /* A new count: its first byte stops counting and sets OUT low at once. */
    goto_tick(&f, 6000);
    out8(&f.m, 0x40, 10);
    g_assert_cmpint(pit_get_out(f.pit, 0), ==, 0);
    g_assert_cmpuint(f.irq.level, ==, 0);
    uint16_t held = latched(&f, 0);
    g_assert_cmphex(held, ==, (100 - 5999) & 0xffff);
    goto_tick(&f, 6005);
    g_assert_cmphex(latched(&f, 0), ==, held);
    out8(&f.m, 0x40, 0); /* MSB: count 10, loaded by pulse 6006 */
    g_assert_cmpint(out_at(&f, 0, 6015), ==, 0);
    g_assert_cmpint(out_at(&f, 0, 6016), ==, 1);
    g_assert_cmpuint(f.irq.rises, ==, 2);
    g_assert_cmpuint(f.irq.rise_ns[1], ==, ns_at(6016));
    teardown(&f);
}

/* Mode 0 on counter 2: a low gate holds the count; OUT is unaffected. */
static void test_mode0_gate(void)
{
    struct fixture f;
    setup(&f);
    program(&f, 2, 0, false); /* gate 2 starts low */
    load(&f, 2, 20);
    goto_tick(&f, 10);
    g_assert_cmphex(latched(&f, 2), ==, 20); /* loaded, not counting */
    pit_set_gate(f.pit, 2, 1);
    goto_tick(&f, 11);
    g_assert_cmphex(latched(&f, 2), ==, 19);
    goto_tick(&f, 15);
    pit_set_gate(f.pit, 2, 0);
    g_assert_cmphex(latched(&f, 2), ==, 15);
    goto_tick(&f, 30);
    g_assert_cmphex(latched(&f, 2), ==, 15);
    g_assert_cmpint(pit_get_out(f.pit, 2), ==, 0);
    pit_set_gate(f.pit, 2, 1);
    goto_tick(&f, 31);
    g_assert_cmphex(latched(&f, 2), ==, 14);
    g_assert_cmpint(out_at(&f, 2, 44), ==, 0);
    g_assert_cmpint(out_at(&f, 2, 45), ==, 1);
    g_assert_cmpuint(f.irq.rises, ==, 0); /* only counter 0 drives IRQ 0 */
    teardown(&f);
}

/* Mode 1 on counter 2: a gate rising edge fires (and re-fires) an N-pulse low. */
static void test_mode1(void)
{
    struct fixture f;
    setup(&f);
    program(&f, 2, 1, false);
    g_assert_cmpint(pit_get_out(f.pit, 2), ==, 1);
    load(&f, 2, 5);
    g_assert_cmpint(out_at(&f, 2, 10), ==, 1); /* no trigger yet */
    pit_set_gate(f.pit, 2, 1);
    g_assert_cmpint(pit_get_out(f.pit, 2), ==, 1); /* low from the next pulse */
    g_assert_cmpint(out_at(&f, 2, 11), ==, 0);
    g_assert_cmphex(latched(&f, 2), ==, 5);
    g_assert_cmpint(out_at(&f, 2, 15), ==, 0);
    g_assert_cmphex(latched(&f, 2), ==, 1);
    g_assert_cmpint(out_at(&f, 2, 16), ==, 1);
    g_assert_cmphex(latched(&f, 2), ==, 0);
    /* A retrigger during the pulse restarts the count: the pulse stretches. */
    goto_tick(&f, 20);
    pit_set_gate(f.pit, 2, 0);
    pit_set_gate(f.pit, 2, 1);
    goto_tick(&f, 23);
    pit_set_gate(f.pit, 2, 0);
    pit_set_gate(f.pit, 2, 1);
    g_assert_cmpint(out_at(&f, 2, 24), ==, 0);
    g_assert_cmpint(out_at(&f, 2, 28), ==, 0);
    g_assert_cmpint(out_at(&f, 2, 29), ==, 1);
    /* The gate's level does not stop the count; a new count waits for a trigger. */
    goto_tick(&f, 40);
    pit_set_gate(f.pit, 2, 0);
    pit_set_gate(f.pit, 2, 1);
    goto_tick(&f, 42);
    pit_set_gate(f.pit, 2, 0);
    load(&f, 2, 3);
    g_assert_cmpint(out_at(&f, 2, 45), ==, 0);
    g_assert_cmpint(out_at(&f, 2, 46), ==, 1);
    pit_set_gate(f.pit, 2, 1);
    g_assert_cmpint(out_at(&f, 2, 49), ==, 0);
    g_assert_cmpint(out_at(&f, 2, 50), ==, 1);
    teardown(&f);
}

static void test_mode2_irq(void)
{
    struct fixture f;
    setup(&f);
    program(&f, 0, 2, false);
    /* Mode set raises OUT (it was low, unprogrammed mode 0 after reset). */
    g_assert_cmpuint(f.irq.rises, ==, 1);
    g_assert_cmpuint(f.irq.rise_ns[0], ==, 0);
    load(&f, 0, 10);
    goto_tick(&f, 1);
    g_assert_cmphex(latched(&f, 0), ==, 10);
    g_assert_cmpint(pit_get_out(f.pit, 0), ==, 1);
    g_assert_cmpint(out_at(&f, 0, 9), ==, 1);
    g_assert_cmphex(latched(&f, 0), ==, 2);
    g_assert_cmpint(out_at(&f, 0, 10), ==, 0); /* one pulse low at count 1 */
    g_assert_cmphex(latched(&f, 0), ==, 1);
    g_assert_cmpint(out_at(&f, 0, 11), ==, 1);
    g_assert_cmphex(latched(&f, 0), ==, 10);
    goto_tick(&f, 35);
    g_assert_cmpuint(f.irq.rises, ==, 4);
    g_assert_cmpuint(f.irq.rise_ns[1], ==, ns_at(11));
    g_assert_cmpuint(f.irq.rise_ns[2], ==, ns_at(21));
    g_assert_cmpuint(f.irq.rise_ns[3], ==, ns_at(31));
    /* One timer per period, at the next rising edge. */
    g_assert_cmpuint(vclock_next_deadline(&f.m.clock), ==, ns_at(41));
    /* A new count waits for the end of the current period; OUT rises as it loads. */
    load(&f, 0, 4);
    g_assert_cmpuint(vclock_next_deadline(&f.m.clock), ==, ns_at(41));
    goto_tick(&f, 41);
    g_assert_cmpuint(f.irq.rises, ==, 5);
    g_assert_cmpuint(f.irq.rise_ns[4], ==, ns_at(41));
    g_assert_cmphex(latched(&f, 0), ==, 4);
    goto_tick(&f, 44);
    g_assert_cmphex(latched(&f, 0), ==, 1);
    goto_tick(&f, 50);
    g_assert_cmpuint(f.irq.rises, ==, 7);
    g_assert_cmpuint(f.irq.rise_ns[5], ==, ns_at(45));
    g_assert_cmpuint(f.irq.rise_ns[6], ==, ns_at(49));
    teardown(&f);
}

/* Move virtual time on as a busy host does: the timers do not run until later. */
static void skip_time(struct fixture *f, uint64_t ns)
{
    f->m.clock.manual_ns += ns;
}

/*
 * Timers that run late: the periodic edges they missed come later, one at
 * a time (never two at once: the PIC would merge them), until the guest
 * has had as many as periods went by; a very long gap is not made up.
 */
static void test_late_timer_catches_up(void)
{
    struct fixture f;
    setup(&f);
    program(&f, 0, 2, false);
    load(&f, 0, 1193); /* edges at ticks 1 + 1193 k */
    unsigned first = f.irq.rises;
    skip_time(&f, 10 * 1000 * 1000); /* 10 ms with no timer run */
    vclock_run_due(&f.m.clock);
    g_assert_cmpuint(f.irq.rises, ==, first + 1); /* one edge now, the rest owed */
    for (int i = 0; i < 200; i++)                 /* 5 ms more, in steps of 25 us */
        vclock_advance(&f.m.clock, 25 * 1000);
    int64_t periods = (pit_tick_at(15 * 1000 * 1000) - 1) / 1193;
    g_assert_cmpuint(f.irq.rises, ==, first + (unsigned)periods);
    /* Never more than one edge at one time: the catch-up edges are spread out. */
    for (unsigned i = first + 1; i < f.irq.rises && i < NRISES; i++)
        g_assert_cmpuint(f.irq.rise_ns[i] - f.irq.rise_ns[i - 1], >=, 200 * 1000);
    /* Ten seconds lost: only PIT_BACKLOG_MAX (100) edges are owed. */
    unsigned before = f.irq.rises;
    skip_time(&f, 10ull * 1000 * 1000 * 1000);
    for (int i = 0; i < 2000; i++) /* 50 ms more */
        vclock_advance(&f.m.clock, 25 * 1000);
    g_assert_cmpuint(f.irq.rises - before, ==, 1 + 100 + 50);
    /* Reprogramming counter 0 forgets what it owed. */
    skip_time(&f, 10 * 1000 * 1000);
    vclock_run_due(&f.m.clock);
    program(&f, 0, 2, false);
    load(&f, 0, 1193);
    before = f.irq.rises;
    for (int i = 0; i < 40; i++) /* 1 ms */
        vclock_advance(&f.m.clock, 25 * 1000);
    g_assert_cmpuint(f.irq.rises - before, <=, 2);
    teardown(&f);
}

/* Many periods cost one timer each and two line changes per edge at most. */
static void test_irq_cost(void)
{
    struct fixture f;
    setup(&f);
    program(&f, 0, 2, false);
    load(&f, 0, 1193); /* about 1 ms */
    unsigned sets = f.irq.sets;
    vclock_advance(&f.m.clock, 100 * 1000 * 1000);
    g_assert_cmpuint(f.irq.rises, ==, 1 + 100);
    g_assert_cmpuint(f.irq.sets - sets, <=, 2 * 100);
    g_assert_cmpuint(f.irq.rise_ns[100], ==, ns_at(1 + 100 * 1193));
    teardown(&f);
}

/* Mode 2 on counter 2: a low gate forces OUT high and stops; rising reloads. */
static void test_mode2_gate(void)
{
    struct fixture f;
    setup(&f);
    program(&f, 2, 2, false);
    load(&f, 2, 10);
    goto_tick(&f, 5);
    g_assert_cmphex(latched(&f, 2), ==, 0); /* never loaded while the gate was low */
    pit_set_gate(f.pit, 2, 1);
    goto_tick(&f, 6);
    g_assert_cmphex(latched(&f, 2), ==, 10);
    g_assert_cmpint(out_at(&f, 2, 15), ==, 0);
    pit_set_gate(f.pit, 2, 0);
    g_assert_cmpint(pit_get_out(f.pit, 2), ==, 1);
    g_assert_cmphex(latched(&f, 2), ==, 1);
    goto_tick(&f, 20);
    g_assert_cmphex(latched(&f, 2), ==, 1);
    pit_set_gate(f.pit, 2, 1);
    goto_tick(&f, 21);
    g_assert_cmphex(latched(&f, 2), ==, 10);
    g_assert_cmpint(out_at(&f, 2, 29), ==, 1);
    g_assert_cmpint(out_at(&f, 2, 30), ==, 0);
    g_assert_cmpint(out_at(&f, 2, 31), ==, 1);
    teardown(&f);
}

static void test_mode3(void)
{
    struct fixture f;
    setup(&f);
    /* Even count: high N/2 pulses, low N/2, counting down by two. */
    program(&f, 0, 3, false);
    load(&f, 0, 10);
    static const uint16_t even_ce[] = {10, 8, 6, 4, 2, 10, 8, 6, 4, 2, 10};
    for (int t = 1; t <= 11; t++) {
        goto_tick(&f, t);
        g_assert_cmpint(pit_get_out(f.pit, 0), ==, t <= 5 || t == 11);
        g_assert_cmphex(latched(&f, 0), ==, even_ce[t - 1]);
    }
    goto_tick(&f, 25);
    g_assert_cmpuint(f.irq.rises, ==, 3); /* the mode set, then pulses 11 and 21 */
    g_assert_cmpuint(f.irq.rise_ns[1], ==, ns_at(11));
    g_assert_cmpuint(f.irq.rise_ns[2], ==, ns_at(21));
    g_assert_cmpint(f.irq.level, ==, 1);

    /* Odd count 9 on counter 1: high (N+1)/2 = 5 pulses, low 4, from N - 1. */
    goto_tick(&f, 100);
    program(&f, 1, 3, false);
    load(&f, 1, 9);
    static const uint16_t odd_ce[] = {8, 6, 4, 2, 0, 8, 6, 4, 2, 8};
    for (int t = 101; t <= 110; t++) {
        goto_tick(&f, t);
        g_assert_cmpint(pit_get_out(f.pit, 1), ==, t <= 105 || t == 110);
        g_assert_cmphex(latched(&f, 1), ==, odd_ce[t - 101]);
    }
    /* A new count is loaded at the end of the current half-cycle. */
    goto_tick(&f, 111);
    load(&f, 1, 4);
    g_assert_cmpint(out_at(&f, 1, 114), ==, 1);
    g_assert_cmpint(out_at(&f, 1, 115), ==, 0); /* the new count's low half: 2 pulses */
    g_assert_cmphex(latched(&f, 1), ==, 4);
    g_assert_cmpint(out_at(&f, 1, 116), ==, 0);
    g_assert_cmphex(latched(&f, 1), ==, 2);
    g_assert_cmpint(out_at(&f, 1, 117), ==, 1);
    g_assert_cmpint(out_at(&f, 1, 119), ==, 0);
    g_assert_cmpint(out_at(&f, 1, 121), ==, 1);
    teardown(&f);
}

/* Mode 3 on counter 2: a low gate sets OUT high at once; rising restarts. */
static void test_mode3_gate(void)
{
    struct fixture f;
    setup(&f);
    pit_set_gate(f.pit, 2, 1);
    program(&f, 2, 3, false);
    load(&f, 2, 10);
    g_assert_cmpint(out_at(&f, 2, 7), ==, 0);
    pit_set_gate(f.pit, 2, 0);
    g_assert_cmpint(pit_get_out(f.pit, 2), ==, 1);
    g_assert_cmphex(latched(&f, 2), ==, 8);
    goto_tick(&f, 12);
    g_assert_cmphex(latched(&f, 2), ==, 8);
    g_assert_cmpint(pit_get_out(f.pit, 2), ==, 1);
    pit_set_gate(f.pit, 2, 1);
    goto_tick(&f, 13);
    g_assert_cmphex(latched(&f, 2), ==, 10);
    g_assert_cmpint(out_at(&f, 2, 17), ==, 1);
    g_assert_cmpint(out_at(&f, 2, 18), ==, 0);
    g_assert_cmpint(out_at(&f, 2, 23), ==, 1);
    teardown(&f);
}

static void test_mode4(void)
{
    struct fixture f;
    setup(&f);
    program(&f, 0, 4, false);
    g_assert_cmpint(pit_get_out(f.pit, 0), ==, 1);
    load(&f, 0, 5);
    g_assert_cmpint(out_at(&f, 0, 5), ==, 1);
    g_assert_cmpint(out_at(&f, 0, 6), ==, 0); /* strobe N + 1 pulses after the write */
    g_assert_cmphex(latched(&f, 0), ==, 0);
    g_assert_cmpint(out_at(&f, 0, 7), ==, 1);
    g_assert_cmphex(latched(&f, 0), ==, 0xffff);
    goto_tick(&f, 200000);
    g_assert_cmpuint(f.irq.rises, ==, 2); /* the mode set, then the strobe's end */
    g_assert_cmpuint(f.irq.rise_ns[1], ==, ns_at(7));

    /* Counter 2: a low gate holds the count. */
    program(&f, 2, 4, false);
    load(&f, 2, 3);
    goto_tick(&f, 200010);
    g_assert_cmphex(latched(&f, 2), ==, 3);
    pit_set_gate(f.pit, 2, 1);
    g_assert_cmpint(out_at(&f, 2, 200012), ==, 1);
    g_assert_cmpint(out_at(&f, 2, 200013), ==, 0);
    g_assert_cmpint(out_at(&f, 2, 200014), ==, 1);
    teardown(&f);
}

/* Mode 5 on counter 2: a trigger strobes OUT low N + 1 pulses later. */
static void test_mode5(void)
{
    struct fixture f;
    setup(&f);
    program(&f, 2, 5, false);
    load(&f, 2, 4);
    g_assert_cmpint(out_at(&f, 2, 10), ==, 1);
    pit_set_gate(f.pit, 2, 1);
    g_assert_cmpint(out_at(&f, 2, 14), ==, 1);
    g_assert_cmpint(out_at(&f, 2, 15), ==, 0);
    g_assert_cmpint(out_at(&f, 2, 16), ==, 1);
    /* A retrigger before terminal count restarts the count. */
    goto_tick(&f, 20);
    pit_set_gate(f.pit, 2, 0);
    pit_set_gate(f.pit, 2, 1);
    goto_tick(&f, 23);
    pit_set_gate(f.pit, 2, 0);
    pit_set_gate(f.pit, 2, 1);
    g_assert_cmpint(out_at(&f, 2, 25), ==, 1);
    g_assert_cmpint(out_at(&f, 2, 27), ==, 1);
    g_assert_cmpint(out_at(&f, 2, 28), ==, 0);
    g_assert_cmpint(out_at(&f, 2, 29), ==, 1);
    teardown(&f);
}

static void test_bcd(void)
{
    struct fixture f;
    setup(&f);
    pit_set_gate(f.pit, 2, 1);
    program(&f, 2, 0, true);
    load(&f, 2, 0x0100);
    goto_tick(&f, 1);
    g_assert_cmphex(latched(&f, 2), ==, 0x0100);
    goto_tick(&f, 11);
    g_assert_cmphex(latched(&f, 2), ==, 0x0090);
    g_assert_cmpint(out_at(&f, 2, 100), ==, 0);
    g_assert_cmphex(latched(&f, 2), ==, 0x0001);
    g_assert_cmpint(out_at(&f, 2, 101), ==, 1);
    goto_tick(&f, 102);
    g_assert_cmphex(latched(&f, 2), ==, 0x9999); /* decade wrap */
    /* Count 0 in BCD is 10000. */
    program(&f, 2, 2, true);
    load(&f, 2, 0);
    goto_tick(&f, 103);
    g_assert_cmphex(latched(&f, 2), ==, 0x0000);
    goto_tick(&f, 104);
    g_assert_cmphex(latched(&f, 2), ==, 0x9999);
    g_assert_cmpint(out_at(&f, 2, 103 + 9999), ==, 0);
    g_assert_cmpint(out_at(&f, 2, 103 + 10000), ==, 1);
    /* Binary count 0 is 65536. */
    goto_tick(&f, 20000);
    program(&f, 2, 2, false);
    load(&f, 2, 0);
    goto_tick(&f, 20001);
    g_assert_cmphex(latched(&f, 2), ==, 0x0000);
    goto_tick(&f, 20002);
    g_assert_cmphex(latched(&f, 2), ==, 0xffff);
    g_assert_cmpint(out_at(&f, 2, 20001 + 65534), ==, 1);
    g_assert_cmpint(out_at(&f, 2, 20001 + 65535), ==, 0);
    g_assert_cmpint(out_at(&f, 2, 20001 + 65536), ==, 1);
    /* Digits above 9 are not refused: each nibble counts as its value (0xFFFF: 16665). */
    goto_tick(&f, 90000);
    program(&f, 2, 0, true);
    load(&f, 2, 0xffff);
    goto_tick(&f, 90001);
    g_assert_cmphex(latched(&f, 2), ==, 0x6665);
    goto_tick(&f, 90002);
    g_assert_cmphex(latched(&f, 2), ==, 0x6664);
    goto_tick(&f, 90001 + 30000); /* three decade wraps later */
    g_assert_cmphex(latched(&f, 2), ==, 0x6665);
    teardown(&f);
}

static void test_latch(void)
{
    struct fixture f;
    setup(&f);
    program(&f, 0, 2, false);
    load(&f, 0, 1000);
    goto_tick(&f, 100);
    out8(&f.m, 0x43, 0x00);
    goto_tick(&f, 200);
    g_assert_cmphex(in8_lohi(&f.m, 0x40), ==, 901); /* value at pulse 100 */
    /* A second latch before the first is read is ignored. */
    goto_tick(&f, 300);
    out8(&f.m, 0x43, 0x00);
    goto_tick(&f, 400);
    out8(&f.m, 0x43, 0x00);
    uint8_t lo = in8(&f.m, 0x40);
    goto_tick(&f, 450); /* the latch holds between the two bytes */
    g_assert_cmphex(lo | in8(&f.m, 0x40) << 8, ==, 701);
    /* Unlatched reads see the counter as it runs. */
    g_assert_cmphex(in8_lohi(&f.m, 0x40), ==, 551);
    /* A control word drops an unread latch. */
    out8(&f.m, 0x43, 0x00);
    program(&f, 0, 2, false);
    load(&f, 0, 500);
    goto_tick(&f, 460);
    g_assert_cmphex(in8_lohi(&f.m, 0x40), ==, 491);
    teardown(&f);
}

static void test_readback(void)
{
    struct fixture f;
    setup(&f);
    /* Status: OUT, NULL COUNT, RW, mode, BCD. */
    program(&f, 2, 1, false);
    out8(&f.m, 0x43, 0xe8); /* status of counter 2 */
    g_assert_cmphex(in8(&f.m, 0x42), ==, 0xc0 | 0x30 | 1 << 1);
    load(&f, 2, 7);
    out8(&f.m, 0x43, 0xe8);
    g_assert_cmphex(in8(&f.m, 0x42), ==, 0xf2); /* mode 1: null until a trigger loads it */
    goto_tick(&f, 5);
    pit_set_gate(f.pit, 2, 1);
    goto_tick(&f, 6);
    out8(&f.m, 0x43, 0xe8);
    g_assert_cmphex(in8(&f.m, 0x42), ==, 0x32); /* OUT low, count loaded */

    /* Mode 0, BCD: null count until the pulse after the write. */
    program(&f, 0, 0, true);
    out8(&f.m, 0x43, 0xe2);
    g_assert_cmphex(in8(&f.m, 0x40), ==, 0x71);
    load(&f, 0, 0x0003);
    out8(&f.m, 0x43, 0xe2);
    g_assert_cmphex(in8(&f.m, 0x40), ==, 0x71);
    goto_tick(&f, 7);
    out8(&f.m, 0x43, 0xe2);
    g_assert_cmphex(in8(&f.m, 0x40), ==, 0x31);
    goto_tick(&f, 10);
    out8(&f.m, 0x43, 0xe2);
    g_assert_cmphex(in8(&f.m, 0x40), ==, 0xb1);

    /* Count and status of several counters: status reads first, then the count. */
    program(&f, 1, 2, false);
    load(&f, 1, 300); /* loaded by pulse 11 */
    goto_tick(&f, 20);
    out8(&f.m, 0x43, 0xc6); /* counters 0 and 1, count and status */
    goto_tick(&f, 40);
    g_assert_cmphex(in8(&f.m, 0x41), ==, 0xb4);
    g_assert_cmphex(in8_lohi(&f.m, 0x41), ==, 300 - 9);
    g_assert_cmphex(in8(&f.m, 0x40), ==, 0xb1);
    g_assert_cmphex(in8_lohi(&f.m, 0x40), ==, 0x9990); /* BCD 3 - 13 */
    /* Count only, status only. */
    out8(&f.m, 0x43, 0xd4);
    g_assert_cmphex(in8_lohi(&f.m, 0x41), ==, 300 - 29);
    out8(&f.m, 0x43, 0xe4);
    g_assert_cmphex(in8(&f.m, 0x41), ==, 0xb4);
    g_assert_cmphex(in8_lohi(&f.m, 0x41), ==, 300 - 29); /* live again */
    /* A second status latch before the first is read is ignored. */
    goto_tick(&f, 300);
    out8(&f.m, 0x43, 0xe4);
    goto_tick(&f, 310); /* OUT low: count 1 */
    out8(&f.m, 0x43, 0xe4);
    g_assert_cmphex(in8(&f.m, 0x41), ==, 0xb4);
    out8(&f.m, 0x43, 0xe4);
    g_assert_cmphex(in8(&f.m, 0x41), ==, 0x34);
    /* Modes 6 and 7 read back as written and run as 2 and 3. */
    out8(&f.m, 0x43, 0xbc); /* counter 2, mode 6 */
    load(&f, 2, 3);         /* gate 2 is high: loaded by pulse 311 */
    out8(&f.m, 0x43, 0xe8);
    g_assert_cmphex(in8(&f.m, 0x42), ==, 0xfc);
    g_assert_cmpint(out_at(&f, 2, 312), ==, 1);
    g_assert_cmpint(out_at(&f, 2, 313), ==, 0);
    g_assert_cmpint(out_at(&f, 2, 314), ==, 1);
    out8(&f.m, 0x43, 0xbe); /* mode 7 */
    load(&f, 2, 4);         /* loaded by pulse 315: high 2 pulses, low 2 */
    g_assert_cmpint(out_at(&f, 2, 316), ==, 1);
    g_assert_cmpint(out_at(&f, 2, 317), ==, 0);
    g_assert_cmpint(out_at(&f, 2, 319), ==, 1);
    teardown(&f);
}

static void test_access_modes(void)
{
    struct fixture f;
    setup(&f);
    /* LSB only: the MSB is zero; reads return the LSB every time. */
    out8(&f.m, 0x43, 0x50);
    out8(&f.m, 0x41, 0x34);
    goto_tick(&f, 1);
    g_assert_cmphex(in8(&f.m, 0x41), ==, 0x34);
    g_assert_cmphex(in8(&f.m, 0x41), ==, 0x34);
    g_assert_cmpint(out_at(&f, 1, 0x34), ==, 0);
    g_assert_cmpint(out_at(&f, 1, 0x35), ==, 1);
    /* MSB only: the LSB is zero. */
    out8(&f.m, 0x43, 0x60);
    out8(&f.m, 0x41, 0x12);
    goto_tick(&f, 0x36);
    g_assert_cmphex(in8(&f.m, 0x41), ==, 0x12);
    goto_tick(&f, 0x37);
    g_assert_cmphex(in8(&f.m, 0x41), ==, 0x11);
    out8(&f.m, 0x43, 0x40);                     /* latch */
    g_assert_cmphex(in8(&f.m, 0x41), ==, 0x11); /* 0x11FF: the MSB */
    g_assert_cmphex(in8(&f.m, 0x41), ==, 0x11); /* live again */
    g_assert_cmpint(out_at(&f, 1, 0x36 + 0x1200 - 1), ==, 0);
    g_assert_cmpint(out_at(&f, 1, 0x36 + 0x1200), ==, 1);
    /* LSB then MSB: reads and writes each keep their own byte pointer. */
    goto_tick(&f, 0x2000);
    out8(&f.m, 0x43, 0x70);
    load(&f, 1, 0x1234); /* loaded by pulse 0x2001 */
    goto_tick(&f, 0x2005);
    g_assert_cmphex(in8(&f.m, 0x41), ==, 0x30); /* LSB of 0x1230 */
    out8(&f.m, 0x41, 0x00);                     /* new LSB: mode 0 stops counting */
    goto_tick(&f, 0x2006);
    g_assert_cmphex(in8(&f.m, 0x41), ==, 0x12); /* MSB of the held 0x1230 */
    out8(&f.m, 0x41, 0x20);                     /* new MSB: 0x2000, loaded by pulse 0x2007 */
    goto_tick(&f, 0x2007 + 0x10);
    g_assert_cmphex(in8_lohi(&f.m, 0x41), ==, 0x1ff0);
    /* The control register cannot be read. */
    g_assert_cmphex(in8(&f.m, 0x43), ==, 0xff);
    teardown(&f);
}

/*
 * Host-clock time: timers run late, from the run loop. An edge that came
 * due meanwhile is delivered once (edges collapse on an edge-triggered
 * input), either by the late timer or by a port write that gets there
 * first, and the timer is re-armed in the future rather than firing once
 * per missed period.
 */
static void test_late_timer(void)
{
    struct fixture f;
    g_assert_cmpint(machine_init(&f.m, &(struct machine_config){.ram_mb = 1}), ==, 0);
    f.irq = (struct irq_rec){.clk = &f.m.clock};
    struct irq_line line = {.set = rec_set, .opaque = &f.irq, .n = 0};
    f.pit = pit_create(&f.m, &line);
    program(&f, 0, 2, false);
    load(&f, 0, 2);
    g_assert_cmpuint(f.irq.rises, ==, 1); /* the mode set */
    g_usleep(2000);
    /*
     * A latch command: a write. Over a thousand periods have passed; the
     * write delivers one edge (two if time crosses another 1.7 us edge
     * between its before and after updates).
     */
    out8(&f.m, 0x43, 0x00);
    g_assert_cmpuint(f.irq.rises, >=, 2);
    g_assert_cmpuint(f.irq.rises, <=, 3);
    unsigned rises = f.irq.rises;
    g_usleep(2000);
    uint64_t before = vclock_now(&f.m.clock);
    vclock_run_due(&f.m.clock);
    g_assert_cmpuint(f.irq.rises, ==, rises + 1);
    g_assert_cmpuint(vclock_next_deadline(&f.m.clock), >, before);
    teardown(&f);
}

/*
 * The one-shot modes (0, 1, 4, 5) on counter 0: an OUT rise that came due
 * before the timer ran reaches IRQ 0 when the guest reprograms the counter
 * first (a new control word, which sets OUT low or high at once).
 */
static void test_late_timer_one_shot(void)
{
    for (unsigned mode = 0; mode <= 5; mode++) {
        if (mode == 2 || mode == 3)
            continue;
        struct fixture f;
        setup(&f);
        bool triggered = mode == 1 || mode == 5;
        if (triggered)
            pit_set_gate(f.pit, 0, 0);
        program(&f, 0, mode, false);
        load(&f, 0, 100);
        if (triggered)
            pit_set_gate(f.pit, 0, 1);
        unsigned rises = f.irq.rises;
        uint64_t due = vclock_next_deadline(&f.m.clock);
        g_assert_cmpuint(due, !=, VCLOCK_NEVER);
        skip_time(&f, due + 10000 - vclock_now(&f.m.clock)); /* past it; no timer run */
        program(&f, 0, 0, false);
        g_assert_cmpuint(f.irq.rises, ==, rises + 1);
        teardown(&f);
    }
}

static void test_reset(void)
{
    struct fixture f;
    setup(&f);
    program(&f, 0, 2, false);
    load(&f, 0, 100);
    goto_tick(&f, 50);
    g_assert_cmpint(f.irq.level, ==, 1);
    pit_reset(f.pit);
    g_assert_cmpint(f.irq.level, ==, 0);
    g_assert_cmpint(pit_get_out(f.pit, 0), ==, 0);
    g_assert_cmpuint(vclock_next_deadline(&f.m.clock), ==, VCLOCK_NEVER);
    out8(&f.m, 0x43, 0xe2);
    g_assert_cmphex(in8(&f.m, 0x40), ==, 0x70); /* mode 0, LSB/MSB, null count */
    g_assert_cmpint(pit_get_out(f.pit, 7), ==, 0);
    pit_set_gate(f.pit, 7, 1);
    teardown(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/i8254/mode0", test_mode0);
    g_test_add_func("/i8254/mode0_gate", test_mode0_gate);
    g_test_add_func("/i8254/mode1", test_mode1);
    g_test_add_func("/i8254/mode2_irq", test_mode2_irq);
    g_test_add_func("/i8254/irq_cost", test_irq_cost);
    g_test_add_func("/i8254/mode2_gate", test_mode2_gate);
    g_test_add_func("/i8254/mode3", test_mode3);
    g_test_add_func("/i8254/mode3_gate", test_mode3_gate);
    g_test_add_func("/i8254/mode4", test_mode4);
    g_test_add_func("/i8254/mode5", test_mode5);
    g_test_add_func("/i8254/bcd", test_bcd);
    g_test_add_func("/i8254/latch", test_latch);
    g_test_add_func("/i8254/readback", test_readback);
    g_test_add_func("/i8254/access_modes", test_access_modes);
    g_test_add_func("/i8254/late_timer", test_late_timer);
    g_test_add_func("/i8254/late_timer_one_shot", test_late_timer_one_shot);
    g_test_add_func("/i8254/late_timer_catches_up", test_late_timer_catches_up);
    g_test_add_func("/i8254/reset", test_reset);
    return g_test_run();
}
