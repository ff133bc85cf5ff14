/*
 * The VGA and its Bochs VBE extension, through ports and guest-physical
 * memory as a guest sees them: standard modes programmed register by
 * register (the IBM VGA register tables for modes 3, 1, 4, 12h and 13h),
 * text read back and rendered with a font loaded into plane 2, the DAC,
 * write modes 0-3 and read modes 0-1, chain-4 and odd/even layouts, the
 * memory map select, input status timing, and the dispi registers with
 * banked and linear framebuffer access. A last test writes garbage
 * everywhere and renders, for the sanitizer build.
 */
#include <glib.h>
#include <string.h>

#include "devices/vga.h"
#include "machine/machine.h"
#include "tests/lib/port_io.h"

#define LFB_ADDR 0xe0000000u
#define FRAME_NS (31778ull * 525) /* 640x480 at 59.94 Hz */

struct fixture {
    struct machine m;
    struct vga *vga;
};

static void mem8(struct fixture *f, uint32_t addr, uint8_t v)
{
    memmap_write(&f->m.mem, addr, v, 1);
}

static uint8_t rd8(struct fixture *f, uint32_t addr)
{
    return (uint8_t)memmap_read(&f->m.mem, addr, 1);
}

static void setup(struct fixture *f)
{
    g_assert_cmpint(
        machine_init(&f->m, &(struct machine_config){.ram_mb = 16, .manual_clock = true}), ==, 0);
    f->vga = vga_create(&f->m);
    g_assert_nonnull(f->vga);
}

static void teardown(struct fixture *f)
{
    vga_destroy(f->vga);
    machine_destroy(&f->m);
}

/* ---- standard register sets --------------------------------------------- */

struct mode_regs {
    uint8_t misc;
    uint8_t seq[5];
    uint8_t crtc[25];
    uint8_t gr[9];
    uint8_t ar[21];
};

/* Mode 3: 80x25 text, 9x16 cells, 720x400. */
static const struct mode_regs mode3 = {
    0x67,
    {0x03, 0x00, 0x03, 0x00, 0x02},
    {0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00,
     0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff},
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x0f, 0xff},
    {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a,
     0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x0c, 0x00, 0x0f, 0x08, 0x00},
};

/* Mode 1: 40x25 text, dot clock halved. */
static const struct mode_regs mode1 = {
    0x67,
    {0x03, 0x08, 0x03, 0x00, 0x02},
    {0x2d, 0x27, 0x28, 0x90, 0x2b, 0xa0, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00,
     0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x14, 0x1f, 0x96, 0xb9, 0xa3, 0xff},
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x0f, 0xff},
    {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a,
     0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x0c, 0x00, 0x0f, 0x08, 0x00},
};

/* Mode 4: CGA 320x200, 4 colours, even lines at B8000, odd lines at BA000. */
static const struct mode_regs mode4 = {
    0x63,
    {0x03, 0x09, 0x03, 0x00, 0x02},
    {0x2d, 0x27, 0x28, 0x90, 0x2b, 0x80, 0xbf, 0x1f, 0x00, 0xc1, 0x00, 0x00, 0x00,
     0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x14, 0x00, 0x96, 0xb9, 0xa2, 0xff},
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x30, 0x0f, 0x0f, 0xff},
    {0x00, 0x13, 0x15, 0x17, 0x02, 0x04, 0x06, 0x07, 0x10, 0x11, 0x12,
     0x13, 0x14, 0x15, 0x16, 0x17, 0x01, 0x00, 0x03, 0x00, 0x00},
};

/* Mode 6: CGA 640x200, 2 colours, plane 0 only. */
static const struct mode_regs mode6 = {
    0x63,
    {0x03, 0x01, 0x01, 0x00, 0x06},
    {0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0xbf, 0x1f, 0x00, 0xc1, 0x00, 0x00, 0x00,
     0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x00, 0x96, 0xb9, 0xc2, 0xff},
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0d, 0x0f, 0xff},
    {0x00, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17,
     0x17, 0x17, 0x17, 0x17, 0x17, 0x01, 0x00, 0x01, 0x00, 0x00},
};

/* Mode 12h: 640x480, 16 colours, planar. */
static const struct mode_regs mode12 = {
    0xe3,
    {0x03, 0x01, 0x0f, 0x00, 0x06},
    {0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0x0b, 0x3e, 0x00, 0x40, 0x00, 0x00, 0x00,
     0x00, 0x00, 0x00, 0xea, 0x8c, 0xdf, 0x28, 0x00, 0xe7, 0x04, 0xe3, 0xff},
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0f, 0xff},
    {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a,
     0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x01, 0x00, 0x0f, 0x00, 0x00},
};

/* Mode 13h: 320x200, 256 colours, chain-4. */
static const struct mode_regs mode13 = {
    0x63,
    {0x03, 0x01, 0x0f, 0x00, 0x0e},
    {0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0xbf, 0x1f, 0x00, 0x41, 0x00, 0x00, 0x00,
     0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x40, 0x96, 0xb9, 0xa3, 0xff},
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0f, 0xff},
    {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
     0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x41, 0x00, 0x0f, 0x00, 0x00},
};

static void seq_write(struct fixture *f, uint8_t i, uint8_t v)
{
    out8(&f->m, 0x3c4, i);
    out8(&f->m, 0x3c5, v);
}

static void gr_write(struct fixture *f, uint8_t i, uint8_t v)
{
    out8(&f->m, 0x3ce, i);
    out8(&f->m, 0x3cf, v);
}

static void crtc_write(struct fixture *f, uint8_t i, uint8_t v)
{
    out8(&f->m, 0x3d4, i);
    out8(&f->m, 0x3d5, v);
}

static uint8_t crtc_read(struct fixture *f, uint8_t i)
{
    out8(&f->m, 0x3d4, i);
    return in8(&f->m, 0x3d5);
}

static uint8_t ar_read(struct fixture *f, uint8_t i)
{
    in8(&f->m, 0x3da);
    out8(&f->m, 0x3c0, i);
    uint8_t v = in8(&f->m, 0x3c1);
    in8(&f->m, 0x3da);
    out8(&f->m, 0x3c0, 0x20);
    return v;
}

static void program_mode(struct fixture *f, const struct mode_regs *r)
{
    out8(&f->m, 0x3c2, r->misc);
    for (uint8_t i = 0; i < 5; i++)
        seq_write(f, i, r->seq[i]);
    uint16_t crtc = (r->misc & 1) ? 0x3d4 : 0x3b4;
    out8(&f->m, crtc, 0x11);
    out8(&f->m, crtc + 1, 0x00); /* unprotect CRTC 0-7 */
    for (uint8_t i = 0; i < 25; i++) {
        out8(&f->m, crtc, i);
        out8(&f->m, crtc + 1, r->crtc[i]);
    }
    for (uint8_t i = 0; i < 9; i++)
        gr_write(f, i, r->gr[i]);
    in8(&f->m, (r->misc & 1) ? 0x3da : 0x3ba); /* attribute flip-flop to index */
    for (uint8_t i = 0; i < 21; i++) {
        out8(&f->m, 0x3c0, i);
        out8(&f->m, 0x3c0, r->ar[i]);
    }
    out8(&f->m, 0x3c0, 0x20); /* palette address source: display on */
}

/* The 64-colour EGA palette in DAC entries 0-63: rgbRGB bits, 2/3 and 1/3 intensity. */
static void load_ega_dac(struct fixture *f)
{
    out8(&f->m, 0x3c8, 0);
    for (unsigned i = 0; i < 64; i++) {
        out8(&f->m, 0x3c9, (uint8_t)(((i >> 2) & 1) * 0x2a + ((i >> 5) & 1) * 0x15));
        out8(&f->m, 0x3c9, (uint8_t)(((i >> 1) & 1) * 0x2a + ((i >> 4) & 1) * 0x15));
        out8(&f->m, 0x3c9, (uint8_t)((i & 1) * 0x2a + ((i >> 3) & 1) * 0x15));
    }
}

static uint32_t ega_rgb(unsigned i)
{
    static const uint8_t level[4] = {0x00, 0x55, 0xaa, 0xff};
    unsigned r = ((i >> 2) & 1) * 2 + ((i >> 5) & 1);
    unsigned g = ((i >> 1) & 1) * 2 + ((i >> 4) & 1);
    unsigned b = (i & 1) * 2 + ((i >> 3) & 1);
    return (uint32_t)level[r] << 16 | (uint32_t)level[g] << 8 | level[b];
}

/* Put 16-row glyphs into font 0 of plane 2 the way a VGA BIOS does, then restore mode 3. */
static void load_glyph(struct fixture *f, uint8_t ch, const uint8_t rows[16])
{
    seq_write(f, 2, 0x04); /* plane 2 only */
    seq_write(f, 4, 0x06); /* sequential addressing */
    gr_write(f, 4, 0x02);
    gr_write(f, 5, 0x00);
    gr_write(f, 6, 0x04); /* A0000, 64 KiB */
    for (unsigned r = 0; r < 16; r++)
        mem8(f, 0xa0000 + ch * 32u + r, rows[r]);
    seq_write(f, 2, 0x03);
    seq_write(f, 4, 0x02);
    gr_write(f, 4, 0x00);
    gr_write(f, 5, 0x10);
    gr_write(f, 6, 0x0e);
}

static void text_put(struct fixture *f, unsigned row, unsigned col, const char *s, uint8_t attr)
{
    for (unsigned i = 0; s[i]; i++) {
        uint32_t a = 0xb8000 + (row * 80 + col + i) * 2;
        mem8(f, a, (uint8_t)s[i]);
        mem8(f, a + 1, attr);
    }
}

/* Render into a buffer exactly as large as vga_screen_size says. */
static uint32_t *render(struct fixture *f, unsigned *w, unsigned *h)
{
    unsigned sw, sh;
    vga_screen_size(f->vga, &sw, &sh);
    uint32_t *buf = g_new(uint32_t, (size_t)sw * sh);
    vga_render(f->vga, buf, sw, w, h);
    g_assert_cmpuint(*w, ==, sw);
    g_assert_cmpuint(*h, ==, sh);
    return buf;
}

/* ---- text ------------------------------------------------------------------ */

static void test_text_mode(void)
{
    struct fixture f;
    setup(&f);
    program_mode(&f, &mode3);
    load_ega_dac(&f);
    static const uint8_t glyph_a[16] = {0x80, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff};
    static const uint8_t glyph_bar[16] = {0x01};
    load_glyph(&f, 'A', glyph_a);
    load_glyph(&f, 0xc4, glyph_bar);
    for (unsigned i = 0; i < 80 * 25; i++) {
        mem8(&f, 0xb8000 + 2 * i, ' ');
        mem8(&f, 0xb8000 + 2 * i + 1, 0x07);
    }
    text_put(&f, 0, 0, "Hello, VGA", 0x07);
    text_put(&f, 1, 2, "A", 0x1e);
    text_put(&f, 24, 75, "popek", 0x07);
    mem8(&f, 0xb8000 + (2 * 80 + 0) * 2, 0xc4);
    mem8(&f, 0xb8000 + (2 * 80 + 1) * 2, 0xb3); /* not printable ASCII */

    g_assert_cmpint(vga_mode(f.vga), ==, VGA_MODE_TEXT);
    char row[100];
    g_assert_true(vga_text_row(f.vga, 0, row, sizeof(row)));
    g_assert_cmpuint(strlen(row), ==, 80);
    g_assert_true(g_str_has_prefix(row, "Hello, VGA "));
    g_assert_true(vga_text_row(f.vga, 24, row, sizeof(row)));
    g_assert_true(g_str_has_suffix(row, "popek"));
    g_assert_true(vga_text_row(f.vga, 2, row, sizeof(row)));
    g_assert_true(g_str_has_prefix(row, "?? "));
    g_assert_false(vga_text_row(f.vga, 25, row, sizeof(row)));
    char small[6];
    g_assert_true(vga_text_row(f.vga, 0, small, sizeof(small)));
    g_assert_cmpstr(small, ==, "Hello");

    unsigned w, h;
    uint32_t *px = render(&f, &w, &h);
    g_assert_cmpuint(w, ==, 720);
    g_assert_cmpuint(h, ==, 400);
    /* 'A' at row 1, column 2: yellow (palette 0Eh -> DAC 3Eh) on blue. */
    unsigned x0 = 2 * 9, y0 = 16;
    g_assert_cmphex(px[y0 * w + x0], ==, ega_rgb(0x3e));
    g_assert_cmphex(px[y0 * w + x0 + 1], ==, ega_rgb(0x01));
    g_assert_cmphex(px[(y0 + 1) * w + x0 + 1], ==, ega_rgb(0x3e));
    g_assert_cmphex(px[(y0 + 15) * w + x0 + 7], ==, ega_rgb(0x3e));
    g_assert_cmphex(px[(y0 + 15) * w + x0 + 8], ==, ega_rgb(0x01)); /* 9th column: background */
    /* Box-drawing C4h: line graphics enable copies the 8th column into the 9th. */
    g_assert_cmphex(px[32 * w + 7], ==, ega_rgb(0x07));
    g_assert_cmphex(px[32 * w + 8], ==, ega_rgb(0x07));
    g_assert_cmphex(px[32 * w + 6], ==, 0);
    g_free(px);
    teardown(&f);
}

static void test_text_cursor_blink(void)
{
    struct fixture f;
    setup(&f);
    program_mode(&f, &mode3);
    load_ega_dac(&f);
    static const uint8_t glyph_a[16] = {0xff, 0xff};
    load_glyph(&f, 'A', glyph_a);
    text_put(&f, 0, 0, " ", 0x07);
    text_put(&f, 0, 1, "A", 0x87); /* blinking */
    crtc_write(&f, 0x0e, 0x00);
    crtc_write(&f, 0x0f, 0x00); /* cursor at 0,0, scan lines 13-14 */

    unsigned w, h;
    uint32_t *px = render(&f, &w, &h);
    g_assert_cmphex(px[13 * w + 3], ==, ega_rgb(0x07));
    g_assert_cmphex(px[12 * w + 3], ==, 0);
    g_assert_cmphex(px[0 * w + 9 + 2], ==, ega_rgb(0x07));
    g_free(px);

    /* 8 frames on, the cursor is off; 16 frames on, blinking characters are hidden. */
    vclock_advance(&f.m.clock, 8 * FRAME_NS);
    px = render(&f, &w, &h);
    g_assert_cmphex(px[13 * w + 3], ==, 0);
    g_assert_cmphex(px[0 * w + 9 + 2], ==, ega_rgb(0x07));
    g_free(px);
    vclock_advance(&f.m.clock, 8 * FRAME_NS);
    px = render(&f, &w, &h);
    g_assert_cmphex(px[0 * w + 9 + 2], ==, 0);
    g_free(px);

    /* Blink disabled: bit 7 is background intensity (dark grey 38h). */
    in8(&f.m, 0x3da);
    out8(&f.m, 0x3c0, 0x10);
    out8(&f.m, 0x3c0, 0x04);
    out8(&f.m, 0x3c0, 0x20);
    px = render(&f, &w, &h);
    g_assert_cmphex(px[0 * w + 9 + 2], ==, ega_rgb(0x07));
    g_assert_cmphex(px[5 * w + 9 + 2], ==, ega_rgb(0x38));
    g_free(px);

    /* Underline at scan line 15: only for foreground 1 on background 0 (attribute x1h/x9h). */
    crtc_write(&f, 0x14, 0x0f);
    text_put(&f, 0, 2, "  ", 0x01);
    mem8(&f, 0xb8000 + 3 * 2 + 1, 0x02);
    px = render(&f, &w, &h);
    g_assert_cmphex(px[15 * w + 18 + 8], ==, ega_rgb(0x01));
    g_assert_cmphex(px[14 * w + 18 + 8], ==, 0);
    g_assert_cmphex(px[15 * w + 27], ==, 0);
    g_free(px);

    /* Cursor start after end: no cursor. */
    vclock_advance(&f.m.clock, 16 * FRAME_NS);
    crtc_write(&f, 0x0a, 0x0f);
    crtc_write(&f, 0x0b, 0x0e);
    px = render(&f, &w, &h);
    g_assert_cmphex(px[14 * w + 3], ==, 0);
    g_free(px);
    teardown(&f);
}

static void test_text_40col(void)
{
    struct fixture f;
    setup(&f);
    program_mode(&f, &mode1);
    for (unsigned i = 0; i < 40; i++)
        mem8(&f, 0xb8000 + 2 * (40 + i), (uint8_t)('a' + i % 26));
    unsigned w, h;
    vga_screen_size(f.vga, &w, &h);
    g_assert_cmpuint(w, ==, 720);
    g_assert_cmpuint(h, ==, 400);
    char row[64];
    g_assert_true(vga_text_row(f.vga, 1, row, sizeof(row)));
    g_assert_cmpstr(row, ==, "abcdefghijklmnopqrstuvwxyzabcdefghijklmn");
    g_assert_true(vga_text_row(f.vga, 2, row, sizeof(row))); /* NUL characters are blank */
    g_assert_cmpstr(row, ==, "                                        ");
    /* Start address moves the screen: row 0 now shows what was row 1. */
    crtc_write(&f, 0x0c, 0x00);
    crtc_write(&f, 0x0d, 40);
    g_assert_true(vga_text_row(f.vga, 0, row, sizeof(row)));
    g_assert_true(g_str_has_prefix(row, "abc"));
    teardown(&f);
}

/* ---- DAC ------------------------------------------------------------------- */

static void test_dac(void)
{
    struct fixture f;
    setup(&f);
    out8(&f.m, 0x3c8, 5);
    g_assert_cmphex(in8(&f.m, 0x3c7) & 3, ==, 0);
    out8(&f.m, 0x3c9, 0x3f);
    out8(&f.m, 0x3c9, 0x20);
    out8(&f.m, 0x3c9, 0x01);
    out8(&f.m, 0x3c9, 0xff); /* 6-bit DAC: the top bits are dropped */
    out8(&f.m, 0x3c9, 0x02);
    out8(&f.m, 0x3c9, 0x03);
    g_assert_cmphex(in8(&f.m, 0x3c8), ==, 7);
    out8(&f.m, 0x3c9, 0x11); /* an incomplete entry is not stored */
    out8(&f.m, 0x3c7, 5);
    g_assert_cmphex(in8(&f.m, 0x3c7) & 3, ==, 3);
    static const uint8_t want[] = {0x3f, 0x20, 0x01, 0x3f, 0x02, 0x03, 0x00};
    for (unsigned i = 0; i < sizeof(want); i++)
        g_assert_cmphex(in8(&f.m, 0x3c9), ==, want[i]);
    /* Writing an index restarts the R, G, B sequence. */
    out8(&f.m, 0x3c8, 9);
    out8(&f.m, 0x3c9, 0x01);
    out8(&f.m, 0x3c8, 9);
    out8(&f.m, 0x3c9, 0x0a);
    out8(&f.m, 0x3c9, 0x0b);
    out8(&f.m, 0x3c9, 0x0c);
    out8(&f.m, 0x3c7, 9);
    g_assert_cmphex(in8(&f.m, 0x3c9), ==, 0x0a);
    g_assert_cmphex(in8(&f.m, 0x3c9), ==, 0x0b);
    g_assert_cmphex(in8(&f.m, 0x3c9), ==, 0x0c);
    /* The index wraps from 255 to 0. */
    out8(&f.m, 0x3c8, 255);
    for (unsigned i = 0; i < 6; i++)
        out8(&f.m, 0x3c9, 0x30);
    out8(&f.m, 0x3c7, 0);
    g_assert_cmphex(in8(&f.m, 0x3c9), ==, 0x30);
    out8(&f.m, 0x3c6, 0x0f);
    g_assert_cmphex(in8(&f.m, 0x3c6), ==, 0x0f);
    teardown(&f);
}

/* ---- planar memory ------------------------------------------------------------ */

/* Sequential planar access at A0000 (64 KiB), write mode 0, all planes. */
static void planar_setup(struct fixture *f)
{
    out8(&f->m, 0x3c2, 0x63);
    seq_write(f, 2, 0x0f);
    seq_write(f, 4, 0x06);
    for (uint8_t i = 0; i < 8; i++)
        gr_write(f, i, 0);
    gr_write(f, 6, 0x05);
    gr_write(f, 8, 0xff);
}

static uint8_t plane_read(struct fixture *f, unsigned plane, uint32_t addr)
{
    gr_write(f, 4, (uint8_t)plane);
    return rd8(f, addr);
}

static void plane_fill(struct fixture *f, uint32_t addr, const uint8_t v[4])
{
    for (unsigned p = 0; p < 4; p++) {
        seq_write(f, 2, (uint8_t)(1u << p));
        mem8(f, addr, v[p]);
    }
    seq_write(f, 2, 0x0f);
}

static void assert_planes(struct fixture *f, uint32_t addr, uint8_t p0, uint8_t p1, uint8_t p2,
                          uint8_t p3)
{
    g_assert_cmphex(plane_read(f, 0, addr), ==, p0);
    g_assert_cmphex(plane_read(f, 1, addr), ==, p1);
    g_assert_cmphex(plane_read(f, 2, addr), ==, p2);
    g_assert_cmphex(plane_read(f, 3, addr), ==, p3);
}

static void test_write_mode0(void)
{
    struct fixture f;
    setup(&f);
    planar_setup(&f);
    mem8(&f, 0xa0000, 0xa5);
    assert_planes(&f, 0xa0000, 0xa5, 0xa5, 0xa5, 0xa5);
    seq_write(&f, 2, 0x02); /* map mask: plane 1 */
    mem8(&f, 0xa0001, 0x3c);
    assert_planes(&f, 0xa0001, 0, 0x3c, 0, 0);
    seq_write(&f, 2, 0x0f);

    /* Set/reset: planes 0 and 2 from set/reset (colour 5), the rest from data. */
    gr_write(&f, 0, 0x05);
    gr_write(&f, 1, 0x05);
    mem8(&f, 0xa0002, 0x81);
    gr_write(&f, 1, 0x00);
    assert_planes(&f, 0xa0002, 0xff, 0x81, 0xff, 0x81);

    /* Rotate, then a logical operation with the latches. */
    static const uint8_t f0[4] = {0xf0, 0xf0, 0xf0, 0xf0};
    plane_fill(&f, 0xa0003, f0);
    rd8(&f, 0xa0003);          /* latch 0xF0 everywhere */
    gr_write(&f, 3, 0x08 | 1); /* AND, rotate right 1 */
    mem8(&f, 0xa0003, 0x1f);   /* 0x8F AND 0xF0 */
    assert_planes(&f, 0xa0003, 0x80, 0x80, 0x80, 0x80);
    gr_write(&f, 3, 0x00);
    plane_fill(&f, 0xa0003, f0);
    rd8(&f, 0xa0003);
    gr_write(&f, 3, 0x10); /* OR */
    mem8(&f, 0xa0003, 0x0c);
    assert_planes(&f, 0xa0003, 0xfc, 0xfc, 0xfc, 0xfc);
    gr_write(&f, 3, 0x00);
    plane_fill(&f, 0xa0003, f0);
    rd8(&f, 0xa0003);
    gr_write(&f, 3, 0x18); /* XOR */
    mem8(&f, 0xa0003, 0xff);
    assert_planes(&f, 0xa0003, 0x0f, 0x0f, 0x0f, 0x0f);

    /* Bit mask: unmasked bits come from the latches. */
    gr_write(&f, 3, 0x00);
    plane_fill(&f, 0xa0004, f0);
    rd8(&f, 0xa0004);
    gr_write(&f, 8, 0x0f);
    mem8(&f, 0xa0004, 0x55);
    gr_write(&f, 8, 0xff);
    assert_planes(&f, 0xa0004, 0xf5, 0xf5, 0xf5, 0xf5);
    teardown(&f);
}

static void test_write_modes123(void)
{
    struct fixture f;
    setup(&f);
    planar_setup(&f);
    static const uint8_t src[4] = {0x10, 0x21, 0x32, 0x43};
    plane_fill(&f, 0xa0000, src);

    /* Mode 1: a read loads the latches, a write stores them (the data is ignored). */
    rd8(&f, 0xa0000);
    gr_write(&f, 5, 0x01);
    mem8(&f, 0xa0010, 0x99);
    gr_write(&f, 5, 0x00);
    assert_planes(&f, 0xa0010, 0x10, 0x21, 0x32, 0x43);

    /* Mode 2: data bits 0-3 fill planes 0-3, through the bit mask. */
    static const uint8_t zero[4] = {0};
    plane_fill(&f, 0xa0020, zero);
    rd8(&f, 0xa0020);
    gr_write(&f, 5, 0x02);
    gr_write(&f, 8, 0x81);
    mem8(&f, 0xa0020, 0x0a);
    gr_write(&f, 8, 0xff);
    gr_write(&f, 5, 0x00);
    assert_planes(&f, 0xa0020, 0x00, 0x81, 0x00, 0x81);

    /* Mode 3: set/reset colour, rotated data ANDed with the bit mask as the mask. */
    static const uint8_t five[4] = {0x55, 0x55, 0x55, 0x55};
    plane_fill(&f, 0xa0030, five);
    rd8(&f, 0xa0030);
    gr_write(&f, 0, 0x06);
    gr_write(&f, 5, 0x03);
    gr_write(&f, 8, 0x3c);
    gr_write(&f, 3, 0x04); /* rotate right 4: 0x0F -> 0xF0; mask 0x30 */
    mem8(&f, 0xa0030, 0x0f);
    gr_write(&f, 3, 0x00);
    gr_write(&f, 8, 0xff);
    gr_write(&f, 5, 0x00);
    assert_planes(&f, 0xa0030, 0x45, 0x75, 0x75, 0x45);
    teardown(&f);
}

static void test_read_modes(void)
{
    struct fixture f;
    setup(&f);
    planar_setup(&f);
    static const uint8_t v[4] = {0xff, 0x0f, 0x00, 0x33};
    plane_fill(&f, 0xa0040, v);
    /* Read mode 0: the plane read map select names. */
    assert_planes(&f, 0xa0040, 0xff, 0x0f, 0x00, 0x33);
    /* Read mode 1: bits whose colour (p3 p2 p1 p0) is 0011. */
    gr_write(&f, 5, 0x08);
    gr_write(&f, 2, 0x03);
    gr_write(&f, 7, 0x0f);
    g_assert_cmphex(rd8(&f, 0xa0040), ==, 0x0c);
    gr_write(&f, 7, 0x03); /* planes 2 and 3 don't care */
    g_assert_cmphex(rd8(&f, 0xa0040), ==, 0x0f);
    gr_write(&f, 7, 0x00);
    g_assert_cmphex(rd8(&f, 0xa0040), ==, 0xff);
    teardown(&f);
}

/* ---- chain-4, mode 13h ---------------------------------------------------------- */

static void test_mode13(void)
{
    struct fixture f;
    setup(&f);
    program_mode(&f, &mode13);
    out8(&f.m, 0x3c8, 0x42);
    out8(&f.m, 0x3c9, 0x3f);
    out8(&f.m, 0x3c9, 0x00);
    out8(&f.m, 0x3c9, 0x20);
    out8(&f.m, 0x3c8, 0x07);
    out8(&f.m, 0x3c9, 0x01);
    out8(&f.m, 0x3c9, 0x02);
    out8(&f.m, 0x3c9, 0x03);
    mem8(&f, 0xa0000 + 10 * 320 + 5, 0x42);
    mem8(&f, 0xa0000 + 199 * 320 + 319, 0x07);
    g_assert_cmphex(rd8(&f, 0xa0000 + 10 * 320 + 5), ==, 0x42);

    g_assert_cmpint(vga_mode(f.vga), ==, VGA_MODE_GRAPHICS);
    unsigned w, h;
    uint32_t *px = render(&f, &w, &h);
    g_assert_cmpuint(w, ==, 320);
    g_assert_cmpuint(h, ==, 200);
    g_assert_cmphex(px[10 * 320 + 5], ==, 0xff0082);
    g_assert_cmphex(px[10 * 320 + 4], ==, 0);
    g_assert_cmphex(px[199 * 320 + 319], ==, 0x04080c);
    g_free(px);

    /* The pixel mask applies to the index. */
    out8(&f.m, 0x3c6, 0x07);
    px = render(&f, &w, &h);
    g_assert_cmphex(px[10 * 320 + 5], ==, 0);
    g_free(px);
    out8(&f.m, 0x3c6, 0xff);

    /* Chain-4 layout: byte A is plane A&3 at offset A&~3 (seen unchained). */
    seq_write(&f, 4, 0x06);
    gr_write(&f, 5, 0x00);
    uint32_t a = 10 * 320 + 5;
    g_assert_cmphex(plane_read(&f, a & 3, 0xa0000 + (a & ~3u)), ==, 0x42);
    g_assert_cmphex(plane_read(&f, 0, 0xa0000 + (a & ~3u)), ==, 0);
    g_assert_cmphex(plane_read(&f, a & 3, 0xa0000 + a / 4), ==, 0);

    /* Unchained (mode X) drawing: byte mode, pixel x on plane x&3 at x>>2. */
    crtc_write(&f, 0x14, 0x00);
    crtc_write(&f, 0x17, 0xe3);
    seq_write(&f, 2, 0x04); /* plane 2 */
    mem8(&f, 0xa0000 + 3 * 80 + 1, 0x42);
    px = render(&f, &w, &h);
    g_assert_cmphex(px[3 * 320 + 6], ==, 0xff0082);
    g_free(px);
    teardown(&f);
}

/* ---- planar and CGA graphics ---------------------------------------------------------- */

static void test_mode12(void)
{
    struct fixture f;
    setup(&f);
    program_mode(&f, &mode12);
    load_ega_dac(&f);
    /* Pixel (9, 3) in colour 12 with write mode 2 and a one-bit mask. */
    gr_write(&f, 5, 0x02);
    gr_write(&f, 8, 0x80 >> (9 & 7));
    rd8(&f, 0xa0000 + 3 * 80 + 1);
    mem8(&f, 0xa0000 + 3 * 80 + 1, 0x0c);
    gr_write(&f, 8, 0xff);
    gr_write(&f, 5, 0x00);

    unsigned w, h;
    uint32_t *px = render(&f, &w, &h);
    g_assert_cmpuint(w, ==, 640);
    g_assert_cmpuint(h, ==, 480);
    g_assert_cmphex(px[3 * 640 + 9], ==, ega_rgb(0x3c));
    g_assert_cmphex(px[3 * 640 + 8], ==, 0);
    g_assert_cmphex(px[3 * 640 + 10], ==, 0);
    g_free(px);

    /* Colour plane enable masks plane 2 off: colour 12 becomes 8 (palette 38h). */
    in8(&f.m, 0x3da);
    out8(&f.m, 0x3c0, 0x12);
    out8(&f.m, 0x3c0, 0x0b);
    out8(&f.m, 0x3c0, 0x20);
    px = render(&f, &w, &h);
    g_assert_cmphex(px[3 * 640 + 9], ==, ega_rgb(0x38));
    g_free(px);
    in8(&f.m, 0x3da);
    out8(&f.m, 0x3c0, 0x12);
    out8(&f.m, 0x3c0, 0x0f);
    out8(&f.m, 0x3c0, 0x20);

    /* Colour select: AR14 bits 2-3 give DAC bits 6-7; with AR10 bit 7, bits 0-1 give 4-5. */
    out8(&f.m, 0x3c8, 0xfc);
    out8(&f.m, 0x3c9, 0x01);
    out8(&f.m, 0x3c9, 0x01);
    out8(&f.m, 0x3c9, 0x01);
    out8(&f.m, 0x3c8, 0xec);
    out8(&f.m, 0x3c9, 0x02);
    out8(&f.m, 0x3c9, 0x02);
    out8(&f.m, 0x3c9, 0x02);
    in8(&f.m, 0x3da);
    out8(&f.m, 0x3c0, 0x14);
    out8(&f.m, 0x3c0, 0x0e);
    out8(&f.m, 0x3c0, 0x20);
    px = render(&f, &w, &h);
    g_assert_cmphex(px[3 * 640 + 9], ==, 0x040404); /* DAC C0h | 3Ch */
    g_free(px);
    in8(&f.m, 0x3da);
    out8(&f.m, 0x3c0, 0x10);
    out8(&f.m, 0x3c0, 0x81);
    out8(&f.m, 0x3c0, 0x20);
    px = render(&f, &w, &h);
    g_assert_cmphex(px[3 * 640 + 9], ==, 0x080808); /* DAC C0h | 20h | 0Ch */
    g_free(px);
    in8(&f.m, 0x3da);
    out8(&f.m, 0x3c0, 0x10);
    out8(&f.m, 0x3c0, 0x01);
    out8(&f.m, 0x3c0, 0x14);
    out8(&f.m, 0x3c0, 0x00);
    out8(&f.m, 0x3c0, 0x20);

    /* Split screen: start address 0x1000; after line compare (100) the address restarts at 0. */
    mem8(&f, 0xa1000, 0x80); /* colour 15 at the first pixel of address 0x1000 */
    crtc_write(&f, 0x0c, 0x10);
    crtc_write(&f, 0x0d, 0x00);
    crtc_write(&f, 0x18, 100);
    crtc_write(&f, 0x07, crtc_read(&f, 0x07) & ~0x10);
    crtc_write(&f, 0x09, crtc_read(&f, 0x09) & ~0x40);
    px = render(&f, &w, &h);
    g_assert_cmphex(px[0], ==, ega_rgb(0x3f));
    g_assert_cmphex(px[3 * 640 + 9], ==, 0);
    g_assert_cmphex(px[101 * 640 + 0], ==, 0);
    g_assert_cmphex(px[(101 + 3) * 640 + 9], ==, ega_rgb(0x3c));
    g_assert_cmphex(px[(100 + 3) * 640 + 9], ==, 0);
    g_free(px);
    teardown(&f);
}

static void test_cga_modes(void)
{
    struct fixture f;
    setup(&f);
    program_mode(&f, &mode4);
    load_ega_dac(&f);
    mem8(&f, 0xb8000, 0xe4);      /* line 0: pixels 3 2 1 0 */
    mem8(&f, 0xb8001, 0xc0);      /* line 0: pixel 4 = 3 */
    mem8(&f, 0xba000, 0x40);      /* line 1: pixel 0 = 1 */
    mem8(&f, 0xb8000 + 80, 0x80); /* line 2: pixel 0 = 2 */
    unsigned w, h;
    uint32_t *px = render(&f, &w, &h);
    g_assert_cmpuint(w, ==, 320);
    g_assert_cmpuint(h, ==, 200);
    g_assert_cmphex(px[0], ==, ega_rgb(0x17));
    g_assert_cmphex(px[1], ==, ega_rgb(0x15));
    g_assert_cmphex(px[2], ==, ega_rgb(0x13));
    g_assert_cmphex(px[3], ==, 0);
    g_assert_cmphex(px[4], ==, ega_rgb(0x17));
    g_assert_cmphex(px[320], ==, ega_rgb(0x13));
    g_assert_cmphex(px[640], ==, ega_rgb(0x15));
    g_free(px);

    program_mode(&f, &mode6);
    mem8(&f, 0xb8000, 0x00);
    mem8(&f, 0xb8000 + 1, 0x01); /* line 0: pixel 15 */
    mem8(&f, 0xba000, 0x80);     /* line 1: pixel 0 */
    px = render(&f, &w, &h);
    g_assert_cmpuint(w, ==, 640);
    g_assert_cmpuint(h, ==, 200);
    g_assert_cmphex(px[15], ==, ega_rgb(0x17));
    g_assert_cmphex(px[14], ==, 0);
    g_assert_cmphex(px[640], ==, ega_rgb(0x17));
    g_assert_cmphex(px[641], ==, 0);
    g_free(px);

    /* Four banks (Hercules style): row scan bits 0 and 1 become address bits 13 and 14. */
    crtc_write(&f, 0x09, 0xc3);
    crtc_write(&f, 0x17, 0xc0);
    crtc_write(&f, 0x13, 0x14);
    mem8(&f, 0xb8000 + 0x6000 + 40, 0x40); /* line 3 (bank 3), row 1: pixel 1 of line 7 */
    mem8(&f, 0xb8000 + 0x6000, 0x80);      /* line 3, pixel 0 */
    px = render(&f, &w, &h);
    g_assert_cmpuint(h, ==, 200);
    g_assert_cmphex(px[3 * 640], ==, ega_rgb(0x17));
    g_assert_cmphex(px[7 * 640 + 1], ==, ega_rgb(0x17));
    g_assert_cmphex(px[2 * 640], ==, 0);
    g_free(px);
    teardown(&f);
}

/* ---- the window, ports, timing ------------------------------------------------------------ */

static void test_memory_map_select(void)
{
    struct fixture f;
    setup(&f);
    program_mode(&f, &mode3);
    /* B8000, 32 KiB: B0000 and A0000 are not decoded. */
    mem8(&f, 0xb8000, 'x');
    g_assert_cmphex(rd8(&f, 0xb8000), ==, 'x');
    g_assert_cmphex(rd8(&f, 0xb0000), ==, 0xff);
    g_assert_cmphex(rd8(&f, 0xa0000), ==, 0xff);
    mem8(&f, 0xb0000, 'y'); /* ignored */
    g_assert_cmphex(rd8(&f, 0xb8000), ==, 'x');

    /* B0000, 32 KiB: the same memory now answers there. */
    gr_write(&f, 6, 0x0a);
    g_assert_cmphex(rd8(&f, 0xb0000), ==, 'x');
    g_assert_cmphex(rd8(&f, 0xb8000), ==, 0xff);
    mem8(&f, 0xb0002, 'z');

    /* A0000, 64 KiB. */
    gr_write(&f, 6, 0x06);
    g_assert_cmphex(rd8(&f, 0xa0002), ==, 'z');
    g_assert_cmphex(rd8(&f, 0xb0000), ==, 0xff);

    /* A0000, 128 KiB: all of it decodes; with odd/even, A16 takes the place of A0. */
    gr_write(&f, 6, 0x02);
    g_assert_cmphex(rd8(&f, 0xa0000), ==, 'x');
    mem8(&f, 0xb8004, 'w');
    g_assert_cmphex(rd8(&f, 0xb8004), ==, 'w');
    g_assert_cmphex(rd8(&f, 0xa8004), ==, 0x00);

    /* Misc output RAM enable clear: nothing decodes. */
    out8(&f.m, 0x3c2, 0x65);
    g_assert_cmphex(rd8(&f, 0xa0000), ==, 0xff);
    mem8(&f, 0xa0000, 'q');
    out8(&f.m, 0x3c2, 0x67);
    g_assert_cmphex(rd8(&f, 0xa0000), ==, 'x');
    teardown(&f);
}

static void test_input_status(void)
{
    struct fixture f;
    setup(&f);
    out8(&f.m, 0x3c2, 0x67);
    uint8_t st = in8(&f.m, 0x3da);
    g_assert_cmphex(st & 0x09, ==, 0x00);        /* top left: displaying */
    g_assert_cmphex(in8(&f.m, 0x3ba), ==, 0xff); /* mono status: not selected */
    vclock_advance(&f.m.clock, 10 * 31778ull + 26000);
    g_assert_cmphex(in8(&f.m, 0x3da) & 0x09, ==, 0x01); /* horizontal blank */
    vclock_advance(&f.m.clock, 485 * 31778ull);
    g_assert_cmphex(in8(&f.m, 0x3da) & 0x09, ==, 0x09); /* vertical retrace */
    vclock_advance(&f.m.clock, 41 * 31778ull - 25900);
    g_assert_cmphex(in8(&f.m, 0x3da) & 0x09, ==, 0x00); /* line 11 of the next frame */

    /* A polling loop sees retrace start and end within a frame or two. */
    unsigned toggles = 0;
    uint8_t last = in8(&f.m, 0x3da) & 0x08;
    for (unsigned i = 0; i < 2000; i++) {
        vclock_advance(&f.m.clock, 20000);
        uint8_t now = in8(&f.m, 0x3da) & 0x08;
        toggles += now != last;
        last = now;
    }
    g_assert_cmpuint(toggles, >=, 4);

    /* Mono selected: 3BA answers, 3DA does not. */
    out8(&f.m, 0x3c2, 0x66);
    g_assert_cmphex(in8(&f.m, 0x3da), ==, 0xff);
    g_assert_cmphex(in8(&f.m, 0x3ba) & 0xf0, ==, 0x00);
    teardown(&f);
}

static void test_attribute_flipflop(void)
{
    struct fixture f;
    setup(&f);
    out8(&f.m, 0x3c2, 0x67);
    in8(&f.m, 0x3da);
    out8(&f.m, 0x3c0, 0x12); /* index */
    out8(&f.m, 0x3c0, 0x0f); /* data */
    out8(&f.m, 0x3c0, 0x13); /* index */
    in8(&f.m, 0x3da);        /* reset: the next write is an index again */
    out8(&f.m, 0x3c0, 0x34);
    g_assert_cmphex(in8(&f.m, 0x3c0), ==, 0x34);
    out8(&f.m, 0x3c0, 0x02);
    g_assert_cmphex(ar_read(&f, 0x14), ==, 0x02);
    g_assert_cmphex(ar_read(&f, 0x12), ==, 0x0f);
    g_assert_cmphex(ar_read(&f, 0x13), ==, 0x00);
    /* After one reset, writes alternate index, data, index, data. */
    in8(&f.m, 0x3da);
    out8(&f.m, 0x3c0, 0x05);
    out8(&f.m, 0x3c0, 0x2a);
    out8(&f.m, 0x3c0, 0x06);
    out8(&f.m, 0x3c0, 0xff);
    g_assert_cmphex(ar_read(&f, 0x05), ==, 0x2a);
    g_assert_cmphex(ar_read(&f, 0x06), ==, 0x3f); /* palette entries are 6 bits */
    teardown(&f);
}

static void test_registers(void)
{
    struct fixture f;
    setup(&f);
    out8(&f.m, 0x3c2, 0x67);
    g_assert_cmphex(in8(&f.m, 0x3cc), ==, 0x67);

    /* OUT DX,AX to index/data pairs. */
    iobus_write(&f.m.io, 0x3c4, 0x0f02, 2);
    out8(&f.m, 0x3c4, 0x02);
    g_assert_cmphex(in8(&f.m, 0x3c5), ==, 0x0f);
    iobus_write(&f.m.io, 0x3ce, 0x0508, 2);
    out8(&f.m, 0x3ce, 0x08);
    g_assert_cmphex(in8(&f.m, 0x3cf), ==, 0x05);
    iobus_write(&f.m.io, 0x3d4, 0x2a0c, 2);
    g_assert_cmphex(crtc_read(&f, 0x0c), ==, 0x2a);
    in8(&f.m, 0x3da);
    iobus_write(&f.m.io, 0x3c0, 0x3f01, 2);
    g_assert_cmphex(ar_read(&f, 0x01), ==, 0x3f);

    /* The colour CRTC answers; the mono one reads all ones and ignores writes. */
    g_assert_cmphex(in8(&f.m, 0x3b5), ==, 0xff);
    out8(&f.m, 0x3b4, 0x0c);
    out8(&f.m, 0x3b5, 0x11);
    g_assert_cmphex(crtc_read(&f, 0x0c), ==, 0x2a);
    out8(&f.m, 0x3c2, 0x66);
    out8(&f.m, 0x3b4, 0x0c);
    g_assert_cmphex(in8(&f.m, 0x3b5), ==, 0x2a);
    g_assert_cmphex(in8(&f.m, 0x3d5), ==, 0xff);
    out8(&f.m, 0x3c2, 0x67);

    /* CRTC 11h bit 7 protects registers 0-7 except the line compare bit of 07h. */
    crtc_write(&f, 0x01, 0x4f);
    crtc_write(&f, 0x07, 0x00);
    crtc_write(&f, 0x11, 0x80);
    crtc_write(&f, 0x01, 0x27);
    crtc_write(&f, 0x07, 0xff);
    g_assert_cmphex(crtc_read(&f, 0x01), ==, 0x4f);
    g_assert_cmphex(crtc_read(&f, 0x07), ==, 0x10);
    crtc_write(&f, 0x11, 0x00);
    crtc_write(&f, 0x01, 0x27);
    g_assert_cmphex(crtc_read(&f, 0x01), ==, 0x27);

    /* Feature control (written at 3DA, read at 3CA) and video subsystem enable. */
    out8(&f.m, 0x3da, 0x05);
    g_assert_cmphex(in8(&f.m, 0x3ca), ==, 0x05);
    g_assert_cmphex(in8(&f.m, 0x3c3), ==, 0x01);
    out8(&f.m, 0x3c3, 0xfe);
    g_assert_cmphex(in8(&f.m, 0x3c3), ==, 0x00);
    g_assert_cmphex(in8(&f.m, 0x3cd), ==, 0xff);
    g_assert_cmphex(in8(&f.m, 0x3c2) & 0x80, ==, 0x00);

    /* Registers that do not exist read as all ones; masks on those that do. */
    out8(&f.m, 0x3c4, 0x07);
    g_assert_cmphex(in8(&f.m, 0x3c5), ==, 0xff);
    gr_write(&f, 0x05, 0xff);
    g_assert_cmphex(in8(&f.m, 0x3cf), ==, 0x7b);
    g_assert_cmphex(crtc_read(&f, 0x1f), ==, 0xff);
    teardown(&f);
}

static void test_mode_off_and_reset(void)
{
    struct fixture f;
    setup(&f);
    g_assert_cmpint(vga_mode(f.vga), ==, VGA_MODE_OFF);
    unsigned w, h;
    uint32_t *px = render(&f, &w, &h);
    g_assert_cmpuint(w, ==, 640);
    g_assert_cmpuint(h, ==, 480);
    g_assert_cmphex(px[0], ==, 0);
    g_free(px);
    char row[8];
    g_assert_false(vga_text_row(f.vga, 0, row, sizeof(row)));

    program_mode(&f, &mode3);
    g_assert_cmpint(vga_mode(f.vga), ==, VGA_MODE_TEXT);
    seq_write(&f, 1, 0x20); /* screen off */
    g_assert_cmpint(vga_mode(f.vga), ==, VGA_MODE_OFF);
    vga_screen_size(f.vga, &w, &h);
    g_assert_cmpuint(w, ==, 720); /* the mode's size is kept while blanked */
    seq_write(&f, 1, 0x00);
    in8(&f.m, 0x3da);
    out8(&f.m, 0x3c0, 0x00); /* palette address source clear */
    g_assert_cmpint(vga_mode(f.vga), ==, VGA_MODE_OFF);
    out8(&f.m, 0x3c0, 0x00);

    mem8(&f, 0xb8000, 'x');
    vga_reset(f.vga);
    g_assert_cmphex(in8(&f.m, 0x3cc), ==, 0x00);
    out8(&f.m, 0x3c2, 0x67);
    gr_write(&f, 6, 0x0e);
    seq_write(&f, 4, 0x02);
    gr_write(&f, 5, 0x10);
    g_assert_cmphex(rd8(&f, 0xb8000), ==, 0x00);
    teardown(&f);
}

/* ---- VBE -------------------------------------------------------------------------- */

static void dispi_write(struct fixture *f, uint16_t index, uint16_t v)
{
    iobus_write(&f->m.io, 0x1ce, index, 2);
    iobus_write(&f->m.io, 0x1cf, v, 2);
}

static uint16_t dispi_read(struct fixture *f, uint16_t index)
{
    iobus_write(&f->m.io, 0x1ce, index, 2);
    return (uint16_t)iobus_read(&f->m.io, 0x1cf, 2);
}

static void vbe_set(struct fixture *f, uint16_t x, uint16_t y, uint16_t bpp, uint16_t flags)
{
    dispi_write(f, 4, 0);
    dispi_write(f, 3, bpp);
    dispi_write(f, 1, x);
    dispi_write(f, 2, y);
    dispi_write(f, 5, 0);
    dispi_write(f, 4, 0x01 | flags);
    /* What SeaBIOS's VGA-compatibility setup leaves: RAM enabled, A0000 64 KiB graphics. */
    out8(&f->m, 0x3c2, 0x63);
    gr_write(f, 6, 0x05);
}

static void test_vbe_id(void)
{
    struct fixture f;
    setup(&f);
    g_assert_cmphex(dispi_read(&f, 0), ==, 0xb0c5);
    dispi_write(&f, 0, 0xb0c0);
    g_assert_cmphex(dispi_read(&f, 0), ==, 0xb0c0);
    dispi_write(&f, 0, 0x1234);
    g_assert_cmphex(dispi_read(&f, 0), ==, 0xb0c0);
    dispi_write(&f, 0, 0xb0c5);
    g_assert_cmphex(dispi_read(&f, 0), ==, 0xb0c5);
    g_assert_cmpuint(dispi_read(&f, 0x0a), ==, vga_vram_size() >> 16);
    g_assert_cmpuint(vga_vram_size(), ==, 16u << 20);
    g_assert_cmphex(iobus_read(&f.m.io, 0x1ce, 2), ==, 0x0a);
    teardown(&f);
}

static void test_vbe_lfb(void)
{
    struct fixture f;
    setup(&f);
    g_assert_cmphex(memmap_read(&f.m.mem, LFB_ADDR, 4), ==, 0xffffffff);
    vga_map_lfb(f.vga, LFB_ADDR);
    vbe_set(&f, 640, 480, 32, 0x40);
    g_assert_cmpint(vga_mode(f.vga), ==, VGA_MODE_VBE);
    g_assert_cmphex(dispi_read(&f, 4), ==, 0x41);
    g_assert_cmpuint(dispi_read(&f, 6), ==, 640);
    memmap_write(&f.m.mem, LFB_ADDR + (10 * 640 + 20) * 4, 0x00123456, 4);
    memmap_write(&f.m.mem, LFB_ADDR + (479 * 640 + 639) * 4, 0x00abcdef, 4);
    unsigned w, h;
    uint32_t *px = render(&f, &w, &h);
    g_assert_cmpuint(w, ==, 640);
    g_assert_cmpuint(h, ==, 480);
    g_assert_cmphex(px[10 * 640 + 20], ==, 0x123456);
    g_assert_cmphex(px[479 * 640 + 639], ==, 0xabcdef);
    g_assert_cmphex(px[10 * 640 + 21], ==, 0);
    g_free(px);

    /* Display start: Y_OFFSET 10 shows line 10 at the top. */
    dispi_write(&f, 9, 10);
    px = render(&f, &w, &h);
    g_assert_cmphex(px[20], ==, 0x123456);
    g_free(px);
    g_assert_cmpuint(dispi_read(&f, 9), ==, 10);

    /* Moving and unmapping the BAR. */
    vga_map_lfb(f.vga, LFB_ADDR + 0x1000000);
    g_assert_cmphex(memmap_read(&f.m.mem, LFB_ADDR + 0x1000000 + (10 * 640 + 20) * 4, 4), ==,
                    0x123456);
    g_assert_cmphex(memmap_read(&f.m.mem, LFB_ADDR, 4), ==, 0xffffffff);
    vga_map_lfb(f.vga, 0);
    g_assert_cmphex(memmap_read(&f.m.mem, LFB_ADDR + 0x1000000, 4), ==, 0xffffffff);
    teardown(&f);
}

static void test_vbe_depths(void)
{
    struct fixture f;
    setup(&f);
    vga_map_lfb(f.vga, LFB_ADDR);
    unsigned w, h;
    uint32_t *px;

    vbe_set(&f, 320, 200, 16, 0);
    memmap_write(&f.m.mem, LFB_ADDR, 0xf800, 2);
    memmap_write(&f.m.mem, LFB_ADDR + 2, 0x07e0, 2);
    memmap_write(&f.m.mem, LFB_ADDR + 4, 0x001f, 2);
    px = render(&f, &w, &h);
    g_assert_cmphex(px[0], ==, 0xff0000);
    g_assert_cmphex(px[1], ==, 0x00ff00);
    g_assert_cmphex(px[2], ==, 0x0000ff);
    g_free(px);

    vbe_set(&f, 320, 200, 15, 0);
    g_assert_cmphex(memmap_read(&f.m.mem, LFB_ADDR, 2), ==, 0); /* enabling cleared VRAM */
    memmap_write(&f.m.mem, LFB_ADDR, 0x7c00, 2);
    memmap_write(&f.m.mem, LFB_ADDR + 2, 0x4210, 2);
    px = render(&f, &w, &h);
    g_assert_cmphex(px[0], ==, 0xff0000);
    g_assert_cmphex(px[1], ==, 0x848484);
    g_free(px);

    vbe_set(&f, 320, 200, 24, 0x80); /* NOCLEARMEM: the old bytes stay */
    g_assert_cmphex(memmap_read(&f.m.mem, LFB_ADDR, 2), ==, 0x7c00);
    memmap_write(&f.m.mem, LFB_ADDR + 3, 0x123456, 4); /* blue, green, red */
    px = render(&f, &w, &h);
    g_assert_cmphex(px[1], ==, 0x123456);
    g_free(px);

    vbe_set(&f, 320, 200, 8, 0);
    out8(&f.m, 0x3c8, 9);
    out8(&f.m, 0x3c9, 0x3f);
    out8(&f.m, 0x3c9, 0x00);
    out8(&f.m, 0x3c9, 0x15);
    mem8(&f, LFB_ADDR + 321, 9);
    px = render(&f, &w, &h);
    g_assert_cmphex(px[321], ==, 0xff0055);
    g_free(px);
    /* 8-bit DAC: values are stored and shown whole. */
    dispi_write(&f, 4, 0x21);
    g_assert_cmphex(dispi_read(&f, 4), ==, 0x21);
    out8(&f.m, 0x3c8, 9);
    out8(&f.m, 0x3c9, 0x80);
    out8(&f.m, 0x3c9, 0x81);
    out8(&f.m, 0x3c9, 0xfe);
    out8(&f.m, 0x3c7, 9);
    g_assert_cmphex(in8(&f.m, 0x3c9), ==, 0x80);
    px = render(&f, &w, &h);
    g_assert_cmphex(px[321], ==, 0x8081fe);
    g_free(px);
    teardown(&f);
}

static void test_vbe_banked(void)
{
    struct fixture f;
    setup(&f);
    vga_map_lfb(f.vga, LFB_ADDR);
    vbe_set(&f, 1024, 768, 8, 0);
    dispi_write(&f, 5, 3);
    g_assert_cmpuint(dispi_read(&f, 5), ==, 3);
    mem8(&f, 0xa0010, 0x5a);
    g_assert_cmphex(rd8(&f, 0xa0010), ==, 0x5a);
    g_assert_cmphex(memmap_read(&f.m.mem, LFB_ADDR + 3 * 0x10000 + 0x10, 1), ==, 0x5a);
    memmap_write(&f.m.mem, LFB_ADDR + 0x20000, 0x77, 1);
    dispi_write(&f, 5, 2);
    g_assert_cmphex(rd8(&f, 0xa0000), ==, 0x77);
    /* A bank past the end of VRAM is refused. */
    dispi_write(&f, 5, 256);
    g_assert_cmpuint(dispi_read(&f, 5), ==, 2);
    dispi_write(&f, 5, 255);
    mem8(&f, 0xaffff, 0x66);
    g_assert_cmphex(memmap_read(&f.m.mem, LFB_ADDR + 0xffffff, 1), ==, 0x66);
    /* The rendered pixel at the bank's place: offset 3 * 64K + 16 is (16, 192). */
    unsigned w, h;
    out8(&f.m, 0x3c8, 0x5a);
    out8(&f.m, 0x3c9, 0x3f);
    out8(&f.m, 0x3c9, 0x3f);
    out8(&f.m, 0x3c9, 0x3f);
    uint32_t *px = render(&f, &w, &h);
    g_assert_cmphex(px[192 * 1024 + 16], ==, 0xffffff);
    g_free(px);
    /* Disabling VBE brings back the standard window decoding. */
    dispi_write(&f, 4, 0);
    g_assert_cmpint(vga_mode(f.vga), !=, VGA_MODE_VBE);
    teardown(&f);
}

static void test_vbe_planar4(void)
{
    struct fixture f;
    setup(&f);
    program_mode(&f, &mode12);
    load_ega_dac(&f);
    dispi_write(&f, 3, 4);
    dispi_write(&f, 1, 800);
    dispi_write(&f, 2, 600);
    dispi_write(&f, 4, 0x01);
    unsigned w, h;
    vga_screen_size(f.vga, &w, &h);
    g_assert_cmpuint(w, ==, 800);
    g_assert_cmpuint(h, ==, 600);
    /* Planar writes through the window: colour 9 over the first 8 pixels of line 2. */
    seq_write(&f, 2, 0x09);
    mem8(&f, 0xa0000 + 2 * 100, 0xff);
    seq_write(&f, 2, 0x0f);
    uint32_t *px = render(&f, &w, &h);
    g_assert_cmphex(px[2 * 800 + 7], ==, ega_rgb(0x39));
    g_assert_cmphex(px[2 * 800 + 8], ==, 0);
    g_free(px);
    /* Bank 1 is plane offset 64K. */
    dispi_write(&f, 5, 1);
    seq_write(&f, 2, 0x02);
    mem8(&f, 0xa0000, 0xaa);
    seq_write(&f, 2, 0x0f);
    g_assert_cmphex(plane_read(&f, 1, 0xa0000), ==, 0xaa);
    dispi_write(&f, 5, 0);
    g_assert_cmphex(plane_read(&f, 1, 0xa0000), ==, 0x00);
    dispi_write(&f, 5, 64); /* past a quarter of VRAM */
    g_assert_cmpuint(dispi_read(&f, 5), ==, 0);
    /* A bank set at 8 bpp that is past the planes at 4 bpp reads as nothing. */
    dispi_write(&f, 4, 0);
    dispi_write(&f, 3, 8);
    dispi_write(&f, 5, 200);
    dispi_write(&f, 3, 4);
    dispi_write(&f, 4, 0x81);
    g_assert_cmpuint(dispi_read(&f, 5), ==, 200);
    g_assert_cmphex(rd8(&f, 0xa0000), ==, 0xff);
    mem8(&f, 0xa0000, 0x12);
    teardown(&f);
}

static void test_vbe_clamp(void)
{
    struct fixture f;
    setup(&f);
    dispi_write(&f, 1, 5000);
    g_assert_cmpuint(dispi_read(&f, 1), ==, 2560);
    dispi_write(&f, 2, 9999);
    g_assert_cmpuint(dispi_read(&f, 2), ==, 1600);
    dispi_write(&f, 3, 33);
    g_assert_cmpuint(dispi_read(&f, 3), ==, 32);
    dispi_write(&f, 3, 12);
    g_assert_cmpuint(dispi_read(&f, 3), ==, 15);
    dispi_write(&f, 3, 0);
    g_assert_cmpuint(dispi_read(&f, 3), ==, 8);
    dispi_write(&f, 1, 0);
    g_assert_cmpuint(dispi_read(&f, 1), ==, 1);

    /* The largest mode: VRAM holds 1638 of its lines; panning past them is clamped. */
    vga_map_lfb(f.vga, LFB_ADDR);
    vbe_set(&f, 2560, 1600, 32, 0x40);
    dispi_write(&f, 1, 640); /* ignored while enabled */
    g_assert_cmpuint(dispi_read(&f, 1), ==, 2560);
    g_assert_cmpuint(dispi_read(&f, 7), ==, 1638);
    dispi_write(&f, 6, 0xffff); /* virtual width too large for VRAM: back to the visible one */
    g_assert_cmpuint(dispi_read(&f, 6), ==, 2560);
    dispi_write(&f, 8, 100);
    dispi_write(&f, 9, 100);
    g_assert_cmpuint(dispi_read(&f, 8), ==, 0);
    g_assert_cmpuint(dispi_read(&f, 9), ==, 38);
    memmap_write(&f.m.mem, LFB_ADDR + 1637 * 10240 + 2559 * 4, 0x00c0ffee, 4);
    unsigned w, h;
    uint32_t *px = render(&f, &w, &h);
    g_assert_cmpuint(w, ==, 2560);
    g_assert_cmpuint(h, ==, 1600);
    g_assert_cmphex(px[1600 * 2560 - 1], ==, 0xc0ffee);
    g_free(px);

    /* A virtual screen that fits: panning within it. */
    dispi_write(&f, 4, 0);
    vbe_set(&f, 640, 480, 8, 0);
    dispi_write(&f, 6, 1024);
    g_assert_cmpuint(dispi_read(&f, 6), ==, 1024);
    g_assert_cmpuint(dispi_read(&f, 7), ==, 16384);
    dispi_write(&f, 8, 2000);
    g_assert_cmpuint(dispi_read(&f, 8), ==, 1024 - 640);
    dispi_write(&f, 9, 40000);
    g_assert_cmpuint(dispi_read(&f, 9), ==, 16384 - 480);
    px = render(&f, &w, &h);
    g_assert_cmpuint(h, ==, 480);
    g_free(px);
    teardown(&f);
}

static void test_vbe_getcaps(void)
{
    struct fixture f;
    setup(&f);
    dispi_write(&f, 1, 800);
    dispi_write(&f, 4, 0x02);
    g_assert_cmpuint(dispi_read(&f, 1), ==, 2560);
    g_assert_cmpuint(dispi_read(&f, 2), ==, 1600);
    g_assert_cmpuint(dispi_read(&f, 3), ==, 32);
    dispi_write(&f, 4, 0x00);
    g_assert_cmpuint(dispi_read(&f, 1), ==, 800);
    g_assert_cmpuint(dispi_read(&f, 2), ==, 480);
    g_assert_cmpuint(dispi_read(&f, 3), ==, 8);
    teardown(&f);
}

static void test_ports_taken(void)
{
    struct fixture f;
    setup(&f);
    /* A second VGA cannot have the ports; the first one keeps working. */
    g_assert_null(vga_create(&f.m));
    out8(&f.m, 0x3c2, 0x67);
    g_assert_cmphex(in8(&f.m, 0x3cc), ==, 0x67);
    g_assert_cmphex(dispi_read(&f, 0), ==, 0xb0c5);
    /* After destroy the ports and the window are gone. */
    vga_destroy(f.vga);
    g_assert_cmphex(in8(&f.m, 0x3cc), ==, 0xff);
    g_assert_cmphex(rd8(&f, 0xb8000), ==, 0x00); /* RAM below shows again */
    f.vga = vga_create(&f.m);
    g_assert_nonnull(f.vga);
    teardown(&f);
}

/* ---- hostile guest ------------------------------------------------------------------ */

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

static void test_garbage(void)
{
    static const uint16_t ports[] = {0x3b4, 0x3b5, 0x3ba, 0x3c0, 0x3c1, 0x3c2, 0x3c4,
                                     0x3c5, 0x3c6, 0x3c7, 0x3c8, 0x3c9, 0x3ce, 0x3cf,
                                     0x3d4, 0x3d5, 0x3da, 0x1ce, 0x1cf};
    struct fixture f;
    setup(&f);
    vga_map_lfb(f.vga, LFB_ADDR);
    uint32_t seed = 1;
    for (unsigned round = 0; round < 40; round++) {
        for (unsigned i = 0; i < 400; i++) {
            uint32_t r = lcg(&seed);
            uint16_t port = ports[r % G_N_ELEMENTS(ports)];
            if (port == 0x1ce) {
                iobus_write(&f.m.io, port, lcg(&seed) % 12, 2);
                iobus_write(&f.m.io, 0x1cf, lcg(&seed) & 0xffff, 2);
            } else if (r & 0x100) {
                out8(&f.m, port, (uint8_t)lcg(&seed));
            } else {
                in8(&f.m, port);
            }
            uint32_t a = 0xa0000 + lcg(&seed) % 0x20000;
            mem8(&f, a, (uint8_t)lcg(&seed));
            rd8(&f, a);
        }
        if (round % 4 == 0)
            out8(&f.m, 0x3c0, 0x20);
        unsigned w, h;
        vga_screen_size(f.vga, &w, &h);
        g_assert_cmpuint(w, >=, 1);
        g_assert_cmpuint(w, <=, 2560);
        g_assert_cmpuint(h, >=, 1);
        g_assert_cmpuint(h, <=, 1600);
        uint32_t *px = render(&f, &w, &h);
        g_free(px);
        char row[300];
        for (unsigned r = 0; r < 4; r++)
            vga_text_row(f.vga, r, row, sizeof(row));
    }
    teardown(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vga/text/mode3", test_text_mode);
    g_test_add_func("/vga/text/cursor-blink", test_text_cursor_blink);
    g_test_add_func("/vga/text/40col", test_text_40col);
    g_test_add_func("/vga/dac", test_dac);
    g_test_add_func("/vga/planar/write-mode0", test_write_mode0);
    g_test_add_func("/vga/planar/write-modes123", test_write_modes123);
    g_test_add_func("/vga/planar/read-modes", test_read_modes);
    g_test_add_func("/vga/graphics/mode13", test_mode13);
    g_test_add_func("/vga/graphics/mode12", test_mode12);
    g_test_add_func("/vga/graphics/cga", test_cga_modes);
    g_test_add_func("/vga/memory-map-select", test_memory_map_select);
    g_test_add_func("/vga/input-status", test_input_status);
    g_test_add_func("/vga/attribute-flipflop", test_attribute_flipflop);
    g_test_add_func("/vga/registers", test_registers);
    g_test_add_func("/vga/off-and-reset", test_mode_off_and_reset);
    g_test_add_func("/vga/vbe/id", test_vbe_id);
    g_test_add_func("/vga/vbe/lfb", test_vbe_lfb);
    g_test_add_func("/vga/vbe/depths", test_vbe_depths);
    g_test_add_func("/vga/vbe/banked", test_vbe_banked);
    g_test_add_func("/vga/vbe/planar4", test_vbe_planar4);
    g_test_add_func("/vga/vbe/clamp", test_vbe_clamp);
    g_test_add_func("/vga/vbe/getcaps", test_vbe_getcaps);
    g_test_add_func("/vga/ports-taken", test_ports_taken);
    g_test_add_func("/vga/garbage", test_garbage);
    return g_test_run();
}
