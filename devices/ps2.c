/*
 * PS/2 keyboard and mouse (see ps2.h). Sources: IBM Personal System/2
 * Hardware Interface Technical Reference, "Keyboard and Auxiliary Device
 * Controller" and "Keyboards (101- and 102-Key)" (commands, replies, the
 * 16-byte buffer and its overrun code); A. Brouwer, "Keyboard scancodes"
 * sections 9.2-9.6 (the three sets, the 8042 translation table, set 3 codes
 * and default key types); A. Chapweske, "The PS/2 Mouse Interface" (mouse
 * commands, packet and status formats, scaling, and its "Intellimouse
 * Extensions": sample-rate sequences 200,100,80 -> ID 3 and 200,200,80 ->
 * ID 4, the fourth packet byte).
 */
#include "devices/ps2.h"

#include <glib.h>
#include <limits.h>
#include <string.h>

/* Replies shared by both devices. */
#define PS2_REPLY_ACK    0xfa
#define PS2_REPLY_RESEND 0xfe
#define PS2_REPLY_BAT_OK 0xaa
#define PS2_REPLY_ECHO   0xee

/* Keyboard commands (IBM keyboard technical reference, "Commands from the System"). */
#define KBD_CMD_SET_LEDS       0xed
#define KBD_CMD_ECHO           0xee
#define KBD_CMD_SCANCODE_SET   0xf0
#define KBD_CMD_IDENTIFY       0xf2
#define KBD_CMD_TYPEMATIC      0xf3
#define KBD_CMD_ENABLE         0xf4
#define KBD_CMD_DEFAULT_DIS    0xf5
#define KBD_CMD_SET_DEFAULT    0xf6
#define KBD_CMD_ALL_TYPEMATIC  0xf7 /* set 3 key types, all keys */
#define KBD_CMD_ALL_MAKE_BREAK 0xf8
#define KBD_CMD_ALL_MAKE       0xf9
#define KBD_CMD_ALL_TMB        0xfa
#define KBD_CMD_KEY_TYPEMATIC  0xfb /* set 3 key types, keys listed after */
#define KBD_CMD_KEY_MAKE_BREAK 0xfc
#define KBD_CMD_KEY_MAKE       0xfd
#define KBD_CMD_RESEND         0xfe
#define KBD_CMD_RESET          0xff
#define KBD_CMD_FIRST          0xed /* bytes below are arguments, not commands */

#define KBD_ID_1          0xab /* MF-II keyboard ID: AB 83 */
#define KBD_ID_2          0x83
#define KBD_BUFFER_SIZE   16   /* the keyboard's FIFO; the 17th byte is the overrun code */
#define KBD_TYPEMATIC_DEF 0x2b /* 10.9 characters/s, 500 ms delay */

/* Set 3 key types (F7-FD); only the break bit changes what we send. */
#define KEY_TYPE_TYPEMATIC 0x01
#define KEY_TYPE_BREAK     0x02

/* Mouse commands (Chapweske, "Command Set"). */
#define MOUSE_CMD_SCALING_1_1 0xe6
#define MOUSE_CMD_SCALING_2_1 0xe7
#define MOUSE_CMD_RESOLUTION  0xe8
#define MOUSE_CMD_STATUS      0xe9
#define MOUSE_CMD_STREAM      0xea
#define MOUSE_CMD_READ_DATA   0xeb
#define MOUSE_CMD_RESET_WRAP  0xec
#define MOUSE_CMD_WRAP        0xee
#define MOUSE_CMD_REMOTE      0xf0
#define MOUSE_CMD_GET_ID      0xf2
#define MOUSE_CMD_SAMPLE_RATE 0xf3
#define MOUSE_CMD_ENABLE      0xf4
#define MOUSE_CMD_DISABLE     0xf5
#define MOUSE_CMD_DEFAULTS    0xf6
#define MOUSE_CMD_RESEND      0xfe
#define MOUSE_CMD_RESET       0xff

/* Packet byte 0. */
#define MOUSE_PKT_ALWAYS1 0x08
#define MOUSE_PKT_X_SIGN  0x10
#define MOUSE_PKT_Y_SIGN  0x20
#define MOUSE_PKT_X_OVF   0x40
#define MOUSE_PKT_Y_OVF   0x80

/* Status byte 0 (E9). */
#define MOUSE_STAT_REMOTE  0x40
#define MOUSE_STAT_ENABLE  0x20
#define MOUSE_STAT_SCALING 0x10

#define MOUSE_RATE_DEF       100
#define MOUSE_RES_DEF        2    /* 4 counts/mm */
#define MOUSE_PACKET_LIMIT   16   /* stream packets wait in the mouse while this many bytes queue */
#define MOUSE_PENDING_MAX    1024 /* unreported motion beyond this is lost: overflow */
#define MOUSE_PACKET_MAX_LEN 4

/* Bytes both devices can queue (scan codes and packets stay far below; replies fit). */
#define PS2_QUEUE_SIZE 64

struct ps2_queue {
    uint8_t data[PS2_QUEUE_SIZE];
    unsigned head;  /* index of the oldest byte */
    unsigned count; /* bytes queued */
};

struct ps2_kbd {
    struct ps2_queue q; /* bytes for the controller */
    void (*notify)(void *opaque);
    void *opaque;
    uint8_t pending;       /* command awaiting its argument (ED, F0, F3, FB-FD), 0 if none */
    bool scanning;         /* F4/F5: keys are reported */
    uint8_t set;           /* scan code set 1, 2 or 3 */
    uint8_t leds;          /* ED argument, PS2_LED_* */
    uint8_t typematic;     /* F3 argument: rate and delay */
    uint8_t last;          /* last byte sent, for Resend (FE) */
    unsigned modifiers;    /* host keys held that change Pause and Print Screen codes */
    uint8_t key_type[256]; /* set 3 key types by set 3 code, KEY_TYPE_* */
};

struct ps2_mouse {
    struct ps2_queue q; /* bytes for the controller */
    void (*notify)(void *opaque);
    void *opaque;
    uint8_t pending;                    /* command awaiting its argument (F3, E8), 0 if none */
    bool enabled;                       /* F4/F5: data reporting in stream mode */
    bool remote;                        /* F0/EA: remote (polled) instead of stream mode */
    bool wrap;                          /* EE/EC: echo mode */
    bool scale21;                       /* E7/E6: 2:1 scaling in stream mode */
    uint8_t rate;                       /* F3: samples/s */
    uint8_t resolution;                 /* E8: 0..3 = 1, 2, 4, 8 counts/mm */
    uint8_t id;                         /* F2 reply: 0, 3 or 4 */
    uint8_t rates[3];                   /* the last three sample rates set, oldest first */
    unsigned buttons;                   /* host buttons held, PS2_BUTTON_* */
    unsigned reported;                  /* buttons as last reported */
    int dx, dy, dz;                     /* motion not yet reported (dy positive = up) */
    bool x_ovf, y_ovf;                  /* motion was lost since the last report */
    uint8_t last[MOUSE_PACKET_MAX_LEN]; /* last packet sent, for Resend (FE) */
    unsigned last_len;
};

/*
 * The 8042 translation of set 2 codes 00-7F into set 1 (Brouwer section
 * 9.3, after G. Konzak, "PC 8042 Controller"); codes 80 and above pass
 * unchanged except 83 (F7) and 84 (SysRq).
 */
static const uint8_t set2_to_set1[128] = {
    0xff, 0x43, 0x41, 0x3f, 0x3d, 0x3b, 0x3c, 0x58, 0x64, 0x44, 0x42, 0x40, 0x3e, 0x0f, 0x29, 0x59,
    0x65, 0x38, 0x2a, 0x70, 0x1d, 0x10, 0x02, 0x5a, 0x66, 0x71, 0x2c, 0x1f, 0x1e, 0x11, 0x03, 0x5b,
    0x67, 0x2e, 0x2d, 0x20, 0x12, 0x05, 0x04, 0x5c, 0x68, 0x39, 0x2f, 0x21, 0x14, 0x13, 0x06, 0x5d,
    0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5e, 0x6a, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5f,
    0x6b, 0x33, 0x25, 0x17, 0x18, 0x0b, 0x0a, 0x60, 0x6c, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0c, 0x61,
    0x6d, 0x73, 0x28, 0x74, 0x1a, 0x0d, 0x62, 0x6e, 0x3a, 0x36, 0x1c, 0x1b, 0x75, 0x2b, 0x63, 0x76,
    0x55, 0x56, 0x77, 0x78, 0x79, 0x7a, 0x0e, 0x7b, 0x7c, 0x4f, 0x7d, 0x4b, 0x47, 0x7e, 0x7f, 0x6f,
    0x52, 0x53, 0x50, 0x4c, 0x4d, 0x48, 0x01, 0x45, 0x57, 0x4e, 0x51, 0x4a, 0x37, 0x49, 0x46, 0x54,
};

/*
 * Set 3 codes of the standard 101/102/104-key keys (Brouwer section 9.6),
 * by set-2 code: non-extended keys and then E0 keys. 0: the key has no set 3 code.
 */
static const uint8_t set3_plain[256] = {
    [0x01] = 0x47, [0x03] = 0x27, [0x04] = 0x17, [0x05] = 0x07, [0x06] = 0x0f, [0x07] = 0x5e,
    [0x09] = 0x4f, [0x0a] = 0x3f, [0x0b] = 0x2f, [0x0c] = 0x1f, [0x0d] = 0x0d, [0x0e] = 0x0e,
    [0x11] = 0x19, [0x12] = 0x12, [0x14] = 0x11, [0x15] = 0x15, [0x16] = 0x16, [0x1a] = 0x1a,
    [0x1b] = 0x1b, [0x1c] = 0x1c, [0x1d] = 0x1d, [0x1e] = 0x1e, [0x21] = 0x21, [0x22] = 0x22,
    [0x23] = 0x23, [0x24] = 0x24, [0x25] = 0x25, [0x26] = 0x26, [0x29] = 0x29, [0x2a] = 0x2a,
    [0x2b] = 0x2b, [0x2c] = 0x2c, [0x2d] = 0x2d, [0x2e] = 0x2e, [0x31] = 0x31, [0x32] = 0x32,
    [0x33] = 0x33, [0x34] = 0x34, [0x35] = 0x35, [0x36] = 0x36, [0x3a] = 0x3a, [0x3b] = 0x3b,
    [0x3c] = 0x3c, [0x3d] = 0x3d, [0x3e] = 0x3e, [0x41] = 0x41, [0x42] = 0x42, [0x43] = 0x43,
    [0x44] = 0x44, [0x45] = 0x45, [0x46] = 0x46, [0x49] = 0x49, [0x4a] = 0x4a, [0x4b] = 0x4b,
    [0x4c] = 0x4c, [0x4d] = 0x4d, [0x4e] = 0x4e, [0x52] = 0x52, [0x54] = 0x54, [0x55] = 0x55,
    [0x58] = 0x14, [0x59] = 0x59, [0x5a] = 0x5a, [0x5b] = 0x5b, [0x5d] = 0x5c, [0x61] = 0x13,
    [0x66] = 0x66, [0x69] = 0x69, [0x6b] = 0x6b, [0x6c] = 0x6c, [0x70] = 0x70, [0x71] = 0x71,
    [0x72] = 0x72, [0x73] = 0x73, [0x74] = 0x74, [0x75] = 0x75, [0x76] = 0x08, [0x77] = 0x76,
    [0x78] = 0x56, [0x79] = 0x7c, [0x7a] = 0x7a, [0x7b] = 0x84, [0x7c] = 0x7e, [0x7d] = 0x7d,
    [0x7e] = 0x5f, [0x83] = 0x37, [0x84] = 0x57,
};

static const uint8_t set3_extended[256] = {
    [0x11] = 0x39, [0x14] = 0x58, [0x1f] = 0x8b, [0x27] = 0x8c, [0x2f] = 0x8d,
    [0x4a] = 0x77, [0x5a] = 0x79, [0x69] = 0x65, [0x6b] = 0x61, [0x6c] = 0x6e,
    [0x70] = 0x67, [0x71] = 0x64, [0x72] = 0x60, [0x74] = 0x6a, [0x75] = 0x63,
    [0x7a] = 0x6d, [0x7c] = 0x57, [0x7d] = 0x6f, [0x7e] = 0x62,
};

/*
 * Set 3 keys that send break codes by default (Brouwer 9.2: Caps Lock,
 * the shifts, Ctrl and Alt, and the non-traditional Windows and Menu
 * keys); every other key is make-only (typematic) until F7-FD say otherwise.
 */
static const uint8_t set3_default_break[] = {0x14, 0x12, 0x59, 0x11, 0x19,
                                             0x39, 0x58, 0x8b, 0x8c, 0x8d};

/* Host modifier keys held (they select the Print Screen and Pause variants). */
#define MOD_SHIFT 0x01
#define MOD_CTRL  0x02
#define MOD_ALT   0x04

/* ---- queue ---- */

static bool queue_push(struct ps2_queue *q, uint8_t byte)
{
    if (q->count >= PS2_QUEUE_SIZE)
        return false;
    q->data[(q->head + q->count) % PS2_QUEUE_SIZE] = byte;
    q->count++;
    return true;
}

static int queue_pop(struct ps2_queue *q)
{
    if (q->count == 0)
        return -1;
    uint8_t byte = q->data[q->head];
    q->head = (q->head + 1) % PS2_QUEUE_SIZE;
    q->count--;
    return byte;
}

static void queue_clear(struct ps2_queue *q)
{
    q->head = 0;
    q->count = 0;
}

int ps2_translate(bool *brk, uint8_t byte)
{
    if (byte == 0xf0) {
        *brk = true;
        return -1;
    }
    uint8_t out = byte;
    if (byte < 0x80)
        out = set2_to_set1[byte];
    else if (byte == 0x83)
        out = 0x41;
    else if (byte == 0x84)
        out = 0x54;
    if (*brk) {
        out |= 0x80;
        *brk = false;
    }
    return out;
}

/* ---- keyboard ---- */

static void kbd_notify(struct ps2_kbd *k)
{
    if (k->q.count && k->notify)
        k->notify(k->opaque);
}

/*
 * A scan code byte: the buffer holds 16; when it is full the overrun code
 * (00, or FF in set 1) takes the 17th place and later keys are lost.
 */
static void kbd_queue_scan(struct ps2_kbd *k, uint8_t byte)
{
    if (k->q.count < KBD_BUFFER_SIZE)
        queue_push(&k->q, byte);
    else if (k->q.count == KBD_BUFFER_SIZE)
        queue_push(&k->q, k->set == 1 ? 0xff : 0x00);
}

static void kbd_set_defaults(struct ps2_kbd *k)
{
    k->typematic = KBD_TYPEMATIC_DEF;
    memset(k->key_type, KEY_TYPE_TYPEMATIC, sizeof(k->key_type));
    for (unsigned i = 0; i < G_N_ELEMENTS(set3_default_break); i++)
        k->key_type[set3_default_break[i]] = KEY_TYPE_BREAK;
}

void ps2_kbd_reset(struct ps2_kbd *k)
{
    queue_clear(&k->q);
    k->pending = 0;
    k->scanning = true;
    k->set = 2;
    k->leds = 0;
    k->last = 0;
    kbd_set_defaults(k);
}

/* A byte after ED, F0, F3 or FB-FD (bytes from KBD_CMD_FIRST up are commands). */
static void kbd_argument(struct ps2_kbd *k, uint8_t arg)
{
    switch (k->pending) {
    case KBD_CMD_SET_LEDS:
        k->leds = arg & (PS2_LED_SCROLL_LOCK | PS2_LED_NUM_LOCK | PS2_LED_CAPS_LOCK);
        break;
    case KBD_CMD_TYPEMATIC:
        k->typematic = arg & 0x7f;
        break;
    case KBD_CMD_SCANCODE_SET:
        if (arg > 3) { /* an invalid set: ask for the argument again */
            queue_push(&k->q, PS2_REPLY_RESEND);
            return;
        }
        queue_push(&k->q, PS2_REPLY_ACK);
        if (arg == 0)
            queue_push(&k->q, k->set); /* the controller translates it, if set to */
        else
            k->set = arg;
        k->pending = 0;
        return;
    case KBD_CMD_KEY_TYPEMATIC:
        k->key_type[arg] = KEY_TYPE_TYPEMATIC;
        queue_push(&k->q, PS2_REPLY_ACK);
        return; /* more keys may follow */
    case KBD_CMD_KEY_MAKE_BREAK:
        k->key_type[arg] = KEY_TYPE_BREAK;
        queue_push(&k->q, PS2_REPLY_ACK);
        return;
    case KBD_CMD_KEY_MAKE:
        k->key_type[arg] = 0;
        queue_push(&k->q, PS2_REPLY_ACK);
        return;
    }
    k->pending = 0;
    queue_push(&k->q, PS2_REPLY_ACK);
}

static void kbd_all_key_types(struct ps2_kbd *k, uint8_t type)
{
    memset(k->key_type, type, sizeof(k->key_type));
    queue_push(&k->q, PS2_REPLY_ACK);
}

static void kbd_command(struct ps2_kbd *k, uint8_t cmd)
{
    k->pending = 0;
    switch (cmd) {
    case KBD_CMD_SET_LEDS:
    case KBD_CMD_SCANCODE_SET:
    case KBD_CMD_TYPEMATIC:
    case KBD_CMD_KEY_TYPEMATIC:
    case KBD_CMD_KEY_MAKE_BREAK:
    case KBD_CMD_KEY_MAKE:
        queue_push(&k->q, PS2_REPLY_ACK);
        k->pending = cmd;
        break;
    case KBD_CMD_ECHO:
        queue_push(&k->q, PS2_REPLY_ECHO);
        break;
    case KBD_CMD_IDENTIFY:
        queue_push(&k->q, PS2_REPLY_ACK);
        queue_push(&k->q, KBD_ID_1);
        queue_push(&k->q, KBD_ID_2);
        break;
    case KBD_CMD_ENABLE: /* ACK, clear the buffer, start scanning */
        queue_clear(&k->q);
        queue_push(&k->q, PS2_REPLY_ACK);
        k->scanning = true;
        break;
    case KBD_CMD_DEFAULT_DIS: /* as Set Default, then stop scanning */
    case KBD_CMD_SET_DEFAULT:
        queue_clear(&k->q);
        kbd_set_defaults(k);
        queue_push(&k->q, PS2_REPLY_ACK);
        if (cmd == KBD_CMD_DEFAULT_DIS)
            k->scanning = false;
        break;
    case KBD_CMD_ALL_TYPEMATIC:
        kbd_all_key_types(k, KEY_TYPE_TYPEMATIC);
        break;
    case KBD_CMD_ALL_MAKE_BREAK:
        kbd_all_key_types(k, KEY_TYPE_BREAK);
        break;
    case KBD_CMD_ALL_MAKE:
        kbd_all_key_types(k, 0);
        break;
    case KBD_CMD_ALL_TMB:
        kbd_all_key_types(k, KEY_TYPE_TYPEMATIC | KEY_TYPE_BREAK);
        break;
    case KBD_CMD_RESEND:
        queue_push(&k->q, k->last);
        break;
    case KBD_CMD_RESET: /* ACK, then the basic assurance test passes */
        ps2_kbd_reset(k);
        queue_push(&k->q, PS2_REPLY_ACK);
        queue_push(&k->q, PS2_REPLY_BAT_OK);
        break;
    default:
        queue_push(&k->q, PS2_REPLY_RESEND);
        break;
    }
}

void ps2_kbd_write(struct ps2_kbd *k, uint8_t byte)
{
    /* A command arriving where an argument was expected ends the previous command. */
    if (k->pending && byte < KBD_CMD_FIRST)
        kbd_argument(k, byte);
    else
        kbd_command(k, byte);
    kbd_notify(k);
}

bool ps2_kbd_has_data(const struct ps2_kbd *k)
{
    return k->q.count != 0;
}

int ps2_kbd_read(struct ps2_kbd *k)
{
    int byte = queue_pop(&k->q);
    if (byte >= 0)
        k->last = byte;
    return byte;
}

static void kbd_track_modifiers(struct ps2_kbd *k, uint8_t code, bool extended, bool down)
{
    unsigned bit = 0;
    if (code == 0x12 || code == 0x59)
        bit = extended ? 0 : MOD_SHIFT; /* E0 12 is a fake shift, not a key */
    else if (code == 0x14)
        bit = MOD_CTRL;
    else if (code == 0x11)
        bit = MOD_ALT;
    if (down)
        k->modifiers |= bit;
    else
        k->modifiers &= ~bit;
}

static unsigned seq_put(uint8_t *seq, unsigned n, const uint8_t *bytes, unsigned count)
{
    memcpy(seq + n, bytes, count);
    return n + count;
}

/*
 * The set-2 bytes for a key (IBM keyboard reference, "Scan Code Set 2"):
 * [E0] [F0] code, except Pause (make only; Ctrl+Pause is Break, E0 7E) and
 * Print Screen (E0 12 E0 7C with no modifier, E0 7C with Shift or Ctrl,
 * 84 with Alt). Returns the number of bytes in seq (at most 8).
 */
static unsigned kbd_set2_bytes(const struct ps2_kbd *k, uint8_t code, bool extended, bool down,
                               uint8_t *seq)
{
    static const uint8_t pause[] = {0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77};
    static const uint8_t brk_make[] = {0xe0, 0x7e, 0xe0, 0xf0, 0x7e};
    static const uint8_t prtsc_make[] = {0xe0, 0x12, 0xe0, 0x7c};
    static const uint8_t prtsc_break[] = {0xe0, 0xf0, 0x7c, 0xe0, 0xf0, 0x12};
    unsigned n = 0;

    if (code == PS2_KEY_PAUSE) {
        if (!down)
            return 0;
        if (k->modifiers & MOD_CTRL)
            return seq_put(seq, 0, brk_make, sizeof(brk_make));
        return seq_put(seq, 0, pause, sizeof(pause));
    }
    if (code == 0x7c && extended) {
        if (k->modifiers & MOD_ALT) {
            code = 0x84;
            extended = false;
        } else if (!(k->modifiers & (MOD_SHIFT | MOD_CTRL))) {
            return down ? seq_put(seq, 0, prtsc_make, sizeof(prtsc_make))
                        : seq_put(seq, 0, prtsc_break, sizeof(prtsc_break));
        }
    }
    if (extended)
        seq[n++] = 0xe0;
    if (!down)
        seq[n++] = 0xf0;
    seq[n++] = code;
    return n;
}

static void kbd_key_set3(struct ps2_kbd *k, uint8_t code, bool extended, bool down)
{
    uint8_t c3;
    if (code == PS2_KEY_PAUSE)
        c3 = 0x62;
    else
        c3 = extended ? set3_extended[code] : set3_plain[code];
    if (!c3)
        return;
    if (down) {
        kbd_queue_scan(k, c3);
    } else if (k->key_type[c3] & KEY_TYPE_BREAK) {
        kbd_queue_scan(k, 0xf0);
        kbd_queue_scan(k, c3);
    }
}

void ps2_kbd_key(struct ps2_kbd *k, uint8_t code, bool extended, bool down)
{
    kbd_track_modifiers(k, code, extended, down);
    if (!k->scanning)
        return;
    if (k->set == 3) {
        kbd_key_set3(k, code, extended, down);
    } else {
        uint8_t seq[8];
        unsigned n = kbd_set2_bytes(k, code, extended, down, seq);
        bool brk = false;
        for (unsigned i = 0; i < n; i++) {
            /* Set 1 is set 2 as the 8042 would translate it (Brouwer 9.4). */
            int byte = k->set == 1 ? ps2_translate(&brk, seq[i]) : seq[i];
            if (byte >= 0)
                kbd_queue_scan(k, byte);
        }
    }
    kbd_notify(k);
}

uint8_t ps2_kbd_leds(const struct ps2_kbd *k)
{
    return k->leds;
}

uint8_t ps2_kbd_typematic(const struct ps2_kbd *k)
{
    return k->typematic;
}

unsigned ps2_kbd_scancode_set(const struct ps2_kbd *k)
{
    return k->set;
}

struct ps2_kbd *ps2_kbd_create(void (*notify)(void *opaque), void *opaque)
{
    struct ps2_kbd *k = g_new0(struct ps2_kbd, 1);
    k->notify = notify;
    k->opaque = opaque;
    ps2_kbd_reset(k);
    return k;
}

void ps2_kbd_destroy(struct ps2_kbd *k)
{
    g_free(k);
}

/* ---- mouse ---- */

static void mouse_notify(struct ps2_mouse *m)
{
    if (m->q.count && m->notify)
        m->notify(m->opaque);
}

static void mouse_clear_motion(struct ps2_mouse *m)
{
    m->dx = m->dy = m->dz = 0;
    m->x_ovf = m->y_ovf = false;
}

static void mouse_set_defaults(struct ps2_mouse *m)
{
    m->rate = MOUSE_RATE_DEF;
    m->resolution = MOUSE_RES_DEF;
    m->scale21 = false;
    m->enabled = false;
    mouse_clear_motion(m);
}

void ps2_mouse_reset(struct ps2_mouse *m)
{
    queue_clear(&m->q);
    mouse_set_defaults(m);
    m->pending = 0;
    m->remote = false;
    m->wrap = false;
    m->id = 0;
    memset(m->rates, 0, sizeof(m->rates));
    m->reported = m->buttons;
    m->last_len = 0;
}

static unsigned mouse_packet_len(const struct ps2_mouse *m)
{
    return m->id == 0 ? 3 : 4;
}

static unsigned mouse_button_mask(const struct ps2_mouse *m)
{
    return m->id == 4 ? 0x1f : 0x07;
}

static int clamp_int(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* 2:1 scaling of one stream report (Chapweske, "Scaling"): 1 1 3 6 9, then doubled. */
static int mouse_scale21(int v)
{
    static const int small[6] = {0, 1, 1, 3, 6, 9};
    int mag = v < 0 ? -v : v;
    mag = mag < 6 ? small[mag] : 2 * mag;
    return v < 0 ? -mag : mag;
}

/*
 * One movement packet from the pending motion. A stream report takes at
 * most what fits (the rest goes in the next packets); a Read Data report
 * takes it all, flagging overflow beyond the 9-bit range.
 */
static unsigned mouse_packet(struct ps2_mouse *m, bool stream, uint8_t *p)
{
    int lim = stream && m->scale21 ? 127 : 255;
    int x = clamp_int(m->dx, stream ? -lim : -256, lim);
    int y = clamp_int(m->dy, stream ? -lim : -256, lim);
    int z = m->id == 4 ? clamp_int(m->dz, -8, 7) : clamp_int(m->dz, -128, 127);
    bool xo = m->x_ovf || (!stream && x != m->dx);
    bool yo = m->y_ovf || (!stream && y != m->dy);

    if (stream) {
        m->dx -= x;
        m->dy -= y;
        m->dz -= z;
        m->x_ovf = m->y_ovf = false;
        if (m->scale21) {
            x = mouse_scale21(x);
            y = mouse_scale21(y);
        }
    } else {
        mouse_clear_motion(m);
    }
    m->reported = m->buttons & mouse_button_mask(m);
    p[0] = (m->buttons & 0x07) | MOUSE_PKT_ALWAYS1 | (x < 0 ? MOUSE_PKT_X_SIGN : 0) |
           (y < 0 ? MOUSE_PKT_Y_SIGN : 0) | (xo ? MOUSE_PKT_X_OVF : 0) | (yo ? MOUSE_PKT_Y_OVF : 0);
    p[1] = (uint8_t)x;
    p[2] = (uint8_t)y;
    if (m->id == 3)
        p[3] = (uint8_t)z;
    else if (m->id == 4)
        p[3] = (z & 0x0f) | ((m->buttons & PS2_BUTTON_4) ? 0x10 : 0) |
               ((m->buttons & PS2_BUTTON_5) ? 0x20 : 0);
    unsigned len = mouse_packet_len(m);
    memcpy(m->last, p, len);
    m->last_len = len;
    return len;
}

static bool mouse_has_report(const struct ps2_mouse *m)
{
    return m->dx || m->dy || m->dz || m->x_ovf || m->y_ovf ||
           (m->buttons & mouse_button_mask(m)) != m->reported;
}

static void mouse_queue_packet(struct ps2_mouse *m, const uint8_t *p, unsigned len)
{
    for (unsigned i = 0; i < len; i++)
        queue_push(&m->q, p[i]);
}

/* Stream mode: queue packets while there is something to report and room for them. */
static void mouse_stream(struct ps2_mouse *m)
{
    if (m->remote || m->wrap || !m->enabled)
        return;
    while (mouse_has_report(m) && m->q.count + mouse_packet_len(m) <= MOUSE_PACKET_LIMIT) {
        uint8_t p[MOUSE_PACKET_MAX_LEN];
        mouse_queue_packet(m, p, mouse_packet(m, true, p));
    }
}

/* The IntelliMouse "knock": 200,100,80 enables the wheel, then 200,200,80 buttons 4 and 5. */
static void mouse_sample_rate(struct ps2_mouse *m, uint8_t rate)
{
    m->rate = rate;
    m->rates[0] = m->rates[1];
    m->rates[1] = m->rates[2];
    m->rates[2] = rate;
    if (m->rates[0] == 200 && m->rates[1] == 100 && m->rates[2] == 80 && m->id == 0)
        m->id = 3;
    else if (m->rates[0] == 200 && m->rates[1] == 200 && m->rates[2] == 80 && m->id == 3)
        m->id = 4;
}

static bool mouse_valid_rate(uint8_t rate)
{
    static const uint8_t rates[] = {10, 20, 40, 60, 80, 100, 200};
    for (unsigned i = 0; i < sizeof(rates); i++)
        if (rates[i] == rate)
            return true;
    return false;
}

static void mouse_argument(struct ps2_mouse *m, uint8_t arg)
{
    bool ok = m->pending == MOUSE_CMD_SAMPLE_RATE ? mouse_valid_rate(arg) : arg <= 3;
    if (ok && m->pending == MOUSE_CMD_SAMPLE_RATE)
        mouse_sample_rate(m, arg);
    else if (ok)
        m->resolution = arg;
    m->pending = 0;
    mouse_clear_motion(m);
    queue_push(&m->q, ok ? PS2_REPLY_ACK : PS2_REPLY_RESEND);
}

static void mouse_status(struct ps2_mouse *m)
{
    unsigned b = m->buttons;
    uint8_t s = (m->remote ? MOUSE_STAT_REMOTE : 0) | (m->enabled ? MOUSE_STAT_ENABLE : 0) |
                (m->scale21 ? MOUSE_STAT_SCALING : 0) | ((b & PS2_BUTTON_LEFT) ? 0x04 : 0) |
                ((b & PS2_BUTTON_MIDDLE) ? 0x02 : 0) | ((b & PS2_BUTTON_RIGHT) ? 0x01 : 0);
    queue_push(&m->q, PS2_REPLY_ACK);
    queue_push(&m->q, s);
    queue_push(&m->q, m->resolution);
    queue_push(&m->q, m->rate);
}

static void mouse_ack_clear(struct ps2_mouse *m)
{
    mouse_clear_motion(m);
    queue_push(&m->q, PS2_REPLY_ACK);
}

static void mouse_command(struct ps2_mouse *m, uint8_t cmd)
{
    uint8_t p[MOUSE_PACKET_MAX_LEN];
    switch (cmd) {
    case MOUSE_CMD_SCALING_1_1:
    case MOUSE_CMD_SCALING_2_1:
        m->scale21 = cmd == MOUSE_CMD_SCALING_2_1;
        queue_push(&m->q, PS2_REPLY_ACK);
        break;
    case MOUSE_CMD_RESOLUTION:
    case MOUSE_CMD_SAMPLE_RATE:
        queue_push(&m->q, PS2_REPLY_ACK);
        m->pending = cmd;
        break;
    case MOUSE_CMD_STATUS:
        mouse_status(m);
        break;
    case MOUSE_CMD_STREAM:
    case MOUSE_CMD_REMOTE:
        m->remote = cmd == MOUSE_CMD_REMOTE;
        mouse_ack_clear(m);
        break;
    case MOUSE_CMD_READ_DATA: /* a packet on request, in either mode */
        queue_push(&m->q, PS2_REPLY_ACK);
        mouse_queue_packet(m, p, mouse_packet(m, false, p));
        break;
    case MOUSE_CMD_RESET_WRAP:
        m->wrap = false;
        mouse_ack_clear(m);
        break;
    case MOUSE_CMD_WRAP:
        m->wrap = true;
        mouse_ack_clear(m);
        break;
    case MOUSE_CMD_GET_ID:
        mouse_ack_clear(m);
        queue_push(&m->q, m->id);
        break;
    case MOUSE_CMD_ENABLE:
        m->enabled = true;
        m->reported = m->buttons & mouse_button_mask(m);
        mouse_ack_clear(m);
        break;
    case MOUSE_CMD_DISABLE:
    case MOUSE_CMD_DEFAULTS: /* both stop reporting and drop what was not sent */
        queue_clear(&m->q);
        if (cmd == MOUSE_CMD_DEFAULTS)
            mouse_set_defaults(m);
        m->enabled = false;
        mouse_ack_clear(m);
        break;
    case MOUSE_CMD_RESEND:
        if (m->last_len)
            mouse_queue_packet(m, m->last, m->last_len);
        else
            queue_push(&m->q, PS2_REPLY_ACK);
        break;
    case MOUSE_CMD_RESET: /* ACK, BAT passed, ID 0 */
        ps2_mouse_reset(m);
        queue_push(&m->q, PS2_REPLY_ACK);
        queue_push(&m->q, PS2_REPLY_BAT_OK);
        queue_push(&m->q, 0x00);
        break;
    default:
        queue_push(&m->q, PS2_REPLY_RESEND);
        break;
    }
}

void ps2_mouse_write(struct ps2_mouse *m, uint8_t byte)
{
    if (m->wrap && byte != MOUSE_CMD_RESET_WRAP && byte != MOUSE_CMD_RESET)
        queue_push(&m->q, byte); /* wrap mode echoes everything else */
    else if (m->pending)
        mouse_argument(m, byte);
    else
        mouse_command(m, byte);
    mouse_notify(m);
}

bool ps2_mouse_has_data(const struct ps2_mouse *m)
{
    return m->q.count != 0;
}

int ps2_mouse_read(struct ps2_mouse *m)
{
    int byte = queue_pop(&m->q);
    mouse_stream(m); /* motion that waited for room */
    return byte;
}

/* Add motion to a pending counter; beyond MOUSE_PENDING_MAX it is lost and flagged. */
static int mouse_accumulate(int pending, int delta, bool *ovf)
{
    delta = clamp_int(delta, -MOUSE_PENDING_MAX - 1, MOUSE_PENDING_MAX + 1);
    int sum = pending + delta;
    if (sum > MOUSE_PENDING_MAX || sum < -MOUSE_PENDING_MAX) {
        *ovf = true;
        sum = clamp_int(sum, -MOUSE_PENDING_MAX, MOUSE_PENDING_MAX);
    }
    return sum;
}

void ps2_mouse_event(struct ps2_mouse *m, int dx, int dy, int dz, unsigned buttons)
{
    bool zovf = false;
    m->buttons = buttons & 0x1f;
    /* Motion counts only where it can be reported: stream mode with reporting on, or remote. */
    if (m->wrap || (!m->remote && !m->enabled))
        return;
    m->dx = mouse_accumulate(m->dx, dx, &m->x_ovf);
    m->dy = mouse_accumulate(m->dy, -clamp_int(dy, -INT_MAX, INT_MAX), &m->y_ovf);
    m->dz = m->id ? mouse_accumulate(m->dz, dz, &zovf) : 0;
    mouse_stream(m);
    mouse_notify(m);
}

uint8_t ps2_mouse_id(const struct ps2_mouse *m)
{
    return m->id;
}

struct ps2_mouse *ps2_mouse_create(void (*notify)(void *opaque), void *opaque)
{
    struct ps2_mouse *m = g_new0(struct ps2_mouse, 1);
    m->notify = notify;
    m->opaque = opaque;
    ps2_mouse_reset(m);
    return m;
}

void ps2_mouse_destroy(struct ps2_mouse *m)
{
    g_free(m);
}
