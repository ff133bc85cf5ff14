/*
 * Raw mode for the terminal the serial console runs on, and its restoring
 * on every way out. The settings to restore live in the one static below:
 * a fatal signal's handler can reach nothing else.
 */
#include "frontend/term.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* Signals that end popek without going through main's clean exit. */
static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGQUIT, SIGHUP};
#define N_FATAL (sizeof(fatal_signals) / sizeof(fatal_signals[0]))

/* The terminal in raw mode, its settings before, and the handlers ours replaced. */
static struct {
    volatile sig_atomic_t active;
    int fd;
    struct termios saved;
    struct sigaction old[N_FATAL];
    bool at_exit; /* restore_at_exit is registered */
} term;

void term_restore_from_signal(void)
{
    if (term.active) {
        term.active = 0;
        tcsetattr(term.fd, TCSANOW, &term.saved); /* async-signal-safe (POSIX) */
    }
}

/* Restore the terminal, put back the handler that was there, and let it (or the default) act. */
static void on_fatal_signal(int sig)
{
    term_restore_from_signal();
    for (size_t i = 0; i < N_FATAL; i++) {
        if (fatal_signals[i] == sig)
            sigaction(sig, &term.old[i], NULL);
    }
    /* Delivered when this handler returns (a fault is simply raised again by its instruction). */
    raise(sig);
}

void term_restore(void)
{
    if (!term.active)
        return;
    term_restore_from_signal();
    for (size_t i = 0; i < N_FATAL; i++)
        sigaction(fatal_signals[i], &term.old[i], NULL);
}

static void restore_at_exit(void)
{
    term_restore();
}

bool term_raw(int fd)
{
    struct termios t;
    if (term.active || !isatty(fd) || tcgetpgrp(fd) != getpgrp() || tcgetattr(fd, &t) < 0)
        return false;
    term.saved = t;
    term.fd = fd;
    /*
     * Bytes in as typed (no echo, no line editing, no signal keys, no flow control, no CR
     * translation), 8 bits; output keeps its newline translation, as a serial terminal's user
     * expects a guest's "\n" to start a new line.
     */
    t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
    t.c_cflag |= CS8;
    t.c_oflag |= OPOST;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < N_FATAL; i++)
        sigaction(fatal_signals[i], &sa, &term.old[i]);
    if (!term.at_exit)
        term.at_exit = atexit(restore_at_exit) == 0;
    term.active = 1;
    if (tcsetattr(fd, TCSAFLUSH, &t) < 0) {
        term_restore();
        return false;
    }
    return true;
}
