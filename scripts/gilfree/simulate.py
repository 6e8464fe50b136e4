"""Simulated clusters (compare.py --simulate): gilfree-mpi-sim, gilfree-mpi compiled with
SimGrid's smpicc, run by smpirun on a modelled platform of up to 16384 ranks; the platforms'
templates (scripts/platforms/*.xml), the calibration of the simulated cores against this
machine's, the runs (strong and weak scaling, the lecture's own task lists, and the validation
runs: the same runs simulated and measured on this machine), and the report's section.

Every time in a simulated record is simulated time: each task runs for real (its result is
checked), then charges its kernel's modelled operations (shared/gf_cost_smpi.c, weights in
GF_SIM_COST, calibrated here once per build and machine and kept in the build folder) to its
simulated core, whose speed is this machine's core speed; nothing else a rank executes is
charged (smpi/simulate-computation:no), so the same simulation gives the same times. Each
message costs what the platform's network and the message costs fitted to a ping-pong sweep
(messages()) give it.

A platform template is a SimGrid platform file with @NAME@ fields filled in at run time:
@SPEED@ (the calibrated core speed), @CORES@ (this machine's cores), @LOOP_LAT@ and
@LOOP_BW@ (this machine's MPI ping-pong between two ranks). Its <cluster> may hold
<prop id="gilfree_fill" value="packed|spread"/>: how the hostfile places the ranks.

    failures = simulate.run(opts, out_dir, writer, progress, records)  # compare.py's
    markdown = simulate.section(sim_records, {"records": records, "out_dir": out_dir})
"""
import argparse
import json
import math
import os
import re
import shlex
import shutil
import tempfile
import time
import xml.etree.ElementTree as ET

from . import launch, stats
from .backends import label
from .cli import int_in
from .crosscheck import diff_results, result_group
from .plots import gnuplot_terminals, render, write_dat
from .project import ROOT, cores
from .records import json_lines, json_record, kind
from .runner import Interrupted, failure_reason, run_child, signals_held
from .tables import fmt, fmt_ratio, fmt_s, fmt_us, table
from .userfile import MiB, read_text
from .workloads import LECTURE_LIMITS

PLATFORMS = os.path.join(ROOT, "scripts", "platforms")
SIM_BINARY = "gilfree-mpi-sim"
# The simulated build's limit (GF_MAX_WORKERS there): its arrays are sized by the world; the
# memory and real time per rank count are in docs/simulation.md.
MAX_RANKS = 16384
DEFAULT_RANKS = [16, 64, 256, 1024]
LABEL = "mpi-sim"
FIELDS = ("SPEED", "CORES", "LOOP_LAT", "LOOP_BW")
# The kinds of record a simulation writes beside its runs (kind "sim"): the calibration, the
# ping-pong, the platform as run, and the measured runs of the validation.
KINDS = ("sim_calibration", "sim_pingpong", "sim_platform", "sim_check")

# The calibration: sum's loop, one multiply and one add an iteration, on one core.
CAL_N = 20_000_000
CAL_OPS = 2
# The least CPU time of CAL_REPS parallel repetitions on one worker: the core's own speed,
# which neither the wall-clock median nor the fastest repetition is on a loaded machine (seen
# here at a load of 14 on 2 cores: the same calibration's wall-clock times moved by a factor
# 3 from one run to the next, its CPU times by 5%). 20 repetitions (some 2 s in all): on this
# 2-core VM, whose speed moves from one second to the next, calibrations of 30 repetitions in
# a row gave per iteration within 7% (sum), 5% (primes) and 4% (resize) of each other, 9
# repetitions somewhat more.
CAL_REPS = 20
# The other kernels, timed on one core to weigh one of their iterations in sum's operations
# (the cost model of shared/gf_cost_smpi.c): primes to one limit, resize of a few images.
CAL_PRIMES = 200_000
CAL_IMAGES = ("--images", "192", "--width", "1920", "--height", "1080")
# A task's own work outside its kernel's iterations (gf_task_run's two clock reads, its
# result, the call): 4096 images of one iteration each, as many tasks as the lists have, timed
# by their sequential loop (a plain loop of the tasks on one thread, the least of CAL_REPS
# repetitions: a run's CPU time holds its other threads' too, some 30 us, half the loop's time
# here); the time beyond the one iteration is the task's own. It sets the time of tasks of a
# microsecond (resize-short's 96x54 images: some 56 ns a task here, a third of the task).
CAL_TASKS = ("--images", "4096", "--width", "10", "--height", "10")
# Where a simulation keeps its calibration and ping-pong, in the build folder, for the next
# simulation on this machine with these binaries (calibrated once: the same simulation then
# gives the same times, whatever the machine's load when it runs again). CAL_FORMAT names the
# cost model: a stored calibration of another model is measured again.
CAL_STORE = "sim-calibration{}.json"
CAL_FORMAT = 2
# Timed repetitions of a simulated run. A task charges its modelled operations, not the time
# this machine took (smpi/simulate-computation:no), so every repetition gives the same time:
# one is enough.
SIM_REPS = 1
SIM_LIMIT = 1800.0  # seconds of real time one simulated run may take
# The collectives' algorithms: trees, as an MPI library picks them for many ranks, in place of
# SMPI's default linear ones, whose root waits on every message in turn (a cost in real time
# that grows with the square of the ranks: one run of sum at 1024 ranks took 26 s with them,
# 5 s with these). gatherv and scatterv have only linear algorithms in SMPI.
COLLECTIVES = ("--cfg=smpi/gather:ompi_binomial", "--cfg=smpi/reduce:binomial",
               "--cfg=smpi/barrier:ompi_tree", "--cfg=smpi/bcast:binomial_tree",
               "--cfg=smpi/allreduce:rdb")


class PlatformError(ValueError):
    """A platform that cannot be used; the message is one line naming why."""


def shipped():
    """The names of the shipped platforms (scripts/platforms/NAME.xml), sorted."""
    try:
        return sorted(f[:-4] for f in os.listdir(PLATFORMS) if f.endswith(".xml"))
    except OSError:
        return []


def _radical(text):
    """'0-15' or '0-3,7,9-10' -> the numbers."""
    out = []
    for part in text.split(","):
        lo, dash, hi = part.strip().partition("-")
        if not lo.isdigit() or (dash and not hi.isdigit()):
            raise PlatformError(f"cluster radical '{text}' is not N-M[,...]")
        out += list(range(int(lo), int(hi) + 1)) if dash else [int(lo)]
    return out


# SimGrid's units (xbt's parse of a value with a unit): a number, then one of these, after an
# SI prefix (k M G T P E Z Y) or, for bytes and bits, a binary one (Ki Mi ... Yi); a bare
# number is taken in the base unit. A speed may list several power states, comma-separated.
_NUMBER = r"(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_SI, _BIN = "(?:[kKMGTPEZY])?", "(?:[kKMGTPEZY]i?)?"
UNITS = {"speed": rf"{_NUMBER}(?:{_SI}f|{_SI}flops)?",
         "bandwidth": rf"{_NUMBER}(?:{_BIN}Bps|{_BIN}bps)?",
         "latency": rf"{_NUMBER}(?:w|d|h|m|s|ms|us|ns|ps)?"}
# which attribute of which element holds which kind of value
VALUE_ATTRS = {"cluster": {"speed": "speed", "bw": "bandwidth", "lat": "latency",
                           "bb_bw": "bandwidth", "bb_lat": "latency",
                           "loopback_bw": "bandwidth", "loopback_lat": "latency",
                           "limiter_link": "bandwidth"},
               "host": {"speed": "speed"},
               "link": {"bandwidth": "bandwidth", "latency": "latency"},
               "backbone": {"bandwidth": "bandwidth", "latency": "latency"}}


def check_values(root):
    """Raises PlatformError naming the first attribute whose value SimGrid would refuse (a
    speed, bandwidth or latency that is not a number with one of SimGrid's units), so that a
    well-formed platform with speed="fast" is refused before anything runs."""
    for el in root.iter():
        for attr, what in VALUE_ATTRS.get(el.tag, {}).items():
            value = el.get(attr)
            if value is None:
                continue
            parts = value.split(",") if what == "speed" else [value]
            if not all(re.fullmatch(UNITS[what], x.strip()) for x in parts):
                raise PlatformError(f"<{el.tag} id='{el.get('id', '?')}'> {attr}=\"{value}\" "
                                    f"is not a {what} (a number and SimGrid's unit: "
                                    + {"speed": "1.5Gf", "bandwidth": "10Gbps or 12.5GBps",
                                       "latency": "1us"}[what] + ")")


class Platform:
    """A platform template: its name, file and text, and its hosts (name, cores) in order
    and how the hostfile fills them."""

    def __init__(self, arg):
        path = os.path.join(PLATFORMS, arg + ".xml")
        if os.sep not in arg and not arg.endswith(".xml") and os.path.isfile(path):
            self.name, self.path, self.shipped = arg, path, True
        elif os.path.exists(arg):  # read_text refuses what is not a regular file
            self.name = os.path.splitext(os.path.basename(arg))[0]
            self.path, self.shipped = os.path.abspath(arg), False
        else:
            raise PlatformError("no such file, nor a shipped platform (one of "
                                f"{', '.join(shipped()) or 'none'})")
        try:
            self.text = read_text(self.path, 16 * MiB)
        except ValueError as e:
            raise PlatformError(f"cannot read it: {e}") from None
        body = re.sub(r"<!--.*?-->", "", self.text, flags=re.S)  # comments may name fields
        unknown = sorted(set(re.findall(r"@([A-Z_]+)@", body)) - set(FIELDS))
        if unknown:
            raise PlatformError(f"unknown field @{unknown[0]}@ (of {', '.join(FIELDS)})")
        try:
            root = ET.fromstring(self.fill({f: "1" for f in FIELDS}))
        except ET.ParseError as e:
            raise PlatformError(f"not XML: {e}") from None
        check_values(root)
        clusters = root.findall(".//cluster")
        if not clusters or root.tag != "platform":
            raise PlatformError("no <cluster> in a <platform>: gilfree's hostfiles are made "
                                "from <cluster> elements")
        self.hosts, self.fill_mode, self.messages = [], "packed", "published"
        self.sweep = self.link = None  # a platform made here: its own ping-pong (vcluster)
        for c in clusters:
            try:
                n = int(c.get("core", "1"))
            except ValueError:
                n = 0
            if n < 1:
                raise PlatformError(f"cluster '{c.get('id')}': core='{c.get('core')}' "
                                    "is not a count")
            for i in _radical(c.get("radical", "")):
                self.hosts.append((f"{c.get('prefix', '')}{i}{c.get('suffix', '')}", n))
            for prop in c.findall("prop"):
                if prop.get("id") == "gilfree_fill":
                    if prop.get("value") not in ("packed", "spread"):
                        raise PlatformError(f"gilfree_fill '{prop.get('value')}' is not "
                                            "packed or spread")
                    self.fill_mode = prop.get("value")
                if prop.get("id") == "gilfree_messages":
                    if prop.get("value") not in ("measured", "published"):
                        raise PlatformError(f"gilfree_messages '{prop.get('value')}' is not "
                                            "measured or published")
                    self.messages = prop.get("value")
        if "@CORES@" in body:  # this machine's: the template's dummy 1 above
            self.hosts = [(h, cores()) for h, _ in self.hosts]
        self.cores = sum(n for _, n in self.hosts)

    def fill(self, values):
        """The template's text with its @NAME@ fields replaced by values[NAME]."""
        return re.sub(r"@([A-Z_]+)@", lambda m: str(values.get(m.group(1), m.group(0))),
                      self.text)

    def slots(self, ranks):
        """The host of each rank: packed (each host's cores in turn) or spread (one rank per
        host in turn, round after round)."""
        if self.fill_mode == "packed":
            order = [h for h, n in self.hosts for _ in range(n)]
        else:
            order = [h for k in range(max(n for _, n in self.hosts))
                     for h, n in self.hosts if k < n]
        return order[:ranks]


def platform_arg(s):
    """An argparse type: --simulate's platform, a shipped name or a file."""
    try:
        return Platform(s)
    except PlatformError as e:
        raise argparse.ArgumentTypeError(f"invalid --simulate '{s}': {e}") from None


def rank_list(s):
    """An argparse type: --sim-ranks, a comma-separated list of distinct counts 1 to 1024."""
    if s == "":
        raise argparse.ArgumentTypeError("invalid --sim-ranks '': empty list")
    out = []
    for k, item in enumerate(s.split(","), 1):
        if item == "":
            raise argparse.ArgumentTypeError(f"invalid --sim-ranks '{s}': empty item {k}")
        if not item.isdigit() or not item.isascii():
            raise argparse.ArgumentTypeError(f"invalid --sim-ranks '{s}': '{item}' is not a "
                                             "number")
        v = int(item)
        if v < 1 or v > MAX_RANKS:
            raise argparse.ArgumentTypeError(f"invalid --sim-ranks '{s}': '{item}' is not "
                                             f"1 to {MAX_RANKS}")
        if v in out:
            raise argparse.ArgumentTypeError(f"invalid --sim-ranks '{s}': {v} twice")
        out.append(v)
    return sorted(out)


def add_args(p):
    """compare.py's options of a simulation: --simulate, --sim-ranks, --sim-reps, --sim-quick."""
    p.add_argument("--simulate", type=platform_arg, metavar="PLATFORM",
                   help="also run gilfree-mpi-sim (gilfree-mpi built with SimGrid's smpicc) "
                   "on a simulated cluster: a shipped platform (" + ", ".join(shipped())
                   + ") or a platform template file; rows mpi-sim, with simulated times, in "
                   "a section of their own, and the same runs simulated and measured on this "
                   "machine (1 and 2 ranks) with the prediction's error")
    p.add_argument("--sim-ranks", type=rank_list, metavar="L",
                   help="with --simulate: the simulated rank counts, 1 to "
                   f"{MAX_RANKS}, each once (default "
                   f"{','.join(map(str, DEFAULT_RANKS))}, those the platform has "
                   "cores for)")
    p.add_argument("--sim-reps", type=int_in("--sim-reps", 1, 1000), metavar="R",
                   help="with --simulate: timed repetitions of each simulated run, the median "
                   f"reported (default {SIM_REPS}: a rank that this machine "
                   "interrupted computes longer, and the slowest rank sets the time)")
    p.add_argument("--sim-quick", action="store_true", help="with --simulate: small task "
                   "lists, a check rather than a measurement")
    p.add_argument("--sim-calibration", type=calibration_file, metavar="RECORDS",
                   help="with --simulate: take the calibration and the ping-pong of an "
                   "earlier simulation (its records.jsonl) instead of measuring them: the "
                   "same simulation then gives the same times, whatever the machine's load")
    p.add_argument("--sim-recalibrate", action="store_true",
                   help="with --simulate: measure the calibration and the ping-pong again, "
                   "not the ones an earlier simulation with this build kept in it "
                   f"({CAL_STORE.format('')}), and keep the new ones")
    p.add_argument("--sim-lists", type=list_names, metavar="L",
                   help="with --simulate: only these task lists, comma-separated (of "
                   + ", ".join(k for k, *_ in task_lists(False)) + "; with --sim-quick of "
                   + ", ".join(k for k, *_ in task_lists(True)) + ")")


def calibration_file(path):
    """An argparse type: --sim-calibration, the records.jsonl of an earlier simulation, whose
    calibration and ping-pong records are taken: (calibration, ping-pong)."""
    try:
        with open(path, encoding="utf-8") as f:
            recs = [r for r in json_lines([path], f.read())[0]]
    except (OSError, UnicodeDecodeError) as e:
        raise argparse.ArgumentTypeError(f"invalid --sim-calibration '{path}': cannot read "
                                         f"it: {getattr(e, 'strerror', e)}") from None
    cal = next((r for r in recs if kind(r) == "sim_calibration" and r.get("weights")), None)
    ping = next((r for r in recs if kind(r) == "sim_pingpong" and r.get("sweep")), None)
    if cal is None or ping is None:
        raise argparse.ArgumentTypeError(f"invalid --sim-calibration '{path}': no calibration "
                                         "and ping-pong records of a simulation in it")
    return cal, {**ping, "_from": os.path.abspath(path)}


def list_names(s):
    """An argparse type: --sim-lists, distinct names of task lists (checked against the lists
    of --sim-quick or not in check_options)."""
    names = s.split(",")
    if s == "" or "" in names:
        raise argparse.ArgumentTypeError(f"invalid --sim-lists '{s}': empty item")
    if len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"invalid --sim-lists '{s}': a name twice")
    return names


def check_options(p, opts):
    """compare.py's --simulate, --sim-ranks, --sim-reps and --sim-quick together (p.error:
    one line, exit 2)."""
    given = [n for n in ("sim_ranks", "sim_reps", "sim_lists", "sim_calibration")
             if getattr(opts, n, None) is not None]
    given += [n for n in ("sim_quick", "sim_recalibrate") if getattr(opts, n, False)]
    if opts.simulate is None:
        if given:
            p.error(f"--{given[0].replace('_', '-')} needs --simulate")
        return
    if opts.sim_calibration is not None and getattr(opts, "sim_recalibrate", False):
        p.error("--sim-calibration takes an earlier calibration, --sim-recalibrate measures "
                "a new one: give one or the other")
    if opts.sim_ranks is None:
        opts.sim_ranks = [r for r in DEFAULT_RANKS if r <= opts.simulate.cores] or [1]
    big = [r for r in opts.sim_ranks if r > opts.simulate.cores]
    if big:
        p.error(f"invalid --sim-ranks '{','.join(map(str, opts.sim_ranks))}': {big[0]} ranks "
                f"on platform '{opts.simulate.name}', which has {opts.simulate.cores} cores")
    if opts.records:
        p.error("--records reports records: --simulate runs, give one or the other")
    known = [k for k, *_ in task_lists(opts.sim_quick)]
    for name in getattr(opts, "sim_lists", None) or ():
        if name not in known:
            p.error(f"invalid --sim-lists '{','.join(opts.sim_lists)}': '{name}' is not one "
                    f"of {', '.join(known)}")


def missing(build):
    """Why a simulation cannot run with this build, or None."""
    if not shutil.which("smpirun"):
        return "smpirun is not installed (Debian's simgrid package; scripts/setup.sh)"
    for binary in (SIM_BINARY, "gilfree-mpi"):
        if not os.access(os.path.join(build, "bin", binary), os.X_OK):
            return (f"{binary} is not built ({os.path.join(build, 'bin', binary)})"
                    + (": SimGrid's libsimgrid-dev is needed" if binary == SIM_BINARY else ""))
    if not any(os.access(os.path.join(build, "bin", b), os.X_OK)
               for b in ("gilfree-omp", "gilfree-posix")):
        return "neither gilfree-omp nor gilfree-posix is built: nothing to calibrate with"
    return None


# ---- the task lists ------------------------------------------------------------------------

def _limits(count, divisor):
    """The lecture's six limits over divisor, cycled to count tasks (a longer list of the same
    tasks)."""
    return ",".join(str(LECTURE_LIMITS[i % 6] // divisor) for i in range(count))


def task_lists(quick):
    """[(key, scaling, what it is, fn(ranks) -> the workload's arguments)]: strong scaling
    (one list at every rank count), weak scaling (tasks in proportion to the ranks) and the
    lecture's own lists (class S). quick: small lists, a check rather than a measurement."""
    if quick:
        img = ["--width", "480", "--height", "270"]
        return [
            ("resize-1024", "strong", "resize, 1024 images of 480x270",
             lambda p: ["resize", "--images", "1024"] + img),
            ("primes-96", "strong", "primes, 96 limits (the lecture's six over 8, cycled)",
             lambda p: ["primes", "--limits", _limits(96, 8)]),
            ("sum-weak", "weak", "sum, n=50000 per rank",
             lambda p: ["sum", "--n", "50000"]),
            ("resize-weak", "weak", "resize, 4 images of 480x270 per rank",
             lambda p: ["resize", "--images", str(4 * p)] + img),
            ("primes-S", "lecture", "primes, class S (the lecture's 6 limits)",
             lambda p: ["primes", "--class", "S"]),
            ("resize-S", "lecture", "resize, class S (the lecture's 8 images)",
             lambda p: ["resize", "--class", "S"]),
        ]
    return [
        ("resize-4096", "strong", "resize, 4096 images of 1920x1080 (class S's size)",
         lambda p: ["resize", "--images", "4096"]),
        # tasks of about a microsecond: the messages, not the computation, set the time
        ("resize-short", "strong", "resize, 4096 images of 96x54 (short tasks)",
         lambda p: ["resize", "--images", "4096", "--width", "96", "--height", "54"]),
        ("primes-1536", "strong", "primes, 1536 limits (the lecture's six over 4, cycled)",
         lambda p: ["primes", "--limits", _limits(1536, 4)]),
        ("sum-weak", "weak", "sum, n=500000 per rank (one sum per rank)",
         lambda p: ["sum", "--n", "500000"]),
        ("resize-weak", "weak", "resize, 4 images of 1920x1080 per rank",
         lambda p: ["resize", "--images", str(4 * p)]),
        ("primes-S", "lecture", "primes, class S (the lecture's 6 limits)",
         lambda p: ["primes", "--class", "S"]),
        ("resize-S", "lecture", "resize, class S (the lecture's 8 images)",
         lambda p: ["resize", "--class", "S"]),
    ]


# The lists run both ways on this machine (1 and 2 ranks, measured and simulated).
VALIDATE = ("strong", "weak", "lecture")
VALIDATE_RANKS = (1, 2)


# ---- calibration and ping-pong ---------------------------------------------------------------

def calibrate(build, env):
    """This machine's core speed in operations per second: a fixed amount of sum's loop (CAL_N
    iterations of a multiply and an add) on one worker, its least CPU time of CAL_REPS
    repetitions; then each other kernel's weight (operations per iteration at that speed) and
    a task's own weight (CAL_TASKS). Returns (the "sim_calibration" record, or None, and a
    failure line or None)."""
    exe = next(p for p in (os.path.join(build, "bin", b) for b in ("gilfree-omp",
                                                                  "gilfree-posix"))
               if os.access(p, os.X_OK))

    def one(wl, args):
        argv = [exe, wl, "--workers", "1", *args, "--reps", str(CAL_REPS), "--format", "json"]
        done = run_child(argv, env, 300)
        rec = json_record(done.stdout) if done else None
        if rec is None or done.returncode != 0 or not rec.get("verified"):
            return None, argv
        return rec, argv

    rec, argv = one("sum", ["--n", str(CAL_N)])
    if rec is None:
        return None, f"calibration failed: {shlex.join(argv)}"
    seq = stats.timing(rec, "seq_s")
    speed = CAL_OPS * CAL_N / cpu_seconds(rec)
    weights, how = {"sum": float(CAL_OPS)}, {}
    for wl, args, iters in (("primes", ["--limits", str(CAL_PRIMES)],
                             primes_iterations(CAL_PRIMES)),
                            ("resize", list(CAL_IMAGES), resize_iterations(CAL_IMAGES)),
                            ("task", list(CAL_TASKS), resize_iterations(CAL_TASKS))):
        krec, kargv = one("resize" if wl == "task" else wl, args)
        if krec is None:
            return None, f"calibration failed: {shlex.join(kargv)}"
        ops = speed * (stats.timing(krec, "seq_s")["min"] if wl == "task"
                       else cpu_seconds(krec))
        if wl == "task":
            # beyond its one iteration, at resize's weight: the task's own operations (none
            # when the tiny images took no longer than their iterations)
            tasks = int(dict(zip(args[::2], args[1::2]))["--images"])
            weights[wl] = max(0.0, (ops - iters * weights["resize"]) / tasks)
        else:
            weights[wl] = ops / iters
        how[wl] = {"command": shlex.join(kargv), "iterations": iters,
                   "seq_s": stats.timing(krec, "seq_s"), "cpu_s": cpu_seconds(krec)}
    return {"kind": "sim_calibration", "host_speed": speed, "unit": "operations/s",
            "weights": weights, "kernels": how, "format": CAL_FORMAT,
            "made": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "n": CAL_N, "ops_per_iteration": CAL_OPS, "reps": CAL_REPS, "seq_s": seq,
            "cpu_s": cpu_seconds(rec),
            "binary": os.path.basename(exe), "command": shlex.join(argv),
            "how": (f"{os.path.basename(exe)} sum on one worker, n={CAL_N:,} iterations of a "
                    f"multiply and an add ({CAL_OPS * CAL_N:,} operations), "
                    f"{CAL_REPS} timed repetitions after a warm-up")}, None


def machine_key(build):
    """What a stored calibration holds for: this machine (its name, processor model and
    cores) and the binaries that measured it (their sizes and times of change)."""
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            model = next((ln.split(":", 1)[1].strip() for ln in f
                          if ln.startswith("model name")), "")
    except OSError:
        pass
    bins = {}
    for b in ("gilfree-omp", "gilfree-posix", "gilfree-mpi"):
        try:
            st = os.stat(os.path.join(build, "bin", b))
            bins[b] = [st.st_size, st.st_mtime_ns]
        except OSError:
            pass
    return {"format": CAL_FORMAT, "host": os.uname().nodename, "cpu": model,
            "cores": cores(), "binaries": bins}


def store_path(build, quick):
    return os.path.join(build, CAL_STORE.format("-quick" if quick else ""))


def stored(build, quick):
    """(calibration, ping-pong) stored by an earlier simulation with this build on this
    machine (store()), or None: none, unreadable, or made for another machine, binary or cost
    model."""
    path = store_path(build, quick)
    try:
        with open(path, encoding="utf-8") as f:
            got = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(got, dict) or got.get("key") != machine_key(build):
        return None
    cal, ping = got.get("calibration"), got.get("pingpong")
    if not isinstance(cal, dict) or not isinstance(ping, dict) or not cal.get("weights") \
            or not ping.get("sweep"):
        return None
    return {**cal, "reused_from": path}, {**ping, "reused_from": path}


def store(build, quick, cal, ping):
    """Keeps cal and ping for the next simulation (stored()): written whole or not at all (a
    temporary file beside it, renamed; removed should anything fail). Returns the path, or
    None when the build folder cannot hold it."""
    path = store_path(build, quick)
    fd, tmp = None, None
    try:
        fd, tmp = tempfile.mkstemp(dir=build, prefix=".sim-calibration-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            fd = None
            json.dump({"key": machine_key(build), "calibration": cal, "pingpong": ping}, f,
                      indent=1)
        os.replace(tmp, path)
        tmp = None
        return path
    except OSError:
        return None
    finally:
        if fd is not None:
            os.close(fd)
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def cpu_seconds(rec):
    """The least CPU time of one parallel repetition of a one-worker record (its CPU share of
    each repetition times the repetition's time), else its compute phase's CPU time, else its
    fastest sequential time."""
    samples = rec.get("samples") or {}
    got = [c * p for c, p in zip(samples.get("cpu_share") or [], samples.get("par_s") or [])
           if c and c > 0 and p > 0]
    if got:
        return min(got)
    if rec.get("cpu_s") and rec["cpu_s"][0] and rec["cpu_s"][0] > 0:
        return rec["cpu_s"][0]
    return stats.timing(rec, "seq_s")["min"]


def primes_iterations(limit):
    """The cost model's iterations of primes to limit (shared/gf_cost_smpi.c): per number from
    2 below the limit, one for its integer square root and one per trial division the kernel
    makes (up to its smallest factor, or to its root when it is prime). A sieve of smallest
    factors gives the same count as the kernel's loop."""
    small = list(range(limit + 1))
    for i in range(2, math.isqrt(limit) + 1):
        if small[i] == i:
            for j in range(i * i, limit + 1, i):
                if small[j] == j:
                    small[j] = i
    total = 0
    for n in range(2, limit):
        p = small[n]
        total += 1 + (math.isqrt(n) - 1 if p == n else p - 1)
    return total


def resize_iterations(args):
    """The cost model's iterations of resize's arguments: width x height / 100 per image."""
    a = dict(zip(args[::2], args[1::2]))
    return int(a["--images"]) * (int(a["--width"]) * int(a["--height"]) // 100)


def cost_env(cal):
    """GF_SIM_COST for gilfree-mpi-sim: each kernel's operations per iteration, and a task's
    own (an earlier calibration's may have none)."""
    return ",".join(f"{k}={v:.6g}" for k, v in sorted(cal["weights"].items()))


def pingpong(build, env, quick):
    """This machine's MPI ping-pong between two ranks (gilfree-mpi bench ipc): (the
    "sim_pingpong" record, or None, and a failure line or None): latency half the round trip
    of the smallest message, bandwidth that of the largest."""
    from .bench import HOSTS_IPC  # the same sizes as the ping-pong across hosts
    mpi = os.path.join(build, "bin", "gilfree-mpi")
    argv, add = launch.command("mpiexec", [mpi, "bench", "ipc", *HOSTS_IPC[quick],
                                           "--format", "json"], ranks=2)
    done = run_child(argv, {**env, **add}, 300)
    recs, bad = json_lines(argv, done.stdout) if done else ([], "timed out")
    ping = [r for r in recs if r.get("method") == "mpi_pingpong" and "size" in r]
    if not done or done.returncode != 0 or bad or not ping:
        return None, f"ping-pong failed: {shlex.join(argv)}"
    small, large = min(ping, key=lambda r: r["size"]), max(ping, key=lambda r: r["size"])
    pts = sweep(ping)
    lat, bw = link_figures(pts)
    return {"kind": "sim_pingpong", "lat_s": lat, "bw_Bps": bw, "small_size": small["size"],
            "large_size": large["size"], "lat_us": small["lat_us"],
            "sweep": pts, "command": shlex.join(argv)}, None


def sweep(ping):
    """[(size in bytes, one-way seconds)] of a ping-pong's rows, by size (medians), without
    the sizes another process disturbed: a time over OUTLIER times what the latency and
    the best bandwidth of the others give (seen: 7.4 ms for 512 KiB where 128 KiB took
    7.8 us, at a load of 14 on 2 cores)."""
    pts = sorted((r["size"], stats.med(r["lat_us"]) * 1e-6) for r in ping)
    pts = [(s, t) for s, t in pts if t > 0]
    if len(pts) < 2:
        return pts
    lat, bw = link_figures(pts)
    return [(s, t) for s, t in pts if t <= OUTLIER * (lat + s / bw)]


OUTLIER = 10.0


def link_figures(pts):
    """(latency, bandwidth) of a sweep: the smallest size's one-way time, and the best
    bandwidth (size / time) of the sizes from 4 KiB (of all, when none is that large)."""
    lat = min(pts)[1]
    big = [(s, t) for s, t in pts if s >= 4096] or pts
    return lat, max(s / t for s, t in big)


# ---- message costs ---------------------------------------------------------------------------

def messages(points, lat, bw):
    """SMPI's message costs from a ping-pong sweep [(size, one-way s)] over a link of latency
    lat and bandwidth bw: between two measured sizes the one-way time is a line, a + b x size.
    Its fixed part a is split in three equal parts, the sender's CPU (smpi/os, and smpi/ois
    for a nonblocking send), the wire (smpi/lat-factor x lat) and the receiver's CPU
    (smpi/or): a ping-pong measures only their sum, and the three equal is a modelling
    choice; its part per byte b sets smpi/bw-factor (1 / (b x bw), at most 1). Returns
    {"os": ..., "or": ..., "ois": ..., "lat-factor": ..., "bw-factor": ...}: SimGrid's
    piecewise lists, "size:offset:per-byte" and "size:factor" separated by ';'."""
    pts = sorted({s: t for s, t in points if t > 0}.items())
    if not pts:
        return {}
    if len(pts) == 1:
        pts.append((pts[0][0] + 1, pts[0][1] + 1 / bw))
    os_, lf, bf = [], [], []
    for i, (s, t) in enumerate(pts[:-1]):
        s2, t2 = pts[i + 1]
        b = max((t2 - t) / (s2 - s), 1.0 / bw)
        a = max(t - b * s, 0.0)
        start = 0 if i == 0 else s
        os_.append(f"{start}:{a / 3:.6g}:0")
        lf.append(f"{start}:{max(a / 3 / lat, 1e-3):.6g}")
        bf.append(f"{start}:{min(1.0, 1.0 / (b * bw)):.6g}")
    return {"os": ";".join(os_), "or": ";".join(os_), "ois": ";".join(os_),
            "lat-factor": ";".join(lf), "bw-factor": ";".join(bf)}


def host_messages(points, lat, bw):
    """The host's share alone (smpi/os, or, ois: a third of the smallest message's fixed
    time each), and no correction of the network (factors 1): for the platforms whose links
    carry published end-to-end figures."""
    got = messages(points, lat, bw)
    first = {k: v.split(";")[0] for k, v in got.items()}
    return {"os": first.get("os", "0:0:0"), "or": first.get("or", "0:0:0"),
            "ois": first.get("ois", "0:0:0"), "lat-factor": "0:1", "bw-factor": "0:1"}


def message_cfg(msg):
    """smpirun's --cfg words of messages()'s costs."""
    return [f"--cfg=smpi/{k}:{v}" for k, v in msg.items()]


def values(cal, ping):
    """The templates' fields from the calibration and the ping-pong, in SimGrid's units."""
    return {"SPEED": f"{cal['host_speed']:.6g}f", "CORES": cores(),
            "LOOP_LAT": f"{ping['lat_s']:.6g}s", "LOOP_BW": f"{ping['bw_Bps']:.6g}Bps"}


# ---- the runs --------------------------------------------------------------------------------

class Simulation:
    """The platforms of one simulation written into out_dir/sim/, and the temporary folder
    smpirun's copies of the binary go to (made here, removed by close() on every way out)."""

    def __init__(self, build, out_dir, cal, ping):
        self.build, self.cal, self.ping = build, cal, ping
        self.dir = os.path.join(out_dir, "sim")
        os.makedirs(self.dir, exist_ok=True)
        self.tmp = tempfile.mkdtemp(prefix="gilfree-smpi-")
        self.values = values(cal, ping)
        self.written = {}

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def files(self, platform, ranks):
        """(platform file, hostfile) for ranks ranks on platform, written once each."""
        key = (platform.name, ranks)
        if key not in self.written:
            pf = os.path.join(self.dir, f"platform-{platform.name}.xml")
            if not os.path.exists(pf):
                with open(pf, "w", encoding="utf-8") as f:
                    f.write(platform.fill(self.values))
            hf = os.path.join(self.dir, f"hostfile-{platform.name}-{ranks}.txt")
            with open(hf, "w", encoding="utf-8") as f:  # one line a rank: smpirun copies none
                f.write("".join(h + "\n" for h in platform.slots(ranks)))
            self.written[key] = (pf, hf)
        return self.written[key]

    def message_costs(self, platform):
        """SMPI's message costs on platform: a platform of measured messages (gilfree_messages
        "measured": this-machine, the virtual cluster) from its own ping-pong sweep, whole;
        the others (published link figures) only the host's share, from this machine's."""
        if platform.messages == "measured":
            lat, bw = platform.link or (self.ping["lat_s"], self.ping["bw_Bps"])
            return messages(platform.sweep or self.ping["sweep"], lat, bw)
        return host_messages(self.ping["sweep"], self.ping["lat_s"], self.ping["bw_Bps"])

    def command(self, platform, ranks, args, reps):
        pf, hf = self.files(platform, ranks)
        program = [os.path.join(self.build, "bin", SIM_BINARY), *args, "--workers", str(ranks),
                   "--reps", str(reps), "--format", "json"]
        extra = [f"--cfg=smpi/host-speed:{self.values['SPEED']}",
                 f"--cfg=smpi/tmpdir:{self.tmp}",
                 # a task charges its modelled operations (GF_SIM_COST), nothing else the
                 # ranks execute is charged: the same run gives the same times
                 "--cfg=smpi/simulate-computation:no",
                 *message_cfg(self.message_costs(platform)),
                 # errors kept: SimGrid's own line says why a run aborted (sim_reason)
                 *COLLECTIVES, "--log=root.thres:error"]
        argv, env = launch.command("smpirun", program, ranks=ranks, hostfile=hf, platform=pf,
                                   extra=extra)
        # TMPDIR too: smpirun sets the system's temporary folder as smpi/tmpdir first, where
        # a run stopped while it starts can leave its copies of the binary
        env = {**env, "GF_SIM_COST": cost_env(self.cal), "TMPDIR": self.tmp}
        return argv, env

    def run(self, platform, ranks, lst, reps, scaling, env):
        """One simulated run: (its "sim" record or a "failed" one, the failure line or None)."""
        key, kind_of, what, fn = lst
        argv, add = self.command(platform, ranks, fn(ranks), reps)
        t0 = time.monotonic()
        done = run_child(argv, {**env, **add}, SIM_LIMIT)
        took = time.monotonic() - t0
        rec = json_record(done.stdout) if done else None
        head = f"{LABEL} {what} on {ranks} simulated ranks ({platform.name})"
        if rec is None or done.returncode != 0:
            why = "timed out" if done is None else sim_reason(done)
            fail = {"kind": "failed", "label": LABEL, "workload": fn(ranks)[0], "class": "-",
                    "workers": ranks, "failure": f"{head}: {why}: {shlex.join(argv)}"}
            return fail, fail["failure"]
        hosts = {p["host"] for p in rec.get("placement") or []}
        rec.update(kind="sim", label=LABEL, simulated=True, sim_list=key, sim_what=what,
                   scaling=scaling, platform=platform.name, platform_cores=platform.cores,
                   machine_cores=rec.get("cores"), cores=platform.cores,
                   hosts_used=len(hosts), host_speed=self.cal["host_speed"],
                   command=shlex.join(argv), sim_cost=add.get("GF_SIM_COST"),
                   wall_s=round(took, 3), rusage=done.rusage,
                   oversubscribed=False, exit_status=done.returncode)
        return rec, None


def sim_reason(done):
    """Why a simulated run failed: SimGrid's own first error line ("Parse error at ...:
    cannot parse number:fast"), without its clock and source prefix, else the run's own line
    (runner.failure_reason), else its exit status."""
    for line in done.stderr.splitlines():
        m = re.search(r"\[[\w.]+/(?:ERROR|CRITICAL)\] (.+)", line)
        if m:
            return "SimGrid: " + m.group(1).strip()
    why = failure_reason(done.stderr)
    return f"exit {done.returncode}" if why == "no output" else why


def measured_run(build, ranks, lst, reps, env):
    """The same list on this machine, measured: mpirun -np ranks gilfree-mpi. Its record is of
    kind "sim_check" (a measured run of the validation, not a row of the comparison)."""
    key, _, what, fn = lst
    exe = os.path.join(build, "bin", "gilfree-mpi")
    argv, add = launch.command("mpirun", [exe, *fn(ranks), "--workers", str(ranks), "--reps",
                                          str(reps), "--format", "json"],
                               ranks=ranks, cores=cores())
    t0 = time.monotonic()
    done = run_child(argv, {**env, **add}, SIM_LIMIT)
    rec = json_record(done.stdout) if done else None
    if rec is None or done.returncode != 0:
        why = "timed out" if done is None else \
            (done.stderr.strip().splitlines() or ["exit " + str(done.returncode)])[-1]
        failure = f"mpi {what} on {ranks} ranks (validation, measured): {why}"
        return {"kind": "failed", "label": "mpi", "workload": fn(ranks)[0], "class": "-",
                "workers": ranks, "failure": failure}, failure
    rec.update(kind="sim_check", label="mpi", sim_list=key, sim_what=what,
               command=shlex.join(argv), wall_s=round(time.monotonic() - t0, 3))
    return rec, None


def plan(opts):
    """[(what, fn() -> (record, failure))] of a simulation, in order: the validation (each
    list on 1 and 2 ranks measured, then simulated on this machine's platform), then every
    list at every --sim-ranks count on the platform. Closures over a Simulation, given later."""
    here = Platform("this-machine")
    lists = [lst for lst in task_lists(opts.sim_quick)
             if not getattr(opts, "sim_lists", None) or lst[0] in opts.sim_lists]
    val_reps = opts.reps if isinstance(opts.reps, int) and opts.reps > 1 else 6
    steps = []
    for lst in lists:
        for p in VALIDATE_RANKS:
            if p > cores():
                continue
            steps.append((f"mpi {lst[2]}, {p} rank{'s' if p > 1 else ''} (measured)",
                          lambda s, env, lst=lst, p=p: measured_run(s.build, p, lst, val_reps,
                                                                    env)))
            steps.append((f"{LABEL} {lst[2]}, {p} rank{'s' if p > 1 else ''} on this-machine",
                          lambda s, env, lst=lst, p=p: s.run(here, p, lst, val_reps,
                                                             "validation", env)))
    for p in opts.sim_ranks:
        reps = opts.sim_reps or SIM_REPS
        for lst in lists:
            steps.append((f"{LABEL} {lst[2]}, {p} ranks on {opts.simulate.name}",
                          lambda s, env, lst=lst, p=p, reps=reps:
                          s.run(opts.simulate, p, lst, reps, lst[1], env)))
    return steps


def dry_run_lines(opts):
    """What a simulation would run, for compare.py --dry-run."""
    steps = plan(opts)
    return [f"# then simulated (SMPI): the calibration ({CAL_N:,} iterations of sum on one "
            "core), the MPI ping-pong of 2 ranks, and these runs:"] + \
           [f"#   {what}" for what, _ in steps]


def vcluster_runs(records):
    """The measured runs of gilfree-mpi across a virtual cluster among records (rows
    mpi@spread, mpi@packed, mpi-dynamic@...; the hybrid's are not simulated), and the cluster's
    record, or ([], None)."""
    vc = next((r for r in records if kind(r) == "cluster" and r.get("cluster") == "virtual"),
              None)
    if vc is None:
        return [], None
    runs = [r for r in records if kind(r) == "run" and "@" in label(r)
            and r.get("backend") == "mpi" and r.get("mapping") in ("spread", "packed")]
    return runs, vc


def vcluster_link(records):
    """(latency, bandwidth, sweep) of the ping-pong measured across two virtual hosts (bench
    ipc, 2 hosts) among records, or None."""
    ping = [r for r in records if kind(r) == "hosts_bench" and r.get("where") != "one host"
            and r.get("method") == "mpi_pingpong" and "size" in r]
    if not ping:
        return None
    pts = sweep(ping)
    return (*link_figures(pts), pts)


def host_counts(run, hosts):
    """{host: ranks} of a measured run across the virtual cluster, from its placement (else
    its ranks dealt as its mapping deals them over hosts hosts)."""
    got = {}
    for p in run.get("placement") or []:
        if p.get("host"):
            got[p["host"]] = got.get(p["host"], 0) + 1
    if sum(got.values()) == run["workers"]:
        return got
    n = run["workers"]
    if run.get("mapping") == "packed":
        per = max(1, math.ceil(n / hosts))
        return {f"h{i}": min(per, n - i * per) for i in range(hosts) if n > i * per}
    return {f"h{i}": n // hosts + (i < n % hosts) for i in range(min(hosts, n))}


def vcluster_platform(sim, vc, link, run):
    """A measured run across the virtual cluster as a platform of its own, written into the
    results folder: its hosts, their ranks placed as they were, and this machine's cores
    shared among them in proportion to their ranks (the virtual hosts are namespaces of this
    machine: 4 ranks on 2 cores get half a core each, whichever hosts they are on; a host
    that held every rank gets every core); between hosts the latency and bandwidth of the
    ping-pong measured across two of them. Returns the Platform."""
    lat, bw, pts = link
    counts = sorted(host_counts(run, len(vc["hosts"])).values(), reverse=True)
    ranks, here = sum(counts), cores()
    # one core count for all hosts (a <cluster>): the busiest host's share
    each = max(1, min(here, round(here * counts[0] / ranks)))
    mapping = run.get("mapping", "spread")
    name = f"vcluster-{mapping}-{ranks}"
    text = (f"<?xml version='1.0'?>\n<!DOCTYPE platform SYSTEM "
            f"\"https://simgrid.org/simgrid.dtd\">\n<!-- The virtual cluster {vc['name']} as "
            f"{ranks} ranks ({mapping}) used it, made from measurements of this machine at "
            f"run time: speed calibrated; its {len(counts)} hosts held "
            f"{'+'.join(map(str, counts))} ranks and share this machine's {here} cores, so "
            f"each gets {each} (in proportion to its ranks); between two hosts the MPI "
            f"ping-pong measured across them (half of its one-way latency on each host's "
            f"link), within a host this machine's own ping-pong. -->\n"
            f"<platform version=\"4.1\">\n  <cluster id=\"vc\" prefix=\"node\" suffix=\"\" "
            f"radical=\"1-{len(counts)}\" speed=\"{sim.values['SPEED']}\" core=\"{each}\" "
            f"bw=\"{bw:.6g}Bps\" lat=\"{lat / 2:.6g}s\" bb_bw=\"{bw * len(counts):.6g}Bps\" "
            f"bb_lat=\"0s\" loopback_bw=\"{sim.values['LOOP_BW']}\" "
            f"loopback_lat=\"{sim.values['LOOP_LAT']}\"/>\n</platform>\n")
    path = os.path.join(sim.dir, f"platform-{name}.xml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    p = Platform(path)
    p.name, p.fill_mode = name, mapping
    p.messages, p.sweep, p.link = "measured", pts, (lat, bw)
    # each host's slots as the run had them: packed fills each in turn, spread deals one
    # rank per host round after round
    p.hosts = [(h, c) for (h, _), c in zip(p.hosts, counts)]
    return p


def vcluster_record(sim, vc, link):
    """The "sim_platform" record of the virtual cluster's platforms."""
    lat, bw, pts = link
    return {"kind": "sim_platform", "platform": "vcluster", "template": None,
            "shipped": False, "hosts": len(vc["hosts"]), "cores": cores(),
            "fill": "as measured", "file": os.path.join("sim", "platform-vcluster-*.xml"),
            "lat_s": lat, "bw_Bps": bw, "messages_from": "measured",
            "messages": messages(pts, lat, bw)}


def vcluster_steps(runs, vc, link, opts):
    """The steps that simulate each measured run across the virtual cluster, each on a
    platform of its own (vcluster_platform)."""
    from .backends import get
    from .matrix import across
    steps, made = [], {}

    def platform(s, r):
        """The run's platform, made once for all runs of its placement (its workloads')."""
        key = (r.get("mapping"), tuple(sorted(host_counts(r, len(vc["hosts"])).values())))
        if key not in made:
            made[key] = vcluster_platform(s, vc, link, r)
        return made[key]

    for r in runs:
        base, _ = across(label(r))
        args = [r["workload"], "--class", r["class"], *get(base).options]
        key = f"{label(r)} {r['workload']} {r['class']}"
        lst = (key, "vcluster", f"{r['workload']} class {r['class']} ({label(r)})",
               lambda p, args=args: list(args))
        steps.append((f"{LABEL} {lst[2]}, {r['workers']} ranks on the virtual cluster",
                      lambda s, env, lst=lst, r=r:
                      s.run(platform(s, r), r["workers"], lst,
                            r.get("reps", opts.reps), "vcluster", env)))
    return steps


def calibration(opts, env, progress):
    """(calibration, ping-pong, failure line or None) of a simulation: --sim-calibration's
    records; else what an earlier simulation with this build stored (stored()), unless
    --sim-recalibrate; else measured now (calibrate(), pingpong()) and stored."""
    if getattr(opts, "sim_calibration", None):
        cal, ping = opts.sim_calibration
        src = ping["_from"]
        progress.say(f"simulation: the calibration of {src}")
        return ({**cal, "reused_from": src},
                {**{k: v for k, v in ping.items() if k != "_from"}, "reused_from": src}, None)
    if not getattr(opts, "sim_recalibrate", False):
        got = stored(opts.build, opts.sim_quick)
        if got:
            progress.say(f"simulation: the calibration made {got[0].get('made', '?')}, kept "
                         f"in {got[0]['reused_from']} (--sim-recalibrate measures it again)")
            return got[0], got[1], None
    progress.say("simulation: calibrating this machine's core speed")
    cal, bad = calibrate(opts.build, env)
    if bad:
        return None, None, bad
    progress.say("simulation: MPI ping-pong of 2 ranks on this machine")
    ping, bad = pingpong(opts.build, env, opts.sim_quick)
    if bad:
        return None, None, bad
    path = store(opts.build, opts.sim_quick, cal, ping)
    if path:
        cal = {**cal, "stored_in": path}
    return cal, ping, None


def run(opts, out_dir, writer, progress, measured=()):
    """The whole simulation: calibration, ping-pong, then plan(opts)'s runs, and the runs that
    measured (the comparison's records) holds across a virtual cluster, simulated on a
    platform of its own (vcluster_steps), every record to writer (matrix.Writer) as it comes.
    The temporary folder is removed on every way out. Returns the failures; an Interrupted is
    raised with done, planned and what set."""
    env = dict(os.environ)
    env.pop("OMP_NUM_THREADS", None)
    steps = plan(opts)
    vc_runs, vc_cluster = vcluster_runs(measured)
    failures, done, sim = [], 0, None
    try:
        cal, ping, bad = calibration(opts, env, progress)
        if bad:
            writer.add({"kind": "failed", "label": LABEL, "workload": "-", "class": "-",
                        "workers": 0, "failure": f"simulation not run: {bad}"})
            return [f"simulation not run: {bad}"]
        writer.add(cal)
        writer.add(ping)
        progress.say(f"simulation: a core computes {cal['host_speed']:.4g} operations/s; "
                     f"ping-pong {ping['lat_s'] * 1e6:.3g} us, {ping['bw_Bps'] / 1e9:.3g} GB/s")
        sim = Simulation(opts.build, out_dir, cal, ping)
        for p in (Platform("this-machine"), opts.simulate):
            writer.add({"kind": "sim_platform", "platform": p.name, "template": p.path,
                        "shipped": p.shipped, "hosts": len(p.hosts), "cores": p.cores,
                        "fill": p.fill_mode, "values": sim.values,
                        "messages_from": p.messages, "messages": sim.message_costs(p),
                        "file": os.path.relpath(sim.files(p, 1)[0], out_dir)})
        link = vcluster_link(measured) if vc_runs else None
        if link:
            steps += vcluster_steps(vc_runs, vc_cluster, link, opts)
            writer.add(vcluster_record(sim, vc_cluster, link))
        for what, fn in steps:
            progress.say(what)
            rec, failure = fn(sim, env)
            with signals_held():
                writer.add(rec)
                failures += [failure] if failure else []
                done += 1
            if not failure and not progress.quiet and "par_s" in rec:
                progress.say(f"      {rec['par_s']['median']:.4g} s "
                             f"{'simulated' if kind(rec) == 'sim' else 'measured'}, speedup "
                             f"{rec['speedup']:.3g}x, {rec['wall_s']:.1f} s")
    except Interrupted as e:
        e.done, e.planned, e.what = done, len(steps), "simulation runs"
        raise
    finally:
        if sim is not None:
            sim.close()
    return failures


# ---- the checks and the report ---------------------------------------------------------------

def check(records):
    """Lines naming each simulated run that is not verified or whose results differ from a
    measured run's of the same parameters; and the count of those compared."""
    measured = [r for r in records if kind(r) in ("run", "sim_check")]
    problems, compared = [], 0
    for rec in records:
        if kind(rec) != "sim":
            continue
        what = f"{LABEL} {rec.get('sim_what', rec['workload'])} on {rec['workers']} ranks"
        if rec.get("verified") is not True:
            problems.append(f"not verified: {what}: {rec.get('notes') or 'no reason'}")
        ref = next((m for m in measured if result_group(m) == result_group(rec)), None)
        if ref is not None:
            compared += 1
            lines = diff_results(ref, rec)
            if lines:
                problems.append(f"results differ: {what} against {label(ref)} "
                                f"{ref['workers']} workers:")
                problems += lines
    return problems, compared


def _med(rec, key):
    return stats.timing(rec, key)["median"]


def _spread(rec, key):
    t = stats.timing(rec, key)
    n = len(stats.samples(rec, key) or []) or rec.get("reps", 1)
    return f"{fmt_s(t['median'])} ({fmt_s(t['min'])}-{fmt_s(t['max'])}, n={n})"


def error_pct(sim, real):
    return None if not real else 100.0 * (sim - real) / real


def vcluster_pairs(records):
    """[(measured record across the virtual cluster, its simulated record)]."""
    sims = [r for r in records if kind(r) == "sim" and r.get("scaling") == "vcluster"]
    out = []
    for m in vcluster_runs(records)[0]:
        key = f"{label(m)} {m['workload']} {m['class']}"
        s = next((x for x in sims if x["sim_list"] == key and x["workers"] == m["workers"]),
                 None)
        if s:
            out.append((m, s))
    return out


def validation_pairs(records):
    """[(measured record, simulated record)] of the same list and ranks on this machine."""
    sims = [r for r in records if kind(r) == "sim" and r.get("scaling") == "validation"]
    out = []
    for m in (r for r in records if kind(r) == "sim_check"):
        s = next((x for x in sims if x["sim_list"] == m["sim_list"]
                  and x["workers"] == m["workers"]), None)
        if s:
            out.append((m, s))
    return out


def trust_sentence(errors, worst_case=None, network=False):
    """The plain sentence on how far to trust the projection, from the errors measured;
    worst_case: (what, ranks, its median task in seconds) of the largest error."""
    if not errors:
        return ("No run was both simulated and measured here, so nothing says how far to "
                "trust the simulated times.")
    worst = max(abs(e) for e in errors)
    typical = stats.median([abs(e) for e in errors])
    if worst <= 10:
        how = "read the simulated compute times as this machine's to about that"
    elif worst <= 30:
        how = "read the simulated times as estimates of that order, not as figures"
    else:
        how = "read only the shapes of the curves (where scaling stops), not the times"
    return (f"Simulated against measured on this machine, the parallel times differed by "
            f"{typical:.0f}% in the median run and {worst:.0f}% at worst ({len(errors)} "
            f"comparisons): {how}. These comparisons test the calibration and SMPI's timing "
            "of the computation" + (", and its model of a network on the virtual cluster's "
                                    "TCP links" if network else " on one host") +
            "; the platforms' networks rest on vendor figures, which no run here checks, so "
            "trust the projection to thousands of ranks no more closely than this, and its "
            "network costs less."
            + (f" The worst was {worst_case[0]} on {worst_case[1]} rank"
               f"{'s' if worst_case[1] > 1 else ''}, whose tasks take {fmt_s(worst_case[2])} s "
               "each (the table names the phase that missed most)." if worst_case else ""))


MISS_PCT = 25.0  # a pair that misses by more: the report names the phase


def phase_missed(m, s):
    """The phase whose simulated time is furthest from the measured one (measured and
    simulated medians, s), for a pair that missed."""
    pm, ps = _phase_s(m), _phase_s(s)
    common = [k for k in ps if k in pm]
    if not common:
        return "no phases"
    k = max(common, key=lambda k: abs(ps[k] - pm[k]))
    return f"{k}: {fmt_s(pm[k])} measured, {fmt_s(ps[k])} simulated"


def validation_table(records, pairs=None):
    """(rows, errors in percent, (what, ranks, median task s) of the largest error) of pairs
    (default: this machine's, validation_pairs)."""
    pairs = validation_pairs(records) if pairs is None else pairs
    rows, errors, worst = [], [], None
    for m, s in pairs:
        # against the fastest measured repetition, the least disturbed by other work: the
        # simulation models a core of its own, calibrated on the fastest repetitions
        e_par = error_pct(_med(s, "par_s"), stats.timing(m, "par_s")["min"])
        e_seq = error_pct(_med(s, "seq_s"), stats.timing(m, "seq_s")["min"])
        e_med = error_pct(_med(s, "par_s"), _med(m, "par_s"))
        errors.append(e_par)
        if worst is None or abs(e_par) > worst[0]:
            worst = (abs(e_par), m.get("sim_what") or s["sim_what"], m["workers"],
                     stats.median(m["task_s"]) if m.get("task_s") else None)
        rows.append([m.get("sim_what") or s["sim_what"], m["workers"], _spread(m, "par_s"),
                     _spread(s, "par_s"),
                     f"{e_par:+.1f}% ({e_med:+.1f}%)", _spread(m, "seq_s"), _spread(s, "seq_s"),
                     f"{e_seq:+.1f}%", fmt_ratio(stats.speedup(m)),
                     fmt_ratio(stats.speedup(s)), compute_cpu(m, s),
                     phase_missed(m, s) if abs(e_par) > MISS_PCT else "-"])
    return rows, errors, worst[1:] if worst else None


def error_summary(errors, goal=True):
    """'median error 5.5%, worst +20.1% (6 pairs; the goal: ...)' of errors in percent."""
    if not errors:
        return "no pairs"
    worst = max(errors, key=abs)
    return (f"median error {stats.median([abs(e) for e in errors]):.1f}%, worst {worst:+.1f}% "
            f"({len(errors)} pair{'s' if len(errors) > 1 else ''}"
            + (f"; the goal: a median of {GOAL_MEDIAN:.0f}% or less, a worst of "
               f"{GOAL_WORST:.0f}% or less)" if goal else ")"))


GOAL_MEDIAN, GOAL_WORST = 10.0, 25.0


def compute_cpu_error(m, s):
    """The simulated compute phase against the measured one's CPU time (its slowest rank's):
    the cost model's error, which the machine's load leaves out; or None."""
    cpu = [c for c in m.get("cpu_s") or [] if c is not None and c > 0]
    sim = _phase_s(s).get("compute")
    return error_pct(sim, max(cpu)) if cpu and sim else None


def compute_cpu(m, s):
    e = compute_cpu_error(m, s)
    return "-" if e is None else f"{max(m['cpu_s']):.4g} s CPU, {e:+.1f}%"


def _bound(tasks, workers, workload, params):
    rec = {"task_s": tasks, "workers": workers, "cores": workers, "workload": workload,
           "backend": "mpi", "params": params}
    return stats.bounds(rec)[1]


def stops(recs):
    """Where a strong list stops scaling, from its runs' sequential per-task times (each
    task's median over the runs) under gilfree-mpi's split (stats.bounds): (tasks, the fewest
    ranks from which more ranks gain nothing, the best time, the speedup it allows, the
    longest task's share), or None."""
    rec = recs[0]
    got = [r["task_s"] for r in recs if r.get("task_s")]
    if not got or rec["workload"] == "sum" or len({len(t) for t in got}) != 1:
        return None
    tasks = [stats.median(col) for col in zip(*got)]
    n = len(tasks)
    points = sorted(set(list(range(1, min(n, 64) + 1)) + [2 ** k for k in range(13)
                                                          if 2 ** k <= n] + [n]))
    best = {p: _bound(tasks, p, rec["workload"], rec.get("params", {})) for p in points}
    floor = min(best.values())
    at = min(p for p in points if best[p] <= floor * (1 + 1e-9))
    return n, at, floor, sum(tasks) / floor if floor else None, max(tasks) / sum(tasks)


def _series(recs, fn):
    out = {}
    for r in recs:
        out.setdefault(r["sim_list"], []).append((r["workers"], fn(r)))
    return {k: sorted(v) for k, v in out.items()}


def _plot(out_dir, stem, title, ylabel, series, ideal, terms, yscale="set logscale y"):
    if not series or terms is None:
        return None
    names = list(series)
    xs = sorted({x for pts in series.values() for x, _ in pts})
    rows = [[x] + [dict(series[n]).get(x) for n in names] for x in xs]
    write_dat(out_dir, f"{stem}.dat", ["ranks"] + names, rows)
    plots = [f"'{stem}.dat' using 1:{i + 2} with linespoints title '{n}'"
             for i, n in enumerate(names)]
    if ideal:
        plots.append(f"{ideal} with lines dashtype 2 lc 'black' title 'ideal'")
    body = (f"set termoption noenhanced\nset title '{title}'\nset xlabel 'simulated ranks'\n"
            f"set ylabel '{ylabel}'\nset logscale x 2\n{yscale}\nset grid\n"
            f"set key outside below\nset xtics ({', '.join(map(str, xs))})\n"
            f"set datafile missing 'NaN'\nplot {', '.join(plots)}\n")
    return render(out_dir, stem, body, terms)


def section(recs, ctx):
    """The markdown of "## Simulated clusters": recs are the "sim" records, ctx["records"]
    every record of the report."""
    records = ctx.get("records", recs)
    out_dir = ctx.get("out_dir")
    cal = next((r for r in records if kind(r) == "sim_calibration"), None)
    ping = next((r for r in records if kind(r) == "sim_pingpong"), None)
    plats = {r["platform"]: r for r in records if kind(r) == "sim_platform"}
    runs = [r for r in recs if r.get("scaling") not in ("validation", "vcluster")]
    name = runs[0]["platform"] if runs else "?"
    out = ["## Simulated clusters (SMPI): mpi-sim", "",
           "**Every time in this section is simulated**, not measured: the rows `mpi-sim` are "
           "gilfree-mpi compiled with SimGrid's smpicc (gilfree-mpi-sim) and run by smpirun "
           "on a modelled platform, every rank a simulated process in one process of this "
           "machine. Each task runs for real (its result is checked) and then charges its "
           "kernel's modelled operations to the rank's simulated core (a cost model per "
           "kernel, its weights calibrated below; smpi/simulate-computation:no, so nothing "
           "else a rank executes is charged and the same run gives the same times); each "
           "message takes the time the platform's network model and the message costs give "
           "it. The hybrid (ranks of OpenMP threads) is not simulated.", ""]
    if cal:
        out.append(f"Calibration: one core of this machine computes "
                   f"**{cal['host_speed']:.4g} operations/s** ({cal['how']}: "
                   f"the least CPU time of a repetition, {fmt_s(cal.get('cpu_s', 0))} s; its "
                   f"wall-clock median {fmt_s(cal['seq_s']['median'])} s, min-max "
                   f"{fmt_s(cal['seq_s']['min'])}-{fmt_s(cal['seq_s']['max'])}). "
                   "This figure "
                   "is the speed of every simulated core, so a simulated core computes as "
                   "fast as one core here. The cost model's weights, operations per iteration "
                   "(sum's by definition, the others timed on one core here): "
                   + ", ".join(f"{k} {v:.3g}" for k, v in sorted(cal.get("weights", {})
                                                                  .items()))
                   + " (iterations: sum's n; primes, per number one for its root and one per "
                   "trial division; resize, width x height / 100 per image; task: once per "
                   "task, its own work outside the kernel's iterations). " + _cal_origin(cal))
        out.append("")
    if ping:
        out.append(f"This machine's MPI ping-pong (2 ranks, shared memory): "
                   f"{fmt_us(ping['lat_s'] * 1e6)} one way at {ping['small_size']} B, "
                   f"{fmt(ping['bw_Bps'] / 1e6, ' MB/s')} at {ping['large_size']:,} B: the "
                   "latency and bandwidth between two ranks of one simulated host, and of the "
                   "platform this-machine. Its sweep over sizes sets SMPI's message costs, "
                   "piecewise by size (smpi/os, or, ois, lat-factor, bw-factor: each platform's "
                   "in its record); the platforms of published figures take only the hosts' "
                   "share (os, or, ois) and no correction factors. "
                   "The collectives run as trees (binomial gather, reduce and broadcast, a "
                   "tree barrier, recursive-doubling allreduce), as an MPI library picks them "
                   "for many ranks; gatherv and scatterv are linear, SMPI having no other.")
    out.append("")
    for pname, p in plats.items():
        src = os.path.relpath(p["template"], ROOT) if p["shipped"] else p["template"]
        out.append(f"- platform `{pname}`: {p['hosts']} host{'s' if p['hosts'] > 1 else ''}, "
                   f"{p['cores']} cores in all, ranks placed {p['fill']}; the file as run: "
                   f"{p['file']} (from {src}, whose comments say where each value comes from)")
    out.append("")
    problems, compared = check(records)
    bad = [r for r in recs if r.get("verified") is not True]
    out.append(f"{len(recs)} simulated runs; {len(recs) - len(bad)} verified their results "
               f"against their own sequential run, and {compared} with a measured run of the "
               f"same parameters (gilfree-mpi, here) gave identical results"
               + (": see Verification for the others." if problems else "."))
    out.append("")
    out += _scaling_tables(runs)
    out += _plots(out_dir, runs)
    out += _stops_section(runs, name)
    out += _validation_section(records, plats)
    return "\n".join(out)


def _cal_origin(cal):
    """Where the calibration of a report comes from: measured in this run, kept from an
    earlier one, or taken from --sim-calibration's records."""
    made = f"made {cal['made']}" if cal.get("made") else "made by an earlier simulation"
    src = cal.get("reused_from")
    if src and os.path.basename(src).startswith("sim-calibration"):
        return (f"This calibration was {made} and kept in {src} for the simulations of this "
                "build on this machine, so that they give the same times whatever the "
                "machine's load when they run; `--sim-recalibrate` measures it again.")
    if src:
        return f"This calibration ({made}) is taken from {src} (--sim-calibration)."
    return ("It was measured in this run" + (f" and kept in {cal['stored_in']} for the next "
                                             "simulation of this build" if cal.get("stored_in")
                                             else "") + ".")


def _validation_section(records, plats):
    """The validation's tables (this machine, and the virtual cluster where it ran) and the
    sentence on how far to trust the projection."""
    out = []
    rows, errors, worst = validation_table(records)
    out += ["### Validation: the same runs simulated and measured", "",
            "Each task list on 1 and 2 ranks, measured with mpirun on this machine "
            "(gilfree-mpi) and simulated on the platform this-machine; medians over the "
            "repetitions (min-max, n). The error is (simulated - measured) / measured, "
            "measured by its fastest repetition, the one least disturbed by other work (in "
            "brackets: against the measured median). The compute column sets the simulated "
            "compute phase against the CPU time the slowest measured rank computed: the cost "
            "model's own error, which the machine's load does not move.", ""]
    if rows:
        out.append(table(["list", "ranks", "measured parallel s", "simulated parallel s",
                          "error", "measured sequential s", "simulated sequential s",
                          "error", "measured speedup", "simulated speedup",
                          "compute: measured CPU, simulated's error",
                          f"phase off most (past {MISS_PCT:.0f}%)"], rows))
        out += [f"This machine: {error_summary(errors)}.", ""]
    vc_rows, vc_errors, vc_worst = validation_table(records, vcluster_pairs(records))
    if vc_rows:
        vc = plats.get("vcluster", {})
        out += ["The runs across the virtual cluster (Across hosts), measured there and "
                f"simulated on a platform made of it for each run ({vc.get('file', '?')}: "
                "its hosts holding the ranks as they were placed, and sharing this machine's "
                "cores in proportion to their ranks, as the virtual hosts share them; between "
                "hosts the message costs fitted to the ping-pong sweep measured across "
                f"two of them, {fmt_us(vc.get('lat_s', 0) * 1e6)} one way and "
                f"{fmt(vc.get('bw_Bps', 0) / 1e6, ' MB/s')}):", "",
                table(["run", "ranks", "measured parallel s", "simulated parallel s", "error",
                       "measured sequential s", "simulated sequential s", "error",
                       "measured speedup", "simulated speedup",
                       "compute: measured CPU, simulated's error",
                       f"phase off most (past {MISS_PCT:.0f}%)"], vc_rows)]
        # the cores of the machine the virtual hosts shared, as the simulation recorded them
        n = vc.get("cores") or cores()
        within = [e for e, (m, _) in zip(vc_errors, vcluster_pairs(records))
                  if m["workers"] <= n]
        line = f"The virtual cluster: {error_summary(vc_errors)}"
        if len(within) < len(vc_errors):
            line += (f"; of them the runs of no more ranks than this machine's {n} cores: "
                     f"{error_summary(within, goal=False)}. Past the cores, the ranks that "
                     "wait for a message poll for it on the cores the others compute and "
                     "send on, a cost the platform's shared cores do not model (the phase off "
                     "most is then the scatter or the compute)")
        out += [line + ".", ""]
        if vc_worst and (not worst or abs(max(vc_errors, key=abs)) > abs(max(errors, key=abs))):
            worst = vc_worst
    elif [r for r in records if kind(r) == "run" and "@" in label(r)]:
        out.append("The runs across hosts were not simulated (a real cluster's hosts, or no "
                   "ping-pong between two virtual hosts to model its network from).\n")
    out.append(trust_sentence(errors + vc_errors, worst, bool(vc_rows)) + "\n")
    return out


def _scaling_tables(runs):
    out = []
    for scaling, title in (("strong", "Strong scaling: one task list at every rank count"),
                           ("weak", "Weak scaling: tasks in proportion to the ranks"),
                           ("lecture", "The lecture's own task lists")):
        mine = sorted((r for r in runs if r.get("scaling") == scaling),
                      key=lambda r: (r["sim_list"], r["workers"]))
        if not mine:
            continue
        rows = []
        for r in mine:
            ph = stats.phases(r)
            tasks = r.get("task_s") or []
            bound = _bound(tasks, r["workers"], r["workload"], r.get("params", {})) \
                if tasks and r["workload"] != "sum" else None
            rows.append([r["sim_what"], r["workers"], r.get("hosts_used", "?"),
                         len(tasks), fmt_s(_med(r, "seq_s")), fmt_s(_med(r, "par_s")),
                         fmt_ratio(stats.speedup(r)),
                         f"{100 * stats.speedup(r) / r['workers']:.0f}%",
                         fmt_ratio(sum(tasks) / bound) if bound else "-",
                         ", ".join(f"{k} {fmt_s(v['median'])}" for k, v in ph.items()) or "-",
                         f"{r.get('wall_s', 0):.1f}"])
        out += [f"### {title} (simulated)", "",
                table(["list", "ranks", "hosts", "tasks", "sequential s (sim)",
                       "parallel s (sim)", "speedup", "efficiency", "split's best speedup",
                       "phases (sim, median s)", "real s"], rows)]
    if out:
        out.insert(0, "Speedup: the simulated sequential time over the simulated parallel "
                   "time, both of the same run. The split's best speedup: the sequential time "
                   "over the longest share gilfree-mpi's split of these tasks gives a rank, "
                   "from the run's own per-task times (no communication). Real s: what the "
                   "simulation took on this machine.\n")
    return out


def _plots(out_dir, runs):
    terms = gnuplot_terminals() if out_dir else None
    if terms is None:
        return ["(gnuplot is not installed: no scaling plots)\n"] if runs else []
    try:
        return _draw(out_dir, runs, terms)
    except (RuntimeError, OSError) as e:  # the figures stand without their plots
        return [f"(scaling plots incomplete: {str(e).splitlines()[0]})\n"]


def _draw(out_dir, runs, terms):
    out = []
    strong = [r for r in runs if r.get("scaling") in ("strong", "lecture")]
    weak = [r for r in runs if r.get("scaling") == "weak"]
    made = _plot(out_dir, "sim_strong", "Strong scaling, simulated: speedup over the "
                 "simulated sequential time", "speedup", _series(strong, stats.speedup), "x",
                 terms)
    if made:
        out.append(f"![strong scaling, simulated]({made[0]})\n")
    base = {}
    for r in weak:
        if r["sim_list"] not in base or r["workers"] < base[r["sim_list"]]["workers"]:
            base[r["sim_list"]] = r
    made = _plot(out_dir, "sim_weak", "Weak scaling, simulated: efficiency (parallel time at "
                 "the fewest ranks / at P)", "weak efficiency",
                 _series(weak, lambda r: _med(base[r["sim_list"]], "par_s") / _med(r, "par_s")),
                 "1", terms, "set yrange [0:1.2]")
    if made:
        out.append(f"![weak scaling, simulated]({made[0]})\n")
    return out


def _stops_section(runs, name):
    lists = {}
    for r in runs:
        if r.get("scaling") in ("strong", "lecture"):
            lists.setdefault(r["sim_list"], []).append(r)
    rows, lines = [], []
    for key, recs in lists.items():
        rec = recs[0]
        got = stops(recs)
        if not got:
            continue
        n, at, floor, most, longest = got
        mine = sorted((r for r in runs if r["sim_list"] == key), key=lambda r: r["workers"])
        sims = ", ".join(f"{r['workers']}: {fmt_ratio(stats.speedup(r))}" for r in mine)
        rows.append([rec["sim_what"], n, at, fmt_s(floor), fmt_ratio(most),
                     f"{100 * longest:.1f}%", sims])
        top = max(mine, key=lambda r: r["workers"])
        peak = max(mine, key=stats.speedup)
        longest_s = max(stats.median(c) for c in zip(*[r["task_s"] for r in recs
                                                      if r.get("task_s")]))
        if at <= top["workers"]:
            lines.append(f"- {rec['sim_what']}: {n} tasks; from {at} ranks on, more ranks "
                         f"gain nothing: the longest share is then "
                         f"{fmt_s(floor)} s (the longest task is {100 * longest:.1f}% of the "
                         f"work), so no run does much better than {fmt_ratio(most)}; "
                         f"simulated on {name}, "
                         f"{top['workers']} ranks reached {fmt_ratio(stats.speedup(top))}"
                         + (f", below the {fmt_ratio(stats.speedup(peak))} of "
                            f"{peak['workers']} ranks: "
                            + grew_text(peak, top, longest_s)
                            if stats.speedup(top) < 0.9 * stats.speedup(peak) else "."))
        else:
            lines.append(f"- {rec['sim_what']}: {n} tasks; its split keeps gaining up to {at} "
                         f"ranks (best {fmt_ratio(most)}), past the {top['workers']} simulated "
                         f"here, which reached {fmt_ratio(stats.speedup(top))}: "
                         + lost_text(top, floor, longest_s))
    if not rows:
        return []
    return ["### Where each workload stops scaling", "",
            "From each list's sequential per-task times (simulated: each task's median over "
            "the list's runs) and gilfree-mpi's split of them (primes dealt round-robin, the "
            "others in contiguous blocks; stats.bounds): the fewest ranks from which the "
            "longest share no longer shrinks, and the speedup that share allows; beside it "
            "the simulated "
            "speedups. sum is weak scaling by nature (one sum per rank) and has no such "
            "point.", "",
            table(["list", "tasks", "stops at ranks", "best time s", "best speedup",
                   "longest task", "simulated speedup at ranks"], rows)] + lines + [""]


def _phase_s(rec):
    return {k: v["median"] for k, v in stats.phases(rec).items()}


def _phase_words(name, rec, longest_s):
    """The words for a phase: compute is the longest task where the phase is about as long
    as it (nothing to split further), else the imbalance of the shares."""
    if name != "compute":
        return f"the {name}"
    return ("the longest task" if _phase_s(rec).get("compute", 0) <= 1.05 * longest_s
            else "compute imbalance (the longest share)")


def grew_text(lo, hi, longest_s):
    """Which simulated phase grew from run lo to run hi (more ranks), and by how much."""
    a, b = _phase_s(lo), _phase_s(hi)
    if not b:
        return "no phases recorded."
    grown = {k: b[k] - a.get(k, 0.0) for k in b}
    name = max(grown, key=grown.get)
    return (f"from {lo['workers']} to {hi['workers']} ranks {_phase_words(name, hi, longest_s)}"
            f" grew most ({name} {fmt_s(a.get(name, 0.0))} s to {fmt_s(b[name])} s, "
            "simulated), " + ", ".join(f"{k} {fmt_s(a.get(k, 0.0))} to {fmt_s(v)} s"
                                       for k, v in b.items() if k != name) + ".")


def lost_text(rec, floor, longest_s):
    """Where run rec's parallel time exceeds the split's best (floor): the phase holding most
    of the difference (compute counted past the best share)."""
    ph = _phase_s(rec)
    if not ph:
        return "no phases recorded."
    over = {k: (v - floor if k == "compute" else v) for k, v in ph.items()}
    name = max(over, key=over.get)
    return (f"most of its time past the split's best is {_phase_words(name, rec, longest_s)} "
            f"({name} {fmt_s(ph[name])} s, simulated; "
            + ", ".join(f"{k} {fmt_s(v)} s" for k, v in ph.items() if k != name) + ").")


def terminal_lines(records):
    """A few lines for the terminal."""
    sims = [r for r in records if kind(r) == "sim"
            and r.get("scaling") not in ("validation", "vcluster")]
    if not sims:
        return []
    top = max(r["workers"] for r in sims)
    lines = [f"Simulated ({LABEL}, platform {sims[0]['platform']}, simulated times): "
             f"{len(sims)} runs; at {top} ranks: " + "; ".join(
                 f"{r['sim_list']} {fmt_ratio(stats.speedup(r))}" for r in sims
                 if r["workers"] == top)]
    _, errors, _ = validation_table(records)
    if errors:
        lines.append(f"Simulated against measured on this machine: parallel times within "
                     f"{max(abs(e) for e in errors):.0f}% ({len(errors)} comparisons)")
    return lines
