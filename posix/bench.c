/*
 * gilfree-posix bench: the lecture's costs for processes, measured in C. What a Process
 * costs to start (fork, fork+exec, posix_spawn, against a pthread) and to keep (its PSS),
 * what a message costs by size (pipe, socketpair, shared memory with process-shared
 * semaphores or with a flag both sides spin on), what a Manager, a Value with and without
 * its lock cost per increment, how fine a task may be before processes lose to one loop
 * (with a queue of chunks, Pool.map's chunksize), and frames against paths.
 *
 * Workers are forked children ("a crew", started by gf_proc_fork): each reads its orders
 * from its own pipe and writes fixed-size records, smaller than PIPE_BUF, to one shared
 * result pipe. The parent writes orders and then reads exactly one record per worker per
 * round, and a worker writes its one record only after it has read all its orders for the
 * round, so neither side can block the other for good.
 */
/* MAP_ANONYMOUS: a shared segment with no file behind it (not in POSIX.1-2008) */
#define _DEFAULT_SOURCE
#include "bench_posix.h"

#include <errno.h>
#include <stdio.h>
#include <sys/wait.h>

#include "gf_bench.h"
#include "proc.h"

static const struct gf_bench_cli cli = {
	.prog = "gilfree-posix",
	.backend = "posix",
	.methods =
		{
			[GF_BENCH_STARTUP] = "fork, fork+exec, posix_spawn, pthread; PSS per "
					     "worker",
			[GF_BENCH_IPC] = "pipe, socketpair, shared memory with semaphores and "
					 "with a spinning flag; memcpy",
			[GF_BENCH_COUNTER] = "a manager process over pipes, a shared atomic, a "
					     "process-shared mutex",
			[GF_BENCH_GRAIN] = "the process pool's map (pool.h), its default "
					   "chunksize, 1, 4, 16, 64",
			[GF_BENCH_PATHS] = "pixels through pipes, against offsets into a mapped "
					   "file",
		},
	.run = {gf__posix_bench_startup, gf__posix_bench_ipc, gf__posix_bench_counter,
		gf__posix_bench_grain, gf__posix_bench_paths},
};

/* Waits for pid; returns 0 if it exited with status 0, else -ECHILD after saying why. */
int gf__posix_reap(pid_t pid, const char *what)
{
	char msg[160];
	int st;
	pid_t r = gf_waitpid(pid, &st, 0);

	if (r < 0)
		return (int)r;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	gf_status_describe(msg, sizeof(msg), what, pid, st);
	fprintf(stderr, "%s: %s\n", BENCH_PROG, msg);
	return -ECHILD;
}

int gf_posix_bench(void *ctx, int argc, char **argv)
{
	(void)ctx;
	/* SIGPIPE is already ignored (gf_proc_signals_install): a worker that died shows as
	   EPIPE on our next write, not as our death. */
	return gf_bench_main(argc, argv, &cli, 1);
}
