/* udprx.c - batch receive on a UDP socket (contract in udprx.h). */
#include "core/udprx.h"

#include <errno.h>
#include <glib.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>

#define GRO_CMSG CMSG_SPACE(sizeof(int))

struct core_udprx {
	size_t msg_max;
	struct mmsghdr msg[CORE_UDPRX_BATCH];
	struct iovec iov[CORE_UDPRX_BATCH];
	struct sockaddr_storage from[CORE_UDPRX_BATCH];
	uint8_t ctl[CORE_UDPRX_BATCH][GRO_CMSG];
	uint8_t *buf; /* CORE_UDPRX_BATCH x msg_max */
};

struct core_udprx *core_udprx_new(size_t msg_max)
{
	struct core_udprx *rx = g_new0(struct core_udprx, 1);

	rx->msg_max = msg_max;
	rx->buf = g_malloc(CORE_UDPRX_BATCH * msg_max);
	for (int i = 0; i < CORE_UDPRX_BATCH; i++) {
		rx->iov[i].iov_base = rx->buf + (size_t)i * msg_max;
		rx->iov[i].iov_len = msg_max;
		rx->msg[i].msg_hdr.msg_name = &rx->from[i];
		rx->msg[i].msg_hdr.msg_iov = &rx->iov[i];
		rx->msg[i].msg_hdr.msg_iovlen = 1;
		rx->msg[i].msg_hdr.msg_control = rx->ctl[i];
	}
	return rx;
}

void core_udprx_free(struct core_udprx *rx)
{
	if (rx == NULL)
		return;
	g_free(rx->buf);
	g_free(rx);
}

bool core_udprx_gro(int fd)
{
	int on = 1;

	return setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof(on)) == 0;
}

/* The segment size of a GRO message (its UDP_GRO control message), or 0. */
static size_t gro_size(const struct msghdr *h)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c != NULL;
	     c = CMSG_NXTHDR((struct msghdr *)h, c)) {
		int size = 0;

		if (c->cmsg_level != SOL_UDP || c->cmsg_type != UDP_GRO)
			continue;
		if (c->cmsg_len >= CMSG_LEN(sizeof(int)))
			memcpy(&size, CMSG_DATA(c), sizeof(int));
		return size > 0 ? (size_t)size : 0;
	}
	return 0;
}

unsigned core_udprx_read(struct core_udprx *rx, int fd, unsigned budget, core_udprx_fn fn,
			 void *ctx, int *err)
{
	unsigned done = 0, handed = 0;
	int n;

	*err = 0;
	while (handed < budget) {
		for (int i = 0; i < CORE_UDPRX_BATCH; i++) {
			rx->msg[i].msg_hdr.msg_namelen = sizeof(rx->from[i]);
			rx->msg[i].msg_hdr.msg_controllen = GRO_CMSG;
			rx->msg[i].msg_hdr.msg_flags = 0;
		}
		n = recvmmsg(fd, rx->msg, CORE_UDPRX_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			*err = errno;
		if (n <= 0)
			break;
		for (int i = 0; i < n; i++) {
			const struct msghdr *h = &rx->msg[i].msg_hdr;
			size_t len = rx->msg[i].msg_len, seg = gro_size(h);

			handed += fn(ctx, (const struct sockaddr *)&rx->from[i], h->msg_namelen,
				     rx->iov[i].iov_base, len, seg == 0 ? len : seg);
		}
		done += (unsigned)n;
		if (n < CORE_UDPRX_BATCH)
			break;
	}
	return done;
}
