/*
 * fwdspec.h - goet's port forwarding specifications, as ssh(1) writes them:
 *
 *   -L [bind_address:]port:host:hostport   a port here, connected there
 *   -R [bind_address:]port:host:hostport   a port there, connected here
 *
 * An IPv6 address is written in square brackets ([::1]:8080:[::1]:80).
 * Without a bind address the listener binds to loopback only; an empty one
 * (":8080:host:80") or "*" binds to every address, and any other address
 * binds there: that is the only way to listen beyond loopback, for -L and
 * for -R alike (ssh's GatewayPorts, asked for explicitly). port is 1-65535
 * for -L; -R also takes 0 (the session picks one and the client prints it).
 * host is a host name (letters, digits, '-', '.', '_') or an IP address,
 * at most 255 bytes; hostport is 1-65535.
 *
 * Pure: no I/O, no name resolution. gt_fwd_spec_parse returns CORE_OK or
 * CORE_ERR_BAD_FORMAT with ssh's words in err ("Bad local forwarding
 * specification '...'"), never quoting more than 80 bytes of the input and
 * never a control character. The caller exits 2 on it.
 * Threading: pure functions.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GT_FWD_HOST_MAX 255

enum gt_fwd_dir {
	GT_FWD_LOCAL = 'L',  /* listen on the client, connect from the session */
	GT_FWD_REMOTE = 'R', /* listen on the session, connect from the client */
};

enum gt_fwd_bind {
	GT_FWD_BIND_LOOPBACK = 0, /* no bind address: 127.0.0.1 and ::1 */
	GT_FWD_BIND_ANY,	  /* "" or "*": every address */
	GT_FWD_BIND_ADDRESS,	  /* bind_addr */
};

struct gt_fwd_spec {
	enum gt_fwd_dir dir;
	enum gt_fwd_bind bind;
	char bind_addr[GT_FWD_HOST_MAX + 1]; /* GT_FWD_BIND_ADDRESS only */
	uint16_t port;			     /* 0: -R only, the session picks */
	char host[GT_FWD_HOST_MAX + 1];	     /* brackets removed */
	uint16_t host_port;
};

/* Parse one spec for direction dir. Errors: CORE_ERR_BAD_FORMAT (message in err). */
int gt_fwd_spec_parse(enum gt_fwd_dir dir, const char *text, struct gt_fwd_spec *spec, char *err,
		      size_t errlen);

/*
 * A host as it travels in FwdOpen and FwdListen (no brackets): a name, or an
 * IPv4 or IPv6 address (with a zone), by the rules above.
 */
bool gt_fwd_host_valid(const char *p, size_t len);

/*
 * Write spec back in the canonical form (IPv6 in brackets, no bind address
 * for loopback, "*" for any) into out; its length, or -1 if out is too small.
 */
int gt_fwd_spec_format(const struct gt_fwd_spec *spec, char *out, size_t outlen);
