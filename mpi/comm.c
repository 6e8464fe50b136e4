#include "mpi_backend.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gf_bind.h"
#include "gf_clock.h"
#include "gf_disturb.h"
#include "gf_stdio.h"
#include "gf_watchdog.h"

/*
 * A waiting rank spins for SPIN seconds, then naps between tests: a tenth of the time waited
 * so far, between NAP_MIN and NAP_MAX. The spin keeps a short wait (a collective that
 * completes at once, a task handed out at once) as fast as MPI_Wait; the naps hand the core
 * back during a long one (rank 0's baseline, a producer between long tasks). The price is
 * one MPI_Test per nap and a late return of at most one nap: a tenth of the wait, bounded by
 * NAP_MIN and NAP_MAX.
 */
#define SPIN    100e-6
#define NAP_MIN 50e-6
#define NAP_MAX 1e-3

/*
 * --timeout's questions travel on m->watch_comm: rank 0, past the deadline, sends each rank a
 * TAG_ASK and waits up to ANSWER_WAIT seconds for its TAG_ANSWER. A rank answers from inside
 * any of its waits; one that is computing, stopped or stuck does not. Both are empty messages.
 */
enum { TAG_ASK = 1, TAG_ANSWER };
#define ANSWER_WAIT 0.25

/* The most ranks, and tasks, that the line names one by one before "...". */
#define NAME_RANKS 16
#define NAME_TASKS 10

/* --timeout's state on this rank: made by gf__mpi_watch_start, where the deadline is armed. */
struct gf_mpi_watch {
	MPI_Request ask; /* a rank other than 0: the receive of rank 0's question, or null */
	int32_t *given;  /* rank 0: per rank, first, step, count of the tasks it holds (count 0:
			    none known) */
};

/* The standard names the levels, and orders them, but gives them no values. */
static const char *level_name(int level)
{
	if (level == MPI_THREAD_SINGLE)
		return "MPI_THREAD_SINGLE";
	if (level == MPI_THREAD_FUNNELED)
		return "MPI_THREAD_FUNNELED";
	if (level == MPI_THREAD_SERIALIZED)
		return "MPI_THREAD_SERIALIZED";
	return level == MPI_THREAD_MULTIPLE ? "MPI_THREAD_MULTIPLE" : "an unknown thread level";
}

int gf__mpi_level_check(int provided, int required, char *err, size_t errlen)
{
	if (provided >= required)
		return 0;
	snprintf(err, errlen, "the MPI library grants %s, not the %s this program needs",
		 level_name(provided), level_name(required));
	return -ENOTSUP;
}

int gf_mpi_start(int *argc, char ***argv, int required, struct gf_mpi *m, const char *prog,
		 char *err, size_t errlen)
{
	double t0 = gf_clock_now();
	int rc, provided = MPI_THREAD_SINGLE;

	memset(m, 0, sizeof(*m));
	m->prog = prog;
	m->task_type = m->result_type = MPI_DATATYPE_NULL;
	m->watch_comm = MPI_COMM_NULL;
	m->threads = 1;
	/* before MPI makes its pipes and sockets: a closed fd 0-2 must not become one */
	rc = gf_stdio_guard();
	if (rc < 0) {
		snprintf(err, errlen, "cannot open /dev/null: %s", strerror(-rc));
		return -EIO;
	}
	/* The cost of the start inside this process; mpirun's own start is before it. */
	if (MPI_Init_thread(argc, argv, required, &provided) != MPI_SUCCESS) {
		snprintf(err, errlen, "MPI_Init_thread failed");
		return -EIO;
	}
	m->init_seconds = gf_clock_now() - t0;
	MPI_Comm_rank(MPI_COMM_WORLD, &m->rank);
	MPI_Comm_size(MPI_COMM_WORLD, &m->size);
	snprintf(m->who, sizeof(m->who), "%s: rank %d", prog, m->rank);
	if (gf__mpi_level_check(provided, required, err, errlen)) {
		MPI_Finalize();
		return -ENOTSUP;
	}
	if (gf__mpi_types_init(m) != MPI_SUCCESS ||
	    MPI_Comm_dup(MPI_COMM_WORLD, &m->watch_comm) != MPI_SUCCESS)
		gf__mpi_die(m, "cannot make the MPI record types and communicator");
	return 0;
}

void gf_mpi_stop(struct gf_mpi *m)
{
	gf__mpi_stop_signals(m, 0);
	gf__mpi_watch_end(m);
	free(m->host_names);
	free(m->host_cores);
	free(m->host_same);
	m->host_names = NULL;
	m->host_cores = NULL;
	m->host_same = NULL;
	if (m->watch_comm != MPI_COMM_NULL)
		MPI_Comm_free(&m->watch_comm);
	gf__mpi_types_free(m);
	MPI_Finalize();
}

int gf__mpi_types_init(struct gf_mpi *m)
{
	int rc;

	/* Every rank runs the same binary on the same kind of machine: the records go as bytes. */
	rc = MPI_Type_contiguous((int)sizeof(struct gf_task), MPI_BYTE, &m->task_type);
	if (rc == MPI_SUCCESS)
		rc = MPI_Type_commit(&m->task_type);
	if (rc == MPI_SUCCESS)
		rc = MPI_Type_contiguous((int)sizeof(struct gf_result), MPI_BYTE, &m->result_type);
	if (rc == MPI_SUCCESS)
		rc = MPI_Type_commit(&m->result_type);
	return rc;
}

void gf__mpi_types_free(struct gf_mpi *m)
{
	if (m->task_type != MPI_DATATYPE_NULL)
		MPI_Type_free(&m->task_type);
	if (m->result_type != MPI_DATATYPE_NULL)
		MPI_Type_free(&m->result_type);
}

/*
 * The most seconds a rank other than 0 outlives the signal that ends it, waiting for
 * mpirun's SIGKILL (Open MPI's odls_base_sigkill_timeout, 1 s by default, is well below).
 */
#define LINGER_S 5

/*
 * Interrupted, mpirun sends every rank SIGTERM, pauses for odls_base_sigkill_timeout, then
 * sends SIGKILL; but the pause is a sleep() that any child's exit cuts short (SIGCHLD). A rank
 * other than 0 that died of SIGTERM at once thus had rank 0 killed a millisecond later, in the
 * middle of writing its line, whenever rank 0 was slower to run its handler: on a loaded
 * machine, now and then. So the others die quietly, but last: they wait for the SIGKILL,
 * which comes once rank 0 has said its line and exited, or at the pause's end.
 */
static void linger(int sig)
{
	struct timespec left = { LINGER_S, 0 };

	while (nanosleep(&left, &left) != 0 && errno == EINTR)
		;
	_exit(128 + sig);
}

void gf__mpi_stop_signals(const struct gf_mpi *m, int say)
{
	if (m->rank != 0 && say) {
		static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		gf_last_words_mask(&sa.sa_mask);
		sa.sa_handler = linger;
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			sigaction(sigs[i], &sa, NULL);
		return;
	}
	if (say) {
		gf_stop_signals_install(); /* it says m->who (gf_mpi_main) */
		return;
	}
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
}

/*
 * MPI_Abort has mpirun end every rank with SIGTERM, this one too: it is no interruption to
 * report, so the default action comes back first.
 */
static void abort_job(const struct gf_mpi *m) __attribute__((noreturn));

static void abort_job(const struct gf_mpi *m)
{
	gf__mpi_stop_signals(m, 0);
	MPI_Abort(MPI_COMM_WORLD, 1);
	abort(); /* MPI_Abort does not return; should it, the job must still end */
}

void gf__mpi_die(const struct gf_mpi *m, const char *what)
{
	fprintf(stderr, "%s: %s\n", m->who, what);
	fflush(stderr);
	abort_job(m);
}

int gf__mpi_watch_start(struct gf_mpi *m)
{
	struct gf_mpi_watch *w;

	if (m->watch || gf_watchdog_seconds() <= 0)
		return 0;
	w = calloc(1, sizeof(*w));
	if (!w || (m->rank == 0 && !(w->given = calloc((size_t)m->size * 3, sizeof(int32_t))))) {
		free(w);
		return -1;
	}
	w->ask = MPI_REQUEST_NULL;
	if (m->rank != 0 &&
	    MPI_Irecv(NULL, 0, MPI_INT, 0, TAG_ASK, m->watch_comm, &w->ask) != MPI_SUCCESS) {
		free(w);
		return -1;
	}
	m->watch = w;
	return 0;
}

void gf__mpi_watch_end(struct gf_mpi *m)
{
	struct gf_mpi_watch *w = m->watch;

	if (!w)
		return;
	if (w->ask != MPI_REQUEST_NULL) {
		MPI_Cancel(&w->ask);
		MPI_Wait(&w->ask, MPI_STATUS_IGNORE);
	}
	free(w->given);
	free(w);
	m->watch = NULL;
}

void gf__mpi_watch_given(const struct gf_mpi *m, int rank, int32_t first, int32_t step,
			 int32_t count)
{
	int32_t *g;

	if (!m->watch || !m->watch->given || rank < 0 || rank >= m->size)
		return;
	g = &m->watch->given[3 * rank];
	g[0] = first;
	g[1] = step;
	g[2] = count;
}

/* Appends to buf (len bytes) at at, as snprintf, and returns the new end, at most len - 1. */
__attribute__((format(printf, 4, 5))) static size_t append(char *buf, size_t len, size_t at,
							   const char *fmt, ...)
{
	va_list ap;
	int n;

	if (at + 1 >= len)
		return len - 1;
	va_start(ap, fmt);
	n = vsnprintf(buf + at, len - at, fmt, ap);
	va_end(ap);
	at += n > 0 ? (size_t)n : 0;
	return at < len ? at : len - 1;
}

/* ", 1, 3, 5" or "ranks 1, 3": the members of list[0..n), at most max, then ", ...". */
static size_t name_list(char *buf, size_t len, size_t at, const int32_t *list, size_t n, size_t max)
{
	for (size_t i = 0; i < n; i++) {
		if (i == max) {
			at = append(buf, len, at, ", ...");
			break;
		}
		at = append(buf, len, at, "%s%ld", i ? ", " : "", (long)list[i]);
	}
	return at;
}

/* Rank 0 asks every other rank, and waits up to ANSWER_WAIT for the answers. */
static void ask_all(const struct gf_mpi *m, unsigned char *answered)
{
	static MPI_Request asks[GF_MAX_WORKERS], answers[GF_MAX_WORKERS];
	double t0 = gf_clock_now();
	int left = m->size - 1;

	for (int r = 1; r < m->size; r++) {
		MPI_Isend(NULL, 0, MPI_INT, r, TAG_ASK, m->watch_comm, &asks[r]);
		MPI_Irecv(NULL, 0, MPI_INT, r, TAG_ANSWER, m->watch_comm, &answers[r]);
	}
	while (left > 0 && gf_clock_now() - t0 < ANSWER_WAIT) {
		for (int r = 1; r < m->size; r++) {
			int done = 0;

			if (answered[r])
				continue;
			MPI_Test(&answers[r], &done, MPI_STATUS_IGNORE);
			answered[r] = (unsigned char)done;
			left -= done;
		}
	}
}

/*
 * Rank 0, past the deadline, in a wait that has not completed: names the ranks that do not
 * answer, and the tasks they hold where known, and ends the job. Does not return.
 */
static void late(const struct gf_mpi *m)
{
	static int32_t ranks[GF_MAX_WORKERS], tasks[NAME_TASKS + 1];
	unsigned char answered[GF_MAX_WORKERS] = { 0 };
	char line[1024];
	size_t nranks = 0, ntasks = 0, at;

	ask_all(m, answered);
	for (int r = 1; r < m->size; r++) {
		const int32_t *g = &m->watch->given[3 * r];

		if (answered[r])
			continue;
		ranks[nranks++] = r;
		for (int32_t i = 0; i < g[2] && ntasks <= NAME_TASKS; i++)
			tasks[ntasks++] = g[0] + i * g[1];
	}
	at = append(line, sizeof(line), 0, "%s: ", m->prog);
	gf_watchdog_passed(line + at, sizeof(line) - at);
	at = strlen(line);
	if (!nranks) {
		at = append(line, sizeof(line), at, ": every other rank was waiting");
	} else {
		at = append(line, sizeof(line), at, ": rank%s ", nranks > 1 ? "s" : "");
		at = name_list(line, sizeof(line), at, ranks, nranks, NAME_RANKS);
		at = append(line, sizeof(line), at, " (of %d) did not answer", m->size);
	}
	if (ntasks) {
		at = append(line, sizeof(line), at, " (given task%s ", ntasks > 1 ? "s" : "");
		at = name_list(line, sizeof(line), at, tasks, ntasks, NAME_TASKS);
		append(line, sizeof(line), at, ")");
	}
	fprintf(stderr, "%s; aborting the job\n", line);
	fflush(stderr);
	abort_job(m);
}

/* In a wait, where --timeout is armed: rank 0 looks at the deadline, the others answer it. */
static void watch_poll(const struct gf_mpi *m)
{
	struct gf_mpi_watch *w = m->watch;
	int asked = 0;

	if (m->rank == 0) {
		if (gf_watchdog_left() <= 0)
			late(m);
		return;
	}
	if (w->ask == MPI_REQUEST_NULL)
		return;
	MPI_Test(&w->ask, &asked, MPI_STATUS_IGNORE);
	if (asked)
		MPI_Send(NULL, 0, MPI_INT, 0, TAG_ANSWER, m->watch_comm);
}

static void wait_for(const struct gf_mpi *m, MPI_Request *req, MPI_Status *status, int nap)
{
	double start, waited;
	int done = 0;

#ifdef GF_SIMGRID
	/* Simulated, a wait costs nothing of the real core, and each test and nap would add
	   simulated time of its own (SMPI charges an MPI_Test): the plain wait is exact there.
	   --timeout still polls, to answer rank 0's questions. */
	if (!m->watch) {
		if (MPI_Wait(req, status ? status : MPI_STATUS_IGNORE) != MPI_SUCCESS)
			gf__mpi_die(m, "MPI_Wait failed");
		return;
	}
#endif
	start = gf_clock_now();
	for (;;) {
		if (MPI_Test(req, &done, status ? status : MPI_STATUS_IGNORE) != MPI_SUCCESS)
			gf__mpi_die(m, "MPI_Test failed");
		if (done)
			return;
		if (m->watch)
			watch_poll(m);
		if (!nap)
			continue;
		waited = gf_clock_now() - start;
		if (waited > SPIN) {
			double t = waited / 10 < NAP_MIN ? NAP_MIN : waited / 10;
			struct timespec ts = { 0, (long)((t < NAP_MAX ? t : NAP_MAX) * 1e9) };

			nanosleep(&ts, NULL);
		}
	}
}

void gf__mpi_wait(const struct gf_mpi *m, MPI_Request *req, MPI_Status *status)
{
	wait_for(m, req, status, 1);
}

void gf__mpi_spin(const struct gf_mpi *m, MPI_Request *req, MPI_Status *status)
{
	wait_for(m, req, status, 0);
}

/* What each rank tells rank 0 of itself at the set-up. */
struct whoami {
	char host[GF_HOST_MAX]; /* cut to fit: two hosts that differ only past it count as one */
	unsigned char mask[GF_BIND_MASK_BYTES]; /* the CPUs it may use */
};

/* Rank 0: the hosts of all[0..size), and per rank its host's CPUs, into m. */
static void hosts_of(struct gf_mpi *m, const struct whoami *all, unsigned char *masks,
		     unsigned char *take)
{
	for (int r = 0; r < m->size; r++) {
		memcpy(m->host_names + (size_t)r * GF_HOST_MAX, all[r].host, GF_HOST_MAX);
		memcpy(masks + (size_t)r * GF_BIND_MASK_BYTES, all[r].mask, GF_BIND_MASK_BYTES);
		m->host_same[r] = strcmp(all[r].host, all[0].host) == 0;
	}
	m->hosts = 0;
	for (int r = 0; r < m->size; r++) {
		int first = r;

		for (int q = 0; q < r && first == r; q++)
			if (strcmp(all[q].host, all[r].host) == 0)
				first = q;
		if (first < r) {
			m->host_cores[r] = m->host_cores[first];
			continue;
		}
		m->hosts++;
		for (int q = 0; q < m->size; q++)
			take[q] = strcmp(all[q].host, all[r].host) == 0;
		m->host_cores[r] = gf_bind_union_count(masks, take, m->size);
	}
}

void gf__mpi_count_hosts(struct gf_mpi *m)
{
	struct whoami mine, *all = NULL;
	unsigned char *masks = NULL, *take = NULL;
	size_t n = (size_t)m->size;

	memset(&mine, 0, sizeof(mine));
	gf_where_host(mine.host, sizeof(mine.host));
	if (!mine.host[0])
		gf__mpi_die(m, "cannot name this host (gethostname)");
	gf_bind_mask(mine.mask);
	if (m->rank == 0 &&
	    (!(all = calloc(n, sizeof(*all))) || !(masks = calloc(n, GF_BIND_MASK_BYTES)) ||
	     !(take = calloc(n, 1)) || !(m->host_names = calloc(n, GF_HOST_MAX)) ||
	     !(m->host_cores = calloc(n, sizeof(int))) || !(m->host_same = calloc(n, 1))))
		gf__mpi_die(m, "out of memory for the host names");
	GF__MPI_COLL(m, gf__mpi_wait, Igather, Gather, &mine, (int)sizeof(mine), MPI_BYTE, all,
		     (int)sizeof(mine), MPI_BYTE, 0, MPI_COMM_WORLD);
	if (m->rank == 0 && all && masks && take) /* allocated on rank 0 (or it died) */
		hosts_of(m, all, masks, take);
	free(all);
	free(masks);
	free(take);
}

/* This rank's rank among those of its host. Collective. */
static int local_rank(const struct gf_mpi *m)
{
	const char *env = getenv("OMPI_COMM_WORLD_LOCAL_RANK");
	int local = -1, have, all_have = 0;
	MPI_Comm node;

	if (env && *env) {
		char *end;
		long v = strtol(env, &end, 10);

		if (*end == '\0' && v >= 0 && v < GF_MAX_WORKERS)
			local = (int)v;
	}
	/* the launcher's variable only where every rank has it, so that all or none split */
	have = local >= 0;
	GF__MPI_COLL(m, gf__mpi_wait, Iallreduce, Allreduce, &have, &all_have, 1, MPI_INT, MPI_MIN,
		     MPI_COMM_WORLD);
	if (all_have)
		return local;
	if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, m->rank, MPI_INFO_NULL,
				&node) != MPI_SUCCESS ||
	    MPI_Comm_rank(node, &local) != MPI_SUCCESS)
		gf__mpi_die(m, "cannot tell the ranks of this host (MPI_Comm_split_type)");
	MPI_Comm_free(&node);
	return local;
}

void gf__mpi_bind(struct gf_mpi *m)
{
	int local, rc;

	if (!gf_bind_enabled())
		return;
	local = local_rank(m);
	if ((rc = gf_bind_self(local)) < 0)
		fprintf(stderr, "%s: --bind: cannot pin it to CPU %d: %s\n", m->who,
			gf_bind_cpu(local), strerror(-rc));
	for (int r = 0; m->rank == 0 && m->host_names && r < m->size; r++) {
		const char *host = m->host_names + (size_t)r * GF_HOST_MAX;
		int first = 1, on = 0;

		for (int q = 0; q < m->size; q++) {
			int same = strcmp(m->host_names + (size_t)q * GF_HOST_MAX, host) == 0;

			first &= !(same && q < r);
			on += same;
		}
		if (first)
			gf_bind_warn(m->prog, on, "ranks", m->host_cores[r],
				     m->hosts > 1 ? host : NULL);
	}
}

void gf__mpi_barrier(const struct gf_mpi *m)
{
	GF__MPI_COLL(m, gf__mpi_wait, Ibarrier, Barrier, MPI_COMM_WORLD);
}

void gf__mpi_start_together(const struct gf_mpi *m)
{
	/* The ranks arrive at very different times (rank 0 verified the last repetition; some
	   ranks had nothing to do): they wait asleep, then meet once more, awake, to start
	   together. */
	gf__mpi_barrier(m);
	GF__MPI_COLL(m, gf__mpi_spin, Ibarrier, Barrier, MPI_COMM_WORLD);
}

void gf__mpi_span_begin(const struct gf_mpi *m, struct gf_mpi_span *s)
{
	memset(s, 0, sizeof(*s));
	s->cpu_compute = -1.0;
	s->where = -1;
	s->cpu_begin = gf_cpu_process();
	gf__mpi_start_together(m);
	s->t0 = gf_clock_now();
	s->cpu_mark = gf_cpu_process();
}

void gf__mpi_span_mark_at(struct gf_mpi_span *s, const char *name, double t)
{
	double cpu;

	if (s->n == GF_MPI_MARKS)
		return;
	s->name[s->n] = name;
	s->at[s->n] = t - s->t0;
	s->n++;
	cpu = gf_cpu_process();
	if (strcmp(name, "compute") == 0) {
		s->cpu_compute = cpu >= 0 && s->cpu_mark >= 0 ? cpu - s->cpu_mark : -1.0;
		s->where = gf_where_cpu();
	}
	s->cpu_mark = cpu;
}

/*
 * Rank 0 gathers each rank's CPU time of its compute phase, its CPU time over the whole
 * repetition and its CPU into rep (gf__mpi_span_end). Collective; waited for asleep.
 */
static void span_cpu(const struct gf_mpi *m, const struct gf_mpi_span *s, struct gf_rep *rep)
{
	static double all[4 * GF_MAX_WORKERS], mine[3 + GF_MAX_WORKERS];
	double now = gf_cpu_process();
	int per = 3 + (m->threads > 1 ? m->threads : 0); /* the count of each rank's figures */

	mine[0] = s->cpu_compute;
	mine[1] = s->cpu_begin >= 0 && now >= 0 ? now - s->cpu_begin : -1.0;
	mine[2] = (double)s->where;
	for (int t = 0; t < per - 3; t++)
		mine[3 + t] = s->cpu_thread ? s->cpu_thread[t] : -1.0;
	GF__MPI_COLL(m, gf__mpi_wait, Igather, Gather, mine, per, MPI_DOUBLE, all, per, MPI_DOUBLE,
		     0, MPI_COMM_WORLD);
	for (int r = 0; m->rank == 0 && r < m->size; r++) {
		const double *x = &all[(size_t)per * (size_t)r];

		/* rank 0's own time is the driver's to count: the others on its host are ours */
		if (r > 0 && m->host_same && m->host_same[r] && x[1] > 0)
			rep->run_cpu += x[1];
		/*
		 * A rank's workers are its threads, w = r x T + t: each thread's own CPU time
		 * over its part where the team measured it (CLOCK_THREAD_CPUTIME_ID), else the
		 * team's average of its process's; the CPU of the master thread only is known.
		 */
		for (int t = 0; t < m->threads; t++) {
			int w = r * m->threads + t;
			double own = per > 3 ? x[3 + t] : -1.0;

			if (rep->cpu)
				rep->cpu[w] = own >= 0 ? own : x[0] >= 0 ? x[0] / m->threads : -1.0;
			if (!rep->place)
				continue;
			rep->place[w].cpu = x[2] >= 0 && t == 0 ? (int)x[2] : -1;
			if (m->host_names) {
				memcpy(rep->place[w].host, m->host_names + (size_t)r * GF_HOST_MAX,
				       GF_HOST_MAX);
				rep->place[w].cores = m->host_cores[r];
			}
		}
	}
}

void gf__mpi_span_mark(struct gf_mpi_span *s, const char *name)
{
	gf__mpi_span_mark_at(s, name, gf_clock_now());
}

void gf__mpi_share(const struct gf_mpi *m, const struct gf_task *tasks, size_t k,
		   struct gf_result *out, struct gf_mpi_span *span)
{
	if (m->share) {
		m->share(m, tasks, k, out, span);
		return;
	}
	for (size_t i = 0; i < k; i++)
		gf_task_run(&tasks[i], m->rank, &out[i]);
	if (span)
		gf__mpi_span_mark(span, "compute");
}

void gf__mpi_span_end(const struct gf_mpi *m, struct gf_mpi_span *s, struct gf_rep *rep)
{
	double mine[GF_MPI_MARKS + 2], best[GF_MPI_MARKS + 2] = { 0 };
	double t0 = s->t0 - m->clock_offset; /* this rank's start on rank 0's clock */

	/*
	 * Timestamps on one base, not durations: the time of a repetition runs from the earliest
	 * rank's start to the latest rank's end. The longest of the per-rank durations misses
	 * the work a rank did before a late rank started its clock, and reads less than the
	 * repetition took (more than P times faster on one core). The start is negated, so that
	 * one MPI_MAX gives its minimum too; the latest start, last, says how late a rank was.
	 */
	mine[0] = -t0;
	for (int i = 0; i < s->n; i++)
		mine[i + 1] = t0 + s->at[i];
	mine[s->n + 1] = t0;
	GF__MPI_COLL(m, gf__mpi_wait, Ireduce, Reduce, mine, best, s->n + 2, MPI_DOUBLE, MPI_MAX, 0,
		     MPI_COMM_WORLD);
	/* what each rank held is past: a wait before the next deal names no tasks */
	if (m->watch && m->watch->given)
		memset(m->watch->given, 0, (size_t)m->size * 3 * sizeof(int32_t));
	span_cpu(m, s, rep);
	if (m->rank != 0)
		return;
	for (int i = 0; i < s->n; i++)
		gf_phases_add(&rep->phases, s->name[i], best[i + 1] - (i ? best[i] : -best[0]));
	rep->seconds = s->n ? best[s->n] + best[0] : 0.0;
	rep->start_s = best[s->n + 1] + best[0];
}

void gf__mpi_static(struct gf_mpi *m, const struct gf_task *tasks, size_t n, enum gf_mpi_deal deal,
		    struct gf_result *results, struct gf_rep *rep)
{
	int *counts = malloc((size_t)m->size * sizeof(int));
	int *displs = malloc((size_t)m->size * sizeof(int));
	int mine = (int)gf_share((int64_t)n, m->size, m->rank);
	struct gf_task *local = calloc((size_t)mine + 1, sizeof(*local));
	struct gf_result *out = calloc((size_t)mine + 1, sizeof(*out));
	struct gf_task *dealt = NULL;
	const struct gf_task *send = tasks;
	struct gf_mpi_span span;

	if (!counts || !displs || !local || !out)
		gf__mpi_die(m, "out of memory for the static split");
	for (int r = 0, at = 0; r < m->size; r++) {
		counts[r] = (int)gf_share((int64_t)n, m->size, r);
		displs[r] = at;
		at += counts[r];
	}
	if (m->rank == 0 && deal == GF_MPI_CYCLIC) {
		/* Rank r's block holds tasks r, r + P, r + 2P, ...: one Scatterv still sends it. */
		size_t k = 0;

		dealt = malloc((n ? n : 1) * sizeof(*dealt));
		if (!dealt)
			gf__mpi_die(m, "out of memory for the static split");
		for (int r = 0; r < m->size; r++)
			for (size_t i = (size_t)r; i < n; i += (size_t)m->size)
				dealt[k++] = tasks[i];
		send = dealt;
	}

	for (int r = 0; m->watch && m->rank == 0 && r < m->size; r++)
		gf__mpi_watch_given(m, r, deal == GF_MPI_CYCLIC ? r : displs[r],
				    deal == GF_MPI_CYCLIC ? m->size : 1, counts[r]);
	gf__mpi_span_begin(m, &span);
	GF__MPI_COLL(m, gf__mpi_spin, Iscatterv, Scatterv, send, counts, displs, m->task_type,
		     local, mine, m->task_type, 0, MPI_COMM_WORLD);
	gf__mpi_span_mark(&span, "scatter");
	gf__mpi_share(m, local, (size_t)mine, out, &span);
	GF__MPI_COLL(m, gf__mpi_spin, Igatherv, Gatherv, out, mine, m->result_type, results, counts,
		     displs, m->result_type, 0, MPI_COMM_WORLD);
	gf__mpi_span_mark(&span, "gather");
	gf__mpi_span_end(m, &span, rep);

	free(dealt);
	free(out);
	free(local);
	free(displs);
	free(counts);
}
