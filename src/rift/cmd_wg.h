/*
 * cmd_wg.h - `riftgate wg up CONFIG [--ifname NAME]` and `riftgate wg show
 * [NAME]`: a plain WireGuard interface in the foreground, and its state as
 * wg(8) prints it. Threading: the main thread.
 */
#pragma once

/* argv starts after "wg". Returns the exit code. */
int rg_cmd_wg(int argc, char **argv);
