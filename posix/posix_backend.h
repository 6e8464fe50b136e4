/*
 * The posix backend's internals: one function per workload, each holding only its process
 * structure (proc.h starts, feeds and reaps the workers; pool.h is the pool), and the context
 * that lives across repetitions.
 */
#ifndef GF_POSIX_BACKEND_H
#define GF_POSIX_BACKEND_H

#include <stddef.h>

#include "gf_driver.h"
#include "pool.h"
#include "proc.h"

/* gilfree-posix's own options (main.c's table): their slots in struct gf_options's be[]. */
enum { GF_POSIX_START, GF_POSIX_CHUNKSIZE, GF_POSIX_TASK_TIMEOUT };
#define GF_MAX_CHUNKSIZE 1000000

/* --start fork|spawn (fork when not given). */
static inline enum gf_start gf_posix_start(const struct gf_options *o)
{
	return (enum gf_start)o->be[GF_POSIX_START].i;
}

/* --chunksize K: tasks per pool message; 0 until main.c's check sets the pool's choice. */
static inline int64_t gf_posix_chunksize(const struct gf_options *o)
{
	return o->be[GF_POSIX_CHUNKSIZE].i;
}

/* --task-timeout: seconds a pool worker may hold a task, 0 for no limit. */
static inline double gf_posix_task_timeout(const struct gf_options *o)
{
	return o->be[GF_POSIX_TASK_TIMEOUT].x;
}

struct gf_posix {
	const char *prog;     /* "gilfree-posix" */
	struct gf_pool *pool; /* resize: created by setup, reused by every repetition */
	int replaced_seen;    /* pool replacements already reported */
	int timed_out_seen;   /* pool workers killed for the task timeout, already reported */
	double *cpu_base;     /* resize: each pool worker's CPU time when a map began */
	pid_t *pid_base;      /* resize: and its pid then */
};

/* Example 25.1: one child per worker, each with its own task and result pipes. */
int gf_posix_sum(struct gf_posix *px, const struct gf_options *o, const struct gf_task *tasks,
		 size_t n, struct gf_result *results, struct gf_rep *rep);

/* Example 25.2: one task pipe shared by every worker, one result pipe, one stop frame each. */
int gf_posix_primes(struct gf_posix *px, const struct gf_options *o, const struct gf_task *tasks,
		    size_t n, struct gf_result *results, struct gf_rep *rep);

/*
 * Example 25.3: Pool.map on the pool that setup started. The setup returns 0, or a negative
 * errno with why in err (GF_ERR_MAX bytes), as struct gf_backend's setup.
 */
int gf_posix_resize_setup(struct gf_posix *px, const struct gf_options *o, struct gf_phases *setup,
			  char *err);
int gf_posix_resize(struct gf_posix *px, const struct gf_options *o, const struct gf_task *tasks,
		    size_t n, struct gf_result *results, struct gf_rep *rep);
void gf_posix_resize_teardown(struct gf_posix *px);

/* The micro-benchmarks, "gilfree-posix bench ...", where bench.c is built in. */
int gf_posix_bench(void *ctx, int argc, char **argv);

#endif
