/*
 * pc.c - the peer connection (contract in pc.h): ICE carries DTLS records,
 * DTLS carries SCTP packets, SCTP carries the channels. Each layer is
 * created when the one below is up.
 */
#include "rift/rtc/pc.h"

#include <sodium.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "core/tls.h"
#include "rift/rtc/demux.h"
#include "rift/rtc/dtls.h"
#include "rift/rtc/pc-priv.h"
#include "rift/rtc/sdp.h"

#define DEFAULT_MAX_MESSAGE 262144
#define CERT_VALIDITY_S	    (30 * 24 * 3600)
/*
 * Datagrams kept that arrive before our DTLS endpoint exists: the peer's ICE
 * can be connected (and its DTLS client send its ClientHello) before ours is,
 * and a dropped ClientHello costs its retransmission timeout, a second or
 * more. A handshake flight is a few datagrams.
 */
#define EARLY_DATAGRAMS 8

struct pending_channel {
	char *label, *protocol;
	struct rg_dc_options o;
};

struct rg_pc {
	char *name; /* our object in log lines, and our layers' */
	struct rg_pc_callbacks cb;
	void *ctx;
	struct rg_pc_config cfg;
	enum rg_pc_state state;
	enum rg_pc_state resume; /* while DISCONNECTED: the state to go back to */
	bool offerer;		 /* we made the first offer; we win glare */
	bool have_local, have_remote, ice_up, sctp_up;
	bool offer_pending; /* our offer awaits its answer */
	struct core_tls_cert *cert;
	struct rg_ice *ice;
	struct rg_dtls *dtls;
	struct rg_sctp *sctp;
	enum rg_dtls_role dtls_role;
	uint8_t remote_fp[RG_SDP_FP_LEN];
	char remote_ufrag[257], remote_pwd[257]; /* the peer's ICE generation */
	uint16_t remote_sctp_port;
	uint32_t remote_max_message;
	GPtrArray *pending; /* of struct pending_channel * until SCTP is up */
	GQueue early;	    /* GBytes: datagrams received before DTLS started */
	bool hold_dtls;	    /* test hook: rg_pc_hold_dtls */
};

static void set_state(struct rg_pc *pc, enum rg_pc_state s)
{
	if (pc->state == s || pc->state == RG_PC_FAILED || pc->state == RG_PC_CLOSED)
		return;
	if (pc->state == RG_PC_DISCONNECTED && s != RG_PC_FAILED && s != RG_PC_CLOSED) {
		pc->resume = s; /* progress made while the path is down shows when it is back */
		return;
	}
	pc->state = s;
	if (pc->cb.state != NULL)
		pc->cb.state(pc->ctx, s);
}

/* The ICE path stopped working (consent lost): DISCONNECTED until a restart connects. */
static void path_down(struct rg_pc *pc)
{
	enum rg_pc_state was = pc->state;

	if (was == RG_PC_DISCONNECTED || was == RG_PC_FAILED || was == RG_PC_CLOSED)
		return;
	core_log_warn("rtc", pc->name, "ICE path lost (consent); waiting for an ICE restart");
	set_state(pc, RG_PC_DISCONNECTED);
	pc->resume = was;
}

static void path_up(struct rg_pc *pc)
{
	if (pc->state != RG_PC_DISCONNECTED)
		return;
	pc->state = pc->resume;
	core_log_info("rtc", pc->name, "ICE path back");
	if (pc->cb.state != NULL)
		pc->cb.state(pc->ctx, pc->state);
}

static void fail(struct rg_pc *pc, const char *reason)
{
	if (pc->state == RG_PC_FAILED || pc->state == RG_PC_CLOSED)
		return;
	core_log_warn("rtc", pc->name, "peer connection failed: %s", reason);
	set_state(pc, RG_PC_FAILED);
	if (pc->cb.failed != NULL)
		pc->cb.failed(pc->ctx, reason);
}

/* --- SCTP: channels --------------------------------------------------------- */

static void sctp_send(void *ctx, const uint8_t *pkt, size_t len)
{
	struct rg_pc *pc = ctx;

	if (pc->dtls != NULL)
		rg_dtls_send(pc->dtls, pkt, len);
}

static void pending_free(struct pending_channel *p)
{
	g_free(p->label);
	g_free(p->protocol);
	g_free(p);
}

static void open_pending(struct rg_pc *pc)
{
	for (guint i = 0; i < pc->pending->len; i++) {
		struct pending_channel *p = g_ptr_array_index(pc->pending, i);
		GError *e = NULL;

		p->o.protocol = p->protocol;
		if (rg_sctp_open_channel(pc->sctp, p->label, &p->o, &e) == NULL) {
			char esc[CORE_LOG_ESC_SHORT];

			core_log_warn("rtc", pc->name, "cannot open channel \"%s\": %s",
				      core_log_escape(esc, sizeof(esc), p->label, strlen(p->label)),
				      e->message);
			g_error_free(e);
		}
		pending_free(p);
	}
	g_ptr_array_set_size(pc->pending, 0);
}

static void sctp_connected(void *ctx)
{
	struct rg_pc *pc = ctx;

	pc->sctp_up = true;
	set_state(pc, RG_PC_CONNECTED);
	open_pending(pc);
}

static void sctp_channel_open(void *ctx, struct rg_dc *dc)
{
	struct rg_pc *pc = ctx;

	if (pc->cb.channel_open != NULL)
		pc->cb.channel_open(pc->ctx, dc);
}

static void sctp_message(void *ctx, struct rg_dc *dc, const uint8_t *buf, size_t len, bool binary)
{
	struct rg_pc *pc = ctx;

	if (pc->cb.channel_message != NULL)
		pc->cb.channel_message(pc->ctx, dc, buf, len, binary);
}

static void sctp_closed(void *ctx, struct rg_dc *dc)
{
	struct rg_pc *pc = ctx;

	if (pc->cb.channel_closed != NULL)
		pc->cb.channel_closed(pc->ctx, dc);
}

static void sctp_low(void *ctx, struct rg_dc *dc)
{
	struct rg_pc *pc = ctx;

	if (pc->cb.buffered_low != NULL)
		pc->cb.buffered_low(pc->ctx, dc);
}

static void sctp_failed(void *ctx, const char *reason)
{
	fail(ctx, reason);
}

static const struct rg_sctp_callbacks sctp_cbs = { sctp_send,	 sctp_connected, sctp_channel_open,
						   sctp_message, sctp_closed,	 sctp_low,
						   sctp_failed };

/* --- DTLS ------------------------------------------------------------------- */

static void dtls_send(void *ctx, const uint8_t *buf, size_t len)
{
	struct rg_pc *pc = ctx;

	rg_ice_send(pc->ice, buf, len);
}

static void dtls_connected(void *ctx)
{
	struct rg_pc *pc = ctx;
	GError *e = NULL;

	set_state(pc, RG_PC_SECURE);
	if (rg_sctp_new(&pc->sctp, pc->dtls_role == RG_DTLS_CLIENT, RG_SDP_DEFAULT_SCTP_PORT,
			pc->remote_sctp_port, pc->remote_max_message, &sctp_cbs, pc, pc->name,
			&e) != CORE_OK) {
		fail(pc, e->message);
		g_error_free(e);
		return;
	}
	rg_sctp_start(pc->sctp);
}

static void dtls_data(void *ctx, const uint8_t *buf, size_t len)
{
	struct rg_pc *pc = ctx;

	if (pc->sctp != NULL)
		rg_sctp_input(pc->sctp, buf, len);
}

static void dtls_failed(void *ctx, const char *reason)
{
	fail(ctx, reason);
}

static void dtls_closed(void *ctx)
{
	struct rg_pc *pc = ctx;

	set_state(pc, RG_PC_CLOSED);
}

static const struct rg_dtls_callbacks dtls_cbs = { dtls_send, dtls_connected, dtls_data,
						   dtls_failed, dtls_closed };

/* Give DTLS what arrived before it started (rg_dtls_input drops what is not DTLS). */
static void feed_early(struct rg_pc *pc)
{
	GBytes *d;

	while (pc->dtls != NULL && (d = g_queue_pop_head(&pc->early)) != NULL) {
		gsize len;
		const uint8_t *buf = g_bytes_get_data(d, &len);

		rg_dtls_input(pc->dtls, buf, len);
		g_bytes_unref(d);
	}
}

/* Both ICE and the remote description are there: start DTLS. */
static void maybe_start_dtls(struct rg_pc *pc)
{
	GError *e = NULL;

	if (!pc->ice_up || !pc->have_remote || pc->dtls != NULL || pc->hold_dtls)
		return;
	if (rg_dtls_new(&pc->dtls, pc->dtls_role, pc->cert, pc->remote_fp, &dtls_cbs, pc, pc->name,
			NULL, &e) != CORE_OK) {
		fail(pc, e->message);
		g_error_free(e);
		return;
	}
	rg_dtls_start(pc->dtls);
	feed_early(pc);
}

void rg_pc_hold_dtls(struct rg_pc *pc, bool hold)
{
	pc->hold_dtls = hold;
	maybe_start_dtls(pc);
}

/* --- ICE -------------------------------------------------------------------- */

static void ice_candidate(void *ctx, const char *line)
{
	struct rg_pc *pc = ctx;

	if (pc->cb.local_candidate != NULL)
		pc->cb.local_candidate(pc->ctx, line, "0");
}

static void ice_gathering_done(void *ctx)
{
	struct rg_pc *pc = ctx;

	if (pc->cb.local_candidates_done != NULL)
		pc->cb.local_candidates_done(pc->ctx);
}

static void ice_state(void *ctx, enum rg_ice_state s)
{
	struct rg_pc *pc = ctx;

	switch (s) {
	case RG_ICE_CHECKING:
		if (pc->state == RG_PC_NEW)
			set_state(pc, RG_PC_CONNECTING);
		break;
	case RG_ICE_CONNECTED:
		if (!pc->ice_up) {
			pc->ice_up = true;
			set_state(pc, RG_PC_ICE);
			maybe_start_dtls(pc);
		} else
			path_up(pc);
		break;
	case RG_ICE_FAILED:
		/* a failed restart leaves a once-working connection DISCONNECTED */
		if (!pc->ice_up)
			fail(pc, "ICE failed: no candidate pair works");
		break;
	case RG_ICE_DISCONNECTED:
		path_down(pc);
		break;
	case RG_ICE_NEW:
		break;
	}
}

static void ice_selected(void *ctx, const struct rg_ice_pair *pair)
{
	struct rg_pc *pc = ctx;

	if (pc->cb.selected != NULL)
		pc->cb.selected(pc->ctx, pair);
}

static void ice_data(void *ctx, const uint8_t *buf, size_t len)
{
	struct rg_pc *pc = ctx;

	/* WireGuard beside the channel (demux.h); nobody else sends such bytes */
	if (rg_demux_classify(buf, len) == RG_DEMUX_WIREGUARD) {
		if (pc->cb.datagram != NULL)
			pc->cb.datagram(pc->ctx, buf, len);
		return;
	}
	if (pc->dtls != NULL)
		rg_dtls_input(pc->dtls, buf, len);
	else if (g_queue_get_length(&pc->early) < EARLY_DATAGRAMS)
		g_queue_push_tail(&pc->early, g_bytes_new(buf, len));
}

static const struct rg_ice_callbacks ice_cbs = { ice_candidate, ice_gathering_done, ice_state,
						 ice_selected, ice_data };

/* --- descriptions ----------------------------------------------------------- */
/* --- descriptions ----------------------------------------------------------- */

static int start_ice(struct rg_pc *pc, bool controlling, GError **error)
{
	struct rg_ice_config c = pc->cfg.ice;

	c.name = pc->name;
	c.controlling = controlling;
	return rg_ice_new(&pc->ice, &c, &ice_cbs, pc, NULL, error);
}

/* Our a=setup once the DTLS role is settled (answers, and offers after the first). */
static enum rg_sdp_setup our_setup(const struct rg_pc *pc)
{
	return pc->dtls_role == RG_DTLS_CLIENT ? RG_SDP_SETUP_ACTIVE : RG_SDP_SETUP_PASSIVE;
}

static void emit_local(struct rg_pc *pc, const char *type, enum rg_sdp_setup setup)
{
	struct rg_sdp s = { 0 };
	char *text;

	randombytes_buf(&s.session_id, sizeof(s.session_id));
	s.session_id &= INT64_MAX;
	s.session_version = 1;
	g_strlcpy(s.mid, "0", sizeof(s.mid));
	g_strlcpy(s.ice_ufrag, rg_ice_ufrag(pc->ice), sizeof(s.ice_ufrag));
	g_strlcpy(s.ice_pwd, rg_ice_pwd(pc->ice), sizeof(s.ice_pwd));
	s.ice_trickle = true;
	core_tls_cert_fingerprint(pc->cert, s.fingerprint);
	s.setup = setup;
	s.sctp_port = RG_SDP_DEFAULT_SCTP_PORT;
	s.max_message_size = pc->cfg.max_message_size;
	text = rg_sdp_build(&s);
	pc->have_local = true;
	if (strcmp(type, "offer") == 0)
		pc->offer_pending = true;
	if (pc->cb.local_description != NULL)
		pc->cb.local_description(pc->ctx, type, text);
	g_free(text);
	if (rg_ice_gather(pc->ice) != CORE_OK)
		fail(pc, "ICE: cannot gather candidates");
}

int rg_pc_new(struct rg_pc **out, const struct rg_pc_config *cfg, const struct rg_pc_callbacks *cb,
	      void *ctx, GError **error)
{
	static unsigned next_id;
	struct rg_pc *pc = g_new0(struct rg_pc, 1);
	int ret;

	*out = NULL;
	pc->name = cfg->name != NULL ? g_strdup(cfg->name) : g_strdup_printf("pc-%u", ++next_id);
	pc->cb = *cb;
	pc->ctx = ctx;
	pc->cfg = *cfg;
	pc->cfg.name = pc->name;
	if (pc->cfg.max_message_size == 0)
		pc->cfg.max_message_size = DEFAULT_MAX_MESSAGE;
	pc->pending = g_ptr_array_new();
	g_queue_init(&pc->early);
	ret = core_tls_cert_generate(&pc->cert, CERT_VALIDITY_S);
	if (ret != CORE_OK) {
		core_err_to_gerror(error, ret, "cannot make the DTLS certificate");
		rg_pc_free(pc);
		return ret;
	}
	*out = pc;
	return CORE_OK;
}

void rg_pc_free(struct rg_pc *pc)
{
	if (pc == NULL)
		return;
	/* top down, so no layer hands data to a freed one */
	rg_sctp_free(pc->sctp);
	rg_dtls_free(pc->dtls);
	rg_ice_free(pc->ice);
	core_tls_cert_free(pc->cert);
	for (guint i = 0; i < pc->pending->len; i++)
		pending_free(g_ptr_array_index(pc->pending, i));
	g_ptr_array_free(pc->pending, TRUE);
	g_queue_clear_full(&pc->early, (GDestroyNotify)g_bytes_unref);
	g_free(pc->name);
	g_free(pc);
}

int rg_pc_create_offer(struct rg_pc *pc)
{
	GError *e = NULL;

	if (pc->have_local || pc->have_remote)
		return CORE_ERR_INVALID_ARG;
	pc->offerer = true;
	if (start_ice(pc, true, &e) != CORE_OK) {
		fail(pc, e->message);
		g_error_free(e);
		return CORE_ERR_CONFIG;
	}
	emit_local(pc, "offer", RG_SDP_SETUP_ACTPASS);
	return CORE_OK;
}

int rg_pc_restart_ice(struct rg_pc *pc, GError **error)
{
	int ret;

	if (!pc->have_local || !pc->have_remote || pc->state == RG_PC_FAILED ||
	    pc->state == RG_PC_CLOSED) {
		core_err_to_gerror(error, CORE_ERR_INVALID_ARG,
				   "ICE restart needs an established connection");
		return CORE_ERR_INVALID_ARG;
	}
	ret = rg_ice_restart(pc->ice, error);
	if (ret != CORE_OK)
		return ret;
	core_log_info("rtc", pc->name, "ICE restart: offering new credentials");
	emit_local(pc, "offer", our_setup(pc));
	return CORE_OK;
}

bool rg_pc_ice_restarting(const struct rg_pc *pc)
{
	return pc->ice != NULL && rg_ice_restarting(pc->ice);
}

unsigned rg_pc_ice_generations(const struct rg_pc *pc)
{
	return pc->ice != NULL ? rg_ice_generations(pc->ice) : 0;
}

/* The DTLS role from the first exchange: the peer's a=setup decides it. */
static int choose_role(struct rg_pc *pc, const struct rg_sdp *s, bool is_offer, GError **error)
{
	if (!is_offer && s->setup == RG_SDP_SETUP_ACTPASS) {
		core_err_to_gerror(error, CORE_ERR_BAD_VALUE,
				   "an answer may not say setup:actpass");
		return CORE_ERR_BAD_VALUE;
	}
	pc->dtls_role = s->setup == RG_SDP_SETUP_ACTIVE ? RG_DTLS_SERVER : RG_DTLS_CLIENT;
	memcpy(pc->remote_fp, s->fingerprint, sizeof(pc->remote_fp));
	pc->remote_sctp_port = s->sctp_port;
	pc->remote_max_message = s->max_message_size;
	return CORE_OK;
}

/* A later description must keep the DTLS association: same certificate, same roles. */
static int check_same_association(const struct rg_pc *pc, const struct rg_sdp *s, bool is_offer,
				  GError **error)
{
	enum rg_sdp_setup theirs =
		pc->dtls_role == RG_DTLS_CLIENT ? RG_SDP_SETUP_PASSIVE : RG_SDP_SETUP_ACTIVE;

	if (memcmp(pc->remote_fp, s->fingerprint, sizeof(pc->remote_fp)) != 0) {
		core_err_to_gerror(error, CORE_ERR_BAD_VALUE,
				   "the peer's certificate fingerprint changed");
		return CORE_ERR_BAD_VALUE;
	}
	if (s->setup != theirs && !(is_offer && s->setup == RG_SDP_SETUP_ACTPASS)) {
		core_err_to_gerror(error, CORE_ERR_BAD_VALUE,
				   "a new %s may not change the DTLS role",
				   is_offer ? "offer" : "answer");
		return CORE_ERR_BAD_VALUE;
	}
	return CORE_OK;
}

/* The peer's ICE credentials and candidates, for our newest ICE generation. */
static int apply_ice(struct rg_pc *pc, const struct rg_sdp *s, GError **error)
{
	if (rg_ice_set_remote_credentials(pc->ice, s->ice_ufrag, s->ice_pwd) != CORE_OK) {
		core_err_to_gerror(error, CORE_ERR_BAD_VALUE, "unusable ICE credentials");
		return CORE_ERR_BAD_VALUE;
	}
	g_strlcpy(pc->remote_ufrag, s->ice_ufrag, sizeof(pc->remote_ufrag));
	g_strlcpy(pc->remote_pwd, s->ice_pwd, sizeof(pc->remote_pwd));
	for (size_t i = 0; i < s->n_candidates; i++) {
		char line[RG_SDP_CANDIDATE_MAX];

		rg_sdp_candidate_format(&s->candidates[i], line, sizeof(line));
		rg_ice_add_remote_candidate(pc->ice, line);
	}
	if (s->end_of_candidates)
		rg_ice_remote_gathering_done(pc->ice);
	return CORE_OK;
}

/* An offer on an established connection: an ICE restart when its credentials are new. */
static int take_reoffer(struct rg_pc *pc, const struct rg_sdp *s, GError **error)
{
	int ret = check_same_association(pc, s, true, error);
	bool restart = strcmp(s->ice_ufrag, pc->remote_ufrag) != 0 ||
		       strcmp(s->ice_pwd, pc->remote_pwd) != 0;

	if (ret != CORE_OK)
		return ret;
	/* in glare the polite side's own restart already made fresh credentials */
	if (restart && !rg_ice_restarting(pc->ice) &&
	    (ret = rg_ice_restart(pc->ice, error)) != CORE_OK)
		return ret;
	if (restart)
		core_log_info("rtc", pc->name, "ICE restart: the peer offers new credentials");
	return apply_ice(pc, s, error);
}

/* Is a remote description of this type in order now? *why when not. */
static bool in_order(const struct rg_pc *pc, bool is_offer, const char **why)
{
	if (!is_offer) {
		*why = pc->offer_pending ? NULL : "no offer of ours awaits an answer";
		return *why == NULL;
	}
	if (pc->offer_pending && (pc->offerer || !pc->have_remote))
		*why = "glare: our own offer is pending and wins";
	else
		*why = NULL;
	return *why == NULL;
}

int rg_pc_set_remote_description(struct rg_pc *pc, const char *type, const char *sdp,
				 GError **error)
{
	bool is_offer = g_strcmp0(type, "offer") == 0;
	bool first = !pc->have_remote;
	struct rg_sdp s;
	const char *reason = NULL;
	int ret;

	if ((!is_offer && g_strcmp0(type, "answer") != 0) || !in_order(pc, is_offer, &reason)) {
		core_err_to_gerror(error, CORE_ERR_INVALID_ARG, "unexpected %s%s%s", type,
				   reason != NULL ? ": " : "", reason != NULL ? reason : "");
		return CORE_ERR_INVALID_ARG;
	}
	ret = rg_sdp_parse(sdp, strlen(sdp), &s, &reason);
	if (ret != CORE_OK) {
		core_err_to_gerror(error, ret, "bad SDP %s: %s", type, reason);
		return ret;
	}
	if (first) {
		if ((is_offer && (ret = start_ice(pc, false, error)) != CORE_OK) ||
		    (ret = choose_role(pc, &s, is_offer, error)) != CORE_OK ||
		    (ret = apply_ice(pc, &s, error)) != CORE_OK)
			goto out;
		pc->have_remote = true;
	} else if (is_offer) {
		if ((ret = take_reoffer(pc, &s, error)) != CORE_OK)
			goto out;
	} else if ((ret = check_same_association(pc, &s, false, error)) != CORE_OK ||
		   (ret = apply_ice(pc, &s, error)) != CORE_OK)
		goto out;
	pc->offer_pending = false;
	if (is_offer)
		emit_local(pc, "answer", our_setup(pc));
	maybe_start_dtls(pc);
out:
	rg_sdp_clear(&s);
	return ret;
}

int rg_pc_add_remote_candidate(struct rg_pc *pc, const char *candidate)
{
	if (pc->ice == NULL)
		return CORE_ERR_INVALID_ARG;
	if (candidate == NULL || candidate[0] == '\0') {
		rg_ice_remote_gathering_done(pc->ice);
		return CORE_OK;
	}
	return rg_ice_add_remote_candidate(pc->ice, candidate);
}

int rg_pc_create_channel(struct rg_pc *pc, const char *label, const struct rg_dc_options *o,
			 GError **error)
{
	struct pending_channel *p;
	GError *e = NULL;
	int ret;

	if (pc->state == RG_PC_FAILED || pc->state == RG_PC_CLOSED) {
		core_err_to_gerror(error, CORE_ERR_CLOSED, "the connection is %s",
				   pc->state == RG_PC_FAILED ? "failed" : "closed");
		return CORE_ERR_CLOSED;
	}
	if (pc->sctp_up) {
		if (rg_sctp_open_channel(pc->sctp, label, o, &e) != NULL)
			return CORE_OK;
		ret = e != NULL ? e->code : CORE_ERR_INTERNAL;
		if (e != NULL)
			g_propagate_error(error, e);
		return ret;
	}
	p = g_new0(struct pending_channel, 1);
	p->label = g_strdup(label);
	p->protocol = g_strdup(o->protocol != NULL ? o->protocol : "");
	p->o = *o;
	g_ptr_array_add(pc->pending, p);
	return CORE_OK; /* it opens with the association */
}

int rg_pc_send_datagram(struct rg_pc *pc, const uint8_t *buf, size_t len)
{
	if (rg_demux_classify(buf, len) != RG_DEMUX_WIREGUARD)
		return CORE_ERR_INVALID_ARG;
	if (pc->state == RG_PC_FAILED || pc->state == RG_PC_CLOSED || !pc->ice_up)
		return CORE_ERR_AGAIN;
	return rg_ice_send(pc->ice, buf, len);
}

int rg_pc_send_datagrams(struct rg_pc *pc, const uint8_t *const *bufs, const size_t *lens, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (rg_demux_classify(bufs[i], lens[i]) != RG_DEMUX_WIREGUARD)
			return CORE_ERR_INVALID_ARG;
	if (pc->state == RG_PC_FAILED || pc->state == RG_PC_CLOSED || !pc->ice_up)
		return CORE_ERR_AGAIN;
	return rg_ice_send_many(pc->ice, bufs, lens, n);
}

void rg_pc_batch_rx(struct rg_pc *pc, bool on)
{
	if (pc->ice != NULL)
		rg_ice_batch_rx(pc->ice, on);
}

void rg_pc_batch_rx_counts(const struct rg_pc *pc, struct rg_ice_rx_counts *out)
{
	memset(out, 0, sizeof(*out));
	if (pc->ice != NULL)
		rg_ice_batch_rx_counts(pc->ice, out);
}

void rg_pc_close(struct rg_pc *pc)
{
	if (pc->state == RG_PC_CLOSED)
		return;
	/* close_notify tells the peer at once; an SCTP ABORT would make it report a failure */
	rg_dtls_close(pc->dtls);
	rg_sctp_free(pc->sctp);
	pc->sctp = NULL;
	pc->sctp_up = false;
	pc->state = RG_PC_CLOSED;
	if (pc->cb.state != NULL)
		pc->cb.state(pc->ctx, RG_PC_CLOSED);
}

enum rg_pc_state rg_pc_state(const struct rg_pc *pc)
{
	return pc->state;
}

const char *rg_pc_name(const struct rg_pc *pc)
{
	return pc->name;
}
