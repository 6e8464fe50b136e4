/*
 * The statistics: the ranks of the median's 95% interval from the order statistics, checked
 * against cases worked by hand and against the exact binomial sums, and the interval of a
 * set of samples, its half-width and the target test of --reps auto.
 */
#include <stdint.h>
#include <string.h>

#include "gf_stats.h"
#include "gf_test.h"

/*
 * The ranks worked by hand, P(l <= B <= n - l) for B ~ Binomial(n, 1/2) (Le Boudec, Table
 * A.1): n = 5, [x(1), x(5)] holds the median with 1 - 2/32 = 0.9375 only, so none; n = 6,
 * [x(1), x(6)]: 1 - 2/64 = 0.969, while [x(2), x(5)] has 1 - 2 * 7/64 = 0.781; n = 10,
 * [x(2), x(9)]: 1 - 2 * 11/1024 = 0.979, [x(3), x(8)] 1 - 2 * 56/1024 = 0.891; n = 20,
 * [x(6), x(15)]: 1 - 2 * 21700/2^20 = 0.959, [x(7), x(14)] 1 - 2 * 60460/2^20 = 0.885.
 */
static void test_ranks_by_hand(void)
{
	static const struct {
		size_t n, lo, hi;
	} want[] = { { 6, 1, 6 }, { 7, 1, 7 }, { 9, 2, 8 }, { 10, 2, 9 }, { 20, 6, 15 } };
	size_t lo = 9, hi = 9;

	for (size_t n = 0; n < GF_STATS_CI_MIN; n++) {
		CU_ASSERT_EQUAL(gf_stats_median_ci_ranks(n, &lo, &hi), 0);
		CU_ASSERT_EQUAL(lo, 0);
		CU_ASSERT_EQUAL(hi, 0);
	}
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		CU_ASSERT_EQUAL(gf_stats_median_ci_ranks(want[i].n, &lo, &hi), 1);
		CU_ASSERT_EQUAL(lo, want[i].lo);
		CU_ASSERT_EQUAL(hi, want[i].hi);
	}
}

/*
 * Every n up to 120, in exact integers: l is the largest rank whose lower tail
 * P(B <= l - 1) = sum C(n, i) / 2^n, i < l, is at most 0.025 (40 * sum <= 2^n).
 */
static void test_ranks_exact(void)
{
	for (size_t n = GF_STATS_CI_MIN; n <= 120; n++) {
		unsigned __int128 c = 1, below = 0, all = (unsigned __int128)1 << n;
		size_t lo, hi;

		CU_ASSERT_EQUAL_FATAL(gf_stats_median_ci_ranks(n, &lo, &hi), 1);
		CU_ASSERT_EQUAL(hi, n + 1 - lo);
		for (size_t i = 0; i < lo; i++) { /* C(n, i) for i < lo */
			below += c;
			c = c * (n - i) / (i + 1);
		}
		CU_ASSERT(40 * below <= all);      /* confidence at least 95% */
		CU_ASSERT(40 * (below + c) > all); /* and one rank further in, less */
	}
}

/* The interval of samples is two of them, by their ranks in sorted order. */
static void test_sum(void)
{
	const double x[] = { 0.5, 1.25, 2.0, -0.75 };

	CU_ASSERT_DOUBLE_EQUAL(gf_stats_sum(x, 4), 3.0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(gf_stats_sum(x, 1), 0.5, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(gf_stats_sum(NULL, 0), 0.0, 0);
}

static void test_interval_of_samples(void)
{
	double ten[] = { 10, 9, 8, 7, 6, 5, 4, 3, 2, 1 }, three[] = { 3, 1, 2 };
	double six[] = { 10, 12, 10, 9, 10, 10 };
	struct gf_stats s;

	CU_ASSERT_EQUAL(gf_stats_compute(ten, 10, &s), 0);
	CU_ASSERT_EQUAL(s.n, 10);
	CU_ASSERT(s.ci);
	CU_ASSERT_DOUBLE_EQUAL(s.median, 5.5, 0);
	CU_ASSERT_DOUBLE_EQUAL(s.ci_low, 2, 0);  /* x(2) */
	CU_ASSERT_DOUBLE_EQUAL(s.ci_high, 9, 0); /* x(9) */
	CU_ASSERT_DOUBLE_EQUAL(gf_stats_ci_halfwidth(&s), 3.5, 0);
	CU_ASSERT_DOUBLE_EQUAL(ten[0], 10, 0); /* input untouched */

	CU_ASSERT_EQUAL(gf_stats_compute(three, 3, &s), 0);
	CU_ASSERT_EQUAL(s.n, 3);
	CU_ASSERT_FALSE(s.ci);
	CU_ASSERT_DOUBLE_EQUAL(gf_stats_ci_halfwidth(&s), -1, 0);
	CU_ASSERT_FALSE(gf_stats_ci_within(&s, 100)); /* no interval meets any target */

	/* n = 6: [x(1), x(6)] = [9, 12] around 10, a half-width of 2: 20% of the median */
	CU_ASSERT_EQUAL(gf_stats_compute(six, 6, &s), 0);
	CU_ASSERT_DOUBLE_EQUAL(s.ci_low, 9, 0);
	CU_ASSERT_DOUBLE_EQUAL(s.ci_high, 12, 0);
	CU_ASSERT(gf_stats_ci_within(&s, 20));
	CU_ASSERT_FALSE(gf_stats_ci_within(&s, 19.9));
}

/* Past n = 1074, 2^-n underflows: the ranks still come, near n/2 - 0.98 sqrt(n). */
static void test_ranks_large(void)
{
	size_t lo, hi;

	CU_ASSERT_EQUAL(gf_stats_median_ci_ranks(100000, &lo, &hi), 1);
	CU_ASSERT(lo > 50000 - 320 && lo < 50000 - 300);
	CU_ASSERT_EQUAL(hi, 100001 - lo);
}

int main(void)
{
	static const struct gf_test tests[] = {
		GF_TEST(test_ranks_by_hand),       GF_TEST(test_ranks_exact),
		GF_TEST(test_interval_of_samples), GF_TEST(test_sum),
		GF_TEST(test_ranks_large),         { NULL, NULL },
	};

	return gf_test_main("stats", tests);
}
