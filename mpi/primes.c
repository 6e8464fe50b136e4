#include "mpi_backend.h"

#include <stdlib.h>

/* The queue's messages: a worker's request (carrying its last result), a task, a sentinel. */
enum { TAG_RESULT = 1, TAG_TASK, TAG_STOP };

/*
 * Rank 0, the producer: answers each request, in the order they arrive, with the next tasks in
 * submission order, as many as the asking rank has workers (one, or its team of threads), and
 * once the list is empty with a stop message, one per worker rank. It computes nothing: it
 * cannot answer while it computes, and a worker left waiting is worse than one core's share.
 * Its waits sleep, so on a machine with one core per worker it only costs a few microseconds
 * per task.
 */
static void produce(struct gf_mpi *m, const struct gf_task *tasks, size_t n,
		    struct gf_result *results)
{
	struct gf_result *msg = malloc((size_t)m->threads * sizeof(*msg));
	size_t next = 0, got = 0;
	int stopped = 0;

	if (!msg)
		gf__mpi_die(m, "out of memory for the queue's messages");
	while (stopped < m->size - 1) {
		MPI_Request req;
		MPI_Status st;
		int k = 0;

		MPI_Irecv(msg, m->threads, m->result_type, MPI_ANY_SOURCE, TAG_RESULT,
			  MPI_COMM_WORLD, &req);
		gf__mpi_wait(m, &req, &st);
		MPI_Get_count(&st, m->result_type, &k);
		if (k < 0 || (size_t)k > n - got)
			gf__mpi_die(m, "a worker sent more results than there are tasks");
		for (int i = 0; i < k; i++)
			results[got++] = msg[i];
		if (next < n) {
			int give = n - next < (size_t)m->threads ? (int)(n - next) : m->threads;

			gf__mpi_watch_given(m, st.MPI_SOURCE, (int32_t)next, 1, give);
			MPI_Send(&tasks[next], give, m->task_type, st.MPI_SOURCE, TAG_TASK,
				 MPI_COMM_WORLD);
			next += (size_t)give;
		} else {
			gf__mpi_watch_given(m, st.MPI_SOURCE, 0, 0, 0);
			MPI_Send(NULL, 0, m->task_type, st.MPI_SOURCE, TAG_STOP, MPI_COMM_WORLD);
			stopped++;
		}
	}
	if (got != n)
		gf__mpi_die(m, "the queue ended with results missing");
	free(msg);
}

/*
 * A worker rank: asks, computes what it is given (gf__mpi_share: one task, or one per thread
 * of its team), and sends the results with its next request (the first carries none). It
 * waits for the answer spinning (gf__mpi_spin), as MPI_Recv would, and can so answer
 * --timeout's question.
 */
static void consume(struct gf_mpi *m)
{
	struct gf_task *task = malloc((size_t)m->threads * sizeof(*task));
	struct gf_result *out = malloc((size_t)m->threads * sizeof(*out));
	int k = 0;

	if (!task || !out)
		gf__mpi_die(m, "out of memory for the queue's messages");
	for (;;) {
		MPI_Request req;
		MPI_Status st;

		MPI_Send(out, k, m->result_type, 0, TAG_RESULT, MPI_COMM_WORLD);
		MPI_Irecv(task, m->threads, m->task_type, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &req);
		gf__mpi_spin(m, &req, &st);
		if (st.MPI_TAG == TAG_STOP)
			break;
		MPI_Get_count(&st, m->task_type, &k);
		gf__mpi_share(m, task, (size_t)k, out, NULL);
	}
	free(task);
	free(out);
}

void gf_mpi_primes(struct gf_mpi *m, const struct gf_options *o, const struct gf_task *tasks,
		   size_t n, struct gf_result *results, struct gf_rep *rep)
{
	struct gf_mpi_span span;

	/*
	 * Static: the list is dealt round-robin (rank r counts limits r, r + P, ...), as
	 * schedule(static, 1) would, and scattered in one MPI_Scatterv. The lecture's limits
	 * grow along the list, so contiguous chunks would hand the last rank the most work.
	 * A single rank has nobody to hand tasks to: it runs the whole list itself.
	 */
	if (gf_mpi_schedule(o) == GF_SCHEDULE_STATIC || m->size == 1) {
		gf__mpi_static(m, tasks, n, GF_MPI_CYCLIC, results, rep);
		return;
	}
	/* Dynamic: Example 25.2's Queue, with rank 0 as the producer and stop sentinels. */
	gf__mpi_span_begin(m, &span);
	if (m->rank == 0)
		produce(m, tasks, n, results);
	else
		consume(m);
	gf__mpi_span_mark(&span, "compute");
	gf__mpi_span_end(m, &span, rep);
}
