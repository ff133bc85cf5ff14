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
        ST_CALL,     /* CALL rel32, ending the block */
        ST_RET,      /* RET / RET imm16, ending the block */
        ST_JMP_IND,  /* JMP r/m32, ending the block */
        ST_CALL_IND, /* CALL r/m32, ending the block */
    } stack;
    unsigned stack_reg;         /* PUSH/POP: the register */
    uint32_t stack_imm;         /* PUSH imm: the value; RET imm16: the bytes released */
    ZydisDecodedOperand st_mem; /* the stack slot the instruction reads or writes */
    bool rex_r, rex_b;          /* ESP in ModRM.reg / ModRM.rm or the opcode: R12 */
    int mem;                    /* index of the explicit memory operand, or -1 */
    enum smmu_access acc;       /* of the stack slot, else of the memory operand */
    uint32_t reads, writes; /* arithmetic flags read and written (undefined counts as written) */
    uint32_t live_in;       /* arithmetic flags live before it */
    enum x87_kind {
        X87_NONE,     /* not an x87 instruction tier 1 emits */
        X87_POINTERS, /* one that sets FIP, FCS, FOP (FDP, FDS) */
        X87_CONTROL,  /* FNSTSW, FNSTCW, FNCLEX, FWAIT: they do not */
        X87_LOAD_CW,  /* FLDCW (gen_x87_fldcw) */
    } x87;
    int frame;         /* its memory access is in the frame of this register, or -1 */
    int32_t frame_off; /* where: its first byte from the frame's first byte */
};

/*
 * A frame: the accesses of a block through one base register (no index)
 * to a segment based at 0, while the register holds what it held at the
 * block's entry (ESP: or moved by PUSH, POP, ADD/SUB ESP, imm; EBP after
 * MOV EBP, ESP counts as ESP was then): a stack frame, a structure. When
 * they all lie in one page that the TLB maps, checked once at the entry,
 * each becomes a load of the frame's host address from the host stack and
 * an LEA (mem.c). Frames are numbered by their register.
 */
#define FRAMES         8
#define FRAME_SPAN_MAX 1024 /* bytes: a wider frame straddles pages too often */

struct frame {
    bool tracking;  /* the register still holds its entry value (ESP: plus delta) */
    int32_t delta;  /* ESP: how far it moved since the block's entry */
    int32_t lo, hi; /* first and last byte accessed, from the register's entry value */
    bool writes;
    unsigned n; /* accesses */
};

/* A slow path emitted after the block: the instruction through its handler. */
struct slow {
    uint8_t *from_jne; /* the rel32 field that jumps here */
    bool pushed;       /* the guest's flags are on the host stack (PUSHFQ) */
    bool x87_reload;   /* host code after it expects the x87 state on the host */
    uint8_t *resume;
    unsigned i;
    /* A write of `size` bytes (1-8): a TLB miss first tries the data bytes of a watched page
       (mem.c), and goes on at `after`, past the lookup, with R10 its host address. */
    uint8_t *after;
    unsigned size;
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
    struct slow slows[2 * BLOCK_MAX_INSNS];
    unsigned nslow;
    struct frame frames[FRAMES];
    bool ebp_is_esp; /* EBP = the entry ESP + ebp_delta (MOV EBP, ESP in the block) */
    int32_t ebp_delta;
    bool fast;   /* emitting the body that takes the frames' accesses from their host addresses */
    bool x87_ok; /* the guest's x87 may run on the host's now (fpu_runs_on_host) */
    bool x87_loaded; /* emitting: the x87 state is on the host here (x87.c) */
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

/* x87.c: which x87 instructions are emitted as themselves, the moves of the state, FIP & co. */
enum x87_kind x87_kind(const ZydisDecodedInstruction *zi);
void gen_x87_load(struct gen *g, unsigned k);
void gen_x87_pointers(struct gen *g, unsigned i);
void gen_x87_fldcw(struct gen *g, unsigned i);

/* mem.c */
void gen_lea(struct emit *e, unsigned dst, const ZydisDecodedOperand *o);
void gen_slow_paths(struct gen *g);
/* Put instruction i's memory operand `mem` into R10; true: it has a slow path to return from. */
bool gen_operand(struct gen *g, unsigned i, const ZydisDecodedOperand *mem, enum smmu_access acc);
/* Find the frames of instructions [0, body); false: none worth checking. */
bool plan_frames(struct gen *g, unsigned body);
/* At the block's entry: check the frames, else jump to the plain body (rel32s in fails). */
unsigned gen_frame_checks(struct gen *g, uint8_t **fails);

#endif
