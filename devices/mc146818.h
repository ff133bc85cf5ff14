/*
 * MC146818A real-time clock with 128 bytes of CMOS RAM at ports 0x70
 * (index; bit 7 disables NMI) and 0x71 (data). The date and time start from
 * the host's wall clock (UTC) and then advance with virtual time; the
 * periodic, alarm and update-ended interrupts drive the line handed to
 * rtc_create (IRQ 8 on a PC). The board fills the BIOS's CMOS bytes (memory
 * sizes, disk types, checksum) through rtc_cmos_set.
 */
#ifndef POPEK_DEVICES_MC146818_H
#define POPEK_DEVICES_MC146818_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct machine;
struct irq_line;

#define RTC_PORT_INDEX 0x70
#define RTC_PORT_DATA  0x71
#define RTC_CMOS_SIZE  128  /* indexes 0x00-0x7F; the index port keeps 7 bits */
#define RTC_CENTURY    0x32 /* century byte (IBM PC/AT convention), kept by the clock */

struct rtc;

/*
 * Claim ports 0x70-0x71 on m->io and start the clock at the host's time of
 * day. `irq8` is copied. Returns NULL if the ports are taken.
 */
struct rtc *rtc_create(struct machine *m, const struct irq_line *irq8);
void rtc_destroy(struct rtc *s);

/*
 * The RESET pin (datasheet "RESET"): clears PIE, AIE, UIE, SQWE and the
 * register C flags and lowers the IRQ; CMOS RAM, register A and the other
 * register B bits survive. The date and time are reloaded from the host.
 */
void rtc_reset(struct rtc *s);

/*
 * Board access to CMOS bytes (index masked to 7 bits). Setting a clock
 * register (0x00-0x0D) acts as a guest write; getting register C does not
 * clear it.
 */
void rtc_cmos_set(struct rtc *s, uint8_t index, uint8_t value);
uint8_t rtc_cmos_get(struct rtc *s, uint8_t index);

/*
 * Set the clock to `utc` (in the current BCD/binary and 12/24-hour modes);
 * the next update comes one second of virtual time later. For tests and for
 * a board that wants a different base (e.g. local time).
 */
void rtc_set_time(struct rtc *s, time_t utc);

/* Bit 7 of the last byte written to port 0x70 (the board gates NMI with it). */
bool rtc_nmi_disabled(struct rtc *s);

#endif
