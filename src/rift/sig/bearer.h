/*
 * bearer.h - the bearer-token check of `riftgate server` (RFC 6750 §2.1):
 * which device an HTTP Authorization header names.
 *
 * A token is found by its SHA-256 (one hash lookup however many tokens: the
 * time taken depends on the hash, which reveals nothing of the token), then
 * the whole token is compared in constant time.
 *
 * Pure (GLib). Ownership: the table copies the tokens (wiped when it is
 * freed) and borrows the values. Threading: none.
 */
#pragma once

struct rg_sig_bearer;

struct rg_sig_bearer *rg_sig_bearer_new(void);
void rg_sig_bearer_free(struct rg_sig_bearer *b);
/* Token (NUL-terminated, not empty) names value; a token added twice names the last value. */
void rg_sig_bearer_add(struct rg_sig_bearer *b, const char *token, const void *value);
/*
 * The value named by the token that authorization carries: "Bearer " (the
 * scheme in any case, then one space) and exactly a token added. NULL when
 * authorization is NULL, of another scheme, or carries no token added.
 */
const void *rg_sig_bearer_lookup(const struct rg_sig_bearer *b, const char *authorization);
