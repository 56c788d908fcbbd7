/* conf.c - the agent's configuration files (contract in conf.h). */
#include "rift/agent/conf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/addr.h"
#include "core/config.h"
#include "core/ct.h"
#include "core/err.h"
#include "core/tls.h"
#include "rift/agent/routes.h"

static const char *const device_keys[] = { "name", "address", "routes", "interface", "mtu", NULL };
static const char *const server_keys[] = { "url", "fingerprint", "device-id", NULL };
static const char *const ice_keys[] = { "stun", "turn", "turn-user", "relay-only", NULL };
static const char *const agent_keys[] = { "control", "secrets", "exit-node", "wg-direct", NULL };
static const char *const peer_keys[] = { "accept-routes", NULL };
static const char *const secret_device_keys[] = { "private-key", "token", "refresh-token", NULL };
static const char *const secret_ice_keys[] = { "turn-password", NULL };

/* One file being read: its parsed form and the name errors give. */
struct src {
	const struct core_config *cfg;
	const char *name;
};

/* Set a CORE_ERR_CONFIG error "FILE:LINE: msg" (no line when there is none to name). */
static int fail_at(GError **error, const struct src *s, unsigned line, const char *msg)
{
	if (line > 0)
		g_set_error(error, CORE_ERROR, CORE_ERR_CONFIG, "%s:%u: %s", s->name, line, msg);
	else
		g_set_error(error, CORE_ERROR, CORE_ERR_CONFIG, "%s: %s", s->name, msg);
	return CORE_ERR_CONFIG;
}

static int fail(GError **error, const struct src *s, const char *group, const char *key,
		const char *what)
{
	char *msg = g_strdup_printf("[%s] %s: %s", group, key, what);
	int ret = fail_at(error, s, core_config_line(s->cfg, group, key), msg);

	g_free(msg);
	return ret;
}

static int fail_value(GError **error, const struct src *s, const char *group, const char *key,
		      const char *what, const char *value)
{
	char *msg = g_strdup_printf("%s, got \"%s\"", what, value);
	int ret = fail(error, s, group, key, msg);

	g_free(msg);
	return ret;
}

/* A required string: present and not empty. */
static int get_required(const struct src *s, const char *group, const char *key, char **out,
			GError **error)
{
	int ret = core_config_get_string(s->cfg, group, key, NULL, out, error);

	if (ret == CORE_OK && (*out == NULL || **out == '\0')) {
		char *msg = g_strdup_printf("[%s] %s is required", group, key);

		ret = fail_at(error, s, core_config_line(s->cfg, group, NULL), msg);
		g_free(msg);
	}
	return ret;
}

/* "host:port" with a port, the host a name or a numeric address. */
static int get_host_port(const struct src *s, const char *group, const char *key, const char *text,
			 char **host, uint16_t *port, GError **error)
{
	if (core_addr_split_host_port(text, host, port) != CORE_OK || *port == 0)
		return fail_value(error, s, group, key, "expected host:port or [IPv6]:port", text);
	return CORE_OK;
}

static int load_device(struct rg_agent_conf *c, const struct src *s, GError **error)
{
	int64_t mtu;
	int ret;

	if ((ret = core_config_check_keys(s->cfg, "device", device_keys, error)) != CORE_OK ||
	    (ret = get_required(s, "device", "name", &c->name, error)) != CORE_OK ||
	    (ret = get_required(s, "device", "address", &c->address_text, error)) != CORE_OK)
		goto out;
	if (strlen(c->name) > 64 || strchr(c->name, '/') != NULL) {
		ret = fail_value(error, s, "device", "name",
				 "expected at most 64 characters and no '/'", c->name);
		goto out;
	}
	if (!rg_wg_prefix_parse(c->address_text, &c->address) || c->address.family != 4 ||
	    c->address.len == 32 || c->address.len < 8) {
		ret = fail_value(error, s, "device", "address",
				 "expected an IPv4 address with the tunnel's prefix length like "
				 "10.0.0.2/24",
				 c->address_text);
		goto out;
	}
	if ((ret = core_config_get_strv(s->cfg, "device", "routes", &c->routes, error)) !=
		    CORE_OK ||
	    (ret = core_config_get_string(s->cfg, "device", "interface", RG_AGENT_DEFAULT_IFNAME,
					  &c->ifname, error)) != CORE_OK ||
	    (ret = core_config_get_int(s->cfg, "device", "mtu", RG_AGENT_DEFAULT_MTU, 576, 65000,
				       &mtu, error)) != CORE_OK)
		goto out;
	if (c->routes == NULL)
		c->routes = g_new0(char *, 1);
	for (size_t i = 0; c->routes[i] != NULL; i++) {
		struct rg_route_policy policy = { .tunnel = c->address };
		char reason[RG_ROUTE_REASON_LEN];
		struct rg_wg_prefix p;

		/* what this device advertises is its own LAN: not checked against its interfaces */
		if (rg_route_validate(c->routes[i], RG_ROUTE_OURS, &policy, &p, reason) !=
		    CORE_OK) {
			ret = fail(error, s, "device", "routes", reason);
			goto out;
		}
	}
	if (strlen(c->ifname) == 0 || strlen(c->ifname) > 15) {
		ret = fail_value(error, s, "device", "interface",
				 "expected an interface name of 1 to 15 characters", c->ifname);
		goto out;
	}
	c->mtu = (unsigned)mtu;
out:
	return ret;
}

static int load_server(struct rg_agent_conf *c, const struct src *s, GError **error)
{
	uint8_t fp[CORE_TLS_FP_LEN];
	int ret;

	if ((ret = core_config_check_keys(s->cfg, "server", server_keys, error)) != CORE_OK ||
	    (ret = get_required(s, "server", "url", &c->url, error)) != CORE_OK ||
	    (ret = core_config_get_string(s->cfg, "server", "fingerprint", NULL, &c->fingerprint,
					  error)) != CORE_OK ||
	    (ret = core_config_get_string(s->cfg, "server", "device-id", NULL, &c->device_id,
					  error)) != CORE_OK)
		return ret;
	if (!g_str_has_prefix(c->url, "https://") && !g_str_has_prefix(c->url, "http://"))
		return fail_value(error, s, "server", "url",
				  "expected https://host:port or http://host:port", c->url);
	/* the client appends the path itself */
	while (g_str_has_suffix(c->url, "/"))
		c->url[strlen(c->url) - 1] = '\0';
	if (c->fingerprint != NULL && core_tls_fingerprint_parse(c->fingerprint, fp) != CORE_OK)
		return fail_value(error, s, "server", "fingerprint",
				  "expected a SHA-256 fingerprint like AB:CD:... (32 bytes)",
				  c->fingerprint);
	return CORE_OK;
}

static int load_turn(struct rg_agent_conf *c, const struct src *s, const char *text, GError **error)
{
	static const struct {
		const char *prefix;
		enum rg_agent_turn_transport t;
	} kinds[] = { { "udp:", RG_AGENT_TURN_UDP },
		      { "tcp:", RG_AGENT_TURN_TCP },
		      { "tls:", RG_AGENT_TURN_TLS } };

	for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++) {
		if (!g_str_has_prefix(text, kinds[i].prefix))
			continue;
		c->turn_transport = kinds[i].t;
		return get_host_port(s, "ice", "turn", text + 4, &c->turn_host, &c->turn_port,
				     error);
	}
	return fail_value(error, s, "ice", "turn", "expected udp:, tcp: or tls: then host:port",
			  text);
}

static int load_ice(struct rg_agent_conf *c, const struct src *s, GError **error)
{
	char *stun = NULL, *turn = NULL;
	int ret;

	if ((ret = core_config_check_keys(s->cfg, "ice", ice_keys, error)) != CORE_OK ||
	    (ret = core_config_get_string(s->cfg, "ice", "stun", NULL, &stun, error)) != CORE_OK ||
	    (ret = core_config_get_string(s->cfg, "ice", "turn", NULL, &turn, error)) != CORE_OK ||
	    (ret = core_config_get_string(s->cfg, "ice", "turn-user", NULL, &c->turn_user,
					  error)) != CORE_OK ||
	    (ret = core_config_get_bool(s->cfg, "ice", "relay-only", false, &c->relay_only,
					error)) != CORE_OK)
		goto out;
	if (stun != NULL && (ret = get_host_port(s, "ice", "stun", stun, &c->stun_host,
						 &c->stun_port, error)) != CORE_OK)
		goto out;
	if (turn != NULL && (ret = load_turn(c, s, turn, error)) != CORE_OK)
		goto out;
	if (c->turn_host != NULL && c->turn_user == NULL) {
		ret = fail(error, s, "ice", "turn",
			   "a TURN server needs turn-user (and turn-password "
			   "in the secrets file)");
		goto out;
	}
	if (c->relay_only && c->turn_host == NULL)
		ret = fail(error, s, "ice", "relay-only", "relay-only needs a TURN server (turn)");
out:
	g_free(stun);
	g_free(turn);
	return ret;
}

static int load_agent(struct rg_agent_conf *c, const struct src *s, const char *path,
		      GError **error)
{
	char *dir = g_path_get_dirname(path), *def = g_build_filename(dir, "secrets.conf", NULL);
	int ret;

	if ((ret = core_config_check_keys(s->cfg, "agent", agent_keys, error)) != CORE_OK ||
	    (ret = core_config_get_string(s->cfg, "agent", "control", RG_AGENT_DEFAULT_CONTROL,
					  &c->control, error)) != CORE_OK ||
	    (ret = core_config_get_string(s->cfg, "agent", "secrets", def, &c->secrets_path,
					  error)) != CORE_OK)
		goto out;
	if ((ret = core_config_get_bool(s->cfg, "agent", "exit-node", false, &c->exit_node,
					error)) != CORE_OK)
		goto out;
	ret = core_config_get_bool(s->cfg, "agent", "wg-direct", true, &c->wg_direct, error);
out:
	g_free(dir);
	g_free(def);
	return ret;
}

static int load_peer(struct rg_agent_conf_peer *p, const struct src *s, const char *group,
		     GError **error)
{
	char **items = NULL;
	int ret;

	p->name = g_strdup(group + strlen("peer."));
	if ((ret = core_config_check_keys(s->cfg, group, peer_keys, error)) != CORE_OK ||
	    (ret = core_config_get_strv(s->cfg, group, "accept-routes", &items, error)) != CORE_OK)
		goto out;
	if (items != NULL && items[0] != NULL && strcmp(items[0], "all") == 0 && items[1] == NULL) {
		p->accept_all = true;
		p->accept = g_new0(char *, 1);
		goto out;
	}
	for (size_t i = 0; items != NULL && items[i] != NULL; i++) {
		char reason[RG_ROUTE_REASON_LEN];
		struct rg_wg_prefix pr;

		if (rg_route_parse(items[i], &pr, reason) != CORE_OK) {
			ret = fail(error, s, group, "accept-routes", reason);
			goto out;
		}
	}
	p->accept = items != NULL ? items : g_new0(char *, 1);
	items = NULL;
out:
	g_strfreev(items);
	return ret;
}

static int load_main(struct rg_agent_conf *c, const struct src *s, const char *path, GError **error)
{
	char **groups = core_config_groups(s->cfg);
	int ret = CORE_OK;

	c->peers = g_new0(struct rg_agent_conf_peer, g_strv_length(groups) + 1);
	for (size_t i = 0; ret == CORE_OK && groups[i] != NULL; i++) {
		const char *g = groups[i];

		if (strcmp(g, "device") == 0 || strcmp(g, "server") == 0 || strcmp(g, "ice") == 0 ||
		    strcmp(g, "agent") == 0)
			continue;
		if (!g_str_has_prefix(g, "peer.") || g[5] == '\0') {
			g_set_error(error, CORE_ERROR, CORE_ERR_CONFIG,
				    "%s:%u: unknown group [%s] (expected [device], [server], "
				    "[ice], [agent] or [peer.NAME])",
				    s->name, core_config_line(s->cfg, g, NULL), g);
			ret = CORE_ERR_CONFIG;
			break;
		}
		ret = load_peer(&c->peers[c->n_peers++], s, g, error);
	}
	g_strfreev(groups);
	if (ret == CORE_OK && (ret = load_device(c, s, error)) == CORE_OK &&
	    (ret = load_server(c, s, error)) == CORE_OK && (ret = load_ice(c, s, error)) == CORE_OK)
		ret = load_agent(c, s, path, error);
	return ret;
}

static int load_secrets(struct rg_agent_conf *c, const struct src *s, GError **error)
{
	char **groups = core_config_groups(s->cfg);
	char *key = NULL;
	int ret = CORE_OK;

	for (size_t i = 0; groups[i] != NULL; i++) {
		if (strcmp(groups[i], "device") != 0 && strcmp(groups[i], "ice") != 0) {
			g_set_error(error, CORE_ERROR, CORE_ERR_CONFIG,
				    "%s:%u: unknown group [%s] (expected [device] or [ice])",
				    s->name, core_config_line(s->cfg, groups[i], NULL), groups[i]);
			ret = CORE_ERR_CONFIG;
			goto out;
		}
	}
	if ((ret = core_config_check_keys(s->cfg, "device", secret_device_keys, error)) !=
		    CORE_OK ||
	    (ret = core_config_check_keys(s->cfg, "ice", secret_ice_keys, error)) != CORE_OK ||
	    (ret = get_required(s, "device", "private-key", &key, error)) != CORE_OK ||
	    (ret = core_config_get_string(s->cfg, "device", "token", NULL, &c->token, error)) !=
		    CORE_OK ||
	    (ret = core_config_get_string(s->cfg, "device", "refresh-token", NULL,
					  &c->refresh_token, error)) != CORE_OK ||
	    (ret = core_config_get_string(s->cfg, "ice", "turn-password", NULL, &c->turn_password,
					  error)) != CORE_OK)
		goto out;
	/* a static token, or a registered device's refresh token: one of the two */
	if ((c->token == NULL || c->token[0] == '\0') ==
	    (c->refresh_token == NULL || c->refresh_token[0] == '\0')) {
		ret = fail_at(
			error, s, core_config_line(s->cfg, "device", NULL),
			"[device] needs token (a static one) or refresh-token (riftgate setup "
			"writes it), not both");
		goto out;
	}
	if (c->refresh_token != NULL && c->device_id == NULL) {
		ret = fail(error, s, "device", "refresh-token",
			   "needs [server] device-id in the configuration (riftgate setup writes "
			   "both)");
		goto out;
	}
	/* never quote a secret, not even a malformed one */
	if (rg_wg_key_from_base64(c->private_key, key, strlen(key)) != CORE_OK) {
		ret = fail(error, s, "device", "private-key",
			   "not a WireGuard key (44 base64 characters, as riftgate genkey writes)");
		goto out;
	}
	if (c->turn_host != NULL && c->turn_password == NULL)
		ret = fail(error, s, "ice", "turn-password",
			   "required for the TURN server of the configuration");
out:
	if (key != NULL)
		core_wipe(key, strlen(key));
	g_free(key);
	g_strfreev(groups);
	return ret;
}

/* Secrets must not be readable by others nor writable by anyone but the owner. */
static int check_secrets_mode(const char *path, GError **error)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		g_set_error(error, CORE_ERROR, CORE_ERR_CONFIG, "%s: %s", path, g_strerror(errno));
		return CORE_ERR_CONFIG;
	}
	if ((st.st_mode & 0027) != 0) {
		g_set_error(error, CORE_ERROR, CORE_ERR_CONFIG,
			    "%s: mode %04o lets others read or change the secrets "
			    "(chmod 600 it)",
			    path, (unsigned)(st.st_mode & 07777));
		return CORE_ERR_CONFIG;
	}
	return CORE_OK;
}

/* Both loaders end here: the configuration to *out on success, everything freed. */
static int finish(struct rg_agent_conf **out, struct rg_agent_conf *c, struct core_config *m,
		  struct core_config *sc, int ret)
{
	core_config_free(m);
	core_config_free(sc);
	if (ret == CORE_OK)
		*out = c;
	else
		rg_agent_conf_free(c);
	return ret;
}

int rg_agent_conf_load(struct rg_agent_conf **out, const char *path, GError **error)
{
	struct rg_agent_conf *c = g_new0(struct rg_agent_conf, 1);
	struct core_config *m = NULL, *sc = NULL;
	int ret;

	*out = NULL;
	c->path = g_strdup(path);
	if ((ret = core_config_load(&m, path, CORE_CONFIG_DEFAULT, error)) != CORE_OK)
		goto out;
	/* the whole configuration first: its mistakes are the likelier ones */
	{
		struct src src = { m, path };

		if ((ret = load_main(c, &src, path, error)) != CORE_OK)
			goto out;
	}
	if ((ret = check_secrets_mode(c->secrets_path, error)) != CORE_OK ||
	    (ret = core_config_load(&sc, c->secrets_path, CORE_CONFIG_DEFAULT, error)) != CORE_OK)
		goto out;
	{
		struct src src = { sc, c->secrets_path };

		ret = load_secrets(c, &src, error);
	}
out:
	return finish(out, c, m, sc, ret);
}

int rg_agent_conf_load_data(struct rg_agent_conf **out, const char *text, const char *name,
			    const char *secrets_text, const char *secrets_name, GError **error)
{
	struct rg_agent_conf *c = g_new0(struct rg_agent_conf, 1);
	struct core_config *m = NULL, *sc = NULL;
	struct src ms = { NULL, name }, ss = { NULL, secrets_name };
	int ret;

	*out = NULL;
	c->path = g_strdup(name);
	if ((ret = core_config_load_data(&m, text, strlen(text), name, CORE_CONFIG_DEFAULT,
					 error)) != CORE_OK)
		goto out;
	ms.cfg = m;
	if ((ret = load_main(c, &ms, name, error)) != CORE_OK ||
	    (ret = core_config_load_data(&sc, secrets_text, strlen(secrets_text), secrets_name,
					 CORE_CONFIG_DEFAULT, error)) != CORE_OK)
		goto out;
	ss.cfg = sc;
	ret = load_secrets(c, &ss, error);
out:
	return finish(out, c, m, sc, ret);
}

static void wipe_str(char *s)
{
	if (s != NULL)
		core_wipe(s, strlen(s));
	g_free(s);
}

void rg_agent_conf_free(struct rg_agent_conf *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n_peers; i++) {
		g_free(c->peers[i].name);
		g_strfreev(c->peers[i].accept);
	}
	g_free(c->peers);
	g_free(c->path);
	g_free(c->name);
	g_free(c->address_text);
	g_strfreev(c->routes);
	g_free(c->ifname);
	g_free(c->url);
	g_free(c->fingerprint);
	g_free(c->stun_host);
	g_free(c->turn_host);
	g_free(c->turn_user);
	g_free(c->control);
	g_free(c->secrets_path);
	wipe_str(c->token);
	wipe_str(c->refresh_token);
	g_free(c->device_id);
	wipe_str(c->turn_password);
	core_wipe(c, sizeof(*c));
	g_free(c);
}

const struct rg_agent_conf_peer *rg_agent_conf_peer(const struct rg_agent_conf *c, const char *name)
{
	for (size_t i = 0; i < c->n_peers; i++)
		if (strcmp(c->peers[i].name, name) == 0)
			return &c->peers[i];
	return NULL;
}

int rg_agent_conf_write_file(const char *path, const char *text, unsigned mode, GError **error)
{
	char *dir = g_path_get_dirname(path), *tmp = g_strconcat(path, ".new", NULL);
	size_t len = strlen(text);
	int fd = -1, dfd = -1, rc = CORE_ERR_SYSTEM;

	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0 || fchmod(fd, mode) != 0 || write(fd, text, len) != (ssize_t)len ||
	    fsync(fd) != 0) {
		g_set_error(error, CORE_ERROR, rc, "cannot write %s: %s", tmp, g_strerror(errno));
		goto out;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		fd = -1;
		g_set_error(error, CORE_ERROR, rc, "cannot replace %s: %s", path,
			    g_strerror(errno));
		goto out;
	}
	fd = -1;
	/* the rename itself on disk too */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		(void)fsync(dfd);
	rc = CORE_OK;
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (rc != CORE_OK)
		(void)unlink(tmp);
	g_free(tmp);
	g_free(dir);
	return rc;
}

int rg_agent_conf_save_refresh(const char *path, const char *token, GError **error)
{
	char *text = NULL, **lines = NULL, *out = NULL;
	struct stat st;
	bool device = false, done = false;
	int rc = CORE_ERR_SYSTEM;

	if (stat(path, &st) != 0 || !g_file_get_contents(path, &text, NULL, NULL)) {
		g_set_error(error, CORE_ERROR, rc, "cannot read %s: %s", path, g_strerror(errno));
		goto out;
	}
	lines = g_strsplit(text, "\n", -1);
	for (char **l = lines; *l != NULL && !done; l++) {
		const char *t = *l + strspn(*l, " \t");

		if (*t == '[')
			device = g_str_has_prefix(t, "[device]");
		else if (device && g_str_has_prefix(t, "refresh-token") &&
			 t[strspn(t + 13, " \t") + 13] == '=') {
			core_wipe(*l, strlen(*l));
			g_free(*l);
			*l = g_strconcat("refresh-token = ", token, NULL);
			done = true;
		}
	}
	if (!done) {
		rc = CORE_ERR_CONFIG;
		g_set_error(error, CORE_ERROR, rc, "%s: no refresh-token line in [device]", path);
		goto out;
	}
	out = g_strjoinv("\n", lines);
	rc = rg_agent_conf_write_file(path, out, st.st_mode & 07777, error);
out:
	if (text != NULL)
		core_wipe(text, strlen(text));
	if (out != NULL)
		core_wipe(out, strlen(out));
	for (char **l = lines; l != NULL && *l != NULL; l++)
		core_wipe(*l, strlen(*l));
	g_strfreev(lines);
	g_free(text);
	g_free(out);
	return rc;
}
