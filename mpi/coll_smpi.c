/*
 * The backend's collectives in the simulated build (mpi_backend.h, gf__mpi_coll_*), linked
 * in coll.c's place: each is the blocking call, and the wait it is given goes unused. SMPI
 * completes a nonblocking collective by waiting on its messages one at a time, a cost in real
 * time that grows with the square of the ranks (about 40 s for one gather of 1024 ranks),
 * where its blocking ones are trees. Nothing waits there to answer --timeout's questions: a
 * simulation runs on its own.
 */
#include "mpi_backend.h"

void gf__mpi_coll_barrier(const struct gf_mpi *m, gf_mpi_wait_fn wait)
{
	(void)m;
	(void)wait;
	MPI_Barrier(MPI_COMM_WORLD);
}

void gf__mpi_coll_bcast(const struct gf_mpi *m, gf_mpi_wait_fn wait, void *buf, int count,
			MPI_Datatype type, int root)
{
	(void)m;
	(void)wait;
	MPI_Bcast(buf, count, type, root, MPI_COMM_WORLD);
}

void gf__mpi_coll_reduce(const struct gf_mpi *m, gf_mpi_wait_fn wait, const void *send, void *recv,
			 int count, MPI_Datatype type, MPI_Op op, int root)
{
	(void)m;
	(void)wait;
	MPI_Reduce(send, recv, count, type, op, root, MPI_COMM_WORLD);
}

void gf__mpi_coll_allreduce(const struct gf_mpi *m, gf_mpi_wait_fn wait, const void *send,
			    void *recv, int count, MPI_Datatype type, MPI_Op op)
{
	(void)m;
	(void)wait;
	MPI_Allreduce(send, recv, count, type, op, MPI_COMM_WORLD);
}

void gf__mpi_coll_gather(const struct gf_mpi *m, gf_mpi_wait_fn wait, const void *send, int scount,
			 MPI_Datatype stype, void *recv, int rcount, MPI_Datatype rtype, int root)
{
	(void)m;
	(void)wait;
	MPI_Gather(send, scount, stype, recv, rcount, rtype, root, MPI_COMM_WORLD);
}

void gf__mpi_coll_gatherv(const struct gf_mpi *m, gf_mpi_wait_fn wait, const void *send, int scount,
			  MPI_Datatype stype, void *recv, const int *rcounts, const int *displs,
			  MPI_Datatype rtype, int root)
{
	(void)m;
	(void)wait;
	MPI_Gatherv(send, scount, stype, recv, rcounts, displs, rtype, root, MPI_COMM_WORLD);
}

void gf__mpi_coll_scatter(const struct gf_mpi *m, gf_mpi_wait_fn wait, const void *send, int scount,
			  MPI_Datatype stype, void *recv, int rcount, MPI_Datatype rtype, int root)
{
	(void)m;
	(void)wait;
	MPI_Scatter(send, scount, stype, recv, rcount, rtype, root, MPI_COMM_WORLD);
}

void gf__mpi_coll_scatterv(const struct gf_mpi *m, gf_mpi_wait_fn wait, const void *send,
			   const int *scounts, const int *displs, MPI_Datatype stype, void *recv,
			   int rcount, MPI_Datatype rtype, int root)
{
	(void)m;
	(void)wait;
	MPI_Scatterv(send, scounts, displs, stype, recv, rcount, rtype, root, MPI_COMM_WORLD);
}
