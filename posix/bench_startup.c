/*
 * gilfree-posix bench startup: what a worker costs to start (fork, fork+exec, posix_spawn,
 * against a pthread) and to keep (its PSS).
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

extern char **environ;

/* The program every exec'ed worker runs: present on every POSIX system, does nothing. */
#define TRUE_PROGRAM "/bin/true"
/* A program that waits on its stdin, so its memory can be read while it lives. */
#define CAT_PROGRAM "/bin/cat"

static int thread_token;

static void *thread_nothing(void *arg)
{
	return arg;
}

/* Sleeps ms milliseconds: time for a new worker to reach its blocking read. */
static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void *thread_block(void *arg)
{
	char c;

	(void)!read(*(int *)arg, &c, 1);
	return NULL;
}

enum start_how { START_FORK, START_EXEC, START_SPAWN, START_THREAD };

/*
 * Creates and joins one worker; returns 0 when it ran and ended cleanly. The bare fork (not
 * gf_proc_fork, which also closes fds) is what this row measures.
 */
static int start_one(enum start_how how)
{
	char *argv[] = { TRUE_PROGRAM, NULL };
	pthread_t th;
	pid_t pid;
	void *ret;

	switch (how) {
	case START_FORK:
		fflush(NULL);
		pid = fork();
		if (pid < 0)
			return -errno;
		if (pid == 0)
			_exit(0);
		return gf__posix_reap(pid, "child");
	case START_EXEC:
		fflush(NULL);
		pid = fork();
		if (pid < 0)
			return -errno;
		if (pid == 0) {
			execv(TRUE_PROGRAM, argv);
			_exit(127);
		}
		return gf__posix_reap(pid, "child");
	case START_SPAWN:
		if (posix_spawn(&pid, TRUE_PROGRAM, NULL, NULL, argv, environ) != 0)
			return -ECHILD;
		return gf__posix_reap(pid, "child");
	case START_THREAD:
		if (pthread_create(&th, NULL, thread_nothing, &thread_token) != 0)
			return -EAGAIN;
		pthread_join(th, &ret);
		return ret == &thread_token ? 0 : -EINVAL;
	}
	return -EINVAL;
}

/*
 * What THREADS more threads, each blocked on fd[0], grew this process by, per thread: one
 * thread alone is below what smaps_rollup resolves.
 */
#define THREADS 16
static int thread_memory(int fd[2], struct gf_mem *m)
{
	struct gf_mem before;
	pthread_t th[THREADS];
	int n = 0, rc = gf_bench_smaps(0, &before);

	while (rc == 0 && n < THREADS && pthread_create(&th[n], NULL, thread_block, &fd[0]) == 0)
		n++;
	if (rc == 0 && n < THREADS)
		rc = -EAGAIN;
	pause_ms(20);
	if (rc == 0)
		rc = gf_bench_smaps(0, m);
	m->rss_kb = (m->rss_kb - before.rss_kb) / THREADS;
	m->pss_kb = (m->pss_kb - before.pss_kb) / THREADS;
	m->private_kb = (m->private_kb - before.private_kb) / THREADS;
	/* one byte for each: every thread's read returns */
	for (int i = 0; i < n; i++)
		(void)!write(fd[1], "x", 1);
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	return rc;
}

/*
 * The memory one more worker costs while it lives: a forked child's or a spawned program's
 * own smaps_rollup; for a thread, what this process grew by. The worker waits on a pipe.
 */
static int worker_memory(enum start_how how, struct gf_mem *m)
{
	char *argv[] = { CAT_PROGRAM, NULL };
	posix_spawn_file_actions_t fa;
	int fd[2], rc = -EINVAL;
	pid_t pid;

	if ((rc = gf_pipe_cloexec(fd)))
		return rc;
	switch (how) {
	case START_FORK:
		pid = gf_proc_fork(&fd[0], 1);
		if (pid < 0) {
			rc = (int)pid;
			break;
		}
		if (pid == 0) {
			char c;

			(void)!read(fd[0], &c, 1);
			_exit(0);
		}
		pause_ms(20);
		rc = gf_bench_smaps(pid, m);
		close(fd[1]);
		fd[1] = -1;
		rc = gf__posix_reap(pid, "child") ? -ECHILD : rc;
		break;
	case START_EXEC:
	case START_SPAWN:
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, fd[0], 0);
		posix_spawn_file_actions_addclose(&fa, fd[1]);
		rc = posix_spawn(&pid, CAT_PROGRAM, &fa, NULL, argv, environ) ? -ECHILD : 0;
		posix_spawn_file_actions_destroy(&fa);
		if (rc)
			break;
		pause_ms(50);
		rc = gf_bench_smaps(pid, m);
		close(fd[1]);
		fd[1] = -1;
		rc = gf__posix_reap(pid, "child") ? -ECHILD : rc;
		break;
	case START_THREAD:
		rc = thread_memory(fd, m);
		close(fd[1]);
		fd[1] = -1;
		break;
	}
	close(fd[0]);
	if (fd[1] >= 0)
		close(fd[1]);
	return rc;
}

int gf__posix_bench_startup(void *ctx, struct gf_bench_out *b, const struct gf_bench_opts *o)
{
	(void)ctx;
	static const struct {
		enum start_how how;
		const char *method, *title;
	} ways[] = {
		{ START_FORK, "fork", "fork, the child _exits, waitpid" },
		{ START_EXEC, "fork_exec",
		  "fork, exec " TRUE_PROGRAM ", waitpid; memory: " CAT_PROGRAM " waiting" },
		{ START_SPAWN, "posix_spawn",
		  "posix_spawn " TRUE_PROGRAM ", waitpid; memory: " CAT_PROGRAM " waiting" },
		{ START_THREAD, "pthread",
		  "pthread_create, pthread_join; memory: 16 threads waiting, each" },
	};
	int n = o->iters < 200 ? o->iters : 200, warm = o->warmup < 10 ? o->warmup : 10;
	double *t = malloc((size_t)n * sizeof(double));

	if (!t)
		return -ENOMEM;
	for (size_t k = 0; k < sizeof(ways) / sizeof(ways[0]); k++) {
		struct gf_mem m = { 0 };
		struct gf_stats st;
		int ok = 1, mem, done = 0;

		for (int i = -warm; i < n && ok; i++) {
			double t0 = gf_clock_now();

			ok = start_one(ways[k].how) == 0;
			if (i >= 0 && ok)
				t[done++] = gf_clock_now() - t0;
		}
		mem = worker_memory(ways[k].how, &m) == 0;
		st = gf_bench_stats_of(t, (size_t)done); /* the starts that worked */
		gf_bench_row(b, ways[k].method, "%s", ways[k].title);
		gf_bench_int(b, "workers", 1);
		gf_bench_stats(b, "lat_us", &st, 1e6);
		if (mem) {
			gf_bench_num(b, "pss_kb", (double)m.pss_kb);
			gf_bench_num(b, "private_kb", (double)m.private_kb);
		}
		gf_bench_check(b, ok);
		gf_bench_end(b);
	}
	free(t);
	return 0;
}
