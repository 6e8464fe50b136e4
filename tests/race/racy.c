/*
 * The race check's positive control: two threads increment one counter without
 * synchronisation. ThreadSanitizer must report it, or the check proves nothing.
 */
#include <stdio.h>
int main(void)
{
	int counter = 0;
#pragma omp parallel num_threads(2) shared(counter)
	counter++;
	printf("%d\n", counter);
	return 0;
}
