/*
 * Integration tests for the WireGuard runner (src/rift/wgup/runner.h) with
 * a bind that is not UDP: two runners in two network namespaces of one
 * process, joined by an in-memory "wire" bind whose endpoints are a link
 * number (as the agent's data-channel bind's will be). As root, in a
 * subprocess that leaves the namespaces behind when it exits:
 *
 *   netns A: rgwrNa 10.79.0.1/24 --runner--[wire bind, link 7]--runner-- netns B: rgwrNb 10.79.0.2/24
 *
 * UDP crosses the tunnel both ways byte-exact; wg(8)'s UAPI answers for
 * the runner with no endpoint line (the bind has no text for a link) and
 * the handshake and counters; persistent keepalives come from the timer
 * (armed from the boot clock); rg_wg_peer_initiate + kick makes a new
 * handshake; freeing a runner removes its interface and UAPI socket. With
 * the TUN's offloads on, a UDP_SEGMENT super-packet and a 4 MiB TCP stream
 * arrive byte-exact and the bind never sees a datagram beyond one packet;
 * again with two crypto workers on each side.
 * Without root: a failed rg_wg_runner_new frees the bind and says why; the
 * ready-time conversion is exact.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/err.h"
#include "rift/wg/uapi.h"
#include "rift/wgup/runner.h"
#include "rift/wgup/uapi_server.h"

#define SUBPROCESS_US (20 * G_USEC_PER_SEC)
#define WAIT_MS	      5000
#define LINK	      7
#define UDP_PORT      5079

/* --- the wire bind ------------------------------------------------------- */

struct wire;

struct wire_bind {
	struct rg_wg_bind base;
	struct wire *wire;
	int side;
	GQueue inbox; /* of GBytes */
	GSource *deliver;
	unsigned sent, keepalives;
	size_t max_len; /* the largest datagram sent */
	bool *freed;
};

struct wire {
	struct wire_bind *end[2];
};

static const struct rg_wg_endpoint link_ep = { 1, { LINK } };

static gboolean wire_deliver(gpointer data)
{
	struct wire_bind *w = data;
	GBytes *b;

	g_source_unref(w->deliver);
	w->deliver = NULL;
	while ((b = g_queue_pop_head(&w->inbox)) != NULL) {
		gsize n;
		const uint8_t *p = g_bytes_get_data(b, &n);

		w->base.recv(w->base.ctx, &link_ep, p, n);
		g_bytes_unref(b);
	}
	w->base.idle(w->base.ctx);
	return G_SOURCE_REMOVE;
}

/* Only link 7 leads anywhere, and only while the other end exists. */
static int wire_send(struct rg_wg_bind *b, const struct rg_wg_endpoint *to, const uint8_t *buf,
		     size_t len)
{
	struct wire_bind *w = (struct wire_bind *)b, *o = w->wire->end[1 - w->side];

	if (!rg_wg_endpoint_equal(to, &link_ep))
		return CORE_ERR_INVALID_ARG;
	if (o == NULL)
		return CORE_ERR_NOT_FOUND;
	w->sent++;
	w->max_len = MAX(w->max_len, len);
	if (len == 32)
		w->keepalives++; /* a transport message with no packet */
	g_queue_push_tail(&o->inbox, g_bytes_new(buf, len));
	if (o->deliver == NULL) {
		o->deliver = g_idle_source_new();
		g_source_set_callback(o->deliver, wire_deliver, o, NULL);
		g_source_attach(o->deliver, g_main_context_get_thread_default());
	}
	return CORE_OK;
}

static void wire_flush(struct rg_wg_bind *b)
{
}

static bool wire_format(const struct rg_wg_bind *b, const struct rg_wg_endpoint *ep, char *out,
			size_t outlen)
{
	return false; /* a link number is no address wg(8) could parse */
}

static void wire_free(struct rg_wg_bind *b)
{
	struct wire_bind *w = (struct wire_bind *)b;

	if (w->deliver != NULL) {
		g_source_destroy(w->deliver);
		g_source_unref(w->deliver);
	}
	g_queue_clear_full(&w->inbox, (GDestroyNotify)g_bytes_unref);
	if (w->wire != NULL)
		w->wire->end[w->side] = NULL;
	if (w->freed != NULL)
		*w->freed = true;
	g_free(w);
}

static const struct rg_wg_bind_vtable wire_vt = { wire_send, wire_flush, wire_format, wire_free };

static struct wire_bind *wire_bind_new(struct wire *wire, int side, bool *freed)
{
	struct wire_bind *w = g_new0(struct wire_bind, 1);

	w->base.vt = &wire_vt;
	w->wire = wire;
	w->side = side;
	w->freed = freed;
	g_queue_init(&w->inbox);
	if (wire != NULL)
		wire->end[side] = w;
	return w;
}

/* --- without root ---------------------------------------------------------- */

static void test_ready_time(void)
{
	const uint64_t boot = RG_WG_NS(1000);
	const gint64 mono = 5000000;

	g_assert_cmpint(rg_wg_runner_ready_time(UINT64_MAX, boot, mono), ==, -1);
	g_assert_cmpint(rg_wg_runner_ready_time(boot, boot, mono), ==, 0);
	g_assert_cmpint(rg_wg_runner_ready_time(boot - 1, boot, mono), ==, 0);
	g_assert_cmpint(rg_wg_runner_ready_time(boot + 1, boot, mono), ==, mono + 1);
	g_assert_cmpint(rg_wg_runner_ready_time(boot + 1000, boot, mono), ==, mono + 1);
	g_assert_cmpint(rg_wg_runner_ready_time(boot + 1001, boot, mono), ==, mono + 2);
	/* 10 s after an hour of suspend: the boot clock ran on, the monotonic one did not */
	g_assert_cmpint(rg_wg_runner_ready_time(RG_WG_NS(3610), RG_WG_NS(3600), mono), ==,
			mono + 10 * G_USEC_PER_SEC);
	g_assert_cmpint(rg_wg_runner_ready_time(UINT64_MAX - 1, 0, G_MAXINT64 - 5), ==, G_MAXINT64);
}

/* A runner that cannot be made frees the bind it was given and says why. */
static void test_new_fails(void)
{
	static const uint8_t key[RG_WG_KEY_LEN] = { 1 };
	struct rg_wg_runner_config cfg = { .ifname = "abcdefghijklmnop", .private_key = key };
	struct rg_wg_runner *r = (struct rg_wg_runner *)&r;
	GError *err = NULL;
	bool freed = false;

	g_assert_cmpint(rg_wg_runner_new(&r, &cfg, &wire_bind_new(NULL, 0, &freed)->base, &err), ==,
			CORE_ERR_INVALID_ARG);
	g_assert_null(r);
	g_assert_true(freed);
	g_assert_error(err, CORE_ERROR, CORE_ERR_INVALID_ARG);
	g_assert_cmpstr(
		err->message, ==,
		"cannot create TUN device abcdefghijklmnop: name longer than 15 characters");
	g_clear_error(&err);
	rg_wg_runner_free(NULL);
}

/* --- two runners in two namespaces ------------------------------------------ */

struct side {
	int ns;	 /* fd of its network namespace */
	int udp; /* a UDP socket in it, on its tunnel address */
	char ifname[IFNAMSIZ];
	struct rg_wg_runner *runner;
	struct wire_bind *bind;
	struct rg_wg_peer *peer; /* the other side */
	bool freed;
};

static const uint8_t tun_addr[2][4] = { { 10, 79, 0, 1 }, { 10, 79, 0, 2 } };

static void key_of(int side, uint8_t k[RG_WG_KEY_LEN])
{
	memset(k, 0x31 + side, RG_WG_KEY_LEN);
}

/* Run the loop for ms, or until fd (>= 0) is readable: true if it is. */
static bool pump(int fd, int ms)
{
	gint64 until = g_get_monotonic_time() + ms * G_TIME_SPAN_MILLISECOND;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (g_get_monotonic_time() < until) {
		while (g_main_context_iteration(NULL, FALSE))
			;
		if (fd >= 0 && poll(&p, 1, 0) > 0)
			return true;
		g_usleep(2000);
	}
	return false;
}

/*
 * Side i in a new namespace: its runner (address 10.79.0.i+1/24, the TUN's
 * offloads if asked) and a UDP socket.
 */
static void side_up(struct side *s, int i, struct wire *wire, bool offload, unsigned workers)
{
	struct rg_wg_prefix addr = { .family = 4, .len = 24 };
	uint8_t key[RG_WG_KEY_LEN];
	struct rg_wg_runner_config cfg = { .ifname = s->ifname,
					   .private_key = key,
					   .addresses = &addr,
					   .n_addresses = 1,
					   .offload = offload,
					   .crypto_workers = workers };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(UDP_PORT) };
	GError *err = NULL;

	g_assert_cmpint(unshare(CLONE_NEWNET), ==, 0);
	s->ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	g_assert_cmpint(s->ns, >=, 0);
	g_snprintf(s->ifname, sizeof(s->ifname), "rgwr%u%c", (unsigned)getpid(), 'a' + i);
	memcpy(addr.addr, tun_addr[i], 4);
	key_of(i, key);
	s->bind = wire_bind_new(wire, i, &s->freed);
	g_assert_cmpint(rg_wg_runner_new(&s->runner, &cfg, &s->bind->base, &err), ==, CORE_OK);
	g_assert_no_error(err);
	g_assert_cmpstr(rg_wg_runner_ifname(s->runner), ==, s->ifname);
	g_assert_true(rg_wg_runner_bind(s->runner) == &s->bind->base);
	g_assert_cmpint(rg_tun_ifindex(rg_wg_runner_tun(s->runner)), ==,
			(int)if_nametoindex(s->ifname));
	s->udp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	memcpy(&sin.sin_addr, tun_addr[i], 4);
	g_assert_cmpint(bind(s->udp, (struct sockaddr *)&sin, sizeof(sin)), ==, 0);
}

/* Side i's peer is the other side, at link 7, allowed its /32. */
static void add_peer(struct side *s, int i)
{
	uint8_t priv[RG_WG_KEY_LEN], pub[RG_WG_KEY_LEN];
	struct rg_wg_device *dev = rg_wg_runner_device(s->runner);

	key_of(1 - i, priv);
	rg_wg_key_public(pub, priv);
	g_assert_cmpint(rg_wg_device_add_peer(dev, pub, NULL, &s->peer), ==, CORE_OK);
	g_assert_cmpint(rg_wg_peer_add_allowed_ip(s->peer, 4, tun_addr[1 - i], 32), ==, CORE_OK);
	rg_wg_peer_set_endpoint(s->peer, &link_ep);
	rg_wg_runner_kick(s->runner);
}

/* UDP from side `from` to the other's address arrives there byte-exact. */
static void check_udp(struct side *s, int from, const char *msg)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(UDP_PORT) };
	char buf[256];
	ssize_t n;

	memcpy(&to.sin_addr, tun_addr[1 - from], 4);
	g_assert_cmpint(
		sendto(s[from].udp, msg, strlen(msg), 0, (struct sockaddr *)&to, sizeof(to)), ==,
		(ssize_t)strlen(msg));
	g_assert_true(pump(s[1 - from].udp, WAIT_MS));
	n = recv(s[1 - from].udp, buf, sizeof(buf), 0);
	g_assert_cmpmem(buf, n, msg, strlen(msg));
}

static uint64_t handshakes(const struct side *s)
{
	struct rg_wg_peer_info info;

	rg_wg_peer_info(s->peer, &info);
	return info.handshakes;
}

struct query {
	const char *ifname;
	char *answer;
	gint done;
};

static gpointer query_thread(gpointer data)
{
	struct query *q = data;

	q->answer = rg_wg_uapi_query(q->ifname, NULL);
	g_atomic_int_set(&q->done, 1);
	return NULL;
}

/* wg(8)'s view of side A, asked from another thread while the loop answers. */
static void check_uapi(struct side *a)
{
	struct query q = { .ifname = a->ifname };
	GThread *t = g_thread_new("uapi", query_thread, &q);
	struct rg_wg_uapi_state *st = NULL;
	struct rg_wg_uapi_peer *p;
	gint64 until = g_get_monotonic_time() + WAIT_MS * G_TIME_SPAN_MILLISECOND;

	while (!g_atomic_int_get(&q.done) && g_get_monotonic_time() < until)
		pump(-1, 5);
	g_thread_join(t);
	g_assert_nonnull(q.answer);
	g_assert_nonnull(strstr(q.answer, "\nlisten_port=0\n"));
	g_assert_null(strstr(q.answer, "endpoint="));
	g_assert_cmpint(rg_wg_uapi_parse(q.answer, strlen(q.answer), &st), ==, CORE_OK);
	g_assert_cmpuint(st->peers->len, ==, 1);
	p = g_ptr_array_index(st->peers, 0);
	g_assert_cmpuint(p->allowed->len, ==, 1);
	g_assert_cmpstr(g_ptr_array_index(p->allowed, 0), ==, "10.79.0.2/32");
	g_assert_cmpint(p->info.last_handshake_s, >, 0);
	g_assert_cmpuint(p->info.rx_bytes, >, 0);
	g_assert_cmpuint(p->info.tx_bytes, >, 0);
	g_assert_cmpuint(p->endpoint.len, ==, 0);
	rg_wg_uapi_state_free(st);
	g_free(q.answer);
}

/* Free side s's runner: its interface (in its namespace) and UAPI socket go. */
static void side_down(struct side *s, int here)
{
	char *path = g_strdup_printf("%s/%s.sock", RG_WG_UAPI_DIR, s->ifname);

	g_assert_true(g_file_test(path, G_FILE_TEST_EXISTS));
	rg_wg_runner_free(s->runner);
	g_assert_true(s->freed);
	g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
	g_assert_cmpint(setns(s->ns, CLONE_NEWNET), ==, 0);
	g_assert_cmpuint(if_nametoindex(s->ifname), ==, 0);
	g_assert_cmpint(setns(here, CLONE_NEWNET), ==, 0);
	close(s->udp);
	close(s->ns);
	g_free(path);
}

static void test_two_runners(void)
{
	struct wire wire = { { NULL } };
	struct side s[2] = { { 0 } };
	int here;
	unsigned before;

	if (!g_test_subprocess()) {
		if (geteuid() != 0) {
			g_test_skip("needs root (network namespaces, TUN devices)");
			return;
		}
		g_test_trap_subprocess(NULL, SUBPROCESS_US, G_TEST_SUBPROCESS_INHERIT_STDERR);
		g_test_trap_assert_passed();
		return;
	}
	side_up(&s[0], 0, &wire, false, 0);
	side_up(&s[1], 1, &wire, false, 0);
	here = s[1].ns;
	add_peer(&s[0], 0);
	add_peer(&s[1], 1);
	check_udp(s, 0, "A to B through the runners");
	check_udp(s, 1, "B to A, back");
	g_assert_cmpuint(handshakes(&s[0]), ==, 1);
	g_assert_cmpuint(handshakes(&s[1]), ==, 1);
	check_uapi(&s[0]);
	/* persistent keepalive every second, from the runner's timer */
	before = s[0].bind->keepalives;
	rg_wg_peer_set_keepalive(s[0].peer, 1, rg_wg_runner_now());
	rg_wg_runner_kick(s[0].runner);
	pump(-1, 2500);
	g_assert_cmpuint(s[0].bind->keepalives - before, >=, 2);
	g_assert_cmpuint(s[0].bind->keepalives - before, <=, 4);
	rg_wg_peer_set_keepalive(s[0].peer, 0, rg_wg_runner_now());
	/* a liveness probe: a new handshake, answered */
	rg_wg_peer_initiate(s[1].peer, rg_wg_runner_now());
	rg_wg_runner_kick(s[1].runner);
	pump(-1, 200);
	g_assert_cmpuint(handshakes(&s[1]), ==, 2);
	g_assert_cmpuint(handshakes(&s[0]), ==, 2);
	check_udp(s, 0, "A to B on the new keys");
	/* A goes away: B's datagrams find no path (the bind says so), B stays up */
	side_down(&s[0], here);
	g_assert_cmpint(rg_wg_bind_send(&s[1].bind->base, &link_ep, (const uint8_t *)"x", 1), ==,
			CORE_ERR_NOT_FOUND);
	side_down(&s[1], here);
}

/*
 * 20 datagrams of 1,000 bytes from side `from`, sent as one UDP_SEGMENT
 * super-packet: they arrive one by one, byte-exact and in order.
 */
static void check_udp_gso(struct side *s, int from)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(UDP_PORT) };
	uint8_t out[20 * 1000], in[2000];
	char cbuf[CMSG_SPACE(sizeof(uint16_t))] = { 0 };
	struct iovec iov = { out, sizeof(out) };
	struct msghdr m = { .msg_name = &to,
			    .msg_namelen = sizeof(to),
			    .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	uint16_t seg = 1000;

	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 7 + i / 1000);
	memcpy(&to.sin_addr, tun_addr[1 - from], 4);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(seg));
	memcpy(CMSG_DATA(c), &seg, sizeof(seg));
	g_assert_cmpint(sendmsg(s[from].udp, &m, 0), ==, (ssize_t)sizeof(out));
	for (int i = 0; i < 20; i++) {
		g_assert_true(pump(s[1 - from].udp, WAIT_MS));
		g_assert_cmpint(recv(s[1 - from].udp, in, sizeof(in), 0), ==, 1000);
		g_assert_cmpmem(in, 1000, out + i * 1000, 1000);
	}
}

/* Bytes of a TCP stream at offset i. */
static uint8_t stream_byte(size_t i)
{
	return (uint8_t)(i * 131 + (i >> 12));
}

/* A TCP connection from side 0 to side 1 (the current namespace) carries n bytes byte-exact. */
static void check_tcp(struct side *s, size_t n)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(UDP_PORT) };
	int lsn = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), cli, srv = -1, one = 1;
	size_t sent = 0, got = 0;
	uint8_t buf[65536];
	gint64 until = g_get_monotonic_time() + 20 * G_TIME_SPAN_SECOND;

	memcpy(&a.sin_addr, tun_addr[1], 4);
	g_assert_cmpint(setsockopt(lsn, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), ==, 0);
	g_assert_cmpint(bind(lsn, (struct sockaddr *)&a, sizeof(a)), ==, 0);
	g_assert_cmpint(listen(lsn, 1), ==, 0);
	g_assert_cmpint(setns(s[0].ns, CLONE_NEWNET), ==, 0);
	cli = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	g_assert_cmpint(setns(s[1].ns, CLONE_NEWNET), ==, 0);
	g_assert_true(connect(cli, (struct sockaddr *)&a, sizeof(a)) == 0 || errno == EINPROGRESS);
	g_assert_true(pump(lsn, WAIT_MS));
	srv = accept4(lsn, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	g_assert_cmpint(srv, >=, 0);
	while (got < n && g_get_monotonic_time() < until) {
		while (sent < n) {
			size_t k = MIN(sizeof(buf), n - sent);
			ssize_t w;

			for (size_t i = 0; i < k; i++)
				buf[i] = stream_byte(sent + i);
			w = send(cli, buf, k, MSG_NOSIGNAL);
			if (w <= 0)
				break;
			sent += (size_t)w;
		}
		pump(-1, 1);
		for (ssize_t r; (r = recv(srv, buf, sizeof(buf), 0)) > 0; got += (size_t)r)
			for (ssize_t i = 0; i < r; i++)
				g_assert_cmpuint(buf[i], ==, stream_byte(got + (size_t)i));
	}
	g_assert_cmpuint(got, ==, n);
	close(srv);
	close(cli);
	close(lsn);
}

/*
 * With the TUN's offloads on both sides, over a bind that takes one
 * datagram per call (as the agent's does): a UDP super-packet and a TCP
 * stream arrive byte-exact, and no datagram given to the bind is larger
 * than one MTU-sized packet sealed (the runner cut the super-packets).
 * data: crypto workers on each side (their order kept: the stream is
 * byte-exact, and UDP's datagrams arrive in order).
 */
static void test_offload(gconstpointer data)
{
	unsigned workers = GPOINTER_TO_UINT(data);
	struct wire wire = { { NULL } };
	struct side s[2] = { { 0 } };
	int here;

	if (!g_test_subprocess()) {
		if (geteuid() != 0) {
			g_test_skip("needs root (network namespaces, TUN devices)");
			return;
		}
		g_test_trap_subprocess(NULL, SUBPROCESS_US, G_TEST_SUBPROCESS_INHERIT_STDERR);
		g_test_trap_assert_passed();
		return;
	}
	side_up(&s[0], 0, &wire, true, workers);
	side_up(&s[1], 1, &wire, true, workers);
	here = s[1].ns;
	for (int i = 0; i < 2; i++) {
		unsigned off = rg_tun_offloads(rg_wg_runner_tun(s[i].runner));

		g_assert_cmpuint(off & (RG_TUN_VNET_HDR | RG_TUN_TSO), ==,
				 RG_TUN_VNET_HDR | RG_TUN_TSO);
		add_peer(&s[i], i);
	}
	check_udp(s, 0, "A to B, one packet, offloads on");
	check_udp(s, 1, "B to A");
	if (rg_tun_offloads(rg_wg_runner_tun(s[0].runner)) & RG_TUN_USO)
		check_udp_gso(s, 0);
	check_tcp(s, 4 << 20);
	g_assert_cmpuint(s[0].bind->max_len, <=, RG_WG_DEFAULT_MTU + 32);
	g_assert_cmpuint(s[0].bind->sent, >, (4u << 20) / RG_WG_DEFAULT_MTU);
	side_down(&s[0], here);
	side_down(&s[1], here);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rift/wg-runner/ready-time", test_ready_time);
	g_test_add_func("/rift/wg-runner/new-fails", test_new_fails);
	g_test_add_func("/rift/wg-runner/two-runners", test_two_runners);
	g_test_add_data_func("/rift/wg-runner/offload", GUINT_TO_POINTER(0), test_offload);
	g_test_add_data_func("/rift/wg-runner/offload-workers", GUINT_TO_POINTER(2), test_offload);
	return g_test_run();
}
