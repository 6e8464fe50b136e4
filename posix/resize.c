#include "posix_backend.h"

#include <stdio.h>

#include "gf_clock.h"
#include "proc.h"

/*
 * Example 25.3: Pool.map. The pool is started once, before the first repetition, as the
 * lecture teaches (its start-up is a one-time cost, reported as the setup phases pool_start
 * and worker_start_mean), and every repetition maps the images over it in chunks: the given
 * --chunksize, or Python's default of ceil(images / (4 * workers)).
 */
int gf_posix_resize_setup(struct gf_posix *px, const struct gf_options *o, struct gf_phases *setup)
{
	struct gf_pool_stats st;
	char err[256];

	if (gf_pool_create(o->workers, gf_posix_start(o), &px->pool, err, sizeof(err))) {
		gf_proc_error("%s", err);
		return -1;
	}
	gf_pool_get_stats(px->pool, &st);
	gf_phases_add(setup, "pool_start", st.start_seconds);
	gf_phases_add(setup, "worker_start_mean", st.worker_start_mean);
	return 0;
}

int gf_posix_resize(struct gf_posix *px, const struct gf_options *o, const struct gf_task *tasks,
		    size_t n, struct gf_result *results, struct gf_rep *rep)
{
	struct gf_pool_stats st;
	double t0 = gf_clock_now();

	if (gf_pool_map(px->pool, tasks, n, (size_t)gf_posix_chunksize(o), results)) {
		gf_proc_error("%s", gf_pool_error(px->pool));
		return -1;
	}
	gf_phases_add(&rep->phases, "map", gf_clock_now() - t0);
	/* A worker that died was replaced and its tasks run again: the run goes on, but says so. */
	gf_pool_get_stats(px->pool, &st);
	if (st.replaced > px->replaced_seen) {
		gf_proc_error("%s; replaced it and ran its unfinished tasks again", st.last_death);
		px->replaced_seen = st.replaced;
		snprintf(rep->notes, GF_NOTES_MAX,
			 "%d pool worker(s) died and were replaced, %ld task(s) run again (last: "
			 "%s)",
			 st.replaced, st.rerun, st.last_death);
	}
	return 0;
}

void gf_posix_resize_teardown(struct gf_posix *px)
{
	if (!px->pool)
		return;
	gf_pool_close(px->pool);
	if (gf_pool_join(px->pool))
		gf_proc_error("%s", gf_pool_error(px->pool));
	gf_pool_free(px->pool);
	px->pool = NULL;
}
