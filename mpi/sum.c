#include "mpi_backend.h"

void gf_mpi_sum(struct gf_mpi *m, const struct gf_task *tasks, size_t n, struct gf_result *results,
		struct gf_rep *rep)
{
	struct gf_result mine;
	struct gf_mpi_span span;
	MPI_Request req;

	(void)n; /* one task per worker, and the world size is the worker count */
	/*
	 * Example 25.1's Processes: rank r is worker r and knows its own argument, as each
	 * Process got args=(w,). MPI_Gather is the Manager list: slot r of rank 0's array
	 * receives worker r's total. MPI_Igather and a spinning wait, so that rank 0 can see
	 * --timeout's deadline while it waits.
	 */
	gf__mpi_span_begin(m, &span);
	for (int r = 0; m->watch && m->rank == 0 && r < m->size; r++)
		gf__mpi_watch_given(m, r, r, 1, 1);
	gf_task_run(&tasks[m->rank], m->rank, &mine);
	gf__mpi_span_mark(&span, "compute");
	MPI_Igather(&mine, 1, m->result_type, results, 1, m->result_type, 0, MPI_COMM_WORLD, &req);
	gf__mpi_spin(m, &req, NULL);
	gf__mpi_span_mark(&span, "gather");
	gf__mpi_span_end(m, &span, rep);
}
