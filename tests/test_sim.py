#!/usr/bin/env python3
"""The simulated clusters' pieces that run nothing (scripts/gilfree/simulate.py): the shipped
platform templates (each parsed, its fields known, its hosts and cores), the hostfiles' two
placements, --sim-ranks' list, where a task list stops scaling under gilfree-mpi's split, the
pairing of measured and simulated runs and the trust sentence from their errors, on records
made here."""
import argparse
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "scripts"))
from gilfree import simulate  # noqa: E402


def rec(kind, lst, p, par, tasks=None, scaling=None, workload="primes"):
    r = {"kind": kind, "sim_list": lst, "sim_what": lst, "workers": p, "workload": workload,
         "backend": "mpi", "params": {"schedule": "static"}, "class": "S",
         "seq_s": {"min": 1.0, "median": 1.0, "max": 1.0},
         "par_s": {"min": par, "median": par, "max": par}, "speedup": 1.0 / par,
         "task_s": tasks or [0.25, 0.25, 0.25, 0.25], "label": "mpi"}
    if scaling:
        r.update(scaling=scaling, label=simulate.LABEL)
    return r


class Platforms(unittest.TestCase):
    def test_shipped(self):
        names = simulate.shipped()
        for want in ("ib-edr-16", "ib-edr-64", "ib-edr-1024", "this-machine"):
            self.assertIn(want, names)
        sizes = {n: simulate.Platform(n) for n in names}
        self.assertEqual((len(sizes["ib-edr-16"].hosts), sizes["ib-edr-16"].cores), (16, 256))
        self.assertEqual(sizes["ib-edr-64"].cores, 1024)
        self.assertEqual(len(sizes["ib-edr-1024"].hosts), 1024)
        self.assertEqual(sizes["this-machine"].cores, os.sysconf("SC_NPROCESSORS_ONLN"))
        for p in sizes.values():  # every field filled, none left
            text = p.fill({f: "1" for f in simulate.FIELDS})
            body = text.split("-->")[-1]
            self.assertNotIn("@", body, p.name)

    def test_placements(self):
        packed = simulate.Platform("ib-edr-16").slots(20)
        self.assertEqual(packed[:16], ["node-0"] * 16)
        self.assertEqual(packed[16:], ["node-1"] * 4)
        spread = simulate.Platform("ib-edr-1024").slots(1024)
        self.assertEqual(len(set(spread)), 1024)
        self.assertEqual(spread[:3], ["node-0", "node-1", "node-2"])

    def test_bad_templates(self):
        with tempfile.TemporaryDirectory() as d:
            for text, why in (("<platform/>", "no <cluster>"),
                              ("<platform><cluster radical='0-x' core='1'/></platform>",
                               "radical"),
                              ("<platform><cluster radical='0-1' speed='@FOO@'/></platform>",
                               "@FOO@"),
                              ("<platform><cluster radical='0-1' core='0'/></platform>",
                               "core='0'")):
                path = os.path.join(d, "p.xml")
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
                with self.assertRaises(simulate.PlatformError) as e:
                    simulate.Platform(path)
                self.assertIn(why, str(e.exception))
        with self.assertRaises(simulate.PlatformError):
            simulate.Platform("no-such-platform")


class Ranks(unittest.TestCase):
    def test_list(self):
        self.assertEqual(simulate.rank_list("64,16"), [16, 64])
        for bad in ("", "16,", "0", "1025", "16,16", "x", "1e3", "-1"):
            with self.assertRaises(argparse.ArgumentTypeError):
                simulate.rank_list(bad)


class Stops(unittest.TestCase):
    def test_lecture_like(self):
        # six tasks dealt round-robin: the longest task (0.4) bounds the time from 4 ranks on,
        # where the shares 0.1 + 0.1 and 0.2 + 0.1 no longer exceed it
        tasks = [0.1, 0.2, 0.3, 0.4, 0.1, 0.1]
        n, at, floor, most, longest = simulate.stops([rec("sim", "l", 16, 1, tasks)])
        self.assertEqual((n, at, floor), (6, 4, 0.4))
        self.assertAlmostEqual(most, 1.2 / 0.4)
        self.assertAlmostEqual(longest, 0.4 / 1.2)

    def test_equal_tasks_scale_to_their_count(self):
        tasks = [0.01] * 256
        n, at, _, most, _ = simulate.stops([rec("sim", "l", 64, 1, tasks, workload="resize")])
        self.assertEqual((n, at), (256, 256))
        self.assertAlmostEqual(most, 256)

    def test_weak_has_none(self):
        self.assertIsNone(simulate.stops([rec("sim", "l", 16, 1, workload="sum")]))


class Validation(unittest.TestCase):
    def test_pairs_and_errors(self):
        records = [rec("sim_check", "a", 2, 0.50), rec("sim", "a", 2, 0.55, scaling="validation"),
                   rec("sim_check", "b", 1, 1.00), rec("sim", "b", 1, 0.80, scaling="validation"),
                   rec("sim", "a", 64, 0.01, scaling="strong")]
        pairs = simulate.validation_pairs(records)
        self.assertEqual([(m["sim_list"], m["workers"]) for m, _ in pairs], [("a", 2), ("b", 1)])
        rows, errors, worst = simulate.validation_table(records)
        self.assertEqual([round(e, 6) for e in errors], [10.0, -20.0])
        self.assertEqual(worst[:2], ("b", 1))
        text = simulate.trust_sentence(errors, worst)
        self.assertIn("20% at worst", text)
        self.assertIn("15% in the median", text)
        self.assertIn("estimates", text)  # between 10% and 30%: estimates, not figures
        self.assertIn("nothing says", simulate.trust_sentence([]))


if __name__ == "__main__":
    unittest.main()
