/* The checked fd I/O of shared/gf_io.h, through real pipes and a real second process. */
#define _GNU_SOURCE /* F_SETPIPE_SZ */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gf_io.h"
#include "gf_stdio.h"
#include "gf_watchdog.h"
#include "gf_test.h"

#define BIG (4u << 20) /* 4 MiB: 64 times a default pipe's capacity */

static unsigned char *pattern(size_t n, unsigned seed)
{
	unsigned char *b = malloc(n);

	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)((i * 131u + seed) >> 3);
	return b;
}

static void nap_us(long us)
{
	struct timespec t = { 0, us * 1000 };

	nanosleep(&t, NULL);
}

static int wait_ok(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* A child that reads n bytes slowly, in small reads, and checks them: exit 0 when intact. */
static pid_t slow_reader(int fds[2], size_t n, unsigned seed)
{
	pid_t pid = fork();

	if (pid == 0) {
		unsigned char *want = pattern(n, seed), *got = malloc(n);
		size_t have = 0;

		close(fds[1]);
		while (have < n) {
			size_t part = n - have < 3000 ? n - have : 3000;
			ssize_t r = gf_read_full(fds[0], got + have, part);

			if (r <= 0)
				_exit(1);
			have += (size_t)r;
			if ((have / 3000) % 64 == 0)
				nap_us(200);
		}
		_exit(memcmp(want, got, n) == 0 && gf_read_full(fds[0], got, 1) == 0 ? 0 : 2);
	}
	close(fds[0]);
	return pid;
}

static void test_payload_larger_than_pipe(void)
{
	unsigned char *want = pattern(BIG, 7), *got = malloc(BIG);
	int fds[2];
	pid_t pid;

	/* child writes, parent reads */
	CU_ASSERT_EQUAL_FATAL(gf_pipe_cloexec(fds), 0);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		_exit(gf_write_full(fds[1], want, BIG) ? 1 : 0);
	}
	close(fds[1]);
	CU_ASSERT_EQUAL(gf_read_full(fds[0], got, BIG), (ssize_t)BIG);
	CU_ASSERT_EQUAL(memcmp(want, got, BIG), 0);
	CU_ASSERT_EQUAL(gf_read_full(fds[0], got, 8), 0); /* clean end of file */
	close(fds[0]);
	CU_ASSERT(wait_ok(pid));

	/* parent writes, a slow child reads */
	CU_ASSERT_EQUAL_FATAL(gf_pipe_cloexec(fds), 0);
	pid = slow_reader(fds, BIG, 7);
	CU_ASSERT_EQUAL(gf_write_full(fds[1], want, BIG), 0);
	close(fds[1]);
	CU_ASSERT(wait_ok(pid));
	free(want);
	free(got);
}

/* A non-blocking pipe of one page: the kernel takes part of each large write. */
static void test_short_writes_nonblocking(void)
{
	size_t n = 1u << 20;
	unsigned char *want = pattern(n, 3);
	int fds[2], partial = 0;
	ssize_t w;
	pid_t pid;

	CU_ASSERT_EQUAL_FATAL(gf_pipe_cloexec(fds), 0);
	fcntl(fds[1], F_SETPIPE_SZ, 4096);
	CU_ASSERT_EQUAL(gf_fd_set_nonblock(fds[1], 1), 0);
	/* The condition is real: one write of 16 KiB into a 4 KiB pipe is cut short. */
	w = gf_write_some(fds[1], want, 16384);
	partial = w > 0 && w < 16384;
	CU_ASSERT(partial);
	CU_ASSERT_EQUAL(gf_write_some(fds[1], want, 16384), 0); /* full: would block */
	pid = slow_reader(fds, n, 3);
	/* The reader wants the whole pattern from its start: send the rest after what went. */
	CU_ASSERT_EQUAL(gf_write_full(fds[1], want + w, n - (size_t)w), 0);
	close(fds[1]);
	CU_ASSERT(wait_ok(pid));
	free(want);
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* Blocking writes interrupted by a signal (no SA_RESTART) return short counts or EINTR. */
static void test_short_writes_signals(void)
{
	struct sigaction sa, old;
	struct itimerval it = { { 0, 500 }, { 0, 500 } }, off = { { 0, 0 }, { 0, 0 } };
	unsigned char *want = pattern(BIG, 11);
	int fds[2];
	pid_t pid;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old);
	CU_ASSERT_EQUAL_FATAL(gf_pipe_cloexec(fds), 0);
	pid = slow_reader(fds, BIG, 11);
	alarms = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	CU_ASSERT_EQUAL(gf_write_full(fds[1], want, BIG), 0);
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	CU_ASSERT(alarms > 0); /* the write was interrupted */
	close(fds[1]);
	CU_ASSERT(wait_ok(pid));
	free(want);
}

/* A record that arrives in pieces is read whole; end of file inside one is an error. */
static void test_records(void)
{
	unsigned char rec[64], got[64];
	int fds[2];
	pid_t pid;

	memset(rec, 0xab, sizeof(rec));
	CU_ASSERT_EQUAL_FATAL(gf_pipe_cloexec(fds), 0);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		for (int i = 0; i < 4; i++) {
			if (gf_write_full(fds[1], rec + 16 * i, 16))
				_exit(1);
			nap_us(20000);
		}
		/* then half a record, and the end */
		gf_write_full(fds[1], rec, 10);
		_exit(0);
	}
	close(fds[1]);
	CU_ASSERT_EQUAL(gf_read_full(fds[0], got, 64), 64);
	CU_ASSERT_EQUAL(memcmp(rec, got, 64), 0);
	CU_ASSERT_EQUAL(gf_read_full(fds[0], got, 64), -EIO);
	close(fds[0]);
	CU_ASSERT(wait_ok(pid));
	CU_ASSERT_EQUAL(gf_read_full(-1, got, 1), -EBADF);
}

static void test_epipe(void)
{
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	int fds[2];
	char c = 1;

	CU_ASSERT_EQUAL_FATAL(gf_pipe_cloexec(fds), 0);
	close(fds[0]);
	CU_ASSERT_EQUAL(gf_write_full(fds[1], &c, 1), -EPIPE);
	CU_ASSERT_EQUAL(gf_write_some(fds[1], &c, 1), -EPIPE);
	close(fds[1]);
	signal(SIGPIPE, old);
}

static void test_fds(void)
{
	int base = gf_fd_count(0), a[2], b[2], c[2];
	pid_t pid;

	CU_ASSERT(base >= 0);
	CU_ASSERT_EQUAL_FATAL(gf_pipe_cloexec(a), 0);
	CU_ASSERT_EQUAL_FATAL(gf_pipe_cloexec(b), 0);
	CU_ASSERT_EQUAL_FATAL(gf_pipe_cloexec(c), 0);
	CU_ASSERT_EQUAL(gf_fd_count(0), base + 6);
	CU_ASSERT(fcntl(a[0], F_GETFD) & FD_CLOEXEC);
	pid = fork();
	if (pid == 0) {
		int keep[2] = { c[1], a[0] }, std = 0;

		for (int fd = 0; fd < 3; fd++)
			std += fcntl(fd, F_GETFD) >= 0;
		if (gf_fd_close_others(keep, 2))
			_exit(1);
		/* only the two kept, plus whatever of 0-2 was open */
		_exit(gf_fd_count(0) == std + 2 && fcntl(c[1], F_GETFD) >= 0 &&
				      fcntl(b[0], F_GETFD) < 0
			      ? 0
			      : 2);
	}
	CU_ASSERT(wait_ok(pid));
	CU_ASSERT_EQUAL(gf_fd_count(getpid()), base + 6);
	for (int i = 0; i < 2; i++) {
		close(a[i]);
		close(b[i]);
		close(c[i]);
	}
	CU_ASSERT_EQUAL(gf_fd_count(0), base);
}

/*
 * The handlers that end a process with a last line (SIGINT, SIGTERM, SIGHUP, the watchdog's
 * SIGALRM) each block all four: a second one due while the first writes waits, and the
 * process ends on the first line, whole.
 */
static void test_last_words(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGALRM };
	pid_t pid = fork();

	if (pid == 0) {
		int bad = 0;

		gf_last_words_set("last-words", NULL);
		gf_stop_signals_install();
		if (gf_watchdog_arm(60, 0))
			_exit(3);
		for (size_t i = 0; i < 4; i++) {
			struct sigaction sa;

			sigaction(sigs[i], NULL, &sa);
			for (size_t j = 0; j < 4; j++)
				bad += sigismember(&sa.sa_mask, sigs[j]) != 1;
		}
		_exit(bad ? 2 : 0);
	}
	CU_ASSERT(wait_ok(pid));
}

static const struct gf_test tests[] = {
	GF_TEST(test_payload_larger_than_pipe),
	GF_TEST(test_short_writes_nonblocking),
	GF_TEST(test_short_writes_signals),
	GF_TEST(test_records),
	GF_TEST(test_epipe),
	GF_TEST(test_fds),
	GF_TEST(test_last_words),
	{ NULL, NULL },
};

int main(void)
{
	return gf_test_main("fd I/O", tests);
}
