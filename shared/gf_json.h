/*
 * json output shared by the record's writers: a leaf module (it includes none of gilfree's
 * headers). Not thread-safe beyond what stdio is: f is written as the caller holds it.
 */
#ifndef GF_JSON_H
#define GF_JSON_H

#include <stdio.h>

/* Writes s to f as a json string: quoted, with '"', '\\' and control characters escaped. */
void gf_json_string(FILE *f, const char *s);

#endif
