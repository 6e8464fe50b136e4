#!/usr/bin/env python3
"""gilfree-mpi across the hosts of a virtual cluster (scripts/gilfree/cluster.py), and the
cluster leaving nothing behind (scripts/vcluster.py).

- results: the three workloads, with parameters no other test uses, across 2 virtual hosts
  (3 ranks, one per host in turn) and 3 (5 ranks, each host's 2 slots filled in turn): each
  run verified, its results identical to the same run on one host (the machine's own mpirun),
  its ranks on at least two hosts, as mpirun's job map says and as the binary counted them,
  every host used having sent and received over its link; then bench ipc between two hosts:
  every checked quantity right, and the second host's link carried at least the ping-pong's
  payload, so the messages went by TCP over the bridge, not by shared memory.
- leftovers: vcluster.py run after success, after a command that exits 1, and after SIGINT,
  SIGTERM and SIGHUP to the script mid-run (every process of the job checked to be inside the
  cluster's namespaces first); up then down; two runs side by side; bad arguments (exit 2, one
  line, nothing made). After each: no namespace of the cluster, no folder, no process carrying
  its name, no new link in the machine's own namespace.
- clock: across 2 virtual hosts, the 8-byte scatter of bench ipc and the scatter phase of a
  static primes run are at least the one-way ping-pong's least latency between the same hosts
  (one time base: no message reads faster than the wire), and the record names the clocks'
  ping-pong synchronisation with its error bound.
- compare: compare.py --vcluster 2 (every MPI row spread over the two hosts and packed on one,
  results those of one host, the IPC benchmark both ways, the report's section Across hosts
  with its tables and plot, the cluster gone after); --hostfile with the hosts of a virtual
  cluster and --mpirun-args '--map-by node' (the real-cluster path); SIGINT while the cluster
  is up (exit 130, the cluster gone); bad --vcluster, --rate, --hostfile and --mpirun-args
  (exit 2, one line, no results folder and no cluster).

Exit status 0 passed, 1 failed, 77 skipped (not root, or no network namespaces: the reason is
printed).

  cluster_check.py --binary build/bin/gilfree-mpi [--only results|leftovers|compare]
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from gilfree import cluster, launch  # noqa: E402
from checks import text_when_written  # noqa: E402

VCLUSTER = os.path.join(ROOT, "scripts", "vcluster.py")
MPI_ENV = dict(os.environ, **launch.MPI_ENV)
SKIP = 77

# Parameters of this test only: an odd n, a limit list of primes and composites in no order,
# images of an odd size.
CASES = [
    ("sum", ["--n", "1234577"]),
    ("primes", ["--limits", "77777,12345,54321,99991,3001,65537"]),
    ("resize", ["--images", "5", "--width", "641", "--height", "363"]),
]
# (hosts, ranks, mapping): one rank per host in turn; each host's slots filled in turn
LAYOUTS = [(2, 3, "node"), (3, 5, "slot")]

failures = []


def ok(msg):
    print("ok " + msg, flush=True)


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, flush=True)


def check(cond, msg):
    (ok if cond else fail)(msg)
    return cond


# ---- what the machine holds ------------------------------------------------------------------


def root_links():
    out = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    return {line.split(":")[1].strip().split("@")[0] for line in out.splitlines()
            if line.count(":") >= 2}


def proc_text(pid, name):
    try:
        with open(f"/proc/{pid}/{name}", "rb") as f:
            return f.read().decode(errors="replace")
    except OSError:
        return ""


def processes_of(name):
    """Pids of the processes that carry the cluster's name (GF_VCLUSTER in their environment,
    or the name in their command line)."""
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit() and int(d) != os.getpid():
            env = proc_text(d, "environ").split("\0")
            if f"GF_VCLUSTER={name}" in env or name in proc_text(d, "cmdline"):
                pids.append(int(d))
    return pids


def netns_inode(pid):
    try:
        return os.stat(f"/proc/{pid}/ns/net").st_ino
    except OSError:
        return None


def cluster_inodes(name):
    return {os.stat(f"/run/netns/{ns}").st_ino: ns for ns in cluster.namespaces()
            if ns.startswith(name + "-")}


def nothing_left(name, links_before, what):
    """The checks after a cluster is gone."""
    nss = [ns for ns in cluster.namespaces() if ns.startswith(name + "-")]
    check(not nss, f"{what}: no namespace of {name} left" + (f" ({', '.join(nss)})"
                                                             if nss else ""))
    folder = os.path.join(tempfile.gettempdir(), name)
    check(not os.path.exists(folder), f"{what}: {folder} removed")
    procs = processes_of(name)
    check(not procs, f"{what}: no process of {name} left"
          + (f" ({', '.join(proc_text(p, 'cmdline').replace(chr(0), ' ')[:60] for p in procs)})"
             if procs else ""))
    new = root_links() - links_before
    check(not new, f"{what}: no new link in the machine's namespace"
          + (f" ({', '.join(sorted(new))})" if new else ""))


def link_bytes(ns):
    """(received, sent) bytes of eth0 in namespace ns."""
    out = subprocess.run(["ip", "-n", ns, "-s", "-j", "link", "show", "eth0"],
                         capture_output=True, text=True).stdout
    st = json.loads(out)[0]["stats64"]
    return st["rx"]["bytes"], st["tx"]["bytes"]


# ---- results -----------------------------------------------------------------------------------


def record_of(stdout):
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[0]) if len(lines) == 1 else None


def one_host(binary, wl, args, ranks):
    argv, env = launch.command("mpirun", [binary, wl, "--workers", str(ranks), "--reps", "2",
                                          "--format", "json"] + args, ranks=ranks,
                               cores=os.cpu_count())
    r = subprocess.run(argv, env=dict(os.environ, **env), capture_output=True, text=True,
                       timeout=300)
    rec = record_of(r.stdout) if r.returncode == 0 else None
    if not check(rec is not None and rec["verified"] is True,
                 f"{wl} on one host, {ranks} ranks: verified"):
        print(r.stderr[-2000:])
    return rec


def across(vc, binary, wl, args, ranks, mapping, reference):
    hosts, what = len(vc.hosts), f"{wl} on {len(vc.hosts)} hosts, {ranks} ranks by {mapping}"
    before = {h: link_bytes(vc.ns(h)) for h in vc.hosts}
    argv, env = launch.command("vcluster", [binary, wl, "--workers", str(ranks), "--reps", "2",
                                            "--format", "json"] + args, ranks=ranks,
                               extra=["--map-by", mapping], **vc.values())
    r = subprocess.run(argv, env=dict(os.environ, **env), capture_output=True, text=True,
                       timeout=300)
    rec = record_of(r.stdout)
    if not check(r.returncode == 0 and rec is not None, f"{what}: exit 0 and one record"):
        print(r.stdout[-2000:], r.stderr[-2000:])
        return
    check(rec["verified"] is True, f"{what}: verified")
    if reference:
        check(rec["results"] == reference["results"],
              f"{what}: results identical to one host's")
    # where each rank ran: the binary's own placement when it has one, else mpirun's map
    place = rec.get("placement") or launch.placement(r.stdout)
    used = {p["host"] for p in place or ()}
    check(place is not None and len(place) == ranks and used <= set(vc.hosts),
          f"{what}: each rank's host known ({launch.ranks_per_host(place)})")
    expect = min(hosts, ranks) if mapping == "node" else -(-ranks // vc.slots)
    check(len(used) == expect and len(used) >= 2,
          f"{what}: {len(used)} hosts used, {expect} expected")
    check(rec.get("topology", {}).get("hosts") == len(used),
          f"{what}: the binary counted {rec.get('topology', {}).get('hosts')} hosts too")
    after = {h: link_bytes(vc.ns(h)) for h in vc.hosts}
    quiet = [h for h in used if not all(a > b for a, b in zip(after[h], before[h]))]
    check(not quiet, f"{what}: every host used sent and received over its link"
          + (f" (not {', '.join(quiet)})" if quiet else ""))


def tcp_between_hosts(vc, binary):
    """bench ipc, rank 0 on node1 and rank 1 on node2: node2's link must carry at least the
    ping-pong's payload (each iteration brings size bytes to rank 1)."""
    size, iters, warmup = 1 << 20, 20, 2
    before = link_bytes(vc.ns("node2"))
    argv, env = launch.command("vcluster", [binary, "bench", "ipc", "--min-size", "1m",
                                            "--max-size", "1m", "--iters", str(iters),
                                            "--warmup", str(warmup), "--format", "json"],
                               ranks=2, extra=["--map-by", "node"], **vc.values())
    r = subprocess.run(argv, env=dict(os.environ, **env), capture_output=True, text=True,
                       timeout=300)
    recs = [json.loads(x) for x in r.stdout.splitlines() if x.startswith("{")]
    place = launch.placement(r.stdout)
    check(place and [p["host"] for p in place] == ["node1", "node2"],
          f"bench ipc: rank 0 on node1, rank 1 on node2 ({launch.ranks_per_host(place)})")
    # a shared-memory window needs two ranks on one host: across hosts it has no partner
    wrong = [x["method"] for x in recs if x.get("ok") is False and
             x["method"] != "mpi_win_shared"]
    check(recs and not wrong, f"bench ipc between two hosts: every checked quantity right"
          + (f" (not {', '.join(wrong)})" if wrong else ""))
    got = link_bytes(vc.ns("node2"))[0] - before[0]
    need = size * (iters + warmup)
    check(got >= need, f"bench ipc: node2 received {got} bytes over its link, at least the "
          f"ping-pong's {need}: TCP between the hosts")


def bench_rows(vc, binary, size):
    """bench ipc at size bytes, rank 0 on node1 and rank 1 on node2: its records by method."""
    argv, env = launch.command("vcluster", [binary, "bench", "ipc", "--min-size", str(size),
                                            "--max-size", str(size), "--iters", "200",
                                            "--format", "json"],
                               ranks=2, extra=["--map-by", "node"], **vc.values())
    r = subprocess.run(argv, env=dict(os.environ, **env), capture_output=True, text=True,
                       timeout=300)
    recs = [json.loads(x) for x in r.stdout.splitlines() if x.startswith("{")]
    # a shared-memory window has no partner across hosts: its row says so, and is no failure
    wins = [x for x in recs if x.get("method") == "mpi_win_shared"]
    check(r.returncode == 0 and recs and all(x.get("no_partner") is True for x in wins) and wins,
          f"bench ipc {size} bytes across two hosts: its rows, the shared window's without "
          f"a partner ({r.returncode}, {wins})")
    return {x.get("method"): x for x in recs}


def one_way(rows):
    """The least one-way latency of the ping-pong, in seconds, or None."""
    lat = rows.get("mpi_pingpong", {}).get("lat_us")
    return lat["min"] * 1e-6 if isinstance(lat, dict) else None


def part_clock(binary):
    """One time base across hosts: a message between two hosts cannot take less than the
    one-way latency, whatever the ranks' clocks say. The 8-byte scatter of bench ipc, and the
    scatter phase of a static primes run, each from the first rank's start to the last rank's
    end, are at least the ping-pong's least one-way latency between the same hosts; the
    record says how the clocks were put on one base, and how far it can be off."""
    links = root_links()
    with cluster.Cluster(2, slots=1) as vc:
        ok(f"{vc.name}: 2 hosts up")
        # The one-way latency is the least of two runs' ping-pongs: a neighbour's load can
        # hold up every round trip of one run (a least of 27 us where 10 us is usual), and
        # the bound is the link's, not that run's.
        runs = [bench_rows(vc, binary, 8) for _ in range(2)]
        lats = [x for x in (one_way(rows) for rows in runs) if x is not None]
        lat = min(lats) if lats else None
        rows = runs[0]
        for k, rows_k in enumerate(runs):
            scatter = rows_k.get("mpi_scatter", {}).get("lat_us")
            if not check(lat is not None and isinstance(scatter, dict),
                         f"bench ipc, run {k + 1}: a ping-pong and a scatter row "
                         f"({sorted(rows_k)})"):
                continue
            check(scatter["median"] * 1e-6 >= lat,
                  f"bench ipc, run {k + 1}: the 8-byte scatter's median "
                  f"{scatter['median']:.1f} us is at least the one-way ping-pong's least "
                  f"{lat * 1e6:.1f} us")
            # every round carries one message across: even the fastest, less the clocks'
            # offset error and the timer's noise (a late rank's per-rank clock read 5 us)
            check(scatter["min"] * 1e-6 >= 0.8 * lat,
                  f"bench ipc, run {k + 1}: the 8-byte scatter's fastest round "
                  f"{scatter['min']:.1f} us is at least 0.8 x the one-way ping-pong's least "
                  f"{lat * 1e6:.1f} us")
        argv, env = launch.command("vcluster", [binary, "primes", "--schedule", "static",
                                                "--reps", "10", "--format", "json"],
                                   ranks=2, extra=["--map-by", "node"], **vc.values())
        # The bound is half the shortest of the sync's 16 round trips, about a one-way
        # latency on a quiet machine. The virtual hosts' ranks yield when idle, so beside a
        # process that keeps a core busy every round trip of a run may wait out its time
        # slice (1.2 ms bounds were seen in 1 run of 3 beside a spinner): up to 3 runs, to
        # one within it.
        limit = 2 * (lat or 0) + 1e-3
        bounds = []
        for _ in range(3):
            r = subprocess.run(argv, env=dict(os.environ, **env), capture_output=True,
                               text=True, timeout=300)
            rec = record_of(r.stdout)
            if r.returncode != 0 or rec is None or rec.get("verified") is not True:
                break  # a failure is not run again: the checks below say it
            bounds.append(rec.get("clock", {}).get("error_bound_s", 1))
            if bounds[-1] <= limit:
                break
        if check(r.returncode == 0 and rec is not None and rec["verified"],
                 "primes across two hosts: verified"):
            clock = rec.get("clock", {})
            check(rec["topology"]["hosts"] == 2 and clock.get("sync") == "ping-pong" and
                  clock.get("error_bound_s", 0) > 0 and clock.get("offset_max_s", -1) >= 0,
                  f"primes across two hosts: the clocks synchronised by ping-pong: {clock}")
            check(bounds and bounds[-1] <= limit,
                  f"primes: the offsets' error bound is about a one-way latency ({lat} s), "
                  f"the half round trip it was taken from, in one of {len(bounds)} runs: "
                  f"{bounds} s")
            # whatever the load: the hosts share this machine's clock, so the true offset is
            # 0 and the one measured lies within its bound; and a bound is half a round trip
            check(clock.get("offset_max_s", 1) <= clock.get("error_bound_s", 0),
                  f"primes: the offset measured, {clock.get('offset_max_s')} s, is within "
                  f"its bound {clock.get('error_bound_s')} s of the true 0 (one clock)")
            check(lat is not None and clock.get("error_bound_s", 0) >= 0.5 * lat,
                  f"primes: the bound {clock.get('error_bound_s')} s is at least half the "
                  f"one-way ping-pong's least {lat} s")
            phase = rec["phases"].get("scatter", {}).get("median")
            check(phase is not None and lat is not None and phase >= lat,
                  f"primes: the scatter phase's median {phase} s is at least the one-way "
                  f"ping-pong's least {lat} s")
            check(isinstance(rec.get("plausible"), bool),
                  f"primes: plausible {rec.get('plausible')} {rec.get('implausible', '')}")
    nothing_left(vc.name, links, "after the clock's runs on 2 hosts")


def part_results(binary):
    links = root_links()
    for hosts, ranks, mapping in LAYOUTS:
        refs = {wl: one_host(binary, wl, args, ranks) for wl, args in CASES}
        with cluster.Cluster(hosts, slots=2) as vc:  # "slot" fills 2 ranks a host
            ok(f"{vc.name}: {hosts} hosts up")
            for wl, args in CASES:
                across(vc, binary, wl, args, ranks, mapping, refs[wl])
            if hosts == 2:
                tcp_between_hosts(vc, binary)
        nothing_left(vc.name, links, f"after the runs on {hosts} hosts")


# ---- leftovers -----------------------------------------------------------------------------------


def start_run(hosts, inner, name_file):
    """vcluster.py run hosts -- sh -c 'echo $GF_VCLUSTER > name_file; inner', in a session of
    its own."""
    return subprocess.Popen([sys.executable, VCLUSTER, "run", str(hosts), "--", "sh", "-c",
                             f'echo "$GF_VCLUSTER" > {name_file}; {inner}'],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=MPI_ENV, start_new_session=True)


def finished(child, what, status):
    try:
        out, err = child.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        out, err = child.communicate()
        fail(f"{what}: vcluster.py did not end")
        return out, err
    if not check(child.returncode == status,
                 f"{what}: exit status {child.returncode}, {status} expected"):
        print(err[-2000:])
    return out, err


def run_to_end(tmp, links, what, inner, status):
    path = os.path.join(tmp, what.replace(" ", "_"))
    child = start_run(2, inner, path)
    out, _ = finished(child, what, status)
    name = text_when_written(path, time.monotonic() + 1)
    if check(name is not None, f"{what}: the command ran on a cluster ({name})"):
        nothing_left(name, links, what)
    return out


def interrupted(tmp, links, sig):
    what = f"{sig.name} mid-run"
    path = os.path.join(tmp, sig.name)
    child = start_run(2, "exec mpirun -np 2 --map-by node sleep 300", path)
    name = text_when_written(path, time.monotonic() + 60)
    if not check(name is not None, f"{what}: the command started on a cluster"):
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        return
    deadline, sleepers = time.monotonic() + 60, []
    while time.monotonic() < deadline and len(sleepers) < 2:
        sleepers = [p for p in processes_of(name) if proc_text(p, "cmdline").startswith("sleep")]
        time.sleep(0.1)
    check(len(sleepers) == 2, f"{what}: both ranks running")
    # isolation: every process of the job lives in one of the cluster's namespaces
    inodes = cluster_inodes(name)
    where = {p: inodes.get(netns_inode(p)) for p in processes_of(name)}
    outside = [p for p, ns in where.items() if ns is None and netns_inode(p) is not None]
    check(where and not outside, f"{what}: the job's {len(where)} processes all in the "
          f"cluster's namespaces ({', '.join(sorted(set(filter(None, where.values()))))})")
    os.kill(child.pid, sig)
    _, err = finished(child, what, 128 + sig)
    check(f"interrupted by {sig.name}" in err, f"{what}: says it was interrupted")
    nothing_left(name, links, what)


def up_down(links):
    r = subprocess.run([sys.executable, VCLUSTER, "up", "3", "--rate", "200mbit"],
                       capture_output=True, text=True, env=MPI_ENV, timeout=120)
    name = r.stdout.split("\n", 1)[0].strip()
    if not check(r.returncode == 0 and cluster.NAME_RE.fullmatch(name), f"up 3: {name}"):
        print(r.stderr)
        return
    nss = sorted(ns for ns in cluster.namespaces() if ns.startswith(name + "-"))
    check(nss == sorted(f"{name}-{h}" for h in ("head", "switch", "node1", "node2", "node3")),
          f"up 3: namespaces {', '.join(nss)}")
    listed = subprocess.run([sys.executable, VCLUSTER, "list"], capture_output=True,
                            text=True).stdout
    check(f"{name} 3 hosts" in listed, "list names it")
    enter = os.path.join(tempfile.gettempdir(), name, "enter")
    h = subprocess.run([enter, "node2", "hostname"], capture_output=True, text=True)
    check(h.stdout.strip() == "node2", f"enter node2 hostname: {h.stdout.strip()}")
    qd = subprocess.run(["ip", "netns", "exec", f"{name}-node3", "tc", "qdisc", "show", "dev",
                         "eth0"],
                        capture_output=True, text=True).stdout
    check(" tbf " in f" {qd}" and "200Mbit" in qd, f"--rate: node3's link has tbf ({qd.strip()})")
    d = subprocess.run([sys.executable, VCLUSTER, "down", name], capture_output=True,
                       text=True, timeout=120)
    check(d.returncode == 0 and not d.stdout and not d.stderr, "down: exit 0, silent")
    nothing_left(name, links, "up then down")
    d = subprocess.run([sys.executable, VCLUSTER, "down", name], capture_output=True, text=True)
    check(d.returncode == 2 and name in d.stderr, "down again: exit 2 naming it")


def side_by_side(tmp, links):
    paths = [os.path.join(tmp, f"side{k}") for k in (1, 2)]
    children = [start_run(2, "mpirun -np 2 --map-by node hostname", p) for p in paths]
    outs = [finished(c, f"side by side {k}", 0)[0] for k, c in enumerate(children, 1)]
    names = [text_when_written(p, time.monotonic() + 1) for p in paths]
    check(None not in names and names[0] != names[1], f"side by side: two names {names}")
    for k, (name, out) in enumerate(zip(names, outs), 1):
        check(sorted(out.split()) == ["node1", "node2"], f"side by side {k}: ran on node1, "
              "node2")
        if name:
            nothing_left(name, links, f"side by side {k}")


def bad_input(links):
    before = set(cluster.clusters())
    for args, word in ((["up", "0"], "'0'"), (["up", "65"], "'65'"), (["run", "2"], "--"),
                       (["run", "x", "--", "true"], "'x'"), (["up", "2", "--rate", "1e9"],
                                                             "'1e9'"),
                       (["run", "2", "--rate", "fast", "--", "true"], "'fast'"),
                       (["down", "nothing"], "'nothing'"), (["up", "2", "--", "true"], "run")):
        r = subprocess.run([sys.executable, VCLUSTER] + args, capture_output=True, text=True)
        lines = r.stderr.splitlines()
        check(r.returncode == 2 and len(lines) == 1 and word in lines[0] and not r.stdout,
              f"bad input {' '.join(args)}: exit 2, one line naming {word}"
              + ("" if r.returncode == 2 else f" (exit {r.returncode}: {r.stderr.strip()})"))
    check(set(cluster.clusters()) == before and root_links() <= links,
          "bad input: nothing made")


def part_leftovers():
    links = root_links()
    with tempfile.TemporaryDirectory() as tmp:
        out = run_to_end(tmp, links, "success", "mpirun -np 2 --map-by node hostname", 0)
        check(sorted(out.split()) == ["node1", "node2"], "success: ran on node1 and node2")
        run_to_end(tmp, links, "a command that exits 1",
                   "mpirun -np 2 --map-by node hostname; exit 1", 1)
        run_to_end(tmp, links, "a failed job", "mpirun -np 2 --map-by node false", 1)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            interrupted(tmp, links, sig)
        up_down(links)
        side_by_side(tmp, links)
        bad_input(links)


# ---- compare.py across hosts ------------------------------------------------------------------


COMPARE = os.path.join(ROOT, "scripts", "compare.py")


def read_jsonl(path):
    try:
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError):
        return []


def compare_vcluster(build, tmp, links):
    out = os.path.join(tmp, "vcluster")
    r = subprocess.run([sys.executable, COMPARE, "--build", build, "--vcluster", "2",
                        "--classes", "S", "--workers", "2", "--only", "backend=mpi",
                        "--reps", "1", "--bench-quick", "-q", "-o", out],
                       capture_output=True, text=True, env=MPI_ENV, timeout=600)
    if not check(r.returncode == 0, f"compare.py --vcluster 2: exit 0 (exit {r.returncode})"):
        print(r.stdout[-3000:], r.stderr[-3000:])
    recs = read_jsonl(os.path.join(out, "records.jsonl"))
    cl = [x for x in recs if x.get("kind") == "cluster"]
    if not check(len(cl) == 1 and cl[0].get("cluster") == "virtual",
                 "compare.py --vcluster: one cluster record"):
        return
    name = cl[0]["name"]
    runs = {(x["label"], x["workload"]): x for x in recs if x.get("kind") == "run"}
    for wl in ("sum", "primes", "resize"):
        for m, hosts in (("spread", 2), ("packed", 1)):
            x = runs.get((f"mpi@{m}", wl))
            used = {p["host"] for p in (x or {}).get("placement", [])}
            check(x is not None and x["verified"] is True and len(used) == hosts and
                  x.get("hosts_used") == hosts and x["results"] == runs[("mpi", wl)]["results"],
                  f"compare.py --vcluster: mpi@{m} {wl} verified on {hosts} host(s), results "
                  "those of one host")
    wheres = {x.get("where") for x in recs if x.get("kind") == "hosts_bench"}
    check(wheres == {"one host", "2 hosts"}, f"compare.py --vcluster: bench ipc {wheres}")
    try:
        with open(os.path.join(out, "report.md"), encoding="utf-8") as f:
            md = f.read()
    except OSError:
        md = ""
    for text in ("## Across hosts", "### sum, class S: one host against several",
                 "### primes, class S: one host against several",
                 "### resize, class S: one host against several",
                 "### What a network hop costs against the task grain",
                 "### IPC between two hosts and within one",
                 "OpenMP and fork+pipes cannot cross hosts", "identical to it"):
        check(text in md, f"report.md: {text}")
    if subprocess.run(["sh", "-c", "command -v gnuplot"], capture_output=True).returncode == 0:
        check(os.path.isfile(os.path.join(out, "hosts_ipc_latency.png")) and
              "(hosts_ipc_latency.png)" in md, "report.md: the latency plot")
    nothing_left(name, links, "after compare.py --vcluster")


def compare_hostfile(build, tmp, links):
    """--hostfile on the hosts of a virtual cluster: the real-cluster path, run from the
    cluster's head namespace (vcluster.py run gives it Open MPI's settings)."""
    out = os.path.join(tmp, "hostfile")
    path = os.path.join(tmp, "hostfile-name")
    child = start_run(2, f'exec {sys.executable} {COMPARE} --build {build} --hostfile '
                      f'"$GF_VCLUSTER_HOSTFILE" --mpirun-args "--map-by node" --classes S '
                      f'--workers 2 --only backend=mpi,workload=primes --reps 1 --bench-quick '
                      f'-q -o {out}', path)
    finished(child, "compare.py --hostfile", 0)
    recs = read_jsonl(os.path.join(out, "records.jsonl"))
    x = next((r for r in recs if r.get("label") == "mpi@as-given"), None)
    check(x is not None and x["verified"] is True and
          {p["host"] for p in x.get("placement", [])} == {"node1", "node2"},
          "compare.py --hostfile --mpirun-args '--map-by node': primes on node1 and node2")
    name = text_when_written(path, time.monotonic() + 1)
    if name:
        nothing_left(name, links, "after compare.py --hostfile")


def compare_interrupted(build, tmp, links):
    out = os.path.join(tmp, "interrupted")
    child = subprocess.Popen([sys.executable, COMPARE, "--build", build, "--vcluster", "2",
                              "--classes", "W", "--workers", "2", "--only", "backend=mpi",
                              "--reps", "20", "-q", "-o", out], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=MPI_ENV,
                             start_new_session=True)
    deadline, name = time.monotonic() + 300, None
    while name is None and time.monotonic() < deadline and child.poll() is None:
        cl = [x for x in read_jsonl(os.path.join(out, "records.jsonl"))
              if x.get("kind") == "cluster"]
        name = cl[0]["name"] if cl else None
        time.sleep(0.2)
    if not check(name is not None, "compare.py --vcluster: the cluster came up"):
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        return
    time.sleep(1)
    os.kill(child.pid, signal.SIGINT)
    _, err = finished(child, "compare.py --vcluster, SIGINT across hosts", 130)
    nothing_left(name, links, "compare.py --vcluster after SIGINT")


def compare_bad(build, tmp, links):
    before = set(cluster.clusters())
    bad_hosts = os.path.join(tmp, "bad-hosts")
    with open(bad_hosts, "w", encoding="utf-8") as f:
        f.write("node1 slots=2\nnode2 slots=two\n")
    few_slots = os.path.join(tmp, "few-slots")
    with open(few_slots, "w", encoding="utf-8") as f:
        f.write("node1 slots=1\nnode2 slots=1\n")
    for args, word in ((["--vcluster", "1"], "'1'"), (["--vcluster", "x"], "'x'"),
                       (["--vcluster", "2", "--hostfile", bad_hosts], "--hostfile"),
                       (["--rate", "1gbit"], "--rate"),
                       (["--vcluster", "2", "--rate", "quick"], "'quick'"),
                       (["--mpirun-args", "--map-by node"], "--mpirun-args"),
                       (["--vcluster", "2", "--mpirun-args", "'open"], "'open"),
                       (["--hostfile", os.path.join(tmp, "none")], "none"),
                       (["--hostfile", bad_hosts], "slots=two"),
                       # too few slots: refused, not oversubscribed silently
                       (["--hostfile", few_slots, "--workers", "4"], "--oversubscribe"),
                       (["--slurm", "--vcluster", "2"], "--slurm"),
                       (["--vcluster", "2", "--only", "backend=omp"], "across hosts")):
        out = os.path.join(tmp, "bad-out")
        r = subprocess.run([sys.executable, COMPARE, "--build", build, "-o", out] + args,
                           capture_output=True, text=True, env=MPI_ENV)
        lines = r.stderr.splitlines()
        check(r.returncode == 2 and len(lines) == 1 and word in lines[0] and
              not os.path.exists(out), f"compare.py {' '.join(args)}: exit 2, one line naming "
              f"{word}, nothing written" + ("" if r.returncode == 2 else
                                            f" (exit {r.returncode}: {r.stderr.strip()})"))
    check(set(cluster.clusters()) == before and root_links() <= links,
          "compare.py bad input: no cluster made")


def part_compare(build):
    links = root_links()
    with tempfile.TemporaryDirectory() as tmp:
        compare_bad(build, tmp, links)
        compare_vcluster(build, tmp, links)
        compare_hostfile(build, tmp, links)
        compare_interrupted(build, tmp, links)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--only", choices=("results", "leftovers", "compare", "clock"))
    a = ap.parse_args()
    why = cluster.missing()
    if why:
        print(f"skipped: cannot build a virtual cluster here: {why}")
        return SKIP
    if a.only in (None, "results"):
        part_results(os.path.abspath(a.binary))
    if a.only in (None, "clock"):
        part_clock(os.path.abspath(a.binary))
    if a.only in (None, "leftovers"):
        part_leftovers()
    if a.only in (None, "compare"):
        # the build folder of the binary: build/bin/gilfree-mpi
        part_compare(os.path.dirname(os.path.dirname(os.path.abspath(a.binary))))
    if failures:
        print(f"{len(failures)} failed:")
        for f in failures:
            print("  " + f)
        return 1
    print("all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
