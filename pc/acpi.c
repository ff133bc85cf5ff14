/*
 * The board's ACPI tables and their loader script (see acpi.h), laid out
 * from the ACPI 2.0 specification: RSDP §5.2.4, the table header §5.2.6,
 * RSDT §5.2.7, FADT §5.2.8 (revision 3, Table 5-9), FACS §5.2.9, MADT
 * §5.2.10.4. The loader commands are those SeaBIOS executes for QEMU's
 * etc/table-loader (SeaBIOS src/fw/romfile_loader.h): allocate a file in
 * high memory or the F segment, add a file's final address to a pointer
 * field, fix a checksum byte.
 */
#include "pc/acpi.h"

#include <string.h>

#include "devices/fw_cfg.h"
#include "pc/aml.h"

#define TABLES_FILE "etc/acpi/tables"
#define RSDP_FILE   "etc/acpi/rsdp"
#define LOADER_FILE "etc/table-loader"

enum { CMD_ALLOCATE = 1, CMD_ADD_POINTER = 2, CMD_ADD_CHECKSUM = 3 };
enum { ZONE_HIGH = 1, ZONE_FSEG = 2 };
#define LOADER_ENTRY 128
#define LOADER_NAME  56

#define HEADER_LEN 36
#define FADT_LEN   244 /* revision 3 */
#define FACS_LEN   64

/* --- little-endian fields ------------------------------------------------------------ */

static void put(GByteArray *b, size_t at, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        b->data[at + i] = (uint8_t)(v >> (8 * i));
}

static void append_le(GByteArray *b, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        uint8_t byte = (uint8_t)(v >> (8 * i));
        g_byte_array_append(b, &byte, 1);
    }
}

static void append_zero(GByteArray *b, size_t n)
{
    static const uint8_t zero[64];
    while (n) {
        size_t k = MIN(n, sizeof(zero));
        g_byte_array_append(b, zero, (guint)k);
        n -= k;
    }
}

static uint8_t checksum(const uint8_t *p, size_t n)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum = (uint8_t)(sum + p[i]);
    return (uint8_t)-sum;
}

/* A table header (§5.2.6) at the end of `b`; returns where the table starts. */
static size_t header(GByteArray *b, const char *sig, uint8_t revision)
{
    size_t at = b->len;
    g_byte_array_append(b, (const uint8_t *)sig, 4);
    append_le(b, 0, 4); /* length, set by finish() */
    g_byte_array_append(b, &revision, 1);
    append_le(b, 0, 1);                                            /* checksum */
    g_byte_array_append(b, (const uint8_t *)"POPEK POPEKPC ", 14); /* OEM ID, OEM table ID */
    append_le(b, 1, 4);
    g_byte_array_append(b, (const uint8_t *)"PPEK", 4); /* creator ID */
    append_le(b, 1, 4);
    return at;
}

/* Set the table's length; with `sum`, its checksum too (tables the loader does not patch). */
static void finish(GByteArray *b, size_t at, bool sum)
{
    put(b, at + 4, b->len - at, 4);
    if (sum)
        b->data[at + 9] = checksum(b->data + at, b->len - at);
}

/* A generic address structure (§5.2.3.1) for a system I/O register. */
static void gas_io(GByteArray *b, size_t at, uint16_t port, uint8_t bits)
{
    b->data[at] = 1; /* system I/O */
    b->data[at + 1] = bits;
    b->data[at + 2] = 0;
    b->data[at + 3] = 0;
    put(b, at + 4, port, 8);
}

/* --- the tables ---------------------------------------------------------------------- */

static size_t build_facs(GByteArray *b)
{
    size_t at = b->len;
    g_byte_array_append(b, (const uint8_t *)"FACS", 4);
    append_le(b, FACS_LEN, 4);
    append_zero(b, FACS_LEN - 8);
    b->data[at + 32] = 1; /* version (ACPI 2.0) */
    return at;
}

static size_t build_dsdt(GByteArray *b, const struct acpi_board *board)
{
    size_t at = header(b, "DSDT", 1); /* revision 1: 32-bit integers */
    acpi_dsdt_body(b, board);
    finish(b, at, true);
    return at;
}

/* FADT revision 3 (Table 5-9); FIRMWARE_CTRL and DSDT hold offsets into the tables file. */
static size_t build_fadt(GByteArray *b, const struct acpi_board *board, size_t facs, size_t dsdt)
{
    size_t at = header(b, "FACP", 3);
    append_zero(b, FADT_LEN - HEADER_LEN);
    put(b, at + 36, facs, 4);
    put(b, at + 40, dsdt, 4);
    b->data[at + 45] = 1; /* preferred PM profile: desktop */
    put(b, at + 46, board->sci_irq, 2);
    /* SMI_CMD 0: always in ACPI mode (there is no SMM) */
    put(b, at + 56, board->pm_base, 4);     /* PM1a_EVT_BLK */
    put(b, at + 64, board->pm_base + 4, 4); /* PM1a_CNT_BLK */
    put(b, at + 76, board->pm_base + 8, 4); /* PM_TMR_BLK */
    b->data[at + 88] = 4;                   /* PM1_EVT_LEN */
    b->data[at + 89] = 2;                   /* PM1_CNT_LEN */
    b->data[at + 91] = 4;                   /* PM_TMR_LEN */
    put(b, at + 96, 0x0fff, 2);             /* P_LVL2_LAT: no C2 */
    put(b, at + 98, 0x0fff, 2);             /* P_LVL3_LAT: no C3 */
    b->data[at + 108] = 0x32;               /* CENTURY: the CMOS century byte */
    put(b, at + 109, 0x0003, 2);            /* IAPC_BOOT_ARCH: legacy devices, 8042 */
    /* WBINVD, PROC_C1, no sleep button, RESET_REG_SUP */
    put(b, at + 112, 1u << 0 | 1u << 2 | 1u << 5 | 1u << 10, 4);
    gas_io(b, at + 116, board->reset_port, 8);
    b->data[at + 128] = board->reset_value;
    gas_io(b, at + 148, board->pm_base, 32);     /* X_PM1a_EVT_BLK */
    gas_io(b, at + 172, board->pm_base + 4, 16); /* X_PM1a_CNT_BLK */
    gas_io(b, at + 208, board->pm_base + 8, 32); /* X_PM_TMR_BLK */
    finish(b, at, false);
    return at;
}

/* MADT entries (§5.2.10.4-8). */
static void madt_override(GByteArray *b, uint8_t irq, uint32_t gsi, uint16_t flags)
{
    uint8_t e[4] = {2, 10, 0 /* ISA */, irq};
    g_byte_array_append(b, e, 4);
    append_le(b, gsi, 4);
    append_le(b, flags, 2);
}

static size_t build_madt(GByteArray *b, const struct acpi_board *board)
{
    size_t at = header(b, "APIC", 1);
    append_le(b, board->lapic_base, 4);
    append_le(b, 1, 4); /* PCAT_COMPAT: 8259s present */
    static const uint8_t cpu[8] = {0, 8, 0 /* processor ID */, 0 /* APIC ID */, 1, 0, 0, 0};
    g_byte_array_append(b, cpu, sizeof(cpu));
    static const uint8_t ioapic[4] = {1, 12, 0 /* ID */, 0};
    g_byte_array_append(b, ioapic, sizeof(ioapic));
    append_le(b, board->ioapic_base, 4);
    append_le(b, 0, 4);        /* GSI base */
    madt_override(b, 0, 2, 0); /* the 8254 on pin 2 */
    /* the SCI and the IRQs SeaBIOS gives PCI: level-triggered, active high, as the MP table says */
    static const uint8_t level_irqs[] = {5, 9, 10, 11};
    for (size_t i = 0; i < sizeof(level_irqs); i++)
        madt_override(b, level_irqs[i], level_irqs[i], 0x000d);
    static const uint8_t nmi[6] = {4, 6, 0xff /* all processors */, 0, 0, 1 /* LINT1 */};
    g_byte_array_append(b, nmi, sizeof(nmi));
    finish(b, at, true);
    return at;
}

/* --- the loader script --------------------------------------------------------------- */

static void loader_name(GByteArray *l, size_t at, const char *name)
{
    memcpy(l->data + at, name, strlen(name)); /* the rest stays 0 */
}

static size_t loader_entry(GByteArray *l, uint32_t command)
{
    size_t at = l->len;
    append_zero(l, LOADER_ENTRY);
    put(l, at, command, 4);
    return at;
}

static void loader_allocate(GByteArray *l, const char *file, uint32_t align, uint8_t zone)
{
    size_t at = loader_entry(l, CMD_ALLOCATE);
    loader_name(l, at + 4, file);
    put(l, at + 4 + LOADER_NAME, align, 4);
    l->data[at + 8 + LOADER_NAME] = zone;
}

/* Add the address of `src` to the `size`-byte field at `offset` in `dest`. */
static void loader_pointer(GByteArray *l, const char *dest, const char *src, uint32_t offset,
                           uint8_t size)
{
    size_t at = loader_entry(l, CMD_ADD_POINTER);
    loader_name(l, at + 4, dest);
    loader_name(l, at + 4 + LOADER_NAME, src);
    put(l, at + 4 + 2 * LOADER_NAME, offset, 4);
    l->data[at + 8 + 2 * LOADER_NAME] = size;
}

static void loader_checksum(GByteArray *l, const char *file, uint32_t offset, uint32_t start,
                            uint32_t length)
{
    size_t at = loader_entry(l, CMD_ADD_CHECKSUM);
    loader_name(l, at + 4, file);
    put(l, at + 4 + LOADER_NAME, offset, 4);
    put(l, at + 8 + LOADER_NAME, start, 4);
    put(l, at + 12 + LOADER_NAME, length, 4);
}

void acpi_build(const struct acpi_board *board, struct acpi_blobs *out)
{
    GByteArray *t = g_byte_array_new(), *l = g_byte_array_new();
    size_t facs = build_facs(t);
    size_t dsdt = build_dsdt(t, board);
    size_t fadt = build_fadt(t, board, facs, dsdt);
    size_t madt = build_madt(t, board);
    size_t rsdt = header(t, "RSDT", 1);
    append_le(t, fadt, 4);
    append_le(t, madt, 4);
    finish(t, rsdt, false);

    GByteArray *r = g_byte_array_new();
    g_byte_array_append(r, (const uint8_t *)"RSD PTR ", 8);
    append_zero(r, 1);                                    /* checksum */
    g_byte_array_append(r, (const uint8_t *)"POPEK ", 6); /* OEM ID */
    append_zero(r, 1);                                    /* revision 0: ACPI 1.0 RSDP */
    append_le(r, rsdt, 4);

    loader_allocate(l, TABLES_FILE, 64, ZONE_HIGH); /* the FACS wants 64-byte alignment */
    loader_allocate(l, RSDP_FILE, 16, ZONE_FSEG);   /* OSes look for it in the F segment */
    loader_pointer(l, TABLES_FILE, TABLES_FILE, (uint32_t)fadt + 36, 4);
    loader_pointer(l, TABLES_FILE, TABLES_FILE, (uint32_t)fadt + 40, 4);
    loader_checksum(l, TABLES_FILE, (uint32_t)fadt + 9, (uint32_t)fadt, FADT_LEN);
    for (unsigned i = 0; i < 2; i++)
        loader_pointer(l, TABLES_FILE, TABLES_FILE, (uint32_t)(rsdt + HEADER_LEN + 4 * i), 4);
    loader_checksum(l, TABLES_FILE, (uint32_t)rsdt + 9, (uint32_t)rsdt, (uint32_t)(t->len - rsdt));
    loader_pointer(l, RSDP_FILE, TABLES_FILE, 16, 4);
    loader_checksum(l, RSDP_FILE, 8, 0, 20);
    *out = (struct acpi_blobs){t, r, l};
}

void acpi_blobs_free(struct acpi_blobs *b)
{
    g_byte_array_free(b->tables, TRUE);
    g_byte_array_free(b->rsdp, TRUE);
    g_byte_array_free(b->loader, TRUE);
}

void acpi_install(struct fw_cfg *fw, const struct acpi_board *board)
{
    struct acpi_blobs b;
    acpi_build(board, &b);
    fw_cfg_add_file(fw, TABLES_FILE, b.tables->data, b.tables->len);
    fw_cfg_add_file(fw, RSDP_FILE, b.rsdp->data, b.rsdp->len);
    fw_cfg_add_file(fw, LOADER_FILE, b.loader->data, b.loader->len);
    acpi_blobs_free(&b);
}
