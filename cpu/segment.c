/*
 * Segmentation: the descriptor caches, loading segment registers in real,
 * virtual-8086 and protected mode, far transfers within one privilege
 * level, near jumps with their limit check, and the access checks the
 * inline fast test in cpu/internal.h leaves to us (SDM Vol. 3A ch. 3, 5).
 */
#include "cpu/handlers.h"

static _Noreturn void seg_fault(struct cpu *cpu, unsigned seg)
{
    cpu_raise(cpu, seg == S_SS ? EX_SS : EX_GP, 0);
}

uint32_t cpu_seg_check_slow(struct cpu *cpu, unsigned seg, uint32_t off, unsigned size, bool write)
{
    const struct cpu_segment *s = &cpu->seg[seg];
    bool pm = cpu_pe(cpu) && !cpu_v86(cpu);
    unsigned type = s->attr & SEG_ATTR_TYPE;

    if (pm) {
        /* A null or unusable segment (attr 0) faults on any access. */
        if (!(s->attr & SEG_ATTR_P))
            seg_fault(cpu, seg);
        if (type & TYPE_CODE) {
            if (write || !(type & TYPE_READABLE))
                seg_fault(cpu, seg);
        } else if (write && !(type & TYPE_WRITABLE)) {
            seg_fault(cpu, seg);
        }
    }
    if (!cpu_seg_within(s, off, size))
        seg_fault(cpu, seg);
    return s->base + off;
}

bool cpu_seg_within(const struct cpu_segment *s, uint32_t off, unsigned size)
{
    uint64_t last = (uint64_t)off + size - 1;
    unsigned type = s->attr & SEG_ATTR_TYPE;
    if (!(type & TYPE_CODE) && (type & TYPE_EXPDOWN) && (s->attr & SEG_ATTR_S)) {
        uint64_t top = (s->attr & SEG_ATTR_DB) ? 0xffffffffu : 0xffffu;
        return off > s->limit && last <= top;
    }
    return last <= s->limit;
}

void cpu_set_segment(struct cpu *cpu, enum cpu_seg s, uint16_t selector, uint32_t base,
                     uint32_t limit, uint16_t attr)
{
    cpu->seg[s] = (struct cpu_segment){selector, base, limit, attr};
    /* Set from outside, CS in protected mode comes with the CPL a far transfer would give:
       its selector's RPL. */
    if (s == S_CS && cpu_pe(cpu) && !cpu_v86(cpu))
        cpu->cpl = selector & 3;
    if (s == S_CS || s == S_SS)
        cpu_update_mode(cpu);
}

void cpu_set_segment_real(struct cpu *cpu, enum cpu_seg s, uint16_t selector)
{
    /* Real and virtual-8086 mode change only selector and base (big real mode keeps its limit). */
    cpu->seg[s].selector = selector;
    cpu->seg[s].base = (uint32_t)selector << 4;
    if (cpu_v86(cpu)) {
        cpu->seg[s].limit = 0xffff;
        cpu->seg[s].attr = s == S_CS ? 0x00fb : 0x00f3;
    }
}

bool cpu_fetch_descriptor(struct cpu *cpu, uint16_t sel, uint64_t *desc, uint32_t *addr)
{
    const struct cpu_dtable *t = (sel & 4) ? &cpu->ldtr : &cpu->gdtr;
    uint32_t idx = sel & ~7u;
    if ((sel & 4) && (cpu->ldtr.selector & ~3u) == 0)
        return false;
    if (idx + 7 > t->limit)
        return false;
    *addr = t->base + idx;
    uint64_t lo = cpu_read_sys(cpu, *addr, 4), hi = cpu_read_sys(cpu, *addr + 4, 4);
    *desc = hi << 32 | lo;
    return true;
}

/* Read the 8-byte descriptor for `sel` (a supervisor access); #GP(sel) past the table limit. */
static uint64_t read_descriptor(struct cpu *cpu, uint16_t sel, uint32_t *addr)
{
    uint64_t d;
    if (!cpu_fetch_descriptor(cpu, sel, &d, addr))
        cpu_raise(cpu, EX_GP, sel & ~3u);
    return d;
}

void cpu_descriptor_cache(uint64_t d, struct cpu_segment *s, uint16_t sel)
{
    uint32_t lo = (uint32_t)d, hi = (uint32_t)(d >> 32);
    s->selector = sel;
    s->base = (lo >> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000u);
    s->limit = (lo & 0xffff) | (hi & 0xf0000u);
    if (hi & (1u << 23))
        s->limit = (s->limit << 12) | 0xfff;
    s->attr = (uint16_t)((hi >> 8) & 0xf0ff);
}

/* Set the accessed bit of a descriptor in memory, as a load does. */
void cpu_set_accessed(struct cpu *cpu, uint32_t addr, uint64_t d)
{
    uint32_t hi = (uint32_t)(d >> 32);
    if (!(hi & (TYPE_ACCESSED << 8)))
        cpu_write_sys(cpu, addr + 4, hi | (TYPE_ACCESSED << 8), 4);
}

void cpu_load_seg(struct cpu *cpu, unsigned seg, uint16_t sel)
{
    if (!cpu_pe(cpu) || cpu_v86(cpu)) {
        cpu_set_segment_real(cpu, seg, sel);
        if (seg == S_SS)
            cpu_update_mode(cpu);
        return;
    }
    unsigned rpl = sel & 3, cpl = (unsigned)cpu->cpl;
    if ((sel & ~3u) == 0) {
        /* A null selector: allowed for data segments, faults later on use. */
        if (seg == S_SS)
            cpu_raise(cpu, EX_GP, 0);
        cpu->seg[seg] = (struct cpu_segment){sel, 0, 0, 0};
        return;
    }
    uint32_t addr;
    uint64_t d = read_descriptor(cpu, sel, &addr);
    uint16_t attr = (uint16_t)((d >> 40) & 0xf0ff);
    unsigned type = attr & SEG_ATTR_TYPE, dpl = SEG_ATTR_DPL(attr);
    uint32_t err = sel & ~3u;
    if (!(attr & SEG_ATTR_S))
        cpu_raise(cpu, EX_GP, err);
    if (seg == S_SS) {
        /* A writable data segment with RPL = DPL = CPL. */
        if ((type & TYPE_CODE) || !(type & TYPE_WRITABLE) || rpl != cpl || dpl != cpl)
            cpu_raise(cpu, EX_GP, err);
        if (!(attr & SEG_ATTR_P))
            cpu_raise(cpu, EX_SS, err);
    } else {
        /* Data or readable code; non-conforming ones need DPL >= max(CPL, RPL). */
        if ((type & TYPE_CODE) && !(type & TYPE_READABLE))
            cpu_raise(cpu, EX_GP, err);
        bool conforming_code = (type & TYPE_CODE) && (type & TYPE_CONFORM);
        if (!conforming_code && (dpl < cpl || dpl < rpl))
            cpu_raise(cpu, EX_GP, err);
        if (!(attr & SEG_ATTR_P))
            cpu_raise(cpu, EX_NP, err);
    }
    cpu_set_accessed(cpu, addr, d);
    cpu_descriptor_cache(d | (1ull << 40), &cpu->seg[seg], sel);
    if (seg == S_SS)
        cpu_update_mode(cpu);
}

void cpu_load_cs(struct cpu *cpu, uint16_t sel, uint32_t eip)
{
    if (!cpu_pe(cpu) || cpu_v86(cpu)) {
        /* The target must lie within the current CS limit (real-mode limit 0xffff). */
        if (eip > cpu->seg[S_CS].limit)
            cpu_raise(cpu, EX_GP, 0);
        cpu_set_segment_real(cpu, S_CS, sel);
        cpu->eip = eip;
        cpu_update_mode(cpu);
        return;
    }
    uint32_t err = sel & ~3u;
    if (err == 0)
        cpu_raise(cpu, EX_GP, 0);
    uint32_t addr;
    uint64_t d = read_descriptor(cpu, sel, &addr);
    uint16_t attr = (uint16_t)((d >> 40) & 0xf0ff);
    unsigned type = attr & SEG_ATTR_TYPE, dpl = SEG_ATTR_DPL(attr);
    unsigned rpl = sel & 3, cpl = (unsigned)cpu->cpl;
    if (!(attr & SEG_ATTR_S) || !(type & TYPE_CODE)) {
        /* Call gates, task gates and TSSs come with the system architecture. */
        cpu_raise(cpu, EX_GP, err);
    }
    if (type & TYPE_CONFORM) {
        if (dpl > cpl)
            cpu_raise(cpu, EX_GP, err);
    } else if (rpl > cpl || dpl != cpl) {
        cpu_raise(cpu, EX_GP, err);
    }
    if (!(attr & SEG_ATTR_P))
        cpu_raise(cpu, EX_NP, err);
    struct cpu_segment cs;
    cpu_descriptor_cache(d | (1ull << 40), &cs, (uint16_t)((sel & ~3u) | cpl));
    if (eip > cs.limit)
        cpu_raise(cpu, EX_GP, 0);
    cpu_set_accessed(cpu, addr, d);
    cpu->seg[S_CS] = cs;
    cpu->eip = eip;
    cpu_update_mode(cpu);
}

void cpu_jump_near(struct cpu *cpu, uint32_t target, unsigned opsize)
{
    if (opsize == 2)
        target &= 0xffff;
    if (target > cpu->seg[S_CS].limit)
        cpu_raise(cpu, EX_GP, 0);
    cpu->eip = target;
}

void cpu_update_mode(struct cpu *cpu)
{
    struct cpu_internal *c = cpu->internal;
    bool pe = cpu_pe(cpu), vm = cpu_v86(cpu);
    bool d = (cpu->seg[S_CS].attr & SEG_ATTR_DB) && pe && !vm;
    /* The CPL is 0 in real mode and 3 in virtual-8086 mode. In protected mode it is kept
       state, set by whatever loaded CS there (far transfers, interrupts, task switches,
       SYSENTER/SYSEXIT), never read back from CS's selector: after MOV CR0 sets PE it stays
       0 whatever the low bits of the real-mode CS (SDM Vol. 3A §9.9.1). */
    if (!pe)
        cpu->cpl = 0;
    else if (vm)
        cpu->cpl = 3;
    c->eip_mask = d ? 0xffffffffu : 0xffffu;
    c->mode = (uint32_t)pe | (uint32_t)vm << 1 | (uint32_t)d << 2 |
              (uint32_t) !!(cpu->seg[S_SS].attr & SEG_ATTR_DB) << 3 | (uint32_t)cpu->cpl << 4;
}
