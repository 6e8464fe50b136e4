/*
 * The main() of a program of MPI ranks: gilfree-mpi (ranks of one thread) and ranks of
 * threads share it, each with its own options and its own way to run a rank's share
 * (struct gf_mpi_program). Every rank runs the same driver on the same command line, so every
 * rank parses and validates it the same way and they all leave together; rank 0 alone
 * prints, runs the sequential baseline and checks the results.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <mpi.h>

#include "gf_cost.h"
#include "gf_driver.h"
#include "gf_stdio.h"
#include "mpi_backend.h"

const char *const gf_mpi_schedule_words[] = { "static", "dynamic", NULL };

/* The program's own description, for the hooks below (one program per process). */
static const struct gf_mpi_program *program;

static int mpi_check(void *ctx, struct gf_options *opts, char *err, size_t errlen)
{
	struct gf_mpi *m = ctx;

	m->threads = program->threads ? program->threads(opts) : 1;
	if ((long)m->size * m->threads > GF_MAX_WORKERS) {
		snprintf(err, errlen,
			 "the MPI world has %d ranks of %d thread%s, at most %d workers", m->size,
			 m->threads, m->threads == 1 ? "" : "s", GF_MAX_WORKERS);
		return -EINVAL;
	}
	if (gf_cost_init(err, errlen) != 0)
		return -EINVAL;
	/* The workers are the world's ranks times their threads: --workers may only repeat it. */
	if (opts->workers_given && opts->workers != m->size * m->threads) {
		if (m->threads == 1)
			snprintf(err, errlen,
				 "invalid --workers '%d': the MPI world has %d rank%s (mpirun -np "
				 "sets it)",
				 opts->workers, m->size, m->size == 1 ? "" : "s");
		else
			snprintf(err, errlen,
				 "invalid --workers '%d': the MPI world has %d rank%s of %d "
				 "threads (mpirun -np and --threads set it)",
				 opts->workers, m->size, m->size == 1 ? "" : "s", m->threads);
		return -EINVAL;
	}
	opts->workers = m->size * m->threads;
	m->share = m->threads > 1 || program->threads ? program->share : NULL;
	opts->workers_given = 1;
	/*
	 * The command line is good (the driver checks it again): from here to the end of the
	 * runs, the baseline included, an interruption is worth a line. Not before: mpirun ends
	 * the ranks with SIGTERM after one exits with bad input, too.
	 */
	if (gf_options_check(opts, err, errlen) == 0)
		gf__mpi_stop_signals(m, 1);
	return 0;
}

static int mpi_setup(void *ctx, const struct gf_options *opts, struct gf_phases *setup, char *err)
{
	struct gf_mpi *m = ctx;
	double worst = 0.0;

	(void)opts;
	(void)err; /* it never fails: a rank that cannot go on ends the job (gf__mpi_die) */
	if (gf__mpi_watch_start(m) < 0)
		gf__mpi_die(m, "cannot prepare --timeout's questions");
	/* Rank 0 arrives here after the sequential baseline (--order interleaved: after its
	   warm-up); the others wait for it asleep, so they do not take cores from the baseline
	   on an oversubscribed machine. */
	gf__mpi_barrier(m);
	gf__mpi_coll_reduce(m, gf__mpi_wait, &m->init_seconds, &worst, 1, MPI_DOUBLE, MPI_MAX, 0);
	gf_phases_add(setup, "mpi_init", worst);
	gf__mpi_count_hosts(m);
	gf__mpi_bind(m);
	gf__mpi_clock_sync(m);
	if (program->setup)
		program->setup(m);
	/*
	 * Past this point every rank runs every repetition with the others: mpi_run never
	 * returns a failure (a rank that fails ends the job with gf__mpi_die), and the driver's
	 * loop has no other way out; with --reps auto the count is rank 0's, which every rank
	 * learns between repetitions (mpi_agree). So no collective can be left pending.
	 *
	 * --order interleaved puts one sequential repetition of rank 0 before each parallel
	 * one. It is rank 0's local work between two collectives, as the baseline is before
	 * this barrier: the other ranks wait for it asleep in the first barrier of the next
	 * repetition (gf__mpi_span_begin, gf__mpi_start_together), and every rank still makes
	 * the same collectives in the same order, so none is left waiting in one.
	 */
	m->finished = 1;
	return 0;
}

/*
 * --reps auto: rank 0 decides after each parallel repetition whether another follows, and
 * every rank takes its word here, between two repetitions, so that none runs one alone (a
 * broadcast, waited for asleep while rank 0 verifies the last one).
 */
static void mpi_agree(void *ctx, int *go)
{
	struct gf_mpi *m = ctx;

	gf__mpi_coll_bcast(m, gf__mpi_wait, go, 1, MPI_INT, 0);
}

/* Rank 0, after the runs: the ranks and their threads, on the hosts the set-up counted. */
static void mpi_topology(void *ctx, const struct gf_options *opts, struct gf_topology *t)
{
	const struct gf_mpi *m = ctx;

	(void)opts;
	t->hosts = m->hosts;
	t->ranks = m->size;
	t->threads = m->threads;
	/* the CPUs of every host, each counted once; simulated hosts' cores are the model's */
	t->cores_usable = gf__mpi_cores_usable(m);
	t->clock_sync = m->clock_sync;
	t->clock_offset_max = m->clock_offset_max;
	t->clock_bound = m->clock_bound;
}

static int mpi_run(void *ctx, const struct gf_options *o, const struct gf_task *tasks, size_t n,
		   struct gf_result *results, struct gf_rep *rep)
{
	struct gf_mpi *m = ctx;

	switch (o->workload) {
	case GF_SUM:
		gf_mpi_sum(m, tasks, n, results, rep);
		break;
	case GF_PRIMES:
		gf_mpi_primes(m, o, tasks, n, results, rep);
		break;
	case GF_RESIZE:
		gf_mpi_resize(m, tasks, n, results, rep);
		break;
	}
	if (gf_mpi_schedule(o) == GF_SCHEDULE_DYNAMIC && o->workload != GF_PRIMES)
		snprintf(rep->notes, GF_NOTES_MAX, "--schedule applies to primes only");
	else if (gf_mpi_schedule(o) == GF_SCHEDULE_DYNAMIC && m->size == 1)
		snprintf(rep->notes, GF_NOTES_MAX, "dynamic on one rank: rank 0 runs every task");
	else if (gf_mpi_schedule(o) == GF_SCHEDULE_DYNAMIC)
		snprintf(rep->notes, GF_NOTES_MAX,
			 "dynamic: rank 0 hands out the tasks and computes none, %d ranks compute",
			 m->size - 1);
	return 0;
}

/*
 * --timeout T: every rank arms the same deadline after parsing (gf_driver_main), and no rank
 * can be left waiting past it, because each rank ends by one of these:
 *
 * - Rank 0 looks at the deadline in every MPI wait it makes (every one goes through
 *   gf__mpi_wait or gf__mpi_spin; the producer's sends are small, so eager and local). Past T,
 *   the first of its waits that does not complete at once asks the others, prints the one
 *   line and calls MPI_Abort, which ends every rank, stopped ones too.
 * - Where rank 0 does not wait (its baseline, its own tasks) or cannot (it is stopped, or
 *   stuck outside MPI), its SIGALRM ends it at T + GRACE_ROOT with the last resort's line, and
 *   mpirun ends the others, since a rank left without MPI_Finalize.
 * - Should rank 0 be stopped, rank 1's own SIGALRM ends it at T + GRACE_FIRST, and every
 *   other rank's at T + GRACE_REST, each later than the one before, so that one line is
 *   printed, not one per rank: mpirun ends the rest when the first exits.
 *
 * The other ranks do nothing at T themselves: a rank that waits answers rank 0's question,
 * and rank 0 speaks for the job. Before the deadline is armed (MPI_Init, the parsing) nothing
 * watches it: a rank stopped there holds the job.
 */
#define GRACE_ROOT  2.0
#define GRACE_FIRST 4.0
#define GRACE_REST  6.0

int gf_mpi_main(int argc, char **argv, const struct gf_mpi_program *p)
{
	struct gf_mpi m;
	struct gf_backend backend = {
		.name = p->name,
		.cli = p->cli,
		.check = mpi_check,
		.setup = mpi_setup,
		.run = mpi_run,
		.topology = mpi_topology,
		.agree = mpi_agree,
		.bench = p->bench,
	};
	char err[256];
	int status;

	program = p;
	if (gf_mpi_start(&argc, &argv, p->required, &m, p->cli.prog, err, sizeof(err)) < 0) {
		if (m.rank == 0)
			fprintf(stderr, "%s: %s\n", p->cli.prog, err);
		return 1;
	}
	backend.root = m.rank == 0;
	backend.timeout_grace = m.rank == 0 ? GRACE_ROOT : m.rank == 1 ? GRACE_FIRST : GRACE_REST;
	/* the lines of ranks other than 0 (the last resort's, a lost stdout) say which rank */
	if (m.rank != 0)
		backend.cli.prog = m.who;
	/* an interruption names the rank, rank 0's too, whose other lines speak for the job */
	gf_last_words_set(backend.cli.prog, m.who);
	status = gf_driver_main(argc, argv, &backend, &m);
	/*
	 * Bad input (2), --help and a finished run reach here on every rank at the same point,
	 * with no collective pending. A failure before the runs ended (out of memory) may be
	 * this rank's alone, while the others wait for it in a collective: end them all.
	 */
	if (status == 1 && !m.finished)
		gf__mpi_die(&m, "failed before the run ended; stopping every rank");
	gf_mpi_stop(&m);
	return gf_stdout_check(backend.cli.prog, status);
}
