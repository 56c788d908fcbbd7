/* fwdspec.c - ssh-style -L/-R specifications; see fwdspec.h. */
#include "goet/fwdspec.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"

#define FWD_FIELDS_MAX 4
#define FWD_QUOTE_MAX  80

struct fwd_field {
	const char *p;
	size_t len;
	bool bracketed;
};

/* Splits text at ':' outside brackets. Returns the number of fields, or -1. */
static int fwd_split(const char *text, struct fwd_field *f)
{
	const char *p = text;
	int n = 0;

	for (;;) {
		if (n == FWD_FIELDS_MAX)
			return -1;
		f[n] = (struct fwd_field){ p, 0, false };
		if (*p == '[') {
			const char *close = strchr(p, ']');

			if (close == NULL)
				return -1;
			f[n] = (struct fwd_field){ p + 1, (size_t)(close - p - 1), true };
			p = close + 1;
			if (*p != ':' && *p != '\0')
				return -1;
		} else {
			while (*p != ':' && *p != '\0') {
				if (*p == '[' || *p == ']')
					return -1;
				p++;
			}
			f[n].len = (size_t)(p - f[n].p);
		}
		n++;
		if (*p == '\0')
			return n;
		p++; /* the ':' */
	}
}

static bool fwd_port(const struct fwd_field *f, bool zero_ok, uint16_t *port)
{
	unsigned v = 0;

	if (f->bracketed || f->len == 0 || f->len > 5)
		return false;
	for (size_t i = 0; i < f->len; i++) {
		if (f->p[i] < '0' || f->p[i] > '9')
			return false;
		v = v * 10 + (unsigned)(f->p[i] - '0');
	}
	if (v > 65535 || (v == 0 && !zero_ok))
		return false;
	*port = (uint16_t)v;
	return true;
}

/* Name characters, or (ipv6) an IPv6 address with an optional zone. */
static bool fwd_host_chars(const char *p, size_t len, bool ipv6)
{
	if (len == 0 || len > GT_FWD_HOST_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = p[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '.' || c == '-' || (!ipv6 && c == '_') ||
			  (ipv6 && (c == ':' || c == '%'));

		if (!ok)
			return false;
	}
	return !ipv6 || memchr(p, ':', len) != NULL; /* brackets are for IPv6 */
}

bool gt_fwd_host_valid(const char *p, size_t len)
{
	return fwd_host_chars(p, len, len > 0 && memchr(p, ':', len) != NULL);
}

/* A host field, copied into out without its brackets. */
static bool fwd_host(const struct fwd_field *f, char out[GT_FWD_HOST_MAX + 1])
{
	if (!fwd_host_chars(f->p, f->len, f->bracketed))
		return false;
	memcpy(out, f->p, f->len);
	out[f->len] = '\0';
	return true;
}

static void fwd_error(enum gt_fwd_dir dir, const char *text, char *err, size_t errlen)
{
	char quoted[FWD_QUOTE_MAX + 4];
	size_t n = 0;

	for (const char *p = text; *p != '\0' && n < FWD_QUOTE_MAX; p++)
		quoted[n++] = (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p;
	if (strlen(text) > FWD_QUOTE_MAX) {
		memcpy(quoted + n, "...", 3);
		n += 3;
	}
	quoted[n] = '\0';
	snprintf(err, errlen, "Bad %s forwarding specification '%s'",
		 dir == GT_FWD_LOCAL ? "local" : "remote", quoted);
}

int gt_fwd_spec_parse(enum gt_fwd_dir dir, const char *text, struct gt_fwd_spec *spec, char *err,
		      size_t errlen)
{
	struct fwd_field f[FWD_FIELDS_MAX];
	const struct fwd_field *rest;
	int n = fwd_split(text, f);

	*spec = (struct gt_fwd_spec){ .dir = dir };
	if (n != 3 && n != 4)
		goto bad;
	rest = n == 4 ? f + 1 : f;
	if (n == 4) {
		if (!f[0].bracketed && (f[0].len == 0 || (f[0].len == 1 && f[0].p[0] == '*'))) {
			spec->bind = GT_FWD_BIND_ANY;
		} else if (!f[0].bracketed && f[0].len == 9 &&
			   memcmp(f[0].p, "localhost", 9) == 0) {
			spec->bind = GT_FWD_BIND_LOOPBACK;
		} else {
			if (!fwd_host(&f[0], spec->bind_addr))
				goto bad;
			spec->bind = GT_FWD_BIND_ADDRESS;
		}
	}
	if (!fwd_port(&rest[0], dir == GT_FWD_REMOTE, &spec->port) ||
	    !fwd_host(&rest[1], spec->host) || !fwd_port(&rest[2], false, &spec->host_port))
		goto bad;
	return CORE_OK;
bad:
	fwd_error(dir, text, err, errlen);
	*spec = (struct gt_fwd_spec){ .dir = dir };
	return CORE_ERR_BAD_FORMAT;
}

static const char *fwd_open(const char *host)
{
	return strchr(host, ':') != NULL ? "[" : "";
}

static const char *fwd_close(const char *host)
{
	return strchr(host, ':') != NULL ? "]" : "";
}

int gt_fwd_spec_format(const struct gt_fwd_spec *spec, char *out, size_t outlen)
{
	char bind[GT_FWD_HOST_MAX + 4] = "";
	int n;

	if (spec->bind == GT_FWD_BIND_ANY)
		snprintf(bind, sizeof(bind), "*:");
	else if (spec->bind == GT_FWD_BIND_ADDRESS)
		snprintf(bind, sizeof(bind), "%s%s%s:", fwd_open(spec->bind_addr), spec->bind_addr,
			 fwd_close(spec->bind_addr));
	n = snprintf(out, outlen, "%s%u:%s%s%s:%u", bind, spec->port, fwd_open(spec->host),
		     spec->host, fwd_close(spec->host), spec->host_port);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	return n;
}
