/*
 * Memory for host code, the one place that knows how a host hands it out
 * (meson chooses the file by host: jit_mem_posix.c, jit_mem_macos.c).
 *
 * A buffer is readable, writable and executable. On a host that keeps
 * writing and running apart for each thread (macOS on Apple silicon, with
 * MAP_JIT), a thread sees it either writable or executable:
 * jit_mem_writable(true) before writing code, jit_mem_writable(false)
 * before running it again. Elsewhere that call does nothing.
 */
#ifndef POPEK_TRANSLATOR_JIT_MEM_H
#define POPEK_TRANSLATOR_JIT_MEM_H

#include <stdbool.h>
#include <stddef.h>

/* `size` bytes (a multiple of the page size is best), or NULL when the host refuses. */
void *jit_mem_alloc(size_t size);
void jit_mem_free(void *mem, size_t size);

/* The calling thread's view of every buffer: writable (true) or executable (false). */
void jit_mem_writable(bool writable);

/* After writing code at [p, p + len): the instruction cache sees it (nothing to do on x86). */
void jit_mem_flush(void *p, size_t len);

#endif
