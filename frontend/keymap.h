/*
 * Host keys to guest keys: SDL scancodes (USB HID usage positions, so the
 * mapping is by key position, whatever the host's layout) to PS/2 scan
 * code set 2 make codes, as i8042_key() takes them: a code, the E0
 * "extended" flag, PS2_KEY_PAUSE for Pause and E0 7C for Print Screen (the
 * keyboard model turns those two into their special sequences).
 */
#ifndef POPEK_FRONTEND_KEYMAP_H
#define POPEK_FRONTEND_KEYMAP_H

#include <stdbool.h>
#include <stdint.h>

struct keymap_key {
    uint8_t code;  /* set-2 make code; 0: the PC keyboard has no such key */
    bool extended; /* sent with the E0 prefix */
};

/* Scancodes are below this (SDL_NUM_SCANCODES). */
#define KEYMAP_SIZE 512

/* The guest key at SDL scancode `scancode`; false when there is none. */
bool keymap_lookup(unsigned scancode, struct keymap_key *key);

#endif
