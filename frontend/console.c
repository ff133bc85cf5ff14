/*
 * The serial console, COM1's host side: raw mode on a terminal, the Ctrl+A
 * escape prefix, the monitor's line editor, the queue of typed bytes COM1
 * has not taken yet (its FIFO holds 16), and the output the backend
 * buffered for a slow reader written out between CPU slices.
 */
#include "frontend/console.h"

#include <glib.h>
#include <string.h>

#include "frontend/chardev.h"
#include "frontend/monitor.h"
#include "frontend/term.h"
#include "pc/pc.h"

#define QUEUE_MAX 4096 /* typed bytes waiting for COM1: reading stops above this */

/* Where a byte from the terminal goes. */
enum console_key_state {
    KEY_NORMAL,
    KEY_ESCAPE, /* after Ctrl+A */
};

/* The monitor's line editor skips the terminal's escape sequences (arrow keys). */
enum console_seq_state { SEQ_NONE, SEQ_ESC, SEQ_CSI };

struct console {
    struct monitor *mon;
    struct chardev *serial;
    bool escapes;    /* the escape prefix is on (a terminal) */
    bool raw;        /* we put the terminal in raw mode */
    bool in_monitor; /* Ctrl+A c: typed lines go to the monitor */
    enum console_key_state key;
    enum console_seq_state seq;
    GByteArray *queue; /* for COM1 */
    GString *line;     /* the monitor line being typed */
};

static const char help_text[] = "\n"
                                "popek console keys:\n"
                                "  Ctrl+A x        quit popek\n"
                                "  Ctrl+A c        switch between the guest and the monitor\n"
                                "  Ctrl+A h        this list\n"
                                "  Ctrl+A Ctrl+A   send Ctrl+A to the guest\n";

static void say(struct console *c, const char *s, size_t len)
{
    chardev_write(c->serial, (const uint8_t *)s, len);
}

static void say_str(struct console *c, const char *s)
{
    say(c, s, strlen(s));
}

static void prompt(struct console *c)
{
    say_str(c, "(popek) ");
}

static void toggle_monitor(struct console *c)
{
    c->in_monitor = !c->in_monitor;
    g_string_truncate(c->line, 0);
    c->seq = SEQ_NONE;
    if (c->in_monitor) {
        say_str(c, "\npopek monitor ('help' lists the commands, Ctrl+A c returns to the guest)\n");
        prompt(c);
    } else {
        say_str(c, "\n[back to the guest]\n");
    }
}

/* The key after Ctrl+A. */
static void escape_key(struct console *c, uint8_t b)
{
    switch (b) {
    case 'x':
    case 'X':
        say_str(c, "\npopek: quit (Ctrl+A x)\n");
        pc_stop(c->mon->pc, PC_STOP_QUIT);
        break;
    case 'c':
    case 'C':
        toggle_monitor(c);
        break;
    case 'h':
    case 'H':
    case '?':
        say_str(c, help_text);
        if (c->in_monitor)
            prompt(c);
        break;
    case CONSOLE_ESCAPE:
        if (c->in_monitor)
            break;
        g_byte_array_append(c->queue, &b, 1);
        break;
    default: /* anything else after the prefix is dropped, as QEMU does */
        break;
    }
}

static void run_line(struct console *c)
{
    say_str(c, "\n");
    GString *out = g_string_new(NULL);
    monitor_run(c->mon, c->line->str, out);
    say(c, out->str, out->len);
    g_string_free(out, TRUE);
    g_string_truncate(c->line, 0);
    if (c->in_monitor && c->mon->pc->stop == PC_STOP_NONE)
        prompt(c);
}

/* A byte typed while the monitor has the keyboard. */
static void monitor_key(struct console *c, uint8_t b)
{
    if (c->seq == SEQ_ESC) { /* ESC [ ... or ESC O x: a cursor key, not for the line */
        c->seq = (b == '[' || b == 'O') ? SEQ_CSI : SEQ_NONE;
        return;
    }
    if (c->seq == SEQ_CSI) {
        if (b >= 0x40 && b <= 0x7e)
            c->seq = SEQ_NONE;
        return;
    }
    if (b == '\r' || b == '\n') {
        run_line(c);
    } else if (b == 0x7f || b == 0x08) { /* Backspace */
        if (c->line->len) {
            g_string_truncate(c->line, c->line->len - 1);
            say_str(c, "\b \b");
        }
    } else if (b == 0x15 || b == 0x03) { /* Ctrl+U, Ctrl+C: drop the line */
        g_string_truncate(c->line, 0);
        say_str(c, b == 0x03 ? "^C\n" : "\n");
        prompt(c);
    } else if (b == 0x1b) {
        c->seq = SEQ_ESC;
    } else if (b >= 0x20 && b < 0x7f && c->line->len < 1024) {
        g_string_append_c(c->line, (char)b);
        say(c, (const char *)&b, 1);
    }
}

void console_input(struct console *c, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t b = buf[i];
        if (c->escapes && c->key == KEY_ESCAPE) {
            c->key = KEY_NORMAL;
            escape_key(c, b);
        } else if (c->escapes && b == CONSOLE_ESCAPE) {
            c->key = KEY_ESCAPE;
        } else if (c->in_monitor) {
            monitor_key(c, b);
        } else {
            g_byte_array_append(c->queue, &b, 1);
        }
    }
}

bool console_in_monitor(const struct console *c)
{
    return c->in_monitor;
}

/* Take what was typed (the terminal, a pipe, the tcp client), as far as the queue has room. */
static void read_input(struct console *c)
{
    while (c->queue->len < QUEUE_MAX) {
        uint8_t buf[256];
        size_t n = chardev_read(c->serial, buf, sizeof(buf));
        if (n == 0)
            return;
        console_input(c, buf, n);
    }
}

/*
 * The pc poller, while the guest runs, halts or pauses: write out the output COM1 left in the
 * backend's buffer, take what was typed, give COM1 what its FIFO takes.
 */
static void console_poll(void *opaque, bool paused)
{
    struct console *c = opaque;
    chardev_poll(c->serial);
    read_input(c);
    if (c->queue->len) {
        size_t took = pc_serial_receive(c->mon->pc, c->queue->data, c->queue->len);
        g_byte_array_remove_range(c->queue, 0, (guint)took);
    }
}

struct console *console_create(struct monitor *mon, struct chardev *serial, bool escapes,
                               char **err)
{
    struct console *c = g_new0(struct console, 1);
    c->mon = mon;
    c->serial = serial;
    c->escapes = escapes;
    c->queue = g_byte_array_new();
    c->line = g_string_new(NULL);
    if (pc_add_poller(mon->pc, console_poll, c) < 0) {
        *err = g_strdup("--serial: too many host pollers");
        console_destroy(c);
        return NULL;
    }
    if (escapes)
        c->raw = term_raw(serial->in_fd);
    return c;
}

void console_destroy(struct console *c)
{
    if (!c)
        return;
    if (c->raw)
        term_restore();
    g_byte_array_free(c->queue, TRUE);
    g_string_free(c->line, TRUE);
    g_free(c);
}
