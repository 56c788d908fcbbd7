/*
 * control.h - the agent's control socket: HTTP/1.1 on a UNIX socket
 * (default /run/riftgate/riftgate.sock), served on the main loop without
 * ever blocking it (libsoup), so `riftgate status` and
 * `curl --unix-socket /run/riftgate/riftgate.sock http://riftgate/status`
 * read the agent's state.
 *
 *   GET PATH   200 with the handler's JSON, 404 when it has none for PATH,
 *              405 for another method.
 *
 * Permissions: the socket is 0660, owned by root and the group "riftgate"
 * when that group exists (else root's), in a directory created 0755 if
 * missing: members of the group may read the status, nobody else (the
 * reference's socket was 0666). A stale socket file is replaced; a live
 * one (another agent answering) is refused: CORE_ERR_SYSTEM "another agent
 * is running on ...".
 *
 * The client side (rg_agent_control_get) is for the CLI: it blocks up to
 * 5 s on its own main context.
 *
 * Ownership: rg_agent_control_free stops listening and removes the socket
 * file. Threading: the thread-default main context at creation.
 */
#pragma once

#include <glib.h>

#define RG_CONTROL_GROUP "riftgate"

struct rg_agent_control;

/* The JSON document for a GET of path (g_free), or NULL: 404. */
typedef char *(*rg_agent_control_fn)(void *data, const char *path);

/* CORE_OK, or CORE_ERR_SYSTEM with *error (cannot create the directory or the socket). */
int rg_agent_control_new(struct rg_agent_control **out, const char *path, rg_agent_control_fn fn,
			 void *data, GError **error);
void rg_agent_control_free(struct rg_agent_control *c);

/*
 * GET path from the agent at socket: the body (g_free), or NULL with
 * *error: CORE_ERR_CLOSED "is riftgate up running? cannot connect to
 * SOCKET: REASON", CORE_ERR_TIMEOUT, CORE_ERR_BAD_VALUE (an HTTP error).
 */
char *rg_agent_control_get(const char *socket, const char *path, GError **error);
