/*
 * The gdb stub's monitor commands (`monitor CMD` in gdb, the qRcmd
 * packet): a look at what gdb's register view leaves out — descriptor
 * caches, control and debug registers, what a linear address translates
 * to — and popek's statistics. Each command prints into a string that the
 * stub sends back to gdb.
 */
#include <glib.h>
#include <string.h>

#include "frontend/apic_show.h"
#include "frontend/gdbstub_internal.h"
#include "frontend/stats.h"
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

static void cmd_regs(struct gdbstub *s, const char *args, GString *out)
{
    static const char *const seg_names[S_COUNT] = {"es", "cs", "ss", "ds", "fs", "gs"};
    const struct cpu *cpu = s->pc->cpu;
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
    apic_show_lapic(out, s->pc);
}

static void cmd_ioapic(struct gdbstub *s, const char *args, GString *out)
{
    (void)args;
    apic_show_ioapic(out, s->pc);
}

static void cmd_stats(struct gdbstub *s, const char *args, GString *out)
{
    (void)args;
    stats_format(out, s->pc, (double)(g_get_monotonic_time() - s->start_us) / 1e6, STATS_TEXT);
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

static void cmd_tlb(struct gdbstub *s, const char *args, GString *out)
{
    const struct cpu *cpu = s->pc->cpu;
    char *end = NULL;
    while (*args == ' ')
        args++;
    guint64 lin = g_ascii_strtoull(args, &end, 16);
    if (!*args || end == args || *end || lin > 0xffffffffu) {
        g_string_append(out, "usage: monitor tlb LINEAR-ADDRESS (hex)\n");
        return;
    }
    int user = cpu->cpl == 3;
    g_string_append_printf(out, "linear %08x, paging %s, as %s:\n", (uint32_t)lin,
                           (cpu->cr[0] & 0x80000000u) ? "on" : "off",
                           user ? "user (CPL 3)" : "supervisor");
    for (int acc = SMMU_READ; acc <= SMMU_FETCH; acc++)
        append_translation(out, s->pc->mmu, (uint32_t)lin, acc, user);
}

static void cmd_reset(struct gdbstub *s, const char *args, GString *out)
{
    (void)args;
    pc_reset(s->pc);
    g_string_append(out, "machine reset: CS:EIP f000:fff0 (gdb caches registers: "
                         "'maintenance flush register-cache' shows the new ones)\n");
}

/* `NAME on|off`: set *flag from "on" or "off" (anything else: the usage); say what it is now. */
static void switch_cmd(bool *flag, const char *args, GString *out, const char *name, const char *on,
                       const char *off)
{
    while (*args == ' ')
        args++;
    if (!strcmp(args, "on") || !strcmp(args, "off"))
        *flag = !strcmp(args, "on");
    else if (*args)
        g_string_append_printf(out, "usage: monitor %s on|off\n", name);
    g_string_append_printf(out, "%s\n", *flag ? on : off);
}

static void cmd_phys(struct gdbstub *s, const char *args, GString *out)
{
    switch_cmd(&s->phys_mem, args, out, "phys", "memory packets address guest-physical memory",
               "memory packets address guest-linear memory");
}

static void cmd_step_irq(struct gdbstub *s, const char *args, GString *out)
{
    switch_cmd(&s->step_irq, args, out, "step-irq",
               "a step may take a pending interrupt (and stop at its handler)",
               "interrupts are held off while stepping");
}

static void cmd_help(struct gdbstub *s, const char *args, GString *out);

static const struct {
    const char *name;
    void (*run)(struct gdbstub *s, const char *args, GString *out);
    const char *help;
} commands[] = {
    {"help", cmd_help, "this list"},
    {"regs", cmd_regs,
     "mode, descriptor caches, GDTR/IDTR/LDTR/TR, CR0-CR4, DR0-DR7, EFLAGS, the local APIC"},
    {"ioapic", cmd_ioapic, "the I/O APIC's redirection table and input pins"},
    {"stats", cmd_stats, "instructions, interrupts, translation cache and shadow MMU counters"},
    {"tlb", cmd_tlb, "tlb ADDR: what a linear address translates to (no side effects)"},
    {"reset", cmd_reset, "reset the machine (CPU and devices)"},
    {"phys", cmd_phys, "phys on|off: memory packets read and write guest-physical memory"},
    {"step-irq", cmd_step_irq, "step-irq on|off: let a step take a pending interrupt"},
};

static void cmd_help(struct gdbstub *s, const char *args, GString *out)
{
    (void)s;
    (void)args;
    g_string_append(out, "popek monitor commands:\n");
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
        g_string_append_printf(out, "  %-8s %s\n", commands[i].name, commands[i].help);
}

void gdb_monitor(struct gdbstub *s, const char *cmd, GString *out)
{
    while (*cmd == ' ')
        cmd++;
    size_t n = strcspn(cmd, " ");
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (n == strlen(commands[i].name) && !strncmp(cmd, commands[i].name, n)) {
            commands[i].run(s, cmd + n, out);
            return;
        }
    }
    g_string_append_printf(out, "unknown monitor command '%.*s': try 'monitor help'\n", (int)n,
                           cmd);
}
