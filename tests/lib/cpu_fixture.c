/* The CPU tests' shared fixture (tests/lib/cpu_fixture.h). */
#include "tests/lib/cpu_fixture.h"

#include <glib.h>
#include <string.h>

#include "machine/memmap.h"

struct translator_config cpu_fixture_config(void)
{
    struct translator_config cfg = translator_default_config();
    const char *tier = g_getenv("POPEK_TEST_TIER");
    cfg.tier = tier && strcmp(tier, "1") == 0 ? 1 : 0;
    if (cfg.tier == 1 && !translator_tier1_available())
        g_error("POPEK_TEST_TIER=1 on a host without tier 1");
    cfg.hot_threshold = 0;
    return cfg;
}

void cpu_fixture_init_config(struct cpu_fixture *f, uint32_t ram_mb,
                             const struct translator_config *cfg)
{
    if (machine_init(&f->m, &(struct machine_config){.ram_mb = ram_mb}) != 0)
        g_error("machine_init failed");
    f->mmu = smmu_create(&f->m.mem);
    f->cpu = cpu_create(&f->m, f->mmu);
    f->tr = translator_create(f->cpu, cfg);
}

void cpu_fixture_init(struct cpu_fixture *f, uint32_t ram_mb)
{
    struct translator_config cfg = cpu_fixture_config();
    cpu_fixture_init_config(f, ram_mb, &cfg);
}

void cpu_fixture_destroy(struct cpu_fixture *f)
{
    translator_destroy(f->tr);
    cpu_destroy(f->cpu);
    smmu_destroy(f->mmu);
    machine_destroy(&f->m);
}

void cpu_fixture_flat32(struct cpu_fixture *f, uint32_t eip, uint32_t esp, uint32_t cr0_extra)
{
    struct cpu *cpu = f->cpu;
    cpu->cr[0] = 0x11 | cr0_extra;
    cpu_sync_control(cpu);
    cpu_set_segment(cpu, S_CS, 0x08, 0, 0xffffffffu, 0xc09b);
    for (int s = 0; s < S_COUNT; s++) {
        if (s != S_CS)
            cpu_set_segment(cpu, s, 0x10, 0, 0xffffffffu, 0xc093);
    }
    cpu->eip = eip;
    cpu->regs[R_ESP] = esp;
    cpu->halted = false;
}

void cpu_fixture_tables(struct cpu_fixture *f, uint32_t gdt, uint32_t idt)
{
    static const uint64_t flat[3] = {0, 0x00cf9a000000ffffull, 0x00cf92000000ffffull};
    memmap_write_buf(&f->m.mem, gdt, flat, sizeof(flat));
    memmap_fill_zero(&f->m.mem, idt, 256 * 8);
    f->cpu->gdtr.base = gdt;
    f->cpu->gdtr.limit = sizeof(flat) - 1;
    f->cpu->idtr.base = idt;
    f->cpu->idtr.limit = 256 * 8 - 1;
}

void cpu_fixture_gate(struct cpu_fixture *f, uint8_t vector, uint32_t handler)
{
    uint32_t gate[2] = {0x00080000u | (handler & 0xffff), (handler & 0xffff0000u) | 0x8e00};
    memmap_write_buf(&f->m.mem, f->cpu->idtr.base + 8u * vector, gate, sizeof(gate));
}

void cpu_fixture_paging_with_hole(struct cpu_fixture *f, uint32_t hole)
{
    const uint32_t pd = 0x200000, pt = 0x201000;
    uint32_t pde = pt | 7;
    memcpy(f->m.ram + pd, &pde, 4);
    for (uint32_t i = 0; i < 1024; i++) {
        uint32_t pte = (i << 12) == hole ? 0 : (i << 12) | 7;
        memcpy(f->m.ram + pt + 4 * i, &pte, 4);
    }
    f->cpu->cr[3] = pd;
    f->cpu->cr[0] |= 0x80000000u;
    cpu_sync_control(f->cpu);
}

enum cpu_exit cpu_fixture_run(struct cpu_fixture *f, uint64_t budget)
{
    return translator_run(f->tr, budget);
}

void cpu_fixture_run_to_hlt(struct cpu_fixture *f, uint64_t budget)
{
    enum cpu_exit why = cpu_fixture_run(f, budget);
    if (why != CPU_EXIT_HLT)
        g_error("the run ended with %d at eip %08x (vector %d)", why, f->cpu->eip,
                f->cpu->exception_vector);
}
