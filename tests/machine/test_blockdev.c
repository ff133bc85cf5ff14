/*
 * Disk images: sector reads and writes reach the file, bounds are checked,
 * --snapshot never writes the file, read-only images refuse writes.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "machine/blockdev.h"

static char *make_image(unsigned sectors)
{
    char *path = NULL;
    int fd = g_file_open_tmp("popek-disk-XXXXXX.img", &path, NULL);
    g_assert_cmpint(fd, >=, 0);
    uint8_t sec[BLOCKDEV_SECTOR];
    for (unsigned s = 0; s < sectors; s++) {
        memset(sec, (int)s, sizeof(sec));
        g_assert_cmpint(write(fd, sec, sizeof(sec)), ==, (int)sizeof(sec));
    }
    close(fd);
    return path;
}

static void test_read_write(void)
{
    char *path = make_image(8), *err = NULL;
    struct blockdev bd;
    g_assert_cmpint(blockdev_open(&bd, path, BLOCKDEV_RW, NULL, &err), ==, 0);
    g_assert_cmpuint(blockdev_sectors(&bd), ==, 8);
    uint8_t buf[2 * BLOCKDEV_SECTOR];
    g_assert_cmpint(blockdev_read(&bd, 3, buf, 2), ==, 0);
    g_assert_cmpuint(buf[0], ==, 3);
    g_assert_cmpuint(buf[BLOCKDEV_SECTOR], ==, 4);
    memset(buf, 0xaa, sizeof(buf));
    g_assert_cmpint(blockdev_write(&bd, 6, buf, 2), ==, 0);
    /* Past the end, and wrapping counts, are refused. */
    g_assert_cmpint(blockdev_write(&bd, 7, buf, 2), ==, -1);
    g_assert_cmpint(blockdev_read(&bd, UINT64_MAX, buf, 1), ==, -1);
    g_assert_cmpint(blockdev_flush(&bd), ==, 0);
    blockdev_close(&bd);
    char *data = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    g_assert_cmpuint(len, ==, 8 * BLOCKDEV_SECTOR);
    g_assert_cmpuint((uint8_t)data[6 * BLOCKDEV_SECTOR], ==, 0xaa);
    g_assert_cmpuint((uint8_t)data[5 * BLOCKDEV_SECTOR], ==, 5);
    g_free(data);
    g_unlink(path);
    g_free(path);
}

static void test_snapshot_leaves_file(void)
{
    char *path = make_image(4), *err = NULL;
    struct blockdev bd;
    g_assert_cmpint(blockdev_open(&bd, path, BLOCKDEV_SNAPSHOT, NULL, &err), ==, 0);
    uint8_t buf[BLOCKDEV_SECTOR];
    memset(buf, 0x55, sizeof(buf));
    g_assert_cmpint(blockdev_write(&bd, 1, buf, 1), ==, 0);
    memset(buf, 0, sizeof(buf));
    g_assert_cmpint(blockdev_read(&bd, 1, buf, 1), ==, 0);
    g_assert_cmpuint(buf[0], ==, 0x55); /* the guest sees its write */
    blockdev_close(&bd);
    char *data = NULL;
    g_assert_true(g_file_get_contents(path, &data, NULL, NULL));
    g_assert_cmpuint((uint8_t)data[BLOCKDEV_SECTOR], ==, 1); /* the file does not */
    g_free(data);
    g_unlink(path);
    g_free(path);
}

static void test_read_only(void)
{
    char *path = make_image(2), *err = NULL;
    struct blockdev bd;
    g_assert_cmpint(blockdev_open(&bd, path, BLOCKDEV_RO, NULL, &err), ==, 0);
    uint8_t buf[BLOCKDEV_SECTOR] = {0};
    g_assert_cmpint(blockdev_read(&bd, 1, buf, 1), ==, 0);
    g_assert_cmpuint(buf[0], ==, 1);
    g_assert_cmpint(blockdev_write(&bd, 0, buf, 1), ==, -1);
    blockdev_close(&bd);
    g_unlink(path);
    g_free(path);
}

static void test_unwritable_file_falls_back(void)
{
    if (geteuid() == 0) {
        g_test_skip("root may write any file: the fallback cannot happen");
        return;
    }
    char *path = make_image(2), *err = NULL;
    g_assert_cmpint(chmod(path, 0444), ==, 0);
    struct blockdev bd;
    bool fell_back = false;
    g_assert_cmpint(blockdev_open(&bd, path, BLOCKDEV_RW, &fell_back, &err), ==, 0);
    g_assert_true(fell_back);
    g_assert_true(bd.read_only);
    uint8_t buf[BLOCKDEV_SECTOR] = {0};
    g_assert_cmpint(blockdev_write(&bd, 0, buf, 1), ==, -1);
    blockdev_close(&bd);
    g_unlink(path);
    g_free(path);
}

static void test_missing_file(void)
{
    struct blockdev bd;
    char *err = NULL;
    g_assert_cmpint(blockdev_open(&bd, "/nonexistent/disk.img", BLOCKDEV_RW, NULL, &err), ==, -1);
    g_assert_nonnull(strstr(err, "/nonexistent/disk.img"));
    g_free(err);
}

/*
 * An image of 8 sectors and 300 bytes: the guest sees 8 sectors; writing
 * the last whole one (and everything) leaves the 300 bytes as they were, and
 * nothing reaches past the sectors.
 */
static void test_partial_tail(void)
{
    char *path = make_image(8), *err = NULL;
    uint8_t tail[300];
    for (unsigned i = 0; i < sizeof(tail); i++)
        tail[i] = (uint8_t)(i * 3 + 7);
    FILE *f = fopen(path, "ab");
    g_assert_nonnull(f);
    g_assert_cmpuint(fwrite(tail, 1, sizeof(tail), f), ==, sizeof(tail));
    fclose(f);
    for (int mode = BLOCKDEV_RW; mode <= BLOCKDEV_SNAPSHOT; mode += BLOCKDEV_SNAPSHOT) {
        struct blockdev bd;
        g_assert_cmpint(blockdev_open(&bd, path, (enum blockdev_mode)mode, NULL, &err), ==, 0);
        g_assert_cmpuint(blockdev_sectors(&bd), ==, 8);
        g_assert_cmpuint(blockdev_tail(&bd), ==, 300);
        uint8_t buf[8 * BLOCKDEV_SECTOR];
        memset(buf, 0xee, sizeof(buf));
        g_assert_cmpint(blockdev_write(&bd, 7, buf, 1), ==, 0);
        g_assert_cmpint(blockdev_write(&bd, 0, buf, 8), ==, 0);
        g_assert_cmpint(blockdev_write(&bd, 8, buf, 1), ==, -1); /* the tail is no sector */
        g_assert_cmpint(blockdev_read(&bd, 8, buf, 1), ==, -1);
        g_assert_cmpint(blockdev_read(&bd, 7, buf, 1), ==, 0);
        g_assert_cmpuint(buf[0], ==, 0xee);
        blockdev_close(&bd);
        char *data = NULL;
        gsize len = 0;
        g_assert_true(g_file_get_contents(path, &data, &len, NULL));
        g_assert_cmpuint(len, ==, 8 * BLOCKDEV_SECTOR + sizeof(tail));
        g_assert_cmpmem(data + 8 * BLOCKDEV_SECTOR, sizeof(tail), tail, sizeof(tail));
        /* The last whole sector was written up to its last byte, right before the tail. */
        g_assert_cmpuint((uint8_t)data[8 * BLOCKDEV_SECTOR - 1], ==, 0xee);
        g_free(data);
    }
    g_unlink(path);
    g_free(path);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/blockdev/read-write", test_read_write);
    g_test_add_func("/blockdev/snapshot-leaves-file", test_snapshot_leaves_file);
    g_test_add_func("/blockdev/read-only", test_read_only);
    g_test_add_func("/blockdev/unwritable-file-falls-back", test_unwritable_file_falls_back);
    g_test_add_func("/blockdev/missing-file", test_missing_file);
    g_test_add_func("/blockdev/partial-tail", test_partial_tail);
    return g_test_run();
}
