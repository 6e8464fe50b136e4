#include "mpi_backend.h"

#include <stdlib.h>

void gf_mpi_sum(struct gf_mpi *m, const struct gf_task *tasks, size_t n, struct gf_result *results,
		struct gf_rep *rep)
{
	struct gf_result *mine = malloc((size_t)m->threads * sizeof(*mine));
	struct gf_mpi_span span;
	int t = m->threads;

	(void)n; /* one task per worker, and the workers are the ranks' threads */
	/*
	 * Example 25.1's Processes: rank r holds workers r * T to r * T + T - 1 (one, T = 1,
	 * for ranks of one thread) and knows their arguments, as each Process got args=(w,).
	 * MPI_Gather is the Manager list: rank r's T slots of rank 0's array receive its
	 * workers' totals. MPI_Igather and a spinning wait, so that rank 0 can see --timeout's
	 * deadline while it waits.
	 */
	if (!mine)
		gf__mpi_die(m, "out of memory for a rank's results");
	gf__mpi_span_begin(m, &span);
	for (int r = 0; m->watch && m->rank == 0 && r < m->size; r++)
		gf__mpi_watch_given(m, r, r * t, 1, t);
	gf__mpi_share(m, &tasks[m->rank * t], (size_t)t, mine, &span);
	gf__mpi_coll_gather(m, gf__mpi_spin, mine, t, m->result_type, results, t, m->result_type,
			    0);
	gf__mpi_span_mark(&span, "gather");
	gf__mpi_span_end(m, &span, rep);
	free(mine);
}
