"""The command line of every entry point: strict option types whose errors are one line and
exit status 2, and the end of every program (a failed write of standard output, a stop
signal)."""
import argparse
import os
import re
import sys

from .runner import Interrupted, catch_signals
from .workloads import CLASSES

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


def _positive_decimal(name, hi, what):
    """An argparse type: a positive decimal number up to hi, returned as the text given; what
    names the value in the message of a word that is no number ("a decimal number of
    seconds")."""

    def parse(s):
        if not _DECIMAL.fullmatch(s):
            raise argparse.ArgumentTypeError(
                f"invalid {name} '{s}': " + ("must be more than 0" if s.startswith("-") and
                                             _DECIMAL.fullmatch(s[1:]) else f"not {what}"))
        if float(s) <= 0:
            raise argparse.ArgumentTypeError(f"invalid {name} '{s}': must be more than 0")
        if float(s) > hi:
            raise argparse.ArgumentTypeError(f"invalid {name} '{s}': too large (at most {hi})")
        return s

    return parse


def seconds_in(name, hi):
    """An argparse type: a positive decimal number of seconds up to hi ("0.05", "2", "1.5"; not
    "0", "-1", "1e3", "inf"). Returns the text as given, to pass on to the binaries as it is."""
    return _positive_decimal(name, hi, "a decimal number of seconds")


def reps_or_auto(name, hi):
    """An argparse type: a repetition count in [1, hi], or "auto" (the binaries' --reps auto),
    returned as the word."""
    count = int_in(name, 1, hi)

    def parse(s):
        if s == "auto":
            return s
        if not _INT.fullmatch(s):
            raise argparse.ArgumentTypeError(f"invalid {name} '{s}': not a number or auto")
        return count(s)

    return parse


def percent_in(name, hi=100):
    """An argparse type: a positive decimal percentage up to hi ("5", "2.5"; not "0", "-1",
    "nan", "5%"). Returns the text as given, to pass on to the binaries as it is."""
    return _positive_decimal(name, hi, "a percentage")


def add_reps_auto_options(p, cap_max, cap_help):
    """--ci-target and --reps-cap, the options of --reps auto, on parser p."""
    p.add_argument("--ci-target", type=percent_in("--ci-target"), metavar="P",
                   help="with --reps auto: the 95%% confidence intervals' half-width sought, "
                   "in percent of the median (default 5)")
    p.add_argument("--reps-cap", type=seconds_in("--reps-cap", cap_max), metavar="S",
                   help=f"with --reps auto: {cap_help} (default 30)")


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


def word_list(name, words):
    """An argparse type: a comma-separated list of some of words."""
    def parse(s):
        items = s.split(",")
        for c in items:
            if c not in words:
                raise argparse.ArgumentTypeError(f"invalid {name} '{s}': '{c}' is not "
                                                 f"{' or '.join(words)}")
        return list(dict.fromkeys(items))
    return parse


def one_of(name, words):
    """An argparse type: one of words."""
    def parse(s):
        if s not in words:
            raise argparse.ArgumentTypeError(f"invalid {name} '{s}': not {' or '.join(words)}")
        return s
    return parse


def usage_error(prog, msg):
    """Bad input found after the options were parsed: one line and exit status 2."""
    sys.stderr.write(f"{prog}: {msg}\n")
    sys.exit(2)


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


def class_list(name, allow_none=False):
    """An argparse type: a comma-separated list of size classes, each once ('none': no class,
    where allow_none)."""
    names = list(CLASSES)
    spoken = ", ".join(names[:-1]) + " or " + names[-1]

    def parse(s):
        items = s.split(",")
        if allow_none and s == "none":
            return []
        for k, c in enumerate(items, 1):
            if c not in CLASSES:
                raise argparse.ArgumentTypeError(
                    f"invalid {name} '{s}': item {k} '{c}' is not {spoken}")
        if len(set(items)) != len(items):
            raise argparse.ArgumentTypeError(f"invalid {name} '{s}': a class twice")
        return items
    return parse
