/*
 * A file dropped onto the window: a floppy image goes into drive A:, a CD
 * image into the CD-ROM drive (image_kind.c tells them apart), as the
 * monitor's `change` does; a hard-disk image cannot go in while the guest
 * runs. A machine started with nothing to boot boots the first image
 * dropped.
 */
#ifndef POPEK_FRONTEND_MEDIA_DROP_H
#define POPEK_FRONTEND_MEDIA_DROP_H

#include <stdbool.h>

struct pc;

/*
 * Put the image at `path` in. Returns what happened as a short note for
 * the window (newly allocated); *boot says the machine should now be reset
 * to boot it (the first image dropped on a machine started without one).
 */
char *media_drop(struct pc *pc, const char *path, bool *boot);

#endif
