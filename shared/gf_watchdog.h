/*
 * The run's deadline (--timeout). Two parts:
 *
 * - A deadline the run loops read: gf_watchdog_left and gf_watchdog_ms let a loop that waits
 *   (poll, MPI_Test) notice the deadline itself, stop its workers cleanly and name what was
 *   outstanding. Backends whose waits can do this (posix, MPI) ask for a grace period.
 * - A last resort for code that cannot look at a clock (a kernel that runs on, an OpenMP team,
 *   a blocking collective): SIGALRM at the deadline plus the grace writes one line on stderr,
 *   "<prog>: --timeout 5 s passed in repetition 2 of 5: 2 of 6 tasks unfinished (3, 5)", and
 *   ends the process with _exit(1). Its children die with it (PR_SET_PDEATHSIG); mpirun ends
 *   the other ranks of a rank that exits so.
 *
 * The tasks named are those this process was running: gf_task_run marks each task done, and
 * gf_watchdog_tasks starts the list of a phase. A process that runs no tasks itself (the posix
 * parent, an MPI rank waiting) says only where it was. One deadline per process; not
 * thread-safe except gf_watchdog_task_done, gf_watchdog_left and gf_watchdog_ms.
 */
#ifndef GF_WATCHDOG_H
#define GF_WATCHDOG_H

#include <stddef.h>
#include <stdint.h>

/*
 * Arms the deadline seconds from now (seconds <= 0 disarms it), with the last resort grace
 * seconds later. The last resort's line starts with the last words' prog (gf_last_words_set,
 * gf_stdio.h). Returns 0, or a negative errno when the timer cannot be set (the deadline still
 * holds for the loops).
 */
int gf_watchdog_arm(double seconds, double grace);

/*
 * Whether the waits of this process are watching the deadline now (1, after arming), so that
 * the last resort waits the grace, or not (0: the process computes, as in the sequential
 * baseline), so that it ends the run at the deadline itself. Re-sets the timer from now.
 */
void gf_watchdog_waits_watch(int on);

/* Disarms the deadline and the last resort, and frees the task list. Safe to call always. */
void gf_watchdog_disarm(void);

/* The seconds given to gf_watchdog_arm, 0 when none is armed. */
double gf_watchdog_seconds(void);

/* Seconds left to the deadline: a very large number when none is armed, <= 0 once passed. */
double gf_watchdog_left(void);

/* A poll timeout in ms (-1: none) shortened to the time left to the deadline (at least 0). */
int gf_watchdog_ms(int ms);

/*
 * Writes the start of the line a run that passed its deadline prints, the same as the last
 * resort's after "<prog>: ": "--timeout 2.5 s passed in repetition 2 of 5" (at most len bytes,
 * cut short if need be). For the loops that notice the deadline themselves and go on with
 * what was outstanding (the posix parent, MPI's rank 0). Not async-signal-safe.
 */
void gf_watchdog_passed(char *buf, size_t len);

/*
 * Where the run is, for the line: "in repetition 2 of 5" (copied, at most 95 bytes). Called by
 * the thread that drives the run, between phases.
 */
void gf_watchdog_where(const char *where);

/*
 * Starts a phase of ntasks tasks that run in this process, all unfinished (ntasks 0: none run
 * here, the line names none). Without memory for the list, names none. Not thread-safe.
 */
void gf_watchdog_tasks(size_t ntasks);

/* Marks task index finished (gf_task_run calls it). Thread- and async-signal-safe. */
void gf_watchdog_task_done(int32_t index);

#endif
