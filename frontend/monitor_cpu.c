/*
 * The monitor's look at the CPU and the MMU: `regs` (what gdb's register
 * view leaves out: descriptor caches, control and debug registers, EFLAGS
 * spelled out), `tlb` (what a linear address translates to, without side
 * effects) and `disas` (guest code disassembled by Capstone as the CPU
 * would decode it now: 16- or 32-bit by CS).
 */
#include <capstone/capstone.h>
#include <glib.h>

#include "cpu/cpu.h"
#include "frontend/apic_show.h"
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
    apic_show_lapic(out, mon->pc);
}

void monitor_cmd_ioapic(struct monitor *mon, const char *args, GString *out)
{
    (void)args;
    apic_show_ioapic(out, mon->pc);
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

#define DISAS_DEFAULT 10  /* instructions `disas` shows unless told */
#define DISAS_MAX     100 /* and at most */
#define INSN_MAX      15  /* bytes of the longest x86 instruction */

/* `disas [ADDR [N]]`: ADDR (hex, linear) defaults to CS:EIP; N to DISAS_DEFAULT. 0, or -1. */
static int parse_disas(const struct cpu *cpu, const char *args, uint32_t *lin, unsigned *n)
{
    char *line = g_strstrip(g_strdup(args));
    char **words = g_strsplit_set(line, " \t", -1);
    g_free(line);
    char *end = NULL;
    int ret = 0, nw = 0;
    *lin = cpu->seg[S_CS].base + cpu->eip;
    *n = DISAS_DEFAULT;
    for (char **w = words; *w; w++) {
        if (!**w)
            continue;
        if (nw == 0) {
            guint64 v = g_ascii_strtoull(*w, &end, 16);
            ret |= (end == *w || *end || v > 0xffffffffu) ? -1 : 0;
            *lin = (uint32_t)v;
        } else if (nw == 1) {
            guint64 v = g_ascii_strtoull(*w, &end, 10);
            ret |= (end == *w || *end || v == 0 || v > DISAS_MAX) ? -1 : 0;
            *n = (unsigned)v;
        } else {
            ret = -1;
        }
        nw++;
    }
    g_strfreev(words);
    return ret;
}

void monitor_cmd_disas(struct monitor *mon, const char *args, GString *out)
{
    const struct cpu *cpu = mon->pc->cpu;
    uint32_t lin;
    unsigned n;
    if (parse_disas(cpu, args, &lin, &n) < 0) {
        g_string_append_printf(out, "usage: disas [ADDR [N]] (ADDR linear, hex; N at most %d)\n",
                               DISAS_MAX);
        return;
    }
    bool code32 = (cpu->cr[0] & 1) && !(cpu->eflags & FL_VM) && (cpu->seg[S_CS].attr & SEG_ATTR_DB);
    uint8_t buf[DISAS_MAX * INSN_MAX];
    size_t len = smmu_probe_read(mon->pc->mmu, lin, buf, (size_t)n * INSN_MAX);
    csh cs;
    if (cs_open(CS_ARCH_X86, code32 ? CS_MODE_32 : CS_MODE_16, &cs) != CS_ERR_OK) {
        g_string_append(out, "disas: Capstone cannot open an x86 disassembler\n");
        return;
    }
    /* Capstone counts addresses as the CPU does, in CS: branch targets come out as offsets. */
    uint32_t base = cpu->seg[S_CS].base;
    g_string_append_printf(out, "%s-bit code, CS base %08x (branch targets are offsets in CS):\n",
                           code32 ? "32" : "16", base);
    cs_insn *insn = NULL;
    size_t count = cs_disasm(cs, buf, len, (uint64_t)(uint32_t)(lin - base), n, &insn);
    for (size_t i = 0; i < count; i++) {
        GString *hex = g_string_new(NULL);
        for (size_t b = 0; b < insn[i].size; b++)
            g_string_append_printf(hex, "%02x ", insn[i].bytes[b]);
        g_string_append_printf(out, "%08x  %-24s %s%s%s\n",
                               (uint32_t)(base + (uint32_t)insn[i].address), hex->str,
                               insn[i].mnemonic, insn[i].op_str[0] ? " " : "", insn[i].op_str);
        g_string_free(hex, TRUE);
    }
    if (count < n) { /* stopped early: where, and why */
        uint32_t next =
            count ? base + (uint32_t)(insn[count - 1].address + insn[count - 1].size) : lin;
        bool unmapped = next - lin + INSN_MAX > len && len < (size_t)n * INSN_MAX;
        g_string_append_printf(out, "%08x  (%s)\n", next,
                               unmapped ? "not mapped" : "not an instruction");
    }
    cs_free(insn, count);
    cs_close(&cs);
}
