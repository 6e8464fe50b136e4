#!/usr/bin/env python3
"""scripts/gilfree/stats.py: medians by hand (odd and even counts), summaries from a record's
samples (schema 2) and from its stored figures (schema 1), the bounds, the speedup; the median's
confidence interval (the same ranks as tests/test_stats.c's cases for shared/gf_stats.c), the
Mann-Whitney and Kruskal-Wallis tests on published examples, the effect size, Tukey's fences."""
import math
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "scripts"))
from gilfree import report, stats, tables  # noqa: E402

TASKS = [20.0, 30.0, 25.0, 35.0, 40.0, 15.0]  # the lecture's limits, as times


class Medians(unittest.TestCase):
    def test_odd(self):
        self.assertEqual(stats.median([5.0, 1.0, 3.0]), 3.0)

    def test_even_is_the_mean_of_the_middle_two(self):
        self.assertEqual(stats.median([4.0, 1.0, 3.0, 2.0]), 2.5)

    def test_summary(self):
        self.assertEqual(stats.summary([0.3, 0.1, 0.2, 0.5]),
                         {"min": 0.1, "median": 0.25, "max": 0.5, "ci_low": None,
                          "ci_high": None})
        self.assertEqual(stats.summary([1.0, 3.0, 2.0], scale=1e6),
                         {"min": 1e6, "median": 2e6, "max": 3e6, "ci_low": None,
                          "ci_high": None})
        self.assertEqual(stats.summary([6.0, 1.0, 5.0, 2.0, 4.0, 3.0], scale=2.0),
                         {"min": 2.0, "median": 7.0, "max": 12.0, "ci_low": 2.0,
                          "ci_high": 12.0})


class Interval(unittest.TestCase):
    """The ranks worked by hand in tests/test_stats.c: P(l <= B <= n - l), B ~ Bin(n, 1/2)."""

    def test_no_interval_below_six(self):
        for n in range(6):  # n = 5: [x(1), x(5)] holds the median with 1 - 2/32 = 93.75% only
            self.assertIsNone(stats.median_ci_ranks(n))
        self.assertIsNone(stats.median_ci([3.0, 1.0, 2.0]))
        self.assertIsNone(stats.ci_halfwidth([3.0, 1.0, 2.0]))
        self.assertFalse(stats.within_target([1.0] * 5, 100))

    def test_ranks_by_hand(self):
        # n = 6: 1 - 2/64 = 0.969 (and [x(2), x(5)] 0.781); n = 10: 1 - 22/1024 = 0.979
        # ([x(3), x(8)] 0.891); n = 20: 1 - 2 * 21700/2^20 = 0.959 ([x(7), x(14)] 0.885)
        self.assertEqual(stats.median_ci_ranks(6), (1, 6))
        self.assertEqual(stats.median_ci_ranks(7), (1, 7))
        self.assertEqual(stats.median_ci_ranks(9), (2, 8))
        self.assertEqual(stats.median_ci_ranks(10), (2, 9))
        self.assertEqual(stats.median_ci_ranks(20), (6, 15))

    def test_interval_of_samples(self):
        ten = [10.0, 9.0, 8.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0]
        self.assertEqual(stats.median_ci(ten), (2.0, 9.0))
        self.assertEqual(stats.ci_halfwidth(ten), 3.5)
        six = [10.0, 12.0, 10.0, 9.0, 10.0, 10.0]  # [9, 12] around 10: 20% of the median
        self.assertEqual(stats.median_ci(six), (9.0, 12.0))
        self.assertTrue(stats.within_target(six, 20))
        self.assertFalse(stats.within_target(six, 19.9))


class RankTests(unittest.TestCase):
    # Hollander and Wolfe (1973), p. 69, as R's wilcox.test example: W = 35, one-sided exact
    # p = 0.1272, so two-sided 0.2544
    X = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46]
    Y = [1.15, 0.88, 0.90, 0.74, 1.21]

    def test_mann_whitney_exact(self):
        got = stats.mann_whitney(self.X, self.Y)
        self.assertEqual(got["method"], "exact")
        self.assertEqual(got["u"], 35.0)
        self.assertAlmostEqual(got["p"], 0.2544, places=4)
        self.assertEqual(got["a12"], 0.7)  # 35 of the 50 pairs

    def test_mann_whitney_separated(self):
        # five below five: U = 0, and only 2 of the C(10, 5) = 252 splits lie as far out
        got = stats.mann_whitney([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])
        self.assertEqual((got["u"], got["p"], got["a12"]), (0.0, 2 / 252, 0.0))
        # ten below ten, the normal approximation: z = (50 - 0.5) / sqrt(100 * 21 / 12)
        got = stats.mann_whitney(list(range(10)), list(range(10, 20)))
        self.assertEqual(got["method"], "normal")
        self.assertEqual(got["u"], 0.0)
        z = 49.5 / (100 * 21 / 12) ** 0.5
        self.assertAlmostEqual(got["p"], 1 - math.erf(z / 2 ** 0.5), places=12)

    def test_mann_whitney_ties(self):
        same = stats.mann_whitney([1.0] * 12, [1.0] * 12)
        self.assertEqual((same["u"], same["p"], same["a12"]), (72.0, 1.0, 0.5))
        # nine and nine, three tie groups (1 three times, 2 twelve times, 3 three times):
        # U = 6 * 3 (2 over 1) + 3 * 9 (3 over all) + 36 / 2 (2 against 2) = 63; the variance
        # 81/12 * (19 - (24 + 1716 + 24) / (18 * 17)) = 89.338..., z = (63 - 40.5 - 0.5) / its
        # root = 2.3276, p = 0.0199
        a, b = [2.0] * 6 + [3.0] * 3, [1.0] * 3 + [2.0] * 6
        got = stats.mann_whitney(a, b)
        self.assertEqual(got["method"], "normal")
        self.assertEqual((got["u"], got["a12"]), (63.0, 63 / 81))
        var = 81 / 12 * (19 - 1764 / 306)
        self.assertAlmostEqual(var, 89.338235, places=6)
        z = 22.0 / var ** 0.5
        self.assertAlmostEqual(got["p"], 1 - math.erf(z / 2 ** 0.5), places=12)
        self.assertAlmostEqual(got["p"], 0.0199, places=4)
        # and the other way round: the same p, the complementary effect
        back = stats.mann_whitney(b, a)
        self.assertEqual((back["u"], back["a12"]), (18.0, 18 / 81))
        self.assertAlmostEqual(back["p"], got["p"], places=12)

    def test_kruskal_wallis(self):
        # Hollander and Wolfe (1973), p. 116, as R's kruskal.test example: H = 0.77143, df 2,
        # p = 0.68
        got = stats.kruskal_wallis([[2.9, 3.0, 2.5, 2.6, 3.2], [3.8, 2.7, 4.0, 2.4],
                                    [2.8, 3.4, 3.7, 2.2, 2.0]])
        self.assertAlmostEqual(got["h"], 0.77143, places=5)
        self.assertEqual(got["df"], 2)
        self.assertAlmostEqual(got["p"], 0.68, places=2)
        # three groups apart: rank sums 6, 15, 24 of 9: H = 12/90 * 279 - 30 = 7.2,
        # p = exp(-3.6) with two degrees of freedom
        got = stats.kruskal_wallis([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
        self.assertAlmostEqual(got["h"], 7.2, places=12)
        self.assertAlmostEqual(got["p"], math.exp(-3.6), places=12)
        self.assertIsNone(stats.kruskal_wallis([[1, 2], []]))

    def test_chi2_sf(self):
        # the 5% points of the chi-squared tables, odd and even degrees of freedom
        for x, df in ((3.841459, 1), (5.991465, 2), (7.814728, 3), (9.487729, 4),
                      (11.070498, 5)):
            self.assertAlmostEqual(stats.chi2_sf(x, df), 0.05, places=6)

    def test_tukey(self):
        planted = [10.0, 10.0, 11.0, 10.0, 12.0, 11.0, 10.0, 50.0]
        got = stats.tukey_fences(planted)
        # Q1 = 10, Q3 = 11.25 (between 11 and 12, a quarter of the way): fences 8.125, 13.125
        self.assertEqual((got["q1"], got["q3"], got["low"], got["high"]),
                         (10.0, 11.25, 8.125, 13.125))
        self.assertEqual(got["outliers"], [50.0])
        self.assertEqual(stats.tukey_fences([1.0, 2.0, 3.0, 4.0])["outliers"], [])
        self.assertIsNone(stats.tukey_fences([1.0, 2.0, 30.0]))


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
        self.assertEqual(stats.timing(rec, "seq_s"), {"min": 8.0, "median": 10.5, "max": 12.0,
                                                      "ci_low": None, "ci_high": None})
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



def run(backend, par, seq=None, workers=2, workload="primes"):
    """A schema 2 record of made-up samples, whose figures physics allows (a faster one is
    implausible, and out of the verdicts: plausible.py)."""
    seq = seq or [2.0] * len(par)
    return record(backend=backend, workload=workload, workers=workers, schema=2, kind="run",
                  reps=len(par), samples={"seq_s": seq, "par_s": par, "phases": {}},
                  results=[[1, 1]] * 6, task_s=[0.2] * 6)


class Report(unittest.TestCase):
    """The report's claims on records made here: a difference is called only where the test
    says so, every median carries its interval, outliers are counted."""
    FAST = [1.0, 1.1, 1.2, 1.05, 1.15, 1.1, 1.0, 1.2]
    SLOW = [2.0, 2.1, 2.2, 2.05, 2.15, 2.1, 2.0, 2.2]
    NEAR = [1.02, 1.12, 1.18, 1.06, 1.14, 1.08, 1.01, 1.21]

    def test_faster_only_when_tested(self):
        recs = [run("omp", self.FAST), run("posix", self.SLOW)]
        text = "".join(t.text() for t in tables.faster_tables(recs))
        # 8 against 8 apart: only 2 of the C(16, 8) = 12870 splits as far out
        self.assertIn(f"omp faster than posix (p={tables.fmt_p(2 / 12870)}, A=1.00)", text)
        recs = [run("omp", self.FAST), run("posix", self.NEAR)]
        text = "".join(t.text() for t in tables.faster_tables(recs))
        self.assertIn("no significant difference (p=", text)
        self.assertNotIn("faster than", text)

    def test_no_samples_no_claim(self):
        old = [record(backend="omp", kind="run", results=[[1, 1]] * 6, task_s=[1.0] * 6),
               record(backend="posix", kind="run", results=[[1, 1]] * 6, task_s=[1.0] * 6,
                      par_s={"min": 8.0, "median": 9.0, "max": 10.0})]
        text = "".join(t.text() for t in tables.faster_tables(old))
        self.assertIn("not tested: no samples", text)

    def test_medians_carry_their_interval(self):
        text = "".join(t.text() for t in tables.workload_tables([run("omp", self.FAST)]))
        # eight samples: [x(1), x(8)] = [1.0, 1.2] around the median 1.1
        self.assertIn("1.1000 (1.0000-1.2000)", text)
        text = "".join(t.text() for t in tables.workload_tables([run("omp", [1.0, 2.0, 3.0])]))
        self.assertIn("2.0000 (no CI (n<6))", text)

    def test_outliers_counted_not_dropped(self):
        planted = [10.0, 10.0, 11.0, 10.0, 12.0, 11.0, 10.0, 50.0]
        rec = run("omp", planted)
        self.assertEqual(tables.fmt_outliers(rec), "1/8")
        lines = "\n".join(report.outliers([rec]))
        self.assertIn("omp primes class A P=2: parallel 1 of 8 samples outside Tukey's fences",
                      lines)
        self.assertEqual(stats.timing(rec, "par_s")["max"], 50.0)  # still in the figures
        self.assertEqual(stats.figures(rec)["par_outliers"], 1)

    def test_slower_than_the_loop_tested(self):
        rec = run("omp", self.SLOW, seq=self.FAST, workload="primes")
        rec["class"] = "S"
        text = "\n".join(report.slower_runs([rec]))
        self.assertIn("sequential faster than parallel (p=", text)


if __name__ == "__main__":
    unittest.main()
