/*
 * The differential test: x86 instruction sequences run on the host CPU (the
 * native helper, native.c, spoken to over a pipe, protocol.h) and in popek's
 * interpreter (cpu/) from identical registers, flags and scratch memory; the
 * final GPRs, EFLAGS (less the bits the SDM leaves undefined), scratch
 * memory and any exception must agree.
 *
 * Tests:
 *   /diff/generator    the harness itself: every generated instruction
 *                      decodes (Capstone) where the generator put it, and
 *                      the host raises nothing but #DE on it
 *   /diff/random       random sequences of 1-8 instruction groups
 *   /diff/shift-counts every shift, rotate and double shift, every operand
 *                      size, counts 0-33, edge values
 *   /diff/alu8-pairs   every 8-bit operand pair for ADD ADC SUB SBB MUL IMUL
 *                      DIV IDIV, every AL/AF/CF for DAA DAS AAA AAS, #DE
 *
 * Options (before the GTest ones): --seed=N --count=N (random instructions,
 * default 1000000) --case=N (run random case N only) --native=PATH (else
 * $POPEK_DIFF_NATIVE) --native-only (skip popek, check the host side only).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <capstone/capstone.h>
#include <glib.h>

#include "machine/memmap.h"
#include "tests/lib/cpu_fixture.h"

#include "gen.h"
#include "protocol.h"

#define CODE_ADDR       0x00100000u /* guest-physical = linear: paging stays off */
#define STACK_ADDR      0x00090000u
#define CODE_PAD        16u /* INT3s after the code, in case popek runs past its end */
#define RUN_BUDGET      100000u
#define BATCH           256u /* cases per pipe round trip */
#define MAX_REPORTS     8u   /* mismatches printed per test */
#define DEFAULT_SEED    0x706f70656bull
#define DEFAULT_COUNT   1000000ull
#define GENERATOR_CASES 20000u

#define EXC_NONE DIFF_NO_EXCEPTION

struct options {
    uint64_t seed;
    uint64_t count;
    int64_t only_case; /* -1: all */
    const char *native;
    bool native_only;
};

struct slot {
    struct gen_case c;
    uint64_t id;
};

/* Everything the tests share; passed to each test as its data. */
struct harness {
    struct options opt;
    struct cpu_fixture f;  /* machine, MMU, CPU and translator running tier 0 */
    struct cpu_fixture f1; /* the same running tier 1, every block translated at once */
    bool have_tier1;
    const char *side; /* "tier 0" or "tier 1": the one being compared */
    csh cs;
    bool have_native;
    bool native_dead; /* the helper stopped answering: every later test fails at once */
    GPid pid;
    int to_native;
    int from_native;
    bool mode64;         /* the helper runs the code in 64-bit mode */
    const char *test;    /* the running test, for reports */
    unsigned mismatches; /* in the running test */
    uint64_t cases;      /* compared in the running test */
    uint64_t exceptions; /* of those, cases that ended in an exception */
    bool check_decode;   /* /diff/generator: check instruction boundaries */
    bool compare_popek;  /* false for /diff/generator and --native-only */
    struct slot *slots;
    struct diff_request *req;
    struct diff_reply *rep;
    unsigned n; /* cases in the batch */
};

/* One side's result. */
struct outcome {
    uint32_t regs[8];
    uint32_t eflags;
    uint32_t exception; /* EXC_NONE, a vector, or 0x100 + enum cpu_exit for other exits */
    uint32_t eip_off;   /* where it stopped, relative to the code */
    const uint8_t *scratch;
};

/* --- the native helper ----------------------------------------------------- */

static bool read_exact(int fd, void *buf, size_t len)
{
    size_t got = 0;

    while (got < len) {
        ssize_t n = read(fd, (uint8_t *)buf + got, len - got);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            struct pollfd p = {.fd = fd, .events = POLLIN};
            poll(&p, 1, 1000);
            continue;
        }
        if (n <= 0)
            return false;
        got += (size_t)n;
    }
    return true;
}

static bool native_start(struct harness *h)
{
    gchar *argv[] = {(gchar *)h->opt.native, NULL};
    GError *err = NULL;
    struct diff_hello hello;

    if (!g_spawn_async_with_pipes(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &h->pid,
                                  &h->to_native, &h->from_native, NULL, &err)) {
        g_printerr("test_diff: cannot start %s: %s\n", h->opt.native, err->message);
        g_error_free(err);
        return false;
    }
    if (!read_exact(h->from_native, &hello, sizeof(hello)) || hello.magic != DIFF_MAGIC_HELLO ||
        (hello.bits != 32 && hello.bits != 64)) {
        g_printerr("test_diff: %s did not answer as a diff helper\n", h->opt.native);
        return false;
    }
    h->mode64 = hello.bits == 64;
    fcntl(h->to_native, F_SETFL, fcntl(h->to_native, F_GETFL) | O_NONBLOCK);
    fcntl(h->from_native, F_SETFL, fcntl(h->from_native, F_GETFL) | O_NONBLOCK);
    return true;
}

static void native_stop(struct harness *h)
{
    int status;

    close(h->to_native);
    close(h->from_native);
    waitpid(h->pid, &status, 0);
    g_spawn_close_pid(h->pid);
}

/* Send n requests and collect n replies, writing and reading as the pipes allow. */
static bool native_exchange(struct harness *h, unsigned n)
{
    const uint8_t *out = (const uint8_t *)h->req;
    uint8_t *in = (uint8_t *)h->rep;
    size_t out_len = n * sizeof(*h->req), in_len = n * sizeof(*h->rep);
    size_t out_done = 0, in_done = 0;

    while (in_done < in_len) {
        struct pollfd p[2] = {{.fd = h->from_native, .events = POLLIN},
                              {.fd = h->to_native, .events = POLLOUT}};
        int np = out_done < out_len ? 2 : 1;
        int rc = poll(p, (nfds_t)np, 60000);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0) {
            g_test_message("native helper: %s", rc == 0 ? "no answer in 60 s" : strerror(errno));
            return false;
        }
        if (p[0].revents) {
            ssize_t got = read(h->from_native, in + in_done, in_len - in_done);
            if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
                g_test_message("native helper: died (read: %s)", got ? strerror(errno) : "EOF");
                return false;
            }
            if (got > 0)
                in_done += (size_t)got;
        }
        if (np == 2 && p[1].revents) {
            ssize_t put = write(h->to_native, out + out_done, out_len - out_done);
            if (put < 0 && errno != EAGAIN && errno != EINTR) {
                g_test_message("native helper: died (write: %s)", strerror(errno));
                return false;
            }
            if (put > 0)
                out_done += (size_t)put;
        }
    }
    return true;
}

/* --- popek ----------------------------------------------------------------- */

static void popek_run(struct cpu_fixture *f, const struct gen_case *c, struct outcome *o,
                      uint8_t *scratch)
{
    struct cpu *cpu = f->cpu;
    uint8_t code[DIFF_CODE_MAX + CODE_PAD];
    enum cpu_exit ex;

    /* Through the memory map, as DMA would: popek must notice that code changed. */
    memmap_write_buf(&f->m.mem, DIFF_SCRATCH_ADDR, c->scratch, DIFF_SCRATCH_SIZE);
    memcpy(code, c->code, c->code_len);
    memset(code + c->code_len, 0xcc, CODE_PAD);
    memmap_write_buf(&f->m.mem, CODE_ADDR, code, c->code_len + CODE_PAD);

    cpu_fixture_flat32(f, CODE_ADDR, STACK_ADDR, 0); /* paging off: linear = physical */
    memcpy(cpu->regs, c->regs, sizeof(cpu->regs));
    cpu->regs[R_ESP] = STACK_ADDR;
    cpu->eflags = 0x2u | (c->eflags & DIFF_FLAGS_IN);
    cpu->eip = CODE_ADDR;
    cpu->stop_eip_enabled = true;
    cpu->stop_eip = CODE_ADDR + c->code_len;
    cpu->stop_on_exception = true;

    ex = cpu_fixture_run(f, RUN_BUDGET);

    memcpy(o->regs, cpu->regs, sizeof(o->regs));
    o->regs[R_ESP] = c->regs[R_ESP];
    o->eflags = cpu->eflags;
    if (ex == CPU_EXIT_BREAKPOINT)
        o->exception = EXC_NONE;
    else if (ex == CPU_EXIT_EXCEPTION)
        o->exception = cpu->exception_vector;
    else
        o->exception = 0x100u + (uint32_t)ex;
    o->eip_off = cpu->eip - CODE_ADDR;
    memmap_read_buf(&f->m.mem, DIFF_SCRATCH_ADDR, scratch, DIFF_SCRATCH_SIZE);
    o->scratch = scratch;
}

/* --- comparison and reports ------------------------------------------------ */

static const char *const reg_names[8] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};

/* Flags as letters, upper case when set, '.' where undefined (masked). */
static void flags_str(char *buf, uint32_t fl, uint32_t undef)
{
    static const struct {
        uint32_t bit;
        char name;
    } f[] = {{GEN_OF, 'o'}, {GEN_DF, 'd'}, {GEN_SF, 's'}, {GEN_ZF, 'z'},
             {GEN_AF, 'a'}, {GEN_PF, 'p'}, {GEN_CF, 'c'}};

    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        if (undef & f[i].bit)
            buf[i] = '.';
        else
            buf[i] = (fl & f[i].bit) ? (char)(f[i].name - 'a' + 'A') : f[i].name;
    }
    buf[sizeof(f) / sizeof(f[0])] = '\0';
}

static const char *exception_str(char *buf, size_t len, uint32_t e)
{
    static const char *const exits[] = {"budget",   "hlt",     "exception",
                                        "shutdown", "request", "breakpoint"};

    if (e == EXC_NONE)
        snprintf(buf, len, "none");
    else if (e >= 0x100 && e - 0x100 < sizeof(exits) / sizeof(exits[0]))
        snprintf(buf, len, "run exit '%s'", exits[e - 0x100]);
    else
        snprintf(buf, len, "vector %u", e);
    return buf;
}

/* Print one line per instruction, with the flags left undefined after it. */
static void report_code(struct harness *h, const struct gen_case *c)
{
    cs_insn *insn = NULL;
    size_t count = cs_disasm(h->cs, c->code, c->code_len, CODE_ADDR, 0, &insn);
    size_t done = 0;

    for (size_t i = 0; i < count; i++) {
        char bytes[3 * 16 + 1] = "";
        uint32_t off = (uint32_t)(insn[i].address - CODE_ADDR);
        for (unsigned k = 0; k < insn[i].size && k < 16; k++)
            snprintf(bytes + 3 * k, 4, "%02x ", insn[i].bytes[k]);
        g_test_message("  %04x: %-30s %s %s", off, bytes, insn[i].mnemonic, insn[i].op_str);
        done = off + insn[i].size;
    }
    if (done < c->code_len)
        g_test_message("  %04zx: (Capstone cannot decode the rest)", done);
    if (insn)
        cs_free(insn, count);
}

static void report_outcome(const char *who, const struct outcome *o, const struct outcome *other,
                           uint32_t flag_undef, const uint32_t *reg_undef)
{
    char fl[8], exc[48];
    GString *s = g_string_new(NULL);

    for (unsigned r = 0; r < 8; r++) {
        if (r == R_ESP)
            continue;
        bool differs = ((o->regs[r] ^ other->regs[r]) & ~reg_undef[r]) != 0;
        g_string_append_printf(s, "%s=%08x%s ", reg_names[r], o->regs[r], differs ? "*" : "");
    }
    flags_str(fl, o->eflags, flag_undef);
    g_test_message("  %-6s %s flags %s (%08x) exception %s at +%u", who, s->str, fl, o->eflags,
                   exception_str(exc, sizeof(exc), o->exception), o->eip_off);
    g_string_free(s, TRUE);
}

static void report(struct harness *h, const struct slot *sl, const struct outcome *nat,
                   const struct outcome *pop, uint32_t flag_undef, const uint32_t *reg_undef,
                   const char *why)
{
    const struct gen_case *c = &sl->c;
    char fl[8];
    unsigned shown = 0;
    GString *s = g_string_new(NULL);

    h->mismatches++;
    if (h->mismatches > MAX_REPORTS)
        return;
    g_test_message("%s: case %" PRIu64 " differs: %s", h->test, sl->id, why);
    if (strcmp(h->test, "/diff/random") == 0)
        g_test_message("  reproduce: test_diff --seed=%" PRIu64 " --case=%" PRIu64
                       " -p /diff/random",
                       h->opt.seed, sl->id);
    report_code(h, c);
    for (unsigned r = 0; r < 8; r++) {
        if (r != R_ESP)
            g_string_append_printf(s, "%s=%08x ", reg_names[r], c->regs[r]);
    }
    flags_str(fl, c->eflags, 0);
    g_test_message("  input  %s flags %s", s->str, fl);
    g_string_free(s, TRUE);
    report_outcome("host", nat, pop, flag_undef, reg_undef);
    if (pop)
        report_outcome(h->side, pop, nat, flag_undef, reg_undef);
    if (!pop)
        return;
    for (unsigned i = 0; i < DIFF_SCRATCH_SIZE && shown < 16; i++) {
        if (nat->scratch[i] == pop->scratch[i])
            continue;
        g_test_message("  scratch+%03x: input %02x host %02x %s %02x", i, c->scratch[i],
                       nat->scratch[i], h->side, pop->scratch[i]);
        shown++;
    }
}

/* The flags undefined where the host stopped: at the end, or before the faulting instruction. */
static uint32_t undef_at(const struct gen_case *c, const struct outcome *nat)
{
    if (nat->exception == EXC_NONE)
        return c->flags_undef;
    for (unsigned i = 0; i < c->ninsns; i++) {
        if (c->insn_off[i] == nat->eip_off)
            return c->insn_undef[i];
    }
    return c->flags_undef;
}

/* Instruction boundaries as the generator recorded them must be Capstone's. */
static bool decode_ok(struct harness *h, const struct gen_case *c, char *why, size_t len)
{
    for (unsigned i = 0; i < c->ninsns; i++) {
        uint32_t off = c->insn_off[i];
        uint32_t end = i + 1 < c->ninsns ? c->insn_off[i + 1] : c->code_len;
        cs_insn *insn = NULL;
        size_t n = cs_disasm(h->cs, c->code + off, c->code_len - off, CODE_ADDR + off, 1, &insn);
        bool ok = n == 1 && insn[0].size == end - off;
        if (insn)
            cs_free(insn, n);
        if (!ok) {
            snprintf(why, len, "instruction %u at +%u does not decode as %u bytes", i, off,
                     end - off);
            return false;
        }
    }
    return true;
}

static void compare_side(struct harness *h, const struct slot *sl, struct cpu_fixture *f,
                         const struct outcome *nat, uint32_t flag_undef, const uint32_t *reg_undef);

static void check_case(struct harness *h, const struct slot *sl, const struct diff_reply *rep)
{
    static const uint32_t no_regs[8];
    const struct gen_case *c = &sl->c;
    struct outcome nat;
    const uint32_t *reg_undef;
    uint32_t flag_undef;
    char why[160];

    memcpy(nat.regs, rep->regs, sizeof(nat.regs));
    nat.eflags = rep->eflags;
    nat.exception = rep->exception;
    nat.eip_off = rep->fault_eip;
    nat.scratch = rep->scratch;
    flag_undef = undef_at(c, &nat);
    reg_undef = nat.exception == EXC_NONE ? c->reg_undef : no_regs;
    h->cases++;
    if (nat.exception != EXC_NONE)
        h->exceptions++;

    if (rep->magic != DIFF_MAGIC_REPLY) {
        report(h, sl, &nat, NULL, flag_undef, reg_undef, "garbled reply from the helper");
        return;
    }
    if (h->check_decode && !decode_ok(h, c, why, sizeof(why))) {
        report(h, sl, &nat, NULL, flag_undef, reg_undef, why);
        return;
    }
    /* The generator only writes code the host runs to its end, or that divides badly. */
    if (nat.exception != EXC_NONE && nat.exception != 0) {
        report(h, sl, &nat, NULL, flag_undef, reg_undef,
               "the host raised an exception the generator should have avoided");
        return;
    }
    if (!h->compare_popek)
        return;
    h->side = "tier 0";
    compare_side(h, sl, &h->f, &nat, flag_undef, reg_undef);
    if (h->have_tier1) {
        h->side = "tier 1";
        compare_side(h, sl, &h->f1, &nat, flag_undef, reg_undef);
    }
}

/*
 * Run the case in one tier and compare with the host: registers, the flags
 * the SDM defines, the exception, where it stopped and the scratch memory.
 * Both tiers compared with the host this way agree with each other too.
 */
static void compare_side(struct harness *h, const struct slot *sl, struct cpu_fixture *f,
                         const struct outcome *nat_in, uint32_t flag_undef,
                         const uint32_t *reg_undef)
{
    const struct gen_case *c = &sl->c;
    struct outcome nat = *nat_in, pop;
    uint8_t pop_scratch[DIFF_SCRATCH_SIZE];
    uint32_t diff;
    char why[160];

    popek_run(f, c, &pop, pop_scratch);

    if (pop.exception != nat.exception) {
        report(h, sl, &nat, &pop, flag_undef, reg_undef, "exceptions differ");
        return;
    }
    if (pop.eip_off != nat.eip_off) {
        report(h, sl, &nat, &pop, flag_undef, reg_undef, "stopped at different EIPs");
        return;
    }
    for (unsigned r = 0; r < 8; r++) {
        if (r == R_ESP)
            continue;
        if ((nat.regs[r] ^ pop.regs[r]) & ~reg_undef[r]) {
            snprintf(why, sizeof(why), "%s differs", reg_names[r]);
            report(h, sl, &nat, &pop, flag_undef, reg_undef, why);
            return;
        }
    }
    diff = (nat.eflags ^ pop.eflags) & DIFF_FLAGS_IN & ~flag_undef;
    if (diff) {
        char fl[8];
        flags_str(fl, diff, 0);
        snprintf(why, sizeof(why), "flags differ (%s: upper case = differs)", fl);
        report(h, sl, &nat, &pop, flag_undef, reg_undef, why);
        return;
    }
    if (memcmp(nat.scratch, pop.scratch, DIFF_SCRATCH_SIZE) != 0)
        report(h, sl, &nat, &pop, flag_undef, reg_undef, "scratch memory differs");
}

/* --- batches --------------------------------------------------------------- */

static void batch_flush(struct harness *h)
{
    for (unsigned i = 0; i < h->n; i++) {
        const struct gen_case *c = &h->slots[i].c;
        struct diff_request *q = &h->req[i];
        q->magic = DIFF_MAGIC_REQUEST;
        memcpy(q->regs, c->regs, sizeof(q->regs));
        q->eflags = c->eflags;
        q->code_len = c->code_len;
        memcpy(q->code, c->code, c->code_len);
        memset(q->code + c->code_len, 0, DIFF_CODE_MAX - c->code_len);
        memcpy(q->scratch, c->scratch, DIFF_SCRATCH_SIZE);
    }
    if (h->native_dead || (h->n && !native_exchange(h, h->n))) {
        h->native_dead = true;
        h->n = 0;
        return;
    }
    for (unsigned i = 0; i < h->n; i++)
        check_case(h, &h->slots[i], &h->rep[i]);
    h->n = 0;
}

/* The next free case of the batch, flushing a full batch first. */
static struct gen_case *batch_next(struct harness *h, uint64_t id)
{
    if (h->n == BATCH)
        batch_flush(h);
    h->slots[h->n].id = id;
    return &h->slots[h->n++].c;
}

/* Start a test; false when it cannot run (no helper). */
static bool test_begin(struct harness *h, const char *name, bool compare_popek)
{
    h->test = name;
    h->mismatches = 0;
    h->cases = 0;
    h->exceptions = 0;
    h->n = 0;
    h->check_decode = false;
    h->compare_popek = compare_popek && !h->opt.native_only;
    if (!h->have_native) {
        g_test_skip("no native helper: set POPEK_DIFF_NATIVE or pass --native=PATH");
        return false;
    }
    if (h->native_dead) {
        g_test_message("%s: the native helper is gone", name);
        g_test_fail();
        return false;
    }
    return true;
}

static void test_end(struct harness *h)
{
    batch_flush(h);
    if (h->native_dead) {
        g_test_message("%s: the native helper stopped answering", h->test);
        g_test_fail();
        return;
    }
    g_test_message("%s: %" PRIu64 " cases (%" PRIu64 " ended in an exception)%s", h->test, h->cases,
                   h->exceptions, h->compare_popek ? "" : ", host side only");
    if (h->mismatches) {
        g_test_message("%s: %u cases differ", h->test, h->mismatches);
        g_test_fail();
    }
}

/* A per-case seed, so that any case can be rebuilt on its own. */
static uint64_t case_seed(uint64_t seed, uint64_t id)
{
    struct gen_rng r;

    gen_rng_seed(&r, seed ^ (id * 0xd1342543de82ef95ull));
    return gen_rng_next(&r);
}

/* --- /diff/generator and /diff/random -------------------------------------- */

static void random_cases(struct harness *h, uint64_t first, uint64_t count_insns, uint64_t max)
{
    uint64_t insns = 0;

    for (uint64_t id = first; insns < count_insns && id - first < max && !h->native_dead; id++) {
        struct gen g;
        struct gen_case *c = batch_next(h, id);
        gen_init(&g, case_seed(h->opt.seed, id), h->mode64);
        gen_case_start(&g, c);
        gen_random_sequence(&g, c, 1 + gen_rng_below(&g.rng, GEN_MAX_UNITS));
        insns += c->units;
    }
}

static void test_generator(gconstpointer data)
{
    struct harness *h = (struct harness *)data;

    if (!test_begin(h, "/diff/generator", false))
        return;
    h->check_decode = true;
    /* Other ids than /diff/random's, so both look at different cases. */
    random_cases(h, 1ull << 40, UINT64_MAX, GENERATOR_CASES);
    test_end(h);
}

static void test_random(gconstpointer data)
{
    struct harness *h = (struct harness *)data;

    if (!test_begin(h, "/diff/random", true))
        return;
    if (h->opt.only_case >= 0)
        random_cases(h, (uint64_t)h->opt.only_case, UINT64_MAX, 1);
    else
        random_cases(h, 0, h->opt.count, UINT64_MAX);
    if (h->have_tier1) {
        /* Tier 1 really ran the cases: as host code, not only through its fallbacks. */
        const struct translator_stats *st = translator_stats(h->f1.tr);
        g_test_message("tier 1: %" PRIu64 " blocks translated, %" PRIu64 " of %" PRIu64
                       " instructions native, %" PRIu64 " entries",
                       st->blocks, st->native_insns, st->insns, st->entries);
        if (h->opt.only_case < 0) {
            g_assert_cmpuint(st->entries, >, h->cases / 2);
            g_assert_cmpuint(st->native_insns, >, st->insns / 2);
        }
    }
    test_end(h);
}

/* --- directed cases -------------------------------------------------------- */

/* A case with random registers and scratch, and the given flags. */
static struct gen_case *directed_case(struct harness *h, struct gen *g, uint64_t id,
                                      uint32_t eflags)
{
    struct gen_case *c = batch_next(h, id);

    gen_case_start(g, c);
    c->eflags = eflags & DIFF_FLAGS_IN;
    return c;
}

static const struct gen_flag_effect fx_none = {0, 0};

/* Append an instruction that must fit; directed tests size their cases to fit. */
static void put(struct gen_case *c, const uint8_t *b, unsigned n, struct gen_flag_effect fx)
{
    if (!gen_append(c, b, n, fx))
        g_error("directed case does not fit in %u bytes of code", DIFF_CODE_MAX);
}

static void test_shift_counts(gconstpointer data)
{
    struct harness *h = (struct harness *)data;
    static const uint32_t values[] = {0x00000000, 0xffffffff, 0x80000000, 0x00000001,
                                      0x8000ffff, 0x12345678, 0x7f80c001, 0xa5a5a5a5};
    static const enum gen_shift_op ops[] = {GEN_ROL, GEN_ROR, GEN_RCL,  GEN_RCR, GEN_SHL,
                                            GEN_SHR, GEN_SAR, GEN_SHLD, GEN_SHRD};
    struct gen g;
    uint64_t id = 0;

    if (!test_begin(h, "/diff/shift-counts", true))
        return;
    gen_init(&g, h->opt.seed ^ 0x5348494654ull, h->mode64);
    for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
        enum gen_shift_op op = ops[o];
        bool dbl = op == GEN_SHLD || op == GEN_SHRD;
        for (unsigned size = dbl ? 1 : 0; size < 3; size++) {
            unsigned bits = 8u << size, w = size != 0;
            for (unsigned count = 0; count <= 33; count++) {
                for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
                    /* by CL or imm8 (D1 for 1), into EAX or memory, with CF clear and set */
                    for (unsigned variant = 0; variant < 8; variant++) {
                        bool by_cl = variant & 1, mem = variant & 2, cf = variant & 4;
                        bool dest_undef;
                        struct gen_flag_effect fx =
                            gen_shift_effect(op, bits, (int)count, &dest_undef);
                        uint8_t b[16];
                        unsigned n = 0;
                        if (dest_undef && mem)
                            continue; /* an undefined memory result cannot be masked */
                        struct gen_case *c =
                            directed_case(h, &g, id++, gen_rng_next(&g.rng) & ~GEN_CF);
                        c->eflags |= cf ? GEN_CF : 0;
                        c->regs[R_EAX] = values[v];
                        c->regs[R_EDX] = values[(v + 3) % (sizeof(values) / sizeof(values[0]))];
                        c->regs[R_ECX] = (gen_rng_next(&g.rng) & ~0xffu) | count;
                        memcpy(&c->scratch[16], &c->regs[R_EAX], 4);
                        if (size == 1)
                            b[n++] = 0x66;
                        if (dbl) {
                            b[n++] = 0x0f;
                            b[n++] = (uint8_t)((op == GEN_SHRD ? 0xac : 0xa4) + by_cl);
                        } else if (by_cl) {
                            b[n++] = (uint8_t)(0xd2 + w);
                        } else {
                            b[n++] = (uint8_t)((count == 1 ? 0xd0 : 0xc0) + w);
                        }
                        /* [ebx+16] or EAX; SHLD/SHRD take EDX as the source */
                        unsigned regfield = dbl ? R_EDX : (unsigned)op;
                        b[n++] = (uint8_t)((mem ? 0x43 : 0xc0) | regfield << 3);
                        if (mem)
                            b[n++] = 16;
                        if (!by_cl && !(count == 1 && !dbl))
                            b[n++] = (uint8_t)count;
                        put(c, b, n, fx);
                        if (dest_undef)
                            c->reg_undef[R_EAX] = 0xffff;
                    }
                }
            }
        }
    }
    test_end(h);
}

/* Store AX at [ebx+off] (mov [ebx+disp32], ax). */
static void store_ax(struct gen_case *c, uint32_t off)
{
    uint8_t b[7] = {0x66, 0x89, 0x83};

    memcpy(&b[3], &off, 4);
    put(c, b, 7, fx_none);
}

/* SETcc byte [ebx+off]. */
static void store_cc(struct gen_case *c, unsigned cc, uint32_t off)
{
    uint8_t b[7] = {0x0f, (uint8_t)(0x90 + cc), 0x83};

    memcpy(&b[3], &off, 4);
    put(c, b, 7, fx_none);
}

/* mov ax, imm16 */
static void load_ax(struct gen_case *c, uint16_t v)
{
    uint8_t b[4] = {0x66, 0xb8, (uint8_t)v, (uint8_t)(v >> 8)};

    put(c, b, 4, fx_none);
}

/* The flags SAHF can set (SF ZF AF PF CF) from a value in AH. */
static void load_flags_sahf(struct gen_case *c, uint8_t ah)
{
    static const struct gen_flag_effect fx_sahf = {GEN_ARITH & ~GEN_OF, 0};
    uint8_t b[3] = {0xb4, ah, 0x9e}; /* mov ah, imm8; sahf */

    put(c, b, 2, fx_none);
    put(c, b + 2, 1, fx_sahf);
}

/*
 * ADD ADC SUB SBB AL, imm8 for every (AL, imm8, CF): each operation stores
 * AL with LAHF's flags in AH, and OF, into the scratch page.
 */
static void alu8_arith(struct harness *h, struct gen *g, uint64_t *id)
{
    static const uint8_t opc[] = {0x04, 0x14, 0x2c, 0x1c}; /* ADD ADC SUB SBB AL, imm8 */
    static const struct gen_flag_effect fx_all = {GEN_ARITH, 0};
    static const struct gen_flag_effect fx_cf = {GEN_CF, 0};
    const unsigned per_case = 10;
    struct gen_case *c = NULL;
    unsigned k = 0;

    for (unsigned op = 0; op < 4; op++) {
        for (unsigned a = 0; a < 256; a++) {
            for (unsigned b = 0; b < 256; b++) {
                for (unsigned cf = 0; cf < 2; cf++) {
                    if (!c || k == per_case) {
                        c = directed_case(h, g, (*id)++, gen_rng_next(&g->rng));
                        k = 0;
                    }
                    uint8_t setcf = cf ? 0xf9 : 0xf8; /* stc / clc */
                    uint8_t mov[2] = {0xb0, (uint8_t)a};
                    uint8_t alu[2] = {opc[op], (uint8_t)b};
                    uint8_t lahf = 0x9f;
                    put(c, mov, 2, fx_none);
                    put(c, &setcf, 1, fx_cf);
                    put(c, alu, 2, fx_all);
                    put(c, &lahf, 1, fx_none);
                    store_ax(c, 4 * k);
                    store_cc(c, 0, 4 * k + 2); /* seto */
                    k++;
                }
            }
        }
    }
}

/* DAA DAS AAA AAS for every AL (and a few AH) with every AF and CF. */
static void alu8_bcd(struct harness *h, struct gen *g, uint64_t *id)
{
    static const uint8_t opc[] = {0x27, 0x2f, 0x37, 0x3f};
    /* What each leaves defined in LAHF's AH (SF ZF AF PF CF = bits 7 6 4 2 0). */
    static const uint8_t defined_ah[] = {0xd5, 0xd5, 0x11, 0x11};
    static const struct gen_flag_effect fx[] = {{GEN_ARITH, GEN_OF},
                                                {GEN_ARITH, GEN_OF},
                                                {GEN_ARITH, GEN_OF | GEN_SZP},
                                                {GEN_ARITH, GEN_OF | GEN_SZP}};
    static const struct gen_flag_effect fx_logic = {GEN_ARITH, GEN_AF};
    const unsigned per_case = 8;
    struct gen_case *c = NULL;
    unsigned k = 0;

    for (unsigned op = 0; op < 4; op++) {
        for (unsigned al = 0; al < 256; al++) {
            for (unsigned fl = 0; fl < 4; fl++) {
                if (!c || k == per_case) {
                    c = directed_case(h, g, (*id)++, gen_rng_next(&g->rng));
                    k = 0;
                }
                uint8_t ah_in = (uint8_t)gen_rng_next(&g->rng);
                uint8_t insn = opc[op];
                uint8_t lahf[4] = {0x9f, 0x80, 0xe4, defined_ah[op]}; /* lahf; and ah, imm8 */
                /* AF = bit 4, CF = bit 0 of SAHF's AH, plus random SF ZF PF. */
                load_flags_sahf(c, (uint8_t)(((fl & 1) ? 0x10 : 0) | ((fl & 2) ? 0x01 : 0) |
                                             (gen_rng_next(&g->rng) & 0xc4) | 0x02));
                load_ax(c, (uint16_t)(ah_in << 8 | al));
                put(c, &insn, 1, fx[op]);
                /* AAA/AAS change AH too: keep the result AX, then the flags. */
                store_ax(c, 8 * k);
                put(c, lahf, 1, fx_none);
                put(c, lahf + 1, 3, fx_logic);
                store_ax(c, 8 * k + 2);
                k++;
            }
        }
    }
}

/* MUL IMUL r/m8 for every (AL, CL): AX and CF (= OF) stored. */
static void alu8_mul(struct harness *h, struct gen *g, uint64_t *id)
{
    static const struct gen_flag_effect fx_mul = {GEN_ARITH, GEN_SZP | GEN_AF};
    const unsigned per_case = 10;
    struct gen_case *c = NULL;
    unsigned k = 0;

    for (unsigned op = 0; op < 2; op++) {
        for (unsigned a = 0; a < 256; a++) {
            for (unsigned b = 0; b < 256; b++) {
                if (!c || k == per_case) {
                    c = directed_case(h, g, (*id)++, gen_rng_next(&g->rng));
                    k = 0;
                }
                uint8_t mov[2] = {0xb1, (uint8_t)b};
                uint8_t mul[2] = {0xf6, (uint8_t)(op ? 0xe9 : 0xe1)}; /* mul cl / imul cl */
                load_ax(c, (uint16_t)((gen_rng_next(&g->rng) & 0xff00) | a));
                put(c, mov, 2, fx_none);
                put(c, mul, 2, fx_mul);
                store_ax(c, 4 * k);
                store_cc(c, 2, 4 * k + 2); /* setc */
                k++;
            }
        }
    }
}

/* A dividend for AX / b that does not overflow, with a random high byte where possible. */
static uint16_t div8_dividend(struct gen *g, unsigned idiv, unsigned a, unsigned b)
{
    for (unsigned tries = 0; tries < 4; tries++) {
        uint16_t ax = (uint16_t)((gen_rng_next(&g->rng) & 0xff00) | a);
        if (!idiv && (ax >> 8) < b)
            return ax;
        if (idiv) {
            int32_t q = (int16_t)ax / (int8_t)b;
            if (q >= -128 && q <= 127)
                return ax;
        }
    }
    if (!idiv)
        return (uint16_t)a;              /* AH = 0 < b */
    return (uint16_t)(int16_t)(int8_t)a; /* sign-extended: |quotient| <= |AL| fits, but -128/-1 */
}

/* DIV IDIV r/m8 for every (AL, CL != 0) without overflow: AX stored; then #DE cases. */
static void alu8_div(struct harness *h, struct gen *g, uint64_t *id)
{
    static const struct gen_flag_effect fx_div = {GEN_ARITH, GEN_ARITH};
    const unsigned per_case = 12;
    struct gen_case *c = NULL;
    unsigned k = 0;

    for (unsigned op = 0; op < 2; op++) {
        for (unsigned a = 0; a < 256; a++) {
            for (unsigned b = 1; b < 256; b++) {
                uint16_t ax = div8_dividend(g, op, a, b);
                if (op && (int16_t)ax == -128 && (int8_t)b == -1)
                    continue; /* the one overflow left: among the #DE cases below */
                if (!c || k == per_case) {
                    c = directed_case(h, g, (*id)++, gen_rng_next(&g->rng));
                    k = 0;
                }
                uint8_t mov[2] = {0xb1, (uint8_t)b};
                uint8_t div[2] = {0xf6, (uint8_t)(op ? 0xf9 : 0xf1)}; /* div cl / idiv cl */
                load_ax(c, ax);
                put(c, mov, 2, fx_none);
                put(c, div, 2, fx_div);
                store_ax(c, 2 * k);
                k++;
            }
        }
    }
    /* #DE: divide by zero, quotient too large; one faulting division per case, last. */
    for (unsigned op = 0; op < 2; op++) {
        for (unsigned i = 0; i < 512; i++) {
            uint16_t ax = (uint16_t)gen_rng_next(&g->rng);
            uint8_t b;
            if (i < 128) {
                b = 0;
            } else if (!op) {
                b = (uint8_t)(1 + gen_rng_below(&g->rng, 255));
                ax = (uint16_t)((unsigned)b << 8 | (ax & 0xff)); /* AH >= b */
                ax = (uint16_t)(ax + ((gen_rng_next(&g->rng) % (0x10000u - ax)) & 0xff00));
            } else if (i < 160) {
                ax = 0xff80; /* -128 / -1 */
                b = 0xff;
            } else {
                b = (uint8_t)(1 + gen_rng_below(&g->rng, 255));
                int32_t q = (int16_t)ax / (int8_t)b;
                if (q >= -128 && q <= 127)
                    ax = (uint16_t)(0x4000 | (ax & 0xff)); /* 16384+ / anything <= 127 */
                if ((int8_t)b == 127 || (int8_t)b == -128)
                    b = 3;
            }
            struct gen_case *dc = directed_case(h, g, (*id)++, gen_rng_next(&g->rng));
            uint8_t mov[2] = {0xb1, b};
            uint8_t div[2] = {0xf6, (uint8_t)(op ? 0xf9 : 0xf1)};
            load_ax(dc, ax);
            put(dc, mov, 2, fx_none);
            put(dc, div, 2, fx_div);
        }
    }
}

static void test_alu8_pairs(gconstpointer data)
{
    struct harness *h = (struct harness *)data;
    struct gen g;
    uint64_t id = 0;

    if (!test_begin(h, "/diff/alu8-pairs", true))
        return;
    gen_init(&g, h->opt.seed ^ 0x414c5538ull, h->mode64);
    alu8_arith(h, &g, &id);
    if (h->mode64)
        g_test_message("the helper runs 64-bit code: DAA DAS AAA AAS are not compared");
    else
        alu8_bcd(h, &g, &id);
    alu8_mul(h, &g, &id);
    alu8_div(h, &g, &id);
    test_end(h);
}

/* --- main ------------------------------------------------------------------ */

static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;

    errno = 0;
    *out = g_ascii_strtoull(s, &end, 0);
    return errno == 0 && end != s && *end == '\0';
}

/* Take our options out of argv before GTest sees it. */
static bool parse_options(int *argc, char **argv, struct options *opt)
{
    int out = 1;

    opt->seed = DEFAULT_SEED;
    opt->count = DEFAULT_COUNT;
    opt->only_case = -1;
    opt->native = g_getenv("POPEK_DIFF_NATIVE");
    opt->native_only = false;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        uint64_t v;
        if (g_str_has_prefix(a, "--seed=")) {
            if (!parse_u64(a + 7, &opt->seed))
                return false;
        } else if (g_str_has_prefix(a, "--count=")) {
            if (!parse_u64(a + 8, &opt->count))
                return false;
        } else if (g_str_has_prefix(a, "--case=")) {
            if (!parse_u64(a + 7, &v) || v > INT64_MAX)
                return false;
            opt->only_case = (int64_t)v;
        } else if (g_str_has_prefix(a, "--native=")) {
            opt->native = a + 9;
        } else if (strcmp(a, "--native-only") == 0) {
            opt->native_only = true;
        } else {
            argv[out++] = argv[i];
        }
    }
    argv[out] = NULL;
    *argc = out;
    return true;
}

int main(int argc, char **argv)
{
    struct harness *h = g_new0(struct harness, 1);
    int rc;

    if (!parse_options(&argc, argv, &h->opt)) {
        g_printerr("usage: test_diff [--seed=N] [--count=N] [--case=N] [--native=PATH] "
                   "[--native-only] [GTest options]\n");
        return 2;
    }
    g_test_init(&argc, &argv, NULL);
    signal(SIGPIPE, SIG_IGN); /* a dead helper shows up as a failed write */

    struct translator_config cfg = cpu_fixture_config();
    cfg.tier = 0;
    cpu_fixture_init_config(&h->f, 16, &cfg);
    /* Tier 1 runs the same cases beside tier 0 wherever the host has it. */
    h->have_tier1 = translator_tier1_available();
    if (h->have_tier1) {
        cfg.tier = 1;
        cpu_fixture_init_config(&h->f1, 16, &cfg);
    }
    if (cs_open(CS_ARCH_X86, CS_MODE_32, &h->cs) != CS_ERR_OK)
        g_error("cs_open failed");
    h->slots = g_new0(struct slot, BATCH);
    h->req = g_new0(struct diff_request, BATCH);
    h->rep = g_new0(struct diff_reply, BATCH);
    h->have_native = h->opt.native && *h->opt.native && native_start(h);
    if (h->opt.native && *h->opt.native && !h->have_native)
        return 1;

    g_test_add_data_func("/diff/generator", h, test_generator);
    g_test_add_data_func("/diff/random", h, test_random);
    g_test_add_data_func("/diff/shift-counts", h, test_shift_counts);
    g_test_add_data_func("/diff/alu8-pairs", h, test_alu8_pairs);
    rc = g_test_run();

    if (h->have_native)
        native_stop(h);
    cs_close(&h->cs);
    g_free(h->slots);
    g_free(h->req);
    g_free(h->rep);
    cpu_fixture_destroy(&h->f);
    if (h->have_tier1)
        cpu_fixture_destroy(&h->f1);
    g_free(h);
    return rc;
}
