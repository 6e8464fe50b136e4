#include "omp_backend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "gf_clock.h"

int gf_omp_span_begin(struct gf_omp_span *s, int workers)
{
	memset(s, 0, sizeof(*s));
	s->workers = workers;
	s->arrived = calloc((size_t)workers, sizeof(double));
	s->finished = calloc((size_t)workers, sizeof(double));
	if (!s->arrived || !s->finished) {
		free(s->arrived);
		free(s->finished);
		return -ENOMEM;
	}
	s->begin = gf_clock_now();
	return 0;
}

void gf_omp_span_arrive(struct gf_omp_span *s, int id)
{
	/* Each thread writes only its own slot; the master reads them after the join. */
	s->arrived[id] = gf_clock_now();
	if (id == 0)
		s->team = omp_get_num_threads();
}

void gf_omp_span_finish(struct gf_omp_span *s, int id)
{
	s->finished[id] = gf_clock_now();
}

int gf_omp_span_end(struct gf_omp_span *s, struct gf_rep *rep)
{
	double arrived = s->begin, finished = s->begin;
	s->end = gf_clock_now();
	for (int i = 0; i < s->team && i < s->workers; i++) {
		if (s->arrived[i] > arrived)
			arrived = s->arrived[i];
		if (s->finished[i] > finished)
			finished = s->finished[i];
	}
	gf_phases_add(&rep->phases, "start", arrived - s->begin);
	gf_phases_add(&rep->phases, "compute", finished - arrived);
	gf_phases_add(&rep->phases, "stop", s->end - finished);
	if (s->team != s->workers) {
		snprintf(rep->notes, GF_NOTES_MAX,
			 "the OpenMP runtime granted a team of %d threads, not %d", s->team,
			 s->workers);
	}
	free(s->arrived);
	free(s->finished);
	return s->team;
}
