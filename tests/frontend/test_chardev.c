/*
 * Character backends: files receive exactly the bytes written, "none"
 * swallows them, bad specs and unwritable paths are one-line errors, and a
 * reader that goes away does not kill popek.
 */
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

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/chardev/file-backend", test_file_backend);
    g_test_add_func("/chardev/none-and-errors", test_none_and_errors);
    g_test_add_func("/chardev/reader-gone", test_reader_gone);
    return g_test_run();
}
