/*
 * The SDL window (see display.h). A pc poller reads host events every few
 * milliseconds and draws a frame at the display's refresh rate when the
 * picture (picture.c) changed or the window needs it (exposed, resized,
 * fullscreen, the overlay); otherwise a frame costs a look at the VGA and
 * nothing is presented. Every second it measures the guest's speed and
 * translation-cache hit rate for the title and refreshes the statistics
 * overlay. Keys go to the guest by position (keymap.c); the mouse is the
 * guest's while grabbed.
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
#include "frontend/media_drop.h"
#include "frontend/picture.h"
#include "frontend/screenshot.h"
#include "frontend/stats.h"
#include "pc/pc.h"
#include "translator/tcache.h"
#include "translator/translator.h"

#define FRAME_RATE_MAX   60      /* frames per second at most, whatever the display says */
#define EVENT_PERIOD_US  4000    /* host input is read this often */
#define TITLE_PERIOD_US  1000000 /* MIPS and hit rate are measured over this; the overlay too */
#define NOTE_US          3000000 /* how long a note (a shortcut's effect, a dropped file) shows */
#define MIN_WINDOW_WIDTH 640     /* small modes open at 2x, 4x... up to this width */

struct display {
    struct pc *pc;
    SDL_Window *win;
    SDL_Renderer *ren;
    struct picture pic; /* the guest screen */
    unsigned fit_w;     /* guest screen size the window was last fitted to */
    unsigned fit_h;     /* guest screen size the window was last fitted to */
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
    uint64_t title_lookups;       /* translation-cache lookups then */
    uint64_t title_hits;          /* translation-cache hits then */
    gint64 title_us;              /* when that was */
    double mips;                  /* over the last measurement period */
    uint64_t lookups, hits;       /* translation-cache lookups and hits over that period */
    bool idle;                    /* halted for most of the last period */
    unsigned polls;               /* display polls in this period */
    unsigned halted_polls;        /* those that found the CPU halted (in HLT) */
    bool show_stats;              /* the statistics overlay is on */
    gint64 start_us;              /* when the window opened: the statistics' time base */
    char title[160];
    unsigned next_shot; /* screenshot number to try first */
    char *note;         /* a short note over the screen (NULL: none) */
    gint64 note_until;  /* when it goes (0: when another replaces it) */
};

/* ---- drawing ------------------------------------------------------------- */

static void present(struct display *d)
{
    picture_draw(&d->pic);
    SDL_RenderPresent(d->ren);
    d->redraw = false;
}

/* Size the window for a new guest screen, as a monitor would show it. */
static void fit_window(struct display *d)
{
    const struct picture *p = &d->pic;
    Uint32 flags = SDL_GetWindowFlags(d->win);
    if (d->fullscreen || (flags & SDL_WINDOW_MAXIMIZED) || (p->w == d->fit_w && p->h == d->fit_h))
        return;
    d->fit_w = p->w;
    d->fit_h = p->h;
    int w = (int)p->w, h = p->square_pixels ? (int)p->h : (int)p->w * 3 / 4;
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

/* Render the guest screen; upload what changed; present when anything did. */
static void display_frame(struct display *d)
{
    unsigned changed = picture_update(&d->pic, d->pc->vga);
    if ((changed & PICTURE_SIZE) && vga_mode(d->pc->vga) != VGA_MODE_OFF)
        fit_window(d); /* not for the blank screen between two modes */
    if (changed)
        d->redraw = true;
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

void display_format_title(char *out, size_t size, const struct display_status *s, const char *dash)
{
    char tc[32] = "";
    if (s->tc_lookups) {
        /* Tenths of a percent, rounded down: 100.0% only when every lookup hit. */
        uint64_t tenths = MIN(s->tc_hits, s->tc_lookups) * 1000 / s->tc_lookups;
        g_snprintf(tc, sizeof(tc), ", tc %" G_GUINT64_FORMAT ".%u%%", tenths / 10,
                   (unsigned)(tenths % 10));
    }
    g_snprintf(out, size, "popek%s%s%s%.1f MIPS%s%s%s", dash, s->state, dash, s->mips, tc,
               s->grabbed ? dash : "", s->grabbed ? "Ctrl+Alt+G releases the mouse" : "");
}

static void measure_speed(struct display *d, gint64 now)
{
    uint64_t insns = d->pc->cpu->instructions;
    const struct tc_stats *tc = tcache_stats(translator_tcache(d->pc->tr));
    gint64 us = now - d->title_us;
    d->mips = us > 0 ? (double)(insns - d->title_insns) / (double)us : 0;
    d->idle = display_mostly_halted(d->polls, d->halted_polls);
    d->polls = d->halted_polls = 0;
    d->lookups = tc->lookups >= d->title_lookups ? tc->lookups - d->title_lookups : 0;
    d->hits = tc->hits >= d->title_hits ? tc->hits - d->title_hits : 0;
    d->title_insns = insns;
    d->title_lookups = tc->lookups;
    d->title_hits = tc->hits;
    d->title_us = now;
}

bool display_mostly_halted(unsigned polls, unsigned halted_polls)
{
    return polls > 0 && (uint64_t)halted_polls * 10 >= (uint64_t)polls * 9;
}

const char *display_state_name(bool debugger_hold, bool paused, bool idle)
{
    if (debugger_hold)
        return "waiting for gdb";
    return paused ? "paused" : idle ? "halted" : "running";
}

static void update_title(struct display *d)
{
    struct display_status s = {
        .state = display_state_name(d->pc->debugger_hold, d->pc->paused, d->idle),
        .mips = d->mips,
        .tc_lookups = d->lookups,
        .tc_hits = d->hits,
        .grabbed = d->grabbed,
    };
    const char *dash = g_get_charset(NULL) ? " \u2014 " : " - "; /* an em dash where it can show */
    char title[sizeof(d->title)];
    display_format_title(title, sizeof(title), &s, dash);
    if (strcmp(title, d->title)) {
        memcpy(d->title, title, sizeof(title));
        SDL_SetWindowTitle(d->win, title);
    }
}

/* ---- the statistics overlay ---------------------------------------------- */

/* Show the note and the statistics as they are now, or hide the overlay. */
static void update_overlay(struct display *d)
{
    if (!d->show_stats && !d->note) {
        if (picture_set_overlay(&d->pic, NULL))
            d->redraw = true;
        return;
    }
    GString *text = g_string_new(d->note);
    if (d->show_stats) {
        double seconds = (double)(g_get_monotonic_time() - d->start_us) / 1e6;
        if (d->note)
            g_string_append(text, "\n\n");
        stats_format(text, d->pc, seconds, STATS_TEXT_NO_SCREEN);
    }
    if (text->len && text->str[text->len - 1] == '\n')
        g_string_truncate(text, text->len - 1);
    if (picture_set_overlay(&d->pic, text->str))
        d->redraw = true;
    g_string_free(text, TRUE);
}

/* A note over the screen for NOTE_US (or, `lasting`, until the next one); also on stderr. */
static void show_note(struct display *d, const char *text, bool lasting)
{
    g_free(d->note);
    d->note = g_strdup(text);
    d->note_until = lasting ? 0 : g_get_monotonic_time() + NOTE_US;
    fprintf(stderr, "popek: %s\n", text);
    update_overlay(d);
}

static void expire_note(struct display *d, gint64 now)
{
    if (d->note && d->note_until && now >= d->note_until) {
        g_clear_pointer(&d->note, g_free);
        update_overlay(d);
    }
}

/* A file dropped onto the window goes into the drive its kind needs. */
static void drop_file(struct display *d, char *path)
{
    bool boot;
    char *note = media_drop(d->pc, path, &boot);
    show_note(d, note, false);
    if (boot)
        pc_request_reset(d->pc);
    g_free(note);
    SDL_free(path);
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
        show_note(d, err, false);
        g_free(err);
    } else {
        char *note = g_strdup_printf("screenshot saved to %s", name);
        show_note(d, note, false);
        g_free(note);
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
        if (!d->pc->debugger_hold) { /* gdb decides when a guest it stopped goes on */
            pc_set_paused(d->pc, !d->pc->paused);
            show_note(d, d->pc->paused ? "paused (Ctrl+Alt+P resumes)" : "running", false);
        }
        update_title(d);
        break;
    case SDL_SCANCODE_R:
        pc_request_reset(d->pc);
        break;
    case SDL_SCANCODE_S:
        take_screenshot(d);
        break;
    case SDL_SCANCODE_I:
        picture_set_integer_scale(&d->pic, !d->pic.integer_scale);
        show_note(d, d->pic.integer_scale ? "integer scaling on" : "integer scaling off", false);
        d->redraw = true;
        break;
    case SDL_SCANCODE_O:
        d->show_stats = !d->show_stats;
        update_overlay(d);
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
        case SDL_RENDER_DEVICE_RESET: /* every texture is gone */
            picture_invalidate(&d->pic);
            d->redraw = true;
            break;
        case SDL_RENDER_TARGETS_RESET:
            d->redraw = true;
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
        case SDL_DROPFILE:
            drop_file(d, ev.drop.file);
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
    d->polls++;
    d->halted_polls += d->pc->cpu->halted;
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
    expire_note(d, now);
    if (now >= d->next_title_us) {
        measure_speed(d, now);
        update_title(d);
        update_overlay(d);
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
    picture_init(&d->pic, d->ren);
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
    const struct tc_stats *tc = tcache_stats(translator_tcache(pc->tr));
    d->title_insns = pc->cpu->instructions;
    d->title_lookups = tc->lookups;
    d->title_hits = tc->hits;
    d->title_us = d->start_us = g_get_monotonic_time();
    d->next_title_us = d->title_us + TITLE_PERIOD_US;
    update_title(d);
    if (pc->cfg.empty_drives)
        show_note(d,
                  "No disk to boot. Drop a floppy or CD image onto this window,\n"
                  "or give one on the command line: popek FILE",
                  true);
    const char *drop =
        g_getenv("POPEK_TEST_DROP_FILE"); /* the window's tests: a drop, as X sends */
    if (drop && *drop) {
        SDL_Event ev = {.drop = {.type = SDL_DROPFILE, .file = SDL_strdup(drop)}};
        SDL_PushEvent(&ev);
    }
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
    picture_draw(&d->pic);
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
    picture_fini(&d->pic);
    g_free(d->note);
    if (d->ren)
        SDL_DestroyRenderer(d->ren);
    if (d->win)
        SDL_DestroyWindow(d->win);
    SDL_Quit();
    g_free(d);
}
