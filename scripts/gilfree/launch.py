"""The one registry of launchers: how a program is started on R ranks of T threads, on this
machine or on hosts.

A launcher is a template of words with {ranks}, {threads}, {hosts}, {hostfile}, {platform},
{mpiexec} and a virtual cluster's {enter} and {agent} in them, put before the program's own
command line, and the environment it needs. "mpirun" adds the settings that oversubscribed
ranks need (more ranks than cores: no binding, ranks yield when idle), or binds each rank to a
core when they fit.

    argv, env = launch.command("mpirun", ["build/bin/gilfree-mpi", "sum"], ranks=4, cores=2)
"""
import collections
import re
import shutil

from .backends import UnknownName
from .cluster import MCA

# We run as root on machines with few cores: Open MPI must be allowed both.
MPI_ROOT_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}
MPI_ENV = dict(MPI_ROOT_ENV, OMPI_MCA_rmaps_base_oversubscribe="1")

Launcher = collections.namedtuple("Launcher", "words fit over env team", defaults=((),))
Launcher.__doc__ = """words: the template; fit: words added when the ranks fit the cores, over:
when they do not (then a rank spinning in a receive must yield, or it starves the one it
waits for); env: the environment the launched program needs; team: the words instead of fit
for ranks of more than one thread that fit (a rank's cores for its team, not one core)."""

LAUNCHERS = {
    # the program itself, one process (its own workers inside)
    "local": Launcher((), (), (), {}),
    # Open MPI on this machine
    "mpirun": Launcher(("mpirun", "-np", "{ranks}"), ("--bind-to", "core"),
                       ("--bind-to", "none", "--mca", "mpi_yield_when_idle", "1"), MPI_ENV,
                       ("--map-by", "ppr:{ranks}:node:PE={threads}")),
    # the MPI launcher as the micro-benchmarks call it: Open MPI's defaults
    "mpiexec": Launcher(("{mpiexec}", "-n", "{ranks}"), (), (), MPI_ENV),
    # real hosts listed in an Open MPI hostfile; the mapping (--map-by node: one rank per
    # host in turn; slot, Open MPI's default: each host's slots filled in turn) and any other
    # setting are the caller's extra words. Where each rank ran is printed (--display-map),
    # and to which cores it was bound (--report-bindings). No oversubscription unless the
    # caller asks for it (--oversubscribe among the extra words): a hostfile with too few
    # slots is a mistake to be told, not a slow run.
    "hostfile": Launcher(("mpirun", "--hostfile", "{hostfile}", "-np", "{ranks}",
                          "--display-map", "--report-bindings", "-x",
                          "OMP_NUM_THREADS={threads}"), (), (), MPI_ROOT_ENV),
    # a virtual cluster (cluster.py): mpirun started in the cluster's head namespace, its
    # daemons through the cluster's launch agent; the transports and the subnet of
    # cluster.MCA; no binding (each virtual host sees every core), idle ranks yield (they
    # share the cores)
    "vcluster": Launcher(("{enter}", "head", "mpirun", "--hostfile", "{hostfile}", "-np",
                          "{ranks}", "--display-map", "--bind-to", "none",
                          "--mca", "plm_rsh_agent", "{agent}")
                         + tuple(w for k, v in MCA for w in ("--mca", k, v))
                         + ("-x", "OMP_NUM_THREADS={threads}"), (), (), MPI_ENV),
    # Slurm's own launcher, inside an allocation (sbatch, salloc): {nodes} of its nodes, each
    # rank with {threads} CPUs of its own (--cpus-per-task), Open MPI's ranks wired up by PMIx;
    # Slurm binds each rank to its CPUs and says where it put it and to which CPUs
    # (--cpu-bind=verbose: bindings() reads it); the distribution (-m cyclic or block) is the
    # caller's extra words
    "srun": Launcher(("srun", "--mpi=pmix", "-N", "{nodes}", "-n", "{ranks}",
                      "--cpus-per-task", "{threads}", "--cpu-bind=verbose",
                      "--kill-on-bad-exit=1"), (), (), {}),
    # SimGrid's simulated MPI: the hosts of a platform file
    "smpirun": Launcher(("smpirun", "-np", "{ranks}", "-hostfile", "{hostfile}",
                         "-platform", "{platform}"), (), (), {}),
}


def get(name):
    """The Launcher called name, or UnknownName."""
    if name not in LAUNCHERS:
        raise UnknownName(f"unknown launcher '{name}' (one of {', '.join(LAUNCHERS)})")
    return LAUNCHERS[name]


def _fill(name, words, values):
    out = []
    for word in words:
        try:
            out.append(word.format(**values))
        except KeyError as e:
            raise UnknownName(f"launcher '{name}' needs {e.args[0]}") from None
    return out


def command(name, program, ranks=1, threads=1, cores=None, bind=True, extra=(), **values):
    """(argv, environment additions) that run program (its argv) under launcher name on
    ranks ranks of threads threads. cores: this machine's, for the oversubscription settings
    (None: they fit); bind False leaves out the binding of ranks that fit; extra: words for
    the launcher put after its own (--map-by node, --mpirun-args), as they are; values fill
    the template's other fields (hosts: a list or a comma-separated text, hostfile, platform,
    mpiexec: the launcher's path, default the mpiexec on the PATH; enter and agent: a
    virtual cluster's, Cluster.values())."""
    launcher = get(name)
    if isinstance(values.get("hosts"), (list, tuple)):
        values["hosts"] = ",".join(values["hosts"])
    values.setdefault("mpiexec", shutil.which("mpiexec") or "mpiexec")
    values.update(ranks=ranks, threads=threads)
    words = list(launcher.words)
    if words:
        over = cores is not None and ranks * threads > cores
        fit = launcher.team if threads > 1 and launcher.team else launcher.fit
        words += launcher.over if over else fit if bind else ()
    return _fill(name, words, values) + list(extra) + list(program), dict(launcher.env)



_MAP_NODE = re.compile(r"^\s*Data for node: (\S+)")
_MAP_RANK = re.compile(r"^\s*Process OMPI jobid: \[[0-9]+,[0-9]+\] App: [0-9]+ Process rank: "
                       r"([0-9]+)")


def placement(stdout):
    """Where each rank ran, from the job map mpirun prints with --display-map (its first, if
    it prints it more than once): [{"worker": rank, "host": name, "cpu": None}] in rank order,
    or None when the output holds no map. The CPU is not in the map: it is None here."""
    hosts, node, started = {}, None, False
    for line in stdout.splitlines():
        if "JOB MAP" in line:
            if started:
                break
            started = True
            continue
        if line.lstrip().startswith("=====") and hosts:
            break
        m = _MAP_NODE.match(line)
        if m:
            node = m.group(1)
            continue
        m = _MAP_RANK.match(line)
        if m and node is not None:
            hosts.setdefault(int(m.group(1)), node)
    if not hosts:
        return None
    return [{"worker": r, "host": hosts[r], "cpu": None} for r in sorted(hosts)]


def ranks_per_host(place, threads=1):
    """'node1: 2, node2: 1' from a placement, hosts in the order of their first rank. With
    threads per rank, the placement's workers are rank * threads + thread: a rank is counted
    once."""
    ranks = {}
    for i, p in enumerate(place or ()):
        ranks.setdefault(p["host"], set()).add(p.get("worker", i) // max(threads, 1))
    return ", ".join(f"{h}: {len(n)}" for h, n in ranks.items())


def record_ranks_per_host(rec):
    """ranks_per_host of a record: its placement's workers are threads of ranks (its topology
    says how many to a rank) unless the placement is mpirun's job map, which lists ranks."""
    threads = (rec.get("topology") or {}).get("threads", 1)
    if rec.get("placement_from") == "mpirun --display-map":
        threads = 1
    return ranks_per_host(rec.get("placement"), threads)


# "[node1:12345] MCW rank 0 bound to socket 0[core 0[hwt 0]]: [B/.]" (--report-bindings), or
# "... MCW rank 0 is not bound (or bound to all available processors)"
_REPORT_BIND = re.compile(r"^\[([^:\]]+):[0-9]+\] MCW rank ([0-9]+) (?:bound to .*: \[(.*)\]|is not"
                          r" bound)")


def report_bindings(stderr):
    """{rank: {"host": name, "mask": "0x3" or None (not bound)}} from the lines mpirun
    --report-bindings prints: Open MPI's view of the cores each rank was bound to."""
    out = {}
    for line in stderr.splitlines():
        m = _REPORT_BIND.match(line.strip())
        if not m:
            continue
        mask = None
        if m.group(3) is not None:  # "B/./B/." per core, sockets split by "]["
            cores = m.group(3).replace("][", "/").split("/")
            mask = hex(sum(1 << c for c, text in enumerate(cores) if "B" in text))
        out.setdefault(int(m.group(2)), {"host": m.group(1), "mask": mask})
    return out


def add_masks(rec, ranks, source):
    """Puts each rank's host and CPU mask, as the launcher saw them ({rank: {"host", "mask"}}),
    into the record's placement (each of a rank's workers gets its rank's mask), and says where
    they came from (rec["binding_from"]). A placement from the binary keeps its hosts."""
    if not ranks:
        return
    threads = max((rec.get("topology") or {}).get("threads", 1), 1)
    place = rec.get("placement") or []
    if rec.get("placement_from") == "mpirun --display-map":
        threads = 1  # a job map lists ranks, not threads
    if not place:
        place = [{"worker": r, "host": v["host"], "cpu": None} for r, v in sorted(ranks.items())]
        rec["placement_from"] = source
        threads = 1
    for i, p in enumerate(place):
        got = ranks.get(p.get("worker", i) // threads)
        if got:
            p["mask"] = got["mask"]
    rec["placement"] = place
    rec["binding_from"] = source
