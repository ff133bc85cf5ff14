/*
 * PC16550D UART (see uart16550.h), written from the National Semiconductor
 * PC16550D datasheet (June 1995): the register summary, the interrupt
 * identification register's priority table, "FIFO Interrupt Mode
 * Operation", and loopback (MCR bit 4).
 *
 * The transmitter runs at the pace of its backend, not of the baud rate
 * (as QEMU's does): a byte written to THR moves through the transmit FIFO
 * (THR alone without FIFOs) into the shift register and is offered to the
 * backend at once. While the backend takes bytes, THRE and TEMT are set
 * again before the guest's next instruction, so a polling guest sends as
 * fast as the backend accepts and an interrupt-driven one gets its THRE
 * interrupt at once. A backend that is full takes nothing: the byte stays
 * in the shift register (TEMT clear), later bytes queue in the FIFO (THRE
 * clear once it holds one), and uart_tx_resume, called when the backend may
 * have room again, carries on. A guest that waits for THRE therefore never
 * loses a byte; one that writes to a full FIFO loses the byte written, and
 * without FIFOs overwrites THR, as the chip does (PC16550D, "FIFO Polled
 * Mode Operation"; TI TL16C550 THR description). The datasheet's one-
 * character delay of the first THRE after an idle transmitter is not
 * modelled.
 *
 * The receiver follows virtual time (vclock): its character timeout is four
 * character times of divisor * 16 * (start + data + parity + stop bits) /
 * 1.8432 MHz. The backend is a byte stream, not a line: bytes pass whole
 * whatever the word length, so a guest that never programs LCR (5 bits
 * after reset) still gets its output through, as it would with a UART a
 * BIOS set up. Reception takes host bytes only up to the FIFO's capacity;
 * an overrun (OE) happens only for bytes the UART had to take: those it
 * sends to itself in loopback.
 */
#include "devices/uart16550.h"

#include <glib.h>

#include "machine/irq.h"
#include "machine/machine.h"

/* Register offsets (datasheet register summary); DLAB = LCR bit 7 selects DLL/DLM. */
enum {
    REG_RBR_THR = 0, /* RBR (read), THR (write); DLL with DLAB */
    REG_IER = 1,     /* IER; DLM with DLAB */
    REG_IIR_FCR = 2, /* IIR (read), FCR (write) */
    REG_LCR = 3,
    REG_MCR = 4,
    REG_LSR = 5,
    REG_MSR = 6,
    REG_SCR = 7,
};

/* IER: interrupt enables; bits 4-7 always 0. */
#define IER_ERBFI 0x01 /* received data available and character timeout */
#define IER_ETBEI 0x02 /* transmitter holding register empty */
#define IER_ELSI  0x04 /* receiver line status */
#define IER_EDSSI 0x08 /* modem status */
#define IER_MASK  0x0f

/* IIR: bit 0 = 0 while an interrupt is pending; bits 1-3 name the source. */
#define IIR_NONE    0x01
#define IIR_RLS     0x06 /* receiver line status: highest priority */
#define IIR_RDA     0x04 /* received data available (trigger level): second */
#define IIR_TIMEOUT 0x0c /* character timeout: second */
#define IIR_THRE    0x02 /* transmitter holding register empty: third */
#define IIR_MSR     0x00 /* modem status: fourth */
#define IIR_FIFO_ON 0xc0 /* bits 6-7 set while FCR bit 0 is set */

/* FCR: FIFO control (write only). */
#define FCR_ENABLE   0x01
#define FCR_RX_RESET 0x02 /* self-clearing */
#define FCR_TX_RESET 0x04 /* self-clearing */
#define FCR_DMA_MODE 0x08 /* RXRDY/TXRDY pin mode: no effect on a PC */

/* LCR: line control. */
#define LCR_WLS   0x03 /* word length 5 + WLS */
#define LCR_STB   0x04 /* 2 stop bits (1.5 with 5-bit words) */
#define LCR_PEN   0x08 /* parity bit present */
#define LCR_BREAK 0x40 /* break control: no backend signal */
#define LCR_DLAB  0x80

/* MCR: modem control; bits 5-7 always 0. */
#define MCR_DTR  0x01
#define MCR_RTS  0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08 /* on a PC: gates the interrupt onto the ISA bus */
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f

/* LSR: line status. */
#define LSR_DR        0x01
#define LSR_OE        0x02
#define LSR_PE        0x04
#define LSR_FE        0x08
#define LSR_BI        0x10
#define LSR_THRE      0x20
#define LSR_TEMT      0x40
#define LSR_FIFO_ERR  0x80                                /* a PE/FE/BI character in the FIFO */
#define LSR_ERR_STICK (LSR_OE | LSR_PE | LSR_FE | LSR_BI) /* cleared by reading LSR */

/* MSR: modem status; the low nibble is the delta bits, cleared by reading MSR. */
#define MSR_DCTS  0x01
#define MSR_DDSR  0x02
#define MSR_TERI  0x04 /* RI went from on to off */
#define MSR_DDCD  0x08
#define MSR_CTS   0x10
#define MSR_DSR   0x20
#define MSR_RI    0x40
#define MSR_DCD   0x80
#define MSR_DELTA 0x0f

#define UART_CLOCK_HZ     1843200u /* the PC's crystal; 16 clocks per bit */
#define TIMEOUT_CHARS     4u       /* FIFO character timeout, in character times */
#define HOST_MODEM_LINES  (MSR_CTS | MSR_DSR | MSR_DCD) /* the backend is always ready */
#define DEFAULT_DIVISOR   1u /* power-on value is undefined; start at 115200 baud */
#define RX_TRIGGER_LEVELS 4u

/* FCR bits 6-7: receiver FIFO trigger level. */
static const uint8_t rx_trigger_level[RX_TRIGGER_LEVELS] = {1, 4, 8, 14};

struct uart {
    struct machine *m;
    uint16_t base;
    struct irq_line irq;    /* the line we raise (set NULL: none) */
    struct uart_backend be; /* where transmitted bytes go */
    int irq_level;          /* level last driven on irq (-1: never driven) */

    uint16_t divisor; /* DLM:DLL baud divisor (0 counts as 65536) */
    uint8_t ier;      /* interrupt enable, bits 0-3 */
    uint8_t lcr;      /* line control */
    uint8_t mcr;      /* modem control, bits 0-4 */
    uint8_t scr;      /* scratch */
    bool fifo_on;     /* FCR bit 0: 16-byte FIFOs enabled */
    uint8_t trigger;  /* FCR bits 6-7: receiver trigger level index */
    bool dma_mode;    /* FCR bit 3 (kept for readers of the state; no effect) */

    uint8_t lsr_err;   /* sticky LSR error bits (OE; PE/FE/BI never occur) */
    bool thre_int;     /* THRE interrupt latched; cleared by IIR read or THR write */
    uint8_t msr_delta; /* MSR bits 0-3 */

    uint8_t tx[UART_FIFO_SIZE]; /* transmit FIFO (THR alone without FIFOs) */
    uint8_t tx_head;            /* index of the oldest byte in tx */
    uint8_t tx_count;           /* bytes in tx: LSR THRE while 0 */
    uint8_t tsr;                /* transmitter shift register */
    bool tsr_full;              /* tsr holds a byte the backend has not taken: TEMT clear */

    uint8_t rx[UART_FIFO_SIZE]; /* receive FIFO (RBR alone without FIFOs) */
    uint8_t rx_head;            /* index of the oldest byte in rx */
    uint8_t rx_count;           /* bytes in rx */
    uint8_t rbr;                /* last byte read: RBR when the FIFO is empty */
    bool timeout;               /* character timeout indicated */

    struct vtimer rx_timer; /* character timeout */
};

/* --- time ------------------------------------------------------------- */

/* Nanoseconds one character takes on the line at the programmed rate. */
static uint64_t uart_char_ns(const struct uart *u)
{
    unsigned data_bits = 5 + (u->lcr & LCR_WLS);
    unsigned parity = (u->lcr & LCR_PEN) ? 1 : 0;
    /* Stop bits in halves: 1, or 2 (1.5 with 5-bit words; datasheet LCR bit 2). */
    unsigned stop_halves = !(u->lcr & LCR_STB) ? 2 : (data_bits == 5 ? 3 : 4);
    unsigned halves = 2 * (1 + data_bits + parity) + stop_halves;
    uint64_t div = u->divisor ? u->divisor : 65536;
    uint64_t num = div * 16 * halves * 1000000000ull;
    uint64_t den = 2ull * UART_CLOCK_HZ;
    return (num + den - 1) / den;
}

static uint64_t uart_now(const struct uart *u)
{
    return vclock_now(&u->m->clock);
}

/* --- interrupts ------------------------------------------------------- */

static size_t uart_rx_capacity(const struct uart *u)
{
    return u->fifo_on ? UART_FIFO_SIZE : 1;
}

static bool uart_rx_data_int(const struct uart *u)
{
    if (!u->fifo_on)
        return u->rx_count > 0;
    return u->rx_count >= rx_trigger_level[u->trigger];
}

/* The highest-priority enabled source, as IIR bits 0-3 (datasheet IIR priority table). */
static uint8_t uart_iir_id(const struct uart *u)
{
    if ((u->ier & IER_ELSI) && (u->lsr_err & LSR_ERR_STICK))
        return IIR_RLS;
    if ((u->ier & IER_ERBFI) && u->timeout)
        return IIR_TIMEOUT;
    if ((u->ier & IER_ERBFI) && uart_rx_data_int(u))
        return IIR_RDA;
    if ((u->ier & IER_ETBEI) && u->thre_int)
        return IIR_THRE;
    if ((u->ier & IER_EDSSI) && u->msr_delta)
        return IIR_MSR;
    return IIR_NONE;
}

/*
 * Drive the line: the chip's INTRPT output reaches the ISA bus only through
 * the OUT2 pin's gate. In loopback the OUT2 pin is forced inactive (MCR bit
 * 4), so a PC sees no interrupt then even with MCR OUT2 set.
 */
static void uart_update_irq(struct uart *u)
{
    bool gate = (u->mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2;
    int level = gate && uart_iir_id(u) != IIR_NONE;
    if (level == u->irq_level)
        return;
    u->irq_level = level;
    irq_set(&u->irq, level);
}

/* --- modem lines ------------------------------------------------------ */

/* MSR bits 4-7: the backend's lines, or in loopback MCR bits 0-3 (RTS->CTS,
 * DTR->DSR, OUT1->RI, OUT2->DCD). */
static uint8_t uart_modem_lines(const struct uart *u)
{
    if (!(u->mcr & MCR_LOOP))
        return HOST_MODEM_LINES;
    uint8_t v = 0;
    if (u->mcr & MCR_RTS)
        v |= MSR_CTS;
    if (u->mcr & MCR_DTR)
        v |= MSR_DSR;
    if (u->mcr & MCR_OUT1)
        v |= MSR_RI;
    if (u->mcr & MCR_OUT2)
        v |= MSR_DCD;
    return v;
}

/* Record the delta bits for a change of the modem input lines. */
static void uart_lines_changed(struct uart *u, uint8_t old, uint8_t now)
{
    uint8_t diff = old ^ now;
    if (diff & MSR_CTS)
        u->msr_delta |= MSR_DCTS;
    if (diff & MSR_DSR)
        u->msr_delta |= MSR_DDSR;
    if (diff & MSR_DCD)
        u->msr_delta |= MSR_DDCD;
    if ((old & MSR_RI) && !(now & MSR_RI))
        u->msr_delta |= MSR_TERI;
}

/* --- receiver --------------------------------------------------------- */

static void uart_rx_clear(struct uart *u)
{
    u->rx_head = 0;
    u->rx_count = 0;
    u->timeout = false;
    vtimer_cancel(&u->m->clock, &u->rx_timer);
}

/* Restart the 4-character timeout while the FIFO holds data (FIFO mode only). */
static void uart_rx_restart_timeout(struct uart *u)
{
    if (!u->fifo_on || u->rx_count == 0) {
        vtimer_cancel(&u->m->clock, &u->rx_timer);
        return;
    }
    vtimer_arm(&u->m->clock, &u->rx_timer, uart_now(u) + TIMEOUT_CHARS * uart_char_ns(u));
}

static void uart_rx_timeout_fire(void *opaque)
{
    struct uart *u = opaque;
    if (u->fifo_on && u->rx_count > 0)
        u->timeout = true;
    uart_update_irq(u);
}

/*
 * A character completed in the receive shift register. With the receiver
 * full it is an overrun: without FIFOs the new character overwrites RBR;
 * with FIFOs the shift register is overwritten and the FIFO kept
 * (datasheet LSR bit 1).
 */
static void uart_rx_char(struct uart *u, uint8_t byte)
{
    if (u->rx_count >= uart_rx_capacity(u)) {
        u->lsr_err |= LSR_OE;
        if (!u->fifo_on)
            u->rx[u->rx_head] = byte;
    } else {
        u->rx[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = byte;
        u->rx_count++;
    }
    /* Restart the timeout; one already indicated stays until a CPU read. */
    uart_rx_restart_timeout(u);
}

static uint8_t uart_read_rbr(struct uart *u)
{
    if (u->rx_count > 0) {
        u->rbr = u->rx[u->rx_head];
        u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
        u->rx_count--;
    }
    u->timeout = false;
    uart_rx_restart_timeout(u);
    uart_update_irq(u);
    return u->rbr;
}

/* --- transmitter ------------------------------------------------------ */

static size_t uart_tx_capacity(const struct uart *u)
{
    return u->fifo_on ? UART_FIFO_SIZE : 1;
}

/* Empty THR / the transmit FIFO; THRE rising latches its interrupt. */
static void uart_tx_clear(struct uart *u)
{
    if (u->tx_count)
        u->thre_int = true;
    u->tx_head = 0;
    u->tx_count = 0;
}

/* Hand the shift register's byte on: true when it left the UART. */
static bool uart_tx_shift_out(struct uart *u)
{
    if (u->mcr & MCR_LOOP) {
        uart_rx_char(u, u->tsr); /* SOUT is looped back to the receiver */
        return true;
    }
    if (!u->be.write)
        return true;
    return u->be.write(u->be.opaque, &u->tsr, 1) == 1;
}

/*
 * Move bytes from the FIFO through the shift register to the backend until
 * the FIFO is empty or the backend is full. The FIFO's last byte moving into
 * the shift register sets THRE (and latches its interrupt).
 */
static void uart_tx_pump(struct uart *u)
{
    for (;;) {
        if (!u->tsr_full) {
            if (u->tx_count == 0)
                return;
            u->tsr = u->tx[u->tx_head];
            u->tsr_full = true;
            u->tx_head = (u->tx_head + 1) % UART_FIFO_SIZE;
            if (--u->tx_count == 0)
                u->thre_int = true;
        }
        if (!uart_tx_shift_out(u))
            return;
        u->tsr_full = false;
    }
}

static void uart_write_thr(struct uart *u, uint8_t byte)
{
    /* Writing THR clears a THRE interrupt: the line drops before it may rise again. */
    u->thre_int = false;
    uart_update_irq(u);
    if (u->tx_count < uart_tx_capacity(u))
        u->tx[(u->tx_head + u->tx_count++) % UART_FIFO_SIZE] = byte;
    else if (!u->fifo_on)
        u->tx[u->tx_head] = byte; /* THR not yet empty: overwritten */
    /* else: a write to a full transmit FIFO is lost */
    uart_tx_pump(u);
    uart_update_irq(u);
}

void uart_tx_resume(struct uart *u)
{
    if (!u->tsr_full)
        return;
    uart_tx_pump(u);
    uart_update_irq(u);
}

/* --- registers -------------------------------------------------------- */

void uart_reset(struct uart *u)
{
    /* Master reset (datasheet reset table): DLL, DLM and SCR are not affected. */
    u->ier = 0;
    u->lcr = 0;
    u->mcr = 0;
    u->fifo_on = false;
    u->trigger = 0;
    u->dma_mode = false;
    u->lsr_err = 0;
    u->thre_int = false;
    u->msr_delta = 0;
    u->rbr = 0;
    u->tx_head = 0;
    u->tx_count = 0;
    u->tsr_full = false;
    uart_rx_clear(u);
    uart_update_irq(u);
}

static uint8_t uart_read_iir(struct uart *u)
{
    uint8_t id = uart_iir_id(u);
    /* Reading IIR clears the THRE interrupt when it is the source reported. */
    if (id == IIR_THRE)
        u->thre_int = false;
    uart_update_irq(u);
    return id | (u->fifo_on ? IIR_FIFO_ON : 0);
}

static uint8_t uart_read_lsr(struct uart *u)
{
    uint8_t v = u->lsr_err;
    if (u->rx_count > 0)
        v |= LSR_DR;
    if (u->tx_count == 0)
        v |= LSR_THRE;
    if (u->tx_count == 0 && !u->tsr_full)
        v |= LSR_TEMT;
    /* LSR_FIFO_ERR counts PE/FE/BI characters only, which never occur. */
    u->lsr_err = 0;
    uart_update_irq(u);
    return v;
}

static uint8_t uart_read_msr(struct uart *u)
{
    uint8_t v = uart_modem_lines(u) | u->msr_delta;
    u->msr_delta = 0;
    uart_update_irq(u);
    return v;
}

static uint32_t uart_read(void *opaque, uint16_t offset, unsigned size)
{
    struct uart *u = opaque;
    bool dlab = u->lcr & LCR_DLAB;
    switch (offset) {
    case REG_RBR_THR:
        return dlab ? (u->divisor & 0xff) : uart_read_rbr(u);
    case REG_IER:
        return dlab ? (u->divisor >> 8) : u->ier;
    case REG_IIR_FCR:
        return uart_read_iir(u);
    case REG_LCR:
        return u->lcr;
    case REG_MCR:
        return u->mcr;
    case REG_LSR:
        return uart_read_lsr(u);
    case REG_MSR:
        return uart_read_msr(u);
    case REG_SCR:
        return u->scr;
    default:
        return 0xff;
    }
}

static void uart_write_ier(struct uart *u, uint8_t v)
{
    uint8_t old = u->ier;
    u->ier = v & IER_MASK;
    /* Enabling ETBEI while THR is empty raises the THRE interrupt at once. */
    if (!(old & IER_ETBEI) && (u->ier & IER_ETBEI) && u->tx_count == 0)
        u->thre_int = true;
    uart_update_irq(u);
}

static void uart_write_fcr(struct uart *u, uint8_t v)
{
    bool on = v & FCR_ENABLE;
    if (on != u->fifo_on) {
        /* Changing FCR bit 0 clears both FIFOs. */
        u->fifo_on = on;
        uart_rx_clear(u);
        uart_tx_clear(u);
    }
    /* The other bits are programmed only together with FCR bit 0 = 1. */
    if (on) {
        if (v & FCR_RX_RESET)
            uart_rx_clear(u);
        if (v & FCR_TX_RESET)
            uart_tx_clear(u); /* the shift register keeps its byte: TEMT waits */
        u->dma_mode = v & FCR_DMA_MODE;
        u->trigger = v >> 6;
    }
    uart_update_irq(u);
}

static void uart_write_mcr(struct uart *u, uint8_t v)
{
    uint8_t old = uart_modem_lines(u);
    u->mcr = v & MCR_MASK;
    uart_lines_changed(u, old, uart_modem_lines(u));
    uart_tx_pump(u); /* a byte held for a full backend goes to the receiver in loopback */
    uart_update_irq(u);
}

static void uart_write(void *opaque, uint16_t offset, uint32_t value, unsigned size)
{
    struct uart *u = opaque;
    uint8_t v = (uint8_t)value;
    bool dlab = u->lcr & LCR_DLAB;
    switch (offset) {
    case REG_RBR_THR:
        if (dlab)
            u->divisor = (uint16_t)((u->divisor & 0xff00) | v);
        else
            uart_write_thr(u, v);
        break;
    case REG_IER:
        if (dlab)
            u->divisor = (uint16_t)((u->divisor & 0x00ff) | (v << 8));
        else
            uart_write_ier(u, v);
        break;
    case REG_IIR_FCR:
        uart_write_fcr(u, v);
        break;
    case REG_LCR:
        u->lcr = v;
        break;
    case REG_MCR:
        uart_write_mcr(u, v);
        break;
    case REG_LSR: /* factory test only (datasheet LSR): ignored */
    case REG_MSR: /* read only */
        break;
    case REG_SCR:
        u->scr = v;
        break;
    default:
        break;
    }
}

static const struct io_ops uart_ops = {uart_read, uart_write, 0};

/* --- host side -------------------------------------------------------- */

size_t uart_rx_space(struct uart *u)
{
    if (u->mcr & MCR_LOOP)
        return 0; /* SIN is disconnected in loopback */
    return uart_rx_capacity(u) - u->rx_count;
}

size_t uart_receive(struct uart *u, const uint8_t *buf, size_t len)
{
    size_t n = MIN(len, uart_rx_space(u));
    for (size_t i = 0; i < n; i++)
        uart_rx_char(u, buf[i]);
    if (n)
        uart_update_irq(u);
    return n;
}

/* --- lifetime --------------------------------------------------------- */

struct uart *uart_create(struct machine *m, uint16_t base, const struct irq_line *irq,
                         const struct uart_backend *be)
{
    struct uart *u = g_new0(struct uart, 1);
    u->m = m;
    u->base = base;
    if (irq)
        u->irq = *irq;
    if (be)
        u->be = *be;
    u->irq_level = -1;
    u->divisor = DEFAULT_DIVISOR;
    vtimer_init(&u->rx_timer, uart_rx_timeout_fire, u);
    if (iobus_register(&m->io, "uart16550", base, UART_NPORTS, &uart_ops, u) < 0) {
        g_free(u);
        return NULL;
    }
    uart_reset(u);
    return u;
}

void uart_destroy(struct uart *u)
{
    if (!u)
        return;
    vtimer_cancel(&u->m->clock, &u->rx_timer);
    iobus_unregister(&u->m->io, u->base);
    g_free(u);
}
