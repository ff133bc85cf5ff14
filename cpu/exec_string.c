/*
 * String instructions: MOVS CMPS SCAS LODS STOS INS OUTS, with REP, REPE
 * and REPNE, DF, and 16- or 32-bit addressing. Every iteration commits its
 * registers before the next begins, so a fault in the middle leaves the
 * state after the last completed iteration and the instruction restarts
 * there; a long REP yields after a slice so interrupts are not held off,
 * and after an iteration that hit a data breakpoint or watchpoint or ran
 * under TF (each iteration single-steps, EIP at the instruction until the
 * count runs out).
 */
#include "cpu/handlers.h"

#define REP_SLICE 4096u /* iterations before a REP instruction yields */

static inline uint32_t amask(const struct insn *in)
{
    return in->adsize == 2 ? 0xffffu : 0xffffffffu;
}

static inline uint32_t areg(const struct cpu *cpu, const struct insn *in, unsigned r)
{
    return cpu->regs[r] & amask(in);
}

static inline void aadvance(struct cpu *cpu, const struct insn *in, unsigned r, int32_t delta)
{
    uint32_t m = amask(in);
    cpu->regs[r] = (cpu->regs[r] & ~m) | ((cpu->regs[r] + (uint32_t)delta) & m);
}

static inline int32_t step(const struct cpu *cpu, const struct insn *in)
{
    return (cpu->eflags & FL_DF) ? -(int32_t)in->opsize : (int32_t)in->opsize;
}

/* One iteration of each instruction; returns false when REPE/REPNE should stop. */
static bool movs_once(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->opsize;
    uint32_t v = mem_read(cpu, in->seg, areg(cpu, in, R_ESI), size);
    mem_write(cpu, S_ES, areg(cpu, in, R_EDI), v, size);
    aadvance(cpu, in, R_ESI, step(cpu, in));
    aadvance(cpu, in, R_EDI, step(cpu, in));
    return true;
}

static bool stos_once(struct cpu *cpu, const struct insn *in)
{
    mem_write(cpu, S_ES, areg(cpu, in, R_EDI), cpu->regs[R_EAX], in->opsize);
    aadvance(cpu, in, R_EDI, step(cpu, in));
    return true;
}

static bool lods_once(struct cpu *cpu, const struct insn *in)
{
    uint32_t v = mem_read(cpu, in->seg, areg(cpu, in, R_ESI), in->opsize);
    reg_write(cpu, R_EAX, in->opsize, v);
    aadvance(cpu, in, R_ESI, step(cpu, in));
    return true;
}

static bool cmps_once(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->opsize;
    uint32_t a = mem_read(cpu, in->seg, areg(cpu, in, R_ESI), size);
    uint32_t b = mem_read(cpu, S_ES, areg(cpu, in, R_EDI), size);
    aadvance(cpu, in, R_ESI, step(cpu, in));
    aadvance(cpu, in, R_EDI, step(cpu, in));
    cc_set(cpu, CC_SUB, size, a - b, a, b);
    return (a == b) == (in->rep == REP_E);
}

static bool scas_once(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->opsize;
    uint32_t a = reg_read(cpu, R_EAX, size);
    uint32_t b = mem_read(cpu, S_ES, areg(cpu, in, R_EDI), size);
    aadvance(cpu, in, R_EDI, step(cpu, in));
    cc_set(cpu, CC_SUB, size, a - b, a, b);
    return (a == b) == (in->rep == REP_E);
}

static bool ins_once(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->opsize;
    uint16_t port = (uint16_t)cpu->regs[R_EDX];
    uint32_t off = areg(cpu, in, R_EDI);
    /* The destination is checked before the port is read (a read may have side effects). */
    cpu_probe_write(cpu, S_ES, off, size);
    uint32_t v = iobus_read(&cpu->machine->io, port, size);
    mem_write(cpu, S_ES, off, v, size);
    aadvance(cpu, in, R_EDI, step(cpu, in));
    return true;
}

static bool outs_once(struct cpu *cpu, const struct insn *in)
{
    unsigned size = in->opsize;
    uint32_t v = mem_read(cpu, in->seg, areg(cpu, in, R_ESI), size);
    iobus_write(&cpu->machine->io, (uint16_t)cpu->regs[R_EDX], v, size);
    aadvance(cpu, in, R_ESI, step(cpu, in));
    return true;
}

static void run_string(struct cpu *cpu, const struct insn *in,
                       bool (*once)(struct cpu *, const struct insn *))
{
    if (!in->rep) {
        once(cpu, in);
        return;
    }
    unsigned n = 0;
    while (n < REP_SLICE) {
        if (areg(cpu, in, R_ECX) == 0)
            return;
        bool go_on = once(cpu, in);
        aadvance(cpu, in, R_ECX, -1);
        n++;
        if (!go_on)
            return;
        /* A data breakpoint or a single step: its trap comes after this iteration. */
        if (data_hit(cpu->internal) || (cpu->eflags & FL_TF))
            break;
    }
    /* Not finished: run this instruction again after a look at interrupts; the iterations
       count against the run's budget as the instructions they stand for. */
    if (areg(cpu, in, R_ECX) != 0) {
        cpu->eip = cpu->internal->insn_eip;
        cpu_charge_work(cpu, n);
    }
}

void h_movs(struct cpu *cpu, const struct insn *in)
{
    run_string(cpu, in, movs_once);
}

void h_stos(struct cpu *cpu, const struct insn *in)
{
    run_string(cpu, in, stos_once);
}

void h_lods(struct cpu *cpu, const struct insn *in)
{
    run_string(cpu, in, lods_once);
}

void h_cmps(struct cpu *cpu, const struct insn *in)
{
    run_string(cpu, in, cmps_once);
}

void h_scas(struct cpu *cpu, const struct insn *in)
{
    run_string(cpu, in, scas_once);
}

void h_ins(struct cpu *cpu, const struct insn *in)
{
    cpu_check_io(cpu, (uint16_t)cpu->regs[R_EDX], in->opsize);
    run_string(cpu, in, ins_once);
}

void h_outs(struct cpu *cpu, const struct insn *in)
{
    cpu_check_io(cpu, (uint16_t)cpu->regs[R_EDX], in->opsize);
    run_string(cpu, in, outs_once);
}
