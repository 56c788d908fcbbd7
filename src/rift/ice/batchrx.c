/* batchrx.c - batch receive beside libnice's socket (contract in batchrx.h). */
#include "rift/ice/batchrx.h"

#include <errno.h>
#include <glib-unix.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/udprx.h"

#ifndef SO_ATTACH_REUSEPORT_CBPF
#define SO_ATTACH_REUSEPORT_CBPF 51
#endif
#ifndef SO_DETACH_REUSEPORT_BPF
#define SO_DETACH_REUSEPORT_BPF 68
#endif

#define MSG_MAX	     (65535 + 64) /* a GRO message: up to an IP datagram's payload */
#define RECV_BUDGET  512	  /* datagrams per wakeup, so the TUN side gets its turn */
#define BUFFER_BYTES (4 << 20)	  /* as the WireGuard UDP bind's */
#define STUN_COOKIE  0x2112A442u

/*
 * After a stray datagram UDP_GRO rests this long, then comes back: at most
 * one consent message a minute can be lost this way (ice.c keeps a pair
 * whose datagrams keep coming through unanswered checks) while the offload
 * is kept most of the time (it is what brings a peer's burst in one read).
 */
#define GRO_REST_MS 60000

static unsigned gro_rest_ms = GRO_REST_MS;

/* Socket indexes in the reuseport group: libnice's was there first. */
#define TO_NICE 0
#define TO_US	1

struct rg_ice_batchrx {
	int fd, nice_fd;
	int nice_reuseport; /* SO_REUSEPORT on libnice's socket before us */
	struct sockaddr_storage remote;
	socklen_t remote_len;
	struct core_udprx *rx;
	GSource *source;
	struct rg_ice_batchrx_callbacks cb;
	void *ctx;
	struct rg_ice_batchrx_counts counts;
	bool gro;	    /* UDP_GRO on our socket */
	GSource *gro_timer; /* brings UDP_GRO back after a rest */
	bool failed;
};

/*
 * The steering program: it sees the UDP payload from offset 0 and returns
 * the group index of the socket that gets the datagram. WireGuard-shaped
 * (rtc/demux.h): the first word is 0x0N000000 with N 1-4 and the second
 * is not STUN's magic cookie. A load past the end (under 8 bytes) ends
 * the program with 0: libnice's.
 */
static const struct sock_filter steer[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x01000000, 4, 0),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x02000000, 3, 0),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x03000000, 2, 0),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x04000000, 1, 0),
	BPF_STMT(BPF_RET | BPF_K, TO_NICE),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 4),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, STUN_COOKIE, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, TO_NICE),
	BPF_STMT(BPF_RET | BPF_K, TO_US),
};

/* The steering program's test in C: is the datagram WireGuard-shaped? */
static bool wg_shaped(const uint8_t *p, size_t len)
{
	return len >= 8 && p[0] >= 1 && p[0] <= 4 && p[1] == 0 && p[2] == 0 && p[3] == 0 &&
	       !(p[4] == 0x21 && p[5] == 0x12 && p[6] == 0xA4 && p[7] == 0x42);
}

void rg_ice_batchrx_test_gro_rest(unsigned ms)
{
	gro_rest_ms = ms;
}

/* The rest is over: the kernel may coalesce again. */
static gboolean on_gro_rest(gpointer data)
{
	struct rg_ice_batchrx *b = data;

	g_source_unref(b->gro_timer); /* the loop holds its own while it dispatches */
	b->gro_timer = NULL;
	b->gro = core_udprx_gro(b->fd);
	return G_SOURCE_REMOVE;
}

/*
 * A datagram of another kind came coalesced behind WireGuard: the kernel
 * merges a flow's packets (GRO) for a socket with UDP_GRO on, and libnice
 * lost it if it was STUN. Off for a rest (GRO_REST_MS): the kernel then
 * merges nothing, and a peer's segmented burst arrives one datagram per
 * message (still read in recvmmsg batches).
 */
static void gro_off(struct rg_ice_batchrx *b)
{
	int off = 0;

	b->gro = false;
	setsockopt(b->fd, SOL_UDP, UDP_GRO, &off, sizeof(off));
	b->gro_timer = g_timeout_source_new(gro_rest_ms);
	g_source_set_callback(b->gro_timer, on_gro_rest, b, NULL);
	g_source_attach(b->gro_timer, g_source_get_context(b->source));
	b->cb.gro_off(b->ctx);
}

/* a and b are the same IP address and port. */
static bool same_addr(const struct sockaddr *a, socklen_t alen, const struct sockaddr *b,
		      socklen_t blen)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET)
		return alen >= sizeof(*a4) && blen >= sizeof(*b4) && a4->sin_port == b4->sin_port &&
		       a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return a->sa_family == AF_INET6 && alen >= sizeof(*a6) && blen >= sizeof(*b6) &&
	       a6->sin6_port == b6->sin6_port &&
	       memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr)) == 0;
}

/* One message: its datagrams to deliver if it came from the pair's remote address. */
static unsigned on_message(void *ctx, const struct sockaddr *from, socklen_t fromlen,
			   const uint8_t *buf, size_t len, size_t seg)
{
	struct rg_ice_batchrx *b = ctx;
	unsigned n = 0;

	if (!same_addr(from, fromlen, (const struct sockaddr *)&b->remote, b->remote_len)) {
		/* libnice would not take it from there either: not the selected pair */
		b->counts.foreign++;
		return 0;
	}
	for (size_t off = 0; off < len; off += seg, n++) {
		/* the first was steered here by its shape; a coalesced one may be anything */
		if (off > 0 && !wg_shaped(buf + off, MIN(seg, len - off))) {
			b->counts.stray++;
			if (b->gro)
				gro_off(b);
		}
		b->cb.deliver(b->ctx, buf + off, MIN(seg, len - off));
	}
	b->counts.datagrams += n;
	b->counts.messages++;
	return n;
}

static gboolean on_readable(gint fd, GIOCondition cond, gpointer data)
{
	struct rg_ice_batchrx *b = data;
	int err;

	if (b->failed)
		return G_SOURCE_CONTINUE;
	core_udprx_read(b->rx, fd, RECV_BUDGET, on_message, b, &err);
	if (err != 0 && err != ECONNREFUSED) {
		b->failed = true;
		b->cb.failed(b->ctx, err); /* may close b */
	}
	return G_SOURCE_CONTINUE;
}

/* Our socket, bound beside nice_fd's address: the fd, or -1 with errno and *why. */
static int open_beside(int nice_fd, const char **why)
{
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);
	int fd = -1, on = 1, v6only = 0, buf = BUFFER_BYTES, e;
	socklen_t olen = sizeof(v6only);

	*why = "getsockname";
	if (getsockname(nice_fd, (struct sockaddr *)&local, &len) < 0)
		return -1;
	*why = "socket";
	fd = socket(local.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* the reuseport group wants both sockets alike */
	if (local.ss_family == AF_INET6 &&
	    getsockopt(nice_fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &olen) == 0)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	*why = "SO_REUSEPORT";
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) < 0)
		goto fail;
	*why = "bind";
	if (bind(fd, (struct sockaddr *)&local, len) < 0)
		goto fail;
	return fd;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

int rg_ice_batchrx_open(struct rg_ice_batchrx **out, int nice_fd, const struct sockaddr *remote,
			socklen_t remote_len, GMainContext *context,
			const struct rg_ice_batchrx_callbacks *cb, void *ctx, const char **why)
{
	const struct sock_fprog prog = { G_N_ELEMENTS(steer), (struct sock_filter *)steer };
	struct rg_ice_batchrx *b = g_new0(struct rg_ice_batchrx, 1);
	socklen_t olen = sizeof(b->nice_reuseport);
	int on = 1, e;

	*out = NULL;
	b->fd = -1;
	b->nice_fd = nice_fd;
	*why = "remote address";
	if (remote_len > sizeof(b->remote)) {
		errno = EINVAL;
		goto fail;
	}
	memcpy(&b->remote, remote, remote_len);
	b->remote_len = remote_len;
	*why = "SO_REUSEPORT on libnice's socket";
	if (getsockopt(nice_fd, SOL_SOCKET, SO_REUSEPORT, &b->nice_reuseport, &olen) < 0 ||
	    setsockopt(nice_fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) < 0)
		goto fail;
	b->fd = open_beside(nice_fd, why);
	if (b->fd < 0)
		goto fail;
	/* the group's program: ours is the second socket (index TO_US) */
	*why = "SO_ATTACH_REUSEPORT_CBPF";
	if (setsockopt(b->fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog)) < 0)
		goto fail;
	b->gro = core_udprx_gro(b->fd); /* without it, one datagram per message: still batched */
	b->rx = core_udprx_new(MSG_MAX);
	b->cb = *cb;
	b->ctx = ctx;
	b->source = g_unix_fd_source_new(b->fd, G_IO_IN);
	g_source_set_callback(b->source, G_SOURCE_FUNC(on_readable), b, NULL);
	g_source_attach(b->source, context);
	*out = b;
	return CORE_OK;
fail:
	e = errno;
	rg_ice_batchrx_close(b);
	errno = e;
	return CORE_ERR_SYSTEM;
}

void rg_ice_batchrx_close(struct rg_ice_batchrx *b)
{
	int off = 0;

	if (b == NULL)
		return;
	if (b->gro_timer != NULL) {
		g_source_destroy(b->gro_timer);
		g_source_unref(b->gro_timer);
	}
	if (b->source != NULL) {
		g_source_destroy(b->source);
		g_source_unref(b->source);
	}
	if (b->fd >= 0) {
		close(b->fd);
		/* libnice's socket alone again: no program, its own SO_REUSEPORT */
		setsockopt(b->nice_fd, SOL_SOCKET, SO_DETACH_REUSEPORT_BPF, &off, sizeof(off));
	}
	setsockopt(b->nice_fd, SOL_SOCKET, SO_REUSEPORT, &b->nice_reuseport,
		   sizeof(b->nice_reuseport));
	core_udprx_free(b->rx);
	g_free(b);
}

bool rg_ice_batchrx_serves(const struct rg_ice_batchrx *b, int nice_fd,
			   const struct sockaddr *remote, socklen_t remote_len)
{
	return b != NULL && b->nice_fd == nice_fd &&
	       same_addr(remote, remote_len, (const struct sockaddr *)&b->remote, b->remote_len);
}

void rg_ice_batchrx_counts(const struct rg_ice_batchrx *b, struct rg_ice_batchrx_counts *out)
{
	if (b == NULL)
		return;
	out->datagrams += b->counts.datagrams;
	out->messages += b->counts.messages;
	out->foreign += b->counts.foreign;
	out->stray += b->counts.stray;
}
