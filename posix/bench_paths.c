/*
 * gilfree-posix bench paths: pixels through pipes, against offsets into a mapped file.
 */
/* MAP_ANONYMOUS: a shared segment with no file behind it (not in POSIX.1-2008) */
#define _DEFAULT_SOURCE
#include "bench_posix.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct paths_arg {
	int fd; /* the image file, inherited */
	size_t n;
};

static int paths_worker(int w, int in, int out, void *arg)
{
	struct paths_arg *a = arg;
	uint8_t *buf = malloc(a->n);
	struct gf_image_order ord;
	int64_t images = 0, bytes = 0;
	uint64_t sum = 0;
	int rc;

	if (!buf)
		return 1;
	while ((rc = read_record(in, &ord, sizeof(ord))) == 0) {
		uint64_t s = 0;

		if (ord.id < 0) {
			if (gf__send_record(out, w, images, sum, bytes))
				break;
			images = 0, sum = 0, bytes = 0;
			continue;
		}
		if (ord.frames) {
			if (read_record(in, buf, (size_t)ord.bytes))
				break;
			bytes += ord.bytes;
			s = gf_bench_checksum(buf, (size_t)ord.bytes);
		} else if (gf_bench_map_checksum(a->fd, ord.offset, (size_t)ord.bytes, &s)) {
			break;
		}
		sum += s;
		images++;
	}
	free(buf);
	return rc == -EPIPE ? 0 : 1;
}

/*
 * Sends one round of orders: every image, round robin (with frames, its pixels after its
 * order), then an end order to every worker. Adds the bytes written to *moved. Returns 0 or
 * a negative errno.
 */
static int paths_round(struct crew *crew, const struct gf_bench_opts *o, const uint8_t *images,
		       size_t n, int frames, int64_t *moved)
{
	int rc = 0;

	/* round robin, as Pool.map's chunks would go with chunksize 1 */
	for (int64_t id = 0; id < o->images && rc == 0; id++) {
		struct gf_image_order ord = { id, id * (int64_t)n, (int64_t)n, frames };
		int to = crew->order[id % o->workers];

		rc = gf_write_full(to, &ord, sizeof(ord));
		*moved += (int64_t)sizeof(ord);
		if (rc == 0 && frames) {
			rc = gf_write_full(to, images + (size_t)id * n, n);
			*moved += (int64_t)n;
		}
	}
	for (int w = 0; w < o->workers && rc == 0; w++) {
		struct gf_image_order end = { -1, 0, 0, 0 };

		rc = gf_write_full(crew->order[w], &end, sizeof(end));
	}
	return rc;
}

int gf__posix_bench_paths(void *ctx, struct gf_bench_out *b, const struct gf_bench_opts *o)
{
	(void)ctx;
	size_t n = (size_t)(o->width * o->height);
	uint64_t want;
	uint8_t *images = gf_bench_images(o, &want);
	double *t = malloc((size_t)o->reps * sizeof(double));
	struct paths_arg a = { -1, n };
	int rc = 0;

	if (!images || !t) {
		free(images);
		free(t);
		return -ENOMEM;
	}
	a.fd = gf_bench_image_file(o, images, NULL, 0);
	if (a.fd < 0) {
		rc = a.fd;
		goto out;
	}
	for (int frames = 1; frames >= 0 && rc == 0; frames--) {
		struct crew crew;
		int ok = 1;
		int64_t moved = 0, sent = 0, received = 0;

		rc = gf__crew_start(&crew, o->workers, paths_worker, &a, &a.fd, 1);
		if (rc)
			break;
		for (int rep = -1; rep < o->reps && rc == 0; rep++) {
			double t0 = gf_clock_now();
			struct record r;

			moved = 0;
			rc = paths_round(&crew, o, images, n, frames, &moved);
			if (rc == 0)
				rc = gf__crew_collect(&crew, &r);
			if (rc)
				break;
			if (rep >= 0)
				t[rep] = gf_clock_now() - t0;
			sent = frames ? o->images * (int64_t)n : 0;
			received = r.bytes;
			ok = ok && r.sum == want && r.count == o->images && received == sent;
		}
		if (gf__crew_end(&crew) && rc == 0)
			rc = -ECHILD;
		if (rc == 0) {
			gf_bench_row(b, frames ? "pipe_frames" : "mmap_paths",
				     frames ? "%lld images of %lldx%lld bytes through pipes, %d "
					      "workers"
					    : "%lld images of %lldx%lld bytes, workers map their "
					      "slice by offset, %d workers",
				     (long long)o->images, (long long)o->width,
				     (long long)o->height, o->workers);
			gf_bench_paths_row(b, o, moved, sent, received, t, ok);
		}
	}
out:
	if (a.fd >= 0)
		close(a.fd);
	free(images);
	free(t);
	return rc;
}
