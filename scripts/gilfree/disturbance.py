"""Disturbed runs: whether a record says its run was disturbed (the binaries mark a run whose
busy worker got less of a core than it could expect, "disturbed": true with a "disturbance"
object), whether a run is to be run again, and the line and the mark that show a run that
stayed disturbed."""
from .backends import label

# The mark a disturbed run's figure gets in the tables, and its footnote's.
MARK = "\u2020"


def disturbed(rec):
    """Whether a record says its run was disturbed. Records without the mark (binaries that do
    not measure it, the Python baseline) are taken as not disturbed."""
    return rec.get("disturbed") is True


def run_again(attempts, reruns):
    """Whether a run is to be run once more, given the records of its attempts so far (oldest
    first; None for an attempt that gave no record) and the re-runs allowed: only when its last
    attempt gave a record that says it was disturbed and fewer than `reruns` re-runs were
    made. A failure is not re-run: it is a failure."""
    if not attempts or attempts[-1] is None or not disturbed(attempts[-1]):
        return False
    return len(attempts) - 1 < reruns


def _num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def how(rec):
    """What the record's disturbance says, in words: "a worker got 52% of a core in 3 of 5
    repetitions", and, where the record has them, its late starts ("late_start_reps") and a
    disturbed sequential loop ("seq_disturbed")."""
    d = rec.get("disturbance") if isinstance(rec.get("disturbance"), dict) else {}
    share, k, n = d.get("cpu_share_min"), d.get("reps_disturbed"), d.get("reps")
    words = f"a worker got {100 * share:.0f}% of a core" if _num(share) else "no detail"
    if _num(k) and _num(n):
        words += f" in {k} of {n} repetitions"
    late = d.get("late_start_reps")
    if _num(late) and late > 0:
        words += f"; its workers started late in {late} repetition{'s' if late != 1 else ''}"
    if d.get("seq_disturbed") is True:
        words += "; its sequential loop was disturbed"
    return words


def line(rec):
    """One line on a run whose record says disturbed: "posix resize W 2 workers: disturbed (a
    worker got 52% of a core in 3 of 5 repetitions), re-run 2 times, still disturbed"."""
    p = rec["workers"]
    what = f"{label(rec)} {rec['workload']} {rec['class']} {p} worker{'s' if p != 1 else ''}"
    k = rec.get("reruns", 0)
    again = "not re-run" if not k else f"re-run {k} time{'s' if k != 1 else ''}"
    rounds = (rec.get("disturbance") or {}).get("rounds_disturbed")
    where = f" in {rounds} of {rec['rounds']} rounds" if rounds and rec.get("rounds") else ""
    return f"{what}: disturbed{where} ({how(rec)}), {again}, still disturbed"


def mark(rec):
    """The mark of a disturbed run's figure: MARK, or nothing."""
    return MARK if disturbed(rec) else ""


def footnotes(recs):
    """The tables' footnote lines on the disturbed runs among recs."""
    return [f"{MARK} {line(r)}" for r in recs if disturbed(r)]


def merged(recs):
    """The disturbance of several rounds' records as one: the least share any worker got, the
    repetitions counted over all rounds (the late starts too, where the rounds count them; the
    sequential loop disturbed in any round), the steal and the other processes' CPU time added up
    (None where a round could not read them), and how many rounds were disturbed."""
    parts = [r["disturbance"] for r in recs if isinstance(r.get("disturbance"), dict)]
    if not parts:
        return None

    def total(key):
        vals = [d.get(key) for d in parts]
        return sum(vals) if all(_num(v) for v in vals) else None

    shares = [d["cpu_share_min"] for d in parts if _num(d.get("cpu_share_min"))]
    extra = {}
    if any("late_start_reps" in d for d in parts):  # binaries that see late starts
        extra["late_start_reps"] = total("late_start_reps")
    if any("seq_disturbed" in d for d in parts):
        extra["seq_disturbed"] = any(d.get("seq_disturbed") is True for d in parts)
    return {**extra, "cpu_share_min": min(shares) if shares else None,
            "reps_disturbed": total("reps_disturbed"), "reps": total("reps"),
            "threshold": parts[0].get("threshold"), "steal_s": total("steal_s"),
            "others_cpu_s": total("others_cpu_s"),
            "rounds_disturbed": sum(1 for r in recs if disturbed(r))}
