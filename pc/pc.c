/*
 * Wiring the PC: RAM, firmware, the shadow MMU and the vCPU, the PCI host
 * bridge and the PIIX3, fw_cfg for SeaBIOS, and the devices on their ports
 * and interrupt lines. The order in which the board is built is the order
 * of this file.
 */
#include "pc/pc.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "devices/acpi_pm.h"
#include "devices/fdc.h"
#include "devices/fw_cfg.h"
#include "devices/i440fx.h"
#include "devices/i8042.h"
#include "devices/i8237.h"
#include "devices/i8254.h"
#include "devices/i8259.h"
#include "devices/ide.h"
#include "devices/ioapic.h"
#include "devices/lapic.h"
#include "devices/mc146818.h"
#include "devices/ne2000.h"
#include "devices/pci.h"
#include "devices/piix3.h"
#include "devices/port61.h"
#include "devices/port92.h"
#include "devices/uart16550.h"
#include "devices/vga.h"
#include "devices/vga_pci.h"
#include "machine/blockdev.h"
#include "pc/acpi.h"
#include "pc/kernel.h"
#include "shadowmmu/shadowmmu.h"
#include "translator/translator.h"

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

/* ACPI soft-off (SLP_EN with the _S5 sleep type): the run ends as a guest poweroff. */
static void acpi_power_off(void *opaque)
{
    pc_stop(opaque, PC_STOP_POWEROFF);
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

static void kbc_a20(void *opaque, bool on)
{
    struct pc *pc = opaque;
    pc->a20_kbc = on;
    update_a20(pc);
}

/*
 * The ISA interrupt lines go to the 8259 pair and to the I/O APIC, where
 * IRQ 0 is on pin 2 and the others on the pin of their number, as on
 * QEMU's PIIX3 boards (SeaBIOS's MP table and its IRQ 0 override say so).
 * IRQ 2 is the 8259 cascade and reaches neither.
 */
static void pc_isa_irq(struct pc *pc, unsigned irq, int level)
{
    pic_set_irq(pc->pic, irq, level);
    if (irq != PIC_CASCADE_IRQ)
        ioapic_set_irq(pc->ioapic, irq == 0 ? 2 : irq, level);
}

static void isa_irq_set(void *opaque, unsigned n, int level)
{
    pc_isa_irq(opaque, n, level);
}

/* I/O APIC messages for the one local APIC there is. */
static void ioapic_deliver(void *opaque, const struct ioapic_msg *msg)
{
    struct pc *pc = opaque;
    if (lapic_match_dest(pc->lapic, msg->dest, msg->logical))
        lapic_deliver(pc->lapic, msg->mode, msg->vector, msg->level);
}

static void lapic_nmi(void *opaque)
{
    struct pc *pc = opaque;
    cpu_nmi(pc->cpu);
}

static void lapic_eoi(void *opaque, uint8_t vector)
{
    struct pc *pc = opaque;
    ioapic_eoi(pc->ioapic, vector);
}

/*
 * The x87 error path of a PC/AT (SDM Vol. 1 App. D): FERR# raises IRQ 13;
 * a write to port 0xF0 clears the interrupt and asserts IGNNE# until FERR#
 * goes away (FNCLEX/FNINIT in the handler).
 */
static void fpu_ferr(void *opaque, int level)
{
    struct pc *pc = opaque;
    pc_isa_irq(pc, 13, level);
    if (!level)
        pc->cpu->ignne = false;
}

static uint32_t port_f0_read(void *opaque, uint16_t port, unsigned size)
{
    return 0xffffffffu;
}

static void port_f0_write(void *opaque, uint16_t port, uint32_t v, unsigned size)
{
    struct pc *pc = opaque;
    pc_isa_irq(pc, 13, 0);
    pc->cpu->ignne = true;
}

static const struct io_ops port_f0_ops = {port_f0_read, port_f0_write, 0};

static void bmdma_map(void *opaque, uint16_t base)
{
    struct pc *pc = opaque;
    ide_bmdma_map(pc->ide, base);
}

/*
 * PCI interrupts. On the i440FX board INTx# of device d is wired to PIRQ
 * (x + d - 1) mod 4 (SeaBIOS's interrupt-line assignment and $PIR table
 * follow this rotation); the PIIX3 routes each PIRQ to an ISA IRQ (PIRQRC,
 * 82371SB §2.2.9), where SeaBIOS sets the ELCR to level-triggered, and to
 * the I/O APIC pin of that IRQ (SeaBIOS's MP table lists them so). Lines
 * sharing a PIRQ or an IRQ are ORed; routing is looked up at each change.
 */
#define PC_NIC_SLOT 3

static void pci_irqs_update(struct pc *pc)
{
    uint16_t want = 0;
    for (unsigned pirq = 0; pirq < 4; pirq++) {
        int irq = piix3_pirq_route(pc->piix, pirq);
        if (pc->pci_pirq[pirq] && irq >= 0 && irq < 16)
            want |= (uint16_t)(1u << irq);
    }
    uint16_t touched = want | pc->pci_irqs;
    pc->pci_irqs = want;
    for (unsigned irq = 0; irq < 16; irq++) {
        if (touched & (1u << irq))
            pc_isa_irq(pc, irq, (want >> irq) & 1);
    }
}

/* The irq_line of a PCI interrupt: n = slot * 4 + pin (0-3: INTA-INTD). */
static void pci_intx_set(void *opaque, unsigned n, int level)
{
    struct pc *pc = opaque;
    unsigned slot = (n / 4) & 31, pirq = (n % 4 + slot + 3) % 4;
    if (level)
        pc->pci_pirq[pirq] |= 1u << slot;
    else
        pc->pci_pirq[pirq] &= ~(1u << slot);
    pci_irqs_update(pc);
}

static struct irq_line pc_pci_irq_line(struct pc *pc, unsigned slot, unsigned pin)
{
    return (struct irq_line){pci_intx_set, pc, slot * 4 + pin};
}

static void nic_send(void *opaque, const uint8_t *frame, size_t len)
{
    struct pc *pc = opaque;
    if (pc->cfg.net_tx.write)
        pc->cfg.net_tx.write(pc->cfg.net_tx.opaque, frame, len);
}

static size_t serial_write(void *opaque, const uint8_t *buf, size_t len)
{
    struct pc *pc = opaque;
    if (!pc->cfg.serial.write)
        return len;
    return pc->cfg.serial.write(pc->cfg.serial.opaque, buf, len);
}

/* CMOS boot device codes SeaBIOS reads in 0x3D and 0x38 (QEMU's convention). */
static unsigned boot_code(char c)
{
    return c == 'a' ? 1 : c == 'c' ? 2 : c == 'd' ? 3 : 0;
}

/* The CMOS bytes a BIOS and DOS read: memory sizes, boot order, equipment. */
static void pc_cmos_init(struct pc *pc)
{
    struct rtc *rtc = pc->rtc;
    uint64_t ram = pc->m.ram_size;
    rtc_cmos_set(rtc, 0x15, 0x80); /* 640 KiB base memory */
    rtc_cmos_set(rtc, 0x16, 0x02);
    uint64_t ext_kb = ram > 0x100000 ? (ram - 0x100000) / 1024 : 0;
    if (ext_kb > 0xffff)
        ext_kb = 0xffff;
    rtc_cmos_set(rtc, 0x17, (uint8_t)ext_kb);
    rtc_cmos_set(rtc, 0x18, (uint8_t)(ext_kb >> 8));
    rtc_cmos_set(rtc, 0x30, (uint8_t)ext_kb);
    rtc_cmos_set(rtc, 0x31, (uint8_t)(ext_kb >> 8));
    uint64_t above16 = ram > 0x1000000 ? (ram - 0x1000000) / 0x10000 : 0;
    if (above16 > 0xffff)
        above16 = 0xffff;
    rtc_cmos_set(rtc, 0x34, (uint8_t)above16);
    rtc_cmos_set(rtc, 0x35, (uint8_t)(above16 >> 8));
    /* Floppy drive types (high nibble A:, low nibble B:) and the equipment byte: VGA, the
       number of floppy drives; no FPU. */
    int a = fdc_drive_type(pc->fdc, 0), b_type = fdc_drive_type(pc->fdc, 1);
    unsigned drives = (a > 0) + (b_type > 0);
    rtc_cmos_set(rtc, 0x10, (uint8_t)(a << 4 | b_type));
    rtc_cmos_set(rtc, 0x14, (uint8_t)(0x04 | (drives ? 0x01 | (drives - 1) << 6 : 0)));
    const char *boot = pc->cfg.boot ? pc->cfg.boot : "cd";
    unsigned b[3] = {0};
    for (unsigned i = 0; i < 3 && boot[i]; i++)
        b[i] = boot_code(boot[i]);
    rtc_cmos_set(rtc, 0x3d, (uint8_t)(b[0] | b[1] << 4));
    rtc_cmos_set(rtc, 0x38, (uint8_t)(b[2] << 4));
    /* The checksum over 0x10-0x2D, big-endian at 0x2E (IBM PC/AT technical reference). */
    unsigned sum = 0;
    for (unsigned i = 0x10; i <= 0x2d; i++)
        sum += rtc_cmos_get(rtc, (uint8_t)i);
    rtc_cmos_set(rtc, 0x2e, (uint8_t)(sum >> 8));
    rtc_cmos_set(rtc, 0x2f, (uint8_t)sum);
}

/*
 * An image that ends inside a sector (a CD-ROM block): the guest sees the
 * whole ones only and the bytes after them are never read or written. Say
 * so once, so that a truncated or padded image does not go unnoticed.
 */
void pc_warn_partial_block(const struct blockdev *bd, unsigned unit, const char *what)
{
    unsigned tail = (unsigned)(bd->size % unit);
    if (tail)
        g_printerr("popek: warning: %s is %llu bytes, not a whole number of %u-byte %ss: the "
                   "guest sees its first %llu %ss; the last %u bytes stay in the file as they "
                   "are, never read or written\n",
                   bd->path, (unsigned long long)bd->size, unit, what,
                   (unsigned long long)(bd->size / unit), what, tail);
}

/* Open and attach the floppies, the IDE disks and the CD-ROM. */
static int pc_storage_init(struct pc *pc, char **err)
{
    enum blockdev_mode mode = pc->cfg.snapshot ? BLOCKDEV_SNAPSHOT : BLOCKDEV_RW;
    for (unsigned i = 0; i < 2; i++) {
        if (!pc->cfg.fd[i])
            continue;
        pc->floppies[i] = g_new0(struct blockdev, 1);
        bool ro = false;
        if (blockdev_open(pc->floppies[i], pc->cfg.fd[i], mode, &ro, err) < 0 ||
            fdc_attach(pc->fdc, i, pc->floppies[i], err) < 0)
            return -1;
        if (ro)
            g_printerr("popek: warning: %s is not writable: the floppy is write-protected\n",
                       pc->cfg.fd[i]);
    }
    for (unsigned i = 0; i < PC_MAX_DISKS; i++) {
        if (!pc->cfg.hd[i])
            continue;
        pc->disks[i] = g_new0(struct blockdev, 1);
        bool ro = false;
        if (blockdev_open(pc->disks[i], pc->cfg.hd[i], mode, &ro, err) < 0)
            return -1;
        if (ro)
            g_printerr("popek: warning: %s is not writable: attached read-only\n", pc->cfg.hd[i]);
        pc_warn_partial_block(pc->disks[i], BLOCKDEV_SECTOR, "sector");
        ide_attach_disk(pc->ide, i / 2, i % 2, pc->disks[i]);
    }
    if (pc->cfg.empty_drives && !pc->cfg.fd[0])
        fdc_add_drive(pc->fdc, 0, FDC_TYPE_1M44);
    if (pc->cfg.cdrom || pc->cfg.empty_drives) {
        unsigned slot = 2;
        while (slot < PC_MAX_DISKS && pc->cfg.hd[slot])
            slot++;
        if (slot == PC_MAX_DISKS && !pc->cfg.cdrom)
            return 0; /* no room for an empty CD-ROM drive: none */
        if (slot == PC_MAX_DISKS) {
            *err = g_strdup("--cdrom: all four IDE slots hold disks");
            return -1;
        }
        if (pc->cfg.cdrom) {
            pc->disks[PC_MAX_DISKS] = g_new0(struct blockdev, 1);
            if (blockdev_open(pc->disks[PC_MAX_DISKS], pc->cfg.cdrom, BLOCKDEV_RO, NULL, err) < 0)
                return -1;
            pc_warn_partial_block(pc->disks[PC_MAX_DISKS], PC_CDROM_BLOCK, "CD-ROM block");
        }
        ide_attach_cdrom(pc->ide, slot / 2, slot % 2, pc->disks[PC_MAX_DISKS]);
        pc->cdrom_slot = slot;
    }
    return 0;
}

/* What SeaBIOS learns through fw_cfg: RAM, its e820 map, and the ACPI tables. */
static void pc_fw_cfg_init(struct pc *pc)
{
    struct fw_cfg *fw = pc->fw_cfg;
    fw_cfg_add_u64(fw, FW_CFG_RAM_SIZE, pc->m.ram_size);
    fw_cfg_add_u16(fw, FW_CFG_NB_CPUS, 1);
    fw_cfg_add_u16(fw, FW_CFG_MAX_CPUS, 1);
    fw_cfg_add_u16(fw, FW_CFG_BOOT_MENU, 0);
    /* The MP table SeaBIOS builds routes IRQ 0 to I/O APIC pin 2, as the board wires it. */
    static const uint32_t irq0_override = 1;
    fw_cfg_add_file(fw, "etc/irq0-override", &irq0_override, sizeof(irq0_override));
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
    /* ACPI tables, from what this board has (pc_devices_init). */
    acpi_install(fw, &(struct acpi_board){
                         .ram_size = pc->m.ram_size,
                         .lapic_base = LAPIC_DEFAULT_BASE,
                         .ioapic_base = IOAPIC_BASE,
                         .pm_base = ACPI_PM_BASE,
                         .sci_irq = PC_SCI_IRQ,
                         .reset_port = 0xcf9, /* the PIIX3's reset control register */
                         .reset_value = 0x06, /* hard reset: SYS_RST | RST_CPU */
                         .com1 = pc->com1 != NULL,
                     });
}

/*
 * The standard VGA on PCI with the VGA BIOS in its expansion ROM, where
 * SeaBIOS finds it and runs it as the device's option ROM (so the VGA BIOS
 * learns which device it drives and where its framebuffer BAR is).
 */
static void pc_vga_init(struct pc *pc)
{
    char *path = firmware_vga_bios(pc->cfg.bios);
    char *rom = NULL;
    gsize rom_len = 0;
    if (!path || !g_file_get_contents(path, &rom, &rom_len, NULL) || rom_len > VGA_PCI_ROM_MAX) {
        g_printerr("popek: warning: no VGA BIOS (vgabios-stdvga.bin) found: the screen stays "
                   "blank\n");
        rom_len = 0;
    }
    pc->vga = vga_create(&pc->m);
    pc->vga_pci = vga_pci_create(&pc->m, pc->pci, 2, pc->vga, rom, rom_len);
    g_free(rom);
    g_free(path);
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

    /*
     * Interrupts and timers: the CPU takes interrupts from its local APIC,
     * which passes the 8259's through LINT0; ISA lines also reach the I/O APIC.
     */
    pc->pic = pic_create(m);
    pc->lapic = lapic_create(m, &(struct lapic_callbacks){lapic_nmi, lapic_eoi, pc},
                             &(struct lapic_extint){pic_pending, pic_acknowledge, pc->pic});
    pc->cpu->irq = (struct cpu_irq_source){lapic_pending, lapic_acknowledge, pc->lapic};
    pc->cpu->apic_base = (struct cpu_apic_base){lapic_get_base, lapic_set_base, pc->lapic};
    pc->ioapic = ioapic_create(m, &(struct ioapic_callbacks){ioapic_deliver, pc});
    struct irq_line irq[16];
    for (unsigned i = 0; i < 16; i++)
        irq[i] = (struct irq_line){isa_irq_set, pc, i};
    pc->cpu->ferr = fpu_ferr;
    pc->cpu->ferr_opaque = pc;
    if (iobus_register(&m->io, "fpu-error", 0xf0, 1, &port_f0_ops, pc) < 0)
        g_error("port 0xF0 is taken");
    pc->pit = pit_create(m, &irq[0]);
    pc->port61 = port61_create(m, pc->pit);
    pc->rtc = rtc_create(m, &irq[8]);
    pc->dma = dma_create(m);
    pc->acpi_pm = acpi_pm_create(m, ACPI_PM_BASE, &irq[PC_SCI_IRQ],
                                 &(struct acpi_pm_callbacks){acpi_power_off, pc});
    pc->fdc = fdc_create(m, pc->dma, &irq[6]);

    /* Keyboard, mouse and serial port. */
    pc->kbc = i8042_create(m, &irq[1], &irq[12],
                           &(struct i8042_callbacks){kbc_a20, reset_from_device, pc});
    pc->com1 = uart_create(m, 0x3f8, &irq[4], &(struct uart_backend){serial_write, pc});

    /* PCI: host bridge, PIIX3 (ISA bridge and IDE), VGA. */
    pc->pci = pci_bus_create(m, reset_from_device, pc);
    size_t low = MIN(pc->fw.size, (size_t)FIRMWARE_LOW_MAX);
    pc->host = i440fx_create(m, pc->pci, pc->fw.image + pc->fw.size - low, low);
    pc->ide = ide_create(m, &irq[14], &irq[15]);
    pc->piix = piix3_create(pc->pci, bmdma_map, pc);
    pc_vga_init(pc);
    if (pc->cfg.net) {
        static const uint8_t mac[6] = NE2000_DEFAULT_MAC;
        struct irq_line inta = pc_pci_irq_line(pc, PC_NIC_SLOT, 0);
        pc->nic = ne2000_create(m, &inta, mac, nic_send, pc);
        pc->nic_pci = ne2000_pci_create(pc->pci, PC_NIC_SLOT, pc->nic);
    }

    pc->fw_cfg = fw_cfg_create(m);
    pc_fw_cfg_init(pc);
}

/* --kernel: hand the kernel, initrd and command line to the boot ROM. */
static int pc_kernel_init(struct pc *pc, char **err)
{
    if (!pc->cfg.kernel)
        return 0;
    struct kernel_boot b = {.kernel = pc->cfg.kernel, .cmdline = pc->cfg.append};
    char *initrd = NULL;
    gsize len = 0;
    GError *gerr = NULL;
    if (pc->cfg.initrd && !g_file_get_contents(pc->cfg.initrd, &initrd, &len, &gerr)) {
        *err = g_strdup_printf("--initrd: %s", gerr->message);
        g_error_free(gerr);
        return -1;
    }
    b.initrd_data = (const uint8_t *)initrd;
    b.initrd_len = len;
    int rc = kernel_boot_setup(pc->fw_cfg, &b, pc->m.ram_size, err);
    g_free(initrd);
    return rc;
}

/* A timer armed inside a slice, due before the slice ends: end it there. */
static void pc_kick_cpu(void *opaque)
{
    cpu_request_exit(opaque);
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
    vclock_drive(&pc->m.clock, &pc->cpu->instructions); /* guest time follows guest code */
    vclock_set_kick(&pc->m.clock, pc_kick_cpu, pc->cpu);
    pc->tr = translator_create(pc->cpu, cfg->translator);
    pc_devices_init(pc);
    if (pc_storage_init(pc, err) < 0 || pc_kernel_init(pc, err) < 0) {
        pc_destroy(pc);
        return -1;
    }
    pc_cmos_init(pc); /* after the drives are attached: CMOS holds their types */
    pc_reset(pc);
    return 0;
}

void pc_reset(struct pc *pc)
{
    pc->reset_requested = false;
    port92_reset(pc->port92);
    pic_reset(pc->pic);
    lapic_reset(pc->lapic);
    ioapic_reset(pc->ioapic);
    pit_reset(pc->pit);
    port61_reset(pc->port61);
    rtc_reset(pc->rtc);
    dma_reset(pc->dma);
    acpi_pm_reset(pc->acpi_pm);
    fdc_reset(pc->fdc);
    i8042_reset(pc->kbc);
    uart_reset(pc->com1);
    i440fx_reset(pc->host);
    piix3_reset(pc->piix);
    ide_reset(pc->ide);
    vga_reset(pc->vga);
    vga_pci_reset(pc->vga_pci);
    if (pc->nic) {
        ne2000_pci_reset(pc->nic_pci);
        ne2000_reset(pc->nic);
    }
    /* A20 is enabled after reset: the keyboard controller's output port has it set. */
    pc->a20_kbc = true;
    pc->a20_port92 = false;
    update_a20(pc);
    cpu_reset(pc->cpu);
}

void pc_poll_serial(struct pc *pc)
{
    if (pc->com1)
        uart_tx_resume(pc->com1);
}

size_t pc_serial_receive(struct pc *pc, const uint8_t *buf, size_t len)
{
    return pc->com1 ? uart_receive(pc->com1, buf, len) : 0;
}

void pc_destroy(struct pc *pc)
{
    fw_cfg_destroy(pc->fw_cfg);
    vga_pci_destroy(pc->vga_pci);
    if (pc->nic) {
        ne2000_pci_destroy(pc->nic_pci);
        ne2000_destroy(pc->nic);
    }
    vga_destroy(pc->vga);
    piix3_destroy(pc->piix);
    ide_destroy(pc->ide);
    i440fx_destroy(pc->host);
    pci_bus_destroy(pc->pci);
    uart_destroy(pc->com1);
    i8042_destroy(pc->kbc);
    fdc_destroy(pc->fdc);
    dma_destroy(pc->dma);
    acpi_pm_destroy(pc->acpi_pm);
    for (unsigned i = 0; i < 2; i++) {
        if (pc->floppies[i]) {
            blockdev_close(pc->floppies[i]);
            g_free(pc->floppies[i]);
        }
    }
    rtc_destroy(pc->rtc);
    port61_destroy(pc->port61);
    pit_destroy(pc->pit);
    ioapic_destroy(pc->ioapic);
    lapic_destroy(pc->lapic);
    pic_destroy(pc->pic);
    for (unsigned i = 0; i <= PC_MAX_DISKS; i++) {
        if (pc->disks[i]) {
            blockdev_close(pc->disks[i]);
            g_free(pc->disks[i]);
        }
    }
    port92_destroy(pc->port92);
    translator_destroy(pc->tr);
    cpu_destroy(pc->cpu);
    smmu_destroy(pc->mmu);
    firmware_free(&pc->fw);
    machine_destroy(&pc->m);
}
