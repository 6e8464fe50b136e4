/* gilfree-posix: the lecture's workloads as processes made with fork() and joined by pipes. */
#include <errno.h>
#include <stdio.h>
#include <sys/resource.h>

#include "gf_driver.h"
#include "gf_stdio.h"
#include "posix_backend.h"
#include "proc.h"

static const char *const start_words[] = { "fork", "spawn", NULL };

/* gilfree-posix's own options, in the slots of posix_backend.h. */
static const struct gf_optdef posix_options[] = {
	[GF_POSIX_START] = { .name = "start",
			     .kind = GF_OPTK_WORD,
			     .words = start_words,
			     GF_OPT_SLOT(GF_POSIX_START),
			     .arg = "M",
			     .help = "how workers start: fork or spawn (exec)",
			     .flags = GF_OPTF_HOW },
	[GF_POSIX_CHUNKSIZE] = { .name = "chunksize",
				 .kind = GF_OPTK_INT,
				 .min = 1,
				 .max = GF_MAX_CHUNKSIZE,
				 GF_OPT_SLOT(GF_POSIX_CHUNKSIZE),
				 .arg = "K",
				 .help = "tasks per pool message",
				 .flags = GF_OPTF_HOW | GF_OPTF_IF_SET,
				 .only = GF_OPT_ONLY(GF_RESIZE),
				 .unset = "the pool chooses, as Pool.map" },
	[GF_POSIX_TASK_TIMEOUT] = { .name = "task-timeout",
				    .kind = GF_OPTK_SECONDS,
				    .max = (int64_t)GF_MAX_SECONDS,
				    GF_OPT_SLOT(GF_POSIX_TASK_TIMEOUT),
				    .arg = "T",
				    .help = "a pool worker that holds a task T seconds is killed "
					    "and\nreplaced, and its task run again",
				    .flags = GF_OPTF_HOW | GF_OPTF_IF_SET,
				    .only = GF_OPT_ONLY(GF_RESIZE),
				    .unset = "none" },
	{ .name = NULL },
};

static int posix_check(void *ctx, struct gf_options *o, char *err, size_t errlen)
{
	int64_t *chunksize = &o->be[GF_POSIX_CHUNKSIZE].i;

	(void)ctx;
	(void)err;
	(void)errlen;
	/* --chunksize and --task-timeout are resize's alone (the table's .only). The report shows
	 * the chunksize the pool really uses, as Pool.map would pick it. */
	if (o->workload == GF_RESIZE && *chunksize == 0)
		*chunksize = (int64_t)gf_pool_default_chunksize((size_t)o->images, o->workers);
	return 0;
}

static int posix_setup(void *ctx, const struct gf_options *o, struct gf_phases *setup, char *err)
{
	if (o->workload == GF_RESIZE)
		return gf_posix_resize_setup(ctx, o, setup, err);
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
			 .options = posix_options,
			 .workers_env = NULL,
			 .about = "the lecture's workloads as processes made with fork() and "
				  "joined by pipes" },
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
	gf_last_words_set(px.prog, NULL);
	gf_proc_signals_install();
	raise_fd_limit();
	rc = gf_stdout_check(px.prog, gf_driver_main(argc, argv, &backend, &px));
	sig = gf_proc_interrupted();
	return sig ? 128 + sig : rc;
}
