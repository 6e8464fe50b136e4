"""Every statistic the scripts compute: the summary of a list of samples (min, median as the C
report takes it, max), a record's times (from its raw samples where it has them, schema 2, or
its stored summaries), speedups and ratios, and the best time a run's tasks allow: the lower
bound and the bound of the split its backend makes (the makespans)."""
import statistics

from .backends import label, schedule


def median(samples):
    """The middle sample, or the mean of the two middle ones (shared/gf_clock.c's)."""
    return statistics.median(samples)


def summary(samples, scale=1.0):
    """{min, median, max} of a list of samples, each times scale (1e6: seconds to
    microseconds)."""
    return {"min": min(samples) * scale, "median": median(samples) * scale,
            "max": max(samples) * scale}


def med(value):
    """The median of a summary, or a single figure as it is."""
    return value["median"] if isinstance(value, dict) else value


def _samples(rec, key, phase=None):
    got = rec.get("samples") if rec.get("schema", 1) >= 2 else None
    if not isinstance(got, dict):
        return None
    got = got.get("phases", {}).get(phase) if phase else got.get(key)
    return got if isinstance(got, list) and got else None


def timing(rec, key):
    """A record's seq_s or par_s summary: from its samples where it has them."""
    raw = _samples(rec, key)
    return summary(raw) if raw else rec[key]


def phases(rec):
    """{phase: summary} of a record, each from its samples where it has them."""
    out = {}
    for name, stored in rec.get("phases", {}).items():
        raw = _samples(rec, None, phase=name)
        out[name] = summary(raw) if raw else stored
    return out


def ratio(a, b):
    return a / b if b > 0 else None


def speedup(rec):
    """Median sequential over median parallel: computed from the samples where the record has
    them, else the record's own."""
    if _samples(rec, "seq_s") and _samples(rec, "par_s"):
        return ratio(timing(rec, "seq_s")["median"], timing(rec, "par_s")["median"]) or 0.0
    return rec["speedup"]


def oversubscribed(rec):
    return rec["workers"] > rec["cores"]


def crossover(points):
    """The smallest x (a grain) of (x, speedup) points from which the speedup is above 1 at
    every larger x, or None."""
    best = None
    for g, s in sorted(points, reverse=True):
        if s > 1.0:
            best = g
        else:
            break
    return best


# ---- bounds -----------------------------------------------------------------------------------


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


def cyclic_makespan(tasks, workers):
    """A static round-robin deal (task i to worker i mod P, schedule(static, 1)): the longest
    share."""
    return max(sum(tasks[w::workers]) for w in range(workers))


def ranks_makespan(tasks, ranks, threads, deal, team):
    """Ranks of threads: the tasks dealt to the ranks (contiguous blocks or round-robin), each
    rank's share run by its team (contiguous blocks, or a queue): the slowest rank."""
    shares = []
    if deal == "cyclic":
        shares = [tasks[r::ranks] for r in range(ranks)]
    else:
        start = 0
        for r in range(ranks):
            size = len(tasks) // ranks + (1 if r < len(tasks) % ranks else 0)
            shares.append(tasks[start:start + size])
            start += size
    inner = block_makespan if team == "block" else queue_makespan
    return max((inner(s, threads) for s in shares if s), default=0.0)


def batches_makespan(tasks, size, ranks):
    """A queue of batches: each batch of size tasks in submission order goes to the rank that
    is free first, whose team of size threads runs it (one task a thread)."""
    free = [0.0] * ranks
    for i in range(0, len(tasks), size):
        r = free.index(min(free))
        free[r] += max(tasks[i:i + size])
    return max(free)


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
    elif sched[0] == "ranks":
        _, deal, ranks, threads, team = sched
        split = ranks_makespan(tasks, ranks, threads, deal, team)
        name = f"{'round-robin' if deal == 'cyclic' else 'static'} split to {ranks} ranks, " \
               f"{'a queue' if team == 'queue' else 'blocks'} in each team of {threads}"
    elif sched[0] == "batches":
        split = batches_makespan(tasks, sched[1], sched[2])
        name = f"queue of {sched[1]}-task batches, {sched[2]} ranks taking them"
    else:
        split = queue_makespan(tasks, sched[2], sched[1])
        name = "queue" if sched[1] == 1 else f"queue, chunks of {sched[1]}"
        if sched[2] != rec["workers"]:
            name += f", {sched[2]} taking tasks"
    return lower, max(split, sum(tasks) / usable), name


# ---- the numbers of one row -------------------------------------------------------------------


def figures(rec):
    """The figures of a record's row in the tables and summary.csv."""
    par, seq = timing(rec, "par_s"), timing(rec, "seq_s")
    speed = ratio(seq["median"], par["median"]) or 0.0
    lower, bound, bound_kind = bounds(rec)
    return {
        "label": label(rec), "workload": rec["workload"], "class": rec["class"],
        "workers": rec["workers"], "cores": rec["cores"], "oversubscribed": oversubscribed(rec),
        "reps": rec["reps"], "verified": rec["verified"], "seq_median_s": seq["median"],
        "par_median_s": par["median"], "par_min_s": par["min"], "par_max_s": par["max"],
        "speedup": speed, "efficiency": speed / rec["workers"],
        "lower_bound_s": lower, "bound_s": bound, "bound_kind": bound_kind,
        "of_bound": bound / par["median"] if bound and par["median"] > 0 else None,
    }


def setup_total(rec):
    """The one-time start-up of a run: its setup phases, less those that are means over
    workers (posix's worker_start_mean), which are part of the total, not beside it."""
    return sum(v for k, v in rec.get("setup_s", {}).items() if not k.endswith("_mean"))


def overheads(rec):
    """(parallel median, busiest worker's kernel time, overhead) of one record."""
    par = timing(rec, "par_s")["median"]
    busy = max(rec.get("busy_s") or [0.0])
    return par, busy, max(par - busy, 0.0)
