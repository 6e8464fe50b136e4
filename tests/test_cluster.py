#!/usr/bin/env python3
"""scripts/gilfree/cluster.py without building anything: the rates --rate takes, the hostfiles
--hostfile reads, and a cluster's names, addresses, files and environment before it is up."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "scripts"))
from gilfree import cluster  # noqa: E402


class Rates(unittest.TestCase):
    def test_tc_units(self):
        self.assertEqual(cluster.parse_rate("1gbit"), 1e9)
        self.assertEqual(cluster.parse_rate("100mbit"), 1e8)
        self.assertEqual(cluster.parse_rate("12.5mbps"), 1e8)

    def test_refused(self):
        for bad in ("", "fast", "1e9", "1 gbit", "-1gbit", "1GBIT", "7bit", "2tbit"):
            with self.assertRaises(ValueError, msg=bad):
                cluster.parse_rate(bad)


class Hostfiles(unittest.TestCase):
    def read(self, text):
        with tempfile.NamedTemporaryFile("w", suffix=".hosts", delete=False) as f:
            f.write(text)
        try:
            return cluster.read_hostfile(f.name)
        finally:
            os.unlink(f.name)

    def test_hosts_slots_and_comments(self):
        hosts, slots = self.read("# the rack\nnode01 slots=4 max_slots=8\n\nnode02  # no "
                                 "slots\nnode01 slots=2\n")
        self.assertEqual(hosts, ["node01", "node02"])
        self.assertEqual(slots, {"node01": 6, "node02": None})

    def test_refused_with_the_line(self):
        for text, word in (("node1 slots=two\n", "slots=two"), ("slots=2\n", "line 1"),
                           ("# nothing\n\n", "no host"), ("a\nb sockets=2\n", "line 2")):
            with self.assertRaises(ValueError) as cm:
                self.read(text)
            self.assertIn(word, str(cm.exception))
            self.assertNotIn("\n", str(cm.exception))

    def test_missing_file(self):
        with self.assertRaises(ValueError) as cm:
            cluster.read_hostfile("/nonexistent/hosts")
        self.assertIn("No such file", str(cm.exception))


class Unbuilt(unittest.TestCase):
    def test_names_addresses_files(self):
        vc = cluster.Cluster(3, slots=4)
        self.assertTrue(cluster.NAME_RE.fullmatch(vc.name))
        self.assertEqual(vc.hosts, ["node1", "node2", "node3"])
        self.assertEqual(vc.ns("head"), vc.name + "-head")
        self.assertEqual([vc.address(h) for h in ["head"] + vc.hosts],
                         ["10.213.0.1", "10.213.0.11", "10.213.0.12", "10.213.0.13"])
        self.assertEqual(os.path.dirname(vc.hostfile), vc.folder)
        self.assertFalse(os.path.exists(vc.folder))  # nothing until up()
        env = vc.env()
        self.assertEqual(env["GF_VCLUSTER"], vc.name)
        self.assertEqual(env["OMPI_MCA_plm_rsh_agent"], vc.agent)
        self.assertEqual(env["OMPI_MCA_orte_default_hostfile"], vc.hostfile)
        for k, v in cluster.MCA:
            self.assertEqual(env[f"OMPI_MCA_{k}"], v)

    def test_names_unique(self):
        self.assertEqual(len({cluster.Cluster(1).name for _ in range(50)}), 50)

    def test_bad_sizes(self):
        for n in (0, cluster.MAX_HOSTS + 1):
            with self.assertRaises(ValueError):
                cluster.Cluster(n)
        with self.assertRaises(ValueError):
            cluster.Cluster(2, rate="quick")


if __name__ == "__main__":
    unittest.main()
