"""Running a child that leaves nothing behind, what it cost (its CPU time and peak memory, and
the machine's steal time around it), and the signals that stop a run."""
import contextlib
import os
import resource
import selectors
import signal
import subprocess
import time

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


class Finished(subprocess.CompletedProcess):
    """A child's CompletedProcess, and what it cost: rusage {"user_s", "sys_s", "maxrss_kb",
    "maxrss_floor_kb"} from wait4 (usage()) and steal_s, the machine's steal time from its start until it was reaped (None
    where /proc/stat cannot be read)."""

    def __init__(self, argv, returncode, stdout, stderr, rusage, steal_s):
        super().__init__(argv, returncode, stdout, stderr)
        self.rusage, self.steal_s = rusage, steal_s


def steal_ticks():
    """The machine's steal time so far in USER_HZ ticks (/proc/stat's "cpu" line, its 8th
    number: time a hypervisor gave this machine's CPUs to someone else), or None."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            for line in f:
                words = line.split()
                if words and words[0] == "cpu":
                    return int(words[8]) if len(words) > 8 else None
    except (OSError, ValueError):
        return None
    return None


def steal_between(before, after):
    """Seconds of steal between two steal_ticks() readings, or None."""
    if before is None or after is None:
        return None
    return max(after - before, 0) / os.sysconf("SC_CLK_TCK")


def usage(ru, floor_kb):
    """A wait4 rusage as the records say it. It covers the child and every descendant the child
    itself waited for (the forked workers of gilfree-posix, mpirun's ranks, a Pool's processes):
    user_s and sys_s are their CPU time together, maxrss_kb the peak resident memory of the
    largest single one of them (not a sum over processes). A descendant nobody waited for is
    not in it. The kernel also counts, for the child, the memory of the process it was started
    from until it called exec: this process's own peak, floor_kb. A maxrss_kb at the floor
    says only that the run's largest process took no more than that."""
    return {"user_s": round(ru.ru_utime, 6), "sys_s": round(ru.ru_stime, 6),
            "maxrss_kb": ru.ru_maxrss, "maxrss_floor_kb": floor_kb}


def _read_all(child, deadline):
    """Reads the child's stdout and stderr to their ends: (stdout, stderr) as bytes, or None
    when the deadline came first."""
    chunks = {child.stdout.fileno(): [], child.stderr.fileno(): []}
    with selectors.DefaultSelector() as sel:
        for fd in chunks:
            sel.register(fd, selectors.EVENT_READ)
        while sel.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            for key, _ in sel.select(left):
                data = os.read(key.fd, 65536)
                if data:
                    chunks[key.fd].append(data)
                else:
                    sel.unregister(key.fd)
    return (b"".join(chunks[child.stdout.fileno()]),
            b"".join(chunks[child.stderr.fileno()]))


def _reap(child, deadline):
    """Waits for the child with wait4 (its own rusage, not that of every child so far): (exit
    status, rusage), or None when the deadline came first. A child whose output ended is about
    to exit: the polls start at a millisecond."""
    pause = 0.001
    while True:
        with signals_held():  # reaped and recorded as one step
            pid, status, ru = os.wait4(child.pid, os.WNOHANG)
            if pid:
                child.returncode = os.waitstatus_to_exitcode(status)
                return child.returncode, ru
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        time.sleep(min(pause, left))
        pause = min(pause * 2, 0.05)


def run_child(argv, env, timeout):
    """Runs one binary in its own process group and returns its Finished, or None when it ran
    past timeout seconds. On a timeout, an Interrupted or any other exception the whole group
    goes (mpirun's ranks too), so no run outlives the comparison; a stop signal that arrives
    while the child starts waits until it can be stopped."""
    child = None
    steal0 = steal_ticks()
    floor_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    deadline = time.monotonic() + timeout
    try:
        with signals_held():
            child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=env, cwd=ROOT, start_new_session=True)
        out = _read_all(child, deadline)
        reaped = _reap(child, deadline) if out is not None else None
        if reaped is None:
            raise subprocess.TimeoutExpired(argv, timeout)
    except BaseException as e:
        if child is not None:
            with signals_held():  # a second signal must not cut the stopping short
                _stop_group(child)
        if isinstance(e, subprocess.TimeoutExpired):
            return None
        raise
    finally:
        if child is not None:
            child.stdout.close()
            child.stderr.close()
    status, ru = reaped
    return Finished(argv, status, out[0].decode("utf-8", "replace"),
                    out[1].decode("utf-8", "replace"), usage(ru, floor_kb),
                    steal_between(steal0, steal_ticks()))
