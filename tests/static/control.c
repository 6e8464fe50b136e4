/*
 * The static analysis test's control: a use after free that clang-tidy and cppcheck must
 * both report, so that a tool that silently checks nothing cannot pass the test.
 */
#include <stdlib.h>

int gf_static_control(void);

int gf_static_control(void)
{
	int *p = malloc(4 * sizeof(*p));
	int v;

	if (!p)
		return 0;
	p[0] = 1;
	free(p);
	v = p[0];
	return v;
}
