/*
 * Listening TCP sockets for tcp:HOST:PORT options (see listen.h), with
 * GIO's socket API.
 */
#include "frontend/listen.h"

#include <stdio.h>
#include <string.h>

/* HOST of tcp:HOST:PORT as an address: empty means loopback; names are resolved. */
static GInetAddress *listen_address(const char *opt, const char *host, char **err)
{
    if (!*host || !strcmp(host, "localhost"))
        return g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    GInetAddress *a = g_inet_address_new_from_string(host);
    if (a)
        return a;
    GError *error = NULL;
    GResolver *resolver = g_resolver_get_default();
    GList *list = g_resolver_lookup_by_name(resolver, host, NULL, &error);
    g_object_unref(resolver);
    if (!list) {
        *err = g_strdup_printf("--%s: cannot resolve '%s': %s", opt, host, error->message);
        g_error_free(error);
        return NULL;
    }
    a = g_object_ref(list->data);
    g_resolver_free_addresses(list);
    return a;
}

/* A socket bound to addr:port and listening, or NULL with *err. */
static GSocket *bind_and_listen(const char *opt, const char *spec, GInetAddress *addr,
                                unsigned port, char **err)
{
    GError *error = NULL;
    GSocketAddress *sa = g_inet_socket_address_new(addr, (guint16)port);
    GSocket *sock = g_socket_new(g_inet_address_get_family(addr), G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, &error);
    if (sock && (!g_socket_bind(sock, sa, TRUE, &error) || !g_socket_listen(sock, &error)))
        g_clear_object(&sock);
    if (!sock) {
        *err = g_strdup_printf("--%s: cannot listen on %s: %s", opt, spec + 4, error->message);
        g_error_free(error);
    }
    g_object_unref(sa);
    return sock;
}

/* Port 0 took an ephemeral port: say which. */
static void print_port(GSocket *sock, const char *who)
{
    GSocketAddress *local = g_socket_get_local_address(sock, NULL);
    if (!local)
        return;
    char *a =
        g_inet_address_to_string(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(local)));
    fprintf(stderr, "popek: %s listening on %s:%u\n", who, a,
            g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local)));
    g_free(a);
    g_object_unref(local);
}

GSocket *tcp_listen(const char *opt, const char *spec, const char *who, const char *risk,
                    char **err)
{
    const char *colon = g_str_has_prefix(spec, "tcp:") ? strrchr(spec + 4, ':') : NULL;
    if (!colon) {
        *err = g_strdup_printf("--%s: '%s' is not tcp:HOST:PORT", opt, spec);
        return NULL;
    }
    char *host = g_strndup(spec + 4, (gsize)(colon - (spec + 4)));
    size_t hlen = strlen(host);
    if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') { /* [IPv6] */
        memmove(host, host + 1, hlen - 2);
        host[hlen - 2] = 0;
    }
    unsigned port = (unsigned)g_ascii_strtoull(colon + 1, NULL, 10); /* options.c checked it */
    GInetAddress *addr = listen_address(opt, host, err);
    GSocket *sock = addr ? bind_and_listen(opt, spec, addr, port, err) : NULL;
    if (sock && !g_inet_address_get_is_loopback(addr))
        fprintf(stderr,
                "popek: warning: %s listens on %s, which is not a loopback address: whoever "
                "can reach it %s\n",
                who, spec + 4, risk);
    if (sock && port == 0)
        print_port(sock, who);
    if (sock)
        g_socket_set_blocking(sock, FALSE);
    if (addr)
        g_object_unref(addr);
    g_free(host);
    return sock;
}
