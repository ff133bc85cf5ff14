/*
 * Character backends for the guest's byte streams (serial port, debug
 * console): where the bytes a guest writes go, and where the bytes it reads
 * come from. Specs as on the command line: "stdio", "none", "file:PATH".
 */
#ifndef POPEK_FRONTEND_CHARDEV_H
#define POPEK_FRONTEND_CHARDEV_H

#include <stddef.h>
#include <stdint.h>

struct chardev {
    int out_fd;   /* -1: output discarded */
    int in_fd;    /* -1: no input */
    int owns_out; /* close out_fd on chardev_close */
};

/*
 * Open a backend. Returns 0, or -1 with *err a one-line message naming the
 * option (`opt`, without dashes) and the problem.
 */
int chardev_open(struct chardev *cd, const char *opt, const char *spec, char **err);
void chardev_write(struct chardev *cd, const uint8_t *buf, size_t len);
void chardev_close(struct chardev *cd);

#endif
