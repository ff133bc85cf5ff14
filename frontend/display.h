/*
 * The desktop window (--display=sdl): the guest screen drawn from the VGA
 * at the display's refresh rate (at most 60 Hz), scaled to the window with
 * the aspect ratio a monitor would show, the host keyboard and mouse fed
 * to the PS/2 devices, and the host shortcuts under Ctrl+Alt:
 *
 *   G  release the mouse          F  fullscreen on/off
 *   P  pause / resume             R  reset the guest
 *   S  screenshot (popek-screenshot-N.png in the current directory)
 *   I  integer scaling on/off     End  send Ctrl+Alt+Del to the guest
 *   O  statistics overlay on/off  Q  quit
 *
 * The title shows the guest's state, its speed and the translation cache's
 * hit rate over the last second; the overlay shows what --stats prints
 * (without the text screen), refreshed every second.
 *
 * Everything here runs on the thread that runs the machine (a pc poller),
 * the only thread that touches SDL. SDL is initialised by display_create
 * and shut down by display_destroy, never for --display=none.
 */
#ifndef POPEK_FRONTEND_DISPLAY_H
#define POPEK_FRONTEND_DISPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pc;
struct display;

/* What the title says, measured over the last second. */
struct display_status {
    const char *state;   /* display_state_name */
    double mips;         /* millions of guest instructions a second */
    uint64_t tc_lookups; /* translation-cache lookups (0: no hit rate shown) */
    uint64_t tc_hits;    /* and hits */
    bool grabbed;        /* the guest has the mouse: say how to get it back */
};

/*
 * The guest's state as the title says it: "waiting for gdb" while a
 * debugger holds it, else "paused", "halted" (in HLT for most of the last
 * measurement, even if timer interrupts woke it) or "running".
 */
const char *display_state_name(bool debugger_hold, bool paused, bool idle);

/*
 * Whether a guest counts as halted over a measurement: the window's poller, which runs between
 * CPU slices and every few milliseconds while the CPU sits in HLT, found it halted at least 9
 * times in 10. A DOS prompt waiting in HLT between timer ticks is halted; a busy loop is not.
 */
bool display_mostly_halted(unsigned polls, unsigned halted_polls);

/*
 * The title for `s`, parts separated by `dash`, in out[size]:
 * "popek - running - 153.2 MIPS, tc 99.1% - Ctrl+Alt+G releases the mouse".
 * The hit rate is rounded down to a tenth of a percent.
 */
void display_format_title(char *out, size_t size, const struct display_status *s, const char *dash);

/* Open the window and register its poller on `pc`. NULL, with *err a one-line message, on error. */
struct display *display_create(struct pc *pc, char **err);

/*
 * Draw the current guest screen into the window and save what the window
 * shows (at its pixel size) as a PNG: for tests of the whole path from the
 * VGA to the window. 0, or -1 with *err.
 */
int display_save_window(struct display *d, const char *path, char **err);

/* Close the window and shut SDL down. Call after pc_run has returned. */
void display_destroy(struct display *d);

#endif
