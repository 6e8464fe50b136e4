"""The interleaved order's records: the records of one run's rounds (each of one repetition) as
one record whose samples hold every round's, in round order, and whose figures are computed
from them."""
import copy
import json

from . import disturbance, stats
from .crosscheck import exact

# Per-task and per-worker lists of one repetition: the element-wise median over the rounds.
MEDIAN_LISTS = ("task_s", "busy_s", "cpu_s")


def round_samples(rec, key, phase=None):
    """A round's samples of seq_s, par_s or a phase: its raw samples where it has them (schema
    2), else its median (a record of one repetition: the one sample)."""
    got = rec.get("samples") if isinstance(rec.get("samples"), dict) else {}
    got = got.get("phases", {}).get(phase) if phase else got.get(key)
    if isinstance(got, list) and got:
        return list(got)
    stored = rec.get("phases", {}).get(phase) if phase else rec.get(key)
    return [stats.med(stored)] if stored is not None else []


def merged_samples(recs):
    """Every samples list of the rounds joined in round order: seq_s, par_s, each phase, and
    any other per-repetition list the records carry in "samples"."""
    out = {"seq_s": [], "par_s": [], "phases": {}}
    phases = list(recs[0].get("phases", {}))
    for rec in recs:
        out["seq_s"] += round_samples(rec, "seq_s")
        out["par_s"] += round_samples(rec, "par_s")
        for name in phases:
            out["phases"].setdefault(name, []).extend(round_samples(rec, None, phase=name))
    first = recs[0].get("samples") if isinstance(recs[0].get("samples"), dict) else {}
    for key, value in first.items():
        if key in out or not isinstance(value, list):
            continue
        lists = [r.get("samples", {}).get(key) for r in recs]
        if all(isinstance(v, list) for v in lists):
            out[key] = [x for v in lists for x in v]
    return out


def _median_lists(recs, key):
    lists = [r.get(key) for r in recs]
    if not all(isinstance(v, list) and len(v) == len(lists[0]) for v in lists) or \
            not all(isinstance(x, (int, float)) for v in lists for x in v):
        return recs[0].get(key)
    return [stats.median(col) for col in zip(*lists)]


def _results_agree(recs):
    """None when every round has the same results (floats to the last bit), else a note naming
    the first round that differs from the first."""
    def key(rec):
        return json.dumps([[exact(v) for v in row] for row in rec.get("results", [])])
    for n, rec in enumerate(recs[1:], 2):
        if key(rec) != key(recs[0]):
            return f"results differ between rounds 1 and {n}"
    return None


def _rusage(recs):
    parts = [r.get("rusage") for r in recs]
    if not all(isinstance(u, dict) for u in parts):
        return None
    return {"user_s": round(sum(u["user_s"] for u in parts), 6),
            "sys_s": round(sum(u["sys_s"] for u in parts), 6),
            "maxrss_kb": max(u["maxrss_kb"] for u in parts),
            "maxrss_floor_kb": max(u.get("maxrss_floor_kb") or 0 for u in parts)}


def merge(recs):
    """One record of a run from its rounds' records (in round order, each of one repetition):
    the first round's description (backend, parameters, cores, command), the samples of every
    round in round order, min/median/max and the speedup computed from them, the per-task and
    per-worker times and the start-up paid once as medians over the rounds, verified only when
    every round verified and every round's results are identical; the CPU time, wall time,
    steal and re-runs added up, the peak memory the largest; plausible only when every round that
    says so is (the rounds' "implausible" reasons joined). Each round's own record stays in
    records.jsonl (kind "round")."""
    out = copy.deepcopy(recs[0])
    samples = merged_samples(recs)
    out["schema"] = max(2, out.get("schema", 1))
    out["samples"] = samples
    out["seq_s"], out["par_s"] = stats.summary(samples["seq_s"]), stats.summary(samples["par_s"])
    out["phases"] = {k: stats.summary(v) for k, v in samples["phases"].items() if v}
    out["speedup"] = stats.ratio(out["seq_s"]["median"], out["par_s"]["median"]) or 0.0
    for key in MEDIAN_LISTS:
        if key in out:
            out[key] = _median_lists(recs, key)
    if isinstance(out.get("setup_s"), dict):
        out["setup_s"] = {k: stats.median([r["setup_s"][k] for r in recs])
                          for k in out["setup_s"]
                          if all(isinstance(r.get("setup_s", {}).get(k), (int, float))
                                 for r in recs)}
    out["reps"] = len(samples["par_s"])
    differ = _results_agree(recs)
    out["verified"] = all(r.get("verified") is True for r in recs) and differ is None
    notes = list(dict.fromkeys(r["notes"] for r in recs if r.get("notes")))
    out["notes"] = "; ".join(notes + ([differ] if differ else []))
    out["exit_status"] = next((r["exit_status"] for r in recs if r.get("exit_status")), 0)
    out["rusage"] = _rusage(recs)
    for key in ("steal_s", "wall_s"):
        vals = [r.get(key) for r in recs]
        out[key] = sum(vals) if all(isinstance(v, (int, float)) for v in vals) else None
    out["reruns"] = sum(r.get("reruns", 0) for r in recs)
    if any("disturbed" in r for r in recs):
        out["disturbed"] = any(disturbance.disturbed(r) for r in recs)
        out["disturbance"] = disturbance.merged(recs)
    if any(isinstance(r.get("plausible"), bool) for r in recs):
        bad = [(n, r) for n, r in enumerate(recs, 1) if r.get("plausible") is False]
        out["plausible"] = not bad
        out.pop("implausible", None)
        if bad:
            out["implausible"] = "; ".join(f"round {n}: {r.get('implausible') or 'implausible'}"
                                           for n, r in bad)
    out["rounds"] = len(recs)
    for key in ("round", "attempt"):
        out.pop(key, None)
    return out
