/* The kernels against the lecture's printed values and against independent ones. */
#include <math.h>
#include <string.h>

#include "gf_kernels.h"
#include "gf_test.h"
#include "gf_workload.h"

/* The closed form w * n * (n - 1) / 2, in 128 bits. */
static gf_u128 closed_form(int64_t n, int64_t w)
{
	gf_u128 nn = (gf_u128)n;

	return n < 2 ? 0 : (gf_u128)w * (nn * (nn - 1) / 2);
}

static void test_sum_lecture(void)
{
	/* Example 25.1's output: (0, 1999999000000) ... (3, 7999996000000). */
	static const uint64_t want[] = { 1999999000000ULL, 3999998000000ULL, 5999997000000ULL,
					 7999996000000ULL };

	for (int w = 0; w < 4; w++)
		CU_ASSERT(gf_kernel_sum(2000000, w + 1) == (gf_u128)want[w]);
}

static void test_sum_closed_form(void)
{
	static const int64_t ns[] = { 0, 1, 2, 3, 10, 999, 65536, 1234567 };

	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
		for (int64_t w = 1; w <= 7; w += 3)
			CU_ASSERT(gf_kernel_sum(ns[i], w) == closed_form(ns[i], w));
}

static void test_sum_past_64_bits(void)
{
	/* 2^64 / 4 / (n^2 / 2): n = 4e9 with weight 4 passes 2^64; 128 bits keep it exact.
	 * Checked on the u128 arithmetic itself (the loop would take seconds). */
	char buf[GF_U128_DIGITS];
	gf_u128 big = closed_form(INT64_C(6400000000), 4);

	CU_ASSERT(big > (gf_u128)UINT64_MAX);
	CU_ASSERT_STRING_EQUAL(gf_u128_format(big, buf), "81919999987200000000");
	CU_ASSERT_STRING_EQUAL(gf_u128_format(0, buf), "0");
	CU_ASSERT_STRING_EQUAL(gf_u128_format(~(gf_u128)0, buf),
			       "340282366920938463463374607431768211455");
}

static void test_primes_lecture(void)
{
	/* Example 25.2's output, sorted by limit. */
	static const int64_t limit[] = { 15000, 20000, 25000, 30000, 35000, 40000 };
	static const int64_t count[] = { 1754, 2262, 2762, 3245, 3732, 4203 };

	for (int i = 0; i < 6; i++)
		CU_ASSERT_EQUAL(gf_kernel_primes(limit[i]), count[i]);
}

static void test_primes_known(void)
{
	/* pi(x) counts primes <= x; the kernel counts primes < limit. */
	CU_ASSERT_EQUAL(gf_kernel_primes(0), 0);
	CU_ASSERT_EQUAL(gf_kernel_primes(1), 0);
	CU_ASSERT_EQUAL(gf_kernel_primes(2), 0);
	CU_ASSERT_EQUAL(gf_kernel_primes(3), 1);
	CU_ASSERT_EQUAL(gf_kernel_primes(4), 2);
	CU_ASSERT_EQUAL(gf_kernel_primes(10), 4);
	CU_ASSERT_EQUAL(gf_kernel_primes(11), 4);
	CU_ASSERT_EQUAL(gf_kernel_primes(12), 5);
	CU_ASSERT_EQUAL(gf_kernel_primes(100), 25);
	CU_ASSERT_EQUAL(gf_kernel_primes(1000), 168);
	CU_ASSERT_EQUAL(gf_kernel_primes(100000), 9592);
	CU_ASSERT_EQUAL(gf_kernel_primes(1000000), 78498);
}

static void test_isqrt(void)
{
	static const int64_t ns[] = { 0,
				      1,
				      2,
				      3,
				      4,
				      15,
				      16,
				      17,
				      99,
				      100,
				      101,
				      INT64_C(4503599761588224),
				      INT64_C(9007199254740993),
				      INT64_MAX };

	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		int64_t n = ns[i], r = gf_isqrt(n);

		CU_ASSERT(r >= 0);
		CU_ASSERT((gf_u128)r * (gf_u128)r <= (gf_u128)n);
		CU_ASSERT((gf_u128)(r + 1) * (gf_u128)(r + 1) > (gf_u128)n);
	}
}

static void test_resize_lecture(void)
{
	/* round(total, 2) == 1990727.79 for a 1920x1080 image (Example 25.3). */
	double total = gf_kernel_resize(1920, 1080);

	CU_ASSERT(fabs(total - 1990727.79) < 0.005);
}

static void test_resize_small(void)
{
	double want = 0.0;

	CU_ASSERT_EQUAL(gf_kernel_resize(9, 11), 0.0); /* 99 / 100 = 0 pixels */
	CU_ASSERT_EQUAL(gf_kernel_resize(10, 10), 1.0);
	for (int p = 0; p < 7; p++)
		want += sqrt((double)(p + 1));
	CU_ASSERT(memcmp(&want, &(double){ gf_kernel_resize(10, 70) }, sizeof(want)) == 0);
}

static void test_task_run(void)
{
	struct gf_task t = { .workload = GF_RESIZE, .index = 3, .key = 3, .a = 1920, .b = 1080 };
	struct gf_result r;

	gf_task_run(&t, 2, &r);
	CU_ASSERT_EQUAL(r.index, 3);
	CU_ASSERT_EQUAL(r.worker, 2);
	CU_ASSERT_EQUAL(r.v[0], 960);
	CU_ASSERT_EQUAL(r.v[1], 540);
	CU_ASSERT(r.seconds >= 0.0);
	t = (struct gf_task){ .workload = GF_PRIMES, .index = 0, .key = 40000 };
	gf_task_run(&t, 0, &r);
	CU_ASSERT_EQUAL(r.key, 40000);
	CU_ASSERT_EQUAL(r.v[0], 4203);
}

static void test_results_compare(void)
{
	struct gf_result a[3] = { { .key = 30, .index = 0 },
				  { .key = 10, .index = 1 },
				  { .key = 20, .index = 2, .total = 1.5 } };
	struct gf_result b[3];

	memcpy(b, a, sizeof(a));
	gf_results_sort(a, 3);
	CU_ASSERT_EQUAL(a[0].key, 10);
	CU_ASSERT_EQUAL(a[2].key, 30);
	gf_results_sort(b, 3);
	CU_ASSERT_EQUAL(gf_results_compare(a, b, 3), -1);
	b[1].total = nextafter(1.5, 2.0); /* one ulp is a difference */
	CU_ASSERT_EQUAL(gf_results_compare(a, b, 3), 1);
	b[1].total = 1.5;
	b[2].v[0] = 1;
	CU_ASSERT_EQUAL(gf_results_compare(a, b, 3), 2);
}

int main(void)
{
	static const struct gf_test tests[] = {
		GF_TEST(test_sum_lecture),
		GF_TEST(test_sum_closed_form),
		GF_TEST(test_sum_past_64_bits),
		GF_TEST(test_primes_lecture),
		GF_TEST(test_primes_known),
		GF_TEST(test_isqrt),
		GF_TEST(test_resize_lecture),
		GF_TEST(test_resize_small),
		GF_TEST(test_task_run),
		GF_TEST(test_results_compare),
		{ NULL, NULL },
	};

	return gf_test_main("kernels", tests);
}
