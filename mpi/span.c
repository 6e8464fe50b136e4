/*
 * The spans of the timed repetitions (gf__mpi_span_begin, mark, end): each rank's marks, put
 * on rank 0's time base and reduced there, with each rank's CPU time and place; and the run
 * of a rank's share of the tasks between them.
 */
#include "mpi_backend.h"

#include <string.h>

#include "gf_bind.h"
#include "gf_clock.h"
#include "gf_disturb.h"

void gf__mpi_span_begin(const struct gf_mpi *m, struct gf_mpi_span *s)
{
	memset(s, 0, sizeof(*s));
	s->cpu_compute = -1.0;
	s->where = -1;
	s->cpu_begin = gf_cpu_process();
	gf__mpi_start_together(m);
	s->t0 = gf_clock_now();
	s->cpu_mark = gf_cpu_process();
}

void gf__mpi_span_mark_at(struct gf_mpi_span *s, const char *name, double t)
{
	double cpu;

	if (s->n == GF_MPI_MARKS)
		return;
	s->name[s->n] = name;
	s->at[s->n] = t - s->t0;
	s->n++;
	cpu = gf_cpu_process();
	if (strcmp(name, "compute") == 0) {
		s->cpu_compute = cpu >= 0 && s->cpu_mark >= 0 ? cpu - s->cpu_mark : -1.0;
		s->where = gf_where_cpu();
	}
	s->cpu_mark = cpu;
}

/*
 * Rank 0 gathers each rank's CPU time of its compute phase, its CPU time over the whole
 * repetition and its CPU into rep (gf__mpi_span_end). Collective; waited for asleep.
 */
static void span_cpu(const struct gf_mpi *m, const struct gf_mpi_span *s, struct gf_rep *rep)
{
	double *all = m->span_all, *mine = m->span_mine, now = gf_cpu_process();
	int per = GF_MPI_SPAN_PER(m); /* the count of each rank's figures */

	mine[0] = s->cpu_compute;
	mine[1] = s->cpu_begin >= 0 && now >= 0 ? now - s->cpu_begin : -1.0;
	mine[2] = (double)s->where;
	for (int t = 0; t < per - 3; t++)
		mine[3 + t] = s->cpu_thread ? s->cpu_thread[t] : -1.0;
	gf__mpi_coll_gather(m, gf__mpi_wait, mine, per, MPI_DOUBLE, all, per, MPI_DOUBLE, 0);
	for (int r = 0; m->rank == 0 && all && r < m->size; r++) {
		const double *x = &all[(size_t)per * (size_t)r];

		/* rank 0's own time is the driver's to count: the others on its host are ours */
		if (r > 0 && m->host_same && m->host_same[r] && x[1] > 0)
			rep->run_cpu += x[1];
		/*
		 * A rank's workers are its threads, w = r x T + t: each thread's own CPU time
		 * over its part where the team measured it (CLOCK_THREAD_CPUTIME_ID), else the
		 * team's average of its process's; the CPU of the master thread only is known.
		 */
		for (int t = 0; t < m->threads; t++) {
			int w = r * m->threads + t;
			double own = per > 3 ? x[3 + t] : -1.0;

			if (rep->cpu)
				rep->cpu[w] = own >= 0 ? own : x[0] >= 0 ? x[0] / m->threads : -1.0;
			if (!rep->place)
				continue;
			rep->place[w].cpu = x[2] >= 0 && t == 0 ? (int)x[2] : -1;
			if (m->host_names) {
				memcpy(rep->place[w].host, m->host_names + (size_t)r * GF_HOST_MAX,
				       GF_HOST_MAX);
				rep->place[w].cores = m->host_cores[r];
			}
		}
	}
}

void gf__mpi_span_mark(struct gf_mpi_span *s, const char *name)
{
	gf__mpi_span_mark_at(s, name, gf_clock_now());
}

void gf__mpi_share(const struct gf_mpi *m, const struct gf_task *tasks, size_t k,
		   struct gf_result *out, struct gf_mpi_span *span)
{
	if (m->share) {
		m->share(m, tasks, k, out, span);
		return;
	}
	for (size_t i = 0; i < k; i++)
		gf_task_run(&tasks[i], m->rank, &out[i]);
	if (span)
		gf__mpi_span_mark(span, "compute");
}

void gf__mpi_span_end(const struct gf_mpi *m, struct gf_mpi_span *s, struct gf_rep *rep)
{
	double mine[GF_MPI_MARKS + 2], best[GF_MPI_MARKS + 2] = { 0 };
	double t0 = s->t0 - m->clock_offset; /* this rank's start on rank 0's clock */

	/*
	 * Timestamps on one base, not durations: the time of a repetition runs from the earliest
	 * rank's start to the latest rank's end. The longest of the per-rank durations misses
	 * the work a rank did before a late rank started its clock, and reads less than the
	 * repetition took (more than P times faster on one core). The start is negated, so that
	 * one MPI_MAX gives its minimum too; the latest start, last, says how late a rank was.
	 */
	mine[0] = -t0;
	for (int i = 0; i < s->n; i++)
		mine[i + 1] = t0 + s->at[i];
	mine[s->n + 1] = t0;
	gf__mpi_coll_reduce(m, gf__mpi_wait, mine, best, s->n + 2, MPI_DOUBLE, MPI_MAX, 0);
	/* what each rank held is past: a wait before the next deal names no tasks */
	gf__mpi_watch_forget(m);
	span_cpu(m, s, rep);
	if (m->rank != 0)
		return;
	for (int i = 0; i < s->n; i++)
		gf_phases_add(&rep->phases, s->name[i], best[i + 1] - (i ? best[i] : -best[0]));
	rep->seconds = s->n ? best[s->n] + best[0] : 0.0;
	rep->start_s = best[s->n + 1] + best[0];
}
