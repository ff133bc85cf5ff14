/*
 * System control port A at 0x92 (PS/2 "fast A20 and reset", PIIX3
 * datasheet §4.7.x): bit 1 gates A20, writing 1 to bit 0 resets the CPU.
 */
#ifndef POPEK_DEVICES_PORT92_H
#define POPEK_DEVICES_PORT92_H

#include <stdbool.h>

struct machine;

struct port92_callbacks {
    void (*set_a20)(void *opaque, bool on);
    void (*reset)(void *opaque);
    void *opaque;
};

struct port92;

struct port92 *port92_create(struct machine *m, const struct port92_callbacks *cb);
void port92_destroy(struct port92 *p);
void port92_reset(struct port92 *p);

#endif
