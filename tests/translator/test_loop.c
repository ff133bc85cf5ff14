/*
 * The translation loop (translator/): blocks formed once and chained, a
 * block never crossing a page, and blocks dropped when their code is
 * written by the CPU (self-modifying code one instruction ahead included)
 * or by a device — and only then: writes to the data bytes of a code page
 * drop nothing — and the jump cache and links right across CR3 loads and
 * INVLPG.
 */
#include <glib.h>
#include <string.h>

#include "machine/memmap.h"
#include "tests/lib/cpu_fixture.h"
#include "translator/tcache.h"

#define CODE  0x10000u
#define STACK 0x80000u

static void setup(struct cpu_fixture *f, gconstpointer data)
{
    cpu_fixture_init(f, 16);
}

static void teardown(struct cpu_fixture *f, gconstpointer data)
{
    cpu_fixture_destroy(f);
}

/* Flat 32-bit protected mode at CPL 0, code at CODE (written as a device would). */
static void flat32(struct cpu_fixture *f, const void *code, size_t len)
{
    memmap_write_buf(&f->m.mem, CODE, code, len); /* code written before drops its blocks */
    cpu_fixture_flat32(f, CODE, STACK, 0);
}

static void run_to_hlt(struct cpu_fixture *f)
{
    cpu_fixture_run_to_hlt(f, 1000000);
}

static void test_blocks_and_chaining(struct cpu_fixture *f, gconstpointer data)
{
    /* mov ecx, 100; l: inc eax; dec ecx; jnz l; hlt */
    static const uint8_t code[] = {0xb9, 100, 0, 0, 0, 0x40, 0x49, 0x75, 0xfc, 0xf4};
    flat32(f, code, sizeof(code));
    run_to_hlt(f);
    g_assert_cmpuint(f->cpu->regs[R_EAX], ==, 100);
    g_assert_cmpuint(f->cpu->instructions, ==, 1 + 3 * 100 + 1);
    const struct tc_stats *st = tcache_stats(translator_tcache(f->tr));
    /* mov..jnz (4), the loop body inc..jnz (3), and hlt: three blocks, decoded once. */
    g_assert_cmpuint(st->blocks, ==, 3);
    g_assert_cmpuint(st->insns, ==, 4 + 3 + 1);
    g_assert_cmpuint(st->chains, >=, 1);
    /* Every block the loop looked for was found (chain, jump cache or cache) but the three
       it decoded; in tier 0 the loop looks for one every iteration. */
    g_assert_cmpuint(st->lookups - st->hits, ==, st->blocks);
    if (translator_stats(f->tr)->tier == 0)
        g_assert_cmpuint(st->lookups, >=, 100);
}

static void test_block_ends_at_page(struct cpu_fixture *f, gconstpointer data)
{
    /* 8 NOPs straddling a page boundary, then HLT: two blocks, none crossing. */
    uint8_t code[9];
    memset(code, 0x90, 8);
    code[8] = 0xf4;
    flat32(f, "", 0);
    memcpy(f->m.ram + CODE + 0x1000 - 4, code, sizeof(code));
    f->cpu->eip = CODE + 0x1000 - 4;
    run_to_hlt(f);
    const struct tc_stats *st = tcache_stats(translator_tcache(f->tr));
    g_assert_cmpuint(st->blocks, ==, 2);
    g_assert_cmpuint(st->insns, ==, 9);
}

static void test_self_modifying_next_insn(struct cpu_fixture *f, gconstpointer data)
{
    /*
     * mov byte [CODE+8], 0x42   ; the immediate of the next instruction
     * mov al, 0x00              ; b0 00 at CODE+7
     * hlt
     */
    uint8_t code[] = {0xc6, 0x05, 0, 0, 0, 0, 0x42, 0xb0, 0x00, 0xf4};
    uint32_t target = CODE + 8;
    memcpy(code + 2, &target, 4);
    flat32(f, code, sizeof(code));
    run_to_hlt(f);
    g_assert_cmphex(f->cpu->regs[R_EAX] & 0xff, ==, 0x42);
    g_assert_cmpuint(tcache_stats(translator_tcache(f->tr))->dropped[TC_DROP_WRITE], >=, 1);

    /* Run it again from the top: the patched byte is now decoded as written. */
    f->cpu->regs[R_EAX] = 0;
    f->cpu->eip = CODE;
    f->cpu->halted = false;
    run_to_hlt(f);
    g_assert_cmphex(f->cpu->regs[R_EAX] & 0xff, ==, 0x42);
}

static void test_dma_drops_code(struct cpu_fixture *f, gconstpointer data)
{
    /* mov eax, 1; hlt */
    static const uint8_t code[] = {0xb8, 1, 0, 0, 0, 0xf4};
    flat32(f, code, sizeof(code));
    run_to_hlt(f);
    g_assert_cmpuint(f->cpu->regs[R_EAX], ==, 1);
    /* A device rewrites the immediate: the decoded block must go. */
    uint8_t two = 2;
    memmap_write_buf(&f->m.mem, CODE + 1, &two, 1);
    g_assert_cmpuint(tcache_stats(translator_tcache(f->tr))->dropped[TC_DROP_DMA], ==, 1);
    f->cpu->eip = CODE;
    f->cpu->halted = false;
    run_to_hlt(f);
    g_assert_cmpuint(f->cpu->regs[R_EAX], ==, 2);
}

/*
 * Code and data on one page: a hot loop writing data bytes next to its
 * code keeps its blocks (no drop, no exit from host code), and the writes
 * are counted as data writes, with no TLB refill each time; a device
 * writing those data bytes drops nothing either.
 */
static void test_data_writes_keep_blocks(struct cpu_fixture *f, gconstpointer data)
{
    /*
     * 0: mov ecx, 1000; 5: l: inc dword [CODE+0x40]; 11: mov [CODE+0x44], ecx;
     * 17: dec ecx; 18: jnz l; 20: hlt — data at CODE+0x40, on the code's page
     */
    uint8_t code[21] = {0xb9, 0xe8, 0x03, 0, 0, 0xff, 0x05, 0,    0,    0,   0,
                        0x89, 0x0d, 0,    0, 0, 0,    0x49, 0x75, 0xf1, 0xf4};
    const uint32_t counter = CODE + 0x40, last = CODE + 0x44;
    memcpy(code + 7, &counter, 4);
    memcpy(code + 13, &last, 4);
    flat32(f, code, sizeof(code));
    const struct smmu_stats *ms = smmu_get_stats(f->mmu);
    run_to_hlt(f);
    const struct tc_stats *st = tcache_stats(translator_tcache(f->tr));
    g_assert_cmpuint(*(uint32_t *)(f->m.ram + counter), ==, 1000);
    g_assert_cmpuint(*(uint32_t *)(f->m.ram + last), ==, 1);
    g_assert_cmpuint(st->dropped[TC_DROP_WRITE], ==, 0);
    g_assert_cmpuint(st->blocks, ==, 3);
    ms = smmu_get_stats(f->mmu);
    g_assert_cmpuint(ms->watch_code_writes, ==, 0);
    g_assert_cmpuint(ms->watch_data_writes, ==, 2000);
    g_assert_cmpuint(ms->fills, <, 10); /* not one a write */
    g_assert_cmpuint(translator_stats(f->tr)->exits[TR_EXIT_SMC], ==, 0);
    /* Host code does them itself, without a call (the first runs in tier 0, then it is hot). */
    if (translator_stats(f->tr)->tier == 1)
        g_assert_cmpuint(ms->watch_data_writes_generated, >=, 1990);
    else
        g_assert_cmpuint(ms->watch_data_writes_generated, ==, 0);
    /* A device writes the data bytes: nothing dropped. */
    uint32_t zero = 0;
    memmap_write_buf(&f->m.mem, counter, &zero, 4);
    g_assert_cmpuint(st->dropped[TC_DROP_DMA], ==, 0);
    g_assert_cmpuint(st->live_blocks, ==, 3);
}

/*
 * A loop patching the immediate of a subroutine on its page each time
 * round, beside a data write right before the subroutine: each patch drops
 * exactly the subroutine's block, and every call runs the new bytes.
 */
static void test_patch_drops_overlapping_only(struct cpu_fixture *f, gconstpointer data)
{
    /*
     *  0: mov ecx, 10; 5: l: call f; 10: mov [CODE+0x1c], ecx; 16: mov [CODE+0x21], ecx;
     * 22: dec ecx; 23: jnz l; 25: hlt
     * 0x20: f: mov eax, 0x1234; add ebx, eax; ret
     */
    uint8_t code[0x28] = {0xb9, 10, 0, 0,    0,    0xe8, 0x16, 0, 0, 0,    0x89, 0x0d, 0,
                          0,    0,  0, 0x89, 0x0d, 0,    0,    0, 0, 0x49, 0x75, 0xec, 0xf4};
    const uint32_t before = CODE + 0x1c, imm = CODE + 0x21;
    memcpy(code + 12, &before, 4);
    memcpy(code + 18, &imm, 4);
    memcpy(code + 0x20, "\xb8\x34\x12\x00\x00\x01\xc3\xc3", 8);
    flat32(f, code, sizeof(code));
    f->cpu->regs[R_EBX] = 0;
    run_to_hlt(f);
    /* 0x1234 first, then the patched 10, 9, ... 2 */
    g_assert_cmpuint(f->cpu->regs[R_EBX], ==, 0x1234 + 54);
    const struct tc_stats *st = tcache_stats(translator_tcache(f->tr));
    g_assert_cmpuint(st->dropped[TC_DROP_WRITE], ==, 10);
    /* The loop's blocks (0, 5, 10, the HLT) decoded once, the subroutine once a call; host
       code leaves after a write that dropped code, so tier 1 also starts a block at DEC. */
    g_assert_cmpuint(st->blocks, ==, 4 + 10 + translator_stats(f->tr)->tier);
    const struct smmu_stats *ms = smmu_get_stats(f->mmu);
    g_assert_cmpuint(ms->watch_code_writes, ==, 10);
    g_assert_cmpuint(ms->watch_data_writes, ==, 10);
}

/*
 * A write that straddles a page end: its first half over the last code
 * bytes of one page, its second half over data bytes of a watched page.
 * The block is dropped and the next call runs the new bytes.
 */
static void test_write_straddles_pages(struct cpu_fixture *f, gconstpointer data)
{
    enum { SUB = CODE + 0xff0, MAIN = CODE + 0x1100 };
    flat32(f, "", 0);
    /* SUB: 15 x inc ebx; ret (its last byte is the page's last) */
    memset(f->m.ram + SUB, 0x43, 15);
    f->m.ram[SUB + 15] = 0xc3;
    /* MAIN: call SUB; mov dword [CODE+0xffe], 0x6655c34b; call SUB; hlt */
    uint8_t code[21] = {0xe8, 0, 0, 0, 0, 0xc7, 0x05, 0, 0, 0, 0, 0x4b, 0xc3, 0x55, 0x66, 0xe8};
    int32_t rel1 = SUB - (MAIN + 5), rel2 = SUB - (MAIN + 20);
    const uint32_t at = CODE + 0xffe;
    memcpy(code + 1, &rel1, 4);
    memcpy(code + 7, &at, 4);
    memcpy(code + 16, &rel2, 4);
    code[20] = 0xf4;
    memcpy(f->m.ram + MAIN, code, sizeof(code));
    f->cpu->eip = MAIN;
    f->cpu->regs[R_EBX] = 0;
    run_to_hlt(f);
    g_assert_cmpuint(f->cpu->regs[R_EBX], ==, 15 + 13); /* the second call: 14 incs, a dec */
    g_assert_cmphex(*(uint16_t *)(f->m.ram + CODE + 0x1000), ==, 0x6655);
    const struct tc_stats *st = tcache_stats(translator_tcache(f->tr));
    g_assert_cmpuint(st->dropped[TC_DROP_WRITE], ==, 1);
    const struct smmu_stats *ms = smmu_get_stats(f->mmu);
    g_assert_cmpuint(ms->watch_code_writes, ==, 1); /* the first half */
    g_assert_cmpuint(ms->watch_data_writes, ==, 1); /* the second */
}

/*
 * String instructions on a page holding code: REP STOSD down over data
 * bytes (done as one run, nothing dropped), then REP STOSB over the
 * immediate of a subroutine that has run, which then runs the new bytes.
 */
static void test_string_writes_on_code_page(struct cpu_fixture *f, gconstpointer data)
{
    /*
     *  0: std; 1: mov edi, CODE+0x7c; 6: mov ecx, 16; 11: mov eax, 0x11223344; 16: rep stosd;
     * 18: cld; 19: call s; 24: mov edi, CODE+0x31; 29: mov cl, 4; 31: mov al, 5; 33: rep stosb;
     * 35: call s; 40: hlt
     * 0x30: s: mov eax, 0; ret
     */
    uint8_t code[0x36] = {0xfd, 0xbf, 0,    0,    0,    0,    0xb9, 16,   0,    0,    0,
                          0xb8, 0x44, 0x33, 0x22, 0x11, 0xf3, 0xab, 0xfc, 0xe8, 0x18, 0,
                          0,    0,    0xbf, 0,    0,    0,    0,    0xb1, 4,    0xb0, 5,
                          0xf3, 0xaa, 0xe8, 8,    0,    0,    0,    0xf4};
    const uint32_t top = CODE + 0x7c, imm = CODE + 0x31;
    memcpy(code + 2, &top, 4);
    memcpy(code + 25, &imm, 4);
    memcpy(code + 0x30, "\xb8\x00\x00\x00\x00\xc3", 6);
    flat32(f, code, sizeof(code));
    run_to_hlt(f);
    for (uint32_t a = CODE + 0x40; a < CODE + 0x80; a += 4)
        g_assert_cmphex(*(uint32_t *)(f->m.ram + a), ==, 0x11223344);
    g_assert_cmphex(*(uint32_t *)(f->m.ram + CODE + 0x3c), ==, 0);
    g_assert_cmphex(*(uint32_t *)(f->m.ram + CODE + 0x80), ==, 0);
    g_assert_cmphex(f->cpu->regs[R_EAX], ==, 0x05050505);
    g_assert_cmphex(f->cpu->regs[R_EDI], ==, CODE + 0x35);
    const struct smmu_stats *ms = smmu_get_stats(f->mmu);
    g_assert_cmpuint(ms->watch_code_writes, ==, 1); /* the first byte; the rest is data then */
    g_assert_cmpuint(ms->watch_data_writes, ==, 16 + 3);
    g_assert_cmpuint(tcache_stats(translator_tcache(f->tr))->dropped[TC_DROP_WRITE], ==, 1);
}

/*
 * The CS limit is part of a block's key: the same code run again under a
 * lower limit that its last instruction runs past raises #GP(0) instead of
 * reusing the block decoded under the old limit.
 */
static void test_cs_limit_in_key(struct cpu_fixture *f, gconstpointer data)
{
    /* inc eax; inc eax; hlt at CODE */
    static const uint8_t code[] = {0x40, 0x40, 0xf4};
    flat32(f, code, sizeof(code));
    run_to_hlt(f);
    g_assert_cmpuint(f->cpu->regs[R_EAX], ==, 2);
    /* The limit now ends inside the block: the second INC is the last byte allowed. */
    cpu_set_segment(f->cpu, S_CS, 0x08, 0, CODE + 1, 0x409b);
    f->cpu->eip = CODE;
    f->cpu->halted = false;
    f->cpu->stop_on_exception = true;
    g_assert_cmpint(cpu_fixture_run(f, 1000), ==, CPU_EXIT_EXCEPTION);
    g_assert_cmpuint(f->cpu->exception_vector, ==, 13);
    g_assert_cmphex(f->cpu->eip, ==, CODE + 2); /* the HLT lies past the limit */
    g_assert_cmpuint(f->cpu->regs[R_EAX], ==, 4);
}

/* A device behind MMIO that raises its interrupt line when written (vector 0x40). */
struct irq_dev {
    bool pending;
};

static void irq_dev_write(void *opaque, uint64_t offset, uint32_t value, unsigned size)
{
    ((struct irq_dev *)opaque)->pending = true;
}

static bool irq_dev_pending(void *opaque)
{
    return ((struct irq_dev *)opaque)->pending;
}

static uint8_t irq_dev_ack(void *opaque)
{
    ((struct irq_dev *)opaque)->pending = false;
    return 0x40;
}

/*
 * An interrupt a device raises when an instruction writes to it is taken
 * right after that instruction, not at the end of its block.
 */
static void test_interrupt_after_mmio_write(struct cpu_fixture *f, gconstpointer data)
{
    enum { MMIO = 0x2000000, IDT = 0x20000, GDT = 0x21000, HANDLER = CODE + 0x100 };
    /* sti; nop; mov dword [MMIO], 1; inc ebx; inc ebx; hlt — handler: mov esi, ebx; hlt */
    uint8_t code[0x103] = {0xfb, 0x90, 0xc7, 0x05, 0, 0, 0, 0, 1, 0, 0, 0, 0x43, 0x43, 0xf4};
    const uint32_t mmio = MMIO;
    memcpy(code + 4, &mmio, 4);
    memcpy(code + 0x100, "\x89\xde\xf4", 3);
    static const struct mmio_ops ops = {.write = irq_dev_write, .sizes = 7};
    struct irq_dev dev = {false};
    g_assert_nonnull(memmap_add_mmio(&f->m.mem, "irq-dev", MMIO, 0x1000, &ops, &dev, 1));
    flat32(f, code, sizeof(code));
    cpu_fixture_tables(f, GDT, IDT);
    cpu_fixture_gate(f, 0x40, HANDLER);
    struct cpu *cpu = f->cpu;
    cpu->irq = (struct cpu_irq_source){irq_dev_pending, irq_dev_ack, &dev};
    cpu->regs[R_EBX] = 0;
    cpu->regs[R_ESI] = 0xdead;
    cpu_fixture_run_to_hlt(f, 1000);
    g_assert_cmphex(cpu->eip, ==, HANDLER + 3);
    g_assert_cmphex(cpu->regs[R_ESI], ==, 0); /* before the INC EBX after the write */
    cpu->irq = (struct cpu_irq_source){0};
}

/*
 * Two address spaces map the linear page L to two physical pages A and B
 * holding different code; the guest loads CR3 with each in turn right
 * before L and jumps to L from another page. Each time L must run the code
 * of the page mapped now, in either paging mode: the jump cache, which
 * keeps its entries across CR3 loads, must not hand out A's block while B
 * is mapped (to the loop, nor to host code going on after the load). Then a device rewrites B
 * while A is mapped at L: the next time B is mapped, the new bytes run.
 */
enum { L = 0x30000, PAGE_A = 0x40000, PAGE_B = 0x41000, BACK = CODE + 0x40 };

/* Paging tables at `at` mapping the first 2 MiB 1:1 but L, mapped to `page`; the CR3 value. */
static uint32_t address_space(struct cpu_fixture *f, uint32_t at, uint32_t page, bool pae)
{
    uint32_t pd = at + 0x1000, pt = at + 0x2000;
    for (uint32_t i = 0; i < 512; i++) {
        uint64_t pte = ((i << 12) == L ? page : i << 12) | 7;
        memmap_write_buf(&f->m.mem, pt + (pae ? 8 : 4) * i, &pte, pae ? 8 : 4);
    }
    uint64_t pde = pt | 7, pdpte = pd | 1;
    memmap_write_buf(&f->m.mem, pd, &pde, pae ? 8 : 4);
    if (!pae)
        return pd;
    memmap_write_buf(&f->m.mem, at, &pdpte, 8); /* the PDPT: PDPTE 0 */
    return at;
}

static void jmp_back(uint8_t *insn, uint32_t at)
{
    uint32_t rel = BACK - (at + 5);
    insn[0] = 0xe9;
    memcpy(insn + 1, &rel, 4);
}

static void test_jump_cache_after_cr3(struct cpu_fixture *f, gconstpointer data)
{
    bool pae = GPOINTER_TO_INT(data);
    /* CODE: jmp L - 10 — L - 10: mov cr3, ebx; mov eax, [L]; mov gs, dx (on to L) —
       BACK: xchg ebx, edi; xchg edx, ebp; dec ecx; jnz CODE; hlt */
    uint8_t code[0x48] = {0xe9};
    uint32_t rel = L - 10 - (CODE + 5);
    memcpy(code + 1, &rel, 4);
    memcpy(code + 0x40, "\x87\xdf\x87\xd5\x49\x75\xb9\xf4", 8);
    flat32(f, code, sizeof(code));
    cpu_fixture_tables(f, 0x21000, 0x20000);
    /* The data read refills L's TLB slot under the new CR3, and the GS load (null or flat in
       turn; code at CPL 0 does not depend on GS) makes host code look for the next block. */
    memmap_write_buf(&f->m.mem, L - 10, "\x0f\x22\xdb\xa1\x00\x00\x03\x00\x8e\xea", 10);
    uint8_t a[8] = {0x83, 0xc6, 0x01}, b[11] = {0x81, 0xc6, 0x00, 0x00, 0x01, 0x00};
    jmp_back(a + 3, L + 3); /* A: add esi, 1; jmp BACK */
    jmp_back(b + 6, L + 6); /* B: add esi, 0x10000; jmp BACK */
    memmap_write_buf(&f->m.mem, PAGE_A, a, sizeof(a));
    memmap_write_buf(&f->m.mem, PAGE_B, b, sizeof(b));
    struct cpu *cpu = f->cpu;
    cpu->regs[R_EBX] = address_space(f, 0x200000, PAGE_A, pae);
    cpu->regs[R_EDI] = address_space(f, 0x210000, PAGE_B, pae);
    cpu->cr[3] = cpu->regs[R_EBX];
    cpu->cr[4] |= pae ? 0x20 : 0;
    cpu->cr[0] |= 0x80000000u;
    cpu_sync_control(cpu);
    cpu->regs[R_EDX] = 0x10;
    cpu->regs[R_EBP] = 0;
    cpu->regs[R_ECX] = 39;
    cpu->regs[R_ESI] = 0;
    run_to_hlt(f);
    g_assert_cmphex(cpu->regs[R_ESI], ==, 20 * 1 + 19 * 0x10000);

    /* A device rewrites B's immediate while A is mapped at L (an odd count ends there). */
    static const uint8_t imm[] = {0x00, 0x00, 0x10, 0x00};
    memmap_write_buf(&f->m.mem, PAGE_B + 2, imm, sizeof(imm));
    cpu->regs[R_ECX] = 40;
    cpu->regs[R_ESI] = 0;
    cpu->eip = CODE;
    cpu->halted = false;
    run_to_hlt(f);
    g_assert_cmphex(cpu->regs[R_ESI], ==, 20 * 0x100001);
}

/*
 * The same with one address space whose page table entry for L is
 * rewritten and invalidated with INVLPG before each jump to L. INVLPG of a
 * page no code was fetched from leaves the TLB's generation (what links
 * between blocks hold under) as it was; of a code page, it moves it.
 */
static void test_invlpg_code_page(struct cpu_fixture *f, gconstpointer data)
{
    const uint32_t pte_l = 0x201000 + 4 * (L >> 12); /* cpu_fixture_paging_with_hole's */
    /* CODE: mov [pte_l], ebx; invlpg [L]; jmp L — BACK: xchg ebx, edi; dec ecx; jnz CODE;
       hlt — CODE + 0x60: invlpg [0x50000]; hlt — CODE + 0x70: invlpg [L]; hlt */
    uint8_t code[0x78] = {0x89, 0x1d, 0, 0, 0, 0, 0x0f, 0x01, 0x3d, 0, 0, 0, 0, 0xe9};
    memcpy(code + 2, &pte_l, 4);
    const uint32_t l = L, rel = L - (CODE + 18), data_page = 0x50000;
    memcpy(code + 9, &l, 4);
    memcpy(code + 14, &rel, 4);
    memcpy(code + 0x40, "\x87\xdf\x49\x75\xbb\xf4", 6);
    memcpy(code + 0x60, "\x0f\x01\x3d\0\0\0\0\xf4", 8);
    memcpy(code + 0x63, &data_page, 4);
    memcpy(code + 0x70, "\x0f\x01\x3d\0\0\0\0\xf4", 8);
    memcpy(code + 0x73, &l, 4);
    flat32(f, code, sizeof(code));
    uint8_t a[8] = {0x83, 0xc6, 0x01}, b[11] = {0x81, 0xc6, 0x00, 0x00, 0x01, 0x00};
    jmp_back(a + 3, L + 3);
    jmp_back(b + 6, L + 6);
    memmap_write_buf(&f->m.mem, PAGE_A, a, sizeof(a));
    memmap_write_buf(&f->m.mem, PAGE_B, b, sizeof(b));
    cpu_fixture_paging_with_hole(f, 0x3ff000);
    struct cpu *cpu = f->cpu;
    cpu->regs[R_EBX] = PAGE_A | 7;
    cpu->regs[R_EDI] = PAGE_B | 7;
    cpu->regs[R_ECX] = 39;
    cpu->regs[R_ESI] = 0;
    run_to_hlt(f);
    g_assert_cmphex(cpu->regs[R_ESI], ==, 20 * 1 + 19 * 0x10000);

    const struct smmu_tlb *tlb = smmu_tlb(f->mmu);
    uint32_t generation = tlb->generation;
    cpu->eip = CODE + 0x60;
    cpu->halted = false;
    run_to_hlt(f);
    g_assert_cmpuint(tlb->generation, ==, generation);
    cpu->eip = CODE + 0x70;
    cpu->halted = false;
    run_to_hlt(f);
    g_assert_cmpuint(tlb->generation, !=, generation);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add("/loop/" path, struct cpu_fixture, NULL, setup, fn, teardown)
    ADD("blocks-and-chaining", test_blocks_and_chaining);
    ADD("block-ends-at-page", test_block_ends_at_page);
    ADD("self-modifying-next-insn", test_self_modifying_next_insn);
    ADD("dma-drops-code", test_dma_drops_code);
    ADD("data-writes-keep-blocks", test_data_writes_keep_blocks);
    ADD("patch-drops-overlapping-only", test_patch_drops_overlapping_only);
    ADD("write-straddles-pages", test_write_straddles_pages);
    ADD("string-writes-on-code-page", test_string_writes_on_code_page);
    ADD("cs-limit-in-key", test_cs_limit_in_key);
    ADD("interrupt-after-mmio-write", test_interrupt_after_mmio_write);
    ADD("invlpg-code-page", test_invlpg_code_page);
#undef ADD
    g_test_add("/loop/jump-cache-after-cr3", struct cpu_fixture, GINT_TO_POINTER(0), setup,
               test_jump_cache_after_cr3, teardown);
    g_test_add("/loop/jump-cache-after-cr3-pae", struct cpu_fixture, GINT_TO_POINTER(1), setup,
               test_jump_cache_after_cr3, teardown);
    return g_test_run();
}
