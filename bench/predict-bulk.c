/*
 * predict-bulk.c - the local-echo model's cost on bulk output, alone.
 *
 *   predict-bulk [KIND] [MIB] [MODE] [ROWS] [COLS]
 *
 * KIND is base64 (default: lines of 76 base64 characters, as `cat` of a
 * base64 file puts them on a terminal, CR LF), seq (`seq 1 N`) or mixed
 * (base64 lines with an SGR colour in every tenth). MIB (default 50) of it
 * go through gt_predict_output in chunks of 4 to 16 KiB (the sizes the
 * client receives), as the client does with no key typed; MODE is adaptive
 * (default), always or never; the model is ROWS x COLS (default 30 x 100,
 * bench/goet-vs-ssh.py's terminal). Prints one line: MB/s, the bytes the
 * model skipped, and how many bytes of its own the overlay added (none). Under
 * `valgrind --tool=callgrind` it gives repeatable instruction counts.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "goet/client/predict.h"

/* The output, generated once: KIND lines up to mib MiB. */
static GByteArray *bulk_make(const char *kind, size_t mib)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	GByteArray *a = g_byte_array_sized_new((guint)(mib << 20) + 128);
	uint32_t x = 12345;
	char line[128];

	for (unsigned long i = 1; a->len < mib << 20; i++) {
		int n = 0;

		if (strcmp(kind, "seq") == 0) {
			n = snprintf(line, sizeof(line), "%lu\r\n", i);
		} else {
			if (strcmp(kind, "mixed") == 0 && i % 10 == 0)
				n = snprintf(line, sizeof(line), "\033[3%lum", i % 8);
			for (int k = 0; k < 76; k++) {
				x = x * 1103515245u + 12345u;
				line[n++] = b64[(x >> 16) & 63];
			}
			if (strcmp(kind, "mixed") == 0 && i % 10 == 0)
				n += snprintf(line + n, sizeof(line) - (size_t)n, "\033[m");
			line[n++] = '\r';
			line[n++] = '\n';
		}
		g_byte_array_append(a, (const guint8 *)line, (guint)n);
	}
	return a;
}

int main(int argc, char **argv)
{
	const char *kind = argc > 1 ? argv[1] : "base64";
	size_t mib = argc > 2 ? strtoul(argv[2], NULL, 10) : 50;
	enum gt_predict_mode mode = GT_PREDICT_ADAPTIVE;
	int rows = argc > 4 ? atoi(argv[4]) : 30, cols = argc > 5 ? atoi(argv[5]) : 100;
	GByteArray *a = bulk_make(kind, mib);
	struct gt_predict *p = NULL;
	struct core_buf out;
	uint32_t sum = 0, x = 7;
	struct gt_predict_stats st;
	int64_t t0, t1;
	int rc = 1;

	if (argc > 3 && gt_predict_mode_parse(argv[3], &mode) != CORE_OK) {
		fprintf(stderr, "predict-bulk: mode %s: adaptive, always or never\n", argv[3]);
		goto out;
	}
	if (gt_predict_new(mode, rows, cols, &p) != CORE_OK) {
		fprintf(stderr, "predict-bulk: %d x %d: no model\n", rows, cols);
		goto out;
	}
	core_buf_init_growable(&out, 1 << 20);
	t0 = g_get_monotonic_time();
	for (size_t off = 0; off < a->len;) {
		size_t n;

		x = x * 1103515245u + 12345u;
		n = MIN(4096 + (x >> 8) % (12 * 1024 + 1), a->len - off);
		core_buf_reset(&out);
		if (gt_predict_output(p, 0, a->data + off, n, &out) != CORE_OK)
			goto out;
		sum += (uint32_t)(core_buf_len(&out) - n); /* the overlay's bytes */
		off += n;
	}
	/* the next key: the model catches up */
	core_buf_reset(&out);
	gt_predict_keys(p, 0, (const uint8_t *)"x", 1, &out);
	t1 = g_get_monotonic_time();
	gt_predict_get_stats(p, &st);
	printf("%s %zu MiB %dx%d: %.1f MB/s, %" G_GUINT64_FORMAT
	       " bytes skipped, overlay %u bytes\n",
	       kind, mib, rows, cols, (double)a->len / (double)(t1 - t0), st.collapsed, sum);
	core_buf_free(&out);
	rc = 0;
out:
	gt_predict_free(p);
	g_byte_array_free(a, TRUE);
	return rc;
}
