/*
 * The gdb stub: a GDB Remote Serial Protocol server on a TCP socket, so
 * that gdb can stop, inspect, step and change the guest (`--gdb`). It is
 * polled from the run loop (a pc poller), never from a thread of its own.
 */
#ifndef POPEK_FRONTEND_GDBSTUB_H
#define POPEK_FRONTEND_GDBSTUB_H

#include <stdbool.h>

struct gdbstub;
struct pc;

/*
 * Listen on `spec` ("tcp:HOST:PORT"; empty HOST: 127.0.0.1; PORT 0: any
 * free port, printed on standard error) for one gdb at a time. With `wait`
 * the guest is held before its first instruction until gdb continues it.
 * Returns NULL with *err a one-line message.
 */
struct gdbstub *gdbstub_create(struct pc *pc, const char *spec, bool wait, char **err);

/*
 * Close the stub once pc_run has returned; a connected gdb is told the
 * guest exited with `exit_status`.
 */
void gdbstub_destroy(struct gdbstub *s, int exit_status);

#endif
