/*
 * The ranks on simulated hosts (mpi_backend.h: gf__mpi_wait_blocks, gf__mpi_cores_usable),
 * linked in machine.c's place in the simulated build.
 */
#include "mpi_backend.h"

int gf__mpi_wait_blocks(const struct gf_mpi *m)
{
	/* --timeout still polls, to answer rank 0's questions */
	return !m->watch;
}

int gf__mpi_cores_usable(const struct gf_mpi *m)
{
	(void)m; /* simulated hosts' cores are the model's */
	return 0;
}
