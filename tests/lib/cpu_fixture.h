/*
 * The fixture the CPU-level tests share: a machine with guest RAM, a shadow
 * MMU, a CPU and the translator that runs it, and the flat 32-bit
 * protected-mode state most of them start from.
 */
#ifndef POPEK_TESTS_LIB_CPU_FIXTURE_H
#define POPEK_TESTS_LIB_CPU_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "machine/machine.h"
#include "shadowmmu/shadowmmu.h"
#include "translator/translator.h"

struct cpu_fixture {
    struct machine m;
    struct shadowmmu *mmu;
    struct cpu *cpu;
    struct translator *tr;
};

/*
 * Build the machine (`ram_mb` of RAM), MMU, CPU and translator; aborts the
 * test on failure. The tier comes from the environment, so that meson runs
 * the same tests in both: POPEK_TEST_TIER (0, the default, or 1), with
 * tier 1 translating every block at once (threshold 0).
 */
void cpu_fixture_init(struct cpu_fixture *f, uint32_t ram_mb);

/* The same with an explicit translator configuration. */
void cpu_fixture_init_config(struct cpu_fixture *f, uint32_t ram_mb,
                             const struct translator_config *cfg);

/* The configuration POPEK_TEST_TIER asks for. */
struct translator_config cpu_fixture_config(void);
void cpu_fixture_destroy(struct cpu_fixture *f);

/*
 * Flat 32-bit protected mode at CPL 0 (CR0 = PE | ET | cr0_extra, paging
 * off), CS 0x08 and the data segments 0x10 covering 4 GiB, EIP and ESP as
 * given, not halted.
 */
void cpu_fixture_flat32(struct cpu_fixture *f, uint32_t eip, uint32_t esp, uint32_t cr0_extra);

/*
 * Descriptor tables in guest memory for what cpu_fixture_flat32 set up (so
 * that segment loads and interrupt delivery read real descriptors): a GDT at
 * `gdt` (null, 0x08 flat 32-bit code, 0x10 flat data) and an empty IDT at
 * `idt` (256 gates), both loaded.
 */
void cpu_fixture_tables(struct cpu_fixture *f, uint32_t gdt, uint32_t idt);

/* An interrupt gate (ring 0, CS 0x08) for `vector` in the IDT cpu_fixture_tables set up. */
void cpu_fixture_gate(struct cpu_fixture *f, uint8_t vector, uint32_t handler);

/*
 * 32-bit paging (CR3 = 0x200000, one page table at 0x201000) identity-mapping
 * the first 4 MiB, pages present, writable and user, except the page at
 * `hole`, which is not present; turns paging on.
 */
void cpu_fixture_paging_with_hole(struct cpu_fixture *f, uint32_t hole);

/* Run up to `budget` instructions. */
enum cpu_exit cpu_fixture_run(struct cpu_fixture *f, uint64_t budget);

/* Run until HLT (within `budget` instructions); anything else fails the test. */
void cpu_fixture_run_to_hlt(struct cpu_fixture *f, uint64_t budget);

#endif
