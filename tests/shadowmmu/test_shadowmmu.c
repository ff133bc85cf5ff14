/*
 * The shadow MMU against the SDM (Vol. 3A ch. 4): page tables are built in
 * guest RAM and every access kind, privilege and paging mode is checked for
 * the translation, the #PF error code, A/D write-back and TLB flushing.
 */
#include <glib.h>
#include <string.h>

#include "machine/machine.h"
#include "shadowmmu/shadowmmu.h"

#define P  0x001u
#define RW 0x002u
#define US 0x004u
#define A  0x020u
#define D  0x040u
#define PS 0x080u
#define G  0x100u

#define CR0_PE  0x00000001u
#define CR0_WP  0x00010000u
#define CR0_PG  0x80000000u
#define CR4_PSE 0x10u
#define CR4_PAE 0x20u
#define CR4_PGE 0x80u

#define PD     0x100000u /* 32-bit page directory */
#define PT     0x101000u /* its first page table */
#define PDPT   0x102000u
#define PAE_PD 0x103000u
#define PAE_PT 0x104000u

struct fixture {
    struct machine m;
    struct shadowmmu *mmu;
};

static void setup(struct fixture *f, gconstpointer data)
{
    g_assert_cmpint(machine_init(&f->m, &(struct machine_config){.ram_mb = 16}), ==, 0);
    f->mmu = smmu_create(&f->m.mem);
}

static void teardown(struct fixture *f, gconstpointer data)
{
    smmu_destroy(f->mmu);
    machine_destroy(&f->m);
}

static void put32(struct fixture *f, uint32_t pa, uint32_t v)
{
    memcpy(f->m.ram + pa, &v, 4);
}

static uint32_t get32(struct fixture *f, uint32_t pa)
{
    uint32_t v;
    memcpy(&v, f->m.ram + pa, 4);
    return v;
}

static void put64(struct fixture *f, uint32_t pa, uint64_t v)
{
    memcpy(f->m.ram + pa, &v, 8);
}

/* 32-bit paging: PDE 0 -> PT; map linear page `lin` to `phys` with flags. */
static void map4k(struct fixture *f, uint32_t lin, uint32_t phys, uint32_t pde_flags,
                  uint32_t pte_flags)
{
    put32(f, PD + (lin >> 22) * 4, PT | pde_flags);
    put32(f, PT + ((lin >> 12) & 0x3ff) * 4, phys | pte_flags);
}

static void paging32(struct fixture *f, uint32_t cr0_extra, uint32_t cr4)
{
    g_assert_cmpint(smmu_set_cr3(f->mmu, PD), ==, 0);
    g_assert_cmpint(smmu_set_mode(f->mmu, CR0_PE | CR0_PG | cr0_extra, cr4), ==, 0);
}

static uint32_t read32(struct fixture *f, uint32_t lin, int user, struct smmu_fault *fault, int *rc)
{
    uint32_t v = 0;
    *rc = smmu_read(f->mmu, lin, &v, 4, SMMU_READ, user, fault);
    return v;
}

static void test_paging_off_identity(struct fixture *f, gconstpointer data)
{
    struct smmu_fault fault;
    uint32_t v = 0x12345678;
    g_assert_cmpint(smmu_write(f->mmu, 0x1234, &v, 4, 0, &fault), ==, 0);
    g_assert_cmphex(get32(f, 0x1234), ==, 0x12345678);
    int rc;
    g_assert_cmphex(read32(f, 0x1234, 1, &fault, &rc), ==, 0x12345678);
    uint8_t *p = smmu_fast_ptr(smmu_tlb(f->mmu), 0x1234, 4, SMMU_READ, 1);
    g_assert_true(p == f->m.ram + 0x1234);
    /* Past the end of the page the fast path declines. */
    g_assert_null(smmu_fast_ptr(smmu_tlb(f->mmu), 0x1ffe, 4, SMMU_READ, 1));
    /* Beyond RAM: all ones. */
    g_assert_cmphex(read32(f, 0x2000000, 0, &fault, &rc), ==, 0xffffffff);
    g_assert_cmpint(rc, ==, 0);
}

static void test_a20_wrap(struct fixture *f, gconstpointer data)
{
    struct smmu_fault fault;
    int rc;
    put32(f, 0x10, 0xaaaaaaaa);
    put32(f, 0x100010, 0xbbbbbbbb);
    g_assert_cmphex(read32(f, 0x100010, 0, &fault, &rc), ==, 0xbbbbbbbb);
    smmu_set_a20(f->mmu, false);
    g_assert_cmphex(read32(f, 0x100010, 0, &fault, &rc), ==, 0xaaaaaaaa);
    g_assert_cmphex(read32(f, 0x300010, 0, &fault, &rc), ==, get32(f, 0x200010));
    uint32_t v = 0xcccccccc;
    smmu_write(f->mmu, 0x1ffff0, &v, 4, 0, &fault);
    g_assert_cmphex(get32(f, 0x0ffff0), ==, 0xcccccccc);
    smmu_set_a20(f->mmu, true);
    g_assert_cmphex(read32(f, 0x100010, 0, &fault, &rc), ==, 0xbbbbbbbb);
    g_assert_cmpuint(smmu_get_stats(f->mmu)->flushes[SMMU_FLUSH_A20], ==, 2);
}

static void test_map_4k(struct fixture *f, gconstpointer data)
{
    struct smmu_fault fault;
    int rc;
    map4k(f, 0x5000, 0x200000, P | RW | US, P | RW | US);
    put32(f, 0x200010, 0x600dcafe);
    paging32(f, 0, 0);
    g_assert_cmphex(read32(f, 0x5010, 1, &fault, &rc), ==, 0x600dcafe);
    g_assert_cmpint(rc, ==, 0);
    uint8_t *p = smmu_fast_ptr(smmu_tlb(f->mmu), 0x5010, 4, SMMU_READ, 1);
    g_assert_true(p == f->m.ram + 0x200010);
    uint64_t pa;
    g_assert_cmpint(smmu_translate(f->mmu, 0x5abc, SMMU_FETCH, 1, false, &pa, &fault), ==, 0);
    g_assert_cmphex(pa, ==, 0x200abc);
}

static void test_map_4m(struct fixture *f, gconstpointer data)
{
    struct smmu_fault fault;
    int rc;
    put32(f, PD + 1 * 4, 0x800000 | P | RW | PS);
    put32(f, 0x800123, 0x4d4d4d4d);
    paging32(f, 0, CR4_PSE);
    g_assert_cmphex(read32(f, 0x400123, 0, &fault, &rc), ==, 0x4d4d4d4d);
    /* Without CR4.PSE the same PDE points at a page table instead. */
    put32(f, 0x800000 + 0x123 * 0, 0); /* PTE 0 of that "table": not present */
    g_assert_cmpint(smmu_set_mode(f->mmu, CR0_PE | CR0_PG, 0), ==, 0);
    read32(f, 0x400123, 0, &fault, &rc);
    g_assert_cmpint(rc, ==, -1);
    g_assert_cmphex(fault.error_code, ==, 0);
}

static void pae_setup(struct fixture *f)
{
    put64(f, PDPT + 0, PAE_PD | P);
    put64(f, PAE_PD + 0, PAE_PT | P | RW | US);
    put64(f, PAE_PT + 3 * 8, 0x300000 | P | RW | US);
    put64(f, PAE_PD + 1 * 8, 0x600000 | P | RW | US | PS); /* 2 MiB at linear 2 MiB */
    g_assert_cmpint(smmu_set_cr3(f->mmu, PDPT), ==, 0);
    g_assert_cmpint(smmu_set_mode(f->mmu, CR0_PE | CR0_PG, CR4_PAE), ==, 0);
}

static void test_pae(struct fixture *f, gconstpointer data)
{
    struct smmu_fault fault;
    int rc;
    put32(f, 0x300044, 0x11112222);
    put32(f, 0x600000 + 0x12344, 0x33334444);
    pae_setup(f);
    g_assert_cmphex(read32(f, 0x3044, 1, &fault, &rc), ==, 0x11112222);
    g_assert_cmphex(read32(f, 0x200000 + 0x12344, 1, &fault, &rc), ==, 0x33334444);
    /* Linear 1 GiB uses PDPTE 1, which is not present. */
    read32(f, 0x40000000, 0, &fault, &rc);
    g_assert_cmpint(rc, ==, -1);
    g_assert_cmphex(fault.linear, ==, 0x40000000);
    g_assert_cmphex(fault.error_code, ==, 0);
}

static void test_pae_reserved(struct fixture *f, gconstpointer data)
{
    struct smmu_fault fault;
    int rc;
    pae_setup(f);
    /* A PTE with physical address bit 40 set: RSVD. */
    put64(f, PAE_PT + 4 * 8, (1ull << 40) | 0x300000 | P | RW);
    read32(f, 0x4000, 0, &fault, &rc);
    g_assert_cmpint(rc, ==, -1);
    g_assert_cmphex(fault.error_code, ==, SMMU_PF_P | SMMU_PF_RSVD);
    /* XD (bit 63) is reserved without EFER.NXE. */
    put64(f, PAE_PT + 5 * 8, (1ull << 63) | 0x300000 | P | RW);
    uint32_t v = 0;
    g_assert_cmpint(smmu_write(f->mmu, 0x5000, &v, 4, 1, &fault), ==, -1);
    g_assert_cmphex(fault.error_code, ==, SMMU_PF_P | SMMU_PF_RSVD | SMMU_PF_W | SMMU_PF_U);
    /* A 2 MiB PDE with bit 13 set. */
    put64(f, PAE_PD + 2 * 8, 0x800000 | (1u << 13) | P | RW | PS);
    read32(f, 0x400000, 0, &fault, &rc);
    g_assert_cmphex(fault.error_code, ==, SMMU_PF_P | SMMU_PF_RSVD);
    /* A PDPTE with reserved bits refuses the CR3 load, which keeps the old value. */
    put64(f, 0x105000, PAE_PD | P | (1u << 5));
    g_assert_cmpint(smmu_set_cr3(f->mmu, 0x105000), ==, -1);
    g_assert_cmphex(read32(f, 0x3000, 0, &fault, &rc), ==, get32(f, 0x300000));
}

static void test_pse_reserved(struct fixture *f, gconstpointer data)
{
    struct smmu_fault fault;
    int rc;
    put32(f, PD + 1 * 4, 0x800000 | (1u << 13) | P | RW | PS);
    paging32(f, 0, CR4_PSE);
    read32(f, 0x400000, 1, &fault, &rc);
    g_assert_cmpint(rc, ==, -1);
    g_assert_cmphex(fault.error_code, ==, SMMU_PF_P | SMMU_PF_RSVD | SMMU_PF_U);
}

/* Every combination of U/S and R/W at both levels, CPL and CR0.WP. */
static void test_permission_matrix(struct fixture *f, gconstpointer data)
{
    for (unsigned combo = 0; combo < 64; combo++) {
        bool pde_us = combo & 1, pde_rw = combo & 2, pte_us = combo & 4, pte_rw = combo & 8;
        int user = (combo >> 4) & 1;
        bool wp = combo & 32;
        uint32_t lin = 0x10000 + combo * 0x1000;
        map4k(f, lin, 0x200000 + combo * 0x1000, P | (pde_us ? US : 0) | (pde_rw ? RW : 0),
              P | (pte_us ? US : 0) | (pte_rw ? RW : 0));
        paging32(f, wp ? CR0_WP : 0, 0);
        smmu_flush_all(f->mmu);

        /* SDM Vol. 3A §4.6: user needs U/S at both levels, and R/W at both to
         * write; a supervisor reads anything and writes read-only pages only
         * with CR0.WP clear. */
        bool user_ok = pde_us && pte_us, rw_ok = pde_rw && pte_rw;
        bool read_ok = !user || user_ok;
        bool write_ok = user ? (user_ok && rw_ok) : (rw_ok || !wp);

        struct smmu_fault fault = {0};
        uint32_t v = 0;
        int rc = smmu_read(f->mmu, lin + 8, &v, 4, SMMU_READ, user, &fault);
        g_assert_cmpint(rc, ==, read_ok ? 0 : -1);
        if (!read_ok) {
            g_assert_cmphex(fault.linear, ==, lin + 8);
            g_assert_cmphex(fault.error_code, ==, SMMU_PF_P | SMMU_PF_U);
        }
        rc = smmu_write(f->mmu, lin + 8, &v, 4, user, &fault);
        g_assert_cmpint(rc, ==, write_ok ? 0 : -1);
        if (!write_ok)
            g_assert_cmphex(fault.error_code, ==, SMMU_PF_P | SMMU_PF_W | (user ? SMMU_PF_U : 0));
        /* The fast path must never allow more than the walk did. */
        if (!write_ok)
            g_assert_null(smmu_fast_ptr(smmu_tlb(f->mmu), lin + 8, 4, SMMU_WRITE, user));
    }
}

static void test_not_present(struct fixture *f, gconstpointer data)
{
    struct smmu_fault fault;
    int rc;
    map4k(f, 0x5000, 0x200000, P | RW | US, P | RW | US);
    paging32(f, 0, 0);
    /* PDE 1 absent: directory level. */
    read32(f, 0x400004, 1, &fault, &rc);
    g_assert_cmpint(rc, ==, -1);
    g_assert_cmphex(fault.linear, ==, 0x400004);
    g_assert_cmphex(fault.error_code, ==, SMMU_PF_U);
    /* PTE 6 absent: table level, a supervisor write. */
    uint32_t v = 1;
    g_assert_cmpint(smmu_write(f->mmu, 0x6008, &v, 4, 0, &fault), ==, -1);
    g_assert_cmphex(fault.linear, ==, 0x6008);
    g_assert_cmphex(fault.error_code, ==, SMMU_PF_W);
    g_assert_cmpuint(smmu_get_stats(f->mmu)->faults, ==, 2);
}

static void test_accessed_dirty(struct fixture *f, gconstpointer data)
{
    struct smmu_fault fault;
    int rc;
    map4k(f, 0x5000, 0x200000, P | RW | US, P | RW | US);
    map4k(f, 0x6000, 0x201000, P | RW | US, P | US); /* read-only for users */
    paging32(f, 0, 0);
    read32(f, 0x5000, 1, &fault, &rc);
    g_assert_cmphex(get32(f, PD) & (A | D), ==, A);
    g_assert_cmphex(get32(f, PT + 5 * 4) & (A | D), ==, A);
    /* The first write sets D (in the PTE only); the fast path then takes writes. */
    g_assert_null(smmu_fast_ptr(smmu_tlb(f->mmu), 0x5000, 4, SMMU_WRITE, 1));
    uint32_t v = 7;
    g_assert_cmpint(smmu_write(f->mmu, 0x5000, &v, 4, 1, &fault), ==, 0);
    g_assert_cmphex(get32(f, PT + 5 * 4) & (A | D), ==, A | D);
    g_assert_cmphex(get32(f, PD) & D, ==, 0);
    g_assert_nonnull(smmu_fast_ptr(smmu_tlb(f->mmu), 0x5000, 4, SMMU_WRITE, 1));
    /* A faulting access sets nothing. */
    g_assert_cmpint(smmu_write(f->mmu, 0x6000, &v, 4, 1, &fault), ==, -1);
    g_assert_cmphex(get32(f, PT + 6 * 4) & (A | D), ==, 0);
    /* 4 MiB pages: A and D in the PDE. */
    put32(f, PD + 2 * 4, 0xc00000 | P | RW | PS);
    g_assert_cmpint(smmu_set_mode(f->mmu, CR0_PE | CR0_PG, CR4_PSE), ==, 0);
    g_assert_cmpint(smmu_write(f->mmu, 0x800000, &v, 4, 0, &fault), ==, 0);
    g_assert_cmphex(get32(f, PD + 2 * 4) & (A | D), ==, A | D);
}

static void test_global_pages(struct fixture *f, gconstpointer data)
{
    struct smmu_fault fault;
    int rc;
    map4k(f, 0x5000, 0x200000, P | RW, P | RW | G);
    map4k(f, 0x6000, 0x201000, P | RW, P | RW);
    paging32(f, 0, CR4_PGE);
    read32(f, 0x5000, 0, &fault, &rc);
    read32(f, 0x6000, 0, &fault, &rc);
    struct smmu_tlb *tlb = smmu_tlb(f->mmu);
    g_assert_cmpint(smmu_set_cr3(f->mmu, PD), ==, 0);
    g_assert_true(smmu_fast_ptr(tlb, 0x5000, 4, SMMU_READ, 0) == f->m.ram + 0x200000);
    g_assert_null(smmu_fast_ptr(tlb, 0x6000, 4, SMMU_READ, 0));
    /* Toggling CR4.PGE flushes global entries too. */
    g_assert_cmpint(smmu_set_mode(f->mmu, CR0_PE | CR0_PG, 0), ==, 0);
    g_assert_null(smmu_fast_ptr(tlb, 0x5000, 4, SMMU_READ, 0));
    /* Without CR4.PGE the G bit means nothing. */
    read32(f, 0x5000, 0, &fault, &rc);
    smmu_set_cr3(f->mmu, PD);
    g_assert_null(smmu_fast_ptr(tlb, 0x5000, 4, SMMU_READ, 0));
}

static void test_invlpg(struct fixture *f, gconstpointer data)
{
    struct smmu_fault fault;
    int rc;
    map4k(f, 0x5000, 0x200000, P | RW, P | RW | G);
    put32(f, 0x200000, 1);
    put32(f, 0x300000, 2);
    paging32(f, 0, CR4_PGE);
    g_assert_cmpuint(read32(f, 0x5000, 0, &fault, &rc), ==, 1);
    put32(f, PT + 5 * 4, 0x300000 | P | RW);
    /* The TLB keeps the stale translation until INVLPG, as hardware may. */
    g_assert_true(smmu_fast_ptr(smmu_tlb(f->mmu), 0x5000, 4, SMMU_READ, 0) == f->m.ram + 0x200000);
    smmu_invlpg(f->mmu, 0x5abc);
    g_assert_null(smmu_fast_ptr(smmu_tlb(f->mmu), 0x5000, 4, SMMU_READ, 0));
    g_assert_cmpuint(read32(f, 0x5000, 0, &fault, &rc), ==, 2);

    /* A 4 MiB page: INVLPG anywhere in it drops every slot it filled. */
    put32(f, PD + 1 * 4, 0x800000 | P | RW | PS);
    g_assert_cmpint(smmu_set_mode(f->mmu, CR0_PE | CR0_PG, CR4_PSE), ==, 0);
    read32(f, 0x400000, 0, &fault, &rc);
    read32(f, 0x7ff000, 0, &fault, &rc);
    g_assert_nonnull(smmu_fast_ptr(smmu_tlb(f->mmu), 0x7ff000, 4, SMMU_READ, 0));
    smmu_invlpg(f->mmu, 0x401000);
    g_assert_null(smmu_fast_ptr(smmu_tlb(f->mmu), 0x400000, 4, SMMU_READ, 0));
    g_assert_null(smmu_fast_ptr(smmu_tlb(f->mmu), 0x7ff000, 4, SMMU_READ, 0));
}

static void test_cross_page_write(struct fixture *f, gconstpointer data)
{
    struct smmu_fault fault;
    map4k(f, 0x5000, 0x200000, P | RW | US, P | RW | US);
    map4k(f, 0x6000, 0x201000, P | RW | US, P | US);
    put32(f, 0x200ffc, 0x11111111);
    paging32(f, 0, 0);
    uint32_t v = 0xdeadbeef;
    g_assert_cmpint(smmu_write(f->mmu, 0x5ffe, &v, 4, 1, &fault), ==, -1);
    g_assert_cmphex(fault.linear, ==, 0x6000);
    g_assert_cmphex(fault.error_code, ==, SMMU_PF_P | SMMU_PF_W | SMMU_PF_U);
    g_assert_cmphex(get32(f, 0x200ffc), ==, 0x11111111); /* first page untouched */
    /* As a supervisor without WP it goes through, split over two pages. */
    g_assert_cmpint(smmu_write(f->mmu, 0x5ffe, &v, 4, 0, &fault), ==, 0);
    g_assert_cmphex(get32(f, 0x200ffc), ==, 0xbeef1111);
    g_assert_cmphex(get32(f, 0x201000) & 0xffff, ==, 0xdead);
    uint32_t r = 0;
    g_assert_cmpint(smmu_read(f->mmu, 0x5ffe, &r, 4, SMMU_READ, 1, &fault), ==, 0);
    g_assert_cmphex(r, ==, 0xdeadbeef);
}

static uint32_t dev_read(void *opaque, uint64_t off, unsigned size)
{
    uint32_t *reg = opaque;
    return off < 8 ? reg[off / 4] : 0;
}

static void dev_write(void *opaque, uint64_t off, uint32_t value, unsigned size)
{
    uint32_t *reg = opaque;
    if (off < 8 && size == 4)
        reg[off / 4] = value;
}

static const struct mmio_ops test_dev_ops = {dev_read, dev_write, MEM_SIZE_4};

static void test_rom_and_mmio(struct fixture *f, gconstpointer data)
{
    static uint8_t rom[4096];
    memset(rom, 0x90, sizeof(rom));
    memmap_add_rom(&f->m.mem, "rom", 0x2000000, sizeof(rom), rom, 0);
    uint32_t reg[2] = {0};
    memmap_add_mmio(&f->m.mem, "dev", 0xe0000000, 0x1000, &test_dev_ops, reg, 0);
    map4k(f, 0x5000, 0x2000000, P | RW, P | RW);
    map4k(f, 0x6000, 0xe0000000, P | RW, P | RW);
    paging32(f, 0, 0);
    struct smmu_fault fault;
    uint32_t v = 0x12345678;
    g_assert_cmpint(smmu_write(f->mmu, 0x5000, &v, 4, 0, &fault), ==, 0);
    g_assert_cmphex(rom[0], ==, 0x90);
    g_assert_null(smmu_fast_ptr(smmu_tlb(f->mmu), 0x5000, 4, SMMU_WRITE, 0));
    g_assert_nonnull(smmu_fast_ptr(smmu_tlb(f->mmu), 0x5000, 4, SMMU_READ, 0));
    g_assert_cmpint(smmu_write(f->mmu, 0x6004, &v, 4, 0, &fault), ==, 0);
    g_assert_cmphex(reg[1], ==, 0x12345678);
    g_assert_null(smmu_fast_ptr(smmu_tlb(f->mmu), 0x6004, 4, SMMU_READ, 0));
    uint32_t r = 0;
    g_assert_cmpint(smmu_read(f->mmu, 0x6004, &r, 4, SMMU_READ, 0, &fault), ==, 0);
    g_assert_cmphex(r, ==, 0x12345678);
}

struct watch_log {
    unsigned calls;
    uint64_t paddr;
    unsigned size;
};

static void log_watch(void *opaque, uint64_t paddr, unsigned size)
{
    struct watch_log *l = opaque;
    l->calls++;
    l->paddr = paddr;
    l->size = size;
}

static void test_write_watch(struct fixture *f, gconstpointer data)
{
    struct watch_log log = {0};
    struct smmu_fault fault;
    smmu_set_watch_callback(f->mmu, log_watch, &log);
    map4k(f, 0x5000, 0x200000, P | RW, P | RW | D);
    paging32(f, 0, 0);
    uint32_t v = 1;
    g_assert_cmpint(smmu_write(f->mmu, 0x5010, &v, 4, 0, &fault), ==, 0);
    g_assert_nonnull(smmu_fast_ptr(smmu_tlb(f->mmu), 0x5010, 4, SMMU_WRITE, 0));
    /* Watching revokes direct writes already in the TLB. */
    smmu_watch_code(f->mmu, 0x200000, 0x1000); /* every byte code */
    g_assert_true(smmu_page_watched(f->mmu, 0x200abc));
    g_assert_null(smmu_fast_ptr(smmu_tlb(f->mmu), 0x5010, 4, SMMU_WRITE, 0));
    v = 0xabcd;
    g_assert_cmpint(smmu_write(f->mmu, 0x5020, &v, 2, 0, &fault), ==, 0);
    g_assert_cmpuint(log.calls, ==, 1);
    g_assert_cmphex(log.paddr, ==, 0x200020);
    g_assert_cmpuint(log.size, ==, 2);
    g_assert_cmphex(get32(f, 0x200020) & 0xffff, ==, 0xabcd); /* the write happened */
    g_assert_null(smmu_fast_ptr(smmu_tlb(f->mmu), 0x5020, 2, SMMU_WRITE, 0));
    /* More writes to the watched page: reported each, but no walk and no refill. */
    uint64_t walks = smmu_get_stats(f->mmu)->walks, fills = smmu_get_stats(f->mmu)->fills;
    for (unsigned i = 0; i < 3; i++)
        g_assert_cmpint(smmu_write(f->mmu, 0x5030 + i, &v, 1, 0, &fault), ==, 0);
    g_assert_cmpuint(log.calls, ==, 4);
    g_assert_cmphex(log.paddr, ==, 0x200032);
    g_assert_cmpuint(smmu_get_stats(f->mmu)->walks, ==, walks);
    g_assert_cmpuint(smmu_get_stats(f->mmu)->fills, ==, fills);
    log.calls = 1;
    /* A device writing into the page by DMA is reported too. */
    uint8_t buf[16] = {0};
    memmap_write_buf(&f->m.mem, 0x1ffff8, buf, sizeof(buf));
    g_assert_cmpuint(log.calls, ==, 2);
    g_assert_cmphex(log.paddr, ==, 0x200000);
    g_assert_cmpuint(log.size, ==, 8);
    g_assert_cmpuint(smmu_get_stats(f->mmu)->watch_code_writes, ==, 5);
    g_assert_cmpuint(smmu_get_stats(f->mmu)->watch_data_writes, ==, 0);
    /* Unwatched: writes go direct again. */
    smmu_unwatch_page(f->mmu, 0x200000);
    g_assert_cmpint(smmu_write(f->mmu, 0x5020, &v, 2, 0, &fault), ==, 0);
    g_assert_cmpuint(log.calls, ==, 2);
    g_assert_nonnull(smmu_fast_ptr(smmu_tlb(f->mmu), 0x5020, 2, SMMU_WRITE, 0));
}

/* A trapped linear page: data accesses take the slow path, fetches do not; others are untouched. */
static void test_data_traps(struct fixture *f, gconstpointer data)
{
    struct smmu_fault fault;
    struct smmu_tlb *tlb = smmu_tlb(f->mmu);
    uint32_t v = 0x11223344, r = 0;
    map4k(f, 0x5000, 0x200000, P | RW | US, P | RW | US | D);
    map4k(f, 0x6000, 0x201000, P | RW | US, P | RW | US | D);
    paging32(f, 0, 0);
    for (int user = 0; user < 2; user++) {
        g_assert_cmpint(smmu_write(f->mmu, 0x5010, &v, 4, user, &fault), ==, 0);
        g_assert_cmpint(smmu_read(f->mmu, 0x5010, &r, 4, SMMU_FETCH, user, &fault), ==, 0);
        g_assert_cmpint(smmu_write(f->mmu, 0x6010, &v, 4, user, &fault), ==, 0);
        g_assert_nonnull(smmu_fast_ptr(tlb, 0x5010, 4, SMMU_WRITE, user));
    }
    /* Trapping revokes direct data access already in the TLB, for both privileges. */
    const uint32_t pages[] = {0x5abc, 0x5000}; /* one page named twice */
    smmu_set_traps(f->mmu, pages, 2);
    g_assert_true(smmu_page_trapped(f->mmu, 0x5fff));
    g_assert_false(smmu_page_trapped(f->mmu, 0x6000));
    for (int user = 0; user < 2; user++) {
        g_assert_null(smmu_fast_ptr(tlb, 0x5010, 4, SMMU_WRITE, user));
        g_assert_null(smmu_fast_ptr(tlb, 0x5010, 4, SMMU_READ, user));
        g_assert_nonnull(smmu_fast_ptr(tlb, 0x5010, 4, SMMU_FETCH, user));
        g_assert_nonnull(smmu_fast_ptr(tlb, 0x6010, 4, SMMU_WRITE, user));
    }
    /* The slow paths still work and do not give the direct access back. */
    g_assert_cmpint(smmu_read(f->mmu, 0x5010, &r, 4, SMMU_READ, 0, &fault), ==, 0);
    g_assert_cmphex(r, ==, 0x11223344);
    v = 0x55667788;
    g_assert_cmpint(smmu_write(f->mmu, 0x5010, &v, 4, 0, &fault), ==, 0);
    g_assert_cmphex(get32(f, 0x200010), ==, 0x55667788);
    g_assert_null(smmu_fast_ptr(tlb, 0x5010, 4, SMMU_READ, 0));
    g_assert_null(smmu_fast_ptr(tlb, 0x5010, 4, SMMU_WRITE, 0));
    /* A flush and refill keeps the trap. */
    smmu_flush_all(f->mmu);
    g_assert_cmpint(smmu_read(f->mmu, 0x5010, &r, 4, SMMU_FETCH, 0, &fault), ==, 0);
    g_assert_null(smmu_fast_ptr(tlb, 0x5010, 4, SMMU_READ, 0));
    g_assert_nonnull(smmu_fast_ptr(tlb, 0x5010, 4, SMMU_FETCH, 0));
    /* An empty set: the next fill gives direct access again. */
    smmu_set_traps(f->mmu, NULL, 0);
    g_assert_false(smmu_page_trapped(f->mmu, 0x5000));
    g_assert_cmpint(smmu_write(f->mmu, 0x5010, &v, 4, 0, &fault), ==, 0);
    g_assert_nonnull(smmu_fast_ptr(tlb, 0x5010, 4, SMMU_READ, 0));
    g_assert_nonnull(smmu_fast_ptr(tlb, 0x5010, 4, SMMU_WRITE, 0));
}

/*
 * A page with code bytes and data bytes: only writes that touch a code byte
 * are reported; the others are done and counted, with no walk and no TLB
 * refill, and the slot keeps sending them the same way.
 */
static void test_code_map(struct fixture *f, gconstpointer data)
{
    struct watch_log log = {0};
    struct smmu_fault fault;
    const struct smmu_stats *st = smmu_get_stats(f->mmu);
    smmu_set_watch_callback(f->mmu, log_watch, &log);
    map4k(f, 0x5000, 0x200000, P | RW, P | RW | D);
    map4k(f, 0x6000, 0x201000, P | RW, P | RW | D);
    paging32(f, 0, 0);
    uint32_t v = 0x11223344;
    g_assert_cmpint(smmu_write(f->mmu, 0x5010, &v, 4, 0, &fault), ==, 0);
    g_assert_nonnull(smmu_fast_ptr(smmu_tlb(f->mmu), 0x5010, 4, SMMU_WRITE, 0));
    smmu_watch_code(f->mmu, 0x200100, 16); /* bytes 0x100-0x10f are code */
    smmu_watch_code(f->mmu, 0x201000, 1);
    g_assert_true(smmu_page_watched(f->mmu, 0x200000));
    g_assert_true(smmu_is_code(f->mmu, 0x2000fd, 4));
    g_assert_false(smmu_is_code(f->mmu, 0x2000fc, 4));
    g_assert_true(smmu_is_code(f->mmu, 0x20010f, 1));
    g_assert_false(smmu_is_code(f->mmu, 0x200110, 8));
    g_assert_false(smmu_is_code(f->mmu, 0x200000, 0x100));
    g_assert_true(smmu_is_code(f->mmu, 0x200000, 0x1000));
    g_assert_null(smmu_fast_ptr(smmu_tlb(f->mmu), 0x5010, 4, SMMU_WRITE, 0));
    uint64_t walks = st->walks, fills = smmu_get_stats(f->mmu)->fills;

    /* Data bytes: before, after and far from the code; not reported, no walk, no fill. */
    static const uint32_t data_at[] = {0x5010, 0x50fc, 0x5110, 0x5ffc};
    for (unsigned i = 0; i < G_N_ELEMENTS(data_at); i++) {
        v = 0xa0b0c0d0 + i;
        g_assert_cmpint(smmu_write(f->mmu, data_at[i], &v, 4, 0, &fault), ==, 0);
        g_assert_cmphex(get32(f, 0x200000 + (data_at[i] & 0xfff)), ==, v);
    }
    g_assert_cmpuint(log.calls, ==, 0);
    g_assert_cmpuint(smmu_get_stats(f->mmu)->watch_data_writes, ==, 4);
    g_assert_cmpuint(smmu_get_stats(f->mmu)->watch_code_writes, ==, 0);
    g_assert_cmpuint(smmu_get_stats(f->mmu)->walks, ==, walks);
    g_assert_cmpuint(smmu_get_stats(f->mmu)->fills, ==, fills);
    /* The inline form for the CPU: a pointer for data bytes only, within the page. */
    struct smmu_tlb *tlb = smmu_tlb(f->mmu);
    g_assert_true(smmu_data_ptr(tlb, 0x50fc, 4, 0) == f->m.ram + 0x2000fc);
    g_assert_null(smmu_data_ptr(tlb, 0x50fd, 4, 0));
    g_assert_null(smmu_data_ptr(tlb, 0x510f, 1, 0));
    g_assert_nonnull(smmu_data_ptr(tlb, 0x5110, 1, 0));
    g_assert_null(smmu_data_ptr(tlb, 0x5ffe, 4, 0)); /* crosses into the next page */
    g_assert_null(smmu_data_ptr(tlb, 0x5010, 4, 1)); /* no user slot filled */
    g_assert_cmpuint(smmu_get_stats(f->mmu)->watch_data_writes, ==, 6);
    g_assert_cmpuint(log.calls, ==, 0);

    /* A write that straddles data and code bytes, and one inside the code: reported. */
    v = 0x55667788;
    g_assert_cmpint(smmu_write(f->mmu, 0x50fe, &v, 4, 0, &fault), ==, 0);
    g_assert_cmpuint(log.calls, ==, 1);
    g_assert_cmphex(log.paddr, ==, 0x2000fe);
    g_assert_cmpuint(log.size, ==, 4);
    g_assert_cmphex(get32(f, 0x2000fe), ==, 0x55667788);
    g_assert_cmpint(smmu_write(f->mmu, 0x510f, &v, 1, 0, &fault), ==, 0);
    g_assert_cmpuint(log.calls, ==, 2);
    g_assert_cmphex(log.paddr, ==, 0x20010f);
    g_assert_cmpuint(smmu_get_stats(f->mmu)->watch_code_writes, ==, 2);

    /* A write crossing into the next page: each half on its own, the code half reported. */
    g_assert_cmpint(smmu_write(f->mmu, 0x5ffe, &v, 4, 0, &fault), ==, 0);
    g_assert_cmpuint(log.calls, ==, 3);
    g_assert_cmphex(log.paddr, ==, 0x201000);
    g_assert_cmpuint(log.size, ==, 2);
    g_assert_cmpint(smmu_write(f->mmu, 0x6001, &v, 2, 0, &fault), ==, 0);
    g_assert_cmpuint(log.calls, ==, 3);

    /* DMA: to data bytes not reported, over code bytes reported. */
    uint8_t buf[32] = {0};
    memmap_write_buf(&f->m.mem, 0x200200, buf, sizeof(buf));
    g_assert_cmpuint(log.calls, ==, 3);
    memmap_write_buf(&f->m.mem, 0x2000f0, buf, sizeof(buf));
    g_assert_cmpuint(log.calls, ==, 4);
    g_assert_cmphex(log.paddr, ==, 0x2000f0);
    g_assert_cmpuint(log.size, ==, 32);

    /* A fill after a flush gives the slot the same cheap data writes. */
    smmu_flush_all(f->mmu);
    g_assert_cmpint(smmu_write(f->mmu, 0x5020, &v, 4, 0, &fault), ==, 0);
    fills = smmu_get_stats(f->mmu)->fills;
    for (unsigned i = 0; i < 8; i++)
        g_assert_cmpint(smmu_write(f->mmu, 0x5020 + 4 * i, &v, 4, 0, &fault), ==, 0);
    g_assert_cmpuint(smmu_get_stats(f->mmu)->fills, ==, fills);
    g_assert_cmpuint(log.calls, ==, 4);

    /* A new map: bytes no longer code stop being reported. */
    uint8_t map[SMMU_CODE_MAP_BYTES] = {0};
    map[0x108 >> 3] = 1; /* byte 0x108 only */
    smmu_set_code(f->mmu, 0x200000, map);
    g_assert_cmpint(smmu_write(f->mmu, 0x5100, &v, 4, 0, &fault), ==, 0);
    g_assert_cmpuint(log.calls, ==, 4);
    g_assert_cmpint(smmu_write(f->mmu, 0x5106, &v, 4, 0, &fault), ==, 0);
    g_assert_cmpuint(log.calls, ==, 5);
    g_assert_cmphex(log.paddr, ==, 0x200106);

    /* No code left: unwatched, and the filled slot writes directly again. */
    memset(map, 0, sizeof(map));
    smmu_set_code(f->mmu, 0x200000, map);
    g_assert_false(smmu_page_watched(f->mmu, 0x200000));
    g_assert_nonnull(smmu_fast_ptr(smmu_tlb(f->mmu), 0x5108, 4, SMMU_WRITE, 0));
    g_assert_true(smmu_page_watched(f->mmu, 0x201000));
    smmu_unwatch_page(f->mmu, 0x201000);
    g_assert_false(smmu_page_watched(f->mmu, 0x201000));
    /* Its map is used again for the next page watched, empty. */
    smmu_watch_code(f->mmu, 0x300000, 1);
    g_assert_false(smmu_is_code(f->mmu, 0x300001, 0xfff));
    g_assert_true(smmu_is_code(f->mmu, 0x300000, 1));
}

/* Data traps keep a watched page's slot from writing directly, even to data bytes. */
static void test_code_map_traps(struct fixture *f, gconstpointer data)
{
    struct watch_log log = {0};
    struct smmu_fault fault;
    smmu_set_watch_callback(f->mmu, log_watch, &log);
    map4k(f, 0x5000, 0x200000, P | RW, P | RW | D);
    paging32(f, 0, 0);
    uint32_t v = 1;
    smmu_watch_code(f->mmu, 0x200100, 16);
    g_assert_cmpint(smmu_write(f->mmu, 0x5010, &v, 4, 0, &fault), ==, 0);
    g_assert_cmpuint(smmu_tlb(f->mmu)->e[0][5].code, !=, 0);
    const uint32_t pages[] = {0x5000};
    smmu_set_traps(f->mmu, pages, 1);
    g_assert_cmpuint(smmu_tlb(f->mmu)->e[0][5].code, ==, 0);
    smmu_unwatch_page(f->mmu, 0x200000); /* does not give the trapped slot direct writes */
    g_assert_null(smmu_fast_ptr(smmu_tlb(f->mmu), 0x5010, 4, SMMU_WRITE, 0));
}

static void test_probes(struct fixture *f, gconstpointer data)
{
    map4k(f, 0x5000, 0x200000, P | RW, P | RW);
    put32(f, 0x200ffc, 0x44434241);
    paging32(f, 0, 0);
    char buf[8] = {0};
    /* Page 6 is not mapped: the probe stops there, without a fault. */
    g_assert_cmpuint(smmu_probe_read(f->mmu, 0x5ffc, buf, 8), ==, 4);
    g_assert_cmpmem(buf, 4, "ABCD", 4);
    g_assert_cmphex(get32(f, PD) & A, ==, 0);
    g_assert_cmphex(get32(f, PT + 5 * 4) & A, ==, 0);
    g_assert_cmpuint(smmu_probe_write(f->mmu, 0x5ffc, "wxyz", 4), ==, 4);
    g_assert_cmphex(get32(f, 0x200ffc), ==, 0x7a797877);
    g_assert_cmphex(get32(f, PT + 5 * 4) & (A | D), ==, 0);
    g_assert_cmpuint(smmu_get_stats(f->mmu)->faults, ==, 0);
    /* Physical probes ignore paging and stop at the end of RAM (16 MiB here). */
    g_assert_cmpuint(smmu_probe_phys_read(f->mmu, 0x200ffc, buf, 4), ==, 4);
    g_assert_cmpmem(buf, 4, "wxyz", 4);
    put32(f, 0xfffffc, 0x64636261);
    g_assert_cmpuint(smmu_probe_phys_read(f->mmu, 0xfffffc, buf, 8), ==, 4);
    g_assert_cmpmem(buf, 4, "abcd", 4);
    g_assert_cmpuint(smmu_probe_phys_read(f->mmu, 0x1000000, buf, 4), ==, 0);
    /* A physical write reaches a write-watched page's watcher (the translation cache). */
    struct watch_log log = {0};
    smmu_set_watch_callback(f->mmu, log_watch, &log);
    smmu_watch_code(f->mmu, 0x300000, 0x1000);
    g_assert_cmpuint(smmu_probe_phys_write(f->mmu, 0x300010, "12", 2), ==, 2);
    g_assert_cmpuint(log.calls, ==, 1);
    g_assert_cmphex(log.paddr, ==, 0x300010);
    g_assert_cmphex(get32(f, 0x300010) & 0xffff, ==, 0x3231);
    g_assert_cmpuint(smmu_probe_phys_write(f->mmu, 0xfffffe, "1234", 4), ==, 2);
}

static void test_memmap_change_flushes(struct fixture *f, gconstpointer data)
{
    struct smmu_fault fault;
    int rc;
    read32(f, 0xa0000, 0, &fault, &rc);
    g_assert_nonnull(smmu_fast_ptr(smmu_tlb(f->mmu), 0xa0000, 4, SMMU_READ, 0));
    uint32_t reg[2] = {0x5a5a5a5a, 0};
    memmap_add_mmio(&f->m.mem, "vga", 0xa0000, 0x1000, &test_dev_ops, reg, 1);
    g_assert_null(smmu_fast_ptr(smmu_tlb(f->mmu), 0xa0000, 4, SMMU_READ, 0));
    g_assert_cmphex(read32(f, 0xa0000, 0, &fault, &rc), ==, 0x5a5a5a5a);
    g_assert_cmpuint(smmu_get_stats(f->mmu)->flushes[SMMU_FLUSH_MEMMAP], ==, 1);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add("/shadowmmu/" name, struct fixture, NULL, setup, fn, teardown)
    ADD("paging-off-identity", test_paging_off_identity);
    ADD("a20-wrap", test_a20_wrap);
    ADD("map-4k", test_map_4k);
    ADD("map-4m", test_map_4m);
    ADD("pae", test_pae);
    ADD("pae-reserved", test_pae_reserved);
    ADD("pse-reserved", test_pse_reserved);
    ADD("permission-matrix", test_permission_matrix);
    ADD("not-present", test_not_present);
    ADD("accessed-dirty", test_accessed_dirty);
    ADD("global-pages", test_global_pages);
    ADD("invlpg", test_invlpg);
    ADD("cross-page-write", test_cross_page_write);
    ADD("rom-and-mmio", test_rom_and_mmio);
    ADD("write-watch", test_write_watch);
    ADD("code-map", test_code_map);
    ADD("code-map-traps", test_code_map_traps);
    ADD("data-traps", test_data_traps);
    ADD("probes", test_probes);
    ADD("memmap-change-flushes", test_memmap_change_flushes);
    return g_test_run();
}
