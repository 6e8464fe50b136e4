/*
 * The process pool (posix/pool.h) with real worker processes, started by fork and by spawn
 * (this program re-executes itself as a worker, so main() hands the hidden worker mode on).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gf_io.h"
#include "gf_test.h"
#include "pool.h"
#include "proc.h"

static enum gf_start how = GF_START_FORK;

/* Cheap, distinguishable tasks: sums whose totals tell which task ran. */
static struct gf_task *make_tasks(size_t n, int64_t size)
{
	struct gf_task *t = calloc(n ? n : 1, sizeof(*t));

	for (size_t i = 0; i < n; i++) {
		t[i].workload = GF_SUM;
		t[i].index = (int32_t)i;
		t[i].key = (int64_t)i;
		t[i].a = size + (int64_t)i;
		t[i].b = (int64_t)i + 1;
	}
	return t;
}

static int result_ok(const struct gf_task *t, const struct gf_result *r)
{
	return r->index == t->index && r->key == t->key && r->sum == gf_kernel_sum(t->a, t->b);
}

/* No child of this process is left: every worker was reaped. */
static int no_children(void)
{
	return waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD;
}

static struct gf_pool *make_pool(int workers)
{
	struct gf_pool *p = NULL;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(gf_pool_create("test_pool", workers, how, &p, err, sizeof(err)), 0);
	return p;
}

static void finish(struct gf_pool *p)
{
	gf_pool_close(p);
	CU_ASSERT_EQUAL(gf_pool_join(p), 0);
	gf_pool_free(p);
	CU_ASSERT(no_children());
}

static void check_map(struct gf_pool *p, size_t n, size_t chunksize)
{
	struct gf_task *t = make_tasks(n, 1000);
	struct gf_result *r = calloc(n ? n : 1, sizeof(*r));

	CU_ASSERT_EQUAL(gf_pool_map(p, t, n, chunksize, r), 0);
	for (size_t i = 0; i < n; i++)
		CU_ASSERT(result_ok(&t[i], &r[i]));
	free(t);
	free(r);
}

static void test_map_chunksizes(void)
{
	struct gf_pool *p = make_pool(3);

	check_map(p, 20, 1);
	check_map(p, 20, 3);
	check_map(p, 20, 50);  /* one chunk larger than the whole list */
	check_map(p, 20, 0);   /* Python's default */
	check_map(p, 5000, 7); /* more tasks than a pipe holds at once (160 KB) */
	finish(p);
}

static void test_imap_order(void)
{
	struct gf_pool *p = make_pool(3);
	struct gf_task *t = make_tasks(30, 1000);
	struct gf_pool_job *it;
	struct gf_result r;
	size_t k = 0;

	/* Unequal tasks, so results arrive out of order; imap still yields them in order. */
	for (size_t i = 0; i < 30; i += 4)
		t[i].a = 3000000;
	CU_ASSERT_EQUAL_FATAL(gf_pool_imap(p, t, 30, 1, &it), 0);
	while (gf_pool_next(it, &r) == 1) {
		CU_ASSERT(k < 30 && result_ok(&t[k], &r));
		k++;
	}
	CU_ASSERT_EQUAL(k, 30);
	CU_ASSERT_EQUAL(gf_pool_next(it, &r), 0);
	gf_pool_job_free(it);
	free(t);
	finish(p);
}

static void test_apply_async(void)
{
	struct gf_pool *p = make_pool(2);
	struct gf_task *t = make_tasks(6, 100000);
	struct gf_pool_job *h[6];
	struct gf_result r;

	for (int i = 0; i < 6; i++)
		CU_ASSERT_EQUAL_FATAL(gf_pool_apply_async(p, &t[i], &h[i]), 0);
	/* Get them backwards: each get drives the others on. */
	for (int i = 5; i >= 0; i--) {
		CU_ASSERT_EQUAL(gf_pool_get(h[i], &r), 0);
		CU_ASSERT(result_ok(&t[i], &r));
		gf_pool_job_free(h[i]);
	}
	free(t);
	finish(p);
}

static void test_empty_and_small(void)
{
	struct gf_pool *p = make_pool(8); /* more workers than items */
	struct gf_pool_job *it;
	struct gf_result r;

	check_map(p, 0, 1);
	check_map(p, 3, 1);
	CU_ASSERT_EQUAL_FATAL(gf_pool_imap(p, NULL, 0, 1, &it), 0);
	CU_ASSERT_EQUAL(gf_pool_next(it, &r), 0);
	gf_pool_job_free(it);
	finish(p);
}

static void test_reuse(void)
{
	struct gf_pool *p = make_pool(2);
	pid_t first = gf_pool_worker_pid(p, 0);
	struct gf_pool_stats st;

	for (int i = 0; i < 300; i++)
		check_map(p, (size_t)(i % 9), (size_t)(i % 4));
	/* The same processes served every map. */
	CU_ASSERT_EQUAL(gf_pool_worker_pid(p, 0), first);
	gf_pool_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.replaced, 0);
	finish(p);
}

static void test_close_join_terminate(void)
{
	struct gf_pool *p = make_pool(2);
	struct gf_task *t = make_tasks(4, 1000);
	struct gf_pool_job *it, *h;
	struct gf_result r[4];

	CU_ASSERT_EQUAL(gf_pool_join(p), -EINVAL); /* not closed */
	CU_ASSERT_EQUAL(gf_pool_imap(p, t, 4, 1, &it), 0);
	gf_pool_close(p);
	CU_ASSERT_EQUAL(gf_pool_map(p, t, 4, 1, r), -EINVAL);
	CU_ASSERT_EQUAL(gf_pool_join(p), 0); /* waits for the imap's tasks */
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(gf_pool_next(it, &r[i]), 1);
		CU_ASSERT(result_ok(&t[i], &r[i]));
	}
	gf_pool_job_free(it);
	gf_pool_free(p);
	CU_ASSERT(no_children());

	/* terminate with work in flight: workers stopped and reaped, the job fails. */
	p = make_pool(2);
	t[0].a = t[1].a = 2000000000;
	t[2].a = 10;
	CU_ASSERT_EQUAL(gf_pool_apply_async(p, &t[2], &h), 0);
	CU_ASSERT_EQUAL(gf_pool_imap(p, t, 2, 1, &it), 0);
	CU_ASSERT_EQUAL(gf_pool_get(h, &r[2]), 0); /* by now both long tasks are with workers */
	gf_pool_job_free(h);
	gf_pool_terminate(p);
	CU_ASSERT(no_children());
	CU_ASSERT_EQUAL(gf_pool_next(it, &r[0]), -ECANCELED);
	gf_pool_job_free(it);
	gf_pool_free(p);
	CU_ASSERT(no_children());
	free(t);
}

/*
 * The fds of process pid below 1000. Every fd the pool opens is a low number, so a leaked
 * sibling pipe end would be counted; tools such as valgrind keep their own at the top of the
 * range, where the child cannot close them.
 */
static int low_fds(pid_t pid)
{
	char path[64];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && atoi(e->d_name) < 1000)
			n++;
	closedir(d);
	return n;
}

static void test_worker_fds(void)
{
	struct gf_pool *p = make_pool(4);
	int std = 0;

	for (int fd = 0; fd < 3; fd++)
		std += fcntl(fd, F_GETFD) >= 0;
	/* Each worker holds its standard fds and its own two pipe ends, nothing of its siblings. */
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(low_fds(gf_pool_worker_pid(p, i)), std + 2);
	finish(p);
}

/* A worker killed in the middle of a map: replaced, its task run again, each result once. */
static void test_kill_mid_map(void)
{
	struct gf_pool *p = make_pool(2);
	struct gf_task *t = make_tasks(12, 1000000);
	struct gf_pool_job *it;
	struct gf_pool_stats st;
	struct gf_result r;
	pid_t victim;
	size_t k = 0;

	t[1].a = 400000000; /* worker 1 gets task 1 and is still on it when task 0 is done */
	CU_ASSERT_EQUAL_FATAL(gf_pool_imap(p, t, 12, 1, &it), 0);
	victim = gf_pool_worker_pid(p, 1);
	while (gf_pool_next(it, &r) == 1) {
		CU_ASSERT(k < 12 && result_ok(&t[k], &r));
		if (k++ == 0)
			kill(victim, SIGKILL);
	}
	CU_ASSERT_EQUAL(k, 12);
	gf_pool_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.replaced, 1);
	CU_ASSERT(st.rerun >= 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(st.last_death, "signal 9"));
	CU_ASSERT(gf_pool_worker_pid(p, 1) != victim && gf_pool_worker_pid(p, 1) > 0);
	/* The replacement serves later maps too. */
	check_map(p, 20, 2);
	gf_pool_job_free(it);
	free(t);
	finish(p);
}

/* Every worker killed while idle: all replaced before the next map runs. */
static void test_kill_idle(void)
{
	struct gf_pool *p = make_pool(3);
	struct gf_pool_stats st;

	for (int i = 0; i < 3; i++)
		kill(gf_pool_worker_pid(p, i), SIGKILL);
	check_map(p, 30, 1);
	gf_pool_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.replaced, 3);
	finish(p);
}

/* The pids of the children of this process, from /proc (at most max). */
static int my_children(pid_t *out, int max)
{
	char path[64];
	FILE *f;
	int n = 0;
	long pid;

	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children", (long)getppid(),
		 (long)getppid());
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (n < max && fscanf(f, "%ld", &pid) == 1)
		out[n++] = (pid_t)pid;
	fclose(f);
	return n;
}

/* Waits (up to 2 s) until pid has exited: a zombie, or gone. */
static void wait_exited(pid_t pid)
{
	struct timespec nap = { 0, 1000 * 1000 };
	char path[64], state = 0;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	for (int i = 0; i < 2000; i++) {
		FILE *f = fopen(path, "r");
		int got = f ? fscanf(f, "%*d (%*[^)]) %c", &state) : 0;

		if (f)
			fclose(f);
		if (!f || (got == 1 && state == 'Z'))
			return;
		nanosleep(&nap, NULL);
	}
}

/* Workers killed at random, again and again, while maps run: every map still completes. */
static void test_kill_storm(void)
{
	struct gf_pool *p = make_pool(3);
	struct gf_pool_stats st;
	int maps = 0, status;
	pid_t killer = fork();

	if (killer == 0) {
		/* Kills ten of its parent's other children, one every 60 ms. */
		struct timespec tick = { 0, 60 * 1000 * 1000 };
		pid_t kids[64], last = 0;

		for (int round = 0; round < 10; round++) {
			int n, pick;

			nanosleep(&tick, NULL);
			n = my_children(kids, 64);
			pick = n ? (int)((unsigned)round * 7u % (unsigned)n) : 0;
			if (n && kids[pick] == getpid())
				pick = (pick + 1) % n;
			if (n > 1 && kill(kids[pick], SIGKILL) == 0)
				last = kids[pick];
		}
		/* The map after this one must see the last death, not the join after it. */
		if (last)
			wait_exited(last);
		_exit(0);
	}
	CU_ASSERT_FATAL(killer > 0);
	while (waitpid(killer, &status, WNOHANG) == 0) {
		check_map(p, 40, 2);
		maps++;
	}
	check_map(p, 40, 2);
	gf_pool_get_stats(p, &st);
	CU_ASSERT(maps > 0);
	CU_ASSERT(st.replaced >= 1);
	finish(p);
}

/*
 * A worker stopped (SIGSTOP) while idle is handed a chunk, holds its task past the task
 * timeout, and is killed and replaced; every result still arrives once, in order.
 */
static void test_task_timeout(void)
{
	struct gf_pool *p = make_pool(2);
	struct gf_task *t = make_tasks(12, 1000);
	struct gf_pool_job *it;
	struct gf_pool_stats st;
	struct gf_result r;
	char want[64];
	pid_t victim = gf_pool_worker_pid(p, 1);
	size_t k = 0;

	CU_ASSERT_EQUAL(gf_pool_set_task_timeout(p, -1), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(gf_pool_set_task_timeout(p, 0.3), 0);
	CU_ASSERT_EQUAL_FATAL(kill(victim, SIGSTOP), 0);
	CU_ASSERT_EQUAL_FATAL(gf_pool_imap(p, t, 12, 1, &it), 0);
	while (gf_pool_next(it, &r) == 1) {
		CU_ASSERT(k < 12 && result_ok(&t[k], &r));
		k++;
	}
	CU_ASSERT_EQUAL(k, 12);
	gf_pool_get_stats(p, &st);
	snprintf(want, sizeof(want), "worker 1 (pid %ld) held task ", (long)victim);
	CU_ASSERT_EQUAL(st.timed_out, 1);
	CU_ASSERT_EQUAL(st.replaced, 1);
	/* the task it held and the next chunk, already in its pipe (two chunks held at once) */
	CU_ASSERT_EQUAL(st.last_timeout_tasks, 2);
	CU_ASSERT_PTR_NOT_NULL(strstr(st.last_timeout, want));
	CU_ASSERT_PTR_NOT_NULL(strstr(st.last_timeout, "for more than 0.3 s"));
	CU_ASSERT(gf_pool_worker_pid(p, 1) != victim && gf_pool_worker_pid(p, 1) > 0);
	CU_ASSERT(kill(victim, 0) != 0); /* killed and reaped: no such process */
	gf_pool_job_free(it);
	free(t);
	finish(p);
}

/* A task that always outlasts the timeout loses its worker three times and fails its job. */
static void test_task_timeout_three_strikes(void)
{
	struct gf_pool *p = make_pool(2);
	struct gf_task *t = make_tasks(4, 1000);
	struct gf_result r[4];

	t[2].a = INT64_C(100000000000); /* far longer than the timeout */
	CU_ASSERT_EQUAL_FATAL(gf_pool_set_task_timeout(p, 0.2), 0);
	CU_ASSERT_EQUAL(gf_pool_map(p, t, 4, 1, r), -ECHILD);
	CU_ASSERT_PTR_NOT_NULL(strstr(gf_pool_error(p), "task 2 lost its worker 3 times"));
	CU_ASSERT_PTR_NOT_NULL(strstr(gf_pool_error(p), "held task 2 for more than 0.2 s"));
	/* the pool itself is fine: the next map, without the timeout, runs */
	CU_ASSERT_EQUAL(gf_pool_set_task_timeout(p, 0), 0);
	check_map(p, 10, 2);
	free(t);
	finish(p);
}

/*
 * A worker killed with part of its chunk answered: the results it had written (held, then
 * written by its hold timer while it ran a long task) count, the rest of the chunk is sent
 * again, and every result arrives once, in order.
 */
static void test_kill_mid_batch(void)
{
	struct gf_pool *p = make_pool(2);
	struct gf_task *t = make_tasks(400, 1000);
	struct gf_pool_job *it;
	struct gf_pool_stats st;
	struct gf_result r;
	pid_t victim;
	size_t k = 0;

	/* worker 1's chunk is tasks 200 to 399; it is still on task 250 when 249's result is in */
	t[250].a = 1000000000;
	CU_ASSERT_EQUAL_FATAL(gf_pool_imap(p, t, 400, 200, &it), 0);
	victim = gf_pool_worker_pid(p, 1);
	while (gf_pool_next(it, &r) == 1) {
		CU_ASSERT(k < 400 && result_ok(&t[k], &r));
		if (k++ == 249)
			kill(victim, SIGKILL);
	}
	CU_ASSERT_EQUAL(k, 400);
	gf_pool_get_stats(p, &st);
	CU_ASSERT_EQUAL(st.replaced, 1);
	CU_ASSERT_EQUAL(st.rerun, 150); /* tasks 250 to 399, no more */
	gf_pool_job_free(it);
	free(t);
	finish(p);
}

/* Chunks whose task frames and result frames are many times the pipe's atomic size. */
static void test_big_batches(void)
{
	struct gf_pool *p = make_pool(2);

	check_map(p, 5000, 1000); /* 64 KiB of task frames and of results per chunk */
	check_map(p, 5000, 2500);
	check_map(p, 5000, 0);
	check_map(p, 130, 63); /* a chunk of exactly one full result frame, and its tail */
	check_map(p, 130, 64);
	finish(p);
}

/*
 * A task that hangs after a quick one in the same chunk: the quick one's result is not held
 * back behind it, so the task timeout names the task that hangs.
 */
static void test_hold_names_hung_task(void)
{
	struct gf_pool *p = make_pool(2);
	struct gf_task *t = make_tasks(8, 1000);
	struct gf_result r[8];

	t[1].a = INT64_C(100000000000); /* far longer than the timeout, after task 0 */
	CU_ASSERT_EQUAL_FATAL(gf_pool_set_task_timeout(p, 0.3), 0);
	CU_ASSERT_EQUAL(gf_pool_map(p, t, 8, 4, r), -ECHILD);
	CU_ASSERT_PTR_NOT_NULL(strstr(gf_pool_error(p), "held task 1 for more than 0.3 s"));
	CU_ASSERT_EQUAL(gf_pool_set_task_timeout(p, 0), 0);
	check_map(p, 10, 4);
	free(t);
	finish(p);
}

static const struct gf_test tests[] = {
	GF_TEST(test_map_chunksizes),
	GF_TEST(test_imap_order),
	GF_TEST(test_apply_async),
	GF_TEST(test_empty_and_small),
	GF_TEST(test_reuse),
	GF_TEST(test_close_join_terminate),
	GF_TEST(test_worker_fds),
	GF_TEST(test_kill_mid_map),
	GF_TEST(test_kill_idle),
	GF_TEST(test_kill_storm),
	GF_TEST(test_task_timeout),
	GF_TEST(test_task_timeout_three_strikes),
	GF_TEST(test_kill_mid_batch),
	GF_TEST(test_big_batches),
	GF_TEST(test_hold_names_hung_task),
	{ NULL, NULL },
};

int main(int argc, char **argv)
{
	int rc = gf_proc_worker_main(argc, argv);

	if (rc >= 0)
		return rc; /* a spawned worker of the pools below */
	signal(SIGPIPE, SIG_IGN);
	if (argc > 1 && strcmp(argv[1], "spawn") == 0)
		how = GF_START_SPAWN;
	return gf_test_main(how == GF_START_SPAWN ? "pool (spawn)" : "pool (fork)", tests);
}
