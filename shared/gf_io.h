/*
 * Checked I/O on file descriptors: whole-record reads and writes that loop over short counts
 * and EINTR, and the fd plumbing a process needs before it hands a pipe to a child. Nothing
 * here forks. Every function returns 0 (or a byte count) or a negative errno, so the caller's
 * cleanup cannot clobber the error; none of them prints. All are thread-safe and
 * async-signal-safe except where noted.
 */
#ifndef GF_IO_H
#define GF_IO_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Reads exactly len bytes into buf, retrying short reads and EINTR (and waiting with poll on
 * EAGAIN, so a non-blocking fd works too). Returns len; 0 at end of file before the first
 * byte (a clean end between records); -EIO at end of file in the middle of the record (the
 * record is lost: that is an error, never a zero); or another negative errno. A len of 0
 * returns 0 without reading.
 */
ssize_t gf_read_full(int fd, void *buf, size_t len);

/*
 * Writes all len bytes of buf, retrying short writes and EINTR (and waiting with poll on
 * EAGAIN). Returns 0, -EPIPE when the reader has gone (SIGPIPE must be ignored or blocked for
 * the caller to see it), or another negative errno; after an error an unknown prefix of buf
 * has been written.
 */
int gf_write_full(int fd, const void *buf, size_t len);

/*
 * One write of at most len bytes, retrying EINTR only: for a poll loop over non-blocking fds.
 * Returns the bytes written (possibly fewer than len), 0 when the fd would block, or a
 * negative errno (-EPIPE: the reader has gone).
 */
ssize_t gf_write_some(int fd, const void *buf, size_t len);

/*
 * One read of at most len bytes, retrying EINTR only. Returns the bytes read, 0 at end of
 * file, -EAGAIN when a non-blocking fd has nothing, or another negative errno.
 */
ssize_t gf_read_some(int fd, void *buf, size_t len);

/* pipe() with both ends close-on-exec. Returns 0 or a negative errno. */
int gf_pipe_cloexec(int fds[2]);

/* Closes *fd unless it is negative, and sets it to -1, so closing twice is harmless. */
void gf_fd_close(int *fd);

/* Sets or clears O_NONBLOCK on fd. Returns 0 or a negative errno. */
int gf_fd_set_nonblock(int fd, int on);

/*
 * Closes every fd from 3 up except the n listed in keep (0, 1 and 2 are always kept): for a
 * child after fork, so that it holds only the pipe ends it owns. Uses close_range where the
 * kernel has it, else closes one by one up to the fd limit. Returns 0 or a negative errno.
 * Async-signal-safe (no allocation), so it may run between fork and exec.
 */
int gf_fd_close_others(const int *keep, size_t n);

/*
 * Counts the open fds of process pid (0: this process) by listing /proc/PID/fd, not counting
 * the one the listing itself opens when pid is this process. Returns the count or a negative
 * errno. Not async-signal-safe.
 */
int gf_fd_count(pid_t pid);

#endif
