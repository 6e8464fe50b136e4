/*
 * The three lecture kernels. Pure functions: no I/O, no globals, no allocation, safe to call
 * from any thread or process at once. Each is the sequential oracle every backend checks
 * against, and each is a benchmark: its cost grows linearly with its size under gcc and clang
 * at every optimisation level (tests/no_fold_check.sh proves it with instruction counts).
 */
#ifndef GF_KERNELS_H
#define GF_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* An unsigned 128-bit integer: class B sums pass 2^64, and Python's ints never overflow. */
typedef unsigned __int128 gf_u128;

/*
 * Example 25.1: sum of i * weight for i in [0, n). Returns the exact total; the caller keeps
 * n * weight below 2^63 and the total below 2^128 (gf_options refuses larger sizes).
 */
gf_u128 gf_kernel_sum(int64_t n, int64_t weight);

/*
 * Example 25.2: the number of primes p with 2 <= p < limit, by trial division of each n by
 * every i in [2, isqrt(n)] up to the first divisor, exactly as the lecture's generator does.
 * Returns 0 for limit <= 2.
 */
int64_t gf_kernel_primes(int64_t limit);

/*
 * Example 25.3: the sum of sqrt(p + 1) for p in [0, width * height / 100), added in that
 * order in double precision (no reassociation, so every backend gets the same bits).
 */
double gf_kernel_resize(int64_t width, int64_t height);

/* Floor of the square root of n >= 0, exact for every int64_t (0 for n < 0). */
int64_t gf_isqrt(int64_t n);

/*
 * Writes v in decimal to buf (at least GF_U128_DIGITS bytes) and returns buf.
 * Thread-safe.
 */
#define GF_U128_DIGITS 40
char *gf_u128_format(gf_u128 v, char *buf);

#endif
