/*
 * The ranks on real hosts (mpi_backend.h: gf__mpi_wait_blocks, gf__mpi_cores_usable); the
 * simulated build links machine_smpi.c in its place.
 */
#include "mpi_backend.h"

#include <string.h>

#include "gf_bind.h"

int gf__mpi_wait_blocks(const struct gf_mpi *m)
{
	(void)m; /* a wait that blocks in MPI_Wait may spin a core: gf__mpi_wait naps instead */
	return 0;
}

int gf__mpi_cores_usable(const struct gf_mpi *m)
{
	int cores = 0;

	for (int r = 0; m->host_names && m->host_cores && r < m->size; r++) {
		int first = 1;

		for (int q = 0; q < r && first; q++)
			first = strcmp(m->host_names + (size_t)q * GF_HOST_MAX,
				       m->host_names + (size_t)r * GF_HOST_MAX) != 0;
		cores += first ? m->host_cores[r] : 0;
	}
	return cores;
}
