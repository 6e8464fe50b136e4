#!/usr/bin/env python3
"""The grain sweep's grains: py_bench.py's units, rescaling and 20% rule (scripts/gilfree/
pybench.py), and the report's grain section (scripts/gilfree/bench.py) on records made here:
the measured grains on the plot's axis and in the labels, the points off their grain flagged
and counted, the parents' CPU per task, and C's pool against Python's Pool.map."""
import os
import re
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "scripts"))
from gilfree import bench, pybench  # noqa: E402


def row(backend, method, grain_us, speedup, measured=None, cs=None, cpu=None, off=None):
    r = {"kind": "bench", "backend": backend, "experiment": "grain", "method": method,
         "grain_us": grain_us, "tasks": 100, "speedup": speedup, "ok": True}
    if cs is not None:
        r["chunksize"] = cs
    if measured is not None:
        r["grain_measured_us"] = measured
        r["grain_off"] = abs(measured / grain_us - 1) > 0.20 if off is None else off
    if cpu is not None:
        r["parent_cpu_us"] = cpu
    return r


RECORDS = [
    # C's pool: 1 us and 10 us, both within their grain
    row("posix", "posix_pool", 1, 0.1, 1.05, cs=1, cpu=2.5),
    row("posix", "posix_pool", 1, 0.5, 1.05, cs=64, cpu=0.25),
    row("posix", "posix_pool", 10, 0.6, 9.7, cs=1, cpu=3.0),
    row("posix", "posix_pool", 10, 1.4, 9.7, cs=64, cpu=0.5),
    # Python's: 10 us far off its grain (14.1 us), 100 us on it
    row("python", "pool_map", 10, 0.3, 14.1, cs=1, cpu=40.0),
    row("python", "pool_map", 10, 1.2, 14.1, cs=64, cpu=3.0),
    row("python", "pool_map", 100, 0.9, 98.0, cs=1, cpu=60.0),
    row("python", "pool_map", 100, 1.6, 98.0, cs=64, cpu=8.0),
    # OpenMP: no parent, and no measured grain (records from before the fields)
    row("omp", "omp_for", 1, 1.9),
    row("omp", "omp_for", 10, 2.0),
]


def section(records):
    with tempfile.TemporaryDirectory() as out:
        md = []
        bench.section_grain(records, md, out, None)  # no gnuplot: data files only
        dat = {}
        for fn in sorted(os.listdir(out)):
            if fn.startswith("bench_grain_speedup_") and fn.endswith(".dat"):
                with open(os.path.join(out, fn), encoding="utf-8") as f:
                    lines = f.read().splitlines()
                name = lines[0][2:].split(":")[0]
                dat[name] = [float(ln.split()[0]) for ln in lines[1:]]
        return "\n".join(md), dat


def table_rows(md, header):
    """The rows under the table whose header line is header, as lists of cells."""
    lines = md.splitlines()
    rows = []
    for ln in lines[lines.index(header) + 2:]:  # past the header and its rule
        if not ln.startswith("|"):
            break
        rows.append([c.strip() for c in ln.strip("|").split("|")])
    return rows


class Units(unittest.TestCase):
    def test_units_round_and_are_at_least_one(self):
        self.assertEqual(pybench.grain_units(10e-6, 4e-9), 2500)
        self.assertEqual(pybench.grain_units(10e-6, 3e-6), 3)
        self.assertEqual(pybench.grain_units(1e-6, 1e-3), 1)

    def test_rescaled_only_beyond_ten_percent(self):
        self.assertIsNone(pybench.rescaled(1000, 10e-6, 10.9e-6))
        self.assertIsNone(pybench.rescaled(1000, 10e-6, 9.1e-6))
        self.assertEqual(pybench.rescaled(1000, 10e-6, 5e-6), 2000)
        self.assertEqual(pybench.rescaled(1000, 10e-6, 20e-6), 500)
        self.assertEqual(pybench.rescaled(1, 1e-6, 50e-6), 1)

    def test_off_beyond_twenty_percent(self):
        self.assertFalse(pybench.grain_off(11.9, 10))
        self.assertFalse(pybench.grain_off(8.1, 10))
        self.assertTrue(pybench.grain_off(14.1, 10))
        self.assertTrue(pybench.grain_off(7.9, 10))

    def test_calibrated_unit_and_sequential_pass(self):
        self.assertGreater(pybench.calibrate(), 0)
        seq, got = pybench.seq_pass(7, 5, 3)
        self.assertEqual(len(seq), 3)
        self.assertEqual(got, 5 * (7 * 6 // 2))


class GrainSection(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.md, cls.dat = section(RECORDS)

    def test_plot_stands_on_measured_grains(self):
        self.assertEqual(self.dat["python pool_map chunksize 1"], [98.0, 14.1][::-1])
        self.assertEqual(self.dat["posix posix_pool chunksize 64"], [1.05, 9.7])
        self.assertEqual(self.dat["omp omp_for"], [1.0, 10.0])  # nominal where none measured

    def test_labels_name_both_grains(self):
        rows = {r[0]: r for r in table_rows(self.md, "| backend and method | speedup by grain "
                                                     "| crossover |")}
        self.assertIn("10 us (9.7 measured): 1.40x", rows["posix posix_pool chunksize 64"][1])
        self.assertIn("100 us (98 measured): 1.60x", rows["python pool_map chunksize 64"][1])
        self.assertIn("1 us: 1.90x", rows["omp omp_for"][1])
        # the crossover is a measured grain, labelled as the points are
        self.assertEqual(rows["posix posix_pool chunksize 64"][2], "10 us (9.7 measured)")
        self.assertEqual(rows["python pool_map chunksize 1"][2], "none in this sweep")

    def test_off_points_flagged_and_counted(self):
        rows = {r[0]: r for r in table_rows(self.md, "| backend and method | speedup by grain "
                                                     "| crossover |")}
        for cs in (1, 64):
            cell = rows[f"python pool_map chunksize {cs}"][1]
            self.assertIn("10 us (**14.1 measured, off by 41%**)", cell)
            self.assertNotIn("100 us (**", cell)
        self.assertNotIn("off by", rows["posix posix_pool chunksize 1"][1])
        measured = [r for r in RECORDS if "grain_measured_us" in r]
        off = [r for r in measured if r["grain_off"]]
        self.assertIn(f"**{len(off)} of the {len(measured)} points with a measured grain were "
                      "off their nominal grain by more than 20%**", self.md)
        self.assertIn(f"{len(RECORDS) - len(measured)} of the {len(RECORDS)} points carry no "
                      "measured grain", self.md)

    def test_record_flag_is_believed(self):
        # a record's own grain_off wins over the rule recomputed from its grains
        md, _ = section([row("python", "pool_map", 10, 1.0, 10.5, cs=1, off=True)])
        self.assertIn("10 us (**10.5 measured, off by 5%**)", md)

    def test_parent_cpu_of_the_pools_at_the_smallest_grain(self):
        rows = table_rows(self.md, "| pool | smallest grain | chunksize | parent's CPU per task "
                                   "| against a task's time |")
        got = {(r[0], r[2]): r for r in rows}
        self.assertEqual(sorted(got), [("C posix pool", "1"), ("C posix pool", "64"),
                                       ("Python Pool.map", "1"), ("Python Pool.map", "64")])
        self.assertEqual(got[("C posix pool", "1")][1], "1 us (1.05 measured)")
        self.assertEqual(got[("C posix pool", "1")][3], "2.5 us")
        self.assertEqual(got[("Python Pool.map", "64")][3], "3 us")
        self.assertEqual(got[("Python Pool.map", "1")][4], f"{100 * 40.0 / 14.1:.0f}%")

    def test_c_pool_against_python_pool(self):
        self.assertIn("#### C pool against Python Pool.map", self.md)
        rows = table_rows(self.md, "| grain | chunksize | C measured grain | Python measured "
                                   "grain | C speedup | Python speedup | higher speedup |")
        # only the grain and chunksizes both ran: 10 us, chunksize 1 and 64
        self.assertEqual([(r[0], r[1]) for r in rows], [("10 us", "1"), ("10 us", "64")])
        one, sixty4 = rows
        self.assertEqual(one[2:6], ["9.7 us", "14.1 us", "0.60x", "0.30x"])
        self.assertTrue(one[6].startswith("C pool, 2.00x"), one[6])
        self.assertTrue(sixty4[6].startswith("C pool, 1.17x"), sixty4[6])
        self.assertIn("grains differ by 45%", one[6])  # 14.1 against 9.7
        self.assertIn("The C pool has the higher speedup at 2 of the 2 points.", self.md)

    def test_claims_still_read(self):
        rows = table_rows(self.md, "| lecture claim | measured in C | measured in Python |")
        chunk = next(r for r in rows if r[0].startswith("chunksize cuts"))
        self.assertEqual(chunk[1], "at 1 us (1.05 measured): 0.10x with chunksize 1, 0.50x "
                                   "with 64")
        self.assertIn("at 10 us (**14.1 measured, off by 41%**): 0.30x", chunk[2])
        wins = next(r for r in rows if r[0].startswith("sometimes"))
        self.assertIn("posix posix_pool chunksize 64: parallel wins from 10 us (9.7 measured)",
                      wins[1])

    def test_without_any_measured_grain(self):
        md, dat = section([r for r in RECORDS if r["backend"] == "omp"])
        self.assertIn("These records carry no measured grain", md)
        self.assertIsNone(re.search(r"measured\)", md))
        self.assertIn("No grain and chunksize was run by both", md)
        self.assertEqual(dat["omp omp_for"], [1.0, 10.0])


if __name__ == "__main__":
    unittest.main()
