#include "omp_backend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "gf_clock.h"
#include "gf_disturb.h"

int gf_omp_span_begin(struct gf_omp_span *s, int workers, struct gf_rep *rep)
{
	int rc = gf_omp_threads_check(workers, rep->err, GF_ERR_MAX);

	memset(s, 0, sizeof(*s));
	if (rc)
		return rc;
	s->workers = workers;
	s->rep = rep;
	s->arrived = calloc((size_t)workers, sizeof(double));
	s->finished = calloc((size_t)workers, sizeof(double));
	s->cpu_arrived = calloc((size_t)workers, sizeof(double));
	if (!s->arrived || !s->finished || !s->cpu_arrived) {
		free(s->arrived);
		free(s->finished);
		free(s->cpu_arrived);
		snprintf(rep->err, GF_ERR_MAX, "out of memory for the timings of %d threads",
			 workers);
		return -ENOMEM;
	}
	s->begin = gf_clock_now();
	return 0;
}

void gf_omp_span_arrive(struct gf_omp_span *s, int id)
{
	int rc = gf_bind_self(s->first + id); /* with --bind: worker w on the w-th CPU */

	if (rc) {
#pragma omp atomic write
		s->pin_error = rc;
	}
	/* Each thread writes only its own slot; the master reads them after the join. */
	s->cpu_arrived[id] = gf_cpu_thread();
	s->arrived[id] = gf_clock_now();
	if (id == 0)
		s->team = omp_get_num_threads();
}

void gf_omp_span_finish(struct gf_omp_span *s, int id)
{
	double cpu;

	s->finished[id] = gf_clock_now();
	cpu = gf_cpu_thread();
	if (s->rep->cpu && cpu >= 0 && s->cpu_arrived[id] >= 0)
		s->rep->cpu[id] = cpu - s->cpu_arrived[id];
	if (s->rep->place)
		s->rep->place[id].cpu = gf_where_cpu();
}

/*
 * Appends a remark to notes (GF_NOTES_MAX bytes, shared by the run's repetitions) unless they
 * hold it already: every repetition closes a span, and one remark is enough for the run. A
 * second remark goes after the first, never over it.
 */
static void note_once(char *notes, const char *note)
{
	size_t len = strlen(notes);

	if (strstr(notes, note))
		return;
	snprintf(notes + len, GF_NOTES_MAX - len, "%s%s", len ? "; " : "", note);
}

int gf_omp_span_close(struct gf_omp_span *s, double *arrived, double *finished, char *notes)
{
	*arrived = *finished = s->begin;
	s->end = gf_clock_now();
	for (int i = 0; i < s->team && i < s->workers; i++) {
		if (s->arrived[i] > *arrived)
			*arrived = s->arrived[i];
		if (s->finished[i] > *finished)
			*finished = s->finished[i];
	}
	if (s->team != s->workers && notes) {
		char note[GF_NOTES_MAX];

		snprintf(note, sizeof(note),
			 "the OpenMP runtime granted a team of %d threads, not %d", s->team,
			 s->workers);
		note_once(notes, note);
	}
	if (s->pin_error && notes) {
		char note[GF_NOTES_MAX];

		snprintf(note, sizeof(note), "--bind: a thread could not pin itself: %s",
			 strerror(-s->pin_error));
		note_once(notes, note);
	}
	free(s->arrived);
	free(s->finished);
	free(s->cpu_arrived);
	s->arrived = s->finished = s->cpu_arrived = NULL;
	return s->team;
}

int gf_omp_span_end(struct gf_omp_span *s, struct gf_rep *rep)
{
	double arrived, finished;
	int team = gf_omp_span_close(s, &arrived, &finished, rep->notes);

	gf_phases_add(&rep->phases, "start", arrived - s->begin);
	gf_phases_add(&rep->phases, "compute", finished - arrived);
	gf_phases_add(&rep->phases, "stop", s->end - finished);
	return team;
}

void gf_omp_for(struct gf_omp_span *s, int first, const struct gf_task *tasks, size_t n,
		struct gf_result *results, omp_sched_t kind, int chunk)
{
	omp_sched_t was_kind;
	int was_chunk;

	/*
	 * schedule(runtime) takes the kind set here; the team inherits it from this thread. The
	 * setting is put back after the loop, so that no later region of the process (OMP_SCHEDULE
	 * included) runs under a workload's choice.
	 */
	s->first = first;
	omp_get_schedule(&was_kind, &was_chunk);
	omp_set_schedule(kind, chunk);
#pragma omp parallel num_threads(s->workers) default(none) shared(s, first, tasks, n, results)
	{
		int id = omp_get_thread_num();

		gf_omp_span_arrive(s, id);
#pragma omp for schedule(runtime) nowait
		for (size_t i = 0; i < n; i++)
			gf_task_run(&tasks[i], first + id, &results[i]);
		gf_omp_span_finish(s, id);
	}
	omp_set_schedule(was_kind, was_chunk);
}

int gf_omp_loop(const struct gf_options *o, const struct gf_task *tasks, size_t n,
		struct gf_result *results, struct gf_rep *rep, omp_sched_t kind, int chunk)
{
	struct gf_omp_span span;
	int rc = gf_omp_span_begin(&span, o->workers, rep);

	if (rc)
		return rc;
	gf_omp_for(&span, 0, tasks, n, results, kind, chunk);
	gf_omp_span_end(&span, rep);
	return 0;
}
