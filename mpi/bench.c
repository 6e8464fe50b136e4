/*
 * gilfree-mpi bench: the lecture's costs for MPI ranks. What MPI_Init costs each rank and
 * what a rank weighs; point-to-point latency and bandwidth as osu_latency and osu_bw measure
 * them (warm-up iterations skipped, two page-aligned buffers, half the round trip, a window
 * of non-blocking sends), and the ping-pong through one buffer; MPI_Scatter and MPI_Gather; a
 * shared-memory window (Value/Array's counterpart); a counter through one-sided operations; the
 * grain sweep; and frames against paths.
 *
 * Every rank runs every experiment together; rank 0 prints. A checked quantity is agreed
 * over all ranks before it is printed, and the exit status is agreed before returning, so the
 * ranks always leave together.
 */
#include "mpi_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gf_bench.h"

static int startup(struct gf_bench_out *b, const struct gf_bench_opts *o);
static int ipc(struct gf_bench_out *b, const struct gf_bench_opts *o);
static int counter(struct gf_bench_out *b, const struct gf_bench_opts *o);
static int grain(struct gf_bench_out *b, const struct gf_bench_opts *o);
static int paths(struct gf_bench_out *b, const struct gf_bench_opts *o);

static const struct gf_bench_cli cli = {
    .prog = "gilfree-mpi",
    .backend = "mpi",
    .methods =
	{
	    [GF_BENCH_STARTUP] = "MPI_Init per rank, memory per rank (mpiexec to MPI_Init: "
				 "scripts/py_bench.py startup --mpi)",
	    [GF_BENCH_IPC] = "ping-pong (osu_latency) and through one buffer, a window of 64 "
			     "Isends (osu_bw), MPI_Scatter, MPI_Gather, MPI_Win_allocate_shared; "
			     "memcpy",
	    [GF_BENCH_COUNTER] = "MPI_Fetch_and_op, MPI_Accumulate, MPI_Reduce",
	    [GF_BENCH_GRAIN] = "tasks dealt cyclically to the ranks, MPI_Reduce",
	    [GF_BENCH_PATHS] = "pixels in MPI messages, against offsets into a mapped file",
	},
    .run = {startup, ipc, counter, grain, paths},
};

/*
 * What the experiments share, handed to each as o->ctx rather than kept in file statics, so
 * that ranks that share one process (a simulator's) each keep their own.
 */
struct bench_ctx {
	struct gf_mpi *mpi; /* this rank's MPI state */
	double ready_at;    /* when this rank entered the bench, by the shared clock: just after
			       its MPI_Init */
};

static struct gf_mpi *mpi_of(const struct gf_bench_opts *o)
{
	return ((const struct bench_ctx *)o->ctx)->mpi;
}

#define WORLD MPI_COMM_WORLD

static int is_root(const struct gf_mpi *mpi)
{
	return mpi->rank == 0;
}

/* Logical and of ok over every rank, known to every rank. */
static int all_ok(int ok)
{
	int all = 0;

	MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_LAND, WORLD);
	return all;
}

/*
 * On rank 0: the time from the earliest rank's t0 to the latest rank's t1, both put on rank
 * 0's clock (gf__mpi_clock_sync), as a repetition's span is (gf__mpi_span_end). The longest
 * of the per-rank durations would miss the time a rank that left the barrier late spent
 * waiting for nothing: a message already there reads as free, below one latency.
 */
static double span_root(const struct gf_mpi *mpi, double t0, double t1)
{
	double mine[2] = { -(t0 - mpi->clock_offset), t1 - mpi->clock_offset }, worst[2] = { 0 };

	MPI_Reduce(mine, worst, 2, MPI_DOUBLE, MPI_MAX, 0, WORLD);
	return worst[1] + worst[0];
}

static void *must_alloc(const struct gf_mpi *mpi, size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		gf__mpi_die(mpi, "out of memory");
	return p;
}

/* Ping-pong, ipc and paths need a partner. Returns -EINVAL (exit 2) after saying why. */
static int need_two(const struct gf_mpi *mpi, const char *exp)
{
	if (mpi->size >= 2)
		return 0;
	if (is_root(mpi))
		fprintf(stderr,
			"%s: bench %s needs at least 2 ranks, the world has 1 "
			"(mpiexec -n 2)\n",
			mpi->prog, exp);
	return -EINVAL;
}

/* ---- start-up ---- */

static int startup(struct gf_bench_out *b, const struct gf_bench_opts *o)
{
	const struct bench_ctx *c = o->ctx;
	struct gf_mpi *mpi = c->mpi;
	double ready_at = c->ready_at; /* a copy: MPI_Reduce's send buffer */
	double *init = must_alloc(mpi, (size_t)mpi->size * sizeof(double)), ready = 0;
	double *pss = must_alloc(mpi, (size_t)mpi->size * sizeof(double));
	double *priv = must_alloc(mpi, (size_t)mpi->size * sizeof(double));
	double mine[2] = { 0, 0 }, *both = must_alloc(mpi, (size_t)mpi->size * 2 * sizeof(double));
	struct gf_mem m;
	int ok;

	(void)o;
	if (gf_bench_smaps(0, &m) == 0) {
		mine[0] = (double)m.pss_kb;
		mine[1] = (double)m.private_kb;
	}
	ok = all_ok(mpi->init_seconds > 0 && mine[0] > 0);
	MPI_Gather(&mpi->init_seconds, 1, MPI_DOUBLE, init, 1, MPI_DOUBLE, 0, WORLD);
	MPI_Gather(mine, 2, MPI_DOUBLE, both, 2, MPI_DOUBLE, 0, WORLD);
	MPI_Reduce(&ready_at, &ready, 1, MPI_DOUBLE, MPI_MAX, 0, WORLD);
	if (is_root(mpi)) {
		struct gf_stats st = gf_bench_stats_of(init, (size_t)mpi->size), sp, sv;

		for (int r = 0; r < mpi->size; r++) {
			pss[r] = both[2 * r];
			priv[r] = both[2 * r + 1];
		}
		sp = gf_bench_stats_of(pss, (size_t)mpi->size);
		sv = gf_bench_stats_of(priv, (size_t)mpi->size);
		gf_bench_row(b, "mpi_init",
			     "MPI_Init in each of %d ranks (min, median, max over ranks); memory "
			     "per rank, median",
			     mpi->size);
		gf_bench_int(b, "workers", mpi->size);
		gf_bench_stats(b, "lat_us", &st, 1e6);
		gf_bench_num(b, "pss_kb", sp.median);
		gf_bench_num(b, "private_kb", sv.median);
		/* the shared clock when the last rank was ready: py_bench.py subtracts its
		   own reading taken before mpiexec */
		gf_bench_int(b, "ready_us", (int64_t)(ready * 1e6));
		gf_bench_check(b, ok);
		gf_bench_end(b);
	}
	free(init);
	free(pss);
	free(priv);
	free(both);
	return 0;
}

/* ---- IPC ---- */

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
static void pingpong(struct gf_bench_out *b, const struct gf_bench_opts *o, int64_t size,
		     unsigned char *sbuf, unsigned char *rbuf, int one, double *t)
{
	struct gf_mpi *mpi = mpi_of(o);
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
static void bandwidth(struct gf_bench_out *b, const struct gf_bench_opts *o, int64_t size,
		      unsigned char *buf, double *t)
{
	struct gf_mpi *mpi = mpi_of(o);
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
 * with its rank and the round. The time of a round is its slowest rank's.
 */
static void collective(struct gf_bench_out *b, const struct gf_bench_opts *o, int64_t size,
		       int gather, unsigned char *mine, unsigned char *all, double *t)
{
	struct gf_mpi *mpi = mpi_of(o);
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
static void win_shared(struct gf_bench_out *b, const struct gf_bench_opts *o, unsigned char *buf,
		       double *t)
{
	struct gf_mpi *mpi = mpi_of(o);
	MPI_Comm node;
	MPI_Win win;
	MPI_Aint len;
	unsigned char *base = NULL;
	int node_size, disp, node_rank;

	MPI_Comm_split_type(WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
	MPI_Comm_size(node, &node_size);
	MPI_Comm_rank(node, &node_rank);
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

static int ipc(struct gf_bench_out *b, const struct gf_bench_opts *o)
{
	struct gf_mpi *mpi = mpi_of(o);
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
		pingpong(b, o, s, buf, rbuf, 0, t);
	for (int64_t s = o->min_size; s; s = gf_bench_next_size(o, s))
		pingpong(b, o, s, buf, rbuf, 1, t);
	for (int64_t s = o->min_size; s; s = gf_bench_next_size(o, s))
		bandwidth(b, o, s, buf, t);
	for (int64_t s = o->min_size; s; s = gf_bench_next_size(o, s))
		collective(b, o, s, 0, buf, all, t);
	for (int64_t s = o->min_size; s; s = gf_bench_next_size(o, s))
		collective(b, o, s, 1, buf, all, t);
	win_shared(b, o, buf, t);
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

/* ---- shared state: a counter on rank 0 ---- */

enum counter_kind { COUNT_FETCH, COUNT_ACC, COUNT_REDUCE };

static int counter(struct gf_bench_out *b, const struct gf_bench_opts *o)
{
	struct gf_mpi *mpi = mpi_of(o);
	static const char *const names[] = { "mpi_fetch_and_op", "mpi_accumulate", "mpi_reduce" };
	static const char *const titles[] = {
		"a counter in an MPI window on rank 0, MPI_Fetch_and_op and MPI_Win_flush each",
		"a counter in an MPI window on rank 0, MPI_Accumulate and MPI_Win_flush each",
		"a private count per rank, MPI_Reduce at the end",
	};
	int64_t *base = NULL, mine = gf_share(o->count, mpi->size, mpi->rank);
	double *t = must_alloc(mpi, (size_t)o->reps * sizeof(double));
	MPI_Win win;

	MPI_Win_allocate(is_root(mpi) ? (MPI_Aint)sizeof(int64_t) : 0, sizeof(int64_t),
			 MPI_INFO_NULL, WORLD, &base, &win);
	for (int k = COUNT_FETCH; k <= COUNT_REDUCE; k++) {
		int64_t final = -1, one = 1, old, zero = 0;
		int ok = 1;

		for (int rep = -1; rep < o->reps; rep++) {
			double t0, dt;

			if (is_root(mpi)) {
				MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, win);
				MPI_Put(&zero, 1, MPI_INT64_T, 0, 0, 1, MPI_INT64_T, win);
				MPI_Win_unlock(0, win);
			}
			gf__mpi_start_together(mpi);
			t0 = gf_clock_now();
			if (k == COUNT_REDUCE) {
				volatile int64_t local = 0;

				for (int64_t i = 0; i < mine; i++)
					local = local + 1;
				old = local;
				MPI_Reduce(&old, &final, 1, MPI_INT64_T, MPI_SUM, 0, WORLD);
			} else {
				MPI_Win_lock_all(0, win);
				for (int64_t i = 0; i < mine; i++) {
					if (k == COUNT_FETCH)
						MPI_Fetch_and_op(&one, &old, MPI_INT64_T, 0, 0,
								 MPI_SUM, win);
					else
						MPI_Accumulate(&one, 1, MPI_INT64_T, 0, 0, 1,
							       MPI_INT64_T, MPI_SUM, win);
					MPI_Win_flush(0, win);
				}
				MPI_Win_unlock_all(win);
			}
			dt = span_root(mpi, t0, gf_clock_now());
			if (rep >= 0)
				t[rep] = dt;
			if (k != COUNT_REDUCE) {
				MPI_Barrier(WORLD);
				if (is_root(mpi)) {
					MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, win);
					MPI_Get(&final, 1, MPI_INT64_T, 0, 0, 1, MPI_INT64_T, win);
					MPI_Win_unlock(0, win);
				}
			}
			ok = ok && (!is_root(mpi) || final == o->count);
		}
		ok = all_ok(ok);
		if (is_root(mpi)) {
			gf_bench_row(b, names[k], "%s", titles[k]);
			gf_bench_counter_row(b, o, mpi->size, t, o->reps, final, ok);
		}
	}
	MPI_Win_free(&win);
	free(t);
	return 0;
}

/* ---- grain ---- */

static void grain_ready(void *ctx)
{
	gf__mpi_start_together(ctx);
}

/* One run of the grain sweep: the tasks dealt cyclically, the sums reduced on rank 0. */
static int grain_par(void *ctx, int64_t value, int64_t tasks, int64_t units, uint64_t *got)
{
	const struct gf_mpi *mpi = ctx;
	uint64_t mine = 0;

	(void)value;
	*got = 0;
	for (int64_t i = mpi->rank; i < tasks; i += mpi->size)
		mine += gf_bench_work(units);
	MPI_Reduce(&mine, got, 1, MPI_UINT64_T, MPI_SUM, 0, WORLD);
	return 0;
}

static int grain_agree(void *ctx, int ok)
{
	(void)ctx;
	return all_ok(ok);
}

/* Rank 0's units of a grain point, which its baseline measured, to every rank. */
static int64_t grain_share(void *ctx, int64_t units)
{
	(void)ctx;
	MPI_Bcast(&units, 1, MPI_INT64_T, 0, WORLD);
	return units;
}

static int grain(struct gf_bench_out *b, const struct gf_bench_opts *o)
{
	struct gf_mpi *mpi = mpi_of(o);
	/* rank 0 calibrates alone and every rank takes its unit, so all turn a grain into the
	   same units */
	double unit = is_root(mpi) ? gf_bench_calibrate(b) : 0;
	char title[96];
	/* the tasks per grain are dealt to the ranks, whatever --workers says */
	struct gf_bench_grain g = {
		.method = "mpi_ranks",
		.title = title,
		.workers = mpi->size,
		.root = is_root(mpi),
		.ready = grain_ready,
		.par = grain_par,
		.agree = grain_agree,
		.share = grain_share,
		.ctx = mpi,
	};

	gf__mpi_barrier(mpi); /* the others wait asleep, not spinning beside the calibration */
	MPI_Bcast(&unit, 1, MPI_DOUBLE, 0, WORLD);
	gf_bench_set_unit(b, unit);
	snprintf(title, sizeof(title), "%d ranks, tasks dealt cyclically, MPI_Reduce", mpi->size);
	return gf_bench_grain_sweep(b, o, &g);
}

/* ---- paths, not frames ---- */

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

static int paths(struct gf_bench_out *b, const struct gf_bench_opts *o)
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

int gf_mpi_bench(void *ctx, int argc, char **argv)
{
	struct bench_ctx bc = { .mpi = ctx, .ready_at = gf_clock_now() };
	struct gf_bench_cli with_ctx = cli;
	int status, agreed = 0;

	with_ctx.ctx = &bc;
	/* the collectives' times on one time base, across hosts too */
	gf__mpi_count_hosts(bc.mpi);
	gf__mpi_clock_sync(bc.mpi);
	status = gf_bench_main(argc, argv, &with_ctx, bc.mpi->rank == 0);
	/* a wrong quantity is known on rank 0 only: every rank leaves with the same status */
	MPI_Allreduce(&status, &agreed, 1, MPI_INT, MPI_MAX, WORLD);
	return agreed;
}
