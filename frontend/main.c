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
#include <unistd.h>

#include "frontend/chardev.h"
#include "frontend/console.h"
#include "frontend/display.h"
#include "frontend/gdbstub.h"
#include "frontend/monitor.h"
#include "frontend/monitor_server.h"
#include "frontend/net.h"
#include "frontend/options.h"
#include "frontend/screenshot.h"
#include "frontend/stats.h"
#include "frontend/term.h"
#include "frontend/version.h"
#include "pc/pc.h"
#include "translator/translator.h"

/*
 * Set by the SIGINT/SIGTERM handler, read by a pc poller. The one piece of
 * mutable global state in popek: a signal handler can reach nothing else.
 */
static volatile sig_atomic_t quit_signal;

/* The first signal asks for a clean stop; the second kills popek, terminal restored. */
static void on_quit_signal(int sig)
{
    if (quit_signal) {
        term_restore_from_signal();
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    quit_signal = sig;
}

/* The pc poller that turns a quit signal into a clean stop (disks flushed, --stats printed). */
static void quit_signal_poll(void *opaque, bool paused)
{
    if (quit_signal)
        pc_stop(opaque, PC_STOP_QUIT);
}

/* Catch SIGINT and SIGTERM; a second one kills popek the usual way. */
static void install_quit_handler(struct pc *pc)
{
    struct sigaction sa = {.sa_handler = on_quit_signal, .sa_flags = SA_NODEFER};
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

/* COM1's output: what the character backend takes without waiting (input: console.c). */
static size_t serial_offer(void *opaque, const uint8_t *buf, size_t len)
{
    return chardev_offer(opaque, buf, len);
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

/* Neither an image nor a kernel nor firmware of the user's own: SeaBIOS finds nothing to boot. */
static bool no_media(const struct popek_options *o)
{
    bool media =
        o->fda || o->fdb || o->hd[0] || o->hd[1] || o->hd[2] || o->hd[3] || o->cdrom || o->kernel;
    return !media && !o->bios;
}

/*
 * Headless with nothing to boot, and no door (gdb, the monitor) to act through: SeaBIOS would
 * retry forever in silence.
 */
static bool nothing_to_boot(const struct popek_options *o)
{
    return o->display == DISPLAY_NONE && no_media(o) && !o->gdb && !o->monitor;
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
        if (opts.help)
            options_print_help(stdout);
        else
            version_print(stdout);
        options_free(&opts);
        return 0;
    case OPTIONS_OK:
        break;
    }

    if (nothing_to_boot(&opts)) {
        fprintf(stderr, "popek: nothing to boot: give an image (popek FILE, or --fda, --hda, "
                        "--cdrom, --kernel)\n");
        options_free(&opts);
        return 1;
    }
    g_autofree char *default_bios = opts.bios ? NULL : firmware_default_bios();
    const char *bios = opts.bios ? opts.bios : default_bios;
    if (!bios) {
        g_autofree char *msg = firmware_no_bios_message();
        fprintf(stderr, "popek: %s\n", msg);
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
    struct monitor mon = {.start_us = g_get_monotonic_time()};
    struct console *console = NULL;
    struct monitor_server *monitor = NULL;
    if ((opts.debugcon && !shared &&
         chardev_open(&own_debugcon, "debugcon", opts.debugcon, &err) < 0) ||
        chardev_open(&serial, "serial", opts.serial, &err) < 0)
        goto out;
    if (opts.net && !(net = net_create(opts.net, &err)))
        goto out;
    struct translator_config tiers = {
        .tier = opts.tier,
        .hot_threshold = opts.tc_threshold,
        .code_size = (size_t)opts.tc_size_mb << 20,
        .perf_map = opts.perf_map,
    };
    /* A window with nothing to boot gets empty drives a dropped image can go into. */
    bool empty_drives = opts.display == DISPLAY_SDL && no_media(&opts);
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
        .empty_drives = empty_drives,
        .boot = empty_drives && !opts.boot ? "adc" : opts.boot,
        .kernel = opts.kernel,
        .initrd = opts.initrd,
        .append = opts.append,
        .serial = {serial_offer, &serial},
        .net = opts.net,
        .net_tx = {net_guest_frame, net},
        .translator = &tiers,
    };
    pc = g_new0(struct pc, 1);
    if (pc_init(pc, &cfg, &err) < 0) {
        g_free(pc); /* pc_init cleaned up after itself */
        pc = NULL;
        goto out;
    }
    if (net && net_attach(net, pc, &err) < 0)
        goto out;
    mon.pc = pc;
    if (!(console = console_create(&mon, &serial, isatty(serial.in_fd), &err)))
        goto out;
    if (opts.monitor && !(monitor = monitor_server_create(&mon, opts.monitor, &err)))
        goto out;
    if (opts.display == DISPLAY_SDL && !(display = display_create(pc, &err)))
        goto out;
    install_quit_handler(pc);
    if (opts.gdb && !(gdb = gdbstub_create(pc, opts.gdb, opts.wait_gdb, &err)))
        goto out;

    gint64 start = g_get_monotonic_time();
    status = pc_run(pc);
    gdbstub_destroy(gdb, status);
    gdb = NULL;
    console_destroy(console); /* the terminal back in its own mode before anything is printed */
    console = NULL;
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
    monitor_server_destroy(monitor);
    console_destroy(console);
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
