/*
 * Host code memory (translator/jit_mem.h) on this host: a buffer is had,
 * code written into it runs, code written over it again runs anew, and it
 * is given back. The code is a function returning a constant, in the
 * host's own instruction set (x86-64 or arm64; other hosts skip).
 */
#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "translator/jit_mem.h"

typedef int (*const_fn)(void);

/* Write a function returning `value` (0..255) at `p`; its length, 0 on an unknown host. */
static size_t write_const_fn(uint8_t *p, uint8_t value)
{
#if defined(__x86_64__)
    const uint8_t code[] = {0xb8, value, 0, 0, 0, 0xc3}; /* mov eax, value; ret */
    memcpy(p, code, sizeof(code));
    return sizeof(code);
#elif defined(__aarch64__)
    const uint32_t code[] = {0x52800000u | (uint32_t)value << 5, /* mov w0, #value */
                             0xd65f03c0u};                       /* ret */
    memcpy(p, code, sizeof(code));
    return sizeof(code);
#else
    (void)p;
    (void)value;
    return 0;
#endif
}

static int run_const_fn(uint8_t *buf, uint8_t value)
{
    jit_mem_writable(true);
    size_t len = write_const_fn(buf, value);
    jit_mem_writable(false);
    jit_mem_flush(buf, len);
    const_fn fn;
    void *entry = buf;
    memcpy(&fn, &entry, sizeof(fn)); /* an object pointer becomes a function pointer */
    return fn();
}

static void test_write_run_rewrite(void)
{
    uint8_t probe[16];
    if (write_const_fn(probe, 0) == 0) {
        g_test_skip("no test code for this host's instruction set");
        return;
    }
    size_t size = 64u << 10;
    uint8_t *buf = jit_mem_alloc(size);
    g_assert_nonnull(buf);
    g_assert_cmpint(run_const_fn(buf, 42), ==, 42);
    /* The same bytes written over: the new code runs, not a stale copy. */
    g_assert_cmpint(run_const_fn(buf, 7), ==, 7);
    /* At the end of the buffer too. */
    g_assert_cmpint(run_const_fn(buf + size - 64, 99), ==, 99);
    jit_mem_free(buf, size);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/jit-mem/write-run-rewrite", test_write_run_rewrite);
    return g_test_run();
}
