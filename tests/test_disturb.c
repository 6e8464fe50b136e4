/* The disturbance mark, /proc/stat's figures, the record's parts, and --bind's CPU choice. */
#define _GNU_SOURCE /* sched_getaffinity */
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "gf_bind.h"
#include "gf_disturb.h"
#include "gf_test.h"

static void test_procstat_parse(void)
{
	struct gf_procstat s;

	/* user nice system idle iowait irq softirq steal guest guest_nice */
	CU_ASSERT_EQUAL(gf_procstat_parse("cpu  100 20 30 400 50 6 7 8 0 0\n"
					  "cpu0 1 1 1 1 1 1 1 1 0 0\nintr 5\n",
					  100, &s),
			0);
	CU_ASSERT(s.ok);
	CU_ASSERT_DOUBLE_EQUAL(s.active, 1.63, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(s.steal, 0.08, 1e-12);
	/* the aggregate line anywhere; a per-CPU line is not it; fewer than 8 fields are none */
	CU_ASSERT_EQUAL(gf_procstat_parse("intr 5\ncpu  1 0 0 0 0 0 0 2\n", 1, &s), 0);
	CU_ASSERT_DOUBLE_EQUAL(s.steal, 2, 0);
	CU_ASSERT_EQUAL(gf_procstat_parse("cpu0 1 2 3 4 5 6 7 8\n", 100, &s), -EINVAL);
	CU_ASSERT_EQUAL(s.ok, 0);
	CU_ASSERT_EQUAL(gf_procstat_parse("cpu  1 2 3 4 5 6 7\n", 100, &s), -EINVAL);
	CU_ASSERT_EQUAL(gf_procstat_parse("", 100, &s), -EINVAL);
	/* this machine's, where it has one: time only grows */
	if (gf_procstat_read(&s) == 0) {
		struct gf_procstat t;

		CU_ASSERT(s.ok && s.active > 0 && s.steal >= 0);
		CU_ASSERT_EQUAL(gf_procstat_read(&t), 0);
		CU_ASSERT(t.active >= s.active && t.steal >= s.steal);
	}
}

static void test_cpu_clocks(void)
{
	double t0 = gf_cpu_thread(), p0 = gf_cpu_process();
	volatile double x = 0;

	for (int i = 0; i < 1000000; i++)
		x += i;
	CU_ASSERT(t0 >= 0 && p0 >= 0);
	CU_ASSERT(gf_cpu_thread() > t0);
	CU_ASSERT(gf_cpu_process() > p0);
}

/* A run of 2 workers and 3 repetitions on one host of 2 cores, every CPU time known. */
static void two_workers(struct gf_disturb *d)
{
	CU_ASSERT_EQUAL_FATAL(gf_disturb_alloc(d, 2, 3, "a", 2), 0);
	for (int rep = 0; rep < 3; rep++) {
		static const double cpu[2][3] = { { 1, 0.5, 0.95 }, { 1, 1, 1 } };

		gf_disturb_rep_begin(d);
		d->rep_cpu[0] = cpu[0][rep];
		d->rep_cpu[1] = cpu[1][rep];
		gf_disturb_rep_end(d, rep, 0);
	}
}

static void test_judge(void)
{
	const double busy[6] = { 1, 1, 1, 1, 1, 1 }; /* [worker][rep] */
	struct gf_disturb d;

	two_workers(&d);
	CU_ASSERT_EQUAL_FATAL(gf_disturb_judge(&d, busy), 0);
	CU_ASSERT_DOUBLE_EQUAL(d.share[0], 1, 0);
	CU_ASSERT_DOUBLE_EQUAL(d.share[1], 0.5, 0);
	CU_ASSERT_DOUBLE_EQUAL(d.share[2], 0.95, 0);
	CU_ASSERT_DOUBLE_EQUAL(d.share_min, 0.5, 0);
	CU_ASSERT_DOUBLE_EQUAL(d.threshold, GF_DISTURB_FACTOR, 0);
	CU_ASSERT_EQUAL(d.reps_disturbed, 1);
	CU_ASSERT(d.disturbed);
	CU_ASSERT_DOUBLE_EQUAL(d.cpu_median[0], 0.95, 0);
	CU_ASSERT_DOUBLE_EQUAL(d.cpu_median[1], 1, 0);
	CU_ASSERT(isnan(d.steal_s) && isnan(d.others_cpu_s)); /* no span: unknown */
	gf_disturb_free(&d);
}

/* Only busy workers with a known time count; a repetition with none has no share. */
static void test_judge_unknown(void)
{
	const double busy[6] = { 0, 0, 0, 1, 1, 0 };
	struct gf_disturb d;

	two_workers(&d);
	d.cpu[1 * 3 + 1] = -1; /* worker 1, repetition 1: not measured */
	CU_ASSERT_EQUAL_FATAL(gf_disturb_judge(&d, busy), 0);
	CU_ASSERT_DOUBLE_EQUAL(d.share[0], 1, 0);
	CU_ASSERT(isnan(d.share[1]) && isnan(d.share[2]));
	CU_ASSERT_DOUBLE_EQUAL(d.share_min, 1, 0);
	CU_ASSERT_EQUAL(d.reps_disturbed, 0);
	CU_ASSERT(!d.disturbed);
	gf_disturb_free(&d);
}

/* The share expected: a core each where there are enough; else the busiest core's share. */
static void test_expected_share(void)
{
	static const struct {
		int workers, cores;
		double threshold;
	} cases[] = { { 1, 2, 0.9 },   { 2, 2, 0.9 },  { 3, 2, 0.45 },  { 4, 2, 0.45 },
		      { 7, 2, 0.225 }, { 2, 1, 0.45 }, { 16, 4, 0.225 } };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double busy[16] = { 0 };
		struct gf_disturb d;

		CU_ASSERT_EQUAL_FATAL(
			gf_disturb_alloc(&d, cases[i].workers, 1, "a", cases[i].cores), 0);
		CU_ASSERT_EQUAL_FATAL(gf_disturb_judge(&d, busy), 0);
		CU_ASSERT_DOUBLE_EQUAL(d.threshold, cases[i].threshold, 1e-12);
		gf_disturb_free(&d);
	}
}

/* Per host: a worker alone on a roomy host is held to a whole core, whatever the others. */
static void test_hosts(void)
{
	const double busy[3] = { 1, 1, 1 };
	struct gf_disturb d;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	CU_ASSERT_EQUAL_FATAL(gf_disturb_alloc(&d, 3, 1, "a", 1), 0);
	snprintf(d.place[1].host, sizeof(d.place[1].host), "b");
	d.place[1].cores = 4;
	d.place[0].cpu = 0;
	d.place[1].cpu = 3;
	d.place[2].cpu = 0;
	d.rep_cpu[0] = d.rep_cpu[2] = 0.5; /* two on a's one core: what they could expect */
	d.rep_cpu[1] = 0.6;                /* alone on b, and still short of a core */
	gf_disturb_rep_end(&d, 0, 0);
	CU_ASSERT_EQUAL_FATAL(gf_disturb_judge(&d, busy), 0);
	CU_ASSERT_DOUBLE_EQUAL(d.threshold, 0.45, 1e-12); /* the least of the hosts' */
	CU_ASSERT_DOUBLE_EQUAL(d.share_min, 0.5, 0);
	CU_ASSERT(d.disturbed);
	f = open_memstream(&buf, &len);
	gf_disturb_text_placement(f, &d, "ranks", 0);
	fclose(f);
	CU_ASSERT_STRING_EQUAL(buf, "placement: a: ranks 0,2 on cpus 0,0; b: ranks 1 on cpus 3\n");
	free(buf);
	gf_disturb_free(&d);
}

/* The machine's figures over the span: stolen time, and others' CPU time floored at 0. */
static void test_machine(void)
{
	const double busy[6] = { 1, 1, 1, 1, 1, 1 };
	struct gf_disturb d;

	two_workers(&d);
	d.stat0 = (struct gf_procstat){ .ok = 1, .steal = 1, .active = 10 };
	d.stat1 = (struct gf_procstat){ .ok = 1, .steal = 1.5, .active = 14 };
	d.self0 = 2;
	d.self1 = 3;
	d.run_cpu = 1; /* the run's own: 1 here and 1 in its other processes */
	CU_ASSERT_EQUAL_FATAL(gf_disturb_judge(&d, busy), 0);
	CU_ASSERT_DOUBLE_EQUAL(d.steal_s, 0.5, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(d.others_cpu_s, 2, 1e-12);
	d.run_cpu = 5; /* ticks are coarse: the run may seem to use more than the machine did */
	CU_ASSERT_EQUAL_FATAL(gf_disturb_judge(&d, busy), 0);
	CU_ASSERT_DOUBLE_EQUAL(d.others_cpu_s, 0, 0);
	d.stat1.ok = 0;
	CU_ASSERT_EQUAL_FATAL(gf_disturb_judge(&d, busy), 0);
	CU_ASSERT(isnan(d.steal_s) && isnan(d.others_cpu_s));
	gf_disturb_free(&d);
}

/* Prints every part of d into memory. */
static char *render(const struct gf_disturb *d, int bind)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	gf_disturb_json_cpu(f, d);
	fputc('|', f);
	gf_disturb_json_shares(f, d);
	fputc('|', f);
	gf_disturb_json(f, d, bind);
	fputc('|', f);
	gf_disturb_text_placement(f, d, "workers", bind);
	gf_disturb_text_mark(f, d);
	gf_disturb_csv(f, d, 1);
	fputc('|', f);
	gf_disturb_csv(f, d, 0);
	fclose(f);
	return buf;
}

/*
 * A late start: short tasks at a full core each, as a competitor leaves them once they run,
 * but one repetition whose last worker started long after the work it had to do, and one
 * whose wall time is far above it; and a sequential sample far above its median.
 */
static void test_late(void)
{
	const double busy[6] = { 1, 1, 1, 1, 1, 1 };
	const double wall[3] = { 1.1, 1.2, 5 }, start[3] = { 0.1, 2.5, 0.1 };
	const double seq[5] = { 2, 2.1, 1.9, 2, 4.5 }, calm[3] = { 2, 2.1, 1.9 };
	struct gf_disturb d;
	char *s;

	CU_ASSERT_EQUAL_FATAL(gf_disturb_alloc(&d, 2, 3, "a", 2), 0);
	for (int rep = 0; rep < 3; rep++) {
		gf_disturb_rep_begin(&d);
		d.rep_cpu[0] = d.rep_cpu[1] = 1;
		gf_disturb_rep_end(&d, rep, 0);
	}
	CU_ASSERT_EQUAL_FATAL(gf_disturb_judge(&d, busy), 0);
	CU_ASSERT_EQUAL(d.reps_disturbed, 0);
	CU_ASSERT(!d.disturbed);
	CU_ASSERT_EQUAL_FATAL(gf_disturb_judge_late(&d, wall, start, seq, NULL, 5), 0);
	CU_ASSERT_EQUAL(d.late_start_reps, 2); /* the long start, and the long wall */
	CU_ASSERT_EQUAL(d.seq_reps_disturbed, 1);
	CU_ASSERT(d.disturbed);
	s = render(&d, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"disturbed\":true,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"late_start_reps\":2,\"seq_reps\":5,"
					 "\"seq_reps_disturbed\":1,\"seq_disturbed\":true}"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "disturbed: a late start in 2 of 3 repetitions"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "; 1 of 5 sequential repetitions above 2 times"));
	free(s);
	/* 2 workers on 1 core: a start of 2.5 s is what sharing it takes, not lateness */
	d.place[0].cores = d.place[1].cores = 1;
	CU_ASSERT_EQUAL_FATAL(gf_disturb_judge(&d, busy), 0);
	CU_ASSERT_EQUAL_FATAL(gf_disturb_judge_late(&d, wall, start, calm, NULL, 3), 0);
	CU_ASSERT_EQUAL(d.late_start_reps, 0);
	CU_ASSERT_EQUAL(d.seq_reps_disturbed, 0);
	CU_ASSERT(!d.disturbed);
	/* a core each again, starts unknown and no sequential samples: the long wall alone */
	d.place[0].cores = d.place[1].cores = 2;
	CU_ASSERT_EQUAL_FATAL(gf_disturb_judge(&d, busy), 0);
	CU_ASSERT_EQUAL_FATAL(gf_disturb_judge_late(&d, wall, NULL, NULL, NULL, 0), 0);
	CU_ASSERT_EQUAL(d.late_start_reps, 1);
	gf_disturb_free(&d);
}

/*
 * A sequential loop that a neighbour holds to half a core in every repetition: the median
 * moves with it, so only the loop's CPU time against its wall time sees it; an unknown CPU
 * time (the simulated build's) judges nothing.
 */
static void test_seq_share(void)
{
	const double busy[2] = { 1, 1 }, wall[1] = { 1.1 };
	const double seq[3] = { 2, 2.1, 1.9 }, half[3] = { 1, 1.05, 0.95 },
		     full[3] = { 1.99, 2.1, 1.89 }, unknown[3] = { -1, -1, -1 };
	struct gf_disturb d;
	char *s;

	CU_ASSERT_EQUAL_FATAL(gf_disturb_alloc(&d, 2, 1, "a", 2), 0);
	gf_disturb_rep_begin(&d);
	d.rep_cpu[0] = d.rep_cpu[1] = 1;
	gf_disturb_rep_end(&d, 0, 0);
	CU_ASSERT_EQUAL_FATAL(gf_disturb_judge(&d, busy), 0);
	CU_ASSERT_EQUAL_FATAL(gf_disturb_judge_late(&d, wall, NULL, seq, half, 3), 0);
	CU_ASSERT_EQUAL(d.seq_reps_disturbed, 3);
	CU_ASSERT(d.disturbed);
	s = render(&d, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "3 of 3 sequential repetitions above 2 times their "
					 "median or below 90% of a core"));
	free(s);
	CU_ASSERT_EQUAL_FATAL(gf_disturb_judge_late(&d, wall, NULL, seq, full, 3), 0);
	CU_ASSERT_EQUAL(d.seq_reps_disturbed, 0);
	CU_ASSERT(!d.disturbed);
	CU_ASSERT_EQUAL_FATAL(gf_disturb_judge_late(&d, wall, NULL, seq, unknown, 3), 0);
	CU_ASSERT_EQUAL(d.seq_reps_disturbed, 0);
	gf_disturb_free(&d);
}

static void test_render(void)
{
	const double busy[6] = { 1, 1, 1, 1, 1, 1 };
	struct gf_disturb d;
	char *s;

	two_workers(&d);
	d.place[0].cpu = 1;
	snprintf(d.place[1].host, sizeof(d.place[1].host), "a\"b");
	CU_ASSERT_EQUAL_FATAL(gf_disturb_judge(&d, busy), 0);
	s = render(&d, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"cpu_s\":[0.95,1]|\"cpu_share\":[1,0.5,0.95]|"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(s, "\"disturbed\":true,\"disturbance\":{\"cpu_share_min\":0.5,"
			  "\"reps_disturbed\":1,\"reps\":3,\"threshold\":0.9,"
			  "\"steal_s\":null,\"others_cpu_s\":null,"
			  "\"late_start_reps\":0,\"seq_reps\":0,\"seq_reps_disturbed\":0,"
			  "\"seq_disturbed\":false},\"bind\":true,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"placement\":[{\"worker\":0,\"host\":\"a\",\"cpu\":1},"
					 "{\"worker\":1,\"host\":\"a\\\"b\",\"cpu\":null}]|"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "placement: a: workers 0 on cpus 1; a\"b: workers 1 on "
					 "cpus ? (pinned by --bind)\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "disturbed: a worker got 50% of a core in 1 of 3 "
					 "repetitions (threshold 90%; steal and other processes "
					 "unknown)\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, ",disturbed,cpu_share_min|,true,0.5"));
	free(s);
	/* one host, the machine's figures known, not disturbed: no "disturbed:" line */
	snprintf(d.place[1].host, sizeof(d.place[1].host), "a");
	d.place[1].cpu = 0;
	d.cpu[1] = 1;
	d.stat0 = (struct gf_procstat){ .ok = 1 };
	d.stat1 = (struct gf_procstat){ .ok = 1, .steal = 0.125, .active = 9 };
	d.self1 = 2;
	CU_ASSERT_EQUAL_FATAL(gf_disturb_judge(&d, busy), 0);
	s = render(&d, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"disturbed\":false,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"steal_s\":0.125,\"others_cpu_s\":7,"
					 "\"late_start_reps\":0,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "placement: a: workers 0-1 on cpus 1,0\n"));
	CU_ASSERT_PTR_NULL(strstr(s, "disturbed:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "|,false,0.95"));
	free(s);
	gf_disturb_free(&d);
	/* nothing measured: empty lists, nulls, no line */
	s = render(NULL, 0);
	CU_ASSERT_STRING_EQUAL(s,
			       "\"cpu_s\":[]|\"cpu_share\":[]|\"disturbed\":false,\"disturbance\":"
			       "{\"cpu_share_min\":null,\"reps_disturbed\":0,\"reps\":0,"
			       "\"threshold\":null,\"steal_s\":null,\"others_cpu_s\":null,"
			       "\"late_start_reps\":0,\"seq_reps\":0,\"seq_reps_disturbed\":0,"
			       "\"seq_disturbed\":false},"
			       "\"bind\":false,\"placement\":[]|,disturbed,cpu_share_min|,false,");
	free(s);
}

/* --bind's choice: the CPUs this process may use, in mask order, round-robin. */
static void test_bind_cpu(void)
{
	unsigned char mask[GF_BIND_MASK_BYTES], two[2 * GF_BIND_MASK_BYTES] = { 0 };
	const unsigned char take[2] = { 1, 0 };
	cpu_set_t now;
	int n = gf_bind_start(0), first = -1;

	CU_ASSERT(n >= 1);
	CU_ASSERT_EQUAL(gf_bind_cpus(), n);
	CU_ASSERT_EQUAL(gf_bind_enabled(), 0);
	CU_ASSERT_EQUAL(sched_getaffinity(0, sizeof(now), &now), 0);
	for (int c = 0; c < CPU_SETSIZE && first < 0; c++)
		if (CPU_ISSET(c, &now))
			first = c;
	CU_ASSERT_EQUAL(gf_bind_cpu(0), first);
	for (int w = 0; w < 3 * n; w++) {
		CU_ASSERT_EQUAL(gf_bind_cpu(w), gf_bind_cpu(w % n));
		CU_ASSERT(CPU_ISSET(gf_bind_cpu(w), &now));
		CU_ASSERT(w == 0 || w % n == 0 || gf_bind_cpu(w) > gf_bind_cpu(w - 1));
	}
	/* off: nothing is pinned */
	CU_ASSERT_EQUAL(gf_bind_self(1), 0);
	CU_ASSERT_EQUAL(sched_getaffinity(0, sizeof(now), &now), 0);
	CU_ASSERT_EQUAL(CPU_COUNT(&now), n);
	gf_bind_mask(mask);
	CU_ASSERT_EQUAL(gf_bind_union_count(mask, NULL, 1), n);
	two[0] = 0x5;                  /* CPUs 0 and 2 */
	two[GF_BIND_MASK_BYTES] = 0x6; /* CPUs 1 and 2 */
	CU_ASSERT_EQUAL(gf_bind_union_count(two, NULL, 2), 3);
	CU_ASSERT_EQUAL(gf_bind_union_count(two, take, 2), 2);
	/* on: the calling thread alone, on worker w's CPU; the set read first is kept */
	CU_ASSERT_EQUAL(gf_bind_start(1), n);
	CU_ASSERT_EQUAL(gf_bind_self(n + 1), 0);
	CU_ASSERT_EQUAL(sched_getaffinity(0, sizeof(now), &now), 0);
	CU_ASSERT_EQUAL(CPU_COUNT(&now), 1);
	CU_ASSERT(CPU_ISSET(gf_bind_cpu(1), &now));
	CU_ASSERT_EQUAL(gf_bind_start(0), n);
	CU_ASSERT_EQUAL(gf_where_cpu(), gf_bind_cpu(1));
}

int main(void)
{
	static const struct gf_test tests[] = {
		GF_TEST(test_procstat_parse), GF_TEST(test_cpu_clocks),     GF_TEST(test_judge),
		GF_TEST(test_judge_unknown),  GF_TEST(test_expected_share), GF_TEST(test_hosts),
		GF_TEST(test_machine),        GF_TEST(test_render),         GF_TEST(test_bind_cpu),
		GF_TEST(test_late),           GF_TEST(test_seq_share),      { NULL, NULL },
	};

	return gf_test_main("disturb", tests);
}
