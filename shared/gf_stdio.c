#include "gf_stdio.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int gf_stdio_guard(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		int got;

		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		/* The lowest free descriptor is fd itself, since every lower one is open. stdin
		   reads end of file and stderr swallows what is said, as closed ones would lose
		   it; stdout cannot be written (EBADF), so that lost output stays an error. */
		got = open("/dev/null", fd == 2 ? O_WRONLY : O_RDONLY);
		if (got < 0)
			return -errno;
		if (got != fd) {
			close(got);
			return -EBADF;
		}
	}
	return 0;
}

int gf_stdout_check(const char *prog, int status)
{
	int failed = ferror(stdout), e = 0;

	if (fflush(stdout) != 0) {
		e = errno;
		failed = 1;
	}
	if (!failed)
		return status;
	if (e)
		fprintf(stderr, "%s: write error on standard output: %s\n", prog, strerror(e));
	else
		fprintf(stderr, "%s: write error on standard output\n", prog);
	return status ? status : 1;
}

/* The last words' names (gf_last_words_set): set before any handler that reads them. */
static const char *last_prog = "gilfree", *last_stop;

void gf_last_words_set(const char *prog, const char *stop)
{
	last_prog = prog;
	last_stop = stop;
}

const char *gf_last_words_prog(void)
{
	return last_prog;
}

const char *gf_signal_name(int sig)
{
	switch (sig) {
	case SIGINT:
		return "SIGINT";
	case SIGTERM:
		return "SIGTERM";
	case SIGHUP:
		return "SIGHUP";
	}
	return "a signal";
}

void gf_stop_say(int sig)
{
	const char *parts[] = { last_stop ? last_stop : last_prog, ": interrupted by ",
				gf_signal_name(sig) };
	char line[256];
	size_t len = 0;

	/* one write, so that no other line lands inside this one; cut short, it still ends */
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		for (const char *c = parts[i]; *c && len < sizeof(line) - 1; c++)
			line[len++] = *c;
	line[len++] = '\n';
	if (write(STDERR_FILENO, line, len) < 0) {
		/* nothing more can be said */
	}
}

void gf_last_words_mask(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGALRM);
}

static void on_stop(int sig)
{
	gf_stop_say(sig);
	_exit(128 + sig);
}

void gf_stop_signals_catch(void (*handler)(int))
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	gf_last_words_mask(&sa.sa_mask);
	sa.sa_handler = handler;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

void gf_stop_signals_install(void)
{
	gf_stop_signals_catch(on_stop);
}
