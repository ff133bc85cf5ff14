/*
 * Character backends: stdio, none, files and a TCP port, with a buffer so
 * that a device with flow control never waits for a slow reader, writes
 * that survive EINTR and short writes, and output that stops (rather than
 * killing popek) when the reader goes away. A TCP client that goes away
 * leaves the port listening for the next one.
 *
 * Nothing here makes a file descriptor non-blocking: stdin and stdout are
 * shared with the shell. A write that must not wait is preceded by poll()
 * and is at most PIPE_BUF bytes, which a pipe that polls writable takes
 * whole (POSIX write(), "Pipes and FIFOs").
 */
#include "frontend/chardev.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "frontend/listen.h"

#define CLIENT_SEND_TIMEOUT_S 5 /* a waiting write to a client that stopped reading gives up */

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
        /* Never wait in open (a named pipe without a reader); then ordinary writes. */
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0644);
        if (fd < 0) {
            *err = g_strdup_printf("--%s: cannot write '%s': %s", opt, path, g_strerror(errno));
            return -1;
        }
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        cd->out_fd = fd;
        cd->owns_out = 1;
        return 0;
    }
    if (g_str_has_prefix(spec, "tcp:")) {
        cd->listener = listen_socket(opt, "serial console", spec, false, err);
        return cd->listener ? 0 : -1;
    }
    *err = g_strdup_printf("--%s: '%s' is not a backend this option takes", opt, spec);
    return -1;
}

/* --- the tcp client --------------------------------------------------- */

/* Take a waiting client when nobody is connected; others wait in the backlog. */
static void accept_client(struct chardev *cd)
{
    if (!cd->listener || cd->client)
        return;
    cd->client = g_socket_accept(cd->listener, NULL, NULL);
    if (!cd->client)
        return;
    g_socket_set_blocking(cd->client, FALSE);
    g_socket_set_timeout(cd->client, CLIENT_SEND_TIMEOUT_S);
    cd->head = cd->len = 0; /* the new client starts with what the guest writes from now on */
}

static void drop_client(struct chardev *cd)
{
    g_socket_close(cd->client, NULL);
    g_clear_object(&cd->client);
    cd->len = 0;
}

/* --- output ----------------------------------------------------------- */

/* The reader is gone (EPIPE) or the disk is full: discard output from now on (tcp: until the next
 * client). */
static void drop_output(struct chardev *cd)
{
    if (cd->client) {
        drop_client(cd);
        return;
    }
    if (cd->owns_out)
        close(cd->out_fd);
    cd->out_fd = -1;
    cd->len = 0;
}

/* Where output goes now: a file descriptor or a tcp client. */
static bool has_output(const struct chardev *cd)
{
    return cd->client || cd->out_fd >= 0;
}

/* One write to the client: bytes sent, 0 when it would wait, -1 when the client is gone. */
static ssize_t send_client(struct chardev *cd, const uint8_t *buf, size_t len, bool wait)
{
    GError *error = NULL;
    gssize n = g_socket_send_with_blocking(cd->client, (const gchar *)buf, len, wait, NULL, &error);
    if (n >= 0)
        return n;
    bool again = !wait && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
    g_error_free(error);
    return again ? 0 : -1;
}

/* Whether out_fd takes a write now without waiting (a pipe: PIPE_BUF bytes). */
static bool out_writable(const struct chardev *cd)
{
    struct pollfd p = {.fd = cd->out_fd, .events = POLLOUT};
    int r;
    do
        r = poll(&p, 1, 0);
    while (r < 0 && errno == EINTR);
    return r > 0; /* POLLERR and POLLHUP too: the write then fails and drops the output */
}

/* Write up to len bytes; waiting or not. Returns the bytes written (all when dropped). */
static size_t write_some(struct chardev *cd, const uint8_t *buf, size_t len, bool wait)
{
    size_t done = 0;
    while (cd->client && done < len) {
        ssize_t n = send_client(cd, buf + done, len - done, wait);
        if (n < 0) {
            drop_output(cd);
            return len;
        }
        if (n == 0)
            return done;
        done += (size_t)n;
    }
    while (cd->out_fd >= 0 && done < len) {
        if (!wait && !out_writable(cd))
            break;
        size_t chunk = wait ? len - done : MIN(len - done, PIPE_BUF);
        ssize_t n = write(cd->out_fd, buf + done, chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && !wait && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0) {
            drop_output(cd);
            return len;
        }
        done += (size_t)n;
    }
    return has_output(cd) ? done : len;
}

/* Write out the buffer, waiting or not; true when it is empty. */
static bool flush_buffer(struct chardev *cd, bool wait)
{
    while (cd->len > 0 && has_output(cd)) {
        size_t chunk = MIN(cd->len, CHARDEV_BUF_SIZE - cd->head);
        size_t n = write_some(cd, cd->buf + cd->head, chunk, wait);
        if (!has_output(cd))
            break;
        cd->head = (cd->head + n) % CHARDEV_BUF_SIZE;
        cd->len -= n;
        if (n < chunk)
            return false;
    }
    return cd->len == 0;
}

size_t chardev_offer(struct chardev *cd, const uint8_t *buf, size_t len)
{
    if (!has_output(cd))
        return len;
    if (!cd->buf)
        cd->buf = g_malloc(CHARDEV_BUF_SIZE);
    /* Bytes collect in the buffer and leave in big writes (chardev_poll, or when full). */
    if (cd->len + len > CHARDEV_BUF_SIZE)
        flush_buffer(cd, false);
    if (!has_output(cd))
        return len;
    size_t n = MIN(len, CHARDEV_BUF_SIZE - cd->len);
    for (size_t i = 0; i < n; i++)
        cd->buf[(cd->head + cd->len + i) % CHARDEV_BUF_SIZE] = buf[i];
    cd->len += n;
    return n;
}

void chardev_write(struct chardev *cd, const uint8_t *buf, size_t len)
{
    flush_buffer(cd, true); /* what was offered before goes first */
    write_some(cd, buf, len, true);
}

void chardev_poll(struct chardev *cd)
{
    accept_client(cd);
    flush_buffer(cd, false);
}

/* --- input ------------------------------------------------------------ */

/* Input from the tcp client; a closed connection makes room for the next client. */
static size_t receive_client(struct chardev *cd, uint8_t *buf, size_t len)
{
    GError *error = NULL;
    gssize n = g_socket_receive_with_blocking(cd->client, (gchar *)buf, len, FALSE, NULL, &error);
    if (n > 0)
        return (size_t)n;
    bool again = n < 0 && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
    g_clear_error(&error);
    if (!again)
        drop_client(cd);
    return 0;
}

size_t chardev_read(struct chardev *cd, uint8_t *buf, size_t len)
{
    if (len == 0)
        return 0;
    if (cd->listener) {
        accept_client(cd);
        return cd->client ? receive_client(cd, buf, len) : 0;
    }
    if (cd->in_fd < 0)
        return 0;
    struct pollfd p = {.fd = cd->in_fd, .events = POLLIN};
    if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLHUP | POLLERR)))
        return 0;
    ssize_t n = read(cd->in_fd, buf, len);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 0;
    if (n <= 0) {
        cd->in_fd = -1; /* end of input */
        return 0;
    }
    return (size_t)n;
}

void chardev_close(struct chardev *cd)
{
    flush_buffer(cd, true);
    if (cd->client)
        drop_client(cd);
    listen_close(cd->listener);
    cd->listener = NULL;
    if (cd->owns_out && cd->out_fd >= 0)
        close(cd->out_fd);
    g_free(cd->buf);
    cd->buf = NULL;
    cd->len = cd->head = 0;
    cd->out_fd = cd->in_fd = -1;
    cd->owns_out = 0;
}
