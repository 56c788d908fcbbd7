/* main.c - goet: a reconnectable remote terminal. Dispatches by mode (args.h). */
#include <stdio.h>

#include "version.h"
#include "goet/cli/args.h"
#include "goet/cli/cli.h"

static const char usage[] =
	"usage:\n"
	"  goet [--install] [--tcp] [--profile] [--replay-size <bytes>] [-J jump]\n"
	"       [--predict adaptive|always|never]\n"
	"       [-L [bind:]port:host:hostport]... [-R [bind:]port:host:hostport]... [user@]host\n"
	"  goet [flags] [-t] [user@]host -- command [args...]   (like ssh host command)\n"
	"  goet list [user@]host | --local\n"
	"  goet attach [--tcp] [--profile] [user@]host <session-id> | --local <session-id>\n"
	"  goet --local [--tcp] -p <port> -k <passkey-hex>|-k -|--key-file <file> [host]\n"
	"  goet session -f <session-id> [-p <port>] [--replay-size <bytes>]\n"
	"               [--idle-timeout <duration>] [[-t] -c <command-line>]\n"
	"  goet relay --to <host>:<port> [--idle-timeout <duration>]\n"
	"             [--connect-timeout <duration>]   (on a jump host, for -J)\n"
	"  goet version\n"
	"\n"
	"flags:\n"
	"  --version             print the version and exit\n"
	"  --install             install or upgrade goet on the remote host first\n"
	"  --tcp                 use TCP+TLS instead of QUIC (when UDP is blocked)\n"
	"  --profile             print transport statistics\n"
	"  --replay-size <bytes> history a restarted client is given (default 4096)\n"
	"  --idle-timeout <dur>  session: end after this long without a client\n"
	"                        (seconds, or 30m, 12h, 7d; default 7d; 0 = never)\n"
	"  --connect-timeout <dur>  client: give up when no session answered within\n"
	"                        this (default 30s; 0 = never); a refused passkey\n"
	"                        ends the client at once\n"
	"  -L [bind:]port:host:hostport  forward a port here to host:hostport there\n"
	"  -R [bind:]port:host:hostport  forward a port there to host:hostport here\n"
	"                        (as ssh; loopback unless a bind address is given)\n"
	"  -J [user@]host[:port][,...]  jump host(s), as ssh -J: ssh goes through\n"
	"                        them, and the session's port through a goet relay\n"
	"                        on the first (goet must be installed there)\n"
	"  --predict <mode>      client: local echo of typed keys before the session's\n"
	"                        (adaptive: above 30 ms RTT, the default; always; never)\n"
	"  -h, --help            this text\n"
	"\n"
	"  -k -                  --local: read the passkey line from stdin (not echoed)\n"
	"  --key-file <file>     --local: read it from a file only you can read (0600);\n"
	"                        -k <hex> shows it to every user of the machine (ps)\n"
	"\n"
	"client: raw mode when stdin is a terminal, plain pipes otherwise (the end\n"
	"of piped input sends ^D; the client stays until the session ends). After a\n"
	"loss it reconnects every second; no output or keystroke is lost. On a\n"
	"terminal, 2 s of silence shows a notice on the top line until contact.\n"
	"Exit status: 0 when the session ended or on ~. or ~d, 1 on errors and signals.\n"
	"\n"
	"escapes (client, at the start of a line): ~. end the session, ~~ send ~,\n"
	"~d detach (the session keeps running; goet attach resumes it), ~? list them.\n"
	"\n"
	"ssh: the system ssh starts the session (GOET_SSH='ssh -F file' for another\n"
	"command); the passkey travels on its stdin only. Sessions register in\n"
	"$XDG_RUNTIME_DIR/goet (else /tmp/goet-UID) for goet list and goet attach.\n"
	"\n"
	"session: reads the passkey (64 hex characters and a newline) on stdin,\n"
	"prints the port it listens on (UDP and TCP) on stdout, logs to\n"
	"/tmp/goet-<session-id>.log (removed when it ends; GOET_KEEP_LOG=1 keeps it),\n"
	"and exits with the shell's status (0 or 1).\n"
	"\n"
	"See goet(1) and docs/protocol/goet.md.\n";

int main(int argc, char **argv)
{
	struct gt_args a;
	char err[256];
	int r = gt_args_parse(argc, argv, &a, err, sizeof(err));

	if (r != 0) {
		if (err[0] != '\0')
			fprintf(stderr, "%s\n", err);
		fputs(usage, stderr);
		return r;
	}
	if (a.help) {
		fputs(usage, stdout);
		return 0;
	}
	switch (a.mode) {
	case GT_MODE_VERSION:
		printf("goet %s (%s)\n", GOET_VERSION, CORE_VERSION_COMMIT);
		return 0;
	case GT_MODE_SESSION:
		return gt_cli_session(&a);
	case GT_MODE_LOCAL:
		return gt_cli_local(&a);
	case GT_MODE_SSH:
		return gt_cli_ssh(&a);
	case GT_MODE_LIST:
		return gt_cli_list(&a);
	case GT_MODE_ATTACH:
		return gt_cli_attach(&a);
	case GT_MODE_RELAY:
		return gt_cli_relay(&a);
	default:
		fputs(usage, stderr);
		return 1;
	}
}
