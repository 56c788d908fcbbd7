/*
 * sock.h - plain TCP sockets on 127.0.0.1 for integration tests, all
 * non-blocking, so a test polls them between main-loop iterations.
 */
#pragma once

#include <gio/gio.h>

/* A listening socket on 127.0.0.1; its port in *port. */
static inline GSocket *itest_listen_tcp(guint16 *port)
{
	GSocket *s = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, 0, NULL);
	GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	GSocketAddress *a = g_inet_socket_address_new(lo, 0), *got;

	g_assert_true(g_socket_bind(s, a, TRUE, NULL));
	g_assert_true(g_socket_listen(s, NULL));
	g_socket_set_blocking(s, FALSE);
	got = g_socket_get_local_address(s, NULL);
	*port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(got));
	g_object_unref(got);
	g_object_unref(a);
	g_object_unref(lo);
	return s;
}

/* Connect to 127.0.0.1:port (NULL if refused). */
static inline GSocket *itest_dial_tcp(guint16 port)
{
	GSocket *s = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, 0, NULL);
	GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	GSocketAddress *a = g_inet_socket_address_new(lo, port);

	if (!g_socket_connect(s, a, NULL, NULL))
		g_clear_object(&s);
	else
		g_socket_set_blocking(s, FALSE);
	g_object_unref(a);
	g_object_unref(lo);
	return s;
}
