/*
 * gilfree-hybrid: the lecture's workloads as MPI ranks of OpenMP threads, the layout cluster
 * codes run (a few ranks per host, a team of threads in each). mpirun -np R with --threads T
 * makes P = R x T workers: ranks get their share of the tasks as gilfree-mpi's do (scatter,
 * or rank 0's queue), and the threads of a rank share the rank's tasks through an OpenMP
 * loop with the schedule gilfree-omp gives the workload. Worker w = rank x T + thread. Only
 * the master thread calls MPI (MPI_THREAD_FUNNELED).
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>
#include <omp.h>

#include "gf_disturb.h"
#include "mpi_backend.h"
#include "omp_backend.h"

/* gilfree-hybrid's options, in the slots of mpi_backend.h. */
static const struct gf_optdef hybrid_options[] = {
	GF_MPI_SCHEDULE_OPTION,
	[GF_MPI_THREADS] = { .name = "threads",
			     .kind = GF_OPTK_INT,
			     .min = 1,
			     .max = GF_MAX_WORKERS,
			     GF_OPT_SLOT(GF_MPI_THREADS),
			     .arg = "T",
			     .help = "OpenMP threads per rank: the workers are mpirun's ranks\n"
				     "times T",
			     .flags = GF_OPTF_HOW,
			     .unset = "1" },
	{ .name = NULL },
};

static int threads_of(const struct gf_options *o)
{
	return o->be[GF_MPI_THREADS].i > 0 ? (int)o->be[GF_MPI_THREADS].i : 1;
}

/*
 * A rank's share, tasks[0..k), on its team: gilfree-omp's schedule for the workload (sum:
 * one worker's task per thread; primes: the queue, dynamic, 1; resize: contiguous chunks),
 * worker ids from rank x T. In a repetition's span, the team's start, compute and stop are
 * phases of their own, at the last thread's arrival and finish.
 */
static void team_share(const struct gf_mpi *m, const struct gf_task *tasks, size_t k,
		       struct gf_result *out, struct gf_mpi_span *span)
{
	enum gf_workload w = k ? (enum gf_workload)tasks[0].workload : GF_SUM;
	omp_sched_t kind = w == GF_PRIMES ? omp_sched_dynamic : omp_sched_static;
	/* each thread's CPU time over its part (made by team_check) */
	double *threads_cpu = m->thread_cpu;
	char err[GF_ERR_MAX] = "", notes[GF_NOTES_MAX];
	struct gf_rep rep = { .notes = notes, .err = err, .cpu = threads_cpu };
	struct gf_omp_span s;
	double arrived, finished, cpu = gf_cpu_process();

	for (int t = 0; t < m->threads; t++)
		threads_cpu[t] = -1.0;
	if (gf_omp_span_begin(&s, m->threads, &rep))
		gf__mpi_die(m, err);
	gf_omp_for(&s, m->rank * m->threads, tasks, k, out, kind, w == GF_RESIZE ? 0 : 1);
	gf_omp_span_close(&s, &arrived, &finished, NULL);
	if (!span)
		return;
	gf__mpi_span_mark_at(span, "start", arrived);
	/* the marks come after the join: the compute phase's CPU is the whole team's region;
	   each worker's own is its thread's, which the span gathers */
	span->cpu_mark = cpu;
	span->cpu_thread = threads_cpu;
	gf__mpi_span_mark_at(span, "compute", finished);
	gf__mpi_span_mark_at(span, "stop", s.end);
}

/*
 * Before the runs, on every rank: makes the team's CPU times (m->thread_cpu, which
 * gf_mpi_stop frees), and warns once (rank 0) when a rank may use fewer cores than it has
 * threads, which is what mpirun's default binding (a rank to one core) does to a team.
 */
static void team_check(struct gf_mpi *m)
{
	cpu_set_t set;
	int mine = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : m->threads;
	int fewest = mine;

	if (!(m->thread_cpu = calloc((size_t)m->threads, sizeof(double))))
		gf__mpi_die(m, "out of memory for the threads' CPU times");
	gf__mpi_coll_reduce(m, gf__mpi_wait, &mine, &fewest, 1, MPI_INT, MPI_MIN, 0);
	if (m->rank == 0 && fewest < m->threads)
		fprintf(stderr,
			"%s: warning: a rank may run on %d core%s for its %d threads, which then "
			"share them (mpirun binds each rank to one core by default: run it with "
			"--bind-to none, or --map-by ppr:R:node:PE=%d)\n",
			m->prog, fewest, fewest == 1 ? "" : "s", m->threads, m->threads);
}

int main(int argc, char **argv)
{
	static const struct gf_mpi_program program = {
		.name = "hybrid",
		.cli = { .prog = "gilfree-hybrid",
			 .options = hybrid_options,
			 .workers_env = NULL,
			 .workers_launcher = 1,
			 .about = "the lecture's workloads as MPI ranks of OpenMP threads",
			 .workers_help = "worker count: may only repeat the job's, mpirun's ranks\n"
					 "times --threads",
			 .workers_default = "the ranks times --threads" },
		/* only the master thread of a rank calls MPI, outside its parallel regions */
		.required = MPI_THREAD_FUNNELED,
		.threads = threads_of,
		.share = team_share,
		.setup = team_check,
	};

	const char *rank = getenv("OMPI_COMM_WORLD_RANK");

	/* libgomp's complaints about OMP_* settings (omp_env.c): rank 0 says it for the job */
	if (gf_omp_env_check(program.cli.prog, !rank || strcmp(rank, "0") == 0) != 0)
		return 2;
	return gf_mpi_main(argc, argv, &program);
}
