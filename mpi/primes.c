#include "mpi_backend.h"

#include <string.h>

/* The queue's messages: a worker's request (carrying its last result), a task, a sentinel. */
enum { TAG_RESULT = 1, TAG_TASK, TAG_STOP };

/*
 * Rank 0, the producer: answers each request, in the order they arrive, with the next task in
 * submission order, and once the list is empty with a stop message, one per worker. It
 * computes nothing: it cannot answer while it computes, and a worker left waiting is worse
 * than one core's share. Its waits sleep, so on a machine with one core per worker it only
 * costs a few microseconds per task.
 */
static void produce(struct gf_mpi *m, const struct gf_task *tasks, size_t n,
		    struct gf_result *results)
{
	size_t next = 0, got = 0;
	int stopped = 0;

	while (stopped < m->size - 1) {
		struct gf_result msg;
		MPI_Request req;
		MPI_Status st;

		MPI_Irecv(&msg, 1, m->result_type, MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD,
			  &req);
		gf__mpi_wait(m, &req, &st);
		if (msg.index >= 0) {
			if (got == n)
				gf__mpi_die(m, "a worker sent more results than there are tasks");
			results[got++] = msg;
		}
		if (next < n) {
			gf__mpi_watch_given(m, st.MPI_SOURCE, (int32_t)next, 1, 1);
			MPI_Send(&tasks[next++], 1, m->task_type, st.MPI_SOURCE, TAG_TASK,
				 MPI_COMM_WORLD);
		} else {
			gf__mpi_watch_given(m, st.MPI_SOURCE, 0, 0, 0);
			MPI_Send(NULL, 0, m->task_type, st.MPI_SOURCE, TAG_STOP, MPI_COMM_WORLD);
			stopped++;
		}
	}
	if (got != n)
		gf__mpi_die(m, "the queue ended with results missing");
}

/*
 * A worker: asks, computes what it is given, and sends the result with its next request. It
 * waits for the answer spinning (gf__mpi_spin), as MPI_Recv would, and can so answer
 * --timeout's question.
 */
static void consume(struct gf_mpi *m)
{
	struct gf_result msg;

	memset(&msg, 0, sizeof(msg));
	msg.index = -1; /* the first request carries no result */
	for (;;) {
		struct gf_task task;
		MPI_Request req;
		MPI_Status st;

		MPI_Send(&msg, 1, m->result_type, 0, TAG_RESULT, MPI_COMM_WORLD);
		MPI_Irecv(&task, 1, m->task_type, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &req);
		gf__mpi_spin(m, &req, &st);
		if (st.MPI_TAG == TAG_STOP)
			break;
		gf_task_run(&task, m->rank, &msg);
	}
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
