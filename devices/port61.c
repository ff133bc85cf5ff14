/*
 * System control port B, port 0x61 (see port61.h), after the PC/AT
 * technical reference and the PIIX3 datasheet's NMI status and control
 * register: bits 0-3 read back as written, bit 4 is the DRAM refresh
 * request toggle (here derived from virtual time: it flips every 15.085 us),
 * bit 5 is PIT counter 2's OUT, and bits 6-7 (IOCHK# and SERR# NMI sources)
 * read 0 because no device raises them.
 */
#include "devices/port61.h"

#include <glib.h>

#include "devices/i8254.h"
#include "machine/iobus.h"
#include "machine/machine.h"

struct port61 {
    struct machine *m;
    struct pit *pit; /* counter 2's gate and OUT */
    uint8_t control; /* bits 0-3 as written */
};

void port61_reset(struct port61 *p)
{
    p->control = 0;
    pit_set_gate(p->pit, 2, 0);
}

/* Each access takes an ISA I/O cycle of virtual time (machine/vclock.h). */
static uint32_t port61_read(void *opaque, uint16_t offset, unsigned size)
{
    struct port61 *p = opaque;
    vclock_charge(&p->m->clock, VCLOCK_ISA_IO_NS);
    uint64_t now = vclock_now(&p->m->clock);
    uint8_t v = p->control;
    if ((now / PORT61_REFRESH_NS) & 1)
        v |= PORT61_REFRESH;
    if (pit_get_out(p->pit, 2))
        v |= PORT61_OUT2;
    return v;
}

static void port61_write(void *opaque, uint16_t offset, uint32_t value, unsigned size)
{
    struct port61 *p = opaque;
    vclock_charge(&p->m->clock, VCLOCK_ISA_IO_NS);
    p->control = (uint8_t)value & PORT61_WRITABLE;
    pit_set_gate(p->pit, 2, p->control & PORT61_GATE2);
}

static const struct io_ops port61_ops = {port61_read, port61_write, 0};

struct port61 *port61_create(struct machine *m, struct pit *pit)
{
    struct port61 *p = g_new0(struct port61, 1);
    p->m = m;
    p->pit = pit;
    if (iobus_register(&m->io, "port61", PORT61_PORT, 1, &port61_ops, p) < 0) {
        g_free(p);
        return NULL;
    }
    port61_reset(p);
    return p;
}

void port61_destroy(struct port61 *p)
{
    if (!p)
        return;
    iobus_unregister(&p->m->io, PORT61_PORT);
    g_free(p);
}
