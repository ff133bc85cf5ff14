/*
 * Tier 1's interface to the loop: a backend that turns a tier-0 block into
 * host code, runs it, and links host code block to block. One backend per
 * host architecture, chosen by meson (translator/x86_64/ on x86-64 hosts,
 * translator/tier1_none.c elsewhere).
 */
#ifndef POPEK_TRANSLATOR_TIER1_H
#define POPEK_TRANSLATOR_TIER1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct translator;
struct tb;
struct tier1;

/*
 * A chain exit of a translated block: which block and slot, where its jump
 * is, and the guard a jump to another page goes through (it leaves unless
 * the TLB is as it was when the jump was linked).
 */
struct t1_link {
    struct tb *from;
    unsigned slot;
    uint8_t *jump; /* the jmp rel32 instruction to patch */
    uint32_t target_eip;
    uint8_t *guard;      /* the guard's code */
    uint8_t *guard_gen;  /* its imm32: minus the TLB generation it holds for */
    uint8_t *guard_jump; /* its jmp rel32 to the target */
};

/* What tier1_enter returns: a chain exit, or a cause (enum tr_exit). */
struct t1_exit {
    const struct t1_link *link; /* non-NULL: left through this chain exit */
    int cause;                  /* enum tr_exit */
};

bool tier1_host_supported(void);
struct tier1 *tier1_create(struct translator *t, size_t code_size);
void tier1_destroy(struct tier1 *b);

/*
 * Translate `tb` (tier 0's block in its payload) under the CPU's current
 * state. False: it stays in tier 0 (not a mode or block tier 1 handles).
 * A full code buffer is flushed with every block (tcache_flush) first.
 */
bool tier1_translate(struct tier1 *b, struct tb *tb);

/* Run translated code from `tb` until it leaves; the guest state is in struct cpu after. */
struct t1_exit tier1_enter(struct tier1 *b, struct tb *tb);

/*
 * Point a chain exit's jump at `to`'s host code, or back at the exit (to ==
 * NULL). A target in another page (`generation` non-NULL) is reached
 * through the guard, for as long as the TLB's generation is *generation.
 */
void tier1_patch(struct tier1 *b, const struct t1_link *l, struct tb *to,
                 const uint32_t *generation);

#endif
