#include "omp_backend.h"

int gf_omp_primes(const struct gf_options *o, const struct gf_task *tasks, size_t n,
		  struct gf_result *results, struct gf_rep *rep)
{
	/*
	 * Example 25.2's task queue: each idle thread takes the next limit in submission order
	 * (a dynamic schedule with chunk one is a shared queue), so the long tasks do not
	 * strand one thread while the others wait.
	 */
	return gf_omp_loop(o, tasks, n, results, rep, omp_sched_dynamic, 1);
}
