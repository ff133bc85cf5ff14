/*
 * The PC/AT interrupt controller pair: two cascaded Intel 8259A PICs
 * (master at ports 0x20-0x21, slave at 0xA0-0xA1 on master input IR2) and
 * the PIIX3 edge/level control registers (ELCR) at 0x4D0-0x4D1, modelled as
 * one device. Devices drive the sixteen inputs through irq_lines; the CPU
 * sees the master's INT output through pic_pending and runs the INTA cycle
 * through pic_acknowledge (the two fit struct cpu_irq_source in cpu/cpu.h).
 */
#ifndef POPEK_DEVICES_I8259_H
#define POPEK_DEVICES_I8259_H

#include <stdbool.h>
#include <stdint.h>

#include "machine/irq.h"

struct machine;
struct pic;

#define PIC_MASTER_BASE 0x20  /* ports 0x20-0x21 */
#define PIC_SLAVE_BASE  0xa0  /* ports 0xA0-0xA1 */
#define PIC_ELCR_BASE   0x4d0 /* ports 0x4D0 (IRQ 0-7), 0x4D1 (IRQ 8-15) */
#define PIC_NUM_IRQS    16
#define PIC_CASCADE_IRQ 2 /* master input the slave's INT drives */

/* Create the pair and claim its ports on m->io; NULL when a port is taken. */
struct pic *pic_create(struct machine *m);
void pic_destroy(struct pic *p);

/*
 * Hardware reset: both chips as if initialised with vector base 0, the
 * slave cascaded on IR2, 8086 mode, nothing masked; ELCR all edge. Input
 * levels are kept (the devices still drive them).
 */
void pic_reset(struct pic *p);

/*
 * The line a device raises and lowers for input `irq` (0-15). IRQ 2 is the
 * cascade input, driven only by the slave: its line (and any irq > 15)
 * does nothing.
 */
struct irq_line pic_irq_line(struct pic *p, unsigned irq);
void pic_set_irq(struct pic *p, unsigned irq, int level);

/* The master's INT output: an unmasked request outranks everything in service. */
bool pic_pending(void *pic);

/*
 * The INTA cycle: the vector of the highest-priority request, with IRR,
 * ISR, the cascade and automatic EOI handled. With no request left (the
 * line fell before the acknowledge) it returns the IR7 vector of the chip
 * concerned without setting an ISR bit (a spurious interrupt).
 */
uint8_t pic_acknowledge(void *pic);

/* Called (with `opaque`) whenever INT may have gone high: the board wakes a halted CPU. */
void pic_set_intr_notify(struct pic *p, void (*fn)(void *opaque), void *opaque);

#endif
