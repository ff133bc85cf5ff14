/*
 * --stats output (see stats.h): one formatter, stats_format, for the
 * report at exit, the monitor's `stats` and the window's overlay. The text
 * is for people (selectors and addresses in hex, the run's MIPS), the JSON
 * for programs (plain numbers, the screen's rows without their padding).
 */
#include "frontend/stats.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "devices/lapic.h"
#include "devices/ne2000.h"
#include "devices/vga.h"
#include "pc/pc.h"
#include "shadowmmu/shadowmmu.h"
#include "translator/tcache.h"
#include "translator/translator.h"

struct counter {
    const char *name;
    uint64_t value;
};

/* A figure derived from the counters (a rate or a mean), shown after them. */
struct ratio {
    const char *name;
    double value;
};

#define RATIOS 5

static double percent(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0;
}

static double mean(uint64_t sum, uint64_t count)
{
    return count ? (double)sum / (double)count : 0;
}

/*
 * What a person reads the counters for: the translation cache's hit rate
 * and block length, and with tier 1 its blocks' length, how much of them
 * is host instructions and how full the code buffer is. Returns how many.
 */
static size_t ratios(struct pc *pc, struct ratio *r)
{
    const struct tc_stats *tc = tcache_stats(translator_tcache(pc->tr));
    const struct translator_stats *ts = translator_stats(pc->tr);
    size_t n = 0;
    r[n++] = (struct ratio){"ratio.tc_hit_percent", percent(tc->hits, tc->lookups)};
    r[n++] = (struct ratio){"ratio.tc_insns_per_block", mean(tc->insns, tc->blocks)};
    if (ts->tier == 0)
        return n;
    r[n++] = (struct ratio){"ratio.t1_insns_per_block", mean(ts->insns, ts->blocks)};
    r[n++] = (struct ratio){"ratio.t1_native_percent", percent(ts->native_insns, ts->insns)};
    r[n++] = (struct ratio){"ratio.t1_fill_percent", percent(ts->code_bytes, ts->code_capacity)};
    g_assert(n <= RATIOS);
    return n;
}

/* A selector (4 hex digits) or an address (8): how the text shows these counters. */
static unsigned hex_digits(const char *name)
{
    if (g_str_has_prefix(name, "tcache.drop_page") && g_ascii_isdigit(name[16]) && !name[17])
        return 8; /* a guest-physical page */
    return !strcmp(name, "cpu.cs") ? 4 : !strcmp(name, "cpu.eip") ? 8 : 0;
}

/* The top of the guest's stack (16-bit words), for a look at where it is stuck. */
static void format_stack(struct pc *pc, char *out, size_t size)
{
    uint16_t words[8] = {0};
    uint32_t sp = pc->cpu->regs[R_ESP] & ((pc->cpu->seg[S_SS].attr & SEG_ATTR_DB) ? ~0u : 0xffffu);
    size_t got = smmu_probe_read(pc->mmu, pc->cpu->seg[S_SS].base + sp, words, sizeof(words));
    out[0] = '\0';
    for (size_t i = 0; i < got / 2; i++)
        g_snprintf(out + strlen(out), size - strlen(out), "%s%04x", i ? " " : "", words[i]);
}

/* Millions of guest instructions a second, over the whole run. */
static double run_mips(const struct pc *pc, double seconds)
{
    return seconds > 0 ? (double)pc->cpu->instructions / seconds / 1e6 : 0;
}

/*
 * The local APIC's state after the other counters: its enables, priorities,
 * the highest vectors pending and in service (0: none; vectors 0-15 cannot
 * be either) and the timer. Returns how many it wrote.
 */
#define APIC_COUNTERS 10
static size_t apic_counters(struct pc *pc, struct counter *c)
{
    struct lapic_info a;
    lapic_get_info(pc->lapic, &a);
    const struct counter apic[APIC_COUNTERS] = {
        {"apic.enabled", a.enabled && a.sw_enabled},
        {"apic.tpr", a.tpr},
        {"apic.ppr", a.ppr},
        {"apic.pending_vector", a.irr < 0 ? 0 : (uint64_t)a.irr},
        {"apic.in_service_vector", a.isr < 0 ? 0 : (uint64_t)a.isr},
        {"apic.lvt_timer", a.lvt_timer},
        {"apic.timer_initial", a.timer_initial},
        {"apic.timer_current", a.timer_current},
        {"apic.timer_divide", a.timer_divide},
        {"apic.lvt_lint0", a.lvt_lint0},
    };
    memcpy(c, apic, sizeof(apic));
    return APIC_COUNTERS;
}

static void format_json(GString *out, struct pc *pc, double seconds, const struct counter *c,
                        size_t n, const char *stack)
{
    g_string_append_printf(out, "{\n  \"seconds\": %.3f,\n  \"cpu.mips\": %.3f", seconds,
                           run_mips(pc, seconds));
    for (size_t i = 0; i < n; i++)
        g_string_append_printf(out, ",\n  \"%s\": %" G_GUINT64_FORMAT, c[i].name, c[i].value);
    struct ratio rt[RATIOS];
    for (size_t i = 0, nr = ratios(pc, rt); i < nr; i++)
        g_string_append_printf(out, ",\n  \"%s\": %.3f", rt[i].name, rt[i].value);
    g_string_append_printf(out, ",\n  \"cpu.stack\": \"%s\",\n  \"screen.text\": [", stack);
    char row[256];
    for (unsigned r = 0; vga_text_row(pc->vga, r, row, sizeof(row)); r++) {
        g_string_append_printf(out, "%s\n    \"", r ? "," : "");
        g_strchomp(row); /* the row's text, without the blanks that pad it to the screen's width */
        for (const char *ch = row; *ch; ch++) {
            if (*ch == '"' || *ch == '\\')
                g_string_append_c(out, '\\');
            g_string_append_c(out, *ch);
        }
        g_string_append_c(out, '"');
    }
    g_string_append(out, "]\n}\n");
}

static void format_text(GString *out, struct pc *pc, double seconds, const struct counter *c,
                        size_t n, const char *stack, bool screen)
{
    g_string_append_printf(out, "popek statistics after %.3f s (%.1f MIPS on average):\n", seconds,
                           run_mips(pc, seconds));
    for (size_t i = 0; i < n; i++) {
        unsigned hex = hex_digits(c[i].name);
        if (hex)
            g_string_append_printf(out, "  %-24s %0*" G_GINT64_MODIFIER "x\n", c[i].name, (int)hex,
                                   c[i].value);
        else
            g_string_append_printf(out, "  %-24s %" G_GUINT64_FORMAT "\n", c[i].name, c[i].value);
    }
    struct ratio rt[RATIOS];
    for (size_t i = 0, nr = ratios(pc, rt); i < nr; i++)
        g_string_append_printf(out, "  %-24s %.1f\n", rt[i].name, rt[i].value);
    g_string_append_printf(out, "  %-24s %s\n", "cpu.stack", stack);
    /* In a text mode, the screen (rows with something on them). */
    char row[256];
    for (unsigned r = 0; screen && vga_text_row(pc->vga, r, row, sizeof(row)); r++) {
        if (strspn(row, " ") != strlen(row))
            g_string_append_printf(out, "  screen %2u | %s\n", r, row);
    }
}

/* The translator's lines: how many there are at most, and which exit cause each exits[] is. */
#define TRANSLATOR_COUNTERS 21
static const char *const exit_names[TR_EXIT_CAUSES] = {
    [TR_EXIT_CHAIN] = "tier1.exits_chain_miss",
    [TR_EXIT_INDIRECT] = "tier1.exits_indirect",
    [TR_EXIT_HELPER] = "tier1.exits_helper",
    [TR_EXIT_BUDGET] = "tier1.exits_budget",
    [TR_EXIT_EXCEPTION] = "tier1.exits_exception",
    [TR_EXIT_SMC] = "tier1.exits_code_written",
    [TR_EXIT_X87] = "tier1.exits_x87",
};
_Static_assert(TR_EXIT_CAUSES == 7, "name the new exit cause in exit_names");

/*
 * The translator's tier, and with tier 1 what became host code, how it ran
 * and why it went back to the loop. Fills `out` (TRANSLATOR_COUNTERS at
 * most); returns how many.
 */
static size_t translator_counters(struct translator *tr, struct counter *out)
{
    const struct translator_stats *ts = translator_stats(tr);
    size_t n = 0;
    out[n++] = (struct counter){"translator.tier", ts->tier};
    if (ts->tier == 0)
        return n;
    const struct counter tier1[] = {
        {"tier1.blocks_translated", ts->blocks},
        {"tier1.insns_translated", ts->insns},
        {"tier1.insns_native", ts->native_insns},
        {"tier1.insns_helper", ts->helper_insns},
        {"tier1.code_bytes", ts->code_bytes},
        {"tier1.code_capacity", ts->code_capacity},
        {"tier1.code_flushes", ts->flushes},
        {"tier1.chain_patches", ts->chain_patches},
        {"tier1.blocks_with_frames", ts->frame_blocks},
        {"tier1.entries", ts->entries},
        {"tier1.go_ons", ts->go_ons},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(tier1); i++)
        out[n++] = tier1[i];
    for (unsigned e = 0; e < TR_EXIT_CAUSES; e++)
        out[n++] = (struct counter){exit_names[e], ts->exits[e]};
    out[n++] = (struct counter){"tier1.x87_loads", ts->x87_loads};
    out[n++] = (struct counter){"tier1.translate_ns", ts->translate_ns};
    g_assert(n <= TRANSLATOR_COUNTERS);
    return n;
}

void stats_format(GString *out, struct pc *pc, double seconds, enum stats_style style)
{
    const struct tc_stats *tc = tcache_stats(translator_tcache(pc->tr));
    const struct smmu_stats *mm = smmu_get_stats(pc->mmu);
    /* The pages where writes dropped the most blocks (0 and 0 where there are fewer). */
    struct tc_page_drops hot[3] = {{0}};
    tcache_drop_pages(translator_tcache(pc->tr), hot, G_N_ELEMENTS(hot));
    /* The network adapter's counters come last, and only with --net. */
    const struct ne2000_stats no_nic = {0}, *nic = pc->nic ? ne2000_get_stats(pc->nic) : &no_nic;
    const struct counter exec[] = {
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
        {"tcache.drop_pages", tc->drop_pages},
        {"tcache.drop_page1", hot[0].page},
        {"tcache.drop_page1_blocks", hot[0].blocks},
        {"tcache.drop_page2", hot[1].page},
        {"tcache.drop_page2_blocks", hot[1].blocks},
        {"tcache.drop_page3", hot[2].page},
        {"tcache.drop_page3_blocks", hot[2].blocks},
        {"tcache.decode_ns", tc->decode_ns},
    };
    const struct counter rest[] = {
        {"mmu.page_walks", mm->walks},
        {"mmu.tlb_fills", mm->fills},
        {"mmu.page_faults", mm->faults},
        {"mmu.flush_cr3", mm->flushes[SMMU_FLUSH_CR3]},
        {"mmu.flush_invlpg", mm->flushes[SMMU_FLUSH_INVLPG]},
        {"mmu.flush_paging_mode", mm->flushes[SMMU_FLUSH_PAGING_MODE]},
        {"mmu.flush_a20", mm->flushes[SMMU_FLUSH_A20]},
        {"mmu.flush_memmap", mm->flushes[SMMU_FLUSH_MEMMAP]},
        {"mmu.watched_code_writes", mm->watch_code_writes},
        {"mmu.watched_data_writes", mm->watch_data_writes},
        {"mmu.watched_data_by_t1", mm->watch_data_writes_generated},
        {"nic.rx_packets", nic->rx_packets},
        {"nic.rx_bytes", nic->rx_bytes},
        {"nic.rx_dropped", nic->rx_dropped},
        {"nic.tx_packets", nic->tx_packets},
        {"nic.tx_bytes", nic->tx_bytes},
        {"nic.tx_errors", nic->tx_errors},
    };
    /* The translator's lines go right after the translation cache's, the APIC's last. */
    struct counter
        all[G_N_ELEMENTS(exec) + TRANSLATOR_COUNTERS + G_N_ELEMENTS(rest) + APIC_COUNTERS];
    memcpy(all, exec, sizeof(exec));
    size_t n = G_N_ELEMENTS(exec);
    n += translator_counters(pc->tr, all + n);
    size_t n_rest = G_N_ELEMENTS(rest) - (pc->nic ? 0 : 6);
    memcpy(all + n, rest, n_rest * sizeof(*rest));
    n += n_rest;
    n += apic_counters(pc, all + n);
    char stack[128];
    format_stack(pc, stack, sizeof(stack));
    if (style == STATS_JSON)
        format_json(out, pc, seconds, all, n, stack);
    else
        format_text(out, pc, seconds, all, n, stack, style == STATS_TEXT);
}

void stats_write(FILE *out, struct pc *pc, double seconds, int json)
{
    GString *text = g_string_new(NULL);
    stats_format(text, pc, seconds, json ? STATS_JSON : STATS_TEXT);
    fwrite(text->str, 1, text->len, out);
    g_string_free(text, TRUE);
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
