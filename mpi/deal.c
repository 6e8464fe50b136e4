/*
 * The static deal (gf__mpi_static): rank 0 scatters the tasks in blocks or cyclically, every
 * rank runs its share, and the results are gathered back in order.
 */
#include "mpi_backend.h"

#include <stdlib.h>

void gf__mpi_static(struct gf_mpi *m, const struct gf_task *tasks, size_t n, enum gf_mpi_deal deal,
		    struct gf_result *results, struct gf_rep *rep)
{
	int *counts = calloc((size_t)m->size, sizeof(int));
	int *displs = calloc((size_t)m->size, sizeof(int));
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

	for (int r = 0; m->watch && m->rank == 0 && r < m->size; r++)
		gf__mpi_watch_given(m, r, deal == GF_MPI_CYCLIC ? r : displs[r],
				    deal == GF_MPI_CYCLIC ? m->size : 1, counts[r]);
	gf__mpi_span_begin(m, &span);
	gf__mpi_coll_scatterv(m, gf__mpi_spin, send, counts, displs, m->task_type, local, mine,
			      m->task_type, 0);
	gf__mpi_span_mark(&span, "scatter");
	gf__mpi_share(m, local, (size_t)mine, out, &span);
	gf__mpi_coll_gatherv(m, gf__mpi_spin, out, mine, m->result_type, results, counts, displs,
			     m->result_type, 0);
	gf__mpi_span_mark(&span, "gather");
	gf__mpi_span_end(m, &span, rep);

	free(dealt);
	free(out);
	free(local);
	free(displs);
	free(counts);
}
