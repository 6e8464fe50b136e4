"""The report's section on splitting P workers into ranks of threads: for each workload, class
and worker count where ranks of threads ran, every split R x T beside pure OpenMP (1 x P) and
pure MPI (P x 1), the fastest named, and the phases that explain it: the messages (scatter,
gather) a split pays for its ranks against the fork-join (start, stop) it pays for its teams."""
from . import stats
from .backends import get, label
from .records import kind
from .tables import Table, fmt_ratio, fmt_s

MESSAGES = ("scatter", "gather")
FORK_JOIN = ("start", "stop")


def split_of(rec):
    """(ranks, threads) of a run on one host: pure OpenMP is 1 x P, pure MPI P x 1; None for
    a run across hosts (their section is "Across hosts") or of another backend."""
    lab = label(rec)
    if "@" in lab:
        return None
    if lab == "omp":
        return 1, rec["workers"]
    if lab in ("mpi", "mpi-dynamic"):
        return rec["workers"], 1
    threads = get(lab).threads if lab.startswith("hybrid") else None
    return (rec["workers"] // threads, threads) if threads else None


def _phase_sum(ph, names):
    got = [ph[n]["median"] for n in names if n in ph]
    return sum(got) if got else None


def groups(records):
    """{(class, workload, P): [records]} of the runs that are a split of P, where at least one
    is a rank of threads."""
    out = {}
    for rec in records:
        if kind(rec) != "run" or split_of(rec) is None or not rec.get("verified"):
            continue
        out.setdefault((rec["class"], rec["workload"], rec["workers"]), []).append(rec)
    return {k: v for k, v in out.items() if any(label(r).startswith("hybrid") for r in v)}


def split_table(key, recs):
    cls, wl, p = key
    rows = []
    recs = sorted(recs, key=lambda r: (-split_of(r)[0], label(r)))
    best = min(recs, key=lambda r: stats.timing(r, "par_s")["median"])
    for rec in recs:
        r, t = split_of(rec)
        par = stats.timing(rec, "par_s")
        ph = stats.phases(rec)
        rows.append([f"{r} x {t}", label(rec), fmt_s(par["median"]),
                     f"{fmt_s(par['min'])}-{fmt_s(par['max'])}", fmt_ratio(stats.speedup(rec)),
                     fmt_s(_phase_sum(ph, MESSAGES)), fmt_s(_phase_sum(ph, FORK_JOIN)),
                     fmt_s(ph["compute"]["median"]) if "compute" in ph else "-",
                     "fastest" if rec is best else ""])
    over = " (oversubscribed: more workers than cores)" if p > recs[0]["cores"] else ""
    return best, Table(f"{wl}, class {cls}, P = {p}: ranks x threads{over}",
                       ["split", "row", "parallel s", "min-max s", "speedup",
                        "messages s", "fork-join s", "compute s", ""], rows)


def explain(best, recs):
    """One sentence on why the fastest split won, from the phases."""
    r, t = split_of(best)
    par = stats.timing(best, "par_s")["median"]
    others = [x for x in recs if x is not best]
    if not others:
        return f"{r} x {t} ran alone."
    runner = min(others, key=lambda x: stats.timing(x, "par_s")["median"])
    rr, rt = split_of(runner)
    gap = stats.timing(runner, "par_s")["median"] - par
    pb, pr = stats.phases(best), stats.phases(runner)
    parts = []
    for name, names in (("messages", MESSAGES), ("fork-join", FORK_JOIN), ("compute",
                                                                             ("compute",))):
        a, b = _phase_sum(pb, names), _phase_sum(pr, names)
        if a is not None or b is not None:
            parts.append((abs((b or 0) - (a or 0)), name, a or 0, b or 0))
    why = ""
    if parts:
        _, name, a, b = max(parts)
        why = (f"; the largest difference in the phases is {name}: {fmt_s(a)} s against "
               f"{fmt_s(b)} s")
    return (f"Fastest: {r} x {t} ({label(best)}), {fmt_s(par)} s, {fmt_s(gap)} s ahead of "
            f"{rr} x {rt} ({label(runner)}){why}.")


def splits_section(records):
    """The section's markdown, or "" where no rank of threads ran."""
    found = groups(records)
    if not found:
        return ""
    out = ["## Ranks of threads: every split of P workers", "",
           "The same P workers as P ranks of one thread (pure MPI), one rank of P threads "
           "(pure OpenMP) and every split R x T between them (gilfree-hybrid), on the same "
           "tasks. A split pays for its ranks in messages (scatter and gather) and for its "
           "teams in fork-join (the team's start and stop); medians over the repetitions. "
           "Splits with more workers than cores share the cores: their times say what "
           "oversubscription costs, not what the split would give on more cores.", ""]
    summary = []
    for key in sorted(found):
        best, table = split_table(key, found[key])
        out += [table.markdown(), explain(best, found[key]), ""]
        r, t = split_of(best)
        summary.append([key[1], key[0], key[2], f"{r} x {t}", label(best),
                        fmt_ratio(stats.speedup(best))])
    out.append(Table("The fastest split per workload, class and P",
                     ["workload", "class", "P", "fastest split", "row", "speedup"],
                     summary).markdown())
    return "\n".join(out) + "\n"
