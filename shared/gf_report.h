/*
 * The one report of every backend: text in the lecture's own notation, json (one object per
 * run on one line) or csv (a header and one row). Only the process that ran the sequential
 * baseline prints it.
 */
#ifndef GF_REPORT_H
#define GF_REPORT_H

#include <stdio.h>

#include "gf_clock.h"
#include "gf_json.h"
#include "gf_options.h"
#include "gf_workload.h"

struct gf_disturb; /* gf_disturb.h */
struct gf_limits;  /* gf_limits.h */

#define GF_PHASES_MAX 8
#define GF_NOTES_MAX  512

/*
 * Named durations of one run, in the order first added: the parts of the parallel time a
 * backend can separate ("start", "distribute", "compute", "collect", "stop"), or the one-time
 * set-up costs ("pool_start", "mpi_init"). Names must be string literals.
 */
struct gf_phases {
	int n;
	const char *name[GF_PHASES_MAX];
	double seconds[GF_PHASES_MAX];
};

/* Adds seconds to the phase called name, creating it if new. Ignores a ninth name. */
void gf_phases_add(struct gf_phases *p, const char *name, double seconds);

/* Where the workers ran: the report's "topology". */
struct gf_topology {
	int hosts;         /* distinct host names among the workers */
	int ranks;         /* MPI ranks (1 without MPI) */
	int threads;       /* threads per rank (OpenMP: the workers; 1 for processes, ranks) */
	long cores;        /* online cores of the printing host */
	const char *where; /* "local", "hosts" or "simulated" */
	/* the workers' one time base: "same-host" (one clock), "ping-pong" (each host's offset
	   against the root's, measured before the runs) or "simulated" (the simulation's) */
	const char *clock_sync;
	double clock_offset_max; /* the largest offset applied, in absolute value, seconds */
	double clock_bound;      /* the largest error of an offset: half its round trip */
	int cores_usable; /* the CPUs the workers may use, summed over their hosts (each host's
			     affinity mask); 0 unknown */
};

/* What --reps auto did (gf_driver.h): the repetitions each series took and why it stopped. */
struct gf_reps_auto {
	int seq_reps;        /* sequential repetitions timed */
	int par_reps;        /* parallel ones, the report's reps */
	int reached;         /* both intervals within --ci-target of their medians */
	const char *stopped; /* "target", "cap" (--reps-cap) or "limit" (the most repetitions) */
};

struct gf_report {
	const char *backend;             /* "omp", "posix", "mpi" */
	const struct gf_options *opts;   /* the effective parameters */
	const struct gf_optdef *how;     /* the backend's options (struct gf_cli), values in
					    opts->be: those flagged GF_OPTF_HOW are printed */
	const struct gf_result *results; /* sorted by key */
	size_t nresults;
	int verified;
	const char *failure;        /* why not verified, or NULL */
	struct gf_stats seq;        /* sequential baseline, over the reps */
	struct gf_stats par;        /* parallel run, over the reps */
	const double *task_seconds; /* median sequential time per task, in task order */
	const double *busy_seconds; /* median busy time per worker (sum of its kernel times) */
	int nphases;                /* per-run phases, as statistics over the reps */
	const char *phase_name[GF_PHASES_MAX];
	struct gf_stats phase[GF_PHASES_MAX];
	struct gf_phases setup;   /* one-time costs */
	char notes[GF_NOTES_MAX]; /* backend remarks ("team of 3 threads, not 4"), or "" */
	const struct gf_reps_auto *reps_auto; /* NULL: opts->reps repetitions each */
	/* every timed sample, in repetition order (opts->reps each, or reps_auto's counts),
	   or NULL for none */
	const double *seq_samples;
	const double *par_samples;
	const double *phase_samples; /* [phase][rep], as phase_name */
	struct gf_topology topology;
	const struct gf_disturb *disturb; /* the workers' CPU times, the mark and where they ran,
					     or NULL where nothing was measured */
	const struct gf_limits *limits;   /* the physical limits' verdict, NULL: unchecked */
};

/* The topology of a run on this host alone: one host, one rank, one thread, its cores. */
void gf_topology_local(struct gf_topology *t);

/* Prints r to f in r->opts->format. */
void gf_report_print(FILE *f, const struct gf_report *r);

/*
 * Formats a resize total as Python prints round(total, 2): two decimals, trailing zeros
 * dropped but one kept ("12.5", "3.0"). buf needs 64 bytes. Returns buf.
 */
char *gf_format_round2(double total, char *buf, size_t len);

#endif
