/*
 * The interrupt controllers spelled out (see apic_show.h). Field names
 * follow the Intel SDM Vol. 3A §10.5 (LVT) and the 82093AA datasheet
 * §3.2.4 (redirection table).
 */
#include "frontend/apic_show.h"

#include "devices/ioapic.h"
#include "devices/lapic.h"
#include "pc/pc.h"

static const char *const delivery_modes[8] = {"fixed", "lowest", "SMI",  "mode3",
                                              "NMI",   "INIT",   "SIPI", "ExtINT"};

/* An LVT entry: its vector, delivery mode and mask. */
static void append_lvt(GString *out, const char *name, uint32_t v)
{
    g_string_append_printf(out, " %s=%08x(%s %02x%s)", name, v, delivery_modes[(v >> 8) & 7],
                           v & 0xff, (v & (1u << 16)) ? " masked" : "");
}

void apic_show_lapic(GString *out, struct pc *pc)
{
    struct lapic_info a;
    lapic_get_info(pc->lapic, &a);
    if (!a.enabled) {
        g_string_append(out, "apic: disabled in IA32_APIC_BASE (the 8259 drives INTR)\n");
        return;
    }
    g_string_append_printf(out, "apic: base=%08x id=%u %s tpr=%02x ppr=%02x esr=%02x", a.base, a.id,
                           a.sw_enabled ? "software-enabled" : "software-disabled", a.tpr, a.ppr,
                           a.esr);
    if (a.irr >= 0)
        g_string_append_printf(out, " pending=%02x", a.irr);
    if (a.isr >= 0)
        g_string_append_printf(out, " in-service=%02x", a.isr);
    g_string_append(out, "\napic:");
    append_lvt(out, "lint0", a.lvt_lint0);
    append_lvt(out, "lint1", a.lvt_lint1);
    append_lvt(out, "error", a.lvt_error);
    g_string_append(out, "\napic:");
    append_lvt(out, "timer", a.lvt_timer);
    g_string_append_printf(out, " %s initial=%u current=%u divide=%u\n",
                           (a.lvt_timer & (1u << 17)) ? "periodic" : "one-shot", a.timer_initial,
                           a.timer_current, a.timer_divide);
}

void apic_show_ioapic(GString *out, struct pc *pc)
{
    struct ioapic *io = pc->ioapic;
    g_string_append_printf(out, "I/O APIC (82093AA) at %08x: id=%u entries=%u\n", IOAPIC_BASE,
                           ioapic_id(io), IOAPIC_PINS);
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
        uint64_t e = ioapic_entry(io, pin);
        g_string_append_printf(out,
                               "  pin %2u: %016" G_GINT64_MODIFIER
                               "x vector=%02x %-6s %s dest=%02x %s %s%s%s input=%d\n",
                               pin, e, (unsigned)(e & 0xff), delivery_modes[(e >> 8) & 7],
                               (e & (1u << 11)) ? "logical " : "physical", (unsigned)(e >> 56),
                               (e & (1u << 15)) ? "level" : "edge ",
                               (e & (1u << 13)) ? "low " : "high",
                               (e & (1u << 14)) ? " remote-IRR" : "",
                               (e & (1u << 16)) ? " masked" : "", ioapic_pin_level(io, pin));
    }
}
