/*
 * Where a worker runs: its CPU and its host's name, kept for the report's placement. Two
 * implementations, of which CMake links one (shared/CMakeLists.txt), as it links one clock:
 * gf_where.c on real hosts, gf_where_smpi.c in the simulated build, where every rank is a
 * thread of the one process that runs the simulation: its CPU says nothing of the modelled
 * one, and its host is the simulated host it runs on.
 */
#ifndef GF_WHERE_H
#define GF_WHERE_H

#include <stddef.h>

/* The CPU the calling thread runs on now (sched_getcpu), or -1. Async-signal-safe. */
int gf_where_cpu(void);

/* This host's name (gethostname) into buf, cut to fit; "" when it cannot be read. */
void gf_where_host(char *buf, size_t len);

/* 1 where a worker runs on a CPU of a real host that gf_where_cpu can name; 0 simulated. */
int gf_where_has_cpus(void);

#endif
