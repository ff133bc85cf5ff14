/*
 * png_check FILE [note|no-note]: pass (exit 0) when a screenshot is not
 * blank, that is when at least MIN_INK of its pixels differ from its
 * top-left pixel (the background). With `note`, the window's note box must
 * also show in the top-left quarter (pixels of the overlay's background
 * colour over the guest's black); with `no-note`, it must not. Prints what
 * it counted either way. For the window's end-to-end test (run-sdl-e2e).
 *
 * png_check FILE WxH X,Y=RRGGBB...: pass when the screenshot is W x H
 * pixels and each pixel named (at least one) has the colour given (hex).
 * For the tests that draw a known picture (tests/system/run-vbe).
 */
#include <png.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/overlay.h"

#define MIN_INK  200 /* pixels: a line of text is thousands */
#define MIN_NOTE 500 /* pixels of the note box's background: a one-line note has thousands */

/* One channel of the overlay's background blended over black, as the window draws it. */
static int blended(unsigned shift)
{
    unsigned alpha = OVERLAY_BG >> 24, c = (OVERLAY_BG >> shift) & 0xff;
    return (int)(c * alpha / 255);
}

/* Pixels of the top-left quarter in the overlay's background colour (within rounding). */
static size_t note_pixels(const unsigned char *px, unsigned w, unsigned h)
{
    int want[3] = {blended(16), blended(8), blended(0)};
    size_t n = 0;
    for (unsigned y = 0; y < h / 4; y++) {
        for (unsigned x = 0; x < w / 2; x++) {
            const unsigned char *p = px + 3 * ((size_t)y * w + x);
            n += abs(p[0] - want[0]) <= 3 && abs(p[1] - want[1]) <= 3 && abs(p[2] - want[2]) <= 3;
        }
    }
    return n;
}

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
    bool note_mode = argc == 3;
    if (argc < 2 || (note_mode && strcmp(argv[2], "note") && strcmp(argv[2], "no-note"))) {
        fprintf(stderr, "usage: png_check FILE.png [note|no-note | WxH X,Y=RRGGBB...]\n");
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
    if (argc > 3) {
        int ret = check_pixels(px, image.width, image.height, argc - 2, argv + 2);
        free(px);
        return ret;
    }
    size_t n = (size_t)image.width * image.height, ink = 0;
    for (size_t i = 1; i < n; i++)
        ink += memcmp(px + 3 * i, px, 3) != 0;
    size_t note = note_pixels(px, image.width, image.height);
    free(px);
    printf("png_check: %s: %ux%u, %zu pixels differ from the background, %zu look like a note\n",
           argv[1], image.width, image.height, ink, note);
    if (ink < MIN_INK)
        return 1;
    if (note_mode && !strcmp(argv[2], "note"))
        return note >= MIN_NOTE ? 0 : 1;
    if (note_mode)
        return note < MIN_NOTE ? 0 : 1;
    return 0;
}
