/*
 * Debug console and isa-debug-exit (see debugdev.h).
 */
#include "devices/debugdev.h"

#include "machine/iobus.h"

static uint32_t debugcon_read(void *opaque, uint16_t port, unsigned size)
{
    return DEBUGCON_PORT; /* QEMU's readback value: "a debug console is here" */
}

static void debugcon_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct debugcon *d = opaque;
    uint8_t byte = (uint8_t)value; /* wider writes output their low byte, as in QEMU */
    if (d->write)
        d->write(d->opaque, &byte, 1);
}

static const struct io_ops debugcon_ops = {debugcon_read, debugcon_write, IO_SIZE_2 | IO_SIZE_4};

int debugcon_init(struct debugcon *d, struct iobus *io)
{
    if (iobus_register(io, "debugcon", DEBUGCON_PORT, 1, &debugcon_ops, d) < 0 ||
        iobus_register(io, "debugcon", DEBUGCON_PORT_ALT, 1, &debugcon_ops, d) < 0)
        return -1;
    return 0;
}

static uint32_t debug_exit_read(void *opaque, uint16_t port, unsigned size)
{
    return 0xffffffffu;
}

static void debug_exit_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct debug_exit *d = opaque;
    if (d->fired)
        return;
    d->fired = true;
    d->status = (int)(((value & 0xff) << 1) | 1);
    if (d->notify)
        d->notify(d->opaque);
}

static const struct io_ops debug_exit_ops = {debug_exit_read, debug_exit_write,
                                             IO_SIZE_2 | IO_SIZE_4};

int debug_exit_init(struct debug_exit *d, struct iobus *io)
{
    return iobus_register(io, "debug-exit", DEBUG_EXIT_PORT, 4, &debug_exit_ops, d);
}

static uint32_t post_read(void *opaque, uint16_t port, unsigned size)
{
    struct post_port *p = opaque;
    return p->last;
}

static void post_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct post_port *p = opaque;
    p->last = (uint8_t)value;
}

static const struct io_ops post_ops = {post_read, post_write, 0};

int post_port_init(struct post_port *p, struct iobus *io)
{
    p->last = 0;
    return iobus_register(io, "post", POST_PORT, 1, &post_ops, p);
}
