/*
 * The I/O-port bus: a byte-per-port owner table for constant-time dispatch.
 */
#include "machine/iobus.h"

#include <glib.h>
#include <string.h>

void iobus_init(struct iobus *bus)
{
    memset(bus, 0, sizeof(*bus));
}

int iobus_register(struct iobus *bus, const char *name, uint16_t base, uint32_t count,
                   const struct io_ops *ops, void *opaque)
{
    if (count == 0 || base + count > 0x10000 || bus->nhandlers == IOBUS_MAX_HANDLERS)
        return -1;
    for (uint32_t p = base; p < base + count; p++) {
        if (bus->owner[p])
            return -1;
    }
    unsigned slot = 0;
    while (bus->handlers[slot].ops)
        slot++;
    bus->handlers[slot] = (struct io_handler){name, base, count, ops, opaque};
    bus->nhandlers++;
    memset(&bus->owner[base], (int)(slot + 1), count);
    return 0;
}

void iobus_unregister(struct iobus *bus, uint16_t base)
{
    unsigned idx = bus->owner[base];
    if (!idx || bus->handlers[idx - 1].base != base)
        return;
    struct io_handler *h = &bus->handlers[idx - 1];
    memset(&bus->owner[h->base], 0, h->count);
    memset(h, 0, sizeof(*h));
    bus->nhandlers--;
}

/* The handler that takes the whole access, or NULL when it must be split. */
static struct io_handler *whole_handler(struct iobus *bus, uint16_t port, unsigned size)
{
    unsigned idx = bus->owner[port];
    if (!idx)
        return NULL;
    struct io_handler *h = &bus->handlers[idx - 1];
    if (size != 1 && !(h->ops->sizes & size))
        return NULL;
    if ((uint32_t)(port - h->base) + size > h->count)
        return NULL;
    return h;
}

uint32_t iobus_read(struct iobus *bus, uint16_t port, unsigned size)
{
    g_assert(size == 1 || size == 2 || size == 4);
    struct io_handler *h = whole_handler(bus, port, size);
    if (h) {
        uint32_t v = h->ops->read(h->opaque, port - h->base, size);
        return size == 4 ? v : v & ((1u << (8 * size)) - 1);
    }
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        uint16_t p = (uint16_t)(port + i);
        struct io_handler *b = whole_handler(bus, p, 1);
        uint32_t byte = b ? b->ops->read(b->opaque, p - b->base, 1) & 0xff : 0xff;
        v |= byte << (8 * i);
    }
    return v;
}

void iobus_write(struct iobus *bus, uint16_t port, uint32_t value, unsigned size)
{
    g_assert(size == 1 || size == 2 || size == 4);
    struct io_handler *h = whole_handler(bus, port, size);
    if (h) {
        uint32_t mask = size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
        h->ops->write(h->opaque, port - h->base, value & mask, size);
        return;
    }
    for (unsigned i = 0; i < size; i++) {
        uint16_t p = (uint16_t)(port + i);
        struct io_handler *b = whole_handler(bus, p, 1);
        if (b)
            b->ops->write(b->opaque, p - b->base, (value >> (8 * i)) & 0xff, 1);
    }
}
