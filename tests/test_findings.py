#!/usr/bin/env python3
"""scripts/gilfree/plausible.py, stats.modes/unstable, findings.py and the report on records
made here: a planted impossible figure is marked and kept out of every "fastest" and "faster
than" verdict and counted at the top of the report; records that predate the "plausible" key
still load and are checked from their own figures; two clusters of samples are named
unstable with both modes; "what this run found" is derived from the records; the progress
lines' estimate of the time left; main.sh's default plan is the short one and --full the whole
matrix (their --dry-run, nothing run)."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from gilfree import (disturbance, findings, matrix, plausible, records, report,  # noqa: E402
                     rounds, stats, tables)

SLOW = [0.0100, 0.0102, 0.0104, 0.0101, 0.0103, 0.0105, 0.0106, 0.0099, 0.0107]
FAST = [0.0050, 0.0051, 0.0052, 0.0049, 0.0053, 0.0050, 0.0051, 0.0052, 0.0048]
SEQ = [0.0100] * 9


def run(lab, backend, par, seq=SEQ, workers=2, cores=2, workload="primes", cls="S",
        task_s=(0.004, 0.003, 0.002, 0.001), **extra):
    """A run's record as compare.py writes it (schema 2, raw samples), without the keys the
    binaries add later ("plausible", "disturbance") unless extra gives them."""
    rec = {"kind": "run", "label": lab, "backend": backend, "workload": workload, "class": cls,
           "workers": workers, "cores": cores, "params": {}, "results": [[1, 2]],
           "verified": True, "schema": 2, "samples": {"seq_s": list(seq), "par_s": list(par)},
           "seq_s": stats.summary(seq), "par_s": stats.summary(par),
           "speedup": stats.median(seq) / stats.median(par), "phases": {},
           "task_s": list(task_s), "busy_s": [0.004] * workers, "reps": len(par)}
    rec.update(extra)
    return rec


def planted():
    """omp and posix at primes S on 2 workers, and an mpi row whose 0.5 ms parallel time is
    below the longest 4 ms task and 20x its loop on 2 cores: impossible."""
    return [run("omp", "omp", FAST), run("posix", "posix", SLOW),
            run("mpi", "mpi", [x / 20 for x in FAST])]


class Plausible(unittest.TestCase):
    def test_a_good_record(self):
        self.assertEqual(plausible.check(run("omp", "omp", FAST)), (True, None))

    def test_speedup_above_the_cores(self):
        ok, why = plausible.check(run("mpi", "mpi", [0.0025] * 9, workers=4, task_s=[0.0025]))
        self.assertFalse(ok)
        self.assertIn("speedup 4.00x above min(P, cores) = 2", why)

    def test_shorter_than_the_longest_task(self):
        ok, why = plausible.check(run("omp", "omp", [0.006] * 9, task_s=[0.009, 0.001]))
        self.assertFalse(ok)
        self.assertIn("below the longest task", why)
        self.assertNotIn("speedup", why)

    def test_shorter_than_the_total_over_the_cores(self):
        ok, why = plausible.check(run("omp", "omp", [0.0040] * 9, seq=[0.008] * 9,
                                      task_s=[0.003] * 3))
        self.assertFalse(ok)
        self.assertIn("below the tasks' total / 2", why)

    def test_within_five_percent_passes(self):
        self.assertTrue(plausible.plausible(run("omp", "omp", [0.0049] * 9, seq=[0.0100] * 9,
                                                task_s=[0.0025] * 4)))

    def test_the_topology_cores_win_over_the_printing_hosts(self):
        rec = run("mpi", "mpi", [0.0025] * 9, workers=4, cores=8, task_s=[0.0025],
                  topology={"cores": 2})
        self.assertFalse(plausible.plausible(rec))

    def test_the_records_own_key_is_taken(self):
        bad = run("omp", "omp", FAST, plausible=False, implausible="speedup 3.9x above 2")
        self.assertEqual(plausible.check(bad), (False, "speedup 3.9x above 2"))
        good = run("mpi", "mpi", [0.0025] * 9, workers=4, task_s=[0.0025], plausible=True)
        self.assertTrue(plausible.plausible(good))

    def test_an_old_record_without_samples_or_tasks(self):
        rec = {"backend": "omp", "workload": "sum", "class": "S", "workers": 2, "cores": 2,
               "seq_s": {"median": 1.0}, "par_s": {"median": 0.2}, "speedup": 5.0}
        self.assertFalse(plausible.plausible(rec))
        rec.update(speedup=1.9, par_s={"median": 0.53})
        self.assertTrue(plausible.plausible(rec))
        self.assertTrue(plausible.plausible({"backend": "omp"}))  # nothing to check with

    def test_merged_rounds(self):
        a = run("mpi", "mpi", [0.005], seq=[0.01], plausible=True)
        b = run("mpi", "mpi", [0.005], seq=[0.01], plausible=False, implausible="late clock")
        m = rounds.merge([a, b])
        self.assertFalse(m["plausible"])
        self.assertEqual(m["implausible"], "round 2: late clock")
        self.assertTrue(rounds.merge([a, a])["plausible"])
        c = dict(a)
        del c["plausible"]
        self.assertNotIn("plausible", rounds.merge([c, c]))


class Disturbance(unittest.TestCase):
    def test_late_starts_and_a_slow_loop_are_said(self):
        d = {"cpu_share_min": 0.9, "reps_disturbed": 1, "reps": 9, "late_start_reps": 2,
             "seq_disturbed": True}
        rec = run("posix", "posix", FAST, disturbed=True, disturbance=d)
        self.assertEqual(disturbance.how(rec), "a worker got 90% of a core in 1 of 9 "
                         "repetitions; its workers started late in 2 repetitions; its "
                         "sequential loop was disturbed")
        m = disturbance.merged([rec, dict(rec, disturbance=dict(d, seq_disturbed=False))])
        self.assertEqual((m["late_start_reps"], m["seq_disturbed"]), (4, True))

    def test_records_without_the_new_keys(self):
        d = {"cpu_share_min": 0.5, "reps_disturbed": 1, "reps": 1}
        rec = run("posix", "posix", FAST, disturbed=True, disturbance=d)
        self.assertEqual(disturbance.how(rec), "a worker got 50% of a core in 1 of 1 "
                         "repetitions")
        self.assertNotIn("late_start_reps", disturbance.merged([rec, rec]))


class Modes(unittest.TestCase):
    # omp sum S 2 workers as seen: samples of 0.85 ms and of 6-12 ms
    SEEN = [0.00085, 0.00084, 0.00086, 0.006, 0.0065, 0.007, 0.008, 0.009, 0.012]

    def test_two_clusters(self):
        self.assertEqual(stats.modes(self.SEEN), ((0.00085, 3), (0.0075, 6)))

    def test_one_cluster(self):
        self.assertIsNone(stats.modes(SLOW))

    def test_one_far_sample_is_an_outlier_not_a_mode(self):
        self.assertIsNone(stats.modes(SLOW[:8] + [0.1]))

    def test_a_gap_under_twice(self):
        self.assertIsNone(stats.modes([1.0, 1.1, 1.2, 1.7, 1.8, 1.9]))

    def test_too_few_or_not_positive(self):
        self.assertIsNone(stats.modes([1.0, 9.0, 9.1]))
        self.assertIsNone(stats.modes([0.0, 0.0, 9.0, 9.1]))

    def test_unstable_row(self):
        rec = run("omp", "omp", self.SEEN, workload="sum")
        self.assertEqual(stats.unstable(rec)["why"], "two modes")
        self.assertEqual(tables.fmt_unstable(rec), "unstable: 0.00085 (3) / 0.0075 (6)")
        self.assertIsNone(stats.unstable(run("omp", "omp", FAST)))

    def test_interval_wider_than_the_median(self):
        rec = {"par_s": {"median": 1.0, "ci_low": 0.5, "ci_high": 1.6, "min": 0.5, "max": 2}}
        self.assertEqual(stats.unstable(rec)["why"], "interval wider than the median")


class Report(unittest.TestCase):
    def test_implausible_row_marked_and_out_of_the_verdicts(self):
        recs = planted()
        text = "".join(t.text() for t in tables.workload_tables(recs))
        self.assertRegex(text, r"mpi +2 +0\.000255 \(0\.000245-0\.00026\)!")
        self.assertIn("! mpi primes S 2 workers: implausible (", text)
        fast = "".join(t.text() for t in tables.faster_tables(recs))
        self.assertRegex(fast, r"\n  2 .* omp .* posix .*omp faster than posix")
        self.assertIn("left out, implausible !: mpi P=2", fast)
        lines = findings.findings(recs)
        self.assertTrue(lines[0].startswith("Fastest at primes: class S omp 2 workers"), lines)
        self.assertNotIn("mpi", lines[0])
        self.assertTrue(any(x.startswith("Implausible (!, left out of every verdict): 1 of 3 "
                                         "rows: mpi 2 workers primes S: speedup")
                            for x in lines), lines)

    def test_report_opens_with_the_findings(self):
        md = report.report_markdown(planted(), {})
        self.assertLess(md.index("## What this run found"), md.index("## Verification"))
        self.assertIn("- Implausible (!", md)
        self.assertNotIn("only when the sequential per-task times themselves ran slow", md)
        self.assertIn("the parallel time missed part of the work", md)

    def test_old_records_still_load(self):
        old = run("omp", "omp", FAST)
        for key in ("kind", "label", "schema", "samples", "busy_s"):
            del old[key]
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "records.jsonl")
            with open(path, "w", encoding="utf-8") as f:
                f.write(json.dumps(old) + "\n")
            got = records.read_records(path, check=records.run_fields)
        self.assertEqual(plausible.check(got[0]), (True, None))
        self.assertIn("Fastest at primes: class S omp 2 workers", report.report_markdown(got, {}))
        self.assertIn("No row of the 1 was implausible, disturbed or unstable.",
                      findings.findings(got))


class Records(unittest.TestCase):
    def test_compare_records_marks_the_planted_row(self):
        """compare.py --records on the planted records: the findings on stdout, then the
        report's path; report.md marks the row and opens with the findings."""
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "records.jsonl")
            with open(path, "w", encoding="utf-8") as f:
                for rec in planted():
                    f.write(json.dumps(rec) + "\n")
            out = os.path.join(tmp, "out")
            r = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "compare.py"),
                                "--records", path, "--out", out, "--brief"],
                               capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            lines = r.stdout.strip().splitlines()
            self.assertTrue(lines[-1].endswith(os.path.join(out, "report.md")), lines[-1])
            self.assertIn("  Implausible (!, left out of every verdict): 1 of 3 rows: mpi 2 "
                          "workers primes S: speedup", r.stdout)
            self.assertNotIn("### primes, class S\n", r.stdout)  # --brief: no tables
            with open(os.path.join(out, "report.md"), encoding="utf-8") as f:
                md = f.read()
            self.assertRegex(md, r"\| mpi \| 2 \| 0\.000255 \(0\.000245-0\.00026\)! \|")
            self.assertLess(md.index("- Implausible (!"), md.index("## Verification"))


class Findings(unittest.TestCase):
    def test_processes_lose_to_threads_and_why(self):
        line = findings.processes_vs_threads(planted())[0]
        self.assertTrue(line.startswith("Processes lost to threads in 1 of 1 cells (class S: "
                                        "primes): "), line)
        self.assertIn("posix 2 workers 0.0103 s against omp's 0.0051 s", line)
        self.assertIn("was a median 0.0063 s against omp's 0.0011 s", line)

    def test_no_loss(self):
        line = findings.processes_vs_threads([run("omp", "omp", SLOW),
                                              run("posix", "posix", FAST)])[0]
        self.assertTrue(line.startswith("Processes never lost significantly"), line)

    def test_sum_is_compared_at_one_worker_count(self):
        recs = [run("omp", "omp", FAST, workload="sum", task_s=[0.004] * 2),
                run("mpi", "mpi", [0.0045] * 9, seq=[0.0045] * 9, workers=1, workload="sum",
                    task_s=[0.004])]  # less work: one sum, not two
        self.assertTrue(plausible.plausible(recs[1]))
        self.assertTrue(findings.fastest(recs)[0].startswith("Fastest at sum: class S omp 2 "
                                                             "workers"), findings.fastest(recs))

    def test_python_threads(self):
        self.assertEqual(findings.python_threads(planted()), [])
        recs = [run("python-mp", "python-mp", FAST), run("python-threads", "python-threads",
                                                         [x * 2.0 for x in SLOW])]
        self.assertEqual(findings.python_threads(recs), [
            "Python's threads lost to its processes in 1 of 1 cells, their best speedup 0.49x: "
            "the GIL lets one thread run Python code at a time."])

    def test_grain(self):
        self.assertIn("not measured", findings.grain(planted())[0])
        pts = [{"kind": "bench", "experiment": "grain", "backend": "posix",
                "method": "posix_pool", "grain_us": g, "speedup": s, "chunksize": 1}
               for g, s in ((10, 0.5), (100, 1.4), (1000, 1.9))]
        self.assertIn("parallel wins from 100 us", findings.grain(pts)[0])

    def test_flags(self):
        recs = planted() + [run("hybrid-t2", "hybrid", Modes.SEEN, workload="sum",
                                task_s=[0.0004, 0.0004]),
                            run("omp", "omp", FAST, workload="resize", disturbed=True)]
        lines = findings.flagged(recs)
        self.assertEqual(len(lines), 3, lines)
        self.assertIn("Disturbed", lines[1])
        self.assertIn("omp 2 workers resize S", lines[1])
        self.assertEqual(lines[2], "Unstable: 1 of 5 rows: hybrid-t2 2 workers sum S: "
                         "0.00085 s (3) / 0.0075 s (6).")
        self.assertTrue(5 <= len(findings.findings(recs)) <= 10)


class TimeLeft(unittest.TestCase):
    def test_estimate_by_class(self):
        p = matrix.Progress(4, True, [("W", "sum"), ("W", "sum"), ("S", "sum"), ("S", "sum")])
        self.assertIsNone(p.left())
        p.n = 1
        p.timed(("W", "sum"), 10.0)
        p.n = 2
        self.assertEqual(p.left(), 30.0)  # S not seen yet: its class's mean is W's: high
        p.timed(("W", "sum"), 10.0)
        p.n = 3
        p.timed(("S", "sum"), 1.0)
        self.assertEqual(p.left(), 2.0)


class MainPlan(unittest.TestCase):
    def dry(self, *args):
        r = subprocess.run([os.path.join(ROOT, "scripts", "main.sh"), "--dry-run", *args],
                           capture_output=True, text=True, timeout=120, cwd=ROOT)
        self.assertEqual(r.returncode, 0, r.stderr)
        return [x for x in r.stdout.splitlines() if not x.startswith("#")]

    @unittest.skipUnless(os.access(os.path.join(ROOT, "build", "bin", "gilfree-omp"), os.X_OK),
                         "no build/bin/gilfree-omp")
    def test_default_is_the_short_plan_and_full_the_whole(self):
        short = self.dry()
        self.assertTrue(short and all("--reps 9" in x and "--class S" in x or
                                      "--class W" in x for x in short), short[:3])
        self.assertTrue(all("--workers 2 " in x or "--workers 4 " in x for x in short))
        self.assertFalse([x for x in short if "py_baseline" in x])
        self.assertIn("--class W", short[0])
        full = self.dry("--full")
        self.assertGreater(len(full), 2 * len(short))
        self.assertTrue(any("py_baseline" in x for x in full))
        self.assertTrue(any("--workers 1 " in x for x in full))
        self.assertTrue(all("--reps 1 " in x for x in full))  # rounds of one repetition


if __name__ == "__main__":
    unittest.main()
