/*
 * gilfree-mpi bench ipc: point-to-point latency and bandwidth as osu_latency and osu_bw
 * measure them, the ping-pong through one buffer, MPI_Scatter and MPI_Gather, a shared-memory
 * window; and memcpy.
 */
#include "bench_mpi.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gf_bench.h"

/*
 * osu_latency: rank 0 sends from one buffer and receives into another, rank 1 receives into
 * its other buffer and sends from its first; the buffers are page-aligned and apart
 * (gf_bench_pingpong_buffers). Latency is half a round trip: one clock reading per round
 * trip, from the first timed one on, so the samples add up to the whole timed loop and their
 * mean (avg_us) is osu_latency's elapsed time over twice the iterations. Each side stamps the
 * message it sends and checks the one it receives, three bytes each: rank 0's with twice the
 * round, rank 1's answer with twice the round plus one, so that a stale message, or one that
 * is not the other rank's, fails the check.
 *
 * one: both ranks receive into the buffer they send from, and rank 1 sends back the very
 * bytes it received, stamped as its answer. The bytes each rank sends next are then the ones
 * the last receive has just written, which can cost more than osu_latency's method at large
 * sizes: the row is kept beside mpi_pingpong to show that cost.
 */
static void pingpong(struct gf_mpi *mpi, struct gf_bench_out *b, const struct gf_bench_opts *o,
		     int64_t size, unsigned char *sbuf, unsigned char *rbuf, int one, double *t)
{
	unsigned char *in = one ? sbuf : rbuf;
	int iters, warmup, ok = 1, n = (int)size;
	double last = 0;

	gf_bench_iters(o, size, &iters, &warmup);
	gf__mpi_start_together(mpi);
	for (int i = -warmup; i < iters; i++) {
		if (mpi->rank == 0) {
			if (i == 0)
				last = gf_clock_now();
			gf_bench_stamp(sbuf, size, 2 * i);
			MPI_Send(sbuf, n, MPI_BYTE, 1, 1, WORLD);
			MPI_Recv(in, n, MPI_BYTE, 1, 1, WORLD, MPI_STATUS_IGNORE);
			if (i >= 0) {
				double now = gf_clock_now();

				t[i] = (now - last) / 2;
				last = now;
			}
			ok = ok && gf_bench_stamped(in, size, 2 * i + 1);
		} else if (mpi->rank == 1) {
			MPI_Recv(in, n, MPI_BYTE, 0, 1, WORLD, MPI_STATUS_IGNORE);
			ok = ok && gf_bench_stamped(in, size, 2 * i);
			gf_bench_stamp(sbuf, size, 2 * i + 1); /* one: the bytes just received */
			MPI_Send(sbuf, n, MPI_BYTE, 0, 1, WORLD);
		}
	}
	ok = all_ok(ok);
	if (is_root(mpi))
		gf_bench_pingpong_row(
			b, one ? "mpi_pingpong_one_buffer" : "mpi_pingpong",
			one ? "as mpi_pingpong, but each rank receives into the buffer it sends "
			      "from: kept to show what reusing one buffer costs"
			    : "ranks 0 and 1, MPI_Send from a page-aligned buffer, MPI_Recv into "
			      "another, half the round trip (osu_latency)",
			size, t, (size_t)iters, ok);
}

/*
 * osu_bw: rank 0 posts a window of non-blocking sends of one buffer, rank 1 the matching
 * receives into one buffer, then rank 1 answers with the bytes it received. Bandwidth is all
 * the bytes over all the time (gf_bench_window has the plan).
 */
static void bandwidth(struct gf_mpi *mpi, struct gf_bench_out *b, const struct gf_bench_opts *o,
		      int64_t size, unsigned char *buf, double *t)
{
	int64_t sent = 0, received = 0;
	MPI_Request req[GF_BENCH_WINDOW];
	int iters, warmup, window, ok = 1, n = (int)size;

	gf_bench_window(o, size, &window, &iters, &warmup);
	gf__mpi_start_together(mpi);
	for (int i = -warmup; i < iters; i++) {
		if (mpi->rank == 0) {
			double t0 = gf_clock_now();
			int64_t ack = 0;

			gf_bench_stamp(buf, size, i);
			for (int w = 0; w < window; w++)
				MPI_Isend(buf, n, MPI_BYTE, 1, 100, WORLD, &req[w]);
			MPI_Waitall(window, req, MPI_STATUSES_IGNORE);
			MPI_Recv(&ack, 1, MPI_INT64_T, 1, 101, WORLD, MPI_STATUS_IGNORE);
			if (i >= 0) {
				t[i] = gf_clock_now() - t0;
				sent += (int64_t)window * size;
				received += ack;
			}
		} else if (mpi->rank == 1) {
			MPI_Status st[GF_BENCH_WINDOW];
			int64_t got = 0;

			for (int w = 0; w < window; w++)
				MPI_Irecv(buf, n, MPI_BYTE, 0, 100, WORLD, &req[w]);
			MPI_Waitall(window, req, st);
			for (int w = 0; w < window; w++) {
				int c = 0;

				MPI_Get_count(&st[w], MPI_BYTE, &c);
				got += c;
			}
			ok = ok && gf_bench_stamped(buf, size, i);
			MPI_Send(&got, 1, MPI_INT64_T, 0, 101, WORLD);
		}
	}
	ok = all_ok(ok);
	if (is_root(mpi))
		gf_bench_bw_row(b, "mpi_bw",
				"rank 0 to 1, a window of MPI_Isend, bytes over time (osu_bw)",
				size, window, t, (size_t)iters, sent, received, ok);
}

/*
 * MPI_Scatter (gather == 0) or MPI_Gather of size bytes per rank, each rank's block stamped
 * with its rank and the round. The time of a round runs from the first rank's start to the
 * last rank's end, on one time base.
 */
static void collective(struct gf_mpi *mpi, struct gf_bench_out *b, const struct gf_bench_opts *o,
		       int64_t size, int gather, unsigned char *mine, unsigned char *all, double *t)
{
	int iters, warmup, ok = 1, n = (int)size, p = mpi->size;

	gf_bench_iters(o, size, &iters, &warmup);
	gf__mpi_start_together(mpi);
	for (int i = -warmup; i < iters; i++) {
		double t0, dt;

		if (gather)
			gf_bench_stamp(mine, size, i + mpi->rank);
		else if (is_root(mpi))
			for (int r = 0; r < p; r++)
				gf_bench_stamp(all + (size_t)r * (size_t)size, size, i + r);
		MPI_Barrier(WORLD);
		t0 = gf_clock_now();
		if (gather)
			MPI_Gather(mine, n, MPI_BYTE, all, n, MPI_BYTE, 0, WORLD);
		else
			MPI_Scatter(all, n, MPI_BYTE, mine, n, MPI_BYTE, 0, WORLD);
		dt = span_root(mpi, t0, gf_clock_now());
		if (i >= 0)
			t[i] = dt;
		if (!gather)
			ok = ok && gf_bench_stamped(mine, size, i + mpi->rank);
		else if (is_root(mpi))
			for (int r = 0; r < p; r++)
				ok = ok &&
				     gf_bench_stamped(all + (size_t)r * (size_t)size, size, i + r);
	}
	ok = all_ok(ok);
	if (is_root(mpi)) {
		struct gf_stats st = gf_bench_stats_of(t, (size_t)iters);

		gf_bench_row(
			b, gather ? "mpi_gather" : "mpi_scatter",
			"%d ranks, size bytes per rank, from the first rank's start to the last "
			"rank's end",
			p);
		gf_bench_int(b, "size", size);
		gf_bench_stats(b, "lat_us", &st, 1e6);
		gf_bench_num(b, "bw_MBps",
			     st.median > 0 ? (double)size * (p - 1) / st.median / 1e6 : 0);
		gf_bench_check(b, ok);
		gf_bench_end(b);
	}
}

/*
 * A shared-memory window on rank 0 (MPI_Win_allocate_shared), the counterpart of Value and
 * Array: rank 0 copies a message in and hands it over with MPI_Win_sync and a barrier; rank
 * 1 reads it in place, stamps its answer and hands it back. Half the round trip.
 */
static void win_shared(struct gf_mpi *mpi, struct gf_bench_out *b, const struct gf_bench_opts *o,
		       unsigned char *buf, double *t)
{
	MPI_Comm node;
	MPI_Win win;
	MPI_Aint len;
	unsigned char *base = NULL;
	int node_size, disp, node_rank, partner;

	MPI_Comm_split_type(WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
	MPI_Comm_size(node, &node_size);
	MPI_Comm_rank(node, &node_rank);
	/* Across hosts rank 0 may have no rank beside it to share memory with: no row to measure,
	   and no failure either (rank 0's word, which every rank follows) */
	partner = node_size >= 2;
	MPI_Bcast(&partner, 1, MPI_INT, 0, WORLD);
	if (!partner) {
		if (is_root(mpi)) {
			gf_bench_note(b, "mpi_win_shared: no partner on rank 0's host, skipped");
			gf_bench_row(b, "mpi_win_shared", "MPI_Win_allocate_shared on rank 0");
			gf_bench_flag(b, "no_partner", 1);
			gf_bench_end(b);
		}
		MPI_Comm_free(&node);
		return;
	}
	MPI_Win_allocate_shared(node_rank == 0 ? (MPI_Aint)o->max_size : 0, 1, MPI_INFO_NULL, node,
				&base, &win);
	MPI_Win_shared_query(win, 0, &len, &disp, &base);
	MPI_Win_lock_all(MPI_MODE_NOCHECK, win);
	for (int64_t size = o->min_size; size; size = gf_bench_next_size(o, size)) {
		int iters, warmup, ok = 1;

		gf_bench_iters(o, size, &iters, &warmup);
		gf__mpi_start_together(mpi);
		for (int i = -warmup; i < iters && node_size >= 2; i++) {
			double t0 = gf_clock_now();

			if (node_rank == 0) {
				gf_bench_stamp(buf, size, i);
				memcpy(base, buf, (size_t)size);
			}
			MPI_Win_sync(win);
			MPI_Barrier(node);
			MPI_Win_sync(win);
			if (node_rank == 1) {
				ok = ok && gf_bench_stamped(base, size, i);
				gf_bench_stamp(base, size, i + 1);
			}
			MPI_Win_sync(win);
			MPI_Barrier(node);
			MPI_Win_sync(win);
			if (node_rank == 0) {
				ok = ok && gf_bench_stamped(base, size, i + 1);
				if (i >= 0)
					t[i] = (gf_clock_now() - t0) / 2;
			}
		}
		ok = all_ok(ok && node_size >= 2);
		if (is_root(mpi))
			gf_bench_latency_row(b, "mpi_win_shared",
					     "MPI_Win_allocate_shared on rank 0, one copy in, "
					     "MPI_Win_sync and MPI_Barrier hand-off",
					     size, t, (size_t)iters, ok);
	}
	MPI_Win_unlock_all(win);
	MPI_Win_free(&win);
	MPI_Comm_free(&node);
}

int gf__mpi_bench_ipc(void *ctx, struct gf_bench_out *b, const struct gf_bench_opts *o)
{
	struct gf_mpi *mpi = mpi_of(ctx);
	size_t max = (size_t)o->max_size;
	unsigned char *buf, *rbuf, *all = NULL;
	double *t;
	int rc = need_two(mpi, "ipc");

	if (rc)
		return rc;
	/* osu_latency's two buffers; the other experiments use the first */
	if (gf_bench_pingpong_buffers(o->max_size, &buf, &rbuf))
		gf__mpi_die(mpi, "out of memory");
	t = must_alloc(mpi, (size_t)(o->iters > 2 ? o->iters : 2) * sizeof(double));
	if (is_root(mpi)) {
		all = must_alloc(mpi, max * (size_t)mpi->size);
		memset(all, 0, max * (size_t)mpi->size);
	}
	for (int64_t s = o->min_size; s; s = gf_bench_next_size(o, s))
		pingpong(mpi, b, o, s, buf, rbuf, 0, t);
	for (int64_t s = o->min_size; s; s = gf_bench_next_size(o, s))
		pingpong(mpi, b, o, s, buf, rbuf, 1, t);
	for (int64_t s = o->min_size; s; s = gf_bench_next_size(o, s))
		bandwidth(mpi, b, o, s, buf, t);
	for (int64_t s = o->min_size; s; s = gf_bench_next_size(o, s))
		collective(mpi, b, o, s, 0, buf, all, t);
	for (int64_t s = o->min_size; s; s = gf_bench_next_size(o, s))
		collective(mpi, b, o, s, 1, buf, all, t);
	win_shared(mpi, b, o, buf, t);
	free(all);
	free(buf);
	free(rbuf);
	free(t);
	/* the copy limit, on rank 0 while the others wait asleep */
	if (is_root(mpi))
		rc = gf_bench_memcpy_table(b, o);
	gf__mpi_barrier(mpi);
	return rc;
}
