#include "gf_options.h"

#include <errno.h>
#include <getopt.h>
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

void gf_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	/* The message quotes user input: a control character in it must not break the line. */
	for (char *p = err; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

int gf_parse_int(const char *s, int64_t min, int64_t max, int64_t *out, char *err, size_t errlen)
{
	const char *p = s;
	uint64_t v = 0, cap;
	int64_t r;
	int neg = 0;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (*p < '0' || *p > '9') {
		gf_errf(err, errlen, "not a number");
		return -EINVAL;
	}
	/*
	 * By hand rather than strtoll: no leading blanks, no hex, and overflow caught exactly.
	 * The magnitude is unsigned, so that INT64_MIN, one more than INT64_MAX, is read too.
	 */
	cap = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (cap - d) / 10) {
			if (neg)
				gf_errf(err, errlen, "must be at least %lld", (long long)min);
			else
				gf_errf(err, errlen, "too large (at most %lld)", (long long)max);
			return -EINVAL;
		}
		v = v * 10 + d;
	}
	if (*p != '\0') {
		gf_errf(err, errlen, "not a number");
		return -EINVAL;
	}
	if (!neg)
		r = (int64_t)v;
	else if (v > (uint64_t)INT64_MAX)
		r = INT64_MIN;
	else
		r = -(int64_t)v;
	if (r < min) {
		gf_errf(err, errlen, "must be at least %lld", (long long)min);
		return -EINVAL;
	}
	if (r > max) {
		gf_errf(err, errlen, "too large (at most %lld)", (long long)max);
		return -EINVAL;
	}
	*out = r;
	return 0;
}

int gf_opt_int(const char *name, const char *s, int64_t min, int64_t max, int64_t *out, char *err,
	       size_t errlen)
{
	char why[96];

	if (gf_parse_int(s, min, max, out, why, sizeof(why)) == 0)
		return 0;
	gf_errf(err, errlen, "invalid %s '%s': %s", name, s, why);
	return -EINVAL;
}

int gf_parse_seconds(const char *s, double max, double *out, char *err, size_t errlen)
{
	size_t whole = strspn(s, "0123456789"), frac = 0;
	double v;

	/* digits, then optionally a point and digits: no sign, exponent, blank, inf or nan */
	if (s[whole] == '.')
		frac = strspn(s + whole + 1, "0123456789");
	if (whole + frac == 0 || (s[whole] == '.' && frac == 0) ||
	    s[whole + (s[whole] == '.' ? 1 + frac : 0)] != '\0') {
		gf_errf(err, errlen, "not a number of seconds");
		return -EINVAL;
	}
	v = strtod(s, NULL);
	if (!(v > 0)) {
		gf_errf(err, errlen, "must be more than 0");
		return -EINVAL;
	}
	if (v > max) {
		gf_errf(err, errlen, "too large (at most %.0f)", max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int opt_seconds(const char *name, const char *s, double *out, char *err, size_t errlen)
{
	char why[96];

	if (gf_parse_seconds(s, GF_MAX_SECONDS, out, why, sizeof(why)) == 0)
		return 0;
	gf_errf(err, errlen, "invalid %s '%s': %s", name, s, why);
	return -EINVAL;
}

int gf_opt_once(const struct option *table, int c, const char *value, unsigned long long *seen,
		char *err, size_t errlen)
{
	for (int slot = 0; slot < 64 && table[slot].name; slot++) {
		unsigned long long bit = 1ULL << slot;

		if (table[slot].val != c || table[slot].has_arg == no_argument)
			continue;
		if (!(*seen & bit)) {
			*seen |= bit;
			return 0;
		}
		gf_errf(err, errlen, "invalid --%s '%s': --%s was already given", table[slot].name,
			value ? value : "", table[slot].name);
		return -EINVAL;
	}
	return 0;
}

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

/* Each size is in range, but the driver keeps one timing per task and repetition. */
int gf_options_check(const struct gf_options *opts, char *err, size_t errlen)
{
	int64_t tasks = opts->workers;

	if (opts->workload == GF_PRIMES && (int64_t)opts->nlimits > tasks)
		tasks = (int64_t)opts->nlimits;
	if (opts->workload == GF_RESIZE && opts->images > tasks)
		tasks = opts->images;
	if (tasks * opts->reps <= GF_MAX_SAMPLES)
		return 0;
	gf_errf(err, errlen,
		"invalid --reps '%d': %lld tasks times %d repetitions is more than %lld timings",
		opts->reps, (long long)tasks, opts->reps, (long long)GF_MAX_SAMPLES);
	return -EINVAL;
}

int gf_opt_bad(int c, const char *given, char *err, size_t errlen)
{
	if (c == ':')
		gf_errf(err, errlen, "option '%s' needs a value", given);
	else
		gf_errf(err, errlen, "unknown option '%s'", given);
	return -EINVAL;
}

/* An option of another backend is unknown here: gilfree-omp has no --start. */
static int not_here(const char *name, char *err, size_t errlen)
{
	return gf_opt_bad('?', name, err, errlen);
}

enum {
	OPT_N = 256,
	OPT_LIMITS,
	OPT_IMAGES,
	OPT_WIDTH,
	OPT_HEIGHT,
	OPT_START,
	OPT_CHUNKSIZE,
	OPT_SCHEDULE,
	OPT_TIMEOUT,
	OPT_TASK_TIMEOUT,
	OPT_ORDER,
};

static const struct option long_options[] = {
	{ "workers", required_argument, NULL, 'w' },
	{ "class", required_argument, NULL, 'c' },
	{ "reps", required_argument, NULL, 'r' },
	{ "format", required_argument, NULL, 'f' },
	{ "n", required_argument, NULL, OPT_N },
	{ "limits", required_argument, NULL, OPT_LIMITS },
	{ "images", required_argument, NULL, OPT_IMAGES },
	{ "width", required_argument, NULL, OPT_WIDTH },
	{ "height", required_argument, NULL, OPT_HEIGHT },
	{ "start", required_argument, NULL, OPT_START },
	{ "chunksize", required_argument, NULL, OPT_CHUNKSIZE },
	{ "schedule", required_argument, NULL, OPT_SCHEDULE },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "task-timeout", required_argument, NULL, OPT_TASK_TIMEOUT },
	{ "order", required_argument, NULL, OPT_ORDER },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static const struct gf_class *find_class(const char *s)
{
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (s[0] == classes[i].name && s[1] == '\0')
			return &classes[i];
	return NULL;
}

static int apply_class(const struct gf_class *c, struct gf_options *opts)
{
	int64_t *list = malloc(NLECTURE * sizeof(*list));

	if (!list)
		return -ENOMEM;
	for (size_t i = 0; i < NLECTURE; i++)
		list[i] = lecture_limits[i] * c->limit_scale;
	opts->cls = c->name;
	opts->n = c->n;
	free(opts->limits);
	opts->limits = list;
	opts->nlimits = NLECTURE;
	opts->images = 8;
	opts->width = c->width;
	opts->height = c->height;
	return 0;
}

int gf_options_parse(int argc, char **argv, const struct gf_cli *cli, struct gf_options *opts,
		     char *err, size_t errlen)
{
	/* Overrides are kept aside and applied after the class, whatever their order. */
	int64_t n = 0, images = 0, width = 0, height = 0, v = 0;
	const struct gf_class *cls = &classes[0];
	const char *limits = NULL;
	unsigned long long seen = 0;
	int rc, c;

	memset(opts, 0, sizeof(*opts));
	opts->workers = GF_DEFAULT_WORKERS;
	opts->reps = GF_DEFAULT_REPS;
	if (err && errlen)
		err[0] = '\0';

	optind = 0; /* glibc: 0 re-initialises getopt completely */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":w:c:r:f:hV", long_options, NULL)) != -1) {
		const char *arg = optarg;

		/* the last of two values would win silently: a typo or a merged command line */
		rc = gf_opt_once(long_options, c, arg, &seen, err, errlen);
		if (rc)
			goto fail;
		switch (c) {
		case 'w':
			rc = gf_opt_int("--workers", arg, 1, GF_MAX_WORKERS, &v, err, errlen);
			opts->workers = (int)v;
			opts->workers_given = 1;
			break;
		case 'r':
			rc = gf_opt_int("--reps", arg, 1, GF_MAX_REPS, &v, err, errlen);
			opts->reps = (int)v;
			break;
		case 'c':
			cls = find_class(arg);
			if (!cls) {
				gf_errf(err, errlen, "invalid --class '%s': expected S, W, A or B",
					arg);
				rc = -EINVAL;
			}
			break;
		case 'f':
			if (strcmp(arg, "text") == 0)
				opts->format = GF_FORMAT_TEXT;
			else if (strcmp(arg, "json") == 0)
				opts->format = GF_FORMAT_JSON;
			else if (strcmp(arg, "csv") == 0)
				opts->format = GF_FORMAT_CSV;
			else {
				gf_errf(err, errlen,
					"invalid --format '%s': expected text, json or csv", arg);
				rc = -EINVAL;
			}
			break;
		case OPT_N:
			rc = gf_opt_int("--n", arg, 1, GF_MAX_N, &n, err, errlen);
			break;
		case OPT_LIMITS:
			limits = arg;
			break;
		case OPT_IMAGES:
			rc = gf_opt_int("--images", arg, 1, GF_MAX_IMAGES, &images, err, errlen);
			break;
		case OPT_WIDTH:
			rc = gf_opt_int("--width", arg, 1, GF_MAX_DIMENSION, &width, err, errlen);
			break;
		case OPT_HEIGHT:
			rc = gf_opt_int("--height", arg, 1, GF_MAX_DIMENSION, &height, err, errlen);
			break;
		case OPT_START:
			if (!(cli->flags & GF_OPT_START)) {
				rc = not_here("--start", err, errlen);
				break;
			}
			if (strcmp(arg, "fork") == 0)
				opts->start = GF_START_FORK;
			else if (strcmp(arg, "spawn") == 0)
				opts->start = GF_START_SPAWN;
			else {
				gf_errf(err, errlen, "invalid --start '%s': expected fork or spawn",
					arg);
				rc = -EINVAL;
			}
			break;
		case OPT_CHUNKSIZE:
			if (!(cli->flags & GF_OPT_CHUNKSIZE)) {
				rc = not_here("--chunksize", err, errlen);
				break;
			}
			rc = gf_opt_int("--chunksize", arg, 1, GF_MAX_CHUNKSIZE, &opts->chunksize,
					err, errlen);
			break;
		case OPT_SCHEDULE:
			if (!(cli->flags & GF_OPT_SCHEDULE)) {
				rc = not_here("--schedule", err, errlen);
				break;
			}
			if (strcmp(arg, "static") == 0)
				opts->schedule = GF_SCHEDULE_STATIC;
			else if (strcmp(arg, "dynamic") == 0)
				opts->schedule = GF_SCHEDULE_DYNAMIC;
			else {
				gf_errf(err, errlen,
					"invalid --schedule '%s': expected static or dynamic", arg);
				rc = -EINVAL;
			}
			break;
		case OPT_TIMEOUT:
			rc = opt_seconds("--timeout", arg, &opts->timeout, err, errlen);
			break;
		case OPT_TASK_TIMEOUT:
			if (!(cli->flags & GF_OPT_TASK_TIMEOUT)) {
				rc = not_here("--task-timeout", err, errlen);
				break;
			}
			rc = opt_seconds("--task-timeout", arg, &opts->task_timeout, err, errlen);
			break;
		case OPT_ORDER:
			if (strcmp(arg, "blocked") == 0)
				opts->order = GF_ORDER_BLOCKED;
			else if (strcmp(arg, "interleaved") == 0)
				opts->order = GF_ORDER_INTERLEAVED;
			else {
				gf_errf(err, errlen,
					"invalid --order '%s': expected blocked or interleaved",
					arg);
				rc = -EINVAL;
			}
			break;
		case 'h':
			opts->help = 1;
			break;
		case 'V':
			opts->version = 1;
			break;
		default:
			rc = gf_opt_bad(c, argv[optind - 1], err, errlen);
			break;
		}
		if (rc)
			goto fail;
	}
	if (opts->help || opts->version)
		return 0;

	if (optind >= argc) {
		gf_errf(err, errlen, "missing workload: expected sum, primes or resize");
		rc = -EINVAL;
		goto fail;
	}
	if (strcmp(argv[optind], "sum") == 0)
		opts->workload = GF_SUM;
	else if (strcmp(argv[optind], "primes") == 0)
		opts->workload = GF_PRIMES;
	else if (strcmp(argv[optind], "resize") == 0)
		opts->workload = GF_RESIZE;
	else {
		gf_errf(err, errlen, "unknown workload '%s': expected sum, primes or resize",
			argv[optind]);
		rc = -EINVAL;
		goto fail;
	}
	if (optind + 1 < argc) {
		gf_errf(err, errlen, "unexpected argument '%s'", argv[optind + 1]);
		rc = -EINVAL;
		goto fail;
	}

	rc = apply_class(cls, opts);
	if (rc)
		goto fail;
	if (n)
		opts->n = n;
	if (images)
		opts->images = images;
	if (width)
		opts->width = width;
	if (height)
		opts->height = height;
	if (limits && (rc = parse_limits(limits, opts, err, errlen)) != 0)
		goto fail;
	if (!opts->workers_given && (rc = workers_from_env(cli->workers_env, opts, err, errlen)))
		goto fail;
	if ((rc = gf_options_check(opts, err, errlen)) != 0)
		goto fail;
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

int gf_tasks_build(const struct gf_options *opts, struct gf_task **tasks, size_t *ntasks)
{
	size_t n = 0;
	struct gf_task *t;

	switch (opts->workload) {
	case GF_SUM:
		n = (size_t)opts->workers;
		break;
	case GF_PRIMES:
		n = opts->nlimits;
		break;
	case GF_RESIZE:
		n = (size_t)opts->images;
		break;
	}
	t = calloc(n ? n : 1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		t[i].workload = (int32_t)opts->workload;
		t[i].index = (int32_t)i;
		switch (opts->workload) {
		case GF_SUM: /* worker w sums i * (w + 1), as in Example 25.1 */
			t[i].key = (int64_t)i;
			t[i].a = opts->n;
			t[i].b = (int64_t)i + 1;
			break;
		case GF_PRIMES:
			t[i].key = opts->limits[i];
			break;
		case GF_RESIZE:
			t[i].key = (int64_t)i;
			t[i].a = opts->width;
			t[i].b = opts->height;
			break;
		}
	}
	*tasks = t;
	*ntasks = n;
	return 0;
}

void gf_options_usage(const struct gf_cli *cli)
{
	printf("usage: %s <sum|primes|resize> [options]\n\n", cli->prog);
	printf("Runs one lecture workload sequentially and in parallel, checks that both give the\n"
	       "same results, and reports the times and the speedup measured in this run.\n\n");
	printf("Workloads:\n"
	       "  sum       Example 25.1: each worker w sums i*(w+1) for i in [0, n)\n"
	       "  primes    Example 25.2: prime counts below each limit, by trial division\n"
	       "  resize    Example 25.3: resize simulation of each image, sum of sqrt(p+1)\n\n");
	printf("Options:\n");
	if (cli->flags & GF_OPT_WORLD)
		printf("  -w, --workers N     worker count: must equal the launcher's (mpirun -np "
		       "N)\n");
	else
		printf("  -w, --workers N     worker count (default %d%s%s%s)\n",
		       GF_DEFAULT_WORKERS, cli->workers_env ? ", or $" : "",
		       cli->workers_env ? cli->workers_env : "",
		       cli->workers_env ? " when set" : "");
	printf("  -c, --class C       size class: S (the lecture's sizes, default), W, A, B\n"
	       "      --n N           sum: iterations per worker\n"
	       "      --limits L,...  primes: the task list of limits, in submission order\n"
	       "      --images N      resize: number of images\n"
	       "      --width N       resize: image width in pixels\n"
	       "      --height N      resize: image height in pixels\n"
	       "  -r, --reps R        timed repetitions after one untimed warm-up (default %d)\n"
	       "  -f, --format F      text (default), json (one object per line) or csv\n"
	       "      --order O       blocked (every sequential repetition, then every parallel\n"
	       "                      one; default) or interleaved (sequential k, parallel k)\n",
	       GF_DEFAULT_REPS);
	if (cli->flags & GF_OPT_START)
		printf("      --start M       how workers start: fork (default) or spawn (exec)\n");
	if (cli->flags & GF_OPT_CHUNKSIZE)
		printf("      --chunksize K   tasks per pool message (default: the pool "
		       "chooses)\n");
	if (cli->flags & GF_OPT_SCHEDULE)
		printf("      --schedule S    primes: static (scatter) or dynamic (queue, default "
		       "static)\n");
	if (cli->flags & GF_OPT_TASK_TIMEOUT)
		printf("      --task-timeout T  a pool worker that holds a task T seconds is "
		       "killed and\n"
		       "                      replaced, and its task run again (default: none)\n");
	printf("      --timeout T     stop the run, naming what was outstanding, after T "
	       "seconds\n"
	       "                      (exit 1; default: none)\n");
	printf("  -h, --help          this text\n"
	       "  -V, --version       the version\n\n"
	       "An option given twice is refused.\n\n");
	printf("Classes (sum n; primes limits; resize image size, 8 images):\n");
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		printf("  %c  n=%lld  limits=%lld..%lld  %lldx%lld\n", classes[i].name,
		       (long long)classes[i].n, 15000LL * classes[i].limit_scale,
		       40000LL * classes[i].limit_scale, (long long)classes[i].width,
		       (long long)classes[i].height);
	printf("\nExit status: 0 verified, 1 verification or run-time failure, 2 bad input.\n");
}
