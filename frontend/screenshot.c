/*
 * PNG screenshots (see screenshot.h), written with libpng's simplified API
 * (libpng 1.6 manual, section V): the XRGB pixels are repacked into R, G, B
 * bytes and handed to png_image_write_to_file in one call.
 */
#include "frontend/screenshot.h"

#include <glib.h>
#include <png.h>
#include <string.h>

#include "devices/vga.h"

int screenshot_write_png(const char *path, const uint32_t *rgb, unsigned w, unsigned h,
                         unsigned stride_pixels, char **err)
{
    if (!w || !h) {
        *err = g_strdup_printf("cannot save '%s': the screen is empty", path);
        return -1;
    }
    uint8_t *bytes = g_malloc((size_t)w * h * 3);
    for (unsigned y = 0; y < h; y++) {
        const uint32_t *src = rgb + (size_t)y * stride_pixels;
        uint8_t *dst = bytes + (size_t)y * w * 3;
        for (unsigned x = 0; x < w; x++) {
            dst[3 * x] = (uint8_t)(src[x] >> 16);
            dst[3 * x + 1] = (uint8_t)(src[x] >> 8);
            dst[3 * x + 2] = (uint8_t)src[x];
        }
    }
    png_image image;
    memset(&image, 0, sizeof(image));
    image.version = PNG_IMAGE_VERSION;
    image.width = w;
    image.height = h;
    image.format = PNG_FORMAT_RGB;
    int ok = png_image_write_to_file(&image, path, 0, bytes, (png_int_32)(w * 3), NULL);
    g_free(bytes);
    if (!ok) {
        *err = g_strdup_printf("cannot save '%s': %s", path, image.message);
        png_image_free(&image);
        return -1;
    }
    return 0;
}

int screenshot_save(struct vga *vga, const char *path, char **err)
{
    unsigned w, h;
    vga_screen_size(vga, &w, &h);
    uint32_t *rgb = g_new0(uint32_t, (size_t)w * h); /* at least 1x1 */
    vga_render(vga, rgb, w, &w, &h);
    int ret = screenshot_write_png(path, rgb, w, h, w, err);
    g_free(rgb);
    return ret;
}
