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
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>

#include "gf_bench.h"

static int startup(struct gf_bench_out *b, const struct gf_bench_opts *o);

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
    .run = {startup, gf__mpi_bench_ipc, gf__mpi_bench_counter, gf__mpi_bench_grain,
	    gf__mpi_bench_paths},
};

static int startup(struct gf_bench_out *b, const struct gf_bench_opts *o)
{
	const struct bench_ctx *c = o->ctx;
	struct gf_mpi *mpi = c->mpi;
	double ready_at = c->ready_at; /* a copy: MPI_Reduce's send buffer */
	double *init = must_alloc(mpi, (size_t)mpi->size * sizeof(double)), ready = 0;
	double *pss = must_alloc(mpi, (size_t)mpi->size * sizeof(double));
	double *priv = must_alloc(mpi, (size_t)mpi->size * sizeof(double));
	double mine[2] = { 0, 0 }, *both = must_alloc(mpi, (size_t)mpi->size * 2 * sizeof(double));
	struct gf_mem m;
	int ok;

	(void)o;
	if (gf_bench_smaps(0, &m) == 0) {
		mine[0] = (double)m.pss_kb;
		mine[1] = (double)m.private_kb;
	}
	ok = all_ok(mpi->init_seconds > 0 && mine[0] > 0);
	MPI_Gather(&mpi->init_seconds, 1, MPI_DOUBLE, init, 1, MPI_DOUBLE, 0, WORLD);
	MPI_Gather(mine, 2, MPI_DOUBLE, both, 2, MPI_DOUBLE, 0, WORLD);
	MPI_Reduce(&ready_at, &ready, 1, MPI_DOUBLE, MPI_MAX, 0, WORLD);
	if (is_root(mpi)) {
		struct gf_stats st = gf_bench_stats_of(init, (size_t)mpi->size), sp, sv;

		for (int r = 0; r < mpi->size; r++) {
			pss[r] = both[2 * r];
			priv[r] = both[2 * r + 1];
		}
		sp = gf_bench_stats_of(pss, (size_t)mpi->size);
		sv = gf_bench_stats_of(priv, (size_t)mpi->size);
		gf_bench_row(b, "mpi_init",
			     "MPI_Init in each of %d ranks (min, median, max over ranks); memory "
			     "per rank, median",
			     mpi->size);
		gf_bench_int(b, "workers", mpi->size);
		gf_bench_stats(b, "lat_us", &st, 1e6);
		gf_bench_num(b, "pss_kb", sp.median);
		gf_bench_num(b, "private_kb", sv.median);
		/* the shared clock when the last rank was ready: py_bench.py subtracts its
		   own reading taken before mpiexec */
		gf_bench_int(b, "ready_us", (int64_t)(ready * 1e6));
		gf_bench_check(b, ok);
		gf_bench_end(b);
	}
	free(init);
	free(pss);
	free(priv);
	free(both);
	return 0;
}

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
