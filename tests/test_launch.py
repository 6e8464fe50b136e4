#!/usr/bin/env python3
"""scripts/gilfree/launch.py: each launcher's command line from its template (local, mpirun
with ranks that fit and with more ranks than cores, mpiexec, hostfile, vcluster, smpirun),
its environment, and an unknown launcher or a missing value failing with one line."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "scripts"))
from gilfree import launch  # noqa: E402
from gilfree.backends import UnknownName  # noqa: E402

PROGRAM = ["gilfree-mpi", "sum", "--workers", "4"]


class Templates(unittest.TestCase):
    def test_local_is_the_program_itself(self):
        self.assertEqual(launch.command("local", PROGRAM, ranks=4, cores=2), (PROGRAM, {}))

    def test_mpirun_ranks_that_fit_are_bound(self):
        argv, env = launch.command("mpirun", PROGRAM, ranks=2, cores=2)
        self.assertEqual(argv, ["mpirun", "-np", "2", "--bind-to", "core"] + PROGRAM)
        self.assertEqual(env, launch.MPI_ENV)

    def test_mpirun_oversubscribed_ranks_yield(self):
        argv, _ = launch.command("mpirun", PROGRAM, ranks=4, cores=2)
        self.assertEqual(argv, ["mpirun", "-np", "4", "--bind-to", "none", "--mca",
                                "mpi_yield_when_idle", "1"] + PROGRAM)

    def test_mpirun_unbound(self):
        argv, _ = launch.command("mpirun", PROGRAM, ranks=4, cores=8, bind=False)
        self.assertEqual(argv, ["mpirun", "-np", "4"] + PROGRAM)
        argv, _ = launch.command("mpirun", PROGRAM, ranks=4, cores=2, bind=False)
        self.assertIn("mpi_yield_when_idle", argv)

    def test_mpiexec(self):
        argv, _ = launch.command("mpiexec", PROGRAM, ranks=3, mpiexec="/opt/bin/mpiexec")
        self.assertEqual(argv, ["/opt/bin/mpiexec", "-n", "3"] + PROGRAM)

    def test_hostfile(self):
        argv, env = launch.command("hostfile", PROGRAM, ranks=4, threads=2, hostfile="hosts")
        self.assertEqual(argv, ["mpirun", "--hostfile", "hosts", "-np", "4", "--map-by",
                                "slot:PE=2", "-x", "OMP_NUM_THREADS=2"] + PROGRAM)
        self.assertEqual(env, launch.MPI_ENV)

    def test_vcluster(self):
        argv, _ = launch.command("vcluster", PROGRAM, ranks=4, threads=1,
                                 hosts=["node1", "node2"])
        self.assertEqual(argv, ["mpirun", "--host", "node1,node2", "-np", "4", "--mca",
                                "plm_rsh_agent", "ip netns exec", "-x",
                                "OMP_NUM_THREADS=1"] + PROGRAM)

    def test_smpirun(self):
        argv, env = launch.command("smpirun", PROGRAM, ranks=8, hostfile="hosts",
                                   platform="cluster.xml")
        self.assertEqual(argv, ["smpirun", "-np", "8", "-hostfile", "hosts", "-platform",
                                "cluster.xml"] + PROGRAM)
        self.assertEqual(env, {})


class Failures(unittest.TestCase):
    def test_unknown_launcher(self):
        with self.assertRaises(UnknownName) as cm:
            launch.command("srun", PROGRAM)
        self.assertIn("unknown launcher 'srun'", str(cm.exception))
        self.assertNotIn("\n", str(cm.exception))

    def test_missing_value(self):
        with self.assertRaises(UnknownName) as cm:
            launch.command("hostfile", PROGRAM, ranks=2)
        self.assertEqual(str(cm.exception), "launcher 'hostfile' needs hostfile")


if __name__ == "__main__":
    unittest.main()
