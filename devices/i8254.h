/*
 * The PC's Intel 82C54 programmable interval timer at ports 0x40-0x43:
 * three 16-bit counters clocked at 1.193182 MHz of virtual time. Counter 0's
 * OUT drives IRQ 0 through the line given at creation; counter 1's gate is
 * tied high like counter 0's; counter 2's gate and OUT belong to port 0x61
 * (devices/port61.h).
 */
#ifndef POPEK_DEVICES_I8254_H
#define POPEK_DEVICES_I8254_H

#include "machine/irq.h"

struct machine;
struct pit;

#define PIT_BASE     0x40 /* counters 0-2 at 0x40-0x42, control word at 0x43 */
#define PIT_HZ       1193182u
#define PIT_CHANNELS 3

/*
 * Create the timer, claim its ports on m->io and reset it; `irq0` (copied;
 * may be NULL) is what counter 0's OUT drives. NULL when a port is taken.
 */
struct pit *pit_create(struct machine *m, const struct irq_line *irq0);
void pit_destroy(struct pit *p);

/*
 * Reset: every counter unprogrammed in mode 0 (binary, LSB then MSB) with
 * OUT low, so reset raises no interrupt (the datasheet leaves the power-up
 * state undefined). The gate inputs keep their levels: they are wiring.
 */
void pit_reset(struct pit *p);

/*
 * Drive a counter's GATE input (channel 0-2; others ignored). Gates 0 and 1
 * start high, gate 2 low.
 */
void pit_set_gate(struct pit *p, unsigned channel, int level);

/* A counter's OUT at the current virtual time: 0 or 1 (0 for a bad channel). */
int pit_get_out(struct pit *p, unsigned channel);

#endif
