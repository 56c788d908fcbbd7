/*
 * netlink.h - a small rtnetlink client (libmnl): build a request, send it
 * with NLM_F_ACK, read the kernel's acknowledgement and report its errno and,
 * when the kernel gives one, its extended-ack text ("Device for nexthop is
 * not up").
 *
 * The socket is blocking with a receive timeout (RG_NL_TIMEOUT_MS), so a
 * request never hangs. One request is in flight at a time; replies to older,
 * timed-out requests are recognised by their sequence number and skipped.
 *
 * Ownership: rg_nl_open returns a socket the caller frees with rg_nl_close.
 * Threading: none; one owner thread per socket.
 */
#pragma once

#include <linux/netlink.h>
#include <stddef.h>
#include <stdint.h>

#define RG_NL_TIMEOUT_MS 2000 /* longest wait for an ack: the kernel answers in microseconds */
#define RG_NL_BUFSIZE	 8192 /* a request or a reply datagram (MNL_SOCKET_BUFFER_SIZE) */
#define RG_NL_MSG_MAX	 160  /* extended-ack text kept, with the NUL */

struct rg_nl;

/* Room for one request or one reply datagram, aligned for its header. */
union rg_nl_buf {
	struct nlmsghdr hdr;
	char bytes[RG_NL_BUFSIZE];
};

/* What a failed request reports: always a positive errno, and maybe the kernel's text. */
struct rg_nl_result {
	int err_no;		 /* the kernel's error, or the socket call's; ETIMEDOUT, EPROTO */
	char msg[RG_NL_MSG_MAX]; /* extended ack message, "" when none */
};

/*
 * Open a NETLINK_ROUTE socket bound to a kernel-chosen port id, with extended
 * acks on and a RG_NL_TIMEOUT_MS receive timeout. CORE_OK, or
 * CORE_ERR_SYSTEM with errno set (*out is NULL on failure).
 */
int rg_nl_open(struct rg_nl **out);

/* As rg_nl_open, for another netlink protocol (NETLINK_NETFILTER for nftables). */
int rg_nl_open_proto(struct rg_nl **out, int protocol);

/* Close the socket and free it. NULL-safe. */
void rg_nl_close(struct rg_nl *nl);

/*
 * Start a request in buf: type, flags | NLM_F_REQUEST | NLM_F_ACK, and a
 * zeroed family header of hdrlen bytes (struct ifinfomsg, ifaddrmsg, rtmsg),
 * which is returned. Attributes are then added to &buf->hdr with libmnl's
 * mnl_attr_put_* (a request is a few dozen bytes, far below the buffer).
 */
void *rg_nl_request(union rg_nl_buf *buf, uint16_t type, uint16_t flags, size_t hdrlen);

/*
 * Send nlh (its sequence number is assigned here) and wait for its ack.
 * CORE_OK when the kernel accepted it. Otherwise res is filled and the code
 * is CORE_ERR_SYSTEM (the kernel refused, or send/recv failed),
 * CORE_ERR_TIMEOUT (no ack within RG_NL_TIMEOUT_MS; err_no ETIMEDOUT) or
 * CORE_ERR_BAD_FORMAT (a truncated ack; err_no EPROTO).
 */
int rg_nl_transact(struct rg_nl *nl, struct nlmsghdr *nlh, struct rg_nl_result *res);

/*
 * Find the ack of request seq in one received datagram of len bytes (buf
 * aligned for struct nlmsghdr). Pure; every length in it is checked against
 * len, so any bytes are safe (fuzzed). CORE_OK (the request was accepted),
 * CORE_ERR_SYSTEM (refused: res->err_no > 0, res->msg the extended-ack text
 * or ""), CORE_ERR_BAD_FORMAT (an ack too short for its error code; err_no
 * EPROTO), or CORE_ERR_AGAIN (no ack for seq in it; res untouched).
 */
int rg_nl_parse_ack(const void *buf, size_t len, uint32_t seq, struct rg_nl_result *res);

/*
 * A reply to a query (rg_nl_query, rg_nl_parse_replies): one message of the
 * kernel's answer, its length checked against the datagram. Returns CORE_OK
 * to go on, or a negative code.
 */
typedef int (*rg_nl_reply_fn)(const struct nlmsghdr *nlh, void *data);

/*
 * Send the request nlh (a GET, with NLM_F_DUMP for a dump; its sequence
 * number is assigned here) and call fn for every message of the answer
 * until its end (NLMSG_DONE, or the ack: rg_nl_request asks for one).
 * The answer is read to its end even after fn fails (a dump left half-read
 * would make the socket's next dump fail with EBUSY). CORE_OK; fn's first
 * negative code; or, with res filled, CORE_ERR_SYSTEM (the kernel refused,
 * or send/recv failed), CORE_ERR_TIMEOUT (nothing for RG_NL_TIMEOUT_MS),
 * CORE_ERR_BAD_FORMAT (a truncated ack or end).
 */
int rg_nl_query(struct rg_nl *nl, struct nlmsghdr *nlh, rg_nl_reply_fn fn, void *data,
		struct rg_nl_result *res);

/*
 * Walk one received datagram of len bytes for the answer to request seq:
 * fn (NULL: none) for each of its messages other than NLMSG_ERROR,
 * NLMSG_DONE and NLMSG_NOOP, in order; messages of other requests are
 * skipped. Pure, every length checked against len (fuzzed). CORE_OK (the
 * answer ended: NLMSG_DONE, or an ack of 0), CORE_ERR_AGAIN (more to come;
 * res untouched), CORE_ERR_SYSTEM / CORE_ERR_BAD_FORMAT (refused or
 * truncated, res as rg_nl_parse_ack), or fn's negative code at once.
 */
int rg_nl_parse_replies(const void *buf, size_t len, uint32_t seq, rg_nl_reply_fn fn, void *data,
			struct rg_nl_result *res);

/*
 * Send the len bytes of messages in buf as one datagram (an nfnetlink batch:
 * BEGIN, requests, END), every message's sequence number assigned here in
 * order, and wait for the ack of each message that asks for one
 * (NLM_F_ACK). CORE_OK when every one was accepted. Otherwise res is filled
 * (as rg_nl_transact) and, when the kernel refused a message, *failed is
 * its index in buf (0 for the first message); SIZE_MAX when no message was
 * to blame (send/recv failed, timeout). buf must hold whole messages.
 */
int rg_nl_transact_batch(struct rg_nl *nl, void *buf, size_t len, struct rg_nl_result *res,
			 size_t *failed);
