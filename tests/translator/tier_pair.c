/*
 * Tier 1 against tier 0: the harness of tier_pair.h.
 */
#include "tests/translator/tier_pair.h"

#include <string.h>

#include "machine/memmap.h"

/* Whether the host has BMI2, which tier 1's frames need (x86 hosts only have tier 1). */
static bool host_has_bmi2(void)
{
#if defined(__x86_64__)
    return __builtin_cpu_supports("bmi2");
#else
    return false;
#endif
}

void pair_setup(struct pair *p, gconstpointer data)
{
    const struct opts *o = data;
    for (unsigned k = 0; k < 2; k++) {
        struct translator_config cfg = translator_default_config();
        cfg.tier = k;
        cfg.hot_threshold = 0;
        if (o->code_size)
            cfg.code_size = o->code_size;
        cfg.baseline_host = o->baseline;
        cpu_fixture_init_config(&p->f[k], 16, &cfg);
    }
    p->frames = !o->baseline && host_has_bmi2();
}

void pair_teardown(struct pair *p, gconstpointer data)
{
    for (unsigned k = 0; k < 2; k++)
        cpu_fixture_destroy(&p->f[k]);
}

void pair_load(struct pair *p, const void *code, size_t len, uint32_t eflags)
{
    for (unsigned k = 0; k < 2; k++) {
        struct cpu_fixture *f = &p->f[k];
        memmap_write_buf(&f->m.mem, CODE, code, len);
        cpu_fixture_flat32(f, CODE, STACK, 0);
        for (unsigned r = 0; r < 8; r++) {
            if (r != R_ESP)
                f->cpu->regs[r] = 0x1000u * (r + 1) + DATA;
        }
        f->cpu->eflags = 0x2 | eflags;
        f->cpu->stop_on_exception = true;
    }
}

void pair_write(struct pair *p, uint32_t addr, const void *bytes, size_t len)
{
    for (unsigned k = 0; k < 2; k++)
        memmap_write_buf(&p->f[k].m.mem, addr, bytes, len);
}

void pair_paging_with_hole(struct pair *p, uint32_t hole)
{
    for (unsigned k = 0; k < 2; k++)
        cpu_fixture_paging_with_hole(&p->f[k], hole);
}

static void x87_agree(struct cpu *a, struct cpu *b)
{
    struct cpu_x87_state x, y;
    cpu_x87_get(a, &x);
    cpu_x87_get(b, &y);
    g_assert_cmpmem(x.st, sizeof(x.st), y.st, sizeof(y.st));
    g_assert_cmphex(x.fctrl, ==, y.fctrl);
    g_assert_cmphex(x.fstat, ==, y.fstat);
    g_assert_cmphex(x.ftag, ==, y.ftag);
    g_assert_cmphex(x.fop, ==, y.fop);
    g_assert_cmphex(x.fiseg, ==, y.fiseg);
    g_assert_cmphex(x.fioff, ==, y.fioff);
    g_assert_cmphex(x.foseg, ==, y.foseg);
    g_assert_cmphex(x.fooff, ==, y.fooff);
}

enum cpu_exit pair_run(struct pair *p, uint64_t budget)
{
    enum cpu_exit why[2];
    for (unsigned k = 0; k < 2; k++)
        why[k] = cpu_fixture_run(&p->f[k], budget);
    struct cpu *a = p->f[0].cpu, *b = p->f[1].cpu;
    g_assert_cmpint(why[0], ==, why[1]);
    for (unsigned r = 0; r < 8; r++)
        g_assert_cmphex(a->regs[r], ==, b->regs[r]);
    g_assert_cmphex(a->eflags, ==, b->eflags);
    g_assert_cmphex(a->eip, ==, b->eip);
    g_assert_cmphex(a->cr[2], ==, b->cr[2]);
    g_assert_cmpuint(a->instructions, ==, b->instructions);
    if (why[0] == CPU_EXIT_EXCEPTION) {
        g_assert_cmpuint(a->exception_vector, ==, b->exception_vector);
        g_assert_cmphex(a->exception_error, ==, b->exception_error);
    }
    x87_agree(a, b);
    g_assert_cmpmem(p->f[0].m.ram, 0x100000, p->f[1].m.ram, 0x100000);
    return why[0];
}

const struct translator_stats *pair_t1_stats(struct pair *p)
{
    return translator_stats(p->f[1].tr);
}
