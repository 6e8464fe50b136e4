#!/usr/bin/env python3
"""gilfree-omp takes its team size from OMP_NUM_THREADS when --workers is absent."""
import json
import os
import subprocess
import sys

binary = sys.argv[1]
failed = passed = 0


def run(env_value, *args):
    env = dict(os.environ)
    env.pop("OMP_NUM_THREADS", None)
    if env_value is not None:
        env["OMP_NUM_THREADS"] = env_value
    return subprocess.run([binary, *args], capture_output=True, text=True, env=env, timeout=60)


def check(cond, what):
    global failed, passed
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if cond:
        passed += 1
    else:
        failed += 1


for value, args, want in [("3", [], 3), ("2", ["--workers", "5"], 5), (None, [], 4),
                          ("6,2", [], 6)]:
    out = run(value, "sum", "--reps", "1", "--format", "json", *args)
    rec = json.loads(out.stdout) if out.returncode == 0 else {}
    check(rec.get("workers") == want and len(rec.get("results", [])) == want
          and rec.get("verified") is True and rec.get("notes") == "",
          f"OMP_NUM_THREADS={value} {args}: {want} workers")
for bad in ["zero", "0", "-2", "", "99999"]:
    out = run(bad, "sum")
    # one line, ours: libgomp must not have read the value and warned first
    check(out.returncode == 2 and out.stderr.startswith("gilfree-omp: invalid OMP_NUM_THREADS")
          and out.stderr.count("\n") == 1 and not out.stdout,
          f"OMP_NUM_THREADS={bad!r} refused in one line: exit {out.returncode} {out.stderr!r}")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
