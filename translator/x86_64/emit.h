/*
 * A small x86-64 emitter: the handful of host instruction forms tier 1
 * writes besides the guest's own bytes. Zydis's encoder could produce
 * these too, but tier 1 mostly copies guest instructions and needs only
 * register-to-memory moves, LEA, jumps and calls with fixed operands: a
 * dozen two-line functions are clearer than filling encoder requests, and
 * they let the generator patch rel32 fields in place.
 */
#ifndef POPEK_TRANSLATOR_X86_64_EMIT_H
#define POPEK_TRANSLATOR_X86_64_EMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

enum host_reg { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };

struct emit {
    uint8_t *p, *end;
    bool full; /* ran past the end: the caller flushes and retries */
};

static inline void emit_u8(struct emit *e, uint8_t v)
{
    if (e->p < e->end)
        *e->p++ = v;
    else
        e->full = true;
}

static inline void emit_bytes(struct emit *e, const void *src, unsigned n)
{
    const uint8_t *s = src;
    for (unsigned i = 0; i < n; i++)
        emit_u8(e, s[i]);
}

static inline void emit_u32(struct emit *e, uint32_t v)
{
    emit_bytes(e, &v, 4);
}

static inline void emit_u64(struct emit *e, uint64_t v)
{
    emit_bytes(e, &v, 8);
}

/* A REX prefix when any bit is needed (or `force`). */
static inline void emit_rex(struct emit *e, bool w, unsigned r, unsigned x, unsigned b, bool force)
{
    uint8_t rex =
        (uint8_t)(0x40 | (w << 3) | ((r >> 3) & 1) << 2 | ((x >> 3) & 1) << 1 | ((b >> 3) & 1));
    if (rex != 0x40 || force)
        emit_u8(e, rex);
}

/* ModRM (and SIB) for [base + disp32]; `reg` is the ModRM.reg field (register or /digit). */
static inline void emit_mem(struct emit *e, unsigned reg, unsigned base, int32_t disp)
{
    emit_u8(e, (uint8_t)(0x80 | (reg & 7) << 3 | (base & 7)));
    if ((base & 7) == 4)
        emit_u8(e, 0x24); /* SIB: no index, base */
    emit_u32(e, (uint32_t)disp);
}

/* op reg, [base + disp] (or op [base + disp], reg): one opcode byte, 32- or 64-bit. */
static inline void emit_op_mem(struct emit *e, uint8_t op, bool w, unsigned reg, unsigned base,
                               int32_t disp)
{
    emit_rex(e, w, reg, 0, base, false);
    emit_u8(e, op);
    emit_mem(e, reg, base, disp);
}

static inline void emit_load32(struct emit *e, unsigned dst, unsigned base, int32_t disp)
{
    emit_op_mem(e, 0x8b, false, dst, base, disp);
}

static inline void emit_store32(struct emit *e, unsigned base, int32_t disp, unsigned src)
{
    emit_op_mem(e, 0x89, false, src, base, disp);
}

static inline void emit_load64(struct emit *e, unsigned dst, unsigned base, int32_t disp)
{
    emit_op_mem(e, 0x8b, true, dst, base, disp);
}

static inline void emit_store64(struct emit *e, unsigned base, int32_t disp, unsigned src)
{
    emit_op_mem(e, 0x89, true, src, base, disp);
}

/* lea dst, [base + disp] (64-bit: flags untouched). */
static inline void emit_lea64(struct emit *e, unsigned dst, unsigned base, int32_t disp)
{
    emit_op_mem(e, 0x8d, true, dst, base, disp);
}

/* mov dword [base + disp], imm32 */
static inline void emit_store_imm32(struct emit *e, unsigned base, int32_t disp, uint32_t imm)
{
    emit_op_mem(e, 0xc7, false, 0, base, disp);
    emit_u32(e, imm);
}

/* mov reg64, imm64 */
static inline void emit_mov_imm64(struct emit *e, unsigned reg, uint64_t imm)
{
    emit_rex(e, true, 0, 0, reg, false);
    emit_u8(e, (uint8_t)(0xb8 | (reg & 7)));
    emit_u64(e, imm);
}

/* mov reg32, imm32 */
static inline void emit_mov_imm32(struct emit *e, unsigned reg, uint32_t imm)
{
    emit_rex(e, false, 0, 0, reg, false);
    emit_u8(e, (uint8_t)(0xb8 | (reg & 7)));
    emit_u32(e, imm);
}

/* mov dst64, src64 */
static inline void emit_mov_rr64(struct emit *e, unsigned dst, unsigned src)
{
    emit_rex(e, true, src, 0, dst, false);
    emit_u8(e, 0x89);
    emit_u8(e, (uint8_t)(0xc0 | (src & 7) << 3 | (dst & 7)));
}

/* jmp rel32 / call rel32 to `target`: returns where the rel32 field is (NULL: out of room). */
static inline uint8_t *emit_rel32(struct emit *e, const uint8_t *opcode, unsigned oplen,
                                  const uint8_t *target)
{
    emit_bytes(e, opcode, oplen);
    uint8_t *field = e->p;
    int64_t rel = target ? target - (e->p + 4) : 0;
    emit_u32(e, (uint32_t)(int32_t)rel);
    return e->full ? NULL : field;
}

static inline uint8_t *emit_jmp(struct emit *e, const uint8_t *target)
{
    static const uint8_t op[] = {0xe9};
    return emit_rel32(e, op, 1, target);
}

static inline uint8_t *emit_call(struct emit *e, const uint8_t *target)
{
    static const uint8_t op[] = {0xe8};
    return emit_rel32(e, op, 1, target);
}

/* jcc rel32 with the condition code cc (0-15). */
static inline uint8_t *emit_jcc(struct emit *e, unsigned cc, const uint8_t *target)
{
    const uint8_t op[] = {0x0f, (uint8_t)(0x80 | cc)};
    return emit_rel32(e, op, 2, target);
}

/* Point a rel32 field (as emit_rel32 returned it; NULL: none) at `target`. */
static inline void patch_rel32(uint8_t *field, const uint8_t *target)
{
    if (!field)
        return;
    int32_t rel = (int32_t)(target - (field + 4));
    memcpy(field, &rel, 4);
}

#endif
