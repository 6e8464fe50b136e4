/*
 * The backend's collectives on real MPI (mpi_backend.h, gf__mpi_coll_*): each starts the
 * nonblocking call and completes it with the wait it is given, so that rank 0 sees --timeout's
 * deadline while it waits and the others answer its question. The simulated build links
 * coll_smpi.c in its place.
 */
#include "mpi_backend.h"

void gf__mpi_coll_barrier(const struct gf_mpi *m, gf_mpi_wait_fn wait)
{
	MPI_Request req;

	MPI_Ibarrier(MPI_COMM_WORLD, &req);
	wait(m, &req, NULL);
}

void gf__mpi_coll_bcast(const struct gf_mpi *m, gf_mpi_wait_fn wait, void *buf, int count,
			MPI_Datatype type, int root)
{
	MPI_Request req;

	MPI_Ibcast(buf, count, type, root, MPI_COMM_WORLD, &req);
	wait(m, &req, NULL);
}

void gf__mpi_coll_reduce(const struct gf_mpi *m, gf_mpi_wait_fn wait, const void *send, void *recv,
			 int count, MPI_Datatype type, MPI_Op op, int root)
{
	MPI_Request req;

	MPI_Ireduce(send, recv, count, type, op, root, MPI_COMM_WORLD, &req);
	wait(m, &req, NULL);
}

void gf__mpi_coll_allreduce(const struct gf_mpi *m, gf_mpi_wait_fn wait, const void *send,
			    void *recv, int count, MPI_Datatype type, MPI_Op op)
{
	MPI_Request req;

	MPI_Iallreduce(send, recv, count, type, op, MPI_COMM_WORLD, &req);
	wait(m, &req, NULL);
}

void gf__mpi_coll_gather(const struct gf_mpi *m, gf_mpi_wait_fn wait, const void *send, int scount,
			 MPI_Datatype stype, void *recv, int rcount, MPI_Datatype rtype, int root)
{
	MPI_Request req;

	MPI_Igather(send, scount, stype, recv, rcount, rtype, root, MPI_COMM_WORLD, &req);
	wait(m, &req, NULL);
}

void gf__mpi_coll_gatherv(const struct gf_mpi *m, gf_mpi_wait_fn wait, const void *send, int scount,
			  MPI_Datatype stype, void *recv, const int *rcounts, const int *displs,
			  MPI_Datatype rtype, int root)
{
	MPI_Request req;

	MPI_Igatherv(send, scount, stype, recv, rcounts, displs, rtype, root, MPI_COMM_WORLD, &req);
	wait(m, &req, NULL);
}

void gf__mpi_coll_scatter(const struct gf_mpi *m, gf_mpi_wait_fn wait, const void *send, int scount,
			  MPI_Datatype stype, void *recv, int rcount, MPI_Datatype rtype, int root)
{
	MPI_Request req;

	MPI_Iscatter(send, scount, stype, recv, rcount, rtype, root, MPI_COMM_WORLD, &req);
	wait(m, &req, NULL);
}

void gf__mpi_coll_scatterv(const struct gf_mpi *m, gf_mpi_wait_fn wait, const void *send,
			   const int *scounts, const int *displs, MPI_Datatype stype, void *recv,
			   int rcount, MPI_Datatype rtype, int root)
{
	MPI_Request req;

	MPI_Iscatterv(send, scounts, displs, stype, recv, rcount, rtype, root, MPI_COMM_WORLD,
		      &req);
	wait(m, &req, NULL);
}
