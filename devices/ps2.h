/*
 * PS/2 keyboard (an IBM MF-II keyboard: 16-byte buffer, scan code sets 1, 2
 * and 3) and PS/2 mouse (IBM PS/2 mouse protocol with the Microsoft
 * IntelliMouse wheel and IntelliMouse Explorer 5-button extensions). Each
 * device has its own output queue; the keyboard controller (i8042.c)
 * delivers host bytes with ps2_*_write() and takes device bytes with
 * ps2_*_read() when its output buffer is free. A device calls `notify`
 * whenever it has queued bytes, so the controller can fetch them.
 *
 * The host side (the frontend) feeds key and pointer events through the
 * controller: i8042_key() and i8042_mouse().
 */
#ifndef POPEK_DEVICES_PS2_H
#define POPEK_DEVICES_PS2_H

#include <stdbool.h>
#include <stdint.h>

struct ps2_kbd;
struct ps2_mouse;

/*
 * Host key codes are set-2 make codes plus an "extended" flag for the E0
 * prefix. The Pause key, which has no single make code (its set-2 make
 * sequence is E1 14 77 E1 F0 14 F0 77), is passed as PS2_KEY_PAUSE.
 * Print Screen is E0 7C, SysRq (Alt+Print Screen) may also be sent as 84.
 */
#define PS2_KEY_PAUSE 0xe1

/* Keyboard LEDs, as the Set LEDs (ED) command argument lays them out. */
#define PS2_LED_SCROLL_LOCK 0x01
#define PS2_LED_NUM_LOCK    0x02
#define PS2_LED_CAPS_LOCK   0x04

/* Host mouse buttons (bit order of the PS/2 packet's first byte, then 4 and 5). */
#define PS2_BUTTON_LEFT   0x01
#define PS2_BUTTON_RIGHT  0x02
#define PS2_BUTTON_MIDDLE 0x04
#define PS2_BUTTON_4      0x08
#define PS2_BUTTON_5      0x10

struct ps2_kbd *ps2_kbd_create(void (*notify)(void *opaque), void *opaque);
void ps2_kbd_destroy(struct ps2_kbd *k);
/* Power-on state: set 2, scanning, LEDs off, default typematic, empty queue. */
void ps2_kbd_reset(struct ps2_kbd *k);
/* A byte from the host (controller) to the keyboard: a command or its argument. */
void ps2_kbd_write(struct ps2_kbd *k, uint8_t byte);
bool ps2_kbd_has_data(const struct ps2_kbd *k);
/* The next byte for the host; -1 when the queue is empty. */
int ps2_kbd_read(struct ps2_kbd *k);
/* A key went down or up: queue its code in the keyboard's current scan code set. */
void ps2_kbd_key(struct ps2_kbd *k, uint8_t code, bool extended, bool down);
uint8_t ps2_kbd_leds(const struct ps2_kbd *k);      /* PS2_LED_* */
uint8_t ps2_kbd_typematic(const struct ps2_kbd *k); /* last F3 argument */
unsigned ps2_kbd_scancode_set(const struct ps2_kbd *k);

struct ps2_mouse *ps2_mouse_create(void (*notify)(void *opaque), void *opaque);
void ps2_mouse_destroy(struct ps2_mouse *m);
/* Power-on state: ID 0, stream mode, reporting disabled, 100 samples/s, 4 counts/mm. */
void ps2_mouse_reset(struct ps2_mouse *m);
void ps2_mouse_write(struct ps2_mouse *m, uint8_t byte);
bool ps2_mouse_has_data(const struct ps2_mouse *m);
int ps2_mouse_read(struct ps2_mouse *m);
/*
 * Pointer motion and the buttons now held (PS2_BUTTON_*): dx positive is
 * right, dy positive is down (host screen direction; the mouse reports it
 * negated, as PS/2 counts up as positive), dz positive is the wheel turned
 * towards the user (scrolled down), as the IntelliMouse reports it.
 */
void ps2_mouse_event(struct ps2_mouse *m, int dx, int dy, int dz, unsigned buttons);
uint8_t ps2_mouse_id(const struct ps2_mouse *m); /* 0, 3 (wheel) or 4 (wheel, 5 buttons) */

/*
 * The 8042's set 2 -> set 1 translation of one keyboard byte (Brouwer,
 * "Keyboard scancodes" section 9.3): F0 is swallowed (returns -1) and sets
 * *brk, which ORs 0x80 into the next translated byte.
 */
int ps2_translate(bool *brk, uint8_t byte);

#endif
