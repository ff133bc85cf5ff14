/*
 * Port 0x92 (see port92.h).
 */
#include "devices/port92.h"

#include <glib.h>

#include "machine/machine.h"

#define PORT92    0x92
#define P92_RESET 0x01 /* write 1: reset the CPU (the bit reads back as written) */
#define P92_A20   0x02 /* A20 gate */

struct port92 {
    struct machine *m;
    struct port92_callbacks cb;
    uint8_t value; /* bits 0-1 as last written; others read 0 */
};

static uint32_t p92_read(void *opaque, uint16_t off, unsigned size)
{
    struct port92 *p = opaque;
    return p->value;
}

static void p92_write(void *opaque, uint16_t off, uint32_t v, unsigned size)
{
    struct port92 *p = opaque;
    uint8_t old = p->value;
    p->value = (uint8_t)(v & (P92_RESET | P92_A20));
    if ((old ^ p->value) & P92_A20 && p->cb.set_a20)
        p->cb.set_a20(p->cb.opaque, p->value & P92_A20);
    if ((p->value & P92_RESET) && !(old & P92_RESET) && p->cb.reset)
        p->cb.reset(p->cb.opaque);
}

static const struct io_ops p92_ops = {p92_read, p92_write, 0};

struct port92 *port92_create(struct machine *m, const struct port92_callbacks *cb)
{
    struct port92 *p = g_new0(struct port92, 1);
    p->m = m;
    p->cb = *cb;
    if (iobus_register(&m->io, "port92", PORT92, 1, &p92_ops, p) < 0)
        g_error("port 0x92 is taken");
    return p;
}

void port92_reset(struct port92 *p)
{
    p->value = 0;
}

void port92_destroy(struct port92 *p)
{
    if (!p)
        return;
    iobus_unregister(&p->m->io, PORT92);
    g_free(p);
}
