/*
 * rtc-peer.c - riftgate's side of the data-channel interop tests: the same
 * command line and stdio protocol as tests/interop/peer.mjs, on rg_pc.
 *
 *   rtc-peer --role offer|answer [--name NAME] [--mib N] [--restart-after M]
 *            [--lossy-first] [--lossy-ordered] [--stun HOST:PORT]
 *            [--turn udp|tcp|tls:HOST:PORT:USER:PASS [--turn-name NAME] [--turn-pin FP]]...
 *
 * One JSON object per line on stdin and stdout: {"type","sdp"},
 * {"candidate","mid"}, {"log"}, {"result","why"}. The offerer opens
 * "reliable" (ordered) and "lossy" (unordered, maxRetransmits 0). Each side
 * sends N MiB of the shared pattern on "reliable" in 1,200-byte binary
 * messages (pausing while more than 1 MiB is buffered), then "end"; it
 * answers a received "end" with "sha256:<hex> bytes:<n>"; exit 0 when the
 * peer's answer matches what it sent. 100 "lossy-<k>" messages on "lossy",
 * which must be unordered with maxRetransmits 0; a malformed or repeated one
 * fails; "lossy: N received" (distinct) is logged at the end.
 * --restart-after M: restart ICE once M MiB are sent (logs "ice restart");
 * SIGUSR1 restarts ICE too (after a network change, say).
 * --stun, --turn: ICE servers; HOST is a numeric IPv4 address (libnice does
 * not resolve names), up to four --turn; a bad one exits 2 at once.
 * --turn-name, --turn-pin: for the --turn before them, a tls: one (which
 * needs one of them): the certificate's name (SNI, checked against the
 * system's CAs) or its SHA-256 fingerprint (AB:CD:..., which wins). Each
 * selected pair is logged as "selected pair LOCAL/REMOTE type TYPE to ADDRESS"
 * (the candidate types and the connection's, as rift/ice/ice.h defines them,
 * and where packets go).
 * --lossy-first holds the reliable transfer until those 100 have left (none
 * buffered): werift 0.24.4 drops the first fragment of a reliable message
 * that straddles the cumulative TSN it reaches on a FORWARD-TSN (it prunes
 * every stream's reassembly queue up to there), and that stream then stalls
 * for good; abandoned "lossy" messages during the transfer make us send such
 * FORWARD-TSNs.
 * --lossy-ordered: expect "lossy" announced as ordered (with maxRetransmits
 * 0): werift 0.24.4's DCEP OPEN for an unordered channel with maxRetransmits
 * writes channel type 0x01 where RFC 8832 says 0x81 (its `channelType = 1`
 * overwrites the unordered bit), so we take it as ordered, as it says.
 * --name: the peer connection's name in its log lines on stderr ("[sctp
 * offerer] ..."); default "offerer" or "answerer", after the role.
 *
 * Bench mode (bench/rtc-dc.sh; see "bench mode" below):
 *   rtc-peer --role offer|answer --bench reliable|unreliable|setup
 *            [--size BYTES] [--seconds N]
 */
#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/tls.h"
#include "rift/rtc/pc.h"

#define CHUNK	 1200
#define MAX_TURN 4

struct peer {
	struct rg_pc *pc;
	GMainLoop *loop;
	size_t total, off;
	size_t restart_at; /* bytes sent before our ICE restart; 0: none */
	bool ended;
	GChecksum *got, *want;
	size_t got_n;
	size_t got_msgs;
	bool mismatch_logged; /* the first received byte that is not the pattern was logged */
	struct rg_dc *reliable;
	struct rg_dc *lossy_dc;
	bool lossy_first;   /* the reliable transfer waits for lossy_dc to drain */
	bool lossy_ordered; /* the peer announces "lossy" as ordered (werift's OPEN does) */
	unsigned lossy;	    /* distinct "lossy-<k>" received */
	bool lossy_seen[100];
	char *reply;  /* our answer to the peer's "end", until it is sent */
	bool replied; /* ... and it was */
	int verdict;  /* -1 until the peer's answer arrives, then 0 / 1 */
	char *why;
	int rc;
	struct bench *bench; /* bench mode, else NULL */
};

static void emit(JsonBuilder *b)
{
	JsonGenerator *g = json_generator_new();
	JsonNode *n = json_builder_get_root(b);
	char *text;

	json_generator_set_root(g, n);
	text = json_generator_to_data(g, NULL);
	printf("%s\n", text);
	fflush(stdout);
	g_free(text);
	json_node_unref(n);
	g_object_unref(g);
	g_object_unref(b);
}

static void emit2(const char *k1, const char *v1, const char *k2, const char *v2)
{
	JsonBuilder *b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, k1);
	json_builder_add_string_value(b, v1);
	if (k2 != NULL) {
		json_builder_set_member_name(b, k2);
		json_builder_add_string_value(b, v2);
	}
	json_builder_end_object(b);
	emit(b);
}

static gboolean quit(gpointer data)
{
	g_main_loop_quit(((struct peer *)data)->loop);
	return G_SOURCE_REMOVE;
}

static void finish(struct peer *p, bool ok, const char *why)
{
	if (p->rc != -1)
		return;
	emit2("result", ok ? "ok" : "fail", "why", why);
	p->rc = ok ? 0 : 1;
	/* a moment for what is queued to leave */
	g_timeout_add(500, quit, p);
}

/* Done when the peer's verdict is in and our answer to it is sent. */
static void maybe_done(struct peer *p)
{
	if (p->verdict >= 0 && p->replied)
		finish(p, p->verdict == 1, p->why);
}

static void send_reply(struct peer *p)
{
	if (p->reply == NULL || p->replied ||
	    rg_dc_send(p->reliable, (const uint8_t *)p->reply, strlen(p->reply), false) != CORE_OK)
		return;
	p->replied = true;
	maybe_done(p);
}

static void pattern(uint8_t *b, size_t off, size_t len)
{
	for (size_t k = 0; k < len; k++) {
		size_t i = off + k;

		b[k] = (uint8_t)((i * 31 + i / 256) & 255);
	}
}

/* Restart ICE now (logged "ice restart"); false when that failed the run. */
static bool restart(struct peer *p)
{
	GError *e = NULL;

	emit2("log", "ice restart", NULL, NULL);
	if (rg_pc_restart_ice(p->pc, &e) == CORE_OK)
		return true;
	finish(p, false, e->message);
	g_error_free(e);
	return false;
}

static gboolean on_usr1(gpointer data)
{
	restart(data);
	return G_SOURCE_CONTINUE;
}

static void pump(struct peer *p)
{
	uint8_t buf[CHUNK];

	/* lossy_tick retries once the lossy messages are acknowledged or abandoned */
	if (p->lossy_first && (p->lossy_dc == NULL || rg_dc_association_unacked(p->lossy_dc) > 0))
		return;
	while (p->off < p->total && rg_dc_buffered_amount(p->reliable) < (1 << 20)) {
		size_t len = MIN(CHUNK, p->total - p->off);

		if (p->restart_at != 0 && p->off >= p->restart_at) {
			p->restart_at = 0;
			if (!restart(p))
				return;
		}
		pattern(buf, p->off, len);
		if (rg_dc_send(p->reliable, buf, len, true) != CORE_OK)
			return; /* buffered_low resumes */
		p->off += len;
	}
	if (p->off >= p->total && !p->ended &&
	    rg_dc_send(p->reliable, (const uint8_t *)"end", 3, false) == CORE_OK) {
		p->ended = true;
		emit2("log", "sent all", NULL, NULL);
	}
	send_reply(p);
}

/* --lossy-first: the wait for the peer's acknowledgements, which no event reports. */
static gboolean lossy_tick(gpointer data)
{
	struct peer *p = data;

	if (p->reliable != NULL)
		pump(p);
	return G_SOURCE_CONTINUE;
}

static void on_description(void *ctx, const char *type, const char *sdp)
{
	emit2("type", type, "sdp", sdp);
}

static void on_candidate(void *ctx, const char *candidate, const char *mid)
{
	emit2("candidate", candidate, "mid", mid);
}

static void on_selected(void *ctx, const struct rg_ice_pair *pair)
{
	char *t = g_strdup_printf("selected pair %s/%s type %s to %s", pair->local, pair->remote,
				  pair->type, pair->remote_address);

	emit2("log", t, NULL, NULL);
	g_free(t);
}

static void on_open(void *ctx, struct rg_dc *dc)
{
	struct peer *p = ctx;
	char *t = g_strdup_printf("channel %s open (stream %u)", rg_dc_label(dc), rg_dc_stream(dc));

	emit2("log", t, NULL, NULL);
	g_free(t);

	if (strcmp(rg_dc_label(dc), "reliable") == 0) {
		p->reliable = dc;
		rg_dc_set_buffered_low(dc, 256 * 1024);
		pump(p);
		return;
	}
	p->lossy_dc = dc;
	if (rg_dc_ordered(dc) != p->lossy_ordered || rg_dc_max_retransmits(dc) != 0) {
		char *w = g_strdup_printf("lossy: the channel is %s with maxRetransmits %d",
					  rg_dc_ordered(dc) ? "ordered" : "unordered",
					  rg_dc_max_retransmits(dc));

		finish(p, false, w);
		g_free(w);
		return;
	}
	for (int k = 0; k < 100; k++) {
		char m[32];
		int n = g_snprintf(m, sizeof(m), "lossy-%d", k);

		rg_dc_send(dc, (const uint8_t *)m, (size_t)n, false);
	}
}

/*
 * The first received message that is not the pattern at its place: log
 * which message's bytes it holds instead (a lost, repeated or reordered
 * message each look different).
 */
static void check_pattern(struct peer *p, const uint8_t *buf, size_t len)
{
	uint8_t want[CHUNK];
	long k;
	char *t;

	if (p->mismatch_logged || len > CHUNK)
		return;
	pattern(want, p->got_n, len);
	if (memcmp(want, buf, len) == 0)
		return;
	p->mismatch_logged = true;
	for (k = -4096; k <= 4096; k++) {
		if ((long)p->got_n + k * (long)len < 0)
			continue;
		pattern(want, (size_t)((long)p->got_n + k * (long)len), len);
		if (memcmp(want, buf, len) == 0)
			break;
	}
	t = k <= 4096 ? g_strdup_printf("mismatch: message %zu holds message %ld", p->got_msgs,
					(long)p->got_msgs + k)
		      : g_strdup_printf("mismatch: message %zu holds no message of ours",
					p->got_msgs);
	emit2("log", t, NULL, NULL);
	g_free(t);
}

static void on_message(void *ctx, struct rg_dc *dc, const uint8_t *buf, size_t len, bool binary)
{
	struct peer *p = ctx;
	char *text, *want;

	if (strcmp(rg_dc_label(dc), "reliable") != 0) {
		/* "lossy-<k>", k < 100, each at most once */
		char m[16] = "", *end = NULL;
		unsigned long k = 100;

		if (len < sizeof(m)) {
			memcpy(m, buf, len);
			m[len] = '\0';
		}
		if (g_str_has_prefix(m, "lossy-") && g_ascii_isdigit(m[6]))
			k = strtoul(m + 6, &end, 10);
		if (k >= 100 || *end != '\0' || p->lossy_seen[k]) {
			finish(p, false, "lossy: unexpected or repeated message");
			return;
		}
		p->lossy_seen[k] = true;
		p->lossy++;
		return;
	}
	if (binary) {
		g_checksum_update(p->got, buf, (gssize)len);
		check_pattern(p, buf, len);
		p->got_n += len;
		p->got_msgs++;
		return;
	}
	text = g_strndup((const char *)buf, len);
	if (strcmp(text, "end") == 0 && p->reply == NULL) {
		p->reply = g_strdup_printf("sha256:%s bytes:%zu", g_checksum_get_string(p->got),
					   p->got_n);
		send_reply(p);
	} else if (g_str_has_prefix(text, "sha256:") && p->verdict < 0) {
		want = g_strdup_printf("sha256:%s bytes:%zu", g_checksum_get_string(p->want),
				       p->total);
		p->verdict = strcmp(text, want) == 0;
		p->why = g_strdup(text);
		g_free(want);
		maybe_done(p);
	}
	g_free(text);
}

static void on_low(void *ctx, struct rg_dc *dc)
{
	struct peer *p = ctx;

	if (dc == p->reliable)
		pump(p);
}

static void on_failed(void *ctx, const char *reason)
{
	finish(ctx, false, reason);
}

static const struct rg_pc_callbacks cbs = {
	.local_description = on_description,
	.local_candidate = on_candidate,
	.selected = on_selected,
	.channel_open = on_open,
	.channel_message = on_message,
	.buffered_low = on_low,
	.failed = on_failed,
};

/* --- bench mode (bench/rtc-dc.sh) ------------------------------------------
 *
 * One sender, one receiver: the answerer prints {"ready":true} once it can
 * take an offer; the offerer waits for that line, then creates one channel
 * "bench" (ordered and reliable, or unordered with maxRetransmits 0) and the
 * offer, and prints {"bench":"setup","ms":T} when the channel opens (the
 * peer connection and its certificate exist before the clock starts). Unless
 * the kind is "setup", the offerer then sends SIZE-byte binary messages for
 * SECONDS as fast as the buffered amount allows (up to BENCH_HIGH, resumed by
 * buffered_low at BENCH_LOW), then the string "end", and prints
 * {"bench":"send","msgs","bytes","ms"} (what the channel accepted: the offered
 * rate). The answerer counts the binary messages and prints
 * {"bench":"recv","msgs","bytes","ms"} (first to last message) on "end", or
 * BENCH_IDLE_MS after the last message when "end" was lost. Each side exits
 * BENCH_LINGER_MS after its part is done; the sender once all it sent has
 * drained (buffered amount 0), so nothing is cut off.
 */
#define BENCH_HIGH	(1 << 20)
#define BENCH_LOW	(256 * 1024)
#define BENCH_IDLE_MS	1000
#define BENCH_LINGER_MS 1000

struct bench {
	const char *kind; /* "reliable", "unreliable" or "setup" */
	size_t size;
	unsigned seconds;
	uint8_t *msg;
	struct rg_dc *dc;
	gint64 t_offer, t_first, t_last, t_stop; /* monotonic us */
	uint64_t msgs, bytes;
	bool stopped, ended, reported;
};

/* Print {"bench":what,"msgs","bytes","ms"} or, with msgs < 0, {"bench":what,"ms"}. */
static void bench_emit(const char *what, int64_t msgs, uint64_t bytes, gint64 us)
{
	JsonBuilder *b = json_builder_new();

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "bench");
	json_builder_add_string_value(b, what);
	if (msgs >= 0) {
		json_builder_set_member_name(b, "msgs");
		json_builder_add_int_value(b, msgs);
		json_builder_set_member_name(b, "bytes");
		json_builder_add_int_value(b, (gint64)bytes);
	}
	json_builder_set_member_name(b, "ms");
	json_builder_add_double_value(b, (double)us / 1000.0);
	json_builder_end_object(b);
	emit(b);
}

/* Our part is done: leave the loop in a moment. */
static void bench_exit_later(struct peer *p)
{
	p->rc = 0;
	g_timeout_add(BENCH_LINGER_MS, quit, p);
}

/* The offerer: the answerer is ready, start the clock and offer. */
static void bench_offer(struct peer *p)
{
	struct bench *b = p->bench;
	bool reliable = strcmp(b->kind, "unreliable") != 0;
	struct rg_dc_options o = { .ordered = reliable,
				   .max_retransmits = reliable ? -1 : 0,
				   .max_packet_lifetime_ms = -1 };

	if (b->t_offer != 0 || rg_pc_state(p->pc) != RG_PC_NEW)
		return;
	b->t_offer = g_get_monotonic_time();
	rg_pc_create_channel(p->pc, "bench", &o, NULL);
	rg_pc_create_offer(p->pc);
}

/* Time is up: report what was offered and say "end" (retried on buffered_low). */
static void bench_end(struct peer *p)
{
	struct bench *b = p->bench;

	if (!b->reported) {
		b->reported = true;
		bench_emit("send", (int64_t)b->msgs, b->bytes, b->t_stop - b->t_first);
	}
	if (!b->ended && rg_dc_send(b->dc, (const uint8_t *)"end", 3, false) == CORE_OK) {
		b->ended = true;
		rg_dc_set_buffered_low(b->dc, 0);
	}
	if (b->ended && rg_dc_buffered_amount(b->dc) == 0)
		bench_exit_later(p);
}

/* Send until the buffered amount is high, SCTP pushes back, or time is up. */
static void bench_pump(struct peer *p)
{
	struct bench *b = p->bench;
	gint64 until = b->t_first + (gint64)b->seconds * G_USEC_PER_SEC;

	if (b->dc == NULL)
		return;
	while (!b->stopped && rg_dc_buffered_amount(b->dc) < BENCH_HIGH) {
		gint64 now = g_get_monotonic_time();

		if (now >= until) {
			b->stopped = true;
			b->t_stop = now;
			break;
		}
		if (rg_dc_send(b->dc, b->msg, b->size, true) != CORE_OK)
			return; /* buffered_low resumes */
		b->msgs++;
		b->bytes += b->size;
	}
	if (b->stopped)
		bench_end(p);
}

/* The sender's deadline, also when no buffered_low comes by then. */
static gboolean bench_deadline(gpointer data)
{
	struct peer *p = data;

	bench_pump(p);
	return G_SOURCE_REMOVE;
}

static void bench_on_open(void *ctx, struct rg_dc *dc)
{
	struct peer *p = ctx;
	struct bench *b = p->bench;

	b->dc = dc;
	if (b->t_offer == 0) { /* the answerer */
		if (strcmp(b->kind, "setup") == 0)
			bench_exit_later(p);
		return;
	}
	bench_emit("setup", -1, 0, g_get_monotonic_time() - b->t_offer);
	if (strcmp(b->kind, "setup") == 0) {
		bench_exit_later(p);
		return;
	}
	rg_dc_set_buffered_low(dc, BENCH_LOW);
	b->t_first = g_get_monotonic_time();
	g_timeout_add_seconds(b->seconds, bench_deadline, p);
	bench_pump(p);
}

/* The receiver's report (once). */
static void bench_report(struct peer *p)
{
	struct bench *b = p->bench;

	if (b->reported)
		return;
	b->reported = true;
	bench_emit("recv", (int64_t)b->msgs, b->bytes, b->t_last - b->t_first);
	bench_exit_later(p);
}

static void bench_on_message(void *ctx, struct rg_dc *dc, const uint8_t *buf, size_t len,
			     bool binary)
{
	struct peer *p = ctx;
	struct bench *b = p->bench;

	if (!binary) {
		if (len == 3 && memcmp(buf, "end", 3) == 0)
			bench_report(p);
		return;
	}
	b->t_last = g_get_monotonic_time();
	if (b->msgs == 0)
		b->t_first = b->t_last;
	b->msgs++;
	b->bytes += len;
}

/* The receiver gives up on "end" BENCH_IDLE_MS after the last message. */
static gboolean bench_idle_check(gpointer data)
{
	struct peer *p = data;
	struct bench *b = p->bench;

	if (b->msgs > 0 && g_get_monotonic_time() - b->t_last > BENCH_IDLE_MS * 1000)
		bench_report(p);
	return !b->reported;
}

static void bench_on_low(void *ctx, struct rg_dc *dc)
{
	struct peer *p = ctx;

	if (p->bench->t_offer != 0 && p->bench->t_first != 0)
		bench_pump(p);
}

/* The peer closed the channel (it should not): stop using it. */
static void bench_on_closed(void *ctx, struct rg_dc *dc)
{
	struct peer *p = ctx;

	if (dc != p->bench->dc)
		return;
	p->bench->dc = NULL;
	finish(p, false, "the bench channel closed");
}

static const struct rg_pc_callbacks bench_cbs = {
	.local_description = on_description,
	.local_candidate = on_candidate,
	.channel_open = bench_on_open,
	.channel_message = bench_on_message,
	.channel_closed = bench_on_closed,
	.buffered_low = bench_on_low,
	.failed = on_failed,
};

static void handle_line(struct peer *p, const char *line)
{
	JsonParser *parser = json_parser_new();
	JsonObject *o;
	GError *e = NULL;

	if (!json_parser_load_from_data(parser, line, -1, &e) ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
		finish(p, false, "bad signaling line");
		goto out;
	}
	o = json_node_get_object(json_parser_get_root(parser));
	if (json_object_has_member(o, "sdp")) {
		if (rg_pc_set_remote_description(p->pc, json_object_get_string_member(o, "type"),
						 json_object_get_string_member(o, "sdp"),
						 &e) != CORE_OK)
			finish(p, false, e->message);
	} else if (json_object_has_member(o, "candidate")) {
		rg_pc_add_remote_candidate(p->pc, json_object_get_string_member(o, "candidate"));
	} else if (json_object_has_member(o, "ready") && p->bench != NULL) {
		bench_offer(p);
	}
out:
	g_clear_error(&e);
	g_object_unref(parser);
}

static gboolean on_stdin(GIOChannel *ch, GIOCondition cond, gpointer data)
{
	struct peer *p = data;
	char *line = NULL;
	GIOStatus st = g_io_channel_read_line(ch, &line, NULL, NULL, NULL);

	if (st == G_IO_STATUS_NORMAL && line != NULL) {
		g_strstrip(line);
		if (line[0] != '\0')
			handle_line(p, line);
	}
	g_free(line);
	return st != G_IO_STATUS_EOF && st != G_IO_STATUS_ERROR;
}

static gboolean on_timeout(gpointer data)
{
	struct peer *p = data;
	char *t;

	/* where it stood: a stall shows which side and which direction stopped */
	t = g_strdup_printf("at the timeout: sent %zu, queued %zu, association unacked %zu, "
			    "received %zu bytes (%zu messages)%s",
			    p->off, p->reliable != NULL ? rg_dc_buffered_amount(p->reliable) : 0,
			    p->reliable != NULL ? rg_dc_association_unacked(p->reliable) : 0,
			    p->got_n, p->got_msgs, p->reply != NULL ? ", peer's end seen" : "");
	emit2("log", t, NULL, NULL);
	g_free(t);
	if (p->reliable != NULL) {
		t = rg_dc_association_describe(p->reliable);
		emit2("log", t, NULL, NULL);
		g_free(t);
	}
	finish(p, false, "timed out after 150 s");
	return G_SOURCE_REMOVE;
}

/* A port number, 1 to 65535. */
static bool parse_port(const char *text, uint16_t *port)
{
	guint64 n;

	if (!g_ascii_string_to_unsigned(text, 10, 1, 65535, &n, NULL))
		return false;
	*port = (uint16_t)n;
	return true;
}

/* --stun HOST:PORT; keep holds the strings cfg then points into. */
static bool parse_stun(const char *arg, struct rg_ice_config *cfg, GPtrArray *keep)
{
	char **v = g_strsplit(arg, ":", 2);

	g_ptr_array_add(keep, v);
	if (g_strv_length(v) != 2 || !parse_port(v[1], &cfg->stun_port))
		return false;
	cfg->stun_host = v[0];
	return true;
}

/* --turn udp|tcp|tls:HOST:PORT:USER:PASS (PASS may contain ':'); keep as above. */
static bool parse_turn(const char *arg, struct rg_ice_turn *t, GPtrArray *keep)
{
	static const struct {
		const char *name;
		enum rg_ice_relay kind;
	} kinds[] = { { "udp", RG_ICE_TURN_UDP },
		      { "tcp", RG_ICE_TURN_TCP },
		      { "tls", RG_ICE_TURN_TLS } };
	char **v = g_strsplit(arg, ":", 5);

	g_ptr_array_add(keep, v);
	if (g_strv_length(v) != 5 || !parse_port(v[2], &t->port))
		return false;
	t->host = v[1];
	t->username = v[3];
	t->password = v[4];
	for (size_t k = 0; k < G_N_ELEMENTS(kinds); k++) {
		if (strcmp(v[0], kinds[k].name) == 0) {
			t->transport = kinds[k].kind;
			return true;
		}
	}
	return false;
}

/* --turn-name NAME or --turn-pin FP (into pin) for t, the --turn before it. */
static bool parse_tls(const char *opt, const char *arg, struct rg_ice_turn *t,
		      uint8_t pin[CORE_TLS_FP_LEN])
{
	if (strcmp(opt, "--turn-name") == 0) {
		t->tls_name = arg;
		return true;
	}
	if (core_tls_fingerprint_parse(arg, pin) != CORE_OK)
		return false;
	t->tls_pin = pin;
	return true;
}

int main(int argc, char **argv)
{
	struct peer p = { .rc = -1, .verdict = -1 };
	struct rg_pc_config cfg = { 0 };
	const char *role = "answer";
	GIOChannel *in;
	GError *e = NULL;
	unsigned mib = 10;
	struct bench bench = { .size = 1400, .seconds = 5 };
	struct rg_ice_turn turn[MAX_TURN] = { 0 };
	uint8_t pins[MAX_TURN][CORE_TLS_FP_LEN];
	GPtrArray *keep = g_ptr_array_new_with_free_func((GDestroyNotify)g_strfreev);
	bool ok = true;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--lossy-first") == 0) {
			p.lossy_first = true;
			continue;
		}
		if (strcmp(argv[i], "--lossy-ordered") == 0) {
			p.lossy_ordered = true;
			continue;
		}
		if (i + 1 >= argc)
			break;
		if (strcmp(argv[i], "--role") == 0)
			role = argv[i + 1];
		else if (strcmp(argv[i], "--name") == 0)
			cfg.name = argv[i + 1];
		else if (strcmp(argv[i], "--mib") == 0)
			mib = (unsigned)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--restart-after") == 0)
			p.restart_at = (size_t)atoi(argv[i + 1]) << 20;
		else if (strcmp(argv[i], "--stun") == 0)
			ok = parse_stun(argv[i + 1], &cfg.ice, keep);
		else if (strcmp(argv[i], "--turn") == 0)
			ok = cfg.ice.n_turn < MAX_TURN &&
			     parse_turn(argv[i + 1], &turn[cfg.ice.n_turn++], keep);
		else if (strcmp(argv[i], "--bench") == 0)
			bench.kind = argv[i + 1];
		else if (strcmp(argv[i], "--size") == 0)
			bench.size = (size_t)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--seconds") == 0)
			bench.seconds = (unsigned)atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--turn-name") == 0 || strcmp(argv[i], "--turn-pin") == 0)
			ok = cfg.ice.n_turn > 0 &&
			     parse_tls(argv[i], argv[i + 1], &turn[cfg.ice.n_turn - 1],
				       pins[cfg.ice.n_turn - 1]);
		if (!ok) {
			fprintf(stderr, "rtc-peer: bad %s \"%s\"\n", argv[i], argv[i + 1]);
			g_ptr_array_unref(keep);
			return 2;
		}
		i++;
	}
	for (size_t k = 0; k < cfg.ice.n_turn; k++) {
		if (turn[k].transport == RG_ICE_TURN_TLS && turn[k].tls_name == NULL &&
		    turn[k].tls_pin == NULL) {
			fprintf(stderr,
				"rtc-peer: --turn tls:... needs --turn-name or --turn-pin\n");
			g_ptr_array_unref(keep);
			return 2;
		}
	}
	if (bench.kind != NULL) {
		p.bench = &bench;
		mib = 0;
		bench.msg = g_malloc(MAX(bench.size, 1));
		pattern(bench.msg, 0, bench.size);
	}
	cfg.ice.turn = turn;
	if (cfg.name == NULL)
		cfg.name = strcmp(role, "offer") == 0 ? "offerer" : "answerer";
	/* stdout carries the signaling: GLib's and libnice's debug output (G_MESSAGES_DEBUG) must not */
	g_log_writer_default_set_use_stderr(TRUE);
	p.total = (size_t)mib << 20;
	p.got = g_checksum_new(G_CHECKSUM_SHA256);
	p.want = g_checksum_new(G_CHECKSUM_SHA256);
	for (size_t off = 0; off < p.total; off += CHUNK) {
		uint8_t buf[CHUNK];
		size_t len = MIN(CHUNK, p.total - off);

		pattern(buf, off, len);
		g_checksum_update(p.want, buf, (gssize)len);
	}
	p.loop = g_main_loop_new(NULL, FALSE);
	if (rg_pc_new(&p.pc, &cfg, p.bench != NULL ? &bench_cbs : &cbs, &p, &e) != CORE_OK) {
		fprintf(stderr, "rtc-peer: %s\n", e->message);
		return 1;
	}
	in = g_io_channel_unix_new(0);
	g_io_add_watch(in, G_IO_IN | G_IO_HUP, on_stdin, &p);
	g_timeout_add_seconds(150, on_timeout, &p);
	g_unix_signal_add(SIGUSR1, on_usr1, &p);
	if (p.lossy_first)
		g_timeout_add(100, lossy_tick, &p);
	if (p.bench != NULL && strcmp(role, "answer") == 0) {
		emit2("ready", "true", NULL, NULL);
		g_timeout_add(100, bench_idle_check, &p);
	} else if (strcmp(role, "offer") == 0 && p.bench == NULL) {
		struct rg_dc_options rel = { .ordered = true,
					     .max_retransmits = -1,
					     .max_packet_lifetime_ms = -1 };
		struct rg_dc_options lossy = { .ordered = false,
					       .max_retransmits = 0,
					       .max_packet_lifetime_ms = -1 };

		rg_pc_create_channel(p.pc, "reliable", &rel, NULL);
		rg_pc_create_channel(p.pc, "lossy", &lossy, NULL);
		rg_pc_create_offer(p.pc);
	}
	g_main_loop_run(p.loop);
	{
		char *t = g_strdup_printf("lossy: %u received", p.lossy);

		emit2("log", t, NULL, NULL);
		g_free(t);
	}
	rg_pc_free(p.pc);
	g_io_channel_unref(in);
	g_checksum_free(p.got);
	g_checksum_free(p.want);
	g_main_loop_unref(p.loop);
	g_free(p.reply);
	g_free(p.why);
	g_free(bench.msg);
	g_ptr_array_unref(keep);
	return p.rc == 0 ? 0 : 1;
}
