/*
 * Where popek looks for SeaBIOS (pc/firmware.c): the directories in their
 * order (Homebrew's share/qemu among them, $HOMEBREW_PREFIX's first), the
 * image names in each, the VGA BIOS beside the BIOS before the search, and
 * the one-line message when nothing is found.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "pc/firmware.h"

static char *touch(const char *dir, const char *name)
{
    char *path = g_build_filename(dir, name, NULL);
    g_assert_true(g_file_set_contents(path, "x", 1, NULL));
    return path;
}

static char *subdir(const char *root, const char *name)
{
    char *path = g_build_filename(root, name, NULL);
    g_assert_cmpint(g_mkdir(path, 0755), ==, 0);
    return path;
}

static guint index_of(char **dirs, const char *dir)
{
    for (guint i = 0; dirs[i]; i++) {
        if (strcmp(dirs[i], dir) == 0)
            return i;
    }
    return G_MAXUINT;
}

static void test_dirs(void)
{
    g_unsetenv("HOMEBREW_PREFIX");
    char **dirs = firmware_dirs();
    g_assert_cmpuint(index_of(dirs, "/usr/share/seabios"), ==, 0);
    g_assert_cmpuint(index_of(dirs, "/usr/share/qemu"), ==, 1);
    g_assert_cmpuint(index_of(dirs, "/opt/homebrew/share/qemu"), ==, 2);
    g_assert_cmpuint(index_of(dirs, "/usr/local/share/qemu"), ==, 3);
    g_assert_null(dirs[4]);
    g_strfreev(dirs);

    /* A Homebrew elsewhere comes before the usual prefixes. */
    g_setenv("HOMEBREW_PREFIX", "/home/me/brew", TRUE);
    dirs = firmware_dirs();
    g_assert_cmpuint(index_of(dirs, "/home/me/brew/share/qemu"), ==, 2);
    g_assert_cmpuint(g_strv_length(dirs), ==, 5);
    g_strfreev(dirs);

    /* One of the usual prefixes is not listed twice. */
    g_setenv("HOMEBREW_PREFIX", "/opt/homebrew", TRUE);
    dirs = firmware_dirs();
    g_assert_cmpuint(index_of(dirs, "/opt/homebrew/share/qemu"), ==, 2);
    g_assert_cmpuint(g_strv_length(dirs), ==, 4);
    g_strfreev(dirs);
    g_unsetenv("HOMEBREW_PREFIX");
}

static void test_search_order(void)
{
    char *root = g_dir_make_tmp("popek-fw-XXXXXX", NULL);
    g_assert_nonnull(root);
    char *a = subdir(root, "a"), *b = subdir(root, "b");
    const char *const dirs[] = {a, b, NULL};

    g_assert_null(firmware_find_bios(dirs));
    char *b_bios = touch(b, "bios.bin");
    char *found = firmware_find_bios(dirs);
    g_assert_cmpstr(found, ==, b_bios);
    g_free(found);
    /* An earlier directory wins; in one directory bios-256k.bin before bios.bin. */
    char *a_bios = touch(a, "bios.bin");
    found = firmware_find_bios(dirs);
    g_assert_cmpstr(found, ==, a_bios);
    g_free(found);
    char *a_256k = touch(a, "bios-256k.bin");
    found = firmware_find_bios(dirs);
    g_assert_cmpstr(found, ==, a_256k);
    g_free(found);

    /* The VGA BIOS: beside the BIOS image, else from the directories. */
    g_assert_null(firmware_find_vga_bios(b_bios, dirs));
    char *b_vga = touch(b, "vgabios-stdvga.bin");
    found = firmware_find_vga_bios(a_bios, dirs);
    g_assert_cmpstr(found, ==, b_vga);
    g_free(found);
    char *own = subdir(root, "own");
    char *own_bios = touch(own, "bios.bin"), *own_vga = touch(own, "vgabios-stdvga.bin");
    found = firmware_find_vga_bios(own_bios, dirs);
    g_assert_cmpstr(found, ==, own_vga);
    g_free(found);

    const char *files[] = {a_bios, a_256k, b_bios, b_vga, own_bios, own_vga};
    for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
        g_assert_cmpint(g_remove(files[i]), ==, 0);
        g_free((char *)files[i]);
    }
    const char *rmdirs[] = {a, b, own, root};
    for (size_t i = 0; i < G_N_ELEMENTS(rmdirs); i++) {
        g_assert_cmpint(g_rmdir(rmdirs[i]), ==, 0);
        g_free((char *)rmdirs[i]);
    }
}

static void test_message(void)
{
    g_setenv("HOMEBREW_PREFIX", "/home/me/brew", TRUE);
    char *msg = firmware_no_bios_message();
    g_assert_null(strchr(msg, '\n'));
    g_assert_nonnull(strstr(msg, "--bios=FILE"));
    g_assert_nonnull(strstr(msg, "brew install qemu"));
    char **dirs = firmware_dirs();
    for (guint i = 0; dirs[i]; i++)
        g_assert_nonnull(strstr(msg, dirs[i]));
    g_strfreev(dirs);
    g_free(msg);
    g_unsetenv("HOMEBREW_PREFIX");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/firmware/dirs", test_dirs);
    g_test_add_func("/firmware/search-order", test_search_order);
    g_test_add_func("/firmware/no-bios-message", test_message);
    return g_test_run();
}
