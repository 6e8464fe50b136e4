#!/usr/bin/env python3
"""End-to-end checks of one gilfree binary, the same for every backend.

For each workload, worker count and class: the run exits 0, prints
"Verification: SUCCESSFUL", and its results equal values computed here independently
(closed forms, a sieve, Python's own float sums, which are IEEE doubles added in the same
order and so must match the C totals bit for bit). The json record parses and has every
key. Bad input exits 2 with one line on stderr naming the bad value, and prints nothing.

  e2e.py --binary build/bin/gilfree-omp --backend omp [--workers 1,2,4,7] [--classes S,W]
         [--launcher 'mpirun -np {workers}'] [--extra '--start spawn'] [--only results|bad]
         [--workloads sum,primes,resize] [--threads T]

With --threads T (ranks of threads), each count of --workers is the launcher's ranks, the
binary gets --threads T, and the run has ranks x T workers.
"""
import argparse
import contextlib
import json
import math
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

JSON_KEYS = ["backend", "workload", "class", "workers", "params", "results", "verified",
             "seq_s", "par_s", "speedup", "phases", "reps"]
failures = []
passed = []


def ok(msg):
    passed.append(msg)
    print("ok " + msg, flush=True)


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, flush=True)


def primes_below(limits):
    """Prime counts below each limit, by one sieve up to the largest."""
    top = max(limits)
    sieve = bytearray([1]) * max(top, 2)
    sieve[0:2] = b"\0\0"
    for i in range(2, math.isqrt(max(top - 1, 0)) + 1):
        if sieve[i]:
            sieve[i * i::i] = bytearray(len(range(i * i, top, i)))
    counts, prefix = {}, 0
    marks = sorted(set(limits))
    j = 0
    for n in range(top + 1):
        while j < len(marks) and marks[j] == n:
            counts[n] = prefix
            j += 1
        if n < top and sieve[n]:
            prefix += 1
    return counts


_resize_cache = {}


def resize_total(width, height):
    key = (width, height)
    if key not in _resize_cache:
        total = 0.0
        for p in range(width * height // 100):
            total += math.sqrt(p + 1)
        _resize_cache[key] = total
    return _resize_cache[key]


def expected(record):
    """The results a record should hold, from its own params, computed independently."""
    params, workload = record["params"], record["workload"]
    if workload == "sum":
        n = params["n"]
        return [[w, (w + 1) * n * (n - 1) // 2] for w in range(record["workers"])]
    if workload == "primes":
        counts = primes_below(params["limits"])
        return sorted([lim, counts[lim]] for lim in params["limits"])
    w, h = params["width"], params["height"]
    return [[i, w // 2, h // 2, resize_total(w, h)] for i in range(params["images"])]


def command(args, workers, extra):
    cmd = []
    if args.launcher:
        cmd += shlex.split(args.launcher.format(workers=workers))
    cmd.append(args.binary)
    cmd += extra
    if not args.launcher:
        cmd += ["--workers", str(workers)]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    return cmd + shlex.split(args.extra)


def worker_count(args, workers):
    """The run's workers: the launcher's ranks times --threads, where there are threads."""
    return workers * (args.threads or 1)


def run(cmd, timeout=120):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def check_results(args):
    lecture = {
        "sum": [[0, 1999999000000], [1, 3999998000000], [2, 5999997000000], [3, 7999996000000]],
        "primes": [[15000, 1754], [20000, 2262], [25000, 2762], [30000, 3245], [35000, 3732],
                   [40000, 4203]],
    }
    for cls in args.classes.split(","):
        for workers in [int(w) for w in args.workers.split(",")]:
            for workload in args.workloads.split(","):
                what = f"{workload} class {cls} workers {workers}" + \
                    (f" x {args.threads} threads" if args.threads else "")
                base = [workload, "--class", cls, "--reps", "2"]
                text = run(command(args, workers, base))
                if text.returncode != 0 or "Verification: SUCCESSFUL" not in text.stdout:
                    fail(f"{what}: exit {text.returncode}, stdout {text.stdout!r}, "
                         f"stderr {text.stderr!r}")
                    continue
                out = run(command(args, workers, base + ["--format", "json"]))
                lines = [l for l in out.stdout.splitlines() if l.strip()]
                if out.returncode != 0 or len(lines) != 1:
                    fail(f"{what} json: exit {out.returncode}, {len(lines)} lines")
                    continue
                try:
                    rec = json.loads(lines[0])
                except ValueError as e:
                    fail(f"{what} json does not parse: {e}: {lines[0]!r}")
                    continue
                missing = [k for k in JSON_KEYS if k not in rec]
                if missing:
                    fail(f"{what} json lacks {missing}")
                    continue
                if rec["backend"] != args.backend or \
                        rec["workers"] != worker_count(args, workers) or \
                        rec["workload"] != workload or rec["class"] != cls or not rec["verified"]:
                    fail(f"{what} json header wrong: {lines[0]}")
                want = expected(rec)
                if rec["results"] != want:
                    fail(f"{what}: results {rec['results']} != expected {want}")
                if cls == "S" and workload in lecture and worker_count(args, workers) == 4 and \
                        rec["results"] != lecture[workload]:
                    fail(f"{what}: not the lecture's results")
                if cls == "S" and workload == "resize" and \
                        "Sample result: (0, 960, 540, 1990727.79)" not in text.stdout:
                    fail(f"{what}: no lecture sample result in {text.stdout!r}")
                ok(f"{what}")


def check_schema2(args):
    """Schema 2: every sample in repetition order beside its summary, the order asked for,
    and where the workers ran."""
    workload = args.workloads.split(",")[0]
    for order in ("blocked", "interleaved"):
        what = f"schema 2, --order {order}"
        out = run(command(args, 2, [workload, "--reps", "3", "--format", "json",
                                    "--order", order]))
        try:
            rec = json.loads(out.stdout)
        except ValueError:
            fail(f"{what}: exit {out.returncode}, stdout {out.stdout!r} stderr {out.stderr!r}")
            continue
        samples, topo = rec.get("samples", {}), rec.get("topology", {})
        series = [("seq_s", rec["seq_s"], samples.get("seq_s")),
                  ("par_s", rec["par_s"], samples.get("par_s"))]
        series += [(k, v, samples.get("phases", {}).get(k)) for k, v in rec["phases"].items()]
        # three samples: the median is one of them, so each summary is exactly theirs
        bad = [k for k, stats, got in series if not isinstance(got, list) or len(got) != 3 or
               [min(got), sorted(got)[1], max(got)] !=
               [stats["min"], stats["median"], stats["max"]]]
        threads = 2 if args.backend == "omp" else args.threads or 1
        want_topo = {"hosts": 1, "ranks": 2 if args.backend in ("mpi", "hybrid") else 1,
                     "threads": threads, "cores": rec["cores"], "where": "local"}
        if rec.get("schema") != 2 or rec.get("order") != order or not rec["verified"]:
            fail(f"{what}: schema {rec.get('schema')}, order {rec.get('order')}, "
                 f"verified {rec['verified']}")
        elif bad or set(samples.get("phases", {})) != set(rec["phases"]):
            fail(f"{what}: samples disagree with their summaries for {bad}: {out.stdout}")
        elif topo != want_topo:
            fail(f"{what}: topology {topo}, expected {want_topo}")
        else:
            ok(what)


def check_overrides(args):
    """Parameters other than the classes' give correct results too."""
    cases = [["sum", "--n", "12345"], ["sum", "--n", "1"],
             ["primes", "--limits", "1,2,3,100000,97,10"],
             ["resize", "--images", "3", "--width", "640", "--height", "481"],
             ["resize", "--images", "1", "--width", "9", "--height", "9"]]
    for extra in cases:
        if extra[0] not in args.workloads.split(","):
            continue
        out = run(command(args, 2, extra + ["--reps", "1", "--format", "json"]))
        try:
            rec = json.loads(out.stdout)
        except ValueError:
            fail(f"{extra}: exit {out.returncode}, stdout {out.stdout!r} stderr {out.stderr!r}")
            continue
        if rec["results"] != expected(rec) or not rec["verified"]:
            fail(f"{extra}: results {rec['results']} != {expected(rec)}")
        else:
            ok(f"override {' '.join(extra)}")


class CannotLimit(Exception):
    """What nproc_limited lacks to limit a user's processes here."""


def free_uid():
    """A uid that owns no process, so that RLIMIT_NPROC counts only ours."""
    used = set()
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                used.add(os.stat(f"/proc/{d}").st_uid)
            except OSError:
                pass
    for uid in range(54321, 54400):
        if uid not in used:
            return uid
    return None


@contextlib.contextmanager
def nproc_limited(binary, nproc):
    """Runs of binary whose user may have at most nproc processes (RLIMIT_NPROC), for the
    checks of a fork that fails: yields (wrap, binary, env), the command line's prefix, the
    binary to start and the environment's additions. root is exempt from RLIMIT_NPROC, so as
    root the runs are made as a uid that owns no process (one that did would count against
    the limit), from a copy of the binary in a directory that uid can enter (the build tree
    may not be reachable by it: a home directory of mode 700). Raises CannotLimit, naming
    what is missing, where this cannot be done.

    LeakSanitizer checks at exit from a thread of its own, which the limit forbids too: a
    process leaving while its siblings live would print LeakSanitizer's own fatal error
    instead. Under AddressSanitizer these runs therefore go without the leak check (every
    other run of the sanitizer build keeps it)."""
    prlimit = shutil.which("prlimit")
    if not prlimit:
        raise CannotLimit("prlimit not found")
    wrap = [prlimit, f"--nproc={nproc}", "--"]
    env = {}
    if "ASAN_OPTIONS" in os.environ:
        env["ASAN_OPTIONS"] = os.environ["ASAN_OPTIONS"] + ":detect_leaks=0"
    if os.geteuid() != 0:
        yield wrap, binary, env
        return
    setpriv, uid = shutil.which("setpriv"), free_uid()
    if not setpriv:
        raise CannotLimit("setpriv not found")
    if uid is None:
        raise CannotLimit("no free uid in 54321-54399")
    tmp = tempfile.mkdtemp(prefix="gf-nproc-")
    try:
        os.chmod(tmp, 0o755)
        copy = os.path.join(tmp, os.path.basename(binary))
        shutil.copy2(binary, copy)
        yield [setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups"] + wrap, copy, env
    finally:
        shutil.rmtree(tmp)


BAD = [
    (["sum", "--workers", "abc"], "abc"),
    (["sum", "--workers", "0"], "0"),
    (["sum", "--workers", "-3"], "-3"),
    (["sum", "--workers", "99999999999999999999999"], "99999999999999999999999"),
    (["sum", "--workers", "4x"], "4x"),
    (["sum", "--workers", ""], "--workers"),
    (["sum", "--reps", "0"], "0"),
    (["sum", "--n", "1e6"], "1e6"),
    (["sum", "--n", "-1"], "-1"),
    (["sum", "--n", "10000000000000"], "10000000000000"),
    (["primes", "--limits", ""], "--limits"),
    (["primes", "--limits", "10,,20"], "10,,20"),
    (["primes", "--limits", "10,x"], "x"),
    (["primes", "--limits", "10,"], "10,"),
    (["primes", "--limits", "5000000000"], "5000000000"),
    (["resize", "--images", "0"], "0"),
    (["resize", "--width", "2.5"], "2.5"),
    (["resize", "--height", "10000001"], "10000001"),
    (["sum", "--class", "Q"], "Q"),
    (["sum", "--format", "xml"], "xml"),
    (["sum", "--bogus"], "--bogus"),
    (["sum", "--workers"], "--workers"),
    (["fft"], "fft"),
    ([], "workload"),
    (["sum", "primes"], "primes"),
    (["sum", "--order", "random"], "random"),
]


def check_bad_input(args):
    bad = [] if args.bad_extra_only else list(BAD)
    bad += [(b.split(), b.split()[-1]) for b in args.bad_extra]
    for extra, needle in bad:
        cmd = command(args, 2, extra)
        if not extra and not args.launcher:
            cmd = cmd[:1]  # no workload at all
        out = run(cmd, timeout=60)
        lines = out.stderr.strip().splitlines()
        if out.returncode != 2:
            fail(f"bad input {extra}: exit {out.returncode}, stderr {out.stderr!r}")
        elif needle not in out.stderr:
            fail(f"bad input {extra}: message does not name {needle!r}: {out.stderr!r}")
        elif len(lines) != 1 and not args.launcher:
            fail(f"bad input {extra}: {len(lines)} lines on stderr: {out.stderr!r}")
        elif out.stdout.strip():
            fail(f"bad input {extra}: printed {out.stdout!r}")
        else:
            ok(f"bad input {extra}")
    for flag in ("--help", "--version"):
        out = run([args.binary, flag])
        if out.returncode != 0 or not out.stdout:
            fail(f"{flag}: exit {out.returncode}")
        else:
            ok(f"{flag}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--backend", required=True)
    ap.add_argument("--workers", default="1,2,4,7")
    ap.add_argument("--classes", default="S,W")
    ap.add_argument("--launcher", default="")
    ap.add_argument("--threads", type=int, default=0,
                    help="ranks of threads: T threads per rank (the binary's --threads)")
    ap.add_argument("--extra", default="")
    ap.add_argument("--bad-extra", action="append", default=[],
                    help="another bad command line, whose last word the message must name")
    ap.add_argument("--bad-extra-only", action="store_true",
                    help="the --bad-extra lines alone, not the common list (a binary whose "
                    "common options another test already tries through the same code)")
    ap.add_argument("--workloads", default="sum,primes,resize",
                    help="the workloads whose results to check")
    ap.add_argument("--only", choices=["results", "bad", "all"], default="all")
    args = ap.parse_args()
    # The sanitizer build runs class S only (tests/hardening.cmake says why).
    args.classes = os.environ.get("GF_E2E_CLASSES", args.classes)
    if args.only in ("results", "all"):
        check_results(args)
        check_schema2(args)
        check_overrides(args)
    if args.only in ("bad", "all"):
        check_bad_input(args)
    print(f"{len(passed)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
