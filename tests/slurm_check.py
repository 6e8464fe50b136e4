#!/usr/bin/env python3
"""Slurm on a 2-host virtual cluster (scripts/vcluster.py run 2 --slurm), and clusters whose
owner was killed.

- srun: in one cluster, srun --mpi=pmix runs gilfree-mpi (2 ranks) and gilfree-hybrid (2 ranks
  of 2 threads, --cpus-per-task 2) across node1 and node2: each verified, its placement (the
  binary's) on both hosts, and Slurm's own view (--cpu-bind=verbose) puts task 0 on node1 and
  task 1 on node2, a hybrid rank bound to 2 CPUs; then the shipped batch script
  (scripts/slurm/gilfree.sbatch) through sbatch --wait runs compare.py --slurm inside its
  allocation: mpi@spread and hybrid@spread verified with ranks on both nodes and a CPU mask for
  each worker, the one-node rows on one node, a topology record from hwloc; then nothing left.
- leftovers: SIGTERM to vcluster.py run 2 --slurm while a job step runs: exit 143, and no
  slurmd, slurmctld or munged of the cluster, no namespace, no folder left; compare.py --slurm
  outside an allocation: exit 2, one line.
- stale (no Slurm needed): vcluster.py run's owner (with and without --slurm) and
  compare.py --vcluster killed with SIGKILL leave their cluster; the next cluster command
  (list) removes it and says so in one line; down under another TMPDIR
  removes the folder of a cluster made under the first, or says it cannot (never a silent 0).

Exit status 0 passed, 1 failed, 77 skipped (not root, no network namespaces, or Slurm not
installed: the reason is printed).

  slurm_check.py --build build [--only srun|leftovers|stale]
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, fail, status, text_when_written  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from gilfree import cluster, launch  # noqa: E402
try:  # the stale part runs against a tree without Slurm support too (before its fix)
    from gilfree import slurm  # noqa: E402
except ImportError:
    slurm = None
STATE = getattr(cluster, "STATE", "/run/gilfree/vcluster")

VCLUSTER = os.path.join(ROOT, "scripts", "vcluster.py")
COMPARE = os.path.join(ROOT, "scripts", "compare.py")
SBATCH = os.path.join(ROOT, "scripts", "slurm", "gilfree.sbatch")
SKIP = 77
ENV = dict(os.environ, **launch.MPI_ENV)
for k in [k for k in ENV if k.startswith("SLURM_")]:  # never inside a job of another Slurm
    del ENV[k]


def leftovers(name):
    """What of cluster name is still on the machine: namespaces, folders, processes (those
    naming it in their command line or environment: its daemons name its state folder)."""
    left = [ns for ns in cluster.namespaces() if ns.startswith(name + "-")]
    left += [p for p in (os.path.join(tempfile.gettempdir(), name),
                         os.path.join(STATE, name)) if os.path.exists(p)]
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                cmd = f.read().decode(errors="replace").replace("\0", " ")
            with open(f"/proc/{d}/stat", encoding="utf-8") as f:
                zombie = f.read().rsplit(")", 1)[1].split()[0] == "Z"
        except (OSError, IndexError):
            continue
        if name in cmd and not zombie:
            left.append(f"pid {d} ({cmd[:60]})")
    return left


def nothing_left(name, what):
    left = leftovers(name) if name else ["(no cluster name)"]
    check(not left, f"{what}: nothing of {name} left", ", ".join(left))


def records_of(stdout):
    return [json.loads(x) for x in stdout.splitlines() if x.startswith("{")]


# ---- srun and sbatch ----------------------------------------------------------------------------


SRUN_STEPS = """echo "$GF_VCLUSTER" > {name_file}
srun -N 2 -n 2 --mpi=pmix --cpu-bind=verbose {build}/bin/gilfree-mpi primes --format json
srun -N 2 -n 2 -c 2 --mpi=pmix --cpu-bind=verbose {build}/bin/gilfree-hybrid primes \\
    --workers 4 --threads 2 --format json
env GF_PREFIX={root} GF_REPORT_DIR={report} GF_COMPARE_ARGS="--build {build} --classes S \\
    --workers 2 --only backend=mpi,backend=hybrid,workload=sum --reps 1 --reruns 0 \\
    --bench-quick -q" sbatch --wait --output={batch_out} {sbatch}
"""


def check_step(rec, binds, what, ranks, cpus):
    check(rec is not None and rec.get("verified") is True, f"{what}: verified")
    hosts = {p["host"] for p in (rec or {}).get("placement", [])}
    check(hosts == {"node1", "node2"}, f"{what}: the binary's placement on node1 and node2",
          str(hosts))
    check([(b["rank"], b["host"]) for b in binds] == [(r, f"node{r + 1}") for r in range(ranks)],
          f"{what}: Slurm put task 0 on node1 and task 1 on node2", str(binds))
    check(all(len(slurm.mask_cpus(b["mask"])) == cpus for b in binds),
          f"{what}: each rank bound by Slurm to {cpus} CPU(s)", str(binds))
    check((rec or {}).get("topology", {}).get("where") == "hosts",
          f"{what}: its topology says it ran across hosts",
          str((rec or {}).get("topology")))


def check_compare(report):
    try:
        with open(os.path.join(report, "records.jsonl"), encoding="utf-8") as f:
            recs = [json.loads(x) for x in f if x.strip()]
    except (OSError, ValueError) as e:
        fail("sbatch: compare.py --slurm wrote its records", str(e))
        return
    cl = [r for r in recs if r.get("kind") == "cluster"]
    check(len(cl) == 1 and cl[0].get("cluster") == "slurm" and
          cl[0].get("hosts") == ["node1", "node2"], "compare.py --slurm: the allocation's "
          "nodes node1 and node2 in its cluster record", str(cl))
    runs = {r["label"]: r for r in recs if r.get("kind") == "run"}
    for lab, hosts in (("mpi@spread", {"node1", "node2"}), ("hybrid@spread",
                                                           {"node1", "node2"}),
                       ("mpi", None), ("hybrid", None)):
        r = runs.get(lab)
        place = (r or {}).get("placement", [])
        used = {p["host"] for p in place}
        want = hosts or {next(iter(used), "?")}
        check(r is not None and r["verified"] is True and used == want and len(want) ==
              (2 if hosts else 1) and all(p.get("mask") for p in place) and
              r.get("binding_from") == "srun --cpu-bind=verbose",
              f"compare.py --slurm: {lab} verified on {', '.join(sorted(want))}, each worker's "
              "CPU mask from Slurm", json.dumps(place))
    topo = [r for r in recs if r.get("kind") == "topology"]
    check(topo and topo[0].get("pus", 0) >= 1 and
          os.path.isfile(os.path.join(report, "topology.xml")),
          "compare.py --slurm: the machine's topology from hwloc", str(topo))


def part_srun(build):
    with tempfile.TemporaryDirectory() as tmp:
        # the report must be where the batch step on node1 sees it: not under /tmp
        work = tempfile.mkdtemp(prefix=".slurm-check-", dir=os.path.dirname(build))
        try:
            report, batch_out = os.path.join(work, "report"), os.path.join(work, "batch.out")
            name_file = os.path.join(tmp, "name")
            script = SRUN_STEPS.format(name_file=name_file, build=build, root=ROOT,
                                       report=report, batch_out=batch_out, sbatch=SBATCH)
            r = subprocess.run([sys.executable, VCLUSTER, "run", "2", "--slurm", "--", "sh",
                                "-ec", script], capture_output=True, text=True, env=ENV,
                               cwd=work, timeout=400)
            check(r.returncode == 0, "vcluster.py run 2 --slurm: srun twice and sbatch --wait, "
                  "exit 0", f"exit {r.returncode}: {r.stderr[-1500:]}")
            recs = records_of(r.stdout)
            # each step's two --cpu-bind lines, the gilfree-mpi step's first
            lines = [x for x in r.stderr.splitlines() if "cpu-bind" in x]
            mpi = next((x for x in recs if x.get("backend") == "mpi"), None)
            hyb = next((x for x in recs if x.get("backend") == "hybrid"), None)
            check_step(mpi, slurm.bindings("\n".join(lines[:2])),
                       "srun --mpi=pmix gilfree-mpi on 2 hosts", 2, 1)
            check_step(hyb, slurm.bindings("\n".join(lines[2:4])),
                       "srun --mpi=pmix -c 2 gilfree-hybrid on 2 hosts", 2, 2)
            check_compare(report)
            try:
                with open(name_file, encoding="utf-8") as f:
                    name = f.read().strip()
            except OSError:
                name = None
            nothing_left(name, "after srun and sbatch")
        finally:
            subprocess.run(["rm", "-rf", work])


# ---- leftovers -----------------------------------------------------------------------------------


def start_run(args, inner, name_file, out=subprocess.PIPE):
    """vcluster.py run 2 ARGS -- sh -c INNER, which first writes the cluster's name; out
    DEVNULL for a run whose owner is to be killed (its command would hold the pipes open)."""
    return subprocess.Popen([sys.executable, VCLUSTER, "run", "2"] + args +
                            ["--", "sh", "-c", f'echo "$GF_VCLUSTER" > {name_file}; {inner}'],
                            stdout=out, stderr=out, text=True, env=ENV,
                            start_new_session=True)


def sigterm_mid_step(tmp):
    path = os.path.join(tmp, "term")
    child = start_run(["--slurm"], "exec srun -N 2 -n 2 sleep 300", path)
    name = text_when_written(path, time.monotonic() + 120)
    if not check(name is not None, "SIGTERM: the cluster came up"):
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        return
    deadline, sleepers = time.monotonic() + 60, 0
    while time.monotonic() < deadline and sleepers < 2:  # the step's tasks, on the nodes
        sleepers = sum(1 for line in subprocess.run(
            ["ps", "-eo", "comm"], capture_output=True, text=True).stdout.split()
            if line == "slurmstepd")
        time.sleep(0.2)
    daemons = [x for x in leftovers(name) if x.startswith("pid")]
    check(len(daemons) >= 4, f"SIGTERM: munged, slurmctld and 2 slurmd running "
          f"({len(daemons)} processes of {name})")
    os.kill(child.pid, signal.SIGTERM)
    try:
        _, err = child.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        _, err = child.communicate()
    check(child.returncode == 143 and "interrupted by SIGTERM" in err,
          "SIGTERM mid-step: exit 143, says so", f"exit {child.returncode}: {err[-500:]}")
    nothing_left(name, "SIGTERM mid-step")


def outside_allocation(build):
    out = os.path.join(tempfile.gettempdir(), f"slurm-check-{os.getpid()}")
    r = subprocess.run([sys.executable, COMPARE, "--build", build, "--slurm", "-o", out],
                       capture_output=True, text=True, env=ENV, timeout=60)
    lines = r.stderr.splitlines()
    check(r.returncode == 2 and len(lines) == 1 and "--slurm" in lines[0] and
          not os.path.exists(out), "compare.py --slurm outside an allocation: exit 2, one line",
          r.stderr)


def part_leftovers(build):
    with tempfile.TemporaryDirectory() as tmp:
        sigterm_mid_step(tmp)
        outside_allocation(build)


# ---- stale clusters --------------------------------------------------------------------------------


def killed_owner(tmp, args):
    what = " ".join(["owner of run 2"] + args + ["killed"])
    path = os.path.join(tmp, "killed" + "".join(args))
    child = start_run(args, "sleep 300", path, subprocess.DEVNULL)
    name = text_when_written(path, time.monotonic() + 120)
    if not check(name is not None, f"{what}: the cluster came up"):
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        return
    os.kill(child.pid, signal.SIGKILL)  # the owner only: its cluster stays behind
    child.wait()
    check(leftovers(name), f"{what}: its cluster stays behind")
    r = subprocess.run([sys.executable, VCLUSTER, "list"], capture_output=True, text=True,
                       env=ENV, timeout=120)
    said = [x for x in r.stderr.splitlines() if name in x]
    check(r.returncode == 0 and len(said) == 1 and "removed" in said[0] and
          str(child.pid) in said[0] and name not in r.stdout,
          f"{what}: the next command removes it and says so in one line", r.stderr)
    nothing_left(name, what)


def killed_compare(tmp, build):
    """compare.py --vcluster 2 killed with SIGKILL while its cluster is up."""
    what = "owner compare.py --vcluster 2 killed"
    out = os.path.join(tmp, "compare")
    child = subprocess.Popen([sys.executable, COMPARE, "--build", build, "--vcluster", "2",
                              "--classes", "S", "--workers", "2", "--only",
                              "backend=mpi,workload=primes", "--reps", "1", "-q", "-o", out],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV,
                             start_new_session=True)
    deadline, name = time.monotonic() + 300, None
    while name is None and time.monotonic() < deadline and child.poll() is None:
        try:
            with open(os.path.join(out, "records.jsonl"), encoding="utf-8") as f:
                name = next((json.loads(x)["name"] for x in f
                             if '"kind":"cluster"' in x.replace(" ", "")), None)
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.1)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    if not check(name is not None, f"{what}: its cluster came up"):
        return
    check(leftovers(name), f"{what}: its cluster stays behind")
    r = subprocess.run([sys.executable, VCLUSTER, "list"], capture_output=True, text=True,
                       env=ENV, timeout=120)
    said = [x for x in r.stderr.splitlines() if name in x]
    check(len(said) == 1 and "removed" in said[0] and str(child.pid) in said[0],
          f"{what}: the next command removes it and says so in one line", r.stderr)
    nothing_left(name, what)


def down_elsewhere(tmp):
    first, second = os.path.join(tmp, "tmpdir1"), os.path.join(tmp, "tmpdir2")
    os.mkdir(first)
    os.mkdir(second)
    r = subprocess.run([sys.executable, VCLUSTER, "up", "2"], capture_output=True, text=True,
                       env=dict(ENV, TMPDIR=first), timeout=120)
    name = r.stdout.split("\n", 1)[0].strip()
    if not check(r.returncode == 0 and os.path.isdir(os.path.join(first, name)),
                 f"up 2 under TMPDIR {first}: its folder there", r.stderr):
        return
    d = subprocess.run([sys.executable, VCLUSTER, "down", name], capture_output=True,
                       text=True, env=dict(ENV, TMPDIR=second), timeout=120)
    gone = not os.path.exists(os.path.join(first, name))
    check(d.returncode == 0 and gone, "down under another TMPDIR: exit 0 and the folder gone",
          f"exit {d.returncode}, folder {'gone' if gone else 'left'}: {d.stderr}")
    check(d.returncode != 0 or gone, "down under another TMPDIR: never exit 0 with the folder "
          "left")
    subprocess.run([sys.executable, VCLUSTER, "down", name], capture_output=True,
                   env=dict(ENV, TMPDIR=first))
    nothing_left(name, "down under another TMPDIR")


def part_stale(with_slurm, build):
    with tempfile.TemporaryDirectory() as tmp:
        killed_owner(tmp, [])
        if with_slurm:
            killed_owner(tmp, ["--slurm"])
        if os.access(os.path.join(build, "bin", "gilfree-mpi"), os.X_OK):
            killed_compare(tmp, build)
        down_elsewhere(tmp)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--only", choices=("srun", "leftovers", "stale"))
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    why = cluster.missing()
    no_slurm = slurm.missing() if slurm else "no Slurm support in this tree"
    if why or (no_slurm and a.only != "stale"):
        print(f"skipped: cannot build a virtual Slurm cluster here: {why or no_slurm}")
        return SKIP
    if a.only in (None, "srun"):
        part_srun(build)
    if a.only in (None, "leftovers"):
        part_leftovers(build)
    if a.only in (None, "stale"):
        part_stale(not no_slurm, build)
    return status()


if __name__ == "__main__":
    sys.exit(main())
