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
static const char *gf_bench_exp_name(enum gf_bench_exp e)
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

/* ---- output ---- */

enum { F_INT, F_NUM, F_STATS, F_BOOL, F_FLAG };

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
		fl->ci = s->ci;
		fl->ci_low = s->ci_low * scale;
		fl->ci_high = s->ci_high * scale;
	}
}

void gf_bench_flag(struct gf_bench_out *b, const char *name, int yes)
{
	struct gf_bench_field *fl = add(b, name, F_FLAG);

	if (fl)
		fl->i = yes != 0;
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
			len += (size_t)snprintf(cols + len, sizeof(cols) - len,
						" %13s %13s %13s %13s", "min", "max", "ci_low",
						"ci_high");
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
				fprintf(f, "{\"min\":%.9g,\"median\":%.9g,\"max\":%.9g,", fl->min,
					fl->x, fl->max);
				if (fl->ci)
					fprintf(f, "\"ci_low\":%.9g,\"ci_high\":%.9g}", fl->ci_low,
						fl->ci_high);
				else
					fputs("\"ci_low\":null,\"ci_high\":null}", f);
				break;
			case F_BOOL:
			case F_FLAG:
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
				if (fl->ci) {
					text_num(f, fl->ci_low);
					text_num(f, fl->ci_high);
				} else { /* fewer than GF_STATS_CI_MIN samples: no interval */
					fprintf(f, " %13s %13s", "-", "-");
				}
				break;
			case F_BOOL:
				fprintf(f, " %13s",
					fl->i ? "yes" : "NO"); /* a failed check stands out */
				break;
			case F_FLAG:
				fprintf(f, " %13s", fl->i ? "yes" : "no");
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
struct copy {
	void *dst;
	const void *src;
	size_t n;
	volatile unsigned char sink;
};

static int copy_run(void *arg)
{
	struct copy *c = arg;

	memcpy(c->dst, c->src, c->n);
	/* reading the copy back keeps it from being dropped as a dead store */
	c->sink ^= ((volatile unsigned char *)c->dst)[c->n - 1];
	return 0;
}

static int gf_bench_memcpy(void *dst, const void *src, size_t n, int iters, int warmup,
			   struct gf_stats *out)
{
	double *t = malloc((size_t)iters * sizeof(double));
	struct copy c = { .dst = dst, .src = src, .n = n, .sink = 0 };

	if (!t)
		return -ENOMEM;
	/* the first copy faults dst's pages in, whatever --warmup says */
	(void)gf_bench_repeat(copy_run, NULL, &c, warmup > 0 ? warmup : 1, iters, t);
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

double gf_bench_calibrate(struct gf_bench_out *b)
{
	double best = 0;

	if (b->unit > 0)
		return b->unit;
	for (int64_t n = 1000;; n *= 2) {
		double t0 = gf_clock_now(), per[5];

		(void)gf_bench_work(n);
		if (gf_clock_now() - t0 < GF_BENCH_CALIBRATE_S)
			continue;
		(void)gf_bench_work(n); /* warm-up: two more, untimed */
		(void)gf_bench_work(n);
		for (int i = 0; i < 5; i++) {
			double t1 = gf_clock_now();

			(void)gf_bench_work(n);
			per[i] = (gf_clock_now() - t1) / (double)n;
		}
		best = gf_bench_stats_of(per, 5).median;
		break;
	}
	b->unit = best;
	return best;
}

void gf_bench_set_unit(struct gf_bench_out *b, double seconds)
{
	b->unit = seconds;
}

int64_t gf_bench_units(struct gf_bench_out *b, double seconds)
{
	double u = seconds / gf_bench_calibrate(b);

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

int gf_bench_pingpong_buffers(int64_t size, unsigned char **send, unsigned char **recv)
{
	long page = sysconf(_SC_PAGESIZE);
	void *s = NULL, *r = NULL;

	*send = *recv = NULL;
	if (size < 1 || size > GF_BENCH_MAX_SIZE)
		return -EINVAL;
	if (page <= 0)
		page = 4096;
	if (posix_memalign(&s, (size_t)page, (size_t)size))
		return -ENOMEM;
	if (posix_memalign(&r, (size_t)page, (size_t)size)) {
		free(s);
		return -ENOMEM;
	}
	/* as osu_latency fills them: different bytes, every page touched now */
	memset(s, 'a', (size_t)size);
	memset(r, 'b', (size_t)size);
	*send = s;
	*recv = r;
	return 0;
}

void gf_bench_pingpong_row(struct gf_bench_out *b, const char *method, const char *title,
			   int64_t size, const double *samples, size_t n, int ok)
{
	struct gf_stats st = gf_bench_stats_of(samples, n);
	double total = gf_stats_sum(samples, n);

	gf_bench_row(b, method, "%s", title);
	gf_bench_int(b, "size", size);
	gf_bench_stats(b, "lat_us", &st, 1e6);
	gf_bench_num(b, "avg_us", n ? total / (double)n * 1e6 : 0);
	gf_bench_num(b, "bw_MBps", st.median > 0 ? (double)size / st.median / 1e6 : 0);
	gf_bench_check(b, ok);
	gf_bench_end(b);
}

void gf_bench_bw_row(struct gf_bench_out *b, const char *method, const char *title, int64_t size,
		     int window, const double *seconds, size_t n, int64_t sent, int64_t received,
		     int ok)
{
	struct gf_stats st = gf_bench_stats_of(seconds, n);
	double total = gf_stats_sum(seconds, n);

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

int gf_bench_repeat(int (*run)(void *arg), void (*ready)(void *arg), void *arg, int warmup, int n,
		    double *t)
{
	for (int i = -warmup; i < n; i++) {
		double t0;
		int rc;

		if (ready)
			ready(arg);
		t0 = gf_clock_now();
		rc = run(arg);
		if (rc)
			return rc;
		if (i >= 0)
			t[i] = gf_clock_now() - t0;
	}
	return 0;
}

struct grain_seq {
	int64_t units, tasks;
	uint64_t sum;
};

static int grain_seq_run(void *arg)
{
	struct grain_seq *s = arg;

	s->sum = 0;
	for (int64_t t = 0; t < s->tasks; t++)
		s->sum += gf_bench_work(s->units);
	return 0;
}

uint64_t gf_bench_grain_seq(int64_t units, int64_t tasks, int reps, double *seq)
{
	struct grain_seq s = { .units = units, .tasks = tasks, .sum = 0 };

	(void)gf_bench_repeat(grain_seq_run, NULL, &s, 1, reps, seq);
	return s.sum;
}

/* One grain point's parallel runs, by one value, as gf_bench_repeat's argument. */
struct grain_par {
	const struct gf_bench_grain *g;
	int64_t value, tasks, units;
	uint64_t want;
	int ok;
	double *cpu; /* the parent's CPU seconds of each run, the warm-up's first */
	int runs;
};

/* This process's CPU time in seconds (every thread of it; not its children). */
static double process_cpu(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts))
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void grain_par_ready(void *arg)
{
	const struct grain_par *p = arg;

	p->g->ready(p->g->ctx);
}

static int grain_par_run(void *arg)
{
	struct grain_par *p = arg;
	uint64_t got = 0;
	double cpu = process_cpu();
	int rc = p->g->par(p->g->ctx, p->value, p->tasks, p->units, &got);

	if (p->cpu)
		p->cpu[p->runs++] = process_cpu() - cpu;
	p->ok = p->ok && (!p->g->root || got == p->want);
	return rc;
}

/* The rows of one grain point: one per value of g, or one. */
static int grain_point(struct gf_bench_out *b, const struct gf_bench_opts *o,
		       const struct gf_bench_grain *g, struct gf_bench_grain_facts *f,
		       int64_t units, const double *seq, double *par, double *cpu, uint64_t want)
{
	int rc = g->setup ? g->setup(g->ctx, f->tasks, units) : 0;

	for (int k = 0; k < (g->variant ? g->nvalues : 1) && rc == 0; k++) {
		struct grain_par p = {
			.g = g,
			.value = g->variant ? g->values[k] : 0,
			.tasks = f->tasks,
			.units = units,
			.want = want,
			.ok = !g->root || want == (uint64_t)f->tasks * gf_bench_work_expect(units),
			.cpu = g->parent ? cpu : NULL,
		};

		rc = gf_bench_repeat(grain_par_run, g->ready ? grain_par_ready : NULL, &p, 1,
				     o->reps, par);
		if (rc)
			break;
		if (g->agree)
			p.ok = g->agree(g->ctx, p.ok);
		if (!g->root)
			continue;
		f->parent_cpu_us = g->parent ? gf_bench_stats_of(cpu + 1, (size_t)o->reps).median *
						       1e6 / (double)f->tasks
					     : -1;
		gf_bench_row(b, g->method, "%s", g->title);
		if (g->variant)
			gf_bench_int(b, g->variant, p.value);
		if (g->used)
			gf_bench_int(b, g->used_name, g->used(g->ctx, p.value, f->tasks));
		gf_bench_grain_row(b, f, seq, par, o->reps, p.ok);
	}
	return rc;
}

/*
 * Root's baseline of a grain point, which also measures the grain: the units scaled by the
 * measured over the nominal time per task and run again while they are more than
 * GF_BENCH_GRAIN_FIX apart, at most twice. Returns the checked value; *units and
 * f->measured_us are the last run's.
 */
static uint64_t grain_baseline(const struct gf_bench_opts *o, struct gf_bench_grain_facts *f,
			       int64_t *units, double *seq)
{
	double nominal = (double)f->grain_us * 1e-6;
	uint64_t want = 0;

	for (int fix = 0;; fix++) {
		double per;

		want = gf_bench_grain_seq(*units, f->tasks, o->reps, seq);
		per = gf_bench_stats_of(seq, (size_t)o->reps).median / (double)f->tasks;
		f->measured_us = per * 1e6;
		if (fix == 2 || per <= 0 || fabs(per / nominal - 1) <= GF_BENCH_GRAIN_FIX)
			break;
		*units = llround((double)*units * nominal / per);
		if (*units < 1)
			*units = 1;
	}
	return want;
}

int gf_bench_grain_sweep(struct gf_bench_out *b, const struct gf_bench_opts *o,
			 const struct gf_bench_grain *g)
{
	double *seq = malloc((size_t)o->reps * sizeof(double));
	double *par = malloc((size_t)o->reps * sizeof(double));
	double *cpu = malloc((size_t)(o->reps + 1) * sizeof(double));
	struct gf_bench_opts dealt = *o; /* the tasks per grain, dealt to g->workers */
	int rc = 0, have = seq && par && cpu;

	if (g->agree)
		have = g->agree(g->ctx, have); /* MPI: no rank goes on alone */
	if (!have || !seq || !par || !cpu) {
		rc = -ENOMEM;
		goto out;
	}
	dealt.workers = g->workers;
	gf_bench_note(b, "one unit of work is %.3f ns", gf_bench_calibrate(b) * 1e9);
	for (int64_t gr = o->min_grain_us; gr && rc == 0; gr = gf_bench_next_grain(o, gr)) {
		struct gf_bench_grain_facts f = { .grain_us = gr,
						  .tasks = gf_bench_grain_tasks(&dealt, gr) };
		int64_t units = gf_bench_units(b, (double)gr * 1e-6);
		uint64_t want = 0;

		/* the baseline on root while the others wait */
		if (g->root)
			want = grain_baseline(o, &f, &units, seq);
		if (g->share)
			units = g->share(g->ctx, units);
		rc = grain_point(b, o, g, &f, units, seq, par, cpu, want);
	}
out:
	free(seq);
	free(par);
	free(cpu);
	return rc;
}

void gf_bench_grain_row(struct gf_bench_out *b, const struct gf_bench_grain_facts *f,
			const double *seq, const double *par, int reps, int ok)
{
	struct gf_stats s = gf_bench_stats_of(seq, (size_t)reps);
	struct gf_stats p = gf_bench_stats_of(par, (size_t)reps);
	double off = f->measured_us / (double)f->grain_us - 1;

	gf_bench_int(b, "grain_us", f->grain_us);
	gf_bench_num(b, "grain_measured_us", f->measured_us);
	gf_bench_flag(b, "grain_off", fabs(off) > GF_BENCH_GRAIN_OFF);
	gf_bench_int(b, "tasks", f->tasks);
	gf_bench_stats(b, "seq_s", &s, 1);
	gf_bench_stats(b, "par_s", &p, 1);
	gf_bench_num(b, "speedup", p.median > 0 ? s.median / p.median : 0);
	if (f->parent_cpu_us >= 0)
		gf_bench_num(b, "parent_cpu_us", f->parent_cpu_us);
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
