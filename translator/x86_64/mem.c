/*
 * The memory path of host code: the one place that turns a guest memory
 * operand into host code. R10 becomes the host address of the operand
 * through an inline lookup in the shadow MMU's TLB; an access the TLB
 * cannot serve inline (a miss, MMIO, a watched page, a page crossing) runs
 * the whole instruction through its handler out of line (the slow paths
 * after the block), so faults are precise.
 */
#include "translator/x86_64/gen.h"

#include <glib.h>

/* lea r10d, [base + index * scale + disp] from a Zydis memory operand. */
void gen_lea(struct emit *e, unsigned dst, const ZydisDecodedOperand *o)
{
    int base = gpr32(o->mem.base), index = gpr32(o->mem.index);
    unsigned hb = base >= 0 ? host_reg((unsigned)base) : RBP;   /* RBP+mod 00: no base */
    unsigned hi = index >= 0 ? host_reg((unsigned)index) : RSP; /* RSP index: none */
    unsigned scale = o->mem.scale == 8 ? 3 : o->mem.scale == 4 ? 2 : o->mem.scale == 2 ? 1 : 0;
    emit_rex(e, false, dst, index >= 0 ? hi : 0, base >= 0 ? hb : 0, false);
    emit_u8(e, 0x8d);
    emit_u8(e, (uint8_t)((base >= 0 ? 0x80 : 0x00) | (dst & 7) << 3 | 4));
    emit_u8(e, (uint8_t)(scale << 6 | (hi & 7) << 3 | (hb & 7)));
    emit_u32(e, (uint32_t)o->mem.disp.value);
}

/*
 * The memory path: R10 = the host address of instruction i's memory operand
 * through the shadow TLB, or a jump to its slow path. The guest's flags are
 * saved across it (PUSHFQ) and restored only where they are live.
 */
void gen_mem_lookup(struct gen *g, unsigned i, const ZydisDecodedOperand *mem)
{
    struct emit *e = g->e;
    const struct plan *p = &g->p[i];
    unsigned size = mem->size / 8;
    struct slow *s = &g->slows[g->nslow++];
    *s = (struct slow){.i = i};
    int32_t tlb_off = (g->user ? SMMU_TLB_SIZE * TLB_ENTRY_SIZE : 0);
    emit_u8(e, 0x9c); /* pushfq */
    gen_lea(e, R10, mem);
    unsigned seg = (unsigned)cpu_zydis_segment(mem->mem.segment);
    if (!(g->flat & (1u << (SEG_BASE0 + seg)))) { /* add the base (FS for per-CPU data...) */
        emit_load32(e, R11, H_CPU,
                    (int32_t)(offsetof(struct cpu, seg) + seg * sizeof(struct cpu_segment) +
                              offsetof(struct cpu_segment, base)));
        static const uint8_t add[] = {0x47, 0x8d, 0x14, 0x1a}; /* lea r10d, [r10 + r11] */
        emit_bytes(e, add, sizeof(add));
    }
    static const uint8_t index[] = {
        0x45, 0x89, 0xd3,                         /* mov r11d, r10d */
        0x41, 0xc1, 0xeb, 0x0c,                   /* shr r11d, 12 */
        0x41, 0x81, 0xe3, 0xff, 0x0f, 0x00, 0x00, /* and r11d, SMMU_TLB_SIZE - 1 */
        0x4f, 0x8d, 0x1c, 0x5b,                   /* lea r11, [r11 + r11 * 2] */
    };
    G_STATIC_ASSERT(SMMU_TLB_SIZE == 0x1000 && sizeof(struct smmu_tlb_entry) == 24);
    emit_bytes(e, index, sizeof(index));
    if (size > 1) {
        const uint8_t cross[] = {
            0x45, 0x8d, 0x4a, (uint8_t)(size - 1), /* lea r9d, [r10 + size - 1] */
            0x45, 0x31, 0xd1,                      /* xor r9d, r10d */
            0x41, 0x81, 0xf9, 0xff,
            0x0f, 0x00, 0x00, /* cmp r9d, 0xfff */
        };
        emit_bytes(e, cross, sizeof(cross));
        s->from_ja = emit_jcc(e, 0x7, NULL); /* ja: crosses a page */
    }
    static const uint8_t page[] = {
        0x45, 0x89, 0xd1,                         /* mov r9d, r10d */
        0x41, 0x81, 0xe1, 0x00, 0xf0, 0xff, 0xff, /* and r9d, ~0xfff */
        0x47, 0x3b, 0x8c, 0xdd,                   /* cmp r9d, [r13 + r11 * 8 + tag] */
    };
    emit_bytes(e, page, sizeof(page));
    emit_u32(e, (uint32_t)(tlb_off + (int32_t)offsetof(struct smmu_tlb_entry, tag) +
                           4 * (int32_t)p->acc));
    s->from_jne = emit_jcc(e, 0x5, NULL);
    static const uint8_t addend[] = {0x4f, 0x03, 0x94, 0xdd}; /* add r10, [r13 + r11*8 + ...] */
    emit_bytes(e, addend, sizeof(addend));
    emit_u32(e, (uint32_t)(tlb_off + (int32_t)offsetof(struct smmu_tlb_entry, addend)));
    if (p->live_in) {
        emit_u8(e, 0x9d); /* popfq */
    } else {
        static const uint8_t drop[] = {0x48, 0x8d, 0x64, 0x24, 0x08}; /* lea rsp, [rsp + 8] */
        emit_bytes(e, drop, sizeof(drop));
    }
}

/* The slow paths: restore the flags, run the instruction through its handler, go on. */
void gen_slow_paths(struct gen *g)
{
    for (unsigned k = 0; k < g->nslow; k++) {
        struct slow *s = &g->slows[k];
        if (s->from_jne)
            patch_rel32(s->from_jne, g->e->p);
        if (s->from_ja)
            patch_rel32(s->from_ja, g->e->p);
        emit_u8(g->e, 0x9d); /* popfq */
        gen_helper_call(g, s->i, false);
        emit_call(g->e, g->b->sync_in);
        emit_jmp(g->e, s->resume);
    }
}
