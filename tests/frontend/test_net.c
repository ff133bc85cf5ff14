/*
 * The libslirp backend without a guest CPU: the test plays the NIC. It
 * sends a DHCP DISCOVER and expects an OFFER of 10.0.2.15, connects to a
 * forwarded host port and expects the SYN on the guest side, and checks
 * --net parsing, drops and a forward whose host port is taken.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frontend/net.h"

static const uint8_t guest_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

struct fix {
    struct net *net;
    GPtrArray *frames; /* GByteArray per frame sent to the guest */
    bool refuse;       /* can_receive says no */
    unsigned drops;
};

static bool fix_can_receive(void *opaque)
{
    struct fix *f = opaque;
    return !f->refuse;
}

static void fix_receive(void *opaque, const uint8_t *frame, size_t len)
{
    struct fix *f = opaque;
    GByteArray *b = g_byte_array_new();
    g_byte_array_append(b, frame, (guint)len);
    g_ptr_array_add(f->frames, b);
}

static void fix_drop(void *opaque)
{
    struct fix *f = opaque;
    f->drops++;
}

static void fix_init(struct fix *f, const char *spec)
{
    memset(f, 0, sizeof(*f));
    char *err = NULL;
    f->net = net_create(spec, &err);
    if (!f->net)
        g_error("net_create(%s): %s", spec, err);
    f->frames = g_ptr_array_new_with_free_func((GDestroyNotify)g_byte_array_unref);
    net_set_guest(f->net, fix_can_receive, fix_receive, fix_drop, f);
}

static void fix_fini(struct fix *f)
{
    net_destroy(f->net);
    g_ptr_array_free(f->frames, TRUE);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint16_t ip_checksum(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += get16(p + i);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

#define ETH_HLEN  14
#define IP_HLEN   20
#define UDP_HLEN  8
#define BOOTP_LEN 548 /* fixed part and the 312-byte options field */

/* A DHCP DISCOVER from guest_mac, broadcast, as the guest's NIC would send it. */
static size_t build_discover(uint8_t *buf)
{
    size_t len = ETH_HLEN + IP_HLEN + UDP_HLEN + BOOTP_LEN;
    memset(buf, 0, len);
    memset(buf, 0xff, 6);
    memcpy(buf + 6, guest_mac, 6);
    put16(buf + 12, 0x0800);
    uint8_t *ip = buf + ETH_HLEN;
    ip[0] = 0x45;
    put16(ip + 2, IP_HLEN + UDP_HLEN + BOOTP_LEN);
    ip[8] = 64;
    ip[9] = 17; /* UDP */
    memset(ip + 16, 0xff, 4);
    put16(ip + 10, ip_checksum(ip, IP_HLEN));
    uint8_t *udp = ip + IP_HLEN;
    put16(udp, 68);
    put16(udp + 2, 67);
    put16(udp + 4, UDP_HLEN + BOOTP_LEN);
    uint8_t *bootp = udp + UDP_HLEN;
    bootp[0] = 1; /* BOOTREQUEST */
    bootp[1] = 1; /* Ethernet */
    bootp[2] = 6;
    memcpy(bootp + 4, "\x12\x34\x56\x78", 4); /* xid */
    memcpy(bootp + 28, guest_mac, 6);
    uint8_t *opt = bootp + 236;
    memcpy(opt, "\x63\x82\x53\x63", 4); /* magic cookie */
    opt[4] = 53;                        /* DHCP message type */
    opt[5] = 1;
    opt[6] = 1; /* DISCOVER */
    opt[7] = 255;
    return len;
}

/* The DHCP message type of a frame if it is a DHCP reply to the guest, else 0. */
static int dhcp_reply_type(const GByteArray *b, uint32_t *yiaddr)
{
    const uint8_t *p = b->data;
    if (b->len < ETH_HLEN + IP_HLEN + UDP_HLEN + 240 || get16(p + 12) != 0x0800)
        return 0;
    const uint8_t *ip = p + ETH_HLEN;
    size_t ihl = (ip[0] & 15u) * 4;
    const uint8_t *udp = ip + ihl;
    if (ip[9] != 17 || get16(udp) != 67 || get16(udp + 2) != 68)
        return 0;
    const uint8_t *bootp = udp + UDP_HLEN;
    if (bootp[0] != 2 || memcmp(bootp + 4, "\x12\x34\x56\x78", 4))
        return 0;
    memcpy(yiaddr, bootp + 16, 4);
    const uint8_t *end = b->data + b->len;
    for (const uint8_t *o = bootp + 240; o + 2 <= end && *o != 255;) {
        if (*o == 0) {
            o++;
            continue;
        }
        if (o[0] == 53 && o[1] == 1 && o + 3 <= end)
            return o[2];
        o += 2 + o[1];
    }
    return 0;
}

/* Poll the backend until `done` says so or about two seconds pass. */
static bool poll_until(struct fix *f, bool (*done)(struct fix *f, void *arg), void *arg)
{
    for (unsigned i = 0; i < 2000; i++) {
        net_poll(f->net);
        if (done(f, arg))
            return true;
        g_usleep(1000);
    }
    return false;
}

static bool got_offer(struct fix *f, void *arg)
{
    for (guint i = 0; i < f->frames->len; i++) {
        uint32_t yiaddr;
        if (dhcp_reply_type(f->frames->pdata[i], &yiaddr) == 2) {
            *(uint32_t *)arg = yiaddr;
            return true;
        }
    }
    return false;
}

static void dhcp_discover(struct fix *f)
{
    uint8_t frame[ETH_HLEN + IP_HLEN + UDP_HLEN + BOOTP_LEN];
    size_t len = build_discover(frame);
    net_guest_frame(f->net, frame, len);
}

static void test_dhcp_offer(void)
{
    struct fix f;
    fix_init(&f, "user");
    dhcp_discover(&f);
    uint32_t yiaddr = 0;
    g_assert_true(poll_until(&f, got_offer, &yiaddr));
    char addr[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &yiaddr, addr, sizeof(addr));
    g_assert_cmpstr(addr, ==, "10.0.2.15");
    /* The offer goes to the guest's MAC or to everyone. */
    GByteArray *b = f.frames->pdata[f.frames->len - 1];
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    g_assert_true(!memcmp(b->data, guest_mac, 6) || !memcmp(b->data, bcast, 6));
    g_assert_cmpuint(net_dropped(f.net), ==, 0);
    fix_fini(&f);
}

static void test_drop_when_full(void)
{
    struct fix f;
    fix_init(&f, "user,restrict=on");
    f.refuse = true;
    dhcp_discover(&f);
    for (unsigned i = 0; i < 50 && !net_dropped(f.net); i++) {
        net_poll(f.net);
        g_usleep(1000);
    }
    g_assert_cmpuint(f.frames->len, ==, 0);
    g_assert_cmpuint(net_dropped(f.net), >=, 1);
    g_assert_cmpuint(f.drops, ==, net_dropped(f.net));
    fix_fini(&f);
}

/* A TCP port on 127.0.0.1 that was free a moment ago. */
static uint16_t free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    g_assert_cmpint(s, >=, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    g_assert_cmpint(bind(s, (struct sockaddr *)&a, sizeof(a)), ==, 0);
    socklen_t alen = sizeof(a);
    g_assert_cmpint(getsockname(s, (struct sockaddr *)&a, &alen), ==, 0);
    close(s);
    return ntohs(a.sin_port);
}

struct syn_wait {
    uint16_t guest_port;
    bool arp_answered;
};

/* Answer an ARP request for 10.0.2.15 (if the backend asks) as the guest. */
static void answer_arp(struct fix *f, const GByteArray *b)
{
    const uint8_t *p = b->data;
    static const uint8_t guest_ip[4] = {10, 0, 2, 15};
    if (b->len < 42 || get16(p + 12) != 0x0806 || get16(p + 20) != 1 || memcmp(p + 38, guest_ip, 4))
        return;
    uint8_t reply[60] = {0};
    memcpy(reply, p + 6, 6);
    memcpy(reply + 6, guest_mac, 6);
    put16(reply + 12, 0x0806);
    put16(reply + 14, 1);
    put16(reply + 16, 0x0800);
    reply[18] = 6;
    reply[19] = 4;
    put16(reply + 20, 2);
    memcpy(reply + 22, guest_mac, 6);
    memcpy(reply + 28, guest_ip, 4);
    memcpy(reply + 32, p + 22, 10); /* the asker's MAC and IP */
    net_guest_frame(f->net, reply, sizeof(reply));
}

static bool got_syn(struct fix *f, void *arg)
{
    struct syn_wait *w = arg;
    for (guint i = 0; i < f->frames->len; i++) {
        const GByteArray *b = f->frames->pdata[i];
        const uint8_t *p = b->data;
        if (b->len >= 14 && get16(p + 12) == 0x0806 && !w->arp_answered) {
            answer_arp(f, b);
            w->arp_answered = true;
        }
        if (b->len < ETH_HLEN + IP_HLEN + 20 || get16(p + 12) != 0x0800 || p[ETH_HLEN + 9] != 6)
            continue;
        const uint8_t *ip = p + ETH_HLEN;
        const uint8_t *tcp = ip + (ip[0] & 15u) * 4;
        static const uint8_t guest_ip[4] = {10, 0, 2, 15};
        if (!memcmp(ip + 16, guest_ip, 4) && get16(tcp + 2) == w->guest_port &&
            (tcp[13] & 0x12) == 0x02 && !memcmp(p, guest_mac, 6))
            return true;
    }
    return false;
}

static void test_hostfwd_syn(void)
{
    uint16_t port = free_port();
    char *spec = g_strdup_printf("user,hostfwd=tcp:127.0.0.1:%u-:22", port);
    struct fix f;
    fix_init(&f, spec);
    g_free(spec);
    /* DHCP first, as a guest would: the backend learns the guest's MAC. */
    dhcp_discover(&f);
    uint32_t yiaddr;
    g_assert_true(poll_until(&f, got_offer, &yiaddr));

    int c = socket(AF_INET, SOCK_STREAM, 0);
    g_assert_cmpint(c, >=, 0);
    fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK);
    struct sockaddr_in a = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int rc = connect(c, (struct sockaddr *)&a, sizeof(a));
    g_assert_true(rc == 0 || errno == EINPROGRESS);
    struct syn_wait w = {.guest_port = 22};
    g_assert_true(poll_until(&f, got_syn, &w));
    close(c);
    fix_fini(&f);
}

static void test_hostfwd_port_taken(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    g_assert_cmpint(bind(s, (struct sockaddr *)&a, sizeof(a)), ==, 0);
    g_assert_cmpint(listen(s, 1), ==, 0);
    socklen_t alen = sizeof(a);
    getsockname(s, (struct sockaddr *)&a, &alen);
    char *spec = g_strdup_printf("user,hostfwd=tcp::%u-:80", ntohs(a.sin_port));
    char *err = NULL;
    g_assert_null(net_create(spec, &err));
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err, "cannot listen"));
    g_assert_null(strchr(err, '\n'));
    g_free(err);
    g_free(spec);
    close(s);
}

static void expect_parse_error(const char *spec, const char *fragment)
{
    struct net_config cfg;
    char *err = NULL;
    g_assert_cmpint(net_parse(spec, &cfg, &err), ==, -1);
    if (!strstr(err, fragment))
        g_error("'%s': message '%s' lacks '%s'", spec, err, fragment);
    g_assert_true(g_str_has_prefix(err, "--net: "));
    g_free(err);
}

static void test_parse(void)
{
    struct net_config cfg;
    char *err = NULL;
    g_assert_cmpint(net_parse("none", &cfg, &err), ==, 0);
    g_assert_false(cfg.user);
    g_assert_cmpint(net_parse("user", &cfg, &err), ==, 0);
    g_assert_true(cfg.user);
    g_assert_false(cfg.restrict_net);
    g_assert_cmpuint(cfg.nfwd, ==, 0);
    g_assert_cmpint(
        net_parse("user,hostfwd=tcp::2222-:22,restrict=on,hostfwd=udp:0.0.0.0:5353-10.0.2.16:53",
                  &cfg, &err),
        ==, 0);
    g_assert_true(cfg.restrict_net);
    g_assert_cmpuint(cfg.nfwd, ==, 2);
    g_assert_false(cfg.fwd[0].udp);
    g_assert_cmphex(ntohl(cfg.fwd[0].host_addr.s_addr), ==, 0x7f000001);
    g_assert_cmpuint(cfg.fwd[0].host_port, ==, 2222);
    g_assert_cmphex(ntohl(cfg.fwd[0].guest_addr.s_addr), ==, 0x0a00020f);
    g_assert_cmpuint(cfg.fwd[0].guest_port, ==, 22);
    g_assert_true(cfg.fwd[1].udp);
    g_assert_cmphex(ntohl(cfg.fwd[1].host_addr.s_addr), ==, 0);
    g_assert_cmphex(ntohl(cfg.fwd[1].guest_addr.s_addr), ==, 0x0a000210);

    expect_parse_error("tap", "is not none or user");
    expect_parse_error("", "is not none or user");
    expect_parse_error("user,restrict=maybe", "restrict=maybe is not on or off");
    expect_parse_error("user,mac=1", "unknown option 'mac=1'");
    expect_parse_error("user,hostfwd=sctp::1-:2", "is not tcp:");
    expect_parse_error("user,hostfwd=tcp::99999-:22", "is not tcp:");
    expect_parse_error("user,hostfwd=tcp::0-:22", "is not tcp:");
    expect_parse_error("user,hostfwd=tcp::22", "is not tcp:");
    expect_parse_error("user,hostfwd=tcp:1.2.3:22-:22", "is not tcp:");
    expect_parse_error("user,hostfwd=tcp::2222-:x", "is not tcp:");
    GString *many = g_string_new("user");
    for (unsigned i = 0; i <= NET_MAX_HOSTFWD; i++)
        g_string_append_printf(many, ",hostfwd=tcp::%u-:22", 2000 + i);
    expect_parse_error(many->str, "more than");
    g_string_free(many, TRUE);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/net/parse", test_parse);
    g_test_add_func("/net/dhcp-offer", test_dhcp_offer);
    g_test_add_func("/net/drop-when-full", test_drop_when_full);
    g_test_add_func("/net/hostfwd-syn", test_hostfwd_syn);
    g_test_add_func("/net/hostfwd-port-taken", test_hostfwd_port_taken);
    return g_test_run();
}
