/*
 * A reusable pool of worker processes, the counterpart of Python's multiprocessing.Pool, for
 * struct gf_task records: create it once with N workers, then map, imap or apply_async as
 * often as needed, then close and join (or terminate), then free.
 *
 * Each worker has two pipes of its own: tasks from the parent, results back (the protocol of
 * proc.h). The parent sends a worker one chunk (chunksize consecutive tasks of one job) at a
 * time and the next only when every result of the previous has arrived; it never blocks:
 * its task ends are non-blocking and written only when poll says so, and it reads every
 * result pipe in the same poll loop. A worker blocks only reading tasks (the parent is
 * writing them, or it is idle) or writing results (the parent is reading them), so no cycle
 * of waits can form: the topology cannot deadlock, whatever the chunk or result volume.
 *
 * Unlike Python's Pool, which hangs for ever when a worker is killed, this pool sees the
 * worker's result pipe end, reaps it and names how it ended, starts a replacement in the
 * same slot (same worker id), and sends the tasks of the lost chunk that had no result yet
 * again: every result arrives exactly once. A task that loses its worker three times fails
 * its job with -ECHILD instead of killing workers for ever.
 *
 * Python's Pool also waits for ever on a worker that hangs (stopped, or stuck in a task). A
 * task timeout (gf_pool_set_task_timeout) bounds that: a worker that has held its current
 * task, the oldest unanswered task of its chunk, for more than the timeout without sending
 * its result is killed (SIGKILL), named, and handled as any lost worker: replaced in the same
 * slot, its unanswered tasks sent again. The clock of a task starts when its chunk is handed
 * out or when the previous task's result arrives, so a chunk of many tasks is never punished
 * for its length, only a single task for its own. A worker holds the results of a chunk's
 * short tasks up to GF_BATCH_HOLD (10 ms, proc.h) to send them together, so a task's clock
 * may start that much late: a task timeout well above it names the right task. Such a kill
 * counts as a loss towards the three-times rule, so a task that always hangs fails its job
 * rather than killing forever.
 *
 * The pool and its handles are not thread-safe: one thread drives it. Every call that waits
 * runs the pool's event loop, so any pending job progresses while another is waited for.
 * No wait of the pool is deaf: SIGINT, SIGTERM and SIGHUP (gf_proc_signals_install) make a
 * waiting call return -EINTR, and a passed --timeout deadline (gf_watchdog) -ETIMEDOUT, with
 * gf_pool_error naming the tasks without a result and the workers holding them; the pool has
 * then failed, and the caller terminates it (gf_pool_join does so itself).
 */
#ifndef GF_POOL_H
#define GF_POOL_H

#include <stddef.h>
#include <sys/types.h>

#include "gf_options.h"
#include "gf_workload.h"
#include "proc.h"

struct gf_pool;
struct gf_pool_job; /* an imap iterator or an apply_async handle */

struct gf_pool_stats {
	int workers;              /* N */
	double start_seconds;     /* gf_pool_create until every worker was ready */
	double worker_start_mean; /* mean fork-to-ready time of the first N workers */
	int replaced;             /* workers that died and were replaced */
	long rerun;               /* tasks sent again because their worker died */
	char last_death[160];     /* how the last dead worker ended, or "" */
	int timed_out;            /* workers killed for holding a task past the task timeout */
	char last_timeout[128];   /* "worker 1 (pid 4242) held task 3 for more than 0.5 s" */
	long last_timeout_tasks;  /* the unanswered tasks of that worker, sent again */
};

/*
 * Starts workers processes by fork or spawn (proc.h) and waits until each has said it is
 * ready. Returns 0 and the pool in *out, or a negative errno with a message in err (errlen
 * bytes): -EAGAIN and "cannot start worker 3: fork: ..." when fork fails, for example; the
 * workers already started are then stopped and reaped. prog is the program's name the
 * workers are started with (gf_proc_start), kept by pointer.
 */
int gf_pool_create(const char *prog, int workers, enum gf_start how, struct gf_pool **out,
		   char *err, size_t errlen);

/*
 * Sets the task timeout: seconds a worker may hold its current task without sending its result
 * before it is killed and replaced (see the opening comment); 0, the default, waits for ever,
 * as Python's Pool does. Takes effect at once, for chunks already handed out too. Returns 0,
 * or -EINVAL for a negative or NaN value.
 */
int gf_pool_set_task_timeout(struct gf_pool *p, double seconds);

/*
 * Python's map: runs tasks[0..n) in chunks of chunksize (0: Python's default,
 * ceil(n / (4 * workers))) and waits; results[i] is the result of tasks[i]. Returns 0, -EINTR,
 * -ECHILD (a task lost its worker three times, three new workers in a row died before they
 * were ready, or a replacement could not start), -EINVAL (the pool is closed), -EINTR (a stop
 * signal), -ETIMEDOUT (the --timeout deadline passed) or another negative errno;
 * gf_pool_error says why.
 */
int gf_pool_map(struct gf_pool *p, const struct gf_task *tasks, size_t n, size_t chunksize,
		struct gf_result *results);

/*
 * Python's imap: submits tasks[0..n) (copied: the caller may free tasks at once) and returns
 * an iterator in *out. Returns 0 or a negative errno (-EINVAL: closed, -ENOMEM).
 */
int gf_pool_imap(struct gf_pool *p, const struct gf_task *tasks, size_t n, size_t chunksize,
		 struct gf_pool_job **out);

/*
 * The next result in submission order, waiting until it has arrived. Returns 1 and the result
 * in *out, 0 when every result has been given, or a negative errno as gf_pool_map.
 */
int gf_pool_next(struct gf_pool_job *job, struct gf_result *out);

/* Python's apply_async: submits one task (copied). Returns 0 and a handle, or -errno. */
int gf_pool_apply_async(struct gf_pool *p, const struct gf_task *task, struct gf_pool_job **out);

/* Waits for an apply_async handle's result. Returns 0 or a negative errno as gf_pool_map. */
int gf_pool_get(struct gf_pool_job *job, struct gf_result *out);

/*
 * Releases an iterator or handle. If some of its tasks are still with workers, first waits
 * for them (their results are dropped). NULL is a no-op.
 */
void gf_pool_job_free(struct gf_pool_job *job);

/* No more submissions (they fail with -EINVAL); work already submitted goes on. */
void gf_pool_close(struct gf_pool *p);

/*
 * After gf_pool_close: waits for every submitted task, ends each worker's task pipe, and
 * reaps every worker. Returns 0, -EINVAL when not closed, -ECHILD when a worker exited badly
 * (gf_pool_error names it), or -EINTR or -ETIMEDOUT (the workers are then terminated).
 */
int gf_pool_join(struct gf_pool *p);

/* Stops every worker now (SIGTERM, then SIGKILL) and reaps it; pending jobs fail. */
void gf_pool_terminate(struct gf_pool *p);

/*
 * Terminates the workers if they are still running, frees the pool and any job not yet
 * freed (handles still held become invalid). NULL is a no-op.
 */
void gf_pool_free(struct gf_pool *p);

/* The pid of worker slot i (it changes when the slot's worker is replaced), or 0. */
pid_t gf_pool_worker_pid(const struct gf_pool *p, int i);

/*
 * The workers, slot i's in element i (the process in a slot changes when its worker is
 * replaced): what their result frames said of their CPU time and CPU (gf_procs_cpu).
 */
const struct gf_proc *gf_pool_procs(const struct gf_pool *p);

/* The pool's counters. */
void gf_pool_get_stats(const struct gf_pool *p, struct gf_pool_stats *s);

/* Why the last failing call failed, or "". */
const char *gf_pool_error(const struct gf_pool *p);

/* Python's default chunksize for n tasks on workers workers: ceil(n / (4 * workers)), >= 1. */
size_t gf_pool_default_chunksize(size_t n, int workers);

#endif
