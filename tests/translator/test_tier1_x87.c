/*
 * The guest's x87 on the host's x87 (translator/x86_64/x87.c) against tier
 * 0's softfloat: the same x87 code in both tiers must leave the same x87
 * state (registers, control, status and tag words, FIP, FCS, FOP, FDP,
 * FDS), memory and registers — through loops of chained blocks, handler
 * calls and slow memory paths in between, an operand straddling two pages,
 * a page fault on an x87 operand, and the cases where the state may not go
 * to the host (an unmasked exception, CR0.TS) and tier 0 runs the
 * instruction. Each test checks that tier 1 ran x87 code on the host. The
 * code after FNINIT starts a block of its own (JMP $+2): a block is
 * translated for the state it first runs in, and RESET's control word
 * unmasks every exception.
 */
#include <string.h>

#include "tests/translator/tier_pair.h"

#define CR0_NE 0x20u

/* The operands the tests read: at ESI (DATA + 0x7000) and the page's last bytes. */
static void x87_data(struct pair *p)
{
    const uint32_t si = DATA + 0x7000;
    const int32_t seven = 7;
    const double two_and_half = 2.5;
    const float one_and_half = 1.5f;
    /* 3.0 and -5.25 as extended reals: significand, then sign and exponent. */
    const uint8_t three[10] = {0, 0, 0, 0, 0, 0, 0, 0xc0, 0x00, 0x40};
    const uint8_t minus_five_quarter[10] = {0, 0, 0, 0, 0, 0, 0, 0xa8, 0x01, 0xc0};
    pair_write(p, si, &seven, 4);
    pair_write(p, si + 4, &two_and_half, 8);
    pair_write(p, si + 12, &one_and_half, 4);
    pair_write(p, si + 16, three, 10);
    pair_write(p, si + 0xffa, minus_five_quarter, 10);
    const double two_and_three_quarters = 2.75;
    pair_write(p, si + 32, &two_and_three_quarters, 8);
}

/* Arithmetic of every operand kind in a loop of chained blocks; the state stays on the host. */
static void test_x87_loop(struct pair *p, gconstpointer data)
{
    /*
     *     fninit; mov ecx, 20
     * l:  fild dword [esi]; fld qword [esi+4]; fmul st0, st1; fadd qword [esi+4];
     *     fdiv dword [esi+12]; fsqrt; fld tword [esi+16]; fcomi st0, st1; setb al;
     *     fcmovnbe st0, st1; fxch st1; fstp tword [edi+ecx*8]; fistp dword [edi+0x200+ecx*4];
     *     fstp qword [edi+0x400]; fnstsw ax; inc dword [esi]; fldpi; fsin;
     *     fstp dword [edi+0x300+ecx*4]; dec ecx; jnz l
     *     fnstenv [edi+0x600]; hlt
     */
    static const uint8_t code[] = {
        0xdb, 0xe3, 0xb9, 0x14, 0x00, 0x00, 0x00, 0xdb, 0x06, 0xdd, 0x46, 0x04, 0xd8, 0xc9, 0xdc,
        0x46, 0x04, 0xd8, 0x76, 0x0c, 0xd9, 0xfa, 0xdb, 0x6e, 0x10, 0xdb, 0xf1, 0x0f, 0x92, 0xc0,
        0xdb, 0xd1, 0xd9, 0xc9, 0xdb, 0x3c, 0xcf, 0xdb, 0x9c, 0x8f, 0x00, 0x02, 0x00, 0x00, 0xdd,
        0x9f, 0x00, 0x04, 0x00, 0x00, 0xdf, 0xe0, 0xff, 0x06, 0xd9, 0xeb, 0xd9, 0xfe, 0xd9, 0x9c,
        0x8f, 0x00, 0x03, 0x00, 0x00, 0x49, 0x75, 0xc3, 0xd9, 0xb7, 0x00, 0x06, 0x00, 0x00, 0xf4,
    };
    pair_load(p, code, sizeof(code), 0);
    x87_data(p);
    g_assert_cmpint(pair_run(p, 100000), ==, CPU_EXIT_HLT);
    const struct translator_stats *s = pair_t1_stats(p);
    g_assert_cmpuint(s->native_insns, >=, 20);
    /* Once after FNINIT's handler call, and not again for each of the 20 rounds. */
    g_assert_cmpuint(s->x87_loads, >=, 1);
    g_assert_cmpuint(s->x87_loads, <=, 4);
    g_assert_cmpuint(s->exits[TR_EXIT_X87], ==, 0);
}

/* FDP kept from an earlier instruction, an operand across two pages, FNSTENV of the pointers. */
static void test_x87_pointers(struct pair *p, gconstpointer data)
{
    /* fninit; jmp $+2; fld qword [esi+4]; fld tword [esi+0xffa]; fabs; fstp st1; fnstenv [edi];
       hlt */
    static const uint8_t code[] = {0xdb, 0xe3, 0xeb, 0x00, 0xdd, 0x46, 0x04, 0xdb, 0xae, 0xfa,
                                   0x0f, 0x00, 0x00, 0xd9, 0xe1, 0xdd, 0xd9, 0xd9, 0x37, 0xf4};
    pair_load(p, code, sizeof(code), 0);
    x87_data(p);
    g_assert_cmpint(pair_run(p, 1000), ==, CPU_EXIT_HLT);
    struct cpu_x87_state x;
    cpu_x87_get(p->f[1].cpu, &x);
    g_assert_cmphex(x.fioff, ==, CODE + 15);             /* FSTP ST1 */
    g_assert_cmphex(x.fooff, ==, DATA + 0x7000 + 0xffa); /* the FLD of the extended real */
    g_assert_cmphex(x.fop, ==, 0x5d9);                   /* DD D9 */
    g_assert_cmpuint(pair_t1_stats(p)->x87_loads, >=, 1);
}

/* Rounding toward zero, precision control and the infinity-control bit of the control word. */
static void test_x87_control_word(struct pair *p, gconstpointer data)
{
    /* fninit; fldcw [esi]; jmp $+2; fld1; fldpi; fdivp st1, st0; fstp qword [edi];
       fnstcw [edi+8]; fldl2e; fsqrt; hlt  ([esi] = 0x1e7f: X, RC toward zero, PC 53 bits) */
    static const uint8_t code[] = {0xdb, 0xe3, 0xd9, 0x2e, 0xeb, 0x00, 0xd9, 0xe8,
                                   0xd9, 0xeb, 0xde, 0xf9, 0xdd, 0x1f, 0xd9, 0x7f,
                                   0x08, 0xd9, 0xea, 0xd9, 0xfa, 0xf4};
    pair_load(p, code, sizeof(code), 0);
    const uint16_t cw = 0x1e7f;
    pair_write(p, DATA + 0x7000, &cw, 2);
    g_assert_cmpint(pair_run(p, 1000), ==, CPU_EXIT_HLT);
    uint16_t stored;
    memcpy(&stored, p->f[1].m.ram + DATA + 0x8008, 2);
    g_assert_cmphex(stored, ==, 0x1e7f);
    g_assert_cmpuint(pair_t1_stats(p)->x87_loads, >=, 1);
}

/*
 * C's (int) cast as compilers wrote it before SSE: FNSTCW, FLDCW of a copy that truncates,
 * FISTP, FLDCW back; host code runs the FLDCWs itself, the state stays on the host.
 */
static void test_x87_fldcw_cast(struct pair *p, gconstpointer data)
{
    /*
     *     fninit; jmp $+2; mov ecx, 50
     * l:  fld qword [esi+32]; fnstcw [edi]; movzx eax, word [edi]; or ah, 0x0c;
     *     mov [edi+2], ax; fldcw [edi+2]; fistp dword [edi+8+ecx*4]; fldcw [edi]; dec ecx; jnz l
     *     fnstcw [edi+4]; hlt
     */
    static const uint8_t code[] = {0xdb, 0xe3, 0xeb, 0x00, 0xb9, 0x32, 0x00, 0x00, 0x00, 0xdd,
                                   0x46, 0x20, 0xd9, 0x3f, 0x0f, 0xb7, 0x07, 0x80, 0xcc, 0x0c,
                                   0x66, 0x89, 0x47, 0x02, 0xd9, 0x6f, 0x02, 0xdb, 0x5c, 0x8f,
                                   0x08, 0xd9, 0x2f, 0x49, 0x75, 0xe5, 0xd9, 0x7f, 0x04, 0xf4};
    pair_load(p, code, sizeof(code), 0);
    x87_data(p);
    g_assert_cmpint(pair_run(p, 1000), ==, CPU_EXIT_HLT);
    const uint8_t *out = p->f[1].m.ram + DATA + 0x8000;
    for (unsigned k = 1; k <= 50; k++) {
        int32_t v;
        memcpy(&v, out + 8 + 4 * k, 4);
        g_assert_cmpint(v, ==, 2); /* 2.75 truncated, not rounded */
    }
    uint16_t cw;
    memcpy(&cw, out + 4, 2);
    g_assert_cmphex(cw, ==, 0x037f);
    g_assert_cmpuint(pair_t1_stats(p)->x87_loads, <=, 8); /* not one per FLDCW (100) */
    g_assert_cmpuint(pair_t1_stats(p)->exits[TR_EXIT_X87], ==, 0);
}

/* A handler call between x87 instructions (a TLB miss's slow path): the state goes back. */
static void test_x87_after_slow_path(struct pair *p, gconstpointer data)
{
    /* fninit; jmp $+2; fld1; mov ebx, [edx+0x10]; fadd st0, st0; fstp qword [edi]; hlt */
    static const uint8_t code[] = {0xdb, 0xe3, 0xeb, 0x00, 0xd9, 0xe8, 0x8b,
                                   0x5a, 0x10, 0xdc, 0xc0, 0xdd, 0x1f, 0xf4};
    pair_load(p, code, sizeof(code), 0);
    g_assert_cmpint(pair_run(p, 1000), ==, CPU_EXIT_HLT);
    double two;
    memcpy(&two, p->f[1].m.ram + DATA + 0x8000, 8);
    g_assert_cmpfloat(two, ==, 2.0);
    g_assert_cmpuint(pair_t1_stats(p)->x87_loads, >=, 2); /* before FLD1, after the miss */
}

/* A page fault on an x87 operand: the state of before it, the pointers of the faulting one. */
static void test_x87_page_fault(struct pair *p, gconstpointer data)
{
    /* fninit; jmp $+2; fld1; fldpi; fld qword [eax]; hlt  (EAX = DATA + 0x1000, not present) */
    static const uint8_t code[] = {0xdb, 0xe3, 0xeb, 0x00, 0xd9, 0xe8,
                                   0xd9, 0xeb, 0xdd, 0x00, 0xf4};
    pair_load(p, code, sizeof(code), 0);
    pair_paging_with_hole(p, DATA + 0x1000);
    g_assert_cmpint(pair_run(p, 1000), ==, CPU_EXIT_EXCEPTION);
    g_assert_cmpuint(p->f[1].cpu->exception_vector, ==, 14);
    g_assert_cmphex(p->f[1].cpu->eip, ==, CODE + 8);
    g_assert_cmpuint(pair_t1_stats(p)->x87_loads, >=, 1);
}

/*
 * FLDCW unmasks divide-by-zero: host code hands it to its handler (the host x87 must never run
 * unmasked), the next x87 instruction leaves for tier 0, which reports #MF.
 */
static void test_x87_unmasked(struct pair *p, gconstpointer data)
{
    /* fninit; mov eax, [esi]; jmp $+2; fld1; fldcw [esi]; fldz; fdivp st1, st0; fld1; hlt
       ([esi] = 0x037b; the load puts its page in the TLB, so host code tests the new word) */
    static const uint8_t code[] = {0xdb, 0xe3, 0x8b, 0x06, 0xeb, 0x00, 0xd9, 0xe8, 0xd9,
                                   0x2e, 0xd9, 0xee, 0xde, 0xf9, 0xd9, 0xe8, 0xf4};
    pair_load(p, code, sizeof(code), 0);
    const uint16_t cw = 0x037b;
    pair_write(p, DATA + 0x7000, &cw, 2);
    for (unsigned k = 0; k < 2; k++)
        p->f[k].cpu->cr[0] |= CR0_NE;
    g_assert_cmpint(pair_run(p, 1000), ==, CPU_EXIT_EXCEPTION);
    g_assert_cmpuint(p->f[1].cpu->exception_vector, ==, 16);
    g_assert_cmphex(p->f[1].cpu->eip, ==, CODE + 14);
    g_assert_cmpuint(pair_t1_stats(p)->x87_loads, ==, 1);
    g_assert_cmpuint(pair_t1_stats(p)->exits[TR_EXIT_X87], ==, 1);
}

/* CR0.TS set between x87 instructions: the next one raises #NM, from tier 0. */
static void test_x87_task_switched(struct pair *p, gconstpointer data)
{
    /* fninit; jmp $+2; fld1; smsw ax; or al, 8; lmsw ax; fld1; hlt */
    static const uint8_t code[] = {0xdb, 0xe3, 0xeb, 0x00, 0xd9, 0xe8, 0x66, 0x0f, 0x01,
                                   0xe0, 0x0c, 0x08, 0x0f, 0x01, 0xf0, 0xd9, 0xe8, 0xf4};
    pair_load(p, code, sizeof(code), 0);
    g_assert_cmpint(pair_run(p, 1000), ==, CPU_EXIT_EXCEPTION);
    g_assert_cmpuint(p->f[1].cpu->exception_vector, ==, 7);
    g_assert_cmphex(p->f[1].cpu->eip, ==, CODE + 15);
    g_assert_cmpuint(pair_t1_stats(p)->x87_loads, ==, 1);
}

/* A block translated with x87 instructions, entered again under CR0.TS: tier 0 raises #NM. */
static void test_x87_block_under_ts(struct pair *p, gconstpointer data)
{
    /* fninit; jmp $+2; fld1; fstp st0; fldpi; hlt */
    static const uint8_t code[] = {0xdb, 0xe3, 0xeb, 0x00, 0xd9, 0xe8,
                                   0xdd, 0xd8, 0xd9, 0xeb, 0xf4};
    pair_load(p, code, sizeof(code), 0);
    g_assert_cmpint(pair_run(p, 1000), ==, CPU_EXIT_HLT);
    g_assert_cmpuint(pair_t1_stats(p)->x87_loads, ==, 1);
    for (unsigned k = 0; k < 2; k++) {
        struct cpu *cpu = p->f[k].cpu;
        cpu->cr[0] |= 0x8u; /* TS */
        cpu->eip = CODE + 4;
        cpu->halted = false;
    }
    g_assert_cmpint(pair_run(p, 1000), ==, CPU_EXIT_EXCEPTION);
    g_assert_cmpuint(p->f[1].cpu->exception_vector, ==, 7);
    g_assert_cmphex(p->f[1].cpu->eip, ==, CODE + 4);
    g_assert_cmpuint(pair_t1_stats(p)->x87_loads, ==, 1);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!translator_tier1_available()) {
        g_test_message("no tier 1 on this host: every block runs in tier 0");
        return 0;
    }
    static const struct opts plain = {0}, baseline = {.baseline = true};
    PAIR_ADD("x87-loop", test_x87_loop, &plain, &baseline);
    PAIR_ADD("x87-control-word", test_x87_control_word, &plain, &baseline);
    PAIR_ADD("x87-fldcw-cast", test_x87_fldcw_cast, &plain, &baseline);
    PAIR_ADD("x87-pointers", test_x87_pointers, &plain, &baseline);
    PAIR_ADD("x87-after-slow-path", test_x87_after_slow_path, &plain, &baseline);
    PAIR_ADD("x87-page-fault", test_x87_page_fault, &plain, &baseline);
    PAIR_ADD("x87-unmasked", test_x87_unmasked, &plain, &baseline);
    PAIR_ADD("x87-task-switched", test_x87_task_switched, &plain, &baseline);
    PAIR_ADD("x87-block-under-ts", test_x87_block_under_ts, &plain, &baseline);
    return g_test_run();
}
