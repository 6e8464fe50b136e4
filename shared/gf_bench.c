#include "gf_bench.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gf_io.h"
#include "gf_report.h"
#include "gf_kernels.h"

static const char *const exp_names[GF_BENCH_NEXP] = { "startup", "ipc", "counter", "grain",
						      "paths" };

/* "startup", "ipc", "counter", "grain", "paths". */
static const char *gf_bench_exp_name(enum gf_bench_exp e)
{
	return (unsigned)e < GF_BENCH_NEXP ? exp_names[e] : "?";
}

#define SIZE_TEXT 64

/* "1073741824 bytes (1g)", "8 bytes": a size limit as the user may write it. */
static const char *size_text(char buf[SIZE_TEXT], int64_t bytes)
{
	static const char suffix[] = "gmk";
	int shift = 30;

	for (const char *p = suffix; *p; p++, shift -= 10) {
		if (bytes >= (INT64_C(1) << shift) && bytes % (INT64_C(1) << shift) == 0) {
			snprintf(buf, SIZE_TEXT, "%lld bytes (%lld%c)", (long long)bytes,
				 (long long)(bytes >> shift), *p);
			return buf;
		}
	}
	snprintf(buf, SIZE_TEXT, "%lld byte%s", (long long)bytes, bytes == 1 ? "" : "s");
	return buf;
}

int gf_bench_parse_size(const char *s, int64_t min, int64_t max, int64_t *out, char *err,
			size_t errlen)
{
	char num[32], sz[SIZE_TEXT];
	size_t len = strlen(s);
	int shift = 0;

	if (len > 0 && len < sizeof(num)) {
		switch (s[len - 1]) {
		case 'k':
		case 'K':
			shift = 10;
			break;
		case 'm':
		case 'M':
			shift = 20;
			break;
		case 'g':
		case 'G':
			shift = 30;
			break;
		}
	}
	if (len == 0 || len >= sizeof(num)) {
		gf_errf(err, errlen, "not a size");
		return -EINVAL;
	}
	memcpy(num, s, len + 1);
	if (shift)
		num[len - 1] = '\0';
	/* the number alone may not exceed max >> shift, so the shift cannot overflow */
	if (gf_parse_int(num, 0, max >> shift, out, err, errlen) != 0) {
		/* a number past the limit: the limit in bytes and with its unit, not in the
		   units of the suffix given ("at most 1" for "2g" would be no help) */
		if (num[0] && strspn(num, "0123456789") == strlen(num))
			gf_errf(err, errlen, "too large (at most %s)", size_text(sz, max));
		return -EINVAL;
	}
	*out <<= shift;
	if (*out < min) {
		gf_errf(err, errlen, "must be at least %s", size_text(sz, min));
		return -EINVAL;
	}
	return 0;
}

enum {
	OPT_MIN_SIZE = 256,
	OPT_MAX_SIZE,
	OPT_STEP,
	OPT_ITERS,
	OPT_WARMUP,
	OPT_COUNT,
	OPT_MIN_GRAIN,
	OPT_MAX_GRAIN,
	OPT_IMAGES,
	OPT_WIDTH,
	OPT_HEIGHT,
};

static const struct option long_options[] = {
	{ "min-size", required_argument, NULL, OPT_MIN_SIZE },
	{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
	{ "step", required_argument, NULL, OPT_STEP },
	{ "iters", required_argument, NULL, OPT_ITERS },
	{ "warmup", required_argument, NULL, OPT_WARMUP },
	{ "workers", required_argument, NULL, 'w' },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "min-grain", required_argument, NULL, OPT_MIN_GRAIN },
	{ "max-grain", required_argument, NULL, OPT_MAX_GRAIN },
	{ "reps", required_argument, NULL, 'r' },
	{ "images", required_argument, NULL, OPT_IMAGES },
	{ "width", required_argument, NULL, OPT_WIDTH },
	{ "height", required_argument, NULL, OPT_HEIGHT },
	{ "format", required_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int opt_size(const char *name, const char *arg, int64_t min, int64_t max, int64_t *out,
		    char *err, size_t errlen)
{
	char why[128];

	if (gf_bench_parse_size(arg, min, max, out, why, sizeof(why)) == 0)
		return 0;
	gf_errf(err, errlen, "invalid %s '%s': %s", name, arg, why);
	return -EINVAL;
}

int gf_bench_parse(int argc, char **argv, const struct gf_bench_cli *cli, struct gf_bench_opts *o,
		   char *err, size_t errlen)
{
	int c, rc, exp = -1;
	/* the values as given, to name the one at fault when two disagree */
	const char *min_size = NULL, *max_size = NULL, *min_grain = NULL, *max_grain = NULL;
	const char *count = NULL, *workers = NULL;
	unsigned long long seen = 0;
	int64_t v;

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
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":w:r:f:h", long_options, NULL)) != -1) {
		const char *arg = optarg;

		if ((rc = gf_opt_once(long_options, c, arg, &seen, err, errlen)) != 0)
			return rc;
		switch (c) {
		case OPT_MIN_SIZE:
			rc = opt_size("--min-size", arg, 1, GF_BENCH_MAX_SIZE, &o->min_size, err,
				      errlen);
			min_size = arg;
			break;
		case OPT_MAX_SIZE:
			rc = opt_size("--max-size", arg, 1, GF_BENCH_MAX_SIZE, &o->max_size, err,
				      errlen);
			max_size = arg;
			break;
		case OPT_STEP:
			rc = gf_opt_int("--step", arg, 2, 16, &v, err, errlen);
			o->step = (int)v;
			break;
		case OPT_ITERS:
			rc = gf_opt_int("--iters", arg, 1, GF_BENCH_MAX_ITERS, &v, err, errlen);
			o->iters = (int)v;
			break;
		case OPT_WARMUP:
			rc = gf_opt_int("--warmup", arg, 0, GF_BENCH_MAX_ITERS, &v, err, errlen);
			o->warmup = (int)v;
			break;
		case 'w':
			rc = gf_opt_int("--workers", arg, 1, GF_MAX_WORKERS, &v, err, errlen);
			o->workers = (int)v;
			workers = arg;
			break;
		case OPT_COUNT:
			rc = gf_opt_int("--count", arg, 1, GF_BENCH_MAX_COUNT, &o->count, err,
					errlen);
			count = arg;
			break;
		case OPT_MIN_GRAIN:
			rc = gf_opt_int("--min-grain", arg, 1, GF_BENCH_MAX_GRAIN, &o->min_grain_us,
					err, errlen);
			min_grain = arg;
			break;
		case OPT_MAX_GRAIN:
			rc = gf_opt_int("--max-grain", arg, 1, GF_BENCH_MAX_GRAIN, &o->max_grain_us,
					err, errlen);
			max_grain = arg;
			break;
		case 'r':
			rc = gf_opt_int("--reps", arg, 1, GF_MAX_REPS, &v, err, errlen);
			o->reps = (int)v;
			break;
		case OPT_IMAGES:
			rc = gf_opt_int("--images", arg, 1, 100000, &o->images, err, errlen);
			break;
		case OPT_WIDTH:
			rc = gf_opt_int("--width", arg, 1, 100000, &o->width, err, errlen);
			break;
		case OPT_HEIGHT:
			rc = gf_opt_int("--height", arg, 1, 100000, &o->height, err, errlen);
			break;
		case 'f':
			if (strcmp(arg, "text") == 0)
				o->format = GF_FORMAT_TEXT;
			else if (strcmp(arg, "json") == 0)
				o->format = GF_FORMAT_JSON;
			else {
				gf_errf(err, errlen, "invalid --format '%s': expected text or json",
					arg);
				rc = -EINVAL;
			}
			break;
		case 'h':
			o->help = 1;
			break;
		default:
			rc = gf_opt_bad(c, argv[optind - 1], err, errlen);
			break;
		}
		if (rc)
			return rc;
	}
	if (o->help)
		return 0;
	if (optind < argc) {
		gf_errf(err, errlen, "unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	if (exp < 0) {
		gf_errf(err, errlen,
			"missing experiment: expected startup, ipc, counter, grain or "
			"paths");
		return -EINVAL;
	}
	if (o->min_size > o->max_size) {
		if (max_size)
			gf_errf(err, errlen, "invalid --max-size '%s': below --min-size %lld",
				max_size, (long long)o->min_size);
		else
			gf_errf(err, errlen, "invalid --min-size '%s': above --max-size %lld",
				min_size, (long long)o->max_size);
		return -EINVAL;
	}
	if (o->min_grain_us > o->max_grain_us) {
		if (max_grain)
			gf_errf(err, errlen, "invalid --max-grain '%s': below --min-grain %lld",
				max_grain, (long long)o->min_grain_us);
		else
			gf_errf(err, errlen, "invalid --min-grain '%s': above --max-grain %lld",
				min_grain, (long long)o->max_grain_us);
		return -EINVAL;
	}
	if (o->count < o->workers) {
		if (count)
			gf_errf(err, errlen, "invalid --count '%s': fewer than the %d workers",
				count, o->workers);
		else
			gf_errf(err, errlen,
				"invalid --workers '%s': more than the %lld increments", workers,
				(long long)o->count);
		return -EINVAL;
	}
	if (o->width * o->height > GF_BENCH_MAX_SIZE) {
		gf_errf(err, errlen, "invalid --width/--height '%lldx%lld': an image above 1 GiB",
			(long long)o->width, (long long)o->height);
		return -EINVAL;
	}
	return 0;
}

/* Prints the --help text of the bench subcommand to stdout. */
static void gf_bench_usage(const struct gf_bench_cli *cli)
{
	printf("usage: %s bench <experiment> [options]\n\n"
	       "Micro-benchmarks of the costs of the %s backend: OSU-style tables of median, min\n"
	       "and max after warm-up iterations, or one json record per row.\n\n"
	       "experiments and what each measures here:\n",
	       cli->prog, cli->backend);
	for (int i = 0; i < GF_BENCH_NEXP; i++)
		if (cli->run[i])
			printf("  %-9s %s\n", exp_names[i], cli->methods[i]);
	printf("\noptions:\n"
	       "  --min-size S, --max-size S  ipc payload sizes, bytes, suffix k, m or g allowed\n"
	       "                              (default 8 to 128m)\n"
	       "  --step N                    each size is the previous times N (default 4)\n"
	       "  --iters N, --warmup N       timed and untimed iterations per point, up to 8 "
	       "KiB;\n"
	       "                              a tenth above, as OSU (default 1000 and 100)\n"
	       "  -w, --workers N             workers for counter, grain and paths (default 2)\n"
	       "  --count K                   counter: total increments (default 100000)\n"
	       "  --min-grain US, --max-grain US  grain sweep in microseconds, by tens\n"
	       "                              (default 1 to 100000)\n"
	       "  -r, --reps R                repetitions of counter, grain and paths (default 5)\n"
	       "  --images N, --width W, --height H  paths: the images (default 8 of 1920x1080)\n"
	       "  -f, --format F              text (default) or json\n"
	       "  -h, --help\n\n"
	       "Exit status: 0 every checked quantity right, 1 a wrong one or a failure, 2 bad "
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

/* ---- output ---- */

enum { F_INT, F_NUM, F_STATS, F_BOOL };

void gf_bench_out_init(struct gf_bench_out *b, FILE *f, const struct gf_bench_cli *cli,
		       const struct gf_bench_opts *o)
{
	memset(b, 0, sizeof(*b));
	b->f = f;
	b->prog = cli->prog;
	b->backend = cli->backend;
	b->experiment = gf_bench_exp_name(o->exp);
	b->format = o->format;
}

void gf_bench_row(struct gf_bench_out *b, const char *method, const char *title, ...)
{
	va_list ap;

	b->method = method;
	b->nfields = 0;
	b->title[0] = '\0';
	if (title) {
		va_start(ap, title);
		vsnprintf(b->title, sizeof(b->title), title, ap);
		va_end(ap);
	}
}

static struct gf_bench_field *add(struct gf_bench_out *b, const char *name, int type)
{
	struct gf_bench_field *fl;

	if (b->nfields == GF_BENCH_FIELDS)
		return NULL;
	fl = &b->field[b->nfields++];
	memset(fl, 0, sizeof(*fl));
	fl->name = name;
	fl->type = type;
	return fl;
}

void gf_bench_int(struct gf_bench_out *b, const char *name, int64_t v)
{
	struct gf_bench_field *fl = add(b, name, F_INT);

	if (fl)
		fl->i = v;
}

void gf_bench_num(struct gf_bench_out *b, const char *name, double v)
{
	struct gf_bench_field *fl = add(b, name, F_NUM);

	if (fl)
		fl->x = v;
}

void gf_bench_stats(struct gf_bench_out *b, const char *name, const struct gf_stats *s,
		    double scale)
{
	struct gf_bench_field *fl = add(b, name, F_STATS);

	if (fl) {
		fl->x = s->median * scale;
		fl->min = s->min * scale;
		fl->max = s->max * scale;
	}
}

void gf_bench_check(struct gf_bench_out *b, int ok)
{
	struct gf_bench_field *fl = add(b, "ok", F_BOOL);

	if (fl)
		fl->i = ok != 0;
	if (!ok)
		b->failed = 1;
}

/* Numbers in text: as many decimals as fit a 13-wide column without losing the magnitude. */
static void text_num(FILE *f, double x)
{
	if (x != 0 && (x >= 1e9 || x < 1e-3))
		fprintf(f, " %13.4e", x);
	else
		fprintf(f, " %13.3f", x);
}

static void print_header(struct gf_bench_out *b)
{
	char cols[sizeof(b->header)];
	size_t len = 0;

	cols[0] = '\0';
	for (int i = 0; i < b->nfields && len < sizeof(cols) - 64; i++) {
		const struct gf_bench_field *fl = &b->field[i];

		len += (size_t)snprintf(cols + len, sizeof(cols) - len, " %13s", fl->name);
		if (fl->type == F_STATS)
			len += (size_t)snprintf(cols + len, sizeof(cols) - len, " %13s %13s", "min",
						"max");
	}
	if (strcmp(cols, b->header) == 0 && strcmp(b->method, b->last_method) == 0)
		return;
	if (b->header[0])
		fputc('\n', b->f);
	fprintf(b->f, "# %s bench %s: %s%s%s\n", b->prog, b->experiment, b->method,
		b->title[0] ? ", " : "", b->title);
	fprintf(b->f, "#%s\n", cols + 1);
	memcpy(b->header, cols, sizeof(cols));
	snprintf(b->last_method, sizeof(b->last_method), "%s", b->method);
}

void gf_bench_end(struct gf_bench_out *b)
{
	FILE *f = b->f;

	if (!f)
		return;
	if (b->format == GF_FORMAT_JSON) {
		fprintf(f,
			"{\"kind\":\"bench\",\"backend\":\"%s\",\"experiment\":\"%s\",\"method\":",
			b->backend, b->experiment);
		gf_json_string(f, b->method);
		for (int i = 0; i < b->nfields; i++) {
			const struct gf_bench_field *fl = &b->field[i];

			fprintf(f, ",\"%s\":", fl->name);
			switch (fl->type) {
			case F_INT:
				fprintf(f, "%lld", (long long)fl->i);
				break;
			case F_NUM:
				fprintf(f, "%.9g", fl->x);
				break;
			case F_STATS:
				fprintf(f, "{\"min\":%.9g,\"median\":%.9g,\"max\":%.9g}", fl->min,
					fl->x, fl->max);
				break;
			case F_BOOL:
				fputs(fl->i ? "true" : "false", f);
				break;
			}
		}
		fputs("}\n", f);
	} else {
		print_header(b);
		for (int i = 0; i < b->nfields; i++) {
			const struct gf_bench_field *fl = &b->field[i];

			switch (fl->type) {
			case F_INT:
				fprintf(f, " %13lld", (long long)fl->i);
				break;
			case F_NUM:
				text_num(f, fl->x);
				break;
			case F_STATS:
				text_num(f, fl->x);
				text_num(f, fl->min);
				text_num(f, fl->max);
				break;
			case F_BOOL:
				fprintf(f, " %13s", fl->i ? "yes" : "NO");
				break;
			}
		}
		fputc('\n', f);
	}
	fflush(f);
}

void gf_bench_note(struct gf_bench_out *b, const char *fmt, ...)
{
	va_list ap;

	if (b->format == GF_FORMAT_JSON || !b->f)
		return;
	fputs("# ", b->f);
	va_start(ap, fmt);
	vfprintf(b->f, fmt, ap);
	va_end(ap);
	fputc('\n', b->f);
	fflush(b->f);
}

struct gf_stats gf_bench_stats_of(const double *samples, size_t n)
{
	struct gf_stats s;

	gf_stats_compute(samples, n, &s);
	return s;
}

/* ---- the copy limit ---- */

/*
 * The copy limit: times iters copies of n bytes from src to dst (after warmup untimed ones, and
 * at least one) and returns the statistics of one copy, in seconds. Writes a checked byte so
 * the copies cannot be elided. Returns 0 on success, -ENOMEM.
 */
static int gf_bench_memcpy(void *dst, const void *src, size_t n, int iters, int warmup,
			   struct gf_stats *out)
{
	double *t = malloc((size_t)iters * sizeof(double));
	volatile unsigned char sink = 0;

	if (!t)
		return -ENOMEM;
	/* the first copy faults dst's pages in, whatever --warmup says */
	for (int i = 0; i < (warmup > 0 ? warmup : 1); i++)
		memcpy(dst, src, n);
	for (int i = 0; i < iters; i++) {
		double t0 = gf_clock_now();

		memcpy(dst, src, n);
		/* reading the copy back keeps it from being dropped as a dead store */
		sink ^= ((volatile unsigned char *)dst)[n - 1];
		t[i] = gf_clock_now() - t0;
	}
	(void)sink;
	*out = gf_bench_stats_of(t, (size_t)iters);
	free(t);
	return 0;
}

static int memcpy_row(struct gf_bench_out *b, size_t n, int iters, int warmup)
{
	unsigned char *src = malloc(n), *dst = malloc(n);
	struct gf_stats st;
	int rc = -ENOMEM;

	if (src && dst) {
		memset(src, 0x5a, n);
		memset(dst, 0, n);
		rc = gf_bench_memcpy(dst, src, n, iters, warmup, &st);
	}
	if (rc == 0) {
		gf_bench_row(b, "memcpy", "the copy limit, one process");
		gf_bench_int(b, "size", (int64_t)n);
		gf_bench_stats(b, "lat_us", &st, 1e6);
		gf_bench_num(b, "bw_MBps", st.median > 0 ? (double)n / st.median / 1e6 : 0);
		gf_bench_check(b, memcmp(src, dst, n) == 0);
		gf_bench_end(b);
	}
	free(src);
	free(dst);
	return rc;
}

int gf_bench_memcpy_table(struct gf_bench_out *b, const struct gf_bench_opts *o)
{
	for (int64_t s = o->min_size; s; s = gf_bench_next_size(o, s)) {
		int iters, warmup;

		gf_bench_iters(o, s, &iters, &warmup);
		if (memcpy_row(b, (size_t)s, iters, warmup))
			return -ENOMEM;
	}
	return 0;
}

/* ---- the unit of work ---- */

static double seconds_per_unit;

double gf_bench_calibrate(void)
{
	double best = 0;

	if (seconds_per_unit > 0)
		return seconds_per_unit;
	/* grow n until one call takes 10 ms, then keep the fastest of three */
	for (int64_t n = 1000;; n *= 2) {
		double t0 = gf_clock_now();

		(void)gf_bench_work(n);
		if (gf_clock_now() - t0 < 0.01)
			continue;
		for (int i = 0; i < 3; i++) {
			double t1 = gf_clock_now(), per;

			(void)gf_bench_work(n);
			per = (gf_clock_now() - t1) / (double)n;
			if (best == 0 || per < best)
				best = per;
		}
		break;
	}
	seconds_per_unit = best;
	return best;
}

void gf_bench_set_unit(double seconds)
{
	seconds_per_unit = seconds;
}

int64_t gf_bench_units(double seconds)
{
	double u = seconds / gf_bench_calibrate();

	return u < 1 ? 1 : (int64_t)u;
}

uint64_t gf_bench_work(int64_t units)
{
	return (uint64_t)gf_kernel_sum(units, 1);
}

uint64_t gf_bench_work_expect(int64_t units)
{
	return (uint64_t)((gf_u128)units * (gf_u128)(units - 1) / 2);
}

int64_t gf_bench_next_grain(const struct gf_bench_opts *o, int64_t grain_us)
{
	return grain_us > o->max_grain_us / 10 ? 0 : grain_us * 10;
}

int64_t gf_bench_grain_tasks(const struct gf_bench_opts *o, int64_t grain_us)
{
	int64_t t = 100000 / grain_us, least = 2 * (int64_t)o->workers;

	if (t < least)
		t = least;
	return t > GF_BENCH_MAX_TASKS ? GF_BENCH_MAX_TASKS : t;
}

/* ---- paths, not frames ---- */

void gf_bench_pixels(uint8_t *buf, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)((i * 31u + (size_t)id * 7u + (i >> 8)) & 0xff);
}

/*
 * The byte sum eight bytes at a time: the even and the odd bytes of each word go into four
 * 16-bit lanes, which 128 words cannot overflow (128 * 2 * 255 < 65536), so the checksum
 * reads memory at copy speed and the paths experiment measures moving the bytes, not adding
 * them.
 */
uint64_t gf_bench_checksum(const uint8_t *buf, size_t n)
{
	const uint64_t even = UINT64_C(0x00ff00ff00ff00ff);
	uint64_t s = 0;
	size_t i = 0;

	while (n - i >= 8) {
		size_t words = (n - i) / 8 < 128 ? (n - i) / 8 : 128;
		uint64_t lanes = 0;

		for (size_t k = 0; k < words; k++, i += 8) {
			uint64_t w;

			memcpy(&w, buf + i, sizeof(w));
			lanes += (w & even) + ((w >> 8) & even);
		}
		s += (lanes & 0xffff) + ((lanes >> 16) & 0xffff) + ((lanes >> 32) & 0xffff) +
		     (lanes >> 48);
	}
	for (; i < n; i++)
		s += buf[i];
	return s;
}

uint8_t *gf_bench_images(const struct gf_bench_opts *o, uint64_t *sum)
{
	size_t n = (size_t)(o->width * o->height);
	uint8_t *images = malloc(n * (size_t)o->images);

	*sum = 0;
	for (int64_t id = 0; images && id < o->images; id++) {
		gf_bench_pixels(images + (size_t)id * n, n, id);
		*sum += gf_bench_checksum(images + (size_t)id * n, n);
	}
	return images;
}

int gf_bench_image_file(const struct gf_bench_opts *o, const uint8_t *images, char *path,
			size_t len)
{
	const char *dir = getenv("TMPDIR");
	char name[4096];
	int fd, rc;

	snprintf(name, sizeof(name), "%s/gilfree-images-XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(name);
	if (fd < 0)
		return -errno;
	rc = gf_write_full(fd, images, (size_t)(o->width * o->height * o->images));
	if (rc || !path || snprintf(path, len, "%s", name) >= (int)len) {
		unlink(name);
		if (rc || path) {
			close(fd);
			return rc ? rc : -ENAMETOOLONG;
		}
	}
	return fd;
}

/* ---- memory ---- */

int gf_bench_smaps(pid_t pid, struct gf_mem *m)
{
	char path[64], line[256];
	FILE *f;
	long long v;

	memset(m, 0, sizeof(*m));
	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/smaps_rollup");
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Rss: %lld kB", &v) == 1)
			m->rss_kb = v;
		else if (sscanf(line, "Pss: %lld kB", &v) == 1)
			m->pss_kb = v;
		else if (sscanf(line, "Private_Clean: %lld kB", &v) == 1 ||
			 sscanf(line, "Private_Dirty: %lld kB", &v) == 1)
			m->private_kb += v;
	}
	fclose(f);
	return m->rss_kb > 0 ? 0 : -ENODATA;
}

void gf_bench_stamp(unsigned char *p, int64_t size, int round)
{
	p[0] = p[size / 2] = p[size - 1] = (unsigned char)round;
}

int gf_bench_stamped(const unsigned char *p, int64_t size, int round)
{
	unsigned char r = (unsigned char)round;

	return p[0] == r && p[size / 2] == r && p[size - 1] == r;
}

/* ---- shared pieces of the experiments ---- */

int gf_bench_map_checksum(int fd, int64_t offset, size_t n, uint64_t *sum)
{
	long page = sysconf(_SC_PAGESIZE);
	int64_t base = offset - offset % page;
	size_t len = n + (size_t)(offset - base);
	void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, (off_t)base);

	if (p == MAP_FAILED)
		return -errno;
	*sum = gf_bench_checksum((const uint8_t *)p + (offset - base), n);
	munmap(p, len);
	return 0;
}

void gf_bench_latency_row(struct gf_bench_out *b, const char *method, const char *title,
			  int64_t size, const double *samples, size_t n, int ok)
{
	struct gf_stats st = gf_bench_stats_of(samples, n);

	gf_bench_row(b, method, "%s", title);
	gf_bench_int(b, "size", size);
	gf_bench_stats(b, "lat_us", &st, 1e6);
	gf_bench_num(b, "bw_MBps", st.median > 0 ? (double)size / st.median / 1e6 : 0);
	gf_bench_check(b, ok);
	gf_bench_end(b);
}

void gf_bench_bw_row(struct gf_bench_out *b, const char *method, const char *title, int64_t size,
		     int window, const double *seconds, size_t n, int64_t sent, int64_t received,
		     int ok)
{
	struct gf_stats st = gf_bench_stats_of(seconds, n);
	double total = 0;

	for (size_t i = 0; i < n; i++)
		total += seconds[i];
	gf_bench_row(b, method, "%s", title);
	gf_bench_int(b, "size", size);
	gf_bench_int(b, "window", window);
	gf_bench_stats(b, "lat_us", &st, 1e6 / window);
	gf_bench_num(b, "bw_MBps", total > 0 ? (double)sent / total / 1e6 : 0);
	gf_bench_int(b, "bytes_sent", sent);
	gf_bench_int(b, "bytes_received", received);
	gf_bench_check(b, ok && sent == received);
	gf_bench_end(b);
}

uint64_t gf_bench_grain_seq(int64_t units, int64_t tasks, int reps, double *seq)
{
	uint64_t sum = 0;

	for (int rep = -1; rep < reps; rep++) {
		double t0 = gf_clock_now();

		sum = 0;
		for (int64_t t = 0; t < tasks; t++)
			sum += gf_bench_work(units);
		if (rep >= 0)
			seq[rep] = gf_clock_now() - t0;
	}
	return sum;
}

void gf_bench_grain_row(struct gf_bench_out *b, int64_t grain_us, int64_t tasks, const double *seq,
			const double *par, int reps, int ok)
{
	struct gf_stats s = gf_bench_stats_of(seq, (size_t)reps);
	struct gf_stats p = gf_bench_stats_of(par, (size_t)reps);

	gf_bench_int(b, "grain_us", grain_us);
	gf_bench_int(b, "tasks", tasks);
	gf_bench_stats(b, "seq_s", &s, 1);
	gf_bench_stats(b, "par_s", &p, 1);
	gf_bench_num(b, "speedup", p.median > 0 ? s.median / p.median : 0);
	gf_bench_check(b, ok);
	gf_bench_end(b);
}

void gf_bench_counter_row(struct gf_bench_out *b, const struct gf_bench_opts *o, int workers,
			  const double *t, int reps, int64_t final, int ok)
{
	struct gf_stats st = gf_bench_stats_of(t, (size_t)reps);

	gf_bench_int(b, "workers", workers);
	gf_bench_int(b, "count", o->count);
	gf_bench_stats(b, "ns_per_inc", &st, 1e9 / (double)o->count);
	gf_bench_int(b, "final", final);
	gf_bench_check(b, ok);
	gf_bench_end(b);
}

void gf_bench_paths_row(struct gf_bench_out *b, const struct gf_bench_opts *o, int64_t moved,
			int64_t sent, int64_t received, const double *t, int ok)
{
	struct gf_stats st = gf_bench_stats_of(t, (size_t)o->reps);

	gf_bench_int(b, "images", o->images);
	gf_bench_int(b, "image_bytes", o->width * o->height);
	gf_bench_int(b, "bytes_moved", moved);
	if (sent >= 0) {
		gf_bench_int(b, "bytes_sent", sent);
		gf_bench_int(b, "bytes_received", received);
	}
	gf_bench_stats(b, "time_s", &st, 1);
	gf_bench_check(b, ok);
	gf_bench_end(b);
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
			gf_bench_usage(cli);
		return 0;
	}
	o.ctx = cli->ctx;
	gf_bench_out_init(&b, root ? stdout : NULL, cli, &o);
	rc = cli->run[o.exp](&b, &o);
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
