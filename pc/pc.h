/*
 * The PC board: one machine with its firmware, shadow MMU, vCPU and
 * devices, wired in one readable place (pc.c), and the run loop that
 * interleaves the vCPU with virtual time and host events (run.c).
 */
#ifndef POPEK_PC_PC_H
#define POPEK_PC_PC_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/debugdev.h"
#include "machine/machine.h"
#include "pc/firmware.h"

struct cpu;
struct translator;
struct translator_config;
struct shadowmmu;
struct pci_bus;
struct i440fx;
struct piix3;
struct fw_cfg;
struct port92;
struct pic;
struct acpi_pm;
struct lapic;
struct ioapic;
struct pit;
struct port61;
struct rtc;
struct i8042;
struct uart;
struct ide;
struct vga;
struct vga_pci;
struct dma;
struct fdc;
struct blockdev;
struct ne2000;
struct ne2000_pci;

/* Where guest byte streams go: a callback and its opaque pointer. */
struct pc_byte_sink {
    void (*write)(void *opaque, const uint8_t *buf, size_t len);
    void *opaque;
};

/*
 * Where COM1's output goes. write takes what it can without waiting and
 * returns how many bytes it took (the UART holds the rest and offers it
 * again between CPU slices). NULL write: output discarded. Host input has
 * one way in: pc_serial_receive, from a pc poller of the frontend.
 */
struct pc_serial_backend {
    size_t (*write)(void *opaque, const uint8_t *buf, size_t len);
    void *opaque;
};

#define PC_MAX_DISKS 4
#define PC_SCI_IRQ   9 /* the ACPI SCI's ISA IRQ (as on QEMU's PIIX4 PM) */

struct pc_config {
    uint32_t ram_mb;
    const char *bios;                /* firmware image path */
    const char *hd[PC_MAX_DISKS];    /* IDE disks: primary master, slave, secondary master, slave */
    const char *cdrom;               /* ATAPI CD-ROM image (the first free IDE slot from 2 on) */
    const char *fd[2];               /* floppy images, drives A: and B: */
    bool snapshot;                   /* never write disk images */
    bool empty_drives;               /* empty floppy A: and CD-ROM drives where none is given */
    const char *boot;                /* boot order letters a, c, d (NULL: "cd") */
    const char *kernel;              /* direct boot: a bzImage or Multiboot kernel (NULL: none) */
    const char *initrd;              /* with kernel: initrd (Linux) or module (Multiboot) */
    const char *append;              /* with kernel: its command line */
    struct pc_serial_backend serial; /* COM1's output (input: pc_serial_receive) */
    bool debug_exit;                 /* isa-debug-exit at 0xF4 */
    bool no_reboot;                  /* exit instead of resetting */
    double timeout;                  /* seconds of host time, 0 = none */
    struct pc_byte_sink debugcon;    /* ports 0xE9/0x402; write NULL = discard */
    const char *net;                 /* --net spec: an NE2000 (RTL8029AS) on PCI when set */
    struct pc_byte_sink net_tx;      /* frames the NIC transmits; write NULL = discard */
    const struct translator_config *translator; /* tiers and code buffer (NULL: defaults) */
};

/* How a run ended; pc_run returns the process exit status for it. */
enum pc_stop {
    PC_STOP_NONE,
    PC_STOP_DEBUG_EXIT, /* the guest wrote to isa-debug-exit */
    PC_STOP_TIMEOUT,    /* --timeout expired: status 124 */
    PC_STOP_RESET,      /* reset or triple fault with --no-reboot: status 0 */
    PC_STOP_QUIT,       /* the user quit (window closed, Ctrl+C, debugger kill): status 0 */
    PC_STOP_POWEROFF,   /* the guest powered off through ACPI: status 0 */
};

/*
 * Host-side work the run loop does between CPU slices, and every few
 * milliseconds while the guest is paused or halted: the window, the gdb
 * stub, terminal input. `paused` says whether the guest is paused.
 */
#define PC_MAX_POLLERS 8
struct pc_poller {
    void (*poll)(void *opaque, bool paused);
    void *opaque;
};

struct pc {
    struct machine m;
    struct firmware fw;
    struct shadowmmu *mmu;
    struct cpu *cpu;
    struct translator *tr; /* runs the CPU */
    struct debugcon debugcon;
    struct debug_exit debug_exit;
    struct post_port post;
    struct pci_bus *pci;
    struct i440fx *host;
    struct piix3 *piix;
    struct fw_cfg *fw_cfg;
    struct port92 *port92;
    struct pic *pic;
    struct lapic *lapic;
    struct ioapic *ioapic;
    struct pit *pit;
    struct port61 *port61;
    struct rtc *rtc;
    struct i8042 *kbc;
    struct uart *com1;
    struct ide *ide;
    struct vga *vga;
    struct vga_pci *vga_pci;
    struct dma *dma;
    struct acpi_pm *acpi_pm;
    struct fdc *fdc;
    struct ne2000 *nic; /* NULL: no network */
    struct ne2000_pci *nic_pci;
    struct blockdev *disks[PC_MAX_DISKS + 1]; /* open images (NULL: none) */
    struct blockdev *floppies[2];
    unsigned cdrom_slot;      /* IDE slot of the CD-ROM drive (channel * 2 + unit); 0: none */
    uint32_t pci_pirq[4];     /* per PIRQA-D: the PCI slots asserting it */
    uint16_t pci_irqs;        /* the PIC inputs PCI interrupts drive high */
    bool a20_kbc, a20_port92; /* the two A20 gate inputs, ORed */
    bool reset_requested;     /* a guest asked for a reset: done between CPU slices */
    bool paused;              /* the CPU does not run (a debugger, the user) */
    bool debugger_hold;       /* paused by a debugger, until it resumes the guest */
    struct pc_poller pollers[PC_MAX_POLLERS];
    unsigned npollers;
    struct pc_config cfg;
    enum pc_stop stop;
    int exit_status; /* with PC_STOP_DEBUG_EXIT */
};

/* Build the board. Returns 0, or -1 with *err a one-line message. */
int pc_init(struct pc *pc, const struct pc_config *cfg, char **err);
void pc_destroy(struct pc *pc);

/* Power-on or reset state of the whole machine (CPU and devices). */
void pc_reset(struct pc *pc);

/* A guest-requested reset (port 0x92, 0xCF9, keyboard controller, triple fault). */
void pc_request_reset(struct pc *pc);

/* Register host-side work for the run loop (see struct pc_poller). 0, or -1 when full. */
int pc_add_poller(struct pc *pc, void (*poll)(void *opaque, bool paused), void *opaque);

/* Pause or resume the guest; stop the run (pc_run returns `why`'s status). */
void pc_set_paused(struct pc *pc, bool paused);
void pc_stop(struct pc *pc, enum pc_stop why);

/* Between CPU slices: COM1 carries on transmitting what its backend could not take yet. */
void pc_poll_serial(struct pc *pc);

/* Give COM1 received bytes; returns how many its FIFO took (the rest: try again later). */
size_t pc_serial_receive(struct pc *pc, const uint8_t *buf, size_t len);

/*
 * An image that ends inside a sector (unit 512) or CD-ROM block (unit PC_CDROM_BLOCK): one warning
 * line that the guest sees the whole ones only (at start, and for media changed at run time).
 */
#define PC_CDROM_BLOCK 2048
void pc_warn_partial_block(const struct blockdev *bd, unsigned unit, const char *what);

/* The removable drives, for media changes while the guest runs (media.c). */
enum pc_drive { PC_DRIVE_FDA, PC_DRIVE_FDB, PC_DRIVE_CDROM, PC_DRIVES };

/* The drive's name as the monitor spells it ("fda", "fdb", "cdrom"), and back (-1: none). */
const char *pc_drive_name(enum pc_drive drive);
int pc_drive_by_name(const char *name);

/*
 * Put the image at `path` into `drive` (NULL: take the medium out), between CPU slices. The
 * guest sees the change as a real drive shows it: the floppy's disk-change line, the CD-ROM's
 * UNIT ATTENTION. Returns 0, or -1 with *err a one-line message (no such drive, an image the
 * drive cannot take, a tray the guest locked); the old medium then stays in.
 */
int pc_change_media(struct pc *pc, enum pc_drive drive, const char *path, char **err);

/* Run until the guest or a limit stops it; returns the exit status. */
int pc_run(struct pc *pc);

#endif
