"""Tables and the figures in them: the formatters, a table as terminal text or markdown, the
comparison's tables per workload and class, C against Python, and summary.csv."""
import csv

from . import disturbance, plausible, stats
from .backends import is_c, label, order_key
from .records import kind
from .workloads import CLASS_ORDER, WORKLOADS


def fmt_s(x):
    if x is None:
        return "-"
    return f"{x:.3g}" if x < 1e-3 else f"{x:.4f}" if x < 10 else f"{x:.1f}"


def fmt_pct(x):
    return "-" if x is None else f"{100 * x:.0f}%"


def fmt_ratio(x):
    return "-" if x is None else f"{x:.2f}x" if x < 10 else f"{x:.0f}x"


def fmt_ci(st):
    """A median's 95% interval, "0.0220-0.0239" s, "no CI (n<6)" below six samples, or "-" for
    a record that predates intervals."""
    if not isinstance(st, dict) or "ci_low" not in st:
        return "-"
    if st["ci_low"] is None:
        return f"no CI (n<{stats.CI_MIN})"
    return f"{fmt_s(st['ci_low'])}-{fmt_s(st['ci_high'])}"


def fmt_median_ci(st):
    """A median with its 95% interval: "0.0231 (0.0220-0.0239)"."""
    return f"{fmt_s(st['median'])} ({fmt_ci(st)})"


def fmt_unstable(rec, key="par_s"):
    """An unstable row's figure (stats.unstable): "unstable: 0.00085 (3) / 0.0075 (6)", its two
    modes' medians and counts, or "unstable: " and the median with its interval; None for a
    stable one."""
    why = stats.unstable(rec, key)
    if why is None:
        return None
    if why["modes"]:
        (lo, n_lo), (hi, n_hi) = why["modes"]
        return f"unstable: {fmt_s(lo)} ({n_lo}) / {fmt_s(hi)} ({n_hi})"
    return "unstable: " + fmt_median_ci(stats.timing(rec, key))


def fmt_par(rec):
    """A row's parallel figure: its median and interval, or its two modes when unstable, and
    the marks of an implausible and of a disturbed run."""
    return ((fmt_unstable(rec) or fmt_median_ci(stats.timing(rec, "par_s")))
            + plausible.mark(rec) + disturbance.mark(rec))


UNSTABLE_NOTE = ("unstable: the samples form two modes (the largest gap of the sorted samples "
                 "on a log scale, at least 2 samples each side, the upper median at least twice "
                 "the lower), shown as each mode's median (its count), or the median's interval "
                 "is wider than the median; read neither as one figure")


def fmt_outliers(rec, key="par_s"):
    """"2/10": the samples outside Tukey's fences of all, or "-" without samples to count."""
    t = stats.outliers(rec, key)
    return f"{len(t['outliers'])}/{t['n']}" if t else "-"


def fmt_p(p):
    return f"{p:.3g}"


def fmt_test(test, faster, slower, verb="faster than"):
    """A Mann-Whitney test of faster's times against slower's as a verdict: "omp faster than
    posix (p=0.008, A=1.00)", where A is the probability that a run of the first takes less
    time than one of the second; "no significant difference (p=0.310)"; or "not tested: no
    samples"."""
    if test is None:
        return "not tested: no samples"
    if test["p"] >= stats.ALPHA:
        return f"no significant difference (p={fmt_p(test['p'])})"
    # test is of faster's times against slower's: A of "faster takes less" is 1 - a12
    return f"{faster} {verb} {slower} (p={fmt_p(test['p'])}, A={1 - test['a12']:.2f})"


def fmt(x, unit=""):
    if x is None:
        return "n/a"
    if x == 0:
        return f"0{unit}"
    a = abs(x)
    s = f"{x:.3g}" if a < 1000 else f"{x:,.0f}"
    return s + unit


def fmt_us(us):
    if us is None:
        return "n/a"
    if us >= 1e6:
        return f"{us / 1e6:.3g} s"
    if us >= 1e3:
        return f"{us / 1e3:.3g} ms"
    return f"{us:.3g} us"


def fmt_kb(kb):
    if kb is None:
        return "n/a"
    return f"{kb / 1024:.3g} MiB" if abs(kb) >= 1024 else f"{kb:.3g} KiB"


def spread(st, f=fmt_us):
    return f"{f(st['median'])} ({f(st['min'])} to {f(st['max'])})" if isinstance(st, dict) \
        else f(st)


def markdown_rows(headers, rows, aligned=True):
    """A markdown table's lines; aligned: the columns after the first are right-aligned."""
    rule = "|" + "|".join("---" if i == 0 or not aligned else "---:"
                          for i in range(len(headers))) + "|"
    return (["| " + " | ".join(headers) + " |", rule if aligned else "|" + "---|" * len(headers)]
            + ["| " + " | ".join(str(x) for x in r) + " |" for r in rows])


def table(headers, rows):
    """A markdown table without a title, every column left-aligned."""
    return "\n".join(markdown_rows(headers, rows, aligned=False)) + "\n"


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
        lines = [f"### {self.title}", ""] + markdown_rows(self.headers, self.rows)
        if self.notes:  # a leading * is a footnote mark, not a list
            lines += [""] + [("\\" + n if n.startswith("*") else n) + "  " for n in self.notes]
        return "\n".join(lines) + "\n"


SUMMARY_COLUMNS = ["label", "backend", "workload", "class", "workers", "cores",
                   "oversubscribed", "reps", "verified", "seq_median_s", "par_median_s",
                   "par_min_s", "par_max_s", "speedup", "efficiency", "lower_bound_s",
                   "bound_s", "bound_kind", "of_bound", "seq_ci_low_s", "seq_ci_high_s",
                   "par_ci_low_s", "par_ci_high_s", "seq_outliers", "par_outliers"]


# What each run cost and how it was run (cost_figures), after the figures' columns.
COST_COLUMNS = ["wall_s", "user_s", "sys_s", "maxrss_kb", "maxrss_floor_kb", "steal_s",
                "order", "rounds", "reruns", "disturbed", "plausible", "unstable"]


def write_summary(path, records):
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(SUMMARY_COLUMNS + COST_COLUMNS)
        for rec in sorted_runs(records):
            row = stats.figures(rec)
            row["backend"] = rec["backend"]
            row.update(cost_figures(rec))
            out.writerow([f"{row[c]:.9g}" if isinstance(row[c], float) else
                          str(row[c]).lower() if isinstance(row[c], bool) else
                          "" if row[c] is None else row[c]
                          for c in SUMMARY_COLUMNS + COST_COLUMNS])


def sorted_runs(records):
    runs = [r for r in records if kind(r) == "run"]
    return sorted(runs, key=lambda r: (WORKLOADS.index(r["workload"]) if r["workload"] in
                                       WORKLOADS else 9, CLASS_ORDER.find(r["class"]),
                                       order_key(label(r)), r["workers"]))


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
        seq_c = [stats.timing(r, "seq_s")["median"] for r in recs if is_c(r)]
        seq_py = [stats.timing(r, "seq_s")["median"] for r in recs if not is_c(r)]
        what = f"{ntasks} tasks" if ntasks else "one sum per worker (weak scaling)"
        title = (f"{wl}, class {cls}: {what}; {'/'.join(map(str, cores))} cores")
        rows, over = [], False
        for rec in recs:
            f = stats.figures(rec)
            over |= f["oversubscribed"]
            rows.append([f["label"], f"{f['workers']}{'*' if f['oversubscribed'] else ''}",
                         fmt_par(rec),
                         f"{fmt_s(f['par_min_s'])}-{fmt_s(f['par_max_s'])}",
                         fmt_outliers(rec), fmt_median_ci(stats.timing(rec, "seq_s")),
                         fmt_ratio(f["speedup"]),
                         fmt_pct(f["efficiency"]), fmt_s(f["bound_s"]),
                         fmt_pct(f["of_bound"]), f["bound_kind"]])
        notes = []
        if ntasks and (seq_c or seq_py):
            notes.append("sequential, the median of the runs' own loops: " + ", ".join(
                f"{lang} {fmt_s(stats.median(v))} s"
                for lang, v in (("C", seq_c), ("Python", seq_py)) if v))
        if over:
            notes.append("* oversubscribed: more workers than cores")
        notes.append("median s (95% CI): the median and its distribution-free 95% confidence "
                     "interval; outliers: samples outside Tukey's fences, counted, not dropped")
        if any(stats.unstable(r) for r in recs):
            notes.append(UNSTABLE_NOTE)
        notes += plausible.footnotes(recs) + disturbance.footnotes(recs)
        tables.append(Table(title, ["backend", "P", "median s (95% CI)", "min-max s",
                                    "outliers", "seq s (95% CI)", "speedup", "eff", "bound s",
                                    "of bound", "bound from"], rows, notes))
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
            py_par = stats.timing(py[p], "par_s")["median"]
            cells = [str(p) + ("*" if stats.oversubscribed(py[p]) else ""),
                     fmt_par(py[p])]
            for lab in c_labels:
                c = next((r for r in recs if label(r) == lab and r["workers"] == p), None)
                cells.append(ratio_tested(py[p], c, py_par) if c else "-")
            seq_c = [stats.timing(r, "seq_s")["median"] for r in recs
                     if is_c(r) and r["workers"] == p]
            cells.append(fmt_ratio(stats.timing(py[p], "seq_s")["median"] / min(seq_c))
                         if seq_c else "-")
            rows.append(cells)
        tables.append(Table(f"{wl}, class {cls}: C's speedup over python-mp (Python's "
                            f"median time / C's)", ["P", "python-mp s (95% CI)"] + c_labels
                            + ["sequential"], rows, [RATIO_NOTE]))
    return tables


RATIO_NOTE = ("each ratio with the Mann-Whitney test of the two runs' parallel times (two-sided "
              "p) and A, the probability that a run of the faster takes less time than one of "
              "the other; n.s.: no significant difference (p >= 0.05), whatever the ratio")


def ratio_tested(py, c, py_par):
    """Python's median over C's, and whether the Mann-Whitney test backs the difference."""
    text = fmt_ratio(stats.ratio(py_par, stats.timing(c, "par_s")["median"]))
    if not (plausible.plausible(c) and plausible.plausible(py)):
        return f"{text} (implausible {plausible.MARK}: no verdict)"
    test = stats.differ(c, py)
    if test is None:
        return text
    if test["p"] >= stats.ALPHA:
        return f"{text} (n.s., p={fmt_p(test['p'])})"
    faster_c = stats.timing(c, "par_s")["median"] < py_par
    return f"{text} (p={fmt_p(test['p'])}, A={1 - test['a12'] if faster_c else test['a12']:.2f})"


def faster_tables(records):
    """Which backend is fastest at each workload, class and worker count, and whether the
    samples say so: the Kruskal-Wallis test across every backend of the cell, then the
    Mann-Whitney test of the fastest (by median) against the next."""
    tables = []
    for (wl, cls), recs in by_cell(records).items():
        rows, left_out = [], []
        for p in sorted({r["workers"] for r in recs}):
            left_out += [r for r in recs if r["workers"] == p and not plausible.plausible(r)]
            at = sorted((r for r in recs if r["workers"] == p and plausible.plausible(r)),
                        key=lambda r: stats.timing(r, "par_s")["median"])
            if len(at) < 2:
                continue
            first, second = at[0], at[1]
            kw = stats.kruskal_wallis([stats.samples(r, "par_s") or [] for r in at])
            rows.append([str(p) + ("*" if stats.oversubscribed(first) else ""),
                         f"{len(at)}: " + (f"p={fmt_p(kw['p'])}" if kw else "not tested"),
                         label(first), fmt_par(first), label(second), fmt_par(second),
                         fmt_test(stats.differ(first, second), label(first), label(second))])
        if rows:
            tables.append(Table(
                f"{wl}, class {cls}: the fastest and the next, tested", [
                    "P", "backends (Kruskal-Wallis)", "fastest", "median s (95% CI)", "next",
                    "median s (95% CI)", "Mann-Whitney"], rows,
                ["Kruskal-Wallis: whether the parallel times of the backends at this P differ "
                 "at all; Mann-Whitney: the fastest against the next, two-sided, p < 0.05 "
                 "called significant (no correction for the number of tests); A: the "
                 "probability that a run of the fastest takes less time than one of the next"]
                + [f"left out, implausible {plausible.MARK}: " + ", ".join(
                    f"{label(r)} P={r['workers']}" for r in left_out)] * bool(left_out)))
    return tables


# ---- what each run cost -----------------------------------------------------------------------


def cost_figures(rec):
    """A run's cost (None where its record does not say: records of older comparisons)."""
    use = rec.get("rusage") if isinstance(rec.get("rusage"), dict) else {}
    return {"wall_s": rec.get("wall_s"), "user_s": use.get("user_s"), "sys_s": use.get("sys_s"),
            "maxrss_kb": use.get("maxrss_kb"), "maxrss_floor_kb": use.get("maxrss_floor_kb"),
            "steal_s": rec.get("steal_s"), "order": rec.get("order"),
            "rounds": rec.get("rounds"), "reruns": rec.get("reruns"),
            "disturbed": disturbance.disturbed(rec), "plausible": plausible.plausible(rec),
            "unstable": stats.unstable(rec) is not None}


def fmt_peak(kb, floor):
    """A peak memory; one at the floor its start adds (runner.usage) is only an upper bound."""
    if kb is None:
        return "-"
    return f"<= {fmt_kb(floor)}" if floor is not None and kb <= floor else fmt_kb(kb)


def cost_tables(records):
    """One table per class: each run's wall time (its warm-ups and sequential loops too), the
    CPU time of its processes, the peak memory of the largest of them, the machine's steal
    time over it, and its re-runs."""
    tables = []
    for cls in CLASS_ORDER:
        recs = [r for r in sorted_runs(records) if r["class"] == cls]
        if not any(isinstance(r.get("rusage"), dict) for r in recs):
            continue
        rows = []
        for rec in recs:
            c = cost_figures(rec)
            rows.append([f"{label(rec)} {rec['workload']}",
                         f"{rec['workers']}{'*' if stats.oversubscribed(rec) else ''}",
                         fmt_s(c["wall_s"]), fmt_s(c["user_s"]), fmt_s(c["sys_s"]),
                         fmt_peak(c["maxrss_kb"], c["maxrss_floor_kb"]), fmt_s(c["steal_s"]),
                         "-" if c["reruns"] is None else
                         f"{c['reruns']}{disturbance.mark(rec)}"])
        notes = ["CPU: user and system time of the run's processes (those it waited for); "
                 "peak: the largest single process's resident memory, '<=' where it is no more "
                 "than what starting it adds; steal: the machine's, over the run"]
        tables.append(Table(f"What each run cost, class {cls}", [
            "run", "P", "wall s", "user s", "sys s", "peak memory", "steal s", "re-runs"],
            rows, notes + ([f"{disturbance.MARK} still disturbed: see its workload's table"]
                           if any(disturbance.disturbed(r) for r in recs) else [])))
    return tables
