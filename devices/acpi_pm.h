/*
 * The ACPI fixed-hardware registers of the PIIX4's power-management
 * function (82371AB datasheet §7.2, ACPI 2.0 §4.7): the PM1a event block
 * (status and enable), the PM1a control block (SCI_EN, SLP_TYP, SLP_EN)
 * and the 24-bit power-management timer at 3.579545 MHz of virtual time,
 * at a fixed I/O base (the board's FADT says where). Status bits with
 * their enables raise the SCI line; SLP_EN with SLP_TYP 0 (the PIIX4's
 * soft-off) asks the board to power off.
 */
#ifndef POPEK_DEVICES_ACPI_PM_H
#define POPEK_DEVICES_ACPI_PM_H

#include <stdint.h>

#include "machine/irq.h"

struct machine;
struct acpi_pm;

#define ACPI_PM_BASE             0x600u /* where QEMU's PIIX4 PM function puts them, as SeaBIOS expects */
#define ACPI_PM_SIZE             12u /* PM1a_EVT (4), PM1a_CNT (2), 2 unused, PM_TMR (4) */
#define ACPI_PM_EVT              0u  /* offsets of the blocks, for the FADT */
#define ACPI_PM_CNT              4u
#define ACPI_PM_TMR              8u
#define ACPI_PM_TIMER_HZ         3579545u
#define ACPI_PM_SLP_TYP_SOFT_OFF 0u /* PIIX4 PMCNTRL SUS_TYP 000b: the _S5 value */

struct acpi_pm_callbacks {
    void (*power_off)(void *opaque); /* SLP_EN with SLP_TYP soft-off */
    void *opaque;
};

/* Create it on m->io at `base`; `sci` and `cb` are copied. NULL when a port is taken. */
struct acpi_pm *acpi_pm_create(struct machine *m, uint16_t base, const struct irq_line *sci,
                               const struct acpi_pm_callbacks *cb);
void acpi_pm_destroy(struct acpi_pm *pm);

/* Reset: status and enables clear, SCI_EN set (the board has no SMI: it is always in ACPI mode). */
void acpi_pm_reset(struct acpi_pm *pm);

/* The power button was pressed: PWRBTN_STS (an SCI when PWRBTN_EN is set). */
void acpi_pm_power_button(struct acpi_pm *pm);

#endif
