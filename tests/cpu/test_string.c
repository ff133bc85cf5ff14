/*
 * REP MOVS and REP STOS against a model of their definition: one element at
 * a time, each read before it is written, the pointers stepping by the
 * element size up or down (DF) and wrapping at the address size. The
 * interpreter moves whole runs of iterations at once where it can; whatever
 * the overlap of source and destination, the direction, the element size,
 * page crossings, a 16-bit address that wraps and a segment limit met on
 * the way, memory and registers must be what the model says.
 */
#include <glib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "machine/memmap.h"
#include "tests/lib/cpu_fixture.h"

#define CODE      0x10000u
#define STACK     0x80000u
#define AREA      0x30000u /* the bytes the tests copy within */
#define AREA_SIZE 0x11000u

struct str_case {
    bool stos;
    unsigned size; /* 1, 2, 4 */
    bool down;     /* DF */
    bool addr16;   /* an 0x67 prefix: SI, DI and CX */
    uint32_t src, dst, count;
    uint32_t base, limit; /* DS's and ES's */
};

/* The model: what the instruction leaves in `mem` (AREA_SIZE bytes at AREA) and the registers. */
static void model(const struct str_case *c, uint8_t *mem, uint32_t *esi, uint32_t *edi,
                  uint32_t *ecx, bool *fault)
{
    uint32_t mask = c->addr16 ? 0xffffu : 0xffffffffu;
    int32_t step = c->down ? -(int32_t)c->size : (int32_t)c->size;
    *esi = c->src;
    *edi = c->dst;
    *ecx = c->count;
    *fault = false;
    while (*ecx & mask) {
        uint32_t s = *esi & mask, d = *edi & mask;
        if ((!c->stos && (uint64_t)s + c->size - 1 > c->limit) ||
            (uint64_t)d + c->size - 1 > c->limit) {
            *fault = true;
            return;
        }
        uint32_t from = c->base + s - AREA, to = c->base + d - AREA;
        g_assert_true((c->stos || from + c->size <= AREA_SIZE) && to + c->size <= AREA_SIZE);
        uint8_t v[4];
        for (unsigned k = 0; k < c->size; k++)
            v[k] = c->stos ? (uint8_t)(0xa1b2c3d4u >> (8 * k)) : mem[from + k];
        for (unsigned k = 0; k < c->size; k++)
            mem[to + k] = v[k];
        if (!c->stos)
            *esi = (*esi & ~mask) | ((*esi + (uint32_t)step) & mask);
        *edi = (*edi & ~mask) | ((*edi + (uint32_t)step) & mask);
        *ecx = (*ecx & ~mask) | ((*ecx - 1) & mask);
    }
}

static void fill(uint8_t *mem)
{
    for (uint32_t i = 0; i < AREA_SIZE; i++)
        mem[i] = (uint8_t)(i * 7 + i / 251 + 3);
}

static void check(struct cpu_fixture *f, const struct str_case *c)
{
    uint8_t code[4], *p = code;
    if (c->addr16)
        *p++ = 0x67;
    if (c->size == 2)
        *p++ = 0x66;
    *p++ = 0xf3;
    *p++ = (uint8_t)((c->stos ? 0xaa : 0xa4) + (c->size > 1));
    memmap_write_buf(&f->m.mem, CODE, code, (size_t)(p - code));
    memmap_write_buf(&f->m.mem, CODE + (uint32_t)(p - code), "\xf4", 1); /* hlt */
    cpu_fixture_flat32(f, CODE, STACK, 0);
    struct cpu *cpu = f->cpu;
    cpu_set_segment(cpu, S_DS, 0x10, c->base, c->limit, 0xc093);
    cpu_set_segment(cpu, S_ES, 0x10, c->base, c->limit, 0xc093);
    cpu->stop_on_exception = true;
    cpu->regs[R_ESI] = c->src;
    cpu->regs[R_EDI] = c->dst;
    cpu->regs[R_ECX] = c->count;
    cpu->regs[R_EAX] = 0xa1b2c3d4u;
    cpu->eflags = 0x2 | (c->down ? 0x400u : 0);
    uint8_t *want = g_malloc(AREA_SIZE);
    fill(want);
    memmap_write_buf(&f->m.mem, AREA, want, AREA_SIZE);
    uint32_t esi, edi, ecx;
    bool fault;
    model(c, want, &esi, &edi, &ecx, &fault);

    enum cpu_exit why = cpu_fixture_run(f, 1000000);
    if (fault) {
        g_assert_cmpint(why, ==, CPU_EXIT_EXCEPTION);
        g_assert_cmpuint(cpu->exception_vector, ==, 13);
        g_assert_cmphex(cpu->eip, ==, CODE);
    } else {
        g_assert_cmpint(why, ==, CPU_EXIT_HLT);
    }
    g_assert_cmphex(cpu->regs[R_ESI], ==, esi);
    g_assert_cmphex(cpu->regs[R_EDI], ==, edi);
    g_assert_cmphex(cpu->regs[R_ECX], ==, ecx);
    g_assert_cmpmem(f->m.ram + AREA, AREA_SIZE, want, AREA_SIZE);
    g_free(want);
}

static void setup(struct cpu_fixture *f, gconstpointer data)
{
    cpu_fixture_init(f, 16);
}

static void teardown(struct cpu_fixture *f, gconstpointer data)
{
    cpu_fixture_destroy(f);
}

/* Source and destination closer than a run, either way round, in both directions. */
static void test_overlap(struct cpu_fixture *f, gconstpointer data)
{
    static const uint32_t counts[] = {1, 5, 700, 3000};
    for (unsigned size = 1; size <= 4; size *= 2)
        for (int down = 0; down < 2; down++)
            for (int delta = -9; delta <= 9; delta++)
                for (unsigned n = 0; n < G_N_ELEMENTS(counts); n++) {
                    uint32_t src = down ? 0x37ff0u : 0x31ff0u; /* crossing pages on the way */
                    struct str_case c = {.size = size,
                                         .down = down,
                                         .src = src,
                                         .dst = src + (uint32_t)delta,
                                         .count = counts[n],
                                         .limit = 0xffffffffu};
                    check(f, &c);
                }
}

/* Far apart, elements straddling page boundaries, both directions and all sizes. */
static void test_apart(struct cpu_fixture *f, gconstpointer data)
{
    for (unsigned size = 1; size <= 4; size *= 2)
        for (int down = 0; down < 2; down++)
            for (uint32_t mis = 0; mis < 4; mis++) {
                struct str_case c = {.size = size,
                                     .down = down,
                                     .src = (down ? 0x36000u : 0x31000u) + mis - 2,
                                     .dst = (down ? 0x3d000u : 0x38000u) + 3 - mis,
                                     .count = 0x5003 / size,
                                     .limit = 0xffffffffu};
                check(f, &c);
            }
}

/* REP STOS, bytes and words and dwords, both directions, over page boundaries. */
static void test_stos(struct cpu_fixture *f, gconstpointer data)
{
    static const uint32_t counts[] = {1, 9, 0x1001, 0x2345};
    for (unsigned size = 1; size <= 4; size *= 2)
        for (int down = 0; down < 2; down++)
            for (unsigned n = 0; n < G_N_ELEMENTS(counts); n++) {
                struct str_case c = {.stos = true,
                                     .size = size,
                                     .down = down,
                                     .dst = down ? 0x3effdu : 0x30ffdu,
                                     .count = counts[n],
                                     .limit = 0xffffffffu};
                check(f, &c);
            }
}

/* 16-bit addresses wrap at 64 KiB, up and down; CX counts. */
static void test_addr16_wraps(struct cpu_fixture *f, gconstpointer data)
{
    for (int down = 0; down < 2; down++)
        for (unsigned size = 1; size <= 4; size *= 2) {
            /* The high words of ESI, EDI and ECX stay as they are; the base is not page-aligned,
               so offset 0 is not the start of a page. */
            struct str_case c = {.size = size,
                                 .down = down,
                                 .addr16 = true,
                                 .src = 0x56780000u | (down ? 0x0004u : 0xfff4u),
                                 .dst = 0x9abc0000u | (down ? 0x8006u : 0x7ff6u),
                                 .count = 0xabcd0020u,
                                 .base = AREA + 0x800,
                                 .limit = 0xffffffffu};
            check(f, &c);
            c.stos = true;
            check(f, &c);
        }
}

/* A segment limit met in the middle of a run: #GP with the iterations before it done. */
static void test_limit(struct cpu_fixture *f, gconstpointer data)
{
    for (unsigned size = 1; size <= 4; size *= 2)
        for (int stos = 0; stos < 2; stos++) {
            struct str_case c = {.stos = stos,
                                 .size = size,
                                 .src = 0x33000u,
                                 .dst = 0x31100u,
                                 .count = 0x2000,
                                 .limit = 0x32ffeu};
            check(f, &c); /* the destination reaches the limit first */
            c.src = 0x32e00u;
            c.dst = 0x36000u;
            c.limit = 0x36ffeu;
            check(f, &c); /* the source or the destination, by the sizes */
        }
}

/* REP STOS over the instructions right after it: they run as written (self-modifying code). */
static void test_stos_over_next(struct cpu_fixture *f, gconstpointer data)
{
    /* rep stosb; inc ebx; inc ebx; inc ebx; hlt — the first two INC EBX become INC EAX */
    static const uint8_t code[] = {0xf3, 0xaa, 0x43, 0x43, 0x43, 0xf4};
    for (int round = 0; round < 3; round++) { /* the later rounds run translated code */
        memmap_write_buf(&f->m.mem, CODE, code, sizeof(code));
        cpu_fixture_flat32(f, CODE, STACK, 0);
        struct cpu *cpu = f->cpu;
        cpu->regs[R_EAX] = 0x40; /* INC EAX */
        cpu->regs[R_EBX] = 0;
        cpu->regs[R_ECX] = 2;
        cpu->regs[R_EDI] = CODE + 2;
        cpu_fixture_run_to_hlt(f, 1000);
        g_assert_cmphex(cpu->regs[R_EAX], ==, 0x42);
        g_assert_cmphex(cpu->regs[R_EBX], ==, 1);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add("/string/" path, struct cpu_fixture, NULL, setup, fn, teardown)
    ADD("movs-overlap", test_overlap);
    ADD("movs-apart", test_apart);
    ADD("stos", test_stos);
    ADD("addr16-wraps", test_addr16_wraps);
    ADD("limit", test_limit);
    ADD("stos-over-next", test_stos_over_next);
    return g_test_run();
}
