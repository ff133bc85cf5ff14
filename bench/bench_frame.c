/*
 * The window's frame path, timed: what one frame costs the main loop
 * (render the VGA screen, find what changed, upload it, present when
 * anything did) for a text screen and a VBE 1024x768x32 screen that do not
 * change, change a little (a clock in the top row and a blinking cursor
 * near the bottom) or change entirely. Needs a display (Xvfb will do:
 * `xvfb-run build/bench/bench_frame`); without one it skips (exit 77).
 *
 *   bench_frame [frames]
 */
#include <SDL.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/vga.h"
#include "frontend/picture.h"
#include "machine/machine.h"

#define LFB_ADDR 0xe0000000u
#define SKIP     77 /* the exit status meson reads as "skipped" */

struct bench {
    struct machine m;
    struct vga *vga;
    SDL_Window *win;
    SDL_Renderer *ren;
    struct picture pic;
    uint8_t *lfb;
};

/* What changes between two frames. */
enum change {
    CHANGE_NONE,
    CHANGE_LITTLE, /* two character cells (text) or two 8x16 boxes (VBE), far apart */
    CHANGE_ALL,    /* every pixel (VBE) or every character cell (text) */
};

static void out8(struct bench *b, uint16_t port, uint8_t v)
{
    iobus_write(&b->m.io, port, v, 1);
}

static void indexed(struct bench *b, uint16_t port, uint8_t index, uint8_t v)
{
    out8(b, port, index);
    out8(b, port + 1, v);
}

/* Mode 3 as the IBM VGA sets it (80x25, 9x16 cells), a font of stripes and a screen of text. */
static void program_text(struct bench *b)
{
    static const uint8_t seq[5] = {0x03, 0x00, 0x03, 0x00, 0x02};
    static const uint8_t crtc[25] = {0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00,
                                     0x4f, 0x0d, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x9c, 0x8e,
                                     0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff};
    static const uint8_t gr[9] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x0f, 0xff};
    static const uint8_t ar[21] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a,
                                   0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x0c, 0x00, 0x0f, 0x08, 0x00};
    out8(b, 0x3c2, 0x67);
    for (uint8_t i = 0; i < 5; i++)
        indexed(b, 0x3c4, i, seq[i]);
    indexed(b, 0x3d4, 0x11, 0x00);
    for (uint8_t i = 0; i < 25; i++)
        indexed(b, 0x3d4, i, crtc[i]);
    for (uint8_t i = 0; i < 9; i++)
        indexed(b, 0x3ce, i, gr[i]);
    iobus_read(&b->m.io, 0x3da, 1);
    for (uint8_t i = 0; i < 21; i++) {
        out8(b, 0x3c0, i);
        out8(b, 0x3c0, ar[i]);
    }
    out8(b, 0x3c0, 0x20);
    out8(b, 0x3c8, 0);
    for (unsigned i = 0; i < 3 * 64; i++)
        out8(b, 0x3c9, (uint8_t)(i * 5));
    /* The font, through plane 2; then the cells, through the text window. */
    indexed(b, 0x3c4, 2, 0x04);
    indexed(b, 0x3c4, 4, 0x06);
    indexed(b, 0x3ce, 5, 0x00);
    indexed(b, 0x3ce, 6, 0x04);
    for (unsigned i = 0; i < 256 * 32; i++)
        memmap_write(&b->m.mem, 0xa0000 + i, (uint8_t)(i * 37 + (i >> 5)), 1);
    indexed(b, 0x3c4, 2, seq[2]);
    indexed(b, 0x3c4, 4, seq[4]);
    indexed(b, 0x3ce, 5, gr[5]);
    indexed(b, 0x3ce, 6, gr[6]);
    for (unsigned i = 0; i < 80 * 25; i++)
        memmap_write(&b->m.mem, 0xb8000 + 2 * i, 0x0700 | ('A' + i % 26), 2);
}

static void dispi(struct bench *b, uint16_t index, uint16_t v)
{
    iobus_write(&b->m.io, 0x1ce, index, 2);
    iobus_write(&b->m.io, 0x1cf, v, 2);
}

static void program_vbe(struct bench *b)
{
    vga_map_lfb(b->vga, LFB_ADDR);
    dispi(b, 4, 0);
    dispi(b, 3, 32);
    dispi(b, 1, 1024);
    dispi(b, 2, 768);
    dispi(b, 4, 0x41);
    b->lfb = memmap_host_ptr(&b->m.mem, LFB_ADDR);
    for (uint32_t i = 0; i < 1024 * 768; i++) {
        uint32_t v = i * 2654435761u;
        memcpy(b->lfb + 4 * i, &v, 4);
    }
}

/* The guest's work between two frames (not timed). */
static void change_screen(struct bench *b, enum change what, unsigned frame)
{
    if (what == CHANGE_NONE)
        return;
    if (!b->lfb) {
        unsigned cells = what == CHANGE_ALL ? 80 * 25 : 2;
        for (unsigned i = 0; i < cells; i++) {
            unsigned cell = what == CHANGE_ALL ? i : (i ? 22 * 80 + 3 : 75);
            memmap_write(&b->m.mem, 0xb8000 + 2 * cell, 0x0700 | ('0' + (frame + i) % 10), 2);
        }
        return;
    }
    if (what == CHANGE_ALL) {
        for (uint32_t i = 0; i < 1024 * 768; i++)
            b->lfb[4 * i] = (uint8_t)(b->lfb[4 * i] + 1);
        return;
    }
    static const unsigned boxes[2][2] = {{990, 4}, {20, 700}}; /* x, y of an 8x16 box */
    for (unsigned k = 0; k < 2; k++) {
        for (unsigned y = 0; y < 16; y++) {
            for (unsigned x = 0; x < 8; x++)
                b->lfb[4 * ((boxes[k][1] + y) * 1024 + boxes[k][0] + x) + 1] ^= 0xff;
        }
    }
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *t, unsigned n)
{
    qsort(t, n, sizeof(*t), compare_double);
    return t[n / 2];
}

/*
 * Time `frames` frames of the picture's path; print the medians, in
 * microseconds, of a whole frame and of its two parts: the update (look
 * at the VGA, render, compare, upload) and the present (draw the textures
 * into the window, swap).
 */
static void run(struct bench *b, const char *name, enum change what, unsigned frames)
{
    double *total = g_new(double, frames), *update = g_new(double, frames);
    double *present = g_new(double, frames);
    unsigned presents = 0;
    picture_update(&b->pic, b->vga); /* the first frame uploads everything */
    picture_draw(&b->pic);
    SDL_RenderPresent(b->ren);
    for (unsigned i = 0; i < frames; i++) {
        change_screen(b, what, i);
        gint64 t0 = g_get_monotonic_time();
        unsigned changed = picture_update(&b->pic, b->vga);
        gint64 t1 = g_get_monotonic_time();
        if (changed) {
            picture_draw(&b->pic);
            SDL_RenderPresent(b->ren);
            presents++;
        }
        gint64 t2 = g_get_monotonic_time();
        update[i] = (double)(t1 - t0);
        present[i] = (double)(t2 - t1);
        total[i] = (double)(t2 - t0);
        SDL_PumpEvents();
    }
    printf("%-40s frame %7.1f  update %7.1f  present %7.1f  (%u of %u presented)\n", name,
           median(total, frames), median(update, frames), median(present, frames), presents,
           frames);
    g_free(total);
    g_free(update);
    g_free(present);
}

/* vga_render alone, for comparison. */
static void run_render(struct bench *b, const char *name, unsigned frames)
{
    unsigned w, h;
    vga_screen_size(b->vga, &w, &h);
    uint32_t *px = g_new(uint32_t, (size_t)w * h);
    gint64 t0 = g_get_monotonic_time();
    for (unsigned i = 0; i < frames; i++)
        vga_render(b->vga, px, w, &w, &h);
    printf("%-40s mean  %7.1f\n", name, (double)(g_get_monotonic_time() - t0) / frames);
    g_free(px);
}

int main(int argc, char **argv)
{
    unsigned frames = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 600;
    struct bench b = {0};
    if (frames == 0)
        frames = 1;
#ifndef __APPLE__
    /* Without a display SDL may still find an off-screen driver: nothing a window would do. */
    if (!g_getenv("DISPLAY") && !g_getenv("WAYLAND_DISPLAY") && !g_getenv("SDL_VIDEODRIVER")) {
        printf("bench_frame: no display (DISPLAY, WAYLAND_DISPLAY): skipped\n");
        return SKIP;
    }
#endif
    if (SDL_Init(SDL_INIT_VIDEO) < 0) {
        printf("bench_frame: no display (%s): skipped\n", SDL_GetError());
        return SKIP;
    }
    b.win = SDL_CreateWindow("bench_frame", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, 1024,
                             768, 0);
    b.ren = b.win ? SDL_CreateRenderer(b.win, -1, 0) : NULL;
    if (!b.ren) {
        printf("bench_frame: no window (%s): skipped\n", SDL_GetError());
        SDL_Quit();
        return SKIP;
    }
    SDL_RendererInfo info;
    SDL_GetRendererInfo(b.ren, &info);
    printf("SDL renderer: %s, %u frames each; microseconds, medians\n", info.name, frames);
    if (machine_init(&b.m, &(struct machine_config){.ram_mb = 4, .manual_clock = true}) < 0)
        return 1;
    b.vga = vga_create(&b.m);
    picture_init(&b.pic, b.ren);

    program_text(&b);
    run_render(&b, "text 80x25: vga_render alone", frames);
    run(&b, "text 80x25: unchanged", CHANGE_NONE, frames);
    run(&b, "text 80x25: two cells change", CHANGE_LITTLE, frames);
    run(&b, "text 80x25: every cell changes", CHANGE_ALL, frames);
    program_vbe(&b);
    run_render(&b, "VBE 1024x768x32: vga_render alone", frames);
    run(&b, "VBE 1024x768x32: unchanged", CHANGE_NONE, frames);
    run(&b, "VBE 1024x768x32: two 8x16 boxes change", CHANGE_LITTLE, frames);
    run(&b, "VBE 1024x768x32: every pixel changes", CHANGE_ALL, frames);

    picture_fini(&b.pic);
    SDL_DestroyRenderer(b.ren);
    SDL_DestroyWindow(b.win);
    SDL_Quit();
    vga_destroy(b.vga);
    machine_destroy(&b.m);
    return 0;
}
