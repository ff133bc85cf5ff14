/*
 * The translator: the loop that runs a CPU. It finds or builds the block of
 * guest code at CS:EIP in the translation cache, runs it, follows chains
 * from block to block, and between blocks lets the CPU take interrupts,
 * exceptions and debug events (cpu/exec.h). Blocks are dropped when their
 * guest code is written or the physical map changes.
 *
 * Two tiers run blocks: tier 0 runs decoded records through cpu/'s
 * handlers (every host); tier 1 turns a block that has run often into host
 * code (x86-64 hosts). Both give identical guest-visible results.
 */
#ifndef POPEK_TRANSLATOR_TRANSLATOR_H
#define POPEK_TRANSLATOR_TRANSLATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu.h"

struct translator;
struct tcache;

struct translator_config {
    unsigned tier;          /* 0: tier 0 only; 1: hot blocks become host code */
    unsigned hot_threshold; /* tier 1: runs of a block before it is translated (0: at once) */
    size_t code_size;       /* tier 1: bytes of host code buffer (flushed whole when full) */
    const char *perf_map;   /* tier 1: the file naming host code by guest address (perf's map) */
    bool baseline_host;     /* tier 1: use no optional host instructions (BMI2), as on older
                               hosts: for testing that path on any host */
};

#define TRANSLATOR_DEFAULT_THRESHOLD 16
#define TRANSLATOR_DEFAULT_CODE_MB   64

/* Whether this host and build have tier 1. */
bool translator_tier1_available(void);

/* The defaults: tier 1 where available, else 0. */
struct translator_config translator_default_config(void);

/* A translator for `cpu` (and the shadow MMU it was created with); cfg NULL: the defaults. */
struct translator *translator_create(struct cpu *cpu, const struct translator_config *cfg);
void translator_destroy(struct translator *t);

/* Run up to `budget` instructions; returns why it stopped. */
enum cpu_exit translator_run(struct translator *t, uint64_t budget);

/* Why translated code went back to the loop. */
enum tr_exit {
    TR_EXIT_CHAIN,     /* a direct jump or fall-through to a block not linked yet */
    TR_EXIT_INDIRECT,  /* an indirect jump, call or return (the loop looks the target up) */
    TR_EXIT_HELPER,    /* an instruction the loop must see after (mode change, STI, I/O...) */
    TR_EXIT_BUDGET,    /* the run's instruction budget ran out */
    TR_EXIT_EXCEPTION, /* an exception unwound out of translated code */
    TR_EXIT_SMC,       /* the running block's code was written */
    TR_EXIT_X87,       /* an x87 instruction that may not run on the host's x87 now */
    TR_EXIT_CAUSES,
};

/* Tier 1's counters (the translation cache's own are in tcache_stats). */
struct translator_stats {
    unsigned tier;          /* the tier this translator runs (0 or 1) */
    uint64_t blocks;        /* blocks translated to host code */
    uint64_t insns;         /* guest instructions in them */
    uint64_t native_insns;  /* of those, turned into host instructions */
    uint64_t helper_insns;  /* of those, calling their cpu/ handler */
    uint64_t frame_blocks;  /* blocks with a second body taking stack-frame accesses at once */
    uint64_t code_bytes;    /* host code bytes in the buffer now */
    uint64_t code_capacity; /* the buffer's size */
    uint64_t flushes;       /* times the buffer filled up and was emptied */
    uint64_t chain_patches; /* host jumps linked block to block */
    uint64_t entries;       /* times the loop entered host code */
    uint64_t go_ons;        /* times a helper went on to the next block's host code (instead of
                               an indirect or helper exit to the loop) */
    uint64_t exits[TR_EXIT_CAUSES];
    uint64_t translate_ns; /* time spent generating host code */
    uint64_t x87_loads;    /* times the guest's x87 state moved onto the host's x87 */
};

const struct translator_stats *translator_stats(struct translator *t);

/* The translation cache, for statistics and tests. */
struct tcache *translator_tcache(struct translator *t);

#endif
