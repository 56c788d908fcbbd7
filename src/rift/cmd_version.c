/* cmd_version.c - `riftgate version` (and `riftgate --version`); contract in cmd.h. */
#include <stdio.h>

#include "version.h"
#include "rift/cmd.h"

static const char version_usage[] =
	"usage: riftgate version\n"
	"\n"
	"Print the version and the commit it was built from (riftgate --version does\n"
	"the same).\n";

int rg_cmd_version(int argc, char **argv)
{
	const struct rg_cmd_spec spec = { "riftgate version", version_usage, NULL, 0, 0, NULL };
	int rc = rg_cmd_parse(&spec, argc, argv, NULL);

	if (rc != RG_CMD_RUN)
		return rc;
	printf("riftgate %s (%s)\n", RIFTGATE_VERSION, CORE_VERSION_COMMIT);
	return fflush(stdout) == 0 ? 0 : 1;
}
