/*
 * The PC/AT keyboard controller (Intel 8042 running the IBM keyboard
 * controller firmware, with the PS/2 auxiliary-device port) at ports 0x60
 * (data) and 0x64 (status/command), with a PS/2 keyboard and a PS/2 mouse
 * attached (ps2.h). It raises IRQ 1 for keyboard bytes and IRQ 12 for
 * mouse bytes, and drives two system lines through callbacks: the A20 gate
 * and the CPU reset (output port bits 1 and 0).
 */
#ifndef POPEK_DEVICES_I8042_H
#define POPEK_DEVICES_I8042_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/ps2.h"

struct machine;
struct irq_line;

#define I8042_DATA_PORT    0x60
#define I8042_COMMAND_PORT 0x64 /* reads: status */

/* The board's side of the output port. Any callback (or cb itself) may be NULL. */
struct i8042_callbacks {
    void (*set_a20)(void *opaque, bool on); /* output port bit 1 written (D1, DD, DF) */
    void (*reset)(void *opaque);            /* output port bit 0 pulsed or written low */
    void *opaque;
};

/*
 * Create the controller with its keyboard and mouse and claim ports 0x60
 * and 0x64 on m->io. irq1/irq12 are copied; either may be NULL (no line).
 * Returns NULL when the ports are taken.
 */
struct i8042 *i8042_create(struct machine *m, const struct irq_line *irq1,
                           const struct irq_line *irq12, const struct i8042_callbacks *cb);
void i8042_destroy(struct i8042 *s);

/* Power-on state of the controller, keyboard and mouse (A20 is not announced). */
void i8042_reset(struct i8042 *s);

/* Host input (the frontend): see ps2_kbd_key() and ps2_mouse_event() for the conventions. */
void i8042_key(struct i8042 *s, uint8_t code, bool extended, bool down);
void i8042_mouse(struct i8042 *s, int dx, int dy, int dz, unsigned buttons);

/* The keyboard LEDs the guest last set (PS2_LED_*), for the frontend to show. */
uint8_t i8042_leds(struct i8042 *s);

/* The attached devices, for inspection (tests, a status display). */
struct ps2_kbd *i8042_keyboard(struct i8042 *s);
struct ps2_mouse *i8042_aux(struct i8042 *s);

#endif
