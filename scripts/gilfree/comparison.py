"""The comparison (scripts/compare.py): its options, the results folder, and the run from the
options to the records, the report and the verdict."""
import argparse
import datetime
import json
import os
import shlex
import subprocess
import sys
import textwrap

from . import bench, crosscheck, matrix, plots, report, tables
from .backends import LABELS, ORDER as ALL_LABELS, ways
from .cli import (OneLineParser, class_list, int_list, percent_in, reps_or_auto, seconds_in,
                  usage_error, word_list)
from .matrix import (BINARY_MARGIN, DEFAULT_LIMIT, WAY_OPTIONS, Progress, plan,
                     run_matrix)
from .project import ROOT, cores, machine, out_dir_problem
from .records import (RecordsError, incomplete, kind, measured, read_records, run_fields,
                      stopped_record, write_line)
from .runner import signals_held
from .workloads import EXPERIMENTS, WORKLOADS


def only_filter(s):
    """backend=omp,backend=mpi,workload=primes -> {"backend": {...}, "workload": {...}}."""
    out = {}
    for item in s.split(","):
        key, eq, value = item.partition("=")
        if not eq or not value:
            raise argparse.ArgumentTypeError(f"invalid --only '{s}': '{item}' is not KEY=VALUE")
        valid = {"backend": ALL_LABELS, "workload": WORKLOADS}.get(key)
        if valid is None:
            raise argparse.ArgumentTypeError(f"invalid --only '{s}': unknown key '{key}' "
                                             "(backend or workload)")
        if value not in valid:
            raise argparse.ArgumentTypeError(f"invalid --only '{s}': unknown {key} '{value}' "
                                             f"(one of {', '.join(valid)})")
        out.setdefault(key, set()).add(value)
    return out


def backends_text():
    """--help's paragraph on the rows, from the registry."""
    rows = [lab.name if lab.name == lab.backend else
            f"{lab.name} (with --{WAY_OPTIONS[lab.backend].replace('_', '-')} {lab.way[1]})"
            for lab in LABELS.values()]
    return textwrap.fill(f"Backends: {', '.join(rows)}. Python runs at --python-classes only "
                         "(default S): at class W its loops take seconds per repetition.",
                         85, break_on_hyphens=False)


def parse_args(argv, doc):
    p = OneLineParser(prog="compare.py", description=doc.split("\n\n", 1)[1],
                      formatter_class=argparse.RawDescriptionHelpFormatter,
                      epilog=backends_text())
    p.add_argument("-w", "--workers", type=int_list("--workers", 1, 1024), default=[1, 2, 4],
                   metavar="L", help="worker counts (default 1,2,4)")
    p.add_argument("-c", "--classes", type=class_list("--classes"), default=["S", "W"],
                   metavar="L", help="size classes, of S, W, A, B (default S,W)")
    p.add_argument("-r", "--reps", type=reps_or_auto("--reps", 100000), default=5, metavar="R",
                   help="timed repetitions per run, median reported (default 5), or auto: each "
                   "run repeats until the 95%% confidence intervals of its medians are within "
                   "--ci-target (the binaries' --reps auto)")
    p.add_argument("--ci-target", type=percent_in("--ci-target"), metavar="P",
                   help="with --reps auto: the intervals' half-width sought, in percent of the "
                   "median (default 5)")
    p.add_argument("--reps-cap", type=seconds_in("--reps-cap", 86400), metavar="S",
                   help="with --reps auto: seconds the timed repetitions of one run may take "
                   "(default 30)")
    p.add_argument("--only", type=only_filter, action="append", default=[],
                   metavar="KEY=V[,KEY=V...]", help="run only these backends/workloads, e.g. "
                   "backend=omp,backend=mpi,workload=primes (repeatable)")
    p.add_argument("--python-classes", type=class_list("--python-classes", True),
                   default=["S"], metavar="L",
                   help="classes at which Python runs (default S; 'none')")
    p.add_argument("--posix-start", type=word_list("--posix-start", ways("posix")),
                   default=["fork"], metavar="L", help="gilfree-posix start methods: fork, "
                   "spawn or fork,spawn (default fork; spawn rows are posix-spawn)")
    p.add_argument("--python-start", type=word_list("--python-start", ways("python-mp")),
                   default=["fork"], metavar="L", help="multiprocessing start methods, the "
                   "same way (spawn rows are python-mp-spawn)")
    p.add_argument("--mpi-schedule", type=word_list("--mpi-schedule", ways("mpi")),
                   default=["static"], metavar="L", help="gilfree-mpi primes: static (scatter), "
                   "dynamic (rank 0 hands out a queue) or both (default static; dynamic rows "
                   "are mpi-dynamic)")
    p.add_argument("-o", "--out", metavar="DIR", help="results folder (default "
                   "results/<date-time>/); must not exist or be empty (one left by an "
                   "interrupted comparison is refused, saying so: give another)")
    p.add_argument("-b", "--build", default=os.path.join(ROOT, "build"), metavar="DIR",
                   help="the CMake build folder with bin/ (default build/)")
    p.add_argument("--records", metavar="FILE", action="append", help="do not run: check "
                   "and report the records of FILE (a records.jsonl, or a results folder for "
                   "its records.jsonl; repeatable, to join runs and other kinds of records "
                   "such as benchmarks); records of a comparison that did not finish are "
                   "reported and said to be incomplete, exit 1")
    p.add_argument("--experiments", nargs="?", const="all", metavar="L",
                   help="after the matrix, the micro-benchmarks of the lecture's costs (all, or "
                   "of " + (", ".join(EXPERIMENTS) or "none: not in this tree") +
                   "), as sections of the report")
    p.add_argument("--bench-quick", action="store_true",
                   help="with --experiments: tiny sizes, a check rather than a measurement")
    p.add_argument("--timeout", type=seconds_in("--timeout", 86400), metavar="S",
                   help="seconds one run may take, a decimal number: each binary gets "
                   "--timeout S and stops itself, naming what was outstanding (it is stopped "
                   f"{BINARY_MARGIN:g} s and a tenth later if it does not), a Python run is "
                   "stopped at S; a run past its time is a failure and the comparison goes on "
                   f"(default: {DEFAULT_LIMIT:g} s a run, the binaries not told)")
    p.add_argument("-n", "--dry-run", action="store_true",
                   help="print the runs' commands and stop: nothing is run or written")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    opts = p.parse_args(argv)
    for name in ("ci_target", "reps_cap"):
        if getattr(opts, name) is not None and opts.reps != "auto":
            p.error(f"invalid --{name.replace('_', '-')} '{getattr(opts, name)}': only with "
                    "--reps auto")
    if len(set(opts.workers)) != len(opts.workers):
        p.error(f"invalid --workers '{','.join(map(str, opts.workers))}': a count twice")
    if opts.experiments is not None:
        names = EXPERIMENTS if opts.experiments == "all" else opts.experiments.split(",")
        for name in names:
            if name not in EXPERIMENTS:
                p.error(f"invalid --experiments '{opts.experiments}': unknown experiment "
                        f"'{name}' (all, or of {', '.join(EXPERIMENTS)})")
        opts.experiments = list(dict.fromkeys(names))
    elif opts.bench_quick:
        p.error("--bench-quick needs --experiments")
    return opts


def register_bench():
    """The micro-benchmarks' records (kind "bench") get their sections in the report."""
    report.register_section(
        "bench", None, lambda recs, ctx: bench.bench_sections(recs, ctx["out_dir"]))


def load_records(paths):
    """Every record of the --records files (a folder: its records.jsonl), and lines saying
    which of them are incomplete. Bad records are bad input: exit 2."""
    records, partial = [], []
    for path in paths:
        if os.path.isdir(path):
            path = os.path.join(path, "records.jsonl")
        try:
            recs = read_records(path, check=run_fields)
        except RecordsError as e:
            usage_error("compare.py", str(e))
        records += recs
        partial += incomplete(path, recs)
    return records, partial


def left_over(out):
    """Why a folder that is not empty holds a comparison that did not finish, or None."""
    path = os.path.join(out, "records.jsonl")
    if not os.path.isfile(path):
        return None
    try:
        recs = read_records(path)
    except RecordsError:  # no records at all, as an interrupt before the first run left them
        return ("holds a comparison stopped before its first run (records.jsonl is empty)"
                if os.path.getsize(path) == 0 else None)
    lines = incomplete("records.jsonl", recs)
    return f"holds a comparison that did not finish ({lines[0]})" if lines else None


def make_out_dir(opts):
    """The results folder, once it is known that it can be made (nothing is made here)."""
    out = os.path.abspath(opts.out) if opts.out else os.path.join(
        ROOT, "results", datetime.datetime.now().strftime("%Y-%m-%d-%H%M%S"))
    problem = out_dir_problem(out)
    if problem and os.path.isdir(out):
        problem = left_over(out) or problem
        if problem.startswith("holds"):
            problem += ": remove it or give another --out"
    if problem:
        usage_error("compare.py", f"invalid --out '{opts.out or out}': {problem}")
    return out


def plan_matrix(opts):
    """(the binaries found, the runs, the report's notes) of a comparison that runs."""
    if not os.path.isdir(opts.build):
        usage_error("compare.py", f"invalid --build '{opts.build}': no such folder")
    found, notes = matrix.available(opts.build)
    if not found:
        usage_error("compare.py", f"no gilfree binary in {os.path.join(opts.build, 'bin')}: "
                    "build first")
    runs = plan(opts, found)
    if not runs:
        usage_error("compare.py", "nothing to run: --only, --classes and --python-classes "
                    "leave no run")
    skipped = [c for c in opts.classes if c not in opts.python_classes]
    ran = [c for c in opts.classes if c in opts.python_classes]
    if skipped and not ran:
        notes.append("Python did not run (--python-classes)")
    elif skipped:
        notes.append(f"Python ran at class {', '.join(ran)} only (--python-classes), not "
                     f"at {', '.join(skipped)}: its loops take seconds per repetition there")
    notes.append(f"{reps_note(opts)}; worker counts "
                 f"{','.join(map(str, opts.workers))}; {cores()} cores: runs with more "
                 "workers than cores are oversubscribed (marked *); MPI runs bind each rank "
                 "to a core when they fit, and yield when idle when they do not")
    if opts.timeout is not None:
        notes.append(f"each run had {opts.timeout} s (--timeout)")
    return found, runs, notes


def reps_note(opts):
    """How many timed repetitions each run made, for the report's notes."""
    if opts.reps != "auto":
        return f"{opts.reps} timed repetitions per run after one warm-up"
    return (f"--reps auto: after one warm-up each run repeated until the 95% confidence "
            f"intervals of its sequential and parallel medians were within "
            f"{opts.ci_target or 5}% of them, or {opts.reps_cap or 30} s of repetitions had "
            f"passed (at least 6, at most 1000); the records say how many each took and "
            f"whether its target was reached")


def dry_run(opts, runs, records, out_dir):
    for lab, exe, wl, cls, p in runs:
        argv, env, over = matrix.command(lab, exe, wl, cls, p, opts.reps, opts.timeout,
                                         matrix.auto_options(opts))
        env_text = " ".join(f"{k}={v}" for k, v in env.items())
        print((env_text + " " if env_text else "") + shlex.join(argv) +
              ("  # oversubscribed" if over else ""))
    if opts.records:
        print(f"# would check and report {len(records)} records into {out_dir}")
    elif opts.experiments:
        print(f"# then the micro-benchmarks: {', '.join(opts.experiments)}")
    return 0


def run_all(opts, runs, out_dir):
    """The matrix, then the micro-benchmarks (not after a stop signal). Returns (records,
    failures, None or the Interrupted); every record is in records.jsonl."""
    progress = Progress(len(runs), opts.quiet)
    progress.say(f"{len(runs)} runs into {out_dir}")
    records, failures, stop = run_matrix(opts, runs, out_dir, progress)
    if not opts.experiments or stop:
        return records, failures, stop
    progress.say(f"micro-benchmarks: {', '.join(opts.experiments)}")
    # out_dir None: the records go into records.jsonl below, not a second file
    done, bench_failures, stop = bench.collect(
        opts.build, None, quick=opts.bench_quick, workers=min(2, cores()),
        progress=progress.say, experiments=opts.experiments)
    with signals_held():
        if stop:
            done.append(stopped_record(stop, "micro-benchmarks (after every run)"))
        with open(os.path.join(out_dir, "records.jsonl"), "a", encoding="utf-8") as f:
            for rec in done:
                write_line(f, rec)
    return records + done, failures + bench_failures, stop


def write_machine(opts, out_dir):
    info = machine(opts.build)
    with open(os.path.join(out_dir, "machine.json"), "w", encoding="utf-8") as f:
        json.dump(info, f, indent=2)
        f.write("\n")
    with open(os.path.join(out_dir, "machine.txt"), "w", encoding="utf-8") as f:
        for k, v in info.items():
            f.write(f"{k}: {v}\n")
    return info


def write_report(opts, records, ctx):
    """Every file of the results folder but records.jsonl; fills ctx's problems, groups,
    images and machine."""
    out_dir = ctx["out_dir"]
    ctx["machine"] = write_machine(opts, out_dir)
    problems, ctx["groups"] = crosscheck.cross_check(records)
    ctx["problems"] = ctx["problems"] + problems
    tables.write_summary(os.path.join(out_dir, "summary.csv"), records)
    try:
        ctx["images"] = plots.write_plots(out_dir, records)
        if ctx["images"] is None:
            ctx["notes"].append("gnuplot is not installed: no plots")
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
        ctx["images"] = []  # a plot that cannot be drawn is said, but the results stand
        ctx["notes"].append(f"plots incomplete: {e}")
    with open(os.path.join(out_dir, "report.md"), "w", encoding="utf-8") as f:
        f.write(report.report_markdown(records, ctx))


def print_report(records, ctx):
    """The tables and the verdict on stdout; returns 1 if there is a problem, else 0."""
    info, out_dir = ctx["machine"], ctx["out_dir"]
    runs_checked = sum(1 for r in records if kind(r) == "run")
    others = len(records) - runs_checked
    print(f"# {info['cpu']}, {info['cores']} cores; {runs_checked} runs"
          f"{f' and {others} other records' if others else ''}; results in {out_dir}")
    for line in ctx["notes"]:
        print(f"# {line}")
    print()
    print(report.terminal_text(records), end="")
    lecture = report.lecture_pool(records)
    if lecture:
        print(lecture + "\n")
    if ctx["problems"]:
        print("FAILED:")
        for line in ctx["problems"]:
            print(line)
        return 1
    print(f"All {runs_checked} runs verified; results identical across backends "
          f"({len(ctx['groups'])} parameter groups). Report: {os.path.join(out_dir, 'report.md')}")
    if ctx["images"] is None:
        print("gnuplot is not installed: no plots")
    return 0


def main(argv, doc):
    opts = parse_args(argv, doc)
    started = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    records, partial, runs = [], [], []
    if opts.records:
        records, partial = load_records(opts.records)
        notes = [f"records read from {', '.join(opts.records)}, not run; machine.txt "
                 "describes the machine that made this report, the records' cores column "
                 "the one that ran them"]
    else:
        _, runs, notes = plan_matrix(opts)
    out_dir = make_out_dir(opts)
    if opts.dry_run:
        return dry_run(opts, runs, records, out_dir)
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as e:  # before anything runs: bad input, not a failure
        usage_error("compare.py", f"invalid --out '{opts.out or out_dir}': {e.strerror}")
    register_bench()
    stop = None
    if opts.records:
        with open(os.path.join(out_dir, "records.jsonl"), "w", encoding="utf-8") as f:
            for rec in records:  # the comparison's own records too: incomplete stays so
                write_line(f, rec)
        failures = [r["failure"] for r in records if kind(r) == "failed"]
    else:
        records, failures, stop = run_all(opts, runs, out_dir)
        partial = [r["text"] for r in records if kind(r) == "interrupted"]
    ctx = {"notes": partial + notes, "problems": partial + failures, "out_dir": out_dir,
           "started": started, "command": shlex.join(["scripts/compare.py"] + argv)}
    with signals_held():  # what was done is written whole, whatever arrives now
        write_report(opts, measured(records), ctx)
        status = print_report(measured(records), ctx)
    if stop:
        sys.stderr.write(f"compare.py: {partial[0]}; what was done is in {out_dir}\n")
        return stop.status
    return status
