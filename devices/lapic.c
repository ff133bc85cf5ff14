/*
 * The local APIC (see lapic.h), written from the Intel SDM Vol. 3A ch. 10:
 * the register map of Table 10-1, the LVT of §10.5.1, the error status
 * register of §10.5.3, the timer of §10.5.4, the ICR of §10.6.1, logical
 * destinations of §10.6.2.2, and acceptance, priorities and EOI of §10.8.
 *
 * The timer does not tick: it remembers the virtual time of its anchor
 * and the count then; the current count follows from the time elapsed
 * and the divider, and one vtimer fires when the count reaches zero.
 * Everything sent through the ICR arrives at once, so the delivery-status
 * bits read 0 (idle).
 */
#include "devices/lapic.h"

#include <glib.h>
#include <string.h>

#include "machine/machine.h"

/* Register offsets, SDM Vol. 3A Table 10-1. */
#define REG_ID            0x020
#define REG_VERSION       0x030
#define REG_TPR           0x080
#define REG_APR           0x090
#define REG_PPR           0x0a0
#define REG_EOI           0x0b0
#define REG_RRD           0x0c0
#define REG_LDR           0x0d0
#define REG_DFR           0x0e0
#define REG_SVR           0x0f0
#define REG_ISR           0x100 /* eight registers, 0x100-0x170 */
#define REG_TMR           0x180
#define REG_IRR           0x200
#define REG_ESR           0x280
#define REG_ICR_LO        0x300
#define REG_ICR_HI        0x310
#define REG_LVT           0x320 /* six entries, 0x320-0x370, in enum lvt order */
#define REG_TIMER_INITIAL 0x380
#define REG_TIMER_CURRENT 0x390
#define REG_TIMER_DIVIDE  0x3e0

/* Version register: xAPIC version 14h, maximum LVT entry 5 (six entries), SDM §10.4.8. */
#define APIC_VERSION 0x00050014u

/* IA32_APIC_BASE, SDM §10.4.4: BSP flag, global enable, base bits 12-35. */
#define BASE_BSP      (1u << 8)
#define BASE_ENABLE   (1u << 11)
#define BASE_ADDR     0x0000000ffffff000ull
#define BASE_RESERVED (~(BASE_ADDR | BASE_BSP | BASE_ENABLE))

#define SVR_ENABLE (1u << 8)
#define SVR_MASK   0x3ffu /* vector, APIC enable, focus processor checking */

/* LVT fields, SDM Figure 10-8. */
enum lvt { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, LVT_COUNT };
#define LVT_VECTOR(v)  ((v)&0xffu)
#define LVT_MODE(v)    (((v) >> 8) & 7u)
#define LVT_REMOTE_IRR (1u << 14)
#define LVT_LEVEL      (1u << 15)
#define LVT_MASKED     (1u << 16)
#define LVT_PERIODIC   (1u << 17)
/* The bits software may write in each entry (delivery status and remote IRR are read-only). */
static const uint32_t lvt_writable[LVT_COUNT] = {
    [LVT_TIMER] = 0x300ffu, [LVT_THERMAL] = 0x107ffu, [LVT_PERF] = 0x107ffu,
    [LVT_LINT0] = 0x1a7ffu, [LVT_LINT1] = 0x1a7ffu,   [LVT_ERROR] = 0x100ffu,
};

/* ICR fields, SDM Figure 10-12. */
#define ICR_WRITABLE     0x000ccfffu
#define ICR_LOGICAL      (1u << 11)
#define ICR_ASSERT       (1u << 14)
#define ICR_LEVEL        (1u << 15)
#define ICR_SHORTHAND(v) (((v) >> 18) & 3u)
enum { SH_NONE, SH_SELF, SH_ALL, SH_OTHERS };

/* Error status bits, SDM Figure 10-9. */
#define ESR_SEND_ILLEGAL (1u << 5)
#define ESR_RECV_ILLEGAL (1u << 6)
#define ESR_ILLEGAL_REG  (1u << 7)

struct lapic {
    struct machine *m;
    struct mem_region *page;
    struct lapic_callbacks cb;
    struct lapic_extint lint0;
    uint64_t base;                   /* IA32_APIC_BASE */
    uint32_t id;                     /* APIC ID, bits 24-31 */
    uint8_t tpr;                     /* task priority */
    uint32_t ldr;                    /* logical destination, bits 24-31 */
    uint32_t dfr;                    /* destination format, bits 28-31 (0xF flat, 0x0 cluster) */
    uint32_t svr;                    /* spurious vector, software enable, focus checking */
    uint32_t isr[8], tmr[8], irr[8]; /* in service, trigger mode, requests: 256 bits each */
    uint32_t esr;                    /* error status as last latched by a write */
    uint32_t esr_pending;            /* errors seen since that write */
    uint32_t icr_lo, icr_hi;         /* interrupt command */
    uint32_t lvt[LVT_COUNT];
    uint32_t timer_initial; /* initial count */
    uint32_t timer_divide;  /* divide configuration, bits 0, 1 and 3 */
    uint64_t timer_anchor;  /* virtual ns at which the count was timer_count */
    uint32_t timer_count;   /* the count at timer_anchor (0: stopped) */
    struct vtimer timer;    /* fires when the count reaches zero */
};

/* --- the 256-bit registers ---------------------------------------------------- */

static void bit_set(uint32_t *r, unsigned v)
{
    r[v / 32] |= 1u << (v % 32);
}

static void bit_clear(uint32_t *r, unsigned v)
{
    r[v / 32] &= ~(1u << (v % 32));
}

static bool bit_test(const uint32_t *r, unsigned v)
{
    return r[v / 32] >> (v % 32) & 1;
}

/* The highest vector set, or -1. */
static int highest(const uint32_t *r)
{
    for (int i = 7; i >= 0; i--) {
        if (r[i])
            return i * 32 + 31 - __builtin_clz(r[i]);
    }
    return -1;
}

/* --- priorities, SDM §10.8.3.1 -------------------------------------------------- */

static uint8_t ppr(const struct lapic *a)
{
    int isrv = highest(a->isr);
    uint8_t isr_class = isrv < 0 ? 0 : (uint8_t)(isrv & 0xf0);
    return (a->tpr & 0xf0) >= isr_class ? a->tpr : isr_class;
}

/* Arbitration priority, SDM §10.8.3.1 (Figure 10-15). */
static uint8_t apr(const struct lapic *a)
{
    int irrv = highest(a->irr), isrv = highest(a->isr);
    int top = MAX(irrv, isrv);
    uint8_t top_class = top < 0 ? 0 : (uint8_t)(top & 0xf0);
    return (a->tpr & 0xf0) >= top_class ? a->tpr : top_class;
}

static bool sw_enabled(const struct lapic *a)
{
    return a->svr & SVR_ENABLE;
}

static bool hw_enabled(const struct lapic *a)
{
    return a->base & BASE_ENABLE;
}

/* The vector the processor would take from the IRR now, or -1. */
static int deliverable(const struct lapic *a)
{
    if (!hw_enabled(a) || !sw_enabled(a))
        return -1;
    int v = highest(a->irr);
    return v >= 0 && (v & 0xf0) > (ppr(a) & 0xf0) ? v : -1;
}

/* LINT0 passes the 8259's INTR: APIC disabled, or LINT0 an unmasked ExtINT entry. */
static bool extint_open(const struct lapic *a)
{
    if (!hw_enabled(a))
        return true;
    uint32_t l = a->lvt[LVT_LINT0];
    return !(l & LVT_MASKED) && LVT_MODE(l) == LAPIC_DM_EXTINT;
}

/* --- accepting interrupts, SDM §10.8.2 --------------------------------------------- */

static void accept(struct lapic *a, uint8_t vector, bool level);

/* A newly detected error: latched for the next ESR write, signalled through the error LVT. */
static void signal_error(struct lapic *a, uint32_t bits)
{
    bool fresh = (a->esr_pending & bits) != bits;
    a->esr_pending |= bits;
    uint32_t l = a->lvt[LVT_ERROR];
    if (fresh && !(l & LVT_MASKED) && LVT_VECTOR(l) >= 16)
        accept(a, LVT_VECTOR(l), false);
}

/* A fixed interrupt: vectors 0-15 are illegal (SDM §10.5.2). */
static void accept(struct lapic *a, uint8_t vector, bool level)
{
    if (vector < 16) {
        signal_error(a, ESR_RECV_ILLEGAL);
        return;
    }
    bit_set(a->irr, vector);
    if (level)
        bit_set(a->tmr, vector);
    else
        bit_clear(a->tmr, vector);
}

void lapic_deliver(struct lapic *a, enum lapic_delivery mode, uint8_t vector, bool level)
{
    if (!hw_enabled(a))
        return;
    switch (mode) {
    case LAPIC_DM_FIXED:
    case LAPIC_DM_LOWEST: /* the only processor has the lowest priority */
        accept(a, vector, level);
        break;
    case LAPIC_DM_NMI:
        if (a->cb.nmi)
            a->cb.nmi(a->cb.opaque);
        break;
    default: /* SMI, INIT, start-up, ExtINT messages: not modelled */
        break;
    }
}

/* An LVT entry fires (the timer, an error): what its delivery mode says. */
static void lvt_fire(struct lapic *a, enum lvt i)
{
    uint32_t l = a->lvt[i];
    if (l & LVT_MASKED)
        return;
    if (LVT_MODE(l) == LAPIC_DM_NMI)
        lapic_deliver(a, LAPIC_DM_NMI, 0, false);
    else if (LVT_MODE(l) == LAPIC_DM_FIXED)
        accept(a, LVT_VECTOR(l), false);
}

bool lapic_match_dest(const struct lapic *a, uint8_t dest, bool logical)
{
    if (!logical)
        return dest == 0xff || dest == a->id >> 24;
    uint8_t ldr = a->ldr >> 24;
    if (dest == 0xff)
        return true;
    if ((a->dfr >> 28) == 0xf) /* flat model: a bit per APIC */
        return (dest & ldr) != 0;
    /* cluster model: the high nibble names the cluster, the low one the members */
    return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf) != 0;
}

/* --- the processor's side ---------------------------------------------------------- */

bool lapic_pending(void *opaque)
{
    struct lapic *a = opaque;
    if (deliverable(a) >= 0)
        return true;
    return extint_open(a) && a->lint0.pending && a->lint0.pending(a->lint0.opaque);
}

/* INTA (SDM §10.8.3): the IRR's winner moves to the ISR; or the 8259's vector; or spurious. */
uint8_t lapic_acknowledge(void *opaque)
{
    struct lapic *a = opaque;
    int v = deliverable(a);
    if (v >= 0) {
        bit_clear(a->irr, (unsigned)v);
        bit_set(a->isr, (unsigned)v);
        return (uint8_t)v;
    }
    if (extint_open(a) && a->lint0.pending && a->lint0.pending(a->lint0.opaque))
        return a->lint0.acknowledge(a->lint0.opaque);
    return (uint8_t)a->svr; /* the request went away: the spurious vector, §10.9 */
}

/* EOI: the highest vector in service is done; a level-triggered one is broadcast. */
static void eoi(struct lapic *a)
{
    int v = highest(a->isr);
    if (v < 0)
        return;
    bit_clear(a->isr, (unsigned)v);
    if (bit_test(a->tmr, (unsigned)v) && a->cb.eoi)
        a->cb.eoi(a->cb.opaque, (uint8_t)v);
}

/* --- the timer, SDM §10.5.4 -------------------------------------------------------- */

/* The divide configuration register's value: bits 0, 1 and 3 give 2 to 128, 1011b gives 1. */
static unsigned timer_divisor(const struct lapic *a)
{
    unsigned code = (a->timer_divide & 3) | (a->timer_divide >> 1 & 4);
    return 1u << ((code + 1) & 7);
}

static uint64_t ticks_since_anchor(const struct lapic *a)
{
    uint64_t ns = vclock_now(&a->m->clock) - a->timer_anchor;
    return (uint64_t)((unsigned __int128)ns * LAPIC_TIMER_HZ / 1000000000u) / timer_divisor(a);
}

static uint64_t tick_ns(const struct lapic *a, uint64_t ticks)
{
    unsigned __int128 ns = (unsigned __int128)ticks * timer_divisor(a) * 1000000000u;
    return a->timer_anchor + (uint64_t)((ns + LAPIC_TIMER_HZ - 1) / LAPIC_TIMER_HZ);
}

static bool periodic(const struct lapic *a)
{
    return a->lvt[LVT_TIMER] & LVT_PERIODIC;
}

/*
 * The current count: down from timer_count to zero; in periodic mode it
 * reloads the initial count at zero and goes on.
 */
static uint32_t timer_current(const struct lapic *a)
{
    if (!a->timer_count)
        return 0;
    uint64_t t = ticks_since_anchor(a);
    if (t < a->timer_count)
        return a->timer_count - (uint32_t)t;
    if (!periodic(a) || !a->timer_initial)
        return 0;
    return a->timer_initial - (uint32_t)((t - a->timer_count) % a->timer_initial);
}

/* Arm the vtimer for the next time the count reaches zero after now. */
static void timer_schedule(struct lapic *a)
{
    struct vclock *clk = &a->m->clock;
    if (!a->timer_count) {
        vtimer_cancel(clk, &a->timer);
        return;
    }
    uint64_t t = ticks_since_anchor(a), zero = a->timer_count;
    if (t >= zero) {
        if (!periodic(a) || !a->timer_initial) {
            /* The count ran out before its vtimer ran (timers run between CPU slices): the
               interrupt is due now, never lost. */
            vtimer_cancel(clk, &a->timer);
            a->timer_count = 0;
            lvt_fire(a, LVT_TIMER);
            return;
        }
        zero += ((t - zero) / a->timer_initial + 1) * a->timer_initial;
    }
    vtimer_arm(clk, &a->timer, tick_ns(a, zero));
}

static void timer_fire(void *opaque)
{
    struct lapic *a = opaque;
    lvt_fire(a, LVT_TIMER);
    if (!periodic(a))
        a->timer_count = 0; /* one-shot: the count stays at zero */
    timer_schedule(a);
}

/*
 * The count ran out but the vtimer has not run yet (timers run between CPU
 * slices): fire it now, before a register write re-anchors the count, or
 * the write would restart from zero and the interrupt would be lost.
 */
static void timer_settle(struct lapic *a)
{
    if (vtimer_armed(&a->timer) && a->timer.deadline <= vclock_now(&a->m->clock))
        timer_fire(a);
}

/* Start counting from `count` now (a new initial count, or a re-anchor). */
static void timer_restart(struct lapic *a, uint32_t count)
{
    a->timer_anchor = vclock_now(&a->m->clock);
    a->timer_count = count;
    timer_schedule(a);
}

/* --- software disable, SDM §10.4.7.2 ------------------------------------------------- */

static void mask_all_lvt(struct lapic *a)
{
    for (unsigned i = 0; i < LVT_COUNT; i++)
        a->lvt[i] |= LVT_MASKED;
}

static void write_lvt(struct lapic *a, enum lvt i, uint32_t v)
{
    if (i == LVT_TIMER)
        timer_settle(a);
    bool was_periodic = periodic(a);
    uint32_t cur = i == LVT_TIMER ? timer_current(a) : 0;
    a->lvt[i] = (a->lvt[i] & ~lvt_writable[i]) | (v & lvt_writable[i]);
    if (!sw_enabled(a))
        a->lvt[i] |= LVT_MASKED; /* masks cannot be cleared while software disabled */
    if (i == LVT_TIMER && was_periodic != periodic(a))
        timer_restart(a, cur); /* a mode change carries on from the current count */
}

/* --- the ICR, SDM §10.6.1 ------------------------------------------------------------- */

static void send_ipi(struct lapic *a)
{
    uint32_t lo = a->icr_lo;
    enum lapic_delivery mode = LVT_MODE(lo);
    uint8_t vector = LVT_VECTOR(lo);
    bool to_self;
    switch (ICR_SHORTHAND(lo)) {
    case SH_SELF:
    case SH_ALL:
        to_self = true;
        break;
    case SH_OTHERS: /* there are no others on a one-processor machine */
        to_self = false;
        break;
    default:
        to_self = lapic_match_dest(a, (uint8_t)(a->icr_hi >> 24), lo & ICR_LOGICAL);
        break;
    }
    if ((mode == LAPIC_DM_FIXED || mode == LAPIC_DM_LOWEST) && vector < 16) {
        signal_error(a, ESR_SEND_ILLEGAL);
        return;
    }
    if (to_self && (mode == LAPIC_DM_FIXED || mode == LAPIC_DM_LOWEST || mode == LAPIC_DM_NMI))
        lapic_deliver(a, mode, vector, false);
    /* INIT, start-up and SMI to itself: the processor is neither waiting for them nor has SMM */
}

/* --- registers ---------------------------------------------------------------------- */

static uint32_t reg_read(struct lapic *a, unsigned reg)
{
    if (reg >= REG_ISR && reg < REG_ISR + 0x80)
        return a->isr[(reg - REG_ISR) >> 4];
    if (reg >= REG_TMR && reg < REG_TMR + 0x80)
        return a->tmr[(reg - REG_TMR) >> 4];
    if (reg >= REG_IRR && reg < REG_IRR + 0x80)
        return a->irr[(reg - REG_IRR) >> 4];
    if (reg >= REG_LVT && reg < REG_LVT + 0x60)
        return a->lvt[(reg - REG_LVT) >> 4];
    switch (reg) {
    case REG_ID:
        return a->id;
    case REG_VERSION:
        return APIC_VERSION;
    case REG_TPR:
        return a->tpr;
    case REG_APR:
        return apr(a);
    case REG_PPR:
        return ppr(a);
    case REG_EOI:
    case REG_RRD:
        return 0;
    case REG_LDR:
        return a->ldr;
    case REG_DFR:
        return a->dfr | 0x0fffffffu;
    case REG_SVR:
        return a->svr;
    case REG_ESR:
        return a->esr;
    case REG_ICR_LO:
        return a->icr_lo; /* delivery status 0: sent */
    case REG_ICR_HI:
        return a->icr_hi;
    case REG_TIMER_INITIAL:
        return a->timer_initial;
    case REG_TIMER_CURRENT:
        return timer_current(a);
    case REG_TIMER_DIVIDE:
        return a->timer_divide;
    default:
        signal_error(a, ESR_ILLEGAL_REG);
        return 0;
    }
}

static void write_svr(struct lapic *a, uint32_t v)
{
    a->svr = v & SVR_MASK;
    if (!sw_enabled(a))
        mask_all_lvt(a);
}

static void write_divide(struct lapic *a, uint32_t v)
{
    timer_settle(a);
    uint32_t cur = timer_current(a);
    a->timer_divide = v & 0xb;
    if (a->timer_count)
        timer_restart(a, cur); /* the count goes on at the new rate */
}

static void reg_write(struct lapic *a, unsigned reg, uint32_t v)
{
    if (reg >= REG_LVT && reg < REG_LVT + 0x60) {
        write_lvt(a, (enum lvt)((reg - REG_LVT) >> 4), v);
        return;
    }
    switch (reg) {
    case REG_ID:
        a->id = v & 0xff000000u;
        break;
    case REG_TPR:
        a->tpr = (uint8_t)v;
        break;
    case REG_EOI:
        eoi(a);
        break;
    case REG_LDR:
        a->ldr = v & 0xff000000u;
        break;
    case REG_DFR:
        a->dfr = v & 0xf0000000u;
        break;
    case REG_SVR:
        write_svr(a, v);
        break;
    case REG_ESR: /* a write latches the errors seen since the last one (§10.5.3) */
        a->esr = a->esr_pending;
        a->esr_pending = 0;
        break;
    case REG_ICR_LO:
        a->icr_lo = v & ICR_WRITABLE;
        send_ipi(a);
        break;
    case REG_ICR_HI:
        a->icr_hi = v & 0xff000000u;
        break;
    case REG_TIMER_INITIAL:
        timer_settle(a); /* the count before ran out first */
        a->timer_initial = v;
        timer_restart(a, v);
        break;
    case REG_TIMER_DIVIDE:
        write_divide(a, v);
        break;
    case REG_VERSION:
    case REG_APR:
    case REG_PPR:
    case REG_RRD:
    case REG_TIMER_CURRENT:
        break; /* read-only */
    default:
        if (!(reg >= REG_ISR && reg < REG_IRR + 0x80))
            signal_error(a, ESR_ILLEGAL_REG);
        break;
    }
}

/*
 * The page: registers are 32 bits at 16-byte boundaries (SDM §10.4.1).
 * Narrower reads see part of the register; the rest of each 16-byte slot
 * reads 0. Writes other than aligned dwords are dropped.
 */
static uint32_t lapic_mmio_read(void *opaque, uint64_t offset, unsigned size)
{
    struct lapic *a = opaque;
    unsigned within = offset & 15;
    if (within + size > 4)
        return 0;
    uint32_t v = reg_read(a, (unsigned)offset & 0xff0u);
    v >>= within * 8;
    return size == 4 ? v : v & ((1u << (size * 8)) - 1);
}

static void lapic_mmio_write(void *opaque, uint64_t offset, uint32_t value, unsigned size)
{
    struct lapic *a = opaque;
    if (size == 4 && (offset & 15) == 0)
        reg_write(a, (unsigned)offset, value);
}

static const struct mmio_ops lapic_mmio_ops = {lapic_mmio_read, lapic_mmio_write,
                                               MEM_SIZE_2 | MEM_SIZE_4};

/* --- IA32_APIC_BASE ----------------------------------------------------------------- */

/* Everything but IA32_APIC_BASE to its power-on value (SDM §10.4.7.1). */
static void reset_registers(struct lapic *a)
{
    a->id = 0;
    a->tpr = 0;
    a->ldr = 0;
    a->dfr = 0xffffffffu;
    a->svr = 0xff;
    memset(a->isr, 0, sizeof(a->isr));
    memset(a->tmr, 0, sizeof(a->tmr));
    memset(a->irr, 0, sizeof(a->irr));
    a->esr = a->esr_pending = 0;
    a->icr_lo = a->icr_hi = 0;
    for (unsigned i = 0; i < LVT_COUNT; i++)
        a->lvt[i] = LVT_MASKED;
    a->timer_initial = 0;
    a->timer_divide = 0;
    a->timer_count = 0;
    vtimer_cancel(&a->m->clock, &a->timer);
}

uint64_t lapic_get_base(void *opaque)
{
    const struct lapic *a = opaque;
    return a->base;
}

int lapic_set_base(void *opaque, uint64_t value)
{
    struct lapic *a = opaque;
    if (value & BASE_RESERVED)
        return -1;
    bool was_enabled = hw_enabled(a);
    /* Once disabled, a P6-family APIC stays disabled until reset (SDM §10.4.3), as in QEMU. */
    a->base = (value & BASE_ADDR) | (a->base & BASE_BSP) | (value & a->base & BASE_ENABLE);
    if (was_enabled && !hw_enabled(a))
        reset_registers(a); /* and LINT0 stays masked: the 8259 drives INTR itself */
    memmap_move(&a->m->mem, a->page, a->base & BASE_ADDR);
    memmap_set_enabled(&a->m->mem, a->page, hw_enabled(a));
    return 0;
}

/* --- state, creation ---------------------------------------------------------------- */

void lapic_reset(struct lapic *a)
{
    reset_registers(a);
    a->lvt[LVT_LINT0] = LAPIC_DM_EXTINT << 8; /* virtual wire mode */
    a->base = LAPIC_DEFAULT_BASE | BASE_BSP | BASE_ENABLE;
    memmap_move(&a->m->mem, a->page, LAPIC_DEFAULT_BASE);
    memmap_set_enabled(&a->m->mem, a->page, true);
}

void lapic_get_info(const struct lapic *a, struct lapic_info *info)
{
    *info = (struct lapic_info){
        .enabled = hw_enabled(a),
        .sw_enabled = sw_enabled(a),
        .base = (uint32_t)(a->base & BASE_ADDR),
        .id = (uint8_t)(a->id >> 24),
        .tpr = a->tpr,
        .ppr = ppr(a),
        .irr = highest(a->irr),
        .isr = highest(a->isr),
        .lvt_timer = a->lvt[LVT_TIMER],
        .lvt_lint0 = a->lvt[LVT_LINT0],
        .lvt_lint1 = a->lvt[LVT_LINT1],
        .lvt_error = a->lvt[LVT_ERROR],
        .timer_initial = a->timer_initial,
        .timer_current = timer_current(a),
        .timer_divide = timer_divisor(a),
        .esr = a->esr,
    };
}

struct lapic *lapic_create(struct machine *m, const struct lapic_callbacks *cb,
                           const struct lapic_extint *lint0)
{
    struct lapic *a = g_new0(struct lapic, 1);
    a->m = m;
    if (cb)
        a->cb = *cb;
    if (lint0)
        a->lint0 = *lint0;
    vtimer_init(&a->timer, timer_fire, a);
    /* Above everything on the bus: the processor's own accesses to the page reach its APIC. */
    a->page =
        memmap_add_mmio(&m->mem, "lapic", LAPIC_DEFAULT_BASE, LAPIC_SIZE, &lapic_mmio_ops, a, 10);
    lapic_reset(a);
    return a;
}

void lapic_destroy(struct lapic *a)
{
    if (!a)
        return;
    vtimer_cancel(&a->m->clock, &a->timer);
    memmap_set_enabled(&a->m->mem, a->page, false);
    g_free(a);
}
