#include "gf_limits.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Adds one broken limit to out->why, after a "; " where one is there already. */
__attribute__((format(printf, 2, 3))) static void broken(struct gf_limits *out, const char *fmt,
							 ...)
{
	size_t at = strlen(out->why);
	va_list ap;

	out->plausible = 0;
	if (at && at + 2 < sizeof(out->why)) {
		memcpy(out->why + at, "; ", 3);
		at += 2;
	}
	if (at + 1 >= sizeof(out->why))
		return;
	va_start(ap, fmt);
	vsnprintf(out->why + at, sizeof(out->why) - at, fmt, ap);
	va_end(ap);
}

void gf_limits_check(const struct gf_limits_in *in, struct gf_limits *out)
{
	int p = in->workers > 0 ? in->workers : 1;
	int usable = in->cores > 0 && in->cores < p ? in->cores : p;
	double longest = 0.0, total = 0.0;

	out->plausible = 1;
	out->why[0] = '\0';
	if (!(in->seq > 0) || !(in->par > 0))
		return;
	if (in->seq / in->par > GF_LIMITS_SLACK_UP * usable)
		broken(out, "speedup %.2fx > %.2f x min(P=%d, cores=%d)", in->seq / in->par,
		       GF_LIMITS_SLACK_UP, p, in->cores > 0 ? in->cores : p);
	for (size_t i = 0; in->task && i < in->ntasks; i++) {
		if (in->task[i] > longest)
			longest = in->task[i];
		if (in->task[i] > 0)
			total += in->task[i];
	}
	if (in->par < GF_LIMITS_SLACK_DOWN * longest)
		broken(out, "parallel %.6f s < longest task %.6f s, by %.0f%%", in->par, longest,
		       100 * (1 - in->par / longest));
	if (in->par < GF_LIMITS_SLACK_DOWN * total / usable)
		broken(out, "parallel %.6f s < tasks' sum %.6f s / min(P=%d, cores=%d), by %.0f%%",
		       in->par, total, p, in->cores > 0 ? in->cores : p,
		       100 * (1 - in->par * usable / total));
}
