/*
 * What the CPU gives a debugger (cpu/cpu.h): breakpoints by linear address
 * at block entry and inside a block, write, read and access watchpoints
 * stopping right after the instruction (only for CPU data accesses; a REP
 * string instruction after the iteration), and a step that ends at an
 * exception handler's first instruction.
 */
#include <glib.h>
#include <string.h>

#include "tests/lib/cpu_fixture.h"

#define CODE 0x7c00u

static void setup(struct cpu_fixture *f, gconstpointer data)
{
    cpu_fixture_init(f, 4);
}

static void teardown(struct cpu_fixture *f, gconstpointer data)
{
    cpu_fixture_destroy(f);
}

/* Real mode, CS = `cs`, code at linear CODE. */
static void real_mode(struct cpu_fixture *f, uint16_t cs, const void *code, size_t len)
{
    memcpy(f->m.ram + CODE, code, len);
    cpu_set_segment_real(f->cpu, S_CS, cs);
    for (int s = 0; s < S_COUNT; s++) {
        if (s != S_CS)
            cpu_set_segment_real(f->cpu, s, 0);
    }
    f->cpu->eip = CODE - ((uint32_t)cs << 4);
    f->cpu->regs[R_ESP] = 0x1000;
}

static const uint8_t nops_then_spin[] = {0x90, 0x90, 0x90, 0x90, 0xeb, 0xfe};

static void test_breakpoint_inside_block(struct cpu_fixture *f, gconstpointer data)
{
    real_mode(f, 0, nops_then_spin, sizeof(nops_then_spin));
    uint32_t bp = CODE + 2;
    cpu_set_breakpoints(f->cpu, &bp, 1);
    g_assert_cmpint(cpu_fixture_run(f, 1000), ==, CPU_EXIT_BREAKPOINT);
    g_assert_cmphex(f->cpu->eip, ==, CODE + 2);
    g_assert_cmpuint(f->cpu->instructions, ==, 2);
    /* Standing on it: nothing runs. */
    g_assert_cmpint(cpu_fixture_run(f, 1000), ==, CPU_EXIT_BREAKPOINT);
    g_assert_cmpuint(f->cpu->instructions, ==, 2);
    cpu_set_breakpoints(f->cpu, NULL, 0);
    g_assert_cmpint(cpu_fixture_run(f, 1000), ==, CPU_EXIT_BUDGET);
    g_assert_cmpuint(f->cpu->instructions, ==, 1002);
}

/* Linear addresses: CS base + EIP, here with CS = 0x07c0 and EIP = 4. */
static void test_breakpoint_at_block_entry(struct cpu_fixture *f, gconstpointer data)
{
    real_mode(f, 0x07c0, nops_then_spin, sizeof(nops_then_spin));
    uint32_t bp = CODE + 4;
    cpu_set_breakpoints(f->cpu, &bp, 1);
    /* The jmp $ loops back to a block that starts on the breakpoint. */
    g_assert_cmpint(cpu_fixture_run(f, 1000), ==, CPU_EXIT_BREAKPOINT);
    g_assert_cmphex(f->cpu->eip, ==, 4);
    f->cpu->eip = 4;
    cpu_set_breakpoints(f->cpu, NULL, 0);
    g_assert_cmpint(cpu_fixture_run(f, 1), ==, CPU_EXIT_BUDGET); /* the debugger steps over it */
    cpu_set_breakpoints(f->cpu, &bp, 1);
    g_assert_cmpint(cpu_fixture_run(f, 1000), ==, CPU_EXIT_BREAKPOINT);
    g_assert_cmpuint(f->cpu->instructions, ==, 5);
}

static void watch(struct cpu_fixture *f, uint32_t addr, uint32_t len, enum cpu_watch_kind kind)
{
    struct cpu_watchpoint w = {addr, len, kind};
    g_assert_cmpint(cpu_set_watchpoints(f->cpu, &w, 1), ==, 0);
}

static void test_write_watch_stops_after_the_write(struct cpu_fixture *f, gconstpointer data)
{
    /* mov ax, [0x2004]; mov [0x2004], ax; nop; nop; jmp $ */
    static const uint8_t code[] = {0xa1, 0x04, 0x20, 0xa3, 0x04, 0x20, 0x90, 0x90, 0xeb, 0xfe};
    real_mode(f, 0, code, sizeof(code));
    f->m.ram[0x2004] = 0xef;
    f->m.ram[0x2005] = 0xbe;
    watch(f, 0x2005, 1, CPU_WATCH_WRITE);
    /* The read does not stop: the write does, right after it. */
    g_assert_cmpint(cpu_fixture_run(f, 1000), ==, CPU_EXIT_WATCHPOINT);
    g_assert_cmpint(cpu_watch_hit(f->cpu), ==, 0);
    g_assert_cmphex(f->cpu->eip, ==, CODE + 6);
    g_assert_cmpuint(f->cpu->instructions, ==, 2);
    g_assert_cmphex(f->m.ram[0x2005], ==, 0xbe);
    /* Device (DMA) writes are not the CPU's: they do not stop it. */
    uint8_t b = 1;
    memmap_write_buf(&f->m.mem, 0x2005, &b, 1);
    g_assert_cmpint(cpu_fixture_run(f, 1000), ==, CPU_EXIT_BUDGET);
    g_assert_cmpint(cpu_watch_hit(f->cpu), ==, -1);
    cpu_set_watchpoints(f->cpu, NULL, 0);
}

/* Read watchpoints see reads (and partial overlaps), not writes; access ones see both. */
static void test_read_and_access_watch(struct cpu_fixture *f, gconstpointer data)
{
    /* mov [0x2003], ax; mov ax, [0x2003]; nop; jmp $ */
    static const uint8_t code[] = {0xa3, 0x03, 0x20, 0xa1, 0x03, 0x20, 0x90, 0xeb, 0xfe};
    real_mode(f, 0, code, sizeof(code));
    watch(f, 0x2004, 4, CPU_WATCH_READ);
    g_assert_cmpint(cpu_fixture_run(f, 1000), ==, CPU_EXIT_WATCHPOINT);
    g_assert_cmphex(f->cpu->eip, ==, CODE + 6);
    g_assert_cmpuint(f->cpu->instructions, ==, 2);

    real_mode(f, 0, code, sizeof(code));
    watch(f, 0x2004, 1, CPU_WATCH_ACCESS);
    g_assert_cmpint(cpu_fixture_run(f, 1000), ==, CPU_EXIT_WATCHPOINT);
    g_assert_cmphex(f->cpu->eip, ==, CODE + 3);
    g_assert_cmpint(cpu_fixture_run(f, 1000), ==, CPU_EXIT_WATCHPOINT);
    g_assert_cmphex(f->cpu->eip, ==, CODE + 6);
    /* Next to the range, nothing. */
    real_mode(f, 0, code, sizeof(code));
    watch(f, 0x2005, 1, CPU_WATCH_ACCESS);
    g_assert_cmpint(cpu_fixture_run(f, 100), ==, CPU_EXIT_BUDGET);
    cpu_set_watchpoints(f->cpu, NULL, 0);
}

/* Instruction fetches from a watched range are not data reads. */
static void test_fetch_is_not_a_read(struct cpu_fixture *f, gconstpointer data)
{
    real_mode(f, 0, nops_then_spin, sizeof(nops_then_spin));
    watch(f, CODE, 8, CPU_WATCH_ACCESS);
    g_assert_cmpint(cpu_fixture_run(f, 100), ==, CPU_EXIT_BUDGET);
    cpu_set_watchpoints(f->cpu, NULL, 0);
}

/* REP STOSB stops after the iteration that wrote the range, and goes on from there. */
static void test_rep_stops_after_the_iteration(struct cpu_fixture *f, gconstpointer data)
{
    /* rep stosb; nop; jmp $ */
    static const uint8_t code[] = {0xf3, 0xaa, 0x90, 0xeb, 0xfe};
    real_mode(f, 0, code, sizeof(code));
    f->cpu->regs[R_EDI] = 0x3000;
    f->cpu->regs[R_ECX] = 100;
    f->cpu->regs[R_EAX] = 0x5a;
    watch(f, 0x3010, 1, CPU_WATCH_WRITE);
    g_assert_cmpint(cpu_fixture_run(f, 1000), ==, CPU_EXIT_WATCHPOINT);
    g_assert_cmphex(f->cpu->eip, ==, CODE); /* on the REP instruction, to go on */
    g_assert_cmpuint(f->cpu->regs[R_ECX], ==, 100 - 17);
    g_assert_cmphex(f->cpu->regs[R_EDI], ==, 0x3011);
    g_assert_cmphex(f->m.ram[0x3010], ==, 0x5a);
    g_assert_cmphex(f->m.ram[0x3011], ==, 0);
    g_assert_cmpint(cpu_fixture_run(f, 1), ==, CPU_EXIT_BUDGET);
    g_assert_cmpuint(f->cpu->regs[R_ECX], ==, 0);
    g_assert_cmphex(f->m.ram[0x3000 + 99], ==, 0x5a);
    cpu_set_watchpoints(f->cpu, NULL, 0);
}

/* A faulting instruction's accesses do not count: it has not completed. */
static void test_faulting_instruction_does_not_stop(struct cpu_fixture *f, gconstpointer data)
{
    /* div byte [0x2004] with a zero divisor: #DE after the read */
    static const uint8_t code[] = {0xf6, 0x36, 0x04, 0x20};
    static const uint8_t ivt0[] = {0x00, 0x7d, 0x00, 0x00}; /* #DE -> 0000:7d00: jmp $ */
    real_mode(f, 0, code, sizeof(code));
    memcpy(f->m.ram, ivt0, sizeof(ivt0));
    f->m.ram[0x7d00] = 0xeb;
    f->m.ram[0x7d01] = 0xfe;
    watch(f, 0x2004, 1, CPU_WATCH_READ);
    g_assert_cmpint(cpu_fixture_run(f, 100), ==, CPU_EXIT_BUDGET);
    g_assert_cmphex(f->cpu->eip, ==, 0x7d00);
    g_assert_cmpint(cpu_watch_hit(f->cpu), ==, -1);
    cpu_set_watchpoints(f->cpu, NULL, 0);
}

static void test_watch_arguments(struct cpu_fixture *f, gconstpointer data)
{
    /* The set is checked: too many, empty or huge ranges are refused and change nothing. */
    struct cpu_watchpoint w[CPU_MAX_WATCHPOINTS + 1] = {{0x100, 0, CPU_WATCH_WRITE}};
    g_assert_cmpint(cpu_set_watchpoints(f->cpu, w, 1), ==, -1);
    w[0].len = 4097;
    g_assert_cmpint(cpu_set_watchpoints(f->cpu, w, 1), ==, -1);
    for (unsigned i = 0; i < CPU_MAX_WATCHPOINTS + 1; i++)
        w[i] = (struct cpu_watchpoint){0x100 * i, 4096, CPU_WATCH_ACCESS};
    g_assert_cmpint(cpu_set_watchpoints(f->cpu, w, CPU_MAX_WATCHPOINTS + 1), ==, -1);
    g_assert_cmpint(cpu_set_watchpoints(f->cpu, w, CPU_MAX_WATCHPOINTS), ==, 0);
    cpu_set_watchpoints(f->cpu, NULL, 0);
}

/* Debug registers set from outside (a debugger, a loader) take effect at the next run. */
static void test_debug_registers_set_directly(struct cpu_fixture *f, gconstpointer data)
{
    /* mov [0x2004], ax; nop; jmp $ -- #DB -> 0000:7d00: jmp $ */
    static const uint8_t code[] = {0xa3, 0x04, 0x20, 0x90, 0xeb, 0xfe};
    static const uint8_t ivt1[] = {0x00, 0x7d, 0x00, 0x00};
    real_mode(f, 0, code, sizeof(code));
    memcpy(f->m.ram + 4, ivt1, sizeof(ivt1));
    f->m.ram[0x7d00] = 0xeb;
    f->m.ram[0x7d01] = 0xfe;
    f->cpu->dr[2] = 0x2004;
    f->cpu->dr[7] = 0x05000410u; /* L2, R/W2 = 01, LEN2 = 01: a word written */
    g_assert_cmpint(cpu_fixture_run(f, 2), ==, CPU_EXIT_BUDGET);
    g_assert_cmphex(f->cpu->eip, ==, 0x7d00);                     /* the #DB came */
    g_assert_cmphex(f->cpu->dr[6] & 0xf, ==, 4);                  /* B2 */
    g_assert_cmphex(f->m.ram[0x1000 - 6], ==, (CODE + 3) & 0xff); /* a trap: after the write */
    /* Cleared from outside: no trap any more. */
    f->cpu->dr[7] = 0x400;
    real_mode(f, 0, code, sizeof(code));
    g_assert_cmpint(cpu_fixture_run(f, 3), ==, CPU_EXIT_BUDGET);
    g_assert_cmphex(f->cpu->eip, ==, CODE + 4);
}

static void test_step_ends_at_handler(struct cpu_fixture *f, gconstpointer data)
{
    static const uint8_t ud2[] = {0x0f, 0x0b};
    real_mode(f, 0, ud2, sizeof(ud2));
    static const uint8_t ivt6[] = {0x00, 0x7d, 0x00, 0x00}; /* #UD -> 0000:7d00 */
    memcpy(f->m.ram + 6 * 4, ivt6, sizeof(ivt6));
    f->m.ram[0x7d00] = 0x90;
    f->cpu->stop_after_delivery = true;
    g_assert_cmpint(cpu_fixture_run(f, 1), ==, CPU_EXIT_BREAKPOINT);
    f->cpu->stop_after_delivery = false;
    g_assert_cmphex(f->cpu->eip, ==, 0x7d00);
    g_assert_cmpuint(f->cpu->instructions, ==, 0);
    g_assert_cmphex(f->cpu->regs[R_ESP], ==, 0x1000 - 6);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add("/cpu-debug/" name, struct cpu_fixture, NULL, setup, fn, teardown)
    ADD("breakpoint-inside-block", test_breakpoint_inside_block);
    ADD("breakpoint-at-block-entry", test_breakpoint_at_block_entry);
    ADD("write-watch-stops-after-the-write", test_write_watch_stops_after_the_write);
    ADD("read-and-access-watch", test_read_and_access_watch);
    ADD("fetch-is-not-a-read", test_fetch_is_not_a_read);
    ADD("rep-stops-after-the-iteration", test_rep_stops_after_the_iteration);
    ADD("faulting-instruction-does-not-stop", test_faulting_instruction_does_not_stop);
    ADD("watch-arguments", test_watch_arguments);
    ADD("debug-registers-set-directly", test_debug_registers_set_directly);
    ADD("step-ends-at-handler", test_step_ends_at_handler);
    return g_test_run();
}
