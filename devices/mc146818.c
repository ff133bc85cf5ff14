/*
 * MC146818A real-time clock plus RAM (Motorola MC146818A datasheet), with the
 * PC/AT's 128-byte CMOS and century byte at 0x32 (see mc146818.h).
 *
 * Nothing ticks while nobody looks: the clock registers hold the bytes of the
 * last update the guest could have seen, and rtc_sync() replays the updates
 * (and sets the register C flags) that virtual time has passed since. The
 * divider chain is a phase, chain_ns: the vclock instant of one of its 1 Hz
 * edges. An update cycle begins on each edge and ends UPDATE_NS later, when
 * the new time appears and UF (and AF) are set; the periodic flag follows
 * the chain's 32.768 kHz taps. The one vtimer is armed only for the next
 * moment IRQF would rise, so a guest with no interrupt enabled (or one that
 * has not read register C yet) costs no timer at all.
 */
#include "devices/mc146818.h"

#include <glib.h>

#include "machine/iobus.h"
#include "machine/irq.h"
#include "machine/machine.h"

/* Address map (datasheet Figure "Address Map"): 10 time bytes, 4 registers, then RAM. */
enum {
    REG_SEC = 0x00,
    REG_SEC_ALARM = 0x01,
    REG_MIN = 0x02,
    REG_MIN_ALARM = 0x03,
    REG_HOUR = 0x04,
    REG_HOUR_ALARM = 0x05,
    REG_WDAY = 0x06, /* day of week, 1 = Sunday */
    REG_MDAY = 0x07,
    REG_MON = 0x08,
    REG_YEAR = 0x09,
    REG_A = 0x0a,
    REG_B = 0x0b,
    REG_C = 0x0c,
    REG_D = 0x0d,
};

/* Register A: UIP (read-only), divider select DV2-0, rate select RS3-0. */
#define REG_A_UIP      0x80
#define REG_A_DV_MASK  0x70
#define REG_A_DV_32K   0x20 /* 010: 32.768 kHz time base, the only one a PC has */
#define REG_A_DV_RESET 0x60 /* 11x: divider chain held in reset */
#define REG_A_RS_MASK  0x0f

/* Register B. */
#define REG_B_SET  0x80 /* inhibit updates so the program can set the time */
#define REG_B_PIE  0x40
#define REG_B_AIE  0x20
#define REG_B_UIE  0x10
#define REG_B_SQWE 0x08 /* square-wave pin: no pin here, the bit is only stored */
#define REG_B_DM   0x04 /* 1 = binary, 0 = BCD */
#define REG_B_24H  0x02 /* 1 = 24-hour, 0 = 12-hour with PM in bit 7 of the hour */
#define REG_B_DSE  0x01 /* daylight-saving special updates (US rule of 1984) */

/* Register C (read-only, cleared by reading) and D. */
#define REG_C_IRQF 0x80
#define REG_C_PF   0x40
#define REG_C_AF   0x20
#define REG_C_UF   0x10
#define REG_D_VRT  0x80 /* valid RAM and time: the battery is always good */

#define HOUR_PM         0x80
#define ALARM_DONT_CARE 0xc0 /* an alarm byte with both top bits set matches any value */
#define ALARM_ANY       (-2) /* decoded alarm field: don't care */
#define ALARM_NEVER     (-1) /* decoded alarm field: a value the clock never holds */
#define NEVER           UINT64_MAX

#define NS_PER_SEC    1000000000LL
#define TICKS_PER_SEC 32768 /* the 32.768 kHz time base */
#define SECS_PER_DAY  86400u
#define DAYS_PER_4Y   1461u                     /* the chip's leap rule is "year divisible by 4" */
#define DST_SOD       (1 * 3600 + 59 * 60 + 59) /* DSE acts on the update after 1:59:59 AM */

/* Datasheet Table 6, 32.768 kHz: UIP rises tBUC before the update cycle, which takes tUC. */
#define UIP_LEAD_NS 244000
#define UPDATE_NS   1984000
/* Datasheet DV2-0: "the first update cycle begins one-half second" after divider reset ends. */
#define RELEASE_POS_NS 500000000

/*
 * Periodic interrupt period in 32.768 kHz ticks, by RS3-0 (datasheet Table 5,
 * 32.768 kHz column): 0 none, 1 and 2 repeat rates 8 and 9 (256 and 128 Hz),
 * 3 = 8192 Hz (122.070 us) ... 6 = 1024 Hz (976.5625 us) ... 15 = 2 Hz.
 */
static const uint16_t rtc_period_ticks[16] = {0,   128, 256, 4,    8,    16,   32,   64,
                                              128, 256, 512, 1024, 2048, 4096, 8192, 16384};

static const uint8_t rtc_month_days[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

/* The date and time in binary, decoded from the clock bytes. */
struct rtc_tm {
    int sec, min, hour; /* hour 0-23 whatever the 12/24 mode */
    int wday;           /* 1-7, counted on its own as the chip does */
    int mday, mon;      /* 1-31, 1-12 */
    int year, century;  /* 0-99 each */
    bool fell_back;     /* DSE: October's 1 AM hour was already repeated today */
};

/* Decoded alarm bytes: a value, ALARM_ANY or ALARM_NEVER. */
struct rtc_alarm {
    int sec, min, hour;
};

struct rtc {
    struct machine *m;
    struct irq_line irq;         /* IRQ 8 */
    uint8_t cmos[RTC_CMOS_SIZE]; /* clock bytes, A, B, C (flags incl. IRQF), RAM; D is fixed */
    uint8_t index;               /* port 0x70, bits 6-0 */
    bool nmi_disabled;           /* port 0x70, bit 7 */
    bool fell_back;              /* DSE: October's repeated hour is done for today */
    bool irq_level;              /* level last driven on irq (= IRQF) */
    int64_t chain_ns;            /* vclock ns of a 1 Hz edge of the divider chain */
    int64_t stopped_pos;         /* ns into its second where the stopped chain stands */
    int64_t synced_ns;           /* registers and flags account for every event up to here */
    struct vtimer timer;         /* fires when IRQF is next due */
};

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return a % b < 0 ? q - 1 : q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    return a - floor_div(a, b) * b;
}

static int64_t rtc_now(const struct rtc *s)
{
    return (int64_t)vclock_now(&s->m->clock);
}

static bool rtc_running(const struct rtc *s)
{
    return (s->cmos[REG_A] & REG_A_DV_MASK) == REG_A_DV_32K;
}

/* ---- divider chain timing ---------------------------------------------- */

/* 32.768 kHz ticks the chain has counted at `t` since chain_ns (floor). */
static int64_t rtc_ticks(const struct rtc *s, int64_t t)
{
    int64_t d = t - s->chain_ns;
    int64_t sec = floor_div(d, NS_PER_SEC);
    return sec * TICKS_PER_SEC + (d - sec * NS_PER_SEC) * TICKS_PER_SEC / NS_PER_SEC;
}

/* The first ns at which the chain has counted `ticks`. */
static int64_t rtc_tick_time(const struct rtc *s, int64_t ticks)
{
    int64_t sec = floor_div(ticks, TICKS_PER_SEC);
    int64_t rem = ticks - sec * TICKS_PER_SEC;
    return s->chain_ns + sec * NS_PER_SEC + (rem * NS_PER_SEC + TICKS_PER_SEC - 1) / TICKS_PER_SEC;
}

/* Index of the last update cycle ended at or before `t`. */
static int64_t rtc_updates_done(const struct rtc *s, int64_t t)
{
    return floor_div(t - s->chain_ns - UPDATE_NS, NS_PER_SEC);
}

/* UIP: from tBUC before an update cycle to its end, unless stopped or SET. */
static bool rtc_uip(const struct rtc *s)
{
    if (!rtc_running(s) || (s->cmos[REG_B] & REG_B_SET))
        return false;
    int64_t pos = floor_mod(rtc_now(s) - s->chain_ns, NS_PER_SEC);
    return pos >= NS_PER_SEC - UIP_LEAD_NS || pos < UPDATE_NS;
}

/* ---- clock bytes <-> binary --------------------------------------------- */

static int bcd_checked(uint8_t b)
{
    if ((b & 0x0f) > 9 || (b >> 4) > 9)
        return -1;
    return (b >> 4) * 10 + (b & 0x0f);
}

/* A byte in the current data mode; -1 for a BCD byte with a digit above 9. */
static int rtc_from_reg(const struct rtc *s, uint8_t b)
{
    return (s->cmos[REG_B] & REG_B_DM) ? b : bcd_checked(b);
}

static uint8_t rtc_to_reg(const struct rtc *s, int v)
{
    return (s->cmos[REG_B] & REG_B_DM) ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

/* An hour byte as 0-23, or -1 if the clock could never hold it. */
static int rtc_hour_from_reg(const struct rtc *s, uint8_t b)
{
    if (s->cmos[REG_B] & REG_B_24H) {
        int v = rtc_from_reg(s, b);
        return v < 24 ? v : -1;
    }
    int v = rtc_from_reg(s, b & ~HOUR_PM);
    if (v < 1 || v > 12)
        return -1;
    return v % 12 + ((b & HOUR_PM) ? 12 : 0);
}

static uint8_t rtc_hour_to_reg(const struct rtc *s, int h)
{
    if (s->cmos[REG_B] & REG_B_24H)
        return rtc_to_reg(s, h);
    return rtc_to_reg(s, h % 12 ? h % 12 : 12) | (h >= 12 ? HOUR_PM : 0);
}

/* A clock field, forced into [lo, hi] (a guest may have written anything; the result is
 * undefined on the chip). */
static int rtc_field(const struct rtc *s, unsigned index, int lo, int hi)
{
    int v = rtc_from_reg(s, s->cmos[index]);
    return v < lo || v > hi ? lo : v;
}

static void rtc_read_tm(const struct rtc *s, struct rtc_tm *tm)
{
    tm->sec = rtc_field(s, REG_SEC, 0, 59);
    tm->min = rtc_field(s, REG_MIN, 0, 59);
    tm->hour = MAX(rtc_hour_from_reg(s, s->cmos[REG_HOUR]), 0);
    tm->wday = rtc_field(s, REG_WDAY, 1, 7);
    tm->mday = rtc_field(s, REG_MDAY, 1, 31);
    tm->mon = rtc_field(s, REG_MON, 1, 12);
    tm->year = rtc_field(s, REG_YEAR, 0, 99);
    tm->century = rtc_field(s, RTC_CENTURY, 0, 99);
    tm->fell_back = s->fell_back;
}

/* Store `tm`; with `old`, only the fields that changed (others keep the guest's bytes). */
static void rtc_write_tm(struct rtc *s, const struct rtc_tm *old, const struct rtc_tm *tm)
{
    if (!old || tm->sec != old->sec)
        s->cmos[REG_SEC] = rtc_to_reg(s, tm->sec);
    if (!old || tm->min != old->min)
        s->cmos[REG_MIN] = rtc_to_reg(s, tm->min);
    if (!old || tm->hour != old->hour)
        s->cmos[REG_HOUR] = rtc_hour_to_reg(s, tm->hour);
    if (!old || tm->wday != old->wday)
        s->cmos[REG_WDAY] = rtc_to_reg(s, tm->wday);
    if (!old || tm->mday != old->mday)
        s->cmos[REG_MDAY] = rtc_to_reg(s, tm->mday);
    if (!old || tm->mon != old->mon)
        s->cmos[REG_MON] = rtc_to_reg(s, tm->mon);
    if (!old || tm->year != old->year)
        s->cmos[REG_YEAR] = rtc_to_reg(s, tm->year);
    if (!old || tm->century != old->century)
        s->cmos[RTC_CENTURY] = rtc_to_reg(s, tm->century);
    s->fell_back = tm->fell_back;
}

static int rtc_alarm_field(const struct rtc *s, unsigned index, int max)
{
    uint8_t b = s->cmos[index];
    if ((b & ALARM_DONT_CARE) == ALARM_DONT_CARE)
        return ALARM_ANY;
    int v = index == REG_HOUR_ALARM ? rtc_hour_from_reg(s, b) : rtc_from_reg(s, b);
    return v >= 0 && v <= max ? v : ALARM_NEVER;
}

static void rtc_read_alarm(const struct rtc *s, struct rtc_alarm *al)
{
    al->sec = rtc_alarm_field(s, REG_SEC_ALARM, 59);
    al->min = rtc_alarm_field(s, REG_MIN_ALARM, 59);
    al->hour = rtc_alarm_field(s, REG_HOUR_ALARM, 23);
}

/* ---- calendar arithmetic (the chip's rules) ------------------------------ */

static unsigned tm_sod(const struct rtc_tm *tm)
{
    return (unsigned)(tm->hour * 3600 + tm->min * 60 + tm->sec);
}

static void tm_add_years(struct rtc_tm *tm, uint64_t n)
{
    uint64_t y = (uint64_t)tm->year + n;
    tm->century = (int)(((uint64_t)tm->century + y / 100) % 100);
    tm->year = (int)(y % 100);
}

/* Datasheet: end-of-month recognition and leap years (every year divisible by 4). */
static void tm_next_day(struct rtc_tm *tm)
{
    int last = rtc_month_days[tm->mon] + (tm->mon == 2 && tm->year % 4 == 0);
    if (tm->mday < last) {
        tm->mday++;
    } else if (tm->mon < 12) {
        tm->mday = 1;
        tm->mon++;
    } else {
        tm->mday = 1;
        tm->mon = 1;
        tm_add_years(tm, 1);
    }
}

/* `n` ordinary one-second updates. */
static void tm_add_plain(struct rtc_tm *tm, uint64_t n)
{
    uint64_t sod = tm_sod(tm) + n % SECS_PER_DAY;
    uint64_t days = n / SECS_PER_DAY + sod / SECS_PER_DAY;
    sod %= SECS_PER_DAY;
    tm->hour = (int)(sod / 3600);
    tm->min = (int)(sod / 60 % 60);
    tm->sec = (int)(sod % 60);
    if (!days)
        return;
    tm->fell_back = false;
    tm->wday = (int)((tm->wday - 1 + days % 7) % 7 + 1);
    tm_add_years(tm, days / DAYS_PER_4Y * 4); /* any four years hold one Feb 29 */
    for (days %= DAYS_PER_4Y; days; days--)
        tm_next_day(tm);
}

/*
 * DSE (datasheet register B): on the last Sunday in April the update after
 * 1:59:59 AM goes to 3:00:00 AM; on the last Sunday in October the first one
 * goes back to 1:00:00 AM. True if such an update is still ahead today.
 */
static bool tm_special_ahead(const struct rtc_tm *tm)
{
    if (tm->wday != 1 || tm_sod(tm) > DST_SOD)
        return false;
    if (tm->mon == 4)
        return tm->mday + 7 > 30;
    if (tm->mon == 10)
        return tm->mday + 7 > 31 && !tm->fell_back;
    return false;
}

static void tm_apply_special(struct rtc_tm *tm)
{
    tm->min = 0;
    tm->sec = 0;
    if (tm->mon == 4) {
        tm->hour = 3;
    } else {
        tm->hour = 1;
        tm->fell_back = true;
    }
}

/*
 * How many plain updates come before anything else must be looked at: the
 * DSE special update (*special) or midnight (a new day may be a DSE day).
 */
static uint64_t tm_plain_run(const struct rtc_tm *tm, bool dse, bool *special)
{
    *special = false;
    if (!dse)
        return UINT64_MAX;
    if (tm_special_ahead(tm)) {
        *special = true;
        return DST_SOD - tm_sod(tm);
    }
    return SECS_PER_DAY - tm_sod(tm);
}

static bool alarm_matches(const struct rtc_alarm *al, unsigned sod)
{
    return (al->hour == ALARM_ANY || al->hour == (int)(sod / 3600)) &&
           (al->min == ALARM_ANY || al->min == (int)(sod / 60 % 60)) &&
           (al->sec == ALARM_ANY || al->sec == (int)(sod % 60));
}

/* Plain updates from time-of-day `sod` until one lands on the alarm (1..86400), or NEVER. */
static uint64_t alarm_delta(const struct rtc_alarm *al, unsigned sod)
{
    if (al->sec == ALARM_NEVER || al->min == ALARM_NEVER || al->hour == ALARM_NEVER)
        return NEVER;
    unsigned t = sod + 1;
    while (t <= sod + SECS_PER_DAY) {
        if (al->hour != ALARM_ANY && (int)(t / 3600 % 24) != al->hour)
            t = (t / 3600 + 1) * 3600;
        else if (al->min != ALARM_ANY && (int)(t / 60 % 60) != al->min)
            t = (t / 60 + 1) * 60;
        else if (al->sec != ALARM_ANY && (int)(t % 60) != al->sec)
            t++;
        else
            return t - sod;
    }
    return NEVER;
}

/* Run `n` updates; true if the time after any of them matched the alarm. */
static bool tm_advance(struct rtc_tm *tm, uint64_t n, bool dse, const struct rtc_alarm *al)
{
    bool hit = false;
    while (n > 0) {
        bool special;
        uint64_t k = MIN(n, tm_plain_run(tm, dse, &special));
        if (k > 0) {
            hit |= alarm_delta(al, tm_sod(tm)) <= k;
            tm_add_plain(tm, k);
            n -= k;
        }
        if (n > 0 && special) {
            tm_apply_special(tm);
            hit |= alarm_matches(al, tm_sod(tm));
            n--;
        }
    }
    return hit;
}

/* Updates from `tm` until the time after one matches the alarm, or NEVER (within 2 days). */
static uint64_t tm_updates_until_alarm(struct rtc_tm tm, bool dse, const struct rtc_alarm *al)
{
    uint64_t total = 0;
    while (total <= 2 * SECS_PER_DAY) {
        bool special;
        uint64_t run = tm_plain_run(&tm, dse, &special);
        uint64_t d = alarm_delta(al, tm_sod(&tm));
        if (d != NEVER && d <= run)
            return total + d;
        if (run == UINT64_MAX)
            return NEVER;
        tm_add_plain(&tm, run);
        total += run;
        if (special) {
            tm_apply_special(&tm);
            total++;
            if (alarm_matches(al, tm_sod(&tm)))
                return total;
        }
    }
    return NEVER;
}

/* ---- catching up with virtual time -------------------------------------- */

static void rtc_run_updates(struct rtc *s, uint64_t n)
{
    struct rtc_tm old, tm;
    struct rtc_alarm al;
    rtc_read_tm(s, &old);
    rtc_read_alarm(s, &al);
    tm = old;
    if (tm_advance(&tm, n, s->cmos[REG_B] & REG_B_DSE, &al))
        s->cmos[REG_C] |= REG_C_AF;
    s->cmos[REG_C] |= REG_C_UF;
    rtc_write_tm(s, &old, &tm);
}

/* Account for every update and periodic tick between synced_ns and now. */
static void rtc_sync(struct rtc *s)
{
    int64_t now = rtc_now(s);
    if (now <= s->synced_ns)
        return;
    if (rtc_running(s)) {
        /* SET inhibits updates (datasheet register B); the chain keeps running. */
        int64_t n = rtc_updates_done(s, now) - rtc_updates_done(s, s->synced_ns);
        if (n > 0 && !(s->cmos[REG_B] & REG_B_SET))
            rtc_run_updates(s, (uint64_t)n);
        int64_t p = rtc_period_ticks[s->cmos[REG_A] & REG_A_RS_MASK];
        if (p && floor_div(rtc_ticks(s, now), p) != floor_div(rtc_ticks(s, s->synced_ns), p))
            s->cmos[REG_C] |= REG_C_PF;
    }
    s->synced_ns = now;
}

/* When IRQF would next rise by itself, or INT64_MAX. */
static int64_t rtc_next_irq(const struct rtc *s)
{
    uint8_t b = s->cmos[REG_B];
    int64_t t = s->synced_ns, next = INT64_MAX;
    if (s->irq_level || !rtc_running(s))
        return INT64_MAX;
    int64_t p = rtc_period_ticks[s->cmos[REG_A] & REG_A_RS_MASK];
    if ((b & REG_B_PIE) && p)
        next = rtc_tick_time(s, (floor_div(rtc_ticks(s, t), p) + 1) * p);
    if ((b & REG_B_SET) || !(b & (REG_B_UIE | REG_B_AIE)))
        return next;
    int64_t update = s->chain_ns + UPDATE_NS + (rtc_updates_done(s, t) + 1) * NS_PER_SEC;
    if (b & REG_B_UIE)
        next = MIN(next, update);
    if (b & REG_B_AIE) {
        struct rtc_tm tm;
        struct rtc_alarm al;
        rtc_read_tm(s, &tm);
        rtc_read_alarm(s, &al);
        uint64_t d = tm_updates_until_alarm(tm, b & REG_B_DSE, &al);
        if (d != NEVER)
            next = MIN(next, update + (int64_t)(d - 1) * NS_PER_SEC);
    }
    return next;
}

/* IRQF = PF.PIE + AF.AIE + UF.UIE (datasheet register C) drives the line; arm for the next. */
static void rtc_update_irq(struct rtc *s)
{
    uint8_t b = s->cmos[REG_B], c = s->cmos[REG_C];
    bool irqf = ((c & REG_C_PF) && (b & REG_B_PIE)) || ((c & REG_C_AF) && (b & REG_B_AIE)) ||
                ((c & REG_C_UF) && (b & REG_B_UIE));
    s->cmos[REG_C] = irqf ? c | REG_C_IRQF : c & ~REG_C_IRQF;
    if (irqf != s->irq_level) {
        s->irq_level = irqf;
        irq_set(&s->irq, irqf);
    }
    int64_t next = rtc_next_irq(s);
    if (next == INT64_MAX)
        vtimer_cancel(&s->m->clock, &s->timer);
    else
        vtimer_arm(&s->m->clock, &s->timer, (uint64_t)MAX(next, 0));
}

static void rtc_timer_fire(void *opaque)
{
    struct rtc *s = opaque;
    rtc_sync(s);
    rtc_update_irq(s);
}

/* Load `t` (UTC) into the clock bytes; the update that shows t+1 comes 1 s - frac_ns from now. */
static void rtc_load_time(struct rtc *s, time_t t, int64_t frac_ns)
{
    struct tm g;
    if (t < 0 || !gmtime_r(&t, &g)) {
        t = 0;
        frac_ns = 0;
        gmtime_r(&t, &g);
    }
    long y = g.tm_year + 1900L;
    struct rtc_tm tm = {
        .sec = MIN(g.tm_sec, 59), /* no leap seconds on the chip */
        .min = g.tm_min,
        .hour = g.tm_hour,
        .wday = g.tm_wday + 1,
        .mday = g.tm_mday,
        .mon = g.tm_mon + 1,
        .year = (int)(y % 100),
        .century = (int)(y / 100 % 100),
    };
    rtc_write_tm(s, NULL, &tm);
    if (rtc_running(s))
        s->chain_ns = s->synced_ns - frac_ns - UPDATE_NS;
}

static void rtc_load_host_time(struct rtc *s)
{
    int64_t us = MAX(g_get_real_time(), 0);
    rtc_load_time(s, (time_t)(us / G_USEC_PER_SEC), us % G_USEC_PER_SEC * 1000);
}

void rtc_reset(struct rtc *s)
{
    rtc_sync(s);
    s->cmos[REG_B] &= ~(REG_B_PIE | REG_B_AIE | REG_B_UIE | REG_B_SQWE);
    s->cmos[REG_C] = 0;
    rtc_load_host_time(s);
    rtc_update_irq(s);
}

/* ---- registers ----------------------------------------------------------- */

/* DV2-0 start and stop the chain; leaving divider reset puts the next update 0.5 s away. */
static void rtc_write_a(struct rtc *s, uint8_t v)
{
    bool was_running = rtc_running(s);
    if (was_running)
        s->stopped_pos = floor_mod(s->synced_ns - s->chain_ns, NS_PER_SEC);
    s->cmos[REG_A] = v & ~REG_A_UIP;
    if ((v & REG_A_DV_RESET) == REG_A_DV_RESET)
        s->stopped_pos = RELEASE_POS_NS;
    if (!was_running && rtc_running(s))
        s->chain_ns = s->synced_ns - s->stopped_pos;
}

/* Datasheet register B: SET going high clears UIE. */
static void rtc_write_b(struct rtc *s, uint8_t v)
{
    if ((v & REG_B_SET) && !(s->cmos[REG_B] & REG_B_SET))
        v &= ~REG_B_UIE;
    s->cmos[REG_B] = v;
}

static uint8_t rtc_data_read(struct rtc *s, uint8_t index, bool clear_c)
{
    uint8_t v;
    rtc_sync(s);
    rtc_update_irq(s); /* fold flags that came due into IRQF */
    switch (index) {
    case REG_A:
        return s->cmos[REG_A] | (rtc_uip(s) ? REG_A_UIP : 0);
    case REG_C:
        v = s->cmos[REG_C];
        if (clear_c) {
            s->cmos[REG_C] = 0;
            rtc_update_irq(s);
        }
        return v;
    case REG_D:
        return REG_D_VRT;
    default:
        return s->cmos[index];
    }
}

static void rtc_data_write(struct rtc *s, uint8_t index, uint8_t v)
{
    rtc_sync(s);
    /* An interrupt that came due before its timer ran (timers run between CPU slices)
       reaches the line under the programming it came due under, before this write. */
    rtc_update_irq(s);
    switch (index) {
    case REG_A:
        rtc_write_a(s, v);
        break;
    case REG_B:
        rtc_write_b(s, v);
        break;
    case REG_C: /* read-only */
    case REG_D:
        break;
    default: /* clock bytes (SET=0 too: the next update counts on from them) and RAM */
        s->cmos[index] = v;
        break;
    }
    rtc_update_irq(s);
}

static uint32_t rtc_io_read(void *opaque, uint16_t offset, unsigned size)
{
    struct rtc *s = opaque;
    switch (offset) {
    case 0: /* the PC/AT index port is write-only */
        return 0xff;
    default:
        return rtc_data_read(s, s->index, true);
    }
}

static void rtc_io_write(void *opaque, uint16_t offset, uint32_t value, unsigned size)
{
    struct rtc *s = opaque;
    switch (offset) {
    case 0:
        s->index = value & (RTC_CMOS_SIZE - 1);
        s->nmi_disabled = value & 0x80;
        break;
    default:
        rtc_data_write(s, s->index, (uint8_t)value);
        break;
    }
}

static const struct io_ops rtc_ops = {rtc_io_read, rtc_io_write, 0};

/* ---- board and test interface -------------------------------------------- */

void rtc_cmos_set(struct rtc *s, uint8_t index, uint8_t value)
{
    rtc_data_write(s, index & (RTC_CMOS_SIZE - 1), value);
}

uint8_t rtc_cmos_get(struct rtc *s, uint8_t index)
{
    return rtc_data_read(s, index & (RTC_CMOS_SIZE - 1), false);
}

void rtc_set_time(struct rtc *s, time_t utc)
{
    rtc_sync(s);
    rtc_load_time(s, utc, 0);
    rtc_update_irq(s);
}

bool rtc_nmi_disabled(struct rtc *s)
{
    return s->nmi_disabled;
}

struct rtc *rtc_create(struct machine *m, const struct irq_line *irq8)
{
    struct rtc *s = g_new0(struct rtc, 1);
    s->m = m;
    if (irq8)
        s->irq = *irq8;
    vtimer_init(&s->timer, rtc_timer_fire, s);
    s->synced_ns = rtc_now(s);
    /* What a configured PC keeps in battery-backed RAM: 32.768 kHz, 1024 Hz, BCD, 24-hour. */
    s->cmos[REG_A] = REG_A_DV_32K | 6;
    s->cmos[REG_B] = REG_B_24H;
    rtc_load_host_time(s);
    if (iobus_register(&m->io, "rtc", RTC_PORT_INDEX, 2, &rtc_ops, s) < 0) {
        g_free(s);
        return NULL;
    }
    return s;
}

void rtc_destroy(struct rtc *s)
{
    if (!s)
        return;
    vtimer_cancel(&s->m->clock, &s->timer);
    iobus_unregister(&s->m->io, RTC_PORT_INDEX);
    g_free(s);
}
