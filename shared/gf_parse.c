/*
 * The strict parsing every option parser of gilfree shares (gf_options.c's, gf_optable.c's,
 * the benchmarks'): whole base-10 integers in a range, seconds, and the one-line messages
 * that quote what the user gave.
 */
#include "gf_parse.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gf_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	/* The message quotes user input: a control character in it must not break the line. */
	for (char *p = err; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

int gf_parse_int(const char *s, int64_t min, int64_t max, int64_t *out, char *err, size_t errlen)
{
	const char *p = s;
	uint64_t v = 0, cap;
	int64_t r;
	int neg = 0;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (*p < '0' || *p > '9') {
		gf_errf(err, errlen, "not a number");
		return -EINVAL;
	}
	/*
	 * By hand rather than strtoll: no leading blanks, no hex, and overflow caught exactly.
	 * The magnitude is unsigned, so that INT64_MIN, one more than INT64_MAX, is read too.
	 */
	cap = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (cap - d) / 10) {
			if (neg)
				gf_errf(err, errlen, "must be at least %lld", (long long)min);
			else
				gf_errf(err, errlen, "too large (at most %lld)", (long long)max);
			return -EINVAL;
		}
		v = v * 10 + d;
	}
	if (*p != '\0') {
		gf_errf(err, errlen, "not a number");
		return -EINVAL;
	}
	if (!neg)
		r = (int64_t)v;
	else if (v > (uint64_t)INT64_MAX)
		r = INT64_MIN;
	else
		r = -(int64_t)v;
	if (r < min) {
		gf_errf(err, errlen, "must be at least %lld", (long long)min);
		return -EINVAL;
	}
	if (r > max) {
		gf_errf(err, errlen, "too large (at most %lld)", (long long)max);
		return -EINVAL;
	}
	*out = r;
	return 0;
}

int gf_parse_seconds(const char *s, double max, double *out, char *err, size_t errlen)
{
	size_t whole = strspn(s, "0123456789"), frac = 0, end;
	double v;

	/* digits, optionally a point and digits, then optionally an exponent ("1e9" is a
	   number of seconds, one past the limit): no sign, blank, inf or nan */
	if (s[whole] == '.')
		frac = strspn(s + whole + 1, "0123456789");
	end = whole + (s[whole] == '.' ? 1 + frac : 0);
	if (whole + frac > 0 && (s[end] == 'e' || s[end] == 'E')) {
		size_t sign = s[end + 1] == '+' || s[end + 1] == '-';
		size_t digits = strspn(s + end + 1 + sign, "0123456789");

		end = digits ? end + 1 + sign + digits : end;
	}
	if (whole + frac == 0 || (s[whole] == '.' && frac == 0) || s[end] != '\0') {
		gf_errf(err, errlen, "not a number of seconds");
		return -EINVAL;
	}
	v = strtod(s, NULL);
	if (!(v > 0)) {
		gf_errf(err, errlen, "must be more than 0");
		return -EINVAL;
	}
	if (v > max) {
		gf_errf(err, errlen, "too large (at most %.0f)", max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}
