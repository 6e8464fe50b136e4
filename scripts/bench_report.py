#!/usr/bin/env python3
"""The cost micro-benchmarks in the report: runs every built backend's `bench` experiments and
scripts/py_bench.py, and turns their records into five markdown sections (start-up, IPC by
payload size, shared state, grain size, paths not frames), each lecture claim beside the
figures measured in C and in Python, with gnuplot data files and plots (log-log latency and
bandwidth against size, speedup against grain).

    bench_report.py [--build build] [--out DIR] [--quick] [--records FILE ...]

As a module (the comparison script's --experiments):
    records, failures, stop = bench_report.collect(build_dir, out_dir)
    markdown = bench_report.bench_sections(records, out_dir)

Exit status: 0, 1 a benchmark failed or a checked quantity was wrong, 2 bad arguments (the
output folder too: nothing is run), 130, 143 or 129 stopped by SIGINT, SIGTERM or SIGHUP (the
benchmark running is stopped; the sections of those done are written).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gilfree import cli, bench  # noqa: E402

if __name__ == "__main__":
    cli.run_main("bench_report.py", lambda argv: bench.main(argv, __doc__), signals=True)
