/*
 * A hostile guest against the whole board: random reads and writes of
 * every I/O port a PC device decodes (and of any other), of the physical
 * address space (RAM, the VGA window, ROM, PCI BARs wherever the guest
 * moves them, holes), PCI configuration cycles that move and resize BARs,
 * DMA and disk commands with random parameters, with timers running in
 * between. Nothing is checked but that popek survives it: no crash, no
 * sanitizer report (the suite also runs in an ASan+UBSan build), and disk
 * images left untouched in snapshot mode.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "pc/pc.h"
#include "translator/translator.h"

#define ROUNDS 1000000

/* The ports PC devices decode, where random traffic is most likely to reach something. */
static const struct {
    uint16_t first, last;
} port_ranges[] = {
    {0x00, 0x1f},                     /* 8237 DMA 1, page registers */
    {0x20, 0x21},                     /* 8259 master */
    {0x40, 0x43},                     /* 8254 */
    {0x60, 0x64},                     /* i8042, port 61h */
    {0x70, 0x71},                     /* RTC */
    {0x80, 0x9f},                     /* POST, DMA pages, port 92h */
    {0xa0, 0xa1},                     /* 8259 slave */
    {0xc0, 0xdf},                     /* 8237 DMA 2 */
    {0xf0, 0xf4},                     /* FERR#, debug exit */
    {0x170, 0x177},                   /* IDE secondary */
    {0x1ce, 0x1d0},                   /* VBE */
    {0x1f0, 0x1f7},                   /* IDE primary */
    {0x376, 0x376},   {0x3b0, 0x3df}, /* VGA */
    {0x3f0, 0x3f7},                   /* floppy, IDE alternate status */
    {0x3f8, 0x3ff},                   /* COM1 */
    {0x402, 0x402},                   /* debug console */
    {0x510, 0x51b},                   /* fw_cfg */
    {0xc000, 0xc0ff}, /* where the BIOS would put PCI I/O BARs (the NE2000, IDE bus master) */
    {0xcf8, 0xcff},   /* PCI configuration */
};

struct fixture {
    struct pc pc;
    char *files[4]; /* BIOS, disk, floppy, CD */
    char *disk_copy;
    gsize disk_len;
    GRand *rand;
};

static char *temp_file(const char *name, size_t len, uint8_t fill)
{
    char *path = NULL;
    int fd = g_file_open_tmp(name, &path, NULL);
    g_assert_cmpint(fd, >=, 0);
    close(fd);
    uint8_t *buf = g_malloc(len);
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(fill + i * 7);
    g_assert_true(g_file_set_contents(path, (const char *)buf, (gssize)len, NULL));
    g_free(buf);
    return path;
}

static void discard(void *opaque, const uint8_t *buf, size_t len)
{
    (void)opaque;
    (void)buf;
    (void)len;
}

static void pci_write(struct pc *pc, unsigned dev, unsigned fn, unsigned reg, uint32_t v)
{
    iobus_write(&pc->m.io, 0xcf8, 0x80000000u | dev << 11 | fn << 8 | reg, 4);
    iobus_write(&pc->m.io, 0xcfc, v, 4);
}

/* Map the BARs where a BIOS would (so random traffic reaches them), and enable decoding. */
static void pci_setup(struct pc *pc)
{
    pci_write(pc, 1, 1, 0x20, 0xc041); /* IDE bus master */
    pci_write(pc, 1, 1, 0x04, 0x0005);
    pci_write(pc, 2, 0, 0x10, 0xe0000008u); /* VGA framebuffer */
    pci_write(pc, 2, 0, 0x04, 0x0003);
    pci_write(pc, 3, 0, 0x10, 0xc001); /* NE2000 */
    pci_write(pc, 3, 0, 0x04, 0x0007);
}

/* The board, its BARs mapped, and the random numbers of seed `data` (or POPEK_HOSTILE_SEED). */
static void setup(struct fixture *f, gconstpointer data)
{
    guint32 seed = GPOINTER_TO_UINT(data);
    const char *env = g_getenv("POPEK_HOSTILE_SEED");
    if (env)
        seed = (guint32)g_ascii_strtoull(env, NULL, 0);
    g_test_message("seed %u", seed);
    uint8_t rom[0x10000];
    memset(rom, 0xf4, sizeof(rom)); /* HLT: the CPU is not run here */
    f->files[0] = temp_file("popek-hostile-bios-XXXXXX.bin", sizeof(rom), 0);
    g_assert_true(g_file_set_contents(f->files[0], (const char *)rom, sizeof(rom), NULL));
    f->files[1] = temp_file("popek-hostile-disk-XXXXXX.img", 1 << 20, 0x11);
    f->files[2] = temp_file("popek-hostile-fd-XXXXXX.img", 1474560, 0x22);
    f->files[3] = temp_file("popek-hostile-cd-XXXXXX.iso", 64 * 2048, 0x33);
    g_assert_true(g_file_get_contents(f->files[1], &f->disk_copy, &f->disk_len, NULL));
    struct pc_config cfg = {
        .ram_mb = 16,
        .bios = f->files[0],
        .hd = {f->files[1]},
        .fd = {f->files[2]},
        .cdrom = f->files[3],
        .snapshot = true,
        .debugcon = {.write = discard},
        .net = "user",
        .net_tx = {.write = discard},
    };
    char *err = NULL;
    if (pc_init(&f->pc, &cfg, &err) < 0)
        g_error("pc_init: %s", err);
    pci_setup(&f->pc);
    f->rand = g_rand_new_with_seed(seed);
}

static void teardown(struct fixture *f)
{
    pc_destroy(&f->pc);
    /* Snapshot mode: whatever the guest did, the image is as it was. */
    gchar *now = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(f->files[1], &now, &len, NULL));
    g_assert_cmpuint(len, ==, f->disk_len);
    g_assert_true(memcmp(now, f->disk_copy, len) == 0);
    g_free(now);
    g_free(f->disk_copy);
    for (unsigned i = 0; i < G_N_ELEMENTS(f->files); i++) {
        g_unlink(f->files[i]);
        g_free(f->files[i]);
    }
    g_rand_free(f->rand);
}

static uint32_t rnd(struct fixture *f, uint32_t below)
{
    return (uint32_t)g_rand_int_range(f->rand, 0, (gint32)below);
}

/* A value with the shapes devices care about: small, all ones, a bit, anything. */
static uint32_t value(struct fixture *f)
{
    switch (rnd(f, 5)) {
    case 0:
        return rnd(f, 16);
    case 1:
        return 0xffffffffu;
    case 2:
        return 1u << rnd(f, 32);
    default:
        return g_rand_int(f->rand);
    }
}

static unsigned access_size(struct fixture *f)
{
    static const unsigned sizes[] = {1, 1, 1, 2, 4};
    return sizes[rnd(f, G_N_ELEMENTS(sizes))];
}

static uint16_t port(struct fixture *f)
{
    if (rnd(f, 8) == 0)
        return (uint16_t)rnd(f, 0x10000);
    unsigned r = rnd(f, G_N_ELEMENTS(port_ranges));
    return (uint16_t)(port_ranges[r].first +
                      rnd(f, port_ranges[r].last - port_ranges[r].first + 1));
}

/* Physical addresses: the VGA window, BIOS areas, high PCI space, RAM, anywhere. */
static uint64_t address(struct fixture *f)
{
    switch (rnd(f, 6)) {
    case 0:
        return 0xa0000 + rnd(f, 0x20000);
    case 1:
        return 0xc0000 + rnd(f, 0x40000);
    case 2:
        return 0xe0000000u + rnd(f, 0x1000000); /* the VBE framebuffer and BARs nearby */
    case 3:
        return 0xfe000000u + rnd(f, 0x2000000);
    case 4:
        return rnd(f, 16 << 20);
    default:
        return g_rand_int(f->rand);
    }
}

/* A PCI configuration cycle: a register of a device that exists, often a BAR or the command. */
static void pci_cycle(struct fixture *f)
{
    static const uint8_t regs[] = {0x04, 0x10, 0x14, 0x18, 0x1c, 0x20, 0x24, 0x30, 0x3c};
    uint32_t dev = rnd(f, 5), fn = rnd(f, 2);
    uint32_t reg = rnd(f, 2) ? regs[rnd(f, sizeof(regs))] : rnd(f, 256) & ~3u;
    iobus_write(&f->pc.m.io, 0xcf8, 0x80000000u | dev << 11 | fn << 8 | reg, 4);
    if (rnd(f, 3))
        iobus_write(&f->pc.m.io, (uint16_t)(0xcfc + rnd(f, 4)), value(f), access_size(f));
    else
        (void)iobus_read(&f->pc.m.io, (uint16_t)(0xcfc + rnd(f, 4)), access_size(f));
}

static void one_round(struct fixture *f)
{
    struct pc *pc = &f->pc;
    switch (rnd(f, 16)) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4:
        iobus_write(&pc->m.io, port(f), value(f), access_size(f));
        break;
    case 5:
    case 6:
    case 7:
        (void)iobus_read(&pc->m.io, port(f), access_size(f));
        break;
    case 8:
    case 9:
        memmap_write(&pc->m.mem, address(f), value(f), access_size(f));
        break;
    case 10:
        (void)memmap_read(&pc->m.mem, address(f), access_size(f));
        break;
    case 11: {
        uint8_t buf[64];
        for (size_t i = 0; i < sizeof(buf); i++)
            buf[i] = (uint8_t)g_rand_int(f->rand);
        memmap_write_buf(&pc->m.mem, address(f), buf, rnd(f, sizeof(buf) + 1));
        break;
    }
    case 12:
    case 13:
        pci_cycle(f);
        break;
    case 14:
        vclock_run_due(&pc->m.clock); /* timers: DMA, the floppy, the UART, the NIC */
        pc_poll_serial(pc);
        break;
    default:
        if (rnd(f, 64) == 0)
            pc_reset(pc); /* as the guest's reset would */
        else if (rnd(f, 16) == 0)
            pci_setup(pc);
        break;
    }
}

/* Start the CPU somewhere in low RAM, in real mode as after a reset. */
static void jump_somewhere(struct fixture *f)
{
    struct cpu *cpu = f->pc.cpu;
    cpu->halted = false;
    cpu_set_segment_real(cpu, S_CS, (uint16_t)rnd(f, 0x9000));
    cpu->eip = rnd(f, 0x10000);
}

/*
 * Or in protected mode with the system tables in the random bytes: GDT, IDT,
 * TSS and, half the time, paging through random page tables (4 KiB, PSE or
 * PAE), at CPL 0 or 3, with VME and PVI sometimes on.
 */
static void protected_somewhere(struct fixture *f)
{
    struct cpu *cpu = f->pc.cpu;
    cpu->halted = false;
    cpu->cr[0] = 0x60000011u | (rnd(f, 2) ? 0x80000000u : 0);
    cpu->cr[3] = rnd(f, 0xa0000) & ~0xfffu;
    cpu->cr[4] = g_rand_int(f->rand) & 0xbbu; /* VME PVI DE PSE PAE PGE */
    cpu->gdtr = (struct cpu_dtable){0, rnd(f, 0x90000), rnd(f, 0x10000), 0};
    cpu->idtr = (struct cpu_dtable){0, rnd(f, 0x90000), rnd(f, 0x800), 0};
    cpu->tr = (struct cpu_dtable){0x28, rnd(f, 0x90000), 0x67 + rnd(f, 0x2000), 0x8b};
    uint16_t dpl = rnd(f, 2) ? 0x60 : 0;
    uint16_t rpl = dpl ? 3 : 0;
    cpu_set_segment(cpu, S_CS, (uint16_t)(0x08 | rpl), 0, 0xffffffffu, (uint16_t)(0xc09b | dpl));
    for (int s = 0; s < S_COUNT; s++) {
        if (s != S_CS)
            cpu_set_segment(cpu, (enum cpu_seg)s, (uint16_t)(0x10 | rpl), 0, 0xffffffffu,
                            (uint16_t)(0xc093 | dpl));
    }
    cpu->eflags = 0x2 | (g_rand_int(f->rand) & 0x3200u); /* IF, IOPL */
    cpu->eip = rnd(f, 0xa0000);
    cpu->regs[R_ESP] = rnd(f, 0xa0000);
    cpu_sync_control(cpu);
}

/*
 * Random code: low RAM full of random bytes (the IVT and every system table
 * too) run by the CPU in real mode and in protected mode, with the device
 * traffic above in between. Whatever it reaches (paging, privilege changes,
 * task switches, V86 mode, port I/O, faults in faults, triple faults) popek
 * survives.
 */
static void test_random_code(gconstpointer data)
{
    struct fixture f = {0};
    setup(&f, data);
    uint64_t before = f.pc.cpu->instructions;
    for (unsigned run = 0; run < 200; run++) {
        for (uint32_t i = 0; i < 0xa0000; i += 4) {
            uint32_t v = g_rand_int(f.rand);
            memcpy(f.pc.m.ram + i, &v, 4);
        }
        bool pm = run % 2;
        void (*start)(struct fixture *) = pm ? protected_somewhere : jump_somewhere;
        start(&f);
        for (unsigned slice = 0; slice < 20; slice++) {
            enum cpu_exit why = translator_run(f.pc.tr, 500);
            if (why == CPU_EXIT_SHUTDOWN) {
                pc_reset(&f.pc);
                start(&f);
            } else if (why == CPU_EXIT_HLT) {
                start(&f);
            }
            for (unsigned k = 0; k < 20; k++)
                one_round(&f);
        }
    }
    /* It ran: a good share of the 2M instructions it was given. */
    uint64_t ran = f.pc.cpu->instructions - before;
    g_test_message("%" G_GUINT64_FORMAT " instructions", ran);
    g_assert_cmpuint(ran, >, 200000);
    teardown(&f);
}

/* Random traffic against the devices, once it is known to reach them. */
static void test_random_traffic(gconstpointer data)
{
    struct fixture f = {0};
    setup(&f, data);
    /* The traffic reaches devices: the NE2000 at its BAR, the disk, the VGA's framebuffer. */
    g_assert_cmphex(iobus_read(&f.pc.m.io, 0xc000, 1), !=, 0xff);
    g_assert_cmphex(iobus_read(&f.pc.m.io, 0x1f7, 1), !=, 0xff);
    memmap_write(&f.pc.m.mem, 0xe0000000u, 0x5a5a5a5a, 4);
    g_assert_cmphex(memmap_read(&f.pc.m.mem, 0xe0000000u, 4), ==, 0x5a5a5a5a);
    for (unsigned i = 0; i < ROUNDS; i++)
        one_round(&f);
    teardown(&f);
}

/* Seeds 1-3 in every run (a failure replays); POPEK_HOSTILE_SEED=N runs seed N instead. */
int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/pc/hostile-guest/1", GUINT_TO_POINTER(1), test_random_traffic);
    g_test_add_data_func("/pc/hostile-guest/2", GUINT_TO_POINTER(2), test_random_traffic);
    g_test_add_data_func("/pc/hostile-guest/3", GUINT_TO_POINTER(3), test_random_traffic);
    g_test_add_data_func("/pc/hostile-code/1", GUINT_TO_POINTER(1), test_random_code);
    g_test_add_data_func("/pc/hostile-code/2", GUINT_TO_POINTER(2), test_random_code);
    return g_test_run();
}
