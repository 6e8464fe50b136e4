/*
 * The grain sweep of every backend (gf_bench.h): per grain, the sequential baseline and the
 * parallel runs by each value of the backend's variant, checked, and their rows.
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
#include "gf_report.h"
#include "gf_kernels.h"

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
