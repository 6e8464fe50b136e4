/*
 * The workloads as data. A workload is a list of fixed-size task records; running a task
 * gives a fixed-size result record. Every backend moves these same records (through pipes,
 * MPI messages or shared arrays), so the orchestration never needs to know which lecture
 * example it is running, and the records can cross a pipe in one atomic write.
 */
#ifndef GF_WORKLOAD_H
#define GF_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "gf_kernels.h"

enum gf_workload {
	GF_SUM,    /* Example 25.1: one weighted sum per worker */
	GF_PRIMES, /* Example 25.2: one prime count per limit, from a queue */
	GF_RESIZE, /* Example 25.3: one resize simulation per image, by a pool */
};

/* "sum", "primes", "resize". */
const char *gf_workload_name(enum gf_workload w);

/* One unit of work. Zero-initialise before filling, so that records compare and send cleanly. */
struct gf_task {
	int32_t workload; /* enum gf_workload */
	int32_t index;    /* position in the task list (submission order) */
	int64_t key;      /* worker id (sum), limit (primes), image id (resize) */
	int64_t a;        /* n (sum), width (resize) */
	int64_t b;        /* weight (sum), height (resize) */
};

/* What a task gives back, plus who ran it and for how long. */
struct gf_result {
	int32_t index;  /* the task's index */
	int32_t worker; /* the worker that ran it, 0-based */
	int64_t key;    /* the task's key */
	int64_t v[2];   /* count (primes); new width and height (resize) */
	gf_u128 sum;    /* the total (sum) */
	double total;   /* the total (resize) */
	double seconds; /* time spent in the kernel, by the shared clock */
};

_Static_assert(sizeof(struct gf_task) == 32, "gf_task is sent as raw bytes");
_Static_assert(sizeof(struct gf_result) <= 512, "gf_result must fit in PIPE_BUF");

/*
 * Runs one task with the shared kernel, on the calling thread, and fills *out (which it
 * zeroes first), with out->worker = worker. Thread-safe.
 */
void gf_task_run(const struct gf_task *task, int worker, struct gf_result *out);

/* Worker w's share of k tasks dealt over workers: k / workers, the first k % workers one more. */
int64_t gf_share(int64_t k, int workers, int w);

/* Sorts results by key (then index): the order the lecture prints them in. */
void gf_results_sort(struct gf_result *results, size_t n);

/*
 * Compares got[0..n) with want[0..n), both sorted by gf_results_sort: keys and integers
 * exactly, doubles to the last bit. Returns the index of the first mismatch, or -1 when
 * they are identical.
 */
long gf_results_compare(const struct gf_result *got, const struct gf_result *want, size_t n);

/*
 * What a run's tasks are made of: the workload part of the parsed options (struct gf_options
 * in gf_options.h, whose gf_tasks_build fills it), so that this module needs no options.
 */
struct gf_task_shape {
	enum gf_workload workload;
	int workers;           /* sum: one task per worker */
	int64_t n;             /* sum: iterations per worker */
	const int64_t *limits; /* primes: one task per limit */
	size_t nlimits;
	int64_t images; /* resize: one task per image */
	int64_t width;
	int64_t height;
};

/*
 * Builds the task list of s: one sum per worker, one count per limit, one resize per image.
 * Returns 0 and a malloc'ed array in *tasks (caller frees), or -ENOMEM.
 */
int gf_tasks_build_shape(const struct gf_task_shape *s, struct gf_task **tasks, size_t *ntasks);

#endif
