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
#include "posix_backend.h"

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

#include "gf_bench.h"
#include "gf_io.h"
#include "pool.h"
#include "proc.h"

extern char **environ;

static int startup(struct gf_bench_out *b, const struct gf_bench_opts *o);
static int ipc(struct gf_bench_out *b, const struct gf_bench_opts *o);
static int counter(struct gf_bench_out *b, const struct gf_bench_opts *o);
static int grain(struct gf_bench_out *b, const struct gf_bench_opts *o);
static int paths(struct gf_bench_out *b, const struct gf_bench_opts *o);

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
	.run = {startup, ipc, counter, grain, paths},
};

/* The program every exec'ed worker runs: present on every POSIX system, does nothing. */
#define TRUE_PROGRAM "/bin/true"
/* A program that waits on its stdin, so its memory can be read while it lives. */
#define CAT_PROGRAM "/bin/cat"

/* Reads one whole record: 0, -EPIPE at a clean end of file, or another negative errno. */
static int read_record(int fd, void *buf, size_t n)
{
	ssize_t r = gf_read_full(fd, buf, n);

	if (r == (ssize_t)n)
		return 0;
	return r == 0 ? -EPIPE : (int)r;
}

static void *shared_alloc(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Waits for pid; returns 0 if it exited with status 0, else -ECHILD after saying why. */
static int reap(pid_t pid, const char *what)
{
	char msg[160];
	int st;
	pid_t r = gf_waitpid(pid, &st, 0);

	if (r < 0)
		return (int)r;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	gf_status_describe(msg, sizeof(msg), what, pid, st);
	fprintf(stderr, "%s: %s\n", cli.prog, msg);
	return -ECHILD;
}

/* ---- start-up ---- */

static int thread_token;

static void *thread_nothing(void *arg)
{
	return arg;
}

/* Sleeps ms milliseconds: time for a new worker to reach its blocking read. */
static void pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void *thread_block(void *arg)
{
	char c;

	(void)!read(*(int *)arg, &c, 1);
	return NULL;
}

enum start_how { START_FORK, START_EXEC, START_SPAWN, START_THREAD };

/*
 * Creates and joins one worker; returns 0 when it ran and ended cleanly. The bare fork (not
 * gf_proc_fork, which also closes fds) is what this row measures.
 */
static int start_one(enum start_how how)
{
	char *argv[] = { TRUE_PROGRAM, NULL };
	pthread_t th;
	pid_t pid;
	void *ret;

	switch (how) {
	case START_FORK:
		fflush(NULL);
		pid = fork();
		if (pid < 0)
			return -errno;
		if (pid == 0)
			_exit(0);
		return reap(pid, "child");
	case START_EXEC:
		fflush(NULL);
		pid = fork();
		if (pid < 0)
			return -errno;
		if (pid == 0) {
			execv(TRUE_PROGRAM, argv);
			_exit(127);
		}
		return reap(pid, "child");
	case START_SPAWN:
		if (posix_spawn(&pid, TRUE_PROGRAM, NULL, NULL, argv, environ) != 0)
			return -ECHILD;
		return reap(pid, "child");
	case START_THREAD:
		if (pthread_create(&th, NULL, thread_nothing, &thread_token) != 0)
			return -EAGAIN;
		pthread_join(th, &ret);
		return ret == &thread_token ? 0 : -EINVAL;
	}
	return -EINVAL;
}

/*
 * What THREADS more threads, each blocked on fd[0], grew this process by, per thread: one
 * thread alone is below what smaps_rollup resolves.
 */
#define THREADS 16
static int thread_memory(int fd[2], struct gf_mem *m)
{
	struct gf_mem before;
	pthread_t th[THREADS];
	int n = 0, rc = gf_bench_smaps(0, &before);

	while (rc == 0 && n < THREADS && pthread_create(&th[n], NULL, thread_block, &fd[0]) == 0)
		n++;
	if (rc == 0 && n < THREADS)
		rc = -EAGAIN;
	pause_ms(20);
	if (rc == 0)
		rc = gf_bench_smaps(0, m);
	m->rss_kb = (m->rss_kb - before.rss_kb) / THREADS;
	m->pss_kb = (m->pss_kb - before.pss_kb) / THREADS;
	m->private_kb = (m->private_kb - before.private_kb) / THREADS;
	/* one byte for each: every thread's read returns */
	for (int i = 0; i < n; i++)
		(void)!write(fd[1], "x", 1);
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	return rc;
}

/*
 * The memory one more worker costs while it lives: a forked child's or a spawned program's
 * own smaps_rollup; for a thread, what this process grew by. The worker waits on a pipe.
 */
static int worker_memory(enum start_how how, struct gf_mem *m)
{
	char *argv[] = { CAT_PROGRAM, NULL };
	posix_spawn_file_actions_t fa;
	int fd[2], rc = -EINVAL;
	pid_t pid;

	if ((rc = gf_pipe_cloexec(fd)))
		return rc;
	switch (how) {
	case START_FORK:
		pid = gf_proc_fork(&fd[0], 1);
		if (pid < 0) {
			rc = (int)pid;
			break;
		}
		if (pid == 0) {
			char c;

			(void)!read(fd[0], &c, 1);
			_exit(0);
		}
		pause_ms(20);
		rc = gf_bench_smaps(pid, m);
		close(fd[1]);
		fd[1] = -1;
		rc = reap(pid, "child") ? -ECHILD : rc;
		break;
	case START_EXEC:
	case START_SPAWN:
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_adddup2(&fa, fd[0], 0);
		posix_spawn_file_actions_addclose(&fa, fd[1]);
		rc = posix_spawn(&pid, CAT_PROGRAM, &fa, NULL, argv, environ) ? -ECHILD : 0;
		posix_spawn_file_actions_destroy(&fa);
		if (rc)
			break;
		pause_ms(50);
		rc = gf_bench_smaps(pid, m);
		close(fd[1]);
		fd[1] = -1;
		rc = reap(pid, "child") ? -ECHILD : rc;
		break;
	case START_THREAD:
		rc = thread_memory(fd, m);
		close(fd[1]);
		fd[1] = -1;
		break;
	}
	close(fd[0]);
	if (fd[1] >= 0)
		close(fd[1]);
	return rc;
}

static int startup(struct gf_bench_out *b, const struct gf_bench_opts *o)
{
	static const struct {
		enum start_how how;
		const char *method, *title;
	} ways[] = {
		{ START_FORK, "fork", "fork, the child _exits, waitpid" },
		{ START_EXEC, "fork_exec",
		  "fork, exec " TRUE_PROGRAM ", waitpid; memory: " CAT_PROGRAM " waiting" },
		{ START_SPAWN, "posix_spawn",
		  "posix_spawn " TRUE_PROGRAM ", waitpid; memory: " CAT_PROGRAM " waiting" },
		{ START_THREAD, "pthread",
		  "pthread_create, pthread_join; memory: 16 threads waiting, each" },
	};
	int n = o->iters < 200 ? o->iters : 200, warm = o->warmup < 10 ? o->warmup : 10;
	double *t = malloc((size_t)n * sizeof(double));

	if (!t)
		return -ENOMEM;
	for (size_t k = 0; k < sizeof(ways) / sizeof(ways[0]); k++) {
		struct gf_mem m = { 0 };
		struct gf_stats st;
		int ok = 1, mem, done = 0;

		for (int i = -warm; i < n && ok; i++) {
			double t0 = gf_clock_now();

			ok = start_one(ways[k].how) == 0;
			if (i >= 0 && ok)
				t[done++] = gf_clock_now() - t0;
		}
		mem = worker_memory(ways[k].how, &m) == 0;
		st = gf_bench_stats_of(t, (size_t)done); /* the starts that worked */
		gf_bench_row(b, ways[k].method, "%s", ways[k].title);
		gf_bench_int(b, "workers", 1);
		gf_bench_stats(b, "lat_us", &st, 1e6);
		if (mem) {
			gf_bench_num(b, "pss_kb", (double)m.pss_kb);
			gf_bench_num(b, "private_kb", (double)m.private_kb);
		}
		gf_bench_check(b, ok);
		gf_bench_end(b);
	}
	free(t);
	return 0;
}

/*
 * ---- IPC by payload size ----
 * The same plan runs in both processes: for every size, warm-up plus timed round trips of
 * size bytes each way. As in osu_latency, each side sends from its own send buffer and
 * receives into a distinct receive buffer, both page-aligned (gf_bench_pingpong_buffers), and
 * every message is stamped with its round (gf_bench_stamp): the parent's with twice the round,
 * the child's answers with twice the round plus one, so that a short or a stale message, or
 * one that is not the other side's, fails the check.
 */

/*
 * The shared-memory channel: one message at a time, copied in by its sender and read in place
 * by its receiver, handed over with a semaphore for each direction (CHAN_SHM) or with a flag
 * that the receiver spins on (CHAN_SPIN). The message starts on a cache line of its own.
 */
struct shm_chan {
	sem_t to_child;
	sem_t to_parent;
	_Atomic int turn; /* CHAN_SPIN: who reads the message next (TURN_CHILD, TURN_PARENT) */
	_Alignas(64) unsigned char data[];
};

enum { TURN_NONE, TURN_CHILD, TURN_PARENT };

enum chan_kind { CHAN_PIPE, CHAN_SOCKET, CHAN_SHM, CHAN_SPIN };

static int chan_is_shm(enum chan_kind kind)
{
	return kind == CHAN_SHM || kind == CHAN_SPIN;
}

struct chan {
	enum chan_kind kind;
	int rfd, wfd;             /* this process's ends (pipe, socketpair) */
	int other_rfd, other_wfd; /* the other process's, closed after fork */
	struct shm_chan *shm;
	size_t shm_len;
	int parent;
	pid_t peer; /* the other process: the child, or the parent that forked this one */
};

static int chan_open(struct chan *c, enum chan_kind kind, int64_t max)
{
	int a[2], z[2];

	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->rfd = c->wfd = c->other_rfd = c->other_wfd = -1;
	if (kind == CHAN_PIPE) {
		int rc = gf_pipe_cloexec(a);

		if (rc)
			return rc;
		if ((rc = gf_pipe_cloexec(z))) {
			close(a[0]);
			close(a[1]);
			return rc;
		}
		c->wfd = a[1], c->other_rfd = a[0];
		c->rfd = z[0], c->other_wfd = z[1];
	} else if (kind == CHAN_SOCKET) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, a))
			return -errno;
		c->rfd = c->wfd = a[0];
		c->other_rfd = c->other_wfd = a[1];
	} else {
		c->shm_len = sizeof(struct shm_chan) + (size_t)max;
		c->shm = shared_alloc(c->shm_len);
		if (!c->shm)
			return -ENOMEM;
		atomic_init(&c->shm->turn, TURN_NONE);
		if (kind == CHAN_SHM &&
		    (sem_init(&c->shm->to_child, 1, 0) || sem_init(&c->shm->to_parent, 1, 0))) {
			munmap(c->shm, c->shm_len);
			return -errno;
		}
	}
	return 0;
}

/* After fork: each process keeps its own ends, and knows the other process. */
static void chan_side(struct chan *c, int parent, pid_t peer)
{
	c->parent = parent;
	c->peer = peer;
	if (chan_is_shm(c->kind))
		return;
	if (parent) {
		close(c->other_rfd);
		if (c->other_wfd != c->other_rfd)
			close(c->other_wfd);
	} else {
		close(c->rfd);
		if (c->wfd != c->rfd)
			close(c->wfd);
		c->rfd = c->other_rfd;
		c->wfd = c->other_wfd;
	}
	c->other_rfd = c->other_wfd = -1;
}

static void chan_close(struct chan *c)
{
	if (chan_is_shm(c->kind)) {
		if (c->parent && c->kind == CHAN_SHM) {
			sem_destroy(&c->shm->to_child);
			sem_destroy(&c->shm->to_parent);
		}
		munmap(c->shm, c->shm_len);
		return;
	}
	close(c->rfd);
	if (c->wfd != c->rfd)
		close(c->wfd);
}

static int sem_wait_intr(sem_t *s)
{
	while (sem_wait(s))
		if (errno != EINTR)
			return -errno;
	return 0;
}

/*
 * One turn of a spin: the CPU's hint that this is a spin-wait loop (x86 pause, Arm's yield
 * hint), which neither enters the kernel nor gives up the core.
 */
static inline void spin_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	atomic_signal_fence(memory_order_seq_cst);
#endif
}

/* Spins between two looks at whether the other process still runs. */
#define SPIN_LOOK (1u << 20)

/* The other process has ended (the child exited, or the parent that forked this one). */
static int peer_gone(const struct chan *c)
{
	siginfo_t si;

	if (!c->parent)
		return getppid() != c->peer;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)c->peer, &si, WEXITED | WNOHANG | WNOWAIT))
		return errno == ECHILD;
	return si.si_pid != 0;
}

/*
 * Spins until the flag says it is want's turn: no system call and no yield while the other
 * side answers; only every SPIN_LOOK spins a look at whether it still runs. Returns 0, or
 * -EPIPE when the other side ended without handing over.
 */
static int spin_wait(const struct chan *c, int want)
{
	for (unsigned n = 1;; n++) {
		if (atomic_load_explicit(&c->shm->turn, memory_order_acquire) == want)
			return 0;
		spin_pause();
		/* a last message handed over just before its sender ended still counts */
		if (n % SPIN_LOOK == 0 && peer_gone(c))
			return atomic_load_explicit(&c->shm->turn, memory_order_acquire) == want
				       ? 0
				       : -EPIPE;
	}
}

/*
 * Sends size bytes of buf to the other side. Shared memory: one copy into the segment, then
 * the hand-off; the other side reads it in place.
 */
static int chan_send(struct chan *c, const unsigned char *buf, int64_t size)
{
	if (!chan_is_shm(c->kind))
		return gf_write_full(c->wfd, buf, (size_t)size);
	memcpy(c->shm->data, buf, (size_t)size);
	if (c->kind == CHAN_SPIN) {
		atomic_store_explicit(&c->shm->turn, c->parent ? TURN_CHILD : TURN_PARENT,
				      memory_order_release);
		return 0;
	}
	return sem_post(c->parent ? &c->shm->to_child : &c->shm->to_parent) ? -errno : 0;
}

/* Receives size bytes; *view points at them (buf, or the segment). */
static int chan_recv(struct chan *c, unsigned char *buf, int64_t size, unsigned char **view)
{
	int rc;

	if (!chan_is_shm(c->kind)) {
		*view = buf;
		return read_record(c->rfd, buf, (size_t)size);
	}
	if (c->kind == CHAN_SPIN)
		rc = spin_wait(c, c->parent ? TURN_PARENT : TURN_CHILD);
	else
		rc = sem_wait_intr(c->parent ? &c->shm->to_parent : &c->shm->to_child);
	*view = c->shm->data;
	return rc;
}

/*
 * The child: answers every message of the plan from its own send buffer, stamped as an
 * answer to the round it received; exits 1 if one came in wrong.
 */
static int echo(struct chan *c, const struct gf_bench_opts *o, unsigned char *sbuf,
		unsigned char *rbuf)
{
	int bad = 0;

	for (int64_t s = o->min_size; s; s = gf_bench_next_size(o, s)) {
		int iters, warmup;

		gf_bench_iters(o, s, &iters, &warmup);
		for (int i = 0; i < warmup + iters; i++) {
			unsigned char *v;

			if (chan_recv(c, rbuf, s, &v))
				return 1;
			bad |= !gf_bench_stamped(v, s, 2 * i);
			gf_bench_stamp(sbuf, s, 2 * i + 1);
			if (chan_send(c, sbuf, s))
				return 1;
		}
	}
	/* then osu_bw's plan on a stream: a window of messages, one answer of the bytes got */
	for (int64_t s = o->min_size; s && !chan_is_shm(c->kind); s = gf_bench_next_size(o, s)) {
		int iters, warmup, window;

		gf_bench_window(o, s, &window, &iters, &warmup);
		for (int i = 0; i < warmup + iters; i++) {
			int64_t got = 0;

			for (int w = 0; w < window; w++) {
				if (read_record(c->rfd, rbuf, (size_t)s))
					return 1;
				got += s;
			}
			bad |= !gf_bench_stamped(rbuf, s, i);
			if (gf_write_full(c->wfd, &got, sizeof(got)))
				return 1;
		}
	}
	return bad;
}

/* The parent's side of the stream plan: a row per size. */
static int stream(struct gf_bench_out *b, const struct gf_bench_opts *o, struct chan *c,
		  unsigned char *buf, double *t, const char *method, const char *title)
{
	int rc = 0;

	for (int64_t s = o->min_size; s && rc == 0; s = gf_bench_next_size(o, s)) {
		int iters, warmup, window;
		int64_t sent = 0, received = 0;

		gf_bench_window(o, s, &window, &iters, &warmup);
		for (int i = 0; i < warmup + iters && rc == 0; i++) {
			double t0 = gf_clock_now();
			int64_t ack = 0;

			gf_bench_stamp(buf, s, i);
			for (int w = 0; w < window && rc == 0; w++)
				rc = gf_write_full(c->wfd, buf, (size_t)s);
			if (rc == 0)
				rc = read_record(c->rfd, &ack, sizeof(ack));
			if (i >= warmup) {
				t[i - warmup] = gf_clock_now() - t0;
				sent += (int64_t)window * s;
				received += ack;
			}
		}
		if (rc == 0)
			gf_bench_bw_row(b, method, title, s, window, t, (size_t)iters, sent,
					received, 1);
	}
	return rc;
}

/*
 * The parent's side of the ping-pong plan for one size: sends from sbuf, receives into rbuf
 * (or reads the segment in place), one clock reading per round trip from the first timed one
 * on, so that t[0..iters) adds up to the whole timed loop. Returns 0 or a negative errno.
 */
static int pingpong(struct chan *c, int64_t s, int iters, int warmup, unsigned char *sbuf,
		    unsigned char *rbuf, double *t, int *ok)
{
	double last = 0;
	int rc = 0;

	for (int i = 0; i < warmup + iters && rc == 0; i++) {
		unsigned char *v = rbuf;

		if (i == warmup)
			last = gf_clock_now();
		gf_bench_stamp(sbuf, s, 2 * i);
		rc = chan_send(c, sbuf, s);
		if (rc == 0)
			rc = chan_recv(c, rbuf, s, &v);
		if (i >= warmup) {
			double now = gf_clock_now();

			t[i - warmup] = (now - last) / 2;
			last = now;
		}
		*ok = *ok && rc == 0 && gf_bench_stamped(v, s, 2 * i + 1);
	}
	return rc;
}

static int ipc_method(struct gf_bench_out *b, const struct gf_bench_opts *o, enum chan_kind kind)
{
	static const char *const names[] = { "pipe", "socketpair", "shm", "shm_spin" };
	static const char *const titles[] = {
		"two pipes, from a send buffer into a receive buffer, half the round trip",
		"one AF_UNIX stream socketpair, from a send buffer into a receive buffer, half "
		"the round trip",
		"MAP_SHARED segment, one copy in, read in place, process-shared semaphore "
		"hand-off",
		"MAP_SHARED segment, one copy in, read in place, an atomic flag that each side "
		"spins on (2 cores busy)",
	};
	unsigned char *sbuf = NULL, *rbuf = NULL;
	double *t = malloc((size_t)(o->iters > 2 ? o->iters : 2) * sizeof(double));
	pid_t parent = getpid(), pid;
	struct chan c;
	int rc = t ? gf_bench_pingpong_buffers(o->max_size, &sbuf, &rbuf) : -ENOMEM;

	if (rc || (rc = chan_open(&c, kind, o->max_size)) != 0) {
		free(sbuf);
		free(rbuf);
		free(t);
		return rc;
	}
	{
		/* the child keeps its own ends (none for shared memory) */
		int own[2] = { c.other_rfd, c.other_wfd };

		pid = gf_proc_fork(own, chan_is_shm(kind) ? 0 : 2);
	}
	if (pid < 0) {
		rc = (int)pid;
		chan_side(&c, 1, -1);
		chan_close(&c);
		free(sbuf);
		free(rbuf);
		free(t);
		return rc;
	}
	if (pid == 0) {
		chan_side(&c, 0, parent);
		_exit(echo(&c, o, sbuf, rbuf));
	}
	chan_side(&c, 1, pid);
	for (int64_t s = o->min_size; s && rc == 0; s = gf_bench_next_size(o, s)) {
		int iters, warmup, ok = 1;

		gf_bench_iters(o, s, &iters, &warmup);
		rc = pingpong(&c, s, iters, warmup, sbuf, rbuf, t, &ok);
		if (rc == 0)
			gf_bench_pingpong_row(b, names[kind], titles[kind], s, t, (size_t)iters,
					      ok);
	}
	if (rc == 0 && !chan_is_shm(kind))
		rc = stream(b, o, &c, sbuf, t, kind == CHAN_PIPE ? "pipe_bw" : "socketpair_bw",
			    "a window of messages, one answer of the bytes received (osu_bw)");
	/* a child waiting on shared memory sees no end of file: it is stopped */
	if (rc && chan_is_shm(kind))
		kill(pid, SIGKILL);
	chan_close(&c);
	if (reap(pid, "echo child") && rc == 0)
		rc = -ECHILD;
	free(sbuf);
	free(rbuf);
	free(t);
	return rc;
}

static int ipc(struct gf_bench_out *b, const struct gf_bench_opts *o)
{
	int rc = 0;

	for (int k = CHAN_PIPE; k <= CHAN_SPIN && rc == 0; k++)
		rc = ipc_method(b, o, (enum chan_kind)k);
	return rc ? rc : gf_bench_memcpy_table(b, o);
}

/* ---- a crew of forked workers ---- */

struct crew {
	int n;
	pid_t *pid;
	int *order; /* the parent's write end of each worker's order pipe */
	int result; /* the parent's read end of the shared result pipe */
};

/* What a worker runs: reads orders from in, writes records to out; returns its exit code. */
typedef int (*crew_fn)(int w, int in, int out, void *arg);

static int crew_end(struct crew *c);

/* The most fds a child keeps besides stdin, stdout and stderr: a manager its reply pipes. */
#define KEEP_MAX (GF_MAX_WORKERS + 2)

/*
 * Forks n workers running fn. Every worker owns only its order pipe's read end, the result
 * pipe's write end and the nkeep fds of keep (an image file, a manager's pipes): it closes
 * every other. The parent owns the other ends. Returns 0, or a negative errno with nothing
 * left running.
 */
static int crew_start(struct crew *c, int n, crew_fn fn, void *arg, const int *keep, int nkeep)
{
	int res[2], rc = 0;

	memset(c, 0, sizeof(*c));
	c->pid = calloc((size_t)n, sizeof(pid_t));
	c->order = calloc((size_t)n, sizeof(int));
	c->result = -1;
	rc = !c->pid || !c->order ? -ENOMEM : gf_pipe_cloexec(res);
	if (rc) {
		crew_end(c); /* nothing started: frees and resets, so a later crew_end is a no-op */
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
		crew_end(c);
	return rc;
}

/* Closes the order pipes (EOF: each worker ends) and reaps every worker. */
static int crew_end(struct crew *c)
{
	int rc = 0;

	for (int w = 0; w < c->n; w++)
		close(c->order[w]);
	for (int w = 0; w < c->n; w++) {
		char who[32];

		snprintf(who, sizeof(who), "worker %d", w);
		if (reap(c->pid[w], who))
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
static int crew_go(struct crew *c)
{
	char go = 1;

	for (int w = 0; w < c->n; w++) {
		int rc = gf_write_full(c->order[w], &go, 1);

		if (rc)
			return rc;
	}
	return 0;
}

/* The one record a worker sends per round. */
struct record {
	int64_t worker;
	int64_t count; /* increments, tasks, images */
	uint64_t sum;  /* checked value, checksum */
	int64_t bytes; /* bytes received */
	double end;    /* when it finished, by the shared clock */
};
_Static_assert(sizeof(struct record) <= PIPE_BUF, "records share one pipe");

static int send_record(int out, int w, int64_t count, uint64_t sum, int64_t bytes)
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
 * order pipe closes, in crew_end) never sends its record, and the others keep the result
 * pipe open, so waiting on would hang: it is -ECHILD, and crew_end reaps it and says how it
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
				fprintf(stderr, "%s: worker %d ended before its record\n", cli.prog,
					w);
				return -ECHILD;
			}
		}
	}
}

/* Reads one record from every worker; totals their counts, sums and bytes, latest end. */
static int crew_collect(struct crew *c, struct record *total)
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

/* ---- shared state: a counter ---- */

struct counter_shm {
	_Atomic int64_t atomic;
	pthread_mutex_t mutex;
	int64_t locked;
};

enum counter_kind { COUNT_ATOMIC, COUNT_MUTEX, COUNT_MANAGER };

struct counter_arg {
	enum counter_kind kind;
	const struct gf_bench_opts *o;
	struct counter_shm *shm;
	int request; /* manager: the shared request pipe's write end */
	int *reply;  /* manager: each worker's reply pipe, read end */
};

/* A manager request: which worker asks, and what (1 increment, 0 read). */
struct request {
	int32_t worker;
	int32_t op;
};

static int counter_worker(int w, int in, int out, void *arg)
{
	struct counter_arg *a = arg;
	int64_t mine = gf_share(a->o->count, a->o->workers, w);
	char go;

	while (read_record(in, &go, 1) == 0) {
		for (int64_t i = 0; i < mine; i++) {
			if (a->kind == COUNT_ATOMIC) {
				atomic_fetch_add_explicit(&a->shm->atomic, 1, memory_order_relaxed);
			} else if (a->kind == COUNT_MUTEX) {
				pthread_mutex_lock(&a->shm->mutex);
				a->shm->locked++;
				pthread_mutex_unlock(&a->shm->mutex);
			} else {
				/* as a Manager proxy does: every operation is a round trip */
				struct request rq = { w, 1 };
				int64_t value;

				if (gf_write_full(a->request, &rq, sizeof(rq)) ||
				    read_record(a->reply[w], &value, sizeof(value)))
					return 1;
			}
		}
		if (send_record(out, w, mine, 0, 0))
			return 1;
	}
	return 0;
}

/* The manager process: owns the counter; answers each request on the asker's reply pipe. */
static int manager(int in, const int *reply)
{
	struct request rq;
	int64_t value = 0;
	int rc;

	while ((rc = read_record(in, &rq, sizeof(rq))) == 0) {
		if (rq.op == 1)
			value++;
		else if (rq.op == 2)
			value = 0;
		if (gf_write_full(reply[rq.worker], &value, sizeof(value)))
			return 1;
	}
	return rc == -EPIPE ? 0 : 1;
}

/* Asks the manager (as worker slot n) for an operation and returns the value it answers. */
static int manager_ask(int request, int reply, int n, int op, int64_t *value)
{
	struct request rq = { n, op };

	if (gf_write_full(request, &rq, sizeof(rq)))
		return -EPIPE;
	return read_record(reply, value, sizeof(*value));
}

static int counter_method(struct gf_bench_out *b, const struct gf_bench_opts *o,
			  enum counter_kind kind)
{
	static const char *const names[] = { "shm_atomic", "shm_mutex", "manager" };
	static const char *const titles[] = {
		"a MAP_SHARED int64, atomic add (Value without its lock)",
		"a MAP_SHARED int64 under a process-shared mutex (Value with its lock)",
		"a manager process, a round trip over pipes per increment (Manager)",
	};
	int n = o->workers, rc = 0, ok = 1;
	int req[2] = { -1, -1 }, *rep_r = calloc((size_t)n + 1, sizeof(int));
	int *rep_w = calloc((size_t)n + 1, sizeof(int));
	double *t = malloc((size_t)o->reps * sizeof(double));
	struct counter_arg a = { kind, o, NULL, -1, rep_r };
	struct crew crew = { 0 };
	pthread_mutexattr_t ma;
	int64_t final = -1;
	pid_t mgr = -1;

	a.shm = shared_alloc(sizeof(*a.shm));
	if (!rep_r || !rep_w || !t || !a.shm) {
		rc = -ENOMEM;
		goto out;
	}
	for (int i = 0; i <= n; i++)
		rep_r[i] = rep_w[i] = -1;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&a.shm->mutex, &ma);
	pthread_mutexattr_destroy(&ma);

	if (kind == COUNT_MANAGER) {
		int own[KEEP_MAX + 1], k = 1;

		if ((rc = gf_pipe_cloexec(req)))
			goto out;
		for (int i = 0; i <= n; i++) {
			int p[2];

			if ((rc = gf_pipe_cloexec(p)))
				goto out;
			rep_r[i] = p[0];
			rep_w[i] = p[1];
		}
		own[0] = req[0];
		for (int i = 0; i <= n && k < KEEP_MAX + 1; i++)
			own[k++] = rep_w[i];
		mgr = gf_proc_fork(own, (size_t)k);
		if (mgr < 0) {
			rc = (int)mgr;
			goto out;
		}
		if (mgr == 0)
			_exit(manager(req[0], rep_w));
		gf_fd_close(&req[0]);
		for (int i = 0; i <= n; i++)
			gf_fd_close(&rep_w[i]);
		a.request = req[1];
	}
	{
		/* a worker keeps the request pipe and the reply pipes (its own among them) */
		int keep[KEEP_MAX] = { 0 }, nkeep = 0;

		if (kind == COUNT_MANAGER) {
			keep[nkeep++] = req[1];
			for (int i = 0; i < n && nkeep < KEEP_MAX; i++)
				keep[nkeep++] = rep_r[i];
		}
		rc = crew_start(&crew, n, counter_worker, &a, keep, nkeep);
	}
	if (rc)
		goto out;
	/* each rep after one warm-up; a wrong final count in any of them is reported */
	for (int rep = -1; rep < o->reps && rc == 0; rep++) {
		struct record r;
		double t0;

		atomic_store(&a.shm->atomic, 0);
		a.shm->locked = 0;
		if (kind == COUNT_MANAGER && (rc = manager_ask(req[1], rep_r[n], n, 2, &final)))
			break;
		t0 = gf_clock_now();
		rc = crew_go(&crew);
		if (rc == 0)
			rc = crew_collect(&crew, &r);
		if (rc)
			break;
		if (rep >= 0)
			t[rep] = r.end - t0;
		if (kind == COUNT_ATOMIC)
			final = atomic_load(&a.shm->atomic);
		else if (kind == COUNT_MUTEX)
			final = a.shm->locked;
		else
			rc = manager_ask(req[1], rep_r[n], n, 0, &final);
		ok = ok && final == o->count;
	}
	if (crew_end(&crew) && rc == 0)
		rc = -ECHILD;
	if (rc == 0) {
		gf_bench_row(b, names[kind], "%s", titles[kind]);
		gf_bench_counter_row(b, o, n, t, o->reps, final, ok);
	}
out:
	gf_fd_close(&req[1]); /* the manager sees EOF once the workers are gone too */
	gf_fd_close(&req[0]);
	for (int i = 0; rep_r && rep_w && i <= n; i++) {
		gf_fd_close(&rep_r[i]);
		gf_fd_close(&rep_w[i]);
	}
	if (mgr > 0 && reap(mgr, "manager") && rc == 0)
		rc = -ECHILD;
	if (a.shm) {
		pthread_mutex_destroy(&a.shm->mutex);
		munmap(a.shm, sizeof(*a.shm));
	}
	free(rep_r);
	free(rep_w);
	free(t);
	return rc;
}

static int counter(struct gf_bench_out *b, const struct gf_bench_opts *o)
{
	int rc = 0;

	for (int k = COUNT_ATOMIC; k <= COUNT_MANAGER && rc == 0; k++)
		rc = counter_method(b, o, (enum counter_kind)k);
	return rc;
}

/* ---- grain: the pool's map and its chunksize ---- */

/* The pool and its buffers for the grain sweep's runs. */
struct grain_ctx {
	struct gf_pool *pool;
	int workers;
	struct gf_task *t;
	struct gf_result *res;
};

/* The unit of work as the pool's task: gf_kernel_sum(units, 1). */
static int grain_setup(void *ctx, int64_t tasks, int64_t units)
{
	struct grain_ctx *c = ctx;

	for (int64_t i = 0; i < tasks; i++) {
		memset(&c->t[i], 0, sizeof(c->t[i]));
		c->t[i].workload = GF_SUM;
		c->t[i].index = (int32_t)i;
		c->t[i].key = i;
		c->t[i].a = units;
		c->t[i].b = 1;
	}
	return 0;
}

/* One map of the tasks over the pool by chunksize; the pool started before, as a Pool does. */
static int grain_par(void *ctx, int64_t chunksize, int64_t tasks, int64_t units, uint64_t *got)
{
	struct grain_ctx *c = ctx;
	int rc = gf_pool_map(c->pool, c->t, (size_t)tasks, (size_t)chunksize, c->res);

	(void)units;
	if (rc) {
		fprintf(stderr, "%s: pool map: %s\n", cli.prog, gf_pool_error(c->pool));
		return rc;
	}
	*got = 0;
	for (int64_t i = 0; i < tasks; i++)
		*got += (uint64_t)c->res[i].sum;
	return 0;
}

/* The chunksize map runs by: the one asked, or its default for 0. */
static int64_t grain_chunksize_used(void *ctx, int64_t chunksize, int64_t tasks)
{
	const struct grain_ctx *c = ctx;

	return chunksize ? chunksize
			 : (int64_t)gf_pool_default_chunksize((size_t)tasks, c->workers);
}

static int grain(struct gf_bench_out *b, const struct gf_bench_opts *o)
{
	/* 0: map's own default, as Pool.map picks it (gf_pool_default_chunksize) */
	static const int64_t chunksizes[] = { 0, 1, 4, 16, 64 };
	struct grain_ctx c = { .pool = NULL,
			       .workers = o->workers,
			       .t = calloc(GF_BENCH_MAX_TASKS, sizeof(*c.t)),
			       .res = calloc(GF_BENCH_MAX_TASKS, sizeof(*c.res)) };
	char title[128], err[256];
	struct gf_bench_grain g = {
		.method = "posix_pool",
		.title = title,
		.workers = o->workers,
		.root = 1,
		.variant = "chunksize",
		.values = chunksizes,
		.nvalues = (int)(sizeof(chunksizes) / sizeof(chunksizes[0])),
		.setup = grain_setup,
		.par = grain_par,
		.used_name = "chunksize_used",
		.used = grain_chunksize_used,
		.parent = 1,
		.ctx = &c,
	};
	int rc = -ENOMEM;

	if (!c.t || !c.res)
		goto out;
	rc = gf_pool_create(o->workers, GF_START_FORK, &c.pool, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "%s: %s\n", cli.prog, err);
		goto out;
	}
	snprintf(title, sizeof(title),
		 "a pool of %d forked workers, gf_pool_map (Pool.map) by chunksize", o->workers);
	rc = gf_bench_grain_sweep(b, o, &g);
	gf_pool_close(c.pool);
	if (gf_pool_join(c.pool) && rc == 0) {
		fprintf(stderr, "%s: pool: %s\n", cli.prog, gf_pool_error(c.pool));
		rc = -ECHILD;
	}
out:
	gf_pool_free(c.pool);
	free(c.t);
	free(c.res);
	return rc;
}

/* ---- paths, not frames ---- */

struct paths_arg {
	int fd; /* the image file, inherited */
	size_t n;
};

static int paths_worker(int w, int in, int out, void *arg)
{
	struct paths_arg *a = arg;
	uint8_t *buf = malloc(a->n);
	struct gf_image_order ord;
	int64_t images = 0, bytes = 0;
	uint64_t sum = 0;
	int rc;

	if (!buf)
		return 1;
	while ((rc = read_record(in, &ord, sizeof(ord))) == 0) {
		uint64_t s = 0;

		if (ord.id < 0) {
			if (send_record(out, w, images, sum, bytes))
				break;
			images = 0, sum = 0, bytes = 0;
			continue;
		}
		if (ord.frames) {
			if (read_record(in, buf, (size_t)ord.bytes))
				break;
			bytes += ord.bytes;
			s = gf_bench_checksum(buf, (size_t)ord.bytes);
		} else if (gf_bench_map_checksum(a->fd, ord.offset, (size_t)ord.bytes, &s)) {
			break;
		}
		sum += s;
		images++;
	}
	free(buf);
	return rc == -EPIPE ? 0 : 1;
}

static int paths(struct gf_bench_out *b, const struct gf_bench_opts *o)
{
	size_t n = (size_t)(o->width * o->height);
	uint64_t want;
	uint8_t *images = gf_bench_images(o, &want);
	double *t = malloc((size_t)o->reps * sizeof(double));
	struct paths_arg a = { -1, n };
	int rc = 0;

	if (!images || !t) {
		free(images);
		free(t);
		return -ENOMEM;
	}
	a.fd = gf_bench_image_file(o, images, NULL, 0);
	if (a.fd < 0) {
		rc = a.fd;
		goto out;
	}
	for (int frames = 1; frames >= 0 && rc == 0; frames--) {
		struct crew crew;
		int ok = 1;
		int64_t moved = 0, sent = 0, received = 0;

		rc = crew_start(&crew, o->workers, paths_worker, &a, &a.fd, 1);
		if (rc)
			break;
		for (int rep = -1; rep < o->reps && rc == 0; rep++) {
			double t0 = gf_clock_now();
			struct record r;

			moved = 0;
			/* round robin, as Pool.map's chunks would go with chunksize 1 */
			for (int64_t id = 0; id < o->images && rc == 0; id++) {
				struct gf_image_order ord = { id, id * (int64_t)n, (int64_t)n,
							      frames };
				int to = crew.order[id % o->workers];

				rc = gf_write_full(to, &ord, sizeof(ord));
				moved += (int64_t)sizeof(ord);
				if (rc == 0 && frames) {
					rc = gf_write_full(to, images + (size_t)id * n, n);
					moved += (int64_t)n;
				}
			}
			for (int w = 0; w < o->workers && rc == 0; w++) {
				struct gf_image_order end = { -1, 0, 0, 0 };

				rc = gf_write_full(crew.order[w], &end, sizeof(end));
			}
			if (rc == 0)
				rc = crew_collect(&crew, &r);
			if (rc)
				break;
			if (rep >= 0)
				t[rep] = gf_clock_now() - t0;
			sent = frames ? o->images * (int64_t)n : 0;
			received = r.bytes;
			ok = ok && r.sum == want && r.count == o->images && received == sent;
		}
		if (crew_end(&crew) && rc == 0)
			rc = -ECHILD;
		if (rc == 0) {
			gf_bench_row(b, frames ? "pipe_frames" : "mmap_paths",
				     frames ? "%lld images of %lldx%lld bytes through pipes, %d "
					      "workers"
					    : "%lld images of %lldx%lld bytes, workers map their "
					      "slice by offset, %d workers",
				     (long long)o->images, (long long)o->width,
				     (long long)o->height, o->workers);
			gf_bench_paths_row(b, o, moved, sent, received, t, ok);
		}
	}
out:
	if (a.fd >= 0)
		close(a.fd);
	free(images);
	free(t);
	return rc;
}

int gf_posix_bench(void *ctx, int argc, char **argv)
{
	(void)ctx;
	/* SIGPIPE is already ignored (gf_proc_signals_install): a worker that died shows as
	   EPIPE on our next write, not as our death. */
	return gf_bench_main(argc, argv, &cli, 1);
}
