/*
 * The SDL window (see display.h). A pc poller reads host events every few
 * milliseconds and draws a frame at the display's refresh rate: the VGA
 * renders the whole screen into one buffer, the rows that differ from the
 * frame already on the texture are uploaded, and the texture is drawn
 * scaled into the window (4:3 for the VGA's own modes, square pixels for
 * VBE modes; whole multiples only with integer scaling). Keys go to the
 * guest by position (keymap.c); the mouse is the guest's while grabbed.
 */
#include "frontend/display.h"

#include <SDL.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "cpu/cpu.h"
#include "devices/i8042.h"
#include "devices/vga.h"
#include "frontend/keymap.h"
#include "frontend/screenshot.h"
#include "machine/pc/pc.h"

#define FRAME_RATE_MAX   60      /* frames per second at most, whatever the display says */
#define EVENT_PERIOD_US  4000    /* host input is read this often */
#define TITLE_PERIOD_US  1000000 /* the MIPS figure is measured over this */
#define MIN_WINDOW_WIDTH 640     /* small modes open at 2x, 4x... up to this width */

struct display {
    struct pc *pc;
    SDL_Window *win;
    SDL_Renderer *ren;
    SDL_Texture *tex;   /* the guest screen, fw x fh, XRGB */
    uint32_t *frame;    /* the frame being drawn */
    uint32_t *shown;    /* the frame on the texture (the same stride) */
    size_t capacity;    /* pixels each of the two buffers holds */
    unsigned fw, fh;    /* size of `shown` and of the texture (0: nothing yet) */
    unsigned fit_w;     /* guest screen size the window was last fitted to */
    unsigned fit_h;     /* guest screen size the window was last fitted to */
    bool square_pixels; /* VBE modes; the VGA's modes fill a 4:3 monitor */
    bool integer_scale; /* whole multiples of the guest pixels only */
    bool fullscreen;
    bool grabbed; /* relative mouse mode: the guest has the mouse */
    bool redraw;  /* the window needs presenting even if the frame did not change */
    gint64 frame_period_us;
    gint64 next_frame_us, next_events_us, next_title_us;
    unsigned buttons;             /* guest mouse buttons held (PS2_BUTTON_*) */
    unsigned sent_buttons;        /* the buttons the guest last heard of */
    int dx, dy, dz;               /* motion not sent yet */
    bool guest_down[KEYMAP_SIZE]; /* keys the guest saw go down and not up yet */
    bool host_only[KEYMAP_SIZE];  /* shortcut keys held: their repeats and release are ours */
    uint64_t title_insns;         /* cpu->instructions at the last measurement */
    gint64 title_us;              /* when that was */
    double mips;                  /* over the last measurement period */
    bool idle;                    /* halted through the whole last period */
    char title[160];
    unsigned next_shot; /* screenshot number to try first */
};

/* ---- drawing ------------------------------------------------------------- */

/* Where the guest screen goes in an ow x oh window. */
static SDL_Rect dest_rect(const struct display *d, int ow, int oh)
{
    int w, h;
    int k = MIN(ow / (int)d->fw, oh / (int)d->fh);
    if (d->integer_scale && k >= 1) {
        w = (int)d->fw * k;
        h = (int)d->fh * k;
    } else {
        int64_t aw = d->square_pixels ? d->fw : 4, ah = d->square_pixels ? d->fh : 3;
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

/* Draw the texture into the back buffer (not yet shown). */
static void draw(struct display *d)
{
    int ow = 0, oh = 0;
    SDL_GetRendererOutputSize(d->ren, &ow, &oh); /* pixels, also on HiDPI screens */
    SDL_RenderClear(d->ren);
    if (d->tex && d->fw && d->fh && ow > 0 && oh > 0) {
        SDL_Rect dst = dest_rect(d, ow, oh);
        SDL_RenderCopy(d->ren, d->tex, NULL, &dst);
    }
}

static void present(struct display *d)
{
    draw(d);
    SDL_RenderPresent(d->ren);
    d->redraw = false;
}

static void set_scale_mode(struct display *d)
{
    if (d->tex)
        SDL_SetTextureScaleMode(d->tex,
                                d->integer_scale ? SDL_ScaleModeNearest : SDL_ScaleModeLinear);
}

static void new_texture(struct display *d, unsigned w, unsigned h)
{
    if (d->tex)
        SDL_DestroyTexture(d->tex);
    d->tex = SDL_CreateTexture(d->ren, SDL_PIXELFORMAT_RGB888, SDL_TEXTUREACCESS_STREAMING, (int)w,
                               (int)h);
    if (!d->tex)
        fprintf(stderr, "popek: no %ux%u texture: %s\n", w, h, SDL_GetError());
    set_scale_mode(d);
}

/* Size the window for a new guest screen, as a monitor would show it. */
static void fit_window(struct display *d)
{
    Uint32 flags = SDL_GetWindowFlags(d->win);
    if (d->fullscreen || (flags & SDL_WINDOW_MAXIMIZED) || (d->fw == d->fit_w && d->fh == d->fit_h))
        return;
    d->fit_w = d->fw;
    d->fit_h = d->fh;
    int w = (int)d->fw, h = d->square_pixels ? (int)d->fh : (int)d->fw * 3 / 4;
    while (w < MIN_WINDOW_WIDTH) {
        w *= 2;
        h *= 2;
    }
    SDL_Rect usable;
    if (!SDL_GetDisplayUsableBounds(SDL_GetWindowDisplayIndex(d->win), &usable) && usable.w > 0 &&
        usable.h > 0 && (w > usable.w || h > usable.h)) {
        double s = MIN((double)usable.w / w, (double)usable.h / h);
        w = (int)(w * s);
        h = (int)(h * s);
    }
    SDL_SetWindowSize(d->win, w, h);
}

/* Room for a w x h frame in both buffers (their contents are lost when they grow). */
static void reserve(struct display *d, size_t pixels)
{
    if (pixels <= d->capacity)
        return;
    g_free(d->frame);
    g_free(d->shown);
    d->frame = g_new0(uint32_t, pixels);
    d->shown = g_new0(uint32_t, pixels);
    d->capacity = pixels;
    d->fw = d->fh = 0; /* nothing valid on the texture side */
}

/* The rows [*y0, *y1) outside which `frame` equals `shown`; false when all do. */
static bool dirty_rows(const struct display *d, unsigned w, unsigned h, unsigned *y0, unsigned *y1)
{
    size_t bytes = (size_t)w * sizeof(uint32_t);
    unsigned top = 0, bottom = h;
    while (top < h && !memcmp(d->frame + (size_t)top * w, d->shown + (size_t)top * w, bytes))
        top++;
    if (top == h)
        return false;
    while (bottom > top + 1 &&
           !memcmp(d->frame + (size_t)(bottom - 1) * w, d->shown + (size_t)(bottom - 1) * w, bytes))
        bottom--;
    *y0 = top;
    *y1 = bottom;
    return true;
}

/* Render the guest screen; upload what changed; present when anything did. */
static void display_frame(struct display *d)
{
    struct vga *vga = d->pc->vga;
    unsigned w, h, y0 = 0, y1 = 0;
    vga_screen_size(vga, &w, &h);
    reserve(d, (size_t)w * h);
    vga_render(vga, d->frame, w, &w, &h);
    enum vga_mode_kind mode = vga_mode(vga);
    bool square = mode == VGA_MODE_VBE;
    if (square != d->square_pixels) {
        d->square_pixels = square;
        d->redraw = true;
    }
    if (w != d->fw || h != d->fh) {
        new_texture(d, w, h);
        d->fw = w;
        d->fh = h;
        y1 = h;
        if (mode != VGA_MODE_OFF) /* not for the blank screen between two modes */
            fit_window(d);
    } else if (!dirty_rows(d, w, h, &y0, &y1)) {
        y1 = y0;
    }
    if (y1 > y0 && d->tex) {
        SDL_Rect rows = {0, (int)y0, (int)w, (int)(y1 - y0)};
        SDL_UpdateTexture(d->tex, &rows, d->frame + (size_t)y0 * w, (int)(w * sizeof(uint32_t)));
        uint32_t *t = d->shown;
        d->shown = d->frame;
        d->frame = t;
        d->redraw = true;
    }
    if (d->redraw)
        present(d);
}

/* Frames at the refresh rate of the window's display, at most FRAME_RATE_MAX a second. */
static void update_frame_period(struct display *d)
{
    SDL_DisplayMode mode;
    int hz = FRAME_RATE_MAX;
    int index = SDL_GetWindowDisplayIndex(d->win);
    if (index >= 0 && !SDL_GetCurrentDisplayMode(index, &mode) && mode.refresh_rate > 0 &&
        mode.refresh_rate < hz)
        hz = mode.refresh_rate;
    d->frame_period_us = 1000000 / hz;
}

/* ---- the title ----------------------------------------------------------- */

static void measure_speed(struct display *d, gint64 now)
{
    uint64_t insns = d->pc->cpu->instructions;
    gint64 us = now - d->title_us;
    d->mips = us > 0 ? (double)(insns - d->title_insns) / (double)us : 0;
    d->idle = d->pc->cpu->halted && insns == d->title_insns;
    d->title_insns = insns;
    d->title_us = now;
}

static void update_title(struct display *d)
{
    const char *state = d->pc->paused ? "paused" : d->idle ? "halted" : "running";
    const char *dash = g_get_charset(NULL) ? " \u2014 " : " - "; /* an em dash where it can show */
    char title[sizeof(d->title)];
    g_snprintf(title, sizeof(title), "popek%s%s%s%.1f MIPS%s%s", dash, state, dash, d->mips,
               d->grabbed ? dash : "", d->grabbed ? "Ctrl+Alt+G releases the mouse" : "");
    if (strcmp(title, d->title)) {
        memcpy(d->title, title, sizeof(title));
        SDL_SetWindowTitle(d->win, title);
    }
}

/* ---- mouse --------------------------------------------------------------- */

static unsigned ps2_button(Uint8 sdl_button)
{
    switch (sdl_button) {
    case SDL_BUTTON_LEFT:
        return PS2_BUTTON_LEFT;
    case SDL_BUTTON_MIDDLE:
        return PS2_BUTTON_MIDDLE;
    case SDL_BUTTON_RIGHT:
        return PS2_BUTTON_RIGHT;
    case SDL_BUTTON_X1:
        return PS2_BUTTON_4;
    case SDL_BUTTON_X2:
        return PS2_BUTTON_5;
    default:
        return 0;
    }
}

/* Send the motion gathered so far and the buttons, if anything changed. */
static void mouse_flush(struct display *d)
{
    if (!d->dx && !d->dy && !d->dz && d->buttons == d->sent_buttons)
        return;
    i8042_mouse(d->pc->kbc, d->dx, d->dy, d->dz, d->buttons);
    d->dx = d->dy = d->dz = 0;
    d->sent_buttons = d->buttons;
}

static void grab(struct display *d, bool on)
{
    if (on == d->grabbed || SDL_SetRelativeMouseMode(on ? SDL_TRUE : SDL_FALSE) < 0)
        return;
    d->grabbed = on;
    if (!on) {
        d->dx = d->dy = d->dz = 0;
        d->buttons = 0;
        mouse_flush(d); /* the guest sees the buttons go up */
    }
    update_title(d);
}

static void mouse_button(struct display *d, const SDL_MouseButtonEvent *e)
{
    if (!d->grabbed) {
        if (e->type == SDL_MOUSEBUTTONDOWN)
            grab(d, true); /* the click that grabs stays with the host */
        return;
    }
    mouse_flush(d); /* motion before the button */
    if (e->type == SDL_MOUSEBUTTONDOWN)
        d->buttons |= ps2_button(e->button);
    else
        d->buttons &= ~ps2_button(e->button);
    mouse_flush(d);
}

/* ---- keyboard ------------------------------------------------------------ */

static void guest_key(struct display *d, unsigned sc, bool down, bool repeat)
{
    struct keymap_key k;
    if (!keymap_lookup(sc, &k) || (!down && !d->guest_down[sc]))
        return; /* no such PC key, or pressed while the window did not have the focus */
    if (repeat && k.code == PS2_KEY_PAUSE && !k.extended)
        return; /* Pause is not typematic */
    d->guest_down[sc] = down;
    i8042_key(d->pc->kbc, k.code, k.extended, down);
}

/* Focus lost: the guest sees every key it holds go up. */
static void release_keys(struct display *d)
{
    for (unsigned sc = 0; sc < KEYMAP_SIZE; sc++) {
        if (d->guest_down[sc])
            guest_key(d, sc, false, false);
        d->host_only[sc] = false;
    }
}

/* Press and release a key in the guest, whatever the host keyboard does. */
static void tap_key(struct display *d, SDL_Scancode sc)
{
    struct keymap_key k;
    if (!keymap_lookup(sc, &k))
        return;
    i8042_key(d->pc->kbc, k.code, k.extended, true);
    i8042_key(d->pc->kbc, k.code, k.extended, false);
}

/* Focus gained: tap the guest's lock keys whose LEDs disagree with the host's lock state. */
static void sync_locks(struct display *d)
{
    SDL_Keymod mod = SDL_GetModState();
    uint8_t leds = i8042_leds(d->pc->kbc);
    if (!(mod & KMOD_CAPS) != !(leds & PS2_LED_CAPS_LOCK))
        tap_key(d, SDL_SCANCODE_CAPSLOCK);
    if (!(mod & KMOD_NUM) != !(leds & PS2_LED_NUM_LOCK))
        tap_key(d, SDL_SCANCODE_NUMLOCKCLEAR);
}

static void take_screenshot(struct display *d)
{
    char *name = NULL, *err = NULL;
    for (;; d->next_shot++) {
        name = g_strdup_printf("popek-screenshot-%u.png", d->next_shot);
        if (!g_file_test(name, G_FILE_TEST_EXISTS))
            break;
        g_free(name);
    }
    d->next_shot++;
    if (screenshot_save(d->pc->vga, name, &err) < 0) {
        fprintf(stderr, "popek: %s\n", err);
        g_free(err);
    } else {
        fprintf(stderr, "popek: screenshot saved to %s\n", name);
    }
    g_free(name);
}

static void toggle_fullscreen(struct display *d)
{
    d->fullscreen = !d->fullscreen;
    SDL_SetWindowFullscreen(d->win, d->fullscreen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
    d->redraw = true;
}

/* The Ctrl+Alt shortcuts (display.h). False when `sc` is not one: the key is the guest's. */
static bool shortcut(struct display *d, SDL_Scancode sc)
{
    switch (sc) {
    case SDL_SCANCODE_G:
        grab(d, false);
        break;
    case SDL_SCANCODE_F:
        toggle_fullscreen(d);
        break;
    case SDL_SCANCODE_P:
        pc_set_paused(d->pc, !d->pc->paused);
        update_title(d);
        break;
    case SDL_SCANCODE_R:
        pc_request_reset(d->pc);
        break;
    case SDL_SCANCODE_S:
        take_screenshot(d);
        break;
    case SDL_SCANCODE_I:
        d->integer_scale = !d->integer_scale;
        set_scale_mode(d);
        d->redraw = true;
        break;
    case SDL_SCANCODE_END: /* Ctrl and Alt are already down in the guest */
        tap_key(d, SDL_SCANCODE_DELETE);
        break;
    case SDL_SCANCODE_Q:
        pc_stop(d->pc, PC_STOP_QUIT);
        break;
    default:
        return false;
    }
    return true;
}

static void key_event(struct display *d, const SDL_KeyboardEvent *e)
{
    unsigned sc = e->keysym.scancode;
    bool down = e->type == SDL_KEYDOWN;
    if (sc >= KEYMAP_SIZE)
        return;
    if (d->host_only[sc]) {
        d->host_only[sc] = down; /* a repeat, or the release, of a shortcut key */
        return;
    }
    bool chord = (e->keysym.mod & KMOD_CTRL) && (e->keysym.mod & KMOD_ALT);
    if (down && chord && !e->repeat && shortcut(d, e->keysym.scancode)) {
        d->host_only[sc] = true;
        return;
    }
    guest_key(d, sc, down, e->repeat);
}

/* ---- events -------------------------------------------------------------- */

static void window_event(struct display *d, const SDL_WindowEvent *e)
{
    switch (e->event) {
    case SDL_WINDOWEVENT_FOCUS_LOST:
        grab(d, false);
        release_keys(d);
        break;
    case SDL_WINDOWEVENT_FOCUS_GAINED:
        sync_locks(d);
        break;
    case SDL_WINDOWEVENT_CLOSE: /* SDL_QUIT follows too, unless a hint says otherwise */
        pc_stop(d->pc, PC_STOP_QUIT);
        break;
    case SDL_WINDOWEVENT_MOVED:
    case SDL_WINDOWEVENT_SHOWN:
        update_frame_period(d); /* perhaps on another display */
        d->redraw = true;
        break;
    default: /* exposed, resized, restored, ... */
        d->redraw = true;
        break;
    }
}

static void handle_events(struct display *d)
{
    SDL_Event ev;
    while (SDL_PollEvent(&ev)) {
        switch (ev.type) {
        case SDL_QUIT:
            pc_stop(d->pc, PC_STOP_QUIT);
            break;
        case SDL_WINDOWEVENT:
            window_event(d, &ev.window);
            break;
        case SDL_KEYDOWN:
        case SDL_KEYUP:
            key_event(d, &ev.key);
            break;
        case SDL_MOUSEMOTION:
            if (d->grabbed) {
                d->dx += ev.motion.xrel;
                d->dy += ev.motion.yrel;
            }
            break;
        case SDL_MOUSEBUTTONDOWN:
        case SDL_MOUSEBUTTONUP:
            mouse_button(d, &ev.button);
            break;
        case SDL_MOUSEWHEEL: /* SDL: positive is away from the user; PS/2: towards */
            if (d->grabbed)
                d->dz -= ev.wheel.direction == SDL_MOUSEWHEEL_FLIPPED ? -ev.wheel.y : ev.wheel.y;
            break;
        default:
            break;
        }
    }
    mouse_flush(d);
}

/* The pc poller: input every EVENT_PERIOD_US, a frame every frame period, the title every second.
 */
static void display_poll(void *opaque, bool paused)
{
    struct display *d = opaque;
    gint64 now = g_get_monotonic_time();
    if (now >= d->next_events_us) {
        handle_events(d);
        d->next_events_us = now + EVENT_PERIOD_US;
    }
    if (now >= d->next_frame_us) {
        display_frame(d);
        d->next_frame_us += d->frame_period_us;
        if (d->next_frame_us <= now)
            d->next_frame_us = now + d->frame_period_us;
    }
    if (now >= d->next_title_us) {
        measure_speed(d, now);
        update_title(d);
        d->next_title_us = now + TITLE_PERIOD_US;
    }
}

/* ---- the public side ----------------------------------------------------- */

struct display *display_create(struct pc *pc, char **err)
{
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1"); /* main.c handles SIGINT and SIGTERM */
    SDL_SetHint(SDL_HINT_VIDEO_X11_NET_WM_BYPASS_COMPOSITOR, "0");
    if (SDL_Init(SDL_INIT_VIDEO) < 0) {
        *err = g_strdup_printf("cannot open the window: %s", SDL_GetError());
        return NULL;
    }
    struct display *d = g_new0(struct display, 1);
    d->pc = pc;
    d->next_shot = 1;
    d->win = SDL_CreateWindow("popek", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, 720, 540,
                              SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI);
    if (d->win)
        d->ren = SDL_CreateRenderer(d->win, -1, 0);
    if (!d->ren) {
        *err = g_strdup_printf("cannot open the window: %s", SDL_GetError());
        display_destroy(d);
        return NULL;
    }
    if (pc_add_poller(pc, display_poll, d) < 0) {
        *err = g_strdup("cannot open the window: no room for another poller");
        display_destroy(d);
        return NULL;
    }
    SDL_SetRenderDrawColor(d->ren, 0, 0, 0, SDL_ALPHA_OPAQUE);
    update_frame_period(d);
    d->title_insns = pc->cpu->instructions;
    d->title_us = g_get_monotonic_time();
    d->next_title_us = d->title_us + TITLE_PERIOD_US;
    update_title(d);
    return d;
}

int display_save_window(struct display *d, const char *path, char **err)
{
    display_frame(d);
    int ow = 0, oh = 0;
    if (SDL_GetRendererOutputSize(d->ren, &ow, &oh) < 0 || ow <= 0 || oh <= 0) {
        *err = g_strdup_printf("cannot save '%s': %s", path, SDL_GetError());
        return -1;
    }
    uint32_t *px = g_new(uint32_t, (size_t)ow * oh);
    draw(d);
    int ret = SDL_RenderReadPixels(d->ren, NULL, SDL_PIXELFORMAT_RGB888, px, ow * 4);
    if (ret < 0)
        *err = g_strdup_printf("cannot save '%s': %s", path, SDL_GetError());
    else
        ret = screenshot_write_png(path, px, (unsigned)ow, (unsigned)oh, (unsigned)ow, err);
    SDL_RenderPresent(d->ren);
    g_free(px);
    return ret;
}

void display_destroy(struct display *d)
{
    if (!d)
        return;
    if (d->grabbed)
        SDL_SetRelativeMouseMode(SDL_FALSE);
    if (d->tex)
        SDL_DestroyTexture(d->tex);
    if (d->ren)
        SDL_DestroyRenderer(d->ren);
    if (d->win)
        SDL_DestroyWindow(d->win);
    SDL_Quit();
    g_free(d->frame);
    g_free(d->shown);
    g_free(d);
}
