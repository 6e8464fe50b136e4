/*
 * --timeout's questions (gf__mpi_watch_start, mpi_backend.h): rank 0, past the deadline in
 * one of its waits, asks the other ranks, names those that do not answer and the tasks they
 * hold, and ends the job; the other ranks answer from inside their waits.
 */
#include "mpi_backend.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gf_clock.h"
#include "gf_watchdog.h"

/*
 * --timeout's questions travel on m->watch_comm: rank 0, past the deadline, sends each rank a
 * TAG_ASK and waits up to ANSWER_WAIT seconds for its TAG_ANSWER. A rank answers from inside
 * any of its waits; one that is computing, stopped or stuck does not. Both are empty messages.
 */
enum { TAG_ASK = 1, TAG_ANSWER };
#define ANSWER_WAIT 0.25

/* The most ranks, and tasks, that the line names one by one before "...". */
#define NAME_RANKS 16
#define NAME_TASKS 10

/* --timeout's state on this rank: made by gf__mpi_watch_start, where the deadline is armed. */
struct gf_mpi_watch {
	MPI_Request ask; /* a rank other than 0: the receive of rank 0's question, or null */
	int32_t *given;  /* rank 0: per rank, first, step, count of the tasks it holds (count 0:
			    none known) */
	/* rank 0, per rank, for the questions past the deadline (made here, not then) */
	MPI_Request *asks, *answers;
	unsigned char *answered;
	int32_t *late; /* the ranks that did not answer */
};

static void watch_free(struct gf_mpi_watch *w)
{
	free(w->given);
	free(w->asks);
	free(w->answers);
	free(w->answered);
	free(w->late);
	free(w);
}

int gf__mpi_watch_start(struct gf_mpi *m)
{
	struct gf_mpi_watch *w;
	size_t n = (size_t)m->size;

	if (m->watch || gf_watchdog_seconds() <= 0)
		return 0;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -1;
	if (m->rank == 0 &&
	    (!(w->given = calloc(n * 3, sizeof(int32_t))) ||
	     !(w->asks = calloc(n, sizeof(MPI_Request))) ||
	     !(w->answers = calloc(n, sizeof(MPI_Request))) || !(w->answered = calloc(n, 1)) ||
	     !(w->late = calloc(n, sizeof(int32_t))))) {
		watch_free(w);
		return -1;
	}
	w->ask = MPI_REQUEST_NULL;
	if (m->rank != 0 &&
	    MPI_Irecv(NULL, 0, MPI_INT, 0, TAG_ASK, m->watch_comm, &w->ask) != MPI_SUCCESS) {
		watch_free(w);
		return -1;
	}
	m->watch = w;
	return 0;
}

void gf__mpi_watch_end(struct gf_mpi *m)
{
	struct gf_mpi_watch *w = m->watch;

	if (!w)
		return;
	if (w->ask != MPI_REQUEST_NULL) {
		MPI_Cancel(&w->ask);
		MPI_Wait(&w->ask, MPI_STATUS_IGNORE);
	}
	watch_free(w);
	m->watch = NULL;
}

void gf__mpi_watch_given(const struct gf_mpi *m, int rank, int32_t first, int32_t step,
			 int32_t count)
{
	int32_t *g;

	if (!m->watch || !m->watch->given || rank < 0 || rank >= m->size)
		return;
	g = &m->watch->given[3 * rank];
	g[0] = first;
	g[1] = step;
	g[2] = count;
}

/* Appends to buf (len bytes) at at, as snprintf, and returns the new end, at most len - 1. */
__attribute__((format(printf, 4, 5))) static size_t append(char *buf, size_t len, size_t at,
							   const char *fmt, ...)
{
	va_list ap;
	int n;

	if (at + 1 >= len)
		return len - 1;
	va_start(ap, fmt);
	n = vsnprintf(buf + at, len - at, fmt, ap);
	va_end(ap);
	at += n > 0 ? (size_t)n : 0;
	return at < len ? at : len - 1;
}

/* ", 1, 3, 5" or "ranks 1, 3": the members of list[0..n), at most max, then ", ...". */
static size_t name_list(char *buf, size_t len, size_t at, const int32_t *list, size_t n, size_t max)
{
	for (size_t i = 0; i < n; i++) {
		if (i == max) {
			at = append(buf, len, at, ", ...");
			break;
		}
		at = append(buf, len, at, "%s%ld", i ? ", " : "", (long)list[i]);
	}
	return at;
}

/* Rank 0 asks every other rank, and waits up to ANSWER_WAIT for the answers. */
static void ask_all(const struct gf_mpi *m, unsigned char *answered)
{
	MPI_Request *asks = m->watch->asks, *answers = m->watch->answers;
	double t0 = gf_clock_now();
	int left = m->size - 1;

	for (int r = 1; r < m->size; r++) {
		MPI_Isend(NULL, 0, MPI_INT, r, TAG_ASK, m->watch_comm, &asks[r]);
		MPI_Irecv(NULL, 0, MPI_INT, r, TAG_ANSWER, m->watch_comm, &answers[r]);
	}
	while (left > 0 && gf_clock_now() - t0 < ANSWER_WAIT) {
		for (int r = 1; r < m->size; r++) {
			int done = 0;

			if (answered[r])
				continue;
			MPI_Test(&answers[r], &done, MPI_STATUS_IGNORE);
			answered[r] = (unsigned char)done;
			left -= done;
		}
	}
}

/*
 * Rank 0, past the deadline, in a wait that has not completed: names the ranks that do not
 * answer, and the tasks they hold where known, and ends the job. Does not return.
 */
static void late(const struct gf_mpi *m)
{
	int32_t *ranks = m->watch->late, tasks[NAME_TASKS + 1];
	unsigned char *answered = m->watch->answered;
	char line[1024];
	size_t nranks = 0, ntasks = 0, at;

	ask_all(m, answered);
	for (int r = 1; r < m->size; r++) {
		const int32_t *g = &m->watch->given[3 * r];

		if (answered[r])
			continue;
		ranks[nranks++] = r;
		for (int32_t i = 0; i < g[2] && ntasks <= NAME_TASKS; i++)
			tasks[ntasks++] = g[0] + i * g[1];
	}
	at = append(line, sizeof(line), 0, "%s: ", m->prog);
	gf_watchdog_passed(line + at, sizeof(line) - at);
	at = strlen(line);
	if (!nranks) {
		at = append(line, sizeof(line), at, ": every other rank was waiting");
	} else {
		at = append(line, sizeof(line), at, ": rank%s ", nranks > 1 ? "s" : "");
		at = name_list(line, sizeof(line), at, ranks, nranks, NAME_RANKS);
		at = append(line, sizeof(line), at, " (of %d) did not answer", m->size);
	}
	if (ntasks) {
		at = append(line, sizeof(line), at, " (given task%s ", ntasks > 1 ? "s" : "");
		at = name_list(line, sizeof(line), at, tasks, ntasks, NAME_TASKS);
		append(line, sizeof(line), at, ")");
	}
	fprintf(stderr, "%s; aborting the job\n", line);
	fflush(stderr);
	gf__mpi_abort(m);
}

void gf__mpi_watch_poll(const struct gf_mpi *m)
{
	struct gf_mpi_watch *w = m->watch;
	int asked = 0;

	if (m->rank == 0) {
		if (gf_watchdog_left() <= 0)
			late(m);
		return;
	}
	if (w->ask == MPI_REQUEST_NULL)
		return;
	MPI_Test(&w->ask, &asked, MPI_STATUS_IGNORE);
	if (asked)
		MPI_Send(NULL, 0, MPI_INT, 0, TAG_ANSWER, m->watch_comm);
}

void gf__mpi_watch_forget(const struct gf_mpi *m)
{
	if (m->watch && m->watch->given)
		memset(m->watch->given, 0, (size_t)m->size * 3 * sizeof(int32_t));
}
