/*
 * The strict parsing every option parser of gilfree shares: a leaf module (it includes no other
 * of gilfree's headers), so that gf_options and gf_optable both use it without including each
 * other. Thread-safe: no state.
 */
#ifndef GF_PARSE_H
#define GF_PARSE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Strict integer parsing: all of s must be a base-10 integer in [min, max]. Returns 0, or
 * -EINVAL with a reason in err ("not a number", "must be at least 1", "too large (at most N)").
 */
int gf_parse_int(const char *s, int64_t min, int64_t max, int64_t *out, char *err, size_t errlen);

/*
 * Strict parsing of a duration: all of s must be a decimal number of seconds ("10", "0.5",
 * "1e3"), more than 0 and at most max. Returns 0, or -EINVAL with a reason in err ("not a number of
 * seconds", "must be more than 0", "too large (at most N)").
 */
int gf_parse_seconds(const char *s, double max, double *out, char *err, size_t errlen);

/*
 * Writes a one-line message into err (errlen bytes): printf's format, with any control
 * character replaced by '?', since messages quote user input. No-op when err is NULL.
 */
void gf_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
