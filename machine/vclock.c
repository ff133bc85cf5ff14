/*
 * Virtual time and timers (see vclock.h): a sorted list of armed timers;
 * devices arm few timers, so a list is simplest and fast enough.
 */
#include "machine/vclock.h"

#include <glib.h>

void vclock_init(struct vclock *clk, bool manual)
{
    clk->manual = manual;
    clk->manual_ns = 0;
    clk->host_base_us = g_get_monotonic_time();
    clk->armed = NULL;
}

uint64_t vclock_now(const struct vclock *clk)
{
    if (clk->manual)
        return clk->manual_ns;
    return (uint64_t)(g_get_monotonic_time() - clk->host_base_us) * 1000u;
}

void vtimer_init(struct vtimer *t, void (*fire)(void *opaque), void *opaque)
{
    t->deadline = VCLOCK_NEVER;
    t->fire = fire;
    t->opaque = opaque;
    t->next = NULL;
}

bool vtimer_armed(const struct vtimer *t)
{
    return t->deadline != VCLOCK_NEVER;
}

void vtimer_cancel(struct vclock *clk, struct vtimer *t)
{
    if (!vtimer_armed(t))
        return;
    for (struct vtimer **p = &clk->armed; *p; p = &(*p)->next) {
        if (*p == t) {
            *p = t->next;
            break;
        }
    }
    t->deadline = VCLOCK_NEVER;
    t->next = NULL;
}

void vtimer_arm(struct vclock *clk, struct vtimer *t, uint64_t deadline)
{
    vtimer_cancel(clk, t);
    if (deadline == VCLOCK_NEVER)
        return;
    t->deadline = deadline;
    struct vtimer **p = &clk->armed;
    while (*p && (*p)->deadline <= deadline)
        p = &(*p)->next;
    t->next = *p;
    *p = t;
}

uint64_t vclock_next_deadline(const struct vclock *clk)
{
    return clk->armed ? clk->armed->deadline : VCLOCK_NEVER;
}

/* Fire the timers due at or before `now`. */
static void run_until(struct vclock *clk, uint64_t now)
{
    while (clk->armed && clk->armed->deadline <= now) {
        struct vtimer *t = clk->armed;
        clk->armed = t->next;
        t->next = NULL;
        t->deadline = VCLOCK_NEVER;
        t->fire(t->opaque);
    }
}

void vclock_run_due(struct vclock *clk)
{
    run_until(clk, vclock_now(clk));
}

void vclock_advance(struct vclock *clk, uint64_t ns)
{
    g_assert(clk->manual);
    uint64_t target = clk->manual_ns + ns;
    /* Step through each deadline so a timer sees the time it asked for. */
    while (clk->armed && clk->armed->deadline <= target) {
        if (clk->armed->deadline > clk->manual_ns)
            clk->manual_ns = clk->armed->deadline;
        run_until(clk, clk->manual_ns);
    }
    clk->manual_ns = target;
}
