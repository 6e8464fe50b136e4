/*
 * The pool's internals (pool.h is its interface): its state, shared by pool.c (the
 * lifecycle and the calls of pool.h) and pool_loop.c (the event loop that moves the jobs on).
 */
#ifndef GF_POOL_IMPL_H
#define GF_POOL_IMPL_H

#include "pool.h"

#include <poll.h>
#include <stddef.h>

#include "proc.h"

#define MAX_TRIES                                                                                  \
	3 /* a task that loses its worker, or a slot whose new workers die before                  \
	   * they are ready, this often in a row fails the job */

struct range {
	size_t start, len;
};

struct gf_pool_job {
	struct gf_pool *pool;
	struct gf_task *tasks; /* a copy, so the caller's array may go */
	struct gf_result *results;
	unsigned char *done;  /* results[i] has arrived */
	unsigned char *tries; /* times tasks[i] was sent */
	size_t n, chunksize;
	size_t ndone;       /* results arrived */
	size_t next;        /* first task never sent */
	size_t yielded;     /* imap: results handed out */
	struct range *redo; /* chunk tails lost with their worker, to send again */
	size_t nredo, capredo;
	int holders; /* workers holding one of its chunks */
	int error;   /* 0, or why the job failed */
	struct gf_pool_job *prev, *next_job;
};

/*
 * The chunks a worker holds at once: the one it is answering and the next, already in its
 * pipe, so that it goes from one to the next without waiting for the parent between them.
 */
#define AHEAD 2

/* A chunk handed to a worker: job->tasks[start .. start + len). */
struct held {
	struct gf_pool_job *job;
	size_t start, len;
	size_t sent; /* bytes of its task frames written */
};

/* One worker slot: the process in it changes when a worker dies; its id does not. */
struct slot {
	int tfd, rfd;         /* the parent's ends: tasks (non-blocking), results */
	int ready;            /* its ready frame has arrived */
	int early;            /* workers in a row that died before they were ready */
	struct held h[AHEAD]; /* h[0] is being answered, the others follow it in the pipe */
	int nheld;            /* chunks held */
	size_t answered;      /* results of h[0] received (they arrive in order) */
	double since;         /* when its current task (h[0]'s first unanswered) became so */
	struct gf_inbox in;   /* the result pipe's bytes not yet handed on */
};

struct gf_pool {
	const char *prog; /* the workers' argv[0] and lines (gf_proc_start) */
	int n;
	enum gf_start how;
	struct gf_proc *procs; /* [n], an array so gf_procs_stop can take them */
	struct slot *s;        /* [n] */
	struct pollfd *pfd;    /* [2n]: slot i's result fd at 2i, task fd at 2i + 1 */
	struct gf_pool_job *head, *tail;
	int closed;          /* no more submissions */
	int finished;        /* joined or terminated: no workers left */
	int error;           /* the pool itself failed: every waiting call fails */
	double task_timeout; /* seconds a worker may hold its current task, 0: for ever */
	struct gf_pool_stats st;
	char err[256];
};

/* Work submitted and not finished, or still held by a worker. */
int gf__pool_pending(const struct gf_pool *p);
/*
 * A wait was interrupted (-EINTR) or the --timeout deadline passed (-ETIMEDOUT): says so in
 * p->err and fails the pool. The caller terminates it. Returns rc.
 */
int gf__pool_stopped(struct gf_pool *p, int rc);
/* Starts a worker in slot i, with two fresh pipes; the slot's count of early deaths stays. */
int gf__pool_slot_start(struct gf_pool *p, int i);
/* Hands ready workers chunks until each holds AHEAD or none is left to hand out. */
void gf__pool_dispatch(struct gf_pool *p);
/* One round of the event loop: dispatch, poll, read and write. Returns 0 or a negative errno. */
int gf__pool_step(struct gf_pool *p);

#endif
