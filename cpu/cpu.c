/*
 * The CPU's life cycle: creation and RESET, control registers, the slow
 * memory paths behind the inline accessors, the time-stamp counter, the I/O
 * permission check and CPUID. The loop that runs the CPU is translator/'s;
 * what it calls between instructions is in cpu/events.c.
 */
#include "cpu/handlers.h"

#include <glib.h>

#define CPU_SIGNATURE 0x00000652u /* family 6, model 5 (Pentium II), stepping 2 */

struct cpu *cpu_create(struct machine *m, struct shadowmmu *mmu)
{
    struct cpu *cpu = g_new0(struct cpu, 1);
    struct cpu_internal *c = g_new0(struct cpu_internal, 1);
    cpu->internal = c;
    cpu->machine = m;
    cpu->mmu = mmu;
    c->tlb = smmu_tlb(mmu);
    cpu_decoder_init(cpu);
    fpu_select(&c->fpu);
    cpu_reset(cpu);
    return cpu;
}

void cpu_destroy(struct cpu *cpu)
{
    if (!cpu)
        return;
    cpu_decoder_destroy(cpu);
    g_free(cpu->internal);
    g_free(cpu);
}

void cpu_reset(struct cpu *cpu)
{
    struct cpu_internal *c = cpu->internal;
    memset(cpu->regs, 0, sizeof(cpu->regs));
    cpu->regs[R_EDX] = CPU_SIGNATURE;
    cpu->eip = 0xfff0;
    cpu->eflags = 0x2;
    cpu->cr[0] = 0x60000010u; /* CD NW ET */
    cpu->cr[2] = cpu->cr[3] = cpu->cr[4] = 0;
    for (int s = 0; s < S_COUNT; s++)
        cpu->seg[s] = (struct cpu_segment){0, 0, 0xffff, 0x93};
    cpu->seg[S_CS] = (struct cpu_segment){0xf000, 0xffff0000u, 0xffff, 0x9b};
    cpu->gdtr = (struct cpu_dtable){0, 0, 0xffff, 0};
    cpu->idtr = (struct cpu_dtable){0, 0, 0xffff, 0};
    cpu->ldtr = (struct cpu_dtable){0, 0, 0xffff, 0x82};
    cpu->tr = (struct cpu_dtable){0, 0, 0xffff, 0x8b};
    memset(cpu->dr, 0, sizeof(cpu->dr));
    cpu->dr[6] = 0xffff0ff0u;
    cpu->dr[7] = 0x400;
    cpu_write_tsc(cpu, 0);
    c->cc_op = CC_EAGER;
    cpu->halted = false;
    c->inhibit_irq = false;
    c->delivering = -1;
    cpu_debug_cancel(cpu);
    cpu_debug_sync(cpu);
    memset(&c->msr, 0, sizeof(c->msr));
    c->msr.apic_base = 0xfee00900u;
    c->msr.pat = 0x0007040600070406ull; /* the power-on PAT */
    fpu_reset(cpu);
    cpu_sync_control(cpu);
}

static int apply_control(struct cpu *cpu)
{
    if (smmu_set_mode(cpu->mmu, cpu->cr[0], cpu->cr[4]) < 0 ||
        smmu_set_cr3(cpu->mmu, cpu->cr[3]) < 0)
        return -1;
    cpu_update_mode(cpu);
    return 0;
}

void cpu_sync_control(struct cpu *cpu)
{
    (void)apply_control(cpu);
}

/* For MOV to CR0/CR3/CR4: #GP(0) on malformed PAE PDPTEs, with the old values kept. */
void cpu_write_control(struct cpu *cpu, unsigned n, uint32_t value)
{
    uint32_t old = cpu->cr[n];
    cpu->cr[n] = value;
    if (apply_control(cpu) < 0) {
        cpu->cr[n] = old;
        (void)apply_control(cpu);
        cpu_raise(cpu, EX_GP, 0);
    }
}

/* --- memory slow paths ------------------------------------------------ */

/*
 * Every CPU access that leaves the TLB fast path ends here: through the MMU
 * (a #PF if it faults), then the data breakpoints (not for fetches).
 */
static void read_mem(struct cpu *cpu, uint32_t lin, void *buf, unsigned size, enum smmu_access acc,
                     int user)
{
    struct smmu_fault f;
    cpu->internal->touched_devices = true;
    if (smmu_read(cpu->mmu, lin, buf, size, acc, user, &f) < 0)
        cpu_raise_pf(cpu, &f);
    if (acc != SMMU_FETCH)
        data_trap(cpu, lin, size, false);
}

static void write_mem(struct cpu *cpu, uint32_t lin, const void *buf, unsigned size, int user)
{
    struct smmu_fault f;
    struct cpu_internal *c = cpu->internal;
    c->cpu_writing = true;
    c->touched_devices = true;
    int rc = smmu_write(cpu->mmu, lin, buf, size, user, &f);
    c->cpu_writing = false;
    if (rc < 0)
        cpu_raise_pf(cpu, &f);
    data_trap(cpu, lin, size, true);
}

uint32_t cpu_read_slow(struct cpu *cpu, uint32_t lin, unsigned size, enum smmu_access acc)
{
    uint32_t v = 0;
    read_mem(cpu, lin, &v, size, acc, cpu_user(cpu));
    return v;
}

void cpu_write_slow(struct cpu *cpu, uint32_t lin, uint32_t v, unsigned size)
{
    /* Data next to code (a watched page): written here, with no call into the shadow MMU. */
    uint8_t *p = smmu_data_ptr(cpu->internal->tlb, lin, size, cpu_user(cpu));
    if (p)
        store_le(p, v, size);
    else
        write_mem(cpu, lin, &v, size, cpu_user(cpu));
}

/* With an explicit privilege (descriptor tables, the TSS, the IDT): the TLB first, as any access.
 */
uint32_t cpu_read_lin(struct cpu *cpu, uint32_t lin, unsigned size, int user)
{
    const uint8_t *p = smmu_fast_ptr(cpu->internal->tlb, lin, size, SMMU_READ, user);
    if (p)
        return load_le(p, size);
    uint32_t v = 0;
    read_mem(cpu, lin, &v, size, SMMU_READ, user);
    return v;
}

void cpu_write_lin(struct cpu *cpu, uint32_t lin, uint32_t v, unsigned size, int user)
{
    uint8_t *p = smmu_fast_ptr(cpu->internal->tlb, lin, size, SMMU_WRITE, user);
    if (!p)
        p = smmu_data_ptr(cpu->internal->tlb, lin, size, user);
    if (p)
        store_le(p, v, size);
    else
        write_mem(cpu, lin, &v, size, user);
}

uint32_t cpu_read_sys(struct cpu *cpu, uint32_t lin, unsigned size)
{
    return cpu_read_lin(cpu, lin, size, 0);
}

void cpu_write_sys(struct cpu *cpu, uint32_t lin, uint32_t v, unsigned size)
{
    cpu_write_lin(cpu, lin, v, size, 0);
}

void cpu_probe_write(struct cpu *cpu, unsigned seg, uint32_t off, unsigned size)
{
    uint32_t lin = seg_linear(cpu, seg, off, size, true);
    uint32_t last = lin + size - 1;
    uint64_t phys;
    struct smmu_fault f;
    for (uint32_t page = lin & SMMU_PAGE_MASK;; page += SMMU_PAGE_SIZE) {
        uint32_t at = page < lin ? lin : page;
        if (smmu_translate(cpu->mmu, at, SMMU_WRITE, cpu_user(cpu), false, &phys, &f) < 0)
            cpu_raise_pf(cpu, &f);
        if (page == (last & SMMU_PAGE_MASK))
            break;
    }
}

uint64_t cpu_read64(struct cpu *cpu, unsigned seg, uint32_t off)
{
    uint64_t v = 0;
    read_mem(cpu, seg_linear(cpu, seg, off, 8, false), &v, 8, SMMU_READ, cpu_user(cpu));
    return v;
}

void cpu_write64(struct cpu *cpu, unsigned seg, uint32_t off, uint64_t v)
{
    write_mem(cpu, seg_linear(cpu, seg, off, 8, true), &v, 8, cpu_user(cpu));
}

uint64_t cpu_fetch_phys(struct cpu *cpu, uint32_t lin)
{
    uint64_t phys;
    struct smmu_fault f;
    if (smmu_fetch_phys(cpu->mmu, lin, cpu_user(cpu), &phys, &f) < 0)
        cpu_raise_pf(cpu, &f);
    return phys;
}

/* --- time-stamp counter ---------------------------------------------- */

uint64_t cpu_read_tsc(struct cpu *cpu)
{
    struct cpu_internal *c = cpu->internal;
    uint64_t t = cpu->tsc + vclock_now(&cpu->machine->clock);
    /* Virtual time has whole nanoseconds; two reads may fall within one. */
    if (t <= c->last_tsc)
        t = c->last_tsc + 1;
    c->last_tsc = t;
    return t;
}

void cpu_write_tsc(struct cpu *cpu, uint64_t value)
{
    cpu->tsc = value - vclock_now(&cpu->machine->clock);
    cpu->internal->last_tsc = value ? value - 1 : 0;
}

/* --- ports and identification ----------------------------------------- */

void cpu_check_io(struct cpu *cpu, uint16_t port, unsigned size)
{
    if (!cpu_pe(cpu))
        return;
    unsigned iopl = (cpu->eflags & FL_IOPL) >> 12;
    /* Above IOPL (always in virtual-8086 mode) the TSS I/O bitmap decides. */
    if ((cpu_v86(cpu) || (unsigned)cpu->cpl > iopl) && !cpu_io_allowed(cpu, port, size))
        cpu_raise(cpu, EX_GP, 0);
}

/* An APIC the board gave the CPU, not disabled in IA32_APIC_BASE (SDM Vol. 3A §10.4.3). */
static bool apic_enabled(struct cpu *cpu)
{
    return cpu->apic_base.read && (cpu->apic_base.read(cpu->apic_base.opaque) & (1u << 11));
}

void cpu_cpuid(struct cpu *cpu, uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    /* Only what popek implements: FPU VME PSE TSC MSR PAE CX8 SEP MTRR PGE CMOV PAT FXSR. */
    const uint32_t features = (1u << 0) | (1u << 1) | (1u << 3) | (1u << 4) | (1u << 5) |
                              (1u << 6) | (1u << 8) | (1u << 11) | (1u << 12) | (1u << 13) |
                              (1u << 15) | (1u << 16) | (1u << 24);
    switch (leaf) {
    case 0:
        *a = 2;
        *b = 0x756e6547u; /* "GenuineIntel" */
        *d = 0x49656e69u;
        *c = 0x6c65746eu;
        break;
    case 1:
        *a = CPU_SIGNATURE;
        *b = 0; /* initial APIC ID 0 */
        *c = 0;
        *d = features | (apic_enabled(cpu) ? 1u << 9 : 0);
        break;
    case 2: /* cache and TLB descriptors of a Pentium II */
        *a = 0x03020101u;
        *b = 0;
        *c = 0;
        *d = 0x0c040843u;
        break;
    default: /* beyond the maximum: the highest basic leaf, as Intel CPUs do */
        cpu_cpuid(cpu, 2, a, b, c, d);
        break;
    }
}
