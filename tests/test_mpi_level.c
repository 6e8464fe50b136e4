/*
 * The thread level a program of ranks asks MPI_Init_thread for, and its refusal when the
 * library grants less (gf__mpi_level_check, which gf_mpi_start applies to what the library
 * answers). Debian's Open MPI grants MPI_THREAD_MULTIPLE, so a run cannot show the refusal:
 * the decision is tested here on every pair of levels.
 */
#include <errno.h>
#include <string.h>

#include <mpi.h>

#include "gf_test.h"
#include "mpi_backend.h"

static void test_levels(void)
{
	static const int level[] = { MPI_THREAD_SINGLE, MPI_THREAD_FUNNELED, MPI_THREAD_SERIALIZED,
				     MPI_THREAD_MULTIPLE };
	char err[256];

	for (int p = 0; p < 4; p++) {
		for (int r = 0; r < 4; r++) {
			err[0] = '\0';
			CU_ASSERT_EQUAL(gf__mpi_level_check(level[p], level[r], err, sizeof(err)),
					p >= r ? 0 : -ENOTSUP);
			CU_ASSERT_EQUAL(err[0] != '\0', p < r);
		}
	}
}

static void test_refusal_names_both(void)
{
	char err[256];

	CU_ASSERT_EQUAL(
		gf__mpi_level_check(MPI_THREAD_SINGLE, MPI_THREAD_FUNNELED, err, sizeof(err)),
		-ENOTSUP);
	CU_ASSERT_STRING_EQUAL(err, "the MPI library grants MPI_THREAD_SINGLE, not the "
				    "MPI_THREAD_FUNNELED this program needs");
}

static const struct gf_test tests[] = {
	GF_TEST(test_levels),
	GF_TEST(test_refusal_names_both),
	{ NULL, NULL },
};

int main(void)
{
	return gf_test_main("MPI thread level", tests);
}
