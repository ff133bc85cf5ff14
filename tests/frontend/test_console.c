/*
 * The serial console on a terminal, driven through a pseudo-terminal as a
 * person would type: the guest (serial_echo.asm, as --bios) answers each
 * byte it receives in hex, so the test sees that Tab, Ctrl+C, an arrow key
 * and Ctrl+A Ctrl+A reach it as bytes; the escape prefix's keys (h, c for
 * the monitor and back, x to quit); and the terminal's settings after popek
 * ends, by Ctrl+A x and by fatal signals. POPEK_BIN and ECHO_ROM come from
 * meson.
 */
#include <errno.h>
#include <glib.h>
#include <pty.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static const char *popek_bin, *echo_rom;

struct term_child {
    pid_t pid;
    int master; /* what the "person" types into and reads from */
    int slave;  /* kept open here to read the terminal's settings */
    struct termios before;
    GString *seen; /* everything read from the terminal */
};

/* Start popek headless on a new terminal in cooked mode, the echo guest as its BIOS. */
static void start(struct term_child *t)
{
    struct termios cooked;
    g_assert_cmpint(openpty(&t->master, &t->slave, NULL, NULL, NULL), ==, 0);
    g_assert_cmpint(tcgetattr(t->slave, &cooked), ==, 0);
    g_assert_true(cooked.c_lflag & ICANON);
    g_assert_true(cooked.c_lflag & ECHO);
    t->before = cooked;
    t->seen = g_string_new(NULL);
    char *bios = g_strdup_printf("--bios=%s", echo_rom);
    t->pid = fork();
    g_assert_cmpint(t->pid, >=, 0);
    if (t->pid == 0) {
        /* The child: a session of its own with the terminal as its controlling one. */
        setsid();
        ioctl(t->slave, TIOCSCTTY, 0);
        dup2(t->slave, 0);
        dup2(t->slave, 1);
        dup2(t->slave, 2);
        close(t->master);
        unsetenv("DISPLAY");
        unsetenv("WAYLAND_DISPLAY");
        /* As from a terminal: a test run started in the background ignores SIGINT and SIGQUIT. */
        for (int sig = 1; sig < NSIG; sig++)
            signal(sig, SIG_DFL);
        execl(popek_bin, popek_bin, "--display=none", "--memory=16", "--timeout=60", bios,
              (char *)NULL);
        _exit(127);
    }
    g_free(bios);
}

/* Read from the terminal until `what` has been seen (after `from`); fail after 20 s. */
static void expect(struct term_child *t, gsize from, const char *what)
{
    gint64 deadline = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
    while (!strstr(t->seen->str + from, what)) {
        gint64 left = deadline - g_get_monotonic_time();
        if (left <= 0)
            g_error("no '%s' on the terminal; it shows:\n%s", what, t->seen->str + from);
        GPollFD p = {t->master, G_IO_IN, 0};
        if (g_poll(&p, 1, (gint)(left / 1000)) <= 0)
            continue;
        char buf[512];
        ssize_t n = read(t->master, buf, sizeof(buf));
        if (n <= 0)
            g_error("the terminal closed before '%s'; it showed:\n%s", what, t->seen->str + from);
        g_string_append_len(t->seen, buf, n);
    }
}

/* Type `keys`, and expect `answer` after them. */
static void type(struct term_child *t, const char *keys, const char *answer)
{
    gsize from = t->seen->len;
    size_t len = strlen(keys);
    g_assert_cmpint(write(t->master, keys, len), ==, (ssize_t)len);
    if (answer)
        expect(t, from, answer);
}

static int wait_exit(struct term_child *t)
{
    int status = 0;
    for (int i = 0; i < 2000; i++) {
        pid_t r = waitpid(t->pid, &status, WNOHANG);
        if (r == t->pid)
            return status;
        /* Keep draining, so popek never blocks on a full terminal. */
        char buf[512];
        GPollFD p = {t->master, G_IO_IN, 0};
        if (g_poll(&p, 1, 10) > 0 && read(t->master, buf, sizeof(buf)) > 0)
            continue;
    }
    kill(t->pid, SIGKILL);
    waitpid(t->pid, &status, 0);
    g_error("popek did not exit");
}

/* The terminal has its settings from before popek back. */
static void assert_restored(struct term_child *t)
{
    struct termios now;
    g_assert_cmpint(tcgetattr(t->slave, &now), ==, 0);
    g_assert_cmphex(now.c_lflag, ==, t->before.c_lflag);
    g_assert_cmphex(now.c_iflag, ==, t->before.c_iflag);
    g_assert_cmphex(now.c_oflag, ==, t->before.c_oflag);
    g_assert_cmphex(now.c_cflag, ==, t->before.c_cflag);
}

static void finish(struct term_child *t)
{
    close(t->master);
    close(t->slave);
    g_string_free(t->seen, TRUE);
}

/* Keys reach the guest as bytes; the escape prefix's keys do what they say; Ctrl+A x quits. */
static void test_keys_and_escapes(void)
{
    struct term_child t;
    start(&t);
    expect(&t, 0, "ready");
    /* Raw mode while the guest runs: no echo, no line editing, no signal keys. */
    struct termios raw;
    g_assert_cmpint(tcgetattr(t.slave, &raw), ==, 0);
    g_assert_false(raw.c_lflag & (ICANON | ECHO | ISIG));
    /* Tab, Ctrl+C, Up, Ctrl+Z reach the guest one by one, at once (no Enter). */
    type(&t, "\t\003\033[A\032", "09 03 1b 5b 41 1a ");
    /* Ctrl+A Ctrl+A sends one Ctrl+A; another key after the prefix is dropped. */
    type(&t, "\001\001", "01 ");
    type(&t, "\001zq", "71 ");
    /* Ctrl+A h lists the keys. */
    type(&t, "\001h", "Ctrl+A x");
    /* Ctrl+A c: the monitor; a command runs, with the line edited (Backspace). */
    type(&t, "\001c", "(popek) ");
    type(&t, "regx\177s\r", "mode: real");
    /* Typed in the monitor, nothing reaches the guest; back with Ctrl+A c, keys do. */
    gsize mark = t.seen->len;
    type(&t, "\001c", "back to the guest");
    type(&t, "a", "61 ");
    g_assert_null(strstr(t.seen->str + mark, "72 "));
    /* Ctrl+A x quits: status 0, the terminal as it was. */
    type(&t, "\001x", NULL);
    int status = wait_exit(&t);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    assert_restored(&t);
    finish(&t);
}

/* The monitor's quit ends popek as Ctrl+A x does. */
static void test_monitor_quit(void)
{
    struct term_child t;
    start(&t);
    expect(&t, 0, "ready");
    type(&t, "\001c", "(popek) ");
    type(&t, "quit\r", NULL);
    int status = wait_exit(&t);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    assert_restored(&t);
    finish(&t);
}

/* A signal that kills popek leaves the terminal as it was. */
static void killed_by(int sig, int times)
{
    struct term_child t;
    start(&t);
    expect(&t, 0, "ready");
    for (int i = 0; i < times; i++)
        g_assert_cmpint(kill(t.pid, sig), ==, 0);
    int status = wait_exit(&t);
    /* Killed by the signal, or (under a sanitizer, which reports a SIGSEGV) exited with an error.
     */
    g_assert_true(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0) ||
                  sig == SIGTERM);
    assert_restored(&t);
    finish(&t);
}

static void test_sigsegv(void)
{
    killed_by(SIGSEGV, 1);
}

static void test_sigquit(void)
{
    killed_by(SIGQUIT, 1);
}

static void test_sighup(void)
{
    killed_by(SIGHUP, 1);
}

static void test_sigterm_twice(void)
{
    killed_by(SIGTERM, 2);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    popek_bin = g_getenv("POPEK_BIN");
    echo_rom = g_getenv("ECHO_ROM");
    if (!popek_bin || !echo_rom)
        g_error("POPEK_BIN or ECHO_ROM is not set");
    g_test_add_func("/console/keys-and-escapes", test_keys_and_escapes);
    g_test_add_func("/console/monitor-quit", test_monitor_quit);
    g_test_add_func("/console/restored-after-sigsegv", test_sigsegv);
    g_test_add_func("/console/restored-after-sigquit", test_sigquit);
    g_test_add_func("/console/restored-after-sighup", test_sighup);
    g_test_add_func("/console/restored-after-sigterm-twice", test_sigterm_twice);
    return g_test_run();
}
