"""The micro-benchmarks of the lecture's costs (scripts/bench_report.py, and compare.py's
--experiments): running every built backend's `bench` experiments and scripts/py_bench.py,
and their five report sections (start-up, IPC by payload size, shared state, grain size,
paths not frames), each lecture claim beside the figures measured in C and in Python.

    records, failures, stop = bench.collect(build_dir, out_dir)
    markdown = bench.bench_sections(records, out_dir)
"""
import argparse
import json
import os
import sys
import time

from . import backends, launch
from .cli import OneLineParser, int_in
from .plots import gnuplot_terminals, line_plot
from .project import ROOT, default_build, out_dir_problem
from .pybench import GRAIN_OFF
from .records import (RecordsError, end_record, incomplete, json_lines, measured, read_records,
                      stopped_record)
from .runner import Interrupted, run_child, signals_held
from .stats import crossover, med
from .slurm import bindings as slurm_bindings
from .tables import fmt, fmt_kb, fmt_us, spread, table
from .workloads import EXPERIMENTS

PY_BENCH = os.path.join(ROOT, "scripts", "py_bench.py")

# Arguments per experiment: the full run (about 2 minutes on 2 cores in all) and a quick one.
FULL = {
    "startup": ["--iters", "100"],
    "ipc": ["--max-size", "128m"],
    "counter": ["--count", "100000"],
    "grain": ["--reps", "3"],
    "paths": ["--reps", "5"],
}

QUICK = {
    "startup": ["--iters", "3", "--warmup", "1", "--reps", "1"],
    "ipc": ["--max-size", "32k", "--iters", "20", "--warmup", "2"],
    "counter": ["--count", "2000", "--reps", "1"],
    "grain": ["--min-grain", "10", "--max-grain", "1000", "--reps", "1"],
    "paths": ["--images", "4", "--width", "256", "--height", "128", "--reps", "1"],
}

PY_FULL = {"ipc": ["--max-size", "32m"], "counter": ["--count", "10000"]}

# gilfree-mpi's IPC experiment between two hosts and within one (compare.py --vcluster,
# --hostfile): up to 1 MiB, where a virtual cluster's TCP already shows its ceiling.
HOSTS_IPC = {False: ["--max-size", "1m", "--iters", "200", "--warmup", "20"],
             True: QUICK["ipc"]}


def _run(argv, env, timeout):
    r = run_child(argv, env, timeout)  # on a timeout, mpiexec's ranks go too
    if r is None:
        return None, f"{' '.join(argv)}: timed out after {timeout} s"
    recs, bad = json_lines(argv, r.stdout)
    if r.returncode != 0:
        bad = f"{' '.join(argv)}: exit {r.returncode}: {r.stderr.strip()[-400:]}"
    return recs, bad


def plan_benchmarks(build, quick, workers, experiments, mpiexec):
    """[(what it is, argv)] of every built binary's experiments, then py_bench.py's."""
    args = QUICK if quick else FULL
    plan = []
    for name in backends.C_BACKENDS:
        exe = os.path.join(build, "bin", backends.backend(name).binary)
        if not os.access(exe, os.X_OK) or not backends.backend(name).bench:
            continue
        ranked = backends.backend(name).launcher != "local"
        for exp in experiments:
            # under a launcher, the world size is the worker count
            extra = [] if ranked or exp in ("startup", "ipc") else ["--workers", str(workers)]
            argv = [exe, "bench", exp] + args[exp] + extra + ["--format", "json"]
            if ranked:
                argv = launch.command("mpiexec", argv, ranks=workers, mpiexec=mpiexec)[0]
            plan.append((f"{name} {exp}", argv))
    for exp in experiments:
        extra = list(args[exp]) if quick else list(PY_FULL.get(exp, args[exp]))
        mpi = os.path.join(build, "bin", backends.backend("mpi").binary)
        if exp == "startup" and os.access(mpi, os.X_OK):
            extra += ["--mpi", mpi, "--mpiexec", mpiexec]
        if exp not in ("ipc",):
            extra += ["--workers", str(workers)]
        plan.append((f"python {exp}", [sys.executable, PY_BENCH, exp] + extra
                     + ["--format", "json"]))
    return plan


def collect(build, out_dir=None, quick=False, workers=2, progress=None, experiments=EXPERIMENTS):
    """Runs the benchmarks of every binary in build/bin and py_bench.py. Returns (records,
    failures, None or the Interrupted that stopped them, with how many were done of how many);
    writes bench_records.jsonl into out_dir when given."""
    env = dict(os.environ, **launch.get("mpiexec").env)
    mpiexec = launch.command("mpiexec", [])[0][0]
    plan = plan_benchmarks(build, quick, workers, experiments, mpiexec)
    records, failures = [], []
    stop, done = None, 0
    try:
        for what, argv in plan:
            t0 = time.monotonic()
            recs, bad = _run(argv, env, 600)
            with signals_held():
                records += recs or []
                failures += [bad] if bad else []
                done += 1
            if progress:
                progress(f"{what}: {time.monotonic() - t0:.1f} s{'' if not bad else ' FAILED'}")
    except Interrupted as e:
        stop, e.done, e.planned = e, done, len(plan)
    failures += [f"{r['backend']} {r['experiment']} {r['method']}: a checked quantity is wrong"
                 for r in records if r.get("ok") is False and not r.get("expected_race")]
    if out_dir:  # the last line says whether the file is whole: an end, or the interrupt
        last = stopped_record(stop, "benchmarks") if stop else end_record(done, len(plan))
        with open(os.path.join(out_dir, "bench_records.jsonl"), "w", encoding="utf-8") as f:
            for r in records + [last]:
                f.write(json.dumps(r, separators=(",", ":")) + "\n")
    return records, failures, stop


def ipc_across(build, hosts, quick=False, extra=(), progress=None):
    """gilfree-mpi bench ipc on 2 ranks within one host (this machine's mpiexec, Open MPI's
    defaults) and between two hosts of hosts (a cluster.Cluster or Hostfile: one rank on each
    of two, by node, with the words extra). Returns (records, failures): the records are of
    kind "hosts_bench", with where ("one host" or "2 hosts") and, between hosts, the
    placement. MPI_Win_allocate_shared needs its two ranks on one host: between hosts its
    rows say NO, which is right, and are marked no_partner rather than counted as failures."""
    exe = os.path.join(build, "bin", backends.backend("mpi").binary)
    args = [exe, "bench", "ipc"] + HOSTS_IPC[bool(quick)] + ["--format", "json"]
    env = dict(os.environ, **launch.get("mpiexec").env)
    if hosts.launcher == "srun":  # inside a Slurm allocation: one node, then two
        runs = [(where, launch.command("srun", args, ranks=2, nodes=n, extra=["-m", "cyclic"])[0])
                for where, n in (("one host", 1), ("2 hosts", 2))]
    else:
        runs = [("one host", launch.command("mpiexec", args, ranks=2)[0]),
                ("2 hosts", launch.command(hosts.launcher, args, ranks=2,
                                           extra=["--map-by", "node"] + list(extra),
                                           **hosts.values())[0])]
    records, failures = [], []
    for where, argv in runs:
        t0 = time.monotonic()
        r = run_child(argv, env, 600)
        if r is None:
            failures.append(f"bench ipc {where}: timed out after 600 s: {' '.join(argv)}")
            continue
        recs, bad = json_lines(argv, r.stdout)
        place = None
        if where != "one host":
            place = launch.placement(r.stdout) if hosts.launcher != "srun" else [
                {"worker": b["rank"], "host": b["host"], "cpu": None, "mask": b["mask"]}
                for b in slurm_bindings(r.stderr)] or None
        for rec in recs:
            rec.update(kind="hosts_bench", where=where)
            if place is not None:
                rec["placement"] = place
                if rec.get("method") == "mpi_win_shared" and rec.get("ok") is False:
                    rec["no_partner"] = True
        records += recs
        wrong = sorted({x.get("method", "?") for x in recs
                        if x.get("ok") is False and not x.get("no_partner")})
        if bad:
            failures.append(bad)
        if wrong:
            failures.append(f"bench ipc {where}: a checked quantity is wrong: {', '.join(wrong)}")
        elif r.returncode != 0 and not any(x.get("no_partner") for x in recs):
            failures.append(f"bench ipc {where}: exit {r.returncode}: "
                            f"{r.stderr.strip()[-400:]}")
        if place is not None and len({p["host"] for p in place}) < 2:
            failures.append(f"bench ipc {where}: both ranks on one host "
                            f"({launch.ranks_per_host(place)})")
        if progress:
            progress(f"bench ipc {where}: {time.monotonic() - t0:.1f} s"
                     + (f" ({launch.ranks_per_host(place)})" if place else ""))
    return records, failures


def pick(records, exp, backend=None, method=None, **kw):
    out = []
    for r in records:
        if r.get("kind") != "bench" or r.get("experiment") != exp:
            continue
        if backend and r["backend"] != backend or method and r["method"] != method:
            continue
        if any(r.get(k) != v for k, v in kw.items()):
            continue
        out.append(r)
    return out


def one(records, exp, backend, method, **kw):
    got = pick(records, exp, backend, method, **kw)
    return got[-1] if got else None


def label(r):
    return f"{r['backend']} {r['method']}"


def _image(md, plotted, what):
    img, why = plotted
    if img:
        md.append(f"![{what}]({img})\n")
    else:
        md.append(f"({what}: {why})\n")


def wins(recs):
    """What the crossover of one series of grain records (sorted by grain_x) says."""
    cross = crossover([(grain_x(r), r["speedup"]) for r in recs])
    at = next((r for r in recs if grain_x(r) == cross), None)
    return f"parallel wins from {grain_label(at)}" if at else \
        "no grain from which parallel always wins"


def grain_measured(r):
    """A grain record's measured time per task, microseconds, or None where it has none."""
    m = r.get("grain_measured_us")
    return m if isinstance(m, (int, float)) and not isinstance(m, bool) and m > 0 else None


def grain_x(r):
    """Where a grain record stands on the grain axis: its measured grain, else its nominal."""
    m = grain_measured(r)
    return m if m is not None else r["grain_us"]


def grain_dev(r):
    """How far the measured grain is from the nominal one (0.41: 41%), or None."""
    m = grain_measured(r)
    return abs(m / r["grain_us"] - 1) if m is not None and r["grain_us"] > 0 else None


def grain_is_off(r):
    """The record's grain_off, or the same 20% rule where it has a measured grain only."""
    if isinstance(r.get("grain_off"), bool):
        return r["grain_off"]
    dev = grain_dev(r)
    return dev is not None and dev > GRAIN_OFF


def grain_label(r):
    """'10 us (9.7 measured)'; a point off its grain flagged: '10 us (**14.1 measured, off by
    41%**)'; '10 us' where the record has no measured grain."""
    m = grain_measured(r)
    if m is None:
        return f"{r['grain_us']} us"
    if grain_is_off(r):
        return f"{r['grain_us']} us (**{fmt(m)} measured, off by {100 * grain_dev(r):.0f}%**)"
    return f"{r['grain_us']} us ({fmt(m)} measured)"


def section_startup(records, md):
    md.append("### Start-up: what one worker costs\n")
    rows = []
    for r in pick(records, "startup"):
        rows.append([r["backend"], r["method"], r.get("workers", 1), spread(r["lat_us"]),
                     fmt_kb(r.get("pss_kb")), fmt_kb(r.get("private_kb")),
                     "yes" if r.get("ok") else "NO"])
    md.append(table(["backend", "method", "workers", "create and join: median (min to max)",
                     "PSS per worker", "private per worker", "ok"], rows))
    spawn = one(records, "startup", "python", "process_spawn")
    pfork = one(records, "startup", "python", "process_fork")
    cfork = one(records, "startup", "posix", "fork")
    thr = one(records, "startup", "posix", "pthread")
    mrun = one(records, "startup", "mpi", "mpirun_to_init")
    md.append(table(["lecture claim", "measured in C", "measured in Python"], [
        ["a process takes 50-200 ms to start (spawn)",
         f"fork {fmt_us(med(cfork['lat_us'])) if cfork else 'n/a'}, pthread "
         f"{fmt_us(med(thr['lat_us'])) if thr else 'n/a'}"
         + (f", mpiexec to MPI_Init {fmt_us(med(mrun['lat_us']))}" if mrun else ""),
         f"spawn {fmt_us(med(spawn['lat_us'])) if spawn else 'n/a'}, fork "
         f"{fmt_us(med(pfork['lat_us'])) if pfork else 'n/a'}"],
        ["and 30-100 MB of memory per process",
         f"forked child PSS {fmt_kb(cfork.get('pss_kb')) if cfork else 'n/a'}",
         f"spawned child PSS {fmt_kb(spawn.get('pss_kb')) if spawn else 'n/a'}, forked "
         f"{fmt_kb(pfork.get('pss_kb')) if pfork else 'n/a'}"],
    ]))


def section_ipc(records, md, out_dir, terms):
    md.append("### IPC by payload size\n")
    recs = [r for r in pick(records, "ipc") if "size" in r]
    sizes = sorted({r["size"] for r in recs})
    if not sizes:
        md.append("No IPC records.\n")
        return
    large = sizes[-1]
    # memcpy is the same in every backend: the first backend's stands for all
    memcpy = next((label(r) for r in recs if r["method"] == "memcpy"), None)
    shown = [r for r in recs if r["method"] != "memcpy" or label(r) == memcpy]
    rows = []
    seen = set()
    for r in shown:
        key = label(r)
        if key in seen:
            continue
        seen.add(key)
        mine = [x for x in shown if label(x) == key]
        s = min(mine, key=lambda x: x["size"])
        lg = max(mine, key=lambda x: x["size"])
        rows.append([r["backend"], r["method"], f"{s['size']} B", spread(s["lat_us"]),
                     f"{lg['size']:,} B",
                     "no copy" if "handoff" in r["method"] else fmt(lg.get("bw_MBps"), " MB/s"),
                     "yes" if all(x.get("ok") for x in mine) else "NO"])
    md.append("Latency is half the round trip at the smallest size; bandwidth at the largest size "
              "the method ran (size over the median one-way time; for the `_bw` methods, a window of "
              "messages as osu_bw, all the bytes over all the time). A pointer hand-off copies nothing, so it has no bandwidth.\n\n")
    md.append(table(["backend", "method", "smallest", "latency there", "largest",
                     "bandwidth there", "ok"], rows))
    lat, bw = {}, {}
    for r in shown:
        name = "memcpy" if r["method"] == "memcpy" else label(r)
        if not r["method"].endswith("_bw") and isinstance(r.get("lat_us"), dict):
            st = r["lat_us"]
            lat.setdefault(name, []).append((r["size"], st["median"], st["min"], st["max"]))
        if r.get("bw_MBps") and "handoff" not in r["method"]:
            bw.setdefault(name, []).append((r["size"], r["bw_MBps"], r["bw_MBps"], r["bw_MBps"]))
    md += ipc_pingpong_notes(records)
    _image(md, line_plot(out_dir, "bench_ipc_latency", "IPC latency (half round trip)",
                     "payload (bytes)", "microseconds", lat, terms), "latency against size")
    _image(md, line_plot(out_dir, "bench_ipc_bandwidth", "IPC bandwidth", "payload (bytes)",
                     "MB/s", bw, terms), "bandwidth against size")
    mc = next((r for r in recs if r["method"] == "memcpy" and r["size"] == large), None)
    q = one(records, "ipc", "python", "queue", size=large) or \
        max(pick(records, "ipc", "python", "queue"), key=lambda r: r["size"], default=None)
    cp = one(records, "ipc", "posix", "pipe", size=large)
    mcq = next((r for r in recs if r["method"] == "memcpy" and q and r["size"] == q["size"]),
               None)
    md.append(table(["lecture claim", "measured in C", "measured in Python"], [
        ["pickling through a Queue copies the data three times",
         f"pipe {fmt(cp['bw_MBps'], ' MB/s') if cp else 'n/a'} against memcpy "
         f"{fmt(mc['bw_MBps'], ' MB/s') if mc else 'n/a'} at {large} B",
         f"Queue {fmt(q['bw_MBps'], ' MB/s') if q else 'n/a'} at {q['size'] if q else '?'} B: "
         + (f"as long as {mcq['bw_MBps'] / q['bw_MBps']:.1f} memcpys of the same bytes"
            if q and mcq and q.get("bw_MBps") else "n/a")],
    ]))


def ipc_pingpong_notes(records):
    """What the ping-pongs say beside each other, as markdown paragraphs ([] where the records
    lack them): at the smallest size all three ran, shared memory handed over through the
    kernel (process-shared semaphores) against a flag both sides spin on, against MPI's
    ping-pong, which polls; at the largest size both MPI ping-pongs ran, osu_latency's two
    buffers against one buffer that each rank receives into and sends from."""
    notes = []
    sem = {r["size"]: r for r in pick(records, "ipc", "posix", "shm") if "size" in r}
    spin = {r["size"]: r for r in pick(records, "ipc", "posix", "shm_spin") if "size" in r}
    mpi = {r["size"]: r for r in pick(records, "ipc", "mpi", "mpi_pingpong") if "size" in r}
    one_buf = {r["size"]: r for r in pick(records, "ipc", "mpi", "mpi_pingpong_one_buffer")
               if "size" in r}
    both = sorted(set(sem) & set(spin) & set(mpi))
    if both:
        s = both[0]
        a, b, c = (med(sem[s]["lat_us"]), med(spin[s]["lat_us"]), med(mpi[s]["lat_us"]))
        saved = (f" Without the kernel's sleep and wake-up the hand-off takes {fmt_us(a - b)} "
                 "less." if a > b else "")
        notes.append(f"Polling against the kernel, {s} B each way (half the round trip, "
                     f"median): shared memory handed over with process-shared semaphores "
                     f"{fmt_us(a)}, with a flag both sides spin on {fmt_us(b)}, MPI's "
                     f"ping-pong, whose receive polls, {fmt_us(c)}.{saved}\n")
    pair = sorted(set(mpi) & set(one_buf))
    if pair:
        s = pair[-1]
        two, one = mpi[s].get("avg_us"), one_buf[s].get("avg_us")
        if two and one:
            notes.append(f"One buffer against two, MPI at {s:,} B (osu_latency's mean, half "
                         f"the round trip): from one page-aligned buffer into another "
                         f"{fmt_us(two)}, each rank receiving into the buffer it sends from "
                         f"{fmt_us(one)} ({one / two:.2f}x).\n")
    return notes


def section_counter(records, md):
    md.append("### Shared state: one counter, many workers\n")
    rows = []
    for r in pick(records, "counter"):
        rows.append([r["backend"], r["method"], r.get("workers"), r.get("count"),
                     spread(r["ns_per_inc"], lambda x: fmt(x, " ns")), r.get("final"),
                     "lost updates (no lock)" if r.get("expected_race") and not r.get("ok")
                     else "yes" if r.get("ok") else "NO"])
    md.append(table(["backend", "method", "workers", "increments",
                     "per increment: median (min to max)", "final count", "ok"], rows))
    man = one(records, "counter", "python", "manager")
    val = one(records, "counter", "python", "value_lock")
    cman = one(records, "counter", "posix", "manager")
    cat = one(records, "counter", "posix", "shm_atomic")
    md.append(table(["lecture claim", "measured in C", "measured in Python"], [
        ["a Manager is the slowest way to share",
         f"manager {fmt(med(cman['ns_per_inc']), ' ns') if cman else 'n/a'} against shared "
         f"atomic {fmt(med(cat['ns_per_inc']), ' ns') if cat else 'n/a'}",
         f"Manager {fmt(med(man['ns_per_inc']), ' ns') if man else 'n/a'} against Value "
         f"{fmt(med(val['ns_per_inc']), ' ns') if val else 'n/a'}"],
    ]))


def grain_off_note(recs):
    """The sentence under the grain table: how many points were off their nominal grain."""
    measured = [r for r in recs if grain_measured(r) is not None]
    nominal = len(recs) - len(measured)
    plain = (f" {nominal} of the {len(recs)} points carry no measured grain: they stand at "
             "their nominal grain, which their tasks may not have taken." if nominal else "")
    if not measured:
        return "These records carry no measured grain: every point stands at its nominal grain." \
            + plain + "\n"
    off = sum(grain_is_off(r) for r in measured)
    if not off:
        return (f"All {len(measured)} points with a measured grain ran within "
                f"{100 * GRAIN_OFF:.0f}% of their nominal grain." + plain + "\n")
    return (f"**{off} of the {len(measured)} points with a measured grain were off their "
            f"nominal grain by more than {100 * GRAIN_OFF:.0f}%** (flagged above). That matters: "
            "a speedup belongs to the time a task took, not to its label, so two backends "
            "compared at the same label would compare unequal tasks; the plot and the crossovers "
            "use the measured grains." + plain + "\n")


def parent_cpu_table(records, md):
    """The pools' parent CPU per task at chunksize 1 and 64 at their smallest grain."""
    rows = []
    for backend, method, name in (("posix", "posix_pool", "C posix pool"),
                                  ("python", "pool_map", "Python Pool.map")):
        recs = pick(records, "grain", backend, method)
        if not recs:
            continue
        g = min(r["grain_us"] for r in recs)
        for cs in (1, 64):
            r = next((x for x in recs if x["grain_us"] == g and x.get("chunksize") == cs), None)
            if not r:
                continue
            cpu = r.get("parent_cpu_us")
            have = isinstance(cpu, (int, float)) and not isinstance(cpu, bool)
            rows.append([name, grain_label(r), cs, fmt_us(cpu) if have else "not recorded",
                         f"{100 * cpu / grain_x(r):.0f}%" if have and grain_x(r) else "n/a"])
    if not rows:
        return
    md.append("The parent of a pool hands out the tasks and gathers the results on the same "
              "cores as its workers, so its CPU time is taken from them. Its CPU per task during "
              "the parallel map (all its threads; median over the repetitions) at the smallest "
              "grain:\n\n")
    md.append(table(["pool", "smallest grain", "chunksize", "parent's CPU per task",
                     "against a task's time"], rows))


def chunk_label(r):
    """' chunksize 16', or ' default chunksize' for map's own (chunksize 0), '' for none."""
    if "chunksize" not in r:
        return ""
    return " default chunksize" if r["chunksize"] == 0 else f" chunksize {r['chunksize']}"


def c_against_python(records, md):
    """C's pool against Python's Pool.map at each nominal grain and chunksize both ran."""
    c = {(r["grain_us"], r.get("chunksize")): r for r in pick(records, "grain", "posix",
                                                               "posix_pool")}
    py = {(r["grain_us"], r.get("chunksize")): r for r in pick(records, "grain", "python",
                                                                "pool_map")}
    both = sorted(k for k in c if k in py and k[1] is not None)
    md.append("#### C pool against Python Pool.map\n")
    if not both:
        md.append("No grain and chunksize was run by both the C pool and Python's Pool.map.\n")
        return
    rows, c_ahead = [], 0
    for g, cs in both:
        rc, rp = c[(g, cs)], py[(g, cs)]
        faster = "C pool" if rc["speedup"] > rp["speedup"] else "Python Pool.map" \
            if rp["speedup"] > rc["speedup"] else "neither"
        c_ahead += faster == "C pool"
        lo, hi = sorted((rc["speedup"], rp["speedup"]))
        if lo > 0 and faster != "neither":
            faster += f", {hi / lo:.2f}x the other's speedup"
        xc, xp = grain_x(rc), grain_x(rp)
        if min(xc, xp) > 0 and max(xc, xp) / min(xc, xp) - 1 > GRAIN_OFF:
            faster += f" (their grains differ by {100 * (max(xc, xp) / min(xc, xp) - 1):.0f}%)"
        rows.append([f"{g} us", cs or f"map's default ({rc.get('chunksize_used', '?')}, "
                     f"{rp.get('chunksize_used', '?')})", f"{fmt(grain_measured(rc))} us" if grain_measured(rc)
                     else "not measured", f"{fmt(grain_measured(rp))} us" if grain_measured(rp)
                     else "not measured", f"{rc['speedup']:.2f}x", f"{rp['speedup']:.2f}x",
                     faster])
    md.append("Each pool's speedup over its own language's loop, at the same nominal grain and "
              "chunksize, beside the time per task each one's loop measured: at equal time per "
              "task, the higher speedup is the pool that loses less to handing out tasks.\n\n")
    md.append(table(["grain", "chunksize", "C measured grain", "Python measured grain",
                     "C speedup", "Python speedup", "higher speedup"], rows))
    md.append(f"The C pool has the higher speedup at {c_ahead} of the {len(both)} points.\n")


def section_grain(records, md, out_dir, terms):
    md.append("### Grain size: when parallel starts to win\n")
    by_name, series, rows = {}, {}, []
    recs = pick(records, "grain")
    for r in recs:
        name = label(r) + chunk_label(r)
        by_name.setdefault(name, []).append(r)
    for name, pts in by_name.items():
        pts.sort(key=grain_x)
        series[name] = [(grain_x(r), r["speedup"], r["speedup"], r["speedup"]) for r in pts]
        cross = crossover([(grain_x(r), r["speedup"]) for r in pts])
        at = next((r for r in pts if grain_x(r) == cross), None)
        rows.append([name, ", ".join(f"{grain_label(r)}: {r['speedup']:.2f}x" for r in pts),
                     grain_label(at) if at else "none in this sweep"])
    md.append("Each point is labelled by its nominal grain and the time per task its sequential "
              "loop took (the tasks are rescaled, twice at most, until that is within 10% of the "
              "grain). Speedup is the median sequential over the median parallel time, both in "
              "one run; the crossover is the smallest measured grain from which parallel wins at "
              "every larger one.\n\n")
    md.append(table(["backend and method", "speedup by grain", "crossover"], rows))
    md.append(grain_off_note(recs))
    _image(md, line_plot(out_dir, "bench_grain_speedup", "Speedup against task grain",
                         "grain, measured time per task (microseconds)", "speedup", series,
                         terms, logy=False, extra="set yrange [0:*]\n"), "speedup against grain")
    parent_cpu_table(records, md)

    def at(backend, method, cs):
        pts = [r for r in pick(records, "grain", backend, method) if r.get("chunksize") == cs]
        return min(pts, key=lambda r: r["grain_us"]) if pts else None
    p1, p64 = at("python", "pool_map", 1), at("python", "pool_map", 64)
    c1, c64 = at("posix", "posix_pool", 1), at("posix", "posix_pool", 64)
    md.append(table(["lecture claim", "measured in C", "measured in Python"], [
        ["chunksize cuts queue overhead for small tasks",
         f"at {grain_label(c1)}: {c1['speedup']:.2f}x with chunksize 1, "
         f"{c64['speedup']:.2f}x with 64" if c1 and c64 else "n/a",
         f"at {grain_label(p1)}: {p1['speedup']:.2f}x with chunksize 1, "
         f"{p64['speedup']:.2f}x with 64" if p1 and p64 else "n/a"],
        ["sometimes sequential code wins",
         "; ".join(f"{n}: {wins(p)}" for n, p in by_name.items()
                   if not n.startswith("python")) or "n/a",
         "; ".join(f"{n}: {wins(p)}" for n, p in by_name.items()
                   if n.startswith("python")) or "n/a"],
    ]))
    c_against_python(records, md)


def section_paths(records, md):
    md.append("### Paths, not frames\n")
    rows = []
    for r in pick(records, "paths"):
        rows.append([r["backend"], r["method"], r["images"], r["image_bytes"],
                     f"{r['bytes_moved']:,}", spread(r["time_s"], lambda x: fmt(x * 1e3, " ms")),
                     "yes" if r.get("ok") else "NO"])
    md.append(table(["backend", "method", "images", "bytes each", "bytes moved between workers",
                     "time: median (min to max)", "ok"], rows))

    def pair(backend, frames, paths):
        f, p = one(records, "paths", backend, frames), one(records, "paths", backend, paths)
        if not f or not p:
            return "n/a"
        return (f"{fmt(med(f['time_s']) * 1e3, ' ms')} and {f['bytes_moved']:,} B with frames, "
                f"{fmt(med(p['time_s']) * 1e3, ' ms')} and {p['bytes_moved']:,} B with paths")
    md.append(table(["lecture claim", "measured in C", "measured in Python"], [
        ["send file paths (offsets), not frames", pair("posix", "pipe_frames", "mmap_paths"),
         pair("python", "queue_frames", "mmap_paths")],
    ]))


def bench_sections(records, out_dir):
    """The five markdown sections for report.md; data files and plots go into out_dir."""
    os.makedirs(out_dir, exist_ok=True)
    md = ["## The lecture's costs, measured\n",
          "Each figure is a median with min to max over the iterations, after warm-up "
          "iterations; every row's checked quantity (echoed bytes, counts, checksums) is in "
          "its ok column. C and Python ran on the same machine in the same run.\n"]
    section_startup(records, md)
    terms = gnuplot_terminals()  # probed once for all the plots
    section_ipc(records, md, out_dir, terms)
    section_counter(records, md)
    section_grain(records, md, out_dir, terms)
    section_paths(records, md)
    return "\n".join(md)


def bench_fields(rec):
    """What a bench record lacks, or None; records of other kinds are not read here."""
    if rec.get("kind") != "bench":
        return None
    missing = [k for k in ("backend", "experiment", "method") if k not in rec]
    return f"lacks {', '.join(missing)}" if missing else None


def main(argv, doc):
    p = OneLineParser(prog="bench_report.py", description=doc.split("\n\n")[0],
                      formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default=default_build())
    p.add_argument("--out", default=None, help="output folder (default results/bench-<time>); "
                   "must not exist or be empty")
    p.add_argument("--quick", action="store_true", help="tiny sizes: a check, not a measurement")
    p.add_argument("--records", nargs="+", help="read bench records instead of running")
    p.add_argument("-w", "--workers", type=int_in("--workers", 1, 1024), default=2)
    a = p.parse_args(argv)
    if not a.records and not os.path.isdir(os.path.join(a.build, "bin")):
        p.error(f"invalid --build '{a.build}': no bin folder")
    records, failures, stop = [], [], None
    partial = []
    try:  # every record read and checked before anything is written
        for path in a.records or []:
            recs = read_records(path, check=bench_fields)
            partial += incomplete(path, recs)
            records += measured(recs)
    except RecordsError as e:
        p.error(str(e))
    out = a.out or os.path.join(ROOT, "results", time.strftime("bench-%Y-%m-%d-%H%M%S"))
    problem = out_dir_problem(out)
    if problem:
        p.error(f"invalid --out '{out}': {problem}")
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        p.error(f"invalid --out '{out}': {e.strerror}")
    if not a.records:
        records, failures, stop = collect(a.build, out, quick=a.quick, workers=a.workers,
                                          progress=lambda s: print(f"# {s}", flush=True))
    if stop:
        failures.insert(0, f"interrupted by {stop.name} after {stop.done} of {stop.planned} "
                           "benchmarks")
    failures = partial + failures
    with signals_held():  # the sections of what was done are written whole
        md = bench_sections(records, out)
        if stop or partial:
            md = f"**Incomplete: {failures[0]}.**\n\n{md}"
        with open(os.path.join(out, "bench.md"), "w", encoding="utf-8") as f:
            f.write(md)
        print(f"# {len(records)} records; {os.path.join(out, 'bench.md')}")
        for x in failures:
            print(f"FAILED: {x}")
    return stop.status if stop else 1 if failures else 0
