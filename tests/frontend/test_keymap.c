/*
 * The host keymap against the scan code tables of the specifications: each
 * key below is written down with its set-2 make code and its set-1 make
 * code as IBM's keyboard reference (scan code sets 1 and 2) and
 * Microsoft's "Keyboard Scan Code Specification" (appendix C) give them.
 * Every key the keymap knows goes through a PS/2 keyboard model, and the
 * bytes it sends are compared with those, directly for set 2 and through
 * the 8042's translation for set 1. Pause and Print Screen are checked
 * with their whole sequences.
 */
#include <SDL_keyboard.h>
#include <SDL_scancode.h>
#include <glib.h>
#include <string.h>

#include "devices/ps2.h"
#include "frontend/keymap.h"

struct spec_key {
    SDL_Scancode sc;
    uint8_t set2;  /* make code */
    bool extended; /* E0 prefix, in both sets */
    uint8_t set1;  /* make code; the break code is this | 0x80 */
    bool pc105;    /* one of the keys of the 105-key ISO keyboard */
};

#define KEY(sc, s2, s1)                                                                            \
    {                                                                                              \
        SDL_SCANCODE_##sc, s2, false, s1, true                                                     \
    }
#define KEYE(sc, s2, s1)                                                                           \
    {                                                                                              \
        SDL_SCANCODE_##sc, s2, true, s1, true                                                      \
    }
#define XTRA(sc, s2, s1)                                                                           \
    {                                                                                              \
        SDL_SCANCODE_##sc, s2, false, s1, false                                                    \
    }
#define XTRE(sc, s2, s1)                                                                           \
    {                                                                                              \
        SDL_SCANCODE_##sc, s2, true, s1, false                                                     \
    }

static const struct spec_key spec[] = {
    /* Escape and the function keys (Pause and Print Screen: see their own tests). */
    KEY(ESCAPE, 0x76, 0x01),
    KEY(F1, 0x05, 0x3b),
    KEY(F2, 0x06, 0x3c),
    KEY(F3, 0x04, 0x3d),
    KEY(F4, 0x0c, 0x3e),
    KEY(F5, 0x03, 0x3f),
    KEY(F6, 0x0b, 0x40),
    KEY(F7, 0x83, 0x41),
    KEY(F8, 0x0a, 0x42),
    KEY(F9, 0x01, 0x43),
    KEY(F10, 0x09, 0x44),
    KEY(F11, 0x78, 0x57),
    KEY(F12, 0x07, 0x58),
    KEY(SCROLLLOCK, 0x7e, 0x46),
    /* Digits and the rest of the top row. */
    KEY(GRAVE, 0x0e, 0x29),
    KEY(1, 0x16, 0x02),
    KEY(2, 0x1e, 0x03),
    KEY(3, 0x26, 0x04),
    KEY(4, 0x25, 0x05),
    KEY(5, 0x2e, 0x06),
    KEY(6, 0x36, 0x07),
    KEY(7, 0x3d, 0x08),
    KEY(8, 0x3e, 0x09),
    KEY(9, 0x46, 0x0a),
    KEY(0, 0x45, 0x0b),
    KEY(MINUS, 0x4e, 0x0c),
    KEY(EQUALS, 0x55, 0x0d),
    KEY(BACKSPACE, 0x66, 0x0e),
    /* Letters, row by row, with their punctuation. */
    KEY(TAB, 0x0d, 0x0f),
    KEY(Q, 0x15, 0x10),
    KEY(W, 0x1d, 0x11),
    KEY(E, 0x24, 0x12),
    KEY(R, 0x2d, 0x13),
    KEY(T, 0x2c, 0x14),
    KEY(Y, 0x35, 0x15),
    KEY(U, 0x3c, 0x16),
    KEY(I, 0x43, 0x17),
    KEY(O, 0x44, 0x18),
    KEY(P, 0x4d, 0x19),
    KEY(LEFTBRACKET, 0x54, 0x1a),
    KEY(RIGHTBRACKET, 0x5b, 0x1b),
    KEY(BACKSLASH, 0x5d, 0x2b),
    KEY(CAPSLOCK, 0x58, 0x3a),
    KEY(A, 0x1c, 0x1e),
    KEY(S, 0x1b, 0x1f),
    KEY(D, 0x23, 0x20),
    KEY(F, 0x2b, 0x21),
    KEY(G, 0x34, 0x22),
    KEY(H, 0x33, 0x23),
    KEY(J, 0x3b, 0x24),
    KEY(K, 0x42, 0x25),
    KEY(L, 0x4b, 0x26),
    KEY(SEMICOLON, 0x4c, 0x27),
    KEY(APOSTROPHE, 0x52, 0x28),
    KEY(RETURN, 0x5a, 0x1c),
    KEY(LSHIFT, 0x12, 0x2a),
    KEY(NONUSBACKSLASH, 0x61, 0x56),
    KEY(Z, 0x1a, 0x2c),
    KEY(X, 0x22, 0x2d),
    KEY(C, 0x21, 0x2e),
    KEY(V, 0x2a, 0x2f),
    KEY(B, 0x32, 0x30),
    KEY(N, 0x31, 0x31),
    KEY(M, 0x3a, 0x32),
    KEY(COMMA, 0x41, 0x33),
    KEY(PERIOD, 0x49, 0x34),
    KEY(SLASH, 0x4a, 0x35),
    KEY(RSHIFT, 0x59, 0x36),
    /* The bottom row: Windows keys E0 1F/27, Menu E0 2F, right Ctrl and Alt with E0. */
    KEY(LCTRL, 0x14, 0x1d),
    KEYE(LGUI, 0x1f, 0x5b),
    KEY(LALT, 0x11, 0x38),
    KEY(SPACE, 0x29, 0x39),
    KEYE(RALT, 0x11, 0x38),
    KEYE(RGUI, 0x27, 0x5c),
    KEYE(APPLICATION, 0x2f, 0x5d),
    KEYE(RCTRL, 0x14, 0x1d),
    /* The editing block and the arrows, all E0. */
    KEYE(INSERT, 0x70, 0x52),
    KEYE(HOME, 0x6c, 0x47),
    KEYE(PAGEUP, 0x7d, 0x49),
    KEYE(DELETE, 0x71, 0x53),
    KEYE(END, 0x69, 0x4f),
    KEYE(PAGEDOWN, 0x7a, 0x51),
    KEYE(UP, 0x75, 0x48),
    KEYE(LEFT, 0x6b, 0x4b),
    KEYE(DOWN, 0x72, 0x50),
    KEYE(RIGHT, 0x74, 0x4d),
    /* The keypad: / and Enter with E0. */
    KEY(NUMLOCKCLEAR, 0x77, 0x45),
    KEYE(KP_DIVIDE, 0x4a, 0x35),
    KEY(KP_MULTIPLY, 0x7c, 0x37),
    KEY(KP_MINUS, 0x7b, 0x4a),
    KEY(KP_7, 0x6c, 0x47),
    KEY(KP_8, 0x75, 0x48),
    KEY(KP_9, 0x7d, 0x49),
    KEY(KP_PLUS, 0x79, 0x4e),
    KEY(KP_4, 0x6b, 0x4b),
    KEY(KP_5, 0x73, 0x4c),
    KEY(KP_6, 0x74, 0x4d),
    KEY(KP_1, 0x69, 0x4f),
    KEY(KP_2, 0x72, 0x50),
    KEY(KP_3, 0x7a, 0x51),
    KEYE(KP_ENTER, 0x5a, 0x1c),
    KEY(KP_0, 0x70, 0x52),
    KEY(KP_PERIOD, 0x71, 0x53),
    /* Beyond the 105 keys: the ISO key left of Enter has the backslash key's code. */
    XTRA(NONUSHASH, 0x5d, 0x2b),
    XTRA(INTERNATIONAL1, 0x51, 0x73),
    XTRA(INTERNATIONAL2, 0x13, 0x70),
    XTRA(INTERNATIONAL3, 0x6a, 0x7d),
    XTRA(INTERNATIONAL4, 0x64, 0x79),
    XTRA(INTERNATIONAL5, 0x67, 0x7b),
    XTRE(POWER, 0x37, 0x5e),
    XTRE(SLEEP, 0x3f, 0x5f),
    XTRE(MUTE, 0x23, 0x20),
    XTRE(VOLUMEUP, 0x32, 0x30),
    XTRE(VOLUMEDOWN, 0x21, 0x2e),
    XTRE(AUDIONEXT, 0x4d, 0x19),
    XTRE(AUDIOPREV, 0x15, 0x10),
    XTRE(AUDIOSTOP, 0x3b, 0x24),
    XTRE(AUDIOPLAY, 0x34, 0x22),
};

/* The two keys with sequences of their own, written out in full. */
static const uint8_t pause_set2[] = {0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77};
static const uint8_t pause_set1[] = {0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5};
static const uint8_t prtsc_make_set2[] = {0xe0, 0x12, 0xe0, 0x7c};
static const uint8_t prtsc_break_set2[] = {0xe0, 0xf0, 0x7c, 0xe0, 0xf0, 0x12};
static const uint8_t prtsc_make_set1[] = {0xe0, 0x2a, 0xe0, 0x37};
static const uint8_t prtsc_break_set1[] = {0xe0, 0xb7, 0xe0, 0xaa};

static void no_notify(void *opaque)
{
}

struct bytes {
    uint8_t b[16];
    unsigned n;
};

/* Press or release the key at `sc` through the keymap; what the keyboard sends in set 2. */
static struct bytes press(struct ps2_kbd *k, SDL_Scancode sc, bool down)
{
    struct keymap_key key;
    struct bytes out = {{0}, 0};
    g_assert_true(keymap_lookup(sc, &key));
    ps2_kbd_key(k, key.code, key.extended, down);
    for (int byte; (byte = ps2_kbd_read(k)) >= 0;) {
        g_assert_cmpuint(out.n, <, sizeof(out.b));
        out.b[out.n++] = (uint8_t)byte;
    }
    return out;
}

/* The bytes the 8042 passes on with translation on (its configuration bit 6). */
static struct bytes translate(struct bytes in)
{
    struct bytes out = {{0}, 0};
    bool brk = false;
    for (unsigned i = 0; i < in.n; i++) {
        int byte = ps2_translate(&brk, in.b[i]);
        if (byte >= 0)
            out.b[out.n++] = (uint8_t)byte;
    }
    return out;
}

static void assert_bytes(const char *what, SDL_Scancode sc, struct bytes got, const uint8_t *want,
                         unsigned n)
{
    if (got.n == n && !memcmp(got.b, want, n))
        return;
    GString *s = g_string_new(NULL);
    for (unsigned i = 0; i < got.n; i++)
        g_string_append_printf(s, " %02x", got.b[i]);
    g_error("%s of %s: got%s, want %u bytes starting %02x", what, SDL_GetScancodeName(sc), s->str,
            n, n ? want[0] : 0);
}

static const struct spec_key *spec_for(unsigned sc)
{
    for (size_t i = 0; i < G_N_ELEMENTS(spec); i++) {
        if (spec[i].sc == sc)
            return &spec[i];
    }
    return NULL;
}

static void check_key(struct ps2_kbd *k, const struct spec_key *s)
{
    /* [E0] code, [E0] F0 code in set 2; [E0] code, [E0] code|80 in set 1. */
    unsigned e = s->extended;
    const uint8_t make2[] = {0xe0, s->set2}, brk2[] = {0xe0, 0xf0, s->set2};
    const uint8_t make1[] = {0xe0, s->set1}, brk1[] = {0xe0, s->set1 | 0x80};

    struct bytes got = press(k, s->sc, true);
    assert_bytes("set-2 make", s->sc, got, make2 + 1 - e, 1 + e);
    assert_bytes("set-1 make", s->sc, translate(got), make1 + 1 - e, 1 + e);
    got = press(k, s->sc, false);
    assert_bytes("set-2 break", s->sc, got, brk2 + 1 - e, 2 + e);
    assert_bytes("set-1 break", s->sc, translate(got), brk1 + 1 - e, 1 + e);
}

/* Every key in the keymap is a key of the specification, with its codes. */
static void test_every_mapped_key(void)
{
    struct ps2_kbd *k = ps2_kbd_create(no_notify, NULL);
    unsigned mapped = 0;
    for (unsigned sc = 0; sc < KEYMAP_SIZE; sc++) {
        struct keymap_key key;
        if (!keymap_lookup(sc, &key))
            continue;
        mapped++;
        if (sc == SDL_SCANCODE_PAUSE || sc == SDL_SCANCODE_PRINTSCREEN)
            continue; /* their own tests */
        const struct spec_key *s = spec_for(sc);
        if (!s)
            g_error("%s (%u) is mapped but not in the specification list", SDL_GetScancodeName(sc),
                    sc);
        check_key(k, s);
    }
    g_assert_cmpuint(mapped, ==, G_N_ELEMENTS(spec) + 2);
    ps2_kbd_destroy(k);
}

/* The 105 keys of an ISO keyboard are all there, each with a code of its own. */
static void test_105_keys(void)
{
    bool seen[2][256] = {{false}};
    unsigned keys = 2; /* Pause and Print Screen */
    for (size_t i = 0; i < G_N_ELEMENTS(spec); i++) {
        struct keymap_key key;
        if (!spec[i].pc105)
            continue;
        g_assert_true(keymap_lookup(spec[i].sc, &key));
        g_assert_false(seen[key.extended][key.code]);
        seen[key.extended][key.code] = true;
        keys++;
    }
    g_assert_cmpuint(keys, ==, 105);
}

static void test_pause(void)
{
    struct ps2_kbd *k = ps2_kbd_create(no_notify, NULL);
    struct keymap_key key;
    g_assert_true(keymap_lookup(SDL_SCANCODE_PAUSE, &key));
    g_assert_cmphex(key.code, ==, PS2_KEY_PAUSE);
    g_assert_false(key.extended);
    struct bytes got = press(k, SDL_SCANCODE_PAUSE, true);
    assert_bytes("set-2 make", SDL_SCANCODE_PAUSE, got, pause_set2, sizeof(pause_set2));
    assert_bytes("set-1 make", SDL_SCANCODE_PAUSE, translate(got), pause_set1, sizeof(pause_set1));
    got = press(k, SDL_SCANCODE_PAUSE, false);
    g_assert_cmpuint(got.n, ==, 0); /* Pause has no break code */
    ps2_kbd_destroy(k);
}

static void test_print_screen(void)
{
    struct ps2_kbd *k = ps2_kbd_create(no_notify, NULL);
    struct bytes got = press(k, SDL_SCANCODE_PRINTSCREEN, true);
    assert_bytes("set-2 make", SDL_SCANCODE_PRINTSCREEN, got, prtsc_make_set2,
                 sizeof(prtsc_make_set2));
    assert_bytes("set-1 make", SDL_SCANCODE_PRINTSCREEN, translate(got), prtsc_make_set1,
                 sizeof(prtsc_make_set1));
    got = press(k, SDL_SCANCODE_PRINTSCREEN, false);
    assert_bytes("set-2 break", SDL_SCANCODE_PRINTSCREEN, got, prtsc_break_set2,
                 sizeof(prtsc_break_set2));
    assert_bytes("set-1 break", SDL_SCANCODE_PRINTSCREEN, translate(got), prtsc_break_set1,
                 sizeof(prtsc_break_set1));

    /* Alt+Print Screen is SysRq: set 2 84, set 1 54. */
    press(k, SDL_SCANCODE_LALT, true);
    got = press(k, SDL_SCANCODE_PRINTSCREEN, true);
    static const uint8_t sysrq2[] = {0x84}, sysrq1[] = {0x54};
    assert_bytes("set-2 SysRq", SDL_SCANCODE_PRINTSCREEN, got, sysrq2, 1);
    assert_bytes("set-1 SysRq", SDL_SCANCODE_PRINTSCREEN, translate(got), sysrq1, 1);
    ps2_kbd_destroy(k);
}

/* Keys a PC keyboard does not have, and scancodes out of range, map to nothing. */
static void test_unmapped(void)
{
    struct keymap_key key = {0x55, true};
    static const SDL_Scancode none[] = {SDL_SCANCODE_UNKNOWN, SDL_SCANCODE_F13, SDL_SCANCODE_F24,
                                        SDL_SCANCODE_KP_EQUALS, SDL_SCANCODE_MODE};
    for (size_t i = 0; i < G_N_ELEMENTS(none); i++)
        g_assert_false(keymap_lookup(none[i], &key));
    g_assert_false(keymap_lookup(KEYMAP_SIZE, &key));
    g_assert_false(keymap_lookup(~0u, &key));
    g_assert_cmphex(key.code, ==, 0x55); /* untouched */
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/keymap/every-mapped-key", test_every_mapped_key);
    g_test_add_func("/keymap/105-keys", test_105_keys);
    g_test_add_func("/keymap/pause", test_pause);
    g_test_add_func("/keymap/print-screen", test_print_screen);
    g_test_add_func("/keymap/unmapped", test_unmapped);
    return g_test_run();
}
