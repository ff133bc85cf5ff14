/*
 * The local APIC of a one-processor xAPIC machine (Intel SDM Vol. 3A
 * ch. 10): its registers in a 4 KiB MMIO page at the address IA32_APIC_BASE
 * holds (0xFEE00000 after reset), the local vector table with the timer on
 * virtual time, interrupt acceptance by priority (IRR, ISR, TMR, TPR, PPR),
 * EOI (broadcast to the I/O APIC for level-triggered vectors), the error
 * status register and the ICR for interrupts the processor sends itself.
 *
 * The 8259's INTR reaches the processor through LINT0 programmed as ExtINT
 * (virtual wire mode, MP specification §3.6.2.2), or straight when the APIC
 * is disabled in IA32_APIC_BASE. The processor takes external interrupts
 * through lapic_pending and lapic_acknowledge (they fit struct
 * cpu_irq_source in cpu/cpu.h).
 */
#ifndef POPEK_DEVICES_LAPIC_H
#define POPEK_DEVICES_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

struct machine;
struct lapic;

#define LAPIC_DEFAULT_BASE 0xfee00000u
#define LAPIC_SIZE         0x1000u
/* The timer's input clock (the "bus clock", SDM §10.5.4): 1 GHz, the rate of popek's TSC. */
#define LAPIC_TIMER_HZ 1000000000u

/* Delivery modes of LVT entries, the ICR and I/O APIC messages (SDM §10.5.1, §10.6.1). */
enum lapic_delivery {
    LAPIC_DM_FIXED = 0,
    LAPIC_DM_LOWEST = 1,
    LAPIC_DM_SMI = 2,
    LAPIC_DM_NMI = 4,
    LAPIC_DM_INIT = 5,
    LAPIC_DM_STARTUP = 6,
    LAPIC_DM_EXTINT = 7,
};

/* What the APIC drives outside itself; any function may be NULL. */
struct lapic_callbacks {
    void (*nmi)(void *opaque); /* an NMI for the processor */
    void (*eoi)(void *opaque,
                uint8_t vector); /* EOI of a level-triggered vector: to the I/O APICs */
    void *opaque;
};

/* The interrupt controller on LINT0: the 8259's INTR and its INTA cycle. */
struct lapic_extint {
    bool (*pending)(void *opaque);
    uint8_t (*acknowledge)(void *opaque);
    void *opaque;
};

/* Create the APIC (reset, its page mapped at the default base); `cb` is copied. */
struct lapic *lapic_create(struct machine *m, const struct lapic_callbacks *cb,
                           const struct lapic_extint *lint0);
void lapic_destroy(struct lapic *a);

/*
 * Power-on state (SDM §10.4.7.1): IA32_APIC_BASE 0xFEE00900 (enabled,
 * bootstrap processor), APIC ID 0, software disabled (SVR 0xFF), every LVT
 * entry masked except LINT0, which is ExtINT: the virtual wire mode a BIOS
 * sets up, so that the 8259 works from the first instruction as on a PC.
 */
void lapic_reset(struct lapic *a);

/*
 * IA32_APIC_BASE: the base (bits 12-35), BSP (bit 8, read-only) and the
 * global enable (bit 11). Clearing the enable puts the APIC back in its
 * power-on state and hides its page until the next reset; the 8259 then
 * drives INTR directly.
 * lapic_set_base returns -1, changing nothing, when a reserved bit is set
 * (the processor raises #GP).
 */
uint64_t lapic_get_base(void *lapic);
int lapic_set_base(void *lapic, uint64_t value);

/* The processor's INTR and INTA: an interrupt to take now, and its vector. */
bool lapic_pending(void *lapic);
uint8_t lapic_acknowledge(void *lapic);

/*
 * An interrupt message for this APIC (from an I/O APIC): whether `dest`
 * in physical or logical mode names this APIC, and the message itself.
 */
bool lapic_match_dest(const struct lapic *a, uint8_t dest, bool logical);
void lapic_deliver(struct lapic *a, enum lapic_delivery mode, uint8_t vector, bool level);

/* A summary for statistics and the debugger. */
struct lapic_info {
    bool enabled;    /* IA32_APIC_BASE enable */
    bool sw_enabled; /* SVR bit 8 */
    uint32_t base;   /* the page's address */
    uint8_t id, tpr, ppr;
    int irr, isr; /* the highest vector requested and in service, -1: none */
    uint32_t lvt_timer, lvt_lint0, lvt_lint1, lvt_error;
    uint32_t timer_initial, timer_current;
    unsigned timer_divide; /* 1 to 128 */
    uint32_t esr;
};
void lapic_get_info(const struct lapic *a, struct lapic_info *info);

#endif
