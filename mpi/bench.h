/*
 * What the experiments of gilfree-mpi bench share (mpi/bench.c and one file per experiment):
 * their context and the small helpers every one of them calls. Private to those files.
 */
#ifndef GF_MPI_BENCH_H
#define GF_MPI_BENCH_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "gf_bench.h"
#include "gf_clock.h"
#include "mpi_backend.h"

/*
 * What the experiments share, handed to each as o->ctx rather than kept in file statics, so
 * that ranks that share one process (a simulator's) each keep their own.
 */
struct bench_ctx {
	struct gf_mpi *mpi; /* this rank's MPI state */
	double ready_at;    /* when this rank entered the bench, by the shared clock: just after
			       its MPI_Init */
};

static inline struct gf_mpi *mpi_of(const struct gf_bench_opts *o)
{
	return ((const struct bench_ctx *)o->ctx)->mpi;
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

/* The experiments, one file each (bench_ipc.c, ...), in the table of bench.c. */
int gf__mpi_bench_ipc(struct gf_bench_out *b, const struct gf_bench_opts *o);
int gf__mpi_bench_counter(struct gf_bench_out *b, const struct gf_bench_opts *o);
int gf__mpi_bench_grain(struct gf_bench_out *b, const struct gf_bench_opts *o);
int gf__mpi_bench_paths(struct gf_bench_out *b, const struct gf_bench_opts *o);

#endif
