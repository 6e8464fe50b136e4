/*
 * The OpenMP span's remarks (openmp/span.c): a short team and a thread that could not pin
 * itself are both said in the run's notes, after what the notes held already, and once for
 * the run however many repetitions close a span.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gf_test.h"
#include "omp_backend.h"

/* A closed span of 4 workers of which the runtime granted team, with pin_error. */
static void close_span(int team, int pin_error, char *notes)
{
	struct gf_omp_span s = { .workers = 4, .team = team, .pin_error = pin_error };
	double arrived, finished;

	s.arrived = calloc(4, sizeof(double));
	s.finished = calloc(4, sizeof(double));
	s.cpu_arrived = calloc(4, sizeof(double));
	CU_ASSERT_FATAL(s.arrived && s.finished && s.cpu_arrived);
	CU_ASSERT_EQUAL(gf_omp_span_close(&s, &arrived, &finished, notes), team);
}

static void test_both_remarks(void)
{
	char notes[GF_NOTES_MAX] = "";

	close_span(2, -EPERM, notes);
	CU_ASSERT_PTR_NOT_NULL(strstr(notes, "granted a team of 2 threads, not 4"));
	CU_ASSERT_PTR_NOT_NULL(strstr(notes, "--bind: a thread could not pin itself"));
}

static void test_after_earlier_notes(void)
{
	char notes[GF_NOTES_MAX] = "an earlier remark";

	close_span(2, 0, notes);
	CU_ASSERT_EQUAL(strncmp(notes, "an earlier remark; ", 19), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(notes, "granted a team of 2 threads, not 4"));
}

static void test_once_per_run(void)
{
	char notes[GF_NOTES_MAX] = "", once[GF_NOTES_MAX];

	close_span(3, -EINVAL, notes);
	memcpy(once, notes, sizeof(once));
	close_span(3, -EINVAL, notes); /* the next repetition's span */
	CU_ASSERT_STRING_EQUAL(notes, once);
}

static void test_full_team_says_nothing(void)
{
	char notes[GF_NOTES_MAX] = "";

	close_span(4, 0, notes);
	CU_ASSERT_STRING_EQUAL(notes, "");
}

static const struct gf_test tests[] = {
	GF_TEST(test_both_remarks),
	GF_TEST(test_after_earlier_notes),
	GF_TEST(test_once_per_run),
	GF_TEST(test_full_team_says_nothing),
	{ NULL, NULL },
};

int main(void)
{
	return gf_test_main("OpenMP span notes", tests);
}
