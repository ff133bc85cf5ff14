/*
 * What the block generator's files share (gen.c: planning a block and
 * putting it together; mem.c: the memory path): the plan of each guest
 * instruction and the generator's state.
 */
#ifndef POPEK_TRANSLATOR_X86_64_GEN_H
#define POPEK_TRANSLATOR_X86_64_GEN_H

#include "machine/machine.h"
#include "translator/x86_64/backend.h"

#define TLB_ENTRY_SIZE ((int32_t)sizeof(struct smmu_tlb_entry))
#define MAX_BYTES      4096

/* What the generator decided for one guest instruction. */
struct plan {
    ZydisDecodedInstruction zi;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    const uint8_t *bytes;
    uint32_t eip;
    bool native;
    enum stack_op {
        ST_NONE,
        ST_PUSH_REG, /* PUSH r32 */
        ST_PUSH_IMM, /* PUSH imm32 / imm8 */
        ST_POP_REG,  /* POP r32 */
        ST_LEAVE,
        ST_CALL, /* CALL rel32, ending the block */
        ST_RET,  /* RET / RET imm16, ending the block */
    } stack;
    unsigned stack_reg;         /* PUSH/POP: the register */
    uint32_t stack_imm;         /* PUSH imm: the value; RET imm16: the bytes released */
    ZydisDecodedOperand st_mem; /* the stack slot the instruction reads or writes */
    bool rex_r, rex_b;          /* ESP in ModRM.reg / ModRM.rm or the opcode: R12 */
    int mem;                    /* index of the explicit memory operand, or -1 */
    enum smmu_access acc;
    uint32_t reads, writes; /* arithmetic flags read and written (undefined counts as written) */
    uint32_t live_in;       /* arithmetic flags live before it */
};

/* A slow path emitted after the block: the instruction through its handler. */
struct slow {
    uint8_t *from_jne, *from_ja; /* rel32 fields that jump here (NULL: none) */
    uint8_t *resume;
    unsigned i;
};

struct gen {
    struct tier1 *b;
    struct translator *t;
    struct tb *tb;
    struct block *blk;
    struct emit *e;
    struct plan *p;
    unsigned n;
    bool user;
    uint32_t flat;      /* translator_flat_segments() now */
    uint32_t flat_mask; /* the bits of it the host code depends on */
    struct slow slows[BLOCK_MAX_INSNS];
    unsigned nslow;
};

/* Our register number (encoding order) of a 32-bit GPR, or -1 (none); -2: not a 32-bit GPR. */
static inline int gpr32(ZydisRegister r)
{
    if (r == ZYDIS_REGISTER_NONE)
        return -1;
    if (ZydisRegisterGetClass(r) != ZYDIS_REGCLASS_GPR32)
        return -2;
    return ZydisRegisterGetId(r) & 7;
}

/* gen.c: call instruction i's handler (state written back first unless `synced`). */
void gen_helper_call(struct gen *g, unsigned i, bool synced);

/* mem.c */
void gen_lea(struct emit *e, unsigned dst, const ZydisDecodedOperand *o);
void gen_mem_lookup(struct gen *g, unsigned i, const ZydisDecodedOperand *mem);
void gen_slow_paths(struct gen *g);

#endif
