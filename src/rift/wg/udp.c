/*
 * udp.c - the UDP bind (contract in udp.h). Datagrams are received in
 * batches with recvmmsg and sent in batches with sendmmsg: send queues,
 * flush (called by the owner after each burst) writes the queue in one
 * system call. A full queue flushes itself.
 *
 * Offloads: at flush, consecutive queued datagrams to one endpoint, all of
 * one size but the last (which may be shorter), go as one message with
 * UDP_SEGMENT (the kernel, or the NIC, cuts it), its iovecs the queue's
 * slots; received messages with a UDP_GRO size are cut back into their
 * datagrams. A kernel without them, or a route whose device cannot
 * checksum (EIO), falls back to one datagram per message, logged once.
 */
#include "rift/wg/udp.h"

#include <errno.h>
#include <glib-unix.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "core/udprx.h"
#include "rift/wg/device.h"

#define RECV_BUDGET 512 /* datagrams handed on per wakeup, so the TUN side gets its turn */
#define QUEUE	    256 /* datagrams queued until flush */
#define DGRAM_MAX   (RG_WG_MAX_PACKET + RG_WG_OVERHEAD)
#define SLOT	    2048	     /* queued datagrams up to this size; larger ones go at once */
#define GSO_SEGS    64		     /* the kernel's UDP_MAX_SEGMENTS */
#define GSO_BYTES   (65535 - 20 - 8) /* an IPv4 datagram's payload at most */
#define GSO_CMSG    CMSG_SPACE(sizeof(uint16_t))

#define EP_V4	    6  /* address, port */
#define EP_V6	    18 /* address, port */
#define EP_V6_SCOPE 22 /* address, port, scope id */

struct udp_bind {
	struct rg_wg_bind base;
	int fd;
	int family;
	uint16_t port;
	bool gso, gro; /* UDP_SEGMENT sends, UDP_GRO receives */
	uint64_t dropped;
	struct rg_wg_udp_counts counts;
	GSource *source;
	struct core_udprx *rx; /* receive batches */
	/* send queue: datagram i in sbuf[i] (siov[i]) to sto[i] (stolen[i] bytes) */
	unsigned nq;
	struct iovec siov[QUEUE];
	struct sockaddr_storage sto[QUEUE];
	socklen_t stolen[QUEUE];
	uint8_t (*sbuf)[SLOT];
	/* messages for one sendmmsg: each a run of the queue */
	struct mmsghdr smsg[QUEUE];
	unsigned sfirst[QUEUE]; /* the run's first datagram */
	uint8_t sctl[QUEUE][GSO_CMSG];
};

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, (uint16_t)(v >> 16));
	put_be16(p + 2, (uint16_t)v);
}

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)get_be16(p) << 16 | get_be16(p + 2);
}

void rg_wg_udp_endpoint_from_addr(struct rg_wg_endpoint *ep, const struct core_addr *a)
{
	const struct sockaddr_in *v4 = (const struct sockaddr_in *)&a->ss;
	const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&a->ss;

	memset(ep, 0, sizeof(*ep));
	if (core_addr_family(a) == AF_INET) {
		memcpy(ep->bytes, &v4->sin_addr, 4);
		put_be16(ep->bytes + 4, ntohs(v4->sin_port));
		ep->len = EP_V4;
	} else if (core_addr_family(a) == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
		/* a dual-stack socket's IPv4 peer: the same endpoint as the IPv4 address */
		memcpy(ep->bytes, &v6->sin6_addr.s6_addr[12], 4);
		put_be16(ep->bytes + 4, ntohs(v6->sin6_port));
		ep->len = EP_V4;
	} else if (core_addr_family(a) == AF_INET6) {
		memcpy(ep->bytes, &v6->sin6_addr, 16);
		put_be16(ep->bytes + 16, ntohs(v6->sin6_port));
		ep->len = EP_V6;
		if (v6->sin6_scope_id != 0) {
			put_be32(ep->bytes + 18, v6->sin6_scope_id);
			ep->len = EP_V6_SCOPE;
		}
	}
}

/* Is the 16-byte address a v4-mapped one (::ffff:a.b.c.d)? */
static bool is_v4_mapped(const uint8_t *a)
{
	static const uint8_t prefix[12] = { [10] = 0xff, [11] = 0xff };

	return memcmp(a, prefix, sizeof(prefix)) == 0;
}

int rg_wg_udp_endpoint_to_addr(const struct rg_wg_endpoint *ep, struct core_addr *out)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)&out->ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->ss;
	const uint8_t *b = ep->bytes;

	memset(out, 0, sizeof(*out));
	if (ep->len == EP_V4) {
		v4->sin_family = AF_INET;
		memcpy(&v4->sin_addr, b, 4);
		v4->sin_port = htons(get_be16(b + 4));
		out->len = sizeof(*v4);
		return CORE_OK;
	}
	/* only the canonical forms: v4-mapped is sent as IPv4, a scope of 0 is none */
	if ((ep->len != EP_V6 && ep->len != EP_V6_SCOPE) || is_v4_mapped(b) ||
	    (ep->len == EP_V6_SCOPE && get_be32(b + 18) == 0))
		return CORE_ERR_INVALID_ARG;
	v6->sin6_family = AF_INET6;
	memcpy(&v6->sin6_addr, b, 16);
	v6->sin6_port = htons(get_be16(b + 16));
	if (ep->len == EP_V6_SCOPE)
		v6->sin6_scope_id = get_be32(b + 18);
	out->len = sizeof(*v6);
	return CORE_OK;
}

/*
 * The socket address for endpoint `to`: an IPv4 one as v4-mapped IPv6 on a
 * dual-stack socket. CORE_OK or CORE_ERR_INVALID_ARG.
 */
static int to_sockaddr(const struct udp_bind *u, const struct rg_wg_endpoint *to,
		       struct sockaddr_storage *out, socklen_t *len)
{
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
	struct core_addr a;

	if (rg_wg_udp_endpoint_to_addr(to, &a) != CORE_OK)
		return CORE_ERR_INVALID_ARG;
	if (u->family == AF_INET && a.ss.ss_family == AF_INET6)
		return CORE_ERR_INVALID_ARG;
	if (u->family == AF_INET6 && a.ss.ss_family == AF_INET) {
		memset(v6, 0, sizeof(*v6));
		v6->sin6_family = AF_INET6;
		v6->sin6_port = ((const struct sockaddr_in *)&a.ss)->sin_port;
		v6->sin6_addr.s6_addr[10] = 0xff;
		v6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&v6->sin6_addr.s6_addr[12], &((const struct sockaddr_in *)&a.ss)->sin_addr,
		       4);
		*len = sizeof(*v6);
		return CORE_OK;
	}
	memcpy(out, &a.ss, a.len);
	*len = a.len;
	return CORE_OK;
}

/* Queued datagrams a and b go to the same endpoint. */
static bool same_dest(const struct udp_bind *u, unsigned a, unsigned b)
{
	return u->stolen[a] == u->stolen[b] && memcmp(&u->sto[a], &u->sto[b], u->stolen[a]) == 0;
}

/*
 * How many datagrams from queue index i one message can carry: with GSO,
 * a run to one endpoint of one size (the last may be shorter), at most
 * GSO_SEGS and GSO_BYTES; else 1.
 */
static unsigned run_length(const struct udp_bind *u, unsigned i)
{
	size_t size = u->siov[i].iov_len, total = size;
	unsigned j = i + 1;

	if (!u->gso)
		return 1;
	while (j < u->nq && j - i < GSO_SEGS && u->siov[j - 1].iov_len == size &&
	       u->siov[j].iov_len <= size && total + u->siov[j].iov_len <= GSO_BYTES &&
	       same_dest(u, i, j))
		total += u->siov[j++].iov_len;
	return j - i;
}

/* Build messages for the queue from datagram `from` on; how many. */
static unsigned build_messages(struct udp_bind *u, unsigned from)
{
	unsigned n = 0;

	for (unsigned i = from; i < u->nq; n++) {
		struct msghdr *h = &u->smsg[n].msg_hdr;
		unsigned run = run_length(u, i);
		uint16_t size = (uint16_t)u->siov[i].iov_len;

		memset(h, 0, sizeof(*h));
		h->msg_name = &u->sto[i];
		h->msg_namelen = u->stolen[i];
		h->msg_iov = &u->siov[i];
		h->msg_iovlen = run;
		if (run > 1) {
			struct cmsghdr *c = (struct cmsghdr *)u->sctl[n];

			h->msg_control = u->sctl[n];
			h->msg_controllen = GSO_CMSG;
			c->cmsg_level = SOL_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(size));
			memcpy(CMSG_DATA(c), &size, sizeof(size));
		}
		u->sfirst[n] = i;
		i += run;
	}
	return n;
}

/* UDP_SEGMENT refused: off from now on, said once. */
static void gso_off(struct udp_bind *u, int err)
{
	u->gso = false;
	core_log_info("wg", NULL,
		      "UDP port %u: segmentation offload refused (%s): one datagram per message",
		      u->port, g_strerror(err));
}

static void udp_flush(struct rg_wg_bind *b)
{
	struct udp_bind *u = (struct udp_bind *)b;
	unsigned done = 0, nmsg = build_messages(u, 0);
	int n;

	while (done < nmsg) {
		n = sendmmsg(u->fd, u->smsg + done, nmsg - done, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EIO && u->gso && u->smsg[done].msg_hdr.msg_iovlen > 1) {
			/* the route's device cannot checksum, which UDP_SEGMENT needs */
			gso_off(u, errno);
			nmsg = build_messages(u, u->sfirst[done]); /* the rest, one by one */
			done = 0;
			continue;
		}
		if (n <= 0) {
			/* skip the message that failed (unreachable, buffer full): it is lost */
			u->dropped += u->smsg[done].msg_hdr.msg_iovlen;
			done++;
			continue;
		}
		for (int k = 0; k < n; k++)
			u->counts.tx_datagrams += u->smsg[done + (unsigned)k].msg_hdr.msg_iovlen;
		u->counts.tx_messages += (unsigned)n;
		done += (unsigned)n;
	}
	u->nq = 0;
}

/* Send one datagram at once: CORE_OK, CORE_ERR_AGAIN (buffer full) or CORE_ERR_SYSTEM. */
static int send_now(struct udp_bind *u, const struct sockaddr_storage *ss, socklen_t slen,
		    const uint8_t *buf, size_t len)
{
	ssize_t n;

	do
		n = sendto(u->fd, buf, len, 0, (const struct sockaddr *)ss, slen);
	while (n < 0 && errno == EINTR);
	if (n >= 0) {
		u->counts.tx_datagrams++;
		u->counts.tx_messages++;
		return CORE_OK;
	}
	u->dropped++;
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS ? CORE_ERR_AGAIN
									   : CORE_ERR_SYSTEM;
}

static int udp_send(struct rg_wg_bind *b, const struct rg_wg_endpoint *to, const uint8_t *buf,
		    size_t len)
{
	struct udp_bind *u = (struct udp_bind *)b;
	struct sockaddr_storage ss;
	socklen_t slen;
	unsigned i;

	if (to_sockaddr(u, to, &ss, &slen) != CORE_OK) {
		u->dropped++;
		return CORE_ERR_INVALID_ARG;
	}
	if (len > SLOT) {
		udp_flush(b);
		return send_now(u, &ss, slen, buf, len);
	}
	if (u->nq == QUEUE)
		udp_flush(b);
	i = u->nq++;
	memcpy(u->sbuf[i], buf, len);
	memcpy(&u->sto[i], &ss, slen);
	u->stolen[i] = slen;
	u->siov[i].iov_base = u->sbuf[i];
	u->siov[i].iov_len = len;
	return CORE_OK;
}

static bool udp_format(const struct rg_wg_bind *b, const struct rg_wg_endpoint *ep, char *out,
		       size_t outlen)
{
	struct core_addr a;

	if (rg_wg_udp_endpoint_to_addr(ep, &a) != CORE_OK)
		return false;
	core_addr_format(&a, out, outlen);
	return true;
}

/* A received message: its datagrams (cut at the GRO size) to recv; how many. */
static unsigned deliver(void *ctx, const struct sockaddr *sa, socklen_t salen, const uint8_t *p,
			size_t len, size_t seg)
{
	struct udp_bind *u = ctx;
	struct rg_wg_endpoint from;
	struct core_addr a;
	unsigned n = 0;

	if (core_addr_from_sockaddr(&a, sa, salen) != CORE_OK)
		return 0;
	rg_wg_udp_endpoint_from_addr(&from, &a);
	for (size_t off = 0; off < len && u->base.recv != NULL; off += seg, n++)
		u->base.recv(u->base.ctx, &from, p + off, MIN(seg, len - off));
	u->counts.rx_datagrams += n;
	u->counts.rx_messages++;
	return n;
}

static gboolean on_readable(gint fd, GIOCondition cond, gpointer data)
{
	struct udp_bind *u = data;
	int err;

	/* a bounded number of datagrams per wakeup, so the TUN side gets its turn */
	core_udprx_read(u->rx, fd, RECV_BUDGET, deliver, u, &err);
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
	core_udprx_free(u->rx);
	g_free(u->sbuf);
	g_free(u);
}

static const struct rg_wg_bind_vtable udp_vtable = { udp_send, udp_flush, udp_format, udp_free };

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

/* Which offloads the kernel has for the socket: UDP_SEGMENT (4.18), UDP_GRO (5.0); logged if not. */
static void offloads(struct udp_bind *u)
{
	int size = 0;
	socklen_t len = sizeof(size);

	u->gso = getsockopt(u->fd, SOL_UDP, UDP_SEGMENT, &size, &len) == 0;
	u->gro = core_udprx_gro(u->fd);
	if (!u->gso || !u->gro)
		core_log_info("wg", NULL, "UDP port %u: no %s offload in this kernel", u->port,
			      !u->gso && !u->gro ? "segmentation or receive"
			      : !u->gso		 ? "segmentation"
						 : "receive");
}

int rg_wg_udp_bind_new(struct rg_wg_bind **out, uint16_t port, GMainContext *context,
		       GError **error)
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
	u->rx = core_udprx_new(DGRAM_MAX);
	u->sbuf = g_malloc((size_t)QUEUE * SLOT);
	offloads(u);
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

uint64_t rg_wg_udp_bind_dropped(const struct rg_wg_bind *b)
{
	return ((const struct udp_bind *)b)->dropped;
}

void rg_wg_udp_bind_counts(const struct rg_wg_bind *b, struct rg_wg_udp_counts *out)
{
	*out = ((const struct udp_bind *)b)->counts;
}
