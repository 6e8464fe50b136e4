"""Running a child that leaves nothing behind, and the signals that stop a run."""
import contextlib
import os
import signal
import subprocess

from .project import ROOT

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
