/* conf.c - wg-quick style configuration (contract in conf.h). */
#include "rift/wg/conf.h"

#include <arpa/inet.h>
#include <string.h>

#include "core/addr.h"
#include "core/config.h"
#include "core/ct.h"
#include "core/err.h"
#include "core/log.h"

static const char *const interface_keys[] = {
	"PrivateKey", "Address", "ListenPort", "MTU",	  "DNS",      "Table", "FwMark",
	"SaveConfig", "PreUp",	 "PostUp",     "PreDown", "PostDown", NULL,
};
static const char *const ignored_keys[] = {
	"DNS", "Table", "FwMark", "SaveConfig", "PreUp", "PostUp", "PreDown", "PostDown", NULL,
};
static const char *const peer_keys[] = {
	"PublicKey", "PresharedKey", "AllowedIPs", "Endpoint", "PersistentKeepalive", NULL,
};

/* Room for a value quoted in an error message (longer ones end "..."). */
#define CONF_QUOTE_MAX 128

/* A bad value: file:line, [group] key, what was expected and the value (escaped). */
static int fail(GError **error, const struct core_config *cfg, const char *name, const char *group,
		const char *key, const char *what, const char *value)
{
	char quoted[CONF_QUOTE_MAX];

	g_set_error(error, CORE_ERROR, CORE_ERR_CONFIG, "%s:%u: [%s] %s: %s, got \"%s\"", name,
		    core_config_line(cfg, group, key), group, key, what,
		    core_log_escape(quoted, sizeof(quoted), value, strlen(value)));
	return CORE_ERR_CONFIG;
}

/*
 * A base64 key (or a missing optional one). A secret one (PrivateKey,
 * PresharedKey) that does not decode is never quoted, even in part: a key
 * with one wrong character is still almost all of the key.
 */
static int get_key(const struct core_config *cfg, const char *name, const char *group,
		   const char *key, bool required, bool secret, uint8_t out[RG_WG_KEY_LEN],
		   bool *present, GError **error)
{
	char *text = NULL;
	int ret;

	ret = core_config_get_string(cfg, group, key, NULL, &text, error);
	if (ret != CORE_OK)
		goto out;
	if (text == NULL) {
		if (required) {
			g_set_error(error, CORE_ERROR, CORE_ERR_CONFIG,
				    "%s:%u: [%s] %s is required", name,
				    core_config_line(cfg, group, NULL), group, key);
			ret = CORE_ERR_CONFIG;
		}
		goto out;
	}
	if (rg_wg_key_from_base64(out, text, strlen(text)) != CORE_OK) {
		core_wipe(out, RG_WG_KEY_LEN);
		if (secret) {
			g_set_error(
				error, CORE_ERROR, CORE_ERR_CONFIG,
				"%s:%u: [%s] %s: not a base64 key of 44 characters (the value is "
				"secret: not shown)",
				name, core_config_line(cfg, group, key), group, key);
			ret = CORE_ERR_CONFIG;
		} else {
			ret = fail(error, cfg, name, group, key,
				   "expected a base64 key of 44 characters", text);
		}
		goto out;
	}
	if (present != NULL)
		*present = true;
out:
	if (text != NULL)
		core_wipe(text, strlen(text));
	g_free(text);
	return ret;
}

bool rg_wg_prefix_parse(const char *s, struct rg_wg_prefix *p)
{
	uint8_t masked[16];
	const char *slash = strchr(s, '/');
	char host[64];

	if (core_cidr_parse(s, &p->family, masked, &p->len) != CORE_OK || slash == NULL ||
	    (size_t)(slash - s) >= sizeof(host))
		return false;
	memcpy(host, s, (size_t)(slash - s));
	host[slash - s] = '\0';
	memset(p->addr, 0, sizeof(p->addr));
	return inet_pton(p->family == 4 ? AF_INET : AF_INET6, host, p->addr) == 1;
}

/* A list of prefixes; keep_host false clears host bits (AllowedIPs). */
static int get_prefixes(const struct core_config *cfg, const char *name, const char *group,
			const char *key, bool keep_host, struct rg_wg_prefix **out, size_t *n,
			GError **error)
{
	char **items = NULL;
	int ret;

	*out = NULL;
	*n = 0;
	ret = core_config_get_strv(cfg, group, key, &items, error);
	if (ret != CORE_OK || items == NULL)
		goto out;
	*out = g_new0(struct rg_wg_prefix, g_strv_length(items) + 1);
	for (size_t i = 0; items[i] != NULL; i++) {
		struct rg_wg_prefix *p = &(*out)[*n];

		if (items[i][0] == '\0')
			continue;
		if (!rg_wg_prefix_parse(items[i], p)) {
			ret = fail(error, cfg, name, group, key,
				   "expected an address with a prefix length like 10.0.0.1/24",
				   items[i]);
			goto out;
		}
		if (!keep_host)
			core_cidr_parse(items[i], &p->family, p->addr, &p->len);
		(*n)++;
	}
out:
	g_strfreev(items);
	return ret;
}

static int load_interface(struct rg_wg_conf *c, const struct core_config *cfg, const char *name,
			  GError **error)
{
	const char *g = "Interface";
	int64_t mtu;
	int ret;

	if (!core_config_has_group(cfg, g)) {
		g_set_error(error, CORE_ERROR, CORE_ERR_CONFIG, "%s: no [Interface] section", name);
		return CORE_ERR_CONFIG;
	}
	if ((ret = core_config_check_keys(cfg, g, interface_keys, error)) != CORE_OK ||
	    (ret = get_key(cfg, name, g, "PrivateKey", true, true, c->private_key, NULL, error)) !=
		    CORE_OK ||
	    (ret = get_prefixes(cfg, name, g, "Address", true, &c->addresses, &c->n_addresses,
				error)) != CORE_OK ||
	    (ret = core_config_get_port(cfg, g, "ListenPort", 0, &c->listen_port, error)) !=
		    CORE_OK ||
	    (ret = core_config_get_int(cfg, g, "MTU", 1420, 576, 65535, &mtu, error)) != CORE_OK)
		return ret;
	c->mtu = (unsigned)mtu;
	c->ignored = g_new0(char *, G_N_ELEMENTS(ignored_keys));
	for (size_t i = 0, n = 0; ignored_keys[i] != NULL; i++)
		if (core_config_has_key(cfg, g, ignored_keys[i]))
			c->ignored[n++] = g_strdup(ignored_keys[i]);
	return CORE_OK;
}

static int load_keepalive(struct rg_wg_conf_peer *p, const struct core_config *cfg,
			  const char *name, const char *g, GError **error)
{
	char *text = NULL;
	int64_t v;
	int ret;

	ret = core_config_get_string(cfg, g, "PersistentKeepalive", NULL, &text, error);
	if (ret != CORE_OK || text == NULL || strcmp(text, "off") == 0)
		goto out;
	ret = core_config_get_int(cfg, g, "PersistentKeepalive", 0, 0, 65535, &v, error);
	if (ret == CORE_OK)
		p->keepalive_s = (unsigned)v;
out:
	g_free(text);
	return ret;
}

static int load_peer(struct rg_wg_conf_peer *p, const struct core_config *cfg, const char *name,
		     const char *g, GError **error)
{
	char *host = NULL;
	uint16_t port;
	int ret;

	if ((ret = core_config_check_keys(cfg, g, peer_keys, error)) != CORE_OK ||
	    (ret = get_key(cfg, name, g, "PublicKey", true, false, p->public_key, NULL, error)) !=
		    CORE_OK ||
	    (ret = get_key(cfg, name, g, "PresharedKey", false, true, p->psk, &p->has_psk,
			   error)) != CORE_OK ||
	    (ret = get_prefixes(cfg, name, g, "AllowedIPs", false, &p->allowed, &p->n_allowed,
				error)) != CORE_OK ||
	    (ret = core_config_get_string(cfg, g, "Endpoint", NULL, &p->endpoint, error)) !=
		    CORE_OK ||
	    (ret = load_keepalive(p, cfg, name, g, error)) != CORE_OK)
		return ret;
	if (p->endpoint != NULL) {
		if (core_addr_split_host_port(p->endpoint, &host, &port) != CORE_OK || port == 0)
			ret = fail(error, cfg, name, g, "Endpoint",
				   "expected host:port or [IPv6]:port", p->endpoint);
		g_free(host);
	}
	return ret;
}

static int load(struct rg_wg_conf *c, const struct core_config *cfg, const char *name,
		GError **error)
{
	char **groups = core_config_groups(cfg);
	int ret;

	ret = load_interface(c, cfg, name, error);
	c->peers = g_new0(struct rg_wg_conf_peer, g_strv_length(groups) + 1);
	for (size_t i = 0; ret == CORE_OK && groups[i] != NULL; i++) {
		if (strcmp(groups[i], "Interface") == 0)
			continue;
		if (strcmp(groups[i], "Peer") != 0 && !g_str_has_prefix(groups[i], "Peer#")) {
			g_set_error(error, CORE_ERROR, CORE_ERR_CONFIG,
				    "%s:%u: unknown section [%s] (expected [Interface] "
				    "or [Peer])",
				    name, core_config_line(cfg, groups[i], NULL), groups[i]);
			ret = CORE_ERR_CONFIG;
			break;
		}
		ret = load_peer(&c->peers[c->n_peers++], cfg, name, groups[i], error);
	}
	for (size_t i = 0; ret == CORE_OK && i < c->n_peers; i++)
		for (size_t j = 0; j < i; j++)
			if (memcmp(c->peers[i].public_key, c->peers[j].public_key, 32) == 0) {
				g_set_error(error, CORE_ERROR, CORE_ERR_CONFIG,
					    "%s: two [Peer] sections with the same "
					    "PublicKey",
					    name);
				ret = CORE_ERR_CONFIG;
				break;
			}
	g_strfreev(groups);
	return ret;
}

static int finish(struct rg_wg_conf **out, struct core_config *cfg, int ret, const char *name,
		  GError **error)
{
	struct rg_wg_conf *c;

	*out = NULL;
	if (ret != CORE_OK)
		return ret;
	c = g_new0(struct rg_wg_conf, 1);
	ret = load(c, cfg, name, error);
	core_config_free(cfg);
	if (ret != CORE_OK) {
		rg_wg_conf_free(c);
		return ret;
	}
	*out = c;
	return CORE_OK;
}

int rg_wg_conf_load(struct rg_wg_conf **out, const char *path, GError **error)
{
	struct core_config *cfg = NULL;
	int ret = core_config_load(&cfg, path, CORE_CONFIG_REPEATED_GROUPS, error);

	return finish(out, cfg, ret, path, error);
}

int rg_wg_conf_load_data(struct rg_wg_conf **out, const char *data, size_t len, const char *name,
			 GError **error)
{
	struct core_config *cfg = NULL;
	int ret = core_config_load_data(&cfg, data, len, name, CORE_CONFIG_REPEATED_GROUPS, error);

	return finish(out, cfg, ret, name, error);
}

void rg_wg_conf_free(struct rg_wg_conf *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n_peers; i++) {
		g_free(c->peers[i].allowed);
		g_free(c->peers[i].endpoint);
		core_wipe(&c->peers[i], sizeof(c->peers[i]));
	}
	g_free(c->peers);
	g_free(c->addresses);
	g_strfreev(c->ignored);
	core_wipe(c, sizeof(*c));
	g_free(c);
}
