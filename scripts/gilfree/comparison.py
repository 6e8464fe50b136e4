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

from . import (acrosshosts, bench, cluster, crosscheck, findings, matrix, plots, report,
               simulate, slurm, tables, topology)
from .backends import LABELS, ORDER as ALL_LABELS, ways
from .cli import (OneLineParser, add_reps_auto_options, class_list, int_in, int_list, one_of,
                  reps_or_auto, seconds_in, usage_error, word_list)
from .cluster import MAX_HOSTS, Hostfile, parse_rate
from .matrix import (BINARY_MARGIN, DEFAULT_LIMIT, WAY_OPTIONS, Progress, across, plan,
                     run_matrix, start_keys, starts)
from .project import ROOT, cores, default_build, machine, out_dir_problem
from .records import (RecordsError, incomplete, kind, measured, read_records, run_fields,
                      stopped_record, write_line)
from .runner import Interrupted, signals_held
from .workloads import EXPERIMENTS, WORKLOADS


# The default repetitions (rounds, interleaved): the fewest samples whose median's 95%
# interval lies inside [min, max] (stats.median_ci_ranks(9) is (2, 8)), so that one stray
# sample at either end does not make the interval.
DEFAULT_REPS = 9


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


def team_list(s):
    """--hybrid-threads: a comma-separated list of the hybrid rows' team sizes."""
    sizes = ways("hybrid")
    out = []
    for c in s.split(","):
        if not c.isdigit() or int(c) not in sizes:
            raise argparse.ArgumentTypeError(
                f"invalid --hybrid-threads '{s}': '{c}' is not one of "
                f"{', '.join(map(str, sizes))}")
        out.append(int(c))
    return list(dict.fromkeys(out))


def parse_args(argv, doc):
    p = OneLineParser(prog="compare.py", description=doc.split("\n\n", 1)[1],
                      formatter_class=argparse.RawDescriptionHelpFormatter,
                      epilog=backends_text())
    add_matrix_args(p)
    add_output_args(p)
    add_hosts_args(p)
    simulate.add_args(p)
    p.add_argument("-n", "--dry-run", action="store_true",
                   help="print the runs' commands and stop: nothing is run or written")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    p.add_argument("--brief", action="store_true", help="print what this run found and the "
                   "report's path, not the tables (they are in report.md)")
    opts = p.parse_args(argv)
    check_reps(p, opts)
    check_matrix(p, opts)
    hosts_options(p, opts)
    simulate.check_options(p, opts)
    return opts


def add_matrix_args(p):
    """The matrix: its worker counts, classes, repetitions and order, and its rows."""
    p.add_argument("-w", "--workers", type=int_list("--workers", 1, 1024), default=[1, 2, 4],
                   metavar="L", help="worker counts (default 1,2,4)")
    p.add_argument("-c", "--classes", type=class_list("--classes"), default=["S", "W"],
                   metavar="L", help="size classes, of S, W, A, B (default S,W)")
    p.add_argument("-r", "--reps", type=reps_or_auto("--reps", 100000), default=DEFAULT_REPS,
                   metavar="R", help="timed repetitions per run, median reported (default "
                   f"{DEFAULT_REPS}, the fewest whose median's 95%% confidence interval is not "
                   "simply the lowest and highest sample; 6 is the fewest with one at all); with "
                   "--order interleaved, the rounds; or auto: each run repeats until the 95%% "
                   "confidence intervals of its medians are within --ci-target (the binaries' "
                   "--reps auto; blocked order only, which it implies)")
    add_reps_auto_options(p, 86400, "seconds the timed repetitions of one run may take")
    p.add_argument("--order", type=one_of("--order", ("interleaved", "blocked")),
                   default=None, metavar="O", help="interleaved (default): R rounds "
                   "that start every run once with --reps 1, in the matrix's order (A B C A B "
                   "C ...), so that a drift of the machine falls on every run alike; each run's "
                   "record joins its rounds' samples. blocked: each run once with --reps R, "
                   "one after the other (the order of --reps auto, whose count each run "
                   "decides)")
    p.add_argument("--reruns", type=int_in("--reruns", 0, 100), default=2, metavar="N",
                   help="run a run (a round, interleaved) again while its record says it was "
                   "disturbed (a worker got less of a core than it could expect), at most N "
                   "times (default 2; 0: never); one still disturbed is marked in the report")
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
    p.add_argument("--hybrid-threads", type=team_list, default=list(ways("hybrid")),
                   metavar="L", help="gilfree-hybrid's threads per rank, of "
                   f"{','.join(map(str, ways('hybrid')))} (default all): each worker count P "
                   "runs as every split P/T ranks x T threads whose T divides P; the rows are "
                   "hybrid (T = 1), hybrid-t2, hybrid-t4, ...")


def add_output_args(p):
    """Where the results go, what is read instead of run, the micro-benchmarks and the
    time a run may take."""
    p.add_argument("-o", "--out", metavar="DIR", help="results folder (default "
                   "results/<date-time>/); must not exist or be empty (one left by an "
                   "interrupted comparison is refused, saying so: give another)")
    p.add_argument("-b", "--build", default=default_build(), metavar="DIR",
                   help="the CMake build folder with bin/ (default build/; installed: the "
                   "prefix the scripts were installed under)")
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


def add_hosts_args(p):
    """The runs across hosts: a virtual cluster or a real one."""
    p.add_argument("--vcluster", type=int_in("--vcluster", 2, MAX_HOSTS), metavar="N",
                   help="also run the MPI rows across N virtual hosts (scripts/vcluster.py; "
                   "root): the cluster is built after the other runs and removed after its "
                   "own; the report gains the section Across hosts")
    p.add_argument("--rate", metavar="R", help="with --vcluster: cap each link's bandwidth "
                   "(tc tbf), e.g. 1gbit")
    p.add_argument("--hostfile", metavar="FILE", help="also run the MPI rows across the hosts "
                   "of an Open MPI hostfile (a real cluster), as --vcluster does")
    p.add_argument("--slurm", action="store_true", help="inside a Slurm allocation (sbatch, "
                   "salloc, of 2 nodes or more): every MPI row starts with srun --mpi=pmix, on "
                   "one node, and the rows of 2 workers or more again across the allocation's "
                   "nodes (SLURM_JOB_NODELIST), as --vcluster does; placements and bindings "
                   "from Slurm (--cpu-bind=verbose)")
    p.add_argument("--mpirun-args", metavar="'WORDS'", help="with --vcluster or --hostfile: "
                   "words added to mpirun's command line for the runs across hosts (as a shell "
                   "splits them); a --map-by among them replaces the spread and packed rows "
                   "with one row mapped as given")


def check_reps(p, opts):
    """--reps auto against --order, and the options only --reps auto takes; sets the order."""
    if opts.reps == "auto" and opts.order == "interleaved":
        p.error("invalid --order 'interleaved' with --reps auto: each run decides its own count "
                "of repetitions, so the rounds cannot be planned (leave --order out, or blocked)")
    if opts.order is None:
        opts.order = "blocked" if opts.reps == "auto" else "interleaved"
    for name in ("ci_target", "reps_cap"):
        if getattr(opts, name) is not None and opts.reps != "auto":
            p.error(f"invalid --{name.replace('_', '-')} '{getattr(opts, name)}': only with "
                    "--reps auto")


def check_matrix(p, opts):
    """--workers given once each, and --experiments' names."""
    if len(set(opts.workers)) != len(opts.workers):
        p.error(f"invalid --workers '{','.join(map(str, opts.workers))}': a count twice")
    if opts.experiments is not None:
        names = EXPERIMENTS if opts.experiments == "all" else opts.experiments.split(",")
        for name in names:
            if name not in EXPERIMENTS:
                p.error(f"invalid --experiments '{opts.experiments}': unknown experiment "
                        f"'{name}' (all, or of {', '.join(EXPERIMENTS)})")
        opts.experiments = list(dict.fromkeys(names))
    elif opts.bench_quick and not (opts.vcluster or opts.hostfile or opts.slurm):
        p.error("--bench-quick needs --experiments, --vcluster, --hostfile or --slurm")

def hosts_options(p, opts):
    """Checks --vcluster, --rate, --hostfile and --mpirun-args; sets opts.mpirun_args (words)
    and opts.mappings (the rows across hosts)."""
    if sum(map(bool, (opts.vcluster, opts.hostfile, opts.slurm))) > 1:
        p.error("--vcluster, --hostfile and --slurm: give one")
    if opts.slurm and (opts.rate is not None or opts.mpirun_args is not None):
        p.error(f"--{'rate' if opts.rate is not None else 'mpirun-args'} is not for --slurm "
                "(srun starts the ranks; Slurm's own options go in the job's)")
    if opts.rate is not None:
        if not opts.vcluster:
            p.error("--rate needs --vcluster")
        try:
            parse_rate(opts.rate)
        except ValueError as e:
            p.error(f"invalid --rate '{opts.rate}': {e}")
    words = []
    if opts.mpirun_args is not None:
        if not (opts.vcluster or opts.hostfile):
            p.error("--mpirun-args needs --vcluster or --hostfile")
        try:
            words = shlex.split(opts.mpirun_args)
        except ValueError as e:
            p.error(f"invalid --mpirun-args '{opts.mpirun_args}': {e}")
    if (opts.vcluster or opts.hostfile or opts.slurm) and opts.records:
        p.error("--records reports records: --vcluster, --hostfile and --slurm run, give one "
                "or the other")
    opts.mpirun_args = words
    given = any(w in ("--map-by", "-map-by", "--bynode", "--byslot") or
                w.startswith("--map-by=") for w in words)
    opts.mappings = ["as-given"] if given else ["spread", "packed"]
    opts.hosts = None
    if opts.hostfile:
        try:
            opts.hosts = Hostfile(opts.hostfile)
        except ValueError as e:
            p.error(f"invalid --hostfile '{opts.hostfile}': {e}")
        check_slots(p, opts, words)
    if opts.slurm:
        try:
            opts.hosts = slurm.Allocation()
        except RuntimeError as e:
            p.error(f"invalid --slurm: {e}")
        if len(opts.hosts.hosts) < 2:
            p.error(f"invalid --slurm: allocation {opts.hosts.job} has one node "
                    f"({opts.hosts.hosts[0]}): runs across hosts need 2 or more (sbatch -N 2)")


def hosts_option(opts):
    return "vcluster" if opts.vcluster else "hostfile" if opts.hostfile else "slurm"


def check_slots(p, opts, words):
    """A hostfile whose slots cannot hold the most ranks asked for is refused, unless the
    user asks for oversubscription (--mpirun-args --oversubscribe): Open MPI would otherwise
    oversubscribe silently under the machine's own setting."""
    slots = opts.hosts.slots
    if None in slots.values() or any("oversubscribe" in w.lower() for w in words):
        return  # slots unknown (Open MPI counts the host's cores), or asked for
    need, have = max(opts.workers), sum(slots.values())
    if need > have:
        p.error(f"invalid --hostfile '{opts.hostfile}': its hosts have {have} slots, and "
                f"--workers asks for {need} ranks: add slots, or give --mpirun-args "
                "--oversubscribe")


def register_bench():
    """The micro-benchmarks' records (kind "bench") get their sections in the report, and the
    runs across hosts theirs (with the IPC benchmark between hosts)."""
    report.register_section(
        "bench", None, lambda recs, ctx: bench.bench_sections(recs, ctx["out_dir"]))
    report.register_section("cluster", None, acrosshosts.section, covers=("hosts_bench",))
    report.register_section("sim", None, simulate.section, covers=simulate.KINDS)
    report.register_section("topology", None, topology.section)


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
    if opts.vcluster:
        why = cluster.missing()
        if why:
            usage_error("compare.py", f"invalid --vcluster {opts.vcluster}: cannot build a "
                        f"virtual cluster here: {why}")
        opts.hosts = cluster.Cluster(opts.vcluster, rate=opts.rate)
    if opts.hosts is not None and "mpi" not in found:
        usage_error("compare.py", f"--{hosts_option(opts)} runs "
                    "gilfree-mpi across hosts, and it is not built")
    opts.hosts_bench = opts.hosts is not None
    if opts.simulate is not None:
        why = simulate.missing(opts.build)
        if why:
            usage_error("compare.py", f"invalid --simulate '{opts.simulate.name}': cannot "
                        f"simulate with this build: {why}")
    runs = plan(opts, found)
    if opts.hosts is not None and not any(across(r[0])[1] for r in runs):
        usage_error("compare.py", "nothing to run across hosts: --only and --workers leave "
                    "no MPI run of 2 workers or more")
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
    if opts.reps == "auto":
        notes.append(reps_note(opts) + " (order blocked: each run started once)")
    elif opts.order == "interleaved":
        notes.append(f"order interleaved: {opts.reps} rounds, each starting every run once, in "
                     "the same order, for one timed repetition after its own warm-up; a run's "
                     f"figures are over its {opts.reps} rounds' samples")
    else:
        notes.append(f"order blocked: each run started once for {opts.reps} timed repetitions "
                     "after one warm-up, one run after the other")
    if opts.reruns:
        notes.append(f"a run (a round, interleaved) whose record says it was disturbed was run "
                     f"again, at most {opts.reruns} times (--reruns); one still disturbed is "
                     "marked \u2020")
    else:
        notes.append("runs whose record says they were disturbed were not run again "
                     "(--reruns 0); they are marked \u2020")
    notes.append(f"worker counts {','.join(map(str, opts.workers))}; {cores()} cores: runs "
                 "with more workers than cores are oversubscribed (marked *); MPI runs bind "
                 "each rank to a core when they fit, and yield when idle when they do not")
    if opts.timeout is not None:
        notes.append(f"each run had {opts.timeout} s (--timeout)")
    if opts.simulate is not None:
        notes.append(f"then simulated (SMPI) on platform {opts.simulate.name} at "
                     f"{','.join(map(str, opts.sim_ranks))} ranks, rows mpi-sim: simulated "
                     "times, see Simulated clusters")
    if opts.hosts is not None:
        what = (f"{opts.vcluster} virtual hosts (network namespaces of this machine"
                + (f", links capped at {opts.rate}" if opts.rate else "") + ")"
                if opts.vcluster else f"the hosts of {opts.hostfile}" if opts.hostfile else
                f"the {len(opts.hosts.hosts)} nodes of Slurm allocation {opts.hosts.job} "
                f"({', '.join(opts.hosts.hosts)}), every MPI row started by srun --mpi=pmix, "
                "the one-host rows on one node")
        notes.append(f"the MPI rows of 2 workers or more ran again across {what}, as rows "
                     + ", ".join(f"mpi@{m}" for m in opts.mappings)
                     + (f", with mpirun {shlex.join(opts.mpirun_args)}"
                        if opts.mpirun_args else "") + ": see Across hosts")
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
    reps = 1 if opts.order == "interleaved" else opts.reps
    hosts = getattr(opts, "hosts", None)
    said = False
    for lab, exe, wl, cls, p in runs:
        if across(lab)[1] and not said and isinstance(hosts, cluster.Cluster):
            print(f"# then virtual cluster {hosts.name} is built ({len(hosts.hosts)} hosts), "
                  "runs these (blocked, each with --reps "
                  f"{opts.reps}) and the IPC benchmark between two hosts, and is removed")
            said = True
        argv, env, over = matrix.command(lab, exe, wl, cls, p,
                                         opts.reps if across(lab)[1] else reps, opts.timeout,
                                         hosts, getattr(opts, "mpirun_args", ()),
                                         matrix.auto_options(opts))
        env_text = " ".join(f"{k}={v}" for k, v in env.items())
        print((env_text + " " if env_text else "") + shlex.join(argv) +
              ("  # oversubscribed" if over else ""))
    if runs and opts.order == "interleaved" and opts.reps > 1:
        print(f"# --order interleaved: these {len(runs)} commands, in this order, in each of "
              f"{opts.reps} rounds")
    if getattr(opts, "simulate", None) is not None:
        print("\n".join(simulate.dry_run_lines(opts)))
    if opts.records:
        print(f"# would check and report {len(records)} records into {out_dir}")
    elif opts.experiments:
        print(f"# then the micro-benchmarks: {', '.join(opts.experiments)}")
    return 0


def run_all(opts, runs, out_dir):
    """The matrix, then the micro-benchmarks (not after a stop signal). Returns (records,
    failures, None or the Interrupted); every record is in records.jsonl."""
    progress = Progress(starts(opts, runs), opts.quiet, start_keys(opts, runs))
    rounds = f" in {opts.reps} rounds" if opts.order == "interleaved" and opts.reps > 1 else ""
    progress.say(f"{len(runs)} runs{rounds} into {out_dir}")
    records, failures, stop = run_matrix(opts, runs, out_dir, progress)
    topo = topology.collect(out_dir)  # once per comparison: what the cores and masks are
    if topo is not None:
        with signals_held(), open(os.path.join(out_dir, "records.jsonl"), "a",
                                  encoding="utf-8") as f:
            write_line(f, topo)
        records.append(topo)
    if opts.simulate is not None and not stop:
        with open(os.path.join(out_dir, "records.jsonl"), "a", encoding="utf-8") as f:
            out = matrix.Writer(f)
            try:
                failures += simulate.run(opts, out_dir, out, progress, records)
            except Interrupted as e:
                stop = e
                out.add(stopped_record(stop, stop.what or "simulation runs"))
        records += out.records
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
    ctx["problems"] = ctx["problems"] + problems + simulate.check(records)[0]
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
    if not ctx.get("brief"):
        print(report.terminal_text(records), end="")
        lecture = report.lecture_pool(records)
        if lecture:
            print(lecture + "\n")
        hosts = acrosshosts.terminal_lines(records)
        if hosts:
            print("\n".join(hosts) + "\n")
        sims = simulate.terminal_lines(records)
        if sims:
            print("\n".join(sims) + "\n")
    if ctx["images"] is None:
        print("gnuplot is not installed: no plots\n")
    found = findings.text(records)  # then the verdict and the report's path, last
    if found:
        print("\n".join(found) + "\n")
    if ctx["problems"]:
        print("FAILED:")
        for line in ctx["problems"]:
            print(line)
        print(f"Report: {os.path.join(out_dir, 'report.md')}")
        return 1
    print(f"All {runs_checked} runs verified; results identical across backends "
          f"({len(ctx['groups'])} parameter groups). Report: {os.path.join(out_dir, 'report.md')}")
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
           "started": started, "command": shlex.join(["scripts/compare.py"] + argv),
           "brief": opts.brief}
    with signals_held():  # what was done is written whole, whatever arrives now
        write_report(opts, measured(records), ctx)
        status = print_report(measured(records), ctx)
    if stop:
        sys.stderr.write(f"compare.py: {partial[0]}; what was done is in {out_dir}\n")
        return stop.status
    return status
