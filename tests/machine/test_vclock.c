/*
 * Virtual time: timers fire in deadline order, at the time they asked for,
 * can re-arm themselves and be cancelled; real-time mode follows the host.
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

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vclock/order-and-times", test_order_and_times);
    g_test_add_func("/vclock/periodic-and-cancel", test_periodic_and_cancel);
    g_test_add_func("/vclock/real-time", test_real_time);
    return g_test_run();
}
