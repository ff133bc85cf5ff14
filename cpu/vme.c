/*
 * Virtual-8086 mode extensions and protected-mode virtual interrupts (SDM
 * Vol. 3A §20.3 and §20.4): with CR4.VME, a V86 task at IOPL < 3 runs CLI,
 * STI, PUSHF, POPF and IRET against the virtual interrupt flag (VIF)
 * instead of trapping, and INT n goes straight to the real-mode vector
 * table when the TSS interrupt redirection bitmap says so; with CR4.PVI,
 * ring-3 protected-mode code gets the same CLI/STI. Everything here runs
 * only in those situations: the callers keep their usual paths otherwise.
 */
#include "cpu/handlers.h"

static unsigned iopl(const struct cpu *cpu)
{
    return (cpu->eflags & FL_IOPL) >> 12;
}

bool cpu_vif_mode(const struct cpu *cpu)
{
    if (cpu_v86(cpu))
        return (cpu->cr[4] & CR4_VME) && iopl(cpu) < 3;
    return cpu_pe(cpu) && (cpu->cr[4] & CR4_PVI) && cpu->cpl == 3 && iopl(cpu) < 3;
}

void cpu_vif_cli(struct cpu *cpu)
{
    cpu->eflags &= ~FL_VIF;
}

void cpu_vif_sti(struct cpu *cpu)
{
    /* A pending virtual interrupt: the monitor must see it now. */
    if (cpu->eflags & FL_VIP)
        cpu_raise(cpu, EX_GP, 0);
    cpu->eflags |= FL_VIF;
}

/* PUSHF in V86 with VME, IOPL < 3: FLAGS with VIF in the IF position, IOPL as 3. */
void cpu_vme_pushf(struct cpu *cpu, unsigned size)
{
    if (size == 4)
        cpu_raise(cpu, EX_GP, 0);
    uint32_t f = cpu_get_eflags(cpu) & 0xffff & ~FL_IF;
    if (cpu->eflags & FL_VIF)
        f |= FL_IF;
    push(cpu, f | FL_IOPL, 2);
}

/* Load FLAGS as POPF or IRET would in V86 with VME: IF goes to VIF, IOPL stays. */
static void vme_load_flags(struct cpu *cpu, uint32_t v)
{
    if ((v & FL_TF) || ((v & FL_IF) && (cpu->eflags & FL_VIP)))
        cpu_raise(cpu, EX_GP, 0);
    uint32_t writable = FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_DF | FL_OF | FL_NT;
    cpu_set_eflags(cpu, v, writable);
    cpu->eflags = (v & FL_IF) ? cpu->eflags | FL_VIF : cpu->eflags & ~FL_VIF;
}

void cpu_vme_popf(struct cpu *cpu, unsigned size)
{
    if (size == 4)
        cpu_raise(cpu, EX_GP, 0);
    uint32_t v = stack_peek(cpu, 0, 2);
    vme_load_flags(cpu, v);
    set_sp(cpu, cpu->regs[R_ESP] + 2);
}

void cpu_vme_iret(struct cpu *cpu, unsigned size)
{
    if (size == 4)
        cpu_raise(cpu, EX_GP, 0);
    uint32_t ip = stack_peek(cpu, 0, 2);
    uint16_t cs = (uint16_t)stack_peek(cpu, 2, 2);
    uint32_t f = stack_peek(cpu, 4, 2);
    vme_load_flags(cpu, f);
    cpu_load_cs(cpu, cs, ip);
    set_sp(cpu, cpu->regs[R_ESP] + 6);
}

/*
 * INT n in V86 with VME: true when the TSS's interrupt redirection bitmap
 * (the 32 bytes before the I/O bitmap) sends vector n to the real-mode
 * vector table, and the interrupt was delivered there.
 */
bool cpu_vme_int(struct cpu *cpu, uint8_t vector, uint32_t return_ip)
{
    if (!cpu_v86(cpu) || !(cpu->cr[4] & CR4_VME))
        return false;
    unsigned type = cpu->tr.attr & SEG_ATTR_TYPE;
    if ((type != SYS_TSS32 && type != SYS_TSS32_BUSY) || cpu->tr.limit < 103)
        cpu_raise(cpu, EX_GP, 0);
    uint32_t map = cpu_read_sys(cpu, cpu->tr.base + 102, 2);
    uint32_t at = map - 32 + vector / 8u;
    if (map < 32 || at > cpu->tr.limit)
        cpu_raise(cpu, EX_GP, 0);
    if (cpu_read_sys(cpu, cpu->tr.base + at, 1) & (1u << (vector & 7)))
        return false; /* redirected to the protected-mode handler */

    /* Real-mode delivery inside the V86 task: the vector table at linear 0. */
    uint32_t vec = lin_read(cpu, (uint32_t)vector * 4, 4);
    uint32_t f = cpu_get_eflags(cpu) & 0xffff;
    bool vif = iopl(cpu) < 3;
    if (vif) {
        f = (f & ~FL_IF) | ((cpu->eflags & FL_VIF) ? FL_IF : 0);
        f |= FL_IOPL;
    }
    uint32_t sp = cpu->regs[R_ESP];
    sp = push_at(cpu, sp, f, 2);
    sp = push_at(cpu, sp, cpu->seg[S_CS].selector, 2);
    sp = push_at(cpu, sp, return_ip & 0xffff, 2);
    set_sp(cpu, sp);
    cpu->eflags &= ~(FL_TF | FL_RF);
    cpu->eflags &= vif ? ~FL_VIF : ~FL_IF;
    cpu_set_segment_real(cpu, S_CS, (uint16_t)(vec >> 16));
    cpu->eip = vec & 0xffff;
    cpu_update_mode(cpu);
    return true;
}
