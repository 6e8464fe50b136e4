/* --help and the man page of a workload binary, from the option tables (gf_options.c). */
#include <stdio.h>

#include "gf_bench.h"
#include "gf_options.h"

static const char usage_what[] =
	"Runs one lecture workload sequentially and in parallel, checks that both give the\n"
	"same results, and reports the times and the speedup measured in this run.";
static const char *const usage_workloads[][2] = {
	{ "sum", "Example 25.1: each worker w sums i*(w+1) for i in [0, n)" },
	{ "primes", "Example 25.2: prime counts below each limit, by trial division" },
	{ "resize", "Example 25.3: resize simulation of each image, sum of sqrt(p+1)" },
};
static const char usage_rules[] = "An option given twice is refused, and so is an option of "
				  "another workload.";
static const char usage_exit[] = "0 verified, 1 verification or run-time failure, 2 bad input.";

static void usage_text(const struct gf_cli *cli, int bench)
{
	printf("usage: %s <sum|primes|resize> [options]\n", cli->prog);
	if (bench)
		printf("       %s bench <experiment> [options]\n", cli->prog);
	if (cli->about)
		printf("\n%s: %s.", cli->prog, cli->about);
	printf("\n%s\n\nWorkloads:\n", usage_what);
	for (size_t i = 0; i < 3; i++)
		printf("  %-9s %s\n", usage_workloads[i][0], usage_workloads[i][1]);
	printf("\nOptions:\n");
	gf_options_doc(cli, GF_OPTSTYLE_TEXT);
	printf("\n%s\n\nClasses (sum n; primes limits; resize image size, %d images):\n",
	       usage_rules, GF_DEFAULT_IMAGES);
	gf_options_classes(GF_OPTSTYLE_TEXT);
	if (bench) {
		printf("\nbench: micro-benchmarks of this backend's costs; '%s bench --help'\n"
		       "names the experiments and what each measures here. Its options:\n",
		       cli->prog);
		gf_bench_doc(stdout, GF_OPTSTYLE_TEXT);
	}
	printf("\nExit status: %s\n", usage_exit);
}

/* ".SH NAME" text: "gilfree-omp" and its about, roff-escaped. */
static void roff_section(const char *title, const char *text)
{
	printf(".SH %s\n", title);
	if (text) {
		gf_optable_roff(stdout, text);
		printf("\n");
	}
}

static void usage_roff(const struct gf_cli *cli, int bench)
{
	printf(".TH ");
	for (const char *p = cli->prog; *p; p++)
		putchar(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
	printf(" 1 \"\" \"%s\" \"User Commands\"\n.SH NAME\n", gf_version);
	gf_optable_roff(stdout, cli->prog);
	printf(" \\- ");
	gf_optable_roff(stdout, cli->about ? cli->about : "a gilfree backend");
	printf("\n.SH SYNOPSIS\n.B ");
	gf_optable_roff(stdout, cli->prog);
	printf("\n.RI { sum | primes | resize } \" [options]\"\n");
	if (bench) {
		printf(".br\n.B ");
		gf_optable_roff(stdout, cli->prog);
		printf(" bench\n.RI < experiment > \" [options]\"\n");
	}
	roff_section("DESCRIPTION", usage_what);
	roff_section("WORKLOADS", NULL);
	for (size_t i = 0; i < 3; i++) {
		printf(".TP\n.B %s\n", usage_workloads[i][0]);
		gf_optable_roff(stdout, usage_workloads[i][1]);
		printf("\n");
	}
	roff_section("OPTIONS", NULL);
	gf_options_doc(cli, GF_OPTSTYLE_ROFF);
	printf(".PP\n");
	gf_optable_roff(stdout, usage_rules);
	printf("\n");
	printf(".SH CLASSES\nsum's n; primes' limits; resize's image size, %d images:\n",
	       GF_DEFAULT_IMAGES);
	gf_options_classes(GF_OPTSTYLE_ROFF);
	if (bench) {
		roff_section("BENCH", "Micro-benchmarks of this backend's costs; the bench "
				      "subcommand's --help names the experiments and what each "
				      "measures here. Its options:");
		gf_bench_doc(stdout, GF_OPTSTYLE_ROFF);
	}
	if (cli->workers_env) {
		printf(".SH ENVIRONMENT\n.TP\n.B %s\n", cli->workers_env);
		gf_optable_roff(stdout, "the worker count when --workers is not given");
		printf("\n");
	}
	roff_section("EXIT STATUS", usage_exit);
	roff_section("SEE ALSO", "compare.py(1), gilfree-omp(1), gilfree-posix(1), "
				 "gilfree-mpi(1), gilfree-hybrid(1), mpirun(1)");
}

void gf_options_usage(const struct gf_cli *cli, int bench, enum gf_optstyle style)
{
	if (style == GF_OPTSTYLE_ROFF)
		usage_roff(cli, bench);
	else
		usage_text(cli, bench);
}
