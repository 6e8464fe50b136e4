#include "gf_watchdog.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "gf_clock.h"
#include "gf_stdio.h"

static double armed_seconds, deadline, grace_seconds;
static char where_now[96];
/* The tasks of the phase under way; the handler reads them, the workers write them. */
static _Atomic unsigned char *done;
static size_t done_cap;
static volatile size_t ntracked;

/* Async-signal-safe appends for the handler: no stdio, no allocation. */
struct line {
	char buf[512];
	size_t len;
};

static void put(struct line *l, const char *s)
{
	while (*s && l->len < sizeof(l->buf) - 1)
		l->buf[l->len++] = *s++;
}

static void put_uint(struct line *l, unsigned long long v)
{
	char d[24];
	int n = 0;

	do
		d[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < (int)sizeof(d));
	while (n && l->len < sizeof(l->buf) - 1)
		l->buf[l->len++] = d[--n];
}

/* "2 of 6 tasks unfinished (3, 5)": at most ten indices, then "...". */
static void put_tasks(struct line *l)
{
	size_t n = ntracked, left = 0, shown = 0;

	for (size_t i = 0; i < n; i++)
		left += !atomic_load_explicit(&done[i], memory_order_relaxed);
	put(l, ": ");
	put_uint(l, left);
	put(l, " of ");
	put_uint(l, n);
	put(l, n == 1 ? " task unfinished" : " tasks unfinished");
	for (size_t i = 0; i < n && left; i++) {
		if (atomic_load_explicit(&done[i], memory_order_relaxed))
			continue;
		if (shown == 10) {
			put(l, ", ...");
			break;
		}
		put(l, shown++ ? ", " : " (");
		put_uint(l, i);
	}
	if (shown)
		put(l, ")");
}

/* "--timeout 5 s passed in repetition 2 of 5": the words every deadline line starts with. */
static void put_passed(struct line *l)
{
	double s = armed_seconds;

	put(l, "--timeout ");
	/* whole seconds and thousandths without their trailing zeros, without printf */
	put_uint(l, (unsigned long long)s);
	if (s != floor(s)) {
		unsigned ms = (unsigned)llround((s - floor(s)) * 1000);
		char frac[5] = { '.', (char)('0' + ms / 100 % 10), (char)('0' + ms / 10 % 10),
				 (char)('0' + ms % 10), '\0' };

		for (int i = 3; i > 1 && frac[i] == '0'; i--)
			frac[i] = '\0';
		put(l, frac);
	}
	put(l, " s passed");
	if (where_now[0]) {
		put(l, " ");
		put(l, where_now);
	}
}

static void on_alarm(int sig)
{
	struct line l = { .len = 0 };

	(void)sig;
	put(&l, gf_last_words_prog());
	put(&l, ": ");
	put_passed(&l);
	if (ntracked && done)
		put_tasks(&l);
	put(&l, "; stopping\n");
	if (write(STDERR_FILENO, l.buf, l.len) < 0) {
		/* nothing more can be said */
	}
	_exit(1);
}

void gf_watchdog_passed(char *buf, size_t len)
{
	struct line l = { .len = 0 };

	if (!len)
		return;
	put_passed(&l);
	if (l.len >= len)
		l.len = len - 1;
	memcpy(buf, l.buf, l.len);
	buf[l.len] = '\0';
}

static int set_timer(double seconds)
{
	struct itimerval it = { { 0, 0 }, { 0, 0 } };

	if (seconds > 0) {
		it.it_value.tv_sec = (time_t)seconds;
		it.it_value.tv_usec = (suseconds_t)((seconds - floor(seconds)) * 1e6);
		if (!it.it_value.tv_sec && !it.it_value.tv_usec)
			it.it_value.tv_usec = 1;
	}
	return setitimer(ITIMER_REAL, &it, NULL) ? -errno : 0;
}

int gf_watchdog_arm(double seconds, double grace)
{
	struct sigaction sa;

	gf_watchdog_disarm();
	if (seconds <= 0)
		return 0;
	armed_seconds = seconds;
	deadline = gf_clock_now() + seconds;
	memset(&sa, 0, sizeof(sa));
	gf_last_words_mask(&sa.sa_mask);
	sa.sa_handler = on_alarm;
	if (sigaction(SIGALRM, &sa, NULL))
		return -errno;
	grace_seconds = grace > 0 ? grace : 0;
	return set_timer(seconds + grace_seconds);
}

void gf_watchdog_waits_watch(int on)
{
	double left = gf_watchdog_left() + (on ? grace_seconds : 0);

	if (armed_seconds > 0)
		set_timer(left > 0 ? left : 1e-6);
}

void gf_watchdog_disarm(void)
{
	if (armed_seconds > 0)
		set_timer(0);
	armed_seconds = 0;
	ntracked = 0;
	free((void *)done);
	done = NULL;
	done_cap = 0;
	where_now[0] = '\0';
}

double gf_watchdog_seconds(void)
{
	return armed_seconds;
}

double gf_watchdog_left(void)
{
	return armed_seconds > 0 ? deadline - gf_clock_now() : 1e300;
}

int gf_watchdog_ms(int ms)
{
	double left = gf_watchdog_left();
	int cap;

	if (armed_seconds <= 0)
		return ms;
	cap = left <= 0 ? 0 : left > 1e6 ? 1000000000 : (int)ceil(left * 1000);
	return ms < 0 || ms > cap ? cap : ms;
}

void gf_watchdog_where(const char *where)
{
	size_t n = strlen(where);

	if (n >= sizeof(where_now))
		n = sizeof(where_now) - 1;
	/* the handler may read it meanwhile: it is empty until the rest is in place */
	where_now[0] = '\0';
	if (n == 0)
		return;
	memcpy(where_now + 1, where + 1, n - 1);
	where_now[n] = '\0';
	where_now[0] = where[0];
}

void gf_watchdog_tasks(size_t ntasks)
{
	ntracked = 0;
	if (armed_seconds <= 0 || ntasks == 0)
		return;
	if (ntasks > done_cap) {
		void *p = realloc((void *)done, ntasks);

		if (!p)
			return;
		done = p;
		done_cap = ntasks;
	}
	for (size_t i = 0; i < ntasks; i++)
		atomic_store_explicit(&done[i], 0, memory_order_relaxed);
	ntracked = ntasks;
}

void gf_watchdog_task_done(int32_t index)
{
	if (index >= 0 && (size_t)index < ntracked)
		atomic_store_explicit(&done[index], 1, memory_order_relaxed);
}
