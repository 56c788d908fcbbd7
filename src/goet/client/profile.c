/* profile.c - `--profile` statistics and their formats (contract in profile.h). */
#include "goet/client/profile.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

void gt_profile_add(struct gt_profile *p, const struct gt_conn_stats *s, const char *transport)
{
	struct gt_conn_stats *t = &p->total;

	p->connections++;
	p->transport = transport;
	t->bytes_sent += s->bytes_sent;
	t->bytes_recv += s->bytes_recv;
	t->pkts_sent += s->pkts_sent;
	t->pkts_recv += s->pkts_recv;
	t->pkts_lost += s->pkts_lost;
	if (!s->has_rtt)
		return;
	if (!t->has_rtt || (s->rtt_min_us > 0 && s->rtt_min_us < t->rtt_min_us))
		t->rtt_min_us = s->rtt_min_us;
	t->has_rtt = true;
	t->rtt_latest_us = s->rtt_latest_us;
	t->rtt_smoothed_us = s->rtt_smoothed_us;
	t->rtt_var_us = s->rtt_var_us;
}

void gt_profile_bytes(uint64_t n, char *out, size_t len)
{
	static const struct {
		uint64_t unit;
		const char *name;
	} units[] = { { 1ULL << 30, "GB" }, { 1ULL << 20, "MB" }, { 1ULL << 10, "KB" } };

	for (size_t i = 0; i < G_N_ELEMENTS(units); i++) {
		if (n >= units[i].unit) {
			snprintf(out, len, "%.1f%s", (double)n / (double)units[i].unit,
				 units[i].name);
			return;
		}
	}
	snprintf(out, len, "%" G_GUINT64_FORMAT "B", n);
}

void gt_profile_ms(int64_t us, char *out, size_t len)
{
	if (us == 0)
		snprintf(out, len, "0ms");
	else
		snprintf(out, len, "%.1fms", (double)us / 1000.0);
}

void gt_profile_duration(int64_t secs, char *out, size_t len)
{
	int64_t h = secs / 3600, m = secs / 60 % 60, s = secs % 60;

	if (h > 0)
		snprintf(out, len,
			 "%" G_GINT64_FORMAT "h%" G_GINT64_FORMAT "m%" G_GINT64_FORMAT "s", h, m,
			 s);
	else if (m > 0)
		snprintf(out, len, "%" G_GINT64_FORMAT "m%" G_GINT64_FORMAT "s", m, s);
	else
		snprintf(out, len, "%" G_GINT64_FORMAT "s", s);
}

void gt_profile_line(const struct gt_conn_stats *s, char *out, size_t len)
{
	char lat[32], min[32], smo[32], jit[32];

	if (!s->has_rtt) {
		snprintf(out, len,
			 "[profile] transport-level stats not available for this connection "
			 "type\r\n");
		return;
	}
	gt_profile_ms(s->rtt_latest_us, lat, sizeof(lat));
	gt_profile_ms(s->rtt_min_us, min, sizeof(min));
	gt_profile_ms(s->rtt_smoothed_us, smo, sizeof(smo));
	gt_profile_ms(s->rtt_var_us, jit, sizeof(jit));
	snprintf(out, len,
		 "[profile] rtt=%s (min=%s smooth=%s jitter=%s) loss=%" G_GUINT64_FORMAT
		 "/%" G_GUINT64_FORMAT "pkts\r\n",
		 lat, min, smo, jit, s->pkts_lost, s->pkts_sent);
}

/* A private mode that switches the alternate screen: 1 on, 0 off, -1 other. */
static int splice_alt_mode(const uint8_t *p, size_t n, size_t *len)
{
	size_t i = 3;
	unsigned mode = 0;

	/* ESC [ ? digits (h|l) */
	if (n < 5 || p[1] != '[' || p[2] != '?')
		return -1;
	while (i < n && i < 8 && g_ascii_isdigit(p[i]))
		mode = mode * 10 + (unsigned)(p[i++] - '0');
	if (i >= n || (p[i] != 'h' && p[i] != 'l'))
		return -1;
	*len = i + 1;
	if (mode != 1049 && mode != 1047 && mode != 47)
		return -1;
	return p[i] == 'h';
}

/*
 * Every byte of the session's output comes through here, --profile or not
 * (the screen mode is followed always): so from one ESC to the next with
 * memchr, and the last newline between them with memrchr.
 */
long gt_profile_splice_point(bool *alt_screen, const uint8_t *p, size_t n)
{
	long at = -1;
	size_t i = 0;

	while (i < n) {
		const uint8_t *esc = memchr(p + i, 0x1b, n - i), *nl;
		size_t end = esc != NULL ? (size_t)(esc - p) : n, len = 1;
		int alt;

		if (!*alt_screen && (nl = memrchr(p + i, '\n', end - i)) != NULL)
			at = (long)(nl - p) + 1;
		if (esc == NULL)
			break;
		if ((alt = splice_alt_mode(esc, n - end, &len)) >= 0)
			*alt_screen = alt == 1;
		i = end + len;
	}
	return at;
}

char *gt_profile_summary(const struct gt_profile *p)
{
	const struct gt_conn_stats *t = &p->total;
	char dur[64], lat[32], min[32], smo[32], jit[32], sent[32], recv[32];
	GString *s = g_string_new("[profile] === Connection Profile ===\r\n");

	gt_profile_duration((p->ended_us - p->started_us) / 1000000, dur, sizeof(dur));
	g_string_append_printf(s, "[profile] Duration: %s\r\n", dur);
	g_string_append_printf(s, "[profile] Transport: %s (%u connection%s)\r\n",
			       p->transport != NULL ? p->transport : "none", p->connections,
			       p->connections == 1 ? "" : "s");
	gt_profile_ms(t->rtt_latest_us, lat, sizeof(lat));
	gt_profile_ms(t->rtt_min_us, min, sizeof(min));
	gt_profile_ms(t->rtt_smoothed_us, smo, sizeof(smo));
	gt_profile_ms(t->rtt_var_us, jit, sizeof(jit));
	g_string_append_printf(s, "[profile] RTT: min=%s smooth=%s latest=%s jitter=%s\r\n", min,
			       smo, lat, jit);
	gt_profile_bytes(t->bytes_sent, sent, sizeof(sent));
	gt_profile_bytes(t->bytes_recv, recv, sizeof(recv));
	g_string_append_printf(s,
			       "[profile] Traffic: sent=%s/%" G_GUINT64_FORMAT
			       "pkts recv=%s/%" G_GUINT64_FORMAT "pkts lost=%" G_GUINT64_FORMAT
			       "pkts\r\n",
			       sent, t->pkts_sent, recv, t->pkts_recv, t->pkts_lost);
	return g_string_free(s, FALSE);
}

/* A JSON string literal for s. */
static void json_str(GString *o, const char *s)
{
	g_string_append_c(o, '"');
	for (; s != NULL && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			g_string_append_printf(o, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			g_string_append_printf(o, "\\u%04x", c);
		else
			g_string_append_c(o, (char)c);
	}
	g_string_append_c(o, '"');
}

char *gt_profile_json(const struct gt_profile *p, const char *timestamp, const char *commit,
		      const char *host)
{
	const struct gt_conn_stats *t = &p->total;
	GString *o = g_string_new("{\n  \"timestamp\": ");

	json_str(o, timestamp);
	g_string_append(o, ",\n  \"commit\": ");
	json_str(o, commit);
	g_string_append(o, ",\n  \"host\": ");
	json_str(o, host);
	g_string_append(o, ",\n  \"transport\": ");
	json_str(o, p->transport != NULL ? p->transport : "none");
	g_string_append_printf(o, ",\n  \"connections\": %u", p->connections);
	g_string_append_printf(o, ",\n  \"duration_s\": %.3f",
			       (double)(p->ended_us - p->started_us) / 1e6);
	g_string_append_printf(o,
			       ",\n  \"rtt\": {\n    \"min_ms\": %.3f,\n    \"smooth_ms\": %.3f,\n"
			       "    \"latest_ms\": %.3f,\n    \"jitter_ms\": %.3f\n  }",
			       (double)t->rtt_min_us / 1e3, (double)t->rtt_smoothed_us / 1e3,
			       (double)t->rtt_latest_us / 1e3, (double)t->rtt_var_us / 1e3);
	g_string_append_printf(o,
			       ",\n  \"traffic\": {\n    \"bytes_sent\": %" G_GUINT64_FORMAT
			       ",\n    \"bytes_recv\": %" G_GUINT64_FORMAT
			       ",\n    \"pkts_sent\": %" G_GUINT64_FORMAT
			       ",\n    \"pkts_recv\": %" G_GUINT64_FORMAT
			       ",\n    \"pkts_lost\": %" G_GUINT64_FORMAT "\n  }\n}\n",
			       t->bytes_sent, t->bytes_recv, t->pkts_sent, t->pkts_recv,
			       t->pkts_lost);
	return g_string_free(o, FALSE);
}
