/*
 * System control port B at I/O port 0x61 (PC/AT, PIIX3 "NMI Status and
 * Control Register"): counter 2's gate and the speaker data enable, the
 * refresh-request toggle software uses for delays, and counter 2's OUT.
 */
#ifndef POPEK_DEVICES_PORT61_H
#define POPEK_DEVICES_PORT61_H

struct machine;
struct pit;
struct port61;

#define PORT61_PORT 0x61

#define PORT61_GATE2     0x01 /* R/W: PIT counter 2 gate */
#define PORT61_SPEAKER   0x02 /* R/W: speaker data enable */
#define PORT61_PARITY_EN 0x04 /* R/W: stored (PCI SERR#/parity check enable, active low) */
#define PORT61_IOCHK_EN  0x08 /* R/W: stored (IOCHK# NMI enable, active low) */
#define PORT61_REFRESH   0x10 /* RO: toggles every 15.085 us of virtual time */
#define PORT61_OUT2      0x20 /* RO: PIT counter 2 OUT */
#define PORT61_WRITABLE  0x0f

#define PORT61_REFRESH_NS 15085u

/* Claim port 0x61 and drive counter 2's gate low (the reset value); NULL when taken. */
struct port61 *port61_create(struct machine *m, struct pit *pit);
void port61_destroy(struct port61 *p);

/* Reset: the writable bits to 0 (gate 2 low, speaker off). */
void port61_reset(struct port61 *p);

#endif
