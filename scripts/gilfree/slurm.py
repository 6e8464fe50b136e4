"""Slurm on a virtual cluster (cluster.Cluster(..., slurm=True)), and what a program needs to
know of the Slurm allocation it runs in.

The virtual cluster's Slurm is the one real clusters run: munged for authentication,
slurmctld in the head namespace (host name head) and one slurmd per host namespace (node1,
node2...). Every daemon is a child of the cluster's owner, run in the foreground (-D, -F) and
remembered by pid; all of them live in the cluster's network namespaces, so that removing the
cluster by its name (cluster.remove) finds and ends them even after its owner was killed.

- munged: this cluster's own, on a socket of its own (slurm.conf's AuthInfo=socket=...), in
  the head namespace. A munged that someone else runs on the machine's usual socket is never
  touched: not used, not stopped. So clusters side by side (and the machine's own Slurm, if
  any) do not depend on each other's daemons.
- Each slurmd gets a mount namespace with its own tmpfs on /tmp, as a real node has its own
  /tmp: PMIx's per-step folders (spmix_appdir_<uid>_<job>.<step>) would collide in a shared
  one. Slurm's own files are therefore outside /tmp, in the cluster's state folder
  (cluster.STATE/NAME); the folders under /tmp that hold the working folder or the project
  (a clone in /tmp) are bound back into each host's /tmp, so its binaries still run there.
- slurmd is started with nsenter --net (not `ip netns exec`, which mounts a /sys without
  /sys/fs/cgroup, where slurmd refuses to start).
- Ports: each cluster's daemons listen on its own namespaces' addresses, so clusters cannot
  collide; the ports are still derived from the cluster's name, unique per cluster, so that
  two clusters never share one even in a log or a capture.
"""
import os
import re
import shutil
import signal
import subprocess
import time

from . import project

DAEMONS = ("munged", "slurmctld", "slurmd", "srun", "sbatch", "scontrol", "sinfo")
READY_S = 60.0  # a daemon's start, on a machine loaded by other work

CONF = """# Slurm of virtual cluster {name}; made by scripts/vcluster.py, removed with the cluster.
ClusterName={cluster}
SlurmctldHost=head({head})
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={munge_socket}
CredType=cred/munge
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SrunPortRange={srun_lo}-{srun_hi}
StateSaveLocation={folder}/state
SlurmdSpoolDir={folder}/spool-%n
SlurmctldPidFile={folder}/slurmctld.pid
SlurmdPidFile={folder}/slurmd-%n.pid
SlurmctldLogFile={folder}/slurmctld.log
SlurmdLogFile={folder}/slurmd-%n.log
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=pmix
SlurmdParameters=config_overrides
ReturnToService=2
SchedulerType=sched/backfill
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
{nodes}
PartitionName=gf Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""


class SlurmError(RuntimeError):
    """Slurm could not be started on the cluster; the message is one line naming why."""


def missing():
    """Why Slurm cannot run on a virtual cluster here (a command not installed), or None."""
    for tool, pkg in (("munged", "munge"), ("slurmctld", "slurm-wlm"), ("slurmd", "slurm-wlm"),
                      ("srun", "slurm-wlm"), ("nsenter", "util-linux"),
                      ("setpriv", "util-linux")):
        if not shutil.which(tool):
            return f"no {tool} command ({pkg} is not installed)"
    if not os.path.isfile("/etc/munge/munge.key"):
        return "no /etc/munge/munge.key (munge is not set up)"
    return None


def ports(name):
    """(slurmctld's port, slurmd's, the first of srun's 50) of cluster name: from its name."""
    base = 20000 + (int.from_bytes(name.encode(), "little") % 800) * 50
    return base, base + 1, base + 2


def node_line(host, addr):
    """slurm.conf's line for one virtual host: this machine's CPUs, as slurmd -C sees them."""
    words = {"CPUs": str(os.cpu_count() or 1)}
    try:
        out = subprocess.run(["slurmd", "-C"], capture_output=True, text=True,
                             timeout=30).stdout
        for w in out.split():
            k, _, v = w.partition("=")
            if k in ("CPUs", "Boards", "SocketsPerBoard", "CoresPerSocket", "ThreadsPerCore"):
                words[k] = v
    except (OSError, subprocess.TimeoutExpired):
        pass
    return f"NodeName={host} NodeAddr={addr} " + " ".join(f"{k}={v}" for k, v in words.items())


class Slurm:
    """The daemons of one cluster's Slurm: start() them, stop() them (by pid)."""

    def __init__(self, vc, folder):
        self.vc, self.folder = vc, folder
        self.conf = os.path.join(folder, "slurm.conf")
        self.munge_socket = os.path.join(folder, "munge", "socket")
        self.children = []  # (what, Popen)

    def env(self):
        return {"SLURM_CONF": self.conf}

    def _spawn(self, what, ns, argv):
        log = open(os.path.join(self.folder, f"{what}.out"), "wb")
        try:
            child = subprocess.Popen(["nsenter", f"--net=/run/netns/{ns}"] + argv,
                                     stdin=subprocess.DEVNULL, stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        finally:
            log.close()
        self.children.append((what, child))
        with open(os.path.join(self.folder, "pids"), "a", encoding="utf-8") as f:
            f.write(f"{child.pid} {what}\n")
        return child

    def _wait_for(self, what, test):
        deadline = time.monotonic() + READY_S
        while time.monotonic() < deadline:
            for name, child in self.children:
                if child.poll() is not None:
                    raise SlurmError(f"{name} ended with status {child.returncode} at its start "
                                     f"({self.last_line(name)})")
            if test():
                return
            time.sleep(0.1)
        raise SlurmError(f"{what} not ready after {READY_S:g} s")

    def last_line(self, what):
        """The last line of a daemon's own output (its log on stdout), for a failure's line."""
        try:
            with open(os.path.join(self.folder, f"{what}.out"), encoding="utf-8",
                      errors="replace") as f:
                lines = [x.strip() for x in f.read().splitlines() if x.strip()]
        except OSError:
            lines = []
        errors = [x for x in lines if "error" in x.lower()]
        return (errors or lines or ["no output"])[-1]

    def _munged(self):
        mdir = os.path.dirname(self.munge_socket)
        os.mkdir(mdir, 0o755)  # munged wants its folder not writable by others, and executable
        shutil.chown(mdir, "munge", "munge")
        self._spawn("munged", self.vc.ns("head"), [
            "setpriv", "--reuid=munge", "--regid=munge", "--init-groups", "munged", "-F",
            f"--socket={self.munge_socket}", f"--pid-file={mdir}/pid",
            f"--seed-file={mdir}/seed", f"--log-file={mdir}/log"])

        def answers():
            if not os.path.exists(self.munge_socket):
                return False
            r = subprocess.run(["munge", "-n", "-S", self.munge_socket],
                               capture_output=True, timeout=30)
            return r.returncode == 0
        self._wait_for("munged", answers)

    def _write_conf(self):
        name = self.vc.name
        ctld, slurmd, srun = ports(name)
        nodes = "\n".join(node_line(h, self.vc.address(h)) for h in self.vc.hosts)
        text = CONF.format(name=name, cluster=name[:40], head=self.vc.address("head"),
                           munge_socket=self.munge_socket, ctld_port=ctld, slurmd_port=slurmd,
                           srun_lo=srun, srun_hi=srun + 47, folder=self.folder, nodes=nodes)
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(text)
        os.mkdir(os.path.join(self.folder, "state"), 0o755)
        for h in self.vc.hosts:
            os.mkdir(os.path.join(self.folder, f"spool-{h}"), 0o755)

    def idle_nodes(self):
        """The hosts slurmctld says are idle (none when it does not answer)."""
        r = subprocess.run(self.vc.entered(["sinfo", "-h", "-N", "-o", "%N %t"]),
                           capture_output=True, text=True, timeout=30,
                           env=dict(os.environ, **self.env()))
        return {w[0] for w in (x.split() for x in r.stdout.splitlines())
                if len(w) == 2 and w[1] == "idle"} if r.returncode == 0 else set()

    def start(self):
        """munged, slurmctld and the slurmds, each ready before the next; SlurmError, or an
        OSError, when one is not (the caller removes what was started)."""
        self._munged()
        self._write_conf()
        self._spawn("slurmctld", self.vc.ns("head"), [
            "unshare", "--uts", "--", "sh", "-c", 'hostname head && exec slurmctld -D -f "$0"',
            self.conf])
        keep = kept_in_tmp([os.getcwd(), project.ROOT])
        for h in self.vc.hosts:
            stage = os.path.join(self.folder, f"kept-{h}")
            os.makedirs(stage, exist_ok=True)
            self._spawn(f"slurmd-{h}", self.vc.ns(h), [
                "unshare", "--uts", "--mount", "--propagation", "private", "--", "sh", "-c",
                KEEP_TMP + 'hostname "$1" && exec slurmd -D -f "$0" -N "$1"',
                self.conf, h, stage] + keep)
        want = set(self.vc.hosts)
        self._wait_for(f"slurmd on {', '.join(self.vc.hosts)}",
                       lambda: want <= self.idle_nodes())

    def stop(self, grace=5.0):
        """Stops the daemons started here by pid: SIGTERM, then SIGKILL after grace seconds;
        each reaped. The slurmds first, munged last (the others talk to it as they end)."""
        order = sorted(self.children, key=lambda c: ("slurmd" not in c[0],
                                                     c[0] == "munged"))
        for what, child in order:
            if child.poll() is None:
                try:
                    child.send_signal(signal.SIGTERM)
                    child.wait(timeout=grace)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
                except ProcessLookupError:
                    pass
        self.children = []


# A slurmd's own /tmp ("$2" a folder outside /tmp to stage in, "$3"... the folders under /tmp
# that its jobs must still see): each such folder is bound to the stage, the tmpfs mounted,
# and the folder bound back at its place. All in the slurmd's own mount namespace, which ends
# with it.
KEEP_TMP = (
    'stage=$2; i=0; for d in "$@"; do i=$((i + 1)); [ $i -gt 2 ] || continue; '
    'mkdir -p "$stage/$i" && mount --bind "$d" "$stage/$i" || exit 1; done; '
    'mount -t tmpfs -o mode=1777 tmpfs /tmp || exit 1; '
    'i=0; for d in "$@"; do i=$((i + 1)); [ $i -gt 2 ] || continue; '
    'mkdir -p "$d" && mount --bind "$stage/$i" "$d" || exit 1; done; ')


def kept_in_tmp(paths):
    """The folders right under /tmp that hold any of paths (the working folder, the project
    with its build), which a virtual Slurm host's own /tmp would otherwise hide: a clone in
    /tmp still runs its binaries under srun."""
    tmp = os.path.realpath("/tmp")
    keep = []
    for p in paths:
        rel = os.path.relpath(os.path.realpath(p), tmp)
        if rel != "." and not rel.startswith(".."):
            top = os.path.join(tmp, rel.split(os.sep)[0])
            if top not in keep:
                keep.append(top)
    return keep


def stop_recorded(folder, grace=5.0):
    """Stops, by the pids recorded in a cluster's Slurm folder, the daemons that another
    (a killed) owner started; those already gone are skipped. Returns the pids that stayed."""
    try:
        with open(os.path.join(folder, "pids"), encoding="utf-8") as f:
            recorded = [(int(w[0]), w[1]) for w in (x.split() for x in f) if len(w) == 2
                        and w[0].isdigit()]
    except OSError:
        return []
    pids = [p for p, what in recorded if _is(p, what)]
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        for p in pids:
            try:
                os.kill(p, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + wait
        while pids and time.monotonic() < deadline:
            time.sleep(0.05)
            pids = [p for p in pids if os.path.exists(f"/proc/{p}")
                    and not _zombie(p)]
        if not pids:
            break
    return pids


def _is(pid, what):
    """Whether pid is still the daemon recorded as what (not a pid reused by another)."""
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8") as f:
            comm = f.read().strip()
    except OSError:
        return False
    return comm == what.split("-")[0]


def _zombie(pid):
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


# ---- inside an allocation ---------------------------------------------------------------------


def allocation():
    """(job id, [its nodes]) of the Slurm allocation this process runs in, or None outside one.
    The nodes are SLURM_JOB_NODELIST's, expanded by scontrol (node[1-3] -> node1, node2...).
    RuntimeError with one line when the list cannot be read."""
    job = os.environ.get("SLURM_JOB_ID")
    if not job:
        return None
    text = os.environ.get("SLURM_JOB_NODELIST") or os.environ.get("SLURM_NODELIST")
    if not text:
        raise RuntimeError(f"allocation {job} has no SLURM_JOB_NODELIST")
    try:
        r = subprocess.run(["scontrol", "show", "hostnames", text], capture_output=True,
                           text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise RuntimeError(f"scontrol show hostnames {text}: {e}") from None
    nodes = r.stdout.split()
    if r.returncode != 0 or not nodes:
        raise RuntimeError(f"scontrol show hostnames {text}: "
                           + ((r.stderr.strip().splitlines() or ["no nodes"])[-1]))
    return job, nodes


# "cpu-bind=MASK - node1, task  0  0 [21859]: mask 0x1 set" (srun --cpu-bind=verbose)
_BIND = re.compile(r"cpu[-_]bind[^-]*- (\S+), task\s+([0-9]+)\s+[0-9]+\s+\[[0-9]+\]: "
                   r"mask (0x[0-9a-fA-F]+) set")


def bindings(stderr):
    """[{"rank": r, "host": node, "mask": "0x3"}] in rank order, from the lines that srun
    --cpu-bind=verbose prints: Slurm's own view of where each task ran and the CPUs it was
    bound to; [] when there are none."""
    seen = {}
    for line in stderr.splitlines():
        m = _BIND.search(line)
        if m:
            seen.setdefault(int(m.group(2)), {"rank": int(m.group(2)), "host": m.group(1),
                                               "mask": m.group(3).lower()})
    return [seen[r] for r in sorted(seen)]


def mask_cpus(mask):
    """The CPUs of a mask ("0x5" -> [0, 2])."""
    v = int(mask, 16)
    return [c for c in range(v.bit_length()) if v >> c & 1]


def cpus_per_node(text):
    """The first node's CPUs of SLURM_JOB_CPUS_PER_NODE ("2(x2),4" -> 2), or None."""
    m = re.match(r"([0-9]+)", text or "")
    return int(m.group(1)) if m else None


class Allocation:
    """The nodes of the Slurm allocation this process runs in, as compare.py --slurm runs
    across them: the interface of cluster.Cluster and Hostfile (up and down do nothing: the
    allocation is Slurm's), for the "srun" launcher."""

    launcher = "srun"

    def __init__(self):
        got = allocation()
        if got is None:
            raise RuntimeError("not inside a Slurm allocation (no SLURM_JOB_ID): run it under "
                               "sbatch or salloc")
        self.job, self.hosts = got
        self.name = f"job {self.job}"
        self.cpus = cpus_per_node(os.environ.get("SLURM_JOB_CPUS_PER_NODE"))

    def values(self):
        return {"hosts": self.hosts}

    def nodes(self, mapping, ranks, threads):
        """How many of the allocation's nodes a run takes: one for a run on one host; one rank
        per node in turn for "spread"; as few as hold its CPUs for "packed"."""
        if mapping is None:
            return 1
        if mapping == "packed" and self.cpus:
            return max(1, min(len(self.hosts), -(-ranks * threads // self.cpus)))
        return max(1, min(len(self.hosts), ranks))

    def describe(self):
        return {"kind": "cluster", "cluster": "slurm", "name": self.name, "job": self.job,
                "hosts": list(self.hosts), "cpus_per_node": self.cpus,
                "conf": os.environ.get("SLURM_CONF"),
                "transport": "Open MPI's choice between the hosts, ranks started by srun "
                "(PMIx)"}

    def up(self):
        return self

    def down(self):
        return []
