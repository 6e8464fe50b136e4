#include "gf_bench.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "gf_io.h"
#include "gf_report.h"
#include "gf_kernels.h"

static const char *const exp_names[GF_BENCH_NEXP] = { "startup", "ipc", "counter", "grain",
						      "paths" };

/* "startup", "ipc", "counter", "grain", "paths". */
const char *gf_bench_exp_name(enum gf_bench_exp e)
{
	return (unsigned)e < GF_BENCH_NEXP ? exp_names[e] : "?";
}

enum {
	B_MIN_SIZE,
	B_MAX_SIZE,
	B_STEP,
	B_ITERS,
	B_WARMUP,
	B_WORKERS,
	B_COUNT,
	B_MIN_GRAIN,
	B_MAX_GRAIN,
	B_REPS,
	B_IMAGES,
	B_WIDTH,
	B_HEIGHT,
	B_FORMAT,
};

/* enum gf_format's words less csv: a benchmark prints tables or json records */
static const char *const bench_formats[] = { "text", "json", NULL };

#define B_AT(m) GF_OPT_AT(struct gf_bench_opts, m)
/* the defaults are bench_defaults', which --help reads */
static const struct gf_optdef bench_options[] = {
	[B_MIN_SIZE] = { .name = "min-size",
			 .kind = GF_OPTK_SIZE,
			 .min = 1,
			 .max = GF_BENCH_MAX_SIZE,
			 B_AT(min_size),
			 .arg = "S",
			 .help = "ipc: the first payload size, bytes, suffix k, m or g allowed" },
	[B_MAX_SIZE] = { .name = "max-size",
			 .kind = GF_OPTK_SIZE,
			 .min = 1,
			 .max = GF_BENCH_MAX_SIZE,
			 B_AT(max_size),
			 .arg = "S",
			 .help = "ipc: the last payload size, as --min-size" },
	[B_STEP] = { .name = "step",
		     .kind = GF_OPTK_INT,
		     .min = 2,
		     .max = 16,
		     B_AT(step),
		     .arg = "N",
		     .help = "ipc: each size is the previous times N" },
	[B_ITERS] = { .name = "iters",
		      .kind = GF_OPTK_INT,
		      .min = 1,
		      .max = GF_BENCH_MAX_ITERS,
		      B_AT(iters),
		      .arg = "N",
		      .help = "timed iterations per point up to 8 KiB, a tenth above (OSU)" },
	[B_WARMUP] = { .name = "warmup",
		       .kind = GF_OPTK_INT,
		       .min = 0,
		       .max = GF_BENCH_MAX_ITERS,
		       B_AT(warmup),
		       .arg = "N",
		       .help = "untimed iterations before them, as --iters" },
	[B_WORKERS] = GF_OPTDEF_WORKERS(struct gf_bench_opts, workers, .arg = "N",
					.help = "workers for counter, grain and paths"),
	[B_COUNT] = { .name = "count",
		      .kind = GF_OPTK_INT,
		      .min = 1,
		      .max = GF_BENCH_MAX_COUNT,
		      B_AT(count),
		      .arg = "K",
		      .help = "counter: total increments" },
	[B_MIN_GRAIN] = { .name = "min-grain",
			  .kind = GF_OPTK_INT,
			  .min = 1,
			  .max = GF_BENCH_MAX_GRAIN,
			  B_AT(min_grain_us),
			  .arg = "US",
			  .help = "grain: the first grain in microseconds, then by tens" },
	[B_MAX_GRAIN] = { .name = "max-grain",
			  .kind = GF_OPTK_INT,
			  .min = 1,
			  .max = GF_BENCH_MAX_GRAIN,
			  B_AT(max_grain_us),
			  .arg = "US",
			  .help = "grain: the last grain in microseconds" },
	[B_REPS] = GF_OPTDEF_REPS(struct gf_bench_opts, reps, .arg = "R",
				  .help = "repetitions of startup, counter, grain and paths"),
	[B_IMAGES] = GF_OPTDEF_IMAGES(struct gf_bench_opts, images, .arg = "N",
				      .help = "paths: number of images"),
	[B_WIDTH] = GF_OPTDEF_WIDTH(struct gf_bench_opts, width, .arg = "W",
				    .help = "paths: image width in pixels, one byte each"),
	[B_HEIGHT] = GF_OPTDEF_HEIGHT(struct gf_bench_opts, height, .arg = "H",
				      .help = "paths: image height in pixels"),
	[B_FORMAT] = GF_OPTDEF_FORMAT(struct gf_bench_opts, format, bench_formats, .arg = "F",
				      .help = "text (tables) or json (one record per row)"),
	GF_OPTDEF_HELP(struct gf_bench_opts, help, .help = "this text"),
	{ .name = NULL },
};

static void bench_defaults(struct gf_bench_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->format = GF_FORMAT_TEXT;
	o->min_size = 8;
	o->max_size = INT64_C(128) << 20;
	o->step = 4;
	o->iters = 1000;
	o->warmup = 100;
	o->workers = 2;
	o->count = 100000;
	o->min_grain_us = 1;
	o->max_grain_us = 100000;
	o->reps = 5;
	o->images = 8;
	o->width = 1920;
	o->height = 1080;
}

/*
 * The checks between options, once all are read, naming the one given (v: the values as
 * given) when two disagree.
 */
static int bench_check(const struct gf_bench_opts *o, const char *const *v, char *err,
		       size_t errlen)
{
	if (o->min_size > o->max_size && v[B_MAX_SIZE])
		gf_errf(err, errlen, "invalid --max-size '%s': below --min-size %lld",
			v[B_MAX_SIZE], (long long)o->min_size);
	else if (o->min_size > o->max_size)
		gf_errf(err, errlen, "invalid --min-size '%s': above --max-size %lld",
			v[B_MIN_SIZE], (long long)o->max_size);
	else if (o->min_grain_us > o->max_grain_us && v[B_MAX_GRAIN])
		gf_errf(err, errlen, "invalid --max-grain '%s': below --min-grain %lld",
			v[B_MAX_GRAIN], (long long)o->min_grain_us);
	else if (o->min_grain_us > o->max_grain_us)
		gf_errf(err, errlen, "invalid --min-grain '%s': above --max-grain %lld",
			v[B_MIN_GRAIN], (long long)o->max_grain_us);
	else if (o->count < o->workers && v[B_COUNT])
		gf_errf(err, errlen, "invalid --count '%s': fewer than the %d workers", v[B_COUNT],
			o->workers);
	else if (o->count < o->workers)
		gf_errf(err, errlen, "invalid --workers '%s': more than the %lld increments",
			v[B_WORKERS], (long long)o->count);
	else if (o->width * o->height > GF_BENCH_MAX_SIZE)
		gf_errf(err, errlen, "invalid --width/--height '%lldx%lld': an image above 1 GiB",
			(long long)o->width, (long long)o->height);
	else
		return 0;
	return -EINVAL;
}

int gf_bench_parse(int argc, char **argv, const struct gf_bench_cli *cli, struct gf_bench_opts *o,
		   char *err, size_t errlen)
{
	const struct gf_optset set = { bench_options, o };
	struct gf_optseen seen;
	int rc, exp = -1;

	bench_defaults(o);
	/* The experiment comes first, so that "bench ipc --max-size 1k" reads naturally. */
	if (argc > 1 && argv[1][0] != '-') {
		for (int i = 0; i < GF_BENCH_NEXP; i++)
			if (strcmp(argv[1], exp_names[i]) == 0 && cli->run[i])
				exp = i;
		if (exp < 0) {
			gf_errf(err, errlen, "unknown experiment '%s': expected %s", argv[1],
				"startup, ipc, counter, grain or paths");
			return -EINVAL;
		}
		o->exp = (enum gf_bench_exp)exp;
		argc--;
		argv++;
	}
	if ((rc = gf_optable_parse(argc, argv, &set, 1, &seen, err, errlen)) != 0)
		return rc;
	if (o->help)
		return 0;
	if (seen.next < argc) {
		gf_errf(err, errlen, "unexpected argument '%s'", argv[seen.next]);
		return -EINVAL;
	}
	if (exp < 0) {
		gf_errf(err, errlen,
			"missing experiment: expected startup, ipc, counter, grain or "
			"paths");
		return -EINVAL;
	}
	return bench_check(o, seen.value, err, errlen);
}

void gf_bench_doc(FILE *f, enum gf_optstyle style)
{
	struct gf_bench_opts dflt;

	bench_defaults(&dflt);
	gf_optable_usage(f, bench_options, &dflt, NULL, style);
}

/* Prints the --help text of the bench subcommand to stdout. */
static void bench_usage(const struct gf_bench_cli *cli)
{
	printf("usage: %s bench <experiment> [options]\n\n"
	       "Micro-benchmarks of the costs of the %s backend: OSU-style tables of median, min\n"
	       "and max after warm-up iterations, or one json record per row.\n\n"
	       "experiments and what each measures here:\n",
	       cli->prog, cli->backend);
	for (int i = 0; i < GF_BENCH_NEXP; i++)
		if (cli->run[i])
			printf("  %-9s %s\n", exp_names[i], cli->methods[i]);
	printf("\noptions:\n");
	gf_bench_doc(stdout, GF_OPTSTYLE_TEXT);
	printf("\nExit status: 0 every checked quantity right, 1 a wrong one or a failure, 2 bad "
	       "input.\n");
}

int64_t gf_bench_next_size(const struct gf_bench_opts *o, int64_t size)
{
	if (size > o->max_size / o->step)
		return 0;
	return size * o->step;
}

void gf_bench_iters(const struct gf_bench_opts *o, int64_t size, int *iters, int *warmup)
{
	int64_t it = o->iters, wu = o->warmup;

	if (size > 8192) {
		it = it / 10 > 0 ? it / 10 : 1;
		wu = wu / 10;
	}
	if (it * size > (INT64_C(1) << 30))
		it = (INT64_C(1) << 30) / size;
	if (it < 2)
		it = 2;
	if (wu < 1)
		wu = 1;
	if (wu > it)
		wu = it;
	*iters = (int)it;
	*warmup = (int)wu;
}

void gf_bench_window(const struct gf_bench_opts *o, int64_t size, int *window, int *iters,
		     int *warmup)
{
	int64_t w = GF_BENCH_WINDOW, most = INT64_C(1) << 30;

	if (size > (INT64_C(4) << 20))
		w = (INT64_C(256) << 20) / size > 0 ? (INT64_C(256) << 20) / size : 1;
	gf_bench_iters(o, size, iters, warmup);
	if ((int64_t)*iters * w * size > most)
		*iters = most / (w * size) > 2 ? (int)(most / (w * size)) : 2;
	if (*warmup > *iters)
		*warmup = *iters;
	*window = (int)w;
}

int gf_bench_main(int argc, char **argv, const struct gf_bench_cli *cli, int root)
{
	struct gf_bench_opts o;
	struct gf_bench_out b;
	char err[256];
	int rc;

	if (gf_bench_parse(argc, argv, cli, &o, err, sizeof(err))) {
		if (root)
			fprintf(stderr, "%s: %s\n", cli->prog, err);
		return 2;
	}
	if (o.help) {
		if (root)
			bench_usage(cli);
		return 0;
	}
	gf_bench_out_init(&b, root ? stdout : NULL, cli, &o);
	rc = cli->run[o.exp](cli->ctx, &b, &o);
	if (rc == -EINVAL)
		return 2; /* the experiment refused its setting (MPI: too few ranks) and said why */
	if (rc) {
		if (root)
			fprintf(stderr, "%s: bench %s failed: %s\n", cli->prog,
				gf_bench_exp_name(o.exp), strerror(-rc));
		return 1;
	}
	if (b.failed && root)
		fprintf(stderr, "%s: bench %s: a checked quantity is wrong\n", cli->prog,
			gf_bench_exp_name(o.exp));
	return b.failed ? 1 : 0;
}
