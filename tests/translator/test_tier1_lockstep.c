/*
 * Tier 1 against tier 0 in lockstep over random code: the differential
 * test's generator (tests/diff/gen.c) writes random sequences of 32-bit
 * instructions, and each runs in both tiers from the same state in
 * protected mode — with paging on or off, its data page present and
 * writable, read-only under CR0.WP, or not present (page faults in the
 * middle of blocks). Registers, EFLAGS, EIP, the exception and its error
 * code, CR2, the instruction count, the data page and low memory must
 * agree. The flags and register bits the SDM leaves undefined at the
 * point where the code stopped are masked: there tier 1's host
 * instructions and tier 0's handlers may each leave what they like.
 *
 * A mismatch prints the case's code (Capstone) and both states.
 * Options (before GTest's): --seed=N --cases=N.
 */
#include <capstone/capstone.h>
#include <stdlib.h>
#include <string.h>

#include "machine/memmap.h"
#include "tests/diff/gen.h"
#include "tests/translator/tier_pair.h"

#define SCRATCH  DIFF_SCRATCH_ADDR /* 4 MiB: the second page table maps it */
#define PD       0x200000u
#define PT_LOW   0x201000u
#define PT_HIGH  0x202000u
#define CR0_WP   0x00010000u
#define CR0_PG   0x80000000u
#define HLT_BYTE 0xf4

static uint64_t opt_seed = 0x6c6f636bull, opt_cases = 100000;

enum data_page { PAGE_OFF, PAGE_RW, PAGE_RO, PAGE_ABSENT };

/* Identity paging of the first 8 MiB; the data page as `how` says. */
static void paging(struct cpu_fixture *f, enum data_page how)
{
    uint32_t pde[2] = {PT_LOW | 7, PT_HIGH | 7};
    memcpy(f->m.ram + PD, pde, sizeof(pde));
    for (uint32_t i = 0; i < 2048; i++) {
        uint32_t page = i << 12, pte = page | 7;
        if (page == SCRATCH)
            pte = how == PAGE_ABSENT ? 0 : how == PAGE_RO ? (page | 5) : pte;
        memcpy(f->m.ram + PT_LOW + 4 * i, &pte, 4);
    }
    f->cpu->cr[3] = PD;
    f->cpu->cr[0] |= CR0_PG | CR0_WP;
    cpu_sync_control(f->cpu);
}

/* The undefined flags where the run stopped: at the end, or before the instruction at EIP. */
static uint32_t undefined_flags(const struct gen_case *c, uint32_t eip, bool ended)
{
    if (ended)
        return c->flags_undef;
    for (unsigned k = 0; k < c->ninsns; k++) {
        if (CODE + c->insn_off[k] == eip)
            return c->insn_undef[k];
    }
    return 0;
}

static void report(const struct gen_case *c, uint64_t id, struct pair *p)
{
    csh cs;
    g_test_message("lockstep case %" G_GUINT64_FORMAT " (--seed=%" G_GUINT64_FORMAT "):", id,
                   opt_seed);
    if (cs_open(CS_ARCH_X86, CS_MODE_32, &cs) == CS_ERR_OK) {
        cs_insn *insn = NULL;
        size_t n = cs_disasm(cs, c->code, c->code_len, CODE, 0, &insn);
        for (size_t i = 0; i < n; i++)
            g_test_message("  %08" PRIx64 ": %s %s", insn[i].address, insn[i].mnemonic,
                           insn[i].op_str);
        if (insn)
            cs_free(insn, n);
        cs_close(&cs);
    }
    for (unsigned k = 0; k < 2; k++) {
        const struct cpu *cpu = p->f[k].cpu;
        g_test_message("  tier %u: eax %08x ecx %08x edx %08x ebx %08x ebp %08x esi %08x edi %08x "
                       "eflags %08x eip %08x insns %" G_GUINT64_FORMAT
                       " vector %d error %x cr2 %08x",
                       k, cpu->regs[0], cpu->regs[1], cpu->regs[2], cpu->regs[3], cpu->regs[5],
                       cpu->regs[6], cpu->regs[7], cpu->eflags, cpu->eip, cpu->instructions,
                       cpu->exception_vector, cpu->exception_error, cpu->cr[2]);
    }
}

/* Both runs of case c agree (undefined bits masked); false after reporting a difference. */
static bool agree(const struct gen_case *c, uint64_t id, struct pair *p, enum cpu_exit why[2])
{
    const struct cpu *a = p->f[0].cpu, *b = p->f[1].cpu;
    bool ended = why[0] == CPU_EXIT_HLT;
    uint32_t undef = undefined_flags(c, a->eip, ended);
    bool same = why[0] == why[1] && a->eip == b->eip && a->instructions == b->instructions &&
                ((a->eflags ^ b->eflags) & ~undef) == 0 && a->cr[2] == b->cr[2];
    for (unsigned r = 0; r < 8; r++)
        same &= ((a->regs[r] ^ b->regs[r]) & ~(ended ? c->reg_undef[r] : 0)) == 0;
    if (why[0] == CPU_EXIT_EXCEPTION)
        same &=
            a->exception_vector == b->exception_vector && a->exception_error == b->exception_error;
    same &= memcmp(p->f[0].m.ram + SCRATCH, p->f[1].m.ram + SCRATCH, DIFF_SCRATCH_SIZE) == 0;
    same &= memcmp(p->f[0].m.ram, p->f[1].m.ram, PD) == 0;
    if (!same)
        report(c, id, p);
    return same;
}

static void test_random_code(struct pair *p, gconstpointer data)
{
    struct gen g;
    gen_init(&g, opt_seed, false);
    static struct gen_case c;
    unsigned faults = 0, host = 0, mismatches = 0;
    uint64_t insns = 0;
    for (uint64_t id = 0; id < opt_cases && mismatches < 4; id++) {
        gen_case_start(&g, &c);
        gen_random_sequence(&g, &c, 1 + gen_rng_below(&g.rng, GEN_MAX_UNITS));
        uint8_t code[DIFF_CODE_MAX + 1];
        memcpy(code, c.code, c.code_len);
        code[c.code_len] = HLT_BYTE;
        enum data_page how = (enum data_page)gen_rng_below(&g.rng, 8);
        if (how > PAGE_ABSENT)
            how = PAGE_RW;
        pair_load(p, code, c.code_len + 1, c.eflags);
        pair_write(p, SCRATCH, c.scratch, DIFF_SCRATCH_SIZE);
        enum cpu_exit why[2];
        uint64_t before = pair_t1_stats(p)->native_insns;
        for (unsigned k = 0; k < 2; k++) {
            struct cpu_fixture *f = &p->f[k];
            for (unsigned r = 0; r < 8; r++) {
                if (r != R_ESP)
                    f->cpu->regs[r] = c.regs[r];
            }
            f->cpu->instructions = 0;
            f->cpu->cr[2] = 0;
            if (how != PAGE_OFF)
                paging(f, how);
            why[k] = cpu_fixture_run(f, 100000);
        }
        if (!agree(&c, id, p, why))
            mismatches++;
        faults += why[0] == CPU_EXIT_EXCEPTION;
        host += pair_t1_stats(p)->native_insns != before;
        insns += p->f[0].cpu->instructions;
    }
    g_test_message("%" G_GUINT64_FORMAT " cases, %" G_GUINT64_FORMAT
                   " instructions, %u ended in an exception, %u translated",
                   opt_cases, insns, faults, host);
    g_assert_cmpuint(mismatches, ==, 0);
    /* The test tests something: tier 1 translated most cases, and some faulted. */
    g_assert_cmpuint(host, >=, opt_cases / 2);
    g_assert_cmpuint(faults, >=, opt_cases / 20);
}

/* --seed=N and --cases=N, taken out before GTest sees the arguments. */
static void parse_options(int *argc, char **argv)
{
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        if (g_str_has_prefix(argv[i], "--seed="))
            opt_seed = g_ascii_strtoull(argv[i] + 7, NULL, 0);
        else if (g_str_has_prefix(argv[i], "--cases="))
            opt_cases = g_ascii_strtoull(argv[i] + 8, NULL, 0);
        else
            argv[out++] = argv[i];
    }
    *argc = out;
}

int main(int argc, char **argv)
{
    parse_options(&argc, argv);
    g_test_init(&argc, &argv, NULL);
    if (!translator_tier1_available()) {
        g_test_message("no tier 1 on this host: every block runs in tier 0");
        return 0;
    }
    static const struct opts plain = {0}, baseline = {.baseline = true};
    PAIR_ADD("lockstep-random-code", test_random_code, &plain, &baseline);
    return g_test_run();
}
