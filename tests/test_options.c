/* The option parser: defaults, classes, overrides, and every kind of bad input. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gf_options.h"
#include "gf_test.h"

/* A backend with the posix and mpi backends' options, declared as they declare them. */
enum { X_START, X_CHUNKSIZE, X_SCHEDULE };
static const char *const start_words[] = { "fork", "spawn", NULL };
static const char *const schedule_words[] = { "static", "dynamic", NULL };
static const struct gf_optdef x_options[] = {
	[X_START] = { .name = "start",
		      .kind = GF_OPTK_WORD,
		      .words = start_words,
		      GF_OPT_SLOT(X_START),
		      .flags = GF_OPTF_HOW },
	[X_CHUNKSIZE] = { .name = "chunksize",
			  .kind = GF_OPTK_INT,
			  .min = 1,
			  .max = 1000000,
			  GF_OPT_SLOT(X_CHUNKSIZE),
			  .flags = GF_OPTF_HOW | GF_OPTF_IF_SET },
	[X_SCHEDULE] = { .name = "schedule",
			 .kind = GF_OPTK_WORD,
			 .words = schedule_words,
			 GF_OPT_SLOT(X_SCHEDULE),
			 .flags = GF_OPTF_HOW },
	{ .name = NULL },
};

static const struct gf_cli omp_cli = { .prog = "gilfree-omp", .workers_env = "OMP_NUM_THREADS" };
static const struct gf_cli all_cli = { .prog = "gilfree-x", .options = x_options };

/* Parses a NULL-terminated argument list (without argv[0]). */
static int parse(const struct gf_cli *cli, struct gf_options *o, char *err, const char *const *args)
{
	char *argv[32];

	return gf_options_parse(gf_test_argv(argv, 32, "prog", args), argv, cli, o, err, 256);
}

#define PARSE(cli, o, err, ...) parse(cli, o, err, (const char *[]){ __VA_ARGS__, NULL })

static void test_defaults(void)
{
	struct gf_options o;
	char err[256];

	unsetenv("OMP_NUM_THREADS");
	CU_ASSERT_EQUAL(PARSE(&omp_cli, &o, err, "primes"), 0);
	CU_ASSERT_EQUAL(o.workload, GF_PRIMES);
	CU_ASSERT_EQUAL(o.cls, 'S');
	CU_ASSERT_EQUAL(o.workers, 4);
	CU_ASSERT_EQUAL(o.workers_given, 0);
	CU_ASSERT_EQUAL(o.reps, GF_DEFAULT_REPS);
	CU_ASSERT_EQUAL(o.format, GF_FORMAT_TEXT);
	CU_ASSERT_EQUAL(o.nlimits, 6);
	CU_ASSERT_EQUAL(o.limits[0], 20000);
	CU_ASSERT_EQUAL(o.limits[5], 15000);
	CU_ASSERT_EQUAL(o.n, 2000000);
	CU_ASSERT_EQUAL(o.images, 8);
	CU_ASSERT_EQUAL(o.width, 1920);
	CU_ASSERT_EQUAL(o.height, 1080);
	CU_ASSERT_EQUAL(o.bind, 0); /* the scheduler places the workers */
	gf_options_release(&o);
	CU_ASSERT_EQUAL(PARSE(&omp_cli, &o, err, "primes", "--bind"), 0);
	CU_ASSERT_EQUAL(o.bind, 1);
	gf_options_release(&o);
}

static void test_classes_keep_shape(void)
{
	static const char *names[] = { "S", "W", "A", "B" };
	int64_t prev_n = 0, prev_w = 0;
	struct gf_options o;
	char err[256];

	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL_FATAL(PARSE(&omp_cli, &o, err, "primes", "--class", names[i]), 0);
		CU_ASSERT_EQUAL(o.cls, names[i][0]);
		CU_ASSERT_EQUAL(o.nlimits, 6);
		/* the lecture's ratios: 20000:30000:...:15000 */
		CU_ASSERT_EQUAL(o.limits[0] * 3, o.limits[1] * 2);
		CU_ASSERT_EQUAL(o.limits[5] * 4, o.limits[0] * 3);
		CU_ASSERT_EQUAL(o.images, 8);
		CU_ASSERT_EQUAL(o.width * 1080, o.height * 1920);
		CU_ASSERT(o.n > prev_n);
		CU_ASSERT(o.width > prev_w);
		prev_n = o.n;
		prev_w = o.width;
		gf_options_release(&o);
	}
}

static void test_overrides_after_class(void)
{
	struct gf_options o;
	char err[256];

	/* an override wins whatever its place relative to --class */
	CU_ASSERT_EQUAL_FATAL(PARSE(&all_cli, &o, err, "--n", "77", "sum", "--class", "A", "-w",
				    "7", "-r", "9", "-f", "csv", "--start", "spawn", "--chunksize",
				    "3", "--schedule", "dynamic"),
			      0);
	CU_ASSERT_EQUAL(o.workload, GF_SUM);
	CU_ASSERT_EQUAL(o.cls, 'A');
	CU_ASSERT_EQUAL(o.n, 77);
	CU_ASSERT_EQUAL(o.workers, 7);
	CU_ASSERT_EQUAL(o.reps, 9);
	CU_ASSERT_EQUAL(o.format, GF_FORMAT_CSV);
	CU_ASSERT_EQUAL(o.be[X_START].i, 1); /* spawn */
	CU_ASSERT_EQUAL(o.be[X_CHUNKSIZE].i, 3);
	CU_ASSERT_EQUAL(o.be[X_SCHEDULE].i, 1); /* dynamic */
	gf_options_release(&o);
	CU_ASSERT_EQUAL_FATAL(
		PARSE(&all_cli, &o, err, "--limits", "5,3,1000000000", "primes", "--class", "A"),
		0);
	CU_ASSERT_EQUAL(o.nlimits, 3);
	CU_ASSERT_EQUAL(o.limits[2], 1000000000);
	gf_options_release(&o);
	CU_ASSERT_EQUAL_FATAL(PARSE(&all_cli, &o, err, "--images", "2", "resize", "--width", "10",
				    "--class", "A", "--height", "20"),
			      0);
	CU_ASSERT_EQUAL(o.images, 2);
	CU_ASSERT_EQUAL(o.width, 10);
	CU_ASSERT_EQUAL(o.height, 20);
	gf_options_release(&o);
	/* an option of another workload is refused, named with the workload */
	CU_ASSERT_EQUAL(PARSE(&all_cli, &o, err, "primes", "--images", "2"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "invalid --images '2': only for resize, not for primes");
	CU_ASSERT_EQUAL(PARSE(&all_cli, &o, err, "--limits", "7", "resize"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "invalid --limits '7': only for primes, not for resize");
	CU_ASSERT_EQUAL(PARSE(&all_cli, &o, err, "resize", "--n", "7"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "invalid --n '7': only for sum, not for resize");
	CU_ASSERT_EQUAL(PARSE(&all_cli, &o, err, "resize", "--workers=3", "--format=json"), 0);
	CU_ASSERT_EQUAL(o.workers, 3);
	CU_ASSERT_EQUAL(o.format, GF_FORMAT_JSON);
	gf_options_release(&o);
}

static void test_environment_workers(void)
{
	struct gf_options o;
	char err[256];

	setenv("OMP_NUM_THREADS", "3", 1);
	CU_ASSERT_EQUAL(PARSE(&omp_cli, &o, err, "sum"), 0);
	CU_ASSERT_EQUAL(o.workers, 3);
	gf_options_release(&o);
	/* --workers wins over the variable */
	CU_ASSERT_EQUAL(PARSE(&omp_cli, &o, err, "sum", "-w", "2"), 0);
	CU_ASSERT_EQUAL(o.workers, 2);
	gf_options_release(&o);
	/* a nested-level list: the outer level counts */
	setenv("OMP_NUM_THREADS", "5,2", 1);
	CU_ASSERT_EQUAL(PARSE(&omp_cli, &o, err, "sum"), 0);
	CU_ASSERT_EQUAL(o.workers, 5);
	gf_options_release(&o);
	/* a backend without a variable ignores it */
	CU_ASSERT_EQUAL(PARSE(&all_cli, &o, err, "sum"), 0);
	CU_ASSERT_EQUAL(o.workers, GF_DEFAULT_WORKERS);
	gf_options_release(&o);
	setenv("OMP_NUM_THREADS", "zero", 1);
	CU_ASSERT_EQUAL(PARSE(&omp_cli, &o, err, "sum"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "OMP_NUM_THREADS 'zero'"));
	setenv("OMP_NUM_THREADS", "0", 1);
	CU_ASSERT_EQUAL(PARSE(&omp_cli, &o, err, "sum"), -EINVAL);
	unsetenv("OMP_NUM_THREADS");
}

/* Each bad command line fails with -EINVAL and a message naming the bad value. */
static void test_bad_input(void)
{
	static const struct {
		const char *args[6];
		const char *needle;
	} bad[] = {
		{ { "sum", "--workers", "abc" }, "'abc'" },
		{ { "sum", "--workers", "0" }, "'0'" },
		{ { "sum", "--workers", "-1" }, "'-1'" },
		{ { "sum", "--workers", "1025" }, "'1025'" },
		{ { "sum", "--workers", "+" }, "'+'" },
		{ { "sum", "--workers", " 4" }, "' 4'" },
		{ { "sum", "--workers", "4\n5" }, "'4?5'" }, /* one line, whatever the input */
		{ { "sum", "--workers", "0x10" }, "'0x10'" },
		{ { "sum", "--workers", "9223372036854775808" }, "'9223372036854775808'" },
		{ { "sum", "--workers", "-9223372036854775809" }, "'-9223372036854775809'" },
		{ { "sum", "--reps", "0" }, "--reps '0'" },
		{ { "sum", "--n", "0" }, "--n '0'" },
		{ { "sum", "--n", "1000000000001" }, "'1000000000001'" },
		{ { "primes", "--limits", "" }, "--limits ''" },
		{ { "primes", "--limits", "," }, "--limits ','" },
		{ { "primes", "--limits", "1,,2" }, "'1,,2'" },
		{ { "primes", "--limits", "7," }, "'7,'" },
		{ { "primes", "--limits", "7,-8" }, "'-8'" },
		{ { "primes", "--limits", "7, 8" }, "' 8'" },
		{ { "primes", "--limits", "1000000001" }, "'1000000001'" },
		{ { "primes", "--limits", "123456789012345678901234567890123" }, "too long" },
		{ { "resize", "--images", "0" }, "--images '0'" },
		{ { "resize", "--width", "1e3" }, "'1e3'" },
		{ { "resize", "--height", "1000001" }, "'1000001'" },
		{ { "sum", "--class", "s" }, "'s'" },
		{ { "sum", "--class", "SW" }, "'SW'" },
		{ { "sum", "--format", "JSON" }, "'JSON'" },
		{ { "sum", "--start", "fork" }, "'--start'" }, /* not this backend's option */
		{ { "sum", "--schedule", "static" }, "'--schedule'" },
		{ { "sum", "--chunksize", "2" }, "'--chunksize'" },
		{ { "sum", "--frobnicate" }, "'--frobnicate'" },
		{ { "sum", "-x" }, "'-x'" },
		{ { "sum", "--workers" }, "'--workers'" },
		{ { "matmul" }, "'matmul'" },
		{ { "sum", "extra" }, "'extra'" },
		{ { "--reps", "2" }, "missing workload" },
		{ { "sum", "--timeout", "0" }, "--timeout '0'" },
		{ { "sum", "--timeout", "-1" }, "'-1'" },
		{ { "sum", "--timeout", "1e9" }, "'1e9'" },
		{ { "sum", "--timeout", "inf" }, "'inf'" },
		{ { "sum", "--timeout", "nan" }, "'nan'" },
		{ { "sum", "--timeout", "." }, "'.'" },
		{ { "sum", "--timeout", "5." }, "'5.'" },
		{ { "sum", "--timeout", " 5" }, "' 5'" },
		{ { "sum", "--timeout", "" }, "--timeout ''" },
		{ { "sum", "--timeout", "1000001" }, "'1000001'" },
		{ { "sum", "--task-timeout", "5" }, "'--task-timeout'" }, /* the pool's option */
		/* a flag takes no value: the value is named, not a mangled option */
		{ { "sum", "--help=1" }, "--help '1': --help takes no value" },
		{ { "sum", "--version=" }, "--version '': --version takes no value" },
		{ { "sum", "--bind=yes" }, "--bind 'yes': --bind takes no value" },
		/* an option given twice: the last would win silently */
		{ { "sum", "--workers", "2", "--workers", "3" }, "--workers '3': --workers was" },
		{ { "sum", "-w", "2", "--workers", "2" }, "--workers '2'" },
		{ { "sum", "--class", "S", "-c", "A" }, "--class 'A'" },
		{ { "sum", "--timeout", "1", "--timeout", "2" }, "--timeout '2'" },
	};
	struct gf_options o;
	char err[256];

	unsetenv("OMP_NUM_THREADS");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(&omp_cli, &o, err, bad[i].args);

		CU_ASSERT_EQUAL(rc, -EINVAL);
		CU_ASSERT_PTR_NULL(o.limits); /* nothing left allocated */
		CU_ASSERT_PTR_NULL(strchr(err, '\n'));
		if (!strstr(err, bad[i].needle)) {
			fprintf(stderr, "\n  '%s' does not name %s\n", err, bad[i].needle);
			CU_FAIL("message does not name the bad value");
		}
	}
}

/* Sizes each in range whose product would exhaust memory, and lists past the longest. */
static void test_absurd_sizes(void)
{
	size_t len = 2 * (GF_MAX_LIST + 1);
	char *list = malloc(len), err[256];
	struct gf_options o;

	CU_ASSERT_PTR_NOT_NULL_FATAL(list);
	if (!list)
		return;
	for (size_t i = 0; i < len; i += 2) {
		list[i] = '7';
		list[i + 1] = ',';
	}
	list[len - 1] = '\0'; /* GF_MAX_LIST + 1 items */
	CU_ASSERT_EQUAL(PARSE(&omp_cli, &o, err, "primes", "--limits", list), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "100001 items"));
	CU_ASSERT_PTR_NULL(o.limits);
	list[len - 3] = '\0'; /* GF_MAX_LIST items: accepted */
	CU_ASSERT_EQUAL(PARSE(&omp_cli, &o, err, "primes", "--limits", list), 0);
	CU_ASSERT_EQUAL(o.nlimits, GF_MAX_LIST);
	gf_options_release(&o);
	free(list);

	CU_ASSERT_EQUAL(
		PARSE(&omp_cli, &o, err, "resize", "--images", "1000000", "--reps", "100000"),
		-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--reps '100000'"));
	CU_ASSERT_PTR_NULL(o.limits);
	CU_ASSERT_EQUAL(PARSE(&omp_cli, &o, err, "sum", "--workers", "1024", "--reps", "10000"),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "1024 tasks"));
	/* the largest products accepted */
	CU_ASSERT_EQUAL(PARSE(&omp_cli, &o, err, "resize", "--images", "1000000", "--reps", "10"),
			0);
	gf_options_release(&o);
	CU_ASSERT_EQUAL(PARSE(&omp_cli, &o, err, "sum", "--workers", "1024", "--reps", "9765"), 0);
	gf_options_release(&o);
}

static void test_backend_options(void)
{
	struct gf_options o;
	char err[256];

	CU_ASSERT_EQUAL(PARSE(&all_cli, &o, err, "sum", "--start", "exec"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "'exec'"));
	CU_ASSERT_EQUAL(PARSE(&all_cli, &o, err, "sum", "--schedule", "guided"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "'guided'"));
	CU_ASSERT_EQUAL(PARSE(&all_cli, &o, err, "sum", "--chunksize", "0"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "'0'"));
}

/* Durations: decimal seconds, more than 0; --task-timeout only where the backend has it. */
static void test_timeouts(void)
{
	static const struct gf_optdef pool_options[] = {
		{ .name = "task-timeout",
		  .kind = GF_OPTK_SECONDS,
		  .max = (int64_t)GF_MAX_SECONDS,
		  GF_OPT_SLOT(0),
		  .flags = GF_OPTF_HOW | GF_OPTF_IF_SET },
		{ .name = NULL },
	};
	static const struct gf_cli pool_cli = { .prog = "gilfree-p", .options = pool_options };
	struct gf_options o;
	char err[256];
	double v;

	CU_ASSERT_EQUAL_FATAL(PARSE(&all_cli, &o, err, "sum"), 0);
	CU_ASSERT_EQUAL(o.timeout, 0.0);
	CU_ASSERT_EQUAL(o.be[0].x, 0.0);
	gf_options_release(&o);
	CU_ASSERT_EQUAL_FATAL(
		PARSE(&pool_cli, &o, err, "resize", "--timeout", "2.5", "--task-timeout", "0.25"),
		0);
	CU_ASSERT_DOUBLE_EQUAL(o.timeout, 2.5, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(o.be[0].x, 0.25, 1e-12);
	gf_options_release(&o);
	CU_ASSERT_EQUAL(gf_parse_seconds("10", 100, &v, err, sizeof(err)), 0);
	CU_ASSERT_DOUBLE_EQUAL(v, 10.0, 1e-12);
	CU_ASSERT_EQUAL(gf_parse_seconds(".5", 100, &v, err, sizeof(err)), 0);
	CU_ASSERT_DOUBLE_EQUAL(v, 0.5, 1e-12);
	CU_ASSERT_EQUAL(gf_parse_seconds("0.000", 100, &v, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "must be more than 0");
	CU_ASSERT_EQUAL(gf_parse_seconds("101", 100, &v, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "too large (at most 100)");
	CU_ASSERT_EQUAL(gf_parse_seconds("0x10", 100, &v, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "not a number of seconds");
	/* an exponent is a number of seconds too: past the limit, the limit is named */
	CU_ASSERT_EQUAL(gf_parse_seconds("1e9", 100, &v, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "too large (at most 100)");
	CU_ASSERT_EQUAL(gf_parse_seconds("1.5e1", 100, &v, err, sizeof(err)), 0);
	CU_ASSERT_DOUBLE_EQUAL(v, 15.0, 1e-12);
	CU_ASSERT_EQUAL(gf_parse_seconds("1e", 100, &v, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "not a number of seconds");
	CU_ASSERT_EQUAL(gf_parse_seconds("e5", 100, &v, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(gf_parse_seconds("1e-9999", 100, &v, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "must be more than 0");
}

/* --reps auto with its target and cap; a count as before; each bad value named. */
static void test_reps_auto(void)
{
	static const struct {
		const char *args[6];
		const char *needle;
	} bad[] = {
		{ { "sum", "--reps", "auto2" }, "--reps 'auto2': not a number or auto" },
		{ { "sum", "--reps", "Auto" }, "--reps 'Auto'" },
		{ { "sum", "--reps", "" }, "--reps ''" },
		{ { "sum", "--reps", "auto", "--ci-target", "0" },
		  "--ci-target '0': must be more" },
		{ { "sum", "--reps", "auto", "--ci-target", "-1" },
		  "--ci-target '-1': must be more" },
		{ { "sum", "--reps", "auto", "--ci-target", "nan" }, "--ci-target 'nan'" },
		{ { "sum", "--reps", "auto", "--ci-target", "inf" }, "--ci-target 'inf'" },
		{ { "sum", "--reps", "auto", "--ci-target", "5%" }, "--ci-target '5%'" },
		{ { "sum", "--reps", "auto", "--ci-target", "0.000" }, "--ci-target '0.000'" },
		{ { "sum", "--reps", "auto", "--ci-target", "100.5" }, "too large (at most 100)" },
		{ { "sum", "--reps", "auto", "--reps-cap", "x" }, "--reps-cap 'x'" },
		{ { "sum", "--reps", "auto", "--reps-cap", "0" }, "--reps-cap '0'" },
		{ { "sum", "--reps", "auto", "--reps-cap", "-1" }, "--reps-cap '-1'" },
		{ { "sum", "--ci-target", "5" }, "--ci-target '5': only with --reps auto" },
		{ { "sum", "--reps", "3", "--reps-cap", "2" }, "--reps-cap '2': only with --reps" },
		{ { "sum", "--reps", "auto", "--reps", "auto" }, "--reps was already given" },
	};
	struct gf_options o;
	char err[256];

	unsetenv("OMP_NUM_THREADS");
	CU_ASSERT_EQUAL_FATAL(PARSE(&omp_cli, &o, err, "sum", "--reps", "auto"), 0);
	CU_ASSERT(o.reps_auto);
	CU_ASSERT_EQUAL(o.reps, GF_REPS_AUTO_MAX); /* the most it may run */
	CU_ASSERT_DOUBLE_EQUAL(o.ci_target, GF_DEFAULT_CI_TARGET, 0);
	CU_ASSERT_DOUBLE_EQUAL(o.reps_cap, GF_DEFAULT_REPS_CAP, 0);
	gf_options_release(&o);
	CU_ASSERT_EQUAL_FATAL(PARSE(&omp_cli, &o, err, "sum", "--reps-cap", "0.5", "-r", "auto",
				    "--ci-target", "2.5"),
			      0);
	CU_ASSERT(o.reps_auto);
	CU_ASSERT_DOUBLE_EQUAL(o.ci_target, 2.5, 0);
	CU_ASSERT_DOUBLE_EQUAL(o.reps_cap, 0.5, 0);
	gf_options_release(&o);
	CU_ASSERT_EQUAL_FATAL(PARSE(&omp_cli, &o, err, "sum", "--reps", "7"), 0);
	CU_ASSERT_FALSE(o.reps_auto);
	CU_ASSERT_EQUAL(o.reps, 7);
	gf_options_release(&o);
	/* a million images: one timing each per repetition leaves room for 10 */
	CU_ASSERT_EQUAL_FATAL(
		PARSE(&omp_cli, &o, err, "resize", "--images", "1000000", "--reps", "auto"), 0);
	CU_ASSERT_EQUAL(o.reps, GF_MAX_SAMPLES / 1000000);
	CU_ASSERT_EQUAL(gf_reps_auto_max(&o), o.reps);
	gf_options_release(&o);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(&omp_cli, &o, err, bad[i].args);

		CU_ASSERT_EQUAL(rc, -EINVAL);
		CU_ASSERT_PTR_NULL(o.limits);
		CU_ASSERT_PTR_NULL(strchr(err, '\n'));
		if (!strstr(err, bad[i].needle)) {
			fprintf(stderr, "\n  '%s' does not name %s\n", err, bad[i].needle);
			CU_FAIL("message does not name the bad value");
		}
	}
}

static void test_help_version(void)
{
	struct gf_options o;
	char err[256];

	CU_ASSERT_EQUAL(PARSE(&omp_cli, &o, err, "--help"), 0);
	CU_ASSERT(o.help);
	gf_options_release(&o);
	CU_ASSERT_EQUAL(PARSE(&omp_cli, &o, err, "-V"), 0);
	CU_ASSERT(o.version);
	gf_options_release(&o);
}

static void test_parse_int(void)
{
	int64_t v;
	char err[96];

	CU_ASSERT_EQUAL(gf_parse_int("42", 1, 100, &v, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(v, 42);
	CU_ASSERT_EQUAL(gf_parse_int("-5", -10, 10, &v, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(v, -5);
	CU_ASSERT_EQUAL(gf_parse_int("9223372036854775807", 0, INT64_MAX, &v, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(v, INT64_MAX);
	/* found by the fuzzer: the most negative integer was refused as too small for itself */
	CU_ASSERT_EQUAL(gf_parse_int("-9223372036854775808", INT64_MIN, 0, &v, err, sizeof(err)),
			0);
	CU_ASSERT_EQUAL(v, INT64_MIN);
	CU_ASSERT_EQUAL(gf_parse_int("-9223372036854775809", INT64_MIN, 0, &v, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_EQUAL(gf_parse_int("-0", 0, 0, &v, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(v, 0);
	CU_ASSERT_EQUAL(gf_parse_int("", 0, 10, &v, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(gf_parse_int("-", 0, 10, &v, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(gf_parse_int("1.0", 0, 10, &v, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(gf_parse_int("11", 0, 10, &v, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "at most 10"));
}

static void test_tasks_build(void)
{
	struct gf_options o;
	struct gf_task *t;
	size_t n;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(PARSE(&all_cli, &o, err, "sum", "-w", "3", "--n", "10"), 0);
	CU_ASSERT_EQUAL_FATAL(gf_tasks_build(&o, &t, &n), 0);
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_EQUAL(t[2].key, 2);
	CU_ASSERT_EQUAL(t[2].a, 10);
	CU_ASSERT_EQUAL(t[2].b, 3); /* worker w has weight w + 1 */
	free(t);
	gf_options_release(&o);
	CU_ASSERT_EQUAL_FATAL(PARSE(&all_cli, &o, err, "primes", "--limits", "9,8"), 0);
	CU_ASSERT_EQUAL_FATAL(gf_tasks_build(&o, &t, &n), 0);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(t[0].key, 9);
	CU_ASSERT_EQUAL(t[1].index, 1);
	free(t);
	gf_options_release(&o);
	CU_ASSERT_EQUAL_FATAL(PARSE(&all_cli, &o, err, "resize", "--images", "5"), 0);
	CU_ASSERT_EQUAL_FATAL(gf_tasks_build(&o, &t, &n), 0);
	CU_ASSERT_EQUAL(n, 5);
	CU_ASSERT_EQUAL(t[4].a, 1920);
	CU_ASSERT_EQUAL(t[4].b, 1080);
	free(t);
	gf_options_release(&o);
}

int main(void)
{
	static const struct gf_test tests[] = {
		GF_TEST(test_defaults),
		GF_TEST(test_classes_keep_shape),
		GF_TEST(test_overrides_after_class),
		GF_TEST(test_environment_workers),
		GF_TEST(test_bad_input),
		GF_TEST(test_absurd_sizes),
		GF_TEST(test_backend_options),
		GF_TEST(test_timeouts),
		GF_TEST(test_reps_auto),
		GF_TEST(test_help_version),
		GF_TEST(test_parse_int),
		GF_TEST(test_tasks_build),
		{ NULL, NULL },
	};

	return gf_test_main("options", tests);
}
