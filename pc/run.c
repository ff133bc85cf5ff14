/*
 * The run loop: the vCPU runs in slices, each ending at the next timer
 * deadline at the latest; between slices the virtual clock is re-anchored
 * (machine/vclock.h), due timers fire, and the limits of the run (debug
 * exit, --timeout, reset with --no-reboot) are checked. Single-threaded.
 */
#include "pc/pc.h"

#include <glib.h>

#include "cpu/cpu.h"
#include "translator/translator.h"

/* Instructions per slice: short enough for timers, long enough to be cheap. */
#define PC_SLICE 100000

static bool timed_out(const struct pc *pc, gint64 start_us)
{
    return pc->cfg.timeout > 0 &&
           (double)(g_get_monotonic_time() - start_us) >= pc->cfg.timeout * 1e6;
}

/* A halted CPU waits for the next timer at most this long before the loop looks around. */
#define PC_IDLE_MAX_NS 10000000u

int pc_add_poller(struct pc *pc, void (*poll)(void *opaque, bool paused), void *opaque)
{
    if (pc->npollers >= PC_MAX_POLLERS)
        return -1;
    pc->pollers[pc->npollers++] = (struct pc_poller){poll, opaque};
    return 0;
}

void pc_set_paused(struct pc *pc, bool paused)
{
    pc->paused = paused;
    if (paused)
        cpu_request_exit(pc->cpu);
}

void pc_stop(struct pc *pc, enum pc_stop why)
{
    if (pc->stop == PC_STOP_NONE)
        pc->stop = why;
    cpu_request_exit(pc->cpu);
}

static void run_pollers(struct pc *pc)
{
    for (unsigned i = 0; i < pc->npollers; i++)
        pc->pollers[i].poll(pc->pollers[i].opaque, pc->paused);
}

int pc_run(struct pc *pc)
{
    gint64 start = g_get_monotonic_time();
    pc->stop = PC_STOP_NONE;
    while (pc->stop == PC_STOP_NONE) {
        gint64 polled = g_get_monotonic_time();
        run_pollers(pc);
        vclock_uncount_host(&pc->m.clock, (uint64_t)(g_get_monotonic_time() - polled) * 1000);
        if (pc->paused) {
            g_usleep(5000); /* virtual time runs on, but nothing happens in the guest */
            if (timed_out(pc, start))
                pc->stop = PC_STOP_TIMEOUT;
            continue;
        }
        uint64_t budget = vclock_slice_begin(&pc->m.clock, PC_SLICE);
        enum cpu_exit why = translator_run(pc->tr, budget);
        vclock_slice_end(&pc->m.clock);
        vclock_run_due(&pc->m.clock);
        pc_poll_serial(pc);
        if (why == CPU_EXIT_SHUTDOWN)
            pc->reset_requested = true;
        if (pc->reset_requested && pc->stop == PC_STOP_NONE) {
            if (pc->cfg.no_reboot)
                pc->stop = PC_STOP_RESET;
            else
                pc_reset(pc);
        } else if (why == CPU_EXIT_HLT) {
            vclock_idle(&pc->m.clock, PC_IDLE_MAX_NS);
        }
        if (pc->stop == PC_STOP_NONE && timed_out(pc, start))
            pc->stop = PC_STOP_TIMEOUT;
    }
    switch (pc->stop) {
    case PC_STOP_DEBUG_EXIT:
        return pc->exit_status;
    case PC_STOP_TIMEOUT:
        return 124;
    default:
        return 0;
    }
}
