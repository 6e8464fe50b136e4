/*
 * The worker pipes' frame format (posix/proc.h): encode and decode give back what went in,
 * no frame exceeds PIPE_BUF, and a torn or foreign frame is an error, in memory, through real
 * pipes and at a real worker process.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gf_io.h"
#include "gf_test.h"
#include "proc.h"

static struct gf_result some_result(int index)
{
	struct gf_result r;

	memset(&r, 0, sizeof(r));
	r.index = index;
	r.worker = 2;
	r.key = 1000 + index;
	r.v[0] = 7 * index;
	r.v[1] = -3;
	r.sum = (gf_u128)1 << 100;
	r.total = 1.0 / 3.0;
	r.seconds = 0.25;
	return r;
}

static void test_round_trip(void)
{
	struct gf_result in[3] = { some_result(0), some_result(1), some_result(2) }, out;
	struct gf_task task = { .workload = GF_SUM, .index = 5, .key = 9, .a = 100, .b = 2 }, t;
	struct gf_frame h = { .kind = GF_FRAME_RESULT, .count = 3, .worker = 2 }, got;
	unsigned char buf[PIPE_BUF];
	const unsigned char *rec;
	size_t size = gf_frame_encode(buf, &h, in);

	CU_ASSERT_EQUAL(size, sizeof(struct gf_frame) + 3 * sizeof(struct gf_result));
	CU_ASSERT_EQUAL(gf_frame_decode(buf, size, &got, &rec), (ssize_t)size);
	CU_ASSERT_EQUAL(got.kind, GF_FRAME_RESULT);
	CU_ASSERT_EQUAL(got.count, 3);
	CU_ASSERT_EQUAL(got.worker, 2);
	for (int k = 0; k < 3; k++) {
		gf_frame_result(rec, k, &out);
		CU_ASSERT(memcmp(&out, &in[k], sizeof(out)) == 0);
	}
	/* the ready frame: pid and clock in fields of their own, no records */
	h = (struct gf_frame){ .kind = GF_FRAME_READY, .worker = 1, .pid = 4242, .clock = 12.5 };
	size = gf_frame_encode(buf, &h, NULL);
	CU_ASSERT_EQUAL(size, sizeof(struct gf_frame));
	CU_ASSERT_EQUAL(gf_frame_decode(buf, size, &got, &rec), (ssize_t)size);
	CU_ASSERT(got.kind == GF_FRAME_READY && got.pid == 4242 && got.clock == 12.5);
	/* task and stop frames have one size */
	h = (struct gf_frame){ .kind = GF_FRAME_TASK, .count = 1 };
	CU_ASSERT_EQUAL(gf_frame_encode(buf, &h, &task), GF_TASK_FRAME);
	CU_ASSERT_EQUAL(gf_frame_decode(buf, GF_TASK_FRAME, &got, &rec), (ssize_t)GF_TASK_FRAME);
	memcpy(&t, rec, sizeof(t));
	CU_ASSERT(memcmp(&t, &task, sizeof(t)) == 0);
	h = (struct gf_frame){ .kind = GF_FRAME_STOP };
	CU_ASSERT_EQUAL(gf_frame_encode(buf, &h, NULL), GF_TASK_FRAME);
	CU_ASSERT_EQUAL(gf_frame_decode(buf, GF_TASK_FRAME, &got, &rec), (ssize_t)GF_TASK_FRAME);
	CU_ASSERT_EQUAL(got.kind, GF_FRAME_STOP);
}

static void test_pipe_buf_bound(void)
{
	struct gf_result *many = calloc(GF_FRAME_MAX_RESULTS + 1, sizeof(*many));
	struct gf_frame h = { .kind = GF_FRAME_RESULT, .count = (int32_t)GF_FRAME_MAX_RESULTS };
	unsigned char buf[PIPE_BUF];
	size_t size;

	CU_ASSERT_FATAL(many != NULL);
	size = gf_frame_encode(buf, &h, many);
	CU_ASSERT(size > 0 && size <= PIPE_BUF);
	CU_ASSERT(size + sizeof(struct gf_result) > PIPE_BUF); /* the bound is the largest */
	/* one more record, none, or a count the kind does not allow: no frame */
	CU_ASSERT_EQUAL(gf_frame_size(GF_FRAME_RESULT, (int32_t)GF_FRAME_MAX_RESULTS + 1), 0);
	CU_ASSERT_EQUAL(gf_frame_size(GF_FRAME_RESULT, 0), 0);
	CU_ASSERT_EQUAL(gf_frame_size(GF_FRAME_RESULT, -1), 0);
	CU_ASSERT_EQUAL(gf_frame_size(GF_FRAME_TASK, 2), 0);
	CU_ASSERT_EQUAL(gf_frame_size(GF_FRAME_READY, 1), 0);
	CU_ASSERT_EQUAL(gf_frame_size(0, 0), 0);
	h.count++;
	CU_ASSERT_EQUAL(gf_frame_encode(buf, &h, many), 0);
	CU_ASSERT_EQUAL(gf_frame_send(1, &h, many), -EINVAL);
	free(many);
}

static void test_torn_and_foreign(void)
{
	struct gf_result r = some_result(4);
	struct gf_frame h = { .kind = GF_FRAME_RESULT, .count = 1 }, got;
	unsigned char buf[PIPE_BUF];
	const unsigned char *rec;
	size_t size = gf_frame_encode(buf, &h, &r);

	/* a frame cut short is not whole yet; anything not a frame is an error */
	CU_ASSERT_EQUAL(gf_frame_decode(buf, size - 1, &got, &rec), 0);
	CU_ASSERT_EQUAL(gf_frame_decode(buf, sizeof(got) - 1, &got, &rec), 0);
	buf[0] ^= 1;
	CU_ASSERT_EQUAL(gf_frame_decode(buf, size, &got, &rec), -EPROTO);
	buf[0] ^= 1;
	memcpy(buf + offsetof(struct gf_frame, count), &(int32_t){ 1000 }, sizeof(int32_t));
	CU_ASSERT_EQUAL(gf_frame_decode(buf, size, &got, &rec), -EPROTO);
	memcpy(buf + offsetof(struct gf_frame, kind), &(int32_t){ 99 }, sizeof(int32_t));
	CU_ASSERT_EQUAL(gf_frame_decode(buf, size, &got, &rec), -EPROTO);
}

/* Counts the frames gf_inbox_read hands on, and their records. */
static int count_frames(void *ctx, const struct gf_frame *h, const unsigned char *records)
{
	int *n = ctx;

	(void)records;
	n[0]++;
	n[1] += h->count;
	return 0;
}

static void test_inbox_through_a_pipe(void)
{
	struct gf_result r[2] = { some_result(0), some_result(1) };
	struct gf_frame h = { .kind = GF_FRAME_RESULT, .count = 2 };
	unsigned char buf[2 * PIPE_BUF];
	struct gf_inbox *in = calloc(1, sizeof(*in));
	size_t size = gf_frame_encode(buf, &h, r);
	int fd[2] = { -1, -1 }, n[2] = { 0, 0 };

	CU_ASSERT_FATAL(in != NULL && pipe(fd) == 0);
	memcpy(buf + size, buf, size);
	/* a frame and a half: one frame is handed on, the half waits for the rest */
	CU_ASSERT_EQUAL(gf_write_full(fd[1], buf, size + size / 2), 0);
	CU_ASSERT_EQUAL(gf_inbox_read(fd[0], in, count_frames, n), 0);
	CU_ASSERT(n[0] == 1 && n[1] == 2);
	CU_ASSERT_EQUAL(gf_write_full(fd[1], buf + size + size / 2, size - size / 2), 0);
	CU_ASSERT_EQUAL(gf_inbox_read(fd[0], in, count_frames, n), 0);
	CU_ASSERT(n[0] == 2 && n[1] == 4);
	/* then half a frame and the end of the pipe: a torn frame is an error */
	CU_ASSERT_EQUAL(gf_write_full(fd[1], buf, size / 2), 0);
	close(fd[1]);
	CU_ASSERT_EQUAL(gf_inbox_read(fd[0], in, count_frames, n), 0);
	CU_ASSERT_EQUAL(gf_inbox_read(fd[0], in, count_frames, n), -EIO);
	CU_ASSERT_EQUAL(n[0], 2);
	close(fd[0]);
	/* a clean end between frames is the end */
	memset(in, 0, sizeof(*in));
	CU_ASSERT_FATAL(pipe(fd) == 0);
	close(fd[1]);
	CU_ASSERT_EQUAL(gf_inbox_read(fd[0], in, count_frames, n), 1);
	close(fd[0]);
	free(in);
}

static void test_send_tasks_whole_frames(void)
{
	enum { N = 300, STOPS = 3 };
	struct gf_task *t = calloc(N, sizeof(*t));
	unsigned char *got = malloc((N + STOPS) * GF_TASK_FRAME);
	size_t sent = 0, have = 0;
	int fd[2] = { -1, -1 }, tasks = 0, stops = 0;

	CU_ASSERT_FATAL(t && got && pipe(fd) == 0);
	for (int i = 0; i < N; i++)
		t[i] = (struct gf_task){ .workload = GF_SUM, .index = i, .key = i };
	CU_ASSERT_EQUAL(gf_fd_set_nonblock(fd[1], 1), 0);
	/* every write is whole frames of at most PIPE_BUF bytes */
	while (sent < (N + STOPS) * GF_TASK_FRAME) {
		size_t before = sent;
		ssize_t r;

		CU_ASSERT_FATAL(gf_frames_send_tasks(fd[1], t, N, STOPS, 0, &sent) == 0);
		CU_ASSERT(sent - before <= PIPE_BUF && (sent - before) % GF_TASK_FRAME == 0);
		r = gf_read_some(fd[0], got + have, (N + STOPS) * GF_TASK_FRAME - have);
		CU_ASSERT_FATAL(r >= 0);
		have += (size_t)r;
	}
	for (size_t off = 0; off < have; off += GF_TASK_FRAME) {
		struct gf_frame h;
		const unsigned char *rec;
		struct gf_task one;

		CU_ASSERT_FATAL(gf_frame_decode(got + off, GF_TASK_FRAME, &h, &rec) ==
				(ssize_t)GF_TASK_FRAME);
		if (h.kind == GF_FRAME_TASK) {
			memcpy(&one, rec, sizeof(one));
			CU_ASSERT(one.index == tasks && stops == 0);
			tasks++;
		} else {
			CU_ASSERT_EQUAL(h.kind, GF_FRAME_STOP);
			stops++;
		}
	}
	CU_ASSERT(tasks == N && stops == STOPS);
	close(fd[0]);
	close(fd[1]);
	free(t);
	free(got);
}

/* A chunk's task frames say how many follow; only task frames may, and never fewer than 0. */
static void test_chunk_frames(void)
{
	enum { N = 100 };
	struct gf_task t[N];
	unsigned char got[N * GF_TASK_FRAME], buf[PIPE_BUF];
	struct gf_frame h = { .kind = GF_FRAME_TASK, .count = 1, .more = -1 };
	const unsigned char *rec;
	size_t sent = 0, have = 0;
	int fd[2];

	memset(t, 0, sizeof(t));
	CU_ASSERT_FATAL(pipe(fd) == 0);
	CU_ASSERT_EQUAL(gf_fd_set_nonblock(fd[1], 1), 0);
	while (sent < sizeof(got)) {
		ssize_t r;

		CU_ASSERT_FATAL(gf_frames_send_tasks(fd[1], t, N, 0, 1, &sent) == 0);
		r = gf_read_some(fd[0], got + have, sizeof(got) - have);
		CU_ASSERT_FATAL(r >= 0);
		have += (size_t)r;
	}
	for (int i = 0; i < N; i++) {
		struct gf_frame one;

		CU_ASSERT_FATAL(gf_frame_decode(got + (size_t)i * GF_TASK_FRAME, GF_TASK_FRAME,
						&one, &rec) == (ssize_t)GF_TASK_FRAME);
		CU_ASSERT_EQUAL(one.more, N - 1 - i);
	}
	/* a negative count of frames to follow, or one on a frame that is no task, is no frame */
	gf_frame_encode(buf, &h, &t[0]);
	CU_ASSERT_EQUAL(gf_frame_decode(buf, GF_TASK_FRAME, &h, &rec), -EPROTO);
	h = (struct gf_frame){ .kind = GF_FRAME_STOP, .more = 2 };
	gf_frame_encode(buf, &h, NULL);
	CU_ASSERT_EQUAL(gf_frame_decode(buf, GF_TASK_FRAME, &h, &rec), -EPROTO);
	close(fd[0]);
	close(fd[1]);
}

/*
 * A real worker given a chunk of many short tasks answers every one, in order, in far fewer
 * result frames than tasks (held and written together), and each frame whole.
 */
static void test_worker_batches(void)
{
	enum { N = 500 };
	struct gf_task t[N];
	struct gf_inbox *in = calloc(1, sizeof(*in));
	struct gf_proc p;
	char err[128];
	size_t sent = 0;
	int tfd, rfd, n[2] = { 0, 0 }, r;

	CU_ASSERT_FATAL(in != NULL);
	for (int i = 0; i < N; i++)
		t[i] = (struct gf_task){
			.workload = GF_SUM, .index = i, .key = i, .a = 10, .b = 1
		};
	CU_ASSERT_FATAL(gf_proc_start_piped(&p, "test_frame", 0, GF_START_FORK, &tfd, &rfd, err,
					    sizeof(err)) == 0);
	CU_ASSERT_EQUAL(gf_fd_set_nonblock(tfd, 0), 0);
	while (sent < N * GF_TASK_FRAME)
		CU_ASSERT_FATAL(gf_frames_send_tasks(tfd, t, N, 0, 1, &sent) == 0);
	close(tfd);
	while ((r = gf_inbox_read(rfd, in, count_frames, n)) == 0)
		;
	CU_ASSERT_EQUAL(r, 1);
	CU_ASSERT_EQUAL(n[1], N);
	CU_ASSERT(n[0] >= 1 + (N + (int)GF_FRAME_MAX_RESULTS - 1) / (int)GF_FRAME_MAX_RESULTS);
	CU_ASSERT(n[0] < N / 4); /* not a frame per task */
	CU_ASSERT_EQUAL(gf_proc_reap(&p, 1), 1);
	CU_ASSERT(WIFEXITED(p.status) && WEXITSTATUS(p.status) == 0);
	close(rfd);
	free(in);
}

/* A real worker that gets half a task frame and then the end of its pipe exits non-zero. */
static void test_worker_torn_task(void)
{
	struct gf_task task = { .workload = GF_SUM, .index = 0, .key = 0, .a = 10, .b = 1 };
	struct gf_frame h = { .kind = GF_FRAME_TASK, .count = 1 };
	unsigned char buf[GF_TASK_FRAME];
	struct gf_inbox *in = calloc(1, sizeof(*in));
	struct gf_proc p;
	char err[128];
	int tfd, rfd, n[2] = { 0, 0 }, r;

	CU_ASSERT_FATAL(in != NULL);
	CU_ASSERT_FATAL(gf_proc_start_piped(&p, "test_frame", 0, GF_START_FORK, &tfd, &rfd, err,
					    sizeof(err)) == 0);
	gf_frame_encode(buf, &h, &task);
	CU_ASSERT_EQUAL(gf_write_full(tfd, buf, sizeof(buf)), 0);
	CU_ASSERT_EQUAL(gf_write_full(tfd, buf, sizeof(buf) / 2), 0);
	close(tfd);
	while ((r = gf_inbox_read(rfd, in, count_frames, n)) == 0)
		;
	CU_ASSERT_EQUAL(r, 1);
	CU_ASSERT(n[0] == 2 && n[1] == 1); /* its ready frame and the one whole task's result */
	CU_ASSERT_EQUAL(gf_proc_reap(&p, 1), 1);
	CU_ASSERT(WIFEXITED(p.status) && WEXITSTATUS(p.status) == 3);
	close(rfd);
	free(in);
}

static const struct gf_test tests[] = {
	GF_TEST(test_round_trip),
	GF_TEST(test_pipe_buf_bound),
	GF_TEST(test_torn_and_foreign),
	GF_TEST(test_inbox_through_a_pipe),
	GF_TEST(test_send_tasks_whole_frames),
	GF_TEST(test_chunk_frames),
	GF_TEST(test_worker_batches),
	GF_TEST(test_worker_torn_task),
	{ NULL, NULL },
};

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	return gf_test_main("frame", tests);
}
