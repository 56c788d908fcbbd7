/* cli.h - goet's commands, one function each, called from main.c. */
#pragma once

#include <stdint.h>

#include "goet/auth.h"
#include "goet/cli/args.h"
#include "goet/client/predial.h"
#include "goet/client/ssh.h"

/* `goet session`: returns the process exit code. */
int gt_cli_session(const struct gt_args *a);

/* `goet --local`: returns the process exit code. */
int gt_cli_local(const struct gt_args *a);

/*
 * The client against host:port with passkey (copied; the caller wipes its
 * own): raw mode, the loop, --profile's summary, the detach message (with
 * detach_hint, e.g. how to resume, or NULL). bootstrap (may be NULL) is the
 * ssh that started a --port-first session: it is ended once the client has
 * connected (the session then surely has the passkey), or at the end.
 * predial (may be NULL; taken over) is the bootstrap's dial already under
 * way to port (predial.h). Returns the exit code.
 */
int gt_cli_client(const struct gt_args *a, const char *host, uint16_t port,
		  const uint8_t passkey[GT_PASSKEY_LEN], const char *detach_hint,
		  struct gt_ssh_proc *bootstrap, struct gt_predial *predial);

/* `goet relay --to HOST:PORT` on a jump host (relay_main.c, relay.h). */
int gt_cli_relay(const struct gt_args *a);

/* `goet [user@]host`: the ssh bootstrap, then the client. */
int gt_cli_ssh(const struct gt_args *a);

/* `goet list [user@]host` (over ssh) or `goet list --local`. */
int gt_cli_list(const struct gt_args *a);

/* `goet attach [user@]host ID`, `--local ID`, or `--print-secret ID` (for ssh). */
int gt_cli_attach(const struct gt_args *a);

/* The ssh halves of list and attach (ssh_main.c). */
int gt_cli_list_remote(const struct gt_args *a);
int gt_cli_attach_remote(const struct gt_args *a);
