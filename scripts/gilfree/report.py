"""report.md and the terminal's text: the comparison's sections from its records of kind "run",
and a section for each other kind of record that registers one (the micro-benchmarks, kind
"bench"): register_section(kind, title, fn), where fn(records, ctx) returns markdown."""
import io

from . import findings, splits, stats
from .backends import label
from .records import kind
from .stats import overheads, setup_total
from .tables import (Table, cost_tables, faster_tables, fmt_median_ci, fmt_pct, fmt_ratio, fmt_s,
                     fmt_test, python_tables, sorted_runs, workload_tables)


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
    out += slower_runs(runs) + overhead_per_run(runs)
    lecture = lecture_pool(records)
    if lecture:
        out += ["", lecture]
    return "\n".join(out) + "\n"


def seq_median(rec):
    return stats.timing(rec, "seq_s")["median"]


def slower_runs(runs):
    """The lines on the runs with 2 workers or more (up to the cores) slower than their loop."""
    slow = [r for r in runs if stats.speedup(r) < 1 and 1 < r["workers"] <= r["cores"]]
    if not slow:
        return ["No run with 2 or more workers (up to the core count) was slower than its "
                "sequential loop at class S in this run."]
    headers = ["run", "P", "seq s (95% CI)", "parallel s (95% CI)", "speedup", "tested",
               "busiest worker s", "overhead s", "overhead share", "phases (median s)", "once"]
    rows = []
    for rec in slow:
        par, busy, over = overheads(rec)
        phases = ", ".join(f"{k} {fmt_s(v['median'])}" for k, v in stats.phases(rec).items())
        once = ", ".join(f"{k} {fmt_s(v)}" for k, v in rec.get("setup_s", {}).items()) or "-"
        seq, par_raw = stats.samples(rec, "seq_s"), stats.samples(rec, "par_s")
        test = stats.mann_whitney(seq, par_raw) if seq and par_raw else None
        rows.append([f"{label(rec)} {rec['workload']}", rec["workers"],
                     fmt_median_ci(stats.timing(rec, "seq_s")),
                     fmt_median_ci(stats.timing(rec, "par_s")), fmt_ratio(stats.speedup(rec)),
                     fmt_test(test, "sequential", "parallel"), fmt_s(busy), fmt_s(over),
                     fmt_pct(over / par if par else None), phases or "-", once])
    worst = min(slow, key=stats.speedup)
    par, busy, over = overheads(worst)
    return [Table("Runs slower than their loop (class S, 2 workers up to the cores)",
                  headers, rows, ["tested: the Mann-Whitney test of the run's sequential "
                                  "times against its parallel ones (two-sided p; A, the "
                                  "probability that a sequential repetition took less time "
                                  "than a parallel one)"]).markdown(),
            f"The slowest, {label(worst)} {worst['workload']} on {worst['workers']} "
            f"workers, ran at {fmt_ratio(stats.speedup(worst))} of its loop: "
            f"{fmt_s(par)} s in parallel against {fmt_s(seq_median(worst))} s "
            f"sequential, while its busiest worker computed for only {fmt_s(busy)} s; "
            f"the other {fmt_s(over)} s ({fmt_pct(over / par if par else None)}) were "
            f"start-up, communication and joining."]


def overhead_per_run(runs):
    """The same cost for every backend, so C's small start-up is seen beside Python's."""
    out, rows, once = [], [], []
    for rec in runs:
        if rec["workers"] != min(max(r["workers"] for r in runs), rec["cores"]):
            continue
        par, busy, over = overheads(rec)
        setup = setup_total(rec)
        rows.append([f"{label(rec)} {rec['workload']}", rec["workers"], fmt_s(par), fmt_s(busy),
                     fmt_s(over), fmt_ratio(stats.speedup(rec)), fmt_s(setup) if setup else "-"])
        if setup:
            once.append((label(rec), rec["workload"], rec["setup_s"], setup, seq_median(rec)))
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
    return out


def lecture_pool(records):
    """The lecture's own Pool example (Example 25.3, class S) as measured here, in a sentence."""
    runs = [r for r in records if kind(r) == "run" and r["class"] == "S" and
            r["workload"] == "resize" and label(r) == "python-mp"]
    if not runs:
        return ""
    fit = [r for r in runs if r["workers"] <= r["cores"]] or runs
    rec = max(fit, key=lambda r: r["workers"])
    ph = {k: v["median"] for k, v in stats.phases(rec).items()}
    par, busy, over = overheads(rec)
    return (f"The lecture's Pool.map example (resize, class S) with {rec['workers']} processes: "
            f"{fmt_median_ci(stats.timing(rec, 'par_s'))} s against the loop's "
            f"{fmt_median_ci(stats.timing(rec, 'seq_s'))} s (medians, 95% CIs), a speedup "
            f"of {fmt_ratio(stats.speedup(rec))}. Until the last worker began its first image "
            f"(creating the pool, forking, sending the first chunks) {fmt_s(ph.get('start'))} s "
            f"passed, {fmt_s(ph.get('compute'))} s of computing followed, and "
            f"{fmt_s(ph.get('stop'))} s to bring the results back and close the pool; the "
            f"busiest worker computed for {fmt_s(busy)} s. The work per image is too small for "
            f"the pool's start-up and messages.")

SECTIONS = []


def register_section(kind_name, title, fn, covers=()):
    """Adds a report section made by fn(records of that kind, ctx) -> markdown, after the
    built-in ones, under "## title" (none when title is None: fn writes its own headings).
    ctx holds out_dir, machine, images and records (every record of the report, for a section
    that sets its kind beside others); covers names other kinds that fn reports, which are then
    not listed as unknown. A kind registered again replaces the first."""
    SECTIONS[:] = [s for s in SECTIONS if s[0] != kind_name]
    SECTIONS.append((kind_name, title, fn, tuple(covers)))


def report_markdown(records, ctx):
    m = ctx.get("machine", {})
    out = ["# gilfree comparison", "",
           f"Run {ctx.get('started', '')}: `{ctx.get('command', '')}`", "",
           f"Machine: {m.get('cpu', '?')}, **{m.get('cores', '?')} cores**, "
           f"{m.get('memory', '?')}, Linux {m.get('kernel', '?')}; {m.get('gcc', '?')}; "
           f"{m.get('mpi', '?')}; Python {m.get('python', '?')}; gilfree "
           f"{m.get('gilfree', '?')} ({m.get('commit', '?')}). Full details in machine.txt.",
           ""]
    out += findings.markdown(records)
    for line in ctx.get("notes", []):
        out.append(f"- {line}")
    out.append("")
    out += verification(records, ctx) + times(records) + outliers(records)
    out.append(slow_pool_section(records))
    out.append(splits.splits_section(records))
    out += plots(ctx.get("images")) + other_sections(records, ctx)
    return "\n".join(out)


def verification(records, ctx):
    runs = [r for r in records if kind(r) == "run"]
    out = []
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
    return out


def times(records):
    out = ["", "## Times", "",
            "Per workload and class: the median parallel time over the repetitions with its "
            "95% confidence interval (from the order statistics, distribution-free: "
            "[x(l), x(n+1-l)] of the sorted samples; none below 6 samples) and its min-max, "
            "the samples outside Tukey's fences, the run's own sequential median and "
            "interval, the speedup (sequential median over "
            "parallel median, both from the same run), the parallel efficiency (speedup / P), "
            "and the bound: the best time the run's tasks allow on P workers, from the "
            "sequential per-task times: max(longest task, total / min(P, cores)), and for a "
            "known split of the tasks (a static split, a queue in submission order) the "
            "longest share that split gives a worker. 'of bound' is bound / median: how close "
            "the run came to what its task list allows. Above 100%, the parallel median is shorter "
            "than the task list allows: either the sequential per-task times the bound comes "
            "from ran slow (the machine busy during the loop, a colder cache or a lower clock "
            "there), or the parallel time missed part of the work (a worker whose clock started "
            "after others had finished), or, for the split bound only, the backend did not "
            "split the tasks as the bound assumes. The first is a slow loop, the second a "
            "wrong clock; the figures cannot tell them apart. A row beyond the lower bound "
            "(or above min(P, cores) x 1.05 in speedup) by more than 5% is marked implausible "
            "(!) and "
            "left out of every verdict (see What this run found). `sum` is weak scaling "
            "(one sum per worker, so its sequential time grows with P).", ""]
    out += [t.markdown() for t in workload_tables(records)]
    out += [t.markdown() for t in cost_tables(records)]
    fast = faster_tables(records)
    if fast:
        out += ["## Which backend is faster", "",
                "A backend is called faster than another only where the Mann-Whitney U test "
                "of their parallel times (the raw samples of each run, two-sided) gives "
                "p < 0.05; otherwise there is no significant difference, whatever the medians. "
                "Exact for small samples, the tie-corrected normal approximation for larger "
                "ones. The effect size A (Vargha and Delaney) is the probability that a run "
                "of the faster takes less time than a run of the other: 0.5 is none, 1.0 every "
                "run. Kruskal-Wallis first asks whether the backends at a worker count differ "
                "at all.", ""]
        out += [t.markdown() for t in fast]
    py = python_tables(records)
    out += ["## C against Python's multiprocessing", ""]
    if py:
        out += ["Python's median parallel time divided by each C backend's, at the same "
                "workload, class and worker count, measured in this run; the last column "
                "compares the sequential loops.", ""]
        out += [t.markdown() for t in py]
    else:
        out += ["Python was not run in this comparison.", ""]
    return out


def outliers(records):
    """The runs with samples outside Tukey's fences, counted: every median and interval above
    is of all the samples."""
    runs = sorted_runs(records)
    lines = []
    for rec in runs:
        parts = []
        for key, name in (("seq_s", "sequential"), ("par_s", "parallel")):
            t = stats.outliers(rec, key)
            if t and t["outliers"]:
                parts.append(f"{name} {len(t['outliers'])} of {t['n']} samples outside "
                             f"Tukey's fences ({fmt_s(t['low'])} to {fmt_s(t['high'])} s)")
        if parts:
            lines.append(f"- {label(rec)} {rec['workload']} class {rec['class']} "
                         f"P={rec['workers']}: " + "; ".join(parts))
    counted = sum(1 for r in runs if stats.outliers(r, "par_s"))
    out = ["## Outliers", "",
           "Samples below Q1 - 1.5 IQR or above Q3 + 1.5 IQR of their run (Tukey's fences, "
           "quartiles interpolated between the order statistics), counted and never dropped: "
           "the medians and intervals above are of every sample. Runs of fewer than 4 "
           "samples are not counted.", ""]
    if lines:
        out += lines
    elif counted:
        out.append(f"No sample of the {counted} runs counted lies outside its fences.")
    else:
        out.append("No run has the samples to count (fewer than 4, or records without them).")
    return out + [""]


def plots(images):
    out = ["## Plots", ""]
    if images is None:
        out.append("gnuplot is not installed: no plots (install gnuplot-nox).")
    else:
        for img in images:
            if img.endswith(".png"):
                out.append(f"![{img[:-4]}]({img})")
        out.append("")
        out.append("Each plot's data file (.dat) and gnuplot script (.gp) are beside it.")
    out.append("")
    return out


def other_sections(records, ctx):
    """The registered sections of other kinds of records, and a line for each unregistered."""
    out = []
    for kind_name, title, fn, _ in SECTIONS:
        recs = [r for r in records if kind(r) == kind_name]
        if recs:
            text = fn(recs, dict(ctx, records=records))
            out += ([f"## {title}", ""] if title else []) + [text, ""]
    known = {"run"} | {name for k, _, _, covers in SECTIONS for name in (k,) + covers}
    other = sorted({kind(r) for r in records} - known)
    if other:
        out += ["## Other records", ""]
        out += [f"- {sum(1 for r in records if kind(r) == k)} records of kind `{k}`: no report "
                "section for them (gilfree.report.register_section)" for k in other]
    return out


def terminal_text(records):
    buf = io.StringIO()
    for t in workload_tables(records):
        buf.write(t.text() + "\n")
    for t in faster_tables(records):
        buf.write(t.text() + "\n")
    for t in python_tables(records):
        buf.write(t.text() + "\n")
    for t in cost_tables(records):
        buf.write(t.text() + "\n")
    return buf.getvalue()
