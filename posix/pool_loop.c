/*
 * The pool's event loop (pool_impl.h): its slots and the workers in them, the chunks each
 * holds, the frames read and written without blocking, the task timeouts, and one step of
 * poll that moves them all on.
 */
#include "pool_impl.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gf_clock.h"
#include "gf_io.h"
#include "gf_stdio.h"
#include "proc.h"

static void fail_jobs(struct gf_pool *p, int rc)
{
	for (struct gf_pool_job *j = p->head; j; j = j->next_job)
		if (!j->error && j->ndone < j->n)
			j->error = rc;
}

/* Work submitted and not finished, or still held by a worker. */
int gf__pool_pending(const struct gf_pool *p)
{
	for (const struct gf_pool_job *j = p->head; j; j = j->next_job)
		if (j->holders > 0 || (!j->error && j->ndone < j->n))
			return 1;
	return 0;
}

static void pool_fail(struct gf_pool *p, int rc)
{
	if (!p->error)
		p->error = rc;
	fail_jobs(p, rc);
}

/*
 * A wait was interrupted (-EINTR) or the --timeout deadline passed (-ETIMEDOUT): says so in
 * p->err, naming the first unfinished job's tasks without a result and the workers holding
 * work (before any job: those not yet ready; after the last: those still running), and fails
 * the pool. The caller terminates it. Returns rc.
 */
int gf__pool_stopped(struct gf_pool *p, int rc)
{
	const struct gf_pool_job *j = p->head;
	unsigned char *named = calloc((size_t)p->n, 1);
	int after = p->closed && !gf__pool_pending(p);

	while (j && (j->error || j->ndone == j->n))
		j = j->next_job;
	for (int i = 0; named && i < p->n; i++)
		named[i] = after ? !p->procs[i].reaped : j ? p->s[i].nheld > 0 : !p->s[i].ready;
	if (rc == -EINTR)
		snprintf(p->err, sizeof(p->err), "interrupted by %s",
			 gf_signal_name(gf_proc_interrupted()));
	else
		/* after the last job, every task had its result: say so (ntasks 1, done NULL) */
		gf_timeout_describe(p->err, sizeof(p->err), j ? j->done : NULL,
				    j ? j->n : (size_t)after, p->procs, named, p->n);
	free(named);
	pool_fail(p, rc);
	return rc;
}

/* Starts a worker in slot i, with two fresh pipes; the slot's count of early deaths stays. */
int gf__pool_slot_start(struct gf_pool *p, int i)
{
	struct slot *s = &p->s[i];
	int rc, early = s->early;

	memset(s, 0, sizeof(*s));
	s->early = early;
	rc = gf_proc_start_piped(&p->procs[i], p->prog, i, p->how, &s->tfd, &s->rfd, p->err,
				 sizeof(p->err));
	return rc ? rc : gf_fd_set_nonblock(s->tfd, 1);
}

/* Gives tasks[start .. start + len) of j back, to be sent again. Returns 0 or -ENOMEM. */
static int give_back(struct gf_pool_job *j, size_t start, size_t len)
{
	if (!len)
		return 0;
	if (j->nredo == j->capredo) {
		size_t cap = j->capredo ? 2 * j->capredo : 4;
		struct range *r = realloc(j->redo, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		j->redo = r;
		j->capredo = cap;
	}
	j->redo[j->nredo++] = (struct range){ start, len };
	return 0;
}

/*
 * Slot i's worker has gone (its result pipe ended, its task pipe broke, or it broke the
 * protocol): reap it, name it, give its unanswered tasks back to their job, and start a
 * replacement in the same slot.
 */
static int slot_lost(struct gf_pool *p, int i, int kill_it)
{
	struct slot *s = &p->s[i];
	struct gf_proc *pr = &p->procs[i];
	int was_ready = s->ready, rc;

	gf_fd_close(&s->tfd);
	gf_fd_close(&s->rfd);
	/* a worker whose pipe ended is on its way out; one that broke the protocol is killed */
	rc = kill_it ? gf_proc_kill(pr) : gf_proc_reap(pr, 1);
	if (rc == -EINTR || rc == -ETIMEDOUT)
		return gf__pool_stopped(p, rc);
	gf_proc_describe(pr, p->st.last_death, sizeof(p->st.last_death));
	for (int k = 0; k < s->nheld; k++) {
		struct held *c = &s->h[k];
		size_t done = k == 0 ? s->answered : 0;

		if (give_back(c->job, c->start + done, c->len - done)) {
			pool_fail(p, -ENOMEM);
			return -ENOMEM;
		}
		p->st.rerun += (long)(c->len - done);
		c->job->holders--;
	}
	s->nheld = 0;
	if (!was_ready && ++s->early >= MAX_TRIES) {
		/*
		 * Workers that keep dying before their first word (exec failing, say) would only
		 * repeat: give up. One such death may be a kill from outside; it is replaced.
		 */
		snprintf(p->err, sizeof(p->err), "%s before it was ready", p->st.last_death);
		pool_fail(p, -ECHILD);
		return -ECHILD;
	}
	p->st.replaced++;
	rc = gf__pool_slot_start(p, i);
	if (rc) {
		pool_fail(p, -ECHILD);
		return -ECHILD;
	}
	return 0;
}

/*
 * The job a slot's next chunk comes from: the first with lost tails or new tasks. A worker
 * that already holds a chunk takes a next one only from new tasks, and only while more remain
 * than one chunk for every worker, so that the last chunks go to whoever is free first.
 */
static struct gf_pool_job *next_job(const struct gf_pool *p, const struct slot *s)
{
	for (struct gf_pool_job *j = p->head; j; j = j->next_job) {
		if (j->error)
			continue;
		if (!s->nheld) {
			if (j->nredo || j->next < j->n)
				return j;
			continue;
		}
		if (j->nredo)
			return NULL; /* lost tails go to an idle worker */
		if (j->n - j->next > (size_t)p->n * j->chunksize)
			return j;
		if (j->next < j->n)
			return NULL; /* not ahead of an earlier job's tail */
	}
	return NULL;
}

/*
 * Hands ready workers chunks until each holds AHEAD or none is left to hand out: lost tails
 * first, then new tasks, job by job.
 */
void gf__pool_dispatch(struct gf_pool *p)
{
	for (int i = 0; i < p->n; i++) {
		struct slot *s = &p->s[i];
		struct gf_pool_job *j;
		struct held *c;

		if (s->nheld == AHEAD || !s->ready || s->tfd < 0 || !(j = next_job(p, s)))
			continue;
		c = &s->h[s->nheld];
		*c = (struct held){ .job = j };
		if (j->nredo) {
			struct range r = j->redo[--j->nredo];

			c->start = r.start;
			c->len = r.len;
		} else {
			c->start = j->next;
			c->len = j->n - j->next < j->chunksize ? j->n - j->next : j->chunksize;
			j->next += c->len;
		}
		for (size_t k = c->start; k < c->start + c->len; k++) {
			if (++j->tries[k] > MAX_TRIES) {
				snprintf(p->err, sizeof(p->err),
					 "task %zu lost its worker %d times (last: %s)", k,
					 MAX_TRIES, p->st.last_death);
				j->error = -ECHILD;
			}
		}
		i--; /* this worker may take another: a second chunk, or the next job's */
		if (j->error)
			continue;
		if (s->nheld++ == 0) {
			s->answered = 0;
			s->since = gf_clock_now();
		}
		j->holders++;
	}
}

/* One result from slot i, in order. Returns 0, or -EPROTO when it makes no sense. */
static int slot_record(struct gf_pool *p, int i, const struct gf_result *rec)
{
	struct slot *s = &p->s[i];
	struct gf_pool_job *j = s->nheld ? s->h[0].job : NULL;
	size_t k;

	if (!j || s->answered >= s->h[0].len)
		return -EPROTO;
	k = s->h[0].start + s->answered;
	if (rec->index != j->tasks[k].index || rec->key != j->tasks[k].key || j->done[k])
		return -EPROTO;
	j->results[k] = *rec;
	j->done[k] = 1;
	j->ndone++;
	if (++s->answered == s->h[0].len) {
		j->holders--;
		memmove(&s->h[0], &s->h[1], (size_t)(--s->nheld) * sizeof(s->h[0]));
		s->answered = 0;
	}
	return 0;
}

/* A slot's frame, for gf_inbox_read. */
struct slot_ctx {
	struct gf_pool *p;
	int i;
};

/* One frame from slot i's worker: its ready frame first, then results. */
static int slot_frame(void *arg, const struct gf_frame *h, const unsigned char *records)
{
	struct slot_ctx *c = arg;
	struct slot *s = &c->p->s[c->i];

	if (h->kind == GF_FRAME_READY && !s->ready) {
		s->ready = 1;
		s->early = 0;
		c->p->procs[c->i].ready = h->clock;
		return 0;
	}
	if (h->kind != GF_FRAME_RESULT)
		return -EPROTO;
	c->p->procs[c->i].cpu_s = h->cpu_s;
	c->p->procs[c->i].cpu = h->cpu;
	for (int32_t k = 0; k < h->count; k++) {
		struct gf_result rec;

		gf_frame_result(records, k, &rec);
		if (slot_record(c->p, c->i, &rec))
			return -EPROTO;
	}
	s->since = gf_clock_now(); /* the task timeout starts again for the next one */
	return 0;
}

/*
 * Reads what slot i's result pipe holds. Returns 0, -EPIPE when the worker is gone (end of
 * file; a torn frame with it is lost too) or -EPROTO when it broke the protocol.
 */
static int slot_read(struct gf_pool *p, int i)
{
	struct slot_ctx c = { p, i };
	int r = gf_inbox_read(p->s[i].rfd, &p->s[i].in, slot_frame, &c);

	if (r == 0 || r == -EAGAIN)
		return 0;
	return r == -EPROTO ? -EPROTO : -EPIPE;
}

/* The first chunk of slot s whose frames are not all written, or NULL. */
static struct held *unsent(struct slot *s)
{
	for (int k = 0; k < s->nheld; k++)
		if (s->h[k].sent < s->h[k].len * GF_TASK_FRAME)
			return &s->h[k];
	return NULL;
}

/*
 * Writes what slot i's pipe takes of its chunks, in order. Returns 0, or -EPIPE when the
 * worker is gone.
 */
static int slot_write(struct gf_pool *p, int i)
{
	struct held *c = unsent(&p->s[i]);

	if (c &&
	    gf_frames_send_tasks(p->s[i].tfd, &c->job->tasks[c->start], c->len, 0, 1, &c->sent))
		return -EPIPE;
	return 0;
}

/* ms (-1: none) shortened to the time until the first worker passes its task timeout. */
static int task_timeout_ms(const struct gf_pool *p, int ms)
{
	double now = gf_clock_now();

	for (int i = 0; p->task_timeout > 0 && i < p->n; i++) {
		double left = p->s[i].since + p->task_timeout - now;
		int m = left <= 0 ? 0 : (int)ceil(left * 1000);

		if (p->s[i].nheld && (ms < 0 || m < ms))
			ms = m;
	}
	return ms;
}

/*
 * Kills every worker that has held its current task longer than the task timeout, names it,
 * and replaces it as slot_lost does any lost worker: its unanswered tasks are sent again, and
 * count towards MAX_TRIES. Returns 0 or slot_lost's failure.
 */
static int task_timeouts(struct gf_pool *p)
{
	double now = gf_clock_now();

	for (int i = 0; p->task_timeout > 0 && i < p->n; i++) {
		struct slot *s = &p->s[i];
		char what[sizeof(p->st.last_timeout)];
		size_t left;
		int rc;

		if (!s->nheld || now - s->since <= p->task_timeout)
			continue;
		left = s->h[0].len - s->answered;
		for (int k = 1; k < s->nheld; k++)
			left += s->h[k].len;
		snprintf(what, sizeof(what), "worker %d (pid %ld) held task %zu for more than %g s",
			 i, (long)p->procs[i].pid, s->h[0].start + s->answered, p->task_timeout);
		rc = slot_lost(p, i, 1);
		memcpy(p->st.last_timeout, what, sizeof(what));
		p->st.timed_out++;
		p->st.last_timeout_tasks = (long)left;
		snprintf(p->st.last_death, sizeof(p->st.last_death), "%s: killed", what);
		if (rc)
			return rc;
	}
	return 0;
}

/* One round of the event loop: dispatch, poll, read and write. Returns 0 or a negative errno. */
int gf__pool_step(struct gf_pool *p)
{
	int r;

	if (p->error)
		return p->error;
	if (p->finished) {
		snprintf(p->err, sizeof(p->err), "the pool has no workers left");
		return -EINVAL;
	}
	gf__pool_dispatch(p);
	for (int i = 0; i < p->n; i++) {
		struct slot *s = &p->s[i];
		int writing, rc;

		/* a chunk just handed out goes now, not after a poll round: the pipe has room */
		if (unsent(s) && slot_write(p, i) && (rc = slot_lost(p, i, 0)))
			return rc;
		writing = unsent(s) != NULL;

		p->pfd[2 * i] = (struct pollfd){ .fd = s->rfd, .events = POLLIN };
		p->pfd[2 * i + 1] =
			(struct pollfd){ .fd = writing ? s->tfd : -1, .events = POLLOUT };
	}
	r = gf_proc_poll(p->pfd, (nfds_t)2 * (nfds_t)p->n, task_timeout_ms(p, 100));
	if (r == -EINTR || r == -ETIMEDOUT)
		return gf__pool_stopped(p, r);
	if (r < 0) {
		snprintf(p->err, sizeof(p->err), "poll: %s", strerror(-r));
		return r;
	}
	/* Slot by slot, reading before writing, so a replaced slot's new fds are not confused
	   with the old ones' events. */
	for (int i = 0; i < p->n && r > 0; i++) {
		int rc = 0;

		if (p->pfd[2 * i].revents)
			rc = slot_read(p, i);
		if (!rc && p->pfd[2 * i + 1].revents)
			rc = slot_write(p, i);
		if (rc && (rc = slot_lost(p, i, rc == -EPROTO)))
			return rc;
	}
	return p->error ? p->error : task_timeouts(p);
}
