/* Unit tests for rift/rtc/sdp: real-world SDPs (tests/data/sdp), round trips, rejections. */
#include <glib.h>
#include <string.h>

#include "core/err.h"
#include "core/hex.h"
#include "rift/rtc/sdp.h"

#define FP1 "5FE01C6B93AA04D27E18C3B940FF628D112A5CE7903BD4660FA1B827CE45739E"
#define FP2 "A0B1C2D3E4F5061728394A5B6C7D8E9FA0B1C2D3E4F5061728394A5B6C7D8E9F"

/* Parse tests/data/sdp/valid/<name> into *s, failing the test on rejection. */
static void parse_valid(const char *name, struct rg_sdp *s)
{
	char *path = g_test_build_filename(G_TEST_DIST, "data", "sdp", "valid", name, NULL);
	char *text;
	gsize len;
	const char *reason;

	g_assert_true(g_file_get_contents(path, &text, &len, NULL));
	if (rg_sdp_parse(text, len, s, &reason) != CORE_OK)
		g_error("%s: rejected: %s", name, reason);
	g_assert_cmpstr(reason, ==, "");
	g_free(text);
	g_free(path);
}

/* The fingerprint equals the hex (no colons). */
static void assert_fp(const struct rg_sdp *s, const char *hex)
{
	uint8_t fp[RG_SDP_FP_LEN];

	g_assert_cmpint(core_hex_decode(fp, sizeof(fp), hex, strlen(hex)), ==, CORE_OK);
	g_assert_cmpmem(s->fingerprint, RG_SDP_FP_LEN, fp, sizeof(fp));
}

/* Candidate i's fields as formatted text. */
static void assert_cand(const struct rg_sdp *s, size_t i, const char *text)
{
	char out[RG_SDP_CANDIDATE_MAX];

	g_assert_cmpuint(i, <, s->n_candidates);
	rg_sdp_candidate_format(&s->candidates[i], out, sizeof(out));
	g_assert_cmpstr(out, ==, text);
}

/* Chromium's data-only offer: everything in the section, no candidates yet. */
static void test_chromium_offer(void)
{
	struct rg_sdp s;

	parse_valid("chromium-offer.sdp", &s);
	g_assert_cmpuint(s.session_id, ==, 4215775240449105457u);
	g_assert_cmpuint(s.session_version, ==, 2);
	g_assert_cmpstr(s.mid, ==, "0");
	g_assert_cmpstr(s.ice_ufrag, ==, "Hx5N");
	g_assert_cmpstr(s.ice_pwd, ==, "hGvP6AKqkd7YMTxrt2yqvZf3");
	g_assert_true(s.ice_trickle);
	assert_fp(&s, FP1);
	g_assert_cmpint(s.setup, ==, RG_SDP_SETUP_ACTPASS);
	g_assert_cmpuint(s.sctp_port, ==, 5000);
	g_assert_cmpuint(s.max_message_size, ==, 262144);
	g_assert_cmpuint(s.n_candidates, ==, 0);
	g_assert_null(s.candidates);
	g_assert_false(s.end_of_candidates);
	rg_sdp_clear(&s);
}

/* ICE/DTLS at session level, "ice2,trickle" as libdatachannel writes it, candidates. */
static void test_session_level_answer(void)
{
	struct rg_sdp s;

	parse_valid("session-level-answer.sdp", &s);
	g_assert_cmpuint(s.session_id, ==, 2586130396u);
	g_assert_cmpuint(s.session_version, ==, 0);
	g_assert_cmpstr(s.ice_ufrag, ==, "Lb7F");
	g_assert_cmpstr(s.ice_pwd, ==, "kqzPqRpK0rxqLvhfxtbYhO");
	g_assert_true(s.ice_trickle);
	assert_fp(&s, FP2);
	g_assert_cmpint(s.setup, ==, RG_SDP_SETUP_ACTIVE);
	g_assert_cmpuint(s.max_message_size, ==, 262144);
	g_assert_cmpuint(s.n_candidates, ==, 2);
	assert_cand(&s, 0, "candidate:1 1 UDP 2122317823 192.168.1.20 56144 typ host");
	assert_cand(
		&s, 1,
		"candidate:2 1 UDP 1686109951 203.0.113.7 56144 typ srflx raddr 0.0.0.0 rport 0");
	g_assert_cmpstr(s.candidates[1].raddr, ==, "0.0.0.0");
	g_assert_cmpuint(s.candidates[1].rport, ==, 0);
	g_assert_true(s.end_of_candidates);
	rg_sdp_clear(&s);
}

/* Firefox: session-level fingerprint and ice-options, mDNS, IPv6 and TCP candidates. */
static void test_firefox_offer(void)
{
	struct rg_sdp s;
	const struct rg_sdp_candidate *c;

	parse_valid("firefox-offer.sdp", &s);
	g_assert_cmpuint(s.session_id, ==, 6931823154283402036u);
	g_assert_cmpstr(s.ice_ufrag, ==, "1c4d6e8a");
	g_assert_cmpstr(s.ice_pwd, ==, "9b2a6f3e1d0c4b5a69788796a5b4c3d2");
	g_assert_true(s.ice_trickle);
	assert_fp(&s, FP1);
	g_assert_cmpint(s.setup, ==, RG_SDP_SETUP_ACTPASS);
	g_assert_cmpuint(s.sctp_port, ==, 5000);
	g_assert_cmpuint(s.max_message_size, ==, 1073741823);
	g_assert_cmpuint(s.n_candidates, ==, 3);
	c = &s.candidates[0];
	g_assert_cmpstr(c->foundation, ==, "0");
	g_assert_cmpuint(c->component, ==, 1);
	g_assert_cmpstr(c->transport, ==, "UDP");
	g_assert_cmpuint(c->priority, ==, 2122252543);
	g_assert_cmpstr(c->addr, ==, "3f9d2b1c-5a6e-4c7d-9e8f-0a1b2c3d4e5f.local");
	g_assert_cmpuint(c->port, ==, 49562);
	g_assert_cmpstr(c->type, ==, "host");
	g_assert_cmpstr(s.candidates[1].addr, ==, "2001:db8::1f");
	g_assert_cmpstr(s.candidates[2].transport, ==, "TCP");
	g_assert_cmpstr(s.candidates[2].tcptype, ==, "active");
	g_assert_cmpuint(s.candidates[2].port, ==, 9);
	g_assert_true(s.end_of_candidates);
	rg_sdp_clear(&s);
}

/* Audio and video sections are skipped, with their attributes and candidates. */
static void test_av_offer(void)
{
	struct rg_sdp s;

	parse_valid("chromium-av-offer.sdp", &s);
	g_assert_cmpuint(s.session_id, ==, 1733000000000000001u);
	g_assert_cmpuint(s.session_version, ==, 3);
	g_assert_cmpstr(s.mid, ==, "2");
	g_assert_cmpstr(s.ice_ufrag, ==, "Dc7k");
	g_assert_cmpstr(s.ice_pwd, ==, "Ra8gSmI0N5tfHBvzKpW2Lq1x");
	assert_fp(&s, FP1);
	g_assert_cmpint(s.setup, ==, RG_SDP_SETUP_ACTPASS);
	g_assert_cmpuint(s.n_candidates, ==, 3);
	assert_cand(&s, 0, "candidate:3442447574 1 UDP 2122260223 192.168.1.7 60003 typ host");
	assert_cand(&s, 1,
		    "candidate:842163049 1 UDP 1686052607 198.51.100.9 60003 typ srflx raddr "
		    "192.168.1.7 rport 60003");
	assert_cand(&s, 2,
		    "candidate:2043785446 1 TCP 1518280447 192.168.1.7 9 typ host tcptype active");
	g_assert_false(s.end_of_candidates);
	rg_sdp_clear(&s);
}

/* pion: \n line ends, lowercase fingerprint hex, no max-message-size (64 KiB). */
static void test_pion_answer(void)
{
	struct rg_sdp s;

	parse_valid("pion-answer.sdp", &s);
	g_assert_cmpuint(s.session_id, ==, 8429958165426381455u);
	g_assert_cmpuint(s.session_version, ==, 1732544111);
	g_assert_cmpstr(s.ice_ufrag, ==, "XsjpKSRYiOJTBsSr");
	g_assert_false(s.ice_trickle);
	assert_fp(&s, FP2);
	g_assert_cmpint(s.setup, ==, RG_SDP_SETUP_ACTIVE);
	g_assert_cmpuint(s.max_message_size, ==, 65536);
	g_assert_cmpuint(s.n_candidates, ==, 3);
	g_assert_cmpstr(s.candidates[2].type, ==, "relay");
	g_assert_cmpstr(s.candidates[2].raddr, ==, "198.51.100.3");
	g_assert_cmpuint(s.candidates[2].rport, ==, 51234);
	g_assert_true(s.end_of_candidates);
	rg_sdp_clear(&s);
}

/* The legacy "DTLS/SCTP <port>" form: the port comes from the m= line. */
static void test_legacy(void)
{
	struct rg_sdp s;

	parse_valid("legacy-dtls-sctp.sdp", &s);
	g_assert_cmpstr(s.mid, ==, "data");
	g_assert_cmpuint(s.sctp_port, ==, 5001);
	g_assert_cmpint(s.setup, ==, RG_SDP_SETUP_PASSIVE);
	assert_fp(&s, FP1);
	g_assert_cmpuint(s.max_message_size, ==, 65536);
	rg_sdp_clear(&s);
}

/* Real Chromium 156, node-datachannel 0.33.4 and werift 0.24.4 offers and answers. */
static void test_captured(void)
{
	static const struct {
		const char *file;
		uint64_t session_id, session_version;
		bool end_of_candidates;
		const char *ufrag, *pwd, *fp;
		enum rg_sdp_setup setup;
		uint32_t max_message_size;
		const char *cand[2];
	} cases[] = {
		{ "chromium-captured-offer.sdp",
		  5373247428466395655u,
		  2,
		  false,
		  "G88j",
		  "rr0kPp/v5JRnHZe3KvT8+q5Q",
		  "3E650FF30657047520068993BCAB0FCB60A5C48815800098D3F3A8FD569E3566",
		  RG_SDP_SETUP_ACTPASS,
		  262144,
		  { "candidate:2048555600 1 UDP 2113937151 "
		    "10ec4e55-64bb-478d-80c3-51ee40828f4b.local "
		    "34823 typ host",
		    "candidate:2103973600 1 UDP 2113942271 "
		    "b7d2fc18-4a74-4bcc-a2cd-233164f13bcb.local "
		    "45912 typ host" } },
		{ "chromium-captured-answer.sdp",
		  6000210667781983324u,
		  2,
		  false,
		  "D6rZ",
		  "N4zGTgHVyShZpwvidvjsbJRo",
		  "01994F6055BBB24216A4BB67DBE752DF677AB4A65654D5F81F1D9F91E625D063",
		  RG_SDP_SETUP_ACTIVE,
		  262144,
		  { "candidate:900792975 1 UDP 2113937151 "
		    "10ec4e55-64bb-478d-80c3-51ee40828f4b.local "
		    "51293 typ host",
		    "candidate:4275553135 1 UDP 2113942271 "
		    "b7d2fc18-4a74-4bcc-a2cd-233164f13bcb.local "
		    "44720 typ host" } },
		{ "node-datachannel-offer.sdp",
		  4081990986u,
		  0,
		  true,
		  "bpaL",
		  "II0G7aywsschg1bjDF97RU",
		  "DF428CA12153360FA917D117F4581EA6E7A4B0E39B6C80610EC986F4F4ACA36A",
		  RG_SDP_SETUP_ACTPASS,
		  262144,
		  { "candidate:2 1 UDP 2116026111 fd00::2 56892 typ host",
		    "candidate:1 1 UDP 2114977791 192.0.2.2 56892 typ host" } },
		{ "node-datachannel-answer.sdp",
		  2605111839u,
		  0,
		  true,
		  "QMxA",
		  "EkvEqL3i2eJ31Wuu7Jj+Df",
		  "2C68431D972D08B2C3682EB904CF3CFD921F2D8D5112CC77F0808D3C75189176",
		  RG_SDP_SETUP_ACTIVE,
		  262144,
		  { "candidate:2 1 UDP 2116026111 fd00::2 49683 typ host",
		    "candidate:1 1 UDP 2114977791 192.0.2.2 49683 typ host" } },
		{ "werift-offer.sdp",
		  37547650u,
		  0,
		  true,
		  "4748",
		  "a9c46e0d01d0afe97df22e",
		  "A06C51C28B4645B8A4852432D3C8B71FBA27D4B7F83305B4FA749AE40FB038A1",
		  RG_SDP_SETUP_ACTPASS,
		  65536,
		  { "candidate:32b1715da3b0ef8ba684454eb 1 UDP 2116026367 192.0.2.2 39590 typ host",
		    "candidate:9c29a2bc887618212a1623bfa 1 UDP 2116026367 fd00::2 49880 typ "
		    "host" } },
		{ "werift-answer.sdp",
		  14356695u,
		  0,
		  true,
		  "e7ee",
		  "bfe25f9e8f707d2aeb1581",
		  "A06C51C28B4645B8A4852432D3C8B71FBA27D4B7F83305B4FA749AE40FB038A1",
		  RG_SDP_SETUP_ACTIVE,
		  65536,
		  { "candidate:32b1715da3b0ef8ba684454eb 1 UDP 2116026367 192.0.2.2 54190 typ host",
		    "candidate:9c29a2bc887618212a1623bfa 1 UDP 2116026367 fd00::2 42950 typ "
		    "host" } },
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct rg_sdp s;

		parse_valid(cases[i].file, &s);
		g_assert_cmpuint(s.session_id, ==, cases[i].session_id);
		g_assert_cmpuint(s.session_version, ==, cases[i].session_version);
		g_assert_cmpstr(s.mid, ==, "0");
		g_assert_cmpstr(s.ice_ufrag, ==, cases[i].ufrag);
		g_assert_cmpstr(s.ice_pwd, ==, cases[i].pwd);
		g_assert_true(s.ice_trickle);
		assert_fp(&s, cases[i].fp);
		g_assert_cmpint(s.setup, ==, cases[i].setup);
		g_assert_cmpuint(s.sctp_port, ==, 5000);
		g_assert_cmpuint(s.max_message_size, ==, cases[i].max_message_size);
		g_assert_cmpuint(s.n_candidates, ==, 2);
		assert_cand(&s, 0, cases[i].cand[0]);
		assert_cand(&s, 1, cases[i].cand[1]);
		g_assert_true(s.end_of_candidates == cases[i].end_of_candidates);
		rg_sdp_clear(&s);
	}
}

/* Every valid vector survives build -> parse unchanged. */
static void test_round_trip_vectors(void)
{
	char *dir = g_test_build_filename(G_TEST_DIST, "data", "sdp", "valid", NULL);
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name, *reason;
	unsigned n = 0;

	g_assert_nonnull(d);
	while ((name = g_dir_read_name(d)) != NULL) {
		struct rg_sdp s, again;
		char *text;

		parse_valid(name, &s);
		text = rg_sdp_build(&s);
		g_assert_nonnull(text);
		if (rg_sdp_parse(text, strlen(text), &again, &reason) != CORE_OK)
			g_error("%s: built SDP rejected (%s):\n%s", name, reason, text);
		if (!rg_sdp_equal(&s, &again))
			g_error("%s: built SDP differs:\n%s", name, text);
		rg_sdp_clear(&s);
		rg_sdp_clear(&again);
		g_free(text);
		n++;
	}
	g_assert_cmpuint(n, ==, 12);
	g_dir_close(d);
	g_free(dir);
}

/* Every invalid vector is rejected with the code and reason invalid.tsv gives. */
static void test_invalid_vectors(void)
{
	static const struct {
		const char *name;
		int code;
	} codes[] = { { "BAD_FORMAT", CORE_ERR_BAD_FORMAT },
		      { "BAD_VALUE", CORE_ERR_BAD_VALUE },
		      { "TOO_LARGE", CORE_ERR_TOO_LARGE } };
	char *dir = g_test_build_filename(G_TEST_DIST, "data", "sdp", "invalid", NULL);
	char *tsv = g_test_build_filename(G_TEST_DIST, "data", "sdp", "invalid.tsv", NULL);
	char *manifest, **lines;
	unsigned n = 0;

	g_assert_true(g_file_get_contents(tsv, &manifest, NULL, NULL));
	lines = g_strsplit(manifest, "\n", -1);
	for (char **l = lines; *l != NULL; l++) {
		char **f, *path, *text;
		const char *reason;
		gsize len;
		struct rg_sdp s;
		int code = 1, ret;

		if ((*l)[0] == '#' || (*l)[0] == '\0')
			continue;
		f = g_strsplit(*l, "\t", 3);
		g_assert_nonnull(f[1]);
		g_assert_nonnull(f[2]);
		for (size_t i = 0; i < G_N_ELEMENTS(codes); i++)
			if (strcmp(f[1], codes[i].name) == 0)
				code = codes[i].code;
		path = g_strconcat(dir, "/", f[0], ".sdp", NULL);
		g_assert_true(g_file_get_contents(path, &text, &len, NULL));
		ret = rg_sdp_parse(text, len, &s, &reason);
		if (ret != code)
			g_error("%s: returned %d (%s), not %s", f[0], ret, reason, f[1]);
		if (strcmp(reason, f[2]) != 0)
			g_error("%s: reason \"%s\", not \"%s\"", f[0], reason, f[2]);
		g_assert_null(s.candidates); /* cleared */
		g_assert_cmpuint(s.n_candidates, ==, 0);
		g_free(text);
		g_free(path);
		g_strfreev(f);
		n++;
	}
	g_assert_cmpuint(n, >=, 38);
	g_assert_cmpint(rg_sdp_parse(NULL, 0, &(struct rg_sdp){ 0 }, NULL), ==,
			CORE_ERR_INVALID_ARG);
	g_strfreev(lines);
	g_free(manifest);
	g_free(tsv);
	g_free(dir);
}

/* A struct with every field set, for the builder tests. */
static void sample(struct rg_sdp *s, struct rg_sdp_candidate *c)
{
	memset(s, 0, sizeof(*s));
	s->session_id = 18446744073709551615u;
	s->session_version = 7;
	g_strlcpy(s->mid, "data", sizeof(s->mid));
	g_strlcpy(s->ice_ufrag, "abcd", sizeof(s->ice_ufrag));
	g_strlcpy(s->ice_pwd, "0123456789abcdefghij+/", sizeof(s->ice_pwd));
	s->ice_trickle = true;
	for (int i = 0; i < RG_SDP_FP_LEN; i++)
		s->fingerprint[i] = (uint8_t)(i * 9);
	s->setup = RG_SDP_SETUP_PASSIVE;
	s->sctp_port = 5000;
	s->max_message_size = 262144;
	memset(c, 0, sizeof(*c));
	g_strlcpy(c->foundation, "1", sizeof(c->foundation));
	c->component = 1;
	g_strlcpy(c->transport, "UDP", sizeof(c->transport));
	c->priority = 2122252543;
	g_strlcpy(c->addr, "::1", sizeof(c->addr));
	c->port = 54321;
	g_strlcpy(c->type, "host", sizeof(c->type));
	s->candidates = c;
	s->n_candidates = 1;
	s->end_of_candidates = true;
}

/* The exact bytes we send. */
static void test_build_bytes(void)
{
	struct rg_sdp s;
	struct rg_sdp_candidate c;
	char *text;

	sample(&s, &c);
	text = rg_sdp_build(&s);
	g_assert_cmpstr(text, ==,
			"v=0\r\n"
			"o=- 18446744073709551615 7 IN IP4 127.0.0.1\r\n"
			"s=-\r\n"
			"t=0 0\r\n"
			"a=group:BUNDLE data\r\n"
			"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
			"c=IN IP4 0.0.0.0\r\n"
			"a=mid:data\r\n"
			"a=ice-ufrag:abcd\r\n"
			"a=ice-pwd:0123456789abcdefghij+/\r\n"
			"a=ice-options:trickle\r\n"
			"a=fingerprint:sha-256 00:09:12:1B:24:2D:36:3F:48:51:5A:63:6C:75:7E:87:"
			"90:99:A2:AB:B4:BD:C6:CF:D8:E1:EA:F3:FC:05:0E:17\r\n"
			"a=setup:passive\r\n"
			"a=sctp-port:5000\r\n"
			"a=max-message-size:262144\r\n"
			"a=candidate:1 1 UDP 2122252543 ::1 54321 typ host\r\n"
			"a=end-of-candidates\r\n");
	g_free(text);
}

/* build -> parse gives the same struct, for each setup and with no options. */
static void test_round_trip_struct(void)
{
	struct rg_sdp s, again;
	struct rg_sdp_candidate c;
	const char *reason;

	for (int setup = RG_SDP_SETUP_ACTPASS; setup <= RG_SDP_SETUP_PASSIVE; setup++) {
		char *text;

		sample(&s, &c);
		s.setup = (enum rg_sdp_setup)setup;
		s.ice_trickle = setup != RG_SDP_SETUP_ACTIVE;
		s.end_of_candidates = setup == RG_SDP_SETUP_ACTIVE;
		s.max_message_size = (uint32_t)setup; /* 0: no limit */
		s.n_candidates = setup == RG_SDP_SETUP_PASSIVE ? 0 : 1;
		text = rg_sdp_build(&s);
		g_assert_nonnull(text);
		g_assert_cmpint(rg_sdp_parse(text, strlen(text), &again, &reason), ==, CORE_OK);
		g_assert_true(rg_sdp_equal(&s, &again));
		rg_sdp_clear(&again);
		g_free(text);
	}
}

/* The builder refuses fields that would not parse back (or would inject lines). */
static void test_build_refuses(void)
{
	struct rg_sdp s;
	struct rg_sdp_candidate c;

	sample(&s, &c);
	g_strlcpy(s.mid, "0\r\na=setup:active", sizeof(s.mid));
	g_assert_null(rg_sdp_build(&s));
	sample(&s, &c);
	g_strlcpy(s.ice_ufrag, "abc", sizeof(s.ice_ufrag));
	g_assert_null(rg_sdp_build(&s));
	sample(&s, &c);
	g_strlcpy(s.ice_pwd, "short", sizeof(s.ice_pwd));
	g_assert_null(rg_sdp_build(&s));
	sample(&s, &c);
	g_strlcpy(c.type, "bogus", sizeof(c.type));
	g_assert_null(rg_sdp_build(&s));
	sample(&s, &c);
	g_strlcpy(c.addr, "1.2.3.4 5 typ", sizeof(c.addr));
	g_assert_null(rg_sdp_build(&s));
	sample(&s, &c);
	s.sctp_port = 0;
	g_assert_null(rg_sdp_build(&s));
	sample(&s, &c);
	s.setup = (enum rg_sdp_setup)3;
	g_assert_null(rg_sdp_build(&s));
}

/* Trickle-ICE candidate strings: every prefix form, extensions skipped. */
static void test_candidate_parse(void)
{
	static const char *const forms[] = {
		"candidate:1 1 UDP 2122252543 192.168.1.2 54321 typ host generation 0 network-id 1",
		"a=candidate:1 1 udp 2122252543 192.168.1.2 54321 typ host\r\n",
		"1 1 Udp 2122252543 192.168.1.2 54321 typ host",
	};
	struct rg_sdp_candidate c;
	const char *reason;
	char out[RG_SDP_CANDIDATE_MAX];

	for (size_t i = 0; i < G_N_ELEMENTS(forms); i++) {
		g_assert_cmpint(rg_sdp_candidate_parse(forms[i], &c, &reason), ==, CORE_OK);
		g_assert_cmpstr(reason, ==, "");
		rg_sdp_candidate_format(&c, out, sizeof(out));
		g_assert_cmpstr(out, ==, "candidate:1 1 UDP 2122252543 192.168.1.2 54321 typ host");
	}
	g_assert_cmpint(rg_sdp_candidate_parse("candidate:9 2 TCP 1 fe80::1%eth0 0 typ prflx "
					       "rport 7 tcptype so",
					       &c, &reason),
			==, CORE_OK);
	g_assert_cmpstr(c.addr, ==, "fe80::1%eth0");
	g_assert_cmpuint(c.component, ==, 2);
	rg_sdp_candidate_format(&c, out, sizeof(out));
	g_assert_cmpstr(out, ==, "candidate:9 2 TCP 1 fe80::1%eth0 0 typ prflx rport 7 tcptype so");
	/* truncation stays within the buffer and terminated */
	rg_sdp_candidate_format(&c, out, 12);
	g_assert_cmpstr(out, ==, "candidate:9");
}

/* Each bad candidate gives its code and reason, and leaves *c zeroed. */
static void test_candidate_invalid(void)
{
	static const struct {
		const char *line;
		int code;
		const char *reason;
	} cases[] = {
		{ "", CORE_ERR_BAD_FORMAT, "candidate has too few fields" },
		{ "candidate:1 1 UDP 1 1.2.3.4 9 typ hots", CORE_ERR_BAD_VALUE,
		  "bad candidate type" },
		{ "candidate:1 1 UDP 1 1.2.3.4 9 typ relayy", CORE_ERR_BAD_VALUE,
		  "bad candidate type" },
		{ "candidate:1 1 UDP 1 1.2.3.4 9 kind host", CORE_ERR_BAD_FORMAT,
		  "candidate lacks \"typ\"" },
		{ "candidate:1 0 UDP 1 1.2.3.4 9 typ host", CORE_ERR_BAD_VALUE,
		  "bad candidate component" },
		{ "candidate:1 257 UDP 1 1.2.3.4 9 typ host", CORE_ERR_BAD_VALUE,
		  "bad candidate component" },
		{ "candidate:1 1 UDP 4294967296 1.2.3.4 9 typ host", CORE_ERR_BAD_VALUE,
		  "bad candidate priority" },
		{ "candidate:1 1 UDP 1 1.2.3.4 -1 typ host", CORE_ERR_BAD_VALUE,
		  "bad candidate port" },
		{ "candidate:1 1 QUIC 1 1.2.3.4 9 typ host", CORE_ERR_BAD_VALUE,
		  "bad candidate transport" },
		{ "candidate:f-1 1 UDP 1 1.2.3.4 9 typ host", CORE_ERR_BAD_VALUE,
		  "bad candidate foundation" },
		{ "candidate:1 1 UDP 1 1.2.3.4 9 typ srflx raddr", CORE_ERR_BAD_FORMAT,
		  "candidate attribute without a value" },
		{ "candidate:1 1 UDP 1 1.2.3.4 9 typ srflx raddr a/b rport 1", CORE_ERR_BAD_VALUE,
		  "bad candidate raddr" },
		{ "candidate:1 1 UDP 1 1.2.3.4 9 typ srflx rport 65536", CORE_ERR_BAD_VALUE,
		  "bad candidate rport" },
		{ "candidate:1 1 TCP 1 1.2.3.4 9 typ host tcptype server", CORE_ERR_BAD_VALUE,
		  "bad candidate tcptype" },
	};
	struct rg_sdp_candidate c, zero = { 0 };
	const char *reason;
	char *big;

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		int ret = rg_sdp_candidate_parse(cases[i].line, &c, &reason);

		if (ret != cases[i].code || strcmp(reason, cases[i].reason) != 0)
			g_error("\"%s\": %d \"%s\"", cases[i].line, ret, reason);
		g_assert_cmpmem(&c, sizeof(c), &zero, sizeof(zero));
	}
	big = g_strnfill(2000, 'x');
	g_assert_cmpint(rg_sdp_candidate_parse(big, &c, &reason), ==, CORE_ERR_TOO_LARGE);
	g_assert_cmpstr(reason, ==, "candidate line too long");
	g_free(big);
	g_assert_cmpint(
		rg_sdp_candidate_parse(big = g_strdup("1 1 UDP 1 1.2.3.4 9 typ host"), &c, NULL),
		==, CORE_OK);
	g_free(big);
}

/* Session-level values apply unless the section overrides them. */
static void test_levels(void)
{
	static const char text[] =
		"v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\n"
		"a=ice-ufrag:sessUfrag\na=ice-pwd:sessionsessionsession00\n"
		"a=ice-options:trickle\na=setup:passive\n"
		"a=fingerprint:sha-1 01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14\n"
		"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\n"
		"a=ice-ufrag:mediaUfrag\na=ice-options:ice2\n"
		"a=fingerprint:sha-256 " FP1 "\n";
	struct rg_sdp s;
	const char *reason;

	/* FP1 has no colons here: it is rejected, as hex alone is not RFC 8122 */
	g_assert_cmpint(rg_sdp_parse(text, strlen(text), &s, &reason), ==, CORE_ERR_BAD_FORMAT);
	g_assert_cmpstr(reason, ==, "bad fingerprint hex");
	g_assert_cmpuint(s.n_candidates, ==, 0);
}

/* The same, with a well-formed section fingerprint. */
static void test_levels_merge(void)
{
	static const char text[] =
		"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
		"a=ice-ufrag:sessUfrag\r\na=ice-pwd:sessionsessionsession00\r\n"
		"a=ice-options:trickle\r\na=setup:passive\r\n"
		"a=fingerprint:sha-1 "
		"01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14\r\n"
		"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
		"a=ice-ufrag:mediaUfrag\r\na=ice-options:ice2\r\n"
		"a=fingerprint:sha-256 A0:B1:C2:D3:E4:F5:06:17:28:39:4A:5B:6C:7D:8E:9F:"
		"A0:B1:C2:D3:E4:F5:06:17:28:39:4A:5B:6C:7D:8E:9F\r\n";
	struct rg_sdp s;
	const char *reason;

	g_assert_cmpint(rg_sdp_parse(text, strlen(text), &s, &reason), ==, CORE_OK);
	g_assert_cmpstr(s.ice_ufrag, ==, "mediaUfrag");
	g_assert_cmpstr(s.ice_pwd, ==, "sessionsessionsession00");
	g_assert_false(s.ice_trickle); /* the section's ice-options wins */
	g_assert_cmpint(s.setup, ==, RG_SDP_SETUP_PASSIVE);
	assert_fp(&s, FP2);
	g_assert_cmpstr(s.mid, ==, "0");
	g_assert_cmpuint(s.sctp_port, ==, 5000);
	g_assert_cmpuint(s.max_message_size, ==, 65536);
	rg_sdp_clear(&s);
	/* no setup anywhere: active (RFC 4145 section 4) */
	{
		char *no_setup = g_strdup(text);
		char *at = strstr(no_setup, "a=setup:passive");

		memcpy(at, "a=x-setu:passive", 15);
		g_assert_cmpint(rg_sdp_parse(no_setup, strlen(no_setup), &s, NULL), ==, CORE_OK);
		g_assert_cmpint(s.setup, ==, RG_SDP_SETUP_ACTIVE);
		rg_sdp_clear(&s);
		g_free(no_setup);
	}
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/rtc/sdp/chromium-offer", test_chromium_offer);
	g_test_add_func("/rtc/sdp/session-level-answer", test_session_level_answer);
	g_test_add_func("/rtc/sdp/captured", test_captured);
	g_test_add_func("/rtc/sdp/firefox-offer", test_firefox_offer);
	g_test_add_func("/rtc/sdp/av-offer", test_av_offer);
	g_test_add_func("/rtc/sdp/pion-answer", test_pion_answer);
	g_test_add_func("/rtc/sdp/legacy", test_legacy);
	g_test_add_func("/rtc/sdp/round-trip-vectors", test_round_trip_vectors);
	g_test_add_func("/rtc/sdp/invalid-vectors", test_invalid_vectors);
	g_test_add_func("/rtc/sdp/build-bytes", test_build_bytes);
	g_test_add_func("/rtc/sdp/round-trip-struct", test_round_trip_struct);
	g_test_add_func("/rtc/sdp/build-refuses", test_build_refuses);
	g_test_add_func("/rtc/sdp/candidate-parse", test_candidate_parse);
	g_test_add_func("/rtc/sdp/candidate-invalid", test_candidate_invalid);
	g_test_add_func("/rtc/sdp/levels-bad-hex", test_levels);
	g_test_add_func("/rtc/sdp/levels", test_levels_merge);
	return g_test_run();
}
