/*
 * Interrupt lines. A device raises and lowers the line it was handed and
 * never knows what is on the other end (a PIC input, a test's recorder);
 * the board wires lines in one place (pc/pc.c).
 */
#ifndef POPEK_MACHINE_IRQ_H
#define POPEK_MACHINE_IRQ_H

#include <stddef.h>

struct irq_line {
    void (*set)(void *opaque, unsigned n, int level); /* level: 0 low, 1 high */
    void *opaque;
    unsigned n; /* which input of the receiver this line is */
};

static inline void irq_set(const struct irq_line *l, int level)
{
    if (l && l->set)
        l->set(l->opaque, l->n, level);
}

/* An edge: high then low (ISA edge-triggered interrupts). */
static inline void irq_pulse(const struct irq_line *l)
{
    irq_set(l, 1);
    irq_set(l, 0);
}

#endif
