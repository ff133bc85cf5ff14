/*
 * What the files of translator/ share: the translator's state and tier 0,
 * blocks of decoded records run by the interpreter's handlers.
 */
#ifndef POPEK_TRANSLATOR_INTERNAL_H
#define POPEK_TRANSLATOR_INTERNAL_H

#include "cpu/exec.h"
#include "translator/tcache.h"
#include "translator/translator.h"

#define BLOCK_MAX_INSNS 32

/* Tier 0's form of a block: the payload of a translation-cache entry. */
struct block {
    uint32_t lin;     /* linear address it was decoded at */
    uint32_t cs_base; /* and the CS base then (chains stay within one) */
    unsigned n;
    struct insn insns[];
};

struct translator {
    struct translator_config cfg;
    struct translator_stats stats;
    struct cpu *cpu;
    struct cpu_internal *c; /* cpu->internal */
    struct tcache *tc;
    /* A direct-mapped lookup of blocks by linear EIP, emptied when the TLB is flushed. */
    struct jump_cache_entry {
        uint32_t lin, mode;
        struct tb *tb;
    } * jump_cache;
    uint32_t tlb_generation;     /* smmu flush count the jump cache was filled under */
    struct tb *cur_tb;           /* the block running now */
    bool need_collect;           /* dropped blocks await tcache_collect */
    struct block *scratch_block; /* a page-crossing instruction, decoded each time */
};

/* tier0.c */
struct tb *tier0_build(struct translator *t, uint32_t lin, uint64_t phys);
struct block *tier0_cross_page(struct translator *t, uint32_t lin, uint32_t eip);
void tier0_run(struct translator *t, const struct block *b, uint64_t limit);

/* loop.c: the jump-cache slot of a linear address. */
unsigned translator_jc_index(uint32_t lin);

#endif
