/*
 * gilfree-omp bench: the lecture's costs for threads in one process. A team instead of a
 * process start, a pointer hand-off instead of a pickled message, an atomic, a critical
 * section and a reduction instead of a Manager or a locked Value.
 */
#include "omp_backend.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <omp.h>

#include "gf_bench.h"

static int startup(void *ctx, struct gf_bench_out *b, const struct gf_bench_opts *o);
static int ipc(void *ctx, struct gf_bench_out *b, const struct gf_bench_opts *o);
static int counter(void *ctx, struct gf_bench_out *b, const struct gf_bench_opts *o);
static int grain(void *ctx, struct gf_bench_out *b, const struct gf_bench_opts *o);
static int paths(void *ctx, struct gf_bench_out *b, const struct gf_bench_opts *o);

static const struct gf_bench_cli cli = {
    .prog = "gilfree-omp",
    .backend = "omp",
    .methods =
	{
	    [GF_BENCH_STARTUP] = "the first parallel region, later ones, memory per "
				 "thread",
	    [GF_BENCH_IPC] = "a pointer handed between two threads; memcpy",
	    [GF_BENCH_COUNTER] = "omp atomic, omp critical, a reduction",
	    [GF_BENCH_GRAIN] = "parallel for, schedule(dynamic, 1), against sequential",
	    [GF_BENCH_PATHS] = "each image copied into a message buffer, against "
			       "threads mapping their slice of a file",
	},
    .run = {startup, ipc, counter, grain, paths},
};

/* An empty region: the cost of starting and joining a team, nothing else. */
static int region(int workers)
{
	int team = 0;

#pragma omp parallel num_threads(workers)
	{
#pragma omp master
		team = omp_get_num_threads();
	}
	return team;
}

static int region_run(void *arg)
{
	region(*(const int *)arg);
	return 0;
}

static int startup(void *ctx, struct gf_bench_out *b, const struct gf_bench_opts *o)
{
	(void)ctx;
	int n = o->iters, team, workers = o->workers;
	double *t = malloc((size_t)n * sizeof(double)), first, t0;
	struct gf_mem before, after;
	struct gf_stats st;
	int have_mem;

	if (!t)
		return -ENOMEM;
	/* This must be the first region of the process: the runtime creates its threads here. */
	have_mem = gf_bench_smaps(0, &before) == 0;
	t0 = gf_clock_now();
	team = region(o->workers);
	first = gf_clock_now() - t0;
	have_mem = have_mem && gf_bench_smaps(0, &after) == 0;
	(void)gf_bench_repeat(region_run, NULL, &workers, o->warmup, n, t);

	st = gf_bench_stats_of(&first, 1); /* one sample: its own median, and no interval */
	gf_bench_row(b, "omp_first_region", "a team of %d threads, once per process", o->workers);
	gf_bench_int(b, "workers", o->workers);
	gf_bench_stats(b, "lat_us", &st, 1e6);
	if (have_mem && o->workers > 1) {
		/* the threads the first region added, each: mostly its stack and TLS */
		gf_bench_num(b, "pss_kb",
			     (double)(after.pss_kb - before.pss_kb) / (o->workers - 1));
		gf_bench_num(b, "private_kb",
			     (double)(after.private_kb - before.private_kb) / (o->workers - 1));
	}
	gf_bench_check(b, team == o->workers);
	gf_bench_end(b);

	st = gf_bench_stats_of(t, (size_t)n);
	gf_bench_row(b, "omp_region", "later regions: the team is kept between them");
	gf_bench_int(b, "workers", o->workers);
	gf_bench_stats(b, "lat_us", &st, 1e6);
	gf_bench_check(b, team == o->workers);
	gf_bench_end(b);
	free(t);
	return 0;
}

/*
 * Two threads hand a buffer back and forth by publishing its pointer: nothing is copied.
 * Each side stamps the first and last byte before passing it on, and checks the other's
 * stamp when it gets it, so the hand-off is seen to carry the data. Latency is half the
 * round trip, as in osu_latency.
 */
static int handoff(struct gf_bench_out *b, const struct gf_bench_opts *o, int64_t size)
{
	unsigned char *buf = calloc((size_t)size, 1);
	_Atomic(unsigned char *) slot[2] = { NULL, NULL };
	int iters, warmup, bad = 0, team = 0;
	double *t;

	gf_bench_iters(o, size, &iters, &warmup);
	t = calloc((size_t)iters, sizeof(double)); /* zeros, if a short team times nothing */
	if (!buf || !t) {
		free(buf);
		free(t);
		return -ENOMEM;
	}
#pragma omp parallel num_threads(2) reduction(+ : bad)
	{
		int me = omp_get_thread_num();

#pragma omp master
		team = omp_get_num_threads();
#pragma omp barrier
		for (int i = -warmup; team == 2 && i < iters; i++) {
			unsigned char mark = (unsigned char)(i & 0x7f), *p;
			double t0 = gf_clock_now();

			if (me == 0) {
				buf[0] = buf[size - 1] = mark;
				atomic_store_explicit(&slot[1], buf, memory_order_release);
				while (!(p = atomic_load_explicit(&slot[0], memory_order_acquire)))
					;
				atomic_store_explicit(&slot[0], NULL, memory_order_relaxed);
				bad += p[0] != (mark | 0x80) || p[size - 1] != (mark | 0x80);
				if (i >= 0)
					t[i] = (gf_clock_now() - t0) / 2;
			} else {
				while (!(p = atomic_load_explicit(&slot[1], memory_order_acquire)))
					;
				atomic_store_explicit(&slot[1], NULL, memory_order_relaxed);
				bad += p[0] != mark || p[size - 1] != mark;
				p[0] = p[size - 1] = mark | 0x80;
				atomic_store_explicit(&slot[0], p, memory_order_release);
			}
		}
	}
	if (team != 2)
		fprintf(stderr, "%s: the runtime granted %d threads, not 2\n", cli.prog, team);
	gf_bench_latency_row(b, "omp_handoff", "2 threads, half the round trip, no copy", size, t,
			     (size_t)iters, bad == 0 && team == 2);
	free(buf);
	free(t);
	return 0;
}

static int ipc(void *ctx, struct gf_bench_out *b, const struct gf_bench_opts *o)
{
	(void)ctx;
	for (int64_t s = o->min_size; s; s = gf_bench_next_size(o, s))
		if (handoff(b, o, s))
			return -ENOMEM;
	return gf_bench_memcpy_table(b, o);
}

enum counter_kind { COUNT_ATOMIC, COUNT_CRITICAL, COUNT_REDUCTION };

/* One run of o->count increments by the team; returns the final count. */
static int64_t count_once(const struct gf_bench_opts *o, enum counter_kind kind)
{
	int64_t shared = 0, reduced = 0;
	int w = o->workers;

#pragma omp parallel num_threads(w) reduction(+ : reduced)
	{
		int64_t mine = gf_share(o->count, w, omp_get_thread_num());
		volatile int64_t local = 0;

		if (kind == COUNT_REDUCTION) {
			/* a private counter per thread, added once at the end */
			for (int64_t i = 0; i < mine; i++)
				local = local + 1;
			reduced += local;
		} else if (kind == COUNT_ATOMIC) {
			for (int64_t i = 0; i < mine; i++) {
#pragma omp atomic
				shared++;
			}
		} else {
			for (int64_t i = 0; i < mine; i++) {
#pragma omp critical
				shared++;
			}
		}
	}
	return kind == COUNT_REDUCTION ? reduced : shared;
}

struct count_arg {
	const struct gf_bench_opts *o;
	enum counter_kind kind;
	int64_t final;
	int ok;
};

static int count_run(void *arg)
{
	struct count_arg *c = arg;

	c->final = count_once(c->o, c->kind);
	c->ok = c->ok && c->final == c->o->count;
	return 0;
}

static int counter(void *ctx, struct gf_bench_out *b, const struct gf_bench_opts *o)
{
	(void)ctx;
	static const char *const names[] = { "omp_atomic", "omp_critical", "omp_reduction" };
	static const char *const titles[] = {
		"one shared counter, #pragma omp atomic",
		"one shared counter, #pragma omp critical",
		"a private counter per thread, reduction(+)",
	};
	double *t = malloc((size_t)o->reps * sizeof(double));

	if (!t)
		return -ENOMEM;
	for (int k = COUNT_ATOMIC; k <= COUNT_REDUCTION; k++) {
		struct count_arg c = { .o = o, .kind = (enum counter_kind)k, .final = 0, .ok = 1 };

		/* each rep after one warm-up; a wrong final count in any of them is reported */
		(void)gf_bench_repeat(count_run, NULL, &c, 1, o->reps, t);
		gf_bench_row(b, names[k], "%s", titles[k]);
		gf_bench_counter_row(b, o, o->workers, t, o->reps, c.final, c.ok);
	}
	free(t);
	return 0;
}

/* One run of the grain sweep: the tasks shared out by the team, one at a time. */
static int grain_par(void *ctx, int64_t value, int64_t tasks, int64_t units, uint64_t *got)
{
	uint64_t sum = 0;

	(void)value;
#pragma omp parallel for num_threads(*(const int *)ctx) schedule(dynamic, 1) reduction(+ : sum)
	for (int64_t i = 0; i < tasks; i++)
		sum += gf_bench_work(units);
	*got = sum;
	return 0;
}

static int grain(void *ctx, struct gf_bench_out *b, const struct gf_bench_opts *o)
{
	(void)ctx;
	char title[64];
	int workers = o->workers;
	struct gf_bench_grain g = {
		.method = "omp_for",
		.title = title,
		.workers = o->workers,
		.root = 1,
		.par = grain_par,
		.ctx = &workers,
	};

	snprintf(title, sizeof(title), "%d threads, schedule(dynamic, 1)", o->workers);
	return gf_bench_grain_sweep(b, o, &g);
}

/*
 * Frames: the master copies each image into a message buffer, as a queue would, and a thread
 * checksums the copy. Paths: a thread is given only the image's offset and maps its slice of
 * the file. Bytes moved counts what was copied between owners.
 */
static int paths(void *ctx, struct gf_bench_out *b, const struct gf_bench_opts *o)
{
	(void)ctx;
	size_t n = (size_t)(o->width * o->height);
	uint64_t want, got;
	uint8_t *images = gf_bench_images(o, &want), *msg = NULL;
	double *t = malloc((size_t)o->reps * sizeof(double));
	int fd = -1, ok = 1, err = 0;

	if (images)
		msg = malloc(n * (size_t)o->images);
	if (!images || !msg || !t) {
		err = -ENOMEM;
		goto out;
	}
	for (int rep = -1; rep < o->reps; rep++) {
		double t0 = gf_clock_now();

		/* The master alone fills the messages, as a queue's producer would. */
		for (int64_t id = 0; id < o->images; id++)
			memcpy(msg + (size_t)id * n, images + (size_t)id * n, n);
		got = 0;
#pragma omp parallel for num_threads(o->workers) schedule(dynamic, 1) reduction(+ : got)
		for (int64_t id = 0; id < o->images; id++)
			got += gf_bench_checksum(msg + (size_t)id * n, n);
		if (rep >= 0)
			t[rep] = gf_clock_now() - t0;
		ok = ok && got == want;
	}
	gf_bench_row(b, "omp_frames", "%lld images of %lldx%lld bytes, %d threads",
		     (long long)o->images, (long long)o->width, (long long)o->height, o->workers);
	gf_bench_paths_row(b, o, o->images * (int64_t)n, -1, -1, t, ok);

	fd = gf_bench_image_file(o, images, NULL, 0);
	if (fd < 0) {
		err = fd;
		goto out;
	}
	ok = 1;
	for (int rep = -1; rep < o->reps; rep++) {
		double t0 = gf_clock_now();
		int bad = 0;

		got = 0;
#pragma omp parallel for num_threads(o->workers) schedule(dynamic, 1) reduction(+ : got, bad)
		for (int64_t id = 0; id < o->images; id++) {
			uint64_t s = 0;

			bad += gf_bench_map_checksum(fd, id * (int64_t)n, n, &s) != 0;
			got += s;
		}
		if (rep >= 0)
			t[rep] = gf_clock_now() - t0;
		ok = ok && !bad && got == want;
	}
	gf_bench_row(b, "omp_paths", "each thread maps its slice of the file by offset");
	gf_bench_paths_row(b, o, o->images * (int64_t)sizeof(int64_t), -1, -1, t, ok);
out:
	if (fd >= 0)
		close(fd);
	free(images);
	free(msg);
	free(t);
	return err;
}

int gf_omp_bench(void *ctx, int argc, char **argv)
{
	(void)ctx; /* main has set omp_set_dynamic(0) */
	return gf_bench_main(argc, argv, &cli, 1);
}
