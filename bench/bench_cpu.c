/*
 * Interpreter throughput: guest instructions per second for a tight
 * integer loop and for a branchy loop, run by the interpreter with its
 * decoded-block cache in flat 32-bit protected mode. Prints the rates; it
 * never fails on speed.
 *
 *   bench_cpu [iterations]
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "machine/machine.h"
#include "shadowmmu/shadowmmu.h"
#include "translator/translator.h"

#define CODE 0x1000u

/* mov ecx, N; l: add eax, ecx; xor ebx, eax; inc edx; dec ecx; jnz l; hlt */
static const uint8_t integer_loop[] = {0xb9, 0,    0,    0,    0,    0x01, 0xc8,
                                       0x31, 0xc3, 0x42, 0x49, 0x75, 0xf8, 0xf4};

/*
 * mov ecx, N; l: test ecx, 1; jz even; add eax, 3; jmp next;
 * even: sub eax, 1; next: dec ecx; jnz l; hlt
 */
static const uint8_t branchy_loop[] = {0xb9, 0,    0,    0,    0,    0xf7, 0xc1, 0x01, 0x00,
                                       0x00, 0x00, 0x74, 0x05, 0x83, 0xc0, 0x03, 0xeb, 0x03,
                                       0x83, 0xe8, 0x01, 0x49, 0x75, 0xed, 0xf4};

/*
 * mov ecx, N; fninit; fld1; fld1; l: fadd st0, st1; fmul st0, st1;
 * fdiv st0, st1; fsqrt; dec ecx; jnz l; hlt  (FNINIT: the RESET state has
 * a full stack and every exception unmasked)
 */
static const uint8_t x87_loop[] = {0xb9, 0,    0,    0,    0,    0xdb, 0xe3, 0xd9,
                                   0xe8, 0xd9, 0xe8, 0xd8, 0xc1, 0xd8, 0xc9, 0xd8,
                                   0xf1, 0xd9, 0xfa, 0x49, 0x75, 0xf5, 0xf4};

/* The same work natively (x87 long double on x86 hosts), in operations per second. */
static double __attribute__((noinline)) native_x87(uint32_t iterations)
{
    volatile long double one = 1.0L;
    long double a = one, b = one;
    gint64 t0 = g_get_monotonic_time();
    for (uint32_t i = 0; i < iterations; i++) {
        a += b;
        a *= b;
        a /= b;
        a = __builtin_sqrtl(a);
    }
    double secs = (double)(g_get_monotonic_time() - t0) / 1e6;
    volatile long double sink = a;
    (void)sink;
    return 4.0 * iterations / secs;
}

static double run(const char *name, const uint8_t *code, size_t len, uint32_t iterations)
{
    struct machine m;
    if (machine_init(&m, &(struct machine_config){.ram_mb = 16}) < 0)
        exit(1);
    struct shadowmmu *mmu = smmu_create(&m.mem);
    struct cpu *cpu = cpu_create(&m, mmu);
    struct translator *tr = translator_create(cpu, NULL);
    memcpy(m.ram + CODE, code, len);
    memcpy(m.ram + CODE + 1, &iterations, 4);
    cpu->cr[0] = 0x11;
    cpu_sync_control(cpu);
    cpu_set_segment(cpu, S_CS, 0x08, 0, 0xffffffffu, 0xc09b);
    for (int s = 0; s < S_COUNT; s++) {
        if (s != S_CS)
            cpu_set_segment(cpu, s, 0x10, 0, 0xffffffffu, 0xc093);
    }
    cpu->eip = CODE;
    cpu->regs[R_ESP] = 0x8000;

    gint64 t0 = g_get_monotonic_time();
    enum cpu_exit why = translator_run(tr, UINT64_MAX);
    double secs = (double)(g_get_monotonic_time() - t0) / 1e6;
    if (why != CPU_EXIT_HLT) {
        fprintf(stderr, "bench_cpu: %s stopped with exit %d at %08x\n", name, why, cpu->eip);
        exit(1);
    }
    double rate = (double)cpu->instructions / secs;
    printf("%-14s %12" G_GUINT64_FORMAT " instructions in %.2f s: %.1f M instructions/s\n", name,
           cpu->instructions, secs, rate / 1e6);
    translator_destroy(tr);
    cpu_destroy(cpu);
    smmu_destroy(mmu);
    machine_destroy(&m);
    return rate;
}

int main(int argc, char **argv)
{
    uint32_t iterations = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 40000000u;
    run("integer loop", integer_loop, sizeof(integer_loop), iterations);
    run("branchy loop", branchy_loop, sizeof(branchy_loop), iterations);
    double guest = run("x87 loop", x87_loop, sizeof(x87_loop), iterations / 4);
    double native = native_x87(iterations / 4);
    /* The guest figure counts all 6 instructions of an iteration; 4 of them are x87 ops. */
    printf("x87 ops: guest %.1f M/s, native %.1f M/s (native/guest %.1fx)\n", guest * 4 / 6 / 1e6,
           native / 1e6, native / (guest * 4 / 6));
    return 0;
}
