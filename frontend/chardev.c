/*
 * Character backends: stdio, none and files, with writes that survive
 * EINTR and short writes, and that never kill popek when the reader of its
 * output goes away.
 */
#include "frontend/chardev.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <string.h>
#include <unistd.h>

int chardev_open(struct chardev *cd, const char *opt, const char *spec, char **err)
{
    memset(cd, 0, sizeof(*cd));
    cd->out_fd = cd->in_fd = -1;
    if (!strcmp(spec, "none"))
        return 0;
    if (!strcmp(spec, "stdio")) {
        cd->out_fd = STDOUT_FILENO;
        cd->in_fd = STDIN_FILENO;
        return 0;
    }
    if (g_str_has_prefix(spec, "file:")) {
        const char *path = spec + 5;
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            *err = g_strdup_printf("--%s: cannot write '%s': %s", opt, path, g_strerror(errno));
            return -1;
        }
        cd->out_fd = fd;
        cd->owns_out = 1;
        return 0;
    }
    *err = g_strdup_printf("--%s: '%s' is not a backend this option takes", opt, spec);
    return -1;
}

void chardev_write(struct chardev *cd, const uint8_t *buf, size_t len)
{
    while (cd->out_fd >= 0 && len > 0) {
        ssize_t n = write(cd->out_fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            /* The reader is gone (EPIPE) or the disk is full: stop writing. */
            if (cd->owns_out)
                close(cd->out_fd);
            cd->out_fd = -1;
            return;
        }
        buf += n;
        len -= (size_t)n;
    }
}

void chardev_close(struct chardev *cd)
{
    if (cd->owns_out && cd->out_fd >= 0)
        close(cd->out_fd);
    cd->out_fd = cd->in_fd = -1;
    cd->owns_out = 0;
}
