/*
 * The `popek` program: parse the command line, build the machine, run it
 * (with the window, or headless), and on the way out save the screenshot
 * and the statistics. Ctrl+C (SIGINT) and SIGTERM stop the run cleanly.
 */
#include <errno.h>
#include <glib.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/chardev.h"
#include "frontend/display.h"
#include "frontend/gdbstub.h"
#include "frontend/net.h"
#include "frontend/options.h"
#include "frontend/screenshot.h"
#include "frontend/stats.h"
#include "frontend/version.h"
#include "pc/pc.h"

/*
 * Set by the SIGINT/SIGTERM handler, read by a pc poller. The one piece of
 * mutable global state in popek: a signal handler can reach nothing else.
 */
static volatile sig_atomic_t quit_signal;

static void on_quit_signal(int sig)
{
    quit_signal = sig;
}

/* The pc poller that turns a quit signal into a clean stop (disks flushed, --stats printed). */
static void quit_signal_poll(void *opaque, bool paused)
{
    if (quit_signal)
        pc_stop(opaque, PC_STOP_QUIT);
}

/* Catch SIGINT and SIGTERM once; a second one kills popek the usual way. */
static void install_quit_handler(struct pc *pc)
{
    struct sigaction sa = {.sa_handler = on_quit_signal, .sa_flags = SA_RESETHAND};
    sigemptyset(&sa.sa_mask);
    if (pc_add_poller(pc, quit_signal_poll, pc) < 0)
        return;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* The screen at exit: --screenshot, or the window's contents for the window's tests. */
static void save_final_screen(const struct popek_options *opts, struct pc *pc,
                              struct display *display)
{
    const char *window_shot = display ? g_getenv("POPEK_TEST_SCREENSHOT_AT_EXIT") : NULL;
    char *err = NULL;
    int ret = 0;
    if (opts->screenshot)
        ret = screenshot_save(pc->vga, opts->screenshot, &err);
    else if (window_shot && *window_shot)
        ret = display_save_window(display, window_shot, &err);
    if (ret < 0) {
        fprintf(stderr, "popek: --screenshot: %s\n", err);
        g_free(err);
    }
}

/* Debug console output: it has no flow control, so it takes everything. */
static void chardev_sink(void *opaque, const uint8_t *buf, size_t len)
{
    chardev_write(opaque, buf, len);
}

/* COM1's backend: takes what the character backend takes without waiting. */
static size_t serial_offer(void *opaque, const uint8_t *buf, size_t len)
{
    return chardev_offer(opaque, buf, len);
}

static size_t serial_read(void *opaque, uint8_t *buf, size_t len)
{
    return chardev_read(opaque, buf, len);
}

/* The pc poller that writes out buffered serial output while the guest runs, halts or pauses. */
static void serial_poll(void *opaque, bool paused)
{
    chardev_poll(opaque);
}

/* Whether a window can be opened: the --display default. */
static bool display_available(void)
{
#ifdef __APPLE__
    return true;
#else
    return g_getenv("DISPLAY") || g_getenv("WAYLAND_DISPLAY");
#endif
}

int main(int argc, char **argv)
{
    struct popek_options opts;
    char *err = NULL;
    setlocale(LC_CTYPE, "");  /* the user's character set, for the window title; numbers stay "C" */
    signal(SIGPIPE, SIG_IGN); /* a reader of our output that goes away is an EPIPE, not death */
    switch (options_parse(argc, argv, &opts, display_available(), &err)) {
    case OPTIONS_ERROR:
        fprintf(stderr, "popek: %s\n", err);
        g_free(err);
        options_free(&opts);
        return 1;
    case OPTIONS_EXIT:
        version_print(stdout);
        options_free(&opts);
        return 0;
    case OPTIONS_OK:
        break;
    }

    const char *bios = opts.bios ? opts.bios : firmware_default_bios();
    if (!bios) {
        fprintf(stderr, "popek: no BIOS image: install SeaBIOS (Debian: seabios, or run "
                        "scripts/install-deps) or give --bios=FILE\n");
        options_free(&opts);
        return 1;
    }
    /* Everything below is undone at `out`, in reverse order; status 1 until the guest runs. */
    int status = 1;
    struct chardev own_debugcon = {.out_fd = -1, .in_fd = -1};
    struct chardev serial = {.out_fd = -1, .in_fd = -1};
    /* Both on stdio: one backend, so that their output keeps its order. */
    bool shared = opts.debugcon && !strcmp(opts.debugcon, "stdio") && !strcmp(opts.serial, "stdio");
    struct chardev *debugcon = shared ? &serial : &own_debugcon;
    struct net *net = NULL;
    struct pc *pc = NULL;
    struct display *display = NULL;
    struct gdbstub *gdb = NULL;
    if ((opts.debugcon && !shared &&
         chardev_open(&own_debugcon, "debugcon", opts.debugcon, &err) < 0) ||
        chardev_open(&serial, "serial", opts.serial, &err) < 0)
        goto out;
    if (opts.net && !(net = net_create(opts.net, &err)))
        goto out;
    struct pc_config cfg = {
        .ram_mb = opts.memory_mb,
        .bios = bios,
        .debug_exit = opts.debug_exit,
        .no_reboot = opts.no_reboot,
        .timeout = opts.timeout,
        .debugcon = {chardev_sink, debugcon},
        .hd = {opts.hd[0], opts.hd[1], opts.hd[2], opts.hd[3]},
        .cdrom = opts.cdrom,
        .fd = {opts.fda, opts.fdb},
        .snapshot = opts.snapshot,
        .boot = opts.boot,
        .kernel = opts.kernel,
        .initrd = opts.initrd,
        .append = opts.append,
        .serial = {serial_offer, serial_read, &serial},
        .net = opts.net,
        .net_tx = {net_guest_frame, net},
    };
    pc = g_new0(struct pc, 1);
    if (pc_init(pc, &cfg, &err) < 0) {
        g_free(pc); /* pc_init cleaned up after itself */
        pc = NULL;
        goto out;
    }
    if (net && net_attach(net, pc, &err) < 0)
        goto out;
    if (opts.display == DISPLAY_SDL && !(display = display_create(pc, &err)))
        goto out;
    install_quit_handler(pc);
    if (pc_add_poller(pc, serial_poll, &serial) < 0) {
        err = g_strdup("--serial: too many host pollers");
        goto out;
    }
    if (opts.gdb && !(gdb = gdbstub_create(pc, opts.gdb, opts.wait_gdb, &err)))
        goto out;

    gint64 start = g_get_monotonic_time();
    status = pc_run(pc);
    gdbstub_destroy(gdb, status);
    gdb = NULL;
    save_final_screen(&opts, pc, display);
    if (opts.stats &&
        stats_save(opts.stats_file, pc, (double)(g_get_monotonic_time() - start) / 1e6, &err) < 0) {
        fprintf(stderr, "popek: %s\n", err);
        g_free(err);
        err = NULL;
    }

out:
    if (err) {
        fprintf(stderr, "popek: %s\n", err);
        g_free(err);
    }
    if (gdb)
        gdbstub_destroy(gdb, status);
    display_destroy(display);
    if (pc) {
        pc_destroy(pc);
        g_free(pc);
    }
    net_destroy(net);
    chardev_close(&serial);
    chardev_close(&own_debugcon);
    options_free(&opts);
    return status;
}
