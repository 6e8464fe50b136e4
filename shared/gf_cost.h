/*
 * The cost a task charges to a simulated clock. In the real build a task's time is the time
 * it takes, and both functions do nothing. In the simulated build (gilfree-mpi-sim, SMPI run
 * with smpi/simulate-computation:no, so that nothing a rank executes is timed on this
 * machine) each task charges its own operations, from a cost model per kernel
 * (shared/gf_cost_smpi.c): the same task costs the same simulated time in every run,
 * whatever this machine's load. CMake links one or the other, as it does the clock.
 */
#ifndef GF_COST_H
#define GF_COST_H

#include <stddef.h>

struct gf_task; /* gf_workload.h's, only named here: gf_workload.c includes this header */

/*
 * Reads the model's weights (GF_SIM_COST in the environment, in the simulated build).
 * Returns 0, or -EINVAL with a one-line reason naming the bad value in err (errlen bytes).
 * Call on every rank before the first task: each reads the same environment.
 */
int gf_cost_init(char *err, size_t errlen);

/* Charges task's operations to the simulated clock, after it ran. Not thread-safe. */
void gf_cost_charge(const struct gf_task *task);

#endif
