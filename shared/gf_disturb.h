/*
 * Was the run disturbed? A worker busy for a wall time b that got c seconds of CPU in it had
 * c / b of a core. Alone on a core that is about 1; sharing it with something else, less. A
 * repetition is disturbed when a busy worker got less than GF_DISTURB_FACTOR of the share of
 * a core it could expect: 1 where its host has a core for each of its workers, else
 * 1 / ceil(workers / cores), the share of a worker on the busiest core with the workers spread
 * as evenly as whole workers allow; cores are the CPUs the run may use (gf_bind.h) and
 * workers those on the same host. Beside the mark, what the machine says of the same time
 * (/proc/stat): the time the hypervisor stole, and the CPU time spent by processes other
 * than this run's.
 *
 * The driver keeps the per-worker CPU times of every timed repetition here, as each backend
 * measures them: an OpenMP thread reads its thread's CPU clock around its work, a posix
 * worker reports its process's CPU clock with its results, an MPI rank reads its process's
 * CPU clock around its compute and rank 0 gathers them.
 */
#ifndef GF_DISTURB_H
#define GF_DISTURB_H

#include <stdio.h>

#include "gf_bind.h"

/* A repetition is disturbed below this fraction of the share of a core a worker can expect. */
#define GF_DISTURB_FACTOR 0.9

/*
 * A late start, which the shares cannot see: a short task runs at a full core once it runs,
 * but a competitor held its worker back first. The time a repetition's busiest worker needs
 * is its CPU time over the share of a core it can expect (as above). A repetition starts late
 * when its start (the last worker's arrival, or the latest rank's start after the earliest)
 * is longer than GF_DISTURB_LATE times that, or its wall time longer than
 * GF_DISTURB_LATE_WALL times that.
 */
#define GF_DISTURB_LATE      2.0
#define GF_DISTURB_LATE_WALL 4.0

/*
 * A sequential repetition is disturbed above this many times the sequential median, or where
 * its CPU time is known and below GF_DISTURB_FACTOR of its wall time: the loop runs alone on
 * its core, and a neighbour that takes part of that core slows every repetition alike, which
 * the median cannot see (on one core, a loop at half a core made MPI's sum read 1.6x-2.5x).
 */
#define GF_DISTURB_SEQ 2.0

/* The calling thread's CPU time in seconds (CLOCK_THREAD_CPUTIME_ID), or -1. */
double gf_cpu_thread(void);

/* The calling process's CPU time in seconds, all its threads (CLOCK_PROCESS_CPUTIME_ID), or -1. */
double gf_cpu_process(void);

/* The machine's CPU time so far, from /proc/stat's aggregate "cpu" line. */
struct gf_procstat {
	int ok;        /* 1 when the line was read */
	double steal;  /* seconds stolen by the hypervisor (its 8th field) */
	double active; /* seconds of user, nice, system, irq and softirq (no idle, iowait, steal) */
};

/*
 * Reads the "cpu" line of text (the contents of /proc/stat) into *s, in seconds (ticks of
 * ticks_per_s). Returns 0, or -EINVAL (s->ok 0) when there is no such line with 8 fields.
 */
int gf_procstat_parse(const char *text, double ticks_per_s, struct gf_procstat *s);

/* Reads /proc/stat now. Returns 0, or a negative errno (s->ok 0). */
int gf_procstat_read(struct gf_procstat *s);

/* A run's CPU times, as the driver keeps them, and the verdict on them. */
struct gf_disturb {
	int workers, reps;
	double *cpu;            /* [worker][rep]: CPU seconds of worker's part, -1 unknown */
	double *rep_cpu;        /* [worker]: the repetition in progress (struct gf_rep's cpu) */
	struct gf_place *place; /* [worker]: where each ran, as its last repetition left it */
	double run_cpu;         /* CPU seconds of the run's other processes (posix workers,
				   MPI ranks on this host) over the timed repetitions */
	struct gf_procstat stat0, stat1; /* the machine at the start and end of the timed
					    repetitions */
	double self0, self1;             /* this process's CPU time then */
	double steal_s;                  /* the span's stolen time, NAN unknown */
	double others_cpu_s;             /* the span's CPU time of other processes, NAN unknown */
	/* the verdict, by gf_disturb_judge */
	double *cpu_median; /* [worker]: median over the repetitions, -1 unknown */
	double *share;      /* [rep]: the least cpu / busy of a busy worker, NAN where none */
	double share_min;   /* the least of share[], NAN where none */
	double threshold;   /* GF_DISTURB_FACTOR times the share expected (the least of the
			       hosts' where they differ) */
	int reps_disturbed;
	int disturbed;          /* any of: a share too low, a late start, a slow sequential one */
	int late_start_reps;    /* by gf_disturb_judge_late: repetitions that started late */
	int seq_reps;           /* ... the sequential repetitions judged */
	int seq_reps_disturbed; /* ... and those far above their median */
};

/*
 * Allocates d for workers workers and reps repetitions, every time unknown, every worker
 * placed on host, which cores CPUs serve, at an unknown CPU. Returns 0 or -ENOMEM (d is then
 * safe to free).
 */
int gf_disturb_alloc(struct gf_disturb *d, int workers, int reps, const char *host, int cores);

/* Frees what gf_disturb_alloc and gf_disturb_judge made. Safe on a zeroed struct. */
void gf_disturb_free(struct gf_disturb *d);

/* Before a parallel repetition: every worker's time in rep_cpu unknown again. */
void gf_disturb_rep_begin(struct gf_disturb *d);

/* After timed repetition rep: keeps rep_cpu, and run_cpu, the run's other processes' CPU. */
void gf_disturb_rep_end(struct gf_disturb *d, int rep, double run_cpu);

/* Around the timed repetitions: the machine's and this process's CPU times at each end. */
void gf_disturb_span_begin(struct gf_disturb *d);
void gf_disturb_span_end(struct gf_disturb *d);

/*
 * The verdict, from the busy times busy[worker][rep] (busy wall time of each worker in each
 * timed repetition). Returns 0 or -ENOMEM.
 */
int gf_disturb_judge(struct gf_disturb *d, const double *busy);

/*
 * After gf_disturb_judge: the late starts, from each timed repetition's wall time wall[rep]
 * and its start start[rep] (NULL, or negative: unknown), and the sequential repetitions
 * seq[0..nseq) against their median and, where seq_cpu (NULL, or negative: unknown) gives
 * their CPU time, against a full core (GF_DISTURB_LATE, GF_DISTURB_SEQ); either makes the run
 * disturbed. Returns 0 or -ENOMEM.
 */
int gf_disturb_judge_late(struct gf_disturb *d, const double *wall, const double *start,
			  const double *seq, const double *seq_cpu, int nseq);

/*
 * The record's parts, each for d or, where d is NULL, for a run that measured nothing:
 *   json_cpu:    "cpu_s":[per worker]
 *   json_shares: "cpu_share":[per repetition]
 *   json:        "disturbed":...,"disturbance":{...,"late_start_reps":N,"seq_reps_disturbed":N,
 *                "seq_disturbed":B},"bind":...,"placement":[...]
 *   text:        "placement: ..." and, when disturbed, "disturbed: ..." (one line each);
 *                what names the workers ("workers", "ranks")
 *   csv:         ",disturbed,cpu_share_min" (head) or the row's values
 */
void gf_disturb_json_cpu(FILE *f, const struct gf_disturb *d);
void gf_disturb_json_shares(FILE *f, const struct gf_disturb *d);
void gf_disturb_json(FILE *f, const struct gf_disturb *d, int bind);
void gf_disturb_text_placement(FILE *f, const struct gf_disturb *d, const char *what, int bind);
void gf_disturb_text_mark(FILE *f, const struct gf_disturb *d);
void gf_disturb_csv(FILE *f, const struct gf_disturb *d, int head);

#endif
