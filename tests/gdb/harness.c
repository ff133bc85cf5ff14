/*
 * See harness.h.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

/* 16-bit real-mode code for 0000:7C00; the offsets match harness.h. */
const uint8_t test_program[] = {
    0x31, 0xc0,             /* 7c00: xor ax, ax */
    0x8e, 0xd8,             /* 7c02: mov ds, ax */
    0xb8, 0x34, 0x12,       /* 7c04: mov ax, 0x1234 */
    0xa3, 0x00, 0x05,       /* 7c07: mov [0x500], ax */
    0x40,                   /* 7c0a: inc ax */
    0xeb, 0xfe,             /* 7c0b: jmp $ */
    0x0f, 0x0b,             /* 7c0d: ud2 */
    0x90,                   /* 7c0f: nop */
    0xb0, 0x21,             /* 7c10: mov al, 0x21 */
    0xe6, 0xf4,             /* 7c12: out 0xf4, al */
    0xf4,                   /* 7c14: hlt */
    0x90, 0x90, 0x90, 0x90, /* 7c15 */
    0x90, 0x90, 0x90, 0x90, /* 7c19 */
    0x90, 0x90, 0x90,       /* 7c1d */
    0x90,                   /* 7c20: nop (the #UD handler) */
    0xeb, 0xfe,             /* 7c21: jmp $ */
};
const size_t test_program_len = sizeof(test_program);

/* Where the image keeps a copy of the program, for a guest that copies it down itself. */
#define ROM_COPY 0x200u

/*
 * The 64 KiB BIOS image. The reset vector jumps to F000:0100. There, with
 * `with_program`, a REP MOVSB copies the program from F000:0200 to
 * 0000:7C00 first; then a far jump goes to 0000:7C00.
 */
char *popek_write_rom(bool with_program)
{
    uint8_t *rom = g_malloc(0x10000);
    memset(rom, 0xf4, 0x10000);                                    /* hlt */
    static const uint8_t reset[] = {0xea, 0x00, 0x01, 0x00, 0xf0}; /* jmp far f000:0100 */
    memcpy(rom + 0xfff0, reset, sizeof(reset));
    static const uint8_t copy[] = {
        0x31, 0xc0,       /* xor ax, ax */
        0x8e, 0xc0,       /* mov es, ax */
        0x8c, 0xc8,       /* mov ax, cs */
        0x8e, 0xd8,       /* mov ds, ax */
        0xbe, 0x00, 0x02, /* mov si, ROM_COPY */
        0xbf, 0x00, 0x7c, /* mov di, PROG_BASE */
        0xb9, 0x40, 0x00, /* mov cx, 64 */
        0xfc,             /* cld */
        0xf3, 0xa4,       /* rep movsb */
    };
    static const uint8_t hop[] = {0xea, 0x00, 0x7c, 0x00, 0x00}; /* jmp far 0000:7c00 */
    size_t at = 0x100;
    if (with_program) {
        memcpy(rom + at, copy, sizeof(copy));
        at += sizeof(copy);
        memcpy(rom + ROM_COPY, test_program, test_program_len);
    }
    memcpy(rom + at, hop, sizeof(hop));
    char *path = NULL;
    int fd = g_file_open_tmp("popek-gdb-rom-XXXXXX.bin", &path, NULL);
    g_assert_cmpint(fd, >=, 0);
    close(fd);
    g_assert_true(g_file_set_contents(path, (const char *)rom, 0x10000, NULL));
    g_free(rom);
    return path;
}

/* Read popek's standard error up to the line naming the stub's port. */
static unsigned read_port(int fd)
{
    GString *err = g_string_new(NULL);
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    const char *key = "gdb stub listening on 127.0.0.1:";
    while (!strstr(err->str, key) || !strchr(strstr(err->str, key), '\n')) {
        struct pollfd pfd = {fd, POLLIN, 0};
        int left = (int)((deadline - g_get_monotonic_time()) / 1000);
        char c;
        if (left <= 0 || poll(&pfd, 1, left) <= 0 || read(fd, &c, 1) != 1)
            g_error("popek did not say where the gdb stub listens; stderr:\n%s", err->str);
        g_string_append_c(err, c);
    }
    unsigned port = (unsigned)atoi(strstr(err->str, key) + strlen(key));
    g_string_free(err, TRUE);
    return port;
}

/* In the child: die with the test, so that a failed assertion leaves no guest spinning. */
static void die_with_parent(gpointer data)
{
    (void)data;
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
}

void popek_start(struct popek_proc *p, bool with_program, const char *const *extra)
{
    const char *bin = g_getenv("POPEK_BIN");
    if (!bin)
        g_error("POPEK_BIN is not set: run this test through meson test");
    p->rom = popek_write_rom(with_program);
    p->status = -1;
    char *bios = g_strconcat("--bios=", p->rom, NULL);
    const char *argv[24] = {bin, bios, "--display=none", "--gdb=tcp:127.0.0.1:0"};
    unsigned n = 4;
    /* POPEK_TIER=0|1 (each test runs once a tier): that tier, tier 1 translating at once. */
    const char *tier = g_getenv("POPEK_TIER");
    char *tier_arg = tier && *tier ? g_strconcat("--tier=", tier, NULL) : NULL;
    if (tier_arg) {
        argv[n++] = tier_arg;
        argv[n++] = "--tc-threshold=0";
    }
    for (unsigned i = 0; extra && extra[i]; i++) {
        g_assert_cmpuint(n + 1, <, G_N_ELEMENTS(argv));
        argv[n++] = extra[i];
    }
    GError *error = NULL;
    char **envp = g_environ_unsetenv(g_get_environ(), "DISPLAY");
    envp = g_environ_unsetenv(envp, "WAYLAND_DISPLAY");
    if (!g_spawn_async_with_pipes(NULL, (char **)argv, envp, G_SPAWN_DO_NOT_REAP_CHILD,
                                  die_with_parent, NULL, &p->pid, NULL, NULL, &p->err_fd, &error))
        g_error("cannot run %s: %s", bin, error->message);
    g_strfreev(envp);
    g_free(bios);
    g_free(tier_arg);
    p->port = read_port(p->err_fd);
}

int popek_connect(const struct popek_proc *p)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    g_assert_cmpint(fd, >=, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p->port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        g_error("cannot connect to the gdb stub on port %u: %s", p->port, g_strerror(errno));
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

int popek_wait(struct popek_proc *p, double seconds)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)(seconds * G_USEC_PER_SEC);
    while (p->status < 0) {
        int ws;
        pid_t r = waitpid(p->pid, &ws, WNOHANG);
        if (r == p->pid) {
            p->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
            break;
        }
        if (g_get_monotonic_time() > deadline) {
            kill(p->pid, SIGKILL);
            waitpid(p->pid, &ws, 0);
            p->status = 255;
            return -1;
        }
        g_usleep(10000);
    }
    return p->status;
}

void popek_cleanup(struct popek_proc *p)
{
    if (p->status < 0) {
        int ws;
        kill(p->pid, SIGKILL);
        waitpid(p->pid, &ws, 0);
        p->status = 255;
    }
    g_spawn_close_pid(p->pid);
    close(p->err_fd);
    g_unlink(p->rom);
    g_free(p->rom);
}
