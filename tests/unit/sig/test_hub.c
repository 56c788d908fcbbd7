/* Unit tests for rift/sig/hub: joins, routing, peer-left, re-join, names, limits. */
#include <glib.h>
#include <string.h>

#include "rift/sig/hub.h"

#define KEY_A "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define KEY_B "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="

/* What the hub did, one line per action: "send 2 {...}" or "close 2 1008 reason". */
static GPtrArray *log_lines;

static void io_send(void *data, uint64_t conn, const char *text, size_t len)
{
	g_ptr_array_add(log_lines,
			g_strdup_printf("send %" G_GUINT64_FORMAT " %.*s", conn, (int)len, text));
}

static void io_close(void *data, uint64_t conn, unsigned code, const char *reason)
{
	g_ptr_array_add(log_lines,
			g_strdup_printf("close %" G_GUINT64_FORMAT " %u %s", conn, code, reason));
}

static const struct rg_hub_io io = { io_send, io_close, NULL };

/* Expect exactly these actions since the last call (in order), then forget them. */
static void expect(const char *const *want)
{
	guint n = 0;

	for (; want[n] != NULL; n++) {
		if (n >= log_lines->len)
			g_error("missing action: %s", want[n]);
		g_assert_cmpstr(log_lines->pdata[n], ==, want[n]);
	}
	if (log_lines->len != n)
		g_error("unexpected action: %s", (char *)log_lines->pdata[n]);
	g_ptr_array_set_size(log_lines, 0);
}
#define EXPECT(...)	 expect((const char *const[]){ __VA_ARGS__, NULL })
#define EXPECT_NOTHING() expect((const char *const[]){ NULL })

static void msg(struct rg_hub *h, uint64_t conn, const char *text)
{
	rg_hub_message(h, conn, text, strlen(text), 0);
}

static void join(struct rg_hub *h, uint64_t conn, const char *net, const char *name,
		 const char *key)
{
	char *j = g_strdup_printf("{\"type\":\"join\",\"peerId\":\"%s\",\"publicKey\":\"%s\"}",
				  name, key);

	rg_hub_open(h, conn, net, name);
	msg(h, conn, j);
	g_free(j);
}

static void test_join_route_leave(void)
{
	struct rg_hub *h = rg_hub_new(NULL, &io);
	const char *offer =
		"{\"type\":\"offer\",\"from\":\"alpha\",\"to\":\"bravo\",\"sdp\":\"v=0\","
		"\"publicKey\":\"" KEY_A "\",\"extra\":1}";
	char *line;

	join(h, 1, "home", "bravo", KEY_B);
	EXPECT("send 1 {\"type\":\"peers\",\"peers\":[]}");
	join(h, 2, "home", "alpha", KEY_A);
	EXPECT("send 2 {\"type\":\"peers\",\"peers\":[{\"peerId\":\"bravo\",\"publicKey\":\"" KEY_B
	       "\"}]}",
	       "send 1 {\"type\":\"peers\",\"peers\":[{\"peerId\":\"alpha\",\"publicKey\":\"" KEY_A
	       "\"}]}");
	/* routed verbatim (unknown fields kept); an unknown `to` is dropped */
	msg(h, 2, offer);
	line = g_strdup_printf("send 1 %s", offer);
	EXPECT(line);
	g_free(line);
	msg(h, 2,
	    "{\"type\":\"ice-candidate\",\"from\":\"alpha\",\"to\":\"nobody\","
	    "\"candidate\":\"candidate:1\"}");
	EXPECT_NOTHING();
	/* a third peer gets the others sorted by name */
	join(h, 3, "home", "charlie", KEY_A);
	g_assert_cmpuint(log_lines->len, ==, 3);
	g_assert_nonnull(strstr(log_lines->pdata[0], "\"alpha\""));
	g_assert_true(strstr(log_lines->pdata[0], "\"alpha\"") <
		      strstr(log_lines->pdata[0], "\"bravo\""));
	g_ptr_array_set_size(log_lines, 0);
	/* peers and peer-left from a client are ignored */
	msg(h, 3, "{\"type\":\"peer-left\",\"peerId\":\"alpha\"}");
	EXPECT_NOTHING();
	rg_hub_closed(h, 1);
	g_assert_cmpuint(log_lines->len, ==, 2);
	g_assert_nonnull(
		strstr(log_lines->pdata[0], "{\"type\":\"peer-left\",\"peerId\":\"bravo\"}"));
	g_ptr_array_set_size(log_lines, 0);
	g_assert_cmpuint(rg_hub_network_size(h, "home"), ==, 2);
	rg_hub_closed(h, 2);
	rg_hub_closed(h, 3);
	g_ptr_array_set_size(log_lines, 0);
	g_assert_cmpuint(rg_hub_network_size(h, "home"), ==, 0);
	g_assert_cmpuint(rg_hub_connections(h), ==, 0);
	rg_hub_free(h);
}

/* A kick (revoked credentials): peer-left to the rest at once, the close, nothing after. */
static void test_kick(void)
{
	struct rg_hub *h = rg_hub_new(NULL, &io);

	join(h, 1, "home", "alpha", KEY_A);
	join(h, 2, "home", "bravo", KEY_B);
	g_ptr_array_set_size(log_lines, 0);
	rg_hub_kick(h, 2, RG_HUB_CLOSE_REVOKED, "credentials revoked");
	EXPECT("send 1 {\"type\":\"peer-left\",\"peerId\":\"bravo\"}",
	       "close 2 4001 credentials revoked");
	g_assert_cmpuint(rg_hub_network_size(h, "home"), ==, 1);
	/* its messages are ignored; the socket's end later says nothing more */
	msg(h, 2,
	    "{\"type\":\"ice-candidate\",\"from\":\"bravo\",\"to\":\"alpha\","
	    "\"candidate\":\"candidate:1\"}");
	rg_hub_closed(h, 2);
	EXPECT_NOTHING();
	/* kicking an unknown or gone connection does nothing */
	rg_hub_kick(h, 2, RG_HUB_CLOSE_REVOKED, "again");
	rg_hub_kick(h, 99, RG_HUB_CLOSE_REVOKED, "never");
	EXPECT_NOTHING();
	/* a connection that never joined: closed, nobody told */
	rg_hub_open(h, 3, "home", "carol");
	rg_hub_kick(h, 3, RG_HUB_CLOSE_REVOKED, "credentials revoked");
	EXPECT("close 3 4001 credentials revoked");
	rg_hub_closed(h, 3);
	rg_hub_closed(h, 1);
	rg_hub_free(h);
}

/* The same name again: the old connection is closed, nobody hears peer-left. */
static void test_rejoin_replaces(void)
{
	struct rg_hub *h = rg_hub_new(NULL, &io);

	join(h, 1, "home", "alpha", KEY_A);
	join(h, 2, "home", "bravo", KEY_B);
	g_ptr_array_set_size(log_lines, 0);
	join(h, 3, "home", "alpha", KEY_A);
	EXPECT("close 1 4000 replaced by a newer connection",
	       "send 3 {\"type\":\"peers\",\"peers\":[{\"peerId\":\"bravo\",\"publicKey\":\"" KEY_B
	       "\"}]}",
	       "send 2 {\"type\":\"peers\",\"peers\":[{\"peerId\":\"alpha\",\"publicKey\":\"" KEY_A
	       "\"}]}");
	rg_hub_closed(h, 1); /* the old socket ends later: no peer-left for a live peer */
	EXPECT_NOTHING();
	msg(h, 2, "{\"type\":\"answer\",\"from\":\"bravo\",\"to\":\"alpha\",\"sdp\":\"v=0\"}");
	EXPECT("send 3 {\"type\":\"answer\",\"from\":\"bravo\",\"to\":\"alpha\",\"sdp\":\"v=0\"}");
	rg_hub_free(h);
}

/* Names are the token's: a join or a `from` under another name closes the connection. */
static void test_names_are_granted(void)
{
	struct rg_hub *h = rg_hub_new(NULL, &io);

	rg_hub_open(h, 1, "home", "alpha");
	msg(h, 1, "{\"type\":\"join\",\"peerId\":\"bravo\",\"publicKey\":\"" KEY_A "\"}");
	EXPECT("close 1 1008 join: peerId \"bravo\" is not the name your token grants (\"alpha\")");
	msg(h, 1, "{\"type\":\"join\",\"peerId\":\"alpha\",\"publicKey\":\"" KEY_A "\"}");
	EXPECT_NOTHING(); /* closed: nothing more is taken */
	join(h, 2, "home", "bravo", KEY_B);
	join(h, 3, "home", "charlie", KEY_A);
	g_ptr_array_set_size(log_lines, 0);
	msg(h, 3, "{\"type\":\"offer\",\"from\":\"bravo\",\"to\":\"bravo\",\"sdp\":\"v=0\"}");
	EXPECT("close 3 1008 offer: from \"bravo\" is not your name (\"charlie\")");
	g_assert_cmpuint(rg_hub_network_size(h, "home"), ==, 2); /* until the socket ends */
	rg_hub_closed(h, 3);
	EXPECT("send 2 {\"type\":\"peer-left\",\"peerId\":\"charlie\"}");
	rg_hub_free(h);
}

static void test_bad_input(void)
{
	struct rg_hub *h = rg_hub_new(NULL, &io);
	char *big = g_malloc(70000);

	rg_hub_open(h, 1, "n", "a");
	msg(h, 1, "{\"type\":\"offer\",\"from\":\"a\",\"to\":\"b\",\"sdp\":\"x\"}");
	EXPECT("close 1 1008 the first message must be join, not offer");
	rg_hub_open(h, 2, "n", "a");
	msg(h, 2, "{not json");
	g_assert_cmpuint(log_lines->len, ==, 1);
	g_assert_true(g_str_has_prefix(log_lines->pdata[0], "close 2 1007 malformed JSON"));
	g_ptr_array_set_size(log_lines, 0);
	rg_hub_open(h, 3, "n", "a");
	memset(big, ' ', 70000);
	rg_hub_message(h, 3, big, 70000, 0);
	EXPECT("close 3 1009 message of 70000 bytes (at most 65536)");
	join(h, 4, "n", "a", KEY_A);
	g_ptr_array_set_size(log_lines, 0);
	msg(h, 4, "{\"type\":\"join\",\"peerId\":\"a\",\"publicKey\":\"" KEY_A "\"}");
	EXPECT("close 4 1008 join sent twice on one connection");
	rg_hub_closed(h, 1);
	rg_hub_closed(h, 2);
	rg_hub_closed(h, 3);
	rg_hub_closed(h, 4);
	g_ptr_array_set_size(log_lines, 0);
	g_assert_cmpuint(rg_hub_connections(h), ==, 0);
	g_free(big);
	rg_hub_free(h);
}

/* A flood closes the flooder only; the rate refills with time; a full network refuses. */
static void test_limits(void)
{
	struct rg_hub_limits lim = { .max_peers = 2, .msgs_per_s = 10, .msgs_burst = 20 };
	struct rg_hub *h = rg_hub_new(&lim, &io);
	const char *cand = "{\"type\":\"ice-candidate\",\"from\":\"a\",\"to\":\"b\","
			   "\"candidate\":\"candidate:1\"}";
	int64_t t = 0;

	join(h, 1, "n", "a", KEY_A);
	join(h, 2, "n", "b", KEY_B);
	join(h, 3, "n", "c", KEY_A);
	g_assert_cmpstr(log_lines->pdata[log_lines->len - 1], ==,
			"close 3 1008 network full (2 peers)");
	g_ptr_array_set_size(log_lines, 0);
	/* 10 messages/s sustained is fine (the join took one token) */
	for (int i = 0; i < 50; i++, t += 100000)
		rg_hub_message(h, 1, cand, strlen(cand), t);
	g_assert_cmpuint(log_lines->len, ==, 50);
	g_ptr_array_set_size(log_lines, 0);
	/* a burst beyond 20 at once is not */
	for (int i = 0; i < 30; i++)
		rg_hub_message(h, 1, cand, strlen(cand), t);
	g_assert_cmpstr(log_lines->pdata[log_lines->len - 1], ==,
			"close 1 1008 rate limit: more than 10 messages or 262144 bytes/s");
	g_assert_cmpuint(log_lines->len, <=, 22);
	g_ptr_array_set_size(log_lines, 0);
	/* the other connection is untouched */
	msg(h, 2,
	    "{\"type\":\"ice-candidate\",\"from\":\"b\",\"to\":\"a\",\"candidate\":\"candidate:"
	    "2\"}");
	EXPECT_NOTHING(); /* a is closed: nothing is sent to it */
	rg_hub_closed(h, 1);
	EXPECT("send 2 {\"type\":\"peer-left\",\"peerId\":\"a\"}");
	rg_hub_free(h);
}

/* Networks do not see each other. */
static void test_networks_isolated(void)
{
	struct rg_hub *h = rg_hub_new(NULL, &io);

	join(h, 1, "x", "a", KEY_A);
	join(h, 2, "y", "b", KEY_B);
	EXPECT("send 1 {\"type\":\"peers\",\"peers\":[]}",
	       "send 2 {\"type\":\"peers\",\"peers\":[]}");
	msg(h, 1, "{\"type\":\"offer\",\"from\":\"a\",\"to\":\"b\",\"sdp\":\"v=0\"}");
	EXPECT_NOTHING();
	rg_hub_closed(h, 2);
	EXPECT_NOTHING();
	rg_hub_free(h);
}

int main(int argc, char **argv)
{
	int r;

	g_test_init(&argc, &argv, NULL);
	log_lines = g_ptr_array_new_with_free_func(g_free);
	g_test_add_func("/sig/hub/join-route-leave", test_join_route_leave);
	g_test_add_func("/sig/hub/rejoin-replaces", test_rejoin_replaces);
	g_test_add_func("/sig/hub/kick", test_kick);
	g_test_add_func("/sig/hub/names-are-granted", test_names_are_granted);
	g_test_add_func("/sig/hub/bad-input", test_bad_input);
	g_test_add_func("/sig/hub/limits", test_limits);
	g_test_add_func("/sig/hub/networks-isolated", test_networks_isolated);
	r = g_test_run();
	g_ptr_array_free(log_lines, TRUE);
	return r;
}
