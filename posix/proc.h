/*
 * Worker processes for gilfree-posix: starting one by fork (or fork plus exec of this very
 * binary, the spawn start method), the loop every worker runs, reaping and naming how a
 * worker ended, stopping a set of workers, and the signal handling of a run.
 *
 * The worker protocol, the same for sum, primes and the pool, is a stream of frames (struct
 * gf_frame below): a header saying what the frame is and how many records follow it, then
 * those records, the whole frame written in one write() of at most PIPE_BUF bytes, so that
 * several workers may share a pipe without interleaving. A worker's first frame is a ready
 * frame (no records; its pid and the shared clock when it began its loop in the header); then
 * it reads task frames from its task fd and answers them with result frames, whose header
 * says how much CPU time the worker has used so far and on which CPU it wrote the frame. It leaves
 * with status 0 at a stop frame (the lecture's None) or at end of file between frames; end of file
 * in the middle of a frame, a frame that is not one, or a failed write ends it with a nonzero
 * status.
 *
 * Batches. A task frame says how many task frames of the same chunk follow it in the same pipe
 * (more). A task with more 0 is answered at once, alone: the one-task frames of a shared queue
 * and a pool's chunksize 1 work as they always have. Within a chunk, a worker reads the frames
 * that follow with one read (its pipe is its own: only a pool sends more > 0) and holds its
 * results, writing them when the chunk ends, when GF_BATCH_FRAMES full result frames are
 * held, or when the first held result is GF_BATCH_HOLD old (a timer, so that a long task, or
 * a read that waits for the rest of the chunk, never hides the results before it). The held
 * frames go in one write: the pool's result pipe is the worker's own, so frames need not be
 * written one by one to stay whole. So a chunk of k short tasks costs a read per 64 tasks and
 * a write per chunk, and the parent is woken once per chunk, not once per task. The hold is
 * 10 ms: long enough that a chunk of tasks of a millisecond wakes the parent ten times less
 * often than it would per task (each wake-up of the parent takes CPU from the workers on a
 * machine with no core to spare), short enough for the pool's task timeout (pool.h).
 */
#ifndef GF_PROC_H
#define GF_PROC_H

#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gf_bind.h"
#include "gf_options.h"
#include "gf_report.h"
#include "gf_workload.h"

/* What a frame is. */
enum gf_frame_kind {
	GF_FRAME_READY = 1,  /* worker to parent, no records: it is ready */
	GF_FRAME_TASK = 2,   /* parent to worker, one struct gf_task */
	GF_FRAME_RESULT = 3, /* worker to parent, 1 to GF_FRAME_MAX_RESULTS struct gf_result */
	GF_FRAME_STOP = 4,   /* parent to worker, no records: leave with status 0 */
};

/* Every frame's first bytes: a torn or shifted stream shows as a wrong magic. */
#define GF_FRAME_MAGIC 0x67664672u

/* A frame's header. Plain data, zeroed before use. */
struct gf_frame {
	uint32_t magic; /* GF_FRAME_MAGIC, set by the encoder */
	int32_t kind;   /* enum gf_frame_kind */
	int32_t count;  /* records that follow */
	int32_t worker; /* the sending worker's id (worker to parent) */
	union {
		int32_t pid; /* ready: the worker's pid */
		int32_t cpu; /* result: the CPU the worker wrote it on (sched_getcpu), -1 unknown */
	};
	int32_t more; /* task: task frames of the same chunk that follow it in this pipe */
	union {
		double clock; /* ready: the shared clock when the worker began its loop */
		double cpu_s; /* result: the CPU time of the worker's tasks so far, its
				 process's CPU clock around each task */
	};
};

/* The longest a worker holds a finished task's result before it writes it (see Batches). */
#define GF_BATCH_HOLD 0.010
/* The most result frames a worker holds before it writes them (see Batches). */
#define GF_BATCH_FRAMES 4

/* The most results one frame carries: a header and its records never exceed PIPE_BUF. */
#define GF_FRAME_MAX_RESULTS ((PIPE_BUF - sizeof(struct gf_frame)) / sizeof(struct gf_result))

/*
 * A frame towards workers has one size, whatever its kind (a stop frame's record slot is
 * zero): workers sharing one task pipe each take a whole frame with one read of a known size.
 */
#define GF_TASK_FRAME (sizeof(struct gf_frame) + sizeof(struct gf_task))

_Static_assert(sizeof(struct gf_frame) == 32, "gf_frame is sent as raw bytes");
_Static_assert(GF_FRAME_MAX_RESULTS >= 1, "a result frame holds at least one result");
_Static_assert(sizeof(struct gf_frame) + GF_FRAME_MAX_RESULTS * sizeof(struct gf_result) <=
		       PIPE_BUF,
	       "a result frame is written atomically");
_Static_assert(GF_TASK_FRAME <= PIPE_BUF, "a task frame is written atomically");

/*
 * The size in bytes of a frame of kind with count records: GF_TASK_FRAME for a task or stop
 * frame, the header and its records otherwise; 0 when no such frame exists (an unknown kind,
 * or a count the kind does not allow).
 */
size_t gf_frame_size(int32_t kind, int32_t count);

/*
 * The one encoder: writes the frame h (its magic set here) and its h->count records, taken
 * from records, into buf (at least gf_frame_size bytes). Returns the frame's size, or 0 (and
 * writes nothing) when h is not a frame gf_frame_size allows. Thread-safe.
 */
size_t gf_frame_encode(void *buf, const struct gf_frame *h, const void *records);

/*
 * The one decoder: the frame at the start of buf[0..len). Returns its size in bytes, with the
 * header in *h and *records pointing at its first record inside buf (copy them out:
 * gf_frame_result); 0 when buf holds only the first part of a frame (read more); -EPROTO when
 * the bytes are no frame (a wrong magic, an unknown kind, a count beyond the bound). Thread-safe.
 */
ssize_t gf_frame_decode(const void *buf, size_t len, struct gf_frame *h,
			const unsigned char **records);

/* Copies record k of a decoded result frame's records into *out. */
void gf_frame_result(const unsigned char *records, int32_t k, struct gf_result *out);

/*
 * Encodes and writes one frame to fd in one write of at most PIPE_BUF bytes (blocking, after
 * short counts and EINTR). Returns 0, -EPIPE when the reader has gone, -EINVAL when h is no
 * frame, or another negative errno.
 */
int gf_frame_send(int fd, const struct gf_frame *h, const void *records);

/*
 * Writes what a non-blocking task fd takes of the task frames of tasks[0..n) followed by
 * stops stop frames, from byte *sent of that stream on (advanced by what was written): at
 * most the whole frames that fit in PIPE_BUF at a time, so that workers sharing the pipe never
 * see a torn frame. With chunk, tasks[0..n) are one chunk for one worker, and each task frame
 * says how many follow it (more); without, every frame stands alone (more 0), as a queue
 * shared by several workers needs. Returns 0 (also when the pipe is full), or a negative
 * errno (-EPIPE: every reader has gone).
 */
int gf_frames_send_tasks(int fd, const struct gf_task *tasks, size_t n, size_t stops, int chunk,
			 size_t *sent);

/* What a frame reader hands each whole frame to: returns 0, or a negative errno to stop. */
typedef int (*gf_frame_fn)(void *ctx, const struct gf_frame *h, const unsigned char *records);

/* The bytes read from one result pipe and not yet handed on. Zero it before the first read. */
struct gf_inbox {
	unsigned char buf[PIPE_BUF];
	size_t have;
};

/*
 * Reads what fd holds, in one read (after poll said POLLIN, it does not block), and hands each
 * whole frame to fn in order; the part of a frame still to come stays in in. Returns 0, 1 at
 * end of file with no part of a frame left over, -EAGAIN when a non-blocking fd had nothing,
 * -EIO at end of file in the middle of a frame, -EPROTO when the bytes are no frame, fn's
 * negative errno when it refused one, or read's.
 */
int gf_inbox_read(int fd, struct gf_inbox *in, gf_frame_fn fn, void *ctx);

/* The flag a spawned worker is started with, as argv[1]: "<exe> --gf-worker <id>". */
#define GF_WORKER_FLAG "--gf-worker"

/* One worker process, from the parent's side. Plain data. */
struct gf_proc {
	pid_t pid;     /* 0 when not started, or already reaped */
	int id;        /* the worker's number, 0-based (the lecture's worker id) */
	double forked; /* shared clock just before fork */
	double ready;  /* shared clock from its ready record, 0 until then */
	int status;    /* wait status, valid once reaped */
	int reaped;
	double cpu_s; /* its CPU time at its last result frame (0 before the first) */
	int cpu;      /* the CPU it wrote its last result frame on, -1 before the first */
};

/*
 * Installs the run's signal handling, once, in the parent: SIGPIPE ignored (a gone reader is
 * -EPIPE), SIGCHLD interrupts poll (a dead worker is seen at once), SIGINT, SIGTERM and SIGHUP set
 * the flag gf_proc_interrupted reads, or, while no child is alive, end the process at once with
 * status 128 + signal. Not thread-safe.
 */
void gf_proc_signals_install(void);

/* The signal (SIGINT, SIGTERM or SIGHUP) that asked the run to stop, or 0. Async-signal-safe. */
int gf_proc_interrupted(void);

/*
 * The hidden worker mode. Returns -1 when argv is not "<exe> --gf-worker <id>" (the caller
 * goes on as itself); otherwise runs the worker loop on fds 3 (tasks) and 4 (results) and
 * returns its exit status (2 when fds 3 and 4 are not pipes, with one line on stderr).
 * Every main() whose pool or workers may use the spawn start method calls it first.
 */
int gf_proc_worker_main(int argc, char **argv);

/* How a worker starts: fork alone, or fork then exec of this binary (--start). */
enum gf_start { GF_START_FORK, GF_START_SPAWN };

/*
 * The fork every start of a child that runs this program's code goes through: flushes stdio
 * and forks; in the child, which gets 0, every fd but 0-2 and keep[0..nkeep) is closed (it
 * leaves with status 126 when it cannot), and the caller's child code runs next and leaves
 * with _exit. Returns the child's pid in the parent, or a negative errno. Signal handling is
 * the caller's. Not thread-safe.
 */
pid_t gf_proc_fork(const int *keep, size_t nkeep);

/*
 * Starts worker id: flushes stdio, forks, and in the child keeps only fds 0-2, task_rd and
 * result_wr (every other fd is closed), ignores SIGINT (the parent decides), dies with the
 * parent (PR_SET_PDEATHSIG), pins itself where --bind is on (gf_bind_self, which an exec
 * keeps), and either runs the worker loop and leaves with _exit (fork) or
 * execs this binary (the file /proc/self/exe names) in worker mode with the two fds as 3 and
 * 4 (spawn), prog as its argv[0] and in the child's lines (kept by pointer). The parent keeps its
 * own copies of task_rd and result_wr: the caller closes them once every worker that shares them
 * has started. Returns 0, or a negative errno with a message in err ("cannot start worker 2: fork:
 * Resource temporarily unavailable"). Not thread-safe.
 */
int gf_proc_start(struct gf_proc *p, const char *prog, int id, enum gf_start how, int task_rd,
		  int result_wr, char *err, size_t errlen);

/*
 * gf_proc_start with two pipes of the worker's own, both close-on-exec: on success *task_wr
 * and *result_rd are the parent's ends and the child's ends are closed here; on failure both
 * are -1, nothing is left open, and err says why ("cannot start worker 1: pipe: ...").
 */
int gf_proc_start_piped(struct gf_proc *p, const char *prog, int id, enum gf_start how,
			int *task_wr, int *result_rd, char *err, size_t errlen);

/*
 * Reaps p if it has ended (block: waits for it). Returns 1 once reaped (p->status holds the
 * wait status; calling again returns 1), 0 while it runs, or a negative errno. A blocking wait
 * is never deaf: it returns -EINTR as soon as SIGINT, SIGTERM or SIGHUP asked the run to stop
 * (gf_proc_interrupted), and -ETIMEDOUT once the --timeout deadline (gf_watchdog) has passed;
 * p is then still running, for gf_procs_stop.
 */
int gf_proc_reap(struct gf_proc *p, int block);

/*
 * SIGKILLs p unless it has ended, and reaps it without regard to signals or the deadline
 * (SIGKILL ends even a stopped process at once). Returns 1, or a negative errno (-ECHILD: p
 * was never started).
 */
int gf_proc_kill(struct gf_proc *p);

/* 1 when p was reaped and exited with status 0. */
int gf_proc_ok(const struct gf_proc *p);

/*
 * Writes how p ended: "worker 1 (pid 4242) was killed by signal 9 (Killed)", "... exited
 * with status 3", or "... is still running".
 */
void gf_proc_describe(const struct gf_proc *p, char *buf, size_t len);

/*
 * The same for any child: "<who> (pid <pid>) was killed by ..." or "... exited with status
 * N", from its wait status.
 */
void gf_status_describe(char *buf, size_t len, const char *who, pid_t pid, int status);

/*
 * waitpid, again after EINTR: the pid (0 with WNOHANG while it runs), or a negative errno.
 * Deaf to signals: for a child known to end soon; the run loops use gf_proc_reap.
 */
pid_t gf_waitpid(pid_t pid, int *status, int flags);

/*
 * Stops and reaps every started, unreaped worker in procs[0..n): SIGTERM (and SIGCONT, so that
 * a stopped worker gets it), up to one second's grace, then SIGKILL. Returns when none is left.
 * Safe to call on any path, an interrupted one too.
 */
void gf_procs_stop(struct gf_proc *procs, int n);

/*
 * poll() for the run loops: returns poll's count, or 0 on a timeout or a harmless signal
 * (SIGCHLD: the caller checks its workers), -EINTR when SIGINT, SIGTERM or SIGHUP asked the
 * run to stop, -ETIMEDOUT once the --timeout deadline (gf_watchdog) has passed, or another
 * negative errno. timeout_ms is shortened to the time left to the deadline; a stop signal that
 * arrives just before the call is not missed (ppoll).
 */
int gf_proc_poll(struct pollfd *fds, nfds_t n, int timeout_ms);

/*
 * The line a run prints when a loop saw the --timeout deadline pass, without "<prog>: ", into
 * buf (len bytes): "--timeout 2 s passed in repetition 1 of 5: tasks 3, 5 (of 6) had no
 * result; workers 1 (pid 4242) and 2 (pid 4243) stopped". done[i] zero: task i had no result
 * (at most ten are named, then "..."; done NULL: "every task had its result", or nothing
 * when ntasks is 0); named[i]
 * nonzero: procs[i] is named as stopped (NULL: none). The caller stops them.
 */
void gf_timeout_describe(char *buf, size_t len, const unsigned char *done, size_t ntasks,
			 const struct gf_proc *procs, const unsigned char *named, int n);

/*
 * Says why a run failed, in one line without the program name, into out (len bytes):
 * "interrupted by SIGINT" when rc is -EINTR after a stop signal, else err.
 */
void gf_proc_why(int rc, const char *err, char *out, size_t len);

/* Prints gf_proc_why's line as "<prog>: <line>", where no gf_rep takes it (set-up, tear-down). */
void gf_proc_report(const char *prog, int rc, const char *err);

/* Prints "<prog>: <message>" on stderr. */
void gf_proc_error(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * What gf_procs_finish moves: the result fds to read (one per worker, rfds[i] belonging to
 * worker i, or a single fd shared by all), and optionally task frames still to send on a
 * non-blocking task fd (gf_frames_send_tasks: tasks[0..ntasks), then nstops stop frames).
 */
struct gf_gather {
	const int *rfds;
	int nr;
	int out_fd; /* -1: nothing to send */
	const struct gf_task *tasks;
	size_t ntasks, nstops;
	double last_result; /* filled: shared clock when the last result arrived */
};

/*
 * The end of a run of one-shot workers: collects nresults results, each into results[its
 * index], from the workers procs[0..n), sending g->out meanwhile, and failing fast, naming the
 * worker and its signal or status in err, when a worker dies, a result pipe ends early or a
 * record is malformed; then joins every worker (each must exit with status 0) and adds the
 * run's phases from t0: start (until the last worker was ready), compute (until the last
 * result), stop (the join) and worker_start_mean (the mean fork-to-ready time). Returns 0 or
 * the first failure, with err saying why: -EINTR on SIGINT, SIGTERM or SIGHUP; -ETIMEDOUT when
 * the --timeout deadline passed (err is gf_timeout_describe's line, naming the tasks without a
 * result and the workers still running). On failure the workers are left for gf_procs_stop.
 */
int gf_procs_finish(struct gf_proc *procs, int n, struct gf_gather *g, struct gf_result *results,
		    size_t nresults, double t0, struct gf_phases *ph, char *err, size_t errlen);

/* The mean fork-to-ready time of procs[0..n), 0 when none is ready. */
double gf_procs_start_mean(const struct gf_proc *procs, int n);

/*
 * What procs[0..n) (worker i in procs[i]) used in a repetition, as their result frames said:
 * worker i's CPU time since base[i] (its cpu_s when the repetition began; base NULL: since it
 * started) into cpu[i], or -1 where its pid is no longer base_pid[i] (replaced: the time of
 * the worker it replaced is lost); and the CPU it wrote its last result frame on into
 * place[i].cpu, where one came. Returns the sum of the times known.
 */
double gf_procs_cpu(const struct gf_proc *procs, int n, const double *base, const pid_t *base_pid,
		    double *cpu, struct gf_place *place);

struct gf_rep;

/*
 * The end of a repetition whose workers live for it alone (sum's, the queue's), rc being how
 * it went so far: when 0, gf_procs_finish, then what the n workers used into rep; when
 * anything failed, here or before, the started workers stopped and why in rep->err (for the
 * driver to print). Returns the final rc.
 */
int gf_procs_conclude(struct gf_proc *procs, int n, int started, struct gf_gather *g,
		      struct gf_result *results, size_t nresults, double t0, struct gf_rep *rep,
		      int rc, char *err, size_t errlen);

#endif
