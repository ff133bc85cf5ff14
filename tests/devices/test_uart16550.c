/*
 * The 16550A UART at register level, against the PC16550D datasheet:
 * divisor latch and LCR, polled and interrupt-driven transmit at the
 * backend's pace (and held, never lost, while the backend is full), FIFO
 * reception with trigger levels and the character timeout, overrun, FIFO
 * resets, loopback, OUT2 gating, modem status, IER masking and IIR
 * priorities.
 */
#include <glib.h>

#include "devices/uart16550.h"
#include "machine/irq.h"
#include "machine/machine.h"

#define COM1 UART_COM1_BASE
#define RBR  (COM1 + 0)
#define THR  (COM1 + 0)
#define DLL  (COM1 + 0)
#define IER  (COM1 + 1)
#define DLM  (COM1 + 1)
#define IIR  (COM1 + 2)
#define FCR  (COM1 + 2)
#define LCR  (COM1 + 3)
#define MCR  (COM1 + 4)
#define LSR  (COM1 + 5)
#define MSR  (COM1 + 6)
#define SCR  (COM1 + 7)

/* LSR bits */
#define DR   0x01
#define OE   0x02
#define THRE 0x20
#define TEMT 0x40

/* MCR bits */
#define M_DTR  0x01
#define M_RTS  0x02
#define M_OUT1 0x04
#define M_OUT2 0x08
#define M_LOOP 0x10

/* One character at 8N1: 10 bits of 16 clocks at 1.8432 MHz, rounded up to ns. */
#define CHAR_NS_9600   1041667u /* divisor 12 */
#define CHAR_NS_115200 86806u   /* divisor 1 */

struct irq_rec {
    int level;
    unsigned rises;
};

struct fix {
    struct machine m;
    struct uart *u;
    struct irq_rec irq;
    GByteArray *out; /* bytes the backend received */
    unsigned writes; /* backend write calls that took bytes */
    size_t room;     /* bytes the backend takes before it is full */
};

static void rec_irq(void *opaque, unsigned n, int level)
{
    struct irq_rec *r = opaque;
    if (level && !r->level)
        r->rises++;
    r->level = level;
}

static size_t rec_write(void *opaque, const uint8_t *buf, size_t len)
{
    struct fix *f = opaque;
    size_t n = MIN(len, f->room);
    if (n == 0)
        return 0;
    f->writes++;
    f->room -= n;
    g_byte_array_append(f->out, buf, (guint)n);
    return n;
}

static struct fix *fix_new(void)
{
    struct fix *f = g_new0(struct fix, 1);
    g_assert_cmpint(
        machine_init(&f->m, &(struct machine_config){.ram_mb = 1, .manual_clock = true}), ==, 0);
    f->out = g_byte_array_new();
    f->room = SIZE_MAX;
    struct irq_line line = {rec_irq, &f->irq, 4};
    struct uart_backend be = {rec_write, f};
    f->u = uart_create(&f->m, COM1, &line, &be);
    g_assert_nonnull(f->u);
    return f;
}

static void fix_free(struct fix *f)
{
    uart_destroy(f->u);
    g_byte_array_free(f->out, TRUE);
    machine_destroy(&f->m);
    g_free(f);
}

static uint8_t in(struct fix *f, uint16_t port)
{
    return (uint8_t)iobus_read(&f->m.io, port, 1);
}

static void out(struct fix *f, uint16_t port, uint8_t v)
{
    iobus_write(&f->m.io, port, v, 1);
}

static void advance(struct fix *f, uint64_t ns)
{
    vclock_advance(&f->m.clock, ns);
}

/* Program the divisor and LCR (DLAB left clear). */
static void set_line(struct fix *f, uint16_t divisor, uint8_t lcr)
{
    out(f, LCR, 0x80);
    out(f, DLL, divisor & 0xff);
    out(f, DLM, divisor >> 8);
    out(f, LCR, lcr);
}

static void push(struct fix *f, const char *s)
{
    size_t n = strlen(s);
    g_assert_cmpuint(uart_receive(f->u, (const uint8_t *)s, n), ==, n);
}

/* --- tests ------------------------------------------------------------ */

static void test_reset_values(void)
{
    struct fix *f = fix_new();
    g_assert_cmphex(in(f, IER), ==, 0x00);
    g_assert_cmphex(in(f, IIR), ==, 0x01);
    g_assert_cmphex(in(f, LCR), ==, 0x00);
    g_assert_cmphex(in(f, MCR), ==, 0x00);
    g_assert_cmphex(in(f, LSR), ==, THRE | TEMT);
    g_assert_cmphex(in(f, MSR), ==, 0xb0); /* DCD, DSR, CTS from the host; no deltas */
    g_assert_cmpint(f->irq.level, ==, 0);

    /* Reset returns the registers but keeps the divisor and scratch. */
    set_line(f, 0x1234, 0x1b);
    out(f, SCR, 0x5a);
    out(f, IER, 0x0f);
    out(f, MCR, 0x0b);
    out(f, FCR, 0xc1);
    uart_reset(f->u);
    g_assert_cmphex(in(f, IER), ==, 0);
    g_assert_cmphex(in(f, IIR), ==, 0x01);
    g_assert_cmphex(in(f, LCR), ==, 0);
    g_assert_cmphex(in(f, MCR), ==, 0);
    g_assert_cmphex(in(f, SCR), ==, 0x5a);
    out(f, LCR, 0x80);
    g_assert_cmphex(in(f, DLL), ==, 0x34);
    g_assert_cmphex(in(f, DLM), ==, 0x12);
    fix_free(f);
}

static void test_divisor_latch_and_lcr(void)
{
    struct fix *f = fix_new();
    out(f, IER, 0x05);
    out(f, LCR, 0x83); /* DLAB, 8 bits */
    g_assert_cmphex(in(f, LCR), ==, 0x83);
    out(f, DLL, 0x0c);
    out(f, DLM, 0x01);
    g_assert_cmphex(in(f, DLL), ==, 0x0c);
    g_assert_cmphex(in(f, DLM), ==, 0x01);
    g_assert_cmpuint(f->out->len, ==, 0); /* DLL writes are not transmitted */

    out(f, LCR, 0x03);
    g_assert_cmphex(in(f, IER), ==, 0x05); /* IER was not touched by DLM */
    out(f, IER, 0xff);
    g_assert_cmphex(in(f, IER), ==, 0x0f); /* bits 4-7 are always 0 */
    out(f, IER, 0);
    g_assert_cmphex(in(f, RBR), ==, 0x00); /* RBR, not DLL */

    /* Every LCR bit reads back. */
    for (unsigned v = 0; v < 0x80; v += 0x15) {
        out(f, LCR, (uint8_t)v);
        g_assert_cmphex(in(f, LCR), ==, v);
    }
    out(f, LCR, 0xff);
    g_assert_cmphex(in(f, LCR), ==, 0xff);
    out(f, LCR, 0x80);
    g_assert_cmphex(in(f, DLL), ==, 0x0c);
    g_assert_cmphex(in(f, DLM), ==, 0x01);
    fix_free(f);
}

/* A byte written to THR reaches the backend at once, and THRE and TEMT are back before the next
 * read. */
static void check_immediate(struct fix *f, uint8_t byte)
{
    guint before = f->out->len;
    g_assert_cmphex(in(f, LSR) & (THRE | TEMT), ==, THRE | TEMT);
    out(f, THR, byte);
    g_assert_cmpuint(f->out->len, ==, before + 1);
    g_assert_cmphex(f->out->data[before], ==, byte);
    g_assert_cmphex(in(f, LSR) & (THRE | TEMT), ==, THRE | TEMT);
}

static void test_polled_transmit(void)
{
    struct fix *f = fix_new();
    /* Any line setting, even 50 baud or divisor 0 (65536): no baud-rate wait. */
    static const struct {
        uint16_t divisor;
        uint8_t lcr;
    } lines[] = {{12, 0x03}, {1, 0x03}, {1, 0x0e}, {2, 0x04}, {2304, 0x03}, {0, 0x03}};
    for (unsigned i = 0; i < G_N_ELEMENTS(lines); i++) {
        set_line(f, lines[i].divisor, lines[i].lcr);
        check_immediate(f, (uint8_t)('a' + i));
    }
    /* With the FIFOs on too, and for many bytes: virtual time never moves. */
    out(f, FCR, 0x07);
    for (unsigned i = 0; i < 1000; i++)
        check_immediate(f, (uint8_t)i);
    g_assert_cmpuint(vclock_now(&f->m.clock), ==, 0);
    g_assert_cmpuint(f->out->len, ==, G_N_ELEMENTS(lines) + 1000);
    fix_free(f);
}

/* The backend is a byte stream: bytes pass whole at any word length. */
static void test_unprogrammed_transmit(void)
{
    struct fix *f = fix_new();
    g_assert_cmphex(in(f, LCR), ==, 0); /* 5 bits after reset */
    out(f, THR, 0xc1);
    set_line(f, 1, 0x02); /* 7 bits */
    out(f, THR, 0xff);
    g_assert_cmpuint(f->out->len, ==, 2);
    g_assert_cmphex(f->out->data[0], ==, 0xc1);
    g_assert_cmphex(f->out->data[1], ==, 0xff);
    fix_free(f);
}

static void test_thre_interrupt(void)
{
    struct fix *f = fix_new();
    set_line(f, 1, 0x03);
    out(f, MCR, M_OUT2);
    g_assert_cmpint(f->irq.level, ==, 0);
    /* Enabling ETBEI with THR empty interrupts at once. */
    out(f, IER, 0x02);
    g_assert_cmpint(f->irq.level, ==, 1);
    g_assert_cmphex(in(f, IIR), ==, 0x02);
    /* That IIR read was the source: the interrupt is gone. */
    g_assert_cmpint(f->irq.level, ==, 0);
    g_assert_cmphex(in(f, IIR), ==, 0x01);

    /* THR empties as the backend takes the byte: interrupt again. */
    out(f, THR, 'a');
    g_assert_cmpint(f->irq.level, ==, 1);
    g_assert_cmpuint(f->irq.rises, ==, 2);
    /*
     * Writing THR clears a pending THRE interrupt; the line drops before it
     * rises for the new empty THR, so an edge-triggered 8259A sees a new
     * edge even when the driver never read IIR.
     */
    out(f, THR, 'b');
    g_assert_cmpint(f->irq.level, ==, 1);
    g_assert_cmpuint(f->irq.rises, ==, 3);
    g_assert_cmphex(in(f, IIR), ==, 0x02);
    g_assert_cmphex(in(f, IIR), ==, 0x01);

    /* Disabling and re-enabling ETBEI while THR is empty raises it again. */
    out(f, IER, 0x00);
    out(f, IER, 0x02);
    g_assert_cmphex(in(f, IIR), ==, 0x02);
    /* Rewriting IER with ETBEI already set does not. */
    out(f, IER, 0x02);
    g_assert_cmphex(in(f, IIR), ==, 0x01);
    g_assert_cmpmem(f->out->data, f->out->len, "ab", 2);
    fix_free(f);
}

/*
 * A backend that is full: the byte stays in the shift register (TEMT
 * clear, THRE set: THR can take one more), the next ones fill THR or the
 * FIFO (THRE clear), and nothing is lost or reordered when it drains.
 */
static void test_backend_full(void)
{
    struct fix *f = fix_new();
    set_line(f, 1, 0x03);
    out(f, MCR, M_OUT2);
    f->room = 2;
    out(f, THR, '1');
    out(f, THR, '2');
    out(f, THR, '3'); /* the backend is full: held in the shift register */
    g_assert_cmphex(in(f, LSR) & (THRE | TEMT), ==, THRE);
    out(f, THR, '4'); /* THR */
    g_assert_cmphex(in(f, LSR) & (THRE | TEMT), ==, 0);
    out(f, THR, '5'); /* without FIFOs, a write before THRE overwrites THR (as the chip) */
    uart_tx_resume(f->u);
    g_assert_cmphex(in(f, LSR) & (THRE | TEMT), ==, 0); /* still full */
    f->room = SIZE_MAX;
    uart_tx_resume(f->u);
    g_assert_cmphex(in(f, LSR) & (THRE | TEMT), ==, THRE | TEMT);
    g_assert_cmpmem(f->out->data, f->out->len, "1235", 4);

    /* With FIFOs: 16 in the FIFO and 1 in the shift register. */
    g_byte_array_set_size(f->out, 0);
    out(f, FCR, 0x07);
    out(f, IER, 0x02);
    g_assert_cmphex(in(f, IIR), ==, 0xc2);
    f->room = 0;
    for (unsigned i = 0; i < 17; i++) {
        out(f, THR, (uint8_t)('A' + i));
        /* The first moves on into the shift register: THR empty again, THRE interrupt. */
        g_assert_cmphex(in(f, LSR) & (THRE | TEMT), ==, i == 0 ? THRE : 0);
        g_assert_cmpint(f->irq.level, ==, i == 0);
    }
    out(f, THR, '!'); /* a write to a full transmit FIFO is lost (as the chip) */
    /* The backend takes a few: the FIFO is not empty yet, no THRE, no interrupt. */
    f->room = 5;
    uart_tx_resume(f->u);
    g_assert_cmphex(in(f, LSR) & (THRE | TEMT), ==, 0);
    g_assert_cmpint(f->irq.level, ==, 0);
    /* The rest: THRE and TEMT, and the THRE interrupt. */
    f->room = SIZE_MAX;
    uart_tx_resume(f->u);
    g_assert_cmphex(in(f, LSR) & (THRE | TEMT), ==, THRE | TEMT);
    g_assert_cmpint(f->irq.level, ==, 1);
    g_assert_cmphex(in(f, IIR), ==, 0xc2);
    g_assert_cmpmem(f->out->data, f->out->len, "ABCDEFGHIJKLMNOPQ", 17);

    /* A driver that waits for THRE never loses a byte, however slow the backend. */
    g_byte_array_set_size(f->out, 0);
    unsigned sent = 0;
    for (unsigned round = 0; sent < 4000; round++) {
        f->room = round % 7; /* the backend takes 0 to 6 bytes between CPU slices */
        uart_tx_resume(f->u);
        while (sent < 4000 && (in(f, LSR) & THRE)) {
            unsigned burst = MIN(16u, 4000 - sent);
            for (unsigned i = 0; i < burst; i++, sent++)
                out(f, THR, (uint8_t)(sent * 7));
        }
    }
    while (in(f, LSR) != (THRE | TEMT)) {
        f->room = 3;
        uart_tx_resume(f->u);
    }
    g_assert_cmpuint(f->out->len, ==, 4000);
    for (unsigned i = 0; i < 4000; i++)
        g_assert_cmphex(f->out->data[i], ==, (uint8_t)(i * 7));
    fix_free(f);
}

static void test_fifo_trigger_levels(void)
{
    static const struct {
        uint8_t fcr;
        unsigned level;
    } cases[] = {{0x01, 1}, {0x41, 4}, {0x81, 8}, {0xc1, 14}};
    for (unsigned c = 0; c < G_N_ELEMENTS(cases); c++) {
        struct fix *f = fix_new();
        set_line(f, 1, 0x03);
        out(f, MCR, M_OUT2);
        out(f, FCR, cases[c].fcr | 0x06);
        out(f, IER, 0x01);
        for (unsigned i = 0; i + 1 < cases[c].level; i++) {
            uint8_t b = (uint8_t)('A' + i);
            g_assert_cmpuint(uart_receive(f->u, &b, 1), ==, 1);
        }
        if (cases[c].level > 1) {
            g_assert_cmphex(in(f, LSR) & DR, ==, DR);
            g_assert_cmphex(in(f, IIR), ==, 0xc1);
            g_assert_cmpint(f->irq.level, ==, 0);
        }
        uint8_t b = (uint8_t)('A' + cases[c].level - 1);
        g_assert_cmpuint(uart_receive(f->u, &b, 1), ==, 1);
        g_assert_cmpint(f->irq.level, ==, 1);
        g_assert_cmphex(in(f, IIR), ==, 0xc4);
        /* Reading IIR does not clear it; dropping below the trigger does. */
        g_assert_cmphex(in(f, IIR), ==, 0xc4);
        g_assert_cmphex(in(f, RBR), ==, 'A');
        g_assert_cmpint(f->irq.level, ==, 0);
        g_assert_cmphex(in(f, IIR), ==, 0xc1);
        for (unsigned i = 1; i < cases[c].level; i++)
            g_assert_cmphex(in(f, RBR), ==, 'A' + i);
        g_assert_cmphex(in(f, LSR) & DR, ==, 0);
        fix_free(f);
    }
}

static void test_fifo_capacity(void)
{
    struct fix *f = fix_new();
    out(f, FCR, 0x01);
    g_assert_cmpuint(uart_rx_space(f->u), ==, 16);
    uint8_t buf[20];
    for (unsigned i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)i;
    /* Only what fits is taken: the rest stays with the caller, no overrun. */
    g_assert_cmpuint(uart_receive(f->u, buf, sizeof buf), ==, 16);
    g_assert_cmpuint(uart_rx_space(f->u), ==, 0);
    g_assert_cmpuint(uart_receive(f->u, buf + 16, 4), ==, 0);
    g_assert_cmphex(in(f, LSR) & (OE | DR), ==, DR);
    g_assert_cmphex(in(f, RBR), ==, 0);
    g_assert_cmpuint(uart_rx_space(f->u), ==, 1);
    g_assert_cmpuint(uart_receive(f->u, buf + 16, 4), ==, 1);
    for (unsigned i = 1; i <= 16; i++)
        g_assert_cmphex(in(f, RBR), ==, i);
    g_assert_cmphex(in(f, LSR) & (OE | DR), ==, 0);
    /* An empty FIFO reads the last byte again. */
    g_assert_cmphex(in(f, RBR), ==, 16);
    fix_free(f);
}

static void test_no_fifo_receive(void)
{
    struct fix *f = fix_new();
    out(f, MCR, M_OUT2);
    out(f, IER, 0x01);
    g_assert_cmpuint(uart_rx_space(f->u), ==, 1);
    const uint8_t two[2] = {'p', 'q'};
    g_assert_cmpuint(uart_receive(f->u, two, 2), ==, 1);
    g_assert_cmphex(in(f, IIR), ==, 0x04); /* bits 6-7 clear without FIFOs */
    g_assert_cmpint(f->irq.level, ==, 1);
    /* No character timeout without FIFOs. */
    advance(f, 100 * CHAR_NS_115200);
    g_assert_cmphex(in(f, IIR), ==, 0x04);
    g_assert_cmphex(in(f, RBR), ==, 'p');
    g_assert_cmphex(in(f, IIR), ==, 0x01);
    g_assert_cmpint(f->irq.level, ==, 0);
    g_assert_cmpuint(uart_receive(f->u, two + 1, 1), ==, 1);
    g_assert_cmphex(in(f, RBR), ==, 'q');
    fix_free(f);
}

static void test_char_timeout(void)
{
    struct fix *f = fix_new();
    set_line(f, 12, 0x03); /* 9600 8N1 */
    out(f, MCR, M_OUT2);
    out(f, FCR, 0x81); /* trigger 8 */
    out(f, IER, 0x01);
    push(f, "abc");
    g_assert_cmphex(in(f, IIR), ==, 0xc1);
    advance(f, 2 * CHAR_NS_9600);
    push(f, "d"); /* a new character restarts the timer */
    advance(f, 4 * CHAR_NS_9600 - 1);
    g_assert_cmphex(in(f, IIR), ==, 0xc1);
    g_assert_cmpint(f->irq.level, ==, 0);
    advance(f, 1);
    g_assert_cmpint(f->irq.level, ==, 1);
    g_assert_cmphex(in(f, IIR), ==, 0xcc);
    /* Reading one character clears the timeout and restarts the timer. */
    g_assert_cmphex(in(f, RBR), ==, 'a');
    g_assert_cmphex(in(f, IIR), ==, 0xc1);
    g_assert_cmpint(f->irq.level, ==, 0);
    advance(f, 4 * CHAR_NS_9600 - 1);
    g_assert_cmphex(in(f, IIR), ==, 0xc1);
    advance(f, 1);
    g_assert_cmphex(in(f, IIR), ==, 0xcc);
    /* After a timeout, new characters do not clear it: only a read does. */
    push(f, "e");
    g_assert_cmphex(in(f, IIR), ==, 0xcc);
    g_assert_cmphex(in(f, RBR), ==, 'b');
    g_assert_cmphex(in(f, RBR), ==, 'c');
    g_assert_cmphex(in(f, RBR), ==, 'd');
    g_assert_cmphex(in(f, RBR), ==, 'e');
    /* An empty FIFO never times out. */
    advance(f, 100 * CHAR_NS_9600);
    g_assert_cmphex(in(f, IIR), ==, 0xc1);
    g_assert_cmpint(f->irq.level, ==, 0);
    fix_free(f);
}

static void test_overrun(void)
{
    struct fix *f = fix_new();
    set_line(f, 1, 0x03);
    out(f, MCR, M_LOOP);
    out(f, FCR, 0x01);
    out(f, IER, 0x05);
    /* Loopback sends bytes the receiver must take: the 17th overruns. */
    for (unsigned i = 0; i < 16; i++)
        out(f, THR, (uint8_t)('a' + i));
    g_assert_cmphex(in(f, IIR), ==, 0xc4);
    out(f, THR, 'z');
    g_assert_cmphex(in(f, IIR), ==, 0xc6); /* line status beats data */
    uint8_t lsr = in(f, LSR);
    g_assert_cmphex(lsr & (OE | DR), ==, OE | DR);
    g_assert_cmphex(lsr & 0x9c, ==, 0);      /* no PE/FE/BI, no error in FIFO */
    g_assert_cmphex(in(f, LSR) & OE, ==, 0); /* cleared by the read */
    g_assert_cmphex(in(f, IIR), ==, 0xc4);
    /* The FIFO kept its 16 bytes; the overrun character was lost. */
    for (unsigned i = 0; i < 16; i++)
        g_assert_cmphex(in(f, RBR), ==, 'a' + i);
    g_assert_cmphex(in(f, LSR) & DR, ==, 0);

    /* Without FIFOs the new character overwrites RBR. */
    out(f, FCR, 0x00);
    out(f, THR, '1');
    out(f, THR, '2');
    g_assert_cmphex(in(f, IIR), ==, 0x06);
    g_assert_cmphex(in(f, LSR) & (OE | DR), ==, OE | DR);
    g_assert_cmphex(in(f, RBR), ==, '2');
    g_assert_cmphex(in(f, IIR), ==, 0x01);
    fix_free(f);
}

static void test_fifo_reset(void)
{
    struct fix *f = fix_new();
    set_line(f, 12, 0x03);
    out(f, FCR, 0x01);
    g_assert_cmphex(in(f, IIR) & 0xc0, ==, 0xc0);
    push(f, "abc");
    out(f, FCR, 0x03); /* receive FIFO reset */
    g_assert_cmphex(in(f, LSR) & DR, ==, 0);
    g_assert_cmpuint(uart_rx_space(f->u), ==, 16);
    push(f, "x");
    g_assert_cmphex(in(f, RBR), ==, 'x');

    /* Transmit FIFO reset: THR empty at once; the shift register finishes. */
    f->room = 0;
    out(f, THR, '1');
    out(f, THR, '2');
    g_assert_cmphex(in(f, LSR) & (THRE | TEMT), ==, 0);
    out(f, FCR, 0x05);
    g_assert_cmphex(in(f, LSR) & (THRE | TEMT), ==, THRE);
    f->room = SIZE_MAX;
    uart_tx_resume(f->u);
    g_assert_cmphex(in(f, LSR) & (THRE | TEMT), ==, THRE | TEMT);
    g_assert_cmpmem(f->out->data, f->out->len, "1", 1);

    /* FIFO resets also program the trigger level. */
    push(f, "pq");
    out(f, FCR, 0xc3); /* trigger 14, reset receiver */
    g_assert_cmphex(in(f, LSR) & DR, ==, 0);
    /* Turning the FIFOs off clears them. */
    push(f, "r");
    out(f, FCR, 0x02);
    g_assert_cmphex(in(f, IIR) & 0xc0, ==, 0x00);
    g_assert_cmphex(in(f, LSR) & DR, ==, 0);
    /* Without FCR bit 0 the reset bits are not programmed. */
    push(f, "s");
    out(f, FCR, 0x02);
    g_assert_cmphex(in(f, LSR) & DR, ==, DR);
    g_assert_cmphex(in(f, RBR), ==, 's');
    /* Turning the FIFOs on clears the receiver too. */
    push(f, "t");
    out(f, FCR, 0x01);
    g_assert_cmphex(in(f, LSR) & DR, ==, 0);
    fix_free(f);
}

static void test_loopback(void)
{
    struct fix *f = fix_new();
    set_line(f, 1, 0x03);
    out(f, FCR, 0x01);
    out(f, MCR, M_LOOP);
    g_assert_cmpuint(uart_rx_space(f->u), ==, 0); /* SIN disconnected */
    const uint8_t host = 'h';
    g_assert_cmpuint(uart_receive(f->u, &host, 1), ==, 0);
    out(f, THR, 0x55);
    out(f, THR, 0xaa);
    g_assert_cmphex(in(f, LSR) & DR, ==, DR);
    g_assert_cmphex(in(f, RBR), ==, 0x55);
    g_assert_cmphex(in(f, RBR), ==, 0xaa);
    g_assert_cmpuint(f->writes, ==, 0); /* nothing reaches the backend */
    g_assert_cmphex(in(f, LSR) & (THRE | TEMT), ==, THRE | TEMT);
    /* A byte held for a full backend goes to the receiver on entering loopback. */
    out(f, MCR, 0);
    f->room = 0;
    out(f, THR, 'L');
    g_assert_cmphex(in(f, LSR) & (DR | TEMT), ==, 0);
    out(f, MCR, M_LOOP);
    g_assert_cmphex(in(f, LSR) & (DR | TEMT), ==, DR | TEMT);
    g_assert_cmphex(in(f, RBR), ==, 'L');
    f->room = SIZE_MAX;

    /* MCR bits 0-3 appear as DSR, CTS, RI, DCD. */
    static const struct {
        uint8_t mcr, msr_lines;
    } map[] = {{0, 0x00},      {M_DTR, 0x20}, {M_RTS, 0x10},         {M_OUT1, 0x40},
               {M_OUT2, 0x80}, {0x0f, 0xf0},  {M_RTS | M_OUT2, 0x90}};
    for (unsigned i = 0; i < G_N_ELEMENTS(map); i++) {
        out(f, MCR, M_LOOP | map[i].mcr);
        g_assert_cmphex(in(f, MCR), ==, M_LOOP | map[i].mcr);
        g_assert_cmphex(in(f, MSR) & 0xf0, ==, map[i].msr_lines);
    }

    /* Leaving loopback: the host's lines again, the backend gets data. */
    out(f, MCR, 0);
    g_assert_cmphex(in(f, MSR) & 0xf0, ==, 0xb0);
    g_assert_cmpuint(uart_rx_space(f->u), ==, 16);
    out(f, THR, 'o');
    g_assert_cmpuint(f->writes, ==, 1);
    g_assert_cmphex(in(f, LSR) & DR, ==, 0);
    fix_free(f);
}

static void test_out2_gating(void)
{
    struct fix *f = fix_new();
    out(f, IER, 0x02); /* THRE interrupt pending */
    g_assert_cmpint(f->irq.level, ==, 0);
    out(f, MCR, M_DTR | M_RTS | M_OUT1);
    g_assert_cmpint(f->irq.level, ==, 0);
    out(f, MCR, M_OUT2);
    g_assert_cmpint(f->irq.level, ==, 1);
    out(f, MCR, 0);
    g_assert_cmpint(f->irq.level, ==, 0);
    /* The interrupt is still pending in the chip. */
    g_assert_cmphex(in(f, IIR), ==, 0x02);
    out(f, IER, 0);
    out(f, IER, 0x02);
    out(f, MCR, M_OUT2);
    g_assert_cmpint(f->irq.level, ==, 1);
    /* Loopback forces the OUT2 pin inactive: no interrupt on the bus. */
    out(f, MCR, M_LOOP | M_OUT2);
    g_assert_cmpint(f->irq.level, ==, 0);
    g_assert_cmphex(in(f, IIR) & 0x0f, ==, 0x02); /* the chip still reports it */
    out(f, IER, 0);
    out(f, IER, 0x02);
    out(f, MCR, M_OUT2);
    g_assert_cmpint(f->irq.level, ==, 1);
    fix_free(f);
}

static void test_msr_deltas(void)
{
    struct fix *f = fix_new();
    out(f, MCR, M_OUT2);
    out(f, IER, 0x08);
    g_assert_cmpint(f->irq.level, ==, 0);
    /* Entering loopback with MCR bits 0-3 low drops CTS, DSR, DCD. */
    out(f, MCR, M_LOOP);
    g_assert_cmphex(in(f, IIR), ==, 0x00);
    g_assert_cmphex(in(f, MSR), ==, 0x0b); /* DCTS DDSR DDCD, lines low */
    g_assert_cmphex(in(f, MSR), ==, 0x00); /* deltas cleared by the read */
    g_assert_cmphex(in(f, IIR), ==, 0x01);

    out(f, MCR, M_LOOP | M_RTS);
    g_assert_cmphex(in(f, MSR), ==, 0x11);
    out(f, MCR, M_LOOP | M_RTS | M_DTR);
    g_assert_cmphex(in(f, MSR), ==, 0x32);
    out(f, MCR, M_LOOP | M_RTS | M_DTR | M_OUT2);
    g_assert_cmphex(in(f, MSR), ==, 0xb8);
    /* RI: only the trailing edge (on to off) sets TERI. */
    out(f, MCR, M_LOOP | M_RTS | M_DTR | M_OUT2 | M_OUT1);
    g_assert_cmphex(in(f, MSR), ==, 0xf0);
    out(f, MCR, M_LOOP | M_RTS | M_DTR | M_OUT2);
    g_assert_cmphex(in(f, MSR), ==, 0xb4);
    /* Unchanged lines set nothing. */
    out(f, MCR, M_LOOP | M_RTS | M_DTR | M_OUT2);
    g_assert_cmphex(in(f, MSR), ==, 0xb0);
    /* Leaving loopback with the same levels as the host's: no deltas. */
    out(f, MCR, M_RTS | M_DTR | M_OUT2);
    g_assert_cmphex(in(f, MSR), ==, 0xb0);
    /* Deltas accumulate until read. */
    out(f, MCR, M_LOOP);
    out(f, MCR, M_LOOP | M_DTR | M_RTS | M_OUT2);
    g_assert_cmphex(in(f, MSR), ==, 0xbb);
    fix_free(f);
}

static void test_scratch(void)
{
    struct fix *f = fix_new();
    for (unsigned v = 0; v < 256; v += 17) {
        out(f, SCR, (uint8_t)v);
        g_assert_cmphex(in(f, SCR), ==, v);
    }
    out(f, LCR, 0x80); /* DLAB does not affect SCR */
    out(f, SCR, 0xa5);
    out(f, LCR, 0x00);
    g_assert_cmphex(in(f, SCR), ==, 0xa5);
    fix_free(f);
}

/* Make every source pending: line status (OE), data, THRE, modem status. */
static void make_all_pending(struct fix *f)
{
    set_line(f, 1, 0x03);
    out(f, FCR, 0x01);
    out(f, MCR, M_LOOP); /* modem status deltas */
    for (unsigned i = 0; i < 17; i++)
        out(f, THR, (uint8_t)i); /* fills the FIFO and overruns; THRE interrupt latched */
}

static void test_ier_masking(void)
{
    static const struct {
        uint8_t ier, iir;
    } cases[] = {{0x00, 0xc1}, {0x01, 0xc4}, {0x02, 0xc2}, {0x04, 0xc6}, {0x08, 0xc0}};
    for (unsigned c = 0; c < G_N_ELEMENTS(cases); c++) {
        struct fix *f = fix_new();
        make_all_pending(f);
        out(f, IER, cases[c].ier);
        g_assert_cmphex(in(f, IIR), ==, cases[c].iir);
        fix_free(f);
    }
    /* The character timeout is masked with received data (IER bit 0). */
    struct fix *f = fix_new();
    out(f, FCR, 0xc1);
    push(f, "a");
    advance(f, 10 * CHAR_NS_115200);
    g_assert_cmphex(in(f, IIR), ==, 0xc1);
    out(f, IER, 0x0e);
    g_assert_cmphex(in(f, IIR), ==, 0xc2); /* THRE, which this read clears */
    g_assert_cmphex(in(f, IIR), ==, 0xc1);
    out(f, IER, 0x01);
    g_assert_cmphex(in(f, IIR), ==, 0xcc);
    fix_free(f);
}

static void test_iir_priority(void)
{
    struct fix *f = fix_new();
    make_all_pending(f);
    out(f, IER, 0x0f);
    /* Highest first; each is cleared the way the datasheet says. */
    g_assert_cmphex(in(f, IIR), ==, 0xc6);
    in(f, LSR);
    g_assert_cmphex(in(f, IIR), ==, 0xc4);
    out(f, FCR, 0x03); /* empty the receive FIFO */
    g_assert_cmphex(in(f, IIR), ==, 0xc2);
    g_assert_cmphex(in(f, IIR), ==, 0xc0); /* the IIR read cleared THRE */
    in(f, MSR);
    g_assert_cmphex(in(f, IIR), ==, 0xc1);

    /* The timeout ranks with received data, above THRE. */
    out(f, IER, 0x03);
    out(f, THR, 'q'); /* loopback: one byte received; THRE again */
    advance(f, 4 * CHAR_NS_115200);
    g_assert_cmphex(in(f, IIR), ==, 0xcc);
    in(f, RBR);
    g_assert_cmphex(in(f, IIR), ==, 0xc2);
    fix_free(f);
}

static void test_create_destroy(void)
{
    struct machine m;
    g_assert_cmpint(machine_init(&m, &(struct machine_config){.ram_mb = 1, .manual_clock = true}),
                    ==, 0);
    struct uart *com1 = uart_create(&m, UART_COM1_BASE, NULL, NULL);
    struct uart *com2 = uart_create(&m, UART_COM2_BASE, NULL, NULL);
    g_assert_nonnull(com1);
    g_assert_nonnull(com2);
    g_assert_null(uart_create(&m, UART_COM1_BASE + 4, NULL, NULL)); /* ports taken */
    /* Independent registers; no backend or line: writes are discarded safely. */
    iobus_write(&m.io, UART_COM1_BASE + 7, 0x11, 1);
    iobus_write(&m.io, UART_COM2_BASE + 7, 0x22, 1);
    g_assert_cmphex(iobus_read(&m.io, UART_COM1_BASE + 7, 1), ==, 0x11);
    g_assert_cmphex(iobus_read(&m.io, UART_COM2_BASE + 7, 1), ==, 0x22);
    iobus_write(&m.io, UART_COM1_BASE + 1, 0x0f, 1);
    iobus_write(&m.io, UART_COM1_BASE + 4, 0x08, 1);
    iobus_write(&m.io, UART_COM1_BASE, 'x', 1);
    /* A 16-bit access is split into bytes: SCR and the next port. */
    iobus_write(&m.io, UART_COM2_BASE + 3, 0x5503, 2);
    g_assert_cmphex(iobus_read(&m.io, UART_COM2_BASE + 3, 1), ==, 0x03);
    uart_destroy(com1); /* with a timer armed */
    g_assert_cmphex(iobus_read(&m.io, UART_COM1_BASE + 7, 1), ==, 0xff);
    vclock_advance(&m.clock, 1000000000ull);
    uart_destroy(com2);
    uart_destroy(NULL);
    machine_destroy(&m);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/uart16550/reset-values", test_reset_values);
    g_test_add_func("/uart16550/divisor-latch-lcr", test_divisor_latch_and_lcr);
    g_test_add_func("/uart16550/polled-transmit", test_polled_transmit);
    g_test_add_func("/uart16550/unprogrammed-transmit", test_unprogrammed_transmit);
    g_test_add_func("/uart16550/thre-interrupt", test_thre_interrupt);
    g_test_add_func("/uart16550/backend-full", test_backend_full);
    g_test_add_func("/uart16550/fifo-trigger-levels", test_fifo_trigger_levels);
    g_test_add_func("/uart16550/fifo-capacity", test_fifo_capacity);
    g_test_add_func("/uart16550/no-fifo-receive", test_no_fifo_receive);
    g_test_add_func("/uart16550/char-timeout", test_char_timeout);
    g_test_add_func("/uart16550/overrun", test_overrun);
    g_test_add_func("/uart16550/fifo-reset", test_fifo_reset);
    g_test_add_func("/uart16550/loopback", test_loopback);
    g_test_add_func("/uart16550/out2-gating", test_out2_gating);
    g_test_add_func("/uart16550/msr-deltas", test_msr_deltas);
    g_test_add_func("/uart16550/scratch", test_scratch);
    g_test_add_func("/uart16550/ier-masking", test_ier_masking);
    g_test_add_func("/uart16550/iir-priority", test_iir_priority);
    g_test_add_func("/uart16550/create-destroy", test_create_destroy);
    return g_test_run();
}
