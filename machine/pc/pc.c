/*
 * Wiring the PC: RAM, firmware, the shadow MMU and the vCPU, and the
 * devices on their ports. The order in which the board is built is the
 * order of this file.
 */
#include "machine/pc/pc.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "shadowmmu/shadowmmu.h"

static void debug_exit_fired(void *opaque)
{
    struct pc *pc = opaque;
    pc->stop = PC_STOP_DEBUG_EXIT;
    pc->exit_status = pc->debug_exit.status;
    cpu_request_exit(pc->cpu);
}

/* The devices, in port order. */
static void pc_devices_init(struct pc *pc)
{
    pc->debugcon = (struct debugcon){pc->cfg.debugcon.write, pc->cfg.debugcon.opaque};
    if (debugcon_init(&pc->debugcon, &pc->m.io) < 0)
        g_error("debug console ports are taken");
    if (pc->cfg.debug_exit) {
        pc->debug_exit = (struct debug_exit){.notify = debug_exit_fired, .opaque = pc};
        if (debug_exit_init(&pc->debug_exit, &pc->m.io) < 0)
            g_error("debug-exit ports are taken");
    }
}

int pc_init(struct pc *pc, const struct pc_config *cfg, char **err)
{
    memset(pc, 0, sizeof(*pc));
    pc->cfg = *cfg;
    int rc = machine_init(&pc->m, &(struct machine_config){.ram_mb = cfg->ram_mb});
    if (rc < 0) {
        *err = g_strdup_printf("cannot allocate %u MiB of guest RAM: %s", cfg->ram_mb,
                               g_strerror(-rc));
        return -1;
    }
    if (firmware_load_bios(&pc->fw, &pc->m, cfg->bios, err) < 0) {
        machine_destroy(&pc->m);
        return -1;
    }
    pc->mmu = smmu_create(&pc->m.mem);
    pc->cpu = cpu_create(&pc->m, pc->mmu);
    pc_devices_init(pc);
    return 0;
}

void pc_destroy(struct pc *pc)
{
    cpu_destroy(pc->cpu);
    smmu_destroy(pc->mmu);
    firmware_free(&pc->fw);
    machine_destroy(&pc->m);
}
