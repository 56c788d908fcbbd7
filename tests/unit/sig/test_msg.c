/* Unit tests for rift/sig/msg: the shared vectors (tests/data/sig), encoding, limits. */
#include <glib.h>
#include <string.h>

#include "core/err.h"
#include "rift/sig/msg.h"

static char *vector_dir(const char *sub)
{
	return g_test_build_filename(G_TEST_DIST, "data", "sig", sub, NULL);
}

/* Every valid vector parses; encoding and parsing again gives the same message. */
static void test_valid_vectors(void)
{
	char *dir = vector_dir("valid");
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;
	unsigned n = 0;

	g_assert_nonnull(d);
	while ((name = g_dir_read_name(d)) != NULL) {
		char *path = g_build_filename(dir, name, NULL), *text, *enc, err[256];
		gsize len;
		struct rg_sig_msg m, again;

		g_assert_true(g_file_get_contents(path, &text, &len, NULL));
		if (rg_sig_parse(text, len, &m, err, sizeof(err)) != CORE_OK)
			g_error("%s: rejected: %s", name, err);
		enc = rg_sig_encode(&m);
		g_assert_nonnull(enc);
		g_assert_cmpint(rg_sig_parse(enc, strlen(enc), &again, err, sizeof(err)), ==,
				CORE_OK);
		if (!rg_sig_msg_equal(&m, &again))
			g_error("%s: re-encoded differs: %s", name, enc);
		rg_sig_msg_clear(&m);
		rg_sig_msg_clear(&again);
		g_free(enc);
		g_free(text);
		g_free(path);
		n++;
	}
	g_assert_cmpuint(n, >=, 12);
	g_dir_close(d);
	g_free(dir);
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
	g_test_add_func("/sig/msg/invalid-vectors", test_invalid_vectors);
	g_test_add_func("/sig/msg/encode-bytes", test_encode_bytes);
	g_test_add_func("/sig/msg/not-text", test_not_text);
	return g_test_run();
}
