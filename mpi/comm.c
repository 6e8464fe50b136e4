#include "mpi_backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gf_clock.h"

/*
 * A waiting rank spins for SPIN seconds, then naps between tests: a tenth of the time waited
 * so far, between NAP_MIN and NAP_MAX. The spin keeps a short wait (a collective that
 * completes at once, a task handed out at once) as fast as MPI_Wait; the naps hand the core
 * back during a long one (rank 0's baseline, a producer between long tasks). The price is
 * one MPI_Test per nap and a late return of at most one nap: a tenth of the wait, bounded by
 * NAP_MIN and NAP_MAX.
 */
#define SPIN    100e-6
#define NAP_MIN 50e-6
#define NAP_MAX 1e-3

int gf__mpi_types_init(struct gf_mpi *m)
{
	int rc;

	/* Every rank runs the same binary on the same kind of machine: the records go as bytes. */
	rc = MPI_Type_contiguous((int)sizeof(struct gf_task), MPI_BYTE, &m->task_type);
	if (rc == MPI_SUCCESS)
		rc = MPI_Type_commit(&m->task_type);
	if (rc == MPI_SUCCESS)
		rc = MPI_Type_contiguous((int)sizeof(struct gf_result), MPI_BYTE, &m->result_type);
	if (rc == MPI_SUCCESS)
		rc = MPI_Type_commit(&m->result_type);
	return rc;
}

void gf__mpi_types_free(struct gf_mpi *m)
{
	if (m->task_type != MPI_DATATYPE_NULL)
		MPI_Type_free(&m->task_type);
	if (m->result_type != MPI_DATATYPE_NULL)
		MPI_Type_free(&m->result_type);
}

void gf__mpi_die(const struct gf_mpi *m, const char *what)
{
	fprintf(stderr, "gilfree-mpi: rank %d: %s\n", m->rank, what);
	fflush(stderr);
	MPI_Abort(MPI_COMM_WORLD, 1);
	abort(); /* MPI_Abort does not return; should it, the job must still end */
}

void gf__mpi_wait(const struct gf_mpi *m, MPI_Request *req, MPI_Status *status)
{
	double start = gf_clock_now(), waited;
	int done = 0;

	for (;;) {
		if (MPI_Test(req, &done, status ? status : MPI_STATUS_IGNORE) != MPI_SUCCESS)
			gf__mpi_die(m, "MPI_Test failed");
		if (done)
			return;
		waited = gf_clock_now() - start;
		if (waited > SPIN) {
			double nap = waited / 10 < NAP_MIN ? NAP_MIN : waited / 10;
			struct timespec ts = { 0, (long)((nap < NAP_MAX ? nap : NAP_MAX) * 1e9) };

			nanosleep(&ts, NULL);
		}
	}
}

void gf__mpi_barrier(const struct gf_mpi *m)
{
	MPI_Request req;

	MPI_Ibarrier(MPI_COMM_WORLD, &req);
	gf__mpi_wait(m, &req, NULL);
}

void gf__mpi_start_together(const struct gf_mpi *m)
{
	/* The ranks arrive at very different times (rank 0 verified the last repetition; some
	   ranks had nothing to do): they wait asleep, then meet once more, awake, to start
	   together. */
	gf__mpi_barrier(m);
	MPI_Barrier(MPI_COMM_WORLD);
}

void gf__mpi_span_begin(const struct gf_mpi *m, struct gf_mpi_span *s)
{
	memset(s, 0, sizeof(*s));
	gf__mpi_start_together(m);
	s->t0 = gf_clock_now();
}

void gf__mpi_span_mark(struct gf_mpi_span *s, const char *name)
{
	if (s->n == GF_MPI_MARKS)
		return;
	s->name[s->n] = name;
	s->at[s->n] = gf_clock_now() - s->t0;
	s->n++;
}

void gf__mpi_span_end(const struct gf_mpi *m, struct gf_mpi_span *s, struct gf_rep *rep)
{
	double worst[GF_MPI_MARKS] = { 0 }, prev = 0.0;
	MPI_Request req;

	/* Durations, not timestamps: the ranks' clocks need not agree across machines. */
	MPI_Ireduce(s->at, worst, s->n, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD, &req);
	gf__mpi_wait(m, &req, NULL);
	if (m->rank != 0)
		return;
	for (int i = 0; i < s->n; i++) {
		gf_phases_add(&rep->phases, s->name[i], worst[i] - prev);
		prev = worst[i];
	}
	rep->seconds = prev;
}

void gf__mpi_static(struct gf_mpi *m, const struct gf_task *tasks, size_t n, enum gf_mpi_deal deal,
		    struct gf_result *results, struct gf_rep *rep)
{
	int *counts = malloc((size_t)m->size * sizeof(int));
	int *displs = malloc((size_t)m->size * sizeof(int));
	int mine = (int)gf_share((int64_t)n, m->size, m->rank);
	struct gf_task *local = calloc((size_t)mine + 1, sizeof(*local));
	struct gf_result *out = calloc((size_t)mine + 1, sizeof(*out));
	struct gf_task *dealt = NULL;
	const struct gf_task *send = tasks;
	struct gf_mpi_span span;

	if (!counts || !displs || !local || !out)
		gf__mpi_die(m, "out of memory for the static split");
	for (int r = 0, at = 0; r < m->size; r++) {
		counts[r] = (int)gf_share((int64_t)n, m->size, r);
		displs[r] = at;
		at += counts[r];
	}
	if (m->rank == 0 && deal == GF_MPI_CYCLIC) {
		/* Rank r's block holds tasks r, r + P, r + 2P, ...: one Scatterv still sends it. */
		size_t k = 0;

		dealt = malloc((n ? n : 1) * sizeof(*dealt));
		if (!dealt)
			gf__mpi_die(m, "out of memory for the static split");
		for (int r = 0; r < m->size; r++)
			for (size_t i = (size_t)r; i < n; i += (size_t)m->size)
				dealt[k++] = tasks[i];
		send = dealt;
	}

	gf__mpi_span_begin(m, &span);
	MPI_Scatterv(send, counts, displs, m->task_type, local, mine, m->task_type, 0,
		     MPI_COMM_WORLD);
	gf__mpi_span_mark(&span, "scatter");
	for (int i = 0; i < mine; i++)
		gf_task_run(&local[i], m->rank, &out[i]);
	gf__mpi_span_mark(&span, "compute");
	MPI_Gatherv(out, mine, m->result_type, results, counts, displs, m->result_type, 0,
		    MPI_COMM_WORLD);
	gf__mpi_span_mark(&span, "gather");
	gf__mpi_span_end(m, &span, rep);

	free(dealt);
	free(out);
	free(local);
	free(displs);
	free(counts);
}
