#include "omp_backend.h"

#include <omp.h>

int gf_omp_resize(const struct gf_options *o, const struct gf_task *tasks, size_t n,
		  struct gf_result *results, struct gf_rep *rep)
{
	struct gf_omp_span span;

	if (gf_omp_span_begin(&span, o->workers))
		return -1;
	/*
	 * Example 25.3's Pool.map: the images are split into one contiguous chunk per thread,
	 * as map splits its iterable into chunks, and each result lands in the image's slot,
	 * so the output keeps submission order.
	 */
#pragma omp parallel num_threads(o->workers) default(none) shared(span, tasks, n, results)
	{
		int id = omp_get_thread_num();

		gf_omp_span_arrive(&span, id);
#pragma omp for schedule(static) nowait
		for (size_t i = 0; i < n; i++)
			gf_task_run(&tasks[i], id, &results[i]);
		gf_omp_span_finish(&span, id);
	}
	gf_omp_span_end(&span, rep);
	return 0;
}
