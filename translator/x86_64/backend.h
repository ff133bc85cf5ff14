/*
 * What the x86-64 backend's files share: its state (the code buffer and the
 * stubs generated once at its start) and the register convention of host
 * code.
 *
 * Inside host code, guest EAX, ECX, EDX, EBX, EBP, ESI and EDI live in their
 * own host registers, guest ESP in R12, and the guest's arithmetic flags in
 * the host EFLAGS. R15 holds the struct cpu, R14 the instructions host code
 * may still retire (struct translator's t1_budget, kept there while host
 * code runs: a register, not a memory location every block reads and
 * writes), R13 the shadow TLB's entries; R8-R11 are scratch. RSP is 16-byte aligned
 * between guest instructions; [RSP + 8 * r] holds the host address of the
 * running block's frame of guest register r (gen.h).
 */
#ifndef POPEK_TRANSLATOR_X86_64_BACKEND_H
#define POPEK_TRANSLATOR_X86_64_BACKEND_H

#include <stdio.h>

#include <Zydis/Zydis.h>

#include "translator/internal.h"
#include "translator/x86_64/emit.h"

#define H_ESP    R12
#define H_TLB    R13
#define H_BUDGET R14
#define H_CPU    R15

/* The host register that holds guest register g (encoding order). */
static inline unsigned host_reg(unsigned g)
{
    return g == R_ESP ? H_ESP : g;
}

#define OFF_REG(g) ((int32_t)(offsetof(struct cpu, regs) + 4 * (g)))
#define OFF_EFLAGS ((int32_t)offsetof(struct cpu, eflags))
#define OFF_EIP    ((int32_t)offsetof(struct cpu, eip))

/*
 * Exit causes travel in RAX as small numbers; anything larger is a struct
 * t1_link *, or with EXIT_GO_ON set the host code a helper found to go on
 * with (exit_synced jumps there instead of leaving).
 */
#define EXIT_CODE(cause) ((uint64_t)(cause) + 1)
#define EXIT_GO_ON_BIT   62
#define EXIT_GO_ON       (1ull << EXIT_GO_ON_BIT)

struct tier1 {
    struct translator *t;
    uint8_t *buf;
    size_t size;
    uint8_t *code;    /* where blocks start (after the stubs) */
    uint8_t *free;    /* where the next block goes */
    bool lahf_ok;     /* LAHF/SAHF exist in 64-bit mode on this host */
    bool bmi2;        /* SHLX/SHRX (flag-neutral shifts) exist: frames (mem.c) */
    ZydisDecoder dec; /* 32-bit guest code, with its raw encoding */
    FILE *perf_map;   /* --perf-map: "host-address size name" per block, for perf */
    /* Stubs: */
    uint8_t *sync_out;    /* call: store guest registers and flags into struct cpu */
    uint8_t *sync_in;     /* call: load them (flags: the arithmetic ones) */
    uint8_t *exit_common; /* jmp, R9 = exit value: sync_out, then return to C */
    uint8_t *exit_synced; /* jmp, R9 = exit value: return to C (state already in struct cpu), */
                          /* or with EXIT_GO_ON: load the state, on to that host code */
    uint64_t (*enter)(struct cpu *cpu, struct translator *t, const void *code);
};

/* runtime.c: a guest instruction run by its cpu/ handler from host code. */
uint64_t tier1_helper(struct translator *t, const struct insn *in, uint32_t eip, uint32_t next,
                      uint32_t refund);

/* x87.c: the guest's x87 state onto the host's x87 (0: it may not go now), and back home. */
uint64_t tier1_x87_load(struct translator *t);
void tier1_x87_spill(struct translator *t);

/* gen.c: host code for one block at b->free (false: not translated). */
bool tier1_gen_block(struct tier1 *b, struct tb *tb, struct emit *e);

#endif
