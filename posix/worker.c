/*
 * The worker's side (proc.h): its loop over task frames, its held results and their hold timer,
 * its signals, and the entry point of a spawned worker.
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

/*
 * A worker's held results (Batches, in proc.h). The hold timer's handler writes them too, so
 * the loop marks the moments it changes them (busy) and the handler then leaves the write to
 * the loop (due).
 */
static struct batch {
	int fd, id;
	int n;
	double cpu_s; /* the CPU time of its tasks so far: the frames' cpu_s */
	volatile sig_atomic_t busy, due, broken;
	struct gf_result r[GF_BATCH_FRAMES * GF_FRAME_MAX_RESULTS];
	unsigned char out[GF_BATCH_FRAMES * PIPE_BUF];
} batch;

/*
 * Writes the held results as whole result frames, all in one write: only a pool holds more
 * than one result, and its result pipe is the worker's own, so that frames need not be
 * written one by one to stay whole. Each header says the worker's CPU time so far and its
 * CPU (clock_gettime and getcpu, both plain system calls). Async-signal-safe; only while
 * nothing else writes.
 */
static void batch_write(void)
{
	size_t len = 0;

	for (int k = 0; k < batch.n; k += (int)GF_FRAME_MAX_RESULTS) {
		int left = batch.n - k;
		struct gf_frame h = { .kind = GF_FRAME_RESULT,
				      .count = left < (int)GF_FRAME_MAX_RESULTS
						       ? left
						       : (int)GF_FRAME_MAX_RESULTS,
				      .worker = batch.id,
				      .cpu = gf_where_cpu(),
				      .cpu_s = batch.cpu_s };

		len += gf_frame_encode(batch.out + len, &h, &batch.r[k]);
	}
	if (len && gf_write_full(batch.fd, batch.out, len))
		batch.broken = 1; /* -EPIPE: the parent is gone */
	batch.n = 0;
}

/* The hold timer: the first held result is GF_BATCH_HOLD old. */
static void on_hold(int sig)
{
	int e = errno;

	(void)sig;
	atomic_signal_fence(memory_order_seq_cst);
	if (batch.busy)
		batch.due = 1;
	else
		batch_write();
	atomic_signal_fence(memory_order_seq_cst);
	errno = e;
}

/* Holds r, or writes it with those held when flush (the chunk ended) or the frame is full. */
static void batch_add(const struct gf_result *r, int flush)
{
	batch.busy = 1;
	atomic_signal_fence(memory_order_seq_cst);
	batch.r[batch.n++] = *r;
	if (batch.n == 1 && !flush) {
		struct itimerval hold = { .it_value = { 0, (long)(GF_BATCH_HOLD * 1e6) } };

		setitimer(ITIMER_REAL, &hold, NULL); /* replaces a stale one */
	}
	if (flush || batch.n == (int)(GF_BATCH_FRAMES * GF_FRAME_MAX_RESULTS) || batch.due) {
		batch.due = 0;
		batch_write();
	}
	atomic_signal_fence(memory_order_seq_cst);
	batch.busy = 0;
	atomic_signal_fence(memory_order_seq_cst);
	if (batch.due)
		on_hold(SIGALRM); /* it came while busy */
}

/* Writes the held results now (before a read that may wait, and at the end). */
static void batch_flush(void)
{
	batch.busy = 1;
	atomic_signal_fence(memory_order_seq_cst);
	batch.due = 0;
	batch_write();
	atomic_signal_fence(memory_order_seq_cst);
	batch.busy = 0;
}

/*
 * Reads the next frames: exactly one (want 1: the pipe may be shared), or up to want whole
 * frames of the worker's own pipe. Returns the bytes read (a multiple of GF_TASK_FRAME), 0 at
 * end of file before a frame, or -1 for a read error or end of file inside a frame.
 */
static ssize_t read_frames(int fd, unsigned char *buf, size_t want)
{
	ssize_t got = want == 1 ? gf_read_full(fd, buf, GF_TASK_FRAME)
				: gf_read_some(fd, buf, want * GF_TASK_FRAME);
	size_t part;

	if (got <= 0)
		return got;
	part = (size_t)got % GF_TASK_FRAME;
	if (part &&
	    gf_read_full(fd, buf + got, GF_TASK_FRAME - part) != (ssize_t)(GF_TASK_FRAME - part))
		return -1;
	return part ? got + (ssize_t)(GF_TASK_FRAME - part) : got;
}

/*
 * The loop every worker runs (the protocol at the top of proc.h). Returns the worker's exit
 * status.
 */
int gf__proc_worker_loop(int task_rd, int result_wr, int id)
{
	enum { PER_READ = PIPE_BUF / GF_TASK_FRAME };
	unsigned char buf[PER_READ * GF_TASK_FRAME];
	struct gf_frame h = { .kind = GF_FRAME_READY, .worker = id };
	struct sigaction sa;
	size_t want = 1;

	batch = (struct batch){ .fd = result_wr, .id = id };
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_hold;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	h.pid = (int32_t)getpid();
	h.clock = gf_clock_now();
	if (gf_frame_send(result_wr, &h, NULL))
		return 1;
	for (;;) {
		ssize_t got;

		/* a read that waits while results are held is bounded by the hold timer: the rest
		   of the chunk is on its way, the parent writes it whatever the results do */
		got = read_frames(task_rd, buf, want);
		if (got <= 0) {
			if (got < 0)
				return 3;
			batch_flush();
			return batch.broken ? 1 : 0;
		}
		for (ssize_t at = 0; at < got; at += (ssize_t)GF_TASK_FRAME) {
			const unsigned char *rec;
			struct gf_result r;
			struct gf_task t;
			double cpu;

			/* a torn frame, a read error or bytes that are no task: never a silent
			 * success */
			if (gf_frame_decode(buf + at, GF_TASK_FRAME, &h, &rec) <= 0)
				return 3;
			if (h.kind == GF_FRAME_STOP) {
				batch_flush();
				return batch.broken ? 1 : 0;
			}
			if (h.kind != GF_FRAME_TASK)
				return 3;
			memcpy(&t, rec, sizeof(t));
			/* its tasks' CPU time, not its process's since the fork: the share is
			   that of the tasks, whose wall time is busy (gf_disturb.h) */
			cpu = gf_cpu_process();
			gf_task_run(&t, id, &r);
			batch.cpu_s += gf_cpu_process() - cpu;
			batch_add(&r, h.more == 0);
			if (batch.broken)
				return 1;
		}
		want = h.more > 0 ? (h.more < PER_READ ? (size_t)h.more : PER_READ) : 1;
	}
}

/* The child's signal state: the parent alone decides when a run stops. */
void gf__proc_child_signals(pid_t parent)
{
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGINT, &sa, NULL); /* a terminal's Ctrl-C reaches the parent, which stops us */
	sigaction(SIGHUP, &sa, NULL); /* so does a hang-up */
	sa.sa_handler = SIG_DFL;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* If the parent dies without stopping us (SIGKILL), go too rather than linger. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
}

int gf_proc_worker_main(int argc, char **argv)
{
	struct stat in, out;
	int64_t id;
	char err[128];

	if (argc != 3 || strcmp(argv[1], GF_WORKER_FLAG) != 0)
		return -1;
	if (gf_parse_int(argv[2], 0, GF_MAX_WORKERS - 1, &id, err, sizeof(err))) {
		fprintf(stderr, "%s: invalid worker id '%s': %s\n", argv[0], argv[2], err);
		return 2;
	}
	if (fstat(3, &in) || fstat(4, &out) || !S_ISFIFO(in.st_mode) || !S_ISFIFO(out.st_mode)) {
		fprintf(stderr, "%s: %s is internal: fds 3 and 4 must be pipes\n", argv[0],
			GF_WORKER_FLAG);
		return 2;
	}
	return gf__proc_worker_loop(3, 4, (int)id);
}
