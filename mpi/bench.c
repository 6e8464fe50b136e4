/*
 * gilfree-mpi bench: the lecture's costs for MPI ranks. What MPI_Init costs each rank and
 * what a rank weighs; point-to-point latency and bandwidth as osu_latency and osu_bw measure
 * them (warm-up iterations skipped, two page-aligned buffers, half the round trip, a window
 * of non-blocking sends), and the ping-pong through one buffer; MPI_Scatter and MPI_Gather; a
 * shared-memory window (Value/Array's counterpart); a counter through one-sided operations; the
 * grain sweep; and frames against paths.
 *
 * Every rank runs every experiment together; rank 0 prints. A checked quantity is agreed
 * over all ranks before it is printed, and the exit status is agreed before returning, so the
 * ranks always leave together.
 */
#include "bench_mpi.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gf_bench.h"

static const struct gf_bench_cli cli = {
    .prog = "gilfree-mpi",
    .backend = "mpi",
    .methods =
	{
	    [GF_BENCH_STARTUP] = "MPI_Init per rank, memory per rank (mpiexec to MPI_Init: "
				 "scripts/py_bench.py startup --mpi)",
	    [GF_BENCH_IPC] = "ping-pong (osu_latency) and through one buffer, a window of 64 "
			     "Isends (osu_bw), MPI_Scatter, MPI_Gather, MPI_Win_allocate_shared; "
			     "memcpy",
	    [GF_BENCH_COUNTER] = "MPI_Fetch_and_op, MPI_Accumulate, MPI_Reduce",
	    [GF_BENCH_GRAIN] = "tasks dealt cyclically to the ranks, MPI_Reduce",
	    [GF_BENCH_PATHS] = "pixels in MPI messages, against offsets into a mapped file",
	},
    .run = {gf__mpi_bench_startup, gf__mpi_bench_ipc, gf__mpi_bench_counter,
		gf__mpi_bench_grain, gf__mpi_bench_paths},
};

int gf_mpi_bench(void *ctx, int argc, char **argv)
{
	struct bench_ctx bc = { .mpi = ctx, .ready_at = gf_clock_now() };
	struct gf_bench_cli with_ctx = cli;
	int status, agreed = 0;

	with_ctx.ctx = &bc;
	/* the collectives' times on one time base, across hosts too */
	gf__mpi_count_hosts(bc.mpi);
	gf__mpi_clock_sync(bc.mpi);
	status = gf_bench_main(argc, argv, &with_ctx, bc.mpi->rank == 0);
	/* a wrong quantity is known on rank 0 only: every rank leaves with the same status */
	MPI_Allreduce(&status, &agreed, 1, MPI_INT, MPI_MAX, WORLD);
	return agreed;
}
