/*
 * The local APIC against the Intel SDM Vol. 3A ch. 10, through its MMIO
 * page: power-on state (§10.4.7.1), IA32_APIC_BASE (§10.4.4), virtual
 * wire mode through LINT0, software disable (§10.4.7.2), acceptance,
 * TPR/PPR and EOI (§10.8), level-triggered EOI broadcast, the error status
 * register (§10.5.3), spurious interrupts (§10.9), the timer in one-shot
 * and periodic mode with every divide value (§10.5.4), the ICR
 * (§10.6.1) and logical destinations (§10.6.2.2). Virtual time is manual.
 */
#include <glib.h>

#include "devices/lapic.h"
#include "machine/machine.h"

#define B 0xfee00000u

struct fixture {
    struct machine m;
    struct lapic *a;
    unsigned nmis;
    unsigned eois;
    uint8_t eoi_vector;
    bool pic_request; /* the fake 8259's INTR */
    unsigned pic_acks;
};

static void on_nmi(void *opaque)
{
    struct fixture *f = opaque;
    f->nmis++;
}

static void on_eoi(void *opaque, uint8_t vector)
{
    struct fixture *f = opaque;
    f->eois++;
    f->eoi_vector = vector;
}

static bool pic_pending(void *opaque)
{
    struct fixture *f = opaque;
    return f->pic_request;
}

static uint8_t pic_ack(void *opaque)
{
    struct fixture *f = opaque;
    f->pic_acks++;
    f->pic_request = false;
    return 0x08;
}

static void setup(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    g_assert_cmpint(
        machine_init(&f->m, &(struct machine_config){.ram_mb = 1, .manual_clock = true}), ==, 0);
    f->a = lapic_create(&f->m, &(struct lapic_callbacks){on_nmi, on_eoi, f},
                        &(struct lapic_extint){pic_pending, pic_ack, f});
}

static void teardown(struct fixture *f)
{
    lapic_destroy(f->a);
    machine_destroy(&f->m);
}

static uint32_t rd(struct fixture *f, unsigned reg)
{
    return memmap_read(&f->m.mem, B + reg, 4);
}

static void wr(struct fixture *f, unsigned reg, uint32_t v)
{
    memmap_write(&f->m.mem, B + reg, v, 4);
}

/* Software-enable with spurious vector 0xFF. */
static void enable(struct fixture *f)
{
    wr(f, 0xf0, 0x1ff);
}

/* A fixed interrupt as an I/O APIC message would bring it. */
static void req(struct fixture *f, uint8_t vector, bool level)
{
    lapic_deliver(f->a, LAPIC_DM_FIXED, vector, level);
}

static bool irr_has(struct fixture *f, unsigned v)
{
    return rd(f, 0x200 + (v / 32) * 16) >> (v % 32) & 1;
}

static bool isr_has(struct fixture *f, unsigned v)
{
    return rd(f, 0x100 + (v / 32) * 16) >> (v % 32) & 1;
}

static void advance(struct fixture *f, uint64_t ns)
{
    vclock_advance(&f->m.clock, ns);
}

static void test_reset_state(void)
{
    struct fixture f;
    setup(&f);
    g_assert_cmphex(lapic_get_base(f.a), ==, 0xfee00900u);
    g_assert_cmphex(rd(&f, 0x20), ==, 0);           /* ID */
    g_assert_cmphex(rd(&f, 0x30), ==, 0x00050014u); /* version 14h, max LVT 5 */
    g_assert_cmphex(rd(&f, 0x80), ==, 0);           /* TPR */
    g_assert_cmphex(rd(&f, 0xe0), ==, 0xffffffffu); /* DFR: flat */
    g_assert_cmphex(rd(&f, 0xf0), ==, 0xff);        /* SVR: software disabled */
    g_assert_cmphex(rd(&f, 0x320), ==, 0x10000);    /* timer masked */
    g_assert_cmphex(rd(&f, 0x350), ==, 0x700);      /* LINT0: ExtINT (virtual wire) */
    g_assert_cmphex(rd(&f, 0x360), ==, 0x10000);    /* LINT1 masked */
    g_assert_cmphex(rd(&f, 0x370), ==, 0x10000);    /* error masked */
    g_assert_cmphex(rd(&f, 0x3e0), ==, 0);          /* divide by 2 */
    for (unsigned r = 0x100; r < 0x280; r += 0x10)
        g_assert_cmphex(rd(&f, r), ==, 0); /* ISR, TMR, IRR */
    teardown(&f);
}

/* Byte and word reads see part of a register; other writes than aligned dwords are dropped. */
static void test_access_sizes(void)
{
    struct fixture f;
    setup(&f);
    g_assert_cmphex(memmap_read(&f.m.mem, B + 0x30, 1), ==, 0x14);
    g_assert_cmphex(memmap_read(&f.m.mem, B + 0x32, 2), ==, 0x0005);
    g_assert_cmphex(memmap_read(&f.m.mem, B + 0x34, 4), ==, 0); /* rest of the 16-byte slot */
    memmap_write(&f.m.mem, B + 0x80, 0x55, 1);
    memmap_write(&f.m.mem, B + 0x84, 0x55, 4);
    g_assert_cmphex(rd(&f, 0x80), ==, 0);
    wr(&f, 0x80, 0x55);
    g_assert_cmphex(rd(&f, 0x80), ==, 0x55);
    teardown(&f);
}

/* LINT0 as ExtINT passes the 8259; masked it does not; a disabled APIC passes it straight. */
static void test_virtual_wire(void)
{
    struct fixture f;
    setup(&f);
    f.pic_request = true;
    g_assert_true(lapic_pending(f.a));
    g_assert_cmphex(lapic_acknowledge(f.a), ==, 0x08);
    g_assert_cmpuint(f.pic_acks, ==, 1);
    g_assert_false(lapic_pending(f.a));
    f.pic_request = true;
    wr(&f, 0x350, 0x10700); /* masked */
    g_assert_false(lapic_pending(f.a));
    wr(&f, 0x350, 0x00000); /* fixed, not ExtINT: the 8259 is not heard */
    g_assert_false(lapic_pending(f.a));
    g_assert_cmpint(lapic_set_base(f.a, 0xfee00000u), ==, 0); /* global disable */
    g_assert_true(lapic_pending(f.a));
    g_assert_cmphex(lapic_acknowledge(f.a), ==, 0x08);
    /* the page is gone while disabled: reads as an empty bus */
    g_assert_cmphex(rd(&f, 0x30), ==, 0xffffffffu);
    teardown(&f);
}

/* Software disable sets every LVT mask and keeps them set (SDM §10.4.7.2). */
static void test_software_disable(void)
{
    struct fixture f;
    setup(&f);
    enable(&f);
    wr(&f, 0x320, 0x40);
    g_assert_cmphex(rd(&f, 0x320), ==, 0x40);
    wr(&f, 0xf0, 0xff);
    g_assert_cmphex(rd(&f, 0x320), ==, 0x10040);
    g_assert_cmphex(rd(&f, 0x350), ==, 0x10700);
    wr(&f, 0x320, 0x41);
    g_assert_cmphex(rd(&f, 0x320), ==, 0x10041);
    /* requests are held, not delivered, while software disabled */
    req(&f, 0x40, false);
    g_assert_true(irr_has(&f, 0x40));
    g_assert_false(lapic_pending(f.a));
    enable(&f);
    g_assert_true(lapic_pending(f.a));
    teardown(&f);
}

/* IA32_APIC_BASE: reserved bits refused, BSP read-only, the page moves. */
static void test_base_msr(void)
{
    struct fixture f;
    setup(&f);
    g_assert_cmpint(lapic_set_base(f.a, 0xfee00900u | 1u << 10), ==, -1);
    g_assert_cmpint(lapic_set_base(f.a, 0xfee00900u | 0x80), ==, -1);
    g_assert_cmpint(lapic_set_base(f.a, 0xfee00900ull | 1ull << 36), ==, -1);
    g_assert_cmphex(lapic_get_base(f.a), ==, 0xfee00900u);
    g_assert_cmpint(lapic_set_base(f.a, 0xfed00800u), ==, 0); /* BSP bit written 0: kept */
    g_assert_cmphex(lapic_get_base(f.a), ==, 0xfed00900u);
    g_assert_cmphex(memmap_read(&f.m.mem, 0xfed00030u, 4), ==, 0x00050014u);
    g_assert_cmphex(rd(&f, 0x30), ==, 0xffffffffu);
    /* disabled, it stays disabled until reset (P6 family, SDM §10.4.3) */
    g_assert_cmpint(lapic_set_base(f.a, 0xfee00000u), ==, 0);
    g_assert_cmpint(lapic_set_base(f.a, 0xfee00800u), ==, 0);
    g_assert_cmphex(lapic_get_base(f.a), ==, 0xfee00100u);
    g_assert_cmphex(rd(&f, 0x30), ==, 0xffffffffu);
    lapic_reset(f.a);
    g_assert_cmphex(lapic_get_base(f.a), ==, 0xfee00900u);
    g_assert_cmphex(rd(&f, 0x30), ==, 0x00050014u);
    teardown(&f);
}

/* PPR and acceptance by priority class; EOI retires the highest in service. */
static void test_priorities(void)
{
    struct fixture f;
    setup(&f);
    enable(&f);
    req(&f, 0x31, false);
    req(&f, 0x52, false);
    g_assert_true(lapic_pending(f.a));
    g_assert_cmphex(lapic_acknowledge(f.a), ==, 0x52);
    g_assert_true(isr_has(&f, 0x52));
    g_assert_false(irr_has(&f, 0x52));
    g_assert_cmphex(rd(&f, 0xa0), ==, 0x50); /* PPR: the class in service */
    g_assert_false(lapic_pending(f.a));      /* 0x31 is below */
    req(&f, 0x55, false);                    /* same class as in service: waits */
    g_assert_false(lapic_pending(f.a));
    req(&f, 0x61, false);
    g_assert_cmphex(lapic_acknowledge(f.a), ==, 0x61); /* nests */
    wr(&f, 0xb0, 0);
    g_assert_false(isr_has(&f, 0x61));
    g_assert_true(isr_has(&f, 0x52));
    wr(&f, 0xb0, 0);
    g_assert_cmphex(rd(&f, 0xa0), ==, 0);
    g_assert_cmphex(lapic_acknowledge(f.a), ==, 0x55);
    wr(&f, 0xb0, 0);
    /* TPR: a class at or below it waits; PPR follows TPR when it is higher */
    wr(&f, 0x80, 0x3a);
    g_assert_cmphex(rd(&f, 0xa0), ==, 0x3a);
    g_assert_false(lapic_pending(f.a)); /* 0x31 */
    wr(&f, 0x80, 0x20);
    g_assert_cmphex(lapic_acknowledge(f.a), ==, 0x31);
    g_assert_cmphex(rd(&f, 0xa0), ==, 0x30);
    g_assert_cmpuint(f.eois, ==, 0); /* all edge-triggered: nothing broadcast */
    teardown(&f);
}

/* Level-triggered vectors set TMR and their EOI is broadcast; edge ones clear TMR. */
static void test_level_eoi(void)
{
    struct fixture f;
    setup(&f);
    enable(&f);
    req(&f, 0x41, true);
    g_assert_true(rd(&f, 0x180 + 0x20) >> 1 & 1); /* TMR bit 0x41 */
    g_assert_cmphex(lapic_acknowledge(f.a), ==, 0x41);
    wr(&f, 0xb0, 0);
    g_assert_cmpuint(f.eois, ==, 1);
    g_assert_cmphex(f.eoi_vector, ==, 0x41);
    req(&f, 0x41, false);
    g_assert_false(rd(&f, 0x180 + 0x20) >> 1 & 1);
    lapic_acknowledge(f.a);
    wr(&f, 0xb0, 0);
    g_assert_cmpuint(f.eois, ==, 1);
    wr(&f, 0xb0, 0); /* nothing in service: no effect */
    g_assert_cmpuint(f.eois, ==, 1);
    teardown(&f);
}

/* A request that went away before INTA gives the spurious vector, nothing in service. */
static void test_spurious(void)
{
    struct fixture f;
    setup(&f);
    wr(&f, 0xf0, 0x1e7);
    req(&f, 0x40, false);
    g_assert_true(lapic_pending(f.a));
    wr(&f, 0x80, 0x40); /* the TPR rises between INTR and INTA */
    g_assert_cmphex(lapic_acknowledge(f.a), ==, 0xe7);
    g_assert_false(isr_has(&f, 0xe7));
    g_assert_true(irr_has(&f, 0x40));
    teardown(&f);
}

/* ESR: errors are latched by a write; illegal vectors; the error LVT. */
static void test_errors(void)
{
    struct fixture f;
    setup(&f);
    enable(&f);
    req(&f, 0x05, false); /* vectors 0-15 are illegal */
    g_assert_false(irr_has(&f, 0x05));
    g_assert_cmphex(rd(&f, 0x280), ==, 0); /* not latched yet */
    wr(&f, 0x280, 0);
    g_assert_cmphex(rd(&f, 0x280), ==, 0x40); /* received illegal vector */
    wr(&f, 0x280, 0);
    g_assert_cmphex(rd(&f, 0x280), ==, 0);
    wr(&f, 0x370, 0xe3);   /* error LVT unmasked, vector 0xE3 */
    wr(&f, 0x300, 0x4003); /* fixed IPI with vector 3 to itself (dest 0 = ID 0) */
    wr(&f, 0x280, 0);
    g_assert_cmphex(rd(&f, 0x280), ==, 0x20); /* send illegal vector */
    g_assert_true(irr_has(&f, 0xe3));
    rd(&f, 0x3f0); /* a reserved register */
    wr(&f, 0x280, 0);
    g_assert_cmphex(rd(&f, 0x280), ==, 0x80);
    teardown(&f);
}

/* One-shot: the count falls at the bus clock / divider, the vector fires once at zero. */
static void test_timer_oneshot(void)
{
    struct fixture f;
    setup(&f);
    enable(&f);
    wr(&f, 0x3e0, 0x3);  /* divide by 16 */
    wr(&f, 0x320, 0x42); /* one-shot, vector 0x42 */
    wr(&f, 0x380, 1000);
    g_assert_cmpuint(rd(&f, 0x390), ==, 1000);
    advance(&f, 8000); /* 500 ticks of 16 ns */
    g_assert_cmpuint(rd(&f, 0x390), ==, 500);
    advance(&f, 7999);
    g_assert_false(irr_has(&f, 0x42));
    g_assert_cmpuint(rd(&f, 0x390), ==, 1);
    advance(&f, 1);
    g_assert_true(irr_has(&f, 0x42));
    g_assert_cmpuint(rd(&f, 0x390), ==, 0);
    g_assert_cmphex(lapic_acknowledge(f.a), ==, 0x42);
    wr(&f, 0xb0, 0);
    advance(&f, 100000);
    g_assert_false(irr_has(&f, 0x42)); /* once */
    g_assert_cmpuint(rd(&f, 0x390), ==, 0);
    g_assert_cmpuint(rd(&f, 0x380), ==, 1000);
    /* initial count 0 stops the timer */
    wr(&f, 0x380, 50);
    wr(&f, 0x380, 0);
    advance(&f, 100000);
    g_assert_false(irr_has(&f, 0x42));
    teardown(&f);
}

/*
 * A one-shot count that ran out while the CPU ran (timers run between its
 * slices) still interrupts when the guest writes the divide configuration,
 * the timer's LVT or a new initial count before the timer ran: the write
 * must not restart the count from zero and lose the interrupt.
 */
static void test_timer_overdue(void)
{
    static const struct {
        unsigned reg;
        uint32_t value;
    } writes[] = {{0x3e0, 0xb}, {0x320, 0x20043}, {0x380, 500}};
    for (unsigned k = 0; k < G_N_ELEMENTS(writes); k++) {
        struct fixture f;
        setup(&f);
        enable(&f);
        wr(&f, 0x3e0, 0xb);  /* divide by 1 */
        wr(&f, 0x320, 0x43); /* one-shot, vector 0x43 */
        wr(&f, 0x380, 62);
        f.m.clock.manual_ns += 1000; /* the count runs out; no timer has run yet */
        wr(&f, writes[k].reg, writes[k].value);
        g_assert_true(irr_has(&f, 0x43));
        g_assert_cmphex(lapic_acknowledge(f.a), ==, 0x43);
        teardown(&f);
    }
}

/* Periodic: the count reloads at zero, the vector fires every period; masked, only counting. */
static void test_timer_periodic(void)
{
    struct fixture f;
    setup(&f);
    enable(&f);
    wr(&f, 0x3e0, 0xb);     /* divide by 1 */
    wr(&f, 0x320, 0x20050); /* periodic, vector 0x50 */
    wr(&f, 0x380, 100);
    for (unsigned i = 0; i < 5; i++) {
        advance(&f, 99);
        g_assert_false(irr_has(&f, 0x50));
        advance(&f, 1);
        g_assert_true(irr_has(&f, 0x50));
        g_assert_cmpuint(rd(&f, 0x390), ==, 100);
        lapic_acknowledge(f.a);
        wr(&f, 0xb0, 0);
    }
    advance(&f, 30);
    g_assert_cmpuint(rd(&f, 0x390), ==, 70);
    wr(&f, 0x320, 0x30050); /* masked: it counts, nothing is requested */
    advance(&f, 500);
    g_assert_false(irr_has(&f, 0x50));
    g_assert_cmpuint(rd(&f, 0x390), ==, 70);
    wr(&f, 0x320, 0x00050); /* back to one-shot: from the current count to zero, once */
    advance(&f, 70);
    g_assert_true(irr_has(&f, 0x50));
    teardown(&f);
}

/* Divide configuration bits 0, 1 and 3 (SDM Figure 10-10): 2, 4, ... 128, then 1. */
static void test_timer_divide(void)
{
    static const unsigned code[8] = {0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xa, 0xb};
    static const unsigned div[8] = {2, 4, 8, 16, 32, 64, 128, 1};
    for (unsigned i = 0; i < 8; i++) {
        struct fixture f;
        setup(&f);
        enable(&f);
        wr(&f, 0x3e0, code[i] | 0xfffffff4u); /* other bits are not kept */
        g_assert_cmphex(rd(&f, 0x3e0), ==, code[i]);
        wr(&f, 0x320, 0x60);
        wr(&f, 0x380, 10);
        advance(&f, 10ull * div[i] - 1);
        g_assert_false(irr_has(&f, 0x60));
        g_assert_cmpuint(rd(&f, 0x390), ==, 1);
        advance(&f, 1);
        g_assert_true(irr_has(&f, 0x60));
        teardown(&f);
    }
}

/* ICR: self-IPIs by shorthand and by destination, NMI, nothing for "all excluding self". */
static void test_icr(void)
{
    struct fixture f;
    setup(&f);
    enable(&f);
    wr(&f, 0x300, 0x40061); /* fixed, shorthand self */
    g_assert_true(irr_has(&f, 0x61));
    g_assert_cmphex(rd(&f, 0x300), ==, 0x40061); /* delivery status 0: idle */
    wr(&f, 0x300, 0xc0062);                      /* all excluding self */
    g_assert_false(irr_has(&f, 0x62));
    wr(&f, 0x020, 0x03000000); /* ID 3 */
    wr(&f, 0x310, 0x03000000);
    wr(&f, 0x300, 0x4063); /* physical destination 3, assert */
    g_assert_true(irr_has(&f, 0x63));
    wr(&f, 0x310, 0x04000000);
    wr(&f, 0x300, 0x4064); /* destination 4: nobody */
    g_assert_false(irr_has(&f, 0x64));
    wr(&f, 0x310, 0xff000000);
    wr(&f, 0x300, 0x4065); /* broadcast */
    g_assert_true(irr_has(&f, 0x65));
    wr(&f, 0x310, 0x03000000);
    wr(&f, 0x300, 0x4400); /* NMI to itself */
    g_assert_cmpuint(f.nmis, ==, 1);
    wr(&f, 0x300, 0xc4400); /* NMI to the others: none */
    g_assert_cmpuint(f.nmis, ==, 1);
    wr(&f, 0x300, 0x4500); /* INIT to itself: not modelled, nothing pending */
    g_assert_cmphex(rd(&f, 0x310), ==, 0x03000000);
    teardown(&f);
}

/* Logical destinations: flat model (a bit per APIC), cluster model (cluster, members). */
static void test_logical_dest(void)
{
    struct fixture f;
    setup(&f);
    enable(&f);
    wr(&f, 0xd0, 0x04000000); /* LDR: bit 2 */
    g_assert_true(lapic_match_dest(f.a, 0x04, true));
    g_assert_true(lapic_match_dest(f.a, 0x0c, true));
    g_assert_false(lapic_match_dest(f.a, 0x03, true));
    wr(&f, 0xe0, 0x0fffffffu); /* cluster model */
    g_assert_cmphex(rd(&f, 0xe0), ==, 0x0fffffffu);
    wr(&f, 0xd0, 0x21000000); /* cluster 2, member 1 */
    g_assert_true(lapic_match_dest(f.a, 0x23, true));
    g_assert_false(lapic_match_dest(f.a, 0x13, true));
    g_assert_false(lapic_match_dest(f.a, 0x22, true));
    g_assert_true(lapic_match_dest(f.a, 0xff, true));
    wr(&f, 0x310, 0x21000000);
    wr(&f, 0x300, 0x4871); /* logical IPI to cluster 2 member 1 */
    g_assert_true(irr_has(&f, 0x71));
    teardown(&f);
}

/*
 * Random accesses of every size and alignment to the whole page, random
 * IA32_APIC_BASE values, interrupt messages, INTA cycles and time: the
 * APIC survives (no crash, no sanitizer report) and keeps its invariants.
 */
static void test_hostile(void)
{
    struct fixture f;
    setup(&f);
    GRand *r = g_rand_new_with_seed(19);
    for (unsigned i = 0; i < 200000; i++) {
        uint32_t off = g_rand_int_range(r, 0, LAPIC_SIZE), v = g_rand_int(r);
        unsigned size = 1u << g_rand_int_range(r, 0, 3);
        switch (g_rand_int_range(r, 0, 8)) {
        case 0:
            memmap_read(&f.m.mem, B + off, size);
            break;
        case 1:
            memmap_write(&f.m.mem, B + (off & ~15u), v, 4);
            break;
        case 2:
            memmap_write(&f.m.mem, B + off, v, size);
            break;
        case 3:
            lapic_deliver(f.a, (enum lapic_delivery)(v & 7), (uint8_t)(v >> 8), v >> 16 & 1);
            break;
        case 4:
            if (lapic_pending(f.a))
                lapic_acknowledge(f.a);
            f.pic_request = v & 1;
            break;
        case 5:
            vclock_advance(&f.m.clock, v & 0xffff);
            break;
        case 6:
            if ((v & 0xff) == 0) /* now and then: the base MSR, or a reset */
                lapic_set_base(f.a, (uint64_t)g_rand_int(r) << 32 | v);
            else if ((v & 0xff) == 1)
                lapic_reset(f.a);
            break;
        default:
            lapic_acknowledge(f.a); /* INTA with nothing pending: spurious */
            break;
        }
        struct lapic_info info;
        lapic_get_info(f.a, &info);
        g_assert_cmpint(info.irr, <, 256);
        g_assert_cmpuint(info.timer_current, <=, info.timer_initial);
    }
    g_rand_free(r);
    teardown(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/lapic/reset_state", test_reset_state);
    g_test_add_func("/lapic/access_sizes", test_access_sizes);
    g_test_add_func("/lapic/virtual_wire", test_virtual_wire);
    g_test_add_func("/lapic/software_disable", test_software_disable);
    g_test_add_func("/lapic/base_msr", test_base_msr);
    g_test_add_func("/lapic/priorities", test_priorities);
    g_test_add_func("/lapic/level_eoi", test_level_eoi);
    g_test_add_func("/lapic/spurious", test_spurious);
    g_test_add_func("/lapic/errors", test_errors);
    g_test_add_func("/lapic/timer_oneshot", test_timer_oneshot);
    g_test_add_func("/lapic/timer_overdue", test_timer_overdue);
    g_test_add_func("/lapic/timer_periodic", test_timer_periodic);
    g_test_add_func("/lapic/timer_divide", test_timer_divide);
    g_test_add_func("/lapic/icr", test_icr);
    g_test_add_func("/lapic/logical_dest", test_logical_dest);
    g_test_add_func("/lapic/hostile", test_hostile);
    return g_test_run();
}
