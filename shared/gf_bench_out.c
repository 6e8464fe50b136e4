/*
 * The micro-benchmarks' output (gf_bench.h): rows of fields, as text columns under a header
 * or as one json object per row; notes; the statistics of a row's samples.
 */
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
#include "gf_json.h"
#include "gf_report.h"
#include "gf_kernels.h"

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
