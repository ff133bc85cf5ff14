/*
 * The keyboard controller with its PS/2 keyboard and mouse, driven through
 * ports 0x60/0x64 as a guest drives them: controller commands, the command
 * byte, keyboard and mouse commands and replies, set 2 -> set 1
 * translation, IRQ 1 and IRQ 12, the output port (A20, reset), held and
 * overflowing devices, and a hostile guest writing anything.
 */
#include <glib.h>
#include <limits.h>

#include "devices/i8042.h"
#include "devices/ps2.h"
#include "machine/irq.h"
#include "machine/machine.h"

#define DATA 0x60
#define CMD  0x64

#define ST_OBF 0x01
#define ST_IBF 0x02
#define ST_SYS 0x04
#define ST_CMD 0x08
#define ST_AUX 0x20

struct irq_rec {
    int level;
    unsigned rises;
};

struct fx {
    struct machine m;
    struct i8042 *k;
    struct irq_rec irq1, irq12;
    unsigned a20_calls;
    bool a20;
    unsigned resets;
};

static void rec_set(void *opaque, unsigned n, int level)
{
    struct irq_rec *r = opaque;
    if (level && !r->level)
        r->rises++;
    r->level = level;
}

static void cb_a20(void *opaque, bool on)
{
    struct fx *f = opaque;
    f->a20_calls++;
    f->a20 = on;
}

static void cb_reset(void *opaque)
{
    struct fx *f = opaque;
    f->resets++;
}

static struct fx *fx_new(void)
{
    struct fx *f = g_new0(struct fx, 1);
    g_assert_cmpint(
        machine_init(&f->m, &(struct machine_config){.ram_mb = 1, .manual_clock = true}), ==, 0);
    struct irq_line l1 = {rec_set, &f->irq1, 1}, l12 = {rec_set, &f->irq12, 12};
    struct i8042_callbacks cb = {cb_a20, cb_reset, f};
    f->k = i8042_create(&f->m, &l1, &l12, &cb);
    g_assert_nonnull(f->k);
    return f;
}

static void fx_free(struct fx *f)
{
    i8042_destroy(f->k);
    machine_destroy(&f->m);
    g_free(f);
}

static uint8_t status(struct fx *f)
{
    return iobus_read(&f->m.io, CMD, 1);
}

static void cmd(struct fx *f, uint8_t v)
{
    iobus_write(&f->m.io, CMD, v, 1);
}

static void data(struct fx *f, uint8_t v)
{
    iobus_write(&f->m.io, DATA, v, 1);
}

static void cmd_data(struct fx *f, uint8_t c, uint8_t v)
{
    cmd(f, c);
    data(f, v);
}

/* Poll the status register as a guest would, for up to 10 ms of virtual time. */
static bool wait_obf(struct fx *f)
{
    for (int i = 0; i < 100; i++) {
        if (status(f) & ST_OBF)
            return true;
        vclock_advance(&f->m.clock, 100000);
    }
    return false;
}

static uint8_t read_kbd(struct fx *f)
{
    g_assert_true(wait_obf(f));
    g_assert_cmphex(status(f) & ST_AUX, ==, 0);
    return iobus_read(&f->m.io, DATA, 1);
}

static uint8_t read_aux(struct fx *f)
{
    g_assert_true(wait_obf(f));
    g_assert_cmphex(status(f) & ST_AUX, ==, ST_AUX);
    return iobus_read(&f->m.io, DATA, 1);
}

static void expect_empty(struct fx *f)
{
    vclock_advance(&f->m.clock, 10000000);
    g_assert_cmphex(status(f) & ST_OBF, ==, 0);
}

static void expect_kbd(struct fx *f, const uint8_t *bytes, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        g_assert_cmphex(read_kbd(f), ==, bytes[i]);
    expect_empty(f);
}

static void expect_aux(struct fx *f, const uint8_t *bytes, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        g_assert_cmphex(read_aux(f), ==, bytes[i]);
    expect_empty(f);
}

#define EXPECT_KBD(f, ...)                                                                         \
    expect_kbd(f, (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))
#define EXPECT_AUX(f, ...)                                                                         \
    expect_aux(f, (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

static uint8_t command_byte(struct fx *f)
{
    cmd(f, 0x20);
    return read_kbd(f);
}

static void set_command_byte(struct fx *f, uint8_t v)
{
    cmd_data(f, 0x60, v);
    g_assert_cmphex(command_byte(f), ==, v);
    expect_empty(f);
}

static void aux(struct fx *f, uint8_t v)
{
    cmd_data(f, 0xd4, v);
}

static void test_self_test(void)
{
    struct fx *f = fx_new();
    g_assert_cmphex(status(f) & (ST_OBF | ST_IBF | ST_SYS), ==, 0);
    set_command_byte(f, 0x30);
    cmd(f, 0xaa);
    g_assert_cmphex(status(f) & ST_CMD, ==, ST_CMD);
    EXPECT_KBD(f, 0x55);
    g_assert_cmphex(status(f) & ST_SYS, ==, ST_SYS);
    /* The self test reinitialises the command byte: interrupts, translation, system flag. */
    g_assert_cmphex(command_byte(f), ==, 0x47);
    cmd(f, 0xab); /* keyboard interface test */
    EXPECT_KBD(f, 0x00);
    cmd(f, 0xa9); /* aux interface test */
    EXPECT_KBD(f, 0x00);
    cmd(f, 0xa4); /* no password installed */
    EXPECT_KBD(f, 0xf1);
    fx_free(f);
}

static void test_command_byte(void)
{
    struct fx *f = fx_new();
    g_assert_cmphex(command_byte(f), ==, 0x43); /* power-on value */
    set_command_byte(f, 0x65);
    g_assert_cmphex(status(f) & ST_SYS, ==, ST_SYS);
    g_assert_cmphex(status(f) & ST_CMD, ==, ST_CMD); /* the 0x20 was the last write */
    set_command_byte(f, 0x20);
    g_assert_cmphex(status(f) & ST_SYS, ==, 0);
    /* Other RAM bytes: 61-7F write, 21-3F read. */
    cmd_data(f, 0x7f, 0xa5);
    g_assert_cmphex(status(f) & ST_CMD, ==, 0); /* the data write was last */
    cmd_data(f, 0x61, 0x5a);
    cmd(f, 0x3f);
    EXPECT_KBD(f, 0xa5);
    cmd(f, 0x21);
    EXPECT_KBD(f, 0x5a);
    g_assert_cmphex(command_byte(f), ==, 0x20);
    /* AD/AE and A7/A8 set and clear the disable bits. */
    cmd(f, 0xad);
    cmd(f, 0xa7);
    g_assert_cmphex(command_byte(f), ==, 0x30);
    cmd(f, 0xe0); /* test inputs: both clocks held low */
    EXPECT_KBD(f, 0x00);
    cmd(f, 0xae);
    cmd(f, 0xa8);
    g_assert_cmphex(command_byte(f), ==, 0x00);
    cmd(f, 0xe0);
    EXPECT_KBD(f, 0x03);
    fx_free(f);
}

static void test_kbd_reset_identify_echo(void)
{
    struct fx *f = fx_new();
    set_command_byte(f, 0x00); /* untranslated */
    data(f, 0xf0);
    data(f, 0x03);
    EXPECT_KBD(f, 0xfa, 0xfa);
    data(f, 0xff);
    EXPECT_KBD(f, 0xfa, 0xaa);
    g_assert_cmpuint(ps2_kbd_scancode_set(i8042_keyboard(f->k)), ==, 2);
    data(f, 0xf2);
    EXPECT_KBD(f, 0xfa, 0xab, 0x83);
    data(f, 0xfe); /* resend: the last byte again */
    EXPECT_KBD(f, 0x83);
    data(f, 0xee);
    EXPECT_KBD(f, 0xee);
    data(f, 0x01); /* not a command */
    EXPECT_KBD(f, 0xfe);
    /* Translated, the identify reply reads AB 41 (Brouwer 9.3, "Keyboard IDs"). */
    set_command_byte(f, 0x40);
    data(f, 0xf2);
    EXPECT_KBD(f, 0xfa, 0xab, 0x41);
    fx_free(f);
}

static void test_leds_typematic(void)
{
    struct fx *f = fx_new();
    data(f, 0xed);
    EXPECT_KBD(f, 0xfa);
    data(f, 0x07);
    EXPECT_KBD(f, 0xfa);
    g_assert_cmphex(i8042_leds(f->k), ==,
                    PS2_LED_SCROLL_LOCK | PS2_LED_NUM_LOCK | PS2_LED_CAPS_LOCK);
    data(f, 0xed);
    data(f, 0x02);
    EXPECT_KBD(f, 0xfa, 0xfa);
    g_assert_cmphex(i8042_leds(f->k), ==, PS2_LED_NUM_LOCK);
    /* A command where the argument belongs ends Set LEDs and runs. */
    data(f, 0xed);
    data(f, 0xee);
    EXPECT_KBD(f, 0xfa, 0xee);
    g_assert_cmphex(i8042_leds(f->k), ==, PS2_LED_NUM_LOCK);
    data(f, 0xf3);
    data(f, 0x45);
    EXPECT_KBD(f, 0xfa, 0xfa);
    g_assert_cmphex(ps2_kbd_typematic(i8042_keyboard(f->k)), ==, 0x45);
    data(f, 0xf6); /* defaults: typematic back to 10.9 cps / 500 ms, LEDs kept */
    EXPECT_KBD(f, 0xfa);
    g_assert_cmphex(ps2_kbd_typematic(i8042_keyboard(f->k)), ==, 0x2b);
    g_assert_cmphex(i8042_leds(f->k), ==, PS2_LED_NUM_LOCK);
    data(f, 0xff);
    EXPECT_KBD(f, 0xfa, 0xaa);
    g_assert_cmphex(i8042_leds(f->k), ==, 0);
    fx_free(f);
}

static void test_scancode_sets(void)
{
    struct fx *f = fx_new();
    set_command_byte(f, 0x00);
    data(f, 0xf0);
    data(f, 0x00); /* both bytes are acknowledged, then the set follows */
    EXPECT_KBD(f, 0xfa, 0xfa, 0x02);
    data(f, 0xf0);
    data(f, 0x07); /* no such set */
    EXPECT_KBD(f, 0xfa, 0xfe);
    data(f, 0x01); /* the resent argument */
    EXPECT_KBD(f, 0xfa);
    data(f, 0xf0);
    data(f, 0x00);
    EXPECT_KBD(f, 0xfa, 0xfa, 0x01);
    i8042_key(f->k, 0x1c, false, true); /* 'A' in set 1 */
    i8042_key(f->k, 0x1c, false, false);
    EXPECT_KBD(f, 0x1e, 0x9e);
    i8042_key(f->k, 0x14, true, false); /* right Ctrl up */
    EXPECT_KBD(f, 0xe0, 0x9d);

    data(f, 0xf0);
    data(f, 0x03);
    EXPECT_KBD(f, 0xfa, 0xfa);
    i8042_key(f->k, 0x1c, false, true); /* set 3: 'A' is make-only by default */
    i8042_key(f->k, 0x1c, false, false);
    i8042_key(f->k, 0x12, false, true); /* left Shift sends its break */
    i8042_key(f->k, 0x12, false, false);
    i8042_key(f->k, 0x58, false, true);          /* Caps Lock is 14 in set 3 */
    i8042_key(f->k, 0x75, true, true);           /* Up is 63 */
    i8042_key(f->k, PS2_KEY_PAUSE, false, true); /* Pause is 62 */
    EXPECT_KBD(f, 0x1c, 0x12, 0xf0, 0x12, 0x14, 0x63, 0x62);
    data(f, 0xf8); /* all keys make/break */
    EXPECT_KBD(f, 0xfa);
    i8042_key(f->k, 0x1c, false, false);
    EXPECT_KBD(f, 0xf0, 0x1c);
    data(f, 0xfd); /* 'A' make-only again, key list ended by a command */
    data(f, 0x1c);
    data(f, 0xee);
    EXPECT_KBD(f, 0xfa, 0xfa, 0xee);
    i8042_key(f->k, 0x1c, false, false);
    expect_empty(f);
    /* Translated, the set number reads 3F (Brouwer 9.3, "strange scan code set values"). */
    set_command_byte(f, 0x40);
    data(f, 0xf0);
    data(f, 0x00);
    EXPECT_KBD(f, 0xfa, 0xfa, 0x3f);
    fx_free(f);
}

static void test_translation(void)
{
    struct fx *f = fx_new();
    set_command_byte(f, 0x00);
    i8042_key(f->k, 0x1c, false, true);
    i8042_key(f->k, 0x1c, false, false);
    EXPECT_KBD(f, 0x1c, 0xf0, 0x1c);
    set_command_byte(f, 0x40);
    i8042_key(f->k, 0x1c, false, true);
    i8042_key(f->k, 0x1c, false, false);
    EXPECT_KBD(f, 0x1e, 0x9e);
    i8042_key(f->k, 0x74, true, true); /* Right arrow: E0 74 -> E0 4D */
    i8042_key(f->k, 0x74, true, false);
    EXPECT_KBD(f, 0xe0, 0x4d, 0xe0, 0xcd);
    i8042_key(f->k, 0x83, false, true); /* F7: 83 -> 41 */
    EXPECT_KBD(f, 0x41);
    i8042_key(f->k, PS2_KEY_PAUSE, false, true);
    i8042_key(f->k, PS2_KEY_PAUSE, false, false); /* no break code */
    EXPECT_KBD(f, 0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5);
    i8042_key(f->k, 0x7c, true, true); /* Print Screen with its fake shift */
    i8042_key(f->k, 0x7c, true, false);
    EXPECT_KBD(f, 0xe0, 0x2a, 0xe0, 0x37, 0xe0, 0xb7, 0xe0, 0xaa);
    i8042_key(f->k, 0x11, false, true); /* Alt+Print Screen is SysRq: 84 -> 54 */
    i8042_key(f->k, 0x7c, true, true);
    EXPECT_KBD(f, 0x38, 0x54);
    set_command_byte(f, 0x00);
    i8042_key(f->k, 0x7c, true, false);
    i8042_key(f->k, 0x11, false, false);
    i8042_key(f->k, 0x14, false, true); /* Ctrl+Pause is Break */
    i8042_key(f->k, PS2_KEY_PAUSE, false, true);
    EXPECT_KBD(f, 0xf0, 0x84, 0xf0, 0x11, 0x14, 0xe0, 0x7e, 0xe0, 0xf0, 0x7e);
    fx_free(f);
}

static void test_irq1(void)
{
    struct fx *f = fx_new();
    set_command_byte(f, 0x41); /* IRQ 1 on, translating */
    unsigned base = f->irq1.rises;
    i8042_key(f->k, 0x14, true, true); /* E0 14 -> E0 1D */
    g_assert_cmpint(f->irq1.level, ==, 1);
    g_assert_cmpuint(f->irq1.rises, ==, base + 1);
    g_assert_cmphex(iobus_read(&f->m.io, DATA, 1), ==, 0xe0);
    g_assert_cmpint(f->irq1.level, ==, 0);
    /* The register keeps its byte until the next one arrives a byte time later. */
    g_assert_cmphex(iobus_read(&f->m.io, DATA, 1), ==, 0xe0);
    g_assert_cmphex(status(f) & ST_OBF, ==, 0);
    vclock_advance(&f->m.clock, 1000000);
    g_assert_cmpint(f->irq1.level, ==, 1);
    g_assert_cmpuint(f->irq1.rises, ==, base + 2);
    g_assert_cmphex(iobus_read(&f->m.io, DATA, 1), ==, 0x1d);
    g_assert_cmpint(f->irq1.level, ==, 0);
    /* No IRQ 1 with the interrupt bit clear; the byte is still there to poll. */
    set_command_byte(f, 0x40);
    unsigned rises = f->irq1.rises;
    i8042_key(f->k, 0x1c, false, true);
    g_assert_cmpint(f->irq1.level, ==, 0);
    EXPECT_KBD(f, 0x1e);
    g_assert_cmpuint(f->irq1.rises, ==, rises);
    g_assert_cmpuint(f->irq12.rises, ==, 0);
    fx_free(f);
}

static void test_kbd_disable(void)
{
    struct fx *f = fx_new();
    set_command_byte(f, 0x41);
    cmd(f, 0xad);
    i8042_key(f->k, 0x1c, false, true);
    expect_empty(f);
    g_assert_cmpint(f->irq1.level, ==, 0);
    cmd(f, 0xae);
    EXPECT_KBD(f, 0x1e);
    /* Command byte bit 4 holds keys the same way. */
    set_command_byte(f, 0x51);
    i8042_key(f->k, 0x1c, false, false);
    expect_empty(f);
    cmd_data(f, 0x60, 0x41);
    EXPECT_KBD(f, 0x9e);
    /* Writing to the keyboard re-enables its interface. */
    cmd(f, 0xad);
    data(f, 0xee);
    EXPECT_KBD(f, 0xee);
    g_assert_cmphex(command_byte(f) & 0x10, ==, 0);
    /* F5 stops the keyboard scanning: keys are lost, not held; F4 resumes. */
    data(f, 0xf5);
    EXPECT_KBD(f, 0xfa);
    i8042_key(f->k, 0x1c, false, true);
    expect_empty(f);
    data(f, 0xf4);
    EXPECT_KBD(f, 0xfa);
    i8042_key(f->k, 0x1c, false, true);
    EXPECT_KBD(f, 0x1e);
    fx_free(f);
}

static void test_kbd_overrun(void)
{
    struct fx *f = fx_new();
    set_command_byte(f, 0x10); /* keyboard held, untranslated */
    for (int i = 0; i < 20; i++)
        i8042_key(f->k, 0x1c, false, true);
    cmd_data(f, 0x60, 0x00);
    for (int i = 0; i < 16; i++)
        g_assert_cmphex(read_kbd(f), ==, 0x1c);
    EXPECT_KBD(f, 0x00); /* the overrun code, then nothing: the rest was lost */
    /* Translated, the set-2 overrun code 00 reads FF, as set 1 has it. */
    set_command_byte(f, 0x50);
    for (int i = 0; i < 17; i++)
        i8042_key(f->k, 0x1c, false, true);
    cmd_data(f, 0x60, 0x40);
    for (int i = 0; i < 16; i++)
        g_assert_cmphex(read_kbd(f), ==, 0x1e);
    EXPECT_KBD(f, 0xff);
    fx_free(f);
}

static void test_output_port(void)
{
    struct fx *f = fx_new();
    cmd(f, 0xd0);
    EXPECT_KBD(f, 0xcf); /* running, A20 on, lines idle */
    cmd_data(f, 0xd1, 0xcd);
    g_assert_cmpuint(f->a20_calls, ==, 1);
    g_assert_false(f->a20);
    g_assert_cmpuint(f->resets, ==, 0);
    cmd(f, 0xd0);
    EXPECT_KBD(f, 0xcd);
    cmd_data(f, 0xd1, 0xdf);
    g_assert_true(f->a20);
    g_assert_cmpuint(f->resets, ==, 0);
    cmd(f, 0xd0);
    EXPECT_KBD(f, 0xcf);     /* bits 4-5 show the buffers, empty here */
    cmd_data(f, 0xd1, 0xde); /* bit 0 low: reset */
    g_assert_cmpuint(f->resets, ==, 1);
    cmd(f, 0xdd);
    g_assert_false(f->a20);
    cmd(f, 0xd0);
    EXPECT_KBD(f, 0xcd);
    cmd(f, 0xdf);
    g_assert_true(f->a20);
    g_assert_cmpuint(f->a20_calls, ==, 5);
    cmd(f, 0xc0);
    EXPECT_KBD(f, 0xb0);
    fx_free(f);
}

static void test_pulse_reset(void)
{
    struct fx *f = fx_new();
    cmd(f, 0xff); /* pulses nothing */
    cmd(f, 0xf1); /* bit 0 set: not the reset line */
    g_assert_cmpuint(f->resets, ==, 0);
    cmd(f, 0xfe);
    g_assert_cmpuint(f->resets, ==, 1);
    cmd(f, 0xf0);
    g_assert_cmpuint(f->resets, ==, 2);
    g_assert_cmpuint(f->a20_calls, ==, 0);
    fx_free(f);
}

static void test_write_output_buffers(void)
{
    struct fx *f = fx_new();
    set_command_byte(f, 0x03); /* untranslated: D2 bytes are not translated anyway */
    unsigned r1 = f->irq1.rises, r12 = f->irq12.rises;
    cmd_data(f, 0xd2, 0x1c);
    g_assert_cmpint(f->irq1.level, ==, 1);
    EXPECT_KBD(f, 0x1c);
    cmd_data(f, 0xd3, 0x5a);
    g_assert_cmpint(f->irq12.level, ==, 1);
    g_assert_cmpint(f->irq1.level, ==, 0);
    EXPECT_AUX(f, 0x5a);
    g_assert_cmpint(f->irq12.level, ==, 0);
    g_assert_cmpuint(f->irq1.rises, ==, r1 + 1);
    g_assert_cmpuint(f->irq12.rises, ==, r12 + 1);
    /* A controller byte waiting behind a key follows at once, on a new IRQ 1 edge. */
    i8042_key(f->k, 0x1c, false, true);
    cmd_data(f, 0xd2, 0x55);
    g_assert_cmphex(iobus_read(&f->m.io, DATA, 1), ==, 0x1c);
    g_assert_cmphex(status(f) & ST_OBF, ==, ST_OBF);
    g_assert_cmpuint(f->irq1.rises, ==, r1 + 3);
    EXPECT_KBD(f, 0x55);
    fx_free(f);
}

static void test_mouse_reset_irq12(void)
{
    struct fx *f = fx_new();
    set_command_byte(f, 0x03);
    unsigned r1 = f->irq1.rises;
    aux(f, 0xff);
    g_assert_cmpint(f->irq12.level, ==, 1);
    EXPECT_AUX(f, 0xfa, 0xaa, 0x00);
    g_assert_cmpuint(f->irq12.rises, ==, 3);
    g_assert_cmpuint(f->irq1.rises, ==, r1);
    aux(f, 0xf2);
    EXPECT_AUX(f, 0xfa, 0x00);
    aux(f, 0x42); /* not a command */
    EXPECT_AUX(f, 0xfe);
    /* Without the aux interrupt bit: bytes, status bit 5, no IRQ 12. */
    set_command_byte(f, 0x01);
    unsigned r12 = f->irq12.rises;
    aux(f, 0xf2);
    EXPECT_AUX(f, 0xfa, 0x00);
    g_assert_cmpuint(f->irq12.rises, ==, r12);
    fx_free(f);
}

static void set_rate(struct fx *f, uint8_t rate)
{
    aux(f, 0xf3);
    aux(f, rate);
    EXPECT_AUX(f, 0xfa, 0xfa);
}

static void test_intellimouse(void)
{
    struct fx *f = fx_new();
    set_command_byte(f, 0x03);
    set_rate(f, 200);
    set_rate(f, 100);
    set_rate(f, 80);
    aux(f, 0xf2);
    EXPECT_AUX(f, 0xfa, 0x03);
    aux(f, 0xf4);
    EXPECT_AUX(f, 0xfa);
    i8042_mouse(f->k, 5, -3, 1, PS2_BUTTON_LEFT); /* right, up, wheel down */
    EXPECT_AUX(f, 0x09, 0x05, 0x03, 0x01);
    i8042_mouse(f->k, 0, 0, -2, PS2_BUTTON_LEFT | PS2_BUTTON_4); /* button 4 unseen at ID 3 */
    EXPECT_AUX(f, 0x09, 0x00, 0x00, 0xfe);
    /* 200,200,80: the Explorer's five buttons, wheel in 4 bits. */
    aux(f, 0xf5);
    EXPECT_AUX(f, 0xfa);
    set_rate(f, 200);
    set_rate(f, 200);
    set_rate(f, 80);
    aux(f, 0xf2);
    EXPECT_AUX(f, 0xfa, 0x04);
    aux(f, 0xf4);
    EXPECT_AUX(f, 0xfa);
    i8042_mouse(f->k, 0, 0, -1, PS2_BUTTON_4 | PS2_BUTTON_5);
    EXPECT_AUX(f, 0x08, 0x00, 0x00, 0x3f);
    /* Reset returns to ID 0 and 3-byte packets. */
    aux(f, 0xff);
    EXPECT_AUX(f, 0xfa, 0xaa, 0x00);
    aux(f, 0xf2);
    EXPECT_AUX(f, 0xfa, 0x00);
    aux(f, 0xf4);
    EXPECT_AUX(f, 0xfa);
    i8042_mouse(f->k, 1, 0, 3, 0);
    EXPECT_AUX(f, 0x08, 0x01, 0x00);
    /* A wrong sequence does not switch modes; a bad rate is refused. */
    set_rate(f, 200);
    set_rate(f, 80);
    set_rate(f, 100);
    aux(f, 0xf3);
    aux(f, 55);
    EXPECT_AUX(f, 0xfa, 0xfe);
    aux(f, 0xf2);
    EXPECT_AUX(f, 0xfa, 0x00);
    fx_free(f);
}

static void test_stream_packets(void)
{
    struct fx *f = fx_new();
    set_command_byte(f, 0x02);
    i8042_mouse(f->k, 10, 10, 0, PS2_BUTTON_LEFT); /* reporting is off after power-on */
    expect_empty(f);
    aux(f, 0xf4);
    EXPECT_AUX(f, 0xfa);
    g_assert_cmpuint(f->irq12.rises, ==, 1);
    i8042_mouse(f->k, -10, 20, 0, PS2_BUTTON_RIGHT); /* left and down: both signs */
    g_assert_cmpint(f->irq12.level, ==, 1);
    EXPECT_AUX(f, 0x3a, 0xf6, 0xec);
    g_assert_cmpuint(f->irq12.rises, ==, 4);
    i8042_mouse(f->k, 0, 0, 0, PS2_BUTTON_RIGHT | PS2_BUTTON_MIDDLE); /* a button alone */
    i8042_mouse(f->k, 0, 0, 0, PS2_BUTTON_RIGHT | PS2_BUTTON_MIDDLE); /* nothing new */
    EXPECT_AUX(f, 0x0e, 0x00, 0x00);
    /* A large move is split into packets within 255. */
    i8042_mouse(f->k, 600, -300, 0, 0);
    EXPECT_AUX(f, 0x08, 0xff, 0xff, 0x08, 0xff, 0x2d, 0x08, 0x5a, 0x00);
    i8042_mouse(f->k, -256, 0, 0, 0);
    EXPECT_AUX(f, 0x18, 0x01, 0x00, 0x18, 0xff, 0x00);
    /* Motion beyond what the mouse can hold is lost and flagged as overflow. */
    i8042_mouse(f->k, 5000, 0, 0, 0);
    g_assert_cmphex(read_aux(f), ==, 0x48);
    g_assert_cmphex(read_aux(f), ==, 0xff);
    g_assert_cmphex(read_aux(f), ==, 0x00);
    unsigned total = 255;
    for (;;) {
        g_assert_true(wait_obf(f));
        uint8_t b0 = read_aux(f), dx = read_aux(f), dy = read_aux(f);
        g_assert_cmphex(b0, ==, 0x08);
        g_assert_cmphex(dy, ==, 0);
        total += dx;
        if (total >= 1024)
            break;
    }
    g_assert_cmpuint(total, ==, 1024);
    expect_empty(f);
    i8042_mouse(f->k, 0, 5000, 0, 0);
    g_assert_cmphex(read_aux(f), ==, 0xa8); /* Y overflow, Y negative */
    aux(f, 0xf5);                           /* disabling drops what was not sent yet */
    EXPECT_AUX(f, 0xfa);
    fx_free(f);
}

static void test_mouse_aux_disable(void)
{
    struct fx *f = fx_new();
    set_command_byte(f, 0x43);
    aux(f, 0xf4);
    EXPECT_AUX(f, 0xfa);
    cmd(f, 0xa7);
    g_assert_cmphex(command_byte(f), ==, 0x63);
    i8042_mouse(f->k, 1, 0, 0, 0);
    expect_empty(f);
    g_assert_cmpint(f->irq12.level, ==, 0);
    i8042_key(f->k, 0x1c, false, true); /* the keyboard still gets through */
    EXPECT_KBD(f, 0x1e);
    cmd(f, 0xa8);
    EXPECT_AUX(f, 0x08, 0x01, 0x00);
    /* With both waiting, keyboard bytes go first. */
    cmd(f, 0xa7);
    cmd(f, 0xad);
    i8042_mouse(f->k, 2, 0, 0, 0);
    i8042_key(f->k, 0x1c, false, false);
    cmd_data(f, 0x60, 0x43); /* both interfaces enabled at once */
    g_assert_cmphex(read_kbd(f), ==, 0x9e);
    EXPECT_AUX(f, 0x08, 0x02, 0x00);
    fx_free(f);
}

static void test_mouse_status_modes(void)
{
    struct fx *f = fx_new();
    set_command_byte(f, 0x02);
    aux(f, 0xe9);
    EXPECT_AUX(f, 0xfa, 0x00, 0x02, 100);
    aux(f, 0xe8);
    aux(f, 0x03);
    aux(f, 0xe7);
    aux(f, 0xf3);
    aux(f, 40);
    aux(f, 0xe8);
    aux(f, 0x09); /* out of range */
    EXPECT_AUX(f, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfe);
    aux(f, 0xf4);
    EXPECT_AUX(f, 0xfa);
    i8042_mouse(f->k, 0, 0, 0, PS2_BUTTON_LEFT | PS2_BUTTON_MIDDLE);
    EXPECT_AUX(f, 0x0d, 0x00, 0x00);
    aux(f, 0xe9);
    EXPECT_AUX(f, 0xfa, 0x36, 0x03, 40);
    /* 2:1 scaling in stream mode: 4 reports as 6, 10 as 20. */
    i8042_mouse(f->k, 4, -10, 0, 0);
    EXPECT_AUX(f, 0x08, 0x06, 0x14);
    i8042_mouse(f->k, 5, -2, 0, 0); /* 5 reports as 9, 2 as 1 */
    EXPECT_AUX(f, 0x08, 0x09, 0x01);
    aux(f, 0xe6);
    EXPECT_AUX(f, 0xfa);
    i8042_mouse(f->k, 4, 0, 0, 0);
    EXPECT_AUX(f, 0x08, 0x04, 0x00);
    /* Remote mode: motion accumulates until Read Data, which flags overflow past 255. */
    aux(f, 0xf0);
    EXPECT_AUX(f, 0xfa);
    i8042_mouse(f->k, 200, 0, 0, 0);
    i8042_mouse(f->k, 100, -7, 0, 0);
    expect_empty(f);
    aux(f, 0xe9);
    EXPECT_AUX(f, 0xfa, 0x60, 0x03, 40);
    aux(f, 0xeb);
    EXPECT_AUX(f, 0xfa, 0x48, 0xff, 0x07);
    aux(f, 0xeb);
    EXPECT_AUX(f, 0xfa, 0x08, 0x00, 0x00);
    aux(f, 0xfe); /* resend: the last packet */
    EXPECT_AUX(f, 0x08, 0x00, 0x00);
    aux(f, 0xea);
    EXPECT_AUX(f, 0xfa);
    /* Wrap mode echoes until EC. */
    aux(f, 0xee);
    aux(f, 0x12);
    aux(f, 0xf4);
    i8042_mouse(f->k, 3, 0, 0, 0); /* no reports while wrapping */
    aux(f, 0xec);
    EXPECT_AUX(f, 0xfa, 0x12, 0xf4, 0xfa);
    aux(f, 0x12);
    EXPECT_AUX(f, 0xfe);
    /* Set defaults: reporting off, 100/s, 4 counts/mm, 1:1; the mode stays. */
    aux(f, 0xf6);
    aux(f, 0xe9);
    EXPECT_AUX(f, 0xfa, 0xfa, 0x00, 0x02, 100);
    fx_free(f);
}

static void test_reset_api(void)
{
    struct fx *f = fx_new();
    set_command_byte(f, 0x00);
    data(f, 0xf0);
    data(f, 0x01);
    data(f, 0xed);
    data(f, 0x04);
    aux(f, 0xf4);
    i8042_key(f->k, 0x1c, false, true);
    i8042_reset(f->k);
    g_assert_cmphex(status(f) & ST_OBF, ==, 0);
    g_assert_cmphex(i8042_leds(f->k), ==, 0);
    g_assert_cmpuint(ps2_kbd_scancode_set(i8042_keyboard(f->k)), ==, 2);
    g_assert_cmphex(command_byte(f), ==, 0x43);
    expect_empty(f);
    i8042_mouse(f->k, 1, 1, 0, 0); /* mouse reporting back off */
    expect_empty(f);
    fx_free(f);
}

/* A hostile guest: anything at both ports, in any order, must keep the model sane. */
static void test_hostile(void)
{
    struct fx *f = fx_new();
    GRand *rand = g_rand_new_with_seed(0x8042);
    for (int i = 0; i < 200000; i++) {
        uint32_t r = g_rand_int(rand);
        uint8_t v = r >> 8;
        switch (r % 8) {
        case 0:
        case 1:
            if (v < 0xf0 && v != 0xd1) /* skip only the reset lines, to count them below */
                cmd(f, v);
            break;
        case 2:
        case 3:
            data(f, v);
            break;
        case 4:
            iobus_read(&f->m.io, DATA, 1);
            break;
        case 5:
            g_assert_cmphex(status(f) & ST_IBF, ==, 0);
            break;
        case 6:
            i8042_key(f->k, v, r & 0x10000, r & 0x20000);
            i8042_mouse(f->k, (int)(r >> 16) - 32768, (int)(r & 0xffff) - 32768, (int8_t)v,
                        r >> 24);
            break;
        case 7:
            vclock_advance(&f->m.clock, (r >> 8) % 2000000);
            break;
        }
    }
    i8042_mouse(f->k, INT_MIN, INT_MIN, INT_MIN, ~0u);
    i8042_mouse(f->k, INT_MAX, INT_MAX, INT_MAX, 0);
    g_assert_cmpuint(f->resets, ==, 0);
    /* Still a working controller afterwards. */
    i8042_reset(f->k);
    cmd(f, 0xaa);
    EXPECT_KBD(f, 0x55);
    data(f, 0xff);
    EXPECT_KBD(f, 0xfa, 0xaa);
    g_rand_free(rand);
    fx_free(f);
}

static void test_ports_taken(void)
{
    struct fx *f = fx_new();
    g_assert_null(i8042_create(&f->m, NULL, NULL, NULL));
    i8042_destroy(f->k);
    f->k = i8042_create(&f->m, NULL, NULL, NULL); /* the ports were given back */
    g_assert_nonnull(f->k);
    cmd(f, 0xaa);
    EXPECT_KBD(f, 0x55);
    cmd(f, 0xfe); /* no callbacks: nothing happens */
    fx_free(f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/i8042/self_test", test_self_test);
    g_test_add_func("/i8042/command_byte", test_command_byte);
    g_test_add_func("/i8042/kbd_reset_identify_echo", test_kbd_reset_identify_echo);
    g_test_add_func("/i8042/leds_typematic", test_leds_typematic);
    g_test_add_func("/i8042/scancode_sets", test_scancode_sets);
    g_test_add_func("/i8042/translation", test_translation);
    g_test_add_func("/i8042/irq1", test_irq1);
    g_test_add_func("/i8042/kbd_disable", test_kbd_disable);
    g_test_add_func("/i8042/kbd_overrun", test_kbd_overrun);
    g_test_add_func("/i8042/output_port", test_output_port);
    g_test_add_func("/i8042/pulse_reset", test_pulse_reset);
    g_test_add_func("/i8042/write_output_buffers", test_write_output_buffers);
    g_test_add_func("/i8042/mouse_reset_irq12", test_mouse_reset_irq12);
    g_test_add_func("/i8042/intellimouse", test_intellimouse);
    g_test_add_func("/i8042/stream_packets", test_stream_packets);
    g_test_add_func("/i8042/mouse_aux_disable", test_mouse_aux_disable);
    g_test_add_func("/i8042/mouse_status_modes", test_mouse_status_modes);
    g_test_add_func("/i8042/reset_api", test_reset_api);
    g_test_add_func("/i8042/hostile", test_hostile);
    g_test_add_func("/i8042/ports_taken", test_ports_taken);
    return g_test_run();
}
