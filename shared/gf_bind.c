#define _GNU_SOURCE /* sched_getaffinity, sched_setaffinity, sched_getcpu, CPU_* */
#include "gf_bind.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

_Static_assert(sizeof(cpu_set_t) == GF_BIND_MASK_BYTES, "a mask travels as cpu_set_t's bytes");

static struct {
	int read;             /* the set has been read */
	int enabled;          /* --bind */
	int n;                /* CPUs in the set */
	int cpu[CPU_SETSIZE]; /* the set, in mask order */
	cpu_set_t mask;
} set;

int gf_bind_start(int bind)
{
	if (!set.read) {
		set.read = 1;
		CPU_ZERO(&set.mask);
		if (sched_getaffinity(0, sizeof(set.mask), &set.mask) == 0) {
			for (int c = 0; c < CPU_SETSIZE; c++)
				if (CPU_ISSET(c, &set.mask))
					set.cpu[set.n++] = c;
		}
		if (set.n == 0) {
			/* unreadable: the CPU this thread is on is the one set known to exist */
			int c = sched_getcpu();

			set.cpu[set.n++] = c >= 0 && c < CPU_SETSIZE ? c : 0;
			CPU_SET(set.cpu[0], &set.mask);
		}
	}
	set.enabled = bind != 0;
	return set.n;
}

int gf_bind_enabled(void)
{
	return set.enabled;
}

int gf_bind_cpus(void)
{
	return set.n;
}

int gf_bind_cpu(int w)
{
	if (set.n == 0 || w < 0)
		return -1;
	return set.cpu[w % set.n];
}

int gf_bind_self(int w)
{
	cpu_set_t one;
	int cpu = gf_bind_cpu(w);

	if (!set.enabled)
		return 0;
	if (cpu < 0)
		return -EINVAL;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	/* pid 0 is the calling thread: each OpenMP thread pins itself, not its siblings */
	return sched_setaffinity(0, sizeof(one), &one) == 0 ? 0 : -errno;
}

void gf_bind_mask(unsigned char out[GF_BIND_MASK_BYTES])
{
	memset(out, 0, GF_BIND_MASK_BYTES);
	for (int i = 0; i < set.n; i++)
		out[set.cpu[i] / 8] |= (unsigned char)(1u << (set.cpu[i] % 8));
}

int gf_bind_union_count(const unsigned char *masks, const unsigned char *take, int n)
{
	unsigned char all[GF_BIND_MASK_BYTES] = { 0 };
	int count = 0;

	for (int i = 0; i < n; i++)
		for (size_t b = 0; (!take || take[i]) && b < GF_BIND_MASK_BYTES; b++)
			all[b] |= masks[(size_t)i * GF_BIND_MASK_BYTES + b];
	for (size_t b = 0; b < GF_BIND_MASK_BYTES; b++)
		count += __builtin_popcount(all[b]);
	return count;
}

void gf_bind_warn(const char *prog, int workers, const char *what, int cpus, const char *where)
{
	if (workers <= cpus)
		return;
	fprintf(stderr, "%s: --bind: %d %s%s%s, %d CPU%s: pinned round-robin, several to a CPU\n",
		prog, workers, what, where ? " on " : "", where ? where : "", cpus,
		cpus == 1 ? "" : "s");
}
