/*
 * The host terminal in raw mode while a guest's serial console uses it:
 * no echo, no line editing, no signals from Ctrl+C or Ctrl+Z, so every key
 * reaches the guest. The terminal's own settings come back on every way
 * out: term_restore, exit(), a fatal signal, and the second Ctrl+C or
 * SIGTERM that kills popek at once (main.c calls term_restore_from_signal).
 */
#ifndef POPEK_FRONTEND_TERM_H
#define POPEK_FRONTEND_TERM_H

#include <stdbool.h>

/*
 * Put the terminal on `fd` in raw mode when it is one and popek is in its
 * foreground (a background popek would be stopped by SIGTTOU). Returns
 * true when it did.
 */
bool term_raw(int fd);

/* Give the terminal its settings back (nothing when term_raw did nothing). */
void term_restore(void);

/* The same, async-signal-safe: for signal handlers that are about to kill popek. */
void term_restore_from_signal(void);

#endif
