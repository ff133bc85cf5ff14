/*
 * Text over the guest screen: a small bitmap font for printable ASCII
 * (32-126), 5x8 dots a glyph in 6x9 cells, drawn into a 32-bit pixel
 * buffer. Each pixel of a character cell becomes the foreground value
 * where its glyph has a dot and the background value elsewhere; a box adds
 * a background margin around the text. The values are stored as given:
 * with ARGB pixels and an alpha below 0xff in the background, a blending
 * texture shows the guest screen through the box. Used for the window's
 * statistics overlay (Ctrl+Alt+O).
 */
#ifndef POPEK_FRONTEND_OVERLAY_H
#define POPEK_FRONTEND_OVERLAY_H

#include <stddef.h>
#include <stdint.h>

#define OVERLAY_GLYPH_W 5 /* dots a glyph row: bit 4 is the leftmost */
#define OVERLAY_GLYPH_H 8 /* rows a glyph: 7 above the baseline, 1 for descenders */
#define OVERLAY_CELL_W  6 /* a glyph and a column of space */
#define OVERLAY_CELL_H  9 /* a glyph and a row of space */
#define OVERLAY_MARGIN  4 /* background around the text of a box */

/* The overlay's colours, 0xAARRGGBB: light grey on four-fifths opaque dark blue-grey. */
#define OVERLAY_FG 0xffe4e4e4u
#define OVERLAY_BG 0xd0101820u

/*
 * The glyph of `c`: OVERLAY_GLYPH_H rows of OVERLAY_GLYPH_W bits. A byte
 * outside 32-126 has the glyph of '?'.
 */
const uint8_t *overlay_glyph(char c);

/* The longest line of `text` in characters, and its number of lines ('\n' separates them). */
void overlay_text_size(const char *text, unsigned *cols, unsigned *lines);

/* Pixels a box for `text` takes: its cells and the margin around them. */
void overlay_box_size(const char *text, unsigned *w, unsigned *h);

/*
 * Draw `text` with the top-left corner of its first cell at (x, y) of a
 * w x h buffer (row r at px + r * stride). A '\n' starts the next line at
 * x. Whatever falls outside the buffer is left out; x and y may be
 * negative.
 */
void overlay_draw_text(uint32_t *px, unsigned w, unsigned h, size_t stride, int x, int y,
                       const char *text, uint32_t fg, uint32_t bg);

/* A box of overlay_box_size at (x, y): the background, and the text inside its margin. */
void overlay_draw_box(uint32_t *px, unsigned w, unsigned h, size_t stride, int x, int y,
                      const char *text, uint32_t fg, uint32_t bg);

#endif
