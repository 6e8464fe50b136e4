/*
 * The one command line of every gilfree binary:
 *   gilfree-<backend> <sum|primes|resize> [options]
 * Parsed with getopt_long and strict number parsing. A bad value is never guessed at: the
 * parser fails with a one-line message naming it, and the driver exits 2 before anything runs.
 */
#ifndef GF_OPTIONS_H
#define GF_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "gf_optable.h"
#include "gf_parse.h"
#include "gf_stats.h"
#include "gf_workload.h"

enum gf_format { GF_FORMAT_TEXT, GF_FORMAT_JSON, GF_FORMAT_CSV };
/* When the sequential repetitions run: all before the parallel ones, or each before its pair. */
enum gf_order { GF_ORDER_BLOCKED, GF_ORDER_INTERLEAVED };

/* Limits past which a size is refused up front rather than discovered by a crash or a hang. */
/*
 * The simulated build (gilfree-mpi-sim) runs every rank as a simulated process of one real
 * one, with no core or pipe per worker: its arrays are sized by the world, so its limit is
 * what memory allows (about 16384 ranks in 64 GB, docs/simulation.md), not the real build's.
 * CMake gives that build its own GF_MAX_WORKERS (16384), as it chooses its files.
 */
#ifndef GF_MAX_WORKERS
#define GF_MAX_WORKERS 1024
#endif
#define GF_MAX_REPS      100000
#define GF_MAX_N         INT64_C(1000000000000) /* 1e12 keeps n * weight and the total in range */
#define GF_MAX_LIMIT     INT64_C(1000000000)    /* 1e9: trial division to it takes hours */
#define GF_MAX_LIST      100000
#define GF_MAX_IMAGES    1000000
#define GF_MAX_DIMENSION 1000000
#define GF_MAX_SECONDS   1000000.0 /* --timeout and a backend's durations: about 11 days */
/* Timings kept per run: repetitions times tasks (or workers), one double each (80 MB). */
#define GF_MAX_SAMPLES INT64_C(10000000)

#define GF_DEFAULT_WORKERS 4
#define GF_DEFAULT_REPS    5
#define GF_DEFAULT_IMAGES  8 /* resize: images of every class */

/*
 * --reps auto (gf_driver.h): at least GF_STATS_CI_MIN repetitions, the fewest that have a 95%
 * interval of the median, and at most GF_REPS_AUTO_MAX (fewer where the tasks' timings would
 * pass GF_MAX_SAMPLES: gf_reps_auto_max); the target is a percentage of the median, the cap
 * the seconds all the timed repetitions may take.
 */
#define GF_REPS_AUTO_MAX     1000
#define GF_DEFAULT_CI_TARGET 5.0
#define GF_DEFAULT_REPS_CAP  30.0
#define GF_MAX_CI_TARGET     100.0

/*
 * The options the workloads and the benchmarks share, each defined here once with its limit,
 * for a table whose values go to struct type (GF_OPT_AT); the rest are the entry's other
 * fields in that table (.arg, .help, .only).
 */
extern const char *const gf_format_words[]; /* "text", "json", "csv" */
#define GF_OPTDEF_WORKERS(type, m, ...)                                                            \
	{                                                                                          \
		.name = "workers", .letter = 'w', .kind = GF_OPTK_INT, .min = 1,                   \
		.max = GF_MAX_WORKERS, GF_OPT_AT(type, m), __VA_ARGS__                             \
	}
#define GF_OPTDEF_REPS(type, m, ...)                                                               \
	{                                                                                          \
		.name = "reps", .letter = 'r', .kind = GF_OPTK_INT, .min = 1, .max = GF_MAX_REPS,  \
		GF_OPT_AT(type, m), __VA_ARGS__                                                    \
	}
/* words: enum gf_format's names in its order, all (gf_format_words) or the first few */
#define GF_OPTDEF_FORMAT(type, m, wl, ...)                                                         \
	{                                                                                          \
		.name = "format", .letter = 'f', .kind = GF_OPTK_WORD, .words = (wl),              \
		GF_OPT_AT(type, m), __VA_ARGS__                                                    \
	}
#define GF_OPTDEF_IMAGES(type, m, ...)                                                             \
	{                                                                                          \
		.name = "images", .kind = GF_OPTK_INT, .min = 1, .max = GF_MAX_IMAGES,             \
		GF_OPT_AT(type, m), __VA_ARGS__                                                    \
	}
#define GF_OPTDEF_WIDTH(type, m, ...)                                                              \
	{                                                                                          \
		.name = "width", .kind = GF_OPTK_INT, .min = 1, .max = GF_MAX_DIMENSION,           \
		GF_OPT_AT(type, m), __VA_ARGS__                                                    \
	}
#define GF_OPTDEF_HEIGHT(type, m, ...)                                                             \
	{                                                                                          \
		.name = "height", .kind = GF_OPTK_INT, .min = 1, .max = GF_MAX_DIMENSION,          \
		GF_OPT_AT(type, m), __VA_ARGS__                                                    \
	}
#define GF_OPTDEF_HELP(type, m, ...)                                                               \
	{                                                                                          \
		.name = "help", .letter = 'h', .kind = GF_OPTK_FLAG, GF_OPT_AT(type, m),           \
		__VA_ARGS__                                                                        \
	}

/* Plain data: the effective parameters of one run, after class defaults and overrides. */
struct gf_options {
	enum gf_workload workload;
	char cls;          /* 'S', 'W', 'A' or 'B' */
	int workers;       /* worker count */
	int workers_given; /* 1 when --workers or the backend's environment variable set it */
	int reps;          /* timed repetitions, after one untimed warm-up; with reps_auto,
			      the most that may run (gf_reps_auto_max) */
	int reps_auto;     /* --reps auto: repeat until the intervals meet ci_target */
	double ci_target;  /* --ci-target: the half-width sought, percent of the median */
	double reps_cap;   /* --reps-cap: seconds all the timed repetitions may take */
	enum gf_format format;
	enum gf_order order; /* --order: blocked (default) or interleaved */
	int64_t n;           /* sum: iterations per worker */
	int64_t *limits;     /* primes: the task list, in submission order (owned) */
	size_t nlimits;
	int64_t images; /* resize: number of images */
	int64_t width;  /* resize: image width */
	int64_t height; /* resize: image height */
	double timeout; /* --timeout: seconds the whole run may take, 0 for no limit */
	int bind;       /* --bind: worker w pinned to CPU w mod n of the run's (gf_bind.h) */
	int help;       /* --help (or --man) was given: print gf_options_usage and exit 0 */
	int man;        /* --man was given: the help as a man page */
	int version;    /* --version was given */
	/* the backend's own options (struct gf_cli's options), zero when not given */
	union gf_optval be[GF_OPT_SLOTS];
};

/* What a backend tells the parser about itself. */
struct gf_cli {
	const char *prog; /* "gilfree-omp" */
	/*
	 * The backend's own options, values in struct gf_options's be[] (GF_OPT_SLOT), or NULL.
	 * Those flagged GF_OPTF_HOW are the run's "how" parameters, which the report prints.
	 */
	const struct gf_optdef *options;
	const char *
		workers_env; /* variable read when --workers is absent (OMP_NUM_THREADS), or NULL */
	int workers_launcher; /* 1: the launcher sets the worker count (mpirun -np) */
	const char *about;    /* --help, the man page's NAME: what the binary runs, one line */
	/* with workers_launcher: --workers' help and where its default comes from */
	const char *workers_help, *workers_default;
};

/*
 * Parses argv into *opts (which it initialises). On a user error returns -EINVAL and writes
 * one line, without the program name or a newline, into err (errlen bytes), e.g.
 * "invalid --workers '0': must be at least 1". Returns -ENOMEM if allocation fails.
 * On success returns 0; opts->limits is owned by opts (gf_options_release). Not thread-safe
 * (getopt_long keeps global state); resets optind itself, so it may be called repeatedly.
 */
int gf_options_parse(int argc, char **argv, const struct gf_cli *cli, struct gf_options *opts,
		     char *err, size_t errlen);

/*
 * The checks that span options: one timing per task (and per worker) and repetition must fit
 * GF_MAX_SAMPLES, so what would exhaust memory is refused up front, not found in calloc.
 * gf_options_parse runs it; run it again after changing opts->workers. Returns 0 or -EINVAL
 * with a message in err.
 */
int gf_options_check(const struct gf_options *opts, char *err, size_t errlen);

/*
 * The most repetitions --reps auto may run for opts' tasks: GF_REPS_AUTO_MAX, or fewer where
 * one timing per task (or worker) and repetition would pass GF_MAX_SAMPLES.
 */
int gf_reps_auto_max(const struct gf_options *opts);

/* Frees what gf_options_parse allocated. Safe on a zeroed or already released struct. */
void gf_options_release(struct gf_options *opts);

/*
 * Prints the full --help text for this backend to stdout, or in roff its man page (--man):
 * every option of the tables the parser reads, with its default. bench: the binary has the
 * bench subcommand (gf_bench.h), whose usage line and options are included.
 */
void gf_options_usage(const struct gf_cli *cli, int bench, enum gf_optstyle style);

/* The options of gf_options_usage: every table the parser reads, each with its default. */
void gf_options_doc(const struct gf_cli *cli, enum gf_optstyle style);

/* The classes' sizes, a line each (roff: .br between them). */
void gf_options_classes(enum gf_optstyle style);

/*
 * Builds the task list of opts: one sum per worker, one count per limit, one resize per
 * image. Returns 0 and a malloc'ed array in *tasks (caller frees), or -ENOMEM. The work is
 * gf_workload.c's (gf_tasks_build_shape).
 */
static inline int gf_tasks_build(const struct gf_options *opts, struct gf_task **tasks,
				 size_t *ntasks)
{
	const struct gf_task_shape s = {
		.workload = opts->workload,
		.workers = opts->workers,
		.n = opts->n,
		.limits = opts->limits,
		.nlimits = opts->nlimits,
		.images = opts->images,
		.width = opts->width,
		.height = opts->height,
	};

	return gf_tasks_build_shape(&s, tasks, ntasks);
}

/* The version string, "gilfree X.Y.Z". */
extern const char gf_version[];

#endif
