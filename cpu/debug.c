/*
 * Debug features (SDM Vol. 3A ch. 17): TF single-step traps, instruction
 * and data breakpoints in DR0-DR3 as DR7 enables them, DR6 status bits, RF
 * suppressing an instruction breakpoint for one instruction, and a
 * debugger's watchpoints, which share the data-breakpoint machinery.
 *
 * While TF, RF or a DR7 enable is set the run loop executes one instruction
 * at a time through cpu_debug_before/after; otherwise none of this costs
 * anything. Data breakpoints and watchpoints cost nothing either on pages
 * they do not cover: those pages are trapped in the shadow MMU, so only
 * accesses to them reach cpu_data_access from the slow paths.
 *
 * Left out: I/O breakpoints (R/W = 10 needs CR4.DE, which the CPUID of
 * popek's processor does not offer: like a P6 without it, R/W = 10 matches
 * nothing), and DR6.BT (no TSS T-bit traps).
 */
#include "cpu/handlers.h"

#include <glib.h>

#define DR6_BD (1u << 13)
#define DR6_BS (1u << 14)
#define DR7_GD (1u << 13)

/* DR7 fields of breakpoint i. */
static bool dr_enabled(uint32_t dr7, unsigned i)
{
    return (dr7 >> (2 * i)) & 3u;
}

static unsigned dr_rw(uint32_t dr7, unsigned i)
{
    return (dr7 >> (16 + 4 * i)) & 3u;
}

/* LEN: 00 one byte, 01 two, 11 four, 10 eight (as later processors define it). */
static uint32_t dr_len(uint32_t dr7, unsigned i)
{
    static const uint8_t len[4] = {1, 2, 8, 4};
    return len[(dr7 >> (18 + 4 * i)) & 3u];
}

/* An enabled data breakpoint: R/W = 01 (writes) or 11 (reads and writes). */
static bool dr_data(uint32_t dr7, unsigned i)
{
    return dr_enabled(dr7, i) && (dr_rw(dr7, i) & 1u);
}

/* Does [a, a + alen) meet [b, b + blen)? Lengths are at least 1. */
static bool overlap(uint32_t a, uint32_t alen, uint32_t b, uint32_t blen)
{
    return (uint64_t)a < (uint64_t)b + blen && (uint64_t)b < (uint64_t)a + alen;
}

/* Before an instruction: an enabled execution breakpoint at CS:EIP is a #DB fault. */
bool cpu_debug_before(struct cpu *cpu)
{
    if (cpu->eflags & FL_RF)
        return false;
    uint32_t lin = cpu->seg[S_CS].base + cpu->eip, hits = 0;
    for (unsigned i = 0; i < 4; i++) {
        if (dr_enabled(cpu->dr[7], i) && dr_rw(cpu->dr[7], i) == 0 && cpu->dr[i] == lin)
            hits |= 1u << i;
    }
    if (!hits)
        return false;
    cpu->dr[6] = (cpu->dr[6] & ~0xfu) | hits;
    cpu->internal->insn_eip = cpu->eip;
    cpu_deliver(cpu, EX_DB, NO_ERROR_CODE, false, cpu->eip);
    return true;
}

/* MOV SS or POP SS: it holds off debug traps until after the next instruction. */
static bool loads_ss(const struct insn *in)
{
    return (in->fn == h_mov_sreg || in->fn == h_pop) && in->o[0].kind == OP_SREG &&
           in->o[0].reg == S_SS;
}

/*
 * After one instruction completed: RF is cleared (except by the IRET that
 * just loaded it: it protects the next instruction). Data breakpoints it
 * hit and, if TF was set before it, a single step make one #DB trap, DR6
 * saying which (the step is not taken after INT n, INT3 or INTO, whose
 * gate already cleared TF for the handler). After MOV SS or POP SS no trap
 * is taken (SDM Vol. 3A §6.8.3): its data breakpoint hits wait and join the
 * next instruction's trap, and that instruction's single step covers both.
 * A REP string instruction under TF stops after each iteration (see
 * exec_string.c), so each iteration traps with EIP still at it.
 */
void cpu_debug_after(struct cpu *cpu, bool tf, const struct insn *in)
{
    struct cpu_internal *c = cpu->internal;
    if (in->fn != h_iret)
        cpu->eflags &= ~FL_RF;
    if (loads_ss(in))
        return;
    uint32_t hits = c->dr_hits;
    c->dr_hits = 0;
    bool step = tf && in->fn != h_int;
    if (!hits && !step)
        return;
    if (hits)
        cpu->dr[6] = (cpu->dr[6] & ~0xfu) | hits;
    if (step)
        cpu->dr[6] |= DR6_BS;
    c->insn_eip = cpu->eip;
    cpu_deliver(cpu, EX_DB, NO_ERROR_CODE, false, cpu->eip);
}

/* A data access the MMU trapped: note the breakpoints and watchpoints it meets. */
void cpu_data_access(struct cpu *cpu, uint32_t lin, unsigned size, bool write)
{
    struct cpu_internal *c = cpu->internal;
    uint32_t dr7 = cpu->dr[7];
    for (unsigned i = 0; i < 4; i++) {
        if (!dr_data(dr7, i) || (dr_rw(dr7, i) == 1 && !write))
            continue;
        uint32_t len = dr_len(dr7, i);
        if (overlap(lin, size, cpu->dr[i] & ~(len - 1), len))
            c->dr_hits |= (uint8_t)(1u << i);
    }
    for (unsigned k = 0; k < c->nwatch && c->watch_hit < 0; k++) {
        const struct cpu_watchpoint *w = &c->watch[k];
        bool kind = w->kind == CPU_WATCH_ACCESS || (w->kind == CPU_WATCH_WRITE) == write;
        if (kind && overlap(lin, size, w->addr, w->len)) {
            c->watch_hit = (int)k;
            c->block_dirty = true; /* leave the block right after this instruction */
            cpu_stop(cpu, CPU_EXIT_WATCHPOINT);
        }
    }
}

void cpu_debug_cancel(struct cpu *cpu)
{
    struct cpu_internal *c = cpu->internal;
    c->dr_hits = 0;
    if (c->watch_hit >= 0 && c->stop_run && c->stop_reason == CPU_EXIT_WATCHPOINT)
        c->stop_run = false;
    c->watch_hit = -1;
}

void cpu_debug_sync(struct cpu *cpu)
{
    struct cpu_internal *c = cpu->internal;
    uint32_t pages[SMMU_MAX_TRAPS];
    unsigned n = 0;
    for (unsigned i = 0; i < 4; i++) {
        if (dr_data(cpu->dr[7], i))
            pages[n++] = cpu->dr[i]; /* aligned to its length: within one page */
    }
    for (unsigned k = 0; k < c->nwatch; k++) {
        pages[n++] = c->watch[k].addr;
        pages[n++] = c->watch[k].addr + c->watch[k].len - 1;
    }
    smmu_set_traps(cpu->mmu, pages, n);
    c->data_traps = n != 0;
    memcpy(c->traps_dr, cpu->dr, 4 * sizeof(uint32_t));
    c->traps_dr[4] = cpu->dr[7];
}

void cpu_debug_refresh(struct cpu *cpu)
{
    const uint32_t *t = cpu->internal->traps_dr;
    cpu->internal->watch_hit = -1;
    if (memcmp(t, cpu->dr, 4 * sizeof(uint32_t)) || t[4] != cpu->dr[7])
        cpu_debug_sync(cpu);
}

/*
 * MOV to or from a debug register with DR7.GD set: a #DB fault before it,
 * DR6.BD saying why, GD cleared so the handler can use the registers.
 */
void cpu_debug_general_detect(struct cpu *cpu)
{
    if (!(cpu->dr[7] & DR7_GD))
        return;
    cpu->dr[7] &= ~DR7_GD;
    cpu->dr[6] |= DR6_BD;
    cpu_raise(cpu, EX_DB, NO_ERROR_CODE);
}

int cpu_set_watchpoints(struct cpu *cpu, const struct cpu_watchpoint *w, unsigned n)
{
    struct cpu_internal *c = cpu->internal;
    if (n > CPU_MAX_WATCHPOINTS)
        return -1;
    for (unsigned k = 0; k < n; k++) {
        if (w[k].len < 1 || w[k].len > SMMU_PAGE_SIZE || w[k].kind < CPU_WATCH_WRITE ||
            w[k].kind > CPU_WATCH_ACCESS)
            return -1;
    }
    c->nwatch = n;
    if (n)
        memcpy(c->watch, w, n * sizeof(*w));
    c->watch_hit = -1;
    cpu_debug_sync(cpu);
    return 0;
}

int cpu_watch_hit(const struct cpu *cpu)
{
    return cpu->internal->watch_hit;
}
