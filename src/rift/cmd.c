/* cmd.c - command tables, suggestions and argument parsing (contract in cmd.h). */
#include "rift/cmd.h"

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "core/log.h"

/* Longest command word compared by rg_cmd_distance (bytes, without the NUL). */
#define CMD_WORD_MAX 63
/* A suggestion is at most this many edits away. */
#define CMD_SUGGEST_MAX_EDITS 2
/* Room for a word of the command line quoted in a message (longer ones end "..."). */
#define CMD_QUOTE_MAX 128

/* A word of the command line, as a message may show it (no control bytes reach the terminal). */
static const char *quote(char out[CMD_QUOTE_MAX], const char *s)
{
	return core_log_escape(out, CMD_QUOTE_MAX, s, strlen(s));
}

static bool is_help_word(const char *s)
{
	return strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0;
}

size_t rg_cmd_distance(const char *a, const char *b)
{
	size_t d[CMD_WORD_MAX + 1][CMD_WORD_MAX + 1];
	size_t n = strlen(a), m = strlen(b);

	if (n > CMD_WORD_MAX || m > CMD_WORD_MAX)
		return SIZE_MAX;
	for (size_t i = 0; i <= n; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= n; i++) {
		for (size_t j = 1; j <= m; j++) {
			size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			best = MIN(best, d[i - 1][j] + 1);
			best = MIN(best, d[i][j - 1] + 1);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
				best = MIN(best, d[i - 2][j - 2] + 1);
			d[i][j] = best;
		}
	}
	return d[n][m];
}

const char *rg_cmd_suggest(const struct rg_cmd_group *g, const char *word)
{
	const char *best = NULL;
	size_t best_d = CMD_SUGGEST_MAX_EDITS + 1;

	for (size_t i = 0; i <= g->n_cmds; i++) {
		const char *name = i < g->n_cmds ? g->cmds[i].name : "help";
		size_t d = rg_cmd_distance(word, name);

		if (d < best_d && d < strlen(word)) {
			best = name;
			best_d = d;
		}
	}
	return best;
}

void rg_cmd_group_usage(const struct rg_cmd_group *g, FILE *out)
{
	int width = 0;

	for (size_t i = 0; i < g->n_cmds; i++)
		width = MAX(width, (int)strlen(g->cmds[i].name));
	fprintf(out, "usage: %s <command> [<args>]\n\ncommands:\n", g->prog);
	for (size_t i = 0; i < g->n_cmds; i++)
		fprintf(out, "  %-*s  %s\n", width, g->cmds[i].name, g->cmds[i].description);
	fprintf(out,
		"\n'%s <command> --help' prints a command's usage; riftgate(8) has the rest.\n",
		g->prog);
}

static const struct rg_cmd *find(const struct rg_cmd_group *g, const char *name)
{
	for (size_t i = 0; i < g->n_cmds; i++)
		if (strcmp(g->cmds[i].name, name) == 0)
			return &g->cmds[i];
	return NULL;
}

/* "riftgate: 'sever' is not a riftgate command", a suggestion, a hint; returns 1. */
static int unknown(const struct rg_cmd_group *g, const char *word)
{
	const char *close = rg_cmd_suggest(g, word);
	char q[CMD_QUOTE_MAX];

	fprintf(stderr, "riftgate: '%s' is not a %s command\n", quote(q, word), g->prog);
	if (close != NULL)
		fprintf(stderr, "did you mean '%s'?\n", close);
	fprintf(stderr, "see '%s --help'\n", g->prog);
	return 1;
}

/* "help CMD [WORDS]": CMD [WORDS] --help. */
static int help_of(const struct rg_cmd_group *g, int argc, char **argv)
{
	const struct rg_cmd *c = find(g, argv[0]);
	char **v;
	int rc;

	if (c == NULL)
		return unknown(g, argv[0]);
	v = g_new0(char *, (size_t)argc + 2);
	memcpy(v, argv, (size_t)argc * sizeof(*v));
	v[argc] = (char *)"--help";
	rc = c->function(argc + 1, v);
	g_free(v);
	return rc;
}

int rg_cmd_dispatch(const struct rg_cmd_group *g, int argc, char **argv)
{
	const struct rg_cmd *c;

	if (argc < 2 || strcmp(argv[1], "help") == 0 || is_help_word(argv[1])) {
		if (argc >= 3 && strcmp(argv[1], "help") == 0)
			return help_of(g, argc - 2, argv + 2);
		rg_cmd_group_usage(g, stdout);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	c = find(g, argv[1]);
	if (c == NULL)
		return unknown(g, argv[1]);
	return c->function(argc - 1, argv + 1);
}

int rg_cmd_misuse(const struct rg_cmd_spec *spec, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", spec->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", spec->usage);
	return 1;
}

/* The option arg names ("-c", "--ifname", "--ifname=x"), or NULL. */
static const struct rg_cmd_opt *find_opt(const struct rg_cmd_spec *spec, const char *arg,
					 const char **inline_value)
{
	const char *eq = strchr(arg, '=');
	size_t len = eq != NULL && g_str_has_prefix(arg, "--") ? (size_t)(eq - arg) : strlen(arg);

	*inline_value = len < strlen(arg) ? arg + len + 1 : NULL;
	for (const struct rg_cmd_opt *o = spec->opts; o != NULL && o->name != NULL; o++) {
		if ((strlen(o->name) == len && strncmp(o->name, arg, len) == 0) ||
		    (o->alias != NULL && strlen(o->alias) == len &&
		     strncmp(o->alias, arg, len) == 0))
			return o;
	}
	return NULL;
}

/* -h or --help before any "--". */
static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (is_help_word(argv[i]))
			return true;
	return false;
}

int rg_cmd_parse(const struct rg_cmd_spec *spec, int argc, char **argv, const char **args)
{
	size_t n = 0;
	bool options = true;

	if (wants_help(argc, argv)) {
		fputs(spec->usage, stdout);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	for (size_t i = 0; i < spec->max_args; i++)
		args[i] = NULL;
	for (int i = 1; i < argc; i++) {
		const struct rg_cmd_opt *o;
		const char *inline_value;
		char q[CMD_QUOTE_MAX];

		if (options && strcmp(argv[i], "--") == 0) {
			options = false;
			continue;
		}
		if (!options || argv[i][0] != '-' || argv[i][1] == '\0') {
			if (n == spec->max_args)
				return rg_cmd_misuse(spec, "unexpected argument '%s'",
						     quote(q, argv[i]));
			args[n++] = argv[i];
			continue;
		}
		o = find_opt(spec, argv[i], &inline_value);
		if (o == NULL)
			return rg_cmd_misuse(spec, "unknown option '%s'", quote(q, argv[i]));
		if (o->value == NULL) {
			if (inline_value != NULL)
				return rg_cmd_misuse(spec, "option '%s' takes no value",
						     quote(q, argv[i]));
			*o->flag = true;
			continue;
		}
		if (inline_value == NULL && i + 1 == argc)
			return rg_cmd_misuse(spec, "option '%s' needs a value", quote(q, argv[i]));
		*o->value = inline_value != NULL ? inline_value : argv[++i];
	}
	if (n < spec->min_args)
		return rg_cmd_misuse(spec, "missing %s", spec->missing);
	return RG_CMD_RUN;
}

bool rg_cmd_duration(const char *s, int64_t *secs)
{
	static const struct {
		char unit;
		int64_t secs;
	} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 } };
	size_t n = strlen(s);
	int64_t v = 0;

	*secs = 0;
	if (n < 2 || n > 8)
		return false;
	for (size_t i = 0; i + 1 < n; i++) {
		if (!g_ascii_isdigit(s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	for (size_t i = 0; i < G_N_ELEMENTS(units); i++) {
		if (s[n - 1] != units[i].unit)
			continue;
		if (v == 0 || v * units[i].secs > 365 * 86400)
			return false;
		*secs = v * units[i].secs;
		return true;
	}
	return false;
}
