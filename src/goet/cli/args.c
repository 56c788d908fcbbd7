/* args.c - goet's command line (contract in args.h). */
#include "goet/cli/args.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "goet/client/ssh.h"

int gt_args_duration(const char *s, int64_t *us)
{
	static const struct {
		char unit;
		int64_t us;
	} units[] = {
		{ 's', 1000000 }, { 'm', 60000000 }, { 'h', 3600000000 }, { 'd', 86400000000 }
	};
	char *end = NULL;
	guint64 n;

	if (s == NULL || !g_ascii_isdigit(s[0]))
		return CORE_ERR_BAD_FORMAT;
	n = g_ascii_strtoull(s, &end, 10);
	if (n > 365 * 24 * 3600ULL)
		return CORE_ERR_BAD_FORMAT;
	if (*end == '\0') {
		*us = (int64_t)n * 1000000;
		return CORE_OK;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(units); i++) {
		if (end[0] == units[i].unit && end[1] == '\0') {
			*us = (int64_t)n * units[i].us;
			return CORE_OK;
		}
	}
	return CORE_ERR_BAD_FORMAT;
}

/* Is tok the flag name (with one or two dashes), optionally "=value"? */
static const char *flag_match(const char *tok, const char *name, const char **value)
{
	size_t n = strlen(name);

	*value = NULL;
	if (tok[0] != '-')
		return NULL;
	tok += tok[1] == '-' ? 2 : 1;
	if (strncmp(tok, name, n) != 0)
		return NULL;
	if (tok[n] == '=')
		*value = tok + n + 1;
	else if (tok[n] != '\0')
		return NULL;
	return tok;
}

/* Parse an int flag value into *out; false with err on failure. */
static bool parse_int(const char *flag, const char *v, int min, int max, int *out, char *err,
		      size_t errlen)
{
	char *end = NULL;
	gint64 n = v != NULL ? g_ascii_strtoll(v, &end, 10) : 0;

	if (v == NULL || *v == '\0' || *end != '\0' || n < min || n > max) {
		snprintf(err, errlen, "invalid value \"%s\" for flag -%s", v != NULL ? v : "",
			 flag);
		return false;
	}
	*out = (int)n;
	return true;
}

/* -L / -R at argv[*i] (t): parse its spec (attached or the next word); 0 or exit 2. */
static int args_forward(int argc, char **argv, int *i, struct gt_args *a, char *err, size_t errlen)
{
	const char *t = argv[*i];
	enum gt_fwd_dir dir = t[1] == 'L' ? GT_FWD_LOCAL : GT_FWD_REMOTE;
	const char *v = t[2] != '\0' ? t + 2 : NULL;

	if (v == NULL && *i + 1 >= argc) {
		snprintf(err, errlen, "option requires an argument -- %c", t[1]);
		return 2;
	}
	if (v == NULL)
		v = argv[++*i];
	if (a->n_fwd == GT_ARGS_FWD_MAX) {
		snprintf(err, errlen, "too many forwardings (at most %d)", GT_ARGS_FWD_MAX);
		return 2;
	}
	if (gt_fwd_spec_parse(dir, v, &a->fwd[a->n_fwd], err, errlen) != CORE_OK)
		return 2;
	a->n_fwd++;
	return 0;
}

/* -J at argv[*i]: its value (attached or the next word), checked as ssh would; 0 or exit 2. */
static int args_jump(int argc, char **argv, int *i, struct gt_args *a, char *err, size_t errlen)
{
	const char *v = argv[*i][2] != '\0' ? argv[*i] + 2 : NULL;
	struct gt_ssh_hop first;

	if (v == NULL && *i + 1 >= argc) {
		snprintf(err, errlen, "option requires an argument -- J");
		return 2;
	}
	if (v == NULL)
		v = argv[++*i];
	if (gt_ssh_jump_parse(v, &first, err, errlen) != CORE_OK)
		return 2;
	gt_ssh_hop_clear(&first);
	a->jump = v;
	return 0;
}

/* First pass: take out the global double-dash flags; keep the rest in order. */
static int args_globals(int argc, char **argv, struct gt_args *a, GPtrArray *rest, char *err,
			size_t errlen)
{
	for (int i = 1; i < argc; i++) {
		const char *t = argv[i], *v = NULL;

		if (strcmp(t, "--") == 0) { /* a command follows: none of it is goet's */
			g_ptr_array_add(rest, (gpointer)t);
			a->command = argv + i + 1;
			a->command_len = argc - i - 1;
			break;
		}
		if (t[0] == '-' && (t[1] == 'L' || t[1] == 'R')) {
			int rc = args_forward(argc, argv, &i, a, err, errlen);

			if (rc != 0)
				return rc;
			continue;
		}
		if (t[0] == '-' && t[1] == 'J') {
			int rc = args_jump(argc, argv, &i, a, err, errlen);

			if (rc != 0)
				return rc;
			continue;
		}
		if (strcmp(t, "--version") == 0)
			a->mode = GT_MODE_VERSION;
		else if (strcmp(t, "--local") == 0)
			a->local = true;
		else if (strcmp(t, "--install") == 0)
			a->install = true;
		else if (strcmp(t, "--tcp") == 0)
			a->tcp = true;
		else if (strcmp(t, "--profile") == 0)
			a->profile = true;
		else if (strncmp(t, "--replay-size", 13) == 0 &&
			 (t[13] == '=' || (t[13] == '\0' && i + 1 < argc))) {
			v = t[13] == '=' ? t + 14 : argv[++i];
			/* a value that does not parse means the default, as the reference */
			a->replay_size = g_ascii_strtoll(v, NULL, 10);
		} else if (strncmp(t, "--idle-timeout", 14) == 0 &&
			   (t[14] == '=' || (t[14] == '\0' && i + 1 < argc))) {
			v = t[14] == '=' ? t + 15 : argv[++i];
			if (gt_args_duration(v, &a->idle_timeout_us) != CORE_OK) {
				snprintf(err, errlen,
					 "invalid --idle-timeout \"%s\" (seconds, or 30m, 12h, 7d)",
					 v);
				return 2;
			}
		} else if (strncmp(t, "--predict", 9) == 0 &&
			   (t[9] == '=' || (t[9] == '\0' && i + 1 < argc))) {
			v = t[9] == '=' ? t + 10 : argv[++i];
			if (gt_predict_mode_parse(v, &a->predict) != CORE_OK) {
				snprintf(err, errlen,
					 "invalid --predict \"%s\" (adaptive, always or never)", v);
				return 2;
			}
		} else if (strncmp(t, "--connect-timeout", 17) == 0 &&
			   (t[17] == '=' || (t[17] == '\0' && i + 1 < argc))) {
			v = t[17] == '=' ? t + 18 : argv[++i];
			if (gt_args_duration(v, &a->connect_timeout_us) != CORE_OK) {
				snprintf(err, errlen,
					 "invalid --connect-timeout \"%s\" (seconds, or 2m; 0 = "
					 "never give up)",
					 v);
				return 2;
			}
			if (a->connect_timeout_us == 0)
				a->connect_timeout_us = -1; /* never */
		} else {
			g_ptr_array_add(rest, (gpointer)t);
		}
	}
	return 0;
}

/* goet session -f ID [-p PORT] [-replay-size N] [--port-first] [--term T] [[-t] -c CMD] */
static int args_session(struct gt_args *a, GPtrArray *rest, guint from, char *err, size_t errlen)
{
	for (guint i = from; i < rest->len; i++) {
		const char *t = g_ptr_array_index(rest, i), *v;
		const char *next = i + 1 < rest->len ? g_ptr_array_index(rest, i + 1) : NULL;

		if (flag_match(t, "h", &v) || flag_match(t, "help", &v)) {
			a->help = true;
		} else if (flag_match(t, "f", &v)) {
			a->session_id = v != NULL ? v : next;
			i += v == NULL;
		} else if (flag_match(t, "p", &v)) {
			if (!parse_int("p", v != NULL ? v : next, 0, 65535, &a->port, err, errlen))
				return 2;
			i += v == NULL;
		} else if (flag_match(t, "c", &v)) {
			a->command_line = v != NULL ? v : next;
			i += v == NULL;
		} else if (flag_match(t, "t", &v) && v == NULL) {
			a->tty = true;
		} else if (flag_match(t, "port-first", &v) && v == NULL) {
			a->port_first = true;
		} else if (flag_match(t, "term", &v) && (v != NULL || next != NULL)) {
			a->term = v != NULL ? v : next;
			i += v == NULL;
		} else if (flag_match(t, "replay-size", &v)) {
			int n;

			if (!parse_int("replay-size", v != NULL ? v : next, 0, G_MAXINT, &n, err,
				       errlen))
				return 2;
			a->replay_size = n;
			i += v == NULL;
		} else {
			snprintf(err, errlen, "flag provided but not defined: %s", t);
			return 2;
		}
	}
	if (a->help)
		return 0;
	if (a->session_id == NULL || a->session_id[0] == '\0') {
		snprintf(err, errlen, "error: -f <session-id> is required");
		return 1;
	}
	return 0;
}

/* goet relay --to HOST:PORT (idle and first-client limits are the global flags) */
static int args_relay(struct gt_args *a, GPtrArray *rest, char *err, size_t errlen)
{
	for (guint i = 1; i < rest->len; i++) {
		const char *t = g_ptr_array_index(rest, i), *v;
		const char *next = i + 1 < rest->len ? g_ptr_array_index(rest, i + 1) : NULL;

		if (flag_match(t, "h", &v) || flag_match(t, "help", &v)) {
			a->help = true;
		} else if (flag_match(t, "to", &v) && (v != NULL || next != NULL)) {
			a->relay_to = v != NULL ? v : next;
			i += v == NULL;
		} else {
			snprintf(err, errlen, "flag provided but not defined: %s", t);
			return 2;
		}
	}
	if (!a->help && (a->relay_to == NULL || a->relay_to[0] == '\0')) {
		snprintf(err, errlen, "error: goet relay needs --to HOST:PORT");
		return 1;
	}
	return 0;
}

/* goet --local -p PORT -k HEX [host] (flags and host in any order, a fix) */
static int args_local(struct gt_args *a, GPtrArray *rest, char *err, size_t errlen)
{
	for (guint i = 0; i < rest->len; i++) {
		const char *t = g_ptr_array_index(rest, i), *v;
		const char *next = i + 1 < rest->len ? g_ptr_array_index(rest, i + 1) : NULL;

		if (flag_match(t, "p", &v)) {
			if (!parse_int("p", v != NULL ? v : next, 0, 65535, &a->port, err, errlen))
				return 2;
			i += v == NULL;
		} else if (flag_match(t, "k", &v)) {
			a->key_hex = v != NULL ? v : next;
			i += v == NULL;
		} else if (flag_match(t, "key-file", &v)) {
			a->key_file = v != NULL ? v : next;
			i += v == NULL;
		} else if (flag_match(t, "h", &v) || flag_match(t, "help", &v)) {
			a->help = true;
		} else if (t[0] == '-') {
			snprintf(err, errlen, "flag provided but not defined: %s", t);
			return 2;
		} else if (a->host == NULL) {
			a->host = t;
		} else {
			snprintf(err, errlen, "unexpected argument: %s", t);
			return 2;
		}
	}
	if (a->help)
		return 0;
	if (a->port == 0) {
		snprintf(err, errlen, "error: -p <port> is required");
		return 1;
	}
	if (a->key_hex == NULL && a->key_file == NULL) {
		snprintf(err, errlen, "error: -k <passkey-hex> is required");
		return 1;
	}
	if (a->key_hex != NULL && a->key_file != NULL) {
		snprintf(err, errlen, "error: -k and --key-file are exclusive");
		return 1;
	}
	if (a->host == NULL)
		a->host = "127.0.0.1";
	return 0;
}

/* goet list [user@]host | goet list --local */
static int args_list(struct gt_args *a, GPtrArray *rest, char *err, size_t errlen)
{
	for (guint i = 1; i < rest->len; i++) {
		const char *t = g_ptr_array_index(rest, i), *v;

		if (flag_match(t, "h", &v) || flag_match(t, "help", &v)) {
			a->help = true;
		} else if (t[0] == '-') {
			snprintf(err, errlen, "flag provided but not defined: %s", t);
			return 2;
		} else if (a->host == NULL && !a->local) {
			a->host = t;
		} else {
			snprintf(err, errlen, "unexpected argument: %s", t);
			return 2;
		}
	}
	if (!a->help && a->host == NULL && !a->local) {
		snprintf(err, errlen, "error: goet list needs [user@]host (or --local)");
		return 1;
	}
	return 0;
}

/* goet attach [user@]host ID | goet attach --local ID | goet attach --print-secret ID */
static int args_attach(struct gt_args *a, GPtrArray *rest, char *err, size_t errlen)
{
	const char *pos[2] = { NULL, NULL };
	guint npos = 0, want;

	for (guint i = 1; i < rest->len; i++) {
		const char *t = g_ptr_array_index(rest, i), *v;

		if (flag_match(t, "h", &v) || flag_match(t, "help", &v)) {
			a->help = true;
		} else if (flag_match(t, "print-secret", &v) && v == NULL) {
			a->print_secret = true;
		} else if (t[0] == '-') {
			snprintf(err, errlen, "flag provided but not defined: %s", t);
			return 2;
		} else if (npos < 2) {
			pos[npos++] = t;
		} else {
			snprintf(err, errlen, "unexpected argument: %s", t);
			return 2;
		}
	}
	if (a->help)
		return 0;
	want = a->local || a->print_secret ? 1 : 2;
	if (npos != want) {
		snprintf(err, errlen, "error: goet attach needs %s",
			 want == 1 ? "<session-id>" : "[user@]host <session-id>");
		return 1;
	}
	a->host = want == 2 ? pos[0] : NULL;
	a->attach_id = pos[want - 1];
	return 0;
}

/* goet [global flags] [user@]host: the first word that is not a flag; no other flag */
static int args_ssh(struct gt_args *a, GPtrArray *rest, char *err, size_t errlen)
{
	for (guint i = 0; i < rest->len; i++) {
		const char *t = g_ptr_array_index(rest, i);

		if (strcmp(t, "--") == 0 && a->host != NULL && a->command_len > 0)
			break; /* the command (args_globals kept it apart) */
		if (strcmp(t, "--") == 0) {
			snprintf(err, errlen,
				 "error: -- must follow the host and precede a command");
			return 2;
		}
		if (strcmp(t, "-t") == 0) {
			a->tty = true;
			continue;
		}
		if (t[0] == '-') {
			snprintf(err, errlen, "flag provided but not defined: %s", t);
			return 2;
		}
		if (a->host != NULL) {
			snprintf(err, errlen, "unexpected argument: %s", t);
			return 2;
		}
		a->mode = GT_MODE_SSH;
		a->host = t;
	}
	return a->mode == GT_MODE_SSH ? 0 : 1; /* nothing: the usage */
}

int gt_args_parse(int argc, char **argv, struct gt_args *a, char *err, size_t errlen)
{
	GPtrArray *rest = g_ptr_array_new();
	const char *prog = argc > 0 ? strrchr(argv[0], '/') : NULL;
	const char *first;
	int r;

	memset(a, 0, sizeof(*a));
	a->idle_timeout_us = -1;
	a->predict = GT_PREDICT_ADAPTIVE;
	err[0] = '\0';
	r = args_globals(argc, argv, a, rest, err, errlen);
	if (r != 0 || a->mode == GT_MODE_VERSION)
		goto out;
	first = rest->len > 0 ? g_ptr_array_index(rest, 0) : NULL;
	prog = prog != NULL ? prog + 1 : (argc > 0 ? argv[0] : "");
	if (first != NULL && strcmp(first, "version") == 0) {
		a->mode = GT_MODE_VERSION;
	} else if (first != NULL && !a->local &&
		   (strcmp(first, "--help") == 0 || strcmp(first, "-h") == 0 ||
		    strcmp(first, "-help") == 0 || strcmp(first, "help") == 0)) {
		a->help = true; /* the usage on stdout, exit 0 (the reference: stderr, 1) */
	} else if (strcmp(prog, "goet-session") == 0 ||
		   (first != NULL && strcmp(first, "session") == 0)) {
		a->mode = GT_MODE_SESSION;
		r = args_session(a, rest, strcmp(prog, "goet-session") == 0 ? 0 : 1, err, errlen);
	} else if (first != NULL && strcmp(first, "list") == 0) {
		a->mode = GT_MODE_LIST;
		r = args_list(a, rest, err, errlen);
	} else if (first != NULL && strcmp(first, "attach") == 0) {
		a->mode = GT_MODE_ATTACH;
		r = args_attach(a, rest, err, errlen);
	} else if (first != NULL && strcmp(first, "relay") == 0) {
		a->mode = GT_MODE_RELAY;
		r = args_relay(a, rest, err, errlen);
	} else if (a->local) {
		a->mode = GT_MODE_LOCAL;
		r = args_local(a, rest, err, errlen);
	} else {
		r = args_ssh(a, rest, err, errlen);
	}
	if (r == 0 && a->jump != NULL && !a->help &&
	    !(a->mode == GT_MODE_SSH || (a->mode == GT_MODE_LIST && !a->local) ||
	      (a->mode == GT_MODE_ATTACH && !a->local && !a->print_secret))) {
		snprintf(err, errlen, "error: -J needs an ssh destination ([user@]host)");
		r = 2;
	}
out:
	g_ptr_array_free(rest, TRUE);
	return r;
}
