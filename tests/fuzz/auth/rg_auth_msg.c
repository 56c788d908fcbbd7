/*
 * Fuzz target for rift/auth/authmsg: the same bytes through every parser
 * (the two request bodies, the session and device-list responses, an error
 * body, an ICE URL); what parses encodes and parses again to the same
 * values. Never a crash, a leak, or an accepted name the limits refuse.
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "../fuzz.h"
#include "core/err.h"
#include "rift/auth/authmsg.h"

static void requests(const char *d, size_t n)
{
	struct rg_auth_register_req r, r2;
	struct rg_auth_refresh_req f;
	const char *err;
	char *enc;

	if (rg_auth_register_parse(d, n, &r, &err) == CORE_OK) {
		if (err != NULL || !rg_auth_name_ok(r.device_name))
			abort();
		enc = rg_auth_register_encode(r.device_name, r.join_token);
		if (rg_auth_register_parse(enc, strlen(enc), &r2, &err) != CORE_OK ||
		    strcmp(r.device_name, r2.device_name) != 0 ||
		    strcmp(r.join_token, r2.join_token) != 0)
			abort();
		rg_auth_register_req_clear(&r2);
		g_free(enc);
	} else if (err == NULL || r.device_name != NULL) {
		abort();
	}
	rg_auth_register_req_clear(&r);
	if (rg_auth_refresh_parse(d, n, &f, &err) == CORE_OK)
		rg_auth_refresh_req_clear(&f);
	else if (err == NULL || f.device_id != NULL)
		abort();
}

static void responses(const char *d, size_t n)
{
	struct rg_auth_session s, s2;
	struct rg_auth_device *dev;
	size_t nd;
	char err[128], *enc;

	for (int reg = 0; reg < 2; reg++) {
		if (rg_auth_session_parse(d, n, reg, &s, err, sizeof(err)) != CORE_OK)
			continue;
		enc = rg_auth_session_encode(&s, reg);
		if (rg_auth_session_parse(enc, strlen(enc), reg, &s2, err, sizeof(err)) !=
			    CORE_OK ||
		    strcmp(s.access_token, s2.access_token) != 0 || s.n_ice != s2.n_ice)
			abort();
		rg_auth_session_clear(&s2);
		rg_auth_session_clear(&s);
		g_free(enc);
	}
	if (rg_auth_devices_parse(d, n, &dev, &nd, err, sizeof(err)) == CORE_OK)
		rg_auth_devices_free(dev, nd);
	g_free(rg_auth_error_parse(d, n));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = g_strndup((const char *)data, size), *host;
	uint16_t port;
	bool turn;
	const char *tr;

	requests((const char *)data, size);
	responses((const char *)data, size);
	if (rg_auth_ice_url_parse(s, &host, &port, &turn, &tr) == CORE_OK) {
		if (host == NULL || port == 0 || (!turn && strcmp(tr, "udp") != 0))
			abort();
		g_free(host);
	}
	g_free(s);
	return 0;
}
