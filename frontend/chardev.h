/*
 * Character backends for the guest's byte streams (serial port, debug
 * console): where the bytes a guest writes go, and where the bytes it reads
 * come from. Specs as on the command line: "stdio", "none", "file:PATH",
 * "tcp:HOST:PORT" (popek listens; one client at a time, who may leave and
 * come back; while nobody is connected output is discarded, as on a serial
 * line with nothing plugged in).
 *
 * Output has two ways in. chardev_offer never waits: it writes what the
 * file takes now and keeps up to CHARDEV_BUF_SIZE bytes more, which
 * chardev_poll writes out later (the serial console calls it between CPU
 * slices); what does not fit is refused, so a device with flow control (the
 * UART) holds it. chardev_write takes everything,
 * waiting for a slow reader if it must (the debug console has no flow
 * control). chardev_close writes out what is still buffered.
 */
#ifndef POPEK_FRONTEND_CHARDEV_H
#define POPEK_FRONTEND_CHARDEV_H

#include <gio/gio.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHARDEV_BUF_SIZE 65536

struct chardev {
    int out_fd;        /* -1: output discarded */
    int in_fd;         /* -1: no input */
    int owns_out;      /* close out_fd on chardev_close */
    uint8_t *buf;      /* output out_fd has not taken yet: a ring of CHARDEV_BUF_SIZE */
    size_t head;       /* oldest byte in buf */
    size_t len;        /* bytes in buf */
    GSocket *listener; /* tcp: the listening socket (NULL: not tcp) */
    GSocket *client;   /* tcp: the connected client (NULL: nobody) */
};

/*
 * Open a backend. Returns 0, or -1 with *err a one-line message naming the
 * option (`opt`, without dashes) and the problem.
 */
int chardev_open(struct chardev *cd, const char *opt, const char *spec, char **err);

/* Take what can be taken of buf without waiting; returns how many bytes. */
size_t chardev_offer(struct chardev *cd, const uint8_t *buf, size_t len);

/* Take all of buf, waiting for the reader when it is slow. */
void chardev_write(struct chardev *cd, const uint8_t *buf, size_t len);

/* Host input available now, up to len bytes (0: none yet, or no input). */
size_t chardev_read(struct chardev *cd, uint8_t *buf, size_t len);

/* Without waiting: take a new tcp client, write out buffered output as far as the reader takes it.
 */
void chardev_poll(struct chardev *cd);

void chardev_close(struct chardev *cd);

#endif
