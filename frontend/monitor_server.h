/*
 * --monitor=stdio|tcp:HOST:PORT|unix:PATH: the monitor on its own door.
 * A line is a command; its output follows, then the prompt "(popek) ".
 * On a socket one client at a time (another is told the monitor is busy);
 * on stdio the terminal stays in its usual, line-edited mode.
 */
#ifndef POPEK_FRONTEND_MONITOR_SERVER_H
#define POPEK_FRONTEND_MONITOR_SERVER_H

struct monitor;
struct monitor_server;

/* Open the door `spec` and register its poller on the monitor's pc. NULL with *err. */
struct monitor_server *monitor_server_create(struct monitor *mon, const char *spec, char **err);
void monitor_server_destroy(struct monitor_server *s);

#endif
