/*
 * Integration tests for rift/ice: two libnice agents in this process on
 * 127.0.0.1 trickle candidates to each other and reach a host pair; data
 * crosses both ways byte-exact; the selected socket's buffers are
 * enlarged; through a real coturn (when installed) a
 * relay-only agent connects over TURN UDP and TCP and both sides report
 * the connection as "relay" (the peer's own candidate being a host one);
 * candidate lines libnice cannot use are refused with the documented code.
 * A restart (the first one replaced before it was answered) moves to a new
 * generation while datagrams keep flowing: every one sent arrives. A peer
 * that reaches us before its candidates do is first reported "prflx", and
 * reported again with the real type once its candidate arrives.
 */
#include <gio/gio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../spawn.h"
#include "../loop.h"
#include "core/err.h"
#include "rift/ice/ice-priv.h"
#include "rift/ice/ice.h"

struct end {
	struct rg_ice *ice;
	struct end *peer;
	enum rg_ice_state state;
	char type[8], local_type[8], remote_type[8];
	unsigned reports; /* selected-pair reports */
	GPtrArray *held;  /* our candidates, not given to the peer yet; NULL: give them at once */
	GByteArray *got;
	unsigned candidates;
	unsigned datagrams; /* received */
};

static void on_candidate(void *ctx, const char *line)
{
	struct end *e = ctx;

	e->candidates++;
	g_assert_true(g_str_has_prefix(line, "candidate:"));
	if (e->held != NULL)
		g_ptr_array_add(e->held, g_strdup(line));
	else
		g_assert_cmpint(rg_ice_add_remote_candidate(e->peer->ice, line), ==, CORE_OK);
}

static void on_done(void *ctx)
{
	struct end *e = ctx;

	if (e->held == NULL)
		rg_ice_remote_gathering_done(e->peer->ice);
}

static void on_state(void *ctx, enum rg_ice_state s)
{
	((struct end *)ctx)->state = s;
}

static void on_selected(void *ctx, const struct rg_ice_pair *pair)
{
	struct end *e = ctx;

	e->reports++;
	g_strlcpy(e->type, pair->type, sizeof(e->type));
	g_strlcpy(e->local_type, pair->local, sizeof(e->local_type));
	g_strlcpy(e->remote_type, pair->remote, sizeof(e->remote_type));
}

static void on_data(void *ctx, const uint8_t *buf, size_t len)
{
	struct end *e = ctx;

	e->datagrams++;
	g_byte_array_append(e->got, buf, (guint)len);
}

static const struct rg_ice_callbacks cbs = { on_candidate, on_done, on_state, on_selected,
					     on_data };

static void connect_pair(struct end *a, struct end *b, struct rg_ice_config *ca,
			 struct rg_ice_config *cb)
{
	GError *e = NULL;

	a->peer = b;
	b->peer = a;
	a->got = g_byte_array_new();
	b->got = g_byte_array_new();
	g_assert_cmpint(rg_ice_new(&a->ice, ca, &cbs, a, NULL, &e), ==, CORE_OK);
	g_assert_cmpint(rg_ice_new(&b->ice, cb, &cbs, b, NULL, &e), ==, CORE_OK);
	g_assert_no_error(e);
	g_assert_cmpuint(strlen(rg_ice_ufrag(a->ice)), >=, 4);
	g_assert_cmpuint(strlen(rg_ice_pwd(a->ice)), >=, 22);
	g_assert_cmpint(
		rg_ice_set_remote_credentials(a->ice, rg_ice_ufrag(b->ice), rg_ice_pwd(b->ice)), ==,
		CORE_OK);
	g_assert_cmpint(
		rg_ice_set_remote_credentials(b->ice, rg_ice_ufrag(a->ice), rg_ice_pwd(a->ice)), ==,
		CORE_OK);
	g_assert_cmpint(rg_ice_gather(a->ice), ==, CORE_OK);
	g_assert_cmpint(rg_ice_gather(b->ice), ==, CORE_OK);
	ITEST_RUN_UNTIL(a->state == RG_ICE_CONNECTED && b->state == RG_ICE_CONNECTED &&
				a->local_type[0] != '\0' && b->local_type[0] != '\0',
			10);
}

static void exchange(struct end *a, struct end *b)
{
	static const char ping[] = "ping over ICE", pong[] = "pong";

	g_assert_cmpint(rg_ice_send(a->ice, (const uint8_t *)ping, sizeof(ping)), ==, CORE_OK);
	g_assert_cmpint(rg_ice_send(b->ice, (const uint8_t *)pong, sizeof(pong)), ==, CORE_OK);
	ITEST_RUN_UNTIL(b->got->len == sizeof(ping) && a->got->len == sizeof(pong), 10);
	g_assert_cmpmem(b->got->data, b->got->len, ping, sizeof(ping));
	g_assert_cmpmem(a->got->data, a->got->len, pong, sizeof(pong));
}

static void end_free(struct end *e)
{
	rg_ice_free(e->ice);
	g_byte_array_unref(e->got);
}

static const char *const loopback[] = { "127.0.0.1", NULL };

static void test_host_pair(void)
{
	struct rg_ice_config ca = { .controlling = true, .local_addresses = loopback };
	struct rg_ice_config cb = { .controlling = false, .local_addresses = loopback };
	struct end a = { 0 }, b = { 0 };

	connect_pair(&a, &b, &ca, &cb);
	g_assert_cmpstr(a.local_type, ==, "host");
	g_assert_cmpstr(a.type, ==, "host");
	g_assert_cmpstr(b.remote_type, ==, "host");
	g_assert_cmpuint(a.candidates, >=, 1);
	/* the selected socket's buffers are 2 MiB (as root; the kernel reports twice that) */
	if (geteuid() == 0) {
		g_assert_cmpint(rg_ice_socket_buffer(a.ice, SO_RCVBUF), >=, 4 * 1024 * 1024);
		g_assert_cmpint(rg_ice_socket_buffer(b.ice, SO_SNDBUF), >=, 4 * 1024 * 1024);
	}
	exchange(&a, &b);
	/* lines this agent cannot use */
	g_assert_cmpint(rg_ice_add_remote_candidate(a.ice, "candidate:garbage"), ==,
			CORE_ERR_BAD_FORMAT);
	g_assert_cmpint(
		rg_ice_add_remote_candidate(
			a.ice, "candidate:1 1 TCP 2105524479 127.0.0.1 9 typ host tcptype active"),
		==, CORE_ERR_NOT_FOUND);
	g_assert_cmpint(rg_ice_set_remote_credentials(a.ice, "", "x"), ==, CORE_ERR_BAD_VALUE);
	end_free(&a);
	end_free(&b);
}

/*
 * a's candidates reach b only after the pair works: b learns a from its
 * checks (a peer-reflexive remote candidate), then from the signaled line,
 * and reports the pair again with the real type.
 */
static void test_late_candidate(void)
{
	struct rg_ice_config ca = { .controlling = true, .local_addresses = loopback };
	struct rg_ice_config cb = { .controlling = false, .local_addresses = loopback };
	struct end a = { .held = g_ptr_array_new_with_free_func(g_free) }, b = { 0 };
	unsigned reports;

	connect_pair(&a, &b, &ca, &cb);
	g_assert_cmpuint(a.held->len, >=, 1);
	g_assert_cmpstr(b.local_type, ==, "host");
	g_assert_cmpstr(b.remote_type, ==, "prflx");
	g_assert_cmpstr(b.type, ==, "host");
	reports = b.reports;
	for (guint i = 0; i < a.held->len; i++)
		g_assert_cmpint(rg_ice_add_remote_candidate(b.ice, g_ptr_array_index(a.held, i)),
				==, CORE_OK);
	rg_ice_remote_gathering_done(b.ice);
	ITEST_RUN_UNTIL(strcmp(b.remote_type, "host") == 0, 5);
	g_assert_cmpuint(b.reports, >, reports);
	g_assert_cmpstr(b.type, ==, "host");
	exchange(&a, &b);
	g_ptr_array_unref(a.held);
	end_free(&a);
	end_free(&b);
}

/* Send datagram number n from a to b (its number as text); true (for use in a condition). */
static bool send_numbered(struct end *a, unsigned *n)
{
	char text[16];
	int len = g_snprintf(text, sizeof(text), "%u", *n);

	if (rg_ice_send(a->ice, (const uint8_t *)text, (size_t)len) == CORE_OK)
		(*n)++;
	g_usleep(500);
	return true;
}

static void test_restart(void)
{
	struct rg_ice_config ca = { .controlling = true, .local_addresses = loopback };
	struct rg_ice_config cb = { .controlling = false, .local_addresses = loopback };
	struct end a = { 0 }, b = { 0 };
	char *old_a, *old_b, *first;
	unsigned n = 0;
	GError *e = NULL;

	connect_pair(&a, &b, &ca, &cb);
	old_a = g_strdup(rg_ice_ufrag(a.ice));
	old_b = g_strdup(rg_ice_ufrag(b.ice));
	g_assert_false(rg_ice_restarting(a.ice));
	/* a restart nobody answered, replaced by the next one */
	g_assert_cmpint(rg_ice_restart(a.ice, &e), ==, CORE_OK);
	first = g_strdup(rg_ice_ufrag(a.ice));
	g_assert_cmpint(rg_ice_restart(a.ice, &e), ==, CORE_OK);
	g_assert_no_error(e);
	g_assert_cmpstr(rg_ice_ufrag(a.ice), !=, first);
	g_assert_cmpstr(rg_ice_ufrag(a.ice), !=, old_a);
	g_assert_true(rg_ice_restarting(a.ice));
	g_byte_array_set_size(b.got, 0);
	b.datagrams = 0;
	/* the old pair still carries data */
	ITEST_RUN_UNTIL(send_numbered(&a, &n) && b.got->len > 0, 10);
	g_assert_cmpint(a.state, ==, RG_ICE_CONNECTED);
	g_assert_cmpint(rg_ice_restart(b.ice, &e), ==, CORE_OK);
	g_assert_cmpstr(rg_ice_ufrag(b.ice), !=, old_b);
	g_assert_cmpint(
		rg_ice_set_remote_credentials(a.ice, rg_ice_ufrag(b.ice), rg_ice_pwd(b.ice)), ==,
		CORE_OK);
	g_assert_cmpint(
		rg_ice_set_remote_credentials(b.ice, rg_ice_ufrag(a.ice), rg_ice_pwd(a.ice)), ==,
		CORE_OK);
	g_assert_cmpint(rg_ice_gather(a.ice), ==, CORE_OK);
	g_assert_cmpint(rg_ice_gather(b.ice), ==, CORE_OK);
	ITEST_RUN_UNTIL(send_numbered(&a, &n) && !rg_ice_restarting(a.ice) &&
				!rg_ice_restarting(b.ice),
			10);
	/* past the old generation's retirement, still flowing */
	{
		gint64 until = g_get_monotonic_time() + 2500 * 1000;

		ITEST_RUN_UNTIL(send_numbered(&a, &n) && g_get_monotonic_time() > until, 10);
	}
	ITEST_RUN_UNTIL(b.datagrams == n, 5);
	g_assert_cmpuint(n, >, 100);
	g_byte_array_set_size(a.got, 0);
	g_byte_array_set_size(b.got, 0);
	exchange(&a, &b);
	g_free(old_a);
	g_free(old_b);
	g_free(first);
	end_free(&a);
	end_free(&b);
}

/* A free UDP and TCP port on 127.0.0.1 (racy, as any test port). */
static guint16 free_port(void)
{
	GSocket *s = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, 0, NULL);
	GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	GSocketAddress *a = g_inet_socket_address_new(lo, 0), *got;
	guint16 port;

	g_assert_true(g_socket_bind(s, a, FALSE, NULL));
	got = g_socket_get_local_address(s, NULL);
	port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(got));
	g_object_unref(got);
	g_object_unref(a);
	g_object_unref(lo);
	g_object_unref(s);
	return port;
}

static GSubprocess *start_coturn(guint16 port)
{
	char *ports = g_strdup_printf("--listening-port=%u", port);
	const char *argv[] = { "turnserver",
			       "-n",
			       "--listening-ip=127.0.0.1",
			       "--relay-ip=127.0.0.1",
			       ports,
			       "--lt-cred-mech",
			       "--user=rift:secret",
			       "--realm=rift.test",
			       "--allow-loopback-peers",
			       "--no-tls",
			       "--no-dtls",
			       "--no-cli",
			       "--log-file=stdout",
			       "--simple-log",
			       "--no-stdout-log",
			       NULL };
	GError *e = NULL;
	GSubprocess *p = itest_spawn(
		G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &e, argv);

	g_assert_no_error(e);
	g_usleep(300000); /* coturn binds within milliseconds; give it some */
	g_free(ports);
	return p;
}

static void test_turn(gconstpointer data)
{
	enum rg_ice_relay transport = GPOINTER_TO_INT(data);
	guint16 port;
	GSubprocess *turn;
	struct rg_ice_turn t = { "127.0.0.1", 0, "rift", "secret", transport };
	struct rg_ice_config ca = { .controlling = true,
				    .local_addresses = loopback,
				    .turn = &t,
				    .n_turn = 1,
				    .relay_only = true };
	struct rg_ice_config cb = { .controlling = false, .local_addresses = loopback };
	struct end a = { 0 }, b = { 0 };
	char *path = g_find_program_in_path("turnserver");

	if (path == NULL) {
		g_test_skip("no turnserver (coturn)");
		return;
	}
	g_free(path);
	port = free_port();
	t.port = port;
	turn = start_coturn(port);
	connect_pair(&a, &b, &ca, &cb);
	g_assert_cmpstr(a.local_type, ==, "relay");
	g_assert_cmpstr(a.type, ==, "relay");
	/* b's own candidate is a host one, but its connection goes through a's relay */
	g_assert_cmpstr(b.local_type, ==, "host");
	g_assert_cmpstr(b.remote_type, ==, "relay");
	g_assert_cmpstr(b.type, ==, "relay");
	exchange(&a, &b);
	end_free(&a);
	end_free(&b);
	g_subprocess_force_exit(turn);
	g_subprocess_wait(turn, NULL, NULL);
	g_object_unref(turn);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ice/host-pair", test_host_pair);
	g_test_add_func("/ice/restart", test_restart);
	g_test_add_func("/ice/late-candidate", test_late_candidate);
	g_test_add_data_func("/ice/turn-udp", GINT_TO_POINTER(RG_ICE_TURN_UDP), test_turn);
	g_test_add_data_func("/ice/turn-tcp", GINT_TO_POINTER(RG_ICE_TURN_TCP), test_turn);
	return g_test_run();
}
