/*
 * Command-line parsing and validation for `popek`. GOption does the
 * GNU-style parsing; every value is then checked here so that a user gets
 * one line naming the option, the value and what is wrong with it.
 */
#include "frontend/options.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frontend/image_kind.h"
#include "frontend/net.h"
#include "machine/machine.h"
#include "translator/translator.h"

#define TC_SIZE_MAX_MB   2048    /* --tc-size: the host code buffer, at most 2 GiB */
#define TC_THRESHOLD_MAX 1000000 /* --tc-threshold: runs of a block, at most */

static gboolean parse_memory(const char *name, const char *value, gpointer data, GError **error)
{
    struct popek_options *o = data;
    char *end;
    errno = 0;
    guint64 n = g_ascii_strtoull(value, &end, 10);
    if (end == value || errno) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "%s: '%s' is not a size in MiB", name, value);
        return FALSE;
    }
    if (!g_ascii_strcasecmp(end, "g") || !g_ascii_strcasecmp(end, "gb") ||
        !g_ascii_strcasecmp(end, "gib")) {
        n = n > G_MAXUINT32 ? n : n * 1024;
    } else if (*end && g_ascii_strcasecmp(end, "m") && g_ascii_strcasecmp(end, "mb") &&
               g_ascii_strcasecmp(end, "mib")) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "%s: '%s' is not a size in MiB", name, value);
        return FALSE;
    }
    if (n < MACHINE_RAM_MIN_MB || n > MACHINE_RAM_MAX_MB) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "%s: %s is out of range (%u to %u MiB)", name, value, MACHINE_RAM_MIN_MB,
                    MACHINE_RAM_MAX_MB);
        return FALSE;
    }
    o->memory_mb = (uint32_t)n;
    return TRUE;
}

static gboolean parse_display(const char *name, const char *value, gpointer data, GError **error)
{
    struct popek_options *o = data;
    if (!strcmp(value, "sdl")) {
        o->display = DISPLAY_SDL;
    } else if (!strcmp(value, "none")) {
        o->display = DISPLAY_NONE;
    } else {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "%s: '%s' is not a display (sdl or none)", name, value);
        return FALSE;
    }
    return TRUE;
}

static gboolean parse_stats(const char *name, const char *value, gpointer data, GError **error)
{
    struct popek_options *o = data;
    o->stats = true;
    g_free(o->stats_file);
    o->stats_file = value && *value ? g_strdup(value) : NULL;
    return TRUE;
}

static gboolean parse_perf_map(const char *name, const char *value, gpointer data, GError **error)
{
    struct popek_options *o = data;
    g_free(o->perf_map);
    o->perf_map =
        value && *value ? g_strdup(value) : g_strdup_printf("/tmp/perf-%d.map", (int)getpid());
    return TRUE;
}

static gboolean parse_timeout(const char *name, const char *value, gpointer data, GError **error)
{
    struct popek_options *o = data;
    char *end;
    double t = g_ascii_strtod(value, &end);
    if (end == value || *end || !(t > 0) || t > 1e9) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "%s: '%s' is not a positive number of seconds", name, value);
        return FALSE;
    }
    o->timeout = t;
    return TRUE;
}

/*
 * A decimal number from `min` to `max`, digits only (no sign, no suffix).
 * `what` says what the number is, for the message: "a size in MiB".
 */
static gboolean parse_bounded(const char *name, const char *value, guint64 min, guint64 max,
                              const char *what, guint64 *out, GError **error)
{
    char *end = NULL;
    errno = 0;
    guint64 n = g_ascii_isdigit(*value) ? g_ascii_strtoull(value, &end, 10) : 0;
    if (!g_ascii_isdigit(*value) || *end) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s: '%s' is not %s", name,
                    value, what);
        return FALSE;
    }
    if (errno || n < min || n > max) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "%s: %s is out of range (%" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT ")", name,
                    value, min, max);
        return FALSE;
    }
    *out = n;
    return TRUE;
}

static gboolean parse_tier(const char *name, const char *value, gpointer data, GError **error)
{
    struct popek_options *o = data;
    if (strcmp(value, "0") && strcmp(value, "1")) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "%s: '%s' is not a tier (0 or 1)", name, value);
        return FALSE;
    }
    o->tier = value[0] == '1';
    return TRUE;
}

static gboolean parse_tc_size(const char *name, const char *value, gpointer data, GError **error)
{
    struct popek_options *o = data;
    guint64 n;
    if (!parse_bounded(name, value, 1, TC_SIZE_MAX_MB, "a size in MiB", &n, error))
        return FALSE;
    o->tc_size_mb = (uint32_t)n;
    return TRUE;
}

static gboolean parse_tc_threshold(const char *name, const char *value, gpointer data,
                                   GError **error)
{
    struct popek_options *o = data;
    guint64 n;
    if (!parse_bounded(name, value, 0, TC_THRESHOLD_MAX, "a number of runs", &n, error))
        return FALSE;
    o->tc_threshold = (unsigned)n;
    return TRUE;
}

/*
 * What is not a regular file, as the one line names it, or NULL for a
 * regular file. `output` also lets character devices through (/dev/null, a
 * terminal), which popek can write without waiting for anyone.
 */
static const char *not_a_file(const struct stat *st, bool output)
{
    if (S_ISREG(st->st_mode) || (output && S_ISCHR(st->st_mode)))
        return NULL;
    if (S_ISDIR(st->st_mode))
        return "is a directory";
    if (S_ISFIFO(st->st_mode))
        return "is a named pipe, not a regular file";
    if (S_ISSOCK(st->st_mode))
        return "is a socket, not a regular file";
    if (S_ISBLK(st->st_mode))
        return "is a block device, not a regular file";
    return "is not a regular file";
}

/*
 * One line for a file the guest reads (and writes, unless read_only). Every
 * input option comes here. The type is checked before the file is opened
 * and again on what was opened, which is opened without waiting: opening a
 * named pipe for reading would wait for a writer.
 */
static char *check_input_file(const char *opt, const char *path, bool read_only)
{
    struct stat st;
    const char *what;
    if (stat(path, &st) == 0 && (what = not_a_file(&st, false)))
        return g_strdup_printf("--%s: '%s' %s", opt, path, what);
    int fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        int e = errno;
        bool hint = !read_only && (e == EACCES || e == EROFS || e == EPERM);
        return g_strdup_printf("--%s: cannot open '%s': %s%s", opt, path, g_strerror(e),
                               hint ? " (--snapshot runs from a read-only image)" : "");
    }
    char *err = NULL;
    if (fstat(fd, &st) < 0)
        err = g_strdup_printf("--%s: cannot open '%s': %s", opt, path, g_strerror(errno));
    else if ((what = not_a_file(&st, false)))
        err = g_strdup_printf("--%s: '%s' %s", opt, path, what);
    else if (st.st_size == 0)
        err = g_strdup_printf("--%s: '%s' is empty", opt, path);
    close(fd);
    return err;
}

/*
 * One line for a file popek will create or overwrite. Every output option
 * comes here: what exists must be a regular file or a character device (a
 * named pipe would hold popek until someone reads it).
 */
static char *check_output_file(const char *opt, const char *path)
{
    if (!*path)
        return g_strdup_printf("--%s: no file name given", opt);
    struct stat st;
    const char *what;
    if (stat(path, &st) == 0 && (what = not_a_file(&st, true)))
        return g_strdup_printf("--%s: '%s' %s", opt, path, what);
    char *dir = g_path_get_dirname(path);
    char *err = NULL;
    if (access(dir, W_OK) < 0)
        err = g_strdup_printf("--%s: cannot write '%s': %s", opt, path, g_strerror(errno));
    g_free(dir);
    return err;
}

/* tcp:HOST:PORT, HOST may be empty (loopback) but PORT may not. */
static char *check_tcp(const char *opt, const char *value)
{
    const char *colon = strrchr(value + 4, ':');
    char *end = NULL;
    guint64 port = colon ? g_ascii_strtoull(colon + 1, &end, 10) : 0;
    if (!colon || end == colon + 1 || *end || port > 65535)
        return g_strdup_printf("--%s: '%s' is not tcp:HOST:PORT", opt, value);
    return NULL;
}

static char *check_serial(const struct popek_options *o)
{
    const char *v = o->serial;
    if (!strcmp(v, "stdio") || !strcmp(v, "none"))
        return NULL;
    if (g_str_has_prefix(v, "file:"))
        return check_output_file("serial", v + 5);
    if (g_str_has_prefix(v, "tcp:"))
        return check_tcp("serial", v);
    return g_strdup_printf("--serial: '%s' is not stdio, none, file:PATH or tcp:HOST:PORT", v);
}

/* --monitor; stdio takes the terminal from the serial console, which then defaults to none. */
static char *check_monitor(const struct popek_options *o)
{
    const char *v = o->monitor;
    if (!strcmp(v, "stdio"))
        return o->serial && !strcmp(o->serial, "stdio")
                   ? g_strdup("--monitor: stdio is the serial console's (--serial=stdio); on the "
                              "serial console Ctrl+A c reaches the monitor")
                   : NULL;
    if (g_str_has_prefix(v, "tcp:"))
        return check_tcp("monitor", v);
    if (g_str_has_prefix(v, "unix:") && v[5])
        return NULL;
    return g_strdup_printf("--monitor: '%s' is not stdio, tcp:HOST:PORT or unix:PATH", v);
}

static char *check_debugcon(const struct popek_options *o)
{
    const char *v = o->debugcon;
    if (!v || !strcmp(v, "stdio"))
        return NULL;
    if (g_str_has_prefix(v, "file:"))
        return check_output_file("debugcon", v + 5);
    return g_strdup_printf("--debugcon: '%s' is not stdio or file:PATH", v);
}

static char *check_boot(const char *order)
{
    if (!*order)
        return g_strdup("--boot: empty boot order (letters a, c, d)");
    for (const char *p = order; *p; p++) {
        if (*p != 'a' && *p != 'c' && *p != 'd')
            return g_strdup_printf("--boot: '%c' is not a boot device (a floppy, c disk, "
                                   "d CD-ROM)",
                                   *p);
    }
    return NULL;
}

static char *check_paths(const struct popek_options *o)
{
    static const char *const hd_names[4] = {"hda", "hdb", "hdc", "hdd"};
    struct {
        const char *opt;
        const char *path;
        bool read_only;
    } inputs[] = {
        {"fda", o->fda, o->snapshot},
        {"fdb", o->fdb, o->snapshot},
        {hd_names[0], o->hd[0], o->snapshot},
        {hd_names[1], o->hd[1], o->snapshot},
        {hd_names[2], o->hd[2], o->snapshot},
        {hd_names[3], o->hd[3], o->snapshot},
        {"cdrom", o->cdrom, true},
        {"kernel", o->kernel, true},
        {"initrd", o->initrd, true},
        {"bios", o->bios, true},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(inputs); i++) {
        if (!inputs[i].path)
            continue;
        char *err = check_input_file(inputs[i].opt, inputs[i].path, inputs[i].read_only);
        if (err)
            return err;
    }
    if (o->stats_file) {
        char *err = check_output_file("stats", o->stats_file);
        if (err)
            return err;
    }
    if (o->perf_map)
        return check_output_file("perf-map", o->perf_map);
    return NULL;
}

/* --net: checked in full here; "none" becomes NULL (no adapter). */
static char *check_net(struct popek_options *o)
{
    struct net_config cfg;
    char *err = NULL;
    if (net_parse(o->net, &cfg, &err) < 0)
        return err;
    if (!cfg.user) {
        g_free(o->net);
        o->net = NULL;
    }
    return NULL;
}

static char *check_screenshot(const struct popek_options *o)
{
    if (!o->screenshot)
        return NULL;
    if (o->display != DISPLAY_NONE)
        return g_strdup("--screenshot: needs --display=none");
    if (!g_str_has_suffix(o->screenshot, ".png") && !g_str_has_suffix(o->screenshot, ".PNG"))
        return g_strdup_printf("--screenshot: '%s' does not end in .png", o->screenshot);
    return check_output_file("screenshot", o->screenshot);
}

/*
 * `popek FILE`: the image goes into the floppy drive A:, the first hard disk or the CD-ROM drive
 * by its kind, and is booted unless --boot says otherwise.
 */
static char *place_image(struct popek_options *o)
{
    enum image_kind kind;
    char *err = NULL;
    struct stat st;
    const char *what;
    /* Checked as every file option is, before anything opens it (a named pipe would wait). */
    if (stat(o->image, &st) == 0 && (what = not_a_file(&st, false)))
        return g_strdup_printf("'%s' %s (the image to boot)", o->image, what);
    if (image_classify(o->image, &kind, &err) < 0) {
        char *line = g_strdup_printf("%s (the image to boot)", err);
        g_free(err);
        return line;
    }
    char **slot = kind == IMAGE_FLOPPY ? &o->fda : kind == IMAGE_CDROM ? &o->cdrom : &o->hd[0];
    const char *opt = kind == IMAGE_FLOPPY ? "fda" : kind == IMAGE_CDROM ? "cdrom" : "hda";
    if (*slot)
        return g_strdup_printf("'%s' is a %s image, but --%s is given too", o->image,
                               image_kind_name(kind), opt);
    *slot = g_strdup(o->image);
    if (!o->boot)
        o->boot = g_strdup(kind == IMAGE_FLOPPY ? "a" : kind == IMAGE_CDROM ? "d" : "c");
    return NULL;
}

/* Cross-option rules and every value GOption could not check itself. */
static char *options_validate(struct popek_options *o)
{
    char *err = o->image ? place_image(o) : NULL;
    if (!err)
        err = check_paths(o);
    if (!err && o->boot)
        err = check_boot(o->boot);
    if (!err && (o->initrd || o->append) && !o->kernel)
        err = g_strdup_printf("--%s: needs --kernel", o->initrd ? "initrd" : "append");
    if (!err && o->monitor)
        err = check_monitor(o);
    bool monitor_stdio = o->monitor && !strcmp(o->monitor, "stdio");
    if (!err && !o->serial)
        o->serial = g_strdup(o->display == DISPLAY_NONE && !monitor_stdio ? "stdio" : "none");
    if (!err)
        err = check_serial(o);
    if (!err)
        err = check_debugcon(o);
    if (!err && o->gdb)
        err = g_str_has_prefix(o->gdb, "tcp:")
                  ? check_tcp("gdb", o->gdb)
                  : g_strdup_printf("--gdb: '%s' is not tcp:HOST:PORT", o->gdb);
    if (!err && o->wait_gdb && !o->gdb)
        err = g_strdup("--wait-gdb: needs --gdb");
    if (!err && o->net)
        err = check_net(o);
    if (!err)
        err = check_screenshot(o);
    if (!err && o->tier == 1 && !translator_tier1_available())
        err = g_strdup("--tier=1: this build has no tier 1 (translation to host code) for this "
                       "host; --tier=0 runs every block in tier 0");
    return err;
}

/*
 * The option table: GOption parses with it (values go into `o`), --help and the man page
 * (options_doc.c) print it. A newly allocated copy, ending in an entry with a NULL name.
 */
GOptionEntry *options_entries(struct popek_options *o)
{
    const GOptionEntry entries[] = {
        {"memory", 'm', 0, G_OPTION_ARG_CALLBACK, parse_memory,
         "Guest RAM in MiB (default 64, 1 to 3072)", "MB"},
        {"fda", 0, 0, G_OPTION_ARG_FILENAME, &o->fda, "Floppy image for drive A:", "FILE"},
        {"fdb", 0, 0, G_OPTION_ARG_FILENAME, &o->fdb, "Floppy image for drive B:", "FILE"},
        {"hda", 0, 0, G_OPTION_ARG_FILENAME, &o->hd[0], "IDE primary master disk image (raw)",
         "FILE"},
        {"hdb", 0, 0, G_OPTION_ARG_FILENAME, &o->hd[1], "IDE primary slave disk image (raw)",
         "FILE"},
        {"hdc", 0, 0, G_OPTION_ARG_FILENAME, &o->hd[2], "IDE secondary master disk image (raw)",
         "FILE"},
        {"hdd", 0, 0, G_OPTION_ARG_FILENAME, &o->hd[3], "IDE secondary slave disk image (raw)",
         "FILE"},
        {"cdrom", 0, 0, G_OPTION_ARG_FILENAME, &o->cdrom, "ATAPI CD-ROM image (ISO)", "FILE"},
        {"boot", 0, 0, G_OPTION_ARG_STRING, &o->boot, "Boot order: a floppy, c disk, d CD-ROM",
         "ORDER"},
        {"kernel", 0, 0, G_OPTION_ARG_FILENAME, &o->kernel,
         "Boot a Linux bzImage or Multiboot kernel directly", "FILE"},
        {"initrd", 0, 0, G_OPTION_ARG_FILENAME, &o->initrd, "Initial ramdisk for --kernel", "FILE"},
        {"append", 0, 0, G_OPTION_ARG_STRING, &o->append, "Kernel command line for --kernel",
         "STRING"},
        {"bios", 0, 0, G_OPTION_ARG_FILENAME, &o->bios,
         "Firmware image (default: the host's SeaBIOS bios.bin)", "FILE"},
        {"display", 0, 0, G_OPTION_ARG_CALLBACK, parse_display, "sdl (a window) or none (headless)",
         "sdl|none"},
        {"serial", 0, 0, G_OPTION_ARG_STRING, &o->serial,
         "COM1 backend (default: none with sdl, stdio headless)",
         "stdio|none|file:PATH|tcp:HOST:PORT"},
        {"debugcon", 0, 0, G_OPTION_ARG_STRING, &o->debugcon,
         "Debug console on ports 0xE9 and 0x402", "stdio|file:PATH"},
        {"debug-exit", 0, 0, G_OPTION_ARG_NONE, &o->debug_exit,
         "isa-debug-exit at port 0xF4: writing V exits with (V<<1)|1", NULL},
        {"no-reboot", 0, 0, G_OPTION_ARG_NONE, &o->no_reboot,
         "Exit (status 0) when the guest resets or triple-faults", NULL},
        {"net", 0, 0, G_OPTION_ARG_STRING, &o->net,
         "Network (default none): user puts an NE2000 PCI adapter on user-mode networking; "
         "OPTIONs: hostfwd=tcp:[HOSTADDR]:HOSTPORT-:GUESTPORT (also udp:), restrict=on",
         "none|user[,OPTION...]"},
        {"gdb", 0, 0, G_OPTION_ARG_STRING, &o->gdb, "Listen for gdb on this address",
         "tcp:HOST:PORT"},
        {"wait-gdb", 'S', 0, G_OPTION_ARG_NONE, &o->wait_gdb,
         "Hold the guest until gdb continues it", NULL},
        {"monitor", 0, 0, G_OPTION_ARG_STRING, &o->monitor,
         "The monitor on this door (also Ctrl+A c on the serial console)",
         "stdio|tcp:HOST:PORT|unix:PATH"},
        {"stats", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK, parse_stats,
         "Print execution and translation-cache statistics at exit (JSON if FILE ends in .json)",
         "FILE"},
        {"snapshot", 0, 0, G_OPTION_ARG_NONE, &o->snapshot, "Never write to disk images", NULL},
        {"screenshot", 0, 0, G_OPTION_ARG_FILENAME, &o->screenshot,
         "With --display=none: save the screen at exit", "FILE.png"},
        {"timeout", 0, 0, G_OPTION_ARG_CALLBACK, parse_timeout,
         "Stop the guest after this long (exit status 124)", "SECONDS"},
        {"tier", 0, 0, G_OPTION_ARG_CALLBACK, parse_tier,
         "0: interpret every block; 1: also translate hot blocks to host code (default 1 where "
         "available)",
         "0|1"},
        {"tc-size", 0, 0, G_OPTION_ARG_CALLBACK, parse_tc_size,
         "Tier 1's host code buffer in MiB, emptied when full (default 64, 1 to 2048)", "MB"},
        {"tc-threshold", 0, 0, G_OPTION_ARG_CALLBACK, parse_tc_threshold,
         "Runs of a block before tier 1 translates it (default 16, 0 at once, up to 1000000)", "N"},
        {"perf-map", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK, parse_perf_map,
         "Name tier 1's host code by guest address in FILE (default /tmp/perf-PID.map, for "
         "perf)",
         "FILE"},
        {"version", 0, 0, G_OPTION_ARG_NONE, &o->version, "Print the version and exit", NULL},
        {"help", 'h', 0, G_OPTION_ARG_NONE, &o->help, "Print this help and exit", NULL},
        {0},
    };
    return g_memdup2(entries, sizeof(entries));
}

const char options_summary[] =
    "Boot a legacy x86 PC guest (DOS, Windows 9x, i386 Linux, bare-metal programs)\n"
    "from floppy, disk and CD images or a kernel, without hardware virtualization.\n"
    "IMAGE goes into the floppy drive, the first hard disk or the CD-ROM drive by\n"
    "its size and content (ISO 9660, the floppy sizes) and is booted.";

enum options_result options_parse(int argc, char **argv, struct popek_options *o,
                                  bool display_available, char **err)
{
    memset(o, 0, sizeof(*o));
    o->memory_mb = MACHINE_RAM_DEFAULT_MB;
    o->display = display_available ? DISPLAY_SDL : DISPLAY_NONE;
    o->tier = translator_default_config().tier;
    o->tc_threshold = TRANSLATOR_DEFAULT_THRESHOLD;
    o->tc_size_mb = TRANSLATOR_DEFAULT_CODE_MB;
    *err = NULL;

    GOptionEntry *entries = options_entries(o);

    GOptionContext *ctx =
        g_option_context_new("[IMAGE] - a virtual machine monitor for legacy x86 PCs");
    GOptionGroup *group = g_option_group_new("popek", "popek options", "popek options", o, NULL);
    g_option_group_add_entries(group, entries);
    g_option_context_set_main_group(ctx, group);
    g_option_context_set_summary(ctx, options_summary);
    g_option_context_set_help_enabled(ctx, FALSE); /* options_doc.c prints --help */

    char **args = g_new0(char *, argc + 1);
    for (int i = 0; i < argc; i++)
        args[i] = argv[i];
    char **cursor = args;
    int n = argc;
    GError *gerr = NULL;
    enum options_result result = OPTIONS_OK;
    if (!g_option_context_parse(ctx, &n, &cursor, &gerr)) {
        *err = g_strdup_printf("%s (see popek --help)", gerr->message);
        g_error_free(gerr);
        result = OPTIONS_ERROR;
    } else if (n > 2) {
        *err = g_strdup_printf("unexpected argument '%s': one image at most (see popek --help)",
                               cursor[2]);
        result = OPTIONS_ERROR;
    } else if (o->version || o->help) {
        result = OPTIONS_EXIT;
    } else {
        if (n == 2)
            o->image = g_strdup(cursor[1]);
        *err = options_validate(o);
        result = *err ? OPTIONS_ERROR : OPTIONS_OK;
    }
    g_free(args);
    g_free(entries);
    g_option_context_free(ctx);
    return result;
}

void options_free(struct popek_options *o)
{
    g_free(o->fda);
    g_free(o->fdb);
    for (int i = 0; i < 4; i++)
        g_free(o->hd[i]);
    g_free(o->cdrom);
    g_free(o->image);
    g_free(o->boot);
    g_free(o->kernel);
    g_free(o->initrd);
    g_free(o->append);
    g_free(o->bios);
    g_free(o->serial);
    g_free(o->debugcon);
    g_free(o->net);
    g_free(o->gdb);
    g_free(o->monitor);
    g_free(o->stats_file);
    g_free(o->perf_map);
    g_free(o->screenshot);
    memset(o, 0, sizeof(*o));
}
