/*
 * gilfree-mpi bench startup: what MPI_Init costs each rank and what a rank weighs.
 */
#include "bench_mpi.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gf_bench.h"

int gf__mpi_bench_startup(void *ctx, struct gf_bench_out *b, const struct gf_bench_opts *o)
{
	const struct bench_ctx *c = ctx;
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
