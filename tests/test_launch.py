#!/usr/bin/env python3
"""scripts/gilfree/launch.py: each launcher's command line from its template (local, mpirun
with ranks that fit and with more ranks than cores, mpiexec, hostfile, vcluster, srun, smpirun),
each rank's host and CPU mask from srun's --cpu-bind=verbose and mpirun's --report-bindings,
words added for the launcher, its environment, where each rank ran from mpirun's job map,
and an unknown launcher or a missing value failing with one line."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "scripts"))
from gilfree import cluster, launch, slurm  # noqa: E402
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
        self.assertEqual(argv, ["mpirun", "--hostfile", "hosts", "-np", "4", "--display-map",
                                "--report-bindings", "-x", "OMP_NUM_THREADS=2"] + PROGRAM)
        # a hostfile's slots are not exceeded silently: no oversubscription by default
        self.assertEqual(env, launch.MPI_ROOT_ENV)
        self.assertNotIn("OMPI_MCA_rmaps_base_oversubscribe", env)

    def test_hostfile_extra_words_come_before_the_program(self):
        argv, _ = launch.command("hostfile", PROGRAM, ranks=4, hostfile="hosts",
                                 extra=["--map-by", "node"])
        self.assertEqual(argv[-len(PROGRAM) - 2:], ["--map-by", "node"] + PROGRAM)

    def test_vcluster(self):
        argv, env = launch.command("vcluster", PROGRAM, ranks=3, threads=1, enter="/t/enter",
                                   agent="/t/agent", hostfile="/t/hostfile",
                                   hosts=["node1", "node2"])
        # mpirun in the head namespace, its daemons through the agent, no binding
        self.assertEqual(argv[:5], ["/t/enter", "head", "mpirun", "--hostfile", "/t/hostfile"])
        self.assertEqual(argv[-len(PROGRAM):], PROGRAM)
        for k, v in cluster.MCA:
            self.assertIn(["--mca", k, v], [argv[i:i + 3] for i in range(len(argv))])
        for words in (["-np", "3"], ["--bind-to", "none"], ["--mca", "plm_rsh_agent", "/t/agent"],
                      ["-x", "OMP_NUM_THREADS=1"]):
            self.assertIn(words, [argv[i:i + len(words)] for i in range(len(argv))])
        self.assertEqual(env, launch.MPI_ENV)

    def test_vcluster_values_of_a_cluster(self):
        vc = cluster.Cluster(2)  # not built: its names and files only
        argv, _ = launch.command("vcluster", PROGRAM, ranks=2, **vc.values())
        self.assertEqual(argv[0], vc.enter)
        self.assertIn(vc.agent, argv)
        self.assertIn(vc.hostfile, argv)
        self.assertTrue(vc.name.startswith(cluster.PREFIX))
        self.assertNotEqual(vc.name, cluster.Cluster(2).name)  # unique per cluster

    def test_srun(self):
        argv, env = launch.command("srun", PROGRAM, ranks=2, threads=2, nodes=2,
                                   extra=["-m", "cyclic"])
        self.assertEqual(argv, ["srun", "--mpi=pmix", "-N", "2", "-n", "2", "--cpus-per-task",
                                "2", "--cpu-bind=verbose", "--kill-on-bad-exit=1", "-m",
                                "cyclic"] + PROGRAM)
        self.assertEqual(env, {})
        with self.assertRaises(UnknownName):
            launch.command("srun", PROGRAM, ranks=2)  # how many nodes is the caller's

    def test_smpirun(self):
        argv, env = launch.command("smpirun", PROGRAM, ranks=8, hostfile="hosts",
                                   platform="cluster.xml")
        self.assertEqual(argv, ["smpirun", "-np", "8", "-hostfile", "hosts", "-platform",
                                "cluster.xml"] + PROGRAM)
        self.assertEqual(env, {})


MAP = """ Data for JOB [44974,1] offset 0 Total slots allocated 8

 ========================   JOB MAP   ========================

 Data for node: node1\tNum slots: 2\tMax slots: 0\tNum procs: 2
 \tProcess OMPI jobid: [44974,1] App: 0 Process rank: 1 Bound: N/A
 \tProcess OMPI jobid: [44974,1] App: 0 Process rank: 0 Bound: N/A

 Data for node: node2\tNum slots: 2\tMax slots: 0\tNum procs: 1
 \tProcess OMPI jobid: [44974,1] App: 0 Process rank: 2 Bound: N/A

 =============================================================
 ========================   JOB MAP   ========================

 Data for node: node9\tNum slots: 2\tMax slots: 0\tNum procs: 2
 \tProcess OMPI jobid: [44974,1] App: 0 Process rank: 0 Bound: N/A
{"backend":"mpi"}
"""


class Placement(unittest.TestCase):
    def test_the_first_job_map_in_rank_order(self):
        place = launch.placement(MAP)
        self.assertEqual(place, [{"worker": 0, "host": "node1", "cpu": None},
                                 {"worker": 1, "host": "node1", "cpu": None},
                                 {"worker": 2, "host": "node2", "cpu": None}])
        self.assertEqual(launch.ranks_per_host(place), "node1: 2, node2: 1")

    def test_no_map(self):
        self.assertIsNone(launch.placement('{"backend":"mpi"}\n'))
        self.assertEqual(launch.ranks_per_host(None), "")

    def test_ranks_of_threads_counted_once(self):
        # ranks of two threads: workers 0-3 are ranks 0 and 1 on node1, 4-5 rank 2 on node2
        place = [{"worker": w, "host": "node1" if w < 4 else "node2"} for w in range(6)]
        self.assertEqual(launch.ranks_per_host(place, threads=2), "node1: 2, node2: 1")
        rec = {"placement": place, "topology": {"threads": 2}}
        self.assertEqual(launch.record_ranks_per_host(rec), "node1: 2, node2: 1")
        rec["placement_from"] = "mpirun --display-map"  # a job map lists ranks, not threads
        self.assertEqual(launch.record_ranks_per_host(rec), "node1: 4, node2: 2")


SRUN_ERR = """cpu-bind=MASK - node2, task  1  0 [22563]: mask 0x3 set
cpu-bind=MASK - node1, task  0  0 [22557]: mask 0x3 set
cpu-bind=MASK - node1, task  0  0 [22557]: mask 0x1 set
srun: error: node1: task 0: Exited with exit code 2
"""
REPORT = """[node1:40001] MCW rank 0 bound to socket 0[core 0[hwt 0]], socket 0[core 1[hwt 0]]: [B/B]
[node2:40002] MCW rank 1 bound to socket 0[core 1[hwt 0]]: [./B]
[node2:40002] MCW rank 2 is not bound (or bound to all available processors)
"""


class Bindings(unittest.TestCase):
    def test_slurm_view_in_rank_order(self):
        self.assertEqual(slurm.bindings(SRUN_ERR),
                         [{"rank": 0, "host": "node1", "mask": "0x3"},
                          {"rank": 1, "host": "node2", "mask": "0x3"}])
        self.assertEqual(slurm.bindings("no such lines\n"), [])
        self.assertEqual(slurm.mask_cpus("0x5"), [0, 2])

    def test_open_mpi_report_bindings(self):
        self.assertEqual(launch.report_bindings(REPORT),
                         {0: {"host": "node1", "mask": "0x3"},
                          1: {"host": "node2", "mask": "0x2"},
                          2: {"host": "node2", "mask": None}})

    def test_masks_reach_every_thread_of_a_rank(self):
        rec = {"topology": {"threads": 2},
               "placement": [{"worker": w, "host": f"node{w // 2 + 1}", "cpu": w % 2}
                             for w in range(4)]}
        launch.add_masks(rec, {b["rank"]: b for b in slurm.bindings(SRUN_ERR)}, "srun")
        self.assertEqual([p["mask"] for p in rec["placement"]], ["0x3"] * 4)
        self.assertEqual(rec["binding_from"], "srun")
        rec = {}  # no placement of the binary's: the launcher's becomes it
        launch.add_masks(rec, launch.report_bindings(REPORT), "mpirun --report-bindings")
        self.assertEqual([(p["host"], p["mask"]) for p in rec["placement"]],
                         [("node1", "0x3"), ("node2", "0x2"), ("node2", None)])

    def test_allocation_nodes(self):
        self.assertEqual(slurm.cpus_per_node("2(x2)"), 2)
        self.assertIsNone(slurm.cpus_per_node(""))


class Failures(unittest.TestCase):
    def test_unknown_launcher(self):
        with self.assertRaises(UnknownName) as cm:
            launch.command("qsub", PROGRAM)
        self.assertIn("unknown launcher 'qsub'", str(cm.exception))
        self.assertNotIn("\n", str(cm.exception))

    def test_missing_value(self):
        with self.assertRaises(UnknownName) as cm:
            launch.command("hostfile", PROGRAM, ranks=2)
        self.assertEqual(str(cm.exception), "launcher 'hostfile' needs hostfile")


if __name__ == "__main__":
    unittest.main()
