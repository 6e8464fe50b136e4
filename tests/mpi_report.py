#!/usr/bin/env python3
"""gilfree-mpi's report carries what only MPI knows: per-rank busy time, the phases and the
cost of MPI_Init.

  mpi_report.py --binary build/bin/gilfree-mpi --launcher 'mpiexec -n {workers}'
"""
import argparse
import json
import shlex
import subprocess
import sys

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def record(args, workers, extra):
    cmd = shlex.split(args.launcher.format(workers=workers)) + [args.binary] + extra + [
        "--reps", "2", "--format", "json"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        check(False, f"{cmd}: exit {out.returncode} {out.stderr!r}")
        return None
    return json.loads(out.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", required=True)
    ap.add_argument("--launcher", required=True)
    args = ap.parse_args()

    # Static: every rank with a task has busy time of its own; a rank with none has zero.
    rec = record(args, 7, ["primes"])
    if rec:
        busy = rec["busy_s"]
        check(len(busy) == 7 and all(b > 0 for b in busy[:6]) and busy[6] == 0,
              f"static, 6 tasks on 7 ranks: ranks 0-5 busy, rank 6 idle: {busy}")
        check(list(rec["phases"]) == ["scatter", "compute", "gather"],
              f"static phases: {list(rec['phases'])}")
        check(rec["setup_s"].get("mpi_init", 0) > 0, f"mpi_init reported: {rec['setup_s']}")
        check(rec["params"]["schedule"] == "static", "schedule static in params")
        total = sum(rec["phases"][p]["median"] for p in rec["phases"])
        check(total > 0 and rec["par_s"]["median"] > 0, "phases and parallel time measured")

    # Dynamic: rank 0 is the producer and computes nothing; the workers share every task.
    rec = record(args, 3, ["primes", "--schedule", "dynamic"])
    if rec:
        busy = rec["busy_s"]
        check(len(busy) == 3 and busy[0] == 0 and sum(busy[1:]) > 0,
              f"dynamic on 3 ranks: rank 0 produces, ranks 1-2 compute: {busy}")
        check(list(rec["phases"]) == ["compute"], f"dynamic phases: {list(rec['phases'])}")
        check("rank 0 hands out the tasks" in rec["notes"], f"notes: {rec['notes']!r}")

    # Sum: rank r is worker r, and its result says so.
    rec = record(args, 3, ["sum"])
    if rec:
        check(all(b > 0 for b in rec["busy_s"]) and len(rec["busy_s"]) == 3,
              f"sum on 3 ranks: every rank busy: {rec['busy_s']}")
        check(list(rec["phases"]) == ["compute", "gather"], f"sum phases: {list(rec['phases'])}")

    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
