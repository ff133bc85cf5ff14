/*
 * The guest's x87 on the host's x87. While host code runs, the guest's x87
 * state (registers, tags, status and control words) may live in the host
 * x87 unit, so that a guest FMUL is a host FMUL: bit-exact by construction,
 * as cpu/'s softfloat is tested to be against the same hardware.
 *
 * Where the state is: struct fpu (cpu/) is its home; the translator's
 * t1_x87_host says the host x87 holds it instead. A block's first x87
 * instruction, and the first after a handler call, checks that flag
 * (flag-neutral) and otherwise loads the state (FXRSTOR of an image built
 * from struct fpu). It goes home (FXSAVE, then FNINIT gives the host its
 * own empty x87 back) before any C code runs: at the start of every
 * handler call (tier1_helper) and when host code returns to the loop.
 *
 * When it may: CR0.EM and CR0.TS clear (no #NM), every exception masked in
 * the guest's control word (the host runs with that control word, so a
 * masked guest exception is a masked host one, never a host trap; FERR#
 * cannot assert), and the host's transcendentals chosen (POPEK_FPU=soft
 * runs portable ones the host would not match). Only handlers change
 * those (FLDENV, FRSTOR, FXRSTOR, FNINIT, MOV CR0, CLTS, LMSW, task
 * switches) — and FLDCW, which host code runs itself only when the new
 * control word masks every exception too, else through its handler —
 * and the state goes home at every handler, so the check at a load is
 * enough; when it fails, host code leaves before the instruction and the
 * loop runs it in tier 0 (fpu_runs_on_host).
 *
 * Host instructions do not know the guest's FIP, FCS, FOP, FDP and FDS:
 * host code stores them into struct fpu after each instruction that sets
 * them (SDM Vol. 1 §8.1.8–8.1.9), and they stay there across the moves.
 */
#include "translator/x86_64/gen.h"

#include <glib.h>

enum x87_kind x87_kind(const ZydisDecodedInstruction *zi)
{
    switch (zi->mnemonic) {
    case ZYDIS_MNEMONIC_FLD:
    case ZYDIS_MNEMONIC_FILD:
    case ZYDIS_MNEMONIC_FLD1:
    case ZYDIS_MNEMONIC_FLDL2T:
    case ZYDIS_MNEMONIC_FLDL2E:
    case ZYDIS_MNEMONIC_FLDPI:
    case ZYDIS_MNEMONIC_FLDLG2:
    case ZYDIS_MNEMONIC_FLDLN2:
    case ZYDIS_MNEMONIC_FLDZ:
    case ZYDIS_MNEMONIC_FST:
    case ZYDIS_MNEMONIC_FSTP:
    case ZYDIS_MNEMONIC_FIST:
    case ZYDIS_MNEMONIC_FISTP:
    case ZYDIS_MNEMONIC_FXCH:
    case ZYDIS_MNEMONIC_FFREE:
    case ZYDIS_MNEMONIC_FINCSTP:
    case ZYDIS_MNEMONIC_FDECSTP:
    case ZYDIS_MNEMONIC_FNOP:
    case ZYDIS_MNEMONIC_FADD:
    case ZYDIS_MNEMONIC_FADDP:
    case ZYDIS_MNEMONIC_FMUL:
    case ZYDIS_MNEMONIC_FMULP:
    case ZYDIS_MNEMONIC_FSUB:
    case ZYDIS_MNEMONIC_FSUBP:
    case ZYDIS_MNEMONIC_FSUBR:
    case ZYDIS_MNEMONIC_FSUBRP:
    case ZYDIS_MNEMONIC_FDIV:
    case ZYDIS_MNEMONIC_FDIVP:
    case ZYDIS_MNEMONIC_FDIVR:
    case ZYDIS_MNEMONIC_FDIVRP:
    case ZYDIS_MNEMONIC_FIADD:
    case ZYDIS_MNEMONIC_FIMUL:
    case ZYDIS_MNEMONIC_FISUB:
    case ZYDIS_MNEMONIC_FISUBR:
    case ZYDIS_MNEMONIC_FIDIV:
    case ZYDIS_MNEMONIC_FIDIVR:
    case ZYDIS_MNEMONIC_FCOM:
    case ZYDIS_MNEMONIC_FCOMP:
    case ZYDIS_MNEMONIC_FCOMPP:
    case ZYDIS_MNEMONIC_FUCOM:
    case ZYDIS_MNEMONIC_FUCOMP:
    case ZYDIS_MNEMONIC_FUCOMPP:
    case ZYDIS_MNEMONIC_FICOM:
    case ZYDIS_MNEMONIC_FICOMP:
    case ZYDIS_MNEMONIC_FCOMI:
    case ZYDIS_MNEMONIC_FCOMIP:
    case ZYDIS_MNEMONIC_FUCOMI:
    case ZYDIS_MNEMONIC_FUCOMIP:
    case ZYDIS_MNEMONIC_FTST:
    case ZYDIS_MNEMONIC_FXAM:
    case ZYDIS_MNEMONIC_FCMOVB:
    case ZYDIS_MNEMONIC_FCMOVNB:
    case ZYDIS_MNEMONIC_FCMOVE:
    case ZYDIS_MNEMONIC_FCMOVNE:
    case ZYDIS_MNEMONIC_FCMOVBE:
    case ZYDIS_MNEMONIC_FCMOVNBE:
    case ZYDIS_MNEMONIC_FCMOVU:
    case ZYDIS_MNEMONIC_FCMOVNU:
    case ZYDIS_MNEMONIC_FCHS:
    case ZYDIS_MNEMONIC_FABS:
    case ZYDIS_MNEMONIC_FSQRT:
    case ZYDIS_MNEMONIC_FRNDINT:
    case ZYDIS_MNEMONIC_FSCALE:
    case ZYDIS_MNEMONIC_FXTRACT:
    case ZYDIS_MNEMONIC_FPREM:
    case ZYDIS_MNEMONIC_FPREM1:
    case ZYDIS_MNEMONIC_FSIN:
    case ZYDIS_MNEMONIC_FCOS:
    case ZYDIS_MNEMONIC_FSINCOS:
    case ZYDIS_MNEMONIC_FPTAN:
    case ZYDIS_MNEMONIC_FPATAN:
    case ZYDIS_MNEMONIC_F2XM1:
    case ZYDIS_MNEMONIC_FYL2X:
    case ZYDIS_MNEMONIC_FYL2XP1:
        return X87_POINTERS;
    case ZYDIS_MNEMONIC_FLDCW:
        return X87_LOAD_CW;
    case ZYDIS_MNEMONIC_FNSTSW:
    case ZYDIS_MNEMONIC_FNSTCW:
    case ZYDIS_MNEMONIC_FNCLEX:
    case ZYDIS_MNEMONIC_FWAIT:
        return X87_CONTROL;
    default: /* FBLD/FBSTP, the environment, FNINIT, odd aliases: the handler */
        return X87_NONE;
    }
}

/*
 * Before instruction k (or the one the slow path of k - 1 resumes after):
 * the state in the host x87, or leave before k when it may not be there.
 */
void gen_x87_load(struct gen *g, unsigned k)
{
    struct emit *e = g->e;
    emit_mov_imm64(e, R11, (uint64_t)(uintptr_t)&g->t->t1_x87_host);
    static const uint8_t check[] = {
        0x49, 0x89, 0xc9,       /* mov r9, rcx */
        0x41, 0x0f, 0xb6, 0x0b, /* movzx ecx, byte [r11] */
    };
    emit_bytes(e, check, sizeof(check));
    static const uint8_t there[] = {
        0xe3, 0x08,       /* jrcxz load */
        0x4c, 0x89, 0xc9, /* mov rcx, r9 */
    };
    emit_bytes(e, there, sizeof(there));
    uint8_t *done = emit_jmp(e, NULL);
    static const uint8_t load[] = {0x4c, 0x89, 0xc9}; /* load: mov rcx, r9 */
    emit_bytes(e, load, sizeof(load));
    emit_call(e, g->b->sync_out);
    emit_mov_imm64(e, RDI, (uint64_t)(uintptr_t)g->t);
    emit_mov_imm64(e, R11, (uint64_t)(uintptr_t)tier1_x87_load);
    static const uint8_t call_test[] = {
        0x41, 0xff, 0xd3, /* call r11 */
        0x85, 0xc0,       /* test eax, eax */
    };
    emit_bytes(e, call_test, sizeof(call_test));
    uint8_t *ok = emit_jcc(e, 0x5, NULL);
    /* Not now: instructions k.. have not run; the loop runs k in tier 0. */
    emit_mov_imm64(e, R11, (uint64_t)(uintptr_t)&g->t->t1_budget); /* synced: it is there */
    emit_load64(e, R10, R11, 0);
    emit_lea64(e, R10, R10, (int32_t)(g->n - k));
    emit_store64(e, R11, 0, R10);
    uint32_t eip = k < g->n ? g->p[k].eip : g->p[g->n - 1].eip + g->p[g->n - 1].zi.length;
    emit_store_imm32(e, H_CPU, OFF_EIP, eip);
    emit_mov_imm64(e, R9, EXIT_CODE(TR_EXIT_X87));
    emit_jmp(e, g->b->exit_synced);
    patch_rel32(ok, e->p);
    emit_call(e, g->b->sync_in);
    patch_rel32(done, e->p);
}

/*
 * FLDCW, R10 the host address of its operand: the host's FLDCW when the new
 * control word masks every exception (the host keeps the same bits of it
 * as a Pentium II: SDM Vol. 1 §8.1.5), else its handler, after which the
 * state cannot go back to the host and host code leaves. Flag-neutral.
 */
void gen_x87_fldcw(struct gen *g, unsigned i)
{
    struct emit *e = g->e;
    static const uint8_t test[] = {
        0x45, 0x0f, 0xb7, 0x0a,                         /* movzx r9d, word [r10] */
        0x41, 0xf7, 0xd1,                               /* not r9d */
        0x46, 0x8d, 0x0c, 0x8d, 0x00, 0x00, 0x00, 0x00, /* lea r9d, [r9 * 4]: masks at 2-7 */
        0x45, 0x0f, 0xb6, 0xc9,                         /* movzx r9d, r9b: 0 when all set */
        0x49, 0x89, 0xc8,                               /* mov r8, rcx */
        0x4c, 0x89, 0xc9,                               /* mov rcx, r9 */
        0xe3, 0x08,                                     /* jrcxz masked */
        0x4c, 0x89, 0xc1,                               /* mov rcx, r8 */
    };
    emit_bytes(e, test, sizeof(test));
    uint8_t *unmasks = emit_jmp(e, NULL);
    static const uint8_t native[] = {
        0x4c, 0x89, 0xc1, /* masked: mov rcx, r8 */
        0x41, 0xd9, 0x2a, /* fldcw [r10] */
    };
    emit_bytes(e, native, sizeof(native));
    uint8_t *done = emit_jmp(e, NULL);
    patch_rel32(unmasks, e->p);
    gen_helper_call(g, i, false);
    emit_call(e, g->b->sync_in);
    gen_x87_load(g, i + 1); /* it leaves: the control word unmasks an exception */
    patch_rel32(done, e->p);
}

/* mov word [r11 + disp32], r9w */
static void store16_r9(struct emit *e, int32_t disp)
{
    static const uint8_t op[] = {0x66, 0x45, 0x89, 0x8b};
    emit_bytes(e, op, sizeof(op));
    emit_u32(e, (uint32_t)disp);
}

/* movzx r9d, word [r15 + the selector of segment s] */
static void load_selector(struct emit *e, unsigned s)
{
    static const uint8_t op[] = {0x45, 0x0f, 0xb7, 0x8f};
    emit_bytes(e, op, sizeof(op));
    emit_u32(e, (uint32_t)(offsetof(struct cpu, seg) + s * sizeof(struct cpu_segment) +
                           offsetof(struct cpu_segment, selector)));
}

/* After instruction i (a non-control one): FIP, FCS, FOP and, with a memory operand, FDP, FDS. */
void gen_x87_pointers(struct gen *g, unsigned i)
{
    struct emit *e = g->e;
    const struct plan *p = &g->p[i];
    const struct insn *in = &g->blk->insns[i];
    emit_mov_imm64(e, R11, (uint64_t)(uintptr_t)&g->t->c->fpu);
    emit_store_imm32(e, R11, (int32_t)offsetof(struct fpu, fip), p->eip);
    static const uint8_t fop[] = {0x66, 0x41, 0xc7, 0x83}; /* mov word [r11 + disp32], imm16 */
    emit_bytes(e, fop, sizeof(fop));
    emit_u32(e, (uint32_t)offsetof(struct fpu, fop));
    emit_u8(e, (uint8_t)in->imm);
    emit_u8(e, (uint8_t)(in->imm >> 8));
    load_selector(e, S_CS);
    store16_r9(e, (int32_t)offsetof(struct fpu, fcs));
    if (in->o[0].kind != OP_MEM || p->mem < 0)
        return;
    gen_lea(e, R9, &p->ops[p->mem]); /* the offset: no segment base */
    emit_store32(e, R11, (int32_t)offsetof(struct fpu, fdp), R9);
    load_selector(e, in->seg);
    store16_r9(e, (int32_t)offsetof(struct fpu, fds));
}

/* --- run time ------------------------------------------------------------ */

uint64_t tier1_x87_load(struct translator *t)
{
    struct cpu *cpu = t->cpu;
    if (!fpu_runs_on_host(cpu))
        return 0;
    _Alignas(16) uint8_t img[512];
    memset(img, 0, sizeof(img));
    fpu_fxsave_image(&t->c->fpu, img);
    uint32_t mxcsr;
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
    memcpy(img + 24, &mxcsr, 4); /* the host's own: FXRSTOR loads it too */
    __asm__ volatile("fxrstor %0" : : "m"(img));
    t->t1_x87_host = 1;
    t->stats.x87_loads++;
    return 1;
}

void tier1_x87_spill(struct translator *t)
{
    if (!t->t1_x87_host)
        return;
    _Alignas(16) uint8_t img[512];
    __asm__ volatile("fxsave %0\n\tfninit" : "=m"(img));
    fpu_fxrstor_image(t->cpu, img, false);
    t->t1_x87_host = 0;
}
