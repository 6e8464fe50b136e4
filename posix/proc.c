#define _GNU_SOURCE /* prctl, strsignal */
#include "proc.h"
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

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t live_children;

void gf_proc_error(const char *prog, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void on_stop(int sig)
{
	/* With no child alive there is nothing to clean up: leave now, as the shell expects. */
	if (!live_children) {
		gf_stop_say(sig);
		_exit(128 + sig);
	}
	stop_signal = sig;
}

/* Set when a child has exited since the last look; the signal also interrupts poll. */
volatile sig_atomic_t gf__proc_child_exited;

static void on_child(int sig)
{
	(void)sig;
	gf__proc_child_exited = 1;
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
	len = snprintf(msg, sizeof(msg), "%s: cannot exec %s: %s\n", argv[0], exe, strerror(errno));
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

int gf_proc_start(struct gf_proc *p, const char *prog, int id, enum gf_start how, int task_rd,
		  int result_wr, char *err, size_t errlen)
{
	char idbuf[16], *argv[] = { (char *)prog, GF_WORKER_FLAG, idbuf, NULL };
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

		gf__proc_child_signals(parent);
		if ((rc = gf_bind_self(id)) < 0)
			gf_proc_error(prog, "worker %d: --bind: cannot pin it to CPU %d: %s", id,
				      gf_bind_cpu(id), strerror(-rc));
		if (how == GF_START_SPAWN)
			exec_worker(exe, task_rd, result_wr, argv);
		_exit(gf__proc_worker_loop(task_rd, result_wr, id));
	}
	p->pid = pid;
	return 0;
}

int gf_proc_start_piped(struct gf_proc *p, const char *prog, int id, enum gf_start how,
			int *task_wr, int *result_rd, char *err, size_t errlen)
{
	int t[2] = { -1, -1 }, r[2] = { -1, -1 }, rc = gf_pipe_cloexec(t);

	if (!rc)
		rc = gf_pipe_cloexec(r);
	if (rc)
		snprintf(err, errlen, "cannot start worker %d: pipe: %s", id, strerror(-rc));
	else
		rc = gf_proc_start(p, prog, id, how, t[0], r[1], err, errlen);
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

void gf_proc_report(const char *prog, int rc, const char *err)
{
	char line[GF_ERR_MAX];

	gf_proc_why(rc, err, line, sizeof(line));
	gf_proc_error(prog, "%s", line);
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
