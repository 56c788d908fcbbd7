/*
 * log.h - levelled logging with a component and object prefix.
 *
 *   2026-11-24T14:03:07.123Z INFO  [session 3f2a1b9c] client connected (last_seq=0)
 *
 * Every line is written with one write(2) to the output fd (stderr unless
 * set), so lines from several processes sharing a log file never interleave.
 * The macros test the level before evaluating their arguments, so a disabled
 * TRACE costs one comparison.
 *
 * Hostile text: strings that came from a peer must go through
 * core_log_escape() before being formatted. As a second line of defence the
 * writer escapes every control or non-ASCII byte of the finished line, so a
 * newline or a terminal escape sequence in a message can never forge a log
 * line or reprogram the reader's terminal.
 *
 * Threading: configure (level, output fd) from the main thread before any
 * other thread starts; core_log_write may then be called from any thread
 * (each line is formatted on the caller's stack and written with one
 * write(2): core/worker.h jobs log from their thread). Lines longer than
 * CORE_LOG_LINE_MAX are truncated with "...".
 */
#pragma once

#include <glib.h>
#include <stddef.h>

enum core_log_level {
	CORE_LOG_ERROR = 0,
	CORE_LOG_WARN = 1,
	CORE_LOG_INFO = 2,
	CORE_LOG_DEBUG = 3,
	CORE_LOG_TRACE = 4,
};

/* Longest line written, including the prefix and the newline. */
#define CORE_LOG_LINE_MAX 2048

/* Current threshold; read by the macros. Change it with core_log_set_level. */
extern enum core_log_level core_log_threshold;

void core_log_set_level(enum core_log_level level);
enum core_log_level core_log_get_level(void);

/* Parse "error", "warn", "info", "debug" or "trace": CORE_OK or CORE_ERR_BAD_VALUE. */
int core_log_level_parse(const char *s, enum core_log_level *out);

/* Name of a level as printed ("INFO"). */
const char *core_log_level_name(enum core_log_level level);

/* Send lines to fd (not closed by the logger; -1 restores stderr). */
void core_log_set_output_fd(int fd);

/*
 * Format and write one line. comp names the module ("session", "quic"),
 * obj the object (session id, peer name) or NULL. Use the macros below.
 */
void core_log_write(enum core_log_level level, const char *comp, const char *obj, const char *fmt,
		    ...) G_GNUC_PRINTF(4, 5);

/*
 * Escape n bytes of peer-supplied data for logging: printable ASCII is kept,
 * backslash and double quote become \\ and \", every other byte \xNN. The
 * result is truncated with "..." to fit outlen (>= 4) and always
 * NUL-terminated. Returns out, so it can be used inside a log call.
 */
const char *core_log_escape(char *out, size_t outlen, const void *s, size_t n);

/* Size of a buffer for core_log_escape of a value shown in full up to 64 bytes. */
#define CORE_LOG_ESC_SHORT 260

#define core_log_at(level, comp, obj, ...)                                                         \
	do {                                                                                       \
		if ((level) <= core_log_threshold)                                                 \
			core_log_write((level), (comp), (obj), __VA_ARGS__);                       \
	} while (0)

#define core_log_error(comp, obj, ...) core_log_at(CORE_LOG_ERROR, comp, obj, __VA_ARGS__)
#define core_log_warn(comp, obj, ...)  core_log_at(CORE_LOG_WARN, comp, obj, __VA_ARGS__)
#define core_log_info(comp, obj, ...)  core_log_at(CORE_LOG_INFO, comp, obj, __VA_ARGS__)
#define core_log_debug(comp, obj, ...) core_log_at(CORE_LOG_DEBUG, comp, obj, __VA_ARGS__)
#define core_log_trace(comp, obj, ...) core_log_at(CORE_LOG_TRACE, comp, obj, __VA_ARGS__)
