/*
 * Protected-mode control transfers between privilege levels (SDM Vol. 3A
 * ch. 5 and 6): far JMP/CALL to code segments, call gates, TSSs and task
 * gates; far RET and IRET to the same or an outer level (and IRET to
 * virtual-8086 mode); interrupts and exceptions through interrupt, trap and
 * task gates with the inner stack from the TSS; the TSS I/O bitmap. Real
 * and virtual-8086 mode forms of the same instructions are here too, so
 * each instruction has one entry point.
 *
 * Everything that can fault is checked, and new stacks are written, before
 * any register changes: a fault leaves the state of before the instruction.
 */
#include "cpu/handlers.h"

/* A stack being built before it becomes SS:ESP. */
struct stack {
    struct cpu_segment ss;
    uint32_t esp;
    int user;          /* CPL 3 owns it */
    uint32_t ss_error; /* #SS's error code when a push does not fit: 0 on the current stack,
                          the selector (and EXT) on a new one */
};

static uint32_t stack_mask(const struct stack *st)
{
    return (st->ss.attr & SEG_ATTR_DB) ? 0xffffffffu : 0xffffu;
}

static void spush(struct cpu *cpu, struct stack *st, uint32_t v, unsigned size)
{
    uint32_t m = stack_mask(st), sp = (st->esp - size) & m;
    if (!cpu_seg_within(&st->ss, sp, size))
        cpu_raise(cpu, EX_SS, st->ss_error);
    cpu_write_lin(cpu, st->ss.base + sp, v, size, st->user);
    st->esp = (st->esp & ~m) | sp;
}

static struct stack current_stack(struct cpu *cpu)
{
    return (struct stack){cpu->seg[S_SS], cpu->regs[R_ESP], cpu_user(cpu), 0};
}

static void commit_stack(struct cpu *cpu, const struct stack *st)
{
    cpu->seg[S_SS] = st->ss;
    cpu->regs[R_ESP] = st->esp;
}

/* Read a descriptor or raise `vector` with the selector as error code. */
static uint64_t descriptor_or(struct cpu *cpu, uint16_t sel, int vector, uint32_t ext,
                              uint32_t *addr)
{
    uint64_t d;
    if (!cpu_fetch_descriptor(cpu, sel, &d, addr))
        cpu_raise(cpu, vector, (sel & ~3u) + ext);
    return d;
}

/* SS:ESP for privilege level `dpl` from the current TSS, checked as SDM §6.12.1 says. */
static struct stack inner_stack(struct cpu *cpu, unsigned dpl, uint32_t ext)
{
    bool tss32 = (cpu->tr.attr & 0x8) != 0;
    unsigned w = tss32 ? 4 : 2;
    uint32_t off = tss32 ? 4 + 8 * dpl : 2 + 4 * dpl;
    if (off + 2 * w - 1 > cpu->tr.limit)
        cpu_raise(cpu, EX_TS, (cpu->tr.selector & ~3u) + ext);
    uint32_t esp = cpu_read_sys(cpu, cpu->tr.base + off, w);
    uint16_t sel = (uint16_t)cpu_read_sys(cpu, cpu->tr.base + off + w, 2);
    if ((sel & ~3u) == 0)
        cpu_raise(cpu, EX_TS, ext);
    uint32_t addr;
    uint64_t d = descriptor_or(cpu, sel, EX_TS, ext, &addr);
    uint16_t attr = desc_attr(d);
    unsigned type = attr & SEG_ATTR_TYPE;
    if ((sel & 3u) != dpl || SEG_ATTR_DPL(attr) != dpl || !(attr & SEG_ATTR_S) ||
        (type & TYPE_CODE) || !(type & TYPE_WRITABLE))
        cpu_raise(cpu, EX_TS, (sel & ~3u) + ext);
    if (!(attr & SEG_ATTR_P))
        cpu_raise(cpu, EX_SS, (sel & ~3u) + ext);
    cpu_set_accessed(cpu, addr, d);
    struct stack st = {.esp = esp, .user = 0, .ss_error = (sel & ~3u) + ext};
    cpu_descriptor_cache(d | (1ull << 40), &st.ss, sel);
    return st;
}

/* A code segment a transfer may land in: checked for type and presence only. */
static struct cpu_segment code_segment(struct cpu *cpu, uint16_t sel, uint32_t ext, uint32_t *addr,
                                       uint64_t *desc)
{
    if ((sel & ~3u) == 0)
        cpu_raise(cpu, EX_GP, ext);
    *desc = descriptor_or(cpu, sel, EX_GP, ext, addr);
    uint16_t attr = desc_attr(*desc);
    if (!(attr & SEG_ATTR_S) || !(attr & TYPE_CODE))
        cpu_raise(cpu, EX_GP, (sel & ~3u) + ext);
    struct cpu_segment cs;
    cpu_descriptor_cache(*desc | (1ull << 40), &cs, sel);
    return cs;
}

/* Make `cs` (RPL set to `cpl`) the code segment at `eip`, at privilege level `cpl`. */
static void enter_code(struct cpu *cpu, struct cpu_segment cs, uint32_t addr, uint64_t desc,
                       unsigned cpl, uint32_t eip)
{
    cpu_set_accessed(cpu, addr, desc);
    cs.selector = (uint16_t)((cs.selector & ~3u) | cpl);
    cpu->seg[S_CS] = cs;
    cpu->cpl = (int)cpl;
    cpu->eip = eip;
    cpu_update_mode(cpu);
}

/* After a return to an outer level: data segments the new CPL may not see become null. */
static void null_inaccessible(struct cpu *cpu)
{
    static const unsigned segs[] = {S_ES, S_DS, S_FS, S_GS};
    for (unsigned i = 0; i < 4; i++) {
        struct cpu_segment *s = &cpu->seg[segs[i]];
        unsigned type = s->attr & SEG_ATTR_TYPE;
        bool conforming_code = (type & TYPE_CODE) && (type & TYPE_CONFORM);
        if ((s->selector & ~3u) && !conforming_code && SEG_ATTR_DPL(s->attr) < (unsigned)cpu->cpl)
            *s = (struct cpu_segment){0, 0, 0, 0};
    }
}

/* A far transfer's target that is a TSS or a task gate: switch tasks. */
static void task_target(struct cpu *cpu, uint16_t sel, uint64_t d, enum task_reason why)
{
    uint16_t attr = desc_attr(d);
    unsigned type = attr & SEG_ATTR_TYPE, dpl = SEG_ATTR_DPL(attr);
    if (dpl < (unsigned)cpu->cpl || dpl < (sel & 3u))
        cpu_raise(cpu, EX_GP, sel & ~3u);
    if (!(attr & SEG_ATTR_P))
        cpu_raise(cpu, EX_NP, sel & ~3u);
    if (type == SYS_TASK) {
        uint16_t tss = (uint16_t)(d >> 16);
        if (tss & 4)
            cpu_raise(cpu, EX_GP, tss & ~3u);
        uint32_t addr;
        d = descriptor_or(cpu, tss, EX_GP, 0, &addr);
        attr = desc_attr(d);
        type = attr & SEG_ATTR_TYPE;
        if ((attr & SEG_ATTR_S) || (type != SYS_TSS16 && type != SYS_TSS32))
            cpu_raise(cpu, EX_GP, tss & ~3u);
        if (!(attr & SEG_ATTR_P))
            cpu_raise(cpu, EX_NP, tss & ~3u);
        sel = tss;
    }
    cpu_task_switch(cpu, sel, d, why, NO_ERROR_CODE);
}

static bool real_like(const struct cpu *cpu)
{
    return !cpu_pe(cpu) || cpu_v86(cpu);
}

/* The entry point of a call, interrupt or trap gate (16-bit gates keep 16 bits of it). */
static uint32_t gate_offset(uint64_t gate, bool gate32)
{
    uint32_t off = (uint32_t)(gate & 0xffff) | ((uint32_t)(gate >> 32) & 0xffff0000u);
    return gate32 ? off : off & 0xffff;
}

/*
 * What JMP and CALL through the call gate `sel` (descriptor `d`) have in
 * common: the gate's DPL and presence checks, then its code segment and
 * entry point. The caller applies its own privilege rule for the code
 * segment, then its presence check.
 */
static struct cpu_segment call_gate_target(struct cpu *cpu, uint16_t sel, uint64_t d, uint32_t *eip,
                                           uint32_t *caddr, uint64_t *cd)
{
    uint16_t attr = desc_attr(d);
    unsigned dpl = SEG_ATTR_DPL(attr);
    if (dpl < (unsigned)cpu->cpl || dpl < (sel & 3u))
        cpu_raise(cpu, EX_GP, sel & ~3u);
    if (!(attr & SEG_ATTR_P))
        cpu_raise(cpu, EX_NP, sel & ~3u);
    *eip = gate_offset(d, (attr & SEG_ATTR_TYPE) == SYS_CALL32);
    return code_segment(cpu, (uint16_t)(d >> 16), 0, caddr, cd);
}

void cpu_far_jmp(struct cpu *cpu, uint16_t sel, uint32_t off, unsigned opsize)
{
    if (opsize == 2)
        off &= 0xffff;
    if (real_like(cpu)) {
        cpu_load_cs(cpu, sel, off);
        return;
    }
    if ((sel & ~3u) == 0)
        cpu_raise(cpu, EX_GP, 0);
    uint32_t addr;
    uint64_t d = descriptor_or(cpu, sel, EX_GP, 0, &addr);
    uint16_t attr = desc_attr(d);
    if (attr & SEG_ATTR_S) {
        cpu_load_cs(cpu, sel, off);
        return;
    }
    unsigned type = attr & SEG_ATTR_TYPE;
    unsigned cpl = (unsigned)cpu->cpl;
    switch (type) {
    case SYS_CALL16:
    case SYS_CALL32: {
        uint32_t eip, caddr;
        uint64_t cd;
        struct cpu_segment cs = call_gate_target(cpu, sel, d, &eip, &caddr, &cd);
        unsigned cdpl = SEG_ATTR_DPL(cs.attr);
        bool conforming = cs.attr & TYPE_CONFORM;
        if (conforming ? cdpl > cpl : cdpl != cpl)
            cpu_raise(cpu, EX_GP, cs.selector & ~3u);
        if (!(cs.attr & SEG_ATTR_P))
            cpu_raise(cpu, EX_NP, cs.selector & ~3u);
        if (eip > cs.limit)
            cpu_raise(cpu, EX_GP, 0);
        enter_code(cpu, cs, caddr, cd, cpl, eip);
        return;
    }
    case SYS_TASK:
    case SYS_TSS16:
    case SYS_TSS32:
        task_target(cpu, sel, d, TASK_JMP);
        return;
    default:
        cpu_raise(cpu, EX_GP, sel & ~3u);
    }
}

/* CALL through a call gate (SDM §5.8.5), to the same or an inner level. */
static void call_gate(struct cpu *cpu, uint16_t sel, uint64_t d)
{
    unsigned cpl = (unsigned)cpu->cpl;
    unsigned size = (desc_attr(d) & SEG_ATTR_TYPE) == SYS_CALL32 ? 4 : 2;
    uint32_t eip, caddr;
    uint64_t cd;
    struct cpu_segment cs = call_gate_target(cpu, sel, d, &eip, &caddr, &cd);
    unsigned cdpl = SEG_ATTR_DPL(cs.attr);
    if (cdpl > cpl)
        cpu_raise(cpu, EX_GP, cs.selector & ~3u);
    if (!(cs.attr & SEG_ATTR_P))
        cpu_raise(cpu, EX_NP, cs.selector & ~3u);

    uint16_t old_cs = cpu->seg[S_CS].selector;
    uint32_t ret = cpu->eip;
    if (!(cs.attr & TYPE_CONFORM) && cdpl < cpl) {
        /* To an inner level: a new stack, with the parameters copied over. */
        struct stack st = inner_stack(cpu, cdpl, 0);
        unsigned count = (unsigned)(d >> 32) & 0x1f;
        uint32_t old_esp = cpu->regs[R_ESP], old_mask = sp_mask(cpu);
        uint16_t old_ss = cpu->seg[S_SS].selector;
        uint32_t params[32];
        for (unsigned i = 0; i < count; i++)
            params[i] = mem_read(cpu, S_SS, (old_esp + i * size) & old_mask, size);
        spush(cpu, &st, old_ss, size);
        spush(cpu, &st, old_esp, size);
        for (unsigned i = count; i-- > 0;)
            spush(cpu, &st, params[i], size);
        spush(cpu, &st, old_cs, size);
        spush(cpu, &st, ret, size);
        if (eip > cs.limit)
            cpu_raise(cpu, EX_GP, 0);
        commit_stack(cpu, &st);
        enter_code(cpu, cs, caddr, cd, cdpl, eip);
        return;
    }
    struct stack st = current_stack(cpu);
    spush(cpu, &st, old_cs, size);
    spush(cpu, &st, ret, size);
    if (eip > cs.limit)
        cpu_raise(cpu, EX_GP, 0);
    commit_stack(cpu, &st);
    enter_code(cpu, cs, caddr, cd, cpl, eip);
}

void cpu_far_call(struct cpu *cpu, uint16_t sel, uint32_t off, unsigned opsize)
{
    if (opsize == 2)
        off &= 0xffff;
    uint16_t old_cs = cpu->seg[S_CS].selector;
    uint32_t ret = cpu->eip;
    if (real_like(cpu)) {
        uint32_t sp = cpu->regs[R_ESP];
        cpu_probe_write(cpu, S_SS, (sp - 2 * opsize) & sp_mask(cpu), 2 * opsize);
        cpu_load_cs(cpu, sel, off);
        sp = push_at(cpu, sp, old_cs, opsize);
        sp = push_at(cpu, sp, ret, opsize);
        set_sp(cpu, sp);
        return;
    }
    if ((sel & ~3u) == 0)
        cpu_raise(cpu, EX_GP, 0);
    uint32_t addr;
    uint64_t d = descriptor_or(cpu, sel, EX_GP, 0, &addr);
    uint16_t attr = desc_attr(d);
    if (attr & SEG_ATTR_S) {
        /* A code segment at the same level: push, then load (both checked first). */
        struct stack st = current_stack(cpu);
        spush(cpu, &st, old_cs, opsize);
        spush(cpu, &st, ret, opsize);
        cpu_load_cs(cpu, sel, off);
        commit_stack(cpu, &st);
        return;
    }
    switch (attr & SEG_ATTR_TYPE) {
    case SYS_CALL16:
    case SYS_CALL32:
        call_gate(cpu, sel, d);
        return;
    case SYS_TASK:
    case SYS_TSS16:
    case SYS_TSS32:
        task_target(cpu, sel, d, TASK_CALL);
        return;
    default:
        cpu_raise(cpu, EX_GP, sel & ~3u);
    }
}

/*
 * The return part common to RETF and IRET in protected mode: CS:EIP (and
 * for an outer level SS:ESP, found `outer_at` bytes up the stack) checked,
 * then loaded. Returns the new stack pointer's increment for a same-level
 * return. `release` is RETF's immediate.
 */
static void return_to(struct cpu *cpu, uint16_t csel, uint32_t eip, unsigned size,
                      uint32_t outer_at, uint16_t release)
{
    unsigned cpl = (unsigned)cpu->cpl, rpl = csel & 3u;
    uint32_t caddr;
    uint64_t cd;
    struct cpu_segment cs = code_segment(cpu, csel, 0, &caddr, &cd);
    unsigned cdpl = SEG_ATTR_DPL(cs.attr);
    if (rpl < cpl)
        cpu_raise(cpu, EX_GP, csel & ~3u);
    if ((cs.attr & TYPE_CONFORM) ? cdpl > rpl : cdpl != rpl)
        cpu_raise(cpu, EX_GP, csel & ~3u);
    if (!(cs.attr & SEG_ATTR_P))
        cpu_raise(cpu, EX_NP, csel & ~3u);
    if (size == 2)
        eip &= 0xffff;

    if (rpl == cpl) {
        if (eip > cs.limit)
            cpu_raise(cpu, EX_GP, 0);
        set_sp(cpu, cpu->regs[R_ESP] + outer_at + release);
        enter_code(cpu, cs, caddr, cd, cpl, eip);
        return;
    }
    /* To an outer level: SS:ESP come from the old stack. */
    uint32_t esp = stack_peek(cpu, outer_at + release, size);
    uint16_t ssel = (uint16_t)stack_peek(cpu, outer_at + release + size, size);
    if ((ssel & ~3u) == 0)
        cpu_raise(cpu, EX_GP, 0);
    uint32_t saddr;
    uint64_t sd = descriptor_or(cpu, ssel, EX_GP, 0, &saddr);
    uint16_t sattr = desc_attr(sd);
    unsigned stype = sattr & SEG_ATTR_TYPE;
    if ((ssel & 3u) != rpl || SEG_ATTR_DPL(sattr) != rpl || !(sattr & SEG_ATTR_S) ||
        (stype & TYPE_CODE) || !(stype & TYPE_WRITABLE))
        cpu_raise(cpu, EX_GP, ssel & ~3u);
    if (!(sattr & SEG_ATTR_P))
        cpu_raise(cpu, EX_SS, ssel & ~3u);
    if (eip > cs.limit)
        cpu_raise(cpu, EX_GP, 0);
    cpu_set_accessed(cpu, saddr, sd);
    struct stack st = {.user = rpl == 3};
    cpu_descriptor_cache(sd | (1ull << 40), &st.ss, ssel);
    /* The popped stack pointer (an o16 one zero-extended) is loaded at the new stack's
       size: into a 16-bit stack SP alone, the upper half of ESP keeping what it held (the
       behaviour Linux's espfix works around); into a 32-bit one all of ESP. */
    uint32_t m = stack_mask(&st);
    st.esp = (cpu->regs[R_ESP] & ~m) | ((esp + release) & m);
    commit_stack(cpu, &st);
    enter_code(cpu, cs, caddr, cd, rpl, eip);
    null_inaccessible(cpu);
}

void cpu_far_ret(struct cpu *cpu, unsigned opsize, uint16_t release)
{
    uint32_t eip = stack_peek(cpu, 0, opsize);
    uint16_t csel = (uint16_t)stack_peek(cpu, opsize, opsize);
    if (real_like(cpu)) {
        cpu_load_cs(cpu, csel, opsize == 2 ? eip & 0xffff : eip);
        set_sp(cpu, cpu->regs[R_ESP] + 2 * opsize + release);
        return;
    }
    if ((csel & ~3u) == 0)
        cpu_raise(cpu, EX_GP, 0);
    return_to(cpu, csel, eip, opsize, 2 * opsize, release);
}

/* IRET from CPL 0 with VM set in the popped EFLAGS: into virtual-8086 mode. */
static void iret_to_v86(struct cpu *cpu)
{
    uint32_t v[9];
    for (unsigned i = 0; i < 9; i++)
        v[i] = stack_peek(cpu, 4 * i, 4);
    /* EIP CS EFLAGS ESP SS ES DS FS GS */
    cpu_set_eflags(cpu, v[2], 0x003f7fd5u);
    cpu->regs[R_ESP] = v[3];
    static const unsigned order[] = {S_SS, S_ES, S_DS, S_FS, S_GS};
    for (unsigned i = 0; i < 5; i++)
        cpu_set_segment_real(cpu, order[i], (uint16_t)v[4 + i]);
    cpu_set_segment_real(cpu, S_CS, (uint16_t)v[1]);
    cpu->eip = v[0] & 0xffff;
    cpu_update_mode(cpu);
}

void cpu_iret(struct cpu *cpu, unsigned size)
{
    cpu->internal->nmi_blocked = false;
    unsigned cpl = (unsigned)cpu->cpl, iopl = (cpu->eflags & FL_IOPL) >> 12;
    if (real_like(cpu)) {
        if (cpu_v86(cpu) && iopl != 3) {
            if (!(cpu->cr[4] & CR4_VME))
                cpu_raise(cpu, EX_GP, 0);
            cpu_vme_iret(cpu, size);
            return;
        }
        uint32_t eip = stack_peek(cpu, 0, size);
        uint16_t cs = (uint16_t)stack_peek(cpu, size, size);
        uint32_t fl = stack_peek(cpu, 2 * size, size);
        cpu_load_cs(cpu, cs, size == 2 ? eip & 0xffff : eip);
        set_sp(cpu, cpu->regs[R_ESP] + 3 * size);
        uint32_t writable = size == 4 ? 0x00257fd5u : 0x7fd5u;
        if (cpu_v86(cpu))
            writable &= ~(FL_IOPL | FL_VM | FL_VIP | FL_VIF);
        cpu_set_eflags(cpu, fl, writable);
        return;
    }
    if (cpu->eflags & FL_NT) {
        /* Return to the task in the back link. */
        uint16_t link = (uint16_t)cpu_read_sys(cpu, cpu->tr.base, 2);
        if (link & 4)
            cpu_raise(cpu, EX_TS, link & ~3u);
        uint32_t addr;
        uint64_t d = descriptor_or(cpu, link, EX_TS, 0, &addr);
        unsigned type = desc_attr(d) & (SEG_ATTR_TYPE | SEG_ATTR_S);
        if (type != SYS_TSS16_BUSY && type != SYS_TSS32_BUSY)
            cpu_raise(cpu, EX_TS, link & ~3u);
        if (!(desc_attr(d) & SEG_ATTR_P))
            cpu_raise(cpu, EX_NP, link & ~3u);
        cpu_task_switch(cpu, link, d, TASK_IRET, NO_ERROR_CODE);
        return;
    }
    uint32_t eip = stack_peek(cpu, 0, size);
    uint16_t csel = (uint16_t)stack_peek(cpu, size, size);
    uint32_t fl = stack_peek(cpu, 2 * size, size);
    if (size == 4 && (fl & FL_VM) && cpl == 0) {
        iret_to_v86(cpu);
        return;
    }
    if ((csel & ~3u) == 0)
        cpu_raise(cpu, EX_GP, 0);
    return_to(cpu, csel, eip, size, 3 * size, 0);
    /* Which flags may change depends on the privilege before the return. */
    uint32_t writable = FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_TF | FL_DF | FL_OF | FL_NT;
    if (size == 4)
        writable |= FL_RF | FL_AC | FL_ID;
    if (cpl == 0) {
        writable |= FL_IOPL;
        if (size == 4)
            writable |= FL_VIF | FL_VIP;
    }
    if (cpl <= iopl)
        writable |= FL_IF;
    cpu_set_eflags(cpu, fl, writable);
}

void cpu_deliver_protected(struct cpu *cpu, int vector, uint32_t error_code, bool software,
                           uint32_t return_eip)
{
    uint32_t ext = software ? 0 : 1;
    uint32_t idt_err = (uint32_t)vector * 8 + 2 + ext;
    if ((uint32_t)vector * 8 + 7 > cpu->idtr.limit)
        cpu_raise(cpu, EX_GP, idt_err);
    uint32_t gaddr = cpu->idtr.base + (uint32_t)vector * 8;
    uint64_t gate = cpu_read_sys(cpu, gaddr, 4) | (uint64_t)cpu_read_sys(cpu, gaddr + 4, 4) << 32;
    uint16_t gattr = desc_attr(gate);
    unsigned type = gattr & (SEG_ATTR_TYPE | SEG_ATTR_S), dpl = SEG_ATTR_DPL(gattr);
    if (type != SYS_TASK && type != SYS_INT16 && type != SYS_TRAP16 && type != SYS_INT32 &&
        type != SYS_TRAP32)
        cpu_raise(cpu, EX_GP, idt_err);
    /* INT n, INT3 and INTO check the gate's DPL; in V86 mode so does everything software. */
    if (software && dpl < (unsigned)cpu->cpl)
        cpu_raise(cpu, EX_GP, idt_err);
    if (!(gattr & SEG_ATTR_P))
        cpu_raise(cpu, EX_NP, idt_err);

    if (type == SYS_TASK) {
        /* SDM INT n: a bad or busy TSS behind a task gate is #GP(TSS selector). */
        uint16_t tss = (uint16_t)(gate >> 16);
        if (tss & 4)
            cpu_raise(cpu, EX_GP, (tss & ~3u) + ext);
        uint32_t addr;
        uint64_t d = descriptor_or(cpu, tss, EX_GP, ext, &addr);
        unsigned ttype = desc_attr(d) & (SEG_ATTR_TYPE | SEG_ATTR_S);
        if (ttype != SYS_TSS16 && ttype != SYS_TSS32)
            cpu_raise(cpu, EX_GP, (tss & ~3u) + ext);
        if (!(desc_attr(d) & SEG_ATTR_P))
            cpu_raise(cpu, EX_NP, (tss & ~3u) + ext);
        cpu->eip = return_eip;
        cpu_task_switch(cpu, tss, d, TASK_INT, error_code);
        return;
    }

    bool gate32 = type == SYS_INT32 || type == SYS_TRAP32;
    bool trap = type == SYS_TRAP16 || type == SYS_TRAP32;
    unsigned size = gate32 ? 4 : 2;
    uint16_t csel = (uint16_t)(gate >> 16);
    uint32_t eip = gate_offset(gate, gate32);
    uint32_t caddr;
    uint64_t cd;
    struct cpu_segment cs = code_segment(cpu, csel, ext, &caddr, &cd);
    unsigned cdpl = SEG_ATTR_DPL(cs.attr), cpl = (unsigned)cpu->cpl;
    if (cdpl > cpl)
        cpu_raise(cpu, EX_GP, (csel & ~3u) + ext);
    if (!(cs.attr & SEG_ATTR_P))
        cpu_raise(cpu, EX_NP, (csel & ~3u) + ext);
    bool v86 = cpu_v86(cpu);
    uint32_t flags = cpu_get_eflags(cpu);
    uint16_t old_cs = cpu->seg[S_CS].selector;
    struct stack st;
    unsigned new_cpl;

    if (!(cs.attr & TYPE_CONFORM) && cdpl < cpl) {
        /* To an inner level, on the stack the TSS gives for it. */
        if (v86 && cdpl != 0)
            cpu_raise(cpu, EX_GP, (csel & ~3u) + ext);
        st = inner_stack(cpu, cdpl, ext);
        if (v86) {
            spush(cpu, &st, cpu->seg[S_GS].selector, size);
            spush(cpu, &st, cpu->seg[S_FS].selector, size);
            spush(cpu, &st, cpu->seg[S_DS].selector, size);
            spush(cpu, &st, cpu->seg[S_ES].selector, size);
        }
        spush(cpu, &st, cpu->seg[S_SS].selector, size);
        spush(cpu, &st, cpu->regs[R_ESP], size);
        new_cpl = cdpl;
    } else {
        if (v86)
            cpu_raise(cpu, EX_GP, (csel & ~3u) + ext);
        st = current_stack(cpu);
        new_cpl = cpl;
    }
    spush(cpu, &st, flags, size);
    spush(cpu, &st, old_cs, size);
    spush(cpu, &st, return_eip, size);
    if (error_code != NO_ERROR_CODE)
        spush(cpu, &st, error_code, size);
    if (eip > cs.limit)
        cpu_raise(cpu, EX_GP, ext);

    commit_stack(cpu, &st);
    if (v86) {
        static const unsigned data[] = {S_ES, S_DS, S_FS, S_GS};
        for (unsigned i = 0; i < 4; i++)
            cpu->seg[data[i]] = (struct cpu_segment){0, 0, 0, 0};
    }
    cpu->eflags &= ~(FL_TF | FL_NT | FL_RF | FL_VM);
    if (!trap)
        cpu->eflags &= ~FL_IF;
    enter_code(cpu, cs, caddr, cd, new_cpl, eip);
}

bool cpu_io_allowed(struct cpu *cpu, uint16_t port, unsigned size)
{
    unsigned type = cpu->tr.attr & SEG_ATTR_TYPE;
    if ((type != SYS_TSS32 && type != SYS_TSS32_BUSY) || cpu->tr.limit < 103)
        return false;
    uint32_t base = cpu_read_sys(cpu, cpu->tr.base + 102, 2);
    uint32_t at = base + port / 8u;
    if (at + 1 > cpu->tr.limit)
        return false;
    uint32_t bits = cpu_read_sys(cpu, cpu->tr.base + at, 2);
    uint32_t mask = ((1u << size) - 1) << (port & 7u);
    return (bits & mask) == 0;
}
