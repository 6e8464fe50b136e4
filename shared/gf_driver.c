#include "gf_driver.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gf_clock.h"
#include "gf_watchdog.h"

/* Everything one invocation allocates, so that every path frees it in one place. */
struct run_state {
	struct gf_task *tasks;
	size_t ntasks;
	struct gf_result *want; /* the sequential baseline, sorted */
	struct gf_result *got;  /* one parallel repetition */
	double *seq_samples;    /* per repetition */
	double *par_samples;
	double *task_samples; /* [task][rep] */
	double *task_median;
	double *busy_samples; /* [worker][rep] */
	double *busy_median;
	double *phase_samples; /* [phase][rep] */
};

static void state_free(struct run_state *s)
{
	free(s->tasks);
	free(s->want);
	free(s->got);
	free(s->seq_samples);
	free(s->par_samples);
	free(s->task_samples);
	free(s->task_median);
	free(s->busy_samples);
	free(s->busy_median);
	free(s->phase_samples);
}

static int state_alloc(struct run_state *s, const struct gf_options *o)
{
	size_t n = s->ntasks ? s->ntasks : 1, reps = (size_t)o->reps, w = (size_t)o->workers;

	s->want = calloc(n, sizeof(*s->want));
	s->got = calloc(n, sizeof(*s->got));
	s->seq_samples = calloc(reps, sizeof(double));
	s->par_samples = calloc(reps, sizeof(double));
	s->task_samples = calloc(n * reps, sizeof(double));
	s->task_median = calloc(n, sizeof(double));
	s->busy_samples = calloc(w * reps, sizeof(double));
	s->busy_median = calloc(w, sizeof(double));
	s->phase_samples = calloc(GF_PHASES_MAX * reps, sizeof(double));
	if (!s->want || !s->got || !s->seq_samples || !s->par_samples || !s->task_samples ||
	    !s->task_median || !s->busy_samples || !s->busy_median || !s->phase_samples)
		return -ENOMEM;
	return 0;
}

/* The sequential baseline: Example 25.3's list comprehension, one task after another. */
static void run_sequential(struct run_state *s, const struct gf_options *o)
{
	gf_watchdog_where("in the sequential baseline");
	gf_watchdog_waits_watch(0); /* no wait runs here to see the deadline: no grace */
	for (int rep = -1; rep < o->reps; rep++) {
		double t0 = gf_clock_now();

		gf_watchdog_tasks(s->ntasks);
		for (size_t i = 0; i < s->ntasks; i++) {
			gf_task_run(&s->tasks[i], 0, &s->want[i]);
			if (rep >= 0)
				s->task_samples[i * (size_t)o->reps + (size_t)rep] =
					s->want[i].seconds;
		}
		if (rep >= 0)
			s->seq_samples[rep] = gf_clock_now() - t0;
	}
	for (size_t i = 0; i < s->ntasks; i++) {
		struct gf_stats st;

		gf_stats_compute(&s->task_samples[i * (size_t)o->reps], (size_t)o->reps, &st);
		s->task_median[i] = st.median;
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
static void watch_rep(const struct gf_backend *be, int rep, int reps, size_t ntasks)
{
	char where[64];

	if (gf_watchdog_seconds() <= 0)
		return;
	if (rep < 0)
		snprintf(where, sizeof(where), "in the warm-up");
	else
		snprintf(where, sizeof(where), "in repetition %d of %d", rep + 1, reps);
	gf_watchdog_where(where);
	gf_watchdog_tasks(be->tasks_here ? ntasks : 0);
}

int gf_driver_main(int argc, char **argv, const struct gf_backend *be, void *ctx)
{
	struct run_state s = { 0 };
	struct gf_report report = { 0 };
	struct gf_options o;
	char err[512], why[256] = "";
	const char *phase_name[GF_PHASES_MAX] = { 0 };
	int nphases = 0, rc, status = 1, verified = 1, set_up = 0;

	if (argc > 1 && be->bench && strcmp(argv[1], "bench") == 0)
		return be->bench(ctx, argc - 1, argv + 1);
	rc = gf_options_parse(argc, argv, &be->cli, &o, err, sizeof(err));
	if (rc == 0 && !o.help && !o.version && be->check) {
		rc = be->check(ctx, &o, err, sizeof(err));
		/* the backend may have set the worker count (MPI: the world size) */
		if (rc == 0)
			rc = gf_options_check(&o, err, sizeof(err));
	}
	if (rc == -ENOMEM) {
		if (be->root)
			fprintf(stderr, "%s: out of memory\n", be->cli.prog);
		gf_options_release(&o);
		return 1;
	}
	if (rc) {
		if (be->root)
			fprintf(stderr, "%s: %s\n", be->cli.prog, err);
		gf_options_release(&o);
		return 2;
	}
	if (o.help || o.version) {
		if (be->root && o.help)
			gf_options_usage(&be->cli);
		else if (be->root)
			printf("%s (%s backend)\n", gf_version, be->name);
		gf_options_release(&o);
		return 0;
	}

	/* the deadline covers the whole run, the baseline too; its line names the phase */
	if (o.timeout > 0 && gf_watchdog_arm(be->cli.prog, o.timeout, be->timeout_grace) < 0)
		fprintf(stderr, "%s: cannot set the --timeout timer; only waits will see it\n",
			be->cli.prog);
	if (gf_tasks_build(&o, &s.tasks, &s.ntasks) || state_alloc(&s, &o)) {
		fprintf(stderr, "%s: out of memory\n", be->cli.prog);
		goto out;
	}
	if (be->root)
		run_sequential(&s, &o);

	set_up = 1;
	gf_watchdog_where("in the set-up");
	gf_watchdog_tasks(0);
	gf_watchdog_waits_watch(1);
	if (be->setup && be->setup(ctx, &o, &report.setup))
		goto out;

	for (int rep = -1; rep < o.reps; rep++) {
		struct gf_rep r = { .seconds = -1.0, .notes = report.notes };
		double t0, wall;

		memset(s.got, 0, s.ntasks * sizeof(*s.got));
		watch_rep(be, rep, o.reps, s.ntasks);
		t0 = gf_clock_now();
		if (be->run(ctx, &o, s.tasks, s.ntasks, s.got, &r))
			goto out;
		wall = gf_clock_now() - t0;
		if (!be->root)
			continue;
		if (verified && !verify(&s, &o, why, sizeof(why)))
			verified = 0;
		if (rep < 0)
			continue; /* the warm-up is checked, not timed */
		s.par_samples[rep] = r.seconds >= 0 ? r.seconds : wall;
		for (size_t i = 0; i < s.ntasks; i++) {
			int w = s.got[i].worker;

			if (w >= 0 && w < o.workers)
				s.busy_samples[(size_t)w * (size_t)o.reps + (size_t)rep] +=
					s.got[i].seconds;
		}
		for (int i = 0; i < r.phases.n; i++) {
			int k = 0;

			while (k < nphases && strcmp(phase_name[k], r.phases.name[i]) != 0)
				k++;
			if (k == nphases && nphases < GF_PHASES_MAX)
				phase_name[nphases++] = r.phases.name[i];
			if (k < nphases)
				s.phase_samples[(size_t)k * (size_t)o.reps + (size_t)rep] =
					r.phases.seconds[i];
		}
	}

	if (be->root) {
		gf_stats_compute(s.seq_samples, (size_t)o.reps, &report.seq);
		gf_stats_compute(s.par_samples, (size_t)o.reps, &report.par);
		for (int w = 0; w < o.workers; w++) {
			struct gf_stats st;

			gf_stats_compute(&s.busy_samples[(size_t)w * (size_t)o.reps],
					 (size_t)o.reps, &st);
			s.busy_median[w] = st.median;
		}
		for (int k = 0; k < nphases; k++) {
			report.phase_name[k] = phase_name[k];
			gf_stats_compute(&s.phase_samples[(size_t)k * (size_t)o.reps],
					 (size_t)o.reps, &report.phase[k]);
		}
		report.nphases = nphases;
		report.backend = be->name;
		report.opts = &o;
		report.how = be->cli.options;
		report.results = s.got;
		report.nresults = s.ntasks;
		report.verified = verified;
		report.failure = verified ? NULL : why;
		report.task_seconds = s.task_median;
		report.busy_seconds = s.busy_median;
		gf_report_print(stdout, &report);
	}
	status = verified ? 0 : 1;
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
