/*
 * One time base for the ranks (gf__mpi_clock_sync, mpi_backend.h): each host's clock offset
 * against rank 0's, by ping-pong, as ReproMPI and Hunold and Carpen-Amarie's clock
 * synchronisation measure it. Rank 0 stamps t1, asks, the rank answers with its clock, rank
 * 0 stamps t2: the rank's reading was taken between t1 and t2, so its offset is its reading
 * less (t1 + t2) / 2, wrong by at most (t2 - t1) / 2. The shortest of the round trips is
 * kept: the least queueing, the tightest bound. The simulated build links clock_smpi.c in
 * this file's place.
 */
#include "mpi_backend.h"

#include <stdlib.h>

#include "gf_clock.h"

/* A tag of its own on the world: no other message of the set-up carries it. */
enum { TAG_SYNC = 3 };

/* Rank 0's side of the ping-pong with rank r: r's offset, and half the round trip it used. */
static void sync_ask(const struct gf_mpi *m, int r, double *offset, double *bound)
{
	double best = -1.0;

	for (int k = 0; k < GF_MPI_SYNC_ROUNDS; k++) {
		MPI_Request ask, answer;
		double theirs = 0.0, t1, t2;

		/* the answer's receive is posted first: it finds its buffer, not the queue */
		MPI_Irecv(&theirs, 1, MPI_DOUBLE, r, TAG_SYNC, MPI_COMM_WORLD, &answer);
		t1 = gf_clock_now();
		MPI_Isend(NULL, 0, MPI_DOUBLE, r, TAG_SYNC, MPI_COMM_WORLD, &ask);
		gf__mpi_spin(m, &ask, NULL);
		gf__mpi_spin(m, &answer, NULL);
		t2 = gf_clock_now();
		if (best < 0 || t2 - t1 < best) {
			best = t2 - t1;
			*offset = theirs - (t1 + t2) / 2;
		}
	}
	*bound = best / 2;
	MPI_Send(offset, 1, MPI_DOUBLE, r, TAG_SYNC, MPI_COMM_WORLD);
}

/* A rank on another host than rank 0's: answers each question with its clock. */
static void sync_answer(struct gf_mpi *m)
{
	MPI_Request req;

	for (int k = 0; k < GF_MPI_SYNC_ROUNDS; k++) {
		double now;

		MPI_Irecv(NULL, 0, MPI_DOUBLE, 0, TAG_SYNC, MPI_COMM_WORLD, &req);
		/* the first question waits for the ranks before this one: asleep */
		(k ? gf__mpi_spin : gf__mpi_wait)(m, &req, NULL);
		now = gf_clock_now();
		MPI_Isend(&now, 1, MPI_DOUBLE, 0, TAG_SYNC, MPI_COMM_WORLD, &req);
		gf__mpi_spin(m, &req, NULL);
	}
	MPI_Irecv(&m->clock_offset, 1, MPI_DOUBLE, 0, TAG_SYNC, MPI_COMM_WORLD, &req);
	gf__mpi_spin(m, &req, NULL);
}

/* Rank 0 and the ranks on other hosts than its: the ping-pong, rank after rank. */
static void measure(struct gf_mpi *m)
{
	int *need = calloc((size_t)m->size, sizeof(int)), mine = 0;

	if (!need)
		gf__mpi_die(m, "out of memory for the clocks' offsets");
	/* rank 0 says which ranks are on another host: they alone measure an offset */
	for (int r = 0; m->rank == 0 && r < m->size; r++)
		need[r] = m->host_same && !m->host_same[r];
	gf__mpi_coll_scatter(m, gf__mpi_wait, need, 1, MPI_INT, &mine, 1, MPI_INT, 0);
	if (m->rank != 0) {
		if (mine)
			sync_answer(m);
		free(need);
		return;
	}
	for (int r = 1; r < m->size; r++) {
		double offset = 0.0, bound = 0.0;

		if (!need[r])
			continue;
		sync_ask(m, r, &offset, &bound);
		m->clock_sync = "ping-pong";
		if ((offset < 0 ? -offset : offset) > m->clock_offset_max)
			m->clock_offset_max = offset < 0 ? -offset : offset;
		if (bound > m->clock_bound)
			m->clock_bound = bound;
	}
	free(need);
}

void gf__mpi_clock_sync(struct gf_mpi *m)
{
	m->clock_offset = 0.0;
	m->clock_offset_max = m->clock_bound = 0.0;
	m->clock_sync = "same-host";
	measure(m);
}
