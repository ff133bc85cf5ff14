/*
 * System instructions of the integer core: descriptor-table registers,
 * control and debug registers, MSRs, INVLPG and the cache instructions.
 * All are CPL-0 only in protected mode (the table marks them P_PRIV and the
 * run loop checks that before the handler runs). Task registers, LDT and
 * the protection checks of the next layer live with the system
 * architecture.
 */
#include "cpu/handlers.h"

#define MSR_TSC               0x10u
#define MSR_PLATFORM_ID       0x17u /* read-only; Linux's microcode driver reads it */
#define MSR_APIC_BASE         0x1bu
#define MSR_SYSENTER_CS       0x174u
#define MSR_SYSENTER_ESP      0x175u
#define MSR_SYSENTER_EIP      0x176u
#define MSR_MTRR_CAP          0xfeu
#define MSR_MISC_ENABLE       0x1a0u
#define MSR_MTRR_PHYS_FIRST   0x200u /* PhysBase0, PhysMask0 .. PhysMask7 */
#define MSR_MTRR_FIX64K       0x250u
#define MSR_MTRR_FIX16K_80000 0x258u
#define MSR_MTRR_FIX16K_A0000 0x259u
#define MSR_MTRR_FIX4K_FIRST  0x268u
#define MSR_PAT               0x277u
#define MSR_MTRR_DEF_TYPE     0x2ffu
#define MSR_BIOS_SIGN_ID      0x8bu  /* microcode update signature */
#define MSR_PERFCTR0          0xc1u  /* PERFCTR0, PERFCTR1 */
#define MSR_EVNTSEL0          0x186u /* EVNTSEL0, EVNTSEL1 */

static void need_memory(struct cpu *cpu, const struct insn *in)
{
    if (in->o[0].kind != OP_MEM)
        cpu_raise(cpu, EX_UD, NO_ERROR_CODE);
}

/* LGDT (sub 0), LIDT (sub 1): a 16-bit operand size keeps 24 bits of the base. */
void h_lgdt(struct cpu *cpu, const struct insn *in)
{
    need_memory(cpu, in);
    uint32_t ea = insn_ea(cpu, in);
    uint32_t limit = mem_read(cpu, in->seg, ea, 2);
    uint32_t base = mem_read(cpu, in->seg, ea + 2, 4);
    if (in->opsize == 2)
        base &= 0x00ffffffu;
    struct cpu_dtable *t = in->sub ? &cpu->idtr : &cpu->gdtr;
    t->base = base;
    t->limit = limit;
}

/* SGDT (sub 0), SIDT (sub 1): with a 16-bit operand a P6 stores the high base byte as is. */
void h_sgdt(struct cpu *cpu, const struct insn *in)
{
    need_memory(cpu, in);
    const struct cpu_dtable *t = in->sub ? &cpu->idtr : &cpu->gdtr;
    uint32_t ea = insn_ea(cpu, in);
    cpu_probe_write(cpu, in->seg, ea, 6);
    mem_write(cpu, in->seg, ea, t->limit, 2);
    mem_write(cpu, in->seg, ea + 2, t->base, 4);
}

static void write_cr(struct cpu *cpu, unsigned n, uint32_t v)
{
    switch (n) {
    case 0:
        /* PG without PE, or NW without CD: #GP(0). */
        if (((v & CR0_PG) && !(v & CR0_PE)) || ((v & CR0_NW) && !(v & CR0_CD)))
            cpu_raise(cpu, EX_GP, 0);
        cpu_write_control(cpu, 0, v | CR0_ET);
        break;
    case 2:
        cpu->cr[2] = v;
        break;
    case 3:
        cpu_write_control(cpu, 3, v);
        break;
    case 4:
        if (v & ~0x3ffu) /* bits a P6 with FXSR does not have (OSFXSR, bit 9, it has) */
            cpu_raise(cpu, EX_GP, 0);
        cpu_write_control(cpu, 4, v);
        break;
    default:
        cpu_raise(cpu, EX_UD, NO_ERROR_CODE);
    }
}

void h_mov_cr(struct cpu *cpu, const struct insn *in)
{
    if (in->o[0].kind == OP_CREG) {
        unsigned n = in->o[0].reg;
        if (n == 1 || n > 4)
            cpu_raise(cpu, EX_UD, NO_ERROR_CODE);
        write_cr(cpu, n, cpu->regs[in->o[1].reg]);
        return;
    }
    unsigned n = in->o[1].reg;
    if (n == 1 || n > 4)
        cpu_raise(cpu, EX_UD, NO_ERROR_CODE);
    cpu->regs[in->o[0].reg] = cpu->cr[n];
}

void h_mov_dr(struct cpu *cpu, const struct insn *in)
{
    bool to_dr = in->o[0].kind == OP_DREG;
    unsigned n = to_dr ? in->o[0].reg : in->o[1].reg;
    cpu_debug_general_detect(cpu);
    /* DR4 and DR5 alias DR6 and DR7 unless CR4.DE. */
    if (n == 4 || n == 5) {
        if (cpu->cr[4] & CR4_DE)
            cpu_raise(cpu, EX_UD, NO_ERROR_CODE);
        n += 2;
    }
    if (to_dr) {
        uint32_t v = cpu->regs[in->o[1].reg];
        if (n == 6)
            v = (v & 0x0000e00fu) | 0xffff0ff0u;
        else if (n == 7)
            v = (v & 0xffff2bffu) | 0x400u;
        cpu->dr[n] = v;
        if (n != 6)
            cpu_debug_sync(cpu);
    } else {
        cpu->regs[in->o[0].reg] = cpu->dr[n];
    }
}

/* LMSW loads PE MP EM TS; it can set PE but never clear it. */
void h_lmsw(struct cpu *cpu, const struct insn *in)
{
    uint32_t v = op_read(cpu, in, 0) & 0xf;
    uint32_t cr0 = cpu->cr[0];
    uint32_t n = (cr0 & ~0xeu) | v | (cr0 & CR0_PE);
    write_cr(cpu, 0, n);
}

/* SMSW: the low 16 bits of CR0 to memory; a 32-bit register gets all of CR0. */
void h_smsw(struct cpu *cpu, const struct insn *in)
{
    if (in->o[0].kind == OP_REG)
        reg_write(cpu, in->o[0].reg, in->o[0].size, cpu->cr[0]);
    else
        mem_write(cpu, in->seg, insn_ea(cpu, in), cpu->cr[0] & 0xffff, 2);
}

void h_clts(struct cpu *cpu, const struct insn *in)
{
    cpu->cr[0] &= ~CR0_TS;
}

void h_invlpg(struct cpu *cpu, const struct insn *in)
{
    need_memory(cpu, in);
    /* The segment is applied but no limit check or access happens. */
    smmu_invlpg(cpu->mmu, cpu->seg[in->seg].base + insn_ea(cpu, in));
}

void h_privnop(struct cpu *cpu, const struct insn *in)
{
}

/*
 * The MTRRs, PAT, MISC_ENABLE, the microcode signature and the performance
 * counters: kept as written (popek's memory has one type; the counters do
 * not count).
 */
static uint64_t *stored_msr(struct cpu *cpu, uint32_t msr)
{
    struct cpu_msrs *m = &cpu->internal->msr;
    if (msr >= MSR_MTRR_PHYS_FIRST && msr < MSR_MTRR_PHYS_FIRST + 16)
        return &m->mtrr_var[msr - MSR_MTRR_PHYS_FIRST];
    switch (msr) {
    case MSR_MTRR_FIX64K:
        return &m->mtrr_fixed[0];
    case MSR_MTRR_FIX16K_80000:
        return &m->mtrr_fixed[1];
    case MSR_MTRR_FIX16K_A0000:
        return &m->mtrr_fixed[2];
    case MSR_MTRR_DEF_TYPE:
        return &m->mtrr_def_type;
    case MSR_PAT:
        return &m->pat;
    case MSR_MISC_ENABLE:
        return &m->misc_enable;
    case MSR_BIOS_SIGN_ID:
        return &m->bios_sign_id;
    case MSR_PERFCTR0:
    case MSR_PERFCTR0 + 1:
        return &m->perf[msr - MSR_PERFCTR0];
    case MSR_EVNTSEL0:
    case MSR_EVNTSEL0 + 1:
        return &m->perf[2 + msr - MSR_EVNTSEL0];
    default:
        if (msr >= MSR_MTRR_FIX4K_FIRST && msr < MSR_MTRR_FIX4K_FIRST + 8)
            return &m->mtrr_fixed[3 + msr - MSR_MTRR_FIX4K_FIRST];
        return NULL;
    }
}

void h_rdmsr(struct cpu *cpu, const struct insn *in)
{
    struct cpu_msrs *m = &cpu->internal->msr;
    uint32_t msr = cpu->regs[R_ECX];
    uint64_t v;
    uint64_t *stored = stored_msr(cpu, msr);
    if (stored) {
        v = *stored;
    } else {
        switch (msr) {
        case MSR_TSC:
            v = cpu_read_tsc(cpu);
            break;
        case MSR_PLATFORM_ID:
            v = 0; /* platform 0 (bits 52-50) */
            break;
        case MSR_APIC_BASE:
            v = cpu->apic_base.read ? cpu->apic_base.read(cpu->apic_base.opaque) : m->apic_base;
            break;
        case MSR_MTRR_CAP:
            v = 0x508; /* 8 variable ranges, fixed ranges, write-combining */
            break;
        case MSR_SYSENTER_CS:
            v = m->sysenter_cs;
            break;
        case MSR_SYSENTER_ESP:
            v = m->sysenter_esp;
            break;
        case MSR_SYSENTER_EIP:
            v = m->sysenter_eip;
            break;
        default:
            cpu_raise(cpu, EX_GP, 0);
        }
    }
    cpu->regs[R_EAX] = (uint32_t)v;
    cpu->regs[R_EDX] = (uint32_t)(v >> 32);
}

void h_wrmsr(struct cpu *cpu, const struct insn *in)
{
    struct cpu_msrs *m = &cpu->internal->msr;
    uint32_t msr = cpu->regs[R_ECX];
    uint64_t v = (uint64_t)cpu->regs[R_EDX] << 32 | cpu->regs[R_EAX];
    uint64_t *stored = stored_msr(cpu, msr);
    if (stored) {
        *stored = v;
        return;
    }
    switch (msr) {
    case MSR_TSC:
        cpu_write_tsc(cpu, v);
        break;
    case MSR_APIC_BASE:
        if (!cpu->apic_base.write)
            m->apic_base = v;
        else if (cpu->apic_base.write(cpu->apic_base.opaque, v) < 0)
            cpu_raise(cpu, EX_GP, 0);
        break;
    case MSR_SYSENTER_CS:
        m->sysenter_cs = (uint32_t)v;
        break;
    case MSR_SYSENTER_ESP:
        m->sysenter_esp = (uint32_t)v;
        break;
    case MSR_SYSENTER_EIP:
        m->sysenter_eip = (uint32_t)v;
        break;
    default: /* unknown, or read-only like MTRRcap */
        cpu_raise(cpu, EX_GP, 0);
    }
}

/* --- descriptor-table and task registers ------------------------------ */

/* LLDT: a null selector disables the LDT; anything else must be an LDT in the GDT. */
void h_lldt(struct cpu *cpu, const struct insn *in)
{
    uint16_t sel = (uint16_t)op_read(cpu, in, 0);
    if ((sel & ~3u) == 0) {
        cpu->ldtr = (struct cpu_dtable){sel, 0, 0, 0};
        return;
    }
    uint64_t d;
    uint32_t addr;
    if ((sel & 4) || !cpu_fetch_descriptor(cpu, sel, &d, &addr) ||
        (desc_attr(d) & (SEG_ATTR_S | SEG_ATTR_TYPE)) != SYS_LDT)
        cpu_raise(cpu, EX_GP, sel & ~3u);
    if (!(desc_attr(d) & SEG_ATTR_P))
        cpu_raise(cpu, EX_NP, sel & ~3u);
    struct cpu_segment s;
    cpu_descriptor_cache(d, &s, sel);
    cpu->ldtr = (struct cpu_dtable){sel, s.base, s.limit, s.attr};
}

/* LTR: an available TSS in the GDT, which becomes busy. */
void h_ltr(struct cpu *cpu, const struct insn *in)
{
    uint16_t sel = (uint16_t)op_read(cpu, in, 0);
    if ((sel & ~3u) == 0)
        cpu_raise(cpu, EX_GP, 0);
    uint64_t d;
    uint32_t addr;
    unsigned type = 0;
    if (!(sel & 4) && cpu_fetch_descriptor(cpu, sel, &d, &addr))
        type = desc_attr(d) & (SEG_ATTR_S | SEG_ATTR_TYPE);
    if (type != SYS_TSS16 && type != SYS_TSS32)
        cpu_raise(cpu, EX_GP, sel & ~3u);
    if (!(desc_attr(d) & SEG_ATTR_P))
        cpu_raise(cpu, EX_NP, sel & ~3u);
    cpu_write_sys(cpu, addr + 5, (uint32_t)(d >> 40) | 0x2, 1);
    struct cpu_segment s;
    cpu_descriptor_cache(d | (2ull << 40), &s, sel);
    cpu->tr = (struct cpu_dtable){sel, s.base, s.limit, s.attr};
}

/* SLDT (sub 0), STR (sub 1): to a register the selector is zero-extended. */
void h_sldt(struct cpu *cpu, const struct insn *in)
{
    uint16_t sel = in->sub ? cpu->tr.selector : cpu->ldtr.selector;
    if (in->o[0].kind == OP_REG)
        reg_write(cpu, in->o[0].reg, in->o[0].size, sel);
    else
        mem_write(cpu, in->seg, insn_ea(cpu, in), sel, 2);
}

/*
 * The descriptor LAR/LSL/VERR/VERW look at, if it is visible at the current
 * CPL and RPL (conforming code segments always are); else NULL-like false.
 */
static bool visible_descriptor(struct cpu *cpu, uint16_t sel, uint64_t *d)
{
    uint32_t addr;
    if ((sel & ~3u) == 0 || !cpu_fetch_descriptor(cpu, sel, d, &addr))
        return false;
    uint16_t attr = desc_attr(*d);
    unsigned dpl = SEG_ATTR_DPL(attr), type = attr & SEG_ATTR_TYPE;
    bool conforming = (attr & SEG_ATTR_S) && (type & TYPE_CODE) && (type & TYPE_CONFORM);
    return conforming || (dpl >= (unsigned)cpu->cpl && dpl >= (sel & 3u));
}

static void set_zf(struct cpu *cpu, bool zf)
{
    uint32_t fl = cpu_get_eflags(cpu) & FL_ARITH & ~FL_ZF;
    cc_store(cpu, fl | (zf ? FL_ZF : 0));
}

/* LAR (sub 0) and LSL (sub 1): which system types they accept differs. */
void h_lar(struct cpu *cpu, const struct insn *in)
{
    uint16_t sel = (uint16_t)op_read(cpu, in, 1);
    uint64_t d;
    if (!visible_descriptor(cpu, sel, &d)) {
        set_zf(cpu, false);
        return;
    }
    uint16_t attr = desc_attr(d);
    if (!(attr & SEG_ATTR_S)) {
        unsigned t = attr & SEG_ATTR_TYPE;
        bool ok = t == SYS_TSS16 || t == SYS_LDT || t == SYS_TSS16_BUSY || t == SYS_TSS32 ||
                  t == SYS_TSS32_BUSY;
        if (in->sub == 0)
            ok = ok || t == SYS_CALL16 || t == SYS_TASK || t == SYS_CALL32;
        if (!ok) {
            set_zf(cpu, false);
            return;
        }
    }
    uint32_t v;
    if (in->sub == 0) {
        v = (uint32_t)(d >> 32) & 0x00f0ff00u;
    } else {
        struct cpu_segment s;
        cpu_descriptor_cache(d, &s, sel);
        v = s.limit;
    }
    reg_write(cpu, in->o[0].reg, in->o[0].size, v);
    set_zf(cpu, true);
}

/* VERR (sub 0) and VERW (sub 1). */
void h_verr(struct cpu *cpu, const struct insn *in)
{
    uint16_t sel = (uint16_t)op_read(cpu, in, 0);
    uint64_t d;
    bool ok = visible_descriptor(cpu, sel, &d) && (desc_attr(d) & SEG_ATTR_S);
    if (ok) {
        unsigned type = desc_attr(d) & SEG_ATTR_TYPE;
        if (in->sub)
            ok = !(type & TYPE_CODE) && (type & TYPE_WRITABLE);
        else
            ok = !(type & TYPE_CODE) || (type & TYPE_READABLE);
    }
    set_zf(cpu, ok);
}

/* ARPL: raise the destination selector's RPL to the source's (#UD outside protected mode). */
void h_arpl(struct cpu *cpu, const struct insn *in)
{
    if (!cpu_pe(cpu) || cpu_v86(cpu))
        cpu_raise(cpu, EX_UD, NO_ERROR_CODE);
    uint32_t dst = op_read(cpu, in, 0), src = op_read(cpu, in, 1);
    if ((dst & 3u) < (src & 3u)) {
        op_write(cpu, in, 0, (dst & ~3u) | (src & 3u));
        set_zf(cpu, true);
    } else {
        set_zf(cpu, false);
    }
}

/* --- fast system calls ------------------------------------------------ */

void h_sysenter(struct cpu *cpu, const struct insn *in)
{
    uint32_t cs = cpu->internal->msr.sysenter_cs & 0xfffcu;
    if (!cpu_pe(cpu) || cs == 0)
        cpu_raise(cpu, EX_GP, 0);
    cpu->eflags &= ~(FL_VM | FL_IF | FL_RF);
    cpu->seg[S_CS] = (struct cpu_segment){(uint16_t)cs, 0, 0xffffffffu, 0xc09b};
    cpu->seg[S_SS] = (struct cpu_segment){(uint16_t)(cs + 8), 0, 0xffffffffu, 0xc093};
    cpu->regs[R_ESP] = cpu->internal->msr.sysenter_esp;
    cpu->eip = cpu->internal->msr.sysenter_eip;
    cpu->cpl = 0;
    cpu_update_mode(cpu);
}

void h_sysexit(struct cpu *cpu, const struct insn *in)
{
    uint32_t cs = cpu->internal->msr.sysenter_cs & 0xfffcu;
    if (!cpu_pe(cpu) || cpu_v86(cpu) || cpu->cpl != 0 || cs == 0)
        cpu_raise(cpu, EX_GP, 0);
    cpu->seg[S_CS] = (struct cpu_segment){(uint16_t)((cs + 16) | 3), 0, 0xffffffffu, 0xc0fb};
    cpu->seg[S_SS] = (struct cpu_segment){(uint16_t)((cs + 24) | 3), 0, 0xffffffffu, 0xc0f3};
    cpu->regs[R_ESP] = cpu->regs[R_ECX];
    cpu->eip = cpu->regs[R_EDX];
    cpu->cpl = 3;
    cpu_update_mode(cpu);
}

/* RDPMC: performance counter ECX (0 or 1); CPL 0 or CR4.PCE. popek's counters do not count. */
void h_rdpmc(struct cpu *cpu, const struct insn *in)
{
    uint32_t n = cpu->regs[R_ECX];
    if ((cpu_pe(cpu) && (cpu->cpl != 0 || cpu_v86(cpu)) && !(cpu->cr[4] & CR4_PCE)) || n > 1)
        cpu_raise(cpu, EX_GP, 0);
    uint64_t v = cpu->internal->msr.perf[n] & 0xffffffffffull; /* 40-bit counters */
    cpu->regs[R_EAX] = (uint32_t)v;
    cpu->regs[R_EDX] = (uint32_t)(v >> 32);
}
