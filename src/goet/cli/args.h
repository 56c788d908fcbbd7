/*
 * args.h - goet's command line, parsed as the reference does (goet.md §2.1,
 * §2.5): one pass removes the global double-dash flags wherever they stand
 * (--version --local --install --tcp --profile --replay-size N|=N
 * --idle-timeout D|=D --connect-timeout D|=D --predict M|=M) and the forwarding
 * flags (-L SPEC, -LSPEC, -R SPEC, -RSPEC, as ssh) and the jump flag (-J HOPS,
 * -JHOPS: checked by gt_ssh_jump_parse, exit 2 when bad; only with an ssh
 * destination), then the first remaining word picks
 * the mode
 * (version, session, list, attach; else --local or an ssh destination).
 * Everything after a `--` is a command (`goet host -- cmd args`), never a
 * flag of goet's.
 * Mode flags accept -x v, -x=v, --x v and --x=v, like Go's flag package.
 *
 * Pure: no I/O. Errors are written into err (a message for the user) and
 * the return value is the exit code to use (1, or 2 for a bad flag).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "goet/fwdspec.h"

/* -L and -R specifications at most, in all */
#define GT_ARGS_FWD_MAX 64
#include "goet/client/predict.h"

enum gt_mode {
	GT_MODE_USAGE = 0, /* nothing to do: print usage, exit 1 */
	GT_MODE_VERSION,
	GT_MODE_SESSION,
	GT_MODE_LOCAL,
	GT_MODE_SSH,
	GT_MODE_LIST,	/* goet list [user@]host | goet list --local */
	GT_MODE_ATTACH, /* goet attach [user@]host ID | --local ID | --print-secret ID */
	GT_MODE_RELAY,	/* goet relay --to HOST:PORT (on a jump host, for -J) */
};

struct gt_args {
	enum gt_mode mode;
	bool local, install, tcp, profile, help;
	bool print_secret;	 /* attach: print "PORT KEY" for an ssh client (internal) */
	const char *attach_id;	 /* attach: the session id */
	int64_t replay_size;	 /* 0 = default */
	int64_t idle_timeout_us; /* -1 = default */
	/* client: give up before the first connection after this (0 = 30 s, -1 = never) */
	int64_t connect_timeout_us;
	/* client: --predict adaptive|always|never (default adaptive) */
	enum gt_predict_mode predict;
	const char *session_id; /* session: -f */
	int port;		/* session: -p (0 = any); local: -p (required) */
	const char *key_hex;	/* local: -k (HEX, or "-": a line on stdin) */
	const char *key_file;	/* local: --key-file (a 0600 file holding the hex) */
	const char *host;	/* local: optional host; ssh, list, attach: destination */
	/* ssh: `goet [-t] host -- word...`: the command's words (argv's, not copied) */
	char **command;
	int command_len;
	bool tty;		  /* ssh -t: the command on a terminal; session -t: likewise */
	const char *command_line; /* session: -c, the command line for $SHELL -c */
	bool port_first;	  /* session --port-first: the port before the passkey */
	/* ssh, local: -L / -R [bind:]port:host:hostport, in order (fwdspec.h) */
	struct gt_fwd_spec fwd[GT_ARGS_FWD_MAX];
	size_t n_fwd;
	const char *term; /* session --term: start the shell at once with this TERM */
	/* ssh, list, attach: -J [user@]host[:port][,...] as ssh's ProxyJump (argv's) */
	const char *jump;
	const char *relay_to; /* relay --to: HOST:PORT, the one target it forwards to */
};

/*
 * Parse argv (argv[0] is the program). Returns 0 on success, otherwise the
 * exit code, with a message in err. argv must outlive args.
 */
int gt_args_parse(int argc, char **argv, struct gt_args *args, char *err, size_t errlen);

/* Parse a duration: seconds, or a number with s, m, h or d: CORE_OK / CORE_ERR_BAD_FORMAT. */
int gt_args_duration(const char *s, int64_t *us);
