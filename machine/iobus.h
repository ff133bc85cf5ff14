/*
 * The x86 I/O-port space: 65536 byte-wide ports. Devices claim port ranges;
 * 2- and 4-byte accesses reach a device whole when it says it takes that
 * size and the whole access lies in its range, else byte by byte (as the
 * ISA bus splits a 16-bit OUT to an 8-bit device). Unclaimed ports read as
 * all ones and ignore writes, as on a real PC.
 */
#ifndef POPEK_MACHINE_IOBUS_H
#define POPEK_MACHINE_IOBUS_H

#include <stdint.h>

/* Port offsets are relative to the range base. Every device takes 1 byte. */
struct io_ops {
    uint32_t (*read)(void *opaque, uint16_t offset, unsigned size);
    void (*write)(void *opaque, uint16_t offset, uint32_t value, unsigned size);
    unsigned sizes; /* IO_SIZE_2 | IO_SIZE_4: wider accesses taken whole */
};

#define IO_SIZE_2          (1u << 1)
#define IO_SIZE_4          (1u << 2)
#define IOBUS_MAX_HANDLERS 255

struct io_handler {
    const char *name;
    uint16_t base;
    uint32_t count;
    const struct io_ops *ops;
    void *opaque;
};

struct iobus {
    uint8_t owner[65536]; /* handler index + 1 per port, 0 = unclaimed */
    struct io_handler handlers[IOBUS_MAX_HANDLERS];
    unsigned nhandlers;
};

void iobus_init(struct iobus *bus);

/*
 * Claim ports [base, base+count). Returns 0, or -1 when the range is empty,
 * runs past port 0xFFFF, overlaps a claimed port, or the bus is full.
 */
int iobus_register(struct iobus *bus, const char *name, uint16_t base, uint32_t count,
                   const struct io_ops *ops, void *opaque);

/* Give up the ports a device claimed at `base` (hot-unplug, BAR moves). */
void iobus_unregister(struct iobus *bus, uint16_t base);

uint32_t iobus_read(struct iobus *bus, uint16_t port, unsigned size);
void iobus_write(struct iobus *bus, uint16_t port, uint32_t value, unsigned size);

#endif
