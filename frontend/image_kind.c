/*
 * Telling floppy, hard-disk and CD images apart: ECMA-119 (ISO 9660) puts
 * its first volume descriptor at sector 16 of 2048 bytes, "CD001" at its
 * byte 1; a floppy image is exactly one of the floppy sizes; anything else
 * is a raw hard disk.
 */
#include "frontend/image_kind.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/fdc.h"

#define ISO_DESCRIPTOR_OFFSET (16 * 2048 + 1)

int image_classify(const char *path, enum image_kind *kind, char **err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY); /* a named pipe: no wait */
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        *err = g_strdup_printf("cannot open '%s': %s", path, g_strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char id[5] = {0};
    bool iso = pread(fd, id, sizeof(id), ISO_DESCRIPTOR_OFFSET) == (ssize_t)sizeof(id) &&
               !memcmp(id, "CD001", sizeof(id));
    close(fd);
    if (S_ISDIR(st.st_mode)) {
        *err = g_strdup_printf("'%s' is a directory", path);
        return -1;
    }
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
        *err = g_strdup_printf("'%s' is not a file", path);
        return -1;
    }
    if (S_ISREG(st.st_mode) && st.st_size == 0) {
        *err = g_strdup_printf("'%s' is empty", path);
        return -1;
    }
    *kind = iso                                        ? IMAGE_CDROM
            : fdc_is_floppy_size((uint64_t)st.st_size) ? IMAGE_FLOPPY
                                                       : IMAGE_DISK;
    return 0;
}

const char *image_kind_name(enum image_kind kind)
{
    switch (kind) {
    case IMAGE_FLOPPY:
        return "floppy";
    case IMAGE_CDROM:
        return "CD-ROM";
    default:
        return "hard disk";
    }
}
