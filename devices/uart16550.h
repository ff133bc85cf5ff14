/*
 * The PC's serial ports: a National Semiconductor PC16550D UART (16-byte
 * FIFOs) at a base port (COM1 0x3F8, COM2 0x2F8), eight registers wide.
 * Transmitted bytes go to a backend's write callback at once, as fast as
 * it takes them; a backend that is full takes none and the transmitter
 * holds its bytes (THRE/TEMT clear) until uart_tx_resume. Bytes from the
 * host enter through uart_receive, which accepts only what the receiver
 * has room for so the board keeps the rest and offers it again later.
 */
#ifndef POPEK_DEVICES_UART16550_H
#define POPEK_DEVICES_UART16550_H

#include <stddef.h>
#include <stdint.h>

struct irq_line;
struct machine;
struct uart;

#define UART_COM1_BASE 0x3f8
#define UART_COM2_BASE 0x2f8
#define UART_NPORTS    8
#define UART_FIFO_SIZE 16

/*
 * Where transmitted bytes go: write takes what it can of buf without
 * waiting and returns how many bytes it took (0: full, try again after
 * uart_tx_resume). write NULL: discard.
 */
struct uart_backend {
    size_t (*write)(void *opaque, const uint8_t *buf, size_t len);
    void *opaque;
};

/*
 * Create a UART claiming ports [base, base+8) on m->io and raising `irq`
 * (copied; NULL: no interrupt line) while an enabled interrupt is pending
 * and MCR OUT2 gates it onto the bus. `be` is copied (NULL: discard).
 * Returns NULL when the ports are taken.
 */
struct uart *uart_create(struct machine *m, uint16_t base, const struct irq_line *irq,
                         const struct uart_backend *be);
void uart_destroy(struct uart *u);

/* The datasheet's master reset (divisor latch and scratch keep their values). */
void uart_reset(struct uart *u);

/*
 * Host bytes arriving on the serial input: returns how many were taken
 * (never more than uart_rx_space); the caller offers the rest later.
 */
size_t uart_receive(struct uart *u, const uint8_t *buf, size_t len);

/*
 * The backend may have room again: the transmitter offers it the bytes it
 * holds (call it between CPU slices while the backend was full).
 */
void uart_tx_resume(struct uart *u);

/* Bytes uart_receive would take now (0 in loopback: the input is disconnected). */
size_t uart_rx_space(struct uart *u);

#endif
