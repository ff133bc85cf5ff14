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
 *   Q  quit
 *
 * Everything here runs on the thread that runs the machine (a pc poller),
 * the only thread that touches SDL. SDL is initialised by display_create
 * and shut down by display_destroy, never for --display=none.
 */
#ifndef POPEK_FRONTEND_DISPLAY_H
#define POPEK_FRONTEND_DISPLAY_H

struct pc;
struct display;

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
