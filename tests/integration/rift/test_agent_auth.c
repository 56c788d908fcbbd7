/*
 * Integration tests for a registered device's agent against a server that
 * plays foul: the real `riftgate up` program, as root, in a network
 * namespace of its own (unshare(CLONE_NEWNET) in a subprocess of this test:
 * the namespace, the agent's TUN and everything in it vanish with it), and
 * a foul server in this process on its loopback: the real signaling server
 * with an authenticator that refuses every token, and a /auth/refresh that
 * hands out new ones.
 *
 *   /agent-auth/three-refusals   the server hands out a fresh access token at
 *       every refresh and refuses every one of them on /connect (401): the
 *       agent refreshes after each refusal, exactly three times in a row
 *       (the reference's cap), then stops with "device revoked or expired,
 *       run riftgate setup" and exit status 0, so that a service manager does
 *       not restart it in a loop. Every rotated refresh token was kept in
 *       the secrets file.
 *
 * Without root it is skipped.
 */
#include <libsoup/soup.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../spawn.h"
#include "core/err.h"
#include "rift/auth/authmsg.h"
#include "rift/sig/server.h"

#define LIMIT_S	      30
#define SUBPROCESS_US (60 * G_USEC_PER_SEC)
#define PRIVATE_KEY   "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define DEVICE_ID     "6f1c2b1e-0000-4000-8000-000000000001"

/* The fake server: what it was asked, what it handed out. */
struct fake {
	struct rg_sig_server *server;
	unsigned refreshes, connects;
	GPtrArray *issued_jwts;	   /* access tokens handed out, in order */
	GPtrArray *presented_jwts; /* bearer tokens /connect saw, in order */
	char *last_refresh;	   /* the last refresh token handed out */
	char *presented_refresh;   /* the last refresh token presented */
};

/* POST /auth/refresh: always a new access token and refresh token. */
static void on_refresh(SoupServer *soup, SoupServerMessage *msg, const char *path,
		       GHashTable *query, gpointer p)
{
	struct fake *f = p;
	SoupMessageBody *b = soup_server_message_get_request_body(msg);
	struct rg_auth_refresh_req req;
	struct rg_auth_session s = { 0 };
	const char *err;
	char *body;

	g_assert_cmpint(rg_auth_refresh_parse(b->data, b->length, &req, &err), ==, CORE_OK);
	g_assert_cmpstr(req.device_id, ==, DEVICE_ID);
	/* single use: the agent always presents the newest one */
	if (f->last_refresh != NULL)
		g_assert_cmpstr(req.refresh_token, ==, f->last_refresh);
	g_free(f->presented_refresh);
	f->presented_refresh = g_strdup(req.refresh_token);
	rg_auth_refresh_req_clear(&req);
	f->refreshes++;
	s.access_token = g_strdup_printf("fake-jwt-%u", f->refreshes);
	s.refresh_token = g_strdup_printf("rgr_%064u", f->refreshes);
	s.expires_in = 3600;
	g_ptr_array_add(f->issued_jwts, g_strdup(s.access_token));
	g_free(f->last_refresh);
	f->last_refresh = g_strdup(s.refresh_token);
	body = rg_auth_session_encode(&s, false);
	rg_auth_session_clear(&s);
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_TAKE, body,
					 strlen(body));
}

/* GET /connect: every token refused, as a server that no longer knows the device. */
static int fake_bearer(void *data, const char *token, const char *source,
		       struct rg_sig_identity *id)
{
	struct fake *f = data;

	f->connects++;
	g_ptr_array_add(f->presented_jwts, g_strdup(token));
	return CORE_ERR_AUTH;
}

static void fake_attach(void *data, SoupServer *soup)
{
	soup_server_add_handler(soup, "/auth/refresh", on_refresh, data, NULL);
}

static const char *fake_start(struct fake *f)
{
	struct rg_sig_auth auth = { .bearer = fake_bearer, .attach = fake_attach, .data = f };
	struct rg_sig_server_config cfg = { .listen = "127.0.0.1", .auth = &auth };
	GError *e = NULL;

	memset(f, 0, sizeof(*f));
	f->issued_jwts = g_ptr_array_new_with_free_func(g_free);
	f->presented_jwts = g_ptr_array_new_with_free_func(g_free);
	f->server = rg_sig_server_new(&cfg, &e);
	g_assert_no_error(e);
	return rg_sig_server_url(f->server);
}

static void fake_stop(struct fake *f)
{
	rg_sig_server_free(f->server);
	g_ptr_array_free(f->issued_jwts, TRUE);
	g_ptr_array_free(f->presented_jwts, TRUE);
	g_free(f->last_refresh);
	g_free(f->presented_refresh);
}

/* ------------------------------------------------------------ the agent */

struct agent_run {
	GSubprocess *proc;
	bool done;
};

static void agent_exited(GObject *src, GAsyncResult *res, gpointer p)
{
	struct agent_run *r = p;

	g_assert_true(g_subprocess_wait_finish(G_SUBPROCESS(src), res, NULL));
	r->done = true;
}

/* The agent's configuration and secrets in dir, for a server at url. */
static char *write_config(const char *dir, const char *url)
{
	char *conf = g_build_filename(dir, "riftgate.conf", NULL);
	char *secrets = g_build_filename(dir, "secrets.conf", NULL);
	char *text = g_strdup_printf("[device]\nname = alpha\naddress = 10.77.0.1/24\n"
				     "interface = rgauth0\n[server]\nurl = %s\ndevice-id = %s\n"
				     "[agent]\ncontrol = %s/rg.sock\nsecrets = %s\n",
				     url, DEVICE_ID, dir, secrets);
	char *sec = g_strdup_printf("[device]\nprivate-key = %s\nrefresh-token = rgr_%064d\n",
				    PRIVATE_KEY, 0);

	g_assert_true(g_file_set_contents(conf, text, -1, NULL));
	g_assert_true(g_file_set_contents_full(secrets, sec, -1, G_FILE_SET_CONTENTS_CONSISTENT,
					       0600, NULL));
	g_free(text);
	g_free(sec);
	g_free(secrets);
	return conf;
}

static gboolean on_limit(gpointer p)
{
	g_error("the agent did not stop within %d s", LIMIT_S);
	return G_SOURCE_REMOVE;
}

static void three_refusals_body(void)
{
	char *dir = g_dir_make_tmp("rg-agent-auth-XXXXXX", NULL);
	char *exe = g_build_filename(g_getenv("G_TEST_BUILDDIR"), "src", "rift", "riftgate", NULL);
	char *conf, *err = NULL, *secrets = NULL, *rm;
	const char *url;
	struct agent_run r = { 0 };
	struct fake f;
	GError *e = NULL;
	guint guard;

	g_assert_cmpint(system("ip link set lo up"), ==, 0);
	url = fake_start(&f);
	conf = write_config(dir, url);
	{
		const char *argv[] = { exe, "up", "-c", conf, NULL };

		r.proc = itest_spawn(G_SUBPROCESS_FLAGS_STDERR_PIPE |
					     G_SUBPROCESS_FLAGS_STDOUT_SILENCE,
				     &e, argv);
	}
	g_assert_no_error(e);
	g_subprocess_wait_async(r.proc, NULL, agent_exited, &r);
	guard = g_timeout_add_seconds(LIMIT_S, on_limit, NULL);
	while (!r.done)
		g_main_context_iteration(NULL, TRUE);
	g_source_remove(guard);
	/* stopped for good, with status 0 and the reason */
	g_assert_true(g_subprocess_get_if_exited(r.proc));
	g_assert_cmpint(g_subprocess_get_exit_status(r.proc), ==, 0);
	{
		GInputStream *in = g_subprocess_get_stderr_pipe(r.proc);
		char buf[65536];
		gsize n = 0;

		g_assert_true(g_input_stream_read_all(in, buf, sizeof(buf) - 1, &n, NULL, NULL));
		buf[n] = '\0';
		err = g_strdup(buf);
	}
	if (strstr(err, "riftgate: device revoked or expired, run riftgate setup (the server "
			"refused fresh access tokens)\n") == NULL)
		g_error("no such reason in the agent's output:\n%s", err);
	/* the first refresh at start, then one after each of three refusals; the fourth
	 * refusal stops it: four connections, each with the newest token */
	g_assert_cmpuint(f.refreshes, ==, 4);
	g_assert_cmpuint(f.connects, ==, 4);
	for (guint i = 0; i < 4; i++)
		g_assert_cmpstr(f.presented_jwts->pdata[i], ==, f.issued_jwts->pdata[i]);
	/* every rotation was kept: the secrets file holds the last token handed out */
	{
		char *path = g_build_filename(dir, "secrets.conf", NULL);

		g_assert_true(g_file_get_contents(path, &secrets, NULL, NULL));
		g_assert_nonnull(strstr(secrets, f.last_refresh));
		g_free(path);
	}
	g_test_message("%u refreshes, %u refused connections, then exit 0", f.refreshes,
		       f.connects);
	g_object_unref(r.proc);
	fake_stop(&f);
	rm = g_strdup_printf("rm -rf '%s'", dir);
	g_assert_cmpint(system(rm), ==, 0);
	g_free(rm);
	g_free(secrets);
	g_free(err);
	g_free(conf);
	g_free(exe);
	g_free(dir);
}

/* As root: the body in a subprocess, in a network namespace of its own. */
static void test_three_refusals(void)
{
	if (g_test_subprocess()) {
		g_assert_cmpint(unshare(CLONE_NEWNET), ==, 0);
		three_refusals_body();
		return;
	}
	if (geteuid() != 0) {
		g_test_skip("needs root (network namespace, TUN device)");
		return;
	}
	g_test_trap_subprocess(NULL, SUBPROCESS_US, G_TEST_SUBPROCESS_INHERIT_STDERR);
	g_test_trap_assert_passed();
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/agent-auth/three-refusals", test_three_refusals);
	return g_test_run();
}
