/* qr.c - QR codes as terminal text (contract in qr.h). */
#include "rift/auth/qr.h"

#include <glib.h>
#include <qrencode.h>
#include <string.h>

uint8_t *rg_qr_modules(const char *text, unsigned *size)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	uint8_t *m;

	*size = 0;
	if (q == NULL)
		return NULL;
	*size = (unsigned)q->width;
	m = g_malloc((size_t)q->width * (size_t)q->width);
	for (size_t i = 0; i < (size_t)q->width * (size_t)q->width; i++)
		m[i] = q->data[i] & 1; /* bit 0: dark */
	QRcode_free(q);
	return m;
}

/* Light at (x, y) of the symbol with its margin (outside it: light). */
static bool light(const uint8_t *m, unsigned size, int x, int y)
{
	x -= RG_QR_MARGIN;
	y -= RG_QR_MARGIN;
	if (x < 0 || y < 0 || x >= (int)size || y >= (int)size)
		return true;
	return m[(unsigned)y * size + (unsigned)x] == 0;
}

char *rg_qr_render(const char *text)
{
	static const char *const cells[4] = { " ", "\xe2\x96\x84", "\xe2\x96\x80", "\xe2\x96\x88" };
	unsigned size;
	uint8_t *m = rg_qr_modules(text, &size);
	int full;
	GString *out;

	if (m == NULL)
		return NULL;
	full = (int)size + 2 * RG_QR_MARGIN;
	out = g_string_new(NULL);
	for (int y = 0; y < full; y += 2) {
		for (int x = 0; x < full; x++) {
			int top = light(m, size, x, y),
			    bottom = y + 1 < full && light(m, size, x, y + 1);

			g_string_append(out, cells[top * 2 + bottom]);
		}
		g_string_append_c(out, '\n');
	}
	g_free(m);
	return g_string_free(out, FALSE);
}
