/*
 * The serial console, COM1's host side on any --serial backend: what comes
 * in (typed on the terminal, from a pipe, from a tcp client) goes to COM1;
 * the output the backend buffered for a slow reader is written out between
 * CPU slices. On a terminal (--serial=stdio) it runs in raw mode, with an
 * escape prefix as QEMU users know it:
 *
 *   Ctrl+A x        quit popek
 *   Ctrl+A c        switch between the guest and the monitor
 *   Ctrl+A h        list these keys
 *   Ctrl+A Ctrl+A   send Ctrl+A to the guest
 *
 * In the monitor, a line typed (with Backspace, Ctrl+U, Ctrl+C to drop it)
 * runs a monitor command. Input that is not a terminal goes to the guest
 * as it is, without the escape prefix.
 */
#ifndef POPEK_FRONTEND_CONSOLE_H
#define POPEK_FRONTEND_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct chardev;
struct monitor;
struct console;

#define CONSOLE_ESCAPE 0x01 /* Ctrl+A */

/*
 * Take over the input of `serial` for COM1, and the writing out of its
 * buffered output, with a pc poller on the monitor's pc. `escapes`: the
 * escape prefix and raw mode, for a terminal. NULL with *err when the
 * poller cannot be added.
 */
struct console *console_create(struct monitor *mon, struct chardev *serial, bool escapes,
                               char **err);
void console_destroy(struct console *c);

/* What a key press does (the poller's work, for tests): bytes read from the terminal. */
void console_input(struct console *c, const uint8_t *buf, size_t len);

/* Whether the monitor has the keyboard (Ctrl+A c). */
bool console_in_monitor(const struct console *c);

#endif
