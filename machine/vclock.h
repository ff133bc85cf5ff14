/*
 * Virtual time and timers: the one clock every guest-visible time is read
 * from (the TSC, the PIT, the RTC, the local APIC timer, the ACPI PM timer,
 * the UART's and the floppy's delays), so a guest that measures one against
 * another always gets a consistent answer. Timers fire from the run loop
 * between CPU slices (vclock_run_due), never from a signal or another
 * thread.
 *
 * The clock has three modes:
 *
 * - Manual (unit tests): time moves only when the test advances it.
 *
 * - Host: no instruction counter is attached; time is the host's
 *   monotonic clock, read at each call.
 *
 * - Driven (the board attaches the CPU's retired-instruction count with
 *   vclock_drive): inside a CPU slice time advances only with retired
 *   guest instructions, `anchor_ns + (count - anchor_count) * rate`, and
 *   with the bus time slow devices charge (vclock_charge), so two reads
 *   are as far apart as the guest code between them, whatever the host
 *   thread did meanwhile (a preempted host, a slow helper call).
 *
 *   Between slices (vclock_slice_end) the clock is re-anchored where it
 *   stands, never backwards, and the rate for the next slice is chosen to
 *   keep virtual time on the host's wall clock: an estimate of the host
 *   time an instruction takes, averaged over about the last 100 ms of
 *   host time (10 ms when instructions get faster, so that a host that
 *   stalls for 5 ms moves the rate by about a tenth), made faster or
 *   slower to make up the distance to the host over VCLOCK_CORRECT_NS.
 *   Virtual time that ran more than VCLOCK_LEAD_MAX_NS ahead of the host
 *   waits between slices until the host has caught up. Virtual time that
 *   fell behind catches up faster (by up to twice the host's pace), and
 *   while the CPU is halted (vclock_idle) at once, but never past the next
 *   timer deadline, so that a periodic timer still interrupts once a
 *   period (a guest counting ticks keeps time with the TSC). It jumps over
 *   deadlines only when it has fallen more than VCLOCK_RESYNC_NS behind
 *   (the process was stopped, the machine paused).
 *
 *   A slice covers at most VCLOCK_SLICE_MAX_NS of virtual time and ends
 *   at the next timer deadline (vclock_slice_begin gives the instruction
 *   budget), or at an earlier one armed during the slice (the clock kicks
 *   the CPU out of its run: vclock_set_kick), so interrupts come at the
 *   virtual time they are due.
 */
#ifndef POPEK_MACHINE_VCLOCK_H
#define POPEK_MACHINE_VCLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define VCLOCK_NEVER UINT64_MAX

/* Fixed-point scale of the driven clock's rate: 1 ns per instruction is 1 << VCLOCK_RATE_SHIFT. */
#define VCLOCK_RATE_SHIFT 16
/* Driven mode (see above). */
#define VCLOCK_RESYNC_NS    2000000000 /* behind the host by this much: jump forward */
#define VCLOCK_LEAD_MAX_NS  1000000    /* ahead of the host by this much: wait for it */
#define VCLOCK_CORRECT_NS   100000000  /* a distance to the host is made up over this time */
#define VCLOCK_SLICE_MAX_NS 2000000    /* virtual time a slice covers at most */

/*
 * An I/O cycle on the ISA bus: about a microsecond on a PC (Linux's
 * io_delay counts on it), and guests count on it: Linux reads the 8254's
 * counter once as a delay of a microsecond before it expects a count it
 * wrote to be loaded (quick_pit_calibrate). The slow ISA devices charge it
 * to the clock on every access (vclock_charge).
 */
#define VCLOCK_ISA_IO_NS 1000

struct vtimer {
    uint64_t deadline; /* virtual ns; VCLOCK_NEVER while not armed */
    void (*fire)(void *opaque);
    void *opaque;
    struct vtimer *next; /* in the clock's armed list, by deadline */
};

/* Where host time comes from (tests inject a fake). */
struct vclock_host {
    int64_t (*now)(void *opaque);            /* monotonic nanoseconds */
    void (*sleep)(void *opaque, int64_t ns); /* let that much host time pass */
    void *opaque;
};

struct vclock {
    bool manual;        /* time moves only through vclock_advance */
    uint64_t manual_ns; /* the time in manual mode */
    struct vclock_host host;
    int64_t host_base_ns; /* host time at virtual 0 */
    struct vtimer *armed; /* armed timers, earliest first */

    /* Driven mode (NULL: host or manual mode). */
    const uint64_t *count; /* retired guest instructions */
    uint64_t anchor_ns;    /* virtual time when the count was anchor_count */
    uint64_t anchor_count;
    uint64_t rate;        /* virtual ns per instruction << VCLOCK_RATE_SHIFT */
    uint64_t avg_host_ns; /* running sums of host time and of instructions (update_rate) */
    uint64_t avg_count;
    bool sampling;         /* a measurement of the host's time per instruction is running */
    int64_t sample_host;   /* host ns since base when it began, moved on by waits */
    uint64_t sample_count; /* the count then */
    uint64_t last_ns;      /* the latest time returned: the clock never runs backwards */
    uint64_t slice_end_ns; /* inside a slice: where it is to end; VCLOCK_NEVER between slices */
    void (*kick)(void *opaque); /* ends the running slice early (NULL: none) */
    void *kick_opaque;
};

/* Start at virtual 0 with no timers; host time from the host's monotonic clock. */
void vclock_init(struct vclock *clk, bool manual);

/* Take host time from `host` instead (tests); virtual time starts over at 0. */
void vclock_set_host(struct vclock *clk, const struct vclock_host *host);

/* Driven mode: time follows `*count`, a retired-instruction count that never decreases. */
void vclock_drive(struct vclock *clk, const uint64_t *count);

/* Driven mode: `kick` ends the CPU's run early, for a deadline armed inside a slice before its end.
 */
void vclock_set_kick(struct vclock *clk, void (*kick)(void *opaque), void *opaque);

/* Virtual nanoseconds since vclock_init. */
uint64_t vclock_now(struct vclock *clk);

/*
 * A device access that takes `ns` on the bus: in driven mode virtual time
 * moves on by that much at once; the other modes ignore it (host time
 * passes anyway; manual time moves only when a test says).
 */
void vclock_charge(struct vclock *clk, uint64_t ns);

/*
 * Driven mode, around each CPU slice: slice_begin returns the instructions
 * to run, at most `max`, ending at or just past the next timer deadline;
 * slice_end re-anchors the clock and sets the rate for the next slice. In
 * the other modes slice_begin returns `max` and slice_end does nothing.
 */
uint64_t vclock_slice_begin(struct vclock *clk, uint64_t max);
void vclock_slice_end(struct vclock *clk);

/*
 * Driven mode: `ns` of host time the board spent on something else than
 * the guest's instructions (the window, its events) between slices. The
 * estimate of an instruction's host time leaves it out, as it leaves out
 * the clock's own waits; on a slow host the window's time would otherwise
 * shrink every slice to a handful of instructions.
 */
void vclock_uncount_host(struct vclock *clk, uint64_t ns);

/*
 * The CPU is halted: wait on the host until the next timer deadline (at
 * most `max_wait_ns`), move virtual time on to the host's time but not
 * past that deadline (driven mode), then fire the due timers. Manual mode
 * does not wait (time stands still there).
 */
void vclock_idle(struct vclock *clk, uint64_t max_wait_ns);

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
