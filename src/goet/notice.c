/* notice.c - the "connection lost" line (contract in notice.h). */
#include "goet/notice.h"

#include <glib.h>
#include <string.h>

/* DECSC, home, erase the line ... DECRC: the cursor comes back where it was. */
#define SAVE_HOME_ERASE "\0337\033[1;1H\033[2K"
#define RESTORE		"\0338"

size_t gt_notice_show(char *out, int64_t silent_us, unsigned cols)
{
	char text[160];
	int n;

	n = g_snprintf(text, sizeof(text),
		       " goet: connection lost, retrying; last contact %" G_GINT64_FORMAT
		       " s ago (~. quits) ",
		       MAX(silent_us, 0) / G_USEC_PER_SEC);
	if (cols == 0)
		cols = 80;
	/* one column short of the edge: a full line would wrap on some terminals */
	if ((unsigned)n > cols - 1)
		n = (int)cols - 1;
	return (size_t)g_snprintf(out, GT_NOTICE_MAX, "%s\033[7m%.*s\033[0m%s", SAVE_HOME_ERASE,
				  MAX(n, 0), text, RESTORE);
}

size_t gt_notice_clear(char *out)
{
	strcpy(out, SAVE_HOME_ERASE RESTORE);
	return strlen(out);
}
