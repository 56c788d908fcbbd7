/*
 * registry_main.c - this machine's side of `goet list` and `goet attach`
 * (registry.h): the listing, attaching locally, and --print-secret, which
 * an ssh client runs to learn a session's port and passkey ("PORT KEY" on
 * stdout, which is ssh's encrypted channel; refused on a terminal).
 */
#include "goet/cli/cli.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/ct.h"
#include "core/err.h"
#include "goet/session/registry.h"

/* "45s", "12m", "3h05m", "2d04h". */
static void format_age(int64_t secs, char *out, size_t len)
{
	if (secs < 0)
		secs = 0;
	if (secs < 60)
		g_snprintf(out, len, "%ds", (int)secs);
	else if (secs < 3600)
		g_snprintf(out, len, "%dm", (int)(secs / 60));
	else if (secs < 86400)
		g_snprintf(out, len, "%dh%02dm", (int)(secs / 3600), (int)(secs / 60 % 60));
	else
		g_snprintf(out, len, "%dd%02dh", (int)(secs / 86400), (int)(secs / 3600 % 24));
}

/* One listing line; the command is what runs in the foreground now. */
static void list_line(const struct gt_registry_entry *e, int64_t now)
{
	char age[32];
	char *fg = gt_registry_foreground(e->shell_pid);
	const char *cmd = fg != NULL ? fg : e->command[0] != '\0' ? e->command : "(no shell yet)";
	char *safe = g_strescape(cmd, NULL); /* control bytes must not reach the terminal */

	format_age(now - e->started, age, sizeof(age));
	printf("%-10s %-7s %-9s %s\n", e->id, age, e->attached ? "attached" : "detached", safe);
	g_free(safe);
	g_free(fg);
}

int gt_cli_list(const struct gt_args *a)
{
	GPtrArray *l;
	int64_t now = g_get_real_time() / G_USEC_PER_SEC;

	if (!a->local)
		return gt_cli_list_remote(a);
	l = gt_registry_list_all();
	if (l->len == 0) {
		printf("no goet sessions\n");
	} else {
		printf("%-10s %-7s %-9s %s\n", "ID", "AGE", "STATE", "COMMAND");
		for (guint i = 0; i < l->len; i++)
			list_line(g_ptr_array_index(l, i), now);
	}
	g_ptr_array_unref(l);
	return 0;
}

int gt_cli_attach(const struct gt_args *a)
{
	struct gt_registry_entry e;
	uint8_t key[GT_PASSKEY_LEN];
	char hex[GT_PASSKEY_HEX_LEN + 1];
	char *hint;
	int code = 1;

	if (!a->local && !a->print_secret)
		return gt_cli_attach_remote(a);
	if (a->print_secret && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "goet: --print-secret is for goet over ssh, not for a terminal\n");
		return 1;
	}
	if (!gt_registry_id_valid(a->attach_id) ||
	    gt_registry_find(a->attach_id, &e, key) != CORE_OK) {
		fprintf(stderr, "goet: no session %s on %s (goet list shows them)\n", a->attach_id,
			g_get_host_name());
		return 1;
	}
	if (a->print_secret) {
		gt_passkey_to_hex(key, hex);
		printf("%u %s\n", e.port, hex);
		fflush(stdout);
		core_wipe(hex, sizeof(hex));
		code = 0;
	} else {
		hint = g_strdup_printf("goet attach --local %s", e.id);
		code = gt_cli_client(a, "127.0.0.1", e.port, key, hint, NULL, NULL);
		g_free(hint);
	}
	core_wipe(key, sizeof(key));
	gt_registry_entry_clear(&e);
	return code;
}
