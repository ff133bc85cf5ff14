/*
 * Wiring the PC: RAM, firmware, the shadow MMU and the vCPU, the PCI host
 * bridge and the PIIX3, fw_cfg for SeaBIOS, and the devices on their ports
 * and interrupt lines. The order in which the board is built is the order
 * of this file.
 */
#include "machine/pc/pc.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "devices/fw_cfg.h"
#include "devices/i440fx.h"
#include "devices/pci.h"
#include "devices/piix3.h"
#include "devices/port92.h"
#include "shadowmmu/shadowmmu.h"

#define E820_RAM 1

static void debug_exit_fired(void *opaque)
{
    struct pc *pc = opaque;
    pc->stop = PC_STOP_DEBUG_EXIT;
    pc->exit_status = pc->debug_exit.status;
    cpu_request_exit(pc->cpu);
}

void pc_request_reset(struct pc *pc)
{
    pc->reset_requested = true;
    cpu_request_exit(pc->cpu);
}

static void reset_from_device(void *opaque)
{
    pc_request_reset(opaque);
}

static void update_a20(struct pc *pc)
{
    smmu_set_a20(pc->mmu, pc->a20_kbc || pc->a20_port92);
}

static void port92_a20(void *opaque, bool on)
{
    struct pc *pc = opaque;
    pc->a20_port92 = on;
    update_a20(pc);
}

/* What SeaBIOS learns through fw_cfg: RAM, its e820 map, and the VGA BIOS. */
static void pc_fw_cfg_init(struct pc *pc)
{
    struct fw_cfg *fw = pc->fw_cfg;
    fw_cfg_add_u64(fw, FW_CFG_RAM_SIZE, pc->m.ram_size);
    fw_cfg_add_u16(fw, FW_CFG_NB_CPUS, 1);
    fw_cfg_add_u16(fw, FW_CFG_MAX_CPUS, 1);
    fw_cfg_add_u16(fw, FW_CFG_BOOT_MENU, 0);
    /* One e820 entry for all of RAM: SeaBIOS carves out what the BIOS needs. */
    uint8_t e820[20];
    uint64_t base = 0, len = pc->m.ram_size;
    uint32_t type = E820_RAM;
    memcpy(e820, &base, 8);
    memcpy(e820 + 8, &len, 8);
    memcpy(e820 + 16, &type, 4);
    fw_cfg_add_file(fw, "etc/e820", e820, sizeof(e820));
    /* Guest tests tell popek from QEMU by this (both speak fw_cfg). */
    fw_cfg_add_file(fw, "opt/org.popek/machine", "popek", 5);
}

/* The devices, in port order. */
static void pc_devices_init(struct pc *pc)
{
    struct machine *m = &pc->m;
    pc->debugcon = (struct debugcon){pc->cfg.debugcon.write, pc->cfg.debugcon.opaque};
    if (debugcon_init(&pc->debugcon, &m->io) < 0 || post_port_init(&pc->post, &m->io) < 0)
        g_error("debug ports are taken");
    if (pc->cfg.debug_exit) {
        pc->debug_exit = (struct debug_exit){.notify = debug_exit_fired, .opaque = pc};
        if (debug_exit_init(&pc->debug_exit, &m->io) < 0)
            g_error("debug-exit ports are taken");
    }
    pc->port92 = port92_create(m, &(struct port92_callbacks){port92_a20, reset_from_device, pc});

    pc->pci = pci_bus_create(m, reset_from_device, pc);
    size_t low = MIN(pc->fw.size, (size_t)FIRMWARE_LOW_MAX);
    pc->host = i440fx_create(m, pc->pci, pc->fw.image + pc->fw.size - low, low);
    pc->piix = piix3_create(pc->pci, NULL, NULL);

    pc->fw_cfg = fw_cfg_create(m);
    pc_fw_cfg_init(pc);
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
    pc_reset(pc);
    return 0;
}

void pc_reset(struct pc *pc)
{
    pc->reset_requested = false;
    port92_reset(pc->port92);
    i440fx_reset(pc->host);
    piix3_reset(pc->piix);
    /* A20 is enabled after reset: the keyboard controller's output port has it set. */
    pc->a20_kbc = true;
    pc->a20_port92 = false;
    update_a20(pc);
    cpu_reset(pc->cpu);
}

void pc_destroy(struct pc *pc)
{
    fw_cfg_destroy(pc->fw_cfg);
    piix3_destroy(pc->piix);
    i440fx_destroy(pc->host);
    pci_bus_destroy(pc->pci);
    port92_destroy(pc->port92);
    cpu_destroy(pc->cpu);
    smmu_destroy(pc->mmu);
    firmware_free(&pc->fw);
    machine_destroy(&pc->m);
}
