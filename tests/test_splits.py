#!/usr/bin/env python3
"""The report's section on ranks of threads (scripts/gilfree/splits.py) on records made here:
each run placed in its split R x T, the fastest named, the phases that explain it, and no
section where no rank of threads ran."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "scripts"))
from gilfree import splits, stats  # noqa: E402


def run(backend, p, par, phases, threads=None, workload="primes"):
    params = {"threads": threads} if threads else {}
    if backend == "mpi":
        params["schedule"] = "static"
    return {"kind": "run", "backend": backend, "workload": workload, "class": "S",
            "workers": p, "cores": 2, "verified": True, "params": params,
            "seq_s": {"min": 1.0, "median": 1.0, "max": 1.0},
            "par_s": {"min": par, "median": par, "max": par}, "speedup": 1.0 / par,
            "phases": {k: {"min": v, "median": v, "max": v} for k, v in phases.items()}}


RECORDS = [
    run("omp", 4, 0.40, {"start": 0.05, "compute": 0.30, "stop": 0.05}),
    run("mpi", 4, 0.45, {"scatter": 0.10, "compute": 0.25, "gather": 0.10}),
    run("hybrid", 4, 0.30, {"scatter": 0.01, "start": 0.01, "compute": 0.27, "stop": 0.01,
                            "gather": 0.0}, threads=2),
    run("hybrid", 4, 0.50, {"scatter": 0.1, "start": 0.0, "compute": 0.3, "stop": 0.0,
                            "gather": 0.1}, threads=1),
    run("hybrid", 4, 0.41, {"scatter": 0.0, "start": 0.05, "compute": 0.31, "stop": 0.05,
                            "gather": 0.0}, threads=4),
    run("omp", 2, 0.6, {"compute": 0.6}),  # no rank of threads at P = 2: no table
]


class Splits(unittest.TestCase):
    def test_split_of(self):
        got = sorted(splits.split_of(r) for r in RECORDS[:5])
        self.assertEqual(got, [(1, 4), (1, 4), (2, 2), (4, 1), (4, 1)])

    def test_groups_need_a_hybrid_run(self):
        self.assertEqual(list(splits.groups(RECORDS)), [("S", "primes", 4)])

    def test_fastest_named_with_its_phases(self):
        md = splits.splits_section(RECORDS)
        self.assertIn("primes, class S, P = 4", md)
        self.assertIn("Fastest: 2 x 2 (hybrid-t2), 0.3000 s", md)
        self.assertIn("the largest difference in the phases is fork-join", md)
        self.assertIn("ahead of 1 x 4 (omp)", md)
        self.assertIn("| primes | S | 4 | 2 x 2 | hybrid-t2 |", md)
        self.assertNotIn("P = 2", md)
        # five splits in the table, fastest marked once
        self.assertEqual(md.count("| fastest |"), 1)

    def test_no_section_without_ranks_of_threads(self):
        self.assertEqual(splits.splits_section([RECORDS[0], RECORDS[1]]), "")

    def test_unverified_runs_left_out(self):
        bad = dict(RECORDS[2], verified=False)
        md = splits.splits_section([RECORDS[0], bad, RECORDS[3]])
        self.assertNotIn("hybrid-t2", md)


class Bounds(unittest.TestCase):
    """The best time each split of ranks of threads allows, from per-task times."""

    def test_ranks_cyclic_then_queue(self):
        # 2 ranks of 2: rank 0 gets 5, 1, 1 and its team of 2 needs 5; rank 1 gets 4, 1 -> 4
        self.assertEqual(stats.ranks_makespan([5, 4, 1, 1, 1], 2, 2, "cyclic", "queue"), 5)

    def test_ranks_blocks(self):
        # blocks [3, 3, 1] and [1, 1]; teams of 2 split them into blocks [3, 3] [1] -> 6
        self.assertEqual(stats.ranks_makespan([3, 3, 1, 1, 1], 2, 2, "block", "block"), 6)

    def test_batches(self):
        # one rank taking batches of 2: max(4, 1) + max(2, 2) = 6
        self.assertEqual(stats.batches_makespan([4, 1, 2, 2], 2, 1), 6)

    def test_bounds_of_a_hybrid_record(self):
        rec = dict(RECORDS[2], task_s=[5, 4, 1, 1, 1], cores=4)
        rec["params"] = {"threads": 2, "schedule": "static"}
        lower, bound, name = stats.bounds(rec)
        self.assertEqual((lower, bound), (5, 5))
        self.assertIn("round-robin split to 2 ranks, a queue in each team of 2", name)


if __name__ == "__main__":
    unittest.main()
