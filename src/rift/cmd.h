/*
 * cmd.h - riftgate's command line: tables of commands in the style of
 * wireguard-tools' src/wg.c ({ name, function, description }), one file per
 * command group (cmd_server.c, cmd_keys.c, cmd_wg.c, ...), and the helpers
 * every command uses to parse its arguments and answer --help the same way.
 *
 * A command is `int fn(int argc, char **argv)` with argv[0] its own name
 * ("server", "up"); it returns the process exit code. Its --help text is
 * its usage in the words of riftgate(8) (tests/integration/rift/cli.sh
 * checks that they agree): on stdout with status 0 when asked for, on
 * stderr with status 1 after a line naming the mistake.
 *
 * Messages (exact):
 *   riftgate: 'sever' is not a riftgate command        (stderr, status 1)
 *   did you mean 'server'?                             (when one is close)
 *   see 'riftgate --help'
 *   riftgate server: unknown option '--conf'           (then the usage)
 *
 * Output goes to stdout and stderr only. Threading: the main thread.
 * Ownership: tables and specs are static; nothing is allocated for the
 * caller.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One command: argv[0] is name; returns the exit code. */
struct rg_cmd {
	const char *name;
	int (*function)(int argc, char **argv);
	const char *description; /* one line, for the group's usage */
};

/* The commands under one prefix ("riftgate", "riftgate wg"). */
struct rg_cmd_group {
	const char *prog; /* "riftgate wg" */
	const struct rg_cmd *cmds;
	size_t n_cmds;
};

/*
 * Run the command named argv[1] (argv[0] is the group's own word or the
 * program). No word, "help", "--help" or "-h": the group's usage on stdout,
 * 0. "help CMD [WORDS]": runs CMD [WORDS] --help ("help wg up"). An
 * unknown word: the three lines above on stderr, 1.
 */
int rg_cmd_dispatch(const struct rg_cmd_group *g, int argc, char **argv);
/* "usage: PROG <command> [<args>]", the table, and where the rest is. */
void rg_cmd_group_usage(const struct rg_cmd_group *g, FILE *out);
/*
 * The command (or "help") closest to word, if at most 2 edits away and
 * fewer edits than word has characters ("ls" is 2 edits from "wg" but is
 * not a typo of it); NULL if none. Ties go to the earlier row.
 */
const char *rg_cmd_suggest(const struct rg_cmd_group *g, const char *word);
/*
 * Edits (insert, delete, substitute, swap two neighbours) between a and b:
 * the optimal string alignment distance. Both at most 63 bytes; longer
 * strings return SIZE_MAX.
 */
size_t rg_cmd_distance(const char *a, const char *b);

/* An option: "-c" (and a long alias "--config"), with a value or a flag. */
struct rg_cmd_opt {
	const char *name, *alias; /* alias may be NULL */
	const char **value;	  /* receives the value (argv's string); NULL: a flag */
	bool *flag;		  /* set when present (flags only) */
};

/* How a command is called. */
struct rg_cmd_spec {
	const char *prog;	       /* "riftgate server" */
	const char *usage;	       /* the --help text, "usage: ..." first */
	const struct rg_cmd_opt *opts; /* ends with a { NULL } row; NULL: none */
	size_t min_args, max_args;     /* positional arguments */
	const char *missing;	       /* what fewer than min_args lacks: "<config>" */
};

/* rg_cmd_parse's "go on": the arguments are fine. */
#define RG_CMD_RUN (-1)

/*
 * Parse argv[1..] against spec: options (also "--long=value"), then up to
 * max_args positional arguments into args[] (room for max_args; NULL past
 * the last; args may be NULL when max_args is 0; "--" ends the options).
 * Option values and args point into argv. -h or --help anywhere: the usage on stdout, returns 0. A
 * mistake: "PROG: <what>" and the usage on stderr, returns 1. Otherwise
 * RG_CMD_RUN.
 */
int rg_cmd_parse(const struct rg_cmd_spec *spec, int argc, char **argv, const char **args);
/*
 * A duration: a positive integer and a unit, s, m, h or d ("10m", "24h"),
 * at most 365 days. true with *secs; false for anything else.
 */
bool rg_cmd_duration(const char *s, int64_t *secs);
/* "PROG: <message>" and the usage on stderr; returns 1. */
int rg_cmd_misuse(const struct rg_cmd_spec *spec, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* The commands (one file per group). */
int rg_cmd_server(int argc, char **argv);  /* cmd_server.c */
int rg_cmd_genkey(int argc, char **argv);  /* cmd_keys.c */
int rg_cmd_pubkey(int argc, char **argv);  /* cmd_keys.c */
int rg_cmd_version(int argc, char **argv); /* cmd_version.c */
int rg_cmd_wg(int argc, char **argv);	   /* cmd_wg.c: wg up, wg show */
int rg_cmd_up(int argc, char **argv);	   /* cmd_agent.c: the agent */
int rg_cmd_down(int argc, char **argv);	   /* cmd_agent.c */
int rg_cmd_status(int argc, char **argv);  /* cmd_agent.c */
int rg_cmd_setup(int argc, char **argv);   /* cmd_account.c: register this device */
int rg_cmd_devices(int argc, char **argv); /* cmd_account.c: list and revoke */
int rg_cmd_qr(int argc, char **argv);	   /* cmd_account.c */
int rg_cmd_refresh(int argc, char **argv); /* cmd_account.c */
