/*
 * The statistics every figure is reported with: minimum, median and maximum of a set of
 * samples. Apart from the clock (gf_clock.h), so that the clock alone is a link-time choice.
 */
#ifndef GF_STATS_H
#define GF_STATS_H

#include <stddef.h>

/* Minimum, median and maximum of a set of samples (seconds). All zero for an empty set. */
struct gf_stats {
	double min;
	double median;
	double max;
};

/*
 * Computes the statistics of samples[0..n). Sorts a copy; samples is left as it is.
 * Returns 0, or -ENOMEM (out is then all zero). Thread-safe.
 */
int gf_stats_compute(const double *samples, size_t n, struct gf_stats *out);

/*
 * The statistics of each of rows rows of n samples, stored one row after another
 * (samples[row * n + i]), into out[0..rows). Returns 0, or the first error of
 * gf_stats_compute (-ENOMEM), after trying every row.
 */
int gf_stats_rows(const double *samples, size_t rows, size_t n, struct gf_stats *out);

#endif
