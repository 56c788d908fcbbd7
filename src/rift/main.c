/*
 * main.c - riftgate: a WireGuard VPN over WebRTC data channels. main is the
 * table of commands (as wireguard-tools' src/wg.c); each command lives in
 * its group's file, cmd_*.c, and is declared in cmd.h.
 */
#include <signal.h>
#include <string.h>

#include "rift/cmd.h"

/* Add a row here (and its synopsis to docs/man/riftgate.8) for a new command. */
static const struct rg_cmd commands[] = {
	{ "up", rg_cmd_up, "run the agent: tunnels from this device to the others" },
	{ "down", rg_cmd_down, "stop and disable the agent as a systemd unit" },
	{ "status", rg_cmd_status, "show the running agent: its peers and their paths" },
	{ "setup", rg_cmd_setup,
	  "register this device with a join token, write its configuration" },
	{ "devices", rg_cmd_devices, "list the devices of the network, or revoke one" },
	{ "refresh", rg_cmd_refresh, "check the credentials of this device with the server" },
	{ "qr", rg_cmd_qr, "show the server as a QR code to set up a new device" },
	{ "server", rg_cmd_server, "run the signaling server" },
	{ "wg", rg_cmd_wg, "run or show a plain WireGuard interface (wg up, wg show)" },
	{ "genkey", rg_cmd_genkey, "write a new private key to standard output" },
	{ "pubkey", rg_cmd_pubkey, "read a private key on standard input, write its public key" },
	{ "version", rg_cmd_version, "print the version" },
};

int main(int argc, char **argv)
{
	static const struct rg_cmd_group riftgate = { "riftgate", commands,
						      G_N_ELEMENTS(commands) };

	signal(SIGPIPE, SIG_IGN);
	if (argc == 2 && strcmp(argv[1], "--version") == 0)
		return rg_cmd_version(1, argv + 1);
	return rg_cmd_dispatch(&riftgate, argc, argv);
}
