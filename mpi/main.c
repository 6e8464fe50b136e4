/*
 * gilfree-mpi: the lecture's workloads as MPI ranks of one thread each, run by mpirun. The
 * program of ranks is the library's (gf_mpi_main, mpi/driver.c); here are its options and
 * its micro-benchmarks.
 */
#include <mpi.h>

#include "mpi_backend.h"

/* gilfree-mpi's own options, in the slots of mpi_backend.h. */
static const struct gf_optdef mpi_options[] = {
	GF_MPI_SCHEDULE_OPTION,
	{ .name = NULL },
};

#ifdef GF_HAVE_BENCH
/* The benchmarks return on every rank together, so a failure they report leaves no rank
   waiting in a collective: main() must not abort the job for it. */
static int mpi_bench(void *ctx, int argc, char **argv)
{
	struct gf_mpi *m = ctx;
	int status = gf_mpi_bench(ctx, argc, argv);

	m->finished = 1;
	return status;
}
#endif

int main(int argc, char **argv)
{
	static const struct gf_mpi_program program = {
		.name = "mpi",
		.cli = { .prog = "gilfree-mpi",
			 .options = mpi_options,
			 .workers_env = NULL,
			 .workers_launcher = 1,
			 .about = "the lecture's workloads as MPI ranks, run by mpirun",
			 .workers_help = "worker count: may only repeat the job's (mpirun -np N)",
			 .workers_default = "mpirun's ranks" },
		/* ranks of one thread: the level MPI_Init gives */
		.required = MPI_THREAD_SINGLE,
#ifdef GF_HAVE_BENCH
		.bench = mpi_bench,
#endif
	};

	return gf_mpi_main(argc, argv, &program);
}
