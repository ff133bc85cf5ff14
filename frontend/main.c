/*
 * The `popek` program: parse the command line, build the machine, run it.
 */
#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "frontend/chardev.h"
#include "frontend/options.h"
#include "frontend/stats.h"
#include "frontend/version.h"
#include "machine/pc/pc.h"

/* Guest output to a character backend (debug console, serial port). */
static void chardev_sink(void *opaque, const uint8_t *buf, size_t len)
{
    chardev_write(opaque, buf, len);
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
    struct chardev debugcon = {.out_fd = -1, .in_fd = -1};
    struct chardev serial = {.out_fd = -1, .in_fd = -1};
    if ((opts.debugcon && chardev_open(&debugcon, "debugcon", opts.debugcon, &err) < 0) ||
        chardev_open(&serial, "serial", opts.serial, &err) < 0) {
        fprintf(stderr, "popek: %s\n", err);
        g_free(err);
        chardev_close(&debugcon);
        options_free(&opts);
        return 1;
    }
    if (opts.display == DISPLAY_SDL)
        fprintf(stderr, "popek: the SDL window is not implemented yet; running without a "
                        "display\n");

    struct pc_config cfg = {
        .ram_mb = opts.memory_mb,
        .bios = bios,
        .debug_exit = opts.debug_exit,
        .no_reboot = opts.no_reboot,
        .timeout = opts.timeout,
        .debugcon = {chardev_sink, &debugcon},
        .hd = {opts.hd[0], opts.hd[1], opts.hd[2], opts.hd[3]},
        .cdrom = opts.cdrom,
        .fd = {opts.fda, opts.fdb},
        .snapshot = opts.snapshot,
        .boot = opts.boot,
        .kernel = opts.kernel,
        .initrd = opts.initrd,
        .append = opts.append,
        .serial = {chardev_sink, &serial},
        .serial_in_fd = serial.in_fd,
    };
    struct pc *pc = g_new0(struct pc, 1);
    if (pc_init(pc, &cfg, &err) < 0) {
        fprintf(stderr, "popek: %s\n", err);
        g_free(err);
        g_free(pc);
        chardev_close(&debugcon);
        chardev_close(&serial);
        options_free(&opts);
        return 1;
    }
    gint64 start = g_get_monotonic_time();
    int status = pc_run(pc);
    if (opts.stats &&
        stats_save(opts.stats_file, pc, (double)(g_get_monotonic_time() - start) / 1e6, &err) < 0) {
        fprintf(stderr, "popek: %s\n", err);
        g_free(err);
    }
    pc_destroy(pc);
    g_free(pc);
    chardev_close(&debugcon);
    chardev_close(&serial);
    options_free(&opts);
    return status;
}
