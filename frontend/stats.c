/*
 * --stats output (see stats.h).
 */
#include "frontend/stats.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "devices/ne2000.h"
#include "devices/vga.h"
#include "machine/pc/pc.h"
#include "shadowmmu/shadowmmu.h"
#include "translator/tcache.h"

struct counter {
    const char *name;
    uint64_t value;
};

void stats_write(FILE *out, struct pc *pc, double seconds, int json)
{
    const struct tc_stats *tc = tcache_stats(cpu_tcache(pc->cpu));
    const struct smmu_stats *mm = smmu_get_stats(pc->mmu);
    /* The network adapter's counters come last, and only with --net. */
    const struct ne2000_stats no_nic = {0}, *nic = pc->nic ? ne2000_get_stats(pc->nic) : &no_nic;
    const struct counter c[] = {
        {"cpu.instructions", pc->cpu->instructions},
        {"cpu.interrupts", pc->cpu->interrupts},
        {"cpu.cs", pc->cpu->seg[S_CS].selector},
        {"cpu.eip", pc->cpu->eip},
        {"cpu.cpl", (uint64_t)pc->cpu->cpl},
        {"tcache.blocks_decoded", tc->blocks},
        {"tcache.insns_decoded", tc->insns},
        {"tcache.lookups", tc->lookups},
        {"tcache.hits", tc->hits},
        {"tcache.chains", tc->chains},
        {"tcache.live_blocks", tc->live_blocks},
        {"tcache.live_bytes", tc->live_bytes},
        {"tcache.dropped_write", tc->dropped[TC_DROP_WRITE]},
        {"tcache.dropped_dma", tc->dropped[TC_DROP_DMA]},
        {"tcache.dropped_flush", tc->dropped[TC_DROP_FLUSH]},
        {"tcache.decode_ns", tc->decode_ns},
        {"mmu.walks", mm->walks},
        {"mmu.fills", mm->fills},
        {"mmu.faults", mm->faults},
        {"mmu.flush_cr3", mm->flushes[SMMU_FLUSH_CR3]},
        {"mmu.flush_invlpg", mm->flushes[SMMU_FLUSH_INVLPG]},
        {"mmu.flush_paging_mode", mm->flushes[SMMU_FLUSH_PAGING_MODE]},
        {"mmu.flush_a20", mm->flushes[SMMU_FLUSH_A20]},
        {"mmu.flush_memmap", mm->flushes[SMMU_FLUSH_MEMMAP]},
        {"mmu.watch_hits", mm->watch_hits},
        {"nic.rx_packets", nic->rx_packets},
        {"nic.rx_bytes", nic->rx_bytes},
        {"nic.rx_dropped", nic->rx_dropped},
        {"nic.tx_packets", nic->tx_packets},
        {"nic.tx_bytes", nic->tx_bytes},
        {"nic.tx_errors", nic->tx_errors},
    };
    size_t n = G_N_ELEMENTS(c) - (pc->nic ? 0 : 6);
    /* The top of the guest's stack (16-bit words), for a look at where it is stuck. */
    char stack[128] = "";
    uint16_t words[8] = {0};
    uint32_t sp = pc->cpu->regs[R_ESP] & ((pc->cpu->seg[S_SS].attr & SEG_ATTR_DB) ? ~0u : 0xffffu);
    size_t got = smmu_probe_read(pc->mmu, pc->cpu->seg[S_SS].base + sp, words, sizeof(words));
    for (size_t i = 0; i < got / 2; i++)
        g_snprintf(stack + strlen(stack), sizeof(stack) - strlen(stack), "%s%04x", i ? " " : "",
                   words[i]);
    if (json) {
        fprintf(out, "{\n  \"seconds\": %.3f", seconds);
        for (size_t i = 0; i < n; i++)
            fprintf(out, ",\n  \"%s\": %" G_GUINT64_FORMAT, c[i].name, c[i].value);
        fprintf(out, ",\n  \"cpu.stack\": \"%s\",\n  \"screen.text\": [", stack);
        char row[256];
        for (unsigned r = 0; vga_text_row(pc->vga, r, row, sizeof(row)); r++) {
            fprintf(out, "%s\n    \"", r ? "," : "");
            for (const char *ch = row; *ch; ch++)
                fprintf(out, (*ch == '"' || *ch == '\\') ? "\\%c" : "%c", *ch);
            fprintf(out, "\"");
        }
        fprintf(out, "]\n}\n");
        return;
    }
    fprintf(out, "popek statistics after %.3f s:\n", seconds);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "  %-24s %" G_GUINT64_FORMAT "\n", c[i].name, c[i].value);
    fprintf(out, "  %-24s %s\n", "cpu.stack", stack);
    /* In a text mode, the screen (rows with something on them). */
    char row[256];
    for (unsigned r = 0; vga_text_row(pc->vga, r, row, sizeof(row)); r++) {
        if (strspn(row, " ") != strlen(row))
            fprintf(out, "  screen %2u | %s\n", r, row);
    }
}

int stats_save(const char *path, struct pc *pc, double seconds, char **err)
{
    if (!path) {
        stats_write(stderr, pc, seconds, 0);
        return 0;
    }
    FILE *f = fopen(path, "w");
    if (!f) {
        *err = g_strdup_printf("stats: cannot write %s: %s", path, g_strerror(errno));
        return -1;
    }
    stats_write(f, pc, seconds, g_str_has_suffix(path, ".json"));
    if (fclose(f) != 0) {
        *err = g_strdup_printf("stats: cannot write %s: %s", path, g_strerror(errno));
        return -1;
    }
    return 0;
}
