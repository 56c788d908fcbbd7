/*
 * json-int.h - what the auth module's parsers share (jwt.c, authmsg.c):
 * hostile JSON text to a json-glib object, and typed members. Internal to
 * src/rift/auth.
 *
 * Every input is checked before json-glib sees it: UTF-8, no NUL byte,
 * nesting at most RG_AUTHJSON_MAX_DEPTH (json-glib recurses once per
 * level), no escaped NUL ("\u0000": json-glib would cut the string short
 * there). Strings are checked again after decoding (json-glib turns some
 * escapes into raw bytes). Pure. Threading: none.
 */
#pragma once

#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RG_AUTHJSON_MAX_DEPTH 6

/*
 * The root object of text (owned by *parser: g_object_unref it, also on
 * failure), or NULL when text is not a JSON object within the limits above.
 */
JsonObject *rg_authjson_object(const char *text, size_t len, JsonParser **parser);
/*
 * A string member: CORE_OK with *out (borrowed from the object),
 * CORE_ERR_NOT_FOUND (absent or null), CORE_ERR_BAD_FORMAT (another type,
 * or not UTF-8).
 */
int rg_authjson_string(JsonObject *o, const char *name, const char **out);
/* An integer member: CORE_OK, CORE_ERR_NOT_FOUND (absent or null), CORE_ERR_BAD_FORMAT. */
int rg_authjson_int(JsonObject *o, const char *name, int64_t *out);
/* A boolean member: CORE_OK, CORE_ERR_NOT_FOUND (absent or null), CORE_ERR_BAD_FORMAT. */
int rg_authjson_bool(JsonObject *o, const char *name, bool *out);
/* Generate compact JSON from a builder's root (g_free). */
char *rg_authjson_finish(JsonBuilder *b);
