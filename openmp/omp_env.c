/*
 * What libgomp would say itself, said as gilfree says things: one line, and the exit status
 * of bad input (a setting of the environment) or of a failure (threads that cannot start).
 */
#define _GNU_SOURCE /* syscall */
#include "omp_backend.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/*
 * libgomp reads every OMP_* and GOMP_* variable in its load-time constructor, before main(),
 * and says what it cannot use on stderr ("\nlibgomp: Invalid value for environment variable
 * OMP_PLACES"), then runs on with its default. Its grammar is its own, so the judge is
 * libgomp: the executable's preinit functions run before any shared library's constructors,
 * and this one points fd 2 at an anonymous file for the while, which gf_omp_env_check reads.
 * It runs before the sanitizers' set-up may have, so it makes system calls only.
 */
static int saved_stderr = -1, heard = -1;

__attribute__((no_sanitize("address", "undefined"))) static void
listen_stderr(int argc, char **argv, char **envp)
{
	(void)argc;
	(void)argv;
	(void)envp;
	heard = (int)syscall(SYS_memfd_create, "libgomp-stderr", 0);
	if (heard < 0)
		return;
	saved_stderr = (int)syscall(SYS_fcntl, 2, F_DUPFD_CLOEXEC, 3);
	if (saved_stderr < 0 || syscall(SYS_dup2, heard, 2) < 0) {
		syscall(SYS_close, heard);
		heard = -1;
	}
}

__attribute__((section(".preinit_array"),
	       used)) static void (*const gf_omp_preinit)(int, char **, char **) = listen_stderr;

/* "OMP_PLACES" from a line of libgomp's that names a variable (it spells it two ways). */
static const char *variable_of(const char *line, char *name, size_t len)
{
	static const char *const says[] = { "environment variable ", "enviroment variable " };

	for (size_t i = 0; i < sizeof(says) / sizeof(says[0]); i++) {
		const char *at = strstr(line, says[i]);

		if (at) {
			at += strlen(says[i]);
			snprintf(name, len, "%.*s", (int)strspn(at, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_"),
				 at);
			return name[0] ? name : NULL;
		}
	}
	return NULL;
}

int gf_omp_env_check(const char *prog, int say)
{
	char text[4096], scan[4096], name[64], *line, *next;
	ssize_t got;

	if (heard < 0)
		return 0;
	dup2(saved_stderr, 2);
	close(saved_stderr);
	got = pread(heard, text, sizeof(text) - 1, 0);
	close(heard);
	heard = -1;
	if (got <= 0)
		return 0;
	text[got] = '\0';
	memcpy(scan, text, (size_t)got + 1);
	for (line = scan; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strncmp(line, "libgomp: ", 9) == 0 && variable_of(line, name, sizeof(name))) {
			const char *v = getenv(name);
			char msg[512];

			gf_errf(msg, sizeof(msg),
				"invalid %s '%s': the OpenMP runtime cannot use it", name,
				v ? v : "");
			if (say)
				fprintf(stderr, "%s: %s\n", prog, msg);
			return -EINVAL;
		}
	}
	/* anything else it said (OMP_DISPLAY_ENV's table) is passed on as it was */
	if (say)
		fputs(text, stderr);
	return 0;
}

/* ---- threads: libgomp ends the process ("Thread creation failed") when one cannot start */

/* The stack libgomp gives a thread: OMP_STACKSIZE (or GOMP_STACKSIZE), else the default. */
static size_t stack_size(void)
{
	const char *s = getenv("OMP_STACKSIZE");
	char *end;
	unsigned long long v;

	if (!s)
		s = getenv("GOMP_STACKSIZE");
	if (!s || (v = strtoull(s, &end, 10)) == 0)
		return 0;
	while (*end == ' ')
		end++;
	switch (*end) {
	case 'B':
	case 'b':
		return (size_t)v;
	case 'M':
	case 'm':
		return (size_t)v << 20;
	case 'G':
	case 'g':
		return (size_t)v << 30;
	default: /* K, k or none: kilobytes */
		return (size_t)v << 10;
	}
}

/* The threads of this process now (/proc/self/task), or -1. */
static int task_count(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* The probe's threads wait until every one has been started, as a team's would all live. */
struct gate {
	pthread_mutex_t lock;
	pthread_cond_t open;
	int go;
};

static void *wait_at(void *arg)
{
	struct gate *g = arg;

	pthread_mutex_lock(&g->lock);
	while (!g->go)
		pthread_cond_wait(&g->open, &g->lock);
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

/* Starts n threads that live together, as a team's would, and joins them: 0 or an errno. */
static int start_together(int n, size_t stack)
{
	static pthread_t th[GF_MAX_WORKERS];
	struct gate g = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };
	pthread_attr_t attr;
	int rc = 0, made = 0, before = task_count();

	pthread_attr_init(&attr);
	if (stack)
		pthread_attr_setstacksize(&attr, stack);
	while (made < n && (rc = pthread_create(&th[made], &attr, wait_at, &g)) == 0)
		made++;
	pthread_attr_destroy(&attr);
	pthread_mutex_lock(&g.lock);
	g.go = 1;
	pthread_cond_broadcast(&g.open);
	pthread_mutex_unlock(&g.lock);
	for (int i = 0; i < made; i++)
		pthread_join(th[i], NULL);
	/* a joined thread still counts against RLIMIT_NPROC until the kernel has reaped it: wait
	   for that (at most a second), or libgomp's next start would fail where this one did not */
	for (int i = 0; i < 1000 && before > 0 && task_count() > before; i++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	return rc;
}

int gf_omp_threads_check(int workers, char *err, size_t errlen)
{
	static int started = 1; /* the largest team known to start: this thread alone */
	int rc;

	if (workers <= started)
		return 0;
	rc = start_together(workers - 1, stack_size());
	if (rc == 0) {
		started = workers;
		return 0;
	}
	gf_errf(err, errlen,
		"cannot start a team of %d threads: %s (a limit on processes or memory? "
		"ulimit -u, ulimit -v, OMP_STACKSIZE)",
		workers, strerror(rc));
	return -rc;
}
