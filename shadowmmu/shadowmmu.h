/*
 * The shadow MMU: every guest memory access of every execution tier goes
 * through here. It translates guest-linear addresses to host pointers (guest
 * RAM/ROM) or to the MMIO region behind them, per access kind (read, write,
 * fetch) and privilege (user = CPL 3, supervisor = CPL 0-2), exactly as an
 * IA-32 MMU would (SDM Vol. 3A ch. 4), and caches the answers in a
 * direct-mapped shadow TLB whose hit path is inline and call-free.
 *
 * This header is the contract the CPU, translator and CSAM are written
 * against: the fast path (smmu_fast_ptr), the slow paths that fill it and
 * report page faults, the control-register and A20 inputs that flush it,
 * the write-watch on code pages, data traps for breakpoints, and
 * side-effect-free probes.
 */
#ifndef POPEK_SHADOWMMU_SHADOWMMU_H
#define POPEK_SHADOWMMU_SHADOWMMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "machine/memmap.h"

enum smmu_access {
    SMMU_READ = 0,
    SMMU_WRITE = 1,
    SMMU_FETCH = 2,
};

/* #PF error-code bits, SDM Vol. 3A §4.7. */
#define SMMU_PF_P    (1u << 0) /* 0: not present, 1: protection violation */
#define SMMU_PF_W    (1u << 1) /* the access was a write */
#define SMMU_PF_U    (1u << 2) /* the access was a user-mode access */
#define SMMU_PF_RSVD (1u << 3) /* a reserved bit was set in a paging entry */
#define SMMU_PF_I    (1u << 4) /* instruction fetch (only with PAE + NX; never set on P6) */

/* A page fault the caller must deliver: CR2 = linear, error code as above. */
struct smmu_fault {
    uint32_t linear;
    uint32_t error_code;
};

#define SMMU_PAGE_SIZE 4096u
#define SMMU_PAGE_MASK (~(uint32_t)(SMMU_PAGE_SIZE - 1))
#define SMMU_TLB_BITS  12
#define SMMU_TLB_SIZE  (1u << SMMU_TLB_BITS)

/*
 * One shadow TLB slot. A tag holds the linear page address (low 12 bits
 * zero) when the slot allows that access kind directly through host memory,
 * and SMMU_TAG_NONE otherwise (empty, MMIO, write-watched or ROM for
 * writes, not yet dirty in the guest page table, ...). host = addend + linear.
 */
#define SMMU_TAG_NONE 0xffffffffu

struct smmu_tlb_entry {
    uint32_t tag[3]; /* indexed by enum smmu_access */
    /*
     * A slot of a write-watched page that writes could otherwise go through
     * directly: the number of the page's code map (struct smmu_tlb's
     * code_maps), else 0. Only while it is not 0, tag[SMMU_FETCH] holds the
     * slot's linear page. A write that touches no code byte may then go to
     * addend + linear at once.
     */
    uint32_t code;
    uintptr_t addend;
};

/* Where flushes came from, for --stats. */
enum smmu_flush_cause {
    SMMU_FLUSH_CR3,
    SMMU_FLUSH_INVLPG,
    SMMU_FLUSH_PAGING_MODE, /* CR0.PG/WP, CR4.PSE/PGE/PAE */
    SMMU_FLUSH_A20,
    SMMU_FLUSH_MEMMAP, /* the physical map changed */
    SMMU_FLUSH_CAUSES,
};

struct smmu_stats {
    uint64_t walks;  /* guest page-table walks */
    uint64_t fills;  /* TLB slots filled */
    uint64_t faults; /* page faults reported */
    uint64_t flushes[SMMU_FLUSH_CAUSES];
    uint64_t watch_code_writes; /* writes to a watched page that touched code bytes (reported) */
    uint64_t watch_data_writes; /* writes to a watched page that touched data bytes only */
    uint64_t watch_data_writes_generated; /* of those, done by generated code without a call */
};

/* Told of every write that touched code bytes of a watched page, after it is done. */
typedef void (*smmu_watch_fn)(void *opaque, uint64_t paddr, unsigned size);

struct shadowmmu;

/*
 * The shadow TLB, [0] for supervisor and [1] for user accesses. Public so
 * that the fast path below and generated code can index it; only
 * shadowmmu/ writes it.
 */
#define SMMU_CODE_MAP_BYTES (SMMU_PAGE_SIZE / 8)

struct smmu_tlb {
    struct smmu_tlb_entry e[2][SMMU_TLB_SIZE];
    /* Bumped by every flush, and by INVLPG of a page instructions were fetched from since the
       last bump (smmu_fetch_phys): caches of translated code compare it. */
    uint32_t generation;
    /*
     * The code maps of watched pages, SMMU_CODE_MAP_BYTES each, map n at
     * code_maps + n * SMMU_CODE_MAP_BYTES (map 0 is never used): bit b of
     * byte k says whether byte 8k + b of the page is code. Moves when more
     * are needed: read the pointer anew each time.
     */
    uint8_t *code_maps;
    /* Writes to watched pages that touched data bytes only: done in C, and done by generated
       code itself (it adds them). */
    uint64_t watch_data_writes;
    uint64_t watch_data_writes_generated;
};

/* Whether any of `len` bytes at `off` of a page is code in its code map (off + len <= 4096). */
static inline bool smmu_code_touched(const uint8_t *map, unsigned off, unsigned len)
{
    if (len <= 8) { /* the maps are followed by a spare byte, so two bytes can be read */
        unsigned w = map[off >> 3] | (unsigned)map[(off >> 3) + 1] << 8;
        return (w >> (off & 7)) & ((1u << len) - 1);
    }
    for (unsigned end = off + len; off < end;) {
        if (!(off & 7) && end - off >= 8) {
            if (map[off >> 3])
                return true;
            off += 8;
        } else {
            if (map[off >> 3] >> (off & 7) & 1)
                return true;
            off++;
        }
    }
    return false;
}

struct shadowmmu *smmu_create(struct memmap *mem);
void smmu_destroy(struct shadowmmu *mmu);
struct smmu_tlb *smmu_tlb(struct shadowmmu *mmu);

/*
 * The paging inputs. Each call flushes exactly what a real TLB would flush:
 * smmu_set_cr3 all but global entries; smmu_set_mode everything when
 * CR0.PG/WP or CR4.PSE/PGE/PAE changed, nothing otherwise; smmu_invlpg the
 * page holding `linear` (4 KiB, 2 MiB or 4 MiB; the generation moves only
 * when code was fetched from it); smmu_set_a20 everything
 * when the gate changes (masked: physical bit 20 forced to 0).
 * With PAE paging on, smmu_set_cr3 and smmu_set_mode load the four PDPTEs
 * as the processor does and return -1 when a present one has reserved bits
 * set (the caller raises #GP(0), SDM Vol. 3A §4.4.1); else they return 0.
 */
int smmu_set_mode(struct shadowmmu *mmu, uint32_t cr0, uint32_t cr4);
int smmu_set_cr3(struct shadowmmu *mmu, uint32_t cr3);
void smmu_invlpg(struct shadowmmu *mmu, uint32_t linear);
void smmu_set_a20(struct shadowmmu *mmu, bool enabled);
void smmu_flush_all(struct shadowmmu *mmu);

/*
 * The fast path: a host pointer for `size` bytes at `linear` when the
 * access lies in one page and its TLB slot allows it, else NULL (take the
 * slow path). A handful of instructions, no call.
 */
static inline uint8_t *smmu_fast_ptr(struct smmu_tlb *tlb, uint32_t linear, unsigned size,
                                     enum smmu_access acc, int user)
{
    uint32_t page = linear & SMMU_PAGE_MASK;
    const struct smmu_tlb_entry *e = &tlb->e[user][(linear >> 12) & (SMMU_TLB_SIZE - 1)];
    /* An access that runs into the next page has a different last page. */
    if (e->tag[acc] != page || ((linear + size - 1) & SMMU_PAGE_MASK) != page)
        return NULL;
    return (uint8_t *)(e->addend + linear);
}

/*
 * The fast path of writes the TLB slot refuses only because their page is
 * write-watched: a host pointer for the `len` bytes at `linear` when the
 * slot is such a page's, the bytes lie in it and none of them is code
 * (`writes` data writes are counted), else NULL (take the slow path).
 */
static inline uint8_t *smmu_data_run(struct smmu_tlb *tlb, uint32_t linear, unsigned len, int user,
                                     unsigned writes)
{
    struct smmu_tlb_entry *e = &tlb->e[user][(linear >> 12) & (SMMU_TLB_SIZE - 1)];
    unsigned off = linear & (SMMU_PAGE_SIZE - 1);
    if (!e->code || e->tag[SMMU_FETCH] != (linear & SMMU_PAGE_MASK) || off + len > SMMU_PAGE_SIZE ||
        smmu_code_touched(tlb->code_maps + (size_t)e->code * SMMU_CODE_MAP_BYTES, off, len))
        return NULL;
    tlb->watch_data_writes += writes;
    return (uint8_t *)(e->addend + linear);
}

/* The same for one write of `size` bytes. */
static inline uint8_t *smmu_data_ptr(struct smmu_tlb *tlb, uint32_t linear, unsigned size, int user)
{
    return smmu_data_run(tlb, linear, size, user, 1);
}

/*
 * The slow paths: walk the guest tables (setting A and D bits), fill the
 * TLB, reach RAM, ROM or MMIO, split accesses that cross a page (each half
 * checked before anything is written). `size` is 1, 2, 4 or 8. Return 0, or
 * -1 with *fault filled and nothing written.
 */
int smmu_read(struct shadowmmu *mmu, uint32_t linear, void *buf, unsigned size,
              enum smmu_access acc, int user, struct smmu_fault *fault);
int smmu_write(struct shadowmmu *mmu, uint32_t linear, const void *buf, unsigned size, int user,
               struct smmu_fault *fault);

/*
 * Translate without filling the TLB: the guest-physical address for an
 * access, or -1 with *fault. `set_ad` says whether to set A/D bits as the
 * access would (false for probes).
 */
int smmu_translate(struct shadowmmu *mmu, uint32_t linear, enum smmu_access acc, int user,
                   bool set_ad, uint64_t *paddr, struct smmu_fault *fault);

/*
 * The guest-physical address of an instruction fetch at `linear`, through
 * the TLB as the processor's fetch goes: a TLB hit costs no walk, a miss
 * walks (setting A bits) and fills the slot. -1 with *fault when the fetch
 * faults.
 */
int smmu_fetch_phys(struct shadowmmu *mmu, uint32_t linear, int user, uint64_t *paddr,
                    struct smmu_fault *fault);
/* The same from the TLB alone: false when the fetch would have to walk (nothing done then). */
bool smmu_fetch_cached(struct shadowmmu *mmu, uint32_t linear, int user, uint64_t *paddr);

/*
 * Side-effect-free probes for debuggers and loaders: copy guest-linear
 * memory as a supervisor would see it, with no A/D updates, no faults and
 * no device reads (MMIO reads as 0xff). Returns the number of bytes
 * copied before the first unmapped page.
 */
size_t smmu_probe_read(struct shadowmmu *mmu, uint32_t linear, void *buf, size_t len);
size_t smmu_probe_write(struct shadowmmu *mmu, uint32_t linear, const void *buf, size_t len);
/* The same on guest-physical addresses (no page walk); a hole in the map ends it. */
size_t smmu_probe_phys_read(struct shadowmmu *mmu, uint64_t paddr, void *buf, size_t len);
size_t smmu_probe_phys_write(struct shadowmmu *mmu, uint64_t paddr, const void *buf, size_t len);

/*
 * Told after the physical memory map changed (a region shown, hidden or
 * moved: PAM, PCI BARs): what was decoded from guest-physical memory may
 * now stand for other bytes.
 */
void smmu_set_map_callback(struct shadowmmu *mmu, void (*fn)(void *opaque), void *opaque);

/*
 * Write-watch of code: the translation cache says which bytes of a
 * guest-physical page hold code it decoded (the page's code map, one bit a
 * byte), and the page is write-watched while any byte of it is code: no
 * TLB slot gives plain direct write access to it. Every write to the page
 * (CPU or DMA through the memory map) is done; one that touches a code
 * byte is then reported to the callback, one that touches data bytes only
 * is not, and costs the CPU no walk and no TLB refill (the slot's `code`
 * lets it test the map and write at once).
 */
void smmu_set_watch_callback(struct shadowmmu *mmu, smmu_watch_fn fn, void *opaque);
/* The `len` bytes at `paddr` (one page) are code from now on. */
void smmu_watch_code(struct shadowmmu *mmu, uint64_t paddr, unsigned len);
/*
 * The code map of the page at `paddr` is `map` (SMMU_CODE_MAP_BYTES) from
 * now on: bytes no longer code stop being reported; all zero (or NULL): the
 * page is no longer watched.
 */
void smmu_set_code(struct shadowmmu *mmu, uint64_t paddr, const uint8_t *map);
/* No byte of the page at `paddr` is code any more: it is no longer watched. */
void smmu_unwatch_page(struct shadowmmu *mmu, uint64_t paddr);
bool smmu_page_watched(const struct shadowmmu *mmu, uint64_t paddr);
/* Whether any of the `len` bytes at `paddr` (one page) is code. */
bool smmu_is_code(const struct shadowmmu *mmu, uint64_t paddr, unsigned len);

/*
 * Data traps on linear pages (data breakpoints, a debugger's watchpoints):
 * while a linear page is trapped, no TLB slot gives direct read or write
 * access to it, so every data access to it takes the slow paths, where the
 * CPU checks its breakpoints. Instruction fetches are not affected. The
 * call replaces the whole set: `pages` are linear page addresses (low 12
 * bits ignored), at most SMMU_MAX_TRAPS of them.
 */
#define SMMU_MAX_TRAPS 32
void smmu_set_traps(struct shadowmmu *mmu, const uint32_t *pages, unsigned n);
bool smmu_page_trapped(const struct shadowmmu *mmu, uint32_t linear);

const struct smmu_stats *smmu_get_stats(struct shadowmmu *mmu);

#endif
