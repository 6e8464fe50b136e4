"""What the scripts share: strict option parsing with one-line errors (exit 2), the project's
version, the reading of records files, the numbers' summary statistics, the environment of MPI
runs and a way to run a child that leaves nothing behind."""
import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# We run as root on machines with few cores: Open MPI must be allowed both.
MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
           "OMPI_MCA_rmaps_base_oversubscribe": "1"}
# The micro-benchmarks, in the order of the report.
EXPERIMENTS = ("startup", "ipc", "counter", "grain", "paths")
_INT = re.compile(r"[+-]?[0-9]+")


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line on stderr and exit status 2."""

    def error(self, message):
        sys.stderr.write(f"{self.prog}: {message}\n")
        sys.exit(2)


def int_in(name, lo, hi):
    """An argparse type: a base-10 integer in [lo, hi], nothing else ("1e3", " 5", "0x10")."""

    def parse(s):
        if not _INT.fullmatch(s):
            raise argparse.ArgumentTypeError(f"invalid {name} '{s}': not a number")
        v = int(s)
        if v < lo:
            raise argparse.ArgumentTypeError(f"invalid {name} '{s}': must be at least {lo}")
        if v > hi:
            raise argparse.ArgumentTypeError(f"invalid {name} '{s}': too large (at most {hi})")
        return v

    return parse


def int_list(name, lo, hi, max_items=100000):
    """An argparse type: a comma-separated list of integers in [lo, hi], no empty items."""

    def parse(s):
        items = s.split(",")
        if s == "":
            raise argparse.ArgumentTypeError(f"invalid {name} '': empty list")
        if len(items) > max_items:
            raise argparse.ArgumentTypeError(f"invalid {name}: {len(items)} items, at most "
                                             f"{max_items}")
        out = []
        for k, item in enumerate(items, 1):
            if item == "":
                raise argparse.ArgumentTypeError(f"invalid {name} '{s}': empty item {k}")
            out.append(int_in(f"{name} item", lo, hi)(item))
        return out

    return parse


def version():
    """The project version, from the top-level CMakeLists.txt (the C binaries print the same)."""
    try:
        with open(os.path.join(ROOT, "CMakeLists.txt"), encoding="utf-8") as f:
            m = re.search(r"project\(gilfree\s+VERSION\s+([0-9.]+)", f.read())
        return m.group(1) if m else "unknown"
    except OSError:
        return "unknown"


class RecordsError(ValueError):
    """A records file that cannot be used; the message names the file and the line."""


def read_records(path, check=None):
    """The json objects of a records file, one a line (blank lines skipped). A file that cannot
    be read, a line that is not a json object, one that check(record) finds wrong (it returns
    what is wrong, or None) or a file without records raises RecordsError: read them all
    before writing anything."""
    records = []
    what = f"invalid --records '{path}'"
    try:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except ValueError as e:
                    raise RecordsError(f"{what}: line {n} is not json: {e}") from None
                if not isinstance(rec, dict):
                    raise RecordsError(f"{what}: line {n} is not an object")
                problem = check(rec) if check else None
                if problem:
                    raise RecordsError(f"{what}: line {n} {problem}")
                records.append(rec)
    except OSError as e:
        raise RecordsError(f"{what}: {e.strerror}") from None
    except UnicodeDecodeError:
        raise RecordsError(f"{what}: not UTF-8 text") from None
    if not records:
        raise RecordsError(f"{what}: no records")
    return records


def stats(samples):
    """{min, median, max} of a list of seconds, the median as the C report takes it."""
    return {"min": min(samples), "median": statistics.median(samples), "max": max(samples)}


def run_child(argv, env, timeout):
    """Runs one binary in its own process group and returns its CompletedProcess, or None when
    it ran past timeout. On a timeout or an interrupt the whole group goes (mpirun's ranks
    too), so no run outlives the comparison."""
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=env, cwd=ROOT, start_new_session=True)
    try:
        out, err = child.communicate(timeout=timeout)
    except BaseException as e:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(child.pid, sig)
            except ProcessLookupError:
                break
            try:
                child.wait(timeout=5)
                break
            except subprocess.TimeoutExpired:
                continue
        child.communicate()
        if isinstance(e, subprocess.TimeoutExpired):
            return None
        raise
    return subprocess.CompletedProcess(argv, child.returncode, out, err)
