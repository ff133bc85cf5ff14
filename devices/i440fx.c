/*
 * i440FX host bridge and PAM (see i440fx.h).
 */
#include "devices/i440fx.h"

#include <glib.h>

#include "machine/machine.h"

#define PAM0  0x59 /* PAM0-PAM6 at 0x59-0x5F */
#define SMRAM 0x72
#define NSEG  13 /* F0000 (64 KiB), then C0000-EFFFF in 16 KiB pieces */

#define PAM_RE 0x1 /* read enable: reads go to DRAM */
#define PAM_WE 0x2 /* write enable: writes go to DRAM */

/* One PAM-controlled range and the two regions that realize its states. */
struct pam_segment {
    uint32_t base, size;
    struct mem_region *ram_rw; /* RE|WE: DRAM (above the BIOS alias) */
    struct mem_region *ram_ro; /* RE only: DRAM, read-only */
    struct mem_region *isa;    /* RE clear: the ISA side for reads, DRAM or nothing for writes */
    unsigned attr;             /* current PAM_RE | PAM_WE */
    struct i440fx *h;
};

struct i440fx {
    struct pci_function fn;
    struct machine *m;
    const uint8_t *rom_low; /* the BIOS as the ISA side shows it below 1 MiB */
    size_t rom_low_size;
    struct pam_segment seg[NSEG];
};

/* The ISA side of the first megabyte: the BIOS alias, else an empty bus. */
static uint8_t isa_byte(const struct i440fx *h, uint64_t paddr)
{
    uint64_t start = 0x100000 - h->rom_low_size;
    if (paddr >= start && paddr < 0x100000)
        return h->rom_low[paddr - start];
    return 0xff;
}

static uint32_t isa_read(void *opaque, uint64_t off, unsigned size)
{
    struct pam_segment *s = opaque;
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)isa_byte(s->h, s->base + off + i) << (8 * i);
    return v;
}

static void isa_write(void *opaque, uint64_t off, uint32_t v, unsigned size)
{
    struct pam_segment *s = opaque;
    if (!(s->attr & PAM_WE))
        return; /* to the ISA side: nothing there takes writes */
    struct machine *m = s->h->m;
    uint64_t p = s->base + off;
    for (unsigned i = 0; i < size; i++) {
        if (p + i < m->ram_size)
            m->ram[p + i] = (uint8_t)(v >> (8 * i));
    }
    /* DRAM changed behind the map's back: tell whoever watches RAM (decoded code). */
    if (m->mem.write_hook)
        m->mem.write_hook(m->mem.write_hook_opaque, p, size);
}

static const struct mmio_ops isa_ops = {isa_read, isa_write, MEM_SIZE_2 | MEM_SIZE_4};

static unsigned segment_attr(const struct i440fx *h, unsigned i)
{
    /* Segment 0 is PAM0's high nibble; segment k >= 1 is PAM((k+1)/2), low nibble when k odd. */
    if (i == 0)
        return (h->fn.cfg[PAM0] >> 4) & 3;
    uint8_t reg = h->fn.cfg[PAM0 + (i + 1) / 2];
    return ((i & 1) ? reg : reg >> 4) & 3;
}

static void pam_update(struct i440fx *h)
{
    for (unsigned i = 0; i < NSEG; i++) {
        struct pam_segment *s = &h->seg[i];
        unsigned attr = segment_attr(h, i);
        if (attr == s->attr)
            continue;
        s->attr = attr;
        /* RE|WE: DRAM. RE: read-only DRAM. Else the ISA side for reads. */
        memmap_set_enabled(&h->m->mem, s->ram_rw, attr == (PAM_RE | PAM_WE));
        memmap_set_enabled(&h->m->mem, s->ram_ro, attr == PAM_RE);
        memmap_set_enabled(&h->m->mem, s->isa, !(attr & PAM_RE));
    }
}

static void config_written(struct pci_function *f, unsigned offset, unsigned size)
{
    struct i440fx *h = f->opaque;
    if (offset < PAM0 + 7 && offset + size > PAM0)
        pam_update(h);
}

struct i440fx *i440fx_create(struct machine *m, struct pci_bus *bus, const uint8_t *rom_low,
                             size_t rom_low_size)
{
    struct i440fx *h = g_new0(struct i440fx, 1);
    h->m = m;
    h->rom_low = rom_low;
    h->rom_low_size = rom_low_size;
    pci_function_init(&h->fn, 0x8086, 0x1237, 0x060000, 0x02);
    for (unsigned i = 0; i < 7; i++)
        h->fn.wmask[PAM0 + i] = i == 0 ? 0x30 : 0x33;
    h->fn.wmask[SMRAM] = 0x78;
    for (unsigned r = 0x50; r < 0x58; r++)
        h->fn.wmask[r] = 0xff; /* PMC configuration and DRAM control: kept as written */
    h->fn.config_written = config_written;
    h->fn.opaque = h;
    for (unsigned i = 0; i < NSEG; i++) {
        struct pam_segment *s = &h->seg[i];
        s->h = h;
        s->base = i == 0 ? 0xf0000 : 0xc0000 + (i - 1) * 0x4000;
        s->size = i == 0 ? 0x10000 : 0x4000;
        s->ram_rw = memmap_add_ram(&m->mem, "pam-rw", s->base, s->size, m->ram + s->base, 2);
        s->ram_ro = memmap_add_rom(&m->mem, "pam-ro", s->base, s->size, m->ram + s->base, 2);
        s->isa = memmap_add_mmio(&m->mem, "pam-isa", s->base, s->size, &isa_ops, s, 2);
        s->attr = 0xff; /* forces the first update */
    }
    pci_bus_attach(bus, 0, 0, &h->fn);
    i440fx_reset(h);
    return h;
}

void i440fx_reset(struct i440fx *h)
{
    for (unsigned i = 0; i < 7; i++)
        h->fn.cfg[PAM0 + i] = 0;
    h->fn.cfg[SMRAM] = 0x02;
    pci_cfg_set16(&h->fn, PCI_COMMAND, 0x0006);
    pam_update(h);
}

void i440fx_destroy(struct i440fx *h)
{
    g_free(h);
}
