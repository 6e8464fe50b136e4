/*
 * The OpenMP backend's internals: one function per workload, each holding only its parallel
 * structure, and a span that times a parallel region's phases from inside it.
 */
#ifndef GF_OMP_BACKEND_H
#define GF_OMP_BACKEND_H

#include <stddef.h>

#include <omp.h>

#include "gf_driver.h"

/*
 * The timestamps of one parallel region: when it was entered by the master, when each
 * thread arrived and finished, and when the region ended. Lets a run split its time into
 * start (team start-up), compute and stop (join), which omp_get_wtime alone cannot. Each
 * thread also reads its CPU clock on arrival and when finished, and says on which CPU it
 * finished, into the repetition's cpu and place; with --bind it pins itself on arrival.
 */
struct gf_omp_span {
	int workers;
	int team;  /* the team size actually granted */
	int first; /* the worker id of thread 0 (ranks of threads: rank x T), for --bind */
	double begin;
	double end;
	double *arrived;     /* [workers] */
	double *finished;    /* [workers] */
	double *cpu_arrived; /* [workers]: the thread's CPU clock on arrival */
	struct gf_rep *rep;  /* where each thread's CPU time and CPU go */
	int pin_error;       /* a negative errno where a thread could not pin itself, or 0 */
};

/*
 * Allocates a span for workers threads and stamps its beginning. Returns 0, or -ENOMEM with
 * why in rep->err.
 */
int gf_omp_span_begin(struct gf_omp_span *s, int workers, struct gf_rep *rep);

/*
 * libgomp ends the process, with a blank line and its own message, when a thread of a team
 * cannot start (a process limit, a memory limit). Before a region of a larger team than any
 * before, this starts that many threads at once and joins them: 0, or a negative errno with
 * one line in err. gf_omp_span_begin calls it.
 */
int gf_omp_threads_check(int workers, char *err, size_t errlen);

/*
 * What libgomp said of the OMP_* and GOMP_* variables as it loaded (omp_env.c catches it):
 * where it could not use one, writes "<prog>: invalid NAME 'value': ..." (when say) and
 * returns -EINVAL, bad input; else passes on what it said, if anything, and returns 0. Call
 * once, first thing in main().
 */
int gf_omp_env_check(const char *prog, int say);

/*
 * Called by thread id inside the region: once on arrival (where --bind is on, it pins itself
 * first, to gf_bind_cpu(id)), once when its work is done.
 */
void gf_omp_span_arrive(struct gf_omp_span *s, int id);
void gf_omp_span_finish(struct gf_omp_span *s, int id);

/*
 * Stamps the end, adds the start, compute and stop phases to rep, notes a team smaller than
 * requested (OMP_THREAD_LIMIT, a nested region), frees the span and returns the team size.
 */
int gf_omp_span_end(struct gf_omp_span *s, struct gf_rep *rep);

/*
 * gf_omp_span_end without the phases: stamps the end, gives the last thread's arrival and
 * finish in *arrived and *finished (the phases' boundaries, by the shared clock), says a short
 * team in notes (GF_NOTES_MAX bytes, or NULL), frees the span and returns the team size.
 */
int gf_omp_span_close(struct gf_omp_span *s, double *arrived, double *finished, char *notes);

/*
 * The parallel for every loop workload runs: tasks[0..n) on a team of s->workers threads
 * with the given schedule, thread t running as worker first + t (first is 0 for gilfree-omp;
 * a rank's first worker for ranks of threads), each result in its task's slot. The span s,
 * begun by the caller, gets every thread's arrival and finish.
 */
void gf_omp_for(struct gf_omp_span *s, int first, const struct gf_task *tasks, size_t n,
		struct gf_result *results, omp_sched_t kind, int chunk);

/*
 * A parallel for over tasks[0..n) on o->workers threads with the given schedule, each result
 * in its task's slot (so the output keeps submission order), timed by a span. The workloads
 * that are a loop over a task list differ only in how the loop is scheduled. Returns 0, or
 * -ENOMEM with why in rep->err; so do the workloads below.
 */
int gf_omp_loop(const struct gf_options *o, const struct gf_task *tasks, size_t n,
		struct gf_result *results, struct gf_rep *rep, omp_sched_t kind, int chunk);

/* Example 25.1: a parallel region; the thread number is the worker id and the result slot. */
int gf_omp_sum(const struct gf_options *o, const struct gf_task *tasks, size_t n,
	       struct gf_result *results, struct gf_rep *rep);

/* Example 25.2: the task queue as a dynamically scheduled loop, one limit at a time. */
int gf_omp_primes(const struct gf_options *o, const struct gf_task *tasks, size_t n,
		  struct gf_result *results, struct gf_rep *rep);

/* Example 25.3: Pool.map as a parallel for over the images. */
int gf_omp_resize(const struct gf_options *o, const struct gf_task *tasks, size_t n,
		  struct gf_result *results, struct gf_rep *rep);

/* "gilfree-omp bench <experiment> [options]" (openmp/bench.c); returns the exit status. */
int gf_omp_bench(void *ctx, int argc, char **argv);

#endif
