/*
 * png_check FILE: pass (exit 0) when a screenshot is not blank, that is
 * when at least MIN_INK of its pixels differ from its top-left pixel (the
 * background). Prints the size and the count either way. For the window's
 * end-to-end test (run-sdl-e2e).
 *
 * png_check FILE WxH X,Y=RRGGBB...: pass when the screenshot is W x H
 * pixels and each pixel named has the colour given (hex). For the tests
 * that draw a known picture (tests/system/run-vbe).
 */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_INK 200 /* pixels: a line of text is thousands */

/* Check the size and the pixels named in args (WxH, then X,Y=RRGGBB each). */
static int check_pixels(const unsigned char *px, unsigned w, unsigned h, int argc, char **argv)
{
    unsigned want_w, want_h;
    if (sscanf(argv[0], "%ux%u", &want_w, &want_h) != 2) {
        fprintf(stderr, "png_check: '%s' is not WxH\n", argv[0]);
        return 2;
    }
    if (w != want_w || h != want_h) {
        printf("png_check: %ux%u, not %ux%u\n", w, h, want_w, want_h);
        return 1;
    }
    int bad = 0;
    for (int i = 1; i < argc; i++) {
        unsigned x, y, rgb;
        if (sscanf(argv[i], "%u,%u=%x", &x, &y, &rgb) != 3 || x >= w || y >= h) {
            fprintf(stderr, "png_check: '%s' is not X,Y=RRGGBB inside the picture\n", argv[i]);
            return 2;
        }
        const unsigned char *p = px + 3 * ((size_t)y * w + x);
        unsigned got = (unsigned)p[0] << 16 | (unsigned)p[1] << 8 | p[2];
        if (got != rgb) {
            printf("png_check: pixel %u,%u is %06x, not %06x\n", x, y, got, rgb);
            bad = 1;
        }
    }
    if (!bad)
        printf("png_check: %ux%u, %d pixels as expected\n", w, h, argc - 1);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc == 3 || argc < 2) {
        fprintf(stderr, "usage: png_check FILE.png [WxH X,Y=RRGGBB...]\n");
        return 2;
    }
    png_image image;
    memset(&image, 0, sizeof(image));
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&image, argv[1])) {
        fprintf(stderr, "png_check: %s: %s\n", argv[1], image.message);
        return 1;
    }
    image.format = PNG_FORMAT_RGB;
    unsigned char *px = malloc(PNG_IMAGE_SIZE(image));
    if (!px || !png_image_finish_read(&image, NULL, px, 0, NULL)) {
        fprintf(stderr, "png_check: %s: %s\n", argv[1], px ? image.message : "out of memory");
        free(px);
        return 1;
    }
    if (argc > 2) {
        int ret = check_pixels(px, image.width, image.height, argc - 2, argv + 2);
        free(px);
        return ret;
    }
    size_t n = (size_t)image.width * image.height, ink = 0;
    for (size_t i = 1; i < n; i++)
        ink += memcmp(px + 3 * i, px, 3) != 0;
    free(px);
    printf("png_check: %s: %ux%u, %zu pixels differ from the background\n", argv[1], image.width,
           image.height, ink);
    return ink >= MIN_INK ? 0 : 1;
}
