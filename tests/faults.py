#!/usr/bin/env python3
"""How every built binary behaves with odd standard streams, a deadline and signals, tried as
a user would from a shell:

- standard descriptors closed (`<&-`, `>&-`, `2>&-` and their combinations): never a hang;
  with stdout closed the run fails (exit 1, "write error on standard output"), otherwise it
  verifies;
- stdout on /dev/full, for every format, --help, --version and a benchmark: exit 1 with one
  line, never a silent 0;
- --timeout shorter than the run: exit 1 with one line that says where the run was;
- SIGINT, SIGTERM and SIGHUP during the sequential baseline: exit 128 + signal, one line.

Each run is in a session of its own, and no process may be left in it afterwards
(bad_input.run). gilfree-mpi is tried through mpirun where the stream is the rank's own.

  faults.py --binary omp=build/bin/gilfree-omp [--binary posix=...] [--binary mpi=...]
            [--mpiexec mpirun] [--np-flag -np]
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bad_input import Binary, report, run, session_members  # noqa: E402  one way to run
from checks import NO_BENCH, RANKS, add_binary_args, binaries, status  # noqa: E402

REDIRECTS = ["<&-", ">&-", "2>&-", "<&- >&-", "<&- 2>&-", ">&- 2>&-", "<&- >&- 2>&-"]
WRITE_ERROR = "write error on standard output"


def shell(redirect):
    """A wrapper that runs its arguments with redirect applied, as a shell user would."""
    return ["sh", "-c", f'exec "$@" {redirect}', "sh"]


class Started(Binary):
    """gilfree-posix with its workers started by a given method (--start spawn)."""

    def __init__(self, binary, start):
        super().__init__(f"{binary.backend} --start {start}", binary.path, None, None)
        self.start = start

    def cmd(self, args, workers=2):
        start = [] if args[0] == "bench" else ["--start", self.start]
        return [self.path] + args + ["--workers", str(workers)] + start


class Singleton(Binary):
    """gilfree-mpi started without mpirun: a world of one rank."""

    def cmd(self, args, workers=1):
        return [self.path] + args


def run_here(b, args, **kw):
    """bad_input.run, less the session folder ompi.<host>.<uid> that Open MPI's singleton
    daemon removes after the rank has exited: about one run in twelve here lists it before
    it is gone, whatever the streams."""
    res, left, files = run(b.cmd(args), **kw)
    if isinstance(b, Singleton):
        files = [f for f in files if not f.startswith("ompi.")]
    return res, left, files


def check_closed(b):
    for workload in ("sum", "primes", "resize"):
        for redirect in REDIRECTS:
            res, left, files = run_here(b, [workload, "--reps", "1"], wrap=shell(redirect),
                                        timeout=60)
            closed = redirect.split()
            lines = res.stderr.strip().splitlines()
            if ">&-" in closed and "2>&-" not in closed:
                good = res.returncode == 1 and len(lines) == 1 and WRITE_ERROR in lines[0]
            elif ">&-" in closed:
                good = res.returncode == 1
            else:
                good = res.returncode == 0 and "Verification: SUCCESSFUL" in res.stdout
            report(good and not left and not files, f"{b.backend}: {workload} {redirect}",
                   f"exit {res.returncode}, stderr {res.stderr[-300:]!r}, "
                   f"stdout {res.stdout[-200:]!r}, left {left}")


def check_full(b):
    cases = [["primes", "--reps", "1", "--format", f] for f in ("text", "json", "csv")]
    cases += [["sum", "--help"], ["resize", "--version"]]
    if b.backend not in NO_BENCH:
        cases += [["bench", "startup", "--reps", "1"]]
    for args in cases:
        res, left, files = run_here(b, args, wrap=shell(">/dev/full"), timeout=120)
        lines = res.stderr.strip().splitlines()
        report(res.returncode == 1 and len(lines) == 1 and WRITE_ERROR in lines[0]
               and not left and not files, f"{b.backend}: {' '.join(args)} >/dev/full",
               f"exit {res.returncode}, stderr {res.stderr[-300:]!r}, left {left}")


def timed(b, args):
    """Runs args; returns (result, processes left, files left, seconds it took)."""
    t0 = time.monotonic()
    res, left, files = run(b.cmd(args), timeout=120)
    return res, left, files, time.monotonic() - t0


def check_timeout(b):
    """A deadline in the sequential baseline, and one in the parallel repetitions: placed
    from this machine's own times, measured first (the baseline runs reps + 1 passes, then the
    parallel part as many), with one more try should noise move the phases."""
    cases = [(["sum", "--class", "A", "--timeout", "0.2"], ("sequential baseline",))]
    probe, _, _, _ = timed(b, ["primes", "--class", "W", "--reps", "19", "--format", "json"])
    try:
        rec = json.loads(probe.stdout)
        seq, par = 20 * rec["seq_s"]["median"], 20 * rec["par_s"]["median"]
    except (ValueError, KeyError):
        report(False, f"{b.backend}: the timing probe ran", f"stderr {probe.stderr[-300:]!r}")
        return
    cases.append((["primes", "--class", "W", "--reps", "19", "--timeout",
                   f"{seq + par / 2:.3f}"], ("repetition", "warm-up")))
    for args, where in cases:
        for _ in range(2):
            res, left, files, took = timed(b, args)
            lines = res.stderr.strip().splitlines()
            if lines and any(w in lines[0] for w in where):
                break
        report(res.returncode == 1 and len(lines) == 1 and "--timeout" in lines[0]
               and any(w in lines[0] for w in where) and not res.stdout and not left
               and took < 60, f"{b.backend}: {' '.join(args)} stops in the {where[0]}",
               f"exit {res.returncode} after {took:.1f} s, stderr {res.stderr[-400:]!r}, "
               f"left {left}")


def check_signals(b):
    """A signal while the sequential baseline runs (no worker started yet)."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        proc = subprocess.Popen(b.cmd(["sum", "--class", "A", "--reps", "3"]),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        time.sleep(0.5)
        os.kill(proc.pid, sig)
        try:
            out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
        left = session_members(proc.pid)
        name = signal.Signals(sig).name
        report(proc.returncode == 128 + sig and err.strip() == f"gilfree-{b.backend}: "
               f"interrupted by {name}" and not left,
               f"{b.backend}: {name} in the baseline says so",
               f"exit {proc.returncode}, stderr {err!r}, left {left}")


def main():
    ap = argparse.ArgumentParser()
    add_binary_args(ap)
    args = ap.parse_args()
    for name, path in binaries(args):
        b = Binary(name, path, args.mpiexec, args.np_flag)
        if b.backend in RANKS:
            # Under mpirun the streams are mpirun's, not the rank's (docs/failures.md, "Failures and
            # interruptions"): the rank's own handling is tried as a singleton, one rank
            # without mpirun. Its timeouts and signals are mpi_faults'.
            b = Singleton(b.backend, path, None, None)
            check_closed(b)
            check_full(b)
            continue
        check_closed(b)
        check_full(b)
        check_timeout(b)
        check_signals(b)
        if b.backend == "posix":  # a spawned worker is a fresh image with the fds it is given
            spawn = Started(b, "spawn")
            check_closed(spawn)
            check_full(spawn)
    return status()


if __name__ == "__main__":
    sys.exit(main())
