/*
 * The loops of the raw-speed benchmark guests (bench/guest/int.asm,
 * branchy.asm, mem.asm) in C: the native column of bench/run, and the
 * reference for the guests' checksums.
 *
 *   loops int ITER | loops branchy ITER | loops mem SIZE PASSES
 *
 * Runs the loop and prints "checksum=0xXXXXXXXX instructions=N": the
 * checksum the guest must compute, and how many instructions the guest's
 * loop executes (from the loop structure, as the .asm files describe).
 * The empty asm statements keep the compiler from replacing a loop by its
 * closed form or its branches by conditional moves; they emit no code.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEEP(x) __asm__ volatile("" : "+r"(x))

/* bench/guest/int.asm: 5 instructions an iteration. */
static uint32_t loop_int(uint32_t iter, uint64_t *insns)
{
    uint32_t a = 0, b = 0, d = 0;
    for (uint32_t c = iter; c != 0; c--) {
        a += c;
        b ^= a;
        d++;
        KEEP(a);
        KEEP(b);
        KEEP(d);
    }
    *insns = 5ull * iter;
    return a + b + d;
}

/* bench/guest/branchy.asm: 19 instructions an iteration. */
static uint32_t loop_branchy(uint32_t iter, uint64_t *insns)
{
    uint32_t x = 2463534242u, s = 0, t = 0, p = 0, q = 0;
    for (uint32_t c = iter; c != 0; c--) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        if (x & 1) {
            s += x;
        } else {
            __asm__ volatile("");
            s -= x;
            p++;
        }
        if (!(x & 2)) {
            t ^= x;
        } else {
            __asm__ volatile("");
            t += x;
            q++;
        }
        KEEP(s);
        KEEP(t);
    }
    *insns = 19ull * iter;
    return x + s + t + q + p;
}

/* bench/guest/mem.asm: the sieve, PASSES rounds over SIZE bytes of flags. */
static uint32_t loop_mem(uint32_t size, uint32_t passes, uint64_t *insns)
{
    uint8_t *flags = malloc(size);
    if (!flags) {
        perror("loops: malloc");
        exit(1);
    }
    uint32_t total = 0;
    uint64_t outer = 0, small_primes = 0, stores = 0, primes = 0;
    for (uint32_t pass = 0; pass < passes; pass++) {
        uint32_t *words = (uint32_t *)(void *)flags;
        for (uint32_t w = 0; w < size / 4; w++) {
            words[w] = 0;
            KEEP(words);
        }
        outer = small_primes = stores = 0;
        for (uint32_t i = 2; (uint64_t)i * i < size; i++) {
            outer++;
            if (flags[i])
                continue;
            small_primes++;
            for (uint32_t j = i * i; j < size; j += i) {
                flags[j] = 1;
                stores++;
            }
        }
        uint32_t count = 0;
        for (uint32_t n = 2; n < size; n++)
            count += !flags[n];
        primes = count;
        total += count;
    }
    free(flags);
    uint64_t round = 8 + (uint64_t)size + 7 * outer + 2 * small_primes + 4 * stores +
                     5 * ((uint64_t)size - 2) + primes;
    *insns = round * passes;
    return total;
}

static uint32_t arg(int argc, char **argv, int i)
{
    if (i >= argc) {
        fprintf(stderr, "usage: loops int ITER | loops branchy ITER | loops mem SIZE PASSES\n");
        exit(2);
    }
    return (uint32_t)strtoul(argv[i], NULL, 0);
}

int main(int argc, char **argv)
{
    uint64_t insns = 0;
    uint32_t sum;
    const char *what = argc > 1 ? argv[1] : "";
    if (!strcmp(what, "int")) {
        sum = loop_int(arg(argc, argv, 2), &insns);
    } else if (!strcmp(what, "branchy")) {
        sum = loop_branchy(arg(argc, argv, 2), &insns);
    } else if (!strcmp(what, "mem")) {
        uint32_t size = arg(argc, argv, 2), passes = arg(argc, argv, 3);
        if (size < 16 || size % 4) {
            fprintf(stderr, "loops: SIZE must be a multiple of 4, at least 16\n");
            return 2;
        }
        sum = loop_mem(size, passes, &insns);
    } else {
        arg(argc, argv, argc); /* prints the usage */
        return 2;
    }
    printf("checksum=0x%08" PRIx32 " instructions=%" PRIu64 "\n", sum, insns);
    return 0;
}
