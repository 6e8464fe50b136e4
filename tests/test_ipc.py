#!/usr/bin/env python3
"""The report's IPC notes (scripts/gilfree/bench.py) on records made here: shared memory
through the kernel against a spinning flag against MPI's ping-pong at the smallest size all
three ran, and osu_latency's two buffers against one at the largest size both MPI ping-pongs
ran; nothing said where the records lack them."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "scripts"))
from gilfree import bench  # noqa: E402


def row(backend, method, size, median, avg=None):
    r = {"kind": "bench", "backend": backend, "experiment": "ipc", "method": method,
         "size": size, "lat_us": {"min": median / 2, "median": median, "max": median * 2},
         "ok": True}
    if avg is not None:
        r["avg_us"] = avg
    return r


RECORDS = [
    row("posix", "shm", 8, 5.0), row("posix", "shm", 32, 5.5),
    row("posix", "shm_spin", 8, 0.5), row("posix", "shm_spin", 32, 0.6),
    # MPI from 32 B only: the first size all three ran is 32 B
    row("mpi", "mpi_pingpong", 32, 0.4, 0.45), row("mpi", "mpi_pingpong", 1 << 20, 80, 82),
    row("mpi", "mpi_pingpong", 1 << 22, 300, 310),
    row("mpi", "mpi_pingpong_one_buffer", 32, 0.4, 0.46),
    row("mpi", "mpi_pingpong_one_buffer", 1 << 20, 120, 123),
]


class Notes(unittest.TestCase):
    def test_both(self):
        notes = bench.ipc_pingpong_notes(RECORDS)
        self.assertEqual(len(notes), 2)
        poll, buf = notes
        self.assertIn("32 B each way", poll)
        self.assertIn("semaphores 5.5 us", poll)
        self.assertIn("spin on 0.6 us", poll)
        self.assertIn("polls, 0.4 us", poll)
        self.assertIn("takes 4.9 us less", poll)
        # the largest size both ran, by osu_latency's mean
        self.assertIn("1,048,576 B", buf)
        self.assertIn("another 82 us", buf)
        self.assertIn("sends from 123 us (1.50x)", buf)

    def test_spin_no_faster(self):
        recs = [row("posix", "shm", 8, 1.0), row("posix", "shm_spin", 8, 3.0),
                row("mpi", "mpi_pingpong", 8, 0.4, 0.4)]
        notes = bench.ipc_pingpong_notes(recs)
        self.assertEqual(len(notes), 1)
        self.assertNotIn("less", notes[0])

    def test_missing(self):
        self.assertEqual(bench.ipc_pingpong_notes([]), [])
        no_mpi = [r for r in RECORDS if r["backend"] != "mpi"]
        self.assertEqual(bench.ipc_pingpong_notes(no_mpi), [])
        # records from before avg_us: no note on the buffers
        old = [dict(r) for r in RECORDS]
        for r in old:
            r.pop("avg_us", None)
        self.assertEqual(len(bench.ipc_pingpong_notes(old)), 1)

    def test_section(self):
        with tempfile.TemporaryDirectory() as out:
            md = []
            bench.section_ipc(RECORDS, md, out, None)  # no gnuplot: data files only
        text = "\n".join(md)
        self.assertIn("Polling against the kernel", text)
        self.assertIn("One buffer against two", text)
        for method in ("shm_spin", "mpi_pingpong_one_buffer"):
            self.assertIn(f"| {method} |", text)


if __name__ == "__main__":
    unittest.main()
