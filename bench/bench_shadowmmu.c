/*
 * Shadow MMU micro-benchmark: random 4-byte reads within a 16 MiB working
 * set mapped with 4 KiB pages, through the inline hit path, against the same
 * reads from a plain host array; and TLB fills per second (a CR3 load, then
 * a walk and a fill for each page touched).
 *
 *   bench_shadowmmu [reads]
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine/machine.h"
#include "shadowmmu/shadowmmu.h"

#define WORKSET  (16u << 20)
#define LIN_BASE 0x40000000u /* the working set's linear address */
#define PD       0x0000u     /* page directory at physical 0 */
#define PT0      0x1000u     /* 4 page tables for 16 MiB */
#define DATA     0x01000000u /* the working set's physical address */

static void put32(struct machine *m, uint32_t pa, uint32_t v)
{
    memcpy(m->ram + pa, &v, 4);
}

static double now(void)
{
    return (double)g_get_monotonic_time() / 1e6;
}

/* The same xorshift stream for both loops, so they touch the same addresses. */
static inline uint32_t next(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static uint32_t __attribute__((noinline))
sum_smmu(struct shadowmmu *mmu, uint64_t n, uint64_t *slow)
{
    struct smmu_tlb *tlb = smmu_tlb(mmu);
    uint32_t s = 12345, acc = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint32_t lin = LIN_BASE + (next(&s) & (WORKSET - 4) & ~3u);
        const uint8_t *p = smmu_fast_ptr(tlb, lin, 4, SMMU_READ, 0);
        uint32_t v;
        if (__builtin_expect(p != NULL, 1)) {
            memcpy(&v, p, 4);
        } else {
            struct smmu_fault f;
            if (smmu_read(mmu, lin, &v, 4, SMMU_READ, 0, &f) < 0)
                abort();
            (*slow)++;
        }
        acc += v;
    }
    return acc;
}

static uint32_t __attribute__((noinline)) sum_array(const uint8_t *base, uint64_t n)
{
    uint32_t s = 12345, acc = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint32_t v;
        memcpy(&v, base + (next(&s) & (WORKSET - 4) & ~3u), 4);
        acc += v;
    }
    return acc;
}

int main(int argc, char **argv)
{
    uint64_t reads = argc > 1 ? strtoull(argv[1], NULL, 0) : 200000000ull;
    struct machine m;
    if (machine_init(&m, &(struct machine_config){.ram_mb = 64}) < 0)
        return 1;
    struct shadowmmu *mmu = smmu_create(&m.mem);

    /* Map LIN_BASE..+16 MiB to DATA with 4 KiB pages. */
    for (uint32_t i = 0; i < WORKSET / 4096; i++) {
        uint32_t lin = LIN_BASE + i * 4096;
        put32(&m, PD + (lin >> 22) * 4, (PT0 + (i >> 10) * 4096) | 0x7);
        put32(&m, PT0 + i * 4, (DATA + i * 4096) | 0x7);
    }
    for (uint32_t i = 0; i < WORKSET; i += 4)
        put32(&m, DATA + i, i * 2654435761u);
    smmu_set_cr3(mmu, PD);
    smmu_set_mode(mmu, 0x80000001u, 0);

    uint64_t slow = 0;
    sum_smmu(mmu, reads / 10, &slow); /* warm the TLB */
    slow = 0;
    double t0 = now();
    uint32_t a = sum_smmu(mmu, reads, &slow);
    double t_smmu = now() - t0;
    t0 = now();
    uint32_t b = sum_array(m.ram + DATA, reads);
    double t_array = now() - t0;
    if (a != b) {
        fprintf(stderr, "bench_shadowmmu: sums differ (%08x vs %08x)\n", a, b);
        return 1;
    }

    /* Fills: reload CR3, then touch every page of the working set once. */
    const unsigned rounds = 200;
    uint64_t fills0 = smmu_get_stats(mmu)->fills;
    t0 = now();
    for (unsigned r = 0; r < rounds; r++) {
        smmu_set_cr3(mmu, PD);
        for (uint32_t i = 0; i < WORKSET / 4096; i++) {
            uint32_t v;
            struct smmu_fault f;
            if (smmu_read(mmu, LIN_BASE + i * 4096, &v, 4, SMMU_READ, 0, &f) < 0)
                abort();
        }
    }
    double t_fill = now() - t0;
    uint64_t fills = smmu_get_stats(mmu)->fills - fills0;

    printf("shadow TLB hits:   %.1f M reads/s (%" G_GUINT64_FORMAT " slow of %" G_GUINT64_FORMAT
           ")\n",
           reads / t_smmu / 1e6, slow, reads);
    printf("plain array:       %.1f M reads/s\n", reads / t_array / 1e6);
    printf("hit/array ratio:   %.2fx the time of a plain array read\n", t_smmu / t_array);
    printf("fills (walk+fill): %.1f M fills/s\n", fills / t_fill / 1e6);

    smmu_destroy(mmu);
    machine_destroy(&m);
    return 0;
}
