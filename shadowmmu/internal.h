/*
 * Shadow MMU internals shared by its files: the state behind the opaque
 * struct shadowmmu, and the page walker's interface.
 */
#ifndef POPEK_SHADOWMMU_INTERNAL_H
#define POPEK_SHADOWMMU_INTERNAL_H

#include "shadowmmu/shadowmmu.h"

#define CR0_WP  (1u << 16)
#define CR0_PG  (1u << 31)
#define CR4_PSE (1u << 4)
#define CR4_PAE (1u << 5)
#define CR4_PGE (1u << 7)

/* Guest-physical pages the watch bitmap covers (the 32-bit space). */
#define SMMU_WATCH_PAGES (1u << 20)

/* Words of the fetched-page bitmap remembered as set, beyond which clearing it clears it all. */
#define SMMU_FETCHED_WORDS 256

/* Where a slot's translation came from, kept beside the hot TLB entry. */
struct smmu_slot_info {
    uint32_t lin;      /* linear page */
    uint32_t big_mask; /* mask of the guest page holding it (4 KiB/2 MiB/4 MiB) */
    uint64_t phys;     /* physical page */
    bool global;       /* survives CR3 loads */
    bool listed;       /* on the filled list */
    bool writable;     /* writes may go to RAM directly but for a watch or trap on the page */
};

/* The result of a successful walk. */
struct smmu_walk {
    uint64_t phys;     /* physical address of the access */
    uint32_t big_mask; /* page-size mask, e.g. 0xfffff000 for 4 KiB */
    bool user;         /* user may access */
    bool writable;     /* R/W allows writes */
    bool dirty;        /* the final entry's D bit is (now) set */
    bool global;
};

struct shadowmmu {
    struct smmu_tlb tlb;
    struct smmu_slot_info info[2][SMMU_TLB_SIZE];
    uint16_t filled[2 * SMMU_TLB_SIZE]; /* (user << SMMU_TLB_BITS) | index of filled slots */
    unsigned nfilled;
    unsigned nbig; /* filled slots from 2 MiB / 4 MiB pages, for INVLPG */

    struct memmap *mem;
    uint32_t cr0, cr3, cr4;
    uint64_t pdpte[4];
    uint64_t a20_mask; /* ~0, or ~(1 << 20) while A20 is masked */

    uint32_t *watched;   /* per physical page: the number of its code map (0: not watched) */
    uint32_t *free_maps; /* code maps not in use */
    unsigned nfree_maps;
    unsigned nmaps;                 /* code maps allocated, map 0 included */
    uint32_t traps[SMMU_MAX_TRAPS]; /* trapped linear pages (smmu_set_traps) */
    unsigned ntraps;
    unsigned nwatched;
    smmu_watch_fn watch_fn;
    void *watch_opaque;
    void (*map_fn)(void *opaque);
    void *map_opaque;

    /*
     * The linear pages instructions were fetched from (smmu_fetch_phys) since the TLB's
     * generation was last bumped, one bit per 4 KiB page and one per 4 MiB region fetched
     * through a 2 or 4 MiB page: INVLPG bumps the generation only for those.
     */
    uint64_t *fetched;
    uint64_t fetched_big[1024 / 64];
    uint32_t fetched_words[SMMU_FETCHED_WORDS]; /* words of `fetched` set since, */
    unsigned nfetched;                          /* when no more than SMMU_FETCHED_WORDS */

    struct smmu_stats stats;
};

bool smmu_paging(const struct shadowmmu *mmu);

/*
 * Walk the guest tables for an access. Returns 0 with *w filled (A/D bits
 * set when set_ad), or -1 with *fault.
 */
int smmu_walk(struct shadowmmu *mmu, uint32_t linear, enum smmu_access acc, int user, bool set_ad,
              struct smmu_walk *w, struct smmu_fault *fault);

/* Load the PAE PDPTEs from CR3: 0, or -1 when a present one is malformed. */
int smmu_load_pdptes(struct shadowmmu *mmu);

#endif
