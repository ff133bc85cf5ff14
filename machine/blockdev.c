/*
 * Raw disk images (see blockdev.h).
 */
#include "machine/blockdev.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int blockdev_open(struct blockdev *bd, const char *path, enum blockdev_mode mode, bool *fell_back,
                  char **err)
{
    memset(bd, 0, sizeof(*bd));
    bd->fd = -1;
    if (fell_back)
        *fell_back = false;
    bool snapshot = mode == BLOCKDEV_SNAPSHOT;
    bd->read_only = mode == BLOCKDEV_RO;
    int fd = open(path, mode == BLOCKDEV_RW ? O_RDWR : O_RDONLY);
    if (fd < 0 && mode == BLOCKDEV_RW && (errno == EACCES || errno == EROFS || errno == EPERM)) {
        fd = open(path, O_RDONLY);
        if (fd >= 0) {
            bd->read_only = true;
            if (fell_back)
                *fell_back = true;
        }
    }
    if (fd < 0) {
        *err = g_strdup_printf("%s: %s", path, g_strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        *err = g_strdup_printf("%s: not a regular file", path);
        close(fd);
        return -1;
    }
    bd->fd = fd;
    bd->size = (uint64_t)st.st_size;
    bd->snapshot = snapshot;
    if (snapshot)
        bd->overlay = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    bd->path = g_strdup(path);
    return 0;
}

void blockdev_close(struct blockdev *bd)
{
    if (bd->fd < 0)
        return;
    blockdev_flush(bd);
    close(bd->fd);
    bd->fd = -1;
    if (bd->overlay)
        g_hash_table_destroy(bd->overlay);
    bd->overlay = NULL;
    g_free(bd->path);
    bd->path = NULL;
}

static bool in_range(const struct blockdev *bd, uint64_t sector, unsigned count)
{
    return count <= blockdev_sectors(bd) && sector <= blockdev_sectors(bd) - count;
}

static int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
    while (len > 0) {
        ssize_t n = pread(fd, buf, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf = (uint8_t *)buf + n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

static int pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
    while (len > 0) {
        ssize_t n = pwrite(fd, buf, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf = (const uint8_t *)buf + n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

int blockdev_read(struct blockdev *bd, uint64_t sector, void *buf, unsigned count)
{
    if (bd->fd < 0 || !in_range(bd, sector, count))
        return -1;
    if (pread_all(bd->fd, buf, (size_t)count * BLOCKDEV_SECTOR, sector * BLOCKDEV_SECTOR) < 0)
        return -1;
    if (bd->overlay) {
        for (unsigned i = 0; i < count; i++) {
            gint64 key = (gint64)(sector + i);
            const void *copy = g_hash_table_lookup(bd->overlay, &key);
            if (copy)
                memcpy((uint8_t *)buf + i * BLOCKDEV_SECTOR, copy, BLOCKDEV_SECTOR);
        }
    }
    return 0;
}

int blockdev_write(struct blockdev *bd, uint64_t sector, const void *buf, unsigned count)
{
    if (bd->fd < 0 || bd->read_only || !in_range(bd, sector, count))
        return -1;
    if (bd->overlay) {
        for (unsigned i = 0; i < count; i++) {
            gint64 *key = g_new(gint64, 1);
            *key = (gint64)(sector + i);
            g_hash_table_replace(
                bd->overlay, key,
                g_memdup2((const uint8_t *)buf + i * BLOCKDEV_SECTOR, BLOCKDEV_SECTOR));
        }
        return 0;
    }
    return pwrite_all(bd->fd, buf, (size_t)count * BLOCKDEV_SECTOR, sector * BLOCKDEV_SECTOR);
}

int blockdev_flush(struct blockdev *bd)
{
    if (bd->fd < 0 || bd->read_only || bd->snapshot)
        return 0;
    return fsync(bd->fd) == 0 ? 0 : -1;
}
