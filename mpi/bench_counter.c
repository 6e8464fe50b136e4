/* gilfree-mpi bench counter: a counter on rank 0 through one-sided operations, or reduced. */
#include "bench.h"

enum counter_kind { COUNT_FETCH, COUNT_ACC, COUNT_REDUCE };

int gf__mpi_bench_counter(struct gf_bench_out *b, const struct gf_bench_opts *o)
{
	struct gf_mpi *mpi = mpi_of(o);
	static const char *const names[] = { "mpi_fetch_and_op", "mpi_accumulate", "mpi_reduce" };
	static const char *const titles[] = {
		"a counter in an MPI window on rank 0, MPI_Fetch_and_op and MPI_Win_flush each",
		"a counter in an MPI window on rank 0, MPI_Accumulate and MPI_Win_flush each",
		"a private count per rank, MPI_Reduce at the end",
	};
	int64_t *base = NULL, mine = gf_share(o->count, mpi->size, mpi->rank);
	double *t = must_alloc(mpi, (size_t)o->reps * sizeof(double));
	MPI_Win win;

	MPI_Win_allocate(is_root(mpi) ? (MPI_Aint)sizeof(int64_t) : 0, sizeof(int64_t),
			 MPI_INFO_NULL, WORLD, &base, &win);
	for (int k = COUNT_FETCH; k <= COUNT_REDUCE; k++) {
		int64_t final = -1, one = 1, old, zero = 0;
		int ok = 1;

		for (int rep = -1; rep < o->reps; rep++) {
			double t0, dt;

			if (is_root(mpi)) {
				MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, win);
				MPI_Put(&zero, 1, MPI_INT64_T, 0, 0, 1, MPI_INT64_T, win);
				MPI_Win_unlock(0, win);
			}
			gf__mpi_start_together(mpi);
			t0 = gf_clock_now();
			if (k == COUNT_REDUCE) {
				volatile int64_t local = 0;

				for (int64_t i = 0; i < mine; i++)
					local = local + 1;
				old = local;
				MPI_Reduce(&old, &final, 1, MPI_INT64_T, MPI_SUM, 0, WORLD);
			} else {
				MPI_Win_lock_all(0, win);
				for (int64_t i = 0; i < mine; i++) {
					if (k == COUNT_FETCH)
						MPI_Fetch_and_op(&one, &old, MPI_INT64_T, 0, 0,
								 MPI_SUM, win);
					else
						MPI_Accumulate(&one, 1, MPI_INT64_T, 0, 0, 1,
							       MPI_INT64_T, MPI_SUM, win);
					MPI_Win_flush(0, win);
				}
				MPI_Win_unlock_all(win);
			}
			dt = span_root(mpi, t0, gf_clock_now());
			if (rep >= 0)
				t[rep] = dt;
			if (k != COUNT_REDUCE) {
				MPI_Barrier(WORLD);
				if (is_root(mpi)) {
					MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, win);
					MPI_Get(&final, 1, MPI_INT64_T, 0, 0, 1, MPI_INT64_T, win);
					MPI_Win_unlock(0, win);
				}
			}
			ok = ok && (!is_root(mpi) || final == o->count);
		}
		ok = all_ok(ok);
		if (is_root(mpi)) {
			gf_bench_row(b, names[k], "%s", titles[k]);
			gf_bench_counter_row(b, o, mpi->size, t, o->reps, final, ok);
		}
	}
	MPI_Win_free(&win);
	free(t);
	return 0;
}
