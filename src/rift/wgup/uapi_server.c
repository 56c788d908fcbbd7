/*
 * uapi_server.c - the UAPI socket (contract in uapi_server.h). Requests are
 * a few bytes from root's own tools: each accepted connection is read with
 * a 1 s timeout and answered at once.
 */
#include "rift/wgup/uapi_server.h"

#include <errno.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/ct.h"
#include "core/err.h"
#include "core/log.h"
#include "rift/wg/uapi.h"

#define REQUEST_MAX 4096

struct rg_wg_uapi_server {
	char *path;
	GSocket *sock;
	GSource *source;
	const struct rg_wg_device *dev;
	const struct rg_wg_bind *bind;
	uint16_t port;
};

/* Read until a blank line ends the request (or 4 KiB, or 1 s). */
static char *read_request(GSocket *c)
{
	GString *req = g_string_new(NULL);
	char buf[512];
	gssize n;

	g_socket_set_timeout(c, 1);
	while (req->len < REQUEST_MAX && !g_str_has_suffix(req->str, "\n\n")) {
		n = g_socket_receive(c, buf, sizeof(buf), NULL, NULL);
		if (n <= 0)
			break;
		g_string_append_len(req, buf, n);
	}
	return g_string_free(req, FALSE);
}

static void answer(struct rg_wg_uapi_server *s, GSocket *c)
{
	char *req = read_request(c), *reply;

	if (g_str_has_prefix(req, "get=1\n"))
		reply = rg_wg_uapi_get(s->dev, s->bind, s->port);
	else if (g_str_has_prefix(req, "set=1\n"))
		reply = g_strdup(
			"errno=-95\n\n"); /* negative, as wireguard-go: wg(8) reads -errno */
	else
		reply = g_strdup("errno=-22\n\n");
	g_socket_send_with_blocking(c, reply, strlen(reply), TRUE, NULL, NULL);
	core_wipe(reply, strlen(reply)); /* it holds the private key */
	g_free(reply);
	g_free(req);
}

static gboolean on_accept(GSocket *sock, GIOCondition cond, gpointer data)
{
	struct rg_wg_uapi_server *s = data;
	GSocket *c = g_socket_accept(sock, NULL, NULL);

	if (c != NULL) {
		g_socket_set_blocking(c, TRUE);
		answer(s, c);
		g_socket_close(c, NULL);
		g_object_unref(c);
	}
	return G_SOURCE_CONTINUE;
}

static char *socket_path(const char *ifname)
{
	return g_strdup_printf("%s/%s.sock", RG_WG_UAPI_DIR, ifname);
}

int rg_wg_uapi_server_new(struct rg_wg_uapi_server **out, const char *ifname,
			  const struct rg_wg_device *dev, const struct rg_wg_bind *bind,
			  uint16_t listen_port, GError **error)
{
	struct rg_wg_uapi_server *s = g_new0(struct rg_wg_uapi_server, 1);
	GSocketAddress *addr = NULL;
	GError *e = NULL;
	int ret = CORE_ERR_SYSTEM;

	*out = NULL;
	s->dev = dev;
	s->bind = bind;
	s->port = listen_port;
	s->path = socket_path(ifname);
	if (g_mkdir_with_parents(RG_WG_UAPI_DIR, 0755) != 0) {
		core_err_to_gerror(error, ret, "cannot create %s: %s", RG_WG_UAPI_DIR,
				   g_strerror(errno));
		goto out;
	}
	g_unlink(s->path); /* a stale socket of a process that died */
	s->sock = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, 0, &e);
	addr = g_unix_socket_address_new(s->path);
	if (s->sock == NULL || !g_socket_bind(s->sock, addr, FALSE, &e) ||
	    chmod(s->path, 0600) != 0 || !g_socket_listen(s->sock, &e)) {
		core_err_to_gerror(error, ret, "cannot serve %s: %s", s->path,
				   e != NULL ? e->message : g_strerror(errno));
		goto out;
	}
	s->source = g_socket_create_source(s->sock, G_IO_IN, NULL);
	g_source_set_callback(s->source, G_SOURCE_FUNC(on_accept), s, NULL);
	g_source_attach(s->source, g_main_context_get_thread_default());
	ret = CORE_OK;
	*out = s;
out:
	g_clear_error(&e);
	if (addr != NULL)
		g_object_unref(addr);
	if (ret != CORE_OK)
		rg_wg_uapi_server_free(s);
	return ret;
}

void rg_wg_uapi_server_free(struct rg_wg_uapi_server *s)
{
	if (s == NULL)
		return;
	if (s->source != NULL) {
		g_source_destroy(s->source);
		g_source_unref(s->source);
	}
	if (s->sock != NULL) {
		g_socket_close(s->sock, NULL);
		g_object_unref(s->sock);
		g_unlink(s->path);
	}
	g_free(s->path);
	g_free(s);
}

char *rg_wg_uapi_query(const char *ifname, GError **error)
{
	static const char req[] = "get=1\n\n";
	char *path = socket_path(ifname), buf[4096];
	GSocketAddress *addr = g_unix_socket_address_new(path);
	GSocket *sock = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, 0, error);
	GString *reply = g_string_new(NULL);
	GError *e = NULL;
	gssize n;
	bool ok = false;

	if (sock == NULL)
		goto out;
	g_socket_set_timeout(sock, 2);
	if (!g_socket_connect(sock, addr, NULL, &e) ||
	    g_socket_send(sock, req, sizeof(req) - 1, NULL, &e) < 0) {
		core_err_to_gerror(error, CORE_ERR_SYSTEM, "no interface %s (%s): %s", ifname, path,
				   e->message);
		goto out;
	}
	while ((n = g_socket_receive(sock, buf, sizeof(buf), NULL, &e)) > 0) {
		g_string_append_len(reply, buf, n);
		if (g_str_has_suffix(reply->str, "\n\n"))
			break;
	}
	ok = n >= 0;
	if (!ok)
		core_err_to_gerror(error, CORE_ERR_SYSTEM, "%s: %s", path, e->message);
out:
	g_clear_error(&e);
	if (sock != NULL)
		g_object_unref(sock);
	g_object_unref(addr);
	g_free(path);
	if (!ok) {
		g_string_free(reply, TRUE);
		return NULL;
	}
	return g_string_free(reply, FALSE);
}
