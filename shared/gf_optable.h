/*
 * Option tables: each option is one entry (its name, short letter, kind of value, limits and
 * where the value goes), and one parser walks the tables given to it. The workloads' command
 * line, the benchmarks' and each backend's own options are all tables; a backend declares its
 * options in its own file, and the parser, --help and the report learn them from the table.
 * Not thread-safe (getopt_long keeps global state).
 */
#ifndef GF_OPTABLE_H
#define GF_OPTABLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum gf_optkind {
	GF_OPTK_FLAG,    /* no value: sets an int to 1 */
	GF_OPTK_INT,     /* a base-10 integer in [min, max] (gf_parse_int) */
	GF_OPTK_SIZE,    /* bytes, suffix k, m or g allowed, in [min, max] (gf_bench_parse_size) */
	GF_OPTK_SECONDS, /* decimal seconds, more than 0 and at most max (gf_parse_seconds) */
	GF_OPTK_WORD,    /* one of words[]: stores its index; the first is the default */
	GF_OPTK_TEXT,    /* the value as given (a const char * into argv), checked by the caller */
};

enum gf_optflags {
	GF_OPTF_HOW = 1 << 0,    /* a "how" parameter: the report prints it as key and value */
	GF_OPTF_IF_SET = 1 << 1, /* ... in the text header and "how" only when not zero */
};

/*
 * One option. The value goes size bytes at off from the base its table is parsed with:
 * an int or int64_t for INT and WORD (size says which), int64_t for SIZE, double for SECONDS,
 * int for FLAG, const char * for TEXT. GF_OPT_AT fills off and size for a struct member.
 */
struct gf_optdef {
	const char *name; /* "chunksize" for --chunksize; NULL ends a table */
	int letter;       /* 'w' for -w, or 0 */
	enum gf_optkind kind;
	int64_t min, max;         /* INT, SIZE: the limits; SECONDS: max only */
	const char *const *words; /* WORD: the accepted words, NULL-terminated */
	size_t off, size;         /* where the value goes */
	const char *arg;          /* --help: the value's name ("K") */
	const char *help;         /* --help: the text, '\n' between lines; NULL: not listed */
	unsigned flags;           /* enum gf_optflags */
	unsigned only;            /* the workloads that take it (GF_OPT_ONLY bits); 0: all */
	const char *unset;        /* --help: the default's text where the default is zero */
};

/* .only's bit for a workload (enum gf_workload). */
#define GF_OPT_ONLY(w) (1u << (unsigned)(w))

#define GF_OPT_AT(type, member) .off = offsetof(type, member), .size = sizeof(((type *)0)->member)

/*
 * A backend's own options keep their values in struct gf_options's be[] (gf_options.h): the
 * entry for slot i says .GF_OPT_SLOT(i) and the backend reads o->be[i].i (INT, WORD: the
 * word's index) or o->be[i].x (SECONDS).
 */
union gf_optval {
	int64_t i;
	double x;
};
#define GF_OPT_SLOTS   8
#define GF_OPT_SLOT(i) .off = (size_t)(i) * sizeof(union gf_optval), .size = sizeof(union gf_optval)

/* A table and the base its values go to. */
struct gf_optset {
	const struct gf_optdef *defs; /* ended by an entry with name NULL; may be NULL */
	void *base;
};

/* At most this many options in all the tables of one parse (opt_once's limit). */
#define GF_OPTS_MAX 64

/* What one parse saw: option k is the k-th entry of the sets taken in order. */
struct gf_optseen {
	const char *value[GF_OPTS_MAX]; /* the value as given, or NULL (a FLAG given: "") */
	int next;                       /* argv index of the first operand (getopt's optind) */
};

/*
 * Parses the options of argv[1..argc) into the sets' bases, leaving the operands (moved to
 * the end by getopt_long) at argv[seen->next..argc). Values are checked as they come, in the
 * order given. Returns 0, or -EINVAL with one line in err naming the bad value:
 * "invalid --name 'value': reason", "unknown option '--x'", "option '--x' needs a value",
 * "invalid --name 'value': --name was already given". An option of no set is unknown.
 */
int gf_optable_parse(int argc, char **argv, const struct gf_optset *sets, size_t nsets,
		     struct gf_optseen *seen, char *err, size_t errlen);

/*
 * Strict size parsing: a base-10 integer with an optional binary suffix k, m or g
 * ("128m" is 128 MiB), in [min, max]. Returns 0, or -EINVAL with a reason in err.
 */
int gf_bench_parse_size(const char *s, int64_t min, int64_t max, int64_t *out, char *err,
			size_t errlen);

/* How gf_optable_usage writes: --help's text, or a man page's roff. */
enum gf_optstyle { GF_OPTSTYLE_TEXT, GF_OPTSTYLE_ROFF };

/*
 * Prints the --help lines of defs to f: "  -w, --name ARG" or "      --name ARG", the help
 * text from column 23, each further line of it indented as far; in roff, one .TP paragraph
 * per option. Each text starts with the workloads that alone take it ("primes: ", from
 * only, named by only_names[bit]) and ends with its default, read from defaults (the values
 * a parse starts from, laid out as the values' base) as the parser would store it, or the
 * entry's unset text where that value is zero. defaults NULL: no defaults (flags have none).
 */
void gf_optable_usage(FILE *f, const struct gf_optdef *defs, const void *defaults,
		      const char *const *only_names, enum gf_optstyle style);

/* Writes s to f as roff text: '-' and '\\' escaped, a leading '.' or '\'' made harmless. */
void gf_optable_roff(FILE *f, const char *s);

/*
 * The value of d at base as text: the word, the integer or the seconds ("%.9g"). buf needs
 * 64 bytes. Returns the text, which may be buf.
 */
const char *gf_optable_text(const struct gf_optdef *d, const void *base, char *buf, size_t len);

/* 1 when the value of d at base is zero (the first word, 0, 0.0, not given). */
int gf_optable_unset(const struct gf_optdef *d, const void *base);

#endif
