/*
 * An encoder for ACPI Machine Language (ACPI 2.0 ch. 16): the byte
 * encoding of names, integers, strings and the few operators popek's DSDT
 * uses, and the resource descriptors of ResourceTemplate buffers (§6.4).
 * Everything appends to a GByteArray. A construct with a PkgLength
 * (Scope, Device, Method, If, Package, Buffer, Field, Processor) is
 * opened with aml_open_*, filled, and closed with aml_close, which
 * inserts the length once it is known; constructs nest.
 */
#ifndef POPEK_PC_AML_H
#define POPEK_PC_AML_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* Opcodes (ACPI 2.0 §16.3) the builders below do not wrap. */
#define AML_ZERO               0x00
#define AML_ONE                0x01
#define AML_NAME               0x08
#define AML_RETURN             0xa4
#define AML_STORE              0x70
#define AML_AND                0x7b
#define AML_OR                 0x7d
#define AML_LOCAL0             0x60
#define AML_ARG0               0x68
#define AML_CREATE_DWORD_FIELD 0x8a

/* A name: "\\_SB.PCI0", "PCI0.ISA", "^LNKA"; segments shorter than 4 are padded with '_'. */
void aml_name(GByteArray *b, const char *path);
void aml_int(GByteArray *b, uint64_t v); /* the shortest encoding */
void aml_string(GByteArray *b, const char *s);
void aml_eisaid(GByteArray *b, const char *id); /* "PNP0A03" as a compressed EISA ID */
void aml_byte(GByteArray *b, uint8_t v);

/* Name(NAME, Integer) and Name(NAME, String). */
void aml_name_int(GByteArray *b, const char *name, uint64_t v);
void aml_name_string(GByteArray *b, const char *name, const char *s);
void aml_name_eisaid(GByteArray *b, const char *name, const char *id);

/* Constructs with a PkgLength: each returns the mark aml_close needs. */
unsigned aml_open_scope(GByteArray *b, const char *name);
unsigned aml_open_device(GByteArray *b, const char *name);
/* serialized: the method creates named objects (ACPI 2.0 §17.5.77) */
unsigned aml_open_method(GByteArray *b, const char *name, unsigned nargs, bool serialized);
unsigned aml_open_if(GByteArray *b); /* the predicate follows */
unsigned aml_open_package(GByteArray *b, unsigned nelements);
unsigned aml_open_buffer(GByteArray *b); /* the bytes follow; aml_close_buffer ends it */
unsigned aml_open_field(GByteArray *b, const char *region, uint8_t flags);
unsigned aml_open_processor(GByteArray *b, const char *name, uint8_t id);
void aml_close(GByteArray *b, unsigned mark);
void aml_close_buffer(GByteArray *b, unsigned mark);

/* A field unit of `bits` bits in an open Field. */
void aml_field_unit(GByteArray *b, const char *name, unsigned bits);
/* OperationRegion(NAME, space, offset, length): space 1 SystemIO, 2 PCI_Config. */
void aml_operation_region(GByteArray *b, const char *name, uint8_t space, uint32_t offset,
                          uint32_t length);

/* Resource descriptors (ACPI 2.0 §6.4) for ResourceTemplate buffers. */
void aml_res_io(GByteArray *b, uint16_t base, uint8_t length);
void aml_res_irq(GByteArray *b, unsigned irq); /* IRQNoFlags: edge, active high */
void aml_res_dma(GByteArray *b, unsigned channel);
void aml_res_bus_numbers(GByteArray *b, uint16_t min, uint16_t max);
void aml_res_word_io(GByteArray *b, uint16_t min, uint16_t max);
void aml_res_dword_memory(GByteArray *b, uint32_t min, uint32_t max);
/* Interrupt(ResourceConsumer, Level, ActiveHigh, Shared) { irqs } */
void aml_res_interrupt(GByteArray *b, const unsigned *irqs, unsigned n);
void aml_res_end(GByteArray *b);

#endif
