/*
 * Ctrl+C and SIGTERM on a running popek: it stops cleanly (exit status 0,
 * --stats printed, the --screenshot written). The binary's path comes
 * from POPEK_BIN.
 */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *popek_bin;

struct child {
    GPid pid;
    int out, err; /* pipes from its stdout and stderr */
};

/*
 * Start popek with an empty floppy (SeaBIOS finds nothing to boot and waits) and the debug
 * console on stdout.
 */
static struct child start(const char *screenshot, const char *floppy)
{
    char *shot = g_strdup_printf("--screenshot=%s", screenshot);
    char *fda = g_strdup_printf("--fda=%s", floppy);
    const char *argv[] = {popek_bin,
                          fda,
                          "--display=none",
                          "--serial=none",
                          "--debugcon=stdio",
                          "--stats",
                          "--timeout=60",
                          shot,
                          NULL};
    struct child c;
    GError *error = NULL;
    char **envp = g_environ_unsetenv(g_get_environ(), "DISPLAY");
    if (!g_spawn_async_with_pipes(NULL, (char **)argv, envp, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                  &c.pid, NULL, &c.out, &c.err, &error))
        g_error("cannot run %s: %s", popek_bin, error->message);
    g_strfreev(envp);
    g_free(shot);
    g_free(fda);
    return c;
}

/* Wait until the guest has written to the debug console: the run loop is going. */
static void wait_for_guest(struct child *c)
{
    char buf[256];
    ssize_t n;
    while ((n = read(c->out, buf, sizeof(buf))) < 0 && errno == EINTR)
        ;
    g_assert_cmpint(n, >, 0);
}

static char *read_all(int fd)
{
    GString *s = g_string_new(NULL);
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) != 0) {
        if (n > 0)
            g_string_append_len(s, buf, n);
        else if (errno != EINTR)
            break;
    }
    return g_string_free(s, FALSE);
}

static int finish(struct child *c, char **err)
{
    char *out = read_all(c->out); /* drain, so popek never blocks on a full pipe */
    *err = read_all(c->err);
    int status;
    g_assert_cmpint(waitpid(c->pid, &status, 0), ==, c->pid);
    g_free(out);
    close(c->out);
    close(c->err);
    g_spawn_close_pid(c->pid);
    return status;
}

static void stops_cleanly(int sig)
{
    char *dir = g_dir_make_tmp("popek-signal-XXXXXX", NULL);
    char *png = g_build_filename(dir, "screen.png", NULL);
    char *floppy = g_build_filename(dir, "empty.img", NULL);
    char *zeros = g_malloc0(1474560);
    g_assert_true(g_file_set_contents(floppy, zeros, 1474560, NULL));
    g_free(zeros);
    struct child c = start(png, floppy);
    wait_for_guest(&c);
    g_assert_cmpint(kill(c.pid, sig), ==, 0);
    char *err;
    int status = finish(&c, &err);
    if (!WIFEXITED(status))
        g_error("popek did not exit after signal %d (status %#x):\n%s", sig, status, err);
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    g_assert_nonnull(strstr(err, "cpu.instructions"));
    g_assert_true(g_file_test(png, G_FILE_TEST_IS_REGULAR));
    g_unlink(png);
    g_unlink(floppy);
    g_free(floppy);
    g_rmdir(dir);
    g_free(err);
    g_free(png);
    g_free(dir);
}

static void test_sigint(void)
{
    stops_cleanly(SIGINT);
}

static void test_sigterm(void)
{
    stops_cleanly(SIGTERM);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    popek_bin = g_getenv("POPEK_BIN");
    if (!popek_bin)
        g_error("POPEK_BIN is not set");
    g_test_add_func("/signal/sigint-stops-cleanly", test_sigint);
    g_test_add_func("/signal/sigterm-stops-cleanly", test_sigterm);
    return g_test_run();
}
