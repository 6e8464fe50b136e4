#!/usr/bin/env python3
"""scripts/gilfree/stats.py: medians by hand (odd and even counts), summaries from a record's
samples (schema 2) and from its stored figures (schema 1), the bounds, the speedup."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "scripts"))
from gilfree import stats  # noqa: E402

TASKS = [20.0, 30.0, 25.0, 35.0, 40.0, 15.0]  # the lecture's limits, as times


class Medians(unittest.TestCase):
    def test_odd(self):
        self.assertEqual(stats.median([5.0, 1.0, 3.0]), 3.0)

    def test_even_is_the_mean_of_the_middle_two(self):
        self.assertEqual(stats.median([4.0, 1.0, 3.0, 2.0]), 2.5)

    def test_summary(self):
        self.assertEqual(stats.summary([0.3, 0.1, 0.2, 0.5]),
                         {"min": 0.1, "median": 0.25, "max": 0.5})
        self.assertEqual(stats.summary([1.0, 3.0, 2.0], scale=1e6),
                         {"min": 1e6, "median": 2e6, "max": 3e6})


def record(**extra):
    rec = {"backend": "omp", "workload": "primes", "class": "A", "workers": 2, "cores": 2,
           "task_s": TASKS, "params": {}, "reps": 3, "verified": True,
           "seq_s": {"min": 9.0, "median": 10.0, "max": 11.0},
           "par_s": {"min": 4.0, "median": 5.0, "max": 6.0}, "speedup": 2.0,
           "phases": {"start": {"min": 1.0, "median": 1.0, "max": 1.0}}}
    rec.update(extra)
    return rec


class Records(unittest.TestCase):
    def test_schema_1_uses_the_stored_figures(self):
        rec = record()
        self.assertEqual(stats.timing(rec, "par_s")["median"], 5.0)
        self.assertEqual(stats.speedup(rec), 2.0)
        self.assertEqual(stats.phases(rec)["start"]["median"], 1.0)

    def test_schema_2_computes_from_the_samples(self):
        rec = record(schema=2, samples={"seq_s": [12.0, 8.0, 10.0, 11.0],
                                        "par_s": [2.0, 6.0, 4.0],
                                        "phases": {"start": [0.5, 1.5]}})
        self.assertEqual(stats.timing(rec, "seq_s"), {"min": 8.0, "median": 10.5, "max": 12.0})
        self.assertEqual(stats.timing(rec, "par_s")["median"], 4.0)
        self.assertEqual(stats.speedup(rec), 10.5 / 4.0)
        self.assertEqual(stats.phases(rec)["start"]["median"], 1.0)
        self.assertEqual(stats.figures(rec)["par_min_s"], 2.0)

    def test_samples_without_schema_2_are_not_read(self):
        rec = record(samples={"par_s": [1.0]})
        self.assertEqual(stats.timing(rec, "par_s")["median"], 5.0)


class Bounds(unittest.TestCase):
    def test_makespans(self):
        self.assertEqual(stats.queue_makespan(TASKS, 2), 85.0)
        self.assertEqual(stats.block_makespan(TASKS, 2), 90.0)
        self.assertEqual(stats.block_makespan(TASKS, 4), 60.0)
        self.assertEqual(stats.cyclic_makespan(TASKS, 2), 85.0)
        self.assertEqual(stats.queue_makespan([1.0] * 8, 2, chunk=3), 5.0)

    def test_bound_of_a_queue(self):
        self.assertEqual(stats.bounds(record()), (82.5, 85.0, "queue"))

    def test_more_workers_than_cores(self):
        lower, bound, _ = stats.bounds(record(workers=4))
        self.assertEqual((lower, bound), (82.5, 82.5))

    def test_unknown_backend_gets_the_lower_bound(self):
        self.assertEqual(stats.bounds(record(backend="elsewhere")),
                         (82.5, 82.5, "lower bound"))

    def test_no_tasks(self):
        self.assertEqual(stats.bounds(record(task_s=[])), (None, None, ""))

    def test_of_bound_and_efficiency(self):
        f = stats.figures(record())
        self.assertEqual((f["speedup"], f["efficiency"], f["of_bound"]), (2.0, 1.0, 17.0))

    def test_crossover(self):
        self.assertEqual(stats.crossover([(10, 0.5), (100, 1.2), (1000, 1.9)]), 100)
        self.assertIsNone(stats.crossover([(10, 1.5), (100, 0.9)]))


if __name__ == "__main__":
    unittest.main()
