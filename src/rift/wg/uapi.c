/* uapi.c - wg(8)'s userspace API text (contract in uapi.h). */
#include "rift/wg/uapi.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ct.h"
#include "core/err.h"
#include "core/hex.h"

static void put_hex_key(GString *s, const char *key, const uint8_t k[RG_WG_KEY_LEN])
{
	char hex[2 * RG_WG_KEY_LEN + 1];

	core_hex_encode(hex, k, RG_WG_KEY_LEN);
	g_string_append_printf(s, "%s=%s\n", key, hex);
	core_wipe(hex, sizeof(hex));
}

static void put_allowed(int family, const uint8_t *addr, unsigned cidr, void *data)
{
	char text[INET6_ADDRSTRLEN];

	inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, text, sizeof(text));
	g_string_append_printf(data, "allowed_ip=%s/%u\n", text, cidr);
}

char *rg_wg_uapi_get(const struct rg_wg_device *dev, const struct rg_wg_bind *bind,
		     uint16_t listen_port)
{
	GString *s = g_string_new(NULL);
	struct rg_wg_peer *p = NULL;
	struct rg_wg_peer_info info;
	char ep[RG_WG_BIND_TEXT_MAX];
	uint8_t priv[RG_WG_KEY_LEN], psk[RG_WG_KEY_LEN];

	/* as wireguard-go: wg(8) derives the public key from it; the socket is root's */
	rg_wg_device_private_key(dev, priv);
	put_hex_key(s, "private_key", priv);
	core_wipe(priv, sizeof(priv));
	g_string_append_printf(s, "listen_port=%u\n", listen_port);
	while ((p = rg_wg_device_next_peer(dev, p)) != NULL) {
		rg_wg_peer_info(p, &info);
		put_hex_key(s, "public_key", info.public_key);
		if (info.has_psk) {
			/* the key itself, as wireguard-go: wg(8) reads zeros as "none" */
			rg_wg_peer_preshared_key(p, psk);
			put_hex_key(s, "preshared_key", psk);
			core_wipe(psk, sizeof(psk));
		}
		g_string_append(s, "protocol_version=1\n");
		if (bind != NULL && rg_wg_bind_format(bind, &info.endpoint, ep, sizeof(ep)))
			g_string_append_printf(s, "endpoint=%s\n", ep);
		g_string_append_printf(s,
				       "last_handshake_time_sec=%" G_GINT64_FORMAT "\n"
				       "last_handshake_time_nsec=%u\n"
				       "tx_bytes=%" G_GUINT64_FORMAT "\n"
				       "rx_bytes=%" G_GUINT64_FORMAT "\n"
				       "persistent_keepalive_interval=%u\n",
				       info.last_handshake_s, info.last_handshake_ns, info.tx_bytes,
				       info.rx_bytes, info.persistent_keepalive_s);
		rg_wg_peer_foreach_allowed_ip(p, put_allowed, s);
	}
	g_string_append(s, "errno=0\n\n");
	return g_string_free(s, FALSE);
}

static void peer_free(gpointer p)
{
	struct rg_wg_uapi_peer *peer = p;

	g_ptr_array_unref(peer->allowed);
	g_free(peer);
}

void rg_wg_uapi_state_free(struct rg_wg_uapi_state *st)
{
	if (st == NULL)
		return;
	g_ptr_array_unref(st->peers);
	g_free(st);
}

static bool parse_key(const char *v, uint8_t out[RG_WG_KEY_LEN])
{
	return strlen(v) == 2 * RG_WG_KEY_LEN &&
	       core_hex_decode(out, RG_WG_KEY_LEN, v, 2 * RG_WG_KEY_LEN) == CORE_OK;
}

/* A decimal number up to max, nothing else (no sign, no space, no overflow). */
static bool parse_u64(const char *v, uint64_t max, uint64_t *out)
{
	char *end;

	if (*v < '0' || *v > '9')
		return false;
	errno = 0;
	*out = g_ascii_strtoull(v, &end, 10);
	return *end == '\0' && errno != ERANGE && *out <= max;
}

/* One key=value of a peer (cur) or of the interface. false: malformed. */
static bool parse_line(struct rg_wg_uapi_state *st, struct rg_wg_uapi_peer **cur, const char *k,
		       const char *v, int *err)
{
	struct rg_wg_uapi_peer *p = *cur;
	uint64_t n;

	if (strcmp(k, "errno") == 0) /* wireguard-go sends -errno on failure; 0 is success */
		return parse_u64(v[0] == '-' ? v + 1 : v, INT32_MAX, &n) && ((*err = (int)n), true);
	if (strcmp(k, "listen_port") == 0)
		return parse_u64(v, 65535, &n) && ((st->listen_port = (uint16_t)n), true);
	if (strcmp(k, "fwmark") == 0 && p == NULL)
		return parse_u64(v, UINT32_MAX, &n) && ((st->fwmark = (uint32_t)n), true);
	if (strcmp(k, "private_key") == 0 && p == NULL) {
		uint8_t priv[RG_WG_KEY_LEN];
		bool ok = parse_key(v, priv) && rg_wg_key_public(st->public_key, priv) == CORE_OK;

		core_wipe(priv, sizeof(priv));
		return ok;
	}
	if (strcmp(k, "public_key") == 0) {
		p = g_new0(struct rg_wg_uapi_peer, 1);
		p->allowed = g_ptr_array_new_with_free_func(g_free);
		g_ptr_array_add(st->peers, p);
		*cur = p;
		return parse_key(v, p->info.public_key);
	}
	if (p == NULL)
		return true; /* private_key, fwmark, ...: not shown */
	if (strcmp(k, "preshared_key") == 0) {
		/* wireguard-go sends zeros for a peer without one: wg(8) then shows nothing */
		static const uint8_t zero[RG_WG_KEY_LEN];
		uint8_t psk[RG_WG_KEY_LEN];
		bool ok = parse_key(v, psk);

		p->info.has_psk = ok && !core_ct_equal(psk, zero, RG_WG_KEY_LEN);
		core_wipe(psk, sizeof(psk));
		return ok;
	}
	if (strcmp(k, "endpoint") == 0)
		return core_addr_parse(&p->endpoint, v) == CORE_OK;
	if (strcmp(k, "allowed_ip") == 0) {
		/* a prefix, as wg(8) requires: show prints it as it came */
		uint8_t addr[16];
		unsigned plen;
		int family;

		if (core_cidr_parse(v, &family, addr, &plen) != CORE_OK)
			return false;
		g_ptr_array_add(p->allowed, g_strdup(v));
		return true;
	}
	if (strcmp(k, "last_handshake_time_sec") == 0)
		return parse_u64(v, INT64_MAX, &n) &&
		       ((p->info.last_handshake_s = (int64_t)n), true);
	if (strcmp(k, "last_handshake_time_nsec") == 0)
		return parse_u64(v, 999999999, &n) &&
		       ((p->info.last_handshake_ns = (uint32_t)n), true);
	if (strcmp(k, "tx_bytes") == 0)
		return parse_u64(v, UINT64_MAX, &p->info.tx_bytes);
	if (strcmp(k, "rx_bytes") == 0)
		return parse_u64(v, UINT64_MAX, &p->info.rx_bytes);
	if (strcmp(k, "persistent_keepalive_interval") == 0)
		return parse_u64(v, 65535, &n) &&
		       ((p->info.persistent_keepalive_s = (unsigned)n), true);
	return true;
}

int rg_wg_uapi_parse(const char *text, size_t len, struct rg_wg_uapi_state **out)
{
	struct rg_wg_uapi_state *st = g_new0(struct rg_wg_uapi_state, 1);
	struct rg_wg_uapi_peer *cur = NULL;
	char *copy = g_strndup(text, len), **lines;
	int ret = CORE_OK, err = -1;

	*out = NULL;
	st->peers = g_ptr_array_new_with_free_func(peer_free);
	lines = g_strsplit(copy, "\n", -1);
	for (size_t i = 0; lines[i] != NULL && ret == CORE_OK; i++) {
		char *eq = strchr(lines[i], '=');

		if (lines[i][0] == '\0')
			continue;
		if (eq == NULL || eq == lines[i]) {
			ret = CORE_ERR_BAD_FORMAT;
			break;
		}
		*eq = '\0';
		if (!parse_line(st, &cur, lines[i], eq + 1, &err))
			ret = CORE_ERR_BAD_FORMAT;
	}
	if (ret == CORE_OK && err != 0)
		ret = err < 0 ? CORE_ERR_BAD_FORMAT : CORE_ERR_BAD_VALUE;
	g_strfreev(lines);
	g_free(copy);
	if (ret != CORE_OK)
		rg_wg_uapi_state_free(st);
	else
		*out = st;
	return ret;
}

/* "1 year, 2 hours, 3 seconds" as wg(8) prints a duration (secs > 0). */
static void put_duration(GString *s, int64_t secs)
{
	static const struct {
		int64_t unit;
		const char *name;
	} units[] = { { 86400 * 365, "year" },
		      { 86400, "day" },
		      { 3600, "hour" },
		      { 60, "minute" },
		      { 1, "second" } };
	bool first = true;

	for (size_t i = 0; i < G_N_ELEMENTS(units); i++) {
		int64_t n = secs / units[i].unit;

		if (n == 0)
			continue;
		secs -= n * units[i].unit;
		g_string_append_printf(s, "%s%" G_GINT64_FORMAT " %s%s", first ? "" : ", ", n,
				       units[i].name, n == 1 ? "" : "s");
		first = false;
	}
}

/* An age as wg(8) prints it: "Now", "... ago", or its warning for a time ahead of now. */
static void put_age(GString *s, int64_t secs)
{
	if (secs == 0) {
		g_string_append(s, "Now");
	} else if (secs < 0) {
		g_string_append(s, "(System clock wound backward; connection problems may ensue.)");
	} else {
		put_duration(s, secs);
		g_string_append(s, " ago");
	}
}

/* "1.50 KiB" as wg(8) prints a byte count. */
static void put_bytes(GString *s, uint64_t b)
{
	if (b < 1024)
		g_string_append_printf(s, "%" G_GUINT64_FORMAT " B", b);
	else if (b < 1024 * 1024)
		g_string_append_printf(s, "%.2f KiB", (double)b / 1024);
	else if (b < 1024 * 1024 * 1024)
		g_string_append_printf(s, "%.2f MiB", (double)b / (1024 * 1024));
	else if (b < (uint64_t)1024 * 1024 * 1024 * 1024)
		g_string_append_printf(s, "%.2f GiB", (double)b / (1024.0 * 1024 * 1024));
	else
		g_string_append_printf(s, "%.2f TiB", (double)b / (1024.0 * 1024 * 1024 * 1024));
}

static void show_peer(GString *s, const struct rg_wg_uapi_peer *p, int64_t now_unix)
{
	char b64[RG_WG_KEY_B64_LEN + 1], ep[CORE_ADDR_STRLEN];
	const struct rg_wg_peer_info *in = &p->info;

	rg_wg_key_to_base64(in->public_key, b64);
	g_string_append_printf(s, "\npeer: %s\n", b64);
	if (in->has_psk)
		g_string_append(s, "  preshared key: (hidden)\n");
	if (p->endpoint.len != 0)
		g_string_append_printf(s, "  endpoint: %s\n",
				       core_addr_format(&p->endpoint, ep, sizeof(ep)));
	g_string_append(s, "  allowed ips: ");
	for (guint i = 0; i < p->allowed->len; i++)
		g_string_append_printf(s, "%s%s", i ? ", " : "",
				       (char *)g_ptr_array_index(p->allowed, i));
	g_string_append(s, p->allowed->len ? "\n" : "(none)\n");
	if (in->last_handshake_s != 0) {
		g_string_append(s, "  latest handshake: ");
		put_age(s, now_unix - in->last_handshake_s);
		g_string_append_c(s, '\n');
	}
	if (in->rx_bytes != 0 || in->tx_bytes != 0) {
		g_string_append(s, "  transfer: ");
		put_bytes(s, in->rx_bytes);
		g_string_append(s, " received, ");
		put_bytes(s, in->tx_bytes);
		g_string_append(s, " sent\n");
	}
	if (in->persistent_keepalive_s != 0) {
		g_string_append(s, "  persistent keepalive: every ");
		put_duration(s, in->persistent_keepalive_s);
		g_string_append_c(s, '\n');
	}
}

/* wg(8)'s order: the latest handshake first, peers that never had one last. */
static gint by_handshake(gconstpointer a, gconstpointer b)
{
	const struct rg_wg_peer_info *x = &(*(struct rg_wg_uapi_peer *const *)a)->info;
	const struct rg_wg_peer_info *y = &(*(struct rg_wg_uapi_peer *const *)b)->info;
	bool x_never = x->last_handshake_s == 0 && x->last_handshake_ns == 0;
	bool y_never = y->last_handshake_s == 0 && y->last_handshake_ns == 0;

	if (x_never != y_never)
		return x_never ? 1 : -1;
	if (x->last_handshake_s != y->last_handshake_s)
		return x->last_handshake_s < y->last_handshake_s ? 1 : -1;
	if (x->last_handshake_ns != y->last_handshake_ns)
		return x->last_handshake_ns < y->last_handshake_ns ? 1 : -1;
	return 0;
}

char *rg_wg_uapi_show(const struct rg_wg_uapi_state *st, const char *ifname, int64_t now_unix)
{
	static const uint8_t zero[RG_WG_KEY_LEN];
	GString *s = g_string_new(NULL);
	char b64[RG_WG_KEY_B64_LEN + 1];
	GPtrArray *peers = g_ptr_array_sized_new(st->peers->len); /* borrowed from st */

	g_string_append_printf(s, "interface: %s\n", ifname);
	if (memcmp(st->public_key, zero, RG_WG_KEY_LEN) != 0) {
		rg_wg_key_to_base64(st->public_key, b64);
		g_string_append_printf(s, "  public key: %s\n  private key: (hidden)\n", b64);
	}
	if (st->listen_port != 0)
		g_string_append_printf(s, "  listening port: %u\n", st->listen_port);
	if (st->fwmark != 0)
		g_string_append_printf(s, "  fwmark: 0x%x\n", st->fwmark);
	for (guint i = 0; i < st->peers->len; i++)
		g_ptr_array_add(peers, g_ptr_array_index(st->peers, i));
	g_ptr_array_sort(peers, by_handshake); /* stable, as glibc's qsort in wg(8) */
	for (guint i = 0; i < peers->len; i++)
		show_peer(s, g_ptr_array_index(peers, i), now_unix);
	g_ptr_array_free(peers, TRUE);
	return g_string_free(s, FALSE);
}
