"""The comparison's matrix: which backends are built, the runs of the options (every class,
workload, row and worker count), the command line of each, and running them one by one into
records.jsonl."""
import os
import shlex
import shutil
import sys
import time

from . import backends, launch
from .project import ROOT, cores
from .records import json_record, stopped_record, write_line
from .cli import usage_error
from .runner import Interrupted, run_child, signals_held
from .workloads import WORKLOADS

# Without --timeout a run may take this long before it is stopped and counted a failure.
DEFAULT_LIMIT = 900.0
# With --timeout a binary stops itself; it is stopped from here only this much later (mpirun's
# start and the binary's own wind-down), so that its own line says what was outstanding.
BINARY_MARGIN = 10.0


def available(build):
    """{backend: its binary} for the C backends built, and notes on those absent."""
    bindir = os.path.join(build, "bin")
    found, notes = {}, []
    for name in backends.C_BACKENDS:
        binary = backends.backend(name).binary
        exe = os.path.join(bindir, binary)
        if not os.access(exe, os.X_OK):
            notes.append(f"{binary} is not built ({exe}): its rows are absent")
            continue
        words = launch.get(backends.backend(name).launcher).words
        if words and not shutil.which(words[0]):
            notes.append(f"{words[0]} is not installed: {binary} skipped")
            continue
        found[name] = exe
    return found, notes


def auto_options(opts):
    """--reps auto's target and cap, where the comparison was given them, for every run."""
    return [x for name in ("ci_target", "reps_cap") if getattr(opts, name, None) is not None
            for x in ("--" + name.replace("_", "-"), getattr(opts, name))]


def command(lab, exe, workload, cls, workers, reps, timeout=None, auto=()):
    """(argv, env additions, oversubscribed) of one run; a binary gets --timeout when given;
    auto: --reps auto's options (auto_options)."""
    row = backends.get(lab)
    back = backends.backend(row.backend)
    common = [workload, "--class", cls, "--workers", str(workers), "--reps", str(reps),
              *auto, "--format", "json"]
    if back.script:
        program = [sys.executable, os.path.join(ROOT, "scripts", back.script)]
    else:
        program = [exe]
        common += ["--timeout", timeout] if timeout is not None else []
    ranks = 1 if back.launcher == "local" else workers
    argv, env = launch.command(back.launcher, program + common + list(row.options),
                               ranks=ranks, cores=cores())
    return argv, env, workers > cores()


def selected(lab, wl, only):
    """Whether a run passes the --only filters (any one of them)."""
    return not only or any(all((lab if k == "backend" else wl) in v for k, v in f.items())
                           for f in only)

# The comparison's option that chooses the rows of a backend run more than one way.
WAY_OPTIONS = {"posix": "posix_start", "mpi": "mpi_schedule", "python-mp": "python_start"}


def rows(opts, found):
    """The rows to run, in the registry's order: the C backends built, then Python's."""
    labels = []
    for name in backends.BACKENDS:
        if name in backends.C_BACKENDS and name not in found:
            continue
        if name in WAY_OPTIONS:
            labels += backends.variants(name, getattr(opts, WAY_OPTIONS[name]), opts.only)
        else:
            labels.append(name)
    for f in opts.only:
        for lab in f.get("backend", ()):
            base = backends.get(lab).backend
            if not backends.is_python(lab) and base not in found:
                binary = backends.backend(base).binary
                usage_error("compare.py", f"invalid --only: backend '{lab}' is not built "
                            f"(no {os.path.join(opts.build, 'bin', binary)})")
    return labels


def plan(opts, found):
    """Every run of the options: (row, binary, workload, class, workers)."""
    labels = rows(opts, found)
    runs = []
    for cls in opts.classes:
        for wl in WORKLOADS:
            for lab in labels:
                if backends.is_python(lab) and cls not in opts.python_classes:
                    continue
                if not selected(lab, wl, opts.only) or not backends.runs(lab, wl):
                    continue
                for p in opts.workers:
                    runs.append((lab, found.get(backends.get(lab).backend), wl, cls, p))
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
    return limit if backends.is_python(lab) else limit * 1.1 + BINARY_MARGIN


def run_one(opts, run, env_base, progress):
    """Runs one planned run: (its record, or a "failed" record saying why there is none;
    the failure's line or None)."""
    lab, exe, wl, cls, p = run
    argv, env_add, over = command(lab, exe, wl, cls, p, opts.reps, opts.timeout,
                                  auto_options(opts))
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
