/*
 * The limits physics sets on a run's figures, checked in every record. A run of P workers on
 * C cores (the CPUs its processes may use, summed over its hosts: each host's affinity mask,
 * not the printing host's core count) can at best keep min(P, C) cores busy, so:
 *   - speedup <= min(P, C) x GF_LIMITS_SLACK_UP;
 *   - a repetition lasts at least as long as its longest task (less GF_LIMITS_SLACK_DOWN);
 *   - a repetition lasts at least the tasks' total / min(P, C) (less GF_LIMITS_SLACK_DOWN).
 * A record that breaks one is implausible: its clock or its baseline is wrong, or the
 * sequential loop ran slow (disturbed); it is not a gain to report.
 */
#ifndef GF_LIMITS_H
#define GF_LIMITS_H

#include <stddef.h>

#define GF_LIMITS_SLACK_UP   1.05 /* speedup up to 5% above min(P, C) */
#define GF_LIMITS_SLACK_DOWN 0.95 /* times down to 5% below their bound */

/* What the check needs of a run. */
struct gf_limits_in {
	int workers;        /* P */
	int cores;          /* C: the CPUs the run may use; 0 or less: unknown, P counts */
	double seq;         /* the sequential median, seconds */
	double par;         /* the parallel median, seconds */
	const double *task; /* [ntasks]: each task's time alone, seconds (see gf_driver.c for
			       which), or NULL: the time bounds are not checked */
	size_t ntasks;
};

#define GF_LIMITS_WHY_MAX 256

/* The verdict: plausible 1, or 0 with the limits broken and by how much in why. */
struct gf_limits {
	int plausible;
	char why[GF_LIMITS_WHY_MAX]; /* "" or "speedup 3.93x > 1.05 x min(P=4, cores=1)", the
					broken limits joined by "; " */
};

/*
 * Checks in against the three limits into out. Figures that are not positive (a run that
 * measured nothing) break no limit. Not thread-safe only as far as out is shared.
 */
void gf_limits_check(const struct gf_limits_in *in, struct gf_limits *out);

#endif
