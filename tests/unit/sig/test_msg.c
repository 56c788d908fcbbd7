/* Unit tests for rift/sig/msg: the shared vectors (tests/data/sig), encoding, limits. */
#include <glib.h>
#include <string.h>

#include "core/err.h"
#include "rift/sig/msg.h"

static char *vector_dir(const char *sub)
{
	return g_test_build_filename(G_TEST_DIST, "data", "sig", sub, NULL);
}

/* Append "\tkey=value" with \r, \n and \\ escaped (NULL value: nothing). */
static void field(GString *out, const char *key, const char *value)
{
	if (value == NULL)
		return;
	g_string_append_printf(out, "\t%s=", key);
	for (const char *c = value; *c != '\0'; c++) {
		if (*c == '\r')
			g_string_append(out, "\\r");
		else if (*c == '\n')
			g_string_append(out, "\\n");
		else if (*c == '\\')
			g_string_append(out, "\\\\");
		else
			g_string_append_c(out, *c);
	}
}

/* A PeerInfo's fields under prefix ("" for join's, "peers.N." for a list's). */
static void peer_fields(GString *out, const char *prefix, const struct rg_sig_peer *p)
{
	char key[96], *routes;

	g_snprintf(key, sizeof(key), "%speerId", prefix);
	field(out, key, p->peer_id);
	g_snprintf(key, sizeof(key), "%spublicKey", prefix);
	field(out, key, p->public_key);
	g_snprintf(key, sizeof(key), "%saddress", prefix);
	field(out, key, p->address);
	routes = p->routes != NULL ? g_strjoinv(",", p->routes) : NULL;
	g_snprintf(key, sizeof(key), "%sroutes", prefix);
	field(out, key, routes);
	g_free(routes);
	for (size_t i = 0; p->meta_keys != NULL && p->meta_keys[i] != NULL; i++) {
		g_snprintf(key, sizeof(key), "%smetadata.%s", prefix, p->meta_keys[i]);
		field(out, key, p->meta_values[i]);
	}
}

/* Every field a parsed message carries, in valid.tsv's form (after the name). */
static char *fields_of(const struct rg_sig_msg *m)
{
	GString *out = g_string_new(NULL);
	char n[32];

	field(out, "type", rg_sig_type_name(m->type));
	peer_fields(out, "", &m->self);
	if (m->type == RG_SIG_PEERS) {
		g_snprintf(n, sizeof(n), "%zu", m->n_peers);
		field(out, "peers", m->peers_null ? "null" : n);
	}
	for (size_t i = 0; i < m->n_peers; i++) {
		g_snprintf(n, sizeof(n), "peers.%zu.", i);
		peer_fields(out, n, &m->peers[i]);
	}
	field(out, "from", m->from);
	field(out, "to", m->to);
	field(out, "sdp", m->sdp);
	field(out, "publicKey", m->public_key);
	field(out, "candidate", m->candidate);
	field(out, "peerId", m->peer_id);
	return g_string_free(out, FALSE);
}

/*
 * Every valid vector parses into exactly the fields valid.tsv lists (and
 * every vector has a line there); encoding and parsing again gives the same
 * message, but for "peers": null, which the encoder writes as [] (as the
 * Worker does).
 */
static void test_valid_vectors(void)
{
	char *dir = vector_dir("valid");
	char *tsv = g_test_build_filename(G_TEST_DIST, "data", "sig", "valid.tsv", NULL);
	GHashTable *want = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	GDir *d = g_dir_open(dir, 0, NULL);
	char *manifest, **lines;
	const char *name;
	unsigned n = 0;

	g_assert_nonnull(d);
	g_assert_true(g_file_get_contents(tsv, &manifest, NULL, NULL));
	lines = g_strsplit(manifest, "\n", -1);
	for (char **l = lines; *l != NULL; l++) {
		char *tab = strchr(*l, '\t');

		if ((*l)[0] == '#' || (*l)[0] == '\0')
			continue;
		g_assert_nonnull(tab);
		g_hash_table_insert(want, g_strdup_printf("%.*s.json", (int)(tab - *l), *l),
				    g_strdup(tab));
	}
	while ((name = g_dir_read_name(d)) != NULL) {
		char *path = g_build_filename(dir, name, NULL), *text, *enc, *got, err[256];
		const char *expected = g_hash_table_lookup(want, name);
		gsize len;
		struct rg_sig_msg m, again;

		if (expected == NULL)
			g_error("%s: no line in valid.tsv", name);
		g_assert_true(g_file_get_contents(path, &text, &len, NULL));
		if (rg_sig_parse(text, len, &m, err, sizeof(err)) != CORE_OK)
			g_error("%s: rejected: %s", name, err);
		got = fields_of(&m);
		if (strcmp(got, expected) != 0)
			g_error("%s: parsed as\n%s\nnot\n%s", name, got, expected);
		enc = rg_sig_encode(&m);
		g_assert_nonnull(enc);
		g_assert_cmpint(rg_sig_parse(enc, strlen(enc), &again, err, sizeof(err)), ==,
				CORE_OK);
		if (m.peers_null) {
			g_assert_false(again.peers_null); /* written as [] */
			again.peers_null = true;
		}
		if (!rg_sig_msg_equal(&m, &again))
			g_error("%s: re-encoded differs: %s", name, enc);
		rg_sig_msg_clear(&m);
		rg_sig_msg_clear(&again);
		g_free(got);
		g_free(enc);
		g_free(text);
		g_free(path);
		n++;
	}
	g_assert_cmpuint(n, ==, g_hash_table_size(want));
	g_assert_cmpuint(n, >=, 12);
	g_strfreev(lines);
	g_free(manifest);
	g_free(tsv);
	g_hash_table_unref(want);
	g_dir_close(d);
	g_free(dir);
}

/* rg_sig_msg_equal tells "peers": null from an empty list. */
static void test_equal_peers_null(void)
{
	struct rg_sig_msg a = { .type = RG_SIG_PEERS }, b = { .type = RG_SIG_PEERS };

	g_assert_true(rg_sig_msg_equal(&a, &b));
	b.peers_null = true;
	g_assert_false(rg_sig_msg_equal(&a, &b));
}

/* Every invalid vector is rejected, for the reason invalid.tsv gives. */
static void test_invalid_vectors(void)
{
	char *dir = vector_dir("invalid");
	char *tsv = g_test_build_filename(G_TEST_DIST, "data", "sig", "invalid.tsv", NULL);
	char *manifest, **lines;
	unsigned n = 0;

	g_assert_true(g_file_get_contents(tsv, &manifest, NULL, NULL));
	lines = g_strsplit(manifest, "\n", -1);
	for (char **l = lines; *l != NULL; l++) {
		char **f, *path, *text, err[256];
		gsize len;
		struct rg_sig_msg m;

		if ((*l)[0] == '#' || (*l)[0] == '\0')
			continue;
		f = g_strsplit(*l, "\t", 2);
		g_assert_nonnull(f[1]);
		path = g_strconcat(dir, "/", f[0], ".json", NULL);
		g_assert_true(g_file_get_contents(path, &text, &len, NULL));
		if (rg_sig_parse(text, len, &m, err, sizeof(err)) == CORE_OK)
			g_error("%s: accepted", f[0]);
		if (strstr(err, f[1]) == NULL)
			g_error("%s: reason \"%s\" lacks \"%s\"", f[0], err, f[1]);
		g_assert_cmpint(m.type, ==, 0); /* cleared */
		g_free(text);
		g_free(path);
		g_strfreev(f);
		n++;
	}
	g_assert_cmpuint(n, >=, 30);
	g_strfreev(lines);
	g_free(manifest);
	g_free(tsv);
	g_free(dir);
}

/* The exact JSON we send: fields in schema order, peers as [] never null. */
static void test_encode_bytes(void)
{
	struct rg_sig_msg m = { .type = RG_SIG_PEER_LEFT, .peer_id = (char *)"home" };
	struct rg_sig_msg p = { .type = RG_SIG_PEERS };
	struct rg_sig_msg c = { .type = RG_SIG_ICE_CANDIDATE,
				.from = (char *)"a",
				.to = (char *)"b",
				.candidate = (char *)"candidate:1 1 udp 1 ::1 9 typ host" };
	char *s;

	s = rg_sig_encode(&m);
	g_assert_cmpstr(s, ==, "{\"type\":\"peer-left\",\"peerId\":\"home\"}");
	g_free(s);
	s = rg_sig_encode(&p);
	g_assert_cmpstr(s, ==, "{\"type\":\"peers\",\"peers\":[]}");
	g_free(s);
	s = rg_sig_encode(&c);
	g_assert_cmpstr(s, ==,
			"{\"type\":\"ice-candidate\",\"from\":\"a\",\"to\":\"b\",\"candidate\":"
			"\"candidate:1 1 udp 1 ::1 9 typ host\"}");
	g_free(s);
	g_assert_null(rg_sig_encode(&(struct rg_sig_msg){ .type = 99 }));
	g_assert_cmpstr(rg_sig_type_name(RG_SIG_ICE_CANDIDATE), ==, "ice-candidate");
	g_assert_null(rg_sig_type_name(0));
}

/* Bytes that are not text, and a NUL inside, are refused before JSON parsing. */
static void test_not_text(void)
{
	struct rg_sig_msg m;
	char err[128];

	g_assert_cmpint(rg_sig_parse("{\"type\":\"peer-left\",\"peerId\":\"\xff\"}", 33, &m, err,
				     sizeof(err)),
			==, CORE_ERR_BAD_FORMAT);
	g_assert_cmpstr(err, ==, "message is not UTF-8 text");
	g_assert_cmpint(rg_sig_parse("{\"type\":\"peer-left\"}\0x", 22, &m, err, sizeof(err)), ==,
			CORE_ERR_BAD_FORMAT);
	/* a zero-size error buffer is allowed */
	g_assert_cmpint(rg_sig_parse("[]", 2, &m, NULL, 0), ==, CORE_ERR_BAD_FORMAT);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sig/msg/valid-vectors", test_valid_vectors);
	g_test_add_func("/sig/msg/equal-peers-null", test_equal_peers_null);
	g_test_add_func("/sig/msg/invalid-vectors", test_invalid_vectors);
	g_test_add_func("/sig/msg/encode-bytes", test_encode_bytes);
	g_test_add_func("/sig/msg/not-text", test_not_text);
	return g_test_run();
}
