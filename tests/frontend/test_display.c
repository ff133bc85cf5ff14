/*
 * The window's pure parts: the bands of rows a frame uploads (rows that
 * changed, neighbours merged, a bounded number of bands) and the title
 * with the guest's state, speed and translation-cache hit rate.
 */
#include <glib.h>
#include <string.h>

#include "frontend/display.h"
#include "frontend/picture.h"

#define W      37
#define H      200
#define STRIDE 41 /* wider than W: what lies past a row's W pixels is not the picture */

struct frames {
    uint32_t a[STRIDE * H], b[STRIDE * H];
};

static void fill(struct frames *f)
{
    for (unsigned i = 0; i < STRIDE * H; i++)
        f->a[i] = f->b[i] = i * 2654435761u;
}

static unsigned bands(const struct frames *f, struct picture_band *out)
{
    return picture_dirty_bands(f->a, f->b, W, H, STRIDE, out);
}

static void assert_band(const struct picture_band *b, unsigned y0, unsigned y1)
{
    g_assert_cmpuint(b->y0, ==, y0);
    g_assert_cmpuint(b->y1, ==, y1);
}

static void test_no_change(void)
{
    struct frames f;
    struct picture_band out[PICTURE_MAX_BANDS];
    fill(&f);
    g_assert_cmpuint(bands(&f, out), ==, 0);
    /* Pixels past the width, in the stride's padding, are not the picture. */
    for (unsigned y = 0; y < H; y++)
        f.b[y * STRIDE + W + 2] ^= 1;
    g_assert_cmpuint(bands(&f, out), ==, 0);
    g_assert_cmpuint(picture_dirty_bands(f.a, f.b, W, 0, STRIDE, out), ==, 0);
}

static void test_one_pixel(void)
{
    const unsigned at[][2] = {{0, 0}, {W - 1, H - 1}, {17, 99}, {W - 1, 0}, {0, H - 1}};
    for (size_t i = 0; i < G_N_ELEMENTS(at); i++) {
        struct frames f;
        struct picture_band out[PICTURE_MAX_BANDS];
        fill(&f);
        f.a[at[i][1] * STRIDE + at[i][0]] ^= 0x00800000;
        g_assert_cmpuint(bands(&f, out), ==, 1);
        assert_band(&out[0], at[i][1], at[i][1] + 1);
    }
}

static void test_scattered(void)
{
    struct frames f;
    struct picture_band out[PICTURE_MAX_BANDS];
    fill(&f);
    /* Rows 3 and 5 (one unchanged row between), 10 (4 between: still one band), 30-33,
     * 33 + PICTURE_BAND_GAP + 1 (exactly the gap: a band of its own), the last row. */
    const unsigned rows[] = {3, 5, 10, 30, 31, 32, 33, 33 + PICTURE_BAND_GAP + 1, H - 1};
    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++)
        f.b[rows[i] * STRIDE + (unsigned)i % W] += 1;
    g_assert_cmpuint(bands(&f, out), ==, 4);
    assert_band(&out[0], 3, 11);
    assert_band(&out[1], 30, 34);
    assert_band(&out[2], 33 + PICTURE_BAND_GAP + 1, 33 + PICTURE_BAND_GAP + 2);
    assert_band(&out[3], H - 1, H);

    /* A whole frame changed: one band. */
    for (unsigned i = 0; i < STRIDE * H; i++)
        f.b[i] = ~f.a[i];
    g_assert_cmpuint(bands(&f, out), ==, 1);
    assert_band(&out[0], 0, H);
}

static void test_too_many_bands(void)
{
    struct frames f;
    struct picture_band out[PICTURE_MAX_BANDS + 1];
    fill(&f);
    /* 3 more isolated rows than there are bands: the last band takes the rest. */
    unsigned step = PICTURE_BAND_GAP + 10, n = PICTURE_MAX_BANDS + 3;
    g_assert_cmpuint(step * n, <, H);
    for (unsigned i = 0; i < n; i++)
        f.a[(i * step) * STRIDE + 1] = 0;
    out[PICTURE_MAX_BANDS].y0 = 12345; /* never written */
    g_assert_cmpuint(bands(&f, out), ==, PICTURE_MAX_BANDS);
    for (unsigned i = 0; i + 1 < PICTURE_MAX_BANDS; i++)
        assert_band(&out[i], i * step, i * step + 1);
    assert_band(&out[PICTURE_MAX_BANDS - 1], (PICTURE_MAX_BANDS - 1) * step, (n - 1) * step + 1);
    g_assert_cmpuint(out[PICTURE_MAX_BANDS].y0, ==, 12345);
}

/* ---- the title ------------------------------------------------------------- */

static void assert_title(const struct display_status *s, const char *want)
{
    char title[160];
    display_format_title(title, sizeof(title), s, " - ");
    g_assert_cmpstr(title, ==, want);
}

static void test_state_name(void)
{
    g_assert_cmpstr(display_state_name(false, false, false), ==, "running");
    g_assert_cmpstr(display_state_name(false, false, true), ==, "halted");
    g_assert_cmpstr(display_state_name(false, true, true), ==, "paused");
    g_assert_cmpstr(display_state_name(true, true, false), ==, "waiting for gdb");
    g_assert_cmpstr(display_state_name(true, true, true), ==, "waiting for gdb");
    /* Halted: found in HLT at 9 polls in 10 or more (a timer tick now and then still wakes it). */
    g_assert_true(display_mostly_halted(100, 100));
    g_assert_true(display_mostly_halted(100, 90));
    g_assert_false(display_mostly_halted(100, 89));
    g_assert_false(display_mostly_halted(100, 0));
    g_assert_false(display_mostly_halted(0, 0));
}

static void test_title(void)
{
    struct display_status s = {
        .state = "running", .mips = 153.24, .tc_lookups = 1000, .tc_hits = 991};
    assert_title(&s, "popek - running - 153.2 MIPS, tc 99.1%");
    s.grabbed = true;
    assert_title(&s, "popek - running - 153.2 MIPS, tc 99.1% - Ctrl+Alt+G releases the mouse");
    s.grabbed = false;
    /* Rounded down: 100.0% means every lookup hit. */
    s.tc_lookups = 100000;
    s.tc_hits = 99999;
    assert_title(&s, "popek - running - 153.2 MIPS, tc 99.9%");
    s.tc_hits = 100000;
    assert_title(&s, "popek - running - 153.2 MIPS, tc 100.0%");
    s.tc_hits = 0;
    assert_title(&s, "popek - running - 153.2 MIPS, tc 0.0%");
    s.tc_lookups = 3;
    s.tc_hits = 1;
    assert_title(&s, "popek - running - 153.2 MIPS, tc 33.3%");
    /* No lookups in the period (paused, halted): no hit rate. */
    s = (struct display_status){.state = "paused", .mips = 0};
    assert_title(&s, "popek - paused - 0.0 MIPS");
    s.state = "halted";
    s.grabbed = true;
    assert_title(&s, "popek - halted - 0.0 MIPS - Ctrl+Alt+G releases the mouse");
    /* The em dash the window uses where the character set has it. */
    char title[160];
    s = (struct display_status){.state = "running", .mips = 1, .tc_lookups = 2, .tc_hits = 1};
    display_format_title(title, sizeof(title), &s, " \u2014 ");
    g_assert_cmpstr(title, ==, "popek \u2014 running \u2014 1.0 MIPS, tc 50.0%");
    /* A short buffer is cut, not overrun. */
    display_format_title(title, 12, &s, " - ");
    g_assert_cmpstr(title, ==, "popek - run");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/display/bands/no-change", test_no_change);
    g_test_add_func("/display/bands/one-pixel", test_one_pixel);
    g_test_add_func("/display/bands/scattered", test_scattered);
    g_test_add_func("/display/bands/too-many", test_too_many_bands);
    g_test_add_func("/display/state-name", test_state_name);
    g_test_add_func("/display/title", test_title);
    return g_test_run();
}
