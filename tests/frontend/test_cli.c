/*
 * The `popek` program as a user runs it: exit statuses and the exact shape
 * of what it prints. The binary's path comes from POPEK_BIN.
 */
#include <glib.h>
#include <string.h>

static const char *popek_bin;

struct run {
    char *out, *err;
    int status; /* exit code */
};

static struct run run_popek(const char *a1, const char *a2)
{
    const char *argv[] = {popek_bin, a1, a2, NULL};
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
        "--memory",  "--fda",      "--fdb",    "--hda",      "--hdb",        "--hdc",
        "--hdd",     "--cdrom",    "--boot",   "--kernel",   "--initrd",     "--append",
        "--bios",    "--display",  "--serial", "--debugcon", "--debug-exit", "--no-reboot",
        "--gdb",     "--wait-gdb", "--stats",  "--snapshot", "--screenshot", "--timeout",
        "--version", "-m,",        "-S,",
    };
    struct run r = run_popek("--help", NULL);
    g_assert_cmpint(r.status, ==, 0);
    for (size_t i = 0; i < G_N_ELEMENTS(opts); i++) {
        if (!strstr(r.out, opts[i]))
            g_error("--help does not mention %s:\n%s", opts[i], r.out);
    }
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

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    popek_bin = g_getenv("POPEK_BIN");
    if (!popek_bin)
        g_error("POPEK_BIN is not set: run this test through meson test");
    g_test_add_func("/cli/help-lists-every-option", test_help_lists_every_option);
    g_test_add_func("/cli/missing-disk-one-line", test_missing_disk_one_line);
    g_test_add_func("/cli/unknown-option-one-line", test_unknown_option_one_line);
    g_test_add_func("/cli/version-names-libraries", test_version_names_libraries);
    g_test_add_func("/cli/bad-memory-one-line", test_bad_memory_one_line);
    return g_test_run();
}
