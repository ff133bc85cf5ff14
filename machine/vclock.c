/*
 * Virtual time and timers (see vclock.h for the modes and the driven
 * clock's design): a sorted list of armed timers; devices arm few timers,
 * so a list is simplest and fast enough.
 */
#include "machine/vclock.h"

#include <glib.h>
#include <time.h>

/* The driven clock's rate before the first measurement: 10 ns an instruction. */
#define RATE_INITIAL (10ull << VCLOCK_RATE_SHIFT)
#define RATE_MIN     (1ull << (VCLOCK_RATE_SHIFT - 6)) /* 1/64 ns an instruction */
#define RATE_MAX     (1000000ull << VCLOCK_RATE_SHIFT) /* 1 ms an instruction */
/* A measurement of the host's time per instruction spans at least this much host time... */
#define SAMPLE_MIN_NS 100000
/* ...and this many instructions. */
#define SAMPLE_MIN_COUNT 256
/* How fast the estimate of the host's time per instruction forgets (update_rate). */
#define TAU_UP_NS   100000000
#define TAU_DOWN_NS 10000000
/* The shortest slice slice_begin asks for: shorter ones cost more than they gain. */
#define SLICE_MIN 64

static int64_t host_monotonic_now(void *opaque)
{
    (void)opaque;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void host_monotonic_sleep(void *opaque, int64_t ns)
{
    (void)opaque;
    g_usleep((gulong)(ns / 1000));
}

static const struct vclock_host host_monotonic = {host_monotonic_now, host_monotonic_sleep, NULL};

/* Host nanoseconds since virtual 0. */
static int64_t host_now(const struct vclock *clk)
{
    return clk->host.now(clk->host.opaque) - clk->host_base_ns;
}

void vclock_init(struct vclock *clk, bool manual)
{
    *clk = (struct vclock){.manual = manual, .slice_end_ns = VCLOCK_NEVER};
    vclock_set_host(clk, &host_monotonic);
}

void vclock_set_host(struct vclock *clk, const struct vclock_host *host)
{
    clk->host = *host;
    clk->host_base_ns = host->now(host->opaque);
    clk->anchor_ns = clk->last_ns = 0;
    clk->sampling = false;
}

void vclock_drive(struct vclock *clk, const uint64_t *count)
{
    uint64_t now = vclock_now(clk);
    clk->count = count;
    clk->anchor_ns = clk->last_ns = now;
    clk->anchor_count = *count;
    clk->rate = RATE_INITIAL;
    clk->avg_host_ns = clk->avg_count = 0;
    clk->sampling = false;
}

void vclock_set_kick(struct vclock *clk, void (*kick)(void *opaque), void *opaque)
{
    clk->kick = kick;
    clk->kick_opaque = opaque;
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
    uint64_t t =
        clk->anchor_ns + (uint64_t)(((unsigned __int128)n * clk->rate) >> VCLOCK_RATE_SHIFT);
    if (t < clk->last_ns)
        return clk->last_ns;
    clk->last_ns = t;
    return t;
}

void vclock_charge(struct vclock *clk, uint64_t ns)
{
    if (!clk->manual && clk->count)
        clk->anchor_ns += ns;
}

/* Continue from virtual `ns` and the count as it is now. */
static void reanchor(struct vclock *clk, uint64_t ns)
{
    clk->anchor_ns = ns;
    clk->anchor_count = *clk->count;
    if (ns > clk->last_ns)
        clk->last_ns = ns;
}

/* Let `ns` of host time pass, not counted as time the instructions took; returns host time. */
static int64_t host_wait(struct vclock *clk, int64_t ns)
{
    int64_t before = host_now(clk);
    clk->host.sleep(clk->host.opaque, ns);
    int64_t after = host_now(clk);
    clk->sample_host += after - before;
    return after;
}

uint64_t vclock_slice_begin(struct vclock *clk, uint64_t max)
{
    if (clk->manual || !clk->count)
        return max;
    uint64_t now = vclock_now(clk), next = vclock_next_deadline(clk);
    if (!clk->sampling) {
        /* The first slice since vclock_drive or a jump: no guest code has seen the time
           since, so it starts from the host's (the board's setup, a pause) */
        int64_t host = host_now(clk);
        if (host > 0 && (uint64_t)host > now)
            reanchor(clk, now = (uint64_t)host);
        clk->sampling = true;
        clk->sample_host = host;
        clk->sample_count = *clk->count;
    }
    uint64_t span = next > now ? next - now : 0;
    if (span > VCLOCK_SLICE_MAX_NS)
        span = VCLOCK_SLICE_MAX_NS;
    unsigned __int128 n =
        (((unsigned __int128)span << VCLOCK_RATE_SHIFT) + clk->rate - 1) / clk->rate;
    if (n < SLICE_MIN)
        n = SLICE_MIN;
    if (n > max)
        n = max;
    clk->slice_end_ns = now + (uint64_t)((n * clk->rate) >> VCLOCK_RATE_SHIFT);
    return (uint64_t)n;
}

static uint64_t clamp_u64(uint64_t v, uint64_t lo, uint64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/*
 * A new measurement: `elapsed` host ns for `n` instructions, virtual time
 * `behind` the host. The estimate of the host's time per instruction is
 * the ratio of two running sums, of host time and of instructions, that
 * forget at the pace of TAU_UP_NS of host time, or of TAU_DOWN_NS when
 * instructions got faster by more than an eighth (a preempted host only
 * ever looks slower: a stall of 5 ms moves the estimate by about 5%). The
 * rate is that estimate sped up or slowed down to make up `behind` over
 * VCLOCK_CORRECT_NS, by half at most either way (the 5 ms stall: about 5%
 * more).
 */
static void update_rate(struct vclock *clk, int64_t elapsed, uint64_t n, int64_t behind)
{
    if (!clk->avg_count) {
        clk->avg_host_ns = (uint64_t)elapsed;
        clk->avg_count = n;
    } else {
        /* Faster: by more than an eighth (not by rounding). */
        bool faster = (unsigned __int128)elapsed * clk->avg_count * 8 <
                      (unsigned __int128)clk->avg_host_ns * n * 7;
        uint64_t tau = faster ? TAU_DOWN_NS : TAU_UP_NS, e = (uint64_t)elapsed;
        clk->avg_host_ns = (uint64_t)((unsigned __int128)clk->avg_host_ns * tau / (tau + e)) + e;
        clk->avg_count = (uint64_t)((unsigned __int128)clk->avg_count * tau / (tau + e)) + n;
        if (!clk->avg_count)
            clk->avg_count = 1;
    }
    uint64_t est =
        (uint64_t)(((unsigned __int128)clk->avg_host_ns << VCLOCK_RATE_SHIFT) / clk->avg_count);
    int64_t c = behind < -VCLOCK_CORRECT_NS / 2 ? -VCLOCK_CORRECT_NS / 2
                : behind > VCLOCK_CORRECT_NS    ? VCLOCK_CORRECT_NS
                                                : behind;
    uint64_t r =
        (uint64_t)((unsigned __int128)est * (uint64_t)(VCLOCK_CORRECT_NS + c) / VCLOCK_CORRECT_NS);
    clk->rate = clamp_u64(r, RATE_MIN, RATE_MAX);
}

void vclock_uncount_host(struct vclock *clk, uint64_t ns)
{
    if (clk->count && clk->sampling)
        clk->sample_host += (int64_t)ns;
}

void vclock_slice_end(struct vclock *clk)
{
    clk->slice_end_ns = VCLOCK_NEVER;
    if (clk->manual || !clk->count)
        return;
    uint64_t now = vclock_now(clk);
    int64_t host = host_now(clk);
    if (host - (int64_t)now > (int64_t)VCLOCK_RESYNC_NS) {
        reanchor(clk, (uint64_t)host); /* stopped or paused: no guest code saw the gap */
        clk->sampling = false;
        return;
    }
    reanchor(clk, now);
    if ((int64_t)now - host > VCLOCK_LEAD_MAX_NS)
        host = host_wait(clk, (int64_t)now - host);
    uint64_t n = *clk->count - clk->sample_count;
    int64_t elapsed = host - clk->sample_host;
    if (!clk->sampling || elapsed < SAMPLE_MIN_NS || n < SAMPLE_MIN_COUNT)
        return;
    clk->sample_host = host;
    clk->sample_count = *clk->count;
    update_rate(clk, elapsed, n, host - (int64_t)now);
}

void vclock_idle(struct vclock *clk, uint64_t max_wait_ns)
{
    if (clk->manual) {
        vclock_run_due(clk);
        return;
    }
    /* Sleep until the host reaches the next deadline (a clock that ran ahead stands meanwhile). */
    uint64_t now = vclock_now(clk), next = vclock_next_deadline(clk);
    int64_t host = host_now(clk);
    if (host < 0)
        host = 0;
    if (next > (uint64_t)host && next > now) {
        uint64_t wait = next - (uint64_t)host;
        host = host_wait(clk, (int64_t)(wait < max_wait_ns ? wait : max_wait_ns));
    }
    /* Driven: a clock behind the host catches up, but no further than the next deadline, so
       that a periodic timer fires once for each of its periods and the guest sees each. */
    if (clk->count) {
        uint64_t target = (uint64_t)host < next ? (uint64_t)host : next;
        if (target > now)
            reanchor(clk, target);
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
    if (clk->slice_end_ns != VCLOCK_NEVER && deadline < clk->slice_end_ns && clk->kick) {
        clk->slice_end_ns = VCLOCK_NEVER; /* once a slice */
        clk->kick(clk->kick_opaque);
    }
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
