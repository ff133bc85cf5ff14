/*
 * Tier 1 against tier 0: the same code run by a translator of each tier
 * from the same state must leave the same state — registers, all of
 * EFLAGS, EIP, memory, the exception and the instruction count — including
 * a page fault in the middle of a translated block, a division by zero in a
 * handler it calls, a write to the instruction right after the writer,
 * chain exits undone when their target is dropped, and a code buffer that
 * fills up. Each test also checks that tier 1 really ran host code.
 */
#include <glib.h>
#include <string.h>

#include "machine/memmap.h"
#include "tests/lib/cpu_fixture.h"
#include "translator/tcache.h"

#define CODE  0x10000u
#define STACK 0x80000u
#define DATA  0x30000u

/* The two machines: [0] tier 0, [1] tier 1 translating every block at once. */
struct pair {
    struct cpu_fixture f[2];
};

static void setup(struct pair *p, gconstpointer data)
{
    const size_t *code_size = data;
    for (unsigned k = 0; k < 2; k++) {
        struct translator_config cfg = translator_default_config();
        cfg.tier = k;
        cfg.hot_threshold = 0;
        if (code_size)
            cfg.code_size = *code_size;
        cpu_fixture_init_config(&p->f[k], 16, &cfg);
    }
}

static void teardown(struct pair *p, gconstpointer data)
{
    for (unsigned k = 0; k < 2; k++)
        cpu_fixture_destroy(&p->f[k]);
}

/* The same code and start state in both machines. */
static void load(struct pair *p, const void *code, size_t len, uint32_t eflags)
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

/* cpu_fixture_paging_with_hole in both machines. */
static void paging_with_hole(struct pair *p, uint32_t hole)
{
    for (unsigned k = 0; k < 2; k++)
        cpu_fixture_paging_with_hole(&p->f[k], hole);
}

/* Run both (up to `budget`); everything must agree. Returns the exit. */
static enum cpu_exit run_both(struct pair *p, uint64_t budget)
{
    enum cpu_exit why[2];
    for (unsigned k = 0; k < 2; k++)
        why[k] = cpu_fixture_run(&p->f[k], budget);
    const struct cpu *a = p->f[0].cpu, *b = p->f[1].cpu;
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
    g_assert_cmpmem(p->f[0].m.ram, 0x100000, p->f[1].m.ram, 0x100000);
    return why[0];
}

static const struct translator_stats *t1_stats(struct pair *p)
{
    return translator_stats(p->f[1].tr);
}

/* Arithmetic with flags carried across instructions and blocks, in a loop. */
static void test_loop_agrees(struct pair *p, gconstpointer data)
{
    /* mov ecx, 50; l: add eax, ecx; adc ebx, 0; rol edx, 3; xor [esi], eax; sub ecx, 1;
       jnz l; setc al; hlt */
    static const uint8_t code[] = {0xb9, 50,   0,    0,    0,    0x01, 0xc8, 0x83,
                                   0xd3, 0x00, 0xc1, 0xc2, 0x03, 0x31, 0x06, 0x83,
                                   0xe9, 0x01, 0x75, 0xf0, 0x0f, 0x92, 0xc0, 0xf4};
    load(p, code, sizeof(code), FL_CF);
    g_assert_cmpint(run_both(p, 10000), ==, CPU_EXIT_HLT);
    g_assert_cmpuint(t1_stats(p)->native_insns, >=, 6);
    g_assert_cmpuint(t1_stats(p)->chain_patches, >=, 1); /* the loop jumps to itself */
}

/* A budget that ends inside the loop stops both tiers at the same instruction. */
static void test_budget_agrees(struct pair *p, gconstpointer data)
{
    static const uint8_t code[] = {0x40, 0x43, 0xeb, 0xfc}; /* l: inc eax; inc ebx; jmp l */
    load(p, code, sizeof(code), 0);
    for (unsigned n = 1; n < 40; n += 7)
        g_assert_cmpint(run_both(p, n), ==, CPU_EXIT_BUDGET);
    g_assert_cmpint(run_both(p, 100000), ==, CPU_EXIT_BUDGET);
    g_assert_cmpuint(t1_stats(p)->exits[TR_EXIT_BUDGET], >=, 1);
}

/* A page fault on the third instruction of a translated block: the state of before it. */
static void test_pf_mid_block(struct pair *p, gconstpointer data)
{
    /* mov eax, 1; add ebx, eax; mov ecx, [0x31000]; inc eax; hlt */
    static const uint8_t code[] = {0xb8, 1,    0,    0,    0, 0x01, 0xc3, 0x8b,
                                   0x0d, 0x00, 0x10, 0x03, 0, 0x40, 0xf4};
    load(p, code, sizeof(code), FL_ZF | FL_OF);
    paging_with_hole(p, 0x31000);
    g_assert_cmpint(run_both(p, 1000), ==, CPU_EXIT_EXCEPTION);
    const struct cpu *cpu = p->f[1].cpu;
    g_assert_cmpuint(cpu->exception_vector, ==, 14);
    g_assert_cmphex(cpu->eip, ==, CODE + 7);
    g_assert_cmphex(cpu->cr[2], ==, 0x31000);
    g_assert_cmpuint(cpu->instructions, ==, 2);
    g_assert_cmpuint(t1_stats(p)->exits[TR_EXIT_EXCEPTION], ==, 1);
}

/* A store that faults after a flag-setting instruction: flags of before the store survive. */
static void test_pf_store_keeps_flags(struct pair *p, gconstpointer data)
{
    /* cmp eax, ebx; mov [0x31004], eax; hlt */
    static const uint8_t code[] = {0x39, 0xd8, 0xa3, 0x04, 0x10, 0x03, 0x00, 0xf4};
    load(p, code, sizeof(code), 0);
    paging_with_hole(p, 0x31000);
    g_assert_cmpint(run_both(p, 1000), ==, CPU_EXIT_EXCEPTION);
    g_assert_cmphex(p->f[1].cpu->eflags & (FL_CF | FL_SF), ==, FL_CF | FL_SF);
}

/* #DE raised by a handler called from host code. */
static void test_div_by_zero(struct pair *p, gconstpointer data)
{
    /* add eax, ebx; xor edx, edx; xor ecx, ecx; div ecx; hlt */
    static const uint8_t code[] = {0x01, 0xd8, 0x31, 0xd2, 0x31, 0xc9, 0xf7, 0xf1, 0xf4};
    load(p, code, sizeof(code), 0);
    g_assert_cmpint(run_both(p, 1000), ==, CPU_EXIT_EXCEPTION);
    g_assert_cmpuint(p->f[1].cpu->exception_vector, ==, 0);
    g_assert_cmphex(p->f[1].cpu->eip, ==, CODE + 6);
}

/* A write to the next instruction's immediate: the next instruction runs the new byte. */
static void test_write_next_insn(struct pair *p, gconstpointer data)
{
    /* inc ebx; mov byte [CODE + 11], 0x42; mov al, 0; hlt */
    uint8_t code[] = {0x43, 0xc6, 0x05, 0, 0, 0, 0, 0x42, 0x90, 0x90, 0xb0, 0x00, 0xf4};
    uint32_t target = CODE + 11;
    memcpy(code + 3, &target, 4);
    load(p, code, sizeof(code), 0);
    g_assert_cmpint(run_both(p, 1000), ==, CPU_EXIT_HLT);
    g_assert_cmphex(p->f[1].cpu->regs[R_EAX] & 0xff, ==, 0x42);
    g_assert_cmpuint(t1_stats(p)->exits[TR_EXIT_SMC], >=, 1);
}

/* A chained target rewritten by a device: the chain exit is undone, the new code runs. */
static void test_chain_undone_on_drop(struct pair *p, gconstpointer data)
{
    /* CODE: mov ecx, 20; l: inc eax; jmp t; t (CODE+0x40): add ebx, 2; dec ecx; jnz l; hlt */
    uint8_t code[0x48];
    memset(code, 0x90, sizeof(code));
    static const uint8_t head[] = {0xb9, 20, 0, 0, 0, 0x40, 0xeb, 0x38};
    static const uint8_t tail[] = {0x83, 0xc3, 0x02, 0x49, 0x75, 0xc0, 0xf4};
    memcpy(code, head, sizeof(head));
    memcpy(code + 0x40, tail, sizeof(tail));
    load(p, code, sizeof(code), 0);
    g_assert_cmpint(run_both(p, 10000), ==, CPU_EXIT_HLT);
    uint64_t patches = t1_stats(p)->chain_patches;
    g_assert_cmpuint(patches, >=, 2);
    /* A device makes it add 3: the linked blocks must not run the old code. */
    for (unsigned k = 0; k < 2; k++) {
        uint8_t three = 3;
        memmap_write_buf(&p->f[k].m.mem, CODE + 0x42, &three, 1);
        p->f[k].cpu->eip = CODE;
        p->f[k].cpu->halted = false;
    }
    g_assert_cmpint(run_both(p, 10000), ==, CPU_EXIT_HLT);
    g_assert_cmpuint(tcache_stats(translator_tcache(p->f[1].tr))->dropped[TC_DROP_DMA], >=, 1);
    g_assert_cmpuint(t1_stats(p)->chain_patches, >, patches); /* linked again */
}

/* Calls, returns and the stack: a function with a frame, called in a loop. */
static void test_stack_ops(struct pair *p, gconstpointer data)
{
    /*
     *     mov ecx, 30
     * l:  push ecx; push 0x11223344; push byte -2; call f; add esp, 8; pop edi; dec ecx;
     *     jnz l; hlt
     * f:  push ebp; mov ebp, esp; mov eax, [ebp + 8]; add eax, [ebp + 12]; push esp; pop ebx;
     *     leave; ret 0
     */
    static const uint8_t code[] = {
        0xb9, 30,   0,    0,    0,    0x51, 0x68, 0x44, 0x33, 0x22, 0x11, 0x6a, 0xfe, 0xe8,
        0x08, 0,    0,    0,    0x83, 0xc4, 0x08, 0x5f, 0x49, 0x75, 0xec, 0xf4, 0x55, 0x89,
        0xe5, 0x8b, 0x45, 0x08, 0x03, 0x45, 0x0c, 0x54, 0x5b, 0xc9, 0xc2, 0x00, 0x00,
    };
    load(p, code, sizeof(code), 0);
    g_assert_cmpint(run_both(p, 10000), ==, CPU_EXIT_HLT);
    g_assert_cmphex(p->f[1].cpu->regs[R_ESP], ==, STACK);
    /* The 30 returns go straight to host code, but for the first ones (the loop learns where). */
    g_assert_cmpuint(t1_stats(p)->exits[TR_EXIT_INDIRECT], <, 5);
}

/* FS with a base (per-CPU data, thread-local storage): the base is added in host code. */
static void test_segment_base(struct pair *p, gconstpointer data)
{
    /* mov eax, fs:[ebx]; add fs:[ebx + 4], eax; mov ecx, fs:[0x10]; hlt */
    static const uint8_t code[] = {0x64, 0x8b, 0x03, 0x64, 0x01, 0x43, 0x04, 0x64,
                                   0x8b, 0x0d, 0x10, 0x00, 0x00, 0x00, 0xf4};
    load(p, code, sizeof(code), 0);
    for (unsigned k = 0; k < 2; k++) {
        cpu_set_segment(p->f[k].cpu, S_FS, 0x18, 0x2000, 0xffffffffu, 0xc093);
        uint32_t v[2] = {0x11111111, 0x22222222};
        memmap_write_buf(&p->f[k].m.mem, 0x2000 + p->f[k].cpu->regs[R_EBX], v, sizeof(v));
    }
    g_assert_cmpint(run_both(p, 1000), ==, CPU_EXIT_HLT);
    g_assert_cmphex(p->f[1].cpu->regs[R_EAX], ==, 0x11111111);
    g_assert_cmpuint(t1_stats(p)->native_insns, >=, 3);
    g_assert_cmpuint(t1_stats(p)->helper_insns, ==, 1); /* only the HLT */
}

/* A return target rewritten by a device: the return runs the new code, not the old. */
static void test_return_target_dropped(struct pair *p, gconstpointer data)
{
    /* mov ecx, 3; l: call f; inc eax; dec ecx; jnz l; hlt; f: ret */
    static const uint8_t code[] = {0xb9, 3, 0,    0,    0,    0xe8, 0x05, 0,
                                   0,    0, 0x40, 0x49, 0x75, 0xf7, 0xf4, 0xc3};
    load(p, code, sizeof(code), 0);
    g_assert_cmpint(run_both(p, 1000), ==, CPU_EXIT_HLT);
    uint32_t eax = p->f[1].cpu->regs[R_EAX], ebx = p->f[1].cpu->regs[R_EBX];
    for (unsigned k = 0; k < 2; k++) {
        uint8_t inc_ebx = 0x43;
        memmap_write_buf(&p->f[k].m.mem, CODE + 10, &inc_ebx, 1);
        p->f[k].cpu->eip = CODE;
        p->f[k].cpu->halted = false;
    }
    g_assert_cmpint(run_both(p, 1000), ==, CPU_EXIT_HLT);
    g_assert_cmpuint(p->f[1].cpu->regs[R_EAX], ==, eax);
    g_assert_cmpuint(p->f[1].cpu->regs[R_EBX], ==, ebx + 3);
}

/*
 * Jumps between pages are linked host to host, and stay right when the page
 * tables map the target page elsewhere: the guard sees the TLB flush.
 */
static void test_cross_page_jumps(struct pair *p, gconstpointer data)
{
    /* At CODE: mov ecx, 40; l: inc eax; jmp CODE+0x1000. At CODE+0x1000: add ebx, 2; dec ecx;
       jnz l (back in the first page); hlt. The same code with add ebx, 3 at 0x40000. */
    uint8_t code[0x1010];
    memset(code, 0x90, sizeof(code));
    static const uint8_t head[] = {0xb9, 40, 0, 0, 0, 0x40, 0xe9, 0xf5, 0x0f, 0, 0};
    static const uint8_t tail[] = {0x83, 0xc3, 0x02, 0x49, 0x0f, 0x85,
                                   0xfb, 0xef, 0xff, 0xff, 0xf4};
    memcpy(code, head, sizeof(head));
    memcpy(code + 0x1000, tail, sizeof(tail));
    load(p, code, sizeof(code), 0);
    paging_with_hole(p, 0x3ff000); /* identity, the hole out of the way */
    g_assert_cmpint(run_both(p, 100000), ==, CPU_EXIT_HLT);
    g_assert_cmpuint(t1_stats(p)->exits[TR_EXIT_CHAIN], <, 10); /* linked across the pages */
    uint32_t ebx = p->f[1].cpu->regs[R_EBX];
    for (unsigned k = 0; k < 2; k++) {
        struct cpu_fixture *f = &p->f[k];
        uint8_t other[sizeof(tail)];
        memcpy(other, tail, sizeof(tail));
        other[2] = 3;
        memmap_write_buf(&f->m.mem, 0x40000, other, sizeof(other));
        uint32_t pte = 0x40000 | 7; /* CODE+0x1000 now maps to 0x40000 */
        memmap_write_buf(&f->m.mem, 0x201000 + 4 * ((CODE + 0x1000) >> 12), &pte, 4);
        cpu_sync_control(f->cpu); /* as a CR3 load would: the TLB is flushed */
        f->cpu->eip = CODE;
        f->cpu->halted = false;
    }
    g_assert_cmpint(run_both(p, 100000), ==, CPU_EXIT_HLT);
    g_assert_cmpuint(p->f[1].cpu->regs[R_EBX], ==, ebx + 3 * 40);
}

/* A PUSH into a missing stack page faults with ESP as it was. */
static void test_push_faults(struct pair *p, gconstpointer data)
{
    /* mov esp, 0x32004; inc eax; push eax; push eax; push eax; hlt (0x31000 is missing) */
    static const uint8_t code[] = {0xbc, 0x04, 0x20, 0x03, 0x00, 0x40, 0x50, 0x50, 0x50, 0xf4};
    load(p, code, sizeof(code), FL_SF);
    paging_with_hole(p, 0x31000);
    g_assert_cmpint(run_both(p, 1000), ==, CPU_EXIT_EXCEPTION);
    g_assert_cmphex(p->f[1].cpu->regs[R_ESP], ==, 0x32000);
    g_assert_cmphex(p->f[1].cpu->eip, ==, CODE + 7); /* the second PUSH */
    g_assert_cmphex(p->f[1].cpu->cr[2], ==, 0x31ffc);
}

/* More host code than the buffer holds: flushed whole, the results stay right. */
static void test_code_buffer_full(struct pair *p, gconstpointer data)
{
    /* 3000 blocks of "add eax, ebx; inc edx; jmp next", then hlt. */
    enum { N = 3000, SIZE = 5 };
    static uint8_t code[N * SIZE + 1];
    for (unsigned i = 0; i < N; i++) {
        static const uint8_t b[] = {0x01, 0xd8, 0x42, 0xeb, 0x00};
        memcpy(code + i * SIZE, b, SIZE);
    }
    code[N * SIZE] = 0xf4;
    load(p, code, sizeof(code), 0);
    g_assert_cmpint(run_both(p, 100000), ==, CPU_EXIT_HLT);
    g_assert_cmpuint(p->f[1].cpu->regs[R_EDX], ==, p->f[0].cpu->regs[R_EDX]);
    g_assert_cmpuint(t1_stats(p)->flushes, >=, 1);
    /* A block whose translation met the full buffer ran in tier 0 that once. */
    g_assert_cmpuint(t1_stats(p)->blocks + t1_stats(p)->flushes, >=, N);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!translator_tier1_available()) {
        /* Said plainly: this host has no tier 1, so nothing here can run. */
        g_test_message("no tier 1 on this host: every block runs in tier 0");
        return 0;
    }
    static const size_t small = 64u << 10;
#define ADD(path, fn, d) g_test_add("/tier1/" path, struct pair, d, setup, fn, teardown)
    ADD("loop-agrees", test_loop_agrees, NULL);
    ADD("budget-agrees", test_budget_agrees, NULL);
    ADD("pf-mid-block", test_pf_mid_block, NULL);
    ADD("pf-store-keeps-flags", test_pf_store_keeps_flags, NULL);
    ADD("div-by-zero", test_div_by_zero, NULL);
    ADD("write-next-insn", test_write_next_insn, NULL);
    ADD("chain-undone-on-drop", test_chain_undone_on_drop, NULL);
    ADD("stack-ops", test_stack_ops, NULL);
    ADD("push-faults", test_push_faults, NULL);
    ADD("return-target-dropped", test_return_target_dropped, NULL);
    ADD("segment-base", test_segment_base, NULL);
    ADD("cross-page-jumps", test_cross_page_jumps, NULL);
    ADD("code-buffer-full", test_code_buffer_full, &small);
#undef ADD
    return g_test_run();
}
