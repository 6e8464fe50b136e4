#include "gf_stats.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int gf_stats_compute(const double *samples, size_t n, struct gf_stats *out)
{
	double *sorted;

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
