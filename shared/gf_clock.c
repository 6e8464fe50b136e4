#include "gf_clock.h"

#include <time.h>

double gf_clock_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double gf_clock_cpu(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
		return -1.0;
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
