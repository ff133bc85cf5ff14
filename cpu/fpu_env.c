/*
 * The x87 environment and state images (SDM Vol. 1 §8.1.10, Figures 8-9
 * to 8-12, and FXSAVE in Vol. 2): FSTENV/FLDENV, FSAVE/FRSTOR in the 16-
 * and 32-bit operand-size layouts of real and protected mode, the
 * 512-byte FXSAVE/FXRSTOR area, and the state as a debugger sees it.
 */
#include "cpu/handlers.h"

#include <string.h>

/*
 * The four environment layouts (SDM Vol. 1 Figures 8-9 to 8-12): 28 bytes
 * with a 32-bit operand size, 14 with a 16-bit one; in real and
 * virtual-8086 mode the pointers are 20/32-bit linear addresses next to
 * the opcode instead of selector:offset pairs. Reserved halves read FFFFH.
 */
static bool env_real(const struct cpu *cpu)
{
    return !cpu_pe(cpu) || cpu_v86(cpu);
}

static void env_store(struct cpu *cpu, uint8_t *p, bool wide)
{
    struct fpu *f = &cpu->internal->fpu;
    unsigned w = wide ? 4 : 2;
    uint32_t ip = f->fip, dp = f->fdp;
    memset(p, 0xff, 7 * w);
    fpu_put16(p, f->cw);
    fpu_put16(p + w, fpu_status(f));
    fpu_put16(p + 2 * w, fpu_tag_word(f));
    if (env_real(cpu)) {
        ip += (uint32_t)f->fcs << 4;
        dp += (uint32_t)f->fds << 4;
        fpu_put16(p + 3 * w, ip & 0xffff);
        fpu_put16(p + 5 * w, dp & 0xffff);
        if (wide) {
            fpu_put32(p + 16, ((ip >> 16) << 12) | (f->fop & 0x7ff));
            fpu_put32(p + 24, (dp >> 16) << 12);
        } else {
            fpu_put16(p + 8, ((ip >> 16) << 12) | (f->fop & 0x7ff));
            fpu_put16(p + 12, (dp >> 16) << 12);
        }
    } else if (wide) {
        fpu_put32(p + 12, ip);
        fpu_put32(p + 16, f->fcs | ((uint32_t)(f->fop & 0x7ff) << 16));
        fpu_put32(p + 20, dp);
        fpu_put16(p + 24, f->fds);
    } else {
        fpu_put16(p + 6, ip);
        fpu_put16(p + 8, f->fcs);
        fpu_put16(p + 10, dp);
        fpu_put16(p + 12, f->fds);
    }
}

static void env_load(struct cpu *cpu, const uint8_t *p, bool wide)
{
    struct fpu *f = &cpu->internal->fpu;
    unsigned w = wide ? 4 : 2;
    f->cw = (fpu_get16(p) & FPU_CW_WRITABLE) | FPU_CW_ONE;
    fpu_load_tags(f, (uint16_t)fpu_get16(p + 2 * w));
    if (env_real(cpu)) {
        uint32_t hi_ip = wide ? fpu_get32(p + 16) : fpu_get16(p + 8);
        uint32_t hi_dp = wide ? fpu_get32(p + 24) : fpu_get16(p + 12);
        uint32_t mask = wide ? 0xffff : 0xf;
        f->fip = fpu_get16(p + 3 * w) | (((hi_ip >> 12) & mask) << 16);
        f->fdp = fpu_get16(p + 5 * w) | (((hi_dp >> 12) & mask) << 16);
        f->fop = hi_ip & 0x7ff;
        f->fcs = f->fds = 0;
    } else if (wide) {
        f->fip = fpu_get32(p + 12);
        f->fcs = (uint16_t)fpu_get16(p + 16);
        f->fop = fpu_get16(p + 18) & 0x7ff;
        f->fdp = fpu_get32(p + 20);
        f->fds = (uint16_t)fpu_get16(p + 24);
    } else {
        f->fip = fpu_get16(p + 6);
        f->fcs = (uint16_t)fpu_get16(p + 8);
        f->fdp = fpu_get16(p + 10);
        f->fds = (uint16_t)fpu_get16(p + 12);
    }
    fpu_load_sw(cpu, (uint16_t)fpu_get16(p + w));
}

/* The operand's size tells the layout: 14/28 bytes (environment), 94/108 (state). */
static bool wide_layout(const struct insn *in)
{
    return in->o[0].size == 28 || in->o[0].size == 108;
}

void h_fnstenv(struct cpu *cpu, const struct insn *in)
{
    struct fpu *f = fpu_begin(cpu, in, 0);
    uint8_t buf[28];
    bool wide = wide_layout(in);
    env_store(cpu, buf, wide);
    fpu_write_bytes(cpu, in, 0, buf, wide ? 28 : 14);
    f->cw |= SF_CW_MASKS; /* FSTENV masks every exception afterwards */
    fpu_sync_ferr(cpu);
}

void h_fldenv(struct cpu *cpu, const struct insn *in)
{
    if (!fpu_begin(cpu, in, FPU_WAITS))
        return;
    uint8_t buf[28];
    bool wide = wide_layout(in);
    fpu_read_bytes(cpu, in, 0, buf, wide ? 28 : 14);
    env_load(cpu, buf, wide);
}

void h_fnsave(struct cpu *cpu, const struct insn *in)
{
    struct fpu *f = fpu_begin(cpu, in, 0);
    uint8_t buf[108];
    bool wide = wide_layout(in);
    unsigned env = wide ? 28 : 14;
    env_store(cpu, buf, wide);
    for (unsigned i = 0; i < 8; i++)
        fpu_f80_put(buf + env + 10 * i, fpu_get(f, i));
    fpu_write_bytes(cpu, in, 0, buf, env + 80);
    fpu_init(cpu);
}

void h_frstor(struct cpu *cpu, const struct insn *in)
{
    struct fpu *f = fpu_begin(cpu, in, FPU_WAITS);
    if (!f)
        return;
    uint8_t buf[108];
    bool wide = wide_layout(in);
    unsigned env = wide ? 28 : 14;
    fpu_read_bytes(cpu, in, 0, buf, env + 80);
    env_load(cpu, buf, wide);
    for (unsigned i = 0; i < 8; i++)
        f->st[fpu_phys(f, i)] = fpu_f80_get(buf + env + 10 * i);
}

/* --- FXSAVE, FXRSTOR --------------------------------------------------- */

/*
 * The 512-byte area of SDM Vol. 2 FXSAVE (Table 3-53) with the abridged
 * tag byte. A Pentium II has no SSE: MXCSR (bytes 24-31) and the XMM area
 * (160-511) are neither written nor read.
 */
static void fxsave_check(struct cpu *cpu, const struct insn *in)
{
    fpu_begin(cpu, in, 0);
    if ((cpu->seg[in->seg].base + insn_ea(cpu, in)) & 15)
        cpu_raise(cpu, EX_GP, 0);
}

void fpu_fxsave_image(const struct fpu *f, uint8_t img[FPU_FXSAVE_BYTES])
{
    memset(img, 0, FPU_FXSAVE_BYTES);
    fpu_put16(img, f->cw);
    fpu_put16(img + 2, fpu_status(f));
    img[4] = (uint8_t)~f->empty;
    fpu_put16(img + 6, f->fop);
    fpu_put32(img + 8, f->fip);
    fpu_put16(img + 12, f->fcs);
    fpu_put32(img + 16, f->fdp);
    fpu_put16(img + 20, f->fds);
    for (unsigned i = 0; i < 8; i++)
        fpu_f80_put(img + 32 + 16 * i, fpu_get(f, i));
}

void fpu_fxrstor_image(struct cpu *cpu, const uint8_t img[FPU_FXSAVE_BYTES], bool pointers)
{
    struct fpu *f = &cpu->internal->fpu;
    f->cw = (fpu_get16(img) & FPU_CW_WRITABLE) | FPU_CW_ONE;
    f->empty = (uint8_t)~img[4];
    if (pointers) {
        f->fop = fpu_get16(img + 6) & 0x7ff;
        f->fip = fpu_get32(img + 8);
        f->fcs = (uint16_t)fpu_get16(img + 12);
        f->fdp = fpu_get32(img + 16);
        f->fds = (uint16_t)fpu_get16(img + 20);
    }
    fpu_load_sw(cpu, (uint16_t)fpu_get16(img + 2));
    for (unsigned i = 0; i < 8; i++)
        f->st[fpu_phys(f, i)] = fpu_f80_get(img + 32 + 16 * i);
}

bool fpu_runs_on_host(const struct cpu *cpu)
{
    const struct fpu *f = &cpu->internal->fpu;
    return !(cpu->cr[0] & (CR0_EM | CR0_TS)) && (f->cw & SF_CW_MASKS) == SF_CW_MASKS && !f->soft;
}

void h_fxsave(struct cpu *cpu, const struct insn *in)
{
    uint8_t img[FPU_FXSAVE_BYTES];
    fxsave_check(cpu, in);
    fpu_fxsave_image(&cpu->internal->fpu, img);
    cpu_probe_write(cpu, in->seg, insn_ea(cpu, in), FPU_FXSAVE_BYTES);
    fpu_write_bytes(cpu, in, 0, img, 24); /* not MXCSR (24-31) */
    fpu_write_bytes(cpu, in, 32, img + 32, FPU_FXSAVE_BYTES - 32);
}

void h_fxrstor(struct cpu *cpu, const struct insn *in)
{
    uint8_t img[FPU_FXSAVE_BYTES];
    fxsave_check(cpu, in);
    fpu_read_bytes(cpu, in, 0, img, 24);
    fpu_read_bytes(cpu, in, 32, img + 32, FPU_FXSAVE_BYTES - 32);
    fpu_fxrstor_image(cpu, img, true);
}

/* --- for debuggers (cpu.h) -------------------------------------------- */

void cpu_x87_get(struct cpu *cpu, struct cpu_x87_state *s)
{
    const struct fpu *f = &cpu->internal->fpu;
    for (unsigned i = 0; i < 8; i++)
        fpu_f80_put(s->st[i], fpu_get(f, i));
    s->fctrl = f->cw;
    s->fstat = fpu_status(f);
    s->ftag = fpu_tag_word(f);
    s->fop = f->fop & 0x7ff;
    s->fiseg = f->fcs;
    s->foseg = f->fds;
    s->fioff = f->fip;
    s->fooff = f->fdp;
}

void cpu_x87_set(struct cpu *cpu, const struct cpu_x87_state *s)
{
    struct fpu *f = &cpu->internal->fpu;
    fpu_load_sw(cpu, s->fstat); /* TOP first: ST(i) are relative to it */
    for (unsigned i = 0; i < 8; i++)
        f->st[fpu_phys(f, i)] = fpu_f80_get(s->st[i]);
    fpu_load_tags(f, s->ftag);
    fpu_load_cw(cpu, s->fctrl);
    f->fop = s->fop & 0x7ff;
    f->fcs = s->fiseg;
    f->fds = s->foseg;
    f->fip = s->fioff;
    f->fdp = s->fooff;
}
