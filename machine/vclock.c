/*
 * Virtual time and timers (see vclock.h for the modes and the driven
 * clock's design): a sorted list of armed timers; devices arm few timers,
 * so a list is simplest and fast enough.
 */
#include "machine/vclock.h"

#include <glib.h>

/* The driven clock's rate before the first measurement: 10 ns an instruction. */
#define RATE_INITIAL (10ull << VCLOCK_RATE_SHIFT)
#define RATE_MIN     (1ull << (VCLOCK_RATE_SHIFT - 6))      /* 1/64 ns an instruction */
#define RATE_MAX     (1000000ull << VCLOCK_RATE_SHIFT)      /* 1 ms an instruction */
/* A measurement of the host's time per instruction spans at least this much running time... */
#define SAMPLE_MIN_NS 500000
/* ...and this many instructions. */
#define SAMPLE_MIN_COUNT 1000
/* The time over which a difference between virtual and host time is made up. */
#define CORRECT_NS 100000000
/* The shortest slice slice_begin asks for: shorter ones cost more than they gain. */
#define SLICE_MIN 64

static int64_t host_monotonic_ns(void *opaque)
{
    (void)opaque;
    return g_get_monotonic_time() * 1000;
}

static int64_t host_now(const struct vclock *clk)
{
    return clk->host(clk->host_opaque) - clk->host_base_ns;
}

void vclock_init(struct vclock *clk, bool manual)
{
    *clk = (struct vclock){.manual = manual, .host = host_monotonic_ns};
    clk->host_base_ns = clk->host(NULL);
}

void vclock_set_host(struct vclock *clk, vclock_host_fn host, void *opaque)
{
    clk->host = host;
    clk->host_opaque = opaque;
    clk->host_base_ns = host(opaque);
    clk->anchor_ns = clk->last_ns = 0;
    clk->sample_host = 0;
}

void vclock_drive(struct vclock *clk, const uint64_t *count)
{
    uint64_t now = vclock_now(clk);
    clk->count = count;
    clk->anchor_ns = clk->last_ns = now;
    clk->anchor_count = clk->sample_count = *count;
    clk->rate = RATE_INITIAL;
    clk->host_rate = 0;
    clk->sample_host = host_now(clk);
}

uint64_t vclock_now(struct vclock *clk)
{
    if (clk->manual)
        return clk->manual_ns;
    if (!clk->count) {
        int64_t h = host_now(clk);
        return h > 0 ? (uint64_t)h : 0;
    }
    uint64_t n = *clk->count >= clk->anchor_count ? *clk->count - clk->anchor_count : 0;
    uint64_t t = clk->anchor_ns + (uint64_t)(((unsigned __int128)n * clk->rate) >> VCLOCK_RATE_SHIFT);
    if (t < clk->last_ns)
        return clk->last_ns;
    clk->last_ns = t;
    return t;
}

/* Continue from virtual `ns` and the count as it is now. */
static void reanchor(struct vclock *clk, uint64_t ns)
{
    clk->anchor_ns = ns;
    clk->anchor_count = *clk->count;
    if (ns > clk->last_ns)
        clk->last_ns = ns;
}

/* Start measuring the host's time per instruction afresh from host time `host`. */
static void restart_sample(struct vclock *clk, int64_t host)
{
    clk->sample_host = host;
    clk->sample_count = *clk->count;
}

uint64_t vclock_slice_begin(struct vclock *clk, uint64_t max)
{
    if (clk->manual || !clk->count)
        return max;
    uint64_t now = vclock_now(clk), next = vclock_next_deadline(clk);
    if (next == VCLOCK_NEVER)
        return max;
    if (next <= now)
        return SLICE_MIN < max ? SLICE_MIN : max;
    unsigned __int128 n = (((unsigned __int128)(next - now) << VCLOCK_RATE_SHIFT) + clk->rate - 1) /
                          clk->rate;
    if (n < SLICE_MIN)
        n = SLICE_MIN;
    return n < max ? (uint64_t)n : max;
}

static uint64_t clamp_u64(uint64_t v, uint64_t lo, uint64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/*
 * A new measurement: `measured` host ns per instruction (rate scale).
 * The estimate follows it by a quarter, a single outlier (a preempted
 * slice) moving it by at most a quarter of its value; the next slice's
 * rate is that estimate made faster or slower to make up the distance
 * `behind` to the host over CORRECT_NS, within 1/16 of the rate it
 * replaces.
 */
static void update_rate(struct vclock *clk, uint64_t measured, int64_t behind)
{
    if (!clk->host_rate) {
        clk->host_rate = clamp_u64(measured, RATE_MIN, RATE_MAX);
        clk->rate = clk->host_rate; /* the first: no guest can be timing anything yet */
        return;
    }
    uint64_t est = clk->host_rate;
    measured = clamp_u64(measured, est / 2, est * 2);
    est = measured >= est ? est + (measured - est) / 4 : est - (est - measured) / 4;
    clk->host_rate = est = clamp_u64(est, RATE_MIN, RATE_MAX);
    int64_t c = behind < -CORRECT_NS / 2 ? -CORRECT_NS / 2 : behind > CORRECT_NS ? CORRECT_NS : behind;
    uint64_t target = (uint64_t)((unsigned __int128)est * (uint64_t)(CORRECT_NS + c) / CORRECT_NS);
    uint64_t step = clk->rate / 16;
    clk->rate = clamp_u64(clamp_u64(target, clk->rate - step, clk->rate + step), RATE_MIN, RATE_MAX);
}

void vclock_slice_end(struct vclock *clk)
{
    if (clk->manual || !clk->count)
        return;
    uint64_t now = vclock_now(clk);
    int64_t host = host_now(clk);
    int64_t behind = host - (int64_t)now;
    if (behind > (int64_t)VCLOCK_RESYNC_NS) {
        reanchor(clk, (uint64_t)host); /* stopped or paused: no guest code saw the gap */
        restart_sample(clk, host);
        return;
    }
    reanchor(clk, now);
    uint64_t n = *clk->count - clk->sample_count;
    int64_t elapsed = host - clk->sample_host;
    if (elapsed < SAMPLE_MIN_NS || n < SAMPLE_MIN_COUNT)
        return;
    uint64_t measured = (uint64_t)(((unsigned __int128)elapsed << VCLOCK_RATE_SHIFT) / n);
    restart_sample(clk, host);
    update_rate(clk, measured, behind);
}

void vclock_idle(struct vclock *clk, uint64_t max_wait_ns)
{
    if (clk->manual) {
        vclock_run_due(clk);
        return;
    }
    /* Virtual time while halted is max(its value at the HLT, host time): a clock that ran
       ahead stands until the host has caught up, one that fell behind catches up at once. */
    uint64_t now = vclock_now(clk), next = vclock_next_deadline(clk);
    int64_t host = host_now(clk);
    uint64_t from = host > 0 && (uint64_t)host > now ? (uint64_t)host : now;
    if (next > from) {
        uint64_t wait = next - (host > 0 ? (uint64_t)host : 0);
        if (wait > max_wait_ns)
            wait = max_wait_ns;
        g_usleep((gulong)(wait / 1000));
    }
    if (clk->count) {
        /* The time asleep is no part of the host's time per instruction. */
        int64_t before = host;
        host = host_now(clk);
        clk->sample_host += host - before;
        reanchor(clk, host > 0 && (uint64_t)host > now ? (uint64_t)host : now);
    }
    vclock_run_due(clk);
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
