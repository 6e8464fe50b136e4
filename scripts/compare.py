#!/usr/bin/env python3
"""The comparison: every built backend and the Python baseline over the lecture's workloads,
worker counts and classes; every result checked across backends; tables, plots and a report.

Runs build/bin/gilfree-omp, gilfree-posix and gilfree-mpi (those that are built; MPI through
mpirun) and scripts/py_baseline.py (multiprocessing and threading), each with --format json,
and writes a results folder: records.jsonl (every raw record), summary.csv, machine.txt and
machine.json, report.md, and the plots with their data files. The tables are printed too
(not with --brief), then what the run found (the fastest row per workload and class, where
processes lose to threads, the grain crossover, the rows marked implausible, disturbed or
unstable), with which report.md opens too, and last the report's path.
By default the runs go in rounds (--order interleaved): each round starts every run once for
one repetition, in the same order, so that a drift of the machine falls on all alike. A run
whose record says it was disturbed is run again (--reruns); one that stays so is marked.
Every run's record says its CPU time, peak memory and the steal time seen around it.
With --simulate PLATFORM the MPI program also runs on a simulated cluster (SimGrid's SMPI,
up to 1024 ranks): rows mpi-sim with simulated times, in a report section of their own, and
the same runs measured and simulated here, with the prediction's error.
Exit status: 0 all verified and identical, 1 a run failed, ran past --timeout or results
differ, or the records read are incomplete, 2 bad arguments (nothing is run or written), 130,
143 or 129 stopped by SIGINT, SIGTERM or SIGHUP: the child running is stopped, and the folder
holds what was done, its report saying "interrupted by SIGINT after 14 of 30 runs".
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gilfree import cli, comparison  # noqa: E402

if __name__ == "__main__":
    cli.run_main("compare.py", lambda argv: comparison.main(argv, __doc__), signals=True)
