/*
 * The pieces the experiments of every backend share (gf_bench.h): a mapped slice's checksum,
 * the ping-pong buffers, the repetitions of a timed run, and the rows of latency, bandwidth,
 * grain, counter and paths.
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

/* ---- shared pieces of the experiments ---- */

int gf_bench_map_checksum(int fd, int64_t offset, size_t n, uint64_t *sum)
{
	long page = sysconf(_SC_PAGESIZE);
	int64_t base = offset - offset % page;
	size_t len = n + (size_t)(offset - base);
	void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, (off_t)base);

	if (p == MAP_FAILED)
		return -errno;
	*sum = gf_bench_checksum((const uint8_t *)p + (offset - base), n);
	munmap(p, len);
	return 0;
}

void gf_bench_latency_row(struct gf_bench_out *b, const char *method, const char *title,
			  int64_t size, const double *samples, size_t n, int ok)
{
	struct gf_stats st = gf_bench_stats_of(samples, n);

	gf_bench_row(b, method, "%s", title);
	gf_bench_int(b, "size", size);
	gf_bench_stats(b, "lat_us", &st, 1e6);
	gf_bench_num(b, "bw_MBps", st.median > 0 ? (double)size / st.median / 1e6 : 0);
	gf_bench_check(b, ok);
	gf_bench_end(b);
}

int gf_bench_pingpong_buffers(int64_t size, unsigned char **send, unsigned char **recv)
{
	long page = sysconf(_SC_PAGESIZE);
	void *s = NULL, *r = NULL;

	*send = *recv = NULL;
	if (size < 1 || size > GF_BENCH_MAX_SIZE)
		return -EINVAL;
	if (page <= 0)
		page = 4096;
	if (posix_memalign(&s, (size_t)page, (size_t)size))
		return -ENOMEM;
	if (posix_memalign(&r, (size_t)page, (size_t)size)) {
		free(s);
		return -ENOMEM;
	}
	/* as osu_latency fills them: different bytes, every page touched now */
	memset(s, 'a', (size_t)size);
	memset(r, 'b', (size_t)size);
	*send = s;
	*recv = r;
	return 0;
}

void gf_bench_pingpong_row(struct gf_bench_out *b, const char *method, const char *title,
			   int64_t size, const double *samples, size_t n, int ok)
{
	struct gf_stats st = gf_bench_stats_of(samples, n);
	double total = gf_stats_sum(samples, n);

	gf_bench_row(b, method, "%s", title);
	gf_bench_int(b, "size", size);
	gf_bench_stats(b, "lat_us", &st, 1e6);
	gf_bench_num(b, "avg_us", n ? total / (double)n * 1e6 : 0);
	gf_bench_num(b, "bw_MBps", st.median > 0 ? (double)size / st.median / 1e6 : 0);
	gf_bench_check(b, ok);
	gf_bench_end(b);
}

void gf_bench_bw_row(struct gf_bench_out *b, const char *method, const char *title, int64_t size,
		     int window, const double *seconds, size_t n, int64_t sent, int64_t received,
		     int ok)
{
	struct gf_stats st = gf_bench_stats_of(seconds, n);
	double total = gf_stats_sum(seconds, n);

	gf_bench_row(b, method, "%s", title);
	gf_bench_int(b, "size", size);
	gf_bench_int(b, "window", window);
	gf_bench_stats(b, "lat_us", &st, 1e6 / window);
	gf_bench_num(b, "bw_MBps", total > 0 ? (double)sent / total / 1e6 : 0);
	gf_bench_int(b, "bytes_sent", sent);
	gf_bench_int(b, "bytes_received", received);
	gf_bench_check(b, ok && sent == received);
	gf_bench_end(b);
}

int gf_bench_repeat(int (*run)(void *arg), void (*ready)(void *arg), void *arg, int warmup, int n,
		    double *t)
{
	for (int i = -warmup; i < n; i++) {
		double t0;
		int rc;

		if (ready)
			ready(arg);
		t0 = gf_clock_now();
		rc = run(arg);
		if (rc)
			return rc;
		if (i >= 0)
			t[i] = gf_clock_now() - t0;
	}
	return 0;
}

void gf_bench_grain_row(struct gf_bench_out *b, const struct gf_bench_grain_facts *f,
			const double *seq, const double *par, int reps, int ok)
{
	struct gf_stats s = gf_bench_stats_of(seq, (size_t)reps);
	struct gf_stats p = gf_bench_stats_of(par, (size_t)reps);
	double off = f->measured_us / (double)f->grain_us - 1;

	gf_bench_int(b, "grain_us", f->grain_us);
	gf_bench_num(b, "grain_measured_us", f->measured_us);
	gf_bench_flag(b, "grain_off", fabs(off) > GF_BENCH_GRAIN_OFF);
	gf_bench_int(b, "tasks", f->tasks);
	gf_bench_stats(b, "seq_s", &s, 1);
	gf_bench_stats(b, "par_s", &p, 1);
	gf_bench_num(b, "speedup", p.median > 0 ? s.median / p.median : 0);
	if (f->parent_cpu_us >= 0)
		gf_bench_num(b, "parent_cpu_us", f->parent_cpu_us);
	gf_bench_check(b, ok);
	gf_bench_end(b);
}

void gf_bench_counter_row(struct gf_bench_out *b, const struct gf_bench_opts *o, int workers,
			  const double *t, int reps, int64_t final, int ok)
{
	struct gf_stats st = gf_bench_stats_of(t, (size_t)reps);

	gf_bench_int(b, "workers", workers);
	gf_bench_int(b, "count", o->count);
	gf_bench_stats(b, "ns_per_inc", &st, 1e9 / (double)o->count);
	gf_bench_int(b, "final", final);
	gf_bench_check(b, ok);
	gf_bench_end(b);
}

void gf_bench_paths_row(struct gf_bench_out *b, const struct gf_bench_opts *o, int64_t moved,
			int64_t sent, int64_t received, const double *t, int ok)
{
	struct gf_stats st = gf_bench_stats_of(t, (size_t)o->reps);

	gf_bench_int(b, "images", o->images);
	gf_bench_int(b, "image_bytes", o->width * o->height);
	gf_bench_int(b, "bytes_moved", moved);
	if (sent >= 0) {
		gf_bench_int(b, "bytes_sent", sent);
		gf_bench_int(b, "bytes_received", received);
	}
	gf_bench_stats(b, "time_s", &st, 1);
	gf_bench_check(b, ok);
	gf_bench_end(b);
}
