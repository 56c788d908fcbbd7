/*
 * Integration tests for rift/rtc/pc: two peer connections in this process
 * on 127.0.0.1, signaled directly. A channel opens and carries messages
 * both ways; a fingerprint changed in the answer fails both sides with a
 * reason (the offerer's DTLS refuses the certificate); a malformed SDP is
 * refused with the parser's reason and nothing else happens; a ClientHello
 * that arrives before the offerer's DTLS starts is kept for it.
 *
 * ICE restart, started by either side and by both at once (glare): new
 * credentials on both sides, and 2 MB sent across the restart arrive
 * byte-exact on the same channel; a later offer that changes the
 * fingerprint or the DTLS role is refused and the connection goes on.
 *
 * Garbage sent to a connection's UDP port (random bytes, STUN-shaped,
 * DTLS-record-shaped), from elsewhere and, through a raw socket, from the
 * peer's own address, is dropped: the channel keeps working.
 *
 * Closing one side makes both CLOSED at once, without a failure; both
 * sides signal end-of-candidates.
 */
#include <glib.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../capture.h"
#include "../loop.h"
#include "core/err.h"
#include "rift/rtc/dtls.h"
#include "rift/rtc/pc-priv.h"
#include "rift/rtc/pc.h"
#include "rift/rtc/sdp.h"
#include "../timescale.h"

#define BULK_LEN   1000		     /* a binary message of this size is bulk data */
#define BULK_TOTAL (2000 * BULK_LEN) /* bytes sent across a restart */

struct side {
	struct rg_pc *pc;
	struct side *peer;
	bool tamper_answer;
	bool hold; /* keep our descriptions in held_* instead of delivering */
	char *held_type, *held_sdp;
	char ufrag[64];	    /* of our last description */
	uint16_t host_port; /* of our first host candidate */
	unsigned selected;  /* selected-pair events */
	unsigned gathered;  /* local_candidates_done events */
	enum rg_pc_state state;
	char *failed;
	struct rg_dc *dc;
	GString *got;
	size_t bulk_sent, bulk_got;
	GChecksum *bulk_hash;
};

/* Flip one hex digit of the fingerprint in an SDP text. */
static void tamper_fingerprint(char *text)
{
	char *fp = strstr(text, "a=fingerprint:sha-256 ");

	g_assert_nonnull(fp);
	fp += strlen("a=fingerprint:sha-256 ");
	fp[0] = fp[0] == 'A' ? 'B' : 'A';
}

/* Replace the one occurrence of old in *text by new. */
static void replace_once(char **text, const char *old, const char *new)
{
	char **parts = g_strsplit(*text, old, -1);

	g_assert_cmpuint(g_strv_length(parts), ==, 2);
	g_free(*text);
	*text = g_strjoinv(new, parts);
	g_strfreev(parts);
}

static void on_description(void *ctx, const char *type, const char *sdp)
{
	struct side *s = ctx;
	GError *e = NULL;
	char *text = g_strdup(sdp);
	const char *u = strstr(sdp, "a=ice-ufrag:");

	g_assert_nonnull(u);
	u += strlen("a=ice-ufrag:");
	g_strlcpy(s->ufrag, u, MIN(sizeof(s->ufrag), strcspn(u, "\r\n") + 1));
	if (s->hold) {
		g_free(s->held_type);
		g_free(s->held_sdp);
		s->held_type = g_strdup(type);
		s->held_sdp = text;
		return;
	}
	if (s->tamper_answer && strcmp(type, "answer") == 0)
		tamper_fingerprint(text);
	g_assert_cmpint(rg_pc_set_remote_description(s->peer->pc, type, text, &e), ==, CORE_OK);
	g_assert_no_error(e);
	g_free(text);
}

/* Hand s's held description to its peer: the peer's return code; *why its error text. */
static int deliver_held(struct side *s, char **why)
{
	GError *e = NULL;
	int ret;

	g_assert_nonnull(s->held_sdp);
	ret = rg_pc_set_remote_description(s->peer->pc, s->held_type, s->held_sdp, &e);
	*why = e != NULL ? g_strdup(e->message) : NULL;
	g_clear_error(&e);
	g_clear_pointer(&s->held_type, g_free);
	g_clear_pointer(&s->held_sdp, g_free);
	return ret;
}

static void on_selected(void *ctx, const struct rg_ice_pair *pair)
{
	((struct side *)ctx)->selected++;
}

static void on_candidate(void *ctx, const char *cand, const char *mid)
{
	struct side *s = ctx;
	struct rg_sdp_candidate c;

	if (s->host_port == 0 && rg_sdp_candidate_parse(cand, &c, NULL) == CORE_OK &&
	    strcmp(c.type, "host") == 0)
		s->host_port = c.port;
	rg_pc_add_remote_candidate(s->peer->pc, cand);
}

static void on_gathered(void *ctx)
{
	struct side *s = ctx;

	s->gathered++;
	g_assert_cmpint(rg_pc_add_remote_candidate(s->peer->pc, ""), ==, CORE_OK);
}

static void on_state(void *ctx, enum rg_pc_state st)
{
	((struct side *)ctx)->state = st;
}

static void on_open(void *ctx, struct rg_dc *dc)
{
	((struct side *)ctx)->dc = dc;
}

static void on_message(void *ctx, struct rg_dc *dc, const uint8_t *buf, size_t len, bool binary)
{
	struct side *s = ctx;

	if (binary && len == BULK_LEN) {
		g_checksum_update(s->bulk_hash, buf, (gssize)len);
		s->bulk_got += len;
		return;
	}
	g_string_append_printf(s->got, "%s:", binary ? "b" : "s");
	g_string_append_len(s->got, (const char *)buf, (gssize)len);
	g_string_append_c(s->got, ';');
}

static void on_failed(void *ctx, const char *reason)
{
	struct side *s = ctx;

	g_assert_null(s->failed); /* once */
	s->failed = g_strdup(reason);
}

static const struct rg_pc_callbacks cbs = {
	.local_description = on_description,
	.local_candidate = on_candidate,
	.state = on_state,
	.selected = on_selected,
	.channel_open = on_open,
	.channel_message = on_message,
	.failed = on_failed,
	.local_candidates_done = on_gathered,
};

static const char *const loopback[] = { "127.0.0.1", NULL };

/* a offers to b; the connections are named name_a and name_b (NULL: their default). */
static void pair_named(struct side *a, struct side *b, bool tamper, const char *name_a,
		       const char *name_b)
{
	struct rg_pc_config cfg = { .ice = { .local_addresses = loopback } };
	struct rg_dc_options o = { .ordered = true,
				   .max_retransmits = -1,
				   .max_packet_lifetime_ms = -1 };
	GError *e = NULL;

	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	a->peer = b;
	b->peer = a;
	a->got = g_string_new(NULL);
	b->got = g_string_new(NULL);
	a->bulk_hash = g_checksum_new(G_CHECKSUM_SHA256);
	b->bulk_hash = g_checksum_new(G_CHECKSUM_SHA256);
	b->tamper_answer = tamper;
	cfg.name = name_a;
	g_assert_cmpint(rg_pc_new(&a->pc, &cfg, &cbs, a, &e), ==, CORE_OK);
	cfg.name = name_b;
	g_assert_cmpint(rg_pc_new(&b->pc, &cfg, &cbs, b, &e), ==, CORE_OK);
	g_assert_cmpint(rg_pc_create_channel(a->pc, "chat", &o, &e), ==, CORE_OK); /* pending */
	g_assert_no_error(e);
	g_assert_cmpint(rg_pc_create_offer(a->pc), ==, CORE_OK);
	g_assert_cmpint(rg_pc_create_offer(a->pc), ==, CORE_ERR_INVALID_ARG);
}

static void pair(struct side *a, struct side *b, bool tamper)
{
	pair_named(a, b, tamper, NULL, NULL);
}

static void unpair(struct side *a, struct side *b)
{
	rg_pc_free(a->pc);
	rg_pc_free(b->pc);
	for (struct side *s = a; s != NULL; s = s == a ? b : NULL) {
		g_string_free(s->got, TRUE);
		g_free(s->failed);
		g_free(s->held_type);
		g_free(s->held_sdp);
		g_checksum_free(s->bulk_hash);
	}
}

static void connected_pair(struct side *a, struct side *b)
{
	pair(a, b, false);
	ITEST_RUN_UNTIL(a->dc != NULL && b->dc != NULL && a->selected > 0 && b->selected > 0, 15);
}

/* Byte i of the bulk stream. */
static uint8_t bulk_byte(size_t i)
{
	return (uint8_t)((i * 31 + i / 251) & 255);
}

/* Queue bulk messages while SCTP has room; always true (for use in a condition). */
static bool pump(struct side *s)
{
	uint8_t buf[BULK_LEN];

	while (s->bulk_sent < BULK_TOTAL && rg_dc_buffered_amount(s->dc) < 256 * 1024) {
		for (size_t k = 0; k < BULK_LEN; k++)
			buf[k] = bulk_byte(s->bulk_sent + k);
		if (rg_dc_send(s->dc, buf, BULK_LEN, true) != CORE_OK)
			break;
		s->bulk_sent += BULK_LEN;
	}
	return true;
}

static char *bulk_digest(size_t total)
{
	GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
	char *hex;

	for (size_t i = 0; i < total; i++) {
		uint8_t b = bulk_byte(i);

		g_checksum_update(c, &b, 1);
	}
	hex = g_strdup(g_checksum_get_string(c));
	g_checksum_free(c);
	return hex;
}

/* A small message each way arrives (the channel works). */
static void ping_both(struct side *a, struct side *b, const char *word)
{
	char *want = g_strdup_printf("s:%s;", word);

	g_string_truncate(a->got, 0);
	g_string_truncate(b->got, 0);
	g_assert_cmpint(rg_dc_send(a->dc, (const uint8_t *)word, strlen(word), false), ==, CORE_OK);
	g_assert_cmpint(rg_dc_send(b->dc, (const uint8_t *)word, strlen(word), false), ==, CORE_OK);
	ITEST_RUN_UNTIL(a->got->len > 0 && b->got->len > 0, 15);
	g_assert_cmpstr(a->got->str, ==, want);
	g_assert_cmpstr(b->got->str, ==, want);
	g_free(want);
}

/*
 * Bulk data from a to b runs while restart() restarts ICE; both sides end
 * with new credentials and a new selected pair, the old generation is
 * retired (after its 2 s: one generation left on each side), and every
 * byte arrived in order on the same channel.
 */
enum restart_kind { BY_OFFERER, BY_ANSWERER, GLARE };

static void restart_by_first(struct side *a, struct side *b);
static void restart_glare(struct side *a, struct side *b);

static void restart_under_load(struct side *a, struct side *b, enum restart_kind kind)
{
	char old_a[64], old_b[64], *want;
	unsigned sel_a = a->selected, sel_b = b->selected;

	g_strlcpy(old_a, a->ufrag, sizeof(old_a));
	g_strlcpy(old_b, b->ufrag, sizeof(old_b));
	ITEST_RUN_UNTIL(pump(a) && a->bulk_got + b->bulk_got >= BULK_TOTAL / 4, 15);
	if (kind == GLARE)
		restart_glare(a, b);
	else
		restart_by_first(kind == BY_OFFERER ? a : b, kind == BY_OFFERER ? b : a);
	g_assert_cmpstr(a->ufrag, !=, old_a);
	g_assert_cmpstr(b->ufrag, !=, old_b);
	ITEST_RUN_UNTIL(pump(a) && !rg_pc_ice_restarting(a->pc) && !rg_pc_ice_restarting(b->pc) &&
				a->selected > sel_a && b->selected > sel_b,
			15);
	/* the old generation still receives (2 s), then is gone on both sides */
	g_assert_cmpuint(rg_pc_ice_generations(a->pc), <=, 2);
	g_assert_cmpuint(rg_pc_ice_generations(b->pc), <=, 2);
	ITEST_RUN_UNTIL(pump(a) && rg_pc_ice_generations(a->pc) == 1 &&
				rg_pc_ice_generations(b->pc) == 1,
			15);
	ITEST_RUN_UNTIL(pump(a) && b->bulk_got == BULK_TOTAL, 30);
	want = bulk_digest(BULK_TOTAL);
	g_assert_cmpstr(g_checksum_get_string(b->bulk_hash), ==, want);
	g_free(want);
	ping_both(a, b, "after-restart");
	g_assert_cmpint(a->state, ==, RG_PC_CONNECTED);
	g_assert_cmpint(b->state, ==, RG_PC_CONNECTED);
	g_assert_null(a->failed);
	g_assert_null(b->failed);
}

static void restart_by_first(struct side *a, struct side *b)
{
	GError *e = NULL;

	g_assert_cmpint(rg_pc_restart_ice(a->pc, &e), ==, CORE_OK);
	g_assert_no_error(e);
}

/* Both restart before either offer arrives: the first offerer (a) wins. */
static void restart_glare(struct side *a, struct side *b)
{
	char *why = NULL;

	a->hold = b->hold = true;
	restart_by_first(a, b);
	restart_by_first(b, a);
	g_assert_cmpstr(a->held_type, ==, "offer");
	g_assert_cmpstr(b->held_type, ==, "offer");
	g_assert_cmpint(deliver_held(b, &why), ==, CORE_ERR_INVALID_ARG);
	g_assert_cmpstr(
		why, ==,
		"unexpected offer: glare: our own offer is pending and wins: invalid argument");
	g_free(why);
	g_assert_cmpint(deliver_held(a, &why), ==, CORE_OK); /* b yields and answers */
	g_assert_null(why);
	g_assert_cmpstr(b->held_type, ==, "answer");
	g_assert_cmpint(deliver_held(b, &why), ==, CORE_OK);
	g_assert_null(why);
	a->hold = b->hold = false;
}

static void test_restart(gconstpointer data)
{
	struct side a, b;

	connected_pair(&a, &b);
	restart_under_load(&a, &b, (enum restart_kind)GPOINTER_TO_INT(data));
	unpair(&a, &b);
}

/* A restart offer that changes what DTLS agreed on is refused; nothing else changes. */
static void test_reoffer_refused(void)
{
	struct side a, b;
	char *why = NULL;

	connected_pair(&a, &b);
	a.hold = true;
	restart_by_first(&a, &b);
	tamper_fingerprint(a.held_sdp);
	g_assert_cmpint(deliver_held(&a, &why), ==, CORE_ERR_BAD_VALUE);
	g_assert_cmpstr(why, ==, "the peer's certificate fingerprint changed: value out of range");
	g_free(why);
	restart_by_first(&a, &b);
	/* b answered the first offer as DTLS client (active): a is passive */
	replace_once(&a.held_sdp, "a=setup:passive\r\n", "a=setup:active\r\n");
	g_assert_cmpint(deliver_held(&a, &why), ==, CORE_ERR_BAD_VALUE);
	g_assert_cmpstr(why, ==, "a new offer may not change the DTLS role: value out of range");
	g_free(why);
	g_assert_cmpint(rg_pc_set_remote_description(b.pc, "answer", "v=0\r\n", NULL), ==,
			CORE_ERR_INVALID_ARG);
	ping_both(&a, &b, "still-up");
	g_assert_null(a.failed);
	g_assert_null(b.failed);
	unpair(&a, &b);
}

static void test_channel(void)
{
	struct side a, b;

	pair(&a, &b, false);
	ITEST_RUN_UNTIL(a.dc != NULL && b.dc != NULL, 15);
	g_assert_cmpint(a.state, ==, RG_PC_CONNECTED);
	g_assert_cmpstr(rg_dc_label(b.dc), ==, "chat");
	g_assert_cmpint(rg_dc_send(a.dc, (const uint8_t *)"hello", 5, false), ==, CORE_OK);
	g_assert_cmpint(rg_dc_send(b.dc, (const uint8_t *)"\x00\x01", 2, true), ==, CORE_OK);
	ITEST_RUN_UNTIL(b.got->len > 0 && a.got->len > 0, 15);
	g_assert_cmpstr(b.got->str, ==, "s:hello;");
	g_assert_cmpmem(a.got->str, a.got->len, "b:\x00\x01;", 5);
	g_assert_null(a.failed);
	g_assert_null(b.failed);
	unpair(&a, &b);
}

static void test_wrong_fingerprint(void)
{
	struct side a, b;

	pair(&a, &b, true);
	ITEST_RUN_UNTIL(a.failed != NULL && b.failed != NULL, 15);
	g_assert_cmpstr(a.failed, ==, "certificate fingerprint mismatch");
	g_assert_true(g_str_has_prefix(b.failed, "peer sent fatal alert") ||
		      strcmp(b.failed, "handshake timed out") == 0);
	g_assert_cmpint(a.state, ==, RG_PC_FAILED);
	g_assert_null(a.dc);
	unpair(&a, &b);
}

/*
 * The answerer's ICE, and so its DTLS client, can be up before the offerer's
 * (node-datachannel's often is): the ClientHello that arrives before the
 * offerer's DTLS starts must be kept for it, or the handshake waits for B to
 * resend it after RG_DTLS_RETRANSMIT_TIMEOUT_MS.
 */
static void test_early_client_hello(void)
{
	struct side a, b;
	gint64 t_hello;

	pair(&a, &b, false);
	rg_pc_hold_dtls(a.pc, true);
	ITEST_RUN_UNTIL(a.state >= RG_PC_ICE && b.state >= RG_PC_ICE, 15);
	t_hello = g_get_monotonic_time(); /* B's ClientHello is on its way */
	ITEST_RUN_UNTIL(g_get_monotonic_time() - t_hello > 200 * 1000, 1);
	g_assert_cmpint(a.state, ==, RG_PC_ICE);
	rg_pc_hold_dtls(a.pc, false);
	ITEST_RUN_UNTIL(a.state >= RG_PC_SECURE, 15);
	g_assert_cmpint(g_get_monotonic_time() - t_hello, <,
			ITEST_SCALED_US(RG_DTLS_RETRANSMIT_TIMEOUT_MS * 600));
	ITEST_RUN_UNTIL(a.dc != NULL && b.dc != NULL, 15);
	g_assert_null(a.failed);
	g_assert_null(b.failed);
	unpair(&a, &b);
}

static void test_bad_sdp(void)
{
	struct rg_pc_config cfg = { .ice = { .local_addresses = loopback } };
	struct side s = { 0 };
	struct rg_pc *pc;
	GError *e = NULL;

	s.got = g_string_new(NULL);
	g_assert_cmpint(rg_pc_new(&pc, &cfg, &cbs, &s, &e), ==, CORE_OK);
	g_assert_cmpint(rg_pc_set_remote_description(pc, "offer", "v=0\r\nnonsense\r\n", &e), !=,
			CORE_OK);
	g_assert_nonnull(e);
	g_assert_true(g_str_has_prefix(e->message, "bad SDP offer: "));
	g_clear_error(&e);
	g_assert_cmpint(rg_pc_set_remote_description(pc, "answer", "v=0\r\n", &e), ==,
			CORE_ERR_INVALID_ARG);
	g_clear_error(&e);
	g_assert_null(s.failed);
	rg_pc_free(pc);
	g_string_free(s.got, TRUE);
}

/* Garbage datagram number i (of 1..1300 bytes): random, or STUN- or DTLS-record-shaped. */
static size_t garbage(GRand *r, unsigned i, uint8_t *buf, size_t size)
{
	size_t len = (size_t)g_rand_int_range(r, 13, (gint32)size);

	for (size_t k = 0; k < len; k++)
		buf[k] = (uint8_t)g_rand_int_range(r, 0, 256);
	switch (i % 4) {
	case 1: /* STUN binding request: type 0x0001, magic cookie */
		len = MAX(len, 20);
		buf[0] = 0x00, buf[1] = 0x01;
		buf[4] = 0x21, buf[5] = 0x12, buf[6] = 0xa4, buf[7] = 0x42;
		break;
	case 2: /* DTLS 1.2 application data, epoch 1 */
	case 3: /* DTLS 1.2 handshake, epoch 0 */
		buf[0] = i % 4 == 2 ? 23 : 22;
		buf[1] = 0xfe, buf[2] = 0xfd;
		buf[3] = 0, buf[4] = i % 4 == 2 ? 1 : 0;
		buf[11] = (uint8_t)((len - 13) >> 8), buf[12] = (uint8_t)(len - 13);
		break;
	}
	return len;
}

/*
 * Send count garbage datagrams to 127.0.0.1:port from 127.0.0.1:from_port
 * (0: from a socket of our own). A spoofed source needs a raw socket
 * (root): then the garbage comes from the peer's own address, so libnice
 * hands it on to DTLS. False when the raw socket cannot be had.
 */
static bool send_garbage(uint16_t port, uint16_t from_port, unsigned count)
{
	int fd = from_port != 0 ? socket(AF_INET, SOCK_RAW, IPPROTO_RAW)
				: socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
	GRand *r = g_rand_new_with_seed(7);
	uint8_t pkt[28 + 1300];

	if (fd < 0)
		return false;
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (unsigned i = 0; i < count; i++) {
		size_t hdr = from_port != 0 ? 28 : 0;
		size_t len = garbage(r, i, pkt + hdr, sizeof(pkt) - 28);

		if (hdr != 0) { /* IPv4 (the kernel fills length, id, checksum) + UDP */
			struct iphdr *ip = (struct iphdr *)pkt;
			struct udphdr *udp = (struct udphdr *)(pkt + 20);

			memset(pkt, 0, hdr);
			ip->version = 4, ip->ihl = 5, ip->ttl = 64, ip->protocol = IPPROTO_UDP;
			ip->saddr = ip->daddr = htonl(INADDR_LOOPBACK);
			udp->source = htons(from_port), udp->dest = htons(port);
			udp->len = htons((uint16_t)(8 + len)); /* checksum 0: none */
		}
		g_assert_cmpint(sendto(fd, pkt, hdr + len, 0, (struct sockaddr *)&to, sizeof(to)),
				==, (ssize_t)(hdr + len));
		if (i % 20 == 0)
			while (g_main_context_iteration(NULL, FALSE))
				;
	}
	g_rand_free(r);
	close(fd);
	return true;
}

static void test_garbage_on_path(void)
{
	struct side a, b;

	connected_pair(&a, &b);
	g_assert_cmpuint(a.host_port, !=, 0);
	g_assert_cmpuint(b.host_port, !=, 0);
	/* from elsewhere: libnice drops it (unknown source, or STUN that fails its checks) */
	g_assert_true(send_garbage(a.host_port, 0, 1000));
	ping_both(&a, &b, "after-garbage");
	/* from the peer's own address: DTLS sees it and must drop it */
	if (!send_garbage(a.host_port, b.host_port, 2000) ||
	    !send_garbage(b.host_port, a.host_port, 2000))
		g_test_message("no raw socket (not root): spoofed garbage not tried");
	ping_both(&a, &b, "after-spoofed-garbage");
	g_assert_cmpint(a.state, ==, RG_PC_CONNECTED);
	g_assert_cmpint(b.state, ==, RG_PC_CONNECTED);
	g_assert_null(a.failed);
	g_assert_null(b.failed);
	unpair(&a, &b);
}

static void test_close(void)
{
	struct side a, b;
	struct rg_dc_options o = { .ordered = true,
				   .max_retransmits = -1,
				   .max_packet_lifetime_ms = -1 };
	GError *e = NULL;

	connected_pair(&a, &b);
	ITEST_RUN_UNTIL(a.gathered == 1 && b.gathered == 1, 10);
	rg_pc_close(a.pc);
	g_assert_cmpint(a.state, ==, RG_PC_CLOSED);
	ITEST_RUN_UNTIL(b.state == RG_PC_CLOSED, 5);
	g_assert_cmpint(rg_pc_create_channel(a.pc, "late", &o, &e), ==, CORE_ERR_CLOSED);
	g_assert_error(e, CORE_ERROR, CORE_ERR_CLOSED);
	g_clear_error(&e);
	g_assert_cmpint(rg_pc_restart_ice(a.pc, &e), ==, CORE_ERR_INVALID_ARG);
	g_clear_error(&e);
	rg_pc_close(a.pc); /* again: nothing */
	g_assert_null(a.failed);
	g_assert_null(b.failed);
	unpair(&a, &b);
}

/*
 * Every line of log, all from our layers (rtc, ice, dtls, sctp, turn), names
 * one of the two connections: "[sctp laptop] ...". Returns how many lines
 * named each (n[0] for a, n[1] for b).
 */
static void assert_lines_named(const char *log, const char *a, const char *b, unsigned n[2])
{
	GRegex *re =
		g_regex_new("^\\S+ +[A-Z]+ +\\[(rtc|ice|dtls|sctp|turn) ([^] ]+)[] ]", 0, 0, NULL);
	char **lines = g_strsplit(log, "\n", -1);

	n[0] = n[1] = 0;
	for (char **l = lines; *l != NULL; l++) {
		GMatchInfo *m = NULL;
		char *obj;

		if (**l == '\0')
			continue;
		if (!g_regex_match(re, *l, 0, &m))
			g_error("a line without a known component and object: %s", *l);
		obj = g_match_info_fetch(m, 2);
		if (strcmp(obj, a) == 0)
			n[0]++;
		else if (strcmp(obj, b) == 0)
			n[1]++;
		else
			g_error("a line that names neither %s nor %s: %s", a, b, *l);
		g_free(obj);
		g_match_info_free(m);
	}
	g_strfreev(lines);
	g_regex_unref(re);
}

/*
 * Many connections share one process: every line any layer logs about a
 * connection carries the name its owner gave it. Set-up, a channel, an ICE
 * restart from each side and a close, logged at DEBUG.
 */
static void test_log_names(void)
{
	enum core_log_level was = core_log_get_level();
	struct side a, b;
	unsigned n[2], sel_a, sel_b;
	char *path, *log;
	int fd;

	core_log_set_level(CORE_LOG_DEBUG);
	fd = itest_log_begin(&path);
	pair_named(&a, &b, false, "laptop", "server");
	g_assert_cmpstr(rg_pc_name(a.pc), ==, "laptop");
	ITEST_RUN_UNTIL(a.dc != NULL && b.dc != NULL && a.selected > 0 && b.selected > 0, 15);
	sel_a = a.selected;
	sel_b = b.selected;
	restart_by_first(&a, &b);
	ITEST_RUN_UNTIL(!rg_pc_ice_restarting(a.pc) && !rg_pc_ice_restarting(b.pc) &&
				a.selected > sel_a && b.selected > sel_b,
			15);
	ping_both(&a, &b, "named");
	rg_pc_close(a.pc);
	ITEST_RUN_UNTIL(b.state == RG_PC_CLOSED, 5);
	unpair(&a, &b);
	log = itest_log_end(fd, path);
	core_log_set_level(was);
	assert_lines_named(log, "laptop", "server", n);
	g_assert_cmpuint(n[0], >=, 5);
	g_assert_cmpuint(n[1], >=, 5);
	/* each layer's lines, on both sides */
	g_assert_nonnull(strstr(log, "[dtls laptop] handshake done: (DTLS1.2)"));
	g_assert_nonnull(strstr(log, "[dtls server] handshake done: (DTLS1.2)"));
	g_assert_nonnull(strstr(log, "[sctp laptop] association up"));
	g_assert_nonnull(strstr(log, "[sctp server] channel \"chat\" opened by the peer"));
	g_assert_nonnull(strstr(log, "[rtc laptop] ICE restart: offering new credentials"));
	g_assert_nonnull(strstr(log, "[rtc server] ICE restart: the peer offers new credentials"));
	g_assert_nonnull(strstr(log, "[ice laptop] restart done: stream 2 carries the data"));
	g_assert_nonnull(strstr(log, "[ice server] restart done: stream 2 carries the data"));
	g_free(log);
}

/* Unnamed connections get distinct short ids ("pc-3"), and their lines carry them. */
static void test_log_default_names(void)
{
	struct side a, b;
	unsigned n[2];
	char *path, *log, *up;
	int fd;

	fd = itest_log_begin(&path);
	connected_pair(&a, &b);
	g_assert_true(g_regex_match_simple("^pc-[0-9]+$", rg_pc_name(a.pc), 0, 0));
	g_assert_true(g_regex_match_simple("^pc-[0-9]+$", rg_pc_name(b.pc), 0, 0));
	g_assert_cmpstr(rg_pc_name(a.pc), !=, rg_pc_name(b.pc));
	log = itest_log_end(fd, path);
	assert_lines_named(log, rg_pc_name(a.pc), rg_pc_name(b.pc), n);
	up = g_strdup_printf("[sctp %s] association up", rg_pc_name(a.pc));
	g_assert_nonnull(strstr(log, up));
	g_free(up);
	g_free(log);
	unpair(&a, &b);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/pc/channel", test_channel);
	g_test_add_func("/pc/wrong-fingerprint", test_wrong_fingerprint);
	g_test_add_func("/pc/early-client-hello", test_early_client_hello);
	g_test_add_func("/pc/bad-sdp", test_bad_sdp);
	g_test_add_data_func("/pc/restart-by-offerer", GINT_TO_POINTER(BY_OFFERER), test_restart);
	g_test_add_data_func("/pc/restart-by-answerer", GINT_TO_POINTER(BY_ANSWERER), test_restart);
	g_test_add_data_func("/pc/restart-glare", GINT_TO_POINTER(GLARE), test_restart);
	g_test_add_func("/pc/reoffer-refused", test_reoffer_refused);
	g_test_add_func("/pc/garbage-on-path", test_garbage_on_path);
	g_test_add_func("/pc/close", test_close);
	g_test_add_func("/pc/log-names", test_log_names);
	g_test_add_func("/pc/log-default-names", test_log_default_names);
	return g_test_run();
}
