/*
 * json output that the record's writers share (gf_report.c, gf_disturb.c): a leaf module, so
 * that the two need not include each other.
 */
#include "gf_json.h"

/* Backend remarks are our own text, but escape them anyway so the line stays valid json. */
void gf_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}
