#include "omp_backend.h"

int gf_omp_resize(const struct gf_options *o, const struct gf_task *tasks, size_t n,
		  struct gf_result *results, struct gf_rep *rep)
{
	/*
	 * Example 25.3's Pool.map: the images are split into one contiguous chunk per thread
	 * (a static schedule with the default chunk), as map splits its iterable into chunks.
	 */
	return gf_omp_loop(o, tasks, n, results, rep, omp_sched_static, 0);
}
