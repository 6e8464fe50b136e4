/* The physical limits on a record's figures, and how the record says it broke one. */
#include <stdlib.h>
#include <string.h>

#include "gf_limits.h"
#include "gf_report.h"
#include "gf_test.h"

/* Four sums of 0.8 ms on one core, as the one-core runs time them. */
static const double four[4] = { 0.0008, 0.0008, 0.0008, 0.0008 };

static void test_honest(void)
{
	struct gf_limits_in in = {
		.workers = 4, .cores = 1, .seq = 0.0032, .par = 0.0033, .task = four, .ntasks = 4
	};
	struct gf_limits out;

	gf_limits_check(&in, &out);
	CU_ASSERT_EQUAL(out.plausible, 1);
	CU_ASSERT_STRING_EQUAL(out.why, "");
	/* within the slack: 4% above the one core, 4% below the work's bound */
	in.par = 0.0032 / 1.04;
	gf_limits_check(&in, &out);
	CU_ASSERT_EQUAL(out.plausible, 1);
	/* on 2 of 4 cores, twice as fast is the ceiling, not a break */
	in.cores = 2;
	in.par = 0.0016;
	gf_limits_check(&in, &out);
	CU_ASSERT_EQUAL(out.plausible, 1);
}

/* The figure seen on one core: 3.93x for 4 ranks. Both the speedup and the work break. */
static void test_speedup(void)
{
	struct gf_limits_in in = { .workers = 4,
				   .cores = 1,
				   .seq = 0.0032,
				   .par = 0.0032 / 3.93,
				   .task = four,
				   .ntasks = 4 };
	struct gf_limits out;

	gf_limits_check(&in, &out);
	CU_ASSERT_EQUAL(out.plausible, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out.why, "speedup 3.93x > 1.05 x min(P=4, cores=1)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out.why, "; parallel 0.000814 s < tasks' sum 0.003200 s / "
					       "min(P=4, cores=1), by 75%"));
	CU_ASSERT_PTR_NULL(strstr(out.why, "longest"));
	/* cores unknown: P is the bound */
	in.cores = 0;
	in.par = 0.0032 / 4.5;
	gf_limits_check(&in, &out);
	CU_ASSERT_EQUAL(out.plausible, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out.why, "speedup 4.50x > 1.05 x min(P=4, cores=4)"));
}

/* A window shorter than one task: only the longest task's limit is broken. */
static void test_longest(void)
{
	double tasks[4] = { 0.1, 2.0, 0.1, 0.1 };
	struct gf_limits_in in = {
		.workers = 4, .cores = 4, .seq = 2.3, .par = 1.0, .task = tasks, .ntasks = 4
	};
	struct gf_limits out;

	gf_limits_check(&in, &out);
	CU_ASSERT_EQUAL(out.plausible, 0);
	CU_ASSERT_STRING_EQUAL(out.why, "parallel 1.000000 s < longest task 2.000000 s, by 50%");
	/* without per-task times only the speedup is checked */
	in.task = NULL;
	gf_limits_check(&in, &out);
	CU_ASSERT_EQUAL(out.plausible, 1);
	/* nothing measured breaks nothing */
	in.task = tasks;
	in.par = 0;
	gf_limits_check(&in, &out);
	CU_ASSERT_EQUAL(out.plausible, 1);
}

/* A record with a planted impossible figure says so in json and in text; an honest one not. */
static char *render(enum gf_format fmt, const struct gf_limits_in *in,
		    const struct gf_limits *limits)
{
	struct gf_options o = {
		.workload = GF_SUM, .cls = 'S', .workers = 4, .reps = 3, .format = fmt, .n = 3
	};
	struct gf_result res[1] = { { .key = 0, .sum = 3 } };
	struct gf_report r = { .backend = "mpi",
			       .opts = &o,
			       .results = res,
			       .nresults = 1,
			       .verified = 1,
			       .seq = { in->seq, in->seq, in->seq },
			       .par = { in->par, in->par, in->par },
			       .limits = limits };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	gf_topology_local(&r.topology);
	gf_report_print(f, &r);
	fclose(f);
	return buf;
}

static void test_record(void)
{
	struct gf_limits_in in = {
		.workers = 4, .cores = 1, .seq = 0.0032, .par = 0.0008, .task = four, .ntasks = 4
	};
	struct gf_limits out;
	char *s;

	gf_limits_check(&in, &out);
	s = render(GF_FORMAT_JSON, &in, &out);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"speedup\":4,\"plausible\":false,\"implausible\":"
					 "\"speedup 4.00x > 1.05 x min(P=4, cores=1); parallel"));
	free(s);
	s = render(GF_FORMAT_TEXT, &in, &out);
	CU_ASSERT_PTR_NOT_NULL(
		strstr(s, "\nImplausible: speedup 4.00x > 1.05 x min(P=4, cores=1)"));
	free(s);
	in.par = 0.0032;
	gf_limits_check(&in, &out);
	s = render(GF_FORMAT_JSON, &in, &out);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"speedup\":1,\"plausible\":true,\"phases\""));
	CU_ASSERT_PTR_NULL(strstr(s, "implausible"));
	free(s);
	s = render(GF_FORMAT_TEXT, &in, &out);
	CU_ASSERT_PTR_NULL(strstr(s, "Implausible"));
	free(s);
}

int main(void)
{
	static const struct gf_test tests[] = {
		GF_TEST(test_honest), GF_TEST(test_speedup), GF_TEST(test_longest),
		GF_TEST(test_record), { NULL, NULL },
	};

	return gf_test_main("limits", tests);
}
