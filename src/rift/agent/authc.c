/* authc.c - /auth requests over libsoup (contract in authc.h). */
#include "rift/agent/authc.h"

#include <libsoup/soup.h>
#include <string.h>

#include "core/ct.h"
#include "core/err.h"
#include "core/tls.h"
#include "core/tlspin.h"

struct rg_authc {
	char *url;
	SoupSession *session;
	SoupMessage *msg;
	GCancellable *cancel;
	rg_authc_done_fn done;
	void *data;
};

static SoupSession *session_new(const char *pin)
{
	SoupSession *s = soup_session_new_with_options("timeout", RG_AUTHC_TIMEOUT_S, NULL);
	uint8_t fp[CORE_TLS_FP_LEN];

	if (pin != NULL && core_tls_fingerprint_parse(pin, fp) == CORE_OK) {
		GTlsDatabase *db = core_tls_pin_database_new(fp);

		soup_session_set_tls_database(s, db);
		g_object_unref(db);
	}
	return s;
}

/* METHOD url+path with the bearer and body; NULL for a URL libsoup refuses. */
static SoupMessage *message_new(const char *url, const char *method, const char *path,
				const char *bearer, const char *body)
{
	char *u = g_strconcat(url, path, NULL);
	SoupMessage *m = soup_message_new(method, u);

	g_free(u);
	if (m == NULL)
		return NULL;
	if (bearer != NULL) {
		char *a = g_strconcat("Bearer ", bearer, NULL);

		soup_message_headers_replace(soup_message_get_request_headers(m), "Authorization",
					     a);
		core_wipe(a, strlen(a));
		g_free(a);
	}
	if (body != NULL) {
		GBytes *b = g_bytes_new(body, strlen(body));

		soup_message_set_request_body_from_bytes(m, "application/json", b);
		g_bytes_unref(b);
	}
	return m;
}

struct rg_authc *rg_authc_new(const char *url, const char *pin)
{
	struct rg_authc *c;

	if (!g_str_has_prefix(url, "https://") && !g_str_has_prefix(url, "http://"))
		return NULL;
	c = g_new0(struct rg_authc, 1);
	c->url = g_strdup(url);
	c->session = session_new(pin);
	return c;
}

void rg_authc_cancel(struct rg_authc *c)
{
	if (c->cancel != NULL)
		g_cancellable_cancel(c->cancel);
	g_clear_object(&c->cancel);
	g_clear_object(&c->msg);
}

void rg_authc_free(struct rg_authc *c)
{
	if (c == NULL)
		return;
	rg_authc_cancel(c);
	g_clear_object(&c->session);
	g_free(c->url);
	g_free(c);
}

static void request_done(GObject *src, GAsyncResult *res, gpointer p)
{
	struct rg_authc *c = p;
	GError *e = NULL;
	GBytes *b = soup_session_send_and_read_finish(SOUP_SESSION(src), res, &e);
	unsigned status = 0;

	if (g_error_matches(e, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
		g_error_free(e);
		return; /* cancelled or freed: c may be gone */
	}
	if (b != NULL)
		status = soup_message_get_status(c->msg);
	g_clear_object(&c->msg);
	g_clear_object(&c->cancel);
	c->done(c->data, status, b != NULL ? g_bytes_get_data(b, NULL) : "",
		b != NULL ? g_bytes_get_size(b) : 0, e != NULL ? e->message : NULL);
	if (b != NULL) {
		/* tokens: wipe what we read */
		core_wipe((void *)g_bytes_get_data(b, NULL), g_bytes_get_size(b));
		g_bytes_unref(b);
	}
	g_clear_error(&e);
}

void rg_authc_request(struct rg_authc *c, const char *method, const char *path, const char *bearer,
		      const char *body, rg_authc_done_fn done, void *data)
{
	rg_authc_cancel(c);
	c->done = done;
	c->data = data;
	c->msg = message_new(c->url, method, path, bearer, body);
	if (c->msg == NULL) {
		done(data, 0, "", 0, "not a usable URL");
		return;
	}
	c->cancel = g_cancellable_new();
	soup_session_send_and_read_async(c->session, c->msg, G_PRIORITY_DEFAULT, c->cancel,
					 request_done, c);
}

unsigned rg_authc_call(const char *url, const char *pin, const char *method, const char *path,
		       const char *bearer, const char *body, char **resp, GError **error)
{
	SoupSession *s = session_new(pin);
	SoupMessage *m = message_new(url, method, path, bearer, body);
	GError *e = NULL;
	GBytes *b = NULL;
	unsigned status = 0;

	*resp = NULL;
	if (m == NULL) {
		g_set_error(error, CORE_ERROR, CORE_ERR_CONFIG, "not a usable server URL: %s", url);
		goto out;
	}
	b = soup_session_send_and_read(s, m, NULL, &e);
	if (b == NULL) {
		g_set_error(error, CORE_ERROR, CORE_ERR_CLOSED, "cannot reach %s: %s", url,
			    e->message);
		goto out;
	}
	status = soup_message_get_status(m);
	*resp = g_strndup(g_bytes_get_data(b, NULL), g_bytes_get_size(b));
	core_wipe((void *)g_bytes_get_data(b, NULL), g_bytes_get_size(b));
out:
	if (b != NULL)
		g_bytes_unref(b);
	g_clear_error(&e);
	g_clear_object(&m);
	g_object_unref(s);
	return status;
}
