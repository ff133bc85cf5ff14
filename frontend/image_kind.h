/*
 * What kind of image a file is, for `popek FILE` and for a file dropped
 * onto the window: a CD (an ISO 9660 volume descriptor), a floppy (one of
 * the sizes the floppy controller reads) or else a hard disk.
 */
#ifndef POPEK_FRONTEND_IMAGE_KIND_H
#define POPEK_FRONTEND_IMAGE_KIND_H

enum image_kind { IMAGE_FLOPPY, IMAGE_DISK, IMAGE_CDROM };

/* Look at `path`: 0 and *kind, or -1 with *err a one-line message naming the file. */
int image_classify(const char *path, enum image_kind *kind, char **err);

/* "floppy", "hard disk", "CD-ROM". */
const char *image_kind_name(enum image_kind kind);

#endif
