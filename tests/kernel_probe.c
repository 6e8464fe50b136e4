/*
 * Runs one kernel once at a given size, for tests/no_fold_check.sh to count its instructions
 * under callgrind. "divisions LIMIT" prints how many trial divisions the primes kernel does
 * below LIMIT, counted here by an instrumented copy of its loop, for the expected ratio.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gf_kernels.h"

/*
 * The control: Example 25.1's loop written plainly, with a 64-bit total. clang -O2 turns it into a
 * closed formula, and the check must see that (its instruction count does not grow), or it proves
 * nothing.
 */
__attribute__((noinline)) unsigned long long naive_sum(long long n, long long weight)
{
	unsigned long long total = 0;

	for (long long i = 0; i < n; i++)
		total += (unsigned long long)(i * weight);
	return total;
}

int main(int argc, char **argv)
{
	long long size;
	char *end;

	if (argc != 3) {
		fprintf(stderr, "usage: kernel_probe sum|naive-sum|primes|resize|divisions SIZE\n");
		return 2;
	}
	size = strtoll(argv[2], &end, 10);
	if (*end != '\0' || size < 1) {
		fprintf(stderr, "kernel_probe: invalid size '%s'\n", argv[2]);
		return 2;
	}
	if (strcmp(argv[1], "sum") == 0) {
		char buf[GF_U128_DIGITS];

		printf("%s\n", gf_u128_format(gf_kernel_sum(size, 3), buf));
	} else if (strcmp(argv[1], "naive-sum") == 0) {
		printf("%llu\n", naive_sum(size, 3));
	} else if (strcmp(argv[1], "primes") == 0) {
		printf("%lld\n", (long long)gf_kernel_primes(size));
	} else if (strcmp(argv[1], "resize") == 0) {
		/* size is the pixel count / 100: a 10 x (10 * size) image */
		printf("%.17g\n", gf_kernel_resize(10, 10 * size));
	} else if (strcmp(argv[1], "divisions") == 0) {
		long long divisions = 0;

		for (long long n = 2; n < size; n++) {
			long long root = gf_isqrt(n), i = 2;

			while (i <= root) {
				divisions++;
				if (n % i == 0)
					break;
				i++;
			}
		}
		printf("%lld\n", divisions);
	} else {
		return 2;
	}
	return 0;
}
