#!/usr/bin/env python3
"""Process hygiene of gilfree-posix, from the outside, with real signals.

This script makes itself a child subreaper (PR_SET_CHILD_SUBREAPER), so any process the binary
leaves behind (an orphan, or a zombie it never reaped) becomes this script's child and is
found. Checks, for both start methods:
  - after runs that succeed and runs that fail, no process is left;
  - a worker holds only fds 0-2 and its own two pipe ends (counted in /proc/PID/fd);
  - a sum or primes worker killed mid-run: the run fails (exit 1), naming the worker's pid
    and signal, without hanging;
  - a pool worker killed mid-run (resize): the run completes, verified, and says a worker
    was replaced;
  - SIGINT and SIGTERM during a run: exit 130 and 143, every child gone;
  - fork failing under prlimit --nproc (as an unprivileged uid, since root is exempt from
    RLIMIT_NPROC): a clear message, exit 1, the workers already started reaped;
  - the hidden worker mode refuses to run without its pipes (exit 2).

  posix_proc.py BINARY
"""
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import fail, failures, ok, passed  # noqa: E402  one way to count checks
from e2e import CannotLimit, nproc_limited  # noqa: E402  one way to limit processes


def children(pid):
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def alive(pid):
    """Whether pid runs still, rather than being a zombie waiting for this process."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def leftovers(what):
    """Every process the binary left is now ours: none may still run. One that is already
    on its way out is given 2 s to end (under AddressSanitizer a killed worker with its
    shadow memory can take that long to go) and reaped, and the count is said."""
    deadline = time.monotonic() + 2.0
    time.sleep(0.05)
    left = children(os.getpid())
    while left and any(alive(p) for p in left) and time.monotonic() < deadline:
        time.sleep(0.05)
        left = children(os.getpid())
    running = [p for p in left if alive(p)]
    for pid in running:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    for pid in left:
        try:
            os.waitpid(pid, 0)
        except OSError:
            pass
    if running:
        fail(f"{what}: processes left behind: {running}")
        return False
    if left:
        print(f"note: {what}: {len(left)} process(es) ended only after the binary", flush=True)
    return True


def start(binary, args):
    return subprocess.Popen([binary] + args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_children(proc, count, limit=120.0):
    """Waits until proc has count children (the parallel part has begun)."""
    end = time.monotonic() + limit
    while time.monotonic() < end and proc.poll() is None:
        kids = children(proc.pid)
        if len(kids) >= count:
            return kids
        time.sleep(0.005)
    return []


def kill_a_worker(proc, count):
    """SIGKILLs one of proc's current workers and returns its pid, or None if proc ends first.

    A worker seen a moment ago may have finished its task (each repetition of sum and
    primes starts new workers), so a vanished one is replaced by another current one."""
    while proc.poll() is None:
        kids = wait_children(proc, count)
        if not kids:
            return None
        try:
            os.kill(kids[0], signal.SIGKILL)
            return kids[0]
        except ProcessLookupError:
            continue
    return None


def finish(proc, what, limit=30):
    """Waits for proc; a run that does not end within limit seconds has hung."""
    try:
        out, err = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        fail(f"{what}: still running after {limit} s: hung")
        return None, out, err
    return proc.returncode, out, err


def check_fds(kids, what):
    """Each worker: 0, 1, 2 and two pipes, nothing else."""
    good = True
    for pid in kids:
        try:
            fds = sorted(int(fd) for fd in os.listdir(f"/proc/{pid}/fd"))
            kinds = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in fds if fd > 2]
        except OSError:
            continue  # it finished meanwhile
        if len(fds) != 5 or fds[:3] != [0, 1, 2] or not all(k.startswith("pipe:") for k in kinds):
            fail(f"{what}: worker {pid} holds fds {fds} ({kinds})")
            good = False
    if good:
        ok(f"{what}: each of {len(kids)} workers holds 0-2 and its two pipe ends")


LONG = {
    "sum": ["sum", "--n", "300000000", "--workers", "2", "--reps", "1"],
    "primes": ["primes", "--limits", "1500000,1500000,1500000,1500000", "--workers", "2",
               "--reps", "1"],
    "resize": ["resize", "--class", "W", "--workers", "2", "--reps", "3", "--format", "json"],
}


def check_success(binary):
    for method in ("fork", "spawn"):
        for workload in ("sum", "primes", "resize"):
            what = f"{workload} --start {method}"
            r = subprocess.run([binary, workload, "--workers", "3", "--reps", "2", "--start",
                                method], capture_output=True, text=True, timeout=120)
            if r.returncode != 0 or "Verification: SUCCESSFUL" not in r.stdout:
                fail(f"{what}: exit {r.returncode}: {r.stderr!r}")
            elif leftovers(what):
                ok(f"{what}: verified, no process left")


def run_and_kill(binary, args, what, limit):
    """Runs binary with args; once its workers run, checks their fds, SIGKILLs one of them and
    waits up to limit seconds. Returns (victim, exit status, stdout, stderr), or None after
    recording the failure."""
    proc = start(binary, args)
    kids = wait_children(proc, 2)
    if not kids:
        fail(f"{what}: no workers seen")
        finish(proc, what)
        return None
    time.sleep(0.1)
    check_fds(kids, what)
    victim = kill_a_worker(proc, 2)
    if victim is None:
        fail(f"{what}: the run ended before a worker could be killed")
        finish(proc, what)
        return None
    rc, out, err = finish(proc, what, limit)
    return None if rc is None else (victim, rc, out, err)


def check_crash(binary):
    for method in ("fork", "spawn"):
        for workload in ("sum", "primes"):
            what = f"kill a {workload} worker (--start {method})"
            ran = run_and_kill(binary, LONG[workload] + ["--start", method], what, 30)
            if ran is None:
                continue
            victim, rc, out, err = ran
            lines = err.strip().splitlines()
            if rc != 1 or "Verification" in out:
                fail(f"{what}: exit {rc}, stdout {out!r}, stderr {err!r}")
            elif not any(f"(pid {victim})" in l and "signal 9" in l and "worker" in l
                         for l in lines):
                fail(f"{what}: the message does not name worker pid {victim} and signal 9: "
                     f"{err!r}")
            elif leftovers(what):
                ok(f"{what}: exit 1, {lines[-1]!r}")


def check_pool_recovery(binary):
    for method in ("fork", "spawn"):
        what = f"kill a pool worker mid-run (--start {method})"
        ran = run_and_kill(binary, LONG["resize"] + ["--start", method], what, 120)
        if ran is None:
            continue
        victim, rc, out, err = ran
        try:
            rec = json.loads(out)
        except ValueError:
            fail(f"{what}: exit {rc}, stdout {out!r}, stderr {err!r}")
            continue
        if rc != 0 or not rec["verified"] or len(rec["results"]) != rec["params"]["images"]:
            fail(f"{what}: exit {rc}, verified {rec.get('verified')}")
        elif f"(pid {victim}) was killed by signal 9" not in err or \
                "replaced" not in rec["notes"]:
            fail(f"{what}: the replacement is not reported: {err!r} {rec['notes']!r}")
        elif leftovers(what):
            ok(f"{what}: completed and verified; {rec['notes']}")


def check_signals(binary):
    cases = [("primes", "fork", signal.SIGINT, 130), ("sum", "spawn", signal.SIGTERM, 143),
             ("resize", "spawn", signal.SIGINT, 130), ("resize", "fork", signal.SIGTERM, 143)]
    for workload, method, sig, code in cases:
        what = f"{signal.Signals(sig).name} during {workload} --start {method}"
        proc = start(binary, LONG[workload] + ["--start", method])
        kids = wait_children(proc, 2)
        if not kids:
            fail(f"{what}: no workers seen")
            finish(proc, what)
            continue
        time.sleep(0.1)
        proc.send_signal(sig)
        rc, out, err = finish(proc, what)
        if rc is None:
            continue
        alive = [k for k in kids if os.path.exists(f"/proc/{k}")]
        if rc != code:
            fail(f"{what}: exit {rc}, not {code}: {err!r}")
        elif alive:
            fail(f"{what}: workers {alive} still exist")
        elif leftovers(what):
            ok(f"{what}: exit {code}, workers terminated and reaped")


def check_fork_failure(binary):
    if os.geteuid() != 0 or not shutil.which("setpriv") or not shutil.which("prlimit"):
        # Root ignores RLIMIT_NPROC, and only root can become a fresh uid: nothing to test.
        print("skip fork failure: needs root, setpriv and prlimit", flush=True)
        return
    # --nproc=3: the binary and two workers; the third fork fails with EAGAIN.
    try:
        with nproc_limited(binary, 3) as (wrap, copy, extra):
            fork_failure_runs(wrap, copy, dict(os.environ, **extra))
    except CannotLimit as e:
        fail(f"fork failure: {e}")


def fork_failure_runs(wrap, binary, env):
    for workload, method in (("sum", "fork"), ("primes", "spawn"), ("resize", "fork"),
                             ("resize", "spawn")):
        what = f"fork failure in {workload} --start {method}"
        r = subprocess.run(wrap + [binary, workload, "--workers", "4", "--reps", "1", "--start",
                                   method], capture_output=True, text=True, timeout=120, env=env)
        lines = r.stderr.strip().splitlines()
        if r.returncode != 1 or not lines or \
                "cannot start worker 2: fork: Resource temporarily unavailable" not in lines[0]:
            fail(f"{what}: exit {r.returncode}, stderr {r.stderr!r}")
        elif leftovers(what):
            ok(f"{what}: exit 1, {lines[0]!r}, started workers reaped")


def check_worker_mode(binary):
    for args, needle in (([binary, "--gf-worker", "0"], "fds 3 and 4"),
                         ([binary, "--gf-worker", "x"], "'x'")):
        r = subprocess.run(args, capture_output=True, text=True, timeout=30,
                           stdin=subprocess.DEVNULL)
        if r.returncode != 2 or needle not in r.stderr or len(r.stderr.splitlines()) != 1:
            fail(f"{args[1:]}: exit {r.returncode}, stderr {r.stderr!r}")
        else:
            ok(f"{' '.join(args[1:])} outside a pool: exit 2")


def subreaper_main(checks):
    """Runs each check(binary) as a child subreaper, so that whatever a run leaves behind
    becomes this process's child and is found; prints the count and returns the status."""
    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        print(sys.modules["__main__"].__doc__)
        return 0 if len(sys.argv) == 2 else 2
    binary = sys.argv[1]
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
        print("cannot become a child subreaper", file=sys.stderr)
        return 1
    for check in checks:
        check(binary)
    print(f"{len(passed)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(subreaper_main([check_worker_mode, check_success, check_crash, check_pool_recovery,
                             check_signals, check_fork_failure]))
