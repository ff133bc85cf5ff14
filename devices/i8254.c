/*
 * Intel 82C54 programmable interval timer (see i8254.h), written from the
 * Intel 82C54 datasheet (order no. 231244): "Mode Definitions", "Read
 * Operations" (counter latch, read-back command, status byte) and "Gate
 * Pin Operations Summary".
 *
 * Nothing ticks. A counter remembers the clock tick at which its count was
 * loaded into the counting element (CE); the CE value and OUT at any later
 * tick follow arithmetically from the mode, the count and k, the number of
 * CLK pulses since that load. A load that waits for the next CLK pulse or
 * for the end of a period is remembered as a tick too and takes effect
 * when time reaches it (counter_sync). Counter 0's OUT drives IRQ 0: one
 * vtimer fires at each rising edge of OUT.
 */
#include "devices/i8254.h"

#include <glib.h>

#include "machine/iobus.h"
#include "machine/machine.h"
#include "machine/vclock.h"

/* Control word at port 0x43 (datasheet "Control Word Format"). */
#define CW_SC(v)    ((v) >> 6)       /* select counter; 3 = read-back command */
#define CW_RW(v)    (((v) >> 4) & 3) /* 0 = counter latch command */
#define CW_MODE(v)  (((v) >> 1) & 7) /* 6 and 7 are modes 2 and 3 */
#define CW_BCD      0x01
#define SC_READBACK 3

#define RW_LATCH 0
#define RW_LSB   1
#define RW_MSB   2
#define RW_WORD  3 /* LSB then MSB */

/* Read-back command (SC = 11): D5 = 0 latch count, D4 = 0 latch status, D3-D1 counters. */
#define RB_NO_COUNT   0x20
#define RB_NO_STATUS  0x10
#define RB_COUNTER(i) (2u << (i))

/* Status byte: OUT, NULL COUNT, then RW1-RW0, M2-M0 and BCD as programmed. */
#define ST_OUT  0x80
#define ST_NULL 0x40

#define PIT_CONTROL 3 /* port offset of the control word */
#define TICK_NONE   INT64_MAX

struct pit_counter {
    uint8_t mode;        /* M2-M0 as programmed (6 and 7 behave as 2 and 3) */
    uint8_t rw;          /* RW1-RW0: RW_LSB, RW_MSB or RW_WORD */
    bool bcd;            /* four-decade BCD counting */
    uint16_t cr;         /* count register, as far as written */
    uint16_t count;      /* the last whole count written: what a load transfers */
    bool cr_valid;       /* a whole count was written since the control word */
    bool write_msb;      /* RW_WORD: the next write is the MSB */
    bool read_msb;       /* RW_WORD: the next read is the MSB */
    bool null_count;     /* a count written is not yet in the CE (status D6) */
    uint16_t ol;         /* output latch: the latched count */
    bool count_latched;  /* ol holds a count not yet read */
    uint8_t status;      /* the latched status byte */
    bool status_latched; /* status holds a status not yet read */
    bool gate;           /* GATE input level */
    bool armed;          /* a count is in the CE: CE and OUT follow the mode */
    bool counting;       /* the CE moves with the clock (else it holds at held_k) */
    uint32_t n;          /* the count in the CE: 1-65536, or 1-10000 in BCD */
    int64_t base;        /* the tick at which k = 0 */
    int64_t held_k;      /* k while the CE holds */
    uint16_t held_ce;    /* what the CE reads while no count is loaded */
    int64_t load_tick;   /* the tick of the next count -> CE load, or TICK_NONE */
    bool load_low;       /* mode 3: that load starts a low half-cycle */
};

struct pit {
    struct machine *m;
    struct pit_counter ch[PIT_CHANNELS];
    struct irq_line irq; /* driven by counter 0's OUT */
    int irq_level;       /* the level last put on irq */
    int64_t irq_next;    /* the tick of OUT 0's next rising edge, or TICK_NONE */
    struct vtimer timer; /* fires at irq_next, or sooner to catch up */
    uint32_t backlog;    /* periodic edges of OUT 0 the timer came too late for */
    int64_t catchup_at;  /* the tick from which the next of them may be delivered */
};

/*
 * Timers run between CPU slices. A slice ends at the next deadline, but
 * virtual time can still pass several periods of a periodic counter 0 at
 * once (it jumps to the host's time after a halt or a pause, device
 * accesses charge time, a deadline armed inside a slice waits for its
 * end), where the PIC could take only one edge. The rest are delivered later, one at a time,
 * PIT_CATCHUP_GAP (or half a period) apart so the guest has acknowledged the previous one, and at
 * most PIT_BACKLOG_MAX of them (after a long pause time simply moves on): a guest counting ticks
 * (Linux's jiffies) keeps time with the TSC.
 */
#define PIT_BACKLOG_MAX 100
#define PIT_CATCHUP_GAP (PIT_HZ / 4000) /* 250 us */

/* --- time and number formats ------------------------------------------------ */

/* CLK pulses since virtual time 0. */
static int64_t pit_tick(const struct pit *p)
{
    return (int64_t)((unsigned __int128)vclock_now(&p->m->clock) * PIT_HZ / 1000000000u);
}

/* The first virtual nanosecond at which pulse `tick` has happened. */
static uint64_t pit_tick_ns(int64_t tick)
{
    return (uint64_t)(((unsigned __int128)tick * 1000000000u + PIT_HZ - 1) / PIT_HZ);
}

/* Digits above 9 count as their nibble value, so no guest value is out of range. */
static uint32_t bcd_to_number(uint16_t raw)
{
    return (raw >> 12) * 1000u + ((raw >> 8) & 15) * 100u + ((raw >> 4) & 15) * 10u + (raw & 15);
}

static uint16_t number_to_bcd(uint32_t v)
{
    return (uint16_t)((v / 1000 % 10) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | v % 10);
}

static unsigned counter_mode(const struct pit_counter *c)
{
    return c->mode > 5 ? c->mode - 4u : c->mode;
}

static uint32_t counter_modulus(const struct pit_counter *c)
{
    return c->bcd ? 10000u : 65536u;
}

/* A written count as a number of CLK pulses: 0 is the largest count. */
static uint32_t counter_count_value(const struct pit_counter *c, uint16_t raw)
{
    uint32_t v = c->bcd ? bcd_to_number(raw) : raw;
    return v ? v : counter_modulus(c);
}

/* --- the counting element --------------------------------------------------- */

static int64_t counter_k(const struct pit_counter *c, int64_t t)
{
    return c->counting ? t - c->base : c->held_k;
}

/*
 * The CE after k pulses. Modes 2 and 3 reload every n pulses; mode 3
 * counts by two, from n (even n) or n - 1 (odd n), through each half-cycle:
 * the high half lasts (n + 1) / 2 pulses, the low half n / 2. The other
 * modes count down through zero and wrap.
 */
static uint32_t counter_ce_number(const struct pit_counter *c, int64_t k)
{
    int64_t n = c->n, mod = counter_modulus(c);
    switch (counter_mode(c)) {
    case 2:
        return (uint32_t)(n - k % n);
    case 3: {
        int64_t j = k % n, high = (n + 1) / 2;
        if (j >= high)
            j -= high;
        return (uint32_t)((n & ~1) - 2 * j);
    }
    default: {
        int64_t v = (n - k % mod) % mod;
        return (uint32_t)(v < 0 ? v + mod : v);
    }
    }
}

static uint16_t counter_ce(const struct pit_counter *c, int64_t t)
{
    if (!c->armed)
        return c->held_ce;
    uint32_t v = counter_ce_number(c, counter_k(c, t)) % counter_modulus(c);
    return c->bcd ? number_to_bcd(v) : (uint16_t)v;
}

/*
 * OUT at tick t. Before a count is loaded OUT is low in mode 0 and high
 * otherwise; a low gate forces it high in modes 2 and 3. Mode 2's count of
 * 1 is illegal (datasheet); we keep OUT high.
 */
static int counter_out(const struct pit_counter *c, int64_t t)
{
    unsigned mode = counter_mode(c);
    if (!c->armed)
        return mode != 0;
    if ((mode == 2 || mode == 3) && !c->counting)
        return 1;
    int64_t k = counter_k(c, t), n = c->n;
    switch (mode) {
    case 0: /* low until terminal count */
    case 1: /* low from the pulse after the trigger until terminal count */
        return k >= n;
    case 2: /* low for the one pulse before each reload */
        return n < 2 || k % n != n - 1;
    case 3:
        return k % n < (n + 1) / 2;
    default: /* 4, 5: low for the one pulse at terminal count */
        return k != n;
    }
}

/* The count -> CE transfer, at load_tick. */
static void counter_load(struct pit_counter *c)
{
    unsigned mode = counter_mode(c);
    c->n = counter_count_value(c, c->count);
    int64_t phase = c->load_low ? (c->n + 1) / 2 : 0;
    c->base = c->load_tick - phase;
    c->held_k = phase;
    c->counting = mode == 1 || mode == 5 || c->gate;
    c->armed = true;
    c->null_count = false;
    c->load_tick = TICK_NONE;
    c->load_low = false;
}

/* Bring the counter to tick t: perform a load that has come due. */
static void counter_sync(struct pit_counter *c, int64_t t)
{
    if (c->load_tick <= t)
        counter_load(c);
}

static void counter_schedule(struct pit_counter *c, int64_t tick, bool low)
{
    c->load_tick = tick;
    c->load_low = low;
}

/*
 * A count written in mode 2 takes effect at the end of the current period,
 * in mode 3 at the end of the current half-cycle (datasheet, modes 2, 3).
 */
static void counter_schedule_period_end(struct pit_counter *c, int64_t t)
{
    int64_t n = c->n, j = (t - c->base) % n, high = (n + 1) / 2;
    if (counter_mode(c) == 3 && j < high)
        counter_schedule(c, t - j + high, true);
    else
        counter_schedule(c, t - j + n, false);
}

/* The first tick after x at which OUT rises, from the CE alone. */
static int64_t counter_next_rise_loaded(const struct pit_counter *c, int64_t x)
{
    if (!c->armed || !c->counting)
        return TICK_NONE;
    int64_t n = c->n, y;
    switch (counter_mode(c)) {
    case 0:
    case 1:
        y = c->base + n;
        break;
    case 4:
    case 5:
        y = c->base + n + 1;
        break;
    default: /* 2, 3: OUT rises as each period begins */
        if (n < 2)
            return TICK_NONE;
        y = c->base + ((x - c->base) / n + 1) * n;
        break;
    }
    return y > x ? y : TICK_NONE;
}

/* The first tick after x at which OUT rises, counting a pending load. */
static int64_t counter_next_rise(const struct pit_counter *c, int64_t x)
{
    int64_t y = counter_next_rise_loaded(c, x);
    if (c->load_tick == TICK_NONE || y < c->load_tick)
        return y;
    int64_t at = c->load_tick;
    struct pit_counter next = *c;
    counter_load(&next);
    if (!counter_out(c, at - 1) && counter_out(&next, at))
        return at;
    return counter_next_rise_loaded(&next, at);
}

/* Mode 0: a new count (its first byte) stops counting and sets OUT low at once. */
static void counter_stop(struct pit_counter *c, int64_t t)
{
    c->held_ce = counter_ce(c, t);
    c->armed = false;
    c->load_tick = TICK_NONE;
}

/* A whole count has been written to the CR. */
static void counter_count_written(struct pit_counter *c, int64_t t)
{
    c->count = c->cr;
    c->cr_valid = true;
    c->null_count = true;
    switch (counter_mode(c)) {
    case 0:
        counter_stop(c, t);
        counter_schedule(c, t + 1, false);
        break;
    case 4:
        counter_schedule(c, t + 1, false);
        break;
    case 2:
    case 3:
        if (c->armed && c->counting)
            counter_schedule_period_end(c, t);
        else if (c->gate)
            counter_schedule(c, t + 1, false);
        break;
    default: /* 1, 5: the next trigger loads it */
        break;
    }
}

/* --- register access ---------------------------------------------------------- */

static void counter_program(struct pit_counter *c, uint8_t v, int64_t t)
{
    counter_sync(c, t);
    c->held_ce = counter_ce(c, t);
    c->mode = CW_MODE(v);
    c->rw = CW_RW(v);
    c->bcd = v & CW_BCD;
    c->cr_valid = false;
    c->write_msb = false;
    c->read_msb = false;
    c->null_count = true;
    c->count_latched = false;
    c->status_latched = false;
    c->armed = false;
    c->counting = false;
    c->load_tick = TICK_NONE;
    c->load_low = false;
}

/* A latch while a latched count is unread is ignored (datasheet "Counter Latch Command"). */
static void counter_latch_count(struct pit_counter *c, int64_t t)
{
    counter_sync(c, t);
    if (c->count_latched)
        return;
    c->ol = counter_ce(c, t);
    c->count_latched = true;
}

static void counter_latch_status(struct pit_counter *c, int64_t t)
{
    counter_sync(c, t);
    if (c->status_latched)
        return;
    c->status = (uint8_t)((counter_out(c, t) ? ST_OUT : 0) | (c->null_count ? ST_NULL : 0) |
                          c->rw << 4 | c->mode << 1 | (c->bcd ? CW_BCD : 0));
    c->status_latched = true;
}

/* A latched status reads first, then the latched count, then the live CE. */
static uint8_t counter_read(struct pit_counter *c, int64_t t)
{
    counter_sync(c, t);
    if (c->status_latched) {
        c->status_latched = false;
        return c->status;
    }
    uint16_t v = c->count_latched ? c->ol : counter_ce(c, t);
    bool msb;
    switch (c->rw) {
    case RW_LSB:
        msb = false;
        c->count_latched = false;
        break;
    case RW_MSB:
        msb = true;
        c->count_latched = false;
        break;
    default:
        msb = c->read_msb;
        c->read_msb = !msb;
        if (msb)
            c->count_latched = false;
        break;
    }
    return (uint8_t)(msb ? v >> 8 : v);
}

static void counter_write(struct pit_counter *c, uint8_t v, int64_t t)
{
    counter_sync(c, t);
    switch (c->rw) {
    case RW_LSB:
        c->cr = v;
        break;
    case RW_MSB:
        c->cr = (uint16_t)(v << 8);
        break;
    default:
        if (!c->write_msb) {
            c->cr = (uint16_t)((c->cr & 0xff00) | v);
            c->write_msb = true;
            if (counter_mode(c) == 0)
                counter_stop(c, t);
            return;
        }
        c->cr = (uint16_t)((c->cr & 0x00ff) | v << 8);
        c->write_msb = false;
        break;
    }
    counter_count_written(c, t);
}

/* Datasheet "Gate Pin Operations Summary". */
static void counter_set_gate(struct pit_counter *c, bool level, int64_t t)
{
    counter_sync(c, t);
    if (level == c->gate)
        return;
    c->gate = level;
    switch (counter_mode(c)) {
    case 0:
    case 4: /* the gate enables counting */
        if (level && c->armed && !c->counting) {
            c->counting = true;
            c->base = t - c->held_k;
        } else if (!level && c->armed && c->counting) {
            c->held_k = t - c->base;
            c->counting = false;
        }
        break;
    case 2:
    case 3: /* low: counting stops, OUT high; rising: reload on the next pulse */
        if (level) {
            if (c->cr_valid)
                counter_schedule(c, t + 1, false);
        } else {
            if (c->armed && c->counting) {
                c->held_k = t - c->base;
                c->counting = false;
            }
            c->load_tick = TICK_NONE;
        }
        break;
    default: /* 1, 5: a rising edge triggers a load on the next pulse */
        if (level && c->cr_valid)
            counter_schedule(c, t + 1, false);
        break;
    }
}

/* --- IRQ 0 ------------------------------------------------------------------ */

/*
 * Every change to IRQ 0 goes through here, after each write or gate change
 * and from the timer. A rising edge of OUT 0 that has come due is
 * delivered as an edge even when OUT has fallen again since (the timer ran
 * late, or the pulse was one CLK wide). irq_next still belongs to the
 * programming before the change, so an edge due under the old programming
 * is not lost to a write that arrives before the late timer. Then the line
 * follows OUT as of now and the timer is armed for the next rising edge.
 */
static void pit_update_irq(struct pit *p)
{
    struct pit_counter *c = &p->ch[0];
    int64_t t = pit_tick(p);
    counter_sync(c, t);
    unsigned mode = counter_mode(c);
    bool periodic = (mode == 2 || mode == 3) && c->armed && c->counting && c->n >= 2;
    /* Edges owed are spaced a quarter millisecond apart, or half a period if that is less. */
    int64_t gap = periodic ? MIN((int64_t)PIT_CATCHUP_GAP, (int64_t)c->n / 2) : 0;
    bool edge = false;
    if (p->irq_next <= t) {
        edge = true;
        if (periodic) {
            int64_t owed = p->backlog + (t - p->irq_next) / c->n;
            p->backlog = (uint32_t)MIN(owed, PIT_BACKLOG_MAX);
        }
    } else if (p->backlog && t >= p->catchup_at) {
        if (p->irq_next - t >= gap) {
            edge = true;
            p->backlog--;
        } else {
            p->catchup_at = p->irq_next + gap; /* not right before the next regular edge */
        }
    }
    if (edge) {
        if (p->irq_level)
            irq_set(&p->irq, 0);
        irq_set(&p->irq, 1);
        p->irq_level = 1;
        p->catchup_at = t + gap;
    }
    int out = counter_out(c, t);
    if (out != p->irq_level) {
        irq_set(&p->irq, out);
        p->irq_level = out;
    }
    p->irq_next = counter_next_rise(c, t);
    if (p->irq_next == TICK_NONE)
        p->backlog = 0;
    int64_t wake = p->backlog ? MIN(p->irq_next, p->catchup_at) : p->irq_next;
    if (wake == TICK_NONE)
        vtimer_cancel(&p->m->clock, &p->timer);
    else
        vtimer_arm(&p->m->clock, &p->timer, pit_tick_ns(wake));
}

static void pit_timer_fire(void *opaque)
{
    pit_update_irq(opaque);
}

void pit_reset(struct pit *p)
{
    for (unsigned i = 0; i < PIT_CHANNELS; i++) {
        struct pit_counter *c = &p->ch[i];
        bool gate = c->gate;
        *c = (struct pit_counter){0};
        c->gate = gate;
        c->rw = RW_WORD;
        c->null_count = true;
        c->load_tick = TICK_NONE;
    }
    p->irq_next = TICK_NONE;
    p->backlog = 0;
    pit_update_irq(p);
}

void pit_set_gate(struct pit *p, unsigned channel, int level)
{
    if (channel >= PIT_CHANNELS)
        return;
    counter_set_gate(&p->ch[channel], level != 0, pit_tick(p));
    pit_update_irq(p);
}

int pit_get_out(struct pit *p, unsigned channel)
{
    if (channel >= PIT_CHANNELS)
        return 0;
    int64_t t = pit_tick(p);
    counter_sync(&p->ch[channel], t);
    return counter_out(&p->ch[channel], t);
}

/* --- ports -------------------------------------------------------------------- */

static void pit_control(struct pit *p, uint8_t v, int64_t t)
{
    if (CW_SC(v) == SC_READBACK) {
        for (unsigned i = 0; i < PIT_CHANNELS; i++) {
            if (!(v & RB_COUNTER(i)))
                continue;
            if (!(v & RB_NO_COUNT))
                counter_latch_count(&p->ch[i], t);
            if (!(v & RB_NO_STATUS))
                counter_latch_status(&p->ch[i], t);
        }
        return;
    }
    struct pit_counter *c = &p->ch[CW_SC(v)];
    if (CW_RW(v) == RW_LATCH)
        counter_latch_count(c, t);
    else
        counter_program(c, v, t);
}

/* Each access takes an ISA I/O cycle of virtual time (machine/vclock.h). */
static uint32_t pit_read(void *opaque, uint16_t offset, unsigned size)
{
    struct pit *p = opaque;
    vclock_charge(&p->m->clock, VCLOCK_ISA_IO_NS);
    switch (offset) {
    case 0:
    case 1:
    case 2:
        return counter_read(&p->ch[offset], pit_tick(p));
    default: /* the control word register cannot be read: the bus floats */
        return 0xff;
    }
}

static void pit_write(void *opaque, uint16_t offset, uint32_t value, unsigned size)
{
    struct pit *p = opaque;
    vclock_charge(&p->m->clock, VCLOCK_ISA_IO_NS);
    int64_t t = pit_tick(p);
    switch (offset) {
    case 0:
    case 1:
    case 2:
        counter_write(&p->ch[offset], (uint8_t)value, t);
        break;
    default:
        if ((value >> 6) == 0)
            p->backlog = 0; /* counter 0 starts over: what it owed is void */
        pit_control(p, (uint8_t)value, t);
        break;
    }
    pit_update_irq(p);
}

static const struct io_ops pit_ops = {pit_read, pit_write, 0};

/* --- creation ------------------------------------------------------------------- */

struct pit *pit_create(struct machine *m, const struct irq_line *irq0)
{
    struct pit *p = g_new0(struct pit, 1);
    p->m = m;
    if (irq0)
        p->irq = *irq0;
    vtimer_init(&p->timer, pit_timer_fire, p);
    p->ch[0].gate = true; /* gates 0 and 1 are tied high on a PC */
    p->ch[1].gate = true;
    if (iobus_register(&m->io, "pit", PIT_BASE, 4, &pit_ops, p) < 0) {
        g_free(p);
        return NULL;
    }
    pit_reset(p);
    return p;
}

void pit_destroy(struct pit *p)
{
    if (!p)
        return;
    vtimer_cancel(&p->m->clock, &p->timer);
    iobus_unregister(&p->m->io, PIT_BASE);
    g_free(p);
}
