/*
 * The window's picture (see picture.h). A frame: ask the VGA whether its
 * picture can have changed; if so render it into `frame`, compare it row
 * by row with `shown` (what the texture holds), upload the bands of rows
 * that differ and swap the two buffers. The overlay is a second, small
 * texture with alpha, remade only when its text changes.
 */
#include "frontend/picture.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "devices/vga.h"
#include "frontend/overlay.h"

#define OVERLAY_INSET 8 /* window pixels between the window's corner and the overlay, per scale */

void picture_init(struct picture *p, SDL_Renderer *ren)
{
    *p = (struct picture){.ren = ren, .seen = vga_seen_new()};
}

void picture_fini(struct picture *p)
{
    if (p->tex)
        SDL_DestroyTexture(p->tex);
    if (p->overlay)
        SDL_DestroyTexture(p->overlay);
    g_free(p->frame);
    g_free(p->shown);
    g_free(p->overlay_text);
    vga_seen_free(p->seen);
    *p = (struct picture){0};
}

/* ---- the guest screen ------------------------------------------------------ */

/* Where the guest screen goes in an ow x oh window. */
static SDL_Rect dest_rect(const struct picture *p, int ow, int oh)
{
    int w, h;
    int k = MIN(ow / (int)p->w, oh / (int)p->h);
    if (p->integer_scale && k >= 1) {
        w = (int)p->w * k;
        h = (int)p->h * k;
    } else {
        int64_t aw = p->square_pixels ? p->w : 4, ah = p->square_pixels ? p->h : 3;
        if ((int64_t)ow * ah > (int64_t)oh * aw) {
            h = oh;
            w = (int)(oh * aw / ah);
        } else {
            w = ow;
            h = (int)(ow * ah / aw);
        }
    }
    return (SDL_Rect){(ow - w) / 2, (oh - h) / 2, w, h};
}

static void set_scale_mode(struct picture *p)
{
    if (p->tex)
        SDL_SetTextureScaleMode(p->tex,
                                p->integer_scale ? SDL_ScaleModeNearest : SDL_ScaleModeLinear);
}

void picture_set_integer_scale(struct picture *p, bool on)
{
    p->integer_scale = on;
    set_scale_mode(p);
}

/* A texture for a w x h screen; false (and nothing valid to draw) when SDL has none. */
static bool new_texture(struct picture *p, unsigned w, unsigned h)
{
    if (p->tex)
        SDL_DestroyTexture(p->tex);
    p->tex = SDL_CreateTexture(p->ren, SDL_PIXELFORMAT_RGB888, SDL_TEXTUREACCESS_STREAMING, (int)w,
                               (int)h);
    if (!p->tex) {
        fprintf(stderr, "popek: no %ux%u texture: %s\n", w, h, SDL_GetError());
        return false;
    }
    set_scale_mode(p);
    return true;
}

/* Room for a w x h frame in both buffers (their contents are lost when they grow). */
static void reserve(struct picture *p, size_t pixels)
{
    if (pixels <= p->capacity)
        return;
    g_free(p->frame);
    g_free(p->shown);
    p->frame = g_new0(uint32_t, pixels);
    p->shown = g_new0(uint32_t, pixels);
    p->capacity = pixels;
    p->w = p->h = 0; /* nothing valid on the texture side */
}

unsigned picture_dirty_bands(const uint32_t *a, const uint32_t *b, unsigned w, unsigned h,
                             size_t stride, struct picture_band *bands)
{
    size_t bytes = (size_t)w * sizeof(uint32_t);
    unsigned n = 0;
    for (unsigned y = 0; y < h; y++) {
        if (!memcmp(a + y * stride, b + y * stride, bytes))
            continue;
        if (n && (y - bands[n - 1].y1 < PICTURE_BAND_GAP || n == PICTURE_MAX_BANDS))
            bands[n - 1].y1 = y + 1; /* close to the last band, or no bands left */
        else
            bands[n++] = (struct picture_band){y, y + 1};
    }
    return n;
}

static void upload(struct picture *p, const struct picture_band *band)
{
    SDL_Rect rows = {0, (int)band->y0, (int)p->w, (int)(band->y1 - band->y0)};
    SDL_UpdateTexture(p->tex, &rows, p->frame + (size_t)band->y0 * p->w,
                      (int)(p->w * sizeof(uint32_t)));
}

unsigned picture_update(struct picture *p, struct vga *vga)
{
    /* The VGA is asked every frame, so that `seen` always describes the last render. */
    if (!vga_screen_changed(vga, p->seen) && p->tex && p->w)
        return 0;
    unsigned w, h, changed = 0;
    struct picture_band bands[PICTURE_MAX_BANDS];
    vga_screen_size(vga, &w, &h);
    reserve(p, (size_t)w * h);
    vga_render(vga, p->frame, w, &w, &h);
    bool square = vga_mode(vga) == VGA_MODE_VBE;
    if (square != p->square_pixels) {
        p->square_pixels = square;
        changed |= PICTURE_ASPECT;
    }
    unsigned n;
    if (w != p->w || h != p->h || !p->tex) {
        p->w = p->h = 0;
        if (!new_texture(p, w, h))
            return changed;
        p->w = w;
        p->h = h;
        bands[0] = (struct picture_band){0, h};
        n = 1;
        changed |= PICTURE_SIZE;
    } else {
        n = picture_dirty_bands(p->frame, p->shown, w, h, w, bands);
    }
    for (unsigned i = 0; i < n; i++)
        upload(p, &bands[i]);
    if (n) {
        uint32_t *t = p->shown;
        p->shown = p->frame;
        p->frame = t;
        changed |= PICTURE_PIXELS;
    }
    return changed;
}

void picture_invalidate(struct picture *p)
{
    if (p->tex)
        SDL_DestroyTexture(p->tex);
    if (p->overlay)
        SDL_DestroyTexture(p->overlay);
    p->tex = p->overlay = NULL;
    p->w = p->h = 0;
}

/* ---- the overlay ----------------------------------------------------------- */

/* Make the overlay's texture for overlay_text and draw the text into it. */
static void make_overlay(struct picture *p)
{
    unsigned w, h;
    overlay_box_size(p->overlay_text, &w, &h);
    if (p->overlay && (w != p->ow || h != p->oh)) {
        SDL_DestroyTexture(p->overlay);
        p->overlay = NULL;
    }
    if (!p->overlay) {
        p->overlay = SDL_CreateTexture(p->ren, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STATIC,
                                       (int)w, (int)h);
        if (!p->overlay) {
            fprintf(stderr, "popek: no %ux%u overlay texture: %s\n", w, h, SDL_GetError());
            return;
        }
        SDL_SetTextureBlendMode(p->overlay, SDL_BLENDMODE_BLEND);
        SDL_SetTextureScaleMode(p->overlay, SDL_ScaleModeNearest);
        p->ow = w;
        p->oh = h;
    }
    uint32_t *px = g_new(uint32_t, (size_t)w * h);
    overlay_draw_box(px, w, h, w, 0, 0, p->overlay_text, OVERLAY_FG, OVERLAY_BG);
    SDL_UpdateTexture(p->overlay, NULL, px, (int)(w * sizeof(uint32_t)));
    g_free(px);
}

bool picture_set_overlay(struct picture *p, const char *text)
{
    if (!text) {
        bool shown = p->overlay_text;
        if (p->overlay)
            SDL_DestroyTexture(p->overlay);
        p->overlay = NULL;
        g_free(p->overlay_text);
        p->overlay_text = NULL;
        return shown;
    }
    if (p->overlay_text && p->overlay && !strcmp(text, p->overlay_text))
        return false;
    g_free(p->overlay_text);
    p->overlay_text = g_strdup(text);
    make_overlay(p);
    return true;
}

/* The overlay in the top-left corner, at a whole multiple of its size that fits the window. */
static void draw_overlay(struct picture *p, int ow, int oh)
{
    if (p->overlay_text && !p->overlay)
        make_overlay(p);
    if (!p->overlay)
        return;
    int k = MAX(1, oh / 480); /* text readable on large and HiDPI windows */
    while (k > 1 && ((int)p->ow * k + 2 * OVERLAY_INSET * k > ow ||
                     (int)p->oh * k + 2 * OVERLAY_INSET * k > oh))
        k--;
    SDL_Rect dst = {OVERLAY_INSET * k, OVERLAY_INSET * k, (int)p->ow * k, (int)p->oh * k};
    SDL_RenderCopy(p->ren, p->overlay, NULL, &dst);
}

void picture_draw(struct picture *p)
{
    int ow = 0, oh = 0;
    SDL_GetRendererOutputSize(p->ren, &ow, &oh); /* pixels, also on HiDPI screens */
    SDL_RenderClear(p->ren);
    if (ow <= 0 || oh <= 0)
        return;
    if (p->tex && p->w && p->h) {
        SDL_Rect dst = dest_rect(p, ow, oh);
        SDL_RenderCopy(p->ren, p->tex, NULL, &dst);
    }
    draw_overlay(p, ow, oh);
}
