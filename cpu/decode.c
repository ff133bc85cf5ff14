/*
 * Decoding: Zydis turns guest bytes into its full description once, and we
 * keep only the compact record the handlers need (struct insn). The
 * instruction table (cpu/table.c) gives the handler and its properties.
 */
#include "cpu/internal.h"

#include <Zydis/Zydis.h>
#include <glib.h>

#include "cpu/handlers.h"

static ZydisDecoder *new_decoder(ZydisMachineMode mode, ZydisStackWidth width)
{
    ZydisDecoder *d = g_new0(ZydisDecoder, 1);
    if (ZYAN_FAILED(ZydisDecoderInit(d, mode, width)))
        g_error("Zydis decoder initialisation failed");
    /* A Pentium II: no MPX, CET, LZCNT or TZCNT meanings for old prefixes. */
    static const ZydisDecoderMode off[] = {
        ZYDIS_DECODER_MODE_MPX,   ZYDIS_DECODER_MODE_CET,      ZYDIS_DECODER_MODE_LZCNT,
        ZYDIS_DECODER_MODE_TZCNT, ZYDIS_DECODER_MODE_WBNOINVD, ZYDIS_DECODER_MODE_CLDEMOTE,
    };
    for (size_t i = 0; i < G_N_ELEMENTS(off); i++)
        ZydisDecoderEnableMode(d, off[i], ZYAN_FALSE);
    return d;
}

void cpu_decoder_init(struct cpu *cpu)
{
    struct cpu_internal *c = cpu->internal;
    c->decoder16 = new_decoder(ZYDIS_MACHINE_MODE_LEGACY_16, ZYDIS_STACK_WIDTH_16);
    c->decoder32 = new_decoder(ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
}

void cpu_decoder_destroy(struct cpu *cpu)
{
    struct cpu_internal *c = cpu->internal;
    g_free(c->decoder16);
    g_free(c->decoder32);
}

int cpu_zydis_segment(int zydis_register)
{
    switch ((ZydisRegister)zydis_register) {
    case ZYDIS_REGISTER_ES:
        return S_ES;
    case ZYDIS_REGISTER_CS:
        return S_CS;
    case ZYDIS_REGISTER_SS:
        return S_SS;
    case ZYDIS_REGISTER_FS:
        return S_FS;
    case ZYDIS_REGISTER_GS:
        return S_GS;
    default:
        return S_DS;
    }
}

/* Our register number for a Zydis GPR (encoding order), or NO_REG. */
static uint8_t gpr_index(ZydisRegister r)
{
    if (r == ZYDIS_REGISTER_NONE)
        return NO_REG;
    return (uint8_t)(ZydisRegisterGetId(r) & 7);
}

/* The segment override of the prefixes, or -1. */
static int seg_override(const ZydisDecodedInstruction *zi)
{
    static const struct {
        ZyanU64 attr;
        int seg;
    } map[] = {
        {ZYDIS_ATTRIB_HAS_SEGMENT_ES, S_ES}, {ZYDIS_ATTRIB_HAS_SEGMENT_CS, S_CS},
        {ZYDIS_ATTRIB_HAS_SEGMENT_SS, S_SS}, {ZYDIS_ATTRIB_HAS_SEGMENT_DS, S_DS},
        {ZYDIS_ATTRIB_HAS_SEGMENT_FS, S_FS}, {ZYDIS_ATTRIB_HAS_SEGMENT_GS, S_GS},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(map); i++) {
        if (zi->attributes & map[i].attr)
            return map[i].seg;
    }
    return -1;
}

static void convert_operand(struct insn *in, const ZydisDecodedOperand *zo, struct operand *o,
                            bool *have_imm)
{
    o->size = (uint8_t)(zo->size / 8);
    switch (zo->type) {
    case ZYDIS_OPERAND_TYPE_REGISTER:
        switch (ZydisRegisterGetClass(zo->reg.value)) {
        case ZYDIS_REGCLASS_SEGMENT:
            o->kind = OP_SREG;
            o->reg = (uint8_t)cpu_zydis_segment(zo->reg.value);
            break;
        case ZYDIS_REGCLASS_CONTROL:
            o->kind = OP_CREG;
            o->reg = (uint8_t)ZydisRegisterGetId(zo->reg.value);
            break;
        case ZYDIS_REGCLASS_DEBUG:
            o->kind = OP_DREG;
            o->reg = (uint8_t)ZydisRegisterGetId(zo->reg.value);
            break;
        case ZYDIS_REGCLASS_X87:
            o->kind = OP_ST;
            o->reg = (uint8_t)ZydisRegisterGetId(zo->reg.value);
            break;
        default:
            o->kind = OP_REG;
            o->reg = gpr_index(zo->reg.value);
            break;
        }
        break;
    case ZYDIS_OPERAND_TYPE_MEMORY:
        o->kind = OP_MEM;
        in->seg = (uint8_t)cpu_zydis_segment(zo->mem.segment);
        in->base = gpr_index(zo->mem.base);
        in->index = gpr_index(zo->mem.index);
        in->scale = (uint8_t)(zo->mem.scale == 8   ? 3
                              : zo->mem.scale == 4 ? 2
                              : zo->mem.scale == 2 ? 1
                                                   : 0);
        in->disp = zo->mem.disp.has_displacement ? (uint32_t)zo->mem.disp.value : 0;
        break;
    case ZYDIS_OPERAND_TYPE_POINTER:
        o->kind = OP_IMM;
        in->imm = zo->ptr.offset;
        in->imm2 = zo->ptr.segment;
        break;
    case ZYDIS_OPERAND_TYPE_IMMEDIATE:
        o->kind = OP_IMM;
        if (*have_imm) {
            in->imm2 = (uint32_t)zo->imm.value.u;
        } else {
            in->imm = (uint32_t)zo->imm.value.u;
            *have_imm = true;
        }
        break;
    default:
        o->kind = OP_NONE;
        break;
    }
}

/* Entries of the table that depend on the operand form. */
static void refine(struct insn *in, const ZydisDecodedInstruction *zi, bool string)
{
    if (zi->meta.branch_type == ZYDIS_BRANCH_TYPE_FAR) {
        in->props |= P_FAR;
        if (in->fn == h_ret)
            in->fn = h_retf;
    }
    /* A REP string instruction may stop and restart itself: it ends its block. */
    if (string && in->rep)
        in->props |= P_ENDS_BLOCK;
    if (in->fn == h_mov) {
        for (unsigned i = 0; i < in->nops; i++) {
            switch (in->o[i].kind) {
            case OP_SREG:
                in->fn = h_mov_sreg;
                if (i == 0) /* loading SS or a segment in protected mode may change the mode */
                    in->props |= P_ENDS_BLOCK | P_MAY_FAULT;
                break;
            case OP_CREG:
                in->fn = h_mov_cr;
                in->props |= P_PRIV | P_SENSITIVE | P_ENDS_BLOCK;
                break;
            case OP_DREG:
                in->fn = h_mov_dr;
                in->props |= P_PRIV | P_SENSITIVE | P_ENDS_BLOCK;
                break;
            default:
                break;
            }
        }
    }
    if (in->fn == h_pop && in->o[0].kind == OP_SREG)
        in->props |= P_ENDS_BLOCK | P_MAY_FAULT;
}

/*
 * An undefined opcode in the x87 escapes (D8-DF): like the defined ones it
 * raises #NM under CR0.EM or TS, and #UD otherwise (SDM Vol. 3A §22.18.6.6).
 */
static bool undefined_x87(const uint8_t *bytes, unsigned avail)
{
    static const uint8_t prefixes[] = {0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf2, 0xf3};
    for (unsigned i = 0; i < avail; i++) {
        if (!memchr(prefixes, bytes[i], sizeof(prefixes)))
            return bytes[i] >= 0xd8 && bytes[i] <= 0xdf;
    }
    return false;
}

int cpu_decode(struct cpu *cpu, const uint8_t *bytes, unsigned avail, struct insn *out)
{
    struct cpu_internal *c = cpu->internal;
    /*
     * Real and virtual-8086 code decode as 16-bit code: what is invalid
     * there (LAR, SYSENTER, ...) is decided by the table and the handlers,
     * which know whether it is #UD or #GP.
     */
    bool d32 = cpu_pe(cpu) && !cpu_v86(cpu) && (cpu->seg[S_CS].attr & SEG_ATTR_DB);
    const ZydisDecoder *dec = d32 ? c->decoder32 : c->decoder16;
    ZydisDecodedInstruction zi;
    ZydisDecodedOperand zo[ZYDIS_MAX_OPERAND_COUNT];

    memset(out, 0, sizeof(*out));
    out->base = out->index = NO_REG;
    out->seg = S_DS;
    out->fn = h_ud;
    ZyanStatus st = ZydisDecoderDecodeFull(dec, bytes, avail, &zi, zo);
    if (ZYAN_FAILED(st)) {
        out->len = 1;
        if (st == ZYDIS_STATUS_NO_MORE_DATA)
            return -2;
        if (undefined_x87(bytes, avail)) {
            out->fn = h_fpu;
            out->props = P_MAY_FAULT | P_ENDS_BLOCK;
        }
        return -1;
    }
    out->len = zi.length;
    const struct insn_desc *d = insn_lookup(zi.mnemonic);
    if (!d && zi.meta.category == ZYDIS_CATEGORY_X87_ALU) {
        out->fn = h_fpu;
        out->props = P_MAY_FAULT;
        return 0;
    }
    /* SSE forms sharing a string instruction's name live in the 0F map. */
    if (!d || (zi.opcode_map != ZYDIS_OPCODE_MAP_DEFAULT &&
               (zi.mnemonic == ZYDIS_MNEMONIC_MOVSD || zi.mnemonic == ZYDIS_MNEMONIC_CMPSD)))
        return -1;

    out->fn = d->fn;
    out->sub = d->sub;
    out->props = d->props;
    out->adsize = (uint8_t)(zi.address_width / 8);
    out->opsize = (uint8_t)(zi.operand_width / 8);
    if (zi.attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE))
        out->rep = REP_E;
    else if (zi.attributes & ZYDIS_ATTRIB_HAS_REPNE)
        out->rep = REP_NE;

    bool have_imm = false;
    unsigned n = 0;
    for (unsigned i = 0; i < zi.operand_count_visible && n < 3; i++) {
        if (zo[i].visibility == ZYDIS_OPERAND_VISIBILITY_HIDDEN)
            continue;
        convert_operand(out, &zo[i], &out->o[n], &have_imm);
        n++;
    }
    out->nops = (uint8_t)n;
    /* x87 escapes keep their opcode for FOP (SDM Vol. 1 §8.1.9); they have no immediate. */
    if (zi.opcode_map == ZYDIS_OPCODE_MAP_DEFAULT && zi.opcode >= 0xd8 && zi.opcode <= 0xdf)
        out->imm = ((zi.opcode & 7u) << 8) | (zi.raw.modrm.mod << 6) | (zi.raw.modrm.reg << 3) |
                   zi.raw.modrm.rm;
    /* String instructions: their source segment is DS unless overridden. */
    int ovr = seg_override(&zi);
    bool string = zi.meta.category == ZYDIS_CATEGORY_STRINGOP ||
                  zi.meta.category == ZYDIS_CATEGORY_IOSTRINGOP;
    if (string || zi.mnemonic == ZYDIS_MNEMONIC_XLAT)
        out->seg = (uint8_t)(ovr >= 0 ? ovr : S_DS);
    refine(out, &zi, string);
    return 0;
}

void h_gp0(struct cpu *cpu, const struct insn *in)
{
    cpu_raise(cpu, EX_GP, 0);
}

bool cpu_finish_record(struct cpu *cpu, struct insn *in, uint32_t eip)
{
    bool ends = in->props & P_ENDS_BLOCK;
    if ((in->props & P_PM_ONLY) && (!cpu_pe(cpu) || cpu_v86(cpu))) {
        in->fn = h_ud;
        ends = true;
    } else if ((in->props & P_PRIV) && cpu_pe(cpu) && (cpu->cpl != 0 || cpu_v86(cpu))) {
        in->fn = h_gp0;
        ends = true;
    }
    if ((uint64_t)eip + in->len - 1 > cpu->seg[S_CS].limit) {
        in->fn = h_gp0; /* runs past the code segment */
        ends = true;
    }
    if (in->fn == h_ud)
        ends = true;
    return ends;
}
