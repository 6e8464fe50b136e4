#!/usr/bin/env python3
"""A virtual cluster on this machine: N hosts, each a Linux network namespace with its own host
name and address, joined by a bridge, for Open MPI to run across (as root).

    vcluster.py up N [--rate R] [--slots S] [--slurm]
                                               build one and leave it up; print its name
    vcluster.py down NAME                      remove it: processes, namespaces, files
    vcluster.py list                           the clusters on this machine
    vcluster.py run N [--rate R] [--slots S] [--slurm] -- CMD...
                                               build one, run CMD in its head namespace, where
                                               `mpirun -np P PROGRAM` runs across its hosts
                                               (with --slurm: `srun -N N --mpi=pmix PROGRAM`,
                                               sbatch, squeue), and remove it, whatever happens

With --slurm the cluster runs Slurm as a real one does: its own munged, slurmctld on head and
a slurmd on each host, each host with a /tmp of its own (so PROGRAM must live outside /tmp);
CMD gets SLURM_CONF instead of Open MPI's hostfile and agent. Every cluster records its owner
(the process of run, or of compare.py --vcluster); one whose owner is gone (killed with
SIGKILL) is removed by the next cluster command, which says so in one line. A cluster made
with up has no owner: it stays until down, which finds it under any TMPDIR.

The bridge and mpirun live in namespaces too, so no packet of the cluster touches this
machine's network. The hosts are node1 to nodeN, with S slots each in the hostfile; --rate caps
each link's bandwidth in both directions with tc's tbf (no latency can be added here: this
kernel has no netem). Under run, CMD finds the cluster in its environment: Open MPI's settings
as OMPI_MCA_ variables (hostfile, launch agent, transports, subnet), GF_VCLUSTER (the name),
GF_VCLUSTER_HOSTFILE, GF_VCLUSTER_ENTER (`$GF_VCLUSTER_ENTER node2 CMD` runs CMD on node2) and
GF_VCLUSTER_HOSTS.

Exit status: up, down and list 0, or 1 when the cluster could not be built or removed; run:
CMD's (128 + n when a signal n ended it), 1 when the cluster could not be built; 2 bad
arguments or no way to build a cluster here (not root, no network namespaces): one line, and
nothing made; 130, 143 or 129 stopped by SIGINT, SIGTERM or SIGHUP: CMD is stopped and the
cluster removed.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gilfree import cli, cluster  # noqa: E402

if __name__ == "__main__":
    cli.run_main("vcluster.py", lambda argv: cluster.main(argv, __doc__), signals=True)
