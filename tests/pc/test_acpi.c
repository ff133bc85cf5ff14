/*
 * The board's ACPI tables: the AML encoder against the ACPI 2.0 encodings
 * (package lengths, names, integers, EISA IDs); the tables after running
 * their etc/table-loader script as SeaBIOS does (placement, pointers,
 * checksums), read back as an OS would (RSDP -> RSDT -> FADT -> FACS and
 * DSDT, MADT entries); and the DSDT disassembled and compiled again by
 * ACPICA's iasl (the reference AML implementation), with no errors.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "pc/acpi.h"
#include "pc/aml.h"

static const struct acpi_board board = {
    .ram_size = 64u << 20,
    .lapic_base = 0xfee00000u,
    .ioapic_base = 0xfec00000u,
    .pm_base = 0x600,
    .sci_irq = 9,
    .reset_port = 0xcf9,
    .reset_value = 0x06,
    .com1 = true,
};

static uint32_t le32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint8_t sum8(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s = (uint8_t)(s + p[i]);
    return s;
}

static void assert_bytes(GByteArray *b, const uint8_t *want, size_t n)
{
    g_assert_cmpuint(b->len, ==, n);
    g_assert_cmpmem(b->data, b->len, want, n);
    g_byte_array_set_size(b, 0);
}

/* --- AML encodings, ACPI 2.0 §16.2 ---------------------------------------------------- */

static void test_aml_encodings(void)
{
    GByteArray *b = g_byte_array_new();
    aml_name(b, "\\_SB.PCI0");
    assert_bytes(b, (const uint8_t[]){'\\', 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0'}, 10);
    aml_name(b, "\\_SB.PCI0.ISA.PRQA");
    assert_bytes(b,
                 (const uint8_t[]){'\\', 0x2f, 4, '_', 'S', 'B', '_', 'P', 'C', 'I', '0', 'I', 'S',
                                   'A', '_', 'P', 'R', 'Q', 'A'},
                 19);
    aml_name(b, "^LNK");
    assert_bytes(b, (const uint8_t[]){'^', 'L', 'N', 'K', '_'}, 5);
    aml_int(b, 0);
    aml_int(b, 1);
    aml_int(b, 0xff);
    aml_int(b, 0x100);
    aml_int(b, 0x12345678);
    assert_bytes(
        b,
        (const uint8_t[]){0x00, 0x01, 0x0a, 0xff, 0x0b, 0x00, 0x01, 0x0c, 0x78, 0x56, 0x34, 0x12},
        12);
    /* "PNP0A03" compresses to 0x41D0 then 0x0A03 (ACPI 2.0 §6.1.5; EisaId in iasl) */
    aml_eisaid(b, "PNP0A03");
    assert_bytes(b, (const uint8_t[]){0x0c, 0x41, 0xd0, 0x0a, 0x03}, 5);
    g_byte_array_free(b, TRUE);
}

/* PkgLength: one byte up to 63, then two bytes whose count includes themselves. */
static void test_aml_pkglength(void)
{
    GByteArray *b = g_byte_array_new();
    unsigned m = aml_open_scope(b, "ABCD");
    aml_close(b, m);
    assert_bytes(b, (const uint8_t[]){0x10, 0x05, 'A', 'B', 'C', 'D'}, 6);
    m = aml_open_scope(b, "ABCD");
    for (unsigned i = 0; i < 58; i++)
        aml_byte(b, 0xa3); /* Noop */
    aml_close(b, m);
    g_assert_cmphex(b->data[1], ==, 63); /* 4 + 58 + its own byte */
    g_byte_array_set_size(b, 0);
    m = aml_open_scope(b, "ABCD");
    for (unsigned i = 0; i < 59; i++)
        aml_byte(b, 0xa3);
    aml_close(b, m);
    /* 63 bytes of body: 65 with a two-byte PkgLength = 0x41 */
    g_assert_cmphex(b->data[1], ==, 0x41);
    g_assert_cmphex(b->data[2], ==, 0x04);
    g_assert_cmpuint(b->len, ==, 1 + 65);
    g_byte_array_set_size(b, 0);
    /* a buffer: PkgLength, then its size as an integer, then the bytes */
    m = aml_open_buffer(b);
    aml_res_end(b);
    aml_close_buffer(b, m);
    assert_bytes(b, (const uint8_t[]){0x11, 0x05, 0x0a, 0x02, 0x79, 0x00}, 6);
    g_byte_array_free(b, TRUE);
}

/* --- the tables after the loader ----------------------------------------------------- */

#define TABLES_AT 0x03ff0000u
#define RSDP_AT   0x000f5000u

struct loaded {
    struct acpi_blobs b;
    uint8_t *tables, *rsdp; /* as placed */
};

/* Where a physical address lands in the placed files. */
static const uint8_t *at(const struct loaded *l, uint32_t addr)
{
    if (addr >= TABLES_AT && addr < TABLES_AT + l->b.tables->len)
        return l->tables + (addr - TABLES_AT);
    g_assert_not_reached();
}

/* Run the loader script as SeaBIOS's romfile_loader.c does. */
static void load(struct loaded *l)
{
    acpi_build(&board, &l->b);
    l->tables = l->b.tables->data;
    l->rsdp = l->b.rsdp->data;
    const uint8_t *cmd = l->b.loader->data;
    g_assert_cmpuint(l->b.loader->len % 128, ==, 0);
    for (size_t off = 0; off < l->b.loader->len; off += 128) {
        const uint8_t *e = cmd + off;
        const char *f1 = (const char *)e + 4, *f2 = (const char *)e + 60;
        bool t1 = !strcmp(f1, "etc/acpi/tables");
        switch (le32(e)) {
        case 1: /* allocate: the tables in high memory 64-aligned, the RSDP in the F segment */
            g_assert_true(t1 ? le32(e + 60) == 64 && e[64] == 1
                             : !strcmp(f1, "etc/acpi/rsdp") && e[64] == 2);
            break;
        case 2: { /* add pointer */
            uint8_t *dst = t1 ? l->tables : l->rsdp;
            uint32_t where = le32(e + 116);
            g_assert_cmpstr(f2, ==, "etc/acpi/tables");
            g_assert_cmpuint(e[120], ==, 4);
            uint32_t v = le32(dst + where) + TABLES_AT;
            memcpy(dst + where, &v, 4);
            break;
        }
        case 3: { /* checksum */
            uint8_t *dst = t1 ? l->tables : l->rsdp;
            dst[le32(e + 60)] -= sum8(dst + le32(e + 64), le32(e + 68));
            break;
        }
        default:
            g_assert_not_reached();
        }
    }
}

static const uint8_t *table(const struct loaded *l, uint32_t addr, const char *sig)
{
    const uint8_t *t = at(l, addr);
    g_assert_cmpmem(t, 4, sig, 4);
    g_assert_cmphex(sum8(t, le32(t + 4)), ==, 0);
    return t;
}

static void test_tables(void)
{
    struct loaded l;
    load(&l);
    g_assert_cmpmem(l.rsdp, 8, "RSD PTR ", 8);
    g_assert_cmphex(sum8(l.rsdp, 20), ==, 0);
    g_assert_cmpuint(l.rsdp[15], ==, 0); /* revision 0: RSDT only */
    const uint8_t *rsdt = table(&l, le32(l.rsdp + 16), "RSDT");
    g_assert_cmpuint(le32(rsdt + 4), ==, 36 + 8);
    const uint8_t *fadt = table(&l, le32(rsdt + 36), "FACP");
    const uint8_t *madt = table(&l, le32(rsdt + 40), "APIC");

    /* FADT (ACPI 2.0 Table 5-9) */
    g_assert_cmpuint(le32(fadt + 4), ==, 244);
    g_assert_cmpuint(fadt[8], ==, 3);
    uint32_t facs = le32(fadt + 36);
    g_assert_cmphex(facs % 64, ==, 0);
    g_assert_cmpmem(at(&l, facs), 4, "FACS", 4);
    table(&l, le32(fadt + 40), "DSDT");
    g_assert_cmpuint(fadt[46], ==, 9);           /* SCI_INT */
    g_assert_cmphex(le32(fadt + 48), ==, 0);     /* SMI_CMD: no mode switch */
    g_assert_cmphex(le32(fadt + 56), ==, 0x600); /* PM1a_EVT_BLK */
    g_assert_cmphex(le32(fadt + 64), ==, 0x604); /* PM1a_CNT_BLK */
    g_assert_cmphex(le32(fadt + 76), ==, 0x608); /* PM_TMR_BLK */
    g_assert_cmpuint(fadt[88], ==, 4);
    g_assert_cmpuint(fadt[89], ==, 2);
    g_assert_cmpuint(fadt[91], ==, 4);
    g_assert_cmphex(le32(fadt + 112) & (1u << 10), !=, 0); /* RESET_REG_SUP */
    g_assert_cmpuint(fadt[116], ==, 1);                    /* reset register: system I/O */
    g_assert_cmphex(le32(fadt + 120), ==, 0xcf9);
    g_assert_cmphex(fadt[128], ==, 0x06);
    g_assert_cmphex(le32(fadt + 152), ==, 0x600); /* X_PM1a_EVT_BLK address */

    /* MADT (§5.2.10.4): processor 0, the I/O APIC, IRQ 0 on GSI 2, the SCI level-high, LINT1 NMI */
    g_assert_cmphex(le32(madt + 36), ==, 0xfee00000u);
    g_assert_cmphex(le32(madt + 40), ==, 1);
    bool cpu = false, ioapic = false, irq0 = false, sci = false, nmi = false;
    for (uint32_t off = 44; off < le32(madt + 4); off += madt[off + 1]) {
        const uint8_t *e = madt + off;
        g_assert_cmpuint(e[1], >=, 2);
        if (e[0] == 0)
            cpu = e[2] == 0 && e[3] == 0 && (le32(e + 4) & 1);
        else if (e[0] == 1)
            ioapic = le32(e + 4) == 0xfec00000u && le32(e + 8) == 0;
        else if (e[0] == 2 && e[3] == 0)
            irq0 = le32(e + 4) == 2;
        else if (e[0] == 2 && e[3] == 9)
            sci = le32(e + 4) == 9 && (e[8] | e[9] << 8) == 0x0d;
        else if (e[0] == 4)
            nmi = e[2] == 0xff && e[5] == 1;
    }
    g_assert_true(cpu && ioapic && irq0 && sci && nmi);
    acpi_blobs_free(&l.b);
}

/* iasl disassembles the DSDT and compiles the result again without errors. */
static void test_dsdt_iasl(void)
{
    const char *iasl = g_getenv("IASL");
    if (!iasl || !*iasl) {
        g_test_skip("iasl (acpica-tools) not found: scripts/install-deps installs it");
        return;
    }
    struct loaded l;
    load(&l);
    const uint8_t *fadt = at(&l, le32(at(&l, le32(l.rsdp + 16)) + 36));
    const uint8_t *dsdt = at(&l, le32(fadt + 40));
    g_autofree char *dir = g_dir_make_tmp("popek-acpi-XXXXXX", NULL);
    g_assert_nonnull(dir);
    g_autofree char *aml = g_build_filename(dir, "dsdt.aml", NULL);
    g_autofree char *dsl = g_build_filename(dir, "dsdt.dsl", NULL);
    g_autofree char *again = g_build_filename(dir, "dsdt2.aml", NULL);
    g_assert_true(g_file_set_contents(aml, (const char *)dsdt, le32(dsdt + 4), NULL));
    const char *dis[] = {iasl, "-d", aml, NULL};
    g_autofree char *out = NULL, *err = NULL;
    int status;
    g_assert_true(g_spawn_sync(dir, (char **)dis, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                               &status, NULL));
    g_assert_true(g_spawn_check_wait_status(status, NULL));
    g_autofree char *text = NULL;
    g_assert_true(g_file_get_contents(dsl, &text, NULL, NULL));
    static const char *const want[] = {
        "Processor (CPU0, 0x00",
        "Name (\\_S5, Package (0x04)",
        "EisaId (\"PNP0A03\")",
        "Name (_PRT, Package (0x7C)",
        "\\_SB.LNKA",
        "EisaId (\"PNP0501\")",
        "EisaId (\"PNP0C0F\")",
        "PCI_Config, 0x60, 0x04",
        "0xFEBFFFFF",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
        if (!strstr(text, want[i]))
            g_error("the disassembled DSDT lacks %s", want[i]);
    }
    g_free(out);
    g_free(err);
    out = err = NULL;
    g_autofree char *p_again = g_strconcat("-p", again, NULL);
    const char *comp[] = {iasl, p_again, dsl, NULL};
    g_assert_true(g_spawn_sync(dir, (char **)comp, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                               &status, NULL));
    if (!g_spawn_check_wait_status(status, NULL) || !strstr(out, " 0 Errors"))
        g_error("iasl could not compile the disassembled DSDT:\n%s%s", out, err);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    for (const char *n; (n = g_dir_read_name(d));) {
        g_autofree char *p = g_build_filename(dir, n, NULL);
        g_unlink(p);
    }
    g_rmdir(dir);
    acpi_blobs_free(&l.b);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/acpi/aml_encodings", test_aml_encodings);
    g_test_add_func("/acpi/aml_pkglength", test_aml_pkglength);
    g_test_add_func("/acpi/tables", test_tables);
    g_test_add_func("/acpi/dsdt_iasl", test_dsdt_iasl);
    return g_test_run();
}
