/*
 * Unit tests for goet/net/relay (goet -J's forwarder), in one process on
 * loopback: datagrams both ways, replies following the client's latest
 * address (and not a too-short datagram's), the end when the target's port
 * closes or no client comes, and a TCP connection spliced through and
 * cancelled by gt_relay_free.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/addr.h"
#include "core/err.h"
#include "goet/net/relay.h"

struct done {
	bool ended;
	char reason[128];
};

static void on_done(struct gt_relay *r, const char *reason, void *data)
{
	struct done *d = data;

	d->ended = true;
	g_strlcpy(d->reason, reason, sizeof(d->reason));
}

/* A socket of type on 127.0.0.1, bound to any port (non-blocking), and its address. */
static int lo_socket(int type, struct core_addr *a)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
	g_assert_cmpint(getsockname(fd, (struct sockaddr *)&sa, &len), ==, 0);
	if (type == SOCK_STREAM)
		g_assert_cmpint(listen(fd, 4), ==, 0);
	g_assert_cmpint(core_addr_from_sockaddr(a, (struct sockaddr *)&sa, len), ==, CORE_OK);
	return fd;
}

/* Run the loop until fd has a datagram (copied into buf) or ms pass: its length, or -1. */
static ssize_t recv_looping(int fd, uint8_t *buf, size_t len, struct core_addr *from, int ms)
{
	int64_t until = g_get_monotonic_time() + ms * INT64_C(1000);

	do {
		struct sockaddr_storage ss;
		socklen_t slen = sizeof(ss);
		ssize_t n = recvfrom(fd, buf, len, 0, (struct sockaddr *)&ss, &slen);

		if (n >= 0) {
			if (from != NULL)
				core_addr_from_sockaddr(from, (struct sockaddr *)&ss, slen);
			return n;
		}
		g_main_context_iteration(NULL, FALSE);
		g_usleep(1000);
	} while (g_get_monotonic_time() < until);
	return -1;
}

static void send_to(int fd, const struct core_addr *to, char fill, size_t n)
{
	uint8_t buf[64];

	memset(buf, fill, n);
	g_assert_cmpint(sendto(fd, buf, n, 0, (const struct sockaddr *)&to->ss, to->len), ==, n);
}

/* The relay's listening address on 127.0.0.1. */
static void relay_addr(struct gt_relay *r, struct core_addr *a)
{
	g_assert_cmpint(core_addr_parse(a, "127.0.0.1:0"), ==, CORE_OK);
	core_addr_set_port(a, gt_relay_port(r));
}

static void test_udp_follow(void)
{
	struct gt_relay_config cfg = { .idle_us = 60 * G_USEC_PER_SEC, .name = "test" };
	struct core_addr ra, ca, up;
	struct done d = { false };
	uint8_t buf[64];
	int target = lo_socket(SOCK_DGRAM, &cfg.target);
	int a = lo_socket(SOCK_DGRAM, &ca), b = lo_socket(SOCK_DGRAM, &ca);
	struct gt_relay *r = gt_relay_new(&cfg, on_done, &d, NULL);

	g_assert_nonnull(r);
	relay_addr(r, &ra);
	send_to(a, &ra, 'a', 32); /* A's datagram reaches the target */
	g_assert_cmpint(recv_looping(target, buf, sizeof(buf), &up, 2000), ==, 32);
	g_assert_cmpint(buf[0], ==, 'a');
	send_to(target, &up, 'R', 40); /* the reply goes to A */
	g_assert_cmpint(recv_looping(a, buf, sizeof(buf), NULL, 2000), ==, 40);
	g_assert_cmpint(buf[0], ==, 'R');
	send_to(b, &ra, 'b', 32); /* B sends: B now gets the replies (migration) */
	g_assert_cmpint(recv_looping(target, buf, sizeof(buf), NULL, 2000), ==, 32);
	g_assert_cmpint(buf[0], ==, 'b');
	send_to(a, &ra, 'x', GT_RELAY_MIN_DATAGRAM - 1); /* too short: dropped, not followed */
	g_assert_cmpint(recv_looping(target, buf, sizeof(buf), NULL, 200), ==, -1);
	send_to(target, &up, 'S', 33);
	g_assert_cmpint(recv_looping(b, buf, sizeof(buf), NULL, 2000), ==, 33);
	g_assert_cmpint(recv_looping(a, buf, sizeof(buf), NULL, 100), ==, -1);
	g_assert_false(d.ended);

	/* the session's port closes: the probes meet port unreachable, the relay ends */
	close(target);
	for (int i = 0; i < 5000 && !d.ended; i++) {
		g_main_context_iteration(NULL, FALSE);
		g_usleep(1000);
	}
	g_assert_true(d.ended);
	g_assert_cmpstr(d.reason, ==, "the session is gone (its port is unreachable)");
	gt_relay_free(r);
	close(a);
	close(b);
}

static void test_no_client(void)
{
	struct gt_relay_config cfg = { .idle_us = 60 * G_USEC_PER_SEC,
				       .first_wait_us = 300 * 1000,
				       .name = "test" };
	struct done d = { false };
	int target = lo_socket(SOCK_DGRAM, &cfg.target); /* open: the probes are not refused */
	int64_t t0 = g_get_monotonic_time();
	struct gt_relay *r = gt_relay_new(&cfg, on_done, &d, NULL);

	g_assert_nonnull(r);
	while (!d.ended && g_get_monotonic_time() - t0 < 5 * G_USEC_PER_SEC)
		g_main_context_iteration(NULL, TRUE);
	g_assert_true(d.ended);
	g_assert_cmpstr(d.reason, ==, "no client came");
	g_assert_cmpint(g_get_monotonic_time() - t0, <, 2500 * 1000); /* the next tick */
	gt_relay_free(r);
	close(target);
}

static void test_tcp(void)
{
	struct gt_relay_config cfg = { .idle_us = 60 * G_USEC_PER_SEC, .name = "test" };
	struct done d = { false };
	struct core_addr ra;
	int listener = lo_socket(SOCK_STREAM, &cfg.target), c, t = -1;
	struct gt_relay *r = gt_relay_new(&cfg, on_done, &d, NULL);
	char buf[16];
	ssize_t n = -1;

	g_assert_nonnull(r);
	relay_addr(r, &ra);
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	g_assert_cmpint(connect(c, (struct sockaddr *)&ra.ss, ra.len), ==, 0);
	g_assert_cmpint(send(c, "hello", 5, 0), ==, 5);
	for (int i = 0; i < 3000 && n <= 0; i++) { /* the target accepts and reads */
		g_main_context_iteration(NULL, FALSE);
		if (t < 0)
			t = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (t >= 0)
			n = recv(t, buf, sizeof(buf), 0);
		g_usleep(1000);
	}
	g_assert_cmpint(n, ==, 5);
	g_assert_cmpint(memcmp(buf, "hello", 5), ==, 0);
	g_assert_cmpint(send(t, "world!", 6, 0), ==, 6);
	g_assert_cmpint(fcntl(c, F_SETFL, O_NONBLOCK), ==, 0);
	n = -1;
	for (int i = 0; i < 3000 && n <= 0; i++) {
		g_main_context_iteration(NULL, FALSE);
		n = recv(c, buf, sizeof(buf), 0);
		g_usleep(1000);
	}
	g_assert_cmpint(n, ==, 6);
	g_assert_cmpint(memcmp(buf, "world!", 6), ==, 0);

	/* freed with the connection open: cancelled, both ends closed from the loop */
	gt_relay_free(r);
	n = -1;
	for (int i = 0; i < 3000 && n != 0; i++) {
		g_main_context_iteration(NULL, FALSE);
		n = recv(c, buf, sizeof(buf), 0);
		g_usleep(1000);
	}
	g_assert_cmpint(n, ==, 0);
	g_assert_false(d.ended);
	close(c);
	close(t);
	close(listener);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/relay/udp-follow", test_udp_follow);
	g_test_add_func("/relay/no-client", test_no_client);
	g_test_add_func("/relay/tcp", test_tcp);
	return g_test_run();
}
