#define _GNU_SOURCE /* pipe2, close_range */
#include "gf_io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Waits until fd is ready for events; the caller retries its call. */
static int wait_ready(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	if (poll(&p, 1, -1) < 0 && errno != EINTR)
		return -errno;
	return 0;
}

ssize_t gf_read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t r = read(fd, p + got, len - got);

		if (r > 0) {
			got += (size_t)r;
		} else if (r == 0) {
			return got ? -EIO : 0;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			int rc = wait_ready(fd, POLLIN);

			if (rc)
				return rc;
		} else if (errno != EINTR) {
			return -errno;
		}
	}
	return (ssize_t)len;
}

int gf_write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w > 0) {
			p += w;
			len -= (size_t)w;
		} else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int rc = wait_ready(fd, POLLOUT);

			if (rc)
				return rc;
		} else if (w < 0 && errno != EINTR) {
			return -errno;
		}
	}
	return 0;
}

ssize_t gf_write_some(int fd, const void *buf, size_t len)
{
	for (;;) {
		ssize_t w = write(fd, buf, len);

		if (w >= 0)
			return w;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

ssize_t gf_read_some(int fd, void *buf, size_t len)
{
	for (;;) {
		ssize_t r = read(fd, buf, len);

		if (r >= 0)
			return r;
		if (errno == EWOULDBLOCK)
			return -EAGAIN;
		if (errno != EINTR)
			return -errno;
	}
}

int gf_pipe_cloexec(int fds[2])
{
	return pipe2(fds, O_CLOEXEC) ? -errno : 0;
}

void gf_fd_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int gf_fd_set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -errno;
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, fl) ? -errno : 0;
}

/* Closes [lo, hi]; hi of ~0u means every fd from lo up. */
static int close_span(unsigned lo, unsigned hi)
{
	struct rlimit rl;

	if (lo > hi)
		return 0;
#ifdef SYS_close_range
	if (syscall(SYS_close_range, lo, hi, 0) == 0)
		return 0;
	if (errno != ENOSYS)
		return -errno;
#endif
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur - 1 < hi)
		hi = (unsigned)(rl.rlim_cur - 1);
	if (hi == ~0u)
		hi = 65535;
	for (unsigned fd = lo; fd <= hi && fd >= lo; fd++)
		close((int)fd);
	return 0;
}

int gf_fd_close_others(const int *keep, size_t n)
{
	unsigned lo = 3;

	/* Walk the kept fds in ascending order without sorting (no allocation after fork). */
	for (;;) {
		unsigned next = ~0u;
		int rc;

		for (size_t i = 0; i < n; i++)
			if (keep[i] >= 0 && (unsigned)keep[i] >= lo && (unsigned)keep[i] < next)
				next = (unsigned)keep[i];
		if (next == ~0u)
			return close_span(lo, ~0u);
		if (next > lo && (rc = close_span(lo, next - 1)))
			return rc;
		lo = next + 1;
	}
}

int gf_fd_count(pid_t pid)
{
	char path[64];
	DIR *d;
	struct dirent *e;
	int n = 0;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/fd");
	d = opendir(path);
	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	if (!pid || pid == getpid())
		n--; /* the directory stream's own fd */
	closedir(d);
	return n;
}
