/*
 * Virtual time and timers. Guest-visible time (PIT, RTC, UART receive timeout)
 * follows the host's monotonic clock, so guest timekeeping is right however
 * fast the guest runs; in manual mode (unit tests) time moves only when the
 * test advances it. Timers fire from the run loop between CPU slices
 * (vclock_run_due), never from a signal or another thread.
 */
#ifndef POPEK_MACHINE_VCLOCK_H
#define POPEK_MACHINE_VCLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define VCLOCK_NEVER UINT64_MAX

struct vtimer {
    uint64_t deadline; /* virtual ns; VCLOCK_NEVER while not armed */
    void (*fire)(void *opaque);
    void *opaque;
    struct vtimer *next; /* in the clock's armed list, by deadline */
};

struct vclock {
    bool manual;          /* time moves only through vclock_advance */
    uint64_t manual_ns;   /* the time in manual mode */
    int64_t host_base_us; /* host monotonic time at virtual 0 */
    struct vtimer *armed; /* armed timers, earliest first */
};

void vclock_init(struct vclock *clk, bool manual);

/* Virtual nanoseconds since vclock_init. */
uint64_t vclock_now(const struct vclock *clk);

void vtimer_init(struct vtimer *t, void (*fire)(void *opaque), void *opaque);

/* Arm (or re-arm) to fire once at `deadline` virtual ns; a past deadline fires at the next run. */
void vtimer_arm(struct vclock *clk, struct vtimer *t, uint64_t deadline);
void vtimer_cancel(struct vclock *clk, struct vtimer *t);
bool vtimer_armed(const struct vtimer *t);

/* The earliest deadline, or VCLOCK_NEVER. */
uint64_t vclock_next_deadline(const struct vclock *clk);

/* Fire every timer whose deadline has passed, earliest first (a timer may re-arm itself). */
void vclock_run_due(struct vclock *clk);

/* Manual mode: move time forward by `ns`, firing timers at their deadlines on the way. */
void vclock_advance(struct vclock *clk, uint64_t ns);

#endif
