/*
 * Unit tests for rift/agent/conf: a full configuration with its secrets,
 * the defaults, and the exact error (file and line) for each mistake; a
 * secret is never quoted, not even a malformed one.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/err.h"
#include "rift/agent/conf.h"

#define PRIV   "cC1mWBEdS1RW41M81/+H+RVMRwkTtMdq7A5fFxQ8XF4="
#define SECRET "[device]\nprivate-key = " PRIV "\ntoken = laptop-0123456789abcdef\n"

static const char full[] = "[device]\n"
			   "name = laptop\n"
			   "address = 10.0.0.2/24\n"
			   "routes = 192.168.7.0/24, 10.20.0.0/16\n"
			   "interface = rg7\n"
			   "mtu = 1280\n"
			   "[server]\n"
			   "url = https://198.51.100.1:8443/\n"
			   "fingerprint = " /* 32 bytes */
			   "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
			   "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\n"
			   "[ice]\n"
			   "stun = 198.51.100.1:3478\n"
			   "turn = tcp:turn.example:443\n"
			   "turn-user = rift\n"
			   "[agent]\n"
			   "control = /tmp/rg.sock\n"
			   "exit-node = yes\n"
			   "[peer.home]\n"
			   "accept-routes = 192.168.1.0/24\n"
			   "[peer.office]\n"
			   "accept-routes = all\n";

static void test_full(void)
{
	static const char secrets[] = SECRET "[ice]\nturn-password = pw\n";
	struct rg_agent_conf *c = NULL;
	GError *e = NULL;
	uint8_t key[32];
	const uint8_t addr[16] = { 10, 0, 0, 2 };

	g_assert_cmpint(rg_agent_conf_load_data(&c, full, "rg.conf", secrets, "s.conf", &e), ==,
			CORE_OK);
	g_assert_no_error(e);
	g_assert_cmpstr(c->name, ==, "laptop");
	g_assert_cmpmem(c->address.addr, 16, addr, 16);
	g_assert_cmpuint(c->address.len, ==, 24);
	g_assert_cmpstr(c->address_text, ==, "10.0.0.2/24");
	g_assert_cmpstr(c->routes[0], ==, "192.168.7.0/24");
	g_assert_cmpstr(c->routes[1], ==, "10.20.0.0/16");
	g_assert_null(c->routes[2]);
	g_assert_cmpstr(c->ifname, ==, "rg7");
	g_assert_cmpuint(c->mtu, ==, 1280);
	g_assert_cmpstr(c->url, ==, "https://198.51.100.1:8443"); /* no trailing slash */
	g_assert_nonnull(c->fingerprint);
	g_assert_cmpstr(c->stun_host, ==, "198.51.100.1");
	g_assert_cmpuint(c->stun_port, ==, 3478);
	g_assert_cmpstr(c->turn_host, ==, "turn.example");
	g_assert_cmpuint(c->turn_port, ==, 443);
	g_assert_cmpint(c->turn_transport, ==, RG_AGENT_TURN_TCP);
	g_assert_cmpstr(c->turn_user, ==, "rift");
	g_assert_cmpstr(c->turn_password, ==, "pw");
	g_assert_cmpstr(c->control, ==, "/tmp/rg.sock");
	g_assert_true(c->exit_node);
	g_assert_cmpuint(c->n_peers, ==, 2);
	g_assert_cmpstr(rg_agent_conf_peer(c, "home")->accept[0], ==, "192.168.1.0/24");
	g_assert_false(rg_agent_conf_peer(c, "home")->accept_all);
	g_assert_true(rg_agent_conf_peer(c, "office")->accept_all);
	g_assert_null(rg_agent_conf_peer(c, "nobody"));
	rg_wg_key_from_base64(key, PRIV, 44);
	g_assert_cmpmem(c->private_key, 32, key, 32);
	g_assert_cmpstr(c->token, ==, "laptop-0123456789abcdef");
	rg_agent_conf_free(c);
}

static void test_defaults(void)
{
	static const char text[] = "[device]\nname = a\naddress = 10.0.0.1/24\n"
				   "[server]\nurl = http://127.0.0.1:8080\n";
	struct rg_agent_conf *c = NULL;
	GError *e = NULL;

	g_assert_cmpint(rg_agent_conf_load_data(&c, text, "rg.conf", SECRET, "s.conf", &e), ==,
			CORE_OK);
	g_assert_no_error(e);
	g_assert_null(c->routes[0]);
	g_assert_cmpstr(c->ifname, ==, RG_AGENT_DEFAULT_IFNAME);
	g_assert_cmpuint(c->mtu, ==, RG_AGENT_DEFAULT_MTU);
	g_assert_null(c->fingerprint);
	g_assert_null(c->stun_host);
	g_assert_null(c->turn_host);
	g_assert_false(c->relay_only);
	g_assert_false(c->exit_node);
	g_assert_cmpstr(c->control, ==, RG_AGENT_DEFAULT_CONTROL);
	g_assert_cmpstr(c->secrets_path, ==, "./secrets.conf");
	g_assert_cmpuint(c->n_peers, ==, 0);
	rg_agent_conf_free(c);
}

struct bad {
	const char *text, *secrets, *error;
};

#define DEV  "[device]\nname = a\naddress = 10.0.0.1/24\n"
#define SRV  "[server]\nurl = https://h:1\n"
#define BASE DEV SRV

static const struct bad bad[] = {
	{ "[device]\naddress = 10.0.0.1/24\n" SRV, SECRET, "rg.conf:1: [device] name is required" },
	{ "[device]\nname = a\n" SRV, SECRET, "rg.conf:1: [device] address is required" },
	{ "[device]\nname = a\naddress = 10.0.0\n" SRV, SECRET,
	  "rg.conf:3: [device] address: expected an IPv4 address with the tunnel's prefix length "
	  "like 10.0.0.2/24, got \"10.0.0\"" },
	{ "[device]\nname = a\naddress = 10.0.0.1/32\n" SRV, SECRET,
	  "rg.conf:3: [device] address: expected an IPv4 address with the tunnel's prefix length "
	  "like 10.0.0.2/24, got \"10.0.0.1/32\"" },
	{ DEV "mtu = 100\n" SRV, SECRET,
	  "rg.conf:4: [device] mtu: expected an integer in 576..65000, got \"100\"" },
	{ DEV "interface = a-very-long-interface\n" SRV, SECRET,
	  "rg.conf:4: [device] interface: expected an interface name of 1 to 15 characters, got "
	  "\"a-very-long-interface\"" },
	{ DEV "colour = blue\n" SRV, SECRET, "rg.conf:4: [device] colour: unknown key" },
	{ DEV, SECRET, "rg.conf: [server] url is required" },
	{ DEV "[server]\nurl = wss://h\n", SECRET,
	  "rg.conf:5: [server] url: expected https://host:port or http://host:port, got "
	  "\"wss://h\"" },
	{ BASE "fingerprint = AB:CD\n", SECRET,
	  "rg.conf:6: [server] fingerprint: expected a SHA-256 fingerprint like AB:CD:... (32 "
	  "bytes), got \"AB:CD\"" },
	{ BASE "[ice]\nstun = host\n", SECRET,
	  "rg.conf:7: [ice] stun: expected host:port or [IPv6]:port, got \"host\"" },
	{ BASE "[ice]\nturn = dtls:h:1\n", SECRET,
	  "rg.conf:7: [ice] turn: expected udp:, tcp: or tls: then host:port, got \"dtls:h:1\"" },
	{ BASE "[ice]\nturn = udp:h:1\n", SECRET,
	  "rg.conf:7: [ice] turn: a TURN server needs turn-user (and turn-password in the "
	  "secrets file)" },
	{ BASE "[ice]\nrelay-only = true\n", SECRET,
	  "rg.conf:7: [ice] relay-only: relay-only needs a TURN server (turn)" },
	{ BASE "[ice]\nturn = udp:h:1\nturn-user = u\n", SECRET,
	  "s.conf: [ice] turn-password: required for the TURN server of the configuration" },
	{ BASE "[peer.b]\naccept-routes = 10.0.0\n", SECRET,
	  "rg.conf:7: [peer.b] accept-routes: route \"10.0.0\": not a prefix like 192.168.1.0/24 "
	  "or fd00::/64" },
	{ BASE "[peer.b]\naccept-routes = 10.9.0.1/16\n", SECRET,
	  "rg.conf:7: [peer.b] accept-routes: route \"10.9.0.1/16\": host bits set (did you mean "
	  "10.9.0.0/16?)" },
	{ DEV "routes = 0.0.0.0/0\n" SRV, SECRET,
	  "rg.conf:4: [device] routes: route \"0.0.0.0/0\": a default route (allow it with "
	  "exit-node = true)" },
	{ DEV "routes = 10.0.0.0/16\n" SRV, SECRET,
	  "rg.conf:4: [device] routes: route \"10.0.0.0/16\": overlaps the tunnel subnet "
	  "10.0.0.0/24" },
	{ BASE "[peers]\n", SECRET,
	  "rg.conf:6: unknown group [peers] (expected [device], [server], [ice], [agent] or "
	  "[peer.NAME])" },
	{ BASE, "[device]\ntoken = abc\n", "s.conf:1: [device] private-key is required" },
	{ BASE, "[device]\nprivate-key = " PRIV "\n",
	  "s.conf:1: [device] needs token (a static one) or refresh-token (riftgate setup writes "
	  "it), not both" },
	{ BASE "device-id = d1\n", SECRET "refresh-token = rgr_1\n",
	  "s.conf:1: [device] needs token (a static one) or refresh-token (riftgate setup writes "
	  "it), not both" },
	{ BASE, "[device]\nprivate-key = " PRIV "\nrefresh-token = rgr_1\n",
	  "s.conf:3: [device] refresh-token: needs [server] device-id in the configuration "
	  "(riftgate setup writes both)" },
	/* the malformed key is not quoted */
	{ BASE, "[device]\nprivate-key = c2VjcmV0LXNlY3JldA==\ntoken = t\n",
	  "s.conf:2: [device] private-key: not a WireGuard key (44 base64 characters, as riftgate "
	  "genkey writes)" },
	{ BASE, SECRET "[other]\n",
	  "s.conf:4: unknown group [other] (expected [device] or [ice])" },
};

static void test_errors(void)
{
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		struct rg_agent_conf *c = NULL;
		GError *e = NULL;

		g_test_message("case %zu", i);
		g_assert_cmpint(rg_agent_conf_load_data(&c, bad[i].text, "rg.conf", bad[i].secrets,
							"s.conf", &e),
				==, CORE_ERR_CONFIG);
		g_assert_null(c);
		g_assert_nonnull(e);
		g_assert_cmpstr(e->message, ==, bad[i].error);
		g_assert_null(strstr(e->message, "c2VjcmV0"));
		g_error_free(e);
	}
}

/* Files: the secrets beside the configuration, refused when others may read them. */
static void test_files(void)
{
	char *dir = g_dir_make_tmp("rg-conf-XXXXXX", NULL);
	char *path = g_build_filename(dir, "riftgate.conf", NULL);
	char *secrets = g_build_filename(dir, "secrets.conf", NULL);
	struct rg_agent_conf *c = NULL;
	GError *e = NULL;
	char *want;

	g_assert_true(g_file_set_contents(path, BASE, -1, NULL));
	g_assert_cmpint(rg_agent_conf_load(&c, path, &e), ==, CORE_ERR_CONFIG);
	want = g_strdup_printf("%s: No such file or directory", secrets);
	g_assert_cmpstr(e->message, ==, want);
	g_free(want);
	g_clear_error(&e);
	g_assert_true(g_file_set_contents(secrets, SECRET, -1, NULL));
	g_assert_cmpint(g_chmod(secrets, 0644), ==, 0);
	g_assert_cmpint(rg_agent_conf_load(&c, path, &e), ==, CORE_ERR_CONFIG);
	want = g_strdup_printf(
		"%s: mode 0644 lets others read or change the secrets (chmod 600 it)", secrets);
	g_assert_cmpstr(e->message, ==, want);
	g_free(want);
	g_clear_error(&e);
	g_assert_cmpint(g_chmod(secrets, 0600), ==, 0);
	g_assert_cmpint(rg_agent_conf_load(&c, path, &e), ==, CORE_OK);
	g_assert_no_error(e);
	g_assert_cmpstr(c->secrets_path, ==, secrets);
	g_assert_cmpstr(c->token, ==, "laptop-0123456789abcdef");
	rg_agent_conf_free(c);
	g_unlink(secrets);
	g_unlink(path);
	g_rmdir(dir);
	g_free(secrets);
	g_free(path);
	g_free(dir);
}

/* A registered device: device-id and refresh-token; the token rewritten in place, atomically. */
static void test_registered(void)
{
	char *dir = g_dir_make_tmp("rg-conf-XXXXXX", NULL);
	char *path = g_build_filename(dir, "secrets.conf", NULL), *text = NULL;
	const char *secrets = "# written by riftgate setup\n[device]\nprivate-key = " PRIV
			      "\nrefresh-token = rgr_old\n[ice]\nturn-password = pw\n";
	struct rg_agent_conf *c = NULL;
	GError *e = NULL;
	struct stat st;

	g_assert_cmpint(rg_agent_conf_load_data(&c, BASE "device-id = 6f1c-x\n", "rg.conf", secrets,
						"s.conf", &e),
			==, CORE_OK);
	g_assert_cmpstr(c->device_id, ==, "6f1c-x");
	g_assert_cmpstr(c->refresh_token, ==, "rgr_old");
	g_assert_null(c->token);
	rg_agent_conf_free(c);
	g_assert_true(g_file_set_contents(path, secrets, -1, NULL));
	g_assert_cmpint(g_chmod(path, 0600), ==, 0);
	g_assert_cmpint(rg_agent_conf_save_refresh(path, "rgr_new", &e), ==, CORE_OK);
	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	g_assert_cmpstr(text, ==,
			"# written by riftgate setup\n[device]\nprivate-key = " PRIV
			"\nrefresh-token = rgr_new\n[ice]\nturn-password = pw\n");
	g_assert_cmpint(stat(path, &st), ==, 0);
	g_assert_cmpint(st.st_mode & 0777, ==, 0600);
	g_free(text);
	/* a file without the line: refused, unchanged, the file not quoted */
	g_assert_true(g_file_set_contents(path, "[device]\ntoken = secret-0123456789\n", -1, NULL));
	g_assert_cmpint(rg_agent_conf_save_refresh(path, "rgr_new", &e), ==, CORE_ERR_CONFIG);
	g_assert_null(strstr(e->message, "secret-0123456789"));
	g_clear_error(&e);
	g_unlink(path);
	g_rmdir(dir);
	g_free(path);
	g_free(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/agent-conf/full", test_full);
	g_test_add_func("/agent-conf/defaults", test_defaults);
	g_test_add_func("/agent-conf/errors", test_errors);
	g_test_add_func("/agent-conf/files", test_files);
	g_test_add_func("/agent-conf/registered", test_registered);
	return g_test_run();
}
