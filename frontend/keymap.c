/*
 * SDL scancode -> PS/2 set-2 make code, one row per key (see keymap.h).
 * Sources: IBM PS/2 Hardware Interface Technical Reference, "Keyboards
 * (101- and 102-Key)", scan code set 2 table; Microsoft, "Keyboard Scan Code
 * Specification" rev. 1.3a, appendix C (USB HID usage to PS/2 set 2),
 * which also gives the Japanese, ACPI and consumer keys below.
 */
#include "frontend/keymap.h"

#include <SDL_scancode.h>

#include "devices/ps2.h"

_Static_assert(SDL_NUM_SCANCODES <= KEYMAP_SIZE, "KEYMAP_SIZE is too small");

#define K(sc, c)  [SDL_SCANCODE_##sc] = {(c), false}
#define KE(sc, c) [SDL_SCANCODE_##sc] = {(c), true}

static const struct keymap_key keymap[KEYMAP_SIZE] = {
    /* The function key row. Print Screen is E0 7C, Pause has no make code of its own. */
    K(ESCAPE, 0x76),
    K(F1, 0x05),
    K(F2, 0x06),
    K(F3, 0x04),
    K(F4, 0x0c),
    K(F5, 0x03),
    K(F6, 0x0b),
    K(F7, 0x83),
    K(F8, 0x0a),
    K(F9, 0x01),
    K(F10, 0x09),
    K(F11, 0x78),
    K(F12, 0x07),
    KE(PRINTSCREEN, 0x7c),
    K(SCROLLLOCK, 0x7e),
    K(PAUSE, PS2_KEY_PAUSE),

    /* The digit row. */
    K(GRAVE, 0x0e),
    K(1, 0x16),
    K(2, 0x1e),
    K(3, 0x26),
    K(4, 0x25),
    K(5, 0x2e),
    K(6, 0x36),
    K(7, 0x3d),
    K(8, 0x3e),
    K(9, 0x46),
    K(0, 0x45),
    K(MINUS, 0x4e),
    K(EQUALS, 0x55),
    K(BACKSPACE, 0x66),

    /* Tab row; US backslash and the ISO key left of Enter are the same position (5D). */
    K(TAB, 0x0d),
    K(Q, 0x15),
    K(W, 0x1d),
    K(E, 0x24),
    K(R, 0x2d),
    K(T, 0x2c),
    K(Y, 0x35),
    K(U, 0x3c),
    K(I, 0x43),
    K(O, 0x44),
    K(P, 0x4d),
    K(LEFTBRACKET, 0x54),
    K(RIGHTBRACKET, 0x5b),
    K(BACKSLASH, 0x5d),
    K(NONUSHASH, 0x5d),

    /* Caps Lock row. */
    K(CAPSLOCK, 0x58),
    K(A, 0x1c),
    K(S, 0x1b),
    K(D, 0x23),
    K(F, 0x2b),
    K(G, 0x34),
    K(H, 0x33),
    K(J, 0x3b),
    K(K, 0x42),
    K(L, 0x4b),
    K(SEMICOLON, 0x4c),
    K(APOSTROPHE, 0x52),
    K(RETURN, 0x5a),

    /* Shift row, with the 105th key (ISO, between left Shift and Z). */
    K(LSHIFT, 0x12),
    K(NONUSBACKSLASH, 0x61),
    K(Z, 0x1a),
    K(X, 0x22),
    K(C, 0x21),
    K(V, 0x2a),
    K(B, 0x32),
    K(N, 0x31),
    K(M, 0x3a),
    K(COMMA, 0x41),
    K(PERIOD, 0x49),
    K(SLASH, 0x4a),
    K(RSHIFT, 0x59),

    /* Bottom row. */
    K(LCTRL, 0x14),
    KE(LGUI, 0x1f),
    K(LALT, 0x11),
    K(SPACE, 0x29),
    KE(RALT, 0x11),
    KE(RGUI, 0x27),
    KE(APPLICATION, 0x2f),
    KE(RCTRL, 0x14),

    /* The editing block and the arrows. */
    KE(INSERT, 0x70),
    KE(HOME, 0x6c),
    KE(PAGEUP, 0x7d),
    KE(DELETE, 0x71),
    KE(END, 0x69),
    KE(PAGEDOWN, 0x7a),
    KE(UP, 0x75),
    KE(LEFT, 0x6b),
    KE(DOWN, 0x72),
    KE(RIGHT, 0x74),

    /* The numeric keypad. */
    K(NUMLOCKCLEAR, 0x77),
    KE(KP_DIVIDE, 0x4a),
    K(KP_MULTIPLY, 0x7c),
    K(KP_MINUS, 0x7b),
    K(KP_7, 0x6c),
    K(KP_8, 0x75),
    K(KP_9, 0x7d),
    K(KP_PLUS, 0x79),
    K(KP_4, 0x6b),
    K(KP_5, 0x73),
    K(KP_6, 0x74),
    K(KP_1, 0x69),
    K(KP_2, 0x72),
    K(KP_3, 0x7a),
    KE(KP_ENTER, 0x5a),
    K(KP_0, 0x70),
    K(KP_PERIOD, 0x71),

    /* Japanese 106/109-key keyboards: Ro, Katakana/Hiragana, Yen, Henkan, Muhenkan. */
    K(INTERNATIONAL1, 0x51),
    K(INTERNATIONAL2, 0x13),
    K(INTERNATIONAL3, 0x6a),
    K(INTERNATIONAL4, 0x64),
    K(INTERNATIONAL5, 0x67),

    /* ACPI power keys and the consumer (multimedia) keys. */
    KE(POWER, 0x37),
    KE(SLEEP, 0x3f),
    KE(MUTE, 0x23),
    KE(VOLUMEUP, 0x32),
    KE(VOLUMEDOWN, 0x21),
    KE(AUDIONEXT, 0x4d),
    KE(AUDIOPREV, 0x15),
    KE(AUDIOSTOP, 0x3b),
    KE(AUDIOPLAY, 0x34),
};

bool keymap_lookup(unsigned scancode, struct keymap_key *key)
{
    if (scancode >= KEYMAP_SIZE || !keymap[scancode].code)
        return false;
    *key = keymap[scancode];
    return true;
}
