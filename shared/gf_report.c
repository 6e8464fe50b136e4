#include "gf_report.h"

#include <string.h>
#include <unistd.h>

#include "gf_disturb.h"
#include "gf_limits.h"
#include "gf_json.h"

void gf_phases_add(struct gf_phases *p, const char *name, double seconds)
{
	for (int i = 0; i < p->n; i++) {
		if (strcmp(p->name[i], name) == 0) {
			p->seconds[i] += seconds;
			return;
		}
	}
	if (p->n == GF_PHASES_MAX)
		return;
	p->name[p->n] = name;
	p->seconds[p->n] = seconds;
	p->n++;
}

char *gf_format_round2(double total, char *buf, size_t len)
{
	size_t n;

	snprintf(buf, len, "%.2f", total);
	n = strlen(buf);
	if (n >= 2 && buf[n - 1] == '0' && buf[n - 2] != '.')
		buf[--n] = '\0';
	return buf;
}

static long cores(void)
{
	return sysconf(_SC_NPROCESSORS_ONLN);
}

void gf_topology_local(struct gf_topology *t)
{
	t->hosts = 1;
	t->ranks = 1;
	t->threads = 1;
	t->cores = cores();
	t->cores_usable = gf_bind_cpus();
	t->where = "local";
	t->clock_sync = "same-host";
	t->clock_offset_max = t->clock_bound = 0.0;
}

/* One result in the lecture's tuple notation. */
static void print_tuple(FILE *f, enum gf_workload w, const struct gf_result *r)
{
	char buf[64];

	switch (w) {
	case GF_SUM:
		fprintf(f, "(%lld, %s)", (long long)r->key, gf_u128_format(r->sum, buf));
		break;
	case GF_PRIMES:
		fprintf(f, "(%lld, %lld)", (long long)r->key, (long long)r->v[0]);
		break;
	case GF_RESIZE:
		fprintf(f, "(%lld, %lld, %lld, %s)", (long long)r->key, (long long)r->v[0],
			(long long)r->v[1], gf_format_round2(r->total, buf, sizeof(buf)));
		break;
	}
}

enum how_style {
	HOW_TEXT,   /* ", start fork, chunksize 2" in the text header: those set */
	HOW_PARAMS, /* ",\"start\":\"fork\",\"chunksize\":0" after the workload's params: all */
	HOW_JSON,   /* "\"start\":\"fork\"" in the "how" object: all, so that a reader knows
		       which keys of "params" say how rather than what */
};

/* The backend's "how" parameters as key and value, known only from its option table. */
static void print_how(FILE *f, const struct gf_report *r, enum how_style style)
{
	int first = 1;

	for (const struct gf_optdef *d = r->how; d && d->name; d++) {
		char buf[64], key[64];
		const char *v;

		if (!(d->flags & GF_OPTF_HOW))
			continue;
		if (style == HOW_TEXT && (d->flags & GF_OPTF_IF_SET) &&
		    gf_optable_unset(d, r->opts->be))
			continue;
		v = gf_optable_text(d, r->opts->be, buf, sizeof(buf));
		if (style == HOW_TEXT) {
			fprintf(f, ", %s %s", d->name, v);
			continue;
		}
		/* json keys are identifiers: --task-timeout is "task_timeout" */
		snprintf(key, sizeof(key), "%s", d->name);
		for (char *p = strchr(key, '-'); p; p = strchr(p, '-'))
			*p = '_';
		fprintf(f, "%s\"%s\":", style == HOW_JSON && first ? "" : ",", key);
		if (d->kind == GF_OPTK_WORD || d->kind == GF_OPTK_TEXT)
			gf_json_string(f, v);
		else
			fputs(v, f);
		first = 0;
	}
}

/* The end of a timing's line: its median's 95% interval, or why there is none. */
static void text_ci(FILE *f, const struct gf_stats *s)
{
	if (s->ci)
		fprintf(f, ", 95%% CI %.6f-%.6f (n=%zu)\n", s->ci_low, s->ci_high, s->n);
	else
		fprintf(f, ", no interval: n=%zu < %d\n", s->n, GF_STATS_CI_MIN);
}

/* How --reps auto ended: the repetitions of each series, and whether the target was met. */
static void text_reps_auto(FILE *f, const struct gf_report *r)
{
	const struct gf_reps_auto *a = r->reps_auto;

	fprintf(f,
		"Repetitions: --reps auto, %d sequential and %d parallel; both 95%% CIs within "
		"%g%% of their medians: %s",
		a->seq_reps, a->par_reps, r->opts->ci_target,
		a->reached ? "reached" : "not reached");
	if (strcmp(a->stopped, "cap") == 0)
		fprintf(f, " (stopped by --reps-cap %g s)\n", r->opts->reps_cap);
	else if (strcmp(a->stopped, "limit") == 0)
		fprintf(f, " (stopped at the most repetitions, %d)\n", r->opts->reps);
	else
		fputc('\n', f);
}

/*
 * Where the workers' clocks were put on one base by measured offsets: how far off they were,
 * and a warning where the offsets' error could be more than 5% of the parallel time.
 */
static void text_clock(FILE *f, const struct gf_report *r)
{
	const struct gf_topology *t = &r->topology;

	if (!t->clock_sync || strcmp(t->clock_sync, "ping-pong") != 0)
		return;
	fprintf(f,
		"Clock:      offsets against the root's by ping-pong, largest %.6f s, error "
		"bound %.6f s\n",
		t->clock_offset_max, t->clock_bound);
	if (t->clock_bound > 0.05 * r->par.median)
		fprintf(f,
			"Warning: the clocks' error bound %.6f s is %.0f%% of the parallel median "
			"%.6f s: the times across hosts are that uncertain\n",
			t->clock_bound,
			r->par.median > 0 ? 100 * t->clock_bound / r->par.median : 0.0,
			r->par.median);
}

static void print_text(FILE *f, const struct gf_report *r)
{
	const struct gf_options *o = r->opts;

	fprintf(f, "gilfree-%s %s: class %c, %d workers", r->backend, gf_workload_name(o->workload),
		o->cls, o->workers);
	print_how(f, r, HOW_TEXT);
	fprintf(f, ", %d reps after a warm-up%s, %ld cores\n", o->reps,
		o->order == GF_ORDER_INTERLEAVED ? " (interleaved)" : "", cores());
	if (r->notes[0])
		fprintf(f, "Note: %s\n", r->notes);
	fprintf(f, "Results: [");
	for (size_t i = 0; i < r->nresults; i++) {
		fputs(i ? ", " : "", f);
		print_tuple(f, o->workload, &r->results[i]);
	}
	fprintf(f, "]\n");
	if (o->workload == GF_RESIZE && r->nresults > 0) {
		fprintf(f, "Sample result: ");
		print_tuple(f, o->workload, &r->results[0]);
		fprintf(f, "\n");
	}
	fprintf(f, "Verification: %s", r->verified ? "SUCCESSFUL" : "FAILED");
	if (!r->verified && r->failure)
		fprintf(f, " (%s)", r->failure);
	fprintf(f, "\n");
	fprintf(f, "Sequential: median %.6f s (min %.6f, max %.6f)", r->seq.median, r->seq.min,
		r->seq.max);
	text_ci(f, &r->seq);
	fprintf(f, "Parallel:   median %.6f s (min %.6f, max %.6f)", r->par.median, r->par.min,
		r->par.max);
	text_ci(f, &r->par);
	if (r->reps_auto)
		text_reps_auto(f, r);
	for (int i = 0; i < r->setup.n; i++)
		fprintf(f, "  %-10s %.6f s (once)\n", r->setup.name[i], r->setup.seconds[i]);
	for (int i = 0; i < r->nphases; i++) {
		fprintf(f, "  %-10s median %.6f s", r->phase_name[i], r->phase[i].median);
		text_ci(f, &r->phase[i]);
	}
	text_clock(f, r);
	gf_disturb_text_placement(f, r->disturb, strcmp(r->backend, "mpi") ? "workers" : "ranks",
				  o->bind);
	fprintf(f, "Speedup:    %.2fx (median sequential / median parallel)\n",
		r->par.median > 0 ? r->seq.median / r->par.median : 0.0);
	if (r->limits && !r->limits->plausible)
		fprintf(f, "Implausible: %s\n", r->limits->why);
	gf_disturb_text_mark(f, r->disturb);
}

/* {"min","median","max","ci_low","ci_high"}: the interval's ends null where it has none. */
static void json_stats(FILE *f, const struct gf_stats *s)
{
	fprintf(f, "{\"min\":%.9g,\"median\":%.9g,\"max\":%.9g,", s->min, s->median, s->max);
	if (s->ci)
		fprintf(f, "\"ci_low\":%.9g,\"ci_high\":%.9g}", s->ci_low, s->ci_high);
	else
		fprintf(f, "\"ci_low\":null,\"ci_high\":null}");
}

/* "[a,b,...]": n samples, or [] where there are none. */
static void json_samples(FILE *f, const double *x, int n)
{
	fputc('[', f);
	for (int i = 0; x && i < n; i++)
		fprintf(f, "%s%.9g", i ? "," : "", x[i]);
	fputc(']', f);
}

/* Schema 2's additions: the order, where the workers ran, and every timed sample. */
/* Where the run ran, as its record says: the simulated build's hosts are SimGrid's; a run whose
 * workers were on more than one host ran across hosts; else the backend's own word. */
static const char *where_of(const struct gf_topology *t)
{
	/* the simulated build's clock is the simulation's: its ranks ran nowhere real */
	if (t->clock_sync && strcmp(t->clock_sync, "simulated") == 0)
		return "simulated";
	if (t->where && strcmp(t->where, "local") != 0)
		return t->where;
	return t->hosts > 1 ? "hosts" : "local";
}

static void json_schema2(FILE *f, const struct gf_report *r)
{
	const struct gf_topology *t = &r->topology;
	int reps = r->reps_auto ? r->reps_auto->par_reps : r->opts->reps;
	int seq_reps = r->reps_auto ? r->reps_auto->seq_reps : reps;

	fprintf(f, "\"order\":\"%s\",\"schema\":2,",
		r->opts->order == GF_ORDER_INTERLEAVED ? "interleaved" : "blocked");
	fprintf(f, "\"topology\":{\"hosts\":%d,\"ranks\":%d,\"threads\":%d,\"cores\":%ld,",
		t->hosts, t->ranks, t->threads, t->cores);
	fprintf(f, "\"where\":");
	gf_json_string(f, where_of(t));
	fprintf(f, "},\"clock\":{\"sync\":");
	gf_json_string(f, t->clock_sync ? t->clock_sync : "same-host");
	fprintf(f, ",\"offset_max_s\":%.9g,\"error_bound_s\":%.9g", t->clock_offset_max,
		t->clock_bound);
	fprintf(f, "},\"samples\":{\"seq_s\":");
	json_samples(f, r->seq_samples, seq_reps);
	fprintf(f, ",\"par_s\":");
	json_samples(f, r->par_samples, reps);
	fprintf(f, ",\"phases\":{");
	for (int i = 0; i < r->nphases; i++) {
		fprintf(f, "%s\"%s\":", i ? "," : "", r->phase_name[i]);
		json_samples(f,
			     r->phase_samples ? r->phase_samples + (size_t)i * (size_t)reps : NULL,
			     reps);
	}
	fprintf(f, "},");
	gf_disturb_json_shares(f, r->disturb);
	fprintf(f, "},");
}

/* The workload's parameters, as the members of "params". */
static void json_params(FILE *f, const struct gf_options *o)
{
	switch (o->workload) {
	case GF_SUM:
		fprintf(f, "\"n\":%lld", (long long)o->n);
		break;
	case GF_PRIMES:
		fprintf(f, "\"limits\":[");
		for (size_t i = 0; i < o->nlimits; i++)
			fprintf(f, "%s%lld", i ? "," : "", (long long)o->limits[i]);
		fprintf(f, "]");
		break;
	case GF_RESIZE:
		fprintf(f, "\"images\":%lld,\"width\":%lld,\"height\":%lld", (long long)o->images,
			(long long)o->width, (long long)o->height);
		break;
	}
}

/* The results, as the items of "results": one array per result, its key first. */
static void json_results(FILE *f, const struct gf_report *r)
{
	const struct gf_options *o = r->opts;
	char buf[64];

	for (size_t i = 0; i < r->nresults; i++) {
		const struct gf_result *x = &r->results[i];

		fputs(i ? "," : "", f);
		switch (o->workload) {
		case GF_SUM:
			fprintf(f, "[%lld,%s]", (long long)x->key, gf_u128_format(x->sum, buf));
			break;
		case GF_PRIMES:
			fprintf(f, "[%lld,%lld]", (long long)x->key, (long long)x->v[0]);
			break;
		case GF_RESIZE:
			/* 17 significant digits: the exact double comes back when parsed */
			fprintf(f, "[%lld,%lld,%lld,%.17g]", (long long)x->key, (long long)x->v[0],
				(long long)x->v[1], x->total);
			break;
		}
	}
}

static void print_json(FILE *f, const struct gf_report *r)
{
	const struct gf_options *o = r->opts;

	fprintf(f, "{\"backend\":\"%s\",\"workload\":\"%s\",\"class\":\"%c\",\"workers\":%d,",
		r->backend, gf_workload_name(o->workload), o->cls, o->workers);
	/* cores_usable: the CPUs the run may use, which the limits count (gf_limits.h) */
	fprintf(f, "\"cores\":%ld,\"cores_usable\":%d,\"version\":\"%s\",\"params\":{", cores(),
		r->topology.cores_usable, GF_VERSION);
	json_params(f, o);
	print_how(f, r, HOW_PARAMS);
	fprintf(f, "},\"how\":{");
	print_how(f, r, HOW_JSON);
	fprintf(f, "},\"results\":[");
	json_results(f, r);
	fprintf(f, "],\"verified\":%s,\"seq_s\":", r->verified ? "true" : "false");
	json_stats(f, &r->seq);
	fprintf(f, ",\"par_s\":");
	json_stats(f, &r->par);
	fprintf(f, ",\"speedup\":%.6g,\"plausible\":%s,",
		r->par.median > 0 ? r->seq.median / r->par.median : 0.0,
		!r->limits || r->limits->plausible ? "true" : "false");
	if (r->limits && !r->limits->plausible) {
		fprintf(f, "\"implausible\":");
		gf_json_string(f, r->limits->why);
		fputc(',', f);
	}
	fprintf(f, "\"phases\":{");
	for (int i = 0; i < r->nphases; i++) {
		fprintf(f, "%s\"%s\":", i ? "," : "", r->phase_name[i]);
		json_stats(f, &r->phase[i]);
	}
	fprintf(f, "},\"setup_s\":{");
	for (int i = 0; i < r->setup.n; i++)
		fprintf(f, "%s\"%s\":%.9g", i ? "," : "", r->setup.name[i], r->setup.seconds[i]);
	fprintf(f, "},\"task_s\":[");
	for (size_t i = 0; r->task_seconds && i < r->nresults; i++)
		fprintf(f, "%s%.9g", i ? "," : "", r->task_seconds[i]);
	fprintf(f, "],\"busy_s\":[");
	for (int i = 0; r->busy_seconds && i < o->workers; i++)
		fprintf(f, "%s%.9g", i ? "," : "", r->busy_seconds[i]);
	fprintf(f, "],");
	gf_disturb_json_cpu(f, r->disturb);
	fprintf(f, ",\"reps\":%d,\"reps_auto\":", o->reps);
	if (r->reps_auto)
		fprintf(f,
			"{\"target_pct\":%.9g,\"cap_s\":%.9g,\"reached\":%s,\"stopped\":\"%s\","
			"\"seq_reps\":%d,\"par_reps\":%d},",
			o->ci_target, o->reps_cap, r->reps_auto->reached ? "true" : "false",
			r->reps_auto->stopped, r->reps_auto->seq_reps, r->reps_auto->par_reps);
	else
		fprintf(f, "null,");
	json_schema2(f, r);
	gf_disturb_json(f, r->disturb, o->bind);
	fputc(',', f);
	fprintf(f, "\"notes\":");
	gf_json_string(f, r->notes);
	fprintf(f, "}\n");
}

/* ",low,high": an interval's ends, or two empty cells where it has none. */
static void csv_ci(FILE *f, const struct gf_stats *s)
{
	if (s->ci)
		fprintf(f, ",%.9g,%.9g", s->ci_low, s->ci_high);
	else
		fputs(",,", f);
}

static void print_csv(FILE *f, const struct gf_report *r)
{
	const struct gf_options *o = r->opts;

	fprintf(f, "backend,workload,class,workers,cores,reps,verified,seq_min_s,seq_median_s,"
		   "seq_max_s,par_min_s,par_median_s,par_max_s,speedup,seq_ci_low_s,seq_ci_high_s,"
		   "par_ci_low_s,par_ci_high_s,ci_target_reached");
	gf_disturb_csv(f, r->disturb, 1);
	fprintf(f, "\n%s,%s,%c,%d,%ld,%d,%s,%.9g,%.9g,%.9g,%.9g,%.9g,%.9g,%.6g", r->backend,
		gf_workload_name(o->workload), o->cls, o->workers, cores(), o->reps,
		r->verified ? "true" : "false", r->seq.min, r->seq.median, r->seq.max, r->par.min,
		r->par.median, r->par.max, r->par.median > 0 ? r->seq.median / r->par.median : 0.0);
	csv_ci(f, &r->seq);
	csv_ci(f, &r->par);
	/* empty without --reps auto: no target was set */
	fprintf(f, ",%s", !r->reps_auto ? "" : r->reps_auto->reached ? "true" : "false");
	gf_disturb_csv(f, r->disturb, 0);
	fputc('\n', f);
}

void gf_report_print(FILE *f, const struct gf_report *r)
{
	switch (r->opts->format) {
	case GF_FORMAT_TEXT:
		print_text(f, r);
		break;
	case GF_FORMAT_JSON:
		print_json(f, r);
		break;
	case GF_FORMAT_CSV:
		print_csv(f, r);
		break;
	}
	fflush(f);
}
