/*
 * The interpreter's own machinery: decoded records, REP restart after a
 * page fault, exceptions leaving the state of before the faulting
 * instruction, the exception storm and triple fault, RESET, CPUID. The
 * instruction semantics themselves are checked against the host CPU in
 * tests/diff and against real mode in tests/guest.
 */
#include <glib.h>
#include <string.h>

#include "cpu/handlers.h"
#include "machine/memmap.h"
#include "tests/lib/cpu_fixture.h"

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

/* Decode one instruction in the CPU's current mode. */
static int decode(struct cpu_fixture *f, const uint8_t *bytes, size_t len, struct insn *in)
{
    return cpu_decode(f->cpu, bytes, (unsigned)len, in);
}

static void test_decode_records(struct cpu_fixture *f, gconstpointer data)
{
    struct insn in;
    flat32(f, "", 0);
    /* add eax, [ebx+esi*4+0x10] */
    static const uint8_t add[] = {0x03, 0x44, 0xb3, 0x10};
    g_assert_cmpint(decode(f, add, sizeof(add), &in), ==, 0);
    g_assert_true(in.fn == h_alu);
    g_assert_cmpuint(in.sub, ==, 0);
    g_assert_cmpuint(in.len, ==, 4);
    g_assert_cmpuint(in.o[0].kind, ==, OP_REG);
    g_assert_cmpuint(in.o[0].reg, ==, R_EAX);
    g_assert_cmpuint(in.o[0].size, ==, 4);
    g_assert_cmpuint(in.o[1].kind, ==, OP_MEM);
    g_assert_cmpuint(in.base, ==, R_EBX);
    g_assert_cmpuint(in.index, ==, R_ESI);
    g_assert_cmpuint(in.scale, ==, 2);
    g_assert_cmphex(in.disp, ==, 0x10);
    g_assert_cmpuint(in.seg, ==, S_DS);
    g_assert_cmpuint(in.adsize, ==, 4);

    /* es: mov ax, [ebp-4] with an operand-size prefix: ES overrides SS. */
    static const uint8_t mov16[] = {0x26, 0x66, 0x8b, 0x45, 0xfc};
    g_assert_cmpint(decode(f, mov16, sizeof(mov16), &in), ==, 0);
    g_assert_true(in.fn == h_mov);
    g_assert_cmpuint(in.o[0].size, ==, 2);
    g_assert_cmpuint(in.seg, ==, S_ES);
    g_assert_cmphex(in.disp, ==, 0xfffffffcu);
    /* [ebp-4] without an override is in SS. */
    g_assert_cmpint(decode(f, mov16 + 1, sizeof(mov16) - 1, &in), ==, 0);
    g_assert_cmpuint(in.seg, ==, S_SS);

    /* rep movsd, with its end-of-block property. */
    static const uint8_t movs[] = {0xf3, 0xa5};
    g_assert_cmpint(decode(f, movs, sizeof(movs), &in), ==, 0);
    g_assert_true(in.fn == h_movs);
    g_assert_cmpuint(in.rep, ==, REP_E);
    g_assert_cmpuint(in.opsize, ==, 4);
    g_assert_true(in.props & P_ENDS_BLOCK);

    /* A relative jump keeps its displacement; far forms are marked. */
    static const uint8_t jmp[] = {0xeb, 0xfe};
    g_assert_cmpint(decode(f, jmp, sizeof(jmp), &in), ==, 0);
    g_assert_true(in.fn == h_jmp);
    g_assert_cmphex(in.imm, ==, 0xfffffffeu);
    static const uint8_t ljmp[] = {0xea, 0x78, 0x56, 0x34, 0x12, 0x08, 0x00};
    g_assert_cmpint(decode(f, ljmp, sizeof(ljmp), &in), ==, 0);
    g_assert_true(in.props & P_FAR);
    g_assert_cmphex(in.imm, ==, 0x12345678u);
    g_assert_cmphex(in.imm2, ==, 0x08);

    /* MOV to CR0 is privileged and ends the block. */
    static const uint8_t movcr[] = {0x0f, 0x22, 0xc0};
    g_assert_cmpint(decode(f, movcr, sizeof(movcr), &in), ==, 0);
    g_assert_true(in.fn == h_mov_cr);
    g_assert_true(in.props & P_PRIV);

    /* LOCK is allowed on ADD to memory, #UD on a register form and on MOV. */
    static const uint8_t lock_ok[] = {0xf0, 0x01, 0x03};
    static const uint8_t lock_reg[] = {0xf0, 0x01, 0xc3};
    static const uint8_t lock_mov[] = {0xf0, 0x89, 0x03};
    g_assert_cmpint(decode(f, lock_ok, sizeof(lock_ok), &in), ==, 0);
    g_assert_cmpint(decode(f, lock_reg, sizeof(lock_reg), &in), ==, -1);
    g_assert_true(in.fn == h_ud);
    g_assert_cmpint(decode(f, lock_mov, sizeof(lock_mov), &in), ==, -1);
    /* An SSE instruction a Pentium II does not have. */
    static const uint8_t sse[] = {0x0f, 0x58, 0xc1};
    g_assert_cmpint(decode(f, sse, sizeof(sse), &in), ==, -1);
    /* Running out of bytes is told apart from an invalid opcode. */
    g_assert_cmpint(decode(f, add, 2, &in), ==, -2);
}

static void test_decode_real_mode(struct cpu_fixture *f, gconstpointer data)
{
    struct insn in;
    /* After reset the CPU is in real mode: mov ax, [bx+si+2] */
    static const uint8_t mov[] = {0x8b, 0x40, 0x02};
    g_assert_cmpint(decode(f, mov, sizeof(mov), &in), ==, 0);
    g_assert_cmpuint(in.adsize, ==, 2);
    g_assert_cmpuint(in.o[0].size, ==, 2);
    g_assert_cmpuint(in.base, ==, R_EBX);
    g_assert_cmpuint(in.index, ==, R_ESI);
    /* 16-bit addresses wrap at 64 KiB. */
    f->cpu->regs[R_EBX] = 0xffff;
    f->cpu->regs[R_ESI] = 0x0001;
    g_assert_cmphex(insn_ea(f->cpu, &in), ==, 0x0002);
}

static void run_to_hlt(struct cpu_fixture *f)
{
    cpu_fixture_run_to_hlt(f, 1000000);
}

static void test_rep_restart_after_fault(struct cpu_fixture *f, gconstpointer data)
{
    /* rep movsb from 0x30000 to 0x40ff0, 0x20 bytes: the page at 0x41000 is missing. */
    static const uint8_t code[] = {0xf3, 0xa4, 0xf4};
    flat32(f, code, sizeof(code));
    for (int i = 0; i < 0x20; i++)
        f->m.ram[0x30000 + i] = (uint8_t)(i + 1);
    cpu_fixture_paging_with_hole(f, 0x41000);
    struct cpu *cpu = f->cpu;
    cpu->regs[R_ESI] = 0x30000;
    cpu->regs[R_EDI] = 0x40ff0;
    cpu->regs[R_ECX] = 0x20;
    cpu->stop_on_exception = true;
    g_assert_cmpint(cpu_fixture_run(f, 1000), ==, CPU_EXIT_EXCEPTION);
    g_assert_cmpuint(cpu->exception_vector, ==, EX_PF);
    g_assert_cmphex(cpu->exception_error, ==, SMMU_PF_W);
    g_assert_cmphex(cpu->cr[2], ==, 0x41000);
    /* 16 iterations completed and committed; EIP still at the instruction. */
    g_assert_cmphex(cpu->eip, ==, CODE);
    g_assert_cmphex(cpu->regs[R_ECX], ==, 0x10);
    g_assert_cmphex(cpu->regs[R_ESI], ==, 0x30010);
    g_assert_cmphex(cpu->regs[R_EDI], ==, 0x41000);
    g_assert_cmpuint(f->m.ram[0x40fff], ==, 0x10);

    /* Map the page (as a page-fault handler would) and resume. */
    uint32_t pte = 0x41000 | 3;
    memcpy(f->m.ram + 0x201000 + 4 * 0x41, &pte, 4);
    smmu_invlpg(f->mmu, 0x41000);
    run_to_hlt(f);
    g_assert_cmphex(cpu->regs[R_ECX], ==, 0);
    g_assert_cmpuint(f->m.ram[0x4100f], ==, 0x20);
}

static void test_fault_leaves_state(struct cpu_fixture *f, gconstpointer data)
{
    /* add eax, 5 (sets flags); div ecx with ecx = 0 */
    static const uint8_t code[] = {0x83, 0xc0, 0x05, 0xf7, 0xf1, 0xf4};
    flat32(f, code, sizeof(code));
    struct cpu *cpu = f->cpu;
    cpu->regs[R_EAX] = 0xfffffffbu; /* + 5 = 0: ZF and CF */
    cpu->regs[R_EDX] = 7;
    cpu->stop_on_exception = true;
    g_assert_cmpint(cpu_fixture_run(f, 1000), ==, CPU_EXIT_EXCEPTION);
    g_assert_cmpuint(cpu->exception_vector, ==, EX_DE);
    g_assert_cmphex(cpu->eip, ==, CODE + 3);
    g_assert_cmpuint(cpu->regs[R_EAX], ==, 0);
    g_assert_cmpuint(cpu->regs[R_EDX], ==, 7);
    g_assert_cmpuint(cpu->instructions, ==, 1);
    uint32_t fl = cpu_get_eflags(cpu);
    g_assert_true(fl & FL_ZF);
    g_assert_true(fl & FL_CF);
}

static void test_real_mode_interrupt(struct cpu_fixture *f, gconstpointer data)
{
    /*
     * At 0000:7c00: int 0x21; hlt. The handler at 1000:0010 sets AX and
     * returns with IRET. The IVT entry for 0x21 is at 0x84.
     */
    static const uint8_t code[] = {0xcd, 0x21, 0xf4};
    static const uint8_t handler[] = {0xb8, 0x34, 0x12, 0xcf};
    struct cpu *cpu = f->cpu;
    memcpy(f->m.ram + 0x7c00, code, sizeof(code));
    memcpy(f->m.ram + 0x10010, handler, sizeof(handler));
    uint32_t vec = 0x10000010u;
    memcpy(f->m.ram + 0x84, &vec, 4);
    cpu_set_segment_real(cpu, S_CS, 0);
    cpu->eip = 0x7c00;
    cpu->regs[R_ESP] = 0x7000;
    cpu->eflags |= FL_IF;
    run_to_hlt(f);
    g_assert_cmphex(cpu->regs[R_EAX] & 0xffff, ==, 0x1234);
    g_assert_cmphex(cpu->eip, ==, 0x7c03);
    g_assert_cmphex(cpu->regs[R_ESP], ==, 0x7000);
    g_assert_true(cpu->eflags & FL_IF); /* restored by IRET */
}

/* A handler that faults at once retires nothing: the run still returns (a guest gone wild). */
static void test_exception_storm_returns(struct cpu_fixture *f, gconstpointer data)
{
    struct cpu *cpu = f->cpu;
    static const uint8_t ud2[] = {0x0f, 0x0b};
    memcpy(f->m.ram + 0x7c00, ud2, sizeof(ud2));
    uint32_t vec = 0x00007c00u; /* #UD -> 0000:7c00, the ud2 itself */
    memcpy(f->m.ram + 6 * 4, &vec, 4);
    cpu_set_segment_real(cpu, S_CS, 0);
    cpu->eip = 0x7c00;
    cpu->regs[R_ESP] = 0x7000;
    g_assert_cmpint(cpu_fixture_run(f, 1000), ==, CPU_EXIT_BUDGET);
    g_assert_cmpuint(cpu->instructions, ==, 0);
    g_assert_cmphex(cpu->eip, ==, 0x7c00);
}

/* A long REP instruction's slices count against the budget: the run comes back soon. */
static void test_rep_charges_the_budget(struct cpu_fixture *f, gconstpointer data)
{
    struct cpu *cpu = f->cpu;
    static const uint8_t code[] = {0xf3, 0xaa, 0xf4}; /* rep stosb; hlt */
    memcpy(f->m.ram + 0x7c00, code, sizeof(code));
    cpu_set_segment_real(cpu, S_CS, 0);
    cpu_set_segment_real(cpu, S_ES, 0x2000);
    cpu->eip = 0x7c00;
    cpu->regs[R_ECX] = 0xffff;
    cpu->regs[R_EDI] = 0;
    g_assert_cmpint(cpu_fixture_run(f, 100), ==, CPU_EXIT_BUDGET);
    g_assert_cmphex(cpu->eip, ==, 0x7c00);                /* to go on with */
    g_assert_cmphex(cpu->regs[R_ECX], ==, 0xffff - 4096); /* one slice of iterations */
    run_to_hlt(f);
    g_assert_cmphex(cpu->regs[R_ECX], ==, 0);
}

static void test_triple_fault(struct cpu_fixture *f, gconstpointer data)
{
    /* Protected mode with an empty IDT: #UD cannot be delivered, then neither can #DF. */
    static const uint8_t code[] = {0x0f, 0x0b};
    flat32(f, code, sizeof(code));
    f->cpu->idtr.limit = 0;
    g_assert_cmpint(cpu_fixture_run(f, 1000), ==, CPU_EXIT_SHUTDOWN);
}

static void test_reset_state(struct cpu_fixture *f, gconstpointer data)
{
    struct cpu *cpu = f->cpu;
    g_assert_cmphex(cpu->eip, ==, 0xfff0);
    g_assert_cmphex(cpu->seg[S_CS].selector, ==, 0xf000);
    g_assert_cmphex(cpu->seg[S_CS].base, ==, 0xffff0000u);
    g_assert_cmphex(cpu->regs[R_EDX], ==, 0x652);
    g_assert_cmphex(cpu->cr[0], ==, 0x60000010u);
    g_assert_cmphex(cpu->eflags, ==, 0x2);
}

static void test_cpuid(struct cpu_fixture *f, gconstpointer data)
{
    uint32_t a, b, c, d;
    cpu_cpuid(f->cpu, 0, &a, &b, &c, &d);
    char vendor[13] = {0};
    memcpy(vendor, &b, 4);
    memcpy(vendor + 4, &d, 4);
    memcpy(vendor + 8, &c, 4);
    g_assert_cmpstr(vendor, ==, "GenuineIntel");
    cpu_cpuid(f->cpu, 1, &a, &b, &c, &d);
    g_assert_cmphex((a >> 8) & 0xf, ==, 6);
    /* No MMX or SSE: only what is implemented (the x87 is: tests/cpu/test_fpu.c). */
    g_assert_cmphex(d & ((1u << 23) | (1u << 25)), ==, 0);
    g_assert_true(d & (1u << 1));  /* VME (and PVI) */
    g_assert_true(d & (1u << 8));  /* CMPXCHG8B */
    g_assert_true(d & (1u << 11)); /* SYSENTER/SYSEXIT */
}

static void test_rdpmc(struct cpu_fixture *f, gconstpointer data)
{
    /* wrmsr PERFCTR1 = 0xab0123456789; rdpmc with ECX = 1; hlt */
    static const uint8_t code[] = {0x0f, 0x30, 0xb9, 0x01, 0, 0, 0, 0x0f, 0x33, 0xf4};
    flat32(f, code, sizeof(code));
    struct cpu *cpu = f->cpu;
    cpu->regs[R_ECX] = 0xc2; /* PERFCTR1 */
    cpu->regs[R_EAX] = 0x23456789;
    cpu->regs[R_EDX] = 0xab01;
    run_to_hlt(f);
    g_assert_cmphex(cpu->regs[R_EAX], ==, 0x23456789);
    g_assert_cmphex(cpu->regs[R_EDX], ==, 0x01); /* 40-bit counters */
    /* Counter 2 does not exist: #GP(0). */
    static const uint8_t bad[] = {0x0f, 0x33, 0xf4};
    flat32(f, bad, sizeof(bad));
    cpu->halted = false;
    cpu->regs[R_ECX] = 2;
    cpu->stop_on_exception = true;
    g_assert_cmpint(cpu_fixture_run(f, 100), ==, CPU_EXIT_EXCEPTION);
    g_assert_cmpuint(cpu->exception_vector, ==, EX_GP);
}

/* IA32_PLATFORM_ID reads as platform 0; it is read-only (#GP on a write). */
static void test_platform_id(struct cpu_fixture *f, gconstpointer data)
{
    static const uint8_t code[] = {0x0f, 0x32, 0xf4}; /* rdmsr; hlt */
    flat32(f, code, sizeof(code));
    struct cpu *cpu = f->cpu;
    cpu->regs[R_ECX] = 0x17;
    cpu->regs[R_EAX] = cpu->regs[R_EDX] = 0xdeadbeef;
    run_to_hlt(f);
    g_assert_cmphex(cpu->regs[R_EAX], ==, 0);
    g_assert_cmphex(cpu->regs[R_EDX], ==, 0);
    static const uint8_t write[] = {0x0f, 0x30, 0xf4};       /* wrmsr; hlt */
    memmap_write_buf(&f->m.mem, CODE, write, sizeof(write)); /* as a device: the block goes */
    cpu_fixture_flat32(f, CODE, STACK, 0);
    cpu->halted = false;
    cpu->stop_on_exception = true;
    g_assert_cmpint(cpu_fixture_run(f, 100), ==, CPU_EXIT_EXCEPTION);
    g_assert_cmpuint(cpu->exception_vector, ==, EX_GP);
}

/*
 * What the CPU reads itself (IDT gates, GDT descriptors) comes through the
 * TLB like any access: a loop of INT and IRET does not walk the page tables
 * again and again.
 */
static void test_system_reads_use_the_tlb(struct cpu_fixture *f, gconstpointer data)
{
    enum { GDT = 0x21000, IDT = 0x22000, HANDLER = CODE + 0x100 };
    /* mov ecx, 200; l: int 0x40; dec ecx; jnz l; hlt — handler: inc edx; iretd */
    uint8_t code[0x102] = {0xb9, 200, 0, 0, 0, 0xcd, 0x40, 0x49, 0x75, 0xfb, 0xf4};
    code[0x100] = 0x42;
    code[0x101] = 0xcf;
    flat32(f, code, sizeof(code));
    cpu_fixture_paging_with_hole(f, 0x3ff000); /* paging on, so that a miss is a page walk */
    cpu_fixture_tables(f, GDT, IDT);
    cpu_fixture_gate(f, 0x40, HANDLER);
    f->cpu->regs[R_EDX] = 0;
    run_to_hlt(f);
    g_assert_cmpuint(f->cpu->regs[R_EDX], ==, 200);
    /* The pages of the code, the stack, the GDT and the IDT, a few times over at most. */
    g_assert_cmpuint(smmu_get_stats(f->mmu)->walks, <, 40);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add("/cpu/" path, struct cpu_fixture, NULL, setup, fn, teardown)
    ADD("reset-state", test_reset_state);
    ADD("cpuid", test_cpuid);
    ADD("rdpmc", test_rdpmc);
    ADD("platform-id", test_platform_id);
    ADD("decode-records", test_decode_records);
    ADD("decode-real-mode", test_decode_real_mode);
    ADD("rep-restart-after-fault", test_rep_restart_after_fault);
    ADD("fault-leaves-state", test_fault_leaves_state);
    ADD("real-mode-interrupt", test_real_mode_interrupt);
    ADD("triple-fault", test_triple_fault);
    ADD("exception-storm-returns", test_exception_storm_returns);
    ADD("rep-charges-the-budget", test_rep_charges_the_budget);
    ADD("system-reads-use-the-tlb", test_system_reads_use_the_tlb);
#undef ADD
    return g_test_run();
}
