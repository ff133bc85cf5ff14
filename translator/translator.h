/*
 * The translator: the loop that runs a CPU. It finds or builds the block of
 * guest code at CS:EIP in the translation cache, runs it, follows chains
 * from block to block, and between blocks lets the CPU take interrupts,
 * exceptions and debug events (cpu/exec.h). Blocks are dropped when their
 * guest code is written or the physical map changes.
 */
#ifndef POPEK_TRANSLATOR_TRANSLATOR_H
#define POPEK_TRANSLATOR_TRANSLATOR_H

#include <stdint.h>

#include "cpu/cpu.h"

struct translator;
struct tcache;

/* A translator for `cpu` (and the shadow MMU it was created with). */
struct translator *translator_create(struct cpu *cpu);
void translator_destroy(struct translator *t);

/* Run up to `budget` instructions; returns why it stopped. */
enum cpu_exit translator_run(struct translator *t, uint64_t budget);

/* The translation cache, for statistics and tests. */
struct tcache *translator_tcache(struct translator *t);

#endif
