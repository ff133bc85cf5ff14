/*
 * The pipe protocol between test_diff (64-bit, popek's side) and the native
 * helper (native.c, 32-bit x86 code run on the host CPU). Both sides include
 * this header; it holds fixed-size little-endian records only, so the layout
 * is the same for -m32 and -m64 builds.
 *
 * On start the helper writes one diff_hello saying whether the code runs in
 * 32-bit protected mode or in 64-bit mode (see native.c). Then test_diff
 * writes any number of diff_request records to the helper's stdin;
 * the helper answers each with one diff_reply on stdout, in order, and exits
 * at EOF. The helper runs the code with EBX, ESI, ... as given, except ESP
 * (the helper's own stack), with EFLAGS = 0x2 | (eflags & DIFF_FLAGS_IN), the
 * scratch image mapped at DIFF_SCRATCH_ADDR and the code at some other
 * address (generated code is position independent).
 */
#ifndef POPEK_TESTS_DIFF_PROTOCOL_H
#define POPEK_TESTS_DIFF_PROTOCOL_H

#include <stdint.h>

#define DIFF_SCRATCH_ADDR 0x00400000u
#define DIFF_SCRATCH_SIZE 4096u
#define DIFF_CODE_MAX     256u

#define DIFF_MAGIC_REQUEST 0x51464450u /* "PDFQ" */
#define DIFF_MAGIC_REPLY   0x52464450u /* "PDFR" */
#define DIFF_MAGIC_HELLO   0x48464450u /* "PDFH" */

/* CF PF AF ZF SF DF OF: the only EFLAGS bits a case sets and compares. */
#define DIFF_FLAGS_IN 0x0cd5u

/* diff_reply.exception when the code ran to its end. */
#define DIFF_NO_EXCEPTION 0xffu

struct diff_hello {
    uint32_t magic; /* DIFF_MAGIC_HELLO */
    uint32_t bits;  /* 32: the code runs in protected mode; 64: in 64-bit mode */
};

struct diff_request {
    uint32_t magic;    /* DIFF_MAGIC_REQUEST */
    uint32_t regs[8];  /* EAX ECX EDX EBX ESP EBP ESI EDI; ESP is ignored */
    uint32_t eflags;   /* only DIFF_FLAGS_IN bits are used */
    uint32_t code_len; /* bytes of code, at most DIFF_CODE_MAX */
    uint8_t code[DIFF_CODE_MAX];
    uint8_t scratch[DIFF_SCRATCH_SIZE];
};

struct diff_reply {
    uint32_t magic;     /* DIFF_MAGIC_REPLY */
    uint32_t regs[8];   /* at the end of the code, or at the faulting instruction */
    uint32_t eflags;    /* as PUSHFD (or the fault's context) saw them */
    uint32_t exception; /* DIFF_NO_EXCEPTION, or the vector (0 #DE, 6 #UD, 13 #GP, 14 #PF) */
    uint32_t fault_eip; /* with an exception: offset of the faulting instruction in the code */
    uint32_t reserved;
    uint8_t scratch[DIFF_SCRATCH_SIZE];
};

#endif
