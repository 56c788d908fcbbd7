/*
 * standalone.c - replay a fuzz target's seed corpus without libFuzzer.
 *
 * Linked into every fuzz target in the normal and sanitizer builds, so that
 * `make check` runs each target over tests/fuzz/corpus/<target>/. Arguments
 * are files or directories (not recursive). Exits non-zero when no input was
 * found, so a missing corpus cannot pass silently; a crash or failed
 * invariant inside the target aborts the process.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Maximum input the driver will load: larger seeds are a corpus mistake. */
#define STANDALONE_MAX_INPUT (16u << 20)

/* Run the target once over the file at path; return 0 or -1 on I/O error. */
static int run_file(const char *path)
{
	FILE *f = NULL;
	uint8_t *data = NULL;
	long len;
	int ret = -1;

	f = fopen(path, "rb");
	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "standalone: %s: %s\n", path, strerror(errno));
		goto out;
	}
	if ((unsigned long)len > STANDALONE_MAX_INPUT) {
		fprintf(stderr, "standalone: %s: larger than %u bytes\n", path,
			STANDALONE_MAX_INPUT);
		goto out;
	}
	/* Exact-size heap copy, so ASan sees reads past the end. */
	data = malloc(len > 0 ? (size_t)len : 1);
	if (data == NULL || fread(data, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "standalone: %s: short read\n", path);
		goto out;
	}
	LLVMFuzzerTestOneInput(data, (size_t)len);
	ret = 0;
out:
	free(data);
	if (f != NULL)
		fclose(f);
	return ret;
}

/* Run every regular file in dir; return the count, or -1 on error. */
static int run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096];
	struct stat st;
	int n = 0;

	if (d == NULL) {
		fprintf(stderr, "standalone: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (run_file(path) != 0) {
			n = -1;
			break;
		}
		n++;
	}
	closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	struct stat st;
	int total = 0;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		int n;

		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "standalone: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		n = S_ISDIR(st.st_mode) ? run_dir(argv[i]) : run_file(argv[i]) == 0 ? 1 : -1;
		if (n < 0)
			return 1;
		total += n;
	}
	if (total == 0) {
		fprintf(stderr, "standalone: no inputs found\n");
		return 1;
	}
	printf("standalone: %d inputs replayed without a finding\n", total);
	return 0;
}
