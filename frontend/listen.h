/*
 * The listening TCP socket of an option written tcp:HOST:PORT (--gdb,
 * --serial): HOST empty or "localhost" means the loopback address, a name
 * is resolved, [IPv6] is accepted; any other address than a loopback one
 * gets a warning, since whoever reaches the port reaches the guest. Port 0
 * takes a free port and prints it.
 */
#ifndef POPEK_FRONTEND_LISTEN_H
#define POPEK_FRONTEND_LISTEN_H

#include <gio/gio.h>

/*
 * Listen on `spec` ("tcp:HOST:PORT") for option `opt` (without dashes).
 * `who` names the listener in messages ("the gdb stub") and `risk` says
 * what a stranger could do ("controls the guest"). Returns a non-blocking
 * socket, or NULL with *err a one-line message.
 */
GSocket *tcp_listen(const char *opt, const char *spec, const char *who, const char *risk,
                    char **err);

#endif
