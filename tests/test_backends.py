#!/usr/bin/env python3
"""scripts/gilfree/backends.py and workloads.py: each record's row, the rows of each backend,
the options of a row, an unknown row failing with one line, and the size classes equal to
those the C binaries print in --help (GF_HELP_BINARY, where set)."""
import contextlib
import io
import os
import re
import subprocess
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from gilfree import backends, comparison, matrix  # noqa: E402
from gilfree.workloads import class_sizes, CLASSES  # noqa: E402


class Rows(unittest.TestCase):
    def test_label_of_a_record(self):
        for backend, params, workload, want in (
                ("posix", {"start": "spawn"}, "primes", "posix-spawn"),
                ("posix", {"start": "fork"}, "primes", "posix"),
                ("python-mp", {"start": "spawn"}, "sum", "python-mp-spawn"),
                ("mpi", {"schedule": "dynamic"}, "primes", "mpi-dynamic"),
                ("mpi", {"schedule": "dynamic"}, "sum", "mpi"),
                ("omp", {}, "resize", "omp"), ("hybrid", {}, "sum", "hybrid")):
            rec = {"backend": backend, "params": params, "workload": workload}
            self.assertEqual(backends.label(rec), want)

    def test_every_row_has_a_backend_and_every_backend_a_plain_row(self):
        for lab in backends.LABELS.values():
            self.assertIn(lab.backend, backends.BACKENDS)
        for name, back in backends.BACKENDS.items():
            self.assertIn(name, backends.LABELS)
            self.assertTrue((back.binary is None) != (back.script is None), name)

    def test_variants(self):
        self.assertEqual(backends.ways("posix"), ("fork", "spawn"))
        self.assertEqual(backends.variants("posix", ["spawn"], []), ["posix-spawn"])
        self.assertEqual(backends.variants("mpi", ["static"],
                                           [{"backend": {"mpi-dynamic"}}]),
                         ["mpi", "mpi-dynamic"])
        self.assertFalse(backends.runs("mpi-dynamic", "sum"))
        self.assertTrue(backends.runs("mpi-dynamic", "primes"))

    def test_command_of_a_row(self):
        argv, env, _ = matrix.command("mpi-dynamic", "gilfree-mpi", "primes", "S", 2, 3)
        self.assertEqual(argv[:3], ["mpirun", "-np", "2"])
        self.assertEqual(argv[-2:], ["--schedule", "dynamic"])
        self.assertIn("OMPI_ALLOW_RUN_AS_ROOT", env)
        argv, env, _ = matrix.command("python-threads", None, "sum", "S", 1, 1, timeout="2")
        self.assertTrue(argv[1].endswith("py_baseline.py") and "--timeout" not in argv)
        self.assertEqual((argv[-2:], env), (["--backend", "threads"], {}))

    def test_unknown_row_fails_with_one_line(self):
        with self.assertRaises(backends.UnknownName) as cm:
            backends.get("cuda")
        self.assertTrue(str(cm.exception).startswith("unknown backend 'cuda'"))
        self.assertNotIn("\n", str(cm.exception))
        err = io.StringIO()
        with self.assertRaises(SystemExit) as cm, contextlib.redirect_stderr(err):
            comparison.parse_args(["--only", "backend=cuda"], "x\n\ny")
        self.assertEqual(cm.exception.code, 2)
        self.assertIn("unknown backend 'cuda'", err.getvalue())
        self.assertEqual(err.getvalue().count("\n"), 1)


class Classes(unittest.TestCase):
    def test_class_sizes(self):
        self.assertEqual(class_sizes("S"), (2_000_000, [20000, 30000, 25000, 35000, 40000,
                                                        15000], 8, 1920, 1080))

    @unittest.skipUnless(os.environ.get("GF_HELP_BINARY"), "GF_HELP_BINARY is not set")
    def test_the_binaries_classes(self):
        out = subprocess.run([os.environ["GF_HELP_BINARY"], "--help"], capture_output=True,
                             text=True, timeout=30).stdout
        printed = re.findall(r"^  ([A-Z])  n=(\d+)  limits=(\d+)\.\.(\d+)  (\d+)x(\d+)$", out,
                             re.M)
        self.assertEqual([c for c, *_ in printed], list(CLASSES))
        for cls, n, low, high, width, height in printed:
            n_, limits, _, width_, height_ = class_sizes(cls)
            self.assertEqual((int(n), int(low), int(high), int(width), int(height)),
                             (n_, min(limits), max(limits), width_, height_), cls)


if __name__ == "__main__":
    unittest.main()
