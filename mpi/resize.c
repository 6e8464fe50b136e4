#include "mpi_backend.h"

void gf_mpi_resize(struct gf_mpi *m, const struct gf_task *tasks, size_t n,
		   struct gf_result *results, struct gf_rep *rep)
{
	/*
	 * Example 25.3's Pool.map: the images are cut into one contiguous chunk per rank
	 * (MPI_Scatterv; the first n % P ranks take one more), each rank resizes its chunk, and
	 * MPI_Gatherv puts the results back on rank 0 in submission order.
	 */
	gf__mpi_static(m, tasks, n, GF_MPI_BLOCK, results, rep);
}
