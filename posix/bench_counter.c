/*
 * gilfree-posix bench counter: what a Manager, a Value with and without its lock cost per
 * increment, as a counter shared by forked workers.
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

struct counter_shm {
	_Atomic int64_t atomic;
	pthread_mutex_t mutex;
	int64_t locked;
};

enum counter_kind { COUNT_ATOMIC, COUNT_MUTEX, COUNT_MANAGER };

struct counter_arg {
	enum counter_kind kind;
	const struct gf_bench_opts *o;
	struct counter_shm *shm;
	int request; /* manager: the shared request pipe's write end */
	int *reply;  /* manager: each worker's reply pipe, read end */
};

/* A manager request: which worker asks, and what (1 increment, 0 read). */
struct request {
	int32_t worker;
	int32_t op;
};

static int counter_worker(int w, int in, int out, void *arg)
{
	struct counter_arg *a = arg;
	int64_t mine = gf_share(a->o->count, a->o->workers, w);
	char go;

	while (read_record(in, &go, 1) == 0) {
		for (int64_t i = 0; i < mine; i++) {
			if (a->kind == COUNT_ATOMIC) {
				atomic_fetch_add_explicit(&a->shm->atomic, 1, memory_order_relaxed);
			} else if (a->kind == COUNT_MUTEX) {
				pthread_mutex_lock(&a->shm->mutex);
				a->shm->locked++;
				pthread_mutex_unlock(&a->shm->mutex);
			} else {
				/* as a Manager proxy does: every operation is a round trip */
				struct request rq = { w, 1 };
				int64_t value;

				if (gf_write_full(a->request, &rq, sizeof(rq)) ||
				    read_record(a->reply[w], &value, sizeof(value)))
					return 1;
			}
		}
		if (gf__send_record(out, w, mine, 0, 0))
			return 1;
	}
	return 0;
}

/* The manager process: owns the counter; answers each request on the asker's reply pipe. */
static int manager(int in, const int *reply)
{
	struct request rq;
	int64_t value = 0;
	int rc;

	while ((rc = read_record(in, &rq, sizeof(rq))) == 0) {
		if (rq.op == 1)
			value++;
		else if (rq.op == 2)
			value = 0;
		if (gf_write_full(reply[rq.worker], &value, sizeof(value)))
			return 1;
	}
	return rc == -EPIPE ? 0 : 1;
}

/* Asks the manager (as worker slot n) for an operation and returns the value it answers. */
static int manager_ask(int request, int reply, int n, int op, int64_t *value)
{
	struct request rq = { n, op };

	if (gf_write_full(request, &rq, sizeof(rq)))
		return -EPIPE;
	return read_record(reply, value, sizeof(*value));
}

/*
 * Starts the manager process: the shared request pipe req and a reply pipe per worker (and one
 * more, slot n, for the parent), their read ends in rep_r and write ends in rep_w. The manager
 * owns req[0] and rep_w, closed here after the fork. Returns 0, or a negative errno with the
 * pipes made so far left to the caller to close.
 */
static int manager_start(int n, int req[2], int *rep_r, int *rep_w, pid_t *mgr)
{
	int own[KEEP_MAX + 1], k = 1, rc;

	if ((rc = gf_pipe_cloexec(req)))
		return rc;
	for (int i = 0; i <= n; i++) {
		int p[2];

		if ((rc = gf_pipe_cloexec(p)))
			return rc;
		rep_r[i] = p[0];
		rep_w[i] = p[1];
	}
	own[0] = req[0];
	for (int i = 0; i <= n && k < KEEP_MAX + 1; i++)
		own[k++] = rep_w[i];
	*mgr = gf_proc_fork(own, (size_t)k);
	if (*mgr < 0)
		return (int)*mgr;
	if (*mgr == 0)
		_exit(manager(req[0], rep_w));
	gf_fd_close(&req[0]);
	for (int i = 0; i <= n; i++)
		gf_fd_close(&rep_w[i]);
	return 0;
}

/*
 * The timed rounds of one method, each after one warm-up: t[rep] per round, the last count in
 * *final, and *ok cleared when a round's count is wrong. reply is the parent's reply pipe
 * from the manager. Returns 0 or a negative errno.
 */
static int counter_reps(struct crew *crew, struct counter_arg *a, int reply, double *t,
			int64_t *final, int *ok)
{
	const struct gf_bench_opts *o = a->o;
	enum counter_kind kind = a->kind;
	int n = o->workers, rc = 0;

	/* each rep after one warm-up; a wrong final count in any of them is reported */
	for (int rep = -1; rep < o->reps && rc == 0; rep++) {
		struct record r;
		double t0;

		atomic_store(&a->shm->atomic, 0);
		a->shm->locked = 0;
		if (kind == COUNT_MANAGER && (rc = manager_ask(a->request, reply, n, 2, final)))
			break;
		t0 = gf_clock_now();
		rc = gf__crew_go(crew);
		if (rc == 0)
			rc = gf__crew_collect(crew, &r);
		if (rc)
			break;
		if (rep >= 0)
			t[rep] = r.end - t0;
		if (kind == COUNT_ATOMIC)
			*final = atomic_load(&a->shm->atomic);
		else if (kind == COUNT_MUTEX)
			*final = a->shm->locked;
		else
			rc = manager_ask(a->request, reply, n, 0, final);
		*ok = *ok && *final == o->count;
	}
	return rc;
}

static int counter_method(struct gf_bench_out *b, const struct gf_bench_opts *o,
			  enum counter_kind kind)
{
	static const char *const names[] = { "shm_atomic", "shm_mutex", "manager" };
	static const char *const titles[] = {
		"a MAP_SHARED int64, atomic add (Value without its lock)",
		"a MAP_SHARED int64 under a process-shared mutex (Value with its lock)",
		"a manager process, a round trip over pipes per increment (Manager)",
	};
	int n = o->workers, rc = 0, ok = 1;
	int req[2] = { -1, -1 }, *rep_r = calloc((size_t)n + 1, sizeof(int));
	int *rep_w = calloc((size_t)n + 1, sizeof(int));
	double *t = malloc((size_t)o->reps * sizeof(double));
	struct counter_arg a = { kind, o, NULL, -1, rep_r };
	struct crew crew = { 0 };
	pthread_mutexattr_t ma;
	int64_t final = -1;
	pid_t mgr = -1;

	a.shm = shared_alloc(sizeof(*a.shm));
	if (!rep_r || !rep_w || !t || !a.shm) {
		rc = -ENOMEM;
		goto out;
	}
	for (int i = 0; i <= n; i++)
		rep_r[i] = rep_w[i] = -1;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&a.shm->mutex, &ma);
	pthread_mutexattr_destroy(&ma);

	if (kind == COUNT_MANAGER) {
		if ((rc = manager_start(n, req, rep_r, rep_w, &mgr)))
			goto out;
		a.request = req[1];
	}
	{
		/* a worker keeps the request pipe and the reply pipes (its own among them) */
		int keep[KEEP_MAX] = { 0 }, nkeep = 0;

		if (kind == COUNT_MANAGER) {
			keep[nkeep++] = req[1];
			for (int i = 0; i < n && nkeep < KEEP_MAX; i++)
				keep[nkeep++] = rep_r[i];
		}
		rc = gf__crew_start(&crew, n, counter_worker, &a, keep, nkeep);
	}
	if (rc)
		goto out;
	rc = counter_reps(&crew, &a, rep_r[n], t, &final, &ok);
	if (gf__crew_end(&crew) && rc == 0)
		rc = -ECHILD;
	if (rc == 0) {
		gf_bench_row(b, names[kind], "%s", titles[kind]);
		gf_bench_counter_row(b, o, n, t, o->reps, final, ok);
	}
out:
	gf_fd_close(&req[1]); /* the manager sees EOF once the workers are gone too */
	gf_fd_close(&req[0]);
	for (int i = 0; rep_r && rep_w && i <= n; i++) {
		gf_fd_close(&rep_r[i]);
		gf_fd_close(&rep_w[i]);
	}
	if (mgr > 0 && gf__posix_reap(mgr, "manager") && rc == 0)
		rc = -ECHILD;
	if (a.shm) {
		pthread_mutex_destroy(&a.shm->mutex);
		munmap(a.shm, sizeof(*a.shm));
	}
	free(rep_r);
	free(rep_w);
	free(t);
	return rc;
}

int gf__posix_bench_counter(void *ctx, struct gf_bench_out *b, const struct gf_bench_opts *o)
{
	(void)ctx;
	int rc = 0;

	for (int k = COUNT_ATOMIC; k <= COUNT_MANAGER && rc == 0; k++)
		rc = counter_method(b, o, (enum counter_kind)k);
	return rc;
}
