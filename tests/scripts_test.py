#!/usr/bin/env python3
"""Checks of scripts/compare.py and scripts/py_baseline.py.

  scripts_test.py --build BUILD_DIR --only matrix|mismatch|bad|python|units|experiments|
                                         stdout|signals|timeout|outdir|order

matrix:   a small matrix end to end (class S, 1 and 2 workers, one repetition) writes every
          file of the results folder, with the right columns, every record verified, and the
          tables on stdout.
mismatch: records whose results differ (a changed prime count, a resize total one ulp off,
          a sum total changed) or which are not verified fail the check with exit 1 and a diff;
          without gnuplot the plots are skipped and said to be, and the check passes.
bad:      bad arguments exit 2 with one line on stderr, and create no results folder.
python:   the Python baseline's results equal values computed here independently, and its bad
          arguments exit 2.
units:    the achievable-time bounds on the lecture's task list; report sections for other
          kinds of records.
experiments: --experiments joins the micro-benchmarks' records and sections, where the tree
          has them (scripts/bench_report.py), and is refused where it does not.
stdout:   every entry point whose standard output cannot be written (/dev/full) says so in one
          line and exits 1, no traceback; a closed pipe is exit 1 and no line.
signals:  SIGINT, SIGTERM and SIGHUP during a run stop its child's group, write what was done,
          say "interrupted by SIG... after N of M runs" and exit 128 + the signal; --records on
          that folder says it is incomplete and exits 1; the folder is refused as a new --out.
timeout:  --timeout reaches every binary and the Python runs' limit: a run past it is a failure
          named in the report, exit 1, in bounded time; bad values exit 2.
outdir:   an output folder that cannot be made is refused before anything runs, by
          bench_report.py, by compare.py --dry-run and so by main.sh; --dry-run leaves nothing.
order:    --order interleaved runs a tiny matrix in rounds (the rounds' records in that order,
          each run's record holding its rounds' samples), --order blocked each run once; every
          record says its CPU time, peak memory and steal, and its re-runs agree with the
          attempts kept; bad --order and --reruns values exit 2.
"""
import argparse
import csv
import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMPARE = os.path.join(ROOT, "scripts", "compare.py")
BASELINE = os.path.join(ROOT, "scripts", "py_baseline.py")
BENCH = os.path.join(ROOT, "scripts", "py_bench.py")
REPORT = os.path.join(ROOT, "scripts", "bench_report.py")
MAIN_SH = os.path.join(ROOT, "scripts", "main.sh")
# A small matrix of one backend's class A: three runs of a few seconds each.
CLASS_A = ["--only", "backend=posix", "--classes", "A", "--workers", "1", "--reps", "1",
           "--python-classes", "none"]
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from gilfree import backends, crosscheck, report, stats, tables  # noqa: E402

failures = []


def check(cond, msg):
    print(("ok " if cond else "FAIL: ") + msg, flush=True)
    if not cond:
        failures.append(msg)


def run(argv, timeout=300):
    return subprocess.run([sys.executable] + argv, capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def built(build):
    return [b for b in ("omp", "posix", "mpi", "hybrid")
            if os.access(os.path.join(build, "bin", f"gilfree-{b}"), os.X_OK)]


def row_runs(build, workers):
    """{row: runs per workload} of a default matrix over workers: one per worker count, but
    ranks of threads only where the team size divides it (hybrid-t2 at P = 2, not 1)."""
    rows = {}
    for b in built(build) + ["python-mp", "python-threads"]:
        if b != "hybrid":
            rows[b] = len(workers)
            continue
        for t in backends.HYBRID_THREADS:
            n = sum(1 for p in workers if p % t == 0)
            if n:
                rows["hybrid" if t == 1 else f"hybrid-t{t}"] = n
    return rows


def test_matrix(build):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "res")
        r = run([COMPARE, "--build", build, "--classes", "S", "--workers", "1,2", "--reps", "1",
                 "--out", out])
        check(r.returncode == 0, "small matrix exits 0" if r.returncode == 0 else
              f"small matrix exits 0 (got {r.returncode}: {r.stdout[-2000:]} "
              f"{r.stderr[-2000:]})")
        for name in ("records.jsonl", "summary.csv", "machine.txt", "machine.json",
                     "report.md"):
            check(os.path.isfile(os.path.join(out, name)), f"{name} written")
        if r.returncode != 0:
            return
        with open(os.path.join(out, "records.jsonl"), encoding="utf-8") as f:
            recs = [json.loads(line) for line in f]
        plan = recs.pop(0)
        recs = [x for x in recs if x["kind"] not in ("attempt", "round", "topology")]
        labels = {backends.label(x) for x in recs}
        per_row = row_runs(build, (1, 2))
        want = set(per_row)
        nruns = sum(per_row.values()) * 3
        check(plan == {"kind": "plan", "runs": nruns, "order": "interleaved",
                       "rounds": 1, "reps": 1, "reruns": 2},
              f"records.jsonl opens with the number of runs planned and their order: {plan}")
        check(labels == want, f"records of every built backend and Python: {sorted(labels)}")
        check(len(recs) == nruns, f"one record per backend, workload and worker "
              f"count: {len(recs)}")
        check(all(x["verified"] and x["kind"] == "run" for x in recs), "every record verified")
        progress = re.findall(r"^\[ *(\d+)/(\d+) +\d+s\] (\S+) (\S+) class S", r.stderr, re.M)
        check(len(progress) == len(recs) and progress[-1][0] == progress[-1][1],
              f"progress on stderr, n of m: {len(progress)} lines")
        check(all(x["workers"] in (1, 2) and x["class"] == "S" and x["reps"] == 1
                  for x in recs), "records carry the matrix's parameters")
        with open(os.path.join(out, "summary.csv"), encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        check(rows and list(rows[0]) == tables.SUMMARY_COLUMNS + tables.COST_COLUMNS,
              f"summary.csv columns: {list(rows[0]) if rows else None}")
        check(len(rows) == len(recs), "one summary row per record")
        check(all(float(x["speedup"]) > 0 and x["verified"] == "true" for x in rows),
              "summary rows have a speedup and are verified")
        with open(os.path.join(out, "machine.json"), encoding="utf-8") as f:
            m = json.load(f)
        check(all(k in m for k in ("cpu", "cores", "memory", "kernel", "gcc", "mpi", "python",
                                   "gilfree", "commit")), f"machine.json keys: {sorted(m)}")
        with open(os.path.join(out, "report.md"), encoding="utf-8") as f:
            report = f.read()
        for wl in ("sum", "primes", "resize"):
            check(f"### {wl}, class S" in report and f"{wl}, class S" in r.stdout,
                  f"{wl} table in report.md and on stdout")
            check(f"### {wl}, class S: C's speedup over python-mp" in report,
                  f"{wl}: C against Python in report.md")
        check("## Why a parallel run can be slower than the loop at class S" in report,
              "report explains class S")
        check("identical" in report and "FAILED" not in report, "report says results agree")
        check(0 < report.find("## What this run found") < report.find("## Verification") and
              "Fastest at sum: " in report, "report.md opens with what this run found")
        tail = r.stdout.strip().splitlines()
        check(tail[-1].endswith(os.path.join(out, "report.md")) and
              any(x.startswith("What this run found:") for x in tail[-14:]),
              f"stdout ends with what this run found, then the report's path: {tail[-1]!r}")
        if "gnuplot is not installed" not in r.stdout:
            for wl in ("sum", "primes", "resize"):
                for ext in ("png", "svg", "dat"):
                    name = f"speedup_{wl}_S.{ext}"
                    check(os.path.getsize(os.path.join(out, name)) > 0, f"{name} written")
            check(os.path.isfile(os.path.join(out, "c_vs_python.png")), "C vs Python plot")
            check(os.path.isfile(os.path.join(out, "time_primes.svg")), "time plot")


def test_experiments(build):
    """--experiments: the micro-benchmarks' records join the comparison's, with their own
    report section, where the tree has them; otherwise the option is refused."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "res")
        r = run([COMPARE, "--build", build, "--experiments", "startup", "--bench-quick", "--only",
                 "workload=sum", "--classes", "S", "--workers", "1", "--reps", "1",
                 "--python-classes", "none", "--out", out, "--quiet"])
        if not os.path.isfile(os.path.join(ROOT, "scripts", "bench_report.py")):
            check(r.returncode == 2 and "not in this tree" in r.stderr and
                  not os.path.exists(out), "--experiments without the benchmarks: exit 2")
            return
        check(r.returncode == 0, "--experiments startup runs" if r.returncode == 0 else
              f"--experiments startup runs ({r.stdout[-1500:]} {r.stderr[-1500:]})")
        with open(os.path.join(out, "records.jsonl"), encoding="utf-8") as f:
            recs = [json.loads(line) for line in f]
        with open(os.path.join(out, "report.md"), encoding="utf-8") as f:
            report = f.read()
        check(any(x.get("kind") == "bench" for x in recs) and
              any(x.get("kind") == "run" for x in recs), "bench and run records together")
        check("Other records" not in report and "## Times" in report,
              "the benchmarks have their section in the report")


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def row_of(rec):
    return (rec["label"], rec["workload"], rec["workers"])


def check_costs(recs, what):
    """Every start's record says what it cost: CPU time, peak memory and the steal seen."""
    costs = [x.get("rusage") or {} for x in recs]
    check(recs and all(u.get("user_s", 0) >= 0 and u.get("sys_s", 0) >= 0 and
                       u.get("user_s", 0) + u.get("sys_s", 0) > 0 and u.get("maxrss_kb", 0) > 0
                       and u.get("maxrss_floor_kb", 0) > 0 for u in costs),
          f"{what}: rusage with CPU time and peak memory in every record ({costs[:2]})")
    check(all(isinstance(x.get("steal_s"), float) and x["steal_s"] >= 0 for x in recs),
          f"{what}: steal_s in every record ({[x.get('steal_s') for x in recs][:4]})")


def check_reruns(runs, attempts, reruns, what):
    """Every run says how many re-runs it took, within --reruns, and every attempt is kept."""
    ok = True
    for run in runs:
        tried = [a for a in attempts if row_of(a) == row_of(run)]
        ok &= 0 <= run["reruns"] <= reruns * run["rounds"] and \
            len(tried) == run["reruns"] + run["rounds"]
    check(runs and ok, f"{what}: each run's attempts kept, one more per round than its re-runs "
          f"({[(row_of(r), r['reruns']) for r in runs]})")


def test_order(build):
    """--order interleaved visits every run in rounds and joins a run's rounds into its record;
    --order blocked runs each run once with all its repetitions. Each start says what it cost,
    and how many times it was run again for being disturbed. Bad values are refused."""
    names = [b for b in ("omp", "posix") if b in built(build)]
    if not names:
        print("skip: neither gilfree-omp nor gilfree-posix is built")
        return
    only = ",".join(f"backend={b}" for b in names) + ",workload=sum"
    small = [COMPARE, "--build", build, "--only", only, "--classes", "S", "--workers", "1,2",
             "--reps", "3", "--python-classes", "none", "--quiet"]
    rows = [(b, "sum", p) for b in names for p in (1, 2)]
    with tempfile.TemporaryDirectory() as tmp:
        check_interleaved(small, rows, os.path.join(tmp, "interleaved"))
        check_blocked(small, rows, os.path.join(tmp, "blocked"))
        for opt, bad in (("--order", "shuffled"), ("--reruns", "-1"), ("--reruns", "3x")):
            gone = os.path.join(tmp, "refused")
            r = run(small + [opt, bad, "--out", gone])
            check(r.returncode == 2 and one_line(r, f"'{bad}'") and r.stdout == "" and
                  not os.path.exists(gone), f"{opt} {bad}: exit 2, one line naming it, "
                  f"nothing run or left ({r.returncode}: {r.stderr.strip()!r})")


def check_interleaved(small, rows, out):
    """test_order's interleaved run: its rounds, their records joined, and --records again."""
    r = run(small + ["--out", out])
    check(r.returncode == 0, f"interleaved: exit 0 ({r.returncode}: {r.stdout[-800:]} "
          f"{r.stderr[-800:]})")
    recs = read_jsonl(os.path.join(out, "records.jsonl"))
    check(recs[0] == {"kind": "plan", "runs": len(rows), "order": "interleaved",
                      "rounds": 3, "reps": 3, "reruns": 2},
          f"interleaved: the plan says the order and the rounds ({recs[0]})")
    got = [(x["round"],) + row_of(x) for x in recs if x.get("kind") == "round"]
    check(got == [(n,) + row for n in (1, 2, 3) for row in rows],
          f"interleaved: round 1 visits every run in the matrix's order, then round 2, "
          f"then round 3 ({got})")
    rounds = [x for x in recs if x.get("kind") == "round"]
    check(all(x["reps"] == 1 and "--reps 1 " in x["command"] for x in rounds),
          "interleaved: each round starts its run with --reps 1")
    runs = [x for x in recs if x.get("kind") == "run"]
    check([row_of(x) for x in runs] == rows, f"interleaved: one record per run "
          f"({[row_of(x) for x in runs]})")
    for run_rec in runs:
        mine = [x for x in rounds if row_of(x) == row_of(run_rec)]
        par = [x["samples"]["par_s"][0] for x in mine]
        seq = [x["samples"]["seq_s"][0] for x in mine]
        check(run_rec["samples"]["par_s"] == par and run_rec["samples"]["seq_s"] == seq
              and run_rec["reps"] == 3 and run_rec["rounds"] == 3
              and run_rec["order"] == "interleaved" and run_rec["verified"] is True
              and run_rec["par_s"] == stats.summary(par)
              and run_rec["seq_s"]["median"] == stats.median(seq),
              f"interleaved {row_of(run_rec)}: its record holds its 3 rounds' samples in "
              f"round order, and its figures are theirs")
    attempts = [x for x in recs if x.get("kind") == "attempt"]
    check_reruns(runs, attempts, 2, "interleaved")
    check_costs(attempts + rounds + runs, "interleaved")
    check(all(x["rusage"]["user_s"] == round(sum(
        y["rusage"]["user_s"] for y in rounds if row_of(y) == row_of(x)), 6) for x in runs),
        "interleaved: a run's CPU time is its rounds' together")
    with open(os.path.join(out, "report.md"), encoding="utf-8") as f:
        report = f.read()
    check("### What each run cost, class S" in report and "order interleaved: 3 rounds"
          in report, "interleaved: the report says the order and what each run cost")
    again = run([COMPARE, "--records", out, "--out", out + "-again", "--quiet"])
    check(again.returncode == 0 and read_jsonl(os.path.join(out + "-again",
                                                             "records.jsonl")) == recs,
          f"interleaved: --records reports its records again, the rounds kept "
          f"({again.returncode}: {again.stdout[-300:]})")


def check_blocked(small, rows, out):
    """test_order's blocked run: each run started once with all its repetitions."""
    r = run(small + ["--out", out, "--order", "blocked", "--reruns", "1"])
    check(r.returncode == 0, f"blocked: exit 0 ({r.returncode}: {r.stderr[-800:]})")
    recs = read_jsonl(os.path.join(out, "records.jsonl"))
    check(recs[0] == {"kind": "plan", "runs": len(rows), "order": "blocked", "rounds": 1,
                      "reps": 3, "reruns": 1}, f"blocked: the plan says the order ({recs[0]})")
    runs = [x for x in recs if x.get("kind") == "run"]
    attempts = [x for x in recs if x.get("kind") == "attempt"]
    check(not any(x.get("kind") == "round" for x in recs) and
          [row_of(x) for x in runs] == rows and
          all(x["order"] == "blocked" and x["rounds"] == 1 and x["reps"] == 3 and
              len(x["samples"]["par_s"]) == 3 and "--reps 3 " in x["command"]
              for x in runs), "blocked: each run started once with --reps 3")
    check([row_of(x) for x in attempts if x["attempt"] == 1] == rows,
          "blocked: every run's first attempt, in the matrix's order")
    check_reruns(runs, attempts, 1, "blocked")
    check_costs(attempts + runs, "blocked")


def plant(recs, tmp, name, change):
    """Writes recs with change applied to a deep copy; returns compare.py's result on it."""
    planted = json.loads(json.dumps(recs))
    change(planted)
    path = os.path.join(tmp, name + ".jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for x in planted:
            f.write(json.dumps(x) + "\n")
    return run([COMPARE, "--records", path, "--out", os.path.join(tmp, name), "--quiet"])


def test_mismatch(build):
    omp = os.path.join(build, "bin", "gilfree-omp")
    recs = []
    for wl in ("sum", "primes", "resize"):
        for argv in ([omp], [sys.executable, BASELINE]):
            r = subprocess.run(argv + [wl, "--workers", "2", "--reps", "1", "--format", "json"],
                               capture_output=True, text=True, timeout=120)
            check(r.returncode == 0, f"{argv[-1]} {wl} json record")
            recs.append(json.loads(r.stdout))
    with tempfile.TemporaryDirectory() as tmp:
        r = plant(recs, tmp, "clean", lambda x: None)
        check(r.returncode == 0, "unchanged records pass" if r.returncode == 0 else
              f"unchanged records pass ({r.stdout[-1500:]} {r.stderr})")
        check(r.stderr == "", f"--quiet: nothing on stderr ({r.stderr!r})")

        # Without gnuplot on the PATH: the plots are skipped and said to be, not a failure.
        path = os.path.join(tmp, "plain.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(json.dumps(x) + "\n" for x in recs)
        empty = os.path.join(tmp, "empty-path")
        os.mkdir(empty)
        out = os.path.join(tmp, "noplots")
        r = subprocess.run([sys.executable, COMPARE, "--records", path, "--out", out],
                           capture_output=True, text=True, timeout=120, cwd=ROOT,
                           env=dict(os.environ, PATH=empty))
        with open(os.path.join(out, "report.md"), encoding="utf-8") as f:
            report = f.read()
        check(r.returncode == 0 and "gnuplot is not installed" in r.stdout and
              "gnuplot is not installed" in report and
              not any(n.endswith(".png") for n in os.listdir(out)),
              f"no gnuplot: plots skipped and said ({r.returncode}: {r.stderr[-300:]})")

        def count(x):
            x[3]["results"][2][1] += 1  # python primes: a count one too many

        r = plant(recs, tmp, "count", count)
        check(r.returncode == 1 and "results differ" in r.stdout and "key 25000" in r.stdout,
              f"a changed prime count fails with a diff ({r.returncode}: {r.stdout[-800:]})")

        def ulp(x):
            res = x[5]["results"][4]
            res[3] = math.nextafter(res[3], math.inf)

        r = plant(recs, tmp, "ulp", ulp)
        check(r.returncode == 1 and "key 4" in r.stdout,
              f"a resize total one ulp off fails ({r.returncode}: {r.stdout[-800:]})")

        def total(x):
            x[0]["results"][1][1] -= 1

        r = plant(recs, tmp, "sum", total)
        check(r.returncode == 1 and "results differ" in r.stdout, "a changed sum total fails")

        def unverified(x):
            x[2]["verified"] = False

        r = plant(recs, tmp, "unverified", unverified)
        check(r.returncode == 1 and "not verified" in r.stdout, "an unverified record fails")

        def params(x):
            x[3]["params"]["limits"][0] += 1  # class S run with other limits

        r = plant(recs, tmp, "params", params)
        check(r.returncode == 1 and "primes class S" in r.stdout,
              "a class run with other parameters fails")


def test_bad(build):
    bad = [["--workers", "0"], ["--workers", "1,,2"], ["--workers", "x"], ["--workers"],
           ["--workers", "2,2"], ["--classes", "Q"], ["--classes", "S,S"], ["--reps", "0"],
           ["--reps", "1e3"], ["--only", "backend=nope"], ["--only", "colour=red"],
           ["--only", "workload"], ["--python-classes", "Z"], ["--posix-start", "vfork"],
           ["--frobnicate"], ["extra"], ["--build", "/nonexistent"], ["--timeout", "-1"],
           ["--records", "/nonexistent/records.jsonl"], ["--experiments", "nope"],
           ["--bench-quick"], ["--python-start", "forkserver"], ["--mpi-schedule", "guided"],
           ["--timeout", "0"], ["--timeout", "0.0"], ["--timeout", "abc"], ["--timeout", "1e3"],
           ["--timeout", ".5"], ["--timeout", "nan"], ["--timeout", "inf"],
           ["--timeout", "86401"], ["--timeout", ""], ["--order", "random"],
           ["--order", ""], ["--order", "Interleaved"], ["--reruns", "-1"], ["--reruns", "x"],
           ["--reruns", "1.5"], ["--reruns", "101"], ["--reruns", ""], ["--reps", "auto2"],
           ["--reps", "auto", "--ci-target", "0"], ["--reps", "auto", "--ci-target", "-1"],
           ["--reps", "auto", "--ci-target", "nan"], ["--reps", "auto", "--reps-cap", "x"],
           ["--ci-target", "5"], ["--reps", "3", "--reps-cap", "10"],
           ["--reps", "auto", "--order", "interleaved"]]
    if "mpi" not in built(build):
        bad.append(["--only", "backend=mpi"])
    results = os.path.join(ROOT, "results")
    before = sorted(os.listdir(results)) if os.path.isdir(results) else []
    with tempfile.TemporaryDirectory() as tmp:
        junk = os.path.join(tmp, "junk.jsonl")
        with open(junk, "w", encoding="utf-8") as f:
            f.write("{not json\n")
        bad.append(["--records", junk])
        full = os.path.join(tmp, "full")
        os.mkdir(full)
        open(os.path.join(full, "x"), "w", encoding="utf-8").close()
        bad.append(["--out", full])
        for argv in bad:
            out = os.path.join(tmp, "out")
            extra = [] if "--out" in argv else ["--out", out]
            r = run([COMPARE, "--build", build] + argv + extra)
            lines = r.stderr.strip().splitlines()
            check(r.returncode == 2 and len(lines) == 1 and r.stdout == ""
                  and not os.path.exists(out), f"compare.py {' '.join(argv)}: exit 2, "
                  f"one line ({r.returncode}: {r.stderr.strip()!r})")
        check(os.listdir(full) == ["x"], "a non-empty --out is left alone")
    after = sorted(os.listdir(results)) if os.path.isdir(results) else []
    check(before == after, "no results folder created by bad arguments")
    r = run([COMPARE, "--help"])
    check(r.returncode == 0 and "--workers" in r.stdout and "--only" in r.stdout, "--help")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out")
        r = run([COMPARE, "--build", build, "--dry-run", "--classes", "S", "--workers", "1,2",
                 "--out", out])
        lines = [x for x in r.stdout.strip().splitlines() if not x.startswith("#")]
        want = sum(row_runs(build, (1, 2)).values()) * 3
        check(r.returncode == 0 and len(lines) == want and not os.path.exists(out),
              f"--dry-run: {want} commands, nothing written ({len(lines)} lines)")
        check(all("--reps 1 " in x for x in lines) and
              "in each of 9 rounds" in r.stdout.splitlines()[-1],
              "--dry-run, interleaved: each command once with --reps 1, and the rounds said")
        r = run([COMPARE, "--build", build, "--dry-run", "--classes", "S", "--workers", "1,2",
                 "--order", "blocked"])
        lines = r.stdout.strip().splitlines()
        check(r.returncode == 0 and len(lines) == want and all("--reps 9 " in x for x in lines),
              f"--dry-run --order blocked: {want} commands with --reps 9, the default "
              f"({len(lines)} lines)")
        # --reps auto and its target and cap reach every run, the Python baseline's too
        r = run([COMPARE, "--build", build, "--dry-run", "--classes", "S", "--workers", "2",
                 "--reps", "auto", "--ci-target", "10", "--reps-cap", "2", "--out", out])
        lines = r.stdout.strip().splitlines()
        check(r.returncode == 0 and lines and all(
            "--reps auto --ci-target 10 --reps-cap 2 " in x for x in lines) and
            any("py_baseline.py" in x for x in lines), f"--dry-run --reps auto: passed to "
            f"every run ({r.returncode}: {lines[:2]})")
        main_sh = os.path.join(ROOT, "scripts", "main.sh")
        r = subprocess.run([main_sh, "--workers", "0", "--out", out], capture_output=True,
                           text=True, timeout=60)
        check(r.returncode == 2 and r.stdout == "" and len(r.stderr.strip().splitlines()) == 1
              and not os.path.exists(out), f"main.sh with a bad option: exit 2 before anything "
              f"runs ({r.returncode}: {r.stderr.strip()!r})")
        r = subprocess.run([main_sh, "--help"], capture_output=True, text=True, timeout=60)
        check(r.returncode == 0 and "usage" in r.stdout, "main.sh --help")


def test_python():
    cases = [(["sum", "--n", "1000", "--workers", "3"],
              [[w, (w + 1) * 1000 * 999 // 2] for w in range(3)]),
             (["primes", "--limits", "1,2,3,100,97"], [[1, 0], [2, 0], [3, 1], [97, 24],
                                                        [100, 25]])]
    total = 0.0
    for p in range(6 * 5 // 100):
        total += math.sqrt(p + 1)
    cases.append((["resize", "--images", "2", "--width", "6", "--height", "5"],
                  [[0, 3, 2, total], [1, 3, 2, total]]))
    for backend in ("mp", "threads"):
        for argv, want in cases:
            r = run([BASELINE] + argv + ["--backend", backend, "--reps", "2", "--format",
                                         "json"])
            rec = json.loads(r.stdout) if r.returncode == 0 else {}
            check(rec.get("results") == want and rec.get("verified") is True and
                  rec.get("backend") == f"python-{backend}",
                  f"py_baseline {backend} {' '.join(argv)}: {rec.get('results')}")
    r = run([BASELINE, "resize", "--reps", "1"])
    check(r.returncode == 0 and "Sample result: (0, 960, 540, 1990727.79)" in r.stdout,
          "py_baseline prints the lecture's sample result")
    # --reps auto, as the binaries': at least 6 of each, a cap spent at once stops there
    r = run([BASELINE, "sum", "--n", "1000", "--workers", "2", "--reps", "auto", "--reps-cap",
             "0.000001", "--format", "json"])
    rec = json.loads(r.stdout) if r.returncode == 0 else {}
    auto, got = rec.get("reps_auto") or {}, rec.get("samples", {})
    check(auto.get("seq_reps") == auto.get("par_reps") == rec.get("reps") == 6 and
          len(got.get("seq_s", [])) == len(got.get("par_s", [])) == 6 and
          auto.get("reached") == (stats.within_target(got["seq_s"], 5) and
                                  stats.within_target(got["par_s"], 5)) and
          rec["par_s"]["ci_low"] == stats.median_ci(got["par_s"])[0],
          f"py_baseline --reps auto --reps-cap 0.000001: 6 and 6 ({r.returncode}: {auto})")
    for argv in (["sum", "--workers", "0"], ["primes", "--limits", "5,,6"], ["nope"], [],
                 ["sum", "--class", "Q"], ["sum", "--n", "1x"], ["sum", "--reps", "-1"],
                 ["resize", "--width", "1000001"], ["sum", "--start", "vfork"],
                 ["sum", "--reps", "auto2"], ["sum", "--reps", "auto", "--ci-target", "0"],
                 ["sum", "--reps", "auto", "--reps-cap", "x"], ["sum", "--ci-target", "5"]):
        r = run([BASELINE] + argv)
        check(r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and not r.stdout,
              f"py_baseline {' '.join(argv)}: exit 2, one line ({r.stderr.strip()!r})")


def test_bounds():
    t = [20.0, 30.0, 25.0, 35.0, 40.0, 15.0]  # the lecture's limits, as times
    check(stats.queue_makespan(t, 2) == 85.0, "queue in submission order on 2 workers")
    check(stats.block_makespan(t, 2) == 90.0, "static split on 2 workers")
    check(stats.block_makespan(t, 4) == 60.0, "static split on 4 workers (2,2,1,1 tasks)")
    check(stats.queue_makespan(t, 4) == 60.0, "queue on 4 workers")
    check(stats.queue_makespan([1.0] * 8, 2, chunk=3) == 5.0, "queue with chunks of 3")
    check(backends.pool_map_chunksize(8, 4) == 1 and backends.pool_map_chunksize(8, 1) == 2
          and backends.pool_map_chunksize(100, 4) == 7, "Pool.map's chunksize")
    check(stats.cyclic_makespan(t, 2) == 85.0, "round-robin split on 2 workers")
    rows = [("posix", {"start": "spawn"}, "primes", "posix-spawn"),
            ("python-mp", {"start": "spawn"}, "sum", "python-mp-spawn"),
            ("python-mp", {"start": "fork"}, "sum", "python-mp"),
            ("mpi", {"schedule": "dynamic"}, "primes", "mpi-dynamic"),
            ("mpi", {"schedule": "static"}, "primes", "mpi"), ("omp", {}, "resize", "omp")]
    check(all(backends.label({"backend": b, "params": p, "workload": w}) == lab
              for b, p, w, lab in rows), "each record's row from its backend and parameters")
    mpi = {"backend": "mpi", "workload": "primes", "workers": 3, "cores": 4, "task_s": t,
           "params": {"schedule": "dynamic"}}
    check(stats.bounds(mpi)[1:] == (85.0, "queue, 2 taking tasks"),
          f"mpi's dynamic queue: rank 0 hands out, 2 ranks compute {stats.bounds(mpi)}")
    rec = {"backend": "omp", "workload": "primes", "workers": 2, "cores": 2, "task_s": t,
           "params": {}}
    lower, bound, name = stats.bounds(rec)
    check(lower == 82.5 and bound == 85.0 and name == "queue", f"omp primes bound {bound}")
    rec.update(workers=4)
    lower, bound, _ = stats.bounds(rec)
    check(lower == 82.5 and bound == 82.5, "4 workers on 2 cores: bound by total / cores")


def test_sections():
    """Records of another kind get their registered section, or a line saying none is."""
    bench = {"kind": "bench", "experiment": "startup", "backend": "posix"}
    text = report.report_markdown([bench], {})
    check("1 records of kind `bench`: no report section" in text, "an unregistered kind is said")
    report.register_section("bench", "Micro-benchmarks",
                              lambda recs, ctx: f"{len(recs)} bench records")
    text = report.report_markdown([bench, dict(bench)], {})
    check("## Micro-benchmarks\n\n2 bench records" in text and "Other records" not in text,
          "a registered section reports its records")
    problems, _ = crosscheck.cross_check([bench])
    check(problems == [], "other kinds are not cross-checked as runs")


def one_line(r, needle):
    lines = r.stderr.strip().splitlines()
    return len(lines) == 1 and needle in lines[0]


def test_stdout(build):
    """Standard output on /dev/full: one line naming the error, exit 1, at every entry point
    that prints; a closed pipe: exit 1, no line."""
    exe = next(iter(built(build)), "omp")
    with tempfile.TemporaryDirectory() as tmp:
        small = [COMPARE, "--build", build, "--only", f"backend={exe},workload=sum", "--classes",
                 "S", "--workers", "1", "--reps", "1", "--python-classes", "none", "--quiet"]
        done = os.path.join(tmp, "done")
        run(small + ["--out", done])
        bench = os.path.join(tmp, "bench.jsonl")
        with open(bench, "w", encoding="utf-8") as f:
            subprocess.run([sys.executable, BENCH, "counter", "--count", "200", "--reps", "1",
                            "--workers", "1", "--format", "json"], stdout=f, timeout=120)
        cases = [("compare.py", [COMPARE, "--build", build, "--dry-run"]),
                 ("compare.py", [COMPARE, "--help"]),
                 ("compare.py", small + ["--out", os.path.join(tmp, "full")]),
                 ("compare.py", [COMPARE, "--records", done, "--out", os.path.join(tmp, "r")]),
                 ("bench_report.py", [REPORT, "--records", bench, "--out",
                                      os.path.join(tmp, "b")]),
                 ("bench_report.py", [REPORT, "--help"]),
                 ("py_baseline.py", [BASELINE, "sum", "--class", "S", "--reps", "1"]),
                 ("py_baseline.py", [BASELINE, "primes", "--class", "S", "--reps", "1",
                                     "--format", "json"]),
                 ("py_bench.py", [BENCH, "counter", "--count", "200", "--reps", "1",
                                  "--workers", "1"]),
                 ("py_bench.py", [BENCH, "--help"])]
        want = "write error on standard output: No space left on device"
        for prog, argv in cases:
            with open("/dev/full", "w", encoding="utf-8") as full:
                r = subprocess.run([sys.executable] + argv, stdout=full, stderr=subprocess.PIPE,
                                   text=True, timeout=300, cwd=ROOT)
            check(r.returncode == 1 and r.stderr.strip() == f"{prog}: {want}",
                  f"{' '.join(os.path.basename(a) for a in argv[:3])} >/dev/full: one line, "
                  f"exit 1 ({r.returncode}: {r.stderr.strip()[-300:]!r})")
        rd, wr = os.pipe()
        os.close(rd)
        r = subprocess.run([sys.executable, COMPARE, "--build", build, "--dry-run"], stdout=wr,
                           stderr=subprocess.PIPE, text=True, timeout=60, cwd=ROOT)
        os.close(wr)
        check(r.returncode == 1 and r.stderr == "",
              f"compare.py --dry-run into a closed pipe: exit 1, quiet ({r.stderr[-300:]!r})")


def processes():
    """(pid, parent pid, session) of every process."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        yield int(pid), int(fields[1]), int(fields[3])


def session_left(sid):
    """The processes still in session sid (a child started in a session of its own)."""
    return [pid for pid, _, session in processes() if session == sid]


def child_of(parent):
    return next((pid for pid, ppid, _ in processes() if ppid == parent), None)


def interrupt(build, out, sig, at_run):
    """Runs CLASS_A into out and sends sig once run at_run (1-based) is running. Returns
    (compare's result, the child's session, what was left in it)."""
    p = subprocess.Popen([sys.executable, COMPARE, "--build", build, "--out", out] + CLASS_A,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                         start_new_session=True)
    err = []
    for line in p.stderr:
        err.append(line)
        if re.match(rf"\[ *{at_run}/3 ", line):
            break
    child = None
    for _ in range(200):
        child = child_of(p.pid)
        if child:
            break
        time.sleep(0.02)
    os.killpg(p.pid, sig) if sig == signal.SIGINT else os.kill(p.pid, sig)  # as a terminal
    out_text, rest = p.communicate(timeout=120)
    left = session_left(child) if child else []
    for _ in range(50):
        if not left:
            break
        time.sleep(0.1)
        left = session_left(child)
    return subprocess.CompletedProcess(p.args, p.returncode, out_text, "".join(err) + rest), \
        child, left


def test_signals(build):
    """Each stop signal during a run: the child's group goes, what was done is written and
    says it was interrupted, the exit status is 128 + the signal."""
    if "posix" not in built(build):
        print("skip: gilfree-posix is not built")
        return
    with tempfile.TemporaryDirectory() as tmp:
        for sig, at_run in ((signal.SIGTERM, 2), (signal.SIGINT, 2), (signal.SIGHUP, 1)):
            name, out = sig.name, os.path.join(tmp, sig.name)
            r, child, left = interrupt(build, out, sig, at_run)
            said = f"interrupted by {name} after {at_run - 1} of 3 runs"
            check(r.returncode == 128 + sig, f"{name}: exit {128 + sig} ({r.returncode}: "
                  f"{r.stderr[-400:]!r})")
            check(child is not None and not left, f"{name}: the run's process group is gone "
                  f"(child {child}, left {left})")
            with open(os.path.join(out, "report.md"), encoding="utf-8") as f:
                report = f.read()
            check(said in report and said in r.stdout and said in r.stderr.splitlines()[-1],
                  f"{name}: '{said}' in report.md, on stdout and stderr")
            check(at_run == 1 or "sum, class A" in r.stdout, f"{name}: the runs done printed")
            again = run([COMPARE, "--records", out, "--out", out + "-again", "--quiet"])
            check(again.returncode == 1 and f"incomplete: {said}" in again.stdout,
                  f"{name}: --records on it says incomplete, exit 1 ({again.returncode}: "
                  f"{again.stdout[-300:]!r})")
            reuse = run([COMPARE, "--build", build, "--out", out] + CLASS_A)
            check(reuse.returncode == 2 and one_line(reuse, "did not finish") and
                  reuse.stdout == "", f"{name}: its folder refused as a new --out, saying why "
                  f"({reuse.stderr.strip()!r})")
        # killed without a word (SIGKILL): the plan says more runs than there are
        path = os.path.join(tmp, "SIGTERM", "records.jsonl")
        with open(path, encoding="utf-8") as f:
            lines = [x for x in f if '"kind":"interrupted"' not in x]
        with open(path, "w", encoding="utf-8") as f:
            f.writelines(lines)
        r = run([COMPARE, "--records", path, "--out", os.path.join(tmp, "killed"), "--quiet"])
        check(r.returncode == 1 and "incomplete: 1 of 3 runs" in r.stdout,
              f"records that stop short of their plan: incomplete, exit 1 ({r.stdout[-300:]!r})")


def has_timeout(exe):
    r = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=30)
    return "--timeout" in r.stdout + r.stderr


def test_timeout(build):
    """--timeout: a run past it is a named failure, the comparison goes on and ends, exit 1."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "py")
        r = run([COMPARE, "--build", build, "--timeout", "0.05", "--only",
                 "backend=python-threads", "--classes", "S", "--workers", "1,2", "--reps", "1",
                 "--out", out], timeout=120)
        check(r.returncode == 1 and r.stdout.count("timed out: no result within 0.05 s") == 6,
              f"Python runs past --timeout 0.05: six failures named, exit 1 ({r.returncode}: "
              f"{r.stdout[-600:]!r})")
        again = run([COMPARE, "--records", out, "--out", out + "-again", "--quiet"])
        check(again.returncode == 1 and "timed out" in again.stdout,
              "--records on it lists the runs that timed out, exit 1")
        r = run([COMPARE, "--build", build, "--dry-run", "--timeout", "2.5", "--classes", "S",
                 "--workers", "1"])
        lines = [x for x in r.stdout.splitlines() if not x.startswith("#")]
        check(lines and all(("--timeout 2.5" in x) != ("py_baseline.py" in x) for x in lines),
              "--dry-run: every binary gets --timeout 2.5, the Python runs do not")
        if "posix" not in built(build):
            print("skip: gilfree-posix is not built")
            return
        out = os.path.join(tmp, "posix")
        t0 = time.monotonic()
        r = run([COMPARE, "--build", build, "--timeout", "0.05", "--out", out, "--quiet"]
                + CLASS_A, timeout=120)
        took = time.monotonic() - t0
        failed = [x for x in r.stdout.splitlines() if x.startswith("posix ")]
        check(r.returncode == 1 and len(failed) == 3,
              f"class A with --timeout 0.05: exit 1, its three runs failed ({r.returncode}: "
              f"{r.stdout[-600:]!r}, {took:.1f} s)")
        exe = os.path.join(build, "bin", "gilfree-posix")
        if not has_timeout(exe):
            print(f"skip: {exe} --help has no --timeout yet, so the runs fail on the option "
                  "rather than time out; the 'timed out' check waits for it")
            return
        check(all("timed out (--timeout 0.05 s)" in x for x in failed),
              f"each failure says the run timed out: {failed}")


def test_outdir(build):
    """An output folder that cannot be made: one line, exit 2, nothing run or left."""
    with tempfile.TemporaryDirectory() as tmp:
        full = os.path.join(tmp, "full")
        os.mkdir(full)
        open(os.path.join(full, "x"), "w", encoding="utf-8").close()
        for out, why in (("/proc/gilfree-x", "No such file or directory"),
                         ("/dev/null/x", "Not a directory"),
                         (full, "exists and is not an empty folder")):
            for argv in ([REPORT, "--build", build, "--quick"],
                         [COMPARE, "--build", build, "--dry-run"]):
                r = run(argv + ["--out", out], timeout=120)
                check(r.returncode == 2 and one_line(r, f"'{out}': {why}") and r.stdout == "",
                      f"{os.path.basename(argv[0])} {argv[-1]} --out {out}: exit 2, one line "
                      f"({r.returncode}: {r.stderr.strip()[-300:]!r})")
            r = subprocess.run([MAIN_SH, "-o", out, "--classes", "S"], capture_output=True,
                               text=True, timeout=120)
            check(r.returncode == 2 and r.stdout == "" and one_line(r, out),
                  f"main.sh -o {out}: exit 2 before the lecture's examples ({r.returncode}: "
                  f"{r.stdout[:200]!r} {r.stderr.strip()[-300:]!r})")
        check(os.listdir(full) == ["x"], "a full --out is left alone")
        empty = os.path.join(tmp, "empty")
        os.mkdir(empty)
        open(os.path.join(empty, "records.jsonl"), "w", encoding="utf-8").close()
        r = run([COMPARE, "--build", build, "--dry-run", "--out", empty])
        check(r.returncode == 2 and one_line(r, "stopped before its first run"),
              f"a folder with an empty records.jsonl: refused, saying why ({r.stderr!r})")
        os.remove(os.path.join(empty, "records.jsonl"))
        os.rmdir(empty)
        deep = os.path.join(tmp, "new", "deeper", "out")
        r = run([COMPARE, "--build", build, "--dry-run", "--out", deep])
        check(r.returncode == 0 and os.listdir(tmp) == ["full"],
              f"--dry-run with a new --out leaves no folder ({os.listdir(tmp)})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--only", choices=["matrix", "mismatch", "bad", "python", "units",
                                       "experiments", "stdout", "signals", "timeout",
                                       "outdir", "order"])
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    tests = {"matrix": lambda: test_matrix(build), "mismatch": lambda: test_mismatch(build),
             "bad": lambda: test_bad(build), "python": test_python,
             "units": lambda: (test_bounds(), test_sections()),
             "experiments": lambda: test_experiments(build),
             "stdout": lambda: test_stdout(build), "signals": lambda: test_signals(build),
             "timeout": lambda: test_timeout(build), "outdir": lambda: test_outdir(build),
             "order": lambda: test_order(build)}
    for name, fn in tests.items():
        if args.only in (None, name):
            fn()
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
