#include "gf_workload.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gf_clock.h"
#include "gf_cost.h"
#include "gf_watchdog.h"

const char *gf_workload_name(enum gf_workload w)
{
	switch (w) {
	case GF_SUM:
		return "sum";
	case GF_PRIMES:
		return "primes";
	case GF_RESIZE:
		return "resize";
	}
	return "?";
}

void gf_task_run(const struct gf_task *task, int worker, struct gf_result *out)
{
	double t0 = gf_clock_now();

	memset(out, 0, sizeof(*out));
	out->index = task->index;
	out->worker = worker;
	out->key = task->key;
	switch ((enum gf_workload)task->workload) {
	case GF_SUM:
		out->sum = gf_kernel_sum(task->a, task->b);
		break;
	case GF_PRIMES:
		out->v[0] = gf_kernel_primes(task->key);
		break;
	case GF_RESIZE:
		out->v[0] = task->a / 2;
		out->v[1] = task->b / 2;
		out->total = gf_kernel_resize(task->a, task->b);
		break;
	}
	gf_cost_charge(task);
	out->seconds = gf_clock_now() - t0;
	gf_watchdog_task_done(task->index);
}

static int cmp_result(const void *pa, const void *pb)
{
	const struct gf_result *a = pa, *b = pb;

	if (a->key != b->key)
		return (a->key > b->key) - (a->key < b->key);
	return (a->index > b->index) - (a->index < b->index);
}

void gf_results_sort(struct gf_result *results, size_t n)
{
	qsort(results, n, sizeof(*results), cmp_result);
}

long gf_results_compare(const struct gf_result *got, const struct gf_result *want, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct gf_result *g = &got[i], *w = &want[i];

		/* memcmp on the double: the same bits, not merely a close value. */
		if (g->index != w->index || g->key != w->key || g->v[0] != w->v[0] ||
		    g->v[1] != w->v[1] || g->sum != w->sum ||
		    memcmp(&g->total, &w->total, sizeof(g->total)) != 0)
			return (long)i;
	}
	return -1;
}

int64_t gf_share(int64_t k, int workers, int w)
{
	return k / workers + (w < k % workers);
}

int gf_tasks_build_shape(const struct gf_task_shape *opts, struct gf_task **tasks, size_t *ntasks)
{
	size_t n = 0;
	struct gf_task *t;

	switch (opts->workload) {
	case GF_SUM:
		n = (size_t)opts->workers;
		break;
	case GF_PRIMES:
		n = opts->nlimits;
		break;
	case GF_RESIZE:
		n = (size_t)opts->images;
		break;
	}
	t = calloc(n ? n : 1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		t[i].workload = (int32_t)opts->workload;
		t[i].index = (int32_t)i;
		switch (opts->workload) {
		case GF_SUM: /* worker w sums i * (w + 1), as in Example 25.1 */
			t[i].key = (int64_t)i;
			t[i].a = opts->n;
			t[i].b = (int64_t)i + 1;
			break;
		case GF_PRIMES:
			t[i].key = opts->limits[i];
			break;
		case GF_RESIZE:
			t[i].key = (int64_t)i;
			t[i].a = opts->width;
			t[i].b = opts->height;
			break;
		}
	}
	*tasks = t;
	*ntasks = n;
	return 0;
}
