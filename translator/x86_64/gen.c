/*
 * Host code for one block (x86-64 hosts, 32-bit flat protected-mode code).
 *
 * Same-ISA translation: a guest instruction that only touches general
 * registers, immediates and flat memory is emitted as the same host
 * instruction, with guest registers in their host counterparts (ESP in R12
 * through a REX bit) and the guest's arithmetic flags in the host EFLAGS;
 * a guest ADD is a host ADD. A memory operand becomes [R10], R10 being the
 * host address the memory path (gen_operand in mem.c, the one place that
 * turns a guest memory operand into host code) found for it. Every
 * other instruction, and a memory access the TLB cannot serve inline (a
 * miss, MMIO, a watched page, a page crossing), runs through its cpu/
 * handler with the state written back first (tier1_helper), so faults are
 * precise: they unwind with the state of before the instruction.
 *
 * A block starts by counting its instructions down from the run's budget
 * (flag-neutral: LEA, BSWAP, MOVZX, JRCXZ) and leaving when it is spent;
 * it ends with chain exits, jumps that the loop later points straight at
 * the next block's host code.
 */
#include "translator/x86_64/gen.h"

#include <glib.h>

static bool is_esp(ZydisRegister r)
{
    return r == ZYDIS_REGISTER_ESP || r == ZYDIS_REGISTER_SP;
}

static bool is_high8(ZydisRegister r)
{
    return r == ZYDIS_REGISTER_AH || r == ZYDIS_REGISTER_CH || r == ZYDIS_REGISTER_DH ||
           r == ZYDIS_REGISTER_BH;
}

/*
 * The opcodes tier 1 emits as host instructions: integer data movement,
 * arithmetic, logic, shifts, bit operations and flag bits that behave the
 * same in 64-bit mode. Division (faults) and everything that touches the
 * stack, segments, control flow or system state go through the handler.
 */
static bool native_opcode(const struct gen *g, const ZydisDecodedInstruction *zi)
{
    unsigned op = zi->opcode, ext = zi->raw.modrm.reg;
    if (zi->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT) {
        if (op < 0x40)
            return (op & 7) <= 5;
        if (op >= 0x40 && op <= 0x4f)
            return true; /* INC/DEC r, re-encoded */
        if (op >= 0x84 && op <= 0x8b)
            return true; /* TEST XCHG MOV */
        if (op >= 0x90 && op <= 0x99)
            return true; /* NOP XCHG CWDE CDQ */
        if (op >= 0xb0 && op <= 0xbf)
            return true; /* MOV r, imm */
        switch (op) {
        case 0x69:
        case 0x6b:
        case 0x80:
        case 0x81:
        case 0x83:
        case 0xa8:
        case 0xa9:
        case 0xc0:
        case 0xc1:
        case 0xd0:
        case 0xd1:
        case 0xd2:
        case 0xd3:
        case 0xf5:
        case 0xf8:
        case 0xf9:
            return true;
        case 0x9e:
        case 0x9f:
            return g->b->lahf_ok;
        case 0xc6:
        case 0xc7:
            return ext == 0;
        case 0xf6:
        case 0xf7:
            return ext <= 5; /* not DIV, IDIV */
        case 0xfe:
        case 0xff:
            return ext <= 1;
        default:
            return false;
        }
    }
    if (zi->opcode_map != ZYDIS_OPCODE_MAP_0F)
        return false;
    if ((op >= 0x40 && op <= 0x4f) || (op >= 0x90 && op <= 0x9f) || (op >= 0xc8 && op <= 0xcf))
        return true; /* CMOVcc SETcc BSWAP */
    switch (op) {
    case 0xa3:
    case 0xab:
    case 0xb3:
    case 0xbb: /* BT* r/m, r: the bit offset reaches beyond a memory operand */
        return zi->raw.modrm.mod == 3;
    case 0xa4:
    case 0xa5:
    case 0xac:
    case 0xad:
    case 0xaf:
    case 0xb0:
    case 0xb1:
    case 0xb6:
    case 0xb7:
    case 0xbc:
    case 0xbd:
    case 0xbe:
    case 0xbf:
    case 0xc0:
    case 0xc1:
        return true;
    case 0xba:
        return ext >= 4;
    default:
        return false;
    }
}

static uint32_t arith(ZydisAccessedFlagsMask m)
{
    return (uint32_t)m & (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF);
}

/* A stack slot [ESP + disp] (or [EBP] for LEAVE) as a Zydis memory operand. */
static ZydisDecodedOperand stack_slot(ZydisRegister base, int32_t disp)
{
    ZydisDecodedOperand o;
    memset(&o, 0, sizeof(o));
    o.type = ZYDIS_OPERAND_TYPE_MEMORY;
    o.size = 32;
    o.mem.type = ZYDIS_MEMOP_TYPE_MEM;
    o.mem.segment = ZYDIS_REGISTER_SS;
    o.mem.base = base;
    o.mem.index = ZYDIS_REGISTER_NONE;
    o.mem.disp.value = disp;
    return o;
}

/*
 * Whether operand k, a memory operand of at most `bits`, can go through the
 * memory path; if so, it is p->mem.
 */
static bool plan_mem(struct gen *g, struct plan *p, unsigned k, unsigned bits)
{
    const ZydisDecodedOperand *o = &p->ops[k];
    unsigned seg = (unsigned)cpu_zydis_segment(o->mem.segment);
    if (o->mem.type != ZYDIS_MEMOP_TYPE_MEM || o->size > bits || !(g->flat & (1u << seg)) ||
        gpr32(o->mem.base) == -2 || gpr32(o->mem.index) == -2)
        return false;
    g->flat_mask |= 1u << seg;
    p->mem = (int)k;
    return true;
}

/*
 * PUSH, POP, LEAVE, CALL and RET on a flat 32-bit stack, and JMP/CALL
 * r/m32 in a code segment based at 0: emitted by tier 1 (gen_stack,
 * gen_indirect) with the stack slot and the operand through the memory
 * path.
 */
static bool plan_stack(struct gen *g, struct plan *p)
{
    const ZydisDecodedInstruction *zi = &p->zi;
    unsigned op = zi->opcode;
    if (zi->opcode_map != ZYDIS_OPCODE_MAP_DEFAULT || zi->operand_width != 32 ||
        !(g->flat & (1u << (SEG_BASE0 + S_SS))) || zi->raw.prefix_count)
        return false;
    if (op >= 0x50 && op <= 0x57) {
        p->stack = ST_PUSH_REG;
        p->stack_reg = op & 7;
    } else if (op == 0x68 || op == 0x6a) {
        p->stack = ST_PUSH_IMM;
        p->stack_imm = (uint32_t)p->ops[0].imm.value.s;
    } else if (op >= 0x58 && op <= 0x5f) {
        p->stack = ST_POP_REG;
        p->stack_reg = op & 7;
    } else if (op == 0xc9) {
        p->stack = ST_LEAVE;
    } else if (op == 0xe8 && p == &g->p[g->n - 1]) {
        p->stack = ST_CALL;
    } else if ((op == 0xc3 || op == 0xc2) && p == &g->p[g->n - 1] &&
               (g->flat & (1u << (SEG_BASE0 + S_CS)))) { /* no limit check on the return */
        p->stack = ST_RET;
        p->stack_imm = op == 0xc2 ? (uint32_t)p->ops[0].imm.value.u : 0;
    } else if (op == 0xff && (zi->raw.modrm.reg == 2 || zi->raw.modrm.reg == 4) &&
               p == &g->p[g->n - 1] && (g->flat & (1u << (SEG_BASE0 + S_CS)))) {
        if (p->ops[0].type == ZYDIS_OPERAND_TYPE_MEMORY) {
            if (!plan_mem(g, p, 0, 32))
                return false;
        } else {
            p->stack_reg = (unsigned)gpr32(p->ops[0].reg.value);
        }
        p->stack = zi->raw.modrm.reg == 2 ? ST_CALL_IND : ST_JMP_IND;
    } else {
        return false;
    }
    bool push = p->stack == ST_PUSH_REG || p->stack == ST_PUSH_IMM || p->stack == ST_CALL ||
                p->stack == ST_CALL_IND;
    p->st_mem = p->stack == ST_LEAVE ? stack_slot(ZYDIS_REGISTER_EBP, 0)
                                     : stack_slot(ZYDIS_REGISTER_ESP, push ? -4 : 0);
    p->acc = push ? SMMU_WRITE : SMMU_READ;
    p->native = true;
    p->reads = p->writes = 0;
    return true;
}

/* Decide how instruction `i` is emitted (g->p[i] decoded already). */
static void plan_insn(struct gen *g, struct plan *p)
{
    const ZydisDecodedInstruction *zi = &p->zi;
    p->native = false;
    p->mem = -1;
    p->reads = FL_ARITH;
    p->writes = 0;
    if (zi->cpu_flags) {
        p->reads = arith(zi->cpu_flags->tested);
        p->writes = arith(zi->cpu_flags->modified | zi->cpu_flags->set_0 | zi->cpu_flags->set_1 |
                          zi->cpu_flags->undefined);
    }
    /* Shifts and rotates by a count that may be 0 (CL, or an immediate masked to 0) leave the
       flags as they were: they may write none. */
    if ((zi->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT &&
         (zi->opcode == 0xc0 || zi->opcode == 0xc1 || zi->opcode == 0xd2 || zi->opcode == 0xd3)) ||
        (zi->opcode_map == ZYDIS_OPCODE_MAP_0F &&
         (zi->opcode == 0xa4 || zi->opcode == 0xa5 || zi->opcode == 0xac || zi->opcode == 0xad)))
        p->writes = 0;
    const ZyanU64 bad = ZYDIS_ATTRIB_HAS_LOCK | ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE |
                        ZYDIS_ATTRIB_HAS_REPNE | ZYDIS_ATTRIB_HAS_ADDRESSSIZE;
    if (zi->attributes & bad)
        goto helper;
    if (zi->mnemonic == ZYDIS_MNEMONIC_LEA) {
        /* Emitted as a host LEA of its own (gen_lea): 32-bit results only. */
        if (zi->operand_width != 32 || gpr32(p->ops[1].mem.base) == -2 ||
            gpr32(p->ops[1].mem.index) == -2)
            goto helper;
        p->native = true;
        p->reads = p->writes = 0;
        return;
    }
    if (x87_kind(zi) != X87_NONE) {
        /* On the host's x87 (x87.c): any operand size prefix changes nothing it emits. */
        if (!g->x87_ok || (zi->attributes & ZYDIS_ATTRIB_HAS_OPERANDSIZE))
            goto helper;
        for (unsigned k = 0; k < zi->operand_count_visible; k++) {
            const ZydisDecodedOperand *o = &p->ops[k];
            if (o->type != ZYDIS_OPERAND_TYPE_MEMORY)
                continue;
            if (!plan_mem(g, p, k, 80)) /* up to the 10 bytes of an extended real */
                goto helper;
            p->acc = (o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) ? SMMU_WRITE : SMMU_READ;
        }
        p->x87 = x87_kind(zi);
        p->native = true;
        return;
    }
    if (plan_stack(g, p))
        return;
    if (!native_opcode(g, zi))
        goto helper;
    /* BSWAP of a 16-bit register is undefined: leave it to the handler. */
    if (zi->opcode_map == ZYDIS_OPCODE_MAP_0F && zi->opcode >= 0xc8 && zi->opcode <= 0xcf &&
        zi->operand_width == 16)
        goto helper;
    bool needs_rex = false, no_rex = false;
    for (unsigned k = 0; k < zi->operand_count_visible; k++) {
        const ZydisDecodedOperand *o = &p->ops[k];
        if (o->type == ZYDIS_OPERAND_TYPE_MEMORY) {
            if (!plan_mem(g, p, k, 32))
                goto helper;
            needs_rex = true; /* [R10] */
            p->acc = (o->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) ? SMMU_WRITE : SMMU_READ;
        } else if (o->type == ZYDIS_OPERAND_TYPE_REGISTER) {
            if (is_high8(o->reg.value))
                no_rex = true;
            if (is_esp(o->reg.value)) {
                needs_rex = true;
                if (o->encoding == ZYDIS_OPERAND_ENCODING_MODRM_REG)
                    p->rex_r = true;
                else
                    p->rex_b = true;
            }
        }
    }
    if (needs_rex && no_rex)
        goto helper;
    p->native = true;
    return;
helper:
    p->native = false;
    p->reads = FL_ARITH; /* the handler sees the flags through struct cpu */
    p->writes = 0;
}

/* --- emission ------------------------------------------------------------ */

/* The guest instruction's bytes from the opcode on, with a REX prefix and a new ModRM. */
static void gen_copy(struct gen *g, const struct plan *p)
{
    struct emit *e = g->e;
    const ZydisDecodedInstruction *zi = &p->zi;
    unsigned start = zi->raw.prefix_count;
    if (zi->attributes & ZYDIS_ATTRIB_HAS_OPERANDSIZE)
        emit_u8(e, 0x66);
    /* INC/DEC r: 40-4F are REX prefixes in 64-bit mode; FF /0 and FF /1 do the same. */
    if (zi->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT && zi->opcode >= 0x40 && zi->opcode <= 0x4f) {
        unsigned r = zi->opcode & 7;
        emit_rex(e, false, 0, 0, host_reg(r), false);
        emit_u8(e, 0xff);
        emit_u8(e, (uint8_t)(0xc0 | (zi->opcode & 8) | r));
        return;
    }
    bool rex = p->mem >= 0 || p->rex_r || p->rex_b;
    if (rex)
        emit_u8(e, (uint8_t)(0x40 | (p->rex_r ? 4 : 0) | (p->mem >= 0 || p->rex_b ? 1 : 0)));
    if (!zi->raw.modrm.offset) { /* no ModRM: opcode (and register in it) and immediates */
        emit_bytes(e, p->bytes + start, zi->length - start);
        return;
    }
    unsigned modrm = zi->raw.modrm.offset;
    emit_bytes(e, p->bytes + start, modrm - start);
    if (zi->opcode == 0x82 && zi->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT)
        e->p[-1] = 0x80; /* the 82h alias of group 1 is gone in 64-bit mode */
    if (p->mem < 0) {
        emit_bytes(e, p->bytes + modrm, zi->length - modrm);
        return;
    }
    emit_u8(e, (uint8_t)(zi->raw.modrm.reg << 3 | (R10 & 7))); /* [r10] */
    unsigned tail = modrm + 1 + (zi->raw.sib.offset ? 1 : 0) + zi->raw.disp.size / 8;
    emit_bytes(e, p->bytes + tail, zi->length - tail);
}

/*
 * Call instruction i's handler with the state written back (by sync_out,
 * unless `synced`: a helper right before left it there); leave if it says
 * so. Afterwards the state is in struct cpu: the caller loads it back
 * (sync_in) before host code needs it.
 */
void gen_helper_call(struct gen *g, unsigned i, bool synced)
{
    struct emit *e = g->e;
    const struct plan *p = &g->p[i];
    if (!synced)
        emit_call(e, g->b->sync_out);
    emit_mov_imm64(e, RDI, (uint64_t)(uintptr_t)g->t);
    emit_mov_imm64(e, RSI, (uint64_t)(uintptr_t)&g->blk->insns[i]);
    emit_mov_imm32(e, RDX, p->eip);
    emit_mov_imm32(e, RCX, p->eip + p->zi.length);
    emit_mov_imm32(e, R8, g->n - i);
    emit_mov_imm64(e, R11, (uint64_t)(uintptr_t)tier1_helper);
    static const uint8_t call_test[] = {
        0x41, 0xff, 0xd3, /* call r11 */
        0x48, 0x85, 0xc0, /* test rax, rax */
        0x49, 0x89, 0xc1, /* mov r9, rax */
    };
    emit_bytes(e, call_test, sizeof(call_test));
    emit_jcc(e, 0x5, g->b->exit_synced); /* jnz: leave, the state is in struct cpu */
}

/* lea r12d, [r12 + delta]: guest ESP moves, flags untouched. */
static void gen_esp_add(struct emit *e, int8_t delta)
{
    const uint8_t lea[] = {0x45, 0x8d, 0x64, 0x24, (uint8_t)delta};
    emit_bytes(e, lea, sizeof(lea));
}

/*
 * Go to the host code of the return target in R11D (a flat CS: linear =
 * EIP) through struct t1_target, or leave for the loop. Flag-neutral: the
 * tag is compared by adding its complement (NOT, LEA) and testing the sum
 * with JRCXZ.
 */
static void gen_return_lookup(struct gen *g)
{
    struct emit *e = g->e;
    static const uint8_t index[] = {
        0x45, 0x0f, 0xb7, 0xcb,                         /* movzx r9d, r11w */
        0x4e, 0x8d, 0x0c, 0xcd, 0x00, 0x00, 0x00, 0x00, /* lea r9, [r9 * 8] */
        0x4f, 0x8d, 0x0c, 0x09,                         /* lea r9, [r9 + r9] */
    };
    G_STATIC_ASSERT(T1_TARGETS == 65536 && sizeof(struct t1_target) == 16);
    emit_bytes(e, index, sizeof(index));
    emit_mov_imm64(e, R8, (uint64_t)(uintptr_t)g->t->t1_targets);
    static const uint8_t entry[] = {0x4f, 0x8d, 0x0c, 0x08}; /* lea r9, [r8 + r9] */
    emit_bytes(e, entry, sizeof(entry));
    emit_mov_imm64(e, R8, (uint64_t)(uintptr_t)&g->t->t1_stamp);
    emit_load64(e, R8, R8, 0);
    static const uint8_t compare[] = {
        0x4f, 0x8d, 0x04, 0x18,       /* lea r8, [r8 + r11]: the tag wanted */
        0x49, 0xf7, 0xd0,             /* not r8 */
        0x4d, 0x8b, 0x11,             /* mov r10, [r9]: the tag there */
        0x4f, 0x8d, 0x44, 0x10, 0x01, /* lea r8, [r8 + r10 + 1]: 0 when they are equal */
        0x49, 0x89, 0xca,             /* mov r10, rcx */
        0x4c, 0x89, 0xc1,             /* mov rcx, r8 */
        0xe3, 0x12,                   /* jrcxz hit */
        0x4c, 0x89, 0xd1,             /* mov rcx, r10 */
    };
    emit_bytes(e, compare, sizeof(compare));
    emit_mov_imm64(e, R9, EXIT_CODE(TR_EXIT_INDIRECT));
    emit_jmp(e, g->b->exit_common);
    static const uint8_t hit[] = {
        0x4c, 0x89, 0xd1,       /* hit: mov rcx, r10 */
        0x41, 0xff, 0x61, 0x08, /* jmp [r9 + 8] */
    };
    emit_bytes(e, hit, sizeof(hit));
}

/*
 * PUSH, POP and LEAVE once R10 points at the stack slot; CALL and RET do
 * their stack part here and leave through the block's end (gen_block_end).
 */
static void gen_stack(struct gen *g, const struct plan *p)
{
    struct emit *e = g->e;
    unsigned r = host_reg(p->stack_reg);
    switch (p->stack) {
    case ST_PUSH_REG: /* mov [r10], reg (the old ESP for PUSH ESP); ESP -= 4 */
        emit_rex(e, false, r, 0, R10, false);
        emit_u8(e, 0x89);
        emit_u8(e, (uint8_t)((r & 7) << 3 | (R10 & 7)));
        gen_esp_add(e, -4);
        break;
    case ST_CALL:       /* the return address */
    case ST_PUSH_IMM: { /* mov dword [r10], imm32; ESP -= 4 */
        uint32_t v = p->stack == ST_CALL ? p->eip + p->zi.length : p->stack_imm;
        static const uint8_t mov[] = {0x41, 0xc7, 0x02};
        emit_bytes(e, mov, sizeof(mov));
        emit_u32(e, v);
        gen_esp_add(e, -4);
        break;
    }
    case ST_POP_REG: /* mov reg, [r10]; ESP += 4 (POP ESP: ESP is the value) */
        emit_rex(e, false, r, 0, R10, false);
        emit_u8(e, 0x8b);
        emit_u8(e, (uint8_t)((r & 7) << 3 | (R10 & 7)));
        if (p->stack_reg != R_ESP)
            gen_esp_add(e, 4);
        break;
    case ST_LEAVE: { /* ESP = EBP + 4; EBP = [old EBP] */
        static const uint8_t leave[] = {
            0x44, 0x8d, 0x65, 0x04, /* lea r12d, [rbp + 4] */
            0x41, 0x8b, 0x2a,       /* mov ebp, [r10] */
        };
        emit_bytes(e, leave, sizeof(leave));
        break;
    }
    case ST_RET: { /* EIP = [r10]; ESP += 4 + imm16; on to the return target */
        static const uint8_t load[] = {0x45, 0x8b, 0x1a}; /* mov r11d, [r10] */
        emit_bytes(e, load, sizeof(load));
        static const uint8_t lea[] = {0x45, 0x8d, 0xa4, 0x24}; /* lea r12d, [r12 + disp32] */
        emit_bytes(e, lea, sizeof(lea));
        emit_u32(e, 4 + p->stack_imm);
        emit_store32(e, H_CPU, OFF_EIP, R11);
        gen_return_lookup(g);
        break;
    }
    default:
        break;
    }
}

/*
 * JMP/CALL r/m32: the target into struct cpu's EIP (a memory operand
 * through the memory path), CALL's return address pushed, then on to the
 * target as a return goes (gen_return_lookup). A fault in either access
 * runs the whole instruction through its handler.
 */
static void gen_indirect(struct gen *g, unsigned i)
{
    struct emit *e = g->e;
    const struct plan *p = &g->p[i];
    if (p->mem >= 0) {
        bool slow = gen_operand(g, i, &p->ops[p->mem], SMMU_READ);
        static const uint8_t load[] = {0x45, 0x8b, 0x1a}; /* mov r11d, [r10] */
        emit_bytes(e, load, sizeof(load));
        emit_store32(e, H_CPU, OFF_EIP, R11);
        if (slow)
            g->slows[g->nslow - 1].resume = e->p;
    } else {
        emit_store32(e, H_CPU, OFF_EIP, host_reg(p->stack_reg));
    }
    if (p->stack == ST_CALL_IND) {
        bool slow = gen_operand(g, i, &p->st_mem, SMMU_WRITE);
        static const uint8_t mov[] = {0x41, 0xc7, 0x02}; /* mov dword [r10], imm32 */
        emit_bytes(e, mov, sizeof(mov));
        emit_u32(e, p->eip + p->zi.length);
        gen_esp_add(e, -4);
        if (slow)
            g->slows[g->nslow - 1].resume = e->p;
    }
    emit_load32(e, R11, H_CPU, OFF_EIP);
    gen_return_lookup(g);
}

/* A 32-bit LEA (plan_insn checked it): a host LEA into the destination's host register. */
static void gen_lea_insn(struct gen *g, const struct plan *p)
{
    gen_lea(g->e, host_reg(ZydisRegisterGetId(p->ops[0].reg.value) & 7), &p->ops[1]);
}

/* Instructions [0, body) of the block, with the guest state in host registers after. */
static void gen_body(struct gen *g, unsigned body)
{
    struct emit *e = g->e;
    bool synced = false; /* the guest state is in struct cpu, not in host registers */
    g->x87_loaded = false;
    for (unsigned i = 0; i < body; i++) {
        struct plan *p = &g->p[i];
        if (!p->native) {
            gen_helper_call(g, i, synced);
            synced = true;
            g->x87_loaded = false; /* the handler call took the x87 state home */
            continue;
        }
        if (synced)
            emit_call(e, g->b->sync_in);
        synced = false;
        if (p->zi.mnemonic == ZYDIS_MNEMONIC_LEA) {
            gen_lea_insn(g, p);
            continue;
        }
        if (p->stack == ST_JMP_IND || p->stack == ST_CALL_IND) {
            gen_indirect(g, i);
            continue;
        }
        if (p->x87 && !g->x87_loaded) {
            gen_x87_load(g, i);
            g->x87_loaded = true;
        }
        bool slow = false;
        if (p->stack != ST_NONE) {
            slow = gen_operand(g, i, &p->st_mem, p->acc);
            gen_stack(g, p);
        } else {
            if (p->mem >= 0)
                slow = gen_operand(g, i, &p->ops[p->mem], p->acc);
            if (p->x87 == X87_LOAD_CW)
                gen_x87_fldcw(g, i);
            else
                gen_copy(g, p);
        }
        if (slow)
            g->slows[g->nslow - 1].resume = e->p;
        if (p->x87 == X87_POINTERS)
            gen_x87_pointers(g, i);
    }
    if (synced)
        emit_call(e, g->b->sync_in);
}

/* A chain exit: a jump the loop can point at the next block, then the way out. */
static void gen_chain_exit(struct gen *g, unsigned slot, uint32_t target)
{
    struct emit *e = g->e;
    struct t1_link *l = &g->blk->links[slot];
    *l = (struct t1_link){.from = g->tb, .slot = slot, .jump = e->p, .target_eip = target};
    emit_jmp(e, e->p + 5); /* unlinked: falls into the exit below */
    uint8_t *out = e->p;
    emit_store_imm32(e, H_CPU, OFF_EIP, target);
    emit_mov_imm64(e, R9, (uint64_t)(uintptr_t)l);
    emit_jmp(e, g->b->exit_common);
    /*
     * The guard for a target in another page: on only while the TLB's generation is the one
     * the link was made under (the page tables may map that page elsewhere after a flush).
     * Flag-neutral: ECX = generation - linked generation, tested with JRCXZ.
     */
    l->guard = e->p;
    static const uint8_t load[] = {0x49, 0x89, 0xc8, 0x41, 0x8b, 0x8d}; /* mov r8, rcx; mov ecx, */
    emit_bytes(e, load, sizeof(load));                                  /* [r13 + generation] */
    emit_u32(e, (uint32_t)(offsetof(struct smmu_tlb, generation) - offsetof(struct smmu_tlb, e)));
    static const uint8_t sub[] = {0x8d, 0x89}; /* lea ecx, [rcx - linked generation] */
    emit_bytes(e, sub, sizeof(sub));
    l->guard_gen = e->p;
    emit_u32(e, 0);
    static const uint8_t test[] = {
        0xe3, 0x08,       /* jrcxz same */
        0x4c, 0x89, 0xc1, /* mov rcx, r8 */
    };
    emit_bytes(e, test, sizeof(test));
    emit_jmp(e, out);                                 /* another generation: leave */
    static const uint8_t same[] = {0x4c, 0x89, 0xc1}; /* same: mov rcx, r8 */
    emit_bytes(e, same, sizeof(same));
    l->guard_jump = emit_jmp(e, out);
}

/*
 * The budget check at block entry, flag-neutral (leaving here shows the
 * flags of before the block, even where the block would write them all
 * before reading one); returns the rel32 to the budget exit.
 */
static uint8_t *gen_budget_check(struct gen *g)
{
    struct emit *e = g->e;
    emit_lea64(e, H_BUDGET, H_BUDGET, -(int32_t)g->n);
    static const uint8_t sign[] = {
        0x4d, 0x89, 0xf3,       /* mov r11, r14 */
        0x49, 0x0f, 0xcb,       /* bswap r11: the top byte, 0 or FF, at the bottom */
        0x45, 0x0f, 0xb6, 0xdb, /* movzx r11d, r11b */
        0x49, 0x89, 0xc9,       /* mov r9, rcx */
        0x4c, 0x89, 0xd9,       /* mov rcx, r11 */
        0xe3, 0x08,             /* jrcxz ok */
        0x4c, 0x89, 0xc9,       /* mov rcx, r9 */
    };
    emit_bytes(e, sign, sizeof(sign));
    uint8_t *out = emit_jmp(e, NULL);               /* budget spent */
    static const uint8_t ok[] = {0x4c, 0x89, 0xc9}; /* ok: mov rcx, r9 */
    emit_bytes(e, ok, sizeof(ok));
    return out;
}

/* The budget exit: give the block's count back and leave before its first instruction. */
static void gen_budget_exit(struct gen *g, uint8_t *from)
{
    struct emit *e = g->e;
    patch_rel32(from, e->p);
    emit_lea64(e, H_BUDGET, H_BUDGET, (int32_t)g->n);
    emit_store_imm32(e, H_CPU, OFF_EIP, g->tb->eip);
    emit_mov_imm64(e, R9, EXIT_CODE(TR_EXIT_BUDGET));
    emit_jmp(e, g->b->exit_common);
}

/* A direct Jcc or JMP ending the block, if tier 1 can take it: its condition and target. */
static bool direct_branch(const struct gen *g, const struct plan *p, bool call, int *cc,
                          uint32_t *target)
{
    const ZydisDecodedInstruction *zi = &p->zi;
    int c;
    if (zi->operand_width != 32 || p->ops[0].type != ZYDIS_OPERAND_TYPE_IMMEDIATE)
        return false;
    if (zi->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT && zi->opcode >= 0x70 && zi->opcode <= 0x7f)
        c = zi->opcode & 15;
    else if (zi->opcode_map == ZYDIS_OPCODE_MAP_0F && zi->opcode >= 0x80 && zi->opcode <= 0x8f)
        c = zi->opcode & 15;
    else if (zi->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT &&
             (zi->opcode == 0xe9 || zi->opcode == 0xeb || (call && zi->opcode == 0xe8)))
        c = -1;
    else
        return false;
    uint32_t to = p->eip + zi->length + (uint32_t)p->ops[0].imm.value.s;
    if (to > g->t->cpu->seg[S_CS].limit)
        return false; /* #GP: the handler raises it */
    *cc = c;
    *target = to;
    return true;
}

static bool decode_block(struct gen *g, ZydisDecoder *dec, const uint8_t *bytes)
{
    unsigned off = 0;
    for (unsigned i = 0; i < g->n; i++) {
        struct plan *p = &g->p[i];
        memset(p, 0, sizeof(*p));
        p->bytes = bytes + off;
        p->eip = g->tb->eip + off;
        if (ZYAN_FAILED(
                ZydisDecoderDecodeFull(dec, p->bytes, g->tb->bytes - off, &p->zi, p->ops)) ||
            p->zi.length != g->blk->insns[i].len)
            return false;
        off += p->zi.length;
    }
    return true;
}

bool tier1_gen_block(struct tier1 *b, struct tb *tb, struct emit *e)
{
    struct translator *t = b->t;
    struct cpu *cpu = t->cpu;
    struct block *blk = tb->payload;
    /* 32-bit code on a 32-bit stack in protected mode, not virtual-8086. */
    if ((tb->mode & 0xf) != 0xd || blk->n == 0)
        return false;
    uint8_t bytes[MAX_BYTES];
    memmap_read_buf(&cpu->machine->mem, tb->phys, bytes, tb->bytes);
    struct plan plans[BLOCK_MAX_INSNS];
    struct gen g = {.b = b, .t = t, .tb = tb, .blk = blk, .e = e, .p = plans, .n = blk->n};
    g.user = cpu->cpl == 3;
    g.flat = translator_flat_segments(cpu);
    g.flat_mask = FLAT_KEY_ALWAYS | (g.user ? 1u << S_GS : 0);
    g.x87_ok = fpu_runs_on_host(cpu);
    if (!decode_block(&g, &b->dec, bytes))
        return false;

    /* A debugger's stop address inside the block: host code ends right before it. */
    for (unsigned i = 1; i < g.n && cpu->stop_eip_enabled; i++) {
        if (plans[i].eip == cpu->stop_eip)
            g.n = i;
    }
    unsigned native = 0;
    int cc = -2;
    uint32_t target = 0;
    bool x87 = false;
    for (unsigned i = 0; i < g.n; i++) {
        plan_insn(&g, &plans[i]);
        native += plans[i].native;
        x87 |= plans[i].x87 != X87_NONE;
    }
    /* The end: a direct Jcc/JMP (gen_block_end), a CALL that pushes in the body and jumps there,
       a RET that leaves in the body, or a fall-through. */
    struct plan *last = &plans[g.n - 1];
    bool call = last->stack == ST_CALL;
    if (call || !last->native) {
        if (direct_branch(&g, last, call, &cc, &target)) {
            if (!call) {
                last->reads = arith(last->zi.cpu_flags ? last->zi.cpu_flags->tested : FL_ARITH);
                last->writes = 0;
                native++;
            }
        } else if (call) { /* past the CS limit: the handler raises #GP */
            last->stack = ST_NONE;
            last->native = false;
            last->reads = FL_ARITH;
            native--;
            call = false;
        }
    }
    /* Blocks of handler calls too: host code chains into and out of them, where tier 0
       would send every run through the loop (a kernel's CLI/STI/PUSHF/segment-load blocks). */
    /*
     * Flag liveness, backwards: everything is live when the block is left,
     * and before an instruction that may fault or call its handler, which
     * shows the guest's flags as they are. live_in: what must survive up to
     * the instruction itself (its own memory lookup keeps the flags for its
     * slow path, so its own fault does not count).
     */
    uint32_t live = FL_ARITH;
    for (unsigned i = g.n; i-- > 0;) {
        const struct plan *p = &plans[i];
        plans[i].live_in = (live & ~p->writes) | p->reads;
        bool may_fault = !p->native || p->mem >= 0 || p->stack != ST_NONE || p->x87;
        live = plans[i].live_in | (may_fault ? FL_ARITH : 0);
    }

    void *entry = e->p;
    uint8_t *budget = gen_budget_check(&g);
    unsigned body = cc != -2 && !call ? g.n - 1 : g.n;
    /* Stack frames in one mapped page: a body that takes them at once, else the plain one. */
    uint8_t *fails[FRAMES], *to_end = NULL;
    unsigned nfails = 0;
    if (plan_frames(&g, body)) {
        nfails = gen_frame_checks(&g, fails);
        g.fast = true;
        gen_body(&g, body);
        g.fast = false;
        to_end = emit_jmp(e, NULL);
        t->stats.frame_blocks++;
    }
    for (unsigned k = 0; k < nfails; k++)
        patch_rel32(fails[k], e->p);
    gen_body(&g, body);
    if (to_end)
        patch_rel32(to_end, e->p);
    uint32_t next = last->eip + last->zi.length;
    if (cc >= 0) {
        uint8_t *taken = emit_jcc(e, (unsigned)cc, NULL);
        gen_chain_exit(&g, 1, next);
        patch_rel32(taken, e->p);
        gen_chain_exit(&g, 0, target);
    } else if (cc == -1) {
        gen_chain_exit(&g, 0, target);
    } else if (last->stack != ST_RET && last->stack != ST_JMP_IND && last->stack != ST_CALL_IND) {
        gen_chain_exit(&g, 1, next);
    }
    gen_budget_exit(&g, budget);
    gen_slow_paths(&g);
    if (e->full)
        return false;
    blk->host = entry;
    blk->flat = g.flat & g.flat_mask;
    blk->flat_mask = g.flat_mask;
    blk->x87 = x87;
    blk->host_insns = g.n;
    blk->host_bytes = (uint16_t)(last->eip + last->zi.length - tb->eip);
    t->stats.blocks++;
    t->stats.insns += g.n;
    t->stats.native_insns += native;
    t->stats.helper_insns += g.n - native;
    return true;
}
