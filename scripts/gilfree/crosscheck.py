"""The cross-check of a comparison's records: every run verified, each class run with one set
of parameters, and identical results (floats to the last bit) for the same parameters."""
import json

from .backends import is_c, label
from .records import kind

# Parameters that change how a run is done, not what it computes: a schema-2 record names its
# own in "how"; these are those of the records written before it.
HOW_PARAMS = ("start", "chunksize", "schedule")


def what_params(rec):
    how = set(HOW_PARAMS) | set(rec.get("how", {}))
    return {k: v for k, v in rec["params"].items() if k not in how}


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
