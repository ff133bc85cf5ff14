/*
 * ACPI power-management registers (see acpi_pm.h), from the 82371AB
 * (PIIX4) datasheet §7.2.1 (PMSTS, PMEN, PMCNTRL, PMTMR) and the ACPI 2.0
 * specification §4.7.3 (PM1 event and control registers, the PM timer).
 *
 * The timer does not tick: its value follows from virtual time. One
 * vtimer fires when bit 23 next changes, which sets TMR_STS.
 */
#include "devices/acpi_pm.h"

#include <glib.h>
#include <string.h>

#include "machine/iobus.h"
#include "machine/machine.h"

/* PM1 status and enable bits (ACPI 2.0 Tables 4-12, 4-13). */
#define STS_TMR    (1u << 0)
#define STS_BM     (1u << 4)
#define STS_GBL    (1u << 5)
#define STS_PWRBTN (1u << 8)
#define STS_RTC    (1u << 10)
#define STS_WAK    (1u << 15)
#define EN_MASK    (STS_TMR | STS_GBL | STS_PWRBTN | STS_RTC)
/* PM1 control (Table 4-16). */
#define CNT_SCI_EN     (1u << 0)
#define CNT_SLP_TYP(v) (((v) >> 10) & 7u)
#define CNT_SLP_EN     (1u << 13)
#define CNT_MASK       0x1c07u /* SCI_EN, BM_RLD, GBL_RLS, SLP_TYP: what reads back */

struct acpi_pm {
    struct machine *m;
    uint16_t base;
    struct irq_line sci;
    struct acpi_pm_callbacks cb;
    uint16_t sts;        /* PM1_STS */
    uint16_t en;         /* PM1_EN */
    uint16_t cnt;        /* PM1_CNT (SLP_EN is write-only) */
    int sci_level;       /* the level last put on sci */
    struct vtimer timer; /* fires when bit 23 of the PM timer next changes */
};

static uint64_t timer_ticks(const struct acpi_pm *pm)
{
    return (uint64_t)((unsigned __int128)vclock_now(&pm->m->clock) * ACPI_PM_TIMER_HZ /
                      1000000000u);
}

static void acpi_pm_update_irq(struct acpi_pm *pm)
{
    int level = (pm->cnt & CNT_SCI_EN) && (pm->sts & pm->en & EN_MASK);
    if (level != pm->sci_level) {
        pm->sci_level = level;
        irq_set(&pm->sci, level);
    }
}

/* Arm for the next carry out of bit 22 into bit 23 (or out of bit 23): every 2^23 ticks. */
static void timer_schedule(struct acpi_pm *pm)
{
    uint64_t next = ((timer_ticks(pm) >> 23) + 1) << 23;
    uint64_t ns = (uint64_t)(((unsigned __int128)next * 1000000000u + ACPI_PM_TIMER_HZ - 1) /
                             ACPI_PM_TIMER_HZ);
    vtimer_arm(&pm->m->clock, &pm->timer, ns);
}

static void timer_fire(void *opaque)
{
    struct acpi_pm *pm = opaque;
    pm->sts |= STS_TMR;
    acpi_pm_update_irq(pm);
    timer_schedule(pm);
}

/* The registers as bytes, in I/O order, for any access size. */
static void regs_image(const struct acpi_pm *pm, uint8_t img[ACPI_PM_SIZE])
{
    uint32_t tmr = (uint32_t)timer_ticks(pm) & 0xffffffu;
    uint16_t words[2] = {pm->sts, pm->en};
    memcpy(img, words, 4);
    img[4] = (uint8_t)pm->cnt;
    img[5] = (uint8_t)(pm->cnt >> 8);
    img[6] = img[7] = 0;
    memcpy(img + 8, &tmr, 4);
}

static uint32_t acpi_pm_read(void *opaque, uint16_t offset, unsigned size)
{
    uint8_t img[ACPI_PM_SIZE];
    regs_image(opaque, img);
    uint32_t v = 0;
    for (unsigned i = 0; i < size && offset + i < ACPI_PM_SIZE; i++)
        v |= (uint32_t)img[offset + i] << (8 * i);
    return v;
}

static void write_cnt(struct acpi_pm *pm, uint16_t v)
{
    pm->cnt = v & CNT_MASK;
    if ((v & CNT_SLP_EN) && CNT_SLP_TYP(v) == ACPI_PM_SLP_TYP_SOFT_OFF && pm->cb.power_off)
        pm->cb.power_off(pm->cb.opaque);
    /* other sleep types: the board has no sleeping states (the DSDT declares only _S5) */
}

/* One byte of a write: status bits clear where 1 is written, enables and control are kept. */
static void write_byte(struct acpi_pm *pm, unsigned offset, uint8_t b, uint16_t *cnt)
{
    unsigned shift = (offset & 1) * 8;
    switch (offset) {
    case 0:
    case 1:
        pm->sts &= (uint16_t) ~((unsigned)b << shift);
        break;
    case 2:
    case 3:
        pm->en = (uint16_t)((pm->en & ~(0xffu << shift)) | ((unsigned)b << shift)) & EN_MASK;
        break;
    case 4:
    case 5:
        *cnt = (uint16_t)((*cnt & ~(0xffu << shift)) | ((unsigned)b << shift));
        break;
    default: /* the timer is read-only */
        break;
    }
}

static void acpi_pm_write(void *opaque, uint16_t offset, uint32_t value, unsigned size)
{
    struct acpi_pm *pm = opaque;
    uint16_t cnt = pm->cnt;
    bool cnt_written = false;
    for (unsigned i = 0; i < size && offset + i < ACPI_PM_SIZE; i++) {
        write_byte(pm, offset + i, (uint8_t)(value >> (8 * i)), &cnt);
        cnt_written |= offset + i == 4 || offset + i == 5;
    }
    if (cnt_written)
        write_cnt(pm, cnt);
    acpi_pm_update_irq(pm);
}

static const struct io_ops acpi_pm_ops = {acpi_pm_read, acpi_pm_write, IO_SIZE_2 | IO_SIZE_4};

void acpi_pm_power_button(struct acpi_pm *pm)
{
    pm->sts |= STS_PWRBTN;
    acpi_pm_update_irq(pm);
}

void acpi_pm_reset(struct acpi_pm *pm)
{
    pm->sts = 0;
    pm->en = 0;
    pm->cnt = CNT_SCI_EN;
    acpi_pm_update_irq(pm);
    timer_schedule(pm);
}

struct acpi_pm *acpi_pm_create(struct machine *m, uint16_t base, const struct irq_line *sci,
                               const struct acpi_pm_callbacks *cb)
{
    struct acpi_pm *pm = g_new0(struct acpi_pm, 1);
    pm->m = m;
    pm->base = base;
    if (sci)
        pm->sci = *sci;
    if (cb)
        pm->cb = *cb;
    vtimer_init(&pm->timer, timer_fire, pm);
    if (iobus_register(&m->io, "acpi-pm", base, ACPI_PM_SIZE, &acpi_pm_ops, pm) < 0) {
        g_free(pm);
        return NULL;
    }
    acpi_pm_reset(pm);
    return pm;
}

void acpi_pm_destroy(struct acpi_pm *pm)
{
    if (!pm)
        return;
    vtimer_cancel(&pm->m->clock, &pm->timer);
    iobus_unregister(&pm->m->io, pm->base);
    g_free(pm);
}
