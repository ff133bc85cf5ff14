/*
 * The run loop: the vCPU runs in slices; between slices virtual time
 * advances, due timers fire, and the limits of the run (debug exit,
 * --timeout, reset with --no-reboot) are checked. Single-threaded.
 */
#include "machine/pc/pc.h"

#include <glib.h>

#include "cpu/cpu.h"

/* Instructions per slice: short enough for timers, long enough to be cheap. */
#define PC_SLICE 100000

static bool timed_out(const struct pc *pc, gint64 start_us)
{
    return pc->cfg.timeout > 0 &&
           (double)(g_get_monotonic_time() - start_us) >= pc->cfg.timeout * 1e6;
}

/* A halted CPU with nothing to wake it: sleep a little rather than spin. */
static void pc_idle(struct pc *pc)
{
    g_usleep(1000);
}

int pc_run(struct pc *pc)
{
    gint64 start = g_get_monotonic_time();
    cpu_reset(pc->cpu);
    pc->stop = PC_STOP_NONE;
    while (pc->stop == PC_STOP_NONE) {
        enum cpu_exit why = cpu_run(pc->cpu, PC_SLICE);
        switch (why) {
        case CPU_EXIT_HLT:
            pc_idle(pc);
            break;
        case CPU_EXIT_SHUTDOWN:
            if (pc->cfg.no_reboot)
                pc->stop = PC_STOP_RESET;
            else
                cpu_reset(pc->cpu);
            break;
        default:
            break;
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
