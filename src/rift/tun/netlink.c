/* netlink.c - rtnetlink requests and their acks over libmnl (see netlink.h). */
#include "rift/tun/netlink.h"

#include <errno.h>
#include <glib.h>
#include <libmnl/libmnl.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "core/err.h"

#define NL_MAX_ERRNO 4095 /* the kernel's MAX_ERRNO */

struct rg_nl {
	struct mnl_socket *sock;
	uint32_t seq; /* of the last request sent */
};

/* Record err_no in res and return rc. */
static int nl_fail(struct rg_nl_result *res, int err_no, int rc)
{
	res->err_no = err_no;
	return rc;
}

/* Receive timeout, extended acks, and acks without a copy of the request. */
static int nl_set_options(struct mnl_socket *sock)
{
	struct timeval tv = {
		.tv_sec = RG_NL_TIMEOUT_MS / 1000,
		.tv_usec = (RG_NL_TIMEOUT_MS % 1000) * 1000,
	};
	int on = 1;

	if (setsockopt(mnl_socket_get_fd(sock), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return CORE_ERR_SYSTEM;
	/* Both optional (Linux >= 4.12 and 4.3): without them acks are only plainer or longer. */
	(void)mnl_socket_setsockopt(sock, NETLINK_EXT_ACK, &on, sizeof(on));
	(void)mnl_socket_setsockopt(sock, NETLINK_CAP_ACK, &on, sizeof(on));
	return CORE_OK;
}

int rg_nl_open(struct rg_nl **out)
{
	return rg_nl_open_proto(out, NETLINK_ROUTE);
}

int rg_nl_open_proto(struct rg_nl **out, int protocol)
{
	struct mnl_socket *sock;
	struct rg_nl *nl;
	int rc = CORE_ERR_SYSTEM, saved;

	*out = NULL;
	sock = mnl_socket_open2(protocol, SOCK_CLOEXEC);
	if (sock == NULL)
		goto out;
	if (mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0 || nl_set_options(sock) < 0)
		goto out;
	nl = g_new0(struct rg_nl, 1);
	nl->sock = sock;
	sock = NULL;
	nl->seq = g_random_int();
	*out = nl;
	rc = CORE_OK;
out:
	if (sock != NULL) {
		saved = errno;
		mnl_socket_close(sock);
		errno = saved;
	}
	return rc;
}

void rg_nl_close(struct rg_nl *nl)
{
	if (nl == NULL)
		return;
	mnl_socket_close(nl->sock);
	g_free(nl);
}

void *rg_nl_request(union rg_nl_buf *buf, uint16_t type, uint16_t flags, size_t hdrlen)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf->bytes);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags | NLM_F_REQUEST | NLM_F_ACK;
	return mnl_nlmsg_put_extra_header(nlh, hdrlen);
}

/*
 * Copy the extended ack's text, if any. The attributes follow the nlmsgerr
 * and, unless the kernel capped it, the echoed request: its length comes
 * from the ack, so the offset is checked against the ack's own size, and the
 * walk stops at the message's exact end (libmnl's payload tail rounds up).
 */
static void nl_ext_msg(const struct nlmsghdr *nlh, const struct nlmsgerr *e,
		       struct rg_nl_result *res)
{
	size_t off = sizeof(*e), len = mnl_nlmsg_get_payload_len(nlh), echo;
	const struct nlattr *attr; /* named for libmnl's mnl_attr_for_each_payload */
	const struct nlattr *attrs;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED) && e->msg.nlmsg_len >= sizeof(struct nlmsghdr)) {
		echo = e->msg.nlmsg_len - sizeof(struct nlmsghdr);
		if (echo > len)
			return;
		off += MNL_ALIGN(echo);
	}
	if (off >= len)
		return;
	attrs = (const struct nlattr *)((const char *)mnl_nlmsg_get_payload(nlh) + off);
	mnl_attr_for_each_payload(attrs, len - off)
	{
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			g_strlcpy(res->msg, mnl_attr_get_str(attr), sizeof(res->msg));
	}
}

/* An NLMSG_ERROR for our request: error 0 is the ack, else a negative errno. */
static int nl_parse_ack(const struct nlmsghdr *nlh, struct rg_nl_result *res)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	memset(res, 0, sizeof(*res));
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
		return nl_fail(res, EPROTO, CORE_ERR_BAD_FORMAT);
	if (e->error == 0)
		return CORE_OK;
	nl_ext_msg(nlh, e, res);
	/* The kernel's errnos are 1..NL_MAX_ERRNO; anything else (INT_MIN: no negation) is garbage. */
	return nl_fail(res, e->error < 0 && e->error >= -NL_MAX_ERRNO ? -e->error : EPROTO,
		       CORE_ERR_SYSTEM);
}

/*
 * The whole message at off in a datagram of len bytes, or NULL. Checked in
 * size_t: libmnl's mnl_nlmsg_ok compares nlmsg_len as an int, so a length of
 * 2^31 or more would pass, and its aligned step wraps to 0 (an endless loop).
 */
static const struct nlmsghdr *nl_msg_at(const void *buf, size_t len, size_t off)
{
	const struct nlmsghdr *nlh;

	if (off > len || len - off < sizeof(*nlh))
		return NULL;
	nlh = (const struct nlmsghdr *)((const char *)buf + off);
	if (nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > len - off)
		return NULL;
	return nlh;
}

int rg_nl_parse_ack(const void *buf, size_t len, uint32_t seq, struct rg_nl_result *res)
{
	const struct nlmsghdr *nlh;
	size_t off = 0;

	while ((nlh = nl_msg_at(buf, len, off)) != NULL) {
		/* Replies to an earlier request that timed out carry an older seq. */
		if (nlh->nlmsg_seq == seq && nlh->nlmsg_type == NLMSG_ERROR)
			return nl_parse_ack(nlh, res);
		off += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	return CORE_ERR_AGAIN;
}

/*
 * One datagram into buf: its length, 0 for one that did not come from the
 * kernel (port id != 0: another socket may write to ours, and only the
 * kernel answers requests), or a negative code with res filled.
 */
static ssize_t nl_recv(struct rg_nl *nl, union rg_nl_buf *buf, struct rg_nl_result *res)
{
	struct sockaddr_nl from;
	socklen_t fromlen;
	ssize_t n;

	do {
		fromlen = sizeof(from);
		n = recvfrom(mnl_socket_get_fd(nl->sock), buf->bytes, sizeof(buf->bytes), 0,
			     (struct sockaddr *)&from, &fromlen);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return nl_fail(res, ETIMEDOUT, CORE_ERR_TIMEOUT);
	if (n < 0)
		return nl_fail(res, errno, CORE_ERR_SYSTEM);
	if (fromlen != sizeof(from) || from.nl_pid != 0)
		return 0;
	return n;
}

/* Read until seq's ack arrives or RG_NL_TIMEOUT_MS has passed. */
static int nl_wait_ack(struct rg_nl *nl, uint32_t seq, struct rg_nl_result *res)
{
	gint64 deadline = g_get_monotonic_time() + RG_NL_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
	union rg_nl_buf *buf = g_new(union rg_nl_buf, 1);
	ssize_t n;
	int rc = CORE_ERR_AGAIN;

	while (rc == CORE_ERR_AGAIN) {
		n = nl_recv(nl, buf, res);
		if (n < 0) {
			rc = (int)n;
			goto out;
		}
		rc = rg_nl_parse_ack(buf, (size_t)n, seq, res);
		if (rc == CORE_ERR_AGAIN && g_get_monotonic_time() > deadline)
			rc = nl_fail(res, ETIMEDOUT, CORE_ERR_TIMEOUT);
	}
out:
	g_free(buf);
	return rc;
}

int rg_nl_transact(struct rg_nl *nl, struct nlmsghdr *nlh, struct rg_nl_result *res)
{
	memset(res, 0, sizeof(*res));
	nlh->nlmsg_seq = ++nl->seq;
	nlh->nlmsg_pid = 0; /* to the kernel */
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return nl_fail(res, errno, CORE_ERR_SYSTEM);
	return nl_wait_ack(nl, nlh->nlmsg_seq, res);
}

/* --- queries: GET requests and dumps ------------------------------------- */

/* The end of a dump: its payload is the dump's error code (0 when complete). */
static int nl_parse_done(const struct nlmsghdr *nlh, struct rg_nl_result *res)
{
	int error;

	memset(res, 0, sizeof(*res));
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(error))
		return nl_fail(res, EPROTO, CORE_ERR_BAD_FORMAT);
	memcpy(&error, mnl_nlmsg_get_payload(nlh), sizeof(error));
	if (error == 0)
		return CORE_OK;
	return nl_fail(res, error < 0 && error >= -NL_MAX_ERRNO ? -error : EPROTO, CORE_ERR_SYSTEM);
}

int rg_nl_parse_replies(const void *buf, size_t len, uint32_t seq, rg_nl_reply_fn fn, void *data,
			struct rg_nl_result *res)
{
	const struct nlmsghdr *nlh;
	size_t off = 0;
	int rc;

	while ((nlh = nl_msg_at(buf, len, off)) != NULL) {
		off += NLMSG_ALIGN(nlh->nlmsg_len);
		if (nlh->nlmsg_seq != seq || nlh->nlmsg_type == NLMSG_NOOP)
			continue;
		if (nlh->nlmsg_type == NLMSG_ERROR)
			return nl_parse_ack(nlh, res);
		if (nlh->nlmsg_type == NLMSG_DONE)
			return nl_parse_done(nlh, res);
		rc = fn != NULL ? fn(nlh, data) : CORE_OK;
		if (rc < 0)
			return rc;
	}
	return CORE_ERR_AGAIN;
}

/* What rg_nl_query hands rg_nl_parse_replies: the caller's fn, called until it fails. */
struct nl_query {
	rg_nl_reply_fn fn;
	void *data;
	int rc; /* fn's first failure, or CORE_OK */
};

static int nl_query_reply(const struct nlmsghdr *nlh, void *data)
{
	struct nl_query *q = data;

	if (q->rc == CORE_OK)
		q->rc = q->fn(nlh, q->data);
	return CORE_OK;
}

int rg_nl_query(struct rg_nl *nl, struct nlmsghdr *nlh, rg_nl_reply_fn fn, void *data,
		struct rg_nl_result *res)
{
	gint64 deadline = g_get_monotonic_time() + RG_NL_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
	union rg_nl_buf *buf = g_new(union rg_nl_buf, 1);
	struct nl_query q = { fn, data, CORE_OK };
	ssize_t n;
	int rc = CORE_ERR_AGAIN;

	memset(res, 0, sizeof(*res));
	nlh->nlmsg_seq = ++nl->seq;
	nlh->nlmsg_pid = 0;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0) {
		rc = nl_fail(res, errno, CORE_ERR_SYSTEM);
		goto out;
	}
	while (rc == CORE_ERR_AGAIN) {
		n = nl_recv(nl, buf, res);
		if (n < 0) {
			rc = (int)n;
			goto out;
		}
		rc = rg_nl_parse_replies(buf, (size_t)n, nlh->nlmsg_seq, nl_query_reply, &q, res);
		/* Each datagram of a dump restarts the clock: a long dump is not a hung one. */
		if (n > 0)
			deadline =
				g_get_monotonic_time() + RG_NL_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
		if (rc == CORE_ERR_AGAIN && g_get_monotonic_time() > deadline)
			rc = nl_fail(res, ETIMEDOUT, CORE_ERR_TIMEOUT);
	}
	if (rc == CORE_OK)
		rc = q.rc;
out:
	g_free(buf);
	return rc;
}

/* --- batches ------------------------------------------------------------- */

/* Number every message of the batch in buf; how many ask for an ack. */
static size_t nl_number_batch(struct rg_nl *nl, void *buf, size_t len, uint32_t *first)
{
	struct nlmsghdr *nlh;
	size_t off = 0, acks = 0;

	*first = nl->seq + 1;
	while ((nlh = (struct nlmsghdr *)nl_msg_at(buf, len, off)) != NULL) {
		nlh->nlmsg_seq = ++nl->seq;
		nlh->nlmsg_pid = 0;
		if (nlh->nlmsg_flags & NLM_F_ACK)
			acks++;
		off += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	return acks;
}

/*
 * Count in one datagram the acks of the batch numbered first..first+n-1.
 * CORE_OK while they are acceptances; a refusal fills res and *failed.
 */
static int nl_batch_acks(const void *buf, size_t len, uint32_t first, size_t n, size_t *acked,
			 struct rg_nl_result *res, size_t *failed)
{
	const struct nlmsghdr *nlh;
	size_t off = 0;
	int rc;

	while ((nlh = nl_msg_at(buf, len, off)) != NULL) {
		off += NLMSG_ALIGN(nlh->nlmsg_len);
		if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_seq - first >= n)
			continue;
		rc = nl_parse_ack(nlh, res);
		if (rc != CORE_OK) {
			*failed = nlh->nlmsg_seq - first;
			return rc;
		}
		(*acked)++;
	}
	return CORE_OK;
}

int rg_nl_transact_batch(struct rg_nl *nl, void *buf, size_t len, struct rg_nl_result *res,
			 size_t *failed)
{
	gint64 deadline = g_get_monotonic_time() + RG_NL_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
	union rg_nl_buf *rbuf = g_new(union rg_nl_buf, 1);
	size_t wanted, acked = 0, n_msgs;
	uint32_t first;
	ssize_t n;
	int rc = CORE_OK;

	memset(res, 0, sizeof(*res));
	*failed = SIZE_MAX;
	wanted = nl_number_batch(nl, buf, len, &first);
	n_msgs = nl->seq - first + 1;
	if (mnl_socket_sendto(nl->sock, buf, len) < 0) {
		rc = nl_fail(res, errno, CORE_ERR_SYSTEM);
		goto out;
	}
	while (acked < wanted) {
		n = nl_recv(nl, rbuf, res);
		if (n < 0) {
			rc = (int)n;
			goto out;
		}
		rc = nl_batch_acks(rbuf, (size_t)n, first, n_msgs, &acked, res, failed);
		if (rc != CORE_OK)
			goto out;
		if (acked < wanted && g_get_monotonic_time() > deadline) {
			rc = nl_fail(res, ETIMEDOUT, CORE_ERR_TIMEOUT);
			goto out;
		}
	}
out:
	g_free(rbuf);
	return rc;
}
