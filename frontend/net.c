/*
 * User-mode networking through libslirp (see net.h). libslirp is a TCP/IP
 * stack that terminates the guest's connections and opens host sockets for
 * them; popek gives it a clock, timers and the file descriptors to poll,
 * and passes Ethernet frames between it and the NIC.
 */
#include "frontend/net.h"

#include <arpa/inet.h>
#include <glib.h>
#include <slirp/libslirp.h>
#include <string.h>

#include "devices/ne2000.h"
#include "pc/pc.h"

#define NET_GUEST_ERRORS_SHOWN 10 /* guest_error lines printed before going quiet */
#define NET_TIMER_RUNS         64 /* timer callbacks per poll at most */

/* A libslirp timer: fires once at expire_ms (host monotonic ms), -1 while disarmed. */
struct net_timer {
    SlirpTimerCb cb;
    void *cb_opaque;
    int64_t expire_ms;
    struct net_timer *next;
};

struct net {
    Slirp *slirp;
    struct net_config cfg;
    GArray *pollfds;          /* GPollFD, rebuilt by every poll */
    struct net_timer *timers; /* every timer libslirp created */
    bool (*can_receive)(void *opaque);
    void (*receive)(void *opaque, const uint8_t *frame, size_t len);
    void (*drop)(void *opaque);
    void *guest;
    uint64_t dropped;
    unsigned guest_errors;
};

/* --- parsing --------------------------------------------------------------- */

static bool parse_port(const char *s, uint16_t *port)
{
    char *end;
    guint64 v = g_ascii_strtoull(s, &end, 10);
    if (end == s || *end || v == 0 || v > 65535)
        return false;
    *port = (uint16_t)v;
    return true;
}

/* ADDR:PORT with ADDR possibly empty (then `def`). */
static bool parse_addr_port(const char *s, const char *def, struct in_addr *addr, uint16_t *port)
{
    const char *colon = strrchr(s, ':');
    if (!colon)
        return false;
    char *host = g_strndup(s, (gsize)(colon - s));
    bool ok = inet_pton(AF_INET, *host ? host : def, addr) == 1 && parse_port(colon + 1, port);
    g_free(host);
    return ok;
}

/* tcp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT (or udp:). */
static bool parse_hostfwd(const char *v, struct net_hostfwd *fwd)
{
    memset(fwd, 0, sizeof(*fwd));
    if (g_str_has_prefix(v, "udp:"))
        fwd->udp = true;
    else if (!g_str_has_prefix(v, "tcp:"))
        return false;
    const char *dash = strchr(v + 4, '-');
    if (!dash)
        return false;
    char *host = g_strndup(v + 4, (gsize)(dash - (v + 4)));
    bool ok = parse_addr_port(host, "127.0.0.1", &fwd->host_addr, &fwd->host_port) &&
              parse_addr_port(dash + 1, "10.0.2.15", &fwd->guest_addr, &fwd->guest_port);
    g_free(host);
    return ok;
}

static int parse_option(const char *opt, struct net_config *cfg, char **err)
{
    if (g_str_has_prefix(opt, "hostfwd=")) {
        if (cfg->nfwd == NET_MAX_HOSTFWD) {
            *err = g_strdup_printf("--net: more than %d hostfwd= forwards", NET_MAX_HOSTFWD);
            return -1;
        }
        if (!parse_hostfwd(opt + 8, &cfg->fwd[cfg->nfwd])) {
            *err = g_strdup_printf("--net: '%s' is not tcp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:"
                                   "GUESTPORT (ports 1-65535)",
                                   opt + 8);
            return -1;
        }
        cfg->nfwd++;
        return 0;
    }
    if (g_str_has_prefix(opt, "restrict=")) {
        const char *v = opt + 9;
        if (!strcmp(v, "on") || !strcmp(v, "yes")) {
            cfg->restrict_net = true;
        } else if (!strcmp(v, "off") || !strcmp(v, "no")) {
            cfg->restrict_net = false;
        } else {
            *err = g_strdup_printf("--net: restrict=%s is not on or off", v);
            return -1;
        }
        return 0;
    }
    *err = g_strdup_printf("--net: unknown option '%s' (hostfwd=, restrict=)", opt);
    return -1;
}

int net_parse(const char *spec, struct net_config *cfg, char **err)
{
    memset(cfg, 0, sizeof(*cfg));
    if (!strcmp(spec, "none"))
        return 0;
    char **parts = g_strsplit(spec, ",", -1);
    int rc = 0;
    if (!parts[0] || strcmp(parts[0], "user")) {
        *err = g_strdup_printf("--net: '%s' is not none or user[,hostfwd=...][,restrict=on]", spec);
        rc = -1;
    }
    cfg->user = true;
    for (unsigned i = 1; rc == 0 && parts[i]; i++)
        rc = parse_option(parts[i], cfg, err);
    g_strfreev(parts);
    return rc;
}

/* --- libslirp callbacks ----------------------------------------------------- */

static ssize_t slirp_send_packet(const void *buf, size_t len, void *opaque)
{
    struct net *net = opaque;
    if (net->receive && net->can_receive(net->guest)) {
        net->receive(net->guest, buf, len);
    } else {
        net->dropped++; /* TCP retransmits; the rest is what a busy wire loses too */
        if (net->drop)
            net->drop(net->guest);
    }
    return (ssize_t)len;
}

static void slirp_guest_error(const char *msg, void *opaque)
{
    struct net *net = opaque;
    if (net->guest_errors++ < NET_GUEST_ERRORS_SHOWN)
        g_printerr("popek: net: guest error: %s\n", msg);
}

static int64_t slirp_clock_get_ns(void *opaque)
{
    return g_get_monotonic_time() * 1000;
}

static void *slirp_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
    struct net *net = opaque;
    struct net_timer *t = g_new0(struct net_timer, 1);
    t->cb = cb;
    t->cb_opaque = cb_opaque;
    t->expire_ms = -1;
    t->next = net->timers;
    net->timers = t;
    return t;
}

static void slirp_timer_free(void *timer, void *opaque)
{
    struct net *net = opaque;
    for (struct net_timer **p = &net->timers; *p; p = &(*p)->next) {
        if (*p == timer) {
            *p = (*p)->next;
            g_free(timer);
            return;
        }
    }
}

static void slirp_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
    struct net_timer *t = timer;
    t->expire_ms = expire_ms;
}

/* Descriptors are handed over at every poll (slirp_pollfds_fill): nothing to keep here. */
static void slirp_register_poll_fd(int fd, void *opaque)
{
}

static void slirp_unregister_poll_fd(int fd, void *opaque)
{
}

static void slirp_notify(void *opaque)
{
}

static const SlirpCb net_callbacks = {
    .send_packet = slirp_send_packet,
    .guest_error = slirp_guest_error,
    .clock_get_ns = slirp_clock_get_ns,
    .timer_new = slirp_timer_new,
    .timer_free = slirp_timer_free,
    .timer_mod = slirp_timer_mod,
    .register_poll_fd = slirp_register_poll_fd,
    .unregister_poll_fd = slirp_unregister_poll_fd,
    .notify = slirp_notify,
};

/* --- polling ---------------------------------------------------------------- */

static int net_add_poll(int fd, int events, void *opaque)
{
    struct net *net = opaque;
    GPollFD p = {.fd = fd};
    if (events & SLIRP_POLL_IN)
        p.events |= G_IO_IN;
    if (events & SLIRP_POLL_OUT)
        p.events |= G_IO_OUT;
    if (events & SLIRP_POLL_PRI)
        p.events |= G_IO_PRI;
    if (events & SLIRP_POLL_ERR)
        p.events |= G_IO_ERR;
    if (events & SLIRP_POLL_HUP)
        p.events |= G_IO_HUP;
    g_array_append_val(net->pollfds, p);
    return (int)net->pollfds->len - 1;
}

static int net_get_revents(int idx, void *opaque)
{
    struct net *net = opaque;
    if (idx < 0 || (guint)idx >= net->pollfds->len)
        return 0;
    unsigned short r = g_array_index(net->pollfds, GPollFD, idx).revents;
    int ev = 0;
    if (r & G_IO_IN)
        ev |= SLIRP_POLL_IN;
    if (r & G_IO_OUT)
        ev |= SLIRP_POLL_OUT;
    if (r & G_IO_PRI)
        ev |= SLIRP_POLL_PRI;
    if (r & G_IO_ERR)
        ev |= SLIRP_POLL_ERR;
    if (r & G_IO_HUP)
        ev |= SLIRP_POLL_HUP;
    return ev;
}

/* Fire due timers; a callback may create, free or re-arm timers, so rescan after each. */
static void net_run_timers(struct net *net)
{
    int64_t now = g_get_monotonic_time() / 1000;
    for (unsigned runs = 0; runs < NET_TIMER_RUNS; runs++) {
        struct net_timer *t = net->timers;
        while (t && (t->expire_ms < 0 || t->expire_ms > now))
            t = t->next;
        if (!t)
            return;
        t->expire_ms = -1;
        t->cb(t->cb_opaque);
    }
}

void net_poll(struct net *net)
{
    uint32_t timeout = UINT32_MAX;
    g_array_set_size(net->pollfds, 0);
    slirp_pollfds_fill(net->slirp, &timeout, net_add_poll, net);
    int n = g_poll((GPollFD *)(void *)net->pollfds->data, net->pollfds->len, 0);
    slirp_pollfds_poll(net->slirp, n < 0, net_get_revents, net);
    net_run_timers(net);
}

/* --- the backend ------------------------------------------------------------- */

static int net_add_forwards(struct net *net, char **err)
{
    for (unsigned i = 0; i < net->cfg.nfwd; i++) {
        const struct net_hostfwd *f = &net->cfg.fwd[i];
        if (slirp_add_hostfwd(net->slirp, f->udp, f->host_addr, f->host_port, f->guest_addr,
                              f->guest_port) < 0) {
            char host[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &f->host_addr, host, sizeof(host));
            *err = g_strdup_printf("--net: cannot listen on %s %s:%u for hostfwd (in use?)",
                                   f->udp ? "udp" : "tcp", host, f->host_port);
            return -1;
        }
    }
    return 0;
}

static struct in_addr ipv4(const char *dotted)
{
    struct in_addr a;
    inet_pton(AF_INET, dotted, &a);
    return a;
}

struct net *net_create(const char *spec, char **err)
{
    struct net *net = g_new0(struct net, 1);
    if (net_parse(spec, &net->cfg, err) < 0) {
        g_free(net);
        return NULL;
    }
    if (!net->cfg.user) {
        *err = g_strdup("--net=none has no backend");
        g_free(net);
        return NULL;
    }
    net->pollfds = g_array_new(FALSE, FALSE, sizeof(GPollFD));
    const SlirpConfig sc = {
        .version = 1,
        .restricted = net->cfg.restrict_net,
        .in_enabled = true,
        .vnetwork = ipv4("10.0.2.0"),
        .vnetmask = ipv4("255.255.255.0"),
        .vhost = ipv4("10.0.2.2"),
        .in6_enabled = false,
        .vhostname = "popek",
        .vdhcp_start = ipv4("10.0.2.15"),
        .vnameserver = ipv4("10.0.2.3"),
    };
    net->slirp = slirp_new(&sc, &net_callbacks, net);
    if (!net->slirp) {
        *err = g_strdup("--net: libslirp could not start");
        net_destroy(net);
        return NULL;
    }
    if (net_add_forwards(net, err) < 0) {
        net_destroy(net);
        return NULL;
    }
    return net;
}

void net_destroy(struct net *net)
{
    if (!net)
        return;
    if (net->slirp)
        slirp_cleanup(net->slirp);
    while (net->timers) {
        struct net_timer *t = net->timers;
        net->timers = t->next;
        g_free(t);
    }
    g_array_free(net->pollfds, TRUE);
    g_free(net);
}

void net_set_guest(struct net *net, bool (*can_receive)(void *opaque),
                   void (*receive)(void *opaque, const uint8_t *frame, size_t len),
                   void (*drop)(void *opaque), void *opaque)
{
    net->can_receive = can_receive;
    net->receive = receive;
    net->drop = drop;
    net->guest = opaque;
}

void net_guest_frame(void *opaque, const uint8_t *frame, size_t len)
{
    struct net *net = opaque;
    slirp_input(net->slirp, frame, (int)len);
}

uint64_t net_dropped(const struct net *net)
{
    return net->dropped;
}

/* --- the board's NIC ----------------------------------------------------------- */

static bool nic_can_receive(void *opaque)
{
    return ne2000_can_receive(opaque);
}

static void nic_receive(void *opaque, const uint8_t *frame, size_t len)
{
    ne2000_receive(opaque, frame, len);
}

static void nic_drop(void *opaque)
{
    ne2000_drop(opaque);
}

static void net_poller(void *opaque, bool paused)
{
    net_poll(opaque);
}

int net_attach(struct net *net, struct pc *pc, char **err)
{
    if (!pc->nic) {
        *err = g_strdup("--net: the board has no network adapter");
        return -1;
    }
    net_set_guest(net, nic_can_receive, nic_receive, nic_drop, pc->nic);
    if (pc_add_poller(pc, net_poller, net) < 0) {
        *err = g_strdup("--net: too many host pollers");
        return -1;
    }
    return 0;
}
