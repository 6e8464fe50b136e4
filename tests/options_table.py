#!/usr/bin/env python3
"""The binaries' options come from one table each: what --help lists, the parser accepts.

Parts (--only):
- workload: an option of another workload is refused, exit 2, one line naming the option and
  the workload (primes --images, sum --limits, resize --n, sum --schedule, primes --chunksize).
- messages: a refusal says what is true: --timeout 1e9 is a number of seconds past the
  limit, and --max-size -5 is below the smallest size, which is not 0.
- help: --help lists every option the parser accepts, and no other: each listed one is
  known to the parser; each option of the sources' tables that is not listed is refused as
  unknown. Each option with a value shows its default; a binary with the bench subcommand
  shows its usage line and its options.

  options_table.py --source DIR --binary gilfree-omp=PATH ... [--only workload,messages,help]
"""
import argparse
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import add_binary_args, binaries, check, status  # noqa: E402


def run(path, *args):
    out = subprocess.run([path, *args], capture_output=True, text=True, timeout=120,
                         stdin=subprocess.DEVNULL)
    return out.returncode, out.stdout, out.stderr


def refused_once(b, path, args, *needles):
    rc, out, err = run(path, *args)
    lines = err.splitlines()
    check(rc == 2 and not out and len(lines) == 1 and lines[0].startswith(f"gilfree-{b}: ")
          and all(n in lines[0] for n in needles),
          f"{b} {' '.join(args)}: refused in one line naming {', '.join(needles)}",
          f"exit {rc}, stdout {out[:200]!r}, stderr {err!r}")
    return lines[0] if lines else ""


def workload_part(b, path):
    cases = [(["primes", "--images", "3"], "--images", "primes"),
             (["sum", "--limits", "7,11"], "--limits", "sum"),
             (["resize", "--n", "5"], "--n", "resize"),
             (["sum", "--width", "9"], "--width", "sum")]
    if b == "posix":
        cases += [(["primes", "--chunksize", "2"], "--chunksize", "primes"),
                  (["sum", "--task-timeout", "1"], "--task-timeout", "sum")]
    if b in ("mpi", "hybrid"):
        cases = cases[:1] + [(["sum", "--schedule", "dynamic"], "--schedule", "sum")]
    for args, opt, workload in cases:
        line = refused_once(b, path, args, opt, workload)
        check(f"for {workload}" in line, f"{b} {' '.join(args)}: the workload is named",
              line)
    # the same options on their own workload run
    if b in ("omp", "posix"):
        rc, _, err = run(path, "resize", "--images", "2", "--width", "8", "--height", "8",
                         "--reps", "1", "--workers", "2")
        check(rc == 0, f"{b} resize --images 2 --width 8 --height 8 runs", err)


def messages_part(b, path):
    line = refused_once(b, path, ["sum", "--timeout", "1e9"], "'1e9'", "at most 1000000")
    check("not a number" not in line, f"{b} --timeout 1e9 is a number of seconds", line)
    if b == "posix":
        line = refused_once(b, path, ["bench", "ipc", "--max-size", "-5"], "'-5'",
                            "at least 1 byte")
        check("at least 0" not in line, "--max-size -5: the true least size", line)
        line = refused_once(b, path, ["bench", "ipc", "--max-size", "0"], "at least 1 byte")


HEAD = re.compile(r"^  (?:-(\w), )?--([a-z][a-z-]*)(?: (\S+))?|^      --([a-z][a-z-]*)(?: (\S+))?")


def listed(text):
    """{section: {name: (letter, arg, entry)}} of a --help text's option entries, "main" and
    "bench"; an entry is its head line and the lines of its text below."""
    sections, cur, entry = {}, None, None
    for line in text.splitlines():
        if line.startswith("Options:"):
            cur = sections.setdefault("main", {})
        elif line.startswith("bench:"):
            cur = sections.setdefault("bench", {})
        elif line.startswith(("An option", "Classes", "Exit")):
            cur = None
        m = HEAD.match(line)
        if m and cur is not None:
            letter, name, arg = (m.group(1), m.group(2), m.group(3)) if m.group(2) else \
                (None, m.group(4), m.group(5))
            entry = [letter, arg, line]
            cur[name] = entry
        elif entry is not None and line.startswith(" " * 22):
            entry[2] += "\n" + line
        else:
            entry = None
    return sections


def table_names(source):
    """Every option name of the tables in the sources (the parser accepts no other)."""
    names = set()
    for sub in ("shared", "openmp", "posix", "mpi", "hybrid"):
        d = os.path.join(source, sub)
        for f in os.listdir(d) if os.path.isdir(d) else []:
            if f.endswith((".c", ".h")):
                with open(os.path.join(d, f)) as fh:
                    names |= set(re.findall(r'\.name = "([a-z][a-z-]*)"', fh.read()))
    return names


def known(b, path, prefix, name, arg, tail):
    """Whether the parser knows --name: anything but "unknown option" for it."""
    args = prefix + [f"--{name}"] + (["1"] if arg else []) + tail
    rc, _, err = run(path, *args)
    return f"unknown option '--{name}'" not in err, err


def help_part(b, path, names):
    rc, text, err = run(path, "--help")
    check(rc == 0 and text and not err, f"{b} --help", err)
    secs = listed(text)
    main, bench = secs.get("main", {}), secs.get("bench")
    has_bench = b in ("omp", "posix", "mpi")
    check(bool(main), f"{b} --help lists its options", text[:300])
    check((f"gilfree-{b} bench <experiment>" in text) == has_bench and
          (bench is not None) == has_bench,
          f"{b} --help: the bench usage line and options {'present' if has_bench else 'absent'}")
    for where, sec in (("", main), ("bench ", bench or {})):
        for name, (letter, arg, entry) in sec.items():
            if arg:
                check("(default: " in entry, f"{b} {where}--{name}: its default is shown",
                      entry)
    if b == "hybrid":
        w = text.split("--workers N", 1)[1].split("\n  -")[0] if "--workers N" in text else ""
        check("--threads" in w and "-np N)" not in w, "hybrid -w: the ranks times --threads", w)
    mpi = b in ("mpi", "hybrid")
    # every option listed is known; MPI's starts cost seconds: its own and the others' only
    own = {"schedule", "threads", "start", "chunksize", "task-timeout"}
    for name, (letter, arg, line) in main.items():
        if mpi and name not in own:
            continue
        ok, err = known(b, path, [], name, arg, ["no-such-workload"])
        check(ok, f"{b} --{name}: listed and accepted", err)
    for name in sorted(names - set(main)):
        if mpi and name not in own:
            continue
        ok, err = known(b, path, [], name, "1", ["no-such-workload"])
        check(not ok, f"{b} --{name}: not listed and refused as unknown", err)
    if bench and not mpi:
        for name, (letter, arg, line) in bench.items():
            ok, err = known(b, path, ["bench", "ipc"], name, arg, ["extra"])
            check(ok, f"{b} bench --{name}: listed and accepted", err)
        for name in sorted(names - set(bench) - {"help"}):
            ok, err = known(b, path, ["bench", "ipc"], name, "1", ["extra"])
            check(not ok, f"{b} bench --{name}: not listed and refused as unknown", err)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_binary_args(ap)
    ap.add_argument("--source", required=True, help="the source tree (its option tables)")
    ap.add_argument("--only", default="workload,messages,help")
    args = ap.parse_args()
    only = args.only.split(",")
    names = table_names(args.source)
    check(len(names) > 20, f"{len(names)} option names in the sources' tables")
    for b, path in binaries(args):
        if "workload" in only:
            workload_part(b, path)
        if "messages" in only:
            messages_part(b, path)
        if "help" in only:
            help_part(b, path, names)
    return status()


if __name__ == "__main__":
    sys.exit(main())
