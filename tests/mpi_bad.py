#!/usr/bin/env python3
"""gilfree-mpi refuses bad input on every world size the same way, and never hangs.

For each world size and each bad command line of e2e.py (every one on the largest world, one
in four on the others, to keep the test short), plus a --workers that differs from the world
size, a bad --schedule and bad --timeout values: the job exits 2, prints nothing on stdout and exactly one line on stderr,
from rank 0, naming the bad value. --help and --version print once, from rank 0. Every run
has a timeout: a rank left waiting in a collective fails the test instead of hanging it.
Run with OMPI_MCA_orte_execute_quiet=1, so that mpirun adds no banner of its own to a
non-zero exit and the line count is the program's.

  mpi_bad.py --binary build/bin/gilfree-mpi --launcher 'mpiexec -n {workers}' [--workers 1,2,7]
"""
import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import status, verdicts  # noqa: E402
from e2e import BAD  # noqa: E402  the one list of bad command lines

# --timeout's bad values: not a number of seconds, not more than 0, past the limit
TIMEOUTS = ["abc", "0", "-1", "1e9", "", "2s", "1000001", "nan"]


def run(cmd):
    # Jobs run side by side here, and Open MPI 4's mpirun makes, and removes when it is empty,
    # one session directory per user and host in /tmp: a job ending while another starts can
    # pull it from under the other ("A call to mkdir was unable to create the desired
    # directory", open-mpi/ompi#8510). Each job gets a session directory base of its own.
    with tempfile.TemporaryDirectory(prefix="gf-ompi-") as tmp:
        env = dict(os.environ, OMPI_MCA_orte_tmpdir_base=tmp)
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
            return out.returncode, out.stdout, out.stderr
        except subprocess.TimeoutExpired:
            return "timeout", "", ""


# Lines of Open MPI's own runtime, not of the program: libevent inside mpirun's daemon warns
# when a rank's socket closes under it as the job ends on a loaded machine
# ("[warn] Epoll MOD(1) on fd 27 failed. ... Bad file descriptor").
RUNTIME_NOISE = re.compile(r"^\[warn\] Epoll ")


def check(case):
    """Returns None when the case behaves, else why not."""
    cmd, want_rc, needle, kind = case
    rc, out, err = run(cmd)
    lines = [x for x in err.strip().splitlines() if not RUNTIME_NOISE.match(x)]
    if rc != want_rc:
        return f"{cmd}: exit {rc}, stderr {err!r}"
    if kind == "bad":
        if out.strip():
            return f"{cmd}: printed {out!r}"
        if len(lines) != 1 or needle not in lines[0]:
            return f"{cmd}: want one line naming {needle!r}, got {err!r}"
    elif out.count(needle) != 1:
        return f"{cmd}: want {needle!r} once on stdout (rank 0 only), got {out!r}"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", required=True)
    ap.add_argument("--launcher", required=True, help="e.g. 'mpiexec -n {workers}'")
    ap.add_argument("--workers", default="1,2,3,4,7")
    ap.add_argument("--jobs", type=int, default=3, help="launches at a time")
    args = ap.parse_args()

    cases = []
    sizes = [int(w) for w in args.workers.split(",")]
    for workers in sizes:
        launch = shlex.split(args.launcher.format(workers=workers)) + [args.binary]
        every = 1 if workers == max(sizes) else 4
        for extra, needle in BAD[::every]:
            cases.append((launch + extra, 2, needle, "bad"))
        wrong = str(workers + 1)
        cases.append((launch + ["sum", "--workers", wrong], 2, f"'{wrong}'", "bad"))
        cases.append((launch + ["primes", "--schedule", "guided"], 2, "guided", "bad"))
        for bad in TIMEOUTS[::every]:
            cases.append((launch + ["sum", "--timeout", bad], 2, f"'{bad}'", "bad"))
        cases.append((launch + ["--help"], 0, "usage:", "once"))
        cases.append((launch + ["--version"], 0, "mpi backend", "once"))
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        verdicts(list(pool.map(check, cases)))
    return status()


if __name__ == "__main__":
    sys.exit(main())
