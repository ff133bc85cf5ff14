/*
 * What the CPU gives a debugger (cpu/cpu.h): breakpoints by linear address
 * at block entry and inside a block, the write-watch hook stopping right
 * after the writing instruction (and only for CPU writes), and a step that
 * ends at an exception handler's first instruction.
 */
#include <glib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "machine/machine.h"
#include "shadowmmu/shadowmmu.h"

#define CODE 0x7c00u

struct fixture {
    struct machine m;
    struct shadowmmu *mmu;
    struct cpu *cpu;
};

static void setup(struct fixture *f, gconstpointer data)
{
    g_assert_cmpint(machine_init(&f->m, &(struct machine_config){.ram_mb = 4}), ==, 0);
    f->mmu = smmu_create(&f->m.mem);
    f->cpu = cpu_create(&f->m, f->mmu);
}

static void teardown(struct fixture *f, gconstpointer data)
{
    cpu_destroy(f->cpu);
    smmu_destroy(f->mmu);
    machine_destroy(&f->m);
}

/* Real mode, CS = `cs`, code at linear CODE. */
static void real_mode(struct fixture *f, uint16_t cs, const void *code, size_t len)
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

static void test_breakpoint_inside_block(struct fixture *f, gconstpointer data)
{
    real_mode(f, 0, nops_then_spin, sizeof(nops_then_spin));
    uint32_t bp = CODE + 2;
    cpu_set_breakpoints(f->cpu, &bp, 1);
    g_assert_cmpint(cpu_run(f->cpu, 1000), ==, CPU_EXIT_BREAKPOINT);
    g_assert_cmphex(f->cpu->eip, ==, CODE + 2);
    g_assert_cmpuint(f->cpu->instructions, ==, 2);
    /* Standing on it: nothing runs. */
    g_assert_cmpint(cpu_run(f->cpu, 1000), ==, CPU_EXIT_BREAKPOINT);
    g_assert_cmpuint(f->cpu->instructions, ==, 2);
    cpu_set_breakpoints(f->cpu, NULL, 0);
    g_assert_cmpint(cpu_run(f->cpu, 1000), ==, CPU_EXIT_BUDGET);
    g_assert_cmpuint(f->cpu->instructions, ==, 1002);
}

/* Linear addresses: CS base + EIP, here with CS = 0x07c0 and EIP = 4. */
static void test_breakpoint_at_block_entry(struct fixture *f, gconstpointer data)
{
    real_mode(f, 0x07c0, nops_then_spin, sizeof(nops_then_spin));
    uint32_t bp = CODE + 4;
    cpu_set_breakpoints(f->cpu, &bp, 1);
    /* The jmp $ loops back to a block that starts on the breakpoint. */
    g_assert_cmpint(cpu_run(f->cpu, 1000), ==, CPU_EXIT_BREAKPOINT);
    g_assert_cmphex(f->cpu->eip, ==, 4);
    f->cpu->eip = 4;
    cpu_set_breakpoints(f->cpu, NULL, 0);
    g_assert_cmpint(cpu_run(f->cpu, 1), ==, CPU_EXIT_BUDGET); /* the debugger steps over it */
    cpu_set_breakpoints(f->cpu, &bp, 1);
    g_assert_cmpint(cpu_run(f->cpu, 1000), ==, CPU_EXIT_BREAKPOINT);
    g_assert_cmpuint(f->cpu->instructions, ==, 5);
}

struct hook_log {
    struct cpu *cpu;
    unsigned calls;
    uint64_t paddr;
};

static void stop_on_write(void *opaque, uint64_t paddr, unsigned size)
{
    struct hook_log *l = opaque;
    l->calls++;
    l->paddr = paddr;
    cpu_request_exit(l->cpu);
}

static void test_watch_hook_stops_after_the_write(struct fixture *f, gconstpointer data)
{
    /* mov [0x2004], ax; nop; nop; jmp $ */
    static const uint8_t code[] = {0xa3, 0x04, 0x20, 0x90, 0x90, 0xeb, 0xfe};
    struct hook_log log = {f->cpu, 0, 0};
    real_mode(f, 0, code, sizeof(code));
    f->cpu->regs[R_EAX] = 0xbeef;
    cpu_set_watch_hook(f->cpu, stop_on_write, &log);
    smmu_watch_page(f->mmu, 0x2000);
    g_assert_cmpint(cpu_run(f->cpu, 1000), ==, CPU_EXIT_REQUEST);
    g_assert_cmpuint(log.calls, ==, 1);
    g_assert_cmphex(log.paddr, ==, 0x2004);
    g_assert_cmphex(f->cpu->eip, ==, CODE + 3);
    g_assert_cmpuint(f->cpu->instructions, ==, 1);
    g_assert_cmphex(f->m.ram[0x2004], ==, 0xef);
    /* Device (DMA) writes are not the CPU's: the hook is not told. */
    uint8_t b = 1;
    memmap_write_buf(&f->m.mem, 0x2008, &b, 1);
    g_assert_cmpuint(log.calls, ==, 1);
    smmu_unwatch_page(f->mmu, 0x2000);
    cpu_set_watch_hook(f->cpu, NULL, NULL);
}

static void test_step_ends_at_handler(struct fixture *f, gconstpointer data)
{
    static const uint8_t ud2[] = {0x0f, 0x0b};
    real_mode(f, 0, ud2, sizeof(ud2));
    static const uint8_t ivt6[] = {0x00, 0x7d, 0x00, 0x00}; /* #UD -> 0000:7d00 */
    memcpy(f->m.ram + 6 * 4, ivt6, sizeof(ivt6));
    f->m.ram[0x7d00] = 0x90;
    f->cpu->stop_after_delivery = true;
    g_assert_cmpint(cpu_run(f->cpu, 1), ==, CPU_EXIT_BREAKPOINT);
    f->cpu->stop_after_delivery = false;
    g_assert_cmphex(f->cpu->eip, ==, 0x7d00);
    g_assert_cmpuint(f->cpu->instructions, ==, 0);
    g_assert_cmphex(f->cpu->regs[R_ESP], ==, 0x1000 - 6);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add("/cpu-debug/" name, struct fixture, NULL, setup, fn, teardown)
    ADD("breakpoint-inside-block", test_breakpoint_inside_block);
    ADD("breakpoint-at-block-entry", test_breakpoint_at_block_entry);
    ADD("watch-hook-stops-after-the-write", test_watch_hook_stops_after_the_write);
    ADD("step-ends-at-handler", test_step_ends_at_handler);
    return g_test_run();
}
