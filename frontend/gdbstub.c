/*
 * The gdb stub's connection: a listening socket polled from the run loop,
 * one client at a time, and the packet framing of the GDB Remote Serial
 * Protocol (GDB manual, appendix "Remote Protocol": $data#checksum,
 * '+'/'-' acknowledgements, '}' escapes, Ctrl-C as a lone 0x03). What the
 * packets mean is in gdbstub_packets.c.
 */
#include "frontend/gdbstub.h"

#include <glib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>

#include "frontend/gdbstub_internal.h"
#include "frontend/listen.h"
#include "pc/pc.h"

#define SEND_TIMEOUT_S 10 /* a gdb that stops reading is dropped after this */

/* --- hex -------------------------------------------------------------- */

void gdb_hex_append(GString *out, const void *buf, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    const uint8_t *b = buf;
    for (size_t i = 0; i < len; i++) {
        g_string_append_c(out, digits[b[i] >> 4]);
        g_string_append_c(out, digits[b[i] & 15]);
    }
}

int gdb_hex_decode(const char *hex, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = gdb_hex_digit(hex[2 * i]), lo = hi < 0 ? -1 : gdb_hex_digit(hex[2 * i + 1]);
        if (lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

/* --- output ----------------------------------------------------------- */

static void send_raw(struct gdbstub *s, const char *buf, size_t len)
{
    GError *error = NULL;
    while (len > 0 && s->client && !s->drop) {
        gssize n = g_socket_send_with_blocking(s->client, buf, len, TRUE, NULL, &error);
        if (n <= 0) {
            g_clear_error(&error);
            s->drop = true;
            return;
        }
        buf += n;
        len -= (size_t)n;
    }
}

void gdb_send(struct gdbstub *s, const char *data, size_t len)
{
    GString *f = s->last_sent;
    uint8_t sum = 0;
    g_string_truncate(f, 0);
    g_string_append_c(f, '$');
    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        if (c == '$' || c == '#' || c == '}' || c == '*') {
            g_string_append_c(f, '}');
            sum += '}';
            c ^= 0x20;
        }
        g_string_append_c(f, c);
        sum += (uint8_t)c;
    }
    g_string_append_printf(f, "#%02x", sum);
    send_raw(s, f->str, f->len);
}

void gdb_send_str(struct gdbstub *s, const char *str)
{
    gdb_send(s, str, strlen(str));
}

/* --- input ------------------------------------------------------------ */

static void packet_done(struct gdbstub *s, int low)
{
    int high = s->pkt_sum_high;
    s->rx = RX_IDLE;
    if (s->pkt_overflow || high < 0 || low < 0 || (high << 4 | low) != s->pkt_sum) {
        send_raw(s, "-", 1);
        return;
    }
    send_raw(s, "+", 1);
    s->pkt[s->pkt_len] = 0;
    gdb_handle_packet(s, s->pkt, s->pkt_len);
}

static void rx_byte(struct gdbstub *s, uint8_t b)
{
    switch (s->rx) {
    case RX_IDLE:
        if (b == '$') {
            s->rx = RX_DATA;
            s->pkt_len = 0;
            s->pkt_sum = 0;
            s->pkt_overflow = false;
        } else if (b == 0x03) {
            gdb_interrupt(s);
        } else if (b == '-' && s->last_sent->len) {
            send_raw(s, s->last_sent->str, s->last_sent->len);
        } /* '+' and anything else between packets is ignored */
        break;
    case RX_DATA:
        if (b == '#') {
            s->rx = RX_SUM1;
        } else {
            s->pkt_sum += b;
            if (s->pkt_len < GDB_PACKET_MAX)
                s->pkt[s->pkt_len++] = (char)b;
            else
                s->pkt_overflow = true;
        }
        break;
    case RX_SUM1:
        s->pkt_sum_high = gdb_hex_digit((char)b);
        s->rx = RX_SUM2;
        break;
    case RX_SUM2:
        packet_done(s, gdb_hex_digit((char)b));
        break;
    }
}

/* --- the connection --------------------------------------------------- */

static void drop_client(struct gdbstub *s)
{
    g_socket_close(s->client, NULL);
    g_clear_object(&s->client);
    s->drop = false;
    s->running = false;
    gdb_clear_debug_state(s);
    gdb_hold(s, false); /* a detach or a lost gdb lets the guest run */
}

void gdb_hold(struct gdbstub *s, bool hold)
{
    s->pc->debugger_hold = hold;
    pc_set_paused(s->pc, hold);
}

static void accept_clients(struct gdbstub *s)
{
    GSocket *c;
    while ((c = g_socket_accept(s->listener, NULL, NULL))) {
        if (s->client) { /* one gdb at a time */
            g_socket_close(c, NULL);
            g_object_unref(c);
            continue;
        }
        g_socket_set_timeout(c, SEND_TIMEOUT_S);
        g_socket_set_option(c, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
        s->client = c;
        s->rx = RX_IDLE;
        g_string_truncate(s->last_sent, 0);
        /* gdb expects a stopped target when it attaches. */
        gdb_hold(s, true);
        s->running = false;
        g_strlcpy(s->stop_reply, "T05thread:1;", sizeof(s->stop_reply));
    }
}

static void read_input(struct gdbstub *s)
{
    uint8_t buf[4096];
    while (s->client && !s->drop) {
        GError *error = NULL;
        gssize n = g_socket_receive_with_blocking(s->client, (gchar *)buf, sizeof(buf), FALSE, NULL,
                                                  &error);
        if (n < 0) {
            bool again = g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
            g_error_free(error);
            if (!again)
                s->drop = true;
            return;
        }
        if (n == 0) {
            s->drop = true; /* gdb went away */
            return;
        }
        for (gssize i = 0; i < n && !s->drop; i++)
            rx_byte(s, buf[i]);
    }
}

/* The pc poller: between CPU slices, and every few milliseconds while paused. */
static void gdbstub_poll(void *opaque, bool paused)
{
    struct gdbstub *s = opaque;
    (void)paused;
    accept_clients(s);
    if (s->client && s->running && !s->drop)
        gdb_check_stop(s);
    read_input(s);
    if (s->client && s->running && !s->drop)
        gdb_check_stop(s);
    if (s->client && s->drop)
        drop_client(s);
}

/* --- creation --------------------------------------------------------- */

struct gdbstub *gdbstub_create(struct pc *pc, const char *spec, bool wait, char **err)
{
    GSocket *listener = tcp_listen("gdb", spec, "the gdb stub", "controls the guest", err);
    if (!listener)
        return NULL;
    struct gdbstub *s = g_new0(struct gdbstub, 1);
    s->pc = pc;
    s->listener = listener;
    s->pkt = g_malloc(GDB_PACKET_MAX + 1);
    s->last_sent = g_string_new(NULL);
    s->start_us = g_get_monotonic_time();
    g_strlcpy(s->stop_reply, "T05thread:1;", sizeof(s->stop_reply));
    if (pc_add_poller(pc, gdbstub_poll, s) < 0) {
        *err = g_strdup("--gdb: too many host pollers");
        gdbstub_destroy(s, 0);
        return NULL;
    }
    if (wait)
        gdb_hold(s, true); /* before the first instruction */
    return s;
}

void gdbstub_destroy(struct gdbstub *s, int exit_status)
{
    if (!s)
        return;
    if (s->client && s->running) { /* gdb waits for a stop reply: the guest is gone */
        char reply[8];
        g_snprintf(reply, sizeof(reply), "W%02x", exit_status & 0xff);
        gdb_send_str(s, reply);
    }
    if (s->client)
        drop_client(s);
    g_socket_close(s->listener, NULL);
    g_object_unref(s->listener);
    g_string_free(s->last_sent, TRUE);
    g_free(s->pkt);
    g_free(s);
}
