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
 * Batch receive: WireGuard-shaped datagrams reach the peer byte-exact
 * through its second socket, a segmented burst in fewer messages than
 * datagrams; anything else (and WireGuard with STUN's cookie) still
 * through libnice; a WireGuard-shaped datagram from another address is
 * dropped and counted; it follows a restart to the new pair; a DTLS-like
 * datagram coalesced behind WireGuard is delivered, counted, and turns
 * receive offload off for a rest (a burst then reads one datagram per
 * message, and again in one message after it); turned off, libnice's
 * socket takes everything again.
 * TURN over TLS, through a coturn that speaks TLS only (as a TLS front end
 * on 443 would): relay-only, connected and "relay", through a restart, the
 * allocations released on close; a ClientHello naming the server is what
 * reaches the TLS port (libnice alone sent a cleartext Allocate); plain TCP
 * TURN to that port gets nothing; a wrong pin or an untrusted certificate
 * is logged with the server and why, and gives no relay candidate. The
 * server's time-limited TURN credentials work with coturn's use-auth-secret
 * (an expired one or one of another secret does not).
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../capture.h"
#include "../loop.h"
#include "../sock.h"
#include "../spawn.h"
#include "core/err.h"
#include "core/tls.h"
#include "rift/auth/turncred.h"
#include "rift/ice/ice-priv.h"
#include "rift/ice/ice.h"

struct end {
	struct rg_ice *ice;
	struct end *peer;
	enum rg_ice_state state;
	char type[8], local_type[8], remote_type[8];
	char remote_address[RG_ICE_ADDRSTRLEN];
	unsigned reports; /* selected-pair reports */
	GPtrArray *held;  /* our candidates, not given to the peer yet; NULL: give them at once */
	GByteArray *got;
	unsigned candidates, relays;
	bool gathered;
	unsigned datagrams; /* received */
};

static void on_candidate(void *ctx, const char *line)
{
	struct end *e = ctx;

	e->candidates++;
	e->relays += strstr(line, " typ relay") != NULL;
	g_assert_true(g_str_has_prefix(line, "candidate:"));
	if (e->held != NULL)
		g_ptr_array_add(e->held, g_strdup(line));
	else if (e->peer != NULL)
		g_assert_cmpint(rg_ice_add_remote_candidate(e->peer->ice, line), ==, CORE_OK);
}

static void on_done(void *ctx)
{
	struct end *e = ctx;

	e->gathered = true;
	if (e->held == NULL && e->peer != NULL)
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
	g_strlcpy(e->remote_address, pair->remote_address, sizeof(e->remote_address));
}

static void on_data(void *ctx, const uint8_t *buf, size_t len)
{
	struct end *e = ctx;

	e->datagrams++;
	g_byte_array_append(e->got, buf, (guint)len);
}

static const struct rg_ice_callbacks cbs = { on_candidate, on_done, on_state, on_selected,
					     on_data };

/* Each side takes the other's newest credentials and gathers. */
static void swap_and_gather(struct end *a, struct end *b)
{
	g_assert_cmpint(
		rg_ice_set_remote_credentials(a->ice, rg_ice_ufrag(b->ice), rg_ice_pwd(b->ice)), ==,
		CORE_OK);
	g_assert_cmpint(
		rg_ice_set_remote_credentials(b->ice, rg_ice_ufrag(a->ice), rg_ice_pwd(a->ice)), ==,
		CORE_OK);
	g_assert_cmpint(rg_ice_gather(a->ice), ==, CORE_OK);
	g_assert_cmpint(rg_ice_gather(b->ice), ==, CORE_OK);
}

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
	swap_and_gather(a, b);
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
	swap_and_gather(&a, &b);
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
	guint16 port;
	GSocket *s = itest_listen_tcp(&port);

	g_object_unref(s);
	return port;
}

/* A coturn on 127.0.0.1 with everything in its own temporary folder. */
struct coturn {
	GSubprocess *proc;
	char *dir;
	const char *rest_secret;      /* set: use-auth-secret with it, not a user and password */
	guint16 port;		      /* plain UDP and TCP, or TLS only */
	uint8_t pin[CORE_TLS_FP_LEN]; /* TLS: its certificate's SHA-256 */
};

static char *coturn_log(const struct coturn *c)
{
	char *path = g_build_filename(c->dir, "turn.log", NULL), *text = NULL;

	g_file_get_contents(path, &text, NULL, NULL);
	g_free(path);
	return text != NULL ? text : g_strdup("");
}

/* The log holds line, now or within secs seconds. */
static bool coturn_logged(const struct coturn *c, const char *line, unsigned secs)
{
	gint64 until = g_get_monotonic_time() + secs * G_USEC_PER_SEC;
	bool found = false;

	while (!found && g_get_monotonic_time() < until) {
		char *log = coturn_log(c);

		found = strstr(log, line) != NULL;
		g_free(log);
		if (!found)
			g_usleep(20000);
	}
	return found;
}

/* Write a fresh self-signed certificate and key into dir; its fingerprint into pin. */
static void write_cert(const char *dir, uint8_t pin[CORE_TLS_FP_LEN])
{
	struct core_tls_cert *cert;
	char *pem, *key, *path;

	g_assert_cmpint(core_tls_cert_generate(&cert, 3600), ==, CORE_OK);
	g_assert_cmpint(core_tls_cert_pem(cert, &pem, &key), ==, CORE_OK);
	core_tls_cert_fingerprint(cert, pin);
	path = g_build_filename(dir, "cert.pem", NULL);
	g_assert_true(g_file_set_contents(path, pem, -1, NULL));
	g_free(path);
	path = g_build_filename(dir, "key.pem", NULL);
	g_assert_true(g_file_set_contents(path, key, -1, NULL));
	g_free(path);
	g_free(pem);
	g_free(key);
	core_tls_cert_free(cert);
}

/*
 * One try at coturn on port c->port: plain TURN over UDP and TCP, or (tls)
 * TURN over TLS only, as behind a TLS front end on port 443: coturn would
 * otherwise also take plain TCP on its TLS port. true once it says it
 * listens there (5 s); false, and stopped, when it does not (the port was
 * free for TCP when we chose it, but another process may hold it for UDP,
 * or take it before coturn binds).
 */
static bool coturn_try(struct coturn *c, bool tls)
{
	GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
	GError *e = NULL;
	char *ready;
	bool ok;

	g_ptr_array_add(argv, g_strdup("turnserver"));
	g_ptr_array_add(argv, g_strdup("-n"));
	g_ptr_array_add(argv, g_strdup("-v")); /* sessions and their TLS method in the log */
	g_ptr_array_add(argv, g_strdup("--listening-ip=127.0.0.1"));
	g_ptr_array_add(argv, g_strdup("--relay-ip=127.0.0.1"));
	if (c->rest_secret != NULL) {
		g_ptr_array_add(argv, g_strdup("--use-auth-secret"));
		g_ptr_array_add(argv, g_strdup_printf("--static-auth-secret=%s", c->rest_secret));
	} else {
		g_ptr_array_add(argv, g_strdup("--lt-cred-mech"));
		g_ptr_array_add(argv, g_strdup("--user=rift:secret"));
	}
	g_ptr_array_add(argv, g_strdup("--realm=rift.test"));
	g_ptr_array_add(argv, g_strdup("--allow-loopback-peers"));
	g_ptr_array_add(argv, g_strdup("--no-dtls"));
	g_ptr_array_add(argv, g_strdup("--no-cli"));
	g_ptr_array_add(argv, g_strdup("--simple-log"));
	g_ptr_array_add(argv, g_strdup("--no-stdout-log"));
	g_ptr_array_add(argv, g_strdup_printf("--log-file=%s/turn.log", c->dir));
	g_ptr_array_add(argv, g_strdup_printf("--db=%s/turndb", c->dir));
	g_ptr_array_add(argv, g_strdup_printf("--pidfile=%s/turn.pid", c->dir));
	if (tls) {
		g_ptr_array_add(argv, g_strdup_printf("--cert=%s/cert.pem", c->dir));
		g_ptr_array_add(argv, g_strdup_printf("--pkey=%s/key.pem", c->dir));
		g_ptr_array_add(argv, g_strdup_printf("--tls-listening-port=%u", c->port));
		g_ptr_array_add(argv, g_strdup_printf("--listening-port=%u", free_port()));
		g_ptr_array_add(argv, g_strdup("--no-udp"));
		g_ptr_array_add(argv, g_strdup("--no-tcp"));
		ready = g_strdup_printf("TLS listener opened on : 127.0.0.1:%u", c->port);
	} else {
		g_ptr_array_add(argv, g_strdup_printf("--listening-port=%u", c->port));
		g_ptr_array_add(argv, g_strdup("--no-tls"));
		ready = g_strdup_printf("UDP listener opened on: 127.0.0.1:%u", c->port);
	}
	g_ptr_array_add(argv, NULL);
	c->proc = itest_spawn(G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
			      &e, (const char *const *)argv->pdata);
	g_assert_no_error(e);
	ok = coturn_logged(c, ready, 5);
	if (ok) {
		g_usleep(
			100000); /* the line comes as it binds; every listener thread opens at once */
	} else {
		char *log = coturn_log(c), *path = g_build_filename(c->dir, "turn.log", NULL);

		g_test_message("coturn did not listen on port %u: %s", c->port, log);
		g_free(log);
		g_subprocess_force_exit(c->proc);
		g_subprocess_wait(c->proc, NULL, NULL);
		g_clear_object(&c->proc);
		g_unlink(path); /* the next try's log starts afresh */
		g_free(path);
	}
	g_free(ready);
	g_ptr_array_unref(argv);
	return ok;
}

/* Start coturn (see coturn_try) on a free port, trying 5 ports before failing the test. */
static void coturn_start(struct coturn *c, bool tls)
{
	GError *e = NULL;
	int i;

	c->dir = g_dir_make_tmp("rift-coturn-XXXXXX", &e);
	g_assert_no_error(e);
	if (tls)
		write_cert(c->dir, c->pin);
	for (i = 0; i < 5; i++) {
		c->port = free_port();
		if (coturn_try(c, tls))
			break;
	}
	if (i == 5)
		g_error("coturn did not listen on any of 5 ports");
}

static void coturn_stop(struct coturn *c)
{
	GDir *d;
	const char *name;

	g_subprocess_force_exit(c->proc);
	g_subprocess_wait(c->proc, NULL, NULL);
	g_object_unref(c->proc);
	d = g_dir_open(c->dir, 0, NULL);
	while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
		char *path = g_build_filename(c->dir, name, NULL);

		g_unlink(path);
		g_free(path);
	}
	if (d != NULL)
		g_dir_close(d);
	g_rmdir(c->dir);
	g_free(c->dir);
}

static bool have_coturn(void)
{
	char *path = g_find_program_in_path("turnserver");

	g_free(path);
	if (path == NULL)
		g_test_skip("no turnserver (coturn)");
	return path != NULL;
}

/* An agent, "laptop", that gathers relay candidates only, through t. */
static struct rg_ice_config relay_only(const struct rg_ice_turn *t)
{
	return (struct rg_ice_config){ .name = "laptop",
				       .controlling = true,
				       .local_addresses = loopback,
				       .turn = t,
				       .n_turn = 1,
				       .relay_only = true };
}

/* a (relay only, through t) and b connect and report "relay"; data crosses. */
/* A WireGuard-shaped datagram (rtc/demux.h: type 4, three zero bytes) of len bytes, tagged n. */
static void wg_shaped(uint8_t *buf, size_t len, unsigned n)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(n * 7 + i);
	memcpy(buf, "\x04\0\0\0", 4);
	buf[4] = (uint8_t)n; /* never STUN's cookie 0x2112A442: byte 5 is 0 */
	buf[5] = (uint8_t)(n >> 8);
}

/* Send a burst of count WireGuard-shaped datagrams of len from a; the bytes expected at the peer. */
static void send_burst(struct end *a, unsigned count, size_t len, GByteArray *want)
{
	uint8_t bufs[64][1400];
	const uint8_t *ptrs[64];
	size_t lens[64];

	g_assert_cmpuint(count, <=, 64);
	for (unsigned i = 0; i < count; i++) {
		wg_shaped(bufs[i], len, i);
		ptrs[i] = bufs[i];
		lens[i] = len;
		g_byte_array_append(want, bufs[i], (guint)len);
	}
	g_assert_cmpint(rg_ice_send_many(a->ice, ptrs, lens, count), ==, (int)count);
}

/* A datagram to "127.0.0.1:port" from a socket of our own. */
static void send_from_elsewhere(const char *to, const uint8_t *buf, size_t len)
{
	GInetSocketAddress *addr = G_INET_SOCKET_ADDRESS(g_inet_socket_address_new_from_string(
		"127.0.0.1", (guint)atoi(strrchr(to, ':') + 1)));
	GSocket *s = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
				  G_SOCKET_PROTOCOL_UDP, NULL);

	g_assert_nonnull(s);
	g_assert_cmpint(
		g_socket_send_to(s, G_SOCKET_ADDRESS(addr), (const gchar *)buf, len, NULL, NULL),
		==, (gssize)len);
	g_object_unref(s);
	g_object_unref(addr);
}

static void test_batch_rx(void)
{
	struct rg_ice_config ca = { .controlling = true, .local_addresses = loopback };
	struct rg_ice_config cb = { .controlling = false, .local_addresses = loopback };
	struct end a = { 0 }, b = { 0 };
	struct rg_ice_rx_counts c;
	GByteArray *want = g_byte_array_new();
	uint8_t odd[40];
	GError *e = NULL;

	rg_ice_test_gro_rest(300);
	connect_pair(&a, &b, &ca, &cb);
	rg_ice_batch_rx_counts(b.ice, &c);
	g_assert_false(c.active);
	rg_ice_batch_rx(b.ice, true);
	rg_ice_batch_rx_counts(b.ice, &c);
	g_assert_true(c.active);
	send_burst(&a, 64, 1200, want);
	ITEST_RUN_UNTIL(b.got->len == want->len, 5);
	g_assert_cmpmem(b.got->data, b.got->len, want->data, want->len);
	rg_ice_batch_rx_counts(b.ice, &c);
	g_assert_cmpuint(c.datagrams, ==, 64);
	g_assert_cmpuint(c.messages, <, 64); /* the burst went as one UDP_SEGMENT send */
	/* anything else is libnice's: DTLS-like, too short, STUN's cookie after a WireGuard word */
	g_byte_array_set_size(b.got, 0);
	b.datagrams = 0;
	wg_shaped(odd, sizeof(odd), 1);
	memcpy(odd + 4, "\x21\x12\xa4\x42", 4);
	g_assert_cmpint(rg_ice_send(a.ice, odd, sizeof(odd)), ==, CORE_OK);
	memset(odd, 0x16, sizeof(odd));
	g_assert_cmpint(rg_ice_send(a.ice, odd, sizeof(odd)), ==, CORE_OK);
	g_assert_cmpint(rg_ice_send(a.ice, (const uint8_t *)"\x04\0\0", 3), ==, CORE_OK);
	ITEST_RUN_UNTIL(b.datagrams == 3, 5); /* libnice hands on a STUN message it cannot parse */
	g_assert_cmpuint(b.got->len, ==, 2 * sizeof(odd) + 3);
	g_assert_cmpmem(b.got->data + sizeof(odd), sizeof(odd), odd, sizeof(odd));
	rg_ice_batch_rx_counts(b.ice, &c);
	g_assert_cmpuint(c.datagrams, ==, 64);
	/* WireGuard from another address than the pair's: dropped, counted */
	wg_shaped(odd, sizeof(odd), 1);
	send_from_elsewhere(a.remote_address, odd, sizeof(odd));
	ITEST_RUN_UNTIL((rg_ice_batch_rx_counts(b.ice, &c), c.foreign == 1), 5);
	g_assert_cmpuint(b.datagrams, ==, 3);
	/* a restart moves it to the new pair */
	g_assert_cmpint(rg_ice_restart(a.ice, &e), ==, CORE_OK);
	g_assert_cmpint(rg_ice_restart(b.ice, &e), ==, CORE_OK);
	g_assert_no_error(e);
	swap_and_gather(&a, &b);
	ITEST_RUN_UNTIL(!rg_ice_restarting(a.ice) && !rg_ice_restarting(b.ice), 10);
	rg_ice_batch_rx_counts(b.ice, &c);
	g_assert_true(c.active);
	g_byte_array_set_size(b.got, 0);
	g_byte_array_set_size(want, 0);
	send_burst(&a, 10, 1000, want);
	ITEST_RUN_UNTIL(b.got->len == want->len, 5);
	g_assert_cmpmem(b.got->data, b.got->len, want->data, want->len);
	rg_ice_batch_rx_counts(b.ice, &c);
	g_assert_cmpuint(c.datagrams, ==, 74);
	/* a DTLS-like datagram behind WireGuard in one coalesced message: delivered, offload off */
	{
		uint8_t wg[3][600], dtls[100];
		const uint8_t *ptrs[4] = { wg[0], wg[1], wg[2], dtls };
		size_t lens[4] = { 600, 600, 600, 100 };

		g_byte_array_set_size(b.got, 0);
		g_byte_array_set_size(want, 0);
		for (unsigned i = 0; i < 3; i++) {
			wg_shaped(wg[i], 600, i);
			g_byte_array_append(want, wg[i], 600);
		}
		memset(dtls, 0x17, sizeof(dtls));
		g_byte_array_append(want, dtls, sizeof(dtls));
		g_assert_cmpint(rg_ice_send_many(a.ice, ptrs, lens, 4), ==, 4);
		ITEST_RUN_UNTIL(b.got->len == want->len, 5);
		g_assert_cmpmem(b.got->data, b.got->len, want->data, want->len);
		rg_ice_batch_rx_counts(b.ice, &c);
		g_assert_cmpuint(c.stray, ==, 1);
		g_assert_cmpuint(c.datagrams, ==, 78);
		/* from now on the kernel cuts a burst: one datagram per message */
		g_byte_array_set_size(b.got, 0);
		g_byte_array_set_size(want, 0);
		send_burst(&a, 8, 700, want);
		ITEST_RUN_UNTIL(b.got->len == want->len, 5);
		g_assert_cmpmem(b.got->data, b.got->len, want->data, want->len);
		{
			uint64_t m = c.messages;

			rg_ice_batch_rx_counts(b.ice, &c);
			g_assert_cmpuint(c.messages - m, ==, 8);
			g_assert_cmpuint(c.datagrams, ==, 86);
		}
		/* after the rest (300 ms here) the kernel coalesces again */
		{
			gint64 until = g_get_monotonic_time() + 400 * 1000;
			uint64_t m = c.messages;

			ITEST_RUN_UNTIL(g_get_monotonic_time() > until, 2);
			g_byte_array_set_size(b.got, 0);
			g_byte_array_set_size(want, 0);
			send_burst(&a, 8, 700, want);
			ITEST_RUN_UNTIL(b.got->len == want->len, 5);
			rg_ice_batch_rx_counts(b.ice, &c);
			g_assert_cmpuint(c.messages - m, <, 8);
			g_assert_cmpuint(c.datagrams, ==, 94);
		}
	}
	/* off: libnice's socket alone takes WireGuard again */
	rg_ice_batch_rx(b.ice, false);
	rg_ice_batch_rx_counts(b.ice, &c);
	g_assert_false(c.active);
	g_byte_array_set_size(b.got, 0);
	g_byte_array_set_size(want, 0);
	send_burst(&a, 8, 500, want);
	ITEST_RUN_UNTIL(b.got->len == want->len, 5);
	g_assert_cmpmem(b.got->data, b.got->len, want->data, want->len);
	rg_ice_batch_rx_counts(b.ice, &c);
	g_assert_cmpuint(c.datagrams, ==, 94);
	g_byte_array_unref(want);
	end_free(&a);
	end_free(&b);
}

static void connect_relayed(struct end *a, struct end *b, const struct rg_ice_turn *t)
{
	struct rg_ice_config ca = relay_only(t);
	struct rg_ice_config cb = { .controlling = false, .local_addresses = loopback };

	connect_pair(a, b, &ca, &cb);
	g_assert_cmpstr(a->local_type, ==, "relay");
	g_assert_cmpstr(a->type, ==, "relay");
	/* b's own candidate is a host one, but its connection goes through a's relay */
	g_assert_cmpstr(b->local_type, ==, "host");
	g_assert_cmpstr(b->remote_type, ==, "relay");
	g_assert_cmpstr(b->type, ==, "relay");
	exchange(a, b);
}

static void test_turn(gconstpointer data)
{
	enum rg_ice_relay transport = GPOINTER_TO_INT(data);
	struct coturn turn = { 0 };
	struct rg_ice_turn t = { "127.0.0.1", 0,    "rift", "secret", transport,
				 NULL,	      NULL, NULL,   NULL,     NULL };
	struct end a = { 0 }, b = { 0 };

	if (!have_coturn())
		return;
	coturn_start(&turn, false);
	t.port = turn.port;
	connect_relayed(&a, &b, &t);
	end_free(&a);
	end_free(&b);
	coturn_stop(&turn);
}

/* Accept on l, then read what comes into buf until it holds len bytes; true (for a condition). */
static bool take_bytes(GSocket *l, GSocket **c, GByteArray *buf, guint len)
{
	uint8_t chunk[512];
	gssize n;

	if (*c == NULL && (*c = g_socket_accept(l, NULL, NULL)) != NULL)
		g_socket_set_blocking(*c, FALSE);
	if (*c != NULL && buf->len < len &&
	    (n = g_socket_receive(*c, (gchar *)chunk, sizeof(chunk), NULL, NULL)) > 0)
		g_byte_array_append(buf, chunk, (guint)n);
	return true;
}

/* One relay-only agent alone, gathering through server t until it is done. */
static void gather_alone(struct end *a, const struct rg_ice_turn *t)
{
	struct rg_ice_config cfg = relay_only(t);
	GError *e = NULL;

	a->got = g_byte_array_new();
	g_assert_cmpint(rg_ice_new(&a->ice, &cfg, &cbs, a, NULL, &e), ==, CORE_OK);
	g_assert_no_error(e);
	g_assert_cmpint(rg_ice_gather(a->ice), ==, CORE_OK);
	ITEST_RUN_UNTIL(a->gathered, 15);
}

/*
 * The server's TURN credentials (auth/turncred.h) against coturn's
 * use-auth-secret: a relay with a fresh one; none with an expired one or
 * one made with another secret.
 */
static void test_turn_rest(void)
{
	static const char secret[] = "turn-secret-0123456789";
	static const char id[] = "6f1c2b1e-0000-4000-8000-000000000001";
	int64_t now = g_get_real_time() / G_USEC_PER_SEC;
	struct coturn turn = { .rest_secret = secret };
	struct rg_ice_turn t = { "127.0.0.1", 0,    NULL, NULL, RG_ICE_TURN_UDP,
				 NULL,	      NULL, NULL, NULL, NULL };
	struct end a = { 0 }, b = { 0 };
	const struct {
		int64_t expiry;
		const char *secret;
	} refused[] = { { now - 10, secret }, { now + 3600, "another-secret-0123456789" } };

	if (!have_coturn())
		return;
	coturn_start(&turn, false);
	t.port = turn.port;
	t.username = rg_turn_username(now + 86400, id);
	t.password = rg_turn_password(secret, strlen(secret), t.username);
	connect_relayed(&a, &b, &t);
	end_free(&a);
	end_free(&b);
	for (size_t i = 0; i < G_N_ELEMENTS(refused); i++) {
		g_free((char *)t.username);
		g_free((char *)t.password);
		t.username = rg_turn_username(refused[i].expiry, id);
		t.password =
			rg_turn_password(refused[i].secret, strlen(refused[i].secret), t.username);
		memset(&a, 0, sizeof(a));
		gather_alone(&a, &t);
		g_assert_cmpuint(a.relays, ==, 0);
		end_free(&a);
	}
	g_free((char *)t.username);
	g_free((char *)t.password);
	coturn_stop(&turn);
}

/*
 * What goes to a TURN-over-TLS server's port is TLS: a handshake record
 * holding a ClientHello, which names the server (SNI). (libnice 0.1.21 by
 * itself sent a STUN Allocate in the clear there: 00 03 00 14 21 12 a4 42,
 * the magic cookie at bytes 4 to 7.)
 */
static void test_turn_tls_bytes(void)
{
	static const uint8_t pin[CORE_TLS_FP_LEN] = { 1 };
	static const char name[] = "turn.rift.test";
	guint16 port;
	GSocket *l = itest_listen_tcp(&port), *c = NULL;
	struct rg_ice_turn t = { "127.0.0.1", port, "rift", "secret", RG_ICE_TURN_TLS,
				 name,	      pin,  NULL,   NULL,     NULL };
	struct rg_ice_config cfg = { .local_addresses = loopback, .turn = &t, .n_turn = 1 };
	struct end a = { .got = g_byte_array_new() };
	GByteArray *got = g_byte_array_new();
	GError *e = NULL;
	guint record;

	g_assert_cmpint(rg_ice_new(&a.ice, &cfg, &cbs, &a, NULL, &e), ==, CORE_OK);
	g_assert_no_error(e);
	g_assert_cmpint(rg_ice_gather(a.ice), ==, CORE_OK);
	ITEST_RUN_UNTIL(take_bytes(l, &c, got, 6) && got->len >= 6, 10);
	g_test_message("first bytes to the TLS port: %02x %02x %02x %02x %02x %02x", got->data[0],
		       got->data[1], got->data[2], got->data[3], got->data[4], got->data[5]);
	g_assert_cmpuint(got->data[0], ==, 0x16); /* TLS record: handshake */
	g_assert_cmpuint(got->data[1], ==, 0x03); /* record version 3.x */
	g_assert_cmpuint(got->data[5], ==, 0x01); /* handshake message: ClientHello */
	record = 5 + ((guint)got->data[3] << 8 | got->data[4]);
	ITEST_RUN_UNTIL(take_bytes(l, &c, got, record) && got->len >= record, 10);
	g_assert_nonnull(memmem(got->data, record, name, strlen(name)));
	end_free(&a);
	g_object_unref(c);
	g_object_unref(l);
	g_byte_array_unref(got);
}

/* How many times what occurs in coturn's log. */
static unsigned coturn_count(const struct coturn *c, const char *what)
{
	char *log = coturn_log(c);
	unsigned n = 0;

	for (const char *p = strstr(log, what); p != NULL; p = strstr(p + 1, what))
		n++;
	g_free(log);
	return n;
}

/*
 * TURN over TLS to a TLS-only coturn: a relay-only agent connects, both
 * sides report "relay", data crosses; coturn served the allocation over
 * TLS 1.3. A restart allocates again through the same bridge, and when the
 * agents are freed their allocations are released through it.
 */
static void test_turn_tls(void)
{
	struct coturn turn = { 0 };
	/* the certificate holds no name at all: the pin wins */
	struct rg_ice_turn t = { "127.0.0.1",	   0,	     "rift", "secret", RG_ICE_TURN_TLS,
				 "turn.rift.test", turn.pin, NULL,   NULL,     NULL };
	struct end a = { 0 }, b = { 0 };
	GError *e = NULL;

	if (!have_coturn())
		return;
	coturn_start(&turn, true);
	t.port = turn.port;
	connect_relayed(&a, &b, &t);
	g_assert_cmpuint(coturn_count(&turn, "ALLOCATE processed, success"), ==, 1);
	g_assert_cmpuint(coturn_count(&turn, "method=TLSv1.3"), >=, 1);
	/* a new generation: a new allocation, through the same bridge */
	a.relays = 0;
	g_assert_cmpint(rg_ice_restart(a.ice, &e), ==, CORE_OK);
	g_assert_cmpint(rg_ice_restart(b.ice, &e), ==, CORE_OK);
	g_assert_no_error(e);
	swap_and_gather(&a, &b);
	ITEST_RUN_UNTIL(!rg_ice_restarting(a.ice) && !rg_ice_restarting(b.ice), 10);
	g_assert_cmpuint(a.relays, >=, 1);
	g_assert_cmpstr(a.type, ==, "relay");
	g_byte_array_set_size(a.got, 0);
	g_byte_array_set_size(b.got, 0);
	exchange(&a, &b);
	g_assert_cmpuint(coturn_count(&turn, "ALLOCATE processed, success"), ==, 2);
	end_free(&a);
	end_free(&b);
	/*
	 * libnice's closing Refresh (lifetime 0), carried by the lost bridge,
	 * then each TLS connection closed with its close_notify
	 */
	ITEST_RUN_UNTIL(coturn_count(&turn, "lifetime=0, cipher=") >= 2 &&
				coturn_count(&turn, "SSL shutdown received") == 2,
			15);
	coturn_stop(&turn);
}

/* The TLS-only port really is TLS only: libnice's own TCP TURN gets nothing from it. */
static void test_turn_tls_port_refuses_plain(void)
{
	struct coturn turn = { 0 };
	struct rg_ice_turn t = { "127.0.0.1", 0,    "rift", "secret", RG_ICE_TURN_TCP,
				 NULL,	      NULL, NULL,   NULL,     NULL };
	struct end a = { 0 };

	if (!have_coturn())
		return;
	coturn_start(&turn, true);
	t.port = turn.port;
	gather_alone(&a, &t);
	g_assert_cmpuint(a.relays, ==, 0);
	g_assert_cmpuint(coturn_count(&turn, "ALLOCATE processed, success"), ==, 0);
	end_free(&a);
	coturn_stop(&turn);
}

/*
 * A certificate that is not the pinned one, or (no pin) not signed by a
 * CA we trust: logged with the server and the reason; no relay candidate.
 */
static void test_turn_tls_refused(gconstpointer data)
{
	bool pinned = GPOINTER_TO_INT(data);
	struct coturn turn = { 0 };
	uint8_t wrong[CORE_TLS_FP_LEN];
	struct rg_ice_turn t = {
		"127.0.0.1",	       0,    "rift", "secret", RG_ICE_TURN_TLS, "turn.rift.test",
		pinned ? wrong : NULL, NULL, NULL,   NULL
	};
	struct end a = { 0 };
	char *path, *log, *server, fp[CORE_TLS_FP_STRLEN];
	int fd;

	if (!have_coturn())
		return;
	coturn_start(&turn, true);
	t.port = turn.port;
	memcpy(wrong, turn.pin, sizeof(wrong));
	wrong[0] ^= 1;
	fd = itest_log_begin(&path);
	gather_alone(&a, &t);
	log = itest_log_end(fd, path);
	g_assert_cmpuint(a.relays, ==, 0);
	g_assert_cmpuint(a.candidates, ==, 0);
	/* the bridge's lines name the agent, then the server */
	server = g_strdup_printf("WARN  [turn laptop turns:127.0.0.1:%u (turn.rift.test)] ",
				 turn.port);
	g_assert_nonnull(strstr(log, server));
	if (pinned) {
		char *why = g_strdup_printf("not the pinned one (its SHA-256 is %s)",
					    core_tls_fingerprint_format(turn.pin, fp));

		g_assert_nonnull(strstr(log, why));
		g_free(why);
	} else {
		g_assert_nonnull(strstr(log, "TLS certificate refused: not signed by a trusted "
					     "CA, not valid for turn.rift.test"));
	}
	g_assert_cmpuint(coturn_count(&turn, "ALLOCATE processed"), ==, 0);
	g_free(server);
	g_free(log);
	end_free(&a);
	coturn_stop(&turn);
}

/* A TURN-over-TLS server needs a name or a pin to be verified by. */
static void test_turn_tls_config(void)
{
	struct rg_ice_turn t = { "127.0.0.1", 5349, "rift", "secret", RG_ICE_TURN_TLS,
				 NULL,	      NULL, NULL,   NULL,     NULL };
	struct rg_ice_config cfg = { .local_addresses = loopback, .turn = &t, .n_turn = 1 };
	struct rg_ice *ice = NULL;
	GError *e = NULL;

	g_assert_cmpint(rg_ice_new(&ice, &cfg, &cbs, NULL, NULL, &e), ==, CORE_ERR_CONFIG);
	g_assert_error(e, CORE_ERROR, CORE_ERR_CONFIG);
	g_assert_nonnull(strstr(e->message, "neither a name nor a pin"));
	g_assert_null(ice);
	g_clear_error(&e);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ice/host-pair", test_host_pair);
	g_test_add_func("/ice/restart", test_restart);
	g_test_add_func("/ice/late-candidate", test_late_candidate);
	g_test_add_func("/ice/batch-rx", test_batch_rx);
	g_test_add_data_func("/ice/turn-udp", GINT_TO_POINTER(RG_ICE_TURN_UDP), test_turn);
	g_test_add_data_func("/ice/turn-tcp", GINT_TO_POINTER(RG_ICE_TURN_TCP), test_turn);
	g_test_add_func("/ice/turn-rest-credentials", test_turn_rest);
	g_test_add_func("/ice/turn-tls-config", test_turn_tls_config);
	g_test_add_func("/ice/turn-tls-bytes", test_turn_tls_bytes);
	g_test_add_func("/ice/turn-tls", test_turn_tls);
	g_test_add_func("/ice/turn-tls-port-refuses-plain", test_turn_tls_port_refuses_plain);
	g_test_add_data_func("/ice/turn-tls-wrong-pin", GINT_TO_POINTER(1), test_turn_tls_refused);
	g_test_add_data_func("/ice/turn-tls-untrusted", GINT_TO_POINTER(0), test_turn_tls_refused);
	return g_test_run();
}
