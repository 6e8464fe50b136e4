/*
 * The MPI backend's internals: the per-process state, the waits and the timing every workload
 * shares, and one function per workload holding only how its tasks are split, moved and
 * collected. Rank 0 is the root: it builds the reference results, gathers every result and
 * prints the report. All ranks call every function here together (they are collective over
 * MPI_COMM_WORLD) unless said otherwise.
 */
#ifndef GF_MPI_BACKEND_H
#define GF_MPI_BACKEND_H

#include <stddef.h>

#include <mpi.h>

#include "gf_driver.h"

/*
 * The options of programs of ranks (their tables), their slots in struct gf_options's be[]:
 * --schedule (every such program), --threads (ranks of threads).
 */
enum { GF_MPI_SCHEDULE, GF_MPI_THREADS };
enum gf_schedule { GF_SCHEDULE_STATIC, GF_SCHEDULE_DYNAMIC };

extern const char *const gf_mpi_schedule_words[];

/* The table entry of --schedule, the same in every program of ranks. */
#define GF_MPI_SCHEDULE_OPTION                                                                     \
	[GF_MPI_SCHEDULE] = { .name = "schedule",                                                  \
			      .kind = GF_OPTK_WORD,                                                \
			      .words = gf_mpi_schedule_words,                                      \
			      GF_OPT_SLOT(GF_MPI_SCHEDULE),                                        \
			      .arg = "S",                                                          \
			      .help = "static (scatter) or dynamic (rank 0's queue)",              \
			      .flags = GF_OPTF_HOW,                                                \
			      .only = GF_OPT_ONLY(GF_PRIMES) }

/* --schedule static|dynamic (static when not given). */
static inline enum gf_schedule gf_mpi_schedule(const struct gf_options *o)
{
	return (enum gf_schedule)o->be[GF_MPI_SCHEDULE].i;
}

struct gf_mpi;
struct gf_mpi_span;

/*
 * How a rank runs its share of the tasks, tasks[0..k) into out[0..k) (see gf__mpi_share).
 * span is the repetition's, where the share is a phase of its own, or NULL where it is part
 * of a longer phase (the dynamic queue's batches).
 */
typedef void (*gf_mpi_share_fn)(const struct gf_mpi *m, const struct gf_task *tasks, size_t k,
				struct gf_result *out, struct gf_mpi_span *span);

/* One process's state, made by gf_mpi_start and handed to every callback as ctx. */
struct gf_mpi {
	const char *prog; /* the program's name, which starts every line ("gilfree-mpi") */
	char who[64];     /* "<prog>: rank R", for the lines that say which rank speaks */
	int rank;
	int size;                 /* the world size: the worker count */
	double init_seconds;      /* this rank's MPI_Init, by the shared clock */
	MPI_Datatype task_type;   /* one struct gf_task, as bytes */
	MPI_Datatype result_type; /* one struct gf_result, as bytes */
	int finished; /* past the set-up: every rank runs every repetition, none is left waiting */
	MPI_Comm watch_comm;        /* a duplicate of the world, for --timeout's questions */
	struct gf_mpi_watch *watch; /* --timeout's state (watch.c), NULL where it is not armed */
	int hosts;                  /* rank 0, after the set-up: distinct host names of the ranks */
	int threads;                /* workers per rank: 1, or a team's size (ranks of threads) */
	gf_mpi_share_fn share;      /* NULL: one task after the other, as worker m->rank */
	char *host_names;           /* rank 0, after the set-up: rank r's at r * GF_HOST_MAX */
	int *host_cores;            /* rank 0: the CPUs the ranks on rank r's host may use */
	unsigned char *host_same;   /* rank 0: rank r is on rank 0's host */
	double clock_offset;     /* this rank's clock less rank 0's (gf__mpi_clock_sync); 0 on rank
				    0's host, where every rank reads the same clock */
	const char *clock_sync;  /* rank 0: "same-host", "ping-pong" or "simulated" */
	double clock_offset_max; /* rank 0: the largest offset of a rank, in absolute value */
	double clock_bound;      /* rank 0: the largest error bound of an offset (half the
				    round trip it was taken from); 0 where the clock is shared */
	/* each rank's figures of a span (gf__mpi_span_end): GF_MPI_SPAN_PER(m) of them, made by
	   gf__mpi_count_hosts, sized by the world and its threads, freed by gf_mpi_stop */
	double *span_all;   /* rank 0: every rank's, rank r's at r * GF_MPI_SPAN_PER(m) */
	double *span_mine;  /* this rank's */
	double *thread_cpu; /* ranks of threads: each thread's CPU seconds over its part of the
			       last share, [threads], made by its setup hook; else NULL */
};

/* The figures of a rank in its span: its compute CPU, its whole CPU, its CPU number, and
   each thread's CPU time where a team ran its share. */
#define GF_MPI_SPAN_PER(m) (3 + ((m)->threads > 1 ? (m)->threads : 0))

/*
 * How a static split deals the tasks out: contiguous blocks (Pool.map's chunks), or cyclic
 * (task i to rank i mod P, as schedule(static, 1)), which balances tasks whose cost grows
 * along the list. Either way each rank's share is one block of the scattered buffer.
 */
enum gf_mpi_deal { GF_MPI_BLOCK, GF_MPI_CYCLIC };

/*
 * The marks of one timed repetition: elapsed times since this rank's start, one per phase
 * (gf__mpi_span_end puts them on rank 0's time base); and this
 * rank's process CPU clock over the compute phase (the time from the mark before "compute"
 * to it), over the whole repetition, and the CPU it finished computing on.
 */
#define GF_MPI_MARKS 6
struct gf_mpi_span {
	double t0;
	int n;
	const char *name[GF_MPI_MARKS];
	double at[GF_MPI_MARKS];
	double cpu_begin;   /* the process CPU clock as the repetition began, -1 unknown */
	double cpu_mark;    /* ... at the last mark */
	double cpu_compute; /* CPU seconds of the compute phase, -1 unknown */
	int where;          /* the CPU at the compute mark, -1 unknown */
	double *cpu_thread; /* [m->threads], or NULL: each thread's CPU seconds over its part,
			       -1 unknown, where a team ran the share (gf_mpi_share_fn) */
};

/*
 * A program of MPI ranks, for gf_mpi_main: gilfree-mpi, or ranks of threads.
 */
struct gf_mpi_program {
	const char *name;  /* the backend's name in the records: "mpi", "hybrid" */
	struct gf_cli cli; /* program name, its options (GF_MPI_SCHEDULE_OPTION and its own) */
	int required;      /* the MPI thread level it needs (MPI_Init_thread) */
	/* the workers per rank the options ask for, or NULL: one */
	int (*threads)(const struct gf_options *o);
	/* how a rank runs its share of the tasks when it has threads (gf__mpi_share) */
	gf_mpi_share_fn share;
	/* optional: on every rank before the runs, after the set-up's barrier (collective) */
	void (*setup)(struct gf_mpi *m);
	/* optional: "<prog> bench ...", returning on every rank together */
	int (*bench)(void *ctx, int argc, char **argv);
};

/*
 * The main() of a program of ranks (mpi/driver.c): starts MPI at p->required, parses and
 * checks the command line on every rank (the workers are the world's ranks times their
 * threads: --workers may only repeat it), runs the driver (gf_driver_main) with the
 * workloads below, and stops MPI. Returns the exit status. One program per process.
 */
int gf_mpi_main(int argc, char **argv, const struct gf_mpi_program *p);

/*
 * The micro-benchmarks, where mpi/bench.c is present: "gilfree-mpi bench ...", with argv[0]
 * "bench" and ctx the struct gf_mpi. Returns the exit status (0, 1 failure, 2 bad input) on
 * every rank together; a failure of one rank alone ends the job with gf__mpi_die.
 */
int gf_mpi_bench(void *ctx, int argc, char **argv);

/*
 * Starts MPI in this process for prog (kept by pointer): guards fds 0-2 (gf_stdio_guard),
 * then MPI_Init_thread asking for the thread level required (MPI_THREAD_SINGLE for ranks of
 * one thread, MPI_THREAD_FUNNELED or more for ranks of threads), and makes *m: its rank,
 * the world size, the cost of the start (init_seconds), the record types and the --timeout
 * communicator. Collective over the world. Returns 0; or a negative errno with a one-line
 * reason in err (errlen bytes), without the program name: -EIO where fds 0-2 or
 * MPI_Init_thread failed (MPI is not started), -ENOTSUP where the library grants less than
 * required (then MPI is finalized again, on every rank alike, since each is granted the
 * same; m->rank says which rank this is, so that rank 0 alone need say it). A failure to
 * make the types or the communicator ends the job (gf__mpi_die).
 */
int gf_mpi_start(int *argc, char ***argv, int required, struct gf_mpi *m, const char *prog,
		 char *err, size_t errlen);

/*
 * gf_mpi_start's decision on the thread level: 0 when provided is at least required, else
 * -ENOTSUP and the line that says so in err. Not collective; needs no MPI_Init.
 */
int gf__mpi_level_check(int provided, int required, char *err, size_t errlen);

/* Releases what gf_mpi_start and the run made, and finalizes MPI. Call on every rank. */
void gf_mpi_stop(struct gf_mpi *m);

/* Makes the record types. Returns 0, or the MPI error code. Not collective. */
int gf__mpi_types_init(struct gf_mpi *m);
void gf__mpi_types_free(struct gf_mpi *m);

/*
 * Prints "<prog>: rank R: what" on stderr and ends the whole job with MPI_Abort (exit
 * status 1): for a failure this rank cannot share with the others. Does not return.
 */
void gf__mpi_die(const struct gf_mpi *m, const char *what) __attribute__((noreturn));

/*
 * Ends the whole job with MPI_Abort (exit status 1) after the caller printed why: the
 * default signal actions come back first, since mpirun ends this rank with SIGTERM too and
 * that is no interruption to report. Does not return.
 */
void gf__mpi_abort(const struct gf_mpi *m) __attribute__((noreturn));

/*
 * say 1: rank 0 says "<prog>: rank 0: interrupted by SIGTERM" when SIGINT, SIGTERM or
 * SIGHUP ends it (mpirun, interrupted, ends the ranks with SIGTERM); the other ranks end
 * silently, so the job says it once, and last: they wait (at most a few seconds) for mpirun's
 * SIGKILL, since their exit would cut short the pause mpirun gives rank 0 to write. say 0: the
 * default actions again, for the times when mpirun ends the ranks for another reason (a rank's bad
 * input, exit or MPI_Abort).
 */
void gf__mpi_stop_signals(const struct gf_mpi *m, int say);

/*
 * Completes req like MPI_Wait, but after a short spin it sleeps between tests, so that a rank
 * with nothing to do leaves its core to the ranks that compute (oversubscribed runs, rank 0's
 * sequential baseline, the dynamic producer). Not collective. Aborts the job on an MPI error.
 *
 * Where --timeout is armed (gf__mpi_watch_start), every test also looks at the deadline: rank
 * 0, past it, asks every other rank on watch_comm, waits 0.25 s for the answers, prints one
 * line naming the ranks that did not answer and the tasks they were given, where known
 * ("gilfree-mpi: --timeout 2 s passed in repetition 2 of 5: rank 1 (of 2) did not answer
 * (given tasks 1, 3, 5); aborting the job") and ends the job with MPI_Abort. The other ranks
 * answer the question from inside their waits; one that computes, is stopped or is stuck
 * outside MPI does not.
 */
void gf__mpi_wait(const struct gf_mpi *m, MPI_Request *req, MPI_Status *status);

/*
 * gf__mpi_wait without the naps, for the timed region: it tests without a pause, as the
 * blocking call it replaces would poll, so the figures are those of the blocking call, and
 * it sees the deadline as gf__mpi_wait does.
 */
void gf__mpi_spin(const struct gf_mpi *m, MPI_Request *req, MPI_Status *status);

/* How a request is completed: gf__mpi_wait (asleep) or gf__mpi_spin (awake). */
typedef void (*gf_mpi_wait_fn)(const struct gf_mpi *m, MPI_Request *req, MPI_Status *status);

/*
 * The backend's collectives, every one on MPI_COMM_WORLD: each takes the arguments of MPI's
 * call of the same name, less the communicator, and the wait that completes it. Collective.
 * Two implementations, of which CMake links one (mpi/CMakeLists.txt), as it links one clock:
 * coll.c starts the nonblocking call (MPI_Igather for gf__mpi_coll_gather) and completes it
 * with wait, so that rank 0 sees --timeout's deadline while it waits and the others answer
 * its question; coll_smpi.c, in the simulated build (smpicc), makes the blocking call
 * and leaves wait unused, since SMPI's nonblocking collectives cost real time that grows with
 * the square of the ranks. An MPI error ends the job (the world's MPI_ERRORS_ARE_FATAL).
 */
void gf__mpi_coll_barrier(const struct gf_mpi *m, gf_mpi_wait_fn wait);
void gf__mpi_coll_bcast(const struct gf_mpi *m, gf_mpi_wait_fn wait, void *buf, int count,
			MPI_Datatype type, int root);
void gf__mpi_coll_reduce(const struct gf_mpi *m, gf_mpi_wait_fn wait, const void *send, void *recv,
			 int count, MPI_Datatype type, MPI_Op op, int root);
void gf__mpi_coll_allreduce(const struct gf_mpi *m, gf_mpi_wait_fn wait, const void *send,
			    void *recv, int count, MPI_Datatype type, MPI_Op op);
void gf__mpi_coll_gather(const struct gf_mpi *m, gf_mpi_wait_fn wait, const void *send, int scount,
			 MPI_Datatype stype, void *recv, int rcount, MPI_Datatype rtype, int root);
void gf__mpi_coll_gatherv(const struct gf_mpi *m, gf_mpi_wait_fn wait, const void *send, int scount,
			  MPI_Datatype stype, void *recv, const int *rcounts, const int *displs,
			  MPI_Datatype rtype, int root);
void gf__mpi_coll_scatter(const struct gf_mpi *m, gf_mpi_wait_fn wait, const void *send, int scount,
			  MPI_Datatype stype, void *recv, int rcount, MPI_Datatype rtype, int root);
void gf__mpi_coll_scatterv(const struct gf_mpi *m, gf_mpi_wait_fn wait, const void *send,
			   const int *scounts, const int *displs, MPI_Datatype stype, void *recv,
			   int rcount, MPI_Datatype rtype, int root);

/*
 * What differs where the ranks are simulated, beside the collectives and the clock
 * (gf__mpi_clock_sync): machine.c on real hosts, machine_smpi.c in the simulated build, one
 * of them linked by CMake.
 *
 * gf__mpi_wait_blocks: 1 where a wait may be the plain MPI_Wait. Simulated, a wait costs
 * nothing of the real core, and each test and nap would add simulated time of its own (SMPI
 * charges an MPI_Test): the plain wait is exact there, unless --timeout is armed (m->watch),
 * where the waits still poll to answer rank 0's questions. 0 on real hosts.
 *
 * gf__mpi_cores_usable: rank 0, after gf__mpi_count_hosts: the CPUs of every host of the
 * ranks, each host counted once; 0 where the hosts are simulated, whose cores are the
 * model's. Not collective.
 */
int gf__mpi_wait_blocks(const struct gf_mpi *m);
int gf__mpi_cores_usable(const struct gf_mpi *m);

/*
 * Where --timeout is armed, makes this rank's watch state: rank 0's list of what each rank
 * holds, and on the other ranks the receive of rank 0's question. Call on every rank before
 * the first wait that the deadline may pass in. Returns 0 (also when nothing is armed), or -1
 * when memory or MPI failed. Not collective.
 */
int gf__mpi_watch_start(struct gf_mpi *m);

/* Cancels the receive of the question and frees the watch state. Safe to call always. */
void gf__mpi_watch_end(struct gf_mpi *m);

/*
 * Rank 0: rank holds count tasks, at positions first, first + step, ... of the task list,
 * until the end of the repetition (gf__mpi_span_end forgets them). Nothing where the watch
 * is not armed or on other ranks.
 */
void gf__mpi_watch_given(const struct gf_mpi *m, int rank, int32_t first, int32_t step,
			 int32_t count);

/* Rank 0, at the end of a repetition: forgets what every rank held. Nothing elsewhere. */
void gf__mpi_watch_forget(const struct gf_mpi *m);

/*
 * In a wait, where --timeout is armed (m->watch): rank 0 looks at the deadline, and past it
 * asks, names the ranks that do not answer and ends the job; the other ranks answer rank 0's
 * question where it came. Not collective.
 */
void gf__mpi_watch_poll(const struct gf_mpi *m);

/*
 * Gathers every rank's host name (gethostname) and the CPUs it may use (gf_bind_mask) on
 * rank 0: m->hosts, the number of distinct names, and per rank its host's name, the CPUs
 * the ranks on that host may use between them and whether it is rank 0's host; waited for
 * asleep. Makes the spans' buffers too (span_all, span_mine), once m->threads is known. A
 * rank that cannot allocate or name its host ends the job (gf__mpi_die).
 */
void gf__mpi_count_hosts(struct gf_mpi *m);

/*
 * Where --bind is on, pins this rank to gf_bind_cpu(its local rank): the rank among those of
 * its host, from OMPI_COMM_WORLD_LOCAL_RANK where every rank has it, else from
 * MPI_Comm_split_type(MPI_COMM_TYPE_SHARED); rank 0 says, once per host, where a host has
 * more ranks than CPUs. After gf__mpi_count_hosts. Nothing where --bind is off.
 */
void gf__mpi_bind(struct gf_mpi *m);

/*
 * One time base for the ranks, after gf__mpi_count_hosts and before the timed repetitions.
 * Ranks on rank 0's host read the same CLOCK_MONOTONIC: their offset is 0. A rank on another
 * host measures its clock's offset against rank 0's by ping-pong: GF_MPI_SYNC_ROUNDS round
 * trips with rank 0, keeping the shortest, whose middle is taken to be the moment the rank
 * read its clock; the error of that offset is at most half that round trip. The simulated
 * build's clock is the simulation's, one for every rank (clock_smpi.c, linked in clock.c's
 * place). Sets m->clock_offset on every rank, and on rank 0 the sync's kind, the largest
 * offset and the largest error bound. Collective; its waits before each rank's turn sleep.
 */
#define GF_MPI_SYNC_ROUNDS 16
void gf__mpi_clock_sync(struct gf_mpi *m);

/* A barrier whose waiting sleeps (MPI_Ibarrier and gf__mpi_wait). */
void gf__mpi_barrier(const struct gf_mpi *m);

/*
 * The start of a timed section: a sleeping barrier for the long wait, then a spinning one
 * (MPI_Ibarrier, gf__mpi_spin) so that every rank starts its clock together.
 */
void gf__mpi_start_together(const struct gf_mpi *m);

/* Starts a timed repetition: gf__mpi_start_together, then the shared clock. */
void gf__mpi_span_begin(const struct gf_mpi *m, struct gf_mpi_span *s);

/* Marks the end of the phase called name (a string literal) on this rank. */
void gf__mpi_span_mark(struct gf_mpi_span *s, const char *name);

/* The same at time t of the shared clock, which a team's span took (ranks of threads). */
void gf__mpi_span_mark_at(struct gf_mpi_span *s, const char *name, double t);

/*
 * Runs this rank's share of the tasks, tasks[0..k) into out[0..k): m->share where set (a team
 * of m->threads threads, worker ids m->rank * m->threads and up, phases start, compute and
 * stop), else one after the other as worker m->rank, marking "compute" in span (NULL: no
 * mark). Not collective.
 */
void gf__mpi_share(const struct gf_mpi *m, const struct gf_task *tasks, size_t k,
		   struct gf_result *out, struct gf_mpi_span *span);

/*
 * Ends a repetition on one time base (gf__mpi_clock_sync): each rank's start and marks as
 * timestamps of rank 0's clock, reduced to the earliest start and each mark's latest rank
 * (one MPI_Reduce with MPI_MAX, the start negated; waited for asleep). On rank 0,
 * rep->seconds runs from the earliest rank's start to the latest rank's last mark, so that
 * no rank's work falls outside it (a rank that left the start barrier late), and the phases
 * are the times from the previous phase's last rank (the earliest start for the first) to
 * this one's. Every rank must have made the same marks.
 * Then rank 0 gathers, asleep, each rank's CPU time of its compute phase into rep->cpu, its
 * host and CPU into rep->place, and the CPU time of the ranks on its own host but itself over
 * the repetition into rep->run_cpu.
 */
void gf__mpi_span_end(const struct gf_mpi *m, struct gf_mpi_span *s, struct gf_rep *rep);

/*
 * Static distribution: rank 0 scatters tasks[0..n) with MPI_Iscatterv, dealt as deal says,
 * every rank runs its share, and MPI_Igatherv brings the results to rank 0's results[0..n),
 * each completed by gf__mpi_spin.
 * Phases: scatter, compute, gather. tasks and results matter on rank 0 only.
 */
void gf__mpi_static(struct gf_mpi *m, const struct gf_task *tasks, size_t n, enum gf_mpi_deal deal,
		    struct gf_result *results, struct gf_rep *rep);

/* Example 25.1: rank r computes worker r's sum; MPI_Igather collects them on rank 0. */
void gf_mpi_sum(struct gf_mpi *m, const struct gf_task *tasks, size_t n, struct gf_result *results,
		struct gf_rep *rep);

/* Example 25.2: static (MPI_Scatterv, cyclic) or dynamic (rank 0 produces, stop sentinels). */
void gf_mpi_primes(struct gf_mpi *m, const struct gf_options *o, const struct gf_task *tasks,
		   size_t n, struct gf_result *results, struct gf_rep *rep);

/* Example 25.3: Pool.map as MPI_Scatterv of contiguous chunks and MPI_Gatherv. */
void gf_mpi_resize(struct gf_mpi *m, const struct gf_task *tasks, size_t n,
		   struct gf_result *results, struct gf_rep *rep);

#endif
