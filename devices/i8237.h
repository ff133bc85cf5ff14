/*
 * The PC/AT's two Intel 8237A DMA controllers and their page registers.
 * DMA1 (ports 0x00-0x0F) serves the 8-bit channels 0-3; DMA2 (0xC0-0xDF,
 * one register every other port) serves the 16-bit channels 4-7, and its
 * channel 4 is the cascade input from DMA1. The 74LS612 page registers at
 * 0x81-0x8F give address bits 16-23 (port 0x80 is the POST port and is
 * not claimed here).
 *
 * Devices on the ISA bus (the floppy controller, Sound Blaster) move data
 * through dma_transfer: the call plays the DREQ/DACK handshake for as many
 * bytes as the device offers, stopping at terminal count.
 */
#ifndef POPEK_DEVICES_I8237_H
#define POPEK_DEVICES_I8237_H

#include <stdbool.h>
#include <stddef.h>

struct machine;
struct dma;

#define DMA_CHANNELS 8

/* Claims the controller and page-register ports on m->io. */
struct dma *dma_create(struct machine *m);
void dma_destroy(struct dma *dma);

/*
 * The RESET pin: both controllers get a master clear (command, status,
 * request, temporary and the byte flip-flop cleared, every channel
 * masked). Addresses, counts, modes and the page registers are kept.
 */
void dma_reset(struct dma *dma);

/*
 * Move up to `len` bytes between a device buffer and guest memory on
 * `channel` (0-7): to_memory is the 8237's "write transfer" (device to
 * memory, a disk read), !to_memory its "read transfer". Channels 5-7 move
 * whole 16-bit words (an odd last byte is not moved). The current address
 * and count advance as on the hardware, wrapping inside the 64 KiB
 * (128 KiB for channels 4-7) page; the transfer stops at terminal count,
 * which sets the TC status bit and either reloads the channel
 * (autoinitialize) or masks it.
 *
 * Returns the bytes transferred: 0 when the channel cannot be served
 * (masked, controller disabled, DMA1's cascade on DMA2 masked, a cascade
 * channel) or is programmed for the other direction. In verify mode
 * nothing is moved but the bytes are counted and returned, so the device
 * sees its transfer accepted.
 */
int dma_transfer(struct dma *dma, unsigned channel, void *buf, size_t len, bool to_memory);

/* Whether a request on `channel` would be served now (unmasked and enabled). */
bool dma_channel_ready(struct dma *dma, unsigned channel);

/* Whether the last dma_transfer on `channel` ended at terminal count (EOP). */
bool dma_terminal_count(struct dma *dma, unsigned channel);

#endif
