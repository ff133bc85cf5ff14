/*
 * The register file as gdb sees it: one table gives each register's name,
 * size, gdb type and where it lives in struct cpu, and both the target
 * description (target.xml) and the 'g'/'G'/'p'/'P' packets are made from
 * it, so the two can never disagree.
 *
 * The first 32 registers are the org.gnu.gdb.i386.core feature gdb's i386
 * support requires (GDB manual, "i386 Features"): the general registers,
 * EIP, EFLAGS, the six selectors, and the x87 stack and control registers
 * (cpu_x87_get/set). A popek feature adds CR0, CR2-CR4 and the GDTR/IDTR
 * bases and limits.
 */
#include <glib.h>
#include <string.h>

#include "frontend/gdbstub_internal.h"
#include "shadowmmu/shadowmmu.h"

enum reg_kind { REG_GPR, REG_EIP, REG_EFLAGS, REG_SEG, REG_ST, REG_X87, REG_CR, REG_DT };

struct gdb_reg {
    const char *name;
    uint8_t bits;
    uint8_t kind;  /* enum reg_kind */
    uint8_t index; /* GPR, segment or CR number; REG_DT: 0/1 GDTR base/limit, 2/3 IDTR */
    const char *type;
    const char *group; /* NULL: gdb decides from the type */
};

#define CORE_REGS 32

static const struct gdb_reg regs[] = {
    {"eax", 32, REG_GPR, R_EAX, "int32", NULL},
    {"ecx", 32, REG_GPR, R_ECX, "int32", NULL},
    {"edx", 32, REG_GPR, R_EDX, "int32", NULL},
    {"ebx", 32, REG_GPR, R_EBX, "int32", NULL},
    {"esp", 32, REG_GPR, R_ESP, "data_ptr", NULL},
    {"ebp", 32, REG_GPR, R_EBP, "data_ptr", NULL},
    {"esi", 32, REG_GPR, R_ESI, "int32", NULL},
    {"edi", 32, REG_GPR, R_EDI, "int32", NULL},
    {"eip", 32, REG_EIP, 0, "code_ptr", NULL},
    {"eflags", 32, REG_EFLAGS, 0, "i386_eflags", NULL},
    {"cs", 32, REG_SEG, S_CS, "int32", NULL},
    {"ss", 32, REG_SEG, S_SS, "int32", NULL},
    {"ds", 32, REG_SEG, S_DS, "int32", NULL},
    {"es", 32, REG_SEG, S_ES, "int32", NULL},
    {"fs", 32, REG_SEG, S_FS, "int32", NULL},
    {"gs", 32, REG_SEG, S_GS, "int32", NULL},
    {"st0", 80, REG_ST, 0, "i387_ext", NULL},
    {"st1", 80, REG_ST, 1, "i387_ext", NULL},
    {"st2", 80, REG_ST, 2, "i387_ext", NULL},
    {"st3", 80, REG_ST, 3, "i387_ext", NULL},
    {"st4", 80, REG_ST, 4, "i387_ext", NULL},
    {"st5", 80, REG_ST, 5, "i387_ext", NULL},
    {"st6", 80, REG_ST, 6, "i387_ext", NULL},
    {"st7", 80, REG_ST, 7, "i387_ext", NULL},
    {"fctrl", 32, REG_X87, 0, "int", "float"},
    {"fstat", 32, REG_X87, 1, "int", "float"},
    {"ftag", 32, REG_X87, 2, "int", "float"},
    {"fiseg", 32, REG_X87, 3, "int", "float"},
    {"fioff", 32, REG_X87, 4, "int", "float"},
    {"foseg", 32, REG_X87, 5, "int", "float"},
    {"fooff", 32, REG_X87, 6, "int", "float"},
    {"fop", 32, REG_X87, 7, "int", "float"},
    /* org.popek.i386.system */
    {"cr0", 32, REG_CR, 0, "uint32", "system"},
    {"cr2", 32, REG_CR, 2, "uint32", "system"},
    {"cr3", 32, REG_CR, 3, "uint32", "system"},
    {"cr4", 32, REG_CR, 4, "uint32", "system"},
    {"gdtr_base", 32, REG_DT, 0, "data_ptr", "system"},
    {"gdtr_limit", 32, REG_DT, 1, "uint32", "system"},
    {"idtr_base", 32, REG_DT, 2, "data_ptr", "system"},
    {"idtr_limit", 32, REG_DT, 3, "uint32", "system"},
};

/* EFLAGS as gdb's flags type shows it, SDM Vol. 1 §3.4.3. */
static const struct {
    const char *name;
    unsigned lo, hi;
} eflags_fields[] = {
    {"CF", 0, 0},    {"PF", 2, 2},   {"AF", 4, 4},   {"ZF", 6, 6},   {"SF", 7, 7},
    {"TF", 8, 8},    {"IF", 9, 9},   {"DF", 10, 10}, {"OF", 11, 11}, {"IOPL", 12, 13},
    {"NT", 14, 14},  {"RF", 16, 16}, {"VM", 17, 17}, {"AC", 18, 18}, {"VIF", 19, 19},
    {"VIP", 20, 20}, {"ID", 21, 21},
};

/* The EFLAGS bits that exist on a P6; bit 1 always reads 1. */
#define EFLAGS_DEFINED 0x003f7fd5u

unsigned gdb_reg_count(void)
{
    return G_N_ELEMENTS(regs);
}

static void xml_reg(GString *x, unsigned n)
{
    const struct gdb_reg *r = &regs[n];
    g_string_append_printf(x, "  <reg name=\"%s\" bitsize=\"%u\" type=\"%s\" regnum=\"%u\"",
                           r->name, r->bits, r->type, n);
    if (r->group)
        g_string_append_printf(x, " group=\"%s\"", r->group);
    g_string_append(x, "/>\n");
}

/*
 * The description names no <architecture>: gdb takes i386 from the core feature, and a user's
 * `set architecture i8086` (for real-mode code) then holds, which an explicit i386 overrides.
 * <osabi>none</osabi> keeps gdb from assuming a GNU/Linux process.
 */
char *gdb_target_xml(void)
{
    GString *x = g_string_new("<?xml version=\"1.0\"?>\n"
                              "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
                              "<target version=\"1.0\">\n"
                              "<osabi>none</osabi>\n"
                              "<feature name=\"org.gnu.gdb.i386.core\">\n"
                              "  <flags id=\"i386_eflags\" size=\"4\">\n");
    for (size_t i = 0; i < G_N_ELEMENTS(eflags_fields); i++)
        g_string_append_printf(x, "    <field name=\"%s\" start=\"%u\" end=\"%u\"/>\n",
                               eflags_fields[i].name, eflags_fields[i].lo, eflags_fields[i].hi);
    g_string_append(x, "  </flags>\n");
    for (unsigned n = 0; n < CORE_REGS; n++)
        xml_reg(x, n);
    g_string_append(x, "</feature>\n<feature name=\"org.popek.i386.system\">\n");
    for (unsigned n = CORE_REGS; n < G_N_ELEMENTS(regs); n++)
        xml_reg(x, n);
    g_string_append(x, "</feature>\n</target>\n");
    return g_string_free(x, FALSE);
}

/* --- values ----------------------------------------------------------- */

static uint32_t *dtable_field(struct cpu *cpu, unsigned index)
{
    struct cpu_dtable *t = index < 2 ? &cpu->gdtr : &cpu->idtr;
    return (index & 1) ? &t->limit : &t->base;
}

/* The x87 control registers by index: fctrl fstat ftag fiseg fioff foseg fooff fop. */
static uint32_t x87_field(const struct cpu_x87_state *x, unsigned index)
{
    switch (index) {
    case 0:
        return x->fctrl;
    case 1:
        return x->fstat;
    case 2:
        return x->ftag;
    case 3:
        return x->fiseg;
    case 4:
        return x->fioff;
    case 5:
        return x->foseg;
    case 6:
        return x->fooff;
    default:
        return x->fop;
    }
}

static void x87_set_field(struct cpu_x87_state *x, unsigned index, uint32_t v)
{
    switch (index) {
    case 0:
        x->fctrl = (uint16_t)v;
        break;
    case 1:
        x->fstat = (uint16_t)v;
        break;
    case 2:
        x->ftag = (uint16_t)v;
        break;
    case 3:
        x->fiseg = (uint16_t)v;
        break;
    case 4:
        x->fioff = v;
        break;
    case 5:
        x->foseg = (uint16_t)v;
        break;
    case 6:
        x->fooff = v;
        break;
    default:
        x->fop = (uint16_t)v;
        break;
    }
}

static uint32_t reg_value(struct cpu *cpu, const struct gdb_reg *r)
{
    switch (r->kind) {
    case REG_GPR:
        return cpu->regs[r->index];
    case REG_EIP:
        return cpu->eip;
    case REG_EFLAGS:
        return cpu->eflags;
    case REG_SEG:
        return cpu->seg[r->index].selector;
    case REG_CR:
        return cpu->cr[r->index];
    case REG_DT:
        return *dtable_field(cpu, r->index);
    default: { /* REG_X87 */
        struct cpu_x87_state x;
        cpu_x87_get(cpu, &x);
        return x87_field(&x, r->index);
    }
    }
}

void gdb_reg_read(struct cpu *cpu, unsigned n, GString *out)
{
    uint8_t bytes[10] = {0};
    if (regs[n].kind == REG_ST) {
        struct cpu_x87_state x;
        cpu_x87_get(cpu, &x);
        memcpy(bytes, x.st[regs[n].index], 10);
    } else {
        uint32_t v = reg_value(cpu, &regs[n]);
        for (unsigned i = 0; i < 4; i++)
            bytes[i] = (uint8_t)(v >> (8 * i));
    }
    gdb_hex_append(out, bytes, regs[n].bits / 8);
}

void gdb_regs_read(struct cpu *cpu, GString *out)
{
    for (unsigned n = 0; n < G_N_ELEMENTS(regs); n++)
        gdb_reg_read(cpu, n, out);
}

/*
 * A selector written by the debugger, loaded as the CPU would load its
 * descriptor cache but without checks or faults: real and virtual-8086
 * mode take base = selector << 4; protected mode reads the descriptor from
 * the GDT or LDT (SDM Vol. 3A §3.4.5). Returns -1 when it cannot be read.
 */
static int load_selector(struct cpu *cpu, enum cpu_seg s, uint16_t sel)
{
    if (!(cpu->cr[0] & 1) || (cpu->eflags & FL_VM)) {
        cpu_set_segment_real(cpu, s, sel);
        return 0;
    }
    if ((sel & ~3u) == 0) {
        cpu_set_segment(cpu, s, sel, 0, 0, 0);
        return 0;
    }
    const struct cpu_dtable *t = (sel & 4) ? &cpu->ldtr : &cpu->gdtr;
    uint8_t d[8];
    if ((sel | 7u) > t->limit || smmu_probe_read(cpu->mmu, t->base + (sel & ~7u), d, 8) != 8)
        return -1;
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | d[i];
    uint32_t base = (uint32_t)((v >> 16) & 0xffffff) | (uint32_t)((v >> 56) << 24);
    uint32_t limit = (uint32_t)(v & 0xffff) | (uint32_t)((v >> 32) & 0xf0000);
    uint16_t attr = (uint16_t)((v >> 40) & 0xf0ff);
    if (attr & SEG_ATTR_G)
        limit = limit << 12 | 0xfff;
    cpu_set_segment(cpu, s, sel, base, limit, attr);
    return 0;
}

/* An x87 register: ST(i) from its 10 bytes, a control register from the low 4. */
static void set_x87(struct cpu *cpu, const struct gdb_reg *r, const uint8_t *bytes, uint32_t v)
{
    struct cpu_x87_state x, old;
    cpu_x87_get(cpu, &x);
    old = x;
    if (r->kind == REG_ST)
        memcpy(x.st[r->index], bytes, 10);
    else
        x87_set_field(&x, r->index, v);
    if (memcmp(&x, &old, sizeof(x)))
        cpu_x87_set(cpu, &x);
}

/* Only what changes is applied: a rewrite of every register by 'G' has no side effects. */
static int set_reg(struct cpu *cpu, const struct gdb_reg *r, uint32_t v)
{
    if (reg_value(cpu, r) == v)
        return 0;
    switch (r->kind) {
    case REG_GPR:
        cpu->regs[r->index] = v;
        return 0;
    case REG_EIP:
        cpu->eip = v;
        return 0;
    case REG_EFLAGS: {
        bool vm_changed = (cpu->eflags ^ v) & FL_VM;
        cpu->eflags = (v & EFLAGS_DEFINED) | 2u;
        if (vm_changed) { /* re-set CS: the CPU recomputes its mode and CPL from it */
            struct cpu_segment cs = cpu->seg[S_CS];
            cpu_set_segment(cpu, S_CS, cs.selector, cs.base, cs.limit, cs.attr);
        }
        return 0;
    }
    case REG_SEG:
        return load_selector(cpu, r->index, (uint16_t)v);
    case REG_CR:
        cpu->cr[r->index] = v;
        if (r->index != 2)
            cpu_sync_control(cpu);
        return 0;
    default: /* REG_DT (x87 registers go through set_x87) */
        *dtable_field(cpu, r->index) = v;
        return 0;
    }
}

int gdb_reg_write(struct cpu *cpu, unsigned n, const char *hex, size_t len)
{
    uint8_t bytes[10];
    size_t size = regs[n].bits / 8;
    if (len < 2 * size || gdb_hex_decode(hex, bytes, size) < 0)
        return -1;
    uint32_t v = (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[2] << 16 |
                 (uint32_t)bytes[3] << 24;
    if (regs[n].kind == REG_ST || regs[n].kind == REG_X87) {
        set_x87(cpu, &regs[n], bytes, v);
        return 0;
    }
    return set_reg(cpu, &regs[n], v);
}

int gdb_regs_write(struct cpu *cpu, const char *hex, size_t len)
{
    int rc = 0;
    size_t at = 0;
    for (unsigned n = 0; n < G_N_ELEMENTS(regs); n++) {
        size_t digits = regs[n].bits / 4;
        if (at + digits > len)
            break; /* a shorter 'G' leaves the rest as they are */
        if (gdb_reg_write(cpu, n, hex + at, digits) < 0)
            rc = -1;
        at += digits;
    }
    return rc;
}
