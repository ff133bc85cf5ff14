/*
 * Host code memory on macOS (jit_mem.h): a MAP_JIT mapping, the only kind
 * a hardened program may execute from. On Apple silicon each thread sees
 * such memory either writable or executable, switched with
 * pthread_jit_write_protect_np (macOS 11 and later); on Intel Macs that
 * call does nothing and the mapping is writable and executable at once.
 */
#include "translator/jit_mem.h"

#include <pthread.h>
#include <sys/mman.h>

void *jit_mem_alloc(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE | PROT_EXEC,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_JIT, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void jit_mem_free(void *mem, size_t size)
{
    if (mem)
        munmap(mem, size);
}

void jit_mem_writable(bool writable)
{
    if (__builtin_available(macOS 11.0, *))
        pthread_jit_write_protect_np(writable ? 0 : 1);
}

void jit_mem_flush(void *p, size_t len)
{
    __builtin___clear_cache((char *)p, (char *)p + len);
}
