/*
 * The statistics every figure is reported with: minimum, median and maximum of a set of
 * samples, and the 95% confidence interval of the median from the order statistics. Apart
 * from the clock (gf_clock.h), so that the clock alone is a link-time choice.
 */
#ifndef GF_STATS_H
#define GF_STATS_H

#include <stddef.h>

/* Below this many samples no interval of the median reaches 95% confidence (gf_stats.c). */
#define GF_STATS_CI_MIN 6

/*
 * Minimum, median and maximum of a set of samples (seconds), their number, and the 95%
 * confidence interval of the median where there is one (ci 1: n >= GF_STATS_CI_MIN). All
 * zero for an empty set.
 */
struct gf_stats {
	double min;
	double median;
	double max;
	double ci_low; /* the interval's ends, two of the samples; 0 where ci is 0 */
	double ci_high;
	size_t n; /* the samples */
	int ci;   /* 1 when ci_low and ci_high hold an interval */
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

/*
 * The ranks (1-based, in the sorted samples) of the distribution-free 95% confidence
 * interval of the median of n samples: [x(*lo), x(*hi)], *hi = n + 1 - *lo. Returns 1, or 0
 * where n < GF_STATS_CI_MIN and no interval reaches 95% (*lo and *hi are then 0).
 * Thread-safe.
 */
int gf_stats_median_ci_ranks(size_t n, size_t *lo, size_t *hi);

/*
 * The interval's half-width, max(median - ci_low, ci_high - median), or -1 where s has no
 * interval.
 */
double gf_stats_ci_halfwidth(const struct gf_stats *s);

/* 1 when s has an interval whose half-width is at most pct percent of its median. */
int gf_stats_ci_within(const struct gf_stats *s, double pct);

/* The sum of samples[0..n), 0 for none. */
double gf_stats_sum(const double *samples, size_t n);

#endif
