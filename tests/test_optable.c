/* Option tables: each kind of value, a backend's own options, --help and the report's "how". */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gf_bench.h"
#include "gf_optable.h"
#include "gf_options.h"
#include "gf_report.h"
#include "gf_test.h"

/* Two backends, each with an option of its own, declared as posix/ and mpi/ declare theirs. */
static const char *const start_words[] = { "fork", "spawn", NULL };
static const char *const schedule_words[] = { "static", "dynamic", NULL };
static const struct gf_optdef a_options[] = {
	{ .name = "start",
	  .kind = GF_OPTK_WORD,
	  .words = start_words,
	  GF_OPT_SLOT(0),
	  .arg = "M",
	  .help = "how workers start",
	  .flags = GF_OPTF_HOW },
	{ .name = "chunksize",
	  .kind = GF_OPTK_INT,
	  .min = 1,
	  .max = 100,
	  GF_OPT_SLOT(1),
	  .arg = "K",
	  .help = "tasks per message,\nor the pool's choice",
	  .flags = GF_OPTF_HOW | GF_OPTF_IF_SET },
	{ .name = NULL },
};
static const struct gf_optdef b_options[] = {
	{ .name = "schedule",
	  .kind = GF_OPTK_WORD,
	  .words = schedule_words,
	  GF_OPT_SLOT(0),
	  .flags = GF_OPTF_HOW },
	{ .name = NULL },
};
static const struct gf_cli a_cli = { .prog = "gilfree-a", .options = a_options };
static const struct gf_cli b_cli = { .prog = "gilfree-b", .options = b_options };

#define ARGS(...) ((const char *[]){ __VA_ARGS__, NULL })

static int parse(const struct gf_cli *cli, struct gf_options *o, char *err, const char *const *args)
{
	char *argv[16];

	return gf_options_parse(gf_test_argv(argv, 16, "prog", args), argv, cli, o, err, 256);
}

#define PARSE(cli, o, err, ...) parse(cli, o, err, ARGS(__VA_ARGS__))

static void test_other_backends_option(void)
{
	struct gf_options o;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(PARSE(&a_cli, &o, err, "sum", "--start", "spawn"), 0);
	CU_ASSERT_EQUAL(o.be[0].i, 1);
	gf_options_release(&o);
	CU_ASSERT_EQUAL(PARSE(&b_cli, &o, err, "sum", "--start", "spawn"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "unknown option '--start'");
	CU_ASSERT_EQUAL(PARSE(&b_cli, &o, err, "sum", "--start=spawn"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "unknown option '--start'");
	CU_ASSERT_EQUAL(PARSE(&a_cli, &o, err, "sum", "--schedule", "static"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "unknown option '--schedule'");
	CU_ASSERT_EQUAL(PARSE(&b_cli, &o, err, "primes", "--schedule", "dynamic"), 0);
	CU_ASSERT_EQUAL(o.be[0].i, 1);
	gf_options_release(&o);
	CU_ASSERT_EQUAL(PARSE(&a_cli, &o, err, "sum", "--chunksize", "101"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "invalid --chunksize '101': too large (at most 100)");
	CU_ASSERT_EQUAL(PARSE(&a_cli, &o, err, "sum", "--start", "exec"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "invalid --start 'exec': expected fork or spawn");
	CU_ASSERT_EQUAL(PARSE(&a_cli, &o, err, "sum", "--start", "fork", "--start", "fork"),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "invalid --start 'fork': --start was already given");
}

/* Every kind of value, into a struct of its own. */
struct all {
	int small;
	int64_t big;
	int64_t bytes;
	double wait;
	int mode;
	int flag;
	const char *text;
};

static const char *const mode_words[] = { "a", "b", "c", NULL };
static const struct gf_optdef all_options[] = {
	{ .name = "small",
	  .letter = 's',
	  .kind = GF_OPTK_INT,
	  .min = 1,
	  .max = 10,
	  GF_OPT_AT(struct all, small) },
	{ .name = "big",
	  .kind = GF_OPTK_INT,
	  .min = -5,
	  .max = INT64_C(10000000000),
	  GF_OPT_AT(struct all, big) },
	{ .name = "bytes",
	  .kind = GF_OPTK_SIZE,
	  .min = 2,
	  .max = 1024,
	  GF_OPT_AT(struct all, bytes) },
	{ .name = "wait", .kind = GF_OPTK_SECONDS, .max = 60, GF_OPT_AT(struct all, wait) },
	{ .name = "mode",
	  .letter = 'm',
	  .kind = GF_OPTK_WORD,
	  .words = mode_words,
	  GF_OPT_AT(struct all, mode) },
	{ .name = "flag", .kind = GF_OPTK_FLAG, GF_OPT_AT(struct all, flag) },
	{ .name = "text", .kind = GF_OPTK_TEXT, GF_OPT_AT(struct all, text) },
	{ .name = NULL },
};

static int parse_all(struct all *a, struct gf_optseen *seen, char *err, const char *const *args)
{
	const struct gf_optset set = { all_options, a };
	char *argv[16];
	int argc = gf_test_argv(argv, 16, "prog", args);

	memset(a, 0, sizeof(*a));
	return gf_optable_parse(argc, argv, &set, 1, seen, err, 256);
}

#define PARSE_ALL(a, seen, err, ...) parse_all(a, seen, err, ARGS(__VA_ARGS__))

static void test_kinds(void)
{
	struct gf_optseen seen;
	struct all a;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(PARSE_ALL(&a, &seen, err, "-s", "7", "--big", "10000000000", "op",
					"--bytes", "1k", "--wait", "0.5", "-m", "c", "--flag",
					"--text", "x,y"),
			      0);
	CU_ASSERT_EQUAL(a.small, 7);
	CU_ASSERT_EQUAL(a.big, INT64_C(10000000000));
	CU_ASSERT_EQUAL(a.bytes, 1024);
	CU_ASSERT_DOUBLE_EQUAL(a.wait, 0.5, 0);
	CU_ASSERT_EQUAL(a.mode, 2);
	CU_ASSERT_EQUAL(a.flag, 1);
	CU_ASSERT_STRING_EQUAL(a.text, "x,y");
	CU_ASSERT_STRING_EQUAL(seen.value[0], "7");
	CU_ASSERT_PTR_NOT_NULL(seen.value[5]); /* a flag given */
	CU_ASSERT_EQUAL(seen.next, 14);        /* the operand, moved to the end */

	CU_ASSERT_EQUAL(PARSE_ALL(&a, &seen, err, "--small", "11"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "invalid --small '11': too large (at most 10)");
	CU_ASSERT_EQUAL(PARSE_ALL(&a, &seen, err, "--big", "-6"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "invalid --big '-6': must be at least -5");
	CU_ASSERT_EQUAL(PARSE_ALL(&a, &seen, err, "--bytes", "2k"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "invalid --bytes '2k': too large (at most 1024 bytes (1k))");
	CU_ASSERT_EQUAL(PARSE_ALL(&a, &seen, err, "--bytes", "1"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "invalid --bytes '1': must be at least 2 bytes");
	CU_ASSERT_EQUAL(PARSE_ALL(&a, &seen, err, "--wait", "61"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "invalid --wait '61': too large (at most 60)");
	CU_ASSERT_EQUAL(PARSE_ALL(&a, &seen, err, "--wait", "0"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "invalid --wait '0': must be more than 0");
	CU_ASSERT_EQUAL(PARSE_ALL(&a, &seen, err, "-m", "d"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "invalid --mode 'd': expected a, b or c");
	CU_ASSERT_EQUAL(PARSE_ALL(&a, &seen, err, "-m", "a", "--mode", "b"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "invalid --mode 'b': --mode was already given");
	CU_ASSERT_EQUAL(PARSE_ALL(&a, &seen, err, "--small"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "option '--small' needs a value");
	CU_ASSERT_EQUAL(PARSE_ALL(&a, &seen, err, "--other"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "unknown option '--other'");
	/* an unknown letter inside a word is named, not the word before it */
	CU_ASSERT_EQUAL(PARSE_ALL(&a, &seen, err, "op", "-x=3"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "unknown option '-x'");
	CU_ASSERT_EQUAL(PARSE_ALL(&a, &seen, err, "-s1", "-mz"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "invalid --mode 'z': expected a, b or c");
}

/* Reads back what f received. */
static char *contents(FILE *f)
{
	long n = ftell(f);
	char *s = calloc(1, (size_t)(n > 0 ? n : 0) + 1);

	rewind(f);
	if (s && n > 0 && fread(s, 1, (size_t)n, f) != (size_t)n)
		s[0] = '\0';
	fclose(f);
	return s;
}

static void test_usage(void)
{
	FILE *f = tmpfile();
	char *s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	gf_optable_usage(f, a_options, NULL, NULL, GF_OPTSTYLE_TEXT);
	gf_optable_usage(f, NULL, NULL, NULL, GF_OPTSTYLE_TEXT);      /* no options of its own */
	gf_optable_usage(f, b_options, NULL, NULL, GF_OPTSTYLE_TEXT); /* no help: not listed */
	s = contents(f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s, "      --start M       how workers start\n"
				  "      --chunksize K   tasks per message,\n"
				  "                      or the pool's choice\n");
	free(s);
}

/* The defaults come from the values a parse starts from; .only names the workloads; roff. */
static void test_usage_defaults(void)
{
	static const char *const names[] = { "sum", "primes", "resize", NULL };
	static const struct gf_optdef c_options[] = {
		{ .name = "start",
		  .kind = GF_OPTK_WORD,
		  .words = start_words,
		  GF_OPT_SLOT(0),
		  .arg = "M",
		  .help = "how-to" },
		{ .name = "chunksize",
		  .letter = 'k',
		  .kind = GF_OPTK_INT,
		  .max = 100,
		  GF_OPT_SLOT(1),
		  .arg = "K",
		  .help = "tasks",
		  .only = GF_OPT_ONLY(GF_RESIZE),
		  .unset = "the pool's" },
		{ .name = "size", .kind = GF_OPTK_SIZE, GF_OPT_SLOT(2), .arg = "S", .help = ".s" },
		{ .name = NULL },
	};
	union gf_optval dflt[GF_OPT_SLOTS] = { { 0 } };
	FILE *f = tmpfile();
	char *s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	dflt[0].i = 1;
	dflt[2].i = INT64_C(128) << 20;
	gf_optable_usage(f, c_options, dflt, names, GF_OPTSTYLE_TEXT);
	gf_optable_usage(f, c_options, dflt, names, GF_OPTSTYLE_ROFF);
	s = contents(f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s, "      --start M       how-to (default: spawn)\n"
				  "  -k, --chunksize K   resize: tasks (default: the pool's)\n"
				  "      --size S        .s (default: 134217728 bytes (128m))\n"
				  ".TP\n\\fB\\-\\-start\\fR \\fIM\\fR\nhow\\-to (default: spawn)\n"
				  ".TP\n\\fB\\-k\\fR, \\fB\\-\\-chunksize\\fR \\fIK\\fR\n"
				  "resize: tasks (default: the pool's)\n"
				  ".TP\n\\fB\\-\\-size\\fR \\fIS\\fR\n"
				  "\\&.s (default: 134217728 bytes (128m))\n");
	free(s);
}

/* The report prints a backend's "how" parameters from its table alone. */
static char *report(const struct gf_options *o, enum gf_format format)
{
	struct gf_options copy = *o;
	struct gf_report r = { .backend = "a", .opts = &copy, .how = a_options, .verified = 1 };
	FILE *f = tmpfile();

	if (!f)
		return NULL;
	copy.format = format;
	gf_report_print(f, &r);
	return contents(f);
}

static void test_report_how(void)
{
	struct gf_options o;
	char err[256], *s;

	CU_ASSERT_EQUAL_FATAL(PARSE(&a_cli, &o, err, "sum", "--start", "spawn", "--chunksize", "3"),
			      0);
	s = report(&o, GF_FORMAT_TEXT);
	CU_ASSERT_PTR_NOT_NULL(s && strstr(s, "4 workers, start spawn, chunksize 3, 5 reps"));
	free(s);
	s = report(&o, GF_FORMAT_JSON);
	CU_ASSERT_PTR_NOT_NULL(s && strstr(s, "\"n\":2000000,\"start\":\"spawn\",\"chunksize\":3},"
					      "\"how\":{\"start\":\"spawn\",\"chunksize\":3},"));
	free(s);
	gf_options_release(&o);
	/* a chunksize not set: left out of the header; params and "how" name every "how"
	   parameter, so that a reader can tell them from what the run computed */
	CU_ASSERT_EQUAL_FATAL(PARSE(&a_cli, &o, err, "sum"), 0);
	s = report(&o, GF_FORMAT_TEXT);
	CU_ASSERT_PTR_NOT_NULL(s && strstr(s, "4 workers, start fork, 5 reps"));
	free(s);
	s = report(&o, GF_FORMAT_JSON);
	CU_ASSERT_PTR_NOT_NULL(s && strstr(s, "\"start\":\"fork\",\"chunksize\":0},"
					      "\"how\":{\"start\":\"fork\",\"chunksize\":0},"));
	free(s);
	gf_options_release(&o);
}

static int not_run(void *ctx, struct gf_bench_out *b, const struct gf_bench_opts *o)
{
	(void)ctx;
	(void)b;
	(void)o;
	return 0;
}

static int bench(struct gf_bench_opts *o, char *err, const char *const *args)
{
	static const struct gf_bench_cli cli = { .prog = "gilfree-t",
						 .backend = "t",
						 .run = { [GF_BENCH_PATHS] = not_run } };
	char *argv[16];

	return gf_bench_parse(gf_test_argv(argv, 16, "bench", args), argv, &cli, o, err, 256);
}

#define BENCH(o, err, ...) bench(o, err, ARGS(__VA_ARGS__))

/* The benchmarks' options go through the same core, with the workloads' limits. */
static void test_bench_core(void)
{
	struct gf_bench_opts b;
	struct gf_options o;
	char err[256], werr[256];

	CU_ASSERT_EQUAL(BENCH(&b, err, "paths", "--images", "1000000", "--width", "1000000",
			      "--height", "1"),
			0);
	CU_ASSERT_EQUAL(b.images, 1000000);
	CU_ASSERT_EQUAL(b.width, 1000000);
	/* one definition, one limit, one message for both command lines */
	CU_ASSERT_EQUAL(BENCH(&b, err, "paths", "--images", "1000001"), -EINVAL);
	CU_ASSERT_EQUAL(PARSE(&a_cli, &o, werr, "resize", "--images", "1000001"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, werr);
	CU_ASSERT_EQUAL(BENCH(&b, err, "paths", "-w", "1025"), -EINVAL);
	CU_ASSERT_EQUAL(PARSE(&a_cli, &o, werr, "sum", "-w", "1025"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, werr);
	CU_ASSERT_EQUAL(BENCH(&b, err, "paths", "--reps", "0"), -EINVAL);
	CU_ASSERT_EQUAL(PARSE(&a_cli, &o, werr, "sum", "--reps", "0"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, werr);
	/* the benchmarks print no csv */
	CU_ASSERT_EQUAL(BENCH(&b, err, "paths", "--format", "csv"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "invalid --format 'csv': expected text or json");
	CU_ASSERT_EQUAL(BENCH(&b, err, "paths", "--format", "json"), 0);
	CU_ASSERT_EQUAL(b.format, GF_FORMAT_JSON);
	CU_ASSERT_EQUAL(BENCH(&b, err, "paths", "--iters", "2", "--iters", "3"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "invalid --iters '3': --iters was already given");
	CU_ASSERT_EQUAL(BENCH(&b, err, "paths", "--start", "fork"), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "unknown option '--start'");
}

int main(void)
{
	static const struct gf_test tests[] = {
		GF_TEST(test_other_backends_option),
		GF_TEST(test_kinds),
		GF_TEST(test_usage),
		GF_TEST(test_usage_defaults),
		GF_TEST(test_report_how),
		GF_TEST(test_bench_core),
		{ NULL, NULL },
	};

	return gf_test_main("optable", tests);
}
