/* gilfree-mpi bench grain: the grain sweep, tasks dealt cyclically to the ranks. */
#include "bench.h"

static void grain_ready(void *ctx)
{
	gf__mpi_start_together(ctx);
}

/* One run of the grain sweep: the tasks dealt cyclically, the sums reduced on rank 0. */
static int grain_par(void *ctx, int64_t value, int64_t tasks, int64_t units, uint64_t *got)
{
	const struct gf_mpi *mpi = ctx;
	uint64_t mine = 0;

	(void)value;
	*got = 0;
	for (int64_t i = mpi->rank; i < tasks; i += mpi->size)
		mine += gf_bench_work(units);
	MPI_Reduce(&mine, got, 1, MPI_UINT64_T, MPI_SUM, 0, WORLD);
	return 0;
}

static int grain_agree(void *ctx, int ok)
{
	(void)ctx;
	return all_ok(ok);
}

/* Rank 0's units of a grain point, which its baseline measured, to every rank. */
static int64_t grain_share(void *ctx, int64_t units)
{
	(void)ctx;
	MPI_Bcast(&units, 1, MPI_INT64_T, 0, WORLD);
	return units;
}

int gf__mpi_bench_grain(struct gf_bench_out *b, const struct gf_bench_opts *o)
{
	struct gf_mpi *mpi = mpi_of(o);
	/* rank 0 calibrates alone and every rank takes its unit, so all turn a grain into the
	   same units */
	double unit = is_root(mpi) ? gf_bench_calibrate(b) : 0;
	char title[96];
	/* the tasks per grain are dealt to the ranks, whatever --workers says */
	struct gf_bench_grain g = {
		.method = "mpi_ranks",
		.title = title,
		.workers = mpi->size,
		.root = is_root(mpi),
		.ready = grain_ready,
		.par = grain_par,
		.agree = grain_agree,
		.share = grain_share,
		.ctx = mpi,
	};

	gf__mpi_barrier(mpi); /* the others wait asleep, not spinning beside the calibration */
	MPI_Bcast(&unit, 1, MPI_DOUBLE, 0, WORLD);
	gf_bench_set_unit(b, unit);
	snprintf(title, sizeof(title), "%d ranks, tasks dealt cyclically, MPI_Reduce", mpi->size);
	return gf_bench_grain_sweep(b, o, &g);
}
