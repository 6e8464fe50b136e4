/*
 * The posix micro-benchmarks' internals ("gilfree-posix bench"): one file per experiment
 * (bench_startup.c, bench_ipc.c, bench_counter.c, bench_grain.c, bench_paths.c), the crew of
 * forked workers two of them share (bench_crew.c), and bench.c, which offers them.
 *
 * Workers are forked children ("a crew", started by gf_proc_fork): each reads its orders
 * from its own pipe and writes fixed-size records, smaller than PIPE_BUF, to one shared
 * result pipe. The parent writes orders and then reads exactly one record per worker per
 * round, and a worker writes its one record only after it has read all its orders for the
 * round, so neither side can block the other for good.
 */
#ifndef GF_POSIX_BENCH_H
#define GF_POSIX_BENCH_H

#include "posix_backend.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/types.h>

#include "gf_bench.h"
#include "gf_io.h"

/* The program's name in the experiments' messages. */
#define BENCH_PROG "gilfree-posix"

/* The experiments, one file each; 0 or a negative errno after saying why. */
int gf__posix_bench_startup(void *ctx, struct gf_bench_out *b, const struct gf_bench_opts *o);
int gf__posix_bench_ipc(void *ctx, struct gf_bench_out *b, const struct gf_bench_opts *o);
int gf__posix_bench_counter(void *ctx, struct gf_bench_out *b, const struct gf_bench_opts *o);
int gf__posix_bench_grain(void *ctx, struct gf_bench_out *b, const struct gf_bench_opts *o);
int gf__posix_bench_paths(void *ctx, struct gf_bench_out *b, const struct gf_bench_opts *o);

/* Reads one whole record: 0, -EPIPE at a clean end of file, or another negative errno. */
static inline int read_record(int fd, void *buf, size_t n)
{
	ssize_t r = gf_read_full(fd, buf, n);

	if (r == (ssize_t)n)
		return 0;
	return r == 0 ? -EPIPE : (int)r;
}

static inline void *shared_alloc(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Waits for pid; returns 0 if it exited with status 0, else -ECHILD after saying why. */
int gf__posix_reap(pid_t pid, const char *what);

/* ---- a crew of forked workers (bench_crew.c) ---- */

struct crew {
	int n;
	pid_t *pid;
	int *order; /* the parent's write end of each worker's order pipe */
	int result; /* the parent's read end of the shared result pipe */
};

/* What a worker runs: reads orders from in, writes records to out; returns its exit code. */
typedef int (*crew_fn)(int w, int in, int out, void *arg);

/* The most fds a child keeps besides stdin, stdout and stderr: a manager its reply pipes. */
#define KEEP_MAX (GF_MAX_WORKERS + 2)

/*
 * Forks n workers running fn. Every worker owns only its order pipe's read end, the result
 * pipe's write end and the nkeep fds of keep (an image file, a manager's pipes): it closes
 * every other. The parent owns the other ends. Returns 0, or a negative errno with nothing
 * left running.
 */
int gf__crew_start(struct crew *c, int n, crew_fn fn, void *arg, const int *keep, int nkeep);

/* Closes the order pipes (EOF: each worker ends) and reaps every worker. */
int gf__crew_end(struct crew *c);

/* Sends one go byte to every worker. */
int gf__crew_go(struct crew *c);

/* The one record a worker sends per round. */
struct record {
	int64_t worker;
	int64_t count; /* increments, tasks, images */
	uint64_t sum;  /* checked value, checksum */
	int64_t bytes; /* bytes received */
	double end;    /* when it finished, by the shared clock */
};
_Static_assert(sizeof(struct record) <= PIPE_BUF, "records share one pipe");

int gf__send_record(int out, int w, int64_t count, uint64_t sum, int64_t bytes);

/* Reads one record from every worker; totals their counts, sums and bytes, latest end. */
int gf__crew_collect(struct crew *c, struct record *total);

#endif
