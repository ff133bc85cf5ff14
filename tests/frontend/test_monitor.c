/*
 * The monitor through each of its own doors (--monitor=tcp:, unix:,
 * stdio): every command and what it does to the machine (stop holds the
 * instruction count, system_reset puts CS:EIP at the reset vector,
 * screendump writes a PNG, change and eject refuse what they must), and a
 * floppy changed while a guest waits for it: floppy_change.bin, booted by
 * SeaBIOS, passes only when it sees the disk-change line and reads the new
 * disk's boot sector. POPEK_BIN and FLOPPY_CHANGE_BIN come from meson.
 */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#define FLOPPY_BYTES 1474560

static const char *popek_bin, *floppy_change_bin;

enum door { DOOR_TCP, DOOR_UNIX, DOOR_STDIO };

struct session {
    GPid pid;
    int in, out;  /* the monitor's stream: a socket (in == out) or popek's stdin and stdout */
    int err;      /* popek's standard error */
    char *dir;    /* scratch directory: images, the socket, screen dumps */
    GString *buf; /* read but not yet consumed */
};

static char *path_in(struct session *s, const char *name)
{
    return g_build_filename(s->dir, name, NULL);
}

/* A file of `size` bytes, zero but for `sig` at `offset` (NULL: none). */
static char *make_file(struct session *s, const char *name, size_t size, const char *sig,
                       size_t offset)
{
    char *path = path_in(s, name);
    char *data = g_malloc0(size);
    if (sig)
        memcpy(data + offset, sig, strlen(sig));
    g_assert_true(g_file_set_contents(path, data, (gssize)size, NULL));
    g_free(data);
    return path;
}

static void die_with_parent(gpointer data)
{
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
}

static void spawn(struct session *s, const char *const *args, bool stdio)
{
    const char *argv[16] = {popek_bin};
    unsigned n = 1;
    for (unsigned i = 0; args[i]; i++)
        argv[n++] = args[i];
    GError *error = NULL;
    char **envp = g_environ_unsetenv(g_get_environ(), "DISPLAY");
    envp = g_environ_unsetenv(envp, "WAYLAND_DISPLAY");
    if (!g_spawn_async_with_pipes(NULL, (char **)argv, envp, G_SPAWN_DO_NOT_REAP_CHILD,
                                  die_with_parent, NULL, &s->pid, stdio ? &s->in : NULL,
                                  stdio ? &s->out : NULL, &s->err, &error))
        g_error("cannot run %s: %s", popek_bin, error->message);
    g_strfreev(envp);
}

/* Read popek's standard error up to "monitor listening on 127.0.0.1:PORT". */
static unsigned read_port(struct session *s)
{
    GString *err = g_string_new(NULL);
    const char *key = "monitor listening on 127.0.0.1:";
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    while (!strstr(err->str, key) || !strchr(strstr(err->str, key), '\n')) {
        GPollFD p = {s->err, G_IO_IN, 0};
        char c;
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        if (left <= 0 || g_poll(&p, 1, (gint)left) <= 0 || read(s->err, &c, 1) != 1)
            g_error("popek did not say where the monitor listens; stderr:\n%s", err->str);
        g_string_append_c(err, c);
    }
    unsigned port = (unsigned)atoi(strstr(err->str, key) + strlen(key));
    g_string_free(err, TRUE);
    return port;
}

static int connect_tcp(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    g_assert_cmpint(connect(fd, (struct sockaddr *)&a, sizeof(a)), ==, 0);
    return fd;
}

/* Connect to a unix socket once popek has made it. */
static int connect_unix(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    g_strlcpy(a.sun_path, path, sizeof(a.sun_path));
    for (int i = 0; i < 500; i++) {
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
            return fd;
        close(fd);
        g_usleep(20000);
    }
    g_error("cannot connect to the monitor at %s", path);
}

/* Read until `what` has been seen; return everything before it and consume through it. */
static char *read_until(struct session *s, const char *what)
{
    gint64 deadline = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
    char *at;
    while (!(at = strstr(s->buf->str, what))) {
        GPollFD p = {s->out, G_IO_IN, 0};
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        if (left <= 0 || g_poll(&p, 1, (gint)left) <= 0)
            g_error("no '%s' from the monitor; it said:\n%s", what, s->buf->str);
        char b[1024];
        ssize_t n = read(s->out, b, sizeof(b));
        if (n <= 0)
            g_error("the monitor closed before '%s'; it said:\n%s", what, s->buf->str);
        g_string_append_len(s->buf, b, n);
    }
    char *before = g_strndup(s->buf->str, (gsize)(at - s->buf->str));
    g_string_erase(s->buf, 0, (gssize)(at - s->buf->str + strlen(what)));
    return before;
}

/* Run one command: its output, up to the next prompt. */
static char *cmd(struct session *s, const char *line)
{
    char *l = g_strconcat(line, "\n", NULL);
    g_assert_cmpint(write(s->in, l, strlen(l)), ==, (ssize_t)strlen(l));
    g_free(l);
    return read_until(s, "(popek) ");
}

static void expect_cmd(struct session *s, const char *line, const char *want)
{
    char *out = cmd(s, line);
    if (!strstr(out, want))
        g_error("'%s' said:\n%s\n(expected '%s')", line, out, want);
    g_free(out);
}

/* Start popek with the monitor on `door` and `extra` arguments; connect. */
static void session_start(struct session *s, enum door door, const char *const *extra)
{
    memset(s, 0, sizeof(*s));
    s->dir = g_dir_make_tmp("popek-monitor-XXXXXX", NULL);
    s->buf = g_string_new(NULL);
    char *sock = path_in(s, "monitor.sock");
    char *spec = door == DOOR_TCP    ? g_strdup("--monitor=tcp:127.0.0.1:0")
                 : door == DOOR_UNIX ? g_strdup_printf("--monitor=unix:%s", sock)
                                     : g_strdup("--monitor=stdio");
    const char *args[12] = {"--display=none", "--memory=16", "--timeout=60", spec};
    unsigned n = 4;
    for (unsigned i = 0; extra[i]; i++)
        args[n++] = extra[i];
    spawn(s, args, door == DOOR_STDIO);
    if (door == DOOR_TCP)
        s->in = s->out = connect_tcp(read_port(s));
    else if (door == DOOR_UNIX)
        s->in = s->out = connect_unix(sock);
    g_free(read_until(s, "(popek) "));
    g_free(sock);
    g_free(spec);
}

static int session_end(struct session *s)
{
    int status;
    g_assert_cmpint(waitpid(s->pid, &status, 0), ==, s->pid);
    close(s->in);
    if (s->out != s->in)
        close(s->out);
    close(s->err);
    g_string_free(s->buf, TRUE);
    char *rm[] = {"rm", "-rf", s->dir, NULL};
    g_spawn_sync(NULL, rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
    g_free(s->dir);
    g_assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static unsigned long long instructions(struct session *s)
{
    char *out = cmd(s, "stats");
    const char *at = strstr(out, "cpu.instructions");
    g_assert_nonnull(at);
    unsigned long long n = strtoull(at + strlen("cpu.instructions"), NULL, 10);
    g_free(out);
    return n;
}

/* Every command on one door. */
static void every_command(enum door door)
{
    struct session s;
    char *dir = g_dir_make_tmp("popek-monitor-img-XXXXXX", NULL);
    struct session files = {.dir = dir};
    char *fda = make_file(&files, "a.img", FLOPPY_BYTES, NULL, 0);
    char *fdb = make_file(&files, "b.img", FLOPPY_BYTES, NULL, 0);
    char *odd = make_file(&files, "odd.img", 1000, NULL, 0);
    char *iso = make_file(&files, "cd.iso", 64 * 2048, NULL, 0);
    char *iso2 = make_file(&files, "cd2.iso", 32 * 2048, NULL, 0);
    char *fda_opt = g_strconcat("--fda=", fda, NULL), *cd_opt = g_strconcat("--cdrom=", iso, NULL);
    const char *extra[] = {fda_opt, cd_opt, NULL};
    session_start(&s, door, extra);

    char *help = cmd(&s, "help");
    static const char *const names[] = {"stats",      "regs", "tlb",  "change",       "eject",
                                        "screendump", "stop", "cont", "system_reset", "quit"};
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
        g_assert_nonnull(strstr(help, names[i]));
    g_assert_null(strstr(help, "step-irq")); /* gdb's own */
    g_free(help);
    expect_cmd(&s, "phys on", "only through gdb");
    expect_cmd(&s, "frobnicate", "unknown monitor command 'frobnicate'");

    /* stop holds the guest; cont lets it run. */
    expect_cmd(&s, "stop", "paused");
    unsigned long long a = instructions(&s);
    g_usleep(300000);
    g_assert_cmpuint(instructions(&s), ==, a);
    /* system_reset: the CPU at the reset vector (the guest still stopped). */
    expect_cmd(&s, "system_reset", "machine reset");
    char *regs = cmd(&s, "regs");
    g_assert_nonnull(strstr(regs, "mode: real"));
    g_assert_nonnull(strstr(regs, "eip=0000fff0"));
    g_assert_nonnull(strstr(regs, "cs   f000 base=ffff0000"));
    g_free(regs);
    /* disas: the CPU's mode (16-bit at the reset vector), what the BIOS put there. */
    char *dis = cmd(&s, "disas");
    g_assert_nonnull(strstr(dis, "16-bit code, CS base ffff0000"));
    g_assert_nonnull(strstr(dis, "fffffff0  ea "));
    g_assert_nonnull(strstr(dis, "ljmp 0xf000:"));
    g_free(dis);
    expect_cmd(&s, "disas fffffff0 1 extra", "usage: disas");
    expect_cmd(&s, "disas fffffff0 0", "usage: disas");
    expect_cmd(&s, "cont", "running");
    g_usleep(300000);
    g_assert_cmpuint(instructions(&s), >, 0);
    expect_cmd(&s, "tlb 12345", "physical 000012345");
    expect_cmd(&s, "tlb", "usage");

    /* screendump writes a PNG; anything but .png is refused. */
    char *png = path_in(&files, "screen.png");
    char *line = g_strconcat("screendump ", png, NULL);
    expect_cmd(&s, line, "screen saved");
    char *data = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(png, &data, &len, NULL));
    g_assert_cmpuint(len, >, 8);
    g_assert_cmpmem(data, 8, "\x89PNG\r\n\x1a\n", 8);
    g_free(data);
    g_free(line);
    expect_cmd(&s, "screendump screen.bmp", "usage: screendump FILE.png");
    line = g_strconcat("screendump ", dir, "/no/such/dir/s.png", NULL);
    expect_cmd(&s, line, "screendump: ");
    g_free(line);

    /* change and eject, and what they refuse. */
    line = g_strconcat("change fda ", fdb, NULL);
    expect_cmd(&s, line, "fda: ");
    g_free(line);
    line = g_strconcat("change fda ", odd, NULL);
    expect_cmd(&s, line, "not the size of a floppy image");
    g_free(line);
    expect_cmd(&s, "change fda /nonexistent/x.img", "change fda: ");
    expect_cmd(&s, "eject fda", "fda: empty");
    line = g_strconcat("change fdb ", fdb, NULL);
    expect_cmd(&s, line, "there is no floppy drive B:");
    g_free(line);
    line = g_strconcat("change cdrom ", iso2, NULL);
    expect_cmd(&s, line, "cdrom: ");
    g_free(line);
    expect_cmd(&s, "eject cdrom", "cdrom: empty");
    expect_cmd(&s, "change hdz x.img", "usage: change fda|fdb|cdrom FILE");
    expect_cmd(&s, "change fda", "usage: change fda|fdb|cdrom FILE");
    expect_cmd(&s, "eject", "usage: eject fda|fdb|cdrom");

    /* quit: popek exits with status 0. */
    g_assert_cmpint(write(s.in, "quit\n", 5), ==, 5);
    g_free(read_until(&s, "quitting"));
    g_assert_cmpint(session_end(&s), ==, 0);

    char *rm[] = {"rm", "-rf", dir, NULL};
    g_spawn_sync(NULL, rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
    g_free(png);
    g_free(fda_opt);
    g_free(cd_opt);
    g_free(fda);
    g_free(fdb);
    g_free(odd);
    g_free(iso);
    g_free(iso2);
    g_free(dir);
}

static void test_tcp(void)
{
    every_command(DOOR_TCP);
}

static void test_unix(void)
{
    every_command(DOOR_UNIX);
}

static void test_stdio(void)
{
    every_command(DOOR_STDIO);
}

/* A second client is told the monitor is busy; the first keeps it. */
static void test_one_client(void)
{
    struct session s;
    const char *extra[] = {NULL};
    session_start(&s, DOOR_UNIX, extra);
    char *sock = path_in(&s, "monitor.sock");
    int second = connect_unix(sock);
    char b[256] = {0};
    ssize_t n = read(second, b, sizeof(b) - 1);
    g_assert_cmpint(n, >, 0);
    g_assert_nonnull(strstr(b, "in use"));
    close(second);
    expect_cmd(&s, "stop", "paused");
    g_assert_cmpint(write(s.in, "quit\n", 5), ==, 5);
    g_assert_cmpint(session_end(&s), ==, 0);
    g_free(sock);
}

/*
 * A guest waits for another floppy: the boot sector says "insert" and passes (debug-exit 1,
 * status 3) once it has seen the disk-change line and read the new disk's signature.
 */
static void test_floppy_change_seen_by_guest(void)
{
    char *dir = g_dir_make_tmp("popek-floppy-XXXXXX", NULL);
    struct session files = {.dir = dir};
    char *boot = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(floppy_change_bin, &boot, &len, NULL));
    g_assert_cmpuint(len, ==, 512);
    char *first = path_in(&files, "first.img");
    char *image = g_malloc0(FLOPPY_BYTES);
    memcpy(image, boot, 512);
    g_assert_true(g_file_set_contents(first, image, FLOPPY_BYTES, NULL));
    g_free(image);
    char *second = make_file(&files, "second.img", FLOPPY_BYTES, "NEWDISK!", 0x1f0);
    char *log = path_in(&files, "debugcon.txt");
    char *fda_opt = g_strconcat("--fda=", first, NULL);
    char *log_opt = g_strconcat("--debugcon=file:", log, NULL);
    const char *extra[] = {fda_opt, "--boot=a", "--debug-exit", log_opt, NULL};
    struct session s;
    session_start(&s, DOOR_UNIX, extra);
    /* Wait for the guest to ask. */
    char *text = NULL;
    for (int i = 0; i < 600; i++) {
        g_free(text);
        text = NULL;
        g_file_get_contents(log, &text, NULL, NULL);
        if (text && strstr(text, "insert"))
            break;
        g_usleep(50000);
    }
    if (!text || !strstr(text, "insert"))
        g_error("the guest never asked for the disk; debug console:\n%s", text ? text : "");
    g_free(text);
    char *line = g_strconcat("change fda ", second, NULL);
    expect_cmd(&s, line, "fda: ");
    g_free(line);
    int status = session_end(&s);
    if (status != 3) {
        g_file_get_contents(log, &text, NULL, NULL);
        g_error("the guest did not pass (status %d); debug console:\n%s", status, text);
    }
    char *rm[] = {"rm", "-rf", dir, NULL};
    g_spawn_sync(NULL, rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
    g_free(boot);
    g_free(first);
    g_free(second);
    g_free(log);
    g_free(fda_opt);
    g_free(log_opt);
    g_free(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    signal(SIGPIPE, SIG_IGN);
    popek_bin = g_getenv("POPEK_BIN");
    floppy_change_bin = g_getenv("FLOPPY_CHANGE_BIN");
    if (!popek_bin || !floppy_change_bin)
        g_error("POPEK_BIN or FLOPPY_CHANGE_BIN is not set");
    g_test_add_func("/monitor/tcp/every-command", test_tcp);
    g_test_add_func("/monitor/unix/every-command", test_unix);
    g_test_add_func("/monitor/stdio/every-command", test_stdio);
    g_test_add_func("/monitor/unix/one-client", test_one_client);
    g_test_add_func("/monitor/floppy-change-seen-by-guest", test_floppy_change_seen_by_guest);
    return g_test_run();
}
