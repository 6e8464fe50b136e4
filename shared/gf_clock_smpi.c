/*
 * gf_clock_now in the simulated build (compiled by smpicc): the simulated clock of
 * SimGrid's SMPI. MPI_Wtime is SMPI's own reading of it: after MPI_Init it first hands the
 * computation run since the last MPI call to the simulation (so a timed region includes it),
 * and before MPI_Init it reads the simulated clock as it stands. clock_gettime, which smpicc
 * also redirects, reads the real clock before MPI_Init: a span from before the start to after
 * it would mix the two clocks.
 */
#include "gf_clock.h"

#include <mpi.h>

double gf_clock_now(void)
{
	return MPI_Wtime();
}

/* Real CPU time over simulated wall time is no share of anything. */
double gf_clock_cpu(void)
{
	return -1.0;
}
