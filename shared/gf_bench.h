/*
 * What every backend's micro-benchmarks share: the command line of
 *   gilfree-<backend> bench <startup|ipc|counter|grain|paths> [options]
 * the sizes and iteration counts (OSU's method: warm-up iterations skipped, fewer iterations
 * for large messages), the output (OSU-style '#' header lines then fixed columns, or one json
 * record per row), the copy limit (memcpy bandwidth), a calibrated unit of work for the grain
 * sweep, test images for the paths experiment, and memory readings from smaps_rollup.
 * Like the rest of shared/, it never forks and knows nothing of MPI or OpenMP.
 */
#ifndef GF_BENCH_H
#define GF_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "gf_clock.h"
#include "gf_options.h"

enum gf_bench_exp {
	GF_BENCH_STARTUP, /* create and join one worker; memory per worker */
	GF_BENCH_IPC,     /* latency and bandwidth by payload size */
	GF_BENCH_COUNTER, /* a shared counter incremented K times by N workers */
	GF_BENCH_GRAIN,   /* speedup over sequential by task grain */
	GF_BENCH_PATHS,   /* pixels through a channel against offsets into a mapped file */
	GF_BENCH_NEXP
};

#define GF_BENCH_MAX_SIZE  (INT64_C(1) << 30) /* 1 GiB: one message, one buffer */
#define GF_BENCH_MAX_ITERS 10000000
#define GF_BENCH_MAX_COUNT INT64_C(1000000000000)
#define GF_BENCH_MAX_GRAIN INT64_C(10000000) /* 10 s, in microseconds */

/* Plain data: the effective parameters of one bench run. */
struct gf_bench_opts {
	enum gf_bench_exp exp;
	enum gf_format format; /* text or json */
	int64_t min_size;      /* ipc: the first payload size, bytes (8) */
	int64_t max_size;      /* ipc: the last payload size, bytes (128 MiB) */
	int step;              /* ipc: each size is the previous one times step (4; 2 as OSU) */
	int iters;             /* timed iterations per point, small sizes (1000) */
	int warmup;            /* untimed iterations before them (100) */
	int workers;           /* counter, grain, paths: worker count (2, the core count here) */
	int64_t count;         /* counter: total increments K (100,000) */
	int64_t min_grain_us;  /* grain: the first grain, microseconds (1) */
	int64_t max_grain_us;  /* grain: the last grain, microseconds (100,000) */
	int reps;              /* grain, paths, startup: timed repetitions (5) */
	int64_t images;        /* paths: number of images (8) */
	int64_t width;         /* paths: image width in pixels, one byte each (1920) */
	int64_t height;        /* paths: image height (1080) */
	int help;
};

struct gf_bench_out;
struct gf_bench_opts;

/*
 * One experiment of a backend: prints its rows to b; returns 0, -EINVAL after printing why
 * the setting cannot run (exit 2), or another negative errno (exit 1).
 */
typedef int (*gf_bench_fn)(void *ctx, struct gf_bench_out *b, const struct gf_bench_opts *o);

/* What a backend tells the parser about itself. */
struct gf_bench_cli {
	const char *prog;                   /* "gilfree-posix" */
	const char *backend;                /* "posix" */
	const char *methods[GF_BENCH_NEXP]; /* per experiment, what it measures (for --help) */
	gf_bench_fn run[GF_BENCH_NEXP];     /* NULL: the experiment is not offered */
	void *ctx; /* handed to every experiment as its ctx (MPI: this rank's state), or NULL */
};

/*
 * The whole bench subcommand: parses argv (argv[0] == "bench"), runs the experiment and
 * returns the exit status: 0, 1 (a failure or a wrong checked quantity), 2 (bad input, one
 * line on stderr, nothing run). Only root prints (MPI: rank 0); every process runs.
 */
int gf_bench_main(int argc, char **argv, const struct gf_bench_cli *cli, int root);

/* "startup", "ipc", "counter", "grain", "paths": the name of e on the command line. */
const char *gf_bench_exp_name(enum gf_bench_exp e);

/*
 * The bench subcommand's options, each with its default, as --help text or man page roff
 * (gf_optable_usage): what the backends' own --help and man page include.
 */
void gf_bench_doc(FILE *f, enum gf_optstyle style);

/*
 * Parses argv (argv[0] == "bench", argv[1] the experiment) into *o, which it initialises.
 * Returns 0; or -EINVAL with one line naming the bad value in err (a user error: exit 2).
 * --help sets o->help (the usage is printed by gf_bench_main, exit 0). Not thread-safe
 * (getopt_long).
 */
int gf_bench_parse(int argc, char **argv, const struct gf_bench_cli *cli, struct gf_bench_opts *o,
		   char *err, size_t errlen);

/* The next payload size after size: size * o->step, or 0 once past o->max_size. */
int64_t gf_bench_next_size(const struct gf_bench_opts *o, int64_t size);

/*
 * The iterations for one payload size, as OSU does: o->iters and o->warmup up to 8 KiB, a
 * tenth of them above; then fewer, so that one point moves at most 1 GiB (at least 2 timed
 * iterations and 1 warm-up).
 */
void gf_bench_iters(const struct gf_bench_opts *o, int64_t size, int *iters, int *warmup);

/*
 * The plan of a bandwidth point, as osu_bw: a window of GF_BENCH_WINDOW messages in flight
 * per round, the receiver answering once per window. Above 4 MiB (OSU's largest size) the
 * window shrinks so that one moves at most 256 MiB, and the rounds (gf_bench_iters) so that a
 * point moves at most 1 GiB (at least 2).
 */
#define GF_BENCH_WINDOW 64
void gf_bench_window(const struct gf_bench_opts *o, int64_t size, int *window, int *iters,
		     int *warmup);

/*
 * The output of one bench run, a row at a time: in text, a '#' header (the title and the
 * column names) each time the method or the columns change, then one line of fixed-width
 * columns per row; in json, one object per row on one line:
 *   {"kind":"bench","backend":..,"experiment":..,"method":..,<fields>}
 * with statistics as {"min","median","max","ci_low","ci_high"} (the median's 95% interval,
 * null below GF_STATS_CI_MIN samples; in text two more columns, "-" there). Not thread-safe;
 * one per process.
 */
#define GF_BENCH_FIELDS 24
struct gf_bench_out {
	FILE *f;
	const char *prog;
	const char *backend;
	const char *experiment;
	enum gf_format format;
	const char *method;
	char title[160];
	int nfields;
	struct gf_bench_field {
		const char *name; /* a string literal */
		int type;
		int64_t i;
		double x, min, max;
		int ci; /* statistics: ci_low and ci_high hold the median's 95% interval */
		double ci_low, ci_high;
	} field[GF_BENCH_FIELDS];
	char header[512];     /* the columns of the last header printed */
	char last_method[64]; /* and its method */
	int failed;           /* a checked quantity was wrong in some row */
	double unit;          /* seconds per unit of work (gf_bench_calibrate), 0 until known */
};

/* f NULL: print nothing (the ranks that are not root). */
void gf_bench_out_init(struct gf_bench_out *b, FILE *f, const struct gf_bench_cli *cli,
		       const struct gf_bench_opts *o);

/*
 * Starts a row of method; title (printf format, or NULL) heads its table in text when the
 * method or the columns differ from the previous row's.
 */
void gf_bench_row(struct gf_bench_out *b, const char *method, const char *title, ...)
	__attribute__((format(printf, 3, 4)));
void gf_bench_int(struct gf_bench_out *b, const char *name, int64_t v);
void gf_bench_num(struct gf_bench_out *b, const char *name, double v);
/* Statistics scaled by scale (1e6: seconds to microseconds). */
void gf_bench_stats(struct gf_bench_out *b, const char *name, const struct gf_stats *s,
		    double scale);
/* A checked quantity: "ok":true or false; false marks the run failed (exit 1). */
void gf_bench_check(struct gf_bench_out *b, int ok);
/* A yes-or-no fact that is no check: "name":true or false. */
void gf_bench_flag(struct gf_bench_out *b, const char *name, int yes);
/* Prints the row. */
void gf_bench_end(struct gf_bench_out *b);

/* A '# note' line in text (nothing in json, where the records say it all). */
void gf_bench_note(struct gf_bench_out *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Statistics of samples[0..n) scaled by nothing; all zero on failure to allocate. */
struct gf_stats gf_bench_stats_of(const double *samples, size_t n);

/* Adds the "memcpy" table, a row per payload size of o, to b. Returns 0 or -ENOMEM. */
int gf_bench_memcpy_table(struct gf_bench_out *b, const struct gf_bench_opts *o);

/*
 * The unit of work of the grain sweep: gf_kernel_sum(units, 1), which the compiler cannot fold.
 * gf_bench_calibrate times it once per run (kept in b) and returns seconds per unit: n doubles from
 * 1000 until one call takes GF_BENCH_CALIBRATE_S, two more calls warm up, and the unit is
 * the median of five timed calls (about 0.2 s in all; scripts/gilfree/pybench.py calibrates
 * Python's unit the same way). gf_bench_units turns a grain in seconds into units (at least
 * 1). gf_bench_work runs units and returns its checked value, gf_bench_work_expect what it
 * must be. The grain sweep then corrects the units of each grain by its own sequential pass.
 */
#define GF_BENCH_CALIBRATE_S 0.02
double gf_bench_calibrate(struct gf_bench_out *b);
/* Takes another process's calibration (MPI: rank 0's), so that every rank uses one unit. */
void gf_bench_set_unit(struct gf_bench_out *b, double seconds);
int64_t gf_bench_units(struct gf_bench_out *b, double seconds);
uint64_t gf_bench_work(int64_t units);
uint64_t gf_bench_work_expect(int64_t units);

/* The grains of the sweep: o->min_grain_us times 10 up to o->max_grain_us; 0 past the end. */
int64_t gf_bench_next_grain(const struct gf_bench_opts *o, int64_t grain_us);

/* The most tasks of one grain point. */
#define GF_BENCH_MAX_TASKS 20000

/*
 * Tasks per grain point: enough that the sequential run takes about 0.1 s, at least
 * 2 per worker and at most GF_BENCH_MAX_TASKS.
 */
int64_t gf_bench_grain_tasks(const struct gf_bench_opts *o, int64_t grain_us);

/*
 * Paths, not frames: image id's pixels are n bytes of a fixed pattern, and the checksum a
 * worker computes over them (a byte sum, so every byte is read). Thread-safe.
 */
void gf_bench_pixels(uint8_t *buf, size_t n, int64_t id);
uint64_t gf_bench_checksum(const uint8_t *buf, size_t n);

/*
 * Makes o->images images of o->width * o->height bytes, one after the other in a new buffer
 * (the caller frees it), and their total checksum in *sum: what every paths run must get.
 * Returns NULL when out of memory.
 */
uint8_t *gf_bench_images(const struct gf_bench_opts *o, uint64_t *sum);

/*
 * Writes the images of gf_bench_images into a new temporary file and returns its fd (the
 * caller closes it), or a negative errno. With path NULL the file is unlinked at once, so
 * nothing is left behind. Otherwise its name is written into path (len bytes) for other
 * processes to open, and the caller unlinks it.
 */
int gf_bench_image_file(const struct gf_bench_opts *o, const uint8_t *images, char *path,
			size_t len);

/*
 * Maps the n bytes at offset of fd (any offset: the mapping starts at the page below it),
 * checksums them and unmaps. Returns 0 and the checksum in *sum, or a negative errno.
 * Thread-safe; what a worker given only an offset does.
 */
int gf_bench_map_checksum(int fd, int64_t offset, size_t n, uint64_t *sum);

/*
 * The common rows. A latency row: size, lat_us (the samples, seconds per one-way trip),
 * bw_MBps (size over the median), ok. A time row for grain and paths: the samples as time_s.
 */
void gf_bench_latency_row(struct gf_bench_out *b, const char *method, const char *title,
			  int64_t size, const double *samples, size_t n, int ok);

/*
 * A ping-pong's buffers, as osu_latency allocates them: one to send from and another to
 * receive into, each of size bytes, each page-aligned (posix_memalign to sysconf's page size)
 * and filled, so that no page is first touched while timed. Sending from the buffer a message
 * was just received into costs more than sending from one that stays put, so every ping-pong
 * keeps the two apart. Returns 0 (the caller frees both with free), -EINVAL for a size below
 * 1 or above GF_BENCH_MAX_SIZE, or -ENOMEM; on error both are NULL. Thread-safe.
 */
int gf_bench_pingpong_buffers(int64_t size, unsigned char **send, unsigned char **recv);

/*
 * A ping-pong row: size, lat_us (the samples, seconds per one-way trip, one per round trip),
 * avg_us (their mean: the elapsed time of all the timed round trips over twice their count,
 * osu_latency's figure when the samples are consecutive), bw_MBps (size over the median), ok.
 */
void gf_bench_pingpong_row(struct gf_bench_out *b, const char *method, const char *title,
			   int64_t size, const double *samples, size_t n, int ok);

/*
 * A bandwidth row: size, window, lat_us (seconds[0..n) per window, each divided by the
 * window: per message), bw_MBps (all the bytes over all the time, as osu_bw), bytes_sent,
 * bytes_received, ok (which also requires sent == received).
 */
void gf_bench_bw_row(struct gf_bench_out *b, const char *method, const char *title, int64_t size,
		     int window, const double *seconds, size_t n, int64_t sent, int64_t received,
		     int ok);

/*
 * The warm-up-then-time loop: runs run(arg) warmup times untimed, then n times, each timed by
 * the shared clock into t[0..n). ready (or NULL) runs untimed before every run, warm-ups too
 * (MPI: the ranks start together). Returns 0, or the first negative errno run returns (the
 * loop stops there).
 */
int gf_bench_repeat(int (*run)(void *arg), void (*ready)(void *arg), void *arg, int warmup, int n,
		    double *t);

/*
 * One grain point: the sequential run of tasks tasks of units each, reps times after one
 * warm-up, its samples in seq[0..reps); returns the checked value of one run.
 */
uint64_t gf_bench_grain_seq(int64_t units, int64_t tasks, int reps, double *seq);

/*
 * A backend's part of the grain sweep: the parallel body and the optional hooks around it.
 * Every hook gets ctx. Hooks return 0 or a negative errno, which ends the sweep.
 */
struct gf_bench_grain {
	const char *method;
	const char *title;     /* the title of its rows */
	int workers;           /* how many the tasks are dealt to */
	int root;              /* this process runs the sequential baseline, checks and prints */
	const char *variant;   /* NULL, or the column of the values each grain point runs by */
	const int64_t *values; /* those values (posix: chunksizes) */
	int nvalues;
	/* untimed, once per grain point, before its runs (posix: fills the pool's tasks) */
	int (*setup)(void *ctx, int64_t tasks, int64_t units);
	/* untimed, before each run (MPI: the ranks start together) */
	void (*ready)(void *ctx);
	/* one parallel run of tasks tasks of units each; the checked value in *got */
	int (*par)(void *ctx, int64_t value, int64_t tasks, int64_t units, uint64_t *got);
	/* every process's ok to one (MPI: over all ranks), or NULL */
	int (*agree)(void *ctx, int ok);
	/* the value a run really used, for a value of the variant (posix: 0 is map's default
	   chunksize, and this its number), printed as used_name; or NULL */
	const char *used_name;
	int64_t (*used)(void *ctx, int64_t value, int64_t tasks);
	/* root's units of a grain point to every process (MPI: a broadcast), or NULL */
	int64_t (*share)(void *ctx, int64_t units);
	/* the parallel runs have a parent that hands out the tasks (posix: the pool's): the
	   rows say how much CPU it used per task (parent_cpu_us) */
	int parent;
	void *ctx;
};

/*
 * The grain sweep: the unit's note, then for each grain of o (gf_bench_next_grain), the
 * sequential baseline on root and for each value (or once) o->reps parallel runs after one
 * warm-up, a row each (gf_bench_grain_row). The baseline measures the grain: when its median
 * time per task is more than GF_BENCH_GRAIN_FIX off the nominal grain, the units are scaled
 * by the ratio and the baseline runs again, at most twice; every row reports the grain it
 * measured beside the nominal one (grain_measured_us), and says whether they still differ
 * by more than GF_BENCH_GRAIN_OFF (grain_off). Returns 0, -ENOMEM, or a hook's negative errno.
 */
#define GF_BENCH_GRAIN_FIX 0.10
#define GF_BENCH_GRAIN_OFF 0.20
int gf_bench_grain_sweep(struct gf_bench_out *b, const struct gf_bench_opts *o,
			 const struct gf_bench_grain *g);

/* What a grain row reports beyond its samples. */
struct gf_bench_grain_facts {
	int64_t grain_us, tasks;
	double measured_us;   /* the baseline's median time per task */
	double parent_cpu_us; /* the parent's CPU time per task, median; < 0: no parent */
};

/*
 * Completes the row begun with gf_bench_row for one grain point: grain_us,
 * grain_measured_us, grain_off, tasks, seq_s, par_s, speedup (median over median, one run),
 * parent_cpu_us where there is a parent, ok; and prints it.
 */
void gf_bench_grain_row(struct gf_bench_out *b, const struct gf_bench_grain_facts *f,
			const double *seq, const double *par, int reps, int ok);

/*
 * Completes the row begun with gf_bench_row for one way of moving the images: images,
 * image_bytes, bytes_moved (what crossed between owners: pixels or offsets), bytes_sent and
 * bytes_received (left out when sent is negative: nothing was sent, only copied or mapped),
 * time_s (t[0..o->reps)), ok; and prints it.
 */
void gf_bench_paths_row(struct gf_bench_out *b, const struct gf_bench_opts *o, int64_t moved,
			int64_t sent, int64_t received, const double *t, int ok);

/*
 * Completes the row begun with gf_bench_row for one way of sharing a counter: workers, count
 * (o->count), ns_per_inc (t[0..reps) per increment), final, ok; and prints it.
 */
void gf_bench_counter_row(struct gf_bench_out *b, const struct gf_bench_opts *o, int workers,
			  const double *t, int reps, int64_t final, int ok);

/* Memory of a process from /proc/<pid>/smaps_rollup (pid 0: this process), in KiB. */
/*
 * An order of the paths experiment, as the posix and mpi backends send it: one image, by its
 * pixels (frames nonzero: bytes pixel bytes follow) or by its offset into the shared file.
 * Plain data, sent as raw bytes.
 */
struct gf_image_order {
	int64_t id;     /* -1: the end of this round */
	int64_t offset; /* where it lies in the file */
	int64_t bytes;  /* its size; with frames, that many pixel bytes follow */
	int64_t frames;
};

struct gf_mem {
	int64_t rss_kb;
	int64_t pss_kb;
	int64_t private_kb; /* Private_Clean + Private_Dirty */
};
/* Returns 0, or a negative errno (-ENOENT without smaps_rollup). */
int gf_bench_smaps(pid_t pid, struct gf_mem *m);

/*
 * A message's stamp: round's low byte in its first, middle and last bytes, so that a short,
 * stale or misplaced message is seen at any size (size >= 1). Thread-safe.
 */
void gf_bench_stamp(unsigned char *p, int64_t size, int round);
int gf_bench_stamped(const unsigned char *p, int64_t size, int round);

#endif
