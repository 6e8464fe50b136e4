/*
 * gf_cost_charge in the simulated build (gilfree-mpi-sim, compiled by smpicc; gf_cost.h). The task
 * has run for real (its result is checked); its simulated time is its operation count at the
 * host's speed, charged with smpi_execute_flops. The operations of a kernel are its
 * iterations times a weight, the operations one iteration is worth in the unit of the host's
 * speed (smpi/host-speed and the platform's speed: the calibration's, one multiply and one
 * add of sum's loop, so sum's weight is 2). simulate.py times each kernel on one core of this
 * machine once and passes the weights in GF_SIM_COST ("sum=2,primes=W,resize=W,task=W");
 * without it the nominal weights below are charged. task is the work of one task outside its
 * kernel's iterations (gf_task_run's clock reads, its result, the kernel's call), charged
 * once per task whatever its kernel: it is what sets the time of tasks of a microsecond.
 *
 * The iterations: sum, n; resize, its pixels (width x height / 100, one square root and one
 * add each); primes, per number below the limit one for its integer square root and one per
 * trial division, counted exactly (the same loop, without the kernel's result), once per
 * limit and rank.
 */
#include "gf_cost.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h> /* SMPI's, which declares smpi_execute_flops */

#include "gf_kernels.h"
#include "gf_workload.h"

enum { TASK = 3, WEIGHTS = 4 }; /* the weights: one per gf_workload, then one per task */
static const char *const names[WEIGHTS] = { "sum", "primes", "resize", "task" };
static double weight[WEIGHTS] = { 2.0, 1.0, 1.0, 0.0 };

int gf_cost_init(char *err, size_t errlen)
{
	const char *env = getenv("GF_SIM_COST");
	char buf[256], *save = NULL;

	if (!env)
		return 0;
	if (strlen(env) >= sizeof(buf)) {
		snprintf(err, errlen, "invalid GF_SIM_COST: longer than %zu characters",
			 sizeof(buf) - 1);
		return -EINVAL;
	}
	memcpy(buf, env, strlen(env) + 1);
	for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '='), *end = NULL;
		size_t k = 0;
		double v;

		while (eq && k < WEIGHTS &&
		       (strlen(names[k]) != (size_t)(eq - item) ||
			strncmp(item, names[k], (size_t)(eq - item)) != 0))
			k++;
		if (!eq || k == WEIGHTS) {
			snprintf(err, errlen,
				 "invalid GF_SIM_COST '%s': '%s' is not NAME=W, NAME one of sum, "
				 "primes, resize, task",
				 env, item);
			return -EINVAL;
		}
		v = strtod(eq + 1, &end);
		/* a kernel's iteration costs something; a task's own work may be nothing */
		if (end == eq + 1 || *end != '\0' || !isfinite(v) || v > 1e9 ||
		    (k == TASK ? v < 0.0 : v <= 0.0)) {
			snprintf(err, errlen,
				 "invalid GF_SIM_COST '%s': '%s' is not a weight %s 0, at most 1e9",
				 env, eq + 1, k == TASK ? "of at least" : "above");
			return -EINVAL;
		}
		weight[k] = v;
	}
	return 0;
}

/* One for each number's square root, one per trial division: the kernel's loop, counted. */
static double primes_iterations(int64_t limit)
{
	enum { CACHE = 16 };
	static int64_t limits[CACHE];
	static double counts[CACHE];
	static int next;
	double count = 0.0;

	for (int i = 0; i < CACHE; i++)
		if (limits[i] == limit && limit > 0)
			return counts[i];
	for (int64_t n = 2; n < limit; n++) {
		int64_t root = gf_isqrt(n), i = 2, tried = 0;

		while (i <= root) {
			tried++;
			if (n % i == 0)
				break;
			i++;
		}
		count += (double)(1 + tried);
	}
	limits[next] = limit;
	counts[next] = count;
	next = (next + 1) % CACHE;
	return count;
}

void gf_cost_charge(const struct gf_task *task)
{
	double iterations = 0.0, ops;

	switch ((enum gf_workload)task->workload) {
	case GF_SUM:
		iterations = (double)task->a;
		break;
	case GF_PRIMES:
		iterations = primes_iterations(task->key);
		break;
	case GF_RESIZE: {
		int64_t pixels = task->a * task->b / 100; /* the kernel's own count */

		iterations = (double)pixels;
		break;
	}
	}
	if ((unsigned)task->workload >= TASK)
		return;
	ops = iterations * weight[task->workload] + weight[TASK];
	if (ops > 0.0)
		smpi_execute_flops(ops);
}
