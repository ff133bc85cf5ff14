/*
 * Drawing the VGA screen: the CRT controller's scan (start address, offset,
 * row scan counter, double scan, line compare, word/doubleword addressing
 * and the CGA/Hercules address substitutions) walked line by line over the
 * planes, then the attribute controller (palette, colour plane enable,
 * colour select, blink) and the DAC. Text, CGA, planar and 256-colour modes
 * all come from the same scan, so tweaked modes (mode X, split screens,
 * smooth scrolling) draw as the hardware would; VBE modes read VRAM as the
 * dispi registers lay it out.
 *
 * Graphics modes are drawn at their logical size (mode 13h is 320x200, not
 * the 640x400 dots the monitor gets); text modes at their dot size.
 */
#include <glib.h>
#include <string.h>

#include "devices/vga_internal.h"
#include "machine/machine.h"

/* Where each of the 8 character maps lies in plane 2 (FreeVGA, Character Map Select). */
static const uint32_t font_offsets[8] = {0x0000, 0x4000, 0x8000, 0xc000,
                                         0x2000, 0x6000, 0xa000, 0xe000};

/* The CRTC's display timing, from its registers. */
struct crt {
    unsigned hchars;       /* character clocks a displayed line */
    unsigned lines;        /* displayed scan lines */
    unsigned max_scan;     /* scan lines a character row takes, minus one */
    bool double_scan;      /* each scan line shown twice */
    unsigned line_compare; /* scan line where the address counter restarts at 0 */
    unsigned preset_row;   /* row scan counter at the top of the screen */
    uint32_t start;        /* start address, with byte panning */
    uint32_t pitch;        /* address counter step a character row */
    unsigned ydiv;         /* scan lines one distinct graphics line takes */
};

static void crt_timing(const struct vga *v, struct crt *c)
{
    const uint8_t *cr = v->crtc;
    c->hchars = cr[CR_HDISP_END] + 1u;
    c->lines =
        (cr[CR_VDISP_END] | ((cr[CR_OVERFLOW] & 0x02u) << 7) | ((cr[CR_OVERFLOW] & 0x40u) << 3)) +
        1u;
    c->max_scan = cr[CR_MAX_SCAN] & 0x1f;
    c->double_scan = cr[CR_MAX_SCAN] & 0x80;
    c->line_compare =
        cr[CR_LINE_COMPARE] | ((cr[CR_OVERFLOW] & 0x10u) << 4) | ((cr[CR_MAX_SCAN] & 0x40u) << 3);
    c->preset_row = cr[CR_PRESET_ROW] & 0x1f;
    c->start = ((uint32_t)cr[CR_START_HI] << 8 | cr[CR_START_LO]) + ((cr[CR_PRESET_ROW] >> 5) & 3u);
    c->pitch = 2u * cr[CR_OFFSET];
    /*
     * Graphics lines repeat for every scan line of a character row unless
     * the row scan counter feeds address bits 13/14 (CGA and Hercules).
     */
    bool row_feeds_address = (cr[CR_MODE] & 0x03) != 0x03;
    c->ydiv = (c->double_scan ? 2u : 1u) * (row_feeds_address ? 1u : c->max_scan + 1u);
}

/*
 * The plane offset the CRTC reads for address counter `counter`:
 * doubleword mode rotates MA12-13 into bits 0-1, word mode MA13 or MA15
 * (CRTC 17h bit 5) into bit 0; then row scan bits 0 and 1 replace bits 13
 * and 14 when CRTC 17h bits 0 and 1 are clear (IBM VGA, CRTC Mode Control).
 */
static uint32_t crtc_mem_addr(const struct vga *v, uint32_t counter, unsigned row_scan)
{
    uint8_t mode = v->crtc[CR_MODE];
    uint32_t a;
    if (v->crtc[CR_UNDERLINE] & 0x40)
        a = (counter << 2) | ((counter >> 12) & 3);
    else if (!(mode & 0x40))
        a = (counter << 1) | ((counter >> ((mode & 0x20) ? 15 : 13)) & 1);
    else
        a = counter;
    if (!(mode & 0x01))
        a = (a & ~0x2000u) | ((row_scan & 1u) << 13);
    if (!(mode & 0x02))
        a = (a & ~0x4000u) | ((row_scan & 2u) << 13);
    return a & (VGA_PLANE_SIZE - 1);
}

/* The CRTC walking down the screen one scan line at a time. */
struct scan {
    uint32_t line_start; /* address counter at the start of this line */
    unsigned row_scan;   /* row scan counter */
    bool repeat;         /* double scan: this is the second showing */
    bool row_begins;     /* this scan line starts a character row */
};

static void scan_begin(const struct crt *c, struct scan *s)
{
    *s = (struct scan){c->start, c->preset_row, false, true};
}

/*
 * Called at the top of scan line `line`: the line after the one matching
 * line compare restarts at address 0 (the split screen).
 */
static void scan_line(const struct crt *c, struct scan *s, unsigned line)
{
    if (line == c->line_compare + 1)
        *s = (struct scan){0, 0, false, true};
}

static void scan_next(const struct crt *c, struct scan *s)
{
    s->row_begins = false;
    if (c->double_scan && !s->repeat) {
        s->repeat = true;
        return;
    }
    s->repeat = false;
    if (s->row_scan >= c->max_scan) {
        s->row_scan = 0;
        s->line_start = (s->line_start + c->pitch) & 0xffff;
        s->row_begins = true;
    } else {
        s->row_scan++;
    }
}

static uint32_t dac_to_rgb(uint8_t r, uint8_t g, uint8_t b, bool eight_bit)
{
    if (!eight_bit) {
        r = (uint8_t)((r & 0x3f) << 2 | (r & 0x3f) >> 4);
        g = (uint8_t)((g & 0x3f) << 2 | (g & 0x3f) >> 4);
        b = (uint8_t)((b & 0x3f) << 2 | (b & 0x3f) >> 4);
    }
    return (uint32_t)r << 16 | (uint32_t)g << 8 | b;
}

/* The colour of DAC entry `index` after the pixel mask. */
uint32_t vga_dac_rgb(const struct vga *v, uint8_t index)
{
    const uint8_t *e = v->dac[index & v->dac_mask];
    return dac_to_rgb(e[0], e[1], e[2], v->vbe[VBE_ENABLE] & VBE_8BIT_DAC);
}

/* A 4-bit pixel through colour plane enable, the palette and colour select (AR 00-14h). */
static uint8_t attr_dac_index(const struct vga *v, unsigned pixel)
{
    uint8_t pal = v->ar[pixel & v->ar[AR_PLANE_ENABLE] & 0x0f];
    uint8_t cs = v->ar[AR_COLOR_SELECT];
    uint8_t idx = (v->ar[AR_MODE] & 0x80) ? (uint8_t)((pal & 0x0f) | (cs & 0x03) << 4) : pal;
    return (uint8_t)((idx & 0x3f) | (cs & 0x0c) << 4);
}

static void palette16(const struct vga *v, uint32_t pal[16])
{
    for (unsigned i = 0; i < 16; i++)
        pal[i] = vga_dac_rgb(v, attr_dac_index(v, i));
}

static void palette256(const struct vga *v, uint32_t pal[256])
{
    for (unsigned i = 0; i < 256; i++)
        pal[i] = vga_dac_rgb(v, (uint8_t)i);
}

static uint64_t frame_number(const struct vga *v)
{
    return vclock_now(&v->m->clock) / VGA_FRAME_NS;
}

/* ---- text ------------------------------------------------------------------ */

struct text_style {
    uint32_t pal[16];
    unsigned char_width; /* 8 or 9 dots */
    unsigned xscale;     /* 2 with the dot clock halved (40-column modes) */
    uint32_t font_a;     /* plane 2 offset of the font for attribute bit 3 set */
    uint32_t font_b;     /* ... and clear */
    bool blink_attr;     /* attribute bit 7 blinks (else background intensity) */
    bool blink_visible;  /* blinking characters are in their shown phase */
    bool line_graphics;  /* chars C0-DF extend their 8th column into the 9th */
    unsigned underline;  /* underline scan line */
    bool cursor;         /* cursor shown in this frame */
    uint32_t cursor_at;  /* cursor address counter */
    unsigned cursor_from, cursor_to;
};

static void text_style(const struct vga *v, struct text_style *t)
{
    const uint8_t *cr = v->crtc;
    uint8_t sr3 = v->seq[SR_CHAR_MAP];
    uint64_t frame = frame_number(v);
    palette16(v, t->pal);
    t->char_width = (v->seq[SR_CLOCKING] & SR1_8DOT) ? 8 : 9;
    t->xscale = (v->seq[SR_CLOCKING] & SR1_DOTCLK2) ? 2 : 1;
    t->font_a = font_offsets[((sr3 >> 3) & 4) | ((sr3 >> 2) & 3)];
    t->font_b = font_offsets[((sr3 >> 2) & 4) | (sr3 & 3)];
    t->blink_attr = v->ar[AR_MODE] & 0x08;
    t->blink_visible = !((frame / 16) & 1); /* characters blink every 32 frames */
    t->line_graphics = v->ar[AR_MODE] & 0x04;
    t->underline = cr[CR_UNDERLINE] & 0x1f;
    t->cursor_from = cr[CR_CURSOR_START] & 0x1f;
    t->cursor_to = cr[CR_CURSOR_END] & 0x1f;
    /* The cursor blinks every 16 frames; start after end shows none. */
    t->cursor =
        !(cr[CR_CURSOR_START] & 0x20) && t->cursor_from <= t->cursor_to && !((frame / 8) & 1);
    t->cursor_at = (uint32_t)cr[CR_CURSOR_HI] << 8 | cr[CR_CURSOR_LO];
}

/* One character cell's dots on one scan line: 9 bits, leftmost dot in bit 8. */
static unsigned text_dots(const struct vga *v, const struct text_style *t, uint32_t counter,
                          unsigned row_scan, uint8_t *attr)
{
    const uint8_t *cell = &v->vram[crtc_mem_addr(v, counter, row_scan) * 4];
    uint8_t ch = cell[0], at = cell[1];
    uint32_t font = (at & 0x08) ? t->font_a : t->font_b;
    uint8_t glyph = v->vram[((font + ch * 32u + row_scan) & (VGA_PLANE_SIZE - 1)) * 4 + 2];
    unsigned dots = (unsigned)glyph << 1;
    if (t->line_graphics && ch >= 0xc0 && ch <= 0xdf)
        dots |= glyph & 1;
    /* Underline: foreground 1 on background 0, at the underline scan line. */
    if (row_scan == t->underline && (at & 0x77) == 0x01)
        dots = 0x1ff;
    if (t->blink_attr && (at & 0x80) && !t->blink_visible)
        dots = 0;
    if (t->cursor && counter == t->cursor_at && row_scan >= t->cursor_from &&
        row_scan <= t->cursor_to)
        dots = 0x1ff;
    *attr = t->blink_attr ? (at & 0x7f) : at;
    return dots;
}

static void render_text(struct vga *v, uint32_t *rgb, unsigned stride, unsigned w, unsigned h)
{
    struct crt c;
    struct text_style t;
    struct scan s;
    crt_timing(v, &c);
    text_style(v, &t);
    unsigned cell_width = t.char_width * t.xscale;
    scan_begin(&c, &s);
    for (unsigned y = 0; y < h; y++) {
        scan_line(&c, &s, y);
        uint32_t *row = rgb + (size_t)y * stride;
        for (unsigned col = 0; col < c.hchars && col * cell_width < w; col++) {
            uint8_t at;
            unsigned dots = text_dots(v, &t, (s.line_start + col) & 0xffff, s.row_scan, &at);
            uint32_t fg = t.pal[at & 0x0f], bg = t.pal[at >> 4];
            for (unsigned x = 0; x < cell_width && col * cell_width + x < w; x++) {
                unsigned dot = x / t.xscale;
                row[col * cell_width + x] = (dots >> (8 - dot)) & 1 ? fg : bg;
            }
        }
        scan_next(&c, &s);
    }
}

/* ---- planar, CGA and 256-colour graphics -------------------------------------- */

/* Up to `npix` pixel values of the line starting at address counter `start`. */
static void decode_line(const struct vga *v, uint32_t start, unsigned row_scan, unsigned npix,
                        uint8_t *out)
{
    bool m256 = v->ar[AR_MODE] & 0x40;
    bool interleave = v->gr[GR_MODE] & GR5_INTERLEAVE;
    unsigned per_fetch = m256 ? 4 : 8;
    for (unsigned f = 0; f * per_fetch < npix; f++) {
        const uint8_t *p = &v->vram[crtc_mem_addr(v, (start + f) & 0xffff, row_scan) * 4];
        uint8_t *o = out + f * per_fetch;
        if (m256) {
            memcpy(o, p, 4); /* one byte a pixel, planes 0-3 left to right */
        } else if (interleave) {
            /* CGA 2-bpp: plane 0 (and 2) then plane 1 (and 3), two bits a pixel. */
            for (unsigned i = 0; i < 4; i++) {
                unsigned sh = 6 - 2 * i;
                o[i] = (uint8_t)(((p[0] >> sh) & 3) | ((p[2] >> sh) & 3) << 2);
                o[4 + i] = (uint8_t)(((p[1] >> sh) & 3) | ((p[3] >> sh) & 3) << 2);
            }
        } else {
            for (unsigned i = 0; i < 8; i++) {
                unsigned b = 7 - i;
                o[i] = (uint8_t)(((p[0] >> b) & 1) | ((p[1] >> b) & 1) << 1 |
                                 ((p[2] >> b) & 1) << 2 | ((p[3] >> b) & 1) << 3);
            }
        }
    }
}

static void render_graphics(struct vga *v, uint32_t *rgb, unsigned stride, unsigned w, unsigned h)
{
    struct crt c;
    struct scan s;
    uint32_t pal[256];
    uint8_t line[VGA_MAX_WIDTH + 16];
    bool m256 = v->ar[AR_MODE] & 0x40;
    unsigned pan = v->ar[AR_PAN] & 0x0f;
    pan = m256 ? (pan >> 1) & 3 : (pan > 7 ? 0 : pan);
    if (m256)
        palette256(v, pal);
    else
        palette16(v, pal);
    crt_timing(v, &c);
    scan_begin(&c, &s);
    for (unsigned l = 0, y = 0; l < c.lines && y < h; l++) {
        scan_line(&c, &s, l);
        if (l % c.ydiv == 0) {
            uint32_t *row = rgb + (size_t)y++ * stride;
            decode_line(v, s.line_start, s.row_scan, w + pan, line);
            for (unsigned x = 0; x < w; x++)
                row[x] = pal[line[x + pan]];
        }
        scan_next(&c, &s);
    }
}

/* ---- VBE -------------------------------------------------------------------- */

static uint32_t vbe_pixel(const uint8_t *p, unsigned bpp, const uint32_t *pal)
{
    unsigned r, g, b, px;
    switch (bpp) {
    case 8:
        return pal[p[0]];
    case 15:
        px = p[0] | p[1] << 8;
        r = (px >> 10) & 31, g = (px >> 5) & 31, b = px & 31;
        return (r << 3 | r >> 2) << 16 | (g << 3 | g >> 2) << 8 | (b << 3 | b >> 2);
    case 16:
        px = p[0] | p[1] << 8;
        r = (px >> 11) & 31, g = (px >> 5) & 63, b = px & 31;
        return (r << 3 | r >> 2) << 16 | (g << 2 | g >> 4) << 8 | (b << 3 | b >> 2);
    default: /* 24 and 32: blue, green, red in memory order */
        return (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
    }
}

static void render_vbe(struct vga *v, uint32_t *rgb, unsigned stride, unsigned w, unsigned h)
{
    struct vbe_geometry g;
    uint32_t pal[256];
    vbe_geometry(v, &g);
    w = MIN(w, g.width);
    h = MIN(h, g.height);
    if (g.bpp == 4) {
        palette16(v, pal);
    } else {
        palette256(v, pal);
    }
    unsigned bytespp = vbe_bytes_per_pixel(g.bpp);
    for (unsigned y = 0; y < h; y++) {
        uint32_t *row = rgb + (size_t)y * stride;
        uint32_t line = g.start + y * g.line_bytes;
        for (unsigned x = 0; x < w; x++) {
            if (g.bpp == 4) {
                const uint8_t *p = &v->vram[(line + x / 8) * 4];
                unsigned b = 7 - (x & 7);
                row[x] = pal[((p[0] >> b) & 1) | ((p[1] >> b) & 1) << 1 | ((p[2] >> b) & 1) << 2 |
                             ((p[3] >> b) & 1) << 3];
            } else {
                row[x] = vbe_pixel(&v->vram[line + x * bytespp], g.bpp, pal);
            }
        }
    }
}

/* ---- the public face ------------------------------------------------------------- */

enum vga_mode_kind vga_mode(struct vga *v)
{
    if (vbe_enabled(v))
        return VGA_MODE_VBE;
    /* Palette address source clear or screen off: the monitor gets only the border. */
    if (!(v->ar_index & AR_INDEX_PAS) || (v->seq[SR_CLOCKING] & SR1_SCREENOFF))
        return VGA_MODE_OFF;
    return (v->ar[AR_MODE] & 0x01) ? VGA_MODE_GRAPHICS : VGA_MODE_TEXT;
}

/* The size of a text (graphics = false) or graphics screen as the CRTC describes it. */
static void crt_size(const struct vga *v, bool graphics, unsigned *w, unsigned *h)
{
    struct crt c;
    crt_timing(v, &c);
    if (graphics) {
        *w = c.hchars * ((v->ar[AR_MODE] & 0x40) ? 4 : 8);
        *h = (c.lines + c.ydiv - 1) / c.ydiv;
    } else {
        *w = c.hchars * ((v->seq[SR_CLOCKING] & SR1_8DOT) ? 8 : 9) *
             ((v->seq[SR_CLOCKING] & SR1_DOTCLK2) ? 2 : 1);
        *h = c.lines;
    }
}

void vga_screen_size(struct vga *v, unsigned *w, unsigned *h)
{
    struct vbe_geometry g;
    switch (vga_mode(v)) {
    case VGA_MODE_VBE:
        vbe_geometry(v, &g);
        *w = g.width;
        *h = g.height;
        break;
    case VGA_MODE_TEXT:
        crt_size(v, false, w, h);
        break;
    case VGA_MODE_GRAPHICS:
        crt_size(v, true, w, h);
        break;
    default:
        /* Blanked: keep the size of the mode being set up, unless there is none yet. */
        crt_size(v, v->ar[AR_MODE] & 0x01, w, h);
        if (*w < 64 || *h < 64) {
            *w = 640;
            *h = 480;
        }
        break;
    }
    *w = CLAMP(*w, 1u, (unsigned)VGA_MAX_WIDTH);
    *h = CLAMP(*h, 1u, (unsigned)VGA_MAX_HEIGHT);
}

void vga_render(struct vga *v, uint32_t *rgb, unsigned stride_pixels, unsigned *width,
                unsigned *height)
{
    unsigned w, h;
    vga_screen_size(v, &w, &h);
    w = MIN(w, stride_pixels);
    for (unsigned y = 0; y < h; y++)
        memset(rgb + (size_t)y * stride_pixels, 0, (size_t)w * sizeof(*rgb));
    switch (vga_mode(v)) {
    case VGA_MODE_VBE:
        render_vbe(v, rgb, stride_pixels, w, h);
        break;
    case VGA_MODE_TEXT:
        render_text(v, rgb, stride_pixels, w, h);
        break;
    case VGA_MODE_GRAPHICS:
        render_graphics(v, rgb, stride_pixels, w, h);
        break;
    default:
        break;
    }
    *width = w;
    *height = h;
}

/* ---- change tracking ---------------------------------------------------------- */

/* Everything but VRAM that vga_render reads. */
struct render_inputs {
    uint8_t seq[SR_COUNT];
    uint8_t gr[GR_COUNT];
    uint8_t crtc[CR_COUNT];
    uint8_t ar[AR_COUNT];
    uint8_t ar_index; /* the palette address source bit */
    uint8_t dac_mask;
    uint8_t dac[256][3];
    uint16_t vbe[VBE_NREGS];
    uint32_t blink;     /* text modes: frame number / 8, modulo 4 (cursor and character blink) */
    uint32_t vram_from; /* the VRAM bytes shown: [vram_from, vram_from + vram_len) */
    uint32_t vram_len;
};

struct vga_seen {
    bool valid;
    struct render_inputs in;
    uint8_t *vram;   /* a copy of the VRAM bytes shown */
    size_t capacity; /* bytes `vram` holds */
};

#define SEEN_CHUNK 4096u /* VRAM is compared, and copied where it differs, in pieces this big */

struct vga_seen *vga_seen_new(void)
{
    return g_new0(struct vga_seen, 1);
}

void vga_seen_free(struct vga_seen *seen)
{
    if (!seen)
        return;
    g_free(seen->vram);
    g_free(seen);
}

/* The VRAM bytes the current mode draws from. */
static void shown_vram(struct vga *v, uint32_t *from, uint32_t *len)
{
    struct vbe_geometry g;
    *from = *len = 0;
    switch (vga_mode(v)) {
    case VGA_MODE_TEXT:
    case VGA_MODE_GRAPHICS: /* the four planes, fonts included */
        *len = VGA_PLANE_SIZE * 4;
        break;
    case VGA_MODE_VBE:
        vbe_geometry(v, &g);
        if (g.height && g.width) {
            unsigned bytespp = vbe_bytes_per_pixel(g.bpp);
            uint32_t scale = bytespp ? 1 : 4; /* 4 bpp: plane bytes interleaved by 4 */
            uint32_t visible = bytespp ? g.width * bytespp : (g.width + 7) / 8;
            *from = g.start * scale;
            *len = ((g.height - 1) * g.line_bytes + visible) * scale;
        }
        break;
    default: /* blanked: black, whatever VRAM holds */
        break;
    }
}

static void render_inputs(struct vga *v, struct render_inputs *in)
{
    memset(in, 0, sizeof(*in)); /* padding too: the struct is compared with memcmp */
    memcpy(in->seq, v->seq, sizeof(in->seq));
    memcpy(in->gr, v->gr, sizeof(in->gr));
    memcpy(in->crtc, v->crtc, sizeof(in->crtc));
    memcpy(in->ar, v->ar, sizeof(in->ar));
    in->ar_index = v->ar_index & AR_INDEX_PAS;
    in->dac_mask = v->dac_mask;
    memcpy(in->dac, v->dac, sizeof(in->dac));
    memcpy(in->vbe, v->vbe, sizeof(in->vbe));
    if (vga_mode(v) == VGA_MODE_TEXT)
        in->blink = (uint32_t)(frame_number(v) / 8) & 3;
    shown_vram(v, &in->vram_from, &in->vram_len);
}

/* Compare the VRAM shown with the copy in `seen`, bringing the copy up to date. */
static bool vram_changed(const struct vga *v, struct vga_seen *seen)
{
    const uint8_t *src = v->vram + seen->in.vram_from;
    bool changed = false;
    for (uint32_t off = 0; off < seen->in.vram_len; off += SEEN_CHUNK) {
        uint32_t n = MIN(SEEN_CHUNK, seen->in.vram_len - off);
        if (memcmp(seen->vram + off, src + off, n)) {
            memcpy(seen->vram + off, src + off, n);
            changed = true;
        }
    }
    return changed;
}

bool vga_screen_changed(struct vga *v, struct vga_seen *seen)
{
    struct render_inputs in;
    render_inputs(v, &in);
    bool changed = !seen->valid || memcmp(&in, &seen->in, sizeof(in));
    if (in.vram_len > seen->capacity) {
        g_free(seen->vram);
        seen->vram = g_malloc(in.vram_len);
        seen->capacity = in.vram_len;
        changed = true;
    }
    if (changed) { /* a new copy, whatever the old one held */
        seen->in = in;
        if (in.vram_len)
            memcpy(seen->vram, v->vram + in.vram_from, in.vram_len);
        seen->valid = true;
        return true;
    }
    return vram_changed(v, seen);
}

/* Code page 437 to ASCII: the printable ASCII range as itself, blank glyphs as spaces. */
static char cp437_ascii(uint8_t ch)
{
    if (ch > 0x20 && ch < 0x7f)
        return (char)ch;
    if (ch == 0x00 || ch == 0x20 || ch == 0xff)
        return ' ';
    return '?';
}

bool vga_text_row(struct vga *v, unsigned row, char *out, size_t outlen)
{
    struct crt c;
    struct scan s;
    if (outlen == 0)
        return false;
    out[0] = '\0';
    if (vga_mode(v) != VGA_MODE_TEXT)
        return false;
    crt_timing(v, &c);
    scan_begin(&c, &s);
    for (unsigned l = 0, r = 0; l < c.lines; l++) {
        scan_line(&c, &s, l);
        if (s.row_begins && r++ == row) {
            size_t n = MIN((size_t)c.hchars, outlen - 1);
            for (size_t i = 0; i < n; i++) {
                uint32_t a = crtc_mem_addr(v, (s.line_start + (uint32_t)i) & 0xffff, s.row_scan);
                out[i] = cp437_ascii(v->vram[a * 4]);
            }
            out[n] = '\0';
            return true;
        }
        scan_next(&c, &s);
    }
    return false;
}
