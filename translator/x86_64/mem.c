/*
 * The memory path of host code: the one place that turns a guest memory
 * operand into host code. R10 becomes the host address of the operand
 * through an inline lookup in the shadow MMU's TLB; an access the TLB
 * cannot serve inline (a miss, MMIO, a watched page, a page crossing) runs
 * the whole instruction through its handler out of line (the slow paths
 * after the block), so faults are precise. A write to data bytes of a
 * write-watched page (code and data sharing it) is the exception: out of
 * line, a test of the page's code map, then back to the host instruction.
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

/* shlx/shrx dst32, src32, cnt32 (BMI2, flags untouched): pp 1 = SHLX, 3 = SHRX. */
static void emit_shiftx(struct emit *e, unsigned pp, unsigned dst, unsigned src, unsigned cnt)
{
    emit_u8(e, 0xc4);
    emit_u8(e, (uint8_t)((dst & 8 ? 0 : 0x80) | 0x40 | (src & 8 ? 0 : 0x20) | 0x02));
    emit_u8(e, (uint8_t)((~cnt & 0xf) << 3 | pp));
    emit_u8(e, 0xf7);
    emit_u8(e, (uint8_t)(0xc0 | (dst & 7) << 3 | (src & 7)));
}

/*
 * Flag-neutral TLB probe: whether the entry of the page of R10D (the first
 * byte) holds the page of R9D (the last byte) for `acc` — so both are one
 * page and the TLB maps it. Leaves R11 = the entry's index * 3 and R10 as it
 * was; clobbers R8, R9. Returns the rel32 of the jump taken when not.
 */
static uint8_t *gen_tlb_probe(struct gen *g, enum smmu_access acc)
{
    struct emit *e = g->e;
    int32_t tlb_off = g->user ? SMMU_TLB_SIZE * TLB_ENTRY_SIZE : 0;
    emit_mov_imm32(e, R8, 8); /* r11 = the TLB index of the first byte: (r10 << 8) >> 20 */
    emit_shiftx(e, 1, R11, R10, R8);
    emit_mov_imm32(e, R8, 20);
    emit_shiftx(e, 3, R11, R11, R8);
    static const uint8_t times3[] = {0x4f, 0x8d, 0x1c, 0x5b}; /* lea r11, [r11 + r11 * 2] */
    emit_bytes(e, times3, sizeof(times3));
    emit_mov_imm32(e, R8, 12); /* r9 = the page of the last byte */
    emit_shiftx(e, 3, R9, R9, R8);
    emit_shiftx(e, 1, R9, R9, R8);
    static const uint8_t tag[] = {0x47, 0x8b, 0x84, 0xdd}; /* mov r8d, [r13 + r11 * 8 + ...] */
    emit_bytes(e, tag, sizeof(tag));
    emit_u32(
        e, (uint32_t)(tlb_off + (int32_t)offsetof(struct smmu_tlb_entry, tag) + 4 * (int32_t)acc));
    static const uint8_t compare[] = {
        0x49, 0xf7, 0xd0,             /* not r8 */
        0x4f, 0x8d, 0x44, 0x01, 0x01, /* lea r8, [r9 + r8 + 1]: 0 when equal */
        0x49, 0x89, 0xc9,             /* mov r9, rcx */
        0x4c, 0x89, 0xc1,             /* mov rcx, r8 */
        0xe3, 0x08,                   /* jrcxz same */
        0x4c, 0x89, 0xc9,             /* mov rcx, r9 */
    };
    emit_bytes(e, compare, sizeof(compare));
    uint8_t *miss = emit_jmp(e, NULL);
    static const uint8_t same[] = {0x4c, 0x89, 0xc9}; /* same: mov rcx, r9 */
    emit_bytes(e, same, sizeof(same));
    return miss;
}

/* mov r9, [r13 + r11 * 8 + addend]: the host address of linear 0, after gen_tlb_probe. */
static void gen_tlb_addend(struct gen *g)
{
    int32_t tlb_off = g->user ? SMMU_TLB_SIZE * TLB_ENTRY_SIZE : 0;
    static const uint8_t load[] = {0x4f, 0x8b, 0x8c, 0xdd};
    emit_bytes(g->e, load, sizeof(load));
    emit_u32(g->e, (uint32_t)(tlb_off + (int32_t)offsetof(struct smmu_tlb_entry, addend)));
}

/* R10D += the base of segment `seg` (FS for per-CPU data...), unless it is 0. */
static void gen_seg_base(struct gen *g, unsigned seg)
{
    if (g->flat & (1u << (SEG_BASE0 + seg)))
        return;
    emit_load32(g->e, R11, H_CPU,
                (int32_t)(offsetof(struct cpu, seg) + seg * sizeof(struct cpu_segment) +
                          offsetof(struct cpu_segment, base)));
    static const uint8_t add[] = {0x47, 0x8d, 0x14, 0x1a}; /* lea r10d, [r10 + r11] */
    emit_bytes(g->e, add, sizeof(add));
}

/*
 * The memory path where the host has BMI2:
 * R10 = the host address of the operand without touching the flags
 * (gen_tlb_probe), so they need no saving.
 */
static void gen_mem_lookup_neutral(struct gen *g, unsigned i, const ZydisDecodedOperand *mem,
                                   enum smmu_access acc)
{
    struct emit *e = g->e;
    unsigned size = mem->size / 8;
    struct slow *s = &g->slows[g->nslow++];
    *s = (struct slow){.i = i, .x87_reload = g->x87_loaded};
    gen_lea(e, R10, mem);
    gen_seg_base(g, (unsigned)cpu_zydis_segment(mem->mem.segment));
    const uint8_t last[] = {0x45, 0x8d, 0x4a, (uint8_t)(size - 1)}; /* lea r9d, [r10 + size-1] */
    emit_bytes(e, last, sizeof(last));
    s->from_jne = gen_tlb_probe(g, acc);
    gen_tlb_addend(g);
    static const uint8_t add[] = {0x4f, 0x8d, 0x14, 0x0a}; /* lea r10, [r10 + r9] */
    emit_bytes(e, add, sizeof(add));
    if (acc == SMMU_WRITE && size <= 8) {
        s->after = e->p;
        s->size = size;
    }
}

/*
 * The memory path: R10 = the host address of instruction i's memory operand
 * through the shadow TLB, or a jump to its slow path. With BMI2, a probe
 * that leaves the guest's flags alone (measured faster than the one below
 * even where the flags are dead: the memory loop 0.37 s against 0.45 s);
 * without, the flags are saved (PUSHFQ) for the slow path (a fault there
 * shows them) and, where live, restored after the lookup.
 *
 * The entry of the first byte's page must hold the page of the last byte
 * for the access: then both bytes are in one page that the TLB maps (the
 * next page's entry is another one).
 */
static void gen_mem_lookup(struct gen *g, unsigned i, const ZydisDecodedOperand *mem,
                           enum smmu_access acc)
{
    struct emit *e = g->e;
    const struct plan *p = &g->p[i];
    if (g->b->bmi2) {
        gen_mem_lookup_neutral(g, i, mem, acc);
        return;
    }
    bool live = p->live_in != 0;
    unsigned size = mem->size / 8;
    struct slow *s = &g->slows[g->nslow++];
    *s = (struct slow){.i = i, .pushed = true, .x87_reload = g->x87_loaded};
    int32_t tlb_off = (g->user ? SMMU_TLB_SIZE * TLB_ENTRY_SIZE : 0);
    emit_u8(e, 0x9c); /* pushfq */
    gen_lea(e, R10, mem);
    gen_seg_base(g, (unsigned)cpu_zydis_segment(mem->mem.segment));
    const uint8_t index[] = {
        0x45, 0x89, 0xd3,       /* mov r11d, r10d */
        0x41, 0xc1, 0xeb, 0x0c, /* shr r11d, 12 */
        0x41, 0x81, 0xe3, 0xff,
        0x0f, 0x00, 0x00,                      /* and r11d, SMMU_TLB_SIZE - 1 */
        0x4f, 0x8d, 0x1c, 0x5b,                /* lea r11, [r11 + r11 * 2] */
        0x45, 0x8d, 0x4a, (uint8_t)(size - 1), /* lea r9d, [r10 + size - 1] */
        0x41, 0x81, 0xe1, 0x00,
        0xf0, 0xff, 0xff,       /* and r9d, ~0xfff */
        0x47, 0x3b, 0x8c, 0xdd, /* cmp r9d, [r13 + r11 * 8 + tag] */
    };
    G_STATIC_ASSERT(SMMU_TLB_SIZE == 0x1000 && sizeof(struct smmu_tlb_entry) == 24);
    emit_bytes(e, index, sizeof(index));
    emit_u32(
        e, (uint32_t)(tlb_off + (int32_t)offsetof(struct smmu_tlb_entry, tag) + 4 * (int32_t)acc));
    s->from_jne = emit_jcc(e, 0x5, NULL);
    static const uint8_t addend[] = {0x4f, 0x03, 0x94, 0xdd}; /* add r10, [r13 + r11*8 + ...] */
    emit_bytes(e, addend, sizeof(addend));
    emit_u32(e, (uint32_t)(tlb_off + (int32_t)offsetof(struct smmu_tlb_entry, addend)));
    if (live) {
        emit_u8(e, 0x9d); /* popfq */
    } else {
        static const uint8_t drop[] = {0x48, 0x8d, 0x64, 0x24, 0x08}; /* lea rsp, [rsp + 8] */
        emit_bytes(e, drop, sizeof(drop));
    }
    if (acc == SMMU_WRITE && size <= 8) {
        s->after = e->p;
        s->size = size;
    }
}

/*
 * A write the TLB lookup missed, R10 = its linear address, R11 = its entry's
 * index * 3, the guest's flags on the host stack: when the entry is a
 * watched page's that writes could otherwise go to (struct smmu_tlb_entry's
 * `code`), the write lies in that page and touches no code byte (SMMU_CODE
 * MAP), it is counted and host code goes on with R10 = its host address,
 * the flags popped. Otherwise it falls through (flags still pushed).
 */
static void gen_watched_write(struct gen *g, const struct slow *s)
{
    struct emit *e = g->e;
    int32_t tlb_off = g->user ? SMMU_TLB_SIZE * TLB_ENTRY_SIZE : 0;
    uint8_t *fail[16];
    unsigned nfail = 0;
    const uint8_t cross[] = {
        0x45, 0x8d, 0x4a, (uint8_t)(s->size - 1), /* lea r9d, [r10 + size - 1] */
        0x45, 0x31, 0xd1,                         /* xor r9d, r10d */
        0x41, 0x81, 0xf9, 0xff,
        0x0f, 0x00, 0x00, /* cmp r9d, 0xfff */
    };
    emit_bytes(e, cross, sizeof(cross));
    fail[nfail++] = emit_jcc(e, 0x7, NULL);                 /* ja: crosses a page */
    static const uint8_t code[] = {0x47, 0x8b, 0x84, 0xdd}; /* mov r8d, [r13 + r11 * 8 + code] */
    emit_bytes(e, code, sizeof(code));
    emit_u32(e, (uint32_t)(tlb_off + (int32_t)offsetof(struct smmu_tlb_entry, code)));
    static const uint8_t test[] = {0x45, 0x85, 0xc0}; /* test r8d, r8d */
    emit_bytes(e, test, sizeof(test));
    fail[nfail++] = emit_jcc(e, 0x4, NULL); /* jz: not a watched page's */
    static const uint8_t page[] = {
        0x45, 0x89, 0xd1,                         /* mov r9d, r10d */
        0x41, 0x81, 0xe1, 0x00, 0xf0, 0xff, 0xff, /* and r9d, ~0xfff */
        0x47, 0x3b, 0x8c, 0xdd,                   /* cmp r9d, [r13 + r11 * 8 + fetch tag] */
    };
    emit_bytes(e, page, sizeof(page));
    emit_u32(e, (uint32_t)(tlb_off + (int32_t)offsetof(struct smmu_tlb_entry, tag) +
                           4 * (int32_t)SMMU_FETCH));
    fail[nfail++] = emit_jcc(e, 0x5, NULL); /* jne: the entry is another page's */
    G_STATIC_ASSERT(SMMU_CODE_MAP_BYTES == 512);
    static const uint8_t map[] = {
        0x49, 0xc1, 0xe0, 0x09, /* shl r8, 9: the map's offset */
        0x4d, 0x03, 0x85,       /* add r8, [r13 + code_maps] */
    };
    emit_bytes(e, map, sizeof(map));
    emit_u32(e, (uint32_t)offsetof(struct smmu_tlb, code_maps));
    static const uint8_t bits[] = {
        0x45, 0x89, 0xd1,                         /* mov r9d, r10d */
        0x41, 0x81, 0xe1, 0xff, 0x0f, 0x00, 0x00, /* and r9d, 0xfff */
        0x41, 0xc1, 0xe9, 0x03,                   /* shr r9d, 3 */
        0x47, 0x0f, 0xb7, 0x0c, 0x08,             /* movzx r9d, word [r8 + r9] */
        0x45, 0x89, 0xd0,                         /* mov r8d, r10d */
        0x41, 0x83, 0xe0, 0x07,                   /* and r8d, 7 */
    };
    emit_bytes(e, bits, sizeof(bits));
    for (unsigned k = 0; k < s->size; k++) {
        static const uint8_t bt[] = {0x45, 0x0f, 0xa3, 0xc1}; /* bt r9d, r8d */
        emit_bytes(e, bt, sizeof(bt));
        fail[nfail++] = emit_jcc(e, 0x2, NULL); /* jc: a code byte */
        if (k + 1 < s->size) {
            static const uint8_t inc[] = {0x41, 0xff, 0xc0}; /* inc r8d */
            emit_bytes(e, inc, sizeof(inc));
        }
    }
    static const uint8_t count[] = {0x49, 0xff, 0x85}; /* inc qword [r13 + counter] */
    emit_bytes(e, count, sizeof(count));
    emit_u32(e, (uint32_t)offsetof(struct smmu_tlb, watch_data_writes_generated));
    static const uint8_t addend[] = {0x4f, 0x03, 0x94, 0xdd}; /* add r10, [r13 + r11*8 + ...] */
    emit_bytes(e, addend, sizeof(addend));
    emit_u32(e, (uint32_t)(tlb_off + (int32_t)offsetof(struct smmu_tlb_entry, addend)));
    emit_u8(e, 0x9d); /* popfq */
    emit_jmp(e, s->after);
    for (unsigned k = 0; k < nfail; k++)
        patch_rel32(fail[k], e->p);
}

/*
 * The slow paths: restore the flags, run the instruction through its
 * handler, go on. After a transfer that tier 1 emits itself (CALL, RET,
 * JMP/CALL r/m32) the handler has done the whole transfer, even to the
 * next instruction (CALL to the next address): leave for the loop.
 */
void gen_slow_paths(struct gen *g)
{
    for (unsigned k = 0; k < g->nslow; k++) {
        struct slow *s = &g->slows[k];
        enum stack_op op = g->p[s->i].stack;
        if (s->from_jne)
            patch_rel32(s->from_jne, g->e->p);
        if (s->after) { /* a data write to a watched page goes on in host code */
            if (!s->pushed)
                emit_u8(g->e, 0x9c); /* pushfq */
            gen_watched_write(g, s);
            if (!s->pushed)
                emit_u8(g->e, 0x9d); /* popfq */
        }
        if (s->pushed)
            emit_u8(g->e, 0x9d); /* popfq */
        gen_helper_call(g, s->i, false);
        if (op == ST_CALL || op == ST_RET || op == ST_JMP_IND || op == ST_CALL_IND) {
            emit_mov_imm64(g->e, R9, EXIT_CODE(TR_EXIT_INDIRECT));
            emit_jmp(g->e, g->b->exit_synced);
        } else {
            emit_call(g->e, g->b->sync_in);
            if (s->x87_reload) /* the handler call took the x87 state home */
                gen_x87_load(g, s->i + 1);
            emit_jmp(g->e, s->resume);
        }
    }
}

/* --- frames ------------------------------------------------------------- */

/* Whether instruction p writes guest register r (any operand, hidden ones too). */
static bool writes_reg(const struct plan *p, unsigned r)
{
    for (unsigned k = 0; k < p->zi.operand_count; k++) {
        const ZydisDecodedOperand *o = &p->ops[k];
        if (o->type == ZYDIS_OPERAND_TYPE_REGISTER &&
            (o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) &&
            gpr32(ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LEGACY_32, o->reg.value)) ==
                (int)r)
            return true;
    }
    return false;
}

/* ADD/SUB ESP, imm (83 /0, 83 /5, 81 /0, 81 /5): how far it moves ESP, or false. */
static bool esp_add(const struct plan *p, int32_t *by)
{
    const ZydisDecodedInstruction *zi = &p->zi;
    unsigned ext = zi->raw.modrm.reg;
    if (!p->native || zi->opcode_map != ZYDIS_OPCODE_MAP_DEFAULT ||
        (zi->opcode != 0x83 && zi->opcode != 0x81) || zi->raw.modrm.mod != 3 ||
        zi->raw.modrm.rm != R_ESP || zi->operand_width != 32 || (ext != 0 && ext != 5))
        return false;
    int32_t imm = (int32_t)p->ops[1].imm.value.s;
    *by = ext == 0 ? imm : -imm;
    return true;
}

/* Record instruction p's access to `o` in a frame, if it is one. */
static void frame_access(struct gen *g, struct plan *p, const ZydisDecodedOperand *o)
{
    int base = gpr32(o->mem.base);
    unsigned seg = (unsigned)cpu_zydis_segment(o->mem.segment);
    if (base < 0 || o->mem.index != ZYDIS_REGISTER_NONE || !(g->flat & (1u << (SEG_BASE0 + seg))))
        return;
    unsigned which = (unsigned)base;
    int32_t at = (int32_t)o->mem.disp.value;
    if (which == R_EBP && g->ebp_is_esp) {
        which = R_ESP;
        at += g->ebp_delta;
    } else if (!g->frames[which].tracking) {
        return;
    } else if (which == R_ESP) {
        at += g->frames[R_ESP].delta;
    }
    struct frame *f = &g->frames[which];
    int32_t last = at + (int32_t)(o->size / 8) - 1;
    if (f->n == 0 || at < f->lo)
        f->lo = at;
    if (f->n == 0 || last > f->hi)
        f->hi = last;
    f->writes |= p->acc == SMMU_WRITE;
    f->n++;
    p->frame = (int)which;
    p->frame_off = at;
}

/*
 * What instruction p does to the frames' registers. A handler may change
 * registers that its instruction's operands do not name (the string
 * instructions' ESI, EDI and ECX, a task switch's all): after one, no
 * register is tracked.
 */
static void frame_track(struct gen *g, const struct plan *p)
{
    if (!p->native) {
        for (unsigned r = 0; r < FRAMES; r++)
            g->frames[r].tracking = false;
        g->ebp_is_esp = false;
        return;
    }
    struct frame *sp = &g->frames[R_ESP], *bp = &g->frames[R_EBP];
    int32_t by;
    switch (p->native ? p->stack : ST_NONE) {
    case ST_PUSH_REG:
    case ST_PUSH_IMM:
    case ST_CALL:
    case ST_CALL_IND:
        sp->delta -= 4;
        break;
    case ST_POP_REG:
        sp->delta += 4;
        sp->tracking &= p->stack_reg != R_ESP;
        break;
    case ST_LEAVE:
    case ST_RET:
        sp->tracking = false;
        break;
    default:
        if (esp_add(p, &by))
            sp->delta += by;
        else if (writes_reg(p, R_ESP))
            sp->tracking = false;
        break;
    }
    /* MOV EBP, ESP (89 E5, 8B EC): EBP is ESP as it is now. */
    const ZydisDecodedInstruction *zi = &p->zi;
    bool mov_ebp_esp =
        p->native && zi->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT && zi->operand_width == 32 &&
        zi->raw.modrm.mod == 3 &&
        ((zi->opcode == 0x89 && zi->raw.modrm.reg == R_ESP && zi->raw.modrm.rm == R_EBP) ||
         (zi->opcode == 0x8b && zi->raw.modrm.reg == R_EBP && zi->raw.modrm.rm == R_ESP));
    if (writes_reg(p, R_EBP)) {
        bp->tracking = false;
        g->ebp_is_esp = mov_ebp_esp && sp->tracking;
        g->ebp_delta = sp->delta;
    }
    for (unsigned r = 0; r < FRAMES; r++) {
        if (r != R_ESP && r != R_EBP && writes_reg(p, r))
            g->frames[r].tracking = false;
    }
}

bool plan_frames(struct gen *g, unsigned body)
{
    if (!g->b->bmi2)
        return false;
    for (unsigned k = 0; k < FRAMES; k++)
        g->frames[k] = (struct frame){.tracking = true};
    g->ebp_is_esp = false;
    for (unsigned i = 0; i < body; i++) {
        struct plan *p = &g->p[i];
        p->frame = -1;
        if (p->native && p->stack != ST_NONE && p->stack != ST_JMP_IND)
            frame_access(g, p, &p->st_mem);
        else if (p->native && p->stack == ST_NONE && p->mem >= 0 &&
                 p->zi.mnemonic != ZYDIS_MNEMONIC_LEA)
            frame_access(g, p, &p->ops[p->mem]);
        frame_track(g, p);
    }
    bool any = false;
    for (unsigned k = 0; k < FRAMES; k++) {
        struct frame *f = &g->frames[k];
        if (f->n < 2 || f->hi - f->lo >= FRAME_SPAN_MAX)
            f->n = 0;
        any |= f->n != 0;
    }
    for (unsigned i = 0; i < body; i++) {
        struct plan *p = &g->p[i];
        if (p->frame >= 0 && g->frames[p->frame].n == 0)
            p->frame = -1;
    }
    return any;
}

/* lea dst32, [frame register + disp] */
static void frame_lea(struct emit *e, unsigned dst, unsigned which, int32_t disp)
{
    ZydisDecodedOperand o;
    memset(&o, 0, sizeof(o));
    o.mem.base = (ZydisRegister)(ZYDIS_REGISTER_EAX + which);
    o.mem.index = ZYDIS_REGISTER_NONE;
    o.mem.disp.value = disp;
    gen_lea(e, dst, &o);
}

/*
 * The check of one frame, flag-neutral: the TLB entry of its first byte's
 * page must hold the page of its last byte (so both are one page) for the
 * access it needs; then its host address goes to [RSP + 8 * frame].
 */
static void frame_check(struct gen *g, unsigned which, uint8_t **fail)
{
    struct emit *e = g->e;
    const struct frame *f = &g->frames[which];
    frame_lea(e, R10, which, f->lo);
    frame_lea(e, R9, which, f->hi);
    *fail = gen_tlb_probe(g, f->writes ? SMMU_WRITE : SMMU_READ);
    gen_tlb_addend(g);
    const uint8_t store[] = {
        0x4f, 0x8d, 0x0c, 0x11,                       /* lea r9, [r9 + r10] */
        0x4c, 0x89, 0x4c, 0x24, (uint8_t)(8 * which), /* mov [rsp + 8 * which], r9 */
    };
    emit_bytes(e, store, sizeof(store));
}

unsigned gen_frame_checks(struct gen *g, uint8_t **fails)
{
    unsigned n = 0;
    for (unsigned k = 0; k < FRAMES; k++) {
        if (g->frames[k].n)
            frame_check(g, k, &fails[n++]);
    }
    return n;
}

bool gen_operand(struct gen *g, unsigned i, const ZydisDecodedOperand *mem, enum smmu_access acc)
{
    const struct plan *p = &g->p[i];
    bool framed = p->frame >= 0 && mem == (p->stack != ST_NONE ? &p->st_mem : &p->ops[p->mem]);
    if (!g->fast || !framed) {
        gen_mem_lookup(g, i, mem, acc);
        return true;
    }
    struct emit *e = g->e;
    const uint8_t load[] = {0x4c, 0x8b, 0x54, 0x24, (uint8_t)(8 * p->frame)}; /* mov r10, [rsp+] */
    emit_bytes(e, load, sizeof(load));
    int32_t off = p->frame_off - g->frames[p->frame].lo;
    if (off) {
        static const uint8_t lea[] = {0x4d, 0x8d, 0x92}; /* lea r10, [r10 + disp32] */
        emit_bytes(e, lea, sizeof(lea));
        emit_u32(e, (uint32_t)off);
    }
    return false;
}
