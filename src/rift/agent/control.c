/* control.c - the agent's control socket (contract in control.h). */
#include "rift/agent/control.h"

#include <errno.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <libsoup/soup.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"

#define CONTROL_TIMEOUT_S 5

struct rg_agent_control {
	char *path;
	SoupServer *soup;
	GSocketService *service;
	rg_agent_control_fn fn;
	void *data;
};

static void handler(SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
		    gpointer p)
{
	struct rg_agent_control *c = p;
	char *body;

	if (strcmp(soup_server_message_get_method(msg), "GET") != 0) {
		soup_server_message_set_status(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
		return;
	}
	body = c->fn(c->data, path);
	if (body == NULL) {
		soup_server_message_set_status(msg, SOUP_STATUS_NOT_FOUND, NULL);
		return;
	}
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_TAKE, body,
					 strlen(body));
}

/* A connection: handed to libsoup (we accept: libsoup 3.2's listener leaks sockets). */
static gboolean on_incoming(GSocketService *service, GSocketConnection *conn, GObject *source,
			    gpointer data)
{
	struct rg_agent_control *c = data;
	GSocketAddress *local = g_socket_connection_get_local_address(conn, NULL);
	GSocketAddress *remote = g_socket_connection_get_remote_address(conn, NULL);
	GError *e = NULL;

	if (!soup_server_accept_iostream(c->soup, G_IO_STREAM(conn), local, remote, &e)) {
		core_log_warn("control", c->path, "cannot accept a connection: %s", e->message);
		g_error_free(e);
	}
	g_clear_object(&local);
	g_clear_object(&remote);
	return TRUE;
}

/* A socket file left by a dead agent is replaced; a live agent's is not. */
static int clear_stale(const char *path, GError **error)
{
	GSocketAddress *sa;
	GSocketClient *client;
	GSocketConnection *conn;

	if (!g_file_test(path, G_FILE_TEST_EXISTS))
		return CORE_OK;
	sa = g_unix_socket_address_new(path);
	client = g_socket_client_new();
	conn = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(sa), NULL, NULL);
	g_object_unref(sa);
	g_object_unref(client);
	if (conn != NULL) {
		g_object_unref(conn);
		core_err_to_gerror(error, CORE_ERR_SYSTEM, "another agent is running on %s", path);
		return CORE_ERR_SYSTEM;
	}
	if (g_unlink(path) != 0 && errno != ENOENT) {
		core_err_to_gerror(error, CORE_ERR_SYSTEM, "cannot remove the stale %s: %s", path,
				   g_strerror(errno));
		return CORE_ERR_SYSTEM;
	}
	return CORE_OK;
}

/* 0660, root's and the riftgate group's when there is one. */
static void set_owner(const char *path)
{
	struct group *g = getgrnam(RG_CONTROL_GROUP);

	if (g != NULL && chown(path, 0, g->gr_gid) != 0)
		core_log_warn("control", path, "cannot give it to group %s: %s", RG_CONTROL_GROUP,
			      g_strerror(errno));
	if (chmod(path, 0660) != 0)
		core_log_warn("control", path, "chmod: %s", g_strerror(errno));
}

static int listen_on(struct rg_agent_control *c, GError **error)
{
	char *dir = g_path_get_dirname(c->path);
	GSocketAddress *sa = NULL;
	GSocket *sock = NULL;
	mode_t old;
	int ret = CORE_ERR_SYSTEM;
	GError *e = NULL;

	if (g_mkdir_with_parents(dir, 0755) != 0) {
		core_err_to_gerror(error, ret, "cannot create %s: %s", dir, g_strerror(errno));
		goto out;
	}
	if ((ret = clear_stale(c->path, error)) != CORE_OK)
		goto out;
	ret = CORE_ERR_SYSTEM;
	sa = g_unix_socket_address_new(c->path);
	sock = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT,
			    &e);
	/* no window in which the socket is anyone's: created 0600, then opened to the group */
	old = umask(0177);
	if (sock == NULL || !g_socket_bind(sock, sa, FALSE, &e) || !g_socket_listen(sock, &e)) {
		umask(old);
		core_err_to_gerror(error, ret, "cannot listen on %s: %s", c->path, e->message);
		goto out;
	}
	umask(old);
	set_owner(c->path);
	c->service = g_socket_service_new();
	g_signal_connect(c->service, "incoming", G_CALLBACK(on_incoming), c);
	if (!g_socket_listener_add_socket(G_SOCKET_LISTENER(c->service), sock, NULL, &e)) {
		core_err_to_gerror(error, ret, "cannot listen on %s: %s", c->path, e->message);
		goto out;
	}
	g_socket_service_start(c->service);
	ret = CORE_OK;
out:
	g_clear_error(&e);
	g_clear_object(&sock);
	g_clear_object(&sa);
	g_free(dir);
	return ret;
}

int rg_agent_control_new(struct rg_agent_control **out, const char *path, rg_agent_control_fn fn,
			 void *data, GError **error)
{
	struct rg_agent_control *c = g_new0(struct rg_agent_control, 1);
	int ret;

	*out = NULL;
	c->path = g_strdup(path);
	c->fn = fn;
	c->data = data;
	c->soup = soup_server_new("server-header", "riftgate", NULL);
	soup_server_add_handler(c->soup, NULL, handler, c, NULL);
	ret = listen_on(c, error);
	if (ret != CORE_OK) {
		rg_agent_control_free(c);
		return ret;
	}
	*out = c;
	return CORE_OK;
}

void rg_agent_control_free(struct rg_agent_control *c)
{
	if (c == NULL)
		return;
	if (c->service != NULL) {
		g_socket_service_stop(c->service);
		g_socket_listener_close(G_SOCKET_LISTENER(c->service));
		g_signal_handlers_disconnect_by_data(c->service, c);
		g_object_unref(c->service);
		g_unlink(c->path);
	}
	if (c->soup != NULL) {
		soup_server_disconnect(c->soup);
		g_object_unref(c->soup);
	}
	g_free(c->path);
	g_free(c);
}

char *rg_agent_control_get(const char *socket, const char *path, GError **error)
{
	GSocketAddress *sa = g_unix_socket_address_new(socket);
	SoupSession *s = soup_session_new_with_options("remote-connectable", sa, "timeout",
						       CONTROL_TIMEOUT_S, NULL);
	char *uri = g_strconcat("http://riftgate", path, NULL);
	SoupMessage *msg = soup_message_new("GET", uri);
	GBytes *body = NULL;
	GError *e = NULL;
	char *out = NULL;
	unsigned status;

	body = soup_session_send_and_read(s, msg, NULL, &e);
	if (body == NULL) {
		int code = g_error_matches(e, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ? CORE_ERR_TIMEOUT
										: CORE_ERR_CLOSED;

		core_err_to_gerror(error, code, "is riftgate up running? cannot connect to %s: %s",
				   socket, e->message);
		goto out;
	}
	status = soup_message_get_status(msg);
	if (status != SOUP_STATUS_OK) {
		core_err_to_gerror(error, CORE_ERR_BAD_VALUE, "the agent answered %s with HTTP %u",
				   path, status);
		goto out;
	}
	out = g_strndup(g_bytes_get_data(body, NULL), g_bytes_get_size(body));
out:
	if (body != NULL)
		g_bytes_unref(body);
	g_clear_error(&e);
	g_object_unref(msg);
	g_free(uri);
	g_object_unref(s);
	g_object_unref(sa);
	return out;
}
