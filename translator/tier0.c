/*
 * Tier 0: a block is the guest instructions from one EIP to the first that
 * ends a block (or the page end, or BLOCK_MAX_INSNS), decoded once into
 * records that the interpreter's handlers run. Every block starts here; it
 * is the reference every faster tier agrees with.
 */
#include "translator/internal.h"

#include <glib.h>

#include "machine/machine.h"

/*
 * An instruction that crosses into the next page: fetched through the MMU
 * (either half may fault) and run as a block of its own that is not cached.
 */
struct block *tier0_cross_page(struct translator *t, uint32_t lin, uint32_t eip)
{
    struct cpu *cpu = t->cpu;
    uint8_t bytes[15];
    /* Only reached when the instruction runs past the page end: both pages are needed. */
    for (unsigned i = 0; i < sizeof(bytes); i++)
        bytes[i] = (uint8_t)cpu_read_slow(cpu, lin + i, 1, SMMU_FETCH);
    struct block *b = t->scratch_block;
    b->lin = lin;
    b->cs_base = cpu->seg[S_CS].base;
    b->n = 1;
    cpu_decode(cpu, bytes, sizeof(bytes), &b->insns[0]);
    cpu_finish_record(cpu, &b->insns[0], eip);
    return b;
}

/* Decode the block at CS:EIP (physical `phys`) and insert it; NULL if it crosses a page. */
struct tb *tier0_build(struct translator *t, uint32_t lin, uint64_t phys)
{
    struct cpu *cpu = t->cpu;
    gint64 t0 = g_get_monotonic_time();
    struct insn buf[BLOCK_MAX_INSNS];
    unsigned n = 0, off = 0, page_left = SMMU_PAGE_SIZE - (lin & 0xfff);
    uint32_t eip = cpu->eip;
    while (n < BLOCK_MAX_INSNS && off < page_left) {
        uint8_t bytes[15];
        unsigned avail = MIN(15u, page_left - off);
        memmap_read_buf(&cpu->machine->mem, phys + off, bytes, avail);
        int rc = cpu_decode(cpu, bytes, avail, &buf[n]);
        if (rc == -2)
            break; /* crosses the page end: the next block starts with it */
        bool ends = cpu_finish_record(cpu, &buf[n], (eip + off) & t->c->eip_mask);
        off += buf[n].len;
        n++;
        if (ends)
            break;
    }
    if (n == 0)
        return NULL;
    struct block *b = g_malloc0(sizeof(*b) + n * sizeof(struct insn));
    b->lin = lin;
    b->cs_base = cpu->seg[S_CS].base;
    b->n = n;
    memcpy(b->insns, buf, n * sizeof(struct insn));
    struct tb proto = {
        .phys = phys,
        .mode = t->c->mode,
        .eip = eip,
        .cs_limit = cpu->seg[S_CS].limit,
        .bytes = (uint16_t)off,
        .ninsns = (uint16_t)n,
        .payload = b,
    };
    struct tb *tb = tcache_insert(t->tc, &proto);
    t->need_collect = true; /* a full cache was flushed to make room */
    tcache_stats(t->tc)->decode_ns += (uint64_t)(g_get_monotonic_time() - t0) * 1000;
    return tb;
}

/* Run the instructions of one block (at most `limit`). */
void tier0_run(struct translator *t, const struct block *b, uint64_t limit)
{
    struct cpu *cpu = t->cpu;
    struct cpu_internal *c = t->c;
    const struct insn *in = b->insns;
    unsigned n = b->n < limit ? b->n : (unsigned)limit;
    uint32_t eip = cpu->eip;
    bool check_stop = cpu->stop_eip_enabled;
    bool check_bp = c->nbreakpoints != 0;
    for (unsigned i = 0; i < n; i++, in++) {
        if (check_stop && i > 0 && eip == cpu->stop_eip)
            break;
        if (check_bp && i > 0 && cpu_breakpoint_at(cpu, cpu->seg[S_CS].base + eip))
            break; /* the loop stops there */
        c->insn_eip = eip;
        cpu->eip = (eip + in->len) & c->eip_mask;
        c->touched_devices = false;
        in->fn(cpu, in);
        cpu->instructions++;
        eip = cpu->eip;
        if (c->block_dirty)
            break;
        /* A device it reached may have raised an interrupt: taken before the next instruction
           (unless it is in the shadow of STI or MOV SS), as tier 1's helpers leave for it. */
        if (c->touched_devices && !c->inhibit_irq && cpu_interrupt_waiting(cpu))
            break;
    }
}
