#!/usr/bin/env python3
"""Failures and interruptions of gilfree-posix, from the outside, with real processes.

Like posix_proc.py, this script makes itself a child subreaper, so a process the binary leaves
behind becomes its child and is found. (Closed standard streams, /dev/full and a signal in the
sequential baseline are faults.py's, for every binary and start method.) Checks:
  - a stalled worker (SIGSTOP) in sum, primes and resize with --timeout: exit 1 with one line
    that names the stopped worker's pid, soon after the deadline, and no process left;
  - SIGTERM, SIGINT and SIGHUP to the parent while a worker is stopped: exit 143, 130, 129
    with "interrupted by SIG...", no process left;
  - --task-timeout: a stopped pool worker is killed and replaced, the run verifies and its
    notes say so;
No check asserts a time except generous bounds that a hang would break.

  posix_stall.py BINARY
"""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import fail, failures, ok, passed  # noqa: E402  one way to count checks
from posix_proc import (children, finish, leftovers, start, subreaper_main,  # noqa: E402
                        wait_children)

# Parallel parts long enough to stop a worker in (sum's workers live only while a repetition
# runs: about 0.2 s each here, quiet), after a baseline of about a second.
STALL = {
    "sum": ["sum", "--n", "500000000", "--workers", "2", "--reps", "2"],
    "primes": ["primes", "--limits", "300000,300000,300000,300000,300000,300000", "--workers",
               "2", "--reps", "2"],
    "resize": ["resize", "--class", "W", "--workers", "2", "--reps", "2"],
}
TIMEOUT = 6  # --timeout: the baselines above take about a second


def settled(pid):
    """A worker past its start: it holds fds 0-2 and its two pipe ends only."""
    try:
        return len(os.listdir(f"/proc/{pid}/fd")) == 5
    except OSError:
        return False


def stop_a_worker(proc):
    """SIGSTOPs one of proc's workers once it has started (stopped before, in the middle of
    fork, it would outlive its parent) and returns its pid, or None if proc ended first."""
    while proc.poll() is None:
        kids = [k for k in wait_children(proc, 1) if settled(k)]
        if not kids:
            time.sleep(0.005)
            continue
        time.sleep(0.05)  # time to write its ready record
        try:
            os.kill(kids[0], signal.SIGSTOP)
            return kids[0]
        except ProcessLookupError:
            continue
    return None


def end(proc, victim, what, limit):
    """finish(), and on a hang the stopped worker too, which may hold proc's pipes."""
    try:
        out, err = proc.communicate(timeout=limit)
        return proc.returncode, out, err
    except subprocess.TimeoutExpired:
        fail(f"{what}: still running after {limit} s: hung")
    for pid in (proc.pid, victim):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    proc.communicate()
    leftovers(what)
    return None, "", ""


def stalled_run(binary, args, what, sig=None):
    """Starts binary, stops a worker, sends sig to the parent if given; returns (victim, exit
    status, stderr lines, stdout, seconds from the stop to the end) or None after failing."""
    proc = start(binary, args)
    victim = stop_a_worker(proc)
    if victim is None:
        fail(f"{what}: the run ended before a worker could be stopped")
        finish(proc, what)
        return None
    stopped_at = time.monotonic()
    if sig is not None:
        time.sleep(0.3)
        proc.send_signal(sig)
    rc, out, err = end(proc, victim, what, 60)
    if rc is None:
        return None
    return victim, rc, err.strip().splitlines(), out, time.monotonic() - stopped_at


def check_timeout(binary):
    for workload, method in (("sum", "fork"), ("primes", "spawn"), ("resize", "fork"),
                             ("resize", "spawn")):
        what = f"stalled {workload} worker with --timeout {TIMEOUT} (--start {method})"
        ran = stalled_run(binary, STALL[workload] + ["--start", method, "--timeout",
                                                     str(TIMEOUT)], what)
        if ran is None:
            continue
        victim, rc, lines, out, took = ran
        head = f"gilfree-posix: --timeout {TIMEOUT} s passed in "
        if rc != 1 or len(lines) != 1 or not lines[0].startswith(head) or \
                f"(pid {victim})" not in lines[0] or "stopped" not in lines[0]:
            fail(f"{what}: exit {rc}, stderr {lines!r}")
        elif took > TIMEOUT + 20:
            fail(f"{what}: ended {took:.1f} s after the stop: the deadline was not kept")
        elif leftovers(what):
            ok(f"{what}: exit 1, {lines[0]!r}")


def check_signals(binary):
    cases = [("sum", "fork", signal.SIGTERM), ("primes", "spawn", signal.SIGINT),
             ("resize", "fork", signal.SIGHUP), ("resize", "spawn", signal.SIGINT),
             ("sum", "spawn", signal.SIGHUP), ("primes", "fork", signal.SIGTERM)]
    for workload, method, sig in cases:
        name = signal.Signals(sig).name
        what = f"{name} with a stopped {workload} worker (--start {method})"
        ran = stalled_run(binary, STALL[workload] + ["--start", method], what, sig)
        if ran is None:
            continue
        victim, rc, lines, out, took = ran
        if rc != 128 + sig or lines != [f"gilfree-posix: interrupted by {name}"]:
            fail(f"{what}: exit {rc}, stderr {lines!r}")
        elif os.path.exists(f"/proc/{victim}") and victim in children(os.getpid()):
            fail(f"{what}: the stopped worker {victim} is left")
        elif leftovers(what):
            ok(f"{what}: exit {rc}, {lines[0]!r}")


def check_task_timeout(binary):
    for method in ("fork", "spawn"):
        what = f"--task-timeout 2 with a stopped pool worker (--start {method})"
        args = STALL["resize"] + ["--start", method, "--task-timeout", "2", "--format", "json"]
        ran = stalled_run(binary, args, what)
        if ran is None:
            continue
        victim, rc, lines, out, took = ran
        try:
            rec = json.loads(out)
        except ValueError:
            fail(f"{what}: exit {rc}, stdout {out!r}, stderr {lines!r}")
            continue
        note = rec.get("notes", "")
        if rc != 0 or not rec["verified"]:
            fail(f"{what}: exit {rc}, verified {rec.get('verified')}, stderr {lines!r}")
        elif f"(pid {victim}) held task" not in note or "killed and replaced" not in note:
            fail(f"{what}: the notes do not say it: {note!r}, stderr {lines!r}")
        elif leftovers(what):
            ok(f"{what}: verified; {note}")


if __name__ == "__main__":
    sys.exit(subreaper_main([check_timeout, check_signals, check_task_timeout]))
