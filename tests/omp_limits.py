#!/usr/bin/env python3
"""gilfree-omp speaks for libgomp: an OMP_* setting libgomp cannot use is refused in one line
of gilfree's (exit 2, nothing run), and a team whose threads cannot start (a process limit,
a memory limit) ends the run with one line (exit 1), not with libgomp's blank line and
"Thread creation failed".

  omp_limits.py BINARY
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, status  # noqa: E402

# The variables libgomp reads and may refuse (libgomp.so's strings), each with a bad value.
BAD = ["OMP_SCHEDULE", "OMP_PROC_BIND", "OMP_PLACES", "OMP_DYNAMIC", "OMP_STACKSIZE",
       "OMP_WAIT_POLICY", "OMP_THREAD_LIMIT", "GOMP_SPINCOUNT", "OMP_MAX_ACTIVE_LEVELS",
       "GOMP_CPU_AFFINITY", "OMP_DISPLAY_ENV", "OMP_NESTED", "GOMP_STACKSIZE"]


def run(cmd, env=None):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OMP_", "GOMP_"))}
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                         env={**base, **(env or {})}, stdin=subprocess.DEVNULL)
    return out.returncode, out.stdout, out.stderr


def one_line(err, start):
    return err.count("\n") == 1 and err.startswith(start)


def main():
    binary = os.path.abspath(sys.argv[1])
    args = [binary, "sum", "--reps", "1", "--workers", "2"]
    for var in BAD:
        rc, out, err = run(args, {var: "garbage"})
        check(rc == 2 and not out and one_line(err, f"gilfree-omp: invalid {var} 'garbage'"),
              f"{var}=garbage refused in one line", f"exit {rc}, stderr {err!r}")
    good = {"OMP_PLACES": "cores", "OMP_PROC_BIND": "close", "OMP_SCHEDULE": "dynamic,2",
            "OMP_WAIT_POLICY": "passive", "OMP_STACKSIZE": "4M"}
    rc, out, err = run(args, good)
    check(rc == 0 and not err, f"good settings run: {good}", f"exit {rc}, stderr {err!r}")
    rc, out, err = run(args, {"OMP_DISPLAY_ENV": "true"})
    check(rc == 0 and "OPENMP DISPLAY ENVIRONMENT BEGIN" in err,
          "OMP_DISPLAY_ENV=true: libgomp's table is passed on", f"exit {rc}, {err[:200]!r}")

    team = [binary, "sum", "--reps", "1", "--workers", "8"]
    want = "gilfree-omp: cannot start a team of 8 threads"
    with open(binary, "rb") as f:
        asan = b"__asan_init" in f.read()
    if asan:
        print("skip --as: the sanitizers' shadow memory needs the address space")
    else:
        rc, out, err = run(["prlimit", "--as=60000000"] + team)
        check(rc == 1 and one_line(err, want), "a memory limit (prlimit --as): one line, exit 1",
              f"exit {rc}, stderr {err!r}")
    # RLIMIT_NPROC binds an unprivileged user only: the binary is copied where nobody reads it
    drop = shutil.which("runuser") or shutil.which("setpriv")
    if os.geteuid() != 0 or not drop:
        rc, out, err = run(["prlimit", "--nproc=1"] + team)
        check(os.geteuid() == 0 or (rc == 1 and one_line(err, want)),
              "a process limit: one line, exit 1", f"exit {rc}, stderr {err!r}")
        return status()
    with tempfile.TemporaryDirectory(prefix="gf-omp-limits-") as tmp:
        os.chmod(tmp, 0o755)
        copy = os.path.join(tmp, "gilfree-omp")
        shutil.copy(binary, copy)
        os.chmod(copy, 0o755)
        user = ["runuser", "-u", "nobody", "--"] if drop.endswith("runuser") else \
            ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        rc, out, err = run(user + ["prlimit", "--nproc=3", copy] + team[1:])
        check(rc == 1 and one_line(err, want), "a process limit (prlimit --nproc=3, nobody): "
              "one line, exit 1", f"exit {rc}, stderr {err!r}")
    return status()


if __name__ == "__main__":
    sys.exit(main())
