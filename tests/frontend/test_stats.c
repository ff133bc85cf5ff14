/*
 * The translator's lines in the statistics (frontend/stats.c): the tier
 * after the translation cache's lines, and with tier 1 what became host
 * code, how it ran and why it left, in text and JSON, from a board that ran
 * a small guest loop in flat 32-bit protected mode (pm_loop.h).
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frontend/stats.h"
#include "pc/pc.h"
#include "pm_loop.h"
#include "translator/tcache.h"
#include "translator/translator.h"

/* A board with the loop as its BIOS and the given translator configuration. */
static struct pc *new_pc(const struct translator_config *tcfg, char **rom_path)
{
    uint8_t *rom = g_malloc(0x10000);
    memset(rom, 0xf4, 0x10000);
    memcpy(rom + 0xfff0, pm_loop_entry, sizeof(pm_loop_entry));
    memcpy(rom, pm_loop_body, sizeof(pm_loop_body));
    int fd = g_file_open_tmp("popek-stats-XXXXXX.bin", rom_path, NULL);
    g_assert_cmpint(fd, >=, 0);
    close(fd);
    g_assert_true(g_file_set_contents(*rom_path, (const char *)rom, 0x10000, NULL));
    g_free(rom);
    struct pc *pc = g_new0(struct pc, 1);
    char *err = NULL;
    struct pc_config cfg = {.ram_mb = 4, .bios = *rom_path, .debug_exit = true, .translator = tcfg};
    if (pc_init(pc, &cfg, &err) < 0)
        g_error("pc_init: %s", err);
    return pc;
}

static void free_pc(struct pc *pc, char *rom_path)
{
    pc_destroy(pc);
    g_free(pc);
    g_unlink(rom_path);
    g_free(rom_path);
}

static char *format(struct pc *pc, enum stats_style style)
{
    GString *s = g_string_new(NULL);
    stats_format(s, pc, 1.0, style);
    return g_string_free(s, FALSE);
}

/* The value on the text line of counter `name`; fails when there is no such line. */
static uint64_t text_value(const char *text, const char *name)
{
    char *key = g_strdup_printf("\n  %s ", name);
    const char *at = strstr(text, key);
    if (!at)
        g_error("no line %s in:\n%s", name, text);
    char *end;
    uint64_t v = g_ascii_strtoull(at + strlen(key), &end, 10);
    g_assert_true(end > at + strlen(key) && *end == '\n');
    g_free(key);
    return v;
}

/* The value of key `name` in the JSON; fails when there is no such key. */
static uint64_t json_value(const char *json, const char *name)
{
    char *key = g_strdup_printf("\n  \"%s\": ", name);
    const char *at = strstr(json, key);
    if (!at)
        g_error("no key %s in:\n%s", name, json);
    char *end;
    uint64_t v = g_ascii_strtoull(at + strlen(key), &end, 10);
    g_assert_true(end > at + strlen(key) && *end == ',');
    g_free(key);
    return v;
}

/* The name of the counter on the text line after (dir 1) or before (-1) the line of `name`. */
static char *neighbour(const char *text, const char *name, int dir)
{
    char **lines = g_strsplit(text, "\n", -1);
    char *found = NULL;
    for (int i = 1; lines[i] && !found; i++) {
        char **words = g_strsplit_set(g_strstrip(lines[i]), " ", 2);
        if (words[0] && !strcmp(words[0], name) && lines[i + dir] && i + dir > 0) {
            char **other = g_strsplit_set(g_strstrip(lines[i + dir]), " ", 2);
            found = g_strdup(other[0]);
            g_strfreev(other);
        }
        g_strfreev(words);
    }
    g_strfreev(lines);
    if (!found)
        g_error("no line %s with a neighbour in:\n%s", name, text);
    return found;
}

/* The tier-1 lines, each with the counter it shows. */
struct tier1_line {
    const char *name;
    const uint64_t *value;
};

static size_t tier1_lines(const struct translator_stats *ts, struct tier1_line *out)
{
    const struct tier1_line lines[] = {
        {"tier1.blocks_translated", &ts->blocks},
        {"tier1.insns_translated", &ts->insns},
        {"tier1.insns_native", &ts->native_insns},
        {"tier1.insns_helper", &ts->helper_insns},
        {"tier1.code_bytes", &ts->code_bytes},
        {"tier1.code_capacity", &ts->code_capacity},
        {"tier1.code_flushes", &ts->flushes},
        {"tier1.chain_patches", &ts->chain_patches},
        {"tier1.blocks_with_frames", &ts->frame_blocks},
        {"tier1.entries", &ts->entries},
        {"tier1.go_ons", &ts->go_ons},
        {"tier1.exits_chain_miss", &ts->exits[TR_EXIT_CHAIN]},
        {"tier1.exits_indirect", &ts->exits[TR_EXIT_INDIRECT]},
        {"tier1.exits_helper", &ts->exits[TR_EXIT_HELPER]},
        {"tier1.exits_budget", &ts->exits[TR_EXIT_BUDGET]},
        {"tier1.exits_exception", &ts->exits[TR_EXIT_EXCEPTION]},
        {"tier1.exits_code_written", &ts->exits[TR_EXIT_SMC]},
        {"tier1.exits_x87", &ts->exits[TR_EXIT_X87]},
        {"tier1.x87_loads", &ts->x87_loads},
        {"tier1.translate_ns", &ts->translate_ns},
    };
    memcpy(out, lines, sizeof(lines));
    return G_N_ELEMENTS(lines);
}

/* Every tier-1 line shows its counter, in text and JSON, in this order after the tier. */
static void check_tier1_lines(const char *text, const char *json, const struct translator_stats *ts)
{
    struct tier1_line lines[32];
    size_t n = tier1_lines(ts, lines);
    const char *prev = "translator.tier";
    for (size_t i = 0; i < n; i++) {
        g_assert_cmpuint(text_value(text, lines[i].name), ==, *lines[i].value);
        g_assert_cmpuint(json_value(json, lines[i].name), ==, *lines[i].value);
        char *before = neighbour(text, lines[i].name, -1);
        g_assert_cmpstr(before, ==, prev);
        g_free(before);
        prev = lines[i].name;
    }
    char *after = neighbour(text, prev, 1);
    g_assert_cmpstr(after, ==, "mmu.page_walks");
    g_free(after);
}

/* Tier 0: one line, the tier, between the translation cache's lines and the MMU's. */
static void test_tier0(void)
{
    struct translator_config tcfg = translator_default_config();
    tcfg.tier = 0;
    char *rom;
    struct pc *pc = new_pc(&tcfg, &rom);
    g_assert_cmpint(pc_run(pc), ==, 3);
    char *text = format(pc, STATS_TEXT), *json = format(pc, STATS_JSON);
    g_assert_cmpuint(text_value(text, "translator.tier"), ==, 0);
    g_assert_cmpuint(json_value(json, "translator.tier"), ==, 0);
    char *before = neighbour(text, "translator.tier", -1);
    char *after = neighbour(text, "translator.tier", 1);
    g_assert_cmpstr(before, ==, "tcache.decode_ns");
    g_assert_cmpstr(after, ==, "mmu.page_walks");
    g_assert_null(strstr(text, "tier1."));
    g_assert_null(strstr(json, "tier1."));
    /* No code was written: no page where writes dropped blocks, its address in hex (8). */
    g_assert_cmpuint(json_value(json, "tcache.drop_pages"), ==, 0);
    char *page = g_strdup_printf("\n  %-24s 00000000\n", "tcache.drop_page1");
    g_assert_nonnull(strstr(text, page));
    g_free(page);
    g_assert_cmpuint(json_value(json, "tcache.drop_page1_blocks"), ==, 0);
    /* The guest ran to its end. */
    g_assert_cmpuint(text_value(text, "cpu.instructions"), ==, PM_LOOP_INSNS);
    g_free(before);
    g_free(after);
    g_free(text);
    g_free(json);
    free_pc(pc, rom);
}

/*
 * Tier 1 asked for, translating at once with a 2 MiB buffer. Where this
 * build has tier 1, the lines show what the translator counted, and the
 * counts fit together; where it has none, the translator runs tier 0 and
 * the statistics say so.
 */
static void test_tier1_run(void)
{
    struct translator_config tcfg = {.tier = 1, .hot_threshold = 0, .code_size = 2u << 20};
    char *rom;
    struct pc *pc = new_pc(&tcfg, &rom);
    g_assert_cmpint(pc_run(pc), ==, 3);
    char *text = format(pc, STATS_TEXT), *json = format(pc, STATS_JSON);
    const struct translator_stats *ts = translator_stats(pc->tr);
    g_assert_cmpuint(text_value(text, "cpu.instructions"), ==, PM_LOOP_INSNS);
    if (translator_tier1_available()) {
        g_assert_cmpuint(text_value(text, "translator.tier"), ==, 1);
        check_tier1_lines(text, json, ts);
        g_assert_cmpuint(ts->blocks, >=, 1);
        g_assert_cmpuint(ts->native_insns + ts->helper_insns, ==, ts->insns);
        g_assert_cmpuint(ts->code_capacity, ==, 2u << 20);
        g_assert_cmpuint(ts->code_bytes, >, 0);
        g_assert_cmpuint(ts->code_bytes, <=, ts->code_capacity);
        g_assert_cmpuint(ts->entries, >=, 1);
    } else {
        g_assert_cmpuint(ts->tier, ==, 0);
        g_assert_cmpuint(text_value(text, "translator.tier"), ==, 0);
        g_assert_cmpuint(json_value(json, "translator.tier"), ==, 0);
        g_assert_null(strstr(text, "tier1."));
    }
    g_free(text);
    g_free(json);
    free_pc(pc, rom);
}

/*
 * Each tier-1 line shows its own counter: the translator's counters are
 * set to values that differ from each other (the statistics are the
 * translator's own struct, written here through a cast), so a line that
 * showed another counter, or a missing or misplaced line, fails.
 */
static void test_tier1_lines(void)
{
    struct translator_config tcfg = translator_default_config();
    tcfg.tier = 0;
    char *rom;
    struct pc *pc = new_pc(&tcfg, &rom);
    struct translator_stats *ts = (struct translator_stats *)translator_stats(pc->tr);
    struct tier1_line lines[32];
    size_t n = tier1_lines(ts, lines);
    ts->tier = 1;
    for (size_t i = 0; i < n; i++)
        *(uint64_t *)lines[i].value = 1000 + 7 * i;
    char *text = format(pc, STATS_TEXT), *json = format(pc, STATS_JSON);
    char *overlay = format(pc, STATS_TEXT_NO_SCREEN);
    g_assert_cmpuint(text_value(text, "translator.tier"), ==, 1);
    g_assert_cmpuint(json_value(json, "translator.tier"), ==, 1);
    check_tier1_lines(text, json, ts);
    /* The overlay shows the same lines. */
    g_assert_true(g_str_has_prefix(text, overlay));
    check_tier1_lines(overlay, json, ts);
    /* Every tier-1 line is one of those. */
    unsigned count = 0;
    for (const char *p = text; (p = strstr(p, "\n  tier1.")); p++)
        count++;
    g_assert_cmpuint(count, ==, n);
    /* Back to the counts of a board that never ran, for pc_destroy. */
    memset(ts, 0, sizeof(*ts));
    g_free(text);
    g_free(json);
    g_free(overlay);
    free_pc(pc, rom);
}

/* The text of the line of figure `name` ("NAME VALUE" in text, "\"NAME\": VALUE" in JSON). */
static void assert_figure(const char *text, const char *json, const char *name, const char *t,
                          const char *j)
{
    char *line = g_strdup_printf("\n  %-24s %s\n", name, t);
    char *key = g_strdup_printf("\n  \"%s\": %s,", name, j);
    if (!strstr(text, line))
        g_error("no line '%s' in:\n%s", line + 3, text);
    if (!strstr(json, key))
        g_error("no key '%s' in:\n%s", key + 3, json);
    g_free(line);
    g_free(key);
}

/*
 * The figures derived from the counters (the cache's hit rate, instructions
 * per block, tier 1's share of host instructions and buffer fill), from
 * counters set to known values; a zero count shows 0, not a division by it.
 */
static void test_ratios(void)
{
    struct translator_config tcfg = translator_default_config();
    tcfg.tier = 0;
    char *rom;
    struct pc *pc = new_pc(&tcfg, &rom);
    struct tc_stats *tc = tcache_stats(translator_tcache(pc->tr));
    struct translator_stats *ts = (struct translator_stats *)translator_stats(pc->tr);
    struct tc_stats saved_tc = *tc;
    tc->lookups = 200;
    tc->hits = 150;
    tc->blocks = 10;
    tc->insns = 55;
    char *text = format(pc, STATS_TEXT), *json = format(pc, STATS_JSON);
    assert_figure(text, json, "ratio.tc_hit_percent", "75.0", "75.000");
    assert_figure(text, json, "ratio.tc_insns_per_block", "5.5", "5.500");
    g_assert_null(strstr(text, "ratio.t1_"));
    g_free(text);
    g_free(json);

    ts->tier = 1;
    ts->blocks = 8;
    ts->insns = 40;
    ts->native_insns = 30;
    ts->code_bytes = 512;
    ts->code_capacity = 2048;
    tc->lookups = 0;
    text = format(pc, STATS_TEXT);
    json = format(pc, STATS_JSON);
    assert_figure(text, json, "ratio.tc_hit_percent", "0.0", "0.000");
    assert_figure(text, json, "ratio.t1_insns_per_block", "5.0", "5.000");
    assert_figure(text, json, "ratio.t1_native_percent", "75.0", "75.000");
    assert_figure(text, json, "ratio.t1_fill_percent", "25.0", "25.000");
    /* Back to the counts of a board that never ran, for pc_destroy. */
    memset(ts, 0, sizeof(*ts));
    *tc = saved_tc;
    g_free(text);
    g_free(json);
    free_pc(pc, rom);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/stats/translator/tier0", test_tier0);
    g_test_add_func("/stats/translator/tier1-run", test_tier1_run);
    g_test_add_func("/stats/translator/tier1-lines", test_tier1_lines);
    g_test_add_func("/stats/ratios", test_ratios);
    return g_test_run();
}
