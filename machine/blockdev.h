/*
 * Disk images for the storage devices: raw files read and written in
 * 512-byte sectors. Writes reach the file and are flushed (fsync) on the
 * guest's flush command and when the image is closed. With `snapshot`
 * the file is opened read-only and writes go to an in-memory overlay that
 * disappears at exit. An image that cannot be opened for writing is
 * attached read-only (the caller is told, to warn the user). The guest
 * sees the whole sectors of the file; bytes after the last whole sector
 * (blockdev_tail) are never read or written, so they stay in the file as
 * they were.
 */
#ifndef POPEK_MACHINE_BLOCKDEV_H
#define POPEK_MACHINE_BLOCKDEV_H

#include <stdbool.h>
#include <stdint.h>

#define BLOCKDEV_SECTOR 512u

struct blockdev {
    int fd;
    uint64_t size;  /* bytes */
    bool read_only; /* writes are refused (the device reports write protection) */
    bool snapshot;  /* writes go to `overlay` */
    void *overlay;  /* GHashTable: sector number -> 512-byte copy */
    char *path;
};

enum blockdev_mode {
    BLOCKDEV_RW,       /* read-write, falling back to read-only when the file is not writable */
    BLOCKDEV_RO,       /* read-only (CD-ROM images) */
    BLOCKDEV_SNAPSHOT, /* writes kept in memory, never in the file (--snapshot) */
};

/*
 * Open an image. Returns 0, or -1 with *err a one-line message. *fell_back
 * (may be NULL) is set when a writable open failed and the image was
 * attached read-only instead.
 */
int blockdev_open(struct blockdev *bd, const char *path, enum blockdev_mode mode, bool *fell_back,
                  char **err);
void blockdev_close(struct blockdev *bd);

/* Sector I/O; 0, or -1 (outside the image, read-only, or a host I/O error). */
int blockdev_read(struct blockdev *bd, uint64_t sector, void *buf, unsigned count);
int blockdev_write(struct blockdev *bd, uint64_t sector, const void *buf, unsigned count);
int blockdev_flush(struct blockdev *bd);

static inline uint64_t blockdev_sectors(const struct blockdev *bd)
{
    return bd->size / BLOCKDEV_SECTOR;
}

/* Bytes after the last whole sector (0 for an image of whole sectors). */
static inline unsigned blockdev_tail(const struct blockdev *bd)
{
    return (unsigned)(bd->size % BLOCKDEV_SECTOR);
}

#endif
