#!/usr/bin/env python3
"""--reps auto on every built binary: the repetitions stop by the rule of shared/gf_driver.c,
and every interval in the record is the one scripts/gilfree/stats.py computes from the record's
own samples (the C and Python order statistics agree on real data).

The rule, checked on each record's samples rather than on any time: no series stops before 6
repetitions; at every count from 6 until the last, the series (interleaved: the rounds) had
not met the target, or it would have stopped there; "reached" says whether both intervals are
within the target at the end; a target met at the end is the reason given, "target". With a
cap of a microsecond each series stops at the minimum, 6. With --ci-target 50 on tasks of a tenth
of a second the target is met. MPI runs with 2 and 3 ranks, where rank 0's decision is every
rank's: a run that ends at all, with exit 0, had every rank agree.

  reps_auto.py --binary omp=build/bin/gilfree-omp [--binary mpi=...] [--mpiexec mpirun]
               [--np-flag -np]
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "scripts"))
from gilfree import stats  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import RANKS, add_binary_args, binaries, status  # noqa: E402
from checks import check as report  # noqa: E402



def intervals_agree(rec):
    """The names of the statistics whose ci_low/ci_high are not stats.median_ci of their
    samples (None for null)."""
    samples = rec["samples"]
    series = [("seq_s", rec["seq_s"], samples["seq_s"]), ("par_s", rec["par_s"],
                                                          samples["par_s"])]
    series += [(k, v, samples["phases"].get(k)) for k, v in rec["phases"].items()]
    bad = []
    for name, st, raw in series:
        ci = stats.median_ci(raw or [])
        got = None if st["ci_low"] is None and st["ci_high"] is None else \
            (st["ci_low"], st["ci_high"])
        # the record prints 9 significant digits of the same samples it lists
        if (ci is None) != (got is None) or (ci and any(
                abs(a - b) > 1e-8 * max(abs(a), 1e-12) for a, b in zip(ci, got))):
            bad.append(f"{name} {got} != {ci}")
    return bad


def rule_broken(rec, order):
    """Why the record's counts do not follow the stopping rule, or None."""
    auto, samples = rec.get("reps_auto"), rec.get("samples", {})
    if not isinstance(auto, dict):
        return f"reps_auto is {auto!r}"
    seq, par, pct = samples["seq_s"], samples["par_s"], auto["target_pct"]
    if (len(seq), len(par)) != (auto["seq_reps"], auto["par_reps"]) or \
            rec["reps"] != auto["par_reps"]:
        return (f"{len(seq)} and {len(par)} samples, reps {rec['reps']}, reps_auto "
                f"{auto['seq_reps']} and {auto['par_reps']}")
    if min(len(seq), len(par)) < stats.CI_MIN:
        return f"fewer than {stats.CI_MIN} repetitions: {len(seq)}, {len(par)}"
    if order == "interleaved" and len(seq) != len(par):
        return f"interleaved rounds of {len(seq)} and {len(par)}"
    groups = [(seq, par)] if order == "interleaved" else [(seq,), (par,)]
    for group in groups:
        for k in range(stats.CI_MIN, len(group[0])):
            if all(stats.within_target(x[:k], pct) for x in group):
                return f"the target was met at {k} repetitions, yet it went on to {len(group[0])}"
    reached = stats.within_target(seq, pct) and stats.within_target(par, pct)
    if auto["reached"] != reached:
        return f"reached {auto['reached']}, but the samples say {reached}"
    if reached and auto["stopped"] != "target":
        return f"the target was met, yet it stopped by {auto['stopped']}"
    if auto["stopped"] not in ("target", "cap", "limit"):
        return f"stopped {auto['stopped']!r}"
    return None


def run(cmd, timeout=240):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return subprocess.CompletedProcess(cmd, "timeout", e.stdout or "", e.stderr or "")


def record(cmd, what):
    """The json record of cmd, or None after reporting why there is none."""
    res = run(cmd)
    try:
        rec = json.loads(res.stdout)
    except ValueError:
        rec = None
    if res.returncode != 0 or rec is None or not rec.get("verified"):
        report(False, what, f"exit {res.returncode}, stderr {res.stderr[-500:]!r}, "
                            f"stdout {res.stdout[:300]!r}")
        return None
    return rec


def check_binary(name, cmd):
    """cmd(args, workers): the command line of one run."""
    # tasks of about a tenth of a second (primes at class W): a 50% target is met
    for order in ("blocked", "interleaved"):
        what = f"{name}: --reps auto --ci-target 50, --order {order}"
        rec = record(cmd(["primes", "--class", "W", "--reps", "auto", "--ci-target", "50",
                          "--order", order, "--format", "json"], 2), what)
        if rec:
            broken = rule_broken(rec, order)
            auto = rec["reps_auto"]
            report(not broken and auto["reached"] and auto["target_pct"] == 50 and
                   auto["cap_s"] == 30 and rec["reps"] >= stats.CI_MIN, what,
                   broken or f"reps_auto {auto}")
            bad = intervals_agree(rec)
            report(not bad, f"{name}: every interval is the order statistics' of its samples",
                   "; ".join(bad))
    # a cap spent at once (a microsecond): each series stops at the minimum, whether the
    # target is met or not
    for order in ("blocked", "interleaved"):
        what = f"{name}: --reps auto --reps-cap 0.000001, --order {order}"
        rec = record(cmd(["sum", "--reps", "auto", "--reps-cap", "0.000001", "--order", order,
                          "--format", "json"], 2), what)
        if rec:
            broken = rule_broken(rec, order)
            auto = rec["reps_auto"]
            report(not broken and auto["seq_reps"] == auto["par_reps"] == stats.CI_MIN and
                   auto["cap_s"] == 0.000001 and
                   (auto["stopped"] == "target") == auto["reached"], what,
                   broken or f"reps_auto {auto}")
    # a target rarely met, a cap of a second: many rounds, each decided by the root
    what = f"{name}: --reps auto --ci-target 0.5 --reps-cap 1"
    workers = 3 if name in RANKS else 2
    rec = record(cmd(["sum", "--reps", "auto", "--ci-target", "0.5", "--reps-cap", "1",
                      "--format", "json"], workers), what)
    if rec:
        broken = rule_broken(rec, "blocked")
        report(not broken, what, broken)
    # the text says how it went
    res = run(cmd(["sum", "--reps", "auto", "--reps-cap", "0.000001"], 2))
    report(res.returncode == 0 and "Repetitions: --reps auto, 6 sequential and 6 parallel;" in
           res.stdout and "95% CI " in res.stdout, f"{name}: the text says what auto did",
           f"exit {res.returncode}, stdout {res.stdout!r}")
    # a fixed count says so
    rec = record(cmd(["sum", "--reps", "6", "--format", "json"], 2), f"{name}: --reps 6")
    if rec:
        report(rec.get("reps_auto", "absent") is None and rec["reps"] == 6 and
               rec["par_s"]["ci_low"] is not None, f"{name}: --reps 6 has intervals and no "
               "reps_auto", f"reps_auto {rec.get('reps_auto', 'absent')}, par_s {rec['par_s']}")


def main():
    ap = argparse.ArgumentParser()
    add_binary_args(ap)
    args = ap.parse_args()
    for name, path in binaries(args):
        if name in RANKS:
            def cmd(a, w, path=path):
                return [args.mpiexec, args.np_flag, str(w), path] + a
        else:
            def cmd(a, w, path=path):
                return [path] + a + ["--workers", str(w)]
        check_binary(name, cmd)
    return status()


if __name__ == "__main__":
    sys.exit(main())
