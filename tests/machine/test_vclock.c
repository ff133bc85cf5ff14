/*
 * Virtual time: timers fire in deadline order, at the time they asked for,
 * can re-arm themselves and be cancelled; real-time mode follows the host.
 * The driven clock against a fake host and a fake instruction count: time
 * inside a slice follows the count alone whatever the host does, the rate
 * follows the host's time per instruction, a stall of the host moves it a
 * little, a long one or a halt jumps, a clock ahead waits for the host,
 * slices end at deadlines, device accesses charge time.
 */
#include <glib.h>

#include "machine/vclock.h"

struct rec {
    struct vclock *clk;
    uint64_t fired_at[8];
    unsigned n;
    uint64_t period; /* re-arm by this much when nonzero */
    struct vtimer t;
};

static void fire(void *opaque)
{
    struct rec *r = opaque;
    if (r->n < G_N_ELEMENTS(r->fired_at))
        r->fired_at[r->n] = vclock_now(r->clk);
    r->n++;
    if (r->period)
        vtimer_arm(r->clk, &r->t,
                   r->t.deadline == VCLOCK_NEVER ? vclock_now(r->clk) + r->period : r->t.deadline);
}

static void test_order_and_times(void)
{
    struct vclock clk;
    vclock_init(&clk, true);
    struct rec a = {.clk = &clk}, b = {.clk = &clk};
    vtimer_init(&a.t, fire, &a);
    vtimer_init(&b.t, fire, &b);
    vtimer_arm(&clk, &a.t, 300);
    vtimer_arm(&clk, &b.t, 100);
    g_assert_cmpuint(vclock_next_deadline(&clk), ==, 100);
    vclock_advance(&clk, 50);
    g_assert_cmpuint(a.n + b.n, ==, 0);
    vclock_advance(&clk, 200); /* now 250: b fired at 100, a not yet */
    g_assert_cmpuint(b.n, ==, 1);
    g_assert_cmpuint(b.fired_at[0], ==, 100);
    g_assert_cmpuint(a.n, ==, 0);
    vclock_advance(&clk, 100);
    g_assert_cmpuint(a.n, ==, 1);
    g_assert_cmpuint(a.fired_at[0], ==, 300);
    g_assert_cmpuint(vclock_now(&clk), ==, 350);
    g_assert_cmpuint(vclock_next_deadline(&clk), ==, VCLOCK_NEVER);
}

static void test_periodic_and_cancel(void)
{
    struct vclock clk;
    vclock_init(&clk, true);
    struct rec p = {.clk = &clk, .period = 1000};
    vtimer_init(&p.t, fire, &p);
    vtimer_arm(&clk, &p.t, 1000);
    vclock_advance(&clk, 3500);
    g_assert_cmpuint(p.n, ==, 3);
    g_assert_cmpuint(p.fired_at[2], ==, 3000);
    vtimer_cancel(&clk, &p.t);
    g_assert_false(vtimer_armed(&p.t));
    vclock_advance(&clk, 5000);
    g_assert_cmpuint(p.n, ==, 3);
    /* Re-arming an armed timer moves it. */
    vtimer_arm(&clk, &p.t, 9000);
    vtimer_arm(&clk, &p.t, 20000);
    p.period = 0;
    vclock_advance(&clk, 2000); /* now 10500 */
    g_assert_cmpuint(p.n, ==, 3);
    vclock_advance(&clk, 10000);
    g_assert_cmpuint(p.n, ==, 4);
}

static void test_real_time(void)
{
    struct vclock clk;
    vclock_init(&clk, false);
    uint64_t t0 = vclock_now(&clk);
    g_usleep(20000);
    uint64_t dt = vclock_now(&clk) - t0;
    g_assert_cmpuint(dt, >=, 20000000u);
    g_assert_cmpuint(dt, <, 2000000000u);
    struct rec r = {.clk = &clk};
    vtimer_init(&r.t, fire, &r);
    vtimer_arm(&clk, &r.t, vclock_now(&clk) + 1000000);
    vclock_run_due(&clk);
    g_assert_cmpuint(r.n, ==, 0);
    g_usleep(2000);
    vclock_run_due(&clk);
    g_assert_cmpuint(r.n, ==, 1);
}

/* A fake host: time moves when the test says, or by `per_read` at every read. */
struct fake_host {
    int64_t ns;
    int64_t per_read;
    int64_t slept; /* all the sleeps asked for */
    unsigned sleeps;
};

static int64_t fake_now(void *opaque)
{
    struct fake_host *h = opaque;
    h->ns += h->per_read;
    return h->ns;
}

static void fake_sleep(void *opaque, int64_t ns)
{
    struct fake_host *h = opaque;
    h->ns += ns;
    h->slept += ns;
    h->sleeps++;
}

struct driven {
    struct vclock clk;
    struct fake_host host;
    uint64_t count;
};

static void driven_init(struct driven *d)
{
    *d = (struct driven){.host.ns = 1000000000};
    vclock_init(&d->clk, false);
    vclock_set_host(&d->clk, &(struct vclock_host){fake_now, fake_sleep, &d->host});
    vclock_drive(&d->clk, &d->count);
}

/* One slice of `n` instructions taking `host_ns` of host time. */
static void run_slice_ns(struct driven *d, uint64_t n, int64_t host_ns)
{
    vclock_slice_begin(&d->clk, UINT64_MAX);
    d->count += n;
    d->host.ns += host_ns;
    vclock_slice_end(&d->clk);
}

/* The same at `ns_per_insn` of host time an instruction. */
static void run_slice(struct driven *d, uint64_t n, int64_t ns_per_insn)
{
    run_slice_ns(d, n, (int64_t)n * ns_per_insn);
}

static int64_t lag(struct driven *d)
{
    return (d->host.ns - d->clk.host_base_ns) - (int64_t)vclock_now(&d->clk);
}

/* Inside a slice, time follows the instructions alone: a host that jumps at every read changes
 * nothing. */
static void test_driven_slice(void)
{
    struct driven d;
    driven_init(&d);
    vclock_slice_begin(&d.clk, UINT64_MAX);
    d.host.per_read = 7000000; /* every look at the host: 7 ms later */
    uint64_t prev = vclock_now(&d.clk), step = 0;
    for (int i = 0; i < 1000; i++) {
        d.count += 13;
        uint64_t t = vclock_now(&d.clk);
        g_assert_cmpuint(t, >, prev);
        if (step)
            g_assert_cmpuint(t - prev, ==, step); /* the same code: the same time */
        step = t - prev;
        prev = t;
    }
    g_assert_cmpuint(step, ==, 130); /* the initial rate: 10 ns an instruction */
}

/* Across slices the rate comes to the host's time per instruction and time stays on the host's. */
static void test_driven_follows_host(void)
{
    struct driven d;
    driven_init(&d);
    for (int i = 0; i < 2000; i++)
        run_slice(&d, 100000, 3); /* 300 us a slice */
    g_assert_cmpuint(d.clk.rate, >, (3ull << VCLOCK_RATE_SHIFT) * 99 / 100);
    g_assert_cmpuint(d.clk.rate, <, (3ull << VCLOCK_RATE_SHIFT) * 101 / 100);
    g_assert_cmpint(lag(&d), <, 1000000);
    g_assert_cmpint(lag(&d), >, -2 * VCLOCK_LEAD_MAX_NS);
    /* Code 20 times faster (0.15 ns): the rate follows within a few tens of milliseconds. */
    for (int i = 0; i < 2000; i++)
        run_slice_ns(&d, 100000, 15000);
    g_assert_cmpuint(d.clk.rate, <, (3ull << VCLOCK_RATE_SHIFT) / 10);
    g_assert_cmpint(lag(&d), <, 1000000);
    g_assert_cmpint(lag(&d), >, -2 * VCLOCK_LEAD_MAX_NS);
}

/* A host that stalls for 5 ms in one slice moves the rate by about a tenth; the lag is made up. */
static void test_driven_stall(void)
{
    struct driven d;
    driven_init(&d);
    for (int i = 0; i < 1000; i++)
        run_slice(&d, 100000, 3);
    uint64_t before = d.clk.rate, t0 = vclock_now(&d.clk);
    vclock_slice_begin(&d.clk, UINT64_MAX);
    d.count += 100000;
    d.host.ns += 300000 + 5000000;
    vclock_slice_end(&d.clk);
    g_assert_cmpuint(vclock_now(&d.clk), ==, t0 + 300000 * before / (3ull << VCLOCK_RATE_SHIFT));
    g_assert_cmpuint(d.clk.rate, <, before * 115 / 100);
    g_assert_cmpint(lag(&d), >, 4000000);
    for (int i = 0; i < 3000; i++) /* a second of host time */
        run_slice(&d, 100000, 3);
    g_assert_cmpint(lag(&d), <, 500000);
}

/* Far behind (a stopped process): one jump to the host's time between slices. */
static void test_driven_resync(void)
{
    struct driven d;
    driven_init(&d);
    run_slice(&d, 100000, 3);
    d.host.ns += VCLOCK_RESYNC_NS + 1000000;
    uint64_t t0 = vclock_now(&d.clk);
    run_slice(&d, 1000, 3);
    g_assert_cmpuint(vclock_now(&d.clk), >, t0 + VCLOCK_RESYNC_NS);
    g_assert_cmpint(lag(&d), <, 100000);
}

/* Ahead of the host by more than VCLOCK_LEAD_MAX_NS: the host waits, virtual time stands. */
static void test_driven_lead_waits(void)
{
    struct driven d;
    driven_init(&d);
    run_slice(&d, 100000, 10);
    vclock_slice_begin(&d.clk, UINT64_MAX);
    d.count += 500000; /* 5 ms at 10 ns, in no host time */
    uint64_t t = vclock_now(&d.clk);
    vclock_slice_end(&d.clk);
    g_assert_cmpuint(d.host.sleeps, ==, 1);
    g_assert_cmpuint(vclock_now(&d.clk), ==, t);
    g_assert_cmpint(lag(&d), >=, 0);
    g_assert_cmpint(lag(&d), <, 100000);
}

/* Slices end at the next deadline; halted, time goes to the deadline and the timer fires. */
static void test_driven_deadlines_and_idle(void)
{
    struct driven d;
    driven_init(&d);
    run_slice(&d, 100000, 10);
    struct rec r = {.clk = &d.clk};
    vtimer_init(&r.t, fire, &r);
    uint64_t now = vclock_now(&d.clk);
    vtimer_arm(&d.clk, &r.t, now + 50000); /* 50 us: 5000 instructions at 10 ns */
    uint64_t budget = vclock_slice_begin(&d.clk, 100000);
    g_assert_cmpuint(budget, >=, 4990);
    g_assert_cmpuint(budget, <=, 5010);
    d.count += budget;
    vclock_slice_end(&d.clk);
    vclock_run_due(&d.clk);
    g_assert_cmpuint(r.n, ==, 1);
    g_assert_cmpuint(r.fired_at[0], >=, now + 50000);
    /* No deadline: at most VCLOCK_SLICE_MAX_NS of virtual time. */
    budget = vclock_slice_begin(&d.clk, UINT64_MAX);
    g_assert_cmpuint(budget * (d.clk.rate >> VCLOCK_RATE_SHIFT), <=, VCLOCK_SLICE_MAX_NS + 100);
    vclock_slice_end(&d.clk);
    /* Halted with a timer 3 ms on: the host sleeps till then, the timer fires. */
    now = vclock_now(&d.clk);
    vtimer_arm(&d.clk, &r.t, now + 3000000);
    vclock_idle(&d.clk, 10000000);
    g_assert_cmpuint(r.n, ==, 2);
    g_assert_cmpuint(vclock_now(&d.clk), >=, now + 3000000);
    g_assert_cmpint(lag(&d), >=, 0);
    /* Halted while behind the host: time catches up at once. */
    d.host.ns += 50000000;
    vclock_idle(&d.clk, 0);
    g_assert_cmpint(lag(&d), <=, 0);
}

/* Halted and behind the host with a periodic timer: each idle goes to the next period only. */
static void test_driven_idle_catches_up_by_period(void)
{
    struct driven d;
    driven_init(&d);
    run_slice(&d, 100000, 10);
    struct rec p = {.clk = &d.clk, .period = 1000000};
    vtimer_init(&p.t, fire, &p);
    uint64_t t0 = vclock_now(&d.clk);
    vtimer_arm(&d.clk, &p.t, t0 + 1000000);
    d.host.ns += 8500000; /* 8.5 ms behind */
    for (unsigned i = 1; i <= 8; i++) {
        vclock_idle(&d.clk, 10000000);
        g_assert_cmpuint(p.n, ==, i);
        g_assert_cmpuint(p.fired_at[i - 1], ==, t0 + i * 1000000);
        g_assert_cmpuint(d.host.sleeps, ==, 0); /* no waiting while behind */
    }
    vclock_idle(&d.clk, 10000000); /* caught up: waits for the host */
    g_assert_cmpuint(p.n, ==, 9);
    g_assert_cmpuint(d.host.sleeps, ==, 1);
    g_assert_cmpint(lag(&d), <=, 0);
}

static void count_kick(void *opaque)
{
    (*(unsigned *)opaque)++;
}

/* A deadline armed inside a slice before its planned end kicks the CPU out, once; none between
 * slices. */
static void test_driven_kick(void)
{
    struct driven d;
    driven_init(&d);
    unsigned kicks = 0;
    vclock_set_kick(&d.clk, count_kick, &kicks);
    run_slice(&d, 100000, 10);
    struct rec r = {.clk = &d.clk};
    vtimer_init(&r.t, fire, &r);
    uint64_t now = vclock_now(&d.clk);
    vtimer_arm(&d.clk, &r.t, now + 10000000); /* after any slice */
    uint64_t budget = vclock_slice_begin(&d.clk, UINT64_MAX);
    g_assert_cmpuint(budget, ==, VCLOCK_SLICE_MAX_NS / 10);
    d.count += 100;
    vtimer_arm(&d.clk, &r.t, now + 5000000); /* still after the slice: no kick */
    g_assert_cmpuint(kicks, ==, 0);
    vtimer_arm(&d.clk, &r.t, vclock_now(&d.clk) + 50000); /* inside it */
    g_assert_cmpuint(kicks, ==, 1);
    vtimer_arm(&d.clk, &r.t, vclock_now(&d.clk) + 40000); /* once a slice */
    g_assert_cmpuint(kicks, ==, 1);
    vclock_slice_end(&d.clk);
    vtimer_arm(&d.clk, &r.t, vclock_now(&d.clk) + 30000); /* between slices */
    g_assert_cmpuint(kicks, ==, 1);
    /* The next slice ends at that deadline. */
    budget = vclock_slice_begin(&d.clk, UINT64_MAX);
    g_assert_cmpuint(budget, <=, 30000 / 10 + 1);
    vclock_slice_end(&d.clk);
}

/* A slow device access moves driven time on at once; manual time does not move. */
static void test_charge(void)
{
    struct driven d;
    driven_init(&d);
    uint64_t t = vclock_now(&d.clk);
    vclock_charge(&d.clk, VCLOCK_ISA_IO_NS);
    g_assert_cmpuint(vclock_now(&d.clk), ==, t + VCLOCK_ISA_IO_NS);
    struct vclock m;
    vclock_init(&m, true);
    vclock_charge(&m, VCLOCK_ISA_IO_NS);
    g_assert_cmpuint(vclock_now(&m), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vclock/order-and-times", test_order_and_times);
    g_test_add_func("/vclock/periodic-and-cancel", test_periodic_and_cancel);
    g_test_add_func("/vclock/real-time", test_real_time);
    g_test_add_func("/vclock/driven/slice", test_driven_slice);
    g_test_add_func("/vclock/driven/follows-host", test_driven_follows_host);
    g_test_add_func("/vclock/driven/stall", test_driven_stall);
    g_test_add_func("/vclock/driven/resync", test_driven_resync);
    g_test_add_func("/vclock/driven/lead-waits", test_driven_lead_waits);
    g_test_add_func("/vclock/driven/deadlines-and-idle", test_driven_deadlines_and_idle);
    g_test_add_func("/vclock/driven/idle-catches-up-by-period",
                    test_driven_idle_catches_up_by_period);
    g_test_add_func("/vclock/driven/kick", test_driven_kick);
    g_test_add_func("/vclock/driven/charge", test_charge);
    return g_test_run();
}
