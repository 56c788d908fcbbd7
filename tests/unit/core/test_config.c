/* Unit tests for core/config: values, defaults, and errors naming file:line. */
#include <glib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/err.h"

static const char good[] = "# comment\n"
			   "[server]\n"
			   "listen = 0.0.0.0:8443\n"
			   "port = 443\n"
			   "  debug = yes\n"
			   "names = a, b ,,c\n"
			   "\n"
			   "; another comment\n"
			   "[Peer]\n"
			   "PublicKey = AAA=\n"
			   "[Peer]\n"
			   "PublicKey = BBB=\n";

static struct core_config *load(const char *text, unsigned flags, GError **e)
{
	struct core_config *cfg = NULL;

	core_config_load_data(&cfg, text, strlen(text), "test.conf", flags, e);
	return cfg;
}

/* Expect loading text to fail with exactly msg. */
static void expect_load_error(const char *text, unsigned flags, const char *msg)
{
	GError *e = NULL;
	struct core_config *cfg = NULL;

	g_assert_cmpint(core_config_load_data(&cfg, text, strlen(text), "test.conf", flags, &e), ==,
			CORE_ERR_CONFIG);
	g_assert_null(cfg);
	g_assert_error(e, CORE_ERROR, CORE_ERR_CONFIG);
	g_assert_cmpstr(e->message, ==, msg);
	g_error_free(e);
}

static void test_values(void)
{
	GError *e = NULL;
	struct core_config *cfg = load(good, CORE_CONFIG_REPEATED_GROUPS, &e);
	char *s = NULL, **v = NULL, **groups;
	int64_t n;
	uint16_t port;
	bool b;

	g_assert_no_error(e);
	g_assert_nonnull(cfg);
	g_assert_cmpint(core_config_get_string(cfg, "server", "listen", NULL, &s, &e), ==, CORE_OK);
	g_assert_cmpstr(s, ==, "0.0.0.0:8443");
	g_free(s);
	g_assert_cmpint(core_config_get_port(cfg, "server", "port", 1, &port, &e), ==, CORE_OK);
	g_assert_cmpuint(port, ==, 443);
	g_assert_cmpint(core_config_get_bool(cfg, "server", "debug", false, &b, &e), ==, CORE_OK);
	g_assert_true(b);
	g_assert_cmpint(core_config_get_strv(cfg, "server", "names", &v, &e), ==, CORE_OK);
	g_assert_cmpuint(g_strv_length(v), ==, 3);
	g_assert_cmpstr(v[0], ==, "a");
	g_assert_cmpstr(v[1], ==, "b");
	g_assert_cmpstr(v[2], ==, "c");
	g_strfreev(v);
	/* defaults for missing keys */
	g_assert_cmpint(core_config_get_int(cfg, "server", "missing", 42, 0, 100, &n, &e), ==,
			CORE_OK);
	g_assert_cmpint(n, ==, 42);
	g_assert_cmpint(core_config_get_string(cfg, "nogroup", "x", "dflt", &s, &e), ==, CORE_OK);
	g_assert_cmpstr(s, ==, "dflt");
	g_free(s);
	g_assert_cmpint(core_config_get_strv(cfg, "server", "nope", &v, &e), ==, CORE_OK);
	g_assert_null(v);
	/* repeated groups in file order */
	groups = core_config_groups(cfg);
	g_assert_cmpuint(g_strv_length(groups), ==, 3);
	g_assert_cmpstr(groups[0], ==, "server");
	g_assert_cmpstr(groups[1], ==, "Peer");
	g_assert_cmpstr(groups[2], ==, "Peer#2");
	g_strfreev(groups);
	g_assert_cmpint(core_config_get_string(cfg, "Peer#2", "PublicKey", NULL, &s, &e), ==,
			CORE_OK);
	g_assert_cmpstr(s, ==, "BBB=");
	g_free(s);
	g_assert_cmpuint(core_config_line(cfg, "server", "debug"), ==, 5);
	g_assert_cmpuint(core_config_line(cfg, "Peer#2", NULL), ==, 11);
	g_assert_true(core_config_has_group(cfg, "Peer"));
	g_assert_false(core_config_has_key(cfg, "Peer", "Endpoint"));
	core_config_free(cfg);
}

static void test_value_errors(void)
{
	GError *e = NULL;
	struct core_config *cfg = load("[server]\nport = http\nworkers = 12x\ndebug = maybe\n"
				       "big = 99999999999999999999\n",
				       0, &e);
	int64_t n;
	uint16_t port;
	bool b;

	g_assert_no_error(e);
	g_assert_cmpint(core_config_get_port(cfg, "server", "port", 1, &port, &e), ==,
			CORE_ERR_CONFIG);
	g_assert_cmpstr(
		e->message, ==,
		"test.conf:2: [server] port: expected an integer in 0..65535, got \"http\"");
	g_assert_cmpuint(port, ==, 1);
	g_clear_error(&e);
	g_assert_cmpint(core_config_get_int(cfg, "server", "workers", 1, 1, 64, &n, &e), ==,
			CORE_ERR_CONFIG);
	g_assert_cmpstr(e->message, ==,
			"test.conf:3: [server] workers: expected an integer in 1..64, got \"12x\"");
	g_clear_error(&e);
	g_assert_cmpint(core_config_get_bool(cfg, "server", "debug", false, &b, &e), ==,
			CORE_ERR_CONFIG);
	g_assert_cmpstr(e->message, ==,
			"test.conf:4: [server] debug: expected true or false, got \"maybe\"");
	g_clear_error(&e);
	g_assert_cmpint(core_config_get_int(cfg, "server", "big", 0, INT64_MIN, INT64_MAX, &n, &e),
			==, CORE_ERR_CONFIG);
	g_clear_error(&e);
	core_config_free(cfg);
}

static void test_syntax_errors(void)
{
	expect_load_error("[a]\nx=1\nfoo\n", 0,
			  "test.conf:3: not a key=value pair, group, or comment");
	expect_load_error("x=1\n[a]\n", 0, "test.conf:1: key \"x\" is outside any [group]");
	expect_load_error("[a]\nx=1\n\n[a]\n", 0,
			  "test.conf:4: duplicate group [a] (first at line 1)");
	expect_load_error("[a]\nx=1\ny=2\n x = 3\n", 0,
			  "test.conf:4: duplicate key \"x\" in [a] (first at line 2)");
	expect_load_error("[a\n", 0, "test.conf:1: malformed group header: \"[a\"");
	expect_load_error("[a]\n= v\n", 0, "test.conf:2: empty key name");
	expect_load_error("[a]\n\x1b[31m\n", 0,
			  "test.conf:2: not a key=value pair, group, or comment");
	/* a key that lost its "=" is a secret: never quoted */
	expect_load_error("[a]\nPrivateKey SECRET\n", 0,
			  "test.conf:2: not a key=value pair, group, or comment");
	/* ... even when its own base64 padding looks like one */
	expect_load_error("[a]\nPrivateKey SECRET0123456789abcdefghijklmnopqrstuvw=\n", 0,
			  "test.conf:2: not a key=value pair, group, or comment");
	expect_load_error("[a]\nSECRET0123456789abcdefghijklmnopqrstuvwxyzABC=\n", 0,
			  "test.conf:2: not a key=value pair, group, or comment");
	expect_load_error("SECRET+/0123=\n[a]\n", 0,
			  "test.conf:1: not a key=value pair, group, or comment");
}

/* A string value that GKeyFile rejects is described, never quoted: it may be a key or token. */
static void test_secret_values(void)
{
	GError *e = NULL;
	struct core_config *cfg = load("[a]\ntoken = SECRET\xff\n\nkey = SECRET\\\n", 0, &e);
	char *s = NULL;

	g_assert_no_error(e);
	g_assert_cmpint(core_config_get_string(cfg, "a", "token", NULL, &s, &e), ==,
			CORE_ERR_CONFIG);
	g_assert_null(s);
	g_assert_cmpstr(e->message, ==, "test.conf:2: [a] token: the value is not valid UTF-8");
	g_clear_error(&e);
	g_assert_cmpint(core_config_get_string(cfg, "a", "key", NULL, &s, &e), ==, CORE_ERR_CONFIG);
	g_assert_cmpstr(
		e->message, ==,
		"test.conf:4: [a] key: the value has an invalid escape sequence (a backslash "
		"starts \\s, \\t, \\n, \\r or \\\\)");
	g_clear_error(&e);
	core_config_free(cfg);
}

static void test_unknown_keys_and_file(void)
{
	static const char *const allowed[] = { "listen", "port", NULL };
	GError *e = NULL;
	struct core_config *cfg = load("[server]\nlisten=x\nprot=1\n", 0, &e);
	char *path;

	g_assert_cmpint(core_config_check_keys(cfg, "server", allowed, &e), ==, CORE_ERR_CONFIG);
	g_assert_cmpstr(e->message, ==, "test.conf:3: [server] prot: unknown key");
	g_clear_error(&e);
	core_config_free(cfg);

	path = g_build_filename(g_get_tmp_dir(), "core-config-test-missing.conf", NULL);
	g_assert_cmpint(core_config_load(&cfg, path, 0, &e), ==, CORE_ERR_CONFIG);
	g_assert_true(g_str_has_prefix(e->message, path));
	g_assert_nonnull(strstr(e->message, "cannot read"));
	g_clear_error(&e);
	g_free(path);
}

static void test_load_file(void)
{
	GError *e = NULL;
	struct core_config *cfg = NULL;
	char *path = NULL, *s = NULL;
	int fd = g_file_open_tmp("core-config-XXXXXX.conf", &path, &e);

	g_assert_no_error(e);
	close(fd);
	g_assert_true(g_file_set_contents(path, "[x]\nk = v\n", -1, &e));
	g_assert_cmpint(core_config_load(&cfg, path, 0, &e), ==, CORE_OK);
	g_assert_cmpint(core_config_get_string(cfg, "x", "k", NULL, &s, &e), ==, CORE_OK);
	g_assert_cmpstr(s, ==, "v");
	g_free(s);
	core_config_free(cfg);
	g_assert_true(g_file_set_contents(path, "[x]\nk\n", -1, &e));
	g_assert_cmpint(core_config_load(&cfg, path, 0, &e), ==, CORE_ERR_CONFIG);
	g_assert_true(g_str_has_prefix(e->message, path));
	g_assert_true(g_str_has_suffix(e->message, ":2: not a key=value pair, group, or comment"));
	g_clear_error(&e);
	unlink(path);
	g_free(path);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/config/values", test_values);
	g_test_add_func("/config/value-errors", test_value_errors);
	g_test_add_func("/config/syntax-errors", test_syntax_errors);
	g_test_add_func("/config/secret-values", test_secret_values);
	g_test_add_func("/config/unknown-keys-and-missing-file", test_unknown_keys_and_file);
	g_test_add_func("/config/load-file", test_load_file);
	return g_test_run();
}
