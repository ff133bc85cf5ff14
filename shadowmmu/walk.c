/*
 * Guest page-table walks: 32-bit paging with 4 KiB and 4 MiB pages and PAE
 * paging with 4 KiB and 2 MiB pages, as the SDM Vol. 3A ch. 4 describes
 * them for a P6-class processor (MAXPHYADDR 36 with PAE, no NX, no SMEP,
 * no SMAP, no PSE-36). Accessed and dirty bits are written back only for an
 * access that succeeds.
 */
#include "shadowmmu/internal.h"

#include <string.h>

#define PTE_P  (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_US (1ull << 2)
#define PTE_A  (1ull << 5)
#define PTE_D  (1ull << 6)
#define PTE_PS (1ull << 7)
#define PTE_G  (1ull << 8)

/* Reserved bits, SDM Vol. 3A Tables 4-5 (32-bit) and 4-8..4-11 (PAE), MAXPHYADDR 36. */
#define PSE_4M_RSVD    0x003fe000ull               /* 4 MiB PDE bits 21:13 (no PSE-36) */
#define PAE_ADDR_HI    0xfffffff000000000ull       /* bits 63:36 (63 is XD: reserved, no NXE) */
#define PAE_PDPTE_RSVD (PAE_ADDR_HI | 0x1e6ull)    /* plus bits 8:5 and 2:1 */
#define PAE_2M_RSVD    (PAE_ADDR_HI | 0x1fe000ull) /* plus bits 20:13 */
#define PAE_ADDR       0x0000000ffffff000ull

/* One level of a walk: where the entry lives and what it says. */
struct level {
    uint64_t addr;
    uint64_t entry;
};

bool smmu_paging(const struct shadowmmu *mmu)
{
    return (mmu->cr0 & CR0_PG) != 0;
}

static uint64_t read_entry(struct shadowmmu *mmu, uint64_t paddr, bool pae)
{
    paddr &= mmu->a20_mask;
    uint64_t lo = memmap_read(mmu->mem, paddr, 4);
    if (!pae)
        return lo;
    return lo | (uint64_t)memmap_read(mmu->mem, paddr + 4, 4) << 32;
}

/* Set bits in an entry's low dword, as the processor's locked update does. */
static void set_bits(struct shadowmmu *mmu, const struct level *l, uint64_t bits)
{
    if ((l->entry & bits) != bits)
        memmap_write(mmu->mem, l->addr & mmu->a20_mask, (uint32_t)(l->entry | bits), 4);
}

static int fault(struct smmu_fault *f, uint32_t linear, uint32_t code)
{
    f->linear = linear;
    f->error_code = code;
    return -1;
}

int smmu_load_pdptes(struct shadowmmu *mmu)
{
    uint64_t base = mmu->cr3 & 0xffffffe0u;
    uint64_t pdpte[4];
    for (int i = 0; i < 4; i++) {
        pdpte[i] = read_entry(mmu, base + 8 * i, true);
        if ((pdpte[i] & PTE_P) && (pdpte[i] & PAE_PDPTE_RSVD))
            return -1;
    }
    memcpy(mmu->pdpte, pdpte, sizeof(pdpte));
    return 0;
}

/*
 * The permission check common to both modes: U/S and R/W are the AND over
 * all levels (SDM Vol. 3A §4.6); supervisors may write read-only pages
 * unless CR0.WP.
 */
static int check_access(struct shadowmmu *mmu, uint32_t linear, enum smmu_access acc, int user,
                        struct smmu_walk *w, struct smmu_fault *f)
{
    uint32_t code = PTE_P | (acc == SMMU_WRITE ? SMMU_PF_W : 0) | (user ? SMMU_PF_U : 0);
    if (user && !w->user)
        return fault(f, linear, code);
    if (acc == SMMU_WRITE && !w->writable && (user || (mmu->cr0 & CR0_WP)))
        return fault(f, linear, code);
    return 0;
}

/* What is being translated. */
struct access {
    uint32_t linear;
    enum smmu_access acc;
    int user;
    bool set_ad;
};

/*
 * The last step for every mode and page size: the permissions are the AND
 * of `upper` (the directory entry of a 4 KiB page, else NULL) and `leaf`;
 * A is set in both and D in the leaf, for a successful access only.
 */
static int finish(struct shadowmmu *mmu, const struct access *a, struct level *upper,
                  struct level *leaf, uint64_t phys, uint32_t big_mask, struct smmu_walk *w,
                  struct smmu_fault *f)
{
    uint64_t both = leaf->entry & (upper ? upper->entry : ~0ull);
    *w = (struct smmu_walk){
        .phys = phys,
        .big_mask = big_mask,
        .user = both & PTE_US,
        .writable = both & PTE_RW,
        .global = (leaf->entry & PTE_G) && (mmu->cr4 & CR4_PGE),
    };
    if (check_access(mmu, a->linear, a->acc, a->user, w, f) < 0)
        return -1;
    bool write = a->acc == SMMU_WRITE;
    w->dirty = (leaf->entry & PTE_D) || (a->set_ad && write);
    if (a->set_ad) {
        if (upper)
            set_bits(mmu, upper, PTE_A);
        set_bits(mmu, leaf, PTE_A | (write ? PTE_D : 0));
    }
    return 0;
}

static int walk32(struct shadowmmu *mmu, uint32_t linear, enum smmu_access acc, int user,
                  bool set_ad, struct smmu_walk *w, struct smmu_fault *f)
{
    uint32_t code = (acc == SMMU_WRITE ? SMMU_PF_W : 0) | (user ? SMMU_PF_U : 0);
    struct level pde = {(mmu->cr3 & 0xfffff000u) | ((linear >> 22) << 2), 0};
    pde.entry = read_entry(mmu, pde.addr, false);
    if (!(pde.entry & PTE_P))
        return fault(f, linear, code);

    if ((pde.entry & PTE_PS) && (mmu->cr4 & CR4_PSE)) {
        if (pde.entry & PSE_4M_RSVD)
            return fault(f, linear, code | SMMU_PF_P | SMMU_PF_RSVD);
        uint64_t phys = (pde.entry & 0xffc00000u) | (linear & 0x3fffffu);
        return finish(mmu, &(struct access){linear, acc, user, set_ad}, NULL, &pde, phys,
                      0xffc00000u, w, f);
    }

    struct level pte = {(pde.entry & 0xfffff000u) | (((linear >> 12) & 0x3ff) << 2), 0};
    pte.entry = read_entry(mmu, pte.addr, false);
    if (!(pte.entry & PTE_P))
        return fault(f, linear, code);
    uint64_t phys = (pte.entry & 0xfffff000u) | (linear & 0xfffu);
    return finish(mmu, &(struct access){linear, acc, user, set_ad}, &pde, &pte, phys, 0xfffff000u,
                  w, f);
}

static int walk_pae(struct shadowmmu *mmu, uint32_t linear, enum smmu_access acc, int user,
                    bool set_ad, struct smmu_walk *w, struct smmu_fault *f)
{
    uint32_t code = (acc == SMMU_WRITE ? SMMU_PF_W : 0) | (user ? SMMU_PF_U : 0);
    uint64_t pdpte = mmu->pdpte[linear >> 30];
    if (!(pdpte & PTE_P))
        return fault(f, linear, code);

    struct level pde = {(pdpte & PAE_ADDR) + 8 * ((linear >> 21) & 0x1ff), 0};
    pde.entry = read_entry(mmu, pde.addr, true);
    if (!(pde.entry & PTE_P))
        return fault(f, linear, code);
    if (pde.entry & PTE_PS) {
        if (pde.entry & PAE_2M_RSVD)
            return fault(f, linear, code | SMMU_PF_P | SMMU_PF_RSVD);
        uint64_t phys = (pde.entry & 0xfffe00000ull) | (linear & 0x1fffffu);
        return finish(mmu, &(struct access){linear, acc, user, set_ad}, NULL, &pde, phys,
                      0xffe00000u, w, f);
    }
    if (pde.entry & PAE_ADDR_HI)
        return fault(f, linear, code | SMMU_PF_P | SMMU_PF_RSVD);

    struct level pte = {(pde.entry & PAE_ADDR) + 8 * ((linear >> 12) & 0x1ff), 0};
    pte.entry = read_entry(mmu, pte.addr, true);
    if (!(pte.entry & PTE_P))
        return fault(f, linear, code);
    if (pte.entry & PAE_ADDR_HI)
        return fault(f, linear, code | SMMU_PF_P | SMMU_PF_RSVD);
    uint64_t phys = (pte.entry & PAE_ADDR) | (linear & 0xfffu);
    return finish(mmu, &(struct access){linear, acc, user, set_ad}, &pde, &pte, phys, 0xfffff000u,
                  w, f);
}

int smmu_walk(struct shadowmmu *mmu, uint32_t linear, enum smmu_access acc, int user, bool set_ad,
              struct smmu_walk *w, struct smmu_fault *f)
{
    if (!smmu_paging(mmu)) {
        *w = (struct smmu_walk){
            .phys = linear & mmu->a20_mask,
            .big_mask = 0xfffff000u,
            .user = true,
            .writable = true,
            .dirty = true,
            .global = true,
        };
        return 0;
    }
    int rc = (mmu->cr4 & CR4_PAE) ? walk_pae(mmu, linear, acc, user, set_ad, w, f)
                                  : walk32(mmu, linear, acc, user, set_ad, w, f);
    if (rc < 0)
        return -1;
    w->phys &= mmu->a20_mask;
    return 0;
}
