/*
 * Listening sockets for the doors a person or a debugger connects to (the
 * gdb stub, the monitor): tcp:HOST:PORT (empty HOST: loopback; port 0: a
 * free one, printed) or unix:PATH, non-blocking, for polling from the run
 * loop.
 */
#ifndef POPEK_FRONTEND_LISTEN_H
#define POPEK_FRONTEND_LISTEN_H

#include <gio/gio.h>
#include <stdbool.h>

/*
 * Listen on `spec`. `opt` is the option's name for messages ("gdb"), `what` names the listener
 * ("gdb stub"); `allow_unix` accepts unix:PATH. NULL with *err a one-line message.
 */
GSocket *listen_socket(const char *opt, const char *what, const char *spec, bool allow_unix,
                       char **err);

/* Close a listener; a unix: one's socket file is removed. */
void listen_close(GSocket *sock);

#endif
