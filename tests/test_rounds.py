#!/usr/bin/env python3
"""scripts/gilfree/disturbance.py and rounds.py on records made here: when a run is run again
(its last attempt says disturbed, fewer re-runs than allowed), the line and the mark of a run
that stayed disturbed, and the merging of an interleaved run's rounds into one record; and the
cost table's peak memory at its floor (tables.py)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "scripts"))
from gilfree import disturbance, rounds, stats, tables  # noqa: E402

DISTURBANCE = {"cpu_share_min": 0.52, "reps_disturbed": 1, "reps": 1, "threshold": 0.9,
               "steal_s": 0.01, "others_cpu_s": 0.25}


def attempt(disturbed=None, **extra):
    """A binary's record of one start; disturbed None: a record without the mark."""
    rec = {"backend": "posix", "workload": "resize", "class": "W", "workers": 2, "cores": 2,
           "params": {"start": "fork"}, "label": "posix"}
    if disturbed is not None:
        rec["disturbed"] = disturbed
        rec["disturbance"] = dict(DISTURBANCE, reps_disturbed=1 if disturbed else 0)
    rec.update(extra)
    return rec


class RunAgain(unittest.TestCase):
    def test_not_disturbed_is_not_run_again(self):
        self.assertFalse(disturbance.run_again([attempt(False)], 2))

    def test_a_record_without_the_mark_is_not_disturbed(self):
        self.assertFalse(disturbance.run_again([attempt()], 2))
        self.assertFalse(disturbance.disturbed(attempt()))

    def test_only_true_is_disturbed(self):
        self.assertFalse(disturbance.run_again([attempt(disturbed="yes")], 2))
        self.assertFalse(disturbance.run_again([attempt(disturbed=1)], 2))

    def test_disturbed_is_run_again_up_to_the_limit(self):
        self.assertTrue(disturbance.run_again([attempt(True)], 2))
        self.assertTrue(disturbance.run_again([attempt(True), attempt(True)], 2))
        self.assertFalse(disturbance.run_again([attempt(True)] * 3, 2))

    def test_a_quiet_re_run_ends_it(self):
        self.assertFalse(disturbance.run_again([attempt(True), attempt(False)], 2))

    def test_no_re_runs_allowed(self):
        self.assertFalse(disturbance.run_again([attempt(True)], 0))

    def test_a_failed_attempt_is_not_run_again(self):
        self.assertFalse(disturbance.run_again([attempt(True), None], 2))
        self.assertFalse(disturbance.run_again([], 2))


class Lines(unittest.TestCase):
    def test_a_run_still_disturbed(self):
        rec = attempt(True, reruns=2, disturbance=dict(DISTURBANCE, reps_disturbed=3, reps=5))
        self.assertEqual(disturbance.line(rec), "posix resize W 2 workers: disturbed (a worker "
                         "got 52% of a core in 3 of 5 repetitions), re-run 2 times, still "
                         "disturbed")
        self.assertEqual(disturbance.mark(rec), disturbance.MARK)
        self.assertEqual(disturbance.footnotes([rec, attempt(False)]),
                         [f"{disturbance.MARK} {disturbance.line(rec)}"])

    def test_not_re_run(self):
        rec = attempt(True, reruns=0, workers=1)
        self.assertIn("1 worker: disturbed", disturbance.line(rec))
        self.assertIn("not re-run, still disturbed", disturbance.line(rec))

    def test_rounds_disturbed(self):
        rec = attempt(True, reruns=1, rounds=5,
                      disturbance=dict(DISTURBANCE, rounds_disturbed=2))
        self.assertIn("disturbed in 2 of 5 rounds (", disturbance.line(rec))
        self.assertIn("re-run 1 time,", disturbance.line(rec))

    def test_not_disturbed_is_not_marked(self):
        self.assertEqual(disturbance.mark(attempt(False)), "")
        self.assertEqual(disturbance.mark(attempt()), "")


def one_rep(n, seq, par, start, results=None, **extra):
    """A round's record of one repetition, schema 2."""
    rec = attempt(**extra)
    rec.update(schema=2, reps=1, verified=True, notes="", exit_status=0,
               results=results or [[0, 3, 2, 1.5], [1, 3, 2, 2.5]],
               seq_s={"min": seq, "median": seq, "max": seq},
               par_s={"min": par, "median": par, "max": par}, speedup=seq / par,
               phases={"start": {"min": start, "median": start, "max": start}},
               samples={"seq_s": [seq], "par_s": [par], "phases": {"start": [start]},
                        "cpu_share": [0.9 + n / 100]},
               task_s=[1.0 * n, 2.0 * n], busy_s=[0.5 * n, 0.25 * n],
               setup_s={"pool_start": 0.001 * n}, round=n, reruns=n - 1, wall_s=1.0,
               rusage={"user_s": 0.5, "sys_s": 0.25, "maxrss_kb": 1000 * n,
                       "maxrss_floor_kb": 900}, steal_s=0.01 * n)
    return rec


class Merge(unittest.TestCase):
    def setUp(self):
        self.recs = [one_rep(1, 4.0, 2.0, 0.1), one_rep(2, 6.0, 1.0, 0.3),
                     one_rep(3, 5.0, 4.0, 0.2)]

    def test_samples_in_round_order(self):
        m = rounds.merge(self.recs)
        self.assertEqual(m["samples"]["seq_s"], [4.0, 6.0, 5.0])
        self.assertEqual(m["samples"]["par_s"], [2.0, 1.0, 4.0])
        self.assertEqual(m["samples"]["phases"], {"start": [0.1, 0.3, 0.2]})
        self.assertEqual(m["samples"]["cpu_share"], [0.91, 0.92, 0.93])
        self.assertEqual((m["reps"], m["rounds"]), (3, 3))

    def test_figures_from_the_merged_samples(self):
        m = rounds.merge(self.recs)
        self.assertEqual(m["seq_s"], {"min": 4.0, "median": 5.0, "max": 6.0, "ci_low": None,
                                      "ci_high": None})  # 3 samples: no interval
        self.assertEqual(m["par_s"], {"min": 1.0, "median": 2.0, "max": 4.0, "ci_low": None,
                                      "ci_high": None})
        self.assertEqual(m["phases"]["start"]["median"], 0.2)
        self.assertEqual(m["speedup"], 2.5)
        self.assertEqual(stats.speedup(m), 2.5)

    def test_per_task_and_per_worker_medians(self):
        m = rounds.merge(self.recs)
        self.assertEqual(m["task_s"], [2.0, 4.0])
        self.assertEqual(m["busy_s"], [1.0, 0.5])
        self.assertEqual(m["setup_s"], {"pool_start": 0.002})

    def test_costs_added_up(self):
        m = rounds.merge(self.recs)
        self.assertEqual(m["rusage"], {"user_s": 1.5, "sys_s": 0.75, "maxrss_kb": 3000,
                                       "maxrss_floor_kb": 900})
        self.assertAlmostEqual(m["steal_s"], 0.06)
        self.assertEqual((m["wall_s"], m["reruns"]), (3.0, 3))
        self.assertNotIn("round", m)

    def test_the_rounds_are_left_as_they_were(self):
        rounds.merge(self.recs)
        self.assertEqual(self.recs[0]["samples"]["par_s"], [2.0])

    def test_verified_when_every_round_agrees(self):
        m = rounds.merge(self.recs)
        self.assertTrue(m["verified"])
        self.assertEqual(m["notes"], "")

    def test_results_that_differ_fail_verification(self):
        self.recs[2]["results"] = [[0, 3, 2, 1.5], [1, 3, 2, 2.5000000000000004]]
        m = rounds.merge(self.recs)
        self.assertFalse(m["verified"])
        self.assertIn("results differ between rounds 1 and 3", m["notes"])

    def test_a_round_not_verified_fails_it(self):
        self.recs[1]["verified"] = False
        self.recs[1]["notes"] = "mismatch at task 1"
        m = rounds.merge(self.recs)
        self.assertFalse(m["verified"])
        self.assertEqual(m["notes"], "mismatch at task 1")

    def test_disturbance_of_the_rounds(self):
        self.recs[1].update(disturbed=True, disturbance=dict(DISTURBANCE, cpu_share_min=0.4))
        self.recs[0].update(disturbed=False, disturbance=dict(DISTURBANCE, reps_disturbed=0))
        self.recs[2].update(disturbed=False, disturbance=dict(DISTURBANCE, reps_disturbed=0))
        m = rounds.merge(self.recs)
        self.assertTrue(m["disturbed"])
        d = m["disturbance"]
        self.assertEqual((d["cpu_share_min"], d["reps_disturbed"], d["reps"],
                          d["rounds_disturbed"]), (0.4, 1, 3, 1))
        self.assertAlmostEqual(d["others_cpu_s"], 0.75)
        self.assertIn("disturbed in 1 of 3 rounds", disturbance.line(m))

    def test_rounds_without_the_mark(self):
        m = rounds.merge(self.recs)
        self.assertNotIn("disturbed", m)
        self.assertFalse(disturbance.disturbed(m))

    def test_records_without_samples(self):
        for rec in self.recs:
            del rec["samples"]
        m = rounds.merge(self.recs)
        self.assertEqual(m["samples"]["par_s"], [2.0, 1.0, 4.0])
        self.assertEqual(m["samples"]["phases"]["start"], [0.1, 0.3, 0.2])


class Costs(unittest.TestCase):
    def test_peak_at_the_floor_is_a_bound(self):
        self.assertEqual(tables.fmt_peak(900, 900), "<= 900 KiB")
        self.assertEqual(tables.fmt_peak(2048, 900), "2 MiB")
        self.assertEqual(tables.fmt_peak(None, 900), "-")

    def test_cost_figures(self):
        rec = rounds.merge([one_rep(1, 4.0, 2.0, 0.1), one_rep(2, 6.0, 1.0, 0.3)])
        c = tables.cost_figures(rec)
        self.assertEqual((c["user_s"], c["maxrss_kb"], c["rounds"], c["disturbed"]),
                         (1.0, 2000, 2, False))


if __name__ == "__main__":
    unittest.main()
