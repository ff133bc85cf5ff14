/*
 * --net: the guest's network. `none` (no adapter) or `user`: user-mode
 * networking through libslirp, a private IPv4 network 10.0.2.0/24 behind
 * NAT with the host at 10.0.2.2 (gateway), DNS at 10.0.2.3 and DHCP
 * handing out 10.0.2.15, plus host ports forwarded into the guest.
 * Everything runs on popek's one thread: the run loop polls the backend
 * between CPU slices (a pc poller) and nothing ever blocks.
 *
 *   --net=user[,hostfwd=tcp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT]...[,restrict=on]
 *
 * HOSTADDR defaults to 127.0.0.1 and GUESTADDR to 10.0.2.15; udp: works
 * like tcp:. restrict=on keeps the guest from reaching anything outside
 * (forwarded ports still work).
 */
#ifndef POPEK_FRONTEND_NET_H
#define POPEK_FRONTEND_NET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pc;
struct net;

#define NET_MAX_HOSTFWD 16

struct net_hostfwd {
    bool udp;
    struct in_addr host_addr;
    uint16_t host_port;
    struct in_addr guest_addr;
    uint16_t guest_port;
};

struct net_config {
    bool user;         /* false: --net=none */
    bool restrict_net; /* restrict=on */
    unsigned nfwd;
    struct net_hostfwd fwd[NET_MAX_HOSTFWD];
};

/* Parse a --net value. 0, or -1 with *err a one-line message naming --net. */
int net_parse(const char *spec, struct net_config *cfg, char **err);

/* Bring up the backend for `spec` (a user spec). NULL with *err when it cannot. */
struct net *net_create(const char *spec, char **err);
void net_destroy(struct net *net);

/*
 * Where frames for the guest go: `receive` when `can_receive` says yes,
 * else `drop` (which may be NULL). Until this is set, frames are dropped.
 */
void net_set_guest(struct net *net, bool (*can_receive)(void *opaque),
                   void (*receive)(void *opaque, const uint8_t *frame, size_t len),
                   void (*drop)(void *opaque), void *opaque);

/* A frame the guest sent. `net` is a struct net (the shape of struct pc_byte_sink). */
void net_guest_frame(void *net, const uint8_t *frame, size_t len);

/* Service host sockets and the backend's timers, without blocking. */
void net_poll(struct net *net);

/* Frames for the guest lost because nothing could take them. */
uint64_t net_dropped(const struct net *net);

/* Connect to the board's NIC (pc->nic) and join its run loop. 0, or -1 with *err. */
int net_attach(struct net *net, struct pc *pc, char **err);

#endif
