/*
 * Debug features (SDM Vol. 3A ch. 17): TF single-step traps, instruction
 * breakpoints in DR0-DR3 as DR7 enables them, DR6 status bits, and RF
 * suppressing an instruction breakpoint for one instruction. While any of
 * them is active the run loop executes one instruction at a time through
 * here; otherwise none of this costs anything.
 *
 * Data breakpoints (DR7 R/W = 01 or 11) are not implemented: they would need
 * a hook on every memory access. DR7 keeps them as written.
 */
#include "cpu/handlers.h"

#define DR6_BS (1u << 14)

/* Before an instruction: an enabled execution breakpoint at CS:EIP is a #DB fault. */
bool cpu_debug_before(struct cpu *cpu)
{
    if (cpu->eflags & FL_RF)
        return false;
    uint32_t lin = cpu->seg[S_CS].base + cpu->eip, hits = 0;
    for (unsigned i = 0; i < 4; i++) {
        bool enabled = (cpu->dr[7] >> (2 * i)) & 3u;
        unsigned rw = (cpu->dr[7] >> (16 + 4 * i)) & 3u;
        if (enabled && rw == 0 && cpu->dr[i] == lin)
            hits |= 1u << i;
    }
    if (!hits)
        return false;
    cpu->dr[6] = (cpu->dr[6] & ~0xfu) | hits;
    cpu->internal->insn_eip = cpu->eip;
    cpu_deliver(cpu, EX_DB, NO_ERROR_CODE, false, cpu->eip);
    return true;
}

/*
 * After one instruction completed: RF is cleared (except by the IRET that
 * just loaded it: it protects the next instruction), and if TF was set
 * before it a single-step #DB trap follows (not after INT n, INT3 or INTO,
 * whose gate already cleared TF for the handler).
 */
void cpu_debug_after(struct cpu *cpu, bool tf, const struct insn *in)
{
    if (in->fn != h_iret)
        cpu->eflags &= ~FL_RF;
    if (!tf || in->fn == h_int)
        return;
    cpu->dr[6] |= DR6_BS;
    cpu->internal->insn_eip = cpu->eip;
    cpu_deliver(cpu, EX_DB, NO_ERROR_CODE, false, cpu->eip);
}
