/* json.c - hostile JSON for the auth parsers (contract in json-int.h). */
#include "rift/auth/json-int.h"

#include <string.h>

#include "core/err.h"
#include "core/jsonscan.h"

JsonObject *rg_authjson_object(const char *text, size_t len, JsonParser **parser)
{
	JsonNode *root;

	*parser = NULL;
	if (memchr(text, '\0', len) != NULL || !g_utf8_validate(text, (gssize)len, NULL) ||
	    core_json_depth(text, len) > RG_AUTHJSON_MAX_DEPTH || core_json_escaped_nul(text, len))
		return NULL;
	*parser = json_parser_new_immutable();
	if (!json_parser_load_from_data(*parser, text, (gssize)len, NULL))
		return NULL;
	root = json_parser_get_root(*parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
		return NULL;
	return json_node_get_object(root);
}

/* The member, or NULL when absent or null. */
static JsonNode *member(JsonObject *o, const char *name)
{
	JsonNode *n = json_object_get_member(o, name);

	return n == NULL || JSON_NODE_HOLDS_NULL(n) ? NULL : n;
}

int rg_authjson_string(JsonObject *o, const char *name, const char **out)
{
	JsonNode *n = member(o, name);
	const char *s;

	*out = NULL;
	if (n == NULL)
		return CORE_ERR_NOT_FOUND;
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING)
		return CORE_ERR_BAD_FORMAT;
	s = json_node_get_string(n);
	if (s == NULL || !g_utf8_validate(s, -1, NULL))
		return CORE_ERR_BAD_FORMAT;
	*out = s;
	return CORE_OK;
}

int rg_authjson_int(JsonObject *o, const char *name, int64_t *out)
{
	JsonNode *n = member(o, name);

	*out = 0;
	if (n == NULL)
		return CORE_ERR_NOT_FOUND;
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
		return CORE_ERR_BAD_FORMAT;
	*out = json_node_get_int(n);
	return CORE_OK;
}

int rg_authjson_bool(JsonObject *o, const char *name, bool *out)
{
	JsonNode *n = member(o, name);

	*out = false;
	if (n == NULL)
		return CORE_ERR_NOT_FOUND;
	if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_BOOLEAN)
		return CORE_ERR_BAD_FORMAT;
	*out = json_node_get_boolean(n);
	return CORE_OK;
}

char *rg_authjson_finish(JsonBuilder *b)
{
	JsonNode *root = json_builder_get_root(b);
	char *text = json_to_string(root, FALSE);

	json_node_unref(root);
	return text;
}
