/*
 * The micro-benchmarks' units (gf_bench.h): the copy limit (memcpy), the unit of work and its
 * calibration, the grains of a sweep and their task counts.
 */
#include "gf_bench.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "gf_io.h"
#include "gf_report.h"
#include "gf_kernels.h"

/* ---- the copy limit ---- */

/*
 * The copy limit: times iters copies of n bytes from src to dst (after warmup untimed ones, and
 * at least one) and returns the statistics of one copy, in seconds. Writes a checked byte so
 * the copies cannot be elided. Returns 0 on success, -ENOMEM.
 */
struct copy {
	void *dst;
	const void *src;
	size_t n;
	volatile unsigned char sink;
};

static int copy_run(void *arg)
{
	struct copy *c = arg;

	memcpy(c->dst, c->src, c->n);
	/* reading the copy back keeps it from being dropped as a dead store */
	c->sink ^= ((volatile unsigned char *)c->dst)[c->n - 1];
	return 0;
}

static int bench_memcpy(void *dst, const void *src, size_t n, int iters, int warmup,
			struct gf_stats *out)
{
	double *t = malloc((size_t)iters * sizeof(double));
	struct copy c = { .dst = dst, .src = src, .n = n, .sink = 0 };

	if (!t)
		return -ENOMEM;
	/* the first copy faults dst's pages in, whatever --warmup says */
	(void)gf_bench_repeat(copy_run, NULL, &c, warmup > 0 ? warmup : 1, iters, t);
	*out = gf_bench_stats_of(t, (size_t)iters);
	free(t);
	return 0;
}

static int memcpy_row(struct gf_bench_out *b, size_t n, int iters, int warmup)
{
	unsigned char *src = malloc(n), *dst = malloc(n);
	struct gf_stats st;
	int rc = -ENOMEM;

	if (src && dst) {
		memset(src, 0x5a, n);
		memset(dst, 0, n);
		rc = bench_memcpy(dst, src, n, iters, warmup, &st);
	}
	if (rc == 0) {
		gf_bench_row(b, "memcpy", "the copy limit, one process");
		gf_bench_int(b, "size", (int64_t)n);
		gf_bench_stats(b, "lat_us", &st, 1e6);
		gf_bench_num(b, "bw_MBps", st.median > 0 ? (double)n / st.median / 1e6 : 0);
		gf_bench_check(b, memcmp(src, dst, n) == 0);
		gf_bench_end(b);
	}
	free(src);
	free(dst);
	return rc;
}

int gf_bench_memcpy_table(struct gf_bench_out *b, const struct gf_bench_opts *o)
{
	for (int64_t s = o->min_size; s; s = gf_bench_next_size(o, s)) {
		int iters, warmup;

		gf_bench_iters(o, s, &iters, &warmup);
		if (memcpy_row(b, (size_t)s, iters, warmup))
			return -ENOMEM;
	}
	return 0;
}

/* ---- the unit of work ---- */

double gf_bench_calibrate(struct gf_bench_out *b)
{
	double best = 0;

	if (b->unit > 0)
		return b->unit;
	for (int64_t n = 1000;; n *= 2) {
		double t0 = gf_clock_now(), per[5];

		(void)gf_bench_work(n);
		if (gf_clock_now() - t0 < GF_BENCH_CALIBRATE_S)
			continue;
		(void)gf_bench_work(n); /* warm-up: two more, untimed */
		(void)gf_bench_work(n);
		for (int i = 0; i < 5; i++) {
			double t1 = gf_clock_now();

			(void)gf_bench_work(n);
			per[i] = (gf_clock_now() - t1) / (double)n;
		}
		best = gf_bench_stats_of(per, 5).median;
		break;
	}
	b->unit = best;
	return best;
}

void gf_bench_set_unit(struct gf_bench_out *b, double seconds)
{
	b->unit = seconds;
}

int64_t gf_bench_units(struct gf_bench_out *b, double seconds)
{
	double u = seconds / gf_bench_calibrate(b);

	return u < 1 ? 1 : (int64_t)u;
}

uint64_t gf_bench_work(int64_t units)
{
	return (uint64_t)gf_kernel_sum(units, 1);
}

uint64_t gf_bench_work_expect(int64_t units)
{
	return (uint64_t)((gf_u128)units * (gf_u128)(units - 1) / 2);
}

int64_t gf_bench_next_grain(const struct gf_bench_opts *o, int64_t grain_us)
{
	return grain_us > o->max_grain_us / 10 ? 0 : grain_us * 10;
}

int64_t gf_bench_grain_tasks(const struct gf_bench_opts *o, int64_t grain_us)
{
	int64_t t = 100000 / grain_us, least = 2 * (int64_t)o->workers;

	if (t < least)
		t = least;
	return t > GF_BENCH_MAX_TASKS ? GF_BENCH_MAX_TASKS : t;
}
