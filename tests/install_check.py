#!/usr/bin/env python3
"""`cmake --install BUILD --prefix DIR`: the binaries in DIR/bin and the scripts in
DIR/share/gilfree/scripts, which run from there and find the installed binaries by themselves:
the binaries' --version, compare.py running a small comparison of the installed gilfree-omp
(and the MPI rows through mpirun where gilfree-mpi is built) without --build, and
vcluster.py's --help. Nothing of the source tree is needed at run time.

  install_check.py --build build
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, status  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    a = ap.parse_args()
    built = [b for b in ("omp", "posix", "mpi", "hybrid")
             if os.access(os.path.join(a.build, "bin", f"gilfree-{b}"), os.X_OK)]
    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, "prefix with space")
        r = subprocess.run(["cmake", "--install", a.build, "--prefix", prefix],
                           capture_output=True, text=True)
        if not check(r.returncode == 0, "cmake --install: exit 0", r.stdout + r.stderr):
            return 1
        for b in built:
            exe = os.path.join(prefix, "bin", f"gilfree-{b}")
            v = subprocess.run([exe, "--version"], capture_output=True, text=True)
            check(v.returncode == 0 and f"({b} backend)" in v.stdout,
                  f"installed gilfree-{b} --version: {v.stdout.strip()}")
        # the simulated build's binary, where it is built: smpirun runs it, not a shell
        if os.path.exists(os.path.join(a.build, "bin", "gilfree-mpi-sim")):
            check(os.access(os.path.join(prefix, "bin", "gilfree-mpi-sim"), os.X_OK),
                  "gilfree-mpi-sim installed beside the others")
        scripts = os.path.join(prefix, "share", "gilfree", "scripts")
        for s in ("compare.py", "vcluster.py", "py_baseline.py", "py_bench.py",
                  "bench_report.py"):
            check(os.access(os.path.join(scripts, s), os.X_OK), f"installed {s}, executable")
        h = subprocess.run([os.path.join(scripts, "vcluster.py"), "--help"],
                           capture_output=True, text=True)
        check(h.returncode == 0 and "virtual cluster" in h.stdout, "installed vcluster.py --help")
        out = os.path.join(tmp, "out")
        only = ["--only", "backend=omp"] + (["--only", "backend=mpi"] if "mpi" in built else [])
        env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
                   OMPI_MCA_rmaps_base_oversubscribe="1")
        r = subprocess.run([sys.executable, os.path.join(scripts, "compare.py"), "--classes",
                            "S", "--workers", "2", "--reps", "1", "-q", "-o", out] + only,
                           capture_output=True, text=True, cwd=tmp, env=env, timeout=600)
        check(r.returncode == 0, "installed compare.py, no --build: exit 0",
              r.stdout[-2000:] + r.stderr[-2000:])
        try:
            with open(os.path.join(out, "records.jsonl"), encoding="utf-8") as f:
                recs = [json.loads(x) for x in f if x.strip()]
        except OSError:
            recs = []
        runs = [x for x in recs if x.get("kind") == "run"]
        used = {w for x in runs for w in shlex.split(x["command"])
                if os.path.basename(w).startswith("gilfree-")}
        check(runs and all(x["verified"] for x in runs) and used and
              all(os.path.dirname(u) == os.path.join(prefix, "bin") for u in used),
              f"installed compare.py ran the installed binaries ({len(runs)} runs)",
              "\n".join(sorted(used)))
        with open(os.path.join(out, "machine.json"), encoding="utf-8") as f:
            version = json.load(f).get("gilfree")
        check(version not in (None, "unknown"), f"installed compare.py knows the version "
              f"({version})")
    return status()


if __name__ == "__main__":
    sys.exit(main())
