/* cli.h - goet's commands, one function each, called from main.c. */
#pragma once

#include "goet/cli/args.h"

/* `goet session`: returns the process exit code. */
int gt_cli_session(const struct gt_args *a);

/* `goet --local`: returns the process exit code. */
int gt_cli_local(const struct gt_args *a);
