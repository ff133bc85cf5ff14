/*
 * What a tier of the translator needs from cpu/: the decoded instruction
 * record and the instruction table's properties, the layout of the CPU's
 * run-time state, the decoder, raising exceptions, and the events between
 * instructions (exceptions unwound to the loop, NMI and external
 * interrupts, breakpoints, debug traps). cpu/ knows nothing of blocks: the
 * loop that finds and runs them is translator/'s.
 */
#ifndef POPEK_CPU_EXEC_H
#define POPEK_CPU_EXEC_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "cpu/fpu.h"
#include "shadowmmu/shadowmmu.h"

struct insn;

typedef void (*insn_fn)(struct cpu *cpu, const struct insn *in);

/* Operand kinds of a decoded record. */
enum op_kind { OP_NONE, OP_REG, OP_MEM, OP_IMM, OP_SREG, OP_CREG, OP_DREG, OP_ST };

#define NO_REG 0xff

struct operand {
    uint8_t kind; /* enum op_kind */
    uint8_t size; /* bytes */
    uint8_t reg;  /* GPR (8-bit: AL CL DL BL AH CH DH BH), segment, CR, DR or ST(i) number */
};

/*
 * One decoded instruction: what the handler needs and nothing else, so
 * that executing it never looks at guest bytes again.
 */
struct insn {
    insn_fn fn;
    uint8_t len;
    uint8_t opsize;             /* operand size: 1, 2 or 4 (the size the handler works at) */
    uint8_t adsize;             /* address size: 2 or 4 */
    uint8_t seg;                /* segment of the memory operand (default or override) */
    uint8_t base, index, scale; /* memory operand; NO_REG when absent */
    uint8_t rep;                /* 0, REP_E (REP/REPE) or REP_NE */
    uint8_t sub;                /* handler sub-operation (ALU op, condition code, ...) */
    uint8_t nops;
    uint16_t props; /* P_* from the table */
    struct operand o[3];
    uint32_t disp;
    uint32_t imm;  /* first immediate, sign-extended to the operand size; branch target offset;
                      x87: the FOP (opcode bits 10-8, ModR/M 7-0) */
    uint32_t imm2; /* second immediate (ENTER nesting level, far pointer selector) */
};

#define REP_E  1
#define REP_NE 2

/* What an instruction form means for the system (the table's props). */
#define P_ENDS_BLOCK 0x0001u /* control transfer or mode change: the block ends after it */
#define P_PRIV       0x0002u /* CPL 0 only (#GP otherwise) */
#define P_SENSITIVE  0x0004u /* reads or changes state a guest kernel owns */
#define P_MAY_FAULT  0x0008u /* may raise an exception beyond memory faults */
#define P_WRITES_MEM 0x0010u /* may write guest memory */
#define P_IO         0x0020u /* port I/O (IOPL-checked) */
#define P_PM_ONLY    0x0040u /* #UD in real and virtual-8086 mode */

/* One table entry: the handler of a mnemonic and what it means. */
struct insn_desc {
    insn_fn fn;
    uint8_t sub;
    uint16_t props;
};

const struct insn_desc *insn_lookup(unsigned zydis_mnemonic);

/* --- lazy flags ------------------------------------------------------- */

/*
 * The arithmetic flags (CF PF AF ZF SF OF) are kept as the last operation
 * that set them; EFLAGS holds them only when cc_op is CC_EAGER.
 */
enum cc_op { CC_EAGER, CC_ADD, CC_ADC, CC_SUB, CC_SBB, CC_LOGIC, CC_INC, CC_DEC };

#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

/* Exceptions, SDM Vol. 3A §6.3.1. */
enum {
    EX_DE = 0,
    EX_DB = 1,
    EX_NMI = 2,
    EX_BP = 3,
    EX_OF = 4,
    EX_BR = 5,
    EX_UD = 6,
    EX_NM = 7,
    EX_DF = 8,
    EX_TS = 10,
    EX_NP = 11,
    EX_SS = 12,
    EX_GP = 13,
    EX_PF = 14,
    EX_MF = 16,
    EX_AC = 17,
    EX_MC = 18,
    EX_XM = 19,
};

#define NO_ERROR_CODE 0xffffffffu

struct cpu_internal {
    /* Lazy flags. */
    uint8_t cc_op, cc_size;
    uint32_t cc_res, cc_src1, cc_src2, cc_cin;

    /* The instruction being executed. */
    uint32_t insn_eip; /* its first byte, where a fault restarts */
    uint32_t eip_mask; /* 0xffff for 16-bit code, else all ones */
    bool block_dirty;  /* leave the block after this instruction (its code was written,
                          a watchpoint was hit, the x87 froze) */
    bool inhibit_irq;  /* the instruction just run was STI or a load of SS */
    bool nmi_pending, nmi_blocked;
    uint64_t last_tsc; /* the last value RDTSC returned */
    bool exit_request;
    uint64_t run_end; /* the run stops when cpu->instructions reaches it (cpu_charge_work) */
    bool stop_run;    /* the handler asks the run loop to return (mode change etc.) */
    enum cpu_exit stop_reason;
    /* A debugger's breakpoints and watchpoints (linear addresses, cpu.h). */
    uint32_t breakpoints[CPU_MAX_BREAKPOINTS];
    unsigned nbreakpoints;
    struct cpu_watchpoint watch[CPU_MAX_WATCHPOINTS];
    unsigned nwatch;
    /* Data breakpoints (cpu/debug.c): the pages are trapped in the MMU while any is armed. */
    bool data_traps;      /* DR0-DR3 data breakpoints or watchpoints are armed */
    uint32_t traps_dr[5]; /* DR0-DR3 and DR7 the traps were set from */
    uint8_t dr_hits;      /* DR0-DR3 data breakpoints the current instruction hit */
    int watch_hit;        /* the watchpoint hit, or -1 */

    /* Exceptions unwind to the run loop through here. */
    jmp_buf unwind;
    bool unwind_armed;
    int pending_vector; /* the exception being unwound */
    uint32_t pending_error;
    int delivering;       /* vector whose delivery is in progress, or -1 */
    bool cpu_writing;     /* a CPU write is in progress (watch hits are not DMA) */
    bool touched_devices; /* the instruction did port I/O or a slow-path memory access, which
                             may have raised an interrupt (tier 0 looks before going on) */

    struct smmu_tlb *tlb; /* the shadow MMU's TLB, read by the inline accessors */
    uint32_t mode;        /* mode bits decoded code depends on (cpu_update_mode) */
    void *decoder16;      /* ZydisDecoder for 16-bit and 32-bit code */
    void *decoder32;

    struct fpu fpu; /* the x87 (cpu/fpu.h) */

    struct cpu_msrs {
        uint32_t sysenter_cs, sysenter_esp, sysenter_eip;
        uint64_t apic_base;
        uint64_t mtrr_var[16], mtrr_fixed[11], mtrr_def_type, pat, misc_enable;
        uint64_t bios_sign_id, perf[4];
    } msr;
};

/* An NMI or an external interrupt would be taken at the next instruction boundary. */
static inline bool cpu_interrupt_waiting(const struct cpu *cpu)
{
    const struct cpu_internal *c = cpu->internal;
    if (c->nmi_pending && !c->nmi_blocked)
        return true;
    return (cpu->eflags & FL_IF) && cpu->irq.pending && cpu->irq.pending(cpu->irq.opaque);
}

/* --- exceptions ------------------------------------------------------- */

/* Raise an exception from inside an instruction; never returns. */
_Noreturn void cpu_raise(struct cpu *cpu, int vector, uint32_t error_code);
_Noreturn void cpu_raise_pf(struct cpu *cpu, const struct smmu_fault *f);

/* Deliver an exception or interrupt through the IVT/IDT (cpu/exception.c). */
void cpu_deliver(struct cpu *cpu, int vector, uint32_t error_code, bool software,
                 uint32_t return_eip);

/*
 * Guest-linear accesses at the current privilege that miss the TLB's fast
 * path: through the MMU (#PF if they fault), then the data breakpoints
 * (not for fetches).
 */
uint32_t cpu_read_slow(struct cpu *cpu, uint32_t lin, unsigned size, enum smmu_access acc);
void cpu_write_slow(struct cpu *cpu, uint32_t lin, uint32_t v, unsigned size);

/* EFLAGS complete (the lazy arithmetic flags folded in, cc_op CC_EAGER afterwards). */
uint32_t cpu_get_eflags(struct cpu *cpu);

/* --- decoding --------------------------------------------------------- */

/*
 * Decode one instruction at `bytes`: 0 on success, -1 for #UD (undefined,
 * or a bad LOCK; *out then raises #UD), -2 when it runs past `avail`.
 */
int cpu_decode(struct cpu *cpu, const uint8_t *bytes, unsigned avail, struct insn *out);

/* Our segment number (enum cpu_seg) of a Zydis segment register; DS for none. */
int cpu_zydis_segment(int zydis_register);

/*
 * Finish a decoded record for the mode it will run in (privilege, the CS
 * limit at `eip`): a record that must fault is bound to the fault. Returns
 * whether the block must end after it.
 */
bool cpu_finish_record(struct cpu *cpu, struct insn *in, uint32_t eip);

/* The guest-physical address of an instruction fetch at `lin`, through the TLB (faults as the
   fetch would). */
uint64_t cpu_fetch_phys(struct cpu *cpu, uint32_t lin);

/* --- the run loop's side of the CPU (cpu/events.c) --------------------- */

/*
 * A run of at most `budget` instructions begins: exceptions unwind to the
 * caller's setjmp(cpu->internal->unwind) from now on. cpu_run_leave ends
 * it, with the public state (EFLAGS included) complete, and returns `why`.
 */
void cpu_run_begin(struct cpu *cpu, uint64_t budget);
enum cpu_exit cpu_run_leave(struct cpu *cpu, enum cpu_exit why);

/*
 * An exception unwound to the loop: deliver it (CPU_EXIT_BUDGET: carry on),
 * or stop (CPU_EXIT_EXCEPTION with stop_on_exception, CPU_EXIT_SHUTDOWN).
 */
enum cpu_exit cpu_take_exception(struct cpu *cpu);

/*
 * At an instruction boundary: deliver a pending NMI and an external
 * interrupt the CPU accepts now. Returns whether one was delivered.
 */
bool cpu_take_interrupts(struct cpu *cpu);

/* A debugger's breakpoint at linear address `lin`. */
bool cpu_breakpoint_at(const struct cpu *cpu, uint32_t lin);

/* While TF, RF or a DR7 enable is set, instructions run one at a time (cpu/debug.c). */
static inline bool cpu_debug_active(const struct cpu *cpu)
{
    return (cpu->eflags & (FL_TF | FL_RF)) || (cpu->dr[7] & 0xffu);
}
/* Before an instruction: an execution breakpoint is a #DB fault (true: delivered). */
bool cpu_debug_before(struct cpu *cpu);
/* After one instruction: RF, data-breakpoint and single-step traps (TF as it was before). */
void cpu_debug_after(struct cpu *cpu, bool tf, const struct insn *in);

#endif
