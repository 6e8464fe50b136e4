"""The comparison's analysis: the cross-check of results, the achievable bounds, the tables
(terminal and markdown), summary.csv, the plots and report.md, all from the json records.

A report is a list of sections. The workload runs (records of kind "run") give the built-in
ones; another kind of record (e.g. "bench", the micro-benchmarks) gets its own section by
register_section(kind, title, fn), where fn(records, ctx) returns markdown. Records without a
kind are runs.
"""
import csv
import io
import json
import os
import shutil
import statistics
import subprocess

C_LABELS = ["omp", "posix", "posix-spawn", "mpi", "mpi-dynamic"]
PY_LABELS = ["python-mp", "python-mp-spawn", "python-threads"]
ORDER = C_LABELS + PY_LABELS
WORKLOADS = ["sum", "primes", "resize"]
CLASS_ORDER = "SWAB"
# Parameters that change how a run is done, not what it computes.
HOW_PARAMS = ("start", "chunksize", "schedule")


def kind(rec):
    return rec.get("kind", "run")


def label(rec):
    """The row a record sits in: the backend, and how it ran when not the default way: the
    spawn start method (posix-spawn, python-mp-spawn), MPI's queue for primes (mpi-dynamic)."""
    if "label" in rec:
        return rec["label"]
    params = rec.get("params", {})
    if rec["backend"] in ("posix", "python-mp") and params.get("start") == "spawn":
        return rec["backend"] + "-spawn"
    if rec["backend"] == "mpi" and rec["workload"] == "primes" and \
            params.get("schedule") == "dynamic":
        return "mpi-dynamic"
    return rec["backend"]


def order_key(lab):
    return (ORDER.index(lab) if lab in ORDER else len(ORDER), lab)


def oversubscribed(rec):
    return rec["workers"] > rec["cores"]


def is_c(rec):
    return not rec["backend"].startswith("python")


# ---- the cross-check ------------------------------------------------------------------------

def what_params(rec):
    return {k: v for k, v in rec["params"].items() if k not in HOW_PARAMS}


def result_group(rec):
    """Records in one group must hold identical results: same workload and parameters (and,
    for sum, which computes one total per worker, the same worker count)."""
    key = [rec["workload"], json.dumps(what_params(rec), sort_keys=True)]
    if rec["workload"] == "sum":
        key.append(rec["workers"])
    return tuple(key)


def exact(value):
    """A result value as compared: a float by its bits (its hex), an int as itself."""
    return value.hex() if isinstance(value, float) else value


def show(value):
    return f"{value!r} ({value.hex()})" if isinstance(value, float) else repr(value)


def describe(rec):
    return f"{label(rec)} {rec['workload']} class {rec['class']} {rec['workers']} workers"


def diff_results(ref, rec):
    """Lines naming each result that differs between two records of one group."""
    lines = []
    a = {r[0]: r for r in ref["results"]}
    b = {r[0]: r for r in rec["results"]}
    for key in sorted(set(a) | set(b)):
        ra, rb = a.get(key), b.get(key)
        if ra is None or rb is None or [exact(v) for v in ra] != [exact(v) for v in rb]:
            fa = "missing" if ra is None else "[" + ", ".join(show(v) for v in ra) + "]"
            fb = "missing" if rb is None else "[" + ", ".join(show(v) for v in rb) + "]"
            lines.append(f"  key {key}: {label(ref)} {fa} != {label(rec)} {fb}")
    if len(ref["results"]) != len(rec["results"]):
        lines.append(f"  {len(ref['results'])} results != {len(rec['results'])}")
    return lines


def cross_check(records):
    """Checks every run record: verified, each class run with one set of parameters, and the
    same results for the same parameters. Returns (problems, groups): problems are lines to
    print (empty when all is well), groups maps a group to its records."""
    problems, groups, classes = [], {}, {}
    runs = [r for r in records if kind(r) == "run"]
    for rec in runs:
        if rec.get("verified") is not True:
            problems.append(f"not verified: {describe(rec)}: {rec.get('notes') or 'no reason'}")
        groups.setdefault(result_group(rec), []).append(rec)
        classes.setdefault((rec["workload"], rec["class"]), []).append(rec)
    for (workload, cls), recs in sorted(classes.items()):
        ref = recs[0]
        for rec in recs[1:]:
            if what_params(rec) != what_params(ref):
                problems.append(f"{workload} class {cls}: {describe(rec)} ran "
                                f"{json.dumps(what_params(rec))}, {describe(ref)} ran "
                                f"{json.dumps(what_params(ref))}")
    for recs in groups.values():
        ref = next((r for r in recs if is_c(r)), recs[0])
        for rec in recs:
            lines = diff_results(ref, rec) if rec is not ref else []
            if lines:
                problems.append(f"results differ: {describe(rec)} against {describe(ref)}:")
                problems.extend(lines)
    return problems, groups


# ---- bounds ---------------------------------------------------------------------------------

def block_makespan(tasks, workers):
    """A static split into contiguous blocks, the first n % P one task longer (OpenMP's
    schedule(static), a scatter): the longest block."""
    n, best, start = len(tasks), 0.0, 0
    for w in range(workers):
        size = n // workers + (1 if w < n % workers else 0)
        best = max(best, sum(tasks[start:start + size]))
        start += size
    return best


def queue_makespan(tasks, workers, chunk=1):
    """A shared queue in submission order: each chunk of tasks goes to the worker that is free
    first (the lowest-numbered on a tie)."""
    free = [0.0] * workers
    for i in range(0, len(tasks), chunk):
        w = free.index(min(free))
        free[w] += sum(tasks[i:i + chunk])
    return max(free)


def pool_map_chunksize(ntasks, workers):
    """Pool.map's default chunksize: ntasks / (4 * workers), rounded up."""
    chunk, extra = divmod(ntasks, workers * 4)
    return chunk + 1 if extra else max(chunk, 1)


def cyclic_makespan(tasks, workers):
    """A static round-robin deal (task i to worker i mod P, schedule(static, 1)): the longest
    share."""
    return max(sum(tasks[w::workers]) for w in range(workers))


def schedule(rec):
    """How a run hands out its tasks, where known: ("block",), ("cyclic",), ("queue", chunk,
    workers taking tasks) or None (an unknown backend: the lower bound only). From each
    backend's documented distribution."""
    lab, wl, params, p = label(rec), rec["workload"], rec.get("params", {}), rec["workers"]
    if wl == "sum":
        return ("block",)  # one task per worker in every backend
    if lab.startswith("python"):
        if wl == "primes":
            return ("queue", 1, p)
        return ("queue", pool_map_chunksize(len(rec["task_s"]), p), p)
    if lab == "omp":
        return ("queue", 1, p) if wl == "primes" else ("block",)
    if lab.startswith("posix"):
        if wl == "primes":
            return ("queue", 1, p)  # one shared task pipe
        # the pool's map: --chunksize, or Python's default when 0
        chunk = params.get("chunksize") or pool_map_chunksize(len(rec["task_s"]), p)
        return ("queue", chunk, p)
    if lab.startswith("mpi"):
        if wl == "primes":
            # the dynamic queue's rank 0 only hands out tasks; a single rank runs them all
            if params.get("schedule") == "dynamic" and p > 1:
                return ("queue", 1, p - 1)
            return ("cyclic",)
        return ("block",)
    return None


def bounds(rec):
    """(lower bound, schedule bound, schedule name) in seconds from the record's sequential
    per-task times: no run on P workers and C cores beats max(longest task, total / min(P, C));
    a known split of the tasks cannot beat that split's longest share either."""
    tasks = rec.get("task_s") or []
    if not tasks:
        return None, None, ""
    usable = max(1, min(rec["workers"], rec["cores"]))
    lower = max(max(tasks), sum(tasks) / usable)
    sched = schedule(rec)
    if sched is None:
        return lower, lower, "lower bound"
    if sched[0] == "block":
        split = block_makespan(tasks, rec["workers"])
        name = "one sum per worker" if rec["workload"] == "sum" else "static split"
    elif sched[0] == "cyclic":
        split, name = cyclic_makespan(tasks, rec["workers"]), "round-robin split"
    else:
        split = queue_makespan(tasks, sched[2], sched[1])
        name = "queue" if sched[1] == 1 else f"queue, chunks of {sched[1]}"
        if sched[2] != rec["workers"]:
            name += f", {sched[2]} taking tasks"
    return lower, max(split, sum(tasks) / usable), name


# ---- the numbers of one row -------------------------------------------------------------------

def row_figures(rec):
    par, seq = rec["par_s"], rec["seq_s"]
    speedup = ratio(seq["median"], par["median"]) or 0.0
    lower, bound, bound_kind = bounds(rec)
    return {
        "label": label(rec), "workload": rec["workload"], "class": rec["class"],
        "workers": rec["workers"], "cores": rec["cores"], "oversubscribed": oversubscribed(rec),
        "reps": rec["reps"], "verified": rec["verified"], "seq_median_s": seq["median"],
        "par_median_s": par["median"], "par_min_s": par["min"], "par_max_s": par["max"],
        "speedup": speedup, "efficiency": speedup / rec["workers"],
        "lower_bound_s": lower, "bound_s": bound, "bound_kind": bound_kind,
        "of_bound": bound / par["median"] if bound and par["median"] > 0 else None,
    }


def ratio(a, b):
    return a / b if b > 0 else None


def fmt_s(x):
    if x is None:
        return "-"
    return f"{x:.3g}" if x < 1e-3 else f"{x:.4f}" if x < 10 else f"{x:.1f}"


def fmt_pct(x):
    return "-" if x is None else f"{100 * x:.0f}%"


def fmt_ratio(x):
    return "-" if x is None else f"{x:.2f}x" if x < 10 else f"{x:.0f}x"


SUMMARY_COLUMNS = ["label", "backend", "workload", "class", "workers", "cores",
                   "oversubscribed", "reps", "verified", "seq_median_s", "par_median_s",
                   "par_min_s", "par_max_s", "speedup", "efficiency", "lower_bound_s",
                   "bound_s", "bound_kind", "of_bound"]


def write_summary(path, records):
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(SUMMARY_COLUMNS)
        for rec in sorted_runs(records):
            row = row_figures(rec)
            row["backend"] = rec["backend"]
            out.writerow([f"{row[c]:.9g}" if isinstance(row[c], float) else
                          str(row[c]).lower() if isinstance(row[c], bool) else
                          "" if row[c] is None else row[c] for c in SUMMARY_COLUMNS])


def sorted_runs(records):
    runs = [r for r in records if kind(r) == "run"]
    return sorted(runs, key=lambda r: (WORKLOADS.index(r["workload"]) if r["workload"] in
                                       WORKLOADS else 9, CLASS_ORDER.find(r["class"]),
                                       order_key(label(r)), r["workers"]))


# ---- tables ---------------------------------------------------------------------------------

class Table:
    """A titled table, rendered as aligned text for the terminal or as markdown."""

    def __init__(self, title, headers, rows, notes=()):
        self.title, self.headers, self.rows, self.notes = title, headers, rows, list(notes)

    def text(self):
        widths = [max(len(str(x)) for x in col) for col in zip(self.headers, *self.rows)]
        lines = [self.title]
        for r in [self.headers] + self.rows:
            cells = [str(x).ljust(w) if i == 0 else str(x).rjust(w)
                     for i, (x, w) in enumerate(zip(r, widths))]
            lines.append("  " + "  ".join(cells).rstrip())
        lines += ["  " + n for n in self.notes]
        return "\n".join(lines) + "\n"

    def markdown(self):
        lines = [f"### {self.title}", "", "| " + " | ".join(self.headers) + " |",
                 "|" + "|".join("---" if i == 0 else "---:" for i in range(len(self.headers)))
                 + "|"]
        lines += ["| " + " | ".join(str(x) for x in r) + " |" for r in self.rows]
        if self.notes:  # a leading * is a footnote mark, not a list
            lines += [""] + [("\\" + n if n.startswith("*") else n) + "  " for n in self.notes]
        return "\n".join(lines) + "\n"


def by_cell(records):
    """{(workload, class): [records]} in the report's order."""
    cells = {}
    for rec in sorted_runs(records):
        cells.setdefault((rec["workload"], rec["class"]), []).append(rec)
    return cells


def workload_tables(records):
    tables = []
    for (wl, cls), recs in by_cell(records).items():
        cores = sorted({r["cores"] for r in recs})
        ntasks = len(recs[0]["results"]) if wl != "sum" else None
        seq_c = [r["seq_s"]["median"] for r in recs if is_c(r)]
        seq_py = [r["seq_s"]["median"] for r in recs if not is_c(r)]
        what = f"{ntasks} tasks" if ntasks else "one sum per worker (weak scaling)"
        title = (f"{wl}, class {cls}: {what}; {'/'.join(map(str, cores))} cores")
        rows, over = [], False
        for rec in recs:
            f = row_figures(rec)
            over |= f["oversubscribed"]
            rows.append([f["label"], f"{f['workers']}{'*' if f['oversubscribed'] else ''}",
                         fmt_s(f["par_median_s"]),
                         f"{fmt_s(f['par_min_s'])}-{fmt_s(f['par_max_s'])}",
                         fmt_s(f["seq_median_s"]), fmt_ratio(f["speedup"]),
                         fmt_pct(f["efficiency"]), fmt_s(f["bound_s"]),
                         fmt_pct(f["of_bound"]), f["bound_kind"]])
        notes = []
        if ntasks and (seq_c or seq_py):
            notes.append("sequential, the median of the runs' own loops: " + ", ".join(
                f"{lang} {fmt_s(statistics.median(v))} s"
                for lang, v in (("C", seq_c), ("Python", seq_py)) if v))
        if over:
            notes.append("* oversubscribed: more workers than cores")
        tables.append(Table(title, ["backend", "P", "median s", "min-max s", "seq s",
                                    "speedup", "eff", "bound s", "of bound", "bound from"],
                            rows, notes))
    return tables


def python_tables(records):
    """C's speedup over Python's multiprocessing: Python's median time over C's, same run,
    same workload, class and worker count."""
    tables = []
    for (wl, cls), recs in by_cell(records).items():
        py = {r["workers"]: r for r in recs if label(r) == "python-mp"}
        if not py:
            continue
        c_labels = sorted({label(r) for r in recs if is_c(r)}, key=order_key)
        rows = []
        for p in sorted(py):
            cells = [str(p) + ("*" if oversubscribed(py[p]) else ""),
                     fmt_s(py[p]["par_s"]["median"])]
            for lab in c_labels:
                c = next((r for r in recs if label(r) == lab and r["workers"] == p), None)
                cells.append(fmt_ratio(py[p]["par_s"]["median"] / c["par_s"]["median"])
                             if c and c["par_s"]["median"] > 0 else "-")
            seq_c = [r["seq_s"]["median"] for r in recs if is_c(r) and r["workers"] == p]
            cells.append(fmt_ratio(py[p]["seq_s"]["median"] / min(seq_c)) if seq_c else "-")
            rows.append(cells)
        tables.append(Table(f"{wl}, class {cls}: C's speedup over python-mp (Python's "
                            f"median time / C's)", ["P", "python-mp s"] + c_labels
                            + ["sequential"], rows))
    return tables


# ---- why a pool can be slower than the loop ----------------------------------------------------

def setup_total(rec):
    """The one-time start-up of a run: its setup phases, less those that are means over
    workers (posix's worker_start_mean), which are part of the total, not beside it."""
    return sum(v for k, v in rec.get("setup_s", {}).items() if not k.endswith("_mean"))


def overheads(rec):
    """(parallel median, busiest worker's kernel time, overhead) of one record."""
    par = rec["par_s"]["median"]
    busy = max(rec.get("busy_s") or [0.0])
    return par, busy, max(par - busy, 0.0)


def slow_pool_section(records):
    runs = [r for r in sorted_runs(records) if r["class"] == "S"]
    if not runs:
        return ""
    out = ["## Why a parallel run can be slower than the loop at class S", "",
           "Class S is the lecture's own sizes: each task is microseconds to a few "
           "milliseconds of work. A parallel run pays, every time, for starting its workers "
           "(a fork, an interpreter, a pool), for moving tasks and results between them (pipes, "
           "pickling, a Manager's server), and for joining them; it saves at most the work "
           "divided by the worker count. When the first outweighs the second, the speedup "
           "falls below 1, as the lecture's Pool did. The phases below are medians over the "
           "repetitions: start (until the last worker given work began it), compute (until "
           "the last task ended) and stop (until every result was in and every worker was "
           "joined), or the backend's own split; the overhead is the parallel time minus the "
           "busiest worker's kernel time.", ""]
    slow = [r for r in runs if r["speedup"] < 1 and r["workers"] <= r["cores"] and r["workers"] > 1]
    if not slow:
        out.append("No run with 2 or more workers (up to the core count) was slower than its "
                   "sequential loop at class S in this run.")
    headers = ["run", "P", "seq s", "parallel s", "speedup", "busiest worker s", "overhead s",
               "overhead share", "phases (median s)", "once"]
    rows = []
    for rec in slow:
        par, busy, over = overheads(rec)
        phases = ", ".join(f"{k} {fmt_s(v['median'])}" for k, v in rec["phases"].items())
        once = ", ".join(f"{k} {fmt_s(v)}" for k, v in rec.get("setup_s", {}).items()) or "-"
        rows.append([f"{label(rec)} {rec['workload']}", rec["workers"],
                     fmt_s(rec["seq_s"]["median"]), fmt_s(par), fmt_ratio(rec["speedup"]),
                     fmt_s(busy), fmt_s(over), fmt_pct(over / par if par else None),
                     phases or "-", once])
    if rows:
        out.append(Table("Runs slower than their loop (class S, 2 workers up to the cores)",
                         headers, rows).markdown())
        worst = min(slow, key=lambda r: r["speedup"])
        par, busy, over = overheads(worst)
        out.append(f"The slowest, {label(worst)} {worst['workload']} on {worst['workers']} "
                   f"workers, ran at {fmt_ratio(worst['speedup'])} of its loop: "
                   f"{fmt_s(par)} s in parallel against {fmt_s(worst['seq_s']['median'])} s "
                   f"sequential, while its busiest worker computed for only {fmt_s(busy)} s; "
                   f"the other {fmt_s(over)} s ({fmt_pct(over / par if par else None)}) were "
                   f"start-up, communication and joining.")
    # The same cost for every backend, so C's small start-up is seen beside Python's.
    rows, once = [], []
    for rec in runs:
        if rec["workers"] != min(max(r["workers"] for r in runs), rec["cores"]):
            continue
        par, busy, over = overheads(rec)
        setup = setup_total(rec)
        rows.append([f"{label(rec)} {rec['workload']}", rec["workers"], fmt_s(par), fmt_s(busy),
                     fmt_s(over), fmt_ratio(rec["speedup"]), fmt_s(setup) if setup else "-"])
        if setup:
            once.append((label(rec), rec["workload"], rec["setup_s"], setup,
                         rec["seq_s"]["median"]))
    if rows:
        out.append("")
        out.append(Table("Overhead per run at class S, at the core count", [
            "run", "P", "parallel s", "busiest worker s", "overhead s", "speedup",
            "once s"], rows).markdown())
    if once:
        out.append("Workers that live across the repetitions (an MPI job, a process pool, a "
                   "Manager) are started once, before the timed repetitions, so their start-up "
                   "is not in the parallel times above but in 'once': for a single short job it "
                   "must be added to the time, and it dwarfs class S's work:")
        out.append("")
        for lab, wl, parts, total, seq in once:
            what = ", ".join(f"{k} {fmt_s(v)} s" for k, v in parts.items())
            out.append(f"- {lab} {wl}: {what}, {fmt_ratio(total / seq if seq else None)} "
                       f"its sequential loop ({fmt_s(seq)} s).")
    lecture = lecture_pool(records)
    if lecture:
        out += ["", lecture]
    return "\n".join(out) + "\n"


def lecture_pool(records):
    """The lecture's own Pool example (Example 25.3, class S) as measured here, in a sentence."""
    runs = [r for r in records if kind(r) == "run" and r["class"] == "S" and
            r["workload"] == "resize" and label(r) == "python-mp"]
    if not runs:
        return ""
    fit = [r for r in runs if r["workers"] <= r["cores"]] or runs
    rec = max(fit, key=lambda r: r["workers"])
    ph = {k: v["median"] for k, v in rec["phases"].items()}
    par, busy, over = overheads(rec)
    return (f"The lecture's Pool.map example (resize, class S) with {rec['workers']} processes: "
            f"{fmt_s(par)} s against the loop's {fmt_s(rec['seq_s']['median'])} s, a speedup "
            f"of {fmt_ratio(rec['speedup'])}. Until the last worker began its first image "
            f"(creating the pool, forking, sending the first chunks) {fmt_s(ph.get('start'))} s "
            f"passed, {fmt_s(ph.get('compute'))} s of computing followed, and "
            f"{fmt_s(ph.get('stop'))} s to bring the results back and close the pool; the "
            f"busiest worker computed for {fmt_s(busy)} s. The work per image is too small for "
            f"the pool's start-up and messages.")


# ---- plots ----------------------------------------------------------------------------------

def gnuplot_terminals():
    """(png terminal, svg available) or None when gnuplot is missing."""
    exe = shutil.which("gnuplot")
    if not exe:
        return None
    png = "png"
    for term in ("pngcairo", "svg"):
        probe = subprocess.run([exe, "-e", f"set terminal {term}"], capture_output=True,
                               text=True, timeout=30)
        ok = probe.returncode == 0 and "unknown" not in probe.stderr.lower()
        if term == "pngcairo" and ok:
            png = "pngcairo"
        if term == "svg" and not ok:
            return png, False
    return png, True


def _render(out_dir, name, body, terms):
    """Writes name.gp and runs it once per format; returns the images made."""
    made = []
    png, svg = terms
    for ext, term in (("png", f"{png} size 900,560"), ("svg", "svg size 900,560")):
        if ext == "svg" and not svg:
            continue
        script = f"set terminal {term}\nset output '{name}.{ext}'\n{body}"
        with open(os.path.join(out_dir, f"{name}.{ext}.gp"), "w", encoding="utf-8") as f:
            f.write(script)
        run = subprocess.run(["gnuplot", f"{name}.{ext}.gp"], cwd=out_dir, capture_output=True,
                             text=True, timeout=60)
        if run.returncode != 0:
            raise RuntimeError(f"gnuplot failed on {name}.{ext}.gp: {run.stderr.strip()}")
        made.append(f"{name}.{ext}")
    return made


def _dat(out_dir, name, header, rows):
    with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
        f.write("# " + " ".join(header) + "\n")
        for r in rows:
            f.write(" ".join("NaN" if x is None else f"{x:.9g}" if isinstance(x, float)
                             else str(x) for x in r) + "\n")


def write_plots(out_dir, records):
    """Data files and gnuplot scripts in out_dir, rendered to PNG and SVG. Returns the images,
    or None when gnuplot is not installed."""
    terms = gnuplot_terminals()
    if terms is None:
        return None
    images = []
    cells = by_cell(records)
    for (wl, cls), recs in cells.items():
        labs = sorted({label(r) for r in recs}, key=order_key)
        workers = sorted({r["workers"] for r in recs})
        get = {(label(r), r["workers"]): r for r in recs}
        rows = [[p] + [row_figures(get[(lab, p)])["speedup"] if (lab, p) in get else None
                       for lab in labs] for p in workers]
        name = f"speedup_{wl}_{cls}"
        _dat(out_dir, name + ".dat", ["workers"] + labs, rows)
        cores = recs[0]["cores"]
        plots = [f"'{name}.dat' using 1:{i + 2} with linespoints title '{lab}'"
                 for i, lab in enumerate(labs)]
        plots += ["x with lines dashtype 2 lc 'black' title 'ideal'",
                  f"(x < {cores} ? x : {cores}) with lines dashtype 3 lw 2 lc rgb '#606060' "
                  f"title '{cores} cores'"]
        body = (f"set title 'Speedup over sequential: {wl}, class {cls} ({cores} cores)'\n"
                f"set xlabel 'workers'\nset ylabel 'speedup (median sequential / median "
                f"parallel)'\nset key top left\nset grid\nset xrange [0.8:{max(workers) + 0.2}]"
                f"\nset yrange [0:*]\nset xtics ({', '.join(map(str, workers))})\n"
                f"set datafile missing 'NaN'\nplot {', '.join(plots)}\n")
        images += _render(out_dir, name, body, terms)
    # Time per backend per class, at the largest worker count up to the cores.
    for wl in WORKLOADS:
        recs = [r for (w, _), rs in cells.items() if w == wl for r in rs]
        if not recs:
            continue
        cores = recs[0]["cores"]
        usable = [r["workers"] for r in recs if r["workers"] <= cores]
        p = max(usable) if usable else min(r["workers"] for r in recs)
        classes = sorted({r["class"] for r in recs}, key=CLASS_ORDER.find)
        labs = sorted({label(r) for r in recs}, key=order_key)
        rows = []
        for lab in ["sequential-C", "sequential-python"] + labs:
            row = [lab]
            for cls in classes:
                if lab.startswith("sequential"):
                    pick = [r["seq_s"]["median"] for r in recs if r["class"] == cls
                            and r["workers"] == p and is_c(r) == (lab == "sequential-C")]
                    row.append(min(pick) if pick else None)
                else:
                    r = next((r for r in recs if label(r) == lab and r["class"] == cls
                              and r["workers"] == p), None)
                    row.append(r["par_s"]["median"] if r else None)
            if any(x is not None for x in row[1:]):
                rows.append(row)
        name = f"time_{wl}"
        _dat(out_dir, name + ".dat", ["backend"] + classes, rows)
        plots = [f"'{name}.dat' using {i + 2}:xtic(1) title 'class {cls}'"
                 for i, cls in enumerate(classes)]
        body = (f"set title 'Median time, {wl}, {p} workers ({cores} cores)'\n"
                "set style data histograms\nset style histogram clustered gap 1\n"
                "set style fill solid 0.8 border -1\nset logscale y\nset ylabel 'seconds "
                "(log scale)'\nset xtics rotate by -30\nset grid ytics\n"
                f"set datafile missing 'NaN'\nplot {', '.join(plots)}\n")
        images += _render(out_dir, name, body, terms)
    # C against Python: Python's median time over C's, per workload, class and workers.
    rows, c_labs = [], set()
    for (wl, cls), recs in cells.items():
        for rec in recs:
            if label(rec) == "python-mp":
                ratios = {label(r): ratio(rec["par_s"]["median"], r["par_s"]["median"])
                          for r in recs if is_c(r) and r["workers"] == rec["workers"]}
                c_labs |= set(ratios)
                rows.append((f"{wl}-{cls}-P{rec['workers']}", ratios))
    if rows:
        labs = sorted(c_labs, key=order_key)
        _dat(out_dir, "c_vs_python.dat", ["run"] + labs,
             [[n] + [r.get(lab) for lab in labs] for n, r in rows])
        plots = [f"'c_vs_python.dat' using {i + 2}:xtic(1) title '{lab}'"
                 for i, lab in enumerate(labs)]
        body = ("set title \"C's speedup over Python multiprocessing (Python time / C time)\"\n"
                "set style data histograms\nset style histogram clustered gap 1\n"
                "set style fill solid 0.8 border -1\nset logscale y\nset ylabel 'times faster "
                "(log scale)'\nset xtics rotate by -30\nset grid ytics\n"
                f"set datafile missing 'NaN'\nplot {', '.join(plots)}\n")
        images += _render(out_dir, "c_vs_python", body, terms)
    return images


# ---- report.md ------------------------------------------------------------------------------

SECTIONS = []


def register_section(kind_name, title, fn):
    """Adds a report section made by fn(records of that kind, ctx) -> markdown, after the
    built-in ones, under "## title" (none when title is None: fn writes its own headings).
    ctx holds out_dir, machine and images. A kind registered again replaces the first."""
    SECTIONS[:] = [s for s in SECTIONS if s[0] != kind_name]
    SECTIONS.append((kind_name, title, fn))


def report_markdown(records, ctx):
    runs = [r for r in records if kind(r) == "run"]
    m = ctx.get("machine", {})
    out = ["# gilfree comparison", "",
           f"Run {ctx.get('started', '')}: `{ctx.get('command', '')}`", "",
           f"Machine: {m.get('cpu', '?')}, **{m.get('cores', '?')} cores**, "
           f"{m.get('memory', '?')}, Linux {m.get('kernel', '?')}; {m.get('gcc', '?')}; "
           f"{m.get('mpi', '?')}; Python {m.get('python', '?')}; gilfree "
           f"{m.get('gilfree', '?')} ({m.get('commit', '?')}). Full details in machine.txt.",
           ""]
    for line in ctx.get("notes", []):
        out.append(f"- {line}")
    out.append("")
    problems = ctx.get("problems", [])
    groups = ctx.get("groups", {})
    out.append("## Verification")
    out.append("")
    if problems:
        out.append("**FAILED**:")
        out.append("")
        out.append("```")
        out += problems
        out.append("```")
    else:
        out.append(f"All {len(runs)} runs verified their results against their own sequential "
                   f"run, and every backend gave identical results (integers exactly, resize "
                   f"totals to the last bit) for the same parameters: {len(groups)} groups.")
    out += ["", "## Times", "",
            "Per workload and class: the median parallel time over the repetitions with its "
            "min-max, the run's own sequential median, the speedup (sequential median over "
            "parallel median, both from the same run), the parallel efficiency (speedup / P), "
            "and the bound: the best time the run's tasks allow on P workers, from the "
            "sequential per-task times: max(longest task, total / min(P, cores)), and for a "
            "known split of the tasks (a static split, a queue in submission order) the "
            "longest share that split gives a worker. 'of bound' is bound / median: how close "
            "the run came to what its task list allows (above 100% only when the sequential "
            "per-task times themselves ran slow, on a busy machine). `sum` is weak scaling "
            "(one sum per worker, so its sequential time grows with P).", ""]
    out += [t.markdown() for t in workload_tables(records)]
    py = python_tables(records)
    out += ["## C against Python's multiprocessing", ""]
    if py:
        out += ["Python's median parallel time divided by each C backend's, at the same "
                "workload, class and worker count, measured in this run; the last column "
                "compares the sequential loops.", ""]
        out += [t.markdown() for t in py]
    else:
        out += ["Python was not run in this comparison.", ""]
    out.append(slow_pool_section(records))
    images = ctx.get("images")
    out += ["## Plots", ""]
    if images is None:
        out.append("gnuplot is not installed: no plots (install gnuplot-nox).")
    else:
        for img in images:
            if img.endswith(".png"):
                out.append(f"![{img[:-4]}]({img})")
        out.append("")
        out.append("Each plot's data file (.dat) and gnuplot script (.gp) are beside it.")
    out.append("")
    for kind_name, title, fn in SECTIONS:
        recs = [r for r in records if kind(r) == kind_name]
        if recs:
            out += ([f"## {title}", ""] if title else []) + [fn(recs, ctx), ""]
    known = {"run"} | {k for k, _, _ in SECTIONS}
    other = sorted({kind(r) for r in records} - known)
    if other:
        out += ["## Other records", ""]
        out += [f"- {sum(1 for r in records if kind(r) == k)} records of kind `{k}`: no report "
                "section for them (gfreport.register_section)" for k in other]
    return "\n".join(out)


def terminal_text(records):
    buf = io.StringIO()
    for t in workload_tables(records):
        buf.write(t.text() + "\n")
    for t in python_tables(records):
        buf.write(t.text() + "\n")
    return buf.getvalue()
