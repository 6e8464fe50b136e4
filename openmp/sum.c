#include "omp_backend.h"

#include <omp.h>

/*
 * Example 25.1's four Processes: one thread per worker, the thread number is the worker id,
 * and each writes its own slot of the shared array (the Manager list's counterpart, without
 * its server). Distinct slots, so no race. A short team still computes every sum: thread t
 * takes workers t, t + team, ...
 */
int gf_omp_sum(const struct gf_options *o, const struct gf_task *tasks, size_t n,
	       struct gf_result *results, struct gf_rep *rep)
{
	struct gf_omp_span span;
	int rc = gf_omp_span_begin(&span, o->workers, rep);

	if (rc)
		return rc;
#pragma omp parallel num_threads(o->workers) default(none) shared(span, tasks, n, results)
	{
		int id = omp_get_thread_num(), team = omp_get_num_threads();

		gf_omp_span_arrive(&span, id);
		for (size_t w = (size_t)id; w < n; w += (size_t)team)
			gf_task_run(&tasks[w], id, &results[w]);
		gf_omp_span_finish(&span, id);
	}
	gf_omp_span_end(&span, rep);
	return 0;
}
