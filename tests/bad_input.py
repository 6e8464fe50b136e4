#!/usr/bin/env python3
"""The bad input of docs/failures.md's table that tests/e2e.py's list does not already try, on
every built binary: sizes one past each limit, sizes whose product would exhaust memory,
numbers that overflow, empty values, the longest list accepted and one item more, the most
workers accepted, more workers than the machine lets a user start, a thread limit, output paths
the comparison script cannot write, and --reps auto's bad values.

A refused input must exit 2 with one line on stderr naming the bad value and print nothing.
Every run, refused or not, must leave no process behind (it runs in a session of its own,
searched afterwards) and no file in its TMPDIR.

  bad_input.py --binary omp=build/bin/gilfree-omp [--binary posix=...] [--mpiexec mpirun]
               [--compare scripts/compare.py --build build]
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import RANKS, add_binary_args, binaries, status  # noqa: E402
from checks import check as report  # noqa: E402,F401  faults.py takes it from here
from e2e import CannotLimit, nproc_limited  # noqa: E402  one way to limit processes



def session_members(sid):
    """Processes still in session sid (the run's own session), apart from zombies."""
    left = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[3]) == sid and fields[0] != "Z":
            left.append(int(pid))
    return left


def run(cmd, env_extra=None, timeout=240, wrap=None):
    """Runs cmd in its own session with an empty TMPDIR; returns (proc, leftovers)."""
    tmp = tempfile.mkdtemp(prefix="gf-bad-")
    os.chmod(tmp, 0o777)  # a run under another user (wrap) may write there too
    env = dict(os.environ, TMPDIR=tmp)
    env.update(env_extra or {})
    full = (wrap or []) + cmd
    proc = subprocess.Popen(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
    left = session_members(proc.pid)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    files = os.listdir(tmp)
    shutil.rmtree(tmp, ignore_errors=True)
    res = subprocess.CompletedProcess(full, proc.returncode, out, err)
    return res, left, files


class Binary:
    def __init__(self, backend, path, mpiexec, np_flag):
        self.backend, self.path = backend, path
        self.mpiexec, self.np_flag = mpiexec, np_flag

    def cmd(self, args, workers=2):
        if self.backend in RANKS:
            return [self.mpiexec, self.np_flag, str(workers), self.path] + args
        return [self.path] + args + ["--workers", str(workers)]


def refused(b, args, needle, what, workers=2):
    """args must be refused: exit 2, one line naming needle, nothing on stdout."""
    res, left, files = run(b.cmd(args, workers))
    lines = res.stderr.strip().splitlines()
    # mpirun adds its own lines after a rank's exit 2; gilfree's line is the first.
    one_line = len(lines) == 1 or (b.backend in RANKS and lines)
    report(res.returncode == 2 and one_line and lines and needle in lines[0]
           and not res.stdout.strip() and not left and not files,
           f"{b.backend}: {what} refused",
           f"exit {res.returncode}, stderr {res.stderr!r}, stdout {res.stdout[:200]!r}, "
           f"processes left {left}, files left {files}")


def verified(b, args, what, workers=2, env_extra=None, check=None):
    """args must run and verify, in json, leaving nothing behind."""
    res, left, files = run(b.cmd(args + ["--reps", "1", "--format", "json"], workers),
                           env_extra)
    try:
        rec = json.loads(res.stdout)
    except ValueError:
        rec = {}
    good = res.returncode == 0 and rec.get("verified") is True and not left and not files
    if good and check:
        good = check(rec)
    report(good, f"{b.backend}: {what} runs and verifies",
           f"exit {res.returncode}, stderr {res.stderr[-500:]!r}, stdout {res.stdout[:300]!r}, "
           f"processes left {left}, files left {files}")


def cannot_start(b, what):
    """More workers than the user may start (RLIMIT_NPROC): a run-time failure, exit 1, with
    a message on stderr, nothing on stdout and no process left behind. root is exempt from
    RLIMIT_NPROC, so as root the run is made as another uid (e2e.nproc_limited)."""
    try:
        with nproc_limited(b.path, 16) as (wrap, path, env):
            limited = Binary(b.backend, path, b.mpiexec, b.np_flag)
            res, left, files = run(limited.cmd(["sum", "--n", "1000", "--reps", "1"], 64), env,
                                   wrap=wrap)
    except CannotLimit as e:
        report(False, f"{b.backend}: {what}", str(e))
        return
    report(res.returncode == 1 and res.stderr.strip() and not res.stdout.strip() and not left
           and not files, f"{b.backend}: {what} fails cleanly",
           f"exit {res.returncode}, stderr {res.stderr[-500:]!r}, stdout {res.stdout[:200]!r}, "
           f"processes left {left}, files left {files}")


def check_binary(b):
    # The parser is shared: every row runs on every binary, but an MPI start costs seconds,
    # so gilfree-mpi (which must refuse on every rank and exit together) gets one of each kind.
    few = (lambda rows: rows[:2]) if b.backend in RANKS else (lambda rows: rows)
    # One past each limit: refused up front, before anything runs.
    past = [(["sum", "--workers", "1025"], "1025"),
            (["sum", "--reps", "100001"], "100001"),
            (["sum", "--n", "1000000000001"], "1000000000001"),
            (["primes", "--limits", "7,1000000001"], "1000000001"),
            (["resize", "--images", "1000001"], "1000001"),
            (["resize", "--width", "1000001"], "1000001"),
            (["resize", "--height", "1000001"], "1000001")]
    if b.backend == "posix":
        past.append((["primes", "--chunksize", "1000001"], "1000001"))
    for args, needle in few(past):
        refused(b, args, needle, f"size past its limit {' '.join(args)}")
    # Each size allowed, but together more samples than memory should hold.
    refused(b, ["resize", "--images", "1000000", "--reps", "100000", "--width", "10",
                "--height", "10"], "100000", "1000000 images times 100000 repetitions")
    refused(b, ["primes", "--limits", ",".join(["97"] * 1000), "--reps", "100000"], "100000",
            "1000 limits times 100000 repetitions")
    if b.backend not in RANKS:
        refused(b, ["sum", "--reps", "100000", "--n", "10"], "100000",
                "1024 workers times 100000 repetitions", workers=1024)
    # Numbers that overflow 64 bits, and empty values.
    for opt in few(["--workers", "--reps", "--n", "--images", "--width", "--height"]):
        refused(b, ["resize", opt, "9223372036854775808"], "9223372036854775808",
                f"{opt} past 2^63")
    refused(b, ["primes", "--limits", "18446744073709551617"], "18446744073709551617",
            "a limit past 2^64")
    for opt in few(["--workers", "--reps", "--n", "--class", "--format", "--limits", "--images"]):
        refused(b, ["primes", opt, ""], opt, f"empty {opt}")
    # --reps auto: a word that is not auto, targets of 0, below 0 and not a number, a cap that
    # is not a number of seconds, and a target or cap without auto.
    auto = [(["sum", "--reps", "auto2"], "'auto2'"),
            (["sum", "--reps", "auto", "--ci-target", "0"], "--ci-target '0'"),
            (["sum", "--reps", "auto", "--ci-target", "-1"], "--ci-target '-1'"),
            (["sum", "--reps", "auto", "--ci-target", "nan"], "--ci-target 'nan'"),
            (["sum", "--reps", "auto", "--reps-cap", "x"], "--reps-cap 'x'"),
            (["sum", "--ci-target", "5"], "--ci-target '5'"),
            (["sum", "--reps", "4", "--reps-cap", "10"], "--reps-cap '10'")]
    for args, needle in few(auto):
        refused(b, args, needle, " ".join(args))
    # Lists: empty, of empty items, one item more than the longest accepted.
    refused(b, ["primes", "--limits", ",,,"], ",,,", "a list of empty items")
    # Linux refuses one argument over 128 KiB (MAX_ARG_STRLEN) before any program starts, so
    # the parser's own limit (100000 items) is tried by test_options; here the longest list
    # a command line can carry must run.
    verified(b, ["primes", "--limits", ",".join(["97"] * 40000)], "a list of 40000 limits",
             check=lambda r: len(r["results"]) == 40000 and r["results"][0] == [97, 24])
    if b.backend not in RANKS:
        # The most workers accepted, far beyond 2 cores; and more than may be started.
        verified(b, ["sum", "--n", "1000"], "--workers 1024", workers=1024,
                 check=lambda r: len(r["results"]) == 1024)
        cannot_start(b, "--workers 64 with at most 16 processes per user")
    if b.backend == "omp":
        verified(b, ["sum", "--n", "1000"], "OMP_THREAD_LIMIT=2 with --workers 8", workers=8,
                 env_extra={"OMP_THREAD_LIMIT": "2"},
                 check=lambda r: len(r["results"]) == 8 and "team of 2" in r["notes"])


def check_compare(compare, build):
    """scripts/compare.py given an output folder it cannot create, or records it cannot read:
    exit 2 with one line naming the path, before it runs anything or creates anything."""
    base = [sys.executable, compare, "--build", build, "--classes", "S", "--workers", "1",
            "--reps", "1", "--python-classes", "none", "--quiet"]
    cases = [(["--out", "/proc/gilfree-results"], "/proc/gilfree-results",
              "an output folder that cannot be created (under /proc)"),
             (["--out", "/dev/null/results"], "/dev/null/results",
              "an output folder under a file")]
    for args, needle, what in cases:
        res, left, files = run(base + args, timeout=600)
        lines = res.stderr.strip().splitlines()
        report(res.returncode == 2 and len(lines) == 1 and needle in lines[0] and not left
               and not files, f"compare.py: {what} refused",
               f"exit {res.returncode}, stderr {res.stderr[-600:]!r}")


def main():
    ap = argparse.ArgumentParser()
    add_binary_args(ap)
    ap.add_argument("--compare", help="scripts/compare.py, to try its output paths")
    ap.add_argument("--build", help="the build folder compare.py reads")
    args = ap.parse_args()
    if args.compare:
        check_compare(args.compare, args.build)
    for name, path in binaries(args):
        check_binary(Binary(name, path, args.mpiexec, args.np_flag))
    return status()


if __name__ == "__main__":
    sys.exit(main())
