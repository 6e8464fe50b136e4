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
size_t gf_pool_default_chunksize(size_t n, int workers)
{
	size_t w = (size_t)(workers > 0 ? workers : 1) * 4, c = (n + w - 1) / w;

	return c ? c : 1;
}
int gf_pool_set_task_timeout(struct gf_pool *p, double seconds)
{
	if (!(seconds >= 0)) /* NaN too */
		return -EINVAL;
	p->task_timeout = seconds;
	return 0;
}

int gf_pool_create(const char *prog, int workers, enum gf_start how, struct gf_pool **out,
		   char *err, size_t errlen)
{
	struct gf_pool *p = calloc(1, sizeof(*p));
	double t0 = gf_clock_now();
	int rc = -ENOMEM, all;

	*out = NULL;
	if (workers < 1) {
		snprintf(err, errlen, "a pool needs at least one worker, not %d", workers);
		free(p);
		return -EINVAL;
	}
	if (!p || !(p->procs = calloc((size_t)workers, sizeof(*p->procs))) ||
	    !(p->s = calloc((size_t)workers, sizeof(*p->s))) ||
	    !(p->pfd = calloc(2 * (size_t)workers, sizeof(*p->pfd)))) {
		snprintf(err, errlen, "out of memory");
		gf_pool_free(p);
		return -ENOMEM;
	}
	p->prog = prog;
	p->n = workers;
	p->how = how;
	p->st.workers = workers;
	for (int i = 0; i < workers; i++)
		p->s[i].tfd = p->s[i].rfd = -1;
	for (int i = 0; i < workers; i++) {
		rc = gf__pool_slot_start(p, i);
		if (rc)
			goto fail;
	}
	/* The ready handshake: the pool is started when every worker has said so. */
	do {
		rc = gf__pool_step(p);
		all = 1;
		for (int i = 0; i < workers; i++)
			all &= p->s[i].ready;
	} while (!rc && !all);
	if (rc)
		goto fail;
	p->st.start_seconds = gf_clock_now() - t0;
	p->st.worker_start_mean = gf_procs_start_mean(p->procs, workers);
	*out = p;
	return 0;
fail:
	snprintf(err, errlen, "%s", p->err);
	gf_pool_free(p);
	return rc;
}

static int submit(struct gf_pool *p, const struct gf_task *tasks, size_t n, size_t chunksize,
		  struct gf_pool_job **out)
{
	struct gf_pool_job *j;
	size_t m = n ? n : 1;

	*out = NULL;
	if (p->closed || p->finished) {
		snprintf(p->err, sizeof(p->err), "the pool is closed");
		return -EINVAL;
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->tasks = malloc(m * sizeof(*j->tasks));
	j->results = calloc(m, sizeof(*j->results));
	j->done = calloc(m, 1);
	j->tries = calloc(m, 1);
	if (!j->tasks || !j->results || !j->done || !j->tries) {
		free(j->tasks);
		free(j->results);
		free(j->done);
		free(j->tries);
		free(j);
		return -ENOMEM;
	}
	if (n)
		memcpy(j->tasks, tasks, n * sizeof(*tasks));
	j->n = n;
	j->chunksize = chunksize ? chunksize : gf_pool_default_chunksize(n, p->n);
	j->pool = p;
	j->prev = p->tail;
	if (p->tail)
		p->tail->next_job = j;
	else
		p->head = j;
	p->tail = j;
	*out = j;
	return 0;
}

int gf_pool_imap(struct gf_pool *p, const struct gf_task *tasks, size_t n, size_t chunksize,
		 struct gf_pool_job **out)
{
	return submit(p, tasks, n, chunksize, out);
}

int gf_pool_apply_async(struct gf_pool *p, const struct gf_task *task, struct gf_pool_job **out)
{
	return submit(p, task, 1, 1, out);
}

int gf_pool_next(struct gf_pool_job *j, struct gf_result *out)
{
	if (j->yielded == j->n)
		return 0;
	while (!j->done[j->yielded]) {
		int rc = j->error ? j->error : gf__pool_step(j->pool);

		if (rc)
			return rc;
	}
	*out = j->results[j->yielded++];
	return 1;
}

int gf_pool_get(struct gf_pool_job *j, struct gf_result *out)
{
	while (!j->done[0]) {
		int rc = j->error ? j->error : gf__pool_step(j->pool);

		if (rc)
			return rc;
	}
	*out = j->results[0];
	return 0;
}

void gf_pool_job_free(struct gf_pool_job *j)
{
	struct gf_pool *p;

	if (!j)
		return;
	p = j->pool;
	/* Nothing more of this job is handed out (dispatch skips a job with an error)... */
	if (!j->error && j->ndone < j->n)
		j->error = -ECANCELED;
	/* ...but workers still hold chunks that point into it: let them finish first. */
	while (j->holders > 0 && !p->finished && gf__pool_step(p) == 0)
		;
	if (j->holders > 0)
		gf_pool_terminate(p);
	if (j->prev)
		j->prev->next_job = j->next_job;
	else
		p->head = j->next_job;
	if (j->next_job)
		j->next_job->prev = j->prev;
	else
		p->tail = j->prev;
	free(j->tasks);
	free(j->results);
	free(j->done);
	free(j->tries);
	free(j->redo);
	free(j);
}

int gf_pool_map(struct gf_pool *p, const struct gf_task *tasks, size_t n, size_t chunksize,
		struct gf_result *results)
{
	struct gf_pool_job *j;
	int rc = submit(p, tasks, n, chunksize, &j);

	if (rc)
		return rc;
	while (!rc && !j->error && j->ndone < j->n)
		rc = gf__pool_step(p);
	if (!rc)
		rc = j->error;
	if (!rc && n)
		memcpy(results, j->results, n * sizeof(*results));
	/* A failed map leaves the pool unusable only if the pool itself failed. */
	gf_pool_job_free(j);
	return rc;
}

void gf_pool_close(struct gf_pool *p)
{
	p->closed = 1;
}

int gf_pool_join(struct gf_pool *p)
{
	int rc = 0;

	if (!p->closed) {
		snprintf(p->err, sizeof(p->err), "join before close");
		return -EINVAL;
	}
	if (p->finished)
		return 0;
	while (!rc && gf__pool_pending(p))
		rc = gf__pool_step(p);
	if (rc) {
		gf_pool_terminate(p);
		return rc;
	}
	/* End of file on each task pipe is the workers' signal to leave. */
	for (int i = 0; i < p->n; i++)
		gf_fd_close(&p->s[i].tfd);
	for (int i = 0; i < p->n; i++) {
		int r = p->procs[i].pid ? gf_proc_reap(&p->procs[i], 1) : 0;

		if (r == -EINTR || r == -ETIMEDOUT) {
			gf__pool_stopped(p, r);
			gf_pool_terminate(p);
			return r;
		}
		if (r == 1 && !gf_proc_ok(&p->procs[i]) && !rc) {
			gf_proc_describe(&p->procs[i], p->err, sizeof(p->err));
			rc = -ECHILD;
		}
	}
	for (int i = 0; i < p->n; i++)
		gf_fd_close(&p->s[i].rfd);
	p->finished = 1;
	return rc;
}

void gf_pool_terminate(struct gf_pool *p)
{
	for (int i = 0; i < p->n; i++)
		gf_fd_close(&p->s[i].tfd);
	gf_procs_stop(p->procs, p->n);
	for (int i = 0; i < p->n; i++) {
		gf_fd_close(&p->s[i].rfd);
		p->s[i].nheld = 0;
	}
	for (struct gf_pool_job *j = p->head; j; j = j->next_job) {
		j->holders = 0;
		if (!j->error && j->ndone < j->n)
			j->error = -ECANCELED;
	}
	p->closed = 1;
	p->finished = 1;
}

void gf_pool_free(struct gf_pool *p)
{
	if (!p)
		return;
	if (p->n && !p->finished)
		gf_pool_terminate(p);
	while (p->head)
		gf_pool_job_free(p->head);
	free(p->procs);
	free(p->s);
	free(p->pfd);
	free(p);
}

const struct gf_proc *gf_pool_procs(const struct gf_pool *p)
{
	return p->procs;
}

pid_t gf_pool_worker_pid(const struct gf_pool *p, int i)
{
	if (i < 0 || i >= p->n || p->procs[i].reaped)
		return 0;
	return p->procs[i].pid;
}

void gf_pool_get_stats(const struct gf_pool *p, struct gf_pool_stats *s)
{
	*s = p->st;
}

const char *gf_pool_error(const struct gf_pool *p)
{
	return p->err;
}
