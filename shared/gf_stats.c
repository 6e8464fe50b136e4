#include "gf_stats.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * The confidence interval of the median from the order statistics (J.-Y. Le Boudec,
 * "Performance Evaluation of Computer and Communication Systems", EPFL Press 2010,
 * Theorem 2.1 and Table A.1; the method T. Hoefler and R. Belli, "Scientific Benchmarking of
 * Parallel Computing Systems", SC15, recommend for non-normal timings). For n independent
 * samples of one distribution, sorted as x(1) <= ... <= x(n), the number B of samples below
 * the true median is Binomial(n, 1/2) whatever the distribution, so [x(l), x(u)] holds the
 * median with probability P(l <= B <= u - 1). The interval is symmetric, u = n + 1 - l, and
 * l is the largest rank with P(B <= l - 1) <= 0.025: a confidence of at least 95%. The
 * binomial sums are exact for every n, not the normal approximation Le Boudec gives for
 * n > 70. For n = 5 even [x(1), x(5)] has 1 - 2/32 = 93.75%: below 6 samples there is no
 * interval, and none is made up.
 *
 * The terms C(n, i) / 2^n go by their logarithms, from i = 0 up: 2^-n underflows past
 * n = 1074, and a term that underflows is far below the 0.025 it is summed towards.
 */
int gf_stats_median_ci_ranks(size_t n, size_t *lo, size_t *hi)
{
	double log_term = -(double)n * log(2.0), tail = 0.0;
	size_t i;

	*lo = *hi = 0;
	if (n < GF_STATS_CI_MIN)
		return 0;
	for (i = 0; i <= n / 2; i++) {
		tail += exp(log_term); /* P(B <= i) */
		if (tail > 0.025)
			break;
		log_term += log((double)(n - i)) - log((double)(i + 1));
	}
	/* P(B <= i - 1) <= 0.025 < P(B <= i): l - 1 = i - 1 */
	if (i == 0)
		return 0;
	*lo = i;
	*hi = n + 1 - i;
	return 1;
}

double gf_stats_sum(const double *samples, size_t n)
{
	double total = 0;

	for (size_t i = 0; i < n; i++)
		total += samples[i];
	return total;
}

double gf_stats_ci_halfwidth(const struct gf_stats *s)
{
	double below = s->median - s->ci_low, above = s->ci_high - s->median;

	if (!s->ci)
		return -1.0;
	return below > above ? below : above;
}

int gf_stats_ci_within(const struct gf_stats *s, double pct)
{
	return s->ci && gf_stats_ci_halfwidth(s) <= pct / 100.0 * s->median;
}

int gf_stats_compute(const double *samples, size_t n, struct gf_stats *out)
{
	double *sorted;
	size_t lo, hi;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return 0;
	if (n > SIZE_MAX / sizeof(*sorted)) /* the copy's size would wrap */
		return -ENOMEM;
	sorted = malloc(n * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	memcpy(sorted, samples, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_double);
	out->min = sorted[0];
	out->max = sorted[n - 1];
	out->median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
	out->n = n;
	if (gf_stats_median_ci_ranks(n, &lo, &hi)) {
		out->ci = 1;
		out->ci_low = sorted[lo - 1];
		out->ci_high = sorted[hi - 1];
	}
	free(sorted);
	return 0;
}

int gf_stats_rows(const double *samples, size_t rows, size_t n, struct gf_stats *out)
{
	int first = 0;

	for (size_t r = 0; r < rows; r++) {
		int rc = gf_stats_compute(samples + r * n, n, &out[r]);

		if (rc && !first)
			first = rc;
	}
	return first;
}
