/*
 * What the window and --screenshot show, checked pixel for pixel against
 * images computed here from first principles: the VGA is programmed
 * through its ports as a BIOS would, memory is filled with known patterns,
 * and each expected pixel follows from the definitions alone: a text cell
 * is its glyph's bits in plane 2 times the attribute's two colours through
 * the attribute controller's palette and the DAC; a mode 13h pixel is its
 * byte's DAC entry; a 32-bpp VBE pixel is what was written to the linear
 * framebuffer. Then the PNG writer's output is read back with libpng.
 * The change tracking the window relies on (vga_screen_changed) must see
 * every change: registers, VRAM through the window and through the linear
 * framebuffer written directly, and the cursor's blink.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <png.h>
#include <string.h>

#include "devices/vga.h"
#include "frontend/screenshot.h"
#include "machine/machine.h"

#define LFB_ADDR 0xe0000000u

struct fixture {
    struct machine m;
    struct vga *vga;
};

static void setup(struct fixture *f)
{
    g_assert_cmpint(
        machine_init(&f->m, &(struct machine_config){.ram_mb = 4, .manual_clock = true}), ==, 0);
    f->vga = vga_create(&f->m);
    g_assert_nonnull(f->vga);
}

static void teardown(struct fixture *f)
{
    vga_destroy(f->vga);
    machine_destroy(&f->m);
}

static void out8(struct fixture *f, uint16_t port, uint8_t v)
{
    iobus_write(&f->m.io, port, v, 1);
}

static void mem8(struct fixture *f, uint32_t addr, uint8_t v)
{
    memmap_write(&f->m.mem, addr, v, 1);
}

static void indexed(struct fixture *f, uint16_t port, uint8_t index, uint8_t v)
{
    out8(f, port, index);
    out8(f, port + 1, v);
}

/* A small deterministic generator (xorshift32), so the patterns need no tables. */
static uint32_t next_random(uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

/* A 6-bit DAC value as 8 bits: the value's top bits repeated below it. */
static uint32_t dac8(uint8_t v6)
{
    return (uint32_t)(v6 << 2 | v6 >> 4);
}

/* Load all 256 DAC entries with random 6-bit colours; dac[i] gets the 0xRRGGBB they show. */
static void load_dac(struct fixture *f, uint32_t seed, uint32_t dac[256])
{
    out8(f, 0x3c6, 0xff); /* pixel mask: every index bit */
    out8(f, 0x3c8, 0);
    for (unsigned i = 0; i < 256; i++) {
        uint8_t r = next_random(&seed) & 0x3f, g = next_random(&seed) & 0x3f;
        uint8_t b = next_random(&seed) & 0x3f;
        out8(f, 0x3c9, r);
        out8(f, 0x3c9, g);
        out8(f, 0x3c9, b);
        dac[i] = dac8(r) << 16 | dac8(g) << 8 | dac8(b);
    }
}

static uint32_t *render(struct fixture *f, unsigned want_w, unsigned want_h)
{
    unsigned w, h;
    vga_screen_size(f->vga, &w, &h);
    g_assert_cmpuint(w, ==, want_w);
    g_assert_cmpuint(h, ==, want_h);
    uint32_t *px = g_new(uint32_t, (size_t)w * h);
    vga_render(f->vga, px, w, &w, &h);
    g_assert_cmpuint(w, ==, want_w);
    g_assert_cmpuint(h, ==, want_h);
    return px;
}

static void assert_image(const uint32_t *got, const uint32_t *want, unsigned w, unsigned h)
{
    for (unsigned y = 0; y < h; y++) {
        for (unsigned x = 0; x < w; x++) {
            if (got[y * w + x] != want[y * w + x])
                g_error("pixel (%u, %u): got %06x, want %06x", x, y, got[y * w + x],
                        want[y * w + x]);
        }
    }
}

/* ---- mode 3: 80x25 text, 9x16 cells -------------------------------------- */

/*
 * The IBM VGA's mode 3 registers (IBM VGA Technical Reference, "Video
 * Modes" register tables), except: blinking off (AR10 bit 3), so attribute
 * bit 7 selects 16 background colours; the cursor off (CRTC 0A bit 5).
 */
static const uint8_t mode3_seq[5] = {0x03, 0x00, 0x03, 0x00, 0x02};
static const uint8_t mode3_crtc[25] = {0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00,
                                       0x4f, 0x2d, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x9c, 0x8e,
                                       0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff};
static const uint8_t mode3_gr[9] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x0f, 0xff};
static const uint8_t mode3_ar[21] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14,
                                     0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d,
                                     0x3e, 0x3f, 0x04, 0x00, 0x0f, 0x08, 0x00};

static void program_mode3(struct fixture *f)
{
    out8(f, 0x3c2, 0x67); /* colour I/O at 3Dx, 28 MHz dot clock (720 dots) */
    for (uint8_t i = 0; i < 5; i++)
        indexed(f, 0x3c4, i, mode3_seq[i]);
    indexed(f, 0x3d4, 0x11, 0x00); /* unlock CRTC 0-7 */
    for (uint8_t i = 0; i < 25; i++)
        indexed(f, 0x3d4, i, mode3_crtc[i]);
    for (uint8_t i = 0; i < 9; i++)
        indexed(f, 0x3ce, i, mode3_gr[i]);
    iobus_read(&f->m.io, 0x3da, 1); /* attribute flip-flop to "index" */
    for (uint8_t i = 0; i < 21; i++) {
        out8(f, 0x3c0, i);
        out8(f, 0x3c0, mode3_ar[i]);
    }
    out8(f, 0x3c0, 0x20); /* palette address source: the screen is on */
}

/* Write the font into plane 2 (32 bytes a character) and restore text addressing. */
static void load_font(struct fixture *f, uint8_t font[256][16])
{
    indexed(f, 0x3c4, 2, 0x04); /* map mask: plane 2 */
    indexed(f, 0x3c4, 4, 0x06); /* sequential addressing */
    indexed(f, 0x3ce, 4, 0x02);
    indexed(f, 0x3ce, 5, 0x00);
    indexed(f, 0x3ce, 6, 0x04); /* A0000, 64 KiB */
    for (unsigned ch = 0; ch < 256; ch++) {
        for (unsigned row = 0; row < 16; row++)
            mem8(f, 0xa0000 + ch * 32 + row, font[ch][row]);
    }
    indexed(f, 0x3c4, 2, mode3_seq[2]);
    indexed(f, 0x3c4, 4, mode3_seq[4]);
    indexed(f, 0x3ce, 4, mode3_gr[4]);
    indexed(f, 0x3ce, 5, mode3_gr[5]);
    indexed(f, 0x3ce, 6, mode3_gr[6]);
}

/* One text pixel: 9 dots a cell, the 9th repeats the 8th for C0h-DFh (line graphics). */
static uint32_t text_pixel(uint8_t font[256][16], const uint8_t *cells, const uint32_t dac[256],
                           unsigned x, unsigned y)
{
    unsigned col = x / 9, dot = x % 9, row = y / 16, line = y % 16;
    uint8_t ch = cells[(row * 80 + col) * 2], attr = cells[(row * 80 + col) * 2 + 1];
    bool lge = mode3_ar[0x10] & 0x04;
    unsigned bit = dot < 8 ? 7 - dot : (lge && (ch & 0xe0) == 0xc0) ? 0 : 8;
    bool on = bit < 8 && ((font[ch][line] >> bit) & 1);
    unsigned colour = on ? attr & 0x0f : attr >> 4;
    return dac[mode3_ar[colour]];
}

static void test_text_mode(void)
{
    struct fixture f;
    setup(&f);
    program_mode3(&f);
    uint32_t dac[256];
    load_dac(&f, 0x1234567, dac);
    static uint8_t font[256][16];
    uint32_t seed = 0xc0ffee;
    for (unsigned ch = 0; ch < 256; ch++) {
        for (unsigned row = 0; row < 16; row++)
            font[ch][row] = (uint8_t)next_random(&seed);
    }
    load_font(&f, font);
    uint8_t cells[80 * 25 * 2];
    for (unsigned i = 0; i < sizeof(cells); i++) {
        cells[i] = (uint8_t)next_random(&seed);
        mem8(&f, 0xb8000 + i, cells[i]);
    }
    g_assert_cmpint(vga_mode(f.vga), ==, VGA_MODE_TEXT);

    uint32_t *px = render(&f, 720, 400);
    uint32_t *want = g_new(uint32_t, 720 * 400);
    for (unsigned y = 0; y < 400; y++) {
        for (unsigned x = 0; x < 720; x++)
            want[y * 720 + x] = text_pixel(font, cells, dac, x, y);
    }
    assert_image(px, want, 720, 400);
    g_free(want);
    g_free(px);
    teardown(&f);
}

/* ---- mode 13h: 320x200, 256 colours, chain-4 ----------------------------- */

static void test_mode13(void)
{
    static const uint8_t seq[5] = {0x03, 0x01, 0x0f, 0x00, 0x0e};
    static const uint8_t crtc[25] = {0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0xbf, 0x1f, 0x00,
                                     0x41, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x9c, 0x8e,
                                     0x8f, 0x28, 0x40, 0x96, 0xb9, 0xa3, 0xff};
    static const uint8_t gr[9] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0f, 0xff};
    struct fixture f;
    setup(&f);
    out8(&f, 0x3c2, 0x63);
    for (uint8_t i = 0; i < 5; i++)
        indexed(&f, 0x3c4, i, seq[i]);
    indexed(&f, 0x3d4, 0x11, 0x00);
    for (uint8_t i = 0; i < 25; i++)
        indexed(&f, 0x3d4, i, crtc[i]);
    for (uint8_t i = 0; i < 9; i++)
        indexed(&f, 0x3ce, i, gr[i]);
    iobus_read(&f.m.io, 0x3da, 1);
    for (uint8_t i = 0; i < 16; i++) { /* palette: identity, as the BIOS sets it */
        out8(&f, 0x3c0, i);
        out8(&f, 0x3c0, i);
    }
    static const uint8_t ar_rest[5] = {0x41, 0x00, 0x0f, 0x00, 0x00}; /* AR10-14 */
    for (uint8_t i = 0; i < 5; i++) {
        out8(&f, 0x3c0, 0x10 + i);
        out8(&f, 0x3c0, ar_rest[i]);
    }
    out8(&f, 0x3c0, 0x20);
    uint32_t dac[256];
    load_dac(&f, 0xbadc0de, dac);

    uint32_t seed = 77;
    uint32_t *want = g_new(uint32_t, 320 * 200);
    for (unsigned i = 0; i < 320 * 200; i++) {
        uint8_t index = (uint8_t)next_random(&seed);
        mem8(&f, 0xa0000 + i, index);
        want[i] = dac[index];
    }
    g_assert_cmpint(vga_mode(f.vga), ==, VGA_MODE_GRAPHICS);
    uint32_t *px = render(&f, 320, 200);
    assert_image(px, want, 320, 200);
    g_free(px);
    g_free(want);
    teardown(&f);
}

/* ---- VBE 1024x768x32 through the linear framebuffer ----------------------- */

static void dispi(struct fixture *f, uint16_t index, uint16_t v)
{
    iobus_write(&f->m.io, 0x1ce, index, 2);
    iobus_write(&f->m.io, 0x1cf, v, 2);
}

static void test_vbe32(void)
{
    struct fixture f;
    setup(&f);
    vga_map_lfb(f.vga, LFB_ADDR);
    dispi(&f, 4, 0);    /* disable */
    dispi(&f, 3, 32);   /* bpp */
    dispi(&f, 1, 1024); /* xres */
    dispi(&f, 2, 768);  /* yres */
    dispi(&f, 4, 0x41); /* enable, linear framebuffer */
    g_assert_cmpint(vga_mode(f.vga), ==, VGA_MODE_VBE);

    uint32_t seed = 4242;
    uint32_t *want = g_new(uint32_t, 1024 * 768);
    for (unsigned i = 0; i < 1024 * 768; i++) {
        uint32_t v = next_random(&seed);
        memmap_write(&f.m.mem, LFB_ADDR + i * 4, v, 4);
        want[i] = v & 0xffffff; /* bytes blue, green, red, unused */
    }
    uint32_t *px = render(&f, 1024, 768);
    assert_image(px, want, 1024, 768);
    g_free(px);
    g_free(want);
    teardown(&f);
}

/* ---- change tracking ------------------------------------------------------- */

/* What the window does: render only when the VGA says the picture may have changed. */
static void test_changes_text(void)
{
    struct fixture f;
    setup(&f);
    struct vga_seen *seen = vga_seen_new();
    g_assert_true(vga_screen_changed(f.vga, seen)); /* the first look */
    g_assert_false(vga_screen_changed(f.vga, seen));
    program_mode3(&f);
    g_assert_true(vga_screen_changed(f.vga, seen));
    g_assert_false(vga_screen_changed(f.vga, seen));
    /* A character through the legacy window; writing the same value again changes nothing. */
    mem8(&f, 0xb8000 + 2 * 81, 'x');
    g_assert_true(vga_screen_changed(f.vga, seen));
    mem8(&f, 0xb8000 + 2 * 81, 'x');
    g_assert_false(vga_screen_changed(f.vga, seen));
    /* A DAC entry, a palette register, the start address. */
    out8(&f, 0x3c8, 7);
    for (int i = 0; i < 3; i++)
        out8(&f, 0x3c9, 0x15);
    g_assert_true(vga_screen_changed(f.vga, seen));
    iobus_read(&f.m.io, 0x3da, 1);
    out8(&f, 0x3c0, 0x01);
    out8(&f, 0x3c0, 0x3e);
    out8(&f, 0x3c0, 0x20);
    g_assert_true(vga_screen_changed(f.vga, seen));
    indexed(&f, 0x3d4, 0x0d, 80);
    g_assert_true(vga_screen_changed(f.vga, seen));
    /* Reading status and writing an index draw nothing new. */
    iobus_read(&f.m.io, 0x3da, 1);
    out8(&f, 0x3d4, 0x0e);
    g_assert_false(vga_screen_changed(f.vga, seen));
    /* With the cursor on, time alone changes the picture: it blinks every 8 frames. */
    indexed(&f, 0x3d4, 0x0f, 80); /* at the top-left cell */
    indexed(&f, 0x3d4, 0x0a, 0x0d);
    g_assert_true(vga_screen_changed(f.vga, seen));
    uint64_t frame_ns = 31778ull * 525;
    vclock_advance(&f.m.clock, frame_ns);
    g_assert_false(vga_screen_changed(f.vga, seen));
    vclock_advance(&f.m.clock, 8 * frame_ns);
    g_assert_true(vga_screen_changed(f.vga, seen));
    /* Screen off: black, whatever the planes hold. */
    out8(&f, 0x3c0, 0x00);
    g_assert_true(vga_screen_changed(f.vga, seen));
    vga_seen_free(seen);
    teardown(&f);
}

/* The CPU writes the linear framebuffer directly: the VGA does not see it, the copy does. */
static void test_changes_lfb(void)
{
    struct fixture f;
    setup(&f);
    vga_map_lfb(f.vga, LFB_ADDR);
    dispi(&f, 4, 0);
    dispi(&f, 3, 32);
    dispi(&f, 1, 640);
    dispi(&f, 2, 480);
    dispi(&f, 4, 0x41);
    struct vga_seen *seen = vga_seen_new();
    g_assert_true(vga_screen_changed(f.vga, seen));
    g_assert_false(vga_screen_changed(f.vga, seen));
    uint8_t *lfb = memmap_host_ptr(&f.m.mem, LFB_ADDR);
    g_assert_nonnull(lfb);
    const uint32_t at[] = {0, 4 * (640 * 480 - 1), 4 * 12345 + 2, 4096, 4095};
    for (size_t i = 0; i < G_N_ELEMENTS(at); i++) {
        lfb[at[i]] ^= 0x5a;
        g_assert_true(vga_screen_changed(f.vga, seen));
        g_assert_false(vga_screen_changed(f.vga, seen));
    }
    /* Past the visible lines: not shown, no change. */
    lfb[4 * 640 * 480] ^= 1;
    g_assert_false(vga_screen_changed(f.vga, seen));
    /* Panning down one line shows it. */
    dispi(&f, 9, 1);
    g_assert_true(vga_screen_changed(f.vga, seen));
    lfb[4 * 640 * 480 + 4] ^= 1;
    g_assert_true(vga_screen_changed(f.vga, seen));
    /* A bigger mode needs a bigger copy. */
    dispi(&f, 4, 0);
    dispi(&f, 1, 1024);
    dispi(&f, 2, 768);
    dispi(&f, 4, 0x41);
    g_assert_true(vga_screen_changed(f.vga, seen));
    g_assert_false(vga_screen_changed(f.vga, seen));
    lfb[4 * (1024 * 768 - 1)] ^= 1;
    g_assert_true(vga_screen_changed(f.vga, seen));
    vga_seen_free(seen);
    teardown(&f);
}

/* ---- PNG ----------------------------------------------------------------- */

static char *tmp_path(const char *name)
{
    char *dir = g_dir_make_tmp("popek-render-XXXXXX", NULL);
    g_assert_nonnull(dir);
    char *path = g_build_filename(dir, name, NULL);
    g_free(dir);
    return path;
}

static void remove_tmp(char *path)
{
    char *dir = g_path_get_dirname(path);
    g_unlink(path);
    g_rmdir(dir);
    g_free(dir);
    g_free(path);
}

/* Read a PNG back as 0x00RRGGBB pixels with libpng. */
static uint32_t *read_png(const char *path, unsigned *w, unsigned *h)
{
    png_image image;
    memset(&image, 0, sizeof(image));
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&image, path))
        g_error("%s: %s", path, image.message);
    image.format = PNG_FORMAT_RGB;
    uint8_t *bytes = g_malloc(PNG_IMAGE_SIZE(image));
    if (!png_image_finish_read(&image, NULL, bytes, 0, NULL))
        g_error("%s: %s", path, image.message);
    *w = image.width;
    *h = image.height;
    uint32_t *px = g_new(uint32_t, (size_t)*w * *h);
    for (size_t i = 0; i < (size_t)*w * *h; i++)
        px[i] = (uint32_t)bytes[3 * i] << 16 | (uint32_t)bytes[3 * i + 1] << 8 | bytes[3 * i + 2];
    g_free(bytes);
    return px;
}

static void test_png_round_trip(void)
{
    enum { W = 37, H = 23, STRIDE = 41 };
    uint32_t src[STRIDE * H], want[W * H];
    uint32_t seed = 99;
    for (unsigned i = 0; i < STRIDE * H; i++)
        src[i] = next_random(&seed);
    for (unsigned y = 0; y < H; y++) {
        for (unsigned x = 0; x < W; x++)
            want[y * W + x] = src[y * STRIDE + x] & 0xffffff;
    }
    char *path = tmp_path("round-trip.png");
    char *err = NULL;
    g_assert_cmpint(screenshot_write_png(path, src, W, H, STRIDE, &err), ==, 0);
    g_assert_null(err);
    unsigned w, h;
    uint32_t *got = read_png(path, &w, &h);
    g_assert_cmpuint(w, ==, W);
    g_assert_cmpuint(h, ==, H);
    assert_image(got, want, W, H);
    g_free(got);
    remove_tmp(path);
}

/* --screenshot's path: the VGA's screen, rendered and saved, reads back as rendered. */
static void test_screenshot_save(void)
{
    struct fixture f;
    setup(&f);
    program_mode3(&f);
    uint32_t dac[256];
    load_dac(&f, 5, dac);
    for (unsigned i = 0; i < 80 * 25 * 2; i++)
        mem8(&f, 0xb8000 + i, (uint8_t)(i * 7));
    uint32_t *rendered = render(&f, 720, 400);
    char *path = tmp_path("screen.png");
    char *err = NULL;
    g_assert_cmpint(screenshot_save(f.vga, path, &err), ==, 0);
    unsigned w, h;
    uint32_t *got = read_png(path, &w, &h);
    g_assert_cmpuint(w, ==, 720);
    g_assert_cmpuint(h, ==, 400);
    assert_image(got, rendered, 720, 400);
    g_free(got);
    g_free(rendered);
    remove_tmp(path);
    teardown(&f);
}

static void test_png_error(void)
{
    uint32_t px[4] = {0};
    char *err = NULL;
    g_assert_cmpint(screenshot_write_png("/nonexistent/dir/x.png", px, 2, 2, 2, &err), ==, -1);
    g_assert_nonnull(err);
    g_assert_true(strstr(err, "/nonexistent/dir/x.png"));
    g_assert_null(strchr(err, '\n'));
    g_free(err);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/render/text-80x25", test_text_mode);
    g_test_add_func("/render/mode13h", test_mode13);
    g_test_add_func("/render/vbe-1024x768x32", test_vbe32);
    g_test_add_func("/render/changes/text", test_changes_text);
    g_test_add_func("/render/changes/lfb", test_changes_lfb);
    g_test_add_func("/render/png-round-trip", test_png_round_trip);
    g_test_add_func("/render/screenshot-save", test_screenshot_save);
    g_test_add_func("/render/png-error", test_png_error);
    return g_test_run();
}
