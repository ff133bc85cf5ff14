/*
 * Screenshots: the guest screen (or any 0x00RRGGBB pixel buffer) saved as
 * an 8-bit RGB PNG through libpng. Used by --screenshot at exit and by the
 * window's Ctrl+Alt+S.
 */
#ifndef POPEK_FRONTEND_SCREENSHOT_H
#define POPEK_FRONTEND_SCREENSHOT_H

#include <stdint.h>

struct vga;

/*
 * Write w x h pixels (row y at rgb + y * stride_pixels, 0x00RRGGBB) to
 * `path` as a PNG. Returns 0, or -1 with *err a one-line message.
 */
int screenshot_write_png(const char *path, const uint32_t *rgb, unsigned w, unsigned h,
                         unsigned stride_pixels, char **err);

/* Render the VGA's current screen and write it to `path` (as above). */
int screenshot_save(struct vga *vga, const char *path, char **err);

#endif
