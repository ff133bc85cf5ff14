/*
 * The board's ACPI tables, generated from its configuration: RSDP, RSDT,
 * FADT (the PIIX4-style PM registers, the reset register at 0xCF9),
 * FACS, MADT (the local APIC, the I/O APIC, the ISA overrides) and a DSDT
 * in AML (the processor, _S5, the PCI root with its resources and
 * interrupt routing through the PIIX3's PIRQ link devices, and the ISA
 * devices popek has). They reach SeaBIOS through fw_cfg the way QEMU hands
 * them over: the files etc/acpi/tables and etc/acpi/rsdp and the
 * etc/table-loader script that has SeaBIOS place them, link their
 * pointers and fix their checksums.
 */
#ifndef POPEK_PC_ACPI_H
#define POPEK_PC_ACPI_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

struct fw_cfg;

/* What the tables describe. */
struct acpi_board {
    uint64_t ram_size;    /* PCI memory is decoded from here to the I/O APIC */
    uint32_t lapic_base;  /* local APIC */
    uint32_t ioapic_base; /* I/O APIC (ID 0, GSIs 0-23) */
    uint16_t pm_base;     /* PM1a event, PM1a control, PM timer (devices/acpi_pm.h) */
    unsigned sci_irq;     /* ISA IRQ of the SCI */
    uint16_t reset_port;  /* the FADT reset register */
    uint8_t reset_value;
    bool com1; /* a 16550 at 0x3F8 */
};

/* The three fw_cfg files. */
struct acpi_blobs {
    GByteArray *tables; /* FACS, DSDT, FADT, MADT, RSDT, in this order */
    GByteArray *rsdp;
    GByteArray *loader; /* etc/table-loader commands, 128 bytes each */
};

void acpi_build(const struct acpi_board *board, struct acpi_blobs *out);
void acpi_blobs_free(struct acpi_blobs *b);

/* Build and publish them on fw_cfg. */
void acpi_install(struct fw_cfg *fw, const struct acpi_board *board);

/* The DSDT's AML body (after its 36-byte header), in acpi_dsdt.c. */
void acpi_dsdt_body(GByteArray *b, const struct acpi_board *board);

#endif
