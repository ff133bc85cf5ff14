/*
 * The Linux guest benchmark of bench/run: a handful of small workloads, each
 * timed with CLOCK_MONOTONIC and printed as one line "name seconds". Built
 * with `gcc -m32 -march=pentium2 -static` for the guest (run by the
 * initramfs's /init under popek and QEMU) and for the host (the native
 * column). Each workload checks its own result; a wrong one prints
 * "name FAIL why" and makes the exit status 1.
 *
 *   bench [-s SCALE] [NAME...]     SCALE multiplies the work (default 1)
 *
 * The floating-point workload uses long double, which is the x87 on i386
 * and on x86-64 alike.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static unsigned scale = 1;
static int failed;
static char self[4096];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *name, const char *why)
{
    printf("%s FAIL %s\n", name, why);
    fflush(stdout);
    failed = 1;
    return -1;
}

static uint32_t lcg(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return *state;
}

/* Sieve of Eratosthenes below 2,000,000: 148933 primes. */
static int w_sieve(void)
{
    const uint32_t n = 2000000;
    uint8_t *flags = malloc(n);
    if (!flags)
        return fail("sieve", "out of memory");
    int bad = 0;
    for (unsigned round = 0; round < 4 * scale; round++) {
        memset(flags, 0, n);
        for (uint32_t i = 2; i * i < n; i++) {
            if (!flags[i]) {
                for (uint32_t j = i * i; j < n; j += i)
                    flags[j] = 1;
            }
        }
        uint32_t count = 0;
        for (uint32_t i = 2; i < n; i++)
            count += !flags[i];
        bad |= count != 148933;
    }
    free(flags);
    return bad ? fail("sieve", "wrong prime count") : 0;
}

/* CRC-32 (IEEE, reflected), one table lookup a byte, over 1 MiB. */
static uint32_t crc_table[256];

static uint32_t crc32_buf(const uint8_t *p, size_t len)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < len; i++)
        c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static int w_crc32(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
    if (crc32_buf((const uint8_t *)"123456789", 9) != 0xcbf43926u)
        return fail("crc32", "wrong check value");
    const size_t len = 1 << 20;
    uint8_t *buf = malloc(len);
    if (!buf)
        return fail("crc32", "out of memory");
    uint32_t state = 1;
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(lcg(&state) >> 24);
    /* Each round's CRC goes into the first bytes of the next round's data. */
    uint32_t c = 0;
    for (unsigned round = 0; round < 8 * scale; round++) {
        memcpy(buf, &c, sizeof(c));
        c = crc32_buf(buf, len);
    }
    /* The table against the definition, bit by bit, on the first 64 KiB. */
    uint32_t bitwise = 0xffffffffu;
    for (size_t i = 0; i < 65536; i++) {
        bitwise ^= buf[i];
        for (int k = 0; k < 8; k++)
            bitwise = (bitwise >> 1) ^ (0xedb88320u & (0u - (bitwise & 1)));
    }
    int bad = (bitwise ^ 0xffffffffu) != crc32_buf(buf, 65536);
    free(buf);
    return bad ? fail("crc32", "table and bitwise CRC disagree") : 0;
}

/* Quicksort (median of three, insertion sort below 16) of 300,000 numbers. */
static void quicksort(uint32_t *a, long lo, long hi)
{
    while (hi - lo > 16) {
        long mid = lo + (hi - lo) / 2;
        uint32_t x = a[lo], y = a[mid], z = a[hi];
        uint32_t pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        long i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i <= j) {
                uint32_t t = a[i];
                a[i++] = a[j];
                a[j--] = t;
            }
        }
        if (j - lo < hi - i) {
            quicksort(a, lo, j);
            lo = i;
        } else {
            quicksort(a, i, hi);
            hi = j;
        }
    }
    for (long i = lo + 1; i <= hi; i++) {
        uint32_t v = a[i];
        long j = i - 1;
        while (j >= lo && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

static int w_sort(void)
{
    const long n = 300000;
    uint32_t *a = malloc(n * sizeof(*a));
    if (!a)
        return fail("sort", "out of memory");
    int bad = 0;
    uint32_t state = 7;
    for (unsigned round = 0; round < 2 * scale; round++) {
        uint64_t sum = 0, after = 0;
        for (long i = 0; i < n; i++)
            sum += a[i] = lcg(&state);
        quicksort(a, 0, n - 1);
        for (long i = 0; i < n; i++) {
            after += a[i];
            bad |= i > 0 && a[i - 1] > a[i];
        }
        bad |= sum != after;
    }
    free(a);
    return bad ? fail("sort", "not sorted") : 0;
}

/* A bytecode interpreter: a stack machine with a switch dispatch, running
 * acc = 0; for (i = 0; i < n; i++) acc = (acc + i * i) ^ (i >> 3). */
enum { OP_PUSH, OP_LOAD, OP_STORE, OP_ADD, OP_MUL, OP_XOR, OP_SHR, OP_LT, OP_JZ, OP_JMP, OP_HALT };

static uint32_t run_vm(const int32_t *code, uint32_t *vars)
{
    uint32_t stack[16];
    int sp = 0, pc = 0;
    for (;;) {
        int32_t op = code[pc++];
        switch (op) {
        case OP_PUSH:
            stack[sp++] = (uint32_t)code[pc++];
            break;
        case OP_LOAD:
            stack[sp++] = vars[code[pc++]];
            break;
        case OP_STORE:
            vars[code[pc++]] = stack[--sp];
            break;
        case OP_ADD:
            sp--;
            stack[sp - 1] += stack[sp];
            break;
        case OP_MUL:
            sp--;
            stack[sp - 1] *= stack[sp];
            break;
        case OP_XOR:
            sp--;
            stack[sp - 1] ^= stack[sp];
            break;
        case OP_SHR:
            sp--;
            stack[sp - 1] >>= stack[sp];
            break;
        case OP_LT:
            sp--;
            stack[sp - 1] = stack[sp - 1] < stack[sp];
            break;
        case OP_JZ:
            if (!stack[--sp]) {
                pc = code[pc];
                break;
            }
            pc++;
            break;
        case OP_JMP:
            pc = code[pc];
            break;
        default:
            return vars[0];
        }
    }
}

static int w_interp(void)
{
    const int32_t n = 400000 * (int32_t)scale;
    /* vars: 0 acc, 1 i, 2 n */
    const int32_t code[] = {
        /* 0 */ OP_LOAD,   1,       OP_LOAD, 2,       OP_LT,   OP_JZ,  32,
        /* 7 */ OP_LOAD,   0,       OP_LOAD, 1,       OP_LOAD, 1,      OP_MUL,
        /* 14 */ OP_ADD,   OP_LOAD, 1,       OP_PUSH, 3,       OP_SHR, OP_XOR,
        /* 21 */ OP_STORE, 0,       OP_LOAD, 1,       OP_PUSH, 1,      OP_ADD,
        /* 28 */ OP_STORE, 1,       OP_JMP,  0,
        /* 32 */ OP_HALT,
    };
    uint32_t vars[3] = {0, 0, (uint32_t)n};
    uint32_t got = run_vm(code, vars);
    uint32_t want = 0;
    for (uint32_t i = 0; i < (uint32_t)n; i++)
        want = (want + i * i) ^ (i >> 3);
    return got != want ? fail("interp", "wrong result") : 0;
}

/* x87 floating point: the Basel and Leibniz series and a Mandelbrot set. */
static int w_x87(void)
{
    volatile long double sink;
    long double basel = 0, leibniz = 0;
    const long terms = 1000000L * (long)scale;
    for (long k = 1; k <= terms; k++) {
        long double kk = (long double)k;
        basel += 1.0L / (kk * kk);
        leibniz += ((k & 1) ? 4.0L : -4.0L) / (2.0L * kk - 1.0L);
    }
    long iterations = 0;
    for (int y = 0; y < 120; y++) {
        for (int x = 0; x < 160; x++) {
            long double cr = -2.2L + 3.0L * x / 160, ci = -1.2L + 2.4L * y / 120;
            long double zr = 0, zi = 0;
            int it = 0;
            while (it < 200 && zr * zr + zi * zi < 4.0L) {
                long double t = zr * zr - zi * zi + cr;
                zi = 2.0L * zr * zi + ci;
                zr = t;
                it++;
            }
            iterations += it;
        }
    }
    sink = basel + leibniz;
    (void)sink;
    const long double pi = 3.14159265358979323846264338327950288L;
    if (fabsl(basel - pi * pi / 6) > 2.0L / terms || fabsl(leibniz - pi) > 2.0L / terms)
        return fail("x87", "series do not converge");
    if (iterations < 850000 || iterations > 950000)
        return fail("x87", "Mandelbrot iteration count is off");
    return 0;
}

/* System calls: getpid, straight to the kernel. */
static int w_syscall(void)
{
    long pid = getpid(), bad = 0;
    for (unsigned i = 0; i < 100000 * scale; i++)
        bad |= syscall(SYS_getpid) != pid;
    return bad ? fail("syscall", "getpid changed") : 0;
}

/* Page faults: map 4 MiB, touch every page, unmap. */
static int w_pagefault(void)
{
    const size_t len = 4 << 20, page = (size_t)sysconf(_SC_PAGESIZE);
    int bad = 0;
    for (unsigned round = 0; round < 16 * scale; round++) {
        uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return fail("pagefault", "mmap failed");
        for (size_t o = 0; o < len; o += page)
            p[o] = (uint8_t)(o / page + round);
        for (size_t o = 0; o < len; o += page * 97)
            bad |= p[o] != (uint8_t)(o / page + round);
        munmap(p, len);
    }
    return bad ? fail("pagefault", "pages lost their contents") : 0;
}

/* fork, exec of this program (which exits at once), wait. */
static int w_forkexec(void)
{
    for (unsigned i = 0; i < 50 * scale; i++) {
        pid_t pid = fork();
        if (pid < 0)
            return fail("forkexec", "fork failed");
        if (pid == 0) {
            execl(self, self, "--exit", (char *)NULL);
            _exit(127);
        }
        int status;
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 42)
            return fail("forkexec", "the child did not run");
    }
    return 0;
}

/* memcpy bandwidth: 8 MiB copied back and forth. */
static int w_memcpy(void)
{
    const size_t len = 8 << 20;
    uint32_t *a = malloc(len), *b = malloc(len);
    if (!a || !b)
        return fail("memcpy", "out of memory");
    for (size_t i = 0; i < len / 4; i++)
        a[i] = (uint32_t)i * 2654435761u;
    for (unsigned round = 0; round < 8 * scale; round++) {
        memcpy(b, a, len);
        memcpy(a, b, len);
    }
    int bad = 0;
    for (size_t i = 0; i < len / 4; i += 1021)
        bad |= a[i] != (uint32_t)i * 2654435761u;
    free(a);
    free(b);
    return bad ? fail("memcpy", "copy is wrong") : 0;
}

static const struct {
    const char *name;
    int (*run)(void);
} workloads[] = {
    {"sieve", w_sieve},         {"crc32", w_crc32},       {"sort", w_sort},
    {"interp", w_interp},       {"x87", w_x87},           {"syscall", w_syscall},
    {"pagefault", w_pagefault}, {"forkexec", w_forkexec}, {"memcpy", w_memcpy},
};

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--exit"))
        return 42;
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n > 0)
        self[n] = 0;
    else
        snprintf(self, sizeof(self), "%s", argv[0]);
    int first = 1;
    if (argc > 2 && !strcmp(argv[1], "-s")) {
        scale = (unsigned)strtoul(argv[2], NULL, 0);
        if (!scale)
            scale = 1;
        first = 3;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t w = 0; w < sizeof(workloads) / sizeof(workloads[0]); w++) {
        int wanted = first >= argc;
        for (int i = first; i < argc; i++)
            wanted |= !strcmp(argv[i], workloads[w].name);
        if (!wanted)
            continue;
        double t0 = now();
        if (workloads[w].run() == 0)
            printf("%s %.6f\n", workloads[w].name, now() - t0);
    }
    return failed;
}
