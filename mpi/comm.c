/*
 * Starting and stopping MPI in a process (gf_mpi_start, gf_mpi_stop), the record types, the
 * end of the job (gf__mpi_die), and where the ranks run: their hosts, counted at the set-up,
 * and --bind's pinning.
 */
#include "mpi_backend.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gf_bind.h"
#include "gf_clock.h"
#include "gf_stdio.h"

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
	free(m->span_all);
	free(m->span_mine);
	free(m->thread_cpu);
	m->host_names = NULL;
	m->host_cores = NULL;
	m->host_same = NULL;
	m->span_all = m->span_mine = m->thread_cpu = NULL;
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
		gf_stop_signals_catch(linger);
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
void gf__mpi_abort(const struct gf_mpi *m)
{
	gf__mpi_stop_signals(m, 0);
	MPI_Abort(MPI_COMM_WORLD, 1);
	abort(); /* MPI_Abort does not return; should it, the job must still end */
}

void gf__mpi_die(const struct gf_mpi *m, const char *what)
{
	fprintf(stderr, "%s: %s\n", m->who, what);
	fflush(stderr);
	gf__mpi_abort(m);
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
	     !(m->host_cores = calloc(n, sizeof(int))) || !(m->host_same = calloc(n, 1)) ||
	     (!m->span_all && !(m->span_all = calloc(n * GF_MPI_SPAN_PER(m), sizeof(double))))))
		gf__mpi_die(m, "out of memory for the host names");
	if (!m->span_mine && !(m->span_mine = calloc(GF_MPI_SPAN_PER(m), sizeof(double))))
		gf__mpi_die(m, "out of memory for a span's figures");
	gf__mpi_coll_gather(m, gf__mpi_wait, &mine, (int)sizeof(mine), MPI_BYTE, all,
			    (int)sizeof(mine), MPI_BYTE, 0);
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
	gf__mpi_coll_allreduce(m, gf__mpi_wait, &have, &all_have, 1, MPI_INT, MPI_MIN);
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
