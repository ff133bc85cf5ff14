/*
 * Listening sockets for the gdb stub and the monitor: address parsing
 * (tcp:HOST:PORT, unix:PATH), binding, the warning for an address that is
 * not loopback, and the port an ephemeral listener got.
 */
#include "frontend/listen.h"

#include <gio/gunixsocketaddress.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* Bind and listen; NULL with *err. */
static GSocket *bind_listen(const char *opt, const char *spec, GSocketAddress *sa, char **err)
{
    GError *error = NULL;
    GSocket *sock = g_socket_new(g_socket_address_get_family(sa), G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_DEFAULT, &error);
    if (sock && (!g_socket_bind(sock, sa, TRUE, &error) || !g_socket_listen(sock, &error)))
        g_clear_object(&sock);
    if (!sock) {
        *err = g_strdup_printf("--%s: cannot listen on %s: %s", opt, spec, error->message);
        g_error_free(error);
        return NULL;
    }
    g_socket_set_blocking(sock, FALSE);
    return sock;
}

/* Say which port an ephemeral listener got. */
static void print_port(GSocket *sock, const char *what)
{
    GSocketAddress *local = g_socket_get_local_address(sock, NULL);
    char *a =
        g_inet_address_to_string(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(local)));
    fprintf(stderr, "popek: %s listening on %s:%u\n", what, a,
            g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local)));
    g_free(a);
    g_object_unref(local);
}

static GSocket *listen_tcp(const char *opt, const char *what, const char *spec, char **err)
{
    const char *colon = strrchr(spec + 4, ':'); /* options.c checked the form */
    if (!colon) {
        *err = g_strdup_printf("--%s: '%s' is not tcp:HOST:PORT", opt, spec);
        return NULL;
    }
    char *host = g_strndup(spec + 4, (gsize)(colon - (spec + 4)));
    if (host[0] == '[' && host[strlen(host) - 1] == ']') { /* [IPv6] */
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = 0;
    }
    unsigned port = (unsigned)g_ascii_strtoull(colon + 1, NULL, 10);
    GInetAddress *addr = listen_address(opt, host, err);
    g_free(host);
    if (!addr)
        return NULL;
    GSocketAddress *sa = g_inet_socket_address_new(addr, (guint16)port);
    GSocket *sock = bind_listen(opt, spec + 4, sa, err);
    if (sock && !g_inet_address_get_is_loopback(addr))
        fprintf(stderr,
                "popek: warning: the %s listens on %s, which is not a loopback "
                "address: whoever can reach it controls the guest\n",
                what, spec + 4);
    if (sock && port == 0)
        print_port(sock, what);
    g_object_unref(sa);
    g_object_unref(addr);
    return sock;
}

GSocket *listen_socket(const char *opt, const char *what, const char *spec, bool allow_unix,
                       char **err)
{
    if (g_str_has_prefix(spec, "tcp:"))
        return listen_tcp(opt, what, spec, err);
    if (allow_unix && g_str_has_prefix(spec, "unix:") && spec[5]) {
        struct stat st;
        if (stat(spec + 5, &st) == 0 && S_ISSOCK(st.st_mode))
            unlink(spec + 5); /* a socket left by an earlier run */
        GSocketAddress *sa = g_unix_socket_address_new(spec + 5);
        GSocket *sock = bind_listen(opt, spec + 5, sa, err);
        g_object_unref(sa);
        return sock;
    }
    *err = g_strdup_printf("--%s: '%s' is not tcp:HOST:PORT%s", opt, spec,
                           allow_unix ? " or unix:PATH" : "");
    return NULL;
}

void listen_close(GSocket *sock)
{
    if (!sock)
        return;
    GSocketAddress *local = g_socket_get_local_address(sock, NULL);
    if (local && G_IS_UNIX_SOCKET_ADDRESS(local))
        unlink(g_unix_socket_address_get_path(G_UNIX_SOCKET_ADDRESS(local)));
    if (local)
        g_object_unref(local);
    g_socket_close(sock, NULL);
    g_object_unref(sock);
}
