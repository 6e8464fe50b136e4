/*
 * The waits every MPI call of the backend completes in (gf__mpi_wait asleep, gf__mpi_spin
 * awake), which answer --timeout's questions, and the barriers made of them.
 */
#include "mpi_backend.h"

#include <time.h>

#include "gf_clock.h"

/*
 * A waiting rank spins for SPIN seconds, then naps between tests: a tenth of the time waited
 * so far, between NAP_MIN and NAP_MAX. The spin keeps a short wait (a collective that
 * completes at once, a task handed out at once) as fast as MPI_Wait; the naps hand the core
 * back during a long one (rank 0's baseline, a producer between long tasks). The price is
 * one MPI_Test per nap and a late return of at most one nap: a tenth of the wait, bounded by
 * NAP_MIN and NAP_MAX.
 */
#define SPIN    100e-6
#define NAP_MIN 50e-6
#define NAP_MAX 1e-3

static void wait_for(const struct gf_mpi *m, MPI_Request *req, MPI_Status *status, int nap)
{
	double start, waited;
	int done = 0;

	/* simulated, the plain wait is exact (gf__mpi_wait_blocks, machine_smpi.c) */
	if (gf__mpi_wait_blocks(m)) {
		if (MPI_Wait(req, status ? status : MPI_STATUS_IGNORE) != MPI_SUCCESS)
			gf__mpi_die(m, "MPI_Wait failed");
		return;
	}
	start = gf_clock_now();
	for (;;) {
		if (MPI_Test(req, &done, status ? status : MPI_STATUS_IGNORE) != MPI_SUCCESS)
			gf__mpi_die(m, "MPI_Test failed");
		if (done)
			return;
		if (m->watch)
			gf__mpi_watch_poll(m);
		if (!nap)
			continue;
		waited = gf_clock_now() - start;
		if (waited > SPIN) {
			double t = waited / 10 < NAP_MIN ? NAP_MIN : waited / 10;
			struct timespec ts = { 0, (long)((t < NAP_MAX ? t : NAP_MAX) * 1e9) };

			nanosleep(&ts, NULL);
		}
	}
}

void gf__mpi_wait(const struct gf_mpi *m, MPI_Request *req, MPI_Status *status)
{
	wait_for(m, req, status, 1);
}

void gf__mpi_spin(const struct gf_mpi *m, MPI_Request *req, MPI_Status *status)
{
	wait_for(m, req, status, 0);
}

void gf__mpi_barrier(const struct gf_mpi *m)
{
	gf__mpi_coll_barrier(m, gf__mpi_wait);
}

void gf__mpi_start_together(const struct gf_mpi *m)
{
	/* The ranks arrive at very different times (rank 0 verified the last repetition; some
	   ranks had nothing to do): they wait asleep, then meet once more, awake, to start
	   together. */
	gf__mpi_barrier(m);
	gf__mpi_coll_barrier(m, gf__mpi_spin);
}
