/*
 * png_check FILE: pass (exit 0) when a screenshot is not blank, that is
 * when at least MIN_INK of its pixels differ from its top-left pixel (the
 * background). Prints the size and the count either way. For the window's
 * end-to-end test (run-sdl-e2e).
 */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_INK 200 /* pixels: a line of text is thousands */

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: png_check FILE.png\n");
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
    size_t n = (size_t)image.width * image.height, ink = 0;
    for (size_t i = 1; i < n; i++)
        ink += memcmp(px + 3 * i, px, 3) != 0;
    free(px);
    printf("png_check: %s: %ux%u, %zu pixels differ from the background\n", argv[1], image.width,
           image.height, ink);
    return ink >= MIN_INK ? 0 : 1;
}
