/* msg.c - signaling messages: schema table, parse, encode (contract in msg.h). */
#include "rift/sig/msg.h"

#include <json-glib/json-glib.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "core/addr.h"
#include "core/base64.h"
#include "core/err.h"
#include "core/jsonscan.h"

#define SIG_MAX_DEPTH 8 /* JSON nesting: ours needs 4; json-glib recurses per level */
#define SIG_KEY_LEN   32

enum kind {
	K_NAME,	     /* peer name: 1..RG_SIG_MAX_NAME bytes of UTF-8, no control characters */
	K_KEY,	     /* base64 of a 32-byte WireGuard public key */
	K_CIDR,	     /* "10.0.0.2/24", "fd00::/64" */
	K_CIDR_LIST, /* array of K_CIDR */
	K_META,	     /* object of string values; fills meta_keys and meta_values */
	K_SDP,	     /* non-empty string */
	K_CANDIDATE, /* "candidate:..." */
	K_PEERS,     /* array of PeerInfo, or null */
};

/* One field: where it lives, relative to the struct its table describes. */
struct field {
	const char *name;
	enum kind kind;
	bool required;
	size_t offset;
};

_Static_assert(offsetof(struct rg_sig_peer, meta_values) ==
		       offsetof(struct rg_sig_peer, meta_keys) + sizeof(char **),
	       "K_META fills meta_keys and the pointer after it");

#define PEER_FIELD(name, kind, req, member)                                                        \
	{                                                                                          \
		name, kind, req, offsetof(struct rg_sig_peer, member)                              \
	}
#define MSG_FIELD(name, kind, req, member)                                                         \
	{                                                                                          \
		name, kind, req, offsetof(struct rg_sig_msg, member)                               \
	}

static const struct field peer_fields[] = {
	PEER_FIELD("peerId", K_NAME, true, peer_id),
	PEER_FIELD("publicKey", K_KEY, true, public_key),
	PEER_FIELD("address", K_CIDR, false, address),
	PEER_FIELD("routes", K_CIDR_LIST, false, routes),
	PEER_FIELD("metadata", K_META, false, meta_keys),
	{ NULL, 0, false, 0 },
};

static const struct field peers_fields[] = {
	MSG_FIELD("peers", K_PEERS, true, peers),
	{ NULL, 0, false, 0 },
};

static const struct field sdp_fields[] = {
	MSG_FIELD("from", K_NAME, true, from),
	MSG_FIELD("to", K_NAME, true, to),
	MSG_FIELD("sdp", K_SDP, true, sdp),
	MSG_FIELD("publicKey", K_KEY, false, public_key),
	{ NULL, 0, false, 0 },
};

static const struct field candidate_fields[] = {
	MSG_FIELD("from", K_NAME, true, from),
	MSG_FIELD("to", K_NAME, true, to),
	MSG_FIELD("candidate", K_CANDIDATE, true, candidate),
	{ NULL, 0, false, 0 },
};

static const struct field left_fields[] = {
	MSG_FIELD("peerId", K_NAME, true, peer_id),
	{ NULL, 0, false, 0 },
};

/* The schema: each type's fields, and where they live in struct rg_sig_msg. */
static const struct schema {
	enum rg_sig_type type;
	const char *name;
	const struct field *fields;
	size_t base; /* offset of the struct the fields' offsets are relative to */
} schemas[] = {
	{ RG_SIG_JOIN, "join", peer_fields, offsetof(struct rg_sig_msg, self) },
	{ RG_SIG_PEERS, "peers", peers_fields, 0 },
	{ RG_SIG_OFFER, "offer", sdp_fields, 0 },
	{ RG_SIG_ANSWER, "answer", sdp_fields, 0 },
	{ RG_SIG_ICE_CANDIDATE, "ice-candidate", candidate_fields, 0 },
	{ RG_SIG_PEER_LEFT, "peer-left", left_fields, 0 },
};

static const struct schema *schema_of(enum rg_sig_type t)
{
	for (size_t i = 0; i < G_N_ELEMENTS(schemas); i++)
		if (schemas[i].type == t)
			return &schemas[i];
	return NULL;
}

const char *rg_sig_type_name(enum rg_sig_type t)
{
	const struct schema *s = schema_of(t);

	return s != NULL ? s->name : NULL;
}

static char **slot_str(void *base, const struct field *f)
{
	return (char **)((char *)base + f->offset);
}

static char ***slot_list(void *base, const struct field *f)
{
	return (char ***)((char *)base + f->offset);
}

/* ------------------------------------------------------------ checks */

/* A parse in progress: the reason goes to err (first one wins). */
struct ctx {
	char *err;
	size_t errlen;
	const char *type;
};

static int fail(struct ctx *c, int code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static int fail(struct ctx *c, int code, const char *fmt, ...)
{
	va_list ap;
	size_t n = 0;

	if (c->errlen == 0)
		return code;
	if (c->type != NULL)
		n = (size_t)g_snprintf(c->err, c->errlen, "%s: ", c->type);
	if (n < c->errlen) {
		va_start(ap, fmt);
		g_vsnprintf(c->err + n, c->errlen - n, fmt, ap);
		va_end(ap);
	}
	return code;
}

static bool is_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > RG_SIG_MAX_NAME || !g_utf8_validate(s, (gssize)n, NULL))
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static bool is_key(const char *s)
{
	uint8_t raw[SIG_KEY_LEN + 3];
	size_t n = 0;

	return strlen(s) == 44 && core_base64_decode(raw, sizeof(raw), &n, s, 44) == CORE_OK &&
	       n == SIG_KEY_LEN;
}

static bool is_cidr(const char *s)
{
	int family;
	uint8_t addr[16];
	unsigned len;

	return core_cidr_parse(s, &family, addr, &len) == CORE_OK;
}

/* A string member of o that passes kind's check; NULL (and *rc set) otherwise. */
static const char *get_string(struct ctx *c, JsonNode *n, const char *name, enum kind kind, int *rc)
{
	const char *s;
	size_t len;

	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
		*rc = fail(c, CORE_ERR_BAD_FORMAT, "\"%s\" must be a string", name);
		return NULL;
	}
	s = json_node_get_string(n);
	len = strlen(s);
	if (!g_utf8_validate(s, (gssize)len, NULL)) {
		/* json-glib decodes some escapes JSON does not have ("\2") into raw bytes */
		*rc = fail(c, CORE_ERR_BAD_FORMAT, "\"%s\" is not UTF-8 text", name);
		return NULL;
	}
	switch (kind) {
	case K_NAME:
		if (!is_name(s))
			*rc = fail(
				c, CORE_ERR_BAD_VALUE,
				"\"%s\" must be 1 to %d bytes of text without control characters",
				name, RG_SIG_MAX_NAME);
		break;
	case K_KEY:
		if (!is_key(s))
			*rc = fail(c, CORE_ERR_BAD_VALUE,
				   "\"%s\" must be a base64 WireGuard key (32 bytes)", name);
		break;
	case K_CIDR:
	case K_CIDR_LIST:
		if (!is_cidr(s))
			*rc = fail(c, CORE_ERR_BAD_VALUE, "\"%s\" has a bad CIDR \"%.64s\"", name,
				   s);
		break;
	case K_SDP:
		if (len == 0 || len > RG_SIG_MAX_SDP)
			*rc = fail(c, CORE_ERR_BAD_VALUE, "\"%s\" must be 1 to %d bytes", name,
				   RG_SIG_MAX_SDP);
		break;
	case K_CANDIDATE:
		if (len > RG_SIG_MAX_CANDIDATE || !g_str_has_prefix(s, "candidate:"))
			*rc = fail(c, CORE_ERR_BAD_VALUE,
				   "\"%s\" must start with \"candidate:\" and be at most %d bytes",
				   name, RG_SIG_MAX_CANDIDATE);
		break;
	default:
		*rc = fail(c, CORE_ERR_INTERNAL, "\"%s\": not a string field", name);
		break;
	}
	return *rc == CORE_OK ? s : NULL;
}

static int parse_fields(struct ctx *c, JsonObject *o, const struct field *fields, void *base);

static int parse_cidr_list(struct ctx *c, JsonNode *n, const struct field *f, void *base)
{
	JsonArray *a;
	guint len;
	char **out;
	int rc = CORE_OK;

	if (!JSON_NODE_HOLDS_ARRAY(n))
		return fail(c, CORE_ERR_BAD_FORMAT, "\"%s\" must be an array", f->name);
	a = json_node_get_array(n);
	len = json_array_get_length(a);
	if (len > RG_SIG_MAX_ROUTES)
		return fail(c, CORE_ERR_BAD_VALUE, "\"%s\" has more than %d entries", f->name,
			    RG_SIG_MAX_ROUTES);
	out = g_new0(char *, len + 1);
	*slot_list(base, f) = out;
	for (guint i = 0; i < len && rc == CORE_OK; i++) {
		const char *s = get_string(c, json_array_get_element(a, i), f->name, K_CIDR, &rc);

		if (s != NULL)
			out[i] = g_strdup(s);
	}
	return rc;
}

static int parse_meta(struct ctx *c, JsonNode *n, const struct field *f, void *base)
{
	JsonObject *o;
	GList *members, *l;
	char **keys, **values;
	size_t i = 0;
	int rc = CORE_OK;

	if (!JSON_NODE_HOLDS_OBJECT(n))
		return fail(c, CORE_ERR_BAD_FORMAT, "\"%s\" must be an object", f->name);
	o = json_node_get_object(n);
	if (json_object_get_size(o) > RG_SIG_MAX_META)
		return fail(c, CORE_ERR_BAD_VALUE, "\"%s\" has more than %d entries", f->name,
			    RG_SIG_MAX_META);
	keys = g_new0(char *, json_object_get_size(o) + 1);
	values = g_new0(char *, json_object_get_size(o) + 1);
	*slot_list(base, f) = keys;
	slot_list(base, f)[1] = values;
	members = json_object_get_members(o);
	for (l = members; l != NULL && rc == CORE_OK; l = l->next, i++) {
		const char *k = l->data;
		JsonNode *v = json_object_get_member(o, k);

		if (!g_utf8_validate(k, -1, NULL) ||
		    (JSON_NODE_HOLDS_VALUE(v) && json_node_get_value_type(v) == G_TYPE_STRING &&
		     !g_utf8_validate(json_node_get_string(v), -1, NULL))) {
			rc = fail(c, CORE_ERR_BAD_FORMAT, "\"%s\" is not UTF-8 text", f->name);
		} else if (strlen(k) == 0 || strlen(k) > RG_SIG_MAX_META_KEY) {
			rc = fail(c, CORE_ERR_BAD_VALUE, "\"%s\" keys must be 1 to %d bytes",
				  f->name, RG_SIG_MAX_META_KEY);
		} else if (!JSON_NODE_HOLDS_VALUE(v) ||
			   json_node_get_value_type(v) != G_TYPE_STRING) {
			rc = fail(c, CORE_ERR_BAD_FORMAT, "\"%s\" values must be strings", f->name);
		} else if (strlen(json_node_get_string(v)) > RG_SIG_MAX_META_VAL) {
			rc = fail(c, CORE_ERR_BAD_VALUE, "\"%s\" values must be at most %d bytes",
				  f->name, RG_SIG_MAX_META_VAL);
		} else {
			keys[i] = g_strdup(k);
			values[i] = g_strdup(json_node_get_string(v));
		}
	}
	g_list_free(members);
	return rc;
}

static int parse_peers(struct ctx *c, JsonNode *n, struct rg_sig_msg *m)
{
	JsonArray *a;
	guint len;
	int rc = CORE_OK;

	if (JSON_NODE_HOLDS_NULL(n)) {
		m->peers_null = true;
		return CORE_OK;
	}
	if (!JSON_NODE_HOLDS_ARRAY(n))
		return fail(c, CORE_ERR_BAD_FORMAT, "\"peers\" must be an array or null");
	a = json_node_get_array(n);
	len = json_array_get_length(a);
	if (len > RG_SIG_MAX_PEERS)
		return fail(c, CORE_ERR_BAD_VALUE, "\"peers\" has more than %d entries",
			    RG_SIG_MAX_PEERS);
	m->peers = g_new0(struct rg_sig_peer, MAX(len, 1));
	for (guint i = 0; i < len && rc == CORE_OK; i++) {
		JsonNode *e = json_array_get_element(a, i);

		m->n_peers = i + 1;
		if (!JSON_NODE_HOLDS_OBJECT(e))
			rc = fail(c, CORE_ERR_BAD_FORMAT, "\"peers\" entries must be objects");
		else
			rc = parse_fields(c, json_node_get_object(e), peer_fields, &m->peers[i]);
	}
	return rc;
}

static int parse_fields(struct ctx *c, JsonObject *o, const struct field *fields, void *base)
{
	int rc = CORE_OK;

	for (const struct field *f = fields; f->name != NULL && rc == CORE_OK; f++) {
		JsonNode *n = json_object_get_member(o, f->name);
		const char *s;

		if (n == NULL) {
			if (f->required)
				rc = fail(c, CORE_ERR_BAD_VALUE, "\"%s\" is required", f->name);
			continue;
		}
		switch (f->kind) {
		case K_CIDR_LIST:
			rc = parse_cidr_list(c, n, f, base);
			break;
		case K_META:
			rc = parse_meta(c, n, f, base);
			break;
		case K_PEERS:
			rc = parse_peers(c, n, base);
			break;
		default:
			s = get_string(c, n, f->name, f->kind, &rc);
			if (s != NULL)
				*slot_str(base, f) = g_strdup(s);
			break;
		}
	}
	return rc;
}

int rg_sig_parse(const char *text, size_t len, struct rg_sig_msg *m, char *err, size_t errlen)
{
	struct ctx c = { err, errlen, NULL };
	JsonParser *parser = NULL;
	JsonObject *o;
	JsonNode *root, *tn;
	const char *tname;
	const struct schema *s = NULL;
	GError *e = NULL;
	int rc;

	memset(m, 0, sizeof(*m));
	if (errlen > 0)
		err[0] = '\0';
	if (len > RG_SIG_MAX_MESSAGE) {
		rc = fail(&c, CORE_ERR_TOO_LARGE, "message of %zu bytes (at most %d)", len,
			  RG_SIG_MAX_MESSAGE);
		goto out;
	}
	if (memchr(text, '\0', len) != NULL || !g_utf8_validate(text, (gssize)len, NULL)) {
		rc = fail(&c, CORE_ERR_BAD_FORMAT, "message is not UTF-8 text");
		goto out;
	}
	if (core_json_depth(text, len) > SIG_MAX_DEPTH) {
		rc = fail(&c, CORE_ERR_BAD_FORMAT, "JSON nested deeper than %d", SIG_MAX_DEPTH);
		goto out;
	}
	if (core_json_escaped_nul(text, len)) {
		/* json-glib would cut the string there: "bob\u0000x" would read as "bob" */
		rc = fail(&c, CORE_ERR_BAD_FORMAT, "a \\u0000 escape in a string");
		goto out;
	}
	parser = json_parser_new_immutable();
	if (!json_parser_load_from_data(parser, text, (gssize)len, &e)) {
		rc = fail(&c, CORE_ERR_BAD_FORMAT, "malformed JSON: %s", e->message);
		goto out;
	}
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		rc = fail(&c, CORE_ERR_BAD_FORMAT, "message must be a JSON object");
		goto out;
	}
	o = json_node_get_object(root);
	tn = json_object_get_member(o, "type");
	if (tn == NULL || !JSON_NODE_HOLDS_VALUE(tn) ||
	    json_node_get_value_type(tn) != G_TYPE_STRING) {
		rc = fail(&c, CORE_ERR_BAD_FORMAT, "\"type\" must be a string");
		goto out;
	}
	tname = json_node_get_string(tn);
	for (size_t i = 0; i < G_N_ELEMENTS(schemas) && s == NULL; i++)
		if (strcmp(schemas[i].name, tname) == 0)
			s = &schemas[i];
	if (s == NULL) {
		rc = fail(&c, CORE_ERR_UNKNOWN_TYPE, "unknown message type \"%.32s\"", tname);
		goto out;
	}
	m->type = s->type;
	c.type = s->name;
	rc = parse_fields(&c, o, s->fields, (char *)m + s->base);
out:
	if (e != NULL)
		g_error_free(e);
	if (parser != NULL)
		g_object_unref(parser);
	if (rc != CORE_OK)
		rg_sig_msg_clear(m);
	return rc;
}

/* ------------------------------------------------------------ encode */

static void build_fields(JsonBuilder *b, const struct field *fields, const void *base);

static void build_peer(JsonBuilder *b, const struct rg_sig_peer *p)
{
	json_builder_begin_object(b);
	build_fields(b, peer_fields, p);
	json_builder_end_object(b);
}

static void build_fields(JsonBuilder *b, const struct field *fields, const void *base)
{
	for (const struct field *f = fields; f->name != NULL; f++) {
		void *vb = (void *)base;
		const struct rg_sig_msg *m = base;
		char **list = NULL, *s = NULL;

		if (f->kind == K_CIDR_LIST || f->kind == K_META)
			list = *slot_list(vb, f);
		else if (f->kind != K_PEERS)
			s = *slot_str(vb, f);
		switch (f->kind) {
		case K_CIDR_LIST:
			if (list == NULL)
				break;
			json_builder_set_member_name(b, f->name);
			json_builder_begin_array(b);
			for (char **p = list; *p != NULL; p++)
				json_builder_add_string_value(b, *p);
			json_builder_end_array(b);
			break;
		case K_META:
			if (list == NULL)
				break;
			json_builder_set_member_name(b, f->name);
			json_builder_begin_object(b);
			for (size_t i = 0; list[i] != NULL; i++) {
				json_builder_set_member_name(b, list[i]);
				json_builder_add_string_value(b, slot_list(vb, f)[1][i]);
			}
			json_builder_end_object(b);
			break;
		case K_PEERS:
			json_builder_set_member_name(b, f->name);
			json_builder_begin_array(b); /* always [], never null (as the Worker) */
			for (size_t i = 0; i < m->n_peers; i++)
				build_peer(b, &m->peers[i]);
			json_builder_end_array(b);
			break;
		default:
			if (s == NULL)
				break;
			json_builder_set_member_name(b, f->name);
			json_builder_add_string_value(b, s);
			break;
		}
	}
}

char *rg_sig_encode(const struct rg_sig_msg *m)
{
	const struct schema *s = schema_of(m->type);
	JsonBuilder *b;
	JsonGenerator *g;
	JsonNode *root;
	char *out;

	if (s == NULL)
		return NULL;
	b = json_builder_new();
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "type");
	json_builder_add_string_value(b, s->name);
	build_fields(b, s->fields, (const char *)m + s->base);
	json_builder_end_object(b);
	root = json_builder_get_root(b);
	g = json_generator_new();
	json_generator_set_root(g, root);
	out = json_generator_to_data(g, NULL);
	json_node_unref(root);
	g_object_unref(g);
	g_object_unref(b);
	return out;
}

/* ------------------------------------------------------------ the rest */

static void peer_clear(struct rg_sig_peer *p)
{
	g_free(p->peer_id);
	g_free(p->public_key);
	g_free(p->address);
	g_strfreev(p->routes);
	g_strfreev(p->meta_keys);
	g_strfreev(p->meta_values);
	memset(p, 0, sizeof(*p));
}

void rg_sig_msg_clear(struct rg_sig_msg *m)
{
	peer_clear(&m->self);
	for (size_t i = 0; i < m->n_peers; i++)
		peer_clear(&m->peers[i]);
	g_free(m->peers);
	g_free(m->from);
	g_free(m->to);
	g_free(m->sdp);
	g_free(m->public_key);
	g_free(m->candidate);
	g_free(m->peer_id);
	memset(m, 0, sizeof(*m));
}

static bool str_eq(const char *a, const char *b)
{
	return g_strcmp0(a, b) == 0;
}

static bool list_eq(char **a, char **b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return g_strv_equal((const char *const *)a, (const char *const *)b);
}

static bool peer_eq(const struct rg_sig_peer *a, const struct rg_sig_peer *b)
{
	return str_eq(a->peer_id, b->peer_id) && str_eq(a->public_key, b->public_key) &&
	       str_eq(a->address, b->address) && list_eq(a->routes, b->routes) &&
	       list_eq(a->meta_keys, b->meta_keys) && list_eq(a->meta_values, b->meta_values);
}

bool rg_sig_msg_equal(const struct rg_sig_msg *a, const struct rg_sig_msg *b)
{
	if (a->type != b->type || a->n_peers != b->n_peers || a->peers_null != b->peers_null ||
	    !peer_eq(&a->self, &b->self) || !str_eq(a->from, b->from) || !str_eq(a->to, b->to) ||
	    !str_eq(a->sdp, b->sdp) || !str_eq(a->public_key, b->public_key) ||
	    !str_eq(a->candidate, b->candidate) || !str_eq(a->peer_id, b->peer_id))
		return false;
	for (size_t i = 0; i < a->n_peers; i++)
		if (!peer_eq(&a->peers[i], &b->peers[i]))
			return false;
	return true;
}
