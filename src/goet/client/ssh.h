/*
 * ssh.h - the system ssh as goet's bootstrap (the reference's §2.7, §2.8).
 *
 * goet never speaks SSH itself: it runs the user's `ssh` (or the command in
 * $GOET_SSH, split as a shell would, e.g. "ssh -F ~/alt_config"), so every
 * ssh_config setting, agent and key applies. The bootstrap argument vector
 * is the reference's:
 *
 *   ssh [-l USER] -o BatchMode=yes HOST WORD...
 *
 * No -t: a PTY would mangle the passkey/port exchange; BatchMode: ssh must
 * never prompt, its stdin carries the passkey. Secrets travel only on ssh's
 * stdin and stdout, never on a command line.
 *
 * The pure helpers (destination, argument vector, version and `uname`
 * parsing) do no I/O. The process helpers block with a deadline: they run
 * before the client's main loop starts. Threading: main thread only.
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define GT_SSH_PORT_TIMEOUT_US (10 * INT64_C(1000000)) /* the reference's port wait */
#define GT_SSH_RUN_TIMEOUT_US  (30 * INT64_C(1000000)) /* a probe or a listing */
#define GT_SSH_COPY_TIMEOUT_US (60 * INT64_C(1000000)) /* uploading the binary */
#define GT_SSH_EXIT_NOT_FOUND  127		       /* the remote shell: no such command */
#define GT_SSH_EXIT_SSH_ERROR  255		       /* ssh itself failed */

/*
 * Split "[user@]host" at the last '@' into newly allocated strings (*user is
 * NULL without an '@'). CORE_OK, or CORE_ERR_BAD_FORMAT when the host is
 * empty or starts with '-' (it would be read as an ssh option).
 */
int gt_ssh_parse_dest(const char *dest, char **user, char **host);

/* One hop of a jump list (ssh's -J): [user@]host[:port]. */
struct gt_ssh_hop {
	char *user;    /* NULL: ssh's default */
	char *host;    /* a name, an IPv4 address or a bare IPv6 address */
	uint16_t port; /* 0: ssh's default */
};

/*
 * Check a -J value as ssh reads it: hops separated by commas, each
 * [user@]host[:port], [user@][v6addr]:port or ssh://[user@]host[:port].
 * Fills *first (allocated; gt_ssh_hop_clear) with the first hop: the one
 * the client reaches directly. CORE_OK; CORE_ERR_BAD_FORMAT (an empty
 * value or hop, an empty user, a host that is empty, starts with '-' or
 * holds a character other than letters, digits, '.', '-', '_', '%' or ':'
 * in brackets) or CORE_ERR_BAD_VALUE (a port that is not 1..65535), with
 * a message for the user in err; *first is cleared on failure.
 */
int gt_ssh_jump_parse(const char *spec, struct gt_ssh_hop *first, char *err, size_t errlen);

/* Free what a hop holds and zero it. */
void gt_ssh_hop_clear(struct gt_ssh_hop *h);

/*
 * The ssh command: $GOET_SSH split as a shell would, or {"ssh"}. NULL with
 * *error when $GOET_SSH does not parse. Free with g_strfreev.
 */
char **gt_ssh_base(GError **error);

/* base [-l user] -o BatchMode=yes host words... (NULL-terminated; g_strfreev). */
char **gt_ssh_argv(const char *const *base, const char *user, const char *host,
		   const char *const *words);

/*
 * Parse `goet version` output ("goet 0.1.0 (abc1234)", or the old
 * "goet abc1234") into its commit (*commit, allocated). CORE_OK or
 * CORE_ERR_BAD_FORMAT.
 */
int gt_ssh_parse_version(const char *text, char **commit);

/* Parse `uname -sm` output ("Linux x86_64"): CORE_OK or CORE_ERR_BAD_FORMAT. */
int gt_ssh_parse_uname(const char *text, char **os, char **machine);

/* The host name ssh really connects to: the "hostname" line of `ssh -G` output. */
char *gt_ssh_config_hostname(const char *ssh_g_output);

/* A running ssh: its pid and our ends of its stdin, stdout and stderr (-1: not piped). */
struct gt_ssh_proc {
	GPid pid;
	int in_fd, out_fd, err_fd;
};

/*
 * Start argv with stdin from stdin_fd (-1: a pipe, our end in p->in_fd),
 * stdout a pipe (p->out_fd), stderr a pipe with capture_err (p->err_fd),
 * else inherited. CORE_OK or CORE_ERR_SYSTEM with *error.
 */
int gt_ssh_spawn(char **argv, int stdin_fd, bool capture_err, struct gt_ssh_proc *p,
		 GError **error);

/*
 * Read one line (without its newline) from fd within timeout_us. CORE_OK,
 * CORE_ERR_TIMEOUT, CORE_ERR_CLOSED (end of output before a newline),
 * CORE_ERR_TOO_LARGE (no newline within len - 1 bytes).
 */
int gt_ssh_read_line(int fd, char *buf, size_t len, int64_t timeout_us);

/*
 * As gt_ssh_read_line, while the thread-default GMainContext runs (a dial
 * started before the line comes goes on meanwhile). Only what the line
 * needs is read: bytes after its newline stay in buf after the line's end.
 */
int gt_ssh_read_line_looping(int fd, char *buf, size_t len, int64_t timeout_us);

/* Read fd to its end within timeout_us, keeping at most 64 KiB (allocated, trimmed). */
char *gt_ssh_drain(int fd, int64_t timeout_us);

/*
 * End p: wait up to wait_us for it to exit by itself, then SIGKILL it, reap
 * it and close our fds. Returns its exit status (0..255), or -1 when it was
 * killed or died of a signal.
 */
int gt_ssh_finish(struct gt_ssh_proc *p, int64_t wait_us);

/*
 * Run argv to completion (stdin from stdin_fd, or /dev/null when -1),
 * collecting stdout in *out and stderr in *err (allocated, trimmed, at most
 * 64 KiB each). Killed after timeout_us. Returns the exit status (0..255),
 * or -1 when it could not start (the reason in *err) or was killed.
 */
int gt_ssh_run(char **argv, int stdin_fd, char **out, char **err, int64_t timeout_us);
