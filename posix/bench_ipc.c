/*
 * gilfree-posix bench ipc: what a message costs by size through a pipe, a socketpair, shared
 * memory with process-shared semaphores or with a flag both sides spin on; and memcpy.
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
	if (gf__posix_reap(pid, "echo child") && rc == 0)
		rc = -ECHILD;
	free(sbuf);
	free(rbuf);
	free(t);
	return rc;
}

int gf__posix_bench_ipc(void *ctx, struct gf_bench_out *b, const struct gf_bench_opts *o)
{
	(void)ctx;
	int rc = 0;

	for (int k = CHAN_PIPE; k <= CHAN_SPIN && rc == 0; k++)
		rc = ipc_method(b, o, (enum chan_kind)k);
	return rc ? rc : gf_bench_memcpy_table(b, o);
}
