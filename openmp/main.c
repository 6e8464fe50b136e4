/* gilfree-omp: the lecture's workloads as OpenMP threads in one process. */
#include <omp.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	snprintf(rep->err, GF_ERR_MAX, "no such workload (%d)", (int)o->workload);
	return -EINVAL;
}

/* One process on this host, its workers threads. */
static void omp_topology(void *ctx, const struct gf_options *o, struct gf_topology *t)
{
	(void)ctx;
	t->threads = o->workers;
}

/*
 * libgomp reads OMP_NUM_THREADS in its load-time constructor, before main(), and warns on
 * stderr about a value it cannot use, so that a bad value got libgomp's warning and a blank
 * line before our one-line refusal. The executable's preinit functions run before the
 * constructors of any shared library (the ELF rule glibc's loader follows), so a value that
 * gilfree-omp will refuse (not a count from 1 to GF_MAX_WORKERS before any comma) is taken
 * out of the environment here, unseen by libgomp, and put back by main() for the option parser
 * to refuse. This runs before the sanitizers' own set-up may have, so it calls nothing.
 */
static char *hidden_env; /* "OMP_NUM_THREADS=..." taken out of environ, or NULL */

__attribute__((no_sanitize("address", "undefined"))) static int workers_usable(const char *v)
{
	long n = 0;

	if (*v < '1' || *v > '9')
		return 0;
	for (; *v >= '0' && *v <= '9'; v++)
		if ((n = n * 10 + (*v - '0')) > GF_MAX_WORKERS)
			return 0;
	return *v == '\0' || *v == ',';
}

__attribute__((no_sanitize("address", "undefined"))) static void
hide_bad_workers(int argc, char **argv, char **envp)
{
	static const char key[] = "OMP_NUM_THREADS=";

	(void)argc;
	(void)argv;
	for (char **e = envp; e && *e; e++) {
		size_t k = 0;

		while (key[k] && (*e)[k] == key[k])
			k++;
		if (key[k] || workers_usable(*e + k))
			continue;
		hidden_env = *e;
		do /* close the gap: the array stays NULL-terminated */
			e[0] = e[1];
		while (*++e);
		return;
	}
}

__attribute__((section(".preinit_array"),
	       used)) static void (*const gf_preinit)(int, char **, char **) = hide_bad_workers;

int main(int argc, char **argv)
{
	static const struct gf_backend backend = {
		.name = "omp",
		.cli = { .prog = "gilfree-omp",
			 .workers_env = "OMP_NUM_THREADS",
			 .about = "the lecture's workloads as OpenMP threads in one process" },
		.root = 1,
		.tasks_here = 1,
		.run = omp_run,
		.topology = omp_topology,
		.bench = gf_omp_bench,
	};
	int rc;

	/* libgomp's own complaints about OMP_* settings, caught as it loaded (omp_env.c) */
	if (gf_omp_env_check(backend.cli.prog, 1) != 0)
		return 2;
	/* Every team, the workloads' and the benchmarks', must be the size asked for, not
	   whatever the runtime finds convenient. */
	omp_set_dynamic(0);
	rc = gf_stdio_guard();
	if (rc < 0) {
		fprintf(stderr, "%s: cannot open /dev/null: %s\n", backend.cli.prog, strerror(-rc));
		return 1;
	}
	gf_last_words_set(backend.cli.prog, NULL);
	gf_stop_signals_install();
	if (hidden_env && setenv("OMP_NUM_THREADS", strchr(hidden_env, '=') + 1, 1) != 0) {
		fprintf(stderr, "%s: setenv: %s\n", backend.cli.prog, strerror(errno));
		return 1;
	}
	return gf_stdout_check(backend.cli.prog, gf_driver_main(argc, argv, &backend, NULL));
}
