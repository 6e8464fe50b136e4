/*
 * The one clock of every backend (CLOCK_MONOTONIC). In a comparison suite the timer must not
 * be a variable, so MPI_Wtime and omp_get_wtime are not used anywhere. The clock is its own
 * library (gf_clock), linked by gf_shared, so that a build can put another clock behind the
 * same gf_clock_now at link time (a simulated one) without touching a caller.
 */
#ifndef GF_CLOCK_H
#define GF_CLOCK_H

#include <stddef.h>

#include "gf_stats.h" /* the statistics were declared here first: includers still get them */

/* Seconds since an arbitrary fixed point, from CLOCK_MONOTONIC. Thread- and fork-safe. */
double gf_clock_now(void);

/*
 * The calling thread's CPU time in seconds, on gf_clock_now's scale, or -1 where the two do
 * not compare (the simulated build, whose gf_clock_now is simulated time): so that a share of
 * a core, CPU time over gf_clock_now's wall time, is known only where it means something.
 */
double gf_clock_cpu(void);

#endif
