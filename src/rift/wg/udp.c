/*
 * udp.c - the UDP bind (contract in bind.h). Datagrams are received in
 * batches with recvmmsg and sent in batches with sendmmsg: send queues,
 * flush (called by the owner after each burst) writes the queue in one
 * system call. A full queue flushes itself.
 */
#include "rift/wg/bind.h"

#include <errno.h>
#include <glib-unix.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/err.h"
#include "rift/wg/device.h"

#define BATCH	  32
#define DGRAM_MAX (RG_WG_MAX_PACKET + RG_WG_OVERHEAD)
#define SLOT	  2048 /* queued datagrams up to this size; larger ones go at once */

struct udp_bind {
	struct rg_wg_bind base;
	int fd;
	int family;
	uint16_t port;
	GSource *source;
	/* receive */
	struct mmsghdr rmsg[BATCH];
	struct iovec riov[BATCH];
	struct sockaddr_storage rfrom[BATCH];
	uint8_t *rbuf; /* BATCH x DGRAM_MAX */
	/* send queue */
	unsigned nq;
	struct mmsghdr smsg[BATCH];
	struct iovec siov[BATCH];
	struct sockaddr_storage sto[BATCH];
	uint8_t sbuf[BATCH][SLOT];
};

/* An IPv4 address as v4-mapped IPv6 for a dual-stack socket. */
static void to_socket_family(const struct udp_bind *u, const struct core_addr *in,
			     struct sockaddr_storage *out, socklen_t *len)
{
	const struct sockaddr_in *v4 = (const struct sockaddr_in *)&in->ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;

	if (u->family == AF_INET6 && in->ss.ss_family == AF_INET) {
		memset(v6, 0, sizeof(*v6));
		v6->sin6_family = AF_INET6;
		v6->sin6_port = v4->sin_port;
		v6->sin6_addr.s6_addr[10] = 0xff;
		v6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&v6->sin6_addr.s6_addr[12], &v4->sin_addr, 4);
		*len = sizeof(*v6);
		return;
	}
	memcpy(out, &in->ss, in->len);
	*len = in->len;
}

static void udp_flush(struct rg_wg_bind *b)
{
	struct udp_bind *u = (struct udp_bind *)b;
	unsigned done = 0;
	int n;

	while (done < u->nq) {
		n = sendmmsg(u->fd, u->smsg + done, u->nq - done, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			done++; /* skip the datagram that failed (unreachable, buffer full) */
			continue;
		}
		done += (unsigned)n;
	}
	u->nq = 0;
}

static int udp_send(struct rg_wg_bind *b, const struct core_addr *to, const uint8_t *buf,
		    size_t len)
{
	struct udp_bind *u = (struct udp_bind *)b;
	struct sockaddr_storage ss;
	socklen_t slen;
	unsigned i;

	if (to->ss.ss_family == AF_INET6 && u->family == AF_INET)
		return CORE_ERR_INVALID_ARG;
	if (len > SLOT) {
		udp_flush(b);
		to_socket_family(u, to, &ss, &slen);
		return sendto(u->fd, buf, len, 0, (struct sockaddr *)&ss, slen) < 0
			       ? CORE_ERR_SYSTEM
			       : CORE_OK;
	}
	if (u->nq == BATCH)
		udp_flush(b);
	i = u->nq++;
	memcpy(u->sbuf[i], buf, len);
	u->siov[i].iov_base = u->sbuf[i];
	u->siov[i].iov_len = len;
	to_socket_family(u, to, &u->sto[i], &u->smsg[i].msg_hdr.msg_namelen);
	u->smsg[i].msg_hdr.msg_name = &u->sto[i];
	u->smsg[i].msg_hdr.msg_iov = &u->siov[i];
	u->smsg[i].msg_hdr.msg_iovlen = 1;
	return CORE_OK;
}

static gboolean on_readable(gint fd, GIOCondition cond, gpointer data)
{
	struct udp_bind *u = data;
	struct core_addr from;
	int n;

	/* a bounded number of batches per wakeup, so the TUN side gets its turn */
	for (int round = 0; round < 8; round++) {
		for (int i = 0; i < BATCH; i++)
			u->rmsg[i].msg_hdr.msg_namelen = sizeof(u->rfrom[i]);
		n = recvmmsg(fd, u->rmsg, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		for (int i = 0; i < n; i++) {
			if (core_addr_from_sockaddr(&from, (struct sockaddr *)&u->rfrom[i],
						    u->rmsg[i].msg_hdr.msg_namelen) != CORE_OK)
				continue;
			u->base.recv(u->base.ctx, &from, u->riov[i].iov_base, u->rmsg[i].msg_len);
		}
		if (n < BATCH)
			break;
	}
	if (u->base.idle != NULL)
		u->base.idle(u->base.ctx);
	return G_SOURCE_CONTINUE;
}

static void udp_free(struct rg_wg_bind *b)
{
	struct udp_bind *u = (struct udp_bind *)b;

	udp_flush(b);
	if (u->source != NULL) {
		g_source_destroy(u->source);
		g_source_unref(u->source);
	}
	if (u->fd >= 0)
		close(u->fd);
	g_free(u->rbuf);
	g_free(u);
}

static const struct rg_wg_bind_vtable udp_vtable = { udp_send, udp_flush, udp_free };

/* A socket of family bound to port: the fd, or -1 with errno. */
static int open_socket(int family, uint16_t port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int fd, off = 0, buf = 4 << 20;

	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		len = sizeof(*a);
	}
	/* beyond net.core.[rw]mem_max when we may (root), else as far as allowed */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int rg_wg_udp_bind_new(struct rg_wg_bind **out, uint16_t port, GMainContext *context,
		       rg_wg_bind_recv_fn recv, rg_wg_bind_idle_fn idle, void *ctx, GError **error)
{
	struct udp_bind *u = g_new0(struct udp_bind, 1);
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	*out = NULL;
	u->family = AF_INET6;
	u->fd = open_socket(AF_INET6, port);
	if (u->fd < 0 && errno == EAFNOSUPPORT) {
		u->family = AF_INET;
		u->fd = open_socket(AF_INET, port);
	}
	if (u->fd < 0) {
		core_err_to_gerror(error, CORE_ERR_SYSTEM, "cannot bind UDP port %u: %s", port,
				   g_strerror(errno));
		g_free(u);
		return CORE_ERR_SYSTEM;
	}
	getsockname(u->fd, (struct sockaddr *)&ss, &len);
	u->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						 : ((struct sockaddr_in *)&ss)->sin_port);
	u->base.vt = &udp_vtable;
	u->base.recv = recv;
	u->base.idle = idle;
	u->base.ctx = ctx;
	u->rbuf = g_malloc((size_t)BATCH * DGRAM_MAX);
	for (int i = 0; i < BATCH; i++) {
		u->riov[i].iov_base = u->rbuf + (size_t)i * DGRAM_MAX;
		u->riov[i].iov_len = DGRAM_MAX;
		u->rmsg[i].msg_hdr.msg_name = &u->rfrom[i];
		u->rmsg[i].msg_hdr.msg_iov = &u->riov[i];
		u->rmsg[i].msg_hdr.msg_iovlen = 1;
	}
	u->source = g_unix_fd_source_new(u->fd, G_IO_IN);
	g_source_set_callback(u->source, G_SOURCE_FUNC(on_readable), u, NULL);
	g_source_attach(u->source, context);
	*out = &u->base;
	return CORE_OK;
}

uint16_t rg_wg_udp_bind_port(const struct rg_wg_bind *b)
{
	return ((const struct udp_bind *)b)->port;
}
