/*
 * slow-fsync.so: LD_PRELOAD it into a process to make each of its fsync()
 * and fdatasync() calls take SLOW_FSYNC_MS milliseconds longer, a slow or
 * busy disk made repeatable (bench/sig-server.sh SLOW_FSYNC_MS=N: what a
 * commit that waits for the disk costs whoever waits for it). The delay
 * comes before the real call. A benchmark tool, not a test.
 */
#include <unistd.h> /* fsync, fdatasync; _GNU_SOURCE (RTLD_NEXT) comes from the build */
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

static void slow(void)
{
	const char *v = getenv("SLOW_FSYNC_MS");
	long ms = v != NULL ? strtol(v, NULL, 10) : 0;
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	if (ms > 0)
		nanosleep(&ts, NULL);
}

int fsync(int fd)
{
	static int (*real)(int);

	if (real == NULL)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	slow();
	return real(fd);
}

int fdatasync(int fd)
{
	static int (*real)(int);

	if (real == NULL)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	slow();
	return real(fd);
}
