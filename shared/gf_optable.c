#include "gf_optable.h"

#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "gf_parse.h"

#define SIZE_TEXT 64

/* "1073741824 bytes (1g)", "8 bytes": a size limit as the user may write it. */
static const char *size_text(char buf[SIZE_TEXT], int64_t bytes)
{
	static const char suffix[] = "gmk";
	int shift = 30;

	for (const char *p = suffix; *p; p++, shift -= 10) {
		if (bytes >= (INT64_C(1) << shift) && bytes % (INT64_C(1) << shift) == 0) {
			snprintf(buf, SIZE_TEXT, "%lld bytes (%lld%c)", (long long)bytes,
				 (long long)(bytes >> shift), *p);
			return buf;
		}
	}
	snprintf(buf, SIZE_TEXT, "%lld byte%s", (long long)bytes, bytes == 1 ? "" : "s");
	return buf;
}

int gf_bench_parse_size(const char *s, int64_t min, int64_t max, int64_t *out, char *err,
			size_t errlen)
{
	char num[32], sz[SIZE_TEXT];
	size_t len = strlen(s);
	int shift = 0;

	if (len > 0 && len < sizeof(num)) {
		switch (s[len - 1]) {
		case 'k':
		case 'K':
			shift = 10;
			break;
		case 'm':
		case 'M':
			shift = 20;
			break;
		case 'g':
		case 'G':
			shift = 30;
			break;
		}
	}
	if (len == 0 || len >= sizeof(num)) {
		gf_errf(err, errlen, "not a size");
		return -EINVAL;
	}
	memcpy(num, s, len + 1);
	if (shift)
		num[len - 1] = '\0';
	if (num[0] == '-' && num[1] >= '0' && num[1] <= '9' &&
	    strspn(num + 1, "0123456789") == strlen(num + 1)) {
		/* below the limit, which is no 0: "at least 0" would invite a 0 then refused */
		gf_errf(err, errlen, "must be at least %s", size_text(sz, min));
		return -EINVAL;
	}
	/* the number alone may not exceed max >> shift, so the shift cannot overflow */
	if (gf_parse_int(num, 0, max >> shift, out, err, errlen) != 0) {
		/* a number past the limit: the limit in bytes and with its unit, not in the
		   units of the suffix given ("at most 1" for "2g" would be no help) */
		if (num[0] && strspn(num, "0123456789") == strlen(num))
			gf_errf(err, errlen, "too large (at most %s)", size_text(sz, max));
		return -EINVAL;
	}
	*out <<= shift;
	if (*out < min) {
		gf_errf(err, errlen, "must be at least %s", size_text(sz, min));
		return -EINVAL;
	}
	return 0;
}

/* The getopt_long view of the sets: one struct option per entry, in order. */
struct view {
	struct option opt[GF_OPTS_MAX + 1];
	const struct gf_optdef *def[GF_OPTS_MAX];
	void *base[GF_OPTS_MAX];
	char shorts[2 * GF_OPTS_MAX + 2];
	int n;
};

static void view_build(struct view *v, const struct gf_optset *sets, size_t nsets)
{
	size_t s = 0;

	memset(v, 0, sizeof(*v));
	v->shorts[s++] = ':'; /* a missing value is ':', not '?' */
	for (size_t k = 0; k < nsets; k++) {
		for (const struct gf_optdef *d = sets[k].defs; d && d->name; d++) {
			int has_arg = d->kind == GF_OPTK_FLAG ? no_argument : required_argument;

			assert(v->n < GF_OPTS_MAX);
			/* a letter is what getopt returns for both spellings, as opt_once wants
			 */
			v->opt[v->n] = (struct option){ d->name, has_arg, NULL,
							d->letter ? d->letter : 256 + v->n };
			v->def[v->n] = d;
			v->base[v->n] = sets[k].base;
			if (d->letter) {
				v->shorts[s++] = (char)d->letter;
				if (has_arg == required_argument)
					v->shorts[s++] = ':';
			}
			v->n++;
		}
	}
}

/*
 * Refuses an option with a value given twice: c is what getopt_long returned, table its
 * options, *seen the bits of those given so far (at most 64 options). Returns 0, or -EINVAL
 * with "invalid --name 'value': --name was already given" in err.
 */
static int opt_once(const struct option *table, int c, const char *value, unsigned long long *seen,
		    char *err, size_t errlen)
{
	for (int slot = 0; slot < 64 && table[slot].name; slot++) {
		unsigned long long bit = 1ULL << slot;

		if (table[slot].val != c || table[slot].has_arg == no_argument)
			continue;
		if (!(*seen & bit)) {
			*seen |= bit;
			return 0;
		}
		gf_errf(err, errlen, "invalid --%s '%s': --%s was already given", table[slot].name,
			value ? value : "", table[slot].name);
		return -EINVAL;
	}
	return 0;
}

/* For getopt_long's ':' (given lacks its value) and '?' (given is not an option here). */
static int opt_bad(int c, const char *given, char *err, size_t errlen)
{
	if (c == ':')
		gf_errf(err, errlen, "option '%s' needs a value", given);
	else /* "--start=fork" names the option, "--start" */
		gf_errf(err, errlen, "unknown option '%.*s'", (int)strcspn(given, "="), given);
	return -EINVAL;
}

/*
 * For getopt_long's '?' where optopt is an option's value: "--name=value" given to an option
 * that takes none. Writes "invalid --name 'value': --name takes no value" into err and
 * returns 1; 0 when given is no such word.
 */
static int flag_given_value(const struct view *v, int val, const char *given, char *err,
			    size_t errlen)
{
	const char *eq = strchr(given, '=');

	if (strncmp(given, "--", 2) != 0 || !eq)
		return 0;
	for (int k = 0; k < v->n; k++) {
		if (v->opt[k].val != val || v->opt[k].has_arg != no_argument)
			continue;
		gf_errf(err, errlen, "invalid --%s '%s': --%s takes no value", v->opt[k].name,
			eq + 1, v->opt[k].name);
		return 1;
	}
	return 0;
}

/* "expected a, b or c" from a NULL-terminated word list. */
static void expected_words(const char *const *w, char *buf, size_t len)
{
	size_t used = (size_t)snprintf(buf, len, "expected");

	for (int i = 0; w[i] && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
					 i == 0     ? " "
					 : w[i + 1] ? ", "
						    : " or ",
					 w[i]);
}

/* The value of d at base as an integer (INT, WORD, SIZE, FLAG), int or int64_t by its size. */
static int64_t get_int(const struct gf_optdef *d, const void *base)
{
	const char *at = (const char *)base + d->off;
	int64_t v64;
	int v;

	if (d->size == sizeof(int)) {
		memcpy(&v, at, sizeof(v));
		return v;
	}
	memcpy(&v64, at, sizeof(v64));
	return v64;
}

static void put_int(const struct gf_optdef *d, void *base, int64_t v64)
{
	char *at = (char *)base + d->off;
	int v = (int)v64; /* in range: the limits of an int destination fit an int */

	if (d->size == sizeof(int))
		memcpy(at, &v, sizeof(v));
	else
		memcpy(at, &v64, sizeof(v64));
}

/* Checks arg against d and stores it at base; on failure err names the option and value. */
static int store(const struct gf_optdef *d, void *base, const char *arg, char *err, size_t errlen)
{
	char *at = (char *)base + d->off, why[128];
	int64_t v = 1; /* FLAG */
	double x;
	int rc = 0;

	switch (d->kind) {
	case GF_OPTK_FLAG:
		break;
	case GF_OPTK_TEXT:
		memcpy(at, &arg, sizeof(arg));
		return 0;
	case GF_OPTK_INT:
		rc = gf_parse_int(arg, d->min, d->max, &v, why, sizeof(why));
		break;
	case GF_OPTK_SIZE:
		rc = gf_bench_parse_size(arg, d->min, d->max, &v, why, sizeof(why));
		break;
	case GF_OPTK_SECONDS:
		rc = gf_parse_seconds(arg, (double)d->max, &x, why, sizeof(why));
		if (rc == 0) {
			memcpy(at, &x, sizeof(x));
			return 0;
		}
		break;
	case GF_OPTK_WORD:
		for (v = 0; d->words[v] && strcmp(d->words[v], arg) != 0; v++)
			;
		if (!d->words[v]) {
			expected_words(d->words, why, sizeof(why));
			rc = -EINVAL;
		}
		break;
	}
	if (rc) {
		gf_errf(err, errlen, "invalid --%s '%s': %s", d->name, arg, why);
		return -EINVAL;
	}
	put_int(d, base, v);
	return 0;
}

int gf_optable_parse(int argc, char **argv, const struct gf_optset *sets, size_t nsets,
		     struct gf_optseen *seen, char *err, size_t errlen)
{
	unsigned long long once = 0;
	struct view v;
	int c, rc;

	view_build(&v, sets, nsets);
	memset(seen, 0, sizeof(*seen));
	optind = 0; /* glibc: 0 re-initialises getopt completely */
	opterr = 0;
	while ((c = getopt_long(argc, argv, v.shorts, v.opt, NULL)) != -1) {
		const char *arg = optarg;
		int k = 0;

		/* the last of two values would win silently: a typo or a merged command line */
		rc = opt_once(v.opt, c, arg, &once, err, errlen);
		if (rc)
			return rc;
		while (k < v.n && v.opt[k].val != c)
			k++;
		if (c == '?' && optopt &&
		    flag_given_value(&v, optopt, argv[optind - 1], err, errlen))
			return -EINVAL;
		if (k == v.n || c == ':') {
			/* an unknown letter inside a word ("-xy", "-x=3"): name the letter, since
			   optind has not moved past the word */
			char letter[3] = { '-', (char)optopt, '\0' };

			return opt_bad(c, c == '?' && optopt ? letter : argv[optind - 1], err,
				       errlen);
		}
		rc = store(v.def[k], v.base[k], arg ? arg : "", err, errlen);
		if (rc)
			return rc;
		seen->value[k] = arg ? arg : "";
	}
	seen->next = optind;
	return 0;
}

void gf_optable_roff(FILE *f, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", f);
	for (; *s; s++) {
		if (*s == '-' || *s == '\\')
			fputc('\\', f);
		fputc(*s == '\\' ? 'e' : *s, f);
		if (*s == '\n' && (s[1] == '.' || s[1] == '\''))
			fputs("\\&", f);
	}
}

/* "primes: " or "sum, resize: " from an option's only bits, into buf. */
static const char *only_text(const struct gf_optdef *d, const char *const *names, char *buf,
			     size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned b = 0; names && d->only && b < 32 && used < len; b++)
		if (d->only & (1u << b))
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
						 names[b] ? names[b] : "?");
	if (used && used < len)
		snprintf(buf + used, len - used, ": ");
	return buf;
}

/* " (default: 5)", from the defaults' value or the unset text; "" where there is none. */
static const char *default_text(const struct gf_optdef *d, const void *defaults, char *buf,
				size_t len)
{
	char value[SIZE_TEXT];
	const char *v;

	buf[0] = '\0';
	if (!defaults || d->kind == GF_OPTK_FLAG)
		return buf;
	if (gf_optable_unset(d, defaults) && d->unset)
		v = d->unset;
	else if (d->kind == GF_OPTK_SIZE)
		v = size_text(value, get_int(d, defaults));
	else if (gf_optable_unset(d, defaults) && d->kind == GF_OPTK_TEXT)
		return buf;
	else
		v = gf_optable_text(d, defaults, value, sizeof(value));
	snprintf(buf, len, " (default: %s)", v);
	return buf;
}

/* The head of an option's entry: "-w, --workers N", or "--n N". */
static void option_head(FILE *f, const struct gf_optdef *d, enum gf_optstyle style)
{
	if (style == GF_OPTSTYLE_TEXT) {
		char head[64];

		snprintf(head, sizeof(head), "%s%c%s--%s%s%s", d->letter ? "  -" : "     ",
			 d->letter ? d->letter : ' ', d->letter ? ", " : "", d->name,
			 d->arg ? " " : "", d->arg ? d->arg : "");
		/* a head too long for its column has the text start on the next line */
		fprintf(f, strlen(head) > 20 ? "%s\n%22s" : "%-20s  ", head, "");
		return;
	}
	fputs(".TP\n", f);
	if (d->letter)
		fprintf(f, "\\fB\\-%c\\fR, ", d->letter);
	fputs("\\fB\\-\\-", f);
	gf_optable_roff(f, d->name);
	fputs("\\fR", f);
	if (d->arg) {
		fputs(" \\fI", f);
		gf_optable_roff(f, d->arg);
		fputs("\\fR", f);
	}
	fputc('\n', f);
}

void gf_optable_usage(FILE *f, const struct gf_optdef *defs, const void *defaults,
		      const char *const *only_names, enum gf_optstyle style)
{
	for (const struct gf_optdef *d = defs; d && d->name; d++) {
		char only[64], dflt[128], text[1024];
		const char *last;

		if (!d->help)
			continue;
		option_head(f, d, style);
		default_text(d, defaults, dflt, sizeof(dflt));
		snprintf(text, sizeof(text), "%s%s", only_text(d, only_names, only, sizeof(only)),
			 d->help);
		last = strrchr(text, '\n') ? strrchr(text, '\n') + 1 : text;
		/* the default goes on a line of its own where it would pass column 79 */
		if (style == GF_OPTSTYLE_TEXT && dflt[0] && 22 + strlen(last) + strlen(dflt) > 79)
			dflt[0] = '\n';
		strncat(text, dflt, sizeof(text) - strlen(text) - 1);
		if (style == GF_OPTSTYLE_ROFF) {
			for (char *p = text; *p; p++)
				if (*p == '\n')
					*p = ' ';
			gf_optable_roff(f, text);
			fputc('\n', f);
			continue;
		}
		for (const char *h = text; *h; h++) {
			if (*h == '\n')
				fprintf(f, "\n%22s", "");
			else
				fputc(*h, f);
		}
		fputc('\n', f);
	}
}

const char *gf_optable_text(const struct gf_optdef *d, const void *base, char *buf, size_t len)
{
	const char *at = (const char *)base + d->off, *text;
	int64_t v;
	double x;

	switch (d->kind) {
	case GF_OPTK_TEXT:
		memcpy(&text, at, sizeof(text));
		return text ? text : "";
	case GF_OPTK_SECONDS:
		memcpy(&x, at, sizeof(x));
		snprintf(buf, len, "%.9g", x);
		return buf;
	case GF_OPTK_FLAG:
		return get_int(d, base) ? "true" : "false";
	default:
		break;
	}
	v = get_int(d, base);
	if (d->kind == GF_OPTK_WORD)
		return d->words[v];
	snprintf(buf, len, "%lld", (long long)v);
	return buf;
}

int gf_optable_unset(const struct gf_optdef *d, const void *base)
{
	const char *at = (const char *)base + d->off, *text;
	double x;

	switch (d->kind) {
	case GF_OPTK_TEXT:
		memcpy(&text, at, sizeof(text));
		return text == NULL;
	case GF_OPTK_SECONDS:
		memcpy(&x, at, sizeof(x));
		return x == 0.0;
	default:
		return get_int(d, base) == 0;
	}
}
