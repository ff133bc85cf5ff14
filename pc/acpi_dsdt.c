/*
 * The DSDT's AML (see acpi.h): what the board has, as ACPI 2.0 names it.
 *
 *   \_PR.CPU0                Processor 0 (MADT processor ID 0), declared with the
 *                            Processor operator that pre-ACPI-3.0 OSes look for
 *   \_S5                     soft-off: SLP_TYP 0, the PIIX4's (devices/acpi_pm.h)
 *   \_SB.PCI0                PNP0A03: bus 0, the I/O ports around 0xCF8, the VGA
 *                            window and the PCI hole from the top of RAM to the I/O APIC;
 *                            _PRT: INTA-D of slot d on PIRQ (pin + d - 1) mod 4, as
 *                            pc.c wires them
 *   \_SB.PCI0.ISA            the PIIX3 (00:01.0) with its PIRQRC registers (0x60-0x63)
 *   \_SB.PCI0.ISA.xxx        8259s, 8237s, 8254, RTC, speaker, x87 error port,
 *                            keyboard and mouse, floppy controller, COM1
 *   \_SB.LNKA-LNKD           PNP0C0F link devices: the IRQ each PIRQRC routes to
 *                            (level, active high, shared: popek's lines are
 *                            active high everywhere, as in QEMU)
 */
#include "pc/acpi.h"
#include "pc/aml.h"

#define PCI_SLOTS 32
#define PRQ_PATH  "\\_SB.PCI0.ISA.PRQ"

/* Name(NAME, ResourceTemplate() { ... }) is opened by res_open and closed by res_close. */
static unsigned res_open(GByteArray *b, const char *name)
{
    aml_byte(b, AML_NAME);
    aml_name(b, name);
    return aml_open_buffer(b);
}

static void res_close(GByteArray *b, unsigned mark)
{
    aml_res_end(b);
    aml_close_buffer(b, mark);
}

/* An ISA device: _HID, then _CRS with its I/O ranges, IRQ and DMA channel (-1: none). */
struct isa_dev {
    const char *name, *hid;
    struct {
        uint16_t base;
        uint8_t len;
    } io[3];
    int irq, dma;
};

static const struct isa_dev isa_devs[] = {
    {"PIC", "PNP0000", {{0x20, 2}, {0xa0, 2}, {0x4d0, 2}}, 2, -1},
    {"DMA", "PNP0200", {{0x00, 16}, {0x81, 15}, {0xc0, 32}}, -1, 4},
    {"TMR", "PNP0100", {{0x40, 4}}, 0, -1},
    {"RTC", "PNP0B00", {{0x70, 2}}, 8, -1},
    {"SPKR", "PNP0800", {{0x61, 1}}, -1, -1},
    {"FPU", "PNP0C04", {{0xf0, 1}}, 13, -1},
    {"KBD", "PNP0303", {{0x60, 1}, {0x64, 1}}, 1, -1},
    {"MOU", "PNP0F13", {{0}}, 12, -1},
    {"FDC", "PNP0700", {{0x3f0, 6}, {0x3f7, 1}}, 6, 2},
};
static const struct isa_dev com1 = {"COM1", "PNP0501", {{0x3f8, 8}}, 4, -1};

static void isa_device(GByteArray *b, const struct isa_dev *d)
{
    unsigned dev = aml_open_device(b, d->name);
    aml_name_eisaid(b, "_HID", d->hid);
    unsigned crs = res_open(b, "_CRS");
    for (unsigned i = 0; i < 3 && d->io[i].len; i++)
        aml_res_io(b, d->io[i].base, d->io[i].len);
    if (d->irq >= 0)
        aml_res_irq(b, (unsigned)d->irq);
    if (d->dma >= 0)
        aml_res_dma(b, (unsigned)d->dma);
    res_close(b, crs);
    aml_close(b, dev);
}

/* The PIIX3 bridge: its PIRQ route control registers as fields, and the ISA devices. */
static void isa_bridge(GByteArray *b, const struct acpi_board *board)
{
    unsigned isa = aml_open_device(b, "ISA");
    aml_name_int(b, "_ADR", 0x00010000);
    aml_operation_region(b, "PIRQ", 2 /* PCI_Config */, 0x60, 4);
    unsigned field = aml_open_field(b, "PIRQ", 0x01 /* ByteAcc, NoLock, Preserve */);
    for (char c = 'A'; c <= 'D'; c++)
        aml_field_unit(b, (char[]){'P', 'R', 'Q', c, 0}, 8);
    aml_close(b, field);
    for (size_t i = 0; i < G_N_ELEMENTS(isa_devs); i++)
        isa_device(b, &isa_devs[i]);
    if (board->com1)
        isa_device(b, &com1);
    aml_close(b, isa);
}

/* _PRT: Package { Package { slot address, pin, link, 0 } ... } for slots 1-31. */
static void pci_routing(GByteArray *b)
{
    aml_byte(b, AML_NAME);
    aml_name(b, "_PRT");
    unsigned prt = aml_open_package(b, (PCI_SLOTS - 1) * 4);
    for (unsigned slot = 1; slot < PCI_SLOTS; slot++) {
        for (unsigned pin = 0; pin < 4; pin++) {
            unsigned e = aml_open_package(b, 4);
            aml_int(b, slot << 16 | 0xffff);
            aml_int(b, pin);
            aml_name(b, (char[]){'\\', '_', 'S', 'B', '.', 'L', 'N', 'K',
                                 (char)('A' + (pin + slot + 3) % 4), 0});
            aml_int(b, 0);
            aml_close(b, e);
        }
    }
    aml_close(b, prt);
}

static void pci_root(GByteArray *b, const struct acpi_board *board)
{
    unsigned pci = aml_open_device(b, "PCI0");
    aml_name_eisaid(b, "_HID", "PNP0A03");
    aml_name_int(b, "_UID", 0);
    unsigned crs = res_open(b, "_CRS");
    aml_res_bus_numbers(b, 0, 0xff);
    aml_res_io(b, 0xcf8, 8);
    aml_res_word_io(b, 0x0000, 0x0cf7);
    aml_res_word_io(b, 0x0d00, 0xffff);
    aml_res_dword_memory(b, 0xa0000, 0xbffff);
    uint32_t hole = (uint32_t)((board->ram_size + 0xfffff) & ~(uint64_t)0xfffff);
    aml_res_dword_memory(b, hole, board->ioapic_base - 1);
    res_close(b, crs);
    pci_routing(b);
    isa_bridge(b, board);
    aml_close(b, pci);
}

/* Method(_STA) { If (And(PRQx, 0x80)) { Return (0x09) } Return (0x0B) }: routed or not. */
static void link_sta(GByteArray *b, const char *prq)
{
    unsigned m = aml_open_method(b, "_STA", 0, false);
    unsigned cond = aml_open_if(b);
    aml_byte(b, AML_AND);
    aml_name(b, prq);
    aml_int(b, 0x80);
    aml_byte(b, AML_ZERO); /* no target */
    aml_byte(b, AML_RETURN);
    aml_int(b, 0x09);
    aml_close(b, cond);
    aml_byte(b, AML_RETURN);
    aml_int(b, 0x0b);
    aml_close(b, m);
}

/* The IRQ field of an Interrupt() descriptor: CreateDWordField(buffer, 5, IRQW). */
static void irq_field(GByteArray *b, const char *buffer)
{
    aml_byte(b, AML_CREATE_DWORD_FIELD);
    aml_name(b, buffer);
    aml_int(b, 5);
    aml_name(b, "IRQW");
}

/* _CRS: the IRQ PIRQRC routes to; _SRS: route to the one given; _DIS: disable the route. */
static void link_methods(GByteArray *b, const char *prq)
{
    static const unsigned none = 0;
    unsigned m = aml_open_method(b, "_CRS", 0, true);
    unsigned buf = res_open(b, "BUFF");
    aml_res_interrupt(b, &none, 1);
    res_close(b, buf);
    irq_field(b, "BUFF");
    aml_byte(b, AML_AND);
    aml_name(b, prq);
    aml_int(b, 0x0f);
    aml_name(b, "IRQW");
    aml_byte(b, AML_RETURN);
    aml_name(b, "BUFF");
    aml_close(b, m);

    m = aml_open_method(b, "_SRS", 1, true);
    aml_byte(b, AML_CREATE_DWORD_FIELD);
    aml_byte(b, AML_ARG0);
    aml_int(b, 5);
    aml_name(b, "IRQW");
    aml_byte(b, AML_STORE);
    aml_name(b, "IRQW");
    aml_name(b, prq);
    aml_close(b, m);

    m = aml_open_method(b, "_DIS", 0, false);
    aml_byte(b, AML_OR);
    aml_name(b, prq);
    aml_int(b, 0x80);
    aml_name(b, prq);
    aml_close(b, m);
}

static void link_device(GByteArray *b, char letter)
{
    static const unsigned possible[] = {5, 10, 11};
    char name[5] = {'L', 'N', 'K', letter, 0};
    char prq[sizeof(PRQ_PATH) + 1];
    g_snprintf(prq, sizeof(prq), "%s%c", PRQ_PATH, letter);
    unsigned dev = aml_open_device(b, name);
    aml_name_eisaid(b, "_HID", "PNP0C0F");
    aml_name_int(b, "_UID", (unsigned)(letter - 'A' + 1));
    unsigned prs = res_open(b, "_PRS");
    aml_res_interrupt(b, possible, G_N_ELEMENTS(possible));
    res_close(b, prs);
    link_sta(b, prq);
    link_methods(b, prq);
    aml_close(b, dev);
}

void acpi_dsdt_body(GByteArray *b, const struct acpi_board *board)
{
    unsigned pr = aml_open_scope(b, "\\_PR");
    aml_close(b, aml_open_processor(b, "CPU0", 0));
    aml_close(b, pr);

    aml_byte(b, AML_NAME);
    aml_name(b, "\\_S5");
    unsigned s5 = aml_open_package(b, 4);
    for (unsigned i = 0; i < 4; i++)
        aml_int(b, 0); /* SLP_TYPa, SLP_TYPb, reserved */
    aml_close(b, s5);

    unsigned sb = aml_open_scope(b, "\\_SB");
    pci_root(b, board);
    for (char c = 'A'; c <= 'D'; c++)
        link_device(b, c);
    aml_close(b, sb);
}
