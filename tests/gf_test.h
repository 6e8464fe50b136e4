/*
 * The CUnit runner every test program shares: register the suites a program lists, run them
 * with the basic interface, and return the exit status: 0 when every assertion passed, 1 when
 * any failed (or the registry could not be made). Not the failure count: an exit status keeps
 * only its low 8 bits, so 256 failures would read as success.
 */
#ifndef GF_TEST_H
#define GF_TEST_H

#include <stdio.h>

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

struct gf_test {
	const char *name;
	CU_TestFunc fn;
};

#define GF_TEST(fn)                                                                                \
	{                                                                                          \
#fn, fn                                                                            \
	}

/*
 * Fills argv (room for max pointers) with first and then the NULL-terminated args, as a
 * command line for a parser, NULL at the end. Returns argc.
 */
static inline int gf_test_argv(char **argv, int max, const char *first, const char *const *args)
{
	int argc = 0;

	argv[argc++] = (char *)first;
	for (; *args && argc < max - 1; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	return argc;
}

/*
 * Runs one suite of tests (NULL-terminated). Returns main's exit status: 0 when tests ran and
 * none failed, 1 when any failed, none ran, or the registry could not be made.
 */
static inline int gf_test_main(const char *suite_name, const struct gf_test *tests)
{
	CU_pSuite suite;
	unsigned failures, ran;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	suite = CU_add_suite(suite_name, NULL, NULL);
	if (!suite) {
		CU_cleanup_registry();
		return 1;
	}
	for (; tests->name; tests++) {
		if (!CU_add_test(suite, tests->name, tests->fn)) {
			CU_cleanup_registry();
			return 1;
		}
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures();
	ran = CU_get_number_of_tests_run();
	CU_cleanup_registry();
	if (ran == 0)
		fprintf(stderr, "%s: no test ran\n", suite_name);
	return failures || ran == 0 ? 1 : 0;
}

#endif
