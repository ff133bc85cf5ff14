/*
 * The monitor's own door (--monitor): lines read from standard input or
 * from one socket client, run by monitor_run, answered on the same stream.
 * Polled from the run loop between CPU slices, without blocking.
 */
#include "frontend/monitor_server.h"

#include <errno.h>
#include <glib.h>
#include <string.h>
#include <unistd.h>

#include "frontend/listen.h"
#include "frontend/monitor.h"
#include "pc/pc.h"

#define LINE_MAX_BYTES 4096 /* a longer line is dropped whole */
#define SEND_TIMEOUT_S 10   /* a client that stops reading is dropped after this */

static const char banner[] = "popek monitor: 'help' lists the commands\n";

struct monitor_server {
    struct monitor *mon;
    GSocket *listener; /* NULL: stdio */
    GSocket *client;
    int in_fd, out_fd; /* stdio: 0 and 1 (in_fd -1 after end of input) */
    GString *line;
    bool overlong; /* the line being read is too long: dropped at its end */
};

static void send_text(struct monitor_server *s, const char *buf, size_t len)
{
    while (len > 0) {
        gssize n;
        if (s->listener) {
            if (!s->client)
                return;
            n = g_socket_send_with_blocking(s->client, buf, len, TRUE, NULL, NULL);
        } else {
            n = write(s->out_fd, buf, len);
            if (n < 0 && errno == EINTR)
                continue;
        }
        if (n <= 0)
            return; /* the reader is gone: the next read sees it */
        buf += n;
        len -= (size_t)n;
    }
}

static void send_str(struct monitor_server *s, const char *str)
{
    send_text(s, str, strlen(str));
}

static void run_line(struct monitor_server *s)
{
    GString *out = g_string_new(NULL);
    if (s->overlong)
        g_string_append_printf(out, "line too long (more than %d bytes)\n", LINE_MAX_BYTES);
    else
        monitor_run(s->mon, s->line->str, out);
    if (s->mon->pc->stop == PC_STOP_NONE)
        g_string_append(out, "(popek) ");
    send_text(s, out->str, out->len);
    g_string_free(out, TRUE);
    g_string_truncate(s->line, 0);
    s->overlong = false;
}

static void take_bytes(struct monitor_server *s, const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '\n')
            run_line(s);
        else if (buf[i] == '\r')
            continue;
        else if (s->line->len < LINE_MAX_BYTES)
            g_string_append_c(s->line, buf[i]);
        else
            s->overlong = true;
    }
}

static void drop_client(struct monitor_server *s)
{
    g_socket_close(s->client, NULL);
    g_clear_object(&s->client);
    g_string_truncate(s->line, 0);
    s->overlong = false;
}

static void accept_clients(struct monitor_server *s)
{
    GSocket *c;
    while ((c = g_socket_accept(s->listener, NULL, NULL))) {
        if (s->client) {
            static const char busy[] = "popek: the monitor is in use by another client\n";
            g_socket_send(c, busy, sizeof(busy) - 1, NULL, NULL);
            g_socket_close(c, NULL);
            g_object_unref(c);
            continue;
        }
        g_socket_set_timeout(c, SEND_TIMEOUT_S);
        s->client = c;
        send_str(s, banner);
        send_str(s, "(popek) ");
    }
}

static void read_client(struct monitor_server *s)
{
    char buf[1024];
    while (s->client && s->mon->pc->stop == PC_STOP_NONE) {
        GError *error = NULL;
        gssize n = g_socket_receive_with_blocking(s->client, buf, sizeof(buf), FALSE, NULL, &error);
        if (n < 0) {
            bool again = g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
            g_error_free(error);
            if (!again)
                drop_client(s);
            return;
        }
        if (n == 0) {
            drop_client(s);
            return;
        }
        take_bytes(s, buf, (size_t)n);
    }
}

static void read_stdin(struct monitor_server *s)
{
    char buf[1024];
    while (s->in_fd >= 0 && s->mon->pc->stop == PC_STOP_NONE) {
        GPollFD p = {s->in_fd, G_IO_IN, 0};
        if (g_poll(&p, 1, 0) <= 0 || !(p.revents & (G_IO_IN | G_IO_HUP | G_IO_ERR)))
            return;
        ssize_t n = read(s->in_fd, buf, sizeof(buf));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            return;
        if (n <= 0) {
            s->in_fd = -1; /* end of input: the guest runs on */
            return;
        }
        take_bytes(s, buf, (size_t)n);
    }
}

/* The pc poller. */
static void monitor_server_poll(void *opaque, bool paused)
{
    struct monitor_server *s = opaque;
    if (s->listener) {
        accept_clients(s);
        read_client(s);
    } else {
        read_stdin(s);
    }
}

struct monitor_server *monitor_server_create(struct monitor *mon, const char *spec, char **err)
{
    struct monitor_server *s = g_new0(struct monitor_server, 1);
    s->mon = mon;
    s->in_fd = s->out_fd = -1;
    s->line = g_string_new(NULL);
    if (!strcmp(spec, "stdio")) {
        s->in_fd = STDIN_FILENO;
        s->out_fd = STDOUT_FILENO;
    } else if (!(s->listener = listen_socket("monitor", "monitor", spec, true, err))) {
        monitor_server_destroy(s);
        return NULL;
    }
    if (pc_add_poller(mon->pc, monitor_server_poll, s) < 0) {
        *err = g_strdup("--monitor: too many host pollers");
        monitor_server_destroy(s);
        return NULL;
    }
    if (!s->listener) {
        send_str(s, banner);
        send_str(s, "(popek) ");
    }
    return s;
}

void monitor_server_destroy(struct monitor_server *s)
{
    if (!s)
        return;
    if (s->client)
        drop_client(s);
    listen_close(s->listener);
    g_string_free(s->line, TRUE);
    g_free(s);
}
