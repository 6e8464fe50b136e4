/*
 * The MPI micro-benchmarks' internals ("gilfree-mpi bench"): one file per experiment
 * (bench_startup.c, bench_ipc.c, bench_counter.c, bench_grain.c, bench_paths.c), the state and
 * the small helpers they share, and bench.c, which offers them.
 *
 * Every rank runs every experiment together; rank 0 prints. A checked quantity is agreed
 * over all ranks before it is printed, and the exit status is agreed before returning, so the
 * ranks always leave together.
 */
#ifndef GF_MPI_BENCH_H
#define GF_MPI_BENCH_H

#include "mpi_backend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "gf_bench.h"

/* The experiments, one file each: 0, or a negative errno after saying why. */
int gf__mpi_bench_startup(void *ctx, struct gf_bench_out *b, const struct gf_bench_opts *o);
int gf__mpi_bench_ipc(void *ctx, struct gf_bench_out *b, const struct gf_bench_opts *o);
int gf__mpi_bench_counter(void *ctx, struct gf_bench_out *b, const struct gf_bench_opts *o);
int gf__mpi_bench_grain(void *ctx, struct gf_bench_out *b, const struct gf_bench_opts *o);
int gf__mpi_bench_paths(void *ctx, struct gf_bench_out *b, const struct gf_bench_opts *o);

/*
 * What the experiments share, handed to each as its ctx rather than kept in file statics, so
 * that ranks that share one process (a simulator's) each keep their own.
 */
struct bench_ctx {
	struct gf_mpi *mpi; /* this rank's MPI state */
	double ready_at;    /* when this rank entered the bench, by the shared clock: just after
			       its MPI_Init */
};

static inline struct gf_mpi *mpi_of(const void *ctx)
{
	return ((const struct bench_ctx *)ctx)->mpi;
}

#define WORLD MPI_COMM_WORLD

static inline int is_root(const struct gf_mpi *mpi)
{
	return mpi->rank == 0;
}

/* Logical and of ok over every rank, known to every rank. */
static inline int all_ok(int ok)
{
	int all = 0;

	MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_LAND, WORLD);
	return all;
}

/*
 * On rank 0: the time from the earliest rank's t0 to the latest rank's t1, both put on rank
 * 0's clock (gf__mpi_clock_sync), as a repetition's span is (gf__mpi_span_end). The longest
 * of the per-rank durations would miss the time a rank that left the barrier late spent
 * waiting for nothing: a message already there reads as free, below one latency.
 */
static inline double span_root(const struct gf_mpi *mpi, double t0, double t1)
{
	double mine[2] = { -(t0 - mpi->clock_offset), t1 - mpi->clock_offset }, worst[2] = { 0 };

	MPI_Reduce(mine, worst, 2, MPI_DOUBLE, MPI_MAX, 0, WORLD);
	return worst[1] + worst[0];
}

static inline void *must_alloc(const struct gf_mpi *mpi, size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		gf__mpi_die(mpi, "out of memory");
	return p;
}

/* Ping-pong, ipc and paths need a partner. Returns -EINVAL (exit 2) after saying why. */
static inline int need_two(const struct gf_mpi *mpi, const char *exp)
{
	if (mpi->size >= 2)
		return 0;
	if (is_root(mpi))
		fprintf(stderr,
			"%s: bench %s needs at least 2 ranks, the world has 1 "
			"(mpiexec -n 2)\n",
			mpi->prog, exp);
	return -EINVAL;
}

#endif
