#define _GNU_SOURCE /* sched_getcpu */
#include "gf_where.h"

#include <sched.h>
#include <unistd.h>

int gf_where_cpu(void)
{
	return sched_getcpu();
}

void gf_where_host(char *buf, size_t len)
{
	if (!len)
		return;
	if (gethostname(buf, len) != 0)
		buf[0] = '\0';
	buf[len - 1] = '\0'; /* a name cut to fit need not be terminated */
}

int gf_where_has_cpus(void)
{
	return 1;
}
