/*
 * The x87 FPU (cpu/fpu*.c, cpu/softfloat80.c) through the interpreter.
 *
 * The core is a differential test: every x87 instruction form is run from
 * random FPU states (registers of every class, empty and full stacks,
 * every control word including unmasked exceptions) once by the host's
 * own x87 and once by popek, and the FSAVE images, memory operands, AX and
 * EFLAGS that result are compared bit for bit. It runs with the host fast
 * path and with POPEK_FPU=soft; the portable transcendentals are held to
 * one ulp. Around it: softfloat80 against host long double arithmetic in
 * every rounding and precision mode, and hand-checked cases for what the
 * host cannot show (the RESET state, #NM, #MF, FERR#, the environment
 * layouts of every mode, FXSAVE, the pointer registers, faulting stores).
 */
#include <fenv.h>
#include <glib.h>
#include <stddef.h>
#include <string.h>

#include "cpu/handlers.h"
#include "tests/lib/cpu_fixture.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <sys/mman.h>
#define HOST_X87 1
#else
#define HOST_X87 0
#endif

/* Helpers of the host oracle only: unused on a host without an x87 (arm64). */
#if HOST_X87
#define ORACLE_HELPER
#else
#define ORACLE_HELPER G_GNUC_UNUSED
#endif

#define CODE    0x10000u
#define STACK   0x80000u
#define IMG_IN  0x30000u
#define IMG_OUT 0x30100u
#define MEMOP   0x30200u

/* A test's parameters: the POPEK_FPU the CPU is created with, and an escape byte. */
struct param {
    const char *fpu; /* "soft" or "host" */
    uint8_t esc;
};

static void setup(struct cpu_fixture *f, gconstpointer data)
{
    const struct param *p = data;
    g_setenv("POPEK_FPU", p->fpu, TRUE);
    cpu_fixture_init(f, 16);
    g_unsetenv("POPEK_FPU");
}

static void teardown(struct cpu_fixture *f, gconstpointer data)
{
    cpu_fixture_destroy(f);
}

static struct fpu *fpu_state(struct cpu_fixture *f)
{
    return &f->cpu->internal->fpu;
}

/* The host path was asked for but this machine has no x87: say so. */
static ORACLE_HELPER bool host_missing(struct cpu_fixture *f, gconstpointer data)
{
    const struct param *p = data;
    if (strcmp(p->fpu, "host") == 0 && fpu_state(f)->soft) {
        g_test_skip("the host has no x87: only the portable path is tested");
        return true;
    }
    return false;
}

/* Flat 32-bit protected mode at CPL 0 (CR0 = PE | ET | extra), code at `at`. */
static void flat32(struct cpu_fixture *f, const void *code, size_t len, uint32_t cr0_extra)
{
    memmap_write_buf(&f->m.mem, CODE, code, len);
    cpu_fixture_flat32(f, CODE, STACK, cr0_extra);
}

static void run_to_hlt(struct cpu_fixture *f)
{
    cpu_fixture_run_to_hlt(f, 100000);
}

/* Run expecting an exception: its vector, with EIP left at the faulting instruction. */
static int run_to_exception(struct cpu_fixture *f)
{
    f->cpu->stop_on_exception = true;
    enum cpu_exit why = cpu_fixture_run(f, 100000);
    f->cpu->stop_on_exception = false;
    if (why != CPU_EXIT_EXCEPTION)
        g_error("expected an exception, the run ended with %d at eip %08x", why, f->cpu->eip);
    return f->cpu->exception_vector;
}

static uint16_t rd16(struct cpu_fixture *f, uint32_t a)
{
    uint16_t v;
    memcpy(&v, f->m.ram + a, 2);
    return v;
}

static uint32_t rd32(struct cpu_fixture *f, uint32_t a)
{
    uint32_t v;
    memcpy(&v, f->m.ram + a, 4);
    return v;
}

/* --- random operands -------------------------------------------------- */

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static struct f80 rand_f80(uint64_t *s)
{
    uint64_t r = next(s), m = next(s), t = next(s);
    bool sign = r & 1;
    switch ((r >> 1) % 20) {
    case 0:
        return f80_make(sign, 0, 0);
    case 1:
        return f80_make(sign, 0, m >> (t % 64)); /* denormal */
    case 2:
        return f80_make(sign, 0, m | 1ull << 63); /* pseudo-denormal */
    case 3:
        return f80_make(sign, 0x7fff, 1ull << 63); /* infinity */
    case 4:
        return f80_make(sign, 0x7fff, (3ull << 62) | ((m >> 2) & -(t & 1))); /* QNaN */
    case 5:
        return f80_make(sign, 0x7fff, (1ull << 63) | (m >> 2) | 1); /* SNaN */
    case 6:
        return f80_make(sign, t & 1 ? 0x7fff : 1 + t % 0x7ffe, m >> 1); /* unsupported */
    case 7:
        return f80_make(sign, 1 + t % 80, m | 1ull << 63); /* near the denormals */
    case 8:
        return f80_make(sign, 0x7ffe - t % 80, m | 1ull << 63); /* near overflow */
    case 9:
        return sf_from_int((int64_t)(m >> (t % 64)) * (sign ? -1 : 1)); /* an integer */
    case 10: /* a short significand: exact results */
        return f80_make(sign, F80_BIAS - 8 + t % 16, (m | 1ull << 63) & ~((1ull << (t % 64)) - 1));
    case 11: /* near one */
        return f80_make(sign, F80_BIAS - (t & 1), (t & 2) ? ~(m >> 50) : (1ull << 63) | (m >> 50));
    case 12: /* around 2^63, where FSIN and FIST change behaviour */
        return f80_make(sign, F80_BIAS + 60 + t % 6, m | 1ull << 63);
    case 13: /* the transcendental instructions' domains */
        return f80_make(sign, F80_BIAS - 4 + t % 5, m | 1ull << 63);
    case 14:
        return f80_make(sign, F80_BIAS - 70 + t % 140, m | 1ull << 63);
    default:
        return f80_make(sign, F80_BIAS - 300 + t % 600, m | 1ull << 63);
    }
}

/* A single (fbits 23, ebits 8) or double (52, 11) bit pattern. */
static uint64_t rand_narrow(uint64_t *s, unsigned fbits, unsigned ebits)
{
    uint64_t r = next(s), m = next(s) & ((1ull << fbits) - 1), t = next(s);
    uint64_t emax = (1ull << ebits) - 1, sign = (r & 1) << (fbits + ebits);
    switch ((r >> 1) % 10) {
    case 0:
        return sign;
    case 1:
        return sign | (m >> (t % fbits)) | 1; /* denormal */
    case 2:
        return sign | (emax << fbits); /* infinity */
    case 3:
        return sign | (emax << fbits) | (1ull << (fbits - 1)) | (m >> 1); /* QNaN */
    case 4:
        return sign | (emax << fbits) | (m >> 1) | 1; /* SNaN */
    case 5:
        return sign | ((1 + t % 3) << fbits) | m; /* small */
    case 6:
        return sign | ((emax - 1 - t % 3) << fbits) | m; /* large */
    case 7:                                              /* short significand */
        return sign | (((emax >> 1) - 4 + t % 8) << fbits) | (m & ~((1ull << (t % fbits)) - 1));
    default:
        return sign | ((1 + t % (emax - 1)) << fbits) | m;
    }
}

static uint64_t rand_int(uint64_t *s, unsigned bits)
{
    uint64_t r = next(s), v = next(s);
    uint64_t top = 1ull << (bits - 1);
    switch (r % 6) {
    case 0:
        return r & 4 ? 0 : (uint64_t)-1;
    case 1:
        return r & 4 ? top : top - 1;
    case 2:
        return v % 1000 - 500;
    default:
        return v >> (64 - bits + (r >> 8) % bits);
    }
}

static void rand_bcd(uint64_t *s, uint8_t *b)
{
    uint64_t r = next(s);
    for (int i = 0; i < 9; i++) {
        unsigned lo = next(s) % 10, hi = next(s) % 10;
        b[i] = (uint8_t)(hi << 4 | lo);
    }
    if (r % 8 == 0)
        b[next(s) % 9] |= 0x0a; /* an invalid digit */
    if (r % 5 == 0)
        memset(b + 1 + r % 8, 0, 8 - r % 8);
    b[9] = (r & 1) ? 0x80 : 0;
}

static uint16_t rand_cw(uint64_t *s)
{
    uint64_t r = next(s);
    uint16_t cw = (uint16_t)(r & 0xfff7);
    switch ((r >> 16) % 4) {
    case 0:
    case 1:
        cw |= 0x3f; /* everything masked, as programs run */
        break;
    case 2:
        cw = (cw & ~0x3f) | (0x3f & ~(1u << ((r >> 20) % 6)));
        break;
    default:
        break;
    }
    return cw;
}

/* --- the host oracle --------------------------------------------------- */

/* Layout fixed: the host stub addresses it by these offsets. */
struct oracle_state {
    uint8_t in[108];  /* FRSTOR image */
    uint8_t out[108]; /* FNSAVE image */
    uint64_t mem;     /* 216: address of the memory operand */
    uint64_t eflags;  /* 224: in and out */
    uint64_t rax;     /* 232: in and out */
};

_Static_assert(offsetof(struct oracle_state, mem) == 216, "stub offsets");
_Static_assert(offsetof(struct oracle_state, eflags) == 224, "stub offsets");
_Static_assert(offsetof(struct oracle_state, rax) == 232, "stub offsets");

typedef void (*host_stub)(struct oracle_state *);

#if HOST_X87
/*
 * push [rdi+224]; popfq; mov rdx, [rdi+216]; mov rax, [rdi+232];
 * frstor [rdi]; <insn>; pushfq; pop rcx; mov [rdi+224], rcx;
 * mov [rdi+232], rax; fnsave [rdi+108]; ret. The memory operand is [rdx],
 * the same bytes as [edx] in the guest.
 */
static host_stub make_stub(const uint8_t *insn, unsigned len)
{
    static const uint8_t pre[] = {0xff, 0xb7, 0xe0, 0, 0, 0,    0x9d, 0x48,
                                  0x8b, 0x97, 0xd8, 0, 0, 0,    0x48, 0x8b,
                                  0x87, 0xe8, 0,    0, 0, 0xdd, 0x27};
    static const uint8_t post[] = {0x9c, 0x59, 0x48, 0x89, 0x8f, 0xe0, 0,    0, 0, 0x48, 0x89, 0x87,
                                   0xe8, 0,    0,    0,    0xdd, 0xb7, 0x6c, 0, 0, 0,    0xc3};
    uint8_t *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    g_assert_true(p != MAP_FAILED);
    memcpy(p, pre, sizeof(pre));
    memcpy(p + sizeof(pre), insn, len);
    memcpy(p + sizeof(pre) + len, post, sizeof(post));
    g_assert_cmpint(mprotect(p, 4096, PROT_READ | PROT_EXEC), ==, 0);
    return (host_stub)(void *)p;
}

static void free_stub(host_stub stub)
{
    munmap((void *)stub, 4096);
}
#endif

/* --- FSAVE images ------------------------------------------------------ */

static void img_put16(uint8_t *img, unsigned at, uint16_t v)
{
    memcpy(img + at, &v, 2);
}

static uint16_t img_get16(const uint8_t *img, unsigned at)
{
    uint16_t v;
    memcpy(&v, img + at, 2);
    return v;
}

static struct f80 img_reg(const uint8_t *img, unsigned i)
{
    struct f80 v;
    memcpy(&v.sig, img + 28 + 10 * i, 8);
    memcpy(&v.se, img + 36 + 10 * i, 2);
    return v;
}

static void img_set_reg(uint8_t *img, unsigned i, struct f80 v)
{
    memcpy(img + 28 + 10 * i, &v.sig, 8);
    memcpy(img + 36 + 10 * i, &v.se, 2);
}

/* A random state with no exception pending (a pending one would trap on the host). */
static ORACLE_HELPER void random_image(uint64_t *s, uint8_t *img)
{
    uint16_t cw = rand_cw(s), tw = 0;
    uint16_t sw = (uint16_t)((next(s) & (FPU_SW_CC | FPU_SW_SF)) | ((next(s) & 7) << 11) |
                             (next(s) & cw & 0x3f));
    memset(img, 0, 108);
    for (unsigned r = 0; r < 8; r++)
        tw |= (next(s) % 4 == 0 ? 3u : 0u) << (2 * r);
    if (next(s) % 8 == 0)
        tw = 0; /* a full stack */
    img_put16(img, 0, cw);
    img_put16(img, 4, sw);
    img_put16(img, 8, tw);
    for (unsigned i = 0; i < 8; i++)
        img_set_reg(img, i, rand_f80(s));
}

enum memop_kind { M_SKIP, M_NONE, M_F32, M_F64, M_F80, M_I16, M_I32, M_I64, M_BCD };

static ORACLE_HELPER void random_mem(uint64_t *s, enum memop_kind k, uint8_t *mem)
{
    uint64_t v;
    struct f80 x;
    for (int i = 0; i < 16; i++)
        mem[i] = (uint8_t)next(s);
    switch (k) {
    case M_F32:
        v = rand_narrow(s, 23, 8);
        memcpy(mem, &v, 4);
        break;
    case M_F64:
        v = rand_narrow(s, 52, 11);
        memcpy(mem, &v, 8);
        break;
    case M_F80:
        x = rand_f80(s);
        memcpy(mem, &x.sig, 8);
        memcpy(mem + 8, &x.se, 2);
        break;
    case M_I16:
    case M_I32:
    case M_I64:
        v = rand_int(s, k == M_I16 ? 16 : k == M_I32 ? 32 : 64);
        memcpy(mem, &v, 8);
        break;
    case M_BCD:
        rand_bcd(s, mem);
        break;
    default:
        break;
    }
}

/* Distance in ulps of two finite values of one sign, or UINT64_MAX. */
static uint64_t ulps(struct f80 a, struct f80 b)
{
    if (a.se == b.se && a.sig == b.sig)
        return 0;
    enum sf_class ka = sf_classify(a), kb = sf_classify(b);
    bool fa = ka == SF_NORMAL || ka == SF_DENORMAL, fb = kb == SF_NORMAL || kb == SF_DENORMAL;
    if (!fa || !fb || f80_sign(a) != f80_sign(b))
        return UINT64_MAX;
    /* Consecutive values have consecutive keys: exponent, then the fraction. */
    unsigned __int128 xa = (unsigned __int128)f80_exp(a) << 63 | (a.sig & ~(1ull << 63));
    unsigned __int128 xb = (unsigned __int128)f80_exp(b) << 63 | (b.sig & ~(1ull << 63));
    unsigned __int128 d = xa > xb ? xa - xb : xb - xa;
    return d > 2 ? UINT64_MAX : (uint64_t)d;
}

/* --- the differential test ---------------------------------------------- */

struct x87_case {
    uint8_t op[2];
    uint8_t mem; /* enum memop_kind */
};

/* The memory forms ([edx]) with their operand kinds; M_SKIP: tested by hand or not a P6's. */
static const uint8_t mem_forms[8][8] = {
    {M_F32, M_F32, M_F32, M_F32, M_F32, M_F32, M_F32, M_F32},
    {M_F32, M_SKIP, M_F32, M_F32, M_SKIP, M_I16, M_SKIP, M_I16},
    {M_I32, M_I32, M_I32, M_I32, M_I32, M_I32, M_I32, M_I32},
    {M_I32, M_SKIP, M_I32, M_I32, M_SKIP, M_F80, M_SKIP, M_F80},
    {M_F64, M_F64, M_F64, M_F64, M_F64, M_F64, M_F64, M_F64},
    {M_F64, M_SKIP, M_F64, M_F64, M_SKIP, M_SKIP, M_SKIP, M_I16},
    {M_I16, M_I16, M_I16, M_I16, M_I16, M_I16, M_I16, M_I16},
    {M_I16, M_SKIP, M_I16, M_I16, M_BCD, M_I64, M_BCD, M_I64},
};

static ORACLE_HELPER unsigned cases_for(uint8_t esc, struct x87_case *out)
{
    unsigned n = 0;
    for (unsigned reg = 0; reg < 8; reg++) {
        uint8_t kind = mem_forms[esc - 0xd8][reg];
        if (kind != M_SKIP)
            out[n++] = (struct x87_case){{esc, (uint8_t)(reg << 3 | 2)}, kind};
    }
    for (unsigned modrm = 0xc0; modrm <= 0xff; modrm++)
        out[n++] = (struct x87_case){{esc, (uint8_t)modrm}, M_NONE};
    return n;
}

struct oracle_run {
    struct cpu_fixture *f;
    uint64_t seed;
    unsigned iterations, compared, skipped, failures;
    bool amd;             /* the reference is an AMD x87 */
    unsigned amd_skipped; /* states where it departs from Intel's documentation */
};

#if HOST_X87
static bool host_is_amd(void)
{
    unsigned a, b, c, d;
    return __get_cpuid(0, &a, &b, &c, &d) && b == 0x68747541u; /* "Auth" */
}
#endif

/*
 * Where AMD's x87 departs from what Intel documents for the Pentium II:
 * with an unmasked invalid-operand or denormal exception a compare still
 * sets its condition codes (Intel: "not set", SDM Vol. 2 FCOM, FCOMI,
 * FTST), and FLD of a denormal single or double still pushes (Intel: "TOP
 * and source operands remain unchanged", SDM Vol. 1 §8.5.2). popek does
 * what Intel documents; test_intel_documented checks those cases by hand.
 */
static ORACLE_HELPER bool amd_departs(const struct insn *in, const struct x87_case *k,
                                      const uint8_t *img_in, const uint8_t *host_out)
{
    uint16_t unmasked = (uint16_t)(img_get16(host_out, 4) & ~img_get16(img_in, 0));
    if (in->fn == h_fcom || in->fn == h_fcomi || in->fn == h_ftst)
        return unmasked & (SF_IE | SF_DE);
    return in->fn == h_fld && (k->mem == M_F32 || k->mem == M_F64) && (unmasked & SF_DE);
}

/* Where the portable transcendentals are held to an ulp (outside: undefined or ill-conditioned). */
static ORACLE_HELPER bool trans_in_domain(const struct x87_case *k, const uint8_t *img)
{
    struct f80 x = img_reg(img, 0);
    if (sf_classify(x) != SF_NORMAL && sf_classify(x) != SF_DENORMAL)
        return true;
    int32_t e = f80_exp(x) - F80_BIAS;
    switch (k->op[1]) {
    case 0xf0: /* F2XM1: -1 <= x <= 1 */
        return e < 0 || (e == 0 && x.sig == 1ull << 63);
    case 0xf9: /* FYL2XP1: |x| < 1 - sqrt(2)/2 */
        return e < -2;
    default:
        return true;
    }
}

/*
 * The same CW, SW, tags and registers. Tolerant (portable transcendentals):
 * the registers within an ulp, and C1 (rounded up) as uncertain as the
 * last bit, UE too where a value differs.
 */
static ORACLE_HELPER bool same_state(const uint8_t *a, const uint8_t *b, bool tolerant,
                                     unsigned *cc_ignore)
{
    *cc_ignore = tolerant ? SF_C1 : 0;
    for (unsigned i = 0; i < 8; i++) {
        struct f80 x = img_reg(a, i), y = img_reg(b, i);
        uint64_t d = ulps(x, y);
        if (d == 0)
            continue;
        if (!tolerant || d > 1)
            return false;
        *cc_ignore = SF_C1 | SF_UE;
    }
    return img_get16(a, 0) == img_get16(b, 0) && img_get16(a, 8) == img_get16(b, 8) &&
           (img_get16(a, 4) & ~*cc_ignore) == (img_get16(b, 4) & ~*cc_ignore);
}

static ORACLE_HELPER void report(struct oracle_run *o, const struct x87_case *k,
                                 const struct oracle_state *h, const uint8_t *guest_out,
                                 const uint8_t *mem_in, const uint8_t *hmem, const uint8_t *gmem,
                                 uint32_t geflags, uint32_t geax)
{
    if (o->failures++ >= 12)
        return;
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "%02x %02x: cw %04x sw %04x tw %04x mem", k->op[0], k->op[1],
                           img_get16(h->in, 0), img_get16(h->in, 4), img_get16(h->in, 8));
    for (int i = 0; i < 10; i++)
        g_string_append_printf(s, " %02x", mem_in[i]);
    for (unsigned i = 0; i < 8; i++) {
        struct f80 a = img_reg(h->in, i), b = img_reg(h->out, i), c = img_reg(guest_out, i);
        g_string_append_printf(s, "\n  st%u %04x:%016llx -> host %04x:%016llx popek %04x:%016llx",
                               i, a.se, (unsigned long long)a.sig, b.se, (unsigned long long)b.sig,
                               c.se, (unsigned long long)c.sig);
    }
    g_string_append_printf(s, "\n  host cw %04x sw %04x tw %04x fl %03llx ax %04llx mem",
                           img_get16(h->out, 0), img_get16(h->out, 4), img_get16(h->out, 8),
                           (unsigned long long)(h->eflags & 0x8d5),
                           (unsigned long long)(h->rax & 0xffff));
    for (int i = 0; i < 10; i++)
        g_string_append_printf(s, " %02x", hmem[i]);
    g_string_append_printf(s, "\n  popek cw %04x sw %04x tw %04x fl %03x ax %04x mem",
                           img_get16(guest_out, 0), img_get16(guest_out, 4),
                           img_get16(guest_out, 8), geflags & 0x8d5, geax & 0xffff);
    for (int i = 0; i < 10; i++)
        g_string_append_printf(s, " %02x", gmem[i]);
    g_test_message("%s", s->str);
    g_string_free(s, TRUE);
}

#if HOST_X87
/* One case, `iterations` random states, on the host and in the guest at `code`. */
static void oracle_case(struct oracle_run *o, const struct x87_case *k, uint32_t code)
{
    struct cpu_fixture *f = o->f;
    struct cpu *cpu = f->cpu;
    struct insn in;
    uint8_t prog[16] = {0xdd, 0x26, k->op[0], k->op[1], 0x9c, 0x59, 0xdd, 0x37, 0xf4};
    if (cpu_decode(cpu, k->op, 2, &in) != 0 || in.fn == h_ud || in.fn == h_fpu)
        return; /* not an instruction of a Pentium II */
    bool tolerant = in.fn == h_ftrans && fpu_state(f)->soft;
    memmap_write_buf(&f->m.mem, code, prog, sizeof(prog));
    host_stub stub = make_stub(k->op, 2);
    for (unsigned it = 0; it < o->iterations; it++) {
        struct oracle_state h;
        uint8_t hmem[16] __attribute__((aligned(16))), mem_in[16];
        uint64_t *s = &o->seed;
        random_image(s, h.in);
        random_mem(s, k->mem, mem_in);
        if (tolerant && !trans_in_domain(k, h.in)) {
            o->skipped++;
            continue;
        }
        memcpy(hmem, mem_in, 16);
        h.mem = (uint64_t)(uintptr_t)hmem;
        h.eflags = 0x2 | (next(s) & 0x8d5);
        h.rax = next(s) & 0xffffffffu;
        memcpy(f->m.ram + IMG_IN, h.in, 108);
        memcpy(f->m.ram + MEMOP, mem_in, 16);
        cpu->regs[R_ESI] = IMG_IN;
        cpu->regs[R_EDI] = IMG_OUT;
        cpu->regs[R_EDX] = MEMOP;
        cpu->regs[R_EAX] = (uint32_t)h.rax;
        cpu->eflags = (uint32_t)h.eflags;
        cpu->eip = code;
        cpu->halted = false;
        stub(&h);
        run_to_hlt(f);
        if (o->amd && amd_departs(&in, k, h.in, h.out)) {
            o->amd_skipped++;
            continue;
        }
        unsigned ignore;
        const uint8_t *gout = f->m.ram + IMG_OUT, *gmem = f->m.ram + MEMOP;
        bool ok = same_state(h.out, gout, tolerant, &ignore) && memcmp(hmem, gmem, 16) == 0 &&
                  (h.eflags & 0x8d5) == (cpu->regs[R_ECX] & 0x8d5) &&
                  (uint32_t)h.rax == cpu->regs[R_EAX];
        o->compared++;
        if (!ok)
            report(o, k, &h, gout, mem_in, hmem, gmem, cpu->regs[R_ECX], cpu->regs[R_EAX]);
    }
    free_stub(stub);
}
#endif

/* Every form of one escape byte (D8..DF) against the host. */
static void test_oracle(struct cpu_fixture *f, gconstpointer data)
{
#if HOST_X87
    const struct param *p = data;
    if (host_missing(f, data))
        return;
    struct x87_case cases[8 + 64];
    unsigned n = cases_for(p->esc, cases);
    /* POPEK_FPU_ORACLE=<states per form>[,<seed>] runs a longer or different test. */
    const char *env = g_getenv("POPEK_FPU_ORACLE");
    unsigned iterations = env ? (unsigned)g_ascii_strtoull(env, NULL, 10) : 400;
    uint64_t seed = env && strchr(env, ',') ? g_ascii_strtoull(strchr(env, ',') + 1, NULL, 0)
                                            : 0x9e3779b97f4a7c15ull;
    struct oracle_run o = {f, seed ^ p->esc, iterations, 0, 0, 0, host_is_amd(), 0};
    flat32(f, "", 0, 0);
    for (unsigned i = 0; i < n; i++)
        oracle_case(&o, &cases[i], CODE + 0x1000 + 32 * i);
    g_test_message("%02x: %u states compared, %u outside the transcendental domains, %u where "
                   "the AMD host departs from Intel's documentation",
                   p->esc, o.compared, o.skipped, o.amd_skipped);
    g_assert_cmpuint(o.compared, >, 0);
    g_assert_cmpuint(o.failures, ==, 0);
#else
    g_test_skip("no host x87 to compare with (not an x86-64 host)");
#endif
}

/* --- the portable transcendentals against the host's --------------------- */

struct trans_case {
    const char *name;
    uint8_t op;         /* second byte after D9 */
    int emin, emax;     /* ST(0) = +-1.m * 2^e, e in [emin, emax] */
    bool positive, two; /* ST(0) > 0 only; ST(1) is an operand too */
};

/* One run of the program at `code` on a CPU from image `in`; the FNSAVE image comes back. */
/* Another CPU on the same machine, with a translator of its own. */
struct side_cpu {
    struct cpu *cpu;
    struct translator *tr;
};

static ORACLE_HELPER void run_image(struct cpu_fixture *f, const struct side_cpu *side,
                                    uint32_t code, const uint8_t *in, uint8_t *out)
{
    struct cpu *cpu = side->cpu;
    memcpy(f->m.ram + IMG_IN, in, 108);
    cpu->regs[R_ESI] = IMG_IN;
    cpu->regs[R_EDI] = IMG_OUT;
    cpu->eip = code;
    cpu->halted = false;
    if (translator_run(side->tr, 1000) != CPU_EXIT_HLT)
        g_error("transcendental run did not reach HLT");
    memcpy(out, f->m.ram + IMG_OUT, 108);
}

/*
 * Another CPU on the same machine, in flat 32-bit mode. Only the last CPU
 * created hears of code writes: each program gets an address of its own.
 */
static ORACLE_HELPER struct side_cpu second_cpu(struct cpu_fixture *f, const char *fpu)
{
    g_setenv("POPEK_FPU", fpu, TRUE);
    struct cpu *cpu = cpu_create(&f->m, f->mmu);
    g_unsetenv("POPEK_FPU");
    struct translator *tr = translator_create(cpu, NULL);
    cpu->cr[0] = 0x11;
    cpu_sync_control(cpu);
    cpu_set_segment(cpu, S_CS, 0x08, 0, 0xffffffffu, 0xc09b);
    for (int s = 0; s < S_COUNT; s++) {
        if (s != S_CS)
            cpu_set_segment(cpu, s, 0x10, 0, 0xffffffffu, 0xc093);
    }
    cpu->regs[R_ESP] = STACK;
    return (struct side_cpu){cpu, tr};
}

/*
 * Every transcendental over its domain in all four rounding modes: the
 * portable results are within one ulp of the host x87's, with the same
 * exceptions (C1 and UE may differ only where the values do).
 */
static void test_trans_accuracy(struct cpu_fixture *f, gconstpointer data)
{
#if HOST_X87
    static const struct trans_case cases[] = {
        {"fsin", 0xfe, -70, 62, false, false},    {"fcos", 0xff, -70, 62, false, false},
        {"fsincos", 0xfb, -70, 62, false, false}, {"fptan", 0xf2, -70, 62, false, false},
        {"f2xm1", 0xf0, -70, -1, false, false},   {"fyl2x", 0xf1, -1000, 1000, true, true},
        {"fyl2xp1", 0xf9, -70, -3, false, true},  {"fpatan", 0xf3, -100, 100, false, true},
    };
    struct side_cpu host = second_cpu(f, "host");
    struct side_cpu soft = second_cpu(f, "soft");
    uint64_t seed = 0x853c49e6748fea9bull;
    for (unsigned k = 0; k < G_N_ELEMENTS(cases); k++) {
        const struct trans_case *t = &cases[k];
        uint8_t prog[] = {0xdd, 0x26, 0xd9, t->op, 0xdd, 0x37, 0xf4};
        unsigned n = 20000, exact = 0, one = 0, c1 = 0;
        uint32_t code = CODE + 0x100 * k;
        memmap_write_buf(&f->m.mem, code, prog, sizeof(prog));
        for (unsigned i = 0; i < n; i++) {
            uint8_t in[108], ho[108], so[108];
            int e = t->emin + (int)(next(&seed) % (uint64_t)(t->emax - t->emin + 1));
            bool neg = !t->positive && (next(&seed) & 1);
            memset(in, 0, sizeof(in));
            img_put16(in, 0, (uint16_t)(0x037f | (i & 3) << 10));
            img_put16(in, 8, 0xfff0); /* ST(0) and ST(1) in R0 and R1 */
            img_set_reg(in, 0, f80_make(neg, F80_BIAS + e, next(&seed) | 1ull << 63));
            img_set_reg(in, 1,
                        f80_make(next(&seed) & 1, F80_BIAS - 20 + next(&seed) % 40,
                                 next(&seed) | 1ull << 63));
            run_image(f, &host, code, in, ho);
            run_image(f, &soft, code, in, so);
            unsigned worst = 0;
            for (unsigned r = 0; r < 8; r++) {
                uint64_t d = ulps(img_reg(ho, r), img_reg(so, r));
                if (d > worst)
                    worst = d > 1 ? 2 : (unsigned)d;
            }
            /* C1 (rounded up) is as uncertain as the last bit: the host evaluates
               with a few guard bits, popek with sixty. */
            uint16_t ignore = worst ? SF_C1 | SF_UE : SF_C1;
            c1 += !worst && ((img_get16(ho, 4) ^ img_get16(so, 4)) & SF_C1);
            if (worst > 1 || (img_get16(ho, 4) & ~ignore) != (img_get16(so, 4) & ~ignore) ||
                img_get16(ho, 8) != img_get16(so, 8)) {
                struct f80 x = img_reg(in, 0), y = img_reg(in, 1);
                struct f80 a = img_reg(ho, 0), b = img_reg(so, 0);
                g_error("%s(%04x:%016llx, %04x:%016llx) cw %04x: host %04x:%016llx sw %04x, "
                        "popek %04x:%016llx sw %04x",
                        t->name, x.se, (unsigned long long)x.sig, y.se, (unsigned long long)y.sig,
                        img_get16(in, 0), a.se, (unsigned long long)a.sig, img_get16(ho, 4), b.se,
                        (unsigned long long)b.sig, img_get16(so, 4));
            }
            exact += worst == 0;
            one += worst == 1;
        }
        g_test_message("%-8s %u operands: %u bit-exact (C1 differs in %u), %u one ulp apart",
                       t->name, n, exact, c1, one);
    }
    translator_destroy(host.tr);
    translator_destroy(soft.tr);
    cpu_destroy(host.cpu);
    cpu_destroy(soft.cpu);
#else
    g_test_skip("no host x87 to compare with (not an x86-64 host)");
#endif
}

/* --- softfloat80 against the host's long double ------------------------ */

#if defined(__x86_64__) || defined(__i386__)
/* a op b in host long double arithmetic under `cw` (exceptions masked) and the status word. */
static struct f80 host_long_double(int op, struct f80 a, struct f80 b, uint16_t cw, uint16_t *sw)
{
    volatile long double va, vb, vr;
    long double r;
    struct f80 out;
    uint16_t host_cw;
    memcpy((void *)&va, &a, 10);
    memcpy((void *)&vb, &b, 10);
    __asm__ volatile("fnstcw %0\n\tfnclex\n\tfldcw %1" : "=m"(host_cw) : "m"(cw) : "memory");
    switch (op) {
    case 0:
        vr = va + vb;
        break;
    case 1:
        vr = va - vb;
        break;
    case 2:
        vr = va * vb;
        break;
    default:
        vr = va / vb;
        break;
    }
    __asm__ volatile("fnstsw %0\n\tfldcw %1" : "=m"(*sw) : "m"(host_cw) : "memory");
    r = vr;
    memcpy(&out.sig, &r, 8);
    memcpy(&out.se, (const uint8_t *)&r + 8, 2);
    return out;
}
#endif

static void test_softfloat_long_double(void)
{
#if defined(__x86_64__) || defined(__i386__)
    typedef struct f80 (*sf_op)(struct f80, struct f80, struct sf_ctx *);
    static const sf_op ops[] = {sf_add, sf_sub, sf_mul, sf_div};
    uint64_t seed = 0x2545f4914f6cdd1dull;
    unsigned compared = 0;
    for (unsigned pc = 0; pc < 4; pc++) {
        for (unsigned rc = 0; rc < 4; rc++) {
            uint16_t cw = (uint16_t)(0x3f | pc << 8 | rc << 10);
            for (unsigned i = 0; i < 20000; i++) {
                int op = (int)(i % 4);
                struct f80 a = rand_f80(&seed), b = rand_f80(&seed);
                struct sf_ctx c = {cw, 0};
                uint16_t sw;
                struct f80 h = host_long_double(op, a, b, cw, &sw);
                struct f80 s = ops[op](a, b, &c);
                if (h.sig != s.sig || h.se != s.se || (sw & 0x3f) != (c.flags & 0x3f))
                    g_error("op %d cw %04x: %04x:%016llx, %04x:%016llx: host %04x:%016llx sw "
                            "%04x, softfloat %04x:%016llx flags %04x",
                            op, cw, a.se, (unsigned long long)a.sig, b.se,
                            (unsigned long long)b.sig, h.se, (unsigned long long)h.sig, sw & 0x3f,
                            s.se, (unsigned long long)s.sig, c.flags & 0x3f);
                compared++;
            }
        }
    }
    /* C1 is not compared: storing the long double result rewrites it. */
    g_test_message("%u operations compared bit for bit, exception flags included", compared);
#else
    g_test_skip("the host's long double is not the x87 format");
#endif
}

/* --- by hand: RESET, #NM, #MF, FERR# ----------------------------------- */

static void test_reset_state(struct cpu_fixture *f, gconstpointer data)
{
    const struct param *p = data;
    struct fpu *x = fpu_state(f);
    /* SDM Vol. 3A Table 9-1: FCW 0040H, FSW 0, FTW 5555H, registers +0.0. */
    g_assert_cmphex(x->cw, ==, 0x0040);
    g_assert_cmphex(fpu_status(x), ==, 0);
    g_assert_cmphex(fpu_tag_word(x), ==, 0x5555);
    for (unsigned r = 0; r < 8; r++)
        g_assert_true(x->st[r].sig == 0 && x->st[r].se == 0);
    g_assert_true(x->soft == (strcmp(p->fpu, "soft") == 0 || !fpu_host_available()));
    uint32_t a, b, c, d;
    cpu_cpuid(f->cpu, 1, &a, &b, &c, &d);
    g_assert_true(d & (1u << 0));  /* FPU */
    g_assert_true(d & (1u << 24)); /* FXSR */

    static const uint8_t code[] = {0xdb, 0xe3, 0xf4}; /* fninit; hlt */
    flat32(f, code, sizeof(code), 0);
    run_to_hlt(f);
    g_assert_cmphex(x->cw, ==, 0x037f);
    g_assert_cmphex(fpu_status(x), ==, 0);
    g_assert_cmphex(fpu_tag_word(x), ==, 0xffff);
}

static void test_device_not_available(struct cpu_fixture *f, gconstpointer data)
{
    static const uint8_t fld1[] = {0xd9, 0xe8, 0xf4};
    static const uint8_t fwait[] = {0x9b, 0xf4};
    static const uint8_t fisttp[] = {0xdb, 0x0a, 0xf4};
    static const uint8_t fxsave[] = {0x0f, 0xae, 0x07, 0xf4};
    flat32(f, fld1, sizeof(fld1), CR0_EM);
    g_assert_cmpint(run_to_exception(f), ==, EX_NM);
    g_assert_cmphex(f->cpu->eip, ==, CODE);
    flat32(f, fld1, sizeof(fld1), CR0_TS);
    g_assert_cmpint(run_to_exception(f), ==, EX_NM);
    /* FWAIT only with MP and TS. */
    flat32(f, fwait, sizeof(fwait), CR0_TS);
    run_to_hlt(f);
    flat32(f, fwait, sizeof(fwait), CR0_EM);
    run_to_hlt(f);
    flat32(f, fwait, sizeof(fwait), CR0_TS | CR0_MP);
    g_assert_cmpint(run_to_exception(f), ==, EX_NM);
    /* FISTTP is SSE3: #UD on a Pentium II, but #NM first like any x87 opcode. */
    f->cpu->regs[R_EDX] = MEMOP;
    flat32(f, fisttp, sizeof(fisttp), 0);
    g_assert_cmpint(run_to_exception(f), ==, EX_UD);
    flat32(f, fisttp, sizeof(fisttp), CR0_TS);
    g_assert_cmpint(run_to_exception(f), ==, EX_NM);
    f->cpu->regs[R_EDI] = IMG_IN;
    flat32(f, fxsave, sizeof(fxsave), CR0_EM);
    g_assert_cmpint(run_to_exception(f), ==, EX_NM);
    /* An undefined x87 opcode (DA E0) too. */
    static const uint8_t undefined[] = {0xda, 0xe0, 0xf4};
    flat32(f, undefined, sizeof(undefined), 0);
    g_assert_cmpint(run_to_exception(f), ==, EX_UD);
    flat32(f, undefined, sizeof(undefined), CR0_TS);
    g_assert_cmpint(run_to_exception(f), ==, EX_NM);
}

/*
 * fninit; fldcw [esi] (divide-by-zero unmasked); fldz; fld1;
 * fdiv st0, st1 (at +9); fnstsw ax; fadd st0, st0 (at +13); hlt
 */
static const uint8_t divide_by_zero[] = {0xdb, 0xe3, 0xd9, 0x2e, 0xd9, 0xee, 0xd9, 0xe8,
                                         0xd8, 0xf1, 0xdf, 0xe0, 0xd8, 0xc0, 0xf4};

static void test_error_native(struct cpu_fixture *f, gconstpointer data)
{
    struct fpu *x = fpu_state(f);
    uint16_t cw = 0x037b;
    memcpy(f->m.ram + IMG_IN, &cw, 2);
    flat32(f, divide_by_zero, sizeof(divide_by_zero), CR0_NE);
    f->cpu->regs[R_ESI] = IMG_IN;
    g_assert_cmpint(run_to_exception(f), ==, EX_MF);
    g_assert_cmphex(f->cpu->eip, ==, CODE + 12);
    /* FNSTSW ran (no wait): ES, B and ZE; the destination kept 1.0. */
    g_assert_cmphex(f->cpu->regs[R_EAX] & 0xffff, ==, 0x8000 | 0x3000 | 0x80 | SF_ZE);
    g_assert_cmphex(fpu_get(x, 0).se, ==, 0x3fff);
    /* The pointers name the FDIV: CS:EIP of its first byte and opcode 0F1H. */
    g_assert_cmphex(x->fip, ==, CODE + 8);
    g_assert_cmphex(x->fcs, ==, 0x08);
    g_assert_cmphex(x->fop, ==, 0x0f1);
    /* FNCLEX (no wait) clears it; FADD then runs. */
    static const uint8_t clear[] = {0xdb, 0xe2, 0xd8, 0xc0, 0x9b, 0xf4};
    memmap_write_buf(&f->m.mem, CODE + 0x100, clear, sizeof(clear));
    f->cpu->eip = CODE + 0x100;
    f->cpu->halted = false;
    run_to_hlt(f);
    g_assert_cmphex(fpu_get(x, 0).se, ==, 0x4000);
    g_assert_cmphex(fpu_status(x) & 0x80ff, ==, 0);
    /* FWAIT reports a pending exception too. */
    x->sw |= SF_ZE;
    static const uint8_t wait[] = {0x9b, 0xf4};
    memmap_write_buf(&f->m.mem, CODE + 0x200, wait, sizeof(wait));
    f->cpu->eip = CODE + 0x200;
    f->cpu->halted = false;
    g_assert_cmpint(run_to_exception(f), ==, EX_MF);
    g_assert_cmphex(f->cpu->eip, ==, CODE + 0x200);
}

struct ferr_log {
    int level;
    unsigned calls;
};

static void ferr_cb(void *opaque, int level)
{
    struct ferr_log *log = opaque;
    log->level = level;
    log->calls++;
}

static void test_error_ferr(struct cpu_fixture *f, gconstpointer data)
{
    struct fpu *x = fpu_state(f);
    struct ferr_log log = {0, 0};
    uint16_t cw = 0x037b;
    memcpy(f->m.ram + IMG_IN, &cw, 2);
    f->cpu->ferr = ferr_cb;
    f->cpu->ferr_opaque = &log;
    flat32(f, divide_by_zero, sizeof(divide_by_zero), 0);
    f->cpu->regs[R_ESI] = IMG_IN;
    /* FERR# rises when FDIV completes; the CPU freezes before FADD, awaiting IRQ 13. */
    g_assert_cmpint(cpu_fixture_run(f, 1000), ==, CPU_EXIT_HLT);
    g_assert_cmpint(log.level, ==, 1);
    g_assert_cmpuint(log.calls, ==, 1);
    g_assert_true(f->cpu->halted);
    g_assert_cmphex(f->cpu->eip, ==, CODE + 12);
    g_assert_cmphex(fpu_get(x, 0).se, ==, 0x3fff);
    /* Still frozen without an interrupt. */
    g_assert_cmpint(cpu_fixture_run(f, 1000), ==, CPU_EXIT_HLT);
    g_assert_cmphex(f->cpu->eip, ==, CODE + 12);
    /* IGNNE# (after a write to port F0h): the error is ignored and FADD runs. */
    f->cpu->ignne = true;
    f->cpu->halted = false;
    run_to_hlt(f);
    g_assert_cmphex(f->cpu->eip, ==, CODE + 15);
    g_assert_cmphex(fpu_get(x, 0).se, ==, 0x4000);
    g_assert_cmpuint(log.calls, ==, 1);
    /* FNCLEX drops FERR#. */
    static const uint8_t clear[] = {0xdb, 0xe2, 0xf4};
    memmap_write_buf(&f->m.mem, CODE + 0x100, clear, sizeof(clear));
    f->cpu->eip = CODE + 0x100;
    f->cpu->halted = false;
    f->cpu->ignne = false;
    run_to_hlt(f);
    g_assert_cmpint(log.level, ==, 0);
    g_assert_cmpuint(log.calls, ==, 2);
}

static void test_stack_faults(struct cpu_fixture *f, gconstpointer data)
{
    struct fpu *x = fpu_state(f);
    /* fninit; fld1 x 9; hlt: the ninth push overflows. */
    uint8_t code[2 + 18 + 1] = {0xdb, 0xe3};
    for (int i = 0; i < 9; i++) {
        code[2 + 2 * i] = 0xd9;
        code[3 + 2 * i] = 0xe8;
    }
    code[20] = 0xf4;
    flat32(f, code, sizeof(code), 0);
    run_to_hlt(f);
    /* Masked: IE, SF, C1 = 1, and the real indefinite pushed. */
    g_assert_cmphex(fpu_status(x), ==, (7 << 11) | SF_C1 | FPU_SW_SF | SF_IE);
    g_assert_true(fpu_get(x, 0).se == 0xffff && fpu_get(x, 0).sig == 0xc000000000000000ull);
    /* Unmasked: nothing pushed, ES set. */
    uint16_t cw = 0x037e;
    memcpy(f->m.ram + IMG_IN, &cw, 2);
    static const uint8_t unmasked[] = {0xdb, 0xe3, 0xd9, 0x2e, 0xd9, 0xee, 0xd9, 0xee,
                                       0xd9, 0xee, 0xd9, 0xee, 0xd9, 0xee, 0xd9, 0xee,
                                       0xd9, 0xee, 0xd9, 0xee, 0xd9, 0xe8, 0xf4};
    flat32(f, unmasked, sizeof(unmasked), 0);
    f->cpu->regs[R_ESI] = IMG_IN;
    run_to_hlt(f);
    g_assert_cmphex(fpu_status(x), ==, 0x8000 | SF_C1 | 0x80 | FPU_SW_SF | SF_IE);
    g_assert_cmphex(fpu_get(x, 0).se, ==, 0);
    /* Underflow: fninit; fadd st0, st1 on an empty stack. */
    static const uint8_t under[] = {0xdb, 0xe3, 0xd8, 0xc1, 0xf4};
    flat32(f, under, sizeof(under), 0);
    run_to_hlt(f);
    g_assert_cmphex(fpu_status(x), ==, FPU_SW_SF | SF_IE);
    g_assert_true(fpu_get(x, 0).se == 0xffff && !fpu_is_empty(x, 0));
}

/*
 * What Intel documents where AMD's x87 (which may be the reference of the
 * differential test) behaves otherwise: an unmasked exception stops a
 * compare before it sets condition codes or pops (SDM Vol. 2 FCOM, FCOMI,
 * FTST), and an unmasked denormal single is not loaded (Vol. 1 §8.5.2).
 */
static void test_intel_documented(struct cpu_fixture *f, gconstpointer data)
{
    struct fpu *x = fpu_state(f);
    /*
     * fninit; fldcw [esi]; fld1; fcomp dword [edx] (a QNaN); fnstsw [edi];
     * fnclex; fld dword [edx+4] (a denormal); fnstsw [edi+2]; fnclex;
     * fld tbyte [edx+8] (an SNaN); fucomip st0, st1; hlt
     */
    static const uint8_t code[] = {0xdb, 0xe3, 0xd9, 0x2e, 0xd9, 0xe8, 0xd8, 0x1a, 0xdd,
                                   0x3f, 0xdb, 0xe2, 0xd9, 0x42, 0x04, 0xdd, 0x7f, 0x02,
                                   0xdb, 0xe2, 0xdb, 0x6a, 0x08, 0xdf, 0xe9, 0xf4};
    uint16_t cw = 0x0370; /* invalid, denormal, divide and overflow unmasked */
    uint32_t qnan = 0x7fc00000u, denormal = 0x00000123u;
    uint8_t snan[10] = {1, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x7f};
    memcpy(f->m.ram + IMG_IN, &cw, 2);
    memcpy(f->m.ram + MEMOP, &qnan, 4);
    memcpy(f->m.ram + MEMOP + 4, &denormal, 4);
    memcpy(f->m.ram + MEMOP + 8, snan, 10);
    flat32(f, code, sizeof(code), CR0_NE);
    f->cpu->regs[R_ESI] = IMG_IN;
    f->cpu->regs[R_EDI] = IMG_OUT;
    f->cpu->regs[R_EDX] = MEMOP;
    /* FCOMP: IE pending, no condition codes, no pop (TOP 7). */
    f->cpu->eflags |= FL_CF | FL_OF;
    run_to_hlt(f);
    g_assert_cmphex(rd16(f, IMG_OUT), ==, 0x8000 | 0x3800 | 0x80 | SF_IE);
    /* FLD of the denormal single: DE pending, TOP still 7. */
    g_assert_cmphex(rd16(f, IMG_OUT + 2), ==, 0x8000 | 0x3800 | 0x80 | SF_DE);
    /* FUCOMIP with an SNaN in ST(1): CF kept, OF cleared, no pop. */
    g_assert_cmpuint(x->top, ==, 6);
    g_assert_true(cpu_get_eflags(f->cpu) & FL_CF);
    g_assert_false(cpu_get_eflags(f->cpu) & FL_OF);
    g_assert_cmphex(fpu_status(x) & 0x47ff, ==, 0x80 | SF_IE);
}

/* --- by hand: the environment layouts ---------------------------------- */

/* The 32-bit protected-mode environment after fninit; fld dword [edx] at CODE + 2. */
static void test_env_protected(struct cpu_fixture *f, gconstpointer data)
{
    struct fpu *x = fpu_state(f);
    /* fninit; fld dword [edx]; fnstenv [edi]; o16 fnstenv [edi+0x40]; fldenv [esi]; hlt */
    static const uint8_t code[] = {0xdb, 0xe3, 0xd9, 0x02, 0xd9, 0x37, 0x66,
                                   0xd9, 0x77, 0x40, 0xd9, 0x26, 0xf4};
    uint32_t one = 0x3f800000u;
    memcpy(f->m.ram + MEMOP, &one, 4);
    /* The environment FLDENV loads: CW 0272H, SW with ZE and TOP 5, R5 and R6 in use. */
    static const uint8_t env[28] = {0x72, 0x02, 0xff, 0xff, 0x04, 0x28, 0xff, 0xff, 0xff, 0xc3,
                                    0xff, 0xff, 0x78, 0x56, 0x34, 0x12, 0x1b, 0x00, 0xab, 0x05,
                                    0x44, 0x33, 0x22, 0x11, 0x23, 0x00, 0xff, 0xff};
    memcpy(f->m.ram + IMG_IN, env, sizeof(env));
    flat32(f, code, sizeof(code), 0);
    f->cpu->regs[R_EDX] = MEMOP;
    f->cpu->regs[R_EDI] = IMG_OUT;
    f->cpu->regs[R_ESI] = IMG_IN;
    run_to_hlt(f);
    const uint32_t out = IMG_OUT;
    g_assert_cmphex(rd32(f, out), ==, 0xffff037f);
    g_assert_cmphex(rd32(f, out + 4), ==, 0xffff3800);
    g_assert_cmphex(rd32(f, out + 8), ==, 0xffff3fff); /* R7 valid, the rest empty */
    g_assert_cmphex(rd32(f, out + 12), ==, CODE + 2);
    g_assert_cmphex(rd32(f, out + 16), ==, 0x01020008); /* FOP 102H, CS 08H */
    g_assert_cmphex(rd32(f, out + 20), ==, MEMOP);
    g_assert_cmphex(rd32(f, out + 24), ==, 0xffff0010);
    /* The 16-bit layout: 14 bytes, no opcode. */
    g_assert_cmphex(rd16(f, out + 0x40), ==, 0x037f);
    g_assert_cmphex(rd16(f, out + 0x42), ==, 0x3800);
    g_assert_cmphex(rd16(f, out + 0x44), ==, 0x3fff);
    g_assert_cmphex(rd16(f, out + 0x46), ==, (CODE + 2) & 0xffff);
    g_assert_cmphex(rd16(f, out + 0x48), ==, 0x08);
    g_assert_cmphex(rd16(f, out + 0x4a), ==, MEMOP & 0xffff);
    g_assert_cmphex(rd16(f, out + 0x4c), ==, 0x10);
    /* FLDENV took everything back (FSTENV had masked all exceptions). */
    g_assert_cmphex(x->cw, ==, 0x0272);
    g_assert_cmphex(fpu_status(x), ==, 0x2804 | 0x8080); /* ZE unmasked: ES and B */
    g_assert_cmphex(x->empty, ==, 0x9f);
    g_assert_cmphex(x->fip, ==, 0x12345678);
    g_assert_cmphex(x->fcs, ==, 0x1b);
    g_assert_cmphex(x->fop, ==, 0x5ab);
    g_assert_cmphex(x->fdp, ==, 0x11223344);
    g_assert_cmphex(x->fds, ==, 0x23);
}

/* Real mode: the pointers are 20-bit linear addresses beside the opcode. */
static void test_env_real(struct cpu_fixture *f, gconstpointer data)
{
    struct cpu *cpu = f->cpu;
    struct fpu *x = fpu_state(f);
    /* fninit; fld dword [bx]; fnstenv [di]; o32 fnstenv [di+0x40]; o32 fldenv [si]; hlt */
    static const uint8_t code[] = {0xdb, 0xe3, 0xd9, 0x07, 0xd9, 0x35, 0x66,
                                   0xd9, 0x75, 0x40, 0x66, 0xd9, 0x24, 0xf4};
    memcpy(f->m.ram + 0x7c00, code, sizeof(code));
    uint32_t one = 0x3f800000u;
    memcpy(f->m.ram + 0x30200, &one, 4);
    /* FLDENV: IP 12345H, DP 0ABCDEH, opcode 1D9H. */
    static const uint8_t env[28] = {0x7f, 0x03, 0xff, 0xff, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
                                    0xff, 0xff, 0x45, 0x23, 0xff, 0xff, 0xd9, 0x11, 0x00, 0x00,
                                    0xde, 0xbc, 0xff, 0xff, 0x00, 0xa0, 0x00, 0x00};
    memcpy(f->m.ram + 0x30080, env, sizeof(env));
    cpu_set_segment_real(cpu, S_CS, 0);
    cpu_set_segment_real(cpu, S_DS, 0x3000);
    cpu->eip = 0x7c00;
    cpu->regs[R_EBX] = 0x200;
    cpu->regs[R_EDI] = 0;
    cpu->regs[R_ESI] = 0x80;
    run_to_hlt(f);
    const uint32_t out = 0x30000;
    /* 16-bit layout (SDM Vol. 1 Figure 8-11). */
    g_assert_cmphex(rd16(f, out + 6), ==, 0x7c02);
    g_assert_cmphex(rd16(f, out + 8), ==, 0x0107); /* IP 19..16 = 0, opcode 107H */
    g_assert_cmphex(rd16(f, out + 10), ==, 0x0200);
    g_assert_cmphex(rd16(f, out + 12), ==, 0x3000); /* DP 19..16 = 3 */
    /* 32-bit layout (Figure 8-10). */
    g_assert_cmphex(rd32(f, out + 0x40 + 12), ==, 0xffff7c02);
    g_assert_cmphex(rd32(f, out + 0x40 + 16), ==, 0x00000107);
    g_assert_cmphex(rd32(f, out + 0x40 + 20), ==, 0xffff0200);
    g_assert_cmphex(rd32(f, out + 0x40 + 24), ==, 0x00003000);
    g_assert_cmphex(x->fip, ==, 0x12345);
    g_assert_cmphex(x->fdp, ==, 0xabcde);
    g_assert_cmphex(x->fop, ==, 0x1d9);
    g_assert_cmphex(x->empty, ==, 0xff);
}

static void test_fsave_frstor(struct cpu_fixture *f, gconstpointer data)
{
    struct fpu *x = fpu_state(f);
    /* fninit; fld1; fldpi; fnsave [edi]; hlt ... frstor [edi]; o16 fnsave [esi]; hlt */
    static const uint8_t code[] = {0xdb, 0xe3, 0xd9, 0xe8, 0xd9, 0xeb, 0xdd, 0x37,
                                   0xf4, 0xdd, 0x27, 0x66, 0xdd, 0x36, 0xf4};
    flat32(f, code, sizeof(code), 0);
    f->cpu->regs[R_EDI] = IMG_OUT;
    f->cpu->regs[R_ESI] = IMG_IN;
    run_to_hlt(f);
    const uint8_t *img = f->m.ram + IMG_OUT;
    g_assert_cmphex(img_get16(img, 4), ==, 0x3000);
    g_assert_cmphex(img_get16(img, 8), ==, 0x0fff);
    g_assert_cmphex(img_reg(img, 0).sig, ==, 0xc90fdaa22168c235ull);
    g_assert_cmphex(img_reg(img, 1).sig, ==, 1ull << 63);
    /* FNSAVE leaves the FPU initialized. */
    g_assert_cmphex(x->cw, ==, 0x037f);
    g_assert_cmphex(x->empty, ==, 0xff);
    f->cpu->halted = false;
    run_to_hlt(f);
    /* FRSTOR brought it back; the 16-bit image has the registers at 14. */
    const uint8_t *img16 = f->m.ram + IMG_IN;
    g_assert_cmphex(img_get16(img16, 2), ==, 0x3000);
    g_assert_cmphex(img_get16(img16, 4), ==, 0x0fff);
    struct f80 st0;
    memcpy(&st0.sig, img16 + 14, 8);
    g_assert_cmphex(st0.sig, ==, 0xc90fdaa22168c235ull);
}

static void test_fxsave(struct cpu_fixture *f, gconstpointer data)
{
    struct fpu *x = fpu_state(f);
    /* fninit; fld1; fldpi (at +4); fxsave [edi]; fninit; fxrstor [edi]; hlt */
    static const uint8_t code[] = {0xdb, 0xe3, 0xd9, 0xe8, 0xd9, 0xeb, 0x0f, 0xae,
                                   0x07, 0xdb, 0xe3, 0x0f, 0xae, 0x0f, 0xf4};
    memset(f->m.ram + IMG_IN, 0xaa, 512);
    flat32(f, code, sizeof(code), 0);
    f->cpu->regs[R_EDI] = IMG_IN;
    run_to_hlt(f);
    const uint8_t *a = f->m.ram + IMG_IN;
    g_assert_cmphex(img_get16(a, 0), ==, 0x037f);
    g_assert_cmphex(img_get16(a, 2), ==, 0x3000);
    g_assert_cmphex(a[4], ==, 0xc0); /* abridged tags: R6 and R7 */
    g_assert_cmphex(a[5], ==, 0);
    g_assert_cmphex(img_get16(a, 6), ==, 0x1eb);
    g_assert_cmphex(rd32(f, IMG_IN + 8), ==, CODE + 4);
    g_assert_cmphex(img_get16(a, 12), ==, 0x08);
    g_assert_cmphex(rd32(f, IMG_IN + 24), ==, 0xaaaaaaaau); /* no MXCSR on a Pentium II */
    struct f80 st0;
    memcpy(&st0.sig, a + 32, 8);
    g_assert_cmphex(st0.sig, ==, 0xc90fdaa22168c235ull);
    g_assert_cmphex(img_get16(a, 40), ==, 0x4000);
    g_assert_cmphex(rd32(f, IMG_IN + 42), ==, 0);
    g_assert_cmphex(img_get16(a, 56), ==, 0x3fff);
    g_assert_cmphex(a[160], ==, 0xaa);
    /* FXRSTOR restored it. */
    g_assert_cmphex(x->empty, ==, 0x3f);
    g_assert_cmpuint(x->top, ==, 6);
    g_assert_cmphex(fpu_get(x, 0).sig, ==, 0xc90fdaa22168c235ull);
    g_assert_cmphex(x->fop, ==, 0x1eb);
    /* A misaligned area is #GP(0). */
    f->cpu->regs[R_EDI] = IMG_IN + 8;
    f->cpu->eip = CODE + 6;
    f->cpu->halted = false;
    g_assert_cmpint(run_to_exception(f), ==, EX_GP);
    g_assert_cmphex(f->cpu->exception_error, ==, 0);
}

/* A store that faults halfway writes nothing and leaves the FPU as it was. */
static void test_store_fault(struct cpu_fixture *f, gconstpointer data)
{
    struct fpu *x = fpu_state(f);
    /* fninit; fldpi; fstp tbyte [edx]; hlt  -- then fnsave [edx] */
    static const uint8_t code[] = {0xdb, 0xe3, 0xd9, 0xeb, 0xdb, 0x3a, 0xf4, 0xdd, 0x32, 0xf4};
    flat32(f, code, sizeof(code), 0);
    cpu_fixture_paging_with_hole(f, 0x41000);
    memset(f->m.ram + 0x40ff8, 0x5a, 8);
    f->cpu->regs[R_EDX] = 0x40ffa;
    g_assert_cmpint(run_to_exception(f), ==, EX_PF);
    g_assert_cmphex(f->cpu->cr[2], ==, 0x41000);
    g_assert_cmphex(f->cpu->eip, ==, CODE + 4);
    for (int i = 0; i < 6; i++)
        g_assert_cmphex(f->m.ram[0x40ffa + i], ==, 0x5a);
    g_assert_cmpuint(x->top, ==, 7);
    g_assert_false(fpu_is_empty(x, 0));
    /* FNSAVE across the hole: nothing written, the FPU not reinitialized. */
    f->cpu->eip = CODE + 7;
    f->cpu->halted = false;
    f->cpu->regs[R_EDX] = 0x40ff0;
    g_assert_cmpint(run_to_exception(f), ==, EX_PF);
    g_assert_cmphex(f->m.ram[0x40ffa], ==, 0x5a);
    g_assert_cmpuint(x->top, ==, 7);
}

static void test_decode(struct cpu_fixture *f, gconstpointer data)
{
    struct insn in;
    flat32(f, "", 0, 0);
    static const uint8_t fadd[] = {0xd8, 0xc1}, faddst1[] = {0xdc, 0xc1};
    static const uint8_t fstp64[] = {0xdd, 0x1a}, fnstsw[] = {0xdf, 0xe0};
    static const uint8_t fisttp[] = {0xdb, 0x0a}, fxsave[] = {0x0f, 0xae, 0x07};
    g_assert_cmpint(cpu_decode(f->cpu, fadd, 2, &in), ==, 0);
    g_assert_true(in.fn == h_farith);
    g_assert_cmpuint(in.o[0].kind, ==, OP_ST);
    g_assert_cmpuint(in.o[0].reg, ==, 0);
    g_assert_cmpuint(in.o[1].kind, ==, OP_ST);
    g_assert_cmpuint(in.o[1].reg, ==, 1);
    g_assert_cmphex(in.imm, ==, 0x0c1);
    g_assert_cmpint(cpu_decode(f->cpu, faddst1, 2, &in), ==, 0);
    g_assert_cmpuint(in.o[0].reg, ==, 1);
    g_assert_cmpuint(in.o[1].reg, ==, 0);
    g_assert_cmphex(in.imm, ==, 0x4c1);
    g_assert_cmpint(cpu_decode(f->cpu, fstp64, 2, &in), ==, 0);
    g_assert_true(in.fn == h_fst);
    g_assert_cmpuint(in.sub, ==, 1);
    g_assert_cmpuint(in.o[0].kind, ==, OP_MEM);
    g_assert_cmpuint(in.o[0].size, ==, 8);
    g_assert_true(in.props & P_WRITES_MEM);
    g_assert_cmphex(in.imm, ==, 0x51a);
    g_assert_cmpint(cpu_decode(f->cpu, fnstsw, 2, &in), ==, 0);
    g_assert_true(in.fn == h_fnstsw);
    g_assert_cmpuint(in.o[0].kind, ==, OP_REG);
    g_assert_cmpint(cpu_decode(f->cpu, fisttp, 2, &in), ==, 0);
    g_assert_true(in.fn == h_fpu);
    g_assert_cmpint(cpu_decode(f->cpu, fxsave, 3, &in), ==, 0);
    g_assert_true(in.fn == h_fxsave);
}

int main(int argc, char **argv)
{
    static const struct param modes[] = {{"host", 0}, {"soft", 0}};
    static struct param oracle[2][8];
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/fpu/softfloat/long-double", test_softfloat_long_double);
    g_test_add("/fpu/soft/transcendental-accuracy", struct cpu_fixture, &modes[1], setup,
               test_trans_accuracy, teardown);
    for (unsigned m = 0; m < 2; m++) {
        const struct param *p = &modes[m];
        char path[64];
#define ADD(name, fn)                                                                              \
    do {                                                                                           \
        g_snprintf(path, sizeof(path), "/fpu/%s/%s", p->fpu, name);                                \
        g_test_add(path, struct cpu_fixture, p, setup, fn, teardown);                              \
    } while (0)
        ADD("reset-state", test_reset_state);
        ADD("device-not-available", test_device_not_available);
        ADD("error-native", test_error_native);
        ADD("error-ferr", test_error_ferr);
        ADD("stack-faults", test_stack_faults);
        ADD("intel-documented", test_intel_documented);
        ADD("env-protected", test_env_protected);
        ADD("env-real", test_env_real);
        ADD("fsave-frstor", test_fsave_frstor);
        ADD("fxsave", test_fxsave);
        ADD("store-fault", test_store_fault);
        ADD("decode", test_decode);
#undef ADD
        for (unsigned e = 0; e < 8; e++) {
            oracle[m][e] = (struct param){p->fpu, (uint8_t)(0xd8 + e)};
            g_snprintf(path, sizeof(path), "/fpu/%s/oracle/%02x", p->fpu, 0xd8 + e);
            g_test_add(path, struct cpu_fixture, &oracle[m][e], setup, test_oracle, teardown);
        }
    }
    return g_test_run();
}
