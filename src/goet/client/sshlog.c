/* sshlog.c - the bootstrap ssh's -v stderr (contract in sshlog.h). */
#include "goet/client/sshlog.h"

#include <string.h>

#define SENT_PREFIX "debug1: Sending command: "

/* Lines that only -v prints (OpenSSH 9: debug1, and its VERBOSE level). */
static bool verbose_only(const char *s)
{
	static const char *const prefixes[] = {
		"debug1: ",	      "OpenSSH_",	    "Authenticated to ",
		"Transferred: sent ", "Bytes per second: ",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(prefixes); i++)
		if (g_str_has_prefix(s, prefixes[i]))
			return true;
	return false;
}

void gt_sshlog_init(struct gt_sshlog *l)
{
	l->kept = g_string_new(NULL);
	l->line = g_string_new(NULL);
	l->command_sent = false;
}

/* The line in l->line ended: keep it or not. True when it says the command left. */
static bool line_end(struct gt_sshlog *l)
{
	const char *s = l->line->str;
	bool sent = false;

	if (l->line->len > 0 && s[l->line->len - 1] == '\r')
		g_string_truncate(l->line, l->line->len - 1);
	if (!l->command_sent && g_str_has_prefix(s, SENT_PREFIX))
		sent = l->command_sent = true;
	if (!verbose_only(s) && l->kept->len + l->line->len + 1 <= GT_SSHLOG_KEEP_MAX) {
		g_string_append_len(l->kept, s, (gssize)l->line->len);
		g_string_append_c(l->kept, '\n');
	}
	g_string_truncate(l->line, 0);
	return sent;
}

bool gt_sshlog_feed(struct gt_sshlog *l, const char *p, size_t n)
{
	bool sent = false;

	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t take = nl != NULL ? (size_t)(nl - p) : n;
		size_t room = GT_SSHLOG_LINE_MAX - l->line->len;

		g_string_append_len(l->line, p, (gssize)(take < room ? take : room));
		if (nl == NULL)
			break;
		sent |= line_end(l);
		p = nl + 1;
		n -= take + 1;
	}
	return sent;
}

char *gt_sshlog_take(struct gt_sshlog *l)
{
	if (l->line->len > 0)
		line_end(l);
	g_string_free(l->line, TRUE);
	l->line = NULL;
	return g_strstrip(g_string_free(l->kept, FALSE));
}

bool gt_sshlog_base_is_openssh(const char *const *base)
{
	const char *name;

	if (base == NULL || base[0] == NULL)
		return false;
	name = strrchr(base[0], '/');
	return strcmp(name != NULL ? name + 1 : base[0], "ssh") == 0;
}
