#include "posix_backend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gf_clock.h"
#include "proc.h"

/*
 * Example 25.3: Pool.map. The pool is started once, before the first repetition, as the
 * lecture teaches (its start-up is a one-time cost, reported as the setup phases pool_start
 * and worker_start_mean), and every repetition maps the images over it in chunks: the given
 * --chunksize, or Python's default of ceil(images / (4 * workers)).
 */
int gf_posix_resize_setup(struct gf_posix *px, const struct gf_options *o, struct gf_phases *setup,
			  char *err)
{
	struct gf_pool_stats st;
	char why[256];

	int rc = gf_pool_create(px->prog, o->workers, gf_posix_start(o), &px->pool, why,
				sizeof(why));

	if (rc) {
		gf_proc_why(rc, why, err, GF_ERR_MAX);
		return rc < 0 ? rc : -EIO;
	}
	px->cpu_base = calloc((size_t)o->workers, sizeof(*px->cpu_base));
	px->pid_base = calloc((size_t)o->workers, sizeof(*px->pid_base));
	if (!px->cpu_base || !px->pid_base) {
		snprintf(err, GF_ERR_MAX, "out of memory");
		return -ENOMEM;
	}
	gf_pool_set_task_timeout(px->pool, gf_posix_task_timeout(o));
	gf_pool_get_stats(px->pool, &st);
	gf_phases_add(setup, "pool_start", st.start_seconds);
	gf_phases_add(setup, "worker_start_mean", st.worker_start_mean);
	return 0;
}

/* Appends one remark to the report's notes. */
static void note_add(struct gf_rep *rep, const char *note)
{
	size_t len = strlen(rep->notes);

	snprintf(rep->notes + len, GF_NOTES_MAX - len, "%s%s", len ? "; " : "", note);
}

/* Says, on stderr and in the report's notes, what the pool did about workers lost so far. */
static void note_losses(struct gf_posix *px, struct gf_rep *rep)
{
	struct gf_pool_stats st;
	char note[GF_NOTES_MAX];
	int timed_out, died;

	gf_pool_get_stats(px->pool, &st);
	timed_out = st.timed_out - px->timed_out_seen;
	died = (st.replaced - st.timed_out) - (px->replaced_seen - px->timed_out_seen);
	if (timed_out > 0) {
		char tasks[48] = "its task";

		if (st.last_timeout_tasks != 1)
			snprintf(tasks, sizeof(tasks), "its %ld unanswered tasks",
				 st.last_timeout_tasks);
		gf_proc_error(px->prog, "%s: killed and replaced it; %s will run again",
			      st.last_timeout, tasks);
		snprintf(note, sizeof(note), "%s: killed and replaced; %s ran again%s",
			 st.last_timeout, tasks,
			 timed_out > 1 ? " (the last of several so killed)" : "");
		note_add(rep, note);
	}
	if (died > 0) {
		/* A worker that died was replaced and its tasks run again: the run says so. */
		gf_proc_error(px->prog, "%s; replaced it and ran its unfinished tasks again",
			      st.last_death);
		snprintf(note, sizeof(note),
			 "%d pool worker(s) died and were replaced, %ld task(s) run again (last: "
			 "%s)",
			 st.replaced, st.rerun, st.last_death);
		note_add(rep, note);
	}
	px->replaced_seen = st.replaced;
	px->timed_out_seen = st.timed_out;
}

int gf_posix_resize(struct gf_posix *px, const struct gf_options *o, const struct gf_task *tasks,
		    size_t n, struct gf_result *results, struct gf_rep *rep)
{
	const struct gf_proc *procs = gf_pool_procs(px->pool);
	double t0;
	int rc;

	/* the workers outlive the repetition: their CPU time is counted from here */
	for (int i = 0; i < o->workers; i++) {
		px->cpu_base[i] = procs[i].cpu_s;
		px->pid_base[i] = procs[i].pid;
	}
	t0 = gf_clock_now();
	rc = gf_pool_map(px->pool, tasks, n, (size_t)gf_posix_chunksize(o), results);
	if (rc) {
		/* the run ends here: its workers go now, not at the tear-down */
		gf_pool_terminate(px->pool);
		gf_proc_why(rc, gf_pool_error(px->pool), rep->err, GF_ERR_MAX);
		return -1;
	}
	gf_phases_add(&rep->phases, "map", gf_clock_now() - t0);
	rep->run_cpu +=
		gf_procs_cpu(procs, o->workers, px->cpu_base, px->pid_base, rep->cpu, rep->place);
	note_losses(px, rep);
	return 0;
}

void gf_posix_resize_teardown(struct gf_posix *px)
{
	int rc;

	free(px->cpu_base);
	free(px->pid_base);
	px->cpu_base = NULL;
	px->pid_base = NULL;
	if (!px->pool)
		return;
	gf_pool_close(px->pool);
	rc = gf_pool_join(px->pool);
	if (rc)
		gf_proc_report(px->prog, rc, gf_pool_error(px->pool));
	gf_pool_free(px->pool);
	px->pool = NULL;
}
