/*
 * One time base for the ranks in the simulated build (gf__mpi_clock_sync, mpi_backend.h),
 * linked in clock.c's place: every rank reads the simulation's one clock, so there is no
 * offset to measure and no ping-pong to run.
 */
#include "mpi_backend.h"

void gf__mpi_clock_sync(struct gf_mpi *m)
{
	m->clock_offset = 0.0;
	m->clock_offset_max = m->clock_bound = 0.0;
	/* every rank reads the simulation's one clock */
	m->clock_sync = "simulated";
}
