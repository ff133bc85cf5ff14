/*
 * System instructions of the integer core: descriptor-table registers,
 * control and debug registers, MSRs, INVLPG and the cache instructions.
 * All are CPL-0 only in protected mode (the table marks them P_PRIV and the
 * run loop checks that before the handler runs). Task registers, LDT and
 * the protection checks of the next layer live with the system
 * architecture.
 */
#include "cpu/handlers.h"

#define MSR_TSC          0x10u
#define MSR_APIC_BASE    0x1bu
#define MSR_SYSENTER_CS  0x174u
#define MSR_SYSENTER_ESP 0x175u
#define MSR_SYSENTER_EIP 0x176u

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
        if (v & ~0x1ffu) /* bits the P6 does not have */
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

void h_rdmsr(struct cpu *cpu, const struct insn *in)
{
    struct cpu_msrs *m = &cpu->internal->msr;
    uint64_t v;
    switch (cpu->regs[R_ECX]) {
    case MSR_TSC:
        v = cpu->tsc + cpu->instructions;
        break;
    case MSR_APIC_BASE:
        v = m->apic_base;
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
    cpu->regs[R_EAX] = (uint32_t)v;
    cpu->regs[R_EDX] = (uint32_t)(v >> 32);
}

void h_wrmsr(struct cpu *cpu, const struct insn *in)
{
    struct cpu_msrs *m = &cpu->internal->msr;
    uint64_t v = (uint64_t)cpu->regs[R_EDX] << 32 | cpu->regs[R_EAX];
    switch (cpu->regs[R_ECX]) {
    case MSR_TSC:
        cpu->tsc = v - cpu->instructions;
        break;
    case MSR_APIC_BASE:
        m->apic_base = v;
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
    default:
        cpu_raise(cpu, EX_GP, 0);
    }
}
