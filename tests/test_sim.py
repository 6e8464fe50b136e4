#!/usr/bin/env python3
"""The simulated clusters' pieces that run nothing (scripts/gilfree/simulate.py): the shipped
platform templates (each parsed, its fields known, its hosts and cores), the hostfiles' two
placements, --sim-ranks' list, where a task list stops scaling under gilfree-mpi's split, the
pairing of measured and simulated runs and the trust sentence from their errors, on records
made here; the virtual cluster's platform of each run, and the calibration kept in the build
folder."""
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
        self.assertEqual(simulate.rank_list("64,1024,4096"), [64, 1024, 4096])
        for bad in ("", "16,", "0", "16385", "16,16", "x", "1e3", "-1"):
            with self.assertRaises(argparse.ArgumentTypeError):
                simulate.rank_list(bad)


class CostModel(unittest.TestCase):
    def test_primes_iterations_count_the_kernels_divisions(self):
        # the kernel's loop, counted here the slow way: one per number, one per division
        for limit in (2, 3, 10, 97, 1000):
            want = 0
            for n in range(2, limit):
                root, i, tried = int(n ** 0.5), 2, 0
                while (root + 1) ** 2 <= n:
                    root += 1
                while i <= root:
                    tried += 1
                    if n % i == 0:
                        break
                    i += 1
                want += 1 + tried
            self.assertEqual(simulate.primes_iterations(limit), want)

    def test_resize_iterations(self):
        self.assertEqual(simulate.resize_iterations(["--images", "3", "--width", "96",
                                                     "--height", "54"]), 3 * 51)


class Messages(unittest.TestCase):
    def test_piecewise_from_a_sweep(self):
        # one-way 1 us up to 1 KiB, then 1 us + size / 1 GB/s: two pieces
        pts = [(1, 1e-6), (1024, 1e-6 + 1024e-9 * 0.0), (65536, 1e-6 + 65536e-9),
               (1 << 20, 1e-6 + (1 << 20) * 1e-9)]
        got = simulate.messages(pts, 0.5e-6, 1e9)
        self.assertEqual(set(got), {"os", "or", "ois", "lat-factor", "bw-factor"})
        pieces = got["os"].split(";")
        self.assertEqual(len(pieces), 3)
        self.assertTrue(pieces[0].startswith("0:"))
        # the fixed part of the last piece, 1 us, a third each to os, or and the wire
        self.assertAlmostEqual(float(pieces[-1].split(":")[1]), 1e-6 / 3, delta=1e-9)
        self.assertAlmostEqual(float(got["lat-factor"].split(";")[-1].split(":")[1]),
                               (1e-6 / 3) / 0.5e-6, places=3)
        self.assertAlmostEqual(float(got["bw-factor"].split(";")[-1].split(":")[1]), 1.0,
                               places=3)
        host = simulate.host_messages(pts, 0.5e-6, 1e9)
        self.assertEqual((host["lat-factor"], host["bw-factor"]), ("0:1", "0:1"))
        self.assertEqual(host["os"], got["os"].split(";")[0])

    def test_a_disturbed_size_is_left_out(self):
        rows = [{"size": s, "lat_us": {"median": t}} for s, t in
                ((8, 0.4), (8192, 3.7), (131072, 7.8), (524288, 7365.0))]
        pts = simulate.sweep(rows)
        self.assertEqual([s for s, _ in pts], [8, 8192, 131072])
        lat, bw = simulate.link_figures(pts)
        self.assertAlmostEqual(lat, 0.4e-6)
        self.assertAlmostEqual(bw, 131072 / 7.8e-6, delta=1.0)

    def test_bad_messages_value_refused(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "p.xml")
            with open(path, "w", encoding="utf-8") as f:
                f.write('<platform version="4.1"><cluster id="c" prefix="h" suffix="" '
                        'radical="0-1" speed="1f" bw="1Bps" lat="1s"><prop '
                        'id="gilfree_messages" value="guessed"/></cluster></platform>')
            with self.assertRaises(simulate.PlatformError) as e:
                simulate.Platform(path)
            self.assertIn("'guessed'", str(e.exception))

    def test_platforms_say_where_messages_come_from(self):
        for name in simulate.shipped():
            p = simulate.Platform(name)
            self.assertIn(p.messages, ("measured", "published"), name)
            self.assertIn("gilfree_messages", p.text, name)


class Attribution(unittest.TestCase):
    def test_names_the_phase_that_grew(self):
        lo = rec("sim", "l", 64, 0.01)
        hi = rec("sim", "l", 1024, 0.02)
        lo["phases"] = {"scatter": {"median": 0.001}, "compute": {"median": 0.008},
                        "gather": {"median": 0.001}}
        hi["phases"] = {"scatter": {"median": 0.012}, "compute": {"median": 0.004},
                        "gather": {"median": 0.004}}
        self.assertIn("the scatter grew most", simulate.grew_text(lo, hi, 0.001))
        hi["phases"]["compute"] = {"median": 0.03}
        self.assertIn("compute imbalance", simulate.grew_text(lo, hi, 0.001))
        self.assertIn("the longest task", simulate.grew_text(lo, hi, 0.03))


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


class VirtualCluster(unittest.TestCase):
    """Each run across the virtual cluster on a platform of its own: its hosts hold the ranks
    as they were placed, and share this machine's cores in proportion to them."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.sim = argparse.Namespace(dir=self.tmp, values={
            "SPEED": "1e9f", "CORES": 2, "LOOP_LAT": "1us", "LOOP_BW": "1GBps"})
        self.vc = {"name": "vc", "hosts": ["a", "b"]}
        self.link = (10e-6, 1e9, [(8, 10e-6), (65536, 70e-6)])

    def tearDown(self):
        for f in os.listdir(self.tmp):
            os.unlink(os.path.join(self.tmp, f))
        os.rmdir(self.tmp)

    def run_of(self, mapping, hosts):
        return {"workers": len(hosts), "mapping": mapping,
                "placement": [{"worker": i, "host": h} for i, h in enumerate(hosts)]}

    def test_counts_from_the_placement_else_the_mapping(self):
        self.assertEqual(simulate.host_counts(self.run_of("spread", "abab"), 2),
                         {"a": 2, "b": 2})
        self.assertEqual(sorted(simulate.host_counts({"workers": 3, "mapping": "spread"},
                                                     2).values()), [1, 2])
        self.assertEqual(list(simulate.host_counts({"workers": 3, "mapping": "packed"},
                                                   2).values()), [2, 1])

    def test_cores_shared_in_proportion_to_the_ranks(self):
        cores = os.sysconf("SC_NPROCESSORS_ONLN")
        # every rank on one host: that host gets every core
        p = simulate.vcluster_platform(self.sim, self.vc, self.link,
                                       self.run_of("packed", "aa"))
        self.assertEqual(p.hosts, [("node1", 2)])
        self.assertIn(f'core="{cores}"', p.text)
        self.assertEqual(p.slots(2), ["node1", "node1"])
        # spread over two hosts: each host its half of the cores, the ranks dealt in turn
        p = simulate.vcluster_platform(self.sim, self.vc, self.link,
                                       self.run_of("spread", "abababab"))
        self.assertIn(f'core="{max(1, round(cores / 2))}"', p.text)
        self.assertEqual(p.slots(4), ["node1", "node2", "node1", "node2"])
        self.assertEqual(p.name, "vcluster-spread-8")
        self.assertEqual(p.messages, "measured")


class KeptCalibration(unittest.TestCase):
    """The calibration kept in the build folder is taken back only for the same machine,
    binaries and cost model, and is written whole or not at all."""

    def test_round_trip_and_key(self):
        with tempfile.TemporaryDirectory() as build:
            os.mkdir(os.path.join(build, "bin"))
            cal = {"kind": "sim_calibration", "host_speed": 5e9, "weights": {"sum": 2.0}}
            ping = {"kind": "sim_pingpong", "lat_s": 1e-6, "bw_Bps": 1e9, "sweep": [[8, 1e-6]]}
            self.assertIsNone(simulate.stored(build, False))
            path = simulate.store(build, False, cal, ping)
            self.assertEqual(path, simulate.store_path(build, False))
            self.assertEqual(sorted(os.listdir(build)), ["bin", os.path.basename(path)])
            got = simulate.stored(build, False)
            self.assertEqual(got[0]["weights"], cal["weights"])
            self.assertEqual(got[0]["reused_from"], path)
            self.assertIsNone(simulate.stored(build, True))  # the quick sweep's is another
            # a binary changed: measured again
            with open(os.path.join(build, "bin", "gilfree-mpi"), "w", encoding="utf-8") as f:
                f.write("x")
            self.assertIsNone(simulate.stored(build, False))
            # another cost model: measured again
            simulate.store(build, False, cal, ping)
            self.assertIsNotNone(simulate.stored(build, False))
            old = simulate.CAL_FORMAT
            simulate.CAL_FORMAT = old + 1
            try:
                self.assertIsNone(simulate.stored(build, False))
            finally:
                simulate.CAL_FORMAT = old
            # a folder that cannot hold it: None, and nothing left there
            self.assertIsNone(simulate.store(os.path.join(build, "none"), False, cal, ping))
            self.assertEqual(sorted(x for x in os.listdir(build) if x.startswith(".")), [])


if __name__ == "__main__":
    unittest.main()
