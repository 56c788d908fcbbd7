/*
 * profile.h - `goet --profile`: transport statistics of the client's
 * connections, formatted as the reference does (goet.md §2.11).
 *
 *   every 5 s:  [profile] rtt=1.2ms (min=0.9ms smooth=1.1ms jitter=0.3ms) loss=0/41pkts
 *   at exit:    [profile] === Connection Profile ===  ... and a JSON file
 *               $TMPDIR/goet-profile-YYYYMMDD-HHMMSS.json (/tmp without
 *               $TMPDIR, as the reference) with timestamp, commit,
 *               host, duration_s, rtt{min_ms,smooth_ms,latest_ms,jitter_ms},
 *               traffic{bytes_sent,bytes_recv,pkts_sent,pkts_recv,pkts_lost}
 *               (and transport, connections: ours).
 *
 * Differences from the reference: one summary for the whole run (traffic
 * summed over every connection, RTT minimum over all, the rest from the last
 * one) instead of one per connection; lines end in "\r\n" (the terminal is
 * raw); on a terminal a periodic line waits for the end of a line of output
 * (gt_profile_splice_point) instead of cutting into the shell's line; the
 * minimum RTT is the minimum of every reading, so the summary's is never above
 * one printed earlier; the JSON file is 0600; TCP connections have statistics
 * too (the kernel's TCP_INFO, tcpi_min_rtt for the minimum).
 *
 * Pure: no I/O, no clock (times are passed in). Threading: none.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "goet/net/conn.h"

#define GT_PROFILE_INTERVAL_MS 5000 /* the reference's heartbeat tick */
#define GT_PROFILE_LINE_MAX    256

struct gt_profile {
	int64_t started_us, ended_us; /* monotonic */
	unsigned connections;
	const char *transport;	    /* "quic" or "tcp" (static) */
	struct gt_conn_stats total; /* traffic summed; rtt_min over all; the rest: the last */
};

/* Add the final statistics of one connection. */
void gt_profile_add(struct gt_profile *p, const struct gt_conn_stats *s, const char *transport);

/* "0B", "512B", "1.5KB", "1.0MB", "1.0GB" (binary units). */
void gt_profile_bytes(uint64_t n, char *out, size_t len);

/* "1.2ms", or "0ms" for 0. */
void gt_profile_ms(int64_t us, char *out, size_t len);

/* Seconds as Go prints a duration rounded to seconds: "45s", "2m34s", "1h0m5s". */
void gt_profile_duration(int64_t secs, char *out, size_t len);

/* The periodic line for one connection's current statistics (ends in "\r\n"). */
void gt_profile_line(const struct gt_conn_stats *s, char *out, size_t len);

/*
 * Where a held periodic line may join a terminal's output without landing in
 * the middle of the shell's line or a full-screen program: just after the
 * last newline of p outside the alternate screen (CSI ? 1049/1047/47 h..l,
 * tracked across calls in *alt_screen). Returns that offset, or -1.
 */
long gt_profile_splice_point(bool *alt_screen, const uint8_t *p, size_t n);

/* The summary lines, each ending in "\r\n" (allocated). */
char *gt_profile_summary(const struct gt_profile *p);

/*
 * The JSON summary (allocated, 2-space indent, trailing newline).
 * timestamp: RFC 3339 UTC; host and commit are escaped.
 */
char *gt_profile_json(const struct gt_profile *p, const char *timestamp, const char *commit,
		      const char *host);
