/*
 * The parent's side of a run (proc.h): the gather loop that feeds task frames and collects
 * results while watching the workers, the join, the workers' CPU times and a run's phases.
 */
#define _GNU_SOURCE /* prctl, strsignal */
#include "proc_impl.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gf_clock.h"
#include "gf_disturb.h"
#include "gf_driver.h"
#include "gf_io.h"
#include "gf_stdio.h"
#include "gf_watchdog.h"

static int owner(const struct gf_gather *g, int n, int fd_index)
{
	return g->nr == n && n > 1 ? fd_index : (n == 1 ? 0 : -1);
}

/*
 * Says in err why a wait stopped: -EINTR, "interrupted by SIGINT"; -ETIMEDOUT, the timeout
 * line naming the tasks without a result (seen[i] zero; seen NULL: none) and the workers still
 * running, which the caller stops. Returns rc.
 */
static int stop_reason(int rc, struct gf_proc *procs, int n, const unsigned char *seen,
		       size_t nresults, char *err, size_t errlen)
{
	unsigned char *running;

	if (rc == -EINTR) {
		snprintf(err, errlen, "interrupted by %s", gf_signal_name(gf_proc_interrupted()));
		return rc;
	}
	running = calloc((size_t)n + 1, 1);
	for (int i = 0; running && i < n; i++)
		running[i] = procs[i].pid && gf_proc_reap(&procs[i], 0) == 0;
	gf_timeout_describe(err, errlen, seen, nresults, procs, running, n);
	free(running);
	return rc;
}

/* An interrupted or timed-out wait, which ends the run rather than a worker's failure. */
static int stopped(int rc)
{
	return rc == -EINTR || rc == -ETIMEDOUT;
}

/* A worker has gone (or a pipe ended early): wait for it and say how it ended. */
static int fail_dead(struct gf_proc *procs, int n, int who, size_t missing, char *err,
		     size_t errlen)
{
	char what[160];
	int r;

	if (who < 0) {
		/* A shared pipe: its end means every worker has gone; name the first bad one. */
		for (int i = 0; i < n; i++)
			if (stopped(r = gf_proc_reap(&procs[i], 1)))
				return r;
		for (int i = 0; i < n; i++)
			if (!gf_proc_ok(&procs[i])) {
				who = i;
				break;
			}
		if (who < 0) {
			snprintf(err, errlen, "every worker exited with %zu results missing",
				 missing);
			return -EPIPE;
		}
	}
	if (stopped(r = gf_proc_reap(&procs[who], 1)))
		return r;
	gf_proc_describe(&procs[who], what, sizeof(what));
	if (gf_proc_ok(&procs[who]))
		snprintf(err, errlen, "%s before sending all its results", what);
	else
		snprintf(err, errlen, "%s", what);
	return -EPIPE;
}

/* What gather's frame reader fills. */
struct gather {
	struct gf_proc *procs;
	int n;
	struct gf_result *results;
	size_t nresults, got;
	unsigned char *seen; /* seen[i]: results[i] has arrived */
	char *err;
	size_t errlen;
};

/* One frame from a worker: its ready time, or results into their places. */
static int take_frame(void *arg, const struct gf_frame *h, const unsigned char *records)
{
	struct gather *c = arg;

	if ((h->kind != GF_FRAME_READY && h->kind != GF_FRAME_RESULT) || h->worker < 0 ||
	    h->worker >= c->n) {
		snprintf(c->err, c->errlen, "malformed record from a worker (worker %d)",
			 h->worker);
		return -EBADMSG;
	}
	if (h->kind == GF_FRAME_READY) {
		c->procs[h->worker].ready = h->clock;
		return 0;
	}
	c->procs[h->worker].cpu_s = h->cpu_s;
	c->procs[h->worker].cpu = h->cpu;
	for (int32_t k = 0; k < h->count; k++) {
		struct gf_result rec;

		gf_frame_result(records, k, &rec);
		if (rec.index < 0 || (size_t)rec.index >= c->nresults || c->seen[rec.index]) {
			snprintf(c->err, c->errlen,
				 "malformed or repeated result %d from worker %d", rec.index,
				 h->worker);
			return -EBADMSG;
		}
		c->seen[rec.index] = 1;
		c->results[rec.index] = rec;
		c->got++;
	}
	return 0;
}

/*
 * Reads what g->rfds[i] holds into c. Returns 0, 2 when the pipe ended as it should (its
 * worker exited with status 0), or a negative errno with c->err saying why.
 */
static int read_one(struct gather *c, const struct gf_gather *g, struct gf_inbox *in, int i)
{
	int r = gf_inbox_read(g->rfds[i], in, take_frame, c), who = owner(g, c->n, i);

	if (r == 0 || r == -EAGAIN)
		return 0;
	if (r == -EBADMSG)
		return -EPROTO; /* take_frame said why */
	if (r < 0) {
		snprintf(c->err, c->errlen, "reading results: %s",
			 r == -EIO      ? "a record was cut short"
			 : r == -EPROTO ? "a frame that is not one"
					: strerror(-r));
		return r;
	}
	/* Writers gone: fine for a worker that exited 0. */
	if (who >= 0 && stopped(r = gf_proc_reap(&c->procs[who], 1)))
		return r;
	if (who < 0 || !gf_proc_ok(&c->procs[who]))
		return fail_dead(c->procs, c->n, who, c->nresults - c->got, c->err, c->errlen);
	return 2;
}

/* The bytes of task frames gather sends. */
static size_t out_bytes(const struct gf_gather *g)
{
	return g->out_fd < 0 ? 0 : (g->ntasks + g->nstops) * GF_TASK_FRAME;
}

/*
 * Sends what the task pipe takes of g's task frames from *sent on. Returns 0, or a negative
 * errno with err saying why (-EPIPE: every worker has gone, missing results short).
 */
static int send_some(struct gather *c, const struct gf_gather *g, size_t *sent)
{
	int w = gf_frames_send_tasks(g->out_fd, g->tasks, g->ntasks, g->nstops, 0, sent);

	if (w == -EPIPE)
		return fail_dead(c->procs, c->n, -1, c->nresults - c->got, c->err, c->errlen);
	if (w < 0)
		snprintf(c->err, c->errlen, "write to workers: %s", strerror(-w));
	return w;
}

/*
 * A worker that died is named at once, even while its siblings hold the pipes. The workers are
 * looked at only when SIGCHLD said one exited (cleared before the look, so an exit during it
 * is seen next time), or after a quiet poll, not for every record.
 */
static int look_at_workers(struct gather *c, int quiet)
{
	int rc = 0;

	if (!gf__proc_child_exited && !quiet)
		return 0;
	gf__proc_child_exited = 0;
	for (int i = 0; i < c->n && rc == 0; i++)
		if (gf_proc_reap(&c->procs[i], 0) == 1 && !gf_proc_ok(&c->procs[i]))
			rc = fail_dead(c->procs, c->n, i, c->nresults - c->got, c->err, c->errlen);
	return rc;
}

/*
 * One round of gather's loop: polls the open result fds (open[i]) and the task fd while
 * frames are left to send, then reads and writes what poll allows. Returns 0 or a negative
 * errno with c->err saying why.
 */
static int gather_step(struct gather *c, const struct gf_gather *g, struct gf_inbox *in,
		       unsigned char *open, int *nopen, struct pollfd *pfd, size_t *sent)
{
	nfds_t np = 0;
	int r, at[GF_MAX_WORKERS + 1];

	for (int i = 0; i < g->nr; i++)
		if (open[i]) {
			at[np] = i;
			pfd[np++] = (struct pollfd){ .fd = g->rfds[i], .events = POLLIN };
		}
	if (*sent < out_bytes(g)) {
		at[np] = -1;
		pfd[np++] = (struct pollfd){ .fd = g->out_fd, .events = POLLOUT };
	}
	r = gf_proc_poll(pfd, np, 100);
	if (r < 0) {
		if (!stopped(r))
			snprintf(c->err, c->errlen, "poll: %s", strerror(-r));
		return r;
	}
	if ((r = look_at_workers(c, r == 0)))
		return r;
	for (nfds_t k = 0; k < np && r >= 0; k++) {
		if (!pfd[k].revents)
			continue;
		if (at[k] < 0)
			r = send_some(c, g, sent);
		else if ((r = read_one(c, g, &in[at[k]], at[k])) == 2) {
			open[at[k]] = 0;
			--*nopen;
		}
	}
	return r < 0 ? r : 0;
}

/*
 * Collects nresults results, each into results[its index], from the workers procs[0..n),
 * sending g's task frames meanwhile; records each worker's ready time. Fails fast, naming the
 * worker and its signal or status in err, when a worker dies, a result pipe ends early or a
 * frame is malformed. Returns 0, -EINTR (SIGINT, SIGTERM or SIGHUP), -ETIMEDOUT (the
 * --timeout deadline passed: err names the tasks without a result), or another negative
 * errno. The workers are left running on every path: the caller joins or stops them.
 */
static int procs_gather(struct gf_proc *procs, int n, struct gf_gather *g,
			struct gf_result *results, size_t nresults, char *err, size_t errlen)
{
	struct gather c = { procs, n, results, nresults, 0, calloc(nresults + 1, 1), err, errlen };
	struct pollfd *pfd = calloc((size_t)g->nr + 1, sizeof(*pfd));
	struct gf_inbox *in = calloc((size_t)g->nr, sizeof(*in));
	unsigned char *open = malloc((size_t)g->nr);
	size_t sent = 0;
	int rc = 0, nopen = g->nr;

	assert(g->nr <= GF_MAX_WORKERS);
	if (!pfd || !c.seen || !in || !open) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	memset(open, 1, (size_t)g->nr);
	while ((c.got < nresults || sent < out_bytes(g)) && rc == 0) {
		rc = gather_step(&c, g, in, open, &nopen, pfd, &sent);
		if (rc == 0 && nopen == 0 && c.got < nresults) {
			snprintf(err, errlen, "every worker exited with %zu results missing",
				 nresults - c.got);
			rc = -EPIPE;
		}
		if (c.got == nresults && !g->last_result)
			g->last_result = gf_clock_now();
	}
	if (!g->last_result)
		g->last_result = gf_clock_now();
	if (stopped(rc))
		stop_reason(rc, procs, n, c.seen, nresults, err, errlen);
out:
	free(pfd);
	free(c.seen);
	free(in);
	free(open);
	return rc;
}

/*
 * Waits for every worker and checks that each exited with status 0. Returns 0, or -ECHILD
 * with the first bad one named in err (the rest are still reaped), or -EINTR or -ETIMEDOUT
 * (err says why; the workers still running are left for gf_procs_stop).
 */
static int procs_join(struct gf_proc *procs, int n, size_t nresults, char *err, size_t errlen)
{
	int rc = 0;

	for (int i = 0; i < n; i++) {
		int r = gf_proc_reap(&procs[i], 1);

		if (stopped(r))
			return stop_reason(r, procs, n, NULL, nresults, err, errlen);
		if (r < 0 && rc == 0) {
			snprintf(err, errlen, "waitpid: %s", strerror(-r));
			rc = r;
		} else if (r == 1 && !gf_proc_ok(&procs[i]) && rc == 0) {
			gf_proc_describe(&procs[i], err, errlen);
			rc = -ECHILD;
		}
	}
	return rc;
}

double gf_procs_start_mean(const struct gf_proc *procs, int n)
{
	double sum = 0;
	int k = 0;

	for (int i = 0; i < n; i++) {
		if (procs[i].ready > 0) {
			sum += procs[i].ready - procs[i].forked;
			k++;
		}
	}
	return k ? sum / k : 0;
}

double gf_procs_cpu(const struct gf_proc *procs, int n, const double *base, const pid_t *base_pid,
		    double *cpu, struct gf_place *place)
{
	double sum = 0;

	for (int i = 0; i < n; i++) {
		double used = procs[i].cpu_s - (base ? base[i] : 0.0);

		if (base_pid && procs[i].pid != base_pid[i])
			used = -1.0;
		if (cpu)
			cpu[i] = used >= 0 ? used : -1.0;
		if (used > 0)
			sum += used;
		if (place && procs[i].cpu >= 0)
			place[i].cpu = procs[i].cpu;
	}
	return sum;
}

/*
 * Adds a run's phases: start (t0 until the last worker was ready), compute (until the last
 * result), stop (until t_end, the join) and worker_start_mean (the mean of each worker's
 * fork-to-ready time: the per-worker start-up, which overlaps start).
 */
static void procs_phases(const struct gf_proc *procs, int n, double t0, double last_result,
			 double t_end, struct gf_phases *ph)
{
	double ready = t0;

	for (int i = 0; i < n; i++)
		if (procs[i].ready > ready)
			ready = procs[i].ready;
	if (ready > last_result)
		ready = last_result; /* a worker can finish before the last one has started */
	gf_phases_add(ph, "start", ready - t0);
	gf_phases_add(ph, "compute", last_result - ready);
	gf_phases_add(ph, "stop", t_end - last_result);
	gf_phases_add(ph, "worker_start_mean", gf_procs_start_mean(procs, n));
}

int gf_procs_finish(struct gf_proc *procs, int n, struct gf_gather *g, struct gf_result *results,
		    size_t nresults, double t0, struct gf_phases *ph, char *err, size_t errlen)
{
	int rc = procs_gather(procs, n, g, results, nresults, err, errlen);

	if (!rc)
		rc = procs_join(procs, n, nresults, err, errlen);
	if (!rc)
		procs_phases(procs, n, t0, g->last_result, gf_clock_now(), ph);
	return rc;
}
