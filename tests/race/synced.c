/*
 * The race check's negative control: each thread writes its own slot, and thread 0 reads
 * both after an OpenMP barrier. Race-free; ThreadSanitizer sees the barrier only through
 * Archer, LLVM's OpenMP tool, so with Archer off this is (falsely) reported.
 */
#include <omp.h>
#include <stdio.h>
int main(void)
{
	int slot[2] = { 0, 0 }, sum = 0;
#pragma omp parallel num_threads(2) shared(slot, sum)
	{
		int id = omp_get_thread_num();
		slot[id] = id + 1;
#pragma omp barrier
		if (id == 0)
			sum = slot[0] + slot[1];
	}
	printf("%d\n", sum);
	return 0;
}
