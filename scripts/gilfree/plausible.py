"""Whether a run's figures are ones that physics allows: no run of P workers on C cores beats
its sequential loop by more than min(P, C) times, and no parallel time is shorter than its
longest task or than its tasks' total spread over min(P, C) cores. A record that breaks a limit
is "implausible": its clock missed part of the work (a rank that started its clock late), or
its sequential loop ran slow. The report marks it and leaves it out of every verdict.

The binaries write "plausible" (and, when false, "implausible": which limit, by how much) in
every record; check(rec) takes that where it is, and computes the same limits from the record's
own figures where it is not (older records, records read with --records), so that every record
is checked once, the same way."""
from . import stats
from .backends import label

# Each limit is given this much room: the task times and the parallel time are medians of
# different repetitions of a machine shared with other work.
SLACK = 0.05


def usable_cores(rec):
    """min(P, the cores the run could use): the record's topology's cores where it says them
    (each host's affinity mask, summed by the binary), else its cores."""
    topo = rec.get("topology") if isinstance(rec.get("topology"), dict) else {}
    cores = topo.get("cores") if _num(topo.get("cores")) and topo.get("cores") > 0 else None
    if cores is None:
        cores = rec.get("cores") if _num(rec.get("cores")) and rec.get("cores") > 0 else None
    workers = rec.get("workers")
    if not _num(workers) or workers < 1:
        return None
    return min(workers, cores) if cores else workers


def _num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def limits(rec):
    """The limits a record breaks, computed from its own figures: a list of "<limit>, by
    <how much>" lines, empty when it breaks none (or lacks the figures to tell)."""
    usable = usable_cores(rec)
    if usable is None:
        return []
    out = []
    try:
        speed = stats.speedup(rec)
        par = stats.timing(rec, "par_s")["median"]
    except (KeyError, TypeError):
        return []
    if _num(speed) and speed > usable * (1 + SLACK):
        out.append(f"speedup {speed:.2f}x above min(P, cores) = {usable} "
                   f"x {1 + SLACK:.2f}, by {100 * (speed / usable - 1):.0f}%")
    tasks = [t for t in (rec.get("task_s") or []) if _num(t)]
    if tasks and _num(par) and par > 0:
        longest, share = max(tasks), sum(tasks) / usable
        if par < longest * (1 - SLACK):
            out.append(f"parallel time {par:.3g} s below the longest task {longest:.3g} s, "
                       f"by {100 * (1 - par / longest):.0f}%")
        if par < share * (1 - SLACK):
            out.append(f"parallel time {par:.3g} s below the tasks' total / {usable} = "
                       f"{share:.3g} s, by {100 * (1 - par / share):.0f}%")
    return out


def check(rec):
    """(plausible, why): the record's own "plausible" and "implausible" where it has them, else
    limits(rec) joined; why is None for a plausible record."""
    if isinstance(rec.get("plausible"), bool):
        if rec["plausible"]:
            return True, None
        return False, str(rec.get("implausible") or "the binary says so, without a reason")
    broken = limits(rec)
    return (False, "; ".join(broken)) if broken else (True, None)


def plausible(rec):
    """Whether a record's figures are within the limits (check)."""
    return check(rec)[0]


# The mark an implausible row's figure gets in the tables.
MARK = "!"


def mark(rec):
    return MARK if not plausible(rec) else ""


def line(rec):
    """"mpi sum S 4 workers: implausible (speedup 3.74x above ...)"."""
    p = rec["workers"]
    return (f"{label(rec)} {rec['workload']} {rec['class']} {p} worker{'s' if p != 1 else ''}: "
            f"implausible ({check(rec)[1]})")


def footnotes(recs):
    """The tables' footnote lines on the implausible rows among recs."""
    return [f"{MARK} {line(r)}; left out of every verdict" for r in recs if not plausible(r)]
