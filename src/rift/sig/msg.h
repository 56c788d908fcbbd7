/*
 * msg.h - riftgate's signaling messages (the reference's section 6.2): one
 * JSON object per WebSocket text frame, discriminated by "type":
 *
 *   join           peerId publicKey [address] [routes] [metadata]   C->S
 *   peers          peers: [PeerInfo] (null accepted, as the Go hub)  S->C
 *   offer, answer  from to sdp [publicKey]                           C->S->C
 *   ice-candidate  from to candidate                                 C->S->C
 *   peer-left      peerId                                            S->C
 *
 * PeerInfo is {peerId, publicKey, [address], [routes], [metadata]}.
 * Every field is checked against a schema table (msg.c): required fields,
 * JSON types, lengths and counts, and formats (a WireGuard public key is the
 * base64 of 32 bytes, an address or route is an IPv4/IPv6 CIDR, a candidate
 * starts with "candidate:"). Fields the schema does not know are ignored, so
 * newer peers can add some. A message is at most RG_SIG_MAX_MESSAGE bytes.
 * The test vectors in tests/data/sig/ hold for every implementation.
 *
 * Pure: no I/O, no clock. Ownership: a parsed message owns its strings;
 * rg_sig_msg_clear frees them. Threading: none.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define RG_SIG_MAX_MESSAGE   (64 * 1024)
#define RG_SIG_MAX_NAME	     64	   /* peerId, from, to */
#define RG_SIG_MAX_SDP	     60000 /* leaves room for the envelope */
#define RG_SIG_MAX_CANDIDATE 1024
#define RG_SIG_MAX_ROUTES    64
#define RG_SIG_MAX_META	     32 /* metadata entries */
#define RG_SIG_MAX_META_KEY  64
#define RG_SIG_MAX_META_VAL  4096
#define RG_SIG_MAX_PEERS     1000 /* in one `peers` message */

enum rg_sig_type {
	RG_SIG_JOIN = 1,
	RG_SIG_PEERS,
	RG_SIG_OFFER,
	RG_SIG_ANSWER,
	RG_SIG_ICE_CANDIDATE,
	RG_SIG_PEER_LEFT,
};

struct rg_sig_peer {
	char *peer_id;
	char *public_key;
	char *address;	    /* NULL when absent */
	char **routes;	    /* NULL-terminated; NULL when absent */
	char **meta_keys;   /* NULL-terminated, in the order received; NULL when absent */
	char **meta_values; /* parallel to meta_keys */
};

struct rg_sig_msg {
	enum rg_sig_type type;
	struct rg_sig_peer self;   /* join */
	struct rg_sig_peer *peers; /* peers */
	size_t n_peers;
	char *from, *to;  /* offer, answer, ice-candidate */
	char *sdp;	  /* offer, answer */
	char *public_key; /* offer, answer (optional) */
	char *candidate;  /* ice-candidate */
	char *peer_id;	  /* peer-left */
	bool peers_null;  /* peers was JSON null (the Go hub's empty list) */
};

/* "join", "peers", ...; NULL for a value outside the enum. */
const char *rg_sig_type_name(enum rg_sig_type t);

/*
 * Parse and validate one message. On error returns a negative core_err
 * (CORE_ERR_TOO_LARGE, CORE_ERR_BAD_FORMAT, CORE_ERR_UNKNOWN_TYPE,
 * CORE_ERR_BAD_VALUE), writes a one-line reason to err (e.g. `join:
 * "publicKey" is required`) and leaves *m cleared.
 */
int rg_sig_parse(const char *text, size_t len, struct rg_sig_msg *m, char *err, size_t errlen);

/* Encode m as compact JSON (g_free the result); the fields the schema has, in its order. */
char *rg_sig_encode(const struct rg_sig_msg *m);

void rg_sig_msg_clear(struct rg_sig_msg *m);
/* Every field equal, peers_null too ("peers": null is not [] here, though the encoder writes []). */
bool rg_sig_msg_equal(const struct rg_sig_msg *a, const struct rg_sig_msg *b);
