"""The lecture's three examples at their own sizes (class S, 4 workers) on every built C
backend, printed as the lecture prints them: the first part of scripts/main.sh.

    python3 -m gilfree.lecture [BUILD_DIR]

Exit status: the first failing run's, or 0.
"""
import os
import subprocess
from . import backends, launch
from .project import ROOT, cores, default_build
from .workloads import WORKLOADS

WORKERS = 4  # the lecture's four workers; MPI: four ranks


def main(argv):
    build = argv[0] if argv else default_build()
    for name in backends.C_BACKENDS:
        back = backends.backend(name)
        exe = os.path.join(build, "bin", back.binary)
        if not os.access(exe, os.X_OK):
            print(f"# {back.binary} is not built\n", flush=True)
            continue
        ranks = 1 if back.launcher == "local" else WORKERS
        for workload in WORKLOADS:
            # beyond the cores, ranks must yield; ranks that fit are left to mpirun
            argv_, env = launch.command(back.launcher, [exe, workload, "--workers",
                                                        str(WORKERS)],
                                        ranks=ranks, cores=cores(), bind=False)
            status = subprocess.run(argv_, env=dict(os.environ, **env)).returncode
            if status:
                return status
            print(flush=True)
    return 0


if __name__ == "__main__":
    from .cli import run_main
    run_main("main.sh", main)
