"""The comparison's matrix: which backends are built, the runs of the options (every class,
workload, row and worker count), the command line of each, and running them into
records.jsonl in --order (interleaved rounds or blocked), each run again while its record says
it was disturbed."""
import os
import shlex
import shutil
import sys
import time

from . import backends, bench, launch, rounds, slurm
from .cluster import ClusterError
from .disturbance import how, run_again
from .project import ROOT, cores
from .records import json_record, kind, stopped_record, write_line
from .cli import usage_error
from .runner import Interrupted, failure_reason, run_child, signals_held
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


# The rows of an MPI row across hosts ("mpi@spread"): how its ranks are mapped onto the hosts.
MAPPINGS = {
    "spread": ("--map-by", "node"),  # one rank per host in turn
    "packed": ("--map-by", "slot"),  # each host's slots filled in turn
    "as-given": (),                  # the mapping of --mpirun-args
}
# The same under srun (compare.py --slurm): the tasks dealt to the nodes in turn, or each
# node's CPUs filled in turn.
SRUN_MAPPINGS = {"spread": ("-m", "cyclic"), "packed": ("-m", "block"), "as-given": ()}


# The backends whose ranks may run across hosts: MPI's, and ranks of threads.
ACROSS = ("mpi", "hybrid")


def across(lab):
    """(the row, the mapping) of a row across hosts, or (lab, None)."""
    row, at, mapping = lab.partition("@")
    return (row, mapping) if at else (lab, None)


def auto_options(opts):
    """--reps auto's target and cap, where the comparison was given them, for every run."""
    return [x for name in ("ci_target", "reps_cap") if getattr(opts, name, None) is not None
            for x in ("--" + name.replace("_", "-"), getattr(opts, name))]


def command(lab, exe, workload, cls, workers, reps, timeout=None, hosts=None, extra=(),
            auto=()):
    """(argv, env additions, oversubscribed) of one run; a binary gets --timeout when given;
    auto: --reps auto's options (auto_options). A row across hosts ("mpi@spread") runs under
    hosts' launcher (a cluster.Cluster or Hostfile) with its mapping and the words extra
    (--mpirun-args)."""
    lab, mapping = across(lab)
    row = backends.get(lab)
    back = backends.backend(row.backend)
    common = [workload, "--class", cls, "--workers", str(workers), "--reps", str(reps),
              *auto, "--format", "json"]
    if back.script:
        program = [sys.executable, os.path.join(ROOT, "scripts", back.script)]
    else:
        program = [exe]
        common += ["--timeout", timeout] if timeout is not None else []
    ranks = 1 if back.launcher == "local" else workers // row.threads
    if getattr(hosts, "launcher", None) == "srun" and back.launcher == "mpirun":
        # inside a Slurm allocation every MPI row starts with srun: on one node, or across
        nodes = hosts.nodes(mapping, ranks, row.threads)
        over = ranks * row.threads > (hosts.cpus or cores()) * nodes
        # more workers than CPUs is a row the comparison asks for (marked *), as with mpirun on
        # one host: srun must be told, or it refuses the step
        argv, env = launch.command("srun", program + common + list(row.options), ranks=ranks,
                                   threads=row.threads, nodes=nodes,
                                   extra=list(SRUN_MAPPINGS[mapping or "packed"])
                                   + (["--overcommit"] if over else []))
        return argv, env, over
    if mapping:
        words = list(MAPPINGS[mapping])
        if hosts.launcher == "hostfile" and row.threads > 1 and len(words) == 2:
            # a rank of T threads gets T cores of its host, not the one core per rank that
            # Open MPI binds to by default on a real cluster
            words[1] += f":PE={row.threads}"
        argv, env = launch.command(hosts.launcher, program + common + list(row.options),
                                   ranks=ranks, threads=row.threads,
                                   extra=words + list(extra), **hosts.values())
        # a virtual cluster's hosts share this machine's cores; a real one's are unknown here
        return argv, env, hosts.launcher == "vcluster" and workers > cores()
    argv, env = launch.command(back.launcher, program + common + list(row.options),
                               ranks=ranks, threads=row.threads, cores=cores())
    return argv, env, workers > cores()


def selected(lab, wl, only):
    """Whether a run passes the --only filters (any one of them)."""
    return not only or any(all((lab if k == "backend" else wl) in v for k, v in f.items())
                           for f in only)

# The comparison's option that chooses the rows of a backend run more than one way.
WAY_OPTIONS = {"posix": "posix_start", "mpi": "mpi_schedule", "python-mp": "python_start",
               "hybrid": "hybrid_threads"}


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
    """Every run of the options: (row, binary, workload, class, workers). With hosts to run
    across (--vcluster, --hostfile), the runs of 2 ranks or more of the MPI rows and of the
    ranks of threads once more per mapping, after all the others (the hosts are set up once
    for them): "spread" puts one rank per host, a rank of threads filling its host with its
    team, the classic hybrid layout."""
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
                    if p % backends.get(lab).threads:
                        continue  # a team size that does not divide P: no such split
                    runs.append((lab, found.get(backends.get(lab).backend), wl, cls, p))
    if getattr(opts, "hosts", None) is not None:
        runs += [(f"{lab}@{m}", exe, wl, cls, p) for lab, exe, wl, cls, p in list(runs)
                 if backends.get(lab).backend in ACROSS and p // backends.get(lab).threads >= 2
                 for m in opts.mappings]
    return runs


class Progress:
    """The progress lines on stderr: "[ n/total elapsed] what", and, once a start has been
    timed, the time left: each start still to come is estimated by the mean time of the starts
    of its own (class, workload) so far, else of its class, else of all (keys: the (class,
    workload) of every planned start, in order; start_keys)."""

    def __init__(self, total, quiet, keys=None):
        self.total, self.quiet, self.t0, self.n = total, quiet, time.monotonic(), 0
        self.keys, self.took = list(keys or []), {}

    def timed(self, key, seconds):
        """One start of (class, workload) key took seconds (its re-runs too)."""
        self.took.setdefault(tuple(key), []).append(seconds)

    def left(self):
        """The seconds the starts from the current one on are estimated to take, or None."""
        if not self.took or len(self.keys) < self.total:
            return None
        every = [t for ts in self.took.values() for t in ts]

        def guess(key):
            same = self.took.get(tuple(key)) or [t for k, ts in self.took.items()
                                                  if k[0] == key[0] for t in ts] or every
            return sum(same) / len(same)
        return sum(guess(k) for k in self.keys[max(self.n - 1, 0):])  # this one too

    def say(self, msg):
        if not self.quiet:
            left = self.left()
            eta = f" (about {left:.0f} s left)" if left is not None and self.n else ""
            sys.stderr.write(f"[{self.n:>3}/{self.total} {time.monotonic() - self.t0:5.0f}s] "
                             f"{msg}{eta}\n")
            sys.stderr.flush()


def start_keys(opts, runs):
    """The (class, workload) of every start of the binaries in the order they come (the runs
    here in every round, then those across hosts once each), as starts() counts them."""
    here = [(r[3], r[2]) for r in runs if not across(r[0])[1]]
    there = [(r[3], r[2]) for r in runs if across(r[0])[1]]
    return here * (opts.reps if opts.order == "interleaved" else 1) + there


def child_limit(opts, lab):
    """The wall-clock limit run_child puts on one run: --timeout for a Python run; for a
    binary, which stops itself at --timeout, a margin more, so that its own line comes first."""
    if opts.timeout is None:
        return DEFAULT_LIMIT
    limit = float(opts.timeout)
    # a row across hosts ("mpi@spread") is its row's program
    return limit if backends.is_python(across(lab)[0]) else limit * 1.1 + BINARY_MARGIN


def what_run(run, where=None):
    """The words naming one planned run (and its round) in progress lines and failures."""
    lab, _, wl, cls, p = run
    what = f"{lab} {wl} class {cls}, {p} worker{'s' if p > 1 else ''}"
    if p > cores():
        what += f" (oversubscribed: {p} workers on {cores()} cores)"
    if where and where[1] > 1:
        what += f", round {where[0]} of {where[1]}"
    return what


def run_one(opts, run, env_base, reps, where=None):
    """Starts one planned run once, with --reps reps: (its record, or a "failed" record saying
    why there is none; the failure's line or None). The record gets what the run cost: rusage
    (runner.usage) and steal_s, the machine's steal time from the run's start to its end as
    seen from here, whether or not the binary reads it itself, and wall_s, the time from its
    start to its end (its warm-up and sequential loop too)."""
    lab, exe, wl, cls, p = run
    argv, env_add, over = command(lab, exe, wl, cls, p, reps, opts.timeout,
                                  getattr(opts, "hosts", None), getattr(opts, "mpirun_args", ()),
                                  auto_options(opts))
    what = what_run(run, where)
    t0 = time.monotonic()
    limit = child_limit(opts, lab)
    env = {**env_base, **env_add}
    if across(lab)[1] and getattr(opts.hosts, "launcher", None) == "hostfile":
        env.pop("OMPI_MCA_rmaps_base_oversubscribe", None)  # only when asked (--mpirun-args)
    done = run_child(argv, env, limit, peak=True)
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
        failed["failure"] = (f"{what}: exit status {done.returncode}, no json record "
                             f"({failure_reason(done.stderr)}): {shlex.join(argv)}")
        failed.update(rusage=done.rusage, steal_s=done.steal_s)
        return failed, failed["failure"]
    rec.update(kind="run", label=lab, oversubscribed=over, command=shlex.join(argv),
               exit_status=done.returncode, wall_s=round(took, 6), rusage=done.rusage,
               steal_s=done.steal_s)
    if getattr(opts.hosts, "launcher", None) == "srun" and backends.get(
            across(lab)[0]).backend in ACROSS:
        # Slurm's own view of where each rank ran and the CPUs it was bound to
        launch.add_masks(rec, {b["rank"]: b for b in slurm.bindings(done.stderr)},
                         "srun --cpu-bind=verbose")
    if across(lab)[1]:
        place_across(rec, done.stdout, done.stderr, opts.hosts, across(lab)[1])
        if not opts.quiet:
            sys.stderr.write(f"      ranks per host: {launch.record_ranks_per_host(rec)}\n")
    if not opts.quiet:
        sys.stderr.write(f"      {rec['par_s']['median']:.4g} s, speedup "
                         f"{rec['speedup']:.2f}x, {took:.1f} s\n")
    if done.returncode != 0:
        return rec, f"{what}: exit status {done.returncode}: {rec.get('notes')}"
    return rec, None


class Writer:
    """records.jsonl as it is written, and the same records in memory: each one whole."""

    def __init__(self, f):
        self.f, self.records = f, []

    def add(self, rec):
        with signals_held():
            self.records.append(rec)
            write_line(self.f, rec)


def settle(opts, run, env_base, progress, out, reps, where=None):
    """Runs one planned run (or one round of it: where is (round, rounds)), and again while its
    record says it was disturbed, up to --reruns times (disturbance.run_again). Every attempt's
    record goes to records.jsonl, kind "attempt", numbered from 1; returns the last attempt's
    record with "reruns", the count of re-runs it took, and its failure line or None."""
    progress.n += 1
    progress.say(what_run(run, where))
    attempts, t0 = [], time.monotonic()
    while True:
        rec, failure = run_one(opts, run, env_base, reps, where)
        if kind(rec) != "failed":
            out.add(dict(rec, kind="attempt", attempt=len(attempts) + 1,
                         **({"round": where[0]} if where else {})))
        attempts.append(None if kind(rec) == "failed" else rec)
        if not run_again(attempts, opts.reruns):
            break
        progress.say(f"  re-run {len(attempts)} of {opts.reruns}: disturbed ({how(rec)})")
    progress.timed((run[3], run[2]), time.monotonic() - t0)  # its re-runs too
    rec["reruns"] = len(attempts) - 1
    return rec, failure


def as_run(rec, order, rounds):
    """A run's record as the comparison reports it: the comparison's order and rounds, and
    the binary's own order of its sequential and parallel repetitions as reps_order."""
    out = dict(rec, kind="run", order=order, rounds=rounds)
    out["reps_order"] = rec.get("order")
    return out


def starts(opts, runs):
    """How many times the binaries are started, re-runs aside (the runs across hosts once
    each, in blocked order)."""
    here = sum(1 for r in runs if not across(r[0])[1])
    return here * (opts.reps if opts.order == "interleaved" else 1) + len(runs) - here


def run_blocked(opts, runs, env_base, progress, out, failures):
    """Each run once with --reps R, one after the other (all of A's repetitions, then B's)."""
    done = 0
    try:
        for run in runs:
            rec, failure = settle(opts, run, env_base, progress, out, opts.reps)
            with signals_held():  # a record is written whole
                out.add(rec if kind(rec) == "failed" else as_run(rec, "blocked", 1))
                failures += [failure] if failure else []
                done += 1
    except Interrupted as e:
        e.done, e.planned, e.what = done, len(runs), "runs"
        raise


def run_interleaved(opts, runs, env_base, progress, out, failures):
    """Rounds that visit every run in turn, each start with --reps 1: round 1 runs every run
    once in the matrix's order, round 2 every run again, and so on for R rounds, so that a
    drift of the machine falls on every run alike. Each round's record is kept (kind
    "round"); a run's rounds are then merged into its record (rounds.merge). A disturbed round
    is re-run in place. A run that fails is not run in later rounds: a failure without a record
    is its "failed" record; one with a record (a non-zero exit) joins the rounds it has."""
    got, live, done, stop = [[] for _ in runs], list(range(len(runs))), 0, None
    try:
        for r in range(1, opts.reps + 1):
            for i in list(live):
                rec, failure = settle(opts, runs[i], env_base, progress, out, 1, (r, opts.reps))
                with signals_held():
                    if kind(rec) == "failed":
                        got[i] = None
                        out.add(dict(rec, round=r))
                    else:
                        got[i].append(dict(rec, kind="round", round=r))
                        out.add(got[i][-1])
                    if failure:
                        live.remove(i)
                        failures.append(failure)
                    done += 1
    except Interrupted as e:
        stop = e
    try:
        with signals_held():  # the rounds done make the runs' records, an interrupt or not
            for recs in got:
                if recs:
                    out.add(as_run(rounds.merge(recs), "interleaved", len(recs)))
    except Interrupted as e:
        stop = stop or e
    if stop:
        stop.done, stop.planned = done, len(runs) * opts.reps
        stop.what = "runs" if opts.reps == 1 else \
            f"runs of one repetition ({opts.reps} rounds of {len(runs)} runs)"
        raise stop


def plan_record(opts, runs):
    """The first record: how many runs, in which order, in how many rounds, with how many
    re-runs allowed."""
    return {"kind": "plan", "runs": len(runs), "order": opts.order,
            "rounds": opts.reps if opts.order == "interleaved" else 1, "reps": opts.reps,
            "reruns": opts.reruns}


def place_across(rec, stdout, stderr, hosts, mapping):
    """Adds to a record across hosts where its ranks ran (placement: the binary's own where it
    has one, else mpirun's job map, which names the host of each rank but not its CPU), the
    mapping and the hosts it ran on."""
    if not rec.get("placement"):
        rec["placement"] = launch.placement(stdout) or []
        rec["placement_from"] = "mpirun --display-map"
    if hosts.launcher == "hostfile":
        launch.add_masks(rec, launch.report_bindings(stderr), "mpirun --report-bindings")
    rec.update(mapping=mapping, across=hosts.describe()["cluster"], cluster=hosts.name,
               hosts_used=len({p["host"] for p in rec["placement"]}))


def run_across(opts, runs, env_base, progress, out, failures):
    """The runs across hosts, after all the others and in blocked order (each once with
    --reps R: the hosts are set up once for them): the hosts set up (a virtual cluster built),
    a "cluster" record saying what they are, each run (again while disturbed, as every run),
    and the IPC benchmark between two hosts beside one host; then the hosts released (the
    cluster removed) on every way out. A cluster that cannot be built makes each run a
    "failed" record."""
    try:
        _across(opts, runs, env_base, progress, out, failures)
    except Interrupted as e:  # the runs on one host are all done by now
        e.done, e.planned, e.what = e.done or 0, len(runs), \
            "runs across hosts (every run on one host done)"
        raise


def _across(opts, runs, env_base, progress, out, failures):
    """run_across's work; an Interrupted carries how many runs across hosts were done."""
    hosts, done = opts.hosts, 0
    try:
        hosts.up()
    except ClusterError as e:
        progress.say(f"cannot run across hosts: {e}")
        for lab, _, wl, cls, p in runs:
            progress.n += 1
            rec = {"kind": "failed", "label": lab, "workload": wl, "class": cls, "workers": p,
                   "failure": f"{lab} {wl} class {cls}, {p} workers: not run: {e}"}
            out.add(rec)
            failures.append(rec["failure"])
        return
    try:
        out.add(hosts.describe())
        progress.say(f"across hosts: {hosts.name}, {len(hosts.hosts)} hosts")
        for run in runs:
            rec, failure = settle(opts, run, env_base, progress, out, opts.reps)
            with signals_held():
                out.add(rec if kind(rec) == "failed" else as_run(rec, "blocked", 1))
                failures += [failure] if failure else []
                done += 1
        if opts.hosts_bench:
            got, bad = bench.ipc_across(opts.build, hosts, opts.bench_quick,
                                        opts.mpirun_args, progress.say)
            with signals_held():
                for rec in got:
                    out.add(rec)
                failures += bad
    except Interrupted as e:
        e.done = done
        raise
    finally:
        problems = hosts.down()
        failures += [f"removing {hosts.name}: {line}" for line in problems]


def run_matrix(opts, runs, out_dir, progress):
    """Runs the planned runs in --order, appending every record to records.jsonl as it comes,
    after a "plan" record; a stop signal ends it with an "interrupted" record. Returns
    (records, failures, None or the Interrupted)."""
    failures, stop = [], None
    env_base = dict(os.environ)
    env_base.pop("OMP_NUM_THREADS", None)
    # a default hostfile inherited from a cluster's head (vcluster.py run) would spread the
    # one-host rows over its hosts: the rows across hosts name their hostfile themselves
    env_base.pop("OMPI_MCA_orte_default_hostfile", None)
    order = run_interleaved if opts.order == "interleaved" else run_blocked
    with open(os.path.join(out_dir, "records.jsonl"), "w", encoding="utf-8") as jsonl:
        out = Writer(jsonl)
        out.add(plan_record(opts, runs))
        try:
            order(opts, [r for r in runs if not across(r[0])[1]], env_base, progress, out,
                  failures)
            runs_across = [r for r in runs if across(r[0])[1]]
            if runs_across:
                run_across(opts, runs_across, env_base, progress, out, failures)
        except Interrupted as e:
            stop = e
            out.add(stopped_record(stop, stop.what))
    return out.records, failures, stop
