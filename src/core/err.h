/*
 * err.h - the error vocabulary shared by every core and protocol module.
 *
 * Functions in src/ return 0 (CORE_OK) on success or one of the negative codes
 * below. Codes say what went wrong in terms a log reader understands; the
 * module that returns one documents exactly which codes it can return.
 * Conversion to GError happens only at GLib-facing edges (core_err_to_gerror).
 *
 * Threading: pure functions, no state.
 */
#pragma once

#include <glib.h>

enum core_err {
	CORE_OK = 0,
	CORE_ERR_INTERNAL = -1,	    /* a bug in this program, not the peer's fault */
	CORE_ERR_NOMEM = -2,	    /* allocation failed */
	CORE_ERR_INVALID_ARG = -3,  /* caller passed a value outside the contract */
	CORE_ERR_TRUNCATED = -4,    /* input ended before a complete field */
	CORE_ERR_NO_SPACE = -5,	    /* output buffer (or its maximum) is full */
	CORE_ERR_TOO_LARGE = -6,    /* declared length exceeds the protocol limit */
	CORE_ERR_UNKNOWN_TYPE = -7, /* message or record type not in the protocol */
	CORE_ERR_BAD_FORMAT = -8,   /* syntactically malformed input */
	CORE_ERR_BAD_VALUE = -9,    /* well-formed, but a value is out of range */
	CORE_ERR_AUTH = -10,	    /* authentication or integrity check failed */
	CORE_ERR_NOT_FOUND = -11,   /* requested item does not exist (or was evicted) */
	CORE_ERR_AGAIN = -12,	    /* not ready yet: more input or time needed */
	CORE_ERR_SYSTEM = -13,	    /* a system call failed; errno holds the reason */
	CORE_ERR_TLS = -14,	    /* GnuTLS reported an error */
	CORE_ERR_CONFIG = -15,	    /* configuration file missing or invalid */
	CORE_ERR_CLOSED = -16,	    /* peer or object already closed */
	CORE_ERR_TIMEOUT = -17,	    /* a deadline passed */
};

/* Human-readable text for a code; never NULL, also for unknown codes. */
const char *core_strerror(int err);

/* Quark for GErrors whose code is a core_err value. */
#define CORE_ERROR (core_error_quark())
GQuark core_error_quark(void);

/* Set *error (if error != NULL) to CORE_ERROR/err with a printf message. */
void core_err_to_gerror(GError **error, int err, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
