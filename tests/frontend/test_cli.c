/*
 * The `popek` program as a user runs it: exit statuses and the exact shape
 * of what it prints. The binary's path comes from POPEK_BIN.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pm_loop.h"
#include "translator/translator.h"

static const char *popek_bin;

struct run {
    char *out, *err;
    int status; /* exit code */
};

static struct run run_popek_argv(const char *const *args)
{
    const char *argv[16] = {popek_bin};
    for (unsigned i = 0; args[i]; i++) {
        g_assert_cmpuint(i + 2, <, G_N_ELEMENTS(argv));
        argv[i + 1] = args[i];
    }
    struct run r = {0};
    int wait_status;
    GError *error = NULL;
    char **envp = g_environ_unsetenv(g_get_environ(), "DISPLAY");
    envp = g_environ_unsetenv(envp, "WAYLAND_DISPLAY");
    if (!g_spawn_sync(NULL, (char **)argv, envp, 0, NULL, NULL, &r.out, &r.err, &wait_status,
                      &error))
        g_error("cannot run %s: %s", popek_bin, error->message);
    g_strfreev(envp);
    g_assert_true(WIFEXITED(wait_status));
    r.status = WEXITSTATUS(wait_status);
    return r;
}

static struct run run_popek(const char *a1, const char *a2)
{
    const char *const args[] = {a1, a2, NULL};
    return run_popek_argv(args);
}

static void run_free(struct run *r)
{
    g_free(r->out);
    g_free(r->err);
}

static unsigned count_lines(const char *s)
{
    unsigned n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void test_help_lists_every_option(void)
{
    static const char *const opts[] = {
        "--memory",       "--fda",      "--fdb",    "--hda",      "--hdb",        "--hdc",
        "--hdd",          "--cdrom",    "--boot",   "--kernel",   "--initrd",     "--append",
        "--bios",         "--display",  "--serial", "--debugcon", "--debug-exit", "--no-reboot",
        "--gdb",          "--wait-gdb", "--stats",  "--snapshot", "--screenshot", "--timeout",
        "--monitor",      "--version",  "-m,",      "-S,",        "--tier",       "--tc-size",
        "--tc-threshold", "--perf-map",
    };
    struct run r = run_popek("--help", NULL);
    g_assert_cmpint(r.status, ==, 0);
    for (size_t i = 0; i < G_N_ELEMENTS(opts); i++) {
        if (!strstr(r.out, opts[i]))
            g_error("--help does not mention %s:\n%s", opts[i], r.out);
    }
    run_free(&r);
}

/* --help fits an 80-column terminal, and -h is the same. */
static void test_help_fits_80_columns(void)
{
    struct run r = run_popek("--help", NULL);
    g_assert_cmpint(r.status, ==, 0);
    char **lines = g_strsplit(r.out, "\n", -1);
    g_assert_cmpuint(g_strv_length(lines), >, 30);
    for (char **l = lines; *l; l++) {
        if (g_utf8_strlen(*l, -1) > 80)
            g_error("a --help line is wider than 80 columns:\n%s", *l);
    }
    g_strfreev(lines);
    struct run h = run_popek("-h", NULL);
    g_assert_cmpstr(h.out, ==, r.out);
    run_free(&h);
    run_free(&r);
}

static void test_missing_disk_one_line(void)
{
    struct run r = run_popek("--hda", "/nonexistent");
    g_assert_cmpint(r.status, ==, 1);
    g_assert_cmpstr(r.out, ==, "");
    g_assert_cmpuint(count_lines(r.err), ==, 1);
    g_assert_true(g_str_has_prefix(r.err, "popek: "));
    g_assert_nonnull(strstr(r.err, "/nonexistent"));
    g_assert_nonnull(strstr(r.err, "No such file or directory"));
    run_free(&r);
}

/* Headless, with SeaBIOS and nothing to boot: one line and status 1, instead of waiting forever. */
static void test_nothing_to_boot_one_line(void)
{
    struct run r = run_popek("--display=none", NULL);
    g_assert_cmpint(r.status, ==, 1);
    g_assert_cmpuint(count_lines(r.err), ==, 1);
    g_assert_nonnull(strstr(r.err, "nothing to boot"));
    run_free(&r);
}

static void test_unknown_option_one_line(void)
{
    struct run r = run_popek("--no-such-option", NULL);
    g_assert_cmpint(r.status, ==, 1);
    g_assert_cmpuint(count_lines(r.err), ==, 1);
    g_assert_nonnull(strstr(r.err, "--no-such-option"));
    g_assert_nonnull(strstr(r.err, "--help"));
    run_free(&r);
}

static void test_version_names_libraries(void)
{
    struct run r = run_popek("--version", NULL);
    g_assert_cmpint(r.status, ==, 0);
    g_assert_true(g_str_has_prefix(r.out, "popek "));
    static const char *const libs[] = {"Zydis", "Capstone", "SDL", "glib", "libslirp"};
    for (size_t i = 0; i < G_N_ELEMENTS(libs); i++)
        g_assert_nonnull(strstr(r.out, libs[i]));
    run_free(&r);
}

static void test_bad_memory_one_line(void)
{
    struct run r = run_popek("-m", "4096");
    g_assert_cmpint(r.status, ==, 1);
    g_assert_cmpuint(count_lines(r.err), ==, 1);
    g_assert_nonnull(strstr(r.err, "out of range"));
    run_free(&r);
}

/*
 * A 64 KiB BIOS image: `entry` at F000:FFF0 (at most 16 bytes), `body` at
 * F000:0000. Returns the path of a temporary file.
 */
static char *write_rom(const uint8_t *entry, size_t entry_len, const uint8_t *body, size_t body_len)
{
    uint8_t *rom = g_malloc(0x10000);
    memset(rom, 0xf4, 0x10000);
    g_assert_cmpuint(entry_len, <=, 16);
    memcpy(rom + 0xfff0, entry, entry_len);
    if (body)
        memcpy(rom, body, body_len);
    char *path = NULL;
    int fd = g_file_open_tmp("popek-rom-XXXXXX.bin", &path, NULL);
    g_assert_cmpint(fd, >=, 0);
    close(fd);
    g_assert_true(g_file_set_contents(path, (const char *)rom, 0x10000, NULL));
    g_free(rom);
    return path;
}

static void test_debug_exit_and_stats(void)
{
    /* mov al, 1; out 0xf4, al: the guest asks for exit status 3. */
    static const uint8_t entry[] = {0xb0, 0x01, 0xe6, 0xf4, 0xf4};
    char *rom = write_rom(entry, sizeof(entry), NULL, 0);
    char *bios = g_strconcat("--bios=", rom, NULL);
    char *json = g_strconcat(rom, ".json", NULL);
    char *stats = g_strconcat("--stats=", json, NULL);
    const char *const args[] = {bios, "--display=none", "--debug-exit", stats, NULL};
    struct run r = run_popek_argv(args);
    g_assert_cmpint(r.status, ==, 3);
    char *text = NULL;
    g_assert_true(g_file_get_contents(json, &text, NULL, NULL));
    /* Two instructions retired: MOV and OUT. */
    g_assert_nonnull(strstr(text, "\"cpu.instructions\": 2,"));
    g_assert_nonnull(strstr(text, "\"tcache.blocks_decoded\": 1,"));
    run_free(&r);
    g_free(text);
    g_unlink(json);
    g_unlink(rom);
    g_free(stats);
    g_free(json);
    g_free(bios);
    g_free(rom);
}

/*
 * The loop in flat 32-bit protected mode of pm_loop.h (exit status 3) run
 * with `extra`; its --stats JSON in *json_text (NULL when none was written).
 */
static struct run run_pm_loop(const char *const *extra, char **json_text)
{
    char *rom = write_rom(pm_loop_entry, sizeof(pm_loop_entry), pm_loop_body, sizeof(pm_loop_body));
    char *bios = g_strconcat("--bios=", rom, NULL);
    char *json = g_strconcat(rom, ".json", NULL);
    char *stats = g_strconcat("--stats=", json, NULL);
    const char *args[12] = {bios, "--display=none", "--debug-exit", stats};
    unsigned n = 4;
    for (unsigned i = 0; extra[i]; i++) {
        g_assert_cmpuint(n + 1, <, G_N_ELEMENTS(args));
        args[n++] = extra[i];
    }
    struct run r = run_popek_argv(args);
    *json_text = NULL;
    g_file_get_contents(json, json_text, NULL, NULL);
    g_unlink(json);
    g_unlink(rom);
    g_free(stats);
    g_free(json);
    g_free(bios);
    g_free(rom);
    return r;
}

/* The JSON value of `key`, which must be there. */
static uint64_t json_value(const char *json, const char *key)
{
    char *k = g_strdup_printf("\"%s\": ", key);
    const char *at = strstr(json, k);
    if (!at)
        g_error("no %s in:\n%s", key, json);
    uint64_t v = g_ascii_strtoull(at + strlen(k), NULL, 10);
    g_free(k);
    return v;
}

/* --tier, --tc-size and --tc-threshold reach the translator (its lines in --stats). */
static void test_tier_options(void)
{
    char *json;
    const char *const tier0[] = {"--tier=0", NULL};
    struct run r = run_pm_loop(tier0, &json);
    g_assert_cmpint(r.status, ==, 3);
    g_assert_cmpuint(json_value(json, "cpu.instructions"), ==, PM_LOOP_INSNS);
    g_assert_cmpuint(json_value(json, "translator.tier"), ==, 0);
    g_assert_null(strstr(json, "tier1."));
    run_free(&r);
    g_free(json);

    const char *const tier1[] = {"--tier=1", "--tc-size=3", "--tc-threshold=0", NULL};
    r = run_pm_loop(tier1, &json);
    if (translator_tier1_available()) {
        g_assert_cmpint(r.status, ==, 3);
        g_assert_cmpuint(json_value(json, "cpu.instructions"), ==, PM_LOOP_INSNS);
        g_assert_cmpuint(json_value(json, "translator.tier"), ==, 1);
        g_assert_cmpuint(json_value(json, "tier1.code_capacity"), ==, 3u << 20);
        g_assert_cmpuint(json_value(json, "tier1.blocks_translated"), >=, 1);
    } else {
        /* No tier 1 in this build: one line, exit 1, no guest run. */
        g_assert_cmpint(r.status, ==, 1);
        g_assert_cmpstr(r.out, ==, "");
        g_assert_cmpuint(count_lines(r.err), ==, 1);
        g_assert_true(g_str_has_prefix(r.err, "popek: --tier=1: "));
        g_assert_nonnull(strstr(r.err, "no tier 1"));
        g_assert_null(json);
    }
    run_free(&r);
    g_free(json);

    if (translator_tier1_available()) {
        /* A threshold the loop (1000 runs) never reaches: nothing becomes host code. */
        const char *const cold[] = {"--tier=1", "--tc-threshold=1000000", NULL};
        r = run_pm_loop(cold, &json);
        g_assert_cmpint(r.status, ==, 3);
        g_assert_cmpuint(json_value(json, "tier1.blocks_translated"), ==, 0);
        g_assert_cmpuint(json_value(json, "tier1.code_capacity"), ==, 64u << 20);
        run_free(&r);
        g_free(json);
    }
}

/* --perf-map=FILE: a line per block of host code, "ADDRESS SIZE NAME" as perf reads it. */
static void test_perf_map(void)
{
    if (!translator_tier1_available()) {
        g_test_skip("this build has no tier 1: no host code to name");
        return;
    }
    char *map = g_build_filename(g_get_tmp_dir(), "popek-test-perf-XXXXXX", NULL);
    int fd = g_mkstemp(map);
    g_assert_cmpint(fd, >=, 0);
    close(fd);
    char *opt = g_strconcat("--perf-map=", map, NULL);
    const char *const extra[] = {"--tier=1", "--tc-threshold=0", opt, NULL};
    char *json;
    struct run r = run_pm_loop(extra, &json);
    g_assert_cmpint(r.status, ==, 3);
    char *text = NULL;
    g_assert_true(g_file_get_contents(map, &text, NULL, NULL));
    char **lines = g_strsplit(text, "\n", -1);
    unsigned n = 0;
    for (char **l = lines; *l && **l; l++, n++) {
        unsigned long long addr, size;
        char name[64];
        g_assert_cmpint(sscanf(*l, "%llx %llx %63s", &addr, &size, name), ==, 3);
        g_assert_cmpuint(addr, !=, 0);
        g_assert_cmpuint(size, >, 0);
        g_assert_true(g_str_has_prefix(name, "guest_"));
    }
    g_assert_cmpuint(n, ==, json_value(json, "tier1.blocks_translated"));
    g_strfreev(lines);
    g_free(text);
    g_free(json);
    run_free(&r);
    g_unlink(map);
    g_free(opt);
    g_free(map);
}

static void test_bad_tier_options_one_line(void)
{
    static const char *const bad[][2] = {
        {"--tier=2", "--tier: '2' is not a tier (0 or 1)"},
        {"--tc-size=0", "--tc-size: 0 is out of range (1 to 2048)"},
        {"--tc-size=1g", "--tc-size: '1g' is not a size in MiB"},
        {"--tc-threshold=-5", "--tc-threshold: '-5' is not a number of runs"},
        {"--tc-threshold=2000000", "--tc-threshold: 2000000 is out of range (0 to 1000000)"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        struct run r = run_popek(bad[i][0], NULL);
        g_assert_cmpint(r.status, ==, 1);
        g_assert_cmpstr(r.out, ==, "");
        g_assert_cmpuint(count_lines(r.err), ==, 1);
        g_assert_true(g_str_has_prefix(r.err, "popek: "));
        if (!strstr(r.err, bad[i][1]))
            g_error("%s: '%s' lacks '%s'", bad[i][0], r.err, bad[i][1]);
        run_free(&r);
    }
}

static void test_timeout(void)
{
    static const uint8_t entry[] = {0xeb, 0xfe}; /* jmp $ */
    char *rom = write_rom(entry, sizeof(entry), NULL, 0);
    char *bios = g_strconcat("--bios=", rom, NULL);
    const char *const args[] = {bios, "--display=none", "--timeout=0.5", NULL};
    struct run r = run_popek_argv(args);
    g_assert_cmpint(r.status, ==, 124);
    run_free(&r);
    g_unlink(rom);
    g_free(bios);
    g_free(rom);
}

/* A disk image that ends inside a sector: one warning line saying what happens to the tail. */
static void test_partial_sector_warning(void)
{
    static const uint8_t entry[] = {0xeb, 0xfe}; /* jmp $ */
    char *rom = write_rom(entry, sizeof(entry), NULL, 0);
    char *disk = NULL;
    int fd = g_file_open_tmp("popek-odd-XXXXXX.img", &disk, NULL);
    g_assert_cmpint(fd, >=, 0);
    static const uint8_t bytes[2 * 512 + 100];
    g_assert_cmpint(write(fd, bytes, sizeof(bytes)), ==, (int)sizeof(bytes));
    close(fd);
    char *bios = g_strconcat("--bios=", rom, NULL);
    char *hda = g_strconcat("--hda=", disk, NULL);
    const char *const args[] = {bios, hda, "--display=none", "--timeout=0.5", NULL};
    struct run r = run_popek_argv(args);
    g_assert_cmpint(r.status, ==, 124);
    g_assert_cmpuint(count_lines(r.err), ==, 1);
    g_assert_nonnull(strstr(r.err, disk));
    g_assert_nonnull(strstr(r.err, "first 2 sectors; the last 100 bytes stay in the file"));
    run_free(&r);
    g_unlink(disk);
    g_unlink(rom);
    g_free(hda);
    g_free(bios);
    g_free(disk);
    g_free(rom);
}

static void test_triple_fault_no_reboot(void)
{
    /* lidt cs:[0x10] (limit 0); int3: #GP, then #DF, then shutdown. */
    static const uint8_t entry[] = {0xea, 0x00, 0x00, 0x00, 0xf0};
    uint8_t body[0x16] = {0x2e, 0x0f, 0x01, 0x1e, 0x10, 0x00, 0xcc, 0xf4};
    char *rom = write_rom(entry, sizeof(entry), body, sizeof(body));
    char *bios = g_strconcat("--bios=", rom, NULL);
    const char *const args[] = {bios, "--display=none", "--no-reboot", "--timeout=10", NULL};
    struct run r = run_popek_argv(args);
    g_assert_cmpint(r.status, ==, 0);
    run_free(&r);
    g_unlink(rom);
    g_free(bios);
    g_free(rom);
}

static void test_bad_bios_one_line(void)
{
    char *path = NULL;
    int fd = g_file_open_tmp("popek-bad-XXXXXX.bin", &path, NULL);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(write(fd, "not a bios", 10), ==, 10);
    close(fd);
    char *bios = g_strconcat("--bios=", path, NULL);
    const char *const args[] = {bios, "--display=none", NULL};
    struct run r = run_popek_argv(args);
    g_assert_cmpint(r.status, ==, 1);
    g_assert_cmpuint(count_lines(r.err), ==, 1);
    g_assert_nonnull(strstr(r.err, path));
    run_free(&r);
    g_unlink(path);
    g_free(bios);
    g_free(path);
}

static void test_bad_kernel_one_line(void)
{
    char *path = NULL;
    int fd = g_file_open_tmp("popek-kernel-XXXXXX", &path, NULL);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(write(fd, "not a kernel at all", 19), ==, 19);
    close(fd);
    char *kernel = g_strconcat("--kernel=", path, NULL);
    const char *const args[] = {kernel, "--display=none", NULL};
    struct run r = run_popek_argv(args);
    g_assert_cmpint(r.status, ==, 1);
    g_assert_cmpuint(count_lines(r.err), ==, 1);
    g_assert_nonnull(strstr(r.err, "neither a Linux bzImage nor a Multiboot kernel"));
    run_free(&r);
    g_unlink(path);
    g_free(kernel);
    g_free(path);
}

/*
 * Every option that names a file, given a named pipe and then a directory:
 * one line naming the option, the path and what it is, exit status 1, and
 * no wait (opening a named pipe for reading waits for a writer).
 */
static void test_not_a_file_one_line(void)
{
    static const struct {
        const char *prefix; /* the option up to the path */
        const char *extra;  /* another argument it needs, or NULL */
    } opts[] = {
        {"--fda=", NULL},         {"--fdb=", NULL},           {"--hda=", NULL},
        {"--hdb=", NULL},         {"--hdc=", NULL},           {"--hdd=", NULL},
        {"--cdrom=", NULL},       {"--kernel=", NULL},        {"--initrd=", NULL},
        {"--bios=", NULL},        {"--stats=", NULL},         {"--screenshot=", "--display=none"},
        {"--serial=file:", NULL}, {"--debugcon=file:", NULL}, {"", NULL}, /* popek FILE */
    };
    char *dir = g_dir_make_tmp("popek-cli-XXXXXX", NULL);
    g_assert_nonnull(dir);
    char *fifo = g_build_filename(dir, "pipe.png", NULL);
    char *subdir = g_build_filename(dir, "dir.png", NULL);
    g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
    g_assert_cmpint(g_mkdir(subdir, 0700), ==, 0);
    const struct {
        const char *path, *what;
    } cases[] = {{fifo, "is a named pipe"}, {subdir, "is a directory"}};
    for (size_t i = 0; i < G_N_ELEMENTS(opts); i++) {
        for (size_t c = 0; c < G_N_ELEMENTS(cases); c++) {
            char *arg = g_strconcat(opts[i].prefix, cases[c].path, NULL);
            const char *const args[] = {arg, "--display=none", opts[i].extra, NULL};
            struct run r = run_popek_argv(args);
            char *opt = g_strndup(opts[i].prefix, strcspn(opts[i].prefix, "="));
            if (r.status != 1 || count_lines(r.err) != 1 || !strstr(r.err, opt) ||
                !strstr(r.err, cases[c].path) || !strstr(r.err, cases[c].what))
                g_error("%s: status %d, stderr: %s", arg, r.status, r.err);
            g_free(opt);
            run_free(&r);
            g_free(arg);
        }
    }
    g_unlink(fifo);
    g_rmdir(subdir);
    g_rmdir(dir);
    g_free(fifo);
    g_free(subdir);
    g_free(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    popek_bin = g_getenv("POPEK_BIN");
    if (!popek_bin)
        g_error("POPEK_BIN is not set: run this test through meson test");
    g_test_add_func("/cli/help-lists-every-option", test_help_lists_every_option);
    g_test_add_func("/cli/help-fits-80-columns", test_help_fits_80_columns);
    g_test_add_func("/cli/missing-disk-one-line", test_missing_disk_one_line);
    g_test_add_func("/cli/unknown-option-one-line", test_unknown_option_one_line);
    g_test_add_func("/cli/nothing-to-boot-one-line", test_nothing_to_boot_one_line);
    g_test_add_func("/cli/version-names-libraries", test_version_names_libraries);
    g_test_add_func("/cli/bad-memory-one-line", test_bad_memory_one_line);
    g_test_add_func("/cli/debug-exit-and-stats", test_debug_exit_and_stats);
    g_test_add_func("/cli/tier-options", test_tier_options);
    g_test_add_func("/cli/perf-map", test_perf_map);
    g_test_add_func("/cli/bad-tier-options-one-line", test_bad_tier_options_one_line);
    g_test_add_func("/cli/timeout", test_timeout);
    g_test_add_func("/cli/triple-fault-no-reboot", test_triple_fault_no_reboot);
    g_test_add_func("/cli/bad-bios-one-line", test_bad_bios_one_line);
    g_test_add_func("/cli/bad-kernel-one-line", test_bad_kernel_one_line);
    g_test_add_func("/cli/not-a-file-one-line", test_not_a_file_one_line);
    g_test_add_func("/cli/partial-sector-warning", test_partial_sector_warning);
    return g_test_run();
}
