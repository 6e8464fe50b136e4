"""The report's section "Across hosts" (compare.py --vcluster, --hostfile): the MPI rows run on
one host beside the same runs across hosts, with their phases; what a network hop costs against
each workload's task grain; gilfree-mpi's IPC experiment between two hosts beside within one,
with its plots; and what the models that cannot cross hosts mean for the lecture's lessons.

Read from the records only: the "cluster" record (what the hosts were), the runs (an MPI row
across hosts is labelled "mpi@spread", "mpi@packed" or "mpi@as-given" and holds its placement)
and the "hosts_bench" records.

    report.register_section("cluster", None, acrosshosts.section, covers=("hosts_bench",))
"""
from . import stats
from .backends import label, order_key
from .crosscheck import diff_results, result_group
from .launch import record_ranks_per_host
from .plots import gnuplot_terminals, line_plot
from .records import kind
from .tables import fmt, fmt_ratio, fmt_s, fmt_us, table
from .workloads import CLASS_ORDER, WORKLOADS

PHASES = ("scatter", "compute", "gather")
MAPPING_TEXT = {"spread": "one rank per host in turn (--map-by node)",
                "packed": "each host's slots filled in turn (--map-by slot)",
                "as-given": "mapped as --mpirun-args says"}


def base(lab):
    return lab.partition("@")[0]


def mapping(lab):
    return lab.partition("@")[2] or None


def _intro(cl, runs):
    hosts = cl.get("hosts", [])
    used = sorted({p["host"] for r in runs for p in r.get("placement", [])})
    if cl.get("cluster") == "virtual":
        cap = f"each link capped at {cl['rate']} (tc tbf)" if cl.get("rate") else \
            "links not capped"
        what = (f"{len(hosts)} virtual hosts ({', '.join(hosts)}, {cl.get('slots')} slots "
                f"each in the hostfile): network namespaces of this one machine, each under its "
                f"own host name, joined by a Linux bridge, with mpirun in a namespace of its "
                f"own on the same bridge; {cap}. Open MPI used shared memory between ranks on "
                f"one host and TCP between hosts ({cl.get('mca', {}).get('btl', '?')}). "
                "These hosts share this machine's cores and memory: going across them adds no "
                "cores, only the network path (TCP through the kernel, a veth pair and the "
                "bridge) under every message, so what changes between the rows below is what "
                "the network costs. A real network adds its wire's latency too, which this "
                "kernel cannot emulate (it has no netem qdisc). One more difference: on one "
                "host each rank is bound to a core when the ranks fit the cores, while across "
                "virtual hosts no rank is bound (each host sees every core and would bind its "
                "first rank to core 0), so on a busy machine the two rows can differ by more "
                "than the network's cost, either way.")
    elif cl.get("cluster") == "slurm":
        what = (f"the {len(hosts)} nodes of Slurm allocation {cl.get('job')} "
                f"({', '.join(hosts)}, {cl.get('cpus_per_node') or '?'} CPUs each), every MPI "
                "row started by srun --mpi=pmix: the one-host rows on one node, these across "
                "nodes (spread: -m cyclic, packed: -m block), each rank bound by Slurm to "
                "its CPUs (--cpus-per-task for the ranks of threads), with Open MPI's own "
                "choice of transports.")
    else:
        what = (f"the {len(hosts)} hosts of the hostfile {cl.get('hostfile')} "
                f"({', '.join(hosts)}), with Open MPI's own choice of transports.")
    out = [f"The MPI rows ran once more across {what}", ""]
    maps = sorted({mapping(label(r)) for r in runs}, key=list(MAPPING_TEXT).index)
    out.append("Rows: " + "; ".join(f"`{m}`, {MAPPING_TEXT[m]}" for m in maps)
               + f". Hosts used: {', '.join(used) or 'none'}. Each run's ranks per host are "
               "from its placement (" + (runs[0].get("placement_from", "the binary")
                                         if runs else "-") + ").")
    out.append("")
    return out


def _same_results(runs, local):
    """The sentence on the runs across hosts against one host's: verified, and results
    identical to a one-host run of the same parameters (to the last bit)."""
    unverified = [r for r in runs if r.get("verified") is not True]
    differ, alone = [], []
    for r in runs:
        ones = [x for x in local if result_group(x) == result_group(r)]
        if not ones:
            alone.append(r)
        elif diff_results(ones[0], r):
            differ.append(r)
    if unverified or differ:
        return (f"**{len(unverified)} runs across hosts not verified and {len(differ)} with "
                "results other than one host's**: see Verification.\n")
    checked = len(runs) - len(alone)
    return (f"All {len(runs)} runs across hosts verified their results, and each of the "
            f"{checked} with a one-host run of the same parameters gave results identical to "
            "it, floating-point totals to the last bit.\n")


def _phase_cells(rec):
    ph = stats.phases(rec)
    return [fmt_s(ph[p]["median"]) if p in ph else "-" for p in PHASES]


def _comm(rec):
    """Median scatter plus gather, or None where the record has neither."""
    ph = stats.phases(rec)
    got = [ph[p]["median"] for p in ("scatter", "gather") if p in ph]
    return sum(got) if got else None


def _cell_tables(runs, local):
    out = []
    cells = {}
    for r in runs:
        cells.setdefault((r["workload"], r["class"]), []).append(r)
    for (wl, cls) in sorted(cells, key=lambda k: (WORKLOADS.index(k[0]) if k[0] in WORKLOADS
                                                  else 9, CLASS_ORDER.find(k[1]))):
        rows = []
        recs = cells[(wl, cls)]
        for lab in sorted({base(label(r)) for r in recs}, key=order_key):
            for p in sorted({r["workers"] for r in recs if base(label(r)) == lab}):
                mine = [r for r in local if label(r) == lab and r["workload"] == wl
                        and r["class"] == cls and r["workers"] == p]
                mine += sorted((r for r in recs if base(label(r)) == lab and r["workers"] == p),
                               key=lambda r: list(MAPPING_TEXT).index(mapping(label(r))))
                one = next((r for r in mine if "@" not in label(r)), None)
                for r in mine:
                    par = stats.timing(r, "par_s")["median"]
                    against = stats.ratio(par, stats.timing(one, "par_s")["median"]) \
                        if one and r is not one else None
                    rows.append([label(r) if r is one else f"{label(r)}",
                                 f"{p}{'*' if r.get('oversubscribed') else ''}",
                                 record_ranks_per_host(r) or
                                 ("this machine" if r is one else "?"),
                                 fmt_s(par)] + _phase_cells(r)
                                + [fmt_ratio(stats.speedup(r)),
                                   fmt_ratio(against) if against else "-",
                                   fmt_s(r.get("setup_s", {}).get("mpi_init"))])
        out.append(f"### {wl}, class {cls}: one host against several\n")
        out.append(table(["row", "P", "ranks per host", "median s", "scatter s", "compute s",
                          "gather s", "speedup", "time against one host",
                          "MPI_Init s (once)"], rows))
    return out


def _hop_table(runs, local):
    """Per workload and class, at the largest P run both ways: what going across added."""
    rows, worst, negative = [], None, False
    keys = sorted({(r["workload"], r["class"], base(label(r))) for r in runs},
                  key=lambda k: (WORKLOADS.index(k[0]) if k[0] in WORKLOADS else 9,
                                 CLASS_ORDER.find(k[1]), order_key(k[2])))
    for wl, cls, lab in keys:
        pairs = []
        for r in runs:
            if (r["workload"], r["class"], base(label(r))) != (wl, cls, lab) or \
                    mapping(label(r)) not in ("spread", "as-given"):
                continue
            one = next((x for x in local if label(x) == lab and x["workload"] == wl and
                        x["class"] == cls and x["workers"] == r["workers"]), None)
            if one:
                pairs.append((r["workers"], one, r))
        if not pairs:
            continue
        # the most workers that fit the cores: oversubscribed runs add the machine's
        # scheduling to what the network costs
        fit = [t for t in pairs if t[0] <= t[2].get("cores", t[0])] or pairs
        p, one, far = max(fit, key=lambda t: t[0])
        c1, c2 = _comm(one), _comm(far)
        if c1 is not None and c2 is not None:  # the messages' own phases
            added, how = c2 - c1, "scatter + gather"
        else:  # a split without them (the dynamic queue): the whole parallel time
            added = stats.timing(far, "par_s")["median"] - stats.timing(one, "par_s")["median"]
            how = "parallel time"
        grain = stats.median(far["task_s"]) if far.get("task_s") else None
        per = added / grain if grain else None
        rows.append([f"{lab} {wl}", cls, p, record_ranks_per_host(far),
                     fmt_s(c1), fmt_s(c2), f"{fmt_s(added)} ({how})", fmt_s(grain),
                     fmt(per, " tasks") if per is not None else "-"])
        if per is not None and per > 0 and (worst is None or per > worst[0]):
            worst = (per, lab, wl, cls, p, added, grain)
        negative = negative or added < 0
    if not rows:
        return []
    out = ["### What a network hop costs against the task grain\n",
           "At the most workers run both ways that fit the cores (else the most run), spread "
           "over the hosts: the time the messages took (the scatter and gather phases' "
           "medians) within one host and across hosts, the difference, which is what the "
           "network hop cost, and the median time of one task (the run's own sequential "
           "per-task times). The hop in tasks' worth of work is what each run must win back by "
           "computing in parallel.\n",
           table(["run", "class", "P", "ranks per host", "one host: scatter + gather s",
                  "across: scatter + gather s", "the hop s", "a task s", "the hop, in tasks"],
                 rows)]
    if worst:
        per, lab, wl, cls, p, added, grain = worst
        out.append(f"The dearest: {lab} {wl} class {cls} on {p} ranks, where the hop "
                   f"cost {fmt_s(added)} s, {fmt(per)} times a task's "
                   f"{fmt_s(grain)} s. The smaller a workload's tasks, the more of them one "
                   "network hop costs; a task that computes for far longer than a round trip "
                   "hardly notices the network.\n")
    if negative:
        out.append("A negative hop means the messages across hosts took less time than "
                   "within one: there the machine's noise between the two runs was larger than "
                   "what the network cost.\n")
    return out


def _ipc(bench, out_dir):
    if not bench:
        return []
    out = ["### IPC between two hosts and within one\n",
           "gilfree-mpi's `bench ipc` on 2 ranks: within one host (this machine's mpirun, "
           "shared memory) and between two hosts (one rank on each, TCP). Latency is half the "
           "round trip at the smallest size; bandwidth at the largest size run.\n"]
    shown = [r for r in bench if r.get("method") not in ("memcpy", "mpi_win_shared")
             and "size" in r]
    methods = list(dict.fromkeys(r["method"] for r in shown))
    wheres = list(dict.fromkeys(r["where"] for r in bench))
    rows = []
    for m in methods:
        row = [m]
        for w in wheres:
            mine = [r for r in shown if r["method"] == m and r["where"] == w]
            if not mine:
                row += ["-", "-"]
                continue
            s, lg = min(mine, key=lambda r: r["size"]), max(mine, key=lambda r: r["size"])
            row += [f"{fmt_us(stats.med(s['lat_us']))} at {s['size']} B",
                    f"{fmt(lg.get('bw_MBps'), ' MB/s')} at {lg['size']:,} B"]
        rows.append(row)
    out.append(table(["method"] + [f"{w}: {x}" for w in wheres for x in ("latency",
                                                                         "bandwidth")], rows))
    ping = {w: min((r for r in shown if r["method"] == "mpi_pingpong" and r["where"] == w),
                   key=lambda r: r["size"], default=None) for w in wheres}
    if len(wheres) == 2 and all(ping.values()):
        a, b = (stats.med(ping[w]["lat_us"]) for w in wheres)
        out.append(f"An {ping[wheres[0]]['size']}-byte message: {fmt_us(a)} {wheres[0]}, "
                   f"{fmt_us(b)} {wheres[1]}, {fmt_ratio(b / a if a else None)} as long.\n")
    if any(r.get("no_partner") for r in bench):
        out.append("MPI_Win_allocate_shared (a window in shared memory) needs its two ranks on "
                   "one host: between hosts it has no partner, so its rows are left out.\n")
    terms = gnuplot_terminals()
    lat, bw = {}, {}
    for r in shown:
        name = f"{r['where']}: {r['method']}"
        if r["method"] == "mpi_pingpong" and isinstance(r.get("lat_us"), dict):
            st = r["lat_us"]
            lat.setdefault(name, []).append((r["size"], st["median"], st["min"], st["max"]))
        if r["method"] in ("mpi_pingpong", "mpi_bw") and r.get("bw_MBps"):
            bw.setdefault(name, []).append((r["size"], r["bw_MBps"], r["bw_MBps"],
                                            r["bw_MBps"]))
    for stem, title, ylabel, series in (
            ("hosts_ipc_latency", "MPI latency: within one host and between two hosts",
             "microseconds (half round trip)", lat),
            ("hosts_ipc_bandwidth", "MPI bandwidth: within one host and between two hosts",
             "MB/s", bw)):
        img, why = line_plot(out_dir, stem, title, "payload (bytes)", ylabel, series, terms)
        out.append(f"![{title}]({img})\n" if img else f"({title}: {why})\n")
    return out


LESSONS = (
    "### What cannot cross hosts\n\n"
    "OpenMP and fork+pipes cannot cross hosts: OpenMP's threads share one address space and "
    "fork's children one kernel's pipes, so both stop at the edge of one machine, and they "
    "have no rows here. Of the three models only MPI's ranks, which share nothing and only "
    "pass messages, run on several machines. The same holds for the lecture's Python: "
    "multiprocessing's Pool, Queue and Manager are one machine's too. For the lecture's "
    "lessons this means that on more than one machine every one of them grows: the cost of "
    "moving data, which the lecture measured as pickling and pipes, becomes a network round "
    "trip per message (the table above); a task must be larger still to pay for its "
    "messages; sending paths instead of frames needs a file system that every host sees; "
    "and shared state (a Manager's counter) becomes a network round trip per update. What "
    "does not change is the rule the lecture ends on: measure the overhead against the work "
    "before choosing to parallelise.\n")


def section(recs, ctx):
    """The markdown of "## Across hosts": recs are the "cluster" records, ctx["records"] every
    record of the report, ctx["out_dir"] where the plots go."""
    records = ctx.get("records", [])
    runs = [r for r in records if kind(r) == "run" and mapping(label(r))]
    local = [r for r in records if kind(r) == "run" and not mapping(label(r))
             and r.get("backend") in ("mpi", "hybrid")]
    bench = [r for r in records if kind(r) == "hosts_bench"]
    out = ["## Across hosts", ""]
    out += _intro(recs[-1], runs)
    if runs:
        out.append(_same_results(runs, local))
    else:
        out.append("No run across hosts finished (see Verification).\n")
    out += _cell_tables(runs, local)
    out += _hop_table(runs, local)
    out += _ipc(bench, ctx["out_dir"])
    out.append(LESSONS)
    return "\n".join(out)


def terminal_lines(records):
    """A few lines for the terminal: the runs across hosts and the small message's latency."""
    runs = [r for r in records if kind(r) == "run" and mapping(label(r))]
    if not runs:
        return []
    top = max(r["workers"] for r in runs)
    lines = [f"Across hosts: {len(runs)} runs; at {top} workers "
             + "; ".join(sorted({f"{label(r)} ({record_ranks_per_host(r)})"
                                 for r in runs if r["workers"] == top}))]
    ping = {}
    for r in records:
        if kind(r) == "hosts_bench" and r.get("method") == "mpi_pingpong":
            if r["where"] not in ping or r["size"] < ping[r["where"]]["size"]:
                ping[r["where"]] = r
    if len(ping) == 2:
        lines.append("MPI ping-pong, " + ", ".join(
            f"{r['size']} B {w}: {fmt_us(stats.med(r['lat_us']))}" for w, r in ping.items()))
    return lines
