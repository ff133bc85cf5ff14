/*
 * The window's picture: the guest screen rendered from the VGA into a
 * frame buffer, the bands of rows that changed since the last frame
 * uploaded to a streaming texture, that texture drawn scaled into the
 * window (4:3 for the VGA's own modes, square pixels for VBE modes; whole
 * multiples only with integer scaling), and the statistics overlay over
 * its top-left corner. When the VGA says nothing it draws from changed
 * (vga_screen_changed), a frame costs neither a render nor an upload. SDL
 * calls only, no window management: the display (display.c) owns the
 * window and decides when to present.
 */
#ifndef POPEK_FRONTEND_PICTURE_H
#define POPEK_FRONTEND_PICTURE_H

#include <SDL.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vga;
struct vga_seen;

/* Rows [y0, y1) of a frame. */
struct picture_band {
    unsigned y0, y1;
};

#define PICTURE_MAX_BANDS 8 /* texture uploads a frame at most */
#define PICTURE_BAND_GAP  8 /* fewer unchanged rows than this between two changes: one band */

struct picture {
    SDL_Renderer *ren;
    SDL_Texture *tex;      /* the guest screen, w x h, XRGB */
    uint32_t *frame;       /* the frame being drawn */
    uint32_t *shown;       /* the frame on the texture (the same stride) */
    size_t capacity;       /* pixels each of the two buffers holds */
    unsigned w, h;         /* size of `shown` and of the texture (0: nothing valid yet) */
    bool square_pixels;    /* VBE modes; the VGA's modes fill a 4:3 monitor */
    bool integer_scale;    /* whole multiples of the guest pixels only */
    struct vga_seen *seen; /* what the VGA showed when `shown` was rendered */
    char *overlay_text;    /* the overlay's text, NULL when hidden */
    SDL_Texture *overlay;  /* the overlay (ARGB, blended), ow x oh; NULL: to be made */
    unsigned ow, oh;       /* size of `overlay` */
};

/* What picture_update changed. */
#define PICTURE_PIXELS 0x1u /* pixels on the texture */
#define PICTURE_SIZE   0x2u /* the guest screen's size (w, h) */
#define PICTURE_ASPECT 0x4u /* square_pixels */

/* An empty picture drawn with `ren` (owned by the caller). */
void picture_init(struct picture *p, SDL_Renderer *ren);
void picture_fini(struct picture *p);

/* Render the VGA's screen if it changed and upload what did. Returns PICTURE_* bits. */
unsigned picture_update(struct picture *p, struct vga *vga);

/* Draw the picture into the renderer's back buffer (not yet presented). */
void picture_draw(struct picture *p);

void picture_set_integer_scale(struct picture *p, bool on);

/* Show `text` in the overlay, or hide it (NULL). True when what the window shows changes. */
bool picture_set_overlay(struct picture *p, const char *text);

/* The renderer lost its textures (SDL_RENDER_DEVICE_RESET): make and fill them anew. */
void picture_invalidate(struct picture *p);

/*
 * The bands of rows in which the w x h frames `a` and `b` (row y at
 * a + y * stride) differ, top to bottom, in bands[PICTURE_MAX_BANDS]:
 * changed rows less than PICTURE_BAND_GAP unchanged rows apart share a
 * band, and the last band reaches down to the last changed row when there
 * are more. Returns the number of bands, 0 when the frames are equal.
 */
unsigned picture_dirty_bands(const uint32_t *a, const uint32_t *b, unsigned w, unsigned h,
                             size_t stride, struct picture_band *bands);

#endif
