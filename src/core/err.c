/* err.c - text for the core error vocabulary (see err.h). */
#include "core/err.h"

#include <stdarg.h>

static const char *const core_err_text[] = {
	[0] = "success",
	[-CORE_ERR_INTERNAL] = "internal error",
	[-CORE_ERR_NOMEM] = "out of memory",
	[-CORE_ERR_INVALID_ARG] = "invalid argument",
	[-CORE_ERR_TRUNCATED] = "truncated input",
	[-CORE_ERR_NO_SPACE] = "no space left in buffer",
	[-CORE_ERR_TOO_LARGE] = "length exceeds limit",
	[-CORE_ERR_UNKNOWN_TYPE] = "unknown message type",
	[-CORE_ERR_BAD_FORMAT] = "malformed input",
	[-CORE_ERR_BAD_VALUE] = "value out of range",
	[-CORE_ERR_AUTH] = "authentication failed",
	[-CORE_ERR_NOT_FOUND] = "not found",
	[-CORE_ERR_AGAIN] = "try again",
	[-CORE_ERR_SYSTEM] = "system call failed",
	[-CORE_ERR_TLS] = "TLS error",
	[-CORE_ERR_CONFIG] = "configuration error",
	[-CORE_ERR_CLOSED] = "closed",
	[-CORE_ERR_TIMEOUT] = "timed out",
};

const char *core_strerror(int err)
{
	if (err > 0 || err < -(int)G_N_ELEMENTS(core_err_text) + 1)
		return "unknown error";
	return core_err_text[-err];
}

G_DEFINE_QUARK(core - error - quark, core_error)

void core_err_to_gerror(GError **error, int err, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (error == NULL)
		return;
	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, CORE_ERROR, err, "%s: %s", msg, core_strerror(err));
	g_free(msg);
}
