/*
 * The statistics overlay: the font's table (every printable character has
 * a glyph of its own within its 5x8 grid), text and boxes drawn pixel for
 * pixel as the table says (a glyph's dots in the foreground value, the
 * rest of each cell in the background value, nothing else touched), the
 * clipping at every edge of the buffer (the ASan build catches a write
 * past it), and the overlay's text: what --stats prints, from the same
 * formatter, without the text screen.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "frontend/overlay.h"
#include "frontend/stats.h"
#include "pc/pc.h"

#define FG    0xff112233u
#define BG    0x80445566u
#define CLEAR 0xdeadbeefu /* what the buffer held before drawing */

/* ---- the font ------------------------------------------------------------ */

static void test_glyph_table(void)
{
    for (int c = 32; c <= 126; c++) {
        const uint8_t *g = overlay_glyph((char)c);
        unsigned dots = 0;
        for (unsigned r = 0; r < OVERLAY_GLYPH_H; r++) {
            g_assert_cmpuint(g[r] >> OVERLAY_GLYPH_W, ==, 0); /* 5 dots wide */
            dots += (unsigned)__builtin_popcount(g[r]);
        }
        /* Only the space is blank; only descenders reach the 8th row. */
        g_assert_true((dots == 0) == (c == ' '));
        if (g[OVERLAY_GLYPH_H - 1])
            g_assert_nonnull(strchr(",_gjpqy", c));
        for (int d = 32; d < c; d++) {
            if (!memcmp(g, overlay_glyph((char)d), OVERLAY_GLYPH_H))
                g_error("'%c' and '%c' have the same glyph", c, d);
        }
    }
    /* Anything else is shown as '?'. */
    g_assert_true(overlay_glyph('\t') == overlay_glyph('?'));
    g_assert_true(overlay_glyph((char)0xe9) == overlay_glyph('?'));
    g_assert_true(overlay_glyph(127) == overlay_glyph('?'));
}

/* A few glyphs as drawn: the table's bit order is the picture's. */
static void test_glyph_shapes(void)
{
    static const char *const minus[OVERLAY_GLYPH_H] = {
        ".....", ".....", ".....", "#####", ".....", ".....", ".....", ".....",
    };
    static const char *const l[OVERLAY_GLYPH_H] = {
        ".##..", "..#..", "..#..", "..#..", "..#..", "..#..", ".###.", ".....",
    };
    static const char *const slash[OVERLAY_GLYPH_H] = {
        ".....", "....#", "...#.", "..#..", ".#...", "#....", ".....", ".....",
    };
    const struct {
        char c;
        const char *const *rows;
    } shapes[] = {{'-', minus}, {'l', l}, {'/', slash}};
    for (size_t i = 0; i < G_N_ELEMENTS(shapes); i++) {
        const uint8_t *g = overlay_glyph(shapes[i].c);
        for (unsigned r = 0; r < OVERLAY_GLYPH_H; r++) {
            for (unsigned x = 0; x < OVERLAY_GLYPH_W; x++) {
                bool dot = (g[r] >> (OVERLAY_GLYPH_W - 1 - x)) & 1;
                g_assert_cmpint(dot, ==, shapes[i].rows[r][x] == '#');
            }
        }
    }
}

static void test_text_size(void)
{
    unsigned cols, lines, w, h;
    overlay_text_size("", &cols, &lines);
    g_assert_cmpuint(cols, ==, 0);
    g_assert_cmpuint(lines, ==, 1);
    overlay_text_size("abc", &cols, &lines);
    g_assert_cmpuint(cols, ==, 3);
    g_assert_cmpuint(lines, ==, 1);
    overlay_text_size("ab\ncdefg\nh\n", &cols, &lines);
    g_assert_cmpuint(cols, ==, 5);
    g_assert_cmpuint(lines, ==, 3);
    overlay_text_size("a\n\nb", &cols, &lines);
    g_assert_cmpuint(lines, ==, 3);
    overlay_box_size("ab\ncdefg", &w, &h);
    g_assert_cmpuint(w, ==, 5 * OVERLAY_CELL_W + 2 * OVERLAY_MARGIN);
    g_assert_cmpuint(h, ==, 2 * OVERLAY_CELL_H + 2 * OVERLAY_MARGIN);
}

/* ---- drawing --------------------------------------------------------------- */

/*
 * What the pixel at (px, py) should be after `text` was drawn at (x, y):
 * in a character's cell, FG where its glyph has a dot and BG elsewhere;
 * outside every cell, `outside`.
 */
static uint32_t expected_text_pixel(const char *text, int x, int y, int px, int py,
                                    uint32_t outside)
{
    if (py < y || px < x)
        return outside;
    int line = (py - y) / OVERLAY_CELL_H, col = (px - x) / OVERLAY_CELL_W;
    int dy = (py - y) % OVERLAY_CELL_H, dx = (px - x) % OVERLAY_CELL_W;
    const char *c = text;
    for (int l = 0; l < line && c; l++) {
        c = strchr(c, '\n');
        if (c)
            c++;
    }
    if (!c || (int)strcspn(c, "\n") <= col)
        return outside;
    const uint8_t *g = overlay_glyph(c[col]);
    bool dot =
        dx < OVERLAY_GLYPH_W && dy < OVERLAY_GLYPH_H && ((g[dy] >> (OVERLAY_GLYPH_W - 1 - dx)) & 1);
    return dot ? FG : BG;
}

/* A w x h buffer with `pad` more pixels at the end of each row, all CLEAR. */
static uint32_t *new_buffer(unsigned w, unsigned h, unsigned pad)
{
    size_t n = (size_t)(w + pad) * h;
    uint32_t *px = g_new(uint32_t, n);
    for (size_t i = 0; i < n; i++)
        px[i] = CLEAR;
    return px;
}

/* Draw `text` at (x, y) into a fresh buffer and check every pixel, the row padding included. */
static void check_text(const char *text, unsigned w, unsigned h, unsigned pad, int x, int y)
{
    size_t stride = w + pad;
    uint32_t *px = new_buffer(w, h, pad);
    overlay_draw_text(px, w, h, stride, x, y, text, FG, BG);
    for (unsigned py = 0; py < h; py++) {
        for (unsigned qx = 0; qx < stride; qx++) {
            uint32_t want =
                qx < w ? expected_text_pixel(text, x, y, (int)qx, (int)py, CLEAR) : CLEAR;
            if (px[py * stride + qx] != want)
                g_error("'%s' at (%d, %d) in %ux%u: pixel (%u, %u) is %08x, want %08x", text, x, y,
                        w, h, qx, py, px[py * stride + qx], want);
        }
    }
    g_free(px);
}

static void test_draw_text(void)
{
    const char *text = "Hello, popek!\nx = 42 {ok}\n~`|\\^_";
    check_text(text, 100, 40, 0, 3, 2);
    check_text(text, 100, 40, 7, 0, 0);
    /* Every printable character once, on two lines. */
    char all[96 + 1];
    unsigned n = 0;
    for (int c = 32; c <= 126; c++) {
        all[n++] = (char)c;
        if (c == 79)
            all[n++] = '\n';
    }
    all[n] = '\0';
    check_text(all, 48 * OVERLAY_CELL_W + 4, 2 * OVERLAY_CELL_H + 3, 0, 1, 1);
}

static void test_clipping(void)
{
    const char *text = "clip\nme!";
    unsigned tw = 4 * OVERLAY_CELL_W, th = 2 * OVERLAY_CELL_H;
    /* Across each edge and corner, partly and wholly outside; stride == width so ASan sees. */
    const int at[][2] = {
        {-3, 5},
        {5, -4},
        {-7, -7},
        {30, 5},
        {5, 14},
        {30, 14},
        {-100, 0},
        {0, -100},
        {200, 0},
        {0, 200},
        {-(int)tw, 0},
        {0, -(int)th},
        {-(int)tw + 1, -(int)th + 1},
        {39, 23},
        {40, 24},
        {-2, 20},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(at); i++) {
        check_text(text, 40, 24, 0, at[i][0], at[i][1]);
        check_text(text, 40, 24, 3, at[i][0], at[i][1]);
    }
    /* Buffers smaller than one cell. */
    check_text("W", 1, 1, 0, 0, 0);
    check_text("W", 3, 2, 0, -1, -1);
}

static void test_draw_box(void)
{
    const char *text = "box\nof text";
    unsigned bw, bh;
    overlay_box_size(text, &bw, &bh);
    const int at[][2] = {{2, 3}, {-5, -6}, {30, 20}};
    for (size_t i = 0; i < G_N_ELEMENTS(at); i++) {
        unsigned w = 64, h = 40;
        int x = at[i][0], y = at[i][1];
        uint32_t *px = new_buffer(w, h, 0);
        overlay_draw_box(px, w, h, w, x, y, text, FG, BG);
        for (unsigned py = 0; py < h; py++) {
            for (unsigned qx = 0; qx < w; qx++) {
                bool in_box =
                    (int)qx >= x && (int)qx < x + (int)bw && (int)py >= y && (int)py < y + (int)bh;
                uint32_t want = in_box
                                    ? expected_text_pixel(text, x + OVERLAY_MARGIN,
                                                          y + OVERLAY_MARGIN, (int)qx, (int)py, BG)
                                    : CLEAR;
                if (px[py * w + qx] != want)
                    g_error("box at (%d, %d): pixel (%u, %u) is %08x, want %08x", x, y, qx, py,
                            px[py * w + qx], want);
            }
        }
        g_free(px);
    }
}

/* ---- the overlay's text: the statistics ------------------------------------ */

/* A board with a 64 KiB BIOS of HLT instructions (it never runs). */
static struct pc *new_pc(char **rom_path)
{
    uint8_t *rom = g_malloc(0x10000);
    memset(rom, 0xf4, 0x10000);
    int fd = g_file_open_tmp("popek-overlay-XXXXXX.bin", rom_path, NULL);
    g_assert_cmpint(fd, >=, 0);
    close(fd);
    g_assert_true(g_file_set_contents(*rom_path, (const char *)rom, 0x10000, NULL));
    g_free(rom);
    struct pc *pc = g_new0(struct pc, 1);
    char *err = NULL;
    struct pc_config cfg = {.ram_mb = 4, .bios = *rom_path};
    if (pc_init(pc, &cfg, &err) < 0)
        g_error("pc_init: %s", err);
    return pc;
}

static void free_pc(struct pc *pc, char *rom_path)
{
    pc_destroy(pc);
    g_free(pc);
    g_unlink(rom_path);
    g_free(rom_path);
}

static void vga_reg(struct pc *pc, uint16_t port, uint8_t index, uint8_t v)
{
    iobus_write(&pc->m.io, port, index, 1);
    iobus_write(&pc->m.io, port + 1, v, 1);
}

/* Just enough of mode 3 for text rows (80x25, odd/even at 0xB8000), and a line of text. */
static void show_text(struct pc *pc, const char *line)
{
    iobus_write(&pc->m.io, 0x3c2, 0x67, 1);
    vga_reg(pc, 0x3c4, 2, 0x03);
    vga_reg(pc, 0x3c4, 4, 0x02);
    vga_reg(pc, 0x3ce, 5, 0x10);
    vga_reg(pc, 0x3ce, 6, 0x0e);
    vga_reg(pc, 0x3ce, 8, 0xff); /* bit mask: every bit from the CPU */
    static const uint8_t crtc[][2] = {{0x01, 0x4f}, {0x07, 0x1f}, {0x09, 0x4f}, {0x12, 0x8f},
                                      {0x13, 0x28}, {0x14, 0x1f}, {0x17, 0xa3}};
    for (size_t i = 0; i < G_N_ELEMENTS(crtc); i++)
        vga_reg(pc, 0x3d4, crtc[i][0], crtc[i][1]);
    iobus_read(&pc->m.io, 0x3da, 1);
    iobus_write(&pc->m.io, 0x3c0, 0x10, 1);
    iobus_write(&pc->m.io, 0x3c0, 0x0c, 1);
    iobus_write(&pc->m.io, 0x3c0, 0x20, 1);
    for (unsigned i = 0; i < 80 * 25; i++) {
        char c = i < strlen(line) ? line[i] : ' ';
        memmap_write(&pc->m.mem, 0xb8000 + 2 * i, 0x0700u | (uint8_t)c, 2);
    }
}

static char *format(struct pc *pc, enum stats_style style)
{
    GString *s = g_string_new(NULL);
    stats_format(s, pc, 1.5, style);
    return g_string_free(s, FALSE);
}

static void test_stats_text(void)
{
    char *rom;
    struct pc *pc = new_pc(&rom);
    show_text(pc, "hello from the guest");
    char *full = format(pc, STATS_TEXT), *overlay = format(pc, STATS_TEXT_NO_SCREEN);

    /* The overlay has the statistics, line for line as --stats prints them... */
    static const char *const lines[] = {
        "popek statistics after 1.500 s (",
        "\n  cpu.instructions ",
        "\n  cpu.eip ",
        "\n  tcache.lookups ",
        "\n  tcache.hits ",
        "\n  translator.tier ",
        "\n  mmu.page_walks ",
        "\n  mmu.watched_code_writes ",
        "\n  mmu.watched_data_writes ",
        "\n  cpu.stack ",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(lines); i++)
        g_assert_nonnull(strstr(overlay, lines[i]));
    /* Selector and address in hex, as a person reads them. */
    char *cs = g_strdup_printf("\n  %-24s %04x\n", "cpu.cs", pc->cpu->seg[S_CS].selector);
    char *eip = g_strdup_printf("\n  %-24s %08x\n", "cpu.eip", pc->cpu->eip);
    g_assert_nonnull(strstr(overlay, cs));
    g_assert_nonnull(strstr(overlay, eip));
    g_free(cs);
    g_free(eip);
    /* The JSON keeps numbers, and the screen's rows without their padding. */
    GString *json = g_string_new(NULL);
    stats_format(json, pc, 1.5, STATS_JSON);
    char *eip_json = g_strdup_printf("\"cpu.eip\": %u,", pc->cpu->eip);
    g_assert_nonnull(strstr(json->str, eip_json));
    g_assert_nonnull(strstr(json->str, "\"cpu.mips\": "));
    g_assert_nonnull(strstr(json->str, "\"hello from the guest\""));
    g_free(eip_json);
    g_string_free(json, TRUE);
    /* ...and not the text screen, which --stats prints after them. */
    g_assert_null(strstr(overlay, "screen"));
    g_assert_true(g_str_has_prefix(full, overlay));
    char *screen = g_strdup_printf("  screen  0 | %-80s\n", "hello from the guest");
    g_assert_cmpstr(full + strlen(overlay), ==, screen);
    g_free(screen);

    /* stats_write (--stats, the gdb stub) prints the same text. */
    FILE *f = tmpfile();
    g_assert_nonnull(f);
    stats_write(f, pc, 1.5, 0);
    long len = ftell(f);
    g_assert_cmpint(len, ==, (long)strlen(full));
    char *written = g_malloc0((size_t)len + 1);
    rewind(f);
    g_assert_cmpuint(fread(written, 1, (size_t)len, f), ==, (size_t)len);
    fclose(f);
    g_assert_cmpstr(written, ==, full);

    /* The overlay's box of that text, pixel for pixel. */
    unsigned bw, bh;
    overlay_box_size(overlay, &bw, &bh);
    uint32_t *px = new_buffer(bw, bh, 0);
    overlay_draw_box(px, bw, bh, bw, 0, 0, overlay, FG, BG);
    for (unsigned y = 0; y < bh; y++) {
        for (unsigned x = 0; x < bw; x++) {
            uint32_t want =
                expected_text_pixel(overlay, OVERLAY_MARGIN, OVERLAY_MARGIN, (int)x, (int)y, BG);
            g_assert_cmphex(px[y * bw + x], ==, want);
        }
    }
    g_free(px);
    g_free(written);
    g_free(full);
    g_free(overlay);
    free_pc(pc, rom);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/overlay/font/table", test_glyph_table);
    g_test_add_func("/overlay/font/shapes", test_glyph_shapes);
    g_test_add_func("/overlay/text-size", test_text_size);
    g_test_add_func("/overlay/draw-text", test_draw_text);
    g_test_add_func("/overlay/clipping", test_clipping);
    g_test_add_func("/overlay/draw-box", test_draw_box);
    g_test_add_func("/overlay/stats-text", test_stats_text);
    return g_test_run();
}
