/*
 * Command-line parsing and validation, called directly: defaults, every
 * value check, and the one-line messages users see.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frontend/options.h"
#include "translator/translator.h"

static char *tmpdir;
static char *image;    /* a small readable and writable file */
static char *ro_image; /* a read-only file */

/* Parse a NULL-terminated list of arguments; return the result and message. */
static enum options_result parse(struct popek_options *o, char **err, int display, ...)
{
    GPtrArray *args = g_ptr_array_new();
    g_ptr_array_add(args, "popek");
    va_list ap;
    va_start(ap, display);
    for (char *a; (a = va_arg(ap, char *));)
        g_ptr_array_add(args, a);
    va_end(ap);
    g_ptr_array_add(args, NULL);
    enum options_result r =
        options_parse((int)args->len - 1, (char **)args->pdata, o, display, err);
    g_ptr_array_free(args, TRUE);
    return r;
}

static void expect_error(const char *fragment, ...)
{
    /* Rebuild the argument list: up to 6 arguments. */
    va_list ap;
    char *a[7] = {0};
    va_start(ap, fragment);
    for (int i = 0; i < 6 && (a[i] = va_arg(ap, char *)); i++)
        ;
    va_end(ap);
    struct popek_options o;
    char *err = NULL;
    enum options_result r = parse(&o, &err, false, a[0], a[1], a[2], a[3], a[4], a[5], NULL);
    g_assert_cmpint(r, ==, OPTIONS_ERROR);
    g_assert_nonnull(err);
    if (!strstr(err, fragment))
        g_error("message '%s' lacks '%s'", err, fragment);
    g_assert_null(strchr(err, '\n'));
    g_free(err);
    options_free(&o);
}

static void test_defaults(void)
{
    struct popek_options o;
    char *err;
    g_assert_cmpint(parse(&o, &err, true, NULL), ==, OPTIONS_OK);
    g_assert_cmpuint(o.memory_mb, ==, 64);
    g_assert_cmpint(o.display, ==, DISPLAY_SDL);
    g_assert_cmpstr(o.serial, ==, "none");
    g_assert_false(o.stats);
    options_free(&o);

    g_assert_cmpint(parse(&o, &err, false, NULL), ==, OPTIONS_OK);
    g_assert_cmpint(o.display, ==, DISPLAY_NONE);
    g_assert_cmpstr(o.serial, ==, "stdio");
    options_free(&o);
}

static void test_memory(void)
{
    struct popek_options o;
    char *err;
    g_assert_cmpint(parse(&o, &err, false, "-m", "128", NULL), ==, OPTIONS_OK);
    g_assert_cmpuint(o.memory_mb, ==, 128);
    options_free(&o);
    g_assert_cmpint(parse(&o, &err, false, "--memory=2G", NULL), ==, OPTIONS_OK);
    g_assert_cmpuint(o.memory_mb, ==, 2048);
    options_free(&o);
    g_assert_cmpint(parse(&o, &err, false, "-m", "3072M", NULL), ==, OPTIONS_OK);
    g_assert_cmpuint(o.memory_mb, ==, 3072);
    options_free(&o);

    expect_error("out of range", "-m", "0", NULL);
    expect_error("out of range", "-m", "3073", NULL);
    expect_error("out of range", "-m", "99999999999999999", NULL);
    expect_error("not a size", "-m", "lots", NULL);
    expect_error("not a size", "-m", "12k", NULL);
    expect_error("Missing argument", "-m", NULL);
}

static void test_unknown_and_stray(void)
{
    expect_error("--frobnicate", "--frobnicate", NULL);
    expect_error("popek --help", "--frobnicate", NULL);
    expect_error("unexpected argument 'b.img': one image at most", "a.img", "b.img", NULL);
    expect_error("cannot open 'disk.img': No such file or directory (the image to boot)",
                 "disk.img", NULL);
}

/* A file of `size` bytes in tmpdir, zero but for "CD001" at byte 32769 when `iso`. */
static char *sized_file(const char *name, size_t size, bool iso)
{
    char *path = g_build_filename(tmpdir, name, NULL);
    char *data = g_malloc0(size);
    if (iso)
        memcpy(data + 16 * 2048 + 1, "CD001", 5);
    g_assert_true(g_file_set_contents(path, data, (gssize)size, NULL));
    g_free(data);
    return path;
}

/* `popek FILE`: a floppy, a CD or a hard disk by size and content, booted unless --boot says. */
static void test_bare_image(void)
{
    struct popek_options o;
    char *err;
    char *fd144 = sized_file("a.img", 1474560, false), *fd360 = sized_file("b.img", 368640, false);
    char *iso = sized_file("c.iso", 40 * 2048, true), *disk = sized_file("d.img", 40 * 2048, false);
    /* An ISO of a floppy's size is still a CD: the content wins. */
    char *iso_floppy_size = sized_file("e.iso", 1474560, true);
    g_assert_cmpint(parse(&o, &err, false, fd144, NULL), ==, OPTIONS_OK);
    g_assert_cmpstr(o.fda, ==, fd144);
    g_assert_cmpstr(o.boot, ==, "a");
    options_free(&o);
    g_assert_cmpint(parse(&o, &err, false, fd360, NULL), ==, OPTIONS_OK);
    g_assert_cmpstr(o.fda, ==, fd360);
    options_free(&o);
    g_assert_cmpint(parse(&o, &err, false, iso, NULL), ==, OPTIONS_OK);
    g_assert_cmpstr(o.cdrom, ==, iso);
    g_assert_cmpstr(o.boot, ==, "d");
    g_assert_null(o.hd[0]);
    options_free(&o);
    g_assert_cmpint(parse(&o, &err, false, iso_floppy_size, NULL), ==, OPTIONS_OK);
    g_assert_cmpstr(o.cdrom, ==, iso_floppy_size);
    options_free(&o);
    g_assert_cmpint(parse(&o, &err, false, disk, NULL), ==, OPTIONS_OK);
    g_assert_cmpstr(o.hd[0], ==, disk);
    g_assert_cmpstr(o.boot, ==, "c");
    options_free(&o);
    /* --boot stays as given; a drive given twice is refused. */
    g_assert_cmpint(parse(&o, &err, false, "--boot=c", fd144, NULL), ==, OPTIONS_OK);
    g_assert_cmpstr(o.boot, ==, "c");
    g_assert_cmpstr(o.fda, ==, fd144);
    options_free(&o);
    expect_error("is a floppy image, but --fda is given too", "--fda", fd360, fd144, NULL);
    expect_error("is a hard disk image, but --hda is given too", "--hda", disk, disk, NULL);
    expect_error("'/' is a directory (the image to boot)", "/", NULL);
    g_free(fd144);
    g_free(fd360);
    g_free(iso);
    g_free(disk);
    g_free(iso_floppy_size);
}

static void test_paths(void)
{
    struct popek_options o;
    char *err;
    g_assert_cmpint(parse(&o, &err, false, "--hda", image, "--cdrom", image, "--fda", image, NULL),
                    ==, OPTIONS_OK);
    g_assert_cmpstr(o.hd[0], ==, image);
    options_free(&o);

    expect_error("--hda: cannot open '/nonexistent': No such file or directory", "--hda",
                 "/nonexistent", NULL);
    expect_error("--kernel: cannot open '/nonexistent/bzImage'", "--kernel", "/nonexistent/bzImage",
                 NULL);
    expect_error("--cdrom: '/' is a directory", "--cdrom", "/", NULL);
    expect_error("--bios: cannot open", "--bios", "/nonexistent.bin", NULL);
    expect_error("--initrd: cannot open", "--kernel", image, "--initrd", "/nonexistent", NULL);

    char *empty = g_build_filename(tmpdir, "empty.img", NULL);
    g_file_set_contents(empty, "", 0, NULL);
    expect_error("is empty", "--fdb", empty, NULL);
    g_free(empty);
}

static void test_read_only_images(void)
{
    /* root may write any ordinary file: use one the kernel refuses to open
     * for writing even to root. */
    const char *ro = geteuid() == 0 ? "/sys/kernel/notes" : ro_image;
    if (geteuid() == 0 && access(ro, R_OK) < 0) {
        g_test_skip("running as root without /sys/kernel/notes");
        return;
    }
    expect_error("(--snapshot runs from a read-only image)", "--hda", ro, NULL);
    struct popek_options o;
    char *err;
    g_assert_cmpint(parse(&o, &err, false, "--hda", ro, "--snapshot", NULL), ==, OPTIONS_OK);
    options_free(&o);
    /* A CD-ROM is only ever read. */
    g_assert_cmpint(parse(&o, &err, false, "--cdrom", ro, NULL), ==, OPTIONS_OK);
    options_free(&o);
}

static void test_values(void)
{
    struct popek_options o;
    char *err;
    g_assert_cmpint(parse(&o, &err, false, "--boot=dca", "--serial=tcp::4555", "--gdb=tcp::1234",
                          "-S", "--timeout=2.5", "--stats", NULL),
                    ==, OPTIONS_OK);
    g_assert_cmpstr(o.boot, ==, "dca");
    g_assert_true(o.wait_gdb);
    g_assert_cmpfloat(o.timeout, ==, 2.5);
    g_assert_true(o.stats);
    g_assert_null(o.stats_file);
    options_free(&o);

    char *json = g_build_filename(tmpdir, "stats.json", NULL);
    char *stats_arg = g_strdup_printf("--stats=%s", json);
    g_assert_cmpint(parse(&o, &err, false, stats_arg, "--debug-exit", "--no-reboot", NULL), ==,
                    OPTIONS_OK);
    g_assert_cmpstr(o.stats_file, ==, json);
    g_assert_true(o.debug_exit && o.no_reboot);
    g_assert_null(o.perf_map);
    options_free(&o);

    /* --perf-map: perf's own file unless one is named; either way round with --stats. */
    g_assert_cmpint(parse(&o, &err, false, "--perf-map", stats_arg, NULL), ==, OPTIONS_OK);
    char *perf_default = g_strdup_printf("/tmp/perf-%d.map", (int)getpid());
    g_assert_cmpstr(o.perf_map, ==, perf_default);
    g_assert_cmpstr(o.stats_file, ==, json);
    options_free(&o);
    g_free(perf_default);
    char *map = g_build_filename(tmpdir, "blocks.map", NULL);
    char *map_arg = g_strdup_printf("--perf-map=%s", map);
    g_assert_cmpint(parse(&o, &err, false, stats_arg, map_arg, NULL), ==, OPTIONS_OK);
    g_assert_cmpstr(o.perf_map, ==, map);
    g_assert_cmpstr(o.stats_file, ==, json);
    options_free(&o);
    g_free(map_arg);
    g_free(map);
    g_free(stats_arg);
    g_free(json);

    expect_error("--boot: 'x'", "--boot=acx", NULL);
    expect_error("--boot: empty", "--boot=", NULL);
    expect_error("--display: 'vnc'", "--display=vnc", NULL);
    expect_error("--serial: 'com1'", "--serial=com1", NULL);
    expect_error("--serial: 'tcp:localhost' is not", "--serial=tcp:localhost", NULL);
    expect_error("--serial: 'tcp::99999'", "--serial=tcp::99999", NULL);
    expect_error("--serial: cannot write", "--serial=file:/nonexistent/dir/log", NULL);
    expect_error("--debugcon: 'tcp::1'", "--debugcon=tcp::1", NULL);
    expect_error("--gdb: 'udp::1234'", "--gdb=udp::1234", NULL);
    expect_error("--wait-gdb: needs --gdb", "-S", NULL);
    expect_error("--monitor: 'com1' is not stdio, tcp:HOST:PORT or unix:PATH", "--monitor=com1",
                 NULL);
    expect_error("--monitor: 'unix:' is not", "--monitor=unix:", NULL);
    expect_error("--monitor: 'tcp:localhost' is not tcp:HOST:PORT", "--monitor=tcp:localhost",
                 NULL);
    expect_error("--monitor: stdio is the serial console's", "--serial=stdio", "--monitor=stdio",
                 NULL);
    expect_error("--timeout: '-1'", "--timeout=-1", NULL);
    expect_error("--timeout: 'soon'", "--timeout=soon", NULL);
    expect_error("--append: needs --kernel", "--append=console=ttyS0", NULL);
    expect_error("--stats: cannot write", "--stats=/nonexistent/dir/s.json", NULL);
}

static void test_screenshot(void)
{
    struct popek_options o;
    char *err;
    char *png = g_build_filename(tmpdir, "shot.png", NULL);
    char *arg = g_strdup_printf("--screenshot=%s", png);
    g_assert_cmpint(parse(&o, &err, false, "--display=none", arg, NULL), ==, OPTIONS_OK);
    options_free(&o);
    expect_error("needs --display=none", "--display=sdl", arg, NULL);
    expect_error("does not end in .png", "--display=none", "--screenshot=shot.bmp", NULL);
    g_free(arg);
    g_free(png);
}

/* --monitor=stdio takes the terminal: the serial console defaults to none headless. */
static void test_monitor(void)
{
    struct popek_options o;
    char *err;
    g_assert_cmpint(parse(&o, &err, false, "--display=none", "--monitor=stdio", NULL), ==,
                    OPTIONS_OK);
    g_assert_cmpstr(o.serial, ==, "none");
    g_assert_cmpstr(o.monitor, ==, "stdio");
    options_free(&o);
    g_assert_cmpint(parse(&o, &err, false, "--display=none", "--monitor=unix:monitor.sock", NULL),
                    ==, OPTIONS_OK);
    g_assert_cmpstr(o.serial, ==, "stdio");
    options_free(&o);
    g_assert_cmpint(parse(&o, &err, false, "--monitor=tcp::4444", NULL), ==, OPTIONS_OK);
    options_free(&o);
}

static void test_net(void)
{
    struct popek_options o;
    char *err;
    g_assert_cmpint(parse(&o, &err, false, NULL), ==, OPTIONS_OK);
    g_assert_null(o.net); /* default: no network */
    options_free(&o);
    g_assert_cmpint(parse(&o, &err, false, "--net=none", NULL), ==, OPTIONS_OK);
    g_assert_null(o.net);
    options_free(&o);
    g_assert_cmpint(parse(&o, &err, false, "--net=user", NULL), ==, OPTIONS_OK);
    g_assert_cmpstr(o.net, ==, "user");
    options_free(&o);
    g_assert_cmpint(parse(&o, &err, false, "--net=user,hostfwd=tcp::2222-:22,restrict=on", NULL),
                    ==, OPTIONS_OK);
    g_assert_cmpstr(o.net, ==, "user,hostfwd=tcp::2222-:22,restrict=on");
    options_free(&o);
    expect_error("--net: 'tap' is not none or user", "--net=tap", NULL);
    expect_error("--net: 'tcp::99999-:22' is not tcp:", "--net=user,hostfwd=tcp::99999-:22", NULL);
    expect_error("--net: unknown option 'vlan=1'", "--net=user,vlan=1", NULL);
    expect_error("--net: restrict=sometimes is not on or off", "--net=user,restrict=sometimes",
                 NULL);
}

/* Parse one argument that must be accepted. */
static void parse_ok(struct popek_options *o, const char *arg)
{
    char *err = NULL;
    if (parse(o, &err, false, arg, NULL) != OPTIONS_OK)
        g_error("%s refused: %s", arg, err);
}

static void test_tier(void)
{
    struct popek_options o;
    bool have_tier1 = translator_tier1_available();
    /* The default: tier 1 where this build has it, else tier 0. */
    parse_ok(&o, "--stats");
    g_assert_cmpuint(o.tier, ==, have_tier1 ? 1 : 0);
    options_free(&o);
    parse_ok(&o, "--tier=0");
    g_assert_cmpuint(o.tier, ==, 0);
    options_free(&o);
    if (have_tier1) {
        parse_ok(&o, "--tier=1");
        g_assert_cmpuint(o.tier, ==, 1);
        options_free(&o);
    } else {
        expect_error("--tier=1: this build has no tier 1", "--tier=1", NULL);
    }
    expect_error("--tier: '2' is not a tier (0 or 1)", "--tier=2", NULL);
    expect_error("--tier: '-1' is not a tier", "--tier=-1", NULL);
    expect_error("--tier: '01' is not a tier", "--tier=01", NULL);
    expect_error("--tier: '' is not a tier", "--tier=", NULL);
    expect_error("--tier: 'one' is not a tier", "--tier=one", NULL);
    expect_error("Missing argument for --tier", "--tier", NULL);
}

static void test_tc_size(void)
{
    struct popek_options o;
    parse_ok(&o, "--stats");
    g_assert_cmpuint(o.tc_size_mb, ==, 64);
    options_free(&o);
    parse_ok(&o, "--tc-size=1");
    g_assert_cmpuint(o.tc_size_mb, ==, 1);
    options_free(&o);
    parse_ok(&o, "--tc-size=2048");
    g_assert_cmpuint(o.tc_size_mb, ==, 2048);
    options_free(&o);
    parse_ok(&o, "--tc-size=128");
    g_assert_cmpuint(o.tc_size_mb, ==, 128);
    options_free(&o);

    expect_error("--tc-size: 0 is out of range (1 to 2048)", "--tc-size=0", NULL);
    expect_error("--tc-size: 2049 is out of range (1 to 2048)", "--tc-size=2049", NULL);
    expect_error("--tc-size: 99999999999999999999 is out of range",
                 "--tc-size=99999999999999999999", NULL);
    expect_error("--tc-size: '-1' is not a size in MiB", "--tc-size=-1", NULL);
    expect_error("--tc-size: '+8' is not a size in MiB", "--tc-size=+8", NULL);
    expect_error("--tc-size: ' 8' is not a size in MiB", "--tc-size= 8", NULL);
    expect_error("--tc-size: '64M' is not a size in MiB", "--tc-size=64M", NULL);
    expect_error("--tc-size: '' is not a size in MiB", "--tc-size=", NULL);
    expect_error("--tc-size: 'big' is not a size in MiB", "--tc-size=big", NULL);
    expect_error("Missing argument for --tc-size", "--tc-size", NULL);
}

static void test_tc_threshold(void)
{
    struct popek_options o;
    parse_ok(&o, "--stats");
    g_assert_cmpuint(o.tc_threshold, ==, 16);
    options_free(&o);
    parse_ok(&o, "--tc-threshold=0");
    g_assert_cmpuint(o.tc_threshold, ==, 0);
    options_free(&o);
    parse_ok(&o, "--tc-threshold=1000000");
    g_assert_cmpuint(o.tc_threshold, ==, 1000000);
    options_free(&o);
    parse_ok(&o, "--tc-threshold=50");
    g_assert_cmpuint(o.tc_threshold, ==, 50);
    options_free(&o);

    expect_error("--tc-threshold: 1000001 is out of range (0 to 1000000)", "--tc-threshold=1000001",
                 NULL);
    expect_error("--tc-threshold: 18446744073709551616 is out of range",
                 "--tc-threshold=18446744073709551616", NULL);
    expect_error("--tc-threshold: '-1' is not a number of runs", "--tc-threshold=-1", NULL);
    expect_error("--tc-threshold: '1e3' is not a number of runs", "--tc-threshold=1e3", NULL);
    expect_error("--tc-threshold: '' is not a number of runs", "--tc-threshold=", NULL);
    expect_error("--tc-threshold: 'often' is not a number of runs", "--tc-threshold=often", NULL);
    expect_error("Missing argument for --tc-threshold", "--tc-threshold", NULL);
}

static void test_version(void)
{
    struct popek_options o;
    char *err;
    g_assert_cmpint(parse(&o, &err, false, "--version", NULL), ==, OPTIONS_EXIT);
    options_free(&o);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tmpdir = g_dir_make_tmp("popek-options-XXXXXX", NULL);
    image = g_build_filename(tmpdir, "disk.img", NULL);
    ro_image = g_build_filename(tmpdir, "ro.img", NULL);
    g_file_set_contents(image, "0123456789", 10, NULL);
    g_file_set_contents(ro_image, "0123456789", 10, NULL);
    g_chmod(ro_image, 0444);

    g_test_add_func("/options/defaults", test_defaults);
    g_test_add_func("/options/memory", test_memory);
    g_test_add_func("/options/unknown-and-stray", test_unknown_and_stray);
    g_test_add_func("/options/paths", test_paths);
    g_test_add_func("/options/read-only-images", test_read_only_images);
    g_test_add_func("/options/values", test_values);
    g_test_add_func("/options/screenshot", test_screenshot);
    g_test_add_func("/options/net", test_net);
    g_test_add_func("/options/monitor", test_monitor);
    g_test_add_func("/options/bare-image", test_bare_image);
    g_test_add_func("/options/version", test_version);
    g_test_add_func("/options/tier", test_tier);
    g_test_add_func("/options/tc-size", test_tc_size);
    g_test_add_func("/options/tc-threshold", test_tc_threshold);
    int rc = g_test_run();

    char *cmd[] = {"rm", "-rf", tmpdir, NULL};
    g_spawn_sync(NULL, cmd, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
    return rc;
}
