/*
 * dtls.c - DTLS 1.2 endpoint over GnuTLS with packet-in/packet-out I/O.
 *
 * GnuTLS pulls from a one-datagram slot that rg_dtls_input fills for the
 * duration of one call, and pushes straight to cb->send. The only timer is
 * the handshake's retransmission/deadline timeout on the owner's context.
 * Every public entry point brackets itself with enter/leave, so a callback
 * that calls rg_dtls_free only marks the object; leave releases it.
 */
#include "rift/rtc/dtls.h"

#include <errno.h>
#include <gnutls/dtls.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "rift/rtc/dtls-priv.h"

#define DTLS_PRIORITY                                                                              \
	"NORMAL:-VERS-ALL:+VERS-DTLS1.2:-KX-ALL:+ECDHE-ECDSA:-CIPHER-ALL:+AES-128-GCM:"            \
	"+AES-256-GCM:+CHACHA20-POLY1305:-MAC-ALL:+AEAD"
#define RECV_BUF_LEN	    16384 /* largest DTLS plaintext record */
#define RECV_MAX_RECORDS    64	  /* records drained per input datagram, a bound */
#define GNUTLS_SLACK_MS	    5000  /* GnuTLS's own total timeout lies beyond ours */
#define MIN_TIMER_MS	    1	  /* never spin on a zero timeout */
#define RFC7983_DTLS_FIRST  20
#define RFC7983_DTLS_LAST   63
#define RECORD_HEADER_LEN   13	  /* type, version, epoch, sequence number, length */
#define RECORD_MAX_LEN	    18432 /* 2^14 + 2048 (RFC 6347 4.1, via RFC 5246 6.2.3) */
#define DTLS_VERSION_MAJOR  0xfe
#define CT_APPLICATION_DATA 23
#define CT_HANDSHAKE	    22
#define HS_HEADER_LEN	    12	  /* type, length, message_seq, fragment_offset, fragment_length */
#define HS_MAX_LEN	    16384 /* far above any WebRTC handshake message */
/*
 * use_srtp (RFC 5764) is offered and answered although no SRTP is ever sent:
 * browsers negotiate it in every WebRTC handshake, data-only ones included,
 * and werift 0.24 derives SRTP keys after every handshake and treats a
 * missing profile as a failed DTLS transport (it then never starts its SCTP
 * side). The keys are never exported here.
 */
#define SRTP_PROFILES "SRTP_AES128_CM_HMAC_SHA1_80"

enum dtls_state { ST_NEW, ST_HANDSHAKE, ST_CONNECTED, ST_DEAD };

struct rg_dtls {
	char *name; /* our object in log lines */
	gnutls_session_t session;
	enum rg_dtls_role role;
	enum dtls_state state;
	struct rg_dtls_callbacks cb;
	void *ctx;
	GMainContext *context;
	uint8_t peer_fp[CORE_TLS_FP_LEN];
	bool fp_mismatch;
	const uint8_t *in_buf; /* the datagram being fed, valid during rg_dtls_input */
	size_t in_len;
	GSource *timer;
	struct core_deadline deadline; /* the handshake's, on CLOCK_BOOTTIME */
	int64_t clock_skew_us;	       /* test hook: rg_dtls_clock_advance */
	unsigned handshake_ms;
	unsigned retransmit_ms;
	char *desc;	    /* gnutls_free */
	size_t max_payload; /* once connected (fixed by the MTU and the cipher) */
	uint64_t ignored;
	unsigned busy;
	bool freed;
	uint8_t rbuf[RECV_BUF_LEN];
};

static void handshake_step(struct rg_dtls *d);

/* Start a public call. */
static void enter(struct rg_dtls *d)
{
	d->busy++;
}

/* Release everything (no callbacks). */
static void destroy(struct rg_dtls *d)
{
	if (d->timer) {
		g_source_destroy(d->timer);
		g_source_unref(d->timer);
	}
	if (d->session)
		gnutls_deinit(d->session);
	gnutls_free(d->desc);
	g_main_context_unref(d->context);
	g_free(d->name);
	g_free(d);
}

/* End a public call; frees d if rg_dtls_free was called meanwhile. Do not touch d afterwards. */
static void leave(struct rg_dtls *d)
{
	if (--d->busy == 0 && d->freed)
		destroy(d);
}

/* True while callbacks may still be delivered. */
static bool alive(const struct rg_dtls *d)
{
	return !d->freed && d->state != ST_DEAD;
}

/*
 * Protocol time: CLOCK_BOOTTIME, which counts a suspend (core/clock.h), so a
 * handshake budget spent asleep is spent. GLib's timers run on
 * CLOCK_MONOTONIC: they are armed with differences of this clock.
 */
static int64_t now_us(const struct rg_dtls *d)
{
	return core_time_now_us() + d->clock_skew_us;
}

/* Drop the pending timer, if any. */
static void timer_cancel(struct rg_dtls *d)
{
	if (!d->timer)
		return;
	g_source_destroy(d->timer);
	g_source_unref(d->timer);
	d->timer = NULL;
}

/* Mark dead and report reason once. */
static void fail(struct rg_dtls *d, const char *reason)
{
	if (!alive(d))
		return;
	d->state = ST_DEAD;
	timer_cancel(d);
	d->cb.failed(d->ctx, reason);
}

/* Fail for GnuTLS error ret during what (e.g. "handshake"). */
static void fail_tls(struct rg_dtls *d, const char *what, int ret)
{
	char *reason = NULL;

	if (d->fp_mismatch)
		reason = g_strdup(RG_DTLS_REASON_FP_MISMATCH);
	else if (ret == GNUTLS_E_TIMEDOUT)
		reason = g_strdup(RG_DTLS_REASON_TIMEOUT);
	else if (ret == GNUTLS_E_FATAL_ALERT_RECEIVED)
		reason = g_strdup_printf("peer sent fatal alert: %s",
					 gnutls_alert_get_name(gnutls_alert_get(d->session)));
	else
		reason = g_strdup_printf("%s failed: %s", what, gnutls_strerror(ret));
	if (ret != GNUTLS_E_FATAL_ALERT_RECEIVED && !d->freed)
		gnutls_alert_send_appropriate(d->session, ret);
	fail(d, reason);
	g_free(reason);
}

/* GnuTLS push: one record datagram to the wire. */
static ssize_t push_cb(gnutls_transport_ptr_t ptr, const void *buf, size_t len)
{
	struct rg_dtls *d = ptr;

	if (!d->freed)
		d->cb.send(d->ctx, buf, len);
	return (ssize_t)len;
}

/* GnuTLS pull: the pending datagram, or EAGAIN. */
static ssize_t pull_cb(gnutls_transport_ptr_t ptr, void *buf, size_t len)
{
	struct rg_dtls *d = ptr;
	size_t n;

	if (!d->in_buf) {
		gnutls_transport_set_errno(d->session, EAGAIN);
		return -1;
	}
	n = MIN(len, d->in_len);
	memcpy(buf, d->in_buf, n);
	d->in_buf = NULL;
	d->in_len = 0;
	return (ssize_t)n;
}

/* GnuTLS pull_timeout: never blocks; 1 if a datagram is pending. */
static int pull_timeout_cb(gnutls_transport_ptr_t ptr, unsigned ms)
{
	const struct rg_dtls *d = ptr;

	(void)ms;
	return d->in_buf ? 1 : 0;
}

/* GnuTLS certificate check: the peer's DER must hash to peer_fp. */
static int verify_cb(gnutls_session_t session)
{
	struct rg_dtls *d = gnutls_session_get_ptr(session);
	uint8_t fp[CORE_TLS_FP_LEN];

	if (core_tls_peer_fingerprint(session, fp) != CORE_OK ||
	    !core_tls_fingerprint_equal(fp, d->peer_fp)) {
		d->fp_mismatch = true;
		return -1;
	}
	return 0;
}

/* Retransmission/deadline timer fired. */
static gboolean timer_cb(gpointer data)
{
	struct rg_dtls *d = data;

	enter(d);
	timer_cancel(d);
	if (alive(d) && d->state == ST_HANDSHAKE)
		handshake_step(d);
	leave(d);
	return G_SOURCE_REMOVE;
}

/* Arm the timer for GnuTLS's next retransmission, bounded by the deadline. */
static void timer_arm(struct rg_dtls *d)
{
	int64_t now = now_us(d);
	gint64 ms = gnutls_dtls_get_timeout(d->session);

	if (core_deadline_expired(&d->deadline, now)) {
		fail(d, RG_DTLS_REASON_TIMEOUT);
		return;
	}
	/* never past the deadline: the delay is its distance on the protocol clock */
	ms = CLAMP(ms, MIN_TIMER_MS, (gint64)core_deadline_remaining_ms_ceil(&d->deadline, now));
	timer_cancel(d);
	d->timer = g_timeout_source_new((guint)ms);
	g_source_set_callback(d->timer, timer_cb, d, NULL);
	g_source_attach(d->timer, d->context);
}

/* The handshake finished: peer verified. */
static void on_connected(struct rg_dtls *d)
{
	timer_cancel(d);
	d->state = ST_CONNECTED;
	d->desc = gnutls_session_get_desc(d->session);
	d->max_payload = gnutls_dtls_get_data_mtu(d->session);
	core_log_debug("dtls", d->name, "handshake done: %s", d->desc != NULL ? d->desc : "?");
	d->cb.connected(d->ctx);
}

/* Drive the handshake one step (after input or a timer). */
static void handshake_step(struct rg_dtls *d)
{
	int ret = gnutls_handshake(d->session);

	if (!alive(d))
		return;
	if (ret == 0)
		on_connected(d);
	else if (ret == GNUTLS_E_TIMEDOUT || gnutls_error_is_fatal(ret))
		fail_tls(d, "handshake", ret);
	else
		timer_arm(d);
}

/* Deliver every record of the pending datagram once connected. */
static void drain_records(struct rg_dtls *d)
{
	for (int i = 0; i < RECV_MAX_RECORDS && alive(d); i++) {
		ssize_t ret = gnutls_record_recv(d->session, d->rbuf, sizeof d->rbuf);

		if (ret > 0) {
			d->cb.data(d->ctx, d->rbuf, (size_t)ret);
		} else if (ret == 0) {
			d->state = ST_DEAD;
			d->cb.closed(d->ctx);
		} else if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED) {
			break;
		} else if (gnutls_error_is_fatal((int)ret)) {
			fail_tls(d, "receive", (int)ret);
		}
	}
}

/* Read a 24-bit big-endian integer. */
static size_t get24(const uint8_t *p)
{
	return (size_t)p[0] << 16 | (size_t)p[1] << 8 | p[2];
}

/*
 * The cleartext handshake fragments of an epoch-0 record body: each must
 * fit the body and its message, and be non-empty unless the message is.
 * GnuTLS 3.7.9 without the CVE-2026-33845 fix reads out of bounds on one.
 */
static int check_fragments(const uint8_t *p, size_t len)
{
	size_t off = 0;

	while (off < len) {
		size_t mlen, foff, flen;

		if (len - off < HS_HEADER_LEN)
			return CORE_ERR_TRUNCATED;
		mlen = get24(p + off + 1);
		foff = get24(p + off + 6);
		flen = get24(p + off + 9);
		if (mlen > HS_MAX_LEN)
			return CORE_ERR_TOO_LARGE;
		if (flen > len - off - HS_HEADER_LEN)
			return CORE_ERR_TRUNCATED;
		if (foff > mlen || flen > mlen - foff || (flen == 0 && mlen != 0))
			return CORE_ERR_BAD_VALUE;
		off += HS_HEADER_LEN + flen;
	}
	return CORE_OK;
}

int rg_dtls_datagram_check(const uint8_t *buf, size_t len)
{
	int err;

	size_t off = 0;

	if (!buf || len == 0)
		return CORE_ERR_TRUNCATED;
	if (buf[0] < RFC7983_DTLS_FIRST || buf[0] > RFC7983_DTLS_LAST)
		return CORE_ERR_UNKNOWN_TYPE;
	while (off < len) {
		size_t rlen;

		if (len - off < RECORD_HEADER_LEN)
			return CORE_ERR_TRUNCATED;
		if (buf[off] < RFC7983_DTLS_FIRST || buf[off] > RFC7983_DTLS_LAST)
			return CORE_ERR_UNKNOWN_TYPE;
		if (buf[off + 1] != DTLS_VERSION_MAJOR)
			return CORE_ERR_BAD_VALUE;
		if (buf[off] == CT_APPLICATION_DATA && buf[off + 3] == 0 && buf[off + 4] == 0)
			return CORE_ERR_BAD_VALUE; /* never valid, and it would move the replay window */
		rlen = (size_t)buf[off + 11] << 8 | buf[off + 12];
		if (rlen > RECORD_MAX_LEN)
			return CORE_ERR_TOO_LARGE;
		if (len - off - RECORD_HEADER_LEN < rlen)
			return CORE_ERR_TRUNCATED;
		if (buf[off] == CT_HANDSHAKE && buf[off + 3] == 0 && buf[off + 4] == 0 &&
		    (err = check_fragments(buf + off + RECORD_HEADER_LEN, rlen)) != CORE_OK)
			return err;
		off += RECORD_HEADER_LEN + rlen;
	}
	return CORE_OK;
}

int rg_dtls_new(struct rg_dtls **out, enum rg_dtls_role role, const struct core_tls_cert *cert,
		const uint8_t peer_fp[CORE_TLS_FP_LEN], const struct rg_dtls_callbacks *cb,
		void *ctx, const char *name, GMainContext *context, GError **error)
{
	static unsigned next_id;
	struct rg_dtls *d = NULL;
	unsigned flags = GNUTLS_DATAGRAM | GNUTLS_NONBLOCK;
	int err = CORE_ERR_INVALID_ARG;

	if (out)
		*out = NULL;
	if (!out || !cert || !peer_fp || !cb || !cb->send || !cb->connected || !cb->data ||
	    !cb->failed || !cb->closed || (role != RG_DTLS_CLIENT && role != RG_DTLS_SERVER)) {
		core_err_to_gerror(error, err, "rg_dtls_new: missing argument or callback");
		goto out;
	}
	d = g_new0(struct rg_dtls, 1);
	d->name = name != NULL ? g_strdup(name) : g_strdup_printf("dtls-%u", ++next_id);
	d->role = role;
	d->cb = *cb;
	d->ctx = ctx;
	d->context = context ? g_main_context_ref(context) : g_main_context_ref_thread_default();
	memcpy(d->peer_fp, peer_fp, CORE_TLS_FP_LEN);
	d->handshake_ms = RG_DTLS_HANDSHAKE_TIMEOUT_MS;
	d->retransmit_ms = RG_DTLS_RETRANSMIT_TIMEOUT_MS;
	err = CORE_ERR_TLS;
	flags |= role == RG_DTLS_CLIENT ? GNUTLS_CLIENT : GNUTLS_SERVER;
	if (gnutls_init(&d->session, flags) < 0) {
		d->session = NULL;
		core_err_to_gerror(error, err, "DTLS: gnutls_init failed");
		goto out;
	}
	if (gnutls_priority_set_direct(d->session, DTLS_PRIORITY, NULL) < 0 ||
	    gnutls_srtp_set_profile_direct(d->session, SRTP_PROFILES, NULL) < 0 ||
	    gnutls_credentials_set(d->session, GNUTLS_CRD_CERTIFICATE,
				   core_tls_cert_credentials(cert)) < 0) {
		core_err_to_gerror(error, err,
				   "DTLS: priority, SRTP profile or credentials rejected");
		goto out;
	}
	if (role == RG_DTLS_SERVER)
		gnutls_certificate_server_set_request(d->session, GNUTLS_CERT_REQUIRE);
	gnutls_session_set_verify_function(d->session, verify_cb);
	gnutls_session_set_ptr(d->session, d);
	gnutls_transport_set_ptr(d->session, d);
	gnutls_transport_set_push_function(d->session, push_cb);
	gnutls_transport_set_pull_function(d->session, pull_cb);
	gnutls_transport_set_pull_timeout_function(d->session, pull_timeout_cb);
	gnutls_dtls_set_mtu(d->session, RG_DTLS_MTU);
	*out = d;
	d = NULL;
	err = CORE_OK;
out:
	if (d)
		destroy(d);
	return err;
}

void rg_dtls_set_handshake_timeout(struct rg_dtls *d, unsigned ms)
{
	if (d && ms > 0)
		d->handshake_ms = ms;
}

void rg_dtls_set_retransmit_timeout(struct rg_dtls *d, unsigned ms)
{
	if (d && ms > 0)
		d->retransmit_ms = ms;
}

void rg_dtls_start(struct rg_dtls *d)
{
	if (!d || d->state != ST_NEW || d->freed)
		return;
	enter(d);
	d->state = ST_HANDSHAKE;
	core_deadline_set(&d->deadline, now_us(d), (int64_t)d->handshake_ms * CORE_USEC_PER_MSEC);
	gnutls_dtls_set_timeouts(d->session, d->retransmit_ms, d->handshake_ms + GNUTLS_SLACK_MS);
	handshake_step(d);
	leave(d);
}

void rg_dtls_input(struct rg_dtls *d, const uint8_t *buf, size_t len)
{
	if (!d || d->freed)
		return;
	if (rg_dtls_datagram_check(buf, len) != CORE_OK ||
	    (d->state != ST_HANDSHAKE && d->state != ST_CONNECTED)) {
		d->ignored++;
		return;
	}
	enter(d);
	d->in_buf = buf;
	d->in_len = len;
	if (d->state == ST_HANDSHAKE)
		handshake_step(d);
	if (d->state == ST_CONNECTED)
		drain_records(d);
	d->in_buf = NULL;
	d->in_len = 0;
	leave(d);
}

size_t rg_dtls_max_payload(const struct rg_dtls *d)
{
	if (!d || d->state != ST_CONNECTED)
		return 0;
	return d->max_payload;
}

int rg_dtls_send(struct rg_dtls *d, const uint8_t *buf, size_t len)
{
	ssize_t ret;
	int err = CORE_OK;

	if (!d || (!buf && len > 0))
		return CORE_ERR_INVALID_ARG;
	if (d->state == ST_NEW || d->state == ST_HANDSHAKE)
		return CORE_ERR_AGAIN;
	if (d->state != ST_CONNECTED || d->freed)
		return CORE_ERR_CLOSED;
	if (len > rg_dtls_max_payload(d))
		return CORE_ERR_TOO_LARGE;
	enter(d);
	ret = gnutls_record_send(d->session, buf, len);
	if (ret == GNUTLS_E_LARGE_PACKET)
		err = CORE_ERR_TOO_LARGE;
	else if (ret < 0)
		err = CORE_ERR_TLS;
	leave(d);
	return err;
}

void rg_dtls_close(struct rg_dtls *d)
{
	if (!d || d->freed || d->state == ST_DEAD)
		return;
	enter(d);
	if (d->state == ST_CONNECTED)
		gnutls_bye(d->session, GNUTLS_SHUT_WR);
	d->state = ST_DEAD;
	timer_cancel(d);
	leave(d);
}

void rg_dtls_free(struct rg_dtls *d)
{
	if (!d || d->freed)
		return;
	d->freed = true;
	if (d->busy == 0)
		destroy(d);
}

const char *rg_dtls_cipher(const struct rg_dtls *d)
{
	return d ? d->desc : NULL;
}

uint64_t rg_dtls_ignored(const struct rg_dtls *d)
{
	return d ? d->ignored : 0;
}

gboolean rg_dtls_is_connected(const struct rg_dtls *d)
{
	return d && !d->freed && d->state == ST_CONNECTED;
}

void rg_dtls_clock_advance(struct rg_dtls *d, int64_t us)
{
	if (d && us > 0)
		d->clock_skew_us += us;
}
