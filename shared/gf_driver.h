/*
 * The main() of every backend. It parses the command line, builds the tasks, times the
 * sequential baseline with the shared kernels, runs the backend's parallel version after a
 * warm-up, checks every repetition's results against the baseline, and prints one report.
 * --order blocked runs every sequential repetition before the set-up and the parallel ones;
 * interleaved runs the sequential warm-up, the set-up and the parallel warm-up, then
 * sequential repetition k before parallel repetition k. The sequential ones run on the root
 * alone, between the parallel ones, where the other processes (MPI ranks) wait for the
 * next parallel repetition.
 * A backend supplies only its orchestration, through struct gf_backend.
 *
 * --reps auto repeats until the 95% confidence interval of the median (gf_stats.h) of every
 * series is within --ci-target percent of that median, with at least GF_STATS_CI_MIN
 * repetitions and at most gf_reps_auto_max, and with no repetition started once the timed
 * ones have taken --reps-cap seconds (the minimum runs whatever it takes). Interleaved, a
 * round is a sequential and a parallel repetition, and the rounds stop when both intervals
 * are within the target. Blocked, the sequential series stops on its own interval, or at
 * half the cap, and the parallel one on its own, or when the cap is spent: the two may then
 * count differently. The root decides after each repetition; the other processes follow its
 * decision (struct gf_backend's agree).
 */
#ifndef GF_DRIVER_H
#define GF_DRIVER_H

#include <stddef.h>

#include "gf_bind.h"
#include "gf_options.h"
#include "gf_report.h"
#include "gf_workload.h"

/* What one parallel repetition hands back besides its results. */
struct gf_rep {
	struct gf_phases phases; /* the parts of this repetition's time, if separable */
	double seconds;          /* the parallel time, if the backend measured it itself (MPI:
				    the maximum over ranks); left negative, the driver's wall
				    clock around run() is used */
	double start_s;          /* the time from the earliest worker's start to the latest's,
				    where the backend measured it apart from its phases (MPI
				    ranks); negative unknown */
	char *notes;             /* the report's notes (GF_NOTES_MAX bytes): append remarks */
	char *err;               /* GF_ERR_MAX bytes, "" on entry: where run() fails, why, in one
				    line without the program name, for the driver to print */
	/* on the root, what run() measured of where and how its workers ran (gf_disturb.h): */
	double *cpu;            /* [workers]: CPU seconds of each worker's part, -1 on entry */
	double run_cpu;         /* CPU seconds of the run's processes other than this one on
				   this host (posix workers, MPI ranks), 0 on entry */
	struct gf_place *place; /* [workers]: set .cpu where each worker ended its part (MPI:
				   .host and .cores too); it keeps what the last run() left */
};

#define GF_ERR_MAX 256

struct gf_backend {
	const char *name;     /* "omp", "posix", "mpi" */
	struct gf_cli cli;    /* program name, extra options, worker variable */
	int root;             /* 1 where the baseline runs and the report prints (MPI: rank 0) */
	int tasks_here;       /* 1 when run() runs the tasks in this process (threads), so that
				 --timeout can name the unfinished ones */
	double timeout_grace; /* seconds past --timeout before the last resort (gf_watchdog.h)
				 ends the process: the time the backend's own waits need to
				 notice the deadline, stop the workers and name what was left */

	/*
	 * Optional: checks or completes the parsed options (MPI: --workers against the world
	 * size). Returns 0, or -EINVAL with a one-line message in err: a user error, exit 2.
	 */
	int (*check)(void *ctx, struct gf_options *opts, char *err, size_t errlen);

	/*
	 * Optional: starts what lives across repetitions (the posix pool), recording its one-time
	 * costs in setup. Returns 0, or a negative errno with why in err (GF_ERR_MAX bytes, "" on
	 * entry: one line without the program name), which the driver prints after the program
	 * name (exit 1; teardown still runs). A hook that leaves err empty has said why itself.
	 */
	int (*setup)(void *ctx, const struct gf_options *opts, struct gf_phases *setup, char *err);

	/*
	 * Runs tasks[0..ntasks) in parallel and fills results[0..ntasks), in any order, one per
	 * task. Returns 0, or a negative errno with why in rep->err, which the driver prints
	 * after the program name (exit 1). A hook that leaves rep->err empty has said why on
	 * stderr itself (the posix backend's pool reports its failures as they happen).
	 */
	int (*run)(void *ctx, const struct gf_options *opts, const struct gf_task *tasks,
		   size_t ntasks, struct gf_result *results, struct gf_rep *rep);

	/*
	 * Optional: where the workers ran, for the report's topology, filled in on the root
	 * after the runs; t arrives as this host alone (gf_topology_local). Without it the run
	 * is one process: threads stays 1.
	 */
	void (*topology)(void *ctx, const struct gf_options *opts, struct gf_topology *t);

	/*
	 * Optional, for --reps auto where every process runs the parallel repetitions (MPI):
	 * called on every process together between two of them, it gives every process the
	 * root's *go (a broadcast from the root), so that none runs a repetition alone.
	 */
	void (*agree)(void *ctx, int *go);

	/* Optional: releases what setup made, on every path. */
	void (*teardown)(void *ctx);

	/*
	 * Optional: the micro-benchmarks, "<prog> bench <experiment> [options]". Called with
	 * argv[0] == "bench"; returns the exit status (0, 1 failure, 2 bad input).
	 */
	int (*bench)(void *ctx, int argc, char **argv);
};

/*
 * Runs the whole flow and returns the exit status: 0 verified, 1 a failure or a result that
 * differs from the baseline, 2 bad input (one line on stderr naming it; nothing ran).
 * "<prog> bench ..." goes to be->bench instead, where the backend has one. main has set the
 * last words' names (gf_last_words_set) first: --timeout's last resort says them.
 */
int gf_driver_main(int argc, char **argv, const struct gf_backend *be, void *ctx);

#endif
