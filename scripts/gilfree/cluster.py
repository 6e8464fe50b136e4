"""A virtual cluster on one machine: N hosts, each a Linux network namespace with its own
address, entered under its own host name (a UTS namespace), joined by a bridge; and the files
that let Open MPI use them as the nodes of a cluster: a hostfile and a launch agent.

Nothing of it touches the machine's own network. The bridge lives in a "switch" namespace,
each host is a namespace with one veth to it, and `mpirun` itself runs in a "head" namespace
on the same bridge, so every packet of a job goes between namespaces made here. Every veth is
created inside the switch namespace with its peer placed straight into its host's, so no link
appears in the machine's namespace, not even for a moment.

    with Cluster(3, rate="1gbit") as vc:          # up; down on every way out
        argv, env = launch.command("vcluster", program, ranks=3, **vc.values())

The names are unique per cluster (the maker's pid and random bits: "gfvc1f2a3b4c"), so two
clusters made side by side (tests under ctest -j) never meet: namespaces "NAME-switch",
"NAME-head", "NAME-node1"...; host names head, node1...; files in a folder NAME of the temporary
folder: hostfile, enter (`enter HOST CMD...` runs CMD on HOST) and agent (`agent HOST WORDS...`:
Open MPI's plm_rsh_agent, which gives the words of the remote command line as ssh would, to a
shell). Every process started on the cluster carries GF_VCLUSTER=NAME in its environment.

down() kills every process in the cluster's namespaces (SIGTERM, then SIGKILL), deletes the
namespaces (which takes their veths and the bridge with them) and removes the folder. It finds
what to remove by the name, not by what up() remembers, so it also removes what an up() cut
short by a signal left, and what a killed maker left (`scripts/vcluster.py down NAME`).

What cannot be emulated: the hosts share this machine's cores and memory, and there is no
netem qdisc on this kernel, so no latency can be added; a bandwidth cap per link (tc's tbf, on
both ends of each veth) is all the shaping there is.
"""
import argparse
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from . import slurm as slurm_mod
from .cli import OneLineParser, int_in, usage_error
from .runner import signals_held
from .userfile import MiB, read_text

PREFIX = "gfvc"
NAME_RE = re.compile(PREFIX + r"[0-9a-f]{5,24}")
MAX_HOSTS = 64
# The cluster's own subnet. Each cluster has its own bridge in its own namespace, so clusters
# side by side may all use it; it is away from the machine's usual private ranges anyway.
SUBNET = "10.213.0.0/24"
HEAD_ADDR = "10.213.0.1"
HOST_ADDR = "10.213.0.{}"  # node k at .(10 + k)
RATE_RE = re.compile(r"([0-9]+(?:\.[0-9]+)?)(bit|kbit|mbit|gbit|tbit|bps|kbps|mbps|gbps|tbps)")
RATE_UNITS = {"bit": 1, "kbit": 1e3, "mbit": 1e6, "gbit": 1e9, "tbit": 1e12,
              "bps": 8, "kbps": 8e3, "mbps": 8e6, "gbps": 8e9, "tbps": 8e12}

# Open MPI across the cluster: shared memory between ranks on one host and TCP between hosts,
# as on a real cluster, on the cluster's subnet only (daemons too); no binding, since every
# virtual host sees all of this machine's cores and would bind its first rank to core 0; and
# ranks yield when idle, since the hosts share the cores: with more ranks than cores, a rank
# spinning in a receive takes the core from the rank, or the kernel's delivery of the packet,
# that it waits for (resize on 4 ranks over 2 hosts of 2 cores: 4.2 ms without, 0.94 ms with).
MCA = (("btl", "self,vader,tcp"), ("btl_tcp_if_include", SUBNET),
       ("oob_tcp_if_include", SUBNET), ("mpi_yield_when_idle", "1"))


# Each cluster's record, outside the temporary folder (which another TMPDIR changes, and which
# each slurmd sees as a tmpfs of its own): STATE/NAME holds "owner" (the pid that removes it on
# its way out, with that process's start time, and the cluster's folder) and the files of its
# Slurm. A cluster whose owner is gone (killed with SIGKILL) is removed by the next cluster
# command (sweep).
STATE = "/run/gilfree/vcluster"


class ClusterError(RuntimeError):
    """A step of building or removing a cluster failed; the message is one line naming it."""


def parse_rate(text):
    """tc's rate text ("1gbit", "100mbit", "12.5mbps") as bits per second, or ValueError with
    the reason."""
    m = RATE_RE.fullmatch(text)
    if not m:
        raise ValueError("not a rate such as 1gbit, 100mbit or 12mbps")
    bits = float(m.group(1)) * RATE_UNITS[m.group(2)]
    if bits < 8000:
        raise ValueError("below 8kbit")
    if bits > 1e12:
        raise ValueError("above 1tbit")
    return bits


def new_name():
    return f"{PREFIX}{os.getpid():x}{secrets.token_hex(3)}"


def _ip(*args, check=True):
    """Runs `ip ARGS`; its stdout. A failure raises ClusterError with ip's own line."""
    try:
        r = subprocess.run(("ip",) + args, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ClusterError(f"ip {' '.join(args)}: {e}") from None
    if check and r.returncode != 0:
        why = (r.stderr.strip().splitlines() or [f"exit status {r.returncode}"])[-1]
        raise ClusterError(f"ip {' '.join(args)}: {why}")
    return r.stdout


def namespaces():
    """Every network namespace of this machine, by name."""
    try:
        out = _ip("netns", "list")
    except ClusterError:
        return []
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def clusters():
    """{name: [its namespaces]} of every virtual cluster on this machine, and those whose
    folder alone is left."""
    found = {}
    for ns in namespaces():
        name, dash, _ = ns.partition("-")
        if dash and NAME_RE.fullmatch(name):
            found.setdefault(name, []).append(ns)
    tmp = tempfile.gettempdir()
    for where in (tmp, STATE):
        try:
            entries = os.listdir(where)
        except OSError:
            continue
        for entry in entries:
            if NAME_RE.fullmatch(entry) and os.path.isdir(os.path.join(where, entry)):
                found.setdefault(entry, [])
    return found


def _started(pid):
    """The start time of process pid (in clock ticks since boot), or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return None if fields[0] == "Z" else int(fields[19])


def owner_of(name):
    """{"pid", "started", "folder"} of cluster name's record (pid None: kept up until down),
    or None when it has none."""
    try:
        with open(os.path.join(STATE, name, "owner"), encoding="utf-8") as f:
            words = dict(w.split("=", 1) for w in f.read().split() if "=" in w)
    except (OSError, ValueError):
        return None
    pid = words.get("pid", "")
    return {"pid": int(pid) if pid.isdigit() else None,
            "started": int(words["started"]) if words.get("started", "").isdigit() else None,
            "folder": words.get("folder") or None}


def _write_owner(name, folder, keep):
    pid = os.getpid()
    text = (f"pid=none folder={folder}\n" if keep else
            f"pid={pid} started={_started(pid)} folder={folder}\n")
    path = os.path.join(STATE, name, "owner")
    with open(path + ".new", "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(path + ".new", path)


def orphaned(name):
    """Whether cluster name has an owner recorded that is gone (not the same process)."""
    rec = owner_of(name)
    return bool(rec and rec["pid"] is not None and
                _started(rec["pid"]) != rec["started"])


def sweep():
    """Removes every cluster whose owner is gone; returns one line for each, saying so (and
    what could not be removed)."""
    lines = []
    for name in sorted(clusters()):
        if not orphaned(name):
            continue
        pid = owner_of(name)["pid"]
        problems = remove(name)
        lines.append(f"removed virtual cluster {name}: its owner, pid {pid}, is gone"
                     + (f" ({'; '.join(problems)})" if problems else ""))
    return lines


def missing():
    """Why no virtual cluster can be built here (not root, no ip or unshare, no network
    namespaces), or None. Probes by making and deleting a namespace of its own."""
    if os.geteuid() != 0:
        return "not root (network namespaces need root)"
    for tool in ("ip", "unshare", "tc"):
        if not shutil.which(tool):
            return f"no {tool} command (iproute2, util-linux)"
    probe = f"{PREFIX}{os.getpid():x}{secrets.token_hex(3)}-probe"
    try:
        _ip("netns", "add", probe)
    except ClusterError as e:
        return f"no network namespaces: {e}"
    try:
        _ip("-n", probe, "link", "add", "probe0", "type", "bridge")
    except ClusterError as e:
        return f"no bridges in a namespace: {e}"
    finally:
        _ip("netns", "del", probe, check=False)
    return None


def _pids(ns):
    try:
        return [int(p) for p in _ip("netns", "pids", ns).split()]
    except (ClusterError, ValueError):
        return []


def kill_processes(nss, grace=2.0):
    """Ends every process in the namespaces nss: SIGTERM, then SIGKILL to what is left after
    grace seconds. Returns the pids still there after both (none, unless a process cannot be
    killed)."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        pids = {p for ns in nss for p in _pids(ns)} - {os.getpid()}
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait
        while pids and time.monotonic() < deadline:
            time.sleep(0.05)
            pids = {p for ns in nss for p in _pids(ns)} - {os.getpid()}
        if not pids:
            return []
    return sorted(pids)


def remove(name):
    """Removes everything of cluster name: its processes, namespaces and folder. Returns lines
    saying what could not be removed (none when all went)."""
    problems = []
    with signals_held():  # a second signal must not leave half a cluster
        state = os.path.join(STATE, name)
        rec = owner_of(name) or {}
        left = slurm_mod.stop_recorded(state)  # its daemons by pid, those of a killed owner
        nss = [ns for ns in namespaces() if ns.startswith(name + "-")]
        left += kill_processes(nss)
        if left:
            problems.append(f"{name}: processes {', '.join(map(str, left))} would not end")
        for ns in nss:
            try:
                _ip("netns", "del", ns)
            except ClusterError as e:
                if ns in namespaces():  # not one that a sweep beside this one removed
                    problems.append(str(e))
        # its folder where it was made (under the TMPDIR of its maker, which may not be ours)
        folders = {os.path.join(tempfile.gettempdir(), name), state}
        if rec.get("folder") and os.path.basename(rec["folder"]) == name:
            folders.add(rec["folder"])
        for folder in sorted(folders, key=lambda f: f == state):  # the record last
            if os.path.isdir(folder):
                try:
                    shutil.rmtree(folder)
                except FileNotFoundError:
                    pass
                except OSError as e:
                    problems.append(f"cannot remove {folder}: {e.strerror}")
    return problems


ENTER = """#!/bin/sh
# Virtual cluster {name}: `enter HOST CMD...` runs CMD (its words as they are) on HOST, one
# of {hosts_text}: in HOST's network namespace, under its own host name. Made by
# scripts/vcluster.py and removed with the cluster.
host=$1
case $host in
{cases}) ;;
*) echo "{name}: unknown host '$host' (one of {hosts_text})" >&2; exit 255 ;;
esac
shift
GF_VCLUSTER={name}
export GF_VCLUSTER
exec ip netns exec "{name}-$host" unshare --uts -- sh -c 'hostname "$0" && exec "$@"' \\
    "$host" "$@"
"""

AGENT = """#!/bin/sh
# Virtual cluster {name}: Open MPI's launch agent (--mca plm_rsh_agent). Open MPI calls
# `agent HOST WORDS...` with the words of a command line for a remote shell, quotes included,
# as it would give them to ssh: they are joined and given to a shell on HOST.
host=$1
shift
exec "{enter}" "$host" sh -c "$*"
"""


class Cluster:
    """N virtual hosts; nothing exists until up() (or the with statement) builds it."""

    launcher = "vcluster"

    def __init__(self, hosts, rate=None, slots=None, name=None, slurm=False, keep=False):
        """slurm: run Slurm on it (slurm.py); keep: it stays up when this process ends, until
        `vcluster.py down` (else this process is its owner, and the next cluster command
        removes it once this process is gone)."""
        if not 1 <= hosts <= MAX_HOSTS:
            raise ValueError(f"hosts must be 1 to {MAX_HOSTS}")
        if rate is not None:
            parse_rate(rate)
        self.name = name or new_name()
        self.hosts = [f"node{k}" for k in range(1, hosts + 1)]
        self.rate = rate
        self.slots = slots or os.sysconf("SC_NPROCESSORS_ONLN")
        self.folder = os.path.join(tempfile.gettempdir(), self.name)
        self.hostfile = os.path.join(self.folder, "hostfile")
        self.enter = os.path.join(self.folder, "enter")
        self.agent = os.path.join(self.folder, "agent")
        self.subnet = SUBNET
        self.state = os.path.join(STATE, self.name)
        self.keep = keep
        self.slurm = slurm_mod.Slurm(self, self.state) if slurm else None

    def ns(self, host):
        """The network namespace of host ("head", "switch", "node1", ...)."""
        return f"{self.name}-{host}"

    def address(self, host):
        return HEAD_ADDR if host == "head" else HOST_ADDR.format(10 + self.hosts.index(host) + 1)

    def values(self):
        """The fields of launch.py's "vcluster" template."""
        return {"enter": self.enter, "hostfile": self.hostfile, "agent": self.agent,
                "hosts": self.hosts}

    def env(self):
        """The environment under which a plain `mpirun -np N PROGRAM` in the head namespace
        runs on the cluster (vcluster.py run): the template's settings as Open MPI's
        OMPI_MCA_ variables, which mpirun passes on to its daemons."""
        env = {f"OMPI_MCA_{k}": v for k, v in MCA}
        env.update(GF_VCLUSTER=self.name, GF_VCLUSTER_HOSTFILE=self.hostfile,
                   GF_VCLUSTER_ENTER=self.enter, GF_VCLUSTER_HOSTS=",".join(self.hosts))
        if self.slurm:
            # Slurm places and binds the ranks (srun, or mpirun inside an allocation through
            # Slurm's own launcher): no hostfile or agent of ours, which a job's steps on the
            # nodes could not even see (each node has its own /tmp)
            env.update(self.slurm.env())
        else:
            env.update(OMPI_MCA_orte_default_hostfile=self.hostfile,
                       OMPI_MCA_plm_rsh_agent=self.agent,
                       OMPI_MCA_hwloc_base_binding_policy="none")
        return env

    def describe(self):
        """The cluster as a record's fields (kind "cluster")."""
        return {"kind": "cluster", "cluster": "virtual", "name": self.name,
                "hosts": list(self.hosts), "slots": self.slots, "subnet": self.subnet,
                "rate": self.rate, "transport": "TCP over veth and a Linux bridge",
                "mca": dict(MCA), "slurm": bool(self.slurm)}

    # ---- building and removing ----

    def _link(self, host, addr):
        ns, sw = self.ns(host), self.ns("switch")
        port = f"v-{host}"
        _ip("netns", "add", ns)
        _ip("-n", sw, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns)
        _ip("-n", sw, "link", "set", port, "master", "br0", "up")
        _ip("-n", ns, "link", "set", "lo", "up")
        _ip("-n", ns, "addr", "add", f"{addr}/24", "dev", "eth0")
        _ip("-n", ns, "link", "set", "eth0", "up")
        if self.rate:
            bps = parse_rate(self.rate) / 8
            burst = str(max(int(bps / 100), 16000))  # 10 ms of traffic, at least 16 kB
            for where, dev in ((ns, "eth0"), (sw, port)):  # both directions of the link
                self._tc(where, dev, burst)

    def _tc(self, ns, dev, burst):
        argv = ["ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", dev, "root", "tbf",
                "rate", self.rate, "burst", burst, "latency", "100ms"]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            why = (r.stderr.strip().splitlines() or [f"exit status {r.returncode}"])[-1]
            raise ClusterError(f"tc on {ns} {dev}: {why}")

    def _write(self, path, text, mode):
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(path, mode)

    def up(self):
        """Builds the cluster; on a failure (or a signal) removes what was built and raises.
        Returns self."""
        for line in sweep():
            sys.stderr.write(f"{os.path.basename(sys.argv[0]) or 'gilfree'}: {line}\n")
        try:
            os.mkdir(self.folder, 0o700)  # first: a folder of that name is another's
        except OSError as e:
            raise ClusterError(f"cannot build virtual cluster {self.name}: {self.folder}: "
                               f"{e.strerror}") from None
        try:
            os.makedirs(STATE, 0o755, exist_ok=True)
            os.mkdir(self.state, 0o755)
            _write_owner(self.name, self.folder, self.keep)
            sw = self.ns("switch")
            _ip("netns", "add", sw)
            _ip("-n", sw, "link", "set", "lo", "up")
            _ip("-n", sw, "link", "add", "br0", "type", "bridge")
            _ip("-n", sw, "link", "set", "br0", "up")
            self._link("head", HEAD_ADDR)
            for host in self.hosts:
                self._link(host, self.address(host))
            hosts_text = ", ".join(["head"] + self.hosts)
            self._write(self.enter, ENTER.format(name=self.name, hosts_text=hosts_text,
                                                 cases="|".join(["head"] + self.hosts)), 0o755)
            self._write(self.agent, AGENT.format(name=self.name, enter=self.enter), 0o755)
            self._write(self.hostfile, "".join(f"{h} slots={self.slots}\n"
                                               for h in self.hosts), 0o644)
            if self.slurm:
                self.slurm.start()
        except BaseException as e:
            if self.slurm:
                self.slurm.stop()
            problems = remove(self.name)
            if isinstance(e, (OSError, ClusterError, slurm_mod.SlurmError)):
                why = f"{e.filename}: {e.strerror}" if isinstance(e, OSError) else \
                    f"Slurm: {e}" if isinstance(e, slurm_mod.SlurmError) else e
                raise ClusterError(f"cannot build virtual cluster {self.name}: {why}"
                                   + (f" ({'; '.join(problems)})" if problems else "")) from None
            raise
        return self

    def down(self):
        """Removes the cluster, its daemons first (by pid). Returns lines saying what could
        not be removed."""
        with signals_held():
            if self.slurm:
                self.slurm.stop()
            return remove(self.name)

    def __enter__(self):
        return self.up()

    def __exit__(self, *exc):
        problems = self.down()
        if problems and exc[0] is None:
            raise ClusterError("; ".join(problems))
        return False

    def entered(self, argv, host="head"):
        """argv run on host."""
        return [self.enter, host] + list(argv)


class Hostfile:
    """The hosts of a real cluster, as an Open MPI hostfile lists them: the same interface as
    Cluster (up and down do nothing: the hosts are there), for the "hostfile" launcher."""

    launcher = "hostfile"

    def __init__(self, path):
        self.path = os.path.abspath(path)
        self.name = os.path.basename(path)
        self.hosts, self.slots = read_hostfile(path)

    def values(self):
        return {"hostfile": self.path, "hosts": self.hosts}

    def describe(self):
        return {"kind": "cluster", "cluster": "hostfile", "name": self.name,
                "hostfile": self.path, "hosts": list(self.hosts), "slots": self.slots,
                "transport": "Open MPI's choice between the hosts"}

    def up(self):
        return self

    def down(self):
        return []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def read_hostfile(path):
    """(hosts, {host: slots or None}) of an Open MPI hostfile: one host a line, its options
    after it (slots=N, max_slots=N), # comments. ValueError naming the line when a line or the
    file is wrong."""
    hosts, slots = [], {}
    lines = read_text(path, MiB).splitlines()  # a hostfile of a million bytes is not one
    for n, line in enumerate(lines, 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        host, opts = words[0], words[1:]
        if "=" in host:
            raise ValueError(f"line {n} begins with '{host}', not a host name")
        count = None
        for opt in opts:
            key, eq, value = opt.partition("=")
            if key not in ("slots", "max_slots", "max-slots", "count", "cpu", "cpus") or \
                    not eq or not value.isdigit():
                raise ValueError(f"line {n}: '{opt}' is not slots=N or max_slots=N")
            if key in ("slots", "count", "cpu", "cpus"):
                count = int(value)
        if host not in slots:
            hosts.append(host)
            slots[host] = count
        elif count is not None:
            slots[host] = (slots[host] or 0) + count
    if not hosts:
        raise ValueError("no host in it")
    return hosts, slots



# ---- scripts/vcluster.py ------------------------------------------------------------------------


def _run_on(vc, argv):
    """Runs argv in the head namespace of vc with its environment, in a session of its own
    (a terminal's ^C reaches this script, which stops it). Its exit status, 128 + n when
    killed by signal n."""
    env = dict(os.environ, **vc.env())
    child = None
    try:
        with signals_held():
            child = subprocess.Popen(vc.entered(argv), env=env, start_new_session=True)
        status = child.wait()
    except BaseException:
        if child is not None:
            with signals_held():
                for sig in (signal.SIGINT, signal.SIGKILL):  # mpirun ends its job on SIGINT
                    try:
                        os.killpg(child.pid, sig)
                        child.wait(timeout=5)
                        break
                    except ProcessLookupError:
                        break
                    except subprocess.TimeoutExpired:
                        continue
        raise
    return 128 - status if status < 0 else status


def _say_up(vc, out):
    out.write(f"{vc.name}\n")
    rate = f", links capped at {vc.rate}" if vc.rate else ""
    out.write(f"# {len(vc.hosts)} hosts {', '.join(vc.hosts)} ({vc.address(vc.hosts[0])} up; "
              f"{vc.slots} slots each) and head ({HEAD_ADDR}) on a bridge in "
              f"{vc.ns('switch')}, subnet {vc.subnet}{rate}\n")
    out.write(f"# hostfile {vc.hostfile}; launch agent {vc.agent}\n")
    mca = " ".join(f"--mca {k} {v}" for k, v in MCA)
    out.write(f"# run: {vc.enter} head mpirun --hostfile {vc.hostfile} --mca plm_rsh_agent "
              f"{vc.agent} {mca} --bind-to none -np N PROGRAM\n")
    if vc.slurm:
        out.write(f"# slurm: munged, slurmctld on head, slurmd on {', '.join(vc.hosts)}; "
                  f"run: SLURM_CONF={vc.slurm.conf} {vc.enter} head srun -N {len(vc.hosts)} "
                  "--mpi=pmix PROGRAM (a program outside /tmp: each node has its own)\n")
    out.write(f"# remove: scripts/vcluster.py down {vc.name}\n")


def _down(prog, name):
    """vcluster.py down NAME: 0 when everything of it went, 1 with a line for each thing that
    did not (its folder too, which a cluster made under another TMPDIR keeps where no record
    says where it is)."""
    if name not in clusters():
        usage_error(prog, f"no virtual cluster '{name}' on this machine")
    rec = owner_of(name)
    here = os.path.join(tempfile.gettempdir(), name)
    found_here = os.path.isdir(here)
    problems = remove(name)
    if rec is None and not found_here and not problems:
        problems.append(f"{name}: its namespaces are removed, but no record says where its "
                        f"folder is (not {here}: made under another TMPDIR?); remove it by "
                        "hand")
    for line in problems:
        sys.stderr.write(f"{prog}: {line}\n")
    return 1 if problems else 0


def main(argv, doc):
    """scripts/vcluster.py: up, down, list and run."""
    prog = "vcluster.py"
    cmd, dash, rest = (argv[:argv.index("--")], True, argv[argv.index("--") + 1:]) \
        if "--" in argv else (argv, False, [])

    def rate_arg(s):
        try:
            parse_rate(s)
        except ValueError as e:
            raise argparse.ArgumentTypeError(f"invalid --rate '{s}': {e}") from None
        return s

    p = OneLineParser(prog=prog, description=doc,
                      formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", metavar="{up,down,list,run}",
                           parser_class=OneLineParser)
    sub.required = True
    for name, what in (("up", "build a cluster and leave it up; print its name"),
                       ("run", "build a cluster, run CMD in its head namespace, remove it")):
        s = sub.add_parser(name, help=what, prog=f"{prog} {name}")
        s.add_argument("hosts", type=int_in("host count", 1, MAX_HOSTS), metavar="N",
                       help=f"virtual hosts, 1 to {MAX_HOSTS}")
        s.add_argument("--rate", type=rate_arg, metavar="R", help="cap every link's bandwidth "
                       "in each direction (tc tbf), e.g. 1gbit, 100mbit")
        s.add_argument("--slots", type=int_in("--slots", 1, 1024), metavar="S",
                       help="slots per host in the hostfile (default: this machine's cores)")
        s.add_argument("--slurm", action="store_true", help="run Slurm on it: munged and "
                       "slurmctld in head, a slurmd on each host; CMD gets SLURM_CONF, so "
                       "that srun, sbatch and squeue work")
    d = sub.add_parser("down", help="remove a cluster: its processes, namespaces and files",
                       prog=f"{prog} down")
    d.add_argument("name", metavar="NAME")
    sub.add_parser("list", help="the clusters on this machine", prog=f"{prog} list")
    opts = p.parse_args(cmd)
    if opts.command == "run" and not rest:
        usage_error(prog, "run needs a command after '--': run N [--rate R] -- CMD..."
                    if dash else "run needs '--' and a command: run N [--rate R] -- CMD...")
    if opts.command != "run" and dash:
        usage_error(prog, f"'--' and a command belong to run, not {opts.command}")
    if opts.command == "down" and not NAME_RE.fullmatch(opts.name):
        usage_error(prog, f"invalid cluster name '{opts.name}': not {PREFIX} and hex digits, "
                    "as up prints")
    if opts.command in ("up", "run"):
        why = missing() or (opts.slurm and slurm_mod.missing())
        if why:
            usage_error(prog, f"cannot build a virtual cluster here: {why}")
    for line in sweep() if os.geteuid() == 0 else ():
        sys.stderr.write(f"{prog}: {line}\n")
    if opts.command == "list":
        for name, nss in sorted(clusters().items()):
            print(f"{name} {len([n for n in nss if n.rsplit('-', 1)[1].startswith('node')])} "
                  "hosts" if nss else f"{name} (its folder only)")
        return 0
    if opts.command == "down":
        return _down(prog, opts.name)
    vc = Cluster(opts.hosts, rate=opts.rate, slots=opts.slots, slurm=opts.slurm,
                 keep=opts.command == "up")
    try:
        if opts.command == "up":
            vc.up()
            _say_up(vc, sys.stdout)
            return 0
        with vc:
            sys.stderr.write(f"{prog}: {vc.name} up: {len(vc.hosts)} hosts\n")
            return _run_on(vc, rest)
    except ClusterError as e:
        sys.stderr.write(f"{prog}: {e}\n")
        return 1
