/*
 * gilfree-posix bench grain: how fine a task may be before the pool's workers lose to one
 * loop, by the chunksize of its map (Pool.map's).
 */
/* MAP_ANONYMOUS: a shared segment with no file behind it (not in POSIX.1-2008) */
#define _DEFAULT_SOURCE
#include "bench_posix.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The pool and its buffers for the grain sweep's runs. */
struct grain_ctx {
	struct gf_pool *pool;
	int workers;
	struct gf_task *t;
	struct gf_result *res;
};

/* The unit of work as the pool's task: gf_kernel_sum(units, 1). */
static int grain_setup(void *ctx, int64_t tasks, int64_t units)
{
	struct grain_ctx *c = ctx;

	for (int64_t i = 0; i < tasks; i++) {
		memset(&c->t[i], 0, sizeof(c->t[i]));
		c->t[i].workload = GF_SUM;
		c->t[i].index = (int32_t)i;
		c->t[i].key = i;
		c->t[i].a = units;
		c->t[i].b = 1;
	}
	return 0;
}

/* One map of the tasks over the pool by chunksize; the pool started before, as a Pool does. */
static int grain_par(void *ctx, int64_t chunksize, int64_t tasks, int64_t units, uint64_t *got)
{
	struct grain_ctx *c = ctx;
	int rc = gf_pool_map(c->pool, c->t, (size_t)tasks, (size_t)chunksize, c->res);

	(void)units;
	if (rc) {
		fprintf(stderr, "%s: pool map: %s\n", BENCH_PROG, gf_pool_error(c->pool));
		return rc;
	}
	*got = 0;
	for (int64_t i = 0; i < tasks; i++)
		*got += (uint64_t)c->res[i].sum;
	return 0;
}

/* The chunksize map runs by: the one asked, or its default for 0. */
static int64_t grain_chunksize_used(void *ctx, int64_t chunksize, int64_t tasks)
{
	const struct grain_ctx *c = ctx;

	return chunksize ? chunksize
			 : (int64_t)gf_pool_default_chunksize((size_t)tasks, c->workers);
}

int gf__posix_bench_grain(void *ctx, struct gf_bench_out *b, const struct gf_bench_opts *o)
{
	(void)ctx;
	/* 0: map's own default, as Pool.map picks it (gf_pool_default_chunksize) */
	static const int64_t chunksizes[] = { 0, 1, 4, 16, 64 };
	struct grain_ctx c = { .pool = NULL,
			       .workers = o->workers,
			       .t = calloc(GF_BENCH_MAX_TASKS, sizeof(*c.t)),
			       .res = calloc(GF_BENCH_MAX_TASKS, sizeof(*c.res)) };
	char title[128], err[256];
	struct gf_bench_grain g = {
		.method = "posix_pool",
		.title = title,
		.workers = o->workers,
		.root = 1,
		.variant = "chunksize",
		.values = chunksizes,
		.nvalues = (int)(sizeof(chunksizes) / sizeof(chunksizes[0])),
		.setup = grain_setup,
		.par = grain_par,
		.used_name = "chunksize_used",
		.used = grain_chunksize_used,
		.parent = 1,
		.ctx = &c,
	};
	int rc = -ENOMEM;

	if (!c.t || !c.res)
		goto out;
	rc = gf_pool_create(BENCH_PROG, o->workers, GF_START_FORK, &c.pool, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "%s: %s\n", BENCH_PROG, err);
		goto out;
	}
	snprintf(title, sizeof(title),
		 "a pool of %d forked workers, gf_pool_map (Pool.map) by chunksize", o->workers);
	rc = gf_bench_grain_sweep(b, o, &g);
	gf_pool_close(c.pool);
	if (gf_pool_join(c.pool) && rc == 0) {
		fprintf(stderr, "%s: pool: %s\n", BENCH_PROG, gf_pool_error(c.pool));
		rc = -ECHILD;
	}
out:
	gf_pool_free(c.pool);
	free(c.t);
	free(c.res);
	return rc;
}
