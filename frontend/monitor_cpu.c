/*
 * The monitor's look at the CPU and the MMU: `regs` (what gdb's register
 * view leaves out: descriptor caches, control and debug registers, EFLAGS
 * spelled out) and `tlb` (what a linear address translates to, without
 * side effects).
 */
#include <glib.h>

#include "cpu/cpu.h"
#include "frontend/monitor.h"
#include "pc/pc.h"
#include "shadowmmu/shadowmmu.h"

struct bit_name {
    unsigned bit;
    const char *name;
};

/* SDM Vol. 1 §3.4.3 (EFLAGS), Vol. 3A §2.5 (CR0, CR4). */
static const struct bit_name eflags_bits[] = {
    {0, "CF"},  {2, "PF"},   {4, "AF"},   {6, "ZF"},  {7, "SF"},  {8, "TF"},
    {9, "IF"},  {10, "DF"},  {11, "OF"},  {14, "NT"}, {16, "RF"}, {17, "VM"},
    {18, "AC"}, {19, "VIF"}, {20, "VIP"}, {21, "ID"},
};
static const struct bit_name cr0_bits[] = {
    {0, "PE"},  {1, "MP"},  {2, "EM"},  {3, "TS"},  {4, "ET"},  {5, "NE"},
    {16, "WP"}, {18, "AM"}, {29, "NW"}, {30, "CD"}, {31, "PG"},
};
static const struct bit_name cr4_bits[] = {
    {0, "VME"}, {1, "PVI"}, {2, "TSD"}, {3, "DE"},     {4, "PSE"},         {5, "PAE"},
    {6, "MCE"}, {7, "PGE"}, {8, "PCE"}, {9, "OSFXSR"}, {10, "OSXMMEXCPT"},
};

static void append_bits(GString *out, uint32_t v, const struct bit_name *b, size_t n)
{
    g_string_append(out, " [");
    for (size_t i = 0; i < n; i++) {
        if (v & (1u << b[i].bit))
            g_string_append_printf(out, " %s", b[i].name);
    }
    g_string_append(out, " ]");
}

static const char *cpu_mode(const struct cpu *cpu)
{
    if (!(cpu->cr[0] & 1))
        return "real";
    if (cpu->eflags & FL_VM)
        return "virtual-8086";
    return (cpu->seg[S_CS].attr & SEG_ATTR_DB) ? "protected, 32-bit code"
                                               : "protected, 16-bit code";
}

/* A descriptor cache: selector, base, limit and its attributes spelled out. */
static void append_segment(GString *out, const char *name, uint16_t sel, uint32_t base,
                           uint32_t limit, uint16_t attr)
{
    g_string_append_printf(out, "%-4s %04x base=%08x limit=%08x attr=%04x", name, sel, base, limit,
                           attr);
    if (attr & SEG_ATTR_S)
        g_string_append_printf(out, " %s%s", (attr & 8) ? "code" : "data",
                               (attr & 8) ? ((attr & 2) ? " readable" : "")
                                          : ((attr & 2) ? " writable" : ""));
    else
        g_string_append_printf(out, " system type %u", attr & SEG_ATTR_TYPE);
    g_string_append_printf(out, " dpl=%u%s%s%s\n", SEG_ATTR_DPL(attr),
                           (attr & SEG_ATTR_P) ? " present" : " not-present",
                           (attr & SEG_ATTR_DB) ? " 32-bit" : "",
                           (attr & SEG_ATTR_G) ? " 4K-granular" : "");
}

void monitor_cmd_regs(struct monitor *mon, const char *args, GString *out)
{
    static const char *const seg_names[S_COUNT] = {"es", "cs", "ss", "ds", "fs", "gs"};
    const struct cpu *cpu = mon->pc->cpu;
    (void)args;
    g_string_append_printf(out, "mode: %s, CPL %d%s\n", cpu_mode(cpu), cpu->cpl,
                           cpu->halted ? ", halted" : "");
    g_string_append_printf(out, "eip=%08x eflags=%08x", cpu->eip, cpu->eflags);
    append_bits(out, cpu->eflags, eflags_bits, G_N_ELEMENTS(eflags_bits));
    g_string_append_printf(out, " IOPL=%u\n", (cpu->eflags & FL_IOPL) >> 12);
    for (int i = 0; i < S_COUNT; i++) {
        const struct cpu_segment *sg = &cpu->seg[i];
        append_segment(out, seg_names[i], sg->selector, sg->base, sg->limit, sg->attr);
    }
    append_segment(out, "ldtr", cpu->ldtr.selector, cpu->ldtr.base, cpu->ldtr.limit,
                   cpu->ldtr.attr);
    append_segment(out, "tr", cpu->tr.selector, cpu->tr.base, cpu->tr.limit, cpu->tr.attr);
    g_string_append_printf(out, "gdtr base=%08x limit=%04x\n", cpu->gdtr.base, cpu->gdtr.limit);
    g_string_append_printf(out, "idtr base=%08x limit=%04x\n", cpu->idtr.base, cpu->idtr.limit);
    g_string_append_printf(out, "cr0=%08x", cpu->cr[0]);
    append_bits(out, cpu->cr[0], cr0_bits, G_N_ELEMENTS(cr0_bits));
    g_string_append_printf(out, "\ncr2=%08x cr3=%08x\ncr4=%08x", cpu->cr[2], cpu->cr[3],
                           cpu->cr[4]);
    append_bits(out, cpu->cr[4], cr4_bits, G_N_ELEMENTS(cr4_bits));
    g_string_append_printf(out, "\ndr0=%08x dr1=%08x dr2=%08x dr3=%08x\ndr6=%08x dr7=%08x\n",
                           cpu->dr[0], cpu->dr[1], cpu->dr[2], cpu->dr[3], cpu->dr[6], cpu->dr[7]);
}

/* One access kind of `monitor tlb`: where it goes, or the #PF it would raise. */
static void append_translation(GString *out, struct shadowmmu *mmu, uint32_t lin,
                               enum smmu_access acc, int user)
{
    static const char *const names[] = {"read", "write", "fetch"};
    uint64_t phys;
    struct smmu_fault f;
    g_string_append_printf(out, "  %-5s ", names[acc]);
    if (smmu_translate(mmu, lin, acc, user, false, &phys, &f) == 0) {
        g_string_append_printf(out, "physical %09" G_GINT64_MODIFIER "x\n", phys);
        return;
    }
    g_string_append_printf(out, "page fault, error code %x (%s%s%s%s)\n", f.error_code,
                           (f.error_code & SMMU_PF_P) ? "protection" : "not present",
                           (f.error_code & SMMU_PF_W) ? ", write" : ", read",
                           (f.error_code & SMMU_PF_U) ? ", user" : ", supervisor",
                           (f.error_code & SMMU_PF_RSVD) ? ", reserved bit" : "");
}

void monitor_cmd_tlb(struct monitor *mon, const char *args, GString *out)
{
    const struct cpu *cpu = mon->pc->cpu;
    char *end = NULL;
    while (*args == ' ')
        args++;
    guint64 lin = g_ascii_strtoull(args, &end, 16);
    if (!*args || end == args || *end || lin > 0xffffffffu) {
        g_string_append(out, "usage: tlb LINEAR-ADDRESS (hex)\n");
        return;
    }
    int user = cpu->cpl == 3;
    g_string_append_printf(out, "linear %08x, paging %s, as %s:\n", (uint32_t)lin,
                           (cpu->cr[0] & 0x80000000u) ? "on" : "off",
                           user ? "user (CPL 3)" : "supervisor");
    for (int acc = SMMU_READ; acc <= SMMU_FETCH; acc++)
        append_translation(out, mon->pc->mmu, (uint32_t)lin, acc, user);
}
