#include "gf_options.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char gf_version[] = "gilfree " GF_VERSION;

/*
 * Class S is the lecture's own parameters. W, A and B keep each workload's shape (one sum per
 * worker, the six limits in the lecture's order and ratios, eight images) and scale it so that
 * a sequential run takes about 0.1 s, 1 s and 10 s on a 2-core x86-64 machine.
 */
static const int64_t lecture_limits[] = { 20000, 30000, 25000, 35000, 40000, 15000 };
#define NLECTURE (sizeof(lecture_limits) / sizeof(lecture_limits[0]))

struct gf_class {
	char name;
	int64_t n;           /* sum: iterations per worker */
	int64_t limit_scale; /* primes: lecture limits times this */
	int64_t width;       /* resize: image size */
	int64_t height;
};

static const struct gf_class classes[] = {
	{ 'S', INT64_C(2000000), 1, 1920, 1080 },
	{ 'W', INT64_C(64000000), 6, 1920 * 20, 1080 * 20 },
	{ 'A', INT64_C(640000000), 34, 1920 * 64, 1080 * 64 },
	{ 'B', INT64_C(6400000000), 175, 1920 * 200, 1080 * 200 },
};

static int parse_limits(const char *s, struct gf_options *opts, char *err, size_t errlen)
{
	size_t cap = 1;
	const char *p;
	int64_t *list;
	size_t n = 0;

	for (p = s; *p; p++)
		cap += *p == ',';
	if (*s == '\0') {
		gf_errf(err, errlen, "invalid --limits '': empty list");
		return -EINVAL;
	}
	if (cap > GF_MAX_LIST) {
		gf_errf(err, errlen, "invalid --limits: %zu items, at most %d", cap, GF_MAX_LIST);
		return -EINVAL;
	}
	list = malloc(cap * sizeof(*list));
	if (!list)
		return -ENOMEM;
	for (p = s;; p++) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char item[32], why[96];

		if (len == 0 || len >= sizeof(item)) {
			gf_errf(err, errlen, "invalid --limits '%s': %s item %zu", s,
				len ? "too long" : "empty", n + 1);
			free(list);
			return -EINVAL;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		if (gf_parse_int(item, 1, GF_MAX_LIMIT, &list[n], why, sizeof(why)) != 0) {
			gf_errf(err, errlen, "invalid --limits item '%s': %s", item, why);
			free(list);
			return -EINVAL;
		}
		n++;
		if (!end)
			break;
		p = end;
	}
	free(opts->limits);
	opts->limits = list;
	opts->nlimits = n;
	return 0;
}

/* Reads the worker count from the backend's variable (OMP_NUM_THREADS "4" or "4,2"). */
static int workers_from_env(const char *var, struct gf_options *opts, char *err, size_t errlen)
{
	const char *s = var ? getenv(var) : NULL;
	char first[32], why[96];
	size_t len;
	int64_t v;

	if (!s)
		return 0;
	len = strcspn(s, ",");
	if (len >= sizeof(first)) {
		gf_errf(err, errlen, "invalid %s '%s': not a number", var, s);
		return -EINVAL;
	}
	memcpy(first, s, len);
	first[len] = '\0';
	if (gf_parse_int(first, 1, GF_MAX_WORKERS, &v, why, sizeof(why)) != 0) {
		gf_errf(err, errlen, "invalid %s '%s': %s", var, s, why);
		return -EINVAL;
	}
	opts->workers = (int)v;
	opts->workers_given = 1;
	return 0;
}

/* The rows of timings the driver keeps per repetition: one per task, or per worker. */
static int64_t timing_rows(const struct gf_options *opts)
{
	int64_t tasks = opts->workers;

	if (opts->workload == GF_PRIMES && (int64_t)opts->nlimits > tasks)
		tasks = (int64_t)opts->nlimits;
	if (opts->workload == GF_RESIZE && opts->images > tasks)
		tasks = opts->images;
	return tasks > 0 ? tasks : 1;
}

int gf_reps_auto_max(const struct gf_options *opts)
{
	int64_t most = GF_MAX_SAMPLES / timing_rows(opts);

	return most < GF_REPS_AUTO_MAX ? (int)most : GF_REPS_AUTO_MAX;
}

/* Each size is in range, but the driver keeps one timing per task and repetition. */
int gf_options_check(const struct gf_options *opts, char *err, size_t errlen)
{
	int64_t tasks = timing_rows(opts);

	if (opts->reps_auto) {
		if (gf_reps_auto_max(opts) >= GF_STATS_CI_MIN)
			return 0;
		gf_errf(err, errlen,
			"invalid --reps 'auto': %lld tasks leave room for fewer than %d "
			"repetitions (at most %lld timings)",
			(long long)tasks, GF_STATS_CI_MIN, (long long)GF_MAX_SAMPLES);
		return -EINVAL;
	}
	if (tasks * opts->reps <= GF_MAX_SAMPLES)
		return 0;
	gf_errf(err, errlen,
		"invalid --reps '%d': %lld tasks times %d repetitions is more than %lld timings",
		opts->reps, (long long)tasks, opts->reps, (long long)GF_MAX_SAMPLES);
	return -EINVAL;
}

const char *const gf_format_words[] = { "text", "json", "csv", NULL };
static const char *const class_words[] = { "S", "W", "A", "B", NULL };
static const char *const order_words[] = { "blocked", "interleaved", NULL };

/*
 * The common options; --class and --limits wait in struct later until the class is known,
 * --reps and --ci-target until they are read by hand (a number or auto; a percentage).
 */
struct later {
	int cls; /* index into classes[] */
	const char *limits;
	const char *reps;
	const char *ci_target;
};

enum { O_WORKERS, O_FORMAT, O_N, O_IMAGES, O_WIDTH, O_HEIGHT, O_REPS_CAP };

#define SUM_ONLY    .only = GF_OPT_ONLY(GF_SUM)
#define PRIMES_ONLY .only = GF_OPT_ONLY(GF_PRIMES)
#define RESIZE_ONLY .only = GF_OPT_ONLY(GF_RESIZE)
#define TEXT_OF(x)  #x
#define TEXT(x)     TEXT_OF(x)

/* The defaults --help prints are those a parse starts from (usage_defaults). */
static const struct gf_optdef common_options[] = {
	[O_WORKERS] =
		GF_OPTDEF_WORKERS(struct gf_options, workers, .arg = "N", .help = "worker count"),
	[O_FORMAT] = GF_OPTDEF_FORMAT(struct gf_options, format, gf_format_words, .arg = "F",
				      .help = "text, json (one object per line) or csv"),
	[O_N] = { .name = "n",
		  .kind = GF_OPTK_INT,
		  .min = 1,
		  .max = GF_MAX_N,
		  GF_OPT_AT(struct gf_options, n),
		  .arg = "N",
		  .help = "iterations per worker",
		  SUM_ONLY },
	[O_IMAGES] = GF_OPTDEF_IMAGES(struct gf_options, images, .arg = "N",
				      .help = "number of images", RESIZE_ONLY),
	[O_WIDTH] = GF_OPTDEF_WIDTH(struct gf_options, width, .arg = "N",
				    .help = "image width in pixels", RESIZE_ONLY),
	[O_HEIGHT] = GF_OPTDEF_HEIGHT(struct gf_options, height, .arg = "N",
				      .help = "image height in pixels", RESIZE_ONLY),
	[O_REPS_CAP] = { .name = "reps-cap",
			 .kind = GF_OPTK_SECONDS,
			 .max = (int64_t)GF_MAX_SECONDS,
			 GF_OPT_AT(struct gf_options, reps_cap),
			 .arg = "S",
			 .help = "with --reps auto: seconds all the timed repetitions may\n"
				 "take before they stop short of the target" },
	{ .name = "timeout",
	  .kind = GF_OPTK_SECONDS,
	  .max = (int64_t)GF_MAX_SECONDS,
	  GF_OPT_AT(struct gf_options, timeout),
	  .arg = "T",
	  .help = "stop the run, naming what was outstanding, after T\nseconds (exit 1)",
	  .unset = "none" },
	{ .name = "order",
	  .kind = GF_OPTK_WORD,
	  .words = order_words,
	  GF_OPT_AT(struct gf_options, order),
	  .arg = "O",
	  .help = "blocked (every sequential repetition, then every parallel\n"
		  "one) or interleaved (sequential k, parallel k)" },
	{ .name = "bind",
	  .kind = GF_OPTK_FLAG,
	  GF_OPT_AT(struct gf_options, bind),
	  .help = "pin worker w to CPU w mod n of the n CPUs this process may\n"
		  "use (without it the scheduler places the workers)" },
	GF_OPTDEF_HELP(struct gf_options, help, .help = "this text"),
	{ .name = "version",
	  .letter = 'V',
	  .kind = GF_OPTK_FLAG,
	  GF_OPT_AT(struct gf_options, version),
	  .help = "the version" },
	{ .name = "man",
	  .kind = GF_OPTK_FLAG,
	  GF_OPT_AT(struct gf_options, man),
	  .help = "this text as a man page (roff), as installed" },
	{ .name = NULL },
};

static const struct gf_optdef later_options[] = {
	{ .name = "class",
	  .letter = 'c',
	  .kind = GF_OPTK_WORD,
	  .words = class_words,
	  GF_OPT_AT(struct later, cls),
	  .arg = "C",
	  .help = "size class: S (the lecture's sizes), W, A or B (below)" },
	{ .name = "limits",
	  .kind = GF_OPTK_TEXT,
	  GF_OPT_AT(struct later, limits),
	  .arg = "L,...",
	  .help = "the task list of limits, in submission order",
	  .unset = "the class's",
	  PRIMES_ONLY },
	{ .name = "reps",
	  .letter = 'r',
	  .kind = GF_OPTK_TEXT,
	  GF_OPT_AT(struct later, reps),
	  .arg = "R",
	  .help = "timed repetitions after one untimed warm-up, or auto: until\n"
		  "the 95% confidence intervals of the sequential and parallel\n"
		  "medians are within --ci-target, at least " TEXT(
			  GF_STATS_CI_MIN) " and at\n"
					   "most " TEXT(GF_REPS_AUTO_MAX) " repetitions" },
	{ .name = "ci-target",
	  .kind = GF_OPTK_TEXT,
	  GF_OPT_AT(struct later, ci_target),
	  .arg = "P",
	  .help = "with --reps auto: the intervals' half-width sought, in\npercent of the "
		  "median" },
	{ .name = NULL },
};

/* --reps: a count, or "auto" (gf_driver.h); --ci-target and --reps-cap go with auto only. */
static int parse_reps(const struct later *later, const char *cap_given, struct gf_options *opts,
		      char *err, size_t errlen)
{
	char why[96];
	int64_t v;

	opts->ci_target = GF_DEFAULT_CI_TARGET;
	if (!cap_given)
		opts->reps_cap = GF_DEFAULT_REPS_CAP;
	if (later->reps && strcmp(later->reps, "auto") == 0) {
		opts->reps_auto = 1;
	} else if (later->reps) {
		if (gf_parse_int(later->reps, 1, GF_MAX_REPS, &v, why, sizeof(why)) != 0) {
			gf_errf(err, errlen, "invalid --reps '%s': %s%s", later->reps, why,
				strcmp(why, "not a number") == 0 ? " or auto" : "");
			return -EINVAL;
		}
		opts->reps = (int)v;
	}
	if (later->ci_target && !opts->reps_auto) {
		gf_errf(err, errlen, "invalid --ci-target '%s': only with --reps auto",
			later->ci_target);
		return -EINVAL;
	}
	if (cap_given && !opts->reps_auto) {
		gf_errf(err, errlen, "invalid --reps-cap '%s': only with --reps auto", cap_given);
		return -EINVAL;
	}
	/* a percentage is written as a number of seconds is: digits, a point and digits */
	if (later->ci_target && gf_parse_seconds(later->ci_target, GF_MAX_CI_TARGET,
						 &opts->ci_target, why, sizeof(why)) != 0) {
		if (strcmp(why, "not a number of seconds") == 0)
			snprintf(why, sizeof(why), "%s",
				 later->ci_target[0] == '-' ? "must be more than 0"
							    : "not a percentage");
		gf_errf(err, errlen, "invalid --ci-target '%s': %s", later->ci_target, why);
		return -EINVAL;
	}
	return 0;
}

/* The class's sizes, then the overrides given (seen), whatever their order on the line. */
static int apply_class(const struct gf_class *c, const struct gf_optseen *seen,
		       struct gf_options *opts)
{
	int64_t *list = malloc(NLECTURE * sizeof(*list));

	if (!list)
		return -ENOMEM;
	for (size_t i = 0; i < NLECTURE; i++)
		list[i] = lecture_limits[i] * c->limit_scale;
	opts->cls = c->name;
	if (!seen->value[O_N])
		opts->n = c->n;
	free(opts->limits);
	opts->limits = list;
	opts->nlimits = NLECTURE;
	if (!seen->value[O_IMAGES])
		opts->images = GF_DEFAULT_IMAGES;
	if (!seen->value[O_WIDTH])
		opts->width = c->width;
	if (!seen->value[O_HEIGHT])
		opts->height = c->height;
	return 0;
}

/* The workloads' names, by enum gf_workload (and .only's bits). */
static const char *const workload_names[] = { "sum", "primes", "resize", NULL };

/* The one operand: the workload, sum, primes or resize. */
static int parse_workload(int argc, char **argv, int next, struct gf_options *opts, char *err,
			  size_t errlen)
{
	const char *const *names = workload_names;
	static const enum gf_workload workloads[] = { GF_SUM, GF_PRIMES, GF_RESIZE };

	if (next >= argc) {
		gf_errf(err, errlen, "missing workload: expected sum, primes or resize");
		return -EINVAL;
	}
	for (size_t i = 0; i < 3; i++) {
		if (strcmp(argv[next], names[i]) != 0)
			continue;
		opts->workload = workloads[i];
		if (next + 1 < argc) {
			gf_errf(err, errlen, "unexpected argument '%s'", argv[next + 1]);
			return -EINVAL;
		}
		return 0;
	}
	gf_errf(err, errlen, "unknown workload '%s': expected sum, primes or resize", argv[next]);
	return -EINVAL;
}

/*
 * An option of another workload is refused, not ignored: "primes --images 3" would run
 * primes as if the images mattered. seen's k-th value is the k-th entry of the sets.
 */
static int check_only(const struct gf_optset *sets, size_t nsets, const struct gf_optseen *seen,
		      enum gf_workload w, char *err, size_t errlen)
{
	int k = 0;

	for (size_t i = 0; i < nsets; i++) {
		for (const struct gf_optdef *d = sets[i].defs; d && d->name; d++, k++) {
			char only[64] = "";
			size_t used = 0;

			if (!seen->value[k] || !d->only || (d->only & GF_OPT_ONLY(w)))
				continue;
			for (unsigned b = 0; workload_names[b]; b++)
				if (d->only & GF_OPT_ONLY(b))
					used += (size_t)snprintf(only + used, sizeof(only) - used,
								 "%s%s", used ? " or " : "",
								 workload_names[b]);
			gf_errf(err, errlen, "invalid --%s '%s': only for %s, not for %s", d->name,
				seen->value[k], only, workload_names[w]);
			return -EINVAL;
		}
	}
	return 0;
}

int gf_options_parse(int argc, char **argv, const struct gf_cli *cli, struct gf_options *opts,
		     char *err, size_t errlen)
{
	struct later later = { .cls = 0 };
	const struct gf_optset sets[] = { { common_options, opts },
					  { later_options, &later },
					  { cli->options, opts->be } };
	struct gf_optseen seen;
	int rc;

	memset(opts, 0, sizeof(*opts));
	opts->workers = GF_DEFAULT_WORKERS;
	opts->reps = GF_DEFAULT_REPS;
	if (err && errlen)
		err[0] = '\0';

	rc = gf_optable_parse(argc, argv, sets, 3, &seen, err, errlen);
	if (rc)
		goto fail;
	opts->workers_given = seen.value[O_WORKERS] != NULL;
	opts->help |= opts->man;
	if (opts->help || opts->version)
		return 0;
	if ((rc = parse_workload(argc, argv, seen.next, opts, err, errlen)) != 0)
		goto fail;
	if ((rc = check_only(sets, 3, &seen, opts->workload, err, errlen)) != 0)
		goto fail;
	if ((rc = apply_class(&classes[later.cls], &seen, opts)) != 0)
		goto fail;
	if (later.limits && (rc = parse_limits(later.limits, opts, err, errlen)) != 0)
		goto fail;
	if ((rc = parse_reps(&later, seen.value[O_REPS_CAP], opts, err, errlen)) != 0)
		goto fail;
	if (!opts->workers_given && (rc = workers_from_env(cli->workers_env, opts, err, errlen)))
		goto fail;
	if ((rc = gf_options_check(opts, err, errlen)) != 0)
		goto fail;
	if (opts->reps_auto) /* again where the backend changes the workers (gf_driver.c) */
		opts->reps = gf_reps_auto_max(opts);
	return 0;
fail:
	gf_options_release(opts);
	return rc;
}

void gf_options_release(struct gf_options *opts)
{
	free(opts->limits);
	opts->limits = NULL;
	opts->nlimits = 0;
}

/* The values a parse starts from, for --help's defaults: class S, nothing given. */
static void usage_defaults(const struct gf_cli *cli, struct gf_options *o, struct later *l)
{
	static char ci[32];
	const struct gf_optseen none = { .next = 0 };

	memset(o, 0, sizeof(*o));
	memset(l, 0, sizeof(*l));
	o->workers = cli->workers_launcher ? 0 : GF_DEFAULT_WORKERS;
	o->reps_cap = GF_DEFAULT_REPS_CAP;
	if (apply_class(&classes[0], &none, o) != 0)
		o->images = 0; /* out of memory: the sizes' defaults read 0 */
	gf_options_release(o);
	snprintf(ci, sizeof(ci), "%g", GF_DEFAULT_CI_TARGET);
	l->reps = TEXT(GF_DEFAULT_REPS);
	l->ci_target = ci;
}

void gf_options_doc(const struct gf_cli *cli, enum gf_optstyle style)
{
	struct gf_optdef common[sizeof(common_options) / sizeof(common_options[0])];
	const union gf_optval be[GF_OPT_SLOTS] = { { 0 } };
	struct gf_options o;
	struct later l;
	char workers[160];

	memcpy(common, common_options, sizeof(common));
	if (cli->workers_launcher) {
		common[O_WORKERS].help = cli->workers_help;
		common[O_WORKERS].unset = cli->workers_default;
	} else if (cli->workers_env) {
		snprintf(workers, sizeof(workers),
			 "worker count; $%s's first number when set and\n--workers is not",
			 cli->workers_env);
		common[O_WORKERS].help = workers;
	}
	usage_defaults(cli, &o, &l);
	gf_optable_usage(stdout, common, &o, workload_names, style);
	gf_optable_usage(stdout, later_options, &l, workload_names, style);
	gf_optable_usage(stdout, cli->options, be, workload_names, style);
}

void gf_options_classes(enum gf_optstyle style)
{
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		printf("%s%c  n=%lld  limits=%lld..%lld  %lldx%lld\n",
		       style == GF_OPTSTYLE_ROFF ? ".br\n" : "  ", classes[i].name,
		       (long long)classes[i].n, 15000LL * classes[i].limit_scale,
		       40000LL * classes[i].limit_scale, (long long)classes[i].width,
		       (long long)classes[i].height);
}
