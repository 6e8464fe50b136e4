#include "gf_kernels.h"

#include <math.h>

/*
 * The empty asm takes x in a register and gives it back "changed", so the optimiser can no
 * longer see that the loop sums an arithmetic series: clang -O2 would otherwise replace the
 * loop by w * n * (n - 1) / 2 and the benchmark would measure nothing. It emits no instruction
 * and keeps the multiply and add of every iteration, which is the work Example 25.1 does.
 */
#define GF_OPAQUE(x) __asm__ volatile("" : "+r"(x))

gf_u128 gf_kernel_sum(int64_t n, int64_t weight)
{
	gf_u128 total = 0;

	for (int64_t i = 0; i < n; i++) {
		int64_t x = i;
		GF_OPAQUE(x);
		total += (uint64_t)(x * weight);
	}
	return total;
}

int64_t gf_isqrt(int64_t n)
{
	int64_t r;

	if (n < 1)
		return 0; /* and no NaN from sqrt to convert, were n negative */
	r = (int64_t)sqrt((double)n);
	/* The double rounds above 2^53; step to the exact floor without overflowing r * r. */
	while (r > 0 && r > n / r)
		r--;
	/* r >= 1 here, as sqrt(n) is for n >= 1, which the analyzer cannot see. */
	/* NOLINTNEXTLINE(clang-analyzer-core.DivideZero) */
	while (r + 1 <= n / (r + 1))
		r++;
	return r;
}

int64_t gf_kernel_primes(int64_t limit)
{
	int64_t count = 0;

	for (int64_t n = 2; n < limit; n++) {
		int64_t root = gf_isqrt(n);
		int64_t i = 2;

		while (i <= root && n % i != 0)
			i++;
		count += i > root;
	}
	return count;
}

double gf_kernel_resize(int64_t width, int64_t height)
{
	int64_t pixels = width * height / 100;
	double total = 0.0;

	for (int64_t p = 0; p < pixels; p++)
		total += sqrt((double)(p + 1));
	return total;
}

char *gf_u128_format(gf_u128 v, char *buf)
{
	char tmp[GF_U128_DIGITS];
	size_t len = 0;

	do {
		tmp[len++] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v != 0);
	for (size_t i = 0; i < len; i++)
		buf[i] = tmp[len - 1 - i];
	buf[len] = '\0';
	return buf;
}
