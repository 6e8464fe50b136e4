#include "posix_backend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gf_clock.h"
#include "gf_io.h"
#include "proc.h"

/*
 * Example 25.2: the producer-consumer Queue. One task pipe is shared by every worker: the
 * parent writes the limits in submission order as task frames, then one stop frame per worker
 * (the lecture's None); each idle worker reads the next frame, all of one size (proc.h). One
 * result pipe is shared too: each worker writes one result frame per task. Frames are written
 * whole, the parent's task writes in steps of whole frames of at most PIPE_BUF bytes, so every
 * write is atomic and no worker ever reads half a task or another's half result. The parent
 * collects every result, then joins every worker and checks its exit status.
 *
 * Why this cannot deadlock: the only waits are the parent waiting for the task pipe to have
 * room or for a result, and a worker waiting for a task or for room in the result pipe. The
 * parent's task end is non-blocking and written only when poll says it has room, in the same
 * poll loop that reads every result as soon as one arrives (procs_gather). So a worker
 * blocked writing a result always has a parent about to read it, never one blocked writing
 * tasks; and a worker blocked reading a task has either a parent about to write one or a
 * stop frame on its way. No cycle of waits can form, however many tasks or results the pipes
 * cannot hold at once (a list of 100,000 limits is 6.4 MB of task frames).
 */
int gf_posix_primes(struct gf_posix *px, const struct gf_options *o, const struct gf_task *tasks,
		    size_t n, struct gf_result *results, struct gf_rep *rep)
{
	int w = o->workers, started = 0, rc = -ENOMEM, t[2] = { -1, -1 }, r[2] = { -1, -1 };
	struct gf_proc *procs = calloc((size_t)w, sizeof(*procs));
	struct gf_gather g = { .rfds = &r[0], .nr = 1, .out_fd = -1 };
	char err[256] = "out of memory";
	double t0 = 0;

	if (!procs)
		goto out;
	t0 = gf_clock_now(); /* the phases start with the pipes, as sum's and the pool's do */
	if ((rc = gf_pipe_cloexec(t)) || (rc = gf_pipe_cloexec(r))) {
		snprintf(err, sizeof(err), "cannot make the queue's pipes: %s", strerror(-rc));
		goto out;
	}
	for (int i = 0; i < w; i++) {
		rc = gf_proc_start(&procs[i], px->prog, i, gf_posix_start(o), t[0], r[1], err,
				   sizeof(err));
		if (rc)
			goto out;
		started++;
	}
	/* Every worker has its ends now: the parent keeps only the task writer and the result
	   reader, so a result pipe that ends means every worker has gone. */
	gf_fd_close(&t[0]);
	gf_fd_close(&r[1]);
	if ((rc = gf_fd_set_nonblock(t[1], 1))) {
		snprintf(err, sizeof(err), "task pipe: %s", strerror(-rc));
		goto out;
	}
	g.out_fd = t[1];
	/* The queue's content: the tasks in order, then one stop frame per worker. */
	g.tasks = tasks;
	g.ntasks = n;
	g.nstops = (size_t)w;
out:
	rc = gf_procs_conclude(procs, w, started, &g, results, n, t0, rep, rc, err, sizeof(err));
	for (int i = 0; i < 2; i++) {
		gf_fd_close(&t[i]);
		gf_fd_close(&r[i]);
	}
	free(procs);
	return rc ? -1 : 0;
}
