"""The one registry of launchers: how a program is started on R ranks of T threads, on this
machine or on hosts.

A launcher is a template of words with {ranks}, {threads}, {hosts}, {hostfile}, {platform}
and {mpiexec} in them, put before the program's own command line, and the environment it
needs. "mpirun" adds the settings that oversubscribed ranks need (more ranks than cores: no
binding, ranks yield when idle), or binds each rank to a core when they fit.

    argv, env = launch.command("mpirun", ["build/bin/gilfree-mpi", "sum"], ranks=4, cores=2)
"""
import collections
import shutil

from .backends import UnknownName

# We run as root on machines with few cores: Open MPI must be allowed both.
MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
           "OMPI_MCA_rmaps_base_oversubscribe": "1"}

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
    # real hosts listed in a hostfile, T threads per rank
    "hostfile": Launcher(("mpirun", "--hostfile", "{hostfile}", "-np", "{ranks}",
                          "--map-by", "slot:PE={threads}", "-x", "OMP_NUM_THREADS={threads}"),
                         (), (), MPI_ENV),
    # a virtual cluster: each host a network namespace, entered by `ip netns exec HOST`
    "vcluster": Launcher(("mpirun", "--host", "{hosts}", "-np", "{ranks}", "--mca",
                          "plm_rsh_agent", "ip netns exec", "-x",
                          "OMP_NUM_THREADS={threads}"), (), (), MPI_ENV),
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


def command(name, program, ranks=1, threads=1, cores=None, bind=True, **values):
    """(argv, environment additions) that run program (its argv) under launcher name on
    ranks ranks of threads threads. cores: this machine's, for the oversubscription settings
    (None: they fit); bind False leaves out the binding of ranks that fit; values fill the
    template's other fields (hosts: a list or a comma-separated text, hostfile, platform,
    mpiexec: the launcher's path, default the mpiexec on the PATH)."""
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
    return _fill(name, words, values) + list(program), dict(launcher.env)

