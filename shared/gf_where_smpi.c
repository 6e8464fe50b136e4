/*
 * Where a worker runs, in the simulated build (SMPI, compiled by smpicc), linked in
 * gf_where.c's place: every rank is a thread of the one process that runs the simulation, so
 * its CPU says nothing of the modelled one, and its host is the simulated host it runs on.
 */
#include "gf_where.h"

#include <stdio.h>

#include <simgrid/host.h>

int gf_where_cpu(void)
{
	return -1;
}

void gf_where_host(char *buf, size_t len)
{
	const char *name = sg_host_self_get_name();

	if (len)
		snprintf(buf, len, "%s", name ? name : "");
}

int gf_where_has_cpus(void)
{
	return 0; /* a simulated rank has a host, and no CPU to name */
}
