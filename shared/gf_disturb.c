#include "gf_disturb.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gf_json.h"
#include "gf_stats.h"
#include "gf_where.h"

static double clock_seconds(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) != 0)
		return -1.0;
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double gf_cpu_thread(void)
{
	return clock_seconds(CLOCK_THREAD_CPUTIME_ID);
}

double gf_cpu_process(void)
{
	return clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
}

int gf_procstat_parse(const char *text, double ticks_per_s, struct gf_procstat *s)
{
	unsigned long long v[8];
	const char *line = text, *p;

	memset(s, 0, sizeof(*s));
	/* the aggregate line is "cpu" and blanks; "cpu0" and the others are one CPU each */
	while (line && strncmp(line, "cpu ", 4) != 0) {
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	if (!line || !(ticks_per_s > 0))
		return -EINVAL;
	p = line + 4;
	for (int i = 0; i < 8; i++) {
		char *end;

		while (*p == ' ')
			p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		errno = 0;
		v[i] = strtoull(p, &end, 10);
		if (errno)
			return -EINVAL;
		p = end;
	}
	/* user nice system idle iowait irq softirq steal (guest time is inside user and nice) */
	s->active = (double)(v[0] + v[1] + v[2] + v[5] + v[6]) / ticks_per_s;
	s->steal = (double)v[7] / ticks_per_s;
	s->ok = 1;
	return 0;
}

int gf_procstat_read(struct gf_procstat *s)
{
	char buf[4096];
	ssize_t n = 0, r;
	int fd = open("/proc/stat", O_RDONLY | O_CLOEXEC), e;

	memset(s, 0, sizeof(*s));
	if (fd < 0)
		return -errno;
	/* the aggregate line comes first: the first 4 KiB hold it */
	while ((size_t)n < sizeof(buf) - 1 &&
	       ((r = read(fd, buf + n, sizeof(buf) - 1 - (size_t)n)) > 0 ||
		(r < 0 && errno == EINTR)))
		n += r > 0 ? r : 0;
	e = errno;
	close(fd);
	if (n == 0)
		return -(e ? e : EIO);
	buf[n] = '\0';
	return gf_procstat_parse(buf, (double)sysconf(_SC_CLK_TCK), s);
}

int gf_disturb_alloc(struct gf_disturb *d, int workers, int reps, const char *host, int cores)
{
	size_t w = workers > 0 ? (size_t)workers : 1, r = reps > 0 ? (size_t)reps : 1;

	memset(d, 0, sizeof(*d));
	d->workers = workers;
	d->reps = reps;
	d->steal_s = d->others_cpu_s = d->share_min = NAN;
	d->cpu = malloc(w * r * sizeof(double));
	d->rep_cpu = malloc(w * sizeof(double));
	d->place = calloc(w, sizeof(*d->place));
	if (!d->cpu || !d->rep_cpu || !d->place)
		return -ENOMEM;
	for (size_t i = 0; i < w * r; i++)
		d->cpu[i] = -1.0;
	for (size_t i = 0; i < w; i++) {
		d->rep_cpu[i] = -1.0;
		snprintf(d->place[i].host, sizeof(d->place[i].host), "%s", host ? host : "");
		d->place[i].cpu = -1;
		d->place[i].cores = cores;
	}
	return 0;
}

void gf_disturb_free(struct gf_disturb *d)
{
	free(d->cpu);
	free(d->rep_cpu);
	free(d->place);
	free(d->cpu_median);
	free(d->share);
	d->cpu = d->rep_cpu = d->cpu_median = d->share = NULL;
	d->place = NULL;
}

void gf_disturb_rep_begin(struct gf_disturb *d)
{
	for (int w = 0; w < d->workers; w++)
		d->rep_cpu[w] = -1.0;
}

void gf_disturb_rep_end(struct gf_disturb *d, int rep, double run_cpu)
{
	if (rep < 0 || rep >= d->reps)
		return;
	for (int w = 0; w < d->workers; w++)
		d->cpu[(size_t)w * (size_t)d->reps + (size_t)rep] = d->rep_cpu[w];
	if (run_cpu > 0)
		d->run_cpu += run_cpu;
}

void gf_disturb_span_begin(struct gf_disturb *d)
{
	gf_procstat_read(&d->stat0);
	d->self0 = gf_cpu_process();
}

void gf_disturb_span_end(struct gf_disturb *d)
{
	gf_procstat_read(&d->stat1);
	d->self1 = gf_cpu_process();
}

/* The span's stolen time and other processes' CPU time, where the machine could say. */
static void machine(struct gf_disturb *d)
{
	double own;

	d->steal_s = d->others_cpu_s = NAN;
	if (!d->stat0.ok || !d->stat1.ok || d->self0 < 0 || d->self1 < 0)
		return;
	d->steal_s = d->stat1.steal - d->stat0.steal;
	/* the run's own: this process (every thread), and its others as the backend counted */
	own = (d->self1 - d->self0) + d->run_cpu;
	d->others_cpu_s = d->stat1.active - d->stat0.active - own;
	if (d->others_cpu_s < 0)
		d->others_cpu_s = 0;
}

/*
 * The share of a core worker w can expect: a whole core where its host has a core for each
 * of its workers; else that of a worker on the busiest core, with the workers spread as
 * evenly as whole workers allow (as a fair scheduler spreads them, and --bind pins them):
 * 1 / ceil(workers / cores), not cores / workers, which no worker of 3 on 2 cores gets
 * unless the scheduler moves them round.
 */
static double expected(const struct gf_disturb *d, int w)
{
	int on = 0, cores = d->place[w].cores > 0 ? d->place[w].cores : gf_bind_cpus(), busiest;

	for (int v = 0; v < d->workers; v++)
		on += strcmp(d->place[v].host, d->place[w].host) == 0;
	if (cores < 1)
		cores = 1;
	busiest = (on + cores - 1) / cores; /* whole workers on the busiest core */
	return 1.0 / busiest;
}

int gf_disturb_judge(struct gf_disturb *d, const double *busy)
{
	size_t w = d->workers > 0 ? (size_t)d->workers : 1, r = d->reps > 0 ? (size_t)d->reps : 1;
	double *known = malloc(r * sizeof(double)), *limit = malloc(w * sizeof(double));
	int rc = -ENOMEM;

	free(d->cpu_median);
	free(d->share);
	d->cpu_median = malloc(w * sizeof(double));
	d->share = malloc(r * sizeof(double));
	if (!known || !limit || !d->cpu_median || !d->share)
		goto out;
	d->threshold = GF_DISTURB_FACTOR;
	for (int v = 0; v < d->workers; v++) {
		struct gf_stats st;
		size_t n = 0;

		for (int k = 0; k < d->reps; k++) {
			double c = d->cpu[(size_t)v * (size_t)d->reps + (size_t)k];

			if (c >= 0)
				known[n++] = c;
		}
		d->cpu_median[v] = n && gf_stats_compute(known, n, &st) == 0 ? st.median : -1.0;
		limit[v] = GF_DISTURB_FACTOR * expected(d, v);
		if (v == 0 || limit[v] < d->threshold)
			d->threshold = limit[v];
	}
	d->share_min = NAN;
	d->reps_disturbed = 0;
	for (int k = 0; k < d->reps; k++) {
		int bad = 0;

		d->share[k] = NAN;
		for (int v = 0; v < d->workers; v++) {
			size_t at = (size_t)v * (size_t)d->reps + (size_t)k;
			double x;

			if (!(busy[at] > 0) || d->cpu[at] < 0)
				continue;
			x = d->cpu[at] / busy[at];
			if (isnan(d->share[k]) || x < d->share[k])
				d->share[k] = x;
			bad |= x < limit[v];
		}
		d->reps_disturbed += bad;
		if (!isnan(d->share[k]) && (isnan(d->share_min) || d->share[k] < d->share_min))
			d->share_min = d->share[k];
	}
	d->disturbed = d->reps_disturbed > 0;
	machine(d);
	rc = 0;
out:
	free(known);
	free(limit);
	return rc;
}

/* The least share of a core a worker of d can expect, as gf_disturb_judge found it. */
static double least_expected(const struct gf_disturb *d)
{
	double e = d->threshold / GF_DISTURB_FACTOR;

	return e > 0 && e <= 1 ? e : 1.0;
}

/* Whether timed repetition k started late (GF_DISTURB_LATE). */
static int late_rep(const struct gf_disturb *d, int k, double wall, double start)
{
	double busiest = -1.0, need;

	for (int v = 0; v < d->workers; v++) {
		double c = d->cpu[(size_t)v * (size_t)d->reps + (size_t)k];

		if (c > busiest)
			busiest = c;
	}
	if (!(busiest > 0))
		return 0;
	need = busiest / least_expected(d);
	return (start >= 0 && start > GF_DISTURB_LATE * need) ||
	       (wall > 0 && wall > GF_DISTURB_LATE_WALL * need);
}

int gf_disturb_judge_late(struct gf_disturb *d, const double *wall, const double *start,
			  const double *seq, const double *seq_cpu, int nseq)
{
	struct gf_stats st;

	d->late_start_reps = d->seq_reps_disturbed = 0;
	d->seq_reps = nseq > 0 ? nseq : 0;
	for (int k = 0; wall && d->cpu && k < d->reps; k++)
		d->late_start_reps += late_rep(d, k, wall[k], start ? start[k] : -1.0);
	if (seq && nseq > 0) {
		int rc = gf_stats_compute(seq, (size_t)nseq, &st);

		if (rc)
			return rc;
		for (int k = 0; k < nseq; k++)
			d->seq_reps_disturbed +=
				(st.median > 0 && seq[k] > GF_DISTURB_SEQ * st.median) ||
				(seq_cpu && seq_cpu[k] >= 0 && seq[k] > 0 &&
				 seq_cpu[k] < GF_DISTURB_FACTOR * seq[k]);
	}
	d->disturbed = d->reps_disturbed > 0 || d->late_start_reps > 0 || d->seq_reps_disturbed > 0;
	return 0;
}

/* A number, or null where it is unknown (NAN, or negative where negative means so). */
static void json_num(FILE *f, double x, int negative_unknown)
{
	if (isnan(x) || (negative_unknown && x < 0))
		fputs("null", f);
	else
		fprintf(f, "%.9g", x);
}

/* "name":[x0,x1,...], n numbers of x (none where x is NULL), each as json_num writes it. */
static void json_nums(FILE *f, const char *name, const double *x, int n, int negative_unknown)
{
	fprintf(f, "\"%s\":[", name);
	for (int i = 0; x && i < n; i++) {
		fputs(i ? "," : "", f);
		json_num(f, x[i], negative_unknown);
	}
	fputc(']', f);
}

void gf_disturb_json_cpu(FILE *f, const struct gf_disturb *d)
{
	json_nums(f, "cpu_s", d ? d->cpu_median : NULL, d ? d->workers : 0, 1);
}

void gf_disturb_json_shares(FILE *f, const struct gf_disturb *d)
{
	json_nums(f, "cpu_share", d ? d->share : NULL, d ? d->reps : 0, 0);
}

void gf_disturb_json(FILE *f, const struct gf_disturb *d, int bind)
{
	int judged = d && d->share;

	fprintf(f, "\"disturbed\":%s,\"disturbance\":{\"cpu_share_min\":",
		judged && d->disturbed ? "true" : "false");
	json_num(f, judged ? d->share_min : NAN, 0);
	fprintf(f,
		",\"reps_disturbed\":%d,\"reps\":%d,\"threshold\":", judged ? d->reps_disturbed : 0,
		judged ? d->reps : 0);
	json_num(f, judged ? d->threshold : NAN, 0);
	fputs(",\"steal_s\":", f);
	json_num(f, d ? d->steal_s : NAN, 0);
	fputs(",\"others_cpu_s\":", f);
	json_num(f, d ? d->others_cpu_s : NAN, 0);
	fprintf(f,
		",\"late_start_reps\":%d,\"seq_reps\":%d,\"seq_reps_disturbed\":%d,"
		"\"seq_disturbed\":%s",
		judged ? d->late_start_reps : 0, judged ? d->seq_reps : 0,
		judged ? d->seq_reps_disturbed : 0,
		judged && d->seq_reps_disturbed > 0 ? "true" : "false");
	fprintf(f, "},\"bind\":%s,\"placement\":[", bind ? "true" : "false");
	for (int w = 0; d && d->place && w < d->workers; w++) {
		fprintf(f, "%s{\"worker\":%d,\"host\":", w ? "," : "", w);
		gf_json_string(f, d->place[w].host);
		fputs(",\"cpu\":", f);
		if (d->place[w].cpu >= 0)
			fprintf(f, "%d", d->place[w].cpu);
		else
			fputs("null", f);
		fputc('}', f);
	}
	fputc(']', f);
}

/* "0-1,3": the workers first..end whose host is host's, as ranges. */
static void print_workers(FILE *f, const struct gf_disturb *d, int first)
{
	const char *host = d->place[first].host;
	int said = 0;

	for (int w = first; w < d->workers; w++) {
		int last = w;

		if (strcmp(d->place[w].host, host) != 0)
			continue;
		while (last + 1 < d->workers && strcmp(d->place[last + 1].host, host) == 0)
			last++;
		fprintf(f, "%s%d", said++ ? "," : "", w);
		if (last > w)
			fprintf(f, "-%d", last);
		w = last;
	}
}

void gf_disturb_text_placement(FILE *f, const struct gf_disturb *d, const char *what, int bind)
{
	if (!d || !d->place || d->workers < 1)
		return;
	fputs("placement: ", f);
	for (int w = 0; w < d->workers; w++) {
		const char *host = d->place[w].host;
		int seen = 0, said = 0;

		for (int v = 0; v < w && !seen; v++)
			seen = strcmp(d->place[v].host, host) == 0;
		if (seen)
			continue;
		fprintf(f, "%s%s: %s ", w ? "; " : "", host[0] ? host : "?", what);
		print_workers(f, d, w);
		if (!gf_where_has_cpus())
			continue; /* a simulated rank has a host, and no CPU to name */
		fputs(" on cpus ", f);
		for (int v = w; v < d->workers; v++) {
			if (strcmp(d->place[v].host, host) != 0)
				continue;
			if (d->place[v].cpu >= 0)
				fprintf(f, "%s%d", said++ ? "," : "", d->place[v].cpu);
			else
				fprintf(f, "%s?", said++ ? "," : "");
		}
	}
	fprintf(f, "%s\n", bind ? " (pinned by --bind)" : "");
}

void gf_disturb_text_mark(FILE *f, const struct gf_disturb *d)
{
	const char *sep = "";

	if (!d || !d->share || !d->disturbed)
		return;
	fputs("disturbed: ", f);
	if (d->reps_disturbed) {
		fprintf(f,
			"a worker got %.0f%% of a core in %d of %d repetitions (threshold %.0f%%",
			100 * d->share_min, d->reps_disturbed, d->reps, 100 * d->threshold);
		if (isnan(d->steal_s) || isnan(d->others_cpu_s))
			fputs("; steal and other processes unknown)", f);
		else
			fprintf(f, "; steal %.2f s, other processes %.2f s of CPU)", d->steal_s,
				d->others_cpu_s);
		sep = "; ";
	}
	if (d->late_start_reps) {
		fprintf(f,
			"%sa late start in %d of %d repetitions (a start or wall time far above "
			"the "
			"busiest worker's CPU time)",
			sep, d->late_start_reps, d->reps);
		sep = "; ";
	}
	if (d->seq_reps_disturbed)
		fprintf(f,
			"%s%d of %d sequential repetitions above %.0f times their median or "
			"below %.0f%% of a core",
			sep, d->seq_reps_disturbed, d->seq_reps, GF_DISTURB_SEQ,
			100 * GF_DISTURB_FACTOR);
	fputc('\n', f);
}

void gf_disturb_csv(FILE *f, const struct gf_disturb *d, int head)
{
	int judged = d && d->share;

	if (head) {
		fputs(",disturbed,cpu_share_min", f);
		return;
	}
	fprintf(f, ",%s,", judged && d->disturbed ? "true" : "false");
	if (judged && !isnan(d->share_min))
		fprintf(f, "%.6g", d->share_min);
}
