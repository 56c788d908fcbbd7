/* log.c - levelled logging (contract in log.h). */
#include "core/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"

enum core_log_level core_log_threshold = CORE_LOG_INFO;
static int log_fd = STDERR_FILENO;

static const char *const log_level_names[] = {
	[CORE_LOG_ERROR] = "ERROR", [CORE_LOG_WARN] = "WARN",	[CORE_LOG_INFO] = "INFO",
	[CORE_LOG_DEBUG] = "DEBUG", [CORE_LOG_TRACE] = "TRACE",
};

void core_log_set_level(enum core_log_level level)
{
	core_log_threshold = level;
}

enum core_log_level core_log_get_level(void)
{
	return core_log_threshold;
}

const char *core_log_level_name(enum core_log_level level)
{
	if ((unsigned)level >= G_N_ELEMENTS(log_level_names))
		return "?";
	return log_level_names[level];
}

int core_log_level_parse(const char *s, enum core_log_level *out)
{
	for (size_t i = 0; i < G_N_ELEMENTS(log_level_names); i++) {
		if (g_ascii_strcasecmp(s, log_level_names[i]) == 0) {
			*out = (enum core_log_level)i;
			return CORE_OK;
		}
	}
	if (g_ascii_strcasecmp(s, "warning") == 0) {
		*out = CORE_LOG_WARN;
		return CORE_OK;
	}
	return CORE_ERR_BAD_VALUE;
}

void core_log_set_output_fd(int fd)
{
	log_fd = fd < 0 ? STDERR_FILENO : fd;
}

/* Append c to out[*o] as itself or \xNN, leaving room for "...\n" + NUL. */
static void log_put_escaped(char *out, size_t cap, size_t *o, unsigned char c, bool quote)
{
	static const char digits[] = "0123456789abcdef";
	bool plain = c >= 0x20 && c < 0x7f && !(quote && (c == '\\' || c == '"'));

	if (plain) {
		if (*o + 1 < cap)
			out[(*o)++] = (char)c;
	} else if (quote && (c == '\\' || c == '"')) {
		if (*o + 2 < cap) {
			out[(*o)++] = '\\';
			out[(*o)++] = (char)c;
		}
	} else if (*o + 4 < cap) {
		out[(*o)++] = '\\';
		out[(*o)++] = 'x';
		out[(*o)++] = digits[c >> 4];
		out[(*o)++] = digits[c & 15];
	}
}

const char *core_log_escape(char *out, size_t outlen, const void *s, size_t n)
{
	const unsigned char *p = s;
	size_t o = 0, room;

	if (outlen < 4) {
		if (outlen > 0)
			out[0] = '\0';
		return out;
	}
	room = outlen - 3; /* keep space for "..." */
	for (size_t i = 0; i < n; i++) {
		size_t before = o;

		log_put_escaped(out, room, &o, p[i], true);
		if (o == before) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
	}
	out[o] = '\0';
	return out;
}

/* Write the whole buffer, retrying on EINTR and short writes. */
static void log_write_all(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(log_fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* nowhere left to report a logging failure */
		p += w;
		n -= (size_t)w;
	}
}

void core_log_write(enum core_log_level level, const char *comp, const char *obj, const char *fmt,
		    ...)
{
	char msg[CORE_LOG_LINE_MAX], line[CORE_LOG_LINE_MAX];
	struct timeval tv;
	struct tm tm;
	size_t o;
	va_list ap;
	int saved_errno = errno;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	o = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	o += (size_t)snprintf(line + o, sizeof(line) - o, ".%03ldZ %-5s ", (long)tv.tv_usec / 1000,
			      core_log_level_name(level));
	if (comp != NULL) {
		o += (size_t)snprintf(line + o, sizeof(line) - o, "[%s%s%s] ", comp,
				      obj != NULL ? " " : "", obj != NULL ? obj : "");
		if (o >= sizeof(line))
			o = sizeof(line) - 1;
	}

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	/* escape the message into the line, keeping room for "...\n" */
	for (const char *p = msg; *p != '\0'; p++) {
		size_t before = o;

		log_put_escaped(line, sizeof(line) - 4, &o, (unsigned char)*p, false);
		if (o == before) {
			memcpy(line + o, "...", 3);
			o += 3;
			break;
		}
	}
	line[o++] = '\n';
	log_write_all(line, o);
	errno = saved_errno;
}
