/*
 * Port I/O on a machine's I/O-port bus for the device tests, as the CPU's
 * IN and OUT would do it: one access of 1, 2 or 4 bytes (iobus splits it
 * for devices that take bytes only).
 */
#ifndef POPEK_TESTS_LIB_PORT_IO_H
#define POPEK_TESTS_LIB_PORT_IO_H

#include <stdint.h>

#include "machine/machine.h"

static inline void out8(struct machine *m, uint16_t port, uint8_t v)
{
    iobus_write(&m->io, port, v, 1);
}

static inline uint8_t in8(struct machine *m, uint16_t port)
{
    return (uint8_t)iobus_read(&m->io, port, 1);
}

static inline void out16(struct machine *m, uint16_t port, uint16_t v)
{
    iobus_write(&m->io, port, v, 2);
}

static inline uint16_t in16(struct machine *m, uint16_t port)
{
    return (uint16_t)iobus_read(&m->io, port, 2);
}

static inline void out32(struct machine *m, uint16_t port, uint32_t v)
{
    iobus_write(&m->io, port, v, 4);
}

static inline uint32_t in32(struct machine *m, uint16_t port)
{
    return iobus_read(&m->io, port, 4);
}

/* Two byte reads of one port, low byte first (the 8254's and the 8237's 16-bit registers). */
static inline uint16_t in8_lohi(struct machine *m, uint16_t port)
{
    uint8_t lo = in8(m, port);
    return (uint16_t)(lo | in8(m, port) << 8);
}

#endif
