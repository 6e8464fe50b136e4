#!/usr/bin/env python3
"""The lecture's three workloads in Python, run the lecture's way, measured like the C suite.

  py_baseline.py <sum|primes|resize> [--backend mp|threads] [--class C] [--workers N]
                 [--n N] [--limits L,...] [--images N] [--width N] [--height N]
                 [--reps R] [--start fork|spawn|forkserver] [--format text|json|csv]

--backend mp runs Example 25.1 (a Process per worker, results appended to a Manager list),
25.2 (worker Processes fed by a Queue, one None sentinel each) and 25.3 (Pool.map) on
multiprocessing; --backend threads runs the same code on threading threads (a plain list,
queue.Queue, ThreadPool), where the GIL lets one thread at a time run Python code. The
sequential baseline is the same kernels in a loop in this process; every parallel repetition
must give its results exactly (floats to the last bit), or the run fails with exit status 1.
The json record has the shape of the C binaries' (backend "python-mp" or "python-threads").
All times are CLOCK_MONOTONIC, the C suite's clock, which every process on the machine shares,
so a worker's timestamps and the parent's can be subtracted.
Exit status: 0 verified, 1 a result differs or a process, thread or the Manager cannot be
started (one line says which), 2 bad arguments, 130, 143 or 129 stopped by SIGINT, SIGTERM or
SIGHUP (one line; every worker and the Manager's server are stopped first).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gilfree import cli, pybaseline  # noqa: E402

if __name__ == "__main__":
    cli.run_main("py_baseline.py", lambda argv: pybaseline.main(argv, __doc__), signals=True)
