"""Running a child that leaves nothing behind, what it cost (its CPU time and peak memory, and
the machine's steal time around it), and the signals that stop a run."""
import contextlib
import functools
import os
import resource
import selectors
import signal
import subprocess
import sys
import threading
import time

from .project import ROOT

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

_held = {"depth": 0, "signum": None, "pid": None}


class Interrupted(BaseException):
    """A stop signal arrived (after catch_signals()): stop the work, keep what was done and exit
    128 + its number. A BaseException, as KeyboardInterrupt, so that no `except Exception`
    swallows it; the work's loops set done, planned and what (of what) where they catch it."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum, self.name, self.status = signum, signal.Signals(signum).name, 128 + signum
        self.done = self.planned = self.what = None


def _on_signal(signum, frame):
    if os.getpid() != _held["pid"]:
        # a forked child (a worker not yet past its own set-up): the signal's default, as if
        # this handler had not been inherited, not a traceback of the parent's Interrupted
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    if _held["depth"]:
        _held["signum"] = _held["signum"] or signum
        return
    raise Interrupted(signum)


def _unraisable(u, _default=sys.unraisablehook):
    """An Interrupted raised where Python prints and drops exceptions (a __del__ or a weakref
    callback: a multiprocessing Pool's, collected mid-run) is sent again as its signal, to be
    raised where it stops the run; a SIGINT once ended a py_baseline.py run with a traceback
    and exit 0 that way. It is sent from a thread 10 ms on, since a signal sent from here is
    handled before this hook returns, inside it."""
    if isinstance(u.exc_value, Interrupted) and os.getpid() == _held["pid"]:
        again = threading.Timer(0.01, os.kill, (os.getpid(), u.exc_value.signum))
        again.daemon = True
        again.start()
        return
    _default(u)


def catch_signals():
    """From now on SIGINT, SIGTERM and SIGHUP all raise Interrupted (inside signals_held(),
    at its end): one way to stop for all three."""
    _held["pid"] = os.getpid()
    sys.unraisablehook = _unraisable
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
    """A child's CompletedProcess, and what it cost: rusage (usage()) and steal_s, the machine's
    steal time from its start until it was reaped (None where /proc/stat cannot be read)."""

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


# The kernel counts for a process the memory of the one it was started from, until its exec:
# a child started from here has this Python's peak as its own peak at least. GNU time, a
# process of about a megabyte, starts the child instead where it is installed and reports
# the child's peak (%M, from its own wait4): the floor is then time's, not ours. Its own CPU
# time, a millisecond or so, is then in the run's.
TIME = "/usr/bin/time"


def _time_peak(fd):
    """The peak GNU time wrote to the pipe fd (read end) by the time it exited, in KB, or
    None."""
    os.set_blocking(fd, False)
    try:
        return int(os.read(fd, 256).decode("ascii").split()[-1])
    except (OSError, ValueError, IndexError, UnicodeDecodeError):
        return None


def _time_argv(argv, fd):
    """argv started through GNU time, which writes the peak memory to the pipe fd (write
    end): a pipe, not a file, so that nothing is left behind even when this process is
    killed with SIGKILL."""
    return [TIME, "-q", "-f", "%M", "-o", f"/dev/fd/{fd}", "--"] + argv


@functools.lru_cache(maxsize=None)
def time_floor():
    """The peak GNU time reports for `true`, in KB (the least it can report), or None where
    GNU time is not installed or does not take -q -f -o."""
    if not os.access(TIME, os.X_OK):
        return None
    r, w = os.pipe()
    try:
        subprocess.run(_time_argv(["true"], w), capture_output=True, timeout=30, check=True,
                       pass_fds=(w,))
        return _time_peak(r)
    except (OSError, subprocess.SubprocessError):
        return None
    finally:
        os.close(r)
        os.close(w)


def usage(ru, peak_kb, floor_kb):
    """What a run cost, as the records say it: user_s and sys_s, the CPU time of the child and
    of every descendant the child itself waited for (the forked workers of gilfree-posix,
    mpirun's ranks, a Pool's processes; one nobody waited for is not in it), from wait4;
    maxrss_kb, the peak resident memory of the largest single one of those processes (not a sum
    over them); maxrss_floor_kb, the peak that the process the child was started from adds:
    a maxrss_kb at the floor says only that the run's largest process took no more than
    that."""
    return {"user_s": round(ru.ru_utime, 6), "sys_s": round(ru.ru_stime, 6),
            "maxrss_kb": peak_kb if peak_kb is not None else ru.ru_maxrss,
            "maxrss_floor_kb": floor_kb}


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


def run_child(argv, env, timeout, peak=False):
    """Runs one binary in its own process group and returns its Finished, or None when it ran
    past timeout seconds. On a timeout, an Interrupted or any other exception the whole group
    goes (mpirun's ranks too), so no run outlives the comparison; a stop signal that arrives
    while the child starts waits until it can be stopped. peak: the child is started through
    GNU time where it is installed, for a peak memory of its own (TIME)."""
    child, meter = None, ()
    steal0 = steal_ticks()
    floor = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = argv
    deadline = time.monotonic() + timeout
    try:
        with signals_held():  # a stop signal must not fall between the meter and the try
            if peak and time_floor() is not None:
                meter = os.pipe()  # (read end, write end): GNU time's output
                start, floor = _time_argv(argv, meter[1]), time_floor()
            child = subprocess.Popen(start, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=env, cwd=ROOT, start_new_session=True,
                                     pass_fds=meter[1:])
        out = _read_all(child, deadline)
        reaped = _reap(child, deadline) if out is not None else None
        if reaped is None:
            raise subprocess.TimeoutExpired(argv, timeout)
        status, ru = reaped
        peak_kb = _time_peak(meter[0]) if meter else None
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
        for fd in meter:
            os.close(fd)
    if meter and peak_kb is None:  # time could not say: this process's floor, then
        floor = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return Finished(argv, status, out[0].decode("utf-8", "replace"),
                    out[1].decode("utf-8", "replace"), usage(ru, peak_kb, floor),
                    steal_between(steal0, steal_ticks()))


def _rule(line):
    """mpirun's banner rule ("-----...") and the like: a line of nothing but - = *."""
    return not set(line) - set("-=*")


def failure_reason(stderr):
    """The line of a failed run's standard error that says why, or "no output": the program's
    own line (gilfree-...: or ...py:) where it wrote one, a rank's first; else, under mpirun's
    banner rules, the first line of mpirun's message that is not a rule; else the last line."""
    lines = [x.strip() for x in stderr.splitlines() if x.strip()]
    own = [x for x in lines if x.startswith("gilfree-") or x.split(":", 1)[0].endswith(".py")]
    if own:
        return own[0]
    if any(_rule(x) for x in lines):
        said = [x for x in lines if not _rule(x)]
        return said[0] if said else "no output"
    return lines[-1] if lines else "no output"
