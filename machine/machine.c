/*
 * Building and tearing down a machine: guest RAM and the buses.
 */
#include "machine/machine.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

int machine_init(struct machine *m, const struct machine_config *cfg)
{
    memset(m, 0, sizeof(*m));
    if (cfg->ram_mb < MACHINE_RAM_MIN_MB || cfg->ram_mb > MACHINE_RAM_MAX_MB)
        return -EINVAL;

    /* Anonymous mappings are page-aligned and zero-filled on first touch. */
    uint64_t size = (uint64_t)cfg->ram_mb << 20;
    void *ram = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ram == MAP_FAILED)
        return -ENOMEM;
    m->ram = ram;
    m->ram_size = size;

    memmap_init(&m->mem);
    iobus_init(&m->io);
    vclock_init(&m->clock, cfg->manual_clock);
    m->ram_region = memmap_add_ram(&m->mem, "ram", 0, size, m->ram, 0);
    return 0;
}

void machine_destroy(struct machine *m)
{
    memmap_destroy(&m->mem);
    if (m->ram)
        munmap(m->ram, m->ram_size);
    memset(m, 0, sizeof(*m));
}
