#include "gf_driver.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gf_clock.h"
#include "gf_disturb.h"
#include "gf_limits.h"
#include "gf_watchdog.h"

/* Everything one invocation allocates, so that every path frees it in one place. */
struct run_state {
	struct gf_task *tasks;
	size_t ntasks;
	struct gf_result *want; /* the sequential baseline, sorted */
	struct gf_result *got;  /* one parallel repetition */
	double *seq_samples;    /* per repetition */
	double *seq_cpu;        /* per repetition: the loop's CPU time, -1 unknown */
	double *par_samples;
	double *start_samples; /* per repetition: its start ("start" phase, or the ranks'),
				  -1 unknown */
	double *task_samples;  /* [task][rep] */
	double *task_median;
	double *task_min;     /* [task]: its fastest sequential repetition */
	double *busy_samples; /* [worker][rep] */
	double *busy_median;
	double *phase_samples; /* [phase][rep] */
	const char *phase_name[GF_PHASES_MAX];
	int nphases;
	int verified;  /* every parallel repetition so far matched the baseline */
	char why[256]; /* why not, for the report */

	struct gf_disturb dist;  /* the workers' CPU times and places */
	struct gf_limits limits; /* the physical limits' verdict on the medians */
	int nseq;                /* timed sequential repetitions done */
	int npar;                /* timed parallel repetitions done */
	/* --reps auto: when the timed repetitions (blocked: of the series) began, the seconds
	   the blocked sequential series took, and the worst reason a series stopped */
	double t_first;
	double seq_spent;
	int stopped;
	struct gf_reps_auto reps_auto;
};

static void state_free(struct run_state *s)
{
	free(s->tasks);
	free(s->want);
	free(s->got);
	free(s->seq_samples);
	free(s->seq_cpu);
	free(s->par_samples);
	free(s->start_samples);
	free(s->task_samples);
	free(s->task_median);
	free(s->task_min);
	free(s->busy_samples);
	free(s->busy_median);
	free(s->phase_samples);
	gf_disturb_free(&s->dist);
}

static int state_alloc(struct run_state *s, const struct gf_options *o)
{
	size_t n = s->ntasks ? s->ntasks : 1, reps = (size_t)o->reps, w = (size_t)o->workers;
	char host[GF_HOST_MAX];

	s->want = calloc(n, sizeof(*s->want));
	s->got = calloc(n, sizeof(*s->got));
	s->seq_samples = calloc(reps, sizeof(double));
	s->seq_cpu = calloc(reps, sizeof(double));
	s->par_samples = calloc(reps, sizeof(double));
	s->start_samples = malloc(reps * sizeof(double));
	for (size_t k = 0; s->start_samples && k < reps; k++)
		s->start_samples[k] = -1.0;
	s->task_samples = calloc(n * reps, sizeof(double));
	s->task_median = calloc(n, sizeof(double));
	s->task_min = calloc(n, sizeof(double));
	s->busy_samples = calloc(w * reps, sizeof(double));
	s->busy_median = calloc(w, sizeof(double));
	s->phase_samples = calloc(GF_PHASES_MAX * reps, sizeof(double));
	gf_where_host(host, sizeof(host));
	if (gf_disturb_alloc(&s->dist, o->workers, o->reps, host, gf_bind_cpus()))
		return -ENOMEM;
	if (!s->want || !s->got || !s->seq_samples || !s->seq_cpu || !s->par_samples ||
	    !s->start_samples || !s->task_samples || !s->task_median || !s->task_min ||
	    !s->busy_samples || !s->busy_median || !s->phase_samples)
		return -ENOMEM;
	return 0;
}

/*
 * One repetition of the sequential baseline (rep -1: the warm-up, untimed): Example 25.3's
 * list comprehension, one task after another. Leaves want sorted, for verify.
 */
static void run_sequential(struct run_state *s, const struct gf_options *o, int rep)
{
	double t0, cpu0;

	gf_watchdog_where("in the sequential baseline");
	gf_watchdog_waits_watch(0); /* no wait runs here to see the deadline: no grace */
	cpu0 = gf_clock_cpu();
	t0 = gf_clock_now();
	gf_watchdog_tasks(s->ntasks);
	for (size_t i = 0; i < s->ntasks; i++) {
		gf_task_run(&s->tasks[i], 0, &s->want[i]);
		if (rep >= 0)
			s->task_samples[i * (size_t)o->reps + (size_t)rep] = s->want[i].seconds;
	}
	if (rep >= 0) {
		double cpu1;

		s->seq_samples[rep] = gf_clock_now() - t0;
		cpu1 = gf_clock_cpu();
		s->seq_cpu[rep] = cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1.0;
	}
	gf_results_sort(s->want, s->ntasks);
}

/* Checks one repetition against the baseline; writes why not into why. */
static int verify(struct run_state *s, const struct gf_options *o, char *why, size_t len)
{
	long bad;

	for (size_t i = 0; i < s->ntasks; i++) {
		if (s->got[i].worker < 0 || s->got[i].worker >= o->workers) {
			snprintf(why, len, "result %zu names worker %d of %d", i, s->got[i].worker,
				 o->workers);
			return 0;
		}
	}
	gf_results_sort(s->got, s->ntasks);
	bad = gf_results_compare(s->got, s->want, s->ntasks);
	if (bad >= 0) {
		snprintf(why, len, "result %ld (key %lld) differs from the sequential kernel's",
			 bad, (long long)s->want[bad].key);
		return 0;
	}
	return 1;
}

/* Tells the watchdog which repetition runs, and which tasks, where they run here. */
static void watch_rep(const struct gf_backend *be, int rep, const struct gf_options *o,
		      size_t ntasks)
{
	char where[64];

	if (gf_watchdog_seconds() <= 0)
		return;
	if (rep < 0)
		snprintf(where, sizeof(where), "in the warm-up");
	else if (o->reps_auto)
		snprintf(where, sizeof(where), "in repetition %d (--reps auto)", rep + 1);
	else
		snprintf(where, sizeof(where), "in repetition %d of %d", rep + 1, o->reps);
	gf_watchdog_where(where);
	gf_watchdog_tasks(be->tasks_here ? ntasks : 0);
}

/* Parses and checks the command line. Returns -1 to go on, or the exit status. */
static int parse(int argc, char **argv, const struct gf_backend *be, void *ctx,
		 struct gf_options *o)
{
	char err[512];
	int rc = gf_options_parse(argc, argv, &be->cli, o, err, sizeof(err));

	if (rc == 0 && !o->help && !o->version && be->check) {
		rc = be->check(ctx, o, err, sizeof(err));
		/* the backend may have set the worker count (MPI: the world size) */
		if (rc == 0)
			rc = gf_options_check(o, err, sizeof(err));
		if (rc == 0 && o->reps_auto)
			o->reps = gf_reps_auto_max(o);
	}
	if (rc == -ENOMEM) {
		if (be->root)
			fprintf(stderr, "%s: out of memory\n", be->cli.prog);
		return 1;
	}
	if (rc) {
		if (be->root)
			fprintf(stderr, "%s: %s\n", be->cli.prog, err);
		return 2;
	}
	if (o->help || o->version) {
		if (be->root && o->help)
			gf_options_usage(&be->cli, be->bench != NULL,
					 o->man ? GF_OPTSTYLE_ROFF : GF_OPTSTYLE_TEXT);
		else if (be->root)
			printf("%s (%s backend)\n", gf_version, be->name);
		return 0;
	}
	return -1;
}

/* Keeps the timings of one timed parallel repetition: its time, the workers', its phases. */
static void record_parallel(struct run_state *s, const struct gf_options *o, const struct gf_rep *r,
			    int rep, double wall)
{
	size_t reps = (size_t)o->reps;

	s->par_samples[rep] = r->seconds >= 0 ? r->seconds : wall;
	s->start_samples[rep] = r->start_s;
	for (size_t i = 0; i < s->ntasks; i++) {
		int w = s->got[i].worker;

		if (w >= 0 && w < o->workers)
			s->busy_samples[(size_t)w * reps + (size_t)rep] += s->got[i].seconds;
	}
	gf_disturb_rep_end(&s->dist, rep, r->run_cpu);
	for (int i = 0; i < r->phases.n; i++) {
		int k = 0;

		while (k < s->nphases && strcmp(s->phase_name[k], r->phases.name[i]) != 0)
			k++;
		if (k == s->nphases && s->nphases < GF_PHASES_MAX)
			s->phase_name[s->nphases++] = r->phases.name[i];
		if (k < s->nphases)
			s->phase_samples[(size_t)k * reps + (size_t)rep] = r->phases.seconds[i];
		if (strcmp(r->phases.name[i], "start") == 0)
			s->start_samples[rep] = r->phases.seconds[i];
	}
}

/*
 * One parallel repetition (rep -1: the warm-up, checked but not timed). Returns 0, or the
 * hook's failure after printing why where the hook left it in err.
 */
static int run_parallel(struct run_state *s, const struct gf_options *o,
			const struct gf_backend *be, void *ctx, int rep, char *notes)
{
	char err[GF_ERR_MAX] = "";
	struct gf_rep r = { .seconds = -1.0, .start_s = -1.0, .notes = notes, .err = err };
	double t0, wall;
	int rc;

	memset(s->got, 0, s->ntasks * sizeof(*s->got));
	watch_rep(be, rep, o, s->ntasks);
	gf_disturb_rep_begin(&s->dist);
	r.cpu = s->dist.rep_cpu;
	r.place = s->dist.place;
	if (rep == 0 && be->root) /* the machine's view spans the timed repetitions */
		gf_disturb_span_begin(&s->dist);
	t0 = gf_clock_now();
	rc = be->run(ctx, o, s->tasks, s->ntasks, s->got, &r);
	wall = gf_clock_now() - t0;
	if (rc) {
		if (err[0])
			fprintf(stderr, "%s: %s\n", be->cli.prog, err);
		return rc;
	}
	if (!be->root)
		return 0;
	if (s->verified && !verify(s, o, s->why, sizeof(s->why)))
		s->verified = 0;
	if (rep >= 0) /* the warm-up is checked, not timed */
		record_parallel(s, o, &r, rep, wall);
	return 0;
}

/* Why a --reps auto series stopped, the worst kept: the reps_auto.stopped words. */
enum stop_why { STOP_TARGET, STOP_LIMIT, STOP_CAP };
static const char *const stop_words[] = { "target", "limit", "cap" };

/* Whether the n samples x have a 95% interval of the median within pct of it. */
static int within(const double *x, int n, double pct)
{
	struct gf_stats st;

	return gf_stats_compute(x, (size_t)n, &st) == 0 && gf_stats_ci_within(&st, pct);
}

enum { SERIES_SEQ = 1, SERIES_PAR = 2 };

/*
 * --reps auto, on the root: whether another repetition of series (one or both) follows the
 * done ones, which began at s->t_first and may take budget seconds (gf_driver.h's rule).
 */
static int auto_more(struct run_state *s, const struct gf_options *o, int series, int done,
		     double budget)
{
	enum stop_why why;

	if (done < GF_STATS_CI_MIN)
		return 1;
	if ((!(series & SERIES_SEQ) || within(s->seq_samples, done, o->ci_target)) &&
	    (!(series & SERIES_PAR) || within(s->par_samples, done, o->ci_target)))
		why = STOP_TARGET;
	else if (done >= o->reps)
		why = STOP_LIMIT;
	else if (gf_clock_now() - s->t_first >= budget)
		why = STOP_CAP;
	else
		return 1;
	if ((int)why > s->stopped)
		s->stopped = (int)why;
	return 0;
}

/* Whether another blocked sequential repetition runs (the root's alone). */
static int more_sequential(struct run_state *s, const struct gf_options *o)
{
	if (!o->reps_auto)
		return s->nseq < o->reps;
	return auto_more(s, o, SERIES_SEQ, s->nseq, o->reps_cap / 2);
}

/*
 * Whether another timed parallel repetition (interleaved: round) runs: a fixed count, or the
 * root's decision, which every process follows.
 */
static int more_parallel(struct run_state *s, const struct gf_options *o,
			 const struct gf_backend *be, void *ctx, double budget)
{
	int go;

	if (!o->reps_auto)
		return s->npar < o->reps;
	if (s->npar < GF_STATS_CI_MIN) /* every process knows the minimum */
		return 1;
	go = be->root &&
	     auto_more(s, o,
		       o->order == GF_ORDER_INTERLEAVED ? SERIES_SEQ | SERIES_PAR : SERIES_PAR,
		       s->npar, budget);
	if (be->agree)
		be->agree(ctx, &go);
	return go;
}

/*
 * Every repetition, in the order --order asks for (gf_driver.h). The sequential ones run on
 * the root only. Returns 0, or nonzero after saying why (set-up or run failed).
 */
static int run_all(struct run_state *s, const struct gf_options *o, const struct gf_backend *be,
		   void *ctx, struct gf_report *report, int *set_up)
{
	int interleaved = o->order == GF_ORDER_INTERLEAVED;

	if (be->root) {
		run_sequential(s, o, -1);
		s->t_first = gf_clock_now();
		for (; !interleaved && more_sequential(s, o); s->nseq++)
			run_sequential(s, o, s->nseq);
		s->seq_spent = gf_clock_now() - s->t_first;
	}

	*set_up = 1;
	gf_watchdog_where("in the set-up");
	gf_watchdog_tasks(0);
	gf_watchdog_waits_watch(1);
	if (be->setup) {
		char err[GF_ERR_MAX] = "";

		if (be->setup(ctx, o, &report->setup, err)) {
			if (err[0])
				fprintf(stderr, "%s: %s\n", be->cli.prog, err);
			return 1;
		}
	}

	if (run_parallel(s, o, be, ctx, -1, report->notes))
		return 1;
	s->t_first = gf_clock_now();
	while (more_parallel(s, o, be, ctx,
			     interleaved ? o->reps_cap : o->reps_cap - s->seq_spent)) {
		if (interleaved && be->root) {
			run_sequential(s, o, s->nseq++);
			gf_watchdog_waits_watch(1);
		}
		if (run_parallel(s, o, be, ctx, s->npar, report->notes))
			return 1;
		s->npar++;
	}
	if (be->root)
		gf_disturb_span_end(&s->dist);
	return 0;
}

/* Moves rows of n samples, stored stride apart, together: [row][rep] with n per row. */
static void pack_rows(double *x, size_t rows, size_t stride, size_t n)
{
	for (size_t r = 1; r < rows; r++)
		memmove(x + r * n, x + r * stride, n * sizeof(*x));
}

/*
 * After --reps auto: the samples packed to the counts run, o->reps the parallel count, and
 * what happened for the report.
 */
static void settle_auto(struct run_state *s, struct gf_options *o)
{
	size_t stride = (size_t)o->reps, nseq = (size_t)s->nseq, npar = (size_t)s->npar;

	pack_rows(s->task_samples, s->ntasks, stride, nseq);
	pack_rows(s->busy_samples, (size_t)o->workers, stride, npar);
	pack_rows(s->phase_samples, GF_PHASES_MAX, stride, npar);
	if (s->dist.cpu)
		pack_rows(s->dist.cpu, (size_t)o->workers, stride, npar);
	s->dist.reps = s->npar;
	o->reps = s->npar;
	s->reps_auto.seq_reps = s->nseq;
	s->reps_auto.par_reps = s->npar;
	s->reps_auto.reached = within(s->seq_samples, s->nseq, o->ci_target) &&
			       within(s->par_samples, s->npar, o->ci_target);
	s->reps_auto.stopped = stop_words[s->stopped];
}

/*
 * The physical limits (gf_limits.h) on the report's medians. The per-task times are the
 * sequential loop's, each task's fastest repetition, not its median nor its time inside the
 * parallel run. Why: every timed parallel repetition runs every task whole inside its
 * window (the MPI spans reach from the earliest start to the latest end), and a task's run
 * takes at least about its least-disturbed time alone, which the fastest of its sequential
 * repetitions estimates; a median, or a sequential repetition slowed by a neighbour, could
 * sit above what an undisturbed parallel run takes and mark an honest run. The parallel
 * repetitions' own task times cannot bound their window either way: a clock that misses
 * part of the work misses it in both. So the parallel median is at least the longest
 * fastest-task and the fastest-task total over min(P, cores), less the 5% that timer and
 * frequency noise may take from a task's fastest run. The speedup bound needs no per-task
 * time; a sequential median slowed by other work does break it, and rightly: that speedup
 * is not the machine's.
 */
static void check_limits(struct run_state *s, const struct gf_options *o, struct gf_report *report)
{
	struct gf_limits_in in = {
		.workers = o->workers,
		.cores = report->topology.cores_usable,
		.seq = report->seq.median,
		.par = report->par.median,
		.task = s->nseq > 0 ? s->task_min : NULL,
		.ntasks = s->ntasks,
	};

	gf_limits_check(&in, &s->limits);
	report->limits = &s->limits;
}

/* The root's statistics over the samples, into the report. Returns 0 or -ENOMEM. */
static int summarise(struct run_state *s, const struct gf_options *o, const struct gf_backend *be,
		     void *ctx, struct gf_report *report)
{
	size_t nseq = (size_t)s->nseq, npar = (size_t)s->npar, w = (size_t)o->workers;
	struct gf_stats *rows = calloc((s->ntasks > w ? s->ntasks : w) + 1, sizeof(*rows));
	int rc = rows ? 0 : -ENOMEM;

	if (!rc)
		rc = gf_stats_rows(s->task_samples, s->ntasks, nseq, rows);
	for (size_t i = 0; !rc && i < s->ntasks; i++) {
		s->task_median[i] = rows[i].median;
		s->task_min[i] = rows[i].min;
	}
	if (!rc)
		rc = gf_stats_rows(s->busy_samples, w, npar, rows);
	for (size_t i = 0; !rc && i < w; i++)
		s->busy_median[i] = rows[i].median;
	free(rows);
	if (!rc)
		rc = gf_disturb_judge(&s->dist, s->busy_samples);
	if (!rc)
		rc = gf_disturb_judge_late(&s->dist, s->par_samples, s->start_samples,
					   s->seq_samples, s->seq_cpu, s->nseq);
	if (!rc)
		rc = gf_stats_compute(s->seq_samples, nseq, &report->seq);
	if (!rc)
		rc = gf_stats_compute(s->par_samples, npar, &report->par);
	if (!rc)
		rc = gf_stats_rows(s->phase_samples, (size_t)s->nphases, npar, report->phase);
	for (int k = 0; k < s->nphases; k++)
		report->phase_name[k] = s->phase_name[k];
	report->nphases = s->nphases;
	report->seq_samples = s->seq_samples;
	report->par_samples = s->par_samples;
	report->phase_samples = s->phase_samples;
	gf_topology_local(&report->topology);
	if (be->topology)
		be->topology(ctx, o, &report->topology);
	if (!rc)
		check_limits(s, o, report);
	return rc;
}

int gf_driver_main(int argc, char **argv, const struct gf_backend *be, void *ctx)
{
	struct run_state s = { .verified = 1 };
	struct gf_report report = { 0 };
	struct gf_options o;
	int status = 1, set_up = 0;

	if (argc > 1 && be->bench && strcmp(argv[1], "bench") == 0)
		return be->bench(ctx, argc - 1, argv + 1);
	status = parse(argc, argv, be, ctx, &o);
	if (status >= 0) {
		gf_options_release(&o);
		return status;
	}
	status = 1;
	/* the CPUs the run may use, read before any worker is pinned */
	gf_bind_start(o.bind);
	if (o.bind && be->root && !be->cli.workers_launcher) /* MPI: each host's, at the set-up */
		gf_bind_warn(be->cli.prog, o.workers, "workers", gf_bind_cpus(), NULL);

	/* the deadline covers the whole run, the baseline too; its line names the phase */
	if (o.timeout > 0 && gf_watchdog_arm(o.timeout, be->timeout_grace) < 0)
		fprintf(stderr, "%s: cannot set the --timeout timer; only waits will see it\n",
			be->cli.prog);
	if (gf_tasks_build(&o, &s.tasks, &s.ntasks) || state_alloc(&s, &o)) {
		fprintf(stderr, "%s: out of memory\n", be->cli.prog);
		goto out;
	}
	if (run_all(&s, &o, be, ctx, &report, &set_up))
		goto out;
	if (o.reps_auto) {
		settle_auto(&s, &o);
		report.reps_auto = &s.reps_auto;
	}
	if (be->root) {
		if (summarise(&s, &o, be, ctx, &report)) {
			fprintf(stderr, "%s: out of memory for the statistics\n", be->cli.prog);
			goto out;
		}
		report.backend = be->name;
		report.opts = &o;
		report.how = be->cli.options;
		report.results = s.got;
		report.nresults = s.ntasks;
		report.verified = s.verified;
		report.failure = s.verified ? NULL : s.why;
		report.task_seconds = s.task_median;
		report.busy_seconds = s.busy_median;
		report.disturb = &s.dist;
		gf_report_print(stdout, &report);
	}
	status = s.verified ? 0 : 1;
out:
	gf_watchdog_where("in the tear-down");
	gf_watchdog_tasks(0);
	if (set_up && be->teardown)
		be->teardown(ctx);
	gf_watchdog_disarm();
	state_free(&s);
	gf_options_release(&o);
	return status;
}
