/*
 * The two debugging devices guest tests report through, as QEMU has them:
 * the debug console (a byte written to port 0xE9 or 0x402 is output; a read
 * returns 0xE9 so a guest can detect it) and isa-debug-exit (a write of V
 * to port 0xF4 ends the run with exit status (V << 1) | 1).
 */
#ifndef POPEK_DEVICES_DEBUGDEV_H
#define POPEK_DEVICES_DEBUGDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct iobus;

#define DEBUGCON_PORT     0xe9
#define DEBUGCON_PORT_ALT 0x402
#define DEBUG_EXIT_PORT   0xf4
#define POST_PORT         0x80

struct debugcon {
    void (*write)(void *opaque, const uint8_t *buf, size_t len); /* NULL: discard */
    void *opaque;
};

struct debug_exit {
    bool fired;
    int status;                   /* (value << 1) | 1 once fired */
    void (*notify)(void *opaque); /* told when fired (stops the CPU) */
    void *opaque;
};

/* The POST code port 0x80: keeps the last code written (BIOSes also use it as a delay). */
struct post_port {
    uint8_t last;
};

int debugcon_init(struct debugcon *d, struct iobus *io);
int post_port_init(struct post_port *p, struct iobus *io);
int debug_exit_init(struct debug_exit *d, struct iobus *io);

#endif
