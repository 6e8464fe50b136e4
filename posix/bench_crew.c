/*
 * A crew of forked workers for the experiments (bench_posix.h): each reads its orders from
 * its own pipe and writes fixed-size records to one shared result pipe.
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

/*
 * Forks n workers running fn. Every worker owns only its order pipe's read end, the result
 * pipe's write end and the nkeep fds of keep (an image file, a manager's pipes): it closes
 * every other. The parent owns the other ends. Returns 0, or a negative errno with nothing
 * left running.
 */
int gf__crew_start(struct crew *c, int n, crew_fn fn, void *arg, const int *keep, int nkeep)
{
	int res[2], rc = 0;

	memset(c, 0, sizeof(*c));
	c->pid = calloc((size_t)n, sizeof(pid_t));
	c->order = calloc((size_t)n, sizeof(int));
	c->result = -1;
	rc = !c->pid || !c->order ? -ENOMEM : gf_pipe_cloexec(res);
	if (rc) {
		gf__crew_end(c); /* nothing started: frees and resets, so a later gf__crew_end is a
				    no-op */
		return rc;
	}
	c->result = res[0];
	for (int w = 0; w < n; w++) {
		int p[2], own[KEEP_MAX + 2], k = 2;
		pid_t pid;

		if ((rc = gf_pipe_cloexec(p)))
			break;
		own[0] = p[0];
		own[1] = res[1];
		for (int j = 0; j < nkeep && k < KEEP_MAX + 2; j++)
			own[k++] = keep[j];
		pid = gf_proc_fork(own, (size_t)k);
		if (pid < 0) {
			rc = (int)pid;
			close(p[0]);
			close(p[1]);
			break;
		}
		if (pid == 0)
			_exit(fn(w, p[0], res[1], arg));
		c->pid[w] = pid;
		close(p[0]);
		c->order[w] = p[1];
		c->n = w + 1;
	}
	close(res[1]);
	if (rc)
		gf__crew_end(c);
	return rc;
}

/* Closes the order pipes (EOF: each worker ends) and reaps every worker. */
int gf__crew_end(struct crew *c)
{
	int rc = 0;

	/* c->n is 0 until both arrays are there (gf__crew_start): the tests say so to a reader
	   of this function alone */
	for (int w = 0; c->order && w < c->n; w++)
		close(c->order[w]);
	for (int w = 0; c->pid && w < c->n; w++) {
		char who[32];

		snprintf(who, sizeof(who), "worker %d", w);
		if (gf__posix_reap(c->pid[w], who))
			rc = -ECHILD;
	}
	if (c->result >= 0)
		close(c->result);
	free(c->pid);
	free(c->order);
	memset(c, 0, sizeof(*c));
	c->result = -1;
	return rc;
}

/* Sends one go byte to every worker. */
int gf__crew_go(struct crew *c)
{
	char go = 1;

	for (int w = 0; w < c->n; w++) {
		int rc = gf_write_full(c->order[w], &go, 1);

		if (rc)
			return rc;
	}
	return 0;
}

_Static_assert(sizeof(struct record) <= PIPE_BUF, "records share one pipe");

int gf__send_record(int out, int w, int64_t count, uint64_t sum, int64_t bytes)
{
	struct record r;

	memset(&r, 0, sizeof(r));
	r.worker = w;
	r.count = count;
	r.sum = sum;
	r.bytes = bytes;
	r.end = gf_clock_now();
	return gf_write_full(out, &r, sizeof(r));
}

/*
 * Waits until a record can be read. A worker that ended meanwhile (it ends only when its
 * order pipe closes, in gf__crew_end) never sends its record, and the others keep the result
 * pipe open, so waiting on would hang: it is -ECHILD, and gf__crew_end reaps it and says how it
 * ended.
 */
static int crew_wait(struct crew *c)
{
	struct pollfd p = { .fd = c->result, .events = POLLIN };

	for (;;) {
		int r = poll(&p, 1, 200);

		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		for (int w = 0; r == 0 && w < c->n; w++) {
			siginfo_t si;

			memset(&si, 0, sizeof(si));
			if (waitid(P_PID, (id_t)c->pid[w], &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
			    si.si_pid != 0) {
				fprintf(stderr, "%s: worker %d ended before its record\n",
					BENCH_PROG, w);
				return -ECHILD;
			}
		}
	}
}

/* Reads one record from every worker; totals their counts, sums and bytes, latest end. */
int gf__crew_collect(struct crew *c, struct record *total)
{
	memset(total, 0, sizeof(*total));
	for (int w = 0; w < c->n; w++) {
		struct record r;
		int rc = crew_wait(c);

		if (rc == 0)
			rc = read_record(c->result, &r, sizeof(r));

		if (rc)
			return rc;
		total->count += r.count;
		total->sum += r.sum;
		total->bytes += r.bytes;
		if (r.end > total->end)
			total->end = r.end;
	}
	return 0;
}
