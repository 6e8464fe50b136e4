/*
 * Where the workers run. The CPUs this process may use are read once, before any worker is
 * pinned (gf_bind_start): they are the cores a run can expect, and what --bind deals out.
 * With --bind, worker w is pinned to the CPU at position w mod n of that set, in mask order
 * (n its size): each worker pins itself, at its start (a posix worker, an MPI rank) or at the
 * start of each parallel region (an OpenMP thread). Without it nothing is pinned. Whatever
 * --bind says, each worker's host and CPU at the end of its part of a repetition are kept
 * for the report's placement.
 */
#ifndef GF_BIND_H
#define GF_BIND_H

#include <stddef.h>

/* Host names are cut to this many bytes, the terminating NUL included. */
#define GF_HOST_MAX 256

/* The CPUs of a mask as bytes, bit c of byte c / 8 for CPU c: 1024 CPUs, as cpu_set_t. */
#define GF_BIND_MASK_BYTES 128

/* Where one worker ran. */
struct gf_place {
	char host[GF_HOST_MAX]; /* its host's name, "" unknown */
	int cpu;                /* the CPU it was on at the end of its part, -1 unknown */
	int cores;              /* CPUs the workers on its host may use between them, 0 unknown */
};

/*
 * Reads the CPUs this process may use (sched_getaffinity), on the first call only, so that a
 * later call, after a thread of the process pinned itself, still sees the set the run began
 * with; and switches --bind's pinning on or off. Call it in every process of a run before
 * any worker starts. Returns the number of CPUs in the set, at least 1 (1 when it cannot be
 * read). Not thread-safe.
 */
int gf_bind_start(int bind);

/* 1 when --bind's pinning is on (gf_bind_start). */
int gf_bind_enabled(void);

/* The number of CPUs in the set gf_bind_start read (0 before it ran). */
int gf_bind_cpus(void);

/* The CPU worker w goes to: the (w mod n)-th of the set, in mask order; -1 before the set. */
int gf_bind_cpu(int w);

/*
 * Where --bind is on, pins the calling thread (a single-threaded process: the process) to
 * gf_bind_cpu(w). Returns 0 (also when --bind is off), or a negative errno. Thread-safe once
 * gf_bind_start has run.
 */
int gf_bind_self(int w);

/* The set gf_bind_start read, as GF_BIND_MASK_BYTES bytes (see above), into out. */
void gf_bind_mask(unsigned char out[GF_BIND_MASK_BYTES]);

/*
 * The number of CPUs in the union of masks[0..n) (each GF_BIND_MASK_BYTES bytes, laid one
 * after another), counting only those where take is NULL or take[i] is nonzero.
 */
int gf_bind_union_count(const unsigned char *masks, const unsigned char *take, int n);

#include "gf_where.h" /* gf_where_cpu and gf_where_host were declared here first */

/*
 * Says, in one line on stderr, that --bind pins workers workers to cpus CPUs round-robin,
 * where there are more workers than CPUs: "<prog>: --bind: 7 workers, 2 CPUs: pinned
 * round-robin, several to a CPU" (what names them, "workers" or "ranks"; where, if not NULL,
 * follows as "on <where>"). Says nothing otherwise.
 */
void gf_bind_warn(const char *prog, int workers, const char *what, int cpus, const char *where);

#endif
