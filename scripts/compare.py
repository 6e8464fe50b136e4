#!/usr/bin/env python3
"""The comparison: every built backend and the Python baseline over the lecture's workloads,
worker counts and classes; every result checked across backends; tables, plots and a report.

Runs build/bin/gilfree-omp, gilfree-posix and gilfree-mpi (those that are built; MPI through
mpirun) and scripts/py_baseline.py (multiprocessing and threading), each with --format json,
and writes a results folder: records.jsonl (every raw record), summary.csv, machine.txt and
machine.json, report.md, and the plots with their data files. The tables are printed too.
Exit status: 0 all verified and identical, 1 a run failed, ran past --timeout or results
differ, or the records read are incomplete, 2 bad arguments (nothing is run or written), 130,
143 or 129 stopped by SIGINT, SIGTERM or SIGHUP: the child running is stopped, and the folder
holds what was done, its report saying "interrupted by SIGINT after 14 of 30 runs".
"""
import argparse
import datetime
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gfreport  # noqa: E402
from gfutil import (ROOT, MPI_ENV, Interrupted, OneLineParser, RecordsError,  # noqa: E402
                    int_in, int_list, out_dir_problem, read_records, run_child, run_main,
                    seconds_in, signals_held, version)

try:  # the micro-benchmarks, where this tree has them
    import bench_report  # noqa: E402
    EXPERIMENTS = tuple(bench_report.EXPERIMENTS)
except ImportError:
    bench_report, EXPERIMENTS = None, ()

WORKLOADS = gfreport.WORKLOADS
ALL_LABELS = gfreport.ORDER
PY_BASELINE = os.path.join(ROOT, "scripts", "py_baseline.py")
# Without --timeout a run may take this long before it is stopped and counted a failure.
DEFAULT_LIMIT = 900.0
# With --timeout a binary stops itself; it is stopped from here only this much later (mpirun's
# start and the binary's own wind-down), so that its own line says what was outstanding.
BINARY_MARGIN = 10.0
# Records that say how a comparison went rather than what a run measured.
META_KINDS = ("plan", "failed", "interrupted")


def class_list(name, allow_none=False):
    def parse(s):
        items = s.split(",")
        if allow_none and s == "none":
            return []
        for k, c in enumerate(items, 1):
            if c not in ("S", "W", "A", "B"):
                raise argparse.ArgumentTypeError(
                    f"invalid {name} '{s}': item {k} '{c}' is not S, W, A or B")
        if len(set(items)) != len(items):
            raise argparse.ArgumentTypeError(f"invalid {name} '{s}': a class twice")
        return items
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


def start_list(name):
    return word_list(name, ("fork", "spawn"))


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


def parse_args(argv):
    p = OneLineParser(prog="compare.py", description=__doc__.split("\n\n", 1)[1],
                      formatter_class=argparse.RawDescriptionHelpFormatter, epilog=(
        "Backends: omp, posix, posix-spawn (with --posix-start spawn), mpi, mpi-dynamic (with\n"
        "--mpi-schedule dynamic), python-mp, python-mp-spawn (with --python-start spawn),\n"
        "python-threads. Python runs at --python-classes only (default S): at class W its\n"
        "loops take seconds per repetition."))
    p.add_argument("-w", "--workers", type=int_list("--workers", 1, 1024), default=[1, 2, 4],
                   metavar="L", help="worker counts (default 1,2,4)")
    p.add_argument("-c", "--classes", type=class_list("--classes"), default=["S", "W"],
                   metavar="L", help="size classes, of S, W, A, B (default S,W)")
    p.add_argument("-r", "--reps", type=int_in("--reps", 1, 100000), default=5, metavar="R",
                   help="timed repetitions per run, median reported (default 5)")
    p.add_argument("--only", type=only_filter, action="append", default=[],
                   metavar="KEY=V[,KEY=V...]", help="run only these backends/workloads, e.g. "
                   "backend=omp,backend=mpi,workload=primes (repeatable)")
    p.add_argument("--python-classes", type=class_list("--python-classes", True),
                   default=["S"], metavar="L",
                   help="classes at which Python runs (default S; 'none')")
    p.add_argument("--posix-start", type=start_list("--posix-start"), default=["fork"],
                   metavar="L", help="gilfree-posix start methods: fork, spawn or fork,spawn "
                   "(default fork; spawn rows are posix-spawn)")
    p.add_argument("--python-start", type=start_list("--python-start"), default=["fork"],
                   metavar="L", help="multiprocessing start methods, the same way (spawn rows "
                   "are python-mp-spawn)")
    p.add_argument("--mpi-schedule", type=word_list("--mpi-schedule", ("static", "dynamic")),
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
    if len(set(opts.workers)) != len(opts.workers):
        p.error(f"invalid --workers '{','.join(map(str, opts.workers))}': a count twice")
    if opts.experiments is not None:
        if bench_report is None:
            p.error("invalid --experiments: the micro-benchmarks are not in this tree "
                    "(scripts/bench_report.py)")
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
    if bench_report is not None:
        gfreport.register_section(
            "bench", None, lambda recs, ctx: bench_report.bench_sections(recs, ctx["out_dir"]))


def usage_error(msg):
    sys.stderr.write(f"compare.py: {msg}\n")
    sys.exit(2)


def cores():
    return os.sysconf("SC_NPROCESSORS_ONLN")


# ---- the matrix -----------------------------------------------------------------------------

def available(build):
    """{label: how to run it} for the backends present, and notes on those absent."""
    bindir = os.path.join(build, "bin")
    found, notes = {}, []
    for name in ("omp", "posix", "mpi"):
        exe = os.path.join(bindir, f"gilfree-{name}")
        if os.access(exe, os.X_OK):
            found[name] = exe
        else:
            notes.append(f"gilfree-{name} is not built ({exe}): its rows are absent")
    if "mpi" in found and not shutil.which("mpirun"):
        notes.append("mpirun is not installed: gilfree-mpi skipped")
        del found["mpi"]
    return found, notes


def command(lab, exe, workload, cls, workers, reps, timeout=None):
    """(argv, env additions, oversubscribed) of one run; a binary gets --timeout when given."""
    common = [workload, "--class", cls, "--workers", str(workers), "--reps", str(reps),
              "--format", "json"]
    over = workers > cores()
    start = ["--start", "spawn" if lab.endswith("-spawn") else "fork"]
    if lab == "python-threads":
        return [sys.executable, PY_BASELINE] + common + ["--backend", "threads"], {}, over
    if lab.startswith("python-mp"):
        return [sys.executable, PY_BASELINE] + common + ["--backend", "mp"] + start, {}, over
    if timeout is not None:
        common += ["--timeout", timeout]
    if lab.startswith("posix"):
        return [exe] + common + start, {}, over
    if lab.startswith("mpi"):
        if lab == "mpi-dynamic":
            common += ["--schedule", "dynamic"]
        # Bound to a core each when they fit; oversubscribed ranks must yield, or a rank
        # spinning in a receive starves the one it waits for.
        launch = ["mpirun", "-np", str(workers)]
        env = dict(MPI_ENV)
        if over:
            launch += ["--bind-to", "none", "--mca", "mpi_yield_when_idle", "1"]
        else:
            launch += ["--bind-to", "core"]
        return launch + [exe] + common, env, over
    return [exe] + common, {}, over


def selected(lab, wl, only):
    """Whether a run passes the --only filters (any one of them)."""
    return not only or any(all((lab if k == "backend" else wl) in v for k, v in f.items())
                           for f in only)


def variants(name, chosen, plain, only):
    """The rows of a backend run more than one way: name for the plain way (fork, static) and
    name-<way> for the others (posix-spawn, python-mp-spawn, mpi-dynamic), as --posix-start,
    --python-start and --mpi-schedule ask, and any that --only names."""
    named = [lab[len(name) + 1:] for f in only for lab in f.get("backend", ())
             if lab.startswith(name + "-")]
    return [name if v == plain else f"{name}-{v}" for v in dict.fromkeys(list(chosen) + named)]


def base_of(lab):
    """The binary a C row runs: posix-spawn runs gilfree-posix."""
    return lab.split("-", 1)[0]


def plan(opts, found):
    labels = [lab for lab in ("omp", "posix", "mpi") if lab in found]
    for name, chosen, plain in (("posix", opts.posix_start, "fork"),
                                ("mpi", opts.mpi_schedule, "static")):
        if name in labels:
            i = labels.index(name)
            labels[i:i + 1] = variants(name, chosen, plain, opts.only)
    labels += variants("python-mp", opts.python_start, "fork", opts.only) + ["python-threads"]
    for f in opts.only:
        if "backend" in f:
            for lab in f["backend"]:
                base = base_of(lab)
                if not lab.startswith("python") and base not in found:
                    usage_error(f"invalid --only: backend '{lab}' is not built "
                                f"(no {os.path.join(opts.build, 'bin', 'gilfree-' + base)})")
    runs = []
    for cls in opts.classes:
        for wl in WORKLOADS:
            for lab in labels:
                if lab.startswith("python") and cls not in opts.python_classes:
                    continue
                if not selected(lab, wl, opts.only):
                    continue
                if lab == "mpi-dynamic" and wl != "primes":
                    continue  # only primes has a queue; the others always scatter
                for p in opts.workers:
                    runs.append((lab, found.get(base_of(lab)), wl, cls, p))
    return runs


class Progress:
    def __init__(self, total, quiet):
        self.total, self.quiet, self.t0, self.n = total, quiet, time.monotonic(), 0

    def say(self, msg):
        if not self.quiet:
            sys.stderr.write(f"[{self.n:>3}/{self.total} {time.monotonic() - self.t0:5.0f}s] "
                             f"{msg}\n")
            sys.stderr.flush()


def child_limit(opts, lab):
    """The wall-clock limit run_child puts on one run: --timeout for a Python run; for a
    binary, which stops itself at --timeout, a margin more, so that its own line comes first."""
    if opts.timeout is None:
        return DEFAULT_LIMIT
    limit = float(opts.timeout)
    return limit if lab.startswith("python") else limit * 1.1 + BINARY_MARGIN


def json_record(stdout):
    """The one json object a run prints, or None."""
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    try:
        rec = json.loads(lines[0]) if len(lines) == 1 else None
    except ValueError:
        return None
    return rec if isinstance(rec, dict) else None


def run_one(opts, run, env_base, progress):
    """Runs one planned run: (its record, or a "failed" record saying why there is none;
    the failure's line or None)."""
    lab, exe, wl, cls, p = run
    argv, env_add, over = command(lab, exe, wl, cls, p, opts.reps, opts.timeout)
    progress.n += 1
    what = f"{lab} {wl} class {cls}, {p} worker{'s' if p > 1 else ''}"
    if over:
        what += f" (oversubscribed: {p} workers on {cores()} cores)"
    progress.say(what)
    t0 = time.monotonic()
    limit = child_limit(opts, lab)
    done = run_child(argv, {**env_base, **env_add}, limit)
    took = time.monotonic() - t0
    failed = {"kind": "failed", "label": lab, "workload": wl, "class": cls, "workers": p,
              "command": shlex.join(argv)}
    if done is None:
        failed["failure"] = (f"{what}: timed out: no result within {limit:g} s: "
                             f"{shlex.join(argv)}")
        return failed, failed["failure"]
    if done.returncode != 0 and opts.timeout is not None and took >= float(opts.timeout):
        what += f": timed out (--timeout {opts.timeout} s)"
    rec = json_record(done.stdout)
    if rec is None:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        failed["failure"] = (f"{what}: exit status {done.returncode}, no json record "
                             f"({tail}): {shlex.join(argv)}")
        return failed, failed["failure"]
    rec.update(kind="run", label=lab, oversubscribed=over, command=shlex.join(argv),
               exit_status=done.returncode)
    if not opts.quiet:
        sys.stderr.write(f"      {rec['par_s']['median']:.4g} s, speedup "
                         f"{rec['speedup']:.2f}x, {took:.1f} s\n")
    if done.returncode != 0:
        return rec, f"{what}: exit status {done.returncode}: {rec.get('notes')}"
    return rec, None


def write_line(f, rec):
    f.write(json.dumps(rec, separators=(",", ":")) + "\n")
    f.flush()


def stopped_record(stop, what):
    """The record that says a comparison was cut short, where stop (an Interrupted) says how
    far it came."""
    text = f"interrupted by {stop.name} after {stop.done} of {stop.planned} {what}"
    return {"kind": "interrupted", "signal": stop.name, "done": stop.done,
            "planned": stop.planned, "what": what, "text": text}


def run_matrix(opts, runs, out_dir, progress):
    """Runs each planned run, appending its record to records.jsonl as it comes, after a
    "plan" record with their number; a stop signal ends it with an "interrupted" record.
    Returns (records, failures, None or the Interrupted)."""
    records, failures, stop = [], [], None
    env_base = dict(os.environ)
    env_base.pop("OMP_NUM_THREADS", None)
    with open(os.path.join(out_dir, "records.jsonl"), "w", encoding="utf-8") as jsonl:
        records.append({"kind": "plan", "runs": len(runs)})
        write_line(jsonl, records[-1])
        try:
            for run in runs:
                rec, failure = run_one(opts, run, env_base, progress)
                with signals_held():  # a record is written whole
                    records.append(rec)
                    failures += [failure] if failure else []
                    write_line(jsonl, rec)
        except Interrupted as e:
            stop = e
            stop.done, stop.planned = len(records) - 1, len(runs)
            with signals_held():
                records.append(stopped_record(stop, "runs"))
                write_line(jsonl, records[-1])
    return records, failures, stop


RUN_FIELDS = ("backend", "workload", "class", "workers", "cores", "params", "results",
              "verified", "seq_s", "par_s", "speedup", "phases", "task_s", "reps")
META_FIELDS = {"plan": ("runs",), "failed": ("failure",), "interrupted": ("text",)}


def run_fields(rec):
    """What a run or a comparison's own record lacks, or None; records of other kinds are not
    checked here."""
    k = gfreport.kind(rec)
    fields = RUN_FIELDS if k == "run" else META_FIELDS.get(k, ())
    missing = [f for f in fields if f not in rec]
    if missing:
        return f"lacks {', '.join(missing)}"
    if k == "plan" and not (isinstance(rec["runs"], int) and rec["runs"] >= 0):
        return "has a plan whose runs is not a count"
    return None


def incomplete(path, records):
    """Lines saying that the records of path are not a whole comparison: one that was
    interrupted, or planned more runs than it has (killed before it could say so)."""
    def of(k):
        return [r for r in records if gfreport.kind(r) == k]
    lines = [f"{path}: incomplete: {r['text']}" for r in of("interrupted")]
    planned = sum(r["runs"] for r in of("plan"))
    finished = len(of("run")) + len(of("failed"))
    if not lines and finished < planned:
        lines.append(f"{path}: incomplete: {finished} of {planned} runs, and no record of why "
                     "(the comparison was killed)")
    return lines


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
            usage_error(str(e))
        records += recs
        partial += incomplete(path, recs)
    return records, partial


def measured(records):
    """The records that say what was measured, not how the comparison went."""
    return [r for r in records if gfreport.kind(r) not in META_KINDS]


# ---- the machine ----------------------------------------------------------------------------

def first_line(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if out.returncode == 0 and text else None


def machine(build):
    info = {"cores": cores()}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            info["cpu"] = next((line.split(":", 1)[1].strip() for line in f
                                if line.startswith("model name")), platform.processor())
    except OSError:
        info["cpu"] = platform.processor() or "unknown"
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            kb = int(next(line for line in f if line.startswith("MemTotal")).split()[1])
        info["memory"] = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        info["memory"] = "unknown"
    info["kernel"] = platform.release()
    info["gcc"] = first_line(["gcc", "--version"]) or "gcc not found"
    mpi = first_line(["ompi_info", "--version"]) or first_line(["mpirun", "--version"])
    info["mpi"] = mpi or "no MPI"
    info["python"] = platform.python_version()
    info["gnuplot"] = first_line(["gnuplot", "--version"]) or "not installed"
    info["gilfree"] = version()
    for name in ("omp", "posix", "mpi"):
        v = first_line([os.path.join(build, "bin", f"gilfree-{name}"), "--version"])
        if v:
            info[f"gilfree-{name}"] = v
    commit = first_line(["git", "-C", ROOT, "rev-parse", "HEAD"])
    if commit:
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain",
                                "--untracked-files=no"], capture_output=True, text=True)
        commit += " (with uncommitted changes)" if dirty.stdout.strip() else ""
    info["commit"] = commit or "unknown (not a git checkout)"
    return info


# ---- main -----------------------------------------------------------------------------------

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
        usage_error(f"invalid --out '{opts.out or out}': {problem}")
    return out


def plan_matrix(opts):
    """(the binaries found, the runs, the report's notes) of a comparison that runs."""
    if not os.path.isdir(opts.build):
        usage_error(f"invalid --build '{opts.build}': no such folder")
    found, notes = available(opts.build)
    if not found:
        usage_error(f"no gilfree binary in {os.path.join(opts.build, 'bin')}: build first")
    runs = plan(opts, found)
    if not runs:
        usage_error("nothing to run: --only, --classes and --python-classes leave no run")
    skipped = [c for c in opts.classes if c not in opts.python_classes]
    ran = [c for c in opts.classes if c in opts.python_classes]
    if skipped and not ran:
        notes.append("Python did not run (--python-classes)")
    elif skipped:
        notes.append(f"Python ran at class {', '.join(ran)} only (--python-classes), not "
                     f"at {', '.join(skipped)}: its loops take seconds per repetition there")
    notes.append(f"{opts.reps} timed repetitions per run after one warm-up; worker counts "
                 f"{','.join(map(str, opts.workers))}; {cores()} cores: runs with more "
                 "workers than cores are oversubscribed (marked *); MPI runs bind each rank "
                 "to a core when they fit, and yield when idle when they do not")
    if opts.timeout is not None:
        notes.append(f"each run had {opts.timeout} s (--timeout)")
    return found, runs, notes


def dry_run(opts, runs, records, out_dir):
    for lab, exe, wl, cls, p in runs:
        argv, env, over = command(lab, exe, wl, cls, p, opts.reps, opts.timeout)
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
    bench, bench_failures, stop = bench_report.collect(
        opts.build, None, quick=opts.bench_quick, workers=min(2, cores()),
        progress=progress.say, experiments=opts.experiments)
    with signals_held():
        if stop:
            bench.append(stopped_record(stop, "micro-benchmarks (after every run)"))
        with open(os.path.join(out_dir, "records.jsonl"), "a", encoding="utf-8") as f:
            for rec in bench:
                write_line(f, rec)
    return records + bench, failures + bench_failures, stop


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
    problems, ctx["groups"] = gfreport.cross_check(records)
    ctx["problems"] = ctx["problems"] + problems
    gfreport.write_summary(os.path.join(out_dir, "summary.csv"), records)
    try:
        ctx["images"] = gfreport.write_plots(out_dir, records)
        if ctx["images"] is None:
            ctx["notes"].append("gnuplot is not installed: no plots")
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
        ctx["images"] = []  # a plot that cannot be drawn is said, but the results stand
        ctx["notes"].append(f"plots incomplete: {e}")
    with open(os.path.join(out_dir, "report.md"), "w", encoding="utf-8") as f:
        f.write(gfreport.report_markdown(records, ctx))


def print_report(records, ctx):
    """The tables and the verdict on stdout; returns 1 if there is a problem, else 0."""
    info, out_dir = ctx["machine"], ctx["out_dir"]
    runs_checked = sum(1 for r in records if gfreport.kind(r) == "run")
    others = len(records) - runs_checked
    print(f"# {info['cpu']}, {info['cores']} cores; {runs_checked} runs"
          f"{f' and {others} other records' if others else ''}; results in {out_dir}")
    for line in ctx["notes"]:
        print(f"# {line}")
    print()
    print(gfreport.terminal_text(records), end="")
    lecture = gfreport.lecture_pool(records)
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


def main(argv):
    opts = parse_args(argv)
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
        usage_error(f"invalid --out '{opts.out or out_dir}': {e.strerror}")
    register_bench()
    stop = None
    if opts.records:
        with open(os.path.join(out_dir, "records.jsonl"), "w", encoding="utf-8") as f:
            for rec in records:  # the comparison's own records too: incomplete stays so
                write_line(f, rec)
        failures = [r["failure"] for r in records if gfreport.kind(r) == "failed"]
    else:
        records, failures, stop = run_all(opts, runs, out_dir)
        partial = [r["text"] for r in records if gfreport.kind(r) == "interrupted"]
    ctx = {"notes": partial + notes, "problems": partial + failures, "out_dir": out_dir,
           "started": started, "command": shlex.join(["scripts/compare.py"] + argv)}
    with signals_held():  # what was done is written whole, whatever arrives now
        write_report(opts, measured(records), ctx)
        status = print_report(measured(records), ctx)
    if stop:
        sys.stderr.write(f"compare.py: {partial[0]}; what was done is in {out_dir}\n")
        return stop.status
    return status


if __name__ == "__main__":
    run_main("compare.py", main, signals=True)
