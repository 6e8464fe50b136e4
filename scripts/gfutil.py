"""What the comparison script and the Python baseline share: strict option parsing with
one-line errors (exit 2), the project's version, and the numbers' summary statistics."""
import argparse
import os
import re
import statistics
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
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
            try:
                out.append(int_in(f"{name} item", lo, hi)(item))
            except argparse.ArgumentTypeError as e:
                raise argparse.ArgumentTypeError(str(e)) from None
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


def stats(samples):
    """{min, median, max} of a list of seconds, the median as the C report takes it."""
    return {"min": min(samples), "median": statistics.median(samples), "max": max(samples)}
