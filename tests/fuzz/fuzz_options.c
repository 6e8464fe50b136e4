/*
 * libFuzzer target for everything that reads user input: gf_parse_int, the whole command
 * line (gf_options_parse, with the worker variable) and the --limits list. Besides the
 * sanitizers' findings, it aborts when a result breaks the parser's contract: a value
 * accepted outside its limits, an integer that differs from the reference parse, a refusal
 * without a one-line message, or memory left allocated after a refusal.
 *
 * The first input byte picks the mode; the rest is the text (mode 0, 2) or the arguments,
 * separated by NUL bytes (mode 1), where an argument "ENV=x" sets the worker variable.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gf_options.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "contract broken: %s\n", what);
		abort();
	}
}

static void check_message(const char *err)
{
	check(err[0] != '\0', "a refusal without a message");
	check(strchr(err, '\n') == NULL, "a message of more than one line");
}

/* The reference: a plain optional sign and digits, as strtoll reads them, or -1. */
static int reference_int(const char *s, int64_t *out)
{
	const char *p = s + (*s == '+' || *s == '-');
	char *end;
	long long v;

	if (*p < '0' || *p > '9' || p[strspn(p, "0123456789")] != '\0')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE)
		return 1; /* out of int64 range: must be refused */
	*out = v;
	return 0;
}

static void fuzz_int(const char *s)
{
	static const int64_t ranges[][2] = {
		{ 1, GF_MAX_WORKERS }, { INT64_MIN, INT64_MAX }, { -10, 10 }, { 1, GF_MAX_N }
	};
	char err[96];
	int64_t v = 0, want = 0;
	int ref = reference_int(s, &want);

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		int64_t min = ranges[i][0], max = ranges[i][1];
		int rc = gf_parse_int(s, min, max, &v, err, sizeof(err));

		if (rc == 0) {
			check(ref == 0 && v == want, "an integer that differs from strtoll's");
			check(v >= min && v <= max, "an integer accepted outside its range");
		} else {
			check(rc == -EINVAL, "a refusal other than -EINVAL");
			check(ref != 0 || want < min || want > max, "a valid integer refused");
			check_message(err);
		}
	}
}

static void check_accepted(const struct gf_options *o)
{
	struct gf_task *tasks;
	size_t ntasks;
	int64_t most;

	if (o->help || o->version)
		return;
	check(o->workers >= 1 && o->workers <= GF_MAX_WORKERS, "--workers out of range");
	check(o->reps >= 1 && o->reps <= GF_MAX_REPS, "--reps out of range");
	check(!o->reps_auto || (o->reps >= GF_STATS_CI_MIN && o->ci_target > 0 &&
				o->ci_target <= GF_MAX_CI_TARGET && o->reps_cap > 0),
	      "--reps auto with a count, target or cap out of range");
	check(o->n >= 1 && o->n <= GF_MAX_N, "--n out of range");
	check(o->nlimits >= 1 && o->nlimits <= GF_MAX_LIST && o->limits, "a bad list length");
	for (size_t i = 0; i < o->nlimits; i++)
		check(o->limits[i] >= 1 && o->limits[i] <= GF_MAX_LIMIT, "a limit out of range");
	check(o->images >= 1 && o->images <= GF_MAX_IMAGES, "--images out of range");
	check(o->width >= 1 && o->width <= GF_MAX_DIMENSION, "--width out of range");
	check(o->height >= 1 && o->height <= GF_MAX_DIMENSION, "--height out of range");
	check(o->be[1].i >= 0 && o->be[1].i <= 1000000, "--chunksize out of range");
	check(o->be[0].i >= 0 && o->be[0].i <= 1 && o->be[2].i >= 0 && o->be[2].i <= 1,
	      "a word's index out of range");
	most = o->workers;
	if ((int64_t)o->nlimits > most && o->workload == GF_PRIMES)
		most = (int64_t)o->nlimits;
	if (o->images > most && o->workload == GF_RESIZE)
		most = o->images;
	check(most * o->reps <= GF_MAX_SAMPLES, "more timings than the limit");
	check(gf_tasks_build(o, &tasks, &ntasks) == 0, "gf_tasks_build failed");
	check(ntasks >= 1, "no tasks");
	free(tasks);
}

static void fuzz_args(char *text, size_t len, int all_flags)
{
	static const char *const start[] = { "fork", "spawn", NULL };
	static const char *const schedule[] = { "static", "dynamic", NULL };
	/* the posix and mpi backends' options, in one table */
	static const struct gf_optdef options[] = {
		{ .name = "start", .kind = GF_OPTK_WORD, .words = start, GF_OPT_SLOT(0) },
		{ .name = "chunksize",
		  .kind = GF_OPTK_INT,
		  .min = 1,
		  .max = 1000000,
		  GF_OPT_SLOT(1) },
		{ .name = "schedule", .kind = GF_OPTK_WORD, .words = schedule, GF_OPT_SLOT(2) },
		{ .name = NULL },
	};
	static const struct gf_cli clis[] = {
		{ .prog = "gilfree-fuzz", .workers_env = "GF_FUZZ_WORKERS" },
		{ .prog = "gilfree-fuzz", .options = options },
	};
	char *argv[MAX_ARGS + 2] = { "gilfree-fuzz" };
	struct gf_options o;
	char err[512];
	int argc = 1, rc;

	unsetenv("GF_FUZZ_WORKERS");
	for (size_t i = 0; i < len && argc <= MAX_ARGS; i += strlen(text + i) + 1) {
		if (strncmp(text + i, "ENV=", 4) == 0)
			setenv("GF_FUZZ_WORKERS", text + i + 4, 1);
		else
			argv[argc++] = text + i;
	}
	argv[argc] = NULL;
	rc = gf_options_parse(argc, argv, &clis[all_flags], &o, err, sizeof(err));
	if (rc == 0) {
		check_accepted(&o);
	} else {
		check(rc == -EINVAL, "a refusal other than -EINVAL");
		check(o.limits == NULL, "memory left after a refusal");
		check_message(err);
	}
	gf_options_release(&o);
}

static void fuzz_limits(char *list)
{
	char *argv[] = { "gilfree-fuzz", "primes", "--limits", list, NULL };
	static const struct gf_cli cli = { .prog = "gilfree-fuzz" };
	struct gf_options o;
	char err[512];
	size_t items = 1;

	for (const char *p = list; *p; p++)
		items += *p == ',';
	if (gf_options_parse(4, argv, &cli, &o, err, sizeof(err)) != 0) {
		check(o.limits == NULL, "memory left after a refusal");
		check_message(err);
		return;
	}
	check(o.nlimits == items, "a list of another length than its items");
	for (size_t i = 0; i < o.nlimits; i++) {
		int64_t want = 0;
		const char *item = list;
		char buf[32];
		size_t n;

		for (size_t k = 0; k < i; k++)
			item = strchr(item, ',') + 1;
		n = strcspn(item, ",");
		check(n < sizeof(buf), "an item longer than any number accepted");
		memcpy(buf, item, n);
		buf[n] = '\0';
		check(reference_int(buf, &want) == 0 && want == o.limits[i],
		      "a list item that differs from strtoll's");
	}
	gf_options_release(&o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size < 1)
		return 0;
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 4) {
	case 0:
		fuzz_int(text);
		break;
	case 1:
	case 3:
		fuzz_args(text, size - 1, data[0] % 4 == 3);
		break;
	case 2:
		fuzz_limits(text);
		break;
	}
	free(text);
	return 0;
}
