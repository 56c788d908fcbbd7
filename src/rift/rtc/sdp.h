/*
 * sdp.h - the SDP a WebRTC data channel needs, and nothing else.
 *
 * Parses offers and answers from Chromium, Firefox, libdatachannel, werift
 * and pion (RFC 8866 syntax; RFC 8841 SCTP over DTLS; RFC 8839 ICE
 * attributes; RFC 8122 fingerprint) into a flat struct, and builds the one
 * SDP we send. Exactly one usable data section is required:
 *
 *   m=application <port> UDP/DTLS/SCTP webrtc-datachannel   (also TCP/DTLS/SCTP)
 *   m=application <port> DTLS/SCTP <sctp-port>               (legacy, pre-RFC 8841)
 *
 * A section with port 0 (rejected) is not usable; audio, video and other
 * sections are skipped. ice-ufrag, ice-pwd, ice-options, fingerprint and
 * setup may sit at session level or in the data section; the section's value
 * wins. Unknown attributes and line types are ignored. Candidates are taken
 * from the data section only.
 *
 * Limits (the peer is hostile): input at most RG_SDP_MAX_INPUT bytes and no
 * NUL byte; at most RG_SDP_MAX_CANDIDATES candidates; ufrag 4..256 and pwd
 * 22..256 ice-chars (ALPHA DIGIT + /); mid 1..32 token chars; a candidate
 * address 1..63 characters of [A-Za-z0-9.:_%-] (IPv4, IPv6, mDNS name).
 *
 * Pure: no I/O, no clock. Ownership: a parsed struct owns its candidates
 * array; rg_sdp_clear frees it. Threading: none (reentrant).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RG_SDP_FP_LEN		   32	       /* sha-256 */
#define RG_SDP_MAX_INPUT	   (64 * 1024) /* bytes of SDP text we accept */
#define RG_SDP_MAX_CANDIDATES	   64	       /* in one SDP */
#define RG_SDP_CANDIDATE_MAX	   256	       /* rg_sdp_candidate_format's output, NUL included */
#define RG_SDP_DEFAULT_SCTP_PORT   5000
#define RG_SDP_DEFAULT_MAX_MESSAGE 65536 /* RFC 8841 6.1: absent means 64 KiB */

struct rg_sdp_candidate {
	char foundation[33]; /* 1..32 ice-chars */
	unsigned component;  /* 1..256 */
	char transport[8];   /* "UDP" or "TCP" (parsed case-insensitively) */
	uint32_t priority;
	char addr[64]; /* IPv4, IPv6 or mDNS host name, as text */
	uint16_t port;
	char type[8];	  /* host srflx prflx relay */
	char raddr[64];	  /* "" when absent */
	uint16_t rport;	  /* 0 when absent */
	char tcptype[10]; /* active passive so, "" when absent */
};

enum rg_sdp_setup { RG_SDP_SETUP_ACTPASS, RG_SDP_SETUP_ACTIVE, RG_SDP_SETUP_PASSIVE };

struct rg_sdp {
	uint64_t session_id, session_version; /* from o= */
	char mid[33];			      /* a=mid, default "0" */
	char ice_ufrag[257], ice_pwd[257];
	bool ice_trickle;		    /* a=ice-options: has trickle */
	uint8_t fingerprint[RG_SDP_FP_LEN]; /* a=fingerprint:sha-256 AA:BB:... */
	enum rg_sdp_setup setup;	    /* absent: active (RFC 4145 4) */
	uint16_t sctp_port;		    /* a=sctp-port, default 5000 */
	uint32_t max_message_size;	    /* a=max-message-size, default 65536; 0 = no limit */
	struct rg_sdp_candidate *candidates;
	size_t n_candidates;
	bool end_of_candidates;
};

/*
 * Parse a complete SDP of len bytes (need not be NUL-terminated; \r\n or \n
 * line ends) into *out, which is cleared first and, on failure, cleared again.
 * Returns CORE_OK; CORE_ERR_TOO_LARGE (input over RG_SDP_MAX_INPUT, more than
 * RG_SDP_MAX_CANDIDATES candidates); CORE_ERR_BAD_FORMAT (NUL byte, a line
 * that is not "x=...", malformed o=/m=/candidate/fingerprint syntax);
 * CORE_ERR_BAD_VALUE (missing or out-of-range values); CORE_ERR_INVALID_ARG
 * (text is NULL). *reason (if reason is not NULL) is set to a static string
 * naming the problem, e.g. "no m=application section", "missing a=fingerprint", "fingerprint is not
 * sha-256", "bad ice-ufrag length"; on success to "".
 */
int rg_sdp_parse(const char *text, size_t len, struct rg_sdp *out, const char **reason);

/* Free s's candidates and zero the whole struct. NULL is allowed. */
void rg_sdp_clear(struct rg_sdp *s);

/*
 * The SDP for s (g_free it), \r\n line ends: one BUNDLE group with one
 * m=application 9 UDP/DTLS/SCTP webrtc-datachannel section holding mid,
 * ICE credentials, ice-options:trickle (if set), the sha-256 fingerprint in
 * uppercase colon hex, setup, sctp-port, max-message-size, candidates and
 * end-of-candidates (if set). NULL when a field would not parse back (bad
 * mid, ufrag, pwd or candidate), so text from s never injects lines.
 */
char *rg_sdp_build(const struct rg_sdp *s);

/* Whether a and b hold the same values (candidates in order). */
bool rg_sdp_equal(const struct rg_sdp *a, const struct rg_sdp *b);

/*
 * Parse one candidate line (NUL-terminated), with or without "a=" and
 * "candidate:" prefixes (trickle ICE JSON sends "candidate:..."); a trailing
 * \r or \n is ignored. Extension attributes (generation, ufrag, network-id,
 * ...) are skipped. *c is zeroed first and on failure. Returns CORE_OK,
 * CORE_ERR_TOO_LARGE (line over RG_SDP_CANDIDATE_MAX * 4 bytes),
 * CORE_ERR_BAD_FORMAT (wrong number or shape of fields) or
 * CORE_ERR_BAD_VALUE (a field out of range: "bad candidate type", ...), with
 * *reason (if not NULL) a static string.
 */
int rg_sdp_candidate_parse(const char *line, struct rg_sdp_candidate *c, const char **reason);

/*
 * "candidate:<foundation> <component> <transport> <priority> <addr> <port> typ <type>
 * [raddr <raddr>] [rport <rport>] [tcptype <tcptype>]" (no "a=") into out,
 * truncated to outlen (>= RG_SDP_CANDIDATE_MAX never truncates a candidate
 * that rg_sdp_candidate_parse accepted).
 */
void rg_sdp_candidate_format(const struct rg_sdp_candidate *c, char *out, size_t outlen);
