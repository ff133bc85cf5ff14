/*
 * The keyboard controller (see i8042.h). Sources: IBM Personal System/2
 * Hardware Interface Technical Reference, "Keyboard and Auxiliary Device
 * Controller" (status register, command byte, commands 20-FF, input and
 * output ports); IBM PC/AT Technical Reference, "Keyboard Controller";
 * A. Brouwer, "Keyboard scancodes" section 9.3 (translation).
 *
 * One output buffer serves both devices. Controller replies go first; then,
 * with the keyboard first, bytes waiting in an enabled device's queue move
 * in, one at a time, when the buffer is empty. After the guest reads a
 * byte the next device byte follows a PS/2 byte time later, as on real
 * hardware: an interrupt handler that reads port 0x60 twice (a common DOS
 * idiom when chaining INT 9) sees the same byte twice, and every byte gets
 * its own interrupt edge.
 */
#include "devices/i8042.h"

#include <glib.h>
#include <string.h>

#include "devices/ps2.h"
#include "machine/irq.h"
#include "machine/machine.h"

/* Status register, port 0x64 read (PS/2 HITR, "Status Register"). */
#define STAT_OBF     0x01 /* output buffer full */
#define STAT_IBF     0x02 /* input buffer full: never, writes are taken at once */
#define STAT_SYS     0x04 /* system flag: command byte bit 2 */
#define STAT_CMD     0x08 /* the last write was to port 0x64 */
#define STAT_INHIBIT 0x10 /* 1: keyboard not inhibited by the keylock */
#define STAT_AUX_OBF 0x20 /* the output buffer byte is from the auxiliary device */

/* Command byte, controller RAM byte 0 ("Command Byte"). */
#define CB_KBD_INT  0x01 /* IRQ 1 when a keyboard byte is in the output buffer */
#define CB_AUX_INT  0x02 /* IRQ 12 when an auxiliary byte is */
#define CB_SYS      0x04 /* system flag */
#define CB_KBD_DIS  0x10 /* keyboard interface disabled (clock held low) */
#define CB_AUX_DIS  0x20 /* auxiliary interface disabled */
#define CB_XLATE    0x40 /* translate keyboard set 2 to set 1 */
#define CB_POWER_ON (CB_KBD_INT | CB_AUX_INT | CB_XLATE)

/* Controller commands, port 0x64 write ("Commands"). */
#define CMD_READ_RAM        0x20 /* 20-3F: RAM byte (cmd & 1F) */
#define CMD_READ_RAM_LAST   0x3f
#define CMD_WRITE_RAM       0x60 /* 60-7F: next data byte to RAM byte (cmd & 1F) */
#define CMD_WRITE_RAM_LAST  0x7f
#define CMD_PASSWORD_CHECK  0xa4
#define CMD_PASSWORD_LOAD   0xa5
#define CMD_PASSWORD_ENABLE 0xa6
#define CMD_AUX_DISABLE     0xa7
#define CMD_AUX_ENABLE      0xa8
#define CMD_AUX_TEST        0xa9
#define CMD_SELF_TEST       0xaa
#define CMD_KBD_TEST        0xab
#define CMD_KBD_DISABLE     0xad
#define CMD_KBD_ENABLE      0xae
#define CMD_READ_INPUT      0xc0
#define CMD_READ_OUTPUT     0xd0
#define CMD_WRITE_OUTPUT    0xd1
#define CMD_WRITE_KBD_OB    0xd2 /* next data byte appears as from the keyboard */
#define CMD_WRITE_AUX_OB    0xd3 /* ... as from the auxiliary device */
#define CMD_WRITE_AUX       0xd4 /* next data byte goes to the auxiliary device */
#define CMD_A20_DISABLE     0xdd /* not IBM: HP Vectra and most AT clones */
#define CMD_A20_ENABLE      0xdf
#define CMD_READ_TEST       0xe0
#define CMD_PULSE           0xf0 /* F0-FF: pulse output port bits 0-3 that are 0 in the command */

#define REPLY_SELF_TEST_OK 0x55
#define REPLY_INTERFACE_OK 0x00
#define REPLY_NO_PASSWORD  0xf1

/* Output port (D0/D1). */
#define OUT_RESET    0x01 /* 0: CPU reset */
#define OUT_A20      0x02 /* A20 gate */
#define OUT_KBD_OBF  0x10 /* output buffer full (IRQ 1) */
#define OUT_AUX_OBF  0x20 /* auxiliary output buffer full (IRQ 12) */
#define OUT_POWER_ON 0xcf /* running, A20 on, clock and data lines idle high */

/* Input port (C0): keyboard not inhibited, no manufacturing jumper, colour display. */
#define INPUT_PORT 0xb0

/* Test inputs (E0): keyboard clock (T0) and auxiliary clock (T1), high when not held. */
#define TEST_KBD_CLOCK 0x01
#define TEST_AUX_CLOCK 0x02

/* One PS/2 byte (11 bits at 10-16.7 kHz, rounded down): the gap between device bytes. */
#define BYTE_GAP_NS 500000u

#define REPLY_QUEUE_SIZE 8

struct i8042 {
    struct machine *m;
    struct irq_line irq1;  /* keyboard interrupt */
    struct irq_line irq12; /* auxiliary-device interrupt */
    struct i8042_callbacks cb;
    struct ps2_kbd *kbd;
    struct ps2_mouse *mouse;
    uint8_t ram[32];   /* controller RAM; byte 0 is the command byte */
    uint8_t ob;        /* output buffer: port 0x60 reads (kept after it is read) */
    bool ob_full;      /* status OBF */
    bool ob_aux;       /* the byte in ob is from the auxiliary device */
    bool last_was_cmd; /* status bit 3 */
    uint8_t pending;   /* command awaiting its byte at port 0x60, 0 if none */
    uint8_t outport;   /* output port (bits 4 and 5 are computed on read) */
    bool xlat_brk;     /* translation: an F0 was swallowed, OR 0x80 into the next byte */
    uint8_t reply[REPLY_QUEUE_SIZE];  /* controller bytes for the output buffer */
    bool reply_aux[REPLY_QUEUE_SIZE]; /* ... each as from the keyboard or the aux device */
    unsigned reply_head, reply_count;
    struct vtimer gap;           /* armed after a read: device bytes wait for it */
    int irq1_level, irq12_level; /* what the lines were last set to */
};

static void i8042_update_irq(struct i8042 *s)
{
    int kbd = s->ob_full && !s->ob_aux && (s->ram[0] & CB_KBD_INT);
    int aux = s->ob_full && s->ob_aux && (s->ram[0] & CB_AUX_INT);
    if (kbd != s->irq1_level) {
        s->irq1_level = kbd;
        irq_set(&s->irq1, kbd);
    }
    if (aux != s->irq12_level) {
        s->irq12_level = aux;
        irq_set(&s->irq12, aux);
    }
}

static void i8042_load_ob(struct i8042 *s, uint8_t byte, bool aux)
{
    s->ob = byte;
    s->ob_full = true;
    s->ob_aux = aux;
}

/* The next keyboard byte, translated to set 1 when the command byte says so. */
static bool i8042_take_kbd(struct i8042 *s)
{
    int byte;
    if (s->ram[0] & CB_KBD_DIS)
        return false;
    while ((byte = ps2_kbd_read(s->kbd)) >= 0) {
        if (s->ram[0] & CB_XLATE)
            byte = ps2_translate(&s->xlat_brk, byte);
        if (byte >= 0) {
            i8042_load_ob(s, byte, false);
            return true;
        }
    }
    return false;
}

static bool i8042_take_aux(struct i8042 *s)
{
    if (s->ram[0] & CB_AUX_DIS)
        return false;
    int byte = ps2_mouse_read(s->mouse);
    if (byte < 0)
        return false;
    i8042_load_ob(s, byte, true);
    return true;
}

/* Fill an empty output buffer: controller replies, then keyboard, then mouse bytes. */
static void i8042_fill(struct i8042 *s)
{
    if (!s->ob_full && s->reply_count) {
        i8042_load_ob(s, s->reply[s->reply_head], s->reply_aux[s->reply_head]);
        s->reply_head = (s->reply_head + 1) % REPLY_QUEUE_SIZE;
        s->reply_count--;
    } else if (!s->ob_full && !vtimer_armed(&s->gap)) {
        if (!i8042_take_kbd(s))
            i8042_take_aux(s);
    }
    i8042_update_irq(s);
}

static void i8042_reply(struct i8042 *s, uint8_t byte, bool aux)
{
    if (s->reply_count == REPLY_QUEUE_SIZE)
        return; /* a guest issuing commands without reading: the oldest stand */
    unsigned tail = (s->reply_head + s->reply_count) % REPLY_QUEUE_SIZE;
    s->reply[tail] = byte;
    s->reply_aux[tail] = aux;
    s->reply_count++;
}

static void i8042_gap_done(void *opaque)
{
    i8042_fill(opaque);
}

static void i8042_device_ready(void *opaque)
{
    i8042_fill(opaque);
}

/* The controller's own state after power-on or a self test. */
static void i8042_controller_init(struct i8042 *s, uint8_t command_byte)
{
    s->ram[0] = command_byte;
    s->ob_full = false;
    s->pending = 0;
    s->xlat_brk = false;
    s->reply_head = s->reply_count = 0;
    i8042_update_irq(s);
}

void i8042_reset(struct i8042 *s)
{
    vtimer_cancel(&s->m->clock, &s->gap);
    memset(s->ram, 0, sizeof(s->ram));
    s->ob = 0;
    s->ob_aux = false;
    s->last_was_cmd = false;
    s->outport = OUT_POWER_ON;
    ps2_kbd_reset(s->kbd);
    ps2_mouse_reset(s->mouse);
    i8042_controller_init(s, CB_POWER_ON);
}

static void i8042_write_command_byte(struct i8042 *s, uint8_t value)
{
    if ((value ^ s->ram[0]) & CB_XLATE)
        s->xlat_brk = false;
    s->ram[0] = value;
}

static uint8_t i8042_read_outport(const struct i8042 *s)
{
    uint8_t v = s->outport & ~(OUT_KBD_OBF | OUT_AUX_OBF);
    if (s->ob_full)
        v |= s->ob_aux ? OUT_AUX_OBF : OUT_KBD_OBF;
    return v;
}

static void i8042_set_a20(struct i8042 *s, bool on)
{
    s->outport = on ? s->outport | OUT_A20 : s->outport & ~OUT_A20;
    if (s->cb.set_a20)
        s->cb.set_a20(s->cb.opaque, on);
}

/* Called last in a port write: the board may reset the machine, this controller included. */
static void i8042_system_reset(struct i8042 *s)
{
    if (s->cb.reset)
        s->cb.reset(s->cb.opaque);
}

static uint8_t i8042_status(const struct i8042 *s)
{
    uint8_t st = STAT_INHIBIT;
    if (s->ob_full)
        st |= s->ob_aux ? STAT_OBF | STAT_AUX_OBF : STAT_OBF;
    if (s->ram[0] & CB_SYS)
        st |= STAT_SYS;
    if (s->last_was_cmd)
        st |= STAT_CMD;
    return st;
}

static uint32_t i8042_read(struct i8042 *s, uint16_t port)
{
    uint8_t v;
    switch (port) {
    case I8042_DATA_PORT:
        v = s->ob;
        if (s->ob_full) {
            s->ob_full = false;
            i8042_update_irq(s); /* the line drops, so the next byte is a new edge */
            vtimer_arm(&s->m->clock, &s->gap, vclock_now(&s->m->clock) + BYTE_GAP_NS);
            i8042_fill(s);
        }
        return v;
    case I8042_COMMAND_PORT:
        return i8042_status(s);
    }
    return 0xff;
}

/* A byte at port 0x60: the data of the pending command, else a keyboard command. */
static void i8042_write_data(struct i8042 *s, uint8_t value)
{
    uint8_t cmd = s->pending;
    bool reset = false;
    s->last_was_cmd = false;
    s->pending = 0;
    if (cmd >= CMD_WRITE_RAM && cmd <= CMD_WRITE_RAM_LAST) {
        if ((cmd & 0x1f) == 0)
            i8042_write_command_byte(s, value);
        else
            s->ram[cmd & 0x1f] = value;
    }
    switch (cmd) {
    case 0: /* to the keyboard; sending re-enables its interface */
        s->ram[0] &= ~CB_KBD_DIS;
        ps2_kbd_write(s->kbd, value);
        break;
    case CMD_WRITE_OUTPUT: /* bit 0 low resets the CPU: taken as a pulse, it stays high */
        s->outport = value | OUT_RESET;
        i8042_set_a20(s, value & OUT_A20);
        reset = !(value & OUT_RESET);
        break;
    case CMD_WRITE_KBD_OB:
    case CMD_WRITE_AUX_OB:
        i8042_reply(s, value, cmd == CMD_WRITE_AUX_OB);
        break;
    case CMD_WRITE_AUX: /* to the mouse; sending re-enables its interface */
        s->ram[0] &= ~CB_AUX_DIS;
        ps2_mouse_write(s->mouse, value);
        break;
    case CMD_PASSWORD_LOAD: /* password bytes up to a 0; no password is kept */
        s->pending = value ? cmd : 0;
        break;
    }
    i8042_fill(s);
    if (reset)
        i8042_system_reset(s);
}

static void i8042_write_command(struct i8042 *s, uint8_t cmd)
{
    s->last_was_cmd = true;
    s->pending = 0;
    if (cmd >= CMD_READ_RAM && cmd <= CMD_READ_RAM_LAST)
        i8042_reply(s, s->ram[cmd & 0x1f], false);
    else if (cmd >= CMD_WRITE_RAM && cmd <= CMD_WRITE_RAM_LAST)
        s->pending = cmd;
    switch (cmd) {
    case CMD_PASSWORD_CHECK:
        i8042_reply(s, REPLY_NO_PASSWORD, false);
        break;
    case CMD_PASSWORD_LOAD:
    case CMD_WRITE_OUTPUT:
    case CMD_WRITE_KBD_OB:
    case CMD_WRITE_AUX_OB:
    case CMD_WRITE_AUX:
        s->pending = cmd;
        break;
    case CMD_AUX_DISABLE:
        s->ram[0] |= CB_AUX_DIS;
        break;
    case CMD_AUX_ENABLE:
        s->ram[0] &= ~CB_AUX_DIS;
        break;
    case CMD_AUX_TEST:
    case CMD_KBD_TEST:
        i8042_reply(s, REPLY_INTERFACE_OK, false);
        break;
    case CMD_SELF_TEST: /* the firmware restarts: power-on command byte, self test passed */
        i8042_controller_init(s, CB_POWER_ON | CB_SYS);
        i8042_reply(s, REPLY_SELF_TEST_OK, false);
        break;
    case CMD_KBD_DISABLE:
        s->ram[0] |= CB_KBD_DIS;
        break;
    case CMD_KBD_ENABLE:
        s->ram[0] &= ~CB_KBD_DIS;
        break;
    case CMD_READ_INPUT:
        i8042_reply(s, INPUT_PORT, false);
        break;
    case CMD_READ_OUTPUT:
        i8042_reply(s, i8042_read_outport(s), false);
        break;
    case CMD_A20_DISABLE:
    case CMD_A20_ENABLE:
        i8042_set_a20(s, cmd == CMD_A20_ENABLE);
        break;
    case CMD_READ_TEST:
        i8042_reply(s,
                    ((s->ram[0] & CB_KBD_DIS) ? 0 : TEST_KBD_CLOCK) |
                        ((s->ram[0] & CB_AUX_DIS) ? 0 : TEST_AUX_CLOCK),
                    false);
        break;
    }
    i8042_fill(s);
    if (cmd >= CMD_PULSE && !(cmd & OUT_RESET))
        i8042_system_reset(s);
}

static uint32_t i8042_data_read(void *opaque, uint16_t offset, unsigned size)
{
    return i8042_read(opaque, I8042_DATA_PORT);
}

static void i8042_data_write(void *opaque, uint16_t offset, uint32_t value, unsigned size)
{
    i8042_write_data(opaque, value);
}

static uint32_t i8042_command_read(void *opaque, uint16_t offset, unsigned size)
{
    return i8042_read(opaque, I8042_COMMAND_PORT);
}

static void i8042_command_write(void *opaque, uint16_t offset, uint32_t value, unsigned size)
{
    i8042_write_command(opaque, value);
}

static const struct io_ops i8042_data_ops = {i8042_data_read, i8042_data_write, 0};
static const struct io_ops i8042_command_ops = {i8042_command_read, i8042_command_write, 0};

void i8042_key(struct i8042 *s, uint8_t code, bool extended, bool down)
{
    ps2_kbd_key(s->kbd, code, extended, down);
}

void i8042_mouse(struct i8042 *s, int dx, int dy, int dz, unsigned buttons)
{
    ps2_mouse_event(s->mouse, dx, dy, dz, buttons);
}

uint8_t i8042_leds(struct i8042 *s)
{
    return ps2_kbd_leds(s->kbd);
}

struct ps2_kbd *i8042_keyboard(struct i8042 *s)
{
    return s->kbd;
}

struct ps2_mouse *i8042_aux(struct i8042 *s)
{
    return s->mouse;
}

struct i8042 *i8042_create(struct machine *m, const struct irq_line *irq1,
                           const struct irq_line *irq12, const struct i8042_callbacks *cb)
{
    struct i8042 *s = g_new0(struct i8042, 1);
    s->m = m;
    if (irq1)
        s->irq1 = *irq1;
    if (irq12)
        s->irq12 = *irq12;
    if (cb)
        s->cb = *cb;
    s->kbd = ps2_kbd_create(i8042_device_ready, s);
    s->mouse = ps2_mouse_create(i8042_device_ready, s);
    vtimer_init(&s->gap, i8042_gap_done, s);
    i8042_reset(s);
    if (iobus_register(&m->io, "i8042", I8042_DATA_PORT, 1, &i8042_data_ops, s) < 0)
        goto fail;
    if (iobus_register(&m->io, "i8042", I8042_COMMAND_PORT, 1, &i8042_command_ops, s) < 0) {
        iobus_unregister(&m->io, I8042_DATA_PORT);
        goto fail;
    }
    return s;
fail:
    ps2_mouse_destroy(s->mouse);
    ps2_kbd_destroy(s->kbd);
    g_free(s);
    return NULL;
}

void i8042_destroy(struct i8042 *s)
{
    if (!s)
        return;
    vtimer_cancel(&s->m->clock, &s->gap);
    iobus_unregister(&s->m->io, I8042_DATA_PORT);
    iobus_unregister(&s->m->io, I8042_COMMAND_PORT);
    ps2_mouse_destroy(s->mouse);
    ps2_kbd_destroy(s->kbd);
    g_free(s);
}
