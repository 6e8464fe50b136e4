#!/usr/bin/env python3
"""The lecture's costs measured in Python itself, beside the C figures of `gilfree-* bench`.

    py_bench.py <startup|ipc|counter|grain|paths> [options]

Same method and output as the C benchmarks: warm-up iterations first, median, min and max,
OSU-style tables ('#' header lines then fixed columns) or one json record per row
({"kind": "bench", "backend": "python", ...}). Standard library only.

  startup  multiprocessing.Process with fork and with spawn, against a thread: start and join
           latency, and each worker's memory (Pss, private) from /proc/<pid>/smaps_rollup;
           with --mpi BINARY also the time from mpiexec to MPI_Init done in every rank
  ipc      Pipe and Queue round trips of bytes payloads, pickled, 8 B up to --max-size
  counter  a counter incremented --count times by --workers processes: Manager Value under a
           Manager Lock, Value with its lock, RawValue without one (whose lost updates are
           reported, not failed)
  grain    Pool.map of tasks from --min-grain to --max-grain microseconds, map's own default
           chunksize (chunksize 0 in the rows), 1, 4, 16 and 64, against a sequential loop in the same run; each grain's tasks rescaled until
           the loop's time per task is within 10% of it (twice at most), that time reported as
           grain_measured_us (grain_off: still more than 20% away), and the parent's CPU per
           task during the map as parent_cpu_us
  paths    Pool.map of images as pickled bytes (frames) against (file, offset) (paths)

Exit status: 0, 1 when a checked quantity is wrong or a run fails, 2 on bad input.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gilfree import cli, pybench  # noqa: E402

if __name__ == "__main__":
    cli.run_main("py_bench.py", lambda argv: pybench.main(argv, __doc__))
