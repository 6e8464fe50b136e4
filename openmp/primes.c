#include "omp_backend.h"

#include <omp.h>

int gf_omp_primes(const struct gf_options *o, const struct gf_task *tasks, size_t n,
		  struct gf_result *results, struct gf_rep *rep)
{
	struct gf_omp_span span;

	if (gf_omp_span_begin(&span, o->workers))
		return -1;
	/*
	 * Example 25.2's task queue: each idle thread takes the next limit in submission order
	 * (schedule(dynamic, 1) is a shared queue with chunk one), so the long tasks do not
	 * strand one thread while the others wait. Results land in the task's own slot.
	 */
#pragma omp parallel num_threads(o->workers) default(none) shared(span, tasks, n, results)
	{
		int id = omp_get_thread_num();

		gf_omp_span_arrive(&span, id);
#pragma omp for schedule(dynamic, 1) nowait
		for (size_t i = 0; i < n; i++)
			gf_task_run(&tasks[i], id, &results[i]);
		gf_omp_span_finish(&span, id);
	}
	gf_omp_span_end(&span, rep);
	return 0;
}
