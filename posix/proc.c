#define _GNU_SOURCE /* prctl, strsignal */
#include "proc.h"

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

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t live_children;
static const char *prog_name = "gilfree";

void gf_proc_set_prog(const char *prog)
{
	prog_name = prog;
}

void gf_proc_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void on_stop(int sig)
{
	/* With no child alive there is nothing to clean up: leave now, as the shell expects. */
	if (!live_children) {
		gf_stop_say(prog_name, sig);
		_exit(128 + sig);
	}
	stop_signal = sig;
}

/* Set when a child has exited since the last look; the signal also interrupts poll. */
static volatile sig_atomic_t child_exited;

static void on_child(int sig)
{
	(void)sig;
	child_exited = 1;
}

void gf_proc_signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	/* No SA_RESTART: the signals must interrupt poll so that the loops look at them. */
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_child;
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
}

int gf_proc_interrupted(void)
{
	return stop_signal;
}

/* Blocks the signals a wait must not miss, so that a flag checked before the wait cannot be
   set unseen between the check and the wait: ppoll unblocks them atomically. */
static void block_signals(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, old);
}

/* ppoll with a timeout in ms (-1: none) and the signal mask old while it waits. */
static int poll_unblocked(struct pollfd *fds, nfds_t n, int ms, const sigset_t *old)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	return ppoll(fds, n, ms < 0 ? NULL : &ts, old);
}

int gf_proc_poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
	sigset_t old;
	int r, e = 0;

	block_signals(&old);
	if (stop_signal)
		r = -EINTR;
	else if (gf_watchdog_left() <= 0)
		r = -ETIMEDOUT;
	else if ((r = poll_unblocked(fds, n, gf_watchdog_ms(timeout_ms), &old)) < 0)
		e = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (r >= 0 || r == -EINTR || r == -ETIMEDOUT)
		return r;
	if (e != EINTR)
		return -e;
	return stop_signal ? -EINTR : 0;
}

size_t gf_frame_size(int32_t kind, int32_t count)
{
	switch (kind) {
	case GF_FRAME_TASK:
		return count == 1 ? GF_TASK_FRAME : 0;
	case GF_FRAME_STOP:
		return count == 0 ? GF_TASK_FRAME : 0;
	case GF_FRAME_READY:
		return count == 0 ? sizeof(struct gf_frame) : 0;
	case GF_FRAME_RESULT:
		if (count < 1 || (size_t)count > GF_FRAME_MAX_RESULTS)
			return 0;
		return sizeof(struct gf_frame) + (size_t)count * sizeof(struct gf_result);
	default:
		return 0;
	}
}

/* The size of one record of a frame of kind. */
static size_t record_size(int32_t kind)
{
	return kind == GF_FRAME_TASK ? sizeof(struct gf_task) : sizeof(struct gf_result);
}

size_t gf_frame_encode(void *buf, const struct gf_frame *h, const void *records)
{
	size_t size = gf_frame_size(h->kind, h->count), body;
	struct gf_frame head = *h;

	if (!size)
		return 0;
	head.magic = GF_FRAME_MAGIC;
	memset(buf, 0, size);
	memcpy(buf, &head, sizeof(head));
	body = (size_t)h->count * record_size(h->kind);
	if (body)
		memcpy((unsigned char *)buf + sizeof(head), records, body);
	return size;
}

ssize_t gf_frame_decode(const void *buf, size_t len, struct gf_frame *h,
			const unsigned char **records)
{
	size_t size;

	if (len < sizeof(*h))
		return 0;
	memcpy(h, buf, sizeof(*h));
	size = gf_frame_size(h->kind, h->count);
	if (h->magic != GF_FRAME_MAGIC || !size || h->more < 0 ||
	    (h->more && h->kind != GF_FRAME_TASK))
		return -EPROTO;
	if (len < size)
		return 0;
	*records = (const unsigned char *)buf + sizeof(*h);
	return (ssize_t)size;
}

void gf_frame_result(const unsigned char *records, int32_t k, struct gf_result *out)
{
	memcpy(out, records + (size_t)k * sizeof(*out), sizeof(*out));
}

int gf_frame_send(int fd, const struct gf_frame *h, const void *records)
{
	unsigned char buf[PIPE_BUF];
	size_t size = gf_frame_encode(buf, h, records);

	return size ? gf_write_full(fd, buf, size) : -EINVAL;
}

int gf_frames_send_tasks(int fd, const struct gf_task *tasks, size_t n, size_t stops, int chunk,
			 size_t *sent)
{
	enum { PER_WRITE = PIPE_BUF / GF_TASK_FRAME };
	unsigned char buf[PER_WRITE * GF_TASK_FRAME];
	size_t first = *sent / GF_TASK_FRAME, skip = *sent % GF_TASK_FRAME, k = 0;
	ssize_t w;

	for (size_t f = first; f < n + stops && k < PER_WRITE; f++, k++) {
		size_t more = chunk && f < n ? n - 1 - f : 0;
		struct gf_frame h = { .kind = f < n ? GF_FRAME_TASK : GF_FRAME_STOP,
				      .count = f<n, .more = more> INT32_MAX ? INT32_MAX
									    : (int32_t)more };

		gf_frame_encode(buf + k * GF_TASK_FRAME, &h, f < n ? &tasks[f] : NULL);
	}
	if (k * GF_TASK_FRAME <= skip)
		return 0;
	w = gf_write_some(fd, buf + skip, k * GF_TASK_FRAME - skip);
	if (w < 0)
		return (int)w;
	*sent += (size_t)w;
	return 0;
}

int gf_inbox_read(int fd, struct gf_inbox *in, gf_frame_fn fn, void *ctx)
{
	ssize_t r = gf_read_some(fd, in->buf + in->have, sizeof(in->buf) - in->have);
	size_t used = 0;

	if (r < 0)
		return (int)r;
	if (r == 0)
		return in->have ? -EIO : 1;
	in->have += (size_t)r;
	for (;;) {
		struct gf_frame h;
		const unsigned char *rec;
		ssize_t size = gf_frame_decode(in->buf + used, in->have - used, &h, &rec);
		int rc;

		if (size < 0)
			return (int)size;
		if (size == 0)
			break;
		used += (size_t)size;
		if ((rc = fn(ctx, &h, rec)))
			return rc;
	}
	memmove(in->buf, in->buf + used, in->have - used);
	in->have -= used;
	return 0;
}

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
static int gf_proc_worker_loop(int task_rd, int result_wr, int id)
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
static void child_signals(pid_t parent)
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
	return gf_proc_worker_loop(3, 4, (int)id);
}

/*
 * The file this process runs, for the spawn start method: readlink of /proc/self/exe, resolved
 * in the parent (a tool such as valgrind answers it with its client's path, where exec of
 * /proc/self/exe itself would start the tool); /proc/self/exe itself when the file has been
 * replaced or removed since, which exec can still run.
 */
static const char *self_exe(void)
{
	static char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);

	if (n <= 0 || (size_t)n >= sizeof(path) - 1)
		return "/proc/self/exe";
	path[n] = '\0';
	if (access(path, X_OK) != 0 || strstr(path, " (deleted)"))
		return "/proc/self/exe";
	return path;
}

/* In the child of a spawn: put the pipes on fds 3 and 4 and exec this binary as a worker. */
static void exec_worker(const char *exe, int task_rd, int result_wr, char *const argv[])
{
	int in = fcntl(task_rd, F_DUPFD_CLOEXEC, 5), out = fcntl(result_wr, F_DUPFD_CLOEXEC, 5);
	int keep[2] = { 3, 4 };
	char msg[256];
	int len;

	if (in < 0 || out < 0 || dup2(in, 3) < 0 || dup2(out, 4) < 0)
		_exit(126);
	gf_fd_close_others(keep, 2);
	execv(exe, argv);
	len = snprintf(msg, sizeof(msg), "%s: cannot exec %s: %s\n", prog_name, exe,
		       strerror(errno));
	if (len > 0)
		(void)!write(2, msg, (size_t)len);
	_exit(127);
}

pid_t gf_proc_fork(const int *keep, size_t nkeep)
{
	pid_t pid;

	fflush(NULL); /* nothing buffered may be printed twice */
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0 && gf_fd_close_others(keep, nkeep))
		_exit(126);
	return pid;
}

int gf_proc_start(struct gf_proc *p, int id, enum gf_start how, int task_rd, int result_wr,
		  char *err, size_t errlen)
{
	char idbuf[16], *argv[] = { (char *)prog_name, GF_WORKER_FLAG, idbuf, NULL };
	pid_t parent = getpid(), pid;
	const char *exe = how == GF_START_SPAWN ? self_exe() : NULL;
	int keep[2] = { task_rd, result_wr };

	memset(p, 0, sizeof(p[0]));
	p->id = id;
	p->cpu = -1;
	snprintf(idbuf, sizeof(idbuf), "%d", id);
	live_children++;
	p->forked = gf_clock_now();
	pid = gf_proc_fork(keep, 2);
	if (pid < 0) {
		live_children--;
		snprintf(err, errlen, "cannot start worker %d: fork: %s", id, strerror((int)-pid));
		return (int)pid;
	}
	if (pid == 0) {
		int rc;

		child_signals(parent);
		if ((rc = gf_bind_self(id)) < 0)
			gf_proc_error("worker %d: --bind: cannot pin it to CPU %d: %s", id,
				      gf_bind_cpu(id), strerror(-rc));
		if (how == GF_START_SPAWN)
			exec_worker(exe, task_rd, result_wr, argv);
		_exit(gf_proc_worker_loop(task_rd, result_wr, id));
	}
	p->pid = pid;
	return 0;
}

int gf_proc_start_piped(struct gf_proc *p, int id, enum gf_start how, int *task_wr, int *result_rd,
			char *err, size_t errlen)
{
	int t[2] = { -1, -1 }, r[2] = { -1, -1 }, rc = gf_pipe_cloexec(t);

	if (!rc)
		rc = gf_pipe_cloexec(r);
	if (rc)
		snprintf(err, errlen, "cannot start worker %d: pipe: %s", id, strerror(-rc));
	else
		rc = gf_proc_start(p, id, how, t[0], r[1], err, errlen);
	/* The child's ends are the child's alone: the parent lets go of them at once. */
	gf_fd_close(&t[0]);
	gf_fd_close(&r[1]);
	if (rc) {
		gf_fd_close(&t[1]);
		gf_fd_close(&r[0]);
	}
	*task_wr = t[1];
	*result_rd = r[0];
	return rc;
}

/* waitpid for p with flags: 1 once reaped, 0 while it runs (WNOHANG), or a negative errno. */
static int reap_with(struct gf_proc *p, int flags)
{
	int status;
	pid_t r;

	if (p->reaped)
		return 1;
	if (!p->pid)
		return -ECHILD;
	r = gf_waitpid(p->pid, &status, flags);
	if (r <= 0)
		return (int)r;
	p->status = status;
	p->reaped = 1;
	live_children--;
	return 1;
}

/*
 * Waits until p ends, a stop signal arrives (-EINTR) or the deadline passes (-ETIMEDOUT). The
 * signals stay blocked between each look and the wait, so none is missed: SIGCHLD ends the
 * wait when a child exits, a stop signal when the run must stop.
 */
static int wait_child(struct gf_proc *p)
{
	sigset_t old;
	int r;

	block_signals(&old);
	for (;;) {
		r = reap_with(p, WNOHANG);
		if (r != 0)
			break;
		if (stop_signal) {
			r = -EINTR;
			break;
		}
		if (gf_watchdog_left() <= 0) {
			r = -ETIMEDOUT;
			break;
		}
		/* a look every 50 ms too, for a process without gf_proc_signals_install's
		   SIGCHLD handler, whose SIGCHLD interrupts nothing */
		if (poll_unblocked(NULL, 0, gf_watchdog_ms(50), &old) < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}

int gf_proc_reap(struct gf_proc *p, int block)
{
	return block ? wait_child(p) : reap_with(p, WNOHANG);
}

int gf_proc_kill(struct gf_proc *p)
{
	if (!p->pid)
		return -ECHILD;
	if (!p->reaped && reap_with(p, WNOHANG) == 0)
		kill(p->pid, SIGKILL);
	/* SIGKILL ends even a stopped process at once: this wait is short and must not stop */
	return reap_with(p, 0);
}

int gf_proc_ok(const struct gf_proc *p)
{
	return p->reaped && WIFEXITED(p->status) && WEXITSTATUS(p->status) == 0;
}

pid_t gf_waitpid(pid_t pid, int *status, int flags)
{
	pid_t r;

	do
		r = waitpid(pid, status, flags);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

void gf_status_describe(char *buf, size_t len, const char *who, pid_t pid, int status)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "%s (pid %ld) was killed by signal %d (%s)", who, (long)pid,
			 WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "%s (pid %ld) exited with status %d", who, (long)pid,
			 WEXITSTATUS(status));
}

void gf_proc_describe(const struct gf_proc *p, char *buf, size_t len)
{
	char who[32];

	snprintf(who, sizeof(who), "worker %d", p->id);
	if (!p->reaped)
		snprintf(buf, len, "%s (pid %ld) is still running", who, (long)p->pid);
	else
		gf_status_describe(buf, len, who, p->pid, p->status);
}

void gf_procs_stop(struct gf_proc *procs, int n)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	int left = 0;

	for (int i = 0; i < n; i++) {
		if (procs[i].pid && !procs[i].reaped && gf_proc_reap(&procs[i], 0) == 0) {
			kill(procs[i].pid, SIGTERM);
			kill(procs[i].pid,
			     SIGCONT); /* a stopped worker gets SIGTERM only when woken */
			left++;
		}
	}
	for (int t = 0; left && t < 100; t++) {
		nanosleep(&tick, NULL);
		left = 0;
		for (int i = 0; i < n; i++)
			if (procs[i].pid && gf_proc_reap(&procs[i], 0) == 0)
				left++;
	}
	for (int i = 0; i < n; i++)
		if (procs[i].pid && !procs[i].reaped)
			gf_proc_kill(&procs[i]);
}

/* Appends printf output to buf (len bytes) after what it holds, cut short if need be. */
static void append(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strnlen(buf, len);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

void gf_timeout_describe(char *buf, size_t len, const unsigned char *done, size_t ntasks,
			 const struct gf_proc *procs, const unsigned char *named, int n)
{
	size_t missing = 0, shown = 0;
	int k = 0, said = 0;

	if (!len)
		return;
	gf_watchdog_passed(buf, len);
	for (size_t i = 0; done && i < ntasks; i++)
		missing += !done[i];
	if (!missing && ntasks)
		append(buf, len, ": every task had its result");
	for (size_t i = 0; missing && i < ntasks && shown <= 10; i++) {
		if (done[i])
			continue;
		if (shown++ == 10)
			append(buf, len, ", ...");
		else if (shown == 1)
			append(buf, len, ": %s %zu", missing > 1 ? "tasks" : "task", i);
		else
			append(buf, len, ", %zu", i);
	}
	if (missing)
		append(buf, len, " (of %zu) had no result", ntasks);
	for (int i = 0; named && i < n; i++)
		k += named[i] != 0;
	for (int i = 0; k && i < n; i++) {
		if (!named[i])
			continue;
		said++;
		append(buf, len, "%s%d (pid %ld)",
		       said == 1   ? (k > 1 ? "; workers " : "; worker ")
		       : said == k ? " and "
				   : ", ",
		       procs[i].id, (long)procs[i].pid);
	}
	if (k)
		append(buf, len, " stopped");
}

void gf_proc_why(int rc, const char *err, char *out, size_t len)
{
	if (rc == -EINTR && stop_signal)
		snprintf(out, len, "interrupted by %s", gf_signal_name(stop_signal));
	else
		snprintf(out, len, "%s", err);
}

void gf_proc_report(int rc, const char *err)
{
	char line[GF_ERR_MAX];

	gf_proc_why(rc, err, line, sizeof(line));
	gf_proc_error("%s", line);
}

int gf_procs_conclude(struct gf_proc *procs, int n, int started, struct gf_gather *g,
		      struct gf_result *results, size_t nresults, double t0, struct gf_rep *rep,
		      int rc, char *err, size_t errlen)
{
	if (!rc) {
		rc = gf_procs_finish(procs, n, g, results, nresults, t0, &rep->phases, err, errlen);
		if (!rc) /* what each worker used, from its birth: it lived for this repetition */
			rep->run_cpu += gf_procs_cpu(procs, n, NULL, NULL, rep->cpu, rep->place);
	}
	if (rc) {
		/* stopped first, so that a line naming them as stopped is true once printed */
		gf_procs_stop(procs, started);
		gf_proc_why(rc, err, rep->err, GF_ERR_MAX);
	}
	return rc;
}

/* Which worker a result fd belongs to, or -1 when it is shared. */
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

	if (!child_exited && !quiet)
		return 0;
	child_exited = 0;
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
static int gf_procs_gather(struct gf_proc *procs, int n, struct gf_gather *g,
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
static int gf_procs_join(struct gf_proc *procs, int n, size_t nresults, char *err, size_t errlen)
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
static void gf_procs_phases(const struct gf_proc *procs, int n, double t0, double last_result,
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
	int rc = gf_procs_gather(procs, n, g, results, nresults, err, errlen);

	if (!rc)
		rc = gf_procs_join(procs, n, nresults, err, errlen);
	if (!rc)
		gf_procs_phases(procs, n, t0, g->last_result, gf_clock_now(), ph);
	return rc;
}
