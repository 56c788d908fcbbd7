/*
 * sdp.c - SDP for WebRTC data channels (see sdp.h for the contract).
 *
 * The parser copies the input once, splits it into lines in place and feeds
 * each line to a small state machine: session level, the data section, or a
 * skipped section. ICE and DTLS attributes are collected per level (session,
 * data section) and merged at the end, the section's value winning. Every
 * field check is a function shared with the builder, so what we build always
 * parses back, and a peer's text can never smuggle a line into ours.
 */
#include "rift/rtc/sdp.h"

#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/hex.h"

#define ICE_UFRAG_MIN	   4  /* RFC 8839 5.4 */
#define ICE_PWD_MIN	   22 /* RFC 8839 5.4 */
#define ICE_CRED_MAX	   256
#define MID_MAX		   32
#define FOUNDATION_MAX	   32
#define ADDR_MAX	   63
#define CANDIDATE_LINE_MAX (RG_SDP_CANDIDATE_MAX * 4)
#define MAX_TOKENS	   64 /* a candidate line has a few dozen at most */

/* ICE and DTLS attributes seen at one level (session or data section). */
struct level {
	const char *ufrag, *pwd; /* point into the parser's copy */
	bool has_trickle_opts, trickle;
	bool has_fp, other_fp; /* a sha-256 one; one of another hash */
	uint8_t fp[RG_SDP_FP_LEN];
	bool has_setup;
	enum rg_sdp_setup setup;
	bool end_of_candidates;
};

enum where { AT_SESSION, IN_DATA, IN_OTHER };

struct parser {
	struct rg_sdp *out;
	enum where where;
	bool seen_o, seen_data, has_mid;
	struct level session, data;
	size_t cap; /* of out->candidates */
	const char *reason;
};

/* Set p's reason and return err (for one-line failures). */
static int fail(struct parser *p, int err, const char *reason)
{
	p->reason = reason;
	return err;
}

/* Whether ch is an ice-char (RFC 8839: ALPHA / DIGIT / "+" / "/"). */
static bool is_ice_char(char ch)
{
	return g_ascii_isalnum(ch) || ch == '+' || ch == '/';
}

/* Whether s is min..max ice-chars. */
static bool ice_chars(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);

	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_ice_char(s[i]))
			return false;
	return true;
}

/* Whether s is 1..MID_MAX token chars (RFC 8866 token, as RFC 5888's mid). */
static bool mid_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > MID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(s[i]) && strchr("!#$%&'*+-.^_`{|}~", s[i]) == NULL)
			return false;
	return true;
}

/* Whether s is an address we keep as text: 1..ADDR_MAX of [A-Za-z0-9.:_%-]. */
static bool addr_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > ADDR_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(s[i]) && strchr(".:_%-", s[i]) == NULL)
			return false;
	return true;
}

/* Parse 1..20 decimal digits no larger than max into *v. */
static bool parse_uint(const char *s, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (d > 9 || x > (max - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*v = x;
	return i > 0;
}

/* Split s in place at runs of spaces into at most max tokens; -1 if more. */
static int split(char *s, char **tok, int max)
{
	int n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			*s++ = '\0';
		if (*s == '\0')
			return n;
		if (n == max)
			return -1;
		tok[n++] = s;
		while (*s != '\0' && *s != ' ' && *s != '\t')
			s++;
	}
}

/*
 * Copy src into dst[size] (checked by the caller to fit), zeroing the rest so
 * that a field overwritten by a repeated attribute compares bytewise equal.
 */
static void copy(char *dst, size_t size, const char *src)
{
	memset(dst, 0, size);
	g_strlcpy(dst, src, size);
}

/* The candidate's type, transport, tcptype and addresses are in range. */
static int candidate_check(const struct rg_sdp_candidate *c, const char **reason)
{
	static const char *const types[] = { "host", "srflx", "prflx", "relay" };
	bool type_ok = false;

	for (size_t i = 0; i < G_N_ELEMENTS(types); i++)
		type_ok |= strcmp(c->type, types[i]) == 0;
	if (!ice_chars(c->foundation, 1, FOUNDATION_MAX))
		*reason = "bad candidate foundation";
	else if (c->component < 1 || c->component > 256)
		*reason = "bad candidate component";
	else if (strcmp(c->transport, "UDP") != 0 && strcmp(c->transport, "TCP") != 0)
		*reason = "bad candidate transport";
	else if (!addr_ok(c->addr))
		*reason = "bad candidate address";
	else if (!type_ok)
		*reason = "bad candidate type";
	else if (c->raddr[0] != '\0' && !addr_ok(c->raddr))
		*reason = "bad candidate raddr";
	else if (c->tcptype[0] != '\0' && strcmp(c->tcptype, "active") != 0 &&
		 strcmp(c->tcptype, "passive") != 0 && strcmp(c->tcptype, "so") != 0)
		*reason = "bad candidate tcptype";
	else
		return CORE_OK;
	return CORE_ERR_BAD_VALUE;
}

/* Fill c's mandatory fields from the first 8 tokens. */
static int candidate_fields(char **t, struct rg_sdp_candidate *c, const char **reason)
{
	uint64_t v;

	if (strlen(t[0]) > FOUNDATION_MAX)
		return *reason = "bad candidate foundation", CORE_ERR_BAD_VALUE;
	copy(c->foundation, sizeof(c->foundation), t[0]);
	if (!parse_uint(t[1], 256, &v))
		return *reason = "bad candidate component", CORE_ERR_BAD_VALUE;
	c->component = (unsigned)v;
	if (strlen(t[2]) >= sizeof(c->transport))
		return *reason = "bad candidate transport", CORE_ERR_BAD_VALUE;
	copy(c->transport, sizeof(c->transport), t[2]);
	for (char *s = c->transport; *s != '\0'; s++)
		*s = g_ascii_toupper(*s);
	if (!parse_uint(t[3], UINT32_MAX, &v))
		return *reason = "bad candidate priority", CORE_ERR_BAD_VALUE;
	c->priority = (uint32_t)v;
	if (strlen(t[4]) > ADDR_MAX)
		return *reason = "bad candidate address", CORE_ERR_BAD_VALUE;
	copy(c->addr, sizeof(c->addr), t[4]);
	if (!parse_uint(t[5], UINT16_MAX, &v))
		return *reason = "bad candidate port", CORE_ERR_BAD_VALUE;
	c->port = (uint16_t)v;
	if (strcmp(t[6], "typ") != 0)
		return *reason = "candidate lacks \"typ\"", CORE_ERR_BAD_FORMAT;
	if (strlen(t[7]) >= sizeof(c->type))
		return *reason = "bad candidate type", CORE_ERR_BAD_VALUE;
	copy(c->type, sizeof(c->type), t[7]);
	return CORE_OK;
}

/* Fill raddr, rport and tcptype from the name/value pairs after "typ x". */
static int candidate_extensions(char **t, int n, struct rg_sdp_candidate *c, const char **reason)
{
	uint64_t v;

	if (n % 2 != 0)
		return *reason = "candidate attribute without a value", CORE_ERR_BAD_FORMAT;
	for (int i = 0; i < n; i += 2) {
		if (strcmp(t[i], "raddr") == 0) {
			if (strlen(t[i + 1]) > ADDR_MAX)
				return *reason = "bad candidate raddr", CORE_ERR_BAD_VALUE;
			copy(c->raddr, sizeof(c->raddr), t[i + 1]);
		} else if (strcmp(t[i], "rport") == 0) {
			if (!parse_uint(t[i + 1], UINT16_MAX, &v))
				return *reason = "bad candidate rport", CORE_ERR_BAD_VALUE;
			c->rport = (uint16_t)v;
		} else if (strcmp(t[i], "tcptype") == 0) {
			if (strlen(t[i + 1]) >= sizeof(c->tcptype))
				return *reason = "bad candidate tcptype", CORE_ERR_BAD_VALUE;
			copy(c->tcptype, sizeof(c->tcptype), t[i + 1]);
		} /* generation, ufrag, network-id, network-cost, ...: not ours */
	}
	return CORE_OK;
}

/* Parse the candidate in s (modified in place; prefixes already removed). */
static int candidate_parse_mut(char *s, struct rg_sdp_candidate *c, const char **reason)
{
	char *t[MAX_TOKENS];
	int n, ret;

	memset(c, 0, sizeof(*c));
	n = split(s, t, MAX_TOKENS);
	if (n < 0)
		ret = (*reason = "too many candidate fields", CORE_ERR_BAD_FORMAT);
	else if (n < 8)
		ret = (*reason = "candidate has too few fields", CORE_ERR_BAD_FORMAT);
	else if ((ret = candidate_fields(t, c, reason)) == CORE_OK &&
		 (ret = candidate_extensions(t + 8, n - 8, c, reason)) == CORE_OK)
		ret = candidate_check(c, reason);
	if (ret != CORE_OK)
		memset(c, 0, sizeof(*c));
	return ret;
}

int rg_sdp_candidate_parse(const char *line, struct rg_sdp_candidate *c, const char **reason)
{
	const char *dummy, *s = line;
	char *copy_ = NULL;
	size_t n;
	int ret;

	if (reason == NULL)
		reason = &dummy;
	*reason = "";
	memset(c, 0, sizeof(*c));
	n = strnlen(line, CANDIDATE_LINE_MAX + 1);
	if (n > CANDIDATE_LINE_MAX) {
		*reason = "candidate line too long";
		return CORE_ERR_TOO_LARGE;
	}
	if (g_str_has_prefix(s, "a="))
		s += 2;
	if (g_str_has_prefix(s, "candidate:"))
		s += strlen("candidate:");
	copy_ = g_strdup(s);
	n = strlen(copy_);
	while (n > 0 && (copy_[n - 1] == '\r' || copy_[n - 1] == '\n'))
		copy_[--n] = '\0';
	ret = candidate_parse_mut(copy_, c, reason);
	g_free(copy_);
	return ret;
}

void rg_sdp_candidate_format(const struct rg_sdp_candidate *c, char *out, size_t outlen)
{
	int n;

	if (outlen == 0)
		return;
	n = snprintf(out, outlen, "candidate:%s %u %s %" PRIu32 " %s %u typ %s", c->foundation,
		     c->component, c->transport, c->priority, c->addr, (unsigned)c->port, c->type);
	if (n >= 0 && (size_t)n < outlen && c->raddr[0] != '\0')
		n += snprintf(out + n, outlen - (size_t)n, " raddr %s", c->raddr);
	if (n >= 0 && (size_t)n < outlen && (c->raddr[0] != '\0' || c->rport != 0))
		n += snprintf(out + n, outlen - (size_t)n, " rport %u", (unsigned)c->rport);
	if (n >= 0 && (size_t)n < outlen && c->tcptype[0] != '\0')
		snprintf(out + n, outlen - (size_t)n, " tcptype %s", c->tcptype);
}

/* "sha-256 AA:BB:..." into lv (other hash functions are noted, not kept). */
static int parse_fingerprint(struct parser *p, struct level *lv, char *v)
{
	char *t[3], *hex;
	uint8_t fp[RG_SDP_FP_LEN];

	if (split(v, t, 2) != 2)
		return fail(p, CORE_ERR_BAD_FORMAT, "bad a=fingerprint syntax");
	if (g_ascii_strcasecmp(t[0], "sha-256") != 0) {
		lv->other_fp = true;
		return CORE_OK;
	}
	hex = t[1];
	if (strlen(hex) != RG_SDP_FP_LEN * 3 - 1)
		return fail(p, CORE_ERR_BAD_FORMAT, "bad fingerprint hex");
	for (size_t i = 0; i < RG_SDP_FP_LEN; i++) {
		if ((i > 0 && hex[3 * i - 1] != ':') ||
		    core_hex_decode(&fp[i], 1, hex + 3 * i, 2) != CORE_OK)
			return fail(p, CORE_ERR_BAD_FORMAT, "bad fingerprint hex");
	}
	if (!lv->has_fp) /* several sha-256 lines: the first counts */
		memcpy(lv->fp, fp, sizeof(fp));
	lv->has_fp = true;
	return CORE_OK;
}

/* actpass, active or passive into lv. */
static int parse_setup(struct parser *p, struct level *lv, const char *v)
{
	static const char *const names[] = { "actpass", "active", "passive" };

	for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
		if (strcmp(v, names[i]) == 0) {
			lv->setup = (enum rg_sdp_setup)i;
			lv->has_setup = true;
			return CORE_OK;
		}
	}
	return fail(p, CORE_ERR_BAD_VALUE, "bad a=setup");
}

/*
 * Note whether the ice-options list v holds "trickle". RFC 8839 separates
 * options by spaces; libdatachannel writes "ice2,trickle", so commas count too.
 */
static void parse_ice_options(struct level *lv, const char *v)
{
	char **t = g_strsplit_set(v, " ,", -1);

	lv->has_trickle_opts = true;
	lv->trickle = false;
	for (char **o = t; *o != NULL; o++)
		lv->trickle |= strcmp(*o, "trickle") == 0;
	g_strfreev(t);
}

/* An attribute allowed at both levels; *handled is false if it is not one. */
static int parse_level_attr(struct parser *p, struct level *lv, const char *name, char *v,
			    bool *handled)
{
	*handled = true;
	if (strcmp(name, "ice-ufrag") == 0 && v != NULL)
		lv->ufrag = v;
	else if (strcmp(name, "ice-pwd") == 0 && v != NULL)
		lv->pwd = v;
	else if (strcmp(name, "ice-options") == 0 && v != NULL)
		parse_ice_options(lv, v);
	else if (strcmp(name, "fingerprint") == 0 && v != NULL)
		return parse_fingerprint(p, lv, v);
	else if (strcmp(name, "setup") == 0 && v != NULL)
		return parse_setup(p, lv, v);
	else if (strcmp(name, "end-of-candidates") == 0)
		lv->end_of_candidates = true;
	else
		*handled = false;
	return CORE_OK;
}

/* Append one a=candidate value to out->candidates. */
static int add_candidate(struct parser *p, char *v)
{
	struct rg_sdp *out = p->out;
	int ret;

	if (out->n_candidates == RG_SDP_MAX_CANDIDATES)
		return fail(p, CORE_ERR_TOO_LARGE, "too many candidates");
	if (out->n_candidates == p->cap) {
		p->cap = p->cap == 0 ? 4 : p->cap * 2;
		out->candidates = g_renew(struct rg_sdp_candidate, out->candidates, p->cap);
	}
	ret = candidate_parse_mut(v, &out->candidates[out->n_candidates], &p->reason);
	if (ret == CORE_OK)
		out->n_candidates++;
	return ret;
}

/* A number attribute of the data section no larger than max (min 1 if !zero_ok). */
static int parse_number_attr(struct parser *p, const char *v, uint64_t max, bool zero_ok,
			     uint64_t *out, const char *reason)
{
	if (v == NULL || !parse_uint(v, max, out) || (!zero_ok && *out == 0))
		return fail(p, CORE_ERR_BAD_VALUE, reason);
	return CORE_OK;
}

/* One a= line of the data section. */
static int parse_data_attr(struct parser *p, const char *name, char *v)
{
	struct rg_sdp *out = p->out;
	uint64_t n;
	bool handled;
	int ret;

	ret = parse_level_attr(p, &p->data, name, v, &handled);
	if (handled || ret != CORE_OK)
		return ret;
	if (strcmp(name, "mid") == 0) {
		if (v == NULL || !mid_ok(v))
			return fail(p, CORE_ERR_BAD_VALUE, "bad a=mid");
		copy(out->mid, sizeof(out->mid), v);
	} else if (strcmp(name, "candidate") == 0 && v != NULL) {
		return add_candidate(p, v);
	} else if (strcmp(name, "sctp-port") == 0) {
		ret = parse_number_attr(p, v, UINT16_MAX, false, &n, "bad a=sctp-port");
		out->sctp_port = ret == CORE_OK ? (uint16_t)n : out->sctp_port;
	} else if (strcmp(name, "max-message-size") == 0) {
		ret = parse_number_attr(p, v, UINT32_MAX, true, &n, "bad a=max-message-size");
		out->max_message_size = ret == CORE_OK ? (uint32_t)n : out->max_message_size;
	}
	return ret;
}

/* An a= line: split "name:value" and hand it to the current level. */
static int parse_attr(struct parser *p, char *body)
{
	char *colon = strchr(body, ':'), *v = NULL;
	bool handled;

	if (colon != NULL) {
		*colon = '\0';
		v = colon + 1;
	}
	if (p->where == AT_SESSION)
		return parse_level_attr(p, &p->session, body, v, &handled);
	if (p->where == IN_DATA)
		return parse_data_attr(p, body, v);
	return CORE_OK;
}

/* "o=<user> <sess-id> <sess-version> IN <addrtype> <addr>". */
static int parse_origin(struct parser *p, char *body)
{
	char *t[7];

	if (p->seen_o)
		return fail(p, CORE_ERR_BAD_FORMAT, "more than one o= line");
	p->seen_o = true;
	if (split(body, t, 6) != 6 || !parse_uint(t[1], UINT64_MAX, &p->out->session_id) ||
	    !parse_uint(t[2], UINT64_MAX, &p->out->session_version))
		return fail(p, CORE_ERR_BAD_FORMAT, "bad o= line");
	return CORE_OK;
}

/* "m=<media> <port> <proto> <fmt>...": enter the data section or skip one. */
static int parse_media(struct parser *p, char *body)
{
	char *t[MAX_TOKENS];
	uint64_t port, sctp_port = RG_SDP_DEFAULT_SCTP_PORT;
	int n = split(body, t, MAX_TOKENS);
	bool data = false;

	if (n < 4)
		return fail(p, CORE_ERR_BAD_FORMAT, "bad m= line");
	if (!parse_uint(t[1], UINT16_MAX, &port))
		return fail(p, CORE_ERR_BAD_VALUE, "bad m= port");
	if (strcmp(t[0], "application") == 0 && port != 0 && n == 4) {
		if (strcmp(t[2], "UDP/DTLS/SCTP") == 0 || strcmp(t[2], "TCP/DTLS/SCTP") == 0)
			data = strcmp(t[3], "webrtc-datachannel") == 0;
		else if (strcmp(t[2], "DTLS/SCTP") == 0) /* legacy: the fmt is the SCTP port */
			data = parse_uint(t[3], UINT16_MAX, &sctp_port) && sctp_port != 0;
	}
	p->where = data ? IN_DATA : IN_OTHER;
	if (!data)
		return CORE_OK;
	if (p->seen_data)
		return fail(p, CORE_ERR_BAD_VALUE, "more than one m=application section");
	p->seen_data = true;
	p->out->sctp_port = (uint16_t)sctp_port;
	return CORE_OK;
}

/* One line (without its end); empty lines are tolerated. */
static int parse_line(struct parser *p, char *line, bool first)
{
	if (line[0] == '\0')
		return CORE_OK;
	if (!g_ascii_isalpha(line[0]) || line[1] != '=')
		return fail(p, CORE_ERR_BAD_FORMAT, "malformed line");
	if (first != (line[0] == 'v'))
		return fail(p, CORE_ERR_BAD_FORMAT, "SDP must start with v=0");
	if (first)
		return strcmp(line, "v=0") == 0
			       ? CORE_OK
			       : fail(p, CORE_ERR_BAD_VALUE, "unsupported version");
	if (line[0] == 'm')
		return parse_media(p, line + 2);
	if (line[0] == 'a')
		return parse_attr(p, line + 2);
	if (line[0] == 'o' && p->where == AT_SESSION)
		return parse_origin(p, line + 2);
	return CORE_OK;
}

/* Merge the session and data levels into out and check what is required. */
static int finish(struct parser *p)
{
	struct rg_sdp *out = p->out;
	const struct level *s = &p->session, *d = &p->data;
	const char *ufrag = d->ufrag != NULL ? d->ufrag : s->ufrag;
	const char *pwd = d->pwd != NULL ? d->pwd : s->pwd;
	const struct level *fp = d->has_fp || d->other_fp ? d : s;

	if (!p->seen_o)
		return fail(p, CORE_ERR_BAD_FORMAT, "missing o= line");
	if (!p->seen_data)
		return fail(p, CORE_ERR_BAD_VALUE, "no m=application section");
	if (ufrag == NULL)
		return fail(p, CORE_ERR_BAD_VALUE, "missing a=ice-ufrag");
	if (!ice_chars(ufrag, ICE_UFRAG_MIN, ICE_CRED_MAX))
		return fail(p, CORE_ERR_BAD_VALUE,
			    strlen(ufrag) < ICE_UFRAG_MIN || strlen(ufrag) > ICE_CRED_MAX
				    ? "bad ice-ufrag length"
				    : "bad ice-ufrag character");
	if (pwd == NULL)
		return fail(p, CORE_ERR_BAD_VALUE, "missing a=ice-pwd");
	if (!ice_chars(pwd, ICE_PWD_MIN, ICE_CRED_MAX))
		return fail(p, CORE_ERR_BAD_VALUE,
			    strlen(pwd) < ICE_PWD_MIN || strlen(pwd) > ICE_CRED_MAX
				    ? "bad ice-pwd length"
				    : "bad ice-pwd character");
	if (!fp->has_fp)
		return fail(p, CORE_ERR_BAD_VALUE,
			    fp->other_fp ? "fingerprint is not sha-256" : "missing a=fingerprint");
	copy(out->ice_ufrag, sizeof(out->ice_ufrag), ufrag);
	copy(out->ice_pwd, sizeof(out->ice_pwd), pwd);
	memcpy(out->fingerprint, fp->fp, RG_SDP_FP_LEN);
	out->ice_trickle = d->has_trickle_opts ? d->trickle : s->trickle;
	out->setup = d->has_setup ? d->setup : s->has_setup ? s->setup : RG_SDP_SETUP_ACTIVE;
	out->end_of_candidates = d->end_of_candidates || s->end_of_candidates;
	return CORE_OK;
}

/* Split the copy into lines and parse each; then merge the levels. */
static int parse_text(struct parser *p, char *text)
{
	char *line = text, *next;
	bool first = true;
	int ret = CORE_OK;

	for (; line != NULL && ret == CORE_OK; line = next) {
		size_t n;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		n = strlen(line);
		if (n > 0 && line[n - 1] == '\r')
			line[n - 1] = '\0';
		ret = parse_line(p, line, first);
		first = first && line[0] == '\0';
	}
	if (ret == CORE_OK && first)
		ret = fail(p, CORE_ERR_BAD_FORMAT, "empty SDP");
	return ret == CORE_OK ? finish(p) : ret;
}

int rg_sdp_parse(const char *text, size_t len, struct rg_sdp *out, const char **reason)
{
	struct parser p = { .out = out, .where = AT_SESSION, .reason = "" };
	char *copy_ = NULL;
	int ret;

	memset(out, 0, sizeof(*out));
	copy(out->mid, sizeof(out->mid), "0");
	out->sctp_port = RG_SDP_DEFAULT_SCTP_PORT;
	out->max_message_size = RG_SDP_DEFAULT_MAX_MESSAGE;
	if (text == NULL) {
		ret = fail(&p, CORE_ERR_INVALID_ARG, "no SDP text");
		goto out;
	}
	if (len > RG_SDP_MAX_INPUT) {
		ret = fail(&p, CORE_ERR_TOO_LARGE, "SDP larger than 64 KiB");
		goto out;
	}
	if (memchr(text, '\0', len) != NULL) {
		ret = fail(&p, CORE_ERR_BAD_FORMAT, "NUL byte in SDP");
		goto out;
	}
	copy_ = g_strndup(text, len);
	ret = parse_text(&p, copy_);
out:
	if (ret != CORE_OK)
		rg_sdp_clear(out);
	if (reason != NULL)
		*reason = ret == CORE_OK ? "" : p.reason;
	g_free(copy_);
	return ret;
}

void rg_sdp_clear(struct rg_sdp *s)
{
	if (s == NULL)
		return;
	g_free(s->candidates);
	memset(s, 0, sizeof(*s));
}

/* Whether two candidates hold the same values. */
static bool candidate_equal(const struct rg_sdp_candidate *a, const struct rg_sdp_candidate *b)
{
	return strcmp(a->foundation, b->foundation) == 0 && a->component == b->component &&
	       strcmp(a->transport, b->transport) == 0 && a->priority == b->priority &&
	       strcmp(a->addr, b->addr) == 0 && a->port == b->port &&
	       strcmp(a->type, b->type) == 0 && strcmp(a->raddr, b->raddr) == 0 &&
	       a->rport == b->rport && strcmp(a->tcptype, b->tcptype) == 0;
}

bool rg_sdp_equal(const struct rg_sdp *a, const struct rg_sdp *b)
{
	if (a->session_id != b->session_id || a->session_version != b->session_version ||
	    strcmp(a->mid, b->mid) != 0 || strcmp(a->ice_ufrag, b->ice_ufrag) != 0 ||
	    strcmp(a->ice_pwd, b->ice_pwd) != 0 || a->ice_trickle != b->ice_trickle ||
	    memcmp(a->fingerprint, b->fingerprint, RG_SDP_FP_LEN) != 0 || a->setup != b->setup ||
	    a->sctp_port != b->sctp_port || a->max_message_size != b->max_message_size ||
	    a->n_candidates != b->n_candidates || a->end_of_candidates != b->end_of_candidates)
		return false;
	for (size_t i = 0; i < a->n_candidates; i++)
		if (!candidate_equal(&a->candidates[i], &b->candidates[i]))
			return false;
	return true;
}

/* Whether every text field of s parses back as itself. */
static bool build_ok(const struct rg_sdp *s)
{
	const char *reason;

	if (!mid_ok(s->mid) || !ice_chars(s->ice_ufrag, ICE_UFRAG_MIN, ICE_CRED_MAX) ||
	    !ice_chars(s->ice_pwd, ICE_PWD_MIN, ICE_CRED_MAX) ||
	    (unsigned)s->setup > RG_SDP_SETUP_PASSIVE || s->sctp_port == 0 ||
	    s->n_candidates > RG_SDP_MAX_CANDIDATES)
		return false;
	for (size_t i = 0; i < s->n_candidates; i++)
		if (candidate_check(&s->candidates[i], &reason) != CORE_OK)
			return false;
	return true;
}

/* Uppercase colon hex of the fingerprint into out (3 * RG_SDP_FP_LEN bytes). */
static void fingerprint_hex(const uint8_t *fp, char *out)
{
	static const char digits[] = "0123456789ABCDEF";

	for (size_t i = 0; i < RG_SDP_FP_LEN; i++) {
		out[3 * i] = digits[fp[i] >> 4];
		out[3 * i + 1] = digits[fp[i] & 15];
		out[3 * i + 2] = i + 1 < RG_SDP_FP_LEN ? ':' : '\0';
	}
}

char *rg_sdp_build(const struct rg_sdp *s)
{
	static const char *const setups[] = { "actpass", "active", "passive" };
	char fp[3 * RG_SDP_FP_LEN], cand[RG_SDP_CANDIDATE_MAX];
	GString *g;

	if (!build_ok(s))
		return NULL;
	fingerprint_hex(s->fingerprint, fp);
	g = g_string_sized_new(1024);
	g_string_append_printf(g,
			       "v=0\r\no=- %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
			       " IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE %s\r\n"
			       "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
			       "c=IN IP4 0.0.0.0\r\na=mid:%s\r\na=ice-ufrag:%s\r\na=ice-pwd:%s\r\n",
			       s->session_id, s->session_version, s->mid, s->mid, s->ice_ufrag,
			       s->ice_pwd);
	if (s->ice_trickle)
		g_string_append(g, "a=ice-options:trickle\r\n");
	g_string_append_printf(g,
			       "a=fingerprint:sha-256 %s\r\na=setup:%s\r\na=sctp-port:%u\r\n"
			       "a=max-message-size:%" PRIu32 "\r\n",
			       fp, setups[s->setup], (unsigned)s->sctp_port, s->max_message_size);
	for (size_t i = 0; i < s->n_candidates; i++) {
		rg_sdp_candidate_format(&s->candidates[i], cand, sizeof(cand));
		g_string_append_printf(g, "a=%s\r\n", cand);
	}
	if (s->end_of_candidates)
		g_string_append(g, "a=end-of-candidates\r\n");
	return g_string_free(g, FALSE);
}
