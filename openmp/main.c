/* gilfree-omp: the lecture's workloads as OpenMP threads in one process. */
#include <omp.h>

#include <stdio.h>

#include "gf_driver.h"
#include "gf_stdio.h"
#include "omp_backend.h"

static int omp_run(void *ctx, const struct gf_options *o, const struct gf_task *tasks, size_t n,
		   struct gf_result *results, struct gf_rep *rep)
{
	(void)ctx;
	switch (o->workload) {
	case GF_SUM:
		return gf_omp_sum(o, tasks, n, results, rep);
	case GF_PRIMES:
		return gf_omp_primes(o, tasks, n, results, rep);
	case GF_RESIZE:
		return gf_omp_resize(o, tasks, n, results, rep);
	}
	return -1;
}

int main(int argc, char **argv)
{
	static const struct gf_backend backend = {
		.name = "omp",
		.cli = { .prog = "gilfree-omp", .flags = 0, .workers_env = "OMP_NUM_THREADS" },
		.root = 1,
		.tasks_here = 1,
		.run = omp_run,
		.bench = gf_omp_bench,
	};

	/* Every team, the workloads' and the benchmarks', must be the size asked for, not
	   whatever the runtime finds convenient. */
	omp_set_dynamic(0);
	if (gf_stdio_guard() < 0) {
		perror("gilfree-omp: cannot open /dev/null");
		return 1;
	}
	gf_stop_signals_install(backend.cli.prog);
	return gf_stdout_close(backend.cli.prog, gf_driver_main(argc, argv, &backend, NULL));
}
