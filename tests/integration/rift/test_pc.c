/*
 * Integration tests for rift/rtc/pc: two peer connections in this process
 * on 127.0.0.1, signaled directly. A channel opens and carries messages
 * both ways; a fingerprint changed in the answer fails both sides with a
 * reason (the offerer's DTLS refuses the certificate); a malformed SDP is
 * refused with the parser's reason and nothing else happens; a ClientHello
 * that arrives before the offerer's DTLS starts is kept for it.
 */
#include <glib.h>
#include <string.h>

#include "../loop.h"
#include "core/err.h"
#include "rift/rtc/dtls.h"
#include "rift/rtc/pc-priv.h"
#include "rift/rtc/pc.h"

struct side {
	struct rg_pc *pc;
	struct side *peer;
	bool tamper_answer;
	enum rg_pc_state state;
	char *failed;
	struct rg_dc *dc;
	GString *got;
};

static void on_description(void *ctx, const char *type, const char *sdp)
{
	struct side *s = ctx;
	GError *e = NULL;
	char *text = g_strdup(sdp);

	if (s->tamper_answer && strcmp(type, "answer") == 0) {
		char *fp = strstr(text, "a=fingerprint:sha-256 ");

		g_assert_nonnull(fp);
		fp += strlen("a=fingerprint:sha-256 ");
		fp[0] = fp[0] == 'A' ? 'B' : 'A'; /* one hex digit */
	}
	g_assert_cmpint(rg_pc_set_remote_description(s->peer->pc, type, text, &e), ==, CORE_OK);
	g_assert_no_error(e);
	g_free(text);
}

static void on_candidate(void *ctx, const char *cand, const char *mid)
{
	struct side *s = ctx;

	rg_pc_add_remote_candidate(s->peer->pc, cand);
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
	.channel_open = on_open,
	.channel_message = on_message,
	.failed = on_failed,
};

static const char *const loopback[] = { "127.0.0.1", NULL };

static void pair(struct side *a, struct side *b, bool tamper)
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
	b->tamper_answer = tamper;
	g_assert_cmpint(rg_pc_new(&a->pc, &cfg, &cbs, a, &e), ==, CORE_OK);
	g_assert_cmpint(rg_pc_new(&b->pc, &cfg, &cbs, b, &e), ==, CORE_OK);
	g_assert_null(rg_pc_create_channel(a->pc, "chat", &o, &e)); /* pending until connected */
	g_assert_no_error(e);
	g_assert_cmpint(rg_pc_create_offer(a->pc), ==, CORE_OK);
	g_assert_cmpint(rg_pc_create_offer(a->pc), ==, CORE_ERR_INVALID_ARG);
}

static void unpair(struct side *a, struct side *b)
{
	rg_pc_free(a->pc);
	rg_pc_free(b->pc);
	for (struct side *s = a; s != NULL; s = s == a ? b : NULL) {
		g_string_free(s->got, TRUE);
		g_free(s->failed);
	}
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
	g_assert_cmpint(g_get_monotonic_time() - t_hello, <, RG_DTLS_RETRANSMIT_TIMEOUT_MS * 600);
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

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/pc/channel", test_channel);
	g_test_add_func("/pc/wrong-fingerprint", test_wrong_fingerprint);
	g_test_add_func("/pc/early-client-hello", test_early_client_hello);
	g_test_add_func("/pc/bad-sdp", test_bad_sdp);
	return g_test_run();
}
