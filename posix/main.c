/* gilfree-posix: the lecture's workloads as processes made with fork() and joined by pipes. */
#include <errno.h>
#include <stdio.h>
#include <sys/resource.h>

#include "gf_driver.h"
#include "gf_stdio.h"
#include "posix_backend.h"
#include "proc.h"

static int posix_check(void *ctx, struct gf_options *o, char *err, size_t errlen)
{
	(void)ctx;
	if (o->workload != GF_RESIZE && o->chunksize) {
		snprintf(err, errlen, "invalid --chunksize '%lld': only resize's pool sends chunks",
			 (long long)o->chunksize);
		return -EINVAL;
	}
	if (o->workload != GF_RESIZE && o->task_timeout > 0) {
		snprintf(err, errlen,
			 "invalid --task-timeout '%g': only resize's pool hands out tasks to time",
			 o->task_timeout);
		return -EINVAL;
	}
	/* The report shows the chunksize the pool really uses, as Pool.map would pick it. */
	if (o->workload == GF_RESIZE && o->chunksize == 0)
		o->chunksize = (int64_t)gf_pool_default_chunksize((size_t)o->images, o->workers);
	return 0;
}

static int posix_setup(void *ctx, const struct gf_options *o, struct gf_phases *setup)
{
	if (o->workload == GF_RESIZE)
		return gf_posix_resize_setup(ctx, o, setup);
	return 0;
}

static int posix_run(void *ctx, const struct gf_options *o, const struct gf_task *tasks, size_t n,
		     struct gf_result *results, struct gf_rep *rep)
{
	switch (o->workload) {
	case GF_SUM:
		return gf_posix_sum(ctx, o, tasks, n, results, rep);
	case GF_PRIMES:
		return gf_posix_primes(ctx, o, tasks, n, results, rep);
	case GF_RESIZE:
		return gf_posix_resize(ctx, o, tasks, n, results, rep);
	}
	return -1;
}

static void posix_teardown(void *ctx)
{
	gf_posix_resize_teardown(ctx);
}

/* The parent holds two pipe ends per worker: let it have the descriptors the hard limit allows. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	static const struct gf_backend backend = {
		.name = "posix",
		.cli = { .prog = "gilfree-posix",
			 .flags = GF_OPT_START | GF_OPT_CHUNKSIZE | GF_OPT_TASK_TIMEOUT,
			 .workers_env = NULL },
		.root = 1,
		/* the run loops see --timeout themselves, stop the workers and name the tasks */
		.timeout_grace = 2.0,
		.check = posix_check,
		.setup = posix_setup,
		.run = posix_run,
		.teardown = posix_teardown,
#ifdef GF_HAVE_BENCH
		.bench = gf_posix_bench,
#endif
	};
	struct gf_posix px = { .prog = "gilfree-posix" };
	int rc, sig;

	/* before any pipe is made: a closed fd 0, 1 or 2 must not become a pipe end */
	if (gf_stdio_guard() < 0) {
		perror("gilfree-posix: cannot open /dev/null");
		return 1;
	}
	rc = gf_proc_worker_main(argc, argv);
	if (rc >= 0)
		return rc; /* this process was a spawned worker */
	gf_proc_set_prog(px.prog);
	gf_proc_signals_install();
	raise_fd_limit();
	rc = gf_stdout_close(px.prog, gf_driver_main(argc, argv, &backend, &px));
	sig = gf_proc_interrupted();
	return sig ? 128 + sig : rc;
}
