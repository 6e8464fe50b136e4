/*
 * A CUnit program whose failures are chosen on its command line, for tests/counting.py: the
 * exit status of every CUnit program here must be 0 or 1 whatever its failure count (an exit
 * status keeps only 8 bits: 256 failures would read as 0), and 1 when no test ran.
 *
 *   test_exit N      one test with N failed assertions (0 for none)
 *   test_exit none   a suite with no test in it
 */
#include "gf_test.h"

#include <stdlib.h>
#include <string.h>

static long failures_wanted;

static void test_fail_n(void)
{
	for (long i = 0; i < failures_wanted; i++)
		CU_ASSERT(i < 0);
	CU_PASS("the failures asked for");
}

int main(int argc, char **argv)
{
	static const struct gf_test some[] = { GF_TEST(test_fail_n), { NULL, NULL } };
	static const struct gf_test none[] = { { NULL, NULL } };
	char *end;

	if (argc != 2) {
		fprintf(stderr, "usage: test_exit N|none\n");
		return 2;
	}
	if (strcmp(argv[1], "none") == 0)
		return gf_test_main("no tests", none);
	failures_wanted = strtol(argv[1], &end, 10);
	if (*end || failures_wanted < 0 || failures_wanted > 100000) {
		fprintf(stderr, "test_exit: invalid count '%s'\n", argv[1]);
		return 2;
	}
	return gf_test_main("chosen failures", some);
}
