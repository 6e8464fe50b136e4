/*
 * The one clock of every backend (CLOCK_MONOTONIC), and the statistics every figure is
 * reported with. In a comparison suite the timer must not be a variable, so MPI_Wtime and
 * omp_get_wtime are not used anywhere.
 */
#ifndef GF_CLOCK_H
#define GF_CLOCK_H

#include <stddef.h>

/* Seconds since an arbitrary fixed point, from CLOCK_MONOTONIC. Thread- and fork-safe. */
double gf_clock_now(void);

/* Minimum, median and maximum of a set of samples (seconds). All zero for an empty set. */
struct gf_stats {
	double min;
	double median;
	double max;
};

/*
 * Computes the statistics of samples[0..n). Sorts a copy; samples is left as it is.
 * Returns 0, or -ENOMEM.
 */
int gf_stats_compute(const double *samples, size_t n, struct gf_stats *out);

#endif
