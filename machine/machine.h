/*
 * struct machine: one guest PC. It owns guest RAM and the two buses every
 * device hangs off; every module reaches the machine through a pointer to
 * it, and nothing in popek keeps machine state anywhere else, so any number
 * of machines can live in one process.
 */
#ifndef POPEK_MACHINE_MACHINE_H
#define POPEK_MACHINE_MACHINE_H

#include <stdbool.h>
#include <stdint.h>

#include "machine/iobus.h"
#include "machine/memmap.h"
#include "machine/vclock.h"

#define MACHINE_RAM_MIN_MB     1u
#define MACHINE_RAM_MAX_MB     3072u /* RAM stays below the PCI hole at 3 GiB */
#define MACHINE_RAM_DEFAULT_MB 64u

struct machine_config {
    uint32_t ram_mb;   /* guest RAM in MiB, MACHINE_RAM_MIN_MB..MACHINE_RAM_MAX_MB */
    bool manual_clock; /* tests: virtual time moves only through vclock_advance */
};

struct machine {
    uint8_t *ram;      /* guest RAM, page-aligned, guest-physical 0 up */
    uint64_t ram_size; /* bytes */
    struct mem_region *ram_region;
    struct memmap mem;   /* guest-physical address space */
    struct iobus io;     /* I/O-port space */
    struct vclock clock; /* virtual time and device timers */
};

/*
 * Build a machine. Returns 0, -EINVAL for a RAM size out of range, or
 * -ENOMEM when the host cannot give the guest its RAM.
 */
int machine_init(struct machine *m, const struct machine_config *cfg);
void machine_destroy(struct machine *m);

#endif
