/*
 * Character backends: files receive exactly the bytes written, "none"
 * swallows them, bad specs and unwritable paths are one-line errors, a
 * reader that goes away does not kill popek, and a slow reader makes
 * chardev_offer refuse bytes (never wait, never lose them); the tcp
 * backend serves one loopback client after another.
 */
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "frontend/chardev.h"

static void test_file_backend(void)
{
    char *dir = g_dir_make_tmp("popek-chardev-XXXXXX", NULL);
    char *path = g_build_filename(dir, "out.log", NULL);
    char *spec = g_strdup_printf("file:%s", path);
    struct chardev cd;
    char *err = NULL;
    g_assert_cmpint(chardev_open(&cd, "serial", spec, &err), ==, 0);
    chardev_write(&cd, (const uint8_t *)"hello", 5);
    chardev_write(&cd, (const uint8_t *)"\0world", 6);
    chardev_close(&cd);
    char *data;
    gsize len;
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    g_assert_cmpuint(len, ==, 11);
    g_assert_cmpmem(data, len, "hello\0world", 11);
    g_free(data);
    g_unlink(path);
    g_rmdir(dir);
    g_free(spec);
    g_free(path);
    g_free(dir);
}

static void test_none_and_errors(void)
{
    struct chardev cd;
    char *err = NULL;
    g_assert_cmpint(chardev_open(&cd, "serial", "none", &err), ==, 0);
    chardev_write(&cd, (const uint8_t *)"x", 1); /* goes nowhere, harmlessly */
    chardev_close(&cd);
    g_assert_cmpint(chardev_open(&cd, "debugcon", "file:/nonexistent/dir/x", &err), ==, -1);
    g_assert_nonnull(strstr(err, "--debugcon: cannot write '/nonexistent/dir/x'"));
    g_free(err);
    g_assert_cmpint(chardev_open(&cd, "debugcon", "pty", &err), ==, -1);
    g_assert_nonnull(strstr(err, "'pty'"));
    g_free(err);
}

static void test_reader_gone(void)
{
    int fds[2];
    g_assert_cmpint(pipe(fds), ==, 0);
    signal(SIGPIPE, SIG_IGN);
    struct chardev cd = {.out_fd = fds[1], .in_fd = -1, .owns_out = 1};
    close(fds[0]);
    chardev_write(&cd, (const uint8_t *)"lost", 4);
    g_assert_cmpint(cd.out_fd, ==, -1); /* stops writing, no crash */
    chardev_write(&cd, (const uint8_t *)"more", 4);
    chardev_close(&cd);
}

/* Read everything the pipe holds now. */
static void drain(int fd, GByteArray *into)
{
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    uint8_t buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        g_byte_array_append(into, buf, (guint)n);
    fcntl(fd, F_SETFL, flags);
}

static void test_slow_reader(void)
{
    int fds[2];
    g_assert_cmpint(pipe(fds), ==, 0);
    struct chardev cd = {.out_fd = fds[1], .in_fd = -1, .owns_out = 1};
    GByteArray *got = g_byte_array_new();
    /* Offer far more than the pipe and the buffer hold, one byte at a time as the UART does. */
    const size_t total = 4 * CHARDEV_BUF_SIZE + 12345;
    size_t sent = 0, refused = 0;
    while (sent < total) {
        uint8_t b = (uint8_t)(sent * 13 + (sent >> 8));
        if (chardev_offer(&cd, &b, 1) == 1) {
            sent++;
            continue;
        }
        refused++; /* full: nothing waited; the reader catches up, then popek's poll */
        drain(fds[0], got);
        chardev_poll(&cd);
    }
    g_assert_cmpuint(refused, >, 0);
    while (cd.len > 0) {
        drain(fds[0], got);
        chardev_poll(&cd);
    }
    /* The debug console's way waits, and comes after what was offered before it. */
    g_assert_cmpuint(chardev_offer(&cd, (const uint8_t *)"<>", 2), ==, 2);
    chardev_write(&cd, (const uint8_t *)"END", 3);
    chardev_close(&cd);
    drain(fds[0], got);
    close(fds[0]);
    g_assert_cmpuint(got->len, ==, total + 5);
    for (size_t i = 0; i < total; i++)
        g_assert_cmphex(got->data[i], ==, (uint8_t)(i * 13 + (i >> 8)));
    g_assert_cmpmem(got->data + total, 5, "<>END", 5);
    g_byte_array_free(got, TRUE);
}

static void test_input(void)
{
    int fds[2];
    g_assert_cmpint(pipe(fds), ==, 0);
    struct chardev cd = {.out_fd = -1, .in_fd = fds[0]};
    uint8_t buf[8];
    g_assert_cmpuint(chardev_read(&cd, buf, sizeof(buf)), ==, 0); /* nothing yet: no wait */
    g_assert_cmpint(write(fds[1], "abc", 3), ==, 3);
    g_assert_cmpuint(chardev_read(&cd, buf, sizeof(buf)), ==, 3);
    g_assert_cmpmem(buf, 3, "abc", 3);
    close(fds[1]);
    g_assert_cmpuint(chardev_read(&cd, buf, sizeof(buf)), ==, 0); /* end of input */
    g_assert_cmpint(cd.in_fd, ==, -1);
    close(fds[0]);
}

/* A loopback client of the chardev's tcp port. */
static GSocket *tcp_client(struct chardev *cd)
{
    GSocketAddress *local = g_socket_get_local_address(cd->listener, NULL);
    g_assert_nonnull(local);
    GSocket *c =
        g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
    g_assert_true(g_socket_connect(c, local, NULL, NULL));
    g_object_unref(local);
    g_socket_set_timeout(c, 5);
    return c;
}

/* Poll the chardev until the client has received `want`. */
static void expect_received(struct chardev *cd, GSocket *c, const char *want)
{
    size_t n = strlen(want), got = 0;
    char buf[64];
    g_assert_cmpuint(n, <, sizeof(buf));
    while (got < n) {
        chardev_poll(cd);
        if (!g_socket_condition_timed_wait(c, G_IO_IN, 10000, NULL, NULL))
            continue;
        gssize r = g_socket_receive(c, buf + got, n - got, NULL, NULL);
        g_assert_cmpint(r, >, 0);
        got += (size_t)r;
    }
    g_assert_cmpmem(buf, n, want, n);
}

/* Poll chardev_read until `want` came from the client (within 5 s). */
static void expect_input(struct chardev *cd, const char *want)
{
    size_t n = strlen(want), got = 0;
    uint8_t buf[64];
    for (int i = 0; i < 500 && got < n; i++) {
        got += chardev_read(cd, buf + got, n - got);
        if (got < n)
            g_usleep(10000);
    }
    g_assert_cmpmem(buf, got, want, n);
}

/*
 * tcp: popek listens on loopback; output while nobody is connected is
 * discarded without waiting; a client gets output and gives input; after it
 * leaves, the next one is served the same way.
 */
static void test_tcp(void)
{
    struct chardev cd;
    char *err = NULL;
    g_assert_cmpint(chardev_open(&cd, "serial", "tcp:127.0.0.1:0", &err), ==, 0);
    g_assert_cmpuint(chardev_offer(&cd, (const uint8_t *)"nobody", 6), ==, 6);
    chardev_poll(&cd);
    for (int round = 0; round < 2; round++) {
        GSocket *c = tcp_client(&cd);
        for (int i = 0; i < 500 && !cd.client; i++) {
            chardev_poll(&cd);
            g_usleep(10000);
        }
        g_assert_nonnull(cd.client);
        g_assert_cmpuint(chardev_offer(&cd, (const uint8_t *)"hello", 5), ==, 5);
        expect_received(&cd, c, "hello");
        g_assert_cmpint(g_socket_send(c, "typed", 5, NULL, NULL), ==, 5);
        expect_input(&cd, "typed");
        g_socket_close(c, NULL);
        g_object_unref(c);
        /* The closed connection is noticed on input: the port waits for the next client. */
        uint8_t buf[8];
        for (int i = 0; i < 500 && cd.client; i++) {
            chardev_read(&cd, buf, sizeof(buf));
            g_usleep(10000);
        }
        g_assert_null(cd.client);
        g_assert_cmpuint(chardev_offer(&cd, (const uint8_t *)"gone", 4), ==, 4);
    }
    chardev_close(&cd);
    /* A port that is taken: one line. */
    struct chardev a, b;
    g_assert_cmpint(chardev_open(&a, "serial", "tcp:127.0.0.1:0", &err), ==, 0);
    GSocketAddress *local = g_socket_get_local_address(a.listener, NULL);
    char *spec = g_strdup_printf("tcp:127.0.0.1:%u",
                                 g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local)));
    g_assert_cmpint(chardev_open(&b, "serial", spec, &err), ==, -1);
    g_assert_true(g_str_has_prefix(err, "--serial: cannot listen on 127.0.0.1:"));
    g_free(err);
    g_free(spec);
    g_object_unref(local);
    chardev_close(&a);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/chardev/file-backend", test_file_backend);
    g_test_add_func("/chardev/none-and-errors", test_none_and_errors);
    g_test_add_func("/chardev/reader-gone", test_reader_gone);
    g_test_add_func("/chardev/slow-reader", test_slow_reader);
    g_test_add_func("/chardev/input", test_input);
    g_test_add_func("/chardev/tcp", test_tcp);
    return g_test_run();
}
