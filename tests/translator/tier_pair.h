/*
 * Tier 1 against tier 0, the harness the tier-1 tests share: two machines,
 * one per tier (tier 1 translating every block at once), loaded with the
 * same code and state, run, and compared — registers, all of EFLAGS, EIP,
 * CR2, the instruction count, the exception, the x87 state (registers,
 * control, status and tag words, the instruction and operand pointers) and
 * the first MiB of memory.
 */
#ifndef POPEK_TESTS_TRANSLATOR_TIER_PAIR_H
#define POPEK_TESTS_TRANSLATOR_TIER_PAIR_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

#include "tests/lib/cpu_fixture.h"

#define CODE  0x10000u
#define STACK 0x80000u
#define DATA  0x30000u

/* The two machines: [0] tier 0, [1] tier 1 translating every block at once. */
struct pair {
    struct cpu_fixture f[2];
    bool frames; /* tier 1 checks stack frames (BMI2, not the baseline host) */
};

/* How a test's tier 1 is set up: its code buffer, and the baseline host's instructions only. */
struct opts {
    size_t code_size; /* 0: the default */
    bool baseline;
};

/* g_test_add fixtures; data: a struct opts. */
void pair_setup(struct pair *p, gconstpointer data);
void pair_teardown(struct pair *p, gconstpointer data);

/*
 * The same code (at CODE) and start state in both machines: flat 32-bit
 * protected mode at CPL 0, ESP = STACK, the other registers DATA + 0x1000 *
 * (number + 1), EFLAGS 2 | eflags; exceptions stop the run.
 */
void pair_load(struct pair *p, const void *code, size_t len, uint32_t eflags);

/* The same bytes at guest-physical `addr` in both machines. */
void pair_write(struct pair *p, uint32_t addr, const void *bytes, size_t len);

/* cpu_fixture_paging_with_hole in both machines. */
void pair_paging_with_hole(struct pair *p, uint32_t hole);

/* Run both (up to `budget`); everything must agree. Returns the exit. */
enum cpu_exit pair_run(struct pair *p, uint64_t budget);

/* Tier 1's counters. */
const struct translator_stats *pair_t1_stats(struct pair *p);

/* Each test twice: with the host's optional instructions, and with the baseline's only. */
#define PAIR_ADD(path, fn, o, ob)                                                                  \
    do {                                                                                           \
        g_test_add("/tier1/" path, struct pair, o, pair_setup, fn, pair_teardown);                 \
        g_test_add("/tier1/baseline/" path, struct pair, ob, pair_setup, fn, pair_teardown);       \
    } while (0)

#endif
