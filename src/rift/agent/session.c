/* session.c - the access token of a registered device (contract in session.h). */
#include "rift/agent/session.h"

#include <string.h>

#include "core/ct.h"
#include "core/err.h"
#include "core/glue.h"
#include "core/log.h"
#include "rift/agent/authc.h"
#include "rift/agent/conf.h"

struct rg_session {
	char *device_id, *refresh_token, *secrets_path, *name;
	struct rg_authc *http;
	struct rg_auth_session cur; /* the last answer; cur.access_token NULL before */
	bool have, busy, revoked;
	int64_t expires; /* wall clock */
	guint timer;
	rg_session_fn fn;
	void *data;
};

static void wipe_free(char *s)
{
	if (s != NULL)
		core_wipe(s, strlen(s));
	g_free(s);
}

static gboolean timer_cb(gpointer p)
{
	struct rg_session *s = p;

	s->timer = 0;
	rg_session_refresh(s);
	return G_SOURCE_REMOVE;
}

static void arm(struct rg_session *s, unsigned secs)
{
	core_source_clear(&s->timer);
	s->timer = g_timeout_add_seconds(secs, timer_cb, s);
}

/* A new session: keep the refresh token (on disk first), then tell the owner. */
static void accepted(struct rg_session *s, struct rg_auth_session *got)
{
	GError *e = NULL;
	int64_t until;

	if (rg_agent_conf_save_refresh(s->secrets_path, got->refresh_token, &e) != CORE_OK) {
		/* the server has rotated: this token is the only good one, and only in memory */
		core_log_error("session", s->name,
			       "cannot keep the new refresh token (%s): it is lost when the agent "
			       "stops",
			       e->message);
		g_clear_error(&e);
	}
	wipe_free(s->refresh_token);
	s->refresh_token = g_strdup(got->refresh_token);
	rg_auth_session_clear(&s->cur);
	s->cur = *got;
	memset(got, 0, sizeof(*got));
	s->have = true;
	s->expires = g_get_real_time() / G_USEC_PER_SEC + s->cur.expires_in;
	until = s->cur.expires_in - RG_SESSION_EARLY_S;
	arm(s, (unsigned)MAX(until, RG_SESSION_RETRY_S));
	core_log_info("session", s->name,
		      "access token for %" G_GINT64_FORMAT " s; next refresh in %" G_GINT64_FORMAT
		      " s",
		      s->cur.expires_in, MAX(until, RG_SESSION_RETRY_S));
	s->fn(s->data, RG_SESSION_READY, NULL);
}

static void refresh_done(void *data, unsigned status, const char *body, size_t len,
			 const char *transport_error)
{
	struct rg_session *s = data;
	struct rg_auth_session got;
	char err[128], *why;

	s->busy = false;
	if (status == 200 &&
	    rg_auth_session_parse(body, len, false, &got, err, sizeof(err)) == CORE_OK) {
		accepted(s, &got);
		return;
	}
	if (status == 401) {
		/* revoked, expired, or its family voided: no refresh will ever work again */
		why = rg_auth_error_parse(body, len);
		s->revoked = true;
		core_source_clear(&s->timer);
		core_log_error("session", s->name, "the server refuses the refresh token: %s",
			       why != NULL ? why : "HTTP 401");
		s->fn(s->data, RG_SESSION_REVOKED, why != NULL ? why : "HTTP 401");
		g_free(why);
		return;
	}
	if (status == 200)
		core_log_warn("session", s->name, "a malformed refresh answer (%s); again in %d s",
			      err, RG_SESSION_RETRY_S);
	else if (status == 0)
		core_log_warn("session", s->name, "cannot refresh (%s); again in %d s",
			      transport_error != NULL ? transport_error : "no answer",
			      RG_SESSION_RETRY_S);
	else
		core_log_warn("session", s->name, "refresh answered HTTP %u; again in %d s", status,
			      RG_SESSION_RETRY_S);
	arm(s, RG_SESSION_RETRY_S);
}

void rg_session_refresh(struct rg_session *s)
{
	char *body;

	if (s->busy || s->revoked)
		return;
	core_source_clear(&s->timer);
	s->busy = true;
	body = rg_auth_refresh_encode(s->device_id, s->refresh_token);
	rg_authc_request(s->http, "POST", "/auth/refresh", NULL, body, refresh_done, s);
	wipe_free(body);
}

struct rg_session *rg_session_new(const struct rg_session_config *cfg, rg_session_fn fn, void *data)
{
	struct rg_session *s = g_new0(struct rg_session, 1);

	s->device_id = g_strdup(cfg->device_id);
	s->refresh_token = g_strdup(cfg->refresh_token);
	s->secrets_path = g_strdup(cfg->secrets_path);
	s->name = g_strdup(cfg->name);
	s->http = rg_authc_new(cfg->url, cfg->pin);
	s->fn = fn;
	s->data = data;
	rg_session_refresh(s);
	return s;
}

void rg_session_free(struct rg_session *s)
{
	if (s == NULL)
		return;
	core_source_clear(&s->timer);
	rg_authc_free(s->http);
	rg_auth_session_clear(&s->cur);
	g_free(s->device_id);
	wipe_free(s->refresh_token);
	g_free(s->secrets_path);
	g_free(s->name);
	g_free(s);
}

const char *rg_session_token(const struct rg_session *s)
{
	return s->have ? s->cur.access_token : NULL;
}

const struct rg_auth_session *rg_session_current(const struct rg_session *s)
{
	return s->have ? &s->cur : NULL;
}

int64_t rg_session_expires(const struct rg_session *s)
{
	return s->expires;
}
