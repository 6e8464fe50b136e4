/*
 * The process plumbing's internals (proc.h is its interface): what proc.c (signals, starting
 * and reaping workers), worker.c (the worker's side) and gather.c (the parent's side of a run)
 * share.
 */
#ifndef GF_PROC_IMPL_H
#define GF_PROC_IMPL_H

#include "proc.h"

#include <signal.h>
#include <sys/types.h>

/* Set by the SIGCHLD handler (proc.c), cleared by the gather loop before it looks. */
extern volatile sig_atomic_t gf__proc_child_exited;

/* The loop every worker runs (the protocol at the top of proc.h); the worker's exit status. */
int gf__proc_worker_loop(int task_rd, int result_wr, int id);

/* The child's signal state: the parent alone decides when a run stops. */
void gf__proc_child_signals(pid_t parent);

#endif
