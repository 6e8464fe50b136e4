"""What the scripts share: strict option parsing with one-line errors (exit 2), the project's
version, the reading of records files, the numbers' summary statistics, the environment of MPI
runs, a way to run a child that leaves nothing behind, the check of an output folder, and the
end of every program: a failed write of standard output and the signals that stop a run."""
import argparse
import contextlib
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
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")


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


def seconds_in(name, hi):
    """An argparse type: a positive decimal number of seconds up to hi ("0.05", "2", "1.5"; not
    "0", "-1", "1e3", "inf"). Returns the text as given, to pass on to the binaries as it is."""

    def parse(s):
        if not _DECIMAL.fullmatch(s):
            raise argparse.ArgumentTypeError(f"invalid {name} '{s}': not a decimal number of "
                                             "seconds")
        if float(s) <= 0:
            raise argparse.ArgumentTypeError(f"invalid {name} '{s}': must be more than 0")
        if float(s) > hi:
            raise argparse.ArgumentTypeError(f"invalid {name} '{s}': too large (at most {hi})")
        return s

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


# ---- the signals that stop a run ------------------------------------------------------------

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_held = {"depth": 0, "signum": None}


class Interrupted(BaseException):
    """A stop signal arrived (after catch_signals()): stop the work, keep what was done and exit
    128 + its number. A BaseException, as KeyboardInterrupt, so that no `except Exception`
    swallows it; the work's loops set done and planned where they catch it."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum, self.name, self.status = signum, signal.Signals(signum).name, 128 + signum
        self.done = self.planned = None


def _on_signal(signum, frame):
    if _held["depth"]:
        _held["signum"] = _held["signum"] or signum
        return
    raise Interrupted(signum)


def catch_signals():
    """From now on SIGINT, SIGTERM and SIGHUP all raise Interrupted (inside signals_held(),
    at its end): one way to stop for all three."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, _on_signal)


@contextlib.contextmanager
def signals_held():
    """A stop signal that arrives inside is kept and raised as Interrupted when the outermost
    such block ends: for a child started but not yet owned, or results being written."""
    _held["depth"] += 1
    try:
        yield
    finally:
        _held["depth"] -= 1
        if not _held["depth"] and _held["signum"]:
            signum, _held["signum"] = _held["signum"], None
            raise Interrupted(signum)


def _stop_group(child):
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


def run_child(argv, env, timeout):
    """Runs one binary in its own process group and returns its CompletedProcess, or None when
    it ran past timeout seconds. On a timeout, an Interrupted or any other exception the whole
    group goes (mpirun's ranks too), so no run outlives the comparison; a stop signal that
    arrives while the child starts waits until it can be stopped."""
    child = None
    try:
        with signals_held():
            child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=env, cwd=ROOT, start_new_session=True)
        out, err = child.communicate(timeout=timeout)
    except BaseException as e:
        if child is not None:
            with signals_held():  # a second signal must not cut the stopping short
                _stop_group(child)
        if isinstance(e, subprocess.TimeoutExpired):
            return None
        raise
    return subprocess.CompletedProcess(argv, child.returncode, out, err)


# ---- the output folder ----------------------------------------------------------------------

def out_dir_problem(path):
    """What stops path from being a new results folder (a line's end: "exists and is not an
    empty folder", "Permission denied"), or None. A folder that does not exist is created and
    removed again, parents too, to know that it can be: nothing is left behind."""
    path = os.path.abspath(path)
    if os.path.exists(path):
        if not os.path.isdir(path) or os.listdir(path):
            return "exists and is not an empty folder"
        return None if os.access(path, os.W_OK | os.X_OK) else os.strerror(13)
    made, parent = [], path
    while not os.path.exists(parent):
        made.append(parent)
        parent = os.path.dirname(parent)
    try:
        os.makedirs(path)
        problem = None
    except OSError as e:
        problem = e.strerror
    for folder in made:  # deepest first; those made before a failure too
        if os.path.isdir(folder):
            os.rmdir(folder)
    return problem


# ---- the end of a program -------------------------------------------------------------------

class OutputError(Exception):
    """Standard output could not be written (a full disk, a closed pipe). Not an OSError, so
    that the work's own `except OSError` does not take it for one of its failures."""

    def __init__(self, err):
        super().__init__(err)
        self.err = err


class _CheckedStdout:
    """sys.stdout whose failed writes raise OutputError."""

    def __init__(self, stream):
        self._stream = stream

    def _checked(self, fn, *args):
        try:
            return fn(*args)
        except OSError as e:
            raise OutputError(e) from None

    def write(self, s):
        return self._checked(self._stream.write, s)

    def writelines(self, lines):
        return self._checked(self._stream.writelines, lines)

    def flush(self):
        return self._checked(self._stream.flush)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _drop_stdout():
    """What is left in stdout's buffer goes to /dev/null at exit: no second error then."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.__stdout__.fileno())
        os.close(null)
    except (OSError, AttributeError, ValueError):
        pass


def run_main(prog, main, signals=False):
    """Every entry point ends here: exits with main(sys.argv[1:])'s status, and standard
    output flushed inside, so that a failed write is one line on stderr and exit 1 (a closed
    pipe, as `| head`: exit 1 and no line) instead of a traceback. With signals, SIGINT,
    SIGTERM and SIGHUP raise Interrupted (catch_signals); one that main lets through is one
    line and exit 128 + its number."""
    if sys.stdout is not None:
        sys.stdout = _CheckedStdout(sys.stdout)
    if signals:
        catch_signals()
    try:
        try:
            status = main(sys.argv[1:])
        except SystemExit as e:  # argparse's --help and its errors
            status = e.code
        if sys.stdout is not None:
            sys.stdout.flush()
    except OutputError as e:
        _drop_stdout()
        if not isinstance(e.err, BrokenPipeError):
            sys.stderr.write(f"{prog}: write error on standard output: {e.err.strerror}\n")
        status = 1
    except Interrupted as e:
        sys.stderr.write(f"{prog}: interrupted by {e.name}\n")
        status = e.status
    sys.exit(status)
