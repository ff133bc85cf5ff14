/*
 * The instruction generator of the differential test: deterministic random
 * sequences of valid user-level 32-bit x86 instructions, each with the
 * EFLAGS bits (and, rarely, register bits) the SDM leaves undefined after
 * it, so that the comparison can mask them.
 *
 * Conventions every generated sequence keeps, so that it behaves the same
 * on the host and in popek:
 *   - EBX holds DIFF_SCRATCH_ADDR and is never written; ESP is never read
 *     or written (it is the host's stack on one side);
 *   - memory operands address the scratch page only: [ebx+disp],
 *     [ebx+esi*scale+disp8] while ESI still holds its small initial index,
 *     [esi+disp8] or [edi+disp8] while ESI/EDI still point into the page;
 *   - string instructions run only while ESI/EDI point into the page, with
 *     ECX set to at most GEN_REP_MAX just before a REP prefix;
 *   - no instruction reads a flag that is undefined at that point: a fixup
 *     (CLC, STC, CMP) defines it first;
 *   - the code is position independent (Jcc only jumps forward over the
 *     next instruction group) and falls through at its end.
 */
#ifndef POPEK_TESTS_DIFF_GEN_H
#define POPEK_TESTS_DIFF_GEN_H

#include <stdbool.h>
#include <stdint.h>

#include "protocol.h"

/* The arithmetic flags, as the SDM's flag tables name them. */
#define GEN_CF     0x0001u
#define GEN_PF     0x0004u
#define GEN_AF     0x0010u
#define GEN_ZF     0x0040u
#define GEN_SF     0x0080u
#define GEN_DF     0x0400u
#define GEN_OF     0x0800u
#define GEN_ARITH  (GEN_CF | GEN_PF | GEN_AF | GEN_ZF | GEN_SF | GEN_OF)
#define GEN_SZP    (GEN_SF | GEN_ZF | GEN_PF)
#define GEN_NOT_CF (GEN_ARITH & ~GEN_CF)

#define GEN_REP_MAX   8u  /* largest ECX before a REP string instruction */
#define GEN_MAX_UNITS 8u  /* instruction groups in one random sequence */
#define GEN_MAX_INSNS 64u /* instructions, fixups included, in one case */

/* The PRNG: splitmix64, so that a seed fully determines every case. */
struct gen_rng {
    uint64_t state;
};

void gen_rng_seed(struct gen_rng *r, uint64_t seed);
uint64_t gen_rng_next(struct gen_rng *r);
uint32_t gen_rng_below(struct gen_rng *r, uint32_t n); /* 0 .. n-1, n > 0 */

/* One test case: inputs, code, and what the comparison must ignore. */
struct gen_case {
    uint32_t regs[8]; /* EAX ECX EDX EBX ESP EBP ESI EDI */
    uint32_t eflags;  /* DIFF_FLAGS_IN bits */
    uint8_t scratch[DIFF_SCRATCH_SIZE];
    uint8_t code[DIFF_CODE_MAX];
    uint32_t code_len;
    uint32_t flags_undef;               /* flags undefined at the end of the code */
    uint32_t reg_undef[8];              /* register bits undefined at the end of the code */
    unsigned units;                     /* instruction groups generated (what --count counts) */
    unsigned ninsns;                    /* instructions, fixups included */
    uint16_t insn_off[GEN_MAX_INSNS];   /* start of each instruction in code[] */
    uint32_t insn_undef[GEN_MAX_INSNS]; /* flags undefined just before it */
    /* Generator state while the sequence is built. */
    bool esi_index; /* ESI still holds its small initial index value */
    bool esi_ptr;   /* ESI still points into the scratch page */
    bool edi_ptr;   /* EDI still points into the scratch page */
};

/* What one instruction does to the flags: definitely written, possibly undefined. */
struct gen_flag_effect {
    uint32_t write; /* flags it always writes (defined or not) */
    uint32_t undef; /* flags it may leave undefined (a subset of write, unless it may not run) */
};

struct gen {
    struct gen_rng rng;
    bool mode64; /* the native side runs the code in 64-bit mode: no BCD, no 0x40-0x4f */
};

void gen_init(struct gen *g, uint64_t seed, bool mode64);

/*
 * Start a case: random registers (EBX = scratch base, ESP fixed, ESI either
 * a small index or a pointer into scratch, EDI a pointer into scratch),
 * random flags among DIFF_FLAGS_IN, random scratch image, no code.
 */
void gen_case_start(struct gen *g, struct gen_case *c);

/* Append a random sequence of `units` instruction groups (1..GEN_MAX_UNITS). */
void gen_random_sequence(struct gen *g, struct gen_case *c, unsigned units);

/*
 * Append one instruction with its flag effect, for directed tests; updates
 * flags_undef as "the last writer decides". Returns false when it does not fit.
 */
bool gen_append(struct gen_case *c, const uint8_t *bytes, unsigned len, struct gen_flag_effect fx);

/* Shift and rotate groups (the /r field of C0/C1/D0-D3) and double shifts. */
enum gen_shift_op {
    GEN_ROL = 0,
    GEN_ROR = 1,
    GEN_RCL = 2,
    GEN_RCR = 3,
    GEN_SHL = 4,
    GEN_SHR = 5,
    GEN_SAR = 7,
    GEN_SHLD = 8,
    GEN_SHRD = 9,
};

/*
 * The flag effect of a shift or rotate of a `bits`-wide operand by `count`
 * (the count as encoded: it is masked to 5 bits here, as the processor does),
 * or by an unknown count when count < 0 (the union over all counts).
 * *dest_undef says whether the destination itself is undefined (SHLD/SHRD
 * of a 16-bit operand by more than 16).
 */
struct gen_flag_effect gen_shift_effect(enum gen_shift_op op, unsigned bits, int count,
                                        bool *dest_undef);

/* The flags a condition code (0-15, as in Jcc/SETcc/CMOVcc) reads. */
uint32_t gen_cc_reads(unsigned cc);

#endif
