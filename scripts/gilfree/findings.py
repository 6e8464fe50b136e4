"""What a comparison found, in a few lines derived from its records: the fastest model per
workload and class with its interval, where processes lose to threads and why, the grain
crossover where the micro-benchmarks measured it, and the rows marked implausible, disturbed
or unstable. compare.py ends with these lines and report.md opens with them."""
from . import bench, disturbance, plausible, stats
from .backends import LABELS, label
from .records import kind
from .tables import fmt_ci, fmt_p, fmt_ratio, fmt_s, sorted_runs
from .workloads import CLASS_ORDER

# The C rows whose workers are processes, and those whose workers are threads of one process.
PROCESSES = ("posix", "mpi")
THREADS = ("omp",)
# At most this many rows are named in a line on flagged rows; the others are counted.
NAMED = 3


def _runs(records):
    return [r for r in sorted_runs(records) if kind(r) == "run"]


def _model(rec):
    """The backend of a record's row (a row across hosts, "mpi@spread": its record's)."""
    lab = label(rec)
    return LABELS[lab].backend if lab in LABELS else rec["backend"]


def _par(rec):
    return stats.timing(rec, "par_s")["median"]


def _what(rec):
    p = rec["workers"]
    return f"{label(rec)} {p} worker{'s' if p != 1 else ''}"


def _median_ci(rec):
    """"0.0051 s (95% CI 0.0049-0.0052)", or "0.0051 s (no CI (n<6))"."""
    st = stats.timing(rec, "par_s")
    ci = fmt_ci(st)
    return f"{fmt_s(st['median'])} s ({'95% CI ' if ci[0].isdigit() else ''}{ci})"


def _verdict(first, second):
    """"faster than mpi 2 workers (p=0.004)" or "not significantly faster than ..."."""
    test = stats.differ(first, second)
    if test is None:
        return f"untested against {_what(second)}"
    if test["p"] < stats.ALPHA:
        return f"faster than {_what(second)} (p={fmt_p(test['p'])})"
    return f"not significantly faster than {_what(second)} (p={fmt_p(test['p'])})"


def weak(recs):
    """The rows to compare for the fastest: all of them, but for `sum`, weak scaling (one sum
    per worker: more work at more workers), those at one worker count only, the most that fit
    the cores (else the fewest)."""
    if not recs or recs[0]["workload"] != "sum":
        return recs
    counts = {r["workers"] for r in recs}
    fit = [p for p in counts if p <= min(r["cores"] for r in recs)]
    at = max(fit) if fit else min(counts)
    return [r for r in recs if r["workers"] == at]


def fastest(records):
    """One line per workload: at each class, its fastest plausible row (the lowest parallel
    median, every worker count; for `sum` one count, weak), with its interval and speedup, and
    the test against the fastest row of another model."""
    cells = {}
    for rec in _runs(records):
        cells.setdefault(rec["workload"], {}).setdefault(rec["class"], []).append(rec)
    lines = []
    for wl, by_class in cells.items():
        parts = []
        for cls in sorted(by_class, key=CLASS_ORDER.find):
            ok = sorted((r for r in weak(by_class[cls]) if plausible.plausible(r)), key=_par)
            if not ok:
                parts.append(f"class {cls}: no plausible row")
                continue
            best = ok[0]
            other = next((r for r in ok if _model(r) != _model(best)), None)
            text = (f"class {cls} {_what(best)}, {_median_ci(best)}, "
                    f"{fmt_ratio(stats.speedup(best))} its loop")
            if stats.unstable(best):
                text += " (unstable)"
            if other is not None:
                text += ", " + _verdict(best, other)
            parts.append(text)
        lines.append(f"Fastest at {wl}: " + "; ".join(parts) + ".")
    return lines


def processes_vs_threads(records):
    """The line on where the C rows of processes (posix, mpi) lose to threads (omp): the cells
    (workload, class, worker count) where the best process row is slower than omp and the
    Mann-Whitney test says so, and why: the median time beyond their busiest worker's
    computing (start-up, moving tasks and results, joining), in seconds, against omp's."""
    cells = {}
    for rec in _runs(records):
        if not plausible.plausible(rec):
            continue
        side = ("proc" if _model(rec) in PROCESSES else
                "thread" if _model(rec) in THREADS else None)
        if side:
            key = (rec["workload"], rec["class"], rec["workers"])
            cells.setdefault(key, {}).setdefault(side, []).append(rec)
    both = {k: v for k, v in cells.items() if "proc" in v and "thread" in v}
    if not both:
        return ["Processes against threads: not compared (omp and posix or mpi were not both "
                "run with plausible figures)."]
    lost, proc_over, thr_over = [], [], []
    for key, v in both.items():
        proc, thr = min(v["proc"], key=_par), min(v["thread"], key=_par)
        test = stats.differ(thr, proc)
        if _par(thr) < _par(proc) and test is not None and test["p"] < stats.ALPHA:
            lost.append((key, proc, thr))
            proc_over.append(stats.overheads(proc)[2])
            thr_over.append(stats.overheads(thr)[2])
    if not lost:
        return [f"Processes never lost significantly to threads: in none of the {len(both)} "
                "cells where both ran was the best of posix and mpi slower than omp "
                "(Mann-Whitney, p < 0.05)."]
    by_class = {}
    for (wl, cls, _), _, _ in lost:
        by_class.setdefault(cls, set()).add(wl)
    where = "; ".join(f"class {c}: {', '.join(sorted(w))}"
                      for c, w in sorted(by_class.items(), key=lambda x: CLASS_ORDER.find(x[0])))
    (wl, cls, p), proc, thr = max(lost, key=lambda t: _par(t[1]) / _par(t[2]))
    why = (f"their time beyond the busiest worker's computing (start-up, tasks and results "
           f"moved between processes, joining) was a median {fmt_s(stats.median(proc_over))} s"
           f" against omp's {fmt_s(stats.median(thr_over))} s")
    return [f"Processes lost to threads in {len(lost)} of {len(both)} cells ({where}): {why}; "
            f"worst {wl} class {cls} P={p}, {_what(proc)} {fmt_s(_par(proc))} s against "
            f"omp's {fmt_s(_par(thr))} s."]


def python_threads(records):
    """Where Python ran both ways, the line on its threads against its processes: the cells
    where python-threads is slower than python-mp (Mann-Whitney, p < 0.05), and the best
    speedup its threads reached: the GIL runs one thread's Python code at a time."""
    cells = {}
    for rec in _runs(records):
        if label(rec) in ("python-mp", "python-threads") and plausible.plausible(rec):
            key = (rec["workload"], rec["class"], rec["workers"])
            cells.setdefault(key, {})[label(rec)] = rec
    both = [v for v in cells.values() if len(v) == 2]
    if not both:
        return []
    lost = 0
    for v in both:
        thr, proc = v["python-threads"], v["python-mp"]
        test = stats.differ(proc, thr)
        lost += _par(proc) < _par(thr) and test is not None and test["p"] < stats.ALPHA
    best = max(stats.speedup(v["python-threads"]) for v in both)
    return [f"Python's threads lost to its processes in {lost} of {len(both)} cells, their best "
            f"speedup {fmt_ratio(best)}: the GIL lets one thread run Python code at a time."]


def grain(records):
    """The grain crossover per backend and method, where the micro-benchmarks measured it."""
    recs = bench.pick(records, "grain")
    if not recs:
        return ["Grain crossover: not measured in this run (scripts/compare.py --experiments "
                "grain)."]
    series = {}
    for r in recs:
        series.setdefault(label(r) + bench.chunk_label(r), []).append(r)
    return ["Grain crossover: " + "; ".join(
        f"{name}: {bench.wins(sorted(pts, key=bench.grain_x))}"
        for name, pts in series.items()) + "."]


def _named(rows, text):
    shown = "; ".join(text(r) for r in rows[:NAMED])
    return shown + (f"; and {len(rows) - NAMED} more" if len(rows) > NAMED else "")


def flagged(records):
    """The lines on the rows marked implausible (with the first limit each breaks), still
    disturbed, or unstable (with their modes): counted, the first few named; or one line
    saying there are none."""
    runs = _runs(records)
    bad = [r for r in runs if not plausible.plausible(r)]
    dist = [r for r in runs if disturbance.disturbed(r)]
    shaky = [r for r in runs if stats.unstable(r)]
    lines = []
    if bad:
        def first_limit(r):
            return (f"{_what(r)} {r['workload']} {r['class']}: "
                    + plausible.check(r)[1].split("; ")[0])
        lines.append(f"Implausible ({plausible.MARK}, left out of every verdict): {len(bad)} of "
                     f"{len(runs)} rows: " + _named(bad, first_limit) + ".")
    if dist:
        lines.append(f"Disturbed ({disturbance.MARK}, still after re-runs): {len(dist)} of "
                     f"{len(runs)} rows: " + _named(dist, lambda r: f"{_what(r)} "
                                                    f"{r['workload']} {r['class']}") + ".")
    if shaky:
        def modes(r):
            m = stats.unstable(r)["modes"]
            return (f"{_what(r)} {r['workload']} {r['class']}: "
                    + (f"{fmt_s(m[0][0])} s ({m[0][1]}) / {fmt_s(m[1][0])} s ({m[1][1]})"
                       if m else "interval wider than the median"))
        lines.append(f"Unstable: {len(shaky)} of {len(runs)} rows: " + _named(shaky, modes)
                     + ".")
    if not lines and runs:
        lines.append(f"No row of the {len(runs)} was implausible, disturbed or unstable.")
    return lines


def findings(records):
    """The lines of "what this run found" (each one sentence or two), or [] without runs."""
    if not _runs(records):
        return []
    return (fastest(records) + processes_vs_threads(records) + python_threads(records)
            + grain(records) + flagged(records))


def markdown(records):
    """The report's opening section."""
    lines = findings(records)
    if not lines:
        return []
    return ["## What this run found", ""] + [f"- {x}" for x in lines] + [""]


def text(records):
    """The terminal's block."""
    lines = findings(records)
    return ["What this run found:"] + [f"  {x}" for x in lines] if lines else []
