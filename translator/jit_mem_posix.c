/*
 * Host code memory on Linux and other POSIX hosts (jit_mem.h): an anonymous
 * mapping that is readable, writable and executable at once, which these
 * hosts allow, so there is nothing to switch.
 */
#include "translator/jit_mem.h"

#include <sys/mman.h>

void *jit_mem_alloc(size_t size)
{
    void *p =
        mmap(NULL, size, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void jit_mem_free(void *mem, size_t size)
{
    if (mem)
        munmap(mem, size);
}

void jit_mem_writable(bool writable)
{
}

void jit_mem_flush(void *p, size_t len)
{
    __builtin___clear_cache((char *)p, (char *)p + len);
}
