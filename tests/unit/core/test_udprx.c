/*
 * Unit tests for core/udprx: on a loopback socket pair, one UDP_SEGMENT
 * send of four datagrams (the last shorter) is read as one message cut at
 * the segment size, with the sender's address; plain datagrams come one
 * message each; the budget stops the loop between recvmmsg calls; an empty
 * socket reads nothing and no error.
 */
#include <glib.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>
#include <unistd.h>

#include "core/udprx.h"

struct seen {
	unsigned messages, datagrams;
	size_t len[64], seg[64];
	uint8_t first[64];
	in_port_t port;
};

static unsigned on_message(void *ctx, const struct sockaddr *from, socklen_t fromlen,
			   const uint8_t *buf, size_t len, size_t seg)
{
	struct seen *s = ctx;
	unsigned n = (unsigned)((len + seg - 1) / seg);

	g_assert_cmpuint(fromlen, ==, sizeof(struct sockaddr_in));
	s->port = ((const struct sockaddr_in *)from)->sin_port;
	s->len[s->messages] = len;
	s->seg[s->messages] = seg;
	s->first[s->messages++] = buf[0];
	s->datagrams += n;
	return n;
}

/* A UDP socket on 127.0.0.1, any port; its address in *a. */
static int bound(struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	g_assert_cmpint(fd, >=, 0);
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	g_assert_cmpint(bind(fd, (struct sockaddr *)a, sizeof(*a)), ==, 0);
	g_assert_cmpint(getsockname(fd, (struct sockaddr *)a, &len), ==, 0);
	return fd;
}

/* Send 3 x 100 bytes and 50 as one UDP_SEGMENT message from fd to a. */
static void send_segmented(int fd, const struct sockaddr_in *a)
{
	uint8_t buf[350];
	uint16_t seg = 100;
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} ctl = { 0 };
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr m = { .msg_name = (void *)a,
			    .msg_namelen = sizeof(*a),
			    .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = ctl.buf,
			    .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i / 100 + 1);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(seg));
	memcpy(CMSG_DATA(c), &seg, sizeof(seg));
	g_assert_cmpint(sendmsg(fd, &m, 0), ==, (ssize_t)sizeof(buf));
}

static void test_gro(void)
{
	struct sockaddr_in ra, sa;
	int r = bound(&ra), s = bound(&sa), err = -1;
	struct core_udprx *rx = core_udprx_new(65535);
	struct seen seen = { 0 };

	if (!core_udprx_gro(r)) {
		g_test_skip("no UDP_GRO in this kernel");
		goto out;
	}
	send_segmented(s, &ra);
	g_usleep(10000);
	g_assert_cmpuint(core_udprx_read(rx, r, 512, on_message, &seen, &err), ==, 1);
	g_assert_cmpint(err, ==, 0);
	g_assert_cmpuint(seen.len[0], ==, 350);
	g_assert_cmpuint(seen.seg[0], ==, 100);
	g_assert_cmpuint(seen.datagrams, ==, 4);
	g_assert_cmpuint(seen.first[0], ==, 1);
	g_assert_cmpuint(seen.port, ==, sa.sin_port);
	/* nothing left: no message, no error */
	g_assert_cmpuint(core_udprx_read(rx, r, 512, on_message, &seen, &err), ==, 0);
	g_assert_cmpint(err, ==, 0);
out:
	core_udprx_free(rx);
	close(r);
	close(s);
}

static void test_plain_and_budget(void)
{
	struct sockaddr_in ra, sa;
	int r = bound(&ra), s = bound(&sa), err = -1;
	struct core_udprx *rx = core_udprx_new(2048);
	struct seen seen = { 0 };
	uint8_t b = 0;

	/* 40 datagrams: a budget of 1 still reads one whole recvmmsg batch */
	for (unsigned i = 0; i < 40; i++) {
		b = (uint8_t)i;
		g_assert_cmpint(sendto(s, &b, 1, 0, (struct sockaddr *)&ra, sizeof(ra)), ==, 1);
	}
	g_usleep(10000);
	g_assert_cmpuint(core_udprx_read(rx, r, 1, on_message, &seen, &err), ==, CORE_UDPRX_BATCH);
	g_assert_cmpuint(seen.datagrams, ==, CORE_UDPRX_BATCH);
	g_assert_cmpuint(seen.seg[0], ==, 1);
	g_assert_cmpuint(seen.first[CORE_UDPRX_BATCH - 1], ==, CORE_UDPRX_BATCH - 1);
	g_assert_cmpuint(core_udprx_read(rx, r, 512, on_message, &seen, &err), ==,
			 40 - CORE_UDPRX_BATCH);
	g_assert_cmpuint(seen.datagrams, ==, 40);
	g_assert_cmpint(err, ==, 0);
	core_udprx_free(rx);
	core_udprx_free(NULL);
	close(r);
	close(s);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/core/udprx/gro", test_gro);
	g_test_add_func("/core/udprx/plain-and-budget", test_plain_and_budget);
	return g_test_run();
}
