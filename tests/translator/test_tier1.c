/*
 * Tier 1 against tier 0: the same code run by a translator of each tier
 * from the same state must leave the same state — registers, all of
 * EFLAGS, EIP, memory, the exception and the instruction count — including
 * a page fault in the middle of a translated block, a division by zero in a
 * handler it calls, a write to the instruction right after the writer,
 * writes to the data bytes of a page holding code (done by host code),
 * chain exits undone when their target is dropped, a code buffer that
 * fills up, and host code going on after a segment load or STI. Each test
 * also checks that tier 1 really ran host code.
 */
#include <string.h>

#include "machine/memmap.h"
#include "tests/translator/tier_pair.h"
#include "translator/tcache.h"

/* Arithmetic with flags carried across instructions and blocks, in a loop. */
static void test_loop_agrees(struct pair *p, gconstpointer data)
{
    /* mov ecx, 50; l: add eax, ecx; adc ebx, 0; rol edx, 3; xor [esi], eax; sub ecx, 1;
       jnz l; setc al; hlt */
    static const uint8_t code[] = {0xb9, 50,   0,    0,    0,    0x01, 0xc8, 0x83,
                                   0xd3, 0x00, 0xc1, 0xc2, 0x03, 0x31, 0x06, 0x83,
                                   0xe9, 0x01, 0x75, 0xf0, 0x0f, 0x92, 0xc0, 0xf4};
    pair_load(p, code, sizeof(code), FL_CF);
    g_assert_cmpint(pair_run(p, 10000), ==, CPU_EXIT_HLT);
    g_assert_cmpuint(pair_t1_stats(p)->native_insns, >=, 6);
    g_assert_cmpuint(pair_t1_stats(p)->chain_patches, >=, 1); /* the loop jumps to itself */
}

/* A budget that ends inside the loop stops both tiers at the same instruction. */
static void test_budget_agrees(struct pair *p, gconstpointer data)
{
    static const uint8_t code[] = {0x40, 0x43, 0xeb, 0xfc}; /* l: inc eax; inc ebx; jmp l */
    pair_load(p, code, sizeof(code), 0);
    for (unsigned n = 1; n < 40; n += 7)
        g_assert_cmpint(pair_run(p, n), ==, CPU_EXIT_BUDGET);
    g_assert_cmpint(pair_run(p, 100000), ==, CPU_EXIT_BUDGET);
    g_assert_cmpuint(pair_t1_stats(p)->exits[TR_EXIT_BUDGET], >=, 1);
    /* A block that writes every flag before reading one: left at its entry, it shows the
       flags of before it all the same. l: add eax, 0x7fffffff; adc ebx, 0; jmp l */
    static const uint8_t dead[] = {0x05, 0xff, 0xff, 0xff, 0x7f, 0x83, 0xd3, 0x00, 0xeb, 0xf6};
    pair_load(p, dead, sizeof(dead), 0);
    for (unsigned n = 1; n < 60; n += 4)
        g_assert_cmpint(pair_run(p, n), ==, CPU_EXIT_BUDGET);
}

/* A page fault on the third instruction of a translated block: the state of before it. */
static void test_pf_mid_block(struct pair *p, gconstpointer data)
{
    /* mov eax, 1; add ebx, eax; mov ecx, [0x31000]; inc eax; hlt */
    static const uint8_t code[] = {0xb8, 1,    0,    0,    0, 0x01, 0xc3, 0x8b,
                                   0x0d, 0x00, 0x10, 0x03, 0, 0x40, 0xf4};
    pair_load(p, code, sizeof(code), FL_ZF | FL_OF);
    pair_paging_with_hole(p, 0x31000);
    g_assert_cmpint(pair_run(p, 1000), ==, CPU_EXIT_EXCEPTION);
    const struct cpu *cpu = p->f[1].cpu;
    g_assert_cmpuint(cpu->exception_vector, ==, 14);
    g_assert_cmphex(cpu->eip, ==, CODE + 7);
    g_assert_cmphex(cpu->cr[2], ==, 0x31000);
    g_assert_cmpuint(cpu->instructions, ==, 2);
    g_assert_cmpuint(pair_t1_stats(p)->exits[TR_EXIT_EXCEPTION], ==, 1);
}

/* A store that faults after a flag-setting instruction: flags of before the store survive. */
static void test_pf_store_keeps_flags(struct pair *p, gconstpointer data)
{
    /* cmp eax, ebx; mov [0x31004], eax; hlt */
    static const uint8_t code[] = {0x39, 0xd8, 0xa3, 0x04, 0x10, 0x03, 0x00, 0xf4};
    pair_load(p, code, sizeof(code), 0);
    pair_paging_with_hole(p, 0x31000);
    g_assert_cmpint(pair_run(p, 1000), ==, CPU_EXIT_EXCEPTION);
    g_assert_cmphex(p->f[1].cpu->eflags & (FL_CF | FL_SF), ==, FL_CF | FL_SF);
}

/*
 * Loads whose flags are dead (no instruction reads them before ADD writes them all) and then
 * a store that faults: the fault shows the flags TEST left, so the loads' lookups kept them.
 */
static void test_pf_after_dead_flags(struct pair *p, gconstpointer data)
{
    /* test ah, 0x88; mov ecx, [edi]; mov esi, [edi+4]; shl word [ebx], 9; add ax, 1; hlt */
    static const uint8_t code[] = {0xf6, 0xc4, 0x88, 0x8b, 0x0f, 0x8b, 0x77, 0x04, 0x66,
                                   0xc1, 0x23, 0x09, 0x66, 0x83, 0xc0, 0x01, 0xf4};
    pair_load(p, code, sizeof(code), 0);
    pair_paging_with_hole(p, DATA + 0x4000); /* EBX */
    g_assert_cmpint(pair_run(p, 1000), ==, CPU_EXIT_EXCEPTION);
    g_assert_cmphex(p->f[1].cpu->eip, ==, CODE + 8);
    g_assert_cmphex(p->f[1].cpu->eflags & (FL_ZF | FL_PF), ==, FL_ZF | FL_PF);
}

/* #DE raised by a handler called from host code. */
static void test_div_by_zero(struct pair *p, gconstpointer data)
{
    /* add eax, ebx; xor edx, edx; xor ecx, ecx; div ecx; hlt */
    static const uint8_t code[] = {0x01, 0xd8, 0x31, 0xd2, 0x31, 0xc9, 0xf7, 0xf1, 0xf4};
    pair_load(p, code, sizeof(code), 0);
    g_assert_cmpint(pair_run(p, 1000), ==, CPU_EXIT_EXCEPTION);
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
    pair_load(p, code, sizeof(code), 0);
    g_assert_cmpint(pair_run(p, 1000), ==, CPU_EXIT_HLT);
    g_assert_cmphex(p->f[1].cpu->regs[R_EAX] & 0xff, ==, 0x42);
    g_assert_cmpuint(pair_t1_stats(p)->exits[TR_EXIT_SMC], >=, 1);
}

/*
 * Code and data on one page: host code writes the data bytes itself (a
 * test of the page's code map, no call), with the guest's flags live across
 * the writes (ADD's carry read by ADC after them); a word write straddling a
 * data byte and the first code byte of a subroutine drops it every time.
 */
static void test_data_on_code_page(struct pair *p, gconstpointer data)
{
    uint8_t code[0x62] = {
        0xb9, 200,  0,    0, 0,                   /* mov ecx, 200 */
        0x01, 0xd8,                               /* l: add eax, ebx */
        0x89, 0x05, 0,    0, 0, 0,                /* mov [CODE + 0x80], eax */
        0x88, 0x15, 0,    0, 0, 0,                /* mov [CODE + 0x84], dl */
        0x83, 0xd2, 0x00,                         /* adc edx, 0 */
        0x66, 0x89, 0x35, 0, 0, 0, 0,             /* mov [CODE + 0x7e], si */
        0x66, 0xc7, 0x05, 0, 0, 0, 0, 0x90, 0x42, /* mov word [CODE + 0x5f], 0x4290 */
        0xe8, 0x35, 0,    0, 0,                   /* call CODE + 0x60 */
        0x49,                                     /* dec ecx */
        0x75, 0xd7,                               /* jnz l */
        0xf4,                                     /* hlt */
    };
    static const unsigned at[][2] = {{9, 0x80}, {15, 0x84}, {25, 0x7e}, {32, 0x5f}};
    for (unsigned k = 0; k < G_N_ELEMENTS(at); k++) {
        uint32_t a = CODE + at[k][1];
        memcpy(code + at[k][0], &a, 4);
    }
    code[0x60] = 0x42; /* inc edx */
    code[0x61] = 0xc3; /* ret */
    pair_load(p, code, sizeof(code), 0);
    for (unsigned k = 0; k < 2; k++)
        p->f[k].cpu->regs[R_EBX] = 0x9abcdef1;
    g_assert_cmpint(pair_run(p, 100000), ==, CPU_EXIT_HLT);
    const struct smmu_stats *ms = smmu_get_stats(p->f[1].mmu);
    /* The first straddling write comes before the subroutine was ever decoded: data then. */
    g_assert_cmpuint(ms->watch_data_writes, ==, 3 * 200 + 1);
    g_assert_cmpuint(ms->watch_data_writes_generated, >=, 3 * 200 - 3);
    g_assert_cmpuint(ms->watch_code_writes, ==, 199);
    g_assert_cmpuint(tcache_stats(translator_tcache(p->f[1].tr))->dropped[TC_DROP_WRITE], ==, 199);
    g_assert_cmpuint(smmu_get_stats(p->f[0].mmu)->watch_data_writes_generated, ==, 0);
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
    pair_load(p, code, sizeof(code), 0);
    g_assert_cmpint(pair_run(p, 10000), ==, CPU_EXIT_HLT);
    uint64_t patches = pair_t1_stats(p)->chain_patches;
    g_assert_cmpuint(patches, >=, 2);
    /* A device makes it add 3: the linked blocks must not run the old code. */
    for (unsigned k = 0; k < 2; k++) {
        uint8_t three = 3;
        memmap_write_buf(&p->f[k].m.mem, CODE + 0x42, &three, 1);
        p->f[k].cpu->eip = CODE;
        p->f[k].cpu->halted = false;
    }
    g_assert_cmpint(pair_run(p, 10000), ==, CPU_EXIT_HLT);
    g_assert_cmpuint(tcache_stats(translator_tcache(p->f[1].tr))->dropped[TC_DROP_DMA], >=, 1);
    g_assert_cmpuint(pair_t1_stats(p)->chain_patches, >, patches); /* linked again */
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
    pair_load(p, code, sizeof(code), 0);
    g_assert_cmpint(pair_run(p, 10000), ==, CPU_EXIT_HLT);
    g_assert_cmphex(p->f[1].cpu->regs[R_ESP], ==, STACK);
    /* The 30 returns go straight to host code, but for the first ones (the loop learns where). */
    g_assert_cmpuint(pair_t1_stats(p)->exits[TR_EXIT_INDIRECT], <, 5);
}

/* FS with a base (per-CPU data, thread-local storage): the base is added in host code. */
static void test_segment_base(struct pair *p, gconstpointer data)
{
    /* mov eax, fs:[ebx]; add fs:[ebx + 4], eax; mov ecx, fs:[0x10]; hlt */
    static const uint8_t code[] = {0x64, 0x8b, 0x03, 0x64, 0x01, 0x43, 0x04, 0x64,
                                   0x8b, 0x0d, 0x10, 0x00, 0x00, 0x00, 0xf4};
    pair_load(p, code, sizeof(code), 0);
    for (unsigned k = 0; k < 2; k++) {
        cpu_set_segment(p->f[k].cpu, S_FS, 0x18, 0x2000, 0xffffffffu, 0xc093);
        uint32_t v[2] = {0x11111111, 0x22222222};
        memmap_write_buf(&p->f[k].m.mem, 0x2000 + p->f[k].cpu->regs[R_EBX], v, sizeof(v));
    }
    g_assert_cmpint(pair_run(p, 1000), ==, CPU_EXIT_HLT);
    g_assert_cmphex(p->f[1].cpu->regs[R_EAX], ==, 0x11111111);
    g_assert_cmpuint(pair_t1_stats(p)->native_insns, >=, 3);
    g_assert_cmpuint(pair_t1_stats(p)->helper_insns, ==, 1); /* only the HLT */
}

/*
 * Host code made under one thread's segments runs under another's: a
 * kernel's code with FS at another per-CPU base and GS loaded or null
 * (each thread has its own) is entered as it is, not sent back to tier 0.
 */
static void test_other_thread_segments(struct pair *p, gconstpointer data)
{
    /* l: mov eax, fs:[ebx]; add edx, eax; dec ecx; jnz l; hlt */
    static const uint8_t code[] = {0x64, 0x8b, 0x03, 0x01, 0xc2, 0x49, 0x75, 0xf7, 0xf4};
    pair_load(p, code, sizeof(code), 0);
    for (unsigned k = 0; k < 2; k++) {
        uint32_t v[2] = {0x11111111, 0x22222222};
        memmap_write_buf(&p->f[k].m.mem, p->f[k].cpu->regs[R_EBX], v, 4);
        memmap_write_buf(&p->f[k].m.mem, 0x2000 + p->f[k].cpu->regs[R_EBX], v + 1, 4);
        cpu_set_segment(p->f[k].cpu, S_GS, 0, 0, 0, 0); /* null */
        p->f[k].cpu->regs[R_ECX] = 20;
    }
    g_assert_cmpint(pair_run(p, 1000), ==, CPU_EXIT_HLT);
    g_assert_cmphex(p->f[1].cpu->regs[R_EDX], ==, (uint32_t)(0x33000u + 20u * 0x11111111u));
    uint64_t blocks = pair_t1_stats(p)->blocks, entries = pair_t1_stats(p)->entries;
    for (unsigned k = 0; k < 2; k++) { /* the other thread: FS at 0x2000, GS loaded */
        cpu_set_segment(p->f[k].cpu, S_FS, 0x18, 0x2000, 0xffffffffu, 0xc093);
        cpu_set_segment(p->f[k].cpu, S_GS, 0x33, 0x7000, 0xffffffffu, 0xc0f3);
        p->f[k].cpu->halted = false;
        p->f[k].cpu->eip = CODE;
        p->f[k].cpu->regs[R_ECX] = 20;
        p->f[k].cpu->regs[R_EDX] = 0;
    }
    g_assert_cmpint(pair_run(p, 1000), ==, CPU_EXIT_HLT);
    g_assert_cmphex(p->f[1].cpu->regs[R_EDX], ==, 20u * 0x22222222u);
    g_assert_cmpuint(pair_t1_stats(p)->blocks, ==, blocks); /* nothing translated again */
    g_assert_cmpuint(pair_t1_stats(p)->entries, >, entries);
}

/*
 * A segment load that changes what host code was entered under (FS loaded
 * with a flat segment, then with null) goes straight on to the next
 * block's host code instead of leaving for the loop each time.
 */
static void test_segment_load_goes_on(struct pair *p, gconstpointer data)
{
    /* mov ecx, 50; l: mov fs, ax; add esi, 1; mov fs, dx; dec ecx; jnz l; hlt */
    static const uint8_t code[] = {0xb9, 50,   0,    0,    0,    0x8e, 0xe0, 0x83,
                                   0xc6, 0x01, 0x8e, 0xe2, 0x49, 0x75, 0xf6, 0xf4};
    pair_load(p, code, sizeof(code), 0);
    for (unsigned k = 0; k < 2; k++) {
        cpu_fixture_tables(&p->f[k], 0x21000, 0x20000);
        p->f[k].cpu->regs[R_EAX] = 0x10; /* the flat data segment */
        p->f[k].cpu->regs[R_EDX] = 0;
    }
    uint32_t esi = p->f[1].cpu->regs[R_ESI];
    g_assert_cmpint(pair_run(p, 10000), ==, CPU_EXIT_HLT);
    g_assert_cmphex(p->f[1].cpu->regs[R_ESI], ==, esi + 50);
    g_assert_cmpuint(pair_t1_stats(p)->go_ons, >=, 90);
    g_assert_cmpuint(pair_t1_stats(p)->entries, <, 10);
}

/* An interrupt line a test raises by hand (vector 0x40). */
static bool line_pending(void *opaque)
{
    return *(bool *)opaque;
}

static uint8_t line_ack(void *opaque)
{
    *(bool *)opaque = false;
    return 0x40;
}

/*
 * The interrupt shadow after STI: host code goes on past it when no
 * interrupt waits, but when it leaves before the next instruction has run
 * (the run's budget ends right after STI) the shadow is still on for the
 * loop. An interrupt raised then is taken after the INC, as in tier 0.
 */
static void test_sti_shadow(struct pair *p, gconstpointer data)
{
    enum { HANDLER = CODE + 0x100 };
    /* cli; sti; inc eax; inc eax; hlt — handler: mov esi, eax; hlt */
    uint8_t code[0x103] = {0xfa, 0xfb, 0x40, 0x40, 0xf4};
    memcpy(code + 0x100, "\x89\xc6\xf4", 3);
    pair_load(p, code, sizeof(code), 0);
    bool line[2] = {false, false};
    for (unsigned k = 0; k < 2; k++) {
        cpu_fixture_tables(&p->f[k], 0x21000, 0x20000);
        cpu_fixture_gate(&p->f[k], 0x40, HANDLER);
        p->f[k].cpu->irq = (struct cpu_irq_source){line_pending, line_ack, &line[k]};
        p->f[k].cpu->regs[R_EAX] = 0;
    }
    g_assert_cmpint(pair_run(p, 2), ==, CPU_EXIT_BUDGET); /* CLI, STI */
    g_assert_cmpuint(pair_t1_stats(p)->entries, ==, 1);
    line[0] = line[1] = true;
    g_assert_cmpint(pair_run(p, 100), ==, CPU_EXIT_HLT);
    g_assert_cmphex(p->f[1].cpu->eip, ==, HANDLER + 3);
    g_assert_cmphex(p->f[1].cpu->regs[R_ESI], ==, 1); /* after the first INC */
    for (unsigned k = 0; k < 2; k++)
        p->f[k].cpu->irq = (struct cpu_irq_source){0};
}

/* A return target rewritten by a device: the return runs the new code, not the old. */
static void test_return_target_dropped(struct pair *p, gconstpointer data)
{
    /* mov ecx, 3; l: call f; inc eax; dec ecx; jnz l; hlt; f: ret */
    static const uint8_t code[] = {0xb9, 3, 0,    0,    0,    0xe8, 0x05, 0,
                                   0,    0, 0x40, 0x49, 0x75, 0xf7, 0xf4, 0xc3};
    pair_load(p, code, sizeof(code), 0);
    g_assert_cmpint(pair_run(p, 1000), ==, CPU_EXIT_HLT);
    uint32_t eax = p->f[1].cpu->regs[R_EAX], ebx = p->f[1].cpu->regs[R_EBX];
    for (unsigned k = 0; k < 2; k++) {
        uint8_t inc_ebx = 0x43;
        memmap_write_buf(&p->f[k].m.mem, CODE + 10, &inc_ebx, 1);
        p->f[k].cpu->eip = CODE;
        p->f[k].cpu->halted = false;
    }
    g_assert_cmpint(pair_run(p, 1000), ==, CPU_EXIT_HLT);
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
    pair_load(p, code, sizeof(code), 0);
    pair_paging_with_hole(p, 0x3ff000); /* identity, the hole out of the way */
    g_assert_cmpint(pair_run(p, 100000), ==, CPU_EXIT_HLT);
    g_assert_cmpuint(pair_t1_stats(p)->exits[TR_EXIT_CHAIN], <, 10); /* linked across the pages */
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
    g_assert_cmpint(pair_run(p, 100000), ==, CPU_EXIT_HLT);
    g_assert_cmpuint(p->f[1].cpu->regs[R_EBX], ==, ebx + 3 * 40);
}

/*
 * Indirect jumps and calls (a switch through a table, a call through a
 * register and through memory) go from host code to host code.
 *
 *     mov ecx, 100
 * l:  mov eax, ecx; and eax, 3; jmp [table + eax * 4]
 * c0: add edx, 1; jmp n       c1: add edx, 10; jmp n
 * c2: call ebx; jmp n         c3: call [esi]; jmp n
 * n:  dec ecx; jnz l; hlt
 * f:  add edi, 7; ret
 */
static void test_indirect_jumps(struct pair *p, gconstpointer data)
{
    enum { TABLE = CODE + 0x100, POINTER = CODE + 0x120 };
    uint8_t code[0x124] = {
        0xb9, 100,  0,    0,    0,    0x89, 0xc8, 0x83, 0xe0, 0x03, 0xff, 0x24, 0x85, 0,    0,
        0,    0,    0x83, 0xc2, 0x01, 0xeb, 0x0d, 0x83, 0xc2, 0x0a, 0xeb, 0x08, 0xff, 0xd3, 0xeb,
        0x04, 0xff, 0x16, 0xeb, 0x00, 0x49, 0x75, 0xdf, 0xf4, 0x83, 0xc7, 0x07, 0xc3,
    };
    const uint32_t table = TABLE, targets[4] = {CODE + 17, CODE + 22, CODE + 27, CODE + 31},
                   f = CODE + 39;
    memcpy(code + 13, &table, 4);
    memcpy(code + 0x100, targets, sizeof(targets));
    memcpy(code + 0x120, &f, 4);
    pair_load(p, code, sizeof(code), 0);
    uint32_t edx = p->f[1].cpu->regs[R_EDX], edi = p->f[1].cpu->regs[R_EDI];
    for (unsigned k = 0; k < 2; k++) {
        p->f[k].cpu->regs[R_EBX] = f;
        p->f[k].cpu->regs[R_ESI] = POINTER;
    }
    g_assert_cmpint(pair_run(p, 100000), ==, CPU_EXIT_HLT);
    g_assert_cmphex(p->f[1].cpu->regs[R_EDX], ==, edx + 25 * 1 + 25 * 10);
    g_assert_cmphex(p->f[1].cpu->regs[R_EDI], ==, edi + 50 * 7);
    g_assert_cmphex(p->f[1].cpu->regs[R_ESP], ==, STACK);
    /* Each target is missed once or twice while the loop learns where it is. */
    g_assert_cmpuint(pair_t1_stats(p)->exits[TR_EXIT_INDIRECT], <, 16);
}

/*
 * Returns stay host code to host code while code goes back and forth
 * between segment states (a kernel entered from user code and left again):
 * each state keeps its return targets.
 *
 *     mov ecx, 20
 * l:  mov eax, 0x10; mov fs, ax; call f; xor eax, eax; mov fs, ax; call f; dec ecx; jnz l; hlt
 * f:  inc edx; ret
 */
static void test_returns_across_segment_states(struct pair *p, gconstpointer data)
{
    enum { GDT = 0x21000, IDT = 0x22000 };
    static const uint8_t code[] = {0xb9, 20,   0,    0, 0,    0xb8, 0x10, 0,    0,    0,    0x8e,
                                   0xe0, 0xe8, 0x0d, 0, 0,    0,    0x31, 0xc0, 0x8e, 0xe0, 0xe8,
                                   0x04, 0,    0,    0, 0x49, 0x75, 0xe8, 0xf4, 0x42, 0xc3};
    pair_load(p, code, sizeof(code), 0);
    for (unsigned k = 0; k < 2; k++)
        cpu_fixture_tables(&p->f[k], GDT, IDT);
    uint32_t edx = p->f[1].cpu->regs[R_EDX];
    g_assert_cmpint(pair_run(p, 10000), ==, CPU_EXIT_HLT);
    g_assert_cmphex(p->f[1].cpu->regs[R_EDX], ==, edx + 40);
    /* The first returns in each state miss; the other 36 or so go straight on. */
    g_assert_cmpuint(pair_t1_stats(p)->exits[TR_EXIT_INDIRECT], <, 8);
}

/*
 * Transfers to the very next instruction whose accesses miss the TLB (the
 * handler runs them): CALL next; POP EBX (position-independent code) and a
 * JMP through memory to the next instruction.
 *
 *     call n; n: pop ebx; jmp [esi]; hlt
 */
static void test_transfer_to_next(struct pair *p, gconstpointer data)
{
    static const uint8_t code[] = {0xe8, 0, 0, 0, 0, 0x5b, 0xff, 0x26, 0xf4};
    pair_load(p, code, sizeof(code), 0);
    const uint32_t to = CODE + 8;
    for (unsigned k = 0; k < 2; k++) {
        memmap_write_buf(&p->f[k].m.mem, 0x37000, &to, 4);
        p->f[k].cpu->regs[R_ESI] = 0x37000;
    }
    g_assert_cmpint(pair_run(p, 1000), ==, CPU_EXIT_HLT);
    g_assert_cmphex(p->f[1].cpu->regs[R_EBX], ==, CODE + 5);
    g_assert_cmphex(p->f[1].cpu->regs[R_ESP], ==, STACK);
    g_assert_cmpuint(p->f[1].cpu->instructions, ==, 4);
}

/* CALL through a missing page, and CALL with the stack in a missing page: precise faults. */
static void test_indirect_call_faults(struct pair *p, gconstpointer data)
{
    /* inc eax; call [esi]; hlt */
    static const uint8_t through[] = {0x40, 0xff, 0x16, 0xf4};
    pair_load(p, through, sizeof(through), FL_CF);
    pair_paging_with_hole(p, 0x31000);
    for (unsigned k = 0; k < 2; k++)
        p->f[k].cpu->regs[R_ESI] = 0x31ffe;
    g_assert_cmpint(pair_run(p, 1000), ==, CPU_EXIT_EXCEPTION);
    g_assert_cmphex(p->f[1].cpu->eip, ==, CODE + 1);
    g_assert_cmphex(p->f[1].cpu->cr[2], ==, 0x31ffe);

    /* inc eax; call ebx; hlt — ESP at the end of the missing page */
    static const uint8_t push[] = {0x40, 0xff, 0xd3, 0xf4};
    pair_load(p, push, sizeof(push), FL_CF);
    pair_paging_with_hole(p, 0x31000);
    for (unsigned k = 0; k < 2; k++) {
        p->f[k].cpu->regs[R_EBX] = CODE + 3;
        p->f[k].cpu->regs[R_ESP] = 0x32000;
    }
    g_assert_cmpint(pair_run(p, 1000), ==, CPU_EXIT_EXCEPTION);
    g_assert_cmphex(p->f[1].cpu->eip, ==, CODE + 1);
    g_assert_cmphex(p->f[1].cpu->regs[R_ESP], ==, 0x32000);
    g_assert_cmphex(p->f[1].cpu->cr[2], ==, 0x31ffc);
}

/* A PUSH into a missing stack page faults with ESP as it was. */
static void test_push_faults(struct pair *p, gconstpointer data)
{
    /* mov esp, 0x32004; inc eax; push eax; push eax; push eax; hlt (0x31000 is missing) */
    static const uint8_t code[] = {0xbc, 0x04, 0x20, 0x03, 0x00, 0x40, 0x50, 0x50, 0x50, 0xf4};
    pair_load(p, code, sizeof(code), FL_SF);
    pair_paging_with_hole(p, 0x31000);
    g_assert_cmpint(pair_run(p, 1000), ==, CPU_EXIT_EXCEPTION);
    g_assert_cmphex(p->f[1].cpu->regs[R_ESP], ==, 0x32000);
    g_assert_cmphex(p->f[1].cpu->eip, ==, CODE + 7); /* the second PUSH */
    g_assert_cmphex(p->f[1].cpu->cr[2], ==, 0x31ffc);
}

/*
 * A function with a stack frame, called in a loop: its accesses through ESP
 * and EBP are checked once per block (frames); at `esp` the stack is
 * wherever the test puts it — one page, or straddling two.
 *
 *     mov esp, ESP; mov ecx, 40
 * l:  push ecx; push 7; call f; add esp, 8; dec ecx; jnz l; hlt
 * f:  push ebp; mov ebp, esp; sub esp, 12; mov eax, [ebp + 8]; mov [ebp - 4], eax;
 *     add [ebp - 8], eax; add eax, [ebp + 12]; mov [esp], eax; push ebx; pop ebx;
 *     mov edx, [ebp - 4]; leave; ret
 */
static void run_frames(struct pair *p, uint32_t esp)
{
    uint8_t code[] = {
        0xbc, 0,    0,    0,    0,    0xb9, 40,   0,    0,    0,    0x51, 0x6a, 0x07, 0xe8,
        0x07, 0,    0,    0,    0x83, 0xc4, 0x08, 0x49, 0x75, 0xf2, 0xf4, 0x55, 0x89, 0xe5,
        0x83, 0xec, 0x0c, 0x8b, 0x45, 0x08, 0x89, 0x45, 0xfc, 0x01, 0x45, 0xf8, 0x03, 0x45,
        0x0c, 0x89, 0x04, 0x24, 0x53, 0x5b, 0x8b, 0x55, 0xfc, 0xc9, 0xc3,
    };
    memcpy(code + 1, &esp, 4);
    pair_load(p, code, sizeof(code), 0);
    g_assert_cmpint(pair_run(p, 100000), ==, CPU_EXIT_HLT);
    g_assert_cmphex(p->f[1].cpu->regs[R_ESP], ==, esp);
    if (p->frames) /* f's first block and the loop's */
        g_assert_cmpuint(pair_t1_stats(p)->frame_blocks, >=, 2);
    else
        g_assert_cmpuint(pair_t1_stats(p)->frame_blocks, ==, 0);
}

static void test_frames(struct pair *p, gconstpointer data)
{
    run_frames(p, 0x7f800);
}

/*
 * Frames of any base register (a structure through EAX), and a register a
 * handler moves without naming it (SCASB's EDI) leaving its frame.
 *
 *     mov ecx, 30
 * l:  mov esi, [eax]; add [eax + 8], ecx; mov edx, [edi]; scasb; mov [edi + 4], edx;
 *     cmp [eax + 0x14], ecx; dec ecx; jnz l; hlt
 */
static void test_frames_any_register(struct pair *p, gconstpointer data)
{
    static const uint8_t code[] = {0xb9, 30,   0,    0,    0,    0x8b, 0x30, 0x01,
                                   0x48, 0x08, 0x8b, 0x17, 0xae, 0x89, 0x57, 0x04,
                                   0x39, 0x48, 0x14, 0x49, 0x75, 0xef, 0xf4};
    pair_load(p, code, sizeof(code), 0);
    uint8_t pattern[0x1100];
    for (unsigned i = 0; i < sizeof(pattern); i++)
        pattern[i] = (uint8_t)(i * 13 + 7);
    for (unsigned k = 0; k < 2; k++) {
        memmap_write_buf(&p->f[k].m.mem, 0x31000, pattern, sizeof(pattern));
        p->f[k].cpu->regs[R_EAX] = 0x30800;
        p->f[k].cpu->regs[R_EDI] = 0x31ff0; /* EDI's accesses come to cross a page */
    }
    g_assert_cmpint(pair_run(p, 10000), ==, CPU_EXIT_HLT);
    g_assert_cmphex(p->f[1].cpu->regs[R_EDI], ==, 0x31ff0 + 30);
    if (p->frames)
        g_assert_cmpuint(pair_t1_stats(p)->frame_blocks, >=, 1);
}

/* The same frame across a page boundary: the plain body runs, with the same results. */
static void test_frame_straddles_pages(struct pair *p, gconstpointer data)
{
    run_frames(p, 0x7f00c);
}

/*
 * A frame that comes to straddle into a missing page, once the TLB holds
 * its first page: the check at the block's entry fails, and the fault
 * comes precisely at the access.
 *
 * l: mov eax, [ebp - 4]; inc eax; mov [ebp + 4], eax; add ebp, 4; dec ecx; jnz l; hlt
 */
static void test_frame_faults(struct pair *p, gconstpointer data)
{
    static const uint8_t code[] = {0x8b, 0x45, 0xfc, 0x40, 0x89, 0x45, 0x04,
                                   0x83, 0xc5, 0x04, 0x49, 0x75, 0xf3, 0xf4};
    pair_load(p, code, sizeof(code), FL_ZF);
    pair_paging_with_hole(p, 0x31000);
    for (unsigned k = 0; k < 2; k++) {
        p->f[k].cpu->regs[R_EBP] = 0x30ff0;
        p->f[k].cpu->regs[R_ECX] = 10;
    }
    g_assert_cmpint(pair_run(p, 1000), ==, CPU_EXIT_EXCEPTION);
    g_assert_cmphex(p->f[1].cpu->eip, ==, CODE + 4);
    g_assert_cmphex(p->f[1].cpu->cr[2], ==, 0x31000);
    g_assert_cmphex(p->f[1].cpu->regs[R_EBP], ==, 0x30ffc);
}

/*
 * Frame writes into code that has run as host code: the page is watched,
 * so the frame's check fails and the writes drop the code they change.
 *
 *     mov ecx, 3
 * l:  call b; mov eax, [ebp]; mov [ebp + 4], ebx; dec ecx; jnz l; hlt
 * b:  inc edx; inc edx; inc edx; inc edx; ret   (rewritten from EBX: INC EBX...)
 */
static void test_frame_on_code_page(struct pair *p, gconstpointer data)
{
    static const uint8_t code[] = {0xb9, 3,    0,    0,    0,    0xe8, 0x0a, 0,    0,
                                   0,    0x8b, 0x45, 0x00, 0x89, 0x5d, 0x04, 0x49, 0x75,
                                   0xf2, 0xf4, 0x42, 0x42, 0x42, 0x42, 0xc3};
    pair_load(p, code, sizeof(code), 0);
    for (unsigned k = 0; k < 2; k++) {
        p->f[k].cpu->regs[R_EBP] = CODE + 16;
        p->f[k].cpu->regs[R_EBX] = 0x43434343;
    }
    uint32_t edx = p->f[1].cpu->regs[R_EDX];
    g_assert_cmpint(pair_run(p, 1000), ==, CPU_EXIT_HLT);
    g_assert_cmphex(p->f[1].cpu->regs[R_EDX], ==, edx + 4);
    g_assert_cmphex(p->f[1].cpu->regs[R_EBX], ==, 0x4343434a);
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
    pair_load(p, code, sizeof(code), 0);
    g_assert_cmpint(pair_run(p, 100000), ==, CPU_EXIT_HLT);
    g_assert_cmpuint(p->f[1].cpu->regs[R_EDX], ==, p->f[0].cpu->regs[R_EDX]);
    g_assert_cmpuint(pair_t1_stats(p)->flushes, >=, 1);
    /* A block whose translation met the full buffer ran in tier 0 that once. */
    g_assert_cmpuint(pair_t1_stats(p)->blocks + pair_t1_stats(p)->flushes, >=, N);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (!translator_tier1_available()) {
        /* Said plainly: this host has no tier 1, so nothing here can run. */
        g_test_message("no tier 1 on this host: every block runs in tier 0");
        return 0;
    }
    static const struct opts plain = {0}, baseline = {.baseline = true};
    static const struct opts small = {.code_size = 64u << 10},
                             small_baseline = {.code_size = 64u << 10, .baseline = true};
    PAIR_ADD("loop-agrees", test_loop_agrees, &plain, &baseline);
    PAIR_ADD("budget-agrees", test_budget_agrees, &plain, &baseline);
    PAIR_ADD("pf-mid-block", test_pf_mid_block, &plain, &baseline);
    PAIR_ADD("pf-store-keeps-flags", test_pf_store_keeps_flags, &plain, &baseline);
    PAIR_ADD("pf-after-dead-flags", test_pf_after_dead_flags, &plain, &baseline);
    PAIR_ADD("div-by-zero", test_div_by_zero, &plain, &baseline);
    PAIR_ADD("write-next-insn", test_write_next_insn, &plain, &baseline);
    PAIR_ADD("data-on-code-page", test_data_on_code_page, &plain, &baseline);
    PAIR_ADD("chain-undone-on-drop", test_chain_undone_on_drop, &plain, &baseline);
    PAIR_ADD("stack-ops", test_stack_ops, &plain, &baseline);
    PAIR_ADD("push-faults", test_push_faults, &plain, &baseline);
    PAIR_ADD("indirect-jumps", test_indirect_jumps, &plain, &baseline);
    PAIR_ADD("returns-across-segment-states", test_returns_across_segment_states, &plain,
             &baseline);
    PAIR_ADD("indirect-call-faults", test_indirect_call_faults, &plain, &baseline);
    PAIR_ADD("transfer-to-next", test_transfer_to_next, &plain, &baseline);
    PAIR_ADD("return-target-dropped", test_return_target_dropped, &plain, &baseline);
    PAIR_ADD("segment-base", test_segment_base, &plain, &baseline);
    PAIR_ADD("other-thread-segments", test_other_thread_segments, &plain, &baseline);
    PAIR_ADD("segment-load-goes-on", test_segment_load_goes_on, &plain, &baseline);
    PAIR_ADD("sti-shadow", test_sti_shadow, &plain, &baseline);
    PAIR_ADD("cross-page-jumps", test_cross_page_jumps, &plain, &baseline);
    PAIR_ADD("frames", test_frames, &plain, &baseline);
    PAIR_ADD("frame-straddles-pages", test_frame_straddles_pages, &plain, &baseline);
    PAIR_ADD("frames-any-register", test_frames_any_register, &plain, &baseline);
    PAIR_ADD("frame-faults", test_frame_faults, &plain, &baseline);
    PAIR_ADD("frame-on-code-page", test_frame_on_code_page, &plain, &baseline);
    PAIR_ADD("code-buffer-full", test_code_buffer_full, &small, &small_baseline);
    return g_test_run();
}
