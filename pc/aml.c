/*
 * ACPI Machine Language encoding (see aml.h), from the ACPI 2.0
 * specification: name strings §16.2.2, package lengths §16.2.4, data
 * objects §16.2.3, the named and type-1/type-2 opcodes §16.2.5, and the
 * resource data types §6.4.
 */
#include "pc/aml.h"

#include <string.h>

#define EXT_PREFIX    0x5b
#define DUAL_NAME     0x2e
#define MULTI_NAME    0x2f
#define BYTE_PREFIX   0x0a
#define WORD_PREFIX   0x0b
#define DWORD_PREFIX  0x0c
#define STRING_PREFIX 0x0d
#define QWORD_PREFIX  0x0e
#define SCOPE_OP      0x10
#define BUFFER_OP     0x11
#define PACKAGE_OP    0x12
#define METHOD_OP     0x14
#define IF_OP         0xa0
#define REGION_OP     0x80 /* after EXT_PREFIX */
#define FIELD_OP      0x81
#define DEVICE_OP     0x82
#define PROCESSOR_OP  0x83

void aml_byte(GByteArray *b, uint8_t v)
{
    g_byte_array_append(b, &v, 1);
}

static void aml_le(GByteArray *b, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        aml_byte(b, (uint8_t)(v >> (8 * i)));
}

/* One NameSeg: up to four characters, padded with '_'. */
static void name_seg(GByteArray *b, const char *s, size_t len)
{
    for (size_t i = 0; i < 4; i++)
        aml_byte(b, i < len ? (uint8_t)s[i] : '_');
}

void aml_name(GByteArray *b, const char *path)
{
    while (*path == '\\' || *path == '^')
        aml_byte(b, (uint8_t)*path++);
    unsigned nsegs = *path ? 1 : 0;
    for (const char *p = path; *p; p++)
        nsegs += *p == '.';
    if (nsegs == 0)
        aml_byte(b, 0); /* NullName */
    else if (nsegs == 2)
        aml_byte(b, DUAL_NAME);
    else if (nsegs > 2) {
        aml_byte(b, MULTI_NAME);
        aml_byte(b, (uint8_t)nsegs);
    }
    while (*path) {
        size_t len = strcspn(path, ".");
        name_seg(b, path, len);
        path += len + (path[len] == '.');
    }
}

void aml_int(GByteArray *b, uint64_t v)
{
    if (v <= 1) {
        aml_byte(b, (uint8_t)v); /* ZeroOp, OneOp */
    } else if (v <= 0xff) {
        aml_byte(b, BYTE_PREFIX);
        aml_byte(b, (uint8_t)v);
    } else if (v <= 0xffff) {
        aml_byte(b, WORD_PREFIX);
        aml_le(b, v, 2);
    } else if (v <= 0xffffffffu) {
        aml_byte(b, DWORD_PREFIX);
        aml_le(b, v, 4);
    } else {
        aml_byte(b, QWORD_PREFIX);
        aml_le(b, v, 8);
    }
}

void aml_string(GByteArray *b, const char *s)
{
    aml_byte(b, STRING_PREFIX);
    g_byte_array_append(b, (const uint8_t *)s, (guint)strlen(s) + 1);
}

/* EISA ID: three letters in 5 bits each, then four hex digits, stored big-endian (§6.1.5). */
void aml_eisaid(GByteArray *b, const char *id)
{
    unsigned vendor =
        ((id[0] - '@') & 31u) << 10 | ((id[1] - '@') & 31u) << 5 | ((id[2] - '@') & 31u);
    unsigned product = (unsigned)strtoul(id + 3, NULL, 16);
    uint8_t bytes[4] = {(uint8_t)(vendor >> 8), (uint8_t)vendor, (uint8_t)(product >> 8),
                        (uint8_t)product};
    aml_byte(b, DWORD_PREFIX);
    g_byte_array_append(b, bytes, 4);
}

void aml_name_int(GByteArray *b, const char *name, uint64_t v)
{
    aml_byte(b, AML_NAME);
    aml_name(b, name);
    aml_int(b, v);
}

void aml_name_string(GByteArray *b, const char *name, const char *s)
{
    aml_byte(b, AML_NAME);
    aml_name(b, name);
    aml_string(b, s);
}

void aml_name_eisaid(GByteArray *b, const char *name, const char *id)
{
    aml_byte(b, AML_NAME);
    aml_name(b, name);
    aml_eisaid(b, id);
}

/* --- package lengths ----------------------------------------------------------------- */

unsigned aml_open_scope(GByteArray *b, const char *name)
{
    aml_byte(b, SCOPE_OP);
    unsigned mark = b->len;
    aml_name(b, name);
    return mark;
}

unsigned aml_open_device(GByteArray *b, const char *name)
{
    aml_byte(b, EXT_PREFIX);
    aml_byte(b, DEVICE_OP);
    unsigned mark = b->len;
    aml_name(b, name);
    return mark;
}

unsigned aml_open_method(GByteArray *b, const char *name, unsigned nargs, bool serialized)
{
    aml_byte(b, METHOD_OP);
    unsigned mark = b->len;
    aml_name(b, name);
    aml_byte(b, (uint8_t)((nargs & 7) | (serialized ? 8 : 0))); /* sync level 0 */
    return mark;
}

unsigned aml_open_if(GByteArray *b)
{
    aml_byte(b, IF_OP);
    return b->len;
}

unsigned aml_open_package(GByteArray *b, unsigned nelements)
{
    aml_byte(b, PACKAGE_OP);
    unsigned mark = b->len;
    aml_byte(b, (uint8_t)nelements);
    return mark;
}

unsigned aml_open_buffer(GByteArray *b)
{
    aml_byte(b, BUFFER_OP);
    return b->len;
}

unsigned aml_open_field(GByteArray *b, const char *region, uint8_t flags)
{
    aml_byte(b, EXT_PREFIX);
    aml_byte(b, FIELD_OP);
    unsigned mark = b->len;
    aml_name(b, region);
    aml_byte(b, flags);
    return mark;
}

unsigned aml_open_processor(GByteArray *b, const char *name, uint8_t id)
{
    aml_byte(b, EXT_PREFIX);
    aml_byte(b, PROCESSOR_OP);
    unsigned mark = b->len;
    aml_name(b, name);
    aml_byte(b, id);
    aml_le(b, 0, 4); /* no processor control block */
    aml_byte(b, 0);
    return mark;
}

/* PkgLength (§16.2.4): the length counts its own bytes; 1 byte up to 63, else 2-4. */
static unsigned pkg_length(uint8_t out[4], unsigned body)
{
    if (body + 1 < 64) {
        out[0] = (uint8_t)(body + 1);
        return 1;
    }
    unsigned n = body + 2 < (1u << 12) ? 2 : body + 3 < (1u << 20) ? 3 : 4;
    unsigned len = body + n;
    out[0] = (uint8_t)((n - 1) << 6 | (len & 15));
    for (unsigned i = 1; i < n; i++)
        out[i] = (uint8_t)(len >> (4 + 8 * (i - 1)));
    return n;
}

void aml_close(GByteArray *b, unsigned mark)
{
    uint8_t enc[4];
    unsigned n = pkg_length(enc, b->len - mark);
    g_array_insert_vals((GArray *)b, mark, enc, n);
}

/* A buffer's size (a TermArg) follows its PkgLength. */
void aml_close_buffer(GByteArray *b, unsigned mark)
{
    GByteArray *size = g_byte_array_new();
    aml_int(size, b->len - mark);
    g_array_insert_vals((GArray *)b, mark, size->data, size->len);
    g_byte_array_free(size, TRUE);
    aml_close(b, mark);
}

/* A field unit's PkgLength is its bit count itself, without its own bytes (§16.2.5.2). */
void aml_field_unit(GByteArray *b, const char *name, unsigned bits)
{
    name_seg(b, name, strlen(name));
    if (bits < 64) {
        aml_byte(b, (uint8_t)bits);
    } else {
        aml_byte(b, (uint8_t)(0x40 | (bits & 15)));
        aml_byte(b, (uint8_t)(bits >> 4));
    }
}

void aml_operation_region(GByteArray *b, const char *name, uint8_t space, uint32_t offset,
                          uint32_t length)
{
    aml_byte(b, EXT_PREFIX);
    aml_byte(b, REGION_OP);
    aml_name(b, name);
    aml_byte(b, space);
    aml_int(b, offset);
    aml_int(b, length);
}

/* --- resource descriptors, ACPI 2.0 §6.4 ---------------------------------------------- */

void aml_res_io(GByteArray *b, uint16_t base, uint8_t length)
{
    uint8_t d[8] = {
        0x47, 0x01,  (uint8_t)base, (uint8_t)(base >> 8), (uint8_t)base, (uint8_t)(base >> 8),
        1,    length};
    g_byte_array_append(b, d, sizeof(d));
}

void aml_res_irq(GByteArray *b, unsigned irq)
{
    uint8_t d[3] = {0x22, (uint8_t)(1u << irq), (uint8_t)((1u << irq) >> 8)};
    g_byte_array_append(b, d, sizeof(d));
}

void aml_res_dma(GByteArray *b, unsigned channel)
{
    uint8_t d[3] = {0x2a, (uint8_t)(1u << channel), 0x00}; /* compatibility timing, 8-bit */
    g_byte_array_append(b, d, sizeof(d));
}

/* Word address space descriptor: producer, fixed min and max (general flags 0x0C). */
static void word_space(GByteArray *b, uint8_t type, uint8_t type_flags, uint16_t min, uint16_t max)
{
    uint8_t d[3] = {0x88, 13, 0};
    g_byte_array_append(b, d, 3);
    aml_byte(b, type);
    aml_byte(b, 0x0c);
    aml_byte(b, type_flags);
    aml_le(b, 0, 2); /* granularity */
    aml_le(b, min, 2);
    aml_le(b, max, 2);
    aml_le(b, 0, 2); /* translation */
    aml_le(b, (uint32_t)max - min + 1, 2);
}

void aml_res_bus_numbers(GByteArray *b, uint16_t min, uint16_t max)
{
    word_space(b, 2, 0, min, max);
}

void aml_res_word_io(GByteArray *b, uint16_t min, uint16_t max)
{
    word_space(b, 1, 3, min, max); /* ISA and non-ISA ranges */
}

void aml_res_dword_memory(GByteArray *b, uint32_t min, uint32_t max)
{
    uint8_t d[3] = {0x87, 23, 0};
    g_byte_array_append(b, d, 3);
    aml_byte(b, 0);    /* memory range */
    aml_byte(b, 0x0c); /* producer, fixed min and max */
    aml_byte(b, 0x03); /* read-write, cacheable */
    aml_le(b, 0, 4);
    aml_le(b, min, 4);
    aml_le(b, max, 4);
    aml_le(b, 0, 4);
    aml_le(b, (uint64_t)max - min + 1, 4);
}

void aml_res_interrupt(GByteArray *b, const unsigned *irqs, unsigned n)
{
    unsigned len = 2 + 4 * n;
    uint8_t d[5] = {0x89, (uint8_t)len, (uint8_t)(len >> 8),
                    0x09 /* consumer, level, high, shared */, (uint8_t)n};
    g_byte_array_append(b, d, 5);
    for (unsigned i = 0; i < n; i++)
        aml_le(b, irqs[i], 4);
}

void aml_res_end(GByteArray *b)
{
    uint8_t d[2] = {0x79, 0x00};
    g_byte_array_append(b, d, 2);
}
