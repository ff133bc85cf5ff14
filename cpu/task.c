/*
 * Hardware task switches (SDM Vol. 3A §7.3): the current state is saved in
 * the old TSS, the new TSS's state is loaded, busy bits, the back link and
 * NT are kept as JMP, CALL, interrupts and IRET require, and CR0.TS is set.
 * DR7's local breakpoint enables are cleared. 32-bit and 16-bit TSSs are
 * both handled; a 16-bit (286) TSS (§7.6) holds IP, FLAGS, AX..DI, ES CS
 * SS DS and the LDT selector and nothing else: the upper halves of the
 * general registers and of EFLAGS keep what they held, EIP is the
 * zero-extended IP, FS and GS become null and CR3 is not loaded. Faults
 * while loading the new task's segments are taken in the new task, as on
 * hardware.
 */
#include "cpu/handlers.h"

/* Field offsets in a 32-bit TSS and in a 16-bit one. */
struct tss_layout {
    unsigned w; /* register width */
    unsigned eip, eflags, regs, segs, ldt;
    unsigned min_limit;
};

static const struct tss_layout tss32 = {4, 32, 36, 40, 72, 96, 0x67};
static const struct tss_layout tss16 = {2, 14, 16, 18, 34, 42, 0x2b};

/* Segment registers in TSS order: ES CS SS DS FS GS (16-bit TSSs stop at DS). */
static const unsigned tss_seg_order[] = {S_ES, S_CS, S_SS, S_DS, S_FS, S_GS};

static void set_busy(struct cpu *cpu, uint16_t sel, bool busy)
{
    uint32_t addr = cpu->gdtr.base + (sel & ~7u) + 5;
    uint32_t b = cpu_read_sys(cpu, addr, 1);
    b = busy ? (b | 0x2) : (b & ~0x2u);
    cpu_write_sys(cpu, addr, b, 1);
}

/* Load a segment register of the new task; faults are #TS(selector). */
static void task_load_seg(struct cpu *cpu, unsigned seg, uint16_t sel)
{
    if (cpu_v86(cpu)) {
        cpu_set_segment_real(cpu, seg, sel);
        return;
    }
    uint32_t err = sel & ~3u;
    if (err == 0) {
        if (seg == S_CS || seg == S_SS)
            cpu_raise(cpu, EX_TS, 0);
        cpu->seg[seg] = (struct cpu_segment){sel, 0, 0, 0};
        return;
    }
    uint64_t d;
    uint32_t addr;
    if (!cpu_fetch_descriptor(cpu, sel, &d, &addr))
        cpu_raise(cpu, EX_TS, err);
    uint16_t attr = desc_attr(d);
    unsigned type = attr & SEG_ATTR_TYPE, dpl = SEG_ATTR_DPL(attr), rpl = sel & 3u;
    if (!(attr & SEG_ATTR_S))
        cpu_raise(cpu, EX_TS, err);
    if (seg == S_CS) {
        if (!(type & TYPE_CODE) || ((type & TYPE_CONFORM) ? dpl > rpl : dpl != rpl))
            cpu_raise(cpu, EX_TS, err);
    } else if (seg == S_SS) {
        if ((type & TYPE_CODE) || !(type & TYPE_WRITABLE) || dpl != rpl ||
            rpl != (unsigned)cpu->cpl)
            cpu_raise(cpu, EX_TS, err);
    } else {
        bool conforming = (type & TYPE_CODE) && (type & TYPE_CONFORM);
        unsigned cpl = (unsigned)cpu->cpl;
        if (((type & TYPE_CODE) && !(type & TYPE_READABLE)) ||
            (!conforming && (dpl < cpl || dpl < rpl)))
            cpu_raise(cpu, EX_TS, err);
    }
    if (!(attr & SEG_ATTR_P))
        cpu_raise(cpu, seg == S_SS ? EX_SS : EX_NP, err);
    cpu_set_accessed(cpu, addr, d);
    cpu_descriptor_cache(d | (1ull << 40), &cpu->seg[seg], sel);
}

void cpu_task_switch(struct cpu *cpu, uint16_t sel, uint64_t desc, enum task_reason why,
                     uint32_t error_code)
{
    uint16_t attr = desc_attr(desc);
    unsigned type = attr & SEG_ATTR_TYPE;
    const struct tss_layout *nl = (type & 0x8) ? &tss32 : &tss16;
    struct cpu_segment ntss;
    cpu_descriptor_cache(desc, &ntss, sel);
    if (ntss.limit < nl->min_limit)
        cpu_raise(cpu, EX_TS, sel & ~3u);

    /* Save the outgoing task. */
    const struct tss_layout *ol = (cpu->tr.attr & 0x8) ? &tss32 : &tss16;
    uint32_t obase = cpu->tr.base;
    if (cpu->tr.limit < ol->min_limit)
        cpu_raise(cpu, EX_TS, cpu->tr.selector & ~3u);
    uint32_t flags = cpu_get_eflags(cpu);
    if (why == TASK_IRET)
        flags &= ~FL_NT;
    cpu_write_sys(cpu, obase + ol->eip, cpu->eip, ol->w);
    cpu_write_sys(cpu, obase + ol->eflags, flags, ol->w);
    for (unsigned r = 0; r < 8; r++)
        cpu_write_sys(cpu, obase + ol->regs + r * ol->w, cpu->regs[r], ol->w);
    unsigned nsegs = ol == &tss32 ? 6 : 4;
    for (unsigned i = 0; i < nsegs; i++)
        cpu_write_sys(cpu, obase + ol->segs + i * ol->w, cpu->seg[tss_seg_order[i]].selector, 2);
    if (why == TASK_JMP || why == TASK_IRET)
        set_busy(cpu, cpu->tr.selector, false);

    /* Read the incoming task. */
    uint32_t nbase = ntss.base;
    uint32_t cr3 = nl == &tss32 ? cpu_read_sys(cpu, nbase + 28, 4) : cpu->cr[3];
    uint32_t eip = cpu_read_sys(cpu, nbase + nl->eip, nl->w);
    uint32_t nflags = cpu_read_sys(cpu, nbase + nl->eflags, nl->w);
    uint32_t regs[8];
    for (unsigned r = 0; r < 8; r++)
        regs[r] = cpu_read_sys(cpu, nbase + nl->regs + r * nl->w, nl->w);
    uint16_t segs[6] = {0};
    unsigned nnsegs = nl == &tss32 ? 6 : 4;
    for (unsigned i = 0; i < nnsegs; i++)
        segs[i] = (uint16_t)cpu_read_sys(cpu, nbase + nl->segs + i * nl->w, 2);
    uint16_t ldt = (uint16_t)cpu_read_sys(cpu, nbase + nl->ldt, 2);
    if (why == TASK_CALL || why == TASK_INT) {
        cpu_write_sys(cpu, nbase, cpu->tr.selector, 2);
        nflags |= FL_NT;
    }
    if (why != TASK_IRET)
        set_busy(cpu, sel, true);

    /* Commit: from here on faults belong to the new task. */
    cpu->tr = (struct cpu_dtable){sel, ntss.base, ntss.limit, (uint16_t)(attr | 0x2)};
    cpu->cr[0] |= CR0_TS;
    /* Local breakpoints (L0-L3, LE) belong to the old task (SDM Vol. 3A §17.2.4). */
    if (cpu->dr[7] & 0x155u) {
        cpu->dr[7] &= ~0x155u;
        cpu_debug_sync(cpu);
    }
    if (nl == &tss32 && (cpu->cr[0] & CR0_PG) && cr3 != cpu->cr[3])
        cpu_write_control(cpu, 3, cr3);
    if (nl == &tss16) {
        /* A 16-bit TSS holds the low halves: the upper halves of the registers and of
           EFLAGS keep what they held; EIP is the zero-extended IP. */
        for (unsigned r = 0; r < 8; r++)
            cpu->regs[r] = (cpu->regs[r] & 0xffff0000u) | regs[r];
        nflags = (cpu->eflags & 0xffff0000u) | (nflags & 0xffff);
        eip &= 0xffff;
    } else {
        memcpy(cpu->regs, regs, sizeof(regs));
    }
    cpu->eflags = (nflags & 0x003f7fd5u) | 0x2;
    cpu->internal->cc_op = CC_EAGER;
    cpu->eip = eip;
    cpu->internal->insn_eip = eip;

    /* The LDT, then CS (whose RPL is the new task's CPL), SS and the data segments. */
    cpu->ldtr = (struct cpu_dtable){ldt, 0, 0, 0};
    if (ldt & ~3u) {
        uint64_t d;
        uint32_t addr;
        if ((ldt & 4) || !cpu_fetch_descriptor(cpu, ldt, &d, &addr) ||
            (desc_attr(d) & (SEG_ATTR_S | SEG_ATTR_TYPE)) != SYS_LDT)
            cpu_raise(cpu, EX_TS, ldt & ~3u);
        if (!(desc_attr(d) & SEG_ATTR_P))
            cpu_raise(cpu, EX_TS, ldt & ~3u);
        struct cpu_segment l;
        cpu_descriptor_cache(d, &l, ldt);
        cpu->ldtr = (struct cpu_dtable){ldt, l.base, l.limit, l.attr};
    }
    if (cpu_v86(cpu)) {
        for (unsigned i = 0; i < 6; i++)
            cpu_set_segment_real(cpu, tss_seg_order[i], segs[i]);
    } else {
        /* In this order; a fault leaves the ones not loaded yet as they were. The new CPL
           holds from here, also for a fault while loading CS. */
        cpu->cpl = segs[1] & 3u;
        task_load_seg(cpu, S_CS, segs[1]);
        cpu_update_mode(cpu);
        task_load_seg(cpu, S_SS, segs[2]);
        task_load_seg(cpu, S_ES, segs[0]);
        task_load_seg(cpu, S_DS, segs[3]);
        task_load_seg(cpu, S_FS, segs[4]);
        task_load_seg(cpu, S_GS, segs[5]);
    }
    cpu_update_mode(cpu);
    if (eip > cpu->seg[S_CS].limit)
        cpu_raise(cpu, EX_GP, 0);
    if (error_code != NO_ERROR_CODE)
        push(cpu, error_code, nl->w);
}
