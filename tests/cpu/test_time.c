/*
 * Guest time as guest code sees it: a loop that reads the TSC and latches
 * and reads the 8254's counter 0, run through the translator with the
 * machine's clock driven by the CPU's instruction count (as the board
 * wires it) and host time from a fake host that stalls for a random few
 * milliseconds at every look. Within a slice the reads advance monotonically, every
 * iteration by the same time, and the TSC's ticks against the counter's
 * match 1 GHz against PIT_HZ; across many slices, while the clock's rate
 * changes, the two still agree. Run in both tiers (tests/lib/cpu_fixture.h).
 */
#include <glib.h>
#include <string.h>

#include "devices/i8254.h"
#include "machine/memmap.h"
#include "tests/lib/cpu_fixture.h"

#define CODE    0x1000u
#define STACK   0x8000u
#define SAMPLES 0x10000u /* 16 bytes an iteration: TSC, counter 0 */
#define LOOPS   2000u

struct fake_host {
    int64_t ns;
    int64_t per_read; /* every look at the host finds it up to twice this much later */
    uint32_t seed;
};

static int64_t fake_now(void *opaque)
{
    struct fake_host *h = opaque;
    h->seed = h->seed * 1103515245u + 12345u;
    h->ns += h->per_read * ((h->seed >> 16) % 9) / 4;
    return h->ns;
}

static void fake_sleep(void *opaque, int64_t ns)
{
    struct fake_host *h = opaque;
    h->ns += ns;
}

static void no_irq(void *opaque, unsigned n, int level)
{
}

struct fixture {
    struct cpu_fixture f;
    struct fake_host host;
    struct pit *pit;
};

/* Samples LOOPS times into SAMPLES, then halts. */
static const uint8_t loop_code[] = {
    0xbf,          SAMPLES & 0xff, (SAMPLES >> 8) & 0xff,
    SAMPLES >> 16, 0x00, /* mov edi, SAMPLES */
    0xb9,          LOOPS & 0xff,   LOOPS >> 8,
    0x00,          0x00,                 /* mov ecx, LOOPS */
    0x0f,          0x31,                 /* l: rdtsc */
    0x89,          0x07,                 /* mov [edi], eax */
    0x89,          0x57,           0x04, /* mov [edi+4], edx */
    0xb0,          0x00,                 /* mov al, 0 */
    0xe6,          0x43,                 /* out 0x43, al (latch 0) */
    0xe4,          0x40,                 /* in al, 0x40 */
    0x88,          0x47,           0x08, /* mov [edi+8], al */
    0xe4,          0x40,                 /* in al, 0x40 */
    0x88,          0x47,           0x09, /* mov [edi+9], al */
    0x83,          0xc7,           0x10, /* add edi, 16 */
    0x49,                                /* dec ecx */
    0x75,          0xe5,                 /* jnz l */
    0xf4,                                /* hlt */
};

static void setup(struct fixture *x, int64_t stall_ns)
{
    cpu_fixture_init(&x->f, 4);
    struct machine *m = &x->f.m;
    x->host = (struct fake_host){.ns = 5000000000, .per_read = stall_ns, .seed = 1};
    vclock_set_host(&m->clock, &(struct vclock_host){fake_now, fake_sleep, &x->host});
    vclock_drive(&m->clock, &x->f.cpu->instructions);
    cpu_reset(x->f.cpu); /* the TSC starts over on the clock it now reads */
    x->pit = pit_create(m, &(struct irq_line){.set = no_irq});
    iobus_write(&m->io, 0x43, 0x34, 1); /* counter 0: LSB then MSB, mode 2, binary */
    iobus_write(&m->io, 0x40, 0, 1);    /* count 0: 65536 */
    iobus_write(&m->io, 0x40, 0, 1);
    memmap_write_buf(&m->mem, CODE, loop_code, sizeof(loop_code));
    cpu_fixture_flat32(&x->f, CODE, STACK, 0);
}

static void teardown(struct fixture *x)
{
    pit_destroy(x->pit);
    cpu_fixture_destroy(&x->f);
}

static uint64_t sample_tsc(struct fixture *x, unsigned i)
{
    uint64_t v;
    memcpy(&v, x->f.m.ram + SAMPLES + 16 * i, 8);
    return v;
}

static uint16_t sample_count(struct fixture *x, unsigned i)
{
    uint16_t v;
    memcpy(&v, x->f.m.ram + SAMPLES + 16 * i + 8, 2);
    return v;
}

/*
 * Every sample later than the one before on both clocks (the counter
 * counts down from 65536; an iteration takes far less than a period), and
 * the TSC's ticks over the counter's within 0.1% of 1 GHz / PIT_HZ.
 */
static void check_consistent(struct fixture *x)
{
    uint64_t ticks = 0;
    for (unsigned i = 1; i < LOOPS; i++) {
        g_assert_cmpuint(sample_tsc(x, i), >, sample_tsc(x, i - 1));
        uint16_t step = (uint16_t)(sample_count(x, i - 1) - sample_count(x, i));
        g_assert_cmpuint(step, <, 0x8000);
        ticks += step;
    }
    double tsc = (double)(sample_tsc(x, LOOPS - 1) - sample_tsc(x, 0));
    g_assert_cmpuint(ticks, >, 1000);
    double want = 1e9 / PIT_HZ;
    g_assert_cmpfloat(tsc / (double)ticks, >, want * 0.999);
    g_assert_cmpfloat(tsc / (double)ticks, <, want * 1.001);
}

/* One slice; the host stalls up to 14 ms at every look: every iteration takes the same virtual
 * time. */
static void test_one_slice(void)
{
    struct fixture x;
    setup(&x, 7000000);
    vclock_slice_begin(&x.f.m.clock, UINT64_MAX);
    cpu_fixture_run_to_hlt(&x.f, 1000000);
    vclock_slice_end(&x.f.m.clock);
    uint64_t step = sample_tsc(&x, 1) - sample_tsc(&x, 0);
    for (unsigned i = 2; i < LOOPS; i++)
        g_assert_cmpuint(sample_tsc(&x, i) - sample_tsc(&x, i - 1), ==, step);
    check_consistent(&x);
    teardown(&x);
}

/* Slices of 1000 instructions, the host stalling up to 6 ms at every look: the rate moves, the
 * clocks agree. */
static void test_many_slices(void)
{
    struct fixture x;
    setup(&x, 3000000);
    enum cpu_exit why;
    do {
        uint64_t budget = vclock_slice_begin(&x.f.m.clock, 1000);
        why = cpu_fixture_run(&x.f, budget);
        vclock_slice_end(&x.f.m.clock);
    } while (why == CPU_EXIT_BUDGET);
    g_assert_cmpint(why, ==, CPU_EXIT_HLT);
    check_consistent(&x);
    teardown(&x);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/time/one-slice", test_one_slice);
    g_test_add_func("/time/many-slices", test_many_slices);
    return g_test_run();
}
