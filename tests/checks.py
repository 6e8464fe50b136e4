"""What every check script does with its checks: says each one as it goes ("ok" or "FAIL" and
why), counts them, and ends with one summary line and its exit status (0 when all passed, 1
when any failed or none was counted: a script that checked nothing has shown nothing). Also the command line the scripts that try several binaries share.

    from checks import check, fail, status
    check(rc == 2, "bad --workers refused", f"exit {rc}")
    ...
    sys.exit(status())
"""
import time


class Checks:
    """The checks of one script: those passed, and the names of those failed."""

    def __init__(self):
        self.passed = 0
        self.failures = []

    def check(self, cond, what, detail=""):
        """Counts cond as passed or failed, says so in a line, and returns it as a bool."""
        if cond:
            self.passed += 1
            print(f"ok   {what}", flush=True)
        else:
            self.failures.append(what)
            print(f"FAIL {what}" + (f": {detail}" if detail else ""), flush=True)
        return bool(cond)

    def fail(self, what, detail=""):
        """A check that failed, found so without a condition to test."""
        return self.check(False, what, detail)

    def verdicts(self, found):
        """Counts each of found: None for a check that passed (and said so itself), else the
        line that says why one failed."""
        for why in found:
            if why:
                self.fail(why)
            else:
                self.passed += 1

    def status(self):
        """The summary line, and the exit status: 1 when any check failed or none was counted,
        else 0."""
        if not self.passed and not self.failures:
            print("FAIL no check ran: nothing was shown", flush=True)
            return 1
        print(f"{self.passed} passed, {len(self.failures)} failed", flush=True)
        return 1 if self.failures else 0


_ALL = Checks()
check = _ALL.check
fail = _ALL.fail
verdicts = _ALL.verdicts
status = _ALL.status
failures = _ALL.failures


def text_when_written(path, deadline):
    """The text of path, stripped, once a child has written some (it may not exist yet), or
    None when the monotonic clock passes deadline first."""
    while time.monotonic() < deadline:
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read().strip()
            if text:
                return text
        except OSError:
            pass
        time.sleep(0.1)
    return None


def add_binary_args(ap):
    """--binary backend=path (again for each binary), --mpiexec and --np-flag."""
    ap.add_argument("--binary", action="append", default=[], help="backend=path")
    ap.add_argument("--mpiexec", default="mpirun")
    ap.add_argument("--np-flag", default="-np")


# The backends whose programs are MPI ranks, started by mpiexec (cmake/gf_registry.cmake).
RANKS = ("mpi", "hybrid")
# The backends the registry gives no benchmark experiments (no "bench" subcommand).
NO_BENCH = ("hybrid",)


def binaries(args):
    """(backend, path) for each --binary, the backend without its "gilfree-" prefix."""
    for spec in args.binary:
        name, path = spec.split("=", 1)
        yield name.replace("gilfree-", ""), path
