/* The statistics and the report's formats. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gf_clock.h"
#include "gf_report.h"
#include "gf_test.h"

static void test_stats(void)
{
	double odd[] = { 5, 1, 3 }, even[] = { 4, 1, 3, 2 };
	struct gf_stats s;

	CU_ASSERT_EQUAL(gf_stats_compute(odd, 3, &s), 0);
	CU_ASSERT_DOUBLE_EQUAL(s.min, 1, 0);
	CU_ASSERT_DOUBLE_EQUAL(s.median, 3, 0);
	CU_ASSERT_DOUBLE_EQUAL(s.max, 5, 0);
	CU_ASSERT_DOUBLE_EQUAL(odd[0], 5, 0); /* input untouched */
	CU_ASSERT_EQUAL(gf_stats_compute(even, 4, &s), 0);
	CU_ASSERT_DOUBLE_EQUAL(s.median, 2.5, 0);
	CU_ASSERT_EQUAL(gf_stats_compute(even, 0, &s), 0);
	CU_ASSERT_DOUBLE_EQUAL(s.max, 0, 0);
}

/* A failed statistic says so, leaves zeros, and a set of rows passes on the first failure. */
static void test_stats_fail(void)
{
	double x[] = { 2, 1, 3, 4 };
	struct gf_stats s = { .min = 1, .median = 1, .max = 1 }, rows[3];
	size_t huge = SIZE_MAX / 4; /* its copy's size would wrap: no allocation can hold it */

	CU_ASSERT_EQUAL(gf_stats_compute(x, huge, &s), -ENOMEM);
	CU_ASSERT_DOUBLE_EQUAL(s.median, 0, 0);
	CU_ASSERT_EQUAL(gf_stats_rows(x, 2, 2, rows), 0);
	CU_ASSERT_DOUBLE_EQUAL(rows[0].median, 1.5, 0);
	CU_ASSERT_DOUBLE_EQUAL(rows[1].max, 4, 0);
	CU_ASSERT_EQUAL(gf_stats_rows(x, 0, huge, rows), 0);
	CU_ASSERT_EQUAL(gf_stats_rows(x, 1, huge, rows), -ENOMEM);
}

static void test_clock(void)
{
	double a = gf_clock_now(), b = gf_clock_now();

	CU_ASSERT(b >= a);
	CU_ASSERT(a > 0);
}

static void test_round2(void)
{
	char buf[64];

	/* Python: round(1990727.7912, 2) prints 1990727.79, round(12.5, 2) 12.5, 3.0 3.0 */
	CU_ASSERT_STRING_EQUAL(gf_format_round2(1990727.7912, buf, sizeof(buf)), "1990727.79");
	CU_ASSERT_STRING_EQUAL(gf_format_round2(12.5, buf, sizeof(buf)), "12.5");
	CU_ASSERT_STRING_EQUAL(gf_format_round2(3.0, buf, sizeof(buf)), "3.0");
	CU_ASSERT_STRING_EQUAL(gf_format_round2(0.0, buf, sizeof(buf)), "0.0");
	CU_ASSERT_STRING_EQUAL(gf_format_round2(1.05, buf, sizeof(buf)), "1.05");
}

static void test_phases(void)
{
	struct gf_phases p = { 0 };

	gf_phases_add(&p, "start", 1.0);
	gf_phases_add(&p, "compute", 2.0);
	gf_phases_add(&p, "start", 0.5);
	CU_ASSERT_EQUAL(p.n, 2);
	CU_ASSERT_STRING_EQUAL(p.name[0], "start");
	CU_ASSERT_DOUBLE_EQUAL(p.seconds[0], 1.5, 0);
	for (int i = 0; i < 20; i++)
		gf_phases_add(&p, i % 2 ? "x" : "y", 1.0);
	CU_ASSERT(p.n <= GF_PHASES_MAX);
}

static char *render_auto(enum gf_format fmt, enum gf_workload w, const struct gf_reps_auto *a);

/* Prints a report into memory in the given format. */
static char *render(enum gf_format fmt, enum gf_workload w)
{
	return render_auto(fmt, w, NULL);
}

/*
 * The same with --reps auto's outcome a: seven sequential and six parallel samples, their
 * statistics computed, intervals and all.
 */
static char *render_auto(enum gf_format fmt, enum gf_workload w, const struct gf_reps_auto *a)
{
	static int64_t limits[] = { 10, 5 };
	struct gf_options o = { .workload = w,
				.cls = 'S',
				.workers = 2,
				.reps = a ? a->par_reps : 3,
				.reps_auto = a != NULL,
				.ci_target = 5,
				.reps_cap = 30,
				.format = fmt,
				.limits = limits,
				.nlimits = 2,
				.n = 3,
				.images = 1,
				.width = 20,
				.height = 10 };
	struct gf_result res[2] = { { .key = 5, .v = { 2 }, .sum = 3, .total = 1.0 / 3.0 },
				    { .key = 10, .v = { 4, 5 }, .sum = (gf_u128)1 << 70 } };
	double busy[2] = { 0.1, 0.2 }, task[2] = { 0.3, 0.4 };
	double seq[7] = { 3, 1, 2, 2.5, 2.25, 1.75, 4 }, par[6] = { 1.5, 0.5, 1, 1.25, 0.75, 2 };
	double phase[6] = { 0.25, 0.5, 0.125, 0.5, 0.5, 0.5 };
	struct gf_report r = { .backend = "omp",
			       .opts = &o,
			       .results = res,
			       .nresults = 2,
			       .verified = 1,
			       .seq = { 1, 2, 3 },
			       .par = { 0.5, 1, 1.5 },
			       .task_seconds = task,
			       .busy_seconds = busy,
			       .nphases = 1,
			       .phase_name = { "compute" },
			       .notes = "a \"quoted\" note",
			       .seq_samples = seq,
			       .par_samples = par,
			       .phase_samples = phase,
			       .topology = { 1, 1, 2, 8, "local" },
			       .reps_auto = a };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (a) {
		gf_stats_compute(seq, (size_t)a->seq_reps, &r.seq);
		gf_stats_compute(par, (size_t)a->par_reps, &r.par);
		gf_stats_compute(phase, (size_t)a->par_reps, &r.phase[0]);
	}
	gf_report_print(f, &r);
	fclose(f);
	return buf;
}

static void test_text(void)
{
	char *s = render(GF_FORMAT_TEXT, GF_PRIMES);

	CU_ASSERT_PTR_NOT_NULL(strstr(s, "Results: [(5, 2), (10, 4)]\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "Verification: SUCCESSFUL\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "Speedup:    2.00x"));
	free(s);
	s = render(GF_FORMAT_TEXT, GF_SUM);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "Results: [(5, 3), (10, 1180591620717411303424)]"));
	free(s);
	s = render(GF_FORMAT_TEXT, GF_RESIZE);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "(5, 2, 0, 0.33), (10, 4, 5, 0.0)]"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "Sample result: (5, 2, 0, 0.33)\n"));
	free(s);
}

static void test_json(void)
{
	char *s = render(GF_FORMAT_JSON, GF_RESIZE);

	CU_ASSERT_PTR_NOT_NULL(strstr(s, "{\"backend\":\"omp\",\"workload\":\"resize\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"results\":[[5,2,0,0.33333333333333331],[10,4,5,0]]"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"verified\":true"));
	/* three samples: no interval, said as null */
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"par_s\":{\"min\":0.5,\"median\":1,\"max\":1.5,"
					 "\"ci_low\":null,\"ci_high\":null}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"reps\":3,\"reps_auto\":null,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"notes\":\"a \\\"quoted\\\" note\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"order\":\"blocked\",\"schema\":2,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"topology\":{\"hosts\":1,\"ranks\":1,\"threads\":2,"
					 "\"cores\":8,\"where\":\"local\"}"));
	/* in repetition order, not sorted */
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"samples\":{\"seq_s\":[3,1,2],\"par_s\":[1.5,0.5,1],"
					 "\"phases\":{\"compute\":[0.25,0.5,0.125]},"
					 "\"cpu_share\":[]}"));
	/* a run that measured no CPU time says so, and is not called disturbed */
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"cpu_s\":[],"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(s, "\"disturbed\":false,\"disturbance\":{\"cpu_share_min\":null,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"bind\":false,\"placement\":[],"));
	CU_ASSERT_EQUAL(strchr(s, '\n'), s + strlen(s) - 1); /* one line */
	free(s);
}

static void test_csv(void)
{
	char *s = render(GF_FORMAT_CSV, GF_SUM);
	char *nl = strchr(s, '\n');

	CU_ASSERT_EQUAL(strncmp(s, "backend,workload,class,workers,", 31), 0);
	CU_ASSERT_PTR_NOT_NULL(nl);
	if (nl) {
		CU_ASSERT_EQUAL(strncmp(nl + 1, "omp,sum,S,2,", 12), 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(s, ",ci_target_reached,disturbed,cpu_share_min\n"));
		CU_ASSERT_PTR_NOT_NULL(strstr(nl, ",false,\n")); /* nothing measured: no share */
	}
	free(s);
}

/*
 * The median's interval beside every timing, in every format, and what --reps auto did:
 * seven sequential samples (1 to 4, median 2.25, [x(1), x(7)] = [1, 4]) and six parallel
 * ones (median 1.125, [x(1), x(6)] = [0.5, 2]).
 */
static void test_interval(void)
{
	const struct gf_reps_auto a = {
		.seq_reps = 7, .par_reps = 6, .reached = 0, .stopped = "cap"
	};
	char *s = render_auto(GF_FORMAT_TEXT, GF_PRIMES, &a);

	CU_ASSERT_PTR_NOT_NULL(strstr(s, "Sequential: median 2.250000 s (min 1.000000, max "
					 "4.000000), 95% CI 1.000000-4.000000 (n=7)\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "Parallel:   median 1.125000 s (min 0.500000, max "
					 "2.000000), 95% CI 0.500000-2.000000 (n=6)\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "Repetitions: --reps auto, 7 sequential and 6 parallel; "
					 "both 95% CIs within 5% of their medians: not reached "
					 "(stopped by --reps-cap 30 s)\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "  compute    median 0.500000 s, 95% CI "));
	free(s);
	s = render(GF_FORMAT_TEXT, GF_PRIMES); /* statistics of no samples: n=0 */
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "max 3.000000), no interval: n=0 < 6\n"));
	CU_ASSERT_PTR_NULL(strstr(s, "Repetitions:"));
	free(s);

	s = render_auto(GF_FORMAT_JSON, GF_PRIMES, &a);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"seq_s\":{\"min\":1,\"median\":2.25,\"max\":4,"
					 "\"ci_low\":1,\"ci_high\":4}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"par_s\":{\"min\":0.5,\"median\":1.125,\"max\":2,"
					 "\"ci_low\":0.5,\"ci_high\":2}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"reps\":6,\"reps_auto\":{\"target_pct\":5,"
					 "\"cap_s\":30,\"reached\":false,\"stopped\":\"cap\","
					 "\"seq_reps\":7,\"par_reps\":6},"));
	/* every sample of each series, however many each has */
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"samples\":{\"seq_s\":[3,1,2,2.5,2.25,1.75,4],"
					 "\"par_s\":[1.5,0.5,1,1.25,0.75,2],"
					 "\"phases\":{\"compute\":[0.25,0.5,0.125,0.5,0.5,0.5]},"));
	free(s);

	s = render_auto(GF_FORMAT_CSV, GF_PRIMES, &a);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, ",speedup,seq_ci_low_s,seq_ci_high_s,par_ci_low_s,"
					 "par_ci_high_s,ci_target_reached,disturbed,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, ",2,1,4,0.5,2,false,"));
	free(s);
	s = render(GF_FORMAT_CSV, GF_PRIMES); /* no interval, no target: empty cells */
	CU_ASSERT_PTR_NOT_NULL(strstr(s, ",2,,,,,,"));
	free(s);
}

int main(void)
{
	static const struct gf_test tests[] = {
		GF_TEST(test_stats),  GF_TEST(test_clock),      GF_TEST(test_round2),
		GF_TEST(test_phases), GF_TEST(test_text),       GF_TEST(test_json),
		GF_TEST(test_csv),    GF_TEST(test_stats_fail), GF_TEST(test_interval),
		{ NULL, NULL },
	};

	return gf_test_main("report", tests);
}
