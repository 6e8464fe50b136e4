#include "posix_backend.h"

#include <errno.h>
#include <stdlib.h>

#include "gf_clock.h"
#include "gf_io.h"
#include "proc.h"

/*
 * Example 25.1: one Process per worker. Worker w gets its own two pipes: its task arrives on
 * one (then end of file: it has nothing else to do) and its (worker, total) goes back on the
 * other, which is what crosses the process boundary where Python used a Manager's server. The
 * parent collects every result, then joins every child and checks its exit status.
 */
int gf_posix_sum(struct gf_posix *px, const struct gf_options *o, const struct gf_task *tasks,
		 size_t n, struct gf_result *results, struct gf_rep *rep)
{
	int w = (int)n, started = 0, rc = -ENOMEM;
	struct gf_proc *procs = calloc(n, sizeof(*procs));
	int *tfd = malloc(n * sizeof(int)), *rfd = malloc(n * sizeof(int));
	struct gf_gather g = { .rfds = rfd, .nr = w, .out_fd = -1 };
	char err[256] = "out of memory";
	double t0 = gf_clock_now();

	for (int i = 0; tfd && rfd && i < w; i++)
		tfd[i] = rfd[i] = -1; /* before any exit, which closes what is not -1 */
	if (!procs || !tfd || !rfd)
		goto out;
	for (int i = 0; i < w; i++) {
		rc = gf_proc_start_piped(&procs[i], px->prog, i, gf_posix_start(o), &tfd[i],
					 &rfd[i], err, sizeof(err));
		if (rc)
			goto out;
		started++;
	}
	/* One task frame per pipe: far below its capacity, so these writes never block. A
	   worker already dead gives -EPIPE here; the gather below names it. */
	for (int i = 0; i < w; i++) {
		struct gf_frame h = { .kind = GF_FRAME_TASK, .count = 1 };

		gf_frame_send(tfd[i], &h, &tasks[i]);
		gf_fd_close(&tfd[i]);
	}
out:
	rc = gf_procs_conclude(procs, w, started, &g, results, n, t0, rep, rc, err, sizeof(err));
	for (int i = 0; tfd && rfd && i < w; i++) {
		gf_fd_close(&tfd[i]);
		gf_fd_close(&rfd[i]);
	}
	free(procs);
	free(tfd);
	free(rfd);
	return rc ? -1 : 0;
}
