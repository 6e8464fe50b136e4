/* gilfree-mpi bench paths: pixels in MPI messages, against offsets into a mapped file. */
#include "bench.h"

#include <fcntl.h>
#include <unistd.h>

/* Takes orders (with frames, a second message carries the pixels) until one with id -1. */
static void paths_worker(int fd, uint8_t *buf, int64_t tot[3])
{
	struct gf_image_order ord;

	for (;;) {
		uint64_t s = 0;

		MPI_Recv(&ord, (int)sizeof(ord), MPI_BYTE, 0, 7, WORLD, MPI_STATUS_IGNORE);
		if (ord.id < 0)
			return;
		if (ord.frames) {
			MPI_Status st;
			int c = 0;

			MPI_Recv(buf, (int)ord.bytes, MPI_BYTE, 0, 8, WORLD, &st);
			MPI_Get_count(&st, MPI_BYTE, &c);
			tot[2] += c;
			s = gf_bench_checksum(buf, (size_t)c);
		} else if (gf_bench_map_checksum(fd, ord.offset, (size_t)ord.bytes, &s)) {
			tot[0] = -1;
		}
		tot[1] += (int64_t)s;
		if (tot[0] >= 0)
			tot[0]++;
	}
}

/*
 * Rank 0 writes the images into a file (*images, their checksum in *want); every rank opens it
 * by name; then it is unlinked. Returns the rank's descriptor, or -1 on every rank where any
 * rank could not open it (the images freed).
 */
static int paths_share(struct gf_mpi *mpi, const struct gf_bench_opts *o, uint8_t **images,
		       uint64_t *want)
{
	char path[4096] = "";
	int fd = -1, opened;

	if (is_root(mpi)) {
		*images = gf_bench_images(o, want);
		if (!*images)
			gf__mpi_die(mpi, "out of memory");
		fd = gf_bench_image_file(o, *images, path, sizeof(path));
		if (fd < 0)
			path[0] = '\0';
	}
	MPI_Bcast(path, sizeof(path), MPI_CHAR, 0, WORLD);
	if (!is_root(mpi) && path[0])
		fd = open(path, O_RDONLY);
	opened = all_ok(fd >= 0);
	if (is_root(mpi) && path[0])
		unlink(path);
	if (opened)
		return fd;
	if (fd >= 0)
		close(fd);
	free(*images);
	*images = NULL;
	return -1;
}

/* Rank 0's part of a repetition: every image's order dealt cyclically to the worker ranks
   (with frames, its pixels after it), then an end order to each. Returns the bytes sent. */
static int64_t paths_deal(const struct gf_mpi *mpi, const struct gf_bench_opts *o,
			  const uint8_t *images, size_t n, int frames)
{
	int64_t moved = 0;

	for (int64_t id = 0; id < o->images; id++) {
		struct gf_image_order ord = { id, id * (int64_t)n, (int64_t)n, frames };
		int to = 1 + (int)(id % (mpi->size - 1));

		MPI_Send(&ord, (int)sizeof(ord), MPI_BYTE, to, 7, WORLD);
		moved += (int64_t)sizeof(ord);
		if (frames) {
			MPI_Send(images + (size_t)id * n, (int)n, MPI_BYTE, to, 8, WORLD);
			moved += (int64_t)n;
		}
	}
	for (int r = 1; r < mpi->size; r++) {
		struct gf_image_order end = { -1, 0, 0, 0 };

		MPI_Send(&end, (int)sizeof(end), MPI_BYTE, r, 7, WORLD);
	}
	return moved;
}

int gf__mpi_bench_paths(struct gf_bench_out *b, const struct gf_bench_opts *o)
{
	struct gf_mpi *mpi = mpi_of(o);
	size_t n = (size_t)(o->width * o->height);
	uint8_t *buf = NULL, *images = NULL;
	double *t;
	uint64_t want = 0;
	int fd, rc = need_two(mpi, "paths");

	if (rc)
		return rc;
	fd = paths_share(mpi, o, &images, &want);
	if (fd < 0)
		return -EIO;
	t = must_alloc(mpi, (size_t)o->reps * sizeof(double));
	if (!is_root(mpi))
		buf = must_alloc(mpi, n);
	for (int frames = 1; frames >= 0; frames--) {
		int64_t moved = 0, sent = 0, tot[3] = { 0, 0, 0 }, all[3] = { 0, 0, 0 };
		int ok = 1;

		for (int rep = -1; rep < o->reps; rep++) {
			double t0;

			tot[0] = tot[1] = tot[2] = 0;
			gf__mpi_start_together(mpi);
			t0 = gf_clock_now();
			if (is_root(mpi))
				moved = paths_deal(mpi, o, images, n, frames);
			else
				paths_worker(fd, buf, tot);
			MPI_Reduce(tot, all, 3, MPI_INT64_T, MPI_SUM, 0, WORLD);
			if (rep >= 0)
				t[rep] = gf_clock_now() - t0;
			sent = frames ? o->images * (int64_t)n : 0;
			ok = ok && (!is_root(mpi) || ((uint64_t)all[1] == want &&
						      all[0] == o->images && all[2] == sent));
		}
		ok = all_ok(ok);
		if (is_root(mpi)) {
			gf_bench_row(b, frames ? "mpi_frames" : "mmap_paths",
				     frames ? "%lld images of %lldx%lld bytes in MPI messages, %d "
					      "worker ranks"
					    : "%lld images of %lldx%lld bytes, worker ranks map "
					      "their slice by offset, %d worker ranks",
				     (long long)o->images, (long long)o->width,
				     (long long)o->height, mpi->size - 1);
			gf_bench_paths_row(b, o, moved, sent, all[2], t, ok);
		}
	}
	close(fd);
	free(images);
	free(buf);
	free(t);
	return 0;
}
